"""`nomaqkd.optimize` / `nomaqkd.compare` against `nomaqkd optimize --format json`
(and `--compare`) run as a subprocess on the same scenario: every field of
SPEC §11.4 must be identical. Expected values come from the CLI, never from
this package; the compare gains are also recomputed here from the SPEC's
formula (100*(S/S_ref - 1) on the clipped sums)."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

import nomaqkd

# Python keyword arguments; the CLI flags are derived from them by `cli_flags`.
SCENARIOS = [
    dict(transmittance=[0.8, 0.5, 0.2], bs_max_dbm=-60.0),
    dict(transmittance=[0.9, 0.7, 0.5], bs_max_dbm=-50.0, excess_noise=0.01, starts=4),
    dict(transmittance=[0.6, 0.3], bs_max_variance=2000.0, policy="sca", objective="raw"),
    # One SCA iteration: status max_iterations and the CLI's iteration-cap warning line.
    dict(transmittance=[0.7, 0.4, 0.3], bs_max_variance=500.0, policy="sca", max_iterations=1),
    dict(transmittance=[0.7, 0.4, 0.3], bs_max_dbm=-55.0, policy="qoma", user_max_variance=[100.0, 1e4, 1e4]),
    dict(transmittance=[0.7, 0.4, 0.3], bs_max_dbm=-55.0, policy="qoma-opt"),
    dict(transmittance=[0.7, 0.4, 0.3], bs_max_dbm=-55.0, policy="oma-best", excess_noise=[0.05, 0.1, 0.2]),
    dict(transmittance=[0.7, 0.4, 0.3], bs_max_dbm=-55.0, policy="uqpa", order=[2, 0, 1]),
    dict(transmittance=[0.7, 0.4, 0.3], bs_max_dbm=-55.0, policy="cih", detector_noise=0.1),
    dict(transmittance=[0.5, 0.45, 0.2], bs_max_dbm=-58.0, order="best", starts=2, tolerance=1e-7),
    dict(transmittance=[0.5, 0.3, 0.1], bs_max_variance=800.0, convention="trusted", detector_efficiency=0.7,
         user_max_variance=300.0, starts=3),
    dict(transmittance=[0.6, 0.2], bs_max_variance=50.0, convention="paper", starts=3),
    dict(transmittance=[0.6, 0.2], bs_max_dbm=-65.0, model="asymptotic", reconciliation_efficiency=0.95, starts=3),
    dict(transmittance=[0.6, 0.2], bs_max_dbm=-65.0, wavelength_m=1.31e-6, symbol_rate_baud=1e8, starts=3),
]


def cli_flags(kw: dict) -> list:
    def lst(x):
        return ",".join(repr(float(v)) for v in np.atleast_1d(x))

    flags = ["--transmittance", lst(kw["transmittance"])]
    for key, value in kw.items():
        if key == "transmittance":
            continue
        flag = "--" + key.replace("_", "-")
        if key == "order":
            flags += [flag, value if isinstance(value, str) else ",".join(str(i) for i in value)]
        elif key in ("policy", "objective", "convention", "model", "access"):
            flags += [flag, value]
        elif key in ("starts", "max_iterations"):
            flags += [flag, str(value)]
        else:
            flags += [flag, lst(value)]
    return flags


def run_cli(binary, args):
    return subprocess.run([str(binary), "optimize", "--format", "json", *args], capture_output=True, text=True)


def as_json_value(x):
    """An attribute as the CLI JSON would hold it."""
    if isinstance(x, np.ndarray):
        return x.tolist()
    return x


def assert_same_allocation(py: nomaqkd.Allocation, cli: dict):
    users = cli["users"]
    k = len(users)
    # Every top-level field of the JSON is an attribute with the identical value.
    for key, value in cli.items():
        if key == "users":
            continue
        assert as_json_value(getattr(py, key)) == value, key
    # Every per-user field is an array attribute (the `user` index is the position).
    for i, user in enumerate(users):
        assert user["user"] == i
        for key, value in user.items():
            if key == "user":
                continue
            attr = getattr(py, key)
            if attr is None:
                assert value is None, key
            else:
                assert np.shape(attr) == (k,), key
                assert attr[i].item() == value, (i, key)


@pytest.mark.parametrize("kw", SCENARIOS, ids=[str(i) for i in range(len(SCENARIOS))])
def test_optimize_identical_to_cli_json(cli_release_binary, kw):
    proc = run_cli(cli_release_binary, cli_flags(kw))
    assert proc.returncode == 0, proc.stderr
    cli = json.loads(proc.stdout)
    t = kw["transmittance"]
    py = nomaqkd.optimize(t, **{k: v for k, v in kw.items() if k != "transmittance"})
    assert isinstance(py, nomaqkd.Allocation)
    assert isinstance(py, nomaqkd.RateResult)
    assert isinstance(py.modulation_variance, np.ndarray) and py.modulation_variance.dtype == np.float64
    assert py.active_users.dtype == np.int64
    assert_same_allocation(py, cli)


def test_iteration_cap_is_reported():
    a = nomaqkd.optimize([0.7, 0.4, 0.3], bs_max_variance=500.0, policy="sca", max_iterations=1)
    assert a.status == "max_iterations"
    assert a.iterations == 1
    assert any("iteration cap" in w for w in a.warnings)


def test_budget_and_constraint():
    # B = V_max - sum (1 - T_i) xi_i - delta^2 (SPEC §5), and sum T_k V_k <= B (SPEC §7).
    t = np.array([0.8, 0.5, 0.2])
    a = nomaqkd.optimize(t, bs_max_variance=1000.0, excess_noise=0.1, detector_noise=0.0256)
    assert a.budget == pytest.approx(1000.0 - np.sum((1 - t) * 0.1) - 0.0256, rel=1e-15)
    assert np.sum(t * a.modulation_variance) <= a.budget * (1 + 1e-12)
    assert a.active_users.tolist() == [i for i in range(3) if a.modulation_variance[i] > 0]
    # The same powers through `rates` give the same report.
    r = nomaqkd.rates(t, a.modulation_variance)
    assert r.sum_secret_key_rate_clipped == a.sum_secret_key_rate_clipped
    np.testing.assert_array_equal(r.secret_key_rate, a.secret_key_rate)


COMPARE_SCENARIOS = [
    dict(transmittance=[0.9, 0.7, 0.5], bs_max_dbm=-50.0, excess_noise=0.01, starts=4),
    # B = 0.5 - 0.012 < V_min*sum T = 1*0.8 under `paper`: sca is skipped.
    dict(transmittance=[0.5, 0.3], bs_max_variance=0.5, convention="paper", detector_noise=0.0, excess_noise=0.01,
         starts=2),
    dict(transmittance=[0.3, 0.2, 0.1], bs_max_dbm=-60.0, starts=2),
]


@pytest.mark.parametrize("kw", COMPARE_SCENARIOS, ids=[str(i) for i in range(len(COMPARE_SCENARIOS))])
def test_compare_identical_to_cli_json(cli_release_binary, kw):
    proc = run_cli(cli_release_binary, ["--compare", *cli_flags(kw)])
    assert proc.returncode == 0, proc.stderr
    cli = json.loads(proc.stdout)
    py = nomaqkd.compare(kw["transmittance"], **{k: v for k, v in kw.items() if k != "transmittance"})
    assert isinstance(py, nomaqkd.Comparison)
    assert list(py.policies) == [p["policy"] for p in cli["policies"]]
    for p in cli["policies"]:
        assert_same_allocation(py.policies[p["policy"]], p)
    assert py.gain_over_qoma_percent == cli["gain_over_qoma_percent"]
    assert py.gain_over_oma_best_percent == cli["gain_over_oma_best_percent"]
    assert py.skipped == cli["skipped"]


@pytest.mark.parametrize("kw", COMPARE_SCENARIOS, ids=[str(i) for i in range(len(COMPARE_SCENARIOS))])
def test_compare_gains_consistent_with_allocations(kw):
    c = nomaqkd.compare(kw["transmittance"], **{k: v for k, v in kw.items() if k != "transmittance"})
    clipped = {p: a.sum_secret_key_rate_clipped for p, a in c.policies.items()}
    for ref, gains in (("qoma", c.gain_over_qoma_percent), ("oma-best", c.gain_over_oma_best_percent)):
        assert set(gains) == set(c.policies)
        base = clipped[ref]
        for p, g in gains.items():
            if base > 0:
                assert g == pytest.approx(100.0 * (clipped[p] / base - 1.0), rel=1e-12, abs=1e-12)
            else:
                assert g is None
    # Each policy's allocation is that of optimize(policy=...).
    for p, a in c.policies.items():
        single = nomaqkd.optimize(kw["transmittance"], policy=p, **{k: v for k, v in kw.items() if k != "transmittance"})
        np.testing.assert_array_equal(single.modulation_variance, a.modulation_variance)
        assert single.sum_secret_key_rate_clipped == a.sum_secret_key_rate_clipped


def test_compare_skips_sca_when_budget_too_small():
    kw = COMPARE_SCENARIOS[1]
    c = nomaqkd.compare(kw["transmittance"], **{k: v for k, v in kw.items() if k != "transmittance"})
    assert "sca" not in c.policies
    assert c.skipped["sca"].startswith("skipped: budget: ")
    assert "V_min * sum_i T_i for policy sca" in c.skipped["sca"]
    assert "global" in c.policies
    # Global may keep a subset active that fits the budget.
    g = c.policies["global"]
    assert np.sum(np.array(kw["transmittance"]) * g.modulation_variance) <= g.budget * (1 + 1e-12)


def test_policies_and_orders_accept_python_values():
    a = nomaqkd.optimize(np.array([0.6, 0.3]), bs_max_dbm=-60, order=np.array([1, 0]), policy="uqpa",
                         starts=np.int64(2), user_max_variance=np.array([1e5, 1e5]))
    assert a.order.tolist() == [1, 0]
    assert a.policy == "uqpa" and a.status == "closed_form" and a.kkt_residual is None
    d = a.to_dict()
    assert d["policy"] == "uqpa" and "objective_history" in d

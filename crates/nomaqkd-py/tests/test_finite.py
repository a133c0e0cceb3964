"""`nomaqkd.finite_rates` (SPEC §9): the finite-size checkpoints of
shared/checkpoints/finite.json reproduced through Python (1e-9 relative, SPEC
§9.7), every field identical to `nomaqkd rate --finite-size --format json` for
the same scenario (JSON nulls as NaN / None), and bad input raising ValueError
with the CLI's one-line message."""

from __future__ import annotations

import json
import math
import subprocess

import numpy as np
import pytest

import nomaqkd
from conftest import assert_rate_equals_cli, cli_flags, shared_dir

REL = 1e-9


def finite_cases():
    with open(shared_dir() / "checkpoints" / "finite.json") as f:
        return json.load(f)["cases"]


def checkpoint_call(inputs, **extra):
    return nomaqkd.finite_rates(
        [inputs["T"]],
        [inputs["V_A"]],
        excess_noise=inputs["xi"],
        detector_noise=inputs["detector_noise"],
        detector_efficiency=inputs["tau_d"],
        reconciliation_efficiency=inputs["eta"],
        convention=inputs["convention"],
        block_size=inputs["N"],
        pe_fraction=inputs["pe_fraction"],
        eps_pe=inputs["eps"],
        eps_smooth=inputs["eps"],
        eps_pa=inputs["eps"],
        **extra,
    )


def close(got, want, rel=REL):
    return abs(got - want) <= rel * abs(want)


@pytest.mark.parametrize("case", finite_cases(), ids=lambda c: c["label"])
def test_checkpoint(case):
    r = checkpoint_call(case["inputs"])
    exp = case["expected"]
    for key in ("finite_secret_key_rate", "finite_holevo", "pe_transmittance_min", "pe_excess_noise_max", "finite_size_penalty"):
        assert close(float(getattr(r, key)[0]), exp[key]), (key, getattr(r, key)[0], exp[key])
    assert r.pe_worst_corner == [exp["pe_worst_corner"]]
    assert not r.estimation_inconclusive[0]
    lgg = checkpoint_call(case["inputs"], worst_case="lgg10", pe_samples_per_symbol=1)
    assert close(float(lgg.finite_secret_key_rate[0]), exp["lgg10_r1_finite_secret_key_rate"])
    assert lgg.pe_worst_corner == ["t_min"]


def test_inconclusive_edge_case():
    # SPEC §9.7: F2's parameters with N = 100 are inconclusive: null rate (NaN here), 0 in the sums.
    f2 = next(c for c in finite_cases() if c["label"] == "F2")
    r = checkpoint_call({**f2["inputs"], "N": 100.0})
    assert r.estimation_inconclusive.tolist() == [True]
    assert math.isnan(r.finite_secret_key_rate[0]) and math.isnan(r.finite_holevo[0])
    assert r.pe_worst_corner == [None]
    assert r.sum_finite_secret_key_rate == 0.0 and r.sum_finite_secret_key_rate_clipped == 0.0
    assert any("inconclusive" in w for w in r.warnings)


def test_rate_part_equals_rates():
    kw = dict(excess_noise=[0.1, 0.05, 0.2], order=[1, 0, 2])
    fin = nomaqkd.finite_rates([0.8, 0.4, 0.2], [20.0, 0.0, 50.0], **kw)
    asym = nomaqkd.rates([0.8, 0.4, 0.2], [20.0, 0.0, 50.0], **kw)
    for key, value in asym.to_dict().items():
        got = getattr(fin.rate, key)
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(got, value, err_msg=key)
        else:
            assert got == value, key


def test_defaults_are_the_library_defaults():
    d = nomaqkd.FINITE_DEFAULTS
    assert d == dict(
        block_size=1e9,
        pe_fraction=0.5,
        eps_pe=1e-10,
        eps_smooth=1e-10,
        eps_pa=1e-10,
        pe_samples_per_symbol=2,
        worst_case="box",
        security="collective",
    )  # SPEC §9.2's table
    r = nomaqkd.finite_rates([0.5], [4.0])
    assert {k: v for k, v in r.finite_size.items() if k in d} == d


# name, rate flags (K users), finite-size keyword arguments
SCENARIOS = [
    ("noma K3 silent", dict(transmittance=[0.8, 0.4, 0.2], modulation_variance=[20.0, 0.0, 50.0]), dict(block_size=1e10)),
    (
        "noma K2 order 0,1",
        dict(transmittance=[0.8, 0.5], modulation_variance=[1e3, 4.0], excess_noise=[0.01, 0.02], order=[0, 1]),
        dict(block_size=1e10, worst_case="lgg10", pe_samples_per_symbol=1),
    ),
    (
        "trusted composable",
        dict(transmittance=[0.5], modulation_variance=[5.0], excess_noise=0.01, convention="trusted"),
        dict(block_size=1e9, security="composable", eps_pe=1e-9),
    ),
    (
        # A negative composable rate: raw and clipped composable sums differ.
        "noma composable, no key",
        dict(transmittance=[0.8, 0.4], modulation_variance=[20.0, 50.0], order=[0, 1], excess_noise=0.01),
        dict(block_size=1e8, security="composable"),
    ),
    (
        "oma min block size",
        dict(transmittance=[0.9, 0.6], modulation_variance=[10.0, 10.0], excess_noise=0.01, access="oma"),
        dict(min_block_size=True, pe_fraction=0.2),
    ),
    (
        "cih no key",
        dict(transmittance=[0.45, 0.35], modulation_variance=[400.0, 90.0], access="cih"),
        dict(block_size=1e6, min_block_size=True),
    ),
    ("inconclusive", dict(transmittance=[0.5], modulation_variance=[1.5], excess_noise=0.05), dict(block_size=100.0)),
]


def flags_of(rate_kw, fin_kw):
    return cli_flags(["rate", "--format", "json", "--finite-size"], rate_kw, fin_kw)


def same(py_value, json_value):
    """A Python value equals the JSON's (NaN for null in float arrays; floats exact:
    serde_json writes the shortest round-trip form)."""
    if json_value is None:
        return py_value is None or (isinstance(py_value, float) and math.isnan(py_value))
    return py_value == json_value


@pytest.mark.parametrize("name,rate_kw,fin_kw", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_identical_to_cli_json(cli_binary, name, rate_kw, fin_kw):
    proc = subprocess.run([str(cli_binary), *flags_of(rate_kw, fin_kw)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    cli = json.loads(proc.stdout)
    kw = {k: v for k, v in rate_kw.items() if k not in ("transmittance", "modulation_variance")}
    py = nomaqkd.finite_rates(rate_kw["transmittance"], rate_kw["modulation_variance"], **kw, **fin_kw)
    assert py.warnings == cli["warnings"]
    assert py.finite_size == cli["finite_size"]
    assert_rate_equals_cli(py.rate, cli)
    if "composable" in name and "no key" in name:
        assert cli["sum_composable_secret_key_rate"] < 0 and cli["sum_composable_secret_key_rate_clipped"] == 0
    for key in (
        "sum_finite_secret_key_rate",
        "sum_finite_secret_key_rate_clipped",
        "sum_composable_secret_key_rate",
        "sum_composable_secret_key_rate_clipped",
        "min_block_size_sum",
    ):
        if key in cli:
            assert same(getattr(py, key), cli[key]), (key, getattr(py, key), cli[key])
        else:
            assert getattr(py, key) is None, key
    composable = "composable_secret_key_rate" in cli["users"][0]
    assert (py.composable_secret_key_rate is not None) == composable
    assert (py.min_block_size is not None) == ("min_block_size" in cli["users"][0])
    for k, user in enumerate(cli["users"]):
        for key in (
            "finite_secret_key_rate",
            "finite_holevo",
            "pe_transmittance_min",
            "pe_transmittance_max",
            "pe_excess_noise_max",
            "pe_noise_variance_max",
            "finite_size_penalty",
            "eps_total",
        ):
            assert same(float(getattr(py, key)[k]), user[key]), (k, key, getattr(py, key)[k], user[key])
        assert py.pe_worst_corner[k] == user["pe_worst_corner"]
        assert bool(py.estimation_inconclusive[k]) == user["estimation_inconclusive"]
        assert bool(py.finite_physical[k]) == user["finite_physical"]
        if composable:
            assert same(float(py.composable_secret_key_rate[k]), user["composable_secret_key_rate"])
        if py.min_block_size is not None:
            assert same(float(py.min_block_size[k]), user["min_block_size"])
    # NaN only where the JSON has null.
    for key in ("finite_secret_key_rate", "finite_holevo", "eps_total"):
        nan = np.isnan(getattr(py, key)).tolist()
        assert nan == [u[key] is None for u in cli["users"]], key


# (rate flags, finite-size flags, Python call) that must fail with the same message.
BAD = [
    (["--convention", "paper"], [], dict(convention="paper")),
    (["--model", "asymptotic"], [], dict(model="asymptotic")),
    ([], ["--block-size", "0"], dict(block_size=0.0)),
    ([], ["--block-size", "nan"], dict(block_size=float("nan"))),
    ([], ["--pe-fraction", "1.5"], dict(pe_fraction=1.5)),
    ([], ["--eps-pe", "0"], dict(eps_pe=0.0)),
    ([], ["--eps-smooth", "1"], dict(eps_smooth=1.0)),
    ([], ["--eps-pa", "-1e-10"], dict(eps_pa=-1e-10)),
    ([], ["--pe-samples-per-symbol", "3"], dict(pe_samples_per_symbol=3)),
    ([], ["--worst-case", "corner"], dict(worst_case="corner")),
    ([], ["--security", "perfect"], dict(security="perfect")),
]


@pytest.mark.parametrize("rate_flags,fin_flags,kw", BAD, ids=[" ".join(r + f) for r, f, _ in BAD])
def test_same_error_line_as_cli(cli_binary, rate_flags, fin_flags, kw):
    flags = ["rate", "--transmittance", "0.5", "--modulation-variance", "4", *rate_flags, "--finite-size", *fin_flags]
    proc = subprocess.run([str(cli_binary), *flags], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    with pytest.raises(ValueError) as info:
        nomaqkd.finite_rates([0.5], [4.0], **kw)
    assert str(info.value) == lines[0].removeprefix("error: ")


@pytest.mark.parametrize("value", [-1, 2.5, 2.0, True, "2", [2], 2**64 - 1, np.uint64(2**64 - 1), 1e20])
def test_pe_samples_per_symbol_must_be_1_or_2(value):
    with pytest.raises(ValueError, match=r"^pe_samples_per_symbol: .* is not allowed; expected 1 or 2$"):
        nomaqkd.finite_rates([0.5], [4.0], pe_samples_per_symbol=value)


def test_no_batched_form():
    with pytest.raises(ValueError, match="no batched form"):
        nomaqkd.finite_rates([[0.5, 0.4]], [[4.0, 4.0]])


def test_bad_scenario_inputs_name_the_field():
    with pytest.raises(ValueError, match=r"^transmittance"):
        nomaqkd.finite_rates([0.5, 1.5], [4.0])
    with pytest.raises(ValueError, match=r"^modulation_variance"):
        nomaqkd.finite_rates([0.5], [float("nan")])

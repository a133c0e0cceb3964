"""`nomaqkd.simulate` (SPEC §10): the result equals the document of
`nomaqkd simulate --format json` for the same scenario and seed (every value),
is reproducible from the seed, and bad input raises ValueError with the CLI's
one-line message."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

import nomaqkd
from conftest import cli_flags, interrupted

# Small runs (1e4 symbols x 3 replicates, 20 coverage replicates): well under a second each.
SMALL = dict(symbols=10_000, replicates=3, coverage_replicates=20)

SCENARIOS = [
    ("noma K2 order 0,1", dict(transmittance=[0.8, 0.4], modulation_variance=[20.0, 50.0], order=[0, 1]), {}),
    ("noma K3 silent, gain order", dict(transmittance=[0.3, 0.9, 0.6], modulation_variance=[5.0, 0.0, 40.0]), dict(seed=7)),
    (
        "trusted, estimated SIC",
        dict(transmittance=[0.7, 0.5], modulation_variance=[10.0, 30.0], convention="trusted", excess_noise=[0.02, 0.05]),
        dict(sic="estimated", seed=2026),
    ),
    ("no coverage check", dict(transmittance=[0.9, 0.6], modulation_variance=[10.0]), dict(coverage_replicates=0)),
    ("cih one replicate", dict(transmittance=[0.45, 0.35], modulation_variance=[400.0, 90.0], access="cih"), dict(replicates=1)),
]


def flags_of(rate_kw, sim_kw):
    return cli_flags(["simulate", "--format", "json"], rate_kw, sim_kw)


def call(rate_kw, sim_kw):
    kw = {k: v for k, v in rate_kw.items() if k not in ("transmittance", "modulation_variance")}
    return nomaqkd.simulate(rate_kw["transmittance"], rate_kw["modulation_variance"], **kw, **sim_kw)


@pytest.mark.parametrize("name,rate_kw,sim_kw", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_identical_to_cli_json(cli_binary, name, rate_kw, sim_kw):
    sim_kw = {**SMALL, **sim_kw}
    proc = subprocess.run([str(cli_binary), *flags_of(rate_kw, sim_kw)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    cli = json.loads(proc.stdout)
    py = call(rate_kw, sim_kw).to_dict()
    # Floats compare exactly: serde_json writes the shortest round-trip form; null is None.
    assert py == cli
    assert proc.stderr.strip().splitlines() == [f"warning: {w}" for w in py["warnings"]]


def test_seeded():
    rate_kw = dict(transmittance=[0.8, 0.4], modulation_variance=[20.0, 50.0])
    a, b = call(rate_kw, dict(SMALL, seed=3)), call(rate_kw, dict(SMALL, seed=3))
    assert a == b
    c = call(rate_kw, dict(SMALL, seed=4))
    est = lambda r: r.users[0]["estimates"]["transmittance"]["estimates"]  # noqa: E731
    assert est(c) != est(a)


def test_defaults_are_the_clis():
    # SPEC §10.6 (N_MC = 1e6, R = 20) and §10.5 (R_cov = 2000); SIC genie is the CLI's default (`simulate --help`).
    assert nomaqkd.SIMULATE_DEFAULTS == dict(symbols=1_000_000, replicates=20, coverage_replicates=2000, sic="genie")


BAD = [
    (["--symbols", "2.5"], dict(symbols=2.5)),
    (["--symbols", "0"], dict(symbols=0)),
    (["--replicates", "0"], dict(replicates=0)),
    (["--coverage-replicates", "-1"], dict(coverage_replicates=-1)),
    (["--sic", "magic"], dict(sic="magic")),
    (["--convention", "paper"], dict(convention="paper")),
    (["--model", "asymptotic"], dict(model="asymptotic")),
    (["--access", "oma"], dict(access="oma")),
    (["--order", "0,0"], dict(order=[0, 0])),
]


@pytest.mark.parametrize("flags,kw", BAD, ids=[" ".join(f) for f, _ in BAD])
def test_same_error_line_as_cli(cli_binary, flags, kw):
    args = ["simulate", "--transmittance", "0.5,0.4", "--modulation-variance", "4", *flags]
    proc = subprocess.run([str(cli_binary), *args], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    with pytest.raises(ValueError) as info:
        nomaqkd.simulate([0.5, 0.4], 4.0, **kw)
    assert str(info.value) == lines[0].removeprefix("error: ")


@pytest.mark.parametrize("seed", [-1, 1.5, 2.0**53 + 2, 2**64, "1", True])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match=r"^seed: .* is not allowed; expected a non-negative integer below 2\^64$"):
        nomaqkd.simulate([0.5], 4.0, seed=seed, **SMALL)


@pytest.mark.parametrize("seed", [0, 2**64 - 1, np.uint64(2**64 - 1), np.int64(7), 5.0])
def test_seed_range_is_the_clis(cli_binary, seed):
    # --seed takes any u64 written as digits (SPEC §11.1), and whole floats up to 2^53.
    rate_kw = dict(transmittance=[0.8, 0.4], modulation_variance=[20.0, 50.0])
    flags = flags_of(rate_kw, {**SMALL, "seed": int(seed)})
    proc = subprocess.run([str(cli_binary), *flags], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert call(rate_kw, {**SMALL, "seed": seed}).to_dict() == json.loads(proc.stdout)


# Counts echoed as typed: on the command line the text, in Python str() of the argument.
COUNTS = [
    ("symbols", "1e+16", 1e16),
    ("symbols", "nan", float("nan")),
    ("symbols", "-0.0", -0.0),
    ("symbols", "9223372036854775808", 2**63),
    ("replicates", "1e+300", 1e300),
    ("replicates", "1000001", 1_000_001),
    ("coverage_replicates", "1000000000000000.0", 1e15),
]


@pytest.mark.parametrize("name,text,value", COUNTS, ids=[f"{n}={t}" for n, t, _ in COUNTS])
def test_count_errors_match_the_cli(cli_binary, name, text, value):
    args = ["simulate", "--transmittance", "0.5", "--modulation-variance", "4", "--" + name.replace("_", "-"), text]
    proc = subprocess.run([str(cli_binary), *args], capture_output=True, text=True)
    assert proc.returncode == 2
    with pytest.raises(ValueError) as info:
        nomaqkd.simulate([0.5], 4.0, **{name: value})
    assert str(info.value) == proc.stderr.strip().removeprefix("error: ")


@pytest.mark.parametrize("name", ["symbols", "replicates", "coverage_replicates"])
@pytest.mark.parametrize("value", ["10", True, [10], None])
def test_count_must_be_a_number(name, value):
    with pytest.raises(ValueError, match=rf"^{name}: .* is not allowed; expected an integer in "):
        nomaqkd.simulate([0.5], 4.0, **{**SMALL, name: value})


def test_no_batched_form():
    with pytest.raises(ValueError, match="no batched form"):
        nomaqkd.simulate([[0.5, 0.4]], [[4.0, 4.0]])


def test_ctrl_c_stops_a_long_run():
    # 4e8 symbols: ~30 s uninterrupted on the 2-core CI machine. Ctrl-C after 0.3 s stops
    # it within the chunks in progress (KeyboardInterrupt; no result).
    with interrupted(after_seconds=0.3) as took:
        nomaqkd.simulate([0.5, 0.3], [10.0, 10.0], symbols=100_000_000, replicates=4, coverage_replicates=0)
    assert took["seconds"] < 2.0, took  # 0.3 s, then the chunks in progress
    # The extension still works afterwards (a cancelled run leaves nothing behind).
    r = nomaqkd.simulate([0.5, 0.3], [10.0, 10.0], symbols=20_000, replicates=2, coverage_replicates=0)
    assert r.replicates == 2

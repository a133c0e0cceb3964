"""Python results are identical to `nomaqkd rate --format json` for the same
scenario, and bad input gives the CLI's one-line message (without its
`error: ` prefix) as a ValueError."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

import nomaqkd
from conftest import assert_rate_equals_cli

SCENARIOS = [
    dict(transmittance=[0.8, 0.4], modulation_variance=[20.0, 50.0]),
    dict(transmittance=[0.9, 0.7, 0.5, 0.3], modulation_variance=[100.0, 0.0, 1e4, 3.0], excess_noise=[0.1, 0.2, 0.05, 0.0]),
    dict(transmittance=[0.6, 0.5, 0.2], modulation_variance=[1e3], order=[2, 0, 1], reconciliation_efficiency=0.95),
    dict(transmittance=[0.9, 0.7, 0.5, 0.3], modulation_variance=[1e3, 1e3, 1e3, 1e3], access="oma"),
    dict(transmittance=[0.9, 0.7, 0.5, 0.3], modulation_variance=[1e3], access="oma", time_sharing=False),
    dict(transmittance=[0.45, 0.35], modulation_variance=[400.0, 90.0], access="cih", detector_noise=0.16),
    dict(transmittance=[0.5, 0.3, 0.1], modulation_variance=[10.0, 1e5, 1e2], convention="trusted", detector_efficiency=0.7),
    dict(transmittance=[0.9, 0.8, 0.2], modulation_variance=[1e4, 5.0, 1e6], convention="paper", excess_noise=[0.2]),
    dict(transmittance=[0.9, 0.8, 0.2], modulation_variance=[1e4, 5.0, 1e6], convention="paper", literal_eq6=True),
    dict(transmittance=[0.9, 0.4], modulation_variance=[1e8, 3.0], convention="standard", model="asymptotic"),
    dict(transmittance=[0.7], modulation_variance=[2.0], convention="paper", model="asymptotic"),
]


def cli_args(s):
    def lst(x):
        return ",".join(repr(float(v)) for v in np.atleast_1d(x))

    args = ["rate", "--format", "json", "--transmittance", lst(s["transmittance"])]
    args += ["--modulation-variance", lst(s["modulation_variance"])]
    for key in ("excess_noise", "detector_noise", "detector_efficiency", "reconciliation_efficiency"):
        if key in s:
            args += ["--" + key.replace("_", "-"), lst(s[key])]
    for key in ("convention", "model", "access"):
        if key in s:
            args += ["--" + key, s[key]]
    if "order" in s:
        args += ["--order", ",".join(str(i) for i in s["order"])]
    if s.get("literal_eq6"):
        args.append("--literal-eq6")
    if s.get("time_sharing") is False:
        args.append("--no-time-sharing")
    return args


def run_cli(binary, args):
    return subprocess.run([str(binary), *args], capture_output=True, text=True)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[str(i) for i in range(len(SCENARIOS))])
def test_identical_to_cli_json(cli_binary, scenario):
    proc = run_cli(cli_binary, cli_args(scenario))
    assert proc.returncode == 0, proc.stderr
    cli = json.loads(proc.stdout)
    kw = {k: v for k, v in scenario.items() if k not in ("transmittance", "modulation_variance")}
    py = nomaqkd.rates(scenario["transmittance"], scenario["modulation_variance"], **kw)
    assert_rate_equals_cli(py, cli)
    assert py.warnings == cli["warnings"]


# (CLI flags, Python call) pairs that must fail with the same message.
BAD = [
    (["--transmittance", "0.5,1.5", "--modulation-variance", "10"], lambda: nomaqkd.rates([0.5, 1.5], 10.0)),
    (["--transmittance", "0.5,nan", "--modulation-variance", "10"], lambda: nomaqkd.rates([0.5, float("nan")], 10.0)),
    (["--transmittance", "0.5", "--modulation-variance", "inf"], lambda: nomaqkd.rates([0.5], float("inf"))),
    (
        ["--transmittance", "0.5,0.4", "--modulation-variance", "1,2,3"],
        lambda: nomaqkd.rates([0.5, 0.4], [1.0, 2.0, 3.0]),
    ),
    (
        ["--transmittance", "0.5,0.4", "--modulation-variance", "10", "--excess-noise", "-0.1"],
        lambda: nomaqkd.rates([0.5, 0.4], 10.0, excess_noise=-0.1),
    ),
    (
        ["--transmittance", "0.5", "--modulation-variance", "0.5", "--convention", "paper"],
        lambda: nomaqkd.rates([0.5], 0.5, convention="paper"),
    ),
    (
        ["--transmittance", "0.5,0.4", "--modulation-variance", "10", "--order", "0,0"],
        lambda: nomaqkd.rates([0.5, 0.4], 10.0, order=[0, 0]),
    ),
    (
        ["--transmittance", "0.5", "--modulation-variance", "10", "--convention", "trusted", "--model", "asymptotic"],
        lambda: nomaqkd.rates([0.5], 10.0, convention="trusted", model="asymptotic"),
    ),
    (
        ["--transmittance", "0.5", "--modulation-variance", "10", "--literal-eq6"],
        lambda: nomaqkd.rates([0.5], 10.0, literal_eq6=True),
    ),
    (
        ["--transmittance", "0.5", "--modulation-variance", "10", "--detector-efficiency", "0"],
        lambda: nomaqkd.rates([0.5], 10.0, detector_efficiency=0.0),
    ),
    (
        ["--transmittance", "0.5", "--modulation-variance", "10", "--reconciliation-efficiency", "1.2"],
        lambda: nomaqkd.rates([0.5], 10.0, reconciliation_efficiency=1.2),
    ),
    (
        ["--transmittance", "0.5", "--modulation-variance", "10", "--detector-noise", "-1"],
        lambda: nomaqkd.rates([0.5], 10.0, detector_noise=-1.0),
    ),
    (
        ["--transmittance", "0.5", "--modulation-variance", "10", "--convention", "bogus"],
        lambda: nomaqkd.rates([0.5], 10.0, convention="bogus"),
    ),
    (
        ["--transmittance", "0.5", "--modulation-variance", "10", "--access", "tdma"],
        lambda: nomaqkd.rates([0.5], 10.0, access="tdma"),
    ),
]


@pytest.mark.parametrize("flags,call", BAD, ids=[" ".join(f[2:] + f[:2]) for f, _ in BAD])
def test_same_error_line_as_cli(cli_binary, flags, call):
    proc = run_cli(cli_binary, ["rate", *flags])
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    expected = lines[0].removeprefix("error: ")
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == expected

"""Bad input to optimize / compare / sweep raises ValueError with the CLI's one-line
message (without its `error: ` prefix), checked against the binary."""

from __future__ import annotations

import subprocess

import pytest

import nomaqkd

T = ["--transmittance", "0.8,0.5,0.2"]
TP = [0.8, 0.5, 0.2]

# (CLI flags of `optimize`, Python call) pairs that must fail with the same message.
BAD = [
    (T + ["--bs-max-dbm", "-60", "--policy", "best"], lambda: nomaqkd.optimize(TP, bs_max_dbm=-60, policy="best")),
    (T, lambda: nomaqkd.optimize(TP)),
    (T + ["--bs-max-dbm", "-60", "--bs-max-variance", "10"], lambda: nomaqkd.optimize(TP, bs_max_dbm=-60, bs_max_variance=10)),
    # Budget below the noise floor sum (1 - T) xi + delta^2.
    (T + ["--bs-max-variance", "0.01"], lambda: nomaqkd.optimize(TP, bs_max_variance=0.01)),
    (T + ["--bs-max-variance", "nan"], lambda: nomaqkd.optimize(TP, bs_max_variance=float("nan"))),
    (T + ["--bs-max-dbm", "inf"], lambda: nomaqkd.optimize(TP, bs_max_dbm=float("inf"))),
    (T + ["--bs-max-dbm", "-60", "--starts", "0"], lambda: nomaqkd.optimize(TP, bs_max_dbm=-60, starts=0)),
    (T + ["--bs-max-dbm", "-60", "--starts", "1.5"], lambda: nomaqkd.optimize(TP, bs_max_dbm=-60, starts=1.5)),
    (T + ["--bs-max-dbm", "-60", "--max-iterations", "0"], lambda: nomaqkd.optimize(TP, bs_max_dbm=-60, max_iterations=0)),
    (T + ["--bs-max-dbm", "-60", "--objective", "sum"], lambda: nomaqkd.optimize(TP, bs_max_dbm=-60, objective="sum")),
    (T + ["--bs-max-dbm", "-60", "--tolerance", "-1"], lambda: nomaqkd.optimize(TP, bs_max_dbm=-60, tolerance=-1.0)),
    (T + ["--bs-max-dbm", "-60", "--tolerance", "nan"], lambda: nomaqkd.optimize(TP, bs_max_dbm=-60, tolerance=float("nan"))),
    (
        T + ["--bs-max-dbm", "-60", "--user-max-variance", "1,2"],
        lambda: nomaqkd.optimize(TP, bs_max_dbm=-60, user_max_variance=[1.0, 2.0]),
    ),
    (
        T + ["--bs-max-dbm", "-60", "--user-max-variance", "10,-1,10"],
        lambda: nomaqkd.optimize(TP, bs_max_dbm=-60, user_max_variance=[10.0, -1.0, 10.0]),
    ),
    (
        T + ["--bs-max-dbm", "-60", "--user-max-variance", "nan"],
        lambda: nomaqkd.optimize(TP, bs_max_dbm=-60, user_max_variance=float("nan")),
    ),
    (T + ["--bs-max-dbm", "-60", "--order", "0,0,1"], lambda: nomaqkd.optimize(TP, bs_max_dbm=-60, order=[0, 0, 1])),
    (
        ["--transmittance", "0.8,nan", "--bs-max-dbm", "-60"],
        lambda: nomaqkd.optimize([0.8, float("nan")], bs_max_dbm=-60),
    ),
    (T + ["--bs-max-dbm", "-60", "--excess-noise", "-0.1"], lambda: nomaqkd.optimize(TP, bs_max_dbm=-60, excess_noise=-0.1)),
    (T + ["--bs-max-dbm", "-60", "--convention", "x"], lambda: nomaqkd.optimize(TP, bs_max_dbm=-60, convention="x")),
    (T + ["--bs-max-dbm", "-60", "--wavelength-m", "-1"], lambda: nomaqkd.optimize(TP, bs_max_dbm=-60, wavelength_m=-1.0)),
    # sca keeps every user at V >= V_min = 1 under `paper`: B ~ 0.48 < sum T = 1.5.
    (
        T + ["--bs-max-variance", "0.5", "--convention", "paper", "--detector-noise", "0", "--excess-noise", "0.01", "--policy", "sca"],
        lambda: nomaqkd.optimize(TP, bs_max_variance=0.5, convention="paper", detector_noise=0.0, excess_noise=0.01, policy="sca"),
    ),
    (
        T + ["--bs-max-variance", "0.5", "--convention", "paper", "--detector-noise", "0", "--excess-noise", "0.01", "--objective", "raw"],
        lambda: nomaqkd.optimize(TP, bs_max_variance=0.5, convention="paper", detector_noise=0.0, excess_noise=0.01, objective="raw"),
    ),
    (T + ["--compare", "--bs-max-variance", "0.01"], lambda: nomaqkd.compare(TP, bs_max_variance=0.01)),
]


@pytest.mark.parametrize("flags,call", BAD, ids=[" ".join(f[2:]) for f, _ in BAD])
def test_same_error_line_as_cli(cli_release_binary, flags, call):
    proc = subprocess.run([str(cli_release_binary), "optimize", *flags], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    expected = lines[0].removeprefix("error: ")
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == expected


def test_order_best_only_for_optimize():
    with pytest.raises(ValueError, match=r"^order: `best` is not allowed"):
        nomaqkd.rates(TP, 10.0, order="best")
    with pytest.raises(ValueError, match=r'^order: `bogus` is not allowed; expected None, "gain", "best" or'):
        nomaqkd.optimize(TP, bs_max_dbm=-60, order="bogus")
    with pytest.raises(ValueError, match=r"^transmittance: a 2-D array is not allowed here"):
        nomaqkd.optimize([[0.5, 0.4]], bs_max_dbm=-60)


# Sweep scenarios (TOML text) that the CLI rejects; the dict form is tested separately.
BAD_SWEEPS = [
    'transmittance = [0.5, 0.3]\npolicies = ["best"]\n',
    'transmittance = [0.5, 0.3]\n[[axes]]\nname = "power_dbm"\nvalues = [-60, nan]\n',
    'transmittance = [0.5, 1.3]\n',
    'transmittance = [0.5, 0.3]\n[[axes]]\nname = "speed"\nvalues = [1]\n',
    'transmittance = [0.5, 0.3]\nrealizations = 0\n',
    'transmittance = [0.5, 0.3]\nconventions = ["standard", "nope"]\n',
]


@pytest.mark.parametrize("text", BAD_SWEEPS, ids=[str(i) for i in range(len(BAD_SWEEPS))])
def test_sweep_same_error_line_as_cli(cli_release_binary, tmp_path, text):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    proc = subprocess.run(
        [str(cli_release_binary), "sweep", "--scenario", str(path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    expected = lines[0].removeprefix("error: ")
    with pytest.raises(ValueError) as info:
        nomaqkd.sweep(path)
    assert str(info.value) == expected


def test_sweep_dict_errors():
    with pytest.raises(ValueError, match=r"^policies: `best` is not allowed; expected one of sca, global"):
        nomaqkd.sweep({"transmittance": [0.5, 0.3], "policies": ["best"]})
    with pytest.raises(ValueError, match=r"^scenario `<dict>`: unknown key `bs_power`"):
        nomaqkd.sweep({"transmittance": [0.5, 0.3], "bs_power": 3})
    with pytest.raises(ValueError, match=r"^scenario key `sigma_x`: None is not allowed"):
        nomaqkd.sweep({"transmittance": [0.5, 0.3], "sigma_x": None})
    with pytest.raises(ValueError, match=r"^scenario: expected a path"):
        nomaqkd.sweep(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^scenario: cannot read"):
        nomaqkd.sweep("/nonexistent/scenario.toml")

"""`nomaqkd.sweep` against `nomaqkd sweep` run as a subprocess on the same tiny
scenarios: the same columns in the same order, and every value equal (the CSV
holds shortest round-trip floats, so parsing them gives the exact numbers)."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import interrupted

import nomaqkd

# A tiny grid with fading (3 realizations), two policies, two conventions.
TINY = {
    "name": "tiny",
    "distance_range_m": [50.0, 150.0],
    "excess_noise": 0.05,
    "sigma_x": 0.3,
    "realizations": 3,
    "quick_realizations": 2,
    "seed": 7,
    "starts": 2,
    "policies": ["uqpa", "qoma", "global"],
    "conventions": ["standard", "paper"],
    "axes": [
        {"name": "power_dbm", "values": [-70.0, -60.0], "quick_values": [-65.0]},
        {"name": "users", "values": [2, 3]},
    ],
}

TINY_TOML = """name = "tiny"
distance_range_m = [50.0, 150.0]
excess_noise = 0.05
sigma_x = 0.3
realizations = 3
quick_realizations = 2
seed = 7
starts = 2
policies = ["uqpa", "qoma", "global"]
conventions = ["standard", "paper"]

[[axes]]
name = "power_dbm"
values = [-70.0, -60.0]
quick_values = [-65.0]

[[axes]]
name = "users"
values = [2, 3]
"""

# Transmittances per user, no fading (one draw per point), an excess-noise axis
# given as from/to/points.
DIST_TOML = """name = "dist"
transmittance = [0.6, 0.4, 0.2]
power_dbm = -60
conventions = ["trusted"]
policies = ["sca", "cih"]
starts = 2

[[axes]]
name = "excess_noise"
from = 0.0
to = 0.2
points = 3
"""

INT_COLUMNS = {
    "point",
    "realizations",
    "unphysical_realizations",
    "above_plob_realizations",
    "unphysical_users",
    "above_plob_users",
    "infeasible_realizations",
    "iteration_cap_realizations",
}
STR_COLUMNS = {"convention", "model", "policy"}


def cli_sweep(binary, scenario: Path, out: Path, quick: bool = False):
    args = [str(binary), "sweep", "--scenario", str(scenario), "--out", str(out)]
    if quick:
        args.append("--quick")
    proc = subprocess.run(args, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    with open(out / f"{scenario.stem}.csv", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def assert_same_columns(py: dict, header, rows):
    assert list(py) == header
    for j, name in enumerate(header):
        col = py[name]
        assert isinstance(col, np.ndarray), name
        assert col.shape == (len(rows),), name
        cells = [r[j] for r in rows]
        if name in STR_COLUMNS:
            assert col.tolist() == cells, name
        elif name in INT_COLUMNS:
            assert col.dtype == np.int64, name
            assert col.tolist() == [int(c) for c in cells], name
        else:
            assert col.dtype == np.float64, name
            assert col.tolist() == [float(c) for c in cells], name


@pytest.mark.parametrize("quick", [False, True], ids=["full", "quick"])
def test_toml_path_and_dict_equal_cli_csv(cli_release_binary, tmp_path, quick):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_TOML)
    header, rows = cli_sweep(cli_release_binary, path, tmp_path / "cli", quick=quick)
    # 2 x 2 points (1 x 2 quick) x 2 conventions x 3 policies.
    assert len(rows) == (2 if quick else 4) * 6
    assert_same_columns(nomaqkd.sweep(path, quick=quick), header, rows)
    assert_same_columns(nomaqkd.sweep(str(path), quick=quick), header, rows)
    assert_same_columns(nomaqkd.sweep(TINY, quick=quick), header, rows)


def test_distance_scenario_equals_cli_csv(cli_release_binary, tmp_path):
    path = tmp_path / "dist.toml"
    path.write_text(DIST_TOML)
    header, rows = cli_sweep(cli_release_binary, path, tmp_path / "cli")
    assert len(rows) == 3 * 2
    assert_same_columns(nomaqkd.sweep(path), header, rows)


def test_dict_accepts_numpy_values(tmp_path):
    d = dict(TINY)
    d["distance_range_m"] = np.array([50.0, 150.0])
    d["seed"] = np.int64(7)
    d["axes"] = [{"name": "power_dbm", "values": np.array([-70.0, -60.0])}, {"name": "users", "values": [2, 3]}]
    a = nomaqkd.sweep(d)
    b = nomaqkd.sweep(TINY)
    for k in b:
        np.testing.assert_array_equal(a[k], b[k])


def test_out_keeps_csv_and_metadata(tmp_path):
    cols = nomaqkd.sweep(TINY, quick=True, out=tmp_path / "o")
    assert (tmp_path / "o" / "tiny.csv").is_file()
    meta = json.loads((tmp_path / "o" / "tiny.json").read_text())
    assert meta["complete"] is True and meta["quick"] is True and meta["points"] == 2
    assert cols["point"].tolist() == sorted(cols["point"].tolist())


def test_thread_count_does_not_change_the_csv(tmp_path):
    # rayon's pool size is fixed per process: run the sweep in two fresh interpreters with
    # 1 and 2 threads and compare the written CSVs byte for byte.
    import os
    import sys

    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY_TOML)
    files = []
    for threads in ("1", "2"):
        out = tmp_path / f"t{threads}"
        code = "import sys, nomaqkd; nomaqkd.sweep(sys.argv[1], quick=True, out=sys.argv[2])"
        env = dict(os.environ, RAYON_NUM_THREADS=threads)
        subprocess.run([sys.executable, "-c", code, str(scenario), str(out)], check=True, env=env)
        files.append((out / "tiny.csv").read_bytes())
    assert files[0] == files[1] and len(files[0]) > 0


def test_reproducible_and_thread_independent():
    # Same (seed, point) -> same numbers, whatever thread computed the point.
    a = nomaqkd.sweep(TINY, quick=True)
    b = nomaqkd.sweep(TINY, quick=True)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    # Fading on: the confidence half-widths are not all zero.
    assert np.any(a["sum_rate_ci95"] > 0)
    assert np.all(a["realizations"] == 2)


# 80 points, ~1.7 s on the 2-core CI machine: long enough for a Ctrl-C to land mid-run.
LONG = dict(
    TINY,
    name="long",
    realizations=2,
    axes=[{"name": "power_dbm", "from": -80.0, "to": -50.0, "points": 40}, {"name": "users", "values": [2, 3]}],
)


def test_ctrl_c_stops_the_run_and_resume_completes_it(tmp_path):
    nomaqkd.sweep(LONG, out=tmp_path / "full")
    full = (tmp_path / "full" / "long.csv").read_bytes()

    # Ctrl-C once the first point's rows are in the file (a condition, not a time, so a
    # slow or loaded machine does not change what the test sees).
    cut = tmp_path / "cut"
    csv_path = cut / "long.csv"
    with interrupted(when=lambda: csv_path.is_file() and csv_path.read_bytes().count(b"\n") >= 2):
        nomaqkd.sweep(LONG, out=cut)
    partial = csv_path.read_bytes()
    assert len(partial) < len(full), "the run ended before the interrupt"
    # The rows written are those of an uninterrupted run, whole points only.
    assert full.startswith(partial)
    variants = 3 * 2  # policies x conventions
    assert (partial.count(b"\n") - 1) % variants == 0
    assert json.loads((cut / "long.json").read_text())["complete"] is False

    cols = nomaqkd.sweep(LONG, out=cut, resume=True)
    assert csv_path.read_bytes() == full
    assert json.loads((cut / "long.json").read_text())["complete"] is True
    assert len(cols["point"]) == 80 * variants


def test_resume_continues_a_cli_run(cli_release_binary, tmp_path):
    # `nomaqkd sweep --stop-after-rows` leaves a partial run; Python resumes it, and the
    # result equals the CLI's uninterrupted CSV byte for byte.
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY_TOML)
    cli_sweep(cli_release_binary, scenario, tmp_path / "whole")
    args = [str(cli_release_binary), "sweep", "--scenario", str(scenario), "--out", str(tmp_path / "part"),
            "--stop-after-rows", "7"]
    proc = subprocess.run(args, capture_output=True, text=True)
    assert proc.returncode == 0 and "rerun with --resume" in proc.stdout, proc.stdout + proc.stderr
    whole = (tmp_path / "whole" / "tiny.csv").read_bytes()
    assert len((tmp_path / "part" / "tiny.csv").read_bytes()) < len(whole)
    nomaqkd.sweep(scenario, out=tmp_path / "part", resume=True)
    assert (tmp_path / "part" / "tiny.csv").read_bytes() == whole


def test_resume_errors(tmp_path):
    with pytest.raises(ValueError, match="^resume: needs out, the directory of the run to continue$"):
        nomaqkd.sweep(TINY, quick=True, resume=True)
    # Files of another scenario (here: the quick run of the same one) are refused, as by the CLI.
    nomaqkd.sweep(TINY, quick=True, out=tmp_path)
    with pytest.raises(ValueError, match="^resume: .* was written by a different scenario or --quick setting"):
        nomaqkd.sweep(TINY, out=tmp_path, resume=True)

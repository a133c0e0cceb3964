"""Errors: ValueError with one line naming field, value (and array index) and
what is allowed; a Rust panic surfaces as an exception, never an abort."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import nomaqkd
from nomaqkd import _core


def test_nan_in_batched_transmittance_names_the_element():
    t = np.full((5, 2), 0.5)
    t[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"^transmittance\[3, 1\]: NaN is not allowed; expected a number in \(0, 1\)$"):
        nomaqkd.rates(t, 10.0)


def test_first_bad_row_is_reported():
    t = np.full((1000, 3), 0.5)
    t[700, 2] = 2.0
    t[900, 0] = -1.0
    with pytest.raises(ValueError, match=r"^transmittance\[700, 2\]: 2 is not allowed"):
        nomaqkd.rates(t, 10.0)


def test_inf_in_batched_modulation_and_noise():
    v = np.full((4, 3), 10.0)
    v[2, 0] = np.inf
    with pytest.raises(ValueError, match=r"^modulation_variance\[2, 0\]: inf is not allowed; expected a finite number in \[0, 1e60\] SNU"):
        nomaqkd.rates(np.full((4, 3), 0.5), v)
    xi = np.full((4, 3), 0.1)
    xi[1, 2] = -np.inf
    with pytest.raises(ValueError, match=r"^excess_noise\[1, 2\]: -inf is not allowed; expected a finite number in \[0, 1e60\] SNU$"):
        nomaqkd.rates(np.full((4, 3), 0.5), 10.0, excess_noise=xi)


def test_excess_noise_above_its_limit():
    # 1e60 SNU is accepted (and gives finite rates), 1e61 is not: above ~1e154 chi was NaN.
    ok = nomaqkd.rates([[0.5, 0.3]], [[0.0, 10.0]], excess_noise=[[1e60, 0.1]])
    assert np.isfinite(ok.plob_bound).all() and np.isfinite(ok.holevo).all()
    xi = np.full((70, 2), 0.1)
    xi[66, 1] = 1e61
    with pytest.raises(ValueError, match=r"^excess_noise\[66, 1\]: 1e61 is not allowed; expected a finite number in \[0, 1e60\] SNU$"):
        nomaqkd.rates(np.full((70, 2), 0.5), 10.0, excess_noise=xi)
    with pytest.raises(ValueError, match=r"^excess_noise: value 1e61 for user 0 is not allowed"):
        nomaqkd.rates([0.5], 10.0, excess_noise=1e61)


def test_paper_modulation_below_one_in_batch():
    v = np.full((2, 2), 10.0)
    v[1, 1] = 0.5
    with pytest.raises(ValueError, match=r"^modulation_variance\[1, 1\]: 0.5 is not allowed; expected 0 \(silent\) or >= 1"):
        nomaqkd.rates(np.full((2, 2), 0.5), v, convention="paper")


def test_shape_errors():
    with pytest.raises(ValueError, match=r"^modulation_variance: an array of shape \[3\] cannot be broadcast to \(N, K\) = \(4, 2\)"):
        nomaqkd.rates(np.full((4, 2), 0.5), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"^transmittance: a 3-D array is not allowed"):
        nomaqkd.rates(np.full((2, 2, 2), 0.5), 1.0)
    with pytest.raises(ValueError, match=r"^transmittance: no users given"):
        nomaqkd.rates(np.zeros((3, 0)), 1.0)
    with pytest.raises(ValueError, match=r"^order: \[1, 0, 2\] is not a permutation of 0..2"):
        nomaqkd.rates(np.full((2, 2), 0.5), 1.0, order=[1, 0, 2])
    with pytest.raises(ValueError, match=r"^order: `best` is not allowed"):
        nomaqkd.rates([0.5, 0.4], 1.0, order="best")
    with pytest.raises(ValueError, match=r"^order: .* is not allowed"):
        nomaqkd.rates([0.5, 0.4], 1.0, order=[-1, 0])


def test_conversion_errors_name_the_element():
    with pytest.raises(ValueError, match=r"^power_dbm\[1\]: NaN is not allowed; expected a finite number \(or -inf for silent\)$"):
        nomaqkd.dbm_to_variance([-60.0, np.nan])
    with pytest.raises(ValueError, match=r"^power_dbm: inf is not allowed"):
        nomaqkd.dbm_to_variance(np.inf)
    with pytest.raises(ValueError, match=r"^modulation_variance\[0, 1\]: -1 is not allowed"):
        nomaqkd.variance_to_dbm([[1.0, -1.0]])
    with pytest.raises(ValueError, match=r"^distance_m\[2\]: 0 is not allowed; expected a finite number > 0 \(metres\)$"):
        nomaqkd.transmittance_from_distance([10.0, 20.0, 0.0])
    with pytest.raises(ValueError, match=r"^wavelength_m: -1 is not allowed"):
        nomaqkd.dbm_to_variance(-60.0, wavelength_m=-1.0)
    with pytest.raises(ValueError, match=r"^detector_efficiency: 1.5 is not allowed"):
        nomaqkd.transmittance_from_distance(100.0, detector_efficiency=1.5)
    with pytest.raises(ValueError, match=r"^convention: x is not allowed"):
        nomaqkd.transmittance_from_distance(100.0, convention="x")


def test_rust_panic_becomes_an_exception():
    with pytest.raises(BaseException) as info:
        _core._panic_for_tests()
    assert type(info.value).__name__ == "PanicException"
    assert "deliberate panic for tests" in str(info.value)


def test_panic_in_a_worker_thread_becomes_an_exception():
    with pytest.raises(BaseException) as info:
        _core._panic_for_tests(in_worker=True)
    assert type(info.value).__name__ == "PanicException"
    # The interpreter is still usable afterwards.
    assert nomaqkd.rates([0.5], 10.0).secret_key_rate.shape == (1,)


def test_panic_does_not_abort_the_process():
    # In a child process: a panic must end as a Python traceback (exit 1), not SIGABRT.
    code = "from nomaqkd import _core; _core._panic_for_tests(in_worker=True)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"RUST_BACKTRACE": "0"})
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-500:])
    assert "PanicException" in proc.stderr

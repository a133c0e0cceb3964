"""The NumPy transcription of bench/python_batched_vs_numpy.py against the batched call.

The benchmark's speed ratio means something only if both sides compute the same
arrays. Its NumPy side is an independent transcription of SPEC §1-§4 (standard,
exact, NOMA in gain order); here every array it computes, at each of its levels, is
compared with the batched call's (the limits are the script's own), on inputs shaped
as the benchmark's and on small K. (Under `standard` the `physical` and `exceeds_plob`
flags are constant, so their comparison here checks the plumbing, not the flags' logic:
tests/test_batched.py and the Rust suite do that.)
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import nomaqkd

SCRIPT = Path(__file__).resolve().parents[3] / "bench" / "python_batched_vs_numpy.py"


@pytest.fixture(scope="module")
def bench():
    pytest.importorskip("resource", reason="the benchmark script counts page faults with the Unix `resource` module")
    if not SCRIPT.is_file():
        pytest.skip(f"{SCRIPT} is not there (tests run outside the repository)")
    spec = importlib.util.spec_from_file_location("python_batched_vs_numpy", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("n,k", [(400, 16), (300, 1), (300, 3), (50, 40)])
def test_numpy_transcription_matches_every_array(bench, n, k):
    t, va = bench.make_inputs(n, k)
    assert (va == 0).any() or n * k < 100  # silent users are part of the inputs
    rust = bench.rust_call(t, va)
    ref = bench.numpy_rates(t, va, "details")
    failed = {name: v for name, v in bench.compare(rust, ref).items() if not v[0] <= v[1]}
    assert not failed, failed


def test_levels_nest_and_agree(bench):
    t, va = bench.make_inputs(200, 16)
    levels = [bench.numpy_rates(t, va, level) for level in bench.LEVELS]
    for smaller, larger in zip(levels, levels[1:]):
        assert set(smaller) < set(larger)
        for name, value in smaller.items():
            np.testing.assert_array_equal(value, larger[name])
    # "arrays" holds exactly the arrays of a details=False call (its non-None fields).
    lean = nomaqkd.rates(t, va, excess_noise=bench.XI, detector_noise=bench.DELTA2,
                         reconciliation_efficiency=bench.ETA, details=False)
    arrays = {f for f, v in lean.to_dict().items() if isinstance(v, np.ndarray)}
    assert arrays == set(levels[1])


def test_comparison_catches_a_wrong_array(bench):
    """The check can fail: a PLOB bound off by one part in 1e12, or one flag flipped."""
    t, va = bench.make_inputs(100, 16)
    rust = bench.rust_call(t, va)
    ref = bench.numpy_rates(t, va, "details")
    ref["plob_bound"] = ref["plob_bound"] * (1.0 + 1e-12)
    ref["physical"] = ref["physical"].copy()
    ref["physical"][3, 5] = ~ref["physical"][3, 5]
    result = bench.compare(rust, ref)
    for name in ("max rel diff PLOB bound", "elements differing: physical"):
        value, limit = result[name]
        assert value > limit, name

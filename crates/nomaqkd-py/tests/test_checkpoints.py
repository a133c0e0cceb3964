"""SPEC checkpoints (shared/checkpoints/rates.json) reproduced through Python,
in the single and the batched form. Tolerance as issue 2: 1e-9 relative, or
1e-12 absolute near 0."""

from __future__ import annotations

import json

import numpy as np
import pytest

import nomaqkd

REL = 1e-9
ABS = 1e-12


def load_cases(path):
    with open(path) as f:
        return json.load(f)["cases"]


def kwargs_of(case):
    return dict(
        excess_noise=case["excess_noise"],
        detector_noise=case["detector_noise"],
        detector_efficiency=case["detector_efficiency"],
        reconciliation_efficiency=case["reconciliation_efficiency"],
        convention=case["convention"],
        model=case["model"],
        access=case["access"],
        order=case["order"],
        literal_eq6=case["literal_eq6"],
    )


def assert_close(got, expected, what):
    got = np.asarray(got, dtype=float)
    expected = np.asarray(expected, dtype=float)
    assert got.shape == expected.shape, what
    ok = np.abs(got - expected) <= np.maximum(REL * np.abs(expected), ABS)
    assert ok.all(), f"{what}: got {got}, expected {expected}"


def check(result, expected, label, row=None):
    pick = (lambda a: a) if row is None else (lambda a: np.asarray(a)[row])
    for key in ("mutual_information", "holevo", "secret_key_rate", "plob_bound"):
        assert_close(pick(getattr(result, key)), expected[key], f"{label}: {key}")
    for key in ("physical", "silent"):
        assert list(pick(getattr(result, key))) == expected[key], f"{label}: {key}"
    for key in ("sum_secret_key_rate", "sum_secret_key_rate_clipped"):
        assert_close(pick(getattr(result, key)), expected[key], f"{label}: {key}")


def test_checkpoint_file_has_cases(checkpoints_path):
    assert len(load_cases(checkpoints_path)) >= 10


def test_single_form_reproduces_checkpoints(checkpoints_path):
    for case in load_cases(checkpoints_path):
        r = nomaqkd.rates(case["transmittance"], case["modulation_variance"], **kwargs_of(case))
        check(r, case["expected"], case["label"])


def test_batched_form_reproduces_checkpoints(checkpoints_path):
    # Each case as row 1 of a 3-row batch (the other rows perturb T a little),
    # so the row bookkeeping of the batched path is exercised too.
    for case in load_cases(checkpoints_path):
        t = np.asarray(case["transmittance"])
        batch = np.stack([t * 0.9, t, t * 0.95])
        r = nomaqkd.rates(batch, case["modulation_variance"], **kwargs_of(case))
        check(r, case["expected"], case["label"] + " (batched)", row=1)


@pytest.mark.parametrize("bad_factor", [1.01])
def test_a_wrong_input_fails_the_comparison(checkpoints_path, bad_factor):
    # The comparison can fail: a 1% change of V_A moves the rates beyond 1e-9.
    case = load_cases(checkpoints_path)[0]
    r = nomaqkd.rates(case["transmittance"], np.asarray(case["modulation_variance"]) * bad_factor, **kwargs_of(case))
    with pytest.raises(AssertionError):
        check(r, case["expected"], case["label"])

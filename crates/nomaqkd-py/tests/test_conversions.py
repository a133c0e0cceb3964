"""Conversions (SPEC §5, §6) through Python, element-wise over arrays."""

from __future__ import annotations

import numpy as np
import pytest

import nomaqkd


def test_spec5_points():
    # SPEC §5: -80 dBm <-> 15.606 SNU and -60 dBm <-> 1560.6 SNU at 1550 nm, 10 MBd (5 digits given).
    assert nomaqkd.dbm_to_variance(-80.0) == pytest.approx(15.606, abs=5e-4)
    v = nomaqkd.dbm_to_variance(np.array([-80.0, -60.0]))
    assert isinstance(v, np.ndarray) and v.shape == (2,)
    assert v[1] == pytest.approx(1560.6, abs=5e-2)
    # Independent: V_A = 2P/(h c / lambda * R_s) with exact SI constants.
    h, c = 6.62607015e-34, 299792458.0
    expect = 2 * 10 ** ((-70.0 - 30) / 10) / (h * c / 1.55e-6 * 1e7)
    assert nomaqkd.dbm_to_variance(-70.0) == pytest.approx(expect, rel=1e-14)


def test_round_trip_and_silent():
    p = np.linspace(-90, -30, 13).reshape(13, 1)
    back = nomaqkd.variance_to_dbm(nomaqkd.dbm_to_variance(p))
    assert back.shape == (13, 1)
    np.testing.assert_allclose(back, p, rtol=0, atol=1e-12)
    assert nomaqkd.dbm_to_variance(-np.inf) == 0.0
    assert nomaqkd.variance_to_dbm(0.0) == -np.inf
    assert isinstance(nomaqkd.variance_to_dbm(1.0), float)


def test_spec6_mean_transmittance_points():
    # SPEC §6: mean T at 50/140/200 m ≈ 0.97/0.85/0.65 times tau_d (two digits), trusted excludes tau_d.
    d = np.array([50.0, 140.0, 200.0])
    trusted = nomaqkd.transmittance_from_distance(d, convention="trusted")
    np.testing.assert_allclose(trusted, [0.97, 0.85, 0.65], atol=0.01)
    standard = nomaqkd.transmittance_from_distance(d)
    np.testing.assert_allclose(standard, 0.6 * trusted, rtol=1e-15)
    faded = nomaqkd.transmittance_from_distance(140.0, convention="trusted", fading=0.5)
    assert faded == pytest.approx(0.5 * trusted[1], rel=1e-15)
    # The clip at 0.999 (SPEC §6).
    assert nomaqkd.transmittance_from_distance(1.0, convention="trusted", fading=10.0) == 0.999

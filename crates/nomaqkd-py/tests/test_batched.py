"""The batched form agrees with the single form element by element, over every
convention, model and access scheme.

The batched form runs the library's columns kernel (nomaqkd::batch), which uses a
branch-free logarithm within 1 ulp of the C library's, so floats agree to a few ulp
rather than bit for bit: I_k and the PLOB bound within 4 ulp (relative); chi_k, SKR_k
and the sums, differences of entropies that can cancel, within 16 eps times a bound
on the entropies' size, 2 + log2(2 + K*(max V + max xi)) bits (per user; K times that
for the sums). Everything not computed through a
logarithm is exact: interference, X_k, orders, positions and the flags (the flag
exceeds_plob is exact away from ties with the bound)."""

from __future__ import annotations

import threading
import zlib
import time

import numpy as np
import pytest

import nomaqkd

EXACT_PER_USER = ("interference", "other_excess_noise", "physical", "silent")
EPS = np.finfo(float).eps


def assert_rows_agree(batch, row, single, v_row, xi_row=0.0):
    """`batch` row `row` against the single-form result (see the module docstring)."""
    for key in EXACT_PER_USER:
        np.testing.assert_array_equal(getattr(batch, key)[row], getattr(single, key), err_msg=key)
    for key in ("mutual_information", "plob_bound"):
        np.testing.assert_allclose(getattr(batch, key)[row], getattr(single, key), rtol=4 * EPS, atol=0, err_msg=key)
    scale = 2.0 + np.log2(2.0 + len(v_row) * (float(np.max(v_row)) + float(np.max(xi_row))))
    for key in ("holevo", "secret_key_rate"):
        assert np.all(np.isfinite(getattr(batch, key)[row])), key
        np.testing.assert_allclose(getattr(batch, key)[row], getattr(single, key), rtol=0, atol=16 * EPS * scale, err_msg=key)
    for key in ("sum_secret_key_rate", "sum_secret_key_rate_clipped"):
        assert abs(getattr(batch, key)[row] - getattr(single, key)) <= 16 * EPS * scale * len(v_row), key
    assert batch.joint_channel_physical[row] == single.joint_channel_physical
    away = np.abs(single.secret_key_rate - single.plob_bound) > 32 * EPS * scale
    np.testing.assert_array_equal(batch.exceeds_plob[row][away], single.exceeds_plob[away])

COMBOS = [
    (conv, model, access)
    for conv in ("standard", "trusted", "paper")
    for model in ("exact", "asymptotic")
    for access in ("noma", "oma", "cih")
    if not (conv == "trusted" and model == "asymptotic")
]


def random_inputs(rng, n, k, convention):
    t = rng.uniform(0.02, 0.98, size=(n, k))
    # Log-uniform V_A over 1..1e6 SNU, with some silent users.
    v = 10.0 ** rng.uniform(0.0, 6.0, size=(n, k))
    v[rng.uniform(size=(n, k)) < 0.15] = 0.0
    xi = rng.uniform(0.0, 0.3, size=(n, k))
    return t, v, xi


@pytest.mark.parametrize("convention,model,access", COMBOS)
def test_batched_equals_single(convention, model, access):
    # A seed that is the same in every run (str hashes are randomised per process).
    rng = np.random.default_rng(zlib.crc32(repr((convention, model, access)).encode()))
    n, k = 40, 5
    t, v, xi = random_inputs(rng, n, k, convention)
    kw = dict(convention=convention, model=model, access=access, reconciliation_efficiency=0.95)
    explicit = list(rng.permutation(k))
    for order in (None, explicit):
        batch = nomaqkd.rates(t, v, excess_noise=xi, order=order, **kw)
        assert batch.secret_key_rate.shape == (n, k)
        assert batch.sum_secret_key_rate.shape == (n,)
        for row in range(n):
            single = nomaqkd.rates(t[row], v[row], excess_noise=xi[row], order=order, **kw)
            assert_rows_agree(batch, row, single, v[row], xi[row])
            if access == "noma":
                np.testing.assert_array_equal(batch.order[row], single.order)
                np.testing.assert_array_equal(batch.decode_position[row], single.decode_position)
            else:
                assert batch.order is None and single.order is None
            if model == "asymptotic":
                np.testing.assert_array_equal(batch.approximation_valid[row], single.approximation_valid)
            else:
                assert batch.approximation_valid is None
            assert batch.slot_fraction == single.slot_fraction


@pytest.mark.parametrize("k", [1, 2, 16, 32, 33, 40])
@pytest.mark.parametrize("access", ["noma", "cih"])
def test_batched_sic_bookkeeping_with_ties_and_many_users(k, access):
    # The gain order is found by counting up to 32 users and by sorting above; T drawn
    # from three levels in half of the users makes ties, broken by index (SPEC §1). One
    # dominant user per row takes the direct-sum branch of X_k and V_I.
    rng = np.random.default_rng(k)
    n = 70
    t = rng.uniform(0.02, 0.98, size=(n, k))
    tie = rng.uniform(size=(n, k)) < 0.5
    t[tie] = rng.choice([0.25, 0.5, 0.75], size=int(tie.sum()))
    v = 10.0 ** rng.uniform(0.0, 6.0, size=(n, k))
    v[rng.uniform(size=(n, k)) < 0.15] = 0.0
    xi = rng.uniform(0.0, 0.3, size=(n, k))
    big = rng.integers(0, k, size=n)
    v[np.arange(n), big] = 1e9
    xi[np.arange(n), big] = 50.0
    batch = nomaqkd.rates(t, v, excess_noise=xi, access=access)
    for row in range(n):
        single = nomaqkd.rates(t[row], v[row], excess_noise=xi[row], access=access)
        assert_rows_agree(batch, row, single, v[row], xi[row])
        if access == "noma":
            np.testing.assert_array_equal(batch.order[row], single.order)
            np.testing.assert_array_equal(batch.decode_position[row], single.decode_position)


@pytest.mark.parametrize("convention,model,access", COMBOS)
def test_batched_agrees_with_single_at_extreme_values(convention, model, access):
    # V_A from 1e-12 to 1e60 SNU (the largest allowed), T within 1e-12 of 0 and 1, zero
    # excess noise, silent users; 2000 rows so that every vector-width remainder occurs.
    rng = np.random.default_rng(zlib.crc32(repr(("extreme", convention, model, access)).encode()))
    n, k = 2000, 7
    t = rng.uniform(0.01, 0.99, size=(n, k))
    edge = rng.uniform(size=(n, k))
    t[edge < 0.05] = 10.0 ** rng.uniform(-12, -3, size=int((edge < 0.05).sum()))
    t[edge > 0.95] = 1.0 - 10.0 ** rng.uniform(-12, -3, size=int((edge > 0.95).sum()))
    lo = 0.0 if convention == "paper" else -12.0
    v = 10.0 ** rng.uniform(lo, 60.0, size=(n, k))
    v[rng.uniform(size=(n, k)) < 0.1] = 0.0
    xi = np.where(rng.uniform(size=(n, k)) < 0.2, 0.0, rng.uniform(0.0, 0.5, size=(n, k)))
    # Now and then an excess noise up to its limit, 1e60 SNU (review: a huge eigenvalue
    # once turned the shared reciprocals, and so silent users' PLOB bound, into NaN).
    huge = rng.uniform(size=(n, k)) < 0.03
    xi[huge] = 10.0 ** rng.uniform(30, 60, size=int(huge.sum()))
    kw = dict(convention=convention, model=model, access=access)
    batch = nomaqkd.rates(t, v, excess_noise=xi, **kw)
    for row in range(0, n, 7):
        single = nomaqkd.rates(t[row], v[row], excess_noise=xi[row], **kw)
        assert_rows_agree(batch, row, single, v[row], xi[row])
    if convention == "paper" and access != "cih":
        # The flagged branch is exercised (under cih the huge interference keeps states physical).
        assert not batch.physical.all()


def test_details_false_drops_only_the_diagnostics():
    rng = np.random.default_rng(11)
    t, v, xi = random_inputs(rng, 300, 6, "standard")
    for model in ("exact", "asymptotic"):
        full = nomaqkd.rates(t, v, excess_noise=xi, model=model)
        lean = nomaqkd.rates(t, v, excess_noise=xi, model=model, details=False)
        for key in ("interference", "other_excess_noise", "exceeds_plob", "approximation_valid", "order", "decode_position"):
            assert getattr(lean, key) is None, key
        for key in ("mutual_information", "holevo", "secret_key_rate", "plob_bound", "physical", "silent",
                    "sum_secret_key_rate", "sum_secret_key_rate_clipped", "joint_channel_physical"):
            np.testing.assert_array_equal(getattr(lean, key), getattr(full, key), err_msg=key)
    # The single form always has them.
    one = nomaqkd.rates(t[0], v[0], excess_noise=xi[0], details=False)
    assert one.interference is not None and one.order is not None


def test_broadcasting_of_modulation_and_noise():
    rng = np.random.default_rng(7)
    t = rng.uniform(0.05, 0.95, size=(6, 3))
    full = nomaqkd.rates(t, np.full((6, 3), 100.0), excess_noise=np.full((6, 3), 0.05))
    for v, xi in ((100.0, 0.05), ([100.0, 100.0, 100.0], [0.05]), (np.full((6, 1), 100.0), 0.05)):
        r = nomaqkd.rates(t, v, excess_noise=xi)
        np.testing.assert_array_equal(r.secret_key_rate, full.secret_key_rate)


def test_no_time_sharing_and_literal_eq6_pass_through():
    t = [[0.9, 0.6, 0.3]]
    shared = nomaqkd.rates(t, 50.0, access="oma")
    per_slot = nomaqkd.rates(t, 50.0, access="oma", time_sharing=False)
    assert shared.slot_fraction == pytest.approx(1 / 3) and per_slot.slot_fraction == 1.0
    np.testing.assert_allclose(per_slot.sum_secret_key_rate, 3 * shared.sum_secret_key_rate, rtol=1e-15)
    a = nomaqkd.rates(t, 50.0, convention="paper")
    b = nomaqkd.rates(t, 50.0, convention="paper", literal_eq6=True)
    assert not np.array_equal(a.mutual_information, b.mutual_information)


def test_empty_batch():
    r = nomaqkd.rates(np.zeros((0, 4)), 10.0)
    assert r.secret_key_rate.shape == (0, 4) and r.sum_secret_key_rate.shape == (0,)


def test_batched_call_releases_the_gil():
    # While a long batched call runs in one thread, a pure-Python loop in this
    # thread must keep running; with the GIL held it would stall for the whole call.
    rng = np.random.default_rng(3)
    t = rng.uniform(0.05, 0.95, size=(200_000, 8))
    done = threading.Event()
    elapsed = {}

    def work():
        start = time.perf_counter()
        nomaqkd.rates(t, 1000.0)
        elapsed["call"] = time.perf_counter() - start
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    ticks = 0
    while not done.is_set():
        ticks += 1
        time.sleep(0.0005)
    worker.join()
    # ~1 tick per 0.5-1 ms expected while the call runs; require a fraction of that.
    assert ticks >= max(5, int(elapsed["call"] / 0.005)), (ticks, elapsed)


def test_ties_and_order_forms():
    # Equal transmittances: gain order breaks ties by index (SPEC §1), per row, in both forms.
    t = np.array([[0.5, 0.5, 0.3], [0.3, 0.5, 0.5]])
    batch = nomaqkd.rates(t, [10.0, 20.0, 30.0])
    assert batch.order.tolist() == [[0, 1, 2], [1, 2, 0]]
    for row in range(2):
        single = nomaqkd.rates(t[row], [10.0, 20.0, 30.0])
        np.testing.assert_array_equal(batch.order[row], single.order)
        assert_rows_agree(batch, row, single, np.array([10.0, 20.0, 30.0]))
    # An explicit order as a list, a numpy array or the CLI's comma string.
    by_list = nomaqkd.rates(t[0], 10.0, order=[2, 0, 1])
    for other in (np.array([2, 0, 1]), "2,0,1"):
        r = nomaqkd.rates(t[0], 10.0, order=other)
        np.testing.assert_array_equal(r.secret_key_rate, by_list.secret_key_rate)
        assert r.order.tolist() == [2, 0, 1]
    assert nomaqkd.rates(0.5, 10.0).secret_key_rate.shape == (1,)

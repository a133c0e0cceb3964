"""`out=`: a batched call writes into the arrays of an earlier result.

The result must equal a call without `out=` bit for bit (the same evaluation writes
into other memory), every element must be overwritten (the reused arrays are filled
with garbage first), and arrays that do not fit are refused with a ValueError."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import nomaqkd
from test_batched import COMBOS  # every valid (convention, model, access)



def inputs(seed, n=131, k=6, paper=False):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0.02, 0.98, size=(n, k))
    v = 10.0 ** rng.uniform(0.0, 6.0, size=(n, k))
    v[rng.uniform(size=(n, k)) < 0.15] = 0.0
    v[0] = 0.0  # an all-silent row
    xi = rng.uniform(0.0, 0.3, size=(n, k))
    xi[1] = 0.0
    return t, v, xi


def arrays_of(result):
    return {f.name: getattr(result, f.name) for f in dataclasses.fields(result) if isinstance(getattr(result, f.name), np.ndarray)}


def spoil(result):
    """Fill every array of `result` with values no evaluation produces."""
    for a in arrays_of(result).values():
        if a.dtype == np.float64:
            a[...] = np.nan
        elif a.dtype == np.bool_:
            a[...] = np.invert(a)
        else:
            a[...] = -7


@pytest.mark.parametrize("details", [True, False])
@pytest.mark.parametrize("convention,model,access", COMBOS)
def test_out_equals_a_fresh_call(convention, model, access, details):
    kw = dict(convention=convention, model=model, access=access, details=details)
    t, v, xi = inputs(1)
    previous = nomaqkd.rates(t, v, excess_noise=xi, **kw)
    spoil(previous)
    t2, v2, xi2 = inputs(2)
    reused = nomaqkd.rates(t2, v2, excess_noise=xi2, out=previous, **kw)
    fresh = nomaqkd.rates(t2, v2, excess_noise=xi2, **kw)
    got, want = arrays_of(reused), arrays_of(fresh)
    assert got.keys() == want.keys()
    for name in want:
        assert got[name] is arrays_of(previous)[name], name  # written in place
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
        assert got[name].tobytes() == want[name].tobytes(), name  # bit for bit, signs of zero too
    for f in dataclasses.fields(fresh):
        if f.name not in want:
            assert getattr(reused, f.name) == getattr(fresh, f.name), f.name


@pytest.mark.parametrize("k", [1, 33, 40])
@pytest.mark.parametrize(
    "kw",
    [
        dict(convention="paper", literal_eq6=True),
        dict(convention="paper", access="cih", literal_eq6=True),
        dict(access="oma", time_sharing=False),
        dict(order="reversed"),
        dict(convention="trusted", access="cih"),
    ],
)
def test_out_equals_a_fresh_call_more_settings(k, kw):
    kw = dict(kw)
    if kw.get("order") == "reversed":
        kw["order"] = list(range(k))[::-1]
    t, v, xi = inputs(5, n=67, k=k)
    previous = nomaqkd.rates(t, v, excess_noise=xi, **kw)
    spoil(previous)
    t2, v2, xi2 = inputs(6, n=67, k=k)
    reused = nomaqkd.rates(t2, v2, excess_noise=xi2, out=previous, **kw)
    fresh = nomaqkd.rates(t2, v2, excess_noise=xi2, **kw)
    for name, want in arrays_of(fresh).items():
        assert getattr(reused, name).tobytes() == want.tobytes(), name


def test_out_with_an_explicit_order_and_broadcast_inputs():
    t, v, xi = inputs(3, n=70, k=4)
    previous = nomaqkd.rates(t, v)
    spoil(previous)
    reused = nomaqkd.rates(t, 25.0, excess_noise=[0.1, 0.0, 0.2, 0.05], order=[3, 1, 0, 2], out=previous)
    fresh = nomaqkd.rates(t, 25.0, excess_noise=[0.1, 0.0, 0.2, 0.05], order=[3, 1, 0, 2])
    for name, want in arrays_of(fresh).items():
        np.testing.assert_array_equal(getattr(reused, name), want, err_msg=name)


def test_out_errors():
    t, v, _ = inputs(4, n=20, k=3)
    result = nomaqkd.rates(t, v)
    with pytest.raises(ValueError, match=r"^out.mutual_information: shape \[20, 3\] is not allowed; expected a writeable C-contiguous float64 array of shape \[19, 3\]"):
        nomaqkd.rates(t[:19], v[:19], out=result)
    lean = nomaqkd.rates(t, v, details=False)
    with pytest.raises(ValueError, match=r"^out.interference: missing; expected"):
        nomaqkd.rates(t, v, out=lean)
    with pytest.raises(ValueError, match=r"^out: a dict is not allowed; expected a RateResult"):
        nomaqkd.rates(t, v, out=arrays_of(result))
    with pytest.raises(ValueError, match=r"^out: not allowed for a single scenario"):
        nomaqkd.rates(t[0], v[0], out=result)
    # The asymptotic model adds approximation_valid, which an exact-model result lacks.
    with pytest.raises(ValueError, match=r"^out.approximation_valid: missing"):
        nomaqkd.rates(t, v, model="asymptotic", out=result)
    frozen = nomaqkd.rates(t, v)
    frozen.holevo.flags.writeable = False
    with pytest.raises(ValueError, match=r"^out.holevo: cannot be written: it is not writeable"):
        nomaqkd.rates(t, v, out=frozen)
    # An output that is also an input (the evaluation would read what it writes).
    shared = nomaqkd.rates(t, v)
    shared.plob_bound[...] = t
    with pytest.raises(ValueError, match=r"^out.plob_bound: cannot be written: it is already borrowed .*sharing memory with an input"):
        nomaqkd.rates(shared.plob_bound, v, out=shared)
    # Two outputs in the same memory (a hand-made result).
    twice = dataclasses.replace(result, holevo=result.mutual_information)
    with pytest.raises(ValueError, match=r"^out.holevo: cannot be written: it is already borrowed"):
        nomaqkd.rates(t, v, out=twice)
    # Views of one buffer that numpy's borrow tracking does not relate (different base
    # objects): an output overlapping an input, and two overlapping outputs.
    n, k = t.shape
    buffer = bytearray(8 * 2 * n * k)
    first = np.frombuffer(buffer, dtype=np.float64, count=n * k).reshape(n, k)
    second = np.frombuffer(buffer, dtype=np.float64, count=n * k).reshape(n, k)
    first[...] = t
    tangled = dataclasses.replace(result, interference=second)
    with pytest.raises(ValueError, match=r"^out.interference: shares memory with transmittance; expected output arrays separate"):
        nomaqkd.rates(first, v, out=tangled)
    overlapping = np.frombuffer(buffer, dtype=np.float64, count=n * k, offset=8).reshape(n, k)
    tangled = dataclasses.replace(result, mutual_information=first, holevo=overlapping)
    with pytest.raises(ValueError, match=r"^out.holevo: shares memory with out.mutual_information"):
        nomaqkd.rates(t, v, out=tangled)
    # Unaligned data (a view at an odd byte offset).
    odd_buffer = bytearray(8 * n * k + 1)
    unaligned = np.frombuffer(odd_buffer, dtype=np.float64, offset=1, count=n * k).reshape(n, k)
    with pytest.raises(ValueError, match=r"^out.holevo: an array whose data are not aligned for float64 is not allowed"):
        nomaqkd.rates(t, v, out=dataclasses.replace(result, holevo=unaligned))
    # Wrong dtype (a hand-made result).
    odd = dataclasses.replace(result, secret_key_rate=result.secret_key_rate.astype(np.float32))
    with pytest.raises(ValueError, match=r"^out.secret_key_rate: not allowed; expected a writeable C-contiguous float64 array of shape \[20, 3\]"):
        nomaqkd.rates(t, v, out=odd)
    # Not C-contiguous.
    strided = dataclasses.replace(result, holevo=np.asfortranarray(result.holevo))
    with pytest.raises(ValueError, match=r"^out.holevo: an array that is not C-contiguous is not allowed"):
        nomaqkd.rates(t, v, out=strided)

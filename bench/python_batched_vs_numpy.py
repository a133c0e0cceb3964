#!/usr/bin/env python3
"""Batched nomaqkd.rates vs a pure-NumPy vectorised transcription (issue 5).

1e6 user-evaluations: N = 62,500 scenarios x K = 16 users, `standard`
convention, exact model, NOMA with SIC in gain order (SPEC §2-§4), xi = 0.1,
delta^2 = 0.0256, eta = 0.92. Both sides get the same inputs; the script checks
that they agree and prints the medians and the ratios.

    python bench/python_batched_vs_numpy.py [--repeats 7] [--block 5] [--n 62500] [--k 16]

The NumPy side below is written from SPEC's formulas for this benchmark only
(it is not used by the package). It runs single-threaded (element-wise NumPy),
at three levels (LEVELS): "key" (I, chi, SKR and the sums only, what this script
timed until 2026-11-27), "arrays" (also the PLOB bound, `physical`, `silent` and
`joint_channel_physical`: every array of a details=False call) and "details" (also every array of the
default call). The script checks every array against the batched call's.
The batched call is timed four ways: as called by default (every output array,
new arrays each call), with details=False (only the arrays the issue lists, the
sums and the joint-channel flag), and both again with out= (the previous result's arrays overwritten,
as a loop over batches of one shape would do). Each is compared with the NumPy
level that computes the same arrays (and, for continuity, with "key"). It uses
rayon's default pool (RAYON_NUM_THREADS, default: all cores); a second
measurement with RAYON_NUM_THREADS=1 runs in a child process.

Timing: `--repeats` rounds; in each round every contender (NumPy and the four
variants) runs a block of `--block` calls back to back, as a loop over batches
would call it, in an order that rotates from round to round (so that slow drifts
of the machine's speed hit all alike; a NumPy block lasts ~1 s, a nomaqkd block
~0.1-0.2 s, so short bursts of load do not). Medians are over all calls. One more
line times the default call right after a NumPy run, call by call, as earlier
versions of this script did. The page faults per call are printed: whether a call
with new output arrays gets recycled heap memory or fresh pages that the kernel
must zero depends on the C library's heap, i.e. on what ran before (docs/BENCHMARKS.md).
Set GLIBC_TUNABLES (e.g. glibc.malloc.trim_threshold and mmap_threshold) to make
glibc keep freed memory for both sides.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

import nomaqkd

LN2 = np.log(2.0)
XI = 0.1
DELTA2 = 0.0256
ETA = 0.92


def h_stable(x: np.ndarray) -> np.ndarray:
    """SPEC §2: h(x) = [ln(1+y) + y ln(1+1/y)]/ln 2, y = (x-1)/2, and 0 for x <= 1."""
    y = np.maximum((x - 1.0) / 2.0, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        val = (np.log1p(y) + y * np.log1p(1.0 / y)) / LN2
    return np.where(x > 1.0, val, 0.0)


# What the NumPy transcription computes (its levels; each includes the previous):
# "key": I_k, chi_k, SKR_k and the two sums (the transcription of sessions 1-7);
# "arrays": also the PLOB bound, `physical`, `silent` and the joint-channel flag, i.e.
#   every array the batched call returns with details=False (issue 5: "per-user numpy
#   arrays (mutual information, Holevo, key rate, PLOB bound, physical, silent) and the
#   sums");
# "details": also the default call's diagnostic arrays (order, decode_position,
#   interference, other_excess_noise, exceeds_plob).
LEVELS = ("key", "arrays", "details")


def numpy_rates(t: np.ndarray, va: np.ndarray, level: str = "arrays", xi: float = XI, d2: float = DELTA2,
                eta: float = ETA) -> dict:
    """Standard convention, exact model, NOMA gain order: the arrays of `level`
    (LEVELS), named as the fields of nomaqkd.RateResult."""
    if level not in LEVELS:
        raise ValueError(f"level: {level!r}; expected one of {LEVELS}")
    n, k = t.shape
    active = va > 0.0
    # SIC order: descending T, ties by ascending index (SPEC §1) -> stable sort of -T.
    order = np.argsort(-t, axis=1, kind="stable")
    rows = np.arange(n)[:, None]
    tv_sorted = (t * va)[rows, order]
    # V_I of the user at position p = sum of T*V_A over positions > p (decoded after it; silent users add 0).
    # (a sum from the last-decoded user back, shifted by one position: no cancellation)
    after = np.zeros_like(t)
    after[:, :-1] = np.cumsum(tv_sorted[:, :0:-1], axis=1)[:, ::-1]
    vi = np.empty_like(t)
    vi[rows, order] = after
    # X_k: T_i xi_i over the other active users (SPEC §4.1).
    txi = np.where(active, t * xi, 0.0)
    x = txi.sum(axis=1, keepdims=True) - txi
    z = 1.0 - t + t * xi + x + d2 + vi
    v = va + 1.0
    info = np.log1p(t * va / (1.0 + t + z)) / LN2
    delta = z - (1.0 - t) * v
    p = t + v * z
    l1 = (np.sqrt(delta * delta + 4.0 * p) + np.abs(delta)) / 2.0
    l2 = p / l1
    b = t * v + z
    lhet = (v * (z + 1.0) + t) / (b + 1.0)
    chi = h_stable(l1) + h_stable(l2) - h_stable(lhet)
    skr = np.where(active, eta * info - chi, 0.0)
    out = {
        "mutual_information": np.where(active, info, 0.0),
        "holevo": np.where(active, chi, 0.0),
        "secret_key_rate": skr,
        "sum_secret_key_rate": skr.sum(axis=1),
        "sum_secret_key_rate_clipped": np.maximum(skr, 0.0).sum(axis=1),
    }
    if level == "key":
        return out
    # SPEC §2: PLOB bound -log2(1 - T); physical: the eigenvalues >= 1 - 1e-9 (lambda_1 >= lambda_2).
    plob = np.log1p(-t) / -LN2
    out["plob_bound"] = plob
    out["physical"] = ~active | (np.minimum(l2, lhet) >= 1.0 - 1e-9)
    out["silent"] = ~active
    out["joint_channel_physical"] = t.sum(axis=1) <= 1.0
    if level == "arrays":
        return out
    position = np.empty((n, k), dtype=np.int64)
    position[rows, order] = np.arange(k)
    out["order"] = order
    out["decode_position"] = position
    out["interference"] = vi
    out["other_excess_noise"] = x
    out["exceeds_plob"] = active & (skr > plob)
    return out


def make_inputs(n: int, k: int, seed: int = 2026):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0.05, 0.95, size=(n, k))
    # Powers -90..-50 dBm at the transmitter (SPEC §5), 5% silent users.
    va = nomaqkd.dbm_to_variance(rng.uniform(-90.0, -50.0, size=(n, k)))
    va[rng.uniform(size=(n, k)) < 0.05] = 0.0
    return t, va


FAULTS: dict = {}


def minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def times_of(fn, repeats: int, label: str = "") -> list:
    """Wall times (s) of `repeats` calls; the page faults of each call go to FAULTS[label]."""
    times = []
    for _ in range(repeats):
        faults = minor_faults()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        FAULTS.setdefault(label, []).append(minor_faults() - faults)
    return times


def rust_call(t, va, details: bool = True, out=None):
    return nomaqkd.rates(
        t, va, excess_noise=XI, detector_noise=DELTA2, reconciliation_efficiency=ETA, details=details, out=out
    )


# The batched call four ways, each with the NumPy level that computes the same arrays.
VARIANTS = {
    "default": dict(details=True, reuse=False, numpy="details"),
    "details=False": dict(details=False, reuse=False, numpy="arrays"),
    "default, out=": dict(details=True, reuse=True, numpy="details"),
    "details=False, out=": dict(details=False, reuse=True, numpy="arrays"),
}


def time_variants(t, va, repeats: int, block: int, extra=None) -> dict:
    """Median-ready times (s) of every variant (and of the functions of the dict
    `extra`, timed in the same rounds under their keys): `repeats` rounds of a block
    of `block` back-to-back calls of each, in a rotating order."""
    previous = {d: rust_call(t, va, details=d) for d in (True, False)}
    fns = {}
    for name, v in VARIANTS.items():
        out = previous[v["details"]] if v["reuse"] else None
        fns[name] = lambda v=v, out=out: rust_call(t, va, v["details"], out)
    fns.update(extra or {})
    names = list(fns)
    times = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[: r % len(names)]:
            times[name] += times_of(fns[name], block, name)
    return times


def time_after(t, va, repeats: int, before) -> list:
    """Times (s) of the default call, each right after a call of `before`."""
    times = []
    for _ in range(repeats):
        before()
        times += times_of(lambda: rust_call(t, va), 1, "after numpy")
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=62_500)
    ap.add_argument("--k", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=7, help="rounds")
    ap.add_argument("--block", type=int, default=5, help="back-to-back calls per contender and round")
    ap.add_argument("--rust-only", action="store_true", help="(internal) time only the batched call, print JSON")
    args = ap.parse_args()
    t, va = make_inputs(args.n, args.k)
    rust_call(t[:10], va[:10])  # warm-up: thread pool, imports

    if args.rust_only:
        print(json.dumps(time_variants(t, va, args.repeats, args.block)))
        return 0

    evals = args.n * args.k
    rust = rust_call(t, va)
    ref = numpy_rates(t, va, "details")
    agreement = compare(rust, ref)

    load = os.getloadavg()[0]
    # All variants and NumPy in rotating blocks, so that drifts of the machine's speed hit them alike.
    numpy_fns = {f"numpy {level}": lambda level=level: numpy_rates(t, va, level) for level in LEVELS}
    times = time_variants(t, va, args.repeats, args.block, extra=numpy_fns)
    after_numpy = time_after(t, va, args.repeats, numpy_fns["numpy key"])
    child = subprocess.run(
        [sys.executable, __file__, "--rust-only", "--n", str(args.n), "--k", str(args.k),
         "--repeats", str(args.repeats), "--block", str(args.block)],
        env={**os.environ, "RAYON_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    times1 = json.loads(child.stdout)
    t_numpy = {level: statistics.median(times[f"numpy {level}"]) for level in LEVELS}

    print(f"user-evaluations: {evals:,} (N = {args.n:,} x K = {args.k}), standard / exact / noma gain order")
    print(f"numpy {np.__version__}, nomaqkd {nomaqkd.__version__}, {os.cpu_count()} CPUs, "
          f"medians (min) of {args.repeats} rounds x {args.block} back-to-back calls, "
          f"1-min load average at start {load:.2f}")
    print("agreement (nomaqkd vs NumPy transcription, every array of the default call):")
    for name, (value, limit) in agreement.items():
        print(f"  {name:<40} {value:.3e} (limit {limit:.0e})")

    def line(label, values, level, faults=None):
        med = statistics.median(values)
        pf = f", page faults/call {statistics.median(faults):>6.0f}" if faults else ""
        print(f"{label:<44}: {med * 1e3:8.1f} ms  ({med / evals * 1e9:6.1f} ns/user), min {min(values) * 1e3:6.1f} ms, "
              f"NumPy {level}/this {t_numpy[level] / med:5.1f}x, NumPy key/this {t_numpy['key'] / med:5.1f}x{pf}")

    for level in LEVELS:
        line(f"NumPy vectorised, {level} (1 thread)", times[f"numpy {level}"], level, FAULTS[f"numpy {level}"])
    for name, v in VARIANTS.items():
        line(f"nomaqkd batched {name} ({os.cpu_count()} thr.)", times[name], v["numpy"], FAULTS[name])
        line(f"nomaqkd batched {name} (1 thread)", times1[name], v["numpy"])
    line(f"default, right after a NumPy run ({os.cpu_count()} thr.)", after_numpy, "details", FAULTS["after numpy"])
    ok_agree = all(value <= limit for value, limit in agreement.values())
    print(f"agreement: {'PASS' if ok_agree else 'FAIL'}")
    for name, v in VARIANTS.items():
        med = statistics.median(times[name])
        ratio = t_numpy[v["numpy"]] / med
        print(f"targets ({name} vs NumPy {v['numpy']}, default threads): >= 10x {'PASS' if ratio >= 10 else 'MISS'} "
              f"({ratio:.1f}x); <= 0.2 s {'PASS' if med <= 0.2 else 'MISS'}")
    return 0 if ok_agree else 1


def compare(rust, ref: dict) -> dict:
    """Largest differences between the batched call's arrays and NumPy's: name ->
    (value, limit). Floats: relative difference (SKR: absolute, in bits, as it can
    cancel to 0; chi over active users, as it is 0 for silent ones; the sums relative to
    the row's sum of |SKR_k|, as a sum can cancel too); flags and integers: number of
    elements that differ. (Under `standard`, as here, `physical` is always true and
    `exceeds_plob` always false; they are compared all the same.)"""
    rel = lambda a, b: float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))  # noqa: E731
    scale = np.maximum(np.abs(ref["secret_key_rate"]).sum(axis=1), 1e-300)
    rel_sum = lambda a, b: float(np.max(np.abs(a - b) / scale))  # noqa: E731
    active = ~ref["silent"]
    out = {
        "max rel diff I_k": (rel(rust.mutual_information, ref["mutual_information"]), 1e-12),
        "max rel diff chi_k (active)": (rel(rust.holevo[active], ref["holevo"][active]), 1e-9),
        "max abs diff SKR_k (bit/symbol)": (float(np.max(np.abs(rust.secret_key_rate - ref["secret_key_rate"]))),
                                             1e-9),
        "max diff sum SKR / sum |SKR_k|": (rel_sum(rust.sum_secret_key_rate, ref["sum_secret_key_rate"]), 1e-9),
        "max diff clipped sum / sum |SKR_k|": (rel_sum(rust.sum_secret_key_rate_clipped,
                                                       ref["sum_secret_key_rate_clipped"]), 1e-9),
        "max rel diff PLOB bound": (rel(rust.plob_bound, ref["plob_bound"]), 1e-14),
        "max rel diff interference": (rel(rust.interference, ref["interference"]), 1e-12),
        "max rel diff other_excess_noise": (rel(rust.other_excess_noise, ref["other_excess_noise"]), 1e-12),
    }
    for name in ("physical", "silent", "exceeds_plob", "order", "decode_position", "joint_channel_physical"):
        out[f"elements differing: {name}"] = (float(np.count_nonzero(getattr(rust, name) != ref[name])), 0)
    return out


if __name__ == "__main__":
    sys.exit(main())

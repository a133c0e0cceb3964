#!/usr/bin/env python3
"""Batched nomaqkd.rates vs a pure-NumPy vectorised transcription (issue 5).

1e6 user-evaluations: N = 62,500 scenarios x K = 16 users, `standard`
convention, exact model, NOMA with SIC in gain order (SPEC §2-§4), xi = 0.1,
delta^2 = 0.0256, eta = 0.92. Both sides get the same inputs; the script checks
that they agree and prints the medians and the ratio.

    python bench/python_batched_vs_numpy.py [--repeats 7] [--block 5] [--n 62500] [--k 16]

The NumPy side below is written from SPEC's formulas for this benchmark only
(it is not used by the package). It runs single-threaded (element-wise NumPy).
The batched call is timed four ways: as called by default (every output array,
new arrays each call), with details=False (only the arrays the issue lists and
the sums), and both again with out= (the previous result's arrays overwritten,
as a loop over batches of one shape would do). It uses rayon's default pool
(RAYON_NUM_THREADS, default: all cores); a second measurement with
RAYON_NUM_THREADS=1 runs in a child process.

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


def numpy_rates(t: np.ndarray, va: np.ndarray, xi: float = XI, d2: float = DELTA2, eta: float = ETA):
    """Per-user SKR (N, K) and sums (N,), standard convention, exact model, NOMA gain order."""
    n, k = t.shape
    active = va > 0.0
    # SIC order: descending T, ties by ascending index (SPEC §1) -> stable sort of -T.
    order = np.argsort(-t, axis=1, kind="stable")
    rows = np.arange(n)[:, None]
    tv_sorted = (t * va)[rows, order]
    # V_I of the user at position p = sum of T*V_A over positions > p (decoded after it; silent users add 0).
    after = np.cumsum(tv_sorted[:, ::-1], axis=1)[:, ::-1] - tv_sorted
    vi = np.empty_like(t)
    vi[rows, order] = np.maximum(after, 0.0)
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
    info = np.where(active, info, 0.0)
    chi = np.where(active, chi, 0.0)
    return info, chi, skr, skr.sum(axis=1), np.maximum(skr, 0.0).sum(axis=1)


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


VARIANTS = {
    "default": dict(details=True, reuse=False),
    "details=False": dict(details=False, reuse=False),
    "default, out=": dict(details=True, reuse=True),
    "details=False, out=": dict(details=False, reuse=True),
}


def time_variants(t, va, repeats: int, block: int, extra=None) -> dict:
    """Median-ready times (s) of every variant (and with `extra`, a second function
    timed in the same rounds, under the key "numpy"): `repeats` rounds of a block of
    `block` back-to-back calls of each, in a rotating order."""
    previous = {d: rust_call(t, va, details=d) for d in (True, False)}
    fns = {}
    for name, v in VARIANTS.items():
        out = previous[v["details"]] if v["reuse"] else None
        fns[name] = lambda v=v, out=out: rust_call(t, va, v["details"], out)
    if extra is not None:
        fns["numpy"] = extra
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
    ref = numpy_rates(t, va)
    rel = lambda a, b: float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))  # noqa: E731
    max_rel_info = rel(rust.mutual_information, ref[0])
    active = va > 0
    max_rel_chi = rel(rust.holevo[active], ref[1][active])
    max_abs_skr = float(np.max(np.abs(rust.secret_key_rate - ref[2])))
    max_rel_skr = float(np.max(np.abs(rust.secret_key_rate - ref[2]) / np.maximum(np.abs(ref[2]), 1e-3)))
    max_rel_sum = rel(rust.sum_secret_key_rate, ref[3])

    load = os.getloadavg()[0]
    # All variants and NumPy in rotating blocks, so that drifts of the machine's speed hit them alike.
    times = time_variants(t, va, args.repeats, args.block, extra=lambda: numpy_rates(t, va))
    after_numpy = time_after(t, va, args.repeats, lambda: numpy_rates(t, va))
    child = subprocess.run(
        [sys.executable, __file__, "--rust-only", "--n", str(args.n), "--k", str(args.k),
         "--repeats", str(args.repeats), "--block", str(args.block)],
        env={**os.environ, "RAYON_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    times1 = json.loads(child.stdout)
    t_numpy = statistics.median(times["numpy"])

    print(f"user-evaluations: {evals:,} (N = {args.n:,} x K = {args.k}), standard / exact / noma gain order")
    print(f"numpy {np.__version__}, nomaqkd {nomaqkd.__version__}, {os.cpu_count()} CPUs, "
          f"medians (min) of {args.repeats} rounds x {args.block} back-to-back calls, "
          f"1-min load average at start {load:.2f}")
    print("agreement (nomaqkd vs NumPy transcription):")
    print(f"  max rel diff I_k            {max_rel_info:.3e}")
    print(f"  max rel diff chi_k (active) {max_rel_chi:.3e}")
    print(f"  max abs diff SKR_k          {max_abs_skr:.3e} bit/symbol (rel, floor 1e-3: {max_rel_skr:.3e})")
    print(f"  max rel diff sum SKR        {max_rel_sum:.3e}")

    def line(label, values, faults=None):
        med = statistics.median(values)
        pf = f", page faults/call {statistics.median(faults):>6.0f}" if faults else ""
        print(f"{label:<44}: {med * 1e3:8.1f} ms  ({med / evals * 1e9:6.1f} ns/user), min {min(values) * 1e3:6.1f} ms, "
              f"NumPy/this {t_numpy / med:5.1f}x{pf}")

    line("NumPy vectorised (1 thread)", times["numpy"], FAULTS["numpy"])
    for name in VARIANTS:
        line(f"nomaqkd batched {name} ({os.cpu_count()} thr.)", times[name], FAULTS[name])
        line(f"nomaqkd batched {name} (1 thread)", times1[name])
    line(f"default, right after a NumPy run ({os.cpu_count()} thr.)", after_numpy, FAULTS["after numpy"])
    ok_agree = max_rel_info < 1e-12 and max_rel_chi < 1e-9 and max_abs_skr < 1e-9
    print(f"agreement: {'PASS' if ok_agree else 'FAIL'}")
    for name in VARIANTS:
        med = statistics.median(times[name])
        print(f"targets ({name}, default threads): >= 10x {'PASS' if t_numpy / med >= 10 else 'MISS'}; "
              f"<= 0.2 s {'PASS' if med <= 0.2 else 'MISS'}")
    return 0 if ok_agree else 1


if __name__ == "__main__":
    sys.exit(main())

"""optimize / compare / sweep release the GIL while they compute: a pure-Python
loop in another thread keeps running during the call (it would stall for the
whole call if the GIL were held)."""

from __future__ import annotations

import threading
import time

import nomaqkd


def ticks_during(call):
    done = threading.Event()
    elapsed = {}

    def work():
        start = time.perf_counter()
        call()
        elapsed["call"] = time.perf_counter() - start
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    ticks = 0
    while not done.is_set():
        ticks += 1
        time.sleep(0.0005)
    worker.join()
    return ticks, elapsed["call"]


def test_optimize_releases_the_gil():
    # order="best": every SIC order of 5 users, each a global search (~0.3 s).
    ticks, call = ticks_during(
        lambda: nomaqkd.optimize([0.5, 0.4, 0.3, 0.2, 0.1], bs_max_dbm=-60, excess_noise=0.01, order="best")
    )
    # ~1 tick per 0.5-1 ms expected while the call runs; require a fraction of that.
    assert ticks >= max(5, int(call / 0.005)), (ticks, call)


def test_compare_releases_the_gil():
    ticks, call = ticks_during(
        lambda: nomaqkd.compare([0.5, 0.4, 0.3, 0.2, 0.1], bs_max_dbm=-60, excess_noise=0.01, order="best")
    )
    assert ticks >= max(5, int(call / 0.005)), (ticks, call)


def test_sweep_releases_the_gil():
    scenario = {
        "distance_range_m": [50.0, 150.0],
        "users": 4,
        "sigma_x": 0.3,
        "realizations": 150,
        "policies": ["global"],
        "axes": [{"name": "power_dbm", "values": [-70, -65, -60, -55]}],
    }
    ticks, call = ticks_during(lambda: nomaqkd.sweep(scenario))
    assert ticks >= max(5, int(call / 0.005)), (ticks, call)


def test_simulate_releases_the_gil():
    ticks, call = ticks_during(
        lambda: nomaqkd.simulate([0.8, 0.4], [20.0, 50.0], symbols=1e6, replicates=4, coverage_replicates=0)
    )
    assert ticks >= max(5, int(call / 0.005)), (ticks, call)

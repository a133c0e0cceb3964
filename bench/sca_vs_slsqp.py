#!/usr/bin/env python3
"""Side-by-side: nomaqkd's SCA (Rust, release example) vs SciPy SLSQP on the same P1
instance (issue 3): raw objective, standard, exact, T = 16 values 0.95 -> 0.2, xi = 0.1,
delta^2 = 0.0256, eta = 0.92, V_max^BS = 1e3, one start from equal received power.

Run from the repository root:  python3 bench/sca_vs_slsqp.py
(builds nothing; run `cargo build --release -p nomaqkd --example alloc_facts` first)."""
import json
import os
import subprocess
import sys
import time

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "peer"))
from noma_numpy import Instance, budget  # noqa: E402

K = 16
T = np.linspace(0.95, 0.2, K)
XI, D2, ETA, VMAX, VMIN = 0.1, 0.0256, 0.92, 1e3, 1e-6
inst = Instance(T, XI, D2, ETA, np.argsort(-T, kind="stable"))
B = budget(T, XI, D2, VMAX)
x0 = np.full(K, B / T.sum())
cons = [{"type": "ineq", "fun": lambda v: B - T @ v, "jac": lambda v: -T}]
bounds = [(VMIN, B / t) for t in T]


def slsqp(jac):
    reps = 5
    t0 = time.perf_counter()
    for _ in range(reps):
        r = minimize(lambda v: -inst.objective(v), x0, jac=(lambda v: -inst.gradient(v)) if jac else None,
                     bounds=bounds, constraints=cons, method="SLSQP", options={"maxiter": 1000, "ftol": 1e-12})
    return (time.perf_counter() - t0) / reps, -r.fun, r


# Check the transcription's gradient against finite differences once.
g = inst.gradient(x0)
eps = 1e-6 * x0
fd = np.array([(inst.objective(x0 + e) - inst.objective(x0 - e)) / (2 * e[i]) for i, e in enumerate(np.diag(eps))])
assert np.allclose(g, fd, rtol=1e-5, atol=1e-9), (g, fd)

exe = os.path.join("target", "release", "examples", "alloc_facts")
out = json.loads(subprocess.run([exe, "slsqp-instance"], capture_output=True, text=True, check=True).stdout)
rust_val_numpy = inst.objective(np.array(out["powers"]))
t_fd, f_fd, r_fd = slsqp(False)
t_an, f_an, r_an = slsqp(True)
print(f"instance: K={K}, B={B:.6f} SNU, raw objective, standard/exact, one start (equal received power)")
print(f"{'solver':28s} {'time [s]':>12s} {'objective [bit/sym]':>22s} {'ratio vs SCA':>13s}")
print(f"{'nomaqkd sca (Rust)':28s} {out['seconds']:12.3e} {out['objective']:22.12f} {1.0:13.1f}")
print(f"{'SLSQP, FD gradients':28s} {t_fd:12.3e} {f_fd:22.12f} {t_fd / out['seconds']:13.1f}")
print(f"{'SLSQP, analytic gradients':28s} {t_an:12.3e} {f_an:22.12f} {t_an / out['seconds']:13.1f}")
print(f"SCA point re-evaluated by the NumPy transcription: {rust_val_numpy:.12f}")
print(f"SCA - best SLSQP objective: {out['objective'] - max(f_fd, f_an):+.3e} (target >= -1e-9)")
print(f"SCA iterations {out['iterations']}, status {out['status']}; SLSQP nit {r_fd.nit} (FD) / {r_an.nit} (analytic)")

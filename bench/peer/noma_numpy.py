"""NumPy transcription of SPEC §2, §3 (noma), §4.1 (standard, exact) and §5, written
from SPEC's formulas (not from the Rust code), for the SLSQP comparison of
bench/sca_vs_slsqp.py. Raw objective: eq. (21) summed over all K users."""
import numpy as np

LN2 = np.log(2.0)


def h(x):
    """Thermal entropy, SPEC §2 stable form; 0 for x <= 1."""
    x = np.asarray(x, dtype=float)
    y = np.maximum((x - 1.0) / 2.0, 1e-300)
    out = (np.log1p(y) + y * np.log1p(1.0 / y)) / LN2
    return np.where(x > 1.0, out, 0.0)


def dh(x):
    """h'(x) = log2((x+1)/(x-1))/2 for x > 1."""
    x = np.asarray(x, dtype=float)
    return np.where(x > 1.0, 0.5 * np.log1p(2.0 / np.maximum(x - 1.0, 1e-300)) / LN2, 0.0)


class Instance:
    def __init__(self, t, xi, d2, eta, order):
        self.t = np.asarray(t, float)
        self.xi = np.broadcast_to(np.asarray(xi, float), self.t.shape).copy()
        self.d2, self.eta = d2, eta
        self.order = np.asarray(order)
        k = len(t)
        # later[k, i] = 1 when i is decoded after k (i interferes with k).
        pos = np.empty(k, int)
        pos[self.order] = np.arange(k)
        self.later = (pos[None, :] > pos[:, None]).astype(float)

    def parts(self, va):
        t, xi = self.t, self.xi
        tx = t * xi
        x_other = tx.sum() - tx  # all users active (raw objective, V_A >= V_min > 0)
        vi = self.later @ (t * va)
        z = 1.0 - t + t * xi + x_other + self.d2 + vi
        v = va + 1.0
        return t, v, z, vi

    def rates(self, va):
        t, v, z, _ = self.parts(va)
        info = np.log1p(t * va / (1.0 + t + z)) / LN2
        delta = z - (1.0 - t) * v
        p = t + v * z
        s = np.sqrt(delta * delta + 4.0 * p)
        l1 = 0.5 * (s + np.abs(delta))
        l2 = p / l1
        b = t * v + z
        lhet = (v * (z + 1.0) + t) / (b + 1.0)
        chi = h(l1) + h(l2) - h(lhet)
        return self.eta * info - chi

    def objective(self, va):
        return float(self.rates(va).sum())

    def gradient(self, va):
        """Analytic gradient (chain rule through V_A,k and V_I,k), same derivation as docs/MODEL.md."""
        t, v, z, _ = self.parts(va)
        den = 1.0 + t + z
        tv = t * va
        di_dva = t / ((den + tv) * LN2)
        di_dz = -tv / (den * (den + tv) * LN2)
        delta = z - (1.0 - t) * v
        p = t + v * z
        s = np.sqrt(delta * delta + 4.0 * p)
        l1 = 0.5 * (s + np.abs(delta))
        l2 = p / l1
        sg = np.where(delta >= 0, 1.0, -1.0)

        def dl(dd, dp):
            ds = (delta * dd + 2.0 * dp) / s
            d1 = 0.5 * (ds + sg * dd)
            return d1, (dp - l2 * d1) / l1

        d1v, d2v = dl(-(1.0 - t), z)
        d1z, d2z = dl(np.ones_like(t), v)
        m = t * v + z + 1.0
        n = v * (z + 1.0) + t
        dhv = ((z + 1.0) * m - n * t) / m**2
        dhz = (v * m - n) / m**2
        lhet = n / m
        dchi_dv = dh(l1) * d1v + dh(l2) * d2v - dh(lhet) * dhv
        dchi_dz = dh(l1) * d1z + dh(l2) * d2z - dh(lhet) * dhz
        own = self.eta * di_dva - dchi_dv
        g_vi = self.eta * di_dz - dchi_dz  # dSKR_k / dV_I,k
        # dV_I,k/dV_A,i = T_i * later[k, i]
        return own + t * (self.later.T @ g_vi)


def budget(t, xi, d2, vmax):
    """SPEC §5: B = V_max^BS − Σ (1−T_i) ξ_i − δ²."""
    t = np.asarray(t, float)
    return vmax - float(((1.0 - t) * np.broadcast_to(xi, t.shape)).sum()) - d2

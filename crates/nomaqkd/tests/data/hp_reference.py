#!/usr/bin/env python3
"""High-precision reference values for crates/nomaqkd/tests/high_precision.rs.

Run once:  python3 crates/nomaqkd/tests/data/hp_reference.py > /tmp/hp.rs
and paste the printed constants into the test. Needs mpmath (tested with 1.3.0).

Every result is computed to 50 significant digits with mpmath. Each formula is
evaluated *as printed* in the physics literature, not in SPEC's rearranged
f64-friendly forms; where a printed formula cancels (eq. (9) at large x, the
minus root of λ2² at large V), the working precision is raised by the number of
digits the cancellation can lose, so the printed results keep 50 correct digits.
Each eigenvalue is also cross-checked against a 50-digit general eigen-solve
(mpmath.eig of Ωγ) and the script aborts on a disagreement above 1e-30.

Inputs are IEEE doubles (printed with repr, which Rust parses to the same
double); mpmath converts them exactly. Derived inputs that the library forms in
f64 (V = V_A + 1, Z) are formed here the same way for the eigenvalue tables
(the functions under test take them as arguments), and exactly for the rate
tables (the rate functions take V_A, T, ξ, δ²; the library's own rounding of
V and Z is part of what is tested).
"""
import mpmath
from mpmath import mp, mpf, sqrt, log, matrix, ceil, log10

BASE_DPS = 50
mp.dps = BASE_DPS


def guard(*mags):
    """Extra digits lost to cancellation for quantities of these magnitudes."""
    m = max([mpf(10)] + [abs(mpf(x)) for x in mags])
    return int(2 * ceil(log10(m))) + 10


def h_printed(x):
    """Paper eq. (9) as printed: ((x+1)/2)log2((x+1)/2) - ((x-1)/2)log2((x-1)/2); 0 for x <= 1."""
    x = mpf(x)
    if x <= 1:
        return mpf(0)
    with mp.workdps(BASE_DPS + guard(x)):
        p, m = (x + 1) / 2, (x - 1) / 2
        return +(p * log(p, 2) - m * log(m, 2))


def two_mode(v, t, z):
    """(λ1, λ2, λ_het) of [[V I, c σz],[c σz, b I]], c = sqrt(T(V²-1)), b = T V + Z:
    invariants Δ = a² + b² - 2c², det = (ab - c²)², λ² = (Δ ± sqrt(Δ² - 4 det))/2;
    λ_het = V - T(V²-1)/(b+1) (heterodyne conditioning of A on B)."""
    v, t, z = mpf(v), mpf(t), mpf(z)
    with mp.workdps(BASE_DPS + guard(v, z)):
        b = t * v + z
        c2 = t * (v * v - 1)
        delta = v * v + b * b - 2 * c2
        det = (v * b - c2) ** 2
        root = sqrt(delta * delta - 4 * det)
        l1 = sqrt((delta + root) / 2)
        l2 = sqrt((delta - root) / 2)
        lhet = v - c2 / (b + 1)
        return +l1, +l2, +lhet


def eig_check(v, t, z, l1, l2):
    """Cross-check with a general eigen-solve of Ωγ at 50 + guard digits."""
    v, t, z = mpf(v), mpf(t), mpf(z)
    with mp.workdps(BASE_DPS + guard(v, z)):
        c = sqrt(t * (v * v - 1))
        b = t * v + z
        g = matrix([[v, 0, c, 0], [0, v, 0, -c], [c, 0, b, 0], [0, -c, 0, b]])
        om = matrix([[0, 1, 0, 0], [-1, 0, 0, 0], [0, 0, 0, 1], [0, 0, -1, 0]])
        ev = mpmath.eig(om * g, left=False, right=False)
        nu = sorted(abs(mpmath.im(e)) for e in ev)
        got = (nu[3], nu[1])
        for a, w in zip(got, (l1, l2)):
            assert abs(a - w) / w < mpf(10) ** -30, (v, t, z, a, w)


def standard_user(t, va, xi, d2, eta, other_xi=0, interference=0):
    """SPEC §4.1 per-user rate (bits): Z = 1 - T + Tξ + X + δ² + V_I, V = V_A + 1,
    I = log2(1 + T V_A/(1 + T + Z)), χ = h(λ1) + h(λ2) - h(λ_het), SKR = η I - χ."""
    t, va, xi, d2, eta = map(mpf, (t, va, xi, d2, eta))
    z = 1 - t + t * xi + mpf(other_xi) + d2 + mpf(interference)
    v = va + 1
    l1, l2, lhet = two_mode(v, t, z)
    info = log(1 + t * va / (1 + t + z), 2)
    chi = h_printed(l1) + h_printed(l2) - h_printed(lhet)
    return info, chi, eta * info - chi


def trusted_user(t, va, xi, d2, tau, eta):
    """SPEC §4.2 for K = 1, from the 4-mode Gaussian model of tests/trusted_gaussian.rs
    (detector = beam splitter τ_d with an EPR noise pair of variance v = 1 + δ²/(1-τ_d),
    then ideal heterodyne), χ = S(A,B1) - S(A,F,G | het), entropies from mpmath.eig of Ωγ."""
    t, va, xi, d2, tau, eta = map(mpf, (t, va, xi, d2, tau, eta))
    v = va + 1
    z = 1 - t + t * xi
    with mp.workdps(BASE_DPS + guard(v, z) + 10):
        b = t * v + z
        c = sqrt(t * (v * v - 1))
        vn = 1 + d2 / (1 - tau)
        cn = sqrt(vn * vn - 1)
        g = mpmath.zeros(8, 8)
        ab = [[v, 0, c, 0], [0, v, 0, -c], [c, 0, b, 0], [0, -c, 0, b]]
        fg = [[vn, 0, cn, 0], [0, vn, 0, -cn], [cn, 0, vn, 0], [0, -cn, 0, vn]]
        for i in range(4):
            for j in range(4):
                g[i, j] = ab[i][j]
                g[4 + i, 4 + j] = fg[i][j]
        s = mpmath.eye(8)
        ct, st = sqrt(tau), sqrt(1 - tau)
        for q in range(2):
            a, bb = 2 + q, 4 + q  # B1 (mode 1) and F0 (mode 2)
            s[a, a], s[a, bb], s[bb, a], s[bb, bb] = ct, st, -st, ct
        g = s * g * s.T

        def omega(n):
            w = mpmath.zeros(2 * n, 2 * n)
            for k in range(n):
                w[2 * k, 2 * k + 1], w[2 * k + 1, 2 * k] = 1, -1
            return w

        def entropy(cm):
            n = cm.rows // 2
            ev = mpmath.eig(omega(n) * cm, left=False, right=False)
            nu = sorted(abs(mpmath.im(e)) for e in ev)
            return sum(h_printed(nu[2 * k]) for k in range(n)) / 1, nu

        s_ab, _ = entropy(matrix([[g_ for g_ in row] for row in ab]))
        rest = [0, 1, 4, 5, 6, 7]
        meas = [2, 3]
        g_rest = matrix([[g[i, j] for j in rest] for i in rest])
        g_m = matrix([[g[i, j] for j in meas] for i in meas])
        sig = matrix([[g[i, j] for j in meas] for i in rest])
        cond = g_rest - sig * (g_m + mpmath.eye(2)) ** -1 * sig.T
        s_cond, _ = entropy(cond)
        chi = s_ab - s_cond
        chi_het = (2 - tau + d2) / tau
        info = log(1 + t * va / (t + z + chi_het), 2)
        return +info, +chi, +(eta * info - chi)


def lit(x):
    """The 50-digit value rounded to the nearest double, shortest round-trip form."""
    return repr(float(mpf(x)))


def main():
    print("// values printed by tests/data/hp_reference.py with mpmath %s, 50 digits (rounded to the nearest f64)" % mpmath.__version__)
    print("/// (V, T, Z, λ1, λ2, λ_het).")
    print("type EigRow = (f64, f64, f64, f64, f64, f64);")
    print("/// (T, V_A, ξ, δ², η, I, χ, SKR).")
    print("type StandardRow = (f64, f64, f64, f64, f64, f64, f64, f64);")
    print("/// (T, V_A, ξ, δ², τ_d, η, I, χ, SKR).")
    print("type TrustedRow = (f64, f64, f64, f64, f64, f64, f64, f64, f64);")
    xs = [1.0 + 2.0 ** -40, 1.000001, 1.5, 3.0, 10.0, 1234.5, 1e6, 1e10, 1e15, 1e16, 1e100, 1e300]
    print("/// (x, h(x)): paper eq. (9).")
    print("const H_REF: [(f64, f64); %d] = [" % len(xs))
    for x in xs:
        print("    (%r, %s)," % (x, lit(h_printed(x))))
    print("];")

    # (V_A, T, ξ, δ²): V = fl(V_A + 1), Z = fl(1 - T + Tξ + δ²) as the library forms them.
    eig_pts = [(1e-6, 0.5, 0.05, 0.0256), (1e-3, 0.99, 0.0, 0.0), (1.5, 0.5, 0.05, 0.0256),
               (1e3, 0.3, 0.1, 0.0256), (1e6, 0.9, 0.1, 0.0256), (1e10, 0.01, 0.2, 0.16),
               (1e10, 0.9, 0.1, 0.0256), (1e15, 0.5, 0.05, 0.0256), (1e15, 0.999, 0.0, 0.0)]
    print("/// (V, T, Z, λ1, λ2, λ_het): SPEC §2 at V = fl(V_A + 1), Z = fl(1 − T + T·ξ + δ²).")
    print("const EIG_REF: [EigRow; %d] = [" % len(eig_pts))
    for va, t, xi, d2 in eig_pts:
        v = va + 1.0
        z = 1.0 - t + t * xi + 0.0 + d2 + 0.0
        l1, l2, lhet = two_mode(v, t, z)
        eig_check(v, t, z, l1, l2)
        print("    (%r, %r, %r, %s, %s, %s)," % (v, t, z, lit(l1), lit(l2), lit(lhet)))
    print("];")

    rate_pts = [(0.5, 1e-6, 0.05, 0.0256, 0.92), (0.5, 1.5, 0.05, 0.0256, 0.92),
                (0.9, 1e6, 0.1, 0.0256, 0.92), (0.9, 1e8, 0.1, 0.0256, 0.92),
                (0.9, 1e10, 0.1, 0.0256, 0.92), (0.1, 1e10, 0.01, 0.16, 0.95),
                (0.9, 1e15, 0.1, 0.0256, 0.92), (0.999, 1e15, 0.0, 0.0, 1.0)]
    print("/// (T, V_A, ξ, δ², η, I, χ, SKR): SPEC §4.1, K = 1.")
    print("const STANDARD_REF: [StandardRow; %d] = [" % len(rate_pts))
    for t, va, xi, d2, eta in rate_pts:
        info, chi, skr = standard_user(t, va, xi, d2, eta)
        print("    (%r, %r, %r, %r, %r, %s, %s, %s)," % (t, va, xi, d2, eta, lit(info), lit(chi), lit(skr)))
    print("];")

    # Pure loss, tiny modulation: λ2 = 1 exactly, χ ~ 5e-14 (the rounding of any
    # eigenvalue equal to 1 by one ulp changes h by ~6e-15).
    pl_pts = [(0.01, 1e-6, 0.0, 0.0, 0.92)]
    print("/// (T, V_A, ξ, δ², η, I, χ, SKR): SPEC §4.1, K = 1, pure loss with tiny modulation.")
    print("const STANDARD_PURE_LOSS_REF: [StandardRow; %d] = [" % len(pl_pts))
    for t, va, xi, d2, eta in pl_pts:
        info, chi, skr = standard_user(t, va, xi, d2, eta)
        print("    (%r, %r, %r, %r, %r, %s, %s, %s)," % (t, va, xi, d2, eta, lit(info), lit(chi), lit(skr)))
    print("];")

    # K = 2, noma, order [0, 1]: user 0 is interfered by user 1 (SPEC §3); X_k = T_other·ξ_other.
    t0, t1, va0, va1, xi0, xi1, d2, eta = 0.8, 0.4, 1e10, 1e6, 0.1, 0.05, 0.0256, 0.92
    u0 = standard_user(t0, va0, xi0, d2, eta, other_xi=mpf(t1) * mpf(xi1), interference=mpf(t1) * mpf(va1))
    u1 = standard_user(t1, va1, xi1, d2, eta, other_xi=mpf(t0) * mpf(xi0))
    print("/// K = 2 `noma`, order [0, 1]: T = [%r, %r], V_A = [%r, %r], ξ = [%r, %r], δ² = %r, η = %r;" % (t0, t1, va0, va1, xi0, xi1, d2, eta))
    print("/// per user (I, χ, SKR).")
    print("const K2_REF: [(f64, f64, f64); 2] = [")
    for u in (u0, u1):
        print("    (%s, %s, %s)," % tuple(lit(q) for q in u))
    print("];")

    tr_pts = [(0.5, 5.0, 0.01, 0.0256, 0.6, 0.95), (0.9, 1e6, 0.05, 0.1, 0.8, 0.92),
              (0.3, 1e10, 0.1, 0.0256, 0.6, 0.92), (0.7, 1e15, 0.02, 0.0256, 0.5, 0.92)]
    print_trusted("TRUSTED_REF", "", tr_pts)
    # Small modulation, where λ3 and λ4 both approach 1 (SPEC §4.2's C² − 4D cancels).
    tr_small = [(0.5, 1e-6, 0.01, 0.0256, 0.6, 0.95),
                (0.07391194256987602, 1.4219012431136195e-08, 0.0279762856591525, 0.0, 0.9985817280532322, 0.92)]
    print_trusted("TRUSTED_SMALL_MODULATION_REF", ", small modulation (λ3, λ4 → 1)", tr_small)


def print_trusted(name, note, pts):
    print("/// (T, V_A, ξ, δ², τ_d, η, I, χ, SKR): SPEC §4.2, K = 1, from the Gaussian model%s." % note)
    print("const %s: [TrustedRow; %d] = [" % (name, len(pts)))
    for t, va, xi, d2, tau, eta in pts:
        info, chi, skr = trusted_user(t, va, xi, d2, tau, eta)
        print("    (%r, %r, %r, %r, %r, %r, %s, %s, %s)," % (t, va, xi, d2, tau, eta, lit(info), lit(chi), lit(skr)))
    print("];")


if __name__ == "__main__":
    main()

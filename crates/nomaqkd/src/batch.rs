//! Many users at once: the per-user figures of [`user_rate`](crate::rates::user_rate)
//! over columns (a structure of arrays), for bindings and sweeps that evaluate millions
//! of users.
//!
//! [`user_rates_into`] evaluates, for every element, the formulas of `user_rate` with
//! changes that let the compiler evaluate several users per instruction: the loop body has
//! no branches (silent users are computed and then replaced by their fixed values; h(x)
//! combines its two cases by selects), the logarithm is the branch-free
//! [`branch_free_ln`](crate::entropy::branch_free_ln) instead of the C library's `log`, and
//! under `standard`/exact (the default) divisions are shared between the logarithms
//! (`standard_exact_columns`). Other settings go through the library's generic formulas
//! ([`crate::rates`], [`crate::entropy`]) with the branch-free logarithm. Results agree
//! with `user_rate` to a few ulp (tests/batch.rs bounds the difference); the symplectic
//! eigenvalues, and so the `physical` flags, are computed identically.
//!
//! Speed depends on how the caller is compiled (criterion `columns/1024`, 1024 users,
//! `standard`/exact, against a loop of `user_rate` over the same channels, 65–79 µs):
//! baseline x86-64 (SSE2, no FMA, so each `mul_add` is a call of the C library's `fma`)
//! 176 µs, slower than the loop; with AVX2 + FMA 23 µs; with AVX-512 + FMA 14–15 µs (5×
//! the loop). (Minimum of 4 alternating runs each, 2026-11-27; the one-loop form before
//! it, same runs: 176–178, 28 and 16–17 µs.) Build with `-C target-cpu=native`, or call it
//! from a function with `#[target_feature(enable = "avx512f,fma")]` after checking the CPU
//! at run time, as the Python bindings do. Every build gives the same floats (`mul_add`
//! rounds once everywhere; nothing else is fused).
//!
//! [`channels_into`] gives the kernel its inputs for many networks of K users (rows): the
//! SIC order, X_k, V_I,k and the joint-channel flag of
//! [`for_each_user_channel_of`](crate::rates::for_each_user_channel_of), identical to it
//! (same sums in the same order; Σ V_a,i only under `--literal-eq6`, the one setting that
//! reads it, else 0), with loops over a row's users that vectorize. Criterion
//! `channels/64x16` (64 networks of 16 users) against a per-network loop of
//! `gain_order_of` + `for_each_user_channel_of`, one run of each build (2026-11-27,
//! docs/BENCHMARKS.md): 11.2 vs 19.3 µs with AVX-512 + FMA, 11.7 vs 18.3 µs with AVX2 + FMA,
//! 23.8 vs 16.5 µs (slower) at the baseline target. Per-row sums run four rows at a time
//! ([`row_sums_into`]).

use crate::convention::Access;
use crate::convention::{Model, Settings};
use crate::entropy::{
    heterodyne_conditional_eigenvalue, is_physical_eigenvalue, ln_finish, ln_reduce, plob_bound_with,
    two_mode_eigenvalues, BranchFreeLog,
};
use crate::rates::{
    active_user_rate_with, others_by_difference, others_directly, uses_other_excess_noise, validate_order, UserChannel,
    RANK_ORDER_MAX_USERS,
};
use std::f64::consts::LOG2_E;
use std::mem::MaybeUninit;
use std::ops::Range;

/// An output column of [`user_rates_into`], [`channels_into`] and [`row_sums_into`],
/// which never read it and write every element of each output they fill (all of them,
/// except [`NetworkChannels`]' positions and order outside `noma`): a slice of
/// initialized values (`[T]`), or memory not written yet (`[MaybeUninit<T>]`, such as a
/// new array), which they initialize whole. The second spares a caller a pass that sets
/// new memory to zeros just before it is overwritten. A `Vec<T>` is its slice. This holds
/// whatever the input values (NaN included; an explicit order that is not a permutation
/// is refused with a panic). tests/batch.rs checks that no element is left out
/// (`outputs_are_written_whole`; `row_sums_equal_a_fold_per_row` for the sums).
pub trait OutColumn<T: Copy> {
    /// A range of elements ([`OutColumn::part`]).
    type Part: OutColumn<T> + ?Sized;
    /// Number of elements.
    fn len(&self) -> usize;
    /// Whether there are no elements.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Element `i` set to `value`.
    ///
    /// # Panics
    /// If `i` is out of bounds.
    fn set(&mut self, i: usize, value: T);
    /// Elements `range`.
    ///
    /// # Panics
    /// If `range` is out of bounds.
    fn part(&mut self, range: Range<usize>) -> &mut Self::Part;
    /// Every element set to `value`.
    #[inline(always)]
    fn fill_with(&mut self, value: T) {
        self.set_each(|_| value);
    }
    /// Every element i set to `value(i)`, in index order (a loop whose index the
    /// compiler knows to be in bounds, so that copies vectorize).
    #[inline(always)]
    fn set_each(&mut self, value: impl Fn(usize) -> T) {
        for i in 0..self.len() {
            self.set(i, value(i));
        }
    }
}

/// `OutColumn` for a container of initialized values, `$t` (its range being `[T]`).
macro_rules! out_column_of_values {
    ($t:ty) => {
        impl<T: Copy> OutColumn<T> for $t {
            type Part = [T];
            #[inline(always)]
            fn len(&self) -> usize {
                <[T]>::len(self)
            }
            #[inline(always)]
            fn set(&mut self, i: usize, value: T) {
                self[i] = value;
            }
            #[inline(always)]
            fn part(&mut self, range: Range<usize>) -> &mut [T] {
                &mut self[range]
            }
        }
    };
}
out_column_of_values!([T]);
out_column_of_values!(Vec<T>);

impl<T: Copy> OutColumn<T> for [MaybeUninit<T>] {
    type Part = [MaybeUninit<T>];
    #[inline(always)]
    fn len(&self) -> usize {
        <[MaybeUninit<T>]>::len(self)
    }
    #[inline(always)]
    fn set(&mut self, i: usize, value: T) {
        self[i].write(value);
    }
    #[inline(always)]
    fn part(&mut self, range: Range<usize>) -> &mut Self::Part {
        &mut self[range]
    }
}

/// Inputs of [`user_rates_into`]: the fields of [`UserChannel`] as equal-length columns,
/// one element per user (SNU for variances). Values are not validated here.
#[derive(Debug, Clone, Copy)]
pub struct ChannelColumns<'a> {
    /// T_k in (0, 1).
    pub transmittance: &'a [f64],
    /// V_A,k ≥ 0 (SNU); 0 = silent. Under `paper` V_a,k.
    pub modulation_variance: &'a [f64],
    /// ξ_k ≥ 0 (SNU).
    pub excess_noise: &'a [f64],
    /// X_k (SNU), see [`UserChannel::other_excess_noise`].
    pub other_excess_noise: &'a [f64],
    /// V_I,k (SNU), see [`UserChannel::interference`].
    pub interference: &'a [f64],
    /// Σ V_a,i without T_i (SNU), only read under `--literal-eq6`.
    pub literal_interference: &'a [f64],
}

/// Outputs of [`user_rates_into`], one element per user: the fields of
/// [`UserRate`](crate::rates::UserRate) as columns (bits per symbol for rates), slices
/// of values (`F = [f64]`, `B = [bool]`) or of memory not written yet
/// (`[MaybeUninit<f64>]`, `[MaybeUninit<bool>]`, see [`OutColumn`]).
#[derive(Debug)]
pub struct RateColumns<'a, F: ?Sized = [f64], B: ?Sized = [bool]> {
    /// I_k.
    pub mutual_information: &'a mut F,
    /// χ_k.
    pub holevo: &'a mut F,
    /// SKR_k = η·I_k − χ_k (0 for a silent user).
    pub secret_key_rate: &'a mut F,
    /// −log2(1 − T_k).
    pub plob_bound: &'a mut F,
    /// The exact state's eigenvalues are ≥ 1 − 1e-9 (true for a silent user).
    pub physical: &'a mut B,
    /// SKR_k > PLOB bound.
    pub exceeds_plob: &'a mut B,
    /// V_A,k = 0.
    pub silent: &'a mut B,
    /// Asymptotic model: λ̃2, λ̃_het ≥ 1 (true for a silent user); false under `exact`.
    pub approximation_valid: &'a mut B,
}

/// Per-user key-rate figures for every element of `channels` into `out` (SPEC §4;
/// element i equals `user_rate(settings, &channel_i)` to a few ulp, see the module docs).
///
/// # Panics
/// If the columns do not all have the same length (a programming error, not bad input).
#[inline(always)]
pub fn user_rates_into<F, B>(settings: &Settings, channels: &ChannelColumns<'_>, out: &mut RateColumns<'_, F, B>)
where
    F: OutColumn<f64> + ?Sized,
    B: OutColumn<bool> + ?Sized,
{
    let n = channels.transmittance.len();
    let lengths = [
        channels.modulation_variance.len(),
        channels.excess_noise.len(),
        channels.other_excess_noise.len(),
        channels.interference.len(),
        channels.literal_interference.len(),
        out.mutual_information.len(),
        out.holevo.len(),
        out.secret_key_rate.len(),
        out.plob_bound.len(),
        out.physical.len(),
        out.exceeds_plob.len(),
        out.silent.len(),
        out.approximation_valid.len(),
    ];
    assert!(lengths.iter().all(|&l| l == n), "user_rates_into: columns of unequal length");
    // One loop per (convention, model), each with those two as constants, so that the
    // loop body has no `match` left and vectorizes.
    use crate::convention::Convention::{Paper, Standard, Trusted};
    use crate::convention::Model::{Asymptotic, Exact};
    // The default setting (`standard`, exact) has its own formulation with shared
    // reciprocals ([`standard_exact_columns`]); the others evaluate the library's generic
    // formulas with the branch-free logarithm.
    // Direct calls of `#[inline(always)]` functions (not closures or function values,
    // whose call shims are not always inlined): a caller compiling this kernel for
    // AVX2/AVX-512 needs every call inlined.
    match (settings.convention(), settings.model()) {
        (Standard, Exact) => standard_exact_columns(settings, channels, out),
        (Standard, Asymptotic) => columns_loop(&settings.with_known_kind(Standard, Asymptotic), channels, out, n),
        (Trusted, Exact) => columns_loop(&settings.with_known_kind(Trusted, Exact), channels, out, n),
        (Trusted, Asymptotic) => columns_loop(&settings.with_known_kind(Trusted, Asymptotic), channels, out, n),
        (Paper, Exact) => columns_loop(&settings.with_known_kind(Paper, Exact), channels, out, n),
        (Paper, Asymptotic) => columns_loop(&settings.with_known_kind(Paper, Asymptotic), channels, out, n),
    }
}

/// An active user's figures through the library's generic formulas (any settings).
#[inline(always)]
fn generic_rate(settings: &Settings, ch: &UserChannel) -> (f64, f64, f64, bool, bool, f64) {
    let (info, chi, skr, physical, _, valid) = active_user_rate_with::<BranchFreeLog>(settings, ch);
    (info, chi, skr, physical, valid == Some(true), plob_bound_with::<BranchFreeLog>(ch.transmittance))
}

/// y if positive and finite, else 1 (a harmless stand-in in a shared inversion: a y ≤ 0
/// belongs to an h that is 0, and an infinite y would turn every reciprocal of the group,
/// including I_k's and the PLOB bound's, into 0·∞ = NaN).
#[inline(always)]
fn positive_or_one(y: f64) -> f64 {
    if y > 0.0 && y <= f64::MAX {
        y
    } else {
        1.0
    }
}

/// 1/a, 1/b, 1/c, 1/d from one division (Montgomery's simultaneous inversion): each
/// within a few ulp of the quotient. Inputs positive; their product must neither
/// overflow nor underflow. The callers' values: 1 + f ∈ [1.29, 2.42]; y = (λ − 1)/2 ≥ 1.1e-16
/// (λ > 1) and, with V_A and ξ within their validated limits (1e60 SNU), below
/// ~K·1e60 (λ1) and ~1e60 (λ2, λ_het); u_i·u_p ∈ [1.1e-16, 1e61]; so the product stays
/// within [1e-64, 1e250] for any realistic K (up to 1e10 users).
#[inline(always)]
fn reciprocals4(a: f64, b: f64, c: f64, d: f64) -> (f64, f64, f64, f64) {
    let (ab, cd) = (a * b, c * d);
    let inv = 1.0 / (ab * cd);
    let (inv_ab, inv_cd) = (inv * cd, inv * ab);
    (inv_ab * b, inv_ab * a, inv_cd * d, inv_cd * c)
}

/// h(x)·ln 2 of [`crate::entropy::thermal_entropy_nats`] from its parts: y = (x − 1)/2,
/// a = y or 1/y (y > 1), u = 1 + a, c = a − (u − 1), and the logarithms `ln_u`, `ln_y`;
/// 0 unless `above_one` (x > 1, i.e. y > 0: x − 1 is positive exactly when x > 1, and
/// half of it stays positive; both false for NaN).
#[inline(always)]
fn entropy_nats_from(above_one: bool, y: f64, u: f64, c: f64, ln_u: f64, ln_y: f64) -> f64 {
    let h = if y <= 1.0 { u * ln_u + c * (ln_u + 1.0) - y * ln_y } else { ln_y + ((1.0 + y) * ln_u + y * c) };
    if above_one {
        h
    } else {
        0.0
    }
}

/// Users per block of [`standard_exact_columns`]: its per-block buffers take
/// 13·8·64 + 64 bytes of stack (in L1).
const BLOCK_USERS: usize = 64;

/// The `standard`/exact columns loop: the formulas of SPEC §2 and §4.1 as `user_rate`
/// evaluates them (receiver noise Z, I_k = log2(1 + T·V_A/(1 + T + Z)), λ1, λ2, λ_het,
/// χ = h(λ1) + h(λ2) − h(λ_het), the stable h(x), ln(1 + a) with its rounding
/// correction), rearranged in two ways.
///
/// - Divisions, the slowest vector operation, are shared: the quotients for I_k, λ2 and
///   λ_het stay exact (so `physical` is computed exactly as in `user_rate`); the three
///   1/y of h, the eight logarithms' 1/(2 + f) and the two corrections' 1/u come from
///   [`reciprocals4`], 3 divisions instead of 13.
/// - Two loops per block of [`BLOCK_USERS`] users instead of one per user: the first
///   (divisions and the square root) forms the eight logarithms' arguments and the
///   corrections into buffers, the second takes the logarithms and combines them. One
///   loop body per user was ~500 instructions with a chain of dependent divisions and
///   logarithms: the processor could not overlap consecutive users (llvm-mca, Ice Lake
///   server model: 343 cycles per 8 users where its ports needed 217). Split, each
///   body is short enough to overlap (120 + 190 cycles), criterion `columns/1024`
///   16–17 → 14–15 µs with AVX-512 (module docs). The floats are those of the one-loop
///   form.
///
/// tests/batch.rs checks the result against `user_rate` over random and extreme inputs.
#[inline(always)]
fn standard_exact_columns<F, B>(settings: &Settings, channels: &ChannelColumns<'_>, out: &mut RateColumns<'_, F, B>)
where
    F: OutColumn<f64> + ?Sized,
    B: OutColumn<bool> + ?Sized,
{
    let n = channels.transmittance.len();
    let d2 = settings.receiver().detector_noise_snu();
    let eta = settings.receiver().reconciliation_efficiency();
    // Per block: the eight logarithms' arguments (y_1..3, u_1..3, u_i, u_p), then the
    // corrections c_1..3 of h, c_i/u_i of I_k and c_p/u_p of the PLOB bound.
    let mut args = [[0.0; BLOCK_USERS]; 8];
    let mut corr = [[0.0; BLOCK_USERS]; 5];
    let mut phys = [false; BLOCK_USERS];
    let mut start = 0;
    while start < n {
        let m = BLOCK_USERS.min(n - start);
        let users = start..start + m;
        {
            let t = &channels.transmittance[users.clone()];
            let va = &channels.modulation_variance[users.clone()];
            let xi = &channels.excess_noise[users.clone()];
            let x = &channels.other_excess_noise[users.clone()];
            let vi = &channels.interference[users.clone()];
            let phys = &mut phys[..m];
            for i in 0..m {
                let (arg, cor, physical) = before_logs(d2, t[i], va[i], xi[i], x[i], vi[i]);
                for j in 0..8 {
                    args[j][i] = arg[j];
                }
                for j in 0..5 {
                    corr[j][i] = cor[j];
                }
                phys[i] = physical;
            }
        }
        let va = &channels.modulation_variance[users.clone()];
        let mi = out.mutual_information.part(users.clone());
        let chi = out.holevo.part(users.clone());
        let skr = out.secret_key_rate.part(users.clone());
        let plob = out.plob_bound.part(users.clone());
        let physical = out.physical.part(users.clone());
        let exceeds = out.exceeds_plob.part(users.clone());
        let silent = out.silent.part(users.clone());
        let approx = out.approximation_valid.part(users.clone());
        let phys = &phys[..m];
        for i in 0..m {
            let mut arg = [0.0; 8];
            for j in 0..8 {
                arg[j] = args[j][i];
            }
            let mut cor = [0.0; 5];
            for j in 0..5 {
                cor[j] = corr[j][i];
            }
            let (info, holevo, bound) = after_logs(&arg, &cor, &eight_logs(&arg));
            let key = eta * info - holevo;
            // Computed for silent users too (finite values), then replaced: no branch.
            let quiet = va[i] == 0.0;
            mi.set(i, if quiet { 0.0 } else { info });
            chi.set(i, if quiet { 0.0 } else { holevo });
            skr.set(i, if quiet { 0.0 } else { key });
            plob.set(i, bound);
            physical.set(i, quiet || phys[i]);
            exceeds.set(i, !quiet && key > bound);
            silent.set(i, quiet);
            approx.set(i, false);
        }
        start += m;
    }
}

/// The first loop of [`standard_exact_columns`] for one user (T, V_A, ξ, X, V_I; δ² =
/// `d2`): the eight logarithms' arguments, the five corrections (see there) and the
/// `physical` flag. A y ≤ 0 (λ ≤ 1, h = 0) is replaced by 1 in the shared inversion.
#[inline(always)]
fn before_logs(d2: f64, t: f64, va: f64, xi: f64, x: f64, vi: f64) -> ([f64; 8], [f64; 5], bool) {
    let z = 1.0 - t + t * xi + x + d2 + vi;
    let v = va + 1.0;
    let snr = t * va / (1.0 + t + z);
    let (l1, l2) = two_mode_eigenvalues(v, t, z);
    let lhet = heterodyne_conditional_eigenvalue(v, t, z);
    let physical = is_physical_eigenvalue(l2.min(lhet));
    let ys = [0.5 * (l1 - 1.0), 0.5 * (l2 - 1.0), 0.5 * (lhet - 1.0)];
    // ln(1 + a) with its correction c/u for I_k (a = snr) and the PLOB bound (a = −T);
    // 1/u_i and 1/u_p share the division of the 1/y (through 1/(u_i·u_p)).
    let (u_i, u_p) = (1.0 + snr, 1.0 - t);
    let (c_i, c_p) = (snr - (u_i - 1.0), -t - (u_p - 1.0));
    let (r1, r2, r3, inv_w) =
        reciprocals4(positive_or_one(ys[0]), positive_or_one(ys[1]), positive_or_one(ys[2]), u_i * u_p);
    let (inv_ui, inv_up) = (inv_w * u_p, inv_w * u_i);
    let a = [r1, r2, r3];
    let mut u = [0.0; 3];
    let mut c = [0.0; 3];
    for j in 0..3 {
        let aj = if ys[j] <= 1.0 { ys[j] } else { a[j] };
        u[j] = 1.0 + aj;
        c[j] = aj - (u[j] - 1.0);
    }
    ([ys[0], ys[1], ys[2], u[0], u[1], u[2], u_i, u_p], [c[0], c[1], c[2], c_i * inv_ui, c_p * inv_up], physical)
}

/// ln of each of the eight arguments: [`ln_reduce`], the eight 1/(2 + f) from two
/// [`reciprocals4`], [`ln_finish`].
#[inline(always)]
fn eight_logs(args: &[f64; 8]) -> [f64; 8] {
    let mut e = [0.0; 8];
    let mut f = [0.0; 8];
    for j in 0..8 {
        (e[j], f[j]) = ln_reduce(args[j]);
    }
    let (d0, d1, d2, d3) = reciprocals4(2.0 + f[0], 2.0 + f[1], 2.0 + f[2], 2.0 + f[3]);
    let (d4, d5, d6, d7) = reciprocals4(2.0 + f[4], 2.0 + f[5], 2.0 + f[6], 2.0 + f[7]);
    let inv_d = [d0, d1, d2, d3, d4, d5, d6, d7];
    let mut ln = [0.0; 8];
    for j in 0..8 {
        ln[j] = ln_finish(e[j], f[j], f[j] * inv_d[j]);
    }
    ln
}

/// The second loop's combination for one user: (I_k, χ_k, PLOB bound) from the
/// arguments, corrections and logarithms of [`before_logs`] and [`eight_logs`].
#[inline(always)]
fn after_logs(args: &[f64; 8], corr: &[f64; 5], ln: &[f64; 8]) -> (f64, f64, f64) {
    let mut h = [0.0; 3];
    for j in 0..3 {
        h[j] = entropy_nats_from(args[j] > 0.0, args[j], args[3 + j], corr[j], ln[3 + j], ln[j]);
    }
    let chi = (h[0] + h[1] - h[2]) * LOG2_E;
    let info = (ln[6] + corr[3]) * LOG2_E;
    let plob = -(ln[7] + corr[4]) * LOG2_E;
    (info, chi, plob)
}

/// The loop of [`user_rates_into`] over `n` users (lengths checked by the caller) for
/// every setting but `standard`/exact: an active user's (I, χ, SKR, physical,
/// approximation_valid, PLOB bound) from [`generic_rate`].
#[inline(always)]
fn columns_loop<F, B>(settings: &Settings, channels: &ChannelColumns<'_>, out: &mut RateColumns<'_, F, B>, n: usize)
where
    F: OutColumn<f64> + ?Sized,
    B: OutColumn<bool> + ?Sized,
{
    let asymptotic = settings.model() == Model::Asymptotic;
    // Re-sliced to n so that the loop has no bounds checks.
    let (t, va, xi) = (&channels.transmittance[..n], &channels.modulation_variance[..n], &channels.excess_noise[..n]);
    let (x, vi, vl) =
        (&channels.other_excess_noise[..n], &channels.interference[..n], &channels.literal_interference[..n]);
    let mi = out.mutual_information.part(0..n);
    let chi = out.holevo.part(0..n);
    let skr = out.secret_key_rate.part(0..n);
    let plob = out.plob_bound.part(0..n);
    let physical = out.physical.part(0..n);
    let exceeds = out.exceeds_plob.part(0..n);
    let silent = out.silent.part(0..n);
    let approx = out.approximation_valid.part(0..n);
    for i in 0..n {
        let ch = UserChannel {
            transmittance: t[i],
            modulation_variance: va[i],
            excess_noise: xi[i],
            other_excess_noise: x[i],
            interference: vi[i],
            literal_interference: vl[i],
        };
        // Computed for silent users too (finite values), then replaced: no branch.
        let (info, holevo, key, is_physical, valid, bound) = generic_rate(settings, &ch);
        let quiet = ch.modulation_variance == 0.0;
        mi.set(i, if quiet { 0.0 } else { info });
        chi.set(i, if quiet { 0.0 } else { holevo });
        skr.set(i, if quiet { 0.0 } else { key });
        plob.set(i, bound);
        physical.set(i, quiet || is_physical);
        exceeds.set(i, !quiet && key > bound);
        silent.set(i, quiet);
        approx.set(i, asymptotic && (quiet || valid));
    }
}

/// Inputs of [`channels_into`]: many networks of the same size K, each a row of K users;
/// the columns are row-major (element r·K + i is user i of network r). Validated values
/// (as for [`Network`](crate::rates::Network) and
/// [`validate_modulation`](crate::rates::validate_modulation)).
#[derive(Debug, Clone, Copy)]
pub struct NetworkRows<'a> {
    /// K, users per network (≥ 1).
    pub users: usize,
    /// T_k in (0, 1).
    pub transmittance: &'a [f64],
    /// V_A,k ≥ 0 (SNU); 0 = silent.
    pub modulation_variance: &'a [f64],
    /// ξ_k ≥ 0 (SNU).
    pub excess_noise: &'a [f64],
}

/// Outputs of [`channels_into`], row-major like the inputs: slices of values (`F =
/// [f64]`, `I = [i64]`, `B = [bool]`) or of memory not written yet (`[MaybeUninit<_>]`,
/// see [`OutColumn`]).
#[derive(Debug)]
pub struct NetworkChannels<'a, F: ?Sized = [f64], I: ?Sized = [i64], B: ?Sized = [bool]> {
    /// X_k (SNU), as [`UserChannel::other_excess_noise`].
    pub other_excess_noise: &'a mut F,
    /// V_I,k (SNU), as [`UserChannel::interference`].
    pub interference: &'a mut F,
    /// As [`UserChannel::literal_interference`] under `--literal-eq6`; 0 otherwise (the
    /// rate formulas read it only then).
    pub literal_interference: &'a mut F,
    /// Under `noma`, user i's SIC position (0 = decoded first), if not empty (written
    /// whole then; not touched under `oma` or `cih`).
    pub decode_position: &'a mut I,
    /// Under `noma`, the SIC order (element r·K + p: the user decoded p-th), if not empty.
    pub order: &'a mut I,
    /// One per network: Σ_k T_k ≤ 1, as
    /// [`joint_channel_physical_of`](crate::rates::joint_channel_physical_of).
    pub joint_channel_physical: &'a mut B,
}

/// Reusable buffers of [`channels_into`] (one per thread).
#[derive(Debug, Default, Clone)]
pub struct ChannelScratch {
    /// The block's per-user terms: T·V_A (±0 for a silent user, whose V_A is ±0) and T·ξ
    /// of active users (+0 if silent).
    tv: Vec<f64>,
    txi: Vec<f64>,
    /// Per network of the block: Σ T and the total of T·ξ over active users.
    sum_t: Vec<f64>,
    total_txi: Vec<f64>,
    /// One network's SIC order and positions.
    order: Vec<usize>,
    position: Vec<usize>,
    /// One network's terms in SIC order, then the sums over later positions.
    by_position: Vec<f64>,
}

/// The interference bookkeeping of
/// [`for_each_user_channel_of`](crate::rates::for_each_user_channel_of) (SPEC §3, X_k of
/// §4.1) for many networks, with identical results: the SIC order (gain order, or
/// `explicit_order` for every network), X_k, V_I,k and Σ V_a,i, the decoding positions,
/// and the joint-channel flag.
///
/// Written for speed on short rows: the per-user terms, X_k and the gain order's ranks
/// (counting, for K ≤ [`RANK_ORDER_MAX_USERS`]: the users with a larger T, then, only if
/// two T are equal, with the ties broken; a sort above) are loops over the users
/// without branches, which vectorize; the sums run in the one-network path's order
/// (index order for totals, from the last decoded user for V_I,k), so every sum rounds
/// identically. tests/batch.rs checks element-wise equality.
///
/// # Panics
/// If the columns' lengths do not match (a programming error, not bad input), or if
/// `explicit_order` is not a permutation of 0..K (validate it with
/// [`validate_order`]).
#[inline(always)]
pub fn channels_into<F, I, B>(
    settings: &Settings,
    net: &NetworkRows<'_>,
    explicit_order: Option<&[usize]>,
    s: &mut ChannelScratch,
    out: &mut NetworkChannels<'_, F, I, B>,
) where
    F: OutColumn<f64> + ?Sized,
    I: OutColumn<i64> + ?Sized,
    B: OutColumn<bool> + ?Sized,
{
    let k = net.users;
    let nk = net.transmittance.len();
    assert!(k > 0 && nk % k == 0, "channels_into: length not a multiple of K");
    let rows = nk / k;
    let lengths = [
        net.modulation_variance.len(),
        net.excess_noise.len(),
        out.other_excess_noise.len(),
        out.interference.len(),
        out.literal_interference.len(),
    ];
    assert!(lengths.iter().all(|&l| l == nk), "channels_into: columns of unequal length");
    assert_eq!(out.joint_channel_physical.len(), rows, "channels_into: one joint flag per network");
    let access = settings.access();
    let positions_wanted = access == Access::Noma && !(out.decode_position.is_empty() && out.order.is_empty());
    if positions_wanted {
        assert!(
            out.decode_position.len() == nk && out.order.len() == nk,
            "channels_into: positions and order of length N·K"
        );
    }
    if let Some(o) = explicit_order {
        // Checked once per call (a duplicate would leave users' outputs unwritten).
        assert!(validate_order(o, k).is_ok(), "channels_into: explicit order not a permutation of 0..K");
    }
    let literal = settings.literal_eq6();
    let uses_x = uses_other_excess_noise(settings);
    // Per-user terms over the whole block, ±0 for a silent user (adding ±0 to a sum that
    // starts at +0 and only grows changes nothing, as skipping the user does): one long
    // loop that vectorizes. A silent user's V_A is ±0 itself, so V_A is its own term.
    s.position.resize(k, 0);
    per_user_terms(net, &mut s.tv, &mut s.txi);
    // Σ T and the total of T·ξ of every network, in index order (the totals of T·V_A and
    // V_A, read only under `cih`, are formed there).
    s.sum_t.resize(rows, 0.0);
    s.total_txi.resize(rows, 0.0);
    row_sums_into(k, net.transmittance, 0.0, |t| t, &mut s.sum_t);
    row_sums_into(k, &s.txi, 0.0, |x| x, &mut s.total_txi);
    for r in 0..rows {
        let row = r * k..(r + 1) * k;
        let (t_r, v_r, xi_r) =
            (&net.transmittance[row.clone()], &net.modulation_variance[row.clone()], &net.excess_noise[row.clone()]);
        let (t_r, v_r, xi_r) = (&t_r[..k], &v_r[..k], &xi_r[..k]);
        let (tv, txi) = (&s.tv[row.clone()], &s.txi[row.clone()]);
        let (tv, v, txi) = (&tv[..k], v_r, &txi[..k]);
        let total_txi = s.total_txi[r];
        out.joint_channel_physical.set(r, s.sum_t[r] <= 1.0);
        let x_r = out.other_excess_noise.part(row.clone());
        other_excess_noise_of(uses_x, total_txi, txi, v_r, t_r, xi_r, x_r);
        let (vi_r, vl_r) = (out.interference.part(row.clone()), out.literal_interference.part(row.clone()));
        match access {
            Access::Oma => {
                vi_r.fill_with(0.0);
                vl_r.fill_with(0.0);
            }
            Access::Cih => {
                others_of(in_index_order(tv), tv, v_r, |j| t_r[j] * v_r[j], vi_r);
                if literal {
                    others_of(in_index_order(v), v, v_r, |j| v_r[j], vl_r);
                }
            }
            Access::Noma => {
                let (order, positions): (&[usize], Option<&[usize]>) = match explicit_order {
                    Some(o) => (o, None),
                    None => {
                        gain_order_into(t_r, &mut s.order, &mut s.position);
                        (&s.order[..k], Some(&s.position[..k]))
                    }
                };
                // From the last decoded user to the first, as the one-network path (a
                // chain of dependent additions; Σ V_a,i only when it is read).
                later_sums(order, tv, &mut s.by_position, vi_r);
                if literal {
                    later_sums(order, v, &mut s.by_position, vl_r);
                }
                if positions_wanted {
                    let (pos_r, order_r) = (out.decode_position.part(row.clone()), out.order.part(row));
                    // (Cut to 0..k again so that the copies' bounds are known to hold.)
                    let (pos_r, order_r) = (pos_r.part(0..k), order_r.part(0..k));
                    order_r.set_each(|p| order[p] as i64);
                    match positions {
                        // The gain order's positions, as computed (a copy, not a scatter).
                        Some(positions) => pos_r.set_each(|i| positions[i] as i64),
                        None => {
                            for (p, &i) in order.iter().enumerate() {
                                pos_r.set(i, p as i64);
                            }
                        }
                    }
                }
            }
        }
        if !literal {
            vl_r.fill_with(0.0);
        }
    }
}

/// For each user i of one network, the sum of `term` over the users decoded after it
/// (`order`: the SIC order), added from the last decoded user to the first, as the
/// one-network path does. The terms are first put in decoding order, so that the chain
/// of dependent additions runs over contiguous values.
#[inline(always)]
fn later_sums<F: OutColumn<f64> + ?Sized>(order: &[usize], term: &[f64], by_position: &mut Vec<f64>, out: &mut F) {
    let k = order.len();
    by_position.resize(k, 0.0);
    let by_position = &mut by_position[..k];
    for (b, &i) in by_position.iter_mut().zip(order) {
        *b = term[i];
    }
    let mut later = 0.0;
    for b in by_position.iter_mut().rev() {
        let own = *b;
        *b = later;
        later += own;
    }
    for (&b, &i) in by_position.iter().zip(order) {
        out.set(i, b);
    }
}

/// T·V_A (±0 for a silent user: T·(±0)) and T·ξ (0 for a silent user) of every user of
/// `net` into the buffers.
#[inline(always)]
fn per_user_terms(net: &NetworkRows<'_>, tv: &mut Vec<f64>, txi: &mut Vec<f64>) {
    let nk = net.transmittance.len();
    for buf in [&mut *tv, &mut *txi] {
        buf.resize(nk, 0.0);
    }
    let (t, va, xi) = (net.transmittance, &net.modulation_variance[..nk], &net.excess_noise[..nk]);
    let (tv, txi) = (&mut tv[..nk], &mut txi[..nk]);
    for c in 0..nk {
        tv[c] = t[c] * va[c];
        txi[c] = if va[c] > 0.0 { t[c] * xi[c] } else { 0.0 };
    }
}

/// Σ over each row of `values` (rows of `k`, row-major) of `map(x)`, added from `init` in
/// index order, into `out` (one element per row): the sums a loop per row forms, bit for
/// bit, with the dependent additions of four rows interleaved (each row's chain of K
/// additions is otherwise bound by the latency of an addition). Start from +0 for the
/// one-network path's totals, from −0 for `Iterator::sum`'s.
///
/// # Panics
/// If `values` does not hold `out.len()` rows of `k`.
#[inline(always)]
pub fn row_sums_into<F: OutColumn<f64> + ?Sized>(
    k: usize,
    values: &[f64],
    init: f64,
    map: impl Fn(f64) -> f64,
    out: &mut F,
) {
    let rows = out.len();
    assert_eq!(values.len(), rows * k, "row_sums_into: values of length rows·K");
    let quads = rows / 4;
    for q in 0..quads {
        let block = &values[4 * q * k..4 * (q + 1) * k];
        let (a, rest) = block.split_at(k);
        let (b, rest) = rest.split_at(k);
        let (c, d) = rest.split_at(k);
        let mut acc = [init; 4];
        for i in 0..k {
            acc[0] += map(a[i]);
            acc[1] += map(b[i]);
            acc[2] += map(c[i]);
            acc[3] += map(d[i]);
        }
        for (j, &sum) in acc.iter().enumerate() {
            out.set(4 * q + j, sum);
        }
    }
    for r in 4 * quads..rows {
        out.set(r, values[r * k..(r + 1) * k].iter().fold(init, |sum, &x| sum + map(x)));
    }
}

/// Σ of `terms` from +0 in index order (the one-network path's totals).
#[inline(always)]
fn in_index_order(terms: &[f64]) -> f64 {
    terms.iter().fold(0.0, |sum, &x| sum + x)
}

/// X_k of one network (the others' T·ξ over active users; a silent user's is the
/// total; 0 where X_k is not used), as `for_each_user_channel_of`.
#[inline(always)]
fn other_excess_noise_of<F: OutColumn<f64> + ?Sized>(
    uses_x: bool,
    total_txi: f64,
    txi: &[f64],
    v_r: &[f64],
    t_r: &[f64],
    xi_r: &[f64],
    x_r: &mut F,
) {
    if uses_x {
        others_of(total_txi, txi, v_r, |j| t_r[j] * xi_r[j], x_r);
    } else {
        x_r.fill_with(0.0);
    }
}

/// Σ_{j≠i, active} term(j) for every user i of one network (`total`: over all active
/// users; `own`: user i's term, 0 if silent), and the total for a silent user: by
/// difference in a loop without branches, then directly for the (rare) users whose own
/// term is over half the total ([`others_by_difference`]).
#[inline(always)]
fn others_of<F: OutColumn<f64> + ?Sized>(
    total: f64,
    own: &[f64],
    v_r: &[f64],
    term: impl Fn(usize) -> f64,
    out: &mut F,
) {
    let k = own.len();
    let (v_r, out) = (&v_r[..k], out.part(0..k));
    let mut needs_direct = false;
    for i in 0..k {
        let active = v_r[i] > 0.0;
        let (by_difference, exact) = others_by_difference(total, own[i]);
        needs_direct |= active & !exact;
        out.set(i, if active { by_difference } else { total });
    }
    if needs_direct {
        for i in 0..k {
            if v_r[i] > 0.0 && !others_by_difference(total, own[i]).1 {
                out.set(i, others_directly(i, v_r, &term));
            }
        }
    }
}

/// The gain order of one network into `order` (descending T, ties by index, as
/// [`gain_order_of`](crate::rates::gain_order_of)) and each user's place in it into
/// `position`: for K ≤ [`RANK_ORDER_MAX_USERS`] each user's position counts the users
/// ahead of it, loops without branches; above, or if the counts are not K distinct
/// positions (only for T outside the validated range, e.g. NaN), a sort. So `order` is a
/// permutation for any T, and every user's outputs get written.
#[inline(always)]
fn gain_order_into(t: &[f64], order: &mut Vec<usize>, position: &mut [usize]) {
    let k = t.len();
    if k > RANK_ORDER_MAX_USERS || !(ranks_above(t, position) || ranks_by_counting(t, position)) {
        // The sort of `gain_order_of` above RANK_ORDER_MAX_USERS (a permutation whatever
        // the comparisons say; for valid T the same order as counting, tests/batch.rs).
        order.clear();
        order.extend(0..k);
        order.sort_by(|&a, &b| t[b].total_cmp(&t[a]).then(a.cmp(&b)));
        for (p, &i) in order.iter().enumerate() {
            position[i] = p;
        }
        return;
    }
    order.resize(k, 0);
    let order = &mut order[..k];
    for (i, &p) in position[..k].iter().enumerate() {
        order[p] = i;
    }
}

/// Each user's position in the gain order into `position` (K ≤ [`RANK_ORDER_MAX_USERS`])
/// if no two T are equal: the users j with T_j > T_i, counted for all i at once (vertical
/// adds), four j per pass over the positions, one comparison per pair (a third of
/// [`ranks_by_counting`]'s). True if the counts are K distinct positions, which holds
/// exactly when no two T compare equal and none is NaN (K ≥ 2): equal T get equal counts,
/// and a NaN counts 0 as does the largest other T. Then, as no tie is left to break,
/// they are the gain order's positions; otherwise the caller counts with the ties broken.
#[inline(always)]
fn ranks_above(t: &[f64], position: &mut [usize]) -> bool {
    let k = t.len();
    let position = &mut position[..k];
    position.fill(0);
    let quads = t.chunks_exact(4);
    let rest = quads.remainder();
    for tq in quads {
        for (p, &ti) in position.iter_mut().zip(t) {
            *p += usize::from(tq[0] > ti) + usize::from(tq[1] > ti) + usize::from(tq[2] > ti) + usize::from(tq[3] > ti);
        }
    }
    for &tj in rest {
        for (p, &ti) in position.iter_mut().zip(t) {
            *p += usize::from(tj > ti);
        }
    }
    are_distinct_positions(position)
}

/// Whether the K counts in `position` (each below K ≤ 32) are K distinct positions: K
/// distinct counts set K distinct bits.
#[inline(always)]
fn are_distinct_positions(position: &[usize]) -> bool {
    let seen = position.iter().fold(0u64, |seen, &p| seen | 1 << p);
    seen == (1u64 << position.len()) - 1
}

/// Each user's position in the gain order into `position` (K ≤ [`RANK_ORDER_MAX_USERS`]),
/// counted: the users j ahead of user i (T_j > T_i, or equal with j < i), accumulated
/// over j for all i at once (vertical adds, no horizontal sums), four j per pass over the
/// positions. T_k validated in (0, 1) order by `>` and `==` as `total_cmp` does, and give
/// K distinct positions; false if the positions are not distinct (T outside that range).
#[inline(always)]
fn ranks_by_counting(t: &[f64], position: &mut [usize]) -> bool {
    let k = t.len();
    let position = &mut position[..k];
    position.fill(0);
    let ahead = |j: usize, tj: f64, i: usize, ti: f64| usize::from((tj > ti) | ((tj == ti) & (j < i)));
    let quads = t.chunks_exact(4);
    let rest = quads.remainder();
    for (q, tq) in quads.enumerate() {
        let j = 4 * q;
        for (i, (p, &ti)) in position.iter_mut().zip(t).enumerate() {
            *p += ahead(j, tq[0], i, ti)
                + ahead(j + 1, tq[1], i, ti)
                + ahead(j + 2, tq[2], i, ti)
                + ahead(j + 3, tq[3], i, ti);
        }
    }
    for (m, &tj) in rest.iter().enumerate() {
        let j = k - rest.len() + m;
        for (i, (p, &ti)) in position.iter_mut().zip(t).enumerate() {
            *p += ahead(j, tj, i, ti);
        }
    }
    are_distinct_positions(position)
}

//! Per-user and sum secret key rates for every convention, model and access
//! scheme (SPEC §2–§4; paper eqs. (6), (14)–(27)).

use crate::convention::{Access, Convention, Model, Settings};
use crate::entropy::{
    asymptotic_eigenvalues, heterodyne_conditional_eigenvalue, is_physical_eigenvalue, ln_1p_with, plob_bound,
    thermal_entropy_nats_with, trusted_conditional_eigenvalues, two_mode_eigenvalues, LibmLog, NaturalLog,
};
use crate::error::{fmt_value, InputError};
use serde::{Serialize, Serializer};
use std::f64::consts::E;
use std::fmt;

/// What user k sees at the receiver once the access scheme has decided who
/// interferes (SPEC §3, §4.1). All variances in SNU.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UserChannel {
    /// T_k in (0, 1).
    pub transmittance: f64,
    /// V_A,k ≥ 0 (SNU per quadrature); 0 means silent. Under `paper` this is V_a,k.
    pub modulation_variance: f64,
    /// ξ_k ≥ 0 (SNU, input-referred); the paper's W_k.
    pub excess_noise: f64,
    /// X_k = Σ T_i·ξ_i over the other active users (SNU; 0 under `paper` and `oma`).
    pub other_excess_noise: f64,
    /// V_I,k = Σ T_i·V_A,i over the interfering users (SNU), as it enters Z.
    pub interference: f64,
    /// Σ V_a,i over the same users without T_i: only used by `--literal-eq6` (SNU).
    pub literal_interference: f64,
}

/// Key-rate figures of one user (bits per symbol of the user's own slot).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UserRate {
    /// Lower bound on Alice–Bob mutual information, I_k.
    pub mutual_information: f64,
    /// Eve's Holevo information χ_k (exact or large-modulation).
    pub holevo: f64,
    /// SKR_k = η·I_k − χ_k (unclipped).
    pub secret_key_rate: f64,
    /// PLOB bound −log2(1 − T_k).
    pub plob_bound: f64,
    /// Whether the exact state's symplectic eigenvalues are all ≥ 1 − 1e-9 (SPEC §2).
    pub physical: bool,
    /// Whether `secret_key_rate` exceeds `plob_bound`.
    pub exceeds_plob: bool,
    /// Whether V_A,k = 0.
    pub silent: bool,
    /// Asymptotic model only: whether λ̃2 and λ̃_het are ≥ 1 (else h = 0 was used).
    pub approximation_valid: Option<bool>,
    /// Smallest of the exact state's checked eigenvalues (diagnostic, not serialized).
    #[serde(skip)]
    pub min_eigenvalue: f64,
}

/// Noise at the receiver's input, Z_k (SNU), for the given convention (SPEC §4.1–§4.3).
///
/// - `standard`: Z = 1 − T + T·ξ + X + δ² + V_I;
/// - `trusted`:  Z = 1 − T + T·ξ + X + V_I;
/// - `paper`:    Z = (1 − T)·W + δ² + V_I (X ignored, W = ξ as given).
#[inline(always)]
pub fn receiver_input_noise(settings: &Settings, t: f64, xi: f64, other_xi: f64, interference: f64) -> f64 {
    let d2 = settings.receiver().detector_noise_snu();
    match settings.convention() {
        Convention::Standard => 1.0 - t + t * xi + other_xi + d2 + interference,
        Convention::Trusted => 1.0 - t + t * xi + other_xi + interference,
        Convention::Paper => (1.0 - t) * xi + d2 + interference,
    }
}

/// EPR variance V (SNU) for a modulation variance: V_A + 1, or V_a itself under `paper`.
#[inline(always)]
pub fn epr_variance(convention: Convention, modulation_variance: f64) -> f64 {
    match convention {
        Convention::Paper => modulation_variance,
        _ => modulation_variance + 1.0,
    }
}

/// Eve's Holevo information (bits) at EPR variance `v`, transmittance `t` and
/// receiver-input noise `z` (SNU), with the physicality diagnostics.
///
/// Returns (χ, physical, min checked eigenvalue, approximation_valid).
/// SPEC §4.1 (χ = h(λ1) + h(λ2) − h(λ_het)), §4.2 (trusted: − h(λ3) − h(λ4)),
/// §4.4 (asymptotic: χ̃ = log2(e·λ̃1/2) + h(λ̃2) − h(λ̃_het)). The entropies are
/// summed in nats and converted to bits once.
#[inline(always)]
pub fn holevo_information(settings: &Settings, v: f64, t: f64, z: f64) -> (f64, bool, f64, Option<bool>) {
    holevo_information_with::<LibmLog>(settings, v, t, z)
}

/// [`holevo_information`] with the logarithm `L` (the columns kernel uses the branch-free one).
#[inline(always)]
pub fn holevo_information_with<L: NaturalLog>(
    settings: &Settings,
    v: f64,
    t: f64,
    z: f64,
) -> (f64, bool, f64, Option<bool>) {
    let (l1, l2) = two_mode_eigenvalues(v, t, z);
    match settings.convention() {
        Convention::Trusted => {
            let (l3, l4) = trusted_conditional_eigenvalues(v, t, z, settings.receiver().chi_het_snu(), l1, l2);
            let h = thermal_entropy_nats_with::<L>;
            let chi = L::nats_to_bits(h(l1) + h(l2) - h(l3) - h(l4));
            let min = l2.min(l3).min(l4);
            (chi, is_physical_eigenvalue(min), min, None)
        }
        _ => {
            let lhet = heterodyne_conditional_eigenvalue(v, t, z);
            let min = l2.min(lhet);
            let physical = is_physical_eigenvalue(min);
            match settings.model() {
                Model::Exact => {
                    let h = thermal_entropy_nats_with::<L>;
                    let chi = L::nats_to_bits(h(l1) + h(l2) - h(lhet));
                    (chi, physical, min, None)
                }
                Model::Asymptotic => {
                    let (a1, a2, ahet) = asymptotic_eigenvalues(v, t, z);
                    let h = thermal_entropy_nats_with::<L>;
                    let chi = L::nats_to_bits(L::ln(E * a1 / 2.0) + h(a2) - h(ahet));
                    let valid = is_physical_eigenvalue(a2) && is_physical_eigenvalue(ahet);
                    (chi, physical, min, Some(valid))
                }
            }
        }
    }
}

/// Mutual-information lower bound I_k (bits per symbol), SPEC §4.1–§4.3 (paper eq. (6) corrected).
#[inline(always)]
pub fn mutual_information(settings: &Settings, ch: &UserChannel, z: f64) -> f64 {
    mutual_information_with::<LibmLog>(settings, ch, z)
}

/// [`mutual_information`] with the logarithm `L`.
#[inline(always)]
pub fn mutual_information_with<L: NaturalLog>(settings: &Settings, ch: &UserChannel, z: f64) -> f64 {
    let t = ch.transmittance;
    let va = ch.modulation_variance;
    let snr = match settings.convention() {
        Convention::Standard => t * va / (1.0 + t + z),
        Convention::Trusted => t * va / (t + z + settings.receiver().chi_het_snu()),
        Convention::Paper => {
            let vi = if settings.literal_eq6() { ch.literal_interference } else { ch.interference };
            t * va / (vi + (1.0 - t) * ch.excess_noise + settings.receiver().detector_noise_snu())
        }
    };
    L::nats_to_bits(ln_1p_with::<L>(snr))
}

/// Key-rate figures of one user, SKR_k = η·I_k − χ_k (SPEC §4).
///
/// Inputs are not validated here (see [`evaluate`]); a silent user
/// (V_A,k = 0) yields zeros, `physical` and `silent` true.
#[inline(always)]
pub fn user_rate(settings: &Settings, ch: &UserChannel) -> UserRate {
    let plob = plob_bound(ch.transmittance);
    if ch.modulation_variance == 0.0 {
        let approx_flag = (settings.model() == Model::Asymptotic).then_some(true);
        return UserRate {
            mutual_information: 0.0,
            holevo: 0.0,
            secret_key_rate: 0.0,
            plob_bound: plob,
            physical: true,
            exceeds_plob: false,
            silent: true,
            approximation_valid: approx_flag,
            min_eigenvalue: f64::INFINITY,
        };
    }
    let (info, chi, skr, physical, min, approx) = active_user_rate(settings, ch);
    UserRate {
        mutual_information: info,
        holevo: chi,
        secret_key_rate: skr,
        plob_bound: plob,
        physical,
        exceeds_plob: skr > plob,
        silent: false,
        approximation_valid: approx,
        min_eigenvalue: min,
    }
}

/// (I_k, χ_k, SKR_k, physical, min eigenvalue, approximation_valid) of an active user
/// (V_A,k > 0): [`user_rate`] without the PLOB bound, shared with [`sum_rates`].
#[inline(always)]
fn active_user_rate(settings: &Settings, ch: &UserChannel) -> (f64, f64, f64, bool, f64, Option<bool>) {
    active_user_rate_with::<LibmLog>(settings, ch)
}

/// [`active_user_rate`] with the logarithm `L` (the columns kernel of [`crate::batch`]).
#[inline(always)]
pub(crate) fn active_user_rate_with<L: NaturalLog>(
    settings: &Settings,
    ch: &UserChannel,
) -> (f64, f64, f64, bool, f64, Option<bool>) {
    let z = receiver_input_noise(settings, ch.transmittance, ch.excess_noise, ch.other_excess_noise, ch.interference);
    let v = epr_variance(settings.convention(), ch.modulation_variance);
    let info = mutual_information_with::<L>(settings, ch, z);
    let (chi, physical, min, approx) = holevo_information_with::<L>(settings, v, ch.transmittance, z);
    let skr = settings.receiver().reconciliation_efficiency() * info - chi;
    (info, chi, skr, physical, min, approx)
}

/// SKR_k alone, bit-identical to `user_rate(settings, ch).secret_key_rate` (0 for a
/// silent user) without the PLOB bound and the flags: the hot path of [`sum_rates`].
#[inline]
pub fn user_secret_key_rate(settings: &Settings, ch: &UserChannel) -> f64 {
    if ch.modulation_variance == 0.0 {
        0.0
    } else {
        active_user_rate(settings, ch).2
    }
}

/// The users' links: transmittances and excess noises, validated (SPEC §1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Network {
    transmittance: Vec<f64>,
    excess_noise: Vec<f64>,
}

impl Network {
    /// Validated network: T_k in (0, 1), ξ_k in [0, 1e60] SNU; `excess_noise`
    /// has one value per user or a single value shared by all.
    pub fn new(transmittance: Vec<f64>, excess_noise: Vec<f64>) -> Result<Self, InputError> {
        validate_transmittance(&transmittance)?;
        let excess_noise = broadcast("excess_noise", excess_noise, transmittance.len())?;
        validate_excess_noise(&excess_noise)?;
        Ok(Self { transmittance, excess_noise })
    }

    /// Number of users K.
    pub fn len(&self) -> usize {
        self.transmittance.len()
    }
    /// Always false: a network has at least one user.
    pub fn is_empty(&self) -> bool {
        false
    }
    /// T_k.
    pub fn transmittance(&self) -> &[f64] {
        &self.transmittance
    }
    /// ξ_k (SNU).
    pub fn excess_noise(&self) -> &[f64] {
        &self.excess_noise
    }

    /// Default SIC order: descending T_k, ties by ascending index (SPEC §1).
    pub fn gain_order(&self) -> Vec<usize> {
        let mut order = Vec::with_capacity(self.len());
        self.gain_order_into(&mut order);
        order
    }

    /// [`Network::gain_order`] written into `order` (cleared first), so that a caller
    /// evaluating many networks can reuse one buffer (see [`gain_order_of`]).
    pub fn gain_order_into(&self, order: &mut Vec<usize>) {
        gain_order_of(&self.transmittance, order);
    }

    /// Whether Σ_k T_k ≤ 1: K modes combined passively into one need it (SPEC §2).
    pub fn joint_channel_physical(&self) -> bool {
        joint_channel_physical_of(&self.transmittance)
    }
}

/// Check transmittances: at least one user, each T_k in (0, 1) (SPEC §1); the checks
/// and messages of [`Network::new`], for callers holding slices.
#[inline]
pub fn validate_transmittance(transmittance: &[f64]) -> Result<(), InputError> {
    if transmittance.is_empty() {
        return Err(InputError::NoUsers);
    }
    for (k, &t) in transmittance.iter().enumerate() {
        if !(t > 0.0 && t < 1.0) {
            return Err(InputError::UserOutOfRange {
                field: "transmittance",
                user: k,
                value: fmt_value(t),
                allowed: "a number in (0, 1)",
            });
        }
    }
    Ok(())
}

/// Largest excess noise accepted (SNU). Beyond ~1e154 the squares in the symplectic
/// eigenvalues overflow and χ became NaN with exit code 0 (found in review); 1e60 SNU,
/// like [`MAX_MODULATION_VARIANCE_SNU`], is far beyond any link that yields key and keeps
/// every intermediate finite.
pub const MAX_EXCESS_NOISE_SNU: f64 = 1e60;

/// Check excess noises (one per user, already broadcast): each ξ_k in [0, 1e60] SNU
/// (SPEC §1); the checks and messages of [`Network::new`].
#[inline]
pub fn validate_excess_noise(excess_noise: &[f64]) -> Result<(), InputError> {
    for (k, &x) in excess_noise.iter().enumerate() {
        if !(0.0..=MAX_EXCESS_NOISE_SNU).contains(&x) {
            return Err(InputError::UserOutOfRange {
                field: "excess_noise",
                user: k,
                value: fmt_value(x),
                allowed: "a finite number in [0, 1e60] SNU",
            });
        }
    }
    Ok(())
}

/// The default SIC order of validated transmittances `t` (descending T_k, ties by
/// ascending index, SPEC §1), written into `order` (cleared first).
///
/// Up to [`RANK_ORDER_MAX_USERS`] users, each user's position is its rank, the number
/// of users with a larger T (or an equal T and a smaller index): K² branch-free
/// comparisons, faster than a comparison sort (whose branches mispredict on random
/// T) at K = 16. Larger K use a sort. Both give the same order (tested).
///
/// `order` is a permutation of 0..K for any `t`: if the ranks are not K distinct
/// positions (a NaN compares false both ways), the sort (by `total_cmp`) is used.
#[inline(always)]
pub fn gain_order_of(t: &[f64], order: &mut Vec<usize>) {
    let k = t.len();
    order.clear();
    if k <= RANK_ORDER_MAX_USERS {
        order.resize(k, 0);
        let mut seen = 0u64;
        for (i, &ti) in t.iter().enumerate() {
            // T_k are validated in (0, 1), so `>` and `==` agree with `total_cmp`.
            let rank = t[..i].iter().filter(|&&tj| tj >= ti).count() + t[i + 1..].iter().filter(|&&tj| tj > ti).count();
            seen |= 1 << rank;
            order[rank] = i;
        }
        if seen == (1u64 << k) - 1 {
            return;
        }
        order.clear();
    }
    order.extend(0..k);
    order.sort_by(|&a, &b| t[b].total_cmp(&t[a]).then(a.cmp(&b)));
}

/// Whether Σ_k T_k ≤ 1 (summed in index order): K modes combined passively into one
/// need it (SPEC §2).
#[inline]
pub fn joint_channel_physical_of(t: &[f64]) -> bool {
    t.iter().sum::<f64>() <= 1.0
}

/// Largest K for which [`Network::gain_order_into`] ranks by counting instead of sorting.
pub const RANK_ORDER_MAX_USERS: usize = 32;

/// Expand a one-value list to K values; reject other length mismatches.
pub fn broadcast(field: &'static str, values: Vec<f64>, k: usize) -> Result<Vec<f64>, InputError> {
    match values.len() {
        n if n == k => Ok(values),
        1 => Ok(vec![values[0]; k]),
        n => Err(InputError::LengthMismatch { field, got: n, expected: k }),
    }
}

/// Check that `order` is a permutation of 0..k (SPEC §1).
pub fn validate_order(order: &[usize], k: usize) -> Result<(), InputError> {
    let mut seen = vec![false; k];
    let ok = order.len() == k
        && order.iter().all(|&i| {
            if i < k && !seen[i] {
                seen[i] = true;
                true
            } else {
                false
            }
        });
    if ok {
        Ok(())
    } else {
        Err(InputError::NotAPermutation { value: format!("{order:?}"), users: k })
    }
}

/// Largest modulation variance accepted (SNU). The trusted eigenvalue formulas square
/// products such as V·Z (Z holding other users' V·T), which overflow f64 near 1e154;
/// 1e60 SNU (~1e47 W at 1550 nm and 10 MBd, far beyond any optical source) keeps every
/// intermediate finite for any number of users.
pub const MAX_MODULATION_VARIANCE_SNU: f64 = 1e60;

/// Check modulation variances: one per user, finite, in [0, 1e60]; under `paper`
/// either 0 (silent) or ≥ 1 (SPEC §4, §4.3).
pub fn validate_modulation(convention: Convention, v: &[f64], k: usize) -> Result<(), InputError> {
    if v.len() != k {
        return Err(InputError::LengthMismatch { field: "modulation_variance", got: v.len(), expected: k });
    }
    for (i, &x) in v.iter().enumerate() {
        if !(x.is_finite() && (0.0..=MAX_MODULATION_VARIANCE_SNU).contains(&x)) {
            return Err(InputError::UserOutOfRange {
                field: "modulation_variance",
                user: i,
                value: fmt_value(x),
                allowed: "a finite number in [0, 1e60] SNU (0 = silent)",
            });
        }
        if convention == Convention::Paper && x > 0.0 && x < 1.0 {
            return Err(InputError::UserOutOfRange {
                field: "modulation_variance",
                user: i,
                value: fmt_value(x),
                allowed: "0 (silent) or >= 1 under --convention paper (V_a is the EPR variance)",
            });
        }
    }
    Ok(())
}

/// A warning attached to a result (SPEC §11.2): one line each.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Warning {
    /// A user's exact state has a symplectic eigenvalue below 1.
    Unphysical {
        /// 0-based user.
        user: usize,
        /// Smallest checked eigenvalue (SNU).
        min_eigenvalue: f64,
    },
    /// A user's key rate exceeds the PLOB bound.
    ExceedsPlob {
        /// 0-based user.
        user: usize,
        /// SKR_k (bits/symbol).
        rate: f64,
        /// −log2(1 − T_k) (bits/use).
        bound: f64,
    },
    /// Σ T_k > 1 (SPEC §2).
    JointChannelUnphysical {
        /// Σ_k T_k.
        sum_transmittance: f64,
    },
    /// The large-modulation approximation is outside its range for a user (SPEC §4.4).
    ApproximationInvalid {
        /// 0-based user.
        user: usize,
    },
    /// Free text from a higher layer (optimizer status, finite-size notes).
    Other(String),
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Unphysical { user, min_eigenvalue } => write!(
                f,
                "user {user}: unphysical state (smallest symplectic eigenvalue {min_eigenvalue:.6} < 1); its rate is not a valid key rate"
            ),
            Warning::ExceedsPlob { user, rate, bound } => write!(
                f,
                "user {user}: key rate {rate:.6} bit/symbol exceeds the PLOB bound {bound:.6} bit/use; no physical protocol can reach it"
            ),
            Warning::JointChannelUnphysical { sum_transmittance } => write!(
                f,
                "sum of transmittances {sum_transmittance:.6} > 1: no passive joint channel has these losses; the model under-counts the receiver's vacuum noise"
            ),
            Warning::ApproximationInvalid { user } => write!(
                f,
                "user {user}: large-modulation approximation out of range (an approximate eigenvalue < 1, h = 0 used)"
            ),
            Warning::Other(s) => f.write_str(s),
        }
    }
}

impl Serialize for Warning {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One user's full row of a rate report (SPEC §11.3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserReport {
    /// 0-based input index.
    pub user: usize,
    /// T_k.
    pub transmittance: f64,
    /// V_A,k (SNU).
    pub modulation_variance: f64,
    /// Position in the SIC order (0 = decoded first); `None` unless `noma`.
    pub decode_position: Option<usize>,
    /// Share of the symbols the user owns (1 under NOMA/CIH, 1/K under OMA).
    pub slot_fraction: f64,
    /// V_I,k as it enters Z (SNU, T-weighted).
    pub interference: f64,
    /// X_k (SNU).
    pub other_excess_noise: f64,
    /// The key-rate figures.
    #[serde(flatten)]
    pub rate: UserRate,
}

/// A complete evaluation of given powers (SPEC §11.3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateReport {
    /// Convention used.
    pub convention: Convention,
    /// Model used.
    pub model: Model,
    /// Access scheme.
    pub access: Access,
    /// The decoding order used (`None` under `oma`/`cih`).
    pub order: Option<Vec<usize>>,
    /// Per-user rows in input order.
    pub users: Vec<UserReport>,
    /// Σ_k slot_fraction_k·SKR_k (paper eq. (21)).
    pub sum_secret_key_rate: f64,
    /// Σ_k slot_fraction_k·max(0, SKR_k).
    pub sum_secret_key_rate_clipped: f64,
    /// Σ_k T_k ≤ 1.
    pub joint_channel_physical: bool,
    /// One entry per warning (SPEC §11.2).
    pub warnings: Vec<Warning>,
}

/// Slot fraction of each user under the settings' access scheme (SPEC §3, §11.3).
#[inline]
pub fn slot_fraction(settings: &Settings, k: usize) -> f64 {
    if settings.access() == Access::Oma && settings.time_sharing() {
        1.0 / k as f64
    } else {
        1.0
    }
}

/// Whether X_k, the other users' excess noise, enters user k's receiver noise (SPEC §4.1):
/// under `standard` and `trusted` with a shared channel (`noma`, `cih`).
#[inline(always)]
pub(crate) fn uses_other_excess_noise(settings: &Settings) -> bool {
    matches!(settings.convention(), Convention::Standard | Convention::Trusted) && settings.access() != Access::Oma
}

/// Σ_{j≠i, active} term(j) as `total − own` (total: the sum over all active users, own:
/// user i's term, both ≥ 0), and whether that is exact to a few ulp: own ≤ total/2. If
/// not (at most one user of a network), sum the others with [`others_directly`]. (A pair,
/// not an `Option`: computed unconditionally, it vectorizes in loops over users.)
#[inline(always)]
pub(crate) fn others_by_difference(total: f64, own: f64) -> (f64, bool) {
    ((total - own).max(0.0), own <= 0.5 * total)
}

/// Σ_{j≠i, v_j > 0} term(j), in index order.
#[inline(always)]
pub(crate) fn others_directly(i: usize, v: &[f64], term: impl Fn(usize) -> f64) -> f64 {
    (0..v.len()).filter(|&j| j != i && v[j] > 0.0).map(term).sum()
}

/// Visit each user with its [`UserChannel`] (interference bookkeeping of SPEC §3
/// and X_k of §4.1), in decoding order from last to first, without allocating.
///
/// `order` must be a permutation of 0..K (only read under `noma`).
#[inline]
pub fn for_each_user_channel(
    settings: &Settings,
    network: &Network,
    order: &[usize],
    modulation_variance: &[f64],
    visit: impl FnMut(usize, UserChannel),
) {
    for_each_user_channel_of(
        settings,
        network.transmittance(),
        network.excess_noise(),
        order,
        modulation_variance,
        visit,
    );
}

/// [`for_each_user_channel`] for validated columns: `transmittance` and `excess_noise`
/// with one value per user (as [`Network`] holds them).
#[inline(always)]
pub fn for_each_user_channel_of(
    settings: &Settings,
    transmittance: &[f64],
    excess_noise: &[f64],
    order: &[usize],
    modulation_variance: &[f64],
    mut visit: impl FnMut(usize, UserChannel),
) {
    let t = transmittance;
    let xi = excess_noise;
    let k = t.len();
    let uses_x = uses_other_excess_noise(settings);
    let mut total_txi = 0.0;
    let mut total_tv = 0.0;
    let mut total_v = 0.0;
    for i in 0..k {
        if modulation_variance[i] > 0.0 {
            total_txi += t[i] * xi[i];
            total_tv += t[i] * modulation_variance[i];
            total_v += modulation_variance[i];
        }
    }
    // Σ_{j≠i, active} term(j) without cancellation (see `others_by_difference`).
    // O(K) overall, no allocation.
    // A generic fn rather than a closure taking `&dyn Fn`: the term inlines (the
    // dynamic call cost ~13 % of a batched evaluation).
    #[inline(always)]
    fn others(i: usize, total: f64, own: f64, v: &[f64], term: impl Fn(usize) -> f64) -> f64 {
        match others_by_difference(total, own) {
            (value, true) => value,
            (_, false) => others_directly(i, v, term),
        }
    }
    let modulation = modulation_variance;
    // X_k and the channel as nested `#[inline(always)]` fns, not closures, so that they
    // inline into callers compiled for wider vectors (the Python bindings' batched path).
    #[inline(always)]
    fn x_of(i: usize, uses_x: bool, total_txi: f64, t: &[f64], xi: &[f64], v: &[f64]) -> f64 {
        if !uses_x {
            0.0
        } else if v[i] > 0.0 {
            others(i, total_txi, t[i] * xi[i], v, |j| t[j] * xi[j])
        } else {
            total_txi
        }
    }
    let channel = |i: usize, vi: f64, vlit: f64| UserChannel {
        transmittance: t[i],
        modulation_variance: modulation[i],
        excess_noise: xi[i],
        other_excess_noise: x_of(i, uses_x, total_txi, t, xi, modulation),
        interference: vi,
        literal_interference: vlit,
    };
    match settings.access() {
        Access::Noma => {
            let mut later_tv = 0.0;
            let mut later_v = 0.0;
            for &i in order.iter().rev() {
                visit(i, channel(i, later_tv, later_v));
                if modulation_variance[i] > 0.0 {
                    later_tv += t[i] * modulation_variance[i];
                    later_v += modulation_variance[i];
                }
            }
        }
        Access::Cih => {
            for i in (0..k).rev() {
                let own = modulation_variance[i] > 0.0;
                let vi = if own {
                    others(i, total_tv, t[i] * modulation[i], modulation, |j| t[j] * modulation[j])
                } else {
                    total_tv
                };
                let vl = if own { others(i, total_v, modulation[i], modulation, |j| modulation[j]) } else { total_v };
                visit(i, channel(i, vi, vl));
            }
        }
        Access::Oma => {
            for i in (0..k).rev() {
                visit(i, channel(i, 0.0, 0.0));
            }
        }
    }
}

/// Sum rates (raw, clipped) with slot fractions, without allocating or
/// validating: the hot path for optimizers and sweeps (SPEC §4, eq. (21)).
#[inline]
pub fn sum_rates(settings: &Settings, network: &Network, order: &[usize], modulation_variance: &[f64]) -> (f64, f64) {
    let f = slot_fraction(settings, network.len());
    let mut raw = 0.0;
    let mut clipped = 0.0;
    for_each_user_channel(settings, network, order, modulation_variance, |_, ch| {
        let r = user_secret_key_rate(settings, &ch);
        raw += r;
        clipped += r.max(0.0);
    });
    (f * raw, f * clipped)
}

/// Evaluate given modulation variances (SNU) for a network: validated inputs,
/// per-user rows, sums and warnings (SPEC §2–§4, §11.3).
///
/// `order` is the SIC order (a permutation of 0..K, `order[0]` decoded first);
/// it is only used under `noma`.
pub fn evaluate(
    settings: &Settings,
    network: &Network,
    order: &[usize],
    modulation_variance: &[f64],
) -> Result<RateReport, InputError> {
    let k = network.len();
    validate_order(order, k)?;
    validate_modulation(settings.convention(), modulation_variance, k)?;
    let fraction = slot_fraction(settings, k);
    let mut position = vec![0usize; k];
    for (p, &i) in order.iter().enumerate() {
        position[i] = p;
    }
    let mut rows: Vec<Option<UserReport>> = vec![None; k];
    for_each_user_channel(settings, network, order, modulation_variance, |i, ch| {
        rows[i] = Some(UserReport {
            user: i,
            transmittance: ch.transmittance,
            modulation_variance: ch.modulation_variance,
            decode_position: (settings.access() == Access::Noma).then_some(position[i]),
            slot_fraction: fraction,
            interference: ch.interference,
            other_excess_noise: ch.other_excess_noise,
            rate: user_rate(settings, &ch),
        });
    });
    let users: Vec<UserReport> = rows.into_iter().map(|r| r.expect("every user visited once")).collect();
    Ok(finish_report(settings, network, order, users))
}

/// Sums, flags and warnings for a set of per-user rows (shared with the optimizers).
pub fn finish_report(settings: &Settings, network: &Network, order: &[usize], users: Vec<UserReport>) -> RateReport {
    let sum: f64 = users.iter().map(|u| u.slot_fraction * u.rate.secret_key_rate).sum();
    let clipped: f64 = users.iter().map(|u| u.slot_fraction * u.rate.secret_key_rate.max(0.0)).sum();
    let mut warnings = Vec::new();
    for u in &users {
        if !u.rate.physical {
            warnings.push(Warning::Unphysical { user: u.user, min_eigenvalue: u.rate.min_eigenvalue });
        }
        if u.rate.exceeds_plob {
            warnings.push(Warning::ExceedsPlob {
                user: u.user,
                rate: u.rate.secret_key_rate,
                bound: u.rate.plob_bound,
            });
        }
        if u.rate.approximation_valid == Some(false) {
            warnings.push(Warning::ApproximationInvalid { user: u.user });
        }
    }
    let joint = network.joint_channel_physical();
    if !joint {
        warnings.push(Warning::JointChannelUnphysical { sum_transmittance: network.transmittance().iter().sum() });
    }
    RateReport {
        convention: settings.convention(),
        model: settings.model(),
        access: settings.access(),
        order: (settings.access() == Access::Noma).then(|| order.to_vec()),
        users,
        sum_secret_key_rate: sum,
        sum_secret_key_rate_clipped: clipped,
        joint_channel_physical: joint,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rank-counting order equals the definition (a stable sort by descending T,
    /// ties by ascending index) for K = 1…40, with many ties (T drawn from a few values)
    /// and without.
    #[test]
    fn gain_order_matches_sorted_definition() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut buf = Vec::new();
        for k in 1..=40usize {
            for trial in 0..50 {
                let t: Vec<f64> = (0..k)
                    .map(|_| if trial % 2 == 0 { 0.01 + 0.98 * next() } else { 0.1 * (1.0 + (5.0 * next()).floor()) })
                    .collect();
                let mut want: Vec<usize> = (0..k).collect();
                want.sort_by(|&a, &b| t[b].partial_cmp(&t[a]).unwrap().then(a.cmp(&b)));
                let net = Network::new(t, vec![0.0]).unwrap();
                assert_eq!(net.gain_order(), want, "K = {k}, T = {:?}", net.transmittance());
                net.gain_order_into(&mut buf);
                assert_eq!(buf, want);
            }
        }
    }

    /// Outside the validated range (NaN, ±0, ±inf), the order is still a permutation of
    /// 0..K: the `total_cmp` sort, wherever the ranks are not distinct positions.
    #[test]
    fn gain_order_is_a_permutation_for_any_t() {
        let values = [f64::NAN, -f64::NAN, 0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, 0.5, 0.5, 2.0, -1.0];
        let mut order = Vec::new();
        for k in 1..=5usize {
            for code in 0..values.len().pow(k as u32) {
                let t: Vec<f64> = (0..k).map(|j| values[code / values.len().pow(j as u32) % values.len()]).collect();
                gain_order_of(&t, &mut order);
                let mut sorted = order.clone();
                sorted.sort_unstable();
                assert_eq!(sorted, (0..k).collect::<Vec<_>>(), "T = {t:?}: {order:?}");
                if t.iter().any(|x| x.is_nan()) {
                    let mut want: Vec<usize> = (0..k).collect();
                    want.sort_by(|&a, &b| t[b].total_cmp(&t[a]).then(a.cmp(&b)));
                    assert_eq!(order, want, "T = {t:?}");
                }
            }
        }
        // 33 users (the sort path) with a NaN.
        let t: Vec<f64> = (0..33).map(|i| if i == 7 { f64::NAN } else { 0.01 * i as f64 }).collect();
        gain_order_of(&t, &mut order);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..33).collect::<Vec<_>>());
    }
}

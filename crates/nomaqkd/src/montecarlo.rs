//! Quadrature-level Monte Carlo of the NOMA uplink (SPEC §10): simulated
//! Gaussian symbols, channel with entangling-cloner noise, detector noise,
//! heterodyne detection and (genie-aided or estimated) SIC; LGG10 estimators
//! with delta-method intervals and z-scores against SPEC's analytic targets.
//!
//! **Threads.** The library has no thread policy (STYLE 1): it exposes the
//! pure per-chunk computation [`Simulation::chunk_sums`] over fixed chunks of
//! [`CHUNK_SYMBOLS`] symbols, and [`Simulation::estimates`] on the chunk sums
//! reduced *in chunk order*. A caller may map chunks on any number of threads
//! (the CLI uses rayon), collect in index order and reduce with
//! [`reduce_in_order`]: the result is bit-identical for any thread count
//! (STYLE 14). [`Simulation::run_replicate`] is the serial reference.
//!
//! **Random numbers.** ChaCha8 (`rand_chacha`), key from the scenario seed;
//! one stream (ChaCha nonce) per (replicate, user, variable); chunk c of a
//! stream starts at word 2^36·c, far beyond what a chunk consumes (≈ 2^19
//! words), so chunks are independent and reproducible on their own.

use crate::convention::{Access, Convention, Model, Settings};
use crate::error::InputError;
use crate::finite::{receiver_noise, upper_normal_quantile};
use crate::rates::{
    epr_variance, for_each_user_channel, holevo_information, mutual_information, receiver_input_noise,
    validate_modulation, validate_order, Network,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::Serialize;
use std::f64::consts::LN_2;

/// Symbols per chunk (SPEC §10.6).
pub const CHUNK_SYMBOLS: u64 = 1 << 16;

/// How the base station removes decoded users (SPEC §10.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SicMode {
    /// Subtract √T_j·x_j with the true T_j, x_j (SPEC's idealisation).
    #[default]
    Genie,
    /// Subtract t̂_j·x_j, t̂_j estimated from the same data, in decoding order.
    Estimated,
}

impl SicMode {
    /// Keyword used on the command line and in JSON (`genie`, `estimated`).
    pub fn as_str(self) -> &'static str {
        match self {
            SicMode::Genie => "genie",
            SicMode::Estimated => "estimated",
        }
    }
}

impl std::str::FromStr for SicMode {
    type Err = InputError;
    fn from_str(s: &str) -> Result<Self, InputError> {
        match s {
            "genie" => Ok(SicMode::Genie),
            "estimated" => Ok(SicMode::Estimated),
            other => Err(InputError::OutOfRange {
                field: "sic",
                value: other.to_string(),
                allowed: "one of genie, estimated",
            }),
        }
    }
}

/// Analytic targets of one user (SPEC §10.3).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Targets {
    /// T_k.
    pub transmittance: f64,
    /// σ_k² = T_k + Z_k + c (SNU).
    pub noise_variance: f64,
    /// ξ_k (SNU).
    pub excess_noise: f64,
    /// ξ_k^eff = ξ_k + X_k/T_k (SNU).
    pub excess_noise_eff: f64,
    /// I_k (bits per symbol).
    pub mutual_information: f64,
    /// χ_k (bits per symbol).
    pub holevo: f64,
}

#[derive(Debug, Clone, Copy)]
struct UserSetup {
    active: bool,
    t: f64,
    va: f64,
    xi: f64,
    interference: f64,
    other_xi: f64,
    targets: Targets,
    /// Users decoded before this one (SPEC §9.3 D_k).
    decoded_before: usize,
}

/// A validated simulation set-up: one scenario, one seed.
#[derive(Debug, Clone)]
pub struct Simulation {
    settings: Settings,
    order: Vec<usize>,
    users: Vec<UserSetup>,
    /// D_k as index lists.
    decoded: Vec<Vec<usize>>,
    key: [u8; 32],
}

/// Sums of one chunk (or of a whole replicate after [`reduce_in_order`]),
/// pooled over both quadratures.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkSums {
    /// Real samples M (2 per symbol).
    pub samples: f64,
    /// Gram matrix of (x_0 … x_{K−1}, y), row-major (K+1)×(K+1), upper triangle filled.
    pub gram: Vec<f64>,
    /// Per user: Σ x^a·r^(4−a), a = 0..=4, with r the genie SIC residual.
    pub fourth: Vec<[f64; 5]>,
}

impl ChunkSums {
    fn zeros(k: usize) -> Self {
        Self { samples: 0.0, gram: vec![0.0; (k + 1) * (k + 1)], fourth: vec![[0.0; 5]; k] }
    }
    /// Add `o` to these sums (element by element; [`reduce_in_order`] is this from
    /// zero, chunk by chunk).
    pub fn add(&mut self, o: &ChunkSums) {
        self.samples += o.samples;
        for (a, b) in self.gram.iter_mut().zip(&o.gram) {
            *a += b;
        }
        for (a, b) in self.fourth.iter_mut().zip(&o.fourth) {
            for i in 0..5 {
                a[i] += b[i];
            }
        }
    }
}

/// Add chunk sums in the order given (chunk 0 first): the deterministic reduction.
pub fn reduce_in_order(k: usize, chunks: &[ChunkSums]) -> ChunkSums {
    let mut s = ChunkSums::zeros(k);
    for c in chunks {
        s.add(c);
    }
    s
}

/// Number of chunks for `symbols` symbols; the last one may be short.
pub fn chunk_count(symbols: u64) -> u64 {
    symbols.div_ceil(CHUNK_SYMBOLS)
}

/// Symbols in chunk `c` of a replicate of `symbols` symbols.
pub fn chunk_len(symbols: u64, c: u64) -> u64 {
    (symbols - c * CHUNK_SYMBOLS).min(CHUNK_SYMBOLS)
}

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

// Variables of a stream id: per user x (0) and e (1); shared v (0), h (1), d (2), l (3).
const VAR_X: u64 = 0;
const VAR_E: u64 = 1;
const SHARED_V: u64 = 0;
const SHARED_H: u64 = 1;
const SHARED_D: u64 = 2;
const SHARED_L: u64 = 3;

/// Estimates of one user in one replicate (SPEC §10.4).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimates {
    /// T̂_k = t̂_k².
    pub transmittance: f64,
    /// σ̂_k² (SNU).
    pub noise_variance: f64,
    /// ξ̂_k (SNU; X_k nominal).
    pub excess_noise: f64,
    /// ξ̂_k^eff (SNU).
    pub excess_noise_eff: f64,
    /// Î_k (bits per symbol).
    pub mutual_information: f64,
    /// χ̂_k (bits per symbol).
    pub holevo: f64,
    /// t̂_k.
    pub gain: f64,
    /// Σ x_k,u² (both quadratures).
    pub sum_x2: f64,
    /// Excess kurtosis of the genie residual r_k − t̂_k·x_k.
    pub residual_excess_kurtosis: f64,
}

/// Delta-method standard deviations at the targets (SPEC §10.4).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StdErrors {
    /// s(T̂).
    pub transmittance: f64,
    /// s(σ̂²).
    pub noise_variance: f64,
    /// s(ξ̂).
    pub excess_noise: f64,
    /// s(ξ̂^eff).
    pub excess_noise_eff: f64,
    /// s(Î).
    pub mutual_information: f64,
    /// s(χ̂).
    pub holevo: f64,
}

/// Names of the six estimated quantities, in [`Estimates`]/[`StdErrors`] order.
pub const QUANTITIES: [&str; 6] =
    ["transmittance", "noise_variance", "excess_noise", "excess_noise_eff", "mutual_information", "holevo"];

impl Estimates {
    /// The six quantities in [`QUANTITIES`] order.
    pub fn values(&self) -> [f64; 6] {
        [
            self.transmittance,
            self.noise_variance,
            self.excess_noise,
            self.excess_noise_eff,
            self.mutual_information,
            self.holevo,
        ]
    }
}
impl StdErrors {
    /// The six standard deviations in [`QUANTITIES`] order.
    pub fn values(&self) -> [f64; 6] {
        [
            self.transmittance,
            self.noise_variance,
            self.excess_noise,
            self.excess_noise_eff,
            self.mutual_information,
            self.holevo,
        ]
    }
}
impl Targets {
    /// The six targets in [`QUANTITIES`] order.
    pub fn values(&self) -> [f64; 6] {
        [
            self.transmittance,
            self.noise_variance,
            self.excess_noise,
            self.excess_noise_eff,
            self.mutual_information,
            self.holevo,
        ]
    }
}

impl Simulation {
    /// Validate a scenario for simulation: `standard` or `trusted`, exact model,
    /// `noma` or `cih` (one shared receiver mode; `oma` slots are not simulated).
    pub fn new(
        settings: &Settings,
        network: &Network,
        order: &[usize],
        modulation_variance: &[f64],
        seed: u64,
    ) -> Result<Self, InputError> {
        let k = network.len();
        validate_order(order, k)?;
        validate_modulation(settings.convention(), modulation_variance, k)?;
        if settings.convention() == Convention::Paper {
            return Err(InputError::Unsupported {
                field: "convention",
                value: "paper".into(),
                other: "simulate".into(),
                allowed: "simulate models a physical link: use --convention standard or trusted",
            });
        }
        if settings.model() != Model::Exact {
            return Err(InputError::Unsupported {
                field: "model",
                value: settings.model().to_string(),
                other: "simulate".into(),
                allowed: "simulate compares with the exact model: use --model exact",
            });
        }
        if settings.access() == Access::Oma {
            return Err(InputError::Unsupported {
                field: "access",
                value: "oma".into(),
                other: "simulate".into(),
                allowed: "simulate covers the shared receiver: use --access noma or cih",
            });
        }
        let mut users = vec![None; k];
        for_each_user_channel(settings, network, order, modulation_variance, |i, ch| {
            let t = ch.transmittance;
            let z = receiver_input_noise(settings, t, ch.excess_noise, ch.other_excess_noise, ch.interference);
            let c = receiver_noise(settings);
            let v = epr_variance(settings.convention(), ch.modulation_variance);
            let active = ch.modulation_variance > 0.0;
            let (info, chi) = if active {
                (mutual_information(settings, &ch, z), holevo_information(settings, v, t, z).0)
            } else {
                (0.0, 0.0)
            };
            users[i] = Some(UserSetup {
                active,
                t,
                va: ch.modulation_variance,
                xi: ch.excess_noise,
                interference: ch.interference,
                other_xi: ch.other_excess_noise,
                targets: Targets {
                    transmittance: t,
                    noise_variance: t + z + c,
                    excess_noise: ch.excess_noise,
                    excess_noise_eff: ch.excess_noise + ch.other_excess_noise / t,
                    mutual_information: info,
                    holevo: chi,
                },
                decoded_before: 0,
            });
        });
        let mut users: Vec<UserSetup> = users.into_iter().map(|u| u.expect("visited")).collect();
        let mut decoded = vec![Vec::new(); k];
        if settings.access() == Access::Noma {
            for (p, &i) in order.iter().enumerate() {
                decoded[i] = order[..p].iter().copied().filter(|&j| modulation_variance[j] > 0.0).collect();
                users[i].decoded_before = decoded[i].len();
            }
        }
        let mut s = seed;
        let mut key = [0u8; 32];
        for w in key.chunks_mut(8) {
            w.copy_from_slice(&splitmix(&mut s).to_le_bytes());
        }
        Ok(Self { settings: *settings, order: order.to_vec(), users, decoded, key })
    }

    /// Number of users K.
    pub fn users(&self) -> usize {
        self.users.len()
    }
    /// Whether user k transmits.
    pub fn active(&self, k: usize) -> bool {
        self.users[k].active
    }
    /// Analytic targets of user k (SPEC §10.3).
    pub fn targets(&self, k: usize) -> Targets {
        self.users[k].targets
    }
    /// The SIC order.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    fn rng(&self, replicate: u64, slot: u64, var: u64, chunk: u64) -> ChaCha8Rng {
        let mut r = ChaCha8Rng::from_seed(self.key);
        // Stream id: replicate (40 bits) | slot (20 bits) | variable (4 bits).
        r.set_stream((replicate << 24) | (slot << 4) | var);
        r.set_word_pos(u128::from(chunk) << 36);
        r
    }

    /// Sums of chunk `chunk` (of `len` ≤ [`CHUNK_SYMBOLS`] symbols) of replicate
    /// `replicate`: a pure function of its arguments and the seed.
    pub fn chunk_sums(&self, replicate: u64, chunk: u64, len: u64) -> ChunkSums {
        let k = self.users.len();
        let std_model = self.settings.convention() == Convention::Standard;
        let rx = self.settings.receiver();
        let tau = rx.detector_efficiency();
        let d2 = rx.detector_noise_snu();
        let (sd_d, sd_l) =
            if std_model { (d2.sqrt(), 0.0) } else { ((d2 / tau).sqrt(), (2.0 * (1.0 - tau) / tau).sqrt()) };
        let shared = k as u64;
        let mut rv = self.rng(replicate, shared, SHARED_V, chunk);
        let mut rh = self.rng(replicate, shared, SHARED_H, chunk);
        let mut rd = self.rng(replicate, shared, SHARED_D, chunk);
        let mut rl = self.rng(replicate, shared, SHARED_L, chunk);
        let active: Vec<usize> = (0..k).filter(|&i| self.users[i].active).collect();
        let mut rx_: Vec<ChaCha8Rng> = active.iter().map(|&i| self.rng(replicate, i as u64, VAR_X, chunk)).collect();
        let mut re_: Vec<ChaCha8Rng> = active.iter().map(|&i| self.rng(replicate, i as u64, VAR_E, chunk)).collect();
        let sd_x: Vec<f64> = active.iter().map(|&i| self.users[i].va.sqrt()).collect();
        let sd_e: Vec<f64> = active.iter().map(|&i| self.users[i].xi.sqrt()).collect();
        let st: Vec<f64> = active.iter().map(|&i| self.users[i].t.sqrt()).collect();
        // Genie subtraction per active user, as (position in `active`, √T) lists.
        let pos_of = |j: usize| active.iter().position(|&a| a == j).expect("decoded users are active");
        let genie: Vec<Vec<usize>> =
            active.iter().map(|&i| self.decoded[i].iter().map(|&j| pos_of(j)).collect()).collect();
        let na = active.len();
        let mut out = ChunkSums::zeros(k);
        let mut w = vec![0.0; na + 1];
        let mut gram = vec![0.0; (na + 1) * (na + 1)];
        let mut fourth = vec![[0.0; 5]; na];
        for _ in 0..len {
            for _quadrature in 0..2 {
                let mut y = rv.sample::<f64, _>(StandardNormal) + rh.sample::<f64, _>(StandardNormal);
                y += sd_d * rd.sample::<f64, _>(StandardNormal);
                if !std_model {
                    y += sd_l * rl.sample::<f64, _>(StandardNormal);
                }
                for a in 0..na {
                    let x = sd_x[a] * rx_[a].sample::<f64, _>(StandardNormal);
                    let e = sd_e[a] * re_[a].sample::<f64, _>(StandardNormal);
                    w[a] = x;
                    y += st[a] * (x + e);
                }
                w[na] = y;
                for i in 0..=na {
                    let wi = w[i];
                    let row = &mut gram[i * (na + 1)..(i + 1) * (na + 1)];
                    for j in i..=na {
                        row[j] += wi * w[j];
                    }
                }
                for a in 0..na {
                    let mut r = y;
                    for &b in &genie[a] {
                        r -= st[b] * w[b];
                    }
                    let x = w[a];
                    let (x2, r2) = (x * x, r * r);
                    let f = &mut fourth[a];
                    f[0] += r2 * r2;
                    f[1] += x * r * r2;
                    f[2] += x2 * r2;
                    f[3] += x2 * x * r;
                    f[4] += x2 * x2;
                }
            }
        }
        // Scatter the active-user sums into the K-user layout.
        let idx = |a: usize| if a == na { k } else { active[a] };
        for a in 0..=na {
            for b in a..=na {
                let (i, j) = (idx(a), idx(b));
                let (i, j) = if i <= j { (i, j) } else { (j, i) };
                out.gram[i * (k + 1) + j] = gram[a * (na + 1) + b];
            }
        }
        for a in 0..na {
            out.fourth[active[a]] = fourth[a];
        }
        out.samples = 2.0 * len as f64;
        out
    }

    /// One replicate, serially (the reference for any parallel caller).
    pub fn run_replicate(&self, replicate: u64, symbols: u64) -> ChunkSums {
        let chunks: Vec<ChunkSums> =
            (0..chunk_count(symbols)).map(|c| self.chunk_sums(replicate, c, chunk_len(symbols, c))).collect();
        reduce_in_order(self.users.len(), &chunks)
    }

    fn g(&self, i: usize, j: usize, s: &ChunkSums) -> f64 {
        let k = self.users.len();
        let (i, j) = if i <= j { (i, j) } else { (j, i) };
        s.gram[i * (k + 1) + j]
    }

    /// Estimates of every user from a replicate's reduced sums (SPEC §10.4);
    /// `None` for silent users.
    pub fn estimates(&self, s: &ChunkSums, sic: SicMode) -> Vec<Option<Estimates>> {
        let k = self.users.len();
        let yi = k;
        let m = s.samples;
        let c = receiver_noise(&self.settings);
        let d2 = match self.settings.convention() {
            Convention::Standard => self.settings.receiver().detector_noise_snu(),
            _ => 0.0,
        };
        // Gains used for subtraction, filled in decoding order.
        let mut gain = vec![0.0; k];
        let mut out = vec![None; k];
        let mut visit: Vec<usize> = self.order.clone();
        if self.settings.access() != Access::Noma {
            visit = (0..k).collect();
        }
        for &i in &visit {
            let u = &self.users[i];
            if !u.active {
                continue;
            }
            let coef = |j: usize| match sic {
                SicMode::Genie => self.users[j].t.sqrt(),
                SicMode::Estimated => gain[j],
            };
            let dk = &self.decoded[i];
            // r = y − Σ_j c_j x_j
            let sxx = self.g(i, i, s);
            let mut sxr = self.g(i, yi, s);
            let mut srr = self.g(yi, yi, s);
            for &j in dk {
                sxr -= coef(j) * self.g(i, j, s);
                srr -= 2.0 * coef(j) * self.g(j, yi, s);
                for &l in dk {
                    srr += coef(j) * coef(l) * self.g(j, l, s);
                }
            }
            let t_hat = sxr / sxx;
            gain[i] = t_hat;
            let sigma2 = (srr - sxr * sxr / sxx) / m;
            let s2 = srr / m;
            let tt = t_hat * t_hat;
            let xi = (sigma2 - c - 1.0 - d2 - u.interference - u.other_xi) / tt;
            let v = epr_variance(self.settings.convention(), u.va);
            let chi = holevo_information(&self.settings, v, tt, sigma2 - tt - c).0;
            // Kurtosis of the genie residual e = r − t̂·x (genie sums, genie t̂).
            let f = &s.fourth[i];
            let mut gxr = self.g(i, yi, s);
            let mut grr = self.g(yi, yi, s);
            for &j in dk {
                let cj = self.users[j].t.sqrt();
                gxr -= cj * self.g(i, j, s);
                grr -= 2.0 * cj * self.g(j, yi, s);
                for &l in dk {
                    grr += cj * self.users[l].t.sqrt() * self.g(j, l, s);
                }
            }
            let tg = gxr / sxx;
            let e2 = grr - 2.0 * tg * gxr + tg * tg * sxx;
            let e4 = f[0] - 4.0 * tg * f[1] + 6.0 * tg * tg * f[2] - 4.0 * tg.powi(3) * f[3] + tg.powi(4) * f[4];
            let kurt = m * e4 / (e2 * e2) - 3.0;
            out[i] = Some(Estimates {
                transmittance: tt,
                noise_variance: sigma2,
                excess_noise: xi,
                excess_noise_eff: xi + u.other_xi / tt,
                mutual_information: (s2 / sigma2).log2(),
                holevo: chi,
                gain: t_hat,
                sum_x2: sxx,
                residual_excess_kurtosis: kurt,
            });
        }
        out
    }

    /// Delta-method standard deviations at the targets for `symbols` symbols (SPEC §10.4).
    pub fn std_errors(&self, k: usize, symbols: f64) -> StdErrors {
        let u = &self.users[k];
        let tg = &u.targets;
        let m = 2.0 * symbols;
        let t = tg.transmittance;
        let s2 = tg.noise_variance;
        let st = 2.0 * t.sqrt() * (s2 / (m * u.va)).sqrt();
        let ss = s2 * (2.0 / m).sqrt();
        let sxi = (ss * ss + tg.excess_noise.powi(2) * st * st).sqrt() / t;
        let sxe = (ss * ss + tg.excess_noise_eff.powi(2) * st * st).sqrt() / t;
        let si = (2.0 * (1.0 - (-tg.mutual_information).exp2())).sqrt() / (LN_2 * symbols.sqrt());
        let c = receiver_noise(&self.settings);
        let v = epr_variance(self.settings.convention(), u.va);
        let g = |tt: f64, sg: f64| holevo_information(&self.settings, v, tt, sg - tt - c).0;
        let ht = 1e-6 * t;
        let hs = 1e-6 * s2;
        let dt = (g(t + ht, s2) - g(t - ht, s2)) / (2.0 * ht);
        let ds = (g(t, s2 + hs) - g(t, s2 - hs)) / (2.0 * hs);
        let sc = ((dt * st).powi(2) + (ds * ss).powi(2)).sqrt();
        StdErrors {
            transmittance: st,
            noise_variance: ss,
            excess_noise: sxi,
            excess_noise_eff: sxe,
            mutual_information: si,
            holevo: sc,
        }
    }
}

/// Regularized lower incomplete gamma P(a, x): series for x < a + 1, Lentz
/// continued fraction for Q otherwise (standard textbook expansions).
pub fn regularized_gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let ln_pre = a * x.ln() - x - libm::lgamma(a);
    if x < a + 1.0 {
        let mut sum = 1.0 / a;
        let mut term = sum;
        let mut n = a;
        for _ in 0..10_000 {
            n += 1.0;
            term *= x / n;
            sum += term;
            if term.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        (sum.ln() + ln_pre).exp()
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        1.0 - (ln_pre.exp() * h)
    }
}

/// Quantile of the χ² distribution with `dof` degrees of freedom at probability p (bisection).
pub fn chi_squared_quantile(dof: f64, p: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, dof + 100.0 * dof.sqrt() + 100.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if regularized_gamma_p(dof / 2.0, mid / 2.0) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Acceptance interval of the sample variance of R z-scores (SPEC §10.5.2):
/// χ²_{R−1} quantiles at 1e-4 on each side, divided by R − 1.
pub fn z_variance_interval(replicates: usize) -> (f64, f64) {
    let dof = replicates as f64 - 1.0;
    (chi_squared_quantile(dof, 1e-4) / dof, chi_squared_quantile(dof, 1.0 - 1e-4) / dof)
}

/// Coverage of the PE bounds (SPEC §10.5.4) for one user over `replicates`
/// replicates of `pe_symbols` symbols: counts of replicates where √T_k < t̂_k −
/// z·√(σ̂²/Σx²) and where σ_k² > σ̂²·(1 + z·√(2/m_s)), z for `eps_pe`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Coverage {
    /// R_cov.
    pub replicates: u64,
    /// m (symbols per replicate).
    pub pe_symbols: u64,
    /// ε_PE.
    pub eps_pe: f64,
    /// Failures of the T lower bound.
    pub transmittance_failures: u64,
    /// Failures of the σ² upper bound.
    pub noise_variance_failures: u64,
    /// Acceptance interval of each count: R·ε/2 ± 5·√(R·(ε/2)(1 − ε/2)).
    pub accept: (f64, f64),
}

impl Coverage {
    /// Whether both counts lie in the acceptance interval.
    pub fn passed(&self) -> bool {
        let ok = |c: u64| (c as f64) >= self.accept.0 && (c as f64) <= self.accept.1;
        ok(self.transmittance_failures) && ok(self.noise_variance_failures)
    }
}

/// Acceptance interval for a coverage count: mean R·p ± 5 SD, p = ε/2 (SPEC §10.5.4:
/// [15, 85] for R = 2000, ε = 0.05).
pub fn coverage_interval(replicates: u64, eps_pe: f64) -> (f64, f64) {
    let p = eps_pe / 2.0;
    let mu = replicates as f64 * p;
    let sd = (mu * (1.0 - p)).sqrt();
    ((mu - 5.0 * sd).max(0.0).round(), (mu + 5.0 * sd).round())
}

/// Accumulate one coverage replicate's outcome for user k from its sums
/// (`pe_symbols` = m, r = 2 samples per symbol).
pub fn coverage_outcome(sim: &Simulation, est: &Estimates, k: usize, eps_pe: f64, pe_symbols: f64) -> (bool, bool) {
    let z = upper_normal_quantile(eps_pe);
    let tg = sim.targets(k);
    let ms = 2.0 * pe_symbols;
    let t_fail = tg.transmittance.sqrt() < est.gain - z * (est.noise_variance / est.sum_x2).sqrt();
    let s_fail = tg.noise_variance > est.noise_variance * (1.0 + z * (2.0 / ms).sqrt());
    (t_fail, s_fail)
}

/// T_min from one run's PE data (SPEC §10.5.5): (t̂ − z·√(σ̂²/(m_s·V_A)))², with the
/// analytic T_min and its tolerance s = 2√T_min·√(σ²/(m_s·V_A)).
/// Returns (estimated, analytic, s).
pub fn t_min_check(sim: &Simulation, est: &Estimates, k: usize, eps_pe: f64, pe_symbols: f64) -> (f64, f64, f64) {
    let z = upper_normal_quantile(eps_pe);
    let u = &sim.users[k];
    let ms = 2.0 * pe_symbols;
    let s2 = u.targets.noise_variance;
    let est_tmin = (est.gain - z * (est.noise_variance / (ms * u.va)).sqrt()).powi(2);
    let dt = z * (s2 / (ms * u.va)).sqrt();
    let t_min = (u.t.sqrt() - dt).powi(2);
    let s = 2.0 * t_min.sqrt() * (s2 / (ms * u.va)).sqrt();
    (est_tmin, t_min, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi2_interval_matches_spec() {
        // SPEC §10.5.2: [0.209, 2.673] for R = 20.
        let (lo, hi) = z_variance_interval(20);
        assert!((lo - 0.209).abs() < 5e-4, "{lo}");
        assert!((hi - 2.673).abs() < 5e-4, "{hi}");
    }

    #[test]
    fn coverage_interval_matches_spec() {
        assert_eq!(coverage_interval(2000, 0.05), (15.0, 85.0));
    }

    #[test]
    fn gamma_p_textbook() {
        // P(1, x) = 1 − e^(−x); χ²_1 at 3.841458820694124 is 0.95.
        assert!((regularized_gamma_p(1.0, 2.0) - (1.0 - (-2f64).exp())).abs() < 1e-14);
        assert!((chi_squared_quantile(1.0, 0.95) - 3.841458820694124).abs() < 1e-9);
    }
}

/// What to simulate (SPEC §10.5–§10.6).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SimulationPlan {
    /// N_MC symbols per replicate (default 1e6).
    pub symbols: u64,
    /// R replicates (default 20).
    pub replicates: u64,
    /// Genie or estimated SIC.
    pub sic: SicMode,
    /// Confidence level of the intervals (default 0.95).
    pub confidence: f64,
    /// R_cov replicates of the PE coverage check (default 2000; 0 skips it).
    pub coverage_replicates: u64,
    /// m symbols per coverage replicate and of the T_min run (default 1e4).
    pub pe_symbols: u64,
    /// ε_PE of the coverage check (default 0.05).
    pub coverage_eps_pe: f64,
    /// ε_PE of the T_min check (default 1e-10).
    pub t_min_eps_pe: f64,
}

impl Default for SimulationPlan {
    fn default() -> Self {
        Self {
            symbols: 1_000_000,
            replicates: 20,
            sic: SicMode::Genie,
            confidence: 0.95,
            coverage_replicates: 2000,
            pe_symbols: 10_000,
            coverage_eps_pe: 0.05,
            t_min_eps_pe: 1e-10,
        }
    }
}

impl SimulationPlan {
    /// Replicate id of coverage replicate j (distinct random streams).
    pub fn coverage_replicate_id(&self, j: u64) -> u64 {
        self.replicates + j
    }
    /// Replicate id of the T_min run.
    pub fn t_min_replicate_id(&self) -> u64 {
        self.replicates + self.coverage_replicates
    }
}

/// One estimated quantity of one user over the replicates (SPEC §10.4–§10.5).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuantityResult {
    /// Analytic target.
    pub target: f64,
    /// s(q) at the target.
    pub std_error: f64,
    /// q̂ per replicate.
    pub estimates: Vec<f64>,
    /// q̂ ± z_(α/2)·s(q) per replicate.
    pub intervals: Vec<[f64; 2]>,
    /// (q̂ − target)/s(q) per replicate.
    pub z_scores: Vec<f64>,
    /// Mean of z.
    pub mean_z: f64,
    /// Sample variance of z (None for R < 2).
    pub var_z: Option<f64>,
    /// max |z|.
    pub max_abs_z: f64,
    /// |z| ≤ 5 for every replicate (§10.5.1).
    pub z_bound_passed: bool,
    /// |mean z| ≤ 4/√R (§10.5.2).
    pub mean_passed: bool,
    /// Sample variance in the χ² interval (§10.5.2; true for R < 2).
    pub variance_passed: bool,
}

/// The T_min check (§10.5.5).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TMinCheck {
    /// T_min from the run's PE data.
    pub estimated: f64,
    /// Analytic T_min (SPEC §9.3).
    pub analytic: f64,
    /// s = 2√T_min·√(σ²/(m_s·V_A)).
    pub std_error: f64,
    /// |estimated − analytic| ≤ 5·s.
    pub passed: bool,
}

/// Results of one user (SPEC §11.5 `simulate`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserSimulation {
    /// 0-based user.
    pub user: usize,
    /// Whether the user transmits (silent users have no estimates).
    pub active: bool,
    /// Analytic targets (SPEC §10.3).
    pub targets: Option<Targets>,
    /// T̂, σ̂², ξ̂, ξ̂^eff, Î, χ̂ with intervals and z-scores, by name.
    pub estimates: Option<std::collections::BTreeMap<&'static str, QuantityResult>>,
    /// Excess kurtosis of the residual per replicate (§10.5.3).
    pub residual_excess_kurtosis: Vec<f64>,
    /// Its bound 5·√(24/M).
    pub kurtosis_bound: f64,
    /// §10.5.3 passed for every replicate.
    pub kurtosis_passed: bool,
    /// §10.5.4.
    pub coverage: Option<Coverage>,
    /// §10.5.5.
    pub t_min: Option<TMinCheck>,
    /// Every check of this user passed.
    pub checks_passed: bool,
}

/// A complete simulation result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulationReport {
    /// The plan.
    pub plan: SimulationPlan,
    /// Acceptance interval of the sample variance of z (§10.5.2).
    pub z_variance_interval: Option<(f64, f64)>,
    /// Per-user results in input order.
    pub users: Vec<UserSimulation>,
    /// Every check of every active user passed.
    pub all_checks_passed: bool,
    /// Notes (e.g. an uninformative ξ check, SPEC §10.6).
    pub warnings: Vec<String>,
}

/// Turn reduced sums into the report (SPEC §10.4–§10.5): `main` has one entry
/// per replicate, `coverage` one per coverage replicate, `t_min_run` the
/// T_min run's sums (if coverage replicates were asked for).
pub fn summarize(
    sim: &Simulation,
    plan: &SimulationPlan,
    main: &[ChunkSums],
    coverage: &[ChunkSums],
    t_min_run: Option<&ChunkSums>,
) -> SimulationReport {
    let k = sim.users();
    let r = main.len();
    let zq = upper_normal_quantile(1.0 - plan.confidence);
    let per_rep: Vec<Vec<Option<Estimates>>> = main.iter().map(|s| sim.estimates(s, plan.sic)).collect();
    let cov_est: Vec<Vec<Option<Estimates>>> = coverage.iter().map(|s| sim.estimates(s, plan.sic)).collect();
    let tmin_est = t_min_run.map(|s| sim.estimates(s, plan.sic));
    let var_interval = (r >= 2).then(|| z_variance_interval(r));
    let m = 2.0 * plan.symbols as f64;
    let kurt_bound = 5.0 * (24.0 / m).sqrt();
    let mut warnings = Vec::new();
    let mut users = Vec::with_capacity(k);
    for u in 0..k {
        if !sim.active(u) {
            users.push(UserSimulation {
                user: u,
                active: false,
                targets: None,
                estimates: None,
                residual_excess_kurtosis: vec![],
                kurtosis_bound: kurt_bound,
                kurtosis_passed: true,
                coverage: None,
                t_min: None,
                checks_passed: true,
            });
            continue;
        }
        let tg = sim.targets(u);
        let se = sim.std_errors(u, plan.symbols as f64);
        if 5.0 * se.excess_noise >= tg.excess_noise / 2.0 {
            warnings.push(format!(
                "user {u}: the excess-noise check is uninformative at {} symbols (5 s(xi) = {:.3e} >= xi/2); see SPEC §10.6",
                plan.symbols,
                5.0 * se.excess_noise
            ));
        }
        let mut map = std::collections::BTreeMap::new();
        let mut ok = true;
        for (q, name) in QUANTITIES.iter().enumerate() {
            let target = tg.values()[q];
            let s = se.values()[q];
            let est: Vec<f64> = per_rep.iter().map(|e| e[u].expect("active").values()[q]).collect();
            let z: Vec<f64> = est.iter().map(|x| (x - target) / s).collect();
            let mean = z.iter().sum::<f64>() / r as f64;
            let var = (r >= 2).then(|| z.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (r as f64 - 1.0));
            let max_abs = z.iter().fold(0.0f64, |a, x| a.max(x.abs()));
            let z_ok = z.iter().all(|x| x.abs() <= 5.0);
            let mean_ok = mean.abs() <= 4.0 / (r as f64).sqrt();
            let var_ok = match (var, var_interval) {
                (Some(v), Some((lo, hi))) => v >= lo && v <= hi,
                _ => true,
            };
            ok &= z_ok && mean_ok && var_ok;
            map.insert(
                *name,
                QuantityResult {
                    target,
                    std_error: s,
                    intervals: est.iter().map(|x| [x - zq * s, x + zq * s]).collect(),
                    estimates: est,
                    z_scores: z,
                    mean_z: mean,
                    var_z: var,
                    max_abs_z: max_abs,
                    z_bound_passed: z_ok,
                    mean_passed: mean_ok,
                    variance_passed: var_ok,
                },
            );
        }
        let kurt: Vec<f64> = per_rep.iter().map(|e| e[u].expect("active").residual_excess_kurtosis).collect();
        let kurt_ok = kurt.iter().all(|x| x.abs() <= kurt_bound);
        ok &= kurt_ok;
        let cov = (!coverage.is_empty()).then(|| {
            let mut tf = 0;
            let mut sf = 0;
            for e in &cov_est {
                let (a, b) =
                    coverage_outcome(sim, &e[u].expect("active"), u, plan.coverage_eps_pe, plan.pe_symbols as f64);
                tf += a as u64;
                sf += b as u64;
            }
            Coverage {
                replicates: coverage.len() as u64,
                pe_symbols: plan.pe_symbols,
                eps_pe: plan.coverage_eps_pe,
                transmittance_failures: tf,
                noise_variance_failures: sf,
                accept: coverage_interval(coverage.len() as u64, plan.coverage_eps_pe),
            }
        });
        if let Some(c) = &cov {
            ok &= c.passed();
        }
        let t_min = tmin_est.as_ref().map(|e| {
            let (est, ana, s) = t_min_check(sim, &e[u].expect("active"), u, plan.t_min_eps_pe, plan.pe_symbols as f64);
            TMinCheck { estimated: est, analytic: ana, std_error: s, passed: (est - ana).abs() <= 5.0 * s }
        });
        if let Some(t) = &t_min {
            ok &= t.passed;
        }
        users.push(UserSimulation {
            user: u,
            active: true,
            targets: Some(tg),
            estimates: Some(map),
            residual_excess_kurtosis: kurt,
            kurtosis_bound: kurt_bound,
            kurtosis_passed: kurt_ok,
            coverage: cov,
            t_min,
            checks_passed: ok,
        });
    }
    let all = users.iter().all(|u| u.checks_passed);
    SimulationReport { plan: *plan, z_variance_interval: var_interval, users, all_checks_passed: all, warnings }
}

/// The whole plan, serially (reference driver; a CLI parallelises the same chunks).
pub fn run_serial(sim: &Simulation, plan: &SimulationPlan) -> SimulationReport {
    let main: Vec<ChunkSums> = (0..plan.replicates).map(|r| sim.run_replicate(r, plan.symbols)).collect();
    let cov: Vec<ChunkSums> = (0..plan.coverage_replicates)
        .map(|j| sim.run_replicate(plan.coverage_replicate_id(j), plan.pe_symbols))
        .collect();
    let tmin = (plan.coverage_replicates > 0).then(|| sim.run_replicate(plan.t_min_replicate_id(), plan.pe_symbols));
    summarize(sim, plan, &main, &cov, tmin.as_ref())
}

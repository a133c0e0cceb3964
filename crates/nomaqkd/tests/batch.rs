//! The columns kernel `nomaqkd::batch::user_rates_into` against the one-user path
//! `user_rate`, over every valid settings combination (convention × model × access ×
//! literal_eq6), random networks with silent users, and extreme values (V_A from 1e-12
//! to 1e60, T near 0 and 1, eigenvalues below 1 under `paper`). The reference is the
//! library's own scalar path, so this test checks the vectorizable rewrite (selects
//! instead of branches, the branch-free logarithm), not the physics (checked for
//! `user_rate` by checkpoints.rs, high_precision.rs and properties.rs).
//!
//! The two paths use different logarithms (≤ 1 ulp apart), so: flags equal exactly
//! (the eigenvalues are computed identically); the PLOB bound and I_k within 4 ulp
//! (relative 4ε); χ_k and SKR_k, differences of entropies that can cancel, within 8ε
//! times the size of the entropies: Σ h(λ) over the state's eigenvalues under the exact
//! `standard` and `paper` models (so tiny entropies are compared relatively), and the
//! bound 2 + log2(2 + V_A + ξ + X + V_I + ΣV_a) elsewhere. Every output must be finite.

mod common;
use common::SplitMix;
use nomaqkd::batch::{user_rates_into, ChannelColumns, RateColumns};
use nomaqkd::entropy::{heterodyne_conditional_eigenvalue, two_mode_eigenvalues};
use nomaqkd::rates::for_each_user_channel;
use nomaqkd::rates::{epr_variance, receiver_input_noise};
use nomaqkd::thermal_entropy;
use nomaqkd::{user_rate, Access, Convention, Model, Network, Receiver, Settings, UserChannel};

const EPS: f64 = f64::EPSILON;

fn all_settings() -> Vec<Settings> {
    let mut out = Vec::new();
    for convention in [Convention::Standard, Convention::Trusted, Convention::Paper] {
        for model in [Model::Exact, Model::Asymptotic] {
            for access in [Access::Noma, Access::Oma, Access::Cih] {
                for literal in [false, true] {
                    let receiver = Receiver::new(0.0256, 0.6, 0.92).unwrap();
                    if let Ok(s) = Settings::new(convention, model, access, receiver, literal, true) {
                        out.push(s);
                    }
                }
            }
        }
    }
    out
}

/// Random channels of many small networks for `settings`, via the library's own
/// interference bookkeeping.
fn channels(settings: &Settings, rng: &mut SplitMix, networks: usize) -> Vec<UserChannel> {
    let paper = settings.convention() == Convention::Paper;
    let mut out = Vec::new();
    for _ in 0..networks {
        let k = 1 + (rng.uniform() * 8.0) as usize;
        let t: Vec<f64> = (0..k)
            .map(|_| match (rng.uniform() * 10.0) as u32 {
                0 => rng.log_range(1e-12, 1e-3),
                1 => 1.0 - rng.log_range(1e-12, 1e-3),
                _ => rng.range(0.01, 0.99),
            })
            .collect();
        let xi: Vec<f64> = (0..k)
            .map(|_| match (rng.uniform() * 20.0) as u32 {
                0 | 1 => 0.0,
                // Up to the validated limit (1e60 SNU): a huge eigenvalue must not spill
                // NaN into the shared reciprocals of the others (found in review).
                2 => rng.log_range(1e30, 1e60),
                _ => rng.log_range(1e-6, 2.0),
            })
            .collect();
        let v: Vec<f64> = (0..k)
            .map(|_| {
                let u = rng.uniform();
                if u < 0.15 {
                    0.0
                } else if u < 0.2 {
                    rng.log_range(1e15, 1e60)
                } else if paper {
                    rng.log_range(1.0, 1e8)
                } else {
                    rng.log_range(1e-12, 1e8)
                }
            })
            .collect();
        let network = Network::new(t, xi).unwrap();
        let order = network.gain_order();
        for_each_user_channel(settings, &network, &order, &v, |_, ch| out.push(ch));
    }
    out
}

/// Size (bits) of the entropies whose difference is χ: Σ h(λ) of the exact state under
/// `standard` and `paper` (exact model), else the bound 2 + log2(2 + V + ξ + X + V_I + ΣV_a).
fn entropy_scale(settings: &Settings, ch: &UserChannel) -> f64 {
    let exact_two_mode = settings.model() == Model::Exact && settings.convention() != Convention::Trusted;
    if exact_two_mode && ch.modulation_variance > 0.0 {
        let t = ch.transmittance;
        let z = receiver_input_noise(settings, t, ch.excess_noise, ch.other_excess_noise, ch.interference);
        let v = epr_variance(settings.convention(), ch.modulation_variance);
        let (l1, l2) = two_mode_eigenvalues(v, t, z);
        let lhet = heterodyne_conditional_eigenvalue(v, t, z);
        (thermal_entropy(l1) + thermal_entropy(l2) + thermal_entropy(lhet)).max(f64::MIN_POSITIVE)
    } else {
        let noise = ch.excess_noise + ch.other_excess_noise + ch.interference + ch.literal_interference;
        2.0 + (2.0 + ch.modulation_variance + noise).log2()
    }
}

#[test]
fn columns_agree_with_user_rate() {
    let mut rng = SplitMix(0x5eed_ba7c);
    let mut checked = 0usize;
    let (mut worst_rel, mut worst_chi) = (0.0f64, 0.0f64);
    for settings in all_settings() {
        let chans = channels(&settings, &mut rng, 400);
        let n = chans.len();
        let col = |f: fn(&UserChannel) -> f64| chans.iter().map(f).collect::<Vec<f64>>();
        let (t, va, xi) = (col(|c| c.transmittance), col(|c| c.modulation_variance), col(|c| c.excess_noise));
        let (x, vi, vl) = (col(|c| c.other_excess_noise), col(|c| c.interference), col(|c| c.literal_interference));
        let input = ChannelColumns {
            transmittance: &t,
            modulation_variance: &va,
            excess_noise: &xi,
            other_excess_noise: &x,
            interference: &vi,
            literal_interference: &vl,
        };
        let (mut mi, mut chi, mut skr, mut plob) = (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        let (mut phys, mut exc, mut sil, mut apx) = (vec![false; n], vec![false; n], vec![false; n], vec![false; n]);
        let mut out = RateColumns {
            mutual_information: &mut mi,
            holevo: &mut chi,
            secret_key_rate: &mut skr,
            plob_bound: &mut plob,
            physical: &mut phys,
            exceeds_plob: &mut exc,
            silent: &mut sil,
            approximation_valid: &mut apx,
        };
        user_rates_into(&settings, &input, &mut out);
        let mut unphysical = 0;
        for (i, ch) in chans.iter().enumerate() {
            let r = user_rate(&settings, ch);
            let ctx = || format!("{settings:?}, {ch:?}");
            for (got, want, name) in [(mi[i], r.mutual_information, "I"), (plob[i], r.plob_bound, "PLOB")] {
                let rel = (got - want).abs() / (want.abs() * EPS).max(f64::MIN_POSITIVE);
                assert!(rel <= 4.0, "{name}: {got:e} vs {want:e} ({rel} ulp): {}", ctx());
                worst_rel = worst_rel.max(rel);
            }
            let scale = entropy_scale(&settings, ch) + r.mutual_information.abs();
            for (got, want, name) in [(chi[i], r.holevo, "chi"), (skr[i], r.secret_key_rate, "SKR")] {
                assert!(got.is_finite() && want.is_finite(), "{name}: {got:e} vs {want:e}: {}", ctx());
                let err = (got - want).abs() / (EPS * scale);
                assert!(err <= 8.0, "{name}: {got:e} vs {want:e} ({err} eps*scale): {}", ctx());
                worst_chi = worst_chi.max(err);
            }
            assert_eq!(phys[i], r.physical, "physical: {}", ctx());
            // Only at a tie within rounding could the comparison with the bound differ.
            if (r.secret_key_rate - r.plob_bound).abs() > 16.0 * EPS * scale {
                assert_eq!(exc[i], r.exceeds_plob, "exceeds_plob: {}", ctx());
            }
            assert_eq!(sil[i], r.silent, "silent: {}", ctx());
            assert_eq!(apx[i], r.approximation_valid == Some(true), "approximation_valid: {}", ctx());
            unphysical += usize::from(!r.physical);
        }
        // The sample must reach the flagged branch under `paper` (else the flag is untested).
        if settings.convention() == Convention::Paper {
            assert!(unphysical > 0, "no unphysical user drawn for {settings:?}");
        }
        checked += n;
    }
    assert!(checked > 10_000, "only {checked} users checked");
    println!("{checked} users: I and PLOB within {worst_rel:.1} ulp, chi and SKR within {worst_chi:.1} eps*scale");
}

#[test]
#[should_panic(expected = "unequal length")]
fn columns_of_unequal_length_are_a_programming_error() {
    let one = [0.5];
    let two = [0.5, 0.5];
    let input = ChannelColumns {
        transmittance: &two,
        modulation_variance: &one,
        excess_noise: &one,
        other_excess_noise: &one,
        interference: &one,
        literal_interference: &one,
    };
    let (mut a, mut b, mut c, mut d) = ([0.0; 2], [0.0; 2], [0.0; 2], [0.0; 2]);
    let (mut e, mut f, mut g, mut h) = ([false; 2], [false; 2], [false; 2], [false; 2]);
    let mut out = RateColumns {
        mutual_information: &mut a,
        holevo: &mut b,
        secret_key_rate: &mut c,
        plob_bound: &mut d,
        physical: &mut e,
        exceeds_plob: &mut f,
        silent: &mut g,
        approximation_valid: &mut h,
    };
    user_rates_into(&Settings::standard(), &input, &mut out);
}

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
use nomaqkd::batch::{
    channels_into, row_sums_into, user_rates_into, ChannelColumns, ChannelScratch, NetworkChannels, NetworkRows,
    RateColumns,
};
use nomaqkd::entropy::{heterodyne_conditional_eigenvalue, two_mode_eigenvalues};
use nomaqkd::rates::{epr_variance, receiver_input_noise};
use nomaqkd::rates::{for_each_user_channel, for_each_user_channel_of, gain_order_of, joint_channel_physical_of};
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
    let mut out: RateColumns = RateColumns {
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

/// Rows of `rows` networks of `k` users: T with ties in half of the networks (drawn from a
/// few levels) so that the gain order's tie-breaking is exercised, and without ties in the
/// others (so that the count of larger T is used for every K), some silent users (V_A = +0 or −0), ξ from ±0 to 1e60, and
/// networks where one user's T·ξ or T·V_A is over half the total (the direct sums).
fn network_rows(rng: &mut SplitMix, settings: &Settings, rows: usize, k: usize) -> [Vec<f64>; 3] {
    let paper = settings.convention() == Convention::Paper;
    let (mut t, mut v, mut xi) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rows {
        let dominant = if rng.uniform() < 0.2 { (rng.uniform() * k as f64) as usize } else { usize::MAX };
        let ties = rng.uniform() < 0.5;
        for i in 0..k {
            t.push(if ties && rng.uniform() < 0.6 {
                [0.25, 0.5, 0.75][(rng.uniform() * 3.0) as usize]
            } else {
                rng.range(1e-6, 0.999)
            });
            v.push(match rng.uniform() {
                u if u < 0.1 => 0.0,
                // −0 is a valid V_A (validated as ≥ 0): silent, like +0.
                u if u < 0.15 => -0.0,
                _ if i == dominant => rng.log_range(1e20, 1e40),
                _ if paper => rng.log_range(1.0, 1e6),
                _ => rng.log_range(1e-9, 1e6),
            });
            xi.push(match rng.uniform() {
                u if u < 0.1 => 0.0,
                u if u < 0.15 => -0.0,
                _ if i == dominant => rng.log_range(1e20, 1e60),
                _ => rng.log_range(1e-6, 2.0),
            });
        }
    }
    [t, v, xi]
}

/// `channels_into` (many networks, transposed lanes) equals the one-network bookkeeping
/// (`gain_order_of` or an explicit order, `for_each_user_channel_of`,
/// `joint_channel_physical_of`) bit for bit, for every settings combination, K from 1 to
/// 40 (the gain order by counting up to 32 users, by sorting above), 1 to 70 networks
/// (vector remainders), reused scratch buffers.
#[test]
fn network_channels_equal_the_one_network_bookkeeping() {
    let mut rng = SplitMix(0xc4a1_0e15);
    let mut scratch = ChannelScratch::default();
    let mut direct_x = 0usize;
    let mut checked = 0usize;
    for settings in all_settings() {
        for &(k, rows) in &[(1, 7), (2, 70), (3, 33), (5, 64), (16, 65), (16, 1), (31, 9), (32, 17), (33, 5), (40, 3)] {
            let [t, v, xi] = network_rows(&mut rng, &settings, rows, k);
            let explicit: Option<Vec<usize>> = (rng.uniform() < 0.3).then(|| {
                let mut o: Vec<usize> = (0..k).collect();
                o.rotate_left(k / 2);
                o.reverse();
                o
            });
            let nk = rows * k;
            let (mut x, mut vi, mut vl) = (vec![f64::NAN; nk], vec![f64::NAN; nk], vec![f64::NAN; nk]);
            let (mut pos, mut ord, mut joint) = (vec![-1i64; nk], vec![-1i64; nk], vec![false; rows]);
            let net = NetworkRows { users: k, transmittance: &t, modulation_variance: &v, excess_noise: &xi };
            let mut out = NetworkChannels {
                other_excess_noise: &mut x,
                interference: &mut vi,
                literal_interference: &mut vl,
                decode_position: &mut pos,
                order: &mut ord,
                joint_channel_physical: &mut joint,
            };
            channels_into(&settings, &net, explicit.as_deref(), &mut scratch, &mut out);
            let mut order = Vec::new();
            for r in 0..rows {
                let row = r * k..(r + 1) * k;
                let (t_r, v_r, xi_r) = (&t[row.clone()], &v[row.clone()], &xi[row]);
                match &explicit {
                    Some(o) => order.clone_from(o),
                    None => gain_order_of(t_r, &mut order),
                }
                let ctx = format!("{settings:?}, K = {k}, network {r} of {rows}, T {t_r:?}, V {v_r:?}, xi {xi_r:?}");
                assert_eq!(joint[r], joint_channel_physical_of(t_r), "joint: {ctx}");
                let total_txi: f64 = (0..k).filter(|&i| v_r[i] > 0.0).map(|i| t_r[i] * xi_r[i]).sum();
                for_each_user_channel_of(&settings, t_r, xi_r, &order, v_r, |i, ch| {
                    let c = r * k + i;
                    let same = |a: f64, b: f64| a.to_bits() == b.to_bits();
                    assert!(
                        same(x[c], ch.other_excess_noise),
                        "X of user {i}: {:e} vs {:e}: {ctx}",
                        x[c],
                        ch.other_excess_noise
                    );
                    assert!(
                        same(vi[c], ch.interference),
                        "V_I of user {i}: {:e} vs {:e}: {ctx}",
                        vi[c],
                        ch.interference
                    );
                    let want_vl = if settings.literal_eq6() { ch.literal_interference } else { 0.0 };
                    assert!(same(vl[c], want_vl), "literal V_I of user {i}: {:e} vs {want_vl:e}: {ctx}", vl[c]);
                    direct_x += usize::from(v_r[i] > 0.0 && t_r[i] * xi_r[i] > 0.5 * total_txi && k > 1);
                });
                if settings.access() == Access::Noma {
                    for (p, &i) in order.iter().enumerate() {
                        assert_eq!(pos[r * k + i], p as i64, "position of user {i}: {ctx}");
                        assert_eq!(ord[r * k + p], i as i64, "order[{p}]: {ctx}");
                    }
                }
                checked += k;
            }
        }
    }
    assert!(direct_x > 100, "the direct-sum branch of X_k was reached only {direct_x} times");
    println!("{checked} users, {direct_x} with X_k summed directly");
}

#[test]
#[should_panic(expected = "unequal length")]
fn network_columns_of_unequal_length_are_a_programming_error() {
    let (one, two) = ([0.5], [0.5, 0.5]);
    let (mut a, mut b, mut c, mut j) = ([0.0; 2], [0.0; 2], [0.0; 2], [false; 1]);
    let net = NetworkRows { users: 2, transmittance: &two, modulation_variance: &one, excess_noise: &two };
    let mut out: NetworkChannels = NetworkChannels {
        other_excess_noise: &mut a,
        interference: &mut b,
        literal_interference: &mut c,
        decode_position: &mut [],
        order: &mut [],
        joint_channel_physical: &mut j,
    };
    channels_into(&Settings::standard(), &net, None, &mut ChannelScratch::default(), &mut out);
}

/// `row_sums_into` equals a fold per row (from the same start, in index order) bit for bit:
/// 0 to 9 rows (whole groups of four and remainders), K from 1 to 17, values of mixed sign
/// and magnitude (so that the order of the additions changes the rounding), ±0 rows, with
/// and without a map, from +0 and from −0.
#[test]
fn row_sums_equal_a_fold_per_row() {
    let mut rng = SplitMix(0x05ee_d0f5_u64);
    for k in 1..=17 {
        for rows in 0..=9 {
            let values: Vec<f64> = (0..rows * k)
                .map(|c| match c % 7 {
                    0 => -0.0,
                    1 => 0.0,
                    _ => (rng.uniform() - 0.5) * rng.log_range(1e-8, 1e8),
                })
                .collect();
            for init in [0.0, -0.0] {
                let map = |x: f64| 0.25 * x.max(0.0) + x;
                let mut got = vec![f64::NAN; rows];
                let mut got_plain = vec![f64::NAN; rows];
                row_sums_into(k, &values, init, map, &mut got);
                row_sums_into(k, &values, init, |x| x, &mut got_plain);
                for r in 0..rows {
                    let row = &values[r * k..(r + 1) * k];
                    let want = row.iter().fold(init, |sum, &x| sum + map(x));
                    let want_plain = row.iter().fold(init, |sum, &x| sum + x);
                    assert_eq!(got[r].to_bits(), want.to_bits(), "K = {k}, row {r} of {rows}, init {init:?}");
                    assert_eq!(got_plain[r].to_bits(), want_plain.to_bits(), "K = {k}, row {r} of {rows}");
                }
            }
        }
    }
}

/// `channels_into` and `user_rates_into` write every element of every output (the
/// `OutColumn` contract that lets a caller pass memory not written yet, as the Python
/// bindings do): two calls on outputs filled with different sentinels first (NaNs of
/// different payloads, −1 and −2, true and false) give the same bits, for every settings
/// combination, K from 1 to 40, 0 rows and whole kernel blocks (64 users), with the gain
/// order and a random explicit order; also, for `channels_into`, with transmittances
/// outside the validated range (NaN, ties of NaN, 1, 2), where the counted gain order
/// would not be a permutation. (`row_sums_into`: `row_sums_equal_a_fold_per_row`.)
#[test]
fn outputs_are_written_whole() {
    let mut rng = SplitMix(0x0a11_0b17);
    let sentinel = [f64::from_bits(0x7ff8_0000_0000_0001), f64::from_bits(0xfff8_0000_0000_0002)];
    let bits = |a: &[f64]| a.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
    for settings in all_settings() {
        for &(k, rows, bad_t) in &[
            (1, 3, false),
            (3, 9, false),
            (3, 0, false),
            (16, 4, false),
            (16, 5, false),
            (33, 2, false),
            (40, 2, false),
            (3, 4, true),
            (16, 3, true),
        ] {
            let [mut t, v, xi] = network_rows(&mut rng, &settings, rows, k);
            if bad_t {
                for (c, x) in t.iter_mut().enumerate() {
                    *x = [f64::NAN, f64::NAN, 1.0, 2.0, *x][c % 5];
                }
            }
            let nk = rows * k;
            let net = NetworkRows { users: k, transmittance: &t, modulation_variance: &v, excess_noise: &xi };
            let mut explicit: Vec<usize> = (0..k).collect();
            for i in (1..k).rev() {
                explicit.swap(i, (rng.uniform() * (i + 1) as f64) as usize);
            }
            for order in [None, Some(explicit.as_slice())] {
                let mut seen = Vec::new();
                for (s, &fill) in sentinel.iter().enumerate() {
                    let (mut x, mut vi, mut vl) = (vec![fill; nk], vec![fill; nk], vec![fill; nk]);
                    let fill_i = -1 - s as i64;
                    let (mut pos, mut ord, mut joint) = (vec![fill_i; nk], vec![fill_i; nk], vec![s == 0; rows]);
                    let mut out = NetworkChannels {
                        other_excess_noise: &mut x,
                        interference: &mut vi,
                        literal_interference: &mut vl,
                        decode_position: &mut pos,
                        order: &mut ord,
                        joint_channel_physical: &mut joint,
                    };
                    channels_into(&settings, &net, order, &mut ChannelScratch::default(), &mut out);
                    if bad_t {
                        // Outside the kernel's domain: only the bookkeeping is checked.
                        let noma = settings.access() == Access::Noma;
                        let positions = if noma { (pos, ord) } else { (Vec::new(), Vec::new()) };
                        seen.push((bits(&x), bits(&vi), bits(&vl), positions, joint, Vec::new(), Vec::new()));
                        continue;
                    }
                    let input = ChannelColumns {
                        transmittance: &t,
                        modulation_variance: &v,
                        excess_noise: &xi,
                        other_excess_noise: &x,
                        interference: &vi,
                        literal_interference: &vl,
                    };
                    let mut f: Vec<Vec<f64>> = vec![vec![fill; nk]; 4];
                    let mut b: Vec<Vec<bool>> = vec![vec![s == 0; nk]; 4];
                    let ([mi, chi, skr, plob], [phys, exc, sil, apx]) = (&mut f[..], &mut b[..]) else {
                        unreachable!("four columns each")
                    };
                    let mut rates = RateColumns {
                        mutual_information: mi,
                        holevo: chi,
                        secret_key_rate: skr,
                        plob_bound: plob,
                        physical: phys,
                        exceeds_plob: exc,
                        silent: sil,
                        approximation_valid: apx,
                    };
                    user_rates_into(&settings, &input, &mut rates);
                    let noma = settings.access() == Access::Noma;
                    let positions = if noma { (pos, ord) } else { (Vec::new(), Vec::new()) };
                    seen.push((
                        bits(&x),
                        bits(&vi),
                        bits(&vl),
                        positions,
                        joint,
                        f.iter().map(|c| bits(c)).collect::<Vec<_>>(),
                        b,
                    ));
                }
                assert!(seen[0] == seen[1], "an output element left unwritten: {settings:?}, K = {k}, order {order:?}");
            }
        }
    }
}

#[test]
#[should_panic(expected = "not a permutation")]
fn an_explicit_order_with_a_repeated_user_is_a_programming_error() {
    let t = [0.5, 0.25, 0.125];
    let net = NetworkRows { users: 3, transmittance: &t, modulation_variance: &t, excess_noise: &t };
    let (mut a, mut b, mut c, mut p, mut o, mut j) = ([0.0; 3], [0.0; 3], [0.0; 3], [0i64; 3], [0i64; 3], [false; 1]);
    let mut out: NetworkChannels = NetworkChannels {
        other_excess_noise: &mut a,
        interference: &mut b,
        literal_interference: &mut c,
        decode_position: &mut p,
        order: &mut o,
        joint_channel_physical: &mut j,
    };
    channels_into(&Settings::standard(), &net, Some(&[0, 0, 2]), &mut ChannelScratch::default(), &mut out);
}

//! Key-rate engine benchmarks (STYLE §11), grouped by K.
//!
//! - `user_rate/1`: one user's exact `standard` rate (`nomaqkd::user_rate`),
//!   plus the same for `trusted` for comparison;
//! - `sum_rates/16`, `sum_rates/1024`: `nomaqkd::sum_rates` (NOMA/SIC, gain
//!   order, exact `standard`) over K users.
//!
//! - `columns/1024`: the columns kernel `nomaqkd::batch::user_rates_into` vs a loop of
//!   `user_rate` over the same 1024 channels.
//!
//! Targets (2-core machine): ≤ 100 ns per user evaluation; K = 1024 in ≤ 100 µs.
//! Results: docs/BENCHMARKS.md. Run: `cargo bench -p nomaqkd --bench rates`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nomaqkd::batch::{
    channels_into, user_rates_into, ChannelColumns, ChannelScratch, NetworkChannels, NetworkRows, RateColumns,
};
use nomaqkd::rates::{for_each_user_channel_of, gain_order_of, joint_channel_physical_of};
use nomaqkd::{sum_rates, user_rate, Access, Convention, Model, Network, Receiver, Settings, UserChannel};
use std::hint::black_box;

/// Deterministic users: T in [0.05, 0.95], V_A in [1, 1e4] (log), ξ in [0.01, 0.2].
fn network(k: usize) -> (Network, Vec<f64>) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut t = Vec::with_capacity(k);
    let mut xi = Vec::with_capacity(k);
    let mut va = Vec::with_capacity(k);
    for _ in 0..k {
        t.push(0.05 + 0.9 * next());
        xi.push(0.01 + 0.19 * next());
        va.push(10f64.powf(4.0 * next()));
    }
    (Network::new(t, xi).expect("valid network"), va)
}

fn bench_user_rate(c: &mut Criterion) {
    let mut group = c.benchmark_group("user_rate");
    group.throughput(Throughput::Elements(1));
    let channel = UserChannel {
        transmittance: 0.6,
        modulation_variance: 30.0,
        excess_noise: 0.1,
        other_excess_noise: 0.05,
        interference: 12.0,
        literal_interference: 20.0,
    };
    let standard = Settings::standard();
    group.bench_with_input(BenchmarkId::new("standard_exact", 1), &channel, |b, ch| {
        b.iter(|| user_rate(black_box(&standard), black_box(ch)))
    });
    let trusted =
        Settings::new(Convention::Trusted, Model::Exact, Access::Noma, Receiver::default(), false, true).unwrap();
    group.bench_with_input(BenchmarkId::new("trusted_exact", 1), &channel, |b, ch| {
        b.iter(|| user_rate(black_box(&trusted), black_box(ch)))
    });
    group.finish();
}

fn bench_sum_rates(c: &mut Criterion) {
    let mut group = c.benchmark_group("sum_rates");
    let settings = Settings::standard();
    for k in [16usize, 1024] {
        let (net, va) = network(k);
        let order = net.gain_order();
        group.throughput(Throughput::Elements(k as u64));
        group.bench_with_input(BenchmarkId::new("standard_exact_noma", k), &k, |b, _| {
            b.iter(|| sum_rates(black_box(&settings), black_box(&net), black_box(&order), black_box(&va)))
        });
    }
    group.finish();
}

/// The columns kernel (`nomaqkd::batch::user_rates_into`) over the 1024 users of
/// `network(1024)` with their NOMA channels, against a loop of `user_rate` over the same
/// channels. Built for the default target (SSE2 on x86-64); the Python bindings run
/// AVX2/AVX-512 copies of the same kernel.
fn bench_columns(c: &mut Criterion) {
    let mut group = c.benchmark_group("columns");
    let settings = Settings::standard();
    let (net, va) = network(1024);
    let order = net.gain_order();
    let mut chans = Vec::new();
    nomaqkd::rates::for_each_user_channel(&settings, &net, &order, &va, |_, ch| chans.push(ch));
    let n = chans.len();
    let col = |f: fn(&UserChannel) -> f64| chans.iter().map(f).collect::<Vec<f64>>();
    let (t, v, xi) = (col(|c| c.transmittance), col(|c| c.modulation_variance), col(|c| c.excess_noise));
    let (x, vi, vl) = (col(|c| c.other_excess_noise), col(|c| c.interference), col(|c| c.literal_interference));
    let input = ChannelColumns {
        transmittance: &t,
        modulation_variance: &v,
        excess_noise: &xi,
        other_excess_noise: &x,
        interference: &vi,
        literal_interference: &vl,
    };
    let (mut mi, mut chi, mut skr, mut plob) = (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let (mut ph, mut ex, mut si, mut ap) = (vec![false; n], vec![false; n], vec![false; n], vec![false; n]);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function(BenchmarkId::new("user_rates_into_standard_exact", n), |b| {
        b.iter(|| {
            let mut out = RateColumns {
                mutual_information: &mut mi,
                holevo: &mut chi,
                secret_key_rate: &mut skr,
                plob_bound: &mut plob,
                physical: &mut ph,
                exceeds_plob: &mut ex,
                silent: &mut si,
                approximation_valid: &mut ap,
            };
            user_rates_into(black_box(&settings), black_box(&input), &mut out)
        })
    });
    group.bench_function(BenchmarkId::new("user_rate_loop_standard_exact", n), |b| {
        b.iter(|| {
            for (i, ch) in chans.iter().enumerate() {
                skr[i] = user_rate(black_box(&settings), ch).secret_key_rate;
            }
        })
    });
    group.finish();
}

/// The interference bookkeeping of 64 networks of 16 users (`network(1024)` cut into
/// rows, 1 in 20 users silent): `nomaqkd::batch::channels_into` (networks side by side)
/// against the one-network path per row (`gain_order_of` + `for_each_user_channel_of`).
fn bench_channels(c: &mut Criterion) {
    let mut group = c.benchmark_group("channels");
    let settings = Settings::standard();
    let (k, rows) = (16, 64);
    let (net, mut va) = network(k * rows);
    for v in va.iter_mut().step_by(20) {
        *v = 0.0;
    }
    let (t, xi) = (net.transmittance(), net.excess_noise());
    let nk = k * rows;
    let (mut x, mut vi, mut vl) = (vec![0.0; nk], vec![0.0; nk], vec![0.0; nk]);
    let (mut pos, mut ord, mut joint) = (vec![0i64; nk], vec![0i64; nk], vec![false; rows]);
    let mut scratch = ChannelScratch::default();
    group.throughput(Throughput::Elements(nk as u64));
    group.bench_function(BenchmarkId::new("channels_into_64x16", nk), |b| {
        b.iter(|| {
            let rows_in = NetworkRows { users: k, transmittance: t, modulation_variance: &va, excess_noise: xi };
            let mut out = NetworkChannels {
                other_excess_noise: &mut x,
                interference: &mut vi,
                literal_interference: &mut vl,
                decode_position: &mut pos,
                order: &mut ord,
                joint_channel_physical: &mut joint,
            };
            channels_into(black_box(&settings), black_box(&rows_in), None, &mut scratch, &mut out)
        })
    });
    let mut order = Vec::new();
    group.bench_function(BenchmarkId::new("per_network_loop_64x16", nk), |b| {
        b.iter(|| {
            for r in 0..rows {
                let row = r * k..(r + 1) * k;
                let (t_r, v_r, xi_r) = (&t[row.clone()], &va[row.clone()], &xi[row]);
                gain_order_of(t_r, &mut order);
                let (x_r, vi_r) = (&mut x[r * k..(r + 1) * k], &mut vi[r * k..(r + 1) * k]);
                for_each_user_channel_of(black_box(&settings), t_r, xi_r, &order, v_r, |i, ch| {
                    x_r[i] = ch.other_excess_noise;
                    vi_r[i] = ch.interference;
                });
                for (p, &i) in order.iter().enumerate() {
                    pos[r * k + i] = p as i64;
                    ord[r * k + p] = i as i64;
                }
                joint[r] = joint_channel_physical_of(t_r);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_user_rate, bench_sum_rates, bench_columns, bench_channels);
criterion_main!(benches);

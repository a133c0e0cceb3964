//! Key-rate engine benchmarks (STYLE §11), grouped by K.
//!
//! - `user_rate/1`: one user's exact `standard` rate (`nomaqkd::user_rate`),
//!   plus the same for `trusted` for comparison;
//! - `sum_rates/16`, `sum_rates/1024`: `nomaqkd::sum_rates` (NOMA/SIC, gain
//!   order, exact `standard`) over K users.
//!
//! Targets (2-core machine): ≤ 100 ns per user evaluation; K = 1024 in ≤ 100 µs.
//! Results: docs/BENCHMARKS.md. Run: `cargo bench -p nomaqkd --bench rates`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
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

criterion_group!(benches, bench_user_rate, bench_sum_rates);
criterion_main!(benches);

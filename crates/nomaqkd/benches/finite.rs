//! Finite-size evaluation vs the asymptotic per-user rate (SPEC §9; target ≤ 50×),
//! and the Monte Carlo chunk kernel (SPEC §10; K = 4, 2^16 symbols).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nomaqkd::finite::{finite_user_rate, FiniteSizeParams, WorstCase};
use nomaqkd::montecarlo::{Simulation, CHUNK_SYMBOLS};
use nomaqkd::rates::{user_rate, UserChannel};
use nomaqkd::{Network, Settings};
use std::hint::black_box;

fn channels() -> Vec<(&'static str, UserChannel)> {
    let f1 = UserChannel {
        transmittance: 0.5,
        modulation_variance: 4.0,
        excess_noise: 0.01,
        other_excess_noise: 0.0,
        interference: 0.0,
        literal_interference: 0.0,
    };
    // "K2 standard SIC order 0,1", user 0 (V_I = 20, X = 0.04).
    let k2u0 = UserChannel {
        transmittance: 0.8,
        modulation_variance: 20.0,
        excess_noise: 0.1,
        other_excess_noise: 0.04,
        interference: 20.0,
        literal_interference: 0.0,
    };
    vec![("F1", f1), ("K2u0", k2u0)]
}

fn per_user(c: &mut Criterion) {
    let s = Settings::standard();
    let mut g = c.benchmark_group("finite_per_user");
    for (name, ch) in channels() {
        g.bench_with_input(BenchmarkId::new("asymptotic_user_rate", name), &ch, |b, ch| {
            b.iter(|| user_rate(&s, black_box(ch)))
        });
        for (wname, w) in [("box", WorstCase::Box), ("lgg10", WorstCase::Lgg10)] {
            for n in [1e7, 1e10] {
                let p = FiniteSizeParams::builder().block_size(n).worst_case(w).build().unwrap();
                g.bench_with_input(BenchmarkId::new(format!("finite_{wname}_N{n:e}"), name), &ch, |b, ch| {
                    b.iter(|| finite_user_rate(&s, &p, black_box(ch), n))
                });
            }
        }
    }
    g.finish();
}

fn mc_chunk(c: &mut Criterion) {
    let s = Settings::standard();
    let net = Network::new(vec![0.8, 0.4, 0.2, 0.1], vec![0.02]).unwrap();
    let sim = Simulation::new(&s, &net, &[0, 1, 2, 3], &[5.0; 4], 1).unwrap();
    let mut g = c.benchmark_group("simulate_chunk_K4");
    g.sample_size(20);
    g.throughput(Throughput::Elements(CHUNK_SYMBOLS));
    g.bench_function("chunk_2^16_symbols", |b| b.iter(|| sim.chunk_sums(0, black_box(3), CHUNK_SYMBOLS)));
    g.finish();
}

criterion_group!(benches, per_user, mc_chunk);
criterion_main!(benches);

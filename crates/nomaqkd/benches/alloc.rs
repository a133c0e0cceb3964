//! Power allocation timings (issue 3 targets): `sca` from one start at K = 16, 256,
//! 1024 and `global` at K = 16; standard, exact, T evenly spaced 0.95 → 0.2, ξ = 0.1,
//! V_max^BS = 1e3 SNU. Run: `cargo bench -p nomaqkd --bench alloc`.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use nomaqkd::alloc::{optimize, Objective, Policy, Problem};
use nomaqkd::{received_power_budget, Network, Settings};
use std::hint::black_box;

fn instance(k: usize, policy: Policy, objective: Objective) -> (Settings, Network, Problem) {
    let t: Vec<f64> = (0..k).map(|i| 0.95 - 0.75 * i as f64 / (k - 1) as f64).collect();
    let net = Network::new(t, vec![0.1]).unwrap();
    let s = Settings::standard();
    let b = received_power_budget(&net, 1e3, 0.0256).unwrap();
    let mut p = Problem::new(&s, &net, b).unwrap();
    p.policy = policy;
    p.objective = objective;
    (s, net, p)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("sca_one_start_raw");
    for k in [16usize, 256, 1024] {
        let (s, net, p) = instance(k, Policy::Sca, Objective::Raw);
        g.bench_with_input(BenchmarkId::from_parameter(k), &k, |b, _| {
            b.iter(|| optimize(black_box(&s), black_box(&net), black_box(&p)).unwrap())
        });
    }
    g.finish();
    let mut g = c.benchmark_group("global");
    for (name, obj) in [("clipped", Objective::Clipped), ("raw", Objective::Raw)] {
        let (s, net, p) = instance(16, Policy::Global, obj);
        g.bench_function(BenchmarkId::new(name, 16), |b| {
            b.iter(|| optimize(black_box(&s), black_box(&net), black_box(&p)).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Prints the allocation facts of docs/ALLOCATION.md and times one SCA run on the
//! bench/sca_vs_slsqp.py instance. Run: `cargo run --release -p nomaqkd --example alloc_facts`.
use nomaqkd::alloc::{optimize, Objective, Policy, Problem};
use nomaqkd::convention::{Access, Convention, Model, Receiver};
use nomaqkd::{Network, Settings};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("slsqp-instance") {
        // bench/sca_vs_slsqp.py instance: raw, standard, exact, T = linspace(0.95, 0.2, 16).
        let t: Vec<f64> = (0..16).map(|i| 0.95 - 0.05 * i as f64).collect();
        let net = Network::new(t, vec![0.1]).unwrap();
        let s = Settings::standard();
        let b = nomaqkd::received_power_budget(&net, 1e3, 0.0256).unwrap();
        let mut p = Problem::new(&s, &net, b).unwrap();
        p.policy = Policy::Sca;
        p.objective = Objective::Raw;
        let reps = 200;
        let t0 = Instant::now();
        let mut a = optimize(&s, &net, &p).unwrap();
        for _ in 1..reps {
            a = optimize(&s, &net, &p).unwrap();
        }
        let dt = t0.elapsed().as_secs_f64() / reps as f64;
        println!(
            "{{\"seconds\": {dt:e}, \"objective\": {:.15e}, \"iterations\": {}, \"status\": \"{}\", \"kkt\": {:e}, \"powers\": {:?}}}",
            a.objective_value(),
            a.iterations,
            a.status.as_str(),
            a.kkt_residual.unwrap(),
            a.powers()
        );
        return;
    }
    let net = Network::new(vec![0.9, 0.7, 0.5, 0.3], vec![0.1]).unwrap();
    let s = Settings::standard();
    for b in [1e2, 1e4] {
        let p = Problem::new(&s, &net, b).unwrap();
        let a = optimize(&s, &net, &p).unwrap();
        println!(
            "standard B={b}: clipped sum {:.9} active {:?} powers {:?} status {} it {} kkt {:?}\n  search: {}",
            a.objective_value(),
            a.active_users,
            a.powers(),
            a.status.as_str(),
            a.iterations,
            a.kkt_residual,
            a.search
        );
    }
    let sp = Settings::new(Convention::Paper, Model::Exact, Access::Noma, Receiver::default(), false, true).unwrap();
    for b in [1e2, 1e4] {
        for pol in Policy::ALL {
            let mut p = Problem::new(&sp, &net, b).unwrap();
            p.policy = pol;
            let a = optimize(&sp, &net, &p).unwrap();
            println!(
                "paper B={b} {:>9}: clipped {:.6} raw {:.6} active {:?} powers {:?}",
                pol.as_str(),
                a.report.sum_secret_key_rate_clipped,
                a.report.sum_secret_key_rate,
                a.active_users,
                a.powers().iter().map(|x| format!("{x:.4}")).collect::<Vec<_>>()
            );
        }
    }
}

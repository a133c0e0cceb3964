//! `nomaqkd simulate` through the binary: JSON fields of SPEC §11.5, exit codes,
//! and identical results for RAYON_NUM_THREADS = 1 and 2 (STYLE 14).

use serde_json::Value;
use std::process::{Command, Output};

fn run(args: &[&str], threads: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nomaqkd"))
        .args(args)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .expect("run nomaqkd")
}

const K2: &[&str] = &[
    "simulate",
    "--transmittance",
    "0.8,0.4",
    "--modulation-variance",
    "20,50",
    "--order",
    "0,1",
    "--symbols",
    "150000",
    "--replicates",
    "5",
    "--coverage-replicates",
    "50",
    "--seed",
    "42",
    "--format",
    "json",
];

#[test]
fn thread_count_does_not_change_results() {
    let a = run(K2, "1");
    let b = run(K2, "2");
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert_eq!(a.stdout, b.stdout);
    let v: Value = serde_json::from_slice(&a.stdout).unwrap();
    // The K2 case of SPEC §10.5 passes every check at this size (the model is right):
    // a simulator that fails them, or a check that always fails, is caught here.
    assert_eq!(v["all_checks_passed"], Value::Bool(true), "{}", String::from_utf8_lossy(&a.stdout));
    let u = &v["users"][0];
    for q in ["transmittance", "noise_variance", "excess_noise", "excess_noise_eff", "mutual_information", "holevo"] {
        let e = &u["estimates"][q];
        assert_eq!(e["estimates"].as_array().unwrap().len(), 5, "{q}");
        assert_eq!(e["z_scores"].as_array().unwrap().len(), 5);
        assert_eq!(e["intervals"][0].as_array().unwrap().len(), 2);
    }
    // A different seed gives different data.
    let mut other = K2.to_vec();
    let i = other.len() - 3;
    other[i] = "43";
    assert_ne!(run(&other, "2").stdout, a.stdout);
}

#[test]
fn bad_input_exit_2() {
    let base = ["simulate", "--transmittance", "0.5", "--modulation-variance", "4"];
    for extra in [
        &["--symbols", "0"][..],
        &["--replicates", "1.5"],
        &["--sic", "magic"],
        &["--convention", "paper"],
        &["--access", "oma"],
        &["--model", "asymptotic"],
        // Beyond the report's size limit: an input error, not an allocation abort.
        &["--replicates", "1e15"],
        &["--coverage-replicates", "1000001"],
    ] {
        let mut a = base.to_vec();
        a.extend_from_slice(extra);
        let out = run(&a, "1");
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr).trim().lines().count(), 1, "{extra:?}");
    }
    // Missing powers.
    assert_eq!(run(&["simulate", "--transmittance", "0.5"], "1").status.code(), Some(2));
}

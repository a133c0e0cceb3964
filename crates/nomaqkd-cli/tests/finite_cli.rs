//! `nomaqkd rate --finite-size` through the binary: SPEC's checkpoints/finite.json
//! (shared reference values) to 1e-9 relative, the §9.7 edge case, §11.5 fields and
//! the exit-2 input errors.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn shared_dir() -> PathBuf {
    if let Ok(p) = std::env::var("NOMAQKD_SHARED") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nomaqkd")).args(args).output().expect("run nomaqkd")
}

fn json(args: &[&str]) -> Value {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

fn rel(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs()
}

#[test]
fn checkpoints_through_cli() {
    let text = std::fs::read_to_string(shared_dir().join("checkpoints/finite.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    for c in doc["cases"].as_array().unwrap() {
        let i = &c["inputs"];
        let s = |k: &str| format!("{}", i[k].as_f64().unwrap());
        let (t, va, xi, eta, n, pe, eps, d2, tau) =
            (s("T"), s("V_A"), s("xi"), s("eta"), s("N"), s("pe_fraction"), s("eps"), s("detector_noise"), s("tau_d"));
        let conv = i["convention"].as_str().unwrap();
        let base = vec![
            "rate",
            "--transmittance",
            &t,
            "--modulation-variance",
            &va,
            "--excess-noise",
            &xi,
            "--reconciliation-efficiency",
            &eta,
            "--detector-noise",
            &d2,
            "--detector-efficiency",
            &tau,
            "--convention",
            conv,
            "--finite-size",
            "--block-size",
            &n,
            "--pe-fraction",
            &pe,
            "--eps-pe",
            &eps,
            "--eps-smooth",
            &eps,
            "--eps-pa",
            &eps,
            "--format",
            "json",
        ];
        let v = json(&base);
        let u = &v["users"][0];
        let e = &c["expected"];
        for k in [
            "finite_secret_key_rate",
            "finite_holevo",
            "pe_transmittance_min",
            "pe_excess_noise_max",
            "finite_size_penalty",
        ] {
            let (g, w) = (u[k].as_f64().unwrap(), e[k].as_f64().unwrap());
            assert!(rel(g, w) <= 1e-9, "{} {k}: {g} vs {w}", c["label"]);
        }
        assert_eq!(u["pe_worst_corner"], e["pe_worst_corner"]);
        assert_eq!(u["estimation_inconclusive"], false);
        // §11.3 fields are still there.
        assert!(u["secret_key_rate"].is_f64() && u["holevo"].is_f64());
        let mut l = base.clone();
        l.extend(["--worst-case", "lgg10", "--pe-samples-per-symbol", "1"]);
        let v1 = json(&l);
        let g = v1["users"][0]["finite_secret_key_rate"].as_f64().unwrap();
        let w = e["lgg10_r1_finite_secret_key_rate"].as_f64().unwrap();
        assert!(rel(g, w) <= 1e-9, "{} lgg10 r=1: {g} vs {w}", c["label"]);
    }
}

#[test]
fn inconclusive_reported_as_null() {
    let v = json(&[
        "rate",
        "--transmittance",
        "0.5",
        "--modulation-variance",
        "1.5",
        "--excess-noise",
        "0.05",
        "--finite-size",
        "--block-size",
        "100",
        "--format",
        "json",
    ]);
    let u = &v["users"][0];
    assert_eq!(u["estimation_inconclusive"], true);
    assert!(u["finite_secret_key_rate"].is_null());
    assert_eq!(v["sum_finite_secret_key_rate"].as_f64(), Some(0.0));
    assert!(v["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("inconclusive")));
}

/// SPEC §9.7: K2 standard SIC order 0,1 at N = 1e10, user 0 default −2.453166469.
#[test]
fn k2_min_block_and_sums() {
    let v = json(&[
        "rate",
        "--transmittance",
        "0.8,0.4",
        "--modulation-variance",
        "20,50",
        "--order",
        "0,1",
        "--finite-size",
        "--block-size",
        "1e10",
        "--min-block-size",
        "--format",
        "json",
    ]);
    let g = v["users"][0]["finite_secret_key_rate"].as_f64().unwrap();
    assert!(rel(g, -2.453166469) < 1e-9);
    // Both users negative asymptotically: no N gives key.
    assert!(v["users"][0]["min_block_size"].is_null());
    assert!(v["min_block_size_sum"].is_null());
    assert_eq!(v["sum_finite_secret_key_rate_clipped"].as_f64(), Some(0.0));
}

/// F1 (positive asymptotic rate): min block size is where the rate turns positive.
#[test]
fn min_block_size_brackets_sign_change() {
    let base = ["rate", "--transmittance", "0.5", "--modulation-variance", "4", "--excess-noise", "0.01"];
    let mut a = base.to_vec();
    a.extend(["--finite-size", "--min-block-size", "--format", "json"]);
    let v = json(&a);
    let n = v["users"][0]["min_block_size"].as_f64().unwrap();
    assert_eq!(v["min_block_size_sum"].as_f64(), Some(n));
    let at = |nn: f64| {
        let s = format!("{nn}");
        let mut b = base.to_vec();
        b.extend(["--finite-size", "--block-size", &s, "--format", "json"]);
        json(&b)["users"][0]["finite_secret_key_rate"].as_f64().unwrap()
    };
    assert!(at(n) > 0.0);
    assert!(at(n * 0.9999) <= 0.0);
}

#[test]
fn json_unchanged_without_finite_size() {
    let v = json(&["rate", "--transmittance", "0.5", "--modulation-variance", "4", "--format", "json"]);
    assert!(v.get("finite_size").is_none());
    assert!(v["users"][0].get("finite_secret_key_rate").is_none());
}

#[test]
fn bad_input_exit_2() {
    let base = ["rate", "--transmittance", "0.5", "--modulation-variance", "4"];
    let cases: &[&[&str]] = &[
        &["--finite-size", "--convention", "paper"],
        &["--finite-size", "--model", "asymptotic"],
        &["--finite-size", "--eps-pe", "0"],
        &["--finite-size", "--eps-smooth", "1"],
        &["--finite-size", "--eps-pa", "-1e-3"],
        &["--finite-size", "--pe-fraction", "1"],
        &["--finite-size", "--block-size", "0"],
        &["--finite-size", "--block-size", "nan"],
        // Fewer than one symbol, or no PE / no key symbol (review finding: was "inconclusive").
        &["--finite-size", "--block-size", "0.5"],
        &["--finite-size", "--block-size", "1e3", "--pe-fraction", "1e-4"],
        &["--finite-size", "--pe-samples-per-symbol", "3"],
        &["--finite-size", "--worst-case", "corner"],
        &["--finite-size", "--security", "strong"],
        &["--block-size", "1e9"],
    ];
    for extra in cases {
        let mut a = base.to_vec();
        a.extend_from_slice(extra);
        let out = run(&a);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{extra:?}: {err}");
    }
}

#[test]
fn scenario_keys() {
    let dir = std::env::temp_dir().join(format!("nomaqkd-finite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("f1.toml");
    std::fs::write(
        &p,
        "transmittance = [0.5]\nmodulation_variance = 4\nexcess_noise = 0.01\nfinite_size = true\nblock_size = 1e10\n\
         pe_fraction = 0.5\neps_pe = 1e-10\nworst_case = \"box\"\npe_samples_per_symbol = 2\n",
    )
    .unwrap();
    let v = json(&["rate", "--scenario", p.to_str().unwrap(), "--format", "json"]);
    // checkpoints/finite.json F1.
    let g = v["users"][0]["finite_secret_key_rate"].as_f64().unwrap();
    assert!(rel(g, 0.06924842716809552) < 1e-9);
    std::fs::write(&p, "transmittance = [0.5]\nmodulation_variance = 4\nfinite_size = true\nblok_size = 1\n").unwrap();
    assert_eq!(run(&["rate", "--scenario", p.to_str().unwrap()]).status.code(), Some(2));
}

/// SPEC §9.6 value for F1 (composable, box, r = 2) through the CLI, with the label.
#[test]
fn composable_through_cli() {
    let v = json(&[
        "rate",
        "--transmittance",
        "0.5",
        "--modulation-variance",
        "4",
        "--excess-noise",
        "0.01",
        "--finite-size",
        "--block-size",
        "1e10",
        "--security",
        "composable",
        "--format",
        "json",
    ]);
    let g = v["users"][0]["composable_secret_key_rate"].as_f64().unwrap();
    assert!(rel(g, 0.067543873) < 1e-8, "{g}");
    assert!(v["finite_size"]["composable_note"].as_str().unwrap().contains("adaptation"));
    assert!(v["sum_composable_secret_key_rate"].is_f64());
}

/// OMA: each user's finite rate equals a K = 1 run at N/K; sums time-shared (SPEC §9.4).
#[test]
fn oma_through_cli() {
    let v = json(&[
        "rate",
        "--transmittance",
        "0.8,0.4",
        "--modulation-variance",
        "5,8",
        "--excess-noise",
        "0.02",
        "--access",
        "oma",
        "--finite-size",
        "--block-size",
        "2e9",
        "--format",
        "json",
    ]);
    let mut sum = 0.0;
    for (k, (t, va)) in [("0.8", "5"), ("0.4", "8")].iter().enumerate() {
        let one = json(&[
            "rate",
            "--transmittance",
            t,
            "--modulation-variance",
            va,
            "--excess-noise",
            "0.02",
            "--finite-size",
            "--block-size",
            "1e9",
            "--format",
            "json",
        ]);
        let a = v["users"][k]["finite_secret_key_rate"].as_f64().unwrap();
        let b = one["users"][0]["finite_secret_key_rate"].as_f64().unwrap();
        assert!(rel(a, b) < 1e-14, "{a} vs {b}");
        sum += 0.5 * a;
    }
    assert!(rel(v["sum_finite_secret_key_rate"].as_f64().unwrap(), sum) < 1e-14);
}

#[test]
fn csv_has_finite_columns() {
    let out = run(&[
        "rate",
        "--transmittance",
        "0.5",
        "--modulation-variance",
        "4",
        "--finite-size",
        "--min-block-size",
        "--format",
        "csv",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let header = text.lines().next().unwrap();
    for col in ["finite_secret_key_rate", "pe_worst_corner", "estimation_inconclusive", "min_block_size"] {
        assert!(header.split(',').any(|c| c == col), "{col} in {header}");
    }
    assert_eq!(text.lines().count(), 2);
}

/// ε as small as the smallest subnormal keeps the penalty finite (review finding: log2(1/ε)
/// overflowed to an infinite penalty and a `-inf` key rate with status ok).
#[test]
fn tiny_epsilons_stay_finite() {
    let out = run(&[
        "rate",
        "--transmittance",
        "0.5",
        "--modulation-variance",
        "4",
        "--excess-noise",
        "0.01",
        "--finite-size",
        "--eps-pa",
        "1e-320",
        "--eps-smooth",
        "5e-324",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let u = &v["users"][0];
    let pen = u["finite_size_penalty"].as_f64().expect("finite penalty");
    // SPEC §9.3: Δ(n) = 7·sqrt(log2(2/ε_s)/n) + (2/n)·log2(1/ε_PA), n = (1 − 0.5)·1e9.
    let n: f64 = 0.5e9;
    let want = 7.0 * ((1.0 + 1074.0) / n).sqrt() + 2.0 / n * (-(1e-320f64).log2());
    assert!((pen - want).abs() <= 1e-12 * want, "{pen} vs {want}");
    assert!(u["finite_secret_key_rate"].as_f64().is_some());
}

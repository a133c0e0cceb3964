//! `nomaqkd optimize` end to end (SPEC §11.1, §11.2, §11.4).
use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_nomaqkd")).arg("optimize").args(args).output().unwrap();
    (o.status.code().unwrap(), String::from_utf8(o.stdout).unwrap(), String::from_utf8(o.stderr).unwrap())
}

#[test]
fn json_has_every_field_of_spec_11_4_and_matches_rate() {
    let (code, out, _) =
        run(&["--transmittance", "0.9,0.5", "--bs-max-variance", "100", "--format", "json", "--starts", "4"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in [
        "convention",
        "model",
        "access",
        "order",
        "users",
        "sum_secret_key_rate",
        "sum_secret_key_rate_clipped",
        "joint_channel_physical",
        "warnings",
        "policy",
        "objective",
        "budget",
        "status",
        "iterations",
        "objective_history",
        "kkt_residual",
        "active_users",
        "search",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    // Budget of SPEC §5: 100 − (0.1·0.1 + 0.5·0.1) − 0.0256.
    assert!((v["budget"].as_f64().unwrap() - (100.0 - 0.06 - 0.0256)).abs() < 1e-12);
    // The reported rates are those of `nomaqkd rate` at the reported powers.
    let powers: Vec<String> = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| format!("{}", u["modulation_variance"].as_f64().unwrap()))
        .collect();
    let o = Command::new(env!("CARGO_BIN_EXE_nomaqkd"))
        .args(["rate", "--transmittance", "0.9,0.5", "--format", "json", "--modulation-variance", &powers.join(",")])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["sum_secret_key_rate_clipped"], v["sum_secret_key_rate_clipped"]);
}

#[test]
fn compare_prints_gains() {
    let (code, out, _) = run(&["--transmittance", "0.9,0.5", "--bs-max-dbm", "-60", "--compare", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["policies"].as_array().unwrap().len(), 7);
    // SPEC §5: −60 dBm ↔ 1560.6 SNU (10 MBd, 1550 nm, rounded there to 5 digits), minus the floor.
    let b = v["policies"][0]["budget"].as_f64().unwrap();
    assert!((b - (1560.6 - 0.06 - 0.0256)).abs() < 0.05, "{b}");
    assert_eq!(v["gain_over_qoma_percent"]["qoma"].as_f64().unwrap(), 0.0);
    // Every gain recomputed from the policies' own clipped sums (SPEC §11.4).
    let sum_of = |name: &str| {
        v["policies"].as_array().unwrap().iter().find(|p| p["policy"] == name).unwrap()["sum_secret_key_rate_clipped"]
            .as_f64()
            .unwrap()
    };
    let (q, ob) = (sum_of("qoma"), sum_of("oma-best"));
    assert!(q > 0.0 && ob > 0.0, "{q} {ob}");
    for p in v["policies"].as_array().unwrap() {
        let name = p["policy"].as_str().unwrap();
        let s = p["sum_secret_key_rate_clipped"].as_f64().unwrap();
        for (key, reference) in [("gain_over_qoma_percent", q), ("gain_over_oma_best_percent", ob)] {
            let got = v[key][name].as_f64().unwrap();
            let want = 100.0 * (s / reference - 1.0);
            assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "{key} {name}: {got} vs {want}");
        }
    }
    assert!(v["gain_over_oma_best_percent"]["global"].as_f64().unwrap() >= -1e-6);
    let (code, out, _) = run(&["--transmittance", "0.9,0.5", "--bs-max-dbm", "-60", "--compare"]);
    assert_eq!(code, 0);
    assert!(out.contains("oma-best") && out.contains("vs qoma [%]"));
}

#[test]
fn iteration_cap_is_a_status_and_a_warning() {
    let (code, out, err) = run(&[
        "--transmittance",
        "0.9,0.5",
        "--bs-max-variance",
        "100",
        "--policy",
        "sca",
        "--max-iterations",
        "1",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "max_iterations");
    assert!(err.lines().any(|l| l.contains("iteration cap")));
}

#[test]
fn bad_inputs_exit_2_with_one_line() {
    for args in [
        vec!["--transmittance", "0.9,0.5"],
        vec!["--transmittance", "0.9,0.5", "--bs-max-variance", "0.05"],
        vec!["--transmittance", "0.9,0.5", "--bs-max-variance", "100", "--policy", "best"],
        vec!["--transmittance", "0.9,0.5", "--bs-max-variance", "100", "--objective", "sum"],
        vec!["--transmittance", "0.9,0.5", "--bs-max-variance", "100", "--starts", "0"],
        vec!["--transmittance", "0.9,0.5", "--bs-max-variance", "100", "--user-max-variance", "1,2,3"],
        vec!["--transmittance", "0.9,0.5", "--bs-max-variance", "1", "--objective", "raw", "--convention", "paper"],
        vec!["--transmittance", "0.9,0.5", "--bs-max-variance", "100", "--bs-max-dbm", "-60"],
        vec!["--transmittance", "0.9", "--bs-max-variance", "1e300"],
        vec!["--transmittance", "0.9", "--bs-max-variance", "100", "--starts", "1.5"],
        // sca keeps every user active: B = 0.9 - 0.06 - 0.0256 < V_min·Σ T = 1.4 under paper.
        vec!["--transmittance", "0.9,0.5", "--bs-max-variance", "0.9", "--convention", "paper", "--policy", "sca"],
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    }
}

#[test]
fn small_budget_global_picks_a_subset_and_compare_skips_sca() {
    // paper, V_min = 1: B = 1.2 - 0.01 - 0.08 - 0.0256 = 1.0844 < Σ T = 1.1, so not both users.
    let base = ["--convention", "paper", "--transmittance", "0.9,0.2", "--bs-max-variance", "1.2", "--format", "json"];
    let (code, out, err) = run(&base);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["active_users"].as_array().unwrap().len(), 1, "{out}");
    let mut args = base.to_vec();
    args.push("--compare");
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["policies"].as_array().unwrap().len(), 6);
    assert!(v["skipped"]["sca"].as_str().unwrap().contains("budget"));
    assert!(err.contains("warning: sca: skipped"));
}

//! Integration tests of the `nomaqkd` binary: the shared checkpoints through
//! `rate --format json`, the JSON contract of SPEC §11.3, and bad input
//! (exit code 2, one line, never a panic).

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nomaqkd"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("spawn nomaqkd")
}

fn shared_dir() -> PathBuf {
    if let Ok(p) = std::env::var("NOMAQKD_SHARED") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-12 || (got - want).abs() <= 1e-9 * want.abs()
}

fn join(v: &Value) -> String {
    v.as_array().unwrap().iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",")
}

/// Every case of SPEC's checkpoints/rates.json (independent reference values)
/// through the command line, to 1e-9 relative / 1e-12 absolute.
#[test]
fn checkpoints_through_cli_json() {
    let text = std::fs::read_to_string(shared_dir().join("checkpoints/rates.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    for case in doc["cases"].as_array().unwrap() {
        let label = case["label"].as_str().unwrap();
        let mut args: Vec<String> = vec![
            "rate".into(),
            "--format".into(),
            "json".into(),
            "--convention".into(),
            case["convention"].as_str().unwrap().into(),
            "--model".into(),
            case["model"].as_str().unwrap().into(),
            "--access".into(),
            case["access"].as_str().unwrap().into(),
            "--transmittance".into(),
            join(&case["transmittance"]),
            "--modulation-variance".into(),
            join(&case["modulation_variance"]),
            "--excess-noise".into(),
            join(&case["excess_noise"]),
            "--order".into(),
            join(&case["order"]),
            "--detector-noise".into(),
            case["detector_noise"].to_string(),
            "--detector-efficiency".into(),
            case["detector_efficiency"].to_string(),
            "--reconciliation-efficiency".into(),
            case["reconciliation_efficiency"].to_string(),
        ];
        if case["literal_eq6"].as_bool().unwrap() {
            args.push("--literal-eq6".into());
        }
        let out = bin().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{label}: {}", String::from_utf8_lossy(&out.stderr));
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        let exp = &case["expected"];
        for field in ["mutual_information", "holevo", "secret_key_rate", "plob_bound"] {
            for (k, want) in exp[field].as_array().unwrap().iter().enumerate() {
                let g = got["users"][k][field].as_f64().unwrap();
                assert!(close(g, want.as_f64().unwrap()), "{label} {field}[{k}]: {g} vs {want}");
            }
        }
        for field in ["physical", "silent"] {
            for (k, want) in exp[field].as_array().unwrap().iter().enumerate() {
                assert_eq!(&got["users"][k][field], want, "{label} {field}[{k}]");
            }
        }
        for field in ["sum_secret_key_rate", "sum_secret_key_rate_clipped"] {
            let g = got[field].as_f64().unwrap();
            assert!(close(g, exp[field].as_f64().unwrap()), "{label} {field}: {g}");
        }
    }
}

/// The JSON object has exactly the fields of SPEC §11.3, users in input order.
#[test]
fn json_has_exactly_the_contract_fields() {
    let out = run(&["rate", "--transmittance", "0.4,0.5", "--modulation-variance", "3,0", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut top: Vec<&str> = v.as_object().unwrap().keys().map(|s| s.as_str()).collect();
    top.sort();
    let mut want_top = vec![
        "convention",
        "model",
        "access",
        "order",
        "users",
        "sum_secret_key_rate",
        "sum_secret_key_rate_clipped",
        "joint_channel_physical",
        "warnings",
    ];
    want_top.sort();
    assert_eq!(top, want_top);
    let mut user: Vec<&str> = v["users"][0].as_object().unwrap().keys().map(|s| s.as_str()).collect();
    user.sort();
    let mut want_user = vec![
        "user",
        "transmittance",
        "modulation_variance",
        "decode_position",
        "slot_fraction",
        "interference",
        "other_excess_noise",
        "mutual_information",
        "holevo",
        "secret_key_rate",
        "plob_bound",
        "physical",
        "exceeds_plob",
        "silent",
        "approximation_valid",
    ];
    want_user.sort();
    assert_eq!(user, want_user);
    // Default order is descending T: user 1 (T = 0.5) is decoded first.
    assert_eq!(v["order"], serde_json::json!([1, 0]));
    assert_eq!(v["users"][0]["decode_position"], 1);
    assert_eq!(v["users"][1]["silent"], true);
    assert_eq!(v["joint_channel_physical"], true);
    assert_eq!(v["users"][0]["approximation_valid"], Value::Null);
}

#[test]
fn oma_fields_and_time_sharing() {
    let out = run(&[
        "rate",
        "--transmittance",
        "0.3,0.5",
        "--modulation-variance",
        "3",
        "--access",
        "oma",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["order"], Value::Null);
    assert_eq!(v["users"][0]["decode_position"], Value::Null);
    assert_eq!(v["users"][0]["slot_fraction"], 0.5);
    let s: f64 = v["users"].as_array().unwrap().iter().map(|u| u["secret_key_rate"].as_f64().unwrap()).sum();
    assert!(close(v["sum_secret_key_rate"].as_f64().unwrap(), s / 2.0));
    let out = run(&[
        "rate",
        "--transmittance",
        "0.3,0.5",
        "--modulation-variance",
        "3",
        "--access",
        "oma",
        "--no-time-sharing",
        "--format",
        "json",
    ]);
    let w: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(w["users"][0]["slot_fraction"], 1.0);
    assert!(close(w["sum_secret_key_rate"].as_f64().unwrap(), s));
}

/// Unphysical users and Σ T > 1 are shown, never hidden: stderr warnings,
/// the JSON `warnings` array and a visible line in the table (SPEC §11.2).
#[test]
fn warnings_are_visible_everywhere() {
    let args = [
        "rate",
        "--convention",
        "paper",
        "--detector-noise",
        "0.16",
        "--transmittance",
        "0.9,0.7,0.5,0.3",
        "--modulation-variance",
        "100,80,60,40",
    ];
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("WARNING: 1 user(s) unphysical, 1 above the PLOB bound"), "{table}");
    assert!(table.contains("UNPHYSICAL,>PLOB"));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().filter(|l| l.starts_with("warning: ")).count(), 3, "{err}");
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let v: Value = serde_json::from_slice(&run(&json_args).stdout).unwrap();
    assert_eq!(v["warnings"].as_array().unwrap().len(), 3);
    assert_eq!(v["users"][3]["exceeds_plob"], true);
}

#[test]
fn csv_has_one_row_per_user() {
    let out = run(&["rate", "--transmittance", "0.1,0.2,0.3", "--modulation-variance", "2", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.contains("secret_key_rate") && header.contains("plob_bound") && header.contains("physical"));
    assert_eq!(lines.count(), 3);
}

#[test]
fn scenario_file_and_flag_override() {
    let scenario = repo_dir().join("scenarios/example-k4.toml");
    let f = scenario.to_str().unwrap();
    let base: Value = serde_json::from_slice(&run(&["rate", "--scenario", f, "--format", "json"]).stdout).unwrap();
    assert_eq!(base["users"].as_array().unwrap().len(), 4);
    assert_eq!(base["access"], "noma");
    let over: Value =
        serde_json::from_slice(&run(&["rate", "--scenario", f, "--access", "oma", "--format", "json"]).stdout).unwrap();
    assert_eq!(over["access"], "oma");
    assert_eq!(over["users"][0]["modulation_variance"], base["users"][0]["modulation_variance"]);
}

#[test]
fn power_dbm_accepts_negative_lists_and_matches_spec_conversion() {
    let out = run(&["rate", "--transmittance", "0.5,0.4", "--power-dbm", "-80,-60", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // SPEC §5: −80 dBm ↔ 15.606 SNU, −60 dBm ↔ 1560.6 SNU at 1550 nm, 10 MBd (5 digits).
    let v0 = v["users"][0]["modulation_variance"].as_f64().unwrap();
    let v1 = v["users"][1]["modulation_variance"].as_f64().unwrap();
    assert!((v0 - 15.606).abs() < 5e-4 && (v1 - 1560.6).abs() < 5e-2, "{v0} {v1}");
}

#[test]
fn distance_model_gives_spec_transmittance() {
    let out = run(&["rate", "--distance-m", "50,140,200", "--modulation-variance", "2", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // SPEC §6: mean T ≈ 0.97·τ_d / 0.85·τ_d / 0.65·τ_d (two digits), τ_d = 0.6 under standard.
    for (k, want) in [0.97, 0.85, 0.65].iter().enumerate() {
        let t = v["users"][k]["transmittance"].as_f64().unwrap();
        assert!((t - 0.6 * want).abs() < 0.006, "user {k}: {t}");
    }
    // With fading, a seed reproduces the same draw and another seed changes it.
    let a =
        run(&["rate", "--distance-m", "100,120", "--modulation-variance", "2", "--sigma-x", "0.4", "--format", "json"]);
    let b =
        run(&["rate", "--distance-m", "100,120", "--modulation-variance", "2", "--sigma-x", "0.4", "--format", "json"]);
    let c = run(&[
        "rate",
        "--distance-m",
        "100,120",
        "--modulation-variance",
        "2",
        "--sigma-x",
        "0.4",
        "--seed",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(a.stdout, b.stdout);
    assert_ne!(a.stdout, c.stdout);
}

/// Each bad input: exit code 2, exactly one line on stderr naming the field,
/// nothing on stdout, no panic text.
#[test]
fn bad_input_is_one_line_exit_2() {
    let dir = std::env::temp_dir().join(format!("nomaqkd-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let unknown = dir.join("unknown.toml");
    std::fs::write(&unknown, "transmittance = [0.5]\nmodulation_variance = 2\nexcess_nose = 0.1\n").unwrap();
    let wrong_type = dir.join("wrong_type.toml");
    std::fs::write(&wrong_type, "transmittance = \"high\"\nmodulation_variance = 2\n").unwrap();
    let malformed = dir.join("malformed.toml");
    std::fs::write(&malformed, "transmittance = [0.5\n").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--transmittance", "1.3", "--modulation-variance", "2"], "transmittance"),
        (vec!["--transmittance", "0", "--modulation-variance", "2"], "transmittance"),
        (vec!["--transmittance", "0.5", "--modulation-variance", "2", "--excess-noise", "-0.1"], "excess_noise"),
        (
            vec!["--transmittance", "0.5", "--modulation-variance", "2", "--reconciliation-efficiency", "1.2"],
            "reconciliation_efficiency",
        ),
        (
            vec!["--transmittance", "0.5", "--modulation-variance", "2", "--reconciliation-efficiency", "0"],
            "reconciliation_efficiency",
        ),
        (vec!["--transmittance", "0.5,0.6", "--modulation-variance", "2,3,4"], "modulation_variance"),
        // Above 1e60 SNU intermediate products overflow (review finding: NaN with exit 0).
        (vec!["--transmittance", "0.5", "--modulation-variance", "1e160"], "modulation_variance"),
        (vec!["--transmittance", "0.5", "--power-dbm", "1e308"], "modulation_variance"),
        // Likewise ξ: above ~1e154 χ was NaN with exit 0 (review of the batched kernel).
        (vec!["--transmittance", "0.5", "--modulation-variance", "2", "--excess-noise", "1e155"], "excess_noise"),
        (
            vec!["--transmittance", "0.5,0.6", "--modulation-variance", "2", "--excess-noise", "0.1,0.1,0.1"],
            "excess_noise",
        ),
        (
            vec!["--transmittance", "0.5", "--modulation-variance", "0.5", "--convention", "paper"],
            "modulation_variance",
        ),
        (vec!["--transmittance", "0.5,0.6", "--modulation-variance", "2", "--order", "0,0"], "order"),
        (vec!["--transmittance", "0.5,0.6", "--modulation-variance", "2", "--order", "best"], "order"),
        (
            vec![
                "--transmittance",
                "0.5",
                "--modulation-variance",
                "2",
                "--convention",
                "trusted",
                "--model",
                "asymptotic",
            ],
            "model",
        ),
        (vec!["--transmittance", "0.5", "--modulation-variance", "2", "--literal-eq6"], "literal_eq6"),
        (vec!["--transmittance", "0.5", "--modulation-variance", "nan"], "modulation_variance"),
        (vec!["--transmittance", "inf", "--modulation-variance", "2"], "transmittance"),
        (vec!["--transmittance", "0.5", "--modulation-variance", "2", "--detector-noise", "-1"], "detector_noise"),
        (vec!["--transmittance", "0.5", "--modulation-variance", "2", "--convention", "fancy"], "convention"),
        (vec!["--transmittance", "0.5", "--modulation-variance", "abc"], "modulation-variance"),
        (vec!["--transmittance", "0.5"], "modulation-variance"),
        (vec!["--modulation-variance", "2"], "transmittance"),
        (vec!["--transmittance", "0.5", "--modulation-variance", "2", "--bogus"], "--bogus"),
        (vec!["--scenario", unknown.to_str().unwrap()], "excess_nose"),
        (vec!["--scenario", wrong_type.to_str().unwrap()], "transmittance"),
        (vec!["--scenario", malformed.to_str().unwrap()], "line"),
        (vec!["--scenario", "/nonexistent/x.toml"], "scenario"),
    ];
    for (args, field) in cases {
        let mut full = vec!["rate"];
        full.extend(&args);
        let out = run(&full);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: not one line: {err}");
        assert!(err.contains(field), "{args:?}: message does not name `{field}`: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

//! Every case of SPEC's `checkpoints/rates.json` (the shared reference values,
//! computed by an independent reference implementation) reproduced by the
//! library to 1e-9 relative or 1e-12 absolute, flags included.

use nomaqkd::{evaluate, Access, Convention, Model, Network, Receiver, Settings};
use serde_json::Value;
use std::path::PathBuf;

/// Location of the shared checkpoints: `NOMAQKD_SHARED` or `../shared` beside the repository.
pub fn shared_dir() -> PathBuf {
    if let Ok(p) = std::env::var("NOMAQKD_SHARED") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-12 || (got - want).abs() <= 1e-9 * want.abs()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

#[test]
fn rates_json_cases_reproduced() {
    let path = shared_dir().join("checkpoints/rates.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    let mut failures = Vec::new();
    for case in cases {
        let label = case["label"].as_str().unwrap();
        let conv: Convention = case["convention"].as_str().unwrap().parse().unwrap();
        let model: Model = case["model"].as_str().unwrap().parse().unwrap();
        let access: Access = case["access"].as_str().unwrap().parse().unwrap();
        let receiver = Receiver::new(
            case["detector_noise"].as_f64().unwrap(),
            case["detector_efficiency"].as_f64().unwrap(),
            case["reconciliation_efficiency"].as_f64().unwrap(),
        )
        .unwrap();
        let settings =
            Settings::new(conv, model, access, receiver, case["literal_eq6"].as_bool().unwrap(), true).unwrap();
        let network = Network::new(floats(&case["transmittance"]), floats(&case["excess_noise"])).unwrap();
        let order: Vec<usize> =
            case["order"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect();
        let report = evaluate(&settings, &network, &order, &floats(&case["modulation_variance"])).unwrap();
        let exp = &case["expected"];
        for (field, pick) in [
            (
                "mutual_information",
                (|u: &nomaqkd::UserReport| u.rate.mutual_information) as fn(&nomaqkd::UserReport) -> f64,
            ),
            ("holevo", |u| u.rate.holevo),
            ("secret_key_rate", |u| u.rate.secret_key_rate),
            ("plob_bound", |u| u.rate.plob_bound),
        ] {
            for (k, want) in floats(&exp[field]).into_iter().enumerate() {
                let got = pick(&report.users[k]);
                if !close(got, want) {
                    failures.push(format!("{label}: {field}[{k}] got {got:e} want {want:e}"));
                }
            }
        }
        for (field, pick) in [
            ("physical", (|u: &nomaqkd::UserReport| u.rate.physical) as fn(&nomaqkd::UserReport) -> bool),
            ("silent", |u| u.rate.silent),
        ] {
            for (k, want) in exp[field].as_array().unwrap().iter().enumerate() {
                if pick(&report.users[k]) != want.as_bool().unwrap() {
                    failures.push(format!("{label}: {field}[{k}] mismatch"));
                }
            }
        }
        for (field, got) in [
            ("sum_secret_key_rate", report.sum_secret_key_rate),
            ("sum_secret_key_rate_clipped", report.sum_secret_key_rate_clipped),
        ] {
            let want = exp[field].as_f64().unwrap();
            if !close(got, want) {
                failures.push(format!("{label}: {field} got {got:e} want {want:e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

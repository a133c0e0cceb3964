//! Command-line tests of `nomaqkd sweep` and `nomaqkd reproduce`.

use nomaqkd::alloc::{optimize, Policy, Problem};
use nomaqkd::finite::{evaluate_finite, min_block_sizes, FiniteSizeParams, WorstCase, MIN_BLOCK_LOG10_RESOLUTION};
use nomaqkd::{
    dbm_to_variance, evaluate, received_power_budget, transmittance_from_distance, Access, Convention, LinkGeometry,
    Model, Network, Receiver, Settings,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nomaqkd"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nomaqkd-sweep-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("spawn nomaqkd");
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

const SMALL: &str = r#"
name = "small"
users = 3
distance_range_m = [60, 180]
excess_noise = 0.05
sigma_x = 0.4
seed = 11
realizations = 40
conventions = ["paper", "standard"]
policies = ["qoma", "uqpa", "cih"]

[[axes]]
name = "sigma_x"
values = [0.3, 0.6]

[[axes]]
name = "power_dbm"
from = -80
to = -40
points = 9

[plot]
kind = "line"
x = "power_dbm"
title = "small test sweep"
"#;

fn write_small(dir: &Path) -> PathBuf {
    let p = dir.join("small.toml");
    std::fs::write(&p, SMALL).unwrap();
    p
}

#[test]
fn same_bytes_for_one_and_two_threads() {
    let d = tmp("threads");
    let sc = write_small(&d);
    let (a, b) = (d.join("a"), d.join("b"));
    run(bin().env("RAYON_NUM_THREADS", "1").args(["sweep", "--scenario"]).arg(&sc).arg("--out").arg(&a));
    run(bin().env("RAYON_NUM_THREADS", "2").args(["sweep", "--scenario"]).arg(&sc).arg("--out").arg(&b));
    let (x, y) = (std::fs::read(a.join("small.csv")).unwrap(), std::fs::read(b.join("small.csv")).unwrap());
    assert_eq!(x, y);
    // 18 points × 2 conventions × 3 policies + header.
    assert_eq!(String::from_utf8(x).unwrap().lines().count(), 18 * 6 + 1);
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(a.join("small.json")).unwrap()).unwrap();
    assert_eq!(meta["seed"], 11);
    assert_eq!(meta["complete"], true);
    assert!(meta["timings"]["wall_seconds"].as_f64().unwrap() >= 0.0);
    assert!(meta["scenario"].as_str().unwrap().contains("distance_range_m"));
}

#[test]
fn resume_after_deterministic_stop_gives_the_same_csv() {
    let d = tmp("resume");
    let sc = write_small(&d);
    let (full, part) = (d.join("full"), d.join("part"));
    run(bin().args(["sweep", "--scenario"]).arg(&sc).arg("--out").arg(&full));
    // 108 rows in all: stop at about half.
    let out = run(bin().args(["sweep", "--stop-after-rows", "54", "--scenario"]).arg(&sc).arg("--out").arg(&part));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--resume"));
    let partial = std::fs::read_to_string(part.join("small.csv")).unwrap();
    assert_eq!(partial.lines().count(), 54 + 1);
    let complete = std::fs::read_to_string(full.join("small.csv")).unwrap();
    assert!(complete.starts_with(&partial));
    let out = run(bin().args(["sweep", "--resume", "--scenario"]).arg(&sc).arg("--out").arg(&part));
    assert!(String::from_utf8_lossy(&out.stdout).contains("9 resumed"), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(std::fs::read_to_string(part.join("small.csv")).unwrap(), complete);
    // A resume of a finished run recomputes nothing and changes nothing.
    run(bin().args(["sweep", "--resume", "--scenario"]).arg(&sc).arg("--out").arg(&part));
    assert_eq!(std::fs::read_to_string(part.join("small.csv")).unwrap(), complete);
}

#[cfg(unix)]
#[test]
fn sigint_keeps_finished_rows_and_resume_completes() {
    let d = tmp("sigint");
    // Slow enough to be interrupted: 16 users, 4000 realizations per point.
    let text = SMALL
        .replace("users = 3", "users = 16")
        .replace("realizations = 40", "realizations = 4000")
        .replace("points = 9", "points = 30");
    let sc = d.join("slow.toml");
    std::fs::write(&sc, text.replace("name = \"small\"", "name = \"slow\"")).unwrap();
    let out = d.join("o");
    let mut child = bin().args(["sweep", "--scenario"]).arg(&sc).arg("--out").arg(&out).spawn().unwrap();
    let csv = out.join("slow.csv");
    // Wait until some rows exist, then send SIGINT.
    let t0 = std::time::Instant::now();
    loop {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let n = std::fs::read_to_string(&csv).map(|s| s.lines().count()).unwrap_or(0);
        if n > 7 || t0.elapsed().as_secs() > 60 {
            break;
        }
    }
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    let rows_after = std::fs::read_to_string(&csv).unwrap();
    let n = rows_after.lines().count() - 1;
    assert!(n > 0, "no rows were kept");
    if status.success() {
        // The run finished before the signal arrived: nothing to resume.
        assert_eq!(n, 60 * 6);
        return;
    }
    assert_eq!(status.code(), Some(130), "interrupted runs exit with 130");
    assert_eq!(n % 6, 0, "only whole points are written");
    assert!(n < 60 * 6);
    run(bin().args(["sweep", "--resume", "--scenario"]).arg(&sc).arg("--out").arg(&out));
    let resumed = std::fs::read_to_string(&csv).unwrap();
    assert!(resumed.starts_with(&rows_after));
    assert_eq!(resumed.lines().count(), 60 * 6 + 1);
}

#[test]
fn plots_are_valid_png_and_svg_with_series_labels() {
    let d = tmp("plot");
    let sc = write_small(&d);
    run(bin().args(["sweep", "--scenario"]).arg(&sc).arg("--out").arg(&d));
    let png = std::fs::read(d.join("small.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = std::fs::read_to_string(d.join("small.svg")).unwrap();
    assert!(svg.starts_with("<svg") || svg.contains("<svg"));
    assert!(svg.trim_end().ends_with("</svg>"));
    for label in ["qoma, σx=0.3", "uqpa, σx=0.6", "cih, σx=0.3", "paper convention", "standard convention"] {
        assert!(svg.contains(label), "SVG lacks `{label}`");
    }
    assert!(svg.contains("BS power budget P_max (dBm)"));
}

#[test]
fn bad_scenarios_exit_2_with_one_line() {
    let d = tmp("bad");
    for (text, needle) in [
        (SMALL.replace("name = \"sigma_x\"", "name = \"sigma\""), "axes"),
        (SMALL.replace("\"cih\"]", "\"magic\"]"), "magic"),
        (SMALL.replace("seed = 11", "seed = 11\nbogus = 1"), "bogus"),
        (SMALL.replace("from = -80", "from = \"x\""), "number"),
        (SMALL.replace("values = [0.3, 0.6]", "values = [-0.3]"), "sigma_x"),
    ] {
        let p = d.join("bad.toml");
        std::fs::write(&p, text).unwrap();
        let out = bin().args(["sweep", "--scenario"]).arg(&p).arg("--out").arg(d.join("o")).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
    }
}

fn setup(convention: Convention, k: usize, t: f64, xi: f64, power_dbm: f64) -> (Settings, Network, f64) {
    let net = Network::new(vec![t; k], vec![xi]).unwrap();
    let receiver = Receiver::default();
    let settings = Settings::new(convention, Model::Exact, Access::Noma, receiver, false, true).unwrap();
    let vmax = dbm_to_variance(power_dbm, 1.55e-6, 1e7);
    let b = received_power_budget(&net, vmax, receiver.detector_noise_snu()).unwrap();
    (settings, net, b)
}

/// Sum SKR (clipped) of the UQPA rule computed directly with `evaluate`:
/// K users of identical T and ξ, budget from `power_dbm` (SPEC §5), gain order.
fn uqpa_direct(convention: Convention, k: usize, t: f64, xi: f64, power_dbm: f64) -> f64 {
    let (settings, net, b) = setup(convention, k, t, xi, power_dbm);
    let mut v = vec![b / (k as f64 * t); k];
    if convention == Convention::Paper {
        v.iter_mut().filter(|x| **x < 1.0).for_each(|x| *x = 0.0);
    }
    evaluate(&settings, &net, &net.gain_order(), &v).unwrap().sum_secret_key_rate_clipped
}

/// Sum SKR (clipped) of the `global` policy from a direct `nomaqkd::alloc::optimize` call.
fn global_direct(convention: Convention, k: usize, t: f64, xi: f64, power_dbm: f64) -> f64 {
    let (settings, net, b) = setup(convention, k, t, xi, power_dbm);
    let mut problem = Problem::new(&settings, &net, b).unwrap();
    problem.policy = Policy::Global;
    optimize(&settings, &net, &problem).unwrap().report.sum_secret_key_rate_clipped
}

#[test]
fn reproduce_quick_report_matches_library() {
    let d = tmp("reproduce");
    let out = run(bin().args(["reproduce", "--quick", "--out"]).arg(&d));
    assert!(String::from_utf8_lossy(&out.stdout).contains("report.md"));
    let report = std::fs::read_to_string(d.join("report.md")).unwrap();
    for f in 2..=8 {
        assert!(report.contains(&format!("![fig{f}](fig{f}.png)")), "report lacks fig{f}");
        assert!(d.join(format!("fig{f}.png")).exists() && d.join(format!("fig{f}.csv")).exists());
    }
    for claim in [
        "23 %",
        "16 users",
        "−60 dBm",
        "σx between 0.3 and 0.6",
        "3 bits/symbol",
        "3.5 bits/symbol",
        "140 m",
        "−80 dBm",
        "fastest",
    ] {
        assert!(report.contains(claim), "report lacks the claim `{claim}`");
    }
    let claims: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("claims.json")).unwrap()).unwrap();
    let get = |id: &str, conv: &str| -> serde_json::Value {
        claims["claims"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()["measured"][conv].clone()
    };
    // Fig. 4 quick grid: T ∈ {0.05, 0.2, …, 0.95}, P ∈ {−90, −80, …, −30}; T > 0.8 and P > −55 leaves
    // T = 0.95 at −50, −40, −30 dBm. The claim's number is the minimum of the `global` sum there.
    // The grid's top T value, computed as the sweep computes it (0.05 + 0.9·6/6).
    let t_top = 0.05 + (0.95 - 0.05) * 6.0 / 6.0;
    for conv in [Convention::Paper, Convention::Standard, Convention::Trusted] {
        let direct =
            [-50.0, -40.0, -30.0].iter().map(|&p| global_direct(conv, 4, t_top, 0.1, p)).fold(f64::INFINITY, f64::min);
        let m = get("fig4-high-T", conv.as_str());
        let reported = m["value"].as_f64().unwrap();
        assert!((reported - direct).abs() <= 1e-12 * direct.abs().max(1.0), "{conv}: {reported} vs {direct}");
        let verdict = if direct > 3.0 { "holds" } else { "does_not_hold" };
        assert_eq!(m["verdict"], verdict);
    }
    // Fig. 5 quick grid at −50 dBm: T ∈ {0.05, 0.2, …, 0.95}, W ∈ {0.01, …, 0.2}; T > 0.7 at W = 0.2
    // leaves T = 0.8 and 0.95 (0.05 + 0.15·5 is 0.8 up to rounding: compute it the same way).
    let t5: Vec<f64> = (0..7).map(|i| 0.05 + (0.95 - 0.05) * i as f64 / 6.0).filter(|t| *t > 0.7 + 1e-9).collect();
    for conv in [Convention::Paper, Convention::Standard] {
        let direct = t5.iter().map(|&t| global_direct(conv, 4, t, 0.2, -50.0)).fold(f64::INFINITY, f64::min);
        let reported = get("fig5-noise", conv.as_str())["value"].as_f64().unwrap();
        assert!((reported - direct).abs() <= 1e-12 * direct.abs().max(1.0), "{conv}: {reported} vs {direct}");
    }
    // The Fig. 5 CSV's UQPA row at T = 0.95, W = 0.2 equals `evaluate` of the UQPA powers.
    let csv = std::fs::read_to_string(d.join("fig5.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let row: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|r| {
            r[col("convention")] == "standard"
                && r[col("policy")] == "uqpa"
                && r[col("excess_noise")].parse::<f64>().unwrap() == 0.2
                && (r[col("transmittance")].parse::<f64>().unwrap() - 0.95).abs() < 1e-12
        })
        .unwrap();
    let t95: f64 = row[col("transmittance")].parse().unwrap();
    let direct = uqpa_direct(Convention::Standard, 4, t95, 0.2, -50.0);
    let reported: f64 = row[col("sum_rate_clipped_mean")].parse().unwrap();
    assert!((reported - direct).abs() <= 1e-12 * direct.abs().max(1.0), "{reported} vs {direct}");
    // Trusted has no asymptotic model: Fig. 7's claim cannot be tested there.
    assert_eq!(get("fig7-holevo", "trusted")["verdict"], "cannot_be_tested");
    // Under `paper` the report must count unphysical points (SPEC §8: 84–100 % of Table II's space).
    assert!(claims["flags"]["fig4"]["paper"]["unphysical_points"].as_u64().unwrap() > 0);
    assert_eq!(claims["flags"]["fig4"]["standard"]["unphysical_points"].as_u64().unwrap(), 0);
    check_finite_figure(&d, &report, &claims);
}

/// Fig. 2's network at the mean channel under `standard`, built here from the numbers in
/// scenarios/fig2.toml (16 users evenly spaced over [50, 200] m, ξ = 0.1, δ² = 0.0256, default
/// link geometry and detector, 1550 nm, 10 MBd), and its budget B (SPEC §5).
fn fig2_mean_channel(power_dbm: f64) -> (Settings, Network, f64) {
    let receiver = Receiver::default();
    let t: Vec<f64> = (0..16)
        .map(|k| {
            let d = 50.0 + 150.0 * k as f64 / 15.0;
            transmittance_from_distance(&LinkGeometry::default(), d, Convention::Standard, 0.6, 1.0)
        })
        .collect();
    let net = Network::new(t, vec![0.1]).unwrap();
    let settings = Settings::new(Convention::Standard, Model::Exact, Access::Noma, receiver, false, true).unwrap();
    let b = received_power_budget(&net, dbm_to_variance(power_dbm, 1.55e-6, 1e7), 0.0256).unwrap();
    (settings, net, b)
}

fn allocate(settings: &Settings, net: &Network, b: f64, policy: Policy) -> nomaqkd::alloc::Allocation {
    let mut problem = Problem::new(settings, net, b).unwrap();
    problem.policy = policy;
    optimize(settings, net, &problem).unwrap()
}

fn finite_params(n: f64) -> FiniteSizeParams {
    // SPEC §9.2 defaults, spelled out: box, p_PE 0.5, ε's 1e-10, r = 2.
    FiniteSizeParams::builder()
        .block_size(n)
        .pe_fraction(0.5)
        .eps_pe(1e-10)
        .eps_smooth(1e-10)
        .eps_pa(1e-10)
        .pe_samples_per_symbol(2)
        .worst_case(WorstCase::Box)
        .build()
        .unwrap()
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-300), "{what}: {a} vs {b}");
}

/// The extra finite-size figure (issue 6): CSV numbers and thresholds against direct library calls.
fn check_finite_figure(d: &Path, report: &str, claims: &serde_json::Value) {
    assert!(report.contains("![fig2-finite](fig2-finite.png)"), "report lacks the finite-size figure");
    assert!(report.contains("Extra row (not a paper claim)"));
    let png = std::fs::read(d.join("fig2-finite.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = std::fs::read_to_string(d.join("fig2-finite.svg")).unwrap();
    assert!(svg.contains("block size N (symbols)") && svg.contains("oma-best"));
    let csv = std::fs::read_to_string(d.join("fig2-finite.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let num = |r: &[&str], c: &str| -> f64 { r[col(c)].parse().unwrap() };
    // Quick mode: one N per decade from 1e6 to 1e12, for both policies.
    let decades: Vec<f64> = (6..=12).map(|e| 10f64.powi(e)).collect();
    for policy in ["global", "oma-best"] {
        let ns: Vec<f64> = rows.iter().filter(|r| r[col("policy")] == policy).map(|r| num(r, "block_size")).collect();
        assert_eq!(ns, decades, "{policy}");
    }
    let extra = claims["extras"].as_array().unwrap().iter().find(|e| e["id"] == "finite-min-block-size").unwrap();
    assert_eq!(extra["paper_claim"], false);
    let power = extra["power_dbm"].as_f64().unwrap();
    assert_eq!(power, -50.0, "the scenario's operating point");
    let (settings, net, b) = fig2_mean_channel(power);

    // The operating point: no budget of Fig. 2's grid (−90 … −20 dBm, step 5) gives a larger
    // asymptotic `global` sum at the mean channel than −50 dBm (up to 1e-12 relative).
    let at = allocate(&settings, &net, b, Policy::Global).report.sum_secret_key_rate_clipped;
    let best = (0..15)
        .map(|i| {
            let (s, n, bb) = fig2_mean_channel(-90.0 + 5.0 * i as f64);
            allocate(&s, &n, bb, Policy::Global).report.sum_secret_key_rate_clipped
        })
        .fold(f64::NEG_INFINITY, f64::max);
    assert!(at >= best * (1.0 - 1e-12), "-50 dBm gives {at}, the grid's best is {best}");

    // global: NOMA, all users on one block of N, powers from optimize.
    let g = allocate(&settings, &net, b, Policy::Global);
    let g_order = g.report.order.clone().unwrap();
    let g_v = g.powers();
    // oma-best: one user owns the whole block; evaluated here as a one-user network (its own
    // T and ξ, no other user), independently of the CLI's OMA bookkeeping.
    let o = allocate(&settings, &net, b, Policy::OmaBest);
    assert_eq!(o.active_users.len(), 1);
    let j = o.active_users[0];
    let one = Network::new(vec![net.transmittance()[j]], vec![0.1]).unwrap();
    let o_v = vec![o.powers()[j]];
    type Direct<'a> = Box<dyn Fn(f64) -> (f64, f64) + 'a>;
    let direct: [(&str, Direct, f64, Option<f64>); 2] = [
        (
            "global",
            Box::new(|n: f64| {
                let r = evaluate_finite(&settings, &finite_params(n), &net, &g_order, &g_v).unwrap();
                (r.sum_finite_secret_key_rate_clipped, r.sum_finite_secret_key_rate)
            }),
            g.report.sum_secret_key_rate_clipped,
            min_block_sizes(&settings, &finite_params(1e9), &net, &g_order, &g_v).unwrap().1,
        ),
        (
            "oma-best",
            Box::new(|n: f64| {
                let r = evaluate_finite(&settings, &finite_params(n), &one, &[0], &o_v).unwrap();
                (r.sum_finite_secret_key_rate_clipped, r.sum_finite_secret_key_rate)
            }),
            o.report.sum_secret_key_rate_clipped,
            min_block_sizes(&settings, &finite_params(1e9), &one, &[0], &o_v).unwrap().1,
        ),
    ];
    for (policy, rate, asym, n_min) in &direct {
        // CSV numbers at a couple of N against the direct calls.
        for n in [1e8, 1e11] {
            let r = rows
                .iter()
                .find(|r| r[col("policy")] == *policy && num(r, "block_size") == n)
                .unwrap_or_else(|| panic!("{policy}: no row at N = {n}"));
            let (clipped, raw) = rate(n);
            close(num(r, "sum_finite_rate_clipped"), clipped, &format!("{policy} clipped at {n}"));
            close(num(r, "sum_finite_rate"), raw, &format!("{policy} raw at {n}"));
            close(num(r, "asymptotic_limit"), 0.5 * asym, &format!("{policy} limit"));
            assert!(clipped > 0.0 && clipped < 0.5 * asym, "{policy} at {n}: {clipped} vs limit {}", 0.5 * asym);
        }
        // The reported threshold is the library's minimum block size ...
        let reported = extra["min_block_size"][*policy].as_f64().unwrap();
        let n_min = n_min.unwrap();
        close(reported, n_min, &format!("{policy} threshold"));
        let csv_min = num(rows.iter().find(|r| r[col("policy")] == *policy).unwrap(), "min_block_size");
        close(csv_min, n_min, &format!("{policy} threshold in the CSV"));
        assert!(report.contains(&format!("{policy}: key from N = {n_min:.3e}")), "{policy}: {n_min:.3e}");
        // ... and the rate changes sign there: no key just below (beyond the search's
        // resolution of 1e-6 in log10 N), key at it.
        let below = n_min * 10f64.powf(-2.0 * MIN_BLOCK_LOG10_RESOLUTION);
        let (c_below, r_below) = rate(below);
        let (c_at, _) = rate(n_min);
        assert!(c_below == 0.0 && r_below <= 0.0, "{policy}: key below the threshold ({c_below}, {r_below})");
        assert!(c_at > 0.0, "{policy}: no key at the threshold {n_min}");
        // The grid agrees: no key below the threshold, key above.
        for r in rows.iter().filter(|r| r[col("policy")] == *policy) {
            let (n, c) = (num(r, "block_size"), num(r, "sum_finite_rate_clipped"));
            assert_eq!(c > 0.0, n >= n_min, "{policy} at N = {n}: {c}");
        }
    }
}

#[test]
fn figure_scenarios_parse_in_full_and_quick_mode() {
    let d = tmp("parse");
    for f in 2..=8 {
        let p = scenarios().join(format!("fig{f}.toml"));
        // --stop-after-rows 1 validates everything and computes one point.
        run(bin().args(["sweep", "--stop-after-rows", "1", "--scenario"]).arg(&p).arg("--out").arg(&d));
        run(bin().args(["sweep", "--quick", "--stop-after-rows", "1", "--scenario"]).arg(&p).arg("--out").arg(&d));
    }
}

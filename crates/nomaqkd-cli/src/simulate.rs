//! `nomaqkd simulate`: seeded quadrature-level Monte Carlo (SPEC §10, §11.5).
//!
//! Thread policy lives here: rayon maps the library's pure per-chunk function
//! over (replicate, chunk) pairs, results are collected in index order and
//! reduced in chunk order, so the output is identical for any thread count
//! (RAYON_NUM_THREADS). A progress bar is drawn on stderr when it is a terminal.

use crate::args::SimulateArgs;
use crate::config::{bad, open_scenario, parse_f64, pick, resolve_common, Format, InputError};
use crate::output::{num, write_table};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nomaqkd::montecarlo::{
    chunk_count, chunk_len, reduce_in_order, summarize, ChunkSums, SicMode, Simulation, SimulationPlan,
    SimulationReport, QUANTITIES,
};
use nomaqkd::Settings;
use rayon::prelude::*;
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

fn parse_count(field: &str, s: &str, min: u64, max: f64) -> Result<u64, InputError> {
    count(field, parse_f64(field, s)?, s, min, max)
}

/// Largest `--symbols` (per replicate; chunks are evaluated in bounded windows, so any
/// count fits in memory).
pub const MAX_SYMBOLS: f64 = 1e15;
/// Largest `--replicates` and `--coverage-replicates`: the report holds every replicate's
/// estimates (about 200 bytes per user and replicate, more as JSON), so 1e6 still fits
/// here; 1e15 would abort on allocation.
pub const MAX_REPLICATES: f64 = 1e6;

/// `x` as a count in [`min`, `max`] (`shown`: how the input is named in the message).
pub fn count(field: &str, x: f64, shown: &str, min: u64, max: f64) -> Result<u64, InputError> {
    if !(x.is_finite() && x >= min as f64 && x <= max && x.fract() == 0.0) {
        return Err(bad(format!("{field}: {shown} is not allowed; expected an integer in [{min}, {max:e}]")));
    }
    Ok(x as u64)
}

/// Default `--symbols`, `--replicates` and `--coverage-replicates` (SPEC §10.6).
pub fn default_counts() -> (u64, u64, u64) {
    let p = SimulationPlan::default();
    (p.symbols, p.replicates, p.coverage_replicates)
}

/// Chunks evaluated per parallel batch in [`run_jobs`]: memory stays bounded (one
/// `ChunkSums` per chunk in flight) whatever the number of symbols.
const WINDOW_CHUNKS: usize = 4096;

/// A run of [`execute`] stopped through its `cancel` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

/// Map the (replicate id, symbols) jobs chunk by chunk in parallel, in windows of
/// [`WINDOW_CHUNKS`]; one reduced sum per job, in order. Each job's chunk sums are added
/// in chunk order from zero, as `reduce_in_order` does, so the result is the same for
/// any window and any thread count. Chunks not started when `cancel` is set are skipped,
/// and the run ends with [`Cancelled`].
fn run_jobs(
    sim: &Simulation,
    jobs: impl Iterator<Item = (u64, u64)>,
    bar: &ProgressBar,
    cancel: Option<&AtomicBool>,
) -> Result<Vec<ChunkSums>, Cancelled> {
    let cancelled = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    let mut tasks =
        jobs.enumerate().flat_map(|(j, (rep, n))| (0..chunk_count(n)).map(move |c| (j, rep, c, chunk_len(n, c))));
    let mut out: Vec<ChunkSums> = Vec::new();
    loop {
        let window: Vec<(usize, u64, u64, u64)> = tasks.by_ref().take(WINDOW_CHUNKS).collect();
        if window.is_empty() {
            return Ok(out);
        }
        let sums: Option<Vec<ChunkSums>> = window
            .par_iter()
            .map(|&(_, rep, c, len)| {
                if cancelled() {
                    return None;
                }
                let s = sim.chunk_sums(rep, c, len);
                bar.inc(len);
                Some(s)
            })
            .collect();
        let sums = sums.ok_or(Cancelled)?;
        for (&(j, ..), s) in window.iter().zip(&sums) {
            if j == out.len() {
                out.push(reduce_in_order(sim.users(), &[]));
            }
            out[j].add(s);
        }
    }
}

#[derive(Serialize)]
pub struct SimulateJson<'a> {
    convention: nomaqkd::Convention,
    access: nomaqkd::Access,
    order: Option<&'a [usize]>,
    seed: u64,
    symbols: u64,
    replicates: u64,
    sic: SicMode,
    #[serde(flatten)]
    report: &'a SimulationReport,
}

/// Run `simulate`, writing the result to `out`.
pub fn run(args: &SimulateArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut file = open_scenario(&args.common)?;
    let common = resolve_common(&args.common, &mut file, false)?;
    macro_rules! from_file {
        ($method:ident, $key:literal) => {
            match file.as_mut() {
                Some(f) => f.$method($key)?,
                None => None,
            }
        };
    }
    let sym_file = from_file!(take_f64, "symbols").map(|x| x.to_string());
    let rep_file = from_file!(take_f64, "replicates").map(|x| x.to_string());
    let sic_file = from_file!(take_str, "sic");
    let cov_file = from_file!(take_f64, "coverage_replicates").map(|x| x.to_string());
    if let Some(f) = file {
        f.finish()?;
    }
    let id = |_: &str, s: &str| Ok::<String, InputError>(s.to_string());
    let symbols = pick("--symbols", args.symbols.as_ref(), id, sym_file)?
        .map(|s| parse_count("symbols", &s, 1, MAX_SYMBOLS))
        .transpose()?
        .unwrap_or(1_000_000);
    let replicates = pick("--replicates", args.replicates.as_ref(), id, rep_file)?
        .map(|s| parse_count("replicates", &s, 1, MAX_REPLICATES))
        .transpose()?
        .unwrap_or(20);
    let coverage_replicates = pick("--coverage-replicates", args.coverage_replicates.as_ref(), id, cov_file)?
        .map(|s| parse_count("coverage_replicates", &s, 0, MAX_REPLICATES))
        .transpose()?
        .unwrap_or(2000);
    let sic = pick("--sic", args.sic.as_ref(), id, sic_file)?
        .map(|s| s.parse::<SicMode>())
        .transpose()
        .map_err(InputError::from)?
        .unwrap_or_default();
    let v = common
        .modulation_variance
        .clone()
        .ok_or_else(|| bad("--modulation-variance: missing; expected --modulation-variance or --power-dbm"))?;
    let order = common.order()?.expect("simulate never uses --order best");
    let sim = Simulation::new(&common.settings, &common.network, &order, &v, common.seed).map_err(InputError::from)?;
    let plan = SimulationPlan { symbols, replicates, sic, coverage_replicates, ..SimulationPlan::default() };

    let total = total_symbols(&plan);
    let bar = if std::io::stderr().is_terminal() && total >= 5_000_000 {
        let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {human_pos}/{human_len} symbols ({per_sec}, eta {eta})")
                .expect("valid template"),
        );
        b.set_message("simulate");
        b
    } else {
        ProgressBar::hidden()
    };
    // (No cancel flag here: Ctrl-C ends the process.)
    let report = execute(&sim, &plan, &bar, None).map_err(|Cancelled| anyhow::anyhow!("simulate: cancelled"))?;
    bar.finish_and_clear();
    crate::output::warnings_to_stderr(&report.warnings);
    match common.format {
        Format::Json => crate::output::json(out, &json_doc(&common.settings, &sim, common.seed, &report))?,
        Format::Csv => csv(out, &report)?,
        Format::Table => table(out, &report, &common)?,
    }
    Ok(())
}

/// Symbols a run of `plan` draws (main replicates, coverage replicates and the T_min run).
pub fn total_symbols(plan: &SimulationPlan) -> u64 {
    let coverage_runs = plan.coverage_replicates + u64::from(plan.coverage_replicates > 0);
    plan.replicates * plan.symbols + coverage_runs * plan.pe_symbols
}

/// Run `plan` on `sim` (in parallel on rayon's pool; the same report for any thread
/// count), counting symbols on `bar`. Once `cancel` is set (by another thread, e.g.
/// the Python bindings on KeyboardInterrupt), no new chunk starts and the run returns
/// [`Cancelled`] when the chunks in progress end.
pub fn execute(
    sim: &Simulation,
    plan: &SimulationPlan,
    bar: &ProgressBar,
    cancel: Option<&AtomicBool>,
) -> Result<SimulationReport, Cancelled> {
    let main = run_jobs(sim, (0..plan.replicates).map(|r| (r, plan.symbols)), bar, cancel)?;
    let cov_jobs = (0..plan.coverage_replicates).map(|j| (plan.coverage_replicate_id(j), plan.pe_symbols));
    let t_min_job = (plan.coverage_replicates > 0).then_some((plan.t_min_replicate_id(), plan.pe_symbols));
    let mut cov = run_jobs(sim, cov_jobs.chain(t_min_job), bar, cancel)?;
    let tmin = if plan.coverage_replicates > 0 { cov.pop() } else { None };
    Ok(summarize(sim, plan, &main, &cov, tmin.as_ref()))
}

/// The document of `simulate --format json` (SPEC §11.5).
pub fn json_doc<'a>(
    settings: &Settings,
    sim: &'a Simulation,
    seed: u64,
    report: &'a SimulationReport,
) -> SimulateJson<'a> {
    SimulateJson {
        convention: settings.convention(),
        access: settings.access(),
        order: (settings.access() == nomaqkd::Access::Noma).then_some(sim.order()),
        seed,
        symbols: report.plan.symbols,
        replicates: report.plan.replicates,
        sic: report.plan.sic,
        report,
    }
}

fn table(out: &mut dyn Write, r: &SimulationReport, c: &crate::config::Common) -> anyhow::Result<()> {
    writeln!(
        out,
        "simulate: convention {}  access {}  K = {}  {} replicates x {} symbols  SIC {}  seed {}",
        c.settings.convention(),
        c.settings.access(),
        r.users.len(),
        r.plan.replicates,
        r.plan.symbols,
        match r.plan.sic {
            SicMode::Genie => "genie",
            SicMode::Estimated => "estimated",
        },
        c.seed
    )?;
    let header: Vec<String> =
        ["user", "quantity", "target", "mean estimate", "s(q)", "mean z", "var z", "max |z|", "check"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    let mut rows = Vec::new();
    for u in &r.users {
        let Some(map) = &u.estimates else {
            rows.push(vec![
                u.user.to_string(),
                "(silent)".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ]);
            continue;
        };
        for name in QUANTITIES {
            let q = &map[name];
            let mean = q.estimates.iter().sum::<f64>() / q.estimates.len() as f64;
            let ok = q.z_bound_passed && q.mean_passed && q.variance_passed;
            rows.push(vec![
                u.user.to_string(),
                name.to_string(),
                num(q.target),
                num(mean),
                num(q.std_error),
                zfmt(q.mean_z, true),
                q.var_z.map_or("-".into(), |v| zfmt(v, false)),
                zfmt(q.max_abs_z, false),
                if ok { "pass".into() } else { "FAIL".into() },
            ]);
        }
    }
    write_table(out, &header, &rows)?;
    for u in r.users.iter().filter(|u| u.active) {
        let kmax = u.residual_excess_kurtosis.iter().fold(0.0f64, |a, x| a.max(x.abs()));
        writeln!(
            out,
            "user {}: residual |excess kurtosis| max {:.4} (bound {:.4}) {}",
            u.user,
            kmax,
            u.kurtosis_bound,
            if u.kurtosis_passed { "pass" } else { "FAIL" }
        )?;
        if let Some(cv) = &u.coverage {
            writeln!(
                out,
                "user {}: PE coverage over {} x {} symbols (eps_PE {}): T bound failed {}, sigma^2 bound failed {} (accept [{}, {}]) {}",
                u.user,
                cv.replicates,
                cv.pe_symbols,
                cv.eps_pe,
                cv.transmittance_failures,
                cv.noise_variance_failures,
                cv.accept.0,
                cv.accept.1,
                if cv.passed() { "pass" } else { "FAIL" }
            )?;
        }
        if let Some(t) = &u.t_min {
            writeln!(
                out,
                "user {}: T_min from one PE run {:.8} vs analytic {:.8} (5 s = {:.2e}) {}",
                u.user,
                t.estimated,
                t.analytic,
                5.0 * t.std_error,
                if t.passed { "pass" } else { "FAIL" }
            )?;
        }
    }
    writeln!(out, "all checks passed: {}", r.all_checks_passed)?;
    Ok(())
}

fn csv(out: &mut dyn Write, r: &SimulationReport) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "user",
        "quantity",
        "replicate",
        "estimate",
        "target",
        "std_error",
        "z_score",
        "interval_low",
        "interval_high",
    ])?;
    for u in &r.users {
        let Some(map) = &u.estimates else { continue };
        for name in QUANTITIES {
            let q = &map[name];
            for (i, (e, z)) in q.estimates.iter().zip(&q.z_scores).enumerate() {
                w.write_record([
                    u.user.to_string(),
                    name.to_string(),
                    i.to_string(),
                    e.to_string(),
                    q.target.to_string(),
                    q.std_error.to_string(),
                    z.to_string(),
                    q.intervals[i][0].to_string(),
                    q.intervals[i][1].to_string(),
                ])?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// A z-score statistic for the table: three decimals, scientific beyond 1e6 so that a
/// degenerate case (s(q) ≈ 0, e.g. T = 1e-300) stays one column wide; NaN/inf as is.
fn zfmt(x: f64, signed: bool) -> String {
    match (x.is_finite() && x.abs() >= 1e6, signed) {
        (true, true) => format!("{x:+.3e}"),
        (true, false) => format!("{x:.3e}"),
        (false, true) => format!("{x:+.3}"),
        (false, false) => format!("{x:.3}"),
    }
}

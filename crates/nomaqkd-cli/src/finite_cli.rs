//! `nomaqkd rate --finite-size`: validation of the finite-size flags (SPEC §9.2,
//! §11.5) and their table / JSON / CSV rendering. The physics is in
//! `nomaqkd::finite`.

use crate::args::FiniteArgs;
use crate::config::{bad, parse_f64, pick, Common, InputError, ScenarioFile};
use crate::output::{num, write_table};
use nomaqkd::finite::{
    check_settings, evaluate_finite, min_block_sizes, user_block_size, FiniteReport, FiniteSizeParams, FiniteUserRate,
    Security, WorstCase, MIN_BLOCK_LOG10_RESOLUTION,
};
use nomaqkd::{Access, Convention, Model, Network, RateReport, Settings, UserReport, Warning};
use serde::Serialize;
use std::io::{self, Write};

/// Validated finite-size options.
#[derive(Debug, Clone, Copy)]
pub struct FiniteOptions {
    /// SPEC §9.2 parameters.
    pub params: FiniteSizeParams,
    /// Whether `--min-block-size` was asked for.
    pub min_block_size: bool,
}

/// Read the finite-size flags and scenario keys; `None` when `--finite-size` is off.
/// Finite-size flags without `--finite-size` are an input error.
pub fn resolve(
    a: &FiniteArgs,
    file: &mut Option<ScenarioFile>,
    common: &Common,
) -> Result<Option<FiniteOptions>, InputError> {
    macro_rules! from_file {
        ($method:ident, $key:literal) => {
            match file.as_mut() {
                Some(f) => f.$method($key)?,
                None => None,
            }
        };
    }
    let on_file = from_file!(take_bool, "finite_size");
    let n_file = from_file!(take_f64, "block_size");
    let pe_file = from_file!(take_f64, "pe_fraction");
    let epe_file = from_file!(take_f64, "eps_pe");
    let es_file = from_file!(take_f64, "eps_smooth");
    let epa_file = from_file!(take_f64, "eps_pa");
    let r_file = from_file!(take_u64, "pe_samples_per_symbol");
    let wc_file = from_file!(take_str, "worst_case");
    let sec_file = from_file!(take_str, "security");
    let mbs_file = from_file!(take_bool, "min_block_size");

    let str_id = |_: &str, s: &str| Ok::<String, InputError>(s.to_string());
    let block_size = pick("--block-size", a.block_size.as_ref(), parse_f64, n_file)?;
    let pe_fraction = pick("--pe-fraction", a.pe_fraction.as_ref(), parse_f64, pe_file)?;
    let eps_pe = pick("--eps-pe", a.eps_pe.as_ref(), parse_f64, epe_file)?;
    let eps_smooth = pick("--eps-smooth", a.eps_smooth.as_ref(), parse_f64, es_file)?;
    let eps_pa = pick("--eps-pa", a.eps_pa.as_ref(), parse_f64, epa_file)?;
    let r = pick(
        "--pe-samples-per-symbol",
        a.pe_samples_per_symbol.as_ref(),
        |f, s| s.trim().parse::<u64>().map_err(|_| bad(format!("{f}: `{s}` is not allowed; expected 1 or 2"))),
        r_file,
    )?;
    let worst_case = pick("--worst-case", a.worst_case.as_ref(), str_id, wc_file)?;
    let security = pick("--security", a.security.as_ref(), str_id, sec_file)?;
    let values = FiniteValues {
        finite_size: a.finite_size || on_file.unwrap_or(false),
        block_size,
        pe_fraction,
        eps_pe,
        eps_smooth,
        eps_pa,
        pe_samples_per_symbol: r,
        worst_case,
        security,
        min_block_size: a.min_block_size || mbs_file.unwrap_or(false),
    };
    options_from(values, &common.settings)
}

/// The finite-size settings as given (flags, scenario keys, or the Python keyword
/// arguments), before validation; `None`: not given, the SPEC §9.2 default.
#[derive(Debug, Clone, Default)]
pub struct FiniteValues {
    /// `--finite-size`.
    pub finite_size: bool,
    /// `--block-size` N.
    pub block_size: Option<f64>,
    /// `--pe-fraction`.
    pub pe_fraction: Option<f64>,
    /// `--eps-pe`.
    pub eps_pe: Option<f64>,
    /// `--eps-smooth`.
    pub eps_smooth: Option<f64>,
    /// `--eps-pa`.
    pub eps_pa: Option<f64>,
    /// `--pe-samples-per-symbol` (1 or 2).
    pub pe_samples_per_symbol: Option<u64>,
    /// `--worst-case` (`box`, `lgg10`).
    pub worst_case: Option<String>,
    /// `--security` (`collective`, `composable`).
    pub security: Option<String>,
    /// `--min-block-size`.
    pub min_block_size: bool,
}

/// Validate finite-size settings for `settings` (SPEC §9.1–§9.2): `None` when
/// `finite_size` is off; other values given without it are an input error.
pub fn options_from(values: FiniteValues, settings: &Settings) -> Result<Option<FiniteOptions>, InputError> {
    let FiniteValues {
        finite_size,
        block_size,
        pe_fraction,
        eps_pe,
        eps_smooth,
        eps_pa,
        pe_samples_per_symbol: r,
        worst_case,
        security,
        min_block_size,
    } = values;
    if !finite_size {
        let given = [
            ("block_size", block_size.is_some()),
            ("pe_fraction", pe_fraction.is_some()),
            ("eps_pe", eps_pe.is_some()),
            ("eps_smooth", eps_smooth.is_some()),
            ("eps_pa", eps_pa.is_some()),
            ("pe_samples_per_symbol", r.is_some()),
            ("worst_case", worst_case.is_some()),
            ("security", security.is_some()),
            ("min_block_size", min_block_size),
        ];
        if let Some((name, _)) = given.iter().find(|(_, g)| *g) {
            return Err(bad(format!(
                "{name}: given without --finite-size; expected --finite-size (or finite_size = true) to enable finite-size rates"
            )));
        }
        return Ok(None);
    }
    if settings.convention() == Convention::Paper || settings.model() == Model::Asymptotic {
        check_settings(settings)?;
    }
    let mut b = FiniteSizeParams::builder();
    if let Some(x) = block_size {
        b = b.block_size(x);
    }
    if let Some(x) = pe_fraction {
        b = b.pe_fraction(x);
    }
    if let Some(x) = eps_pe {
        b = b.eps_pe(x);
    }
    if let Some(x) = eps_smooth {
        b = b.eps_smooth(x);
    }
    if let Some(x) = eps_pa {
        b = b.eps_pa(x);
    }
    if let Some(x) = r {
        if !(x == 1 || x == 2) {
            return Err(bad(format!("pe_samples_per_symbol: {x} is not allowed; expected 1 or 2")));
        }
        b = b.pe_samples_per_symbol(x as u32);
    }
    if let Some(w) = worst_case {
        b = b.worst_case(w.parse::<WorstCase>()?);
    }
    if let Some(s) = security {
        b = b.security(s.parse::<Security>()?);
    }
    Ok(Some(FiniteOptions { params: b.build()?, min_block_size }))
}

/// Finite-size results of one `rate` run.
pub struct FiniteRun {
    /// The options used.
    pub options: FiniteOptions,
    /// Per-user figures and sums.
    pub report: FiniteReport,
    /// `--min-block-size`: per user, and for the clipped sum.
    pub min_block: Option<(Vec<Option<f64>>, Option<f64>)>,
}

/// Compute the finite-size figures for the powers `v`.
pub fn compute(
    settings: &Settings,
    network: &Network,
    order: &[usize],
    v: &[f64],
    options: FiniteOptions,
) -> Result<FiniteRun, InputError> {
    let mut report = evaluate_finite(settings, &options.params, network, order, v)?;
    let min_block = if options.min_block_size {
        Some(min_block_sizes(settings, &options.params, network, order, v)?)
    } else {
        None
    };
    if let Some((per_user, _)) = &min_block {
        let p = &options.params;
        let k = network.len();
        for (i, n) in per_user.iter().enumerate() {
            if let Some(n) = n {
                let ms = f64::from(p.pe_samples_per_symbol()) * p.pe_fraction() * user_block_size(settings, k, *n);
                if ms < 1e6 {
                    report.warnings.push(Warning::Other(format!(
                        "user {i}: min_block_size {n:.4e} has m_s = {ms:.3e} < 1e6 PE samples, where the first-order sigma^2_max bound is optimistic"
                    )));
                }
            }
        }
    }
    Ok(FiniteRun { options, report, min_block })
}

/// The finite-size parameters echoed in the JSON.
#[derive(Serialize)]
struct FiniteSettingsJson {
    block_size: f64,
    pe_fraction: f64,
    eps_pe: f64,
    eps_smooth: f64,
    eps_pa: f64,
    pe_samples_per_symbol: u32,
    worst_case: WorstCase,
    security: Security,
    z: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    composable_note: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_block_size_search: Option<String>,
}

#[derive(Serialize)]
struct FiniteUserJson<'a> {
    #[serde(flatten)]
    base: &'a UserReport,
    #[serde(flatten)]
    finite: &'a FiniteUserRate,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_block_size: Option<Option<f64>>,
}

#[derive(Serialize)]
struct FiniteRateJson<'a> {
    convention: Convention,
    model: Model,
    access: Access,
    order: &'a Option<Vec<usize>>,
    users: Vec<FiniteUserJson<'a>>,
    sum_secret_key_rate: f64,
    sum_secret_key_rate_clipped: f64,
    joint_channel_physical: bool,
    warnings: &'a [Warning],
    finite_size: FiniteSettingsJson,
    sum_finite_secret_key_rate: f64,
    sum_finite_secret_key_rate_clipped: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    sum_composable_secret_key_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sum_composable_secret_key_rate_clipped: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_block_size_sum: Option<Option<f64>>,
}

/// The composable label the output carries (SPEC §9.6).
pub const COMPOSABLE_NOTE: &str = "composable rate: heterodyne adaptation of Mountogiannakis et al. PRResearch 4, 013099 (2022) Eqs. (92)-(93) by nomaqkd, not a published proof";

/// All warnings: the asymptotic report's, then the finite-size ones.
pub fn all_warnings(r: &RateReport, f: &FiniteRun) -> Vec<Warning> {
    let mut w = r.warnings.clone();
    w.extend(f.report.warnings.iter().cloned());
    w
}

/// JSON of `rate --finite-size`: §11.3 unchanged plus §9.5/§11.5 fields.
pub fn json(out: &mut dyn Write, r: &RateReport, f: &FiniteRun, warnings: &[Warning]) -> anyhow::Result<()> {
    let p = &f.options.params;
    let composable = p.security() == Security::Composable;
    let users = r
        .users
        .iter()
        .zip(&f.report.users)
        .enumerate()
        .map(|(i, (base, finite))| FiniteUserJson {
            base,
            finite,
            min_block_size: f.min_block.as_ref().map(|(u, _)| u[i]),
        })
        .collect();
    let doc = FiniteRateJson {
        convention: r.convention,
        model: r.model,
        access: r.access,
        order: &r.order,
        users,
        sum_secret_key_rate: r.sum_secret_key_rate,
        sum_secret_key_rate_clipped: r.sum_secret_key_rate_clipped,
        joint_channel_physical: r.joint_channel_physical,
        warnings,
        finite_size: FiniteSettingsJson {
            block_size: p.block_size(),
            pe_fraction: p.pe_fraction(),
            eps_pe: p.eps_pe(),
            eps_smooth: p.eps_smooth(),
            eps_pa: p.eps_pa(),
            pe_samples_per_symbol: p.pe_samples_per_symbol(),
            worst_case: p.worst_case(),
            security: p.security(),
            z: p.z(),
            composable_note: composable.then_some(COMPOSABLE_NOTE),
            min_block_size_search: f.min_block.as_ref().map(|_| search_description()),
        },
        sum_finite_secret_key_rate: f.report.sum_finite_secret_key_rate,
        sum_finite_secret_key_rate_clipped: f.report.sum_finite_secret_key_rate_clipped,
        sum_composable_secret_key_rate: f.report.sum_composable.map(|c| c.0),
        sum_composable_secret_key_rate_clipped: f.report.sum_composable.map(|c| c.1),
        min_block_size_sum: f.min_block.as_ref().map(|(_, s)| *s),
    };
    crate::output::json(out, &doc)
}

/// How `--min-block-size` searches (echoed in the JSON as `min_block_size_search`).
pub fn search_description() -> String {
    format!(
        "smallest N in [1e3, 1e15] with a positive rate of the chosen security: both ends tested, then bisection on log10 N to {:e}; the returned N is the upper end of the final bracket",
        MIN_BLOCK_LOG10_RESOLUTION
    )
}

fn opt(x: Option<f64>) -> String {
    x.map_or("-".to_string(), num)
}

/// Table section: the finite-size rate beside the asymptotic one.
pub fn table(out: &mut dyn Write, r: &RateReport, f: &FiniteRun) -> io::Result<()> {
    let p = &f.options.params;
    let composable = p.security() == Security::Composable;
    writeln!(out)?;
    writeln!(
        out,
        "finite size: N = {:e}, p_PE = {}, eps_PE = {:e}, eps_smooth = {:e}, eps_PA = {:e}, r = {}, worst case {}, security {}",
        p.block_size(),
        p.pe_fraction(),
        p.eps_pe(),
        p.eps_smooth(),
        p.eps_pa(),
        p.pe_samples_per_symbol(),
        p.worst_case(),
        p.security()
    )?;
    let mut header: Vec<String> = ["user", "SKR [bit/sym]", "K_fin [bit/sym]"].iter().map(|s| s.to_string()).collect();
    if composable {
        header.push("K_comp [bit/sym]".into());
    }
    for h in ["S_PE [bit/sym]", "worst", "T_min", "T_max", "xi_max [SNU]", "Delta(n)", "eps_total"] {
        header.push(h.into());
    }
    if f.min_block.is_some() {
        header.push("min N".into());
    }
    header.push("status".into());
    let rows: Vec<Vec<String>> = r
        .users
        .iter()
        .zip(&f.report.users)
        .enumerate()
        .map(|(i, (u, fu))| {
            let status = if u.rate.silent {
                "silent".to_string()
            } else if fu.estimation_inconclusive {
                "INCONCLUSIVE".to_string()
            } else if !fu.finite_physical {
                "UNPHYSICAL".to_string()
            } else {
                "ok".to_string()
            };
            let rate_cell = |x: Option<Option<f64>>| match x {
                _ if fu.estimation_inconclusive => "inconclusive".to_string(),
                Some(v) => opt(v),
                None => "-".into(),
            };
            let mut row =
                vec![u.user.to_string(), num(u.rate.secret_key_rate), rate_cell(Some(fu.finite_secret_key_rate))];
            if composable {
                row.push(rate_cell(fu.composable_secret_key_rate));
            }
            row.push(opt(fu.finite_holevo));
            row.push(fu.pe_worst_corner.map_or("-".into(), |c| {
                serde_json::to_value(c).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
            }));
            row.push(opt(fu.pe_transmittance_min));
            row.push(opt(fu.pe_transmittance_max));
            row.push(opt(fu.pe_excess_noise_max));
            row.push(opt(fu.finite_size_penalty));
            row.push(fu.eps_total.map_or("-".into(), |e| format!("{e:.3e}")));
            if let Some((m, _)) = &f.min_block {
                row.push(m[i].map_or("none".into(), |n| format!("{n:.4e}")));
            }
            row.push(status);
            row
        })
        .collect();
    write_table(out, &header, &rows)?;
    writeln!(
        out,
        "sum K_fin         {} bit/symbol (inconclusive users count 0)",
        num(f.report.sum_finite_secret_key_rate)
    )?;
    writeln!(out, "sum K_fin clipped {} bit/symbol", num(f.report.sum_finite_secret_key_rate_clipped))?;
    if let Some((raw, clip)) = f.report.sum_composable {
        writeln!(out, "sum K_comp        {} bit/symbol (clipped {})", num(raw), num(clip))?;
        writeln!(out, "note: {COMPOSABLE_NOTE}")?;
    }
    if let Some((_, s)) = &f.min_block {
        writeln!(
            out,
            "min block size for a positive clipped sum: {}",
            s.map_or("none in [1e3, 1e15]".to_string(), |n| format!("{n:.4e}"))
        )?;
    }
    Ok(())
}

/// CSV with finite-size columns appended to the §11.3 ones.
pub fn csv(out: &mut dyn Write, r: &RateReport, f: &FiniteRun) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let composable = f.options.params.security() == Security::Composable;
    let mut header: Vec<&str> = vec![
        "user",
        "transmittance",
        "modulation_variance",
        "secret_key_rate",
        "finite_secret_key_rate",
        "finite_holevo",
        "pe_worst_corner",
        "pe_transmittance_min",
        "pe_transmittance_max",
        "pe_excess_noise_max",
        "pe_noise_variance_max",
        "finite_size_penalty",
        "estimation_inconclusive",
        "eps_total",
    ];
    if composable {
        header.push("composable_secret_key_rate");
    }
    if f.min_block.is_some() {
        header.push("min_block_size");
    }
    w.write_record(&header)?;
    let s = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
    for (i, (u, fu)) in r.users.iter().zip(&f.report.users).enumerate() {
        let mut rec = vec![
            u.user.to_string(),
            u.transmittance.to_string(),
            u.modulation_variance.to_string(),
            u.rate.secret_key_rate.to_string(),
            s(fu.finite_secret_key_rate),
            s(fu.finite_holevo),
            fu.pe_worst_corner
                .and_then(|c| serde_json::to_value(c).ok())
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            s(fu.pe_transmittance_min),
            s(fu.pe_transmittance_max),
            s(fu.pe_excess_noise_max),
            s(fu.pe_noise_variance_max),
            s(fu.finite_size_penalty),
            fu.estimation_inconclusive.to_string(),
            s(fu.eps_total),
        ];
        if composable {
            rec.push(s(fu.composable_secret_key_rate.flatten()));
        }
        if let Some((m, _)) = &f.min_block {
            rec.push(s(m[i]));
        }
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

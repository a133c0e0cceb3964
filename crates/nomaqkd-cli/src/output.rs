//! Rendering of results: aligned tables for people, JSON and CSV for tools
//! (SPEC §11.3). Nothing here computes physics.

use nomaqkd::{RateReport, UserReport};
use serde::Serialize;
use std::io::{self, Write};

/// A number in a table cell: fixed for ordinary magnitudes, exponent otherwise.
pub fn num(x: f64) -> String {
    let a = x.abs();
    if x == 0.0 {
        "0".to_string()
    } else if !(1e-4..1e6).contains(&a) {
        format!("{x:.4e}")
    } else {
        format!("{x:.6}")
    }
}

/// Left-pad columns to equal width and write them (first column left-aligned).
pub fn write_table(out: &mut dyn Write, header: &[String], rows: &[Vec<String>]) -> io::Result<()> {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        cells
            .iter()
            .zip(&width)
            .enumerate()
            .map(|(i, (c, w))| {
                let pad = w - c.chars().count();
                if i == 0 {
                    format!("{c}{}", " ".repeat(pad))
                } else {
                    format!("{}{c}", " ".repeat(pad))
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    writeln!(out, "{}", line(header))?;
    writeln!(out, "{}", "-".repeat(width.iter().sum::<usize>() + 2 * (width.len() - 1)))?;
    for r in rows {
        writeln!(out, "{}", line(r))?;
    }
    Ok(())
}

/// Status words of a user row.
pub fn flags(u: &UserReport) -> String {
    let mut f = Vec::new();
    if u.rate.silent {
        f.push("silent");
    }
    if !u.rate.physical {
        f.push("UNPHYSICAL");
    }
    if u.rate.exceeds_plob {
        f.push(">PLOB");
    }
    if u.rate.approximation_valid == Some(false) {
        f.push("approx-invalid");
    }
    if f.is_empty() {
        "ok".into()
    } else {
        f.join(",")
    }
}

/// The per-user table of a rate report.
pub fn user_table(out: &mut dyn Write, r: &RateReport) -> io::Result<()> {
    let header: Vec<String> = [
        "user",
        "T",
        "V_A [SNU]",
        "SIC pos",
        "slot",
        "V_I [SNU]",
        "X [SNU]",
        "I [bit/sym]",
        "chi [bit/sym]",
        "SKR [bit/sym]",
        "PLOB [bit/use]",
        "status",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows: Vec<Vec<String>> = r
        .users
        .iter()
        .map(|u| {
            vec![
                u.user.to_string(),
                num(u.transmittance),
                num(u.modulation_variance),
                u.decode_position.map_or("-".into(), |p| p.to_string()),
                num(u.slot_fraction),
                num(u.interference),
                num(u.other_excess_noise),
                num(u.rate.mutual_information),
                num(u.rate.holevo),
                num(u.rate.secret_key_rate),
                num(u.rate.plob_bound),
                flags(u),
            ]
        })
        .collect();
    write_table(out, &header, &rows)
}

/// Footer lines: sums, joint-channel flag and a visible warning count.
pub fn sums_and_warnings(out: &mut dyn Write, r: &RateReport) -> io::Result<()> {
    writeln!(out, "sum SKR          {} bit/symbol (eq. (21), negative users included)", num(r.sum_secret_key_rate))?;
    writeln!(
        out,
        "sum SKR clipped  {} bit/symbol (users with negative rate distil no key)",
        num(r.sum_secret_key_rate_clipped)
    )?;
    let unphysical = r.users.iter().filter(|u| !u.rate.physical).count();
    let above = r.users.iter().filter(|u| u.rate.exceeds_plob).count();
    if unphysical > 0 || above > 0 || !r.joint_channel_physical {
        writeln!(
            out,
            "WARNING: {unphysical} user(s) unphysical, {above} above the PLOB bound{}; these rates are not achievable key rates (details on stderr)",
            if r.joint_channel_physical { "" } else { ", sum of T > 1" }
        )?;
    }
    Ok(())
}

/// Full table output of `rate`.
pub fn rate_table(out: &mut dyn Write, r: &RateReport) -> io::Result<()> {
    let order = r.order.as_ref().map_or("-".to_string(), |o| format!("{o:?}"));
    writeln!(
        out,
        "convention {}  model {}  access {}  SIC order {}  K = {}",
        r.convention,
        r.model,
        r.access,
        order,
        r.users.len()
    )?;
    user_table(out, r)?;
    sums_and_warnings(out, r)
}

/// One CSV row per user (same names as the JSON fields).
#[derive(Serialize)]
pub struct CsvUserRow {
    convention: &'static str,
    model: &'static str,
    access: &'static str,
    user: usize,
    transmittance: f64,
    modulation_variance: f64,
    decode_position: Option<usize>,
    slot_fraction: f64,
    interference: f64,
    other_excess_noise: f64,
    mutual_information: f64,
    holevo: f64,
    secret_key_rate: f64,
    plob_bound: f64,
    physical: bool,
    exceeds_plob: bool,
    silent: bool,
    approximation_valid: Option<bool>,
}

/// CSV output of `rate`.
pub fn rate_csv(out: &mut dyn Write, r: &RateReport) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    for u in &r.users {
        w.serialize(CsvUserRow {
            convention: r.convention.as_str(),
            model: r.model.as_str(),
            access: r.access.as_str(),
            user: u.user,
            transmittance: u.transmittance,
            modulation_variance: u.modulation_variance,
            decode_position: u.decode_position,
            slot_fraction: u.slot_fraction,
            interference: u.interference,
            other_excess_noise: u.other_excess_noise,
            mutual_information: u.rate.mutual_information,
            holevo: u.rate.holevo,
            secret_key_rate: u.rate.secret_key_rate,
            plob_bound: u.rate.plob_bound,
            physical: u.rate.physical,
            exceeds_plob: u.rate.exceeds_plob,
            silent: u.rate.silent,
            approximation_valid: u.rate.approximation_valid,
        })?;
    }
    w.flush()?;
    Ok(())
}

/// Pretty JSON followed by a newline.
pub fn json(out: &mut dyn Write, value: &impl Serialize) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Warnings to stderr, one line each (SPEC §11.2).
pub fn warnings_to_stderr<W: std::fmt::Display>(warnings: &[W]) {
    let mut err = io::stderr().lock();
    for w in warnings {
        let _ = writeln!(err, "warning: {w}");
    }
}

//! `nomaqkd rate`: evaluate given powers (SPEC §11.3), optionally with
//! finite-size rates (SPEC §9, §11.5).

use crate::args::RateArgs;
use crate::config::{bad, open_scenario, resolve_common, Format};
use crate::{finite_cli, output};
use std::io::Write;

/// Run `rate`, writing the result to `out`.
pub fn run(args: &RateArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut file = open_scenario(&args.common)?;
    let common = resolve_common(&args.common, &mut file, false)?;
    let finite = finite_cli::resolve(&args.finite, &mut file, &common)?;
    if let Some(f) = file {
        f.finish()?;
    }
    let v = common
        .modulation_variance
        .clone()
        .ok_or_else(|| bad("--modulation-variance: missing; expected --modulation-variance or --power-dbm"))?;
    let order = common.order()?.expect("rate never uses --order best");
    let report =
        nomaqkd::evaluate(&common.settings, &common.network, &order, &v).map_err(crate::config::InputError::from)?;
    if let Some(options) = finite {
        let run = finite_cli::compute(&common.settings, &common.network, &order, &v, options)?;
        let warnings = finite_cli::all_warnings(&report, &run);
        output::warnings_to_stderr(&warnings);
        match common.format {
            Format::Json => finite_cli::json(out, &report, &run, &warnings)?,
            Format::Csv => finite_cli::csv(out, &report, &run)?,
            Format::Table => {
                output::rate_table(out, &report)?;
                finite_cli::table(out, &report, &run)?;
            }
        }
        return Ok(());
    }
    output::warnings_to_stderr(&report.warnings);
    match common.format {
        Format::Json => output::json(out, &report)?,
        Format::Csv => output::rate_csv(out, &report)?,
        Format::Table => output::rate_table(out, &report)?,
    }
    Ok(())
}

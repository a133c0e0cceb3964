//! `nomaqkd rate`: evaluate given powers (SPEC §11.3).

use crate::args::RateArgs;
use crate::config::{bad, open_scenario, resolve_common, Format};
use crate::output;
use std::io::Write;

/// Run `rate`, writing the result to `out`.
pub fn run(args: &RateArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut file = open_scenario(&args.common)?;
    let common = resolve_common(&args.common, &mut file, false)?;
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
    output::warnings_to_stderr(&report.warnings);
    match common.format {
        Format::Json => output::json(out, &report)?,
        Format::Csv => output::rate_csv(out, &report)?,
        Format::Table => output::rate_table(out, &report)?,
    }
    Ok(())
}

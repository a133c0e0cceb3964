//! `nomaqkd reproduce`: every figure, its CSV and a claims report.

use crate::args::ReproduceArgs;
use std::io::Write;

/// `nomaqkd reproduce`.
pub fn cli(_args: &ReproduceArgs, _out: &mut dyn Write) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}

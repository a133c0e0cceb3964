//! Library face of the command line: the modules that the Python package
//! (`crates/nomaqkd-py`, `nomaqkd.optimize` / `nomaqkd.sweep`) reuses so that its
//! scenario parsing, validation messages and output fields are the CLI's own.
//! The binary (`src/main.rs`) imports these modules from here.

pub mod args;
pub mod config;
pub mod finite_cli;
pub mod optimize;
pub mod output;
pub mod plot;
pub mod simulate;
pub mod sweep;

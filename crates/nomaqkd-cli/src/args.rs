//! Raw command-line flags (clap). Values stay strings here; `config.rs`
//! parses and validates them together with the scenario file (STYLE 2).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// nomaqkd: secret key rates and power allocation for multi-user NOMA CV-QKD.
#[derive(Debug, Parser)]
#[command(name = "nomaqkd", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once; boxing would only add noise
pub enum Command {
    /// Evaluate per-user and sum secret key rates for given powers (SPEC §2–§6).
    Rate(RateArgs),
    /// Quadrature-level Monte Carlo of the uplink, checked against the model (SPEC §10).
    Simulate(SimulateArgs),
    /// Sweep a grid of scenarios with turbulence Monte Carlo; CSV + JSON metadata (+ figure).
    Sweep(SweepArgs),
    /// Regenerate the equivalents of the paper's Figs. 2-8 and a claims report.
    Reproduce(ReproduceArgs),
    /// Optimize the users' powers, problem P1 (SPEC §7, §11.4).
    Optimize(OptimizeArgs),
}

/// Flags of `nomaqkd sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Sweep scenario TOML: base parameters, [[axes]], policies, conventions, realizations.
    #[arg(long, value_name = "FILE")]
    pub scenario: PathBuf,
    /// Output directory (created): <name>.csv, <name>.json and, with a [plot] table, <name>.png/.svg.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Fewer realizations and grid points (the scenario's quick_* values).
    #[arg(long)]
    pub quick: bool,
    /// Continue an interrupted run: keep finished rows, compute the rest.
    #[arg(long)]
    pub resume: bool,
    /// Testing: stop once at least N rows are written (as if interrupted).
    #[arg(long, value_name = "N", hide = true)]
    pub stop_after_rows: Option<String>,
}

/// Flags of `nomaqkd reproduce`.
#[derive(Debug, Args)]
pub struct ReproduceArgs {
    /// Output directory (created).
    #[arg(long, value_name = "DIR", default_value = "reproduce-out")]
    pub out: PathBuf,
    /// Fewer realizations and grid points (< 60 s on 2 cores).
    #[arg(long)]
    pub quick: bool,
}

/// Flags of `nomaqkd optimize` (SPEC §11.1).
#[derive(Debug, Args)]
pub struct OptimizeArgs {
    /// Shared scenario flags.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Base-station power limit V_max^BS in dBm (converted like --power-dbm); or --bs-max-variance.
    #[arg(long, value_name = "DBM", allow_hyphen_values = true)]
    pub bs_max_dbm: Option<String>,
    /// Base-station power limit V_max^BS in SNU; budget B = V_max^BS - sum (1-T_i) xi_i - delta^2 (SPEC §5).
    #[arg(long, value_name = "SNU", allow_hyphen_values = true)]
    pub bs_max_variance: Option<String>,
    /// Per-user cap on V_A (SNU), list or one value [default: none].
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    pub user_max_variance: Option<String>,
    /// Policy: sca, global, qoma, qoma-opt, oma-best, uqpa or cih [default: global].
    #[arg(long, value_name = "NAME")]
    pub policy: Option<String>,
    /// Objective: clipped or raw [default: clipped].
    #[arg(long, value_name = "NAME")]
    pub objective: Option<String>,
    /// Number of starts of `global` [default: 32].
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub starts: Option<String>,
    /// SCA stops when an iteration gains <= tolerance * max(1, |objective|) [default: 1e-9].
    #[arg(long, value_name = "X", allow_hyphen_values = true)]
    pub tolerance: Option<String>,
    /// SCA iteration cap T_max [default: 100].
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub max_iterations: Option<String>,
    /// Run every policy and print them side by side with gains over qoma and oma-best.
    #[arg(long)]
    pub compare: bool,
}

/// Flags of `nomaqkd rate`.
#[derive(Debug, Args)]
pub struct RateArgs {
    /// Shared scenario flags.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Finite-size flags (SPEC §9, §11.5).
    #[command(flatten)]
    pub finite: FiniteArgs,
}

/// Flags shared by `rate`, `optimize` and `simulate` (SPEC §11.1).
/// Lists are comma-separated; numbers accept exponents and a leading minus.
#[derive(Debug, Args, Default, Clone)]
pub struct CommonArgs {
    /// Scenario TOML file; keys are the long flag names with '-' -> '_'. Flags override it.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Channel transmittance per user, each in (0,1); defines K.
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    pub transmittance: Option<String>,
    /// Link distance per user in metres (> 0); transmittance from SPEC §6.
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    pub distance_m: Option<String>,
    /// Modulation variance V_A per user (SNU, >= 0; 0 = silent), or one value for all.
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    pub modulation_variance: Option<String>,
    /// Transmit power per user in dBm (V_A = 2P/(E_ph R_s)), or one value for all.
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    pub power_dbm: Option<String>,
    /// Excess noise xi per user (SNU, input-referred, >= 0) or one value [default: 0.1].
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    pub excess_noise: Option<String>,
    /// Receiver electronic noise delta^2 (SNU, >= 0) [default: 0.0256].
    #[arg(long, value_name = "SNU", allow_hyphen_values = true)]
    pub detector_noise: Option<String>,
    /// Detector efficiency tau_d in (0,1] [default: 0.6].
    #[arg(long, value_name = "X", allow_hyphen_values = true)]
    pub detector_efficiency: Option<String>,
    /// Reconciliation efficiency eta in (0,1] [default: 0.92].
    #[arg(long, value_name = "X", allow_hyphen_values = true)]
    pub reconciliation_efficiency: Option<String>,
    /// Security convention: standard, trusted or paper [default: standard].
    #[arg(long, value_name = "NAME")]
    pub convention: Option<String>,
    /// Holevo model: exact or asymptotic [default: exact].
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
    /// Paper convention only: eq. (6) interference as printed (sum of V_a,i without T_i).
    #[arg(long)]
    pub literal_eq6: bool,
    /// Access scheme: noma, oma or cih [default: noma].
    #[arg(long, value_name = "NAME")]
    pub access: Option<String>,
    /// SIC decoding order: gain (descending T) or a permutation of 0-based indices [default: gain].
    #[arg(long, value_name = "ORDER", allow_hyphen_values = true)]
    pub order: Option<String>,
    /// OMA: do not divide rates by K (report per-slot rates).
    #[arg(long)]
    pub no_time_sharing: bool,
    /// Transmitter aperture diameter D_T in metres [default: 0.1].
    #[arg(long, value_name = "M", allow_hyphen_values = true)]
    pub tx_aperture_m: Option<String>,
    /// Receiver aperture diameter D_R in metres [default: 1.0].
    #[arg(long, value_name = "M", allow_hyphen_values = true)]
    pub rx_aperture_m: Option<String>,
    /// Wavelength in metres [default: 1.55e-6].
    #[arg(long, value_name = "M", allow_hyphen_values = true)]
    pub wavelength_m: Option<String>,
    /// Beam divergence in radians [default: 3e-3].
    #[arg(long, value_name = "RAD", allow_hyphen_values = true)]
    pub divergence_rad: Option<String>,
    /// Atmospheric attenuation in dB/km [default: 3].
    #[arg(long, value_name = "DB", allow_hyphen_values = true)]
    pub attenuation_db_per_km: Option<String>,
    /// Log-normal turbulence sigma_x (>= 0; 0 = no fading, else one seeded draw per user) [default: 0].
    #[arg(long, value_name = "X", allow_hyphen_values = true)]
    pub sigma_x: Option<String>,
    /// Symbol rate in baud (> 0) [default: 1e7].
    #[arg(long, value_name = "BAUD", allow_hyphen_values = true)]
    pub symbol_rate_baud: Option<String>,
    /// Seed of every random draw (u64) [default: 1].
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub seed: Option<String>,
    /// Output format: table, json or csv [default: table].
    #[arg(long, value_name = "FMT")]
    pub format: Option<String>,
}

/// Finite-size flags of `nomaqkd rate` (SPEC §9.2, §11.5). Values stay strings;
/// `finite_cli.rs` validates them with the scenario file.
#[derive(Debug, Args, Default, Clone)]
pub struct FiniteArgs {
    /// Report finite-size key rates (SPEC §9; standard/trusted, exact model).
    #[arg(long)]
    pub finite_size: bool,
    /// Block size N: BS symbols per block (> 0) [default: 1e9].
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub block_size: Option<String>,
    /// Fraction of symbols disclosed for parameter estimation, in (0,1) [default: 0.5].
    #[arg(long, value_name = "X", allow_hyphen_values = true)]
    pub pe_fraction: Option<String>,
    /// Parameter-estimation failure probability per user, in (0,1) [default: 1e-10].
    #[arg(long, value_name = "EPS", allow_hyphen_values = true)]
    pub eps_pe: Option<String>,
    /// Smoothing parameter, in (0,1) [default: 1e-10].
    #[arg(long, value_name = "EPS", allow_hyphen_values = true)]
    pub eps_smooth: Option<String>,
    /// Privacy-amplification failure probability, in (0,1) [default: 1e-10].
    #[arg(long, value_name = "EPS", allow_hyphen_values = true)]
    pub eps_pa: Option<String>,
    /// Real PE samples per symbol: 2 (q and p pooled) or 1 (LGG10 homodyne count) [default: 2].
    #[arg(long, value_name = "R", allow_hyphen_values = true)]
    pub pe_samples_per_symbol: Option<String>,
    /// Worst case of Eve's information: box (max over [T_min, T_max]) or lgg10 (T_min corner) [default: box].
    #[arg(long, value_name = "NAME")]
    pub worst_case: Option<String>,
    /// collective (LGG10) or composable (also our heterodyne adaptation of MPBP22) [default: collective].
    #[arg(long, value_name = "NAME")]
    pub security: Option<String>,
    /// Also report the smallest block size N in [1e3, 1e15] with a positive rate.
    #[arg(long)]
    pub min_block_size: bool,
}

/// Flags of `nomaqkd simulate` (SPEC §10, §11.5).
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Shared scenario flags (needs --modulation-variance or --power-dbm).
    #[command(flatten)]
    pub common: CommonArgs,
    /// Symbols per replicate N_MC (> 0) [default: 1e6].
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub symbols: Option<String>,
    /// Replicates R (>= 1) [default: 20].
    #[arg(long, value_name = "R", allow_hyphen_values = true)]
    pub replicates: Option<String>,
    /// SIC: genie (subtract the true sqrt(T_j) x_j) or estimated (subtract t_hat_j x_j) [default: genie].
    #[arg(long, value_name = "MODE")]
    pub sic: Option<String>,
    /// Replicates of the PE coverage check, m = 1e4 symbols each (0 skips it and the T_min check) [default: 2000].
    #[arg(long, value_name = "R", allow_hyphen_values = true)]
    pub coverage_replicates: Option<String>,
}

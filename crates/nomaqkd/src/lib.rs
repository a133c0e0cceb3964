//! # nomaqkd
//!
//! Secret key rates for K users of uplink NOMA continuous-variable QKD
//! sharing one successive-interference-cancellation heterodyne receiver
//! (Dong et al., arXiv:2512.06748, as corrected by the project's SPEC).
//!
//! The library is pure: numbers in, numbers out. It computes
//! SKR_k = η·I_k − χ_k per user, under three conventions:
//!
//! | convention | meaning |
//! |---|---|
//! | `standard` (default) | GG02 heterodyne, collective attack, untrusted receiver noise (SPEC §4.1) |
//! | `trusted` | realistic receiver, detector efficiency and noise trusted (SPEC §4.2) |
//! | `paper` | the paper's equations with typos fixed; not physical (SPEC §4.3) |
//!
//! Many users at once (structure of arrays, vectorizable) are evaluated by
//! [`batch::user_rates_into`]. Finite-size rates per user (SPEC §9) are in [`finite`]; the quadrature-level
//! Monte Carlo that checks the model against simulated data (SPEC §10) is in
//! [`montecarlo`].
//!
//! ```
//! use nomaqkd::{evaluate, Network, Settings};
//! // Two users, SIC order by gain (user 0 decoded first).
//! let network = Network::new(vec![0.8, 0.4], vec![0.1]).unwrap();
//! let order = network.gain_order();
//! let report = evaluate(&Settings::standard(), &network, &order, &[20.0, 50.0]).unwrap();
//! // Checkpoint "K2 standard SIC order 0,1" of SPEC's rates.json.
//! assert!((report.users[1].rate.secret_key_rate - (-0.4049537512283363)).abs() < 1e-12);
//! assert!(report.users.iter().all(|u| u.rate.physical));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod alloc;
pub mod batch;
pub mod channel;
pub mod convention;
pub mod entropy;
pub mod error;
pub mod finite;
pub mod montecarlo;
pub mod power;
pub mod rates;
pub mod sweep;

pub use channel::{lognormal_fading, transmittance_from_distance, LinkGeometry};
pub use convention::{Access, Convention, Model, Receiver, Settings};
pub use entropy::{plob_bound, thermal_entropy};
pub use error::InputError;
pub use power::{dbm_to_variance, received_power_budget, variance_to_dbm};
pub use rates::{evaluate, sum_rates, user_rate, Network, RateReport, UserChannel, UserRate, UserReport, Warning};

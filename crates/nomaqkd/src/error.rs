//! Error types of the library. Each names the offending field, the value and
//! what is allowed, so a front end can print it as one line.

use thiserror::Error;

/// An input that violates the model's domain (SPEC §1, §4, §5, §6, §11.1).
///
/// `field` is the public name of the quantity, as the command line spells it
/// (e.g. `transmittance`, `modulation_variance`).
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum InputError {
    /// A scalar outside its allowed range (or NaN / infinite).
    #[error("{field}: {value} is not allowed; expected {allowed}")]
    OutOfRange {
        /// Field name.
        field: &'static str,
        /// The offending value, formatted.
        value: String,
        /// Human description of the allowed set, e.g. "a number in (0, 1)".
        allowed: &'static str,
    },
    /// A per-user list entry outside its allowed range.
    #[error("{field}: value {value} for user {user} is not allowed; expected {allowed}")]
    UserOutOfRange {
        /// Field name.
        field: &'static str,
        /// 0-based user index.
        user: usize,
        /// The offending value, formatted.
        value: String,
        /// Human description of the allowed set.
        allowed: &'static str,
    },
    /// A list whose length does not match the number of users.
    #[error("{field}: {got} values given, expected {expected} (one per user) or a single value shared by all")]
    LengthMismatch {
        /// Field name.
        field: &'static str,
        /// Length given.
        got: usize,
        /// Number of users K.
        expected: usize,
    },
    /// A decoding order that is not a permutation of 0..K.
    #[error("order: {value} is not a permutation of 0..{users}; expected each 0-based user index exactly once")]
    NotAPermutation {
        /// The order given, formatted.
        value: String,
        /// Number of users.
        users: usize,
    },
    /// A combination of options the model does not define (SPEC §11.1).
    #[error("{field}: {value} cannot be combined with {other}; {allowed}")]
    Unsupported {
        /// First option.
        field: &'static str,
        /// Its value.
        value: String,
        /// The conflicting option.
        other: String,
        /// What is allowed instead.
        allowed: &'static str,
    },
    /// No users at all.
    #[error("transmittance: no users given; expected at least one value")]
    NoUsers,
}

/// Helper: reject NaN/inf and check a closed/open interval in one go.
pub(crate) fn check_finite(field: &'static str, v: f64, allowed: &'static str) -> Result<f64, InputError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(InputError::OutOfRange { field, value: fmt_value(v), allowed })
    }
}

/// Format a number for an error message (shortest round-trip form).
pub(crate) fn fmt_value(v: f64) -> String {
    // Shortest round-trip digits; scientific form for very small or large magnitudes so an
    // error stays one short line (e.g. 1e-320 instead of 320 zeros).
    if v != 0.0 && v.is_finite() && (v.abs() < 1e-4 || v.abs() >= 1e15) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

//! Security conventions, models, access schemes and the receiver
//! (SPEC §3, §4, §11.1).

use crate::error::{check_finite, fmt_value, InputError};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which security analysis is used (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Convention {
    /// GG02, collective attack, entangling cloner, untrusted receiver noise (§4.1). Default.
    #[default]
    Standard,
    /// Realistic receiver: detector efficiency and electronic noise trusted (§4.2).
    Trusted,
    /// The paper's equations with typographical errors fixed; not physical (§4.3).
    Paper,
}

/// Exact symplectic eigenvalues or the large-modulation approximation (SPEC §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    /// Exact eigenvalues, eqs. (15)–(20) corrected. Default.
    #[default]
    Exact,
    /// Large-modulation approximation, eqs. (22)–(26) corrected.
    Asymptotic,
}

/// Who interferes with whom (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Power-domain NOMA with successive interference cancellation. Default.
    #[default]
    Noma,
    /// Orthogonal time slots (Q-OMA).
    Oma,
    /// Conservative interference handling: every other user is noise.
    Cih,
}

macro_rules! keyword_enum {
    ($ty:ident, $field:literal, $allowed:literal, $($name:literal => $variant:ident),+) => {
        impl $ty {
            /// The keyword used on the command line and in JSON.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $ty {
            type Err = InputError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    other => Err(InputError::OutOfRange {
                        field: $field,
                        value: other.to_string(),
                        allowed: $allowed,
                    }),
                }
            }
        }
    };
}

keyword_enum!(Convention, "convention", "one of standard, trusted, paper",
    "standard" => Standard, "trusted" => Trusted, "paper" => Paper);
keyword_enum!(Model, "model", "one of exact, asymptotic",
    "exact" => Exact, "asymptotic" => Asymptotic);
keyword_enum!(Access, "access", "one of noma, oma, cih",
    "noma" => Noma, "oma" => Oma, "cih" => Cih);

/// The base station's heterodyne receiver and post-processing (SPEC §1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Receiver {
    detector_noise_snu: f64,
    detector_efficiency: f64,
    reconciliation_efficiency: f64,
}

impl Receiver {
    /// Default electronic noise δ² (SNU): Table II's δ_det = 0.16 read as a standard deviation.
    pub const DEFAULT_DETECTOR_NOISE_SNU: f64 = 0.0256;
    /// Default detector efficiency τ_d (Table II).
    pub const DEFAULT_DETECTOR_EFFICIENCY: f64 = 0.6;
    /// Default reconciliation efficiency η (Table II).
    pub const DEFAULT_RECONCILIATION_EFFICIENCY: f64 = 0.92;

    /// Validated receiver.
    ///
    /// - `detector_noise_snu`: δ², electronic noise per rescaled heterodyne quadrature (SNU), ≥ 0;
    /// - `detector_efficiency`: τ_d in (0, 1];
    /// - `reconciliation_efficiency`: η in (0, 1].
    pub fn new(
        detector_noise_snu: f64,
        detector_efficiency: f64,
        reconciliation_efficiency: f64,
    ) -> Result<Self, InputError> {
        let d = check_finite("detector_noise", detector_noise_snu, "a finite number >= 0")?;
        if d < 0.0 {
            return Err(InputError::OutOfRange {
                field: "detector_noise",
                value: fmt_value(d),
                allowed: "a finite number >= 0",
            });
        }
        let t = check_finite("detector_efficiency", detector_efficiency, "a number in (0, 1]")?;
        if !(t > 0.0 && t <= 1.0) {
            return Err(InputError::OutOfRange {
                field: "detector_efficiency",
                value: fmt_value(t),
                allowed: "a number in (0, 1]",
            });
        }
        let e = check_finite("reconciliation_efficiency", reconciliation_efficiency, "a number in (0, 1]")?;
        if !(e > 0.0 && e <= 1.0) {
            return Err(InputError::OutOfRange {
                field: "reconciliation_efficiency",
                value: fmt_value(e),
                allowed: "a number in (0, 1]",
            });
        }
        Ok(Self { detector_noise_snu: d, detector_efficiency: t, reconciliation_efficiency: e })
    }

    /// δ² (SNU).
    pub fn detector_noise_snu(&self) -> f64 {
        self.detector_noise_snu
    }
    /// τ_d (dimensionless).
    pub fn detector_efficiency(&self) -> f64 {
        self.detector_efficiency
    }
    /// η (dimensionless).
    pub fn reconciliation_efficiency(&self) -> f64 {
        self.reconciliation_efficiency
    }
    /// Trusted heterodyne noise referred to the channel output,
    /// χ_het = (2 − τ_d + δ²)/τ_d (SNU, SPEC §4.2).
    pub fn chi_het_snu(&self) -> f64 {
        (2.0 - self.detector_efficiency + self.detector_noise_snu) / self.detector_efficiency
    }
}

impl Default for Receiver {
    fn default() -> Self {
        Self {
            detector_noise_snu: Self::DEFAULT_DETECTOR_NOISE_SNU,
            detector_efficiency: Self::DEFAULT_DETECTOR_EFFICIENCY,
            reconciliation_efficiency: Self::DEFAULT_RECONCILIATION_EFFICIENCY,
        }
    }
}

/// Everything about how rates are computed except the users themselves:
/// convention, model, access scheme, receiver and switches (SPEC §3–§4, §11.1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Settings {
    convention: Convention,
    model: Model,
    access: Access,
    literal_eq6: bool,
    time_sharing: bool,
    receiver: Receiver,
}

impl Settings {
    /// Validated settings. Rejects the combinations SPEC §11.1 leaves undefined:
    /// `trusted` with `asymptotic`, and `literal_eq6` without `paper`.
    pub fn new(
        convention: Convention,
        model: Model,
        access: Access,
        receiver: Receiver,
        literal_eq6: bool,
        time_sharing: bool,
    ) -> Result<Self, InputError> {
        if convention == Convention::Trusted && model == Model::Asymptotic {
            return Err(InputError::Unsupported {
                field: "model",
                value: "asymptotic".into(),
                other: "convention trusted".into(),
                allowed: "the trusted convention has only the exact model",
            });
        }
        if literal_eq6 && convention != Convention::Paper {
            return Err(InputError::Unsupported {
                field: "literal_eq6",
                value: "on".into(),
                other: format!("convention {convention}"),
                allowed: "--literal-eq6 applies only to --convention paper",
            });
        }
        Ok(Self { convention, model, access, literal_eq6, time_sharing, receiver })
    }

    /// Defaults of SPEC §11.1 (`standard`, `exact`, `noma`, default receiver).
    pub fn standard() -> Self {
        Self {
            convention: Convention::Standard,
            model: Model::Exact,
            access: Access::Noma,
            literal_eq6: false,
            time_sharing: true,
            receiver: Receiver::default(),
        }
    }

    /// The same settings with another access scheme (always valid).
    pub fn with_access(mut self, access: Access) -> Self {
        self.access = access;
        self
    }

    /// The same settings with `convention` and `model` replaced by values the caller
    /// already checked to be these settings' own, for the columns kernel: built from
    /// literals, they let the compiler drop the per-user `match` on them
    /// ([`crate::batch`]).
    #[inline(always)]
    pub(crate) fn with_known_kind(&self, convention: Convention, model: Model) -> Self {
        debug_assert!(convention == self.convention && model == self.model);
        Self { convention, model, ..*self }
    }

    /// Security convention.
    #[inline]
    pub fn convention(&self) -> Convention {
        self.convention
    }
    /// Exact or asymptotic.
    #[inline]
    pub fn model(&self) -> Model {
        self.model
    }
    /// Access scheme.
    #[inline]
    pub fn access(&self) -> Access {
        self.access
    }
    /// Whether eq. (6)'s interference is taken as printed (Σ V_a,i without T_i).
    #[inline]
    pub fn literal_eq6(&self) -> bool {
        self.literal_eq6
    }
    /// Whether OMA rates are divided by K (time sharing, SPEC §3).
    #[inline]
    pub fn time_sharing(&self) -> bool {
        self.time_sharing
    }
    /// The receiver.
    #[inline]
    pub fn receiver(&self) -> &Receiver {
        &self.receiver
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self::standard()
    }
}

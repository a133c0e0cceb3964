//! Stage two of input handling (STYLE 2): raw flags and the scenario file
//! become one validated [`Common`] before anything is computed. Every error is
//! one line naming the field, the value and what is allowed (SPEC §11.2).

use crate::args::CommonArgs;
use nomaqkd::channel::{validate_distances, validate_sigma_x};
use nomaqkd::power::{validate_conversion, DEFAULT_SYMBOL_RATE_BAUD};
use nomaqkd::rates::{broadcast, validate_order};
use nomaqkd::{
    dbm_to_variance, lognormal_fading, transmittance_from_distance, Access, Convention, LinkGeometry, Model, Network,
    Receiver, Settings,
};
use std::fmt;
use std::path::{Path, PathBuf};

/// Bad input: printed as one line, exit code 2.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for InputError {}

impl From<nomaqkd::InputError> for InputError {
    fn from(e: nomaqkd::InputError) -> Self {
        InputError(e.to_string())
    }
}

/// Shorthand for an input error.
pub fn bad(msg: impl Into<String>) -> InputError {
    InputError(msg.into())
}

/// Parse one number given for `field` (flag or key name).
pub fn parse_f64(field: &str, s: &str) -> Result<f64, InputError> {
    s.trim().parse::<f64>().map_err(|_| bad(format!("{field}: `{s}` is not a number; expected e.g. 0.5, -60 or 1e10")))
}

/// Parse a comma-separated list of numbers for `field`.
pub fn parse_list(field: &str, s: &str) -> Result<Vec<f64>, InputError> {
    if s.trim().is_empty() {
        return Err(bad(format!("{field}: empty list; expected comma-separated numbers")));
    }
    s.split(',').map(|p| parse_f64(field, p)).collect()
}

/// Parse an unsigned 64-bit integer for `field`.
pub fn parse_u64(field: &str, s: &str) -> Result<u64, InputError> {
    let t = s.trim();
    if let Ok(n) = t.parse::<u64>() {
        return Ok(n);
    }
    // Exponent forms (SPEC §11.1: numbers accept exponents), exact integers only.
    match t.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x <= 9_007_199_254_740_992.0 => Ok(x as u64),
        _ => Err(bad(format!(
            "{field}: `{s}` is not allowed; expected a non-negative integer below 2^64 (with an exponent, e.g. 1e3, at most 2^53)"
        ))),
    }
}

/// How the SIC order is chosen (SPEC §1, §11.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderSpec {
    /// Descending transmittance, ties by index.
    Gain,
    /// An explicit permutation of 0-based indices.
    Explicit(Vec<usize>),
    /// Search over orders (`optimize` only).
    Best,
}

fn parse_order(field: &str, s: &str, allow_best: bool) -> Result<OrderSpec, InputError> {
    let t = s.trim();
    if t == "gain" {
        return Ok(OrderSpec::Gain);
    }
    if t == "best" {
        return if allow_best {
            Ok(OrderSpec::Best)
        } else {
            Err(bad(format!(
                "{field}: `best` is only accepted by `optimize`; expected `gain` or a permutation such as 1,0,2"
            )))
        };
    }
    let idx: Result<Vec<usize>, _> = t.split(',').map(|p| p.trim().parse::<usize>()).collect();
    idx.map(OrderSpec::Explicit).map_err(|_| {
        bad(format!(
            "{field}: `{s}` is not allowed; expected `gain`{} or a comma list of 0-based user indices",
            if allow_best { ", `best`" } else { "" }
        ))
    })
}

/// A scenario TOML file whose keys are consumed as they are read; keys left
/// over at the end are unknown and rejected (SPEC §11.1).
#[derive(Debug)]
pub struct ScenarioFile {
    path: PathBuf,
    table: toml::Table,
}

impl ScenarioFile {
    /// Read and parse a TOML file.
    pub fn load(path: &Path) -> Result<Self, InputError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| bad(format!("scenario: cannot read `{}`: {e}", path.display())))?;
        Self::parse(path, &text)
    }

    /// Parse TOML text (`path` is only used in messages).
    pub fn parse(path: &Path, text: &str) -> Result<Self, InputError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e.span().map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            let msg = e.message().replace('\n', " ");
            match line {
                Some(l) => bad(format!("scenario `{}` line {l}: {msg}", path.display())),
                None => bad(format!("scenario `{}`: {msg}", path.display())),
            }
        })?;
        Ok(Self { path: path.to_path_buf(), table })
    }

    fn field(&self, key: &str) -> String {
        format!("scenario `{}` key `{key}`", self.path.display())
    }

    fn type_error(&self, key: &str, v: &toml::Value, expected: &str) -> InputError {
        bad(format!("{}: {} `{v}` is not allowed; expected {expected}", self.field(key), v.type_str()))
    }

    fn num(&self, key: &str, v: &toml::Value) -> Result<f64, InputError> {
        match v {
            toml::Value::Float(f) => Ok(*f),
            toml::Value::Integer(i) => Ok(*i as f64),
            other => Err(self.type_error(key, other, "a number")),
        }
    }

    /// Remove and return a raw value.
    pub fn take(&mut self, key: &str) -> Option<toml::Value> {
        self.table.remove(key)
    }

    /// A number or an array of numbers.
    pub fn take_list(&mut self, key: &str) -> Result<Option<Vec<f64>>, InputError> {
        match self.take(key) {
            None => Ok(None),
            Some(toml::Value::Array(a)) => {
                if a.is_empty() {
                    return Err(bad(format!("{}: empty array; expected at least one number", self.field(key))));
                }
                a.iter().map(|v| self.num(key, v)).collect::<Result<Vec<_>, _>>().map(Some)
            }
            Some(v) => self.num(key, &v).map(|x| Some(vec![x])),
        }
    }

    /// One number.
    pub fn take_f64(&mut self, key: &str) -> Result<Option<f64>, InputError> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => self.num(key, &v).map(Some),
        }
    }

    /// A string.
    pub fn take_str(&mut self, key: &str) -> Result<Option<String>, InputError> {
        match self.take(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(self.type_error(key, &v, "a string")),
        }
    }

    /// A boolean.
    pub fn take_bool(&mut self, key: &str) -> Result<Option<bool>, InputError> {
        match self.take(key) {
            None => Ok(None),
            Some(toml::Value::Boolean(b)) => Ok(Some(b)),
            Some(v) => Err(self.type_error(key, &v, "true or false")),
        }
    }

    /// A non-negative integer.
    pub fn take_u64(&mut self, key: &str) -> Result<Option<u64>, InputError> {
        match self.take(key) {
            None => Ok(None),
            Some(toml::Value::Integer(i)) if i >= 0 => Ok(Some(i as u64)),
            Some(v) => Err(self.type_error(key, &v, "an integer >= 0")),
        }
    }

    /// An order: "gain", "best" or an array of indices.
    pub fn take_order(&mut self, key: &str, allow_best: bool) -> Result<Option<OrderSpec>, InputError> {
        match self.take(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => parse_order(&self.field(key), &s, allow_best).map(Some),
            Some(toml::Value::Array(a)) => a
                .iter()
                .map(|v| match v {
                    toml::Value::Integer(i) if *i >= 0 => Ok(*i as usize),
                    other => Err(self.type_error(key, other, "a list of 0-based user indices")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|v| Some(OrderSpec::Explicit(v))),
            Some(v) => Err(self.type_error(key, &v, "\"gain\" or a list of 0-based user indices")),
        }
    }

    /// Reject any key nobody consumed.
    pub fn finish(self) -> Result<(), InputError> {
        // Free-text keys that make a scenario self-describing.
        let leftover: Vec<&String> =
            self.table.keys().filter(|k| !matches!(k.as_str(), "name" | "description" | "notes")).collect();
        match leftover.first() {
            None => Ok(()),
            Some(k) => Err(bad(format!(
                "scenario `{}`: unknown key `{k}`; allowed keys are the long flag names with '-' replaced by '_' (see --help)",
                self.path.display()
            ))),
        }
    }
}

/// A value from the command line, else from the file, else none (shared by the subcommands).
pub fn pick<T>(
    flag: &str,
    cli: Option<&String>,
    parse: impl Fn(&str, &str) -> Result<T, InputError>,
    file: Option<T>,
) -> Result<Option<T>, InputError> {
    match cli {
        Some(s) => parse(flag, s).map(Some),
        None => Ok(file),
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned table for people.
    Table,
    /// One JSON object (SPEC §11.3).
    Json,
    /// One row per user.
    Csv,
}

/// Validated inputs shared by `rate`, `optimize` and `simulate`.
#[derive(Debug, Clone)]
#[allow(dead_code)] // geometry/fading fields are read by later subcommands
pub struct Common {
    /// Convention, model, access, receiver, switches.
    pub settings: Settings,
    /// Users' transmittances (after distance model and fading) and excess noises.
    pub network: Network,
    /// How the decoding order is chosen.
    pub order_spec: OrderSpec,
    /// V_A per user (SNU), when given by `--modulation-variance` or `--power-dbm`.
    pub modulation_variance: Option<Vec<f64>>,
    /// Free-space geometry (SPEC §6).
    pub geometry: LinkGeometry,
    /// Symbol rate (baud).
    pub symbol_rate_baud: f64,
    /// Turbulence σ_x.
    pub sigma_x: f64,
    /// Seed of every random draw.
    pub seed: u64,
    /// Fading factor drawn per user (1 without fading).
    pub fading: Vec<f64>,
    /// Output format.
    pub format: Format,
}

impl Common {
    /// The resolved SIC order for `gain` or an explicit order (validated); `None` for `best`.
    pub fn order(&self) -> Result<Option<Vec<usize>>, InputError> {
        match &self.order_spec {
            OrderSpec::Gain => Ok(Some(self.network.gain_order())),
            OrderSpec::Explicit(o) => {
                validate_order(o, self.network.len())?;
                Ok(Some(o.clone()))
            }
            OrderSpec::Best => Ok(None),
        }
    }
}

/// Merge flags over the scenario file and validate (SPEC §11.1 defaults).
/// `allow_best` admits `--order best` (optimize). The file's consumed keys are
/// removed; the caller reads its own keys and then calls [`ScenarioFile::finish`].
pub fn resolve_common(a: &CommonArgs, file: &mut Option<ScenarioFile>, allow_best: bool) -> Result<Common, InputError> {
    macro_rules! from_file {
        ($method:ident, $key:literal $(, $extra:expr)?) => {
            match file.as_mut() {
                Some(f) => f.$method($key $(, $extra)?)?,
                None => None,
            }
        };
    }
    let t_file = from_file!(take_list, "transmittance");
    let d_file = from_file!(take_list, "distance_m");
    let v_file = from_file!(take_list, "modulation_variance");
    let p_file = from_file!(take_list, "power_dbm");
    let xi_file = from_file!(take_list, "excess_noise");
    let dn_file = from_file!(take_f64, "detector_noise");
    let de_file = from_file!(take_f64, "detector_efficiency");
    let re_file = from_file!(take_f64, "reconciliation_efficiency");
    let conv_file = from_file!(take_str, "convention");
    let model_file = from_file!(take_str, "model");
    let lit_file = from_file!(take_bool, "literal_eq6");
    let access_file = from_file!(take_str, "access");
    let order_file = from_file!(take_order, "order", allow_best);
    let nts_file = from_file!(take_bool, "no_time_sharing");
    let txa_file = from_file!(take_f64, "tx_aperture_m");
    let rxa_file = from_file!(take_f64, "rx_aperture_m");
    let wl_file = from_file!(take_f64, "wavelength_m");
    let div_file = from_file!(take_f64, "divergence_rad");
    let att_file = from_file!(take_f64, "attenuation_db_per_km");
    let sx_file = from_file!(take_f64, "sigma_x");
    let sr_file = from_file!(take_f64, "symbol_rate_baud");
    let seed_file = from_file!(take_u64, "seed");
    let fmt_file = from_file!(take_str, "format");

    let str_id = |_: &str, s: &str| Ok::<String, InputError>(s.to_string());
    let convention: Convention = pick("--convention", a.convention.as_ref(), str_id, conv_file)?
        .map(|s| s.parse::<Convention>())
        .transpose()?
        .unwrap_or_default();
    let model: Model = pick("--model", a.model.as_ref(), str_id, model_file)?
        .map(|s| s.parse::<Model>())
        .transpose()?
        .unwrap_or_default();
    let access: Access = pick("--access", a.access.as_ref(), str_id, access_file)?
        .map(|s| s.parse::<Access>())
        .transpose()?
        .unwrap_or_default();
    let literal_eq6 = a.literal_eq6 || lit_file.unwrap_or(false);
    let time_sharing = !(a.no_time_sharing || nts_file.unwrap_or(false));
    let receiver = Receiver::new(
        pick("--detector-noise", a.detector_noise.as_ref(), parse_f64, dn_file)?
            .unwrap_or(Receiver::DEFAULT_DETECTOR_NOISE_SNU),
        pick("--detector-efficiency", a.detector_efficiency.as_ref(), parse_f64, de_file)?
            .unwrap_or(Receiver::DEFAULT_DETECTOR_EFFICIENCY),
        pick("--reconciliation-efficiency", a.reconciliation_efficiency.as_ref(), parse_f64, re_file)?
            .unwrap_or(Receiver::DEFAULT_RECONCILIATION_EFFICIENCY),
    )?;
    let settings = Settings::new(convention, model, access, receiver, literal_eq6, time_sharing)?;

    let defaults = LinkGeometry::default();
    let wavelength_m =
        pick("--wavelength-m", a.wavelength_m.as_ref(), parse_f64, wl_file)?.unwrap_or(defaults.wavelength_m());
    let geometry = LinkGeometry::new(
        pick("--tx-aperture-m", a.tx_aperture_m.as_ref(), parse_f64, txa_file)?.unwrap_or(0.1),
        pick("--rx-aperture-m", a.rx_aperture_m.as_ref(), parse_f64, rxa_file)?.unwrap_or(1.0),
        wavelength_m,
        pick("--divergence-rad", a.divergence_rad.as_ref(), parse_f64, div_file)?.unwrap_or(3e-3),
        pick("--attenuation-db-per-km", a.attenuation_db_per_km.as_ref(), parse_f64, att_file)?.unwrap_or(3.0),
    )?;
    let symbol_rate_baud = pick("--symbol-rate-baud", a.symbol_rate_baud.as_ref(), parse_f64, sr_file)?
        .unwrap_or(DEFAULT_SYMBOL_RATE_BAUD);
    validate_conversion(wavelength_m, symbol_rate_baud)?;
    let sigma_x = validate_sigma_x(pick("--sigma-x", a.sigma_x.as_ref(), parse_f64, sx_file)?.unwrap_or(0.0))?;
    let seed = pick("--seed", a.seed.as_ref(), parse_u64, seed_file)?.unwrap_or(1);

    let transmittance = pick("--transmittance", a.transmittance.as_ref(), parse_list, t_file)?;
    let distance = pick("--distance-m", a.distance_m.as_ref(), parse_list, d_file)?;
    let k = match (&transmittance, &distance) {
        (Some(t), None) => t.len(),
        (None, Some(d)) => d.len(),
        (Some(_), Some(_)) => {
            return Err(bad("--transmittance and --distance-m are both given; expected exactly one of them"))
        }
        (None, None) => return Err(bad("--transmittance: missing; expected --transmittance or --distance-m")),
    };
    let fading = lognormal_fading(sigma_x, seed, 0, k);
    let t_values = match (transmittance, distance) {
        (Some(t), _) => {
            // Validate the given values before fading can hide an out-of-range entry.
            Network::new(t.clone(), vec![0.0])?;
            if sigma_x > 0.0 {
                t.iter()
                    .zip(&fading)
                    .map(|(t, f)| {
                        (t * f).clamp(nomaqkd::channel::MIN_TRANSMITTANCE, nomaqkd::channel::MAX_TRANSMITTANCE)
                    })
                    .collect()
            } else {
                t
            }
        }
        (None, Some(d)) => {
            validate_distances(&d)?;
            d.iter()
                .zip(&fading)
                .map(|(&d, &f)| {
                    transmittance_from_distance(&geometry, d, convention, receiver.detector_efficiency(), f)
                })
                .collect()
        }
        (None, None) => unreachable!("checked above"),
    };
    let excess = pick("--excess-noise", a.excess_noise.as_ref(), parse_list, xi_file)?.unwrap_or(vec![0.1]);
    let network = Network::new(t_values, excess)?;

    let modulation = pick("--modulation-variance", a.modulation_variance.as_ref(), parse_list, v_file)?;
    let power = pick("--power-dbm", a.power_dbm.as_ref(), parse_list, p_file)?;
    let modulation_variance = match (modulation, power) {
        (Some(_), Some(_)) => {
            return Err(bad("--modulation-variance and --power-dbm are both given; expected at most one of them"))
        }
        (Some(v), None) => Some(broadcast("modulation_variance", v, k)?),
        (None, Some(p)) => {
            let p = broadcast("power_dbm", p, k)?;
            for (i, &x) in p.iter().enumerate() {
                if x.is_nan() || x == f64::INFINITY {
                    return Err(bad(format!(
                        "power_dbm: value {x} for user {i} is not allowed; expected a finite number (or -inf for silent)"
                    )));
                }
            }
            Some(p.iter().map(|&x| dbm_to_variance(x, wavelength_m, symbol_rate_baud)).collect())
        }
        (None, None) => None,
    };
    if let Some(v) = &modulation_variance {
        nomaqkd::rates::validate_modulation(convention, v, k)?;
    }

    let order_spec =
        pick("--order", a.order.as_ref(), |f, s| parse_order(f, s, allow_best), order_file)?.unwrap_or(OrderSpec::Gain);
    if let OrderSpec::Explicit(o) = &order_spec {
        validate_order(o, k)?;
    }
    let format = match pick("--format", a.format.as_ref(), str_id, fmt_file)?.as_deref() {
        None | Some("table") => Format::Table,
        Some("json") => Format::Json,
        Some("csv") => Format::Csv,
        Some(other) => return Err(bad(format!("format: `{other}` is not allowed; expected one of table, json, csv"))),
    };
    Ok(Common {
        settings,
        network,
        order_spec,
        modulation_variance,
        geometry,
        symbol_rate_baud,
        sigma_x,
        seed,
        fading,
        format,
    })
}

/// Open the scenario file named by `--scenario`, if any.
pub fn open_scenario(a: &CommonArgs) -> Result<Option<ScenarioFile>, InputError> {
    a.scenario.as_deref().map(ScenarioFile::load).transpose()
}

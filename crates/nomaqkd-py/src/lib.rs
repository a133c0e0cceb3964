//! Python bindings of nomaqkd (module `nomaqkd._core`, wrapped by the pure-Python
//! package `nomaqkd`). No physics lives here: every number comes from the
//! `nomaqkd` crate (SPEC §2–§6); this layer converts numpy arrays, validates
//! with the library's own checks (so errors read as the CLI's) and runs the
//! batched form in parallel with the GIL released.

use nomaqkd::power::validate_conversion;
use nomaqkd::rates::{broadcast, for_each_user_channel, slot_fraction, user_rate, validate_modulation, validate_order};
use nomaqkd::{Access, Convention, InputError, LinkGeometry, Model, Network, RateReport, Receiver, Settings};
use numpy::ndarray::{Array2, ArrayD, ArrayView2, ArrayViewD};
use numpy::{AllowTypeChange, IntoPyArray, PyArrayLike2, PyArrayLikeDyn};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use rayon::prelude::*;
use std::fmt::Display;

mod alloc_sweep;

/// Default excess noise ξ (SNU) of SPEC §11.1 (`--excess-noise`).
const DEFAULT_EXCESS_NOISE_SNU: f64 = 0.1;

fn value_error(e: impl Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// The decoding order argument: `None`/"gain", "best" (optimize only) or an explicit permutation.
enum OrderArg {
    Gain,
    Best,
    Explicit(Vec<usize>),
}

fn parse_order(order: Option<&Bound<'_, PyAny>>) -> PyResult<OrderArg> {
    parse_order_arg(order, false)
}

/// `allow_best`: accept "best" (search over orders, `optimize` only).
fn parse_order_arg(order: Option<&Bound<'_, PyAny>>, allow_best: bool) -> PyResult<OrderArg> {
    let Some(obj) = order else { return Ok(OrderArg::Gain) };
    if obj.is_none() {
        return Ok(OrderArg::Gain);
    }
    let best = if allow_best { ", \"best\"" } else { "" };
    let bad = |shown: String| {
        value_error(format!(
            "order: {shown} is not allowed; expected None, \"gain\"{best} or a sequence of 0-based user indices (a permutation)"
        ))
    };
    if let Ok(s) = obj.cast::<PyString>() {
        let s = s.to_string();
        if s.trim() == "gain" {
            return Ok(OrderArg::Gain);
        }
        if allow_best && s.trim() == "best" {
            return Ok(OrderArg::Best);
        }
        // Same comma-list form as the CLI's --order.
        let idx: Result<Vec<usize>, _> = s.split(',').map(|p| p.trim().parse::<usize>()).collect();
        return idx.map(OrderArg::Explicit).map_err(|_| bad(format!("`{s}`")));
    }
    let values: Vec<i64> =
        obj.extract().map_err(|_| bad(format!("`{}`", obj.repr().map(|r| r.to_string()).unwrap_or_default())))?;
    values
        .iter()
        .map(|&i| usize::try_from(i).map_err(|_| bad(format!("{values:?}"))))
        .collect::<PyResult<Vec<usize>>>()
        .map(OrderArg::Explicit)
}

/// Settings from the keyword arguments, validated in the CLI's order (SPEC §11.1).
#[allow(clippy::too_many_arguments)]
fn settings_from(
    detector_noise: f64,
    detector_efficiency: f64,
    reconciliation_efficiency: f64,
    convention: &str,
    model: &str,
    access: &str,
    literal_eq6: bool,
    time_sharing: bool,
) -> Result<Settings, InputError> {
    let convention: Convention = convention.parse()?;
    let model: Model = model.parse()?;
    let access: Access = access.parse()?;
    let receiver = Receiver::new(detector_noise, detector_efficiency, reconciliation_efficiency)?;
    Settings::new(convention, model, access, receiver, literal_eq6, time_sharing)
}

fn view_to_vec(a: &ArrayViewD<'_, f64>) -> Vec<f64> {
    a.iter().copied().collect()
}

fn report_to_dict<'py>(py: Python<'py>, report: RateReport) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let u = &report.users;
    let col = |f: &dyn Fn(&nomaqkd::UserReport) -> f64| u.iter().map(f).collect::<Vec<f64>>().into_pyarray(py);
    let flag = |f: &dyn Fn(&nomaqkd::UserReport) -> bool| u.iter().map(f).collect::<Vec<bool>>().into_pyarray(py);
    d.set_item("convention", report.convention.as_str())?;
    d.set_item("model", report.model.as_str())?;
    d.set_item("access", report.access.as_str())?;
    d.set_item(
        "order",
        report.order.as_ref().map(|o| o.iter().map(|&i| i as i64).collect::<Vec<i64>>().into_pyarray(py)),
    )?;
    let positions: Option<Vec<i64>> = u.iter().map(|r| r.decode_position.map(|p| p as i64)).collect();
    d.set_item("decode_position", positions.map(|p| p.into_pyarray(py)))?;
    d.set_item("slot_fraction", u.first().map_or(1.0, |r| r.slot_fraction))?;
    d.set_item("interference", col(&|r| r.interference))?;
    d.set_item("other_excess_noise", col(&|r| r.other_excess_noise))?;
    d.set_item("mutual_information", col(&|r| r.rate.mutual_information))?;
    d.set_item("holevo", col(&|r| r.rate.holevo))?;
    d.set_item("secret_key_rate", col(&|r| r.rate.secret_key_rate))?;
    d.set_item("plob_bound", col(&|r| r.rate.plob_bound))?;
    d.set_item("physical", flag(&|r| r.rate.physical))?;
    d.set_item("exceeds_plob", flag(&|r| r.rate.exceeds_plob))?;
    d.set_item("silent", flag(&|r| r.rate.silent))?;
    let approx: Option<Vec<bool>> = u.iter().map(|r| r.rate.approximation_valid).collect();
    d.set_item("approximation_valid", approx.map(|a| a.into_pyarray(py)))?;
    d.set_item("sum_secret_key_rate", report.sum_secret_key_rate)?;
    d.set_item("sum_secret_key_rate_clipped", report.sum_secret_key_rate_clipped)?;
    d.set_item("joint_channel_physical", report.joint_channel_physical)?;
    d.set_item("warnings", report.warnings.iter().map(|w| w.to_string()).collect::<Vec<String>>())?;
    Ok(d)
}

/// Single scenario: K users given as 1-D arrays (SPEC §2–§4, §11.3). Calls
/// `nomaqkd::evaluate`, the same path as `nomaqkd rate`.
#[pyfunction]
#[pyo3(signature = (transmittance, modulation_variance, excess_noise, detector_noise, detector_efficiency,
    reconciliation_efficiency, convention, model, access, order, literal_eq6, time_sharing))]
#[allow(clippy::too_many_arguments)]
fn rates_single<'py>(
    py: Python<'py>,
    transmittance: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    modulation_variance: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    excess_noise: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    detector_noise: f64,
    detector_efficiency: f64,
    reconciliation_efficiency: f64,
    convention: &str,
    model: &str,
    access: &str,
    order: Option<&Bound<'py, PyAny>>,
    literal_eq6: bool,
    time_sharing: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let settings = settings_from(
        detector_noise,
        detector_efficiency,
        reconciliation_efficiency,
        convention,
        model,
        access,
        literal_eq6,
        time_sharing,
    )
    .map_err(value_error)?;
    for (name, a) in [
        ("transmittance", &transmittance),
        ("modulation_variance", &modulation_variance),
        ("excess_noise", &excess_noise),
    ] {
        if a.as_array().ndim() > 1 {
            return Err(value_error(format!(
                "{name}: a {}-D array is not allowed here; expected a number or a 1-D array of K values",
                a.as_array().ndim()
            )));
        }
    }
    let t = view_to_vec(&transmittance.as_array());
    let k = t.len();
    // Check T on its own first, as the CLI does.
    Network::new(t.clone(), vec![0.0]).map_err(value_error)?;
    let network = Network::new(t, view_to_vec(&excess_noise.as_array())).map_err(value_error)?;
    let v = broadcast("modulation_variance", view_to_vec(&modulation_variance.as_array()), k).map_err(value_error)?;
    validate_modulation(settings.convention(), &v, k).map_err(value_error)?;
    let order = match parse_order(order)? {
        OrderArg::Gain | OrderArg::Best => network.gain_order(),
        OrderArg::Explicit(o) => {
            validate_order(&o, k).map_err(value_error)?;
            o
        }
    };
    let report = nomaqkd::evaluate(&settings, &network, &order, &v).map_err(value_error)?;
    report_to_dict(py, report)
}

/// A (N, K) view of an input broadcast numpy-style from a scalar, (K,), (N, 1), (1, K) or (N, K).
fn broadcast_2d<'a>(name: &str, a: &'a ArrayViewD<'a, f64>, n: usize, k: usize) -> PyResult<ArrayView2<'a, f64>> {
    a.broadcast((n, k)).ok_or_else(|| {
        value_error(format!(
            "{name}: an array of shape {:?} cannot be broadcast to (N, K) = ({n}, {k}); expected a number, K values or an (N, K) array",
            a.shape()
        ))
    })
}

/// Rewrite a library error about row `n` so that it names the array element.
fn at_row(e: InputError, n: usize) -> String {
    match e {
        InputError::UserOutOfRange { field, user, value, allowed } => {
            format!("{field}[{n}, {user}]: {value} is not allowed; expected {allowed}")
        }
        other => format!("row {n}: {other}"),
    }
}

const PHYSICAL: u8 = 1;
const EXCEEDS_PLOB: u8 = 2;
const SILENT: u8 = 4;
const APPROX_VALID: u8 = 8;

/// The boolean fields of a user's rate packed into one byte.
fn flag_bits(r: &nomaqkd::UserRate) -> u8 {
    let mut bits = 0;
    for (on, bit) in [
        (r.physical, PHYSICAL),
        (r.exceeds_plob, EXCEEDS_PLOB),
        (r.silent, SILENT),
        (r.approximation_valid == Some(true), APPROX_VALID),
    ] {
        if on {
            bits |= bit;
        }
    }
    bits
}

/// Per-row output slices of the batched evaluation.
struct RowOut<'a> {
    mi: &'a mut [f64],
    chi: &'a mut [f64],
    skr: &'a mut [f64],
    plob: &'a mut [f64],
    vi: &'a mut [f64],
    xk: &'a mut [f64],
    flags: &'a mut [u8],
    pos: &'a mut [i64],
    order: &'a mut [i64],
    sums: &'a mut [f64],
    joint: &'a mut bool,
}

/// Inputs of the batched evaluation, all (N, K) views.
struct BatchIn<'a> {
    t: ArrayView2<'a, f64>,
    v: ArrayView2<'a, f64>,
    xi: ArrayView2<'a, f64>,
}

/// Evaluate row `n` into `out` (SPEC §3–§4 via `for_each_user_channel` + `user_rate`).
fn eval_row(
    settings: &Settings,
    input: &BatchIn<'_>,
    explicit: Option<&[usize]>,
    n: usize,
    (scratch, gain): &mut (Vec<f64>, Vec<usize>),
    out: RowOut<'_>,
) -> Result<(), String> {
    let k = input.t.ncols();
    let network = Network::new(input.t.row(n).to_vec(), input.xi.row(n).to_vec()).map_err(|e| at_row(e, n))?;
    let v_row = input.v.row(n);
    let v: &[f64] = match v_row.to_slice() {
        Some(s) => s,
        None => {
            scratch.clear();
            scratch.extend(v_row.iter().copied());
            scratch
        }
    };
    validate_modulation(settings.convention(), v, k).map_err(|e| at_row(e, n))?;
    let order: &[usize] = match explicit {
        Some(o) => o,
        None => {
            network.gain_order_into(gain);
            gain
        }
    };
    for_each_user_channel(settings, &network, order, v, |i, ch| {
        let r = user_rate(settings, &ch);
        out.mi[i] = r.mutual_information;
        out.chi[i] = r.holevo;
        out.skr[i] = r.secret_key_rate;
        out.plob[i] = r.plob_bound;
        out.vi[i] = ch.interference;
        out.xk[i] = ch.other_excess_noise;
        out.flags[i] = flag_bits(&r);
    });
    for (p, &i) in order.iter().enumerate() {
        out.pos[i] = p as i64;
        out.order[p] = i as i64;
    }
    // Sums in input order, exactly as `nomaqkd::rates::finish_report` forms them,
    // so the batched and single forms agree bit for bit.
    let f = slot_fraction(settings, k);
    out.sums[0] = out.skr.iter().map(|&r| f * r).sum();
    out.sums[1] = out.skr.iter().map(|&r| f * r.max(0.0)).sum();
    *out.joint = network.joint_channel_physical();
    Ok(())
}

/// Owned outputs of the batched evaluation, row-major (N, K).
struct BatchOut {
    mi: Vec<f64>,
    chi: Vec<f64>,
    skr: Vec<f64>,
    plob: Vec<f64>,
    vi: Vec<f64>,
    xk: Vec<f64>,
    flags: Vec<u8>,
    pos: Vec<i64>,
    order: Vec<i64>,
    sums: Vec<f64>,
    joint: Vec<bool>,
}

fn run_batch(settings: &Settings, input: &BatchIn<'_>, explicit: Option<&[usize]>) -> Result<BatchOut, String> {
    let (n, k) = input.t.dim();
    let nk = n * k;
    let mut o = BatchOut {
        mi: vec![0.0; nk],
        chi: vec![0.0; nk],
        skr: vec![0.0; nk],
        plob: vec![0.0; nk],
        vi: vec![0.0; nk],
        xk: vec![0.0; nk],
        flags: vec![0; nk],
        pos: vec![0; nk],
        order: vec![0; nk],
        sums: vec![0.0; 2 * n],
        joint: vec![false; n],
    };
    let first_error = (
        o.mi.par_chunks_mut(k),
        o.chi.par_chunks_mut(k),
        o.skr.par_chunks_mut(k),
        o.plob.par_chunks_mut(k),
        o.vi.par_chunks_mut(k),
        o.xk.par_chunks_mut(k),
        o.flags.par_chunks_mut(k),
        o.pos.par_chunks_mut(k),
        o.order.par_chunks_mut(k),
        o.sums.par_chunks_mut(2),
        o.joint.par_iter_mut(),
    )
        .into_par_iter()
        .enumerate()
        .with_min_len(64)
        .map_init(
            || (Vec::with_capacity(k), Vec::with_capacity(k)),
            |scratch, (row, (mi, chi, skr, plob, vi, xk, flags, pos, order, sums, joint))| {
                let out = RowOut { mi, chi, skr, plob, vi, xk, flags, pos, order, sums, joint };
                eval_row(settings, input, explicit, row, scratch, out).err().map(|e| (row, e))
            },
        )
        .flatten()
        .min_by_key(|(row, _)| *row);
    match first_error {
        Some((_, e)) => Err(e),
        None => Ok(o),
    }
}

/// Batched form: (N, K) arrays, rows evaluated in parallel (rayon) with the GIL released.
#[pyfunction]
#[pyo3(signature = (transmittance, modulation_variance, excess_noise, detector_noise, detector_efficiency,
    reconciliation_efficiency, convention, model, access, order, literal_eq6, time_sharing))]
#[allow(clippy::too_many_arguments)]
fn rates_batch<'py>(
    py: Python<'py>,
    transmittance: PyArrayLike2<'py, f64, AllowTypeChange>,
    modulation_variance: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    excess_noise: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    detector_noise: f64,
    detector_efficiency: f64,
    reconciliation_efficiency: f64,
    convention: &str,
    model: &str,
    access: &str,
    order: Option<&Bound<'py, PyAny>>,
    literal_eq6: bool,
    time_sharing: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let settings = settings_from(
        detector_noise,
        detector_efficiency,
        reconciliation_efficiency,
        convention,
        model,
        access,
        literal_eq6,
        time_sharing,
    )
    .map_err(value_error)?;
    let t = transmittance.as_array();
    let (n, k) = t.dim();
    if k == 0 {
        return Err(value_error(InputError::NoUsers));
    }
    let v_view = modulation_variance.as_array();
    let xi_view = excess_noise.as_array();
    let input = BatchIn {
        t,
        v: broadcast_2d("modulation_variance", &v_view, n, k)?,
        xi: broadcast_2d("excess_noise", &xi_view, n, k)?,
    };
    let explicit = match parse_order(order)? {
        OrderArg::Gain | OrderArg::Best => None,
        OrderArg::Explicit(o) => {
            validate_order(&o, k).map_err(value_error)?;
            Some(o)
        }
    };
    let out = py.detach(|| run_batch(&settings, &input, explicit.as_deref())).map_err(value_error)?;

    let shape = (n, k);
    let arr2 = |v: Vec<f64>| Array2::from_shape_vec(shape, v).expect("n*k elements").into_pyarray(py);
    let bits = |mask: u8| {
        Array2::from_shape_vec(shape, out.flags.iter().map(|f| f & mask != 0).collect()).expect("n*k").into_pyarray(py)
    };
    let noma = settings.access() == Access::Noma;
    let d = PyDict::new(py);
    d.set_item("convention", settings.convention().as_str())?;
    d.set_item("model", settings.model().as_str())?;
    d.set_item("access", settings.access().as_str())?;
    let ints = |v: Vec<i64>| Array2::from_shape_vec(shape, v).expect("n*k").into_pyarray(py);
    d.set_item("order", noma.then(|| ints(out.order)))?;
    d.set_item("decode_position", noma.then(|| ints(out.pos)))?;
    d.set_item("slot_fraction", slot_fraction(&settings, k))?;
    d.set_item("physical", bits(PHYSICAL))?;
    d.set_item("exceeds_plob", bits(EXCEEDS_PLOB))?;
    d.set_item("silent", bits(SILENT))?;
    d.set_item("approximation_valid", (settings.model() == Model::Asymptotic).then(|| bits(APPROX_VALID)))?;
    let (sum, clipped): (Vec<f64>, Vec<f64>) = out.sums.chunks(2).map(|s| (s[0], s[1])).unzip();
    d.set_item("interference", arr2(out.vi))?;
    d.set_item("other_excess_noise", arr2(out.xk))?;
    d.set_item("mutual_information", arr2(out.mi))?;
    d.set_item("holevo", arr2(out.chi))?;
    d.set_item("secret_key_rate", arr2(out.skr))?;
    d.set_item("plob_bound", arr2(out.plob))?;
    d.set_item("sum_secret_key_rate", sum.into_pyarray(py))?;
    d.set_item("sum_secret_key_rate_clipped", clipped.into_pyarray(py))?;
    d.set_item("joint_channel_physical", out.joint.into_pyarray(py))?;
    d.set_item("warnings", py.None())?;
    Ok(d)
}

/// `field`, `field[i]` or `field[i, j]` for element `index` of an array.
fn element_name(field: &str, shape: &[usize], flat: usize) -> String {
    if shape.is_empty() {
        return field.to_string();
    }
    let mut idx = vec![0usize; shape.len()];
    let mut rest = flat;
    for d in (0..shape.len()).rev() {
        idx[d] = rest % shape[d].max(1);
        rest /= shape[d].max(1);
    }
    let parts: Vec<String> = idx.iter().map(|i| i.to_string()).collect();
    format!("{field}[{}]", parts.join(", "))
}

/// Check every element with `ok`; name the first bad one (row-major order).
fn check_elements(field: &str, a: &ArrayViewD<'_, f64>, ok: impl Fn(f64) -> bool, allowed: &str) -> PyResult<()> {
    for (flat, &x) in a.iter().enumerate() {
        if !ok(x) {
            return Err(value_error(format!(
                "{}: {x} is not allowed; expected {allowed}",
                element_name(field, a.shape(), flat)
            )));
        }
    }
    Ok(())
}

fn map_array<'py>(
    py: Python<'py>,
    a: &ArrayViewD<'_, f64>,
    f: impl Fn(f64) -> f64 + Sync,
) -> Bound<'py, numpy::PyArrayDyn<f64>> {
    let out: ArrayD<f64> = a.map(|&x| f(x));
    out.into_pyarray(py)
}

/// Optical power (dBm) → modulation variance (SNU), V_A = 2P/(E_ph·R_s) (SPEC §5).
#[pyfunction]
#[pyo3(signature = (power_dbm, wavelength_m, symbol_rate_baud))]
fn dbm_to_variance<'py>(
    py: Python<'py>,
    power_dbm: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    wavelength_m: f64,
    symbol_rate_baud: f64,
) -> PyResult<Bound<'py, numpy::PyArrayDyn<f64>>> {
    validate_conversion(wavelength_m, symbol_rate_baud).map_err(value_error)?;
    let p = power_dbm.as_array();
    check_elements("power_dbm", &p, |x| !(x.is_nan() || x == f64::INFINITY), "a finite number (or -inf for silent)")?;
    Ok(map_array(py, &p, |x| nomaqkd::dbm_to_variance(x, wavelength_m, symbol_rate_baud)))
}

/// Modulation variance (SNU) → optical power (dBm), inverse of `dbm_to_variance` (SPEC §5).
#[pyfunction]
#[pyo3(signature = (modulation_variance, wavelength_m, symbol_rate_baud))]
fn variance_to_dbm<'py>(
    py: Python<'py>,
    modulation_variance: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    wavelength_m: f64,
    symbol_rate_baud: f64,
) -> PyResult<Bound<'py, numpy::PyArrayDyn<f64>>> {
    validate_conversion(wavelength_m, symbol_rate_baud).map_err(value_error)?;
    let v = modulation_variance.as_array();
    check_elements("modulation_variance", &v, |x| x.is_finite() && x >= 0.0, "a finite number >= 0 (0 = silent)")?;
    Ok(map_array(py, &v, |x| nomaqkd::variance_to_dbm(x, wavelength_m, symbol_rate_baud)))
}

/// Distance (m) → transmittance, SPEC §6.
#[pyfunction]
#[pyo3(signature = (distance_m, convention, detector_efficiency, tx_aperture_m, rx_aperture_m, wavelength_m,
    divergence_rad, attenuation_db_per_km, fading))]
#[allow(clippy::too_many_arguments)]
fn transmittance_from_distance<'py>(
    py: Python<'py>,
    distance_m: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    convention: &str,
    detector_efficiency: f64,
    tx_aperture_m: f64,
    rx_aperture_m: f64,
    wavelength_m: f64,
    divergence_rad: f64,
    attenuation_db_per_km: f64,
    fading: f64,
) -> PyResult<Bound<'py, numpy::PyArrayDyn<f64>>> {
    let convention: Convention = convention.parse().map_err(value_error)?;
    // Same check (and message) as the CLI's --detector-efficiency.
    Receiver::new(
        Receiver::DEFAULT_DETECTOR_NOISE_SNU,
        detector_efficiency,
        Receiver::DEFAULT_RECONCILIATION_EFFICIENCY,
    )
    .map_err(value_error)?;
    let geometry = LinkGeometry::new(tx_aperture_m, rx_aperture_m, wavelength_m, divergence_rad, attenuation_db_per_km)
        .map_err(value_error)?;
    if !(fading.is_finite() && fading > 0.0) {
        return Err(value_error(format!(
            "fading: {fading} is not allowed; expected a finite number > 0 (1 = no fading)"
        )));
    }
    let d = distance_m.as_array();
    check_elements("distance_m", &d, |x| x.is_finite() && x > 0.0, "a finite number > 0 (metres)")?;
    Ok(map_array(py, &d, |x| {
        nomaqkd::transmittance_from_distance(&geometry, x, convention, detector_efficiency, fading)
    }))
}

/// Raise a Rust panic, to test that it surfaces as `pyo3_runtime.PanicException`
/// and never aborts the interpreter. `in_worker` panics inside a rayon worker
/// thread with the GIL released, as the batched path would.
#[pyfunction]
#[pyo3(signature = (in_worker = false))]
fn _panic_for_tests(py: Python<'_>, in_worker: bool) -> i64 {
    if in_worker {
        py.detach(|| {
            (0..4i64)
                .into_par_iter()
                .map(|i| if i == 3 { panic!("deliberate panic for tests (worker)") } else { i })
                .sum()
        })
    } else {
        panic!("deliberate panic for tests")
    }
}

/// The compiled core of the `nomaqkd` Python package.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(rates_single, m)?)?;
    m.add_function(wrap_pyfunction!(rates_batch, m)?)?;
    m.add_function(wrap_pyfunction!(dbm_to_variance, m)?)?;
    m.add_function(wrap_pyfunction!(variance_to_dbm, m)?)?;
    m.add_function(wrap_pyfunction!(transmittance_from_distance, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    m.add_function(wrap_pyfunction!(alloc_sweep::optimize_raw, m)?)?;
    m.add_function(wrap_pyfunction!(alloc_sweep::sweep_raw, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_EXCESS_NOISE_SNU", DEFAULT_EXCESS_NOISE_SNU)?;
    m.add("DEFAULT_DETECTOR_NOISE_SNU", Receiver::DEFAULT_DETECTOR_NOISE_SNU)?;
    m.add("DEFAULT_DETECTOR_EFFICIENCY", Receiver::DEFAULT_DETECTOR_EFFICIENCY)?;
    m.add("DEFAULT_RECONCILIATION_EFFICIENCY", Receiver::DEFAULT_RECONCILIATION_EFFICIENCY)?;
    m.add("DEFAULT_WAVELENGTH_M", nomaqkd::power::DEFAULT_WAVELENGTH_M)?;
    m.add("DEFAULT_SYMBOL_RATE_BAUD", nomaqkd::power::DEFAULT_SYMBOL_RATE_BAUD)?;
    Ok(())
}

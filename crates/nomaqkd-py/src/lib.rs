//! Python bindings of nomaqkd (module `nomaqkd._core`, wrapped by the pure-Python
//! package `nomaqkd`). No physics lives here: every number comes from the
//! `nomaqkd` crate (SPEC §2–§6); this layer converts numpy arrays, validates
//! with the library's own checks (so errors read as the CLI's) and runs the
//! batched form in parallel with the GIL released.

use nomaqkd::batch::{
    channels_into, row_sums_into, user_rates_into, ChannelColumns, ChannelScratch, NetworkChannels, NetworkRows,
    RateColumns,
};
use nomaqkd::power::validate_conversion;
use nomaqkd::rates::{
    broadcast, slot_fraction, validate_excess_noise, validate_modulation, validate_order, validate_transmittance,
    MAX_EXCESS_NOISE_SNU, MAX_MODULATION_VARIANCE_SNU,
};
use nomaqkd::{Access, Convention, InputError, LinkGeometry, Model, Network, RateReport, Receiver, Settings};
use numpy::ndarray::{ArrayD, ArrayView, ArrayView2, ArrayViewD};
use numpy::ndarray::{Dimension, IntoDimension, Ix1, Ix2};
use numpy::{
    AllowTypeChange, Element, IntoPyArray, PyArray, PyArrayLike2, PyArrayLikeDyn, PyArrayMethods, PyReadwriteArray,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use rayon::prelude::*;
use std::fmt::Display;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

mod alloc_sweep;
mod finite;
mod simulate;

/// Default excess noise ξ (SNU) of SPEC §11.1 (`--excess-noise`).
const DEFAULT_EXCESS_NOISE_SNU: f64 = 0.1;

fn value_error(e: impl Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// How often [`run_interruptible`] checks for signals (Ctrl-C) while the work runs.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// `work` run on a second thread while this one waits without the GIL and checks for
/// signals every [`SIGNAL_POLL`]. When a signal handler raises (KeyboardInterrupt on
/// Ctrl-C), the flag passed to `work` is set and `work` is waited for (it should then
/// stop soon); signals that arrive meanwhile are absorbed (their handlers run, their
/// exceptions are dropped), so none is left pending. Returns the first handler's
/// exception, if any, and `work`'s result. A panic in `work` goes on in this thread (and
/// so becomes a `PanicException`). Python runs signal handlers only in the main thread:
/// from another thread the call cannot be interrupted.
fn run_interruptible<T: Send>(py: Python<'_>, work: impl FnOnce(&AtomicBool) -> T + Send) -> (Option<PyErr>, T) {
    let cancel = AtomicBool::new(false);
    let mut interrupted = None;
    let outcome = std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel();
        let cancel = &cancel;
        let worker = s.spawn(move || {
            let _ = tx.send(work(cancel));
        });
        let mut rx = rx;
        loop {
            // (The receiver goes into the GIL-free closure and back: it is Send, not Sync.)
            let (received, back) = py.detach(move || (rx.recv_timeout(SIGNAL_POLL), rx));
            rx = back;
            match received {
                Ok(outcome) => return outcome,
                Err(RecvTimeoutError::Timeout) => {
                    if let Err(e) = py.check_signals() {
                        cancel.store(true, Ordering::SeqCst);
                        interrupted.get_or_insert(e);
                    }
                }
                // The worker ended without sending: it panicked; the panic goes on here.
                Err(RecvTimeoutError::Disconnected) => match worker.join() {
                    Err(panic) => std::panic::resume_unwind(panic),
                    Ok(()) => unreachable!("the worker sends before it ends"),
                },
            }
        }
    });
    (interrupted, outcome)
}

/// The exception of an interrupted call ([`run_interruptible`]), with the error the work
/// returned after the interrupt, if any, as its `__cause__`; else the work's result.
fn interrupt_or<T>(py: Python<'_>, interrupted: Option<PyErr>, outcome: PyResult<T>) -> PyResult<T> {
    match (interrupted, outcome) {
        (None, outcome) => outcome,
        (Some(interrupt), Ok(_)) => Err(interrupt),
        (Some(interrupt), Err(error)) => {
            interrupt.set_cause(py, Some(error));
            Err(interrupt)
        }
    }
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
fn rates_single<'py>(py: Python<'py>, scenario: ScenarioArgs<'py>) -> PyResult<Bound<'py, PyDict>> {
    let SingleScenario { settings, network, modulation_variance: v, order } = SingleScenario::from_args(scenario)?;
    let report = nomaqkd::evaluate(&settings, &network, &order, &v).map_err(value_error)?;
    report_to_dict(py, report)
}

/// The arguments of `nomaqkd.rates` up to `time_sharing`, one tuple from Python, shared
/// by the single-scenario functions (`rates_single`, `finite_rates_single`,
/// `simulate_single`): transmittance, modulation_variance, excess_noise (numbers or 1-D
/// arrays), detector_noise, detector_efficiency, reconciliation_efficiency, convention,
/// model, access, order, literal_eq6, time_sharing.
#[derive(FromPyObject)]
pub(crate) struct ScenarioArgs<'py>(
    PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    f64,
    f64,
    f64,
    String,
    String,
    String,
    Option<Bound<'py, PyAny>>,
    bool,
    bool,
);

/// One scenario of K users from [`ScenarioArgs`], validated in the CLI's order.
struct SingleScenario {
    settings: Settings,
    network: Network,
    modulation_variance: Vec<f64>,
    order: Vec<usize>,
}

impl SingleScenario {
    fn from_args(args: ScenarioArgs<'_>) -> PyResult<Self> {
        let ScenarioArgs(
            transmittance,
            modulation_variance,
            excess_noise,
            detector_noise,
            detector_efficiency,
            reconciliation_efficiency,
            convention,
            model,
            access,
            order,
            literal_eq6,
            time_sharing,
        ) = args;
        let settings = settings_from(
            detector_noise,
            detector_efficiency,
            reconciliation_efficiency,
            &convention,
            &model,
            &access,
            literal_eq6,
            time_sharing,
        );
        let settings = settings.map_err(value_error)?;
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
        let v =
            broadcast("modulation_variance", view_to_vec(&modulation_variance.as_array()), k).map_err(value_error)?;
        validate_modulation(settings.convention(), &v, k).map_err(value_error)?;
        let order = match parse_order(order.as_ref())? {
            OrderArg::Gain | OrderArg::Best => network.gain_order(),
            OrderArg::Explicit(o) => {
                validate_order(&o, k).map_err(value_error)?;
                o
            }
        };
        Ok(Self { settings, network, modulation_variance: v, order })
    }
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

/// Rows per work item of the batched evaluation: large enough that the columns kernel
/// runs long vector loops (64·K users), small enough that a chunk's columns stay in the
/// L2 cache and the work spreads over the threads.
const CHUNK_ROWS: usize = 64;

/// Inputs of the batched evaluation, all (N, K) views.
struct BatchIn<'a> {
    t: ArrayView2<'a, f64>,
    v: ArrayView2<'a, f64>,
    xi: ArrayView2<'a, f64>,
}

/// Per-thread buffers of one chunk (rows·K users), reused from chunk to chunk: the
/// inputs when they are not contiguous in the caller's arrays, the channel columns, and
/// the outputs that were not requested (the kernel writes all of them).
#[derive(Default)]
struct Scratch {
    t: Vec<f64>,
    v: Vec<f64>,
    xi: Vec<f64>,
    literal: Vec<MaybeUninit<f64>>,
    vi: Vec<MaybeUninit<f64>>,
    xk: Vec<MaybeUninit<f64>>,
    exceeds: Vec<MaybeUninit<bool>>,
    approx: Vec<MaybeUninit<bool>>,
    bookkeeping: ChannelScratch,
}

/// `out` if it was requested (non-empty), else `len` elements of `scratch` (grown if
/// needed), both to be written whole by the callee.
fn or_scratch<'a, T: Copy>(
    out: &'a mut [MaybeUninit<T>],
    scratch: &'a mut Vec<MaybeUninit<T>>,
    len: usize,
) -> &'a mut [MaybeUninit<T>] {
    if out.is_empty() {
        if scratch.len() < len {
            scratch.resize(len, MaybeUninit::uninit());
        }
        &mut scratch[..len]
    } else {
        out
    }
}

/// The values of an output column that the library's batch functions have written
/// whole.
///
/// # Safety
/// Every element of `column` must have been written: true of each output of
/// `channels_into`, `user_rates_into` and `row_sums_into` once they return, whatever the
/// input values (their contract, `nomaqkd::batch::OutColumn`: `channels_into` panics on
/// an explicit order that is not a permutation and sorts when counted ranks are not one,
/// e.g. for NaN T; tests/batch.rs fills the outputs with two sentinels and compares), with
/// `decode_position` and `order` written only under `noma`, where they are created.
#[allow(unsafe_code)]
unsafe fn written<T>(column: &[MaybeUninit<T>]) -> &[T] {
    // SAFETY: every element is initialized (the caller's contract), and `MaybeUninit<T>`
    // has the layout of `T`.
    unsafe { &*(column as *const [MaybeUninit<T>] as *const [T]) }
}

/// Rows `first..first + rows` of an (N, K) input as one contiguous slice: borrowed when
/// the array is contiguous, else copied into `buf` (a broadcast scalar is filled in, a
/// broadcast or contiguous row copied whole).
fn rows_of<'a>(a: &'a ArrayView2<'_, f64>, first: usize, rows: usize, buf: &'a mut Vec<f64>) -> &'a [f64] {
    let k = a.ncols();
    if let Some(all) = a.as_slice() {
        return &all[first * k..(first + rows) * k];
    }
    buf.clear();
    if a.strides() == [0, 0] && !a.is_empty() {
        buf.resize(rows * k, a[[0, 0]]);
        return buf;
    }
    for r in 0..rows {
        let row = a.row(first + r);
        match row.as_slice() {
            Some(values) => buf.extend_from_slice(values),
            None => buf.extend(row.iter().copied()),
        }
    }
    buf
}

/// Evaluate rows `first..` (as many as `out.joint` holds) into `out` (SPEC §3–§4): a
/// vectorizable check of the whole chunk (the library's validators run, row by row in
/// the CLI's order, only to name a bad row), per row the SIC order and interference
/// bookkeeping (`for_each_user_channel_of`), then one call of the columns kernel for the
/// whole chunk (`nomaqkd::batch::user_rates_into`), then the per-row sums.
#[inline(always)]
#[allow(unsafe_code)]
fn eval_chunk(
    settings: &Settings,
    input: &BatchIn<'_>,
    explicit: Option<&[usize]>,
    first: usize,
    s: &mut Scratch,
    out: OutSlices<'_>,
) -> Result<(), (usize, String)> {
    let k = input.t.ncols();
    let rows = out.joint.len();
    let nk = rows * k;
    let Scratch { t: t_buf, v: v_buf, xi: xi_buf, literal, vi, xk, exceeds, approx, bookkeeping } = s;
    let t_all = rows_of(&input.t, first, rows, t_buf);
    let v_all = rows_of(&input.v, first, rows, v_buf);
    let xi_all = rows_of(&input.xi, first, rows, xi_buf);
    let paper = settings.convention() == Convention::Paper;
    let ok_t = t_all.iter().fold(true, |ok, &x| ok & (x > 0.0) & (x < 1.0));
    let ok_xi = xi_all.iter().fold(true, |ok, &x| ok & (0.0..=MAX_EXCESS_NOISE_SNU).contains(&x));
    let ok_v = v_all
        .iter()
        .fold(true, |ok, &x| ok & (0.0..=MAX_MODULATION_VARIANCE_SNU).contains(&x) & !(paper & (x > 0.0) & (x < 1.0)));
    if !(ok_t && ok_xi && ok_v) {
        for r in 0..rows {
            let n = first + r;
            let cols = r * k..(r + 1) * k;
            let bad = |e: InputError| (n, at_row(e, n));
            validate_transmittance(&t_all[cols.clone()]).map_err(bad)?;
            validate_excess_noise(&xi_all[cols.clone()]).map_err(bad)?;
            validate_modulation(settings.convention(), &v_all[cols], k).map_err(bad)?;
        }
        // (The validators found nothing: the checks agree, so this is not reached; if it
        // were, evaluating is what the validators allow.)
    }
    let OutSlices { f64s, bools, ints, sum, clipped, joint, .. } = out;
    let [mi, chi, skr, plob, vi_out, xk_out] = f64s;
    let [physical, silent, exceeds_out, approx_out] = bools;
    let [decode_position, order] = ints;
    let vi = or_scratch(vi_out, vi, nk);
    let xk = or_scratch(xk_out, xk, nk);
    // Written whole by `channels_into` (0 unless --literal-eq6).
    let literal = or_scratch(&mut [], literal, nk);
    let network = NetworkRows { users: k, transmittance: t_all, modulation_variance: v_all, excess_noise: xi_all };
    let mut network_out = NetworkChannels {
        other_excess_noise: xk,
        interference: vi,
        literal_interference: literal,
        decode_position,
        order,
        joint_channel_physical: joint,
    };
    channels_into(settings, &network, explicit, bookkeeping, &mut network_out);
    let NetworkChannels { other_excess_noise: xk, interference: vi, literal_interference: literal, .. } = network_out;
    // SAFETY: `channels_into` has written these outputs whole.
    let (xk, vi, literal) = unsafe { (written(xk), written(vi), written(literal)) };
    let channels = ChannelColumns {
        transmittance: t_all,
        modulation_variance: v_all,
        excess_noise: xi_all,
        other_excess_noise: xk,
        interference: vi,
        literal_interference: literal,
    };
    let mut rates = RateColumns {
        mutual_information: mi,
        holevo: chi,
        secret_key_rate: skr,
        plob_bound: plob,
        physical,
        exceeds_plob: or_scratch(exceeds_out, exceeds, nk),
        silent,
        approximation_valid: or_scratch(approx_out, approx, nk),
    };
    user_rates_into(settings, &channels, &mut rates);
    // SAFETY: `user_rates_into` has written its outputs whole.
    let skr = unsafe { written(rates.secret_key_rate) };
    // Sums in input order, as `nomaqkd::rates::finish_report` forms them (`Iterator::sum`,
    // which starts from −0).
    let f = slot_fraction(settings, k);
    row_sums_into(k, skr, -0.0, |x| f * x, sum);
    row_sums_into(k, skr, -0.0, |x| f * x.max(0.0), clipped);
    Ok(())
}

/// [`eval_chunk`] compiled for the widest vectors the CPU has.
///
/// `eval_chunk` and the library's columns kernel (`nomaqkd::batch::user_rates_into`,
/// branch-free) are `#[inline(always)]`, so each wrapper below is a full copy compiled
/// with that instruction set: 8 f64 lanes with AVX-512, 4 with AVX2, 2 with the baseline
/// SSE2. The kernel's only fused operations are explicit `mul_add`s, which round once on
/// every target (an instruction with FMA, the C library's `fma` without), and Rust never
/// contracts a·b + c on its own, so every copy gives bit-identical results.
#[allow(unsafe_code)]
mod simd {
    use super::{eval_chunk as chunk, BatchIn, OutSlices, Scratch};
    use nomaqkd::Settings;

    type Out = Result<(), (usize, String)>;

    pub(crate) fn eval_chunk(
        settings: &Settings,
        input: &BatchIn<'_>,
        explicit: Option<&[usize]>,
        first: usize,
        s: &mut Scratch,
        out: OutSlices<'_>,
    ) -> Out {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("fma") {
                // SAFETY: the CPU supports AVX-512F and FMA, the features the callee enables.
                return unsafe { avx512(settings, input, explicit, first, s, out) };
            }
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                // SAFETY: the CPU supports AVX2 (and so AVX) and FMA, the features the callee enables.
                return unsafe { avx2(settings, input, explicit, first, s, out) };
            }
        }
        chunk(settings, input, explicit, first, s, out)
    }

    /// `$name`: [`super::eval_chunk`] compiled with the target features `$features`.
    macro_rules! compiled_with {
        ($name:ident, $features:literal) => {
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = $features)]
            unsafe fn $name(
                settings: &Settings,
                input: &BatchIn<'_>,
                explicit: Option<&[usize]>,
                first: usize,
                s: &mut Scratch,
                out: OutSlices<'_>,
            ) -> Out {
                chunk(settings, input, explicit, first, s, out)
            }
        };
    }
    compiled_with!(avx512, "avx512f,fma");
    compiled_with!(avx2, "avx2,fma");
}

/// Output slices of the batched evaluation, row-major: the whole (N, K) and (N,) arrays,
/// or one work item's share of them (`CHUNK_ROWS` rows, fewer in the last). The
/// `details` ones are empty when not requested. The elements are [`Slot`]s, then, in a
/// worker, `&mut [MaybeUninit<T>]` to be written whole.
struct OutSlices<'a, F = &'a mut [MaybeUninit<f64>], B = &'a mut [MaybeUninit<bool>], I = &'a mut [MaybeUninit<i64>]> {
    /// mi, chi, skr, plob, interference, other_excess_noise.
    f64s: [F; 6],
    /// physical, silent, exceeds_plob, approximation_valid.
    bools: [B; 4],
    /// decode_position, order.
    ints: [I; 2],
    sum: F,
    clipped: F,
    joint: B,
    _lifetime: std::marker::PhantomData<&'a ()>,
}

/// Output slices before a worker has initialized them.
type SlotOut<'a> = OutSlices<'a, Slot<'a, f64>, Slot<'a, bool>, Slot<'a, i64>>;

/// One output slice: a new array's elements, not written yet, or the elements of one of
/// the caller's `out=` arrays (initialized numpy values).
enum Slot<'a, T> {
    New(&'a mut [MaybeUninit<T>]),
    Reused(&'a mut [T]),
}

impl<'a, T: Copy> Slot<'a, T> {
    /// The slot cut into `items` pieces of `chunk` elements (see [`pieces`]).
    fn pieces(self, chunk: usize, items: usize) -> std::vec::IntoIter<Slot<'a, T>> {
        match self {
            Slot::New(s) => pieces(s, chunk, items).map(Slot::New).collect::<Vec<_>>().into_iter(),
            Slot::Reused(s) => pieces(s, chunk, items).map(Slot::Reused).collect::<Vec<_>>().into_iter(),
        }
    }

    /// The elements, to be written whole by the evaluation (no pass that sets a new
    /// array to zeros first: the evaluation's own stores are the first to touch it).
    ///
    /// # Safety
    /// Only values may be written through the slice (`MaybeUninit::write`, as the
    /// library's `OutColumn` does), never `MaybeUninit::uninit()` or a copy of unwritten
    /// memory: a reused array is the caller's initialized numpy array.
    #[allow(unsafe_code)]
    unsafe fn writable(self) -> &'a mut [MaybeUninit<T>] {
        match self {
            Slot::New(s) => s,
            // SAFETY: `MaybeUninit<T>` has the layout of `T`; by the caller's contract
            // only values are written, so the array stays initialized.
            Slot::Reused(s) => unsafe { &mut *(s as *mut [T] as *mut [MaybeUninit<T>]) },
        }
    }
}

impl<'a> SlotOut<'a> {
    /// Every slot writable ([`Slot::writable`]).
    ///
    /// # Safety
    /// As for [`Slot::writable`], for every slice.
    #[allow(unsafe_code)]
    unsafe fn writable(self) -> OutSlices<'a> {
        let OutSlices { f64s, bools, ints, sum, clipped, joint, _lifetime } = self;
        // SAFETY (each call): the caller's contract.
        unsafe {
            OutSlices {
                f64s: f64s.map(|s| s.writable()),
                bools: bools.map(|s| s.writable()),
                ints: ints.map(|s| s.writable()),
                sum: sum.writable(),
                clipped: clipped.writable(),
                joint: joint.writable(),
                _lifetime,
            }
        }
    }
}

/// A new C-contiguous numpy array of shape `dims` whose elements are not written yet.
#[allow(unsafe_code)]
fn new_uninit_array<'py, T: Element + Copy, D: Dimension>(
    py: Python<'py>,
    dims: impl IntoDimension<Dim = D>,
) -> Bound<'py, PyArray<T, D>> {
    // SAFETY: `T` is `Copy` (plain data, nothing to drop, so the array may be freed
    // unwritten); its elements are read only through `uninit_elements`, as
    // `MaybeUninit`, until written.
    unsafe { PyArray::<T, D>::new(py, dims, false) }
}

/// The elements of an array from [`new_uninit_array`], as `MaybeUninit` (read or drop
/// nothing through them before writing).
///
/// # Safety
/// No other reference to the array's data may exist while the slice lives (the array is
/// new and not yet visible to Python code).
// `&self` to `&mut`: the same contract as numpy's `as_slice_mut(&self)` (unsafe; the
// caller guarantees exclusive access).
#[allow(unsafe_code, clippy::mut_from_ref)]
unsafe fn uninit_elements<'a, T: Element, D: Dimension>(a: &'a Bound<'_, PyArray<T, D>>) -> &'a mut [MaybeUninit<T>] {
    let len = numpy::PyUntypedArrayMethods::len(a);
    if len == 0 {
        return &mut [];
    }
    // SAFETY: a new array from `new_uninit_array` is C-contiguous with `len` elements of
    // `T` at `data()` (non-null, aligned); the caller guarantees exclusive access.
    unsafe { std::slice::from_raw_parts_mut(a.data().cast::<MaybeUninit<T>>(), len) }
}

/// `slice` cut into `items` pieces of `chunk` elements (the last shorter); an empty
/// slice (an output not requested) gives `items` empty pieces.
fn pieces<T>(slice: &mut [T], chunk: usize, items: usize) -> std::vec::IntoIter<&mut [T]> {
    let mut parts: Vec<&mut [T]> = slice.chunks_mut(chunk).collect();
    parts.resize_with(items, Default::default);
    parts.into_iter()
}

/// Evaluate all rows into `out` in parallel (work items of [`CHUNK_ROWS`] rows).
fn run_batch(
    settings: &Settings,
    input: &BatchIn<'_>,
    explicit: Option<&[usize]>,
    out: SlotOut<'_>,
) -> Result<(), String> {
    let (n, k) = input.t.dim();
    let c = CHUNK_ROWS * k;
    let items = n.div_ceil(CHUNK_ROWS);
    let OutSlices { f64s, bools, ints, sum, clipped, joint, .. } = out;
    let mut f = f64s.map(|col| col.pieces(c, items));
    let mut b = bools.map(|col| col.pieces(c, items));
    let mut i = ints.map(|col| col.pieces(c, items));
    let (mut sum, mut clipped, mut joint) =
        (sum.pieces(CHUNK_ROWS, items), clipped.pieces(CHUNK_ROWS, items), joint.pieces(CHUNK_ROWS, items));
    let one = "one piece per work item";
    let work: Vec<SlotOut<'_>> = (0..items)
        .map(|_| OutSlices {
            f64s: std::array::from_fn(|j| f[j].next().expect(one)),
            bools: std::array::from_fn(|j| b[j].next().expect(one)),
            ints: std::array::from_fn(|j| i[j].next().expect(one)),
            sum: sum.next().expect(one),
            clipped: clipped.next().expect(one),
            joint: joint.next().expect(one),
            _lifetime: std::marker::PhantomData,
        })
        .collect();
    let first_error = work
        .into_par_iter()
        .enumerate()
        .map_init(Scratch::default, |s, (item, piece)| {
            // SAFETY: `eval_chunk` writes outputs only through the library's batch
            // functions (values, via `OutColumn`) and reads back only what they wrote.
            #[allow(unsafe_code)]
            let piece = unsafe { piece.writable() };
            simd::eval_chunk(settings, input, explicit, item * CHUNK_ROWS, s, piece)
        })
        .filter_map(Result::err)
        .min_by_key(|(row, _)| *row);
    match first_error {
        Some((_, e)) => Err(e),
        None => Ok(()),
    }
}

/// A byte range [start, end) of memory.
type Span = (usize, usize);

/// The bytes an array view can touch (every element, whatever its strides); `None` if it
/// has no elements.
fn byte_span<T, D: Dimension>(a: &ArrayView<'_, T, D>) -> Option<Span> {
    if a.is_empty() {
        return None;
    }
    let size = std::mem::size_of::<T>() as isize;
    let base = a.as_ptr() as isize;
    let (mut lo, mut hi) = (base, base);
    for (&len, &stride) in a.shape().iter().zip(a.strides()) {
        let extent = (len as isize - 1) * stride * size;
        if extent < 0 {
            lo += extent;
        } else {
            hi += extent;
        }
    }
    Some((lo as usize, (hi + size) as usize))
}

/// Refuse `out=` arrays whose memory overlaps another output's or an input's (numpy's
/// borrow tracking sees overlap only between views of the same base object; two
/// `np.frombuffer` views of one buffer escape it). Conservative, like
/// `np.may_share_memory`: overlapping byte ranges count.
fn check_separate(outputs: &[(String, Span)], inputs: &[(&str, Option<Span>)]) -> PyResult<()> {
    let overlap = |a: Span, b: Span| a.0 < b.1 && b.0 < a.1;
    for (j, (name, span)) in outputs.iter().enumerate() {
        let others = outputs[..j].iter().map(|(m, s)| (m.as_str(), Some(*s))).chain(inputs.iter().copied());
        for (other, other_span) in others {
            if other_span.is_some_and(|o| overlap(*span, o)) {
                return Err(value_error(format!(
                    "{name}: shares memory with {other}; expected output arrays separate from each other and from the inputs"
                )));
            }
        }
    }
    Ok(())
}

/// One output array of the batched call: new (unwritten), or the caller's from `out=`,
/// checked and borrowed for writing (numpy's borrow tracking then refuses an array that
/// overlaps an input or another output).
struct OutArray<'py, T: Element, D: Dimension> {
    array: Bound<'py, PyArray<T, D>>,
    reused: Option<PyReadwriteArray<'py, T, D>>,
}

impl<'py, T: Element + Copy, D: Dimension> OutArray<'py, T, D> {
    /// A new array of shape `dims`, or `out[name]` after checking that it is a writeable,
    /// C-contiguous array of `T` with that shape.
    fn new_or_reused(py: Python<'py>, out: Option<&Bound<'py, PyDict>>, name: &str, dims: D) -> PyResult<Self> {
        let Some(out) = out else {
            return Ok(OutArray { array: new_uninit_array::<T, D>(py, dims), reused: None });
        };
        let shape = format!("{:?}", dims.slice());
        let dtype = T::get_dtype(py).str()?.to_string();
        let expected = || {
            format!("expected a writeable C-contiguous {dtype} array of shape {shape} (the result of an earlier batched call with the same shape and settings)")
        };
        let item = out
            .get_item(name)?
            .filter(|item| !item.is_none())
            .ok_or_else(|| value_error(format!("out.{name}: missing; {}", expected())))?;
        let array = item
            .cast::<PyArray<T, D>>()
            .map_err(|_| value_error(format!("out.{name}: not allowed; {}", expected())))?
            .clone();
        if array.shape() != dims.slice() {
            return Err(value_error(format!("out.{name}: shape {:?} is not allowed; {}", array.shape(), expected())));
        }
        if !array.is_c_contiguous() {
            return Err(value_error(format!(
                "out.{name}: an array that is not C-contiguous is not allowed; {}",
                expected()
            )));
        }
        if (array.data() as usize) % std::mem::align_of::<T>() != 0 {
            return Err(value_error(format!(
                "out.{name}: an array whose data are not aligned for {dtype} is not allowed; {}",
                expected()
            )));
        }
        let guard = array.try_readwrite().map_err(|e| {
            let reason = e.to_string().replace("The given array is", "it is");
            value_error(format!("out.{name}: cannot be written: {reason} (read-only, or sharing memory with an input or another output)"))
        })?;
        Ok(OutArray { array, reused: Some(guard) })
    }

    /// The bytes of a reused array; `None` for a new or an empty one.
    fn span(&self) -> Option<Span> {
        self.reused.as_ref()?;
        let len = PyUntypedArrayMethods::len(&self.array);
        let start = self.array.data() as usize;
        (len > 0).then(|| (start, start + len * std::mem::size_of::<T>()))
    }

    /// The array (releasing the write borrow of a reused one).
    fn into_array(self) -> Bound<'py, PyArray<T, D>> {
        self.array
    }

    /// The elements: a reused array's as they are, a new array's as `MaybeUninit`
    /// (written by the workers before anything reads them).
    ///
    /// # Safety
    /// A new array must not be visible to Python code while the slot lives.
    #[allow(unsafe_code)]
    unsafe fn elements(&mut self) -> Slot<'_, T> {
        match &mut self.reused {
            Some(guard) => Slot::Reused(guard.as_slice_mut().expect("checked C-contiguous and aligned")),
            // SAFETY: the caller's contract; `&mut self` makes this the only slice.
            None => Slot::New(unsafe { uninit_elements(&self.array) }),
        }
    }
}

/// [`OutArray::elements`] of an optional array (an empty slot if none).
///
/// # Safety
/// As for [`OutArray::elements`].
#[allow(unsafe_code)]
unsafe fn elements_of<'a, T: Element + Copy, D: Dimension>(a: &'a mut Option<OutArray<'_, T, D>>) -> Slot<'a, T> {
    match a {
        // SAFETY: the caller's contract.
        Some(a) => unsafe { a.elements() },
        None => Slot::Reused(&mut []),
    }
}

/// Batched form: (N, K) arrays, rows evaluated in parallel (rayon) with the GIL released.
/// `details = false` leaves out the per-user diagnostics (interference, other excess
/// noise, exceeds_plob, approximation_valid, order, decode_position: `None`), halving
/// the output memory.
#[pyfunction]
#[pyo3(signature = (transmittance, modulation_variance, excess_noise, detector_noise, detector_efficiency,
    reconciliation_efficiency, convention, model, access, order, literal_eq6, time_sharing, details = true, out = None))]
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
    details: bool,
    out: Option<&Bound<'py, PyDict>>,
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
    // Outputs are new numpy arrays, left unwritten here (not `np.zeros`: a pass over up
    // to 68 B per user by this thread, with the GIL held), or the caller's `out=` arrays;
    // they are written in place by the workers with the GIL released, by the
    // evaluation's own stores (no pass that zeroes them first). Arrays not requested
    // (`details = false`) are not created.
    let noma = settings.access() == Access::Noma;
    let asymptotic = settings.model() == Model::Asymptotic;
    let nk = Ix2(n, k);
    let f64_names = [
        ("mutual_information", true),
        ("holevo", true),
        ("secret_key_rate", true),
        ("plob_bound", true),
        ("interference", details),
        ("other_excess_noise", details),
    ];
    let bool_names = [
        ("physical", true),
        ("silent", true),
        ("exceeds_plob", details),
        ("approximation_valid", details && asymptotic),
    ];
    let int_names = [("decode_position", details && noma), ("order", details && noma)];
    /// The arrays `names` marks as wanted (new, or from `out`), `None` for the others.
    fn arrays<'py, T: Element + Copy, const M: usize>(
        py: Python<'py>,
        out: Option<&Bound<'py, PyDict>>,
        names: [(&str, bool); M],
        dims: Ix2,
    ) -> PyResult<[Option<OutArray<'py, T, Ix2>>; M]> {
        let mut made = Vec::with_capacity(M);
        for (name, wanted) in names {
            made.push(if wanted { Some(OutArray::new_or_reused(py, out, name, dims)?) } else { None });
        }
        Ok(made.try_into().unwrap_or_else(|_| unreachable!("{M} names")))
    }
    let mut f64s = arrays::<f64, 6>(py, out, f64_names, nk)?;
    let mut bools = arrays::<bool, 4>(py, out, bool_names, nk)?;
    let mut ints = arrays::<i64, 2>(py, out, int_names, nk)?;
    let mut sum = OutArray::<f64, Ix1>::new_or_reused(py, out, "sum_secret_key_rate", Ix1(n))?;
    let mut clipped = OutArray::<f64, Ix1>::new_or_reused(py, out, "sum_secret_key_rate_clipped", Ix1(n))?;
    let mut joint = OutArray::<bool, Ix1>::new_or_reused(py, out, "joint_channel_physical", Ix1(n))?;
    if out.is_some() {
        fn spans_of<T: Element + Copy, const M: usize>(
            names: [(&'static str, bool); M],
            arrays: &[Option<OutArray<'_, T, Ix2>>; M],
        ) -> Vec<(String, Span)> {
            let mut spans = Vec::new();
            for ((name, _), a) in names.into_iter().zip(arrays) {
                spans.extend(a.as_ref().and_then(OutArray::span).map(|s| (format!("out.{name}"), s)));
            }
            spans
        }
        let mut spans = spans_of(f64_names, &f64s);
        spans.extend(spans_of(bool_names, &bools));
        spans.extend(spans_of(int_names, &ints));
        for (name, a) in [("sum_secret_key_rate", &sum), ("sum_secret_key_rate_clipped", &clipped)] {
            spans.extend(a.span().map(|s| (format!("out.{name}"), s)));
        }
        spans.extend(joint.span().map(|s| ("out.joint_channel_physical".to_owned(), s)));
        let inputs = [
            ("transmittance", byte_span(&input.t)),
            ("modulation_variance", byte_span(&input.v)),
            ("excess_noise", byte_span(&input.xi)),
        ];
        check_separate(&spans, &inputs)?;
    }
    {
        #[allow(unsafe_code)]
        // SAFETY: the slots end with this block; new arrays are not visible to Python
        // before they are returned.
        let out = unsafe {
            OutSlices {
                f64s: f64s.each_mut().map(|a| elements_of(a)),
                bools: bools.each_mut().map(|a| elements_of(a)),
                ints: ints.each_mut().map(|a| elements_of(a)),
                sum: sum.elements(),
                clipped: clipped.elements(),
                joint: joint.elements(),
                _lifetime: std::marker::PhantomData,
            }
        };
        py.detach(|| run_batch(&settings, &input, explicit.as_deref(), out)).map_err(value_error)?;
    }
    let [mi, chi, skr, plob, vi, xk] = f64s.map(|a| a.map(OutArray::into_array));
    let [physical, silent, exceeds, approx] = bools.map(|a| a.map(OutArray::into_array));
    let [pos, order] = ints.map(|a| a.map(OutArray::into_array));
    let (sum, clipped, joint) = (sum.into_array(), clipped.into_array(), joint.into_array());
    let d = PyDict::new(py);
    d.set_item("convention", settings.convention().as_str())?;
    d.set_item("model", settings.model().as_str())?;
    d.set_item("access", settings.access().as_str())?;
    d.set_item("order", order)?;
    d.set_item("decode_position", pos)?;
    d.set_item("slot_fraction", slot_fraction(&settings, k))?;
    d.set_item("physical", physical)?;
    d.set_item("exceeds_plob", exceeds)?;
    d.set_item("silent", silent)?;
    d.set_item("approximation_valid", approx)?;
    d.set_item("interference", vi)?;
    d.set_item("other_excess_noise", xk)?;
    d.set_item("mutual_information", mi)?;
    d.set_item("holevo", chi)?;
    d.set_item("secret_key_rate", skr)?;
    d.set_item("plob_bound", plob)?;
    d.set_item("sum_secret_key_rate", sum)?;
    d.set_item("sum_secret_key_rate_clipped", clipped)?;
    d.set_item("joint_channel_physical", joint)?;
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
    m.add_function(wrap_pyfunction!(finite::finite_rates_single, m)?)?;
    m.add("FINITE_DEFAULTS", finite::defaults(m.py())?)?;
    m.add_function(wrap_pyfunction!(simulate::simulate_single, m)?)?;
    m.add("SIMULATE_DEFAULTS", simulate::defaults(m.py())?)?;
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

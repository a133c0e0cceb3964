//! Power allocation (SPEC §7, §11.4: `nomaqkd optimize` incl. `--compare`) and
//! sweeps (`nomaqkd sweep`) for Python. No physics here: the solve is
//! `nomaqkd::alloc::optimize`; the policy/objective/count parsing, the JSON
//! warnings, the compare gains and the whole sweep (scenario parser, grid,
//! Monte Carlo, CSV) are the command line's own functions (crate
//! `nomaqkd-cli`, library target), so values and messages are the CLI's.

use crate::{
    interrupt_or, parse_order_arg, report_to_dict, run_interruptible, settings_from, value_error, view_to_vec, OrderArg,
};
use nomaqkd::alloc::{optimize, Allocation, OrderChoice, Policy, Problem};
use nomaqkd::rates::broadcast;
use nomaqkd::{dbm_to_variance, received_power_budget, LinkGeometry, Network, Settings};
use nomaqkd_cli::config::bad;
use nomaqkd_cli::optimize::{count, gain_percent, parse_objective, parse_policy, warnings};
use nomaqkd_cli::sweep::{cli_evaluator, run, RunOptions, SweepScenario};
use numpy::{AllowTypeChange, IntoPyArray, PyArrayLikeDyn};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use std::path::{Path, PathBuf};

/// One allocation as a dict: the fields of `nomaqkd optimize --format json`
/// (SPEC §11.4), per-user values as numpy arrays in input order.
fn allocation_to_dict<'py>(py: Python<'py>, a: &Allocation) -> PyResult<Bound<'py, PyDict>> {
    let d = report_to_dict(py, a.report.clone())?;
    let users = &a.report.users;
    d.set_item("transmittance", users.iter().map(|u| u.transmittance).collect::<Vec<f64>>().into_pyarray(py))?;
    d.set_item("modulation_variance", a.powers().into_pyarray(py))?;
    // Per user: `oma-best` gives all symbols to one user (slot 1) and none to the others.
    d.set_item("slot_fraction", users.iter().map(|u| u.slot_fraction).collect::<Vec<f64>>().into_pyarray(py))?;
    // The report's warnings plus the iteration-cap line, exactly as in the CLI JSON.
    d.set_item("warnings", warnings(a))?;
    d.set_item("policy", a.policy.as_str())?;
    d.set_item("objective", a.objective.as_str())?;
    d.set_item("budget", a.budget)?;
    d.set_item("status", a.status.as_str())?;
    d.set_item("iterations", a.iterations)?;
    d.set_item("objective_history", a.objective_history.clone().into_pyarray(py))?;
    d.set_item("kkt_residual", a.kkt_residual)?;
    d.set_item("active_users", a.active_users.iter().map(|&i| i as i64).collect::<Vec<i64>>().into_pyarray(py))?;
    d.set_item("search", a.search.as_str())?;
    Ok(d)
}

/// `optimize` (policy given) or `compare` (policy `None`), validated in the order of
/// `nomaqkd optimize` (crates/nomaqkd-cli/src/optimize.rs) so the first error is the CLI's.
#[pyfunction]
#[pyo3(signature = (transmittance, excess_noise, detector_noise, detector_efficiency, reconciliation_efficiency,
    convention, model, access, order, literal_eq6, time_sharing, bs_max_variance, bs_max_dbm, user_max_variance,
    policy, objective, starts, tolerance, max_iterations, wavelength_m, symbol_rate_baud))]
#[allow(clippy::too_many_arguments)]
pub fn optimize_raw<'py>(
    py: Python<'py>,
    transmittance: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
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
    bs_max_variance: Option<f64>,
    bs_max_dbm: Option<f64>,
    user_max_variance: Option<PyArrayLikeDyn<'py, f64, AllowTypeChange>>,
    policy: Option<&str>,
    objective: &str,
    starts: &str,
    tolerance: f64,
    max_iterations: &str,
    wavelength_m: f64,
    symbol_rate_baud: f64,
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
    // The CLI checks the geometry (wavelength) and then the conversion constants.
    LinkGeometry::new(0.1, 1.0, wavelength_m, 3e-3, 3.0).map_err(value_error)?;
    nomaqkd::power::validate_conversion(wavelength_m, symbol_rate_baud).map_err(value_error)?;
    for (name, a) in [("transmittance", Some(&transmittance)), ("excess_noise", Some(&excess_noise))]
        .into_iter()
        .chain([("user_max_variance", user_max_variance.as_ref())])
    {
        if let Some(a) = a {
            if a.as_array().ndim() > 1 {
                return Err(value_error(format!(
                    "{name}: a {}-D array is not allowed here; expected a number or a 1-D array of K values",
                    a.as_array().ndim()
                )));
            }
        }
    }
    let t = view_to_vec(&transmittance.as_array());
    Network::new(t.clone(), vec![0.0]).map_err(value_error)?;
    let network = Network::new(t, view_to_vec(&excess_noise.as_array())).map_err(value_error)?;
    let k = network.len();
    let order_choice = match parse_order_arg(order, true)? {
        OrderArg::Gain => OrderChoice::Gain,
        OrderArg::Best => OrderChoice::Best,
        OrderArg::Explicit(o) => {
            nomaqkd::rates::validate_order(&o, k).map_err(value_error)?;
            OrderChoice::Explicit(o)
        }
    };
    let vmax = match (bs_max_dbm, bs_max_variance) {
        (Some(_), Some(_)) => {
            return Err(value_error(bad(
                "--bs-max-dbm: given together with --bs-max-variance; expected exactly one of them",
            )))
        }
        (None, None) => {
            return Err(value_error(bad("--bs-max-variance: missing; expected --bs-max-dbm or --bs-max-variance")))
        }
        (Some(d), None) => {
            if !d.is_finite() {
                return Err(value_error(format!("--bs-max-dbm: {d} is not allowed; expected a finite number (dBm)")));
            }
            dbm_to_variance(d, wavelength_m, symbol_rate_baud)
        }
        (None, Some(v)) => v,
    };
    let d2 = settings.receiver().detector_noise_snu();
    let budget = received_power_budget(&network, vmax, d2).map_err(value_error)?;
    let mut problem = Problem::new(&settings, &network, budget).map_err(value_error)?;
    if let Some(c) = &user_max_variance {
        problem.user_max_variance =
            broadcast("user_max_variance", view_to_vec(&c.as_array()), k).map_err(value_error)?;
    }
    problem.policy = match policy {
        Some(p) => parse_policy(p).map_err(value_error)?,
        None => Policy::Global,
    };
    problem.objective = parse_objective(objective).map_err(value_error)?;
    problem.starts = count("--starts", starts).map_err(value_error)?;
    problem.max_iterations = count("--max-iterations", max_iterations).map_err(value_error)?;
    problem.tolerance = tolerance;
    problem.order = order_choice;
    problem.validate(&settings, &network).map_err(value_error)?;

    let Some(_) = policy else {
        return compare(py, &settings, &network, &problem);
    };
    let a = py.detach(|| optimize(&settings, &network, &problem)).map_err(value_error)?;
    allocation_to_dict(py, &a)
}

/// The allocations of `compare` and the skipped policies with their reasons.
type Compared = (Vec<Allocation>, Vec<(Policy, String)>);

/// Every policy of `Policy::ALL` (the CLI's `--compare` order), `sca` skipped when
/// its budget check fails, gains in percent over `qoma` and `oma-best` (None when
/// the reference sum is 0), as in `nomaqkd optimize --compare --format json`.
fn compare<'py>(
    py: Python<'py>,
    settings: &Settings,
    network: &Network,
    problem: &Problem,
) -> PyResult<Bound<'py, PyDict>> {
    let result = py.detach(|| -> Result<Compared, nomaqkd::InputError> {
        let mut all = Vec::new();
        let mut skipped = Vec::new();
        for p in Policy::ALL {
            let mut pr = problem.clone();
            pr.policy = p;
            if p == Policy::Sca {
                if let Err(e) = pr.validate(settings, network) {
                    skipped.push((p, format!("skipped: {e}")));
                    continue;
                }
            }
            all.push(optimize(settings, network, &pr)?);
        }
        Ok((all, skipped))
    });
    let (all, skipped) = result.map_err(value_error)?;
    let sum = |p: Policy| all.iter().find(|a| a.policy == p).map_or(0.0, |a| a.report.sum_secret_key_rate_clipped);
    let (qoma, oma_best) = (sum(Policy::Qoma), sum(Policy::OmaBest));
    let policies = PyList::empty(py);
    let gq = PyDict::new(py);
    let gb = PyDict::new(py);
    for a in &all {
        policies.append(allocation_to_dict(py, a)?)?;
        let c = a.report.sum_secret_key_rate_clipped;
        gq.set_item(a.policy.as_str(), gain_percent(c, qoma).as_f64())?;
        gb.set_item(a.policy.as_str(), gain_percent(c, oma_best).as_f64())?;
    }
    let sk = PyDict::new(py);
    for (p, why) in skipped {
        sk.set_item(p.as_str(), why)?;
    }
    let d = PyDict::new(py);
    d.set_item("policies", policies)?;
    d.set_item("gain_over_qoma_percent", gq)?;
    d.set_item("gain_over_oma_best_percent", gb)?;
    d.set_item("skipped", sk)?;
    Ok(d)
}

/// A Python value of a scenario dict as TOML (`key` names it in messages).
fn to_toml(obj: &Bound<'_, PyAny>, key: &str) -> PyResult<toml::Value> {
    if obj.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(obj.extract()?));
    }
    if obj.is_instance_of::<PyInt>() {
        return obj.extract::<i64>().map(toml::Value::Integer).map_err(|_| {
            value_error(format!("scenario key `{key}`: {obj} is not allowed; expected an integer that fits in 64 bits"))
        });
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(obj.extract()?));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(toml::Value::String(s.to_string()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        return dict_to_table(d, key).map(toml::Value::Table);
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return obj.try_iter()?.map(|item| to_toml(&item?, key)).collect::<PyResult<Vec<_>>>().map(toml::Value::Array);
    }
    let shown = obj.repr().map(|r| r.to_string()).unwrap_or_default();
    Err(value_error(format!(
        "scenario key `{key}`: {shown} is not allowed; expected a number, string, bool, list or dict"
    )))
}

fn dict_to_table(d: &Bound<'_, PyDict>, prefix: &str) -> PyResult<toml::Table> {
    let mut t = toml::Table::new();
    for (k, v) in d.iter() {
        let k: String = k
            .extract()
            .map_err(|_| value_error(format!("scenario: key {k} of `{prefix}` is not allowed; expected a string")))?;
        let full = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        t.insert(k, to_toml(&v, &full)?);
    }
    Ok(t)
}

/// Run a sweep scenario (a TOML path, or a dict turned into TOML text) with the
/// CLI's parser and runner into `out_dir` (`<name>.csv`, `<name>.json`; no
/// progress bar, no plot), GIL released; `resume` continues an interrupted run there
/// (`--resume`). Returns the file paths and run facts.
///
/// The run goes on in a second thread ([`run_interruptible`]): on KeyboardInterrupt
/// (Ctrl-C) the workers stop taking points, as the CLI's do, the points in progress
/// finish and their rows are written, and the exception is raised once the run has
/// returned.
#[pyfunction]
#[pyo3(signature = (scenario, quick, out_dir, resume))]
pub fn sweep_raw<'py>(
    py: Python<'py>,
    scenario: &Bound<'py, PyAny>,
    quick: bool,
    out_dir: PathBuf,
    resume: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let sc = if let Ok(d) = scenario.cast::<PyDict>() {
        let text = dict_to_table(d, "")?.to_string();
        SweepScenario::parse(Path::new("<dict>"), &text, "sweep", quick)
    } else {
        let path: PathBuf = scenario.extract().map_err(|_| {
            PyValueError::new_err("scenario: expected a path to a TOML file (str or os.PathLike) or a dict")
        })?;
        SweepScenario::load(&path, quick)
    }
    .map_err(value_error)?;
    let evaluator = cli_evaluator(sc.solver);
    let (sc_ref, out_ref, evaluator_ref) = (&sc, &out_dir, &evaluator);
    let (interrupted, outcome) = run_interruptible(py, move |cancel| {
        let opts = RunOptions { resume, stop_after_rows: None, progress: false, cancel: Some(cancel) };
        run(sc_ref, out_ref, opts, evaluator_ref)
    });
    let outcome = outcome.map_err(|e| match e.downcast_ref::<nomaqkd_cli::config::InputError>() {
        Some(input) => value_error(input),
        None => PyOSError::new_err(format!("{e:#}")),
    });
    let summary = interrupt_or(py, interrupted, outcome)?;
    let d = PyDict::new(py);
    d.set_item("name", &sc.name)?;
    d.set_item("csv", summary.csv.to_string_lossy().to_string())?;
    d.set_item("metadata", summary.metadata.to_string_lossy().to_string())?;
    d.set_item("header", sc.header())?;
    d.set_item("complete", summary.complete)?;
    d.set_item("points", sc.grid.len())?;
    d.set_item("resumed_points", summary.resumed_points)?;
    d.set_item("computed_points", summary.computed_points)?;
    d.set_item("wall_seconds", summary.wall_seconds)?;
    d.set_item("evaluations", summary.evaluations)?;
    Ok(d)
}

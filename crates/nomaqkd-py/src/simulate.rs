//! `nomaqkd simulate` (SPEC §10, §11.5): the seeded quadrature-level Monte Carlo
//! for one scenario. The run is the command line's own
//! (`nomaqkd_cli::simulate::{execute, json_doc}`, over `nomaqkd::montecarlo`); this
//! file converts its JSON document to Python objects.

use crate::{run_interruptible, value_error, ScenarioArgs, SingleScenario};
use indicatif::ProgressBar;
use nomaqkd::montecarlo::{SicMode, Simulation, SimulationPlan};
use nomaqkd_cli::simulate::{count, default_counts, execute, json_doc, Cancelled, MAX_REPLICATES, MAX_SYMBOLS};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList};
use serde_json::Value;

/// The defaults of `symbols`, `replicates`, `coverage_replicates` and `sic`, as a dict.
pub(crate) fn defaults(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let (symbols, replicates, coverage_replicates) = default_counts();
    let d = PyDict::new(py);
    d.set_item("symbols", symbols)?;
    d.set_item("replicates", replicates)?;
    d.set_item("coverage_replicates", coverage_replicates)?;
    d.set_item("sic", SicMode::default().as_str())?;
    Ok(d)
}

/// A JSON value as Python objects: null → None, numbers → int (integers) or float,
/// arrays → list, objects → dict (keys in alphabetical order: serde_json's map).
fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => u.into_pyobject(py)?.into_any(),
            (None, Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, None, Some(f)) => f.into_pyobject(py)?.into_any(),
            (None, None, None) => unreachable!("a JSON number is u64, i64 or f64"),
        },
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let d = PyDict::new(py);
            for (key, item) in map {
                d.set_item(key, to_py(py, item)?)?;
            }
            d.into_any()
        }
    })
}

/// A count argument (a real number; `1e6` is accepted, as on the command line), checked
/// by the CLI's `count`, whose message shows the argument as `str()` prints it.
fn counted(field: &str, x: &Bound<'_, PyAny>, min: u64, max: f64) -> PyResult<u64> {
    let shown = x.str()?.to_string();
    let value = if x.is_instance_of::<PyBool>() { None } else { x.extract::<f64>().ok() };
    // Not a number: the range check below refuses NaN with the same message.
    count(field, value.unwrap_or(f64::NAN), &shown, min, max).map_err(value_error)
}

/// One scenario simulated: the document of `simulate --format json` as a dict. The
/// run releases the GIL.
#[pyfunction]
#[pyo3(signature = (scenario, symbols, replicates, sic, coverage_replicates, seed))]
pub(crate) fn simulate_single<'py>(
    py: Python<'py>,
    scenario: ScenarioArgs<'py>,
    symbols: &Bound<'py, PyAny>,
    replicates: &Bound<'py, PyAny>,
    sic: &str,
    coverage_replicates: &Bound<'py, PyAny>,
    seed: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let SingleScenario { settings, network, modulation_variance: v, order } = SingleScenario::from_args(scenario)?;
    let symbols = counted("symbols", symbols, 1, MAX_SYMBOLS)?;
    let replicates = counted("replicates", replicates, 1, MAX_REPLICATES)?;
    let coverage_replicates = counted("coverage_replicates", coverage_replicates, 0, MAX_REPLICATES)?;
    let sic: SicMode = sic.parse().map_err(value_error)?;
    let sim = Simulation::new(&settings, &network, &order, &v, seed).map_err(value_error)?;
    let plan = SimulationPlan { symbols, replicates, sic, coverage_replicates, ..SimulationPlan::default() };
    let (sim_ref, plan_ref) = (&sim, &plan);
    let (interrupted, outcome) =
        run_interruptible(py, move |cancel| execute(sim_ref, plan_ref, &ProgressBar::hidden(), Some(cancel)));
    if let Some(interrupt) = interrupted {
        return Err(interrupt);
    }
    // Without an interrupt the flag was never set, so the run was not cancelled.
    let report = outcome.map_err(|Cancelled| value_error("simulate: cancelled"))?;
    let doc = serde_json::to_value(json_doc(&settings, &sim, seed, &report)).map_err(value_error)?;
    to_py(py, &doc)
}

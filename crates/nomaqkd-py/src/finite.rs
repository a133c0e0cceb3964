//! Finite-size key rates (SPEC §9, §11.5): `nomaqkd rate --finite-size` for one
//! scenario. Validation and computation are the command line's own
//! (`nomaqkd_cli::finite_cli::{options_from, compute}`, which call
//! `nomaqkd::finite`); this file only converts the result to Python objects.

use crate::{report_to_dict, value_error, ScenarioArgs, SingleScenario};
use nomaqkd::finite::{FiniteSizeParams, FiniteUserRate, Security};
use nomaqkd_cli::finite_cli::{all_warnings, compute, options_from, search_description, FiniteValues, COMPOSABLE_NOTE};
use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The SPEC §9.2 defaults of the finite-size keyword arguments, as a dict (the
/// library's own defaults, so that the Python signature cannot drift from them).
pub(crate) fn defaults(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let p = FiniteSizeParams::builder().build().map_err(value_error)?;
    let d = PyDict::new(py);
    d.set_item("block_size", p.block_size())?;
    d.set_item("pe_fraction", p.pe_fraction())?;
    d.set_item("eps_pe", p.eps_pe())?;
    d.set_item("eps_smooth", p.eps_smooth())?;
    d.set_item("eps_pa", p.eps_pa())?;
    d.set_item("pe_samples_per_symbol", p.pe_samples_per_symbol())?;
    d.set_item("worst_case", p.worst_case().as_str())?;
    d.set_item("security", p.security().as_str())?;
    Ok(d)
}

/// A per-user column of optional values: NaN where the CLI's JSON has `null`.
fn or_nan(users: &[FiniteUserRate], f: impl Fn(&FiniteUserRate) -> Option<f64>) -> Vec<f64> {
    users.iter().map(|u| f(u).unwrap_or(f64::NAN)).collect()
}

/// Single scenario with finite-size rates: the dict of `rates_single` under
/// `"rate"`, plus the §9.5 fields (per-user arrays with NaN for the JSON's nulls),
/// the parameters used (`"finite_size"`, as the JSON's object) and all warnings.
#[pyfunction]
#[pyo3(signature = (scenario, block_size, pe_fraction, eps_pe, eps_smooth, eps_pa, pe_samples_per_symbol,
    worst_case, security, min_block_size))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn finite_rates_single<'py>(
    py: Python<'py>,
    scenario: ScenarioArgs<'py>,
    block_size: f64,
    pe_fraction: f64,
    eps_pe: f64,
    eps_smooth: f64,
    eps_pa: f64,
    pe_samples_per_symbol: i64,
    worst_case: String,
    security: String,
    min_block_size: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let SingleScenario { settings, network, modulation_variance: v, order } = SingleScenario::from_args(scenario)?;
    let values = FiniteValues {
        finite_size: true,
        block_size: Some(block_size),
        pe_fraction: Some(pe_fraction),
        eps_pe: Some(eps_pe),
        eps_smooth: Some(eps_smooth),
        eps_pa: Some(eps_pa),
        pe_samples_per_symbol: Some(u64::try_from(pe_samples_per_symbol).map_err(|_| {
            value_error(format!("pe_samples_per_symbol: {pe_samples_per_symbol} is not allowed; expected 1 or 2"))
        })?),
        worst_case: Some(worst_case),
        security: Some(security),
        min_block_size,
    };
    let options = options_from(values, &settings).map_err(value_error)?.expect("finite_size is on");
    let report = nomaqkd::evaluate(&settings, &network, &order, &v).map_err(value_error)?;
    let run = compute(&settings, &network, &order, &v, options).map_err(value_error)?;
    let warnings: Vec<String> = all_warnings(&report, &run).iter().map(|w| w.to_string()).collect();

    let d = PyDict::new(py);
    let users = &run.report.users;
    d.set_item("rate", report_to_dict(py, report)?)?;
    d.set_item("finite_secret_key_rate", or_nan(users, |u| u.finite_secret_key_rate).into_pyarray(py))?;
    d.set_item("finite_holevo", or_nan(users, |u| u.finite_holevo).into_pyarray(py))?;
    let corners: Vec<Option<&str>> = users.iter().map(|u| u.pe_worst_corner.map(|c| c.as_str())).collect();
    d.set_item("pe_worst_corner", corners)?;
    d.set_item("pe_transmittance_min", or_nan(users, |u| u.pe_transmittance_min).into_pyarray(py))?;
    d.set_item("pe_transmittance_max", or_nan(users, |u| u.pe_transmittance_max).into_pyarray(py))?;
    d.set_item("pe_excess_noise_max", or_nan(users, |u| u.pe_excess_noise_max).into_pyarray(py))?;
    d.set_item("pe_noise_variance_max", or_nan(users, |u| u.pe_noise_variance_max).into_pyarray(py))?;
    d.set_item("finite_size_penalty", or_nan(users, |u| u.finite_size_penalty).into_pyarray(py))?;
    let inconclusive: Vec<bool> = users.iter().map(|u| u.estimation_inconclusive).collect();
    d.set_item("estimation_inconclusive", inconclusive.into_pyarray(py))?;
    d.set_item("eps_total", or_nan(users, |u| u.eps_total).into_pyarray(py))?;
    let physical: Vec<bool> = users.iter().map(|u| u.finite_physical).collect();
    d.set_item("finite_physical", physical.into_pyarray(py))?;
    let p = &run.options.params;
    let composable = p.security() == Security::Composable;
    let composable_rates =
        composable.then(|| or_nan(users, |u| u.composable_secret_key_rate.flatten()).into_pyarray(py));
    d.set_item("composable_secret_key_rate", composable_rates)?;
    d.set_item("sum_finite_secret_key_rate", run.report.sum_finite_secret_key_rate)?;
    d.set_item("sum_finite_secret_key_rate_clipped", run.report.sum_finite_secret_key_rate_clipped)?;
    d.set_item("sum_composable_secret_key_rate", run.report.sum_composable.map(|c| c.0))?;
    d.set_item("sum_composable_secret_key_rate_clipped", run.report.sum_composable.map(|c| c.1))?;
    match &run.min_block {
        Some((per_user, sum)) => {
            let per_user: Vec<f64> = per_user.iter().map(|n| n.unwrap_or(f64::NAN)).collect();
            d.set_item("min_block_size", per_user.into_pyarray(py))?;
            d.set_item("min_block_size_sum", sum.unwrap_or(f64::NAN))?;
        }
        None => {
            d.set_item("min_block_size", py.None())?;
            d.set_item("min_block_size_sum", py.None())?;
        }
    }
    let echo = PyDict::new(py);
    echo.set_item("block_size", p.block_size())?;
    echo.set_item("pe_fraction", p.pe_fraction())?;
    echo.set_item("eps_pe", p.eps_pe())?;
    echo.set_item("eps_smooth", p.eps_smooth())?;
    echo.set_item("eps_pa", p.eps_pa())?;
    echo.set_item("pe_samples_per_symbol", p.pe_samples_per_symbol())?;
    echo.set_item("worst_case", p.worst_case().as_str())?;
    echo.set_item("security", p.security().as_str())?;
    echo.set_item("z", p.z())?;
    if composable {
        echo.set_item("composable_note", COMPOSABLE_NOTE)?;
    }
    if run.min_block.is_some() {
        echo.set_item("min_block_size_search", search_description())?;
    }
    d.set_item("finite_size", echo)?;
    d.set_item("warnings", warnings)?;
    Ok(d)
}

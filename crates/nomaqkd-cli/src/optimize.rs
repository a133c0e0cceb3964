//! `nomaqkd optimize`: power allocation, problem P1 (SPEC §7, §11.1, §11.4).

use crate::args::OptimizeArgs;
use crate::config::{bad, open_scenario, parse_f64, parse_list, parse_u64, resolve_common, Format, OrderSpec};
use crate::output;
use nomaqkd::alloc::{optimize, Allocation, Objective, OrderChoice, Policy, Problem, Status};
use nomaqkd::rates::broadcast;
use nomaqkd::{dbm_to_variance, received_power_budget};
use serde_json::{json, Map, Value};
use std::io::Write;

pub fn parse_policy(s: &str) -> Result<Policy, crate::config::InputError> {
    Policy::ALL.into_iter().find(|p| p.as_str() == s.trim()).ok_or_else(|| {
        bad(format!("--policy: `{s}` is not allowed; expected one of sca, global, qoma, qoma-opt, oma-best, uqpa, cih"))
    })
}

pub fn parse_objective(s: &str) -> Result<Objective, crate::config::InputError> {
    match s.trim() {
        "clipped" => Ok(Objective::Clipped),
        "raw" => Ok(Objective::Raw),
        _ => Err(bad(format!("--objective: `{s}` is not allowed; expected clipped or raw"))),
    }
}

pub fn count(field: &str, s: &str) -> Result<usize, crate::config::InputError> {
    let n = parse_u64(field, s)?;
    if n == 0 || n > 1_000_000 {
        return Err(bad(format!("{field}: `{s}` is not allowed; expected an integer in [1, 1000000]")));
    }
    Ok(n as usize)
}

/// The optimize object of SPEC §11.4: §11.3's fields plus the allocation's.
pub fn allocation_json(a: &Allocation) -> anyhow::Result<Value> {
    let mut obj: Map<String, Value> = match serde_json::to_value(&a.report)? {
        Value::Object(m) => m,
        _ => unreachable!("a report serializes to an object"),
    };
    if a.status == Status::MaxIterations {
        if let Some(Value::Array(w)) = obj.get_mut("warnings") {
            w.push(Value::String(cap_warning(a)));
        }
    }
    obj.insert("policy".into(), json!(a.policy.as_str()));
    obj.insert("objective".into(), json!(a.objective.as_str()));
    obj.insert("budget".into(), json!(a.budget));
    obj.insert("status".into(), json!(a.status.as_str()));
    obj.insert("iterations".into(), json!(a.iterations));
    obj.insert("objective_history".into(), json!(a.objective_history));
    obj.insert("kkt_residual".into(), json!(a.kkt_residual));
    obj.insert("active_users".into(), json!(a.active_users));
    obj.insert("search".into(), json!(a.search));
    Ok(Value::Object(obj))
}

fn cap_warning(a: &Allocation) -> String {
    format!(
        "policy {}: SCA stopped at the iteration cap ({} iterations) before the gain fell below the tolerance",
        a.policy, a.iterations
    )
}

pub fn warnings(a: &Allocation) -> Vec<String> {
    let mut w: Vec<String> = a.report.warnings.iter().map(|x| x.to_string()).collect();
    if a.status == Status::MaxIterations {
        w.push(cap_warning(a));
    }
    w
}

pub fn gain_percent(x: f64, base: f64) -> Value {
    if base > 0.0 {
        json!(100.0 * (x / base - 1.0))
    } else {
        Value::Null
    }
}

/// Run `optimize`, writing the result to `out`.
pub fn run(args: &OptimizeArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut file = open_scenario(&args.common)?;
    let common = resolve_common(&args.common, &mut file, true)?;
    macro_rules! key {
        ($method:ident, $key:literal) => {
            match file.as_mut() {
                Some(f) => f.$method($key)?,
                None => None,
            }
        };
    }
    let dbm_file = key!(take_f64, "bs_max_dbm");
    let var_file = key!(take_f64, "bs_max_variance");
    let caps_file = key!(take_list, "user_max_variance");
    let policy_file = key!(take_str, "policy");
    let objective_file = key!(take_str, "objective");
    let starts_file = key!(take_u64, "starts");
    let tol_file = key!(take_f64, "tolerance");
    let iter_file = key!(take_u64, "max_iterations");
    let compare_file = key!(take_bool, "compare");
    if let Some(f) = file {
        f.finish()?;
    }
    let dbm = match &args.bs_max_dbm {
        Some(s) => Some(parse_f64("--bs-max-dbm", s)?),
        None => dbm_file,
    };
    let var = match &args.bs_max_variance {
        Some(s) => Some(parse_f64("--bs-max-variance", s)?),
        None => var_file,
    };
    let vmax = match (dbm, var) {
        (Some(_), Some(_)) => {
            return Err(bad("--bs-max-dbm: given together with --bs-max-variance; expected exactly one of them").into())
        }
        (None, None) => {
            return Err(bad("--bs-max-variance: missing; expected --bs-max-dbm or --bs-max-variance").into())
        }
        (Some(d), None) => {
            if !d.is_finite() {
                return Err(bad(format!("--bs-max-dbm: {d} is not allowed; expected a finite number (dBm)")).into());
            }
            dbm_to_variance(d, common.geometry.wavelength_m(), common.symbol_rate_baud)
        }
        (None, Some(v)) => v,
    };
    let d2 = common.settings.receiver().detector_noise_snu();
    let budget = received_power_budget(&common.network, vmax, d2).map_err(crate::config::InputError::from)?;
    let k = common.network.len();
    let mut problem =
        Problem::new(&common.settings, &common.network, budget).map_err(crate::config::InputError::from)?;
    let caps = match &args.user_max_variance {
        Some(s) => Some(parse_list("--user-max-variance", s)?),
        None => caps_file,
    };
    if let Some(c) = caps {
        problem.user_max_variance = broadcast("user_max_variance", c, k).map_err(crate::config::InputError::from)?;
    }
    problem.policy = match &args.policy {
        Some(s) => parse_policy(s)?,
        None => policy_file.as_deref().map(parse_policy).transpose()?.unwrap_or(Policy::Global),
    };
    problem.objective = match &args.objective {
        Some(s) => parse_objective(s)?,
        None => objective_file.as_deref().map(parse_objective).transpose()?.unwrap_or(Objective::Clipped),
    };
    problem.starts = match &args.starts {
        Some(s) => count("--starts", s)?,
        None => starts_file.map(|n| count("--starts", &n.to_string())).transpose()?.unwrap_or(32),
    };
    problem.max_iterations = match &args.max_iterations {
        Some(s) => count("--max-iterations", s)?,
        None => iter_file.map(|n| count("--max-iterations", &n.to_string())).transpose()?.unwrap_or(100),
    };
    problem.tolerance = match &args.tolerance {
        Some(s) => parse_f64("--tolerance", s)?,
        None => tol_file.unwrap_or(1e-9),
    };
    problem.order = match &common.order_spec {
        OrderSpec::Gain => OrderChoice::Gain,
        OrderSpec::Explicit(o) => OrderChoice::Explicit(o.clone()),
        OrderSpec::Best => OrderChoice::Best,
    };
    let compare = args.compare || compare_file.unwrap_or(false);
    let validate = |p: &Problem| p.validate(&common.settings, &common.network).map_err(crate::config::InputError::from);
    validate(&problem)?;
    if !compare {
        let a = optimize(&common.settings, &common.network, &problem).map_err(crate::config::InputError::from)?;
        output::warnings_to_stderr(&warnings(&a));
        return match common.format {
            Format::Json => output::json(out, &allocation_json(&a)?),
            Format::Csv => output::rate_csv(out, &a.report),
            Format::Table => table(out, &a).map_err(Into::into),
        };
    }
    let mut all = Vec::new();
    let mut skipped = Map::new();
    for p in Policy::ALL {
        let mut pr = problem.clone();
        pr.policy = p;
        if p == Policy::Sca {
            // `sca` keeps every user active: a budget below V_min·Σ T cannot pay for that.
            if let Err(e) = pr.validate(&common.settings, &common.network) {
                let why = format!("skipped: {e}");
                eprintln!("warning: sca: {why}");
                skipped.insert(p.as_str().into(), Value::String(why));
                continue;
            }
        }
        all.push(optimize(&common.settings, &common.network, &pr).map_err(crate::config::InputError::from)?);
    }
    for a in &all {
        output::warnings_to_stderr(&warnings(a).iter().map(|w| format!("{}: {w}", a.policy)).collect::<Vec<_>>());
    }
    let sum = |p: Policy| all.iter().find(|a| a.policy == p).map_or(0.0, |a| a.report.sum_secret_key_rate_clipped);
    let (qoma, oma_best) = (sum(Policy::Qoma), sum(Policy::OmaBest));
    match common.format {
        Format::Json => {
            let mut gq = Map::new();
            let mut gb = Map::new();
            for a in &all {
                gq.insert(a.policy.as_str().into(), gain_percent(a.report.sum_secret_key_rate_clipped, qoma));
                gb.insert(a.policy.as_str().into(), gain_percent(a.report.sum_secret_key_rate_clipped, oma_best));
            }
            let policies = all.iter().map(allocation_json).collect::<anyhow::Result<Vec<_>>>()?;
            output::json(
                out,
                &json!({
                    "policies": policies,
                    "gain_over_qoma_percent": gq,
                    "gain_over_oma_best_percent": gb,
                    "skipped": skipped
                }),
            )
        }
        _ => {
            writeln!(out, "budget B = {} SNU, objective {}, K = {k}", output::num(budget), problem.objective.as_str())?;
            let mut header: Vec<String> = [
                "policy",
                "sum SKR clipped [bit/sym]",
                "sum SKR [bit/sym]",
                "vs qoma [%]",
                "vs oma-best [%]",
                "status",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            header.push("active users".into());
            header.extend((0..k).map(|i| format!("V_A,{i} [SNU]")));
            let pct = |v: Value| v.as_f64().map_or("-".to_string(), |x| format!("{x:+.2}"));
            let rows: Vec<Vec<String>> = all
                .iter()
                .map(|a| {
                    let c = a.report.sum_secret_key_rate_clipped;
                    let mut r = vec![
                        a.policy.as_str().to_string(),
                        output::num(c),
                        output::num(a.report.sum_secret_key_rate),
                        pct(gain_percent(c, qoma)),
                        pct(gain_percent(c, oma_best)),
                        a.status.as_str().to_string(),
                        format!("{:?}", a.active_users),
                    ];
                    r.extend(a.powers().iter().map(|&x| output::num(x)));
                    r
                })
                .collect();
            output::write_table(out, &header, &rows)?;
            Ok(())
        }
    }
}

fn table(out: &mut dyn Write, a: &Allocation) -> std::io::Result<()> {
    writeln!(
        out,
        "policy {}  objective {}  budget B = {} SNU  status {}  iterations {}  KKT residual {}",
        a.policy,
        a.objective.as_str(),
        output::num(a.budget),
        a.status.as_str(),
        a.iterations,
        a.kkt_residual.map_or("-".to_string(), output::num)
    )?;
    writeln!(out, "active users {:?}; search: {}", a.active_users, a.search)?;
    output::rate_table(out, &a.report)
}

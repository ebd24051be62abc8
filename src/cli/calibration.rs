//! `mmperf calibrate | measure | validate | refit | export | import`: measuring this CPU, comparing with the
//! predictions, refitting the profile, and moving the measurement store around.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use multimodel_perf::calibrate::{self, metrics, Measurement};
use multimodel_perf::catalog::hardware::DeviceProfile;
use multimodel_perf::catalog::runtime::RuntimeProfile;
use multimodel_perf::native::{bench, measure, store::Store};
use multimodel_perf::predict::spec::ModelSpec;
use multimodel_perf::wire::{self, calibration as wc};
use multimodel_perf::workload::{WorkloadOptions, DEFAULT_MAX_MFLOP};
use multimodel_perf::{Goal, MultiModelPredictor, Strategy};

use super::{read, text};

macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}

/// The store path: `--db`, else `$MMPERF_DB`, else `mmperf.sqlite` here.
pub fn db_path(db: &Option<String>) -> PathBuf {
    db.clone()
        .or_else(|| std::env::var("MMPERF_DB").ok())
        .map_or_else(|| PathBuf::from("mmperf.sqlite"), PathBuf::from)
}

fn open(db: &Option<String>) -> Result<Store, String> {
    Store::open(&db_path(db)).map_err(text)
}

fn progress(line: &str) {
    eprintln!("[mmperf] {line}");
}

/// `mmperf calibrate`.
pub fn calibrate(
    out_file: &Option<String>,
    wasm_file: &Option<String>,
    db: &Option<String>,
    quick: bool,
    json: bool,
) -> Result<String, String> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u32;
    progress(&format!("microbenchmarks on {cores} cores{}", if quick { " (quick)" } else { "" }));
    let b = settled_bench(cores, quick)?;
    let p = bench::profile(&b).map_err(text)?;
    let store = open(db)?;
    let version = store.save_profile(&p, "mmperf calibrate").map_err(text)?;
    let json_text = wire::to_json(&wire::HardwareProfileDto::from(&p));
    let write = |f: &String, text: &str, what: &str| -> Result<(), String> {
        std::fs::write(f, text).map_err(|e| format!("cannot write '{f}': {e}"))?;
        progress(&format!("{what} written to {f} (use it as --hardware {f})"));
        Ok(())
    };
    if let Some(f) = out_file {
        write(f, &json_text, "profile")?;
    }
    if let Some(f) = wasm_file {
        let page = bench::wasm_profile(&p, &b);
        write(f, &wire::to_json(&wire::HardwareProfileDto::from(&page)), "browser-page profile")?;
    }
    let mut out = String::new();
    if json {
        w!(out, "{json_text}");
    } else {
        w!(out, "profile {} v{version} stored in {}", p.id, db_path(db).display());
        w!(out, "cores               {}", b.cores);
        w!(out, "ISA                 {}", b.isa.name);
        for sh in &b.shapes {
            for (t, f) in b.threads.iter().zip(&sh.gflops) {
                w!(
                    out,
                    "fp32 {:<5} {}×{}×{}, {t} thread(s) {:>8.2} GFLOP/s (IQR {:.1} %)",
                    sh.label,
                    sh.gemm.m,
                    sh.gemm.k,
                    sh.gemm.n,
                    f.median,
                    f.iqr_pct
                );
            }
        }
        w!(out, "peak fp32           {:>8.3} TFLOP/s", p.peak_tflops.fp32);
        w!(out, "all-core rate       {:>8.3}", p.all_core_rate);
        w!(out, "region per thread   {:>8.3} µs (spinning pool)", p.kernel_overhead_us);
        w!(
            out,
            "read bandwidth      {:>8.2} GB/s ({:.2} on 1 thread)",
            p.memory_bandwidth_gbps,
            p.per_unit_bandwidth_gbps
        );
        if p.llc_mb > 0.0 {
            w!(
                out,
                "last-level cache    {:>8.2} GB/s on 1 thread ({:.0} MB)",
                p.llc_bandwidth_gbps,
                p.llc_mb
            );
        }
        w!(
            out,
            "built-in runtime    {:>8.3} kernel efficiency, {:.1} µs fork-join per extra thread",
            p.kernel_efficiency(&RuntimeProfile::find("builtin").map_err(text)?),
            b.builtin_fork_join_per_thread_us()
        );
        w!(out, "calibration took    {:>8.1} s", b.elapsed_s);
    }
    Ok(out)
}

/// The profile to measure with: a JSON file, a stored id, a catalog device (uncalibrated), or the newest
/// `cpu:calibrated`.
fn profile(hardware: &Option<String>, store: &Store) -> Result<(u32, DeviceProfile), String> {
    match hardware {
        Some(h) if h.ends_with(".json") || Path::new(h).is_file() => {
            let p = wire::parse_hardware(&read(h, "hardware profile")?).map_err(text)?;
            Ok((0, p))
        }
        Some(id) => match store.latest_profile(id).map_err(text)? {
            Some(found) => Ok(found),
            // A catalog device: predictions before any calibration.
            None => multimodel_perf::catalog::hardware::find(id)
                .map(|p| (0, p))
                .map_err(|_| format!("no profile '{id}' in the store or the catalog: run mmperf calibrate, or pass a profile JSON file")),
        },
        None => store
            .latest_profile("cpu:calibrated")
            .map_err(text)?
            .ok_or_else(|| "no calibrated profile in the store yet: run `mmperf calibrate` first (or pass --hardware FILE)".to_string()),
    }
}

/// Options of `mmperf measure`.
pub struct MeasureArgs<'a> {
    pub workload: &'a str,
    pub strategy: &'a str,
    pub all_strategies: bool,
    pub hardware: &'a Option<String>,
    pub db: &'a Option<String>,
    pub max_mflop: Option<f64>,
    pub scale: Option<f64>,
    pub repeat: usize,
    pub no_store: bool,
    pub json: bool,
}

/// `mmperf measure`.
pub fn measure(a: MeasureArgs<'_>) -> Result<String, String> {
    let parsed = wire::parse_workload(&read(a.workload, "workload")?).map_err(text)?;
    let models = parsed.workload.models;
    let store = open(a.db)?;
    let (version, profile) = profile(a.hardware, &store)?;
    // With --all-strategies: every strategy, and parallel and batched also with the cores split between
    // the models of each group (the plans `recommend` weighs).
    let strategies: Vec<(Strategy, bool)> = if a.all_strategies {
        let mut v = vec![
            (Strategy::Parallel, false),
            (Strategy::Sequential, false),
            (Strategy::Batched, false),
        ];
        if models.len() > 1 && profile.compute_units > 1 {
            v.extend([(Strategy::Parallel, true), (Strategy::Batched, true)]);
        }
        v
    } else {
        vec![(Strategy::parse("--strategy", a.strategy).map_err(text)?, false)]
    };
    let options =
        WorkloadOptions { scale: a.scale, max_mflop: a.max_mflop.unwrap_or(DEFAULT_MAX_MFLOP) };
    let mut out = String::new();
    let mut results = Vec::new();
    for &(strategy, split_threads) in &strategies {
        let req = measure::MeasureRequest {
            models: &models,
            profile: &profile,
            strategy,
            split_threads,
            options,
            repeat: a.repeat,
        };
        let m = measure::measure(&req, &mut |l| progress(l)).map_err(text)?;
        if m.max_error > 1e-5 {
            return Err(format!(
                "the threaded run's output differs from the single-thread reference by {:.2e}: not stored",
                m.max_error
            ));
        }
        let id = if a.no_store {
            None
        } else {
            Some(store.add_measurement(&m.measurement).map_err(text)?)
        };
        results.push((id, m.measurement));
    }
    if a.json {
        let list: Vec<wc::MeasurementDto> =
            results.iter().map(|(id, m)| wc::measurement_dto(m, *id)).collect();
        w!(out, "{}", wire::to_json(&list));
        return Ok(out);
    }
    w!(out, "on {} (v{version}); measured vs predicted before the run", profile.id);
    for (id, m) in &results {
        print_measurement(&mut out, m, *id);
    }
    if results.len() > 1 {
        compare(&mut out, &results, &models, &profile, (!a.no_store).then_some(&store))?;
    }
    Ok(out)
}

fn pct(pred: f64, meas: f64) -> String {
    format!("{:+.1} %", 100.0 * (pred - meas) / meas)
}

fn print_measurement(out: &mut String, m: &Measurement, id: Option<i64>) {
    w!(
        out,
        "\n{}: makespan {:.2} ms measured, {:.2} ms predicted ({}){}",
        m.strategy.name(),
        m.measured_makespan_ms,
        m.predicted_makespan_ms,
        pct(m.predicted_makespan_ms, m.measured_makespan_ms),
        id.map_or(String::new(), |i| format!("  [stored as measurement {i}]"))
    );
    w!(
        out,
        "  {:<40} {:>7} {:>11} {:>11} {:>9}",
        "model",
        "threads",
        "measured",
        "predicted",
        "error"
    );
    for x in &m.models {
        w!(
            out,
            "  {:<40} {:>7} {:>8.2} ms {:>8.2} ms {:>9}",
            x.spec.name,
            x.spec.threads.unwrap_or(0),
            x.measured_ms,
            x.predicted_ms,
            pct(x.predicted_ms, x.measured_ms)
        );
    }
}

/// Measures again, after a pause, while the cores did not run at once (up to [`RETRIES`] more times), and keeps
/// the run where they ran most at once; warns when none reached [`bench::CONCURRENT_ENOUGH`].
fn settled_bench(cores: u32, quick: bool) -> Result<bench::CpuBench, String> {
    let mut b = bench::bench(cores, quick, &mut |l| progress(l)).map_err(text)?;
    for attempt in 1..=RETRIES {
        let c = b.concurrency();
        if c >= bench::CONCURRENT_ENOUGH {
            break;
        }
        progress(&format!(
            "the cores did not run at once (all-core rate {:.2}, large GEMM on {cores} threads at {:.2} of {cores} x its 1-thread rate): measuring again in {PAUSE_S} s ({attempt} of {RETRIES})",
            b.all_core_rate(),
            b.large_scaling()
        ));
        std::thread::sleep(std::time::Duration::from_secs(PAUSE_S));
        let again = bench::bench(cores, quick, &mut |l| progress(l)).map_err(text)?;
        if again.concurrency() > c {
            b = again;
        }
    }
    if b.concurrency() < bench::CONCURRENT_ENOUGH {
        progress(&format!(
            "warning: the cores never ran at once (concurrency {:.2}): the profile describes fewer cores than this machine has; calibrate again later",
            b.concurrency()
        ));
    }
    Ok(b)
}

/// Extra calibrations when the cores did not run at once: two keep a calibration under the minute on
/// 2 cores (a full calibration takes 3-8 s here, `--quick` under 1 s).
const RETRIES: u32 = 2;
/// Pause before each, s. Seen on the development VM: a calibration right after a long run read the 2-thread
/// GEMM at 108.6 GFLOP/s and the next, started seconds later, 202.9 (session 9; session 8: 105, then 194);
/// the ONNX Runtime run that followed the 107.5 GFLOP/s calibration scaled normally on two threads (MiniLM
/// 1.87x): the episodes end within seconds to minutes, so a short pause and a second try suffice.
const PAUSE_S: u64 = 10;

/// Ranks the strategies by measured makespan and checks what the recommendation would have chosen.
fn compare(
    out: &mut String,
    results: &[(Option<i64>, Measurement)],
    models: &[ModelSpec],
    profile: &DeviceProfile,
    store: Option<&Store>,
) -> Result<(), String> {
    let mut ranked: Vec<(String, &Measurement)> =
        results.iter().map(|(_, m)| (label(m, models, profile.compute_units), m)).collect();
    ranked.sort_by(|a, b| a.1.measured_makespan_ms.total_cmp(&b.1.measured_makespan_ms));
    w!(out, "\nstrategies by measured makespan (throughput goal):");
    for (i, (l, m)) in ranked.iter().enumerate() {
        w!(
            out,
            "  {}. {:<24} {:>8.2} ms (predicted {:.2} ms)",
            i + 1,
            l,
            m.measured_makespan_ms,
            m.predicted_makespan_ms
        );
    }
    let (chosen, wanted) = recommended(results, models, profile)?;
    let chosen = chosen.as_str();
    let (best_label, best) = (&ranked[0].0, ranked[0].1);
    let cores = profile.compute_units.max(1);
    let measured = ranked.iter().find(|(_, m)| {
        plan_key(&m.groups, m.models.iter().map(|x| x.spec.threads.unwrap_or(cores)).collect())
            == wanted
    });
    let loss =
        measured.map_or(0.0, |(_, m)| m.measured_makespan_ms / best.measured_makespan_ms - 1.0);
    let best_label =
        if loss <= 0.0 && measured.is_some() { chosen.to_string() } else { best_label.clone() };
    if let Some(store) = store {
        store
            .add_comparison(&wc::ComparisonRecord {
                created_ms: results[0].1.timestamp_ms,
                goal: "throughput".to_string(),
                models: results[0].1.models.iter().map(|x| x.spec.name.clone()).collect(),
                recommended: chosen.to_string(),
                measured_best: best_label.clone(),
                loss,
            })
            .map_err(text)?;
    }
    match measured {
        Some(_) if loss <= 0.0 => {
            w!(out, "recommendation: {chosen} — the measured best")
        }
        Some(_) => w!(
            out,
            "recommendation: {chosen} — measured {:.1} % slower than the best, {best_label}",
            100.0 * loss
        ),
        None => w!(out, "recommendation: {chosen} — not measured"),
    }
    if let Some(store) = store {
        let (hits, n, mean_loss) = wc::accuracy(&store.comparisons().map_err(text)?);
        w!(
            out,
            "recommendation accuracy so far: {hits} of {n} comparisons picked the measured best; {:.1} % mean loss when not",
            100.0 * mean_loss
        );
    }
    Ok(())
}

/// What the recommender picks for the models of `results` (with the thread counts the workload gave; the
/// recorded ones are the plans' choices): its label, and what it runs (groups and threads) to find it among
/// the measured plans by, not by its label: batched with one group is parallel, a split can give every
/// model all cores.
fn recommended(
    results: &[(Option<i64>, Measurement)],
    models: &[ModelSpec],
    profile: &DeviceProfile,
) -> Result<(String, PlanKey), String> {
    let specs: Vec<_> = results[0]
        .1
        .models
        .iter()
        .zip(models)
        .map(|(x, given)| ModelSpec { threads: given.threads, ..x.spec.clone() })
        .collect();
    let workload = multimodel_perf::Workload { models: specs, constraints: Default::default() };
    let target = multimodel_perf::Target {
        device: profile.clone().into(),
        runtime: None,
        devices: vec![profile.clone()],
    };
    let prep = MultiModelPredictor::default().prepare(&workload, &target).map_err(text)?;
    let r = multimodel_perf::plan::recommend(&prep, Goal::Throughput);
    let plan = &r.best().prediction.plan;
    let threads: Vec<u32> = (0..models.len()).map(|i| prep.threads(i, plan)).collect();
    Ok((r.best().label.clone(), plan_key(&plan.groups, threads)))
}

/// A plan as what it runs: sorted groups and each model's threads.
type PlanKey = (Vec<Vec<usize>>, Vec<u32>);

/// What a plan runs, independent of how it is listed: each group's models sorted, the groups sorted (the
/// makespan does not depend on their order), and each model's threads.
fn plan_key(groups: &[Vec<usize>], threads: Vec<u32>) -> PlanKey {
    let mut g: Vec<Vec<usize>> = groups
        .iter()
        .map(|x| {
            let mut x = x.clone();
            x.sort_unstable();
            x
        })
        .collect();
    g.sort();
    (g, threads)
}

/// The recommendation's name for a measured plan: the strategy, with `-split-threads` when parallel or
/// batched models ran on fewer than all cores.
fn label(m: &Measurement, given: &[ModelSpec], cores: u32) -> String {
    let split = matches!(m.strategy, Strategy::Parallel | Strategy::Batched)
        && m.models
            .iter()
            .zip(given)
            .any(|(x, g)| x.spec.threads != Some(g.threads.unwrap_or(cores)));
    format!("{}{}", m.strategy.name(), if split { "-split-threads" } else { "" })
}

/// `mmperf validate`.
pub fn validate(
    db: &Option<String>,
    hardware: &Option<String>,
    threshold: f64,
    window: usize,
    json: bool,
) -> Result<String, String> {
    if !(threshold.is_finite() && threshold > 0.0) {
        return Err(format!("invalid --threshold: {threshold} (a positive fraction, e.g. 0.15)"));
    }
    let store = open(db)?;
    let ms: Vec<Measurement> = store
        .measurements(hardware.as_deref())
        .map_err(text)?
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    let v = calibrate::validate(&ms, threshold, window);
    let mut out = String::new();
    if json {
        w!(out, "{}", wire::to_json(&wc::ValidationDto::from(&v)));
        return Ok(out);
    }
    w!(out, "{} measurements in {}", v.measurements, db_path(db).display());
    let line = |out: &mut String, name: &str, s: &metrics::ErrorStats| {
        w!(
            out,
            "  {:<38} n={:<4} mean {:>6.1} %  median {:>6.1} %  bias {:>+6.3}  ±10 % {:>5.0} %  ±25 % {:>5.0} %",
            name,
            s.n,
            100.0 * s.mean_ape,
            100.0 * s.median_ape,
            s.log_bias,
            100.0 * s.within_10,
            100.0 * s.within_25
        );
    };
    line(&mut out, "makespan", &v.makespan);
    line(&mut out, "model latency", &v.latency);
    line(&mut out, "model throughput", &v.throughput);
    for (k, s) in &v.by_hardware {
        line(&mut out, &format!("makespan on {k}"), s);
    }
    for (k, s) in &v.by_strategy {
        line(&mut out, &format!("makespan, {k}"), s);
    }
    for (k, s) in &v.by_model {
        line(&mut out, &format!("latency of {k}"), s);
    }
    if let Some(t) = &v.trend {
        w!(
            out,
            "trend over the last {} measurements: {} ({:.1} % → {:.1} %)",
            t.window,
            t.direction.name(),
            100.0 * t.earlier,
            100.0 * t.recent
        );
    }
    w!(out, "refit due: {} ({})", if v.refit_due { "yes" } else { "no" }, v.reason);
    Ok(out)
}

/// `mmperf refit`.
pub fn refit(
    db: &Option<String>,
    hardware: &Option<String>,
    out_file: &Option<String>,
    json: bool,
) -> Result<String, String> {
    let store = open(db)?;
    let id = hardware.clone().unwrap_or_else(|| "cpu:calibrated".to_string());
    let (version, profile) = store
        .latest_profile(&id)
        .map_err(text)?
        .ok_or_else(|| format!("no profile '{id}' in the store: run mmperf calibrate first"))?;
    let ms: Vec<Measurement> =
        store.measurements(Some(&id)).map_err(text)?.into_iter().map(|(_, m)| m).collect();
    let (train, test) = calibrate::split_half(&ms);
    let fit = calibrate::refit(&profile, &train, &test).map_err(text)?;
    let dto = wc::FitDto::from(&fit);
    let report = serde_json::to_value(&dto).map_err(|e| e.to_string())?;
    let new_version = store
        .save_profile(&fit.fitted, &format!("refit from v{version} on {} measurements", fit.train))
        .map_err(text)?;
    store.add_fit(&id, version, new_version, &report).map_err(text)?;
    if let Some(f) = out_file {
        std::fs::write(f, wire::to_json(&dto.fitted))
            .map_err(|e| format!("cannot write '{f}': {e}"))?;
    }
    let mut out = String::new();
    if json {
        w!(out, "{}", wire::to_json(&dto));
        return Ok(out);
    }
    w!(out, "refit {id} v{version} → v{new_version} (v{version} kept) on {} measurements ({} single-model timings, {} outliers)", fit.train, fit.rows, fit.outliers);
    w!(
        out,
        "  compute time ×{:.3}, memory time ×{:.3}, overheads ×{:.3}",
        fit.scales.compute,
        fit.scales.memory,
        fit.scales.overhead
    );
    match fit.interference.1 {
        Some(v) => {
            w!(out, "  interference per co-running model {:.3} → {:.3}", fit.interference.0, v)
        }
        None => w!(
            out,
            "  interference unchanged ({:.3}): no runs with models together",
            fit.interference.0
        ),
    }
    for (m, f) in &fit.corrections {
        w!(out, "  correction for {m}: ×{f:.3}");
    }
    w!(
        out,
        "  held-out makespan error ({} measurements): mean {:.1} % → {:.1} %, median {:.1} % → {:.1} %",
        fit.test,
        100.0 * fit.before.mean_ape,
        100.0 * fit.after.mean_ape,
        100.0 * fit.before.median_ape,
        100.0 * fit.after.median_ape
    );
    w!(
        out,
        "  training makespan error: mean {:.1} % → {:.1} %",
        100.0 * fit.train_before.mean_ape,
        100.0 * fit.train_after.mean_ape
    );
    Ok(out)
}

/// `mmperf export`.
pub fn export(db: &Option<String>) -> Result<String, String> {
    let e = open(db)?.export().map_err(text)?;
    Ok(format!("{}\n", wire::to_json(&e)))
}

/// `mmperf import`.
pub fn import(file: &str, db: &Option<String>) -> Result<String, String> {
    let e = serde_json::from_str(&read(file, "export")?)
        .map_err(|e| format!("malformed export '{file}': {e}"))?;
    let (p, m, f) = open(db)?.import(e).map_err(text)?;
    Ok(format!(
        "imported {p} profile versions, {m} measurements, {f} fits into {}\n",
        db_path(db).display()
    ))
}

//! The `mmperf` command line (native builds only; `main.rs` calls [`main`]): the command-line face of the library. Parses arguments loosely (clap), validates them into the
//! library's strict types, calls the library and prints a table or the JSON the JavaScript API returns.
//! Bad input exits with code 2 and one line naming the field, the value and what is allowed.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// `writeln!` into the output buffer (writing to a String cannot fail).
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}
use std::process::ExitCode;

mod calibration;
mod describe;
mod real;
mod route;

use clap::{Parser, Subcommand};
use multimodel_perf::catalog::hardware;
use multimodel_perf::catalog::runtime::RuntimeProfile;
use multimodel_perf::catalog::sharing::SharingConfig;
use multimodel_perf::predict::coldstart::{
    cold_start, ColdStartConfig, ColdStartReport, WeightSource,
};
use multimodel_perf::predict::memory;
use multimodel_perf::predict::multi::{MultiPrediction, Residency, Target};
use multimodel_perf::predict::single::OperatorTime;
use multimodel_perf::serve;
use multimodel_perf::wire::{self, ParsedWorkload};
use multimodel_perf::{Goal, MultiModelPredictor, Recommendation, Strategy};

#[derive(Parser)]
#[command(
    name = "mmperf",
    version,
    about = "Predict and plan several AI models running at once on one device"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct Common {
    /// Workload JSON: an array of model entries, or {"models": [...], "constraints": {...}}.
    workload: String,
    /// Platform (cuda), platform:device (cuda:a100-40gb) or a hardware profile JSON file.
    #[arg(long)]
    hardware: Option<String>,
    /// Runtime (tensorrt, pytorch, onnxruntime, onnxruntime-web, transformersjs, tfjs, webllm, ...).
    #[arg(long)]
    runtime: Option<String>,
    /// Sharing table JSON (the seed schema: compatible_types, sharing_efficiency, memory_reduction).
    #[arg(long)]
    sharing_config: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct ColdstartArgs {
    #[command(flatten)]
    common: Common,
    /// Where the weights come from: memory, disk, network or cache (browser Cache Storage).
    #[arg(long, default_value = "disk")]
    source: String,
    /// Bandwidth of the source in GB/s (default: 3 for disk, 0.0125 for network, 1 for cache).
    #[arg(long)]
    source_gbps: Option<f64>,
    /// Warm-up iterations before the first measured run.
    #[arg(long, default_value_t = 0)]
    warmup: u32,
}

#[derive(clap::Args)]
struct MemoryArgs {
    #[command(flatten)]
    common: Common,
    /// parallel, sequential or batched.
    #[arg(long, default_value = "parallel")]
    strategy: String,
    /// Apply these options (ranks from the list, comma-separated; 0 = the fit plan) and predict again.
    #[arg(long)]
    apply: Option<String>,
}

#[derive(clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    common: Common,
    /// Requests per second for every model.
    #[arg(long)]
    rate: Option<f64>,
    /// Requests per second per model: NAME=RATE,NAME=RATE (overrides --rate).
    #[arg(long)]
    rates: Option<String>,
    /// poisson or periodic.
    #[arg(long, default_value = "poisson")]
    arrivals: String,
    /// parallel (each model its own server), fifo, sjf or priority (one shared execution slot).
    #[arg(long, default_value = "parallel")]
    policy: String,
    /// Priority level per model in workload order, 0 = most urgent: 0,1,2.
    #[arg(long)]
    priorities: Option<String>,
    /// Seconds of arrivals.
    #[arg(long, default_value_t = 60.0)]
    duration: f64,
    /// Seconds excluded from the statistics (default: a tenth of the duration).
    #[arg(long)]
    warmup: Option<f64>,
    /// Seed of the arrival processes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Ignore the device's thermal throttling.
    #[arg(long)]
    no_throttle: bool,
    /// Skip the search for the highest sustainable rates.
    #[arg(long)]
    no_capacity: bool,
}

#[derive(clap::Args)]
struct ScheduleArgs {
    #[command(flatten)]
    common: Common,
    /// parallel, sequential or batched.
    #[arg(long, default_value = "parallel")]
    strategy: String,
    /// Write the schedule in Chrome trace format to this file.
    #[arg(long)]
    trace: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Predict one strategy.
    Predict {
        #[command(flatten)]
        common: Common,
        /// parallel, sequential or batched.
        #[arg(long, default_value = "parallel")]
        strategy: String,
        /// Also show where each model's predicted time alone goes, by kind of kernel (matrix products,
        /// 1×1 and wider convolutions, depthwise, attention, element-wise, norms, pooling, calls), with the
        /// threads the strategy gives it.
        #[arg(long)]
        ops: bool,
    },
    /// Time the predictor's own calls (predict 3 / 50 models, recommend 3 / 8 / 50 models on a GPU and a
    /// CPU) and the serving simulator's events per second; `npm run bench` prints the same cases for wasm.
    Bench {
        /// Seconds to time each case for.
        #[arg(long, default_value_t = 1.0)]
        seconds: f64,
        /// Only the cases whose name contains this (e.g. `recommend/8`), or only the one named exactly this.
        #[arg(long)]
        only: Option<String>,
        /// Also time one predict and one recommend on 1, 10, 100, 1,000 and 10,000 models (about a minute).
        #[arg(long)]
        scaling: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate every strategy and recommend the best feasible one for a goal.
    Recommend {
        #[command(flatten)]
        common: Common,
        /// throughput, latency, memory or energy.
        #[arg(long, default_value = "throughput")]
        goal: String,
    },
    /// Predict the first run (weights read, copied, kernels compiled, warm-up) against a warm run, per strategy.
    Coldstart(ColdstartArgs),
    /// Where memory goes and ranked, measured options to reduce it; with --apply, the prediction after them.
    Memory(MemoryArgs),
    /// Simulate serving under load: requests arrive at each model over time; report latency percentiles,
    /// throughput, utilisation and the highest sustainable rates.
    Serve(ServeArgs),
    /// Show the simulated schedule as a chart; optionally write a Chrome trace.
    Schedule(ScheduleArgs),
    /// Describe a model's own ONNX file as the predictor's operators (parameters, FLOPs, a model entry).
    Describe(describe::Args),
    /// Route each model of a workload to a browser backend (WebGPU, WebNN, WASM) from a capabilities JSON
    /// (what `detectCapabilities()` returned there), as `routeModels()` does in the npm package.
    Route(route::Args),
    /// List catalog models.
    Models {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List catalog devices.
    Hardware {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List runtimes.
    Runtimes,
    /// Microbenchmark this CPU (GEMM per thread count, memory bandwidth, dispatch) into a hardware profile.
    Calibrate {
        /// Also write the profile JSON here (usable as --hardware FILE).
        #[arg(long)]
        out: Option<String>,
        /// Also write the profile a browser page on this machine sees (platform wasm: the peak scaled from
        /// the native ISA to WebAssembly's 128-bit SIMD) here, for onnxruntime-web and other browser runtimes.
        #[arg(long)]
        wasm_out: Option<String>,
        /// Measurement store (SQLite; default $MMPERF_DB or ./mmperf.sqlite).
        #[arg(long)]
        db: Option<String>,
        /// Short runs (seconds instead of tens of seconds; less precise; the last-level cache's size from
        /// sysfs, not measured).
        #[arg(long)]
        quick: bool,
        /// Print the profile JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run the models' built-in workloads on this CPU with a strategy; compare with the prediction; store.
    Measure {
        /// Workload JSON.
        workload: String,
        /// parallel, sequential or batched.
        #[arg(long, default_value = "parallel")]
        strategy: String,
        /// Run every strategy, rank them by measured makespan, check the recommendation.
        #[arg(long)]
        all_strategies: bool,
        /// Profile JSON file or stored profile id (default: the newest cpu:calibrated).
        #[arg(long)]
        hardware: Option<String>,
        /// Measurement store.
        #[arg(long)]
        db: Option<String>,
        /// Budget per model's workload, MFLOP (default 64).
        #[arg(long)]
        max_mflop: Option<f64>,
        /// Dimension scale of the workloads instead of a budget, in (0, 1].
        #[arg(long)]
        scale: Option<f64>,
        /// Runs per strategy; the median makespan is kept.
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        /// Do not store the measurement.
        #[arg(long)]
        no_store: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Predictions against measured runs of a real runtime (bench/real/run.py results): each plan's
    /// measured and predicted makespan, the pick, its regret, solo-run errors.
    CheckReal {
        /// Results JSON written by bench/real/run.py.
        results: String,
        /// Profile JSON file (e.g. from `mmperf calibrate`) or catalog id of this machine.
        #[arg(long, default_value = "cpu")]
        hardware: String,
    },
    /// Prediction error over the stored measurements, trend, and whether a refit is due.
    Validate {
        /// Measurement store.
        #[arg(long)]
        db: Option<String>,
        /// Only measurements on this profile id.
        #[arg(long)]
        hardware: Option<String>,
        /// Refit when the mean makespan error exceeds this fraction.
        #[arg(long, default_value_t = 0.15)]
        threshold: f64,
        /// Trend window, measurements.
        #[arg(long, default_value_t = 10)]
        window: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Refit a stored profile on half of its measurements and check it on the other half.
    Refit {
        /// Measurement store.
        #[arg(long)]
        db: Option<String>,
        /// Profile id (default cpu:calibrated).
        #[arg(long)]
        hardware: Option<String>,
        /// Also write the refitted profile JSON here.
        #[arg(long)]
        out: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the whole store (profiles, measurements, fits) as JSON.
    Export {
        /// Measurement store.
        #[arg(long)]
        db: Option<String>,
    },
    /// Add an export's content to the store.
    Import {
        /// Export JSON file.
        file: String,
        /// Measurement store.
        #[arg(long)]
        db: Option<String>,
    },
}

pub(crate) fn read(path: &str, what: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {what} file '{path}': {e}"))
}

struct Loaded {
    workload: ParsedWorkload,
    target: Target,
    predictor: MultiModelPredictor,
}

/// Library errors become the one-line message the CLI prints.
pub(crate) fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl Loaded {
    fn prepared(&self) -> Result<multimodel_perf::predict::multi::Prepared, String> {
        self.predictor.prepare(&self.workload.workload, &self.target).map_err(text)
    }
}

/// `--hardware`: a profile JSON file (a path ending in `.json` or naming a file) or a catalog id.
pub(crate) fn device(hw: &str) -> Result<hardware::DeviceProfile, String> {
    if hw.ends_with(".json") || Path::new(hw).is_file() {
        wire::parse_hardware(&read(hw, "hardware profile")?).map_err(text)
    } else {
        hardware::find(hw).map_err(text)
    }
}

fn load(c: &Common) -> Result<Loaded, String> {
    let workload = wire::parse_workload(&read(&c.workload, "workload")?).map_err(text)?;
    let hw = c
        .hardware
        .clone()
        .or_else(|| workload.hardware.clone())
        .unwrap_or_else(|| "cpu".to_string());
    let device = device(&hw)?;
    let runtime = c
        .runtime
        .clone()
        .or_else(|| workload.runtime.clone())
        .map(|r| RuntimeProfile::find(&r))
        .transpose()
        .map_err(text)?;
    let sharing = match &c.sharing_config {
        Some(path) => wire::parse_sharing(&read(path, "sharing config")?).map_err(text)?,
        None => SharingConfig::default(),
    };
    Ok(Loaded {
        workload,
        target: Target { device: device.into(), runtime, devices: Vec::new() },
        predictor: MultiModelPredictor::new(sharing),
    })
}

fn run(cli: Cli) -> Result<String, String> {
    match cli.command {
        Command::Predict { common, strategy, ops } => predict(&common, &strategy, ops),
        Command::Recommend { common, goal } => recommend(&common, &goal),
        Command::Memory(a) => memory_advice(a),
        Command::Serve(a) => serve_under_load(a),
        Command::Coldstart(a) => coldstart(a),
        Command::Schedule(a) => schedule(a),
        Command::Models { json } => Ok(list_models(json)),
        Command::Hardware { json } => Ok(list_hardware(json)),
        Command::Runtimes => Ok(list_runtimes()),
        Command::Bench { seconds, only, scaling, json } => {
            bench(seconds, only.as_deref(), scaling, json)
        }
        Command::Calibrate { out: file, wasm_out, db, quick, json } => {
            calibration::calibrate(&file, &wasm_out, &db, quick, json)
        }
        Command::Measure {
            workload,
            strategy,
            all_strategies,
            hardware,
            db,
            max_mflop,
            scale,
            repeat,
            no_store,
            json,
        } => calibration::measure(calibration::MeasureArgs {
            workload: &workload,
            strategy: &strategy,
            all_strategies,
            hardware: &hardware,
            db: &db,
            max_mflop,
            scale,
            repeat,
            no_store,
            json,
        }),
        Command::CheckReal { results, hardware } => real::check_real(&results, &hardware),
        Command::Describe(args) => describe::describe(args),
        Command::Route(args) => route::route(args),
        Command::Validate { db, hardware, threshold, window, json } => {
            calibration::validate(&db, &hardware, threshold, window, json)
        }
        Command::Refit { db, hardware, out: file, json } => {
            calibration::refit(&db, &hardware, &file, json)
        }
        Command::Export { db } => calibration::export(&db),
        Command::Import { file, db } => calibration::import(&file, &db),
    }
}

/// `--json`: the JSON of `dto()`; otherwise what `table` writes.
fn report<T: serde::Serialize>(
    json: bool,
    dto: impl FnOnce() -> T,
    table: impl FnOnce(&mut String),
) -> String {
    let mut out = String::new();
    if json {
        w!(out, "{}", wire::to_json(&dto()));
    } else {
        table(&mut out);
    }
    out
}

/// The workload of `common` predicted under `--strategy`.
fn predicted(common: &Common, strategy: &str) -> Result<MultiPrediction, String> {
    let strategy = Strategy::parse("--strategy", strategy).map_err(text)?;
    let l = load(common)?;
    l.predictor.predict(&l.workload.workload, &l.target, strategy).map_err(text)
}

/// `mmperf predict`; with `ops`, each model's breakdown alone after the prediction (text), or as
/// `{"prediction": …, "operators": [[{kind, kernels, ms}, …] per model]}` (JSON).
fn predict(common: &Common, strategy: &str, ops: bool) -> Result<String, String> {
    if !ops {
        let p = predicted(common, strategy)?;
        return Ok(report(
            common.json,
            || wire::PredictionDto::from(&p),
            |out| print_prediction(out, &p),
        ));
    }
    let strategy = Strategy::parse("--strategy", strategy).map_err(text)?;
    let l = load(common)?;
    let prep = l.predictor.prepare(&l.workload.workload, &l.target).map_err(text)?;
    let plan = prep.plan(strategy);
    let p = prep.evaluate(&plan);
    // (model, its threads under the plan, its breakdown alone on them).
    let breakdowns: Vec<_> = (0..prep.models.len())
        .map(|i| {
            let threads = prep.threads(i, &plan);
            (i, threads, prep.breakdown(i, threads))
        })
        .collect();
    Ok(report(
        common.json,
        || {
            let operators: Vec<Vec<wire::OperatorTimeDto>> = breakdowns
                .iter()
                .map(|(_, _, b)| b.iter().map(wire::OperatorTimeDto::from).collect())
                .collect();
            serde_json::json!({ "prediction": wire::PredictionDto::from(&p), "operators": operators })
        },
        |out| {
            print_prediction(out, &p);
            for (i, threads, b) in &breakdowns {
                print_breakdown(out, &prep.models[*i].resolved.name, *threads, b);
            }
        },
    ))
}

/// One model's breakdown as a table: kind, kernels, ms and share of its total.
fn print_breakdown(out: &mut String, name: &str, threads: u32, parts: &[OperatorTime]) {
    let total: f64 = parts.iter().map(|o| o.ms).sum();
    let on = if threads > 0 { format!(", {threads} thread(s)") } else { String::new() };
    w!(out, "\n{name} alone{on}: where the predicted {total:.2} ms go");
    w!(out, "  {:<12} {:>8} {:>10} {:>7}", "kind", "kernels", "ms", "share");
    for o in parts {
        let share = 100.0 * o.ms / total.max(1e-12);
        w!(out, "  {:<12} {:>8.0} {:>10.3} {share:>6.1}%", o.kind.name(), o.kernels, o.ms);
    }
}

/// `mmperf recommend`.
fn recommend(common: &Common, goal: &str) -> Result<String, String> {
    let goal = Goal::parse("--goal", goal).map_err(text)?;
    let l = load(common)?;
    let r = l.predictor.recommend(&l.workload.workload, &l.target, goal).map_err(text)?;
    Ok(report(
        common.json,
        || wire::RecommendationDto::from(&r),
        |out| print_recommendation(out, &r),
    ))
}

/// `mmperf memory`: the advice, or with `--apply` the prediction after the chosen options.
fn memory_advice(a: MemoryArgs) -> Result<String, String> {
    let strategy = Strategy::parse("--strategy", &a.strategy).map_err(text)?;
    let l = load(&a.common)?;
    let (w, t) = (&l.workload.workload, &l.target);
    let advice = memory::advise(w, t, &l.predictor.sharing, strategy).map_err(text)?;
    let Some(ranks) = a.apply else {
        return Ok(report(
            a.common.json,
            || wire::MemoryAdviceDto::from(&advice),
            |out| w!(out, "{}", advice.table()),
        ));
    };
    let ranks = ranks
        .split(',')
        .map(|r| {
            r.trim()
                .parse::<usize>()
                .map_err(|_| format!("invalid --apply: {r} (option ranks separated by commas)"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let changes = wire::memory_changes(&advice, &ranks).map_err(text)?;
    let applied = memory::apply(w, t, &l.predictor.sharing, strategy, &changes).map_err(text)?;
    let p = &applied.prediction;
    Ok(report(
        a.common.json,
        || wire::PredictionDto::from(p),
        |out| {
            w!(out, "after applying option(s) {}: peak {:.0} MB (was {:.0} MB), makespan {:.3} ms (was {:.3} ms)", ranks.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(", "), p.combined_memory_mb, advice.peak_mb, p.combined_latency_ms, advice.latency_ms);
            print_prediction(out, p);
        },
    ))
}

/// `mmperf serve`.
fn serve_under_load(a: ServeArgs) -> Result<String, String> {
    let l = load(&a.common)?;
    let prep = l.prepared()?;
    let dto = wire::ServeOptionsDto {
        rate: a.rate,
        rates: a.rates.as_deref().map(parse_rates).transpose()?,
        arrivals: Some(a.arrivals),
        traces: None,
        policy: Some(a.policy),
        priorities: a.priorities.as_deref().map(parse_priorities).transpose()?,
        duration_s: Some(a.duration),
        warmup_s: a.warmup,
        seed: Some(a.seed),
        throttle: Some(!a.no_throttle),
        capacity: Some(!a.no_capacity),
    };
    let req = wire::serve_request(dto, &prep).map_err(text)?;
    let simulated = serve::simulate(&prep, &req.config).map_err(text)?;
    let cap =
        if req.capacity { Some(serve::capacity(&prep, &req.config).map_err(text)?) } else { None };
    let dto = wire::serve_dto(&req, &simulated, cap.as_ref());
    Ok(report(a.common.json, || &dto, |out| print_serve(out, &dto)))
}

/// `mmperf coldstart`.
fn coldstart(a: ColdstartArgs) -> Result<String, String> {
    let source = WeightSource::parse("--source", &a.source).map_err(text)?;
    let l = load(&a.common)?;
    let prep = l.prepared()?;
    let config =
        ColdStartConfig { source, source_gbps: a.source_gbps, warmup_iterations: a.warmup };
    let r = cold_start(&prep, config).map_err(text)?;
    Ok(report(a.common.json, || wire::ColdStartDto::from(&r), |out| print_cold_start(out, &r)))
}

/// `mmperf schedule`: the chart, and with `--trace` a Chrome trace file.
fn schedule(a: ScheduleArgs) -> Result<String, String> {
    let p = predicted(&a.common, &a.strategy)?;
    if let Some(path) = a.trace {
        std::fs::write(&path, wire::chrome_trace(&p))
            .map_err(|e| format!("cannot write trace file '{path}': {e}"))?;
        eprintln!("wrote Chrome trace to {path} (open in chrome://tracing or ui.perfetto.dev)");
    }
    Ok(report(
        a.common.json,
        || wire::PredictionDto::from(&p).execution_schedule,
        |out| print_gantt(out, &p),
    ))
}

/// `mmperf models`.
fn list_models(json: bool) -> String {
    let models = wire::catalog_models();
    report(
        json,
        || &models,
        |out| {
            w!(
                out,
                "{:<26} {:<16} {:>12} {:>12} {:>10}",
                "model",
                "type",
                "params (M)",
                "published",
                "GFLOP/item"
            );
            for m in &models {
                w!(
                    out,
                    "{:<26} {:<16} {:>12.2} {:>12.2} {:>10.2}",
                    m.name,
                    m.model_type,
                    m.params / 1e6,
                    m.published_params / 1e6,
                    m.gflops_per_item
                );
            }
        },
    )
}

/// `mmperf hardware`.
fn list_hardware(json: bool) -> String {
    let devices = wire::catalog_devices();
    // The id column as wide as the longest id (`cuda:rtx-pro-6000-maxq`), at least 20.
    let id = devices.iter().map(|d| d.id.len()).max().unwrap_or(0).max(20);
    report(
        json,
        || &devices,
        |out| {
            w!(
                out,
                "{:<id$} {:<44} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8}  {:<18} runtime",
                "id",
                "name",
                "fp32 TF",
                "tf32 TF",
                "fp16 TF",
                "int8 TOPS",
                "GB/s",
                "GB",
                "concurrency"
            );
            for d in &devices {
                let peak =
                    |k: &str| d.peak_tflops.get(k).map_or("-".to_string(), |v| format!("{v:.1}"));
                let mark = if d.platform_default { "*" } else { " " };
                w!(
                    out,
                    "{:<id$} {:<44} {:>9} {:>9} {:>9} {:>9} {:>9.0} {:>8.0}  {:<18} {}{mark}",
                    d.id,
                    d.name,
                    peak("fp32"),
                    peak("tf32"),
                    peak("fp16"),
                    peak("int8"),
                    d.memory_bandwidth_gbps,
                    d.memory_capacity_mb / 1024.0,
                    d.concurrency,
                    d.default_runtime
                );
            }
            w!(out, "* the device a bare platform name selects");
        },
    )
}

/// `mmperf runtimes`. `fusion`: element-wise epilogues folded into their producer (`epilogue`), runs of them
/// generated as one kernel each (`runs`, `torch.compile`), or each a kernel of its own (`none`).
fn list_runtimes() -> String {
    let mut out = String::new();
    w!(
        out,
        "{:<24} {:>9} {:>9} {:>8} {:>6} {:>6} {:>7}  platforms",
        "runtime",
        "host µs",
        "call µs",
        "fusion",
        "flash",
        "eff",
        "cpu eff"
    );
    for r in RuntimeProfile::all() {
        let platforms: Vec<&str> = r.platforms.iter().map(|p| p.name()).collect();
        let fusion = if r.fuses_epilogues {
            "epilogue"
        } else if r.fuses_pointwise_runs {
            "runs"
        } else {
            "none"
        };
        w!(
            out,
            "{:<24} {:>9.1} {:>9.1} {:>8} {:>6} {:>6.2} {:>7.2}  {}",
            r.name,
            r.host_overhead_us,
            r.call_overhead_us,
            fusion,
            r.fused_attention,
            r.kernel_efficiency,
            r.cpu_kernel_efficiency,
            platforms.join(", ")
        );
    }
    out
}

fn print_prediction(out: &mut String, p: &MultiPrediction) {
    let runtimes: Vec<&str> = {
        let mut v: Vec<&str> = p.models.iter().map(|m| &*m.runtime).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    w!(out, "{} on {} ({})", p.plan.strategy.name(), p.devices.join(" + "), runtimes.join(", "));
    let cap: f64 = p.pools.iter().map(|x| x.capacity_mb).sum();
    w!(
        out,
        "combined: latency {:.3} ms | throughput {:.1} items/s | memory {:.0} of {:.0} MB | {}",
        p.combined_latency_ms,
        p.combined_throughput,
        p.combined_memory_mb,
        cap,
        if p.feasible {
            "fits".to_string()
        } else {
            format!("DOES NOT FIT ({:.0} MB over)", p.overflow_mb)
        }
    );
    w!(
        out,
        "{:<24} {:>5} {:>10} {:>10} {:>10} {:>10} {:>8} {:>10} {:>9}  bound",
        "model",
        "batch",
        "start ms",
        "end ms",
        "alone ms",
        "items/s",
        "slowdown",
        "memory MB",
        "energy J"
    );
    for m in &p.models {
        w!(
            out,
            "{:<24} {:>5} {:>10.3} {:>10.3} {:>10.3} {:>10.1} {:>8.2} {:>10.1} {:>9.3}  {}",
            m.name,
            m.batch_size,
            m.start_ms,
            m.end_ms,
            m.solo.latency_ms,
            m.throughput,
            m.slowdown,
            m.memory_mb,
            m.energy_j,
            m.solo.bound.name()
        );
    }
    let c = &p.contention;
    w!(out, "contention: compute {:.2} | bandwidth {:.2} | memory {:.2} | makespan / longest alone {:.2}", c.compute, c.memory_bandwidth, c.memory, c.makespan_over_longest);
    w!(
        out,
        "energy: {:.3} J per round, {:.4} J per item, {:.1} W average",
        p.energy.total_j,
        p.energy.per_item_j,
        p.energy.average_power_w
    );
    if p.sharing.memory_saved_mb > 0.0 {
        w!(out, "sharing: {:.0} MB saved", p.sharing.memory_saved_mb);
    }
    for w in &p.warnings {
        w!(out, "warning: {w}");
    }
}

fn parse_rates(text: &str) -> Result<multimodel_perf::flatmap::FlatMap<String, f64>, String> {
    text.split(',')
        .map(|pair| {
            let (name, rate) = pair.rsplit_once('=').ok_or_else(|| {
                format!("invalid --rates: {pair} (NAME=RATE pairs separated by commas)")
            })?;
            let rate: f64 = rate.trim().parse().map_err(|_| {
                format!("invalid --rates.{name}: {rate} (a number of requests per second)")
            })?;
            Ok((name.trim().to_string(), rate))
        })
        .collect()
}

fn parse_priorities(text: &str) -> Result<Vec<u32>, String> {
    text.split(',')
        .map(|p| {
            p.trim().parse::<u32>().map_err(|_| {
                format!("invalid --priorities: {p} (non-negative integers separated by commas)")
            })
        })
        .collect()
}

fn print_serve(out: &mut String, r: &wire::ServeDto) {
    let scale = r.max_sustainable_scale.map_or(String::new(), |k| {
        format!(" | rates can grow {k:.2}x before queues grow without bound")
    });
    let throttle = r.throttle.map_or(String::new(), |[after, speed]| {
        format!(" | throttles to {:.0} % after {after:.0} s", speed * 100.0)
    });
    w!(
        out,
        "{} policy, {:.1} s measured, {} requests{}{}",
        r.policy,
        r.window_s,
        r.requests,
        scale,
        throttle
    );
    w!(
        out,
        "utilisation {:.2} | {}",
        r.utilisation,
        if r.stable { "stable" } else { "UNSTABLE: a queue grows without bound" }
    );
    w!(
        out,
        "{:<24} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7} {:>10}",
        "model",
        "offered/s",
        "done/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "wait ms",
        "util",
        "max rate/s"
    );
    for m in &r.models {
        let l = m.latency.as_ref();
        let cell =
            |f: fn(&wire::LatencyDto) -> f64| l.map_or("-".to_string(), |l| format!("{:.2}", f(l)));
        w!(
            out,
            "{:<24} {:>9.2} {:>9.2} {:>9} {:>9} {:>9} {:>9} {:>7.2} {:>10}{}",
            m.model_name,
            m.offered_rps,
            m.throughput_rps,
            cell(|l| l.p50_ms),
            cell(|l| l.p95_ms),
            cell(|l| l.p99_ms),
            cell(|l| l.mean_wait_ms),
            m.utilisation,
            m.max_sustainable_rps.map_or("-".to_string(), |x| format!("{x:.2}")),
            if m.kept_up { "" } else { "  (falling behind)" }
        );
    }
}

fn print_cold_start(out: &mut String, r: &ColdStartReport) {
    w!(
        out,
        "weights from {} at {} GB/s, {} warm-up iteration(s)",
        r.config.source.name(),
        r.source_gbps,
        r.config.warmup_iterations
    );
    w!(
        out,
        "{:<24} {:>10} {:>10} {:>11} {:>10} {:>10} {:>12}",
        "model",
        "read ms",
        "copy ms",
        "compile ms",
        "warm-up ms",
        "warm ms",
        "first run ms"
    );
    for m in &r.models {
        w!(
            out,
            "{:<24} {:>10.2} {:>10.2} {:>11.2} {:>10.2} {:>10.3} {:>12.2}",
            m.name,
            m.read_ms,
            m.copy_ms,
            m.compile_ms,
            m.warmup_ms,
            m.warm_ms,
            m.first_run_ms
        );
    }
    w!(out, "{:<18} {:>12} {:>12} {:>8}", "strategy", "warm ms", "cold ms", "ratio");
    for s in &r.strategies {
        w!(
            out,
            "{:<18} {:>12.3} {:>12.3} {:>8.1}",
            if s.residency == Residency::Unload {
                format!("{}-unload", s.strategy.name())
            } else {
                s.strategy.name().to_string()
            },
            s.warm_ms,
            s.cold_ms,
            s.cold_ms / s.warm_ms.max(1e-9)
        );
    }
}

fn print_recommendation(out: &mut String, r: &Recommendation) {
    w!(out, "goal: {}", r.goal.name());
    w!(
        out,
        "   {:<24} {:>12} {:>12} {:>12} {:>10} {:>10}  fits",
        "option",
        "items/s",
        "makespan ms",
        "mean ms",
        "memory MB",
        "energy J"
    );
    for (k, c) in r.candidates.iter().enumerate() {
        let p = &c.prediction;
        let mark = if k == r.chosen { "->" } else { "  " };
        w!(
            out,
            "{mark} {:<24} {:>12.1} {:>12.3} {:>12.3} {:>10.0} {:>10.3}  {}",
            c.label,
            p.combined_throughput,
            p.combined_latency_ms,
            p.mean_latency_ms,
            p.combined_memory_mb,
            p.energy.total_j,
            if p.feasible { "yes" } else { "no" }
        );
    }
    let best = &r.best().prediction;
    w!(out, "recommended: {}", r.best().label);
    for (g, group) in best.plan.groups.iter().enumerate() {
        let names: Vec<String> = group
            .iter()
            .map(|&i| {
                let m = &best.models[i];
                if m.solo.threads > 0 {
                    let t = m.solo.threads;
                    format!("{} ({t} thread{})", m.name, if t == 1 { "" } else { "s" })
                } else {
                    m.name.to_string()
                }
            })
            .collect();
        w!(out, "  step {}: {}", g + 1, names.join(" + "));
    }
    w!(out, "why: {}", r.reason);
}

fn print_gantt(out: &mut String, p: &MultiPrediction) {
    const WIDTH: usize = 60;
    let total = p.combined_latency_ms.max(1e-9);
    w!(out, "{} schedule, {:.3} ms", p.plan.strategy.name(), total);
    for m in &p.models {
        let a = ((m.start_ms / total) * WIDTH as f64).round() as usize;
        let b = (((m.end_ms / total) * WIDTH as f64).round() as usize).max(a + 1).min(WIDTH);
        let bar: String = (0..WIDTH).map(|x| if x >= a && x < b { '#' } else { '.' }).collect();
        w!(out, "{:<24} |{bar}| {:>9.3} -> {:>9.3} ms", m.name, m.start_ms, m.end_ms);
    }
    w!(out, "peak memory {:.0} MB", p.combined_memory_mb);
}

/// Runs the CLI on the process arguments.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(text) => {
            // A closed pipe (`mmperf hardware | head`) is the reader's choice, not an error.
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("error: cannot write output: {e}");
                    ExitCode::from(1)
                }
                _ => ExitCode::SUCCESS,
            }
        }
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

/// `mmperf bench`.
fn bench(seconds: f64, only: Option<&str>, scaling: bool, json: bool) -> Result<String, String> {
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 60.0) {
        return Err(format!("--seconds: got {seconds}; expected a number of seconds in (0, 60]"));
    }
    let mut r = multimodel_perf::native::speed::run(seconds, only).map_err(|e| e.to_string())?;
    if scaling {
        r.scaling = multimodel_perf::native::speed::scaling().map_err(|e| e.to_string())?;
    }
    if json {
        let v = multimodel_perf::wire::bench::BenchReportDto::from(&r);
        return Ok(serde_json::to_string_pretty(&v).unwrap_or_default() + "\n");
    }
    let mut out = String::new();
    w!(out, "{:<34} {:>12} {:>12} {:>8}", "case (native)", "median µs", "fastest µs", "samples");
    for c in &r.cases {
        w!(out, "{:<34} {:>12.2} {:>12.2} {:>8}", c.name, c.median_us, c.min_us, c.samples);
    }
    for s in &r.serve {
        w!(
            out,
            "{:<34} {:>10.0} events/s ({} events per run, {:.1} ms)",
            s.name,
            s.events_per_s,
            s.events,
            s.median_ms
        );
    }
    if !r.scaling.is_empty() {
        w!(out, "\n{:<8} {:>8} {:>14} {:>16}", "device", "models", "predict ms", "recommend ms");
        for s in &r.scaling {
            w!(
                out,
                "{:<8} {:>8} {:>14.3} {:>16.3}",
                s.device,
                s.models,
                s.predict_ms,
                s.recommend_ms
            );
        }
    }
    Ok(out)
}

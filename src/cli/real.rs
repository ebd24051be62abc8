//! `mmperf check-real`: predictions against measured runs of a real runtime (`bench/real/run.py`'s results):
//! every measured plan predicted, the pick, the regret, solo-run errors and the summary.

use std::fmt::Write as _;

use multimodel_perf::calibrate::real::{self, RealReport, HIT_TOLERANCE};
use multimodel_perf::catalog::runtime::RuntimeProfile;
use multimodel_perf::predict::multi::Target;
use multimodel_perf::wire;

use super::{read, text};

/// Reads the results at `path`, predicts them on `hardware` (a profile JSON file or catalog id) with the
/// measured runtime, and prints the report.
pub fn check_real(path: &str, hardware: &str) -> Result<String, String> {
    let run = wire::real::parse_real_run(&read(path, "results")?).map_err(text)?;
    let device = super::device(hardware)?;
    let target = Target {
        runtime: Some(RuntimeProfile::find(run.predicted_runtime()).map_err(text)?),
        devices: vec![device.clone()],
        device: device.into(),
    };
    let report = real::check(&run.scenarios, &target).map_err(text)?;
    Ok(render(&report, &run, &target.device.id))
}

fn render(r: &RealReport, run: &wire::real::RealRun, device: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} measured, predicted on {device} with {}",
        run.runtime,
        run.predicted_runtime()
    );
    // A run that set glibc malloc's tunables says so, and whether they kept its heap.
    if !run.malloc.is_empty() {
        let set: Vec<String> = run.malloc.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let kept = if run.heap_kept() { "heap kept" } else { "heap not kept: glibc's trimming" };
        let _ = writeln!(
            out,
            "measured with glibc malloc set by the environment: {} ({kept})",
            set.join(" ")
        );
    }
    for s in &r.scenarios {
        let _ = writeln!(
            out,
            "\n{}: pick {} (measured best {}), regret {:.1} %; recommend: {}",
            s.name,
            s.plans[s.picked].label,
            s.plans[s.best].label,
            100.0 * s.regret,
            s.recommended
        );
        let _ = writeln!(
            out,
            "  {:<24} {:<12} {:>12} {:>12} {:>8}",
            "plan", "threads", "measured ms", "predicted ms", "error"
        );
        for (k, p) in s.plans.iter().enumerate() {
            let mark = match (k == s.picked, k == s.best) {
                (true, true) => "*=",
                (true, false) => "* ",
                (false, true) => " =",
                _ => "  ",
            };
            let _ = writeln!(
                out,
                "{mark}{:<24} {:<12} {:>12.1} {:>12.1} {:>+7.1}%",
                p.label,
                format!("{:?}", p.threads),
                p.measured_ms,
                p.predicted_ms,
                100.0 * (p.predicted_ms / p.measured_ms - 1.0)
            );
        }
        for a in &s.alone {
            let _ = writeln!(
                out,
                "  alone {:<30} {:>2} thr {:>10.1} {:>12.1} {:>+7.1}%",
                a.model,
                a.threads,
                a.measured_ms,
                a.predicted_ms,
                100.0 * (a.predicted_ms / a.measured_ms - 1.0)
            );
        }
    }
    let _ = writeln!(
        out,
        "\n(* = pick: lowest predicted makespan among the measured plans; = = measured best)\nsummary: {} of {} picks within {:.0} % of the measured best; regret mean {:.1} %, max {:.1} %; median error alone {:.1} %, concurrent plans {:.1} %; {:.0} % of predictions within ±25 %\nsolo runs: predicted {:+.1} % against measured (geometric mean; beyond ±10 % the machine ran at another speed than the profile says: calibrate again next to the run)",
        r.hits,
        r.scenarios.len(),
        100.0 * HIT_TOLERANCE,
        100.0 * r.mean_regret,
        100.0 * r.max_regret,
        100.0 * r.median_ape_alone,
        100.0 * r.median_ape_concurrent,
        100.0 * r.within_25,
        100.0 * r.solo_bias
    );
    out
}

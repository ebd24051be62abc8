//! `mmperf route WORKLOAD.json --capabilities CAPS.json`: the backend (WebGPU, WebNN gpu/npu/cpu or WASM) each
//! model of a workload would get in a browser with those capabilities (what `detectCapabilities()` resolved to
//! there, saved as JSON), with the predicted latency and memory, the reason and the ranked alternatives; the
//! same decisions as `routeModels()` in the npm package.

use std::fmt::Write as _;

use multimodel_perf::plan::route::{self, RouteDecision};
use multimodel_perf::wire::{self, route::RouteDecisionDto};

use super::{read, text};

/// The command's arguments.
#[derive(clap::Args)]
pub struct Args {
    /// Workload JSON (the models; its hardware and strategy fields are not used).
    workload: String,
    /// Capabilities JSON: what `detectCapabilities()` resolves to in the browser, e.g. saved with
    /// `JSON.stringify(await detectCapabilities())`.
    #[arg(long)]
    capabilities: String,
    /// Print the decisions as JSON (the array `routeModels()` returns).
    #[arg(long)]
    json: bool,
}

/// Runs `mmperf route`.
pub fn route(a: Args) -> Result<String, String> {
    let workload = wire::parse_workload(&read(&a.workload, "workload")?).map_err(text)?;
    let caps = wire::capabilities::parse_capabilities(&read(&a.capabilities, "capabilities")?)
        .map_err(text)?;
    let decisions = route::route(&workload.workload.models, &caps).map_err(text)?;
    if a.json {
        let dtos: Vec<RouteDecisionDto> = decisions.iter().map(RouteDecisionDto::from).collect();
        return serde_json::to_string_pretty(&dtos).map_err(text);
    }
    Ok(render(&decisions, &caps.browser.name, &caps.browser.os))
}

fn render(decisions: &[RouteDecision], browser: &str, os: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "routed for {browser} on {os}");
    let _ = writeln!(
        out,
        "{:<28} {:<10} {:<28} {:<18} {:<9} {:>11} {:>10}",
        "model", "backend", "device", "runtime", "precision", "latency ms", "memory MB"
    );
    for d in decisions {
        let _ = writeln!(
            out,
            "{:<28} {:<10} {:<28} {:<18} {:<9} {:>11.2} {:>10.1}",
            d.model,
            d.backend.name(),
            d.device,
            d.runtime,
            d.precision.name(),
            d.latency_ms,
            d.memory.total_mb()
        );
        let _ = writeln!(out, "  why: {}", d.reason);
        for alt in &d.alternatives {
            let latency = alt.latency_ms.map_or_else(|| "-".to_string(), |l| format!("{l:.2} ms"));
            let _ = writeln!(
                out,
                "  {} {:<10} {:>10}  {}",
                if alt.usable { "+" } else { "x" },
                alt.backend.name(),
                latency,
                alt.reason
            );
        }
        for w in &d.warnings {
            let _ = writeln!(out, "  note: {w}");
        }
    }
    out
}

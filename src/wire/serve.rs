//! Serving under load as JSON (`simulateServing`, `mmperf serve --json`): arrival and policy options in,
//! latency percentiles, queueing and sustainable rates out.

use crate::flatmap::FlatMap;

use serde::{Deserialize, Serialize};

use super::{lenient, r4};
use crate::error::{Error, Result};

/// Options of a serving simulation (`mmperf serve`, `simulateServing`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ServeOptions", optional_fields))]
pub struct ServeOptionsDto {
    /// Requests per second for every model.
    #[serde(default, deserialize_with = "lenient::option")]
    pub rate: Option<f64>,
    /// Requests per second by model name (overrides `rate`).
    pub rates: Option<FlatMap<String, f64>>,
    /// `poisson` (default) or `periodic`.
    #[cfg_attr(test, ts(type = "\"poisson\" | \"periodic\"", optional))]
    pub arrivals: Option<String>,
    /// Arrival times in ms by model name (replaces its rate).
    pub traces: Option<FlatMap<String, Vec<f64>>>,
    /// `parallel` (default), `fifo`, `sjf` or `priority`.
    #[cfg_attr(
        test,
        ts(
            type = "\"parallel\" | \"fifo\" | \"sjf\" | \"shortest-job-first\" | \"shortest_job_first\" | \"priority\"",
            optional
        )
    )]
    pub policy: Option<String>,
    /// Priority level per model in workload order (0 = most urgent), for `priority`.
    pub priorities: Option<Vec<u32>>,
    /// Seconds of arrivals (default 60).
    #[serde(default, alias = "duration_s", deserialize_with = "lenient::option")]
    pub duration_s: Option<f64>,
    /// Seconds excluded from the statistics at the start (default a tenth of the duration).
    #[serde(default, alias = "warmup_s", deserialize_with = "lenient::option")]
    pub warmup_s: Option<f64>,
    /// Seed of the arrival processes (default 1).
    pub seed: Option<u64>,
    /// Apply the device's thermal throttling (default true).
    pub throttle: Option<bool>,
    /// Also search the maximum sustainable rates (default true).
    pub capacity: Option<bool>,
}

/// A serving request, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeRequest {
    /// The simulation.
    pub config: crate::serve::ServeConfig,
    /// Whether to search capacity.
    pub capacity: bool,
}

/// Validates serving options against a prepared workload (model names, lengths) and its device (throttling).
pub fn serve_request(
    dto: ServeOptionsDto,
    prep: &crate::predict::multi::Prepared,
) -> Result<ServeRequest> {
    use crate::serve::{Arrivals, Policy, ServeConfig, Throttle};
    let names: Vec<&str> = prep.models.iter().map(|m| m.spec.name.as_str()).collect();
    for key in
        dto.rates.iter().flat_map(|m| m.keys()).chain(dto.traces.iter().flat_map(|m| m.keys()))
    {
        if !names.contains(&key.as_str()) {
            return Err(Error::invalid(
                format!("serve.rates.{key}"),
                key,
                format!("a model of the workload ({})", names.join(", ")),
            ));
        }
    }
    let periodic = match dto.arrivals.as_deref().unwrap_or("poisson") {
        "poisson" => false,
        "periodic" => true,
        other => return Err(Error::invalid("serve.arrivals", other, "poisson or periodic")),
    };
    if dto.rate.is_none() && dto.rates.is_none() && dto.traces.is_none() {
        return Err(Error::missing(
            "serve.rate",
            "requests per second for every model (rate), per model (rates) or arrival traces",
        ));
    }
    let arrivals = names
        .iter()
        .map(|name| {
            if let Some(times) = dto.traces.as_ref().and_then(|t| t.get(*name)) {
                return Arrivals::Trace { times_ms: times.clone() };
            }
            match dto.rates.as_ref().and_then(|r| r.get(*name)).copied().or(dto.rate) {
                Some(rate_per_s) if periodic => Arrivals::Periodic { rate_per_s },
                Some(rate_per_s) => Arrivals::Poisson { rate_per_s },
                None => Arrivals::None,
            }
        })
        .collect();
    let policy = match dto.policy.as_deref().unwrap_or("parallel") {
        "parallel" => Policy::Parallel,
        "fifo" => Policy::Fifo,
        "sjf" | "shortest-job-first" | "shortest_job_first" => Policy::ShortestJobFirst,
        "priority" => Policy::Priority(
            dto.priorities.clone().unwrap_or_else(|| (0..names.len() as u32).collect()),
        ),
        other => {
            return Err(Error::invalid(
                "serve.policy",
                other,
                "one of parallel, fifo, sjf, priority",
            ))
        }
    };
    let duration_s = dto.duration_s.unwrap_or(60.0);
    let mut config = ServeConfig::new(arrivals, policy, duration_s);
    if let Some(w) = dto.warmup_s {
        config.warmup_s = w;
    }
    config.seed = dto.seed.unwrap_or(1);
    let device = &prep.devices[0];
    if dto.throttle.unwrap_or(true) && device.throttle_after_s > 0.0 && device.throttled_speed < 1.0
    {
        config.throttle = Some(Throttle {
            after_ns: (device.throttle_after_s * 1e9) as u64,
            speed: device.throttled_speed,
        });
    }
    config.validate(names.len())?;
    Ok(ServeRequest { config, capacity: dto.capacity.unwrap_or(true) })
}

/// Latency statistics of one model.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "LatencyStats"))]
pub struct LatencyDto {
    /// Mean, ms.
    pub mean_ms: f64,
    /// Median, ms.
    pub p50_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Maximum, ms.
    pub max_ms: f64,
    /// Mean time in the queue, ms.
    pub mean_wait_ms: f64,
}

/// One model under load.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ModelServeResult"))]
pub struct ModelServeDto {
    /// Name.
    pub model_name: String,
    /// Requests that arrived in the measured window.
    pub arrived: u64,
    /// Of those, completed.
    pub completed: u64,
    /// Offered rate, req/s.
    pub offered_rps: f64,
    /// Completed rate, req/s.
    pub throughput_rps: f64,
    /// Items per second.
    pub throughput_items_per_s: f64,
    /// Service time alone, ms.
    pub service_ms: f64,
    /// Latency (arrival to completion); null when nothing was measured.
    pub latency: Option<LatencyDto>,
    /// Busy fraction of its server.
    pub utilisation: f64,
    /// Mean latency of the last third of the window over the first third.
    pub latency_trend: f64,
    /// Requests still queued at the end of arrivals.
    pub backlog: u64,
    /// Its queue stayed bounded.
    pub kept_up: bool,
    /// Highest sustainable rate, req/s (when capacity was searched).
    pub max_sustainable_rps: Option<f64>,
}

/// The result of a serving simulation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ServeResult"))]
pub struct ServeDto {
    /// Policy.
    #[cfg_attr(test, ts(type = "\"parallel\" | \"fifo\" | \"shortest_job_first\" | \"priority\""))]
    pub policy: String,
    /// Measured window, s.
    pub window_s: f64,
    /// Busy fraction (shared slot) or fraction of time anything runs (parallel).
    pub utilisation: f64,
    /// Mean latency over all measured requests, ms.
    pub mean_latency_ms: Option<f64>,
    /// Every queue stayed bounded.
    pub stable: bool,
    /// Simulated events.
    pub events: u64,
    /// Simulated requests.
    pub requests: u64,
    /// Factor by which every rate could grow and stay stable (when searched).
    pub max_sustainable_scale: Option<f64>,
    /// Thermal throttling applied: seconds until it starts and the speed after.
    pub throttle: Option<[f64; 2]>,
    /// Per model.
    pub models: Vec<ModelServeDto>,
}

/// Converts a serving report (and its capacity search) to JSON.
pub fn serve_dto(
    req: &ServeRequest,
    r: &crate::serve::ServeReport,
    cap: Option<&crate::serve::CapacityReport>,
) -> ServeDto {
    ServeDto {
        policy: r.policy.name().to_string(),
        window_s: r4(r.window_s),
        utilisation: r4(r.utilisation),
        mean_latency_ms: r.mean_latency_ms.map(r4),
        stable: r.stable,
        events: r.events,
        requests: r.requests,
        max_sustainable_scale: cap.map(|c| r4(c.scale)),
        throttle: req.config.throttle.map(|t| [r4(t.after_ns as f64 * 1e-9), r4(t.speed)]),
        models: r
            .models
            .iter()
            .enumerate()
            .map(|(i, m)| ModelServeDto {
                model_name: m.name.clone(),
                arrived: m.arrived,
                completed: m.completed,
                offered_rps: r4(m.offered_rps),
                throughput_rps: r4(m.throughput_rps),
                throughput_items_per_s: r4(m.throughput_items_per_s),
                service_ms: r4(m.service_ms),
                latency: m.latency.map(|l| LatencyDto {
                    mean_ms: r4(l.mean_ms),
                    p50_ms: r4(l.p50_ms),
                    p95_ms: r4(l.p95_ms),
                    p99_ms: r4(l.p99_ms),
                    max_ms: r4(l.max_ms),
                    mean_wait_ms: r4(l.mean_wait_ms),
                }),
                utilisation: r4(m.utilisation),
                latency_trend: r4(m.latency_trend),
                backlog: m.backlog,
                kept_up: m.kept_up,
                max_sustainable_rps: cap.and_then(|c| c.max_rate_per_s.get(i)).map(|x| r4(*x)),
            })
            .collect(),
    }
}

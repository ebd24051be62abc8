//! Hardware profiles as JSON: a catalog device with any field overridden (`--hardware FILE`, `hardware: {...}`),
//! validated field by field, and a profile written back out.

use crate::flatmap::FlatMap;

use serde::{Deserialize, Serialize};

use super::{count, lenient, malformed, positive};
use crate::catalog::hardware::{
    self, Concurrency, DeviceProfile, GemmTile, MemoryPool, Peaks, Platform,
};
use crate::catalog::runtime::RuntimeProfile;
use crate::catalog::Precision;
use crate::error::{Error, Result};

/// A custom hardware profile: any field of a device profile, optionally starting from a catalog device
/// (`base`). Units are in the field names.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "HardwareProfile", optional_fields))]
pub struct HardwareProfileDto {
    /// Catalog device to start from.
    pub base: Option<String>,
    /// Profile id.
    pub id: Option<String>,
    /// Platform.
    pub platform: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Peaks, TFLOP/s by precision.
    #[cfg_attr(test, ts(type = "Partial<Record<Precision, number>>", optional))]
    pub peak_tflops: Option<FlatMap<String, f64>>,
    /// Datasheet bandwidth.
    #[serde(default, deserialize_with = "lenient::option")]
    pub memory_bandwidth_gbps: Option<f64>,
    /// Achievable fraction of it.
    #[serde(default, deserialize_with = "lenient::option")]
    pub bandwidth_efficiency: Option<f64>,
    /// Capacity, MB.
    #[serde(default, deserialize_with = "lenient::option")]
    pub memory_capacity_mb: Option<f64>,
    /// `dedicated` or `host`.
    #[cfg_attr(test, ts(type = "\"dedicated\" | \"host\"", optional))]
    pub memory_pool: Option<String>,
    /// Power.
    #[serde(default, deserialize_with = "lenient::option")]
    pub tdp_w: Option<f64>,
    /// Idle power, W.
    #[serde(default, deserialize_with = "lenient::option")]
    pub idle_w: Option<f64>,
    /// Power the compute units would draw kept busy at the boost clock, W, where that exceeds `tdp_w` (a
    /// power-limited GPU: a heavy load runs below its boost clock); 0: a full load fits `tdp_w`.
    #[serde(default, deserialize_with = "lenient::option")]
    pub full_load_w: Option<f64>,
    /// Seconds of sustained load before throttling (0: never).
    #[serde(default, deserialize_with = "lenient::option")]
    pub throttle_after_s: Option<f64>,
    /// Speed after throttling.
    #[serde(default, deserialize_with = "lenient::option")]
    pub throttled_speed: Option<f64>,
    /// Sustained clock ratio.
    #[serde(default, deserialize_with = "lenient::option")]
    pub sustained_clock_ratio: Option<f64>,
    /// Compute units.
    #[serde(default, deserialize_with = "lenient::option")]
    pub compute_units: Option<f64>,
    /// Tiles.
    pub gemm_tiles: Option<Vec<TileDto>>,
    /// Kernel overhead.
    #[serde(default, deserialize_with = "lenient::option")]
    pub kernel_overhead_us: Option<f64>,
    /// `concurrent_kernels`, `serial_queue` or `cpu_threads`.
    #[cfg_attr(test, ts(type = "Concurrency", optional))]
    pub concurrency: Option<String>,
    /// Interference.
    #[serde(default, deserialize_with = "lenient::option")]
    pub interference_per_model: Option<f64>,
    /// Per-unit bandwidth.
    #[serde(default, deserialize_with = "lenient::option")]
    pub per_unit_bandwidth_gbps: Option<f64>,
    /// Host cores.
    #[serde(default, deserialize_with = "lenient::option")]
    pub host_cores: Option<f64>,
    /// Host link.
    #[serde(default, deserialize_with = "lenient::option")]
    pub host_link_gbps: Option<f64>,
    /// Spin share.
    #[serde(default, deserialize_with = "lenient::option")]
    pub spin_wait_share: Option<f64>,
    /// Amdahl serial fraction of CPU kernels.
    #[serde(default, deserialize_with = "lenient::option")]
    pub serial_fraction: Option<f64>,
    /// CPUs: per-core rate with every core busy relative to one busy core, in (0, 1].
    #[serde(default, deserialize_with = "lenient::option")]
    pub all_core_rate: Option<f64>,
    /// CPUs: scheduler time slice, µs.
    #[serde(default, deserialize_with = "lenient::option")]
    pub sched_slice_us: Option<f64>,
    /// CPUs: wake-up latency of a blocked thread, µs.
    #[serde(default, deserialize_with = "lenient::option")]
    pub wake_us: Option<f64>,
    /// CPUs: first write to a fresh 4 KiB page, µs.
    #[serde(default, deserialize_with = "lenient::option")]
    pub page_fault_us: Option<f64>,
    /// Last-level cache the cores (a GPU's SMs: its L2) share, MB (0 = unknown).
    #[serde(default, deserialize_with = "lenient::option")]
    pub llc_mb: Option<f64>,
    /// One core's (a GPU's SM's) read rate from the last-level cache, GB/s (0 = unknown).
    #[serde(default, deserialize_with = "lenient::option")]
    pub llc_bandwidth_gbps: Option<f64>,
    /// CPUs: each core's private L2 cache, MB (0 = unknown: no L2 rule).
    #[serde(default, deserialize_with = "lenient::option")]
    pub l2_mb: Option<f64>,
    /// CPUs: one core's read rate from its own L2, GB/s (0 = unknown).
    #[serde(default, deserialize_with = "lenient::option")]
    pub l2_bandwidth_gbps: Option<f64>,
    /// NPUs: the vector DSPs' rate (norms, softmax) as a share of the int8 peak, 0 to 1 (0 = none apart); above 0
    /// only on a `serial_queue` device.
    #[serde(default, deserialize_with = "lenient::option")]
    pub vector_unit_share: Option<f64>,
    /// CUDA GPUs: how many times the tensor-core tiles' share of their peak a GEMM tile sustains of the FP32
    /// peak on the CUDA cores, above 0 up to 4 (1 = the same share).
    #[serde(default, deserialize_with = "lenient::option")]
    pub fp32_tile_gain: Option<f64>,
    /// CUDA and ROCm GPUs: how many times the FP16 tiles' share of their peak a GEMM tile sustains of the INT8
    /// peak, above 0 up to 4 (1 = the same share).
    #[serde(default, deserialize_with = "lenient::option")]
    pub int8_tile_gain: Option<f64>,
    /// CPUs: width of the FMA datapath the FP32 peak assumes, bits (512 on Zen 5 and Xeon, 256 on Zen 4 and
    /// AVX2 parts; 0 = unknown).
    #[serde(default, deserialize_with = "lenient::option")]
    pub fma_width_bits: Option<f64>,
    /// CUDA GPUs: compute capability, major × 10 + minor (70 Volta, 75 Turing, 80 A100, 86 and 89 Ampere and
    /// Ada consumer parts, 90 Hopper; 0 = unknown).
    #[serde(default, deserialize_with = "lenient::option")]
    pub cuda_compute_capability: Option<f64>,
    /// CPUs: the cores' maker (`intel`, `amd`, or empty when unknown).
    #[cfg_attr(test, ts(optional, type = "\"intel\" | \"amd\" | \"\""))]
    pub cpu_vendor: Option<String>,
    /// Default runtime.
    pub default_runtime: Option<String>,
    /// Multiplier of the runtime's dispatch and call overheads on this device (calibration).
    #[serde(default, deserialize_with = "lenient::option")]
    pub overhead_scale: Option<f64>,
    /// Per-model latency factors from calibration, by model name.
    pub latency_corrections: Option<FlatMap<String, f64>>,
    /// Measured kernel efficiency per runtime on this device, in (0, 4]: above 1 where its kernels beat the
    /// tuned GEMM the peak was calibrated with.
    #[serde(default)]
    pub runtime_efficiency: Option<FlatMap<String, f64>>,
    /// CPUs: measured cost of a parallel region per thread beyond the first for a runtime on this device, µs,
    /// in [0, 10000]; replaces the device's region cost plus the runtime's own for that runtime.
    #[serde(default)]
    pub runtime_region_us: Option<FlatMap<String, f64>>,
    /// Sources per field.
    pub sources: Option<FlatMap<String, String>>,
}

/// A GEMM tile in a profile.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "GemmTile"))]
pub struct TileDto {
    /// Rows.
    pub m: u32,
    /// Columns.
    pub n: u32,
    /// Efficiency.
    #[serde(deserialize_with = "lenient::number")]
    pub efficiency: f64,
}

/// Parses a custom hardware profile.
pub fn parse_hardware(json: &str) -> Result<DeviceProfile> {
    let dto: HardwareProfileDto =
        serde_json::from_str(json).map_err(|e| malformed("hardware profile", e))?;
    DeviceProfile::try_from(dto)
}

/// Validates a hardware profile DTO: the catalog device it starts from, then each group of fields over it.
impl TryFrom<HardwareProfileDto> for DeviceProfile {
    type Error = Error;

    fn try_from(d: HardwareProfileDto) -> Result<DeviceProfile> {
        let mut p = match (&d.base, &d.platform) {
            (Some(b), _) => hardware::find(b)?,
            (None, Some(pl)) => hardware::find(pl)?,
            (None, None) => {
                return Err(Error::missing(
                    "hardware.base",
                    "a catalog device to start from (e.g. cuda:a100-40gb) or a platform",
                ))
            }
        };
        identity(&d, &mut p)?;
        compute(&d, &mut p)?;
        memory(&d, &mut p)?;
        power(&d, &mut p)?;
        cpu_behaviour(&d, &mut p)?;
        runtimes(d, &mut p)?;
        Ok(p)
    }
}

/// A per-runtime figure of a profile (`key.{runtime}`): each name a catalog runtime (aliases resolved) and
/// each value finite and `ok`, else a typed error naming the entry and what is `allowed`.
fn by_runtime(
    c: FlatMap<String, f64>,
    key: &str,
    ok: impl Fn(f64) -> bool,
    allowed: &str,
) -> Result<Vec<(String, f64)>> {
    let mut out = Vec::with_capacity(c.len());
    for (k, v) in c {
        let name = field(&format!("{key}.{k}"));
        let rt = RuntimeProfile::find(&k).map_err(|e| Error::invalid(&name, &k, e.to_string()))?;
        if !(v.is_finite() && ok(v)) {
            return Err(Error::invalid(name, v, allowed));
        }
        out.push((rt.name, v));
    }
    Ok(out)
}

/// `hardware.<k>`.
fn field(k: &str) -> String {
    format!("hardware.{k}")
}

/// An optional number in [0, 1].
fn fraction(k: &str, v: Option<f64>) -> Result<Option<f64>> {
    match v {
        Some(x) if !(x.is_finite() && (0.0..=1.0).contains(&x)) => {
            Err(Error::invalid(field(k), x, "a number from 0 to 1"))
        }
        x => Ok(x),
    }
}

/// An optional finite number ≥ 0; `what` says what it counts.
fn non_negative(k: &str, v: Option<f64>, what: &str) -> Result<Option<f64>> {
    match v {
        Some(x) if !(x.is_finite() && x >= 0.0) => Err(Error::invalid(field(k), x, what)),
        x => Ok(x),
    }
}

/// Id, platform and name.
fn identity(d: &HardwareProfileDto, p: &mut DeviceProfile) -> Result<()> {
    if let Some(id) = &d.id {
        p.id = id.clone();
    }
    if let Some(pl) = d.platform.as_deref() {
        p.platform = Platform::parse(&field("platform"), pl)?;
    }
    if let Some(n) = &d.name {
        p.name = n.clone();
    }
    Ok(())
}

/// Peaks, GEMM tiles, compute units, launch overhead, how kernels share the device, sustained clock.
fn compute(d: &HardwareProfileDto, p: &mut DeviceProfile) -> Result<()> {
    if let Some(v) = count(field("cuda_compute_capability"), d.cuda_compute_capability, 0.0, 200.0)?
    {
        p.cuda_compute_capability = v;
    }
    if let Some(peaks) = &d.peak_tflops {
        p.peak_tflops = peak_tflops(peaks)?;
        // The base device's sources for its own peaks do not describe these (a profile's own come back in
        // its `sources`).
        p.sources.retain(|(k, _)| !k.starts_with("peak_tflops."));
    }
    if let Some(v) = fraction("sustained_clock_ratio", d.sustained_clock_ratio)? {
        p.sustained_clock_ratio = v.max(1e-3);
    }
    if let Some(v) = count(field("compute_units"), d.compute_units, 1.0, 1e6)? {
        p.compute_units = v;
    }
    if let Some(tiles) = &d.gemm_tiles {
        if tiles.is_empty()
            || tiles
                .iter()
                .any(|t| t.m == 0 || t.n == 0 || !(t.efficiency > 0.0 && t.efficiency <= 1.0))
        {
            return Err(Error::invalid(
                field("gemm_tiles"),
                format!("{} tiles", tiles.len()),
                "at least one tile with m, n ≥ 1 and efficiency in (0, 1]",
            ));
        }
        p.gemm_tiles =
            tiles.iter().map(|t| GemmTile { m: t.m, n: t.n, efficiency: t.efficiency }).collect();
    }
    let overhead =
        non_negative("kernel_overhead_us", d.kernel_overhead_us, "a non-negative number of µs")?;
    if let Some(v) = overhead {
        p.kernel_overhead_us = v;
    }
    if let Some(c) = d.concurrency.as_deref() {
        p.concurrency = Concurrency::parse(&field("concurrency"), c)?;
    }
    Ok(())
}

/// `peak_tflops` by precision name; at least one of fp32, fp16, int8 positive.
fn peak_tflops(peaks: &FlatMap<String, f64>) -> Result<Peaks> {
    let mut out = Peaks::NONE;
    for (k, &v) in peaks {
        let name = field(&format!("peak_tflops.{k}"));
        if !(v.is_finite() && v >= 0.0) {
            return Err(Error::invalid(name, v, "a non-negative number of TFLOP/s"));
        }
        *out.get_mut(Precision::parse(&name, k)?) = v;
    }
    if out.fp32 <= 0.0 && out.fp16 <= 0.0 && out.int8 <= 0.0 {
        return Err(Error::invalid(
            field("peak_tflops"),
            "no positive fp32, fp16 or int8 peak",
            "at least one positive fp32, fp16 or int8 peak",
        ));
    }
    Ok(out)
}

/// Bandwidth (whole and per unit), capacity, memory pool, host link.
fn memory(d: &HardwareProfileDto, p: &mut DeviceProfile) -> Result<()> {
    let bandwidth = positive(field("memory_bandwidth_gbps"), d.memory_bandwidth_gbps, 1e6)?;
    if let Some(v) = bandwidth {
        p.memory_bandwidth_gbps = v;
    }
    if let Some(v) = fraction("bandwidth_efficiency", d.bandwidth_efficiency)? {
        p.bandwidth_efficiency = v.max(1e-3);
    }
    if let Some(v) = fraction("vector_unit_share", d.vector_unit_share)? {
        if v > 0.0 && p.concurrency != Concurrency::SerialQueue {
            return Err(Error::invalid(
                field("vector_unit_share"),
                v,
                "0 unless the device's concurrency is serial_queue (an NPU's vector DSPs)",
            ));
        }
        p.vector_unit_share = v;
    }
    if let Some(v) = positive(field("fp32_tile_gain"), d.fp32_tile_gain, 4.0)? {
        p.fp32_tile_gain = v;
        // The base device's source for its own gain does not describe this one (a profile's own comes back
        // in its `sources`).
        p.sources.retain(|(k, _)| k != "fp32_tile_gain");
    }
    if let Some(v) = positive(field("int8_tile_gain"), d.int8_tile_gain, 4.0)? {
        p.int8_tile_gain = v;
        p.sources.retain(|(k, _)| k != "int8_tile_gain");
    }
    if let Some(v) = positive(field("memory_capacity_mb"), d.memory_capacity_mb, 1e9)? {
        p.memory_capacity_mb = v;
    }
    if let Some(pool) = d.memory_pool.as_deref() {
        p.memory_pool = match pool {
            "dedicated" => MemoryPool::Dedicated,
            "host" => MemoryPool::Host,
            other => return Err(Error::invalid(field("memory_pool"), other, "dedicated or host")),
        };
    }
    let per_unit = non_negative(
        "per_unit_bandwidth_gbps",
        d.per_unit_bandwidth_gbps,
        "a non-negative number (0 = no per-unit limit)",
    )?;
    if let Some(v) = per_unit {
        p.per_unit_bandwidth_gbps = v;
    }
    for (k, v, slot) in [
        ("llc_mb", d.llc_mb, &mut p.llc_mb),
        ("llc_bandwidth_gbps", d.llc_bandwidth_gbps, &mut p.llc_bandwidth_gbps),
        ("l2_mb", d.l2_mb, &mut p.l2_mb),
        ("l2_bandwidth_gbps", d.l2_bandwidth_gbps, &mut p.l2_bandwidth_gbps),
    ] {
        if let Some(x) = non_negative(k, v, "a non-negative number (0 = unknown)")? {
            *slot = x;
        }
    }
    if let Some(v) = positive(field("host_link_gbps"), d.host_link_gbps, 1e6)? {
        p.host_link_gbps = v;
    }
    Ok(())
}

/// TDP, idle power (at most the TDP) and thermal throttling.
fn power(d: &HardwareProfileDto, p: &mut DeviceProfile) -> Result<()> {
    if let Some(v) = positive(field("tdp_w"), d.tdp_w, 1e5)? {
        p.tdp_w = v;
    }
    if let Some(v) = d.idle_w {
        if !(v.is_finite() && v >= 0.0 && v <= p.tdp_w) {
            return Err(Error::invalid(
                field("idle_w"),
                v,
                format!("a number of W from 0 to tdp_w ({})", p.tdp_w),
            ));
        }
        p.idle_w = v;
    }
    let full = non_negative(
        "full_load_w",
        d.full_load_w,
        "a non-negative number of W (0 = a full load fits tdp_w)",
    )?;
    if let Some(v) = full {
        p.full_load_w = v;
    }
    let after = non_negative(
        "throttle_after_s",
        d.throttle_after_s,
        "a non-negative number of seconds (0 = never)",
    )?;
    if let Some(v) = after {
        p.throttle_after_s = v;
    }
    if let Some(v) = fraction("throttled_speed", d.throttled_speed)? {
        p.throttled_speed = v.max(1e-3);
    }
    Ok(())
}

/// How co-running models and threads share the device: interference, host cores, spinning, serial share,
/// the all-core rate, scheduler slice, wake-up and page-fault costs.
fn cpu_behaviour(d: &HardwareProfileDto, p: &mut DeviceProfile) -> Result<()> {
    if let Some(v) = fraction("interference_per_model", d.interference_per_model)? {
        p.interference_per_model = v;
    }
    if let Some(v) = count(field("host_cores"), d.host_cores, 1.0, 4096.0)? {
        p.host_cores = v;
    }
    if let Some(v) = count(field("fma_width_bits"), d.fma_width_bits, 0.0, 2048.0)? {
        p.fma_width_bits = v;
    }
    match d.cpu_vendor.as_deref() {
        Some(v @ ("intel" | "amd" | "")) => p.cpu_vendor = v.to_string(),
        Some(v) => {
            return Err(Error::invalid(field("cpu_vendor"), v, "\"intel\", \"amd\" or \"\""))
        }
        None => {}
    }
    if let Some(v) = fraction("spin_wait_share", d.spin_wait_share)? {
        p.spin_wait_share = v;
    }
    if let Some(v) = fraction("serial_fraction", d.serial_fraction)? {
        p.serial_fraction = v;
    }
    match fraction("all_core_rate", d.all_core_rate)? {
        Some(v) if v <= 0.0 => {
            return Err(Error::invalid(field("all_core_rate"), v, "a number above 0 and at most 1"))
        }
        Some(v) => p.all_core_rate = v,
        None => {}
    }
    for (k, v, slot) in [
        ("sched_slice_us", d.sched_slice_us, &mut p.sched_slice_us),
        ("wake_us", d.wake_us, &mut p.wake_us),
        ("page_fault_us", d.page_fault_us, &mut p.page_fault_us),
    ] {
        match v {
            Some(x) if !(x.is_finite() && (0.0..=1e6).contains(&x)) => {
                return Err(Error::invalid(field(k), x, "a time from 0 to 1000000 µs"))
            }
            Some(x) => *slot = x,
            None => {}
        }
    }
    Ok(())
}

/// Default runtime, overhead scale, per-model latency corrections, per-runtime efficiencies, sources.
fn runtimes(d: HardwareProfileDto, p: &mut DeviceProfile) -> Result<()> {
    if let Some(rt) = d.default_runtime {
        p.default_runtime = RuntimeProfile::find(&rt)
            .map_err(|_| {
                Error::invalid(
                    field("default_runtime"),
                    &rt,
                    format!("one of {}", crate::catalog::runtime::names().join(", ")),
                )
            })?
            .name;
    }
    if let Some(v) = d.overhead_scale {
        if !(v.is_finite() && v > 0.0 && v <= 1e3) {
            return Err(Error::invalid(field("overhead_scale"), v, "a positive number up to 1000"));
        }
        p.overhead_scale = v;
    }
    if let Some(c) = d.latency_corrections {
        let mut out = Vec::with_capacity(c.len());
        for (k, v) in c {
            if !(v.is_finite() && v > 0.0 && v <= 100.0) {
                return Err(Error::invalid(
                    field(&format!("latency_corrections.{k}")),
                    v,
                    "a positive factor up to 100",
                ));
            }
            out.push((k.to_ascii_lowercase(), v));
        }
        p.latency_corrections = out;
    }
    if let Some(c) = d.runtime_efficiency {
        // Above 1 where a runtime's kernels beat the tuned GEMM the profile's peak was calibrated with:
        // onnxruntime-web's small GEMMs ran 1.2-1.3x the page's tuned GEMM (bench/web/gemm.mjs), and the
        // catalog's large tile counts 0.75 of the peak, so a runtime may reach at most 1 / 0.75 of the tuned
        // GEMM's large rate; 4 leaves room for kernels measured on other shapes.
        let ok = |v: f64| v > 0.0 && v <= 4.0;
        p.runtime_efficiency =
            by_runtime(c, "runtime_efficiency", ok, "a number above 0 and at most 4")?;
    }
    if let Some(c) = d.runtime_region_us {
        let ok = |v: f64| (0.0..=hardware::MAX_REGION_US).contains(&v);
        let allowed = format!("a number of µs from 0 to {}", hardware::MAX_REGION_US);
        p.runtime_region_us = by_runtime(c, "runtime_region_us", ok, &allowed)?;
    }
    if let Some(src) = d.sources {
        p.sources.retain(|(k, _)| !src.contains_key(k));
        p.sources.extend(src);
    }
    Ok(())
}

/// Every field of a profile, so that [``] rebuilds it exactly (a calibrated profile saved
/// as JSON and given back as `--hardware FILE`).
impl From<&DeviceProfile> for HardwareProfileDto {
    fn from(p: &DeviceProfile) -> HardwareProfileDto {
        let peaks = Precision::ALL
            .into_iter()
            .map(|precision| (precision.name().to_string(), p.peak_tflops.get(precision)))
            .collect();
        HardwareProfileDto {
            base: None,
            id: Some(p.id.clone()),
            platform: Some(p.platform.name().to_string()),
            name: Some(p.name.clone()),
            peak_tflops: Some(peaks),
            memory_bandwidth_gbps: Some(p.memory_bandwidth_gbps),
            bandwidth_efficiency: Some(p.bandwidth_efficiency),
            memory_capacity_mb: Some(p.memory_capacity_mb),
            memory_pool: Some(
                match p.memory_pool {
                    MemoryPool::Dedicated => "dedicated",
                    MemoryPool::Host => "host",
                }
                .to_string(),
            ),
            tdp_w: Some(p.tdp_w),
            idle_w: Some(p.idle_w),
            full_load_w: Some(p.full_load_w),
            throttle_after_s: Some(p.throttle_after_s),
            throttled_speed: Some(p.throttled_speed),
            sustained_clock_ratio: Some(p.sustained_clock_ratio),
            compute_units: Some(f64::from(p.compute_units)),
            gemm_tiles: Some(
                p.gemm_tiles
                    .iter()
                    .map(|t| TileDto { m: t.m, n: t.n, efficiency: t.efficiency })
                    .collect(),
            ),
            kernel_overhead_us: Some(p.kernel_overhead_us),
            concurrency: Some(p.concurrency.name().to_string()),
            interference_per_model: Some(p.interference_per_model),
            per_unit_bandwidth_gbps: Some(p.per_unit_bandwidth_gbps),
            host_cores: Some(f64::from(p.host_cores)),
            host_link_gbps: Some(p.host_link_gbps),
            spin_wait_share: Some(p.spin_wait_share),
            serial_fraction: Some(p.serial_fraction),
            all_core_rate: Some(p.all_core_rate),
            sched_slice_us: Some(p.sched_slice_us),
            wake_us: Some(p.wake_us),
            page_fault_us: Some(p.page_fault_us),
            llc_mb: Some(p.llc_mb),
            llc_bandwidth_gbps: Some(p.llc_bandwidth_gbps),
            l2_mb: Some(p.l2_mb),
            l2_bandwidth_gbps: Some(p.l2_bandwidth_gbps),
            vector_unit_share: Some(p.vector_unit_share),
            fp32_tile_gain: Some(p.fp32_tile_gain),
            int8_tile_gain: Some(p.int8_tile_gain),
            fma_width_bits: Some(f64::from(p.fma_width_bits)),
            cuda_compute_capability: Some(f64::from(p.cuda_compute_capability)),
            cpu_vendor: Some(p.cpu_vendor.clone()),
            default_runtime: Some(p.default_runtime.clone()),
            overhead_scale: Some(p.overhead_scale),
            latency_corrections: Some(p.latency_corrections.iter().cloned().collect()),
            runtime_efficiency: Some(p.runtime_efficiency.iter().cloned().collect()),
            runtime_region_us: Some(p.runtime_region_us.iter().cloned().collect()),
            sources: Some(p.sources.iter().cloned().collect()),
        }
    }
}

//! Requests at once on a CPU: how many cores each of a runtime's streams gets.
//!
//! OpenVINO's CPU plugin, asked for throughput (`ov::hint::PerformanceMode::THROUGHPUT`, what its benchmark
//! tables are measured with), splits the cores into streams that each run one request, and picks the threads per
//! stream from the model: a model whose layers' data fit in a core's L2 gets one thread per stream, one whose
//! layers spill it gets a few (`src/plugins/intel_cpu/src/cpu_streams_calculation.cpp`, `get_model_prefer_threads`
//! and `get_streams_info_table`, in the form OpenVINO 2023.1 to 2023.3 have, with `latencyThreadingMode`: the
//! 2023.2 benchmark rows ran it; 2023.0's default split differs; the layer test is `MemBandwidthPressureTolerance`
//! in `src/inference/dev_api/performance_heuristics.hpp`; the plugin's `docs/performance_hint_and_threads_scheduling.md`
//! describes the same table: 1, 2, or 3 to 5 threads per stream by memory pressure). [`openvino_stream_threads`]
//! follows that code on the profile's L2 and peaks and the model's operators.

use crate::catalog::arch::{Op, OpClass};
use crate::catalog::hardware::{CpuSystem, DeviceProfile};
use crate::catalog::Precision;
use crate::predict::single::MB;

/// The cache share OpenVINO assumes a layer may use before it counts as memory-bound
/// (`MemBandwidthPressure::LIMITED`: "conservatively assume 1/2 utilization of the cache").
const LIMITED: f64 = 0.5;

/// How much more of the cache OpenVINO lets a layer use before it calls it memory-bound on a CPU whose
/// instruction set computes faster (its `isaSpecificThreshold`): 4 with AMX, 2 with VNNI int8 dot products,
/// 1 for AVX2 or AVX-512 alone (SSE4.1's 0.5 is not told apart). Read from the profile's peaks: a matrix unit
/// (AMX) puts the BF16 peak at 8 or more times the FP32 one; VNNI the INT8 peak at 4 or more times it.
fn isa_threshold(device: &DeviceProfile) -> f64 {
    let p = &device.peak_tflops;
    let fp32 = p.get(Precision::Fp32);
    if fp32 <= 0.0 {
        1.0
    } else if p.get(Precision::Bf16) >= 8.0 * fp32 {
        4.0
    } else if p.get(Precision::Int8) >= 4.0 * fp32 {
        2.0
    } else {
        1.0
    }
}

/// Bytes per element OpenVINO counts a layer's data at: its weights' type (1 for int8, 2 for FP16/BF16, 4 else:
/// its test knows only i8/u8 as low precision, so int4 counts 4).
fn element_bytes(precision: Precision) -> f64 {
    match precision {
        Precision::Int8 => 1.0,
        Precision::Fp16 | Precision::Bf16 => 2.0,
        _ => 4.0,
    }
}

/// Whether a convolution counts as compute-bound in OpenVINO's test: a kernel of 3 or more in both directions.
/// The lowered operator keeps the window's taps (`Op::window`, height × width): 9 or more is taken as 3×3 or
/// larger (a 1×9 would be too), and a patch embedding's (window 0 here, 16×16 in ViT) counts as compute-bound.
fn compute_convolution(op: &Op) -> bool {
    op.window >= 9.0 || op.window == 0.0
}

/// Elements a layer moves as `MemBandwidthPressureTolerance` counts them, or `None` for a layer it does not
/// check: a convolution that is not compute-bound ([`compute_convolution`]: 1×1, 2×2, 1×7 ...), its input and
/// output (a strided one's whole input, as the lowered operator counts it); a matrix product's inputs that are
/// not constants and its output (a layer's weights are constants; attention's two products, scores against keys
/// and probabilities against values, have none, and both move the same number). Depthwise convolutions
/// (OpenVINO's `GroupConvolution`) and every other operator are not looked at.
fn checked_elements(op: &Op) -> Option<f64> {
    match op.class {
        OpClass::Gemm if op.convolution => (!compute_convolution(op)).then_some(op.act_elems),
        OpClass::Gemm => Some(op.act_elems),
        OpClass::Attention => {
            // Either product: queries (or probabilities) m×k (m×n), keys (values) n×k, out m×n (m×k).
            Some(op.batches * (op.m * op.k + op.n * op.k + op.m * op.n))
        }
        _ => None,
    }
}

/// Cores per stream OpenVINO's CPU plugin runs `ops` at `precision` with under its throughput hint on `device`
/// (`system` saying what the profile does not), or `None` where the profile does not know its L2 (`l2_mb` 0):
///
/// 1. Each checked layer's L2 factor: one core's L2 over the bytes it moves (`checked_elements` times the
///    element size); the model's worst factor decides.
/// 2. Above `0.5 / isa` (the instruction set's factor: 4 AMX, 2 VNNI, 1 else): 1 thread per stream; otherwise
///    above 0.5: 2 (a branch only SSE4.1's factor of 0.5 reaches); otherwise the default. With no checked layer:
///    1 where every convolution is compute-bound, else the default.
/// 3. OpenVINO makes 1 thread 2 on a single-socket CPU without efficient cores: a core's two hyper-threads, so
///    still 1 core here.
/// 4. The default: 4 threads per stream where one socket's cores divide by 4, else 5, else 3, else (one
///    socket) all of them, else 4 above 16 cores and a quarter of them below; halved while the streams are at
///    most half the threads per stream.
///
/// Cores here are the profile's even cores. On a hybrid CPU OpenVINO runs single-thread streams on each
/// performance core's thread and on pairs of efficient cores (1 here), and counts only the performance cores
/// for the default split (the 13900K: 8, by 4, as its 24 here); on one socket without efficient cores it also
/// runs the hyper-threads, which the split here does not model. The result is at least 1 and at most the
/// device's cores.
pub fn openvino_stream_threads(
    device: &DeviceProfile,
    ops: &[Op],
    precision: Precision,
    system: CpuSystem,
) -> Option<u32> {
    if device.l2_mb <= 0.0 {
        return None;
    }
    let cores = device.compute_units.max(1);
    let l2_bytes = device.l2_mb * MB;
    let isa_limit = LIMITED / isa_threshold(device);
    let bytes = element_bytes(precision);
    let mut worst: Option<f64> = None;
    let (mut convs, mut compute_convs) = (0usize, 0usize);
    for op in ops {
        if op.class == OpClass::Gemm && op.convolution {
            convs += 1;
            if compute_convolution(op) {
                compute_convs += 1;
            }
        }
        if let Some(elems) = checked_elements(op).filter(|e| *e > 0.0) {
            let factor = l2_bytes / (elems * bytes);
            worst = Some(worst.map_or(factor, |w: f64| w.min(factor)));
        }
    }
    let prefer = match worst {
        None if convs > 0 && compute_convs == convs => 1,
        None => 0,
        Some(w) if w > isa_limit => 1,
        Some(w) if w > LIMITED => 2,
        Some(_) => 0,
    };
    let threads = if prefer > 0 {
        prefer
    } else {
        let per_socket = (cores / system.sockets.max(1)).max(1);
        let mut t = if per_socket % 4 == 0 {
            4
        } else if per_socket % 5 == 0 {
            5
        } else if per_socket % 3 == 0 {
            3
        } else if system.sockets <= 1 {
            per_socket
        } else if per_socket > 16 {
            4
        } else {
            (per_socket / 4).max(1)
        };
        while (cores / t) * 2 <= t && t > 1 {
            t /= 2;
        }
        t
    };
    Some(threads.clamp(1, cores))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::arch::Op;
    use crate::catalog::hardware::{self, cpu_system};
    use crate::predict::spec::{resolve, ModelSpec};

    /// Threads per stream for catalog model `name` at `precision` on catalog CPU `id`.
    fn threads(id: &str, name: &str, precision: Precision) -> u32 {
        let device = hardware::find(id).unwrap();
        let m = resolve(&ModelSpec::named(name).with_precision(precision), "m").unwrap();
        let work = m.arch.work(&m.input);
        openvino_stream_threads(&device, &work.prefill, precision, cpu_system(id).unwrap()).unwrap()
    }

    #[test]
    fn the_isa_threshold_reads_amx_and_vnni_off_the_peaks() {
        // The 8490H's AMX tiles: BF16 16 times its AVX-512 FP32; the 8380's and 13900K's VNNI: INT8 4 times FP32.
        assert_eq!(isa_threshold(&hardware::find("openvino:xeon-8490h-2s").unwrap()), 4.0);
        assert_eq!(isa_threshold(&hardware::find("openvino:xeon-8380-2s").unwrap()), 2.0);
        assert_eq!(isa_threshold(&hardware::find("openvino:i9-13900k").unwrap()), 2.0);
        assert_eq!(isa_threshold(&hardware::find("cpu:desktop-8c").unwrap()), 1.0);
    }

    #[test]
    fn mobilenet_v2_spills_an_ice_lake_cores_l2_in_fp32_and_fits_it_in_int8() {
        // Its second block's 1×1 expansion at 112×112 moves 16 + 96 channels of 112×112 = 1,404,928 elements:
        // 5.6 MB in FP32 against the 8380's 1.25 MB of L2 per core (factor 0.233, under VNNI's 0.5 / 2 = 0.25),
        // 1.4 MB in INT8 (factor 0.93).
        let device = hardware::find("openvino:xeon-8380-2s").unwrap();
        let m = resolve(&ModelSpec::named("mobilenet-v2"), "m").unwrap();
        let worst =
            m.arch.work(&m.input).prefill.iter().filter_map(checked_elements).fold(0.0, f64::max);
        assert_eq!(worst, 112.0 * 112.0 * (16.0 + 96.0));
        assert!(device.l2_mb * MB / (worst * 4.0) < 0.25);
        // FP32 takes the default split: 40 cores per socket divide by 4.
        assert_eq!(threads("openvino:xeon-8380-2s", "mobilenet-v2", Precision::Fp32), 4);
        assert_eq!(threads("openvino:xeon-8380-2s", "mobilenet-v2", Precision::Int8), 1);
    }

    #[test]
    fn resnet_50_and_bert_run_one_thread_per_stream_on_sapphire_rapids() {
        for precision in [Precision::Fp32, Precision::Int8] {
            for name in ["resnet-50", "bert-base-cased"] {
                assert_eq!(threads("openvino:xeon-8490h-2s", name, precision), 1, "{name}");
            }
        }
        // The 13900K's single-thread streams stay single: it has efficient cores.
        assert_eq!(threads("openvino:i9-13900k", "resnet-50", Precision::Int8), 1);
    }

    #[test]
    fn the_rule_s_branches() {
        let device = hardware::find("openvino:xeon-8380-2s").unwrap();
        let two = CpuSystem { sockets: 2, efficient_cores: false };
        let one = CpuSystem { sockets: 1, efficient_cores: false };
        let rule = |d: &hardware::DeviceProfile, ops: &[Op], system| {
            openvino_stream_threads(d, ops, Precision::Fp32, system).unwrap()
        };
        // Only 3×3 convolutions: none is checked, all are compute-bound, one thread; on one socket without
        // efficient cores OpenVINO's two threads are one core's hyper-threads: still one core.
        let conv3 =
            Op { window: 9.0, convolution: true, ..Op::gemm(1.0, 3136.0, 64.0, 576.0, 36864.0) };
        assert_eq!(rule(&device, &[conv3], two), 1);
        assert_eq!(rule(&device, &[conv3], one), 1);
        // A 1×7 convolution is checked, not compute-bound; this one moves 12,544 × 256 elements, 12.8 MB: the
        // default split.
        let wide =
            Op { window: 7.0, convolution: true, ..Op::gemm(1.0, 12544.0, 128.0, 128.0, 16384.0) };
        assert_eq!(checked_elements(&wide), Some(12544.0 * 256.0));
        assert_eq!(rule(&device, &[conv3, wide], two), 4);
        // Nothing the rule looks at: the default split, 4 of each socket's 40 cores.
        assert_eq!(rule(&device, &[], two), 4);
        // A matrix product that spills the L2: the default split too; one that fits: one thread.
        let big = Op::gemm(1.0, 4096.0, 4096.0, 1024.0, 4096.0 * 1024.0);
        let small = Op::gemm(1.0, 128.0, 768.0, 768.0, 768.0 * 768.0);
        assert_eq!(rule(&device, &[small, big], two), 4);
        assert_eq!(rule(&device, &[small], two), 1);
        // The default split of other core counts: 30 per socket by 5, 21 by 3, two sockets of 7 a quarter each
        // (at least 1), one socket of 7 all of them, then halved to 3 (its one stream is at most half of 7).
        let with = |cores: u32| hardware::DeviceProfile { compute_units: cores, ..device.clone() };
        assert_eq!(rule(&with(60), &[], two), 5);
        assert_eq!(rule(&with(42), &[], two), 3);
        assert_eq!(rule(&with(14), &[], two), 1);
        assert_eq!(rule(&with(7), &[], one), 3);
        // No L2 known: no answer (the caller searches the splits instead).
        let no_l2 = hardware::DeviceProfile { l2_mb: 0.0, ..device.clone() };
        assert_eq!(openvino_stream_threads(&no_l2, &[conv3], Precision::Fp32, two), None);
    }
}

//! Fragmentation estimate for per-tensor caching allocation.
//!
//! The prediction sizes a model's activations as the largest working set of one kernel, exactly: what a
//! planned arena (offsets computed ahead, as ONNX Runtime's memory patterns or TensorRT do) really holds. A
//! per-tensor caching allocator (PyTorch's CUDA caching allocator, TensorFlow.js's pools) rounds every
//! request and carves it out of larger segments, so it reserves more. This module applies PyTorch's rounding
//! rules to every live activation tensor of every kernel and reports the difference. It is a lower bound:
//! it assumes perfect packing inside segments and ignores holes left by interleaved frees.

use crate::catalog::arch::{Op, OpClass};
use crate::catalog::hardware::DeviceProfile;
use crate::catalog::runtime::RuntimeProfile;
use crate::catalog::Precision;
use crate::predict::multi::{Plan, Prepared};
use crate::predict::single::MB;
use crate::predict::spec::AttentionKernels;

// PyTorch CUDA caching allocator rules, from c10/cuda/CUDACachingAllocator.cpp (the constants of the same
// names) and the "Memory management" notes of the PyTorch CUDA semantics documentation.

/// `kMinBlockSize`: every request is rounded up to a multiple of 512 B.
const MIN_BLOCK_BYTES: f64 = 512.0;
/// `kSmallSize`: requests up to 1 MiB are "small".
const SMALL_SIZE_BYTES: f64 = 1_048_576.0;
/// `kSmallBuffer`: small requests are carved out of 2 MiB segments.
const SMALL_BUFFER_BYTES: f64 = 2_097_152.0;
/// `kMinLargeAlloc`: requests between 1 MiB and 10 MiB share 20 MiB segments.
const MIN_LARGE_ALLOC_BYTES: f64 = 10_485_760.0;
/// `kLargeBuffer`: the 20 MiB segments of mid-sized requests.
const LARGE_BUFFER_BYTES: f64 = 20_971_520.0;
/// `kRoundLarge`: requests of 10 MiB and more get their own segment, rounded up to 2 MiB.
const ROUND_LARGE_BYTES: f64 = 2_097_152.0;

fn round_up(bytes: f64, unit: f64) -> f64 {
    (bytes / unit).ceil() * unit
}

/// Bytes a PyTorch-style caching allocator reserves for tensors (bytes each) that are live together, with
/// perfect packing of small and mid-sized requests into their segments.
pub fn caching_allocator_reserved_bytes(tensors: impl IntoIterator<Item = f64>) -> f64 {
    let (mut small, mut mid, mut large) = (0.0, 0.0, 0.0);
    for t in tensors.into_iter().filter(|t| *t > 0.0) {
        let r = round_up(t, MIN_BLOCK_BYTES);
        if r <= SMALL_SIZE_BYTES {
            small += r;
        } else if r < MIN_LARGE_ALLOC_BYTES {
            mid += r;
        } else {
            large += round_up(r, ROUND_LARGE_BYTES);
        }
    }
    round_up(small, SMALL_BUFFER_BYTES) + round_up(mid, LARGE_BUFFER_BYTES) + large
}

/// Calls `f` with the activation tensors (elements) live during each kernel `op` becomes under `rt` on
/// `device` (attention fused where `fused`: [`AttentionKernels::runs_fused`]). This mirrors how
/// the single-model prediction expands operators: fused epilogues (`DeviceProfile::fuses_epilogue`) and
/// element-wise operators inside their run's kernel (`Op::joined`) launch nothing; unfused attention is a QKᵀ
/// GEMM, a softmax over the scores and a score·V GEMM.
fn for_each_kernel(
    op: &Op,
    rt: &RuntimeProfile,
    device: &DeviceProfile,
    fused: bool,
    mut f: impl FnMut(&[f64]),
) {
    match op.class {
        OpClass::Epilogue if device.fuses_epilogue(rt, op.activation) => {}
        // Part of its run's kernel, which writes the run's output once.
        // (An operator of which only some repeats join a run is a kernel for the others.)
        OpClass::Epilogue if op.joined >= op.repeat && rt.joins_pointwise_runs() => {}
        OpClass::Attention => {
            // Q and the output have one row per query; K and V take the rest of the elements moved.
            let q = op.batches * op.m * op.k;
            let kv = ((op.act_elems - 2.0 * q) / 2.0).max(0.0);
            if fused {
                f(&[q, kv, kv, q]);
            } else {
                let scores = op.mn_elems();
                f(&[q, kv, scores]);
                f(&[scores, scores]);
                f(&[scores, kv, q]);
            }
        }
        OpClass::Gemm => {
            let out = op.mn_elems();
            f(&[(op.act_elems - out).max(0.0), out]);
        }
        _ => f(&[op.act_elems / 2.0, op.act_elems / 2.0]),
    }
}

/// Bytes per activation element of model `i`, as the prediction counts them (weight-only int4 keeps fp16).
fn activation_bytes(prep: &Prepared, i: usize) -> f64 {
    let m = &prep.models[i];
    let (_, compute) = prep.devices[m.device].peak_for(m.resolved.precision);
    match m.resolved.precision {
        Precision::Int4 => Precision::Fp16.activation_bytes(),
        _ => compute.activation_bytes(),
    }
}

/// MB a caching allocator reserves for model `i`'s activations beyond the exact largest working set.
pub fn model_overhead_mb(prep: &Prepared, i: usize) -> f64 {
    let m = &prep.models[i];
    let work = m.work();
    let bytes = activation_bytes(prep, i);
    let (mut exact, mut reserved) = (0.0f64, 0.0f64);
    let device = &prep.devices[m.device];
    let fused = AttentionKernels::runs_fused(m.resolved.attention, device, &m.runtime);
    for op in work.prefill.iter().chain(&work.decode_step) {
        for_each_kernel(op, &m.runtime, device, fused, |tensors| {
            exact = exact.max(tensors.iter().sum::<f64>() * bytes);
            reserved =
                reserved.max(caching_allocator_reserved_bytes(tensors.iter().map(|t| t * bytes)));
        });
    }
    (reserved - exact).max(0.0) / MB
}

/// The overhead at the plan's worst moment: models of one group run together and add up; a later group
/// reuses the blocks the allocator cached for the earlier one.
pub fn plan_overhead_mb(plan: &Plan, per_model_mb: &[f64]) -> f64 {
    plan.groups
        .iter()
        .map(|g| crate::sim::order_free_sum(g.iter().map(|&i| per_model_mb[i])))
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: f64 = 1_048_576.0;

    #[test]
    fn rounding_follows_the_pytorch_rules() {
        // (live tensors in bytes, bytes reserved): one byte takes a 2 MiB small segment; 1 MiB + 512 B is
        // mid-sized and takes a 20 MiB segment; 11 MiB + 1 B gets its own segment rounded to 12 MiB.
        let cases: [(&[f64], f64); 5] = [
            (&[1.0], 2.0 * MIB),
            (&[MIB, MIB], 2.0 * MIB),
            (&[MIB + 512.0], 20.0 * MIB),
            (&[9.0 * MIB, 9.0 * MIB, 9.0 * MIB], 40.0 * MIB),
            (&[11.0 * MIB + 1.0], 12.0 * MIB),
        ];
        for (tensors, expected) in cases {
            let got = caching_allocator_reserved_bytes(tensors.iter().copied());
            assert_eq!(got, expected, "{tensors:?}");
        }
    }

    #[test]
    fn reserved_never_below_live() {
        for n in [1.0, 700.0, 3.3e5, 2.2e6, 1.7e7, 3.9e8] {
            let tensors = [n, 2.0 * n, n / 3.0];
            let live: f64 = tensors.iter().sum();
            assert!(caching_allocator_reserved_bytes(tensors) >= live);
        }
    }
}

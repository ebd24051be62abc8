//! One model on one device: a roofline per operator plus dispatch overheads.
//!
//! For each operator the device time is `max(compute, memory) + kernel overhead`, where compute comes from the
//! GEMM tile the kernel would use (wave quantisation over the device's compute units) and memory from the
//! bytes moved at the achievable bandwidth. The host pays the runtime's dispatch cost per kernel; on
//! asynchronous accelerators host and device overlap (an op costs the slower of the two), on CPUs the same
//! cores do both (they add). Generation is a prefill plus `output_tokens − 1` decode steps that re-read the
//! weights and the KV cache.

use super::spec::{AttentionKernels, ResolvedModel};
use crate::catalog::arch::{Activation, Op, OpClass};
use crate::catalog::hardware::{
    Concurrency, DeviceProfile, Platform, DSP_GELU_OPS_PER_ELEM, PAGE_BYTES,
};
use crate::catalog::models::Work;
use crate::catalog::runtime::{
    RuntimeProfile, Tf32Default, PYTORCH_EAGER, PYTORCH_GPU_HOST_US_PUBLISHED,
};
use crate::catalog::Precision;
use crate::minmax;

/// CPU GEMMs with at most this many rows (decode steps at small batch) run as matrix-vector kernels that
/// stream the weights without padding to a tile (MKL/oneDNN/MLAS GEMV paths). Reliability U: libraries
/// switch kernels at a few rows (the GEMV path proper at 1); 4 covers decode at batch 1-4, the batches the
/// catalog's generating models are run at.
const GEMV_ROWS: f64 = 4.0;

/// The rows a CPU GEMM of `m` rows costs on a tile `tile` rows high whose microkernel block is `micro` rows:
/// fewer rows than the tile cost the whole tile (the packed weight panels serve too few rows; the device's
/// small-tile efficiency is the measured rate of such GEMMs); more rows run whole tiles and pad only their
/// remainder to the microkernel (a cache block's last panel is just shorter). `per_tile` is `m / tile`. Over
/// `m`, the GEMM's work factor.
#[inline(always)]
fn padded_rows(m: f64, tile: f64, micro: f64, per_tile: f64) -> f64 {
    if m < tile {
        return tile;
    }
    padded_len(m, tile, micro, per_tile)
}

/// `len` in whole tiles plus its remainder padded to the microkernel's block (at most one more tile), never
/// less than `len` (`per_tile` is `len / tile`). Also what a CPU GEMM's columns cost: the weights are packed
/// into panels as wide as the microkernel's block, so a narrow GEMM (a pointwise convolution with 24 channels)
/// has fewer panels and pads only its last one.
#[inline(always)]
fn padded_len(len: f64, tile: f64, micro: f64, per_tile: f64) -> f64 {
    let whole = count_floor(per_tile) * tile;
    let rest = len - whole;
    let padded =
        if rest > 0.0 { minmax::min(count_ceil(quotient(rest, micro)) * micro, tile) } else { 0.0 };
    minmax::max(whole + padded, len)
}

/// `1 / x` where `x` is a positive power of two whose reciprocal is a normal number (so that multiplying by
/// it is dividing by `x`, to the bit), else 0: read from the bits, without a division.
#[inline(always)]
fn pow2_recip(x: f64) -> f64 {
    const MANTISSA: u64 = (1 << 52) - 1;
    let bits = x.to_bits();
    let exp = bits >> 52; // the sign bit set gives an exponent above 2046
    if bits & MANTISSA != 0 || exp == 0 || exp >= 2046 {
        return 0.0;
    }
    f64::from_bits((2046 - exp) << 52)
}

/// `a / x`, as a product with `x`'s exact reciprocal where it has one ([`pow2_recip`]): the same value,
/// without the division's latency on the GEMM loop's chain (the catalog's tile sizes and most CPU thread
/// counts are powers of two).
#[inline(always)]
fn quotient(a: f64, x: f64) -> f64 {
    let inv = pow2_recip(x);
    if inv > 0.0 {
        a * inv
    } else {
        a / x
    }
}

/// `x.ceil().max(1.0)` for the counts of tiles and waves (finite, positive, far below 2^53): the same value,
/// without the libm call that `f64::ceil` is on x86-64 targets without SSE4.1 (the GEMM loop calls it for
/// every tile shape of every operator of every prediction).
#[inline(always)]
fn count_ceil(x: f64) -> f64 {
    let t = x as i64 as f64;
    minmax::max(if t < x { t + 1.0 } else { t }, 1.0)
}

/// `x.floor()` for a non-negative count far below 2^53 (whole tiles of a GEMM): the same value, without the
/// libm call `f64::floor` is on x86-64 targets without SSE4.1.
#[inline(always)]
fn count_floor(x: f64) -> f64 {
    x as i64 as f64
}

/// Bytes in one MB as reported everywhere (MiB).
pub const MB: f64 = 1024.0 * 1024.0;

/// The first CUDA compute capability (major × 10 + minor) whose cuDNN tensor-core convolutions write an NCHW
/// output themselves: the A100's 8.0, whose xmma kernels' names end `nhwckrsc_nchw` (NHWC input, NCHW
/// output); Volta's and Turing's HMMA kernels write NHWC, and a V100 nvprof trace shows one
/// `nhwcToNchwKernel` per convolution beside its `nchwToNhwcKernel`s.
pub const CUDNN_NCHW_OUTPUT_FROM_CC: u32 = 80;

/// Where a model's memory goes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MemoryBreakdown {
    /// Weights at their stored precision, MB.
    pub weights_mb: f64,
    /// Largest live activation working set, MB.
    pub activations_mb: f64,
    /// Key/value cache at the end of generation, MB.
    pub kv_cache_mb: f64,
    /// Runtime scratch (workspaces, arenas), MB.
    pub workspace_mb: f64,
    /// Runtime copies and allocator overhead proportional to the weights, MB.
    pub runtime_overhead_mb: f64,
}

impl MemoryBreakdown {
    /// Everything resident while the model runs.
    pub fn total_mb(&self) -> f64 {
        self.weights_mb
            + self.activations_mb
            + self.kv_cache_mb
            + self.workspace_mb
            + self.runtime_overhead_mb
    }

    /// What stays resident between runs when the model is kept loaded.
    pub fn resident_mb(&self) -> f64 {
        self.weights_mb + self.runtime_overhead_mb
    }

    /// What exists only while the model runs.
    pub fn transient_mb(&self) -> f64 {
        self.activations_mb + self.kv_cache_mb + self.workspace_mb
    }
}

/// What dominated a model's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// Arithmetic.
    Compute,
    /// Memory traffic.
    Memory,
    /// Launch/dispatch overheads.
    Overhead,
}

impl Bound {
    /// Every bound, in a fixed order.
    pub const ALL: [Bound; 3] = [Self::Compute, Self::Memory, Self::Overhead];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Compute => "compute",
            Self::Memory => "memory",
            Self::Overhead => "overhead",
        }
    }
}

/// The prediction for one model alone on its device.
#[derive(Debug, Clone, PartialEq)]
pub struct SinglePrediction {
    /// Time for one batch, ms.
    pub latency_ms: f64,
    /// Items per second.
    pub throughput: f64,
    /// Encoder / prefill part, ms.
    pub prefill_ms: f64,
    /// Decode part (all steps), ms.
    pub decode_ms: f64,
    /// Kernels launched per batch.
    pub kernels: f64,
    /// CPUs: parallel regions per batch (kernels split over more than one thread; each joins all of them).
    pub regions: f64,
    /// Part of the latency spent where compute limits, ms (`compute + memory + overhead = latency`).
    pub compute_ms: f64,
    /// Part of the latency spent where memory bandwidth limits, ms.
    pub memory_ms: f64,
    /// Part of the latency spent in launch, dispatch and per-call overheads, ms.
    pub overhead_ms: f64,
    /// Floating-point work per batch, GFLOP.
    pub gflops: f64,
    /// Bytes moved per batch, MB.
    pub traffic_mb: f64,
    /// Memory needed.
    pub memory: MemoryBreakdown,
    /// Precision the arithmetic really runs in: where it runs in two (an fp32 CNN under PyTorch on a GPU with
    /// TF32, whose convolutions run as TF32 and its other products as fp32), the one most of its GEMM and
    /// convolution FLOPs run in.
    pub compute_precision: Precision,
    /// Dominant limit.
    pub bound: Bound,
    /// Fraction of the device's compute units busy over the run, averaged.
    pub compute_share: f64,
    /// Fraction of the achievable memory bandwidth used over the run, averaged.
    pub bandwidth_share: f64,
    /// Fraction of the run the device's queue is busy with this model's kernels.
    pub queue_share: f64,
    /// Fraction of the run one host core spends dispatching.
    pub host_share: f64,
    /// CPU threads the model uses (CPU devices), else 0.
    pub threads: u32,
    /// Cores those threads keep busy on average (CPU devices: fewer than `threads` when part of each
    /// kernel does not scale, see `serial_fraction`), else 0.
    pub busy_cores: f64,
    /// Notes about fallbacks.
    pub warnings: Vec<String>,
}

/// The host launching kernels into an accelerator's queue while the device runs them in order: the host
/// issues one kernel every `host` µs without waiting (CUDA, ROCm and Metal launches are asynchronous), and
/// the device starts a kernel once the one before it has finished and the host has issued it. A run of
/// small kernels behind a slow host is the host's pace; a long kernel lets the host run ahead and queue the
/// next ones, which then cost the device alone. Times in µs from the start of the call.
#[derive(Debug, Clone, Copy)]
struct LaunchQueue {
    /// When the host has issued the last kernel.
    issued: f64,
    /// When the device finishes the last kernel.
    done: f64,
}

impl LaunchQueue {
    /// The queue once the call into the runtime (`call_us` of host time) has returned: nothing issued yet.
    fn after_call(call_us: f64) -> LaunchQueue {
        LaunchQueue { issued: call_us, done: call_us }
    }

    /// `times` kernels in a row, each `host` µs to issue and `device` µs to run; returns how much later the
    /// device finishes. The i-th of them finishes at the latest of: the device's backlog plus i kernels,
    /// the first issue plus i kernels, the i-th issue plus one kernel; in closed form for the last.
    fn run(&mut self, device: f64, host: f64, times: f64) -> f64 {
        if times <= 0.0 {
            return 0.0;
        }
        let before = self.done;
        let last_issue = self.issued + host * times;
        self.done = minmax::max(
            minmax::max(self.done, self.issued + host) + device * times,
            last_issue + device,
        );
        self.issued = last_issue;
        self.done - before
    }

    /// How much later a run of `times` kernels tallied `t` finishes: on a CPU their own wall time (the thread
    /// that dispatches also computes), on an accelerator the queue's ([`LaunchQueue::run`]).
    fn kernels(&mut self, t: &Tally, times: f64, cpu: bool) -> f64 {
        if cpu {
            t.wall_us * times
        } else {
            self.run(t.device_us, t.host_us, times)
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    wall_us: f64,
    device_us: f64,
    unit_us: f64,
    memory_us: f64,
    /// CPUs: the memory bus's time for the bytes the work moves through it (from memory, not the last-level
    /// cache), at the device's whole bandwidth: what the work occupies of a bus other models share. Not
    /// scaled by a time correction (the bytes do not change).
    bus_us: f64,
    host_us: f64,
    kernels: f64,
    regions: f64,
    flops: f64,
    bytes: f64,
    compute_bound_us: f64,
    memory_bound_us: f64,
    overhead_us: f64,
    peak_act_bytes: f64,
}

impl Tally {
    /// Every time in the tally times `k` (a calibrated per-model correction).
    fn scale_time(&mut self, k: f64) {
        for t in [
            &mut self.wall_us,
            &mut self.device_us,
            &mut self.unit_us,
            &mut self.memory_us,
            &mut self.host_us,
            &mut self.compute_bound_us,
            &mut self.memory_bound_us,
            &mut self.overhead_us,
        ] {
            *t *= k;
        }
    }

    #[inline(always)]
    fn add(&mut self, other: &Tally, times: f64) {
        self.wall_us += other.wall_us * times;
        self.device_us += other.device_us * times;
        self.unit_us += other.unit_us * times;
        self.memory_us += other.memory_us * times;
        self.bus_us += other.bus_us * times;
        self.host_us += other.host_us * times;
        self.kernels += other.kernels * times;
        self.regions += other.regions * times;
        self.flops += other.flops * times;
        self.bytes += other.bytes * times;
        self.compute_bound_us += other.compute_bound_us * times;
        self.memory_bound_us += other.memory_bound_us * times;
        self.overhead_us += other.overhead_us * times;
        self.peak_act_bytes = minmax::max(self.peak_act_bytes, other.peak_act_bytes);
    }
}

/// The kinds of kernel a prediction's [`Placement::breakdown`] groups time by: matrix products apart from
/// the convolutions lowered to them (1×1 and wider windows), since runtimes route those to different
/// libraries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorKind {
    /// Matrix products that are no convolution (linear layers, projections).
    MatMul,
    /// 1×1 convolutions.
    Pointwise,
    /// Convolutions with a wider window.
    Conv,
    /// Depthwise convolutions.
    Depthwise,
    /// Attention (fused, or its score products, scale and softmax where the runtime or the device does not
    /// fuse it).
    Attention,
    /// Element-wise work: activations, bias, batch norm, residual adds.
    Elementwise,
    /// Layer, RMS and group normalisation.
    Norm,
    /// Pooling and squeeze-excite reductions.
    Pool,
    /// Embedding lookups.
    Gather,
    /// The runtime's host time per call, outside any kernel.
    Call,
}

impl OperatorKind {
    /// Every kind, in the order a breakdown lists them.
    pub const ALL: [OperatorKind; 10] = [
        Self::MatMul,
        Self::Pointwise,
        Self::Conv,
        Self::Depthwise,
        Self::Attention,
        Self::Elementwise,
        Self::Norm,
        Self::Pool,
        Self::Gather,
        Self::Call,
    ];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::MatMul => "matmul",
            Self::Pointwise => "conv 1x1",
            Self::Conv => "conv",
            Self::Depthwise => "depthwise",
            Self::Attention => "attention",
            Self::Elementwise => "elementwise",
            Self::Norm => "norm",
            Self::Pool => "pool",
            Self::Gather => "gather",
            Self::Call => "call",
        }
    }

    /// The kind of the operator `op` (the operator a kernel came from: unfused attention's kernels are
    /// attention).
    pub fn of(op: &Op) -> Self {
        match op.class {
            OpClass::Gemm if op.window > 1.0 => Self::Conv,
            OpClass::Gemm if op.window == 1.0 => Self::Pointwise,
            OpClass::Gemm => Self::MatMul,
            OpClass::Attention => Self::Attention,
            OpClass::Epilogue => Self::Elementwise,
            OpClass::Norm => Self::Norm,
            OpClass::Gather => Self::Gather,
            OpClass::Pool => Self::Pool,
            OpClass::Depthwise => Self::Depthwise,
        }
    }
}

/// One kind's share of a model's predicted time ([`Placement::breakdown`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OperatorTime {
    /// The kind.
    pub kind: OperatorKind,
    /// Kernels of that kind per run (0 for the call).
    pub kernels: f64,
    /// Predicted time per run, ms.
    pub ms: f64,
}

/// A generation's start beside another session's spinning pool ([`Placement::start_window`]).
struct StartWindow<'a> {
    beside: Placement<'a>,
    rates: Rates,
    prefill_share: f64,
    steps: f64,
    slow_prefill: Tally,
    slow_step: Tally,
}

/// Device, runtime and threads one model runs with.
#[derive(Debug, Clone, Copy)]
pub struct Placement<'a> {
    /// The device.
    pub device: &'a DeviceProfile,
    /// The runtime.
    pub runtime: &'a RuntimeProfile,
    /// CPU threads (ignored on accelerators); clamped to the device's cores.
    pub threads: u32,
}

#[derive(Clone, Copy)]
struct Rates {
    /// Compute units the work is dealt out to: all of an accelerator's, or a CPU model's threads.
    lanes: f64,
    /// CPUs: rows and columns of the microkernel's block (the device's smallest tile by area), to which a
    /// GEMM pads the rows and columns beyond its whole tiles.
    micro: (f64, f64),
    /// Speed of each lane relative to one unit alone (CPUs: the per-core rate with this many cores busy and
    /// any Amdahl serial fraction; 1 on accelerators).
    lane_speed: f64,
    /// `lanes × lane_speed`: units' worth of work done at once.
    units: f64,
    unit_flops: f64,
    /// One unit's rate for GEMMs lowered from a convolution: `unit_flops`, except where the runtime runs
    /// only its fp32 convolutions as TF32 ([`Tf32Default::Convolutions`]).
    conv_unit_flops: f64,
    /// The precision those convolutions compute in (`peak_for`'s: tf32 only where the device has the rate).
    conv_precision: Precision,
    vector_flops: f64,
    /// The rate normalisation and softmax kernels run at: the vector DSPs' on an NPU that has them
    /// (`DeviceProfile::vector_unit_share`), else `vector_flops`.
    norm_flops: f64,
    bandwidth: f64,
    /// The device's whole achievable bandwidth, B/s ([`DeviceProfile::achievable_bandwidth`]): the bus every
    /// model on it shares.
    bus_bandwidth: f64,
    act_bytes: f64,
    weight_bytes: f64,
    cpu: bool,
    /// A CUDA or ROCm GPU: every kernel may use the L2 ([`Rates::in_cache`]).
    gpu: bool,
    /// The runtime's kernel efficiency on this device (`DeviceProfile::kernel_efficiency`).
    efficiency: f64,
    /// One core's bandwidth, B/s (0: no per-core limit).
    core_bw: f64,
    /// One core's (a GPU's SM's) read rate from the last-level cache, B/s (0: unknown, no cache rule).
    llc_core_bw: f64,
    /// The last-level cache, bytes.
    llc_bytes: f64,
    /// CPUs: one core's private L2, bytes (0: unknown, no L2 rule; `DeviceProfile::l2_mb`).
    l2_bytes: f64,
    /// CPUs: one core's read rate from its own L2, B/s.
    l2_core_bw: f64,
    /// Device-side cost of a kernel split over the threads, s: its launch on accelerators, the fork and join
    /// of the placement's threads on CPUs (none on one thread).
    launch_s: f64,
    /// Host time to dispatch one kernel, s.
    host_s: f64,
    /// CPUs: share of the peak the runtime's matrix-product GEMMs reach on this CPU's FMA datapath
    /// ([`Placement::gemm_width_share`]); convolutions with a window run at the full width.
    narrow_share: f64,
    /// CPUs: the runtime's tiled GEMM kernels' rate over the tuned GEMM `mmperf calibrate` timed
    /// ([`Placement::gemm_kernel_ratio`]); 1 elsewhere.
    gemm_ratio: f64,
    /// CPUs: a fused attention kernel's rate over its products' own (`gemm_ratio` and the products'
    /// precision included) where the runtime computes attention at its own rule
    /// (`RuntimeProfile::cpu_attention_share`: [`Placement::cpu_attention_scale`]); 1 otherwise.
    attention_scale: f64,
    /// The best efficiency among the device's GEMM tiles.
    best_tile: f64,
    /// CPUs: 1×1 convolutions run as matrix products here (one thread, below
    /// `RuntimeProfile::cpu_pointwise_conv_gemm_below_batch`), not as convolutions.
    pointwise_gemm: bool,
    /// The model entry asks for channels-last activations (`ModelSpec::memory_format`).
    channels_last: bool,
    /// The model entry's attention implementation (`ModelSpec::attention`), where it sets one.
    attention: Option<AttentionKernels>,
    /// CPUs: how the runtime runs matrix-vector products here ([`Placement::gemv`]).
    gemv: Gemv,
    /// The device's `fp32_tile_gain` where matrix products compute in FP32 on a CUDA or ROCm GPU, its
    /// `int8_tile_gain` where they compute in INT8 there, else 1.
    products_tile_gain: f64,
    /// The same for convolutions (which compute in `conv_precision`).
    conv_tile_gain: f64,
    /// Every matrix product's and convolution's weights are cast from FP32 on each call first
    /// (`RuntimeProfile::casts_weights_per_call` at FP16 or BF16, on an accelerator).
    casts_weights: bool,
    /// CPUs: the model's weights stay in the last-level cache between calls ([`Placement::model_rates`]), so
    /// each kernel but a matrix-vector product reads its weights from there, not from memory (a runtime that
    /// packs weights on every call reads them for the packing, at its own rule: `outside_roofline`).
    /// Matrix-vector products keep streaming theirs (`Gemv`'s rule): with them cached too, the stored PyTorch
    /// runs on the Xeon VM, whose profiles carry the host's 480 MB L3 as sysfs gives it (half of it holds
    /// t5-small's and whisper-tiny's weights, which a 2-vCPU guest does not keep), predicted their decode steps
    /// 15-20 points too fast and picked worse plans (`check-real`, session 60).
    weights_in_cache: bool,
}

/// Share of a CPU's last-level cache a model's weights may take and still stay there from one call to the next:
/// half, the rest left to what each call streams through it (activations, and on a server the other streams'
/// working sets). The same half `mmperf calibrate` reads the cache's own rate over (`native::bench`'s
/// `llc_bandwidth`). A chosen share (U), not a measurement.
pub const WEIGHTS_LLC_SHARE: f64 = 0.5;

/// How a runtime runs matrix-vector products on a CPU ([`Rates::is_gemv`]), resolved once per placement.
#[derive(Clone, Copy)]
struct Gemv {
    /// Split by columns over the threads; otherwise the calling thread streams every weight.
    split: bool,
    /// The weights are packed into panels on every call first (`RuntimeProfile::packs_weights_per_call`).
    packs: bool,
    /// Share of the read bandwidth the weights stream at.
    read_share: f64,
}

/// Multiplies a direct 3×3 convolution does per multiply of Winograd's minimal filtering F(2×2, 3×3): 36 for
/// each 2×2 block of outputs against 16 (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks",
/// CVPR 2016). cuDNN and MIOpen run FP32 3×3 stride-1 convolutions this way (cuDNN's
/// `CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD`); their tensor-core (FP16, TF32, int8) convolutions are implicit GEMMs.
pub const WINOGRAD_F2X2_3X3: f64 = 36.0 / 16.0;

/// The kernel `torch.autocast` runs before `op` ([`Rates::casts_weights`]): its weights read as FP32 and
/// written at the model's 2-byte precision, 6 bytes per weight, counted as 3 two-byte weight elements (weights
/// come from memory on every call, and are no activations: they raise no activation peak).
fn weight_cast(op: &Op) -> Op {
    let w = op.weight_elems;
    Op { weight_elems: 3.0 * w, ..Op::memory(OpClass::Epilogue, 0.0, 0.0, w) }
}

/// Whether `runtime` casts FP32 weights to `precision` on every call on `device` (`torch.autocast` at FP16 or
/// BF16, on an accelerator).
fn casts_weights(device: &DeviceProfile, runtime: &RuntimeProfile, precision: Precision) -> bool {
    device.concurrency != Concurrency::CpuThreads
        && runtime.casts_weights_per_call
        && matches!(precision, Precision::Fp16 | Precision::Bf16)
}

/// The precision `runtime` keeps a model's weights at, for a model at `precision` on `device`: FP32 where it
/// casts FP32 weights on every call (the weights stay FP32; their 2-byte copies live only through a call),
/// `precision` otherwise. What a prediction's `weights_mb` counts, and what sharing a model's weights saves.
pub(crate) fn held_precision(
    device: &DeviceProfile,
    runtime: &RuntimeProfile,
    precision: Precision,
) -> Precision {
    if casts_weights(device, runtime, precision) {
        Precision::Fp32
    } else {
        precision
    }
}

/// The weight elements `torch.autocast` casts for one run of `op`: those of a matrix product or convolution
/// (depthwise included), which autocast runs at 2 bytes; none for any other operator (embedding lookups and
/// normalisations keep their FP32 weights: they are not on autocast's FP16/BF16 list).
fn cast_weight_elems(op: &Op) -> f64 {
    if matches!(op.class, OpClass::Gemm | OpClass::Depthwise) {
        op.weight_elems
    } else {
        0.0
    }
}

/// Whether `op` is a convolution Winograd's F(2×2, 3×3) computes: a 3×3 window at stride 1
/// ([`Op::input_per_output`] below the 4 of stride 2).
fn winograd(op: &Op) -> bool {
    op.convolution && op.window == 9.0 && op.input_per_output() < 2.0
}

impl Rates {
    /// These rates for a generation's decode steps: under one `torch.autocast` region around `generate()`,
    /// autocast's cast cache keeps the 2-byte copy of each weight the prefill cast until the region ends, so
    /// the steps cast nothing ([`Rates::casts_weights`] off). ATen caches casts of leaf tensors that require
    /// grad: a model's parameters, as loaded (`requires_grad` stays set under `torch.no_grad()`).
    fn decoding(&self) -> Rates {
        Rates { casts_weights: false, ..*self }
    }

    /// Whether `op` is a matrix-vector product on a CPU: a GEMM of at most [`GEMV_ROWS`] rows (a decode
    /// step at small batch), which streams its weights instead of tiling them.
    fn is_gemv(&self, op: &Op) -> bool {
        self.cpu && op.class == OpClass::Gemm && op.m <= GEMV_ROWS
    }

    /// Whether `op` moves its activations through the last-level cache: a kernel whose inputs, outputs and
    /// weights together fit in it (the weights pass through it too), so its producer's output is still there
    /// (`DeviceProfile::llc_bandwidth_gbps`): on a CPU an element-wise, normalisation or pooling kernel, on a
    /// CUDA or ROCm GPU any kernel; no other accelerator.
    fn in_cache(&self, op: &Op) -> bool {
        let kind = if self.cpu {
            matches!(op.class, OpClass::Epilogue | OpClass::Norm | OpClass::Pool)
        } else {
            self.gpu
        };
        self.llc_core_bw > 0.0
            && kind
            && op.act_elems * self.act_bytes + op.weight_elems * self.weight_bytes <= self.llc_bytes
    }

    /// Whether `op` moves its activations through the private L2 of the cores it runs on: on a CPU whose L2 is
    /// known, a kernel whose inputs, outputs and weights together fit in its threads' L2 (`lanes` times one
    /// core's), so its producer's output is still there and its own stays for its consumer. The caller leaves out
    /// matrix-vector products (they stream their weights: `Gemv`) and a kernel run on one thread of several
    /// (its input lies in the other threads' L2s). The same cache OpenVINO's CPU plugin weighs a layer against
    /// to choose its streams, with a different test (`predict::streams::openvino_stream_threads`: one core's L2,
    /// activations only, at half its size).
    fn in_l2(&self, op: &Op) -> bool {
        self.cpu
            && self.l2_bytes > 0.0
            && self.l2_core_bw > 0.0
            && op.act_elems * self.act_bytes + op.weight_elems * self.weight_bytes
                <= self.l2_bytes * self.lanes
    }

    /// One unit's rate for `op`: a GEMM lowered from a convolution ([`Op::convolution`]) at
    /// `conv_unit_flops`, any other at `unit_flops`.
    fn unit_flops_for(&self, op: &Op) -> f64 {
        if op.convolution {
            self.conv_unit_flops
        } else {
            self.unit_flops
        }
    }

    /// Whether a GEMM lowered from a convolution runs as one (a window wider than 1×1, or a 1×1 one the
    /// runtime does not run as a matrix product here), not as a matrix product.
    fn runs_as_convolution(&self, op: &Op) -> bool {
        op.window > 1.0 || (op.window == 1.0 && !self.pointwise_gemm)
    }

    /// The same device with its compute units at `clock` times the boost clock: every compute rate scaled,
    /// the memory system's and the launches' kept.
    fn at_clock(&self, clock: f64) -> Rates {
        Rates {
            unit_flops: self.unit_flops * clock,
            conv_unit_flops: self.conv_unit_flops * clock,
            vector_flops: self.vector_flops * clock,
            norm_flops: self.norm_flops * clock,
            ..*self
        }
    }

    /// The same device as one thread alone sees it: one lane at one busy core's rate, with one core's
    /// bandwidth (`core_bw`; 0 = no per-core limit).
    fn one_thread(&self) -> Rates {
        Rates {
            lanes: 1.0,
            lane_speed: 1.0,
            units: 1.0,
            vector_flops: self.vector_flops / self.units,
            norm_flops: self.norm_flops / self.units,
            bandwidth: if self.core_bw > 0.0 {
                minmax::min(self.bandwidth, self.core_bw)
            } else {
                self.bandwidth
            },
            ..*self
        }
    }
}

impl Placement<'_> {
    fn is_cpu(&self) -> bool {
        self.device.concurrency == Concurrency::CpuThreads
    }

    /// Cores `T` threads are worth on a CPU: `T` threads at the per-core rate of `T` busy cores, less the
    /// Amdahl serial fraction if a profile sets one.
    pub fn busy_cores(&self) -> f64 {
        let t = f64::from(self.effective_threads());
        if t <= 0.0 {
            return 0.0;
        }
        let s = self.device.serial_fraction.clamp(0.0, 1.0);
        self.device.core_rate(t) / (s + (1.0 - s) / t)
    }

    /// Threads actually used: on CPUs between 1 and the core count.
    pub fn effective_threads(&self) -> u32 {
        if self.is_cpu() {
            self.threads.clamp(1, self.device.compute_units.max(1))
        } else {
            0
        }
    }

    /// CPUs: how the runtime runs matrix-vector products on this device. MKL's threaded GEMV on an Intel CPU
    /// (`RuntimeProfile::splits_gemv_on_intel`) splits over the threads, streams the weights once as they lie
    /// (no panels) at `intel_gemv_bandwidth_efficiency` of the read; elsewhere the runtime's `splits_gemv`,
    /// `packs_weights_per_call` and `gemv_bandwidth_efficiency` apply.
    fn gemv(&self) -> Gemv {
        let rt = self.runtime;
        if rt.splits_gemv_on_intel && self.device.cpu_vendor == "intel" {
            Gemv { split: true, packs: false, read_share: rt.intel_gemv_bandwidth_efficiency }
        } else {
            Gemv {
                split: rt.splits_gemv,
                packs: rt.packs_weights_per_call,
                read_share: rt.gemv_bandwidth_efficiency,
            }
        }
    }

    /// CPUs: cost of one parallel region on `threads` threads, s (none on one thread): the machine's
    /// per-thread wake-up and join plus the runtime pool's own, or what this device measured for the runtime
    /// (`DeviceProfile::runtime_region_us`).
    fn region_s(&self, threads: f64) -> f64 {
        (threads - 1.0).max(0.0) * self.device.region_us_per_thread(self.runtime) * 1e-6
    }

    /// CPUs: the share of the FP32 peak the runtime's GEMM kernels can reach on this CPU's FMA datapath
    /// (`RuntimeProfile::cpu_gemm_bits_off_intel`): narrower vectors than the datapath, on a CPU not made by
    /// Intel, fill that share of it; 1 otherwise.
    fn gemm_width_share(&self) -> f64 {
        let (bits, width) = (self.runtime.cpu_gemm_bits_off_intel, self.device.fma_width_bits);
        if !self.is_cpu() || bits == 0 || width <= bits || self.device.cpu_vendor == "intel" {
            return 1.0;
        }
        f64::from(bits) / f64::from(width)
    }

    /// CPUs: the runtime's tiled GEMM kernels' rate over the tuned GEMM `calibrate` times, where the runtime
    /// has measured it for this kind of core: on an Intel CPU with 512-bit FMA,
    /// `RuntimeProfile::cpu_intel_avx512_gemm_ratio`, for products computed in FP32 (the precision every such
    /// ratio was measured at); 1 otherwise.
    fn gemm_kernel_ratio(&self, products: Precision) -> f64 {
        let ratio = self.runtime.cpu_intel_avx512_gemm_ratio;
        if self.is_cpu()
            && products == Precision::Fp32
            && ratio > 0.0
            && self.device.cpu_vendor == "intel"
            && self.device.fma_width_bits >= 512
        {
            ratio
        } else {
            1.0
        }
    }

    /// CPUs: a fused attention kernel's rate over that of the products it would compute at `products`'
    /// precision (`peak` TFLOP/s), where the runtime has its own rule for attention
    /// (`RuntimeProfile::cpu_attention_share`): the share of its FP32 products' rate (`fp32_peak`, the one
    /// [`Placement::rates`] takes for vector work, with [`Placement::gemm_kernel_ratio`] at FP32), whatever the
    /// model's precision; 1 otherwise.
    fn cpu_attention_scale(&self, peak: f64, fp32_peak: f64, products: Precision) -> f64 {
        let share = self.runtime.cpu_attention_share;
        if !self.is_cpu() || share <= 0.0 || peak <= 0.0 {
            return 1.0;
        }
        share * fp32_peak * self.gemm_kernel_ratio(Precision::Fp32)
            / (peak * self.gemm_kernel_ratio(products))
    }

    /// The precision the runtime computes `precision`'s matrix products at where the device has its rate,
    /// and the one it computes its convolutions at: fp32 as TF32 where the runtime does so by default
    /// ([`RuntimeProfile::fp32_as_tf32`]) on a CUDA GPU (the defaults are cuBLAS's and cuDNN's; a profile
    /// that gives another platform a `tf32` peak keeps fp32 for fp32); `precision` for both otherwise.
    fn runtime_precisions(&self, precision: Precision) -> (Precision, Precision) {
        if precision != Precision::Fp32 || self.device.platform != Platform::Cuda {
            return (precision, precision);
        }
        match self.runtime.fp32_as_tf32 {
            Tf32Default::Off => (precision, precision),
            Tf32Default::Convolutions => (precision, Precision::Tf32),
            Tf32Default::All => (Precision::Tf32, Precision::Tf32),
        }
    }

    fn rates(&self, precision: Precision) -> (Rates, Precision) {
        let dev = self.device;
        let (products, convolutions) = self.runtime_precisions(precision);
        let (peak, compute) = dev.peak_for(products);
        let (conv_peak, conv_precision) =
            if convolutions == products { (peak, compute) } else { dev.peak_for(convolutions) };
        let all_units = f64::from(dev.compute_units.max(1));
        let cpu = self.is_cpu();
        let lanes = if cpu { f64::from(self.effective_threads()) } else { all_units };
        let units = if cpu { self.busy_cores() } else { all_units };
        let unit_flops = peak * 1e12 / all_units;
        let bus_bandwidth = dev.achievable_bandwidth();
        let mut bandwidth = bus_bandwidth;
        if dev.per_unit_bandwidth_gbps > 0.0 {
            bandwidth = bandwidth.min(lanes * dev.per_unit_bandwidth_gbps * 1e9);
        }
        let smallest_tile = dev.gemm_tiles.iter().map(|t| t.efficiency).fold(1.0, f64::min);
        let fp32_peak =
            if dev.peak_tflops.fp32 > 0.0 { dev.peak_for(Precision::Fp32).0 } else { peak };
        let efficiency = dev.kernel_efficiency(self.runtime);
        let vector_flops = fp32_peak * 1e12 * units / all_units * smallest_tile * efficiency;
        let norm_flops = if dev.vector_dsp_share() > 0.0 {
            dev.peak_for(Precision::Int8).0 * 1e12 * dev.vector_dsp_share()
        } else {
            vector_flops
        };
        let act = if precision == Precision::Int4 { Precision::Fp16 } else { compute };
        // The microkernel's block: the device's smallest tile (by area).
        let micro = dev
            .gemm_tiles
            .iter()
            .min_by_key(|t| u64::from(t.m) * u64::from(t.n))
            .map_or((1.0, 1.0), |t| (f64::from(t.m), f64::from(t.n)));
        let per_kernel =
            if cpu { self.runtime.cpu_host_overhead_us } else { self.runtime.host_overhead_us };
        let narrow_share = self.gemm_width_share();
        let gpu = dev.platform.is_cuda_or_rocm();
        let tile_gain = |p: Precision| match p {
            Precision::Fp32 if gpu => dev.fp32_tile_gain,
            Precision::Int8 if gpu => dev.int8_tile_gain,
            _ => 1.0,
        };
        let rates = Rates {
            core_bw: dev.per_unit_bandwidth_gbps * 1e9,
            llc_core_bw: dev.llc_bandwidth_gbps * 1e9,
            llc_bytes: dev.llc_mb * MB,
            l2_bytes: dev.l2_mb * MB,
            l2_core_bw: dev.l2_bandwidth_gbps * 1e9,
            launch_s: if cpu {
                self.region_s(f64::from(self.effective_threads()))
            } else {
                dev.kernel_overhead_us * 1e-6
            },
            host_s: per_kernel * dev.overhead_scale * 1e-6,
            micro,
            lanes,
            lane_speed: units / lanes,
            units,
            unit_flops,
            conv_unit_flops: conv_peak * 1e12 / all_units,
            conv_precision,
            vector_flops,
            norm_flops,
            bandwidth,
            bus_bandwidth,
            act_bytes: act.activation_bytes(),
            weight_bytes: precision.weight_bytes(),
            cpu,
            gpu,
            efficiency,
            narrow_share,
            gemm_ratio: self.gemm_kernel_ratio(compute),
            attention_scale: self.cpu_attention_scale(peak, fp32_peak, compute),
            best_tile: dev.gemm_tiles.iter().map(|t| t.efficiency).fold(0.0, f64::max),
            pointwise_gemm: self.pointwise_gemm(1),
            channels_last: false,
            attention: None,
            gemv: self.gemv(),
            products_tile_gain: tile_gain(compute),
            conv_tile_gain: tile_gain(conv_precision),
            casts_weights: casts_weights(dev, self.runtime, precision),
            weights_in_cache: false,
        };
        (rates, compute)
    }

    /// Whether the runtime runs 1×1 convolutions at `batch` as matrix products (one thread, below
    /// `cpu_pointwise_conv_gemm_below_batch`).
    fn pointwise_gemm(&self, batch: u32) -> bool {
        self.effective_threads() == 1 && batch < self.runtime.cpu_pointwise_conv_gemm_below_batch
    }

    /// [`Placement::rates`] for `model`: at its precision, with its batch deciding how the runtime runs 1×1
    /// convolutions, and on a CPU whether its weights stay in the last-level cache: all of them in at most
    /// [`WEIGHTS_LLC_SHARE`] of it. Every stream running the model on that cache reads the same copy (a
    /// runtime's concurrent requests share one compiled model's weights, one copy per socket: U, what OpenVINO's
    /// CPU streams are taken to do, not a documented guarantee), so it holds for any number of them.
    fn model_rates(&self, model: &ResolvedModel) -> (Rates, Precision) {
        let (mut r, compute) = self.rates(model.precision);
        r.pointwise_gemm = self.pointwise_gemm(model.input.batch);
        r.channels_last = model.channels_last();
        r.attention = model.attention;
        r.weights_in_cache = r.cpu
            && r.llc_bytes > 0.0
            && model.params * r.weight_bytes <= r.llc_bytes * WEIGHTS_LLC_SHARE;
        (r, compute)
    }

    /// GEMM time (s) and occupancy with the best tile of the device: the tiles are dealt out to the lanes in
    /// waves. On CPUs a GEMM shorter than a tile costs the whole tile and a longer one pads its remainder to
    /// the microkernel's block (`padded_rows`, `padded_len`), except for matrix-vector products of a few
    /// rows, which stream the weights through a GEMV kernel instead.
    fn gemm(&self, r: &Rates, op: &Op) -> (f64, f64) {
        let efficiency = r.efficiency;
        if r.cpu && !self.runtime.tiled_gemm {
            // Rows split evenly over the threads: the slowest thread has ⌈m / T⌉ rows of every batch.
            let rows = count_ceil(op.m / r.lanes);
            let share = minmax::min(rows / minmax::max(op.m, 1.0), 1.0);
            let t = op.flops * share / (r.unit_flops_for(op) * r.lane_speed * efficiency);
            return (t, minmax::min(op.m / (rows * r.lanes), 1.0));
        }
        let mut best = (f64::INFINITY, 0.0);
        // Convolutions with a window run at the full width; 1×1 ones too unless they run as matrix products.
        let width_share = if r.runs_as_convolution(op) { 1.0 } else { r.narrow_share };
        let lane_rate = r.unit_flops_for(op) * r.lane_speed;
        // The share of each kernel that does not divide over the threads (`cpu_gemm_serial_share`).
        let serial = if r.cpu {
            1.0 + self.runtime.cpu_gemm_serial_share * minmax::max(r.lanes - 1.0, 0.0)
        } else {
            1.0
        };
        // Narrower vectors than the FMA datapath cap the arithmetic at that share of the best tile's rate; a
        // tile that moves data more than it computes (a few rows) stays as fast as its data allows.
        let width_cap = width_share * r.best_tile;
        let padded = r.cpu && op.m > GEMV_ROWS;
        // FP32 on a GPU's CUDA cores: its tiles sustain more of that peak (`fp32_tile_gain`; INT8 on its
        // tensor cores less of theirs, `int8_tile_gain`), and a 3×3
        // stride-1 convolution runs as Winograd's F(2×2, 3×3), with 2.25 times fewer multiplies.
        let gain = if op.convolution { r.conv_tile_gain } else { r.products_tile_gain };
        let flops = if r.gpu && r.conv_precision == Precision::Fp32 && winograd(op) {
            op.flops / WINOGRAD_F2X2_3X3
        } else {
            op.flops
        };
        // A fused attention kernel on an accelerator runs at a share of its tile's rate; on a CPU at the
        // runtime's own rule where it has one (`Rates::attention_scale`).
        let fused_attention = !r.cpu && op.class == OpClass::Attention;
        let attention = match op.class {
            OpClass::Attention if fused_attention => self.runtime.attention_share,
            OpClass::Attention => r.attention_scale,
            _ => 1.0,
        };
        for tile in &self.device.gemm_tiles {
            let (tm, tn) = (f64::from(tile.m), f64::from(tile.n));
            // Each quotient is taken once: the tile counts and the paddings read it.
            let (per_m, per_n) = (quotient(op.m, tm), quotient(op.n, tn));
            // A fused attention kernel deals out blocks of queries, one head each, and every block loops over
            // all the keys (FlashAttention-2, Dao 2023, section 3.2: thread blocks over batch, heads and query
            // blocks; TensorRT's BERT plugin at small batches, `fused_multihead_attention_v2.h`, which at larger
            // ones gives each head of each sequence one block looping over its queries, blocks enough either
            // way), so the keys make no tiles of their own.
            let cols = if fused_attention { 1.0 } else { count_ceil(per_n) };
            let rows = count_ceil(per_m);
            let tiles = op.batches * rows * cols;
            // The padded work over the tiles, at the tile's rate, per wave: as one quotient (a chain of
            // divisions is the loop's latency), the padding as padded rows and columns over the real ones.
            let (work, area) = if padded {
                let rows = padded_rows(op.m, tm, r.micro.0, per_m);
                (flops * rows * padded_len(op.n, tn, r.micro.1, per_n), op.m * op.n)
            } else {
                (flops, 1.0)
            };
            let waves = count_ceil(quotient(tiles, r.lanes));
            let tile_efficiency = if width_share < 1.0 {
                minmax::min(tile.efficiency, width_cap)
            } else {
                minmax::min(tile.efficiency * gain, 1.0)
            };
            let rate = lane_rate * tile_efficiency * efficiency * r.gemm_ratio * attention;
            let t = serial * waves * work / (area * tiles * rate);
            if t < best.0 {
                best = (t, minmax::min(tiles / (waves * r.lanes), 1.0));
            }
        }
        best
    }

    /// Compute time of an operator off the GEMM units, s: its arithmetic at the vector rate (a depthwise
    /// convolution's at the runtime's share of it where it has one, `cpu_depthwise_vector_share`), or on a CPU
    /// at the runtime's own per-thread element rate where it has one (`own_element_rate`), whichever is
    /// slower.
    fn vector_work(&self, r: &Rates, op: &Op) -> f64 {
        let share = self.runtime.cpu_depthwise_vector_share;
        if op.class == OpClass::Depthwise && share > 0.0 && self.own_cpu_kernels(r) {
            return op.flops / (r.vector_flops * share);
        }
        if op.class == OpClass::Epilogue && self.device.activation_on_dsps(op.activation) {
            return op.activation_elems() * DSP_GELU_OPS_PER_ELEM / r.norm_flops;
        }
        let vector =
            op.flops / if op.class == OpClass::Norm { r.norm_flops } else { r.vector_flops };
        let (rate, elems) = self.own_element_rate(r, op);
        if rate <= 0.0 {
            return vector;
        }
        minmax::max(vector, elems / (rate * 1e9 * r.units))
    }

    /// Whether the runtime's own kernels run on the cores here: a CPU, or WebAssembly in a page (a WebNN
    /// context runs the browser's kernels, not the runtime's, so its rules do not apply there).
    fn own_cpu_kernels(&self, r: &Rates) -> bool {
        r.cpu && matches!(self.device.platform, Platform::Cpu | Platform::Wasm)
    }

    /// The runtime's own per-thread element rate for `op` on a CPU (G elements/s) and the elements it applies
    /// to: a fused residual-add-and-norm (`cpu_skip_norm_gelems_per_thread`), any other normalisation
    /// (`cpu_norm_gelems_per_thread`), attention's softmax (`cpu_softmax_gelems_per_thread`), or an
    /// activation it runs as a kernel of its own (`cpu_sigmoid_gelems_per_thread`,
    /// `cpu_gelu_gelems_per_thread`; a GELU whose cost is given per element instead,
    /// `cpu_gelu_flops_per_elem`, at what one thread's share of the vector rate buys); rate 0 where it has
    /// none.
    fn own_element_rate(&self, r: &Rates, op: &Op) -> (f64, f64) {
        if !self.own_cpu_kernels(r) {
            return (0.0, 0.0);
        }
        let rt = self.runtime;
        match op.class {
            OpClass::Norm if op.softmax => (rt.cpu_softmax_gelems_per_thread, op.out_elems),
            OpClass::Norm if op.skip_norm && rt.cpu_skip_norm_gelems_per_thread > 0.0 => {
                (rt.cpu_skip_norm_gelems_per_thread, op.out_elems)
            }
            OpClass::Norm => (rt.cpu_norm_gelems_per_thread, op.out_elems),
            OpClass::Epilogue => {
                let rate = match op.activation {
                    Activation::None => 0.0,
                    Activation::Sigmoid => rt.cpu_sigmoid_gelems_per_thread,
                    Activation::Gelu if rt.cpu_gelu_gelems_per_thread > 0.0 => {
                        rt.cpu_gelu_gelems_per_thread
                    }
                    Activation::Gelu if rt.cpu_gelu_flops_per_elem > 0.0 => {
                        r.vector_flops / r.units / rt.cpu_gelu_flops_per_elem * 1e-9
                    }
                    Activation::Gelu => 0.0,
                };
                (rate, op.activation_elems())
            }
            _ => (0.0, 0.0),
        }
    }

    /// The bandwidth a depthwise convolution moves its activations at on a CPU: at most the runtime's share
    /// of one core's bandwidth per thread (`depthwise_bandwidth_efficiency`; a kernel that is slow per
    /// thread scales with the threads, not with the memory system), never more than the placement's.
    fn depthwise_bandwidth(&self, r: &Rates) -> f64 {
        let share = self.runtime.depthwise_bandwidth_efficiency;
        if share >= 1.0 {
            return r.bandwidth;
        }
        let per_core = if r.core_bw > 0.0 { r.core_bw } else { r.bandwidth / r.lanes };
        minmax::min(r.bandwidth, per_core * r.lanes * share)
    }

    fn op(&self, r: &Rates, op: &Op) -> Tally {
        // On CPUs an element-wise kernel smaller than the runtime's grain is not split: one thread, no
        // fork-join, and only one core's share of the bandwidth.
        // Matrix-vector products (decode steps at small batch) stream their weights from memory (a decode
        // step reads the whole model, far above the last-level cache) at the runtime's share of the read
        // bandwidth (`Gemv::read_share`): the threads' bandwidth where the runtime splits them
        // (`Gemv::split`), one core's where it does not.
        // Depthwise convolutions move their activations at most at the runtime's share of one core's
        // bandwidth per thread (`depthwise_bandwidth`).
        let gemv = r.is_gemv(op);
        let serial = r.cpu
            && ((gemv && !r.gemv.split)
                || (!matches!(op.class, OpClass::Gemm | OpClass::Attention)
                    && op.act_elems < self.runtime.parallel_grain_elems));
        // A kernel that is not split runs as on one thread: the calling thread alone, at one busy core's rate.
        // Its input, where the placement has more threads, lies spread over their L2s: no L2 rule for it.
        let spread = serial && r.lanes > 1.0;
        let alone;
        let r = if serial {
            alone = r.one_thread();
            &alone
        } else {
            r
        };
        let bytes = op.act_elems * r.act_bytes + op.weight_elems * r.weight_bytes;
        let bandwidth = match op.class {
            _ if gemv => r.bandwidth * r.gemv.read_share,
            OpClass::Depthwise if r.cpu => self.depthwise_bandwidth(r),
            _ => r.bandwidth,
        };
        // Activations in the last-level cache move at its rate per thread; weights come from memory unless the
        // model's stay in the cache (below).
        let in_cache = r.in_cache(op);
        // On a CPU, activations that stay in the cores' own L2 move at its rate per thread (`Rates::in_l2`), a
        // depthwise kernel's at the runtime's share of it (`depthwise_bandwidth_efficiency`), never below memory's.
        let in_l2 = !gemv && !spread && r.in_l2(op);
        let l2_share = match op.class {
            OpClass::Depthwise => minmax::min(self.runtime.depthwise_bandwidth_efficiency, 1.0),
            _ => 1.0,
        };
        let l2_rate = minmax::max(r.l2_core_bw * r.lanes * l2_share, bandwidth);
        // Weights that stay in the cache (not a matrix-vector product's: `Rates::weights_in_cache`) come at its
        // rate per thread, where the profile has it, else at least at what one core pulls from memory on its own
        // (`per_unit_bandwidth_gbps`: a core reads its cache no slower than memory), not at the placement's
        // share of the memory bus. A cache is never read slower than memory (a profile that raises the
        // bandwidth keeps its rate).
        let weights_cached = r.weights_in_cache && !gemv;
        let act_rate =
            if in_cache { minmax::max(r.llc_core_bw * r.lanes, bandwidth) } else { bandwidth };
        let weight_rate = if weights_cached {
            minmax::max(minmax::max(r.llc_core_bw, r.core_bw) * r.lanes, bandwidth)
        } else {
            bandwidth
        };
        let memory = if in_l2 {
            op.act_elems * r.act_bytes / l2_rate + op.weight_elems * r.weight_bytes / weight_rate
        } else if in_cache || weights_cached {
            op.act_elems * r.act_bytes / act_rate + op.weight_elems * r.weight_bytes / weight_rate
        } else {
            bytes / bandwidth
        };
        let (compute, occupancy) = match op.class {
            OpClass::Gemm | OpClass::Attention => self.gemm(r, op),
            _ => (self.vector_work(r, op), 1.0),
        };
        let (pack, faults, pack_bytes) = self.outside_roofline(r, op);
        let (layout, layout_bytes, layout_kernels) = self.layout_copies(r, op);
        // What crosses the memory bus: the weights that do not stay in the cache and the activations not
        // already there (with packing, the weights' read is the packing's), and what packing and copies move.
        let weight_bus = if weights_cached { 0.0 } else { op.weight_elems * r.weight_bytes };
        let bus_bytes = if pack > 0.0 {
            if in_l2 {
                0.0
            } else {
                op.act_elems * r.act_bytes
            }
        } else if in_cache || in_l2 {
            weight_bus
        } else {
            op.act_elems * r.act_bytes + weight_bus
        } + pack_bytes
            + layout_bytes;
        let memory = if pack > 0.0 {
            op.act_elems * r.act_bytes / if in_l2 { l2_rate } else { r.bandwidth }
        } else {
            memory
        };
        // Packing, faulting and layout transposes are memory work outside the roofline: they add to it.
        let pack = pack + faults + layout;
        // The device-side cost: a kernel launch on accelerators, the fork and join of the kernel's threads on
        // CPUs (none on one thread).
        let overhead = if serial { 0.0 } else { r.launch_s };
        let device = minmax::max(compute, memory) + pack + overhead;
        let host = r.host_s;
        let wall = if r.cpu { device + host } else { minmax::max(device, host) };
        let busy = minmax::max(compute, memory) + pack;
        let (mut cb, mut mb) = (0.0, pack);
        if compute >= memory {
            cb = compute
        } else {
            mb += memory
        }
        Tally {
            wall_us: wall * 1e6,
            device_us: device * 1e6,
            unit_us: compute * occupancy * 1e6,
            memory_us: (memory + pack) * 1e6,
            bus_us: bus_bytes / r.bus_bandwidth * 1e6,
            host_us: host * 1e6,
            kernels: 1.0 + layout_kernels,
            // A kernel split over more than one thread is a parallel region.
            regions: if r.cpu && !serial && r.lanes > 1.0 { 1.0 } else { 0.0 },
            flops: op.flops,
            bytes,
            compute_bound_us: cb * 1e6,
            memory_bound_us: mb * 1e6,
            overhead_us: (wall - busy) * 1e6,
            peak_act_bytes: op.act_elems * r.act_bytes,
        }
    }

    /// Memory work outside the roofline, s: the weights packed on every call, and fresh output pages faulted
    /// in; and the bytes the packing and copies move through the memory bus.
    fn outside_roofline(&self, r: &Rates, op: &Op) -> (f64, f64, f64) {
        let core_bw = r.core_bw;
        // A runtime that packs the weights on every call (BLAS sgemm without prepacked weights) first copies
        // them into its panel layout on one core, reading them from memory and writing the panels: twice the
        // weight bytes at one core's bandwidth, before and apart from the threads' arithmetic, which then
        // reads the panels from cache. A GEMV that packs none (`Gemv::packs`) streams the weights as they lie:
        // its read is the roofline's memory term.
        let packs = if r.is_gemv(op) { r.gemv.packs } else { self.runtime.packs_weights_per_call };
        let mut moved = if r.cpu
            && packs
            && op.class == OpClass::Gemm
            && op.weight_elems > 0.0
            && core_bw > 0.0
        {
            2.0 * op.weight_elems * r.weight_bytes
        } else {
            0.0
        };
        let mut pack = if moved > 0.0 { moved / core_bw } else { 0.0 };
        // A runtime that maps large outputs afresh on every call faults their pages in as the kernel first
        // writes them; the threads writing the output fault in parallel.
        let out_bytes = op.out_elems * r.act_bytes;
        let mut faults = self.fresh_pages_s(r, out_bytes);
        // A runtime that hands plain (NCHW) tensors to a library computing in its own blocked layout copies
        // the convolution's input into that layout and its output back on every call: the activations read
        // and written once more at the placement's bandwidth, two more parallel regions, and the two copies'
        // fresh pages where they are large.
        if self.cpu_layout_copies(r, op) {
            let act_bytes = op.act_elems * r.act_bytes;
            let regions = if r.lanes > 1.0 { 2.0 * r.launch_s } else { 0.0 };
            pack += 2.0 * act_bytes / r.bandwidth + regions;
            moved += 2.0 * act_bytes;
            faults +=
                self.fresh_pages_s(r, act_bytes - out_bytes) + self.fresh_pages_s(r, out_bytes);
        }
        (pack, faults, moved)
    }

    /// Whether the runtime copies convolution `op`'s plain (NCHW) tensors into its CPU library's blocked
    /// layout and back ([`RuntimeProfile::cpu_conv_layout_copies`], the model not channels-last).
    fn cpu_layout_copies(&self, r: &Rates, op: &Op) -> bool {
        r.cpu
            && self.runtime.cpu_conv_layout_copies
            && !r.channels_last
            && op.class == OpClass::Gemm
            && r.runs_as_convolution(op)
    }

    /// The transposes a framework that hands NCHW tensors to cuDNN has around a tensor-core convolution
    /// (`RuntimeProfile::gpu_conv_layout_copies` on a CUDA GPU, the model not channels-last): the device time
    /// they take, s, the bytes they move through memory, and how many kernels they are (cuDNN launches them
    /// within the convolution's call: no host time of their own).
    /// cuDNN's tensor-core convolutions read NHWC, so the input is transposed: one more kernel reading and
    /// writing it (at the L2's rate where the convolution's tensors fit in it). Volta's and Turing's also write
    /// NHWC, so there the output comes back in a second kernel; from the A100 on
    /// ([`CUDNN_NCHW_OUTPUT_FROM_CC`]) cuDNN's xmma kernels write the NCHW output themselves (their names end
    /// `nhwckrsc_nchw`). Only the 2-D convolutions a CNN is built of (a `window`): the convolution stems of
    /// audio and vision transformers are costed as matrix products over their unfolded input, whose size is
    /// not the tensor's, and PyTorch's channels-last applies to 4-D tensors only. Tensor cores: FP16, BF16
    /// and TF32 from Volta (7.0), int8 from Turing (7.5; the V100's int8 is DP4A on the CUDA cores); a GPU of
    /// unknown compute capability (0) is taken as Ampere or later.
    fn layout_copies(&self, r: &Rates, op: &Op) -> (f64, f64, f64) {
        let cc = self.device.cuda_compute_capability;
        let tensor_cores = match r.conv_precision {
            Precision::Fp32 => false,
            Precision::Int8 | Precision::Int4 => cc == 0 || cc >= 75,
            _ => cc == 0 || cc >= 70,
        };
        let nchw = self.device.platform == Platform::Cuda
            && self.runtime.gpu_conv_layout_copies
            && !r.channels_last;
        if !(nchw
            && tensor_cores
            && op.class == OpClass::Gemm
            && op.convolution
            && op.window >= 1.0)
        {
            return (0.0, 0.0, 0.0);
        }
        let out_too = cc > 0 && cc < CUDNN_NCHW_OUTPUT_FROM_CC;
        let elems = if out_too { op.act_elems } else { op.act_elems - op.out_elems };
        let bytes = 2.0 * elems * r.act_bytes;
        let kernels = if out_too { 2.0 } else { 1.0 };
        // Launches are the device's fixed cost of the two copies; they count with the memory work, as the
        // CPU's layout copies' parallel regions do.
        if r.in_cache(op) {
            (
                bytes / minmax::max(r.llc_core_bw * r.lanes, r.bandwidth) + kernels * r.launch_s,
                0.0,
                kernels,
            )
        } else {
            (bytes / r.bandwidth + kernels * r.launch_s, bytes, kernels)
        }
    }

    /// Faulting in a fresh output of `bytes`, s, where the runtime maps outputs above its threshold afresh on
    /// every call (`RuntimeProfile::fresh_pages_above_mib`); the threads writing it fault in parallel.
    fn fresh_pages_s(&self, r: &Rates, bytes: f64) -> f64 {
        let above = self.runtime.fresh_pages_above_mib;
        if r.cpu && above > 0.0 && bytes > above * MB {
            count_ceil(bytes / PAGE_BYTES as f64) * self.device.page_fault_us * 1e-6
                / minmax::max(r.units, 1.0)
        } else {
            0.0
        }
    }

    /// The kernels of unfused attention: two GEMMs around the element-wise kernels over the scores (a scale,
    /// and a mask where the model adds one: `Op::score_kernels`) and a softmax, all writing the scores (a fixed
    /// array, so costing a model allocates nothing).
    fn unfused_attention(op: &Op) -> [Op; 4] {
        let scores = op.mn_elems();
        let half = Op {
            flops: op.flops / 2.0,
            act_elems: op.act_elems / 2.0 + scores,
            class: OpClass::Gemm,
            ..*op
        };
        let qk = Op { n: op.n, k: op.k, out_elems: scores, ..half };
        let av = Op { n: op.k, k: op.n, out_elems: op.out_elems, ..half };
        let mut softmax = Op::norm(scores);
        softmax.repeat = op.repeat;
        softmax.softmax = true;
        // The scale, and the mask where the model adds one (`Op::score_kernels`): each reads and writes the
        // scores.
        let mut scale = Op::epilogue(2.0 * scores);
        scale.repeat = op.repeat * op.score_kernels;
        [qk, scale, softmax, av]
    }

    /// Calls `each` with every kernel `ops` become under this runtime, the operator it came from and its
    /// repeat count: epilogues vanish into their producer when the runtime fuses them, an element-wise
    /// operator that joins a run is part of the run's kernel where the runtime generates one per run
    /// ([`Placement::joined`]), unfused attention is four kernels, anything else runs as itself.
    #[inline]
    fn kernels(&self, r: &Rates, ops: &[Op], mut each: impl FnMut(&Op, &Tally, f64)) {
        for op in ops {
            // Under autocast a weighted operator's weights are cast first, however the operator itself runs: an
            // element-wise kernel of its own (`weight_cast`).
            if r.casts_weights && cast_weight_elems(op) > 0.0 {
                let cast = weight_cast(op);
                each(&cast, &self.op(r, &cast), op.repeat);
            }
            match op.class {
                // An activation the runtime runs as a kernel of its own is no epilogue to fuse.
                OpClass::Epilogue
                    if self.device.fuses_epilogue(self.runtime, op.activation)
                        && self.own_element_rate(r, op).0 <= 0.0 => {}
                // Where epilogues fold into their producers (a what-if of the memory advice) a norm has no
                // run to join: the residual add before it vanished into its GEMM.
                OpClass::Epilogue | OpClass::Norm
                    if op.joined > 0.0
                        && self.runtime.joins_pointwise_runs()
                        && self.own_element_rate(r, op).0 <= 0.0 =>
                {
                    each(op, &self.joined(r, op), op.joined);
                    if op.repeat > op.joined {
                        each(op, &self.op(r, op), op.repeat - op.joined);
                    }
                }
                OpClass::Attention if !self.fuses_attention(r) => {
                    for k in &Self::unfused_attention(op) {
                        each(op, &self.op(r, k), k.repeat);
                    }
                }
                OpClass::Gemm
                    if op.prompt_rows > 0.0 && self.runtime.prefill_logits_every_position =>
                {
                    each(op, &self.op(r, &op.every_prompt_position()), op.repeat)
                }
                _ => each(op, &self.op(r, op), op.repeat),
            }
        }
    }

    /// An element-wise operator inside the kernel its run's first operator stands for ([`Op::joined`]): its
    /// other inputs read there ([`Op::run_extra_elems`]), with no launch, dispatch or parallel region of its
    /// own, and its arithmetic.
    fn joined(&self, r: &Rates, op: &Op) -> Tally {
        let extra = op.run_extra_elems();
        let mut t = self.op(r, &Op { act_elems: extra, out_elems: 0.0, ..*op });
        let busy = t.compute_bound_us + t.memory_bound_us;
        t.wall_us = busy;
        t.device_us = busy;
        t.host_us = 0.0;
        t.kernels = 0.0;
        t.regions = 0.0;
        t.overhead_us = 0.0;
        t
    }

    /// Whether attention runs as one fused kernel ([`AttentionKernels::runs_fused`]).
    fn fuses_attention(&self, r: &Rates) -> bool {
        AttentionKernels::runs_fused(r.attention, self.device, self.runtime)
    }

    /// Host time of one call into the runtime, µs.
    fn call_us(&self, r: &Rates) -> f64 {
        let call =
            if r.cpu { self.runtime.cpu_call_overhead_us } else { self.runtime.call_overhead_us };
        call * self.device.overhead_scale
    }

    /// `ops` run once with `r` at the clock their load runs at within the device's power limit
    /// ([`Placement::clocked`]).
    fn phase(&self, r: &Rates, ops: &[Op]) -> Tally {
        let at_boost = self.phase_at(r, ops);
        match self.clock_for(&at_boost) {
            Some(c) => self.phase_at(&r.at_clock(c), ops),
            None => at_boost,
        }
    }

    /// The clock below the boost clock a phase that tallies `at_boost` at it runs at on a power-limited
    /// device ([`DeviceProfile::power_limited_clock`]); `None` where it holds the boost clock.
    fn clock_for(&self, at_boost: &Tally) -> Option<f64> {
        let c = self.device.power_limited_clock(at_boost.unit_us, at_boost.wall_us);
        (c < 1.0).then_some(c)
    }

    /// `r` at the clock `ops`' load runs at within the device's power limit: a GPU whose compute units kept
    /// busy would draw more than its board power (`DeviceProfile::full_load_w`) computes a heavy phase below
    /// its boost clock, each phase (a prefill, a decode step) at its own; memory and launches keep their rates.
    fn clocked(&self, r: &Rates, ops: &[Op]) -> Rates {
        if self.device.full_load_w <= self.device.tdp_w {
            return *r;
        }
        match self.clock_for(&self.phase_at(r, ops)) {
            Some(c) => r.at_clock(c),
            None => *r,
        }
    }

    /// `ops` run once with `r`: their kernels and the call into the runtime.
    fn phase_at(&self, r: &Rates, ops: &[Op]) -> Tally {
        let mut total = Tally::default();
        let call = self.call_us(r);
        let mut queue = LaunchQueue::after_call(call);
        let mut wall = 0.0;
        self.kernels(r, ops, |_, t, times| {
            total.add(t, times);
            wall += queue.kernels(t, times, r.cpu);
        });
        total.wall_us = wall;
        if !r.cpu {
            // An accelerator's kernels overlap their launches ([`LaunchQueue`]); what the queue's finish
            // exceeds the kernels' busy time by is overhead (launches, and the host's pace where it is slower).
            total.overhead_us = total.wall_us - total.compute_bound_us - total.memory_bound_us;
        }
        total.wall_us += call;
        total.host_us += call;
        total.overhead_us += call;
        total
    }

    /// Where the predicted time of `model` alone goes: its kernels grouped by [`OperatorKind`], in a fixed
    /// order, kinds without kernels left out, and the calls into the runtime as [`OperatorKind::Call`]. The
    /// times add up to [`Placement::predict`]'s latency (a generation's start-up window beside the other
    /// session's pool and the device's latency correction included).
    pub fn breakdown(&self, model: &ResolvedModel, work: &Work) -> Vec<OperatorTime> {
        let (r, _) = self.model_rates(model);
        let mut out: Vec<OperatorTime> = OperatorKind::ALL
            .iter()
            .map(|&kind| OperatorTime { kind, kernels: 0.0, ms: 0.0 })
            .collect();
        let steps = f64::from(work.decode_steps);
        // (placement, rates, operators, runs): the start-up window's share of the prefill and its decode
        // steps run beside the other session's pool, the rest as this placement runs them.
        let window = self.start_window(model, work);
        let (in_prefill, in_steps) =
            window.as_ref().map_or((0.0, 0.0), |w| (w.prefill_share, w.steps));
        let mut parts = vec![
            (*self, r, &work.prefill, 1.0 - in_prefill),
            (*self, r.decoding(), &work.decode_step, steps - in_steps),
        ];
        if let Some(w) = &window {
            parts.push((w.beside, w.rates, &work.prefill, in_prefill));
            parts.push((w.beside, w.rates.decoding(), &work.decode_step, in_steps));
        }
        for (placement, rates, ops, runs) in parts {
            if runs <= 0.0 {
                continue;
            }
            let rates = placement.clocked(&rates, ops);
            let call = placement.call_us(&rates);
            let mut queue = LaunchQueue::after_call(call);
            placement.kernels(&rates, ops, |op, t, repeat| {
                let slot = &mut out[OperatorKind::of(op) as usize];
                slot.kernels += t.kernels * repeat * runs;
                // On an accelerator a kernel's share is how much later the queue finishes for it.
                slot.ms += queue.kernels(t, repeat, rates.cpu) * runs / 1000.0;
            });
            out[OperatorKind::Call as usize].ms += call * runs / 1000.0;
        }
        let correction = self.device.correction_for(&model.name);
        for o in &mut out {
            o.ms *= correction;
        }
        out.retain(|o| o.ms > 0.0 || o.kernels > 0.0);
        out
    }

    /// Generation on a runtime that runs the prefill and the cached decode steps as two sessions
    /// (`decode_session_apart`) whose pools spin after a run: each session starts while the other's
    /// `threads − 1` workers still spin (`spin_after_run_us` of CPU time each; in a stream of calls the
    /// prefill follows the last call's decode steps), holding cores its threads need. The placement the work
    /// in that window runs as (the cores left over, at least one thread) and the window, µs: the spin's CPU
    /// time over the share of a core each spinner gets among the session's threads and the spinners.
    /// Measured on the development VM (2 cores, ONNX Runtime 1.32, `bench/real/decode_steps.py`, medians of 6
    /// generations 0.1 s apart, `results/decode-steps-onnxruntime-dev-vm-s10.txt`): on two threads t5-small's
    /// first 7 decode steps took 9.7-11.8 ms (8.5-9.0 on one thread), the later ones 5.7-6.5; GPT-2's first
    /// two 32.9 and 32.0 ms (24.4-25.1 on one thread), the third 20.9, the later ones 18.0-19.0. Back to back,
    /// t5-small's 8-token generation takes longer on two threads than on one
    /// (`results/onnxruntime-dev-vm-s10.json`: 134.9 ms against 123.1).
    fn beside_other_session(&self) -> Option<(Placement<'_>, f64)> {
        let threads = self.effective_threads();
        let spin_us = self.runtime.spin_after_run_us;
        if !self.is_cpu() || !self.runtime.decode_session_apart || threads <= 1 || spin_us <= 0.0 {
            return None;
        }
        let cores = self.device.compute_units.max(1);
        let free = cores.saturating_sub(threads - 1).clamp(1, threads);
        if free >= threads {
            return None;
        }
        let spinners = f64::from(threads - 1);
        let window_us = spin_us * (f64::from(threads) + spinners) / f64::from(cores);
        Some((Placement { threads: free, ..*self }, window_us))
    }

    /// Where a generation on a runtime that runs it as two sessions (`beside_other_session`) runs beside the
    /// other session's spinning pool: that placement and its rates, the share of the prefill in the window,
    /// and the decode steps in it. `None` where no window applies.
    fn start_window(&self, model: &ResolvedModel, work: &Work) -> Option<StartWindow<'_>> {
        if work.decode_steps == 0 {
            return None;
        }
        let (beside, window_us) = self.beside_other_session()?;
        let rates = beside.model_rates(model).0;
        let slow_prefill = beside.phase(&rates, &work.prefill);
        let prefill_share = (window_us / slow_prefill.wall_us.max(1e-9)).min(1.0);
        let slow_step = beside.phase(&rates.decoding(), &work.decode_step);
        let steps =
            count_ceil(window_us / slow_step.wall_us.max(1e-9)).min(f64::from(work.decode_steps));
        Some(StartWindow { beside, rates, prefill_share, steps, slow_prefill, slow_step })
    }

    /// The prefill, and the whole run (the prefill and its decode steps), with the start of each session
    /// run as [`Placement::start_window`] says.
    fn generation(&self, r: &Rates, model: &ResolvedModel, work: &Work) -> (Tally, Tally) {
        let prefill = self.phase(r, &work.prefill);
        if work.decode_steps == 0 {
            return (prefill, prefill);
        }
        let steps = f64::from(work.decode_steps);
        let step = self.phase(&r.decoding(), &work.decode_step);
        let Some(w) = self.start_window(model, work) else {
            let mut total = prefill;
            total.add(&step, steps);
            return (prefill, total);
        };
        let mut first = Tally::default();
        first.add(&w.slow_prefill, w.prefill_share);
        first.add(&prefill, 1.0 - w.prefill_share);
        let mut total = first;
        total.add(&w.slow_step, w.steps);
        total.add(&step, steps - w.steps);
        (first, total)
    }

    /// Where the runtime computes an fp32 model's products or convolutions as TF32 by default on this device
    /// ([`RuntimeProfile::fp32_as_tf32`]): says so in `warnings`, and returns the precision most of its
    /// FLOPs run at (`products`, the matrix products', unless convolutions run as TF32 and do most of it).
    fn tf32_default(
        &self,
        model: &ResolvedModel,
        work: &Work,
        r: &Rates,
        products: Precision,
        warnings: &mut Vec<String>,
    ) -> Precision {
        if model.precision != Precision::Fp32 {
            return products;
        }
        let runtime = &self.runtime.name;
        if products == Precision::Tf32 {
            warnings.push(format!(
                "{}: {runtime} computes fp32 matrix products and convolutions as TF32 on {} by default \
                 (10-bit mantissa inputs on the tensor cores); predicted at its TF32 rate",
                model.name, self.device.id
            ));
            return products;
        }
        if r.conv_precision != Precision::Tf32 {
            return products;
        }
        // The convolutions' FLOPs and all FLOPs of one pass over `ops`.
        let flops = |ops: &[Op]| {
            ops.iter().fold((0.0, 0.0), |(conv, all), op| {
                let f = op.flops * op.repeat;
                let is_conv = op.class == OpClass::Gemm && op.convolution;
                (if is_conv { conv + f } else { conv }, all + f)
            })
        };
        let steps = f64::from(work.decode_steps);
        let ((prefill_conv, prefill_all), (step_conv, step_all)) =
            (flops(&work.prefill), flops(&work.decode_step));
        let conv = prefill_conv + steps * step_conv;
        if conv <= 0.0 {
            return products;
        }
        let all = prefill_all + steps * step_all;
        warnings.push(format!(
            "{}: {runtime} computes fp32 convolutions ({:.1} % of its FLOPs) as TF32 on {} by default \
             (torch.backends.cudnn.allow_tf32), its matrix products at the fp32 rate",
            model.name,
            100.0 * conv / all,
            self.device.id
        ));
        if conv * 2.0 > all {
            Precision::Tf32
        } else {
            products
        }
    }

    /// Says in `warnings` where the entry sets an option that changes nothing in this prediction: a
    /// `memory_format` where no convolution pays a layout copy either way (only PyTorch's NCHW transposes
    /// around cuDNN's tensor-core convolutions and oneDNN's CPU layout copies are modelled: TensorRT,
    /// OpenVINO, QNN and the browser runtimes choose their own layouts, and ONNX Runtime's CUDA provider's
    /// transposes are not priced), an `attention` on a model without attention, or one the runtime runs the
    /// same way here whatever the entry asks.
    fn unused_option_warnings(
        &self,
        model: &ResolvedModel,
        work: &Work,
        r: &Rates,
        warnings: &mut Vec<String>,
    ) {
        let ops = || work.prefill.iter().chain(&work.decode_step);
        let (name, runtime, device) = (&model.name, &self.runtime.name, &self.device.id);
        if let Some(format) = model.memory_format {
            let nchw = Rates { channels_last: false, ..*r };
            let copied = |op: &Op| {
                self.cpu_layout_copies(&nchw, op) || self.layout_copies(&nchw, op).2 > 0.0
            };
            if !ops().any(copied) {
                warnings.push(format!(
                    "{name}: memory_format {} changes nothing in this prediction under {runtime} on \
                     {device}: no convolution of this model pays a modelled layout copy either way (only \
                     PyTorch's NCHW transposes around cuDNN's tensor-core convolutions and oneDNN's CPU \
                     layout copies are modelled)",
                    format.name()
                ));
            }
        }
        if let Some(attention) = model.attention {
            if !ops().any(|op| op.class == OpClass::Attention) {
                warnings.push(format!(
                    "{name}: attention {} changes nothing: the model has no attention layers",
                    attention.name()
                ));
            } else if !self.device.fuses_attention(self.runtime) {
                warnings.push(match attention {
                    AttentionKernels::Fused => format!(
                        "{name}: {runtime} has no fused attention kernel on {device}; its attention is \
                         predicted unfused (the products, the scale and the softmax apart)"
                    ),
                    AttentionKernels::Unfused => format!(
                        "{name}: attention unfused changes nothing: {runtime} runs attention unfused on \
                         {device} anyway"
                    ),
                });
            }
        }
    }

    /// Says in `warnings` where eager PyTorch's host paces a GPU prediction (one whose bound is its overhead):
    /// issuing the kernels takes the host longer than the device takes to run them, so the host machine decides
    /// the time, and the catalog's host time per kernel
    /// ([`PYTORCH_GPU_HOST_US`](crate::catalog::runtime::PYTORCH_GPU_HOST_US)) is that of the slowest hosts the
    /// published rows ran on ([`PYTORCH_GPU_HOST_US_PUBLISHED`]).
    fn host_paced_warning(
        &self,
        model: &ResolvedModel,
        r: &Rates,
        total: &Tally,
        warnings: &mut Vec<String>,
    ) {
        if r.cpu || self.runtime.kernels_of() != PYTORCH_EAGER || total.host_us <= total.device_us {
            return;
        }
        let (fast, slow) = PYTORCH_GPU_HOST_US_PUBLISHED;
        warnings.push(format!(
            "{}: host-bound under {} on {}: its {:.0} kernels at {:.1} µs of host time each outlast the GPU's \
             work; that time is the host machine's (PyTorch's published batch-1 rows: {fast:.0}-{slow:.0} µs; a \
             hardware profile's overhead_scale sets this host's)",
            model.name,
            self.runtime.name,
            self.device.id,
            total.kernels,
            r.host_s * 1e6,
        ));
    }

    /// Predicts one resolved model alone on this placement.
    pub fn predict(&self, model: &ResolvedModel) -> SinglePrediction {
        self.predict_with(model, &model.arch.work(&model.input))
    }

    /// [`Placement::predict`] with the model's operators already built (`model.arch.work(&model.input)`).
    pub fn predict_with(&self, model: &ResolvedModel, work: &Work) -> SinglePrediction {
        let (r, products) = self.model_rates(model);
        let mut warnings = Vec::new();
        let asked = self.runtime_precisions(model.precision).0;
        if products != model.precision && products != asked && model.precision != Precision::Int4 {
            warnings.push(format!(
                "{}: {} has no native {} rate; computed at the {} rate",
                model.name,
                self.device.id,
                model.precision.name(),
                products.name()
            ));
        }
        let compute_precision = self.tf32_default(model, work, &r, products, &mut warnings);
        self.unused_option_warnings(model, work, &r, &mut warnings);
        let (prefill, mut total) = self.generation(&r, model, work);
        let correction = self.device.correction_for(&model.name);
        if correction != 1.0 {
            total.scale_time(correction);
        }
        let latency_us = total.wall_us.max(1e-3);
        // Under autocast the weights stay FP32, and their 2-byte copies live through the call.
        let casts = r.casts_weights;
        let held = held_precision(self.device, self.runtime, model.precision);
        let weights_mb = model.params * held.weight_bytes() / MB;
        // The copies are of the weights autocast casts (those of matrix products and convolutions; one forward
        // pass reads each of them), kept through the call by autocast's cast cache.
        let cast_copies_mb = if casts {
            let cast: f64 = work.prefill.iter().map(|op| cast_weight_elems(op) * op.repeat).sum();
            cast * model.precision.weight_bytes() / MB
        } else {
            0.0
        };
        let act_bytes = total
            .peak_act_bytes
            .max(work.cnn_peak_act_elems * f64::from(model.input.batch) * r.act_bytes);
        let memory = MemoryBreakdown {
            weights_mb,
            activations_mb: act_bytes / MB,
            kv_cache_mb: work.kv_cache_elems * r.act_bytes / MB,
            workspace_mb: self.runtime.workspace_mb,
            runtime_overhead_mb: weights_mb * (self.runtime.memory_overhead_factor - 1.0)
                + cast_copies_mb,
        };
        let bound = if total.overhead_us >= total.compute_bound_us.max(total.memory_bound_us) {
            Bound::Overhead
        } else if total.compute_bound_us >= total.memory_bound_us {
            Bound::Compute
        } else {
            Bound::Memory
        };
        if bound == Bound::Overhead {
            self.host_paced_warning(model, &r, &total, &mut warnings);
        }
        let threads = self.effective_threads();
        SinglePrediction {
            latency_ms: latency_us / 1000.0,
            throughput: f64::from(model.input.batch) / (latency_us * 1e-6),
            prefill_ms: prefill.wall_us / 1000.0,
            decode_ms: (total.wall_us - prefill.wall_us) / 1000.0,
            kernels: total.kernels,
            regions: total.regions,
            compute_ms: total.compute_bound_us / 1000.0,
            memory_ms: total.memory_bound_us / 1000.0,
            overhead_ms: total.overhead_us / 1000.0,
            gflops: total.flops / 1e9,
            traffic_mb: total.bytes / MB,
            memory,
            compute_precision,
            bound,
            compute_share: if r.cpu { 1.0 } else { (total.unit_us / latency_us).min(1.0) },
            // A model draws what its bytes take of the whole bus: a CPU model's threads read at their cores'
            // rate, a share of it; an accelerator's kernels stream at the whole bus, except what a GPU's
            // kernels read from its L2.
            bandwidth_share: (total.bus_us / latency_us).min(1.0),
            queue_share: (total.device_us / latency_us).min(1.0),
            host_share: (total.host_us / latency_us).min(1.0),
            threads,
            busy_cores: if r.cpu { self.busy_cores() } else { 0.0 },
            warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{
        count_ceil, count_floor, padded_len, padded_rows, pow2_recip, quotient, LaunchQueue,
        Placement, Rates, ResolvedModel, SinglePrediction, DSP_GELU_OPS_PER_ELEM, MB,
        WINOGRAD_F2X2_3X3,
    };
    use crate::catalog::arch::{Activation, Op, OpClass};
    use crate::catalog::hardware;
    use crate::catalog::runtime::{RuntimeProfile, PYTORCH_GPU_HOST_US_PUBLISHED};
    use crate::catalog::Precision;
    use crate::predict::spec::{resolve, MemoryFormat, ModelSpec};

    #[test]
    fn outputs_above_the_runtimes_fresh_page_threshold_pay_their_page_faults() {
        let mut faulting = hardware::find("cpu").unwrap();
        faulting.page_fault_us = 1.5;
        let mut free = faulting.clone();
        free.page_fault_us = 0.0;
        // The extra time of an element-wise op writing `mib` MiB on `threads` threads, µs.
        let extra = |runtime: &str, threads: u32, mib: f64| {
            let rt = RuntimeProfile::find(runtime).unwrap();
            let op = Op::epilogue(2.0 * mib * MB / 4.0);
            let wall = |device| {
                let p = Placement { device, runtime: &rt, threads };
                let (r, _) = p.rates(Precision::Fp32);
                p.op(&r, &op).wall_us
            };
            wall(&faulting) - wall(&free)
        };
        // PyTorch (glibc's 32 MiB mmap threshold): 40 MiB is 10,240 fresh pages at 1.5 µs; 30 MiB is reused.
        assert!((extra("pytorch", 1, 40.0) - 15_360.0).abs() < 1e-6);
        assert_eq!(extra("pytorch", 1, 30.0), 0.0);
        // Two threads fault in parallel, at the rate of the cores they keep busy.
        let two = Placement {
            device: &faulting,
            runtime: &RuntimeProfile::find("pytorch").unwrap(),
            threads: 2,
        }
        .busy_cores();
        assert!((extra("pytorch", 2, 40.0) - 15_360.0 / two).abs() < 1e-6);
        // ONNX Runtime plans its activations in an arena; PyTorch on a heap that keeps its pages reuses them.
        assert_eq!(extra("onnxruntime", 1, 40.0), 0.0);
        assert_eq!(extra("pytorch-kept-heap", 1, 40.0), 0.0);
        assert_eq!(extra("pytorch-kept-heap", 2, 400.0), 0.0);
    }

    #[test]
    fn element_wise_kernels_whose_tensors_fit_in_the_last_level_cache_move_them_at_its_rate() {
        let plain = hardware::find("cpu").unwrap();
        let cached =
            hardware::DeviceProfile { llc_mb: 32.0, llc_bandwidth_gbps: 200.0, ..plain.clone() };
        let rt = RuntimeProfile::find("onnxruntime").unwrap();
        // Memory time of `op` on `threads`, µs.
        let memory = |device: &hardware::DeviceProfile, op: &Op, threads: u32| {
            let p = Placement { device, runtime: &rt, threads };
            let (r, _) = p.rates(Precision::Fp32);
            p.op(&r, op).memory_us
        };
        // 16 MiB in and out: in the cache, at 200 GB/s per thread.
        let small = Op::epilogue(16.0 * MB / 4.0);
        let bytes = small.act_elems * 4.0;
        assert!((memory(&cached, &small, 1) - bytes / 200e9 * 1e6).abs() < 1e-9);
        assert!((memory(&cached, &small, 2) - bytes / 400e9 * 1e6).abs() < 1e-9);
        assert!(memory(&cached, &small, 1) < memory(&plain, &small, 1));
        // 64 MiB does not fit: from memory, as without a cache.
        let large = Op::epilogue(64.0 * MB / 4.0);
        assert_eq!(memory(&cached, &large, 1), memory(&plain, &large, 1));
        // A CPU's GEMMs keep their rule (packing and blocking).
        let gemm = Op::gemm(1.0, 512.0, 768.0, 768.0, 768.0 * 768.0);
        assert_eq!(memory(&cached, &gemm, 1), memory(&plain, &gemm, 1));
    }

    #[test]
    fn a_cpu_models_weights_that_fit_in_half_its_last_level_cache_come_from_there_for_every_stream()
    {
        // One core of the two-socket Xeon 8490H, as each of OpenVINO's 120 streams runs (every stream is the
        // same one-core placement): the bus's share of a 120th, 112.5 MB of L3 per socket (Intel ark).
        let server = hardware::find("openvino:xeon-8490h-2s").unwrap();
        assert_eq!(server.llc_mb, 112.5);
        assert_eq!(server.llc_bandwidth_gbps, 0.0);
        let stream = server.cores_share(1);
        let uncached = hardware::DeviceProfile { llc_mb: 0.0, ..stream.clone() };
        let rt = RuntimeProfile::find("openvino").unwrap();
        let predict = |device: &hardware::DeviceProfile, precision| {
            let m = resolve(&ModelSpec::named("resnet-50").with_precision(precision), "m").unwrap();
            let p = Placement { device, runtime: &rt, threads: 1 };
            (m.params * precision.weight_bytes() / MB, p.predict(&m))
        };
        // int8 ResNet-50: 24.4 MiB of weights, within half the L3. They come at least at one core's own memory
        // rate, not at its 120th of the bus, and no longer cross the bus: the call is faster and moves less.
        let (mb, cached) = predict(&stream, Precision::Int8);
        assert!(mb < 112.5 * super::WEIGHTS_LLC_SHARE, "{mb}");
        let (_, streamed) = predict(&uncached, Precision::Int8);
        assert!(cached.memory_ms < streamed.memory_ms, "{cached:?} against {streamed:?}");
        assert!(cached.latency_ms < streamed.latency_ms);
        assert!(cached.bandwidth_share < streamed.bandwidth_share);
        // fp32: 97.5 MiB, more than half the L3: from memory on every call, as without a cache.
        let (mb, fp32) = predict(&stream, Precision::Fp32);
        assert!(mb > 112.5 * super::WEIGHTS_LLC_SHARE, "{mb}");
        let (_, fp32_uncached) = predict(&uncached, Precision::Fp32);
        assert_eq!(fp32.latency_ms, fp32_uncached.latency_ms);
        assert_eq!(fp32.bandwidth_share, fp32_uncached.bandwidth_share);
        // A matrix-vector product (a decode step's, or the classifier at batch 1) keeps streaming its weights.
        let (mut r, _) =
            Placement { device: &stream, runtime: &rt, threads: 1 }.rates(Precision::Int8);
        let gemv = Op::gemm(1.0, 1.0, 1000.0, 2048.0, 2048.0 * 1000.0);
        assert!(r.is_gemv(&gemv));
        let p = Placement { device: &stream, runtime: &rt, threads: 1 };
        let streamed_us = p.op(&r, &gemv).memory_us;
        r.weights_in_cache = true;
        assert_eq!(p.op(&r, &gemv).memory_us, streamed_us);
        let gemm = Op::gemm(1.0, 49.0, 512.0, 2048.0, 2048.0 * 512.0);
        let cached_bus_us = p.op(&r, &gemm).bus_us;
        r.weights_in_cache = false;
        assert!(cached_bus_us < p.op(&r, &gemm).bus_us);
        // A GPU's L2 keeps its own rule: the weights come from memory whatever their size, even int8
        // MobileNet-v2's 3.3 MiB in under a tenth of the A100's 40 MB.
        let gpu = hardware::find("cuda:a100-80gb").unwrap();
        let trt = RuntimeProfile::find("tensorrt").unwrap();
        let m = resolve(&ModelSpec::named("mobilenet-v2").with_precision(Precision::Int8), "m")
            .unwrap();
        assert!(m.params < gpu.llc_mb * MB * super::WEIGHTS_LLC_SHARE);
        let (r, _) =
            Placement { device: &gpu, runtime: &trt, threads: gpu.compute_units }.model_rates(&m);
        assert!(!r.weights_in_cache);
    }

    #[test]
    fn a_cpu_kernel_whose_data_fit_its_cores_l2_moves_its_activations_there() {
        // The 8380's 1.25 MB of L2 per core, read at 52 B/cycle at 2.3 GHz.
        let xeon = hardware::find("openvino:xeon-8380-2s").unwrap();
        assert_eq!(xeon.l2_mb, 1.25);
        assert!((xeon.l2_bandwidth_gbps - 52.0 * 2.3).abs() < 1e-9);
        let ov = RuntimeProfile::find("openvino").unwrap();
        let pointwise = |m: f64, n: f64, k: f64| Op {
            window: 1.0,
            convolution: true,
            ..Op::gemm(1.0, m, n, k, n * k)
        };
        // 28×28 from 32 to 192 channels: 784 × 224 activations and 6,144 weights, 0.73 MB in FP32.
        let fits = pointwise(784.0, 192.0, 32.0);
        // 56×56 from 64 to 128: 3,136 × 192 activations, 2.4 MB: past one core's L2, within four cores'.
        let four_hold = pointwise(3136.0, 128.0, 64.0);
        for (threads, held, spilled) in
            [(1, fits, four_hold), (4, four_hold, pointwise(12544.0, 96.0, 16.0))]
        {
            let share = xeon.cores_share(threads);
            let unknown = hardware::DeviceProfile { l2_mb: 0.0, ..share.clone() };
            let p = Placement { device: &share, runtime: &ov, threads };
            let q = Placement { device: &unknown, runtime: &ov, threads };
            let ((r, _), (r0, _)) = (p.rates(Precision::Fp32), q.rates(Precision::Fp32));
            assert!(r.in_l2(&held) && !r.in_l2(&spilled) && !r0.in_l2(&held));
            // Held: its activations at the threads' L2 rate, its weights from memory as before; only the
            // weights cross the memory bus.
            let (t, t0) = (p.op(&r, &held), q.op(&r0, &held));
            let l2_rate = xeon.l2_bandwidth_gbps * 1e9 * f64::from(threads);
            let expected = held.act_elems * 4.0 / l2_rate + held.weight_elems * 4.0 / r.bandwidth;
            assert!((t.memory_us - expected * 1e6).abs() < 1e-9 * t.memory_us);
            assert!(t.memory_us < t0.memory_us / 4.0);
            assert!((t.bus_us - held.weight_elems * 4.0 / r.bus_bandwidth * 1e6).abs() < 1e-9);
            // Spilled: as with no L2 known.
            assert_eq!(p.op(&r, &spilled).memory_us, q.op(&r0, &spilled).memory_us);
        }
        // A GPU or a CPU profile without the L2 has no such rule.
        assert_eq!(hardware::find("cuda:a100-80gb").unwrap().l2_mb, 0.0);
        assert_eq!(hardware::find("cpu:server-32c").unwrap().l2_mb, 0.0);
    }

    #[test]
    fn a_runtime_that_packs_weights_per_call_reads_its_activations_from_the_l2_too() {
        let core = hardware::find("openvino:xeon-8380-2s").unwrap().cores_share(1);
        let unknown = hardware::DeviceProfile { l2_mb: 0.0, ..core.clone() };
        let pt = RuntimeProfile::find("pytorch").unwrap();
        assert!(pt.packs_weights_per_call);
        let p = Placement { device: &core, runtime: &pt, threads: 1 };
        let q = Placement { device: &unknown, runtime: &pt, threads: 1 };
        let ((r, _), (r0, _)) = (p.rates(Precision::Fp32), q.rates(Precision::Fp32));
        // A matrix product of 256 rows, 256 by 256 (no convolution: no layout copies): 131,072 activation
        // elements and 65,536 weights, 0.75 MB in FP32, in one core's 1.25 MB.
        let op = Op::gemm(1.0, 256.0, 256.0, 256.0, 65536.0);
        assert!(!r.is_gemv(&op) && r.in_l2(&op));
        let (t, t0) = (p.op(&r, &op), q.op(&r0, &op));
        // Both pack the weights; with the L2 the activations leave the memory bus, the packing's bytes stay.
        let activations_us = op.act_elems * 4.0 / r.bus_bandwidth * 1e6;
        assert!((t0.bus_us - t.bus_us - activations_us).abs() < 1e-9 * t0.bus_us);
        assert!(t.bus_us > 0.0);
        assert!(t.memory_us < t0.memory_us);
    }

    #[test]
    fn fused_attention_runs_at_its_share_of_the_tile_rate_on_accelerators_and_as_a_gemm_on_cpus() {
        let rt = RuntimeProfile::find("tensorrt").unwrap();
        assert!(rt.fused_attention);
        assert_eq!(rt.attention_share, crate::catalog::runtime::ACCELERATOR_ATTENTION_SHARE);
        assert!(rt.attention_share < 1.0);
        let attention = Op::attention(12.0, 384.0, 384.0, 64.0);
        // The same arithmetic as a GEMM whose tiles are the fused kernel's: blocks of queries, one head each,
        // every block as wide as the head (the kernel loops over the keys).
        let as_gemm = Op { class: OpClass::Gemm, n: attention.k, ..attention };
        // Compute time of `op` on `device` with `runtime`, µs.
        let compute = |device: &hardware::DeviceProfile, runtime: &RuntimeProfile, op: &Op| {
            let p = Placement { device, runtime, threads: device.compute_units };
            let (r, _) = p.rates(Precision::Fp16);
            p.gemm(&r, op).0 * 1e6
        };
        for (id, runtime) in [("cuda:a100-40gb", "tensorrt"), ("rocm:mi250", "pytorch")] {
            let device = hardware::find(id).unwrap();
            let rt = RuntimeProfile::find(runtime).unwrap();
            let ratio = compute(&device, &rt, &attention) / compute(&device, &rt, &as_gemm);
            assert!((ratio - 1.0 / rt.attention_share).abs() < 1e-9, "{id}: {ratio}");
        }
        let whole = RuntimeProfile { attention_share: 1.0, ..rt.clone() };
        let gpu = hardware::find("cuda:a100-40gb").unwrap();
        assert_eq!(compute(&gpu, &whole, &attention), compute(&gpu, &whole, &as_gemm));
        // The keys make no blocks of their own: 8 and 16 heads of 384 queries (24 and 48 blocks of 128) both
        // fit in one wave of the A100's 108 SMs and take the same time, where tiles over the keys too (72 and
        // 144) would take one wave and two; 48 heads (144 blocks) take two.
        let heads = |h: f64| compute(&gpu, &rt, &Op::attention(h, 384.0, 384.0, 64.0));
        assert_eq!(heads(8.0), heads(16.0));
        assert!(heads(48.0) > 1.5 * heads(16.0));
        let over_keys = |h: f64| {
            let op = Op { class: OpClass::Gemm, ..Op::attention(h, 384.0, 384.0, 64.0) };
            compute(&gpu, &rt, &op)
        };
        assert!(over_keys(16.0) > 1.5 * over_keys(8.0));
        // CPUs run attention as their GEMMs.
        let ort = RuntimeProfile::find("onnxruntime").unwrap();
        let cpu = hardware::find("cpu").unwrap();
        assert_eq!(compute(&cpu, &ort, &attention), compute(&cpu, &ort, &as_gemm));
    }

    #[test]
    fn an_npu_runs_norms_and_softmax_on_its_vector_dsps_and_attention_as_two_products_around_a_softmax(
    ) {
        let npu = hardware::find("qnn:x-elite-npu").unwrap();
        assert!(npu.vector_unit_share > 0.0 && npu.vector_unit_share < 0.01);
        let qnn = RuntimeProfile::find("qnn").unwrap();
        assert!(qnn.fused_attention);
        // The same NPU as if its vector work ran at the MAC array's rate.
        let flat = hardware::DeviceProfile { vector_unit_share: 0.0, ..npu.clone() };
        let norm = Op::norm(384.0 * 768.0);
        let bias = Op::epilogue(384.0 * 768.0);
        let attention = Op::attention(12.0, 384.0, 384.0, 64.0);
        let at = |device: &hardware::DeviceProfile| {
            let p = Placement { device, runtime: &qnn, threads: 1 };
            let (r, _) = p.rates(Precision::Fp16);
            let kernels = p.phase(&r, &[attention]).kernels;
            (p.vector_work(&r, &norm), p.vector_work(&r, &bias), kernels, r)
        };
        let (dsp_norm, dsp_bias, dsp_kernels, r) = at(&npu);
        let (flat_norm, flat_bias, flat_kernels, _) = at(&flat);
        // Norms at the DSPs' rate, a share of the int8 peak whatever the model's precision.
        let rate = npu.peak_for(Precision::Int8).0 * 1e12 * npu.vector_unit_share;
        assert_eq!(r.norm_flops, rate);
        assert_eq!(dsp_norm, norm.flops / rate);
        assert!(dsp_norm > 10.0 * flat_norm, "{dsp_norm} against {flat_norm}");
        // What the MAC array's fixed-function block computes keeps the array's rate.
        assert_eq!(dsp_bias, flat_bias);
        // Attention: its two products, the scale and the softmax as kernels of their own on the NPU; one
        // fused kernel without DSPs apart.
        assert_eq!((dsp_kernels, flat_kernels), (4.0, 1.0));
        // Unfused attention's softmax is a norm: at the DSPs' rate too.
        let softmax = Placement::unfused_attention(&attention)[2];
        assert!(softmax.softmax && softmax.class == OpClass::Norm);
        let on_npu = Placement { device: &npu, runtime: &qnn, threads: 1 };
        assert_eq!(on_npu.vector_work(&r, &softmax), softmax.flops / rate);
        // Faster DSPs, shorter norms.
        let faster = hardware::DeviceProfile {
            vector_unit_share: 2.0 * npu.vector_unit_share,
            ..npu.clone()
        };
        assert!(at(&faster).0 < dsp_norm);
        // Every catalog NPU has DSPs apart, no other device does.
        for d in hardware::all() {
            let npu = d.id.ends_with(":npu") || d.id.contains("-npu");
            assert_eq!(d.vector_dsp_share() > 0.0, npu, "{}", d.id);
        }
        // A CPU or GPU profile given a share has no DSPs apart all the same: norms and attention as before.
        let ort = RuntimeProfile::find("onnxruntime").unwrap();
        for id in ["cpu", "cuda:a100-40gb"] {
            let d =
                hardware::DeviceProfile { vector_unit_share: 0.5, ..hardware::find(id).unwrap() };
            assert_eq!(d.vector_dsp_share(), 0.0, "{id}");
            assert!(d.fuses_attention(&ort), "{id}");
        }
    }

    #[test]
    fn an_npu_runs_gelu_as_a_kernel_of_its_own_on_its_dsps_and_the_relu_family_and_sigmoids_in_its_array(
    ) {
        let ov = RuntimeProfile::find("openvino").unwrap();
        assert!(ov.fuses_epilogues);
        let elems = 128.0 * 3072.0;
        let with = |activation| Op { activation, ..Op::epilogue(2.0 * elems) };
        let (gelu, relu, silu) =
            (with(Activation::Gelu), with(Activation::None), with(Activation::Sigmoid));
        let kernels = |device: &hardware::DeviceProfile, op: &Op| {
            let p = Placement { device, runtime: &ov, threads: device.compute_units };
            let (r, _) = p.rates(Precision::Int8);
            (p.phase(&r, &[*op]).kernels, p.vector_work(&r, op), r.norm_flops)
        };
        let npu = hardware::find("openvino:npu").unwrap();
        assert!(npu.activation_on_dsps(Activation::Gelu));
        // The GELU: one kernel, its elements at DSP_GELU_OPS_PER_ELEM operations each at the DSPs' rate.
        let (n, work, dsp_rate) = kernels(&npu, &gelu);
        assert_eq!(n, 1.0);
        assert_eq!(work, elems * DSP_GELU_OPS_PER_ELEM / dsp_rate);
        // Slower DSPs, a slower GELU.
        let slower = hardware::DeviceProfile {
            vector_unit_share: npu.vector_unit_share / 2.0,
            ..npu.clone()
        };
        assert!((kernels(&slower, &gelu).1 / work - 2.0).abs() < 1e-9);
        // ReLU and sigmoid-gated activations stay fused into their producer there.
        assert_eq!(kernels(&npu, &relu).0, 0.0);
        assert_eq!(kernels(&npu, &silu).0, 0.0);
        // No other device takes a GELU off its producer: a GPU and a CPU fuse it as before.
        for id in ["cuda:a100-40gb", "openvino:xeon-8490h-2s"] {
            let d = hardware::find(id).unwrap();
            assert!(!d.activation_on_dsps(Activation::Gelu), "{id}");
            assert_eq!(kernels(&d, &gelu).0, 0.0, "{id}");
        }
        // A whole BERT on the NPU: one element-wise kernel per layer, its GELU (biases and residual adds stay
        // fused); and slower and with more kernels than the same NPU without DSPs apart (which also fuses its
        // attention).
        let bert = resolve(&ModelSpec::named("bert-base-uncased"), "m").unwrap();
        let p = Placement { device: &npu, runtime: &ov, threads: 1 };
        let elementwise: f64 = p
            .breakdown(&bert, &bert.arch.work(&bert.input))
            .iter()
            .filter(|o| o.kind == super::OperatorKind::Elementwise)
            .map(|o| o.kernels)
            .sum();
        assert_eq!(elementwise, 12.0);
        let array = hardware::DeviceProfile { vector_unit_share: 0.0, ..npu.clone() };
        let on = |device: &hardware::DeviceProfile| {
            Placement { device, runtime: &ov, threads: 1 }.predict(&bert)
        };
        let (dsps, flat) = (on(&npu), on(&array));
        assert!(dsps.latency_ms > flat.latency_ms);
        assert!(dsps.kernels >= flat.kernels + 12.0, "{} against {}", dsps.kernels, flat.kernels);
    }

    #[test]
    fn a_power_limited_gpu_computes_a_heavy_load_below_its_boost_clock_and_a_light_one_at_it() {
        let l4 = hardware::find("cuda:l4").unwrap();
        assert!(l4.full_load_w > l4.tdp_w);
        let at_boost = hardware::DeviceProfile { full_load_w: 0.0, ..l4.clone() };
        let trt = RuntimeProfile::find("tensorrt").unwrap();
        let run = |device: &hardware::DeviceProfile, batch: u32| {
            let spec = ModelSpec::named("bert-base-uncased")
                .with_batch(batch)
                .with_precision(Precision::Int8);
            let model = resolve(&spec, "m").unwrap();
            let p = Placement { device, runtime: &trt, threads: 1 };
            let parts: f64 =
                p.breakdown(&model, &model.arch.work(&model.input)).iter().map(|o| o.ms).sum();
            (p.predict(&model), parts)
        };
        // BERT-base at batch 128 keeps the tensor cores busy: at the boost clock it would draw more than the
        // L4's 72 W, so it computes at the clock whose power fits, and takes longer by about its inverse.
        let ((limited, parts), (free, _)) = (run(&l4, 128), run(&at_boost, 128));
        let c = l4.power_limited_clock(free.compute_share * free.latency_ms, free.latency_ms);
        assert!(c < 0.9, "{c}");
        assert!(limited.latency_ms > free.latency_ms * 1.1);
        assert!(limited.latency_ms <= free.latency_ms / c * 1.000_001);
        assert!((parts - limited.latency_ms).abs() < 1e-9 * limited.latency_ms);
        // Its power at that clock: idle plus the dynamic share, scaled by the cube of the clock, is the TDP.
        let share = limited.compute_share;
        let clock = free.compute_share * free.latency_ms / (share * limited.latency_ms);
        let power = l4.idle_w + (l4.full_load_w - l4.idle_w) * share * clock.powi(3);
        assert!(power <= l4.tdp_w * 1.05 && power > l4.tdp_w * 0.8, "{power} W at {clock}");
        // At batch 1 the units wait on launches most of the time: the load fits at the boost clock.
        let ((light, _), (light_free, _)) = (run(&l4, 1), run(&at_boost, 1));
        assert_eq!(light.latency_ms, light_free.latency_ms);
        // A GPU that holds its boost clock under a full load is never slowed.
        let a100 = hardware::find("cuda:a100-80gb").unwrap();
        assert_eq!(a100.full_load_w, 0.0);
        assert_eq!(a100.power_limited_clock(1.0, 1.0), 1.0);
    }

    #[test]
    fn the_rtx_pro_6000_max_q_is_the_rtx_5090s_die_held_to_300_watts() {
        let maxq = hardware::find("cuda:pro6000maxq").unwrap();
        assert_eq!(maxq, hardware::find("cuda:rtx-pro-6000-maxq").unwrap());
        let rtx5090 = hardware::find("cuda:rtx5090").unwrap();
        // A professional card accumulates FP16 products in FP32 at the full tensor rate, four times its FP32
        // rate; the GeForce card at half that.
        assert!((maxq.peak_tflops.fp16 / maxq.peak_tflops.fp32 - 4.0).abs() < 0.01);
        assert!((rtx5090.peak_tflops.fp16 / rtx5090.peak_tflops.fp32 - 2.0).abs() < 0.01);
        assert_eq!(maxq.memory_bandwidth_gbps, rtx5090.memory_bandwidth_gbps);
        // Busy all the time at its boost clock it would draw more than its 300 W; the RTX 5090 is the
        // reference and is not limited.
        assert!(maxq.full_load_w > 2.0 * maxq.tdp_w, "{}", maxq.full_load_w);
        assert!(maxq.power_limited_clock(1.0, 1.0) < 0.8);
        assert_eq!(rtx5090.full_load_w, 0.0);
        let autocast = RuntimeProfile::find("pytorch-autocast").unwrap();
        let throughput = |device: &hardware::DeviceProfile, name: &str| {
            let spec = ModelSpec::named(name).with_batch(2048).with_precision(Precision::Fp16);
            let model = resolve(&spec, "m").unwrap();
            Placement { device, runtime: &autocast, threads: 1 }.predict(&model).throughput
        };
        // ViT-B/16 keeps the tensor cores busy: the power limit slows it, so it gains less over the RTX 5090
        // than the peaks' ratio (2.1x); timm's files have it 7 % faster (4,190 against 3,916 images/s).
        let vit = throughput(&maxq, "vit-base-patch16-224");
        let unlimited = hardware::DeviceProfile { full_load_w: 0.0, ..maxq.clone() };
        assert!(vit < throughput(&unlimited, "vit-base-patch16-224") * 0.9);
        let gain = vit / throughput(&rtx5090, "vit-base-patch16-224");
        assert!(
            gain > 1.0 && gain < 0.8 * maxq.peak_tflops.fp16 / rtx5090.peak_tflops.fp16,
            "{gain}"
        );
        // MobileNet-v2 waits on memory, which both cards have alike: within 10 % of each other.
        let mnv2 = throughput(&maxq, "mobilenet-v2") / throughput(&rtx5090, "mobilenet-v2");
        assert!((mnv2 - 1.0).abs() < 0.1, "{mnv2}");
    }
    #[test]
    fn on_a_gpu_every_kernel_whose_tensors_fit_in_the_l2_reads_them_there_and_its_weights_from_memory(
    ) {
        let gpu = hardware::find("cuda:a100-40gb").unwrap();
        assert_eq!(gpu.llc_mb, 40.0);
        let sms = f64::from(gpu.compute_units);
        let l2_rate = gpu.llc_bandwidth_gbps * 1e9 * sms;
        assert!(l2_rate > gpu.achievable_bandwidth());
        let no_l2 = hardware::DeviceProfile { llc_mb: 0.0, llc_bandwidth_gbps: 0.0, ..gpu.clone() };
        let torch = RuntimeProfile::find("pytorch").unwrap();
        let memory = |device: &hardware::DeviceProfile, op: &Op| {
            let p = Placement { device, runtime: &torch, threads: 1 };
            let (r, _) = p.rates(Precision::Fp16);
            p.op(&r, op).memory_us
        };
        // A 512 x 768 x 768 fp16 GEMM: 1.2 MB of activations in the L2, 1.2 MB of weights from DRAM.
        let gemm = Op::gemm(1.0, 512.0, 768.0, 768.0, 768.0 * 768.0);
        let (act, weights) = (gemm.act_elems * 2.0, gemm.weight_elems * 2.0);
        let expected = (act / l2_rate + weights / gpu.achievable_bandwidth()) * 1e6;
        assert!((memory(&gpu, &gemm) - expected).abs() < 1e-9);
        assert!(memory(&gpu, &gemm) < memory(&no_l2, &gemm));
        // A GEMM whose weights fill the L2 (4,096 x 5,120 fp16: 40 MiB) streams everything from DRAM.
        let wide = Op::gemm(1.0, 16.0, 5120.0, 4096.0, 4096.0 * 5120.0);
        assert_eq!(memory(&gpu, &wide), memory(&no_l2, &wide));
        // Element-wise kernels too; one whose tensors exceed the 40 MB streams from DRAM as without an L2.
        let small = Op::epilogue(16.0 * MB / 2.0);
        assert!(memory(&gpu, &small) < memory(&no_l2, &small));
        let large = Op::epilogue(64.0 * MB / 2.0);
        assert_eq!(memory(&gpu, &large), memory(&no_l2, &large));
        // Browser and Apple GPUs have no L2 in the catalog: every kernel streams from memory.
        assert_eq!(hardware::find("mps:m2").unwrap().llc_mb, 0.0);
        assert_eq!(hardware::find("webgpu:discrete").unwrap().llc_mb, 0.0);
        // Nor does another accelerator given the A100's L2: the rule is CUDA's and ROCm's.
        let webgpu =
            hardware::DeviceProfile { platform: hardware::Platform::Webgpu, ..gpu.clone() };
        let webgpu_no_l2 = hardware::DeviceProfile { llc_mb: 0.0, ..webgpu.clone() };
        assert_eq!(memory(&webgpu, &gemm), memory(&webgpu_no_l2, &gemm));
        // A profile whose bandwidth outgrows its L2's rate reads cached tensors no slower than memory.
        let fast = hardware::DeviceProfile { memory_bandwidth_gbps: 1e6, ..gpu.clone() };
        let fast_no_l2 = hardware::DeviceProfile { llc_mb: 0.0, ..fast.clone() };
        assert!(memory(&fast, &gemm) <= memory(&fast_no_l2, &gemm));
        // What a model takes of the DRAM bus leaves out what its kernels read from the L2.
        let bert = resolve(&ModelSpec::named("bert-base-uncased"), "m").unwrap();
        let share = |device: &hardware::DeviceProfile| {
            Placement { device, runtime: &torch, threads: 1 }.predict(&bert).bandwidth_share
        };
        assert!(share(&gpu) < share(&no_l2));
    }

    #[test]
    fn pytorch_on_a_kept_heap_differs_from_glibcs_defaults_in_pages_and_depthwise_only() {
        let glibc = RuntimeProfile::find("pytorch").unwrap();
        let kept = RuntimeProfile::find("pytorch-kept-heap").unwrap();
        assert_eq!(glibc.fresh_pages_above_mib, 32.0);
        assert_eq!(kept.fresh_pages_above_mib, 0.0);
        // Depthwise reorders no longer fault: a larger share of one core's bandwidth.
        assert!(kept.depthwise_bandwidth_efficiency > glibc.depthwise_bandwidth_efficiency);
        let same = RuntimeProfile {
            name: glibc.name.clone(),
            fresh_pages_above_mib: glibc.fresh_pages_above_mib,
            depthwise_bandwidth_efficiency: glibc.depthwise_bandwidth_efficiency,
            platforms: glibc.platforms.clone(),
            source: glibc.source.clone(),
            ..kept.clone()
        };
        assert_eq!(same, glibc);
        assert_eq!(kept.platforms, [crate::catalog::hardware::Platform::Cpu]);
        // On a CPU a batch-8 MobileNet-v2 is faster with the heap kept, on one thread and on two.
        let mut device = hardware::find("cpu").unwrap();
        device.page_fault_us = 1.5;
        for threads in [1, 2] {
            let time = |runtime: &RuntimeProfile| {
                let mut spec = ModelSpec::named("mobilenet-v2");
                spec.batch_size = 8;
                let model = resolve(&spec, "m").unwrap();
                Placement { device: &device, runtime, threads }.predict(&model).latency_ms
            };
            assert!(time(&kept) < time(&glibc), "{threads} threads");
        }
    }

    #[test]
    fn pytorch_convolutions_copy_their_activations_into_the_blocked_layout_and_back() {
        let mut device = hardware::find("cpu").unwrap();
        device.page_fault_us = 1.5;
        let copying = RuntimeProfile::find("pytorch").unwrap();
        assert!(copying.cpu_conv_layout_copies);
        let plain = RuntimeProfile { cpu_conv_layout_copies: false, ..copying.clone() };
        // A convolution `window` wide over `mib` MiB of activations in and out (half of them its output).
        let conv = |window: f64, mib: f64| {
            let elems = mib * MB / 4.0;
            let mut op = Op::gemm(1.0, 4096.0, 256.0, 256.0 * window, 256.0 * 256.0 * window);
            op.window = window;
            op.act_elems = elems;
            op.out_elems = elems / 2.0;
            op
        };
        // The extra time of the copies, µs, and what they should cost: the activations read and written once
        // more at the placement's bandwidth, two more parallel regions beyond one thread, and fresh pages for
        // copies above the 32 MiB threshold.
        let extra = |op: &Op, threads: u32| {
            let wall = |runtime| {
                let p = Placement { device: &device, runtime, threads };
                let (r, _) = p.rates(Precision::Fp32);
                p.op(&r, op).wall_us
            };
            wall(&copying) - wall(&plain)
        };
        let want = |op: &Op, threads: u32, pages: f64| {
            let p = Placement { device: &device, runtime: &copying, threads };
            let (r, _) = p.rates(Precision::Fp32);
            let regions = if threads > 1 { 2.0 * r.launch_s } else { 0.0 };
            (2.0 * op.act_elems * 4.0 / r.bandwidth + regions) * 1e6 + pages * 1.5 / p.busy_cores()
        };
        for threads in [1, 2] {
            let small = conv(9.0, 8.0);
            let got = extra(&small, threads);
            assert!((got - want(&small, threads, 0.0)).abs() < 1e-6, "{threads}: {got}");
            // 80 MiB: a 40 MiB input copy and a 40 MiB output (twice: the blocked one and the plain one), each
            // 10,240 fresh pages.
            let large = conv(9.0, 80.0);
            let got = extra(&large, threads);
            assert!((got - want(&large, threads, 20_480.0)).abs() < 1e-6, "{threads}: {got}");
        }
        // A 1×1 convolution runs as a matrix product on one thread below batch 16 (no copies), as a oneDNN
        // convolution on two.
        let pointwise = conv(1.0, 8.0);
        assert_eq!(extra(&pointwise, 1), 0.0);
        assert!((extra(&pointwise, 2) - want(&pointwise, 2, 0.0)).abs() < 1e-6);
        // A linear layer is no convolution.
        assert_eq!(extra(&conv(0.0, 8.0), 2), 0.0);
    }

    #[test]
    fn pytorch_transposes_nchw_tensors_around_tensor_core_convolutions_the_output_too_before_the_a100(
    ) {
        let pytorch = RuntimeProfile::find("pytorch").unwrap();
        assert!(pytorch.gpu_conv_layout_copies);
        let tensorrt = RuntimeProfile::find("tensorrt").unwrap();
        assert!(!tensorrt.gpu_conv_layout_copies);
        // ResNet-50 as PyTorch holds it by default (NCHW) and channels-last.
        let model = |precision, format: Option<MemoryFormat>| {
            let mut spec = ModelSpec::named("resnet-50").with_batch(256).with_precision(precision);
            spec.memory_format = format;
            resolve(&spec, "m").unwrap()
        };
        let nchw = model(Precision::Fp16, None);
        let nhwc = model(Precision::Fp16, Some(MemoryFormat::ChannelsLast));
        assert!(!nchw.channels_last() && nhwc.channels_last());
        assert!(!model(Precision::Fp16, Some(MemoryFormat::Contiguous)).channels_last());
        // A 3×3 convolution reading 512 MiB of fp16 activations and writing 256 (above every L2), and a linear
        // layer of the same size.
        let conv = {
            let (input, output) = (256.0 * MB, 128.0 * MB);
            let mut op = Op::gemm(1.0, 1e6, 128.0, 9.0 * 256.0, 2.0 * 1e6 * 128.0 * 9.0 * 256.0)
                .with_window(9.0);
            op.act_elems = input + output;
            op.out_elems = output;
            op
        };
        let linear = Op { convolution: false, window: 0.0, ..conv };
        // The time the transposes add to `op`, µs, and the rates the model's kernels run at.
        let extra = |device: &str, runtime: &RuntimeProfile, m, op: &Op| {
            let device = hardware::find(device).unwrap();
            let p = Placement { device: &device, runtime, threads: 1 };
            let (r, _) = p.model_rates(m);
            let plain = Rates { channels_last: true, ..r };
            (p.op(&r, op).wall_us - p.op(&plain, op).wall_us, r)
        };
        // The kernels `op` is on `device` (the convolution and its transposes), and their host time, µs.
        let kernels = |device: &str, m, op: &Op| {
            let device = hardware::find(device).unwrap();
            let p = Placement { device: &device, runtime: &pytorch, threads: 1 };
            let (r, _) = p.model_rates(m);
            let t = p.op(&r, op);
            (t.kernels, t.host_us)
        };
        // From the A100 on the input is transposed alone: read and written once more, one more kernel.
        for gpu in ["cuda:a100-40gb", "cuda:rtx3090", "cuda:rtx4090", "cuda:h100-sxm"] {
            let (got, r) = extra(gpu, &pytorch, &nchw, &conv);
            let want = (2.0 * 256.0 * MB * 2.0 / r.bandwidth + r.launch_s) * 1e6;
            assert!((got - want).abs() < 1e-6 * want, "{gpu}: {got} vs {want}");
            assert_eq!(kernels(gpu, &nchw, &conv).0, 2.0, "{gpu}");
        }
        // On the V100 (and the T4) the output comes back from NHWC as well: two kernels.
        for gpu in ["cuda:v100", "cuda:t4"] {
            let (got, r) = extra(gpu, &pytorch, &nchw, &conv);
            let want = (2.0 * 384.0 * MB * 2.0 / r.bandwidth + 2.0 * r.launch_s) * 1e6;
            assert!((got - want).abs() < 1e-6 * want, "{gpu}: {got} vs {want}");
            assert_eq!(kernels(gpu, &nchw, &conv).0, 3.0, "{gpu}");
            // cuDNN launches them within the convolution's call: the host's time is the call's alone.
            assert_eq!(kernels(gpu, &nchw, &conv).1, kernels(gpu, &nhwc, &conv).1, "{gpu}");
            assert_eq!(kernels(gpu, &nhwc, &conv).0, 1.0, "{gpu}");
        }
        // Nothing for a convolution stem costed over its unfolded input (window 0: Whisper's, wav2vec 2.0's),
        // a depthwise convolution, on a ROCm GPU, or for int8 on the V100 (DP4A on the CUDA cores); int8 on
        // the T4's tensor cores is transposed.
        let stem = Op { window: 0.0, ..conv };
        assert_eq!(extra("cuda:a100-40gb", &pytorch, &nchw, &stem).0, 0.0);
        let depthwise = Op { class: OpClass::Depthwise, ..conv };
        assert_eq!(extra("cuda:a100-40gb", &pytorch, &nchw, &depthwise).0, 0.0);
        assert_eq!(extra("rocm:mi250", &pytorch, &nchw, &conv).0, 0.0);
        let int8 = model(Precision::Int8, None);
        assert_eq!(extra("cuda:v100", &pytorch, &int8, &conv).0, 0.0);
        assert!(extra("cuda:t4", &pytorch, &int8, &conv).0 > 0.0);
        // Every catalog CUDA GPU says its compute capability (0 would take it as Ampere or later).
        for d in hardware::all().iter().filter(|d| d.platform == hardware::Platform::Cuda) {
            assert!(d.cuda_compute_capability >= 70, "{}", d.id);
        }
        // Nothing where the model is channels-last, the layer is no convolution, the runtime picks its own
        // layouts, or the convolution runs on the CUDA cores (fp32 on the V100, no TF32 there).
        assert_eq!(extra("cuda:a100-40gb", &pytorch, &nhwc, &conv).0, 0.0);
        assert_eq!(extra("cuda:a100-40gb", &pytorch, &nchw, &linear).0, 0.0);
        assert_eq!(extra("cuda:a100-40gb", &tensorrt, &nchw, &conv).0, 0.0);
        let fp32 = model(Precision::Fp32, None);
        assert_eq!(extra("cuda:v100", &pytorch, &fp32, &conv).0, 0.0);
        // On the A100 fp32 convolutions run as TF32 on the tensor cores: transposed.
        assert!(extra("cuda:a100-40gb", &pytorch, &fp32, &conv).0 > 0.0);
        // The whole model: slower in NCHW on a CUDA GPU, the same on Apple's (MPS, not cuDNN).
        let latency = |device: &str, m| {
            let device = hardware::find(device).unwrap();
            Placement { device: &device, runtime: &pytorch, threads: 1 }.predict(m).latency_ms
        };
        assert!(latency("cuda:a100-40gb", &nchw) > latency("cuda:a100-40gb", &nhwc));
        assert_eq!(latency("mps:m2", &nchw), latency("mps:m2", &nhwc));
    }

    /// Compute time of the GEMM `op` at `precision` with `runtime` on `device`, s.
    fn gemm_time(
        device: &hardware::DeviceProfile,
        runtime: &RuntimeProfile,
        precision: Precision,
        op: &Op,
    ) -> f64 {
        let p = Placement { device, runtime, threads: 1 };
        let (r, _) = p.rates(precision);
        p.gemm(&r, op).0
    }

    #[test]
    fn fp32_on_cuda_cores_runs_at_the_tile_gain_and_3x3_stride_1_convolutions_as_winograd() {
        let v100 = hardware::find("cuda:v100").unwrap();
        assert_eq!(v100.fp32_tile_gain, hardware::GPU_FP32_TILE_GAIN);
        let flat = hardware::DeviceProfile { fp32_tile_gain: 1.0, ..v100.clone() };
        let runtime = RuntimeProfile::find("pytorch").unwrap();
        let compute = |device: &hardware::DeviceProfile, precision: Precision, op: &Op| {
            gemm_time(device, &runtime, precision, op)
        };
        // A 3×3 convolution of 64 channels over 56×56 at batch 32, at `stride`.
        let conv = |stride: f64| {
            let (items, out_px, cin, cout) = (32.0, 56.0 * 56.0, 64.0, 64.0);
            let mut op =
                Op::gemm(1.0, items * out_px, cout, 9.0 * cin, 9.0 * cin * cout).with_window(9.0);
            op.act_elems = items * (out_px * stride * stride * cin + out_px * cout);
            op
        };
        let (one, two) = (conv(1.0), conv(2.0));
        assert_eq!((one.input_per_output(), two.input_per_output()), (1.0, 4.0));
        let product = Op::linear(8192.0, 4096.0, 4096.0);
        // FP32: every tile at the gain; the stride-1 convolution also with 2.25 times fewer multiplies.
        let gain =
            compute(&flat, Precision::Fp32, &product) / compute(&v100, Precision::Fp32, &product);
        assert!((gain - hardware::GPU_FP32_TILE_GAIN).abs() < 1e-9, "{gain}");
        let strided = compute(&flat, Precision::Fp32, &two) / compute(&v100, Precision::Fp32, &two);
        assert!((strided - hardware::GPU_FP32_TILE_GAIN).abs() < 1e-9, "{strided}");
        let winograd =
            compute(&v100, Precision::Fp32, &two) / compute(&v100, Precision::Fp32, &one);
        assert!((winograd - WINOGRAD_F2X2_3X3).abs() < 1e-9, "{winograd}");
        // FP16 runs on the tensor cores: neither.
        assert_eq!(
            compute(&flat, Precision::Fp16, &product),
            compute(&v100, Precision::Fp16, &product)
        );
        assert_eq!(compute(&v100, Precision::Fp16, &one), compute(&v100, Precision::Fp16, &two));
        // A CPU has no gain and no Winograd.
        let cpu = hardware::find("cpu").unwrap();
        assert_eq!(cpu.fp32_tile_gain, 1.0);
        assert_eq!(compute(&cpu, Precision::Fp32, &one), compute(&cpu, Precision::Fp32, &two));
    }

    #[test]
    fn int8_products_on_a_gpu_run_at_the_int8_tile_gain() {
        let l4 = hardware::find("cuda:l4").unwrap();
        assert_eq!(l4.int8_tile_gain, hardware::GPU_INT8_TILE_GAIN);
        let flat = hardware::DeviceProfile { int8_tile_gain: 1.0, ..l4.clone() };
        let runtime = RuntimeProfile::find("tensorrt").unwrap();
        let compute = |device: &hardware::DeviceProfile, precision: Precision, op: &Op| {
            gemm_time(device, &runtime, precision, op)
        };
        let product = Op::linear(8192.0, 4096.0, 4096.0);
        // INT8: every tile at the gain, slower by its inverse.
        let slower =
            compute(&l4, Precision::Int8, &product) / compute(&flat, Precision::Int8, &product);
        assert!((slower - 1.0 / hardware::GPU_INT8_TILE_GAIN).abs() < 1e-9, "{slower}");
        // Faster than FP16 by the peaks' ratio (about 2 on the L4) times the gain.
        let speedup =
            compute(&l4, Precision::Fp16, &product) / compute(&l4, Precision::Int8, &product);
        let peaks = l4.peak_tflops.int8 / l4.peak_tflops.fp16;
        assert!((speedup - peaks * hardware::GPU_INT8_TILE_GAIN).abs() < 1e-9, "{speedup}");
        // FP16 and FP32 do not see it.
        for p in [Precision::Fp16, Precision::Fp32] {
            assert_eq!(compute(&l4, p, &product), compute(&flat, p, &product));
        }
        // An NPU's INT8 has no such gain: it keeps its own constants.
        assert_eq!(hardware::find("qnn:x-elite-npu").unwrap().int8_tile_gain, 1.0);
    }

    #[test]
    fn torch_compile_runs_each_run_of_element_wise_operators_as_one_kernel() {
        let gpu = hardware::find("cuda:rtx4090").unwrap();
        let eager = RuntimeProfile::find("pytorch").unwrap();
        let compiled = RuntimeProfile::find("torch-compile").unwrap();
        assert_eq!(compiled.name, "pytorch-compile");
        assert!(compiled.fuses_pointwise_runs && !compiled.fuses_epilogues);
        assert!(!eager.fuses_pointwise_runs);
        // TorchInductor runs convolution graphs channels-last itself: no cuDNN transposes.
        assert!(eager.gpu_conv_layout_copies && !compiled.gpu_conv_layout_copies);
        let model = |name: &str, layout: Option<MemoryFormat>| {
            let mut spec = ModelSpec::named(name);
            spec.precision = Precision::Fp16;
            spec.batch_size = 64;
            spec.memory_format = layout;
            resolve(&spec, "m").unwrap()
        };
        let predict = |runtime: &RuntimeProfile, m: &ResolvedModel| {
            Placement { device: &gpu, runtime, threads: 1 }.predict(m)
        };
        // ResNet-50 against eager PyTorch channels-last (the same convolutions): in the stem and in each of
        // its 16 blocks every element-wise operator after the first of a run joins it (the stem's ReLU; a
        // block's two ReLUs after their batch norms, and its residual add and ReLU after the last batch
        // norm), and in the 4 blocks with a projection shortcut the main path's last batch norm joins the
        // shortcut's run (both norms, the add and the ReLU in one kernel): 1 + 16 × 4 + 4 = 69 kernels fewer,
        // and each joined operator's read and write of the tensor the run hands it never reaches memory.
        let net = model("resnet-50", None);
        let channels_last = model("resnet-50", Some(MemoryFormat::ChannelsLast));
        let (c, e) = (predict(&compiled, &net), predict(&eager, &channels_last));
        assert_eq!(e.kernels - c.kernels, 69.0);
        let work = net.arch.work(&net.input);
        let joined: Vec<&Op> = work.prefill.iter().filter(|o| o.joined > 0.0).collect();
        assert_eq!(joined.iter().map(|o| o.joined).sum::<f64>(), 69.0);
        // The joined batch norms are those 4 main-path ones: each hands the add its operand inside the run
        // and writes nothing of its own, so it adds no traffic to the run (in place ReLUs write nothing
        // either; a residual add reads its other operand).
        let norms: f64 = joined
            .iter()
            .filter(|o| o.out_elems > 0.0 && o.run_extra_elems() == 0.0)
            .map(|o| o.joined)
            .sum();
        assert_eq!(norms, 4.0);
        // They stay merged with the identical batch norms that start runs (eager's operator list does not
        // change): an operator of 4 batch norms in the first stage, 1 of them joined.
        assert!(joined.iter().any(|o| o.out_elems > 0.0 && o.joined < o.repeat));
        let saved: f64 =
            joined.iter().map(|o| o.joined * (o.act_elems - o.run_extra_elems()) * 2.0).sum();
        assert!(((e.traffic_mb - c.traffic_mb) * MB - saved).abs() < 1e-6 * saved);
        assert!(c.latency_ms < e.latency_ms);
        // A residual add reads its shortcut inside the run; an activation or a batch norm nothing more.
        assert!(joined.iter().any(|o| o.run_extra_elems() > 0.0));
        assert!(joined.iter().all(|o| o.run_extra_elems() <= o.act_elems / 3.0 + 1e-9));
        // The memory plan of a run is its first operator's: the activation peak does not grow.
        assert!(c.memory.activations_mb <= e.memory.activations_mb);
        // BERT-base (post-norm): each of its 12 layers' two layer norms joins the residual add before it, one
        // kernel fewer each; the fused add-and-norm reads the stream and the sub-layer's output and writes
        // the normalised stream only, a read and a write of the stream saved per norm (eager: add 3, norm 2
        // tensors moved; fused: 3). Nothing else changes (no convolution).
        let bert = model("bert-base-uncased", None);
        let (bc, be) = (predict(&compiled, &bert), predict(&eager, &bert));
        assert_eq!(be.kernels - bc.kernels, 24.0);
        let stream = 64.0 * 128.0 * 768.0 * 2.0;
        assert!(((be.traffic_mb - bc.traffic_mb) * MB - 24.0 * 2.0 * stream).abs() < 1e-6 * stream);
        assert!(bc.latency_ms < be.latency_ms);
        // ViT-B/16 (pre-norm) keeps its stream beside each norm's output: one read saved per norm, 24 of them
        // over its 197 tokens.
        let vit = model("vit-base-patch16-224", None);
        let (vc, ve) = (predict(&compiled, &vit), predict(&eager, &vit));
        let vit_stream = 64.0 * 197.0 * 768.0 * 2.0;
        assert!(
            ((ve.traffic_mb - vc.traffic_mb) * MB - 24.0 * vit_stream).abs() < 1e-6 * vit_stream
        );
        // Eager PyTorch on NCHW tensors pays cuDNN's transposes besides: compiled is faster still.
        assert!(predict(&eager, &net).latency_ms > e.latency_ms);
    }

    #[test]
    fn autocast_casts_every_weight_on_each_call_and_holds_fp32_weights() {
        let v100 = hardware::find("cuda:v100").unwrap();
        let plain = RuntimeProfile::find("pytorch").unwrap();
        let autocast = RuntimeProfile::find("pytorch-autocast").unwrap();
        assert!(autocast.casts_weights_per_call && !plain.casts_weights_per_call);
        let predict = |runtime: &RuntimeProfile, precision: Precision| {
            let mut spec = ModelSpec::named("resnet-50");
            spec.precision = precision;
            let model = resolve(&spec, "m").unwrap();
            Placement { device: &v100, runtime, threads: 1 }.predict(&model)
        };
        let (a, p) = (predict(&autocast, Precision::Fp16), predict(&plain, Precision::Fp16));
        // One cast kernel per weight tensor of a convolution or matrix product: ResNet-50's 53 convolutions
        // and its classifier.
        assert_eq!(a.kernels - p.kernels, 54.0);
        // Each reads 4 and writes 2 bytes per weight: 6 bytes for every parameter of those tensors.
        let params = 25_557_032.0;
        let cast_bytes = (a.traffic_mb - p.traffic_mb) * MB;
        assert!(cast_bytes > 5.9 * params && cast_bytes < 6.0 * params, "{cast_bytes}");
        assert!(a.latency_ms > p.latency_ms);
        // The weights stay FP32, and the FP16 copies of the cast ones live through the call: every weight but
        // the 53 batch norms' scales and shifts (53,120) and biases (the classifier's 1,000, which autocast
        // casts too: biases are not counted, under 0.01 % here).
        assert!((a.memory.weights_mb - params * 4.0 / MB).abs() < 1e-9);
        let copies = a.memory.runtime_overhead_mb - p.memory.runtime_overhead_mb * 2.0;
        assert!((copies - (params - 53_120.0 - 1_000.0) * 2.0 / MB).abs() < 1e-9, "{copies}");
        // A transformer's embedding tables and norms are not cast: BERT-base's copies are its 12 layers'
        // projections (4·768² + 2·768·3,072 each) and its pooler (768²), not its 109.5 M parameters.
        let bert = |runtime: &RuntimeProfile| {
            let mut spec = ModelSpec::named("bert-base-uncased");
            spec.precision = Precision::Fp16;
            let model = resolve(&spec, "m").unwrap();
            Placement { device: &v100, runtime, threads: 1 }.predict(&model).memory
        };
        let (ba, bp) = (bert(&autocast), bert(&plain));
        let bert_copies = ba.runtime_overhead_mb - bp.runtime_overhead_mb * 2.0;
        let layers = 12.0 * (4.0 * 768.0f64.powi(2) + 2.0 * 768.0 * 3072.0) + 768.0f64.powi(2);
        assert!((bert_copies - layers * 2.0 / MB).abs() < 1e-9, "{}", bert_copies * MB / 2.0);
        // The casts move weights, not activations: the activation peak is plain PyTorch's.
        assert_eq!(a.memory.activations_mb, p.memory.activations_mb);
        // Depthwise convolutions' weights are cast too: MobileNet-v2's 52 convolutions (17 depthwise) and
        // its classifier.
        let mobile = |runtime: &RuntimeProfile| {
            let mut spec = ModelSpec::named("mobilenet-v2");
            spec.precision = Precision::Fp16;
            let model = resolve(&spec, "m").unwrap();
            Placement { device: &v100, runtime, threads: 1 }.predict(&model).kernels
        };
        assert_eq!(mobile(&autocast) - mobile(&plain), 53.0);
        // A generation casts its weights once, in the prefill: its decode steps read the cached copies, so
        // the extra kernels do not grow with the tokens generated.
        let generated = |runtime: &RuntimeProfile, tokens: u32| {
            let mut spec = ModelSpec::named("gpt2");
            spec.precision = Precision::Fp16;
            spec.output_tokens = Some(tokens);
            let model = resolve(&spec, "m").unwrap();
            Placement { device: &v100, runtime, threads: 1 }.predict(&model).kernels
        };
        let extra = |tokens| generated(&autocast, tokens) - generated(&plain, tokens);
        assert!(extra(1) > 0.0);
        assert_eq!(extra(16), extra(1));
        // The breakdown by kind of kernel costs the steps alike: its times add up to the latency.
        let mut spec = ModelSpec::named("gpt2");
        spec.precision = Precision::Fp16;
        spec.output_tokens = Some(16);
        let model = resolve(&spec, "m").unwrap();
        let p = Placement { device: &v100, runtime: &autocast, threads: 1 };
        let parts: f64 =
            p.breakdown(&model, &model.arch.work(&model.input)).iter().map(|o| o.ms).sum();
        let latency = p.predict(&model).latency_ms;
        assert!((parts - latency).abs() < 1e-9 * latency, "{parts} vs {latency}");
        // At FP32 autocast casts nothing: the same prediction as plain PyTorch, its warnings naming the runtime
        // it was asked for.
        let (a32, p32) = (predict(&autocast, Precision::Fp32), predict(&plain, Precision::Fp32));
        assert!(
            p32.warnings.iter().any(|w| w.contains("host-bound under pytorch")),
            "{:?}",
            p32.warnings
        );
        let named = |w: &[String], from: &str| -> Vec<String> {
            w.iter().map(|w| w.replace(from, "RUNTIME")).collect()
        };
        assert_eq!(
            named(&a32.warnings, "under pytorch-autocast"),
            named(&p32.warnings, "under pytorch")
        );
        assert_eq!(
            SinglePrediction { warnings: Vec::new(), ..a32 },
            SinglePrediction { warnings: Vec::new(), ..p32 }
        );
    }

    #[test]
    fn exported_decoder_graphs_project_every_prompt_position_through_the_head() {
        // The head over the last of 128 positions of 2 sequences, and over all 256 of them.
        let head = Op::lm_head(2.0, 128.0, 768.0, 50_257.0);
        assert_eq!((head.m, head.prompt_rows), (2.0, 256.0));
        let every = head.every_prompt_position();
        assert_eq!(every.m, 256.0);
        assert_eq!(every.flops, 2.0 * 256.0 * 768.0 * 50_257.0);
        assert_eq!(every.out_elems, 256.0 * 50_257.0);
        assert_eq!(every.weight_elems, head.weight_elems);
        // Any other operator stays as it is.
        let linear = Op::linear(2.0, 768.0, 768.0);
        assert_eq!(linear.every_prompt_position(), linear);
        // ONNX Runtime (exported graphs) pays the head over the whole prompt; PyTorch's `generate()` keeps
        // the last position. GPT-2's prefill alone (one output token), one thread.
        let device = hardware::find("cpu").unwrap();
        let ort = RuntimeProfile::find("onnxruntime").unwrap();
        assert!(ort.prefill_logits_every_position);
        assert!(!RuntimeProfile::find("pytorch").unwrap().prefill_logits_every_position);
        let last_only = RuntimeProfile { prefill_logits_every_position: false, ..ort.clone() };
        let mut spec = ModelSpec::named("gpt2");
        spec.output_tokens = Some(1);
        spec.sequence_length = Some(128);
        let model = resolve(&spec, "models[0]").unwrap();
        let latency =
            |runtime| Placement { device: &device, runtime, threads: 1 }.predict(&model).latency_ms;
        let extra_ms = latency(&ort) - latency(&last_only);
        // 127 more rows of 768 × 50,257: at least their arithmetic at one core's peak.
        let flops = 2.0 * 127.0 * 768.0 * 50_257.0;
        let core_peak = device.peak_tflops.fp32 * 1e12 / f64::from(device.compute_units);
        assert!(extra_ms > flops / core_peak * 1e3, "{extra_ms} ms");
    }

    #[test]
    fn an_accelerators_kernels_run_behind_the_hosts_launches_without_waiting_for_them() {
        // One kernel at a time, as the host issues it and the device frees: the closed form for a run of
        // identical kernels is the same as stepping through them.
        let step = |q: &mut LaunchQueue, device: f64, host: f64| {
            q.issued += host;
            q.done = q.done.max(q.issued) + device;
        };
        let runs =
            [(1.0, 5.0, 10.0), (5.0, 1.0, 10.0), (3.0, 3.0, 4.0), (0.5, 7.0, 1.0), (9.0, 0.2, 3.0)];
        let mut closed = LaunchQueue::after_call(20.0);
        let mut stepped = LaunchQueue::after_call(20.0);
        for (device, host, times) in runs {
            let before = stepped.done;
            for _ in 0..times as usize {
                step(&mut stepped, device, host);
            }
            let later = closed.run(device, host, times);
            assert!((closed.done - stepped.done).abs() < 1e-9, "{device} {host} {times}");
            assert!((later - (stepped.done - before)).abs() < 1e-9);
            assert!((closed.issued - stepped.issued).abs() < 1e-9);
        }
        // Short kernels behind a slow host go at the host's pace; long ones hide the host after the first.
        let mut q = LaunchQueue::after_call(20.0);
        q.run(1.0, 5.0, 10.0);
        assert_eq!(q.done, 20.0 + 10.0 * 5.0 + 1.0);
        let mut q = LaunchQueue::after_call(20.0);
        q.run(5.0, 1.0, 10.0);
        assert_eq!(q.done, 20.0 + 1.0 + 10.0 * 5.0);
        // A long kernel lets the host queue the short ones behind it: they cost the device alone.
        let mut q = LaunchQueue::after_call(0.0);
        q.run(100.0, 5.0, 1.0);
        assert_eq!(q.run(1.0, 5.0, 10.0), 10.0);
    }

    #[test]
    fn a_gpu_prediction_overlaps_pytorchs_launches_with_the_kernels_and_its_breakdown_adds_up() {
        use super::OperatorKind;
        let device = hardware::find("cuda:a100-40gb").unwrap();
        let rt = RuntimeProfile::find("pytorch").unwrap();
        for (name, batch) in [("efficientnet-b0", 1), ("bert-base-uncased", 64)] {
            // Channels-last: every kernel is one the host issues (NCHW convolutions' transposes are cuDNN's,
            // launched within the convolution's call).
            let mut spec = ModelSpec::named(name).with_batch(batch);
            spec.memory_format = Some(MemoryFormat::ChannelsLast);
            let model = resolve(&spec, "m").unwrap();
            let work = model.arch.work(&model.input);
            let p = Placement { device: &device, runtime: &rt, threads: device.compute_units };
            let parts = p.breakdown(&model, &work);
            let total: f64 = parts.iter().map(|o| o.ms).sum();
            let kernels: f64 = parts.iter().map(|o| o.kernels).sum();
            let call = parts.iter().find(|o| o.kind == OperatorKind::Call).unwrap().ms;
            let predicted = p.predict(&model);
            let latency = predicted.latency_ms;
            assert!(
                (total - latency).abs() < 1e-9 * latency,
                "{name}: {parts:?} against {latency}"
            );
            // Never faster than the host issuing every kernel, nor than the device running them back to back;
            // never slower than the two one after the other.
            let host_ms = kernels * rt.host_overhead_us / 1e3 + call;
            let device_ms = predicted.compute_ms + predicted.memory_ms;
            assert!(latency >= host_ms.max(device_ms) * (1.0 - 1e-12), "{name}: {latency}");
            assert!(
                latency < host_ms + device_ms + kernels * device.kernel_overhead_us / 1e3,
                "{name}"
            );
            match batch {
                // EfficientNet-B0 alone: 200-odd kernels too short to hide a launch; the host's pace.
                1 => assert!(latency < host_ms * 1.05, "{name}: {latency} against {host_ms}"),
                // BERT at batch 64: the kernels outlast the launches; the device's time.
                _ => assert!(host_ms < 0.5 * latency, "{name}: {latency} against {host_ms}"),
            }
        }
    }

    #[test]
    fn a_breakdown_splits_the_predicted_latency_by_kind_of_kernel() {
        use super::OperatorKind;
        let mut device = hardware::find("cpu").unwrap();
        // Two cores: ONNX Runtime's generation starts beside the other session's spinning pool, and the
        // breakdown counts that window too.
        device.compute_units = 2;
        for (name, runtime, generate) in [
            ("efficientnet-b0", "pytorch", 0),
            ("bert-base-uncased", "onnxruntime", 0),
            ("gpt2", "pytorch", 8),
            ("t5-small", "onnxruntime", 8),
        ] {
            let rt = RuntimeProfile::find(runtime).unwrap();
            let mut spec = ModelSpec::named(name);
            if generate > 0 {
                spec.output_tokens = Some(generate);
            }
            let model = resolve(&spec, "models[0]").unwrap();
            let work = model.arch.work(&model.input);
            for threads in [1, 2] {
                let p = Placement { device: &device, runtime: &rt, threads };
                let parts = p.breakdown(&model, &work);
                let total: f64 = parts.iter().map(|o| o.ms).sum();
                let latency = p.predict(&model).latency_ms;
                assert!(
                    (total - latency).abs() < 1e-9 * latency,
                    "{name}: {parts:?} against {latency}"
                );
                let kinds: Vec<_> = parts.iter().map(|o| o.kind).collect();
                // In the order of OperatorKind::ALL, each kind once.
                let order: Vec<_> =
                    OperatorKind::ALL.iter().copied().filter(|k| kinds.contains(k)).collect();
                assert_eq!(kinds, order);
                let kernels =
                    |kind| parts.iter().find(|o| o.kind == kind).map_or(0.0, |o| o.kernels);
                match name {
                    // 16 MBConv blocks, each with one depthwise convolution; its 1×1 convolutions dominate
                    // and PyTorch runs its activations as their own kernels.
                    "efficientnet-b0" => {
                        assert_eq!(kernels(OperatorKind::Depthwise), 16.0);
                        assert!(kernels(OperatorKind::Pointwise) > 30.0);
                        assert!(kernels(OperatorKind::Elementwise) > 0.0);
                        assert_eq!(kernels(OperatorKind::Attention), 0.0);
                    }
                    // ONNX Runtime fuses the epilogues: no element-wise kernels; 12 layers of attention.
                    "bert-base-uncased" => {
                        assert_eq!(kernels(OperatorKind::Elementwise), 0.0);
                        assert_eq!(kernels(OperatorKind::Attention), 12.0);
                        assert_eq!(kernels(OperatorKind::Depthwise), 0.0);
                    }
                    // The prefill and its decode steps: a call into the runtime each; GPT-2 (a decoder only)
                    // runs the same attention layers in each.
                    _ => {
                        let calls = 1.0 + f64::from(work.decode_steps);
                        assert!(work.decode_steps > 0);
                        let call = parts.iter().find(|o| o.kind == OperatorKind::Call).unwrap();
                        let per_call = rt.cpu_call_overhead_us * device.overhead_scale;
                        assert!((call.ms * 1e3 - calls * per_call).abs() < 1e-6, "{call:?}");
                        if name == "gpt2" {
                            assert_eq!(kernels(OperatorKind::Attention) % calls, 0.0);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn onnxruntime_webs_own_kernel_rates_apply_on_wasm_and_not_in_a_webnn_context() {
        use super::OperatorKind;
        let ort_web = RuntimeProfile::find("onnxruntime-web").unwrap();
        let breakdown = |device: &str, model: &str| {
            let d = hardware::find(device).unwrap();
            let m = resolve(&ModelSpec::named(model), "models[0]").unwrap();
            let p = Placement { device: &d, runtime: &ort_web, threads: 1 };
            p.breakdown(&m, &m.arch.work(&m.input))
        };
        let kind = |parts: &[super::OperatorTime], k| parts.iter().find(|o| o.kind == k).copied();
        // On WASM its SiLU kernels cost their elements at its rate; in a WebNN context the browser's kernels
        // run and the activation stays fused.
        let wasm = breakdown("wasm:laptop-4c", "efficientnet-b0");
        let silu = kind(&wasm, OperatorKind::Elementwise).expect("SiLU kernels on WASM");
        let m = resolve(&ModelSpec::named("efficientnet-b0"), "m").unwrap();
        let elems: f64 = m
            .arch
            .work(&m.input)
            .prefill
            .iter()
            .filter(|o| o.activation == Activation::Sigmoid)
            .map(|o| o.activation_elems() * o.repeat)
            .sum();
        let at_rate_ms = elems / (ort_web.cpu_sigmoid_gelems_per_thread * 1e9) * 1e3;
        assert!(
            silu.ms >= at_rate_ms && silu.ms < 1.1 * at_rate_ms,
            "{silu:?} against {at_rate_ms}"
        );
        assert!(
            kind(&breakdown("webnn:cpu", "efficientnet-b0"), OperatorKind::Elementwise).is_none()
        );
        // Its softmax (attention is not fused on onnxruntime-web) at the softmax rate, not the layer norms'.
        let bert = resolve(&ModelSpec::named("bert-base-uncased"), "m").unwrap();
        let d = hardware::find("wasm:laptop-4c").unwrap();
        let p = Placement { device: &d, runtime: &ort_web, threads: 1 };
        let (r, _) = p.rates(Precision::Fp32);
        let attention =
            bert.arch.work(&bert.input).prefill.into_iter().find(|o| o.class == OpClass::Attention);
        let softmax = Placement::unfused_attention(&attention.unwrap())[2];
        assert!(softmax.softmax);
        let want = softmax.out_elems / (ort_web.cpu_softmax_gelems_per_thread * 1e9);
        assert!((p.vector_work(&r, &softmax) - want).abs() < 1e-12, "{want}");
    }

    #[test]
    fn pytorchs_gelu_costs_its_arithmetic_per_element_at_the_cores_vector_rate() {
        let pytorch = RuntimeProfile::find("pytorch").unwrap();
        assert!(pytorch.cpu_gelu_flops_per_elem > 2.0);
        let m = resolve(&ModelSpec::named("all-MiniLM-L6-v2").with_batch(4), "m").unwrap();
        let work = m.arch.work(&m.input);
        let gelu = work.prefill.iter().find(|o| o.activation == Activation::Gelu).unwrap();
        let plain = Op { activation: Activation::None, ..*gelu };
        for (device, threads) in [("cpu", 1), ("cpu", 4), ("cpu:server-32c", 8)] {
            let d = hardware::find(device).unwrap();
            let p = Placement { device: &d, runtime: &pytorch, threads };
            let (r, _) = p.rates(Precision::Fp32);
            // Its elements at the runtime's FLOP each over the placement's vector rate, so a core with a
            // slower vector unit takes longer per element; a plain element-wise kernel keeps 2 FLOP each.
            let want = gelu.activation_elems() * pytorch.cpu_gelu_flops_per_elem / r.vector_flops;
            assert!((p.vector_work(&r, gelu) - want).abs() <= 1e-12 * want, "{device} {threads}");
            assert!(p.vector_work(&r, &plain) < want / 10.0);
        }
        // A runtime without the figure (ONNX Runtime fuses its GELU) costs it as any element-wise kernel.
        let ort = RuntimeProfile::find("onnxruntime").unwrap();
        let d = hardware::find("cpu").unwrap();
        let p = Placement { device: &d, runtime: &ort, threads: 1 };
        let (r, _) = p.rates(Precision::Fp32);
        assert_eq!(p.vector_work(&r, gelu), gelu.flops / r.vector_flops);
    }

    /// t5-small generating `tokens` tokens on `runtime` with `threads` threads on a `cores`-core CPU.
    fn generation(
        runtime: &RuntimeProfile,
        cores: u32,
        threads: u32,
        tokens: u32,
    ) -> SinglePrediction {
        generation_on("", runtime, cores, threads, tokens)
    }

    /// [`generation`] on a CPU made by `vendor` (`DeviceProfile::cpu_vendor`).
    fn generation_on(
        vendor: &str,
        runtime: &RuntimeProfile,
        cores: u32,
        threads: u32,
        tokens: u32,
    ) -> SinglePrediction {
        let mut device = hardware::find("cpu").unwrap();
        device.compute_units = cores;
        device.cpu_vendor = vendor.to_string();
        let mut spec = ModelSpec::named("t5-small");
        spec.sequence_length = Some(128);
        spec.output_tokens = Some(tokens);
        let model = resolve(&spec, "models[0]").unwrap();
        Placement { device: &device, runtime, threads }.predict(&model)
    }

    #[test]
    fn a_second_session_starts_beside_the_first_ones_spinning_pool() {
        let ort = RuntimeProfile::find("onnxruntime").unwrap();
        assert!(ort.decode_session_apart && ort.spin_after_run_us > 0.0);
        let mut one_session = ort.clone();
        one_session.decode_session_apart = false;
        // On 2 cores, the other session's spinning worker leaves one core: the prefill and the first decode
        // steps run as on one thread, so the generation takes longer than with one session.
        let apart = generation(&ort, 2, 2, 8);
        let together = generation(&one_session, 2, 2, 8);
        assert!(apart.prefill_ms > together.prefill_ms * 1.2, "{apart:?}");
        assert!(apart.decode_ms > together.decode_ms * 1.2, "{apart:?}");
        // The window is the spin's CPU time stretched over the cores the threads and spinners share: a long
        // generation leaves it, so the later steps run at the full two threads' speed.
        let long_apart = generation(&ort, 2, 2, 200);
        let long_together = generation(&one_session, 2, 2, 200);
        let extra = long_apart.latency_ms - long_together.latency_ms;
        assert!(extra > 0.0 && extra < apart.latency_ms - together.latency_ms + 20.0);
        // With cores to spare the spinner takes an idle core; one thread has no pool to spin.
        assert_eq!(
            generation(&ort, 16, 2, 8).latency_ms,
            generation(&one_session, 16, 2, 8).latency_ms
        );
        assert_eq!(
            generation(&ort, 2, 1, 8).latency_ms,
            generation(&one_session, 2, 1, 8).latency_ms
        );
    }

    #[test]
    fn a_region_cost_measured_for_a_runtime_replaces_the_catalogs_for_that_runtime_only() {
        let model = resolve(&ModelSpec::named("bert-base-uncased"), "models[0]").unwrap();
        let predict = |device: &hardware::DeviceProfile, runtime: &str, threads| {
            let runtime = RuntimeProfile::find(runtime).unwrap();
            Placement { device, runtime: &runtime, threads }.predict(&model)
        };
        let mut device = hardware::find("cpu").unwrap();
        let builtin = RuntimeProfile::find("builtin").unwrap();
        let catalog_us =
            device.kernel_overhead_us + builtin.region_us_per_thread * device.overhead_scale;
        let before = predict(&device, "builtin", 2);
        let (one, torch) = (predict(&device, "builtin", 1), predict(&device, "pytorch", 2));
        device.runtime_region_us = vec![("builtin".to_string(), catalog_us + 1000.0)];
        let after = predict(&device, "builtin", 2);
        // Every region of the two threads costs the measured figure, one more millisecond each here.
        assert!(before.regions > 10.0, "{}", before.regions);
        assert_eq!(after.regions, before.regions);
        let added = after.latency_ms - before.latency_ms;
        assert!(
            (added - before.regions).abs() < 1e-6 * after.latency_ms,
            "{added} {}",
            before.regions
        );
        // One thread starts no region, and another runtime keeps its own cost.
        assert_eq!(predict(&device, "builtin", 1), one);
        assert_eq!(predict(&device, "pytorch", 2), torch);
    }

    #[test]
    fn matrix_vector_products_use_the_threads_only_where_the_runtime_splits_them() {
        let mut split = RuntimeProfile::find("onnxruntime").unwrap();
        split.decode_session_apart = false;
        let mut serial = split.clone();
        serial.splits_gemv = false;
        // Decode steps are matrix-vector products: split, two threads stream the weights faster than one.
        let decode = |rt: &RuntimeProfile, threads| generation(rt, 2, threads, 64).decode_ms;
        assert!(decode(&split, 2) < decode(&split, 1) * 0.8);
        assert!(decode(&serial, 2) > decode(&split, 2) * 1.2);
        // Streaming at a smaller share of the read bandwidth takes longer, in proportion for a memory-bound
        // step.
        let mut slower = split.clone();
        slower.gemv_bandwidth_efficiency = split.gemv_bandwidth_efficiency / 2.0;
        let ratio = decode(&slower, 1) / decode(&split, 1);
        assert!(ratio > 1.5 && ratio < 2.0, "{ratio}");
    }

    #[test]
    fn pytorchs_decode_steps_stream_the_weights_over_the_threads_on_intel_cpus_only() {
        let torch = RuntimeProfile::find("pytorch").unwrap();
        assert!(!torch.splits_gemv && torch.splits_gemv_on_intel && torch.packs_weights_per_call);
        let decode = |vendor, threads| generation_on(vendor, &torch, 2, threads, 64).decode_ms;
        // Off Intel the calling thread packs and streams every weight: a second thread gains little.
        assert!(decode("amd", 2) > decode("amd", 1) * 0.85);
        // On Intel MKL's GEMV splits the columns and reads the weights once, without panels: faster on one
        // thread than packing (read and written), and faster again on two.
        assert!(decode("intel", 1) < decode("amd", 1) * 0.8);
        assert!(decode("intel", 2) < decode("intel", 1) * 0.75);
        // Matrix products of many rows (an encoder's) pack as before on Intel too; only its one-row pooler
        // (0.7 % of the weights) streams.
        let mut packing = torch.clone();
        packing.splits_gemv_on_intel = false;
        let mut device = hardware::find("cpu").unwrap();
        device.cpu_vendor = "intel".to_string();
        let bert = resolve(&ModelSpec::named("bert-base-uncased"), "models[0]").unwrap();
        let encode = |rt| Placement { device: &device, runtime: rt, threads: 2 }.predict(&bert);
        let (streamed, packed) = (encode(&torch).latency_ms, encode(&packing).latency_ms);
        assert!(streamed < packed && streamed > packed * 0.99, "{streamed} against {packed}");
        assert!(generation_on("intel", &packing, 2, 2, 64).decode_ms > decode("intel", 2) * 1.5);
        // There the GEMV streams at MKL's measured share of the calibrated read, a share used nowhere else.
        assert!(torch.intel_gemv_bandwidth_efficiency < 1.0);
        let mut full_read = torch.clone();
        full_read.intel_gemv_bandwidth_efficiency = 1.0;
        assert!(generation_on("intel", &full_read, 2, 2, 64).decode_ms < decode("intel", 2));
        assert_eq!(generation_on("amd", &full_read, 2, 2, 64).decode_ms, decode("amd", 2));
    }

    #[test]
    fn openvinos_measured_gemm_rate_on_intel_avx512_cores_serves_the_catalogs_xeons_not_the_avx2_desktop(
    ) {
        let openvino = RuntimeProfile::find("openvino").unwrap();
        assert!(openvino.cpu_intel_avx512_gemm_ratio > 1.0);
        let rn50 = resolve(&ModelSpec::named("resnet-50"), "models[0]").unwrap();
        fn on<'a>(
            device: &'a hardware::DeviceProfile,
            runtime: &'a RuntimeProfile,
        ) -> Placement<'a> {
            Placement { device, runtime, threads: 1 }
        }
        // The benchmark systems' Xeons have two 512-bit FMA ports per core (their datasheets): OpenVINO's GEMMs
        // run at the rate measured against the tuned GEMM on such a core.
        let xeon = hardware::find("openvino:xeon-8490h-2s").unwrap();
        assert_eq!((xeon.cpu_vendor.as_str(), xeon.fma_width_bits), ("intel", 512));
        assert_eq!(
            on(&xeon, &openvino).gemm_kernel_ratio(Precision::Fp32),
            openvino.cpu_intel_avx512_gemm_ratio
        );
        let mut unknown = xeon.clone();
        unknown.cpu_vendor = String::new();
        assert_eq!(on(&unknown, &openvino).gemm_kernel_ratio(Precision::Fp32), 1.0);
        // ResNet-50 fp32 on one core is compute-bound, its convolutions most of it: faster by most of the
        // ratio, at most all of it (its pooling and calls keep their time).
        let ratio = openvino.cpu_intel_avx512_gemm_ratio;
        let measured = on(&xeon, &openvino).predict(&rn50).latency_ms;
        let plain = on(&unknown, &openvino).predict(&rn50).latency_ms;
        assert!(measured < plain / (1.0 + (ratio - 1.0) / 2.0) && measured >= plain / ratio);
        // It was measured on FP32 products: int8 keeps the runtime's own rate.
        let spec = ModelSpec { precision: Precision::Int8, ..ModelSpec::named("resnet-50") };
        let int8 = resolve(&spec, "models[0]").unwrap();
        let (with, without) =
            (on(&xeon, &openvino).predict(&int8), on(&unknown, &openvino).predict(&int8));
        assert_eq!(with.latency_ms, without.latency_ms);
        // The i9-13900K's cores run AVX2 (256-bit): not measured there.
        let i9 = hardware::find("openvino:i9-13900k").unwrap();
        assert_eq!((i9.cpu_vendor.as_str(), i9.fma_width_bits), ("intel", 256));
        assert_eq!(on(&i9, &openvino).gemm_kernel_ratio(Precision::Fp32), 1.0);
    }

    #[test]
    fn openvinos_cpu_attention_runs_at_its_share_of_the_fp32_rate_whatever_the_models_precision() {
        use super::OperatorKind;
        let openvino = RuntimeProfile::find("openvino").unwrap();
        let share = openvino.cpu_attention_share;
        assert!(share > 0.0 && share < 1.0);
        let plain = RuntimeProfile { cpu_attention_share: 0.0, ..openvino.clone() };
        let attention_ms = |device: &hardware::DeviceProfile, rt: &RuntimeProfile, p: Precision| {
            let spec = ModelSpec { precision: p, ..ModelSpec::named("bert-base-uncased") };
            let model = resolve(&spec, "models[0]").unwrap();
            let work = model.arch.work(&model.input);
            let parts = Placement { device, runtime: rt, threads: 1 }.breakdown(&model, &work);
            parts.iter().find(|o| o.kind == OperatorKind::Attention).unwrap().ms
        };
        // One core of the 8490H (AMX: INT8 at 32 times its FP32 peak), as each of OpenVINO's requests runs.
        let core = hardware::find("openvino:xeon-8490h-2s").unwrap().cores_share(1);
        let (fp32, int8) = (
            attention_ms(&core, &openvino, Precision::Fp32),
            attention_ms(&core, &openvino, Precision::Int8),
        );
        // INT8 attention no faster than FP32's: the same time.
        assert!((int8 - fp32).abs() < 1e-9 * fp32, "{int8} against {fp32}");
        // FP32's at the share of what it took as any matrix product (its arithmetic decides it here).
        let any_product = attention_ms(&core, &plain, Precision::Fp32);
        assert!((any_product / fp32 - share).abs() < 0.01 * share, "{any_product} / {fp32}");
        // As any matrix product, INT8 attention ran at the INT8 rate, far faster.
        assert!(attention_ms(&core, &plain, Precision::Int8) < int8 / 4.0);
        // Another runtime's attention on the same core keeps the model's precision.
        let ort = RuntimeProfile::find("onnxruntime").unwrap();
        assert!(
            attention_ms(&core, &ort, Precision::Int8)
                < attention_ms(&core, &ort, Precision::Fp32) / 4.0
        );
        // OpenVINO's GPU plugin is not its CPU plugin: the iGPU's attention does not change with the share.
        let igpu = hardware::find("openvino:gpu").unwrap();
        for p in [Precision::Fp16, Precision::Int8] {
            assert_eq!(attention_ms(&igpu, &openvino, p), attention_ms(&igpu, &plain, p));
        }
    }

    #[test]
    fn a_prediction_eager_pytorchs_host_paces_says_so_and_what_the_host_time_spans() {
        let v100 = hardware::find("cuda:v100").unwrap();
        let rn50 = |batch: u32, precision: Precision| {
            let spec = ModelSpec { batch_size: batch, precision, ..ModelSpec::named("resnet-50") };
            resolve(&spec, "models[0]").unwrap()
        };
        let paced = |p: &SinglePrediction| -> Vec<String> {
            p.warnings.iter().filter(|w| w.contains("host-bound under")).cloned().collect()
        };
        let eager = RuntimeProfile::find("pytorch").unwrap();
        let on = |device: &hardware::DeviceProfile, runtime: &RuntimeProfile, m: &ResolvedModel| {
            Placement { device, runtime, threads: 1 }.predict(m)
        };
        // Batch 1: 174 kernels at the catalog's 50.5 µs take the host longer than the V100 runs them.
        let one = on(&v100, &eager, &rn50(1, Precision::Fp32));
        let warned = paced(&one);
        assert_eq!(warned.len(), 1, "{:?}", one.warnings);
        assert!(one.host_share > one.queue_share);
        let (fast, slow) = PYTORCH_GPU_HOST_US_PUBLISHED;
        for figure in [
            format!("{:.0} kernels", one.kernels),
            format!("{:.1} µs of host time", crate::catalog::runtime::PYTORCH_GPU_HOST_US),
            format!("{fast:.0}-{slow:.0} µs"),
            "overhead_scale".to_string(),
        ] {
            assert!(warned[0].contains(&figure), "{figure} in {}", warned[0]);
        }
        // The lever it names: a host at the published fast end (a hardware profile's overhead_scale) issues
        // each kernel in that time, and the host-bound latency falls with it.
        let fast_host = hardware::DeviceProfile {
            overhead_scale: fast / crate::catalog::runtime::PYTORCH_GPU_HOST_US,
            ..v100.clone()
        };
        let quick = on(&fast_host, &eager, &rn50(1, Precision::Fp32));
        assert!(
            paced(&quick)[0].contains(&format!("{fast:.1} µs of host time")),
            "{:?}",
            quick.warnings
        );
        assert!(
            quick.latency_ms
                < one.latency_ms * (fast / crate::catalog::runtime::PYTORCH_GPU_HOST_US + 0.1)
        );
        // Batch 256: the GPU's work outlasts the host's; TensorRT (its own host time) and a CPU: no warning.
        assert!(paced(&on(&v100, &eager, &rn50(256, Precision::Fp16))).is_empty());
        let trt = RuntimeProfile::find("tensorrt").unwrap();
        assert!(paced(&on(&v100, &trt, &rn50(1, Precision::Fp16))).is_empty());
        let cpu = hardware::find("cpu:desktop-8c").unwrap();
        assert!(paced(&on(&cpu, &eager, &rn50(1, Precision::Fp32))).is_empty());
    }

    #[test]
    fn a_quotient_by_a_power_of_two_is_its_product_with_the_exact_reciprocal() {
        let powers = (-8..=24).map(|e| 2f64.powi(e));
        for x in powers.clone() {
            assert_eq!(pow2_recip(x), 1.0 / x, "{x}");
        }
        // Anything else has no exact reciprocal to multiply by, and the quotient divides.
        for x in [3.0, 6.0, 24.0, 96.0, 108.0, 0.0, -2.0, -0.0, f64::INFINITY, f64::NAN, 1e-310] {
            assert_eq!(pow2_recip(x), 0.0, "{x}");
        }
        let divisors = powers.chain([3.0, 6.0, 24.0, 96.0, 108.0]);
        for x in divisors {
            for a in [0.0, 1.0, 5.0, 197.0, 1023.0, 4096.0, 3.3e9, 7.0 / 3.0, 1e-3] {
                let q = quotient(a, x);
                assert_eq!(q.to_bits(), (a / x).to_bits(), "{a} / {x}");
            }
        }
    }

    #[test]
    fn padding_covers_whole_tiles_exactly_and_pads_only_the_remainder() {
        // Whole tiles cost nothing extra, even when the microkernel's block does not divide the tile.
        let padded_rows = |m: f64, tile: f64, micro: f64| padded_rows(m, tile, micro, m / tile);
        let padded_len = |len: f64, tile: f64, micro: f64| padded_len(len, tile, micro, len / tile);
        assert_eq!(padded_rows(512.0, 64.0, 24.0), 512.0);
        assert_eq!(padded_len(768.0, 256.0, 96.0), 768.0);
        // 197 rows: three 64-row tiles and 5 rows padded to 16.
        assert_eq!(padded_rows(197.0, 64.0, 16.0), 208.0);
        // Fewer rows than a tile cost the tile; fewer columns only their panel.
        assert_eq!(padded_rows(16.0, 64.0, 16.0), 64.0);
        assert_eq!(padded_len(24.0, 256.0, 64.0), 64.0);
        // A remainder never costs more than one more tile.
        assert_eq!(padded_rows(65.0, 64.0, 96.0), 128.0);
    }

    #[test]
    fn count_ceil_is_ceil_at_least_one_and_count_floor_is_floor() {
        let mut x: f64 = 1e-9;
        while x < 1e13 {
            for v in [
                x,
                f64::from_bits(x.to_bits() + 1),
                f64::from_bits(x.to_bits() - 1),
                x.round(),
                x.round() + 0.5,
            ] {
                assert_eq!(count_ceil(v), v.ceil().max(1.0), "{v}");
                assert_eq!(count_floor(v), v.floor(), "{v}");
            }
            x *= 1.37;
        }
        assert_eq!(count_ceil(0.0), 1.0);
    }
}

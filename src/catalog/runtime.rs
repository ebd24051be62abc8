//! Software runtimes: how many kernels a model becomes, what each launch costs on the host, and how close the
//! runtime's kernels get to the device's tuned GEMM speed. The same chip runs BERT several times faster under a
//! fused-kernel engine (TensorRT) than under an eager framework at batch 1; these profiles are why.

use super::hardware::Platform;
use crate::error::{Error, Result};

/// Which of a model's fp32 products a runtime runs as TF32 by default on a GPU with a TF32 tensor rate
/// (NVIDIA Ampere and later: `DeviceProfile::peak_tflops.tf32`): 10-bit-mantissa inputs on the tensor cores,
/// fp32 tensors in memory. Elsewhere fp32 stays fp32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tf32Default {
    /// None: fp32 computes at the fp32 rate.
    Off,
    /// Convolutions only (cuDNN's), matrix products at the fp32 rate: PyTorch's defaults (the one runtime with
    /// it: the prediction's warning names its flag, `torch.backends.cudnn.allow_tf32`).
    Convolutions,
    /// Matrix products and convolutions alike.
    All,
}

/// Host time per inference call under Qualcomm AI Engine Direct (QNN) on the Hexagon NPU, µs: a bound, not a
/// fit. Every call pays it, so it cannot exceed the fastest whole graph the runtime's publisher times on that
/// NPU: Qualcomm AI Hub's `perf.yaml` files (quic/ai-hub-models v0.46.1, commit 52c080d2) give 0.154 ms for
/// MediaPipe's hand-gesture classifier (float, 83 layers, all on the NPU) on the Snapdragon X Elite CRD, the
/// lowest of their 243 X Elite QNN figures. The catalog takes that bound rounded down; the catalog had 250 µs
/// before (an unsourced "100s of µs" for the FastRPC round trip), which that figure rules out. The same graph
/// runs in 0.050-0.066 ms on the Galaxy S24 and S25 and the QCS8550 in the same files: the bound is loose.
const QNN_CALL_US: f64 = 150.0;

/// How a runtime executes a model.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeProfile {
    /// Name users pass as `runtime`.
    pub name: String,
    /// Host (CPU) time to dispatch one kernel: framework dispatcher plus driver launch, µs.
    pub host_overhead_us: f64,
    /// Host time per kernel on CPUs, µs: the same dispatch path without a device queue to hide behind, plus
    /// what an eager framework does around each operator there (Python module calls, allocation, cache and
    /// mask bookkeeping); it adds to the kernel's time on the same core.
    pub cpu_host_overhead_us: f64,
    /// Fixed host time per forward call (session run, Python call, JS promise round trip), µs.
    pub call_overhead_us: f64,
    /// The same on CPUs, µs (no device submission or read-back to wait for).
    pub cpu_call_overhead_us: f64,
    /// Element-wise epilogues (bias, activation, residual, batch norm) are fused into the producing kernel.
    pub fuses_epilogues: bool,
    /// Element-wise operators that follow one another run as one generated kernel, which reads the run's
    /// inputs once and writes its output once, and a norm after them joins that kernel; they stay apart from
    /// the convolution or matrix product before them (TorchInductor: pointwise nodes fuse with each other and
    /// into the reduction after them; convolutions and GEMMs are extern calls into cuDNN and cuBLAS). Without
    /// epilogue fusion only.
    pub fuses_pointwise_runs: bool,
    /// Attention runs as one fused kernel that never writes the score matrix to memory, on devices that
    /// compute its softmax beside the products (not on NPUs: `DeviceProfile::fuses_attention`), unless the
    /// model entry asks for it unfused (`ModelSpec::attention`).
    pub fused_attention: bool,
    /// Share of a GEMM tile's rate that the runtime's fused attention kernel sustains on an accelerator: its
    /// inner dimension is a head's (64 in BERT), and between its two products every block of scores passes
    /// through a softmax on the vector units ([`ACCELERATOR_ATTENTION_SHARE`]). CPUs run attention as their
    /// GEMMs; NPUs with vector DSPs apart do not fuse it (`DeviceProfile::vector_unit_share`).
    pub attention_share: f64,
    /// Fraction of the device's tuned GEMM speed its kernels reach (1.0 = vendor-tuned, autotuned tactics).
    pub kernel_efficiency: f64,
    /// The same on `cpu` platform devices, where the reference is the tuned GEMM `mmperf calibrate` measures
    /// (OpenVINO and browser devices keep `kernel_efficiency`: their kernels are not the runtime's own).
    pub cpu_kernel_efficiency: f64,
    /// Memory the runtime holds per byte of weights (arenas, staging copies): 1.0 = none beyond weights.
    pub memory_overhead_factor: f64,
    /// Scratch memory per model (cuBLAS/cuDNN workspaces, arenas), MB.
    pub workspace_mb: f64,
    /// Memory of the runtime's context on the device, paid once per process, MB.
    pub context_mb: f64,
    /// Models share one allocator whose freed blocks the next model reuses (PyTorch's caching allocator,
    /// TensorFlow.js's backend pool). Otherwise each model keeps its own arena (activations and workspace)
    /// allocated from its first run on (ONNX Runtime session arenas, TensorRT execution contexts).
    pub shared_allocator: bool,
    /// First-run cost per distinct kernel: shader/pipeline compilation, kernel selection, session set-up, µs;
    /// per operator where the runtime compiles the whole graph ([`RuntimeProfile::compiles_every_operator`]).
    pub compile_us_per_kernel: f64,
    /// The first call traces and compiles the model's whole graph, every operator it runs, repeated layers
    /// included (TorchInductor: Dynamo traces each call, Inductor lowers each node and generates the run's
    /// kernels), rather than building one kernel per distinct shape.
    pub compiles_every_operator: bool,
    /// The model's weights stay FP32 and each call casts every weight a matrix product or convolution reads to
    /// the model's FP16/BF16 precision first (PyTorch's `torch.autocast`: the cast cache lives only as long as
    /// the autocast region, one forward call): one more kernel per weight tensor, reading 4 and writing 2
    /// bytes per parameter, FP32 weights held (4 bytes per parameter) and the FP16 copies alive through the
    /// call. No effect at FP32 or int8.
    pub casts_weights_per_call: bool,
    /// A decoder's prefill projects every prompt position through the language-model head, not only the last
    /// one (the graph is a plain forward pass: Optimum's and `bench/real`'s exported decoder graphs return
    /// logits for every position). Measured with ONNX Runtime's profiler on `bench/real`'s GPT-2 prefill
    /// graph (prompt 128, one thread, onnxruntime 1.32, the Zen 5 development VM, session 16): 13 `MatMul`
    /// nodes took 48.7 of 160.6 ms, the head's 128 × 768 × 50,257 (9.9 GFLOP) at about 205 GFLOP/s
    /// (`bench/real/ort_profile.py .cache/onnx/gpt2-b1-s128 prefill 1`). PyTorch's
    /// `generate()` passes `logits_to_keep=1` (transformers 5), as `bench/real/models.py` now does, and
    /// serving engines (TensorRT-LLM, vLLM, WebLLM) keep the last position too.
    pub prefill_logits_every_position: bool,
    /// CPUs: cost of one parallel region (waking the intra-op pool's threads and joining them at the end) per
    /// thread beyond the first, µs; a kernel on one thread pays none. Multiplied by the device's
    /// `overhead_scale` like the other host costs.
    pub region_us_per_thread: f64,
    /// CPUs: element-wise and normalisation kernels with fewer output elements than this run on one thread
    /// (the runtime does not split them: too little work per thread to pay for the fork-join).
    pub parallel_grain_elems: f64,
    /// CPUs: the intra-op pool's threads spin while they wait for work or at a join before they sleep
    /// (ONNX Runtime's `allow_spinning` default, OpenMP's spin-wait), so on oversubscribed cores they burn
    /// part of each waiting slice (the device's `spin_wait_share`); threads that block do not.
    pub spins_while_waiting: bool,
    /// CPUs: GEMMs copy the weights into the kernel's panel layout on every call (BLAS `sgemm` as eager
    /// frameworks call it), instead of once when the model is loaded (prepacked initialisers).
    pub packs_weights_per_call: bool,
    /// GEMMs run as tiled kernels (BLAS, MLAS, oneDNN, XNNPACK, shader tiles): partial tiles cost whole ones
    /// and tiles are dealt out to the threads. Otherwise (the built-in CPU runner) each thread takes an
    /// equal block of rows of a plain loop, with no tile shape to pad to.
    pub tiled_gemm: bool,
    /// CPUs: how long the intra-op pool's workers keep spinning after a run returns before they block, µs;
    /// meanwhile they hold their cores against whatever runs next.
    pub spin_after_run_us: f64,
    /// CPUs: every model of the runtime in one process runs on one intra-op pool per calling thread
    /// (OpenMP's thread team: PyTorch's `set_num_threads` is process-wide), so a model that starts right
    /// after another takes over its still-spinning workers instead of competing with them. Otherwise
    /// (ONNX Runtime) each session owns its pool, whose workers spin on beside the next session's.
    pub pool_per_process: bool,
    /// CPUs: outputs larger than this many MiB come from fresh pages on every call, which the first write
    /// faults in and the kernel zeroes (the device's `page_fault_us` per 4 KiB page); 0 = the runtime reuses
    /// its memory (an arena), no such cost.
    pub fresh_pages_above_mib: f64,
    /// CPUs: matrix-vector products (GEMMs of a few rows: decode steps at small batch) are split by columns
    /// over the intra-op threads, each streaming its own panels of the prepacked weights (MLAS); otherwise
    /// the calling thread streams them all (PyTorch eager's GEMV path).
    pub splits_gemv: bool,
    /// CPUs made by Intel (`DeviceProfile::cpu_vendor`): its matrix-vector products are MKL's threaded GEMV
    /// there, split over the intra-op threads even where `splits_gemv` is false and streaming the weights
    /// once as they lie, with no panels packed (`packs_weights_per_call` applies to its GEMMs only).
    pub splits_gemv_on_intel: bool,
    /// CPUs made by Intel, where `splits_gemv_on_intel` holds: share of the read bandwidth its threaded GEMV
    /// streams the weights at (1 = as fast as `mmperf calibrate`'s streaming read); elsewhere
    /// `gemv_bandwidth_efficiency` applies.
    pub intel_gemv_bandwidth_efficiency: f64,
    /// CPUs: generation runs the prefill and the cached decode steps as two sessions (Optimum's decoder and
    /// decoder-with-past models, `bench/real`'s exports), so the prefill session's workers keep spinning
    /// (`spin_after_run_us`) into the first decode steps, on cores the decode session needs.
    pub decode_session_apart: bool,
    /// CPUs: share of the read bandwidth its matrix-vector kernels stream weights at from memory (1 = as fast
    /// as `mmperf calibrate`'s streaming read).
    pub gemv_bandwidth_efficiency: f64,
    /// CPUs: share of the bandwidth its depthwise convolutions move their activations at (1 = memory-bound at
    /// `mmperf calibrate`'s streaming rate).
    pub depthwise_bandwidth_efficiency: f64,
    /// CPUs not made by Intel: the widest vectors its matrix-product GEMMs (linear layers, and the 1×1
    /// convolutions below `cpu_pointwise_conv_gemm_below_batch`) use there, bits (0 = as wide as the CPU's
    /// FMA datapath). On a CPU whose FMA datapath is wider (`DeviceProfile::fma_width_bits`) they reach this
    /// share of the FP32 peak; other convolutions keep the full width.
    pub cpu_gemm_bits_off_intel: u32,
    /// CPUs: 1×1 convolutions run as matrix products (`cpu_gemm_bits_off_intel`) only on one thread and below
    /// this batch; on more threads or at a larger batch they run as convolutions (0: always as
    /// convolutions).
    pub cpu_pointwise_conv_gemm_below_batch: u32,
    /// CPUs: its convolutions (1×1 ones where they do not run as matrix products) compute in the
    /// convolution library's blocked layout on tensors the runtime keeps plain (NCHW), so every call copies
    /// the input into that layout and the output back (PyTorch eager on oneDNN); depthwise convolutions'
    /// copies are in `depthwise_bandwidth_efficiency`.
    pub cpu_conv_layout_copies: bool,
    /// CPUs: elements per second, in billions, one thread of its fused residual-add-and-layer-norm kernel
    /// processes (`Op::skip_norm`), where that kernel is slower than memory; 0 = costed as any normalisation.
    pub cpu_skip_norm_gelems_per_thread: f64,
    /// CPUs: elements per second, in billions, one thread of its normalisation kernels (layer, RMS and group
    /// norms, fused or not; not attention's softmax) processes, where they run slower than memory; 0 = at
    /// memory and vector speed.
    pub cpu_norm_gelems_per_thread: f64,
    /// CPUs: elements per second, in billions, one thread of its sigmoid-gated activation kernels (SiLU,
    /// QuickGELU: `Activation::Sigmoid`) processes, which it runs as kernels of their own; 0 = fused into the
    /// producer where the runtime fuses epilogues.
    pub cpu_sigmoid_gelems_per_thread: f64,
    /// CPUs: the same for its GELU kernels (`Activation::Gelu`).
    pub cpu_gelu_gelems_per_thread: f64,
    /// CPUs: arithmetic one element of its GELU kernel costs at the device's vector rate (the rate its
    /// small GEMMs reach per core), FLOP: an exact (erf) GELU evaluates a polynomial per element, so on a core
    /// with narrower or slower vectors it is slower per element, where a fixed element rate would not follow
    /// the core; 0 = 2 FLOP per element like any element-wise kernel.
    pub cpu_gelu_flops_per_elem: f64,
    /// CPUs: elements per second, in billions, one thread of its softmax kernel (unfused attention's)
    /// processes, where it runs slower than memory; 0 = at memory and vector speed.
    pub cpu_softmax_gelems_per_thread: f64,
    /// CPUs: share of its small-GEMM arithmetic rate (the device's vector rate) its depthwise convolutions
    /// compute at, where they run through the GEMM kernel group by group; 0 = as any other vector work.
    pub cpu_depthwise_vector_share: f64,
    /// WebAssembly: its GEMMs' rate over the tuned GEMM's that `measureWasmGemm` times in the same page, on one
    /// thread (0 = not measured). A profile made from that measurement sets the runtime's kernel efficiency to
    /// it (`calibrate::wasm`).
    pub wasm_gemm_ratio: f64,
    /// CPUs: the Amdahl serial share of each tiled GEMM kernel on more than one thread (0 = the kernel's tiles
    /// divide over the threads at the busy cores' rate): on `T` threads it takes `1 + s·(T − 1)` times the
    /// time the tiles alone would, the part of the kernel (packing shared panels, the last partial blocks,
    /// the join) that does not divide.
    pub cpu_gemm_serial_share: f64,
    /// CPUs made by Intel with 512-bit FMA (AVX-512): its tiled GEMM kernels' rate over the tuned GEMM
    /// `mmperf calibrate` times on the same core (0 = not measured: taken as 1, as on every other CPU).
    pub cpu_intel_avx512_gemm_ratio: f64,
    /// CPUs: share of its FP32 matrix products' rate (the tuned GEMM's, times `cpu_intel_avx512_gemm_ratio`
    /// where that applies) its fused attention kernels compute at, whatever the model's precision (0 = as
    /// any matrix product, at the model's precision).
    pub cpu_attention_share: f64,
    /// What it runs as TF32 when a model asks for fp32 on a GPU that has a TF32 rate, left at its default
    /// (the runtime's `source` says where that default is documented).
    pub fp32_as_tf32: Tf32Default,
    /// CUDA GPUs: it hands its convolutions the framework's default NCHW tensors unless the model entry asks
    /// for channels-last ones ([`crate::predict::spec::MemoryFormat`]), and cuDNN's tensor-core convolution
    /// kernels read NHWC, so every 2-D convolution on tensor cores has its input transposed to NHWC, and on
    /// GPUs before the A100 its output back to NCHW (`Placement::layout_copies`; cuDNN's `nchwToNhwcKernel`
    /// and `nhwcToNchwKernel` in Nsight traces of NCHW models; timm's NHWC result files run 1.09-1.21x its NCHW
    /// ones on the RTX 3090 and 4090). PyTorch eager. Not TensorRT, which picks each layer's format when it
    /// builds the engine. ONNX Runtime's CUDA provider also hands cuDNN NCHW tensors by default (its
    /// `prefer_nhwc` option is off), but no published row measures it, so it is left without the copies.
    pub gpu_conv_layout_copies: bool,
    /// Platforms the runtime runs on.
    pub platforms: Vec<Platform>,
    /// Where the numbers come from.
    pub source: String,
}

struct Rt {
    name: &'static str,
    host_us: f64,
    call_us: f64,
    fuse: bool,
    runs: bool,
    whole_graph: bool,
    flash: bool,
    eff: f64,
    mem: f64,
    workspace: f64,
    context: f64,
    shared_alloc: bool,
    compile_us: f64,
    logits_all: bool,
    autocast: bool,
    tf32: Tf32Default,
    nchw_convs: bool,
    cpu: CpuRules,
    platforms: &'static [Platform],
    source: &'static str,
}

use Platform::*;

/// How a runtime uses a CPU's cores; the `RuntimeProfile` fields of the same meaning say what each is.
#[derive(Clone, Copy)]
struct CpuRules {
    /// Host time per kernel on a CPU, µs (`None`: the runtime's `host_us`).
    host_us: Option<f64>,
    /// Host time per call on a CPU, µs (`None`: the runtime's `call_us`).
    call_us: Option<f64>,
    /// Kernel efficiency on a CPU (`None`: the runtime's `eff`).
    eff: Option<f64>,
    region_us: f64,
    grain: f64,
    spins: bool,
    packs: bool,
    tiled: bool,
    spin_after_us: f64,
    pool_per_process: bool,
    fresh_pages_mib: f64,
    splits_gemv: bool,
    splits_gemv_on_intel: bool,
    intel_gemv_eff: f64,
    decode_apart: bool,
    gemv_eff: f64,
    depthwise_eff: f64,
    gemm_bits_off_intel: u32,
    pointwise_gemm_below_batch: u32,
    conv_layout_copies: bool,
    skip_norm_gelems: f64,
    norm_gelems: f64,
    sigmoid_gelems: f64,
    gelu_gelems: f64,
    gelu_flops: f64,
    softmax_gelems: f64,
    depthwise_vector_share: f64,
    wasm_gemm_ratio: f64,
    gemm_serial: f64,
    intel_avx512_gemm: f64,
    attention_share: f64,
}

/// Runtimes that never run kernels on a CPU (TensorRT, QNN, WebLLM): no pool, nothing measured.
const NOT_ON_CPU: CpuRules = CpuRules {
    host_us: None,
    call_us: None,
    eff: None,
    region_us: 0.0,
    grain: 0.0,
    spins: false,
    packs: false,
    tiled: true,
    spin_after_us: 0.0,
    pool_per_process: false,
    fresh_pages_mib: 0.0,
    splits_gemv: false,
    splits_gemv_on_intel: false,
    intel_gemv_eff: 1.0,
    decode_apart: false,
    gemv_eff: 1.0,
    depthwise_eff: 1.0,
    gemm_bits_off_intel: 0,
    pointwise_gemm_below_batch: 0,
    conv_layout_copies: false,
    skip_norm_gelems: 0.0,
    norm_gelems: 0.0,
    sigmoid_gelems: 0.0,
    gelu_gelems: 0.0,
    gelu_flops: 0.0,
    softmax_gelems: 0.0,
    depthwise_vector_share: 0.0,
    wasm_gemm_ratio: 0.0,
    gemm_serial: 0.0,
    intel_avx512_gemm: 0.0,
    attention_share: 0.0,
};

/// Share of a GEMM tile's rate a fused attention kernel sustains on a GPU. FlashAttention-2 (Dao, 2023)
/// reports its forward pass at 50-73 % of the A100's peak, below cuBLAS GEMMs of the same size, and at head
/// dimension 64 and sequences of a few hundred tokens (BERT's) the lower end; older fused kernels (TensorRT's
/// BERT plugins) less. Reliability U: `tests/published.rs` fits it (`gpu_attention_share`) with the other
/// constants no datasheet gives; every fold keeps it at ×1 (sessions 36 and 37). NPUs run attention unfused,
/// its softmax on their vector DSPs (`DeviceProfile::vector_unit_share`, session 37; before, a share fitted
/// for them came out at ×0.42-0.55 with AI Hub's Whisper encoders in training).
pub const ACCELERATOR_ATTENTION_SHARE: f64 = 0.5;

/// glibc serves allocations above its mmap threshold with `mmap` and returns them with `munmap` on free; the
/// threshold rises to the size of freed mapped blocks, but only up to `DEFAULT_MMAP_THRESHOLD_MAX`, 32 MiB on
/// 64-bit systems (mallopt(3), M_MMAP_THRESHOLD). Above it every allocation is a fresh mapping.
pub const GLIBC_MMAP_THRESHOLD_MAX_MIB: f64 = 32.0;

/// ATen's `at::internal::GRAIN_SIZE` (aten/src/ATen/Parallel.h): element-wise kernels below 32,768
/// elements run on the calling thread. ONNX Runtime's cost-model split and XNNPACK's tiling keep similar
/// minimum chunks; the same figure is used for them (U).
const ATEN_GRAIN_SIZE: f64 = 32768.0;

/// ONNX Runtime's own pool (Eigen-derived, `allow_spinning` on by default) hands out work without a full
/// OpenMP fork: about half PyTorch's per-thread cost, 0.5 µs (U, not measured). Its workers keep spinning
/// 38.8 ms after a run (38.2-46.1 over 15 repeats), measured by `bench/real/spin_probe.py` (CPU time the
/// process burns while its caller sleeps right after a run, per worker; onnxruntime 1.32 on the 2-core
/// development VM). MLAS prepacks constant weights when the session is created. Its kernels are as good as
/// the tuned GEMM `mmperf calibrate` measures (kernel efficiency 1 on CPUs): on the development VM ResNet-50
/// at batch 1 ran 75 ms on one thread (8.2 GFLOP: 109 GFLOP/s, its direct NCHWc convolutions above the
/// 101-106 GFLOP/s of the calibrated large GEMM), and the 0.85 that holds against cuBLAS predicted 72 of the 86
/// solo ORT runs too slow, up to 66 % (bench/real, `onnxruntime-dev-vm-s5`: median error alone 16.9 % ->
/// 10.0 %).
/// Matrix-vector products: MLAS splits a GEMV's columns over the pool, each thread streaming its own panels
/// of the prepacked weights, at 0.91 of the calibrated read: measured by `bench/real/gemv.py` (56 batch-1
/// MatMuls of GPT-2's MLP shapes, 528 MB of weights, onnxruntime 1.32 on the development VM, `mmperf
/// calibrate` just before): 22.2 GB/s on one thread and 31.5 on two, 0.91 and 0.92 of the calibrated
/// streaming read on the same threads (24.4 and 34.2 GB/s); a decode step alone ran 1.3-1.5x faster on two
/// threads (`bench/real/decode_steps.py`).
/// Generation runs as two sessions (`bench/real`'s prefill and decode graphs, as Optimum's decoder and
/// decoder-with-past models), so each starts while the other's pool still spins
/// (`Placement::beside_other_session` in the predictor).
const ORT_CPU: CpuRules = CpuRules {
    region_us: 0.5,
    grain: ATEN_GRAIN_SIZE,
    spins: true,
    spin_after_us: 38_800.0,
    eff: Some(1.0),
    splits_gemv: true,
    decode_apart: true,
    gemv_eff: ORT_GEMV_READ_SHARE,
    skip_norm_gelems: ORT_SKIP_LAYER_NORM_GELEMS,
    ..NOT_ON_CPU
};

/// ONNX Runtime fuses a post-norm encoder's residual add and layer norm (BERT, DistilBERT, MiniLM) into its
/// `SkipLayerNormalization` kernel, which runs far below memory speed: 0.25 G elements per second on one
/// thread and 0.51 on two (1 × 128 × 768 and 8 × 128 × 384, 388 and 1,553 µs per node on one thread),
/// against 3.0 and 5.8 for its plain `LayerNormalization` and 1.6 for `SkipSimplifiedLayerNormalization`
/// (`bench/real/ort_ops.py`, onnxruntime 1.32, one and two threads, the Zen 5 development VM, session 13).
/// In BERT-base at batch 1 its 25 nodes took 9.9 of 119.8 ms (ORT's profiler); in MiniLM at batch 8 its 12
/// took 18.9 of 140.4 ms. Pre-norm stacks (ViT, GPT-2, T5, Whisper) keep the plain kernels.
const ORT_SKIP_LAYER_NORM_GELEMS: f64 = 0.25;

/// ONNX Runtime's pool rules with matrix-vector products on one thread at the full read and generation in one
/// session: what PyTorch was measured to do (below), and what runtimes whose pools are taken to behave like
/// ONNX Runtime's keep (ONNX Runtime's own GEMV and two-session figures were not measured for them).
const ORT_MEASURED_APART: CpuRules = CpuRules {
    splits_gemv: false,
    decode_apart: false,
    gemv_eff: 1.0,
    skip_norm_gelems: 0.0,
    ..ORT_CPU
};

/// ONNX Runtime's GEMV read rate over the calibrated streaming read (`bench/real/gemv.py`: 0.91 on one
/// thread, 0.92 on two). Measured against the one-stream read `calibrate` had until session 29 (on the Zen 5
/// development VM); it reads four interleaved streams since, 1.03-1.21x more on one thread and 1.11-1.36x on
/// two on the Intel Xeon VM (three side-by-side calibrations, `stream_sum` in `src/native/bench.rs`), and the
/// share has not been measured against that read on an AMD VM.
const ORT_GEMV_READ_SHARE: f64 = 0.91;

/// PyTorch eager on a CPU.
/// - Host time per kernel 17.4 µs: measured by `bench/real/overhead.py` on the catalog's BERT-base, GPT-2
///   and T5-small architectures shrunk to width 8 (every layer kept, so only the host path is left: Hugging
///   Face modules in Python, the ATen dispatcher, allocation, cache objects), one thread, torch 2.15 on the
///   development VM: a BERT forward 2.13 ms over the 123 kernels the predictor counts (17.3 µs), a GPT-2
///   decode step 2.14 ms over 123 (17.4 µs), a T5 decode step 1.98 ms over 93 (21.3 µs); the median.
/// - Region 1 µs per extra thread: the pool is OpenMP (libgomp in the PyPI wheels), whose workers spin
///   between regions (GOMP_SPINCOUNT), so a region costs a wake-up signal and a barrier per thread, about a
///   microsecond on a server core (EPCC OpenMP microbenchmarks: PARALLEL overhead of a few µs on 8-16
///   threads). Reliability U: not measured here.
/// - Weights packed per call: eager `linear` calls MKL/oneDNN `sgemm` with the weight as a plain tensor,
///   which packs it into panels on every call. On the development VM BERT-base at batch 1 runs 268 ms on one
///   thread and 154 ms on two: a part of about 27 ms does not divide by the threads, 85 M weights (340 MB)
///   read and written once at one core's 25 GB/s (bench/real results).
/// - Workers spin 8.6 ms after a run (8.0-9.1), measured as for ONNX Runtime above, but the pool is the
///   process's (`pool_per_process`): a model run right after another in the same process takes those
///   workers over. Measured in `bench/real`'s sequential plans: PyTorch's ran at 0.99-1.02 of the sum of
///   their models alone (median over the scenarios of each of nine runs, sessions 10-14), ONNX Runtime's
///   at 1.15-1.33 (its sessions' pools spin on beside the next session); in one process, back to back,
///   PyTorch's at 0.97-0.99 (sessions 14 and 14b).
/// - Outputs above [`GLIBC_MMAP_THRESHOLD_MAX_MIB`] are fresh pages on every call: eager mode allocates each
///   output through `c10::alloc_cpu` (`posix_memalign`, glibc malloc). Measured on the development VM by
///   `bench/real/kernels.py` (torch 2.15, one thread; `bench/real/results/kernels-pytorch-dev-vm.json`):
///   ReLU6 over 31.5 MiB 2.4 ms, over 32.5 MiB 16.4 ms against 2.1 ms into a preallocated output, 1.7 µs per
///   4 KiB page above the threshold (0.9 µs on two threads: `kernels-pytorch-dev-vm-2threads.json`), which
///   MobileNet-v2's and EfficientNet-B0's 112×112×96 feature maps at batch 8 (38.5 MB) pay twice per pass
///   (the expansion convolution's output and its batch norm's; the activation runs in place). ONNX Runtime
///   plans its activations in an arena and does not.
/// - Matrix-vector products run on one thread off Intel and on every thread on Intel CPUs, reading the
///   weights once (no panels packed: MKL's GEMV streams the weights as they lie) at the calibrated read
///   rate, on Intel at [`MKL_INTEL_GEMV_READ_SHARE`] of it. `bench/real/gemv.py` (as for ONNX Runtime above, torch 2.15; 528 MB of weights): on the AMD Zen 5
///   development VM 29.4 ms on one thread and 29.0 on two (session 10); on the Zen 3 VM 16.2-18.2 GB/s on
///   one thread and the same on two, 1.09-1.24 of the calibrated one-thread read (sessions 22, 26, 27:
///   `results/gemv-zen3-vm-s2*.json`); on a 2-vCPU Intel Xeon VM (AVX-512) 12.5 GB/s on one thread (1.02 of
///   the calibrated read) and 23.5 on two (1.14 of the calibrated two-thread read), as ONNX Runtime's split
///   GEMV there, 12.7 and 23.8 (session 28, `results/gemv-xeon-vm-s28.json`). Packing the weights as a
///   GEMM does (read and written once, `packs_weights_per_call`) would take twice the one-thread read.
///   Off Intel the model keeps that packing for GEMVs too (`splits_gemv_on_intel` off): dropping it there
///   lost 10 of 153 picks over the nine stored AMD runs (T5-small's short-row steps, 512 floats, then
///   predicted 30 % too fast: `gemv_shapes.py` read such rows at 9-13.5 GB/s with a 5-8 µs fixed cost per
///   call on the Zen 3 VM), so there the packing stands in for what is not modelled.
/// - Weight packing (`packs_weights_per_call`) on Intel, not modelled apart: `bench/real/gemm_probe.py
///   --stack` (BERT-base's 72 linear layers at 128 rows, each with its own weights against one layer's
///   reused; the Xeon VM, session 28, `results/gemm-probe-xeon-vm-s28.txt`) spent 13.9-20.6 ms more with
///   its own weights on one thread (340 MB at 16.5-24.5 GB/s: read once, 1.25-1.9 of the calibrated
///   one-thread read) and 6.6-12.0 ms on two, where the one-core read-and-write rule charges 52 ms on both.
///   Charging it as a read at the threads' bandwidth on Intel brought the session-28 run's median errors to
///   9.5 % alone and 12.3 % concurrent but its picks from 16 to 14 of 17 (two-thread plans then predicted
///   7-15 % too fast), so it is not applied.
const PYTORCH_CPU: CpuRules = CpuRules {
    host_us: Some(17.4),
    region_us: 1.0,
    packs: true,
    splits_gemv_on_intel: true,
    intel_gemv_eff: MKL_INTEL_GEMV_READ_SHARE,
    spin_after_us: 8_600.0,
    pool_per_process: true,
    fresh_pages_mib: GLIBC_MMAP_THRESHOLD_MAX_MIB,
    eff: Some(PYTORCH_CPU_KERNEL_EFFICIENCY),
    depthwise_eff: PYTORCH_DEPTHWISE_SHARE,
    gemm_bits_off_intel: MKL_BITS_OFF_INTEL,
    pointwise_gemm_below_batch: ATEN_POINTWISE_CONV_GEMM_BELOW_BATCH,
    conv_layout_copies: true,
    gelu_flops: ATEN_GELU_FLOPS_PER_ELEM,
    gemm_serial: MKL_GEMM_SERIAL_SHARE,
    intel_avx512_gemm: MKL_INTEL_AVX512_GEMM_RATIO,
    ..ORT_MEASURED_APART
};

/// PyTorch's GEMMs (MKL's `sgemm`) on an Intel core with AVX-512 against the tuned GEMM `mmperf calibrate`
/// times there (matrixmultiply's AVX-512 16×16 kernel): `bench/real/gemm_probe.py` on the 2-vCPU Intel Xeon
/// VM, `torch.mm` 512×768×768 on one thread, 159.7 GFLOP/s against calibrate's 135.4 (session 28,
/// `results/gemm-probe-xeon-vm-s28.txt`: 1.18) and 186.4 against 154.2 a minute apart (session 31,
/// `results/gemm-probe-xeon-vm-s31.txt`: 1.21); the mean, 1.195. ONNX Runtime's MLAS ran the same product at
/// 183.9 (1.19) but its solo runs there are predicted within -9 to +2 % at 1, so it keeps 1 (not measured
/// apart). Before it the Xeon VM's PyTorch solo runs were predicted up to 23 % too slow (session 31's first
/// two blind runs, `results/check-pytorch-xeon-vm-s31*.txt`); over the nine stored PyTorch runs there the picks stay 141 of 153 and the median errors
/// fall from 9.2-22.9 % to 8.2-12.8 % alone and from 12.8-23.5 % to 7.1-14.0 % concurrent.
const MKL_INTEL_AVX512_GEMM_RATIO: f64 = 1.195;

/// The serial share of PyTorch's GEMMs on more than one thread (`RuntimeProfile::cpu_gemm_serial_share`):
/// `bench/real/gemm_probe.py --linear` (`torch.nn.functional.linear` at BERT-base's, MiniLM's and ViT-B's
/// shapes, 128-512 rows, on one thread and on two, each the median of 30 calls) on the 2-vCPU Intel Xeon VM
/// ran two threads at 1.85x one thread's rate (median of 18 shape pairs over two passes, session 28:
/// `results/gemm-probe-xeon-vm-s28.txt`) and 1.93x (session 31: `results/gemm-probe-xeon-vm-s31.txt`); over
/// the 36 pairs 1.887x, where two single-thread GEMM streams run at 0.984 of one alone (the median all-core
/// rate of the eleven calibrations next to this VM's PyTorch runs, 0.90-1.00): `2 × 0.984 / 1.887 − 1` =
/// 0.043. The constant, 0.042, is what session 31 computed from 0.985 and 1.89 (`2 × 0.985 / 1.89 − 1`);
/// the 0.001 between the two is far inside the 1.85-1.93x spread of the two sessions' probes. The same
/// Amdahl form as a device's `serial_fraction`, but the runtime's and for its GEMMs only. The same figure is
/// applied to its convolutions (oneDNN), which were not measured apart. Over the 16 stored PyTorch runs it
/// moves the picks from 230 to 233 of 272 (none lost).
const MKL_GEMM_SERIAL_SHARE: f64 = 0.042;

/// PyTorch's (MKL's) threaded GEMV on an Intel CPU over `mmperf calibrate`'s four-stream read: measured by
/// `bench/real/gemv.py --layouts --profile` (torch 2.15, 528 MB of GPT-2's MLP shapes; the 2-vCPU Intel Xeon
/// VM, session 29, `results/gemv-xeon-vm-s29.json`, against a calibration taken minutes before): `x @ W`
/// 0.83 on one thread and 0.80 on two, `F.linear` 0.80 and 0.81; T5-small's shapes read 0.75-0.85 of it
/// (`gemv_shapes.py`). The median of the four.
const MKL_INTEL_GEMV_READ_SHARE: f64 = 0.805;

/// What one element of ATen's exact GELU (`aten::gelu`, erf form, fp32) costs at the device's vector rate,
/// FLOP. Measured with `bench/real/op_profile.py` (torch 2.15, one thread; 4.72 M GELU elements in each
/// model: MiniLM at batch 4, BERT-base at batch 1) against the 16-row GEMM rate `mmperf calibrate` measured
/// on the same VM, which is the vector rate a calibrated profile gives:
/// - Zen 5 VM (AVX-512): 7.29, 8.52 and 8.69 ms (`op-profile-pytorch-kept-heap-dev-vm-s21-minilm.txt`,
///   `...-s21-bert.txt`), 0.54-0.65 G elements/s, against 80.7 GFLOP/s (session 20's calibration): 125-149
///   FLOP per element;
/// - Zen 3 VM (AVX2): 14.11 ms (`op-profile-pytorch-kept-heap-zen3-vm-s22-minilm.txt`), 0.335 G elements/s,
///   against 45.1 GFLOP/s (`profile-zen3-vm-s22-pt.json`, the same session): 135.
///
/// 140 is the median of the four figures (124.7, 134.9, 145.7, 148.6).
///
/// The model's 2 FLOP per element put these kernels at 1.0-1.3 ms. SiLU does not follow one figure this way
/// (Zen 5 4.56 G elements/s, Zen 3 1.01: 18 and 45 FLOP per element), so it keeps the element-wise cost.
const ATEN_GELU_FLOPS_PER_ELEM: f64 = 140.0;

/// PyTorch's CPU kernels against the tuned GEMM `mmperf calibrate` times, at the vector width they use
/// ([`MKL_BITS_OFF_INTEL`]): `bench/real/gemm_probe.py` right after a calibration on the Zen 5 development VM
/// (torch 2.15, one thread, session 16): `torch.mm` 512×768×768 108.8 GFLOP/s against the tuned GEMM's 206.4
/// (1.05 of its AVX2 half), 16×768×768 85.2 against 78.0 (1.09: a few rows are bound by moving data, not by
/// the vector width); oneDNN's 1×1 and 3×3 convolutions of ResNet-50 at batch 1 on two threads ran 485 and
/// about 450 GFLOP/s in `ONEDNN_VERBOSE` kernel times against the tuned GEMM's 390-434. 1, not the 0.9 its GPU
/// kernels are given: over sessions 13-16 the catalog's encoders and ResNet-50 were predicted 7-17 % slow on
/// one thread.
const PYTORCH_CPU_KERNEL_EFFICIENCY: f64 = 1.0;

/// PyTorch's CPU matrix products (`addmm` for linear layers, and the GEMMs of 1×1 convolutions in
/// `_slow_conv2d_forward`) run in MKL's `sgemm`, which dispatches its AVX-512 kernels on Intel CPUs only and
/// its AVX2 (256-bit) kernels elsewhere; convolutions with a larger window run in oneDNN
/// (`mkldnn_convolution`), which picks AVX-512 on any vendor. Measured on a 2-vCPU AMD EPYC Zen 5 VM (two
/// 512-bit FMA pipes; torch 2.15 reports AVX512 capability; `bench/real/gemm_probe.py`): one thread,
/// `torch.mm` 512×768×768 111 GFLOP/s, 16×768×768 87, against ONNX Runtime's MLAS 260 and 228 and the
/// calibrated tuned GEMM's 212 on the same core: half the AVX-512 rate, as 256-bit FMAs on the same two
/// pipes give. On Zen 4, whose 512-bit instructions run over 256-bit pipes, both widths reach the same peak.
const MKL_BITS_OFF_INTEL: u32 = 256;

/// ATen routes a 1×1 convolution (stride 1, fp32) to its own im2col-and-GEMM path (`_slow_conv2d_forward`,
/// MKL's `sgemm`) only when one thread runs it and the batch is below 16 (`ConvParams::use_mkldnn` in
/// `aten/src/ATen/native/Convolution.cpp`: "for 1x1 filters, MKLDNN is faster than THNN when
/// multi-threaded"); otherwise oneDNN runs it, with AVX-512 on any vendor. Measured on the Zen 5 development VM
/// (torch 2.15, `bench/real/gemm_probe.py --conv`, `bench/real/results/conv1x1-pytorch-dev-vm-s14.txt`): 1×1
/// convolutions of ResNet-50's shapes at batch 1 run 106-111 GFLOP/s on one thread (as `torch.mm`'s 111) and
/// 113-150 per thread on two; 256 → 64 channels at batch 16 on one thread 180. ResNet-50 (mostly 1×1
/// convolutions) ran 1.9-2.4x faster on two threads than on one (median 2.3) in the session-13 and -14 runs.
/// oneDNN computes in its blocked layout (`aBcd16b`) on the NCHW tensors eager mode keeps, so every oneDNN
/// convolution copies its input into that layout and its output back (`cpu_conv_layout_copies`; the
/// `ONEDNN_VERBOSE=1` log shows a `reorder` primitive either side of each `jit_1x1` / `jit` convolution).
/// Measured by `bench/real/pointwise.py` (torch 2.15, two threads, the Zen 5 development VM, session 16): the
/// 1×1 layers of mobilenet-v2 at batch 1 and 8 took 5.9 and 49.1 ms on NCHW tensors against 4.0 and 27.5 ms
/// on channels-last ones (no activation copies), efficientnet-b0's 7.1 and 57.3 against 4.8 and 33.9: the
/// copies cost the 27-28 and 219-222 MB of activations in and out at 9.5-14.4 GB/s, the order of a second
/// read and write of each at the calibrated 2-thread bandwidth (about 60 GB/s) plus, at batch 8, the fresh
/// pages of the copies above 32 MiB. ResNet-50's wide layers hide them (13.7 ms NCHW against 14.5
/// channels-last at batch 1), which the rule does not see: it charges them there too. Not modelled either:
/// copies of 112×112 maps ran at 29 GB/s where 56×56 and smaller ones in cache ran at 44-120.
const ATEN_POINTWISE_CONV_GEMM_BELOW_BATCH: u32 = 16;

/// PyTorch's depthwise convolutions on a CPU move their activations at about 0.15 of one core's streaming
/// bandwidth per thread, and scale with the threads (oneDNN reorders the NCHW tensors to its blocked layout
/// and back around each call). Measured by `bench/real/op_profile.py` (torch.profiler self time of
/// `aten::mkldnn_convolution` on the depthwise layers; torch 2.15 on the 2-core development VM, quiet, after
/// a `mmperf calibrate` that read 22.7 GB/s on one thread): mobilenet-v2 at batch 1 and 8 on 1 and 2 threads
/// 5.9, 3.6, 74.3 and 27.3 ms for 24.2 and 193.4 MB of activations, efficientnet-b0 4.6, 2.7, 80.8 and
/// 34.7 ms for 24.4 and 195.0 MB: 2.4-5.4 GB/s per thread, geometric mean 3.45 (0.15 of 22.7). The
/// memory-bound cost predicted 5-8x less (mobilenet-v2 at batch 8 on one thread: 9.7 ms).
/// What the share holds, measured afterwards (`getrusage` around single calls, one thread): at batch 8 most of
/// a large call is page faults, not the kernel: mobilenet-v2's 96-channel 112×112 stride-2 layer 37.3 ms, of
/// which 28.0 ms system time and 14,083 minor faults (55 MB of fresh pages for 48 MB of input and output:
/// oneDNN's blocked copies are allocated afresh on every call), its user time 9.3 ms (5.2 GB/s); at batch 1
/// no faults and 12-13 GB/s. So this share stands for the reorders and their fresh pages together; modelling
/// those faults as the fresh-page rule does for outputs above 32 MiB would replace it.
const PYTORCH_DEPTHWISE_SHARE: f64 = 0.15;

/// PyTorch eager's name: the runtime whose kernels its variants run ([`RuntimeProfile::kernels_of`]).
pub const PYTORCH_EAGER: &str = "pytorch";
/// The catalog name of PyTorch on a kept heap (`mmperf check-real` predicts such runs with it).
pub const PYTORCH_KEPT_HEAP: &str = "pytorch-kept-heap";
/// PyTorch eager under `torch.autocast` on a GPU (`RuntimeProfile::casts_weights_per_call`).
pub const PYTORCH_AUTOCAST: &str = "pytorch-autocast";
/// PyTorch's `torch.compile` with its default backend, TorchInductor, and default mode on a GPU.
pub const PYTORCH_COMPILE: &str = "pytorch-compile";
/// [`PYTORCH_COMPILE`] under `torch.autocast`.
pub const PYTORCH_COMPILE_AUTOCAST: &str = "pytorch-compile-autocast";

/// PyTorch eager on a CPU whose heap keeps the pages it has freed: glibc malloc with trimming and mmap off
/// (`MALLOC_TRIM_THRESHOLD_=107374182400 MALLOC_MMAP_MAX_=0`, what `bench/real/run.py` measures PyTorch with
/// by default), or an allocator that retains them as jemalloc and TCMalloc do (PyTorch's CPU performance
/// tuning guide suggests them; not measured here). glibc's defaults give the pages of freed tensors back to
/// the OS and the next call faults them in again, an amount that depends on the process's history
/// (`bench/real/heap_faults.py`: MobileNet-v2 at batch 8 spends 53-57 % of its time there); with the heap
/// kept a call faults at most 1,254 pages in steady state there, against up to 64,385, so:
/// - no output is fresh pages (`fresh_pages_mib` 0), whatever its size;
/// - depthwise convolutions move their activations at [`PYTORCH_KEPT_HEAP_DEPTHWISE_SHARE`] of one core's
///   bandwidth per thread, not at [`PYTORCH_DEPTHWISE_SHARE`], which carries the faults of their reorders.
///
/// Everything else is measured as for [`PYTORCH_CPU`] (on models that fault little under glibc's defaults:
/// encoders, ResNet-50).
const PYTORCH_KEPT_HEAP_CPU: CpuRules = CpuRules {
    fresh_pages_mib: 0.0,
    depthwise_eff: PYTORCH_KEPT_HEAP_DEPTHWISE_SHARE,
    ..PYTORCH_CPU
};

/// PyTorch's depthwise convolutions with the heap kept move their activations at about 0.27 of one core's
/// streaming bandwidth per thread. Measured by `bench/real/knockout.py` (the model's wall time per call less
/// its time with every depthwise convolution replaced by its input subsampled at the stride, heap kept, 5
/// passes, medians; torch 2.15 on the 2-core Zen 5 development VM, session 19, next to `mmperf calibrate`
/// runs that read 34.9 and 36.0 GB/s on one thread): mobilenet-v2 at batch 1 and 8 on 1 and 2 threads 1.92,
/// 1.44, 20.06 and 11.24 ms for 24.2 and 193.4 MB of activations, efficientnet-b0 at batch 1 and 4 2.80,
/// 1.68, 10.76 and 6.25 ms for 24.4 and 97.5 MB; less the predicted host time of their 16-17 kernels,
/// 7.8-14.9 GB/s per thread, geometric mean 9.7 (0.27 of 35.5). torch.profiler's self times of the same
/// layers (`op_profile.py`, heap kept) are 1.3-2.2x these (4.28, 1.62, 33.72, 11.81, 3.33, 2.07, 12.34 and
/// 5.49 ms): the profiler's own cost per operator. The same layers with glibc's defaults ran 2.3-3.7x slower
/// at batch 8 (session 12's self times: 74.3 and 27.3 ms for mobilenet-v2).
const PYTORCH_KEPT_HEAP_DEPTHWISE_SHARE: f64 = 0.27;

/// OpenVINO's CPU plugin (oneDNN, TBB): region cost and grain taken as ONNX Runtime's (U); it compiles the
/// weights into its blobs (no packing per call); spin after a run not measured (taken as none). Its CPU kernels
/// at efficiency 1 with their measured rate over the tuned GEMM on Intel AVX-512 cores
/// ([`OPENVINO_INTEL_AVX512_GEMM_RATIO`]), as PyTorch's and ONNX Runtime's, not the 0.9 its other devices take; its attention at
/// its own share of its FP32 rate ([`OPENVINO_CPU_ATTENTION_SHARE`]).
const OPENVINO_CPU: CpuRules = CpuRules {
    spin_after_us: 0.0,
    eff: Some(1.0),
    intel_avx512_gemm: OPENVINO_INTEL_AVX512_GEMM_RATIO,
    attention_share: OPENVINO_CPU_ATTENTION_SHARE,
    ..ORT_MEASURED_APART
};

/// OpenVINO's CPU plugin runs attention (its fused MHA subgraph between the Q, K and V projections and the
/// output projection, and the transpose it adds beside it) at this share of its FP32 products' rate, whatever
/// the model's precision: an INT8 model's attention is no faster than an FP32 one's. Measured by
/// `bench/real/openvino_core.py --attention` (OpenVINO's own per-node times, one single-threaded request,
/// BERT-base-cased at batch 1, the median of 20 calls; OpenVINO 2026.4.1 on the 2-vCPU Intel Xeon VM with
/// AVX-512 VNNI, BF16 and FP16 and no AMX flag, session 67: `bench/real/results/openvino-attention-s67-*.json`)
/// against the prediction at share 1 on the VM's calibrated profile (`results/profile-xeon-vm-s67-vnni.json`:
/// 0.301 ms per layer at 128 tokens and 2.697 at 384, the same for FP32 and INT8 at share 1), per layer:
/// - 128 tokens: FP32 0.661 and 0.669 ms, INT8 (OpenVINO's default: bf16 between the int8 products) 0.629 and
///   0.638, INT8 with f32 forced 0.469 and 0.485 (two runs): shares 0.45, 0.48 and 0.63;
/// - 384 tokens: FP32 4.366, INT8 4.771, INT8 with f32 forced 3.419 (one run): shares 0.62, 0.57 and 0.79.
///
/// The median of the six, 0.59. INT8 attention took 0.72-1.09 of FP32's time (the lower with f32 forced, the
/// path of CPUs without AVX512-BF16), where at share 1 the model ran it at the INT8 rate: 4 times the FP32 peak,
/// 3.5 times OpenVINO's FP32 rate with its GEMM ratio, 0.088 ms per layer at 128 tokens against 0.63 measured.
/// Measured on BERT's encoder attention at batch 1 only; taken for every fused attention OpenVINO runs on a CPU
/// (ViT, Whisper, a decoder's prefill and steps: U there), and on AMX cores (the 8490H's published rows: U).
/// OpenVINO 2024.3 (the Core Ultra and i7-1185G7 rows' version) on the same VM, an hour later and noisier, ran the
/// same models' INT8 attention in floating point (bf16 subgraphs, no int8 MHA) at 0.85-1.52 of FP32's time, shares
/// 0.27-0.48 at 128 tokens (`results/openvino-attention-s67-ov2024.3-*.json`): not folded in (they would lower it).
const OPENVINO_CPU_ATTENTION_SHARE: f64 = 0.59;

/// OpenVINO's GEMMs (oneDNN's JIT kernels) on an Intel core with AVX-512 against the tuned GEMM `mmperf
/// calibrate` times there: `bench/real/openvino_core.py --gemm` on the 2-vCPU Intel Xeon VM (AMX-INT8 and
/// AMX-BF16 in its flags; 3.41-3.53 GHz by `bench/real/clock_probe.c`), a `MatMul` of 512×768 by a constant
/// 768×768, f32 forced, one thread, OpenVINO 2026.4, each followed by `mmperf calibrate --quick` (session 53,
/// `bench/real/results/openvino-core-s53.txt`): 146.4, 147.3, 154.1 and 143.1 GFLOP/s against 125.2, 124.9,
/// 134.0 and 128.5, ratios 1.17, 1.18, 1.15 and 1.11; the mean, 1.153 (four earlier pairs the same day, not
/// kept, gave 1.12-1.25; MKL's `sgemm` there: 1.18 and 1.21 in sessions 28 and 31). The prediction takes it for
/// FP32 products only. Whole models on one core on the calibrated profile
/// (`bench/real/results/profile-xeon-vm-s53.json`), with it and OpenVINO's CPU efficiency of 1: ResNet-50
/// fp32 58.2-59.0 ms measured, 58.2 predicted (74.4 before both); BERT-base-cased at 128 tokens 166.0-166.3,
/// 186.4 (238.5 before).
const OPENVINO_INTEL_AVX512_GEMM_RATIO: f64 = 1.153;

/// WebAssembly threads are Web Workers woken with `Atomics.notify` through the browser's event machinery:
/// several µs per worker, 5 µs (U). XNNPACK packs weights at load. Their waits do not burn the cores:
/// measured in headless Chromium on the 2-core development VM (`bench/web`, onnxruntime-web 1.30.0), two
/// models each running a 2-thread ORT pool in its own worker took 2-44 % longer than the same models one after
/// another, where pools that spin through a scheduler slice at every preempted join would take 1.7-3.5x; so
/// onnxruntime-web (and transformers.js on it) and TensorFlow.js's XNNPACK pthreadpool are taken to block.
/// Spin after a run not measured in a browser (taken as none).
const WASM_CPU: CpuRules =
    CpuRules { region_us: 5.0, grain: ATEN_GRAIN_SIZE, spins: false, ..NOT_ON_CPU };

/// onnxruntime-web on its WASM EP (MLAS's WebAssembly SIMD128 kernels), measured in headless Chromium on the
/// 2-core Zen 5 development VM (onnxruntime-web 1.30.0):
/// - Fixed costs, one thread: `node bench/web/overhead.mjs` times chains of 1, 64 and 256 element-wise Adds
///   on a 1 × 16 tensor, which do no measurable arithmetic; over 3 passes a kernel dispatch took 0.23-1.15 µs
///   (median 0.47) and a `session.run` call from JS 10-35 µs (median 25), against the 5 and 150 µs assumed
///   before.
/// - GEMMs at 0.98 of the tuned GEMM `measureWasmGemm` times in the same page (`wasm_gemm_ratio`):
///   `node bench/web/gemm.mjs`, 8 MatMuls of 512 × 768 by 768 × 768 against `matrixmultiply`'s SIMD128
///   kernel, one thread each, passes alternating which ran first: 0.92-1.00 over 14 passes in three runs
///   (median 0.98; 36-39 GFLOP/s against 39-40); at 16 rows 1.2-1.3 when the tuned GEMM ran first (its
///   small-GEMM path beats the tuned crate's; 0.47 when onnxruntime-web ran first, before its code tiered
///   up), not modelled: the small tile stays the tuned GEMM's.
/// - Its own profiler (`node bench/web/op_profile.mjs`, one thread; 2 threads scale these by 1.55-1.9):
///   depthwise convolutions (MLAS's grouped path: one tiny GEMM per channel, no depthwise kernel on WASM)
///   compute at 5.6-5.9 GFLOP/s whatever their window and batch (mobilenet-v2, 3×3, at batch 1 and 8: 41
///   and 332 MFLOP in 7.1 and 59.4 ms; efficientnet-b0, 3×3 and 5×5, at batch 1 and 4: 69 and 276 MFLOP in
///   11.8 and 48.8 ms), 0.20 of the page's small-GEMM rate (the tuned GEMM's 29 GFLOP/s at 16 rows, its
///   large shape at 39.5 then); memory would allow 3-5 times that; SiLU runs as `QuickGelu` kernels of its own at 0.41 G
///   elements per second (efficientnet-b0 at batch 1 and 4: 6.16 and 24.63 M elements in 14.8 and 60.0 ms,
///   30 % of the model), GELU as `Gelu` kernels at 0.256 (bert-base, vit-base, MiniLM: 4.72, 7.26 and
///   1.18 M elements in 18.5, 28.3 and 4.5 ms), and its layer norms, plain or fused with the residual add, at
///   0.24 (`SkipLayerNormalization` in bert-base and MiniLM 0.23 and 0.22, `LayerNormalization` in vit-base
///   0.26), where memory would allow 30 times that; attention's `Softmax` at 0.59 (bert-base, vit-base,
///   MiniLM: 2.36, 5.59 and 1.18 M scores in 4.0, 9.2 and 2.0 ms: 0.59, 0.60, 0.59).
const ORT_WEB_CPU: CpuRules = CpuRules {
    host_us: Some(0.5),
    call_us: Some(25.0),
    depthwise_vector_share: 0.20,
    sigmoid_gelems: 0.41,
    gelu_gelems: 0.256,
    norm_gelems: 0.24,
    softmax_gelems: 0.59,
    wasm_gemm_ratio: 0.98,
    ..WASM_CPU
};

/// transformers.js on the WASM EP runs onnxruntime-web's kernels, so its kernel rules (GEMMs against the
/// page's tuned GEMM, its SiLU/GELU, norm, softmax and depthwise rates) are onnxruntime-web's, measured
/// through onnxruntime-web itself, not through transformers.js; its host costs per kernel and per call stay
/// its own (tokenizer and tensor marshalling around each call).
const TRANSFORMERS_JS_CPU: CpuRules = CpuRules { host_us: None, call_us: None, ..ORT_WEB_CPU };

/// A WebNN CPU context (TFLite/XNNPACK inside the browser): native threads, ONNX Runtime's region cost and
/// grain taken for it (U), blocking waits.
const WEBNN_CPU: CpuRules =
    CpuRules { spins: false, spin_after_us: 0.0, eff: None, ..ORT_MEASURED_APART };

/// The built-in CPU runner (src/native/run.rs).
/// - It starts scoped OS threads for every GEMM and joins them: thread creation and join, 30 µs per extra
///   thread (`mmperf calibrate` measured 29.7-47.9 µs per extra thread over this session's runs on the
///   development VM; it prints the figure); the joins block.
/// - Between two GEMMs it copies the previous output into the next input (`workload::chain_input`) and calls
///   the next loop, about a microsecond (U; the copy's bytes are the GEMM's activation traffic); a call is a
///   copy of the input and a loop over the chain, a few µs (U), not the 300 µs submit and read-back of its
///   WebGPU path.
/// - Its GEMMs are row loops read in place: no tiles, no packing.
const BUILTIN_CPU: CpuRules = CpuRules {
    host_us: Some(1.0),
    call_us: Some(5.0),
    region_us: 30.0,
    tiled: false,
    ..NOT_ON_CPU
};

/// PyTorch eager's host time per kernel on a GPU before the published rows' fit, µs: ~5-25 µs of CPU dispatch
/// per op (Python, pybind, ATen dispatcher, cudaLaunchKernel; jiahuanglin.xyz 'From PyTorch op to kernel
/// launch'), taken as 15 (U). The prior `tests/published.rs` fits `pytorch_gpu_host_us` toward, so that no fold
/// starts from a value its held-out rows shaped.
pub const PYTORCH_GPU_HOST_US_PRIOR: f64 = 15.0;
/// PyTorch eager's host time per kernel on a GPU (CUDA, ROCm, MPS), µs: the prior times the factor the fit over
/// all published rows gives (2^(14/8) = ×3.364, session 50: 50.5 µs), once a kernel's launch overlaps the kernels
/// before it. What it stands for: NVIDIA's DeepLearningExamples ResNet-50 v1.5 tables (PyTorch 21.03) are flat
/// from batch 1 to 4, a host floor (V100 FP32 10.37 / 10.24 / 10.46 ms, T4 FP32 10.7 / 11.26 ms at 1 / 2; AMP
/// flat to batch 8-16 at 12.8-14 ms): about 60 µs for each of its 174 eager kernels, or 54 µs counting the 192
/// its timed validation step runs (session 57), with module calls and cuDNN's per-call work on a DGX-1's 2.2 GHz
/// Broadwell; the M1 MPS benchmark's EfficientNet-B0 at batch 1 (15.4 ms for about 200 kernels) is host-bound at
/// a similar cost (its timer never synchronises, so it times the host's queueing alone; the MPS rows are kept
/// apart from the fit since session 60, `tests/data/published-pending.json`). Faster hosts run the same kernels in
/// less ([`PYTORCH_GPU_HOST_US_PUBLISHED`]).
pub const PYTORCH_GPU_HOST_US: f64 = PYTORCH_GPU_HOST_US_PRIOR * 3.363_585_661_014_858;

/// The host time per kernel PyTorch eager's published batch-1 GPU rows imply on the machines they ran on, µs
/// (published time over the kernels the catalog counts, DeepLearningExamples' timed validation step included;
/// `tests/data/published-candidates.json`): 34 on a DGX A100 (two AMD EPYC 7742; EfficientNet-B0, TF32), 37 on
/// an AWS p3.2xlarge (Xeon E5-2686 v4; YOLOv5n, FP16), 54 on a DGX-1 (two Xeon E5-2698 v4; ResNet-50 and
/// EfficientNet-B0, FP32). One container, script and model ran 1.57x faster per image at batch 1 on the DGX A100
/// than on the DGX-1: the host machine, which the catalog does not describe, sets this time. What a
/// host-bound prediction's warning quotes ([`PYTORCH_GPU_HOST_US`] sits at the slow end).
pub const PYTORCH_GPU_HOST_US_PUBLISHED: (f64, f64) = (34.0, 54.0);

/// PyTorch eager (CUDA, ROCm, MPS, CPU with glibc malloc's defaults).
const PYTORCH: Rt = Rt {
    name: PYTORCH_EAGER,
    host_us: PYTORCH_GPU_HOST_US,
    call_us: 20.0,
    fuse: false,
    runs: false,
    whole_graph: false,
    flash: true,
    eff: 0.9,
    mem: 1.05,
    workspace: 32.0,
    context: 500.0,
    shared_alloc: true,
    compile_us: 50.0,
    logits_all: false,
    autocast: false,
    tf32: Tf32Default::Convolutions,
    nchw_convs: true,
    cpu: PYTORCH_CPU,
    platforms: &[Cuda, Rocm, Mps, Cpu],
    source: "eager mode: host time per kernel on GPUs 50.5 µs (PYTORCH_GPU_HOST_US: ~5-25 µs CPU dispatch per op, jiahuanglin.xyz 'From PyTorch op to kernel launch', scaled by the published rows' fit; DeepLearningExamples ResNet-50 latency flat from batch 1 to 4, a host floor); no epilogue fusion; SDPA flash attention (PyTorch 2 docs); cuBLAS/cuDNN heuristics; caching allocator; CUDA context + cuBLAS/cuDNN handles ~500 MB; on Ampere and later GPUs fp32 convolutions run as TF32 (torch.backends.cudnn.allow_tf32 defaults to True) and fp32 matrix products do not (torch.backends.cuda.matmul.allow_tf32 defaults to False since PyTorch 1.12; PyTorch docs, CUDA semantics, TensorFloat-32 on Ampere and later devices); NCHW tensors unless the model is channels-last, so cuDNN transposes each tensor-core convolution's input to NHWC, and on the V100 and T4 its output back (nchwToNhwcKernel / nhwcToNchwKernel in Nsight traces; timm's NHWC result files 1.09-1.21x its NCHW ones)",
};

/// `torch.compile`'s first call, µs per operator of the model (`RuntimeProfile::compiles_every_operator`):
/// `bench/real/compile_probe.py` on the 2-vCPU Xeon VM (session 56, `results/compile-probe-xeon-vm-s56.txt`: the
/// three models' first compiles in one process, ResNet-50 first, so it carries TorchInductor's start-up; its
/// on-disk caches were not cleared beforehand, and a repeat that finds them is far faster) took
/// 41.7 s for ResNet-50 (174 operators in the catalog: 240 ms each), 18.6 s for MobileNet-v2 (151: 123 ms) and
/// 31.0 s for EfficientNet-B0 (206: 150 ms); the median. Measured on the CPU path (C++ kernels); on a GPU
/// Triton compiles the generated kernels instead, in parallel workers (U there).
const TORCH_COMPILE_US_PER_OPERATOR: f64 = 150_000.0;

/// What `pytorch-compile` models, from TorchInductor's source (`torch/_inductor`, PyTorch 2.15 as
/// `bench/real/.venv` installs it) and timm's dynamo result files:
/// - Element-wise operators that follow one another are generated as one kernel, and a transformer's layer
///   norm joins the residual add before it (`RuntimeProfile::fuses_pointwise_runs`). Convolutions and matrix
///   products stay calls into cuDNN and cuBLAS, at eager PyTorch's efficiency: the default mode autotunes no
///   GEMM templates (`max-autotune` does).
/// - Convolution graphs run channels-last on CUDA: `GraphLowering.decide_layout_opt` turns the layout
///   optimisation on (`config.layout_optimization`, default on except on ROCm); for inference it weighs the
///   convolutions' FLOPs by benchmarked channels-last speed-ups, all below 1 but for grouped convolutions with
///   more than one input channel per group (a depthwise convolution has one; no catalog model has such a
///   group). So cuDNN transposes nothing (`gpu_conv_layout_copies` off).
/// - Host time per kernel and per call as eager PyTorch's (U): the default mode launches each generated
///   kernel and each extern call from its Python wrapper without CUDA graphs (`mode="reduce-overhead"` would
///   capture them); the guards checked on each call are part of the call's cost.
/// - Attention through SDPA, as eager.
///
/// On a CPU TorchInductor runs convolutions through oneDNN in channels-last and generates C++ loops for the rest
/// (`bench/real/compile_probe.py` on the development VM: ResNet-50 at batch 1 no faster than eager,
/// MobileNet-v2 and EfficientNet-B0 1.5x faster); that path is not modelled yet, so the runtime lists GPUs only.
const PYTORCH_COMPILE_SOURCE: &str = "torch.compile (TorchInductor, default mode) on a GPU: runs of element-wise operators generated as one kernel each (a layer norm joins the residual add before it), convolutions and GEMMs left to cuDNN and cuBLAS at eager efficiency; convolution graphs channels-last on CUDA (decide_layout_opt; no cuDNN transposes); host time per kernel and per call as eager's (U: no CUDA graphs in the default mode); the first call compiles the whole graph, 150 ms per operator (bench/real/compile_probe.py, first compiles on the development VM's CPU path; U on a GPU)";

/// First-run costs per distinct kernel (`compile_us`), reliability U: TensorRT and QNN load prebuilt
/// engines/context binaries (their cost is the load); PyTorch pays cuBLAS/cuDNN handle creation and heuristics
/// on first use of a shape (tens of µs); ONNX Runtime and OpenVINO build kernels when the session/model is
/// compiled (~0.1-0.3 ms per node); browser WebGPU runtimes compile a WGSL pipeline per kernel (Tint plus the
/// driver: milliseconds each, the main part of a page's first-inference delay).
///
/// The runtime catalog. Overheads are documented or measured per-op costs; efficiencies are what each
/// runtime's kernels are reported to reach relative to the vendor libraries.
const RUNTIMES: [Rt; 15] = [
    Rt {
        name: "tensorrt",
        host_us: 1.0,
        call_us: 10.0,
        fuse: true,
        runs: false,
        whole_graph: false,
        flash: true,
        eff: 1.0,
        mem: 1.0,
        workspace: 64.0,
        context: 300.0,
        shared_alloc: false,
        compile_us: 0.0,
        logits_all: false,
        autocast: false,
        tf32: Tf32Default::All,
        nchw_convs: false,
        cpu: NOT_ON_CPU,
        platforms: &[Cuda],
        source: "TensorRT Developer Guide: layer/tensor fusion (conv+bias+ReLU, BN folding), fused MHA plugins in demo/BERT, tactic autotuning; enqueue ~1 µs per kernel; CUDA context ~300 MB (NVIDIA forums); fp32 layers may use TF32 tensor cores by default (TensorRT Developer Guide, TF32: BuilderFlag::kTF32 is set unless cleared, or NVIDIA_TF32_OVERRIDE=0)",
    },
    PYTORCH,
    Rt {
        name: PYTORCH_KEPT_HEAP,
        cpu: PYTORCH_KEPT_HEAP_CPU,
        platforms: &[Cpu],
        source: "PyTorch eager on a CPU with a heap that keeps its freed pages (glibc malloc with trimming and mmap off, as bench/real/run.py measures by default; jemalloc or TCMalloc as PyTorch's CPU performance tuning guide suggests): pytorch's rules without fresh pages, depthwise convolutions measured with the heap kept",
        ..PYTORCH
    },
    Rt {
        name: PYTORCH_AUTOCAST,
        autocast: true,
        platforms: &[Cuda, Rocm],
        source: "PyTorch eager under torch.autocast (automatic mixed precision, AMP) on a GPU: pytorch's rules, with the weights kept FP32 and cast to FP16/BF16 on every call (the autocast cast cache holds a cast weight only until the autocast region exits; PyTorch docs, torch.amp); what NVIDIA DeepLearningExamples' and timm's AMP inference runs measure",
        ..PYTORCH
    },
    Rt {
        name: PYTORCH_COMPILE,
        runs: true,
        whole_graph: true,
        compile_us: TORCH_COMPILE_US_PER_OPERATOR,
        nchw_convs: false,
        platforms: &[Cuda, Rocm],
        source: PYTORCH_COMPILE_SOURCE,
        ..PYTORCH
    },
    Rt {
        name: PYTORCH_COMPILE_AUTOCAST,
        runs: true,
        whole_graph: true,
        compile_us: TORCH_COMPILE_US_PER_OPERATOR,
        nchw_convs: false,
        autocast: true,
        platforms: &[Cuda, Rocm],
        source: "torch.compile (TorchInductor, default mode) under torch.autocast on a GPU: pytorch-compile's rules, with the weights kept FP32 and cast on every call as pytorch-autocast's (parameters are the compiled graph's inputs, not constants, unless the model is frozen); what timm's AMP dynamo result files measure",
        ..PYTORCH
    },
    Rt {
        name: "onnxruntime",
        host_us: 3.0,
        call_us: 30.0,
        fuse: true,
        runs: false,
        whole_graph: false,
        flash: true,
        eff: 0.85,
        mem: 1.1,
        workspace: 32.0,
        context: 300.0,
        shared_alloc: false,
        compile_us: 100.0,
        logits_all: true,
        autocast: false,
        tf32: Tf32Default::All,
        nchw_convs: false,
        cpu: ORT_CPU,
        platforms: &[Cpu, Cuda, Rocm, Openvino],
        source: "ONNX Runtime graph optimisations (Gelu/LayerNorm/bias fusion, Attention contrib op: onnxruntime.ai/docs/performance/transformers-optimization); C++ executor, few µs per node; BFC arena; CUDA execution provider: use_tf32 defaults to 1, float GEMMs and cuDNN convolutions as TF32 (onnxruntime/core/providers/cuda/cuda_execution_provider_info.h)",
    },
    Rt {
        name: "openvino",
        host_us: 2.0,
        call_us: 20.0,
        fuse: true,
        runs: false,
        whole_graph: false,
        flash: true,
        eff: 0.9,
        mem: 1.05,
        workspace: 16.0,
        context: 0.0,
        shared_alloc: false,
        compile_us: 300.0,
        logits_all: false,
        autocast: false,
        tf32: Tf32Default::Off,
        nchw_convs: false,
        cpu: OPENVINO_CPU,
        platforms: &[Openvino, Cpu],
        source: "OpenVINO graph compiler fuses element-wise ops and SDPA (docs.openvino.ai optimisation guide); oneDNN kernels",
    },
    Rt {
        name: "qnn",
        host_us: 0.5,
        call_us: QNN_CALL_US,
        fuse: true,
        runs: false,
        whole_graph: false,
        flash: true,
        eff: 0.6,
        mem: 1.0,
        workspace: 16.0,
        context: 0.0,
        shared_alloc: false,
        compile_us: 0.0,
        logits_all: false,
        autocast: false,
        tf32: Tf32Default::Off,
        nchw_convs: false,
        cpu: NOT_ON_CPU,
        platforms: &[Qnn],
        source: "Qualcomm AI Engine Direct: graph compiled ahead of time for the HTP, one FastRPC call per inference: 150 µs, at most the 0.154 ms Qualcomm AI Hub publishes for its fastest X Elite NPU graph (MediaPipe hand-gesture classifier, float, 83 layers; quic/ai-hub-models v0.46.1 perf.yaml)",
    },
    Rt {
        name: "onnxruntime-web",
        host_us: 5.0,
        call_us: 150.0,
        fuse: true,
        runs: false,
        whole_graph: false,
        flash: false,
        eff: 0.5,
        mem: 1.5,
        workspace: 32.0,
        context: 0.0,
        shared_alloc: false,
        compile_us: 1000.0,
        logits_all: true,
        autocast: false,
        tf32: Tf32Default::Off,
        nchw_convs: false,
        cpu: ORT_WEB_CPU,
        platforms: &[Wasm, Webgpu, Webnn],
        source: "onnxruntime-web: graph optimisations as native ORT; WASM SIMD kernels (MLAS) and WGSL shaders; async session.run round trip; browser memory overhead (arXiv 2402.05981)",
    },
    Rt {
        name: "transformersjs",
        host_us: 20.0,
        call_us: 1000.0,
        fuse: true,
        runs: false,
        whole_graph: false,
        flash: false,
        eff: 0.35,
        mem: 2.0,
        workspace: 64.0,
        context: 0.0,
        shared_alloc: false,
        compile_us: 2000.0,
        logits_all: true,
        autocast: false,
        tf32: Tf32Default::Off,
        nchw_convs: false,
        cpu: TRANSFORMERS_JS_CPU,
        platforms: &[Webgpu, Wasm, Webnn],
        source: "transformers.js runs on onnxruntime-web; per-kernel JS dispatch in the WebGPU EP, tokenizer and tensor marshalling per call; WGSL matmul far from vendor GEMM (transformers.js #796, #1750; gpuweb #5291); browser runtimes use several times the model size (arXiv 2402.05981)",
    },
    Rt {
        name: "tfjs",
        host_us: 30.0,
        call_us: 500.0,
        fuse: true,
        runs: false,
        whole_graph: false,
        flash: false,
        eff: 0.25,
        mem: 2.0,
        workspace: 32.0,
        context: 0.0,
        shared_alloc: true,
        compile_us: 2000.0,
        logits_all: false,
        autocast: false,
        tf32: Tf32Default::Off,
        nchw_convs: false,
        cpu: WASM_CPU,
        platforms: &[Webgpu, Wasm],
        source: "TensorFlow.js: fusedMatMul/fusedConv2d fuse bias+activation (tfjs-core ops/fused); JS kernel dispatch per op",
    },
    Rt {
        name: "webllm",
        host_us: 5.0,
        call_us: 200.0,
        fuse: true,
        runs: false,
        whole_graph: false,
        flash: true,
        eff: 0.6,
        mem: 1.0,
        workspace: 64.0,
        context: 0.0,
        shared_alloc: false,
        compile_us: 500.0,
        logits_all: false,
        autocast: false,
        tf32: Tf32Default::Off,
        nchw_convs: false,
        cpu: NOT_ON_CPU,
        platforms: &[Webgpu],
        source: "WebLLM/MLC: TVM-compiled and tuned WGSL kernels, fused attention with paged KV cache (mlc-ai/web-llm); vram_required_MB already counts its buffers",
    },
    Rt {
        name: "webnn",
        host_us: 0.2,
        call_us: 300.0,
        fuse: true,
        runs: false,
        whole_graph: false,
        flash: true,
        eff: 0.6,
        mem: 1.2,
        workspace: 16.0,
        context: 0.0,
        shared_alloc: false,
        compile_us: 300.0,
        logits_all: false,
        autocast: false,
        tf32: Tf32Default::Off,
        nchw_convs: false,
        cpu: WEBNN_CPU,
        platforms: &[Webnn],
        source: "WebNN: the whole graph is compiled by the browser to DirectML/Core ML/TFLite and run with one compute() promise (W3C WebNN spec); native kernels",
    },
    Rt {
        name: "builtin",
        host_us: 15.0,
        call_us: 300.0,
        fuse: true,
        runs: false,
        whole_graph: false,
        flash: false,
        eff: 0.3,
        mem: 1.0,
        workspace: 0.0,
        context: 0.0,
        shared_alloc: false,
        compile_us: 20000.0,
        logits_all: false,
        autocast: false,
        tf32: Tf32Default::Off,
        nchw_convs: false,
        cpu: BUILTIN_CPU,
        platforms: &[Webgpu, Wasm, Webnn, Cpu],
        source: "multimodel-perf's own built-in GEMM-chain workloads (src/workload): one 16×16-tiled WGSL matmul dispatch per GEMM with one submit and one read-back per run on WebGPU; one MLGraph (matmul, tile, slice) per model on WebNN; a vectorised loop on one thread on WASM/CPU. Overheads and efficiency are starting assumptions (U) for calibration to refit",
    },
];

impl RuntimeProfile {
    fn from_entry(r: &Rt) -> Self {
        RuntimeProfile {
            name: r.name.to_string(),
            host_overhead_us: r.host_us,
            cpu_host_overhead_us: r.cpu.host_us.unwrap_or(r.host_us),
            call_overhead_us: r.call_us,
            cpu_call_overhead_us: r.cpu.call_us.unwrap_or(r.call_us),
            fuses_epilogues: r.fuse,
            fuses_pointwise_runs: r.runs,
            fused_attention: r.flash,
            kernel_efficiency: r.eff,
            attention_share: ACCELERATOR_ATTENTION_SHARE,
            cpu_kernel_efficiency: r.cpu.eff.unwrap_or(r.eff),
            memory_overhead_factor: r.mem,
            workspace_mb: r.workspace,
            context_mb: r.context,
            shared_allocator: r.shared_alloc,
            compile_us_per_kernel: r.compile_us,
            compiles_every_operator: r.whole_graph,
            prefill_logits_every_position: r.logits_all,
            casts_weights_per_call: r.autocast,
            fp32_as_tf32: r.tf32,
            gpu_conv_layout_copies: r.nchw_convs,
            region_us_per_thread: r.cpu.region_us,
            parallel_grain_elems: r.cpu.grain,
            spins_while_waiting: r.cpu.spins,
            packs_weights_per_call: r.cpu.packs,
            tiled_gemm: r.cpu.tiled,
            spin_after_run_us: r.cpu.spin_after_us,
            pool_per_process: r.cpu.pool_per_process,
            fresh_pages_above_mib: r.cpu.fresh_pages_mib,
            splits_gemv: r.cpu.splits_gemv,
            splits_gemv_on_intel: r.cpu.splits_gemv_on_intel,
            intel_gemv_bandwidth_efficiency: r.cpu.intel_gemv_eff,
            decode_session_apart: r.cpu.decode_apart,
            gemv_bandwidth_efficiency: r.cpu.gemv_eff,
            depthwise_bandwidth_efficiency: r.cpu.depthwise_eff,
            cpu_gemm_bits_off_intel: r.cpu.gemm_bits_off_intel,
            cpu_pointwise_conv_gemm_below_batch: r.cpu.pointwise_gemm_below_batch,
            cpu_conv_layout_copies: r.cpu.conv_layout_copies,
            cpu_skip_norm_gelems_per_thread: r.cpu.skip_norm_gelems,
            cpu_norm_gelems_per_thread: r.cpu.norm_gelems,
            cpu_sigmoid_gelems_per_thread: r.cpu.sigmoid_gelems,
            cpu_gelu_gelems_per_thread: r.cpu.gelu_gelems,
            cpu_gelu_flops_per_elem: r.cpu.gelu_flops,
            cpu_softmax_gelems_per_thread: r.cpu.softmax_gelems,
            cpu_depthwise_vector_share: r.cpu.depthwise_vector_share,
            wasm_gemm_ratio: r.cpu.wasm_gemm_ratio,
            cpu_gemm_serial_share: r.cpu.gemm_serial,
            cpu_intel_avx512_gemm_ratio: r.cpu.intel_avx512_gemm,
            cpu_attention_share: r.cpu.attention_share,
            platforms: r.platforms.to_vec(),
            source: r.source.to_string(),
        }
    }

    /// Finds a runtime by name (case-insensitive; `trt`, `torch`, `ort`, `ort-web`, `transformers.js` accepted).
    pub fn find(name: &str) -> Result<Self> {
        Ok(Self::from_entry(entry(name)?))
    }

    /// [`RuntimeProfile::find`] as a profile shared by every caller: each catalog runtime is built once per
    /// process (a page or worker), not once per model of every prediction.
    pub fn shared(name: &str) -> Result<std::sync::Arc<Self>> {
        static BUILT: super::BuiltOnce<RuntimeProfile, { RUNTIMES.len() }> =
            super::BuiltOnce::new();
        let i = entry_index(name)?;
        Ok(BUILT.get(i, || Self::from_entry(&RUNTIMES[i])))
    }

    /// The runtime whose kernels this one runs, by name: `pytorch` for its variants (a kept heap, autocast,
    /// `torch.compile`), which dispatch PyTorch's kernels (compiled graphs: its cuDNN and cuBLAS calls) and
    /// differ around them; the runtime's own name otherwise. What a
    /// device profile's measurements of a runtime (`DeviceProfile::runtime_efficiency`,
    /// `DeviceProfile::runtime_region_us`) are looked up by when the variant has none of its own.
    pub fn kernels_of(&self) -> &str {
        if [PYTORCH_KEPT_HEAP, PYTORCH_AUTOCAST, PYTORCH_COMPILE, PYTORCH_COMPILE_AUTOCAST]
            .contains(&self.name.as_str())
        {
            PYTORCH_EAGER
        } else {
            &self.name
        }
    }

    /// Whether an operator's repeats that join a run ([`Op::joined`](crate::catalog::arch::Op::joined)) are part of its run's
    /// kernel here: the runtime generates one kernel per run and does not fold the run into its producer
    /// instead (where it does, as the memory advice's what-if, a norm has no run left to join). The one rule
    /// the prediction and the memory plan share.
    pub fn joins_pointwise_runs(&self) -> bool {
        self.fuses_pointwise_runs && !self.fuses_epilogues
    }

    /// The catalog's name of the runtime `name` names (as [`RuntimeProfile::find`] reads it), without
    /// building its profile: what a model entry's `runtime` is checked and stored as.
    pub fn canonical(name: &str) -> Result<&'static str> {
        Ok(entry(name)?.name)
    }

    /// Every runtime in the catalog.
    pub fn all() -> Vec<Self> {
        RUNTIMES.iter().map(Self::from_entry).collect()
    }
}

/// The catalog entry `name` names, or an error listing the runtimes.
fn entry(name: &str) -> Result<&'static Rt> {
    Ok(&RUNTIMES[entry_index(name)?])
}

/// The index in [`RUNTIMES`] of the entry `name` names, or an error listing the runtimes.
fn entry_index(name: &str) -> Result<usize> {
    // Compared without case, so nothing is allocated (every model of every prediction looks its runtime
    // up here).
    const ALIASES: [(&str, &str); 11] = [
        ("trt", "tensorrt"),
        ("torch", "pytorch"),
        ("torch-compile", "pytorch-compile"),
        ("inductor", "pytorch-compile"),
        ("ort", "onnxruntime"),
        ("ort-web", "onnxruntime-web"),
        ("onnxruntime_web", "onnxruntime-web"),
        ("transformers.js", "transformersjs"),
        ("transformers-js", "transformersjs"),
        ("tensorflowjs", "tfjs"),
        ("tensorflow.js", "tfjs"),
    ];
    let key = name.trim();
    let canonical =
        ALIASES.iter().find(|(alias, _)| alias.eq_ignore_ascii_case(key)).map_or(key, |(_, c)| c);
    RUNTIMES
        .iter()
        .position(|r| r.name.eq_ignore_ascii_case(canonical))
        .ok_or_else(|| Error::invalid("runtime", name, format!("one of {}", names().join(", "))))
}

/// Names of every runtime.
pub fn names() -> Vec<&'static str> {
    RUNTIMES.iter().map(|r| r.name).collect()
}

#[cfg(test)]
mod tests {
    use super::{names, RuntimeProfile};

    #[test]
    fn shared_runtimes_are_built_once_and_equal_what_find_builds() {
        for name in names() {
            let first = RuntimeProfile::shared(name).unwrap();
            assert_eq!(*first, RuntimeProfile::find(name).unwrap(), "{name}");
            let again = RuntimeProfile::shared(&name.to_uppercase()).unwrap();
            assert!(std::sync::Arc::ptr_eq(&first, &again), "{name}");
        }
        let torch = RuntimeProfile::shared("torch").unwrap();
        assert!(std::sync::Arc::ptr_eq(&torch, &RuntimeProfile::shared("pytorch").unwrap()));
        let err = RuntimeProfile::shared("nope").unwrap_err().to_string();
        assert!(err.contains("runtime") && err.contains("onnxruntime"), "{err}");
    }

    #[test]
    fn canonical_names_are_what_find_resolves_to() {
        for given in [
            "trt",
            "Torch",
            " ort ",
            "ORT-web",
            "transformers.js",
            "tensorflow.js",
            "pytorch-kept-heap",
            "pytorch-autocast",
        ] {
            let name = RuntimeProfile::canonical(given).unwrap();
            assert_eq!(name, RuntimeProfile::find(given).unwrap().name, "{given}");
            assert!(names().contains(&name), "{given} -> {name}");
        }
        let err = RuntimeProfile::canonical("tensorflow").unwrap_err().to_string();
        assert!(err.contains("runtime") && err.contains("onnxruntime-web"), "{err}");
    }
}

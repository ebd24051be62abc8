//! Device profiles: datasheet peaks, memory, power, and how each device runs concurrent work. Every number is a
//! named field with its source beside it; a custom profile (JSON, see `wire`) has the same fields.

use crate::catalog::arch::Activation;
use crate::error::{Error, Result};

/// Where a model runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Platform {
    /// A CPU through a native runtime.
    Cpu,
    /// NVIDIA GPUs.
    Cuda,
    /// AMD GPUs.
    Rocm,
    /// Apple GPUs through Metal Performance Shaders.
    Mps,
    /// Intel CPUs and integrated GPUs through OpenVINO.
    Openvino,
    /// Qualcomm NPUs through QNN.
    Qnn,
    /// A browser's WebGPU adapter.
    Webgpu,
    /// A browser's WebNN context.
    Webnn,
    /// A browser's WebAssembly (SIMD) CPU path.
    Wasm,
}

impl Platform {
    /// CUDA or ROCm: a compute GPU driven by its vendor's kernel libraries (the catalog's datacenter and
    /// desktop GPUs), as opposed to Apple's, browsers' and NPUs' accelerators.
    pub fn is_cuda_or_rocm(self) -> bool {
        matches!(self, Self::Cuda | Self::Rocm)
    }

    /// Every platform, in a fixed order.
    pub const ALL: [Platform; 9] = [
        Self::Cpu,
        Self::Cuda,
        Self::Rocm,
        Self::Mps,
        Self::Openvino,
        Self::Qnn,
        Self::Webgpu,
        Self::Webnn,
        Self::Wasm,
    ];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Cuda => "cuda",
            Self::Rocm => "rocm",
            Self::Mps => "mps",
            Self::Openvino => "openvino",
            Self::Qnn => "qnn",
            Self::Webgpu => "webgpu",
            Self::Webnn => "webnn",
            Self::Wasm => "wasm",
        }
    }

    /// Parses a platform name.
    pub fn parse(field: &str, text: &str) -> Result<Self> {
        let key = text.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|p| p.name() == key).ok_or_else(|| {
            Error::invalid(
                field,
                text,
                "one of cpu, cuda, rocm, mps, openvino, qnn, webgpu, webnn, wasm",
            )
        })
    }
}

/// How a device runs work from several models at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concurrency {
    /// Kernels from different streams share the compute units (CUDA streams in one process, MPS).
    ConcurrentKernels,
    /// One queue: device work of different models is serialised, only host work overlaps (a WebGPU device,
    /// CUDA across processes without MPS, an NPU).
    SerialQueue,
    /// CPU cores shared by the models' threads through the OS scheduler.
    CpuThreads,
}

impl Concurrency {
    /// Every model.
    pub const ALL: [Concurrency; 3] =
        [Self::ConcurrentKernels, Self::SerialQueue, Self::CpuThreads];

    /// The JSON name (`concurrent_kernels`, `serial_queue`, `cpu_threads`).
    pub fn name(self) -> &'static str {
        match self {
            Self::ConcurrentKernels => "concurrent_kernels",
            Self::SerialQueue => "serial_queue",
            Self::CpuThreads => "cpu_threads",
        }
    }

    /// Parses a JSON name (exactly as [`Concurrency::name`] writes it).
    pub fn parse(field: &str, text: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|c| c.name() == text).ok_or_else(|| {
            Error::invalid(field, text, "concurrent_kernels, serial_queue or cpu_threads")
        })
    }
}

/// Whether a device has its own memory or uses the machine's RAM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryPool {
    /// Device memory of its own (discrete GPU).
    Dedicated,
    /// The host's RAM and memory bus, shared with the CPU and any other host-memory device.
    Host,
}

/// A GEMM tile shape a device's kernels use, and the fraction of a compute unit's peak it sustains.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GemmTile {
    /// Rows per tile.
    pub m: u32,
    /// Columns per tile.
    pub n: u32,
    /// Fraction of one unit's peak the tile reaches on a long K loop.
    pub efficiency: f64,
}

/// Dense peak throughput per precision, TFLOP/s (TOPS for integers); 0 means no native support.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Peaks {
    /// FP32.
    pub fp32: f64,
    /// TF32 on tensor cores (0: none; computed as FP32).
    pub tf32: f64,
    /// FP16 (tensor/matrix units where present).
    pub fp16: f64,
    /// BF16.
    pub bf16: f64,
    /// INT8.
    pub int8: f64,
    /// INT4.
    pub int4: f64,
}

impl Peaks {
    /// No peak at all (every format computed through another or not at all).
    pub const NONE: Peaks =
        Peaks { fp32: 0.0, tf32: 0.0, fp16: 0.0, bf16: 0.0, int8: 0.0, int4: 0.0 };

    /// The peak of `precision`.
    pub fn get(self, precision: super::Precision) -> f64 {
        let mut peaks = self;
        *peaks.get_mut(precision)
    }

    /// The peak of `precision`, to set.
    pub fn get_mut(&mut self, precision: super::Precision) -> &mut f64 {
        use super::Precision::*;
        match precision {
            Fp32 => &mut self.fp32,
            Tf32 => &mut self.tf32,
            Fp16 => &mut self.fp16,
            Bf16 => &mut self.bf16,
            Int8 => &mut self.int8,
            Int4 => &mut self.int4,
        }
    }
}

/// One device.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceProfile {
    /// `platform:device` id.
    pub id: String,
    /// Platform it belongs to.
    pub platform: Platform,
    /// Marketing name.
    pub name: String,
    /// Dense peaks per precision.
    pub peak_tflops: Peaks,
    /// Datasheet memory bandwidth, GB/s.
    pub memory_bandwidth_gbps: f64,
    /// Fraction of datasheet bandwidth a streaming kernel reaches.
    pub bandwidth_efficiency: f64,
    /// Memory available to models, MB.
    pub memory_capacity_mb: f64,
    /// Dedicated memory or the host's.
    pub memory_pool: MemoryPool,
    /// Board/package power, W.
    pub tdp_w: f64,
    /// Clock sustained under full load relative to the boost clock the peaks are quoted at, for a profile that
    /// states one; scales the compute peaks, not the memory bandwidth. 1 for every catalog device: a catalog
    /// GPU's power limit acts through `full_load_w`, on each load by how busy it keeps the compute units.
    pub sustained_clock_ratio: f64,
    /// Power drawn with nothing running (device powered, clocks idle), W.
    pub idle_w: f64,
    /// Board power its compute units would draw kept busy at the boost clock, W, where that is above `tdp_w`
    /// (a GPU whose power limit, not its boost clock, sets its speed under a heavy load: the L4, the A30, the
    /// A100 PCIe, the T4); 0 where a full load holds the boost clock within `tdp_w` or nobody knows. The
    /// catalog derives it from the GPU's int8 peak at the energy per operation of its architecture's reference
    /// part ([`POWER_REFERENCES`]), or from the clock a full load was seen to run at ([`FULL_LOAD_CLOCKS`]). A
    /// prediction that would draw more than `tdp_w` runs at the clock that fits
    /// ([`DeviceProfile::power_limited_clock`]).
    pub full_load_w: f64,
    /// Seconds of sustained load after which a passively cooled or thin device throttles (0: it does not).
    pub throttle_after_s: f64,
    /// Speed after throttling, relative to before (1: no throttling).
    pub throttled_speed: f64,
    /// Streaming multiprocessors, compute units, execution-unit groups or CPU cores.
    pub compute_units: u32,
    /// Tile shapes of its GEMM kernels.
    pub gemm_tiles: Vec<GemmTile>,
    /// Device-side fixed cost of one kernel (launch latency, ramp-up, barrier), µs; for a catalog CUDA/ROCm GPU
    /// [`CUDA_KERNEL_CYCLES`] at its boost clock, fixed when the profile is built (a profile read from JSON
    /// keeps the value it gives). On CPUs: the cost of a
    /// parallel region per thread beyond the first on a spinning pool (waking a core and meeting it at the
    /// join: cross-core cache-line round trips, higher under a hypervisor); a runtime adds its own
    /// `region_us_per_thread`, and a kernel on one thread pays neither.
    pub kernel_overhead_us: f64,
    /// How concurrent work shares the device.
    pub concurrency: Concurrency,
    /// Slowdown per additional co-running model from shared caches and scheduling (0.05 = 5 % each).
    pub interference_per_model: f64,
    /// Bandwidth one compute unit can pull on its own, GB/s (CPU cores; 0 = no per-unit limit).
    pub per_unit_bandwidth_gbps: f64,
    /// Host CPU cores that dispatch work to this device.
    pub host_cores: u32,
    /// Link to load weights over (PCIe, or the memory bus for host-memory devices), GB/s.
    pub host_link_gbps: f64,
    /// Share of a waiting thread's time slice burnt spinning when cores are oversubscribed (CPU only), for
    /// runtimes whose pools spin while they wait (`RuntimeProfile::spins_while_waiting`).
    pub spin_wait_share: f64,
    /// CPUs: compute rate of each core while every core is busy, relative to one busy core (1 = no loss;
    /// below 1 where cores are SMT siblings, the all-core clock is lower than the one-core boost, or cores
    /// share a cache or power budget). With `B` of `N` cores busy a core runs at
    /// `1 − (1 − all_core_rate)·(B − 1)/(N − 1)`; measured by `mmperf calibrate`'s concurrency probe.
    pub all_core_rate: f64,
    /// CPUs: the scheduler's time slice, µs: how long a spinning thread keeps a core that another runnable
    /// thread is waiting for, and so how long a parallel region's join waits for a thread taken off its core
    /// when the cores are oversubscribed. Linux's EEVDF/CFS base slice is 0.75 ms × (1 + log2 cores)
    /// (`sched_base_slice_ns` / `sched_min_granularity_ns` with logarithmic tunable scaling).
    pub sched_slice_us: f64,
    /// CPUs: wake-up latency of a blocked thread (futex wake, context switch), µs: what a blocking pool's
    /// join waits for a thread taken off its core when the cores are oversubscribed.
    pub wake_us: f64,
    /// CPUs: cost of faulting in one fresh 4 KiB page on first write, µs (trap, page allocation, zeroing):
    /// what a runtime that maps its large outputs anew on every call (`RuntimeProfile::fresh_pages_above_mib`)
    /// pays per page; several threads writing the output fault in parallel.
    pub page_fault_us: f64,
    /// Last-level cache the cores (a GPU's SMs: its L2) share, MB (0 = unknown: every kernel streams from
    /// memory); on a server of several sockets, one socket's (each socket's cores read through their own). On a
    /// CPU, a model whose weights fit in half of it reads them from there on every call, not from memory
    /// (`predict::single::WEIGHTS_LLC_SHARE`), but for its matrix-vector products and a runtime's packing of
    /// weights per call. Each model is checked alone: models run together are not checked against it together.
    pub llc_mb: f64,
    /// Rate one core (a GPU's SM) reads a buffer that fits in the last-level cache at, GB/s (0 = unknown).
    /// A kernel whose inputs, outputs and weights fit in the cache (`llc_mb`) moves its inputs and outputs at
    /// this rate per thread (on a GPU, per SM: all of them together) instead of memory's, as the producer's
    /// output is still in the cache: on CPUs only element-wise, normalisation and pooling kernels (a GEMM's
    /// packing and blocking are modelled apart), on CUDA/ROCm GPUs every kernel. Weights still come from memory,
    /// except a CPU model's that stay in the cache (`llc_mb`).
    pub llc_bandwidth_gbps: f64,
    /// CPUs: each core's private L2 cache, MB (0 = unknown: no L2 rule). A kernel whose inputs, outputs and
    /// weights together fit in the L2 of the cores it runs on (its threads times this) moves its inputs and
    /// outputs at [`DeviceProfile::l2_bandwidth_gbps`] per thread instead of memory's: its producer's output is
    /// still there. Its weights come from wherever they live between calls (the last-level cache or memory).
    pub l2_mb: f64,
    /// CPUs: one core's read rate from its own L2, GB/s (0 = unknown).
    pub l2_bandwidth_gbps: f64,
    /// NPUs: the rate of the vector DSPs beside the MAC array, as a share of the int8 peak (the fp16 peak's
    /// where the device has no int8), whatever the model's precision; 0: none apart, every kernel at the
    /// device's rate. Normalisation and softmax kernels, which the MAC array and its fixed-function activation
    /// block do not compute, run there at this rate (no runtime or calibrated kernel efficiency applies), and
    /// so does attention's softmax: an NPU with such DSPs runs attention as its two matrix products around a
    /// softmax, never fused. Only serial-queue devices have them ([`DeviceProfile::vector_dsp_share`]).
    pub vector_unit_share: f64,
    /// GPUs: how many times the share of its peak a GEMM tile sustains on the tensor cores (`gemm_tiles`'
    /// efficiency) it sustains of the FP32 peak on the CUDA cores, where a kernel computes in FP32 (capped at
    /// the whole peak). The catalog sets it on CUDA GPUs with 64 FP32 lanes per SM and 1 on every other device;
    /// a profile may set it on any CUDA or ROCm GPU, where the prediction honours it. A tensor-core tile is fed
    /// by the same registers and shared memory as a CUDA-core one for 8-16x the arithmetic, so it leaves more of
    /// its peak idle ([`GPU_FP32_TILE_GAIN`]).
    pub fp32_tile_gain: f64,
    /// GPUs: how many times the share of its peak a GEMM tile sustains at FP16 (`gemm_tiles`' efficiency,
    /// measured at FP16 where `GPU_GEMM_SHARE` has the GPU) it sustains of the INT8 peak, where a kernel
    /// computes in INT8 (capped at the whole peak). The catalog sets [`GPU_INT8_TILE_GAIN`] on CUDA and ROCm GPUs
    /// with an INT8 peak and 1 on every other device; a profile may set it on any CUDA or ROCm GPU, where the
    /// prediction honours it.
    pub int8_tile_gain: f64,
    /// CPUs: width of the FMA datapath the FP32 peak assumes, bits: 512 on cores with two 512-bit FMA pipes
    /// (Zen 5, Xeon Gold and Platinum), 256 where 512-bit instructions are split over 256-bit pipes (Zen 4) or
    /// the widest vectors are AVX2's; 0 = unknown. A runtime whose GEMMs use narrower vectors on this CPU
    /// (`RuntimeProfile::cpu_gemm_bits_off_intel`) reaches that share of the peak.
    pub fma_width_bits: u32,
    /// CUDA GPUs: the compute capability, major × 10 + minor (70 for Volta's V100, 80 for the A100, 89 for
    /// Ada), as NVIDIA lists it (the catalog's `CUDA_COMPUTE_CAPABILITY`); 0 = unknown or not a CUDA GPU. It says which
    /// layout cuDNN's tensor-core convolutions write (`RuntimeProfile::gpu_conv_layout_copies`).
    pub cuda_compute_capability: u32,
    /// CPUs: who made the cores, as `/proc/cpuinfo`'s vendor reads (`intel`, `amd`; empty when unknown).
    pub cpu_vendor: String,
    /// Share of a CPU kernel's work that does not speed up with more threads (Amdahl; 0 = perfect scaling):
    /// `T` threads do the work of `1 / (s + (1 − s) / T)` cores.
    pub serial_fraction: f64,
    /// Runtime used when none is given.
    pub default_runtime: String,
    /// Multiplies the runtime's host dispatch and per-call overheads on this device (1 = as the runtime
    /// profile says; refitted by calibration from measured runs).
    pub overhead_scale: f64,
    /// Bounded per-model latency factors from calibration, by model name (lower case); none by default.
    pub latency_corrections: Vec<(String, f64)>,
    /// Measured kernel efficiency of a runtime on this device (fraction of the device's tuned GEMM rate its
    /// kernels reach), by runtime name; replaces the runtime catalog's `kernel_efficiency` (on a `cpu`
    /// platform its `cpu_kernel_efficiency`) for that runtime here. Empty by default; `mmperf calibrate` measures the built-in workloads' kernel.
    pub runtime_efficiency: Vec<(String, f64)>,
    /// CPUs: measured cost of a parallel region per thread beyond the first for a runtime on this device, µs,
    /// by runtime name; replaces `kernel_overhead_us` plus the runtime's `region_us_per_thread` (times the
    /// overhead scale) for that runtime here. Empty by default; `mmperf calibrate` measures the built-in
    /// runner's (threads started per GEMM, timed with the GEMM's work in them).
    /// At most [`MAX_REGION_US`].
    pub runtime_region_us: Vec<(String, f64)>,
    /// Where each number comes from.
    pub sources: Vec<(String, String)>,
}

/// Rate of one core while `busy` of `cores` are busy, relative to one busy core: linear from 1 down to
/// `all_core_rate` with every core busy (`DeviceProfile::all_core_rate`).
pub fn core_rate(busy: f64, cores: f64, all_core_rate: f64) -> f64 {
    if cores <= 1.0 {
        return 1.0;
    }
    core_rate_between(busy - 1.0, 1.0 / (cores - 1.0), all_core_rate)
}

/// [`core_rate`] from the busy cores beyond the first and `1 / (cores − 1)` (a caller that rates many jobs at
/// one load takes the reciprocal once).
pub fn core_rate_between(extra_busy: f64, per_extra_core: f64, all_core_rate: f64) -> f64 {
    let x = (extra_busy * per_extra_core).clamp(0.0, 1.0);
    1.0 - (1.0 - all_core_rate.clamp(0.0, 1.0)) * x
}

impl DeviceProfile {
    /// The bandwidth a streaming kernel reaches on the whole memory bus, B/s (datasheet bandwidth times
    /// `bandwidth_efficiency`): what every model whose memory lives there shares.
    pub fn achievable_bandwidth(&self) -> f64 {
        self.memory_bandwidth_gbps * 1e9 * self.bandwidth_efficiency
    }

    /// Compute rate of one core while `busy` of the device's cores are busy, relative to one busy core
    /// (CPUs; see `all_core_rate`). Linear between 1 busy core and all of them; beyond all cores the
    /// all-core rate holds (oversubscription is the scheduler's business, not the cores').
    pub fn core_rate(&self, busy: f64) -> f64 {
        core_rate(busy, f64::from(self.compute_units.max(1)), self.all_core_rate)
    }

    /// Multiplies every peak by `factor` (more or fewer cores than a catalog entry, a calibrated rate).
    pub fn scale_peaks(&mut self, factor: f64) {
        for precision in super::Precision::ALL {
            *self.peak_tflops.get_mut(precision) *= factor;
        }
    }

    /// The part of a CPU that `units` of its cores make up, as a device of its own: those cores, and their
    /// share of the peaks and of the memory bandwidth (one of several equal streams a throughput-mode runtime
    /// runs at once, each on its own cores).
    pub fn cores_share(&self, units: u32) -> DeviceProfile {
        let all = self.compute_units.max(1);
        let units = units.clamp(1, all);
        let share = f64::from(units) / f64::from(all);
        let mut p = self.clone();
        p.scale_peaks(share);
        p.memory_bandwidth_gbps *= share;
        p.compute_units = units;
        p.host_cores = units;
        p
    }

    /// CPUs: cost of a parallel region per thread beyond the first for `runtime` on this device, µs: measured
    /// where the profile has it (`runtime_region_us`), else the device's wake-up and join plus the runtime
    /// pool's own.
    pub fn region_us_per_thread(&self, runtime: &super::runtime::RuntimeProfile) -> f64 {
        measured_for(&self.runtime_region_us, runtime).map_or(
            self.kernel_overhead_us + runtime.region_us_per_thread * self.overhead_scale,
            |us| *us,
        )
    }

    /// The clock, as a share of the boost clock the peaks are quoted at, a load runs at within the power limit:
    /// a load whose compute units are busy `unit_us` of every `latency_us` at the boost clock. Its power is
    /// `idle_w` plus the units' dynamic power, `full_load_w − idle_w` at the boost clock when busy all the time,
    /// scaled by the share of the time they are busy and by the cube of the clock (power `∝ f·V²` with the
    /// voltage following the clock over the DVFS range). Where that exceeds `tdp_w` the clock drops to the `c`
    /// at which it fits, the busy time stretching to `unit_us / c` while the rest (memory, launches) stays:
    /// `c³·U = k·(c·(L − U) + U)` with `k = (tdp_w − idle_w) / (full_load_w − idle_w)`, one positive root,
    /// found by bisection (no transcendental function: the same bits natively and in wasm). 1 for a device
    /// with no `full_load_w` above `tdp_w`, or a load that fits at the boost clock.
    pub fn power_limited_clock(&self, unit_us: f64, latency_us: f64) -> f64 {
        let dynamic = self.full_load_w - self.idle_w;
        let budget = self.tdp_w - self.idle_w;
        if self.full_load_w <= self.tdp_w || dynamic <= 0.0 || budget <= 0.0 || latency_us <= 0.0 {
            return 1.0;
        }
        let (u, l) = (unit_us.clamp(0.0, latency_us), latency_us);
        let k = budget / dynamic;
        // Positive where the load draws more than the budget at clock `c`.
        let over = |c: f64| c * c * c * u - k * (c * (l - u) + u);
        if over(1.0) <= 0.0 {
            return 1.0;
        }
        crate::bisect::bisect(0.0, 1.0, 48, |c| over(c) > 0.0).0
    }

    /// The share of the int8 peak this device's normalisation and softmax kernels run at on vector DSPs apart
    /// from its MAC array (`vector_unit_share`), on an accelerator that serialises its work on one queue (the
    /// NPUs); 0 everywhere else: CPUs and concurrent-kernel GPUs compute them with everything else.
    pub fn vector_dsp_share(&self) -> f64 {
        if self.concurrency == Concurrency::SerialQueue {
            self.vector_unit_share
        } else {
            0.0
        }
    }

    /// Whether this device runs `activation` as a kernel of its own on its vector DSPs, at
    /// [`DSP_GELU_OPS_PER_ELEM`] operations per element, instead of in the MAC array's fixed-function activation
    /// block: GELU on an NPU with DSPs apart ([`DeviceProfile::vector_dsp_share`]). Intel's NPU compiler fuses
    /// only ReLU, clamp and leaky ReLU into a convolution or matrix product on the Meteor Lake NPU (37XX); any
    /// other activation is a software kernel on the SHAVE DSPs (openvinotoolkit/npu_plugin, commit 49f7212,
    /// `src/vpux_compiler/src/VPU37XX/dialect/VPU/IR/layer_post_ops.cpp`, `isSupportedHWPostOp`). Sigmoid-gated
    /// activations stay in the activation block here: Qualcomm AI Hub's EfficientNet-B0 (SiLU after every
    /// convolution) runs on the X Elite's NPU in 1.76 ms, predicted 11.5 % faster held out with its SiLUs in
    /// the array and 48 % slower with them on the DSPs (`tests/published.rs`), and no published row runs one
    /// on Intel's NPU (there, this is optimistic).
    pub fn activation_on_dsps(&self, activation: Activation) -> bool {
        self.vector_dsp_share() > 0.0 && activation == Activation::Gelu
    }

    /// Whether a runtime's fused attention kernel can run here: on a device that computes the softmax beside
    /// the products, not on an NPU with vector DSPs apart, which runs the two products on its MAC array and
    /// the softmax on the DSPs ([`DeviceProfile::vector_dsp_share`]).
    pub fn can_fuse_attention(&self) -> bool {
        self.vector_dsp_share() <= 0.0
    }

    /// Whether `runtime` fuses an element-wise epilogue with `activation` into its producer here: where it
    /// fuses epilogues and the device computes the activation beside the producer, not as a DSP kernel of its
    /// own ([`DeviceProfile::activation_on_dsps`]).
    pub fn fuses_epilogue(
        &self,
        runtime: &super::runtime::RuntimeProfile,
        activation: Activation,
    ) -> bool {
        runtime.fuses_epilogues && !self.activation_on_dsps(activation)
    }

    /// Whether `runtime` runs attention as one fused kernel here: where it has one and the device can
    /// ([`DeviceProfile::can_fuse_attention`]). A model entry can still ask for it unfused
    /// (`predict::spec::AttentionKernels::runs_fused` decides a model's).
    pub fn fuses_attention(&self, runtime: &super::runtime::RuntimeProfile) -> bool {
        runtime.fused_attention && self.can_fuse_attention()
    }

    /// Kernel efficiency of `runtime` on this device: measured where the profile has it, else the runtime's (its
    /// CPU one on a device whose cores run the kernels, whatever platform serves them).
    pub fn kernel_efficiency(&self, runtime: &super::runtime::RuntimeProfile) -> f64 {
        measured_for(&self.runtime_efficiency, runtime).map_or(
            if self.concurrency == Concurrency::CpuThreads {
                runtime.cpu_kernel_efficiency
            } else {
                runtime.kernel_efficiency
            },
            |e| *e,
        )
    }

    /// The calibrated latency factor for a model (1 when there is none).
    pub fn correction_for(&self, model: &str) -> f64 {
        if self.latency_corrections.is_empty() {
            return 1.0;
        }
        let key = model.to_ascii_lowercase();
        self.latency_corrections.iter().find(|(k, _)| *k == key).map_or(1.0, |(_, f)| *f)
    }

    /// Peak for `precision` and the precision really computed in (falls back to fp32 rates where a precision
    /// has no native support: fp16 on most CPUs, bf16 without bf16 units is emulated in fp32, int4 without int4 units computes in int8
    /// or fp16 after dequantisation).
    pub fn peak_for(&self, precision: super::Precision) -> (f64, super::Precision) {
        use super::Precision::*;
        let p = &self.peak_tflops;
        let chain_at_boost: &[(f64, super::Precision)] = match precision {
            Fp32 => &[(p.fp32, Fp32)],
            Tf32 => &[(p.tf32, Tf32), (p.fp32, Fp32)],
            Fp16 => &[(p.fp16, Fp16), (p.fp32, Fp32)],
            Bf16 => &[(p.bf16, Bf16), (p.fp32, Fp32)],
            Int8 => &[(p.int8, Int8), (p.fp16, Fp16), (p.fp32, Fp32)],
            Int4 => &[(p.int4, Int4), (p.fp16, Fp16), (p.fp32, Fp32)],
        };
        // Devices without the requested format or fp32 (NPUs) run what their compiler converts the model to:
        // fp16 first, then int8.
        let any: [(f64, super::Precision); 3] = [(p.fp16, Fp16), (p.int8, Int8), (p.bf16, Bf16)];
        let (peak, used) = chain_at_boost
            .iter()
            .chain(any.iter())
            .copied()
            .find(|(peak, _)| *peak > 0.0)
            .unwrap_or((p.fp32.max(1e-6), Fp32));
        (peak * self.sustained_clock_ratio, used)
    }
}

/// Tensor-core GPUs: CUTLASS/cuBLAS 128×128 tiles sustain ~70 % of the tensor peak on transformer-sized
/// GEMMs, 64×64 tiles (chosen for small problems to fill more SMs) about 45 % (CUTLASS profiler reports;
/// NVIDIA's published A100 BERT/ResNet throughputs sit at 55-60 % of peak end to end). Reliability: U. A GPU
/// with a measured large-GEMM rate ([`GPU_GEMM_SHARE`]) takes that instead, the small tile in proportion.
const GPU_TILES: [GemmTile; 2] =
    [GemmTile { m: 128, n: 128, efficiency: 0.70 }, GemmTile { m: 64, n: 64, efficiency: 0.45 }];
/// The share of the FP16 tensor peak a large matrix product reaches on each catalog GPU that has one measured:
/// the largest `torch.matmul` rate of square FP16 products up to 10,240 (cuBLAS) in zzc0721/torch-performance-
/// test-data's `database.md` (commit 07858687, entries by several contributors, PyTorch 2.2-2.8), over the
/// catalog's FP16 peak: V100S 88.92 of 130 TFLOP/s (the V100's GV100 at the V100S's 1,601 MHz), A100 40GB
/// 247.63 of 312, A100 SXM4 80GB 258.74 of 312, H100 80GB HBM3 760.0 of 989.4 (two entries, 758.14 and
/// 761.84), RTX 3090 75.64 of 71 (three entries, 75.48-75.88) and RTX 4090 166.44 of 165.2 (four 24 GB entries,
/// 162.35-171.06); RTX 5090 229.39 of 209.5 (the mean of its four 32 GB entries, 220.90-237.63, in the commit of
/// 2026-01-12, bce6dd2). The GeForce cards exceed their quoted peak (their clocks run above the quoted boost under
/// GPU Boost) and are taken at 1. It is the large tile's efficiency on that GPU ([`GPU_TILES`] for the others:
/// the T4, whose entries run at its power-limited clock, the L4, the A30 and the A100 PCIe have none), the small
/// tile's in the same proportion. Measured at FP16, taken for every tensor-core precision.
const GPU_GEMM_SHARE: [(&str, f64); 7] = [
    ("cuda:v100", 88.92 / 130.0),
    ("cuda:a100-40gb", 247.63 / 312.0),
    ("cuda:a100-80gb", 258.74 / 312.0),
    ("cuda:h100-sxm", 760.0 / 989.4),
    ("cuda:rtx3090", 1.0),
    ("cuda:rtx4090", 1.0),
    ("cuda:rtx5090", 1.0),
];
/// CPU GEMMs (oneDNN/MLAS/XNNPACK) split work per thread in blocks; ~75 % of FMA peak on large blocks.
const CPU_TILES: [GemmTile; 2] =
    [GemmTile { m: 64, n: 256, efficiency: 0.75 }, GemmTile { m: 16, n: 64, efficiency: 0.5 }];
/// WGSL/Metal shader GEMMs: 64×64 workgroup tiles, 32×32 for small problems.
const SHADER_TILES: [GemmTile; 2] =
    [GemmTile { m: 64, n: 64, efficiency: 0.6 }, GemmTile { m: 32, n: 32, efficiency: 0.4 }];
/// Device-side cost of one CUDA/ROCm kernel in GPU clock cycles: launch latency and ramp-up of back-to-back
/// small kernels, ~2-3 µs (Nsight traces of empty kernels; 'cudaLaunchKernel ~1-3 µs on CUDA 12+'), taken as
/// 2.5 µs at the A100's 1,410 MHz boost clock = 3,525 cycles. Counted in cycles because the front end that
/// dispatches a kernel's thread blocks and the fill and drain of the SMs run at the GPU's clock: a GPU with a
/// higher clock ([`GPU_BOOST`]: the L4 at 2,040 MHz) pays less time per kernel. A power-limited GPU's kernels
/// are launched at its boost clock: a load that throttles it slows their work, not their fixed cost.
/// Reliability: U (the time per kernel, not the scaling).
pub const CUDA_KERNEL_CYCLES: f64 = 2.5 * A100_BOOST_MHZ;
/// The A100's boost clock, MHz (the A100 whitepaper), which [`CUDA_KERNEL_CYCLES`] is quoted at.
const A100_BOOST_MHZ: f64 = 1410.0;
/// The boost clock each catalog GPU's peaks are quoted at, MHz, its FP32 lanes per SM (an AMD GPU's per
/// compute unit), and where the clock comes from. The FP32 peak is SMs × lanes × 2 × clock (a test checks each
/// row against the device's `peak_tflops.fp32`); the clock sets a kernel's fixed cost ([`CUDA_KERNEL_CYCLES`]).
pub const GPU_BOOST: [(&str, f64, u32, &str); 13] = [
    ("cuda:h100-sxm", 1980.0, 128, "NVIDIA H100 SXM5: 1,980 MHz boost (TechPowerUp GPU database; 66.9 FP32 TFLOPS = 132 SMs x 128 x 2 x 1.98 GHz)"),
    ("cuda:a100-40gb", 1410.0, 64, "NVIDIA A100 Tensor Core GPU Architecture whitepaper: 1,410 MHz boost, 64 FP32 cores per SM"),
    ("cuda:a100-80gb", 1410.0, 64, "NVIDIA A100 Tensor Core GPU Architecture whitepaper: 1,410 MHz boost, 64 FP32 cores per SM"),
    ("cuda:a100-pcie-80gb", 1410.0, 64, "NVIDIA A100 PCIe product brief: 1,410 MHz boost (the SXM4's peaks)"),
    ("cuda:a30", 1440.0, 64, "NVIDIA A30: 1,440 MHz boost (TechPowerUp GPU database, U; 10.3 FP32 TFLOPS = 56 SMs x 64 x 2 x 1.44 GHz)"),
    ("cuda:v100", 1530.0, 64, "NVIDIA Tesla V100 GPU Architecture whitepaper: 1,530 MHz boost (SXM2), 64 FP32 cores per SM"),
    ("cuda:t4", 1590.0, 64, "NVIDIA T4: 1,590 MHz boost (TechPowerUp GPU database, U; 8.1 FP32 TFLOPS = 40 SMs x 64 x 2 x 1.59 GHz)"),
    ("cuda:l4", 2040.0, 128, "NVIDIA L4: 2,040 MHz boost (TechPowerUp GPU database, U; 30.3 FP32 TFLOPS = 58 SMs x 128 x 2 x 2.04 GHz)"),
    ("cuda:rtx4090", 2520.0, 128, "NVIDIA Ada GPU Architecture whitepaper: RTX 4090 boost 2,520 MHz, 128 FP32 cores per SM"),
    ("cuda:rtx3090", 1695.0, 128, "NVIDIA Ampere GA102 GPU Architecture whitepaper: RTX 3090 boost 1,695 MHz, 128 FP32 cores per SM"),
    ("cuda:rtx5090", 2407.0, 128, "NVIDIA GeForce RTX 5090 (GB202): 2,407 MHz boost, 170 SMs of 128 FP32 cores (21,760), 104.8 FP32 TFLOPS (Tom's Hardware review, Jarred Walton, as reprinted by Linux Format May 2025)"),
    ("cuda:rtx-pro-6000-maxq", 2288.0, 128, "NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition (GB202): 2,288 MHz boost, 188 SMs of 128 FP32 cores (24,064), 110.1 FP32 TFLOPS = 188 x 128 x 2 x 2.288 GHz (technical.city specifications, U)"),
    ("rocm:mi250", 1700.0, 64, "AMD Instinct MI250: 1,700 MHz peak engine clock (AMD datasheet), 64 FP32 lanes per CU"),
];
/// The L2 cache the SMs (CUs) of each catalog GPU share, MB, and where the size comes from. A kernel whose
/// inputs, outputs and weights together fit in it reads its inputs where their producer left them, at the
/// L2's rate ([`GPU_L2_RATE`]), and only its weights from DRAM.
const GPU_L2: [(&str, f64, &str); 13] = [
    ("cuda:h100-sxm", 50.0, "NVIDIA H100 Tensor Core GPU Architecture whitepaper: 50 MB L2 (H100 SXM5)"),
    ("cuda:a100-40gb", 40.0, "NVIDIA A100 Tensor Core GPU Architecture whitepaper: 40 MB L2"),
    ("cuda:a100-80gb", 40.0, "NVIDIA A100 Tensor Core GPU Architecture whitepaper: 40 MB L2"),
    ("cuda:a100-pcie-80gb", 40.0, "NVIDIA A100 Tensor Core GPU Architecture whitepaper: 40 MB L2"),
    ("cuda:a30", 24.0, "24 MB L2 (GA100 with 24 GB; TechPowerUp GPU database, U)"),
    ("cuda:v100", 6.0, "NVIDIA Tesla V100 GPU Architecture whitepaper: 6,144 KB L2"),
    ("cuda:t4", 4.0, "NVIDIA Turing GPU Architecture whitepaper (TU104): 4 MB L2"),
    ("cuda:l4", 48.0, "AD104's 48 MB L2 (NVIDIA Ada GPU Architecture whitepaper, RTX 4070 Ti column; U for the L4)"),
    ("cuda:rtx4090", 72.0, "NVIDIA Ada GPU Architecture whitepaper: 72 MB L2 (RTX 4090)"),
    ("cuda:rtx3090", 6.0, "NVIDIA Ampere GA102 GPU Architecture whitepaper: 6,144 KB L2 (RTX 3090)"),
    ("cuda:rtx5090", 96.0, "NVIDIA GeForce RTX 5090: 96 MB L2 (Tom's Hardware review specifications)"),
    ("cuda:rtx-pro-6000-maxq", 128.0, "NVIDIA RTX PRO 6000 Blackwell Max-Q: GB202's whole 128 MB L2, the RTX 5090 96 MB of it (technical.city specifications, U)"),
    ("rocm:mi250", 8.0, "AMD CDNA 2 Architecture whitepaper: 8 MB L2 per GCD"),
];
/// The L3 cache of the catalog CPUs that have their own entry (the OpenVINO benchmark systems), one socket's, MB,
/// and where the size comes from. Its read rate is not known for them (`llc_bandwidth_gbps` stays 0): weights
/// that stay in it come at least at one core's own memory rate (`per_unit_bandwidth_gbps`).
const CPU_L3: [(&str, f64, &str); 3] = [
    (
        "openvino:xeon-8490h-2s",
        112.5,
        "Intel ark Xeon Platinum 8490H: 112.5 MB Intel Smart Cache per socket",
    ),
    (
        "openvino:xeon-8380-2s",
        60.0,
        "Intel ark Xeon Platinum 8380: 60 MB Intel Smart Cache per socket",
    ),
    ("openvino:i9-13900k", 36.0, "Intel ark Core i9-13900K: 36 MB Intel Smart Cache"),
];
/// Bytes per cycle one core reads from its own L2: Intel 64 and IA-32 Architectures Optimization Reference
/// Manual, "Cache parameters of the Skylake Server microarchitecture": L2 peak 64 B/cycle, sustained 52 B/cycle.
/// The sustained figure, taken for the later Xeon and Core cores too (Ice Lake and Golden Cove: U).
pub const CPU_L2_BYTES_PER_CYCLE: f64 = 52.0;

/// The private L2 of the catalog CPUs that have their own entry (the OpenVINO benchmark systems): MB per core,
/// the clock (GHz) its rate is taken at (the clock of the entry's peaks), and where the size comes from. The rate
/// per core is [`CPU_L2_BYTES_PER_CYCLE`] at that clock.
const CPU_L2: [(&str, f64, f64, &str); 3] = [
    (
        "openvino:xeon-8490h-2s",
        2.0,
        1.9,
        "Intel 4th Gen Xeon Scalable (Sapphire Rapids): 2 MB L2 per core (Intel Architecture Day 2021, Golden Cove server core); rate at the 1.9 GHz of the entry's peaks",
    ),
    (
        "openvino:xeon-8380-2s",
        1.25,
        2.3,
        "Intel 3rd Gen Xeon Scalable (Ice Lake): 1.25 MB L2 per core (Intel Xeon Scalable 3rd Gen product brief); rate at the 2.3 GHz of the entry's peaks",
    ),
    (
        "openvino:i9-13900k",
        32.0 / 24.0,
        (8.0 * 5.4 + 16.0 * 4.3) / 24.0,
        "Intel ark Core i9-13900K: Total L2 Cache 32 MB over 24 cores (2 MB per P-core, 4 MB per cluster of four E-cores, which share it), their mean per core; rate at the cores' mean max turbo (5.4 GHz P, 4.3 GHz E) of the entry's peaks (U for the E-cores' shared L2). OpenVINO's stream rule reads the L2 of the core it starts on: ResNet-50 FP32's worst layer has the factor 0.29 with the mean, 0.44 with a P-core's 2 MB (one thread either way), 0.22 with an E-core's 1 MB (four)",
    ),
];

/// What a CPU system is beyond its device profile, where a runtime's choices depend on it (OpenVINO's streams:
/// `predict::streams::openvino_stream_threads`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuSystem {
    /// Sockets (NUMA nodes without sub-NUMA clustering).
    pub sockets: u32,
    /// The CPU has efficient cores beside its performance cores (Intel's hybrid Core processors).
    pub efficient_cores: bool,
}

/// The catalog CPUs that have their own entry (the OpenVINO benchmark systems) as systems: sockets and efficient
/// cores, from the entries' own specifications (two Xeon sockets; the i9-13900K's 8 P-cores and 16 E-cores).
const CPU_SYSTEMS: [(&str, CpuSystem); 3] = [
    ("openvino:xeon-8490h-2s", CpuSystem { sockets: 2, efficient_cores: false }),
    ("openvino:xeon-8380-2s", CpuSystem { sockets: 2, efficient_cores: false }),
    ("openvino:i9-13900k", CpuSystem { sockets: 1, efficient_cores: true }),
];

/// The system of catalog CPU `id` (the benchmark systems with their own entry), where the catalog knows it.
pub fn cpu_system(id: &str) -> Option<CpuSystem> {
    CPU_SYSTEMS.iter().find(|(d, _)| *d == id).map(|(_, s)| *s)
}

/// Dense TF32 tensor-core peak of the catalog GPUs that have one, TFLOP/s, and where it comes from: NVIDIA
/// Ampere and later (half the dense FP16/BF16 tensor rate). Volta (V100) and Turing (T4) have no TF32 units and
/// AMD's CDNA 2 (MI250) no TF32 format, so a `tf32` model computes at their FP32 rate.
const GPU_TF32: [(&str, f64, &str); 10] = [
    ("cuda:h100-sxm", 494.7, "NVIDIA H100 datasheet: TF32 Tensor Core 989.4 TFLOPS with sparsity, 494.7 dense (REFERENCE-FACTS)"),
    ("cuda:a100-40gb", 156.0, "NVIDIA A100 datasheet: TF32 Tensor Core 156 TFLOPS dense (REFERENCE-FACTS)"),
    ("cuda:a100-80gb", 156.0, "NVIDIA A100 datasheet: TF32 Tensor Core 156 TFLOPS dense (REFERENCE-FACTS)"),
    ("cuda:a100-pcie-80gb", 156.0, "NVIDIA A100 datasheet: TF32 Tensor Core 156 TFLOPS dense (PCIe and SXM4 alike)"),
    ("cuda:a30", 82.0, "NVIDIA A30 datasheet: TF32 Tensor Core 82 TFLOPS dense (165 with sparsity)"),
    ("cuda:l4", 60.0, "NVIDIA L4 datasheet: TF32 Tensor Core 120 TFLOPS with sparsity, halved for dense"),
    ("cuda:rtx4090", 82.6, "NVIDIA Ada GPU Architecture whitepaper: RTX 4090 peak TF32 Tensor 82.6 TFLOPS dense"),
    ("cuda:rtx3090", 35.6, "NVIDIA Ampere GA102 GPU Architecture whitepaper: RTX 3090 peak TF32 Tensor 35.6 TFLOPS dense (71 with sparsity)"),
    ("cuda:rtx5090", 104.8, "RTX 5090 TF32 Tensor dense at its FP32 rate, as the GeForce RTX 4090's 82.6 and 3090's 35.6 (U: the RTX Blackwell whitepaper's table not read)"),
    ("cuda:rtx-pro-6000-maxq", 220.2, "RTX PRO 6000 Blackwell TF32 Tensor dense at twice its FP32 rate, as the 600 W edition's 251.9 of 125.95 (hmc-tech.com specifications, U), at the Max-Q's 110.1"),
];
/// On a CUDA GPU with one FP32 pipe per SM sub-partition (64 FP32 lanes per SM, [`GPU_BOOST`]: Volta, Turing,
/// GA100), the share of the FP32 peak a GEMM tile on the CUDA cores sustains over the share of the tensor peak
/// the same tile sustains on the tensor cores (`GPU_TILES`): cuBLAS SGEMM and cuDNN's FP32 implicit GEMM taken
/// at about 85-90 % of the FP32 peak on large problems where tensor-core tiles reach about 70 % of theirs,
/// 0.875 / 0.70 = 1.25. Reliability U: the 85-90 % is the commonly quoted SGEMM share, not a measurement this
/// project holds; what pins it is DeepLearningExamples' FP32 ResNet-50 tables (V100, T4), whose fit over all
/// published rows puts ×1.19 on top of it (session 51). GPUs with 128 FP32 lanes per SM (Ada, Hopper) keep 1:
/// half of Ada's lanes share their issue slot with integer work, and cuBLAS SGEMM sustains about 60 % of such a
/// doubled peak (RTX A6000, GA102: 23,270 of 38,700 GFLOP/s at 4096², abhik.ai "CUDA matrix multiplication
/// optimization", U). `tests/published.rs` fits it as `gpu_fp32_tile_gain`.
pub const GPU_FP32_TILE_GAIN: f64 = 1.25;
/// On a CUDA or ROCm GPU, the share of the INT8 tensor peak a GEMM tile sustains over the share of the FP16 peak
/// it sustains (`GPU_TILES`, `GPU_GEMM_SHARE`, both at FP16) before the published rows' fit: 1, the same share
/// (U; the prior `tests/published.rs` fits `gpu_int8_tile_gain` toward).
pub const GPU_INT8_TILE_GAIN_PRIOR: f64 = 1.0;
/// The catalog's INT8 tile gain: the prior times the factor the fit over all published rows gives, 2^(−1/8) =
/// ×0.917 (session 63, over 129 rows: every leave-one-source-out fold gave the same step; session 64's 145 rows
/// leave the fit over all of them at the prior, the 16 added FP16 and BF16 rows diluting the INT8 rows' pull
/// against the prior's, while five of the seven folds still take the step). The published INT8 rows run below
/// the FP16 share: six of TensorRT's nine INT8 BERT rows (T4, A30, A100, L4) 15-20 % slower than it predicts,
/// the T4's batch-1 BERT-large 26 %; MLPerf's INT8 rows are mixed (an INT8 engine keeps its softmax,
/// normalisations and residual adds in FP16 and requantises every product's output, work the INT8 peak does
/// not speed up; the gain carries that share, U as to which part is which).
pub const GPU_INT8_TILE_GAIN: f64 = GPU_INT8_TILE_GAIN_PRIOR * 0.917_004_043_204_671_2;
/// A GPU's L2 read rate over its achievable DRAM bandwidth. No datasheet gives the L2's rate: 2x is a starting
/// value (U) that the published rows keep: `tests/published.rs` fits it as `gpu_l2_rate` with leave-one-source-
/// out cross-validation, ×1 in five of six folds and ×1.09 in the sixth (session 36; with the rate fixed, 1.5x
/// to 5x gave held-out median errors of 15.7-18.4 %, 2x 16.4 %).
const GPU_L2_RATE: f64 = 2.0;
/// An NPU's vector DSPs' rate as a share of its int8 MAC peak before the published rows' fit (the prior
/// `tests/published.rs` fits `npu_vector_share` toward). No vendor publishes it. Intel's Meteor Lake NPU has two
/// neural compute engines, each a MAC array of 2,048 MACs per cycle beside two programmable VLIW DSPs
/// (TechPowerUp, "Intel Meteor Lake Technical Deep Dive", NPU page); taking each DSP (SHAVE, Movidius' 128-bit
/// VLIW vector engine) as 8 fp16 lanes at one operation per lane and cycle gives 4 × 8 / (2 × 2,048 × 2) ≈
/// 0.0039 of the int8 rate (U); Qualcomm's Hexagon (HVX beside the HMX tensor unit) gets the same share (U).
pub const NPU_VECTOR_UNIT_SHARE_PRIOR: f64 = 0.0039;
/// The share the catalog's NPUs have (`DeviceProfile::vector_unit_share`): the prior times the factor the fit
/// over all published rows gives (`cargo test --release --test published`, "all rows": 2^(−12/8) = ×0.354,
/// session 38). The leave-one-source-out folds start from, and pull toward, the prior (the knob's
/// `Knob::prior`), so their held-out errors measure this fit without its own rows.
pub const NPU_VECTOR_UNIT_SHARE: f64 = NPU_VECTOR_UNIT_SHARE_PRIOR * 0.353_553_390_593_273_8;
/// Device-side cost of one NPU kernel before the published rows' fit, µs (U: a guess as for the catalog's other
/// accelerators; the prior `tests/published.rs` fits `npu_kernel_us` toward).
pub const NPU_KERNEL_US_PRIOR: f64 = 50.0;
/// The catalog's NPU kernel cost, µs (11.5): the prior times the factor the fit over all published rows gives
/// (2^(−17/8) = ×0.229, session 38; the folds give ×0.18-0.27 of the prior: both NPUs' rows put it far below).
pub const NPU_KERNEL_US: f64 = NPU_KERNEL_US_PRIOR * 0.229_251_010_801_167_8;
/// Vector operations per element of a GELU computed on an NPU's DSPs ([`DeviceProfile::activation_on_dsps`]),
/// counted from its tanh form `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`: five multiplies and adds around
/// the tanh, and the tanh as `(e − 1)/(e + 1)` of `e = exp(2y)`, an exponential of about ten operations
/// (range reduction and a polynomial) and a division of about five (U: no vendor publishes its DSP kernels).
pub const DSP_GELU_OPS_PER_ELEM: f64 = 20.0;
/// Habitat (Yu et al., USENIX ATC 2021) measured DRAM bandwidth at 62-85 % of datasheet; mid value where a
/// device was not measured. The RTX 3090's and 4090's own figures (91-96 %) are read-only probes: traffic
/// with writes in it may run somewhat below them.
const DEFAULT_BW_EFF: f64 = 0.75;
/// Co-running slowdown per extra model on GPUs from L2 and scheduler sharing: a few percent per co-runner
/// (reported for concurrent CUDA streams/MPS in GPU-sharing studies); to be refitted by calibration.
const GPU_INTERFERENCE: f64 = 0.05;
/// A parallel region on a spinning pool costs about half a microsecond per extra thread on a bare-metal
/// core (a wake-up flag and a join barrier: two cross-core cache-line transfers of ~100-200 ns each, plus
/// the work hand-out). Reliability U for catalog devices; `mmperf calibrate` measures it (0.07-0.12 µs on the
/// 2-core development VM over this session's quiet runs).
const CPU_REGION_US_PER_THREAD: f64 = 0.5;
/// A blocked thread's wake-up: futex wake, IPI and context switch, a few µs on bare metal and tens under a
/// hypervisor (vCPU wake-up through the host scheduler). Reliability U.
const CPU_WAKE_US: f64 = 30.0;
/// First write to a fresh anonymous 4 KiB page: the trap, the page allocation and zeroing 4 KiB, about a
/// microsecond (Reliability U for catalog devices); `mmperf calibrate` measures it (1.53-1.72 µs on the 2-core
/// development VM over four calibrations, where the hypervisor's nested page tables add to each fault).
const CPU_PAGE_FAULT_US: f64 = 1.0;
/// A CPU memory page, bytes: the base page of x86-64 and of AArch64 Linux (4 KiB granule), the unit
/// `page_fault_us` is measured and charged in.
pub const PAGE_BYTES: usize = 4096;

/// Linux's scheduler slice for `cores` CPUs: 0.75 ms × (1 + ⌊log2 cores⌋), capped at 8 CPUs as the kernel's
/// `sched_update_scaling` does (kernel/sched/fair.c: `sysctl_sched_base_slice`, SCHED_TUNABLESCALING_LOG).
pub fn linux_slice_us(cores: u32) -> f64 {
    let n = cores.clamp(1, 8);
    750.0 * f64::from(1 + n.ilog2())
}

/// On CPUs co-runners thrash the shared L3 harder.
const CPU_INTERFERENCE: f64 = 0.08;
/// ONNX Runtime and OpenMP spin before sleeping (ORT allow_spinning default on; KMP_BLOCKTIME 200 ms), so
/// about half of an oversubscribed thread's wait is burnt. To be refitted by `mmperf calibrate`.
const SPIN_WAIT_SHARE: f64 = 0.5;
/// The clock the 70 W, passively cooled T4 runs at with its compute units kept busy, as a share of its
/// 1,590 MHz boost: about 900 MHz, as `nvidia-smi` showed on a T4 of an AWS g4dn.4xlarge running MLPerf BERT
/// in the SingleStream scenario with the application clocks set to 1,590 MHz (mlcommons/inference_results_v0.5
/// issue #20, comment of 2020-06-16: "at the maximum frequency the GPU is not really stable, dropping down to
/// ~900 MHz in a SingleStream run"). That run's queries took 98 ms each (its 90th-percentile latency,
/// 98,016,803 ns, 11.27 queries/s: BERT one query at a time from a Python SUT), long enough that the GPU is
/// busy nearly all of each, so the clock is taken as the full-load one. Jia et al., "Dissecting the NVidia
/// Turing T4 GPU via Microbenchmarking" (2019) show compute-heavy kernels hitting its power limit. The T4 is a
/// power-limited GPU like those of [`POWER_REFERENCES`], but no Turing part in the catalog can serve as its
/// reference, so its full-load power is the one at which that load draws its 70 W at this clock
/// ([`FULL_LOAD_CLOCKS`]): a lighter load (a small batch, launch gaps, memory-bound kernels) runs faster. `tests/published.rs` fits a factor on it
/// (`t4_full_load_clock`) from this prior.
pub const T4_FULL_LOAD_CLOCK: f64 = 900.0 / 1590.0;
/// Power-limited GPUs known by the clock a full load runs at instead of by a reference part: the board power
/// their compute units would draw busy at the boost clock is then the one that draws `tdp_w` at that clock
/// ([`full_load_w_at_clock`]). Each row: the GPU, its full-load clock as a share of its boost, and where that
/// comes from.
pub const FULL_LOAD_CLOCKS: [(&str, f64, &str); 1] = [(
    "cuda:t4",
    T4_FULL_LOAD_CLOCK,
    "about 900 MHz of its 1,590 MHz boost with the units busy: nvidia-smi on a T4 running MLPerf BERT SingleStream (98 ms queries), mlcommons/inference_results_v0.5 issue #20 (2020-06-16)",
)];
/// The board power compute units busy at the boost clock draw, W, on a device that idles at `idle_w` and whose
/// full load runs at `clock` (a share of the boost clock) within `tdp_w`: under
/// [`DeviceProfile::power_limited_clock`]'s law (dynamic power `∝ clock³`), `idle_w + (tdp_w − idle_w) / clock³`.
pub fn full_load_w_at_clock(idle_w: f64, tdp_w: f64, clock: f64) -> f64 {
    idle_w + (tdp_w - idle_w) / (clock * clock * clock)
}

/// GPUs whose power limit sets their clock under a heavy load, each with the reference part of its architecture
/// whose energy per operation it shares: the reference reaches its own board power with its tensor cores busy at
/// its boost clock (U: the full-load power of no GPU is published), so the GPU draws its int8 peak times the
/// reference's board power per int8 operation, the same silicon at the same voltage and clock ranges. The L4
/// (72 W, 242.5 dense int8 TOPS) against the RTX 4090 (Ada, 450 W, 660.6): 165 W; the A30 (165 W, 330 TOPS) and
/// the A100 PCIe (300 W, 624) against the A100 SXM4 (400 W, 624): 212 W and 400 W; the RTX PRO 6000 Blackwell
/// Max-Q (300 W, 880.9) against the RTX 5090 (its GB202 die, 575 W, 838): 604 W.
pub const POWER_REFERENCES: [(&str, &str); 4] = [
    ("cuda:l4", "cuda:rtx4090"),
    ("cuda:a30", "cuda:a100-40gb"),
    ("cuda:a100-pcie-80gb", "cuda:a100-80gb"),
    ("cuda:rtx-pro-6000-maxq", "cuda:rtx5090"),
];

/// The most a profile's `runtime_region_us` may hold, µs: starting a thread costs tens to hundreds of µs
/// (0.07-0.24 ms on the 2-vCPU VMs, session 27); 10 ms per region would be a broken probe, not a machine.
pub const MAX_REGION_US: f64 = 10_000.0;
/// PCIe 4.0 x16 ≈ 32 GB/s per direction; ~25 GB/s achieved for host-to-device copies.
const PCIE4_GBPS: f64 = 25.0;

struct Dev {
    id: &'static str,
    name: &'static str,
    peaks: Peaks,
    bw: f64,
    bw_eff: f64,
    mem_gb: f64,
    pool: MemoryPool,
    tdp: f64,
    units: u32,
    kind: Kind,
    host_cores: u32,
    source: &'static str,
}

#[derive(Clone, Copy)]
enum Kind {
    Gpu,
    SerialGpu(f64),
    Cpu(f64),
    Npu(f64),
}

const fn peaks(fp32: f64, fp16: f64, bf16: f64, int8: f64, int4: f64) -> Peaks {
    Peaks { fp32, fp16, bf16, int8, int4, ..Peaks::NONE }
}

use MemoryPool::{Dedicated, Host};

const DEVICES: [Dev; 33] = [
    Dev { id: "cuda:h100-sxm", name: "NVIDIA H100 SXM5 80GB", peaks: peaks(66.9, 989.4, 989.4, 1978.9, 0.0), bw: 3350.0, bw_eff: 0.62, mem_gb: 80.0, pool: Dedicated, tdp: 700.0, units: 132, kind: Kind::Gpu, host_cores: 16, source: "NVIDIA H100 datasheet via glennklockwood.com/garden/processors/h100; bandwidth efficiency 2,090/3,350 GB/s measured by Habitat" },
    Dev { id: "cuda:a100-40gb", name: "NVIDIA A100 SXM4 40GB", peaks: peaks(19.5, 312.0, 312.0, 624.0, 1248.0), bw: 1555.0, bw_eff: 0.75, mem_gb: 40.0, pool: Dedicated, tdp: 400.0, units: 108, kind: Kind::Gpu, host_cores: 16, source: "NVIDIA A100 datasheet (glennklockwood A100); bandwidth efficiency 1,160/1,555 GB/s measured by Habitat" },
    Dev { id: "cuda:a100-80gb", name: "NVIDIA A100 SXM4 80GB", peaks: peaks(19.5, 312.0, 312.0, 624.0, 1248.0), bw: 2039.0, bw_eff: 0.75, mem_gb: 80.0, pool: Dedicated, tdp: 400.0, units: 108, kind: Kind::Gpu, host_cores: 16, source: "NVIDIA A100 datasheet (80GB SXM: 2,039 GB/s); bandwidth efficiency as A100-40GB (Habitat)" },
    Dev { id: "cuda:a100-pcie-80gb", name: "NVIDIA A100 PCIe 80GB", peaks: peaks(19.5, 312.0, 312.0, 624.0, 1248.0), bw: 1935.0, bw_eff: 0.75, mem_gb: 80.0, pool: Dedicated, tdp: 300.0, units: 108, kind: Kind::Gpu, host_cores: 16, source: "NVIDIA A100 datasheet (80GB PCIe: the SXM4's peaks, 1,935 GB/s, 300 W max TDP); bandwidth efficiency as A100-40GB (Habitat)" },
    Dev { id: "cuda:a30", name: "NVIDIA A30 24GB", peaks: peaks(10.3, 165.0, 165.0, 330.0, 661.0), bw: 933.0, bw_eff: DEFAULT_BW_EFF, mem_gb: 24.0, pool: Dedicated, tdp: 165.0, units: 56, kind: Kind::Gpu, host_cores: 16, source: "NVIDIA A30 datasheet: FP32 10.3 TF, FP16/BF16 165 TF, INT8 330 TOPS, 933 GB/s HBM2, 165 W, 56 SMs" },
    Dev { id: "cuda:v100", name: "NVIDIA V100 SXM2 32GB", peaks: peaks(15.7, 125.0, 0.0, 62.8, 0.0), bw: 900.0, bw_eff: DEFAULT_BW_EFF, mem_gb: 32.0, pool: Dedicated, tdp: 300.0, units: 80, kind: Kind::Gpu, host_cores: 16, source: "NVIDIA V100 datasheet: FP32 15.7 TF, tensor FP16 125 TF, INT8 via DP4A = 4x FP32, 900 GB/s, 300 W, 80 SMs; no BF16" },
    Dev { id: "cuda:t4", name: "NVIDIA T4 16GB", peaks: peaks(8.1, 65.0, 0.0, 130.0, 260.0), bw: 320.0, bw_eff: 239.0 / 320.0, mem_gb: 16.0, pool: Dedicated, tdp: 70.0, units: 40, kind: Kind::Gpu, host_cores: 16, source: "NVIDIA T4 datasheet: FP32 8.1 TF, FP16 65 TF, INT8 130 TOPS, INT4 260 TOPS, 320 GB/s GDDR6, 70 W, 40 SMs; bandwidth efficiency 239/320 measured by Habitat; no BF16" },
    Dev { id: "cuda:l4", name: "NVIDIA L4 24GB", peaks: peaks(30.3, 121.0, 121.0, 242.5, 0.0), bw: 300.0, bw_eff: 254.0 / 300.0, mem_gb: 24.0, pool: Dedicated, tdp: 72.0, units: 58, kind: Kind::Gpu, host_cores: 16, source: "NVIDIA L4 datasheet: FP32 30.3 TF, FP16 242 TF and INT8 485 TOPS with sparsity (halved for dense), 300 GB/s, 72 W, 58 SMs; bandwidth efficiency 254/300 measured by Habitat" },
    Dev { id: "cuda:rtx4090", name: "NVIDIA GeForce RTX 4090", peaks: peaks(82.6, 165.2, 165.2, 660.6, 1321.2), bw: 1008.0, bw_eff: 921.3 / 1008.0, mem_gb: 24.0, pool: Dedicated, tdp: 450.0, units: 128, kind: Kind::Gpu, host_cores: 16, source: "Ada whitepaper via waredb.com/gigagpu.com: FP32 82.6 TF, FP16 tensor 165.2 TF with FP32 accumulate, INT8 660.6 TOPS, 1,008 GB/s, 450 W, 128 SMs; bandwidth efficiency 921.3/1,008 GB/s: clpeak's global memory bandwidth (reads of 16-wide float vectors) on an RTX 4090 held to 248 W under Windows, krrishnarraj/clpeak issue #106 (2023-05-20); a read-only probe" },
    Dev { id: "cuda:rtx5090", name: "NVIDIA GeForce RTX 5090", peaks: peaks(104.8, 209.5, 209.5, 838.0, 0.0), bw: 1792.0, bw_eff: DEFAULT_BW_EFF, mem_gb: 32.0, pool: Dedicated, tdp: 575.0, units: 170, kind: Kind::Gpu, host_cores: 16, source: "NVIDIA GeForce RTX 5090 (Blackwell GB202; Tom's Hardware review specifications, Jarred Walton, reprinted by Linux Format May 2025): 170 SMs, FP32 104.8 TF, FP16 tensor 838 TFLOPS with sparsity and FP16 accumulate, so 209.5 dense with FP32 accumulate at GeForce's half rate as the RTX 4090's 165.2 of 330.3 (U), BF16 alike; INT8 838 TOPS dense (U: FP8's rate); no INT4 tensor path (FP4 instead); 32 GB GDDR7 at 28 Gb/s on 512 bits, 1,792 GB/s; 575 W; bandwidth efficiency the catalog's default (no measurement found)" },
    Dev { id: "cuda:rtx-pro-6000-maxq", name: "NVIDIA RTX PRO 6000 Blackwell Max-Q", peaks: peaks(110.1, 440.5, 440.5, 880.9, 0.0), bw: 1792.0, bw_eff: DEFAULT_BW_EFF, mem_gb: 96.0, pool: Dedicated, tdp: 300.0, units: 188, kind: Kind::Gpu, host_cores: 16, source: "NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition (GB202, the RTX 5090's die): 188 SMs at 2,288 MHz boost, FP32 110.1 TF (technical.city specifications, U); 300 W (the Workstation Edition 600 W); FP16 and BF16 tensor 4x FP32 dense with FP32 accumulate (440.5) and INT8 8x (880.9): the 600 W edition's 503.8 TF FP16 with FP32 accumulate and 1.01 POPS INT8 dense at 125.95 TF FP32 (hmc-tech.com specifications, U), scaled to the Max-Q's clock; professional cards accumulate FP32 at the full rate, GeForce at half; no INT4 tensor path (FP4 instead); 96 GB GDDR7 at 28 Gb/s on 512 bits, 1,792 GB/s; bandwidth efficiency the catalog's default, as the RTX 5090's" },
    Dev { id: "cuda:rtx3090", name: "NVIDIA GeForce RTX 3090", peaks: peaks(35.58, 71.0, 71.0, 284.0, 568.0), bw: 936.2, bw_eff: 894.5 / 936.2, mem_gb: 24.0, pool: Dedicated, tdp: 350.0, units: 82, kind: Kind::Gpu, host_cores: 16, source: "NVIDIA Ampere GA102 GPU Architecture whitepaper (RTX 3090 column): 82 SMs, FP32 35.6 TF, FP16 and BF16 tensor 71 TF with FP32 accumulate (dense), INT8 284 TOPS, INT4 568 TOPS, 384-bit GDDR6X at 19.5 Gbps = 936.2 GB/s, 24 GB, 350 W total graphics power; bandwidth efficiency 894.5/936.2 GB/s: a sustained-read probe on an RTX 3090 (sm_86), Don-Chad/ninfer-3090 pull request #17 (open, 2026-09-01); a read-only probe" },
    Dev { id: "rocm:mi250", name: "AMD Instinct MI250 (one GCD)", peaks: peaks(22.6, 181.0, 181.0, 181.0, 0.0), bw: 1638.4, bw_eff: DEFAULT_BW_EFF, mem_gb: 64.0, pool: Dedicated, tdp: 250.0, units: 104, kind: Kind::Gpu, host_cores: 16, source: "AMD MI250 datasheet (package: FP32 vector 45.3 TF, FP16/BF16/INT8 362 TF, 3,277 GB/s, 128 GB, 500 W, 208 CUs) halved: frameworks see each of the two GCDs as one device" },
    Dev { id: "mps:m1", name: "Apple M1 (8-core GPU)", peaks: peaks(2.6, 2.6, 0.0, 0.0, 0.0), bw: 68.25, bw_eff: DEFAULT_BW_EFF, mem_gb: 16.0, pool: Host, tdp: 20.0, units: 8, kind: Kind::SerialGpu(10.0), host_cores: 8, source: "Apple M1: 8-core GPU 2.6 TF FP32 (FP16 same rate), LPDDR4X-4266 128-bit 68.25 GB/s unified; PyTorch MPS uses one command queue per process" },
    Dev { id: "mps:m2", name: "Apple M2 (10-core GPU)", peaks: peaks(3.578, 3.578, 0.0, 0.0, 0.0), bw: 100.0, bw_eff: DEFAULT_BW_EFF, mem_gb: 16.0, pool: Host, tdp: 22.0, units: 10, kind: Kind::SerialGpu(10.0), host_cores: 8, source: "askgeek.io M2 10-core GPU 3.578 TF FP32, FP16 same rate (U); LPDDR5-6400 100 GB/s unified (Apple); PyTorch MPS uses one command queue per process" },
    Dev { id: "openvino:cpu", name: "Intel Core i7-1185G7 (4 cores, AVX-512 VNNI)", peaks: peaks(0.384, 0.0, 0.0, 1.536, 0.0), bw: 68.3, bw_eff: DEFAULT_BW_EFF, mem_gb: 16.0, pool: Host, tdp: 28.0, units: 4, kind: Kind::Cpu(20.0), host_cores: 4, source: "Intel ark i7-1185G7: 4 cores, 3.0 GHz base, one 512-bit FMA port per core = 32 FP32 FLOP/cycle (384 GFLOP/s), VNNI int8 4x; LPDDR4x-4266 128-bit 68.3 GB/s, 28 W" },
    Dev { id: "openvino:xeon-8490h-2s", name: "2x Intel Xeon Platinum 8490H (120 cores, AVX-512, AMX)", peaks: peaks(14.592, 29.184, 233.472, 466.944, 0.0), bw: 614.4, bw_eff: DEFAULT_BW_EFF, mem_gb: 512.0, pool: Host, tdp: 700.0, units: 120, kind: Kind::Cpu(20.0), host_cores: 120, source: "Intel ark Xeon Platinum 8490H: 60 cores, 1.9 GHz base (AVX-512 and AMX run near base with every core busy), two 512-bit FMA ports = 64 FP32 FLOP/cycle/core (AVX512-FP16 2x), AMX tiles 1,024 BF16 and 2,048 INT8 ops/cycle/core (Intel Architecture Day 2021); 8 channels DDR5-4800 = 307.2 GB/s per socket; 350 W per socket; two sockets (the OpenVINO benchmark system); memory size (not stated by the benchmark) and per-core bandwidth U as cpu:server-32c" },
    Dev { id: "openvino:xeon-8380-2s", name: "2x Intel Xeon Platinum 8380 (80 cores, AVX-512 VNNI)", peaks: peaks(11.776, 0.0, 0.0, 47.104, 0.0), bw: 409.6, bw_eff: DEFAULT_BW_EFF, mem_gb: 512.0, pool: Host, tdp: 540.0, units: 80, kind: Kind::Cpu(20.0), host_cores: 80, source: "Intel ark Xeon Platinum 8380: 40 cores, 2.3 GHz base, two 512-bit FMA ports = 64 FP32 FLOP/cycle/core, AVX-512 VNNI int8 4x (no BF16, no FP16 arithmetic); 8 channels DDR4-3200 = 204.8 GB/s per socket; 270 W per socket; two sockets (the OpenVINO benchmark system); memory size (not stated by the benchmark) and per-core bandwidth U as cpu:server-32c" },
    Dev { id: "openvino:i9-13900k", name: "Intel Core i9-13900K (8P + 16E cores, AVX2)", peaks: peaks(2.483, 0.0, 0.0, 9.933, 0.0), bw: 89.6, bw_eff: DEFAULT_BW_EFF, mem_gb: 32.0, pool: Host, tdp: 253.0, units: 24, kind: Kind::Cpu(25.0), host_cores: 24, source: "Intel ark Core i9-13900K: 8 P-cores at 5.4 GHz max turbo with two 256-bit FMA ports (32 FP32 FLOP/cycle) and 16 E-cores at 4.3 GHz with two 128-bit ones (16 FLOP/cycle): 1.382 + 1.101 TF; AVX-VNNI int8 4x on both; no AVX-512; DDR5-5600 dual channel 89.6 GB/s; 253 W maximum turbo power (125 W base); memory size (not stated by the benchmark) and per-core bandwidth U as cpu:desktop-8c" },
    Dev { id: "openvino:gpu", name: "Intel Iris Xe 96EU (Tiger Lake iGPU)", peaks: peaks(2.1, 4.2, 0.0, 8.3, 0.0), bw: 68.3, bw_eff: DEFAULT_BW_EFF, mem_gb: 16.0, pool: Host, tdp: 28.0, units: 96, kind: Kind::SerialGpu(5.0), host_cores: 4, source: "Iris Xe 96 EU: 768 lanes x 2 x 1.35 GHz = 2.1 TF FP32, FP16 2:1, DP4a int8 ~8 TOPS (U); shares LPDDR4x 68.3 GB/s and RAM with the CPU" },
    Dev { id: "openvino:npu", name: "Intel Core Ultra 7 165H NPU (Meteor Lake)", peaks: peaks(0.0, 5.5, 0.0, 11.0, 0.0), bw: 89.6, bw_eff: DEFAULT_BW_EFF, mem_gb: 16.0, pool: Host, tdp: 28.0, units: 1, kind: Kind::Npu(NPU_KERNEL_US), host_cores: 16, source: "Intel Core Ultra 7 165H (Intel ark): NPU 11 TOPS INT8, FP16 at half rate (U, as webnn:npu); 28 W processor base power; 16 cores (6P + 8E + 2LP); DDR5-5600 dual channel 89.6 GB/s shared (the processor also takes LPDDR5x-7467; the OpenVINO benchmark system's memory type and size are not stated: 16 GB U); kernel cost 11.5 µs and vector DSPs at 0.00138 of the INT8 peak, as every catalog NPU: both fitted to the published NPU rows (NPU_KERNEL_US, NPU_VECTOR_UNIT_SHARE; tests/published.rs)" },
    Dev { id: "qnn:x-elite-npu", name: "Qualcomm Snapdragon X Elite Hexagon NPU", peaks: peaks(0.0, 22.5, 0.0, 45.0, 45.0), bw: 135.0, bw_eff: DEFAULT_BW_EFF, mem_gb: 16.0, pool: Host, tdp: 10.0, units: 1, kind: Kind::Npu(NPU_KERNEL_US), host_cores: 12, source: "Qualcomm Snapdragon X Elite: Hexagon NPU 45 TOPS INT8; FP16 at half the INT8 rate (U); LPDDR5x-8448 135 GB/s shared; no FP32 on the HTP" },
    Dev { id: "cpu:desktop-8c", name: "AMD Ryzen 7 7700X (8 cores, AVX-512)", peaks: peaks(1.152, 0.0, 2.304, 2.304, 0.0), bw: 83.2, bw_eff: 0.8, mem_gb: 32.0, pool: Host, tdp: 105.0, units: 8, kind: Kind::Cpu(25.0), host_cores: 8, source: "AMD Ryzen 7 7700X: 8 Zen 4 cores at 4.5 GHz, 2x256-bit FMA = 32 FP32 FLOP/cycle/core (1.15 TF), AVX512-BF16/VNNI 2x; DDR5-5200 dual channel 83.2 GB/s; 105 W" },
    Dev { id: "cpu:laptop-4c", name: "Intel Core i7-1185G7 (4 cores)", peaks: peaks(0.384, 0.0, 0.0, 1.536, 0.0), bw: 68.3, bw_eff: DEFAULT_BW_EFF, mem_gb: 16.0, pool: Host, tdp: 28.0, units: 4, kind: Kind::Cpu(20.0), host_cores: 4, source: "as openvino:cpu" },
    Dev { id: "cpu:server-32c", name: "AMD EPYC 7543 (32 cores, AVX2)", peaks: peaks(2.867, 0.0, 0.0, 5.734, 0.0), bw: 204.8, bw_eff: DEFAULT_BW_EFF, mem_gb: 256.0, pool: Host, tdp: 225.0, units: 32, kind: Kind::Cpu(20.0), host_cores: 32, source: "AMD EPYC 7543: 32 Zen 3 cores at 2.8 GHz, 2x256-bit FMA = 32 FP32 FLOP/cycle/core; 8x DDR4-3200 204.8 GB/s; 225 W" },
    Dev { id: "webgpu:integrated", name: "Integrated GPU via WebGPU (Iris Xe class)", peaks: peaks(2.1, 4.2, 0.0, 0.0, 0.0), bw: 68.3, bw_eff: 0.6, mem_gb: 4.0, pool: Host, tdp: 28.0, units: 96, kind: Kind::SerialGpu(15.0), host_cores: 4, source: "Iris Xe 96EU peaks (see openvino:gpu); shader-f16 needed for the FP16 rate; one GPUQueue per device; ~15 µs per dispatch through Dawn validation and command encoding (U); browsers cap usable memory well below RAM" },
    Dev { id: "webgpu:discrete", name: "Discrete GPU via WebGPU (RTX 3060 class)", peaks: peaks(12.7, 12.7, 0.0, 0.0, 0.0), bw: 360.0, bw_eff: 0.7, mem_gb: 12.0, pool: Dedicated, tdp: 170.0, units: 28, kind: Kind::SerialGpu(10.0), host_cores: 8, source: "NVIDIA RTX 3060: 12.7 TF FP32, WGSL f16 runs at the FP32 rate (no tensor cores from WebGPU), 360 GB/s, 12 GB, 170 W, 28 SMs" },
    Dev { id: "webgpu:fallback", name: "Software WebGPU adapter (SwiftShader)", peaks: peaks(0.001, 0.0, 0.0, 0.0, 0.0), bw: 5.0, bw_eff: 1.0, mem_gb: 2.0, pool: Host, tdp: 15.0, units: 2, kind: Kind::SerialGpu(50.0), host_cores: 2, source: "measured here: SwiftShader compute shaders run f32 matmul at 0.5-1.3 GFLOP/s in headless Chromium (TOOLCHAIN.md); isFallbackAdapter = true: a CPU in disguise" },
    Dev { id: "webnn:cpu", name: "WebNN CPU context (laptop CPU, XNNPACK)", peaks: peaks(0.384, 0.0, 0.0, 1.536, 0.0), bw: 68.3, bw_eff: DEFAULT_BW_EFF, mem_gb: 4.0, pool: Host, tdp: 28.0, units: 4, kind: Kind::Cpu(20.0), host_cores: 4, source: "as cpu:laptop-4c, through the browser's WebNN CPU backend (TFLite/XNNPACK)" },
    Dev { id: "webnn:gpu", name: "WebNN GPU context (Iris Xe class, DirectML)", peaks: peaks(2.1, 4.2, 0.0, 8.3, 0.0), bw: 68.3, bw_eff: DEFAULT_BW_EFF, mem_gb: 4.0, pool: Host, tdp: 28.0, units: 96, kind: Kind::SerialGpu(5.0), host_cores: 4, source: "Iris Xe 96EU peaks, native DirectML kernels through WebNN" },
    Dev { id: "webnn:npu", name: "WebNN NPU context (Intel Core Ultra NPU, 11 TOPS)", peaks: peaks(0.0, 5.5, 0.0, 11.0, 0.0), bw: 89.6, bw_eff: DEFAULT_BW_EFF, mem_gb: 4.0, pool: Host, tdp: 8.0, units: 1, kind: Kind::Npu(NPU_KERNEL_US), host_cores: 6, source: "Intel Core Ultra (Meteor Lake) NPU: 11 TOPS INT8 (Intel), FP16 at half rate (U); LPDDR5x-5600 89.6 GB/s shared" },
    Dev { id: "wasm:laptop-4c", name: "WebAssembly SIMD on a 4-core laptop CPU", peaks: peaks(0.192, 0.0, 0.0, 0.384, 0.0), bw: 68.3, bw_eff: 0.6, mem_gb: 4.0, pool: Host, tdp: 28.0, units: 4, kind: Kind::Cpu(15.0), host_cores: 4, source: "wasm SIMD is 128-bit: 4 FP32 lanes x 2 (mul+add, relaxed-simd FMA) x 2 ports x 3.0 GHz = 48 GFLOP/s per core (what a runtime's kernels reach of it is the runtime's efficiency: onnxruntime-web 0.5, measured against a calibrated core's peak × the SIMD128 ratio in bench/web); without relaxed SIMD, half (U); threads need cross-origin isolation; 4 GB wasm32 address space" },
    Dev { id: "wasm:desktop-8c", name: "WebAssembly SIMD on an 8-core desktop CPU", peaks: peaks(0.576, 0.0, 0.0, 1.152, 0.0), bw: 83.2, bw_eff: 0.6, mem_gb: 4.0, pool: Host, tdp: 105.0, units: 8, kind: Kind::Cpu(20.0), host_cores: 8, source: "Ryzen 7 7700X with 128-bit wasm SIMD: 4 lanes x 2 x 2 ports x 4.5 GHz = 72 GFLOP/s per core (relaxed-SIMD FMA; without it, half) (U)" },
];

/// Idle power and thermal behaviour per device: (id, idle W, seconds until throttling (0 = never), speed after).
/// Idle figures are typical readings of an idle device (nvidia-smi P8 state for NVIDIA boards; package power
/// for CPUs and SoCs); reliability U. Throttling: fanless and thin devices drop clocks under sustained load
/// (e.g. reviews of the fanless M1/M2 MacBook Air show GPU clocks falling after a few minutes; 28 W laptop
/// CPUs fall from turbo to base clocks once their short power limit expires, typically within 30-60 s);
/// reliability U.
const POWER: [(&str, f64, f64, f64); 33] = [
    ("cuda:h100-sxm", 70.0, 0.0, 1.0),
    ("cuda:a100-40gb", 50.0, 0.0, 1.0),
    ("cuda:a100-80gb", 55.0, 0.0, 1.0),
    ("cuda:a100-pcie-80gb", 55.0, 0.0, 1.0),
    ("cuda:a30", 30.0, 0.0, 1.0),
    ("cuda:v100", 40.0, 0.0, 1.0),
    ("cuda:t4", 10.0, 0.0, 1.0),
    ("cuda:l4", 16.0, 0.0, 1.0),
    ("cuda:rtx4090", 25.0, 0.0, 1.0),
    ("cuda:rtx3090", 25.0, 0.0, 1.0),
    // No idle reading found: above the RTX 4090's 25 W for its larger board and 32 GB of GDDR7 (U).
    ("cuda:rtx5090", 30.0, 0.0, 1.0),
    // No idle reading found: the RTX 5090's, the same die (U).
    ("cuda:rtx-pro-6000-maxq", 30.0, 0.0, 1.0),
    ("rocm:mi250", 45.0, 0.0, 1.0),
    ("mps:m1", 2.0, 300.0, 0.75),
    ("mps:m2", 2.0, 300.0, 0.75),
    ("openvino:cpu", 3.0, 45.0, 0.7),
    ("openvino:gpu", 3.0, 45.0, 0.7),
    // The OpenVINO benchmark systems: two-socket servers idle at about 0.3 of their TDP, as cpu:server-32c
    // (60 of 225 W); the desktop i9's package at about 15 W. Reliability U.
    ("openvino:xeon-8490h-2s", 200.0, 0.0, 1.0),
    ("openvino:xeon-8380-2s", 160.0, 0.0, 1.0),
    ("openvino:i9-13900k", 15.0, 0.0, 1.0),
    ("openvino:npu", 0.5, 600.0, 0.85),
    ("qnn:x-elite-npu", 0.5, 600.0, 0.85),
    ("cpu:desktop-8c", 25.0, 0.0, 1.0),
    ("cpu:laptop-4c", 3.0, 45.0, 0.7),
    ("cpu:server-32c", 60.0, 0.0, 1.0),
    ("webgpu:integrated", 3.0, 45.0, 0.7),
    ("webgpu:discrete", 15.0, 0.0, 1.0),
    ("webgpu:fallback", 5.0, 0.0, 1.0),
    ("webnn:cpu", 3.0, 45.0, 0.7),
    ("webnn:gpu", 3.0, 45.0, 0.7),
    ("webnn:npu", 0.5, 600.0, 0.85),
    ("wasm:laptop-4c", 3.0, 45.0, 0.7),
    ("wasm:desktop-8c", 25.0, 0.0, 1.0),
];

/// The device each bare platform name stands for.
pub const PLATFORM_DEFAULTS: [(Platform, &str); 9] = [
    (Platform::Cpu, "cpu:desktop-8c"),
    (Platform::Cuda, "cuda:a100-40gb"),
    (Platform::Rocm, "rocm:mi250"),
    (Platform::Mps, "mps:m2"),
    (Platform::Openvino, "openvino:cpu"),
    (Platform::Qnn, "qnn:x-elite-npu"),
    (Platform::Webgpu, "webgpu:integrated"),
    (Platform::Webnn, "webnn:gpu"),
    (Platform::Wasm, "wasm:laptop-4c"),
];

/// Default runtime per platform.
pub fn default_runtime(platform: Platform) -> &'static str {
    match platform {
        Platform::Cpu => "onnxruntime",
        Platform::Cuda | Platform::Rocm | Platform::Mps => "pytorch",
        Platform::Openvino => "openvino",
        Platform::Qnn => "qnn",
        Platform::Webgpu => "transformersjs",
        Platform::Webnn => "webnn",
        Platform::Wasm => "onnxruntime-web",
    }
}

/// Short device aliases (`cuda:h100`, `cuda:a100`, `webgpu:igpu`, …).
const DEVICE_ALIASES: [(&str, &str); 11] = [
    ("cuda:h100", "cuda:h100-sxm"),
    ("cuda:a100", "cuda:a100-40gb"),
    ("cuda:4090", "cuda:rtx4090"),
    ("cuda:3090", "cuda:rtx3090"),
    ("cuda:5090", "cuda:rtx5090"),
    ("cuda:pro6000maxq", "cuda:rtx-pro-6000-maxq"),
    ("webgpu:igpu", "webgpu:integrated"),
    ("webgpu:dgpu", "webgpu:discrete"),
    ("webgpu:software", "webgpu:fallback"),
    ("qnn:npu", "qnn:x-elite-npu"),
    ("cpu:desktop", "cpu:desktop-8c"),
];

/// The compute capability of each catalog CUDA GPU, major × 10 + minor (NVIDIA's CUDA GPUs list,
/// developer.nvidia.com/cuda-gpus: V100 7.0, T4 7.5, A100 and A30 8.0, RTX 3090 8.6, L4 and RTX 4090 8.9,
/// H100 9.0, RTX 5090 and RTX PRO 6000 Blackwell 12.0).
const CUDA_COMPUTE_CAPABILITY: [(&str, u32); 12] = [
    ("cuda:h100-sxm", 90),
    ("cuda:a100-40gb", 80),
    ("cuda:a100-80gb", 80),
    ("cuda:a100-pcie-80gb", 80),
    ("cuda:a30", 80),
    ("cuda:v100", 70),
    ("cuda:t4", 75),
    ("cuda:l4", 89),
    ("cuda:rtx4090", 89),
    ("cuda:rtx3090", 86),
    ("cuda:rtx5090", 120),
    ("cuda:rtx-pro-6000-maxq", 120),
];

/// The cores of the catalog CPUs whose datasheet the entry quotes: who made them (`DeviceProfile::cpu_vendor`)
/// and the FMA datapath their FP32 peak assumes (`DeviceProfile::fma_width_bits`), as each entry's source gives
/// them: the OpenVINO benchmark systems' Xeons have two 512-bit FMA ports per core; the i9-13900K's widest
/// vectors are AVX2's (256-bit FMA on its P-cores, 128-bit on its E-cores). Runtimes whose FP32 GEMM kernels were
/// measured against the tuned GEMM on an Intel core with 512-bit FMA (`RuntimeProfile::cpu_intel_avx512_gemm_ratio`)
/// run at that rate on these Xeons too: [`CPU_TILES`]' large-tile share is the tuned GEMM's (calibrate measures
/// 73-78 % of the FP32 peak on the Intel Xeon VM), so the ratio applies on top. Only OpenVINO and ONNX Runtime
/// run on these `openvino:` devices; a placement built directly with PyTorch would take MKL's ratio and its Intel
/// GEMV path there too. The other catalog CPUs stand for a class of machine and leave both unknown.
const CPU_CORES: [(&str, &str, u32); 3] = [
    ("openvino:xeon-8490h-2s", "intel", 512),
    ("openvino:xeon-8380-2s", "intel", 512),
    ("openvino:i9-13900k", "intel", 256),
];

fn build(d: &Dev) -> DeviceProfile {
    let power =
        POWER.iter().copied().find(|p| p.0 == d.id).unwrap_or((d.id, d.tdp * 0.1, 0.0, 1.0));
    let platform = Platform::parse("hardware", d.id.split(':').next().unwrap_or_default())
        .unwrap_or(Platform::Cpu);
    let (tiles, kernel_us, concurrency, interference, per_unit_bw, spin, link) = match d.kind {
        Kind::Gpu => (
            gpu_tiles(d.id),
            gpu_kernel_us(d),
            Concurrency::ConcurrentKernels,
            GPU_INTERFERENCE,
            0.0,
            0.0,
            PCIE4_GBPS,
        ),
        Kind::SerialGpu(k) => (
            SHADER_TILES.to_vec(),
            k,
            Concurrency::SerialQueue,
            GPU_INTERFERENCE,
            0.0,
            0.0,
            if d.pool == Host { d.bw } else { PCIE4_GBPS },
        ),
        Kind::Cpu(core_bw) => (
            CPU_TILES.to_vec(),
            CPU_REGION_US_PER_THREAD,
            Concurrency::CpuThreads,
            CPU_INTERFERENCE,
            core_bw,
            SPIN_WAIT_SHARE,
            d.bw,
        ),
        Kind::Npu(k) => {
            (SHADER_TILES.to_vec(), k, Concurrency::SerialQueue, GPU_INTERFERENCE, 0.0, 0.0, d.bw)
        }
    };
    let l2 = GPU_L2.iter().find(|(id, _, _)| *id == d.id).copied();
    let l3 = CPU_L3.iter().find(|(id, _, _)| *id == d.id).copied();
    let cpu_l2 = CPU_L2.iter().find(|(id, _, _, _)| *id == d.id).copied();
    let cores = CPU_CORES.iter().find(|(id, _, _)| *id == d.id).copied();
    let tf32 = GPU_TF32.iter().find(|(id, _, _)| *id == d.id);
    let full_load = full_load(d, power.1);
    let fp32_gain = fp32_tile_gain(d);
    let int8_gain = int8_tile_gain(d);
    let tiles_src = match d.kind {
        Kind::Gpu if GPU_GEMM_SHARE.iter().any(|(gpu, _)| *gpu == d.id) => {
            "CUTLASS/cuBLAS tile shapes; the large tile at this GPU's measured FP16 matmul share of its peak (zzc0721/torch-performance-test-data database.md, see GPU_GEMM_SHARE), the small one in proportion"
        }
        Kind::Gpu => "CUTLASS/cuBLAS tile shapes; efficiencies U (see GPU_TILES)",
        Kind::Cpu(_) => "oneDNN/MLAS per-thread blocking; efficiencies U",
        _ => "shader/NPU tiling; efficiencies U",
    };
    DeviceProfile {
        id: d.id.to_string(),
        platform,
        name: d.name.to_string(),
        peak_tflops: Peaks { tf32: tf32.map_or(0.0, |(_, tf, _)| *tf), ..d.peaks },
        memory_bandwidth_gbps: d.bw,
        bandwidth_efficiency: d.bw_eff,
        memory_capacity_mb: d.mem_gb * 1024.0,
        memory_pool: d.pool,
        tdp_w: d.tdp,
        // A catalog GPU's heavy load runs below its boost clock through `full_load_w`, not a fixed ratio.
        sustained_clock_ratio: 1.0,
        idle_w: power.1,
        full_load_w: full_load.as_ref().map_or(0.0, |(watts, _)| *watts),
        throttle_after_s: power.2,
        throttled_speed: power.3,
        compute_units: d.units,
        gemm_tiles: tiles,
        kernel_overhead_us: kernel_us,
        concurrency,
        interference_per_model: interference,
        per_unit_bandwidth_gbps: per_unit_bw,
        host_cores: d.host_cores,
        host_link_gbps: link,
        spin_wait_share: spin,
        serial_fraction: 0.0,
        all_core_rate: 1.0,
        sched_slice_us: linux_slice_us(d.units),
        wake_us: CPU_WAKE_US,
        page_fault_us: CPU_PAGE_FAULT_US,
        llc_mb: l2.map(|(_, mb, _)| mb).or(l3.map(|(_, mb, _)| mb)).unwrap_or(0.0),
        // One SM's share of the L2's rate: the cache rule reads at this rate times the SMs.
        llc_bandwidth_gbps: l2
            .map_or(0.0, |_| GPU_L2_RATE * d.bw * d.bw_eff / f64::from(d.units.max(1))),
        l2_mb: cpu_l2.map_or(0.0, |(_, mb, _, _)| mb),
        l2_bandwidth_gbps: cpu_l2.map_or(0.0, |(_, _, ghz, _)| CPU_L2_BYTES_PER_CYCLE * ghz),
        vector_unit_share: if matches!(d.kind, Kind::Npu(_)) { NPU_VECTOR_UNIT_SHARE } else { 0.0 },
        fp32_tile_gain: fp32_gain.as_ref().map_or(1.0, |(gain, _)| *gain),
        int8_tile_gain: int8_gain.as_ref().map_or(1.0, |(gain, _)| *gain),
        fma_width_bits: cores.map_or(0, |(_, _, bits)| bits),
        cuda_compute_capability: CUDA_COMPUTE_CAPABILITY
            .iter()
            .find(|(id, _)| *id == d.id)
            .map_or(0, |(_, cc)| *cc),
        cpu_vendor: cores.map_or(String::new(), |(_, vendor, _)| vendor.to_string()),
        default_runtime: default_runtime(platform).to_string(),
        overhead_scale: 1.0,
        latency_corrections: Vec::new(),
        runtime_efficiency: Vec::new(),
        runtime_region_us: Vec::new(),
        sources: sorted_sources(
            [
                ("datasheet".to_string(), d.source.to_string()),
                ("gemm_tiles".to_string(), tiles_src.to_string()),
                (
                    "interference_per_model".to_string(),
                    "assumed a few % per co-runner; refitted by calibration".to_string(),
                ),
            ]
            .into_iter()
            .chain(fp32_gain.map(|(_, source)| ("fp32_tile_gain".to_string(), source)))
            .chain(int8_gain.map(|(_, source)| ("int8_tile_gain".to_string(), source)))
            .chain(gpu_boost(d.id).map(|(_, mhz, _, source)| {
                (
                    "kernel_overhead_us".to_string(),
                    format!(
                        "{CUDA_KERNEL_CYCLES} cycles per kernel (2.5 µs at {A100_BOOST_MHZ} MHz: 2-3 µs in Nsight traces of empty kernels; U) at its {mhz} MHz boost clock; {source}"
                    ),
                )
            }))
            .chain(full_load.map(|(_, source)| ("full_load_w".to_string(), source)))
            .chain(l3.map(|(_, _, source)| ("llc_mb".to_string(), source.to_string())))
            .chain(cpu_l2.map(|(_, _, _, source)| {
                (
                    "l2_mb".to_string(),
                    format!("{source}; {CPU_L2_BYTES_PER_CYCLE} B/cycle per core (CPU_L2_BYTES_PER_CYCLE)"),
                )
            }))
            .chain(l2.map(|(_, _, source)| {
                (
                    "llc_mb".to_string(),
                    format!("{source}; its rate {GPU_L2_RATE} x the achievable DRAM bandwidth (U)"),
                )
            }))
            .chain(tf32.map(|(_, _, source)| ("peak_tflops.tf32".to_string(), source.to_string()))),
        ),
    }
}

/// A profile's sources in key order, as its JSON map reads them back (a round trip keeps the profile equal).
fn sorted_sources(sources: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = sources.collect();
    v.sort();
    v
}

/// A GPU's fixed cost per kernel, µs: [`CUDA_KERNEL_CYCLES`] at its [`GPU_BOOST`] clock (the A100's 1,410 MHz
/// for a GPU without a row, which a test keeps from happening in the catalog).
fn gpu_kernel_us(d: &Dev) -> f64 {
    let boost_mhz = gpu_boost(d.id).map_or(A100_BOOST_MHZ, |(_, mhz, ..)| mhz);
    CUDA_KERNEL_CYCLES / boost_mhz
}

/// A GPU's GEMM tiles: [`GPU_TILES`], the large one at its measured share of the peak where
/// [`GPU_GEMM_SHARE`] has one and the small one in the same proportion.
fn gpu_tiles(id: &str) -> Vec<GemmTile> {
    let large = GPU_TILES[0].efficiency;
    let share = GPU_GEMM_SHARE.iter().find(|(gpu, _)| *gpu == id).map_or(large, |(_, s)| *s);
    GPU_TILES.iter().map(|t| GemmTile { efficiency: t.efficiency * share / large, ..*t }).collect()
}

/// A CUDA GPU's [`GPU_FP32_TILE_GAIN`] and where it comes from: those with 64 FP32 lanes per SM
/// ([`GPU_BOOST`]); none for any other device.
fn fp32_tile_gain(d: &Dev) -> Option<(f64, String)> {
    let (_, _, lanes, source) = gpu_boost(d.id)?;
    (d.id.starts_with("cuda:") && lanes == 64).then(|| {
        (
            GPU_FP32_TILE_GAIN,
            format!(
                "CUDA-core GEMM tiles sustain {GPU_FP32_TILE_GAIN}x the tensor-core tiles' share of their peak (cuBLAS SGEMM ~85-90 % of FP32 peak against ~70 %, U; the published FP32 ResNet-50 rows fit x1.19 on top): one FP32 pipe per SM sub-partition, 64 lanes per SM ({source})"
            ),
        )
    })
}

/// A CUDA or ROCm GPU's [`GPU_INT8_TILE_GAIN`] and where it comes from: those with an INT8 peak; none for any
/// other device.
fn int8_tile_gain(d: &Dev) -> Option<(f64, String)> {
    (matches!(d.kind, Kind::Gpu) && d.peaks.int8 > 0.0).then(|| {
        (
            GPU_INT8_TILE_GAIN,
            format!(
                "INT8 GEMM tiles sustain {GPU_INT8_TILE_GAIN:.3}x the FP16 tiles' share of their peak: the published rows' fit over all rows (tests/published.rs, gpu_int8_tile_gain), U"
            ),
        )
    })
}

/// A device profile's measurement of `runtime` in `by_runtime` (keyed by runtime name): the runtime's own, else
/// that of the runtime whose kernels it runs ([`super::runtime::RuntimeProfile::kernels_of`]: a profile
/// calibrated with `pytorch` serves `pytorch-autocast` and `pytorch-kept-heap` too).
fn measured_for<'a>(
    by_runtime: &'a [(String, f64)],
    runtime: &super::runtime::RuntimeProfile,
) -> Option<&'a f64> {
    let find = |name: &str| by_runtime.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    find(&runtime.name).or_else(|| find(runtime.kernels_of()))
}

/// The [`GPU_BOOST`] row of the GPU `id`.
fn gpu_boost(id: &str) -> Option<(&'static str, f64, u32, &'static str)> {
    GPU_BOOST.iter().copied().find(|(row, ..)| *row == id)
}

/// The board power `d` would draw with its compute units busy at the boost clock, W, and where it comes from:
/// for a GPU of [`POWER_REFERENCES`] its int8 peak at its reference part's board power per int8 operation, for
/// one of [`FULL_LOAD_CLOCKS`] the power at which a full load draws its board power at its clock, above
/// `idle_w` (the device's idle draw); `None` for any other.
fn full_load(d: &Dev, idle_w: f64) -> Option<(f64, String)> {
    if let Some((_, clock, source)) = FULL_LOAD_CLOCKS.iter().find(|(id, ..)| *id == d.id) {
        let watts = full_load_w_at_clock(idle_w, d.tdp, *clock);
        return Some((
            watts,
            format!("the power at which a full load draws its {} W: {source}", d.tdp),
        ));
    }
    let (_, reference) = POWER_REFERENCES.iter().find(|(id, _)| *id == d.id)?;
    let r = DEVICES.iter().find(|r| r.id == *reference)?;
    Some((
        d.peaks.int8 * r.tdp / r.peaks.int8,
        format!("its int8 peak at {reference}'s board power per int8 operation (U: the full-load power of no GPU is published)"),
    ))
}

/// Every catalog device.
pub fn all() -> Vec<DeviceProfile> {
    DEVICES.iter().map(build).collect()
}

/// Resolves `platform` or `platform:device` to a catalog profile.
pub fn find(target: &str) -> Result<DeviceProfile> {
    Ok(build(&DEVICES[device_index(target)?]))
}

/// [`find`] as a profile shared by every caller: each catalog device is built once per process (a page or
/// worker), so a call that names its hardware (`predict(models, "cuda")`) does not build it again.
pub fn shared(target: &str) -> Result<std::sync::Arc<DeviceProfile>> {
    static BUILT: super::BuiltOnce<DeviceProfile, { DEVICES.len() }> = super::BuiltOnce::new();
    let i = device_index(target)?;
    Ok(BUILT.get(i, || build(&DEVICES[i])))
}

/// The index in [`DEVICES`] of the device `target` names (a platform, an alias or an id, any case).
fn device_index(target: &str) -> Result<usize> {
    let key = target.trim().to_ascii_lowercase();
    let id = match key.split_once(':') {
        None => {
            let platform = Platform::parse("hardware", &key)?;
            PLATFORM_DEFAULTS
                .iter()
                .find(|(p, _)| *p == platform)
                .map(|(_, id)| id.to_string())
                .unwrap_or_default()
        }
        Some(_) => DEVICE_ALIASES
            .iter()
            .find(|(a, _)| *a == key)
            .map_or(key.clone(), |(_, id)| id.to_string()),
    };
    DEVICES.iter().position(|d| d.id == id).ok_or_else(|| {
        let ids: Vec<&str> = DEVICES.iter().map(|d| d.id).collect();
        Error::invalid("hardware", target, format!("a platform (cpu, cuda, rocm, mps, openvino, qnn, webgpu, webnn, wasm), one of {}, or a profile JSON file", ids.join(", ")))
    })
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn gpus_with_a_measured_gemm_rate_take_it_for_their_large_tile_and_the_small_one_in_proportion()
    {
        let tiles = |id: &str| find(id).unwrap().gemm_tiles;
        let a100 = tiles("cuda:a100-40gb");
        assert!((a100[0].efficiency - 247.63 / 312.0).abs() < 1e-12);
        let generic = GPU_TILES[1].efficiency / GPU_TILES[0].efficiency;
        assert!((a100[1].efficiency / a100[0].efficiency - generic).abs() < 1e-12);
        // The GeForce cards measure above their quoted peak: taken at the whole of it.
        assert_eq!(tiles("cuda:rtx3090")[0].efficiency, 1.0);
        // A GPU without an entry keeps the catalog's tiles.
        assert_eq!(tiles("cuda:t4"), GPU_TILES.to_vec());
        for (id, share) in GPU_GEMM_SHARE {
            assert!(share > 0.0 && share <= 1.0, "{id}");
            assert!((tiles(id)[0].efficiency - share).abs() < 1e-12, "{id}");
        }
    }

    #[test]
    fn every_catalog_gpu_has_the_boost_clock_its_fp32_peak_implies() {
        let gpus: Vec<&Dev> = DEVICES.iter().filter(|d| matches!(d.kind, Kind::Gpu)).collect();
        assert_eq!(gpus.len(), GPU_BOOST.len());
        for d in gpus {
            let (_, mhz, lanes, _) =
                gpu_boost(d.id).unwrap_or_else(|| panic!("{}: no boost row", d.id));
            let peak = f64::from(d.units) * f64::from(lanes) * 2.0 * mhz * 1e6 / 1e12;
            assert!(
                (peak / d.peaks.fp32 - 1.0).abs() < 0.01,
                "{}: {peak} against {}",
                d.id,
                d.peaks.fp32
            );
        }
    }

    #[test]
    fn a_profiles_pytorch_measurements_serve_pytorchs_variants_unless_they_have_their_own() {
        use super::super::runtime::RuntimeProfile;
        let rt = |name: &str| RuntimeProfile::find(name).unwrap();
        let mut gpu = find("cuda:v100").unwrap();
        gpu.runtime_efficiency = vec![("pytorch".to_string(), 0.33)];
        gpu.runtime_region_us = vec![("pytorch".to_string(), 7.0)];
        for variant in ["pytorch", "pytorch-autocast", "pytorch-kept-heap"] {
            assert_eq!(gpu.kernel_efficiency(&rt(variant)), 0.33, "{variant}");
            assert_eq!(gpu.region_us_per_thread(&rt(variant)), 7.0, "{variant}");
        }
        // Another runtime keeps its catalog efficiency; a variant's own entry wins over PyTorch's.
        let ort = rt("onnxruntime");
        assert_eq!(gpu.kernel_efficiency(&ort), ort.kernel_efficiency);
        gpu.runtime_efficiency.push(("pytorch-autocast".to_string(), 0.5));
        assert_eq!(gpu.kernel_efficiency(&rt("pytorch-autocast")), 0.5);
        assert_eq!(gpu.kernel_efficiency(&rt("pytorch")), 0.33);
    }

    #[test]
    fn a_gpu_kernels_fixed_cost_is_a_count_of_cycles_at_its_boost_clock() {
        let us = |id: &str| find(id).unwrap().kernel_overhead_us;
        // 2.5 µs at the A100's 1,410 MHz; the L4's 2,040 MHz pays 1,410 / 2,040 of it.
        assert!((us("cuda:a100-40gb") - 2.5).abs() < 1e-12);
        assert!((us("cuda:l4") - 2.5 * 1410.0 / 2040.0).abs() < 1e-12);
        // The T4 at its 1,590 MHz boost: a light load holds it, a heavy one runs its kernels' work slower
        // (`power_limited_clock`), not their launches.
        let t4 = find("cuda:t4").unwrap();
        assert_eq!(t4.sustained_clock_ratio, 1.0);
        assert!((t4.kernel_overhead_us - 3525.0 / 1590.0).abs() < 1e-12);
        assert!(t4
            .sources
            .iter()
            .any(|(k, v)| k == "kernel_overhead_us" && v.contains("1590 MHz")));
        // Other platforms keep their own per-kernel costs.
        assert_eq!(us("cpu:desktop-8c"), CPU_REGION_US_PER_THREAD);
    }

    #[test]
    fn a_power_limited_gpus_full_load_power_comes_from_its_reference_part_or_its_full_load_clock() {
        // The L4 (242.5 dense int8 TOPS) at the RTX 4090's 450 W per 660.6 TOPS; the A30 and the A100 PCIe at
        // the A100 SXM4's 400 W per 624 TOPS; the RTX PRO 6000 Max-Q (880.9) at the RTX 5090's 575 W per 838.
        for (id, watts) in [
            ("cuda:l4", 165.19),
            ("cuda:a30", 211.54),
            ("cuda:a100-pcie-80gb", 400.0),
            ("cuda:rtx-pro-6000-maxq", 604.44),
        ] {
            let d = find(id).unwrap();
            assert!((d.full_load_w - watts).abs() < 0.01, "{id}: {}", d.full_load_w);
            assert!(d.full_load_w > d.tdp_w, "{id}");
        }
        // Every reference is a catalog GPU that reaches its own board power at full load, so is not limited.
        for (id, reference) in POWER_REFERENCES {
            let (d, r) = (find(id).unwrap(), find(reference).unwrap());
            assert_eq!(r.full_load_w, 0.0, "{reference}");
            assert_eq!(d.platform, r.platform, "{id}");
        }
        // The T4, known by its full-load clock: busy all the time it runs at 900 MHz of its 1,590, where it
        // draws its 70 W; busy half the time, faster.
        let t4 = find("cuda:t4").unwrap();
        assert!((t4.power_limited_clock(10.0, 10.0) - 900.0 / 1590.0).abs() < 1e-9);
        let half = t4.power_limited_clock(5.0, 10.0);
        assert!(half > 900.0 / 1590.0 + 0.05 && half < 1.0, "{half}");
        assert!(t4.sources.iter().any(|(k, v)| k == "full_load_w" && v.contains("issue #20")));
        assert_eq!(find("cuda:h100-sxm").unwrap().full_load_w, 0.0);
        assert_eq!(find("cpu").unwrap().full_load_w, 0.0);
    }

    #[test]
    fn the_power_limited_clock_is_the_one_at_which_the_load_draws_the_board_power() {
        let l4 = find("cuda:l4").unwrap();
        let k = (l4.tdp_w - l4.idle_w) / (l4.full_load_w - l4.idle_w);
        // Busy all the time: the dynamic power scales with the cube of the clock alone.
        let c = l4.power_limited_clock(10.0, 10.0);
        assert!((c * c * c - k).abs() < 1e-9, "{c}");
        // Busy 6 of 10 µs at the boost clock: at clock c the busy time is 6/c of 4 + 6/c, and the power is
        // the board power.
        let c = l4.power_limited_clock(6.0, 10.0);
        let share = (6.0 / c) / (4.0 + 6.0 / c);
        let power = l4.idle_w + (l4.full_load_w - l4.idle_w) * share * c * c * c;
        assert!((power - l4.tdp_w).abs() < 1e-6, "{power} W at {c}");
        // Busy a quarter of the time: 16 + 149 x 0.25 = 53 W fits the 72 W, so the boost clock holds.
        assert_eq!(l4.power_limited_clock(2.5, 10.0), 1.0);
        // Nothing to run, or a busy time beyond the latency (clamped), stays defined.
        assert_eq!(l4.power_limited_clock(0.0, 0.0), 1.0);
        assert_eq!(l4.power_limited_clock(20.0, 10.0), l4.power_limited_clock(10.0, 10.0));
    }

    #[test]
    fn shared_profiles_are_built_once_and_equal_what_find_builds() {
        for d in &DEVICES {
            let first = shared(d.id).unwrap();
            assert_eq!(*first, find(d.id).unwrap(), "{}", d.id);
            assert!(
                std::sync::Arc::ptr_eq(&first, &shared(&d.id.to_uppercase()).unwrap()),
                "{}",
                d.id
            );
        }
        // A platform name and the device it defaults to are one profile.
        let (platform, id) = PLATFORM_DEFAULTS[0];
        assert!(std::sync::Arc::ptr_eq(&shared(platform.name()).unwrap(), &shared(id).unwrap()));
        let err = shared("cuda:nope").unwrap_err().to_string();
        assert!(err.contains("hardware") && err.contains("cuda:a100-40gb"), "{err}");
    }

    #[test]
    fn every_platform_default_resolves_to_a_device_of_that_platform() {
        for p in Platform::ALL {
            let dev = find(p.name()).unwrap();
            assert_eq!(dev.platform, p, "{}", dev.id);
        }
    }

    #[test]
    fn every_device_has_a_power_row_below_its_tdp() {
        for d in DEVICES {
            let row = POWER
                .iter()
                .find(|p| p.0 == d.id)
                .unwrap_or_else(|| panic!("{} has no power row", d.id));
            assert!(row.1 > 0.0 && row.1 < d.tdp && row.3 > 0.0 && row.3 <= 1.0, "{}", d.id);
        }
    }

    #[test]
    fn a_share_of_a_cpus_cores_has_their_share_of_its_peaks_and_bandwidth() {
        let xeon = find("openvino:xeon-8490h-2s").unwrap();
        let quarter = xeon.cores_share(30);
        assert_eq!(quarter.compute_units, 30);
        assert_eq!(quarter.host_cores, 30);
        assert!((quarter.peak_tflops.int8 - xeon.peak_tflops.int8 / 4.0).abs() < 1e-9);
        assert!((quarter.peak_tflops.fp32 - xeon.peak_tflops.fp32 / 4.0).abs() < 1e-9);
        assert!((quarter.memory_bandwidth_gbps - 614.4 / 4.0).abs() < 1e-9);
        // What a core has of its own stays: its per-core bandwidth and its tiles.
        assert_eq!(quarter.per_unit_bandwidth_gbps, xeon.per_unit_bandwidth_gbps);
        assert_eq!(quarter.gemm_tiles, xeon.gemm_tiles);
        // Between one core and all of them.
        assert_eq!(xeon.cores_share(0).compute_units, 1);
        assert_eq!(xeon.cores_share(500).compute_units, 120);
        assert!((xeon.cores_share(500).memory_bandwidth_gbps - 614.4).abs() < 1e-9);
    }

    #[test]
    fn unknown_device_names_the_choices() {
        let err = find("cuda:gtx480").unwrap_err().to_string();
        assert!(err.contains("cuda:gtx480") && err.contains("cuda:a100-40gb"), "{err}");
        assert!(find("tpu").unwrap_err().to_string().contains("one of cpu, cuda"));
    }

    #[test]
    fn missing_precisions_fall_back_to_a_supported_rate() {
        let t4 = find("cuda:t4").unwrap();
        assert_eq!(
            t4.peak_for(crate::catalog::Precision::Bf16),
            (8.1, crate::catalog::Precision::Fp32)
        );
        let cpu = find("cpu").unwrap();
        assert_eq!(cpu.peak_for(crate::catalog::Precision::Fp32).0, 1.152);
        let npu = find("qnn").unwrap();
        assert_eq!(
            npu.peak_for(crate::catalog::Precision::Fp32),
            (22.5, crate::catalog::Precision::Fp16)
        );
        assert_eq!(
            cpu.peak_for(crate::catalog::Precision::Fp16).1,
            crate::catalog::Precision::Fp32
        );
    }
}

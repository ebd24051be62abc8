//! The published validation set (issue 12): rows of published single-model measurements (`tests/data/
//! published-public.json` and `published-candidates.json`), each predicted from the catalog, and the catalog's
//! constants that no datasheet gives ([`KNOBS`]) fitted to them with leave-one-source-out cross-validation.
//!
//! A knob is a factor on a catalog constant (1 = the catalog as it stands), applied to every device and
//! runtime it names, never to one row or one model. [`fit`] chooses the factors that minimise the mean
//! absolute log error over the rows it is given that some knob reaches, by coordinate descent on a fixed
//! grid (deterministic, no randomness). [`cross_validate`] fits once per source with that source's rows left
//! out and predicts the left-out rows with the factors fitted without them, so each row's error says how the
//! catalog's constants generalise to a publisher they were not fitted to. A knob that no training row depends
//! on stays at its prior ([`Knob::prior`]; a held-out publisher's own constants are never invented from the
//! others').
//! [`nested_cross_validate`] also chooses the prior's weight ([`PRIOR_WEIGHTS`]) inside each fold, by
//! leave-one-source-out over that fold's training sources alone. `tests/published.rs` prints the
//! report (`cargo test --release --test published -- --nocapture`): every row with its catalog and held-out
//! errors, summaries by device class, batch regime, precision and source, and the factors of every fold and
//! of the fit over all rows.

use crate::catalog::hardware::{
    self, Concurrency, DeviceProfile, Platform, GPU_INT8_TILE_GAIN, GPU_INT8_TILE_GAIN_PRIOR,
    NPU_KERNEL_US, NPU_KERNEL_US_PRIOR, NPU_VECTOR_UNIT_SHARE, NPU_VECTOR_UNIT_SHARE_PRIOR,
    T4_FULL_LOAD_CLOCK,
};
use crate::catalog::models::Work;
use crate::catalog::runtime::{
    RuntimeProfile, PYTORCH_EAGER, PYTORCH_GPU_HOST_US, PYTORCH_GPU_HOST_US_PRIOR,
};
use crate::minmax;
use crate::predict::single::{Placement, SinglePrediction};
use crate::predict::spec::ResolvedModel;
use crate::predict::streams::openvino_stream_threads;
use crate::sim::order_free_sum;
pub use crate::wire::published::{rows, Row, Source};

impl Row {
    /// The publisher a row comes from, which cross-validation leaves out as a whole: the repository (MLPerf's
    /// rounds are one publisher: `mlcommons/inference_results`), and for NVIDIA's DeepLearningExamples the
    /// framework directory (PyTorch and TensorFlow are separate harnesses).
    pub fn source_group(&self) -> String {
        let (repo, path) = match &self.source {
            Source::Document { repo, path } => (repo.as_str(), path.as_str()),
            Source::Note(text) if text.starts_with("MLPerf") => ("mlcommons/inference_results", ""),
            Source::Note(text) => text.split_once(' ').unwrap_or((text, "")),
        };
        let repo = match repo.split_once("inference_results_v") {
            Some((head, _)) => format!("{head}inference_results"),
            None => repo.to_string(),
        };
        match repo.as_str() {
            "NVIDIA/DeepLearningExamples" => {
                let framework = path.split(['/', ' ']).next().unwrap_or("");
                format!("{repo}/{framework}")
            }
            _ => repo,
        }
    }

    /// Whether the figure is MLPerf's offline throughput: every query at once, at the batch the submitter
    /// chose (and does not publish).
    pub fn offline(&self) -> bool {
        self.scenario.as_deref() == Some("offline")
    }
}

/// A catalog constant that no datasheet gives, fitted as a factor on its catalog value.
pub struct Knob {
    /// Name in reports.
    pub name: &'static str,
    /// What it is and where it lives in the catalog.
    pub means: &'static str,
    /// The factor the fit starts from and its prior pulls toward: 1 (the catalog's value) for a constant the
    /// catalog takes from a source or a guess; for one that is itself this fit's result over all rows (the
    /// NPUs' kernel cost and DSP rate, PyTorch's host time per kernel on GPUs), the factor that gives back its
    /// value before that fit, so that a fold starts from a value no held-out row has shaped.
    pub prior: f64,
    apply: fn(f64, &mut DeviceProfile, &mut RuntimeProfile),
}

fn is_gpu(d: &DeviceProfile) -> bool {
    d.platform.is_cuda_or_rocm()
}

/// The catalog's NPUs (`qnn:x-elite-npu`, `openvino:npu`, `webnn:npu`): one compiled graph on a serial
/// accelerator, whatever runtime drives it.
fn is_npu(d: &DeviceProfile) -> bool {
    d.platform == Platform::Qnn || d.id.ends_with(":npu")
}

/// PyTorch eager on a GPU, with or without autocast: one framework, one set of PyTorch knobs.
fn is_pytorch(r: &RuntimeProfile) -> bool {
    r.kernels_of() == PYTORCH_EAGER
}

/// `value × f` where the knob applies (`on`), else `value` unchanged.
fn scale(on: bool, value: &mut f64, f: f64) {
    if on {
        *value *= f;
    }
}

/// [`scale`] for a share of a peak or rate, which stays at most 1.
fn scale_share(on: bool, value: &mut f64, f: f64) {
    if on {
        *value = (*value * f).min(1.0);
    }
}

/// The fitted constants. Each scales one catalog constant on the devices or the runtime it names.
pub const KNOBS: [Knob; 14] = [
    Knob {
        name: "gpu_tile_efficiency",
        means: "share of the tensor peak CUDA/ROCm GEMM tiles sustain (GPU_TILES in catalog/hardware.rs)",
        prior: 1.0,
        apply: |f, d, _| {
            let on = is_gpu(d);
            d.gemm_tiles.iter_mut().for_each(|t| scale_share(on, &mut t.efficiency, f));
        },
    },
    Knob {
        name: "gpu_fp32_tile_gain",
        means: "how much more of the FP32 peak CUDA-core GEMM tiles sustain than tensor-core tiles of theirs (GPU_FP32_TILE_GAIN)",
        prior: 1.0,
        apply: |f, d, _| scale(is_gpu(d) && d.fp32_tile_gain != 1.0, &mut d.fp32_tile_gain, f),
    },
    Knob {
        name: "gpu_kernel_us",
        means: "device-side cost of one CUDA/ROCm kernel (CUDA_KERNEL_CYCLES at the GPU's clock)",
        prior: 1.0,
        apply: |f, d, _| scale(is_gpu(d), &mut d.kernel_overhead_us, f),
    },
    Knob {
        name: "tensorrt_host_us",
        means: "TensorRT's host time per kernel (its host_us in catalog/runtime.rs)",
        prior: 1.0,
        apply: |f, _, r| scale(r.name == "tensorrt", &mut r.host_overhead_us, f),
    },
    Knob {
        name: "tensorrt_call_us",
        means: "TensorRT's host time per inference call (call_us)",
        prior: 1.0,
        apply: |f, _, r| scale(r.name == "tensorrt", &mut r.call_overhead_us, f),
    },
    Knob {
        name: "gpu_l2_rate",
        means: "the rate CUDA/ROCm kernels read tensors that fit in the L2 at (GPU_L2_RATE)",
        prior: 1.0,
        apply: |f, d, _| scale(is_gpu(d), &mut d.llc_bandwidth_gbps, f),
    },
    Knob {
        name: "gpu_attention_share",
        means: "the share of a GEMM tile's rate fused attention sustains on CUDA/ROCm GPUs (ACCELERATOR_ATTENTION_SHARE)",
        prior: 1.0,
        apply: |f, d, r| scale_share(is_gpu(d), &mut r.attention_share, f),
    },
    Knob {
        name: "npu_vector_share",
        means: "an NPU's vector DSPs' rate as a share of its int8 peak (NPU_VECTOR_UNIT_SHARE): norms and softmax",
        prior: NPU_VECTOR_UNIT_SHARE_PRIOR / NPU_VECTOR_UNIT_SHARE,
        apply: |f, d, _| scale_share(is_npu(d), &mut d.vector_unit_share, f),
    },
    Knob {
        name: "pytorch_gpu_efficiency",
        means: "PyTorch's kernel efficiency on GPUs (eff), relative to the device's tiles",
        prior: 1.0,
        apply: |f, d, r| {
            scale_share(is_pytorch(r) && d.platform != Platform::Cpu, &mut r.kernel_efficiency, f)
        },
    },
    Knob {
        name: "pytorch_gpu_host_us",
        means: "PyTorch eager's host time per kernel on GPUs (PYTORCH_GPU_HOST_US)",
        prior: PYTORCH_GPU_HOST_US_PRIOR / PYTORCH_GPU_HOST_US,
        apply: |f, d, r| {
            scale(is_pytorch(r) && d.platform != Platform::Cpu, &mut r.host_overhead_us, f)
        },
    },
    Knob {
        name: "npu_kernel_us",
        means: "device-side cost of one NPU kernel (Kind::Npu in catalog/hardware.rs)",
        prior: NPU_KERNEL_US_PRIOR / NPU_KERNEL_US,
        apply: |f, d, _| scale(is_npu(d), &mut d.kernel_overhead_us, f),
    },
    Knob {
        name: "t4_full_load_clock",
        means: "the clock the T4 runs at with its compute units kept busy, as a share of its boost (T4_FULL_LOAD_CLOCK), which sets the board power a full load would draw at the boost clock (full_load_w) and so the clock of every load within its 70 W",
        prior: 1.0,
        apply: |f, d, _| {
            if d.id == "cuda:t4" {
                d.full_load_w = hardware::full_load_w_at_clock(d.idle_w, d.tdp_w, T4_FULL_LOAD_CLOCK * f);
            }
        },
    },
    Knob {
        name: "npu_efficiency",
        means: "a runtime's kernel efficiency on an NPU (eff): QNN on the HTP, OpenVINO on Intel's NPU",
        prior: 1.0,
        apply: |f, d, r| scale_share(is_npu(d), &mut r.kernel_efficiency, f),
    },
    Knob {
        name: "gpu_int8_tile_gain",
        means: "how much of the FP16 tiles' share of their peak CUDA/ROCm GEMM tiles sustain of the INT8 peak (GPU_INT8_TILE_GAIN)",
        prior: GPU_INT8_TILE_GAIN_PRIOR / GPU_INT8_TILE_GAIN,
        apply: |f, d, _| scale(is_gpu(d), &mut d.int8_tile_gain, f),
    },
];

/// The index into [`KNOBS`] of the knob named `name`.
pub fn knob_index(name: &str) -> Option<usize> {
    KNOBS.iter().position(|k| k.name == name)
}

/// Factors a knob may take: 2^(k/8) for k in -24..=24 (an eighth to eight times the catalog value, steps of
/// about 9 %).
pub fn grid() -> impl Iterator<Item = f64> {
    (-24..=24).map(|k| 2f64.powf(f64::from(k) / 8.0))
}

/// A row ready to predict: its model resolved once, its device and runtime from the catalog.
pub struct Case {
    /// The row.
    pub row: Row,
    /// Its publisher ([`Row::source_group`]).
    pub group: String,
    model: ResolvedModel,
    work: Work,
    device: DeviceProfile,
    runtime: RuntimeProfile,
    /// Cores each of the runtime's concurrent requests runs on ([`Row::concurrent_requests`] on a CPU;
    /// 0 otherwise): chosen once, with the catalog's constants ([`Case::best_stream_cores`]).
    stream_cores: u32,
    /// The batch predicted: the row's, or for an offline row that publishes none the fitting batch (a power
    /// of two up to [`OFFLINE_MAX_BATCH`]) of most predicted throughput, chosen once with the catalog's
    /// constants.
    pub batch: u32,
    /// The knobs that reach this case ([`Case::touched_by`], by index into [`KNOBS`]): worked out once, as
    /// the device and runtime they are asked of are the case's own.
    knobs: Vec<usize>,
}

/// The largest batch an offline row is predicted at: NVIDIA's MLPerf offline configurations set per-GPU batches
/// (`gpu_batch_size`) in the hundreds to a few thousand (U); the predicted throughput of the offline rows'
/// models grows by under 1 % from 1,024 to 2,048 on every catalog GPU, so the bound only ends the search.
pub const OFFLINE_MAX_BATCH: u32 = 4096;

/// The device classes the report summarises ([`Case::class`]).
pub const CLASSES: [&str; 5] = ["datacenter GPU", "consumer GPU", "CPU", "NPU", "browser"];

/// The catalog's CUDA/ROCm GPUs sold as desktop graphics cards (GeForce, and the RTX PRO workstation card),
/// reported with the consumer GPUs (the M1's MPS) rather than the datacenter ones.
pub const CONSUMER_GPUS: [&str; 4] =
    ["cuda:rtx4090", "cuda:rtx3090", "cuda:rtx5090", "cuda:rtx-pro-6000-maxq"];

impl Case {
    /// The row prepared, or why it cannot be predicted (a precision, runtime or missing batch size the
    /// model does not describe).
    pub fn new(row: Row) -> Result<Case, String> {
        let device = hardware::find(&row.hardware).map_err(|e| e.to_string())?;
        let runtime = RuntimeProfile::find(&row.runtime).map_err(|e| e.to_string())?;
        let batch = match (row.batch_size, row.offline()) {
            (Some(b), _) => b,
            (None, true) => Self::best_offline_batch(&row, &device, &runtime)?,
            (None, false) => return Err("no batch size published".into()),
        };
        let (model, work) = row.resolve(batch)?;
        let group = row.source_group();
        let mut case = Case {
            row,
            group,
            model,
            work,
            device,
            runtime,
            stream_cores: 0,
            batch,
            knobs: vec![],
        };
        case.stream_cores = case.best_stream_cores();
        case.knobs = (0..KNOBS.len()).filter(|&k| case.touched_by(k)).collect();
        Ok(case)
    }

    /// An offline row without a batch: among the powers of two up to [`OFFLINE_MAX_BATCH`] whose memory
    /// fits the device, the batch that gives the most throughput with the catalog's constants (what a
    /// submitter tunes its batch to; the smaller on a tie).
    fn best_offline_batch(
        row: &Row,
        device: &DeviceProfile,
        runtime: &RuntimeProfile,
    ) -> Result<u32, String> {
        let mut best: Option<(f64, u32)> = None;
        let threads = device.compute_units;
        for batch in (0..=OFFLINE_MAX_BATCH.ilog2()).map(|k| 1u32 << k) {
            let (model, work) = row.resolve(batch)?;
            let p = Placement { device, runtime, threads }.predict_with(&model, &work);
            if p.memory.total_mb() > device.memory_capacity_mb {
                break;
            }
            if best.is_none_or(|(t, _)| p.throughput > t) {
                best = Some((p.throughput, batch));
            }
        }
        best.map(|(_, b)| b).ok_or_else(|| "no batch fits the device's memory".into())
    }

    /// Rows of a runtime running several requests at once on a CPU: the cores per request. OpenVINO's on a
    /// CPU system the catalog knows ([`hardware::cpu_system`]) with its L2 are its own rule's
    /// ([`openvino_stream_threads`]: by how the model's layers fit the L2); any other, the split of the cores
    /// into equal streams that gives the most throughput with the catalog's constants (what a throughput-mode
    /// runtime tunes itself to); 0 for any other row.
    fn best_stream_cores(&self) -> u32 {
        let cores = self.device.compute_units.max(1);
        if !self.row.concurrent_requests || self.device.concurrency != Concurrency::CpuThreads {
            return 0;
        }
        let system =
            hardware::cpu_system(&self.device.id).filter(|_| self.runtime.name == "openvino");
        if let Some(t) = system.and_then(|system| {
            openvino_stream_threads(&self.device, &self.work.prefill, self.model.precision, system)
        }) {
            return t;
        }
        let mut best = (0.0, cores);
        for t in (1..=cores).filter(|t| cores % t == 0) {
            let throughput = self.streams_throughput(&self.device, &self.runtime, t).throughput;
            if throughput > best.0 {
                best = (throughput, t);
            }
        }
        best.1
    }

    /// Cores each of the runtime's concurrent requests runs on, and how many run at once (`(0, 0)` for a
    /// row of one request at a time).
    pub fn streams(&self) -> (u32, u32) {
        match self.stream_cores {
            0 => (0, 0),
            t => (t, self.device.compute_units.max(1) / t),
        }
    }

    /// Whether the row runs several requests at once on an accelerator that runs one kernel at a time (an
    /// NPU in OpenVINO's throughput mode): while one request's kernel waits out its fixed costs (the kernel's
    /// launch and the call into the runtime; Intel's NPU has two compute engines that each take a request of
    /// their own), another request's kernel computes, so each request takes the longer of its busy time and
    /// its fixed costs, not their sum ([`Case::predict`]). What shows it:
    /// OpenVINO 2024.3's int8 throughput on the Core Ultra 7 165H's NPU against its int8 latency, ResNet-50
    /// 779.5/s against one request in 1.55 ms and MobileNet-v2 2,009/s against 0.77 ms, hides 0.27 ms per
    /// request for both (the same CSV rows as the published fp16 throughput and int8 latency rows).
    pub fn overlaps_requests(&self) -> bool {
        self.row.concurrent_requests && is_npu(&self.device)
    }

    /// `cores ÷ t` requests at once, each on its own `t` cores ([`DeviceProfile::cores_share`]): one
    /// request's prediction there, with the throughput of them all.
    fn streams_throughput(
        &self,
        device: &DeviceProfile,
        runtime: &RuntimeProfile,
        t: u32,
    ) -> SinglePrediction {
        let share = device.cores_share(t);
        let streams = f64::from(device.compute_units.max(1) / t.max(1));
        let mut p =
            Placement { device: &share, runtime, threads: t }.predict_with(&self.model, &self.work);
        p.throughput *= streams;
        p
    }

    /// The device's class in summaries.
    pub fn class(&self) -> &'static str {
        match self.device.platform {
            // A runtime in a page, whatever the backend under it (a WebNN NPU context included).
            Platform::Webgpu | Platform::Wasm | Platform::Webnn => "browser",
            _ if is_npu(&self.device) => "NPU",
            Platform::Cuda | Platform::Rocm if CONSUMER_GPUS.contains(&self.device.id.as_str()) => {
                "consumer GPU"
            }
            Platform::Cuda | Platform::Rocm => "datacenter GPU",
            Platform::Mps => "consumer GPU",
            Platform::Cpu | Platform::Openvino => "CPU",
            Platform::Qnn => "NPU",
        }
    }

    /// The prediction in the row's metric with the knobs at `factors`, and the bound that decided it.
    pub fn predict(&self, factors: &[f64]) -> (f64, &'static str) {
        let (mut device, mut runtime) = (self.device.clone(), self.runtime.clone());
        for (knob, &f) in KNOBS.iter().zip(factors) {
            (knob.apply)(f, &mut device, &mut runtime);
        }
        let mut p = if self.stream_cores > 0 {
            self.streams_throughput(&device, &runtime, self.stream_cores)
        } else {
            Placement { device: &device, runtime: &runtime, threads: device.compute_units }
                .predict_with(&self.model, &self.work)
        };
        if self.overlaps_requests() {
            let per_request_ms = minmax::max(p.compute_ms + p.memory_ms, p.overhead_ms);
            p.throughput = f64::from(self.batch) / (per_request_ms.max(1e-9) * 1e-3);
        }
        let value =
            if self.row.metric == "throughput_items_per_s" { p.throughput } else { p.latency_ms };
        (value, p.bound.name())
    }

    /// The knobs that reach this case (by index into [`KNOBS`]): those that change its device or runtime at
    /// some factor. A case none reaches is predicted with the catalog's constants in every fold, and
    /// [`fit_weighted`] leaves it out of its mean.
    pub fn knobs(&self) -> &[usize] {
        &self.knobs
    }

    /// The factor on knob `k` at which the catalog (every other knob at 1) predicts this row exactly: what
    /// the row implies for that constant alone (for eager PyTorch at batch 1, its host's time per kernel).
    /// Found by bisection of the factor's logarithm between 1/64 and 64 (the fit's grid, 1/8..8, squared), 60
    /// halvings, below the last bit of the logarithm; `None` where the row's error keeps
    /// one sign over that range (the knob does not reach the row, or not that far).
    pub fn exact_factor(&self, k: usize) -> Option<f64> {
        let error = |ln_f: f64| {
            let mut factors = vec![1.0; KNOBS.len()];
            factors[k] = ln_f.exp();
            self.log_error(&factors)
        };
        let (lo, hi) = (-(64f64.ln()), 64f64.ln());
        let low = error(lo);
        if low * error(hi) >= 0.0 {
            return None;
        }
        // Above the root where the error has left the sign it has at the low end.
        let (lo, hi) = crate::bisect::bisect(lo, hi, 60, |x| error(x) * low <= 0.0);
        Some((0.5 * (lo + hi)).exp())
    }

    /// `ln(predicted / published)` with the knobs at `factors`.
    fn log_error(&self, factors: &[f64]) -> f64 {
        (self.predict(factors).0 / self.row.value).ln()
    }
}

/// Weight of the prior in [`fit`]'s objective: each factor costs `PRIOR × |ln (factor / prior)|` beside the rows'
/// mean absolute log error. The catalog's value (from the source it cites) is the prior, or for a constant the
/// catalog takes from this fit over all rows its value before the fit ([`Knob::prior`]), so a knob the rows
/// barely constrain stays near it instead of running to the end of the grid to shave a row's error. A
/// chosen weight, not a measurement: one grid step (ln 2 / 8 = 0.087) costs 0.09 % of mean log error, so it
/// only settles near-ties. [`nested_cross_validate`] chooses it among [`PRIOR_WEIGHTS`] without the held-out
/// source instead.
pub const PRIOR: f64 = 0.01;

/// The prior weights [`nested_cross_validate`] chooses among: none, and a tenth of [`PRIOR`] to three times it,
/// about half a decade apart (the weights session 58 tried one by one on the held-out figure).
pub const PRIOR_WEIGHTS: [f64; 5] = [0.0, 0.001, 0.003, 0.01, 0.03];

/// Mean of the rows' absolute log errors `errors` (one per case, in the cases' order), plus the prior's cost of
/// `factors` at `weight`.
fn objective(errors: &[f64], factors: &[f64], weight: f64) -> f64 {
    let rows = order_free_sum(errors.iter().copied());
    let prior = factors.iter().zip(&KNOBS).map(|(f, k)| (f / k.prior).ln().abs()).sum::<f64>();
    rows / errors.len().max(1) as f64 + weight * prior
}

impl Case {
    /// Whether knob `k` changes this case's device or runtime at some factor: a knob that does not leaves
    /// its prediction unchanged at every factor, so [`fit_weighted`] does not predict it again while that knob
    /// moves ([`Case::new`] keeps the answer for every knob). Each knob scales a value (or a share, at most
    /// one) on devices and runtimes it picks by what they are, so a factor above 1 and one below 1 show
    /// whether it reaches them.
    fn touched_by(&self, k: usize) -> bool {
        [2.0, 0.5].into_iter().any(|f| {
            let (mut device, mut runtime) = (self.device.clone(), self.runtime.clone());
            (KNOBS[k].apply)(f, &mut device, &mut runtime);
            device != self.device || runtime != self.runtime
        })
    }
}

/// The factors that minimise the mean absolute log error over the `cases` some knob reaches ([`Case::knobs`]),
/// plus the [`PRIOR`], by coordinate descent from each knob's [`Knob::prior`] over the [`grid`] around it: each
/// sweep sets every knob in turn to its best grid value with the others held, until a sweep changes nothing. A
/// knob no case depends on stays at its prior; a tie keeps the value nearer it.
pub fn fit(cases: &[&Case]) -> Vec<f64> {
    fit_weighted(cases, PRIOR)
}

/// [`fit`] with the prior at `weight` instead of [`PRIOR`]. While a knob moves, only the cases it reaches
/// (`Case::touched_by`, kept by `Case::new`: the knob changes their device or runtime) are predicted again;
/// the others keep their errors, the same values to the bit. The rows' mean is over the cases some knob
/// reaches ([`Case::knobs`]): a case none reaches adds the same error at every factor, and counting it would
/// only dilute the rows against the prior, so adding such rows (a device no knob names) changed the fit of
/// every other row before session 66.
pub fn fit_weighted(cases: &[&Case], weight: f64) -> Vec<f64> {
    let cases = reached(cases);
    let mut factors: Vec<f64> = KNOBS.iter().map(|k| k.prior).collect();
    // Per knob, the cases it reaches (by index into `cases`).
    let reaching: Vec<Vec<usize>> = (0..KNOBS.len())
        .map(|k| (0..cases.len()).filter(|&i| cases[i].knobs.contains(&k)).collect())
        .collect();
    let mut errors: Vec<f64> = cases.iter().map(|c| c.log_error(&factors).abs()).collect();
    let mut best = objective(&errors, &factors, weight);
    let mut trial = errors.clone();
    // Each sweep that moves a knob lowers the objective (or moves a tie toward its prior); 12 bound a slow zig-zag.
    for _sweep in 0..12 {
        let mut moved = false;
        for k in 0..KNOBS.len() {
            let start = factors[k];
            let mut chosen = start;
            let prior = KNOBS[k].prior;
            for f in grid().map(|g| g * prior) {
                factors[k] = f;
                for &i in &reaching[k] {
                    trial[i] = cases[i].log_error(&factors).abs();
                }
                let e = objective(&trial, &factors, weight);
                let tie_nearer_prior =
                    e <= best + 1e-12 && (f / prior).ln().abs() < (chosen / prior).ln().abs();
                if e < best - 1e-12 || tie_nearer_prior {
                    (best, chosen) = (e, f);
                }
            }
            factors[k] = chosen;
            for &i in &reaching[k] {
                errors[i] = cases[i].log_error(&factors).abs();
                trial[i] = errors[i];
            }
            moved |= chosen != start;
        }
        if !moved {
            break;
        }
    }
    factors
}

/// One row's cross-validated prediction.
#[derive(Debug, Clone)]
pub struct Validated {
    /// Index into the cases.
    pub case: usize,
    /// With the catalog as it stands (every factor 1).
    pub catalog: f64,
    /// With the knobs fitted on every other source.
    pub held_out: f64,
    /// The bound of the held-out prediction.
    pub bound: &'static str,
}

/// Leave-one-source-out: per source, the knobs fitted on the other sources' rows, its own rows predicted
/// with them. Returns each row's predictions and each source's fitted factors (by source, sorted).
pub fn cross_validate(cases: &[Case]) -> (Vec<Validated>, Vec<(String, Vec<f64>)>) {
    let all: Vec<&Case> = cases.iter().collect();
    let folds: Vec<(String, Vec<f64>)> =
        per_source(&all, fit).into_iter().map(|(g, factors, _)| (g, factors)).collect();
    (validated(cases, folds.iter().map(|(g, f)| (g.as_str(), f.as_slice()))), folds)
}

/// Each row of `cases` predicted with the catalog and with the factors of the fold that leaves its source
/// out (`folds`: source, factors), in the cases' order.
fn validated<'a>(
    cases: &[Case],
    folds: impl Iterator<Item = (&'a str, &'a [f64])>,
) -> Vec<Validated> {
    let ones = vec![1.0; KNOBS.len()];
    let mut out: Vec<Validated> = Vec::with_capacity(cases.len());
    for (source, factors) in folds {
        for (i, c) in cases.iter().enumerate().filter(|(_, c)| c.group == source) {
            let (held_out, bound) = c.predict(factors);
            out.push(Validated { case: i, catalog: c.predict(&ones).0, held_out, bound });
        }
    }
    out.sort_by_key(|v| v.case);
    out
}

/// Leave-one-source-out over `cases`: per source (sorted), `fit` on the other sources' rows, and each of
/// the source's rows (its index into `cases`) with the factors fitted without it. The one loop
/// [`cross_validate`] and [`choose_prior_weight`] share.
fn per_source(
    cases: &[&Case],
    fit: impl Fn(&[&Case]) -> Vec<f64>,
) -> Vec<(String, Vec<f64>, Vec<usize>)> {
    sources(cases.iter().copied())
        .into_iter()
        .map(|g| {
            let train: Vec<&Case> = cases.iter().copied().filter(|c| c.group != g).collect();
            let held = (0..cases.len()).filter(|&i| cases[i].group == g).collect();
            (g, fit(&train), held)
        })
        .collect()
}

/// The sources of `cases`, sorted, once each.
fn sources<'a>(cases: impl Iterator<Item = &'a Case>) -> Vec<String> {
    let mut groups: Vec<String> = cases.map(|c| c.group.clone()).collect();
    groups.sort();
    groups.dedup();
    groups
}

/// The cases some knob reaches ([`Case::knobs`]), in their order: the only ones a fit or a choice of prior
/// weight can tell apart (a case none reaches has the same error at every factor and every weight).
fn reached<'a>(cases: &[&'a Case]) -> Vec<&'a Case> {
    cases.iter().copied().filter(|c| !c.knobs.is_empty()).collect()
}

/// The prior weight among [`PRIOR_WEIGHTS`] that predicts `cases`' sources best when each is left out: per
/// weight, leave-one-source-out over the cases some knob reaches ([`Case::knobs`]), scored by the mean absolute
/// log error of every left-out row (the fit's own loss); the smaller weight on a tie. Returns the weight and
/// each weight's score.
pub fn choose_prior_weight(cases: &[&Case]) -> (f64, Vec<f64>) {
    let cases = reached(cases);
    let scores: Vec<f64> = PRIOR_WEIGHTS
        .iter()
        .map(|&w| {
            let folds = per_source(&cases, |train| fit_weighted(train, w));
            let errors = folds.iter().flat_map(|(_, factors, held)| {
                held.iter().map(|&i| cases[i].log_error(factors).abs())
            });
            order_free_sum(errors) / cases.len().max(1) as f64
        })
        .collect();
    let mut chosen = 0;
    for (i, s) in scores.iter().enumerate() {
        if *s < scores[chosen] {
            chosen = i;
        }
    }
    (PRIOR_WEIGHTS[chosen], scores)
}

/// One fold of [`nested_cross_validate`]: the source left out, the prior weight chosen without it, and the
/// factors fitted without it at that weight.
#[derive(Debug, Clone)]
pub struct NestedFold {
    /// The source left out.
    pub source: String,
    /// The weight [`choose_prior_weight`] chose on the other sources.
    pub weight: f64,
    /// Each weight's score there (mean absolute log error of their rows left out one source at a time).
    pub scores: Vec<f64>,
    /// The factors fitted on the other sources at that weight.
    pub factors: Vec<f64>,
}

/// The fold of [`nested_cross_validate`] that leaves `source` out: the weight chosen and the factors fitted on
/// the other sources' rows alone.
pub fn nested_fold(cases: &[Case], source: &str) -> NestedFold {
    let train: Vec<&Case> = cases.iter().filter(|c| c.group != source).collect();
    let (weight, scores) = choose_prior_weight(&train);
    NestedFold { source: source.to_string(), weight, scores, factors: fit_weighted(&train, weight) }
}

/// Nested leave-one-source-out: as [`cross_validate`], but each fold also chooses the prior's weight without
/// the source it leaves out ([`choose_prior_weight`] on the other sources, itself leaving each of them out in
/// turn), so no held-out row shapes any choice that predicts it, [`PRIOR`]'s included. The folds run on the
/// machine's cores (`std::thread::scope`); each is the same computation whichever thread runs it. Returns each
/// row's held-out prediction (`catalog` as in [`cross_validate`]) and the folds, by source, sorted.
pub fn nested_cross_validate(cases: &[Case]) -> (Vec<Validated>, Vec<NestedFold>) {
    let groups = sources(cases.iter());
    let fold = |g: &String| nested_fold(cases, g);
    let threads =
        std::thread::available_parallelism().map_or(1, |n| n.get()).min(groups.len()).max(1);
    let mut folds: Vec<NestedFold> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (groups, fold) = (&groups, &fold);
                scope.spawn(move || {
                    groups.iter().skip(t).step_by(threads).map(fold).collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("a fold's thread panicked")).collect()
    });
    folds.sort_by(|a, b| a.source.cmp(&b.source));
    (validated(cases, folds.iter().map(|f| (f.source.as_str(), f.factors.as_slice()))), folds)
}

/// Median absolute relative error and the share of rows within ±25 %.
pub fn summary(errors: &[f64]) -> (f64, f64) {
    let mut abs: Vec<f64> = errors.iter().map(|e| e.abs()).collect();
    abs.sort_by(f64::total_cmp);
    let median = match abs.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => abs[n / 2],
        n => (abs[n / 2 - 1] + abs[n / 2]) / 2.0,
    };
    let within = abs.iter().filter(|e| **e <= 0.25).count() as f64 / abs.len().max(1) as f64;
    (median, within)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Precision;

    fn row(id: &str, model: &str, hardware: &str, precision: &str, concurrent: bool) -> Row {
        row_with(id, model, hardware, "openvino", precision, concurrent)
    }

    /// A batch-1 throughput row of `model` on `hardware` with `runtime`.
    fn row_with(
        id: &str,
        model: &str,
        hardware: &str,
        runtime: &str,
        precision: &str,
        concurrent: bool,
    ) -> Row {
        let json = format!(
            r#"{{"rows": [{{"id": "{id}", "model_name": "{model}", "hardware": "{hardware}",
                "runtime": "{runtime}", "precision": "{precision}", "batch_size": 1,
                "metric": "throughput_items_per_s", "value": 100.0, "concurrent_requests": {concurrent},
                "source": {{"repo": "openvinotoolkit/openvino", "path": "benchmarks.csv"}}}}]}}"#
        );
        rows(&json).unwrap().remove(0)
    }

    #[test]
    fn a_timed_validation_step_costs_at_most_its_kernels_launch_and_host_time() {
        // DeepLearningExamples' ResNet-50 fp32 batch-1 latency on the V100 (host-bound in eager PyTorch),
        // with and without the validation step its source times.
        let case = |step: &str| {
            let json = format!(
                r#"{{"rows": [{{"id": "r", "model_name": "resnet-50", "hardware": "cuda:v100",
                    "runtime": "pytorch", "precision": "fp32", "batch_size": 1, {step}
                    "metric": "latency_ms", "value": 10.0, "source": "a note"}}]}}"#
            );
            Case::new(rows(&json).unwrap().remove(0)).unwrap()
        };
        let ones = vec![1.0; KNOBS.len()];
        let alone = case("").predict(&ones).0;
        let timed = case(r#""timed_step": "imagenet-validation","#);
        let added = timed.predict(&ones).0 - alone;
        // Eighteen kernels, each at most its host time and its launch on the device (they move a few KB).
        let most =
            18.0 * (timed.runtime.host_overhead_us + timed.device.kernel_overhead_us) / 1000.0;
        assert!(added > 0.0 && added <= most, "{added} ms of at most {most}");
    }

    #[test]
    fn every_device_falls_in_one_of_the_reported_classes_and_page_runtimes_are_the_browser() {
        let class = |hardware: &str, runtime: &str| {
            Case::new(row_with("c", "resnet-50", hardware, runtime, "fp16", false)).unwrap().class()
        };
        assert_eq!(class("cuda:a100-40gb", "tensorrt"), "datacenter GPU");
        assert_eq!(class("cuda:rtx3090", "pytorch"), "consumer GPU");
        assert_eq!(class("mps:m1", "pytorch"), "consumer GPU");
        assert_eq!(class("openvino:xeon-8490h-2s", "openvino"), "CPU");
        assert_eq!(class("qnn:x-elite-npu", "qnn"), "NPU");
        assert_eq!(class("webgpu:integrated", "transformersjs"), "browser");
        assert_eq!(class("wasm:laptop-4c", "onnxruntime-web"), "browser");
        assert_eq!(class("webnn:npu", "webnn"), "browser");
        for d in crate::catalog::hardware::all() {
            let runtime = d.default_runtime.clone();
            let c = class(&d.id, &runtime);
            assert!(CLASSES.contains(&c), "{}: {c}", d.id);
        }
    }

    #[test]
    fn concurrent_requests_split_the_cores_into_the_streams_that_give_the_most_throughput() {
        // A runtime without a rule of its own here (OpenVINO has one: the next test).
        let r = row_with("r", "resnet-50", "openvino:i9-13900k", "onnxruntime", "int8", true);
        let case = Case::new(r).unwrap();
        let cores = case.device.compute_units;
        assert_eq!(cores, 24);
        let t = case.stream_cores;
        assert!(t >= 1 && cores % t == 0, "{t} cores per stream");
        // Every split into equal streams, each request alone on its share of the cores.
        let each = |t: u32| {
            let share = case.device.cores_share(t);
            let one = Placement { device: &share, runtime: &case.runtime, threads: t }
                .predict_with(&case.model, &case.work);
            f64::from(cores / t) / (one.latency_ms / 1e3)
        };
        let ones = vec![1.0; KNOBS.len()];
        let predicted = case.predict(&ones).0;
        assert!((predicted / each(t) - 1.0).abs() < 1e-12, "{predicted} against {}", each(t));
        for other in (1..=cores).filter(|d| cores % d == 0) {
            assert!(
                predicted >= each(other) * (1.0 - 1e-12),
                "{other} cores per stream does better"
            );
        }
        // One request on every core is a candidate, and many small streams beat it here: a batch-1
        // ResNet-50 cannot keep 24 cores busy at once (its regions and small layers do not split that far).
        let whole = Placement { device: &case.device, runtime: &case.runtime, threads: cores }
            .predict_with(&case.model, &case.work)
            .throughput;
        assert!(predicted > whole, "{predicted} against one request's {whole}");
    }

    #[test]
    fn openvino_s_concurrent_requests_take_its_own_stream_rule() {
        // MobileNet-v2 in FP32 spills an Ice Lake core's L2, so OpenVINO runs it four threads per stream
        // (`openvino_stream_threads`), whatever split the catalog's constants would predict the most for.
        let case =
            Case::new(row("r", "mobilenet-v2", "openvino:xeon-8380-2s", "fp32", true)).unwrap();
        let system = hardware::cpu_system("openvino:xeon-8380-2s").unwrap();
        let rule =
            openvino_stream_threads(&case.device, &case.work.prefill, Precision::Fp32, system);
        assert_eq!((rule, case.streams()), (Some(4), (4, 20)));
        let cores = case.device.compute_units;
        let throughput =
            |t: u32| case.streams_throughput(&case.device, &case.runtime, t).throughput;
        let best = (1..=cores).filter(|d| cores % d == 0).map(throughput).fold(0.0, f64::max);
        assert!(throughput(4) < best);
        // In INT8 its layers fit: one thread per stream, 80 streams.
        let int8 =
            Case::new(row("r", "mobilenet-v2", "openvino:xeon-8380-2s", "int8", true)).unwrap();
        assert_eq!(int8.streams(), (1, 80));
    }

    #[test]
    fn requests_overlapped_on_an_npu_take_the_longer_of_their_busy_time_and_their_fixed_costs() {
        let ones = vec![1.0; KNOBS.len()];
        for model in ["mobilenet-v2", "resnet-50"] {
            let overlapped = Case::new(row("o", model, "openvino:npu", "fp16", true)).unwrap();
            let one_at_a_time = Case::new(row("s", model, "openvino:npu", "fp16", false)).unwrap();
            assert!(overlapped.overlaps_requests() && !one_at_a_time.overlaps_requests());
            assert_eq!(overlapped.streams(), (0, 0));
            let alone = Placement {
                device: &overlapped.device,
                runtime: &overlapped.runtime,
                threads: overlapped.device.compute_units,
            }
            .predict_with(&overlapped.model, &overlapped.work);
            let busy = alone.compute_ms + alone.memory_ms;
            assert!(busy > 0.0 && alone.overhead_ms > 0.0, "{model}");
            let want = 1e3 / busy.max(alone.overhead_ms);
            let got = overlapped.predict(&ones).0;
            assert!((got / want - 1.0).abs() < 1e-12, "{model}: {got} against {want}");
            // One request at a time: the sum, 1 / latency.
            let single = one_at_a_time.predict(&ones).0;
            assert!((single * alone.latency_ms / 1e3 - 1.0).abs() < 1e-12, "{model}");
            assert!(got > single, "{model}");
        }
        // A CPU's concurrent requests are streams on their own cores, not overlapped on one queue.
        let cpu = Case::new(row("c", "resnet-50", "openvino:i9-13900k", "int8", true)).unwrap();
        assert!(!cpu.overlaps_requests());
    }

    #[test]
    fn a_rows_audio_length_is_the_models_input() {
        let json = |audio: &str| {
            format!(
                r#"{{"rows": [{{"id": "w", "model_name": "wav2vec2-base", "hardware": "cuda:a100-80gb",
                    "runtime": "pytorch", "precision": "bf16", "batch_size": 1, {audio}
                    "metric": "latency_ms", "value": 10.0, "source": "DeepLearningExamples"}}]}}"#
            )
        };
        let stated =
            Case::new(rows(&json(r#""audio_seconds": 6.54,"#)).unwrap().remove(0)).unwrap();
        let default = Case::new(rows(&json("")).unwrap().remove(0)).unwrap();
        assert_eq!(stated.model.input.audio_seconds, 6.54);
        assert!(default.model.input.audio_seconds > 6.54);
        let ones = vec![1.0; KNOBS.len()];
        assert!(stated.predict(&ones).0 < default.predict(&ones).0);
    }

    #[test]
    fn an_offline_row_without_a_batch_runs_at_the_fitting_batch_of_most_throughput() {
        let json = |scenario: &str, device: &str| {
            format!(
                r#"{{"rows": [{{"id": "o", "model_name": "bert-large-uncased", "hardware": "{device}",
                    "runtime": "tensorrt", "precision": "int8", "sequence_length": 384,
                    "mean_sequence_length": 177, "scenario": "{scenario}",
                    "metric": "throughput_items_per_s", "value": 1000.0, "source": "MLPerf"}}]}}"#
            )
        };
        for device in ["cuda:a30", "cuda:l4", "webgpu:fallback"] {
            let case = Case::new(rows(&json("offline", device)).unwrap().remove(0)).unwrap();
            assert_eq!(
                case.model.input.sequence_length, 177,
                "the mean length, not the padded one"
            );
            let at = |batch: u32| {
                let (model, work) = case.row.resolve(batch).unwrap();
                Placement {
                    device: &case.device,
                    runtime: &case.runtime,
                    threads: case.device.compute_units,
                }
                .predict_with(&model, &work)
            };
            assert!(at(case.batch).memory.total_mb() <= case.device.memory_capacity_mb);
            let ones = vec![1.0; KNOBS.len()];
            let chosen = case.predict(&ones).0;
            for b in (0..=OFFLINE_MAX_BATCH.ilog2()).map(|k| 1u32 << k) {
                let p = at(b);
                if p.memory.total_mb() <= case.device.memory_capacity_mb {
                    assert!(chosen >= p.throughput, "{device}: batch {b} gives more");
                }
            }
        }
        // The 2 GB software adapter cannot hold BERT-large's activations at the largest batch.
        let small =
            Case::new(rows(&json("offline", "webgpu:fallback")).unwrap().remove(0)).unwrap();
        assert!(small.batch < OFFLINE_MAX_BATCH, "batch {}", small.batch);
        // Outside the offline scenario a row without a batch is not predicted.
        let why = Case::new(rows(&json("server", "cuda:a30")).unwrap().remove(0)).err().unwrap();
        assert!(why.contains("batch size"), "{why}");
    }

    #[test]
    fn rows_of_one_request_at_a_time_run_on_every_core() {
        let case = Case::new(row("r", "resnet-50", "openvino:i9-13900k", "int8", false)).unwrap();
        assert_eq!(case.stream_cores, 0);
        let whole = Placement { device: &case.device, runtime: &case.runtime, threads: 24 }
            .predict_with(&case.model, &case.work)
            .throughput;
        assert_eq!(case.predict(&vec![1.0; KNOBS.len()]).0, whole);
    }
}

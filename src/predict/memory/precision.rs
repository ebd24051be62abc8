//! Lower precision per model: which formats a device stores and computes (or dequantises), the accuracy
//! caveat of each, and the measured option of lowering one set of identical weights.

use super::options::{largest_first, Ctx};
use super::{Change, MemoryOption, OptionKind};
use crate::catalog::hardware::DeviceProfile;
use crate::catalog::Precision;
use crate::error::Result;
use crate::predict::single::MB;

/// Accuracy of fp16/bf16 inference: matches fp32 within run-to-run noise for most networks (Micikevicius et
/// al. 2018, "Mixed Precision Training"); models trained in bf16 can overflow fp16 (the T5 fp16 NaN issue in
/// Hugging Face transformers).
const CAVEAT_HALF: &str = "16-bit weights usually match fp32 accuracy; check for fp16 overflow (NaNs) in models trained in bf16 such as T5";
/// Accuracy of TF32: products' inputs rounded to a 10-bit mantissa (fp16's), sums in fp32; NVIDIA reports
/// networks trained and run in TF32 matching their fp32 accuracy ("TensorFloat-32 in the A100 GPU", NVIDIA
/// blog, 2020).
const CAVEAT_TF32: &str = "TF32 rounds each product's inputs to a 10-bit mantissa and sums in fp32; it matches fp32 accuracy on most networks (NVIDIA, 2020)";
/// Accuracy of int8 post-training quantisation: under 1 % on CNNs and BERT-class encoders with calibration
/// (Wu et al. 2020, "Integer Quantization for Deep Learning Inference", arXiv 2004.09602); large LLMs need
/// outlier handling (Dettmers et al. 2022, "LLM.int8()").
const CAVEAT_INT8: &str = "int8 post-training quantisation typically costs under 1 % accuracy with calibration (Wu et al. 2020); LLMs need outlier handling (LLM.int8())";
/// Accuracy of 4-bit weight-only quantisation: a few percent more perplexity at 7B, more for small models
/// (Frantar et al. 2023, GPTQ; Lin et al. 2024, AWQ).
const CAVEAT_INT4: &str = "4-bit weights (GPTQ/AWQ) raise perplexity by a few percent at 7B and more on small models; measure task accuracy";

/// Lower precisions the device stores and computes (or dequantises) for weights now at `current`. 16-bit
/// formats are offered only where the device computes them: without a native rate, runtimes cast the
/// weights back to fp32 at load (ONNX Runtime inserts Cast nodes on the CPU), so nothing is saved. Integer
/// formats are weight-only kernels that dequantise per tile when there is no integer rate
/// ([`DeviceProfile::peak_for`] names the precision really computed).
pub(super) fn offered(device: &DeviceProfile, current: Precision) -> Vec<Precision> {
    let half = [Precision::Fp16, Precision::Bf16].into_iter().find(|&p| device.peak_for(p).1 == p);
    half.into_iter()
        .chain([Precision::Int8, Precision::Int4])
        .filter(|p| p.weight_bytes() < current.weight_bytes())
        .collect()
}

/// The accuracy caveat of a precision, with how the device computes it.
pub(super) fn caveat(device: &DeviceProfile, p: Precision) -> String {
    let accuracy = match p {
        Precision::Fp32 => "",
        Precision::Tf32 => CAVEAT_TF32,
        Precision::Fp16 | Precision::Bf16 => CAVEAT_HALF,
        Precision::Int8 => CAVEAT_INT8,
        Precision::Int4 => CAVEAT_INT4,
    };
    let computed = device.peak_for(p).1;
    if computed == p {
        accuracy.to_string()
    } else {
        format!(
            "{accuracy}; {} dequantises to {} (no native {} rate)",
            device.id,
            computed.name(),
            p.name()
        )
    }
}

/// Weight groups offered lower precisions, largest first: beyond these, a workload of thousands of models
/// would cost thousands of re-run predictions for options too small to matter.
const GROUPS_ADVISED: usize = 16;

/// One option per weight group (the largest [`GROUPS_ADVISED`]) and offered precision that really saves
/// memory.
pub(super) fn options(ctx: &Ctx, notes: &mut Vec<String>) -> Result<Vec<MemoryOption>> {
    let groups = largest_first(ctx);
    if groups.len() > GROUPS_ADVISED {
        notes.push(format!(
            "lower precision is advised for the {GROUPS_ADVISED} largest of {} distinct weight sets",
            groups.len()
        ));
    }
    let mut out = Vec::new();
    for group in groups.iter().take(GROUPS_ADVISED) {
        let m = &ctx.prep.models[group[0]];
        let device = &ctx.prep.devices[m.device];
        for p in offered(device, m.resolved.precision) {
            let o = ctx.option(
                OptionKind::LowerPrecision,
                group.clone(),
                vec![Change::Precision { models: group.clone(), precision: p }],
                describe(ctx, group, p),
                Some(caveat(device, p)),
            )?;
            // A lower precision can hold more activations (int4 keeps fp16 activations where int8 had int8
            // ones): only real savings are offered.
            if o.saved_mb > 0.0 {
                out.push(o);
            }
        }
    }
    Ok(out)
}

fn describe(ctx: &Ctx, group: &[usize], to: Precision) -> String {
    let m = &ctx.prep.models[group[0]];
    let from = m.resolved.precision;
    // As the runtime holds them: FP32 under autocast at FP16/BF16.
    let device = &ctx.prep.devices[m.device];
    let weights_mb = |p: Precision| {
        let held = crate::predict::single::held_precision(device, &m.runtime, p);
        m.resolved.params * held.weight_bytes() / MB
    };
    let copies = match group.len() {
        1 => String::new(),
        n => format!(" (all {n} entries)"),
    };
    format!(
        "store {}{copies} in {} instead of {}: weights {:.0} → {:.0} MB",
        ctx.name(group[0]),
        to.name(),
        from.name(),
        weights_mb(from),
        weights_mb(to)
    )
}

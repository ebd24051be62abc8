//! Operator fusion the target's runtime does not do yet, derived from the architectures: fused attention
//! (the score matrix is never written) and epilogue fusion (bias, activation, residual and batch-norm work
//! folded into the kernel that produces its input, conv-bn-activation chains in CNNs).

use super::options::Ctx;
use super::{target_runtime, Change, MemoryOption, OptionKind};
use crate::catalog::arch::{Op, OpClass};
use crate::catalog::models::Architecture;
use crate::catalog::runtime::RuntimeProfile;
use crate::catalog::Precision;
use crate::error::Result;
use crate::predict::single::MB;
use crate::predict::spec::AttentionKernels;

/// What an architecture contains that fusion acts on.
#[derive(Default)]
struct Fusible {
    /// Attention blocks that run unfused here (none where they already run fused).
    attention_blocks: f64,
    /// The entry asks for unfused attention (`ModelSpec::attention`) where the runtime has a fused kernel.
    asks_unfused: bool,
    largest_scores_mb: f64,
    epilogues: f64,
    conv_chains: f64,
}

fn fusible(ctx: &Ctx, i: usize) -> Fusible {
    let m = &ctx.prep.models[i];
    let work = m.work();
    let (_, compute) = ctx.prep.devices[m.device].peak_for(m.resolved.precision);
    let bytes = if m.resolved.precision == Precision::Int4 {
        Precision::Fp16.activation_bytes()
    } else {
        compute.activation_bytes()
    };
    let device = &ctx.prep.devices[m.device];
    let fused = AttentionKernels::runs_fused(m.resolved.attention, device, &m.runtime);
    let mut f = Fusible {
        asks_unfused: !fused && device.fuses_attention(&m.runtime),
        ..Fusible::default()
    };
    let mut previous: Option<&Op> = None;
    for op in &work.prefill {
        match op.class {
            OpClass::Attention if !fused => {
                f.attention_blocks += op.repeat;
                let scores = op.mn_elems() * bytes / MB;
                f.largest_scores_mb = f.largest_scores_mb.max(scores);
            }
            OpClass::Epilogue => {
                f.epilogues += op.repeat;
                // In a CNN a convolution (lowered to a GEMM) followed by its batch norm starts a chain.
                let conv = previous.is_some_and(|p| p.class == OpClass::Gemm);
                if conv && matches!(m.resolved.arch, Architecture::Cnn(_)) {
                    f.conv_chains += op.repeat;
                }
            }
            _ => {}
        }
        previous = Some(op);
    }
    f
}

/// The fusion options the target's runtime leaves open, each measured by re-running the prediction with
/// a copy of the runtime that has the fusion on.
pub(super) fn options(ctx: &Ctx, notes: &mut Vec<String>) -> Result<Vec<MemoryOption>> {
    let rt = target_runtime(ctx.target)?;
    let found: Vec<(usize, Fusible)> =
        ctx.on_target().into_iter().map(|i| (i, fusible(ctx, i))).collect();
    let mut out = Vec::new();
    if !ctx.target.device.can_fuse_attention() {
        notes.push(format!(
            "{} runs attention unfused: its softmax runs on the NPU's vector DSPs",
            ctx.target.device.id
        ));
    } else if rt.fused_attention && !found.iter().any(|(_, f)| f.asks_unfused) {
        notes.push(format!("{} already fuses attention", rt.name));
    } else {
        out.extend(attention(ctx, &rt, &found)?);
    }
    if rt.fuses_epilogues {
        notes.push(format!("{} already fuses epilogues", rt.name));
    } else {
        out.extend(epilogues(ctx, &rt, &found)?);
    }
    Ok(out)
}

fn attention(
    ctx: &Ctx,
    rt: &RuntimeProfile,
    found: &[(usize, Fusible)],
) -> Result<Option<MemoryOption>> {
    let with: Vec<&(usize, Fusible)> =
        found.iter().filter(|(_, f)| f.attention_blocks > 0.0).collect();
    if with.is_empty() {
        return Ok(None);
    }
    let what: Vec<String> = with
        .iter()
        .map(|(i, f)| {
            format!(
                "{} {:.0} blocks, scores up to {:.1} MB",
                ctx.name(*i),
                f.attention_blocks,
                f.largest_scores_mb
            )
        })
        .collect();
    let description = if rt.fused_attention {
        // The runtime has the kernel; these entries ask for attention unfused.
        format!(
            "fuse attention so the score matrix is never written ({}); {} has a fused kernel these models do not use: run them with attention fused (attn_implementation \"sdpa\", torch.nn.functional.scaled_dot_product_attention)",
            what.join("; "),
            rt.name
        )
    } else {
        format!(
            "fuse attention so the score matrix is never written ({}); {} lacks it: use a fused attention kernel (FlashAttention, ONNX Runtime MultiHeadAttention, WebLLM)",
            what.join("; "),
            rt.name
        )
    };
    let models = with.iter().map(|(i, _)| *i).collect();
    let o = ctx.option(
        OptionKind::FusedAttention,
        models,
        vec![Change::FusedAttention],
        description,
        None,
    )?;
    Ok(Some(o))
}

fn epilogues(
    ctx: &Ctx,
    rt: &RuntimeProfile,
    found: &[(usize, Fusible)],
) -> Result<Option<MemoryOption>> {
    let with: Vec<&(usize, Fusible)> = found.iter().filter(|(_, f)| f.epilogues > 0.0).collect();
    if with.is_empty() {
        return Ok(None);
    }
    let what: Vec<String> = with
        .iter()
        .map(|(i, f)| match f.conv_chains > 0.0 {
            true => format!("{} {:.0} conv-bn-activation chains", ctx.name(*i), f.conv_chains),
            false => {
                format!("{} {:.0} bias/activation/residual epilogues", ctx.name(*i), f.epilogues)
            }
        })
        .collect();
    // A runtime that already generates one kernel per run of them (torch.compile) leaves the producers
    // alone: folding them in takes a runtime that fuses epilogues into its convolutions and GEMMs.
    let how = if rt.fuses_pointwise_runs {
        "runs each run of them as one kernel of its own, apart from its producer: fold them in with TensorRT or ONNX Runtime graph optimisations"
    } else {
        "runs them as separate kernels: compile the models (torch.compile, TensorRT, ONNX Runtime graph optimisations)"
    };
    let description = format!(
        "fuse element-wise epilogues into their producing kernels ({}); {} {how}",
        what.join("; "),
        rt.name
    );
    let models = with.iter().map(|(i, _)| *i).collect();
    let o = ctx.option(
        OptionKind::EpilogueFusion,
        models,
        vec![Change::EpilogueFusion],
        description,
        None,
    )?;
    Ok(Some(o))
}

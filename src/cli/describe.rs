//! `mmperf describe MODEL.onnx`: a model's own ONNX graph as the predictor's operators, printed as a summary
//! table or as JSON whose `entry` goes into a workload's `models`.

use multimodel_perf::flatmap::FlatMap;
use std::fmt::Write as _;

use multimodel_perf::catalog::arch::OpClass;
use multimodel_perf::catalog::ModelType;
use multimodel_perf::onnx::{self, Description, DimSource, Options};
use multimodel_perf::wire::{self, graph::DescriptionDto};

use super::text;

/// The command's arguments.
#[derive(clap::Args)]
pub struct Args {
    /// The .onnx file.
    model: String,
    /// Name for the model entry (default: the file's name without .onnx).
    #[arg(long)]
    name: Option<String>,
    /// Items per run: the value of dynamic dimensions named like a batch.
    #[arg(long)]
    batch_size: Option<u32>,
    /// Tokens per item: the value of dynamic dimensions named like a sequence length.
    #[arg(long)]
    sequence_length: Option<u32>,
    /// Image side: the value of dynamic dimensions named like a height or width.
    #[arg(long)]
    image_size: Option<u32>,
    /// A dynamic dimension by its name in the graph, NAME=VALUE (repeatable).
    #[arg(long = "dim", value_name = "NAME=VALUE")]
    dims: Vec<String>,
    /// text_embedding, text_generation, vision, audio or multimodal (guessed from the inputs otherwise).
    #[arg(long)]
    model_type: Option<String>,
    /// Print the whole description as JSON.
    #[arg(long)]
    json: bool,
    /// Print only the model entry (JSON) to put into a workload's `models`.
    #[arg(long, conflicts_with = "json")]
    entry: bool,
}

/// Runs `mmperf describe`.
pub fn describe(a: Args) -> Result<String, String> {
    let mut dims = FlatMap::new();
    for d in &a.dims {
        let (k, v) = d.split_once('=').ok_or_else(|| {
            format!("invalid --dim: {d} (NAME=VALUE, e.g. --dim sequence_length=256)")
        })?;
        let v: i64 =
            v.trim().parse().map_err(|_| format!("invalid --dim {k}: {v} (an integer size)"))?;
        dims.insert(k.trim().to_string(), v);
    }
    let bytes = std::fs::read(&a.model)
        .map_err(|e| format!("cannot read model file '{}': {e}", a.model))?;
    let stem = std::path::Path::new(&a.model).file_stem().map(|s| s.to_string_lossy().into_owned());
    let opts = Options {
        name: a.name.or(stem),
        dims,
        batch_size: a.batch_size,
        sequence_length: a.sequence_length,
        image_size: a.image_size,
        model_type: a
            .model_type
            .as_deref()
            .map(|t| ModelType::parse("--model-type", t))
            .transpose()
            .map_err(text)?,
    };
    let d = onnx::describe(bytes, &opts).map_err(text)?;
    let dto = DescriptionDto::from(&d);
    Ok(if a.entry {
        format!("{}\n", wire::to_json(&dto.entry))
    } else if a.json {
        format!("{}\n", wire::to_json(&dto))
    } else {
        render(&d, &dto)
    })
}

fn render(d: &Description, dto: &DescriptionDto) -> String {
    let mut out = String::new();
    let g = &d.graph;
    let _ = writeln!(
        out,
        "{}: {} nodes, opset {}, written by {}",
        d.name,
        d.nodes,
        d.opset,
        if d.producer.is_empty() { "(unknown)" } else { &d.producer }
    );
    for i in &d.inputs {
        let _ = writeln!(out, "  input {:<24} {:<8} {:?}", i.name, i.dtype, i.shape);
    }
    for (n, v, s) in &d.dims {
        let from = match s {
            DimSource::Given => "--dim",
            DimSource::Entry => "--batch-size / --sequence-length / --image-size",
            DimSource::Default => "default",
        };
        let _ = writeln!(out, "  dim   {n} = {v} ({from})");
    }
    let _ = writeln!(
        out,
        "{:.2} M parameters ({}), {:.1} MB of weights, {:.3} GFLOP per run of {} item(s), {} operators after merging identical ones ({})",
        g.params / 1e6,
        d.precision.name(),
        d.weight_bytes / 1e6,
        dto.gflops,
        g.items,
        g.ops.len(),
        g.model_type.name()
    );
    let _ = writeln!(
        out,
        "\n{:<10} {:>7} {:>12} {:>14}",
        "class", "kernels", "GFLOP", "MB moved (fp32)"
    );
    for class in OpClass::ALL {
        let name = class.name();
        let ops = g.ops.iter().filter(|o| o.class == class);
        let (n, fl, bytes) = ops.fold((0.0, 0.0, 0.0), |(n, f, b), o| {
            (
                n + o.repeat,
                f + o.flops * o.repeat,
                b + 4.0 * (o.act_elems + o.weight_elems) * o.repeat,
            )
        });
        if n > 0.0 {
            let _ = writeln!(out, "{name:<10} {n:>7} {:>12.3} {:>14.1}", fl / 1e9, bytes / 1e6);
        }
    }
    for w in &d.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    let _ =
        writeln!(out, "\nThe model entry for a workload's models: the same command with --entry");
    out
}

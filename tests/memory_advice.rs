//! Memory advice invariants: every measured option's saving and latency impact equal a re-run of the
//! prediction with that option alone; savings are non-negative and ranked; lower precision never adds
//! memory; the fit plan of an over-capacity workload, applied, is feasible, and a workload that fits gets
//! none; fusion and shared-arena options appear only where the runtime and the schedule leave room for them;
//! advice is deterministic and independent of the order of the models.

#![cfg(not(target_arch = "wasm32"))]

use multimodel_perf::catalog::runtime::RuntimeProfile;
use multimodel_perf::catalog::sharing::SharingConfig;
use multimodel_perf::predict::memory::{advise, apply, Change, MemoryAdvice, OptionKind};
use multimodel_perf::{wire, ModelSpec, Strategy, Target, Workload};

/// Two predictions of the same plan agree to this many MB (and ms).
const TOL: f64 = 1e-6;

fn parsed(json: &str) -> Workload {
    wire::parse_workload(json).unwrap().workload
}

fn seed() -> Workload {
    parsed(include_str!("data/seed-example.json"))
}

/// Three LLMs over a 5,000 MB budget on a T4 (examples/tight-memory.json).
fn tight() -> Workload {
    parsed(include_str!("../examples/tight-memory.json"))
}

/// Two fp32 LLMs at batch 32 over 2,048-token prompts on a 16 GB T4: over capacity without any budget.
fn two_llms() -> Workload {
    parsed(
        r#"[{"model_name": "llama-3.2-1b", "batch_size": 32, "sequence_length": 2048},
            {"model_name": "qwen2.5-0.5b", "batch_size": 32, "sequence_length": 2048}]"#,
    )
}

fn target(hw: &str, runtime: Option<&str>) -> Target {
    Target {
        runtime: runtime.map(|r| RuntimeProfile::find(r).unwrap()),
        ..Target::new(hw).unwrap()
    }
}

/// BERT-large at batch 32 over 384 tokens asking for eager (unfused) attention beside BERT-base with the
/// runtime's own: under PyTorch on a GPU only the first writes its scores out.
fn eager_bert() -> Workload {
    parsed(
        r#"[{"model_name": "bert-large-uncased", "batch_size": 32, "sequence_length": 384,
             "precision": "fp16", "attn_implementation": "eager"},
            {"model_name": "bert-base-uncased", "batch_size": 8, "precision": "fp16"}]"#,
    )
}

/// Workloads and targets every invariant is checked on: the seed on its CUDA default (PyTorch), under
/// ONNX Runtime (per-model arenas) and on a WebGPU laptop (transformers.js: no fused attention), the two
/// over-capacity workloads, and an entry asking for unfused attention under PyTorch.
fn cases() -> Vec<(&'static str, Workload, Target)> {
    vec![
        ("seed/cuda", seed(), target("cuda", None)),
        ("eager-bert/a100", eager_bert(), target("cuda:a100-80gb", None)),
        ("seed/cuda+ort", seed(), target("cuda", Some("onnxruntime"))),
        ("seed/webgpu", seed(), target("webgpu:integrated", None)),
        ("tight/t4", tight(), target("cuda:t4", None)),
        ("two-llms/t4", two_llms(), target("cuda:t4", None)),
    ]
}

fn advice(w: &Workload, t: &Target, s: Strategy) -> MemoryAdvice {
    advise(w, t, &SharingConfig::default(), s).unwrap()
}

fn each_advice(mut check: impl FnMut(&str, &Workload, &Target, Strategy, &MemoryAdvice)) {
    for (name, w, t) in cases() {
        for s in Strategy::ALL {
            check(name, &w, &t, s, &advice(&w, &t, s));
        }
    }
}

#[test]
fn measured_savings_equal_a_rerun_with_the_option_alone() {
    each_advice(|name, w, t, s, a| {
        for o in a.options.iter().filter(|o| !o.estimated) {
            let after = apply(w, t, &SharingConfig::default(), s, &o.changes).unwrap().prediction;
            let saved = a.peak_mb - after.combined_memory_mb;
            let slower = after.combined_latency_ms - a.latency_ms;
            assert!(
                (saved - o.saved_mb).abs() <= TOL,
                "{name} {s:?} {}: {} vs re-run {saved}",
                o.description,
                o.saved_mb
            );
            assert!((slower - o.latency_delta_ms).abs() <= TOL, "{name} {s:?}");
            assert_eq!(after.feasible, o.feasible, "{name} {s:?}");
        }
    });
}

#[test]
fn savings_are_non_negative_and_ranked() {
    each_advice(|name, _, _, s, a| {
        for o in &a.options {
            assert!(o.saved_mb >= 0.0, "{name} {s:?}: {}", o.description);
        }
        for pair in a.options.windows(2) {
            let (x, y) = (&pair[0], &pair[1]);
            let ordered = x.saved_mb > y.saved_mb + TOL
                || ((x.saved_mb - y.saved_mb).abs() <= TOL
                    && x.latency_delta_ms <= y.latency_delta_ms + TOL);
            assert!(ordered, "{name} {s:?}: {} before {}", x.description, y.description);
        }
    });
}

#[test]
fn lower_precision_never_increases_memory() {
    each_advice(|name, w, t, s, a| {
        for o in a.options.iter().filter(|o| o.kind == OptionKind::LowerPrecision) {
            assert!(o.saved_mb > 0.0, "{name}: {}", o.description);
            assert!(
                o.caveat.as_deref().is_some_and(|c| !c.is_empty()),
                "{name}: no accuracy caveat"
            );
            let after = apply(w, t, &SharingConfig::default(), s, &o.changes).unwrap();
            let before = apply(w, t, &SharingConfig::default(), s, &[]).unwrap();
            for i in &o.models {
                let (b, x) = (&before.prediction.models[*i], &after.prediction.models[*i]);
                assert!(x.solo.memory.weights_mb < b.solo.memory.weights_mb, "{name}");
                assert!(x.memory_mb <= b.memory_mb + TOL, "{name}: {}", o.description);
            }
        }
    });
}

#[test]
fn applying_the_fit_plan_of_an_over_capacity_workload_fits() {
    for (name, w, t) in [
        ("tight/t4", tight(), target("cuda:t4", None)),
        ("two-llms/t4", two_llms(), target("cuda:t4", None)),
    ] {
        for s in Strategy::ALL {
            let a = advice(&w, &t, s);
            if a.feasible {
                continue;
            }
            let fit = a.fit_plan.as_ref().unwrap_or_else(|| panic!("{name} {s:?}: no fit plan"));
            let applied = apply(&w, &t, &SharingConfig::default(), s, &fit.option.changes).unwrap();
            assert!(applied.prediction.feasible, "{name} {s:?}");
            assert!(fit.prediction.feasible && fit.option.feasible);
            let saved = a.peak_mb - applied.prediction.combined_memory_mb;
            assert!((saved - fit.option.saved_mb).abs() <= TOL, "{name} {s:?}");
            assert!(
                (applied.prediction.combined_memory_mb - fit.prediction.combined_memory_mb).abs()
                    <= TOL
            );
        }
    }
    // The over-capacity workloads are over capacity under parallel.
    assert!(!advice(&tight(), &target("cuda:t4", None), Strategy::Parallel).feasible);
    assert!(!advice(&two_llms(), &target("cuda:t4", None), Strategy::Parallel).feasible);
}

#[test]
fn a_workload_that_fits_gets_no_fit_plan() {
    for s in Strategy::ALL {
        let a = advice(&seed(), &target("cuda", None), s);
        assert!(a.feasible && a.fit_plan.is_none(), "{s:?}");
    }
}

#[test]
fn models_are_dropped_only_when_quantising_and_sequencing_cannot_fit() {
    // The two fp32 LLMs at batch 1 peak at about 7.5 GB on a T4; budgets squeeze them.
    let budget = |mb: f64| {
        let mut w = parsed(r#"[{"model_name": "llama-3.2-1b"}, {"model_name": "qwen2.5-0.5b"}]"#);
        w.constraints.max_memory_mb = Some(mb);
        advice(&w, &target("cuda:t4", None), Strategy::Parallel)
    };
    let drops = |a: &MemoryAdvice| {
        let fit = a.fit_plan.as_ref().unwrap();
        assert!(fit.prediction.feasible && fit.option.caveat.is_some());
        fit.option.changes.iter().any(|c| matches!(c, Change::Drop { .. }))
    };
    // 2,000 MB holds the PyTorch context and both models at 4 bits: quantising is enough.
    assert!(!drops(&budget(2000.0)));
    // 1,000 MB holds the context and one 4-bit model, never both, even one after another.
    assert!(drops(&budget(1000.0)));
    // 800 MB does not even hold the context and the smaller model: no plan, and a note says so.
    let hopeless = budget(800.0);
    assert!(
        hopeless.fit_plan.is_none() && hopeless.notes.iter().any(|n| n.contains("no fit plan"))
    );
}

#[test]
fn fused_attention_is_offered_only_when_the_runtime_lacks_it() {
    let has = |a: &MemoryAdvice, k: OptionKind| a.options.iter().any(|o| o.kind == k);
    // PyTorch (SDPA) and ONNX Runtime fuse attention already.
    for rt in [None, Some("onnxruntime")] {
        let a = advice(&seed(), &target("cuda", rt), Strategy::Parallel);
        assert!(!has(&a, OptionKind::FusedAttention), "{rt:?}");
    }
    // transformers.js on WebGPU does not; the option counts the attention blocks it removes.
    let web = target("webgpu:integrated", None);
    let a = advice(&seed(), &web, Strategy::Parallel);
    let o = a.options.iter().find(|o| o.kind == OptionKind::FusedAttention).unwrap();
    assert!(o.description.contains("bert-base-uncased 12 blocks"), "{}", o.description);
    assert!(o.saved_mb > 0.0);
    // The same runtime with fused attention switched on gets no such option.
    let mut fused = web.clone();
    fused.runtime = Some(RuntimeProfile {
        fused_attention: true,
        ..RuntimeProfile::find("transformersjs").unwrap()
    });
    assert!(!has(&advice(&seed(), &fused, Strategy::Parallel), OptionKind::FusedAttention));
    // An NPU with vector DSPs apart runs attention unfused whatever the runtime: nothing to offer, and the
    // note says why (a WebNN NPU under ONNX Runtime Web, which lacks fused attention, too).
    for (hw, rt) in [("qnn:x-elite-npu", None), ("webnn:npu", Some("onnxruntime-web"))] {
        let a = advice(&seed(), &target(hw, rt), Strategy::Parallel);
        assert!(!has(&a, OptionKind::FusedAttention), "{hw}");
        assert!(
            a.notes.iter().any(|n| n.contains("runs attention unfused")),
            "{hw}: {:?}",
            a.notes
        );
    }
    // PyTorch runs epilogues as their own kernels: fusing them is offered, with what the models contain.
    let cnn = parsed(r#"[{"model_name": "resnet-50", "batch_size": 8}]"#);
    let a = advice(&cnn, &target("cuda", None), Strategy::Parallel);
    let o = a.options.iter().find(|o| o.kind == OptionKind::EpilogueFusion).unwrap();
    assert!(o.description.contains("conv-bn-activation chains"), "{}", o.description);
}

#[test]
fn an_entry_asking_unfused_attention_is_offered_the_runtimes_fused_kernel() {
    let (w, t) = (eager_bert(), target("cuda:a100-80gb", None));
    let a = advice(&w, &t, Strategy::Parallel);
    let o = a.options.iter().find(|o| o.kind == OptionKind::FusedAttention).unwrap();
    // Only the entry that asks for eager attention is named, with its 24 layers and its fp16 scores:
    // 32 x 16 x 384 x 384 x 2 bytes = 144 MB a layer (MB of 2^20 bytes, as every report prints them).
    assert_eq!(o.models, [0]);
    assert!(
        o.description.contains("bert-large-uncased 24 blocks, scores up to 144.0 MB"),
        "{}",
        o.description
    );
    assert!(
        o.description.contains("pytorch has a fused kernel these models do not use"),
        "{}",
        o.description
    );
    assert!(!o.description.contains("bert-base-uncased"), "{}", o.description);
    assert!(
        o.saved_mb > 0.0 && o.latency_delta_ms < 0.0,
        "{} MB, {} ms",
        o.saved_mb,
        o.latency_delta_ms
    );
    // Applied, the entry asks for the fused kernel: the prediction is the workload's without the field.
    let applied = apply(&w, &t, &SharingConfig::default(), Strategy::Parallel, &o.changes).unwrap();
    let mut fused = eager_bert();
    fused.models[0].attention = None;
    let p = advise(&fused, &t, &SharingConfig::default(), Strategy::Parallel).unwrap();
    assert!((applied.prediction.combined_memory_mb - p.peak_mb).abs() <= TOL);
    assert!((applied.prediction.combined_latency_ms - p.latency_ms).abs() <= TOL);
    // With every entry on the runtime's own kernel, PyTorch's note says it fuses already.
    assert!(p.options.iter().all(|o| o.kind != OptionKind::FusedAttention));
    assert!(p.notes.iter().any(|n| n.contains("pytorch already fuses attention")), "{:?}", p.notes);
}

#[test]
fn a_shared_arena_needs_models_that_never_overlap() {
    let ort = target("cuda", Some("onnxruntime"));
    let is_arena = |a: &MemoryAdvice| a.options.iter().any(|o| o.kind == OptionKind::SharedArena);
    let sequential = advice(&seed(), &ort, Strategy::Sequential);
    let o = sequential.options.iter().find(|o| o.kind == OptionKind::SharedArena).unwrap();
    assert!(o.saved_mb > 0.0 && o.models.len() == 3);
    // Under parallel every model overlaps every other: nothing to share, and the advice says why.
    let parallel = advice(&seed(), &ort, Strategy::Parallel);
    assert!(!is_arena(&parallel));
    assert!(parallel.notes.iter().any(|n| n.contains("shared activation arena")));
    // PyTorch's caching allocator already reuses freed blocks across models.
    assert!(!is_arena(&advice(&seed(), &target("cuda", None), Strategy::Sequential)));
}

#[test]
fn the_planned_arena_is_an_estimate_for_per_tensor_allocators_only() {
    let a = advice(&seed(), &target("cuda", None), Strategy::Parallel);
    let o = a.options.iter().find(|o| o.kind == OptionKind::PlannedArena).unwrap();
    assert!(o.estimated && o.saved_mb > 0.0 && o.description.starts_with("estimate"));
    let ort = advice(&seed(), &target("cuda", Some("onnxruntime")), Strategy::Parallel);
    assert!(!ort.options.iter().any(|o| o.kind == OptionKind::PlannedArena));
}

/// Options keyed by content (kind, model names, description), so two advices on permuted workloads compare.
fn by_content(w: &Workload, a: &MemoryAdvice) -> Vec<(String, f64, f64)> {
    let opts = a.options.iter().chain(a.fit_plan.iter().map(|f| &f.option));
    opts.map(|o| {
        let mut names: Vec<&str> = o.models.iter().map(|&i| w.models[i].name.as_str()).collect();
        names.sort_unstable();
        let key = format!("{}|{}|{}", o.kind.name(), names.join(","), o.description);
        (key, o.saved_mb, o.latency_delta_ms)
    })
    .collect()
}

#[test]
fn advice_is_deterministic_and_independent_of_model_order() {
    for (name, w, t) in cases() {
        let mut reversed = w.clone();
        reversed.models.reverse();
        for s in Strategy::ALL {
            let a = advice(&w, &t, s);
            assert_eq!(a, advice(&w, &t, s), "{name} {s:?}: not deterministic");
            let (x, y) = (by_content(&w, &a), by_content(&reversed, &advice(&reversed, &t, s)));
            assert_eq!(x.len(), y.len(), "{name} {s:?}");
            for (p, q) in x.iter().zip(&y) {
                assert_eq!(p.0, q.0, "{name} {s:?}");
                assert!((p.1 - q.1).abs() <= TOL && (p.2 - q.2).abs() <= TOL, "{name} {s:?}");
            }
        }
    }
}

#[test]
fn bad_change_indices_are_errors() {
    let changes = [Change::Drop { models: vec![7] }];
    let r = apply(
        &seed(),
        &target("cuda", None),
        &SharingConfig::default(),
        Strategy::Parallel,
        &changes,
    );
    assert!(r.is_err());
    let all = [Change::Drop { models: vec![0, 1, 2] }];
    let r =
        apply(&seed(), &target("cuda", None), &SharingConfig::default(), Strategy::Parallel, &all);
    assert!(r.is_err());
    let one = Workload { models: vec![ModelSpec::named("bert-base-uncased")], ..seed() };
    assert!(
        advise(&one, &target("cuda", None), &SharingConfig::default(), Strategy::Parallel).is_ok()
    );
}

#[test]
fn print_the_seed_and_over_capacity_advice() {
    let seed = advice(&seed(), &target("cuda", None), Strategy::Parallel);
    println!("seed workload on cuda (pytorch), parallel\n{}", seed.table());
    let tight = advice(&tight(), &target("cuda:t4", None), Strategy::Parallel);
    println!("tight-memory workload on cuda:t4, parallel\n{}", tight.table());
    let llms = advice(&two_llms(), &target("cuda:t4", None), Strategy::Parallel);
    println!(
        "llama-3.2-1b + qwen2.5-0.5b fp32 batch 32, 2,048-token prompts, on cuda:t4, parallel\n{}",
        llms.table()
    );
}

//! Single-model predictions kept between the calls of one predictor.
//!
//! A model's prediction alone depends only on what it is (its resolved architecture and input), the device,
//! the runtime and its threads. An application that asks again and again about the same models (a page
//! recomputing its plan as the user edits one entry, a pool routing every request, a sweep over goals)
//! would otherwise cost every model's operators again on every call: the costing is a third of a
//! prediction's time natively. [`SingleMemo`] keeps each (model, device, runtime, threads) prediction the
//! first call makes, and later calls of the same predictor take it.
//!
//! A kept prediction is only ever taken by a call that would compute the same one: the entry is found by
//! the model's canonical key ([`crate::predict::spec::ModelSpec::canonical_key`]), its device and runtime
//! profiles by identity (the entry holds both, so neither can be freed and its address reused while the
//! entry lives; a changed profile is a new one) and its threads, and it is taken only where its resolved
//! model equals the call's. So no result depends on what the memo holds: the same input gives the same
//! numbers from a fresh predictor and from one that has answered a thousand calls.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::grouping::SearchedPlans;
use super::multi::{Prepared, Target, Workload};
use super::single::SinglePrediction;
use super::spec::ResolvedModel;
use crate::catalog::hardware::DeviceProfile;
use crate::catalog::runtime::RuntimeProfile;
use crate::catalog::sharing::SharingConfig;
use crate::error::Result;
use crate::flatmap::LookupMap;

/// Most predictions a memo keeps: one that would keep more starts over empty (about 1 MB at most: an entry
/// is 432 bytes, with its model's key and names beside it).
pub const MEMO_CAPACITY: usize = 2048;

/// One kept prediction.
struct Entry {
    device: Arc<DeviceProfile>,
    runtime: Arc<RuntimeProfile>,
    threads: u32,
    resolved: ResolvedModel,
    single: Arc<SinglePrediction>,
}

#[derive(Default)]
struct Table {
    /// By the model's canonical key: every (device, runtime, threads) kept for it.
    by_key: LookupMap<Box<str>, Vec<Entry>>,
    entries: usize,
}

/// Single-model predictions shared by the calls of one predictor (and its clones); see the module.
#[derive(Clone, Default)]
pub struct SingleMemo(Arc<Mutex<Table>>);

impl SingleMemo {
    /// An empty memo.
    pub fn new() -> Self {
        Self::default()
    }

    /// Predictions kept.
    pub fn len(&self) -> usize {
        self.table().entries
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every kept prediction.
    pub fn clear(&self) {
        let mut table = self.table();
        table.by_key.clear();
        table.entries = 0;
    }

    /// The kept prediction of the model keyed `key` (resolved as `resolved`) on `device` and `runtime`
    /// with `threads`, or `compute`'s, kept for the next call.
    pub(crate) fn get_or_insert_with(
        &self,
        key: &str,
        place: (&Arc<DeviceProfile>, &Arc<RuntimeProfile>, u32),
        resolved: &ResolvedModel,
        compute: impl FnOnce() -> SinglePrediction,
    ) -> Arc<SinglePrediction> {
        let (device, runtime, threads) = place;
        let same = |e: &&Entry| {
            e.threads == threads
                && Arc::ptr_eq(&e.device, device)
                && Arc::ptr_eq(&e.runtime, runtime)
                && e.resolved == *resolved
        };
        if let Some(kept) = self.table().by_key.get(key).and_then(|v| v.iter().find(same)) {
            return Arc::clone(&kept.single);
        }
        let single = Arc::new(compute());
        let mut table = self.table();
        if table.entries >= MEMO_CAPACITY {
            table.by_key.clear();
            table.entries = 0;
        }
        let entry = Entry {
            device: Arc::clone(device),
            runtime: Arc::clone(runtime),
            threads,
            resolved: resolved.clone(),
            single: Arc::clone(&single),
        };
        // The key is copied only the first time it is kept.
        match table.by_key.get_mut(key) {
            Some(kept) => kept.push(entry),
            None => drop(table.by_key.insert(key.into(), vec![entry])),
        }
        table.entries += 1;
        single
    }

    /// The table; a panic elsewhere while it was held left it whole (every change is one push or a clear).
    fn table(&self) -> MutexGuard<'_, Table> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for SingleMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SingleMemo").field("entries", &self.len()).finish()
    }
}

/// Every memo equals every other: what it holds never changes a result (the module).
impl PartialEq for SingleMemo {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The workload a predictor prepared last, with the target and sharing table it was prepared for (the
/// workload itself is the prepared one's entries and constraints: [`Prepared::is_for`]).
struct LastPrepared {
    target: Target,
    sharing: SharingConfig,
    prepared: Arc<Prepared>,
}

/// The last workload a predictor resolved ([`Prepared`]), kept for its next call: a call with an equal
/// workload, the same target (its device by identity or by content, its runtime and extra profiles equal)
/// and an equal sharing table takes it instead of resolving every entry again (a page asking about the same
/// models under other strategies or goals; resolving is about a third of a 3-model prediction natively).
/// Like [`SingleMemo`], it never changes a result: a [`Prepared`] is a function of exactly those three
/// inputs (and of the predictor's [`SingleMemo`], which only ever returns what it would compute).
#[derive(Clone, Default)]
pub struct PreparedMemo(Arc<Mutex<Option<LastPrepared>>>);

impl PreparedMemo {
    /// An empty memo.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a workload is kept.
    pub fn is_kept(&self) -> bool {
        self.last().is_some()
    }

    /// The kept workload prepared for `target` with `sharing` if it equals `workload`, else `prepare`'s,
    /// kept in its place.
    pub(crate) fn get_or_prepare(
        &self,
        workload: &Workload,
        target: &Target,
        sharing: &SharingConfig,
        prepare: impl FnOnce() -> Result<Prepared>,
    ) -> Result<Arc<Prepared>> {
        if let Some(last) = self.last().as_ref() {
            if last.target.same_as(target)
                && last.sharing == *sharing
                && last.prepared.is_for(workload)
            {
                return Ok(Arc::clone(&last.prepared));
            }
        }
        let mut prepared = prepare()?;
        // Kept behind an `Arc` from here on, so nothing can change it after its calls kept what they made.
        prepared.kept = Kept::on(prepared.models.len());
        let prepared = Arc::new(prepared);
        *self.last() = Some(LastPrepared {
            target: target.clone(),
            sharing: sharing.clone(),
            prepared: Arc::clone(&prepared),
        });
        Ok(prepared)
    }

    /// The kept workload; a panic elsewhere while it was held left it whole (every change is one store).
    fn last(&self) -> MutexGuard<'_, Option<LastPrepared>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for PreparedMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedMemo").field("kept", &self.is_kept()).finish()
    }
}

/// Every memo equals every other: what it holds never changes a result.
impl PartialEq for PreparedMemo {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// What a workload the predictor keeps ([`PreparedMemo`]) keeps of its calls for the next ones: each model's
/// prediction alone on its own threads (taken without the [`SingleMemo`]'s lock, key hashing and comparison of
/// the resolved model: the kept workload is that model), and the plans of its first recommend's grouping
/// searches, which the next recommend about it (another goal, the same models) takes and only evaluates. Both
/// read nothing but the prepared workload (the predictions are what [`Prepared::single`] computes, the
/// searches run on them), so like the other memos it never changes a result. Only a kept workload keeps them:
/// it sits behind an `Arc` and cannot change after they were made; a [`Prepared`] from
/// [`super::multi::prepare`] (whose fields a caller may change between calls) and every clone keep nothing.
#[derive(Default)]
pub struct Kept {
    /// `singles[i]`: model `i` alone on its own threads; empty where nothing is kept.
    singles: Vec<std::sync::OnceLock<Arc<SinglePrediction>>>,
    /// The searches' plans, where kept.
    plans: Option<std::sync::OnceLock<SearchedPlans>>,
}

impl Kept {
    /// A holder that keeps what `models` models' calls make.
    fn on(models: usize) -> Self {
        Kept {
            singles: (0..models).map(|_| std::sync::OnceLock::new()).collect(),
            plans: Some(std::sync::OnceLock::new()),
        }
    }

    /// Model `i`'s kept prediction alone on its own threads, or `compute`'s (kept where this holder keeps).
    pub(crate) fn single(
        &self,
        i: usize,
        compute: impl FnOnce() -> Arc<SinglePrediction>,
    ) -> Arc<SinglePrediction> {
        match self.singles.get(i) {
            Some(kept) => Arc::clone(kept.get_or_init(compute)),
            None => compute(),
        }
    }

    /// The kept plans, or `search`'s (kept where this holder keeps them).
    pub(crate) fn searched(
        &self,
        search: impl FnOnce() -> SearchedPlans,
    ) -> std::borrow::Cow<'_, SearchedPlans> {
        match &self.plans {
            Some(plans) => std::borrow::Cow::Borrowed(plans.get_or_init(search)),
            None => std::borrow::Cow::Owned(search()),
        }
    }
}

#[cfg(test)]
impl Kept {
    /// Whether plans are kept.
    pub(crate) fn has_plans(&self) -> bool {
        self.plans.as_ref().is_some_and(|p| p.get().is_some())
    }

    /// How many models' predictions are kept.
    pub(crate) fn singles_kept(&self) -> usize {
        self.singles.iter().filter(|s| s.get().is_some()).count()
    }
}

/// A clone keeps nothing: it may be changed, and its calls must see the change.
impl Clone for Kept {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kept").field("models", &self.singles.len()).finish()
    }
}

/// Every holder equals every other: what it keeps never changes a result.
impl PartialEq for Kept {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::sharing::SharingRule;
    use crate::predict::multi::prepare;
    use crate::predict::spec::{ArchSpec, CustomModel, ModelSpec};
    use crate::{bench, Goal, MultiModelPredictor, Strategy, Target, Workload};

    fn custom(name: &str, layers: u32) -> ModelSpec {
        let arch = ArchSpec {
            decoder: false,
            layers,
            hidden: 512,
            heads: 8,
            kv_heads: None,
            ffn: None,
            vocab: None,
            gated: false,
        };
        ModelSpec { custom: Some(CustomModel::Arch(arch)), ..ModelSpec::named(name).with_batch(2) }
    }

    /// The seed, a catalog mix with a model listed twice, models with their own threads and device, and two
    /// custom models of one name but different layers.
    fn workloads() -> Vec<Workload> {
        let mut mix = bench::catalog_mix(9);
        mix.models.push(mix.models[2].clone());
        let mut own = bench::seed();
        own.models[0].threads = Some(1);
        own.models[1].device = Some("cpu:server-32c".to_string());
        let customs = Workload {
            models: vec![custom("mine", 4), custom("mine", 6), ModelSpec::named("resnet-50")],
            constraints: Default::default(),
        };
        vec![bench::seed(), mix, own, customs]
    }

    #[test]
    fn a_predictor_with_a_memo_gives_a_fresh_ones_numbers_whatever_it_answered_before() {
        let kept = MultiModelPredictor::default();
        let fresh = MultiModelPredictor::default().without_memo();
        let mut order = workloads();
        order.extend(workloads().into_iter().rev());
        for hardware in ["cuda:a100-40gb", "cpu", "cpu:desktop-8c"] {
            let target = Target::new(hardware).unwrap();
            for w in &order {
                for strategy in [Strategy::Parallel, Strategy::Sequential, Strategy::Batched] {
                    let a = kept.predict(w, &target, strategy).unwrap();
                    assert_eq!(a, fresh.predict(w, &target, strategy).unwrap(), "{hardware}");
                }
                // Every goal, the later ones from the kept workload's kept searches.
                for goal in [Goal::Throughput, Goal::Latency, Goal::Memory, Goal::Energy] {
                    let a = kept.recommend(w, &target, goal).unwrap();
                    assert_eq!(
                        a,
                        fresh.recommend(w, &target, goal).unwrap(),
                        "{hardware} {goal:?}"
                    );
                }
            }
        }
        assert!(!kept.memo.unwrap().is_empty());
        assert!(fresh.memo.is_none());
    }

    #[test]
    fn only_a_kept_workload_keeps_its_searches_and_a_changed_copy_searches_again() {
        let p = MultiModelPredictor::default();
        let target = Target::new("cpu").unwrap();
        let w = bench::catalog_mix(6);
        let first = p.recommend(&w, &target, Goal::Throughput).unwrap();
        let kept = p.prepared(&w, &target).unwrap();
        assert!(kept.kept.has_plans());
        assert_eq!(kept.kept.singles_kept(), w.models.len());
        assert_eq!(p.recommend(&w, &target, Goal::Throughput).unwrap(), first);
        // A workload prepared outside the memo, and a copy of the kept one, search on every call.
        let own = p.prepare(&w, &target).unwrap();
        assert_eq!(crate::plan::recommend(&own, Goal::Throughput), first);
        assert!(!own.kept.has_plans() && own.kept.singles_kept() == 0);
        let mut copy = (*kept).clone();
        assert!(!copy.kept.has_plans() && copy.kept.singles_kept() == 0);
        // Changed after the kept searches ran: the copy's plans are the changed workload's, not the kept ones.
        // A budget under every model at once: the searches' groups must change.
        let all_at_once = first.candidates.iter().map(|c| c.prediction.combined_memory_mb);
        let budget = 0.6 * all_at_once.fold(0.0, f64::max);
        copy.constraints.max_memory_mb = Some(budget);
        let tight = Workload {
            constraints: crate::predict::multi::Constraints {
                max_memory_mb: Some(budget),
                ..Default::default()
            },
            ..w.clone()
        };
        let expected = MultiModelPredictor::default()
            .without_memo()
            .recommend(&tight, &target, Goal::Throughput)
            .unwrap();
        assert!(expected.candidates != first.candidates, "the budget changes nothing");
        let got = crate::plan::recommend(&copy, Goal::Throughput);
        assert!(
            got == expected,
            "the changed copy answered {}, not {}",
            got.reason,
            expected.reason
        );
    }

    #[test]
    fn a_second_call_takes_every_prediction_from_the_memo() {
        let p = MultiModelPredictor::default();
        let memo = p.memo.clone().unwrap();
        let target = Target::new("cuda:a100-40gb").unwrap();
        let mut seed = bench::seed();
        p.predict(&seed, &target, Strategy::Parallel).unwrap();
        assert_eq!(memo.len(), 3);
        // The same models again, one of them listed twice: nothing new is computed.
        seed.models.push(seed.models[1].clone());
        p.predict(&seed, &target, Strategy::Parallel).unwrap();
        assert_eq!(memo.len(), 3);
        // A clone of the predictor shares its memo; another batch size is another model.
        let twin = p.clone();
        seed.models[0].batch_size = 8;
        twin.predict(&seed, &target, Strategy::Parallel).unwrap();
        assert_eq!(memo.len(), 4);
        memo.clear();
        assert!(memo.is_empty());
    }

    #[test]
    fn a_call_answered_from_the_memo_never_builds_its_models_operators() {
        let p = MultiModelPredictor::default();
        let target = Target::new("cuda:a100-40gb").unwrap();
        let seed = bench::seed();
        let prep = p.prepare(&seed, &target).unwrap();
        assert!(prep.models.iter().all(|m| !m.work_built()));
        let first: Vec<_> = (0..3).map(|i| prep.single(i, 1)).collect();
        assert!(prep.models.iter().all(|m| m.work_built()));
        // The next call's models come from the memo: their operators are never built, the numbers the same.
        let again = p.prepare(&seed, &target).unwrap();
        let second: Vec<_> = (0..3).map(|i| again.single(i, 1)).collect();
        assert_eq!(first, second);
        assert!(again.models.iter().all(|m| !m.work_built()));
    }

    #[test]
    fn the_kept_workload_is_taken_only_for_the_same_workload_target_and_sharing() {
        let memo = PreparedMemo::new();
        let mut seed = bench::seed();
        let a100 = Target::new("cuda:a100-40gb").unwrap();
        let sharing = SharingConfig::default();
        let calls = std::cell::Cell::new(0);
        let get = |w: &Workload, t: &Target, s: &SharingConfig| {
            memo.get_or_prepare(w, t, s, || {
                calls.set(calls.get() + 1);
                prepare(w, t, s)
            })
            .unwrap()
        };
        let first = get(&seed, &a100, &sharing);
        assert!(memo.is_kept());
        // The same call again, with a target built anew (the catalog's shared device, an equal target).
        let again = get(&seed, &Target::new("cuda:a100-40gb").unwrap(), &sharing);
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(calls.get(), 1);
        // Another target device, runtime, sharing table or workload is resolved again.
        let t4 = Target::new("cuda:t4").unwrap();
        assert_eq!(get(&seed, &t4, &sharing).devices[0].id, "cuda:t4");
        let ort = Target {
            runtime: Some(RuntimeProfile::find("onnxruntime").unwrap()),
            ..Target::new("cuda:t4").unwrap()
        };
        assert_eq!(&*get(&seed, &ort, &sharing).models[0].runtime.name, "onnxruntime");
        let rule = SharingRule {
            compatible_types: vec![crate::catalog::ModelType::Vision],
            sharing_efficiency: 0.5,
            memory_reduction: 0.5,
        };
        let shared = SharingConfig::new(vec![(crate::catalog::ModelType::Vision, rule)]).unwrap();
        get(&seed, &ort, &shared);
        seed.models[0].batch_size = 8;
        assert_eq!(get(&seed, &ort, &shared).models[0].resolved.input.batch, 8);
        assert_eq!(calls.get(), 5);
        // Each call's workload equals a fresh one: the kept one is never taken for another.
        assert_eq!(*get(&seed, &ort, &shared), prepare(&seed, &ort, &shared).unwrap());
        assert_eq!(calls.get(), 5);
    }

    #[test]
    fn a_predictor_answering_again_gives_a_fresh_predictors_numbers() {
        let kept = MultiModelPredictor::default();
        let fresh = MultiModelPredictor::default().without_memo();
        assert!(fresh.prepared.is_none());
        let mut seed = bench::seed();
        let target = Target::new("cpu").unwrap();
        for _ in 0..2 {
            let p = kept.predict(&seed, &target, Strategy::Parallel).unwrap();
            assert_eq!(p, fresh.predict(&seed, &target, Strategy::Parallel).unwrap());
            let r = kept.recommend(&seed, &target, Goal::Throughput).unwrap();
            assert_eq!(r, fresh.recommend(&seed, &target, Goal::Throughput).unwrap());
        }
        assert!(kept.prepared.as_ref().is_some_and(PreparedMemo::is_kept));
        let before = kept.predict(&seed, &target, Strategy::Sequential).unwrap();
        seed.models[1].batch_size = 4;
        let after = kept.predict(&seed, &target, Strategy::Sequential).unwrap();
        assert_eq!(after, fresh.predict(&seed, &target, Strategy::Sequential).unwrap());
        assert!(after.combined_latency_ms > before.combined_latency_ms);
    }

    #[test]
    fn a_changed_device_is_not_taken_for_the_kept_one() {
        let kept = MultiModelPredictor::default();
        let fresh = MultiModelPredictor::default().without_memo();
        let seed = bench::seed();
        let target = Target::new("cuda:t4").unwrap();
        let before = kept.predict(&seed, &target, Strategy::Parallel).unwrap();
        // The same id with half the bandwidth: a profile of its own, so its own predictions.
        let mut slower = (*target.device).clone();
        slower.memory_bandwidth_gbps /= 2.0;
        let halved = Target { device: Arc::new(slower), ..target.clone() };
        let after = kept.predict(&seed, &halved, Strategy::Parallel).unwrap();
        assert_eq!(after, fresh.predict(&seed, &halved, Strategy::Parallel).unwrap());
        assert!(after.combined_latency_ms > before.combined_latency_ms);
        assert_eq!(before, kept.predict(&seed, &target, Strategy::Parallel).unwrap());
    }

    #[test]
    fn a_targets_catalog_runtime_is_known_from_call_to_call_and_an_adjusted_one_is_not() {
        use crate::catalog::runtime::RuntimeProfile;
        let kept = MultiModelPredictor::default();
        let fresh = MultiModelPredictor::default().without_memo();
        let memo = kept.memo.clone().unwrap();
        let seed = bench::seed();
        let mut target = Target::new("cuda:t4").unwrap();
        target.runtime = Some(RuntimeProfile::find("tensorrt").unwrap());
        kept.predict(&seed, &target, Strategy::Parallel).unwrap();
        assert_eq!(memo.len(), 3);
        kept.predict(&seed, &target, Strategy::Parallel).unwrap();
        assert_eq!(
            memo.len(),
            3,
            "the catalog's TensorRT, given as the target's runtime, is one profile"
        );
        // The same name with another per-kernel cost: its own predictions, as a predictor without a memo
        // makes them.
        let mut slower = RuntimeProfile::find("tensorrt").unwrap();
        slower.call_overhead_us *= 4.0;
        let adjusted = Target { runtime: Some(slower), ..target.clone() };
        let a = kept.predict(&seed, &adjusted, Strategy::Parallel).unwrap();
        assert_eq!(a, fresh.predict(&seed, &adjusted, Strategy::Parallel).unwrap());
        assert_eq!(memo.len(), 6);
        let b = kept.predict(&seed, &target, Strategy::Parallel).unwrap();
        // Each model alone pays the slower call (the parallel makespan may hide it behind the kernels).
        assert_eq!(a.models.len(), b.models.len());
        for (a, b) in a.models.iter().zip(&b.models) {
            assert!(
                a.solo.latency_ms > b.solo.latency_ms,
                "{} vs {}",
                a.solo.latency_ms,
                b.solo.latency_ms
            );
        }
    }

    #[test]
    fn a_full_memo_starts_over() {
        let target = Target::new("cpu").unwrap();
        let prep = prepare(&bench::seed(), &target, &Default::default()).unwrap();
        let (m, device) = (&prep.models[0], &prep.devices[0]);
        let single = prep.single(0, 1);
        let memo = SingleMemo::new();
        for i in 0..MEMO_CAPACITY + 5 {
            let key = i.to_string();
            let kept = memo.get_or_insert_with(&key, (device, &m.runtime, 1), &m.resolved, || {
                (*single).clone()
            });
            assert_eq!(kept, single);
        }
        assert_eq!(memo.len(), 5);
    }
}

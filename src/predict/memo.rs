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

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use rustc_hash::FxHasher;

use super::single::SinglePrediction;
use super::spec::ResolvedModel;
use crate::catalog::hardware::DeviceProfile;
use crate::catalog::runtime::RuntimeProfile;

/// Most predictions a memo keeps: one that would keep more starts over empty (about 1 MB at most: an entry
/// is 432 bytes, with its model's key and names beside it).
pub const MEMO_CAPACITY: usize = 2048;

/// One kept prediction.
struct Entry {
    device: Arc<DeviceProfile>,
    runtime: Arc<RuntimeProfile>,
    threads: u32,
    resolved: ResolvedModel,
    single: SinglePrediction,
}

#[derive(Default)]
struct Table {
    /// By the model's canonical key: every (device, runtime, threads) kept for it.
    by_key: HashMap<Box<str>, Vec<Entry>, BuildHasherDefault<FxHasher>>,
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
    ) -> SinglePrediction {
        let (device, runtime, threads) = place;
        let same = |e: &&Entry| {
            e.threads == threads
                && Arc::ptr_eq(&e.device, device)
                && Arc::ptr_eq(&e.runtime, runtime)
                && e.resolved == *resolved
        };
        if let Some(kept) = self.table().by_key.get(key).and_then(|v| v.iter().find(same)) {
            return kept.single.clone();
        }
        let single = compute();
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
            single: single.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;
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
                let a = kept.recommend(w, &target, Goal::Throughput).unwrap();
                assert_eq!(a, fresh.recommend(w, &target, Goal::Throughput).unwrap());
            }
        }
        assert!(!kept.memo.unwrap().is_empty());
        assert!(fresh.memo.is_none());
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
        assert!(a.combined_latency_ms > b.combined_latency_ms);
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
            let kept = memo
                .get_or_insert_with(&key, (device, &m.runtime, 1), &m.resolved, || single.clone());
            assert_eq!(kept, single);
        }
        assert_eq!(memo.len(), 5);
    }
}

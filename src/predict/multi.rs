//! Several models on one machine under a plan: resolve every model, predict each alone, deduplicate shared
//! weights, then let the simulator ([`crate::sim`]) run the plan so that per-model start/end times, the
//! timeline, the makespan and peak memory come from one schedule and always agree.

use super::memo::{Kept, SingleMemo};
use super::single::{Placement, SinglePrediction};
use super::spec::{resolve, ModelSpec, ResolvedModel};
use crate::catalog::hardware::{self, Concurrency, DeviceProfile, MemoryPool};
use crate::catalog::models::Work;
use crate::catalog::runtime::RuntimeProfile;
use crate::catalog::sharing::SharingConfig;
use crate::error::{Error, Result};
use crate::sim::{self, Job, Resource, ResourceKind, Scenario, Schedule, MAX_POOLS};
use std::sync::{Arc, OnceLock};

/// Limits the user puts on a plan.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Constraints {
    /// Memory budget across all pools, MB.
    pub max_memory_mb: Option<f64>,
    /// Share of each device's compute (or CPU cores) the models may use, 0 < x ≤ 1.
    pub max_compute: Option<f64>,
}

/// How the models of a workload are run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Strategy {
    /// All at once.
    Parallel,
    /// One after another.
    Sequential,
    /// Groups run one after another; the models of a group run together.
    Batched,
}

impl Strategy {
    /// Every strategy.
    pub const ALL: [Strategy; 3] = [Self::Parallel, Self::Sequential, Self::Batched];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Parallel => "parallel",
            Self::Sequential => "sequential",
            Self::Batched => "batched",
        }
    }

    /// Parses a strategy name.
    pub fn parse(field: &str, text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "parallel" => Ok(Self::Parallel),
            "sequential" => Ok(Self::Sequential),
            "batched" => Ok(Self::Batched),
            _ => Err(Error::invalid(field, text, "one of parallel, sequential, batched")),
        }
    }
}

/// Whether weights stay loaded between runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Residency {
    /// Every model's weights are loaded before the run and stay (what a page or server normally does).
    Resident,
    /// Each model loads its weights when it starts and frees them when it ends (pays the load time).
    Unload,
}

impl Residency {
    /// Both, in a fixed order.
    pub const ALL: [Residency; 2] = [Self::Resident, Self::Unload];

    /// The JSON name: `resident` or `unload`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Resident => "resident",
            Self::Unload => "unload",
        }
    }
}

/// What to do: groups in order (indices into the workload's models), threads per model, residency.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Strategy the plan implements.
    pub strategy: Strategy,
    /// Groups run one after another.
    pub groups: Vec<Vec<usize>>,
    /// CPU threads per model (`None`: the entry's own `threads`, else every core).
    pub threads: Vec<Option<u32>>,
    /// Weight residency.
    pub residency: Residency,
}

/// A workload: models and constraints.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// Model entries.
    pub models: Vec<ModelSpec>,
    /// Limits.
    pub constraints: Constraints,
}

/// Where the workload runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Device for models without their own `device`, shared with every prediction made for this target so a
    /// call does not copy it (a `DeviceProfile` becomes one with `.into()`).
    pub device: Arc<DeviceProfile>,
    /// Runtime for models on that device (its platform's default when `None`).
    pub runtime: Option<RuntimeProfile>,
    /// Profiles outside the catalog that a model's `device` may name by id (e.g. the browser pool's
    /// detected WebGPU and WASM profiles); looked up before the catalog.
    pub devices: Vec<DeviceProfile>,
}

impl Target {
    /// A catalog device with its default runtime.
    pub fn new(hardware: &str) -> Result<Self> {
        Ok(Target { device: hardware::shared(hardware)?, runtime: None, devices: Vec::new() })
    }

    /// Equal to `other`, its device compared by identity first (the catalog's shared profile) and by content
    /// only where the two differ. Every field is named, so a new one cannot be left out of the comparison.
    pub fn same_as(&self, other: &Target) -> bool {
        let Target { device, runtime, devices } = self;
        (Arc::ptr_eq(device, &other.device) || **device == *other.device)
            && *runtime == other.runtime
            && *devices == other.devices
    }
}

/// One model, resolved and placed.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedModel {
    /// The entry.
    pub spec: ModelSpec,
    /// Its name, device id and runtime name as every report of the call prints them (shared, not copied).
    pub labels: Labels,
    /// Its architecture and input.
    pub resolved: ResolvedModel,
    /// Index into [`Prepared::devices`].
    pub device: usize,
    /// Runtime it runs under (shared by the workload's models that name the same one).
    pub runtime: Arc<RuntimeProfile>,
    /// Memory pool index.
    pub pool: usize,
    /// The precision its runtime holds its weights at here (FP32 under autocast, which casts them on every
    /// call; the model's precision otherwise): what identical weights are matched and shared at.
    pub held: crate::catalog::Precision,
    /// Weights (MB) not counted because another model holds the same or shareable tensors.
    pub shared_mb: f64,
    /// The intra-op pool the model's threads share with the other models of its runtime on its CPU
    /// (`RuntimeProfile::pool_per_process`): equal keys, one pool; 0 = a pool of its own.
    pub pool_key: u32,
    /// The operators of one batch (independent of device, runtime and threads): built on the first
    /// single-model prediction of the call that is not in the predictor's memo, and read by the others
    /// ([`PreparedModel::work`]). A call answered from the memo never builds them.
    work: OnceLock<Work>,
}

impl PreparedModel {
    /// The operators of one batch, built on first use.
    pub fn work(&self) -> &Work {
        self.work.get_or_init(|| self.resolved.arch.work(&self.resolved.input))
    }

    /// Whether [`PreparedModel::work`] has been built.
    #[cfg(test)]
    pub(crate) fn work_built(&self) -> bool {
        self.work.get().is_some()
    }

    /// Two models with the same key hold identical tensors: same weights, same stored precision (fp32 and tf32
    /// store the same), same memory pool.
    /// Weight sharing (which compares [`PreparedModel::weights_fields`] directly) and the memory advice's
    /// grouping rely on it.
    pub fn weights_identity(&self) -> String {
        let (key, precision, pool) = self.weights_fields();
        format!("{key}|{precision}|{pool}")
    }

    /// The fields of [`PreparedModel::weights_identity`]: the weights' key, the name of the precision they
    /// are held at ([`PreparedModel::held`], as stored) and the memory pool.
    pub fn weights_fields(&self) -> (&str, &'static str, usize) {
        (&self.resolved.weights_key, self.held.storage().name(), self.pool)
    }
}

/// A name printed in reports, made once per call and shared by them.
pub type Label = Arc<str>;

/// A model's name, device id and runtime name, made once per call and shared by its reports: every plan a
/// recommendation weighs reports every model by them.
#[derive(Debug, Clone, PartialEq)]
pub struct Labels {
    /// The entry's name.
    pub name: Label,
    /// The device's id (one string per device of the call).
    pub device: Label,
    /// The runtime's name (one string per runtime of the call).
    pub runtime: Label,
}

/// A workload resolved once, ready to be evaluated under many plans.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// Models in the user's order.
    pub models: Vec<PreparedModel>,
    /// Devices used, the target's first.
    pub devices: Vec<Arc<DeviceProfile>>,
    /// Memory pools: name and capacity (MB).
    pub pools: Vec<(Label, f64)>,
    /// The devices' ids, in [`Prepared::devices`]' order, shared by every report.
    pub device_ids: Vec<Label>,
    /// Limits.
    pub constraints: Constraints,
    /// Model indices in canonical (content) order.
    pub canonical: Vec<usize>,
    /// `twins[i]`: the first model of the call whose single-model predictions are model `i`'s (the same
    /// entry but for nothing a prediction reads: the same content key, device, runtime, architecture and
    /// input); `i` itself where none comes before it. A workload that lists a model twice predicts it once.
    pub twins: Vec<usize>,
    /// Pairs that share weights by the models' names: (model a, model b, MB saved, why). Made once, shared by
    /// every report of the workload.
    pub sharing_pairs: Arc<[(Label, Label, f64, Label)]>,
    /// Warnings from resolution.
    pub warnings: Vec<String>,
    /// Idle time between one group's end and the next group's start, ms, outside the makespan: pools that
    /// spin after a run spin that much less into the next group. 0 (what `prepare` sets): a program that
    /// runs the groups back to back.
    pub group_gap_ms: f64,
    /// The predictor's kept single-model predictions ([`SingleMemo`]), read and filled by
    /// [`Prepared::single`]; `None`: the call computes its own.
    pub memo: Option<SingleMemo>,
    /// Every model's canonical key (with its device's index), in one buffer: `key_spans[i]` is model `i`'s.
    key_text: String,
    key_spans: Vec<std::ops::Range<usize>>,
    /// What the calls about this workload keep for the next ones, where the predictor keeps it ([`Kept`]).
    pub(crate) kept: Kept,
}

/// Largest workload accepted in one call.
pub const MAX_MODELS: usize = 10_000;

/// Validates and resolves a workload for a target.
pub fn prepare(workload: &Workload, target: &Target, sharing: &SharingConfig) -> Result<Prepared> {
    prepare_with(workload, target, sharing, None)
}

/// [`prepare`], with single-model predictions kept between calls in `memo` ([`SingleMemo`]).
pub fn prepare_with(
    workload: &Workload,
    target: &Target,
    sharing: &SharingConfig,
    memo: Option<&SingleMemo>,
) -> Result<Prepared> {
    check_workload(workload)?;
    let mut devices = vec![Arc::clone(&target.device)];
    let mut pools: Vec<(Label, f64)> = Vec::new();
    let mut models = Vec::with_capacity(workload.models.len());
    let mut warnings = Vec::new();
    let mut runtimes = Runtimes::default();
    let mut process_pools: Vec<(usize, Arc<RuntimeProfile>)> = Vec::new();
    // Device ids, runtime names and memory pool names, one string each.
    let mut names: Vec<Label> = Vec::new();
    for (i, spec) in workload.models.iter().enumerate() {
        let field = ModelField(i);
        let resolved = resolve(spec, field)?;
        warnings.extend(resolved.warnings.iter().cloned());
        let device = match &spec.device {
            None => 0,
            Some(id) => device_index(&mut devices, &target.devices, id, field)?,
        };
        let dev = &devices[device];
        let runtime = match (&spec.runtime, &target.runtime, device) {
            (Some(r), _, _) => runtimes.find(r)?,
            (None, Some(rt), 0) => runtimes.target(rt),
            _ => runtimes.find(&dev.default_runtime)?,
        };
        check_platform(&runtime, dev)?;
        let pool = pool_index(&mut pools, &mut names, dev, field)?;
        let pool_key = process_pool_key(&mut process_pools, device, &runtime, dev);
        let labels = Labels {
            name: Arc::from(spec.name.as_str()),
            device: intern(&mut names, &dev.id),
            runtime: intern(&mut names, &runtime.name),
        };
        let spec = spec.clone();
        let held = super::single::held_precision(dev, &runtime, resolved.precision);
        models.push(PreparedModel {
            held,
            spec,
            labels,
            work: OnceLock::new(),
            resolved,
            device,
            runtime,
            pool,
            shared_mb: 0.0,
            pool_key,
        });
    }
    let (key_text, key_spans) = canonical_keys(&models);
    let (canonical, twins) = canonical_order(&models, &key_text, &key_spans);
    let constraints = workload.constraints;
    let device_ids = devices.iter().map(|d| intern(&mut names, &d.id)).collect();
    let mut prepared = Prepared {
        models,
        devices,
        pools,
        device_ids,
        constraints,
        canonical,
        twins,
        sharing_pairs: Arc::new([]),
        warnings,
        group_gap_ms: 0.0,
        memo: memo.cloned(),
        key_text,
        key_spans,
        kept: Kept::default(),
    };
    prepared.apply_sharing(sharing);
    Ok(prepared)
}

/// The string of `names` equal to `text`, added if none is.
fn intern(names: &mut Vec<Label>, text: &str) -> Label {
    if let Some(n) = names.iter().find(|n| ***n == *text) {
        return Arc::clone(n);
    }
    let n: Label = Arc::from(text);
    names.push(Arc::clone(&n));
    n
}

/// The [`PreparedModel::pool_key`] of a model of `runtime` on device `device`: one key per (device, runtime)
/// whose runtime keeps one intra-op pool per process on a CPU.
fn process_pool_key(
    pools: &mut Vec<(usize, Arc<RuntimeProfile>)>,
    device: usize,
    runtime: &Arc<RuntimeProfile>,
    dev: &DeviceProfile,
) -> u32 {
    if !runtime.pool_per_process || dev.concurrency != Concurrency::CpuThreads {
        return 0;
    }
    let at = pools.iter().position(|(d, r)| *d == device && r.name == runtime.name);
    let at = at.unwrap_or_else(|| {
        pools.push((device, Arc::clone(runtime)));
        pools.len() - 1
    });
    at as u32 + 1
}

/// Rejects an empty or oversized workload and constraints out of range, naming the field.
fn check_workload(workload: &Workload) -> Result<()> {
    let n = workload.models.len();
    if n == 0 {
        return Err(Error::invalid("models", "[]", "at least one model entry"));
    }
    if n > MAX_MODELS {
        let most = format!("at most {MAX_MODELS} entries");
        return Err(Error::invalid("models", format!("{n} entries"), most));
    }
    let c = workload.constraints;
    if let Some(m) = c.max_memory_mb.filter(|m| !(m.is_finite() && *m > 0.0)) {
        return Err(Error::invalid("constraints.max_memory", m, "a positive number of MB"));
    }
    if let Some(x) = c.max_compute.filter(|x| !(x.is_finite() && *x > 0.0 && *x <= 1.0)) {
        return Err(Error::invalid("constraints.max_compute", x, "a number in (0, 1]"));
    }
    Ok(())
}

/// Rejects a runtime that does not run on the device's platform, naming those that do.
fn check_platform(runtime: &RuntimeProfile, dev: &DeviceProfile) -> Result<()> {
    if runtime.platforms.contains(&dev.platform) {
        return Ok(());
    }
    let runs_here =
        RuntimeProfile::all().into_iter().filter(|r| r.platforms.contains(&dev.platform));
    let allowed: Vec<String> = runs_here.map(|r| r.name).collect();
    let want = format!("a runtime that runs on {} ({})", dev.platform.name(), allowed.join(", "));
    Err(Error::invalid("runtime", &runtime.name, want))
}

/// Every model's canonical key and its device's index, written into one buffer: `spans[i]` is model `i`'s.
fn canonical_keys(models: &[PreparedModel]) -> (String, Vec<std::ops::Range<usize>>) {
    let mut text = String::with_capacity(models.len() * 64);
    let mut spans = Vec::with_capacity(models.len());
    for m in models {
        let start = text.len();
        m.spec.canonical_key_into(&mut text);
        text.push('|');
        super::spec::push_decimal(&mut text, m.device as u32);
        spans.push(start..text.len());
    }
    (text, spans)
}

/// The models' indices ordered by content (canonical key, then device), so that no total depends on the
/// order of the entries; and each model's twin ([`Prepared::twins`]): the entries of equal key (which holds
/// every field of the entry and the device's index) sit side by side in that order, the lowest index first,
/// and one whose runtime and resolved model match the first of its run is that one's twin (its operators are
/// built from the resolved model, so they match too; the comparison guards against two custom graphs whose
/// keys, a hash of their operators, collide).
fn canonical_order(
    models: &[PreparedModel],
    text: &str,
    spans: &[std::ops::Range<usize>],
) -> (Vec<usize>, Vec<usize>) {
    let key = |i: usize| &text[spans[i].clone()];
    let mut canonical: Vec<usize> = (0..models.len()).collect();
    crate::sorting::sort_by(&mut canonical, |&a, &b| key(a).cmp(key(b)).then(a.cmp(&b)));
    let mut twins: Vec<usize> = (0..models.len()).collect();
    for pair in canonical.windows(2) {
        let (first, i) = (twins[pair[0]], pair[1]);
        let (a, b) = (&models[first], &models[i]);
        if key(first) == key(i) && Arc::ptr_eq(&a.runtime, &b.runtime) && a.resolved == b.resolved {
            twins[i] = first;
        }
    }
    (canonical, twins)
}

/// The runtimes a workload's models name, each looked up once and shared.
#[derive(Default)]
struct Runtimes {
    /// By the name as given.
    found: Vec<(String, Arc<RuntimeProfile>)>,
    /// The target's own runtime.
    target: Option<Arc<RuntimeProfile>>,
}

impl Runtimes {
    fn find(&mut self, name: &str) -> Result<Arc<RuntimeProfile>> {
        if let Some((_, rt)) = self.found.iter().find(|(n, _)| n == name) {
            return Ok(Arc::clone(rt));
        }
        let rt = RuntimeProfile::shared(name)?;
        self.found.push((name.to_string(), Arc::clone(&rt)));
        Ok(rt)
    }

    /// The target's runtime: the catalog's shared profile where it is that one unchanged (`--runtime`, the
    /// JS predictor's `runtime` option), so that a predictor's memo knows it from call to call; a copy of its
    /// own otherwise (a calibrated or adjusted profile).
    fn target(&mut self, rt: &RuntimeProfile) -> Arc<RuntimeProfile> {
        Arc::clone(self.target.get_or_insert_with(|| match RuntimeProfile::shared(&rt.name) {
            Ok(shared) if *shared == *rt => shared,
            _ => Arc::new(rt.clone()),
        }))
    }
}

/// `models[i]`, the path of a workload's entry `i` in errors and warnings: written only when one is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ModelField(pub usize);

impl std::fmt::Display for ModelField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "models[{}]", self.0)
    }
}

fn device_index(
    devices: &mut Vec<Arc<DeviceProfile>>,
    extra: &[DeviceProfile],
    id: &str,
    field: ModelField,
) -> Result<usize> {
    if let Some(k) = devices.iter().position(|d| d.id == id) {
        return Ok(k);
    }
    if let Some(d) = extra.iter().find(|d| d.id == id) {
        devices.push(Arc::new(d.clone()));
        return Ok(devices.len() - 1);
    }
    let dev = hardware::shared(id).map_err(|_| {
        Error::invalid(
            format!("{field}.device"),
            id,
            "a catalog device such as cpu, cuda:a100-40gb or webgpu:integrated",
        )
    })?;
    if let Some(k) = devices.iter().position(|d| d.id == dev.id) {
        return Ok(k);
    }
    devices.push(dev);
    Ok(devices.len() - 1)
}

fn pool_index(
    pools: &mut Vec<(Label, f64)>,
    names: &mut Vec<Label>,
    dev: &DeviceProfile,
    field: ModelField,
) -> Result<usize> {
    let name = match dev.memory_pool {
        MemoryPool::Host => "host",
        MemoryPool::Dedicated => dev.id.as_str(),
    };
    if let Some(k) = pools.iter().position(|(n, _)| **n == *name) {
        let cap = &mut pools[k].1;
        *cap = cap.max(dev.memory_capacity_mb);
        return Ok(k);
    }
    if pools.len() == MAX_POOLS {
        return Err(Error::invalid(format!("{field}.device"), &dev.id, format!("at most {MAX_POOLS} memory pools (devices with their own memory, plus host RAM) in one workload")));
    }
    pools.push((intern(names, name), dev.memory_capacity_mb));
    Ok(pools.len() - 1)
}

impl Prepared {
    /// Whether this is `workload` resolved: its entries (each model keeps its own, [`PreparedModel::spec`])
    /// and constraints are the workload's.
    pub fn is_for(&self, workload: &Workload) -> bool {
        self.constraints == workload.constraints
            && self.models.len() == workload.models.len()
            && self.models.iter().zip(&workload.models).all(|(m, spec)| m.spec == *spec)
    }

    /// Identical weights count once; then the type table lets a smaller model share `memory_reduction` of
    /// its weights with a larger compatible one. Every decision is taken in canonical order, so the result
    /// does not depend on the order of the entries.
    fn apply_sharing(&mut self, config: &SharingConfig) {
        let pairs = self.share_weights(config);
        let name = |i: usize| Arc::clone(&self.models[i].labels.name);
        self.sharing_pairs =
            pairs.into_iter().map(|(a, b, mb, why)| (name(a), name(b), mb, why)).collect();
    }

    /// [`Prepared::apply_sharing`]'s decisions: each model's `shared_mb`, and the pairs by model index.
    fn share_weights(&mut self, config: &SharingConfig) -> Vec<(usize, usize, f64, Label)> {
        let mut pairs = Vec::new();
        let order = self.canonical.clone();
        let mut rank = vec![0usize; order.len()];
        for (pos, &i) in order.iter().enumerate() {
            rank[i] = pos;
        }
        // What sharing removes is everything resident per byte of weights: the weights as the runtime holds
        // them (FP32 under autocast) and the runtime's copies of them.
        let weights: Vec<f64> = self
            .models
            .iter()
            .map(|m| {
                m.resolved.params * m.held.weight_bytes() / super::single::MB
                    * m.runtime.memory_overhead_factor
            })
            .collect();
        // Holders by identity (`weights_identity`'s fields, compared without formatting them).
        let mut holders: crate::flatmap::LookupMap<(&str, &str, usize), usize> =
            crate::flatmap::LookupMap::default();
        let mut owner: Vec<Option<usize>> = vec![None; self.models.len()];
        for &i in &order {
            let j = *holders.entry(self.models[i].weights_fields()).or_insert(i);
            if j != i {
                owner[i] = Some(j);
            }
        }
        let mut identical: Option<Label> = None;
        for &i in &order {
            if let Some(j) = owner[i] {
                self.models[i].shared_mb = weights[i];
                let why =
                    Arc::clone(identical.get_or_insert_with(|| Arc::from("identical weights")));
                pairs.push((j, i, weights[i], why));
            }
        }
        if config.rules.is_empty() {
            return pairs;
        }
        // Distinct weight holders, largest first; each smaller model shares with its best larger partner.
        let mut distinct: Vec<usize> =
            order.iter().copied().filter(|&i| owner[i].is_none()).collect();
        crate::sorting::sort_by(&mut distinct, |&a, &b| {
            weights[b].total_cmp(&weights[a]).then(rank[a].cmp(&rank[b]))
        });
        for (pos, &i) in distinct.iter().enumerate() {
            let (ty, pool) = (self.models[i].resolved.model_type, self.models[i].pool);
            let best = distinct[..pos]
                .iter()
                .filter(|&&j| self.models[j].pool == pool)
                .filter_map(|&j| {
                    config
                        .pair(ty, self.models[j].resolved.model_type)
                        .map(|(_, red)| (j, red * weights[i]))
                })
                .fold(None::<(usize, f64)>, |acc, x| {
                    if acc.is_none_or(|a| x.1 > a.1) {
                        Some(x)
                    } else {
                        acc
                    }
                });
            if let Some((j, saved)) = best.filter(|b| b.1 > 0.0) {
                self.models[i].shared_mb = saved;
                let why = format!(
                    "{} ↔ {} compatible types",
                    self.models[j].resolved.model_type.name(),
                    ty.name()
                );
                pairs.push((j, i, saved, Arc::from(why)));
            }
        }
        pairs
    }

    /// Threads model `i` runs with under `plan` (0 on accelerators).
    pub fn threads(&self, i: usize, plan: &Plan) -> u32 {
        self.threads_given(i, plan.threads.get(i).copied().flatten())
    }

    /// The threads model `i` runs on where no plan gives it any: its entry's, or all of its CPU's cores.
    fn own_threads(&self, i: usize) -> u32 {
        self.threads_given(i, None)
    }

    /// [`Prepared::threads`] for a plan that gives model `i` `given` threads.
    fn threads_given(&self, i: usize, given: Option<u32>) -> u32 {
        let dev = &self.devices[self.models[i].device];
        if dev.concurrency != Concurrency::CpuThreads {
            return 0;
        }
        given
            .or(self.models[i].spec.threads)
            .unwrap_or(dev.compute_units)
            .clamp(1, dev.compute_units.max(1))
    }

    /// Model `i` alone with `threads` CPU threads (kept in and taken from the predictor's memo where the
    /// call has one: [`Prepared::memo`]).
    pub fn single(&self, i: usize, threads: u32) -> Arc<SinglePrediction> {
        let m = &self.models[i];
        let device = &self.devices[m.device];
        let compute = || {
            Placement { device, runtime: &m.runtime, threads }.predict_with(&m.resolved, m.work())
        };
        let memo = || match (&self.memo, self.key_spans.get(i)) {
            (Some(memo), Some(span)) => memo.get_or_insert_with(
                &self.key_text[span.clone()],
                (device, &m.runtime, threads),
                &m.resolved,
                compute,
            ),
            _ => Arc::new(compute()),
        };
        // On its own threads (most calls), from what this workload keeps where the predictor keeps it.
        if threads == self.own_threads(i) {
            self.kept.single(i, memo)
        } else {
            memo()
        }
    }

    /// Where model `i`'s predicted time alone on `threads` threads goes ([`Placement::breakdown`]).
    pub fn breakdown(&self, i: usize, threads: u32) -> Vec<super::single::OperatorTime> {
        let m = &self.models[i];
        Placement { device: &self.devices[m.device], runtime: &m.runtime, threads }
            .breakdown(&m.resolved, m.work())
    }

    /// Simulates `plan` and reports.
    pub fn evaluate(&self, plan: &Plan) -> MultiPrediction {
        self.evaluate_owned(plan.clone(), self.singles(plan))
    }

    /// Every model alone with the threads `plan` gives it (a model listed twice with the same threads is
    /// predicted once: [`Prepared::twins`]).
    pub fn singles(&self, plan: &Plan) -> Vec<Arc<SinglePrediction>> {
        let mut out: Vec<Arc<SinglePrediction>> = Vec::with_capacity(self.models.len());
        for i in 0..self.models.len() {
            let threads = self.threads(i, plan);
            let twin = self.twin(i);
            let s = if twin != i && self.threads(twin, plan) == threads {
                Arc::clone(&out[twin])
            } else {
                self.single(i, threads)
            };
            out.push(s);
        }
        out
    }

    /// The model whose single-model predictions are model `i`'s ([`Prepared::twins`]; `i` where none is).
    pub fn twin(&self, i: usize) -> usize {
        self.twins.get(i).copied().unwrap_or(i)
    }

    /// Simulates `plan` with single-model predictions computed beforehand (`singles[i]` for model `i`).
    pub fn evaluate_with(
        &self,
        plan: &Plan,
        singles: Vec<Arc<SinglePrediction>>,
    ) -> MultiPrediction {
        self.evaluate_owned(plan.clone(), singles)
    }

    /// [`Prepared::evaluate_with`] of a plan the prediction keeps: its groups lent to the simulator and
    /// handed back, so that neither copies them.
    pub fn evaluate_owned(
        &self,
        mut plan: Plan,
        singles: Vec<Arc<SinglePrediction>>,
    ) -> MultiPrediction {
        let groups = std::mem::take(&mut plan.groups);
        let mut scenario = self.scenario_of(&plan, &singles, groups);
        let schedule = scenario.run();
        plan.groups = std::mem::take(&mut scenario.groups);
        super::report::build(self, plan, singles, &scenario, schedule)
    }

    /// Load time of model `i`'s weights over its device's host link, ns.
    pub fn load_ns(&self, i: usize, resident_mb: f64) -> u64 {
        let dev = &self.devices[self.models[i].device];
        (resident_mb * super::single::MB / (dev.host_link_gbps * 1e9) * 1e9).round() as u64
    }

    /// Builds the simulator input for a plan.
    pub fn scenario(&self, plan: &Plan, singles: &[Arc<SinglePrediction>]) -> Scenario {
        self.scenario_of(plan, singles, plan.groups.clone())
    }

    /// [`Prepared::scenario`] running `groups` (the plan's, taken out of it).
    fn scenario_of(
        &self,
        plan: &Plan,
        singles: &[Arc<SinglePrediction>],
        groups: Vec<Vec<usize>>,
    ) -> Scenario {
        let cap = self.constraints.max_compute.unwrap_or(1.0);
        let nd = self.devices.len();
        // Resources: per device [compute or queue or cores], per pool [bandwidth], then the host.
        let mut resources = Vec::with_capacity(nd + self.pools.len() + 1);
        for d in &self.devices {
            let kind = match d.concurrency {
                Concurrency::CpuThreads => ResourceKind::Cores(sim::Cores {
                    spin_wait_share: d.spin_wait_share,
                    cores: f64::from(d.compute_units.max(1)),
                    all_core_rate: d.all_core_rate,
                    blocking_wait_ns: d.wake_us * 1e3,
                    spinning_wait_ns: d.sched_slice_us * 1e3,
                }),
                _ => ResourceKind::Shared,
            };
            resources.push(Resource { kind, capacity: cap });
        }
        for _ in &self.pools {
            resources.push(Resource { kind: ResourceKind::Shared, capacity: 1.0 });
        }
        resources.push(Resource { kind: ResourceKind::Shared, capacity: 1.0 });
        // Then each power-limited device's power budget ([`Prepared::power_resource`]).
        for (d, dev) in self.devices.iter().enumerate() {
            if let Some(capacity) = power_budget(dev) {
                resources.push(Resource { kind: ResourceKind::Power { compute: d }, capacity });
            }
        }
        // A few devices and pools: in place.
        let pool_bw: smallvec::SmallVec<[f64; 4]> =
            (0..self.pools.len()).map(|p| self.pool_bandwidth(p)).collect();
        let mut base_mb = vec![0.0; self.pools.len()];
        let mut contexts: smallvec::SmallVec<[(usize, &str); 4]> = smallvec::SmallVec::new();
        let mut jobs = Vec::with_capacity(self.models.len());
        for (i, (m, s)) in self.models.iter().zip(singles).enumerate() {
            if !contexts.contains(&(m.device, m.runtime.name.as_str())) {
                contexts.push((m.device, m.runtime.name.as_str()));
                base_mb[m.pool] += m.runtime.context_mb;
            }
            jobs.push(self.job_in(i, s, plan.residency, pool_bw[m.pool]));
        }
        let domains = self
            .devices
            .iter()
            .map(|d| sim::Domain { interference_per_job: d.interference_per_model })
            .collect();
        Scenario {
            resources,
            domains,
            jobs,
            groups,
            base_mb,
            group_gap_ns: (self.group_gap_ms * 1e6).round() as u64,
        }
    }

    /// The simulator's job for model `i` running as `s` predicts, with `residency`.
    pub fn job(&self, i: usize, s: &SinglePrediction, residency: Residency) -> Job {
        self.job_in(i, s, residency, self.pool_bandwidth(self.models[i].pool))
    }

    /// The resource of device `d`'s power budget in [`Prepared::scenario`]'s list (after the devices, the
    /// pools and the host, one per power-limited device in device order) and the budget ([`power_budget`]);
    /// `None` where `d` has none.
    fn power_resource(&self, d: usize) -> Option<(usize, f64)> {
        let budget = power_budget(&self.devices[d])?;
        let before = self.devices[..d].iter().filter(|o| power_budget(o).is_some()).count();
        Some((self.devices.len() + self.pools.len() + 1 + before, budget))
    }

    /// The bus rate of memory pool `pool`: the highest achievable bandwidth among the devices of the models
    /// whose memory lives there.
    fn pool_bandwidth(&self, pool: usize) -> f64 {
        self.models
            .iter()
            .filter(|o| o.pool == pool)
            .map(|o| self.devices[o.device].achievable_bandwidth())
            .fold(0.0, f64::max)
    }

    /// [`Prepared::job`] with its pool's bandwidth already known.
    fn job_in(&self, i: usize, s: &SinglePrediction, residency: Residency, pool_bw: f64) -> Job {
        let m = &self.models[i];
        let dev = &self.devices[m.device];
        let nd = self.devices.len();
        let host = nd + self.pools.len();
        let host_cores = f64::from(self.devices[0].host_cores.max(1));
        let mut demands = sim::Demands::new();
        match dev.concurrency {
            Concurrency::ConcurrentKernels => demands.push((m.device, s.compute_share)),
            Concurrency::SerialQueue => demands.push((m.device, s.queue_share)),
            // A model's threads hold their cores for its whole run (they spin or wait at each region's
            // join), so it claims one core per thread.
            Concurrency::CpuThreads => {
                demands.push((m.device, f64::from(s.threads) / f64::from(dev.compute_units.max(1))))
            }
        }
        demands
            .push((nd + m.pool, s.bandwidth_share * dev.achievable_bandwidth() / pool_bw.max(1.0)));
        if dev.concurrency != Concurrency::CpuThreads {
            demands.push((host, s.host_share / host_cores));
        }
        // What the model draws alone, as a share of the units' draw busy at the boost clock: its busy share,
        // at most the budget (where more, its own clock came down until it fit). A generation whose prefill
        // alone came down is charged its average busy share up to the budget: at least what it draws.
        if let Some((power, budget)) = self.power_resource(m.device) {
            demands.push((power, s.compute_share.min(budget)));
        }
        let weights = (s.memory.resident_mb() - m.shared_mb).max(0.0);
        let solo = (s.latency_ms * 1e6).round().max(1.0) as u64;
        let activity = match dev.concurrency {
            Concurrency::ConcurrentKernels => s.compute_share.max(s.bandwidth_share),
            Concurrency::SerialQueue => s.queue_share,
            Concurrency::CpuThreads => s.busy_cores / f64::from(dev.compute_units.max(1)),
        };
        let mut job = Job {
            solo_ns: solo,
            demands,
            domain: m.device,
            pool: m.pool,
            resident_mb: weights,
            running_mb: s.memory.transient_mb(),
            activity,
            // A one-thread run has no pool workers: its only thread never waits at a join, so nothing spins.
            spins: m.runtime.spins_while_waiting && s.threads > 1,
            regions: s.regions,
            spin_after_ns: if dev.concurrency == Concurrency::CpuThreads && s.threads > 1 {
                (m.runtime.spin_after_run_us * 1e3).round() as u64
            } else {
                0
            },
            // The caller's thread returns to the program; the pool's workers spin.
            spin_share: f64::from(s.threads.saturating_sub(1))
                / f64::from(dev.compute_units.max(1)),
            pool_key: m.pool_key,
        };
        match residency {
            // A model with its own arena keeps activations and workspace allocated between runs.
            Residency::Resident if !m.runtime.shared_allocator => {
                job.resident_mb += job.running_mb;
                job.running_mb = 0.0;
            }
            Residency::Resident => {}
            // Loading the weights is part of the job; they are held only while it runs.
            Residency::Unload => {
                let full = s.memory.resident_mb();
                job.solo_ns += self.load_ns(i, full);
                job.resident_mb = 0.0;
                job.running_mb = full + s.memory.transient_mb();
            }
        }
        job
    }

    /// The plan of a strategy with default threads; `batched` uses the grouping search for throughput.
    pub fn plan(&self, strategy: Strategy) -> Plan {
        let threads = vec![None; self.models.len()];
        match strategy {
            Strategy::Parallel => Plan {
                strategy,
                groups: vec![self.canonical.clone()],
                threads,
                residency: Residency::Resident,
            },
            Strategy::Sequential => self.sequential_plan(|i, t| self.single(i, t).latency_ms),
            Strategy::Batched => super::grouping::batched(self, &threads),
        }
    }

    /// The sequential plan with default threads, shortest model first; `latency_ms(i, threads)` is model `i`
    /// alone on that many threads (a caller holding single predictions passes its own table).
    pub fn sequential_plan(&self, mut latency_ms: impl FnMut(usize, u32) -> f64) -> Plan {
        let base = Plan {
            strategy: Strategy::Sequential,
            groups: vec![],
            threads: vec![None; self.models.len()],
            residency: Residency::Resident,
        };
        let mut order = self.canonical.clone();
        let lat: Vec<f64> =
            (0..self.models.len()).map(|i| latency_ms(i, self.threads(i, &base))).collect();
        // Shortest first minimises the mean wait; the makespan is the same in any order.
        crate::sorting::sort_by(&mut order, |&a, &b| lat[a].total_cmp(&lat[b]));
        Plan { groups: order.into_iter().map(|i| vec![i]).collect(), ..base }
    }
}

/// One model's part of a multi-model prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelResult {
    /// Name as given.
    pub name: Label,
    /// Type used for sharing.
    pub model_type: crate::catalog::ModelType,
    /// Weight precision.
    pub precision: crate::catalog::Precision,
    /// Weights not counted thanks to sharing, MB.
    pub shared_mb: f64,
    /// Device id.
    pub device: Label,
    /// Runtime name.
    pub runtime: Label,
    /// Batch size.
    pub batch_size: u32,
    /// The model alone.
    pub solo: Arc<SinglePrediction>,
    /// Start in the schedule, ms.
    pub start_ms: f64,
    /// End in the schedule, ms.
    pub end_ms: f64,
    /// Time from its start to its end, ms.
    pub latency_ms: f64,
    /// Items per second over its own run.
    pub throughput: f64,
    /// Memory it holds, after sharing, MB.
    pub memory_mb: f64,
    /// Time in the schedule divided by time alone.
    pub slowdown: f64,
    /// Energy attributed to this model (its device's energy shared by busy device-time), J.
    pub energy_j: f64,
    /// Group index in the plan.
    pub group: usize,
}

/// Resource pressure, with the seed's names.
#[derive(Debug, Clone, PartialEq)]
pub struct Contention {
    /// Highest Σ compute share (or CPU threads / cores) among models running together.
    pub compute: f64,
    /// Highest Σ bandwidth share among models running together.
    pub memory_bandwidth: f64,
    /// Peak memory / capacity (worst pool).
    pub memory: f64,
    /// Makespan over the longest model alone.
    pub makespan_over_longest: f64,
}

/// What sharing saved.
#[derive(Debug, Clone, PartialEq)]
pub struct SharingBenefits {
    /// MB not counted thanks to sharing.
    pub memory_saved_mb: f64,
    /// Memory with sharing over memory without (≤ 1).
    pub memory_benefit: f64,
    /// Compute with sharing over compute without: 1.0, sharing weights saves no arithmetic.
    pub compute_benefit: f64,
    /// (model a, model b, MB saved, why): the workload's [`Prepared::sharing_pairs`].
    pub pairs: Arc<[(Label, Label, f64, Label)]>,
}

/// Energy of one device over the run.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceEnergy {
    /// Device id.
    pub device: Label,
    /// Idle power over the makespan, J.
    pub idle_j: f64,
    /// Power above idle while busy, J.
    pub dynamic_j: f64,
}

/// Energy of the run: each device draws its idle power for the whole makespan plus `tdp − idle` times its
/// utilisation (the simulator's busy device-time, capped at the whole device).
#[derive(Debug, Clone, PartialEq)]
pub struct EnergyReport {
    /// All devices, J.
    pub total_j: f64,
    /// Per item, J.
    pub per_item_j: f64,
    /// Mean power over the makespan, W.
    pub average_power_w: f64,
    /// Per device.
    pub devices: Vec<DeviceEnergy>,
}

/// One memory pool after the run.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolReport {
    /// `host` or the device id.
    pub name: Label,
    /// Capacity, MB.
    pub capacity_mb: f64,
    /// Peak, MB.
    pub peak_mb: f64,
    /// Peak above capacity, MB (0 when it fits).
    pub overflow_mb: f64,
    /// For host memory, which the OS can oversubscribe: extra time per round if the overflow is paged out and
    /// back in from swap on disk, ms (0 when it fits or for device memory, which cannot be oversubscribed).
    pub swap_ms_per_round: f64,
}

/// The result of a multi-model prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiPrediction {
    /// The plan evaluated.
    pub plan: Plan,
    /// Per model, in the user's order.
    pub models: Vec<ModelResult>,
    /// Makespan, ms.
    pub combined_latency_ms: f64,
    /// Items per second over the makespan.
    pub combined_throughput: f64,
    /// Peak resident memory, MB (all pools together).
    pub combined_memory_mb: f64,
    /// Mean time from the start until a model's result is ready, ms.
    pub mean_latency_ms: f64,
    /// Memory pools.
    pub pools: Vec<PoolReport>,
    /// Whether every pool and the `max_memory` budget hold.
    pub feasible: bool,
    /// Largest overflow (pool or budget), MB.
    pub overflow_mb: f64,
    /// Resource pressure.
    pub contention: Contention,
    /// Sharing.
    pub sharing: SharingBenefits,
    /// Memory curve: (ms, MB across pools).
    pub memory_curve: Vec<(f64, f64)>,
    /// Energy.
    pub energy: EnergyReport,
    /// Devices used.
    pub devices: Vec<Label>,
    /// Notes.
    pub warnings: Vec<String>,
    /// The raw schedule.
    pub schedule: Schedule,
}

/// A power-limited device's budget for its compute units' dynamic power (`ResourceKind::Power`'s capacity):
/// its TDP less idle over its full-load draw less idle; `None` for a device whose full load fits its TDP.
fn power_budget(dev: &DeviceProfile) -> Option<f64> {
    (dev.full_load_w > dev.tdp_w && dev.full_load_w > dev.idle_w)
        .then(|| (dev.tdp_w - dev.idle_w).max(0.0) / (dev.full_load_w - dev.idle_w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared(models: Vec<ModelSpec>, hardware: &str) -> Prepared {
        let workload = Workload { models, constraints: Constraints::default() };
        prepare(&workload, &Target::new(hardware).unwrap(), &SharingConfig::default()).unwrap()
    }

    #[test]
    fn identical_models_under_autocast_share_their_fp32_weights() {
        use crate::catalog::Precision;
        // Two ResNet-50 at FP16 on the V100 hold one set of weights; under autocast that set is FP32 (4 bytes
        // per parameter), under plain PyTorch FP16 (2 bytes); either way the second model's resident weights
        // are what is shared.
        let shared = |runtime: &str| {
            let workload = Workload {
                models: vec![
                    ModelSpec::named("resnet-50").with_precision(Precision::Fp16),
                    ModelSpec::named("resnet-50").with_precision(Precision::Fp16),
                ],
                constraints: Constraints::default(),
            };
            let target = Target {
                runtime: Some(RuntimeProfile::find(runtime).unwrap()),
                ..Target::new("cuda:v100").unwrap()
            };
            let prep = prepare(&workload, &target, &SharingConfig::default()).unwrap();
            let factor = prep.models[1].runtime.memory_overhead_factor;
            (prep.models[1].shared_mb, 25_557_032.0 * factor / super::super::single::MB)
        };
        let (autocast, per_byte) = shared("pytorch-autocast");
        assert!((autocast - 4.0 * per_byte).abs() < 1e-9, "{autocast} vs {}", 4.0 * per_byte);
        let (plain, per_byte) = shared("pytorch");
        assert!((plain - 2.0 * per_byte).abs() < 1e-9, "{plain} vs {}", 2.0 * per_byte);
        // Weights are identical where they are held alike: FP16 under autocast holds the FP32 tensors an FP32
        // model under plain PyTorch holds, not the FP16 ones an FP16 model does.
        let pair = |second: Precision| {
            let mut first = ModelSpec::named("resnet-50").with_precision(Precision::Fp16);
            first.runtime = Some("pytorch-autocast".to_string());
            let mut other = ModelSpec::named("resnet-50").with_precision(second);
            other.runtime = Some("pytorch".to_string());
            let workload =
                Workload { models: vec![first, other], constraints: Constraints::default() };
            let prep =
                prepare(&workload, &Target::new("cuda:v100").unwrap(), &SharingConfig::default())
                    .unwrap();
            (
                prep.models[0].weights_identity() == prep.models[1].weights_identity(),
                prep.models[1].held,
            )
        };
        assert_eq!(pair(Precision::Fp32), (true, Precision::Fp32));
        assert_eq!(pair(Precision::Fp16), (false, Precision::Fp16));
    }

    #[test]
    fn models_running_at_once_on_a_power_limited_gpu_share_its_power_budget() {
        use crate::catalog::Precision;
        // Three BERT-base int8 at batch 32 on the L4 (kernels that outlast PyTorch's launches): each alone
        // busies its tensor cores within the 72 W at nearly the boost clock; at once they would draw far more,
        // so the device clocks down for them all.
        let bert =
            || ModelSpec::named("bert-base-uncased").with_batch(32).with_precision(Precision::Int8);
        let prep = prepared(vec![bert(), bert(), bert()], "cuda:l4");
        let l4 = &prep.devices[0];
        let budget = power_budget(l4).unwrap();
        assert!((budget - (72.0 - l4.idle_w) / (l4.full_load_w - l4.idle_w)).abs() < 1e-12);
        let plan = prep.plan(Strategy::Parallel);
        let singles = prep.singles(&plan);
        // Each alone is busy more than the budget allows at the boost clock, so its own clock came down: it
        // draws the budget.
        assert!(singles.iter().all(|s| s.compute_share > budget), "{}", singles[0].compute_share);
        let mut scenario = prep.scenario(&plan, &singles);
        let power = scenario
            .resources
            .iter()
            .position(|r| matches!(r.kind, ResourceKind::Power { compute: 0 }))
            .unwrap();
        assert_eq!(prep.power_resource(0), Some((power, budget)));
        assert!(scenario.jobs.iter().all(|j| j.demands.contains(&(power, budget))));
        let shared = scenario.run().makespan_ns;
        scenario.resources[power].capacity = f64::INFINITY;
        let unlimited = scenario.run().makespan_ns;
        assert!(shared as f64 > unlimited as f64 * 1.02, "{shared} against {unlimited}");
        // One model alone stays within the budget: its own clock already holds it there.
        let one = prepared(vec![bert()], "cuda:l4");
        let plan = one.plan(Strategy::Parallel);
        let singles = one.singles(&plan);
        let alone = one.scenario(&plan, &singles).run().makespan_ns;
        assert_eq!(alone, (singles[0].latency_ms * 1e6).round() as u64);
        // A device without a power limit has no budget resource.
        let a100 = prepared(vec![bert(), bert()], "cuda:a100-80gb");
        assert_eq!(a100.power_resource(0), None);
        let plan = a100.plan(Strategy::Parallel);
        let scenario = a100.scenario(&plan, &a100.singles(&plan));
        assert!(!scenario.resources.iter().any(|r| matches!(r.kind, ResourceKind::Power { .. })));
    }

    #[test]
    fn a_model_listed_twice_takes_its_first_listings_predictions_where_its_threads_match() {
        let bert = || ModelSpec::named("bert-base-uncased").with_batch(4);
        let models = vec![
            ModelSpec::named("t5-small"),
            bert(),
            bert().with_batch(2),
            bert(),
            ModelSpec { threads: Some(1), ..bert() },
            ModelSpec::named("t5-small"),
        ];
        let prep = prepared(models, "cpu");
        // Equal entries point at the first of them; another batch or thread count is another model.
        let twins: Vec<usize> = (0..prep.models.len()).map(|i| prep.twin(i)).collect();
        assert_eq!(twins, [0, 1, 2, 1, 4, 0]);
        for strategy in [Strategy::Parallel, Strategy::Sequential] {
            let plan = prep.plan(strategy);
            let singles = prep.singles(&plan);
            for (i, s) in singles.iter().enumerate() {
                assert_eq!(*s, prep.single(i, prep.threads(i, &plan)), "model {i}, {strategy:?}");
            }
        }
        // A plan that gives a twin other threads than its first predicts it on those.
        let mut plan = prep.plan(Strategy::Parallel);
        plan.threads = vec![Some(2), Some(2), Some(2), Some(1), None, Some(2)];
        let singles = prep.singles(&plan);
        assert_eq!(singles[3].threads, 1);
        assert_eq!(singles[3], prep.single(3, 1));
        assert_ne!(singles[3].latency_ms, singles[1].latency_ms);
    }
}

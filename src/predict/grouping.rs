//! The grouping search behind `batched`: which models run together, group after group, found exactly for up to
//! [`EXACT_GROUPING_LIMIT`] models and greedily beyond, optionally with the CPU cores split between the
//! models of each group ([`super::threads`]). It lives below [`crate::plan`], which weighs its plans against
//! the other strategies, because predicting a `batched` strategy needs it too.

use super::multi::{Plan, Prepared, Residency, Strategy};
use super::single::SinglePrediction;
use super::threads::{self, SingleTable};
use crate::sim::{Job, ResourceKind, Scenario, Workspace};
use std::sync::Arc;

/// Workloads up to this size get an exact partition search (Bell(8) = 4,140 partitions, via subset DP).
pub const EXACT_GROUPING_LIMIT: usize = 8;

struct GroupSearch<'a> {
    prep: &'a Prepared,
    scenario: Scenario,
    /// Single-model predictions by thread count, shared with the caller's other searches.
    table: &'a mut SingleTable,
    /// With thread splits: each group tried gets its own split of the cores (`threads::fill`).
    split: bool,
    /// The simulator's buffers, reused by every group tried.
    workspace: Workspace,
    /// Per-resource work of the group whose makespan floor is taken.
    floor_load: Vec<f64>,
    /// With thread splits: the simulator's job of model `i` on `t` threads (`jobs[i][t]`), built once.
    jobs: Vec<Vec<Option<Job>>>,
    /// With thread splits: the threads each model's job in `scenario` is set for (0: the template's).
    threads_now: Vec<u32>,
    /// The split of the group last set (reused buffer).
    split_buf: Vec<(usize, u32)>,
}

impl<'a> GroupSearch<'a> {
    fn new(
        prep: &'a Prepared,
        scenario: Scenario,
        table: &'a mut SingleTable,
        split: bool,
    ) -> Self {
        GroupSearch {
            prep,
            scenario,
            table,
            split,
            workspace: Workspace::default(),
            floor_load: Vec::new(),
            jobs: vec![Vec::new(); prep.models.len()],
            threads_now: vec![0; prep.models.len()],
            split_buf: Vec::new(),
        }
    }

    /// With thread splits, gives `group`'s models the split they would run with (`threads::fill`).
    fn set_jobs(&mut self, group: &[usize]) {
        if !self.split {
            return;
        }
        let mut split = std::mem::take(&mut self.split_buf);
        threads::fill_into(self.prep, group, self.table, &mut split);
        for &(i, t) in &split {
            if self.threads_now[i] == t {
                continue;
            }
            self.threads_now[i] = t;
            let slot = t as usize;
            if self.jobs[i].len() <= slot {
                self.jobs[i].resize(slot + 1, None);
            }
            let (prep, table) = (self.prep, &mut *self.table);
            let job = self.jobs[i][slot]
                .get_or_insert_with(|| prep.job(i, table.get(prep, i, t), Residency::Resident));
            if job.resident_mb != self.scenario.jobs[i].resident_mb {
                self.workspace.jobs_changed();
            }
            self.scenario.jobs[i].clone_from(job);
        }
        self.split_buf = split;
    }

    /// Makespan (ns) of `group` run alone, or `None` when its memory does not fit.
    fn cost(&mut self, group: &[usize]) -> Option<u64> {
        self.set_jobs(group);
        self.simulate(group)
    }

    /// [`GroupSearch::cost`] with the jobs already set for `group`.
    fn simulate(&mut self, group: &[usize]) -> Option<u64> {
        let s = self.scenario.run_group(group, &mut self.workspace);
        let fits_pools =
            self.prep.pools.iter().enumerate().all(|(p, (_, cap))| s.peak_mb[p] <= *cap);
        let fits_budget = self.prep.constraints.max_memory_mb.is_none_or(|b| s.peak_total_mb <= b);
        (fits_pools && fits_budget).then_some(s.makespan_ns)
    }

    /// A floor under `group`'s makespan (ns) without simulating it ([`Scenario::makespan_floor_ns`]).
    fn floor(&mut self, group: &[usize]) -> u64 {
        self.set_jobs(group);
        self.scenario.makespan_floor_ns(group, &mut self.floor_load).floor() as u64
    }
}

/// What `recommend`'s grouping searches find for a workload: the `batched` plan with every model on the
/// threads it would take alone, and where two or more models share a CPU the plans with its cores split
/// between them, all at once and by groups ([`parallel_split`], [`batched_split`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchedPlans {
    /// The grouping with each model's own threads.
    pub batched: Plan,
    /// `(parallel_split, batched_split)` where models share a CPU.
    pub split: Option<(Plan, Plan)>,
}

/// The `batched` plan: a partition of the models into groups that run one after another, found exactly for up
/// to [`EXACT_GROUPING_LIMIT`] models (minimum total makespan among partitions whose every group fits in
/// memory) and greedily beyond (longest model first, into the group whose estimated makespan it lengthens
/// least, or a group of its own).
pub fn batched(prep: &Prepared, threads: &[Option<u32>]) -> Plan {
    batched_with(prep, threads.to_vec(), &mut SingleTable::new(prep), false)
}

/// The `batched` plan where the models of each group split the CPU cores between them (`threads::fill`,
/// chosen per group during the search).
/// `table` holds single-model predictions by thread count, shared with other searches over `prep`.
pub fn batched_split(prep: &Prepared, table: &mut SingleTable) -> Plan {
    let mut threads = vec![None; prep.models.len()];
    for (i, t) in threads::fill(prep, &prep.canonical, table) {
        threads[i] = Some(t);
    }
    let mut plan = batched_with(prep, threads, table, true);
    for g in &plan.groups {
        for (i, t) in threads::fill(prep, g, table) {
            plan.threads[i] = Some(t);
        }
    }
    plan
}

/// The whole set split as one group: every model runs at once on its share of the cores.
pub fn parallel_split(prep: &Prepared, table: &mut SingleTable) -> Plan {
    let mut plan = prep.plan(Strategy::Parallel);
    for (i, t) in threads::fill(prep, &prep.canonical, table) {
        plan.threads[i] = Some(t);
    }
    plan
}

pub(crate) fn batched_with(
    prep: &Prepared,
    threads: Vec<Option<u32>>,
    table: &mut SingleTable,
    split: bool,
) -> Plan {
    let template = Plan {
        strategy: Strategy::Batched,
        groups: vec![],
        threads,
        residency: Residency::Resident,
    };
    let singles: Vec<Arc<SinglePrediction>> = (0..prep.models.len())
        .map(|i| Arc::clone(table.get(prep, i, prep.threads(i, &template))))
        .collect();
    let mut search = GroupSearch::new(prep, prep.scenario(&template, &singles), table, split);
    let order = &prep.canonical;
    let mut groups = if order.len() <= EXACT_GROUPING_LIMIT {
        exact(&mut search, order)
    } else {
        greedy(&mut search, order, &singles)
    };
    // One simulation of the whole plan gives every group's span (groups run back to back); with thread
    // splits each group's jobs are set to its own split first.
    if search.split {
        for g in &groups {
            let _ = search.cost(g);
        }
    }
    search.scenario.groups = groups.clone();
    let schedule = search.scenario.run();
    let span: Vec<u64> = groups
        .iter()
        .map(|g| {
            let start = g.iter().map(|&i| schedule.spans[i].start_ns).min().unwrap_or(0);
            let end = g.iter().map(|&i| schedule.spans[i].end_ns).max().unwrap_or(0);
            end - start
        })
        .collect();
    let mut idx: Vec<usize> = (0..groups.len()).collect();
    {
        // Smith's rule: groups with the least time per model first minimise the mean completion time; the
        // makespan, and so throughput and peak memory, do not depend on the order.
        crate::sorting::sort_by(&mut idx, |&a, &b| {
            (span[a] as f64 / groups[a].len() as f64)
                .total_cmp(&(span[b] as f64 / groups[b].len() as f64))
        });
    }
    groups = idx.into_iter().map(|k| std::mem::take(&mut groups[k])).collect();
    Plan { groups, ..template }
}

/// Branch and bound over the partitions of `order` ([`Partitions::solve`]): the least total makespan of a
/// partition of the models into groups that fit, found top-down from the whole set, each set's best partition
/// solved once. A group is simulated only when it can win: when its makespan floor plus a floor under the best
/// partition of the rest is below the best found so far. Without thread splits the floors are
/// [`Scenario::subset_floors_ns`]: where models progress at one rate (models on one GPU without a power
/// budget) a floor is the group's makespan to within nanoseconds, a floor under every partition is the least
/// sum of group floors ([`partition_floors`]), and the first group of that partition is tried first; a
/// recommend of the 8-model benchmark list on `cuda:a100-40gb` then simulates the 8 models alone and 3 groups
/// (229 of the 255 groups before these floors). On a CPU, where every model takes all the cores, no group
/// beats running apart and the plain floors prune most groups (27 simulations on `cpu`, plain and split
/// searches together); on a power-limited GPU (`cuda:l4`) every model's rate is its own, the plain floors
/// leave out what co-runners cost each other, and most groups still run (249).
fn exact(search: &mut GroupSearch, order: &[usize]) -> Vec<Vec<usize>> {
    let n = order.len();
    let full = (1usize << n) - 1;
    // Without thread splits the jobs never change, so every floor comes from one pass over the subsets; a
    // floor under every partition of a set too (`partition_floors`).
    let (floor, partition_floor, hint) = if search.split {
        (vec![None; full + 1], Vec::new(), Vec::new())
    } else {
        let floors = search.scenario.subset_floors_ns(order);
        // `as` truncates: the floor of a number that is not negative.
        let group: Vec<u64> = floors.group.iter().map(|&f| f as u64).collect();
        // Plain floors add up over the groups of a partition; raised ones do not.
        let (partition_floor, hint) = if floors.one_rate {
            partition_floors(&group, floors.additive.as_deref())
        } else {
            (group.clone(), Vec::new())
        };
        (group.into_iter().map(Some).collect(), partition_floor, hint)
    };
    let mut parts = Partitions {
        order,
        group: Vec::with_capacity(n),
        cost: vec![None; full + 1],
        partition_floor,
        hint,
        floor,
        best: vec![None; full + 1],
    };
    parts.best[0] = Some(Some((0, 0)));
    for b in 0..n {
        parts.members(1 << b);
        parts.cost[1 << b] = Some(search.cost(&parts.group));
    }
    if parts.solve(search, full).is_none() {
        // Nothing fits even alone: one model per group is the least memory a plan can need.
        return order.iter().map(|&i| vec![i]).collect();
    }
    let mut groups = Vec::new();
    let mut mask = full;
    while mask != 0 {
        let Some(Some((_, first))) = parts.best[mask] else {
            break;
        };
        parts.members(first);
        groups.push(parts.group.clone());
        mask ^= first;
    }
    groups
}

/// For every mask, the least sum of group floors over its partitions: a floor under its best partition (each
/// group's makespan is at least its floor, and a group that does not fit only removes partitions). The same
/// subset recursion as the search, on numbers already known.
fn partition_floors(floor: &[u64], additive: Option<&[f64]>) -> (Vec<u64>, Vec<usize>) {
    let mut least = vec![0u64; floor.len()];
    let mut first = vec![0usize; floor.len()];
    for mask in 1..floor.len() {
        let low = mask & mask.wrapping_neg();
        let rest = mask ^ low;
        // The partitions whose first group is `low` alone, then every other first group with `low` in it.
        let mut best = (floor[low].saturating_add(least[rest]), low);
        let mut sub = rest;
        while sub != 0 {
            let g = sub | low;
            best = best.min((floor[g].saturating_add(least[mask ^ g]), g));
            sub = (sub - 1) & rest;
        }
        // `as` truncates: the floor of a number that is not negative.
        least[mask] = best.0.max(additive.map_or(0, |a| a[mask] as u64));
        first[mask] = best.1;
    }
    (least, first)
}

/// The state of [`exact`]'s search, by group mask over `order`'s positions.
struct Partitions<'o> {
    order: &'o [usize],
    /// Scratch: the members of the mask last expanded.
    group: Vec<usize>,
    /// Simulated makespans (`Some(None)`: the group does not fit), filled on first use.
    cost: Vec<Option<Option<u64>>>,
    /// Makespan floors, filled on first use (all at once without thread splits).
    floor: Vec<Option<u64>>,
    /// Without thread splits, a floor under every partition of each mask ([`partition_floors`]); empty with
    /// thread splits (a model's threads, and so its work, depend on its group).
    partition_floor: Vec<u64>,
    /// Where floors were raised ([`Scenario::subset_floors_ns`]), the first group of the floors'
    /// best partition of each mask ([`partition_floors`]): tried first. Empty otherwise.
    hint: Vec<usize>,
    /// `best[mask]`: the least total makespan of a partition of `mask` into groups that fit and its first
    /// group (`Some(None)`: no partition fits; `None`: not solved yet).
    best: Vec<Option<Option<(u64, usize)>>>,
}

impl Partitions<'_> {
    fn members(&mut self, mask: usize) {
        self.group.clear();
        let order = self.order;
        self.group.extend((0..order.len()).filter(|b| mask >> b & 1 == 1).map(|b| order[b]));
    }

    fn floor(&mut self, search: &mut GroupSearch, g: usize) -> u64 {
        if let Some(f) = self.floor[g] {
            return f;
        }
        self.members(g);
        *self.floor[g].insert(search.floor(&self.group))
    }

    /// A floor under the best partition of `mask` without solving it: its value when solved; else, without
    /// thread splits, the floor of the whole set (groups run one after another, so their makespans add up
    /// to at least the longest model and to at least each resource's work over its capacity, the two terms
    /// of the floor); with thread splits nothing (a model's threads, and so its work, depend on its group).
    fn lower_bound(&self, mask: usize) -> u64 {
        match self.best[mask] {
            Some(b) => b.map_or(u64::MAX, |(t, _)| t),
            None => self.partition_floor.get(mask).copied().unwrap_or(0),
        }
    }

    /// `best[mask]`, solved top-down. Its partitions are ranked by total makespan, then by their first group
    /// in the order the subsets are listed: the lowest model of `mask` alone, then the groups with it from
    /// the largest mask down (so on equal makespans models run apart: a lower mean latency and peak memory
    /// for the same makespan). The first group the floors' own best partition starts with
    /// ([`partition_floors`]) is tried first, as the likeliest winner; then the others, each only while its
    /// floors leave it a chance against the best so far (a group is simulated, and the rest after it
    /// solved, only then).
    fn solve(&mut self, search: &mut GroupSearch, mask: usize) -> Option<(u64, usize)> {
        if let Some(b) = self.best[mask] {
            return b;
        }
        let low = mask & mask.wrapping_neg();
        let rest = mask ^ low;
        let hint = self.hint.get(mask).copied().filter(|&g| g & low != 0 && g & !mask == 0);
        let mut best: Option<(u64, usize)> = None;
        if let Some(g) = hint {
            self.consider(search, mask, g, &mut best);
        }
        if hint != Some(low) {
            self.consider(search, mask, low, &mut best);
        }
        let mut sub = rest;
        while sub != 0 {
            let g = sub | low;
            sub = (sub - 1) & rest;
            if hint != Some(g) {
                self.consider(search, mask, g, &mut best);
            }
        }
        self.best[mask] = Some(best);
        best
    }

    /// The partitions of `mask` that start with group `g`: their best replaces `best` where it ranks above
    /// it ([`Partitions::solve`]).
    fn consider(
        &mut self,
        search: &mut GroupSearch,
        mask: usize,
        g: usize,
        best: &mut Option<(u64, usize)>,
    ) {
        let low = mask & mask.wrapping_neg();
        let others = mask ^ g;
        // Whether a partition starting with `g` that takes `total` cannot rank above `best`.
        let beaten = |total: u64, best: &Option<(u64, usize)>| {
            best.is_some_and(|(b, first)| {
                let listed_earlier = g == low || (first != low && g > first);
                total > b || (total == b && !listed_earlier)
            })
        };
        // A group already simulated costs what it cost; one not yet simulated is simulated only when its
        // floor leaves it a chance.
        let c = match self.cost[g] {
            Some(c) => c,
            None => {
                let least = self.floor(search, g);
                if beaten(least.saturating_add(self.lower_bound(others)), best) {
                    return;
                }
                let Some((tail, _)) = self.solve(search, others) else {
                    return;
                };
                if beaten(least.saturating_add(tail), best) {
                    return;
                }
                self.members(g);
                *self.cost[g].insert(search.cost(&self.group))
            }
        };
        let Some(c) = c else { return };
        if beaten(c.saturating_add(self.lower_bound(others)), best) {
            return;
        }
        let Some((tail, _)) = self.solve(search, others) else {
            return;
        };
        let total = c.saturating_add(tail);
        if !beaten(total, best) {
            *best = Some((total, g));
        }
    }
}

#[derive(Clone)]
struct GroupLoad {
    members: Vec<usize>,
    longest_ns: f64,
    /// Σ solo time × demand per resource (resource-time the group needs).
    work: Vec<f64>,
    /// Σ demand per resource (how oversubscribed it is while all run).
    load: Vec<f64>,
    per_domain: Vec<usize>,
    running_mb: Vec<f64>,
}

impl GroupLoad {
    fn new(sc: &Scenario, pools: usize) -> Self {
        GroupLoad {
            members: Vec::new(),
            longest_ns: 0.0,
            work: vec![0.0; sc.resources.len()],
            load: vec![0.0; sc.resources.len()],
            per_domain: vec![0; sc.domains.len()],
            running_mb: vec![0.0; pools],
        }
    }

    fn add(&mut self, sc: &Scenario, i: usize) {
        let job = &sc.jobs[i];
        self.members.push(i);
        self.longest_ns = self.longest_ns.max(job.solo_ns as f64);
        for &(r, d) in &job.demands {
            self.work[r] += job.solo_ns as f64 * d;
            self.load[r] += d;
        }
        if let Some(c) = self.per_domain.get_mut(job.domain) {
            *c += 1;
        }
        if let Some(m) = self.running_mb.get_mut(job.pool) {
            *m += job.running_mb;
        }
    }

    /// Makespan estimate with job `extra` added (without changing the group): the longest member slowed by
    /// interference, or the busiest resource's work at the rate the simulator would give it (a lower bound of
    /// processor sharing, tight when members are alike).
    fn estimate_ns(&self, sc: &Scenario, extra: Option<usize>) -> f64 {
        let job = extra.map(|i| &sc.jobs[i]);
        let demand = |r: usize| {
            job.and_then(|j| j.demands.iter().find(|(x, _)| *x == r)).map_or(0.0, |(_, d)| *d)
        };
        let solo = job.map_or(0.0, |j| j.solo_ns as f64);
        let interference = sc
            .domains
            .iter()
            .zip(&self.per_domain)
            .enumerate()
            .map(|(k, (d, &n))| {
                1.0 + d.interference_per_job
                    * (n + usize::from(job.is_some_and(|j| j.domain == k))).saturating_sub(1) as f64
            })
            .fold(1.0, f64::max);
        let busiest = sc
            .resources
            .iter()
            .enumerate()
            .map(|(r, res)| {
                let cap = res.capacity.max(1e-9);
                let over = (self.load[r] + demand(r)) / cap;
                let efficiency = match res.kind {
                    ResourceKind::Cores(c) if over > 1.0 => {
                        1.0 - c.spin_wait_share * (1.0 - 1.0 / over)
                    }
                    // A power budget is no work to serve (Scenario::makespan_floor_ns leaves it out too).
                    ResourceKind::Power { .. } => return 0.0,
                    _ => 1.0,
                };
                (self.work[r] + solo * demand(r)) / (cap * efficiency)
            })
            .fold(0.0, f64::max);
        (self.longest_ns.max(solo) * interference).max(busiest)
    }

    fn fits_with(&self, sc: &Scenario, i: usize, resident: &[f64], prep: &Prepared) -> bool {
        let job = &sc.jobs[i];
        let running =
            |p: usize| self.running_mb[p] + if job.pool == p { job.running_mb } else { 0.0 };
        let per_pool =
            prep.pools.iter().enumerate().all(|(p, (_, cap))| resident[p] + running(p) <= *cap);
        let total: f64 = (0..resident.len()).map(|p| resident[p] + running(p)).sum();
        per_pool && prep.constraints.max_memory_mb.is_none_or(|b| total <= b)
    }
}

fn greedy(
    search: &mut GroupSearch,
    order: &[usize],
    singles: &[Arc<SinglePrediction>],
) -> Vec<Vec<usize>> {
    let sc = &search.scenario;
    let pools = search.prep.pools.len();
    let mut resident = vec![0.0; pools];
    for (p, base) in sc.base_mb.iter().enumerate().take(pools) {
        resident[p] += base;
    }
    for &i in order {
        let j = &sc.jobs[i];
        resident[j.pool.min(pools - 1)] += j.resident_mb;
    }
    let mut by_size = order.to_vec();
    crate::sorting::sort_by(&mut by_size, |&a, &b| {
        singles[b].latency_ms.total_cmp(&singles[a].latency_ms)
    });
    let empty = GroupLoad::new(sc, pools);
    let mut groups: Vec<(GroupLoad, f64)> = Vec::new();
    for i in by_size {
        let alone = empty.estimate_ns(sc, Some(i));
        let mut choice: Option<(usize, f64, f64)> = None;
        for (g, (load, span)) in groups.iter().enumerate() {
            if !load.fits_with(sc, i, &resident, search.prep) {
                continue;
            }
            let est = load.estimate_ns(sc, Some(i));
            let added = est - span;
            if added < alone && choice.is_none_or(|c| added < c.1) {
                choice = Some((g, added, est));
            }
        }
        let (g, est) = match choice {
            Some((g, _, est)) => (g, est),
            None => {
                groups.push((empty.clone(), alone));
                (groups.len() - 1, alone)
            }
        };
        groups[g].0.add(sc, i);
        groups[g].1 = est;
    }
    let mut rank = vec![0usize; sc.jobs.len()];
    for (pos, &i) in order.iter().enumerate() {
        rank[i] = pos;
    }
    groups
        .into_iter()
        .map(|(g, _)| {
            let mut m = g.members;
            crate::sorting::sort_by_key(&mut m, |&i| rank[i]);
            m
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::MultiModelPredictor;
    use crate::predict::multi::Target;

    /// The partition search as it was before floors: every group simulated, the same order and tie rule.
    fn exact_simulating_every_group(
        search: &mut GroupSearch,
        order: &[usize],
    ) -> Vec<(u64, usize)> {
        let n = order.len();
        let full = (1usize << n) - 1;
        let cost: Vec<Option<u64>> = (0..=full)
            .map(|mask| {
                let group: Vec<usize> =
                    (0..n).filter(|b| mask >> b & 1 == 1).map(|b| order[b]).collect();
                if group.is_empty() {
                    Some(0)
                } else {
                    search.cost(&group)
                }
            })
            .collect();
        let mut best: Vec<Option<(u64, usize)>> = vec![None; full + 1];
        best[0] = Some((0, 0));
        for mask in 1..=full {
            let low = mask & mask.wrapping_neg();
            let rest = mask ^ low;
            let mut candidates = vec![low];
            let mut sub = rest;
            while sub != 0 {
                candidates.push(sub | low);
                sub = (sub - 1) & rest;
            }
            for g in candidates {
                if let (Some(c), Some((tail, _))) = (cost[g], best[mask ^ g]) {
                    let total = c.saturating_add(tail);
                    if best[mask].is_none_or(|(b, _)| total < b) {
                        best[mask] = Some((total, g));
                    }
                }
            }
        }
        best.into_iter().map(|b| b.unwrap_or((u64::MAX, 0))).collect()
    }

    #[test]
    fn the_partition_search_finds_what_simulating_every_group_finds() {
        let predictor = MultiModelPredictor::default();
        let mut checked = 0;
        // Copies of one model: partitions that tie on makespan (copies swapped between groups), which the
        // ranking's second key must settle as exhaustion does.
        let copies = |n: usize| crate::predict::multi::Workload {
            models: vec![crate::predict::spec::ModelSpec::named("resnet-50"); n],
            constraints: Default::default(),
        };
        for n in 2..=EXACT_GROUPING_LIMIT {
            for (target, budget, tied) in [
                ("cuda:a100-40gb", None, false),
                ("cuda:t4", Some(3000.0), false),
                ("cpu:laptop-4c", None, false),
                ("cpu:server-32c", Some(2000.0), false),
                ("wasm:laptop-4c", None, false),
                ("cuda:a100-40gb", Some(1000.0), true),
                ("cuda:l4", Some(1000.0), true),
                ("cuda:t4", Some(800.0), true),
            ] {
                let mut workload = if tied { copies(n) } else { crate::bench::catalog_mix(n) };
                workload.constraints.max_memory_mb = budget;
                let prep = predictor.prepare(&workload, &Target::new(target).unwrap()).unwrap();
                for split in [false, true] {
                    let threads = vec![None; prep.models.len()];
                    let template = Plan {
                        strategy: Strategy::Batched,
                        groups: vec![],
                        threads,
                        residency: Residency::Resident,
                    };
                    let mut table = SingleTable::new(&prep);
                    let singles: Vec<Arc<SinglePrediction>> = (0..prep.models.len())
                        .map(|i| Arc::clone(table.get(&prep, i, prep.threads(i, &template))))
                        .collect();
                    let (mut one, mut two) = (table.clone(), table);
                    let new_search = |table| {
                        GroupSearch::new(&prep, prep.scenario(&template, &singles), table, split)
                    };
                    let mut all = new_search(&mut one);
                    let reference = exact_simulating_every_group(&mut all, &prep.canonical);
                    let mut pruned = new_search(&mut two);
                    let groups = exact(&mut pruned, &prep.canonical);
                    // Walk the reference's best partition of the whole set.
                    let mut want = Vec::new();
                    let mut mask = (1usize << n) - 1;
                    if reference[mask].1 == 0 {
                        // Nothing fits: one model per group.
                        want = prep.canonical.iter().map(|&i| vec![i]).collect();
                        mask = 0;
                    }
                    while mask != 0 {
                        let first = reference[mask].1;
                        want.push(
                            (0..n)
                                .filter(|b| first >> b & 1 == 1)
                                .map(|b| prep.canonical[b])
                                .collect::<Vec<_>>(),
                        );
                        mask ^= first;
                    }
                    assert_eq!(groups, want, "{n} models, split {split}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 7 * 8 * 2);
    }
}

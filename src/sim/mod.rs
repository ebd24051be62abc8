//! Discrete-event simulator on virtual time (integer nanoseconds).
//!
//! Jobs run in groups: every job of a group starts when the previous group has finished. While a set of jobs
//! is active, each progresses at `rate = min over its resources (1, capacity / Σ demand) · interference`,
//! recomputed at every start and finish (processor sharing). A job's work is its solo time, so a job alone
//! at rate 1 takes exactly its solo time and a sequential schedule's makespan is the sum of solo times.
//! CPU cores are special: when the active jobs' threads exceed the cores, each thread gets `cores / threads`
//! of a core and a share of that is burnt spinning at barriers. Memory is sampled at every event, so the
//! reported peak is the true maximum of the piecewise-constant memory curve.

use crate::minmax;

/// Sum that does not depend on the order of its terms (they are sorted first), so that listing the same
/// models in another order gives bit-identical totals.
pub fn order_free_sum(values: impl Iterator<Item = f64>) -> f64 {
    // Up to `ON_STACK` terms (a report's per-model and per-device sums) are sorted in place without an
    // allocation; more go to the heap. The terms are sorted as integers in `f64::total_cmp`'s order (its own
    // key: the bits, with every bit but the sign flipped on negative numbers, which undoes itself), a plain
    // integer sort instead of a comparison that rebuilds both keys at every step; two terms with the same
    // key are the same bits, so the order, and so the sum, is `total_cmp`'s to the bit.
    const ON_STACK: usize = 16;
    let key = |x: i64| x ^ (((x >> 63) as u64) >> 1) as i64;
    let mut few = [0i64; ON_STACK];
    let mut more: Vec<i64> = Vec::new();
    let mut n = 0;
    for x in values {
        let k = key(x.to_bits() as i64);
        if n < ON_STACK {
            few[n] = k;
        } else {
            if more.is_empty() {
                more.extend_from_slice(&few);
            }
            more.push(k);
        }
        n += 1;
    }
    let terms = if n <= ON_STACK { &mut few[..n] } else { &mut more[..] };
    terms.sort_unstable();
    terms.iter().map(|&k| f64::from_bits(key(k) as u64)).sum()
}

/// The least rate a running job progresses at (solo work per unit of time): a floor that keeps every event's
/// step finite, not a model of anything.
const MIN_RATE: f64 = 1e-12;

/// Index of a shared resource (a device's compute units or queue, a memory bus, the host CPU).
pub type ResourceId = usize;

/// A job's demands: each resource it uses and its share of it while running alone. Up to four sit in place
/// (a model's device, its memory pool, the host and a power budget), more on the heap.
pub type Demands = smallvec::SmallVec<[(ResourceId, f64); INLINE_DEMANDS]>;

/// How a resource's demands combine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ResourceKind {
    /// Capacity shared in proportion (compute units, queue time, bandwidth, host cores).
    Shared,
    /// CPU cores under an OS scheduler: oversubscription wastes `spin_wait_share` of each waiting slice.
    Cores(Cores),
    /// A power-limited device's budget for its compute units' dynamic power, in units of what they draw kept
    /// busy at the boost clock (`DeviceProfile::full_load_w` less idle); a job's demand is what it draws
    /// alone at its own clock. Co-runners that together draw more than the capacity (each its demand times
    /// the share of resource `compute`, the device's compute units, it gets) lower the device's clock to the
    /// `x` (relative to theirs) at which it fits, `Σ drawn · x³ = capacity`: each job's busy share of the
    /// units stretches by `1 / x`, the rest of its time does not, and the units serve `x` of their capacity.
    Power {
        /// The device's compute resource, whose demand is the job's busy share.
        compute: ResourceId,
    },
}

/// A CPU's cores as the scheduler shares them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cores {
    /// Share of a waiting thread's slice burnt spinning.
    pub spin_wait_share: f64,
    /// Cores of the device.
    pub cores: f64,
    /// Per-core rate with every core busy relative to one busy core (`DeviceProfile::all_core_rate`).
    pub all_core_rate: f64,
    /// How long a region's join of a blocking pool waits for a thread taken off its core, ns: the thread
    /// comes back after a wake-up (`DeviceProfile::wake_us`).
    pub blocking_wait_ns: f64,
    /// The same for a spinning pool, ns: its waiters keep their cores for a scheduler slice
    /// (`DeviceProfile::sched_slice_us`).
    pub spinning_wait_ns: f64,
}

impl Cores {
    /// Per-core rate with `busy` cores busy ([`crate::catalog::hardware::core_rate`]), with `1 / (cores − 1)`
    /// ([`Cores::per_extra_core`]) taken by the caller.
    fn core_rate(&self, busy: f64, per_extra_core: f64) -> f64 {
        if self.cores <= 1.0 {
            return 1.0;
        }
        crate::catalog::hardware::core_rate_between(busy - 1.0, per_extra_core, self.all_core_rate)
    }

    /// `1 / (cores − 1)`, which [`Cores::core_rate`] takes (0 on one core).
    fn per_extra_core(&self) -> f64 {
        if self.cores > 1.0 {
            1.0 / (self.cores - 1.0)
        } else {
            0.0
        }
    }

    /// What every job on these cores shares while the cores carry `total` of their capacity, of which
    /// `spinning` (a share of the load) belongs to pools that spin while they wait.
    fn state(&self, total: f64, spinning: f64) -> CoresState {
        // Each core slows as more of them are busy (clock, SMT, shared caches).
        let clock = self.core_rate(minmax::min(total, 1.0) * self.cores, self.per_extra_core());
        if total <= 1.0 {
            return CoresState { clock, sched: 1.0, waiting: 0.0 };
        }
        // Only the threads of spinning runtimes burn their waiting slices.
        let spin = self.spin_wait_share * spinning;
        let waiting = 1.0 - 1.0 / total;
        let sched = (1.0 / total) * (1.0 - spin * waiting);
        CoresState { clock, sched, waiting }
    }

    /// What the rate of `job` on these cores (its own share `own` of them) reads at every event: the clock of
    /// its own share (its solo time already holds the rate at its own thread count) and the wait of its
    /// regions for a thread taken off its core.
    fn terms(&self, job: &Job, resource: ResourceId, own: f64) -> CoresTerm {
        let per_region = if job.spins { self.spinning_wait_ns } else { self.blocking_wait_ns };
        CoresTerm {
            resource,
            own_clock: self.core_rate(own * self.cores, self.per_extra_core()),
            stall_ns: job.regions * per_region,
        }
    }
}

/// Rate of a job on cores in `state`, with `solo` its time alone (ns) and `d` its [`Cores::terms`]: the clock
/// relative to the job's own, the scheduler's share, and, on oversubscribed cores, each of the job's regions
/// waiting for a thread taken off its core (with the probability `waiting` that a thread is waiting):
/// `solo / (solo + regions × wait)` of its time.
#[inline(always)]
fn cores_rate(d: &CoresTerm, solo: f64, state: &CoresState) -> f64 {
    if state.waiting <= 0.0 {
        return state.clock / d.own_clock;
    }
    let stalled = solo + d.stall_ns * state.waiting;
    state.clock * state.sched * solo / (d.own_clock * stalled)
}

/// What a job's rate on cores reads at every event, taken from the job at its group's start
/// ([`Scenario::rate_terms`]): the first cores it demands.
#[derive(Debug, Clone, Copy, Default)]
struct CoresTerm {
    /// The cores resource (`usize::MAX`: the job demands none).
    resource: ResourceId,
    /// The per-core clock at the job's own share of them.
    own_clock: f64,
    /// The job's regions times the wait of one for a thread taken off its core, ns.
    stall_ns: f64,
}

/// How [`Scenario::rates_at_loads`] reads each running job's rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rating {
    /// From its [`RateTerm`], taken at its group's start ([`Scenario::rate_terms`]).
    Terms,
    /// The jobs are of one rate ([`Scenario::of_one_rate`]): each has the first's (the same minimum over the
    /// same shares, times the same interference: bit for bit), computed once from its [`RateTerm`].
    OneRate,
    /// From the job's own list ([`Scenario::rate`]), its cores term taken by [`Scenario::general_terms`].
    OwnLists,
}

/// Demands a [`RateTerm`] holds in place; a job with more is rated from its own list ([`Scenario::rate`]).
const INLINE_DEMANDS: usize = 4;

/// Marks a [`RateTerm`] whose job is rated from its own list ([`Scenario::rate`]): it demands a power budget,
/// a second cores resource or more than [`INLINE_DEMANDS`] resources.
const GENERAL: u8 = u8::MAX;

/// What a job's rate reads at every event, taken from the job at its group's start ([`Scenario::rate_terms`])
/// so that each event reads one small record per job instead of the job, its demands and their resources.
#[derive(Debug, Clone, Copy, Default)]
struct RateTerm {
    /// The resources the job demands, in its order (the first `len`).
    resources: [u32; INLINE_DEMANDS],
    /// How many of `resources` are listed, or [`GENERAL`].
    len: u8,
    /// The position in `resources` of its cores (`u8::MAX`: none); the others are proportionally shared.
    cores_at: u8,
    /// Its rate on its first cores.
    cores: CoresTerm,
    /// Its time alone, ns.
    solo: f64,
    /// Its interference domain.
    domain: usize,
}

/// What the cores give every job on them during one event (see [`Cores::state`]).
#[derive(Debug, Clone, Copy, Default)]
struct CoresState {
    /// Per-core rate at the cores' load.
    clock: f64,
    /// Share of its slices a thread gets (1 while the cores are not oversubscribed).
    sched: f64,
    /// Probability that a thread is waiting for a core (0 while not oversubscribed).
    waiting: f64,
}

impl RateTerm {
    /// [`Scenario::same_device_and_resources`] for two jobs whose terms hold their demands.
    fn same_device_and_resources(&self, other: &RateTerm) -> bool {
        // The usual case first: the same list in the same order (the slots past `len` are all 0).
        if self.len == other.len && self.resources == other.resources {
            return self.domain == other.domain;
        }
        self.domain == other.domain && list_the_same(self.listed(), other.listed())
    }

    /// The resources the term holds.
    fn listed(&self) -> impl Iterator<Item = ResourceId> + Clone + '_ {
        self.resources[..usize::from(self.len)].iter().map(|&r| r as ResourceId)
    }
}

/// Whether two lists of resources hold the same ones (each listing every one of the other's).
fn list_the_same(
    a: impl Iterator<Item = ResourceId> + Clone,
    b: impl Iterator<Item = ResourceId> + Clone,
) -> bool {
    a.clone().all(|r| b.clone().any(|q| q == r)) && b.clone().all(|q| a.clone().any(|r| r == q))
}

/// The rate of a job whose [`RateTerm`] `t` holds its demands: the least of its proportionally shared
/// resources' shares and its rate on its cores ([`cores_rate`]), in the order the job lists them, times its
/// domain's interference: what [`Scenario::rate`] computes from the job, bit for bit.
#[inline(always)]
fn inline_rate(t: &RateTerm, scratch: &RateScratch) -> f64 {
    let mut rate: f64 = 1.0;
    for (i, &r) in t.resources[..usize::from(t.len)].iter().enumerate() {
        let state = &scratch.resources[r as usize];
        let share = if i == usize::from(t.cores_at) {
            cores_rate(&t.cores, t.solo, &state.cores)
        } else {
            state.share
        };
        rate = minmax::min(rate, share);
    }
    rate * scratch.domains.get(t.domain).map_or(1.0, |d| d.speed)
}

/// The rate of `job` with the compute units of resource `compute` at `clock` times its own: its busy share
/// of them stretches by `1 / clock`, the rest of its time does not. Kept out of [`Scenario::rate`]'s loop,
/// which every simulation runs at every event.
#[inline(never)]
fn stretched_rate(job: &Job, compute: ResourceId, clock: f64) -> f64 {
    let busy =
        job.demands.iter().find(|(c, _)| *c == compute).map_or(1.0, |&(_, d)| d.clamp(0.0, 1.0));
    1.0 / (1.0 - busy + busy / minmax::max(clock, 1e-9))
}

/// The cube root of `share` in (0, 1] (1 for anything above), by bisection: multiplications and comparisons
/// only, so the same bits natively and in wasm.
fn cube_root_of_share(share: f64) -> f64 {
    if share >= 1.0 {
        return 1.0;
    }
    crate::bisect::bisect(0.0, 1.0, 48, |c| c * c * c > share).0
}

/// A resource with its capacity (1.0 = the whole thing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resource {
    /// How demands combine.
    pub kind: ResourceKind,
    /// Usable capacity (below 1 when `max_compute` caps it).
    pub capacity: f64,
}

/// One model's run.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Time alone, ns.
    pub solo_ns: u64,
    /// Share of each resource the job uses while running alone.
    pub demands: Demands,
    /// Jobs on the same interference domain slow each other down by `interference` per extra co-runner.
    pub domain: usize,
    /// Memory pool the job's memory lives in.
    pub pool: usize,
    /// Memory held from time 0 to the end (weights kept resident), MB.
    pub resident_mb: f64,
    /// Memory held only while running (activations, KV cache, workspace; weights when unloaded), MB.
    pub running_mb: f64,
    /// Fraction of its device the job keeps busy alone (compute units, memory bus, queue or cores): what it
    /// adds to the device's power above idle.
    pub activity: f64,
    /// CPUs: the job's runtime spins while its threads wait (ONNX Runtime, OpenMP), so on oversubscribed
    /// cores it burns part of each waiting slice; a runtime whose threads block does not.
    pub spins: bool,
    /// CPUs: parallel regions per run (each waits at its join for every one of the job's threads).
    pub regions: f64,
    /// CPUs: after the job ends its pool's workers keep spinning this long before they block, ns, holding
    /// `spin_share` of its device's cores (0: they block at once).
    pub spin_after_ns: u64,
    /// Share of the device's cores the spinning workers hold (workers / cores).
    pub spin_share: f64,
    /// CPUs: the intra-op pool the job's workers belong to when its runtime keeps one pool for every model
    /// of a process (`RuntimeProfile::pool_per_process`); a later job of the same pool takes over its
    /// still-spinning workers (up to its own `spin_share`). 0: the job's pool is its own.
    pub pool_key: u32,
}

/// Workers of a finished job that still spin, holding part of a core resource.
#[derive(Debug, Clone, Copy, PartialEq)]
struct SpinningPool {
    resource: ResourceId,
    /// Share of the resource they hold.
    share: f64,
    /// When they block, ns.
    until_ns: u64,
    /// The job's [`Job::pool_key`].
    pool_key: u32,
    /// The job whose run left them spinning: its own next run (the next round) takes them over, whatever its
    /// runtime (a session's workers are the ones it runs on again).
    job: usize,
}

/// Per-domain interference factors.
#[derive(Debug, Clone, PartialEq)]
pub struct Domain {
    /// Slowdown per extra co-running job.
    pub interference_per_job: f64,
}

/// What to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Resources.
    pub resources: Vec<Resource>,
    /// Interference domains (one per device).
    pub domains: Vec<Domain>,
    /// Jobs.
    pub jobs: Vec<Job>,
    /// Groups of job indices, run one group after another.
    pub groups: Vec<Vec<usize>>,
    /// Memory present from the start in each pool (runtime contexts), MB.
    pub base_mb: Vec<f64>,
    /// Idle time between one group's end and the next group's start, ns, not counted in the makespan:
    /// pools that spin after a run spin that much less into the next group (0: groups run back to back).
    pub group_gap_ns: u64,
}

/// Reusable buffers for [`Scenario::rates`].
#[derive(Debug, Clone, Default)]
pub struct RateScratch {
    /// Per resource.
    resources: Vec<ResourceState>,
    /// Per domain (at least one).
    domains: Vec<DomainState>,
    rates: Vec<f64>,
    /// Per job (index = job): what its rate reads, for the jobs of the group playing.
    terms: Vec<RateTerm>,
}

impl RateScratch {
    /// Adds (`sign` 1) or takes away (`sign` −1) the cores a spinning pool holds.
    fn pool_load(&mut self, p: &SpinningPool, sign: f64) {
        let res = &mut self.resources[p.resource];
        res.load += sign * p.share;
        res.spinning += sign * p.share;
    }
}

/// What a resource carries while a set of jobs runs.
#[derive(Debug, Clone, Copy, Default)]
struct ResourceState {
    /// Σ demand of the running jobs (and of pools still spinning).
    load: f64,
    /// The part of `load` from runtimes that spin while waiting.
    spinning: f64,
    /// Load over capacity.
    total: f64,
    /// The share of a proportionally shared resource each job gets (1 / max(1, total)).
    share: f64,
    /// Cores: what every job on them gets.
    cores: CoresState,
}

/// The running jobs of one interference domain.
#[derive(Debug, Clone, Copy, Default)]
struct DomainState {
    co_runners: usize,
    /// 1 / (1 + interference per job × the other co-runners) (1 for a slot with no domain).
    speed: f64,
}

/// Per-job outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Start, ns.
    pub start_ns: u64,
    /// End, ns.
    pub end_ns: u64,
}

/// A point of the memory curve: from `time_ns` on, pool `pool` holds `mb`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemorySample {
    /// Time, ns.
    pub time_ns: u64,
    /// Memory per pool, MB (index = pool).
    pub mb: [f64; MAX_POOLS],
}

/// Memory pools one scenario can hold (dedicated memory of up to three devices plus host RAM).
pub const MAX_POOLS: usize = 4;

/// The simulated schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Per-job spans (index = job).
    pub spans: Vec<Span>,
    /// Time until the last job ends, ns.
    pub makespan_ns: u64,
    /// Highest memory per pool, MB.
    pub peak_mb: [f64; MAX_POOLS],
    /// Memory curve.
    pub memory: Vec<MemorySample>,
    /// Mean rate of each job over its run (solo time / actual time).
    pub mean_rate: Vec<f64>,
    /// Per domain (device): ∫ min(1, Σ activity of its running jobs) dt, ns: busy device-time for energy.
    pub busy_ns: Vec<f64>,
}

impl Scenario {
    /// Progress rate (solo work per unit of time, ≤ 1) of each job in `active` while exactly these jobs run.
    /// Exposed so that other simulators over the same machine (the serving simulator) share the contention
    /// model. `scratch` keeps the buffers between calls.
    pub fn rates<'s>(&self, active: &[usize], scratch: &'s mut RateScratch) -> &'s [f64] {
        self.clear_loads(scratch);
        self.general_terms(active.iter().copied(), scratch);
        for &k in active {
            self.job_load(k, 1.0, scratch);
        }
        self.rates_at_loads(active, scratch, Rating::OwnLists)
    }

    /// Takes each of `jobs`' term on its first cores into `scratch` ([`RateTerm::cores`]) for rating them from
    /// their own lists ([`Scenario::rate`]): for a caller that rates a few jobs once per call
    /// ([`Scenario::rates`]), where taking their whole [`RateTerm`]s would cost more than it saves.
    fn general_terms(&self, jobs: impl Iterator<Item = usize>, scratch: &mut RateScratch) {
        // Without cores there is nothing to take ([`Scenario::rate`] reads no term).
        if !self.resources.iter().any(|r| matches!(r.kind, ResourceKind::Cores(_))) {
            return;
        }
        let none = CoresTerm { resource: usize::MAX, ..CoresTerm::default() };
        scratch.terms.resize(self.jobs.len(), RateTerm::default());
        for k in jobs {
            let job = &self.jobs[k];
            scratch.terms[k].cores = self.first_cores(job).map_or(none, |(_, t)| t);
        }
    }

    /// Where `job` first demands cores: the position in its list and its term on them.
    fn first_cores(&self, job: &Job) -> Option<(usize, CoresTerm)> {
        job.demands.iter().enumerate().find_map(|(i, &(r, own))| match self.resources[r].kind {
            ResourceKind::Cores(c) => Some((i, c.terms(job, r, own))),
            ResourceKind::Shared | ResourceKind::Power { .. } => None,
        })
    }

    /// Takes what the rates of `jobs` read at every event from the jobs into `scratch` ([`RateTerm`]), and
    /// tells whether they are of one rate ([`Scenario::of_one_rate`]; a job whose term does not hold its
    /// demands counts as not, which only costs the shortcut).
    fn rate_terms(&self, jobs: impl Iterator<Item = usize>, scratch: &mut RateScratch) -> bool {
        scratch.terms.resize(self.jobs.len(), RateTerm::default());
        let (mut first, mut count, mut one_rate) = (None::<RateTerm>, 0usize, true);
        for k in jobs {
            let job = &self.jobs[k];
            let mut t = RateTerm {
                cores_at: u8::MAX,
                cores: CoresTerm { resource: usize::MAX, ..CoresTerm::default() },
                solo: job.solo_ns as f64,
                domain: job.domain,
                ..RateTerm::default()
            };
            // In place: up to INLINE_DEMANDS resources, each proportionally shared or the first cores (one
            // pass over the demands: this runs for every job at every group's start).
            for (i, &(r, own)) in job.demands.iter().enumerate() {
                let inline = i < INLINE_DEMANDS && u32::try_from(r).is_ok();
                match self.resources[r].kind {
                    ResourceKind::Cores(c) if t.cores.resource == usize::MAX => {
                        t.cores = c.terms(job, r, own);
                        if inline {
                            t.cores_at = i as u8;
                        }
                    }
                    ResourceKind::Shared if inline => {}
                    _ => t.len = GENERAL,
                }
                if inline && t.len != GENERAL {
                    t.resources[i] = r as u32;
                    t.len += 1;
                } else {
                    t.len = GENERAL;
                }
            }
            scratch.terms[k] = t;
            count += 1;
            one_rate = one_rate
                && t.len != GENERAL
                && t.cores_at == u8::MAX
                && (job.spin_after_ns == 0 || job.spin_share <= 0.0)
                && first.get_or_insert(t).same_device_and_resources(&t);
        }
        one_rate && count >= 2
    }

    /// A floor under the makespan of `group` run alone ([`Scenario::run_group`]), ns, without simulating it:
    /// no job runs faster than alone (every rate is at most 1), and no resource serves more than its capacity
    /// (a job's rate is at most capacity / load on each resource it uses, so the jobs' use of a resource,
    /// Σ demand × rate, never exceeds the capacity, while they need Σ solo time × demand of it in all).
    /// `load` is a buffer kept between calls.
    pub fn makespan_floor_ns(&self, group: &[usize], load: &mut Vec<f64>) -> f64 {
        load.clear();
        load.resize(self.resources.len(), 0.0);
        let mut longest: f64 = 0.0;
        for &k in group {
            let Some(j) = self.jobs.get(k) else { continue };
            let solo = j.solo_ns as f64;
            longest = minmax::max(longest, solo);
            for &(r, d) in &j.demands {
                load[r] += solo * d;
            }
        }
        self.floor_of(longest, load)
    }

    /// The floor of a group whose longest job takes `longest` ns alone and which needs `work[r]` (Σ solo time
    /// × demand) of each resource `r`. A power budget bounds nothing this way (a lower clock spends less
    /// energy on the same work), so it is left out.
    fn floor_of(&self, longest: f64, work: &[f64]) -> f64 {
        work.iter()
            .zip(&self.resources)
            .map(|(w, res)| match res.kind {
                ResourceKind::Power { .. } => 0.0,
                _ => w / minmax::max(res.capacity, 1e-9),
            })
            .fold(longest, minmax::max)
    }

    /// [`Scenario::makespan_floor_ns`] of every subset of `order` (index: the bit mask over `order`'s
    /// positions), built up one job at a time instead of from scratch for each subset.
    pub fn makespan_floors_ns(&self, order: &[usize]) -> Vec<f64> {
        let r = self.resources.len();
        let subsets = 1usize << order.len();
        let mut longest = vec![0.0f64; subsets];
        let mut work = vec![0.0f64; subsets * r];
        let mut floors = vec![0.0f64; subsets];
        for mask in 1..subsets {
            let b = mask.trailing_zeros() as usize;
            let rest = mask & (mask - 1);
            work.copy_within(rest * r..rest * r + r, mask * r);
            longest[mask] = longest[rest];
            if let Some(j) = self.jobs.get(order[b]) {
                let solo = j.solo_ns as f64;
                longest[mask] = minmax::max(longest[mask], solo);
                for &(res, d) in &j.demands {
                    work[mask * r + res] += solo * d;
                }
            }
            floors[mask] = self.floor_of(longest[mask], &work[mask * r..mask * r + r]);
        }
        floors
    }

    /// Whether `j` can share one rate with others ([`Scenario::of_one_rate`]): every resource it lists is
    /// proportionally shared, and no workers of its are left spinning when it ends.
    fn one_rate_job(&self, j: &Job) -> bool {
        (j.spin_after_ns == 0 || j.spin_share <= 0.0)
            && j.demands.iter().all(|&(r, _)| {
                self.resources.get(r).is_some_and(|x| x.kind == ResourceKind::Shared)
            })
    }

    /// Whether `a` and `b` run on the same device (interference domain) and list the same resources.
    fn same_device_and_resources(a: &Job, b: &Job) -> bool {
        let (x, y) = (a.demands.iter().map(|&(r, _)| r), b.demands.iter().map(|&(r, _)| r));
        a.domain == b.domain && list_the_same(x, y)
    }

    /// Whether the jobs `group` lists (at least two) progress at one rate whenever they run together, whatever
    /// else runs beside them: the same device and the same resources ([`Scenario::same_device_and_resources`]),
    /// all proportionally shared (every job on one gets the same share of it), and no workers left spinning
    /// when one ends ([`Scenario::one_rate_job`]).
    /// [`Scenario::play`] tells it from the jobs' [`RateTerm`]s as it takes them ([`Scenario::rate_terms`]).
    #[cfg(test)]
    fn of_one_rate(&self, group: &[usize]) -> bool {
        self.rate_terms(group.iter().copied(), &mut RateScratch::default())
    }

    /// The positions of `order` grouped into classes of one rate ([`Scenario::of_one_rate`]), of two jobs or
    /// more only, each in increasing solo time (then position).
    fn one_rate_classes(&self, order: &[usize]) -> Vec<Vec<usize>> {
        let mut classes: Vec<Vec<usize>> = Vec::new();
        for (b, &k) in order.iter().enumerate() {
            let Some(j) = self.jobs.get(k).filter(|j| self.one_rate_job(j)) else { continue };
            let same =
                |c: &&mut Vec<usize>| Self::same_device_and_resources(&self.jobs[order[c[0]]], j);
            match classes.iter_mut().find(same) {
                Some(c) => c.push(b),
                None => classes.push(vec![b]),
            }
        }
        classes.retain(|c| c.len() >= 2);
        for class in &mut classes {
            crate::sorting::sort_by_key(class, |&p| (self.jobs[order[p]].solo_ns, p));
        }
        classes
    }

    /// Floors under the makespan of every subset of `order` run alone (index: the bit mask over `order`'s
    /// positions) for a grouping search: [`Scenario::makespan_floors_ns`], raised with the makespan of each
    /// subset's jobs that progress at one rate (one device, the same resources, all proportionally shared,
    /// none spinning after its end), less what rounding can take off it. Such jobs, whatever else runs
    /// beside them, end in the order of their solo times, so while the `i`-th shortest and the longer ones
    /// run, each progresses at most at the rate `ρ` they would have alone together (the least share of their
    /// resources at their own load, times the interference of their number): their makespan is at least
    /// `Σ (s(i) − s(i − 1)) / ρ(the jobs from i on)` over their solo times `s` in increasing order, built up
    /// over the subsets of each class from the one without its shortest job. The simulator ends a job
    /// within half a nanosecond of done early and rounds each event up to a whole nanosecond: the makespan
    /// is monotone in every solo time with slopes summing to `1 / ρ(all)`, so `0.5 / ρ(all)`, a nanosecond
    /// per job and 1e-9 of the total (floating point) cover it.
    pub fn subset_floors_ns(&self, order: &[usize]) -> SubsetFloors {
        let n = order.len();
        let subsets = 1usize << n;
        let classes = self.one_rate_classes(order);
        // One class of every job: the raised floors are within nanoseconds of every subset's makespan, and
        // the plain ones would add nothing.
        let additive = if classes.len() == 1 && classes[0].len() == n {
            None
        } else {
            Some(self.makespan_floors_ns(order))
        };
        let mut group = additive.clone().unwrap_or_else(|| vec![0.0; subsets]);
        let inverse_cap: Vec<f64> =
            self.resources.iter().map(|x| 1.0 / minmax::max(x.capacity, 1e-9)).collect();
        let mut tight = vec![0.0f64; subsets];
        for class in &classes {
            let first = &self.jobs[order[class[0]]];
            let alpha = self.domains.get(first.domain).map_or(0.0, |d| d.interference_per_job);
            // The class's resources, and each member's demand on them (dense rows).
            let listed: Vec<usize> = first.demands.iter().map(|&(res, _)| res).collect();
            let w = listed.len();
            let mut demand = vec![0.0f64; class.len() * w];
            for (i, &p) in class.iter().enumerate() {
                for &(res, d) in &self.jobs[order[p]].demands {
                    if let Some(c) = listed.iter().position(|&x| x == res) {
                        demand[i * w + c] += d * inverse_cap[res];
                    }
                }
            }
            let solos: Vec<f64> =
                class.iter().map(|&p| self.jobs[order[p]].solo_ns as f64).collect();
            let local_subsets = 1usize << class.len();
            // Per local subset: load over capacity per listed resource, jobs, 1 / rate, makespan, global mask.
            let mut load = vec![0.0f64; local_subsets * w];
            let mut jobs = vec![0.0f64; local_subsets];
            let mut inverse = vec![0.0f64; local_subsets];
            let mut span = vec![0.0f64; local_subsets];
            let mut global = vec![0usize; local_subsets];
            for local in 1..local_subsets {
                let low = local.trailing_zeros() as usize;
                let rest = local & (local - 1);
                global[local] = global[rest] | 1 << class[low];
                jobs[local] = jobs[rest] + 1.0;
                let mut over: f64 = 1.0;
                for (c, d) in demand[low * w..low * w + w].iter().enumerate() {
                    let x = load[rest * w + c] + d;
                    load[local * w + c] = x;
                    over = minmax::max(over, x);
                }
                // The simulator's rate is at least MIN_RATE.
                inverse[local] =
                    minmax::min(over * (1.0 + alpha * (jobs[local] - 1.0)), 1.0 / MIN_RATE);
                span[local] = span[rest] + solos[low] * (inverse[local] - inverse[rest]);
                let margin = 0.5 * inverse[local] + 1e-9 * span[local] + jobs[local];
                tight[global[local]] = span[local] - margin;
            }
            let members = global[local_subsets - 1];
            for (mask, floor) in group.iter_mut().enumerate() {
                *floor = minmax::max(*floor, tight[mask & members]);
            }
        }
        SubsetFloors { group, additive, one_rate: !classes.is_empty() }
    }

    /// Empties `scratch`'s loads: one slot per resource and per domain (at least one).
    fn clear_loads(&self, scratch: &mut RateScratch) {
        scratch.resources.clear();
        scratch.resources.resize(self.resources.len(), ResourceState::default());
        scratch.domains.clear();
        scratch.domains.resize(self.domains.len().max(1), DomainState::default());
    }

    /// Adds (`sign` 1) or takes away (`sign` −1) job `k`'s demands and its place among its domain's
    /// co-runners.
    fn job_load(&self, k: usize, sign: f64, scratch: &mut RateScratch) {
        let job = &self.jobs[k];
        if let Some(c) = scratch.domains.get_mut(job.domain) {
            if sign > 0.0 {
                c.co_runners += 1;
            } else {
                c.co_runners = c.co_runners.saturating_sub(1);
            }
        }
        // Adding +0.0 leaves a sum as it is: the jobs that do not spin add nothing, without a branch.
        let spins = if job.spins { sign } else { 0.0 };
        for &(r, d) in &job.demands {
            let res = &mut scratch.resources[r];
            res.load += sign * d;
            res.spinning += d * spins;
        }
    }

    /// The rate of every job of `active` with `scratch` holding the loads they and any spinning pools put
    /// on each resource and domain.
    /// `rating`: how each job's rate is read ([`Rating`]).
    fn rates_at_loads<'s>(
        &self,
        active: &[usize],
        scratch: &'s mut RateScratch,
        rating: Rating,
    ) -> &'s [f64] {
        // Per resource, how far its load exceeds its capacity and the share a proportionally shared one gives
        // each job; per domain, the interference its co-runners cause: computed once, read by every job.
        let mut budgets = false;
        for (res, state) in self.resources.iter().zip(&mut scratch.resources) {
            state.total = state.load / minmax::max(res.capacity, 1e-9);
            state.share = 1.0 / minmax::max(state.total, 1.0);
            match res.kind {
                ResourceKind::Cores(c) => {
                    state.cores =
                        c.state(state.total, state.spinning / minmax::max(state.load, 1e-12));
                }
                ResourceKind::Power { .. } => budgets = true,
                ResourceKind::Shared => {}
            }
        }
        // A power budget: the jobs draw their own power times the share of the compute units they get; where
        // that exceeds the budget the units run at the clock `x` (relative to the jobs' own) at which it fits,
        // `x³ = budget / drawn`, and serve `x` of their capacity.
        for (r, res) in self.resources.iter().enumerate().filter(|_| budgets) {
            let ResourceKind::Power { compute } = res.kind else { continue };
            let drawn = scratch.resources[r].load * scratch.resources[compute].share;
            let x = cube_root_of_share(res.capacity / minmax::max(drawn, 1e-12));
            scratch.resources[r].share = x;
            if x < 1.0 {
                let units = &mut scratch.resources[compute];
                units.total = units.load / minmax::max(self.resources[compute].capacity * x, 1e-9);
                units.share = 1.0 / minmax::max(units.total, 1.0);
            }
        }
        for (k, state) in scratch.domains.iter_mut().enumerate() {
            state.speed = self.domains.get(k).map_or(1.0, |d| {
                1.0 / (1.0 + d.interference_per_job * state.co_runners.saturating_sub(1) as f64)
            });
        }
        let computed = if rating == Rating::OneRate { active.len().min(1) } else { active.len() };
        let mut rates = std::mem::take(&mut scratch.rates);
        rates.clear();
        if rating == Rating::OwnLists {
            rates.extend(active.iter().map(|&k| minmax::max(self.rate(k, scratch), MIN_RATE)));
        } else {
            rates.extend(active[..computed].iter().map(|&k| {
                let t = &scratch.terms[k];
                let rate =
                    if t.len == GENERAL { self.rate(k, scratch) } else { inline_rate(t, scratch) };
                minmax::max(rate, MIN_RATE)
            }));
        }
        if let Some(&r) = rates.first() {
            rates.resize(active.len(), r);
        }
        scratch.rates = rates;
        &scratch.rates
    }

    /// The rate of a job whose [`RateTerm`] does not hold its demands, from its own list.
    #[inline(never)]
    fn rate(&self, job: usize, scratch: &RateScratch) -> f64 {
        let j = &self.jobs[job];
        let mut rate: f64 = 1.0;
        for &(r, own) in &j.demands {
            let state = &scratch.resources[r];
            let share = match self.resources[r].kind {
                ResourceKind::Shared => state.share,
                // Its busy share on the compute units stretches by 1 / clock, the rest of its time does not.
                ResourceKind::Power { compute } => stretched_rate(j, compute, state.share),
                // The job's terms as its group's start took them (for its first cores), else afresh.
                ResourceKind::Cores(c) => {
                    let solo = j.solo_ns as f64;
                    match scratch.terms.get(job).map(|t| &t.cores).filter(|t| t.resource == r) {
                        Some(t) => cores_rate(t, solo, &state.cores),
                        None => cores_rate(&c.terms(j, r, own), solo, &state.cores),
                    }
                }
            };
            rate = minmax::min(rate, share);
        }
        // A job outside every domain (none listed) has no co-runners to interfere with it.
        rate * scratch.domains.get(j.domain).map_or(1.0, |d| d.speed)
    }

    /// Memory held for the whole run: runtime contexts and resident weights (each pool's sum order-free,
    /// sorted in `buf`).
    fn resident(&self, buf: &mut Vec<f64>) -> [f64; MAX_POOLS] {
        let mut mb = [0.0; MAX_POOLS];
        for (pool, base) in self.base_mb.iter().enumerate().take(MAX_POOLS) {
            mb[pool] = *base;
        }
        // Only the pools some job or base memory is in (a slot of no job keeps its base, or 0).
        let used = self.jobs.iter().map(|j| j.pool.min(MAX_POOLS - 1) + 1).fold(0, usize::max);
        for (pool, slot) in mb.iter_mut().enumerate().take(used) {
            buf.clear();
            buf.extend(
                self.jobs
                    .iter()
                    .filter(|j| j.pool.min(MAX_POOLS - 1) == pool)
                    .map(|j| j.resident_mb),
            );
            crate::sorting::sort_by(buf, f64::total_cmp);
            *slot += buf.iter().sum::<f64>();
        }
        mb
    }

    fn memory_now(&self, resident: [f64; MAX_POOLS], active: &[usize]) -> [f64; MAX_POOLS] {
        let mut mb = resident;
        for &k in active {
            let j = &self.jobs[k];
            mb[j.pool.min(MAX_POOLS - 1)] += j.running_mb;
        }
        mb
    }

    /// Runs the simulation: one round of the groups as it runs among rounds repeated one after another, so
    /// pools still spinning when a round ends (less `group_gap_ns`) spin on into the next round's first group
    /// (the round is played again when any do; the second play is the schedule).
    pub fn run(&self) -> Schedule {
        self.run_replaying(false, true).0
    }

    /// [`Scenario::run`]; `always`: plays the round again whenever pools spin into it, even where the first
    /// group takes them all over; `splice`: the second play takes the rest of the first from the first group
    /// at whose start it stands as the first did (both to check that the shortcuts change nothing). Also
    /// returns that group, where the second play took the rest from the first.
    fn run_replaying(&self, always: bool, splice: bool) -> (Schedule, Option<usize>) {
        // The thread's buffers, borrowed where they stand (a run inside a run, which nothing does, gets new
        // ones); a run that grew them past `SPARE_JOBS` leaves new ones behind.
        SPARE.with(|spare| match spare.try_borrow_mut() {
            Ok(mut ws) => {
                let out = self.run_in(always, splice, &mut ws);
                if ws.grown() {
                    *ws = Workspace::default();
                }
                out
            }
            Err(_) => self.run_in(always, splice, &mut Workspace::default()),
        })
    }

    /// [`Scenario::run_replaying`] with the buffers `ws` (none of its last run's content is read: `play`
    /// clears what it uses, and the pools carried over and the resident memory are cleared here).
    fn run_in(&self, always: bool, splice: bool, ws: &mut Workspace) -> (Schedule, Option<usize>) {
        ws.carried.clear();
        ws.resident = None;
        let n = self.jobs.len();
        let fresh = || Full {
            spans: vec![Span { start_ns: 0, end_ns: 0 }; n],
            peak: [0.0; MAX_POOLS],
            // A sample at each group's start, at each event (a job's end, a spinning pool's block: at most
            // one each per job) and at the end. A hint only: the vector grows past it if a run needs more.
            memory: Vec::with_capacity(2 * n + self.groups.len() + 1),
            busy_ns: vec![0.0; self.domains.len()],
            record: None,
        };
        let mut full = fresh();
        let resident = self.resident(&mut ws.sums);
        // Only a round with pools that spin after their jobs and more than one group can be played again
        // and rejoin the first play at a later group: the first play then records where each group starts.
        let may_rejoin = splice
            && self.groups.len() > 1
            && self.jobs.iter().any(|j| j.spin_after_ns > 0 && j.spin_share > 0.0);
        if may_rejoin {
            let mut record = std::mem::take(&mut ws.record);
            record.clear();
            full.record = Some(record);
        }
        let groups = || self.groups.iter().map(Vec::as_slice);
        let (mut now, _) = self.play(groups(), resident, ws, &mut full);
        let record = full.record.take();
        let mut rejoined = None;
        // What still spins when the next round starts, on that round's clock.
        let next = now + self.group_gap_ns;
        let carried = ws.spinning.iter().filter(|p| p.until_ns > next);
        ws.carried.extend(carried.map(|p| SpinningPool { until_ns: p.until_ns - next, ..*p }));
        if !ws.carried.is_empty()
            && (always || !self.first_group_takes_over(&ws.carried, &mut ws.probe))
        {
            if let Some(record) = &record {
                let mut second = Rejoin { full: fresh(), first: &full, record };
                let (end, stopped) = self.play(groups(), resident, ws, &mut second);
                rejoined = stopped;
                now = match stopped {
                    Some(g) => second.take_rest(self, g, end, now),
                    None => end,
                };
                full = second.full;
            } else {
                full.clear();
                now = self.play(groups(), resident, ws, &mut full).0;
            }
        }
        if let Some(record) = record {
            ws.record = record;
        }
        let mean_rate = (0..n)
            .map(|k| {
                let took = full.spans[k].end_ns.saturating_sub(full.spans[k].start_ns);
                if took == 0 {
                    1.0
                } else {
                    self.jobs[k].solo_ns as f64 / took as f64
                }
            })
            .collect();
        let schedule = Schedule {
            spans: full.spans,
            makespan_ns: now,
            peak_mb: full.peak,
            memory: full.memory,
            mean_rate,
            busy_ns: full.busy_ns,
        };
        (schedule, rejoined)
    }

    /// Whether the first group's jobs, as they start, take over every pool of `carried` entirely (each left
    /// holding exactly nothing, as a job taking over its own pool leaves it): then the round played again
    /// beside them is the round played without them, to the bit (a pool holding nothing adds `0.0` to the
    /// loads and leaves at the first event, before any rate is read). `probe` is a buffer.
    fn first_group_takes_over(
        &self,
        carried: &[SpinningPool],
        probe: &mut Vec<SpinningPool>,
    ) -> bool {
        let Some(first) = self.groups.first() else { return false };
        probe.clear();
        probe.extend_from_slice(carried);
        let mut starts = false;
        for &k in first.iter().filter(|&&k| k < self.jobs.len()) {
            take_over_spinning(k, &self.jobs[k], probe);
            starts = true;
        }
        // A group with no job has no event at which the pools would leave.
        starts && probe.iter().all(|p| p.share == 0.0)
    }

    /// Runs `group` alone (the scenario's own groups ignored) and keeps only what a grouping search needs:
    /// the same makespan and memory peaks as [`Scenario::run`] gives for that one group, without building a
    /// schedule. `ws` keeps the buffers between calls, and the memory every job keeps resident as computed on
    /// the first call: call [`Workspace::jobs_changed`] after changing a job's memory.
    pub fn run_group(&self, group: &[usize], ws: &mut Workspace) -> Peaks {
        let resident = match ws.resident {
            Some(r) => r,
            None => *ws.resident.insert(self.resident(&mut ws.sums)),
        };
        let mut peaks = Peaks::default();
        peaks.makespan_ns = self.play(std::iter::once(group), resident, ws, &mut peaks).0;
        peaks
    }

    /// Plays `groups` one after another, beside the pools `ws` carries from a previous round; `obs` sees every
    /// group's start, job start and end, memory sample and busy interval. Returns the makespan, ns, or where
    /// `obs` stopped the play at a group's start, that time and the group; `ws` keeps the pools that still
    /// spin.
    fn play<'g, O: Observer>(
        &self,
        groups: impl Iterator<Item = &'g [usize]>,
        resident: [f64; MAX_POOLS],
        ws: &mut Workspace,
        obs: &mut O,
    ) -> (u64, Option<usize>) {
        let n = self.jobs.len();
        ws.spinning.clear();
        ws.spinning.append(&mut ws.carried);
        let mut now: u64 = 0;
        for (g, group) in groups.enumerate() {
            if g > 0 && self.group_gap_ns > 0 {
                for p in &mut ws.spinning {
                    p.until_ns = p.until_ns.saturating_sub(self.group_gap_ns);
                }
            }
            // From here on the play depends only on the pools still spinning (as they stand against `now`).
            if obs.group_start(g, now, &ws.spinning) {
                return (now, Some(g));
            }
            ws.active.clear();
            ws.active.extend(group.iter().copied().filter(|&k| k < n));
            let one_rate = self.rate_terms(ws.active.iter().copied(), &mut ws.rates);
            // Each running job's solo work still to do, beside it in `active`.
            ws.remaining.clear();
            for &k in &ws.active {
                obs.start(k, now);
                ws.remaining.push(self.jobs[k].solo_ns as f64);
                take_over_spinning(k, &self.jobs[k], &mut ws.spinning);
            }
            // The loads on each resource, summed afresh at each group's start (the pools still spinning, then
            // the group's jobs) and kept up to date as jobs end and pools block.
            self.clear_loads(&mut ws.rates);
            for p in &ws.spinning {
                ws.rates.pool_load(p, 1.0);
            }
            for &k in &ws.active {
                self.job_load(k, 1.0, &mut ws.rates);
            }
            // Memory in use, summed afresh at the group's start and less each job's running memory as it ends.
            let mut mb = self.memory_now(resident, &ws.active);
            while !ws.active.is_empty() {
                obs.sample(now, mb);
                // Pools that finished and still spin: (resource, share of it, until ns).
                let (spinning, scratch) = (&mut ws.spinning, &mut ws.rates);
                spinning.retain(|p| {
                    let keep = p.until_ns > now && p.share > 1e-12;
                    if !keep {
                        scratch.pool_load(p, -1.0);
                    }
                    keep
                });
                let rating = if one_rate { Rating::OneRate } else { Rating::Terms };
                self.rates_at_loads(&ws.active, &mut ws.rates, rating);
                let rates = &ws.rates.rates;
                // Rates hold until the next job ends or the next spinning pool blocks.
                let until_spin_ends = ws
                    .spinning
                    .iter()
                    .map(|p| (p.until_ns - now) as f64)
                    .fold(f64::INFINITY, minmax::min);
                let step = match rates.first() {
                    // One rate: the least remaining work over it (division by one positive number keeps
                    // the order, so this is the least quotient, bit for bit) with one division.
                    Some(&r) if one_rate => minmax::min(
                        until_spin_ends,
                        ws.remaining.iter().copied().fold(f64::INFINITY, minmax::min) / r,
                    ),
                    _ => ws
                        .remaining
                        .iter()
                        .zip(rates)
                        .map(|(m, r)| m / r)
                        .fold(until_spin_ends, minmax::min),
                };
                let dt = ceil_ns(step);
                obs.busy(self, &ws.active, dt);
                now += dt;
                // The jobs that end leave `active` (the others keep their order).
                ws.ended.clear();
                let mut kept = 0;
                for (i, r) in rates.iter().enumerate().take(ws.active.len()) {
                    let (k, left) = (ws.active[i], ws.remaining[i] - r * step);
                    // Jobs within half a nanosecond of done finish in this event (ties in seq order).
                    if left <= 0.5 {
                        ws.ended.push(k);
                    } else {
                        ws.active[kept] = k;
                        ws.remaining[kept] = left;
                        kept += 1;
                    }
                }
                ws.active.truncate(kept);
                ws.remaining.truncate(kept);
                for &k in &ws.ended {
                    obs.end(k, now);
                    self.job_load(k, -1.0, &mut ws.rates);
                    let job = &self.jobs[k];
                    mb[job.pool.min(MAX_POOLS - 1)] -= job.running_mb;
                    if job.spin_after_ns > 0 && job.spin_share > 0.0 {
                        if let Some(&(resource, _)) = job.demands.first() {
                            let pool = SpinningPool {
                                resource,
                                share: job.spin_share,
                                until_ns: now + job.spin_after_ns,
                                pool_key: job.pool_key,
                                job: k,
                            };
                            ws.rates.pool_load(&pool, 1.0);
                            ws.spinning.push(pool);
                        }
                    }
                }
            }
        }
        obs.sample(now, self.memory_now(resident, &[]));
        (now, None)
    }
}

/// A starting job whose runtime keeps one pool per process takes its workers from that pool's spinning ones
/// (as many as it has: `spin_share`), which then work for it instead of holding cores beside it.
fn take_over_spinning(k: usize, job: &Job, spinning: &mut [SpinningPool]) {
    let Some(&(resource, _)) = job.demands.first() else { return };
    let mut wanted = job.spin_share;
    let own = |p: &SpinningPool| p.job == k || (job.pool_key != 0 && p.pool_key == job.pool_key);
    for p in spinning.iter_mut().filter(|p| own(p) && p.resource == resource) {
        let taken = minmax::min(wanted, p.share);
        p.share -= taken;
        wanted -= taken;
    }
}

/// `t.ceil().max(0.0) as u64` for a step of the simulation, ns, without the libm call that `f64::ceil` is on
/// x86-64 targets without SSE4.1 (every event of every group a grouping search simulates takes one).
fn ceil_ns(t: f64) -> u64 {
    let whole = t as u64; // saturating: negative and NaN give 0
    if (whole as f64) < t {
        whole.saturating_add(1)
    } else {
        whole
    }
}

/// Floors of every subset of a list of jobs ([`Scenario::subset_floors_ns`]), by bit mask over the list.
#[derive(Debug, Clone, PartialEq)]
pub struct SubsetFloors {
    /// Under each subset's makespan run alone, ns.
    pub group: Vec<f64>,
    /// [`Scenario::makespan_floors_ns`], which add up over the groups of a partition (the summed makespans
    /// of groups run one after another are at least the floor of their union); `None` where every job is of
    /// one class (then `group`, within rounding of the simulated makespans, leaves them nothing to add).
    pub additive: Option<Vec<f64>>,
    /// Whether any subset's floor was raised above the additive one (jobs of one class, two or more).
    pub one_rate: bool,
}

/// The most jobs whose buffers a thread keeps between runs ([`Workspace::keep`]): at most a few tens of kB
/// (some 230 bytes of buffers per job), not a model constant.
const SPARE_JOBS: usize = 256;

thread_local! {
    /// Borrowed by each [`Scenario::run`] (a run cut short leaves them as they are: the next clears what it
    /// reads).
    static SPARE: std::cell::RefCell<Workspace> = std::cell::RefCell::default();
}

/// Buffers of a simulation, kept between runs by a caller that simulates many groups of one scenario.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    rates: RateScratch,
    active: Vec<usize>,
    /// The jobs that end in an event.
    ended: Vec<usize>,
    /// The solo work each job of `active` still has to do, ns.
    remaining: Vec<f64>,
    spinning: Vec<SpinningPool>,
    /// Pools spinning from a previous round into the next play's start (taken by [`Scenario::play`]).
    carried: Vec<SpinningPool>,
    /// [`Scenario::first_group_takes_over`]'s buffer.
    probe: Vec<SpinningPool>,
    sums: Vec<f64>,
    /// What the jobs keep resident per pool, once computed by [`Scenario::run_group`].
    resident: Option<[f64; MAX_POOLS]>,
    /// A first play's record for its second ([`Scenario::run`]), kept for the buffers.
    record: Record,
}

impl Workspace {
    /// Whether a very large run grew the buffers that grow with the jobs (the rate records are as many as
    /// the scenario's jobs, the others as the running ones, the pools or the memory sums) past what the
    /// thread keeps for its next [`Scenario::run`].
    fn grown(&self) -> bool {
        let grown = [
            self.rates.terms.capacity(),
            self.remaining.capacity(),
            self.spinning.capacity(),
            self.sums.capacity(),
        ];
        grown.into_iter().any(|c| c > SPARE_JOBS)
    }

    /// A job's memory changed: [`Scenario::run_group`] computes the resident memory again.
    pub fn jobs_changed(&mut self) {
        self.resident = None;
    }
}

/// What [`Scenario::run_group`] keeps of a run.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Peaks {
    /// Time until the last job ends, ns.
    pub makespan_ns: u64,
    /// Highest memory per pool, MB.
    pub peak_mb: [f64; MAX_POOLS],
    /// Highest memory summed over the pools at one instant, MB.
    pub peak_total_mb: f64,
}

/// What a simulation reports as it goes.
trait Observer {
    /// From `now` on the pools hold `mb`.
    fn sample(&mut self, now: u64, mb: [f64; MAX_POOLS]);
    /// Job `k` starts.
    fn start(&mut self, _k: usize, _now: u64) {}
    /// Job `k` ends.
    fn end(&mut self, _k: usize, _now: u64) {}
    /// `active` run for `dt` ns from here.
    fn busy(&mut self, _sc: &Scenario, _active: &[usize], _dt: u64) {}
    /// Group `g` starts at `now` beside the pools `spinning` (before its jobs take any over): whether the play
    /// stops here.
    fn group_start(&mut self, _g: usize, _now: u64, _spinning: &[SpinningPool]) -> bool {
        false
    }
}

impl Observer for Peaks {
    fn sample(&mut self, _now: u64, mb: [f64; MAX_POOLS]) {
        for (p, v) in self.peak_mb.iter_mut().zip(mb) {
            *p = minmax::max(*p, v);
        }
        self.peak_total_mb = minmax::max(self.peak_total_mb, mb.iter().sum::<f64>());
    }
}

/// Everything [`Scenario::run`] reports.
struct Full {
    spans: Vec<Span>,
    peak: [f64; MAX_POOLS],
    memory: Vec<MemorySample>,
    busy_ns: Vec<f64>,
    /// Where each group started and each event's busy terms, for a second play to rejoin this one.
    record: Option<Record>,
}

/// What a round's first play records for its second ([`Rejoin`]): where each group started.
#[derive(Debug, Clone, Default)]
struct Record {
    /// Per group, in order.
    starts: Vec<GroupStart>,
    /// The pools spinning at each group's start (`GroupStart::pools` ends each group's), their `until_ns` as
    /// time left after the start (0 for one that has blocked and not yet left).
    pools: Vec<SpinningPool>,
    /// Each event's busy time per domain (domains in order, events one after another), as added up.
    busy: Vec<f64>,
}

impl Record {
    fn clear(&mut self) {
        self.starts.clear();
        self.pools.clear();
        self.busy.clear();
    }
}

/// Where a group of a recorded play started.
#[derive(Debug, Clone, Copy)]
struct GroupStart {
    now: u64,
    /// Where its pools end in [`Record::pools`].
    pools: usize,
    /// The memory samples and busy terms recorded before it.
    samples: usize,
    busy: usize,
    /// The last memory sample before it.
    last_mb: Option<[f64; MAX_POOLS]>,
}

/// A pool as it stands against `now`: how long it still spins (0 once it has blocked).
fn pool_left(p: &SpinningPool, now: u64) -> SpinningPool {
    SpinningPool { until_ns: p.until_ns.saturating_sub(now), ..*p }
}

/// A round's second play, beside its first: at each group's start after the first, where the pools spinning
/// (as they stand against the start) and the last memory sample are the first play's there, bit for bit, the
/// rest of the round plays as the first did, shifted in time (the play reads nothing else: loads, rates and
/// memory are summed afresh at each group's start, and every time is a difference of integers), so it stops
/// there and takes the rest from the first ([`Rejoin::take_rest`]).
struct Rejoin<'a> {
    full: Full,
    first: &'a Full,
    /// What the first play recorded.
    record: &'a Record,
}

impl Rejoin<'_> {
    /// The rest of the round from group `g`, which this play started at `now`: the first play's spans of the
    /// jobs of `g` and later groups, memory samples and busy terms from there, shifted by the time between
    /// the two starts; `first_end` is the first play's makespan. Returns this one's.
    fn take_rest(&mut self, sc: &Scenario, g: usize, now: u64, first_end: u64) -> u64 {
        let (first, record, full) = (self.first, self.record, &mut self.full);
        let start = record.starts[g];
        // Both plays' times are whole ns: the shift is exact, and wraps back for a later start.
        let shift = now.wrapping_sub(start.now);
        for group in &sc.groups[g..] {
            for &k in group.iter().filter(|&&k| k < sc.jobs.len()) {
                let s = first.spans[k];
                full.spans[k] = Span {
                    start_ns: s.start_ns.wrapping_add(shift),
                    end_ns: s.end_ns.wrapping_add(shift),
                };
            }
        }
        for sample in &first.memory[start.samples..] {
            for (p, v) in full.peak.iter_mut().zip(sample.mb) {
                *p = minmax::max(*p, v);
            }
            full.memory
                .push(MemorySample { time_ns: sample.time_ns.wrapping_add(shift), ..*sample });
        }
        let domains = full.busy_ns.len().max(1);
        for terms in record.busy[start.busy..].chunks(domains) {
            for (busy, term) in full.busy_ns.iter_mut().zip(terms) {
                *busy += term;
            }
        }
        first_end.wrapping_add(shift)
    }
}

impl Observer for Rejoin<'_> {
    fn sample(&mut self, now: u64, mb: [f64; MAX_POOLS]) {
        self.full.sample(now, mb);
    }

    fn start(&mut self, k: usize, now: u64) {
        self.full.start(k, now);
    }

    fn end(&mut self, k: usize, now: u64) {
        self.full.end(k, now);
    }

    fn busy(&mut self, sc: &Scenario, active: &[usize], dt: u64) {
        self.full.busy(sc, active, dt);
    }

    fn group_start(&mut self, g: usize, now: u64, spinning: &[SpinningPool]) -> bool {
        // The first group is where the carried pools spin: never the first play's start.
        let (Some(before), Some(start)) = (g.checked_sub(1), self.record.starts.get(g)) else {
            return false;
        };
        let theirs = &self.record.pools[self.record.starts[before].pools..start.pools];
        theirs.len() == spinning.len()
            && theirs.iter().zip(spinning).all(|(a, b)| same_pool(a, &pool_left(b, now)))
            && self.full.memory.last().map(|s| s.mb) == start.last_mb
    }
}

/// Two pools the same to the bit (a share compared by its bits, so that no sum can tell them apart).
fn same_pool(a: &SpinningPool, b: &SpinningPool) -> bool {
    a.resource == b.resource
        && a.share.to_bits() == b.share.to_bits()
        && a.until_ns == b.until_ns
        && a.pool_key == b.pool_key
        && a.job == b.job
}

impl Full {
    /// Back to what a play starts from (every span and busy time 0, no sample), keeping the buffers.
    fn clear(&mut self) {
        self.spans.fill(Span { start_ns: 0, end_ns: 0 });
        self.peak = [0.0; MAX_POOLS];
        self.memory.clear();
        self.busy_ns.fill(0.0);
    }
}

impl Observer for Full {
    fn sample(&mut self, now: u64, mb: [f64; MAX_POOLS]) {
        for (p, v) in self.peak.iter_mut().zip(mb) {
            *p = minmax::max(*p, v);
        }
        if self.memory.last().map(|s| s.mb) != Some(mb) {
            self.memory.push(MemorySample { time_ns: now, mb });
        }
    }

    fn start(&mut self, k: usize, now: u64) {
        self.spans[k].start_ns = now;
    }

    fn end(&mut self, k: usize, now: u64) {
        self.spans[k].end_ns = now;
    }

    fn busy(&mut self, sc: &Scenario, active: &[usize], dt: u64) {
        for (d, busy) in self.busy_ns.iter_mut().enumerate() {
            let activity: f64 = active
                .iter()
                .filter(|&&k| sc.jobs[k].domain == d)
                .map(|&k| sc.jobs[k].activity)
                .sum();
            let term = minmax::min(activity, 1.0) * dt as f64;
            *busy += term;
            if let Some(record) = &mut self.record {
                record.busy.push(term);
            }
        }
    }

    fn group_start(&mut self, _g: usize, now: u64, spinning: &[SpinningPool]) -> bool {
        if let Some(record) = &mut self.record {
            record.pools.extend(spinning.iter().map(|p| pool_left(p, now)));
            record.starts.push(GroupStart {
                now,
                pools: record.pools.len(),
                samples: self.memory.len(),
                busy: record.busy.len(),
                last_mb: self.memory.last().map(|s| s.mb),
            });
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(solo_ns: u64, compute: f64) -> Job {
        Job {
            solo_ns,
            demands: smallvec::smallvec![(0, compute)],
            domain: 0,
            pool: 0,
            resident_mb: 10.0,
            running_mb: 5.0,
            activity: compute,
            spins: true,
            regions: 0.0,
            spin_after_ns: 0,
            spin_share: 0.0,
            pool_key: 0,
        }
    }

    /// Two cores with nothing burnt spinning, no wait at a join and no slowdown when both are busy: only the
    /// scheduler's sharing.
    fn two_plain_cores() -> ResourceKind {
        ResourceKind::Cores(Cores {
            spin_wait_share: 0.0,
            cores: 2.0,
            all_core_rate: 1.0,
            blocking_wait_ns: 0.0,
            spinning_wait_ns: 0.0,
        })
    }

    /// Two cores whose threads wait at their regions' joins (spinning runtimes burn half their wait).
    fn two_waiting_cores(all_core_rate: f64) -> ResourceKind {
        ResourceKind::Cores(Cores {
            spin_wait_share: 0.5,
            cores: 2.0,
            all_core_rate,
            blocking_wait_ns: 50.0,
            spinning_wait_ns: 20.0,
        })
    }

    fn scenario(jobs: Vec<Job>, groups: Vec<Vec<usize>>) -> Scenario {
        Scenario {
            resources: vec![Resource { kind: ResourceKind::Shared, capacity: 1.0 }],
            domains: vec![Domain { interference_per_job: 0.0 }],
            jobs,
            groups,
            base_mb: vec![0.0],
            group_gap_ns: 0,
        }
    }

    #[test]
    fn order_free_sums_are_the_sorted_sum_in_any_order_on_and_off_the_stack() {
        for n in [0usize, 1, 5, 16, 17, 40] {
            // Terms of mixed magnitude, so the order of additions shows in the last bits.
            let mut terms: Vec<f64> =
                (0..n).map(|i| (i as f64 * 0.37).sin() * 10f64.powi((i % 7) as i32 - 3)).collect();
            // Both zeros and subnormals among them, where there is room.
            let specials = [-0.0, 0.0, -f64::MIN_POSITIVE / 8.0, f64::MIN_POSITIVE / 4.0];
            for (t, s) in terms.iter_mut().step_by(3).zip(specials) {
                *t = s;
            }
            // Negative terms whose order shows: -1e16 first absorbs each -1 (its ulp is 2); the -1s first
            // add up to -8 before it.
            if n == 40 {
                terms[30..39]
                    .copy_from_slice(&[-1.0, -1.0, -1e16, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0]);
            }
            let mut sorted = terms.clone();
            crate::sorting::sort_by(&mut sorted, f64::total_cmp);
            let want: f64 = sorted.iter().sum();
            let mut reversed = terms.clone();
            reversed.reverse();
            for order in [terms, reversed] {
                let got = order_free_sum(order.into_iter());
                assert_eq!(got.to_bits(), want.to_bits(), "{n} terms");
            }
        }
    }

    #[test]
    fn sequential_makespan_is_the_sum_of_solo_times() {
        let s = scenario(vec![job(1000, 1.0), job(3000, 0.2)], vec![vec![0], vec![1]]).run();
        assert_eq!(s.makespan_ns, 4000);
        assert_eq!(s.spans[1], Span { start_ns: 1000, end_ns: 4000 });
        assert_eq!(s.peak_mb[0], 25.0);
    }

    #[test]
    fn processor_sharing_matches_the_closed_form() {
        // Two jobs each needing the whole device share it: both progress at 1/2 until the short one ends.
        let s = scenario(vec![job(1000, 1.0), job(3000, 1.0)], vec![vec![0, 1]]).run();
        assert_eq!(s.spans[0].end_ns, 2000);
        assert_eq!(s.makespan_ns, 4000);
        assert_eq!(s.peak_mb[0], 30.0);
    }

    #[test]
    fn light_jobs_overlap_for_free() {
        let s = scenario(vec![job(1000, 0.3), job(1000, 0.3)], vec![vec![0, 1]]).run();
        assert_eq!(s.makespan_ns, 1000);
        // Both keep 30 % of the device busy for 1,000 ns.
        assert!((s.busy_ns[0] - 600.0).abs() < 1e-9);
    }

    #[test]
    fn oversubscribed_cores_lose_to_spinning() {
        let mut sc = scenario(vec![job(1000, 1.0), job(1000, 1.0)], vec![vec![0, 1]]);
        sc.resources[0].kind = ResourceKind::Cores(Cores {
            spin_wait_share: 0.5,
            cores: 2.0,
            all_core_rate: 1.0,
            blocking_wait_ns: 0.0,
            spinning_wait_ns: 0.0,
        });
        // Each gets half the cores, and a quarter of that half is burnt: rate 0.375.
        assert_eq!(sc.run().makespan_ns, 2667);
    }

    #[test]
    fn a_later_job_of_the_same_pool_takes_over_its_spinning_workers() {
        // Two 2-thread jobs on 2 cores, one after another; the first's worker spins 1,000 ns after it ends.
        let run = |keys: [u32; 2], second_threads: f64| {
            let mut first = job(1000, 1.0);
            first.spin_after_ns = 1000;
            first.spin_share = 0.5;
            first.pool_key = keys[0];
            let mut second = job(2000, second_threads / 2.0);
            second.spin_share = (second_threads - 1.0) / 2.0;
            second.pool_key = keys[1];
            let mut sc = scenario(vec![first, second], vec![vec![0], vec![1]]);
            sc.resources[0].kind = two_plain_cores();
            sc.run().makespan_ns
        };
        // Same pool: the second job's worker is the spinning one, nothing is lost.
        assert_eq!(run([1, 1], 2.0), 3000);
        // Its own pool (key 0) or another runtime's: two threads and one spinning worker on two cores, each
        // thread at 2/3 of a core for the 1,000 ns the worker spins, then at full rate for the rest:
        // 1,000 + 1,000 + ⌈2,000 − 1,000 × 2/3⌉ ns.
        let beside = 2000 + (2000.0 - 1000.0 / 1.5_f64).ceil() as u64;
        assert_eq!(run([1, 0], 2.0), beside);
        assert_eq!(run([1, 2], 2.0), beside);
        // A one-thread job has no workers to take over: the spinning one holds its core, but one thread
        // and half a core spinning fit on two cores.
        assert_eq!(run([1, 1], 1.0), 3000);
    }

    #[test]
    fn a_gap_between_groups_shortens_the_spin_the_next_group_sees() {
        // The first job's worker spins 1,000 ns after it ends; with 600 ns idle before the next group, the
        // second job runs beside it for the 400 ns left, doing 2/3 of that in work, and the rest at full rate.
        let run = |gap: u64| {
            let mut first = job(1000, 1.0);
            first.spin_after_ns = 1000;
            first.spin_share = 0.5;
            let mut sc = scenario(vec![first, job(2000, 1.0)], vec![vec![0], vec![1]]);
            sc.resources[0].kind = two_plain_cores();
            sc.group_gap_ns = gap;
            sc.run().makespan_ns
        };
        let beside = |spin: f64| 1000 + spin as u64 + (2000.0 - spin / 1.5).ceil() as u64;
        assert_eq!(run(0), beside(1000.0));
        assert_eq!(run(600), beside(400.0));
        // A gap longer than the spin: the pool blocked before the next group started.
        assert_eq!(run(1000), 3000);
    }

    #[test]
    fn a_pool_spinning_at_the_end_of_a_round_spins_into_the_next_rounds_start() {
        // Two 2-thread jobs on 2 cores, one after another; the second's worker spins 1,000 ns after it ends,
        // past the round's end and into the next round's first job, less the gap between rounds.
        let run = |keys: [u32; 2], gap: u64| {
            let mut first = job(1000, 1.0);
            first.spin_share = 0.5;
            first.pool_key = keys[0];
            let mut last = job(1000, 1.0);
            last.spin_after_ns = 1000;
            last.spin_share = 0.5;
            last.pool_key = keys[1];
            let mut sc = scenario(vec![first, last], vec![vec![0], vec![1]]);
            sc.resources[0].kind = two_plain_cores();
            sc.group_gap_ns = gap;
            sc.run()
        };
        // The first job runs at 2/3 of its rate while the worker spins `spin` ns into the round.
        let first_ends = |spin: f64| spin as u64 + (1000.0 - spin / 1.5).ceil() as u64;
        let s = run([0, 0], 0);
        assert_eq!(s.spans[0], Span { start_ns: 0, end_ns: first_ends(1000.0) });
        assert_eq!(s.makespan_ns, first_ends(1000.0) + 1000);
        assert_eq!(run([0, 0], 400).makespan_ns, first_ends(600.0) + 1000);
        assert_eq!(run([0, 0], 1000).makespan_ns, 2000);
        // One pool for both: the first job takes the spinning worker over.
        assert_eq!(run([1, 1], 0).makespan_ns, 2000);
    }

    #[test]
    fn a_round_whose_first_group_takes_over_every_spinning_pool_is_played_once_as_twice() {
        // Four jobs on 2 cores, every one's workers spinning past the round's end: two with their own pools,
        // two of one shared pool (keys 0 and 7).
        let jobs: Vec<Job> = (0..4u64)
            .map(|k| {
                let mut j = job(700 + 300 * k, 0.5 + 0.25 * k as f64);
                j.spin_after_ns = 5000;
                j.spin_share = 0.25 + 0.125 * k as f64;
                j.pool_key = if k >= 2 { 7 } else { 0 };
                j
            })
            .collect();
        let mut sc = scenario(jobs, vec![vec![0, 1, 2, 3]]);
        sc.resources[0].kind = two_waiting_cores(0.9);
        // Every pool spins into the next round, where its own job (or its pool's) takes it over.
        let carried: Vec<SpinningPool> = (0..4)
            .map(|k| SpinningPool {
                resource: 0,
                share: sc.jobs[k].spin_share,
                until_ns: 100,
                pool_key: sc.jobs[k].pool_key,
                job: k,
            })
            .collect();
        let mut probe = Vec::new();
        assert!(sc.first_group_takes_over(&carried, &mut probe));
        assert_eq!(sc.run(), sc.run_replaying(true, false).0);
        // One after another, the first group takes over only its own pool: the round is played again, and
        // the pools spinning into it slow the first job down.
        sc.groups = vec![vec![0], vec![1], vec![2], vec![3]];
        assert!(!sc.first_group_takes_over(&carried, &mut probe));
        assert_eq!(sc.run(), sc.run_replaying(true, false).0);
        let mut quiet = sc.clone();
        quiet.jobs[3].spin_after_ns = 0;
        assert!(sc.run().spans[0].end_ns > quiet.run().spans[0].end_ns);
        // A first group with no job in it takes nothing over.
        sc.groups = vec![vec![9], vec![0, 1, 2, 3]];
        assert!(!sc.first_group_takes_over(&carried, &mut probe));
    }

    #[test]
    fn a_second_play_that_stands_as_the_first_at_a_groups_start_takes_the_rest_from_it_as_played() {
        // Jobs on 2 cores of two domains, every one's workers spinning after it (own pools and one shared), in
        // groups of one and two: the last group's pools spin into the next round and slow its first group.
        let jobs: Vec<Job> = (0..6u64)
            .map(|k| {
                let mut j = job(900 + 250 * k, 0.6 + 0.1 * (k % 3) as f64);
                j.spin_after_ns = 300 + 40 * k;
                j.spin_share = 0.25 + 0.125 * (k % 2) as f64;
                j.pool_key = if k % 3 == 2 { 5 } else { 0 };
                j.domain = (k % 2) as usize;
                j.activity = 0.3 + 0.1 * k as f64;
                j.running_mb = 4.0 + k as f64;
                j
            })
            .collect();
        let mut sc = scenario(jobs, vec![vec![0], vec![1, 2], vec![3], vec![4, 5]]);
        sc.domains =
            vec![Domain { interference_per_job: 0.05 }, Domain { interference_per_job: 0.1 }];
        sc.resources[0].kind = two_waiting_cores(0.9);
        let played = |sc: &Scenario| sc.run_replaying(false, false).0;
        // The carried pools have blocked by the second group's start, where the second play stands as the first.
        let (rejoined, at) = sc.run_replaying(false, true);
        assert_eq!(at, Some(1));
        assert_eq!(rejoined, played(&sc));
        let alone = sc.run_replaying(false, false);
        assert_eq!(alone.1, None);
        // The pools slowed the first group: the second play is not the first.
        let mut quiet = sc.clone();
        for j in &mut quiet.jobs[4..] {
            j.spin_after_ns = 0;
        }
        assert!(rejoined.spans[0].end_ns > quiet.run().spans[0].end_ns);
        // With a gap between groups, and with pools that spin past several groups (rejoining later or not at
        // all), the same.
        for (gap, spin) in [(200, 0), (0, 2500), (100, 9000)] {
            let mut other = sc.clone();
            other.group_gap_ns = gap;
            for j in &mut other.jobs {
                j.spin_after_ns += spin;
            }
            let (schedule, at) = other.run_replaying(false, true);
            assert_eq!(schedule, played(&other), "gap {gap}, spin {spin}: rejoined at {at:?}");
        }
        // A pool carried from the last group still spinning at the second group's start: the plays differ
        // there, and rejoin later if at all.
        let mut longer = sc.clone();
        longer.jobs[5].spin_after_ns = 5000;
        let (schedule, at) = longer.run_replaying(false, true);
        assert!(at.is_none_or(|g| g > 1), "rejoined at {at:?}");
        assert_eq!(schedule, played(&longer));
        // Long pools of the first group too, so that the plays stand alike only once both have blocked.
        longer.jobs[0].spin_after_ns = 5000;
        let (schedule, at) = longer.run_replaying(false, true);
        assert_eq!(schedule, played(&longer), "rejoined at {at:?}");
    }

    #[test]
    fn a_second_play_whose_last_memory_sample_differs_at_a_groups_start_plays_on() {
        // Two jobs without pools share the cores in the first group: alone the shorter one ends first; beside
        // the pool carried from the last group the cores are oversubscribed, and the one whose regions wait
        // for their threads falls behind. The second group then starts with no pool spinning in both plays,
        // but after different last samples, and holds what the first play's last sample held (so that play
        // took its start's sample for no change, and the second must not).
        let mut a = job(1000, 0.5);
        a.regions = 20.0;
        a.running_mb = 7.0;
        let mut b = job(1010, 0.5);
        b.running_mb = 3.0;
        let mut c = job(800, 0.5);
        c.running_mb = 3.0;
        let mut d = job(900, 0.5);
        d.spin_after_ns = 600;
        d.spin_share = 0.5;
        let mut sc = scenario(vec![a, b, c, d], vec![vec![0, 1], vec![2], vec![3]]);
        sc.resources[0].kind = two_waiting_cores(1.0);
        let mut quiet = sc.clone();
        quiet.jobs[3].spin_after_ns = 0;
        let first = quiet.run();
        let (second, at) = sc.run_replaying(false, true);
        assert!(first.spans[0].end_ns < first.spans[1].end_ns);
        assert!(second.spans[0].end_ns > second.spans[1].end_ns);
        assert_ne!(at, Some(1));
        assert_eq!(second, sc.run_replaying(false, false).0);
    }

    #[test]
    fn a_run_of_many_jobs_leaves_its_thread_no_large_buffers() {
        // 300 jobs one after another: one runs at a time, but the rate records are one per job.
        let sequential = scenario(
            (0..300u64).map(|k| job(100 + k, 0.5)).collect(),
            (0..300).map(|k| vec![k]).collect(),
        );
        sequential.run();
        assert!(SPARE.with_borrow(|ws| ws.rates.terms.capacity()) <= SPARE_JOBS);
        // A small run's buffers are kept for the next.
        scenario(vec![job(100, 0.5), job(200, 0.5)], vec![vec![0, 1]]).run();
        assert!(SPARE.with_borrow(|ws| ws.rates.terms.capacity()) >= 2);
    }

    #[test]
    fn a_run_after_other_runs_on_its_thread_gives_what_it_gave_first() {
        // A round whose last pool spins into the next round's start (the buffers' carried pools), and a
        // larger scenario of three groups run between.
        let mut first = job(1000, 1.0);
        first.spin_share = 0.5;
        let mut last = job(1000, 1.0);
        last.spin_after_ns = 1000;
        last.spin_share = 0.5;
        let mut spinning = scenario(vec![first, last], vec![vec![0], vec![1]]);
        spinning.resources[0].kind = two_plain_cores();
        let other = scenario(
            (0..6).map(|k| job(300 + 100 * k, 0.4)).collect(),
            vec![vec![0, 1, 2], vec![3, 4], vec![5]],
        );
        // The test's own thread has run nothing yet: its first run starts from fresh buffers.
        let alone = spinning.run();
        for _ in 0..2 {
            other.run();
            assert_eq!(spinning.run(), alone);
        }
    }

    #[test]
    fn event_steps_round_up_to_whole_nanoseconds() {
        for (t, want) in [(0.0, 0), (-3.5, 0), (f64::NAN, 0), (1.0, 1), (1.2, 2), (2999.0001, 3000)]
        {
            assert_eq!(ceil_ns(t), want, "{t}");
            if t >= 0.0 {
                assert_eq!(ceil_ns(t), t.ceil() as u64);
            }
        }
        assert_eq!(ceil_ns(1e300), u64::MAX);
    }

    /// Five jobs of one device on its units (resource 0) and bus (resource 1), of different lengths.
    fn jobs_on_units_and_bus() -> Vec<Job> {
        [(1000u64, 0.6, 0.1), (3000, 0.3, 0.4), (700, 0.9, 0.05), (2500, 0.5, 0.3), (700, 0.2, 0.6)]
            .into_iter()
            .map(|(solo, units, bus)| {
                let mut j = job(solo, units);
                j.demands.push((1, bus));
                j
            })
            .collect()
    }

    #[test]
    fn jobs_of_one_rate_run_as_the_general_rule_runs_them() {
        // Five jobs on one device's units and bus (one class: their rate is computed once per event), and the
        // same five where one also lists an idle third resource (no class: every rate computed): the same
        // schedule to the nanosecond.
        let jobs = jobs_on_units_and_bus();
        let mut one = scenario(jobs, vec![vec![0, 1, 2, 3, 4], vec![2, 4]]);
        one.resources = vec![
            Resource { kind: ResourceKind::Shared, capacity: 1.0 },
            Resource { kind: ResourceKind::Shared, capacity: 0.8 },
            Resource { kind: ResourceKind::Shared, capacity: 1.0 },
        ];
        one.domains[0].interference_per_job = 0.05;
        let mut general = one.clone();
        general.jobs[3].demands.push((2, 0.0));
        assert!(one.of_one_rate(&[0, 1, 2, 3, 4]));
        assert!(!general.of_one_rate(&[0, 1, 2, 3, 4]));
        let (a, b) = (one.run(), general.run());
        assert_eq!(a.spans, b.spans);
        assert_eq!(a.makespan_ns, b.makespan_ns);
        // Processor sharing slowed them: the first group took longer than its longest job.
        assert!(a.spans[1].end_ns > 3000);
    }

    #[test]
    fn one_rate_floors_stay_under_the_simulated_run_and_come_within_rounding_of_it() {
        // Device 0 (interference 0.05): five jobs on its units and bus, and one that also uses a third
        // resource (a class of its own); device 1: a job on cores (no one-rate class) that shares the bus.
        let mut jobs = jobs_on_units_and_bus();
        let mut odd = job(1800, 0.4);
        odd.demands.extend([(1, 0.2), (2, 0.7)]);
        jobs.push(odd);
        let mut on_cores = job(2200, 1.0);
        on_cores.demands = smallvec::smallvec![(3, 0.5), (1, 0.3)];
        on_cores.domain = 1;
        on_cores.spin_after_ns = 500;
        on_cores.spin_share = 0.5;
        jobs.push(on_cores);
        let mut sc = scenario(jobs, vec![]);
        sc.resources = vec![
            Resource { kind: ResourceKind::Shared, capacity: 1.0 },
            Resource { kind: ResourceKind::Shared, capacity: 0.8 },
            Resource { kind: ResourceKind::Shared, capacity: 1.0 },
            Resource { kind: two_plain_cores(), capacity: 1.0 },
        ];
        sc.domains =
            vec![Domain { interference_per_job: 0.05 }, Domain { interference_per_job: 0.08 }];
        // Listed in another order than the jobs: the floors index subsets of `order`'s positions.
        let order = [3, 6, 0, 5, 1, 4, 2];
        let base = sc.makespan_floors_ns(&order);
        let floors = sc.subset_floors_ns(&order);
        assert!(floors.one_rate);
        assert_eq!(floors.additive.as_ref(), Some(&base));
        let tight = floors.group;
        let mut ws = Workspace::default();
        let mut raised = 0;
        for mask in 1..1usize << order.len() {
            let group: Vec<usize> =
                (0..order.len()).filter(|b| mask >> b & 1 == 1).map(|b| order[b]).collect();
            let run = sc.run_group(&group, &mut ws).makespan_ns as f64;
            assert!(
                tight[mask] >= base[mask] && tight[mask] <= run,
                "{group:?}: {} above {run}",
                tight[mask]
            );
            // The device's five one-rate jobs alone: the floor is their makespan to within rounding.
            if group.len() >= 2 && group.iter().all(|&k| k <= 4) {
                assert!(run - tight[mask] <= 3.0 * group.len() as f64 + 1e-6 * run, "{group:?}");
                raised += usize::from(tight[mask] > base[mask]);
            }
        }
        // Every group of two or more of the five runs longer than its base floor says (interference).
        assert_eq!(raised, 26);
        // A scenario with no two jobs of one class keeps its floors.
        let lone = scenario(vec![job(1000, 0.5), job(2000, 0.5)], vec![]);
        let floors = lone.subset_floors_ns(&[0]);
        assert!(!floors.one_rate);
        assert_eq!(floors.group, vec![0.0, 1000.0]);
        // Jobs all of one class: no plain floors are needed, and the raised ones stay under each run.
        let both = lone.subset_floors_ns(&[1, 0]);
        assert!(both.one_rate && both.additive.is_none());
        for (mask, group) in [(1, vec![1]), (2, vec![0]), (3, vec![1, 0])] {
            let run = lone.run_group(&group, &mut ws).makespan_ns as f64;
            assert!(both.group[mask] <= run && run - both.group[mask] <= 6.0, "{group:?}");
        }
    }

    #[test]
    fn the_makespan_floor_never_exceeds_a_simulated_run() {
        // Jobs on a core resource (spinning and blocking pools, regions, a capped capacity) and a shared
        // bandwidth resource, with interference: every subset's floor is at most its simulated makespan.
        let cores = ResourceKind::Cores(Cores {
            spin_wait_share: 0.5,
            cores: 4.0,
            all_core_rate: 0.8,
            blocking_wait_ns: 30.0,
            spinning_wait_ns: 3000.0,
        });
        let mut jobs = Vec::new();
        for (k, (solo, share, bw)) in [
            (1000u64, 1.0, 0.6),
            (3000, 0.25, 0.1),
            (700, 0.5, 0.9),
            (2500, 0.75, 0.3),
            (400, 0.25, 0.0),
        ]
        .into_iter()
        .enumerate()
        {
            let mut j = job(solo, share);
            j.demands.push((1, bw));
            j.spins = k % 2 == 0;
            j.regions = (k * 3) as f64;
            jobs.push(j);
        }
        let mut sc = scenario(jobs, vec![]);
        sc.resources = vec![
            Resource { kind: cores, capacity: 0.75 },
            Resource { kind: ResourceKind::Shared, capacity: 1.0 },
        ];
        sc.domains[0].interference_per_job = 0.05;
        let (mut ws, mut load) = (Workspace::default(), Vec::new());
        for mask in 1..32usize {
            let group: Vec<usize> = (0..5).filter(|b| mask >> b & 1 == 1).collect();
            let floor = sc.makespan_floor_ns(&group, &mut load);
            let run = sc.run_group(&group, &mut ws).makespan_ns as f64;
            assert!(floor <= run, "{group:?}: floor {floor} above {run}");
        }
        let order = [0, 1, 2, 3, 4];
        let all = sc.makespan_floors_ns(&order);
        for (mask, floor) in all.iter().enumerate().skip(1) {
            let group: Vec<usize> = (0..5).filter(|b| mask >> b & 1 == 1).collect();
            assert_eq!(*floor, sc.makespan_floor_ns(&group, &mut load), "{group:?}");
        }
        // Processor sharing of one resource reaches the floor: all its capacity is used until the end.
        let ps = scenario(vec![job(1000, 1.0), job(3000, 1.0)], vec![]);
        assert_eq!(ps.makespan_floor_ns(&[0, 1], &mut load), 4000.0);
        assert_eq!(ps.makespan_floor_ns(&[1], &mut load), 3000.0);
    }
}

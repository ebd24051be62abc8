//! The event loop: a binary heap of events ordered by `(time, kind, seq)`, FIFO queues per model, and
//! servers whose progress rates come from the batch simulator's processor-sharing model. A server keeps its
//! remaining work and the rate it has run at since its last update; whenever the set of running requests
//! (or the throttle) changes, every running request whose rate changed is advanced and gets a new
//! completion event, and its previous completion event goes stale (a generation counter spots it).

use super::arrivals::Source;
use super::config::{Policy, ServeConfig};
use super::report::Tally;
use super::Machine;
use crate::sim::RateScratch;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Event kinds, in the order they are handled at equal times: throttling first so that work from that
/// instant runs at the new speed; completions before arrivals so that a request arriving as a server frees
/// up starts at once instead of waiting for nothing; the end of the window last, after everything at that
/// instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Throttle,
    Completion,
    Arrival,
    WindowEnd,
}

/// `seq` is unique, so the derived order is `(time, kind, seq)` and runs are deterministic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Event {
    time_ns: u64,
    kind: Kind,
    seq: u64,
    /// Server (completions) or model (arrivals).
    target: usize,
    /// Server generation the completion was computed for.
    generation: u64,
}

#[derive(Debug, Clone, Copy)]
struct Request {
    arrival_ns: u64,
    /// Arrival event's sequence number: a total order of arrivals across models.
    order: u64,
}

/// A request in service.
#[derive(Debug, Clone, Copy)]
struct Job {
    model: usize,
    request: Request,
    start_ns: u64,
}

#[derive(Debug, Clone, Default)]
struct Server {
    job: Option<Job>,
    /// Solo work left, ns, as of `since_ns`.
    remaining: f64,
    /// Rate since `since_ns` (0 while idle or just started, so any real rate counts as a change).
    rate: f64,
    since_ns: u64,
    generation: u64,
}

/// One simulation in progress.
pub(crate) struct Engine<'a> {
    machine: &'a Machine,
    /// Shared slot: the static rank of each model (lower runs first, ties by arrival); `None`: one server
    /// per model.
    rank: Option<Vec<u64>>,
    sources: Vec<Source<'a>>,
    queues: Vec<VecDeque<Request>>,
    servers: Vec<Server>,
    heap: BinaryHeap<Reverse<Event>>,
    seq: u64,
    now: u64,
    speed: f64,
    throttle_speed: f64,
    end_ns: u64,
    active: Vec<usize>,
    scratch: RateScratch,
    running: usize,
    running_since: u64,
    /// Servers an arrival or completion touched at the current instant: the ones to dispatch.
    touched: Vec<usize>,
    /// The running set or the speed changed at the current instant: rates must be recomputed.
    dirty: bool,
    tally: Tally,
    events: u64,
}

impl<'a> Engine<'a> {
    /// An engine for `config` (validated) with Poisson and Periodic rates multiplied by `scale`.
    pub(crate) fn new(machine: &'a Machine, config: &'a ServeConfig, scale: f64) -> Self {
        let n = machine.service_ns.len();
        let rank = shared_rank(&config.policy, machine);
        let servers = if rank.is_some() { 1 } else { n };
        let sources =
            (0..n).map(|m| Source::new(&config.arrivals[m], scale, config.seed, m)).collect();
        let mut engine = Engine {
            machine,
            rank,
            sources,
            queues: vec![VecDeque::new(); n],
            servers: vec![Server::default(); servers],
            heap: BinaryHeap::with_capacity(4 * n + 2),
            seq: 0,
            now: 0,
            speed: 1.0,
            throttle_speed: config.throttle.map_or(1.0, |t| t.speed),
            end_ns: config.end_ns(),
            active: Vec::with_capacity(n),
            scratch: RateScratch::default(),
            running: 0,
            running_since: 0,
            touched: Vec::with_capacity(n),
            dirty: false,
            tally: Tally::new(n, config.warmup_ns(), config.end_ns()),
            events: 0,
        };
        engine.seed_events(config);
        engine
    }

    fn seed_events(&mut self, config: &ServeConfig) {
        if let Some(t) = config.throttle {
            self.push(t.after_ns, Kind::Throttle, 0, 0);
        }
        self.push(self.end_ns, Kind::WindowEnd, 0, 0);
        for m in 0..self.sources.len() {
            self.schedule_arrival(m);
        }
    }

    fn push(&mut self, time_ns: u64, kind: Kind, target: usize, generation: u64) {
        self.seq += 1;
        self.heap.push(Reverse(Event { time_ns, kind, seq: self.seq, target, generation }));
    }

    fn schedule_arrival(&mut self, m: usize) {
        if let Some(t) = self.sources[m].next(self.end_ns) {
            self.push(t, Kind::Arrival, m, 0);
        }
    }

    /// Runs until every request has completed; returns the tally and the number of events handled.
    pub(crate) fn run(mut self) -> (Tally, u64) {
        while let Some(Reverse(ev)) = self.heap.pop() {
            if self.is_stale(&ev) {
                continue;
            }
            self.now = ev.time_ns;
            self.events += 1;
            match ev.kind {
                Kind::Throttle => {
                    self.speed = self.throttle_speed;
                    self.dirty = true;
                }
                Kind::Completion => self.complete(ev.target),
                Kind::Arrival => self.arrive(ev.target, ev.seq),
                Kind::WindowEnd => self.snapshot_backlog(),
            }
            // Everything that happens at one instant is seen before anyone is dispatched, so that a
            // scheduler choosing among simultaneous arrivals really gets to choose.
            if self.next_is_now() {
                continue;
            }
            self.dispatch();
            if self.dirty {
                self.reschedule();
                self.dirty = false;
            }
        }
        (self.tally, self.events)
    }

    fn is_stale(&self, ev: &Event) -> bool {
        ev.kind == Kind::Completion && self.servers[ev.target].generation != ev.generation
    }

    /// Whether a live event remains at the current instant (stale ones on the way are dropped).
    fn next_is_now(&mut self) -> bool {
        while let Some(&Reverse(top)) = self.heap.peek() {
            if top.time_ns != self.now {
                return false;
            }
            if !self.is_stale(&top) {
                return true;
            }
            self.heap.pop();
        }
        false
    }

    fn server_of(&self, m: usize) -> usize {
        if self.rank.is_some() {
            0
        } else {
            m
        }
    }

    fn arrive(&mut self, m: usize, order: u64) {
        self.tally.arrive(m, self.now);
        self.queues[m].push_back(Request { arrival_ns: self.now, order });
        self.schedule_arrival(m);
        self.touched.push(self.server_of(m));
    }

    fn complete(&mut self, s: usize) {
        let server = &mut self.servers[s];
        let Some(job) = server.job.take() else {
            debug_assert!(false, "completion of an idle server");
            return;
        };
        server.rate = 0.0;
        server.generation += 1;
        let (arrival, now) = (job.request.arrival_ns, self.now);
        self.tally.complete(job.model, arrival, job.start_ns, now);
        self.running -= 1;
        if self.running == 0 {
            self.tally.busy(self.running_since, now);
        }
        self.touched.push(s);
        self.dirty = true;
    }

    /// Starts a request on every idle server that an arrival or completion touched.
    fn dispatch(&mut self) {
        while let Some(s) = self.touched.pop() {
            if self.servers[s].job.is_none() && self.start_next(s) {
                self.dirty = true;
            }
        }
    }

    /// The model whose queue server `s` takes its next request from.
    fn pick(&self, s: usize) -> Option<usize> {
        let Some(rank) = &self.rank else {
            return (!self.queues[s].is_empty()).then_some(s);
        };
        self.queues
            .iter()
            .enumerate()
            .filter_map(|(m, q)| q.front().map(|r| (rank[m], r.order, m)))
            .min()
            .map(|(_, _, m)| m)
    }

    /// Starts the next request on idle server `s`, if any waits; returns whether one started.
    fn start_next(&mut self, s: usize) -> bool {
        let Some(request) = self.pick(s).and_then(|m| self.queues[m].pop_front().map(|r| (m, r)))
        else {
            return false;
        };
        let (model, request) = request;
        self.tally.start(model, request.arrival_ns, self.now);
        if self.running == 0 {
            self.running_since = self.now;
        }
        self.running += 1;
        let server = &mut self.servers[s];
        server.job = Some(Job { model, request, start_ns: self.now });
        server.remaining = self.machine.service_ns[model] as f64;
        server.rate = 0.0;
        server.since_ns = self.now;
        true
    }

    /// Gives every running request whose rate changed its new rate and completion time.
    fn reschedule(&mut self) {
        self.active.clear();
        self.active.extend(self.servers.iter().filter_map(|s| s.job.map(|j| j.model)));
        if self.active.is_empty() {
            return;
        }
        let rates = self.machine.scenario.rates(&self.active, &mut self.scratch);
        let busy = self.servers.iter_mut().enumerate().filter(|(_, s)| s.job.is_some());
        for ((index, server), &rate) in busy.zip(rates) {
            let rate = rate * self.speed;
            if rate == server.rate {
                continue;
            }
            let elapsed = (self.now - server.since_ns) as f64;
            server.remaining = (server.remaining - server.rate * elapsed).max(0.0);
            server.since_ns = self.now;
            server.rate = rate;
            server.generation += 1;
            // Whole nanoseconds, rounded up: a request never finishes before its work is done.
            let dt = (server.remaining / rate).ceil() as u64;
            self.seq += 1;
            self.heap.push(Reverse(Event {
                time_ns: self.now.saturating_add(dt),
                kind: Kind::Completion,
                seq: self.seq,
                target: index,
                generation: server.generation,
            }));
        }
    }

    fn snapshot_backlog(&mut self) {
        for m in 0..self.queues.len() {
            let in_service =
                self.servers.iter().filter(|s| s.job.is_some_and(|j| j.model == m)).count();
            self.tally.backlog(m, (self.queues[m].len() + in_service) as u64);
        }
    }
}

/// The static order of the shared-slot policies; `None` for [`Policy::Parallel`].
fn shared_rank(policy: &Policy, machine: &Machine) -> Option<Vec<u64>> {
    let n = machine.service_ns.len();
    match policy {
        Policy::Parallel => None,
        Policy::Fifo => Some(vec![0; n]),
        Policy::ShortestJobFirst => Some(machine.alone_ns.clone()),
        Policy::Priority(levels) => Some(levels.iter().map(|&l| u64::from(l)).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::config::Arrivals;
    use crate::sim::{Domain, Job as SimJob, Resource, ResourceKind, Scenario};

    /// Two models whose requests each need the whole device for 1,000 ns.
    fn machine() -> Machine {
        let job = SimJob {
            solo_ns: 1000,
            demands: smallvec::smallvec![(0, 1.0)],
            domain: 0,
            pool: 0,
            resident_mb: 0.0,
            running_mb: 0.0,
            activity: 1.0,
            spins: false,
            regions: 0.0,
            spin_after_ns: 0,
            spin_share: 0.0,
            pool_key: 0,
        };
        Machine {
            scenario: Scenario {
                resources: vec![Resource { kind: ResourceKind::Shared, capacity: 1.0 }],
                domains: vec![Domain { interference_per_job: 0.0 }],
                jobs: vec![job.clone(), job],
                groups: vec![],
                base_mb: vec![0.0],
                group_gap_ns: 0,
            },
            service_ns: vec![1000, 1000],
            alone_ns: vec![1000, 1000],
            names: vec!["a".into(), "b".into()],
            items: vec![1, 1],
        }
    }

    /// Largest latency of each model, ns, for one request per model at the given times (ms).
    fn latencies(policy: Policy, at_ms: [f64; 2]) -> Vec<f64> {
        let m = machine();
        let arrivals = at_ms.iter().map(|&t| Arrivals::Trace { times_ms: vec![t] }).collect();
        let config = ServeConfig { warmup_s: 0.0, ..ServeConfig::new(arrivals, policy, 1.0) };
        let (tally, _) = Engine::new(&m, &config, 1.0).run();
        let report = tally.report(&m, &config.policy, 0, crate::serve::STABLE_TREND);
        report.models.iter().map(|r| r.latency.unwrap().max_ms * 1e6).collect()
    }

    #[test]
    fn parallel_servers_share_the_device() {
        // Together from 0: both run at half speed and finish at 2,000 ns.
        assert_eq!(latencies(Policy::Parallel, [0.0, 0.0]), [2000.0, 2000.0]);
        // b arrives at 500 ns: a has 500 ns of work left at rate 1/2 (done at 1,500 ns); b then has
        // 1000 − 500 = 500 ns left alone (done at 2,000 ns, 1,500 ns after it arrived).
        assert_eq!(latencies(Policy::Parallel, [0.0, 0.0005]), [1500.0, 1500.0]);
    }

    #[test]
    fn a_shared_slot_runs_one_request_at_a_time() {
        assert_eq!(latencies(Policy::Fifo, [0.0, 0.0]), [1000.0, 2000.0]);
        assert_eq!(latencies(Policy::Priority(vec![1, 0]), [0.0, 0.0]), [2000.0, 1000.0]);
    }
}

//! The spinning thread pool the calibration probes run on: the caller and `threads − 1` workers started once
//! spin between parallel regions on an epoch counter and meet at a spin barrier, as OpenMP and ONNX Runtime
//! pools do, so that a region costs what the hardware makes it cost.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

struct Shared {
    epoch: AtomicU64,
    done: AtomicUsize,
    stop: AtomicBool,
}

/// Spins until `ready`, yielding the core after a long wait so that a descheduled partner can run.
fn spin_until(ready: impl Fn() -> bool) {
    let mut spins = 0u32;
    while !ready() {
        spins += 1;
        if spins < 1 << 16 {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
}

/// Ends the workers however the body leaves.
struct Stop<'a>(&'a Shared);

impl Drop for Stop<'_> {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Relaxed);
        self.0.epoch.fetch_add(1, Ordering::Release);
    }
}

/// Runs `body` with a pool of `threads` threads (the caller and `threads − 1` workers started once) that spin
/// between regions. `body` gets a function that runs one parallel region, `work(thread, region number)` on
/// every thread, and returns when all have finished (the spin barrier).
pub(super) fn with_pool<R>(
    threads: usize,
    work: &(dyn Fn(usize, u64) + Sync),
    body: impl FnOnce(&dyn Fn()) -> R,
) -> R {
    let threads = threads.max(1);
    let shared = Shared {
        epoch: AtomicU64::new(0),
        done: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
    };
    std::thread::scope(|s| {
        for i in 1..threads {
            let sh = &shared;
            s.spawn(move || {
                let mut seen = 0;
                loop {
                    spin_until(|| sh.epoch.load(Ordering::Acquire) != seen);
                    seen = sh.epoch.load(Ordering::Acquire);
                    if sh.stop.load(Ordering::Relaxed) {
                        return;
                    }
                    work(i, seen);
                    sh.done.fetch_add(1, Ordering::AcqRel);
                }
            });
        }
        let _stop = Stop(&shared);
        let region = || {
            shared.done.store(0, Ordering::Relaxed);
            let e = shared.epoch.fetch_add(1, Ordering::Release) + 1;
            work(0, e);
            spin_until(|| shared.done.load(Ordering::Acquire) + 1 >= threads);
        };
        body(&region)
    })
}

/// Seconds per region of `work` on `threads` threads, over regions run back to back for `sample_s` (one
/// warm-up region first).
pub(super) fn region_seconds(
    threads: usize,
    work: &(dyn Fn(usize, u64) + Sync),
    sample_s: f64,
) -> f64 {
    with_pool(threads, work, |region| {
        region();
        let t0 = Instant::now();
        let mut n = 0u32;
        while n == 0 || t0.elapsed().as_secs_f64() < sample_s {
            region();
            n += 1;
        }
        t0.elapsed().as_secs_f64() / f64::from(n)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spinning_pool_runs_every_thread_once_per_region() {
        let hits: Vec<AtomicUsize> = (0..3).map(|_| AtomicUsize::new(0)).collect();
        let work = |i: usize, _: u64| {
            hits[i].fetch_add(1, Ordering::Relaxed);
        };
        with_pool(3, &work, |region| (0..10).for_each(|_| region()));
        assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 10));
    }
}

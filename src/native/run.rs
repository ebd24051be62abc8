//! Running built-in workloads on this CPU with real threads: each GEMM's rows are split between the model's
//! threads, fork-join per GEMM (the calling thread takes one block and `threads − 1` scoped threads the
//! others), so a 1-thread run starts no thread and every GEMM of a multi-thread run pays one fork and join,
//! like a kernel launch. Joins block (no spinning), so models that oversubscribe the cores wait without
//! burning them.

use std::time::Instant;

use crate::catalog::models::ChainGemm;
use crate::workload::{self, Workload};

/// A workload with its data, ready to run.
pub struct Ready {
    /// The chain.
    pub workload: Workload,
    input: Vec<f32>,
    weights: Vec<Vec<f32>>,
}

impl Ready {
    /// Generates the seeded input and weights.
    pub fn new(workload: Workload) -> Ready {
        let input = workload.input();
        let weights = (0..workload.gemms.len()).map(|i| workload.weights(i)).collect();
        Ready { workload, input, weights }
    }

    /// The single-thread reference output (`workload::run_cpu` on this data).
    pub fn reference(&self) -> Vec<f32> {
        workload::run_cpu(&self.workload, &self.input, &self.weights)
    }

    /// Runs the chain once on `threads` threads; returns the output.
    pub fn run(&self, threads: usize) -> Vec<f32> {
        let threads = threads.max(1);
        let mut y: Vec<f32> = Vec::new();
        let mut x = self.input.clone();
        let mut prev: Option<ChainGemm> = None;
        for (i, g) in self.workload.gemms.iter().enumerate() {
            if let Some(p) = prev {
                workload::chain_input(&y, p.m, p.n, *g, &mut x);
            }
            let (m, k, n) = (g.m as usize, g.k as usize, g.n as usize);
            y.clear();
            y.resize(m * n, 0.0);
            let w = &self.weights[i];
            let rows = rows_per_thread(m, threads);
            let mut parts = x.chunks(rows * k).zip(y.chunks_mut(rows * n));
            // The calling thread takes the first block; a thread is started for each of the others.
            let first = parts.next();
            std::thread::scope(|s| {
                for (xs, ys) in parts {
                    s.spawn(move || workload::gemm_rows(xs, w, k, n, ys));
                }
                if let Some((xs, ys)) = first {
                    workload::gemm_rows(xs, w, k, n, ys);
                }
            });
            prev = Some(*g);
        }
        y
    }

    /// The seeded input and each GEMM's weights, as the chain runs them.
    pub fn data(&self) -> (&[f32], &[Vec<f32>]) {
        (&self.input, &self.weights)
    }

    /// Runs once and returns the elapsed milliseconds and the output.
    pub fn timed(&self, threads: usize) -> (f64, Vec<f32>) {
        let t0 = Instant::now();
        let out = self.run(threads);
        (t0.elapsed().as_secs_f64() * 1e3, out)
    }
}

/// Rows of an `m`-row GEMM each thread takes on `threads` threads (the last takes the rest): no more threads
/// are started than there are rows, so the calling thread's block, the largest, is `⌈m / t⌉` rows.
pub fn rows_per_thread(m: usize, threads: usize) -> usize {
    m.div_ceil(threads.min(m).max(1))
}

/// A workload of one GEMM (what `mmperf calibrate` times).
pub fn single(g: ChainGemm) -> Workload {
    Workload {
        model: "calibration".to_string(),
        batch: 1,
        gemms: vec![g],
        scale: 1.0,
        full_gflop: 2.0 * f64::from(g.m) * f64::from(g.k) * f64::from(g.n) / 1e9,
        seed: 1,
    }
}

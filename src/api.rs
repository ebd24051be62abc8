//! The entry point most callers want: [`MultiModelPredictor`], named after the seed's class, with the seed's
//! two operations. It resolves the workload once and hands it to the simulator and the planner.
//!
//! ```
//! use multimodel_perf::{MultiModelPredictor, Strategy, Target, wire};
//!
//! let workload = wire::parse_workload(r#"[
//!     {"model_name": "bert-base-uncased", "batch_size": 4},
//!     {"model_name": "vit-base-patch16-224"},
//!     {"model_name": "t5-small", "batch_size": 2}
//! ]"#)?.workload;
//! let predictor = MultiModelPredictor::default();
//! let target = Target::new("cuda:a100-40gb")?;
//! let parallel = predictor.predict(&workload, &target, Strategy::Parallel)?;
//! let sequential = predictor.predict(&workload, &target, Strategy::Sequential)?;
//! // The schedule and the totals come from one simulation, so they agree.
//! let last_end = parallel.models.iter().map(|m| m.end_ms).fold(0.0, f64::max);
//! assert!((last_end - parallel.combined_latency_ms).abs() < 1e-9);
//! assert!(parallel.combined_memory_mb >= sequential.combined_memory_mb);
//! # Ok::<(), multimodel_perf::Error>(())
//! ```

use std::sync::Arc;

use crate::catalog::sharing::SharingConfig;
use crate::error::Result;
use crate::plan::{self, Goal, Recommendation};
use crate::predict::memo::{PreparedMemo, SingleMemo};
use crate::predict::multi::{prepare_with, MultiPrediction, Prepared, Strategy, Target, Workload};

/// Predicts and plans multi-model workloads with one sharing table, keeping the single-model predictions
/// its calls make for the next ones ([`SingleMemo`]: the same numbers, computed once) and the workload it
/// resolved last ([`PreparedMemo`]: a call about the same workload and target resolves nothing again).
#[derive(Debug, Clone, PartialEq)]
pub struct MultiModelPredictor {
    /// Cross-model sharing rules (empty: only identical weights are shared).
    pub sharing: SharingConfig,
    /// Single-model predictions kept between calls (shared by the predictor's clones); `None`: every call
    /// computes its own.
    pub memo: Option<SingleMemo>,
    /// The workload [`Self::predict`] and [`Self::recommend`] resolved last, kept for the next call (shared
    /// by the predictor's clones), with what its calls made for the next ones: each model's prediction on its
    /// own threads and the plans of its first recommend's grouping searches ([`crate::predict::memo::Kept`]);
    /// `None`: every call resolves its workload and searches.
    pub prepared: Option<PreparedMemo>,
}

impl Default for MultiModelPredictor {
    fn default() -> Self {
        Self::new(SharingConfig::default())
    }
}

impl MultiModelPredictor {
    /// A predictor with a sharing table (and an empty memo).
    pub fn new(sharing: SharingConfig) -> Self {
        MultiModelPredictor {
            sharing,
            memo: Some(SingleMemo::new()),
            prepared: Some(PreparedMemo::new()),
        }
    }

    /// The same predictor without its memos: every call resolves its workload and costs every model again.
    pub fn without_memo(self) -> Self {
        MultiModelPredictor { memo: None, prepared: None, ..self }
    }

    /// Resolves a workload once, for evaluating several plans.
    pub fn prepare(&self, workload: &Workload, target: &Target) -> Result<Prepared> {
        prepare_with(workload, target, &self.sharing, self.memo.as_ref())
    }

    /// The seed's `predict_multi_model_performance`: one strategy, simulated.
    pub fn predict(
        &self,
        workload: &Workload,
        target: &Target,
        strategy: Strategy,
    ) -> Result<MultiPrediction> {
        let prep = self.prepared(workload, target)?;
        let plan = prep.plan(strategy);
        let singles = prep.singles(&plan);
        Ok(prep.evaluate_owned(plan, singles))
    }

    /// The seed's `recommend_execution_strategy`: every strategy evaluated, the best feasible one for `goal`.
    pub fn recommend(
        &self,
        workload: &Workload,
        target: &Target,
        goal: Goal,
    ) -> Result<Recommendation> {
        let prep = self.prepared(workload, target)?;
        Ok(plan::recommend(&prep, goal))
    }

    /// The workload resolved for `target`: the kept one where it is the same ([`PreparedMemo`]), else
    /// resolved now (and kept), shared with the memo. [`Self::prepare`] resolves a fresh one every time.
    pub fn prepared(&self, workload: &Workload, target: &Target) -> Result<Arc<Prepared>> {
        match &self.prepared {
            Some(memo) => memo
                .get_or_prepare(workload, target, &self.sharing, || self.prepare(workload, target)),
            None => self.prepare(workload, target).map(Arc::new),
        }
    }
}

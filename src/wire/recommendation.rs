//! A recommendation as JSON (`recommendExecutionStrategy`, `mmperf recommend --json`): the chosen option's
//! plan and full prediction, every alternative's plan and totals, and the reason.

use crate::flatmap::FlatMap;

use serde::Serialize;

use super::{plan_dto, totals, PlanDto, PredictionDto, TotalMetricsDto};
use crate::plan::Recommendation;

/// An alternative in a recommendation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "Alternative"))]
pub struct AlternativeDto {
    /// Label.
    pub label: String,
    /// Plan.
    pub plan: PlanDto,
    /// Totals.
    pub total_metrics: TotalMetricsDto,
}

/// The result of `recommend`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "RecommendationResult"))]
pub struct RecommendationDto {
    /// Chosen option's label.
    pub recommended_strategy: String,
    /// What to do.
    pub plan: PlanDto,
    /// Goal.
    #[cfg_attr(test, ts(type = "Goal"))]
    pub optimization_goal: String,
    /// Totals per option label.
    pub all_predictions: FlatMap<String, TotalMetricsDto>,
    /// Every option with its plan.
    pub alternatives: Vec<AlternativeDto>,
    /// Why.
    pub reason: String,
    /// Exact grouping search.
    pub exact_grouping: bool,
    /// The chosen option's full prediction.
    pub prediction: PredictionDto,
}

/// Converts a recommendation to its JSON shape.
impl From<&Recommendation> for RecommendationDto {
    fn from(r: &Recommendation) -> RecommendationDto {
        RecommendationDto::with_timelines(r, true)
    }
}

impl RecommendationDto {
    /// [`RecommendationDto::from`], the chosen option's prediction as [`PredictionDto::with_timelines`] gives
    /// it.
    pub fn with_timelines(r: &Recommendation, timelines: bool) -> RecommendationDto {
        let best = r.best();
        RecommendationDto {
            recommended_strategy: best.label.clone(),
            plan: plan_dto(&best.prediction),
            optimization_goal: r.goal.name().to_string(),
            all_predictions: r
                .candidates
                .iter()
                .map(|c| (c.label.clone(), totals(&c.prediction)))
                .collect(),
            alternatives: r
                .candidates
                .iter()
                .map(|c| AlternativeDto {
                    label: c.label.clone(),
                    plan: plan_dto(&c.prediction),
                    total_metrics: totals(&c.prediction),
                })
                .collect(),
            reason: r.reason.clone(),
            exact_grouping: r.exact_grouping,
            prediction: PredictionDto::with_timelines(&best.prediction, timelines),
        }
    }
}

//! The cross-model sharing table in the seed's schema: per model type, which types it can share tensors with,
//! how much of the shared part's work is saved (`sharing_efficiency`) and how much of the smaller model's
//! weights can be deduplicated (`memory_reduction`).
//!
//! The default table is empty: two different models only share weights when they really hold the same
//! tensors, which the predictor detects itself (same model and precision). A table is an explicit claim by the
//! user, e.g. for adapters over one frozen base.

use super::ModelType;
use crate::error::{Error, Result};

/// One row of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct SharingRule {
    /// Types this type can share with.
    pub compatible_types: Vec<ModelType>,
    /// Fraction (0..=1) of the shared part's loading/compute work saved.
    pub sharing_efficiency: f64,
    /// Fraction (0..=1) of the smaller model's weights that is shared.
    pub memory_reduction: f64,
}

/// The whole table, keyed by model type.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SharingConfig {
    /// Rules, at most one per type, sorted by type.
    pub rules: Vec<(ModelType, SharingRule)>,
}

impl SharingConfig {
    /// Builds a table, checking every fraction.
    pub fn new(mut rules: Vec<(ModelType, SharingRule)>) -> Result<Self> {
        for (ty, rule) in &rules {
            for (name, v) in [
                ("sharing_efficiency", rule.sharing_efficiency),
                ("memory_reduction", rule.memory_reduction),
            ] {
                if !(0.0..=1.0).contains(&v) {
                    return Err(Error::invalid(
                        format!("sharing_config.{}.{name}", ty.name()),
                        v,
                        "a number from 0 to 1",
                    ));
                }
            }
        }
        crate::sorting::sort_by_key(&mut rules, |(t, _)| *t);
        rules.dedup_by_key(|(t, _)| *t);
        Ok(SharingConfig { rules })
    }

    /// The rule that applies to a pair, looked up symmetrically: either side may declare the other compatible.
    /// When both do, the smaller reduction and efficiency apply, so the answer never depends on which model
    /// is listed first.
    pub fn pair(&self, a: ModelType, b: ModelType) -> Option<(f64, f64)> {
        let side = |x: ModelType, y: ModelType| {
            self.rules
                .iter()
                .find(|(t, _)| *t == x)
                .filter(|(_, r)| r.compatible_types.contains(&y))
                .map(|(_, r)| (r.sharing_efficiency, r.memory_reduction))
        };
        match (side(a, b), side(b, a)) {
            (Some(x), Some(y)) => Some((x.0.min(y.0), x.1.min(y.1))),
            (x, y) => x.or(y),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_is_symmetric() {
        let rule = SharingRule {
            compatible_types: vec![ModelType::Vision],
            sharing_efficiency: 0.4,
            memory_reduction: 0.25,
        };
        let cfg = SharingConfig::new(vec![(ModelType::Multimodal, rule)]).unwrap();
        assert_eq!(
            cfg.pair(ModelType::Vision, ModelType::Multimodal),
            cfg.pair(ModelType::Multimodal, ModelType::Vision)
        );
        assert_eq!(cfg.pair(ModelType::Vision, ModelType::Audio), None);
    }

    #[test]
    fn fractions_outside_unit_interval_are_rejected() {
        let rule = SharingRule {
            compatible_types: vec![],
            sharing_efficiency: 1.5,
            memory_reduction: 0.1,
        };
        let err = SharingConfig::new(vec![(ModelType::Vision, rule)]).unwrap_err().to_string();
        assert!(err.contains("sharing_config.vision.sharing_efficiency"), "{err}");
    }
}

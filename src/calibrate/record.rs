//! What ran and what was measured: a [`Measurement`] keeps the workload (every model entry with its device,
//! runtime and threads), the device profiles the prediction used, the plan that ran, the prediction made
//! before the run and the measured times, so that any later profile can predict the same run again.

use crate::catalog::hardware::DeviceProfile;
use crate::catalog::sharing::SharingConfig;
use crate::error::{Error, Result};
use crate::predict::multi::{
    prepare, MultiPrediction, Plan, Residency, Strategy, Target, Workload,
};
use crate::predict::spec::ModelSpec;

/// One model in a measured run.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasuredModel {
    /// The entry as predicted (device, runtime and threads explicit).
    pub spec: ModelSpec,
    /// Latency the prediction gave it in the plan before the run, ms.
    pub predicted_ms: f64,
    /// Measured latency, from its start to its result, ms.
    pub measured_ms: f64,
}

/// One measured run of a workload with a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// When it ran (ms since the Unix epoch, given by the caller: the core reads no clock).
    pub timestamp_ms: f64,
    /// Who measured it: `pool`, `mmperf measure`, `external`.
    pub source: String,
    /// Id of the profile the run is attributed to (the one calibration refits).
    pub hardware: String,
    /// Every device profile the models were placed on, as predicted.
    pub profiles: Vec<DeviceProfile>,
    /// The strategy that ran.
    pub strategy: Strategy,
    /// Groups run one after another (indices into `models`); models in a group ran together.
    pub groups: Vec<Vec<usize>>,
    /// The models.
    pub models: Vec<MeasuredModel>,
    /// Predicted makespan before the run, ms.
    pub predicted_makespan_ms: f64,
    /// Measured makespan, ms.
    pub measured_makespan_ms: f64,
    /// Peak memory the platform reported, MB, where it does.
    pub memory_mb: Option<f64>,
}

impl Measurement {
    /// Rejects what cannot be a measurement, naming the field: non-finite or non-positive times, an empty
    /// model list, groups that do not cover every model exactly once, a model on a profile not given.
    pub fn validate(&self) -> Result<()> {
        let time = |field: String, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(field, v, "a positive, finite number of ms"))
            }
        };
        if !(self.timestamp_ms.is_finite() && self.timestamp_ms >= 0.0) {
            return Err(Error::invalid(
                "timestamp_ms",
                self.timestamp_ms,
                "a non-negative number of ms since the Unix epoch",
            ));
        }
        if self.models.is_empty() {
            return Err(Error::invalid("models", "[]", "at least one measured model"));
        }
        time("measured_makespan_ms".to_string(), self.measured_makespan_ms)?;
        time("predicted_makespan_ms".to_string(), self.predicted_makespan_ms)?;
        for (i, m) in self.models.iter().enumerate() {
            time(format!("models[{i}].measured_ms"), m.measured_ms)?;
            time(format!("models[{i}].predicted_ms"), m.predicted_ms)?;
            if let Some(d) = &m.spec.device {
                if !self.profiles.iter().any(|p| &p.id == d) {
                    return Err(Error::invalid(
                        format!("models[{i}].device"),
                        d,
                        "the id of one of the measurement's profiles",
                    ));
                }
            }
        }
        if let Some(mem) = self.memory_mb {
            if !(mem.is_finite() && mem >= 0.0) {
                return Err(Error::invalid("memory_mb", mem, "a non-negative number of MB"));
            }
        }
        let mut seen = vec![false; self.models.len()];
        for g in &self.groups {
            for &i in g {
                if i >= seen.len() || seen[i] {
                    return Err(Error::invalid(
                        "groups",
                        format!("{:?}", self.groups),
                        format!("each model index 0..{} exactly once", self.models.len()),
                    ));
                }
                seen[i] = true;
            }
        }
        if seen.iter().any(|s| !s) || self.groups.is_empty() {
            return Err(Error::invalid(
                "groups",
                format!("{:?}", self.groups),
                format!("each model index 0..{} exactly once", self.models.len()),
            ));
        }
        if !self.profiles.iter().any(|p| p.id == self.hardware) {
            return Err(Error::invalid(
                "hardware",
                &self.hardware,
                "the id of one of the measurement's profiles",
            ));
        }
        Ok(())
    }

    /// Indices of the models that ran alone (their group has one model): their latency is a solo time.
    pub fn solo(&self) -> impl Iterator<Item = usize> + '_ {
        self.groups.iter().filter(|g| g.len() == 1).map(|g| g[0])
    }

    /// Whether some models ran together.
    pub fn concurrent(&self) -> bool {
        self.groups.iter().any(|g| g.len() > 1)
    }

    /// Predicts this run again with `profile` in place of the profile of the same id.
    pub fn repredict(&self, profile: &DeviceProfile) -> Result<MultiPrediction> {
        let mut profiles = self.profiles.clone();
        for p in &mut profiles {
            if p.id == profile.id {
                *p = profile.clone();
            }
        }
        let main = profiles.iter().find(|p| p.id == self.hardware).cloned().ok_or_else(|| {
            Error::invalid("hardware", &self.hardware, "a profile of the measurement")
        })?;
        let target = Target { device: main.into(), runtime: None, devices: profiles };
        let workload = Workload {
            models: self.models.iter().map(|m| m.spec.clone()).collect(),
            constraints: Default::default(),
        };
        let prep = prepare(&workload, &target, &SharingConfig::default())?;
        let plan = Plan {
            strategy: self.strategy,
            groups: self.groups.clone(),
            threads: vec![None; self.models.len()],
            residency: Residency::Resident,
        };
        Ok(prep.evaluate(&plan))
    }
}

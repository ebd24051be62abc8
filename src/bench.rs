//! The workloads every speed measurement of the predictor uses, so that `mmperf bench`, `cargo bench`,
//! `npm run bench` (which builds the same lists from `catalogModels()`) and the prediction snapshot test
//! time and pin the same calls:
//!
//! - [`seed`]: the three-model workload of the original design (`examples/seed.json`);
//! - [`catalog_mix`]: `n` models cycling through the catalog in its order, batch `1 + i mod 4`, every other
//!   option at its default. Its 8- and 50-model lists are the "recommend 8 / 50 models" of the speed targets.

use crate::catalog::models::catalog;
use crate::predict::multi::Workload;
use crate::predict::spec::ModelSpec;

/// The original design's three models: BERT-base at batch 4, ViT-base at batch 1, T5-small at batch 2.
pub fn seed() -> Workload {
    Workload {
        models: vec![
            ModelSpec::named("bert-base-uncased").with_batch(4),
            ModelSpec::named("vit-base-patch16-224"),
            ModelSpec::named("t5-small").with_batch(2),
        ],
        constraints: Default::default(),
    }
}

/// `n` catalog models in catalog order (repeating past its end), model `i` at batch `1 + i mod 4`.
pub fn catalog_mix(n: usize) -> Workload {
    let models = catalog();
    Workload {
        models: (0..n)
            .map(|i| ModelSpec::named(models[i % models.len()].name).with_batch(1 + (i % 4) as u32))
            .collect(),
        constraints: Default::default(),
    }
}

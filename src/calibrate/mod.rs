//! Validation and self-calibration (platform-free): [`record`] keeps what ran and what was measured,
//! [`metrics`] says how good the predictions were, [`fit`] refits a device profile from measurements and
//! checks the refit on held-out ones. Storage (SQLite natively, IndexedDB in the browser) and measuring
//! live outside the core.

pub mod figure;
pub mod fit;
pub mod metrics;
pub mod real;
pub mod record;
pub mod wasm;

pub use fit::{refit, split_half, Fit, Scales};
pub use metrics::{validate, ErrorStats, Validation};
pub use record::{MeasuredModel, Measurement};

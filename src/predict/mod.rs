//! Predictions: one model alone ([`single`]), and several together under a plan ([`multi`], assembled by
//! [`report`] from the simulated schedule).

pub mod coldstart;
pub mod memory;
pub mod multi;
pub mod report;
pub mod single;
pub mod spec;

//! Predictions: one model alone ([`single`]), and several together under a strategy ([`multi`]).

pub mod single;
pub mod spec;

//! Predictions: one model alone ([`single`]), and several together under a plan ([`multi`], assembled by
//! [`report`] from the simulated schedule); the `batched` strategy's grouping search ([`grouping`]), CPU
//! thread splits ([`threads`]) and OpenVINO's split of a CPU into streams of concurrent requests ([`streams`]).

pub mod coldstart;
pub mod grouping;
pub mod memo;
pub mod memory;
pub mod multi;
pub mod report;
pub mod single;
pub mod spec;
pub mod streams;
pub mod threads;

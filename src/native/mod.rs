//! Native only (`cfg(not(target_arch = "wasm32"))`): measuring on the CPU the CLI runs on (threads, clocks),
//! the microbenchmarks of `mmperf calibrate`, and the SQLite measurement store.

pub mod bench;
pub mod machine;
pub mod measure;
mod pool;
pub mod published;
pub mod run;
pub mod speed;
pub mod store;
#[cfg(test)]
mod typescript;

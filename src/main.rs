//! The `mmperf` binary. The CLI lives in `cli.rs`; it needs a terminal and files, so a WebAssembly build of
//! this crate compiles the binary to nothing (the wasm package is the library's `web` module).

#[cfg(not(target_arch = "wasm32"))]
mod cli;

/// mimalloc in place of the system's allocator: the predictor makes many small short-lived allocations
/// (results, schedules, the grouping search's buffers): a 3-model predict about 65 (callgrind, session 33),
/// where glibc's malloc and free were about 45 % of its instructions (35,551 -> 24,473 per call with mimalloc).
/// The library leaves the allocator to the program that links it.
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}

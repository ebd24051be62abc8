//! The `mmperf` binary. The CLI lives in `cli.rs`; it needs a terminal and files, so a WebAssembly build of
//! this crate compiles the binary to nothing (the wasm package is the library's `web` module).

#[cfg(not(target_arch = "wasm32"))]
mod cli;

/// mimalloc in place of the system's allocator: the predictor makes many small short-lived allocations
/// (results, schedules, the grouping search's buffers), where glibc's malloc and free cost about 45 % of a
/// 3-model predict's instructions. The library leaves the allocator to the program that links it.
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}

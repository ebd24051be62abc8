//! The `mmperf` binary. The CLI lives in `cli.rs`; it needs a terminal and files, so a WebAssembly build of
//! this crate compiles the binary to nothing (the wasm package is the library's `web` module).

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}

//! Files for the CLI tests: the repository's seed workload and per-test scratch directories.
#![allow(dead_code)] // each test binary uses part of these helpers

use std::path::{Path, PathBuf};

/// The crate root.
pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Path of `examples/seed.json`.
pub fn seed() -> String {
    manifest_dir().join("examples/seed.json").to_string_lossy().into_owned()
}

/// A fresh directory for one test, removed when the value is dropped (at the end of the test, passed or
/// failed: a panic unwinds through the drop). It reads as the directory's `Path`.
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh directory for one test: the test binary, the test's name and the process id keep parallel tests
/// and runs apart.
pub fn scratch(test: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!(
        "mmperf-{}-{test}-{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    Scratch(dir)
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write scratch file");
    path.to_string_lossy().into_owned()
}

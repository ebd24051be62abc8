//! The check that `src/web/generated.d.ts` is what `wire::ts` generates from the DTOs (here, not in the
//! platform-free `wire`, because it reads and writes the file). `MMPERF_UPDATE_TS=1` rewrites it.

use crate::wire::ts::{generate, FILE};

#[test]
fn typescript_matches_the_dtos() {
    let text = generate();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FILE);
    if std::env::var_os("MMPERF_UPDATE_TS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == text,
        "{FILE} is stale: run MMPERF_UPDATE_TS=1 cargo test --lib typescript and review the diff"
    );
}

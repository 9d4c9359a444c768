//! Integration tests of the plaza client: one binary, one module per feature.

mod citizen;
mod cli;
mod identity;
mod scene;

use std::path::PathBuf;

/// A file under `tests/data/`.
fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The layout shipped in `scenes/plaza.ron`.
fn shipped_plaza() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenes/plaza.ron")
}

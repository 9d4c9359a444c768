//! Integration tests of the plaza client: one binary, one module per feature.

mod budget;
mod citizen;
mod cli;
mod dashboards;
mod gateway;
mod identity;
mod panel;
mod scene;
mod services;
mod xr;

use std::path::PathBuf;

/// A file under `tests/data/`.
fn data(name: &str) -> PathBuf {
    PathBuf::from(manifest_dir()).join("tests/data").join(name)
}

/// The layout shipped in `scenes/plaza.ron`.
fn shipped_plaza() -> PathBuf {
    PathBuf::from(manifest_dir()).join("../../scenes/plaza.ron")
}

/// This package's directory, read when the test runs rather than when it was compiled: a build
/// cache shared between clones (CI's target directory under $HOME) may hold a binary compiled
/// in another checkout, whose compile-time path would point there.
pub(crate) fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR when it runs tests")
}

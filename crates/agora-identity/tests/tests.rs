//! The crate's one integration-test binary. Each module tests one part as a user of the crate
//! would meet it; standards' test vectors are data files under `tests/data/` (see its README).

mod did_key;
mod jcs;
mod keystore;
mod proof;
mod properties;
mod vectors;

use std::path::PathBuf;

use serde_json::Value;

/// A file under `tests/data/`.
fn data_path(relative: &str) -> PathBuf {
    PathBuf::from(manifest_dir())
        .join("tests/data")
        .join(relative)
}

/// The bytes of a file under `tests/data/`.
fn data_bytes(relative: &str) -> Vec<u8> {
    let path = data_path(relative);
    std::fs::read(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// The text of a file under `tests/data/`, without surrounding whitespace.
fn data_text(relative: &str) -> String {
    String::from_utf8(data_bytes(relative))
        .unwrap_or_else(|error| panic!("{relative} is not UTF-8: {error}"))
        .trim()
        .to_owned()
}

/// A JSON file under `tests/data/`.
fn data_json(relative: &str) -> Value {
    agora_identity::canonical::parse_strict(&data_text(relative))
        .unwrap_or_else(|error| panic!("{relative}: {error}"))
}

/// Lower-case hex, as the test vectors write hashes and signatures.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// This package's directory, read when the test runs rather than when it was compiled: a build
/// cache shared between clones (CI's target directory under $HOME) may hold a binary compiled
/// in another checkout, whose compile-time path would point there.
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR when it runs tests")
}

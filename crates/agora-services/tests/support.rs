//! Shared helpers: the shipped catalog, its examples, and paths.

use std::path::PathBuf;
use std::sync::OnceLock;

use agora_services::{AnswersFile, Catalog, Service, Submission, example_applicant};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The shipped catalog, loaded once.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| match Catalog::embedded() {
        Ok(catalog) => catalog,
        Err(report) => panic!("the embedded catalog has problems:\n{report}"),
    })
}

/// A shipped service.
pub fn service(id: &str) -> &'static Service {
    catalog()
        .service(id)
        .unwrap_or_else(|| panic!("no service {id}"))
}

/// A shipped example, parsed.
pub fn example(id: &str) -> AnswersFile {
    let text = std::fs::read_to_string(
        assets()
            .join("services/examples")
            .join(format!("{id}.json")),
    )
    .unwrap_or_else(|error| panic!("example {id}: {error}"));
    AnswersFile::parse_for(&text, id).unwrap_or_else(|error| panic!("example {id}: {error}"))
}

/// The submission an example pins.
pub fn example_submission(file: &AnswersFile) -> Submission {
    Submission {
        applicant: file.applicant.unwrap_or_else(example_applicant),
        submitted_at: file.submitted_at.expect("examples pin submitted_at"),
        context: file.context,
    }
}

/// An RFC 3339 time.
pub fn at(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &Rfc3339).unwrap_or_else(|error| panic!("{text}: {error}"))
}

/// The repository's `assets/`.
pub fn assets() -> PathBuf {
    PathBuf::from(manifest_dir()).join("../../assets")
}

/// This crate's `tests/data/`.
pub fn data() -> PathBuf {
    PathBuf::from(manifest_dir()).join("tests/data")
}

/// This package's directory, read when the test runs rather than when it was compiled: a build
/// cache shared between clones (CI's target directory under $HOME) may hold a binary compiled
/// in another checkout, whose compile-time path would point there.
pub(crate) fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR when it runs tests")
}

/// The culture department of `tests/data/departments/`, as a source for `Catalog::from_sources`.
pub fn culture_department() -> (&'static str, String) {
    (
        "departments/culture.json",
        std::fs::read_to_string(data().join("departments/culture.json")).expect("culture.json"),
    )
}

//! The catalog shipped in `assets/services/`, compiled in so that `agora` runs without the
//! assets folder.

use agora_identity::{DidKey, SigningKey};
use serde_json::Value;
use time::Date;

use super::{Service, Source};
use crate::review::AnswersFile;

/// The shipped department files, by name: the demo departments, whose secret keys are
/// published in `assets/demo-desk-keys/`.
pub const EMBEDDED_DEPARTMENTS: [Source<'static>; 5] = [
    (
        "departments/transport.json",
        include_str!("../../../../assets/services/departments/transport.json"),
    ),
    (
        "departments/public-security.json",
        include_str!("../../../../assets/services/departments/public-security.json"),
    ),
    (
        "departments/health.json",
        include_str!("../../../../assets/services/departments/health.json"),
    ),
    (
        "departments/environment.json",
        include_str!("../../../../assets/services/departments/environment.json"),
    ),
    (
        "departments/planning.json",
        include_str!("../../../../assets/services/departments/planning.json"),
    ),
];

/// The shipped service files, by name.
pub const EMBEDDED_SERVICES: [Source<'static>; 5] = [
    (
        "parking-permit.json",
        include_str!("../../../../assets/services/parking-permit.json"),
    ),
    (
        "incident-report.json",
        include_str!("../../../../assets/services/incident-report.json"),
    ),
    (
        "health-certificate.json",
        include_str!("../../../../assets/services/health-certificate.json"),
    ),
    (
        "noise-complaint.json",
        include_str!("../../../../assets/services/noise-complaint.json"),
    ),
    (
        "planning-consultation.json",
        include_str!("../../../../assets/services/planning-consultation.json"),
    ),
];

/// The shipped example answers files, by name: one per service, each approved by its policy.
pub const EMBEDDED_EXAMPLES: [Source<'static>; 5] = [
    (
        "examples/parking-permit.json",
        include_str!("../../../../assets/services/examples/parking-permit.json"),
    ),
    (
        "examples/incident-report.json",
        include_str!("../../../../assets/services/examples/incident-report.json"),
    ),
    (
        "examples/health-certificate.json",
        include_str!("../../../../assets/services/examples/health-certificate.json"),
    ),
    (
        "examples/noise-complaint.json",
        include_str!("../../../../assets/services/examples/noise-complaint.json"),
    ),
    (
        "examples/planning-consultation.json",
        include_str!("../../../../assets/services/examples/planning-consultation.json"),
    ),
];

/// The applicant assumed by examples that pin none: the did:key of the Ed25519 key whose seed
/// is 32 bytes of `0x07`, a public, well-known test identity that nobody uses for real.
pub fn example_applicant() -> DidKey {
    DidKey::from_public_key(SigningKey::from_bytes(&[7; 32]).verifying_key())
}

/// The shipped example answers for `service_id` (`assets/services/examples/<id>.json`).
pub fn embedded_example(service_id: &str) -> Option<AnswersFile> {
    let name = format!("examples/{service_id}.json");
    EMBEDDED_EXAMPLES
        .iter()
        .find(|(file, _)| *file == name)
        .and_then(|(_, text)| AnswersFile::parse_for(text, service_id).ok())
}

/// The shipped example answers for `service` (`assets/services/examples/<id>.json`), as of
/// `today`: every date answer is moved by the days between the example's `submitted_at` and
/// `today`, so that a policy that judges dates against the day of submission (a start date
/// no earlier than today, and within so many days) judges them on `today` as it judged the
/// example. (A policy's own fixed dates, such as a consultation's closing day, stay where
/// they are.) What tests and benchmarks submit when they need answers a policy approves.
///
/// An error names the service when no readable example ships for it.
pub fn example_answers(service: &Service, today: Date) -> Result<Value, String> {
    let name = format!("examples/{}.json", service.id);
    let example = embedded_example(&service.id).ok_or_else(|| {
        format!(
            "no readable example answers ship for the service `{}` (assets/services/{name})",
            service.id
        )
    })?;
    example
        .moved_to(service, today)
        .map(|(answers, _)| answers)
        .map_err(|problem| format!("assets/services/{name}: {problem}"))
}

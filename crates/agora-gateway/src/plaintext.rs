//! What a submission seals: the citizen's signed application, in the fewest bytes that give it
//! back exactly.
//!
//! A chain charges about 40 gas for every byte of an anchoring call (EIP-7623), and most of a
//! signed application follows from its submission and the service: the context and type, the
//! id, issuer, subject and service (the submission's), the proof's context, suite, purpose and
//! verification method, the policy's id and hash (the service's, by version), the answers' keys
//! (the form's fields, in order). The compact plaintext keeps only the rest:
//!
//! ```text
//! form       1 byte    0x02 (the older plaintext, the signed application's canonical JSON,
//!                      starts with `{`)
//! signature  64 bytes  the application proof's Ed25519 signature
//! rest       CBOR (RFC 8949): [policy version, created, [answer, …]]
//!            created: null when the application was made the second its submission was
//!                     signed (what `prepare` does), else Unix seconds
//!            answers: in the form's order, null for a question left unanswered, trailing
//!                     nulls left out
//! ```
//!
//! [`compact`] gives the compact form only when [`rebuild`] gives back the identical signed
//! application (checked there and then); otherwise the application is sealed as its canonical
//! JSON, which every desk still opens. The desk rebuilds with its own catalog, so a desk whose
//! form or policy differs from the citizen's cannot rebuild the document: [`RebuildError`] says
//! so, and the desk refers the application to an officer rather than refuse it.

use std::time::{Duration, SystemTime};

use agora_identity::DidKey;
use agora_identity::proof::timestamp;
use agora_ledger::entry::{Submission, digest_hex};
use agora_services::{Application, ApplicationId, ApplicationSubject, Service};
use serde_json::{Map, Value, json};
use thiserror::Error;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The first byte of a compact plaintext.
pub const COMPACT: u8 = 0x02;

/// The deepest nesting the compact form's CBOR may have (an answer is at most a location, an
/// object of two numbers, three levels down).
const RECURSION_LIMIT: usize = 8;

/// Why a compact plaintext does not give back the application its submission names.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RebuildError {
    /// The bytes are not a compact plaintext (only the applicant could have sealed them).
    #[error("the sealed application is malformed: {0}")]
    Malformed(String),
    /// The application cites a policy version this catalog does not hold.
    #[error(
        "the application cites version {cited} of the service's policy, and this catalog holds version {held}"
    )]
    OtherPolicy {
        /// The version the application cites.
        cited: u32,
        /// The version in this catalog.
        held: u32,
    },
    /// The rebuilt application is not the one the submission names: the service's form here
    /// differs from the one it was filled in with.
    #[error(
        "the application cannot be rebuilt with this catalog's form of `{0}` (it was filled in with another form)"
    )]
    OtherForm(String),
}

/// What a sealed application is rebuilt into: its submission's id, service, applicant and
/// digest, and when the submission was signed (its proof's `created`, RFC 3339).
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    /// The application id.
    pub id: ApplicationId,
    /// The service's id.
    pub service: &'a str,
    /// The applicant.
    pub applicant: DidKey,
    /// The signed application's digest.
    pub application_sha256: &'a str,
    /// When the submission was signed.
    pub submitted: &'a str,
}

impl<'a> Envelope<'a> {
    /// The envelope of `submission`, signed at `submitted`.
    pub fn of(submission: &'a Submission, submitted: &'a str) -> Self {
        Self {
            id: submission.id,
            service: &submission.service,
            applicant: submission.applicant,
            application_sha256: &submission.application_sha256,
            submitted,
        }
    }
}

fn malformed(problem: impl Into<String>) -> RebuildError {
    RebuildError::Malformed(problem.into())
}

/// The compact plaintext of `signed`, an application to `service` in the submission
/// `envelope`, or `None` when the compact form cannot give it back exactly (seal its canonical
/// JSON then).
pub fn compact(signed: &Value, envelope: Envelope<'_>, service: &Service) -> Option<Vec<u8>> {
    let application = Application::from_json(signed).ok()?;
    let proof = signed.get("proof")?;
    let signature: [u8; 64] = proof
        .get("proofValue")
        .and_then(Value::as_str)
        .and_then(|text| text.strip_prefix('z'))
        .and_then(|text| bs58::decode(text).into_vec().ok())
        .and_then(|bytes| bytes.try_into().ok())?;
    let created = if proof.get("created").and_then(Value::as_str) == Some(envelope.submitted) {
        Value::Null
    } else {
        json!(application.valid_from.unix_timestamp())
    };
    let fields = service.form.fields();
    let answers = &application.credential_subject.answers;
    if answers.keys().any(|key| service.form.field(key).is_none()) {
        return None;
    }
    let mut values: Vec<Value> = fields
        .iter()
        .map(|field| answers.get(&field.id).cloned().unwrap_or(Value::Null))
        .collect();
    while values.last() == Some(&Value::Null) {
        values.pop();
    }
    let rest = json!([
        application.credential_subject.policy.version,
        created,
        values
    ]);
    let mut bytes = vec![COMPACT];
    bytes.extend_from_slice(&signature);
    ciborium::into_writer(&rest, &mut bytes).ok()?;
    // Whatever the compact form leaves out must be what rebuilding puts back.
    (rebuild(&bytes, envelope, service).ok().as_ref() == Some(signed)).then_some(bytes)
}

/// The signed application that the compact plaintext `bytes` stands for, in the submission
/// `envelope`, to `service` as this catalog has it. The result is checked against the
/// submission's digest; its signature is the caller's to verify.
pub fn rebuild(
    bytes: &[u8],
    envelope: Envelope<'_>,
    service: &Service,
) -> Result<Value, RebuildError> {
    let (&form, rest) = bytes
        .split_first()
        .ok_or_else(|| malformed("it is empty"))?;
    if form != COMPACT {
        return Err(malformed(format!(
            "form {form} (this code reads {COMPACT})"
        )));
    }
    if rest.len() < 64 {
        return Err(malformed("it is shorter than a signature"));
    }
    let (signature, rest) = rest.split_at(64);
    let (version, created, values): (u32, Option<i64>, Vec<Value>) =
        ciborium::de::from_reader_with_recursion_limit(rest, RECURSION_LIMIT)
            .map_err(|error| malformed(error.to_string()))?;

    let policy = service.policy.reference();
    if version != policy.version {
        return Err(RebuildError::OtherPolicy {
            cited: version,
            held: policy.version,
        });
    }
    let fields = service.form.fields();
    if values.len() > fields.len() {
        return Err(RebuildError::OtherForm(service.id.clone()));
    }
    let answers: Map<String, Value> = fields
        .iter()
        .zip(values)
        .filter(|(_, value)| !value.is_null())
        .map(|(field, value)| (field.id.clone(), value))
        .collect();
    let valid_from = match created {
        None => OffsetDateTime::parse(envelope.submitted, &Rfc3339)
            .map_err(|_| malformed("its submission's time is not an RFC 3339 time"))?,
        Some(seconds) => OffsetDateTime::from_unix_timestamp(seconds)
            .map_err(|_| malformed("a time out of range"))?,
    };
    let created = SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_secs(
            u64::try_from(valid_from.unix_timestamp())
                .map_err(|_| malformed("a time before 1970"))?,
        ))
        .ok_or_else(|| malformed("a time beyond this system's clock"))?;
    let applicant = envelope.applicant;
    let application = Application {
        id: envelope.id,
        issuer: applicant,
        valid_from,
        credential_subject: ApplicationSubject {
            id: applicant,
            service: envelope.service.to_owned(),
            policy,
            answers,
        },
    };
    let mut signed = application.to_json();
    // eddsa-jcs-2022 copies the document's @context into its proof.
    let context = signed["@context"].clone();
    if let Value::Object(members) = &mut signed {
        members.insert(
            "proof".to_owned(),
            json!({
                "@context": context,
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-jcs-2022",
                "created": timestamp(created),
                "verificationMethod": applicant.verification_method(),
                "proofPurpose": "assertionMethod",
                "proofValue": format!("z{}", bs58::encode(signature).into_string()),
            }),
        );
    }
    let digest = digest_hex(&signed).map_err(|error| malformed(error.to_string()))?;
    if digest != envelope.application_sha256 {
        return Err(RebuildError::OtherForm(service.id.clone()));
    }
    Ok(signed)
}

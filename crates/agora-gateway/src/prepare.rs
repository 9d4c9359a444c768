//! Turning a citizen's validated answers into what the outbox stores: the signed application
//! (the citizen's copy) and the signed submission that carries it sealed to the department.

use std::time::SystemTime;

use agora_identity::Identity;
use agora_identity::canonical::canonicalize;
use agora_identity::proof::ProofOptions;
use agora_ledger::entry::{SUBMISSION_TYPE, Submission, digest_hex};
use agora_services::{Application, ApplicationId, Service, ValidAnswers};
use serde_json::Value;
use thiserror::Error;
use time::OffsetDateTime;

use crate::plaintext::{self, Envelope};
use crate::seal::{SealError, associated_data, seal};

/// An application ready for the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// Its id.
    pub id: ApplicationId,
    /// Its service.
    pub service: String,
    /// The signed application, answers in the clear: the citizen's archive keeps it.
    pub application: Value,
    /// The signed submission for the ledger, answers sealed.
    pub submission: Value,
}

/// Why an application could not be prepared.
#[derive(Debug, Error)]
pub enum PrepareError {
    /// No randomness for the id.
    #[error("cannot make an application id: {0}")]
    Random(String),
    /// Signing failed.
    #[error("cannot sign: {0}")]
    Sign(String),
    /// Sealing failed.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The department has no key valid now to seal to.
    #[error(
        "the department `{department}` has no key valid now to seal the answers to: its keys in the catalog have all ended or been revoked"
    )]
    NoKey {
        /// The department.
        department: String,
    },
}

/// Signs an application to `service` with `answers` as `identity`, at `now`, and seals it into
/// a signed submission.
pub fn prepare(
    service: &Service,
    answers: &ValidAnswers,
    identity: &Identity,
    now: SystemTime,
) -> Result<Prepared, PrepareError> {
    let id = ApplicationId::random().map_err(|e| PrepareError::Random(e.to_string()))?;
    let application = Application::new(
        service,
        answers,
        identity.did(),
        id,
        OffsetDateTime::from(now),
    );
    let options = ProofOptions::assertion().created_at(now);
    let signed = identity
        .sign(&application.to_json(), &options)
        .map_err(|e| PrepareError::Sign(e.to_string()))?;
    let digest = digest_hex(&signed).map_err(|e| PrepareError::Sign(e.to_string()))?;
    // The submission is signed with the same options, so its proof's `created` is the
    // application's.
    let submitted = signed["proof"]["created"].as_str().unwrap_or_default();
    let envelope = Envelope {
        id,
        service: &service.id,
        applicant: identity.did(),
        application_sha256: &digest,
        submitted,
    };
    let plaintext = match plaintext::compact(&signed, envelope, service) {
        Some(compact) => compact,
        None => canonicalize(&signed).map_err(|e| PrepareError::Sign(e.to_string()))?,
    };
    let Some(key) = service.key_at(OffsetDateTime::from(now)) else {
        return Err(PrepareError::NoKey {
            department: service.department.id.clone(),
        });
    };
    let sealed = seal(
        &plaintext,
        &key.encryption_key,
        &associated_data(
            &id.to_string(),
            &service.id,
            &digest,
            &identity.did().to_string(),
        ),
    )?;
    let submission = Submission {
        kind: SUBMISSION_TYPE.to_owned(),
        id,
        service: service.id.clone(),
        applicant: identity.did(),
        application_sha256: digest,
        sealed,
    };
    let submission = identity
        .sign(&submission.to_json(), &options)
        .map_err(|e| PrepareError::Sign(e.to_string()))?;
    Ok(Prepared {
        id,
        service: service.id.clone(),
        application: signed,
        submission,
    })
}

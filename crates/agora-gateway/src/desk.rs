//! The department's desk: a ledger client that decides applications.
//!
//! For every new submission to a service whose department's keys it holds, the desk opens the
//! sealed application with the department's X25519 key, checks that it is the application the
//! submission names (digest, id, service, applicant) and that its signature verifies, runs the
//! service's published policy ([`agora_services::Service::review_application`]) with the time
//! the ledger anchored it, and appends a decision signed with the department's key, citing the
//! policy's hash. An application it cannot open or verify is rejected with the reason
//! (`review.unreadable`), so no citizen waits for ever; one written with a form or policy this
//! desk's catalog does not hold is referred to an officer (`review.other-catalog`).
//!
//! The desk keeps its own small state (`desk.sqlite`): how far it has read the ledger, and the
//! applications it has decided (for the policies' count of earlier applications). A desk that
//! crashes after appending a decision but before saving its cursor reads that submission
//! again; the ledger answers the repeated decision with where it already is.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use agora_identity::canonical::parse_strict;
use agora_identity::proof::{ProofOptions, VerifyOptions};
use agora_identity::{Identity, proof};
use agora_ledger::entry::{
    ACCESS_TYPE, Access, Entry, Purpose, Submission, check_entry, digest_hex,
};
use agora_ledger::store::StoredEntry;
use agora_ledger::store::open_durable;
use agora_services::{
    Anchor, Application, Catalog, Decision, Message, Outcome, ReviewContext, Service, Verdict,
};
use rusqlite::{Connection, OptionalExtension as _, params};
use serde::Deserialize;
use thiserror::Error;
use time::OffsetDateTime;

use crate::backend::{Ledger, LedgerError};
use crate::plaintext::{self, Envelope, RebuildError};
use crate::seal::{OpeningKey, associated_data, legacy_associated_data};

/// Why the desk could not read a sealed application.
enum Unreadable {
    /// It is damaged, not the submission's, or not signed by the applicant: refused.
    Refused(String),
    /// It was written with a catalog (form or policy) this desk does not hold: referred.
    OtherCatalog(String),
}

/// The desk's state file name.
pub const DESK_FILE: &str = "desk.sqlite";

/// How many entries the desk reads at a time.
const PAGE: usize = 256;

/// A department's secret keys: the signing key its decisions carry, and the key its
/// applications are sealed to.
pub struct DeskKeys {
    /// The department's id in the catalog.
    pub department: String,
    /// Signs decisions; its did:key is the department's DID.
    pub signing: Identity,
    /// Opens sealed applications.
    pub opening: OpeningKey,
}

impl std::fmt::Debug for DeskKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeskKeys({}, {})", self.department, self.signing.did())
    }
}

/// Why desk keys cannot be read.
#[derive(Debug, Error)]
#[error("{source_name}: {problem}")]
pub struct KeysError {
    /// The file (or embedded name) read.
    pub source_name: String,
    /// What is wrong.
    pub problem: String,
}

#[derive(Deserialize)]
struct KeyPair {
    #[serde(rename = "secretKeyMultibase")]
    secret: String,
}

#[derive(Deserialize)]
struct KeysFile {
    department: String,
    signing_key: KeyPair,
    encryption_key: KeyPair,
}

/// The multicodec header of an X25519 secret key (`x25519-priv`, 0x1302).
const X25519_PRIV_PREFIX: [u8; 2] = agora_services::keys::X25519_PRIV_PREFIX;

impl DeskKeys {
    /// Reads a department key file (the format of `assets/demo-desk-keys/`).
    pub fn parse(text: &str, source_name: &str) -> Result<Self, KeysError> {
        let problem = |problem: String| KeysError {
            source_name: source_name.to_owned(),
            problem,
        };
        let file: KeysFile = serde_json::from_str(text).map_err(|e| problem(e.to_string()))?;
        let signing = Identity::from_secret_multikey(&file.signing_key.secret)
            .map_err(|e| problem(format!("signing_key: {e}")))?;
        // Every copy of the secret's bytes on the way is wiped when dropped.
        let decoded: Option<zeroize::Zeroizing<Vec<u8>>> = file
            .encryption_key
            .secret
            .strip_prefix('z')
            .and_then(|text| bs58::decode(text).into_vec().ok())
            .map(zeroize::Zeroizing::new);
        let mut secret = zeroize::Zeroizing::new([0u8; 32]);
        match decoded
            .as_deref()
            .and_then(|bytes| bytes.strip_prefix(&X25519_PRIV_PREFIX))
        {
            Some(bytes) if bytes.len() == 32 => secret.copy_from_slice(bytes),
            _ => {
                return Err(problem(
                    "encryption_key: not an X25519 secret Multikey (z3we…, multicodec 0x1302)"
                        .to_owned(),
                ));
            }
        }
        let opening =
            OpeningKey::from_bytes(&secret).map_err(|e| problem(format!("encryption_key: {e}")))?;
        Ok(Self {
            department: file.department,
            signing,
            opening,
        })
    }

    /// A fresh key pair for `department` (an Ed25519 signing key and an X25519 opening key,
    /// from the operating system's random source), with the text of its key file: what
    /// `agora keys rotate` writes for a desk, and whose public halves go into the department's
    /// file in the catalog ([`DeskKeys::catalog_entry`]).
    pub fn generate(department: &str) -> Result<(Self, zeroize::Zeroizing<String>), KeysError> {
        let problem = |problem: String| KeysError {
            source_name: format!("a new key for `{department}`"),
            problem,
        };
        if !agora_services::policy::is_slug(department) {
            return Err(problem(
                "a department id is lowercase letters, digits and hyphens".to_owned(),
            ));
        }
        let signing = Identity::generate().map_err(|e| problem(e.to_string()))?;
        let mut secret = zeroize::Zeroizing::new([0u8; 32]);
        agora_identity::fill_random(&mut secret[..]).map_err(|e| problem(e.to_string()))?;
        let opening = OpeningKey::from_bytes(&secret).map_err(|e| problem(e.to_string()))?;
        let mut prefixed = zeroize::Zeroizing::new(Vec::with_capacity(34));
        prefixed.extend_from_slice(&X25519_PRIV_PREFIX);
        prefixed.extend_from_slice(&secret[..]);
        let opening_secret =
            zeroize::Zeroizing::new(format!("z{}", bs58::encode(&prefixed[..]).into_string()));
        let did = signing.did();
        let signing_secret = signing.secret_multikey();
        // Written straight into one wiped buffer: every part is a slug, a DID or base58, none
        // of which JSON escapes.
        let text = zeroize::Zeroizing::new(format!(
            "{{\n  \"department\": \"{department}\",\n  \"did\": \"{did}\",\n  \"signing_key\": {{\n    \"type\": \"Multikey\",\n    \"controller\": \"{did}\",\n    \"publicKeyMultibase\": \"{signing_public}\",\n    \"secretKeyMultibase\": \"{signing_secret}\"\n  }},\n  \"encryption_key\": {{\n    \"type\": \"Multikey\",\n    \"controller\": \"{did}\",\n    \"publicKeyMultibase\": \"{opening_public}\",\n    \"secretKeyMultibase\": \"{opening_secret}\"\n  }}\n}}\n",
            signing_public = did.multibase(),
            signing_secret = signing_secret.as_str(),
            opening_public = opening.public().multibase(),
            opening_secret = opening_secret.as_str(),
        ));
        Ok((
            Self {
                department: department.to_owned(),
                signing,
                opening,
            },
            text,
        ))
    }

    /// The public halves, as an entry of the department's `keys` in the catalog, valid from
    /// `from` (since always when `None`).
    pub fn catalog_entry(&self, from: Option<OffsetDateTime>) -> serde_json::Value {
        let mut entry = serde_json::json!({
            "did": self.signing.did().to_string(),
            "encryption_key": self.opening.public().multibase(),
        });
        if let Some(from) = from {
            entry["from"] = agora_services::time_format::format_utc(from).into();
        }
        entry
    }

    /// The demo departments' keys, compiled in (see `assets/demo-desk-keys/README.md`: they
    /// are published, and fit for the embedded demo only).
    pub fn demo() -> Result<Vec<Self>, KeysError> {
        DEMO_KEYS
            .iter()
            .map(|(name, text)| Self::parse(text, name))
            .collect()
    }

    /// Every `*.json` key file in `dir`.
    pub fn load_dir(dir: &Path) -> Result<Vec<Self>, KeysError> {
        let problem = |problem: String| KeysError {
            source_name: dir.display().to_string(),
            problem,
        };
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| problem(e.to_string()))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|path| {
                let text = std::fs::read_to_string(path).map_err(|e| KeysError {
                    source_name: path.display().to_string(),
                    problem: e.to_string(),
                })?;
                Self::parse(&text, &path.display().to_string())
            })
            .collect()
    }
}

const DEMO_KEYS: [(&str, &str); 5] = [
    (
        "demo-desk-keys/transport.json",
        include_str!("../../../assets/demo-desk-keys/transport.json"),
    ),
    (
        "demo-desk-keys/public-security.json",
        include_str!("../../../assets/demo-desk-keys/public-security.json"),
    ),
    (
        "demo-desk-keys/health.json",
        include_str!("../../../assets/demo-desk-keys/health.json"),
    ),
    (
        "demo-desk-keys/environment.json",
        include_str!("../../../assets/demo-desk-keys/environment.json"),
    ),
    (
        "demo-desk-keys/planning.json",
        include_str!("../../../assets/demo-desk-keys/planning.json"),
    ),
];

/// Why the desk cannot go on.
#[derive(Debug, Error)]
pub enum DeskError {
    /// Its state file cannot be used.
    #[error("the desk's state {path} cannot be used: {source}")]
    State {
        /// The state file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The ledger cannot be read or written now.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A key does not match the catalog.
    #[error(
        "the key {did} for department `{department}` is not one the catalog lists for it ({expected})"
    )]
    WrongKey {
        /// The department.
        department: String,
        /// The key's DID.
        did: String,
        /// The catalog's keys for it, in words.
        expected: String,
    },
    /// An officer's decision cannot be made: the delegation, the outcome, the key.
    #[error("{0}")]
    Officer(String),
    /// The desk holds none of a department's keys valid now, so it cannot sign for it.
    #[error(
        "the desk holds no key of the department `{department}` valid now ({current}): add that key's file to the desk's keys"
    )]
    NoCurrentKey {
        /// The department.
        department: String,
        /// The key the catalog says is valid now, or that none is.
        current: String,
    },
}

/// What one pass decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeskReport {
    /// Entries read.
    pub read: u64,
    /// Decisions appended: application id and outcome.
    pub decided: Vec<(String, Outcome)>,
}

/// A department desk (for one or more departments).
#[derive(Debug)]
pub struct Desk {
    catalog: Catalog,
    /// Each department's keys this desk holds, old and current: old ones still open what was
    /// sealed to them.
    keys: HashMap<String, Vec<DeskKeys>>,
    state: Connection,
    path: PathBuf,
}

impl Desk {
    /// A desk with `keys`, keeping its state in `state_path`. Every key must be the one the
    /// catalog names for its department.
    pub fn open(
        catalog: Catalog,
        keys: Vec<DeskKeys>,
        state_path: &Path,
    ) -> Result<Self, DeskError> {
        let state_error = |source| DeskError::State {
            path: state_path.to_owned(),
            source,
        };
        let mut by_department: HashMap<String, Vec<DeskKeys>> = HashMap::new();
        for key in keys {
            if let Some(department) = catalog.department(&key.department) {
                let listed = department.keys.iter().any(|listed| {
                    listed.did == key.signing.did() && listed.encryption_key == key.opening.public()
                });
                if !listed {
                    return Err(DeskError::WrongKey {
                        department: key.department,
                        did: key.signing.did().to_string(),
                        expected: department
                            .keys
                            .iter()
                            .map(|k| k.did.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
            }
            by_department
                .entry(key.department.clone())
                .or_default()
                .push(key);
        }
        if let Some(dir) = state_path.parent() {
            let _ = agora_identity::keystore::files::create_private_dir(dir);
        }
        let state = open_durable(
            state_path,
            "CREATE TABLE IF NOT EXISTS cursor (one INTEGER PRIMARY KEY CHECK (one = 1), next INTEGER NOT NULL) STRICT;
             CREATE TABLE IF NOT EXISTS decided (id TEXT PRIMARY KEY, applicant TEXT NOT NULL, service TEXT NOT NULL, submitted INTEGER NOT NULL) STRICT;
             CREATE INDEX IF NOT EXISTS decided_by_applicant ON decided(applicant, service, submitted);
             -- Ids are unique per applicant: one applicant's copy of another's id must not
             -- keep the other's application out of the count (`decided` is what earlier
             -- versions kept, copied over once).
             CREATE TABLE IF NOT EXISTS decided_per_applicant (id TEXT NOT NULL, applicant TEXT NOT NULL, service TEXT NOT NULL, submitted INTEGER NOT NULL, PRIMARY KEY (id, applicant)) STRICT;
             CREATE INDEX IF NOT EXISTS decided_per_applicant_by_applicant ON decided_per_applicant(applicant, service, submitted);
             INSERT OR IGNORE INTO decided_per_applicant SELECT id, applicant, service, submitted FROM decided;
             DELETE FROM decided;",
        )
        .map_err(state_error)?;
        Ok(Self {
            catalog,
            keys: by_department,
            state,
            path: state_path.to_owned(),
        })
    }

    fn state_error(&self, source: rusqlite::Error) -> DeskError {
        DeskError::State {
            path: self.path.clone(),
            source,
        }
    }

    fn cursor(&self) -> Result<u64, DeskError> {
        let next: Option<i64> = self
            .state
            .query_row("SELECT next FROM cursor WHERE one = 1", [], |row| {
                row.get(0)
            })
            .optional()
            .map_err(|e| self.state_error(e))?;
        Ok(next.unwrap_or(0) as u64)
    }

    /// Reads everything new on the ledger and decides what is the desk's to decide.
    pub async fn run_once(&mut self, ledger: &dyn Ledger) -> Result<DeskReport, DeskError> {
        let mut report = DeskReport::default();
        loop {
            let cursor = self.cursor()?;
            let entries = ledger.entries_since(cursor, PAGE).await?;
            if entries.is_empty() {
                return Ok(report);
            }
            for stored in entries {
                report.read += 1;
                if let Some(outcome) = self.consider(ledger, &stored).await? {
                    report.decided.push(outcome);
                }
                self.state
                    .execute(
                        "INSERT INTO cursor (one, next) VALUES (1, ?1) ON CONFLICT (one) DO UPDATE SET next = ?1",
                        [stored.index as i64 + 1],
                    )
                    .map_err(|e| self.state_error(e))?;
            }
        }
    }

    async fn consider(
        &self,
        ledger: &dyn Ledger,
        stored: &StoredEntry,
    ) -> Result<Option<(String, Outcome)>, DeskError> {
        let (json, anchored) = (&stored.entry, stored.time);
        let Ok(Entry::Submission(submission)) = check_entry(json, &self.catalog, anchored.into())
        else {
            return Ok(None);
        };
        let Some(service) = self.catalog.service(&submission.service) else {
            return Ok(None);
        };
        let Some(keys) = self.keys.get(&service.department.id) else {
            return Ok(None);
        };
        // Signed with the key valid now; opened with whichever the citizen sealed to.
        let now = OffsetDateTime::now_utc();
        let current = service.key_at(now);
        let Some(signing) =
            current.and_then(|current| keys.iter().find(|held| held.signing.did() == current.did))
        else {
            return Err(DeskError::NoCurrentKey {
                department: service.department.id.clone(),
                current: current.map_or_else(
                    || "the catalog lists none valid now".to_owned(),
                    |key| format!("the catalog's is {}", key.did),
                ),
            });
        };
        // Who opens it is on the ledger before it is opened: the citizen sees it.
        record_access(
            ledger,
            stored,
            &submission,
            &signing.signing,
            Purpose::AutomaticReview,
            None,
        )
        .await?;
        let submitted = json["proof"]["created"].as_str().unwrap_or_default();
        let verdict = match self.unseal(&submission, submitted, service, keys, anchored) {
            Ok(application) => {
                let context = ReviewContext {
                    earlier_applications: self.earlier(
                        &submission,
                        anchored,
                        service.policy.period_days(),
                    )?,
                };
                let facts = agora_services::Submission {
                    applicant: submission.applicant,
                    submitted_at: anchored,
                    context,
                };
                service.review_application(&application, &facts)
            }
            Err(Unreadable::Refused(problem)) => Verdict {
                outcome: Outcome::Reject,
                reasons: vec![Message::new("review.unreadable").with("problem", problem)],
                policy: service.policy.reference(),
                problems: Vec::new(),
            },
            // The citizen's catalog and this desk's differ: nobody's fault the citizen could
            // mend, so an officer (who can read it with the right catalog) decides.
            Err(Unreadable::OtherCatalog(problem)) => Verdict {
                outcome: Outcome::Refer,
                reasons: vec![Message::new("review.other-catalog").with("problem", problem)],
                policy: service.policy.reference(),
                problems: Vec::new(),
            },
        };
        let decision = Decision::anchored(
            Anchor {
                ledger: ledger.origin(),
                index: stored.index,
                time: anchored,
            },
            submission.id,
            submission.application_sha256.clone(),
            &service.id,
            &verdict,
            signing.signing.did(),
            now,
        );
        let signed = signing
            .signing
            .sign(
                &decision.to_json(),
                &ProofOptions::assertion().created_at(SystemTime::now()),
            )
            .map_err(|e| LedgerError::Unavailable(format!("the desk cannot sign: {e}")))?;
        match ledger.append(signed).await {
            Ok(_) | Err(LedgerError::Rejected(agora_ledger::Refusal::AlreadyDecided(_))) => {}
            Err(error @ LedgerError::Unavailable(_)) => return Err(error.into()),
            // A decision the ledger refuses for good (its rules and ours disagree) is not
            // retried: the application stays undecided, and the operator sees why.
            Err(LedgerError::Rejected(refusal)) => {
                return Err(LedgerError::Unavailable(format!(
                    "the ledger refused the decision on {}: {refusal}",
                    submission.id
                ))
                .into());
            }
        }
        self.state
            .execute(
                "INSERT OR IGNORE INTO decided_per_applicant (id, applicant, service, submitted) VALUES (?1, ?2, ?3, ?4)",
                params![
                    submission.id.to_string(),
                    submission.applicant.to_string(),
                    submission.service,
                    anchored.unix_timestamp()
                ],
            )
            .map_err(|e| self.state_error(e))?;
        Ok(Some((submission.id.to_string(), verdict.outcome)))
    }

    /// Opens and checks the sealed application: what the submission names, and signed by the
    /// applicant. `submitted` is the submission proof's `created`, which a compact plaintext
    /// ([`plaintext`]) leaves out.
    fn unseal(
        &self,
        submission: &Submission,
        submitted: &str,
        service: &Service,
        keys: &[DeskKeys],
        anchored: OffsetDateTime,
    ) -> Result<Application, Unreadable> {
        let id = submission.id.to_string();
        let aad = associated_data(
            &id,
            &submission.service,
            &submission.application_sha256,
            &submission.applicant.to_string(),
        );
        let legacy =
            legacy_associated_data(&id, &submission.service, &submission.application_sha256);
        let refused = |problem: String| Unreadable::Refused(problem);
        // The key valid when it was anchored first: the one the citizen most likely sealed to.
        let sealed_to = service.key_at(anchored).map(|key| key.did);
        let mut candidates: Vec<&DeskKeys> = keys.iter().collect();
        candidates.sort_by_key(|held| Some(held.signing.did()) != sealed_to);
        let mut failure = None;
        let mut opened = None;
        for held in candidates {
            match held
                .opening
                .open(&submission.sealed, &aad)
                .or_else(|error| {
                    held.opening
                        .open(&submission.sealed, &legacy)
                        .map_err(|_| error)
                }) {
                Ok(plaintext) => {
                    opened = Some(plaintext);
                    break;
                }
                Err(error) => failure = failure.or(Some(error)),
            }
        }
        let opened = match (opened, failure) {
            (Some(opened), _) => opened,
            (None, Some(error)) => return Err(refused(error.to_string())),
            (None, None) => return Err(refused("the desk holds no key to open it".to_owned())),
        };
        let signed = if opened.first() == Some(&plaintext::COMPACT) {
            plaintext::rebuild(&opened, Envelope::of(submission, submitted), service).map_err(
                |error| match error {
                    RebuildError::Malformed(_) => refused(error.to_string()),
                    RebuildError::OtherPolicy { .. } | RebuildError::OtherForm(_) => {
                        Unreadable::OtherCatalog(error.to_string())
                    }
                },
            )?
        } else {
            let text = std::str::from_utf8(&opened)
                .map_err(|_| refused("the sealed application is not UTF-8 text".to_owned()))?;
            let signed = parse_strict(text).map_err(|e| refused(e.to_string()))?;
            if digest_hex(&signed).map_err(|e| refused(e.to_string()))?
                != submission.application_sha256
            {
                return Err(refused(
                    "the sealed application is not the one the submission names".to_owned(),
                ));
            }
            signed
        };
        let verified = proof::verify(
            &signed,
            &VerifyOptions::assertion()
                .at(anchored.into())
                .exact_context(),
        )
        .map_err(|e| refused(e.to_string()))?;
        let application =
            Application::from_json(&verified.document).map_err(|e| refused(e.to_string()))?;
        if verified.signer != submission.applicant
            || application.id != submission.id
            || application.credential_subject.service != submission.service
        {
            return Err(refused(
                "the sealed application does not match its submission".to_owned(),
            ));
        }
        Ok(application)
    }

    fn earlier(
        &self,
        submission: &Submission,
        anchored: OffsetDateTime,
        period_days: Option<u32>,
    ) -> Result<u32, DeskError> {
        let since = period_days.map_or(i64::MIN, |days| {
            anchored.unix_timestamp() - i64::from(days) * 86_400
        });
        let count: i64 = self
            .state
            .query_row(
                "SELECT COUNT(*) FROM decided_per_applicant WHERE applicant = ?1 AND service = ?2 AND submitted >= ?3 AND submitted <= ?4 AND id != ?5",
                params![
                    submission.applicant.to_string(),
                    submission.service,
                    since,
                    anchored.unix_timestamp(),
                    submission.id.to_string()
                ],
                |row| row.get(0),
            )
            .map_err(|e| self.state_error(e))?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }
}

/// An application the policy referred to an officer, not decided since.
#[derive(Debug, Clone)]
pub struct Referred {
    /// The submission, where the ledger holds it.
    pub stored: StoredEntry,
    /// What it says.
    pub submission: Submission,
    /// The referral, as the department's desk recorded it.
    pub referral: Decision,
}

/// Every application on `ledger` that the policy referred to an officer and that nobody has
/// decided since, oldest first.
pub async fn referred(ledger: &dyn Ledger, catalog: &Catalog) -> Result<Vec<Referred>, DeskError> {
    let mut submissions: HashMap<u64, (StoredEntry, Submission)> = HashMap::new();
    let mut waiting: std::collections::BTreeMap<u64, Decision> = std::collections::BTreeMap::new();
    let mut next = 0;
    loop {
        let page = ledger.entries_since(next, PAGE).await?;
        let Some(last) = page.last() else { break };
        next = last.index + 1;
        for stored in page {
            match check_entry(&stored.entry, catalog, stored.time.into()) {
                Ok(Entry::Submission(submission)) => {
                    submissions.insert(stored.index, (stored, submission));
                }
                Ok(Entry::Decision(decision)) => {
                    let Some(at) = decision
                        .credential_subject
                        .anchored
                        .as_ref()
                        .map(|a| a.index)
                    else {
                        continue;
                    };
                    if agora_ledger::entry::is_final(&decision) {
                        waiting.remove(&at);
                    } else {
                        waiting.insert(at, decision);
                    }
                }
                Ok(Entry::Access(_)) | Err(_) => {}
            }
        }
    }
    Ok(waiting
        .into_iter()
        .filter_map(|(at, referral)| {
            let (stored, submission) = submissions.remove(&at)?;
            Some(Referred {
                stored,
                submission,
                referral,
            })
        })
        .collect())
}

/// Appends the access entry of `by` opening `submission` (anchored as `stored`) for
/// `purpose`, before it is opened: "who opened my application" is on the ledger, signed by
/// whoever opened it.
pub async fn record_access(
    ledger: &dyn Ledger,
    stored: &StoredEntry,
    submission: &Submission,
    by: &Identity,
    purpose: Purpose,
    delegation: Option<&serde_json::Value>,
) -> Result<(), DeskError> {
    let access = Access {
        kind: ACCESS_TYPE.to_owned(),
        id: submission.id,
        service: submission.service.clone(),
        application_sha256: submission.application_sha256.clone(),
        anchored: Anchor {
            ledger: ledger.origin(),
            index: stored.index,
            time: stored.time,
        },
        by: by.did(),
        purpose,
        at: agora_services::time_format::to_utc_second(OffsetDateTime::now_utc()),
        delegation: delegation.cloned(),
    };
    let signed = by
        .sign(
            &access.to_json(),
            &ProofOptions::assertion().created_at(SystemTime::now()),
        )
        .map_err(|e| LedgerError::Unavailable(format!("the desk cannot sign: {e}")))?;
    match ledger.append(signed).await {
        Ok(_) => Ok(()),
        Err(error @ LedgerError::Unavailable(_)) => Err(error.into()),
        Err(LedgerError::Rejected(refusal)) => Err(DeskError::Officer(format!(
            "the ledger refused to record that {} opened {}: {refusal}",
            by.did(),
            submission.id
        ))),
    }
}

/// What an officer decides.
#[derive(Debug, Clone)]
pub struct OfficerDecision {
    /// Approve or reject.
    pub outcome: Outcome,
    /// Why.
    pub reason: OfficerReason,
}

/// An officer's reason: written in both languages (the citizen reads it in theirs), or one of
/// the service's own messages, by key.
#[derive(Debug, Clone)]
pub enum OfficerReason {
    /// Text in English and Chinese.
    Written(agora_services::Text),
    /// A message of the service (`<service-id>.<name>`), as its policy's reasons are.
    Message(String),
}

/// Records an officer's final decision on `referred`, signed with the officer's own key and
/// carrying the department's signed `delegation`. The delegation is checked first, so an
/// officer outside its scope or period hears why before anything is sent; the ledger checks
/// it again, and that the application was referred and is not decided yet.
pub async fn decide_referred(
    ledger: &dyn Ledger,
    catalog: &Catalog,
    referred: &Referred,
    officer: &Identity,
    delegation: &serde_json::Value,
    decision: OfficerDecision,
) -> Result<Decision, DeskError> {
    let service = catalog
        .service(&referred.submission.service)
        .ok_or_else(|| {
            DeskError::Officer(format!(
                "the catalog has no service `{}`",
                referred.submission.service
            ))
        })?;
    let now = OffsetDateTime::now_utc();
    agora_services::delegation::verify(delegation, catalog, &service.id, &officer.did(), now)
        .map_err(|problem| DeskError::Officer(problem.to_string()))?;
    if decision.outcome == Outcome::Refer {
        return Err(DeskError::Officer(
            "an officer approves or rejects; a referral is the policy's".to_owned(),
        ));
    }
    let reason = match decision.reason {
        OfficerReason::Written(text) => Message::new("review.officer").with("reason", text),
        OfficerReason::Message(key) if service.messages.contains(&key) => Message::new(key),
        OfficerReason::Message(key) => {
            return Err(DeskError::Officer(format!(
                "`{key}` is not one of the messages of `{}` (its file's `messages` lists them)",
                service.id
            )));
        }
    };
    // Deciding is reading: the officer's access is recorded first.
    record_access(
        ledger,
        &referred.stored,
        &referred.submission,
        officer,
        Purpose::OfficerReview,
        Some(delegation),
    )
    .await?;
    let verdict = Verdict {
        outcome: decision.outcome,
        reasons: vec![reason],
        policy: referred.referral.credential_subject.policy.clone(),
        problems: Vec::new(),
    };
    let made = Decision::by_officer(
        Anchor {
            ledger: ledger.origin(),
            index: referred.stored.index,
            time: referred.stored.time,
        },
        referred.submission.id,
        referred.submission.application_sha256.clone(),
        &service.id,
        &verdict,
        officer.did(),
        delegation.clone(),
        now,
    );
    let signed = officer
        .sign(
            &made.to_json(),
            &ProofOptions::assertion().created_at(SystemTime::now()),
        )
        .map_err(|e| DeskError::Officer(format!("cannot sign: {e}")))?;
    ledger.append(signed).await?;
    Ok(made)
}

impl Desk {
    /// Opens a referred application for `officer`, who may decide it under `delegation`,
    /// with the department's keys this desk holds; the officer's access is recorded on the
    /// ledger first.
    pub async fn open_referred(
        &self,
        ledger: &dyn Ledger,
        referred: &Referred,
        officer: &Identity,
        delegation: &serde_json::Value,
    ) -> Result<Application, DeskError> {
        agora_services::delegation::verify(
            delegation,
            &self.catalog,
            &referred.submission.service,
            &officer.did(),
            OffsetDateTime::now_utc(),
        )
        .map_err(|problem| DeskError::Officer(problem.to_string()))?;
        record_access(
            ledger,
            &referred.stored,
            &referred.submission,
            officer,
            Purpose::OfficerReview,
            Some(delegation),
        )
        .await?;
        self.open_recorded(referred).map_err(DeskError::Officer)
    }

    fn open_recorded(&self, referred: &Referred) -> Result<Application, String> {
        let service = self
            .catalog
            .service(&referred.submission.service)
            .ok_or_else(|| {
                format!(
                    "the catalog has no service `{}`",
                    referred.submission.service
                )
            })?;
        let keys = self.keys.get(&service.department.id).ok_or_else(|| {
            format!(
                "this desk holds no key of the department `{}`",
                service.department.id
            )
        })?;
        let submitted = referred.stored.entry["proof"]["created"]
            .as_str()
            .unwrap_or_default();
        self.unseal(
            &referred.submission,
            submitted,
            service,
            keys,
            referred.stored.time,
        )
        .map_err(|unreadable| match unreadable {
            Unreadable::Refused(problem) | Unreadable::OtherCatalog(problem) => problem,
        })
    }
}

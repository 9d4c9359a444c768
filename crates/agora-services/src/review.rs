//! Reviewing an application: validate the answers, then run the service's policy. The same
//! function serves the citizen's dry run before signing and the department's desk after
//! submission, so the two cannot disagree about the same inputs.
//!
//! The facts of a submission ([`Submission`]) come from whoever reviews: a dry run uses the
//! citizen's own did:key, the current time and the count of their earlier applications that
//! their archive knows; the desk uses the time the ledger anchored the application and its own
//! count of earlier applications. Both call [`Service::review`].

use agora_identity::DidKey;
use agora_identity::canonical;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;
use time::{Date, OffsetDateTime};

use crate::application::Application;
use crate::catalog::Service;
use crate::form::{FieldError, FieldKind, format_date, parse_date};
use crate::message::Message;
use crate::policy::{EvaluationError, Outcome, PolicyRef};
use crate::time_format;

/// The facts of a submission that a policy may consider besides the answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// Who applies.
    pub applicant: DidKey,
    /// When: for the desk, when the ledger anchored the application; for a dry run, now.
    pub submitted_at: OffsetDateTime,
    /// What the reviewer knows of the applicant's history with the service.
    pub context: ReviewContext,
}

/// The service context a policy sees as `context`.
///
/// JSON: `{"earlier_applications": 0}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewContext {
    /// How many applications this applicant made to this service before this one, within the
    /// policy's `period_days` (all of them when the policy sets no period).
    #[serde(default)]
    pub earlier_applications: u32,
}

/// The outcome of a review, and why.
///
/// JSON: `{"outcome": "approve", "reasons": [{"key": "…"}], "policy": {…}, "problems": []}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Approve, reject or refer.
    pub outcome: Outcome,
    /// Why, as localized messages.
    pub reasons: Vec<Message>,
    /// The policy that decided.
    pub policy: PolicyRef,
    /// What is wrong with the answers, field by field (empty when they are valid). An
    /// application whose answers do not fit the form is rejected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<FieldError>,
}

impl Service {
    /// Reviews answers as the department will: validates them against the form (answers that
    /// do not fit are rejected, with every field's problem among the reasons), then evaluates
    /// the policy. A policy that cannot be evaluated refers the application to an officer
    /// (reason `review.policy-failed`). A closed service rejects (reason `review.closed`).
    ///
    /// This is the dry run: call it before signing to show the likely outcome.
    pub fn review(&self, answers: &Value, submission: &Submission) -> Verdict {
        let policy = self.policy.reference();
        if !self.open {
            return Verdict {
                outcome: Outcome::Reject,
                reasons: vec![Message::new("review.closed")],
                policy,
                problems: Vec::new(),
            };
        }
        let answers = match self.form.validate(answers) {
            Ok(answers) => answers,
            Err(problems) => {
                let mut reasons = vec![Message::new("review.invalid-answers")];
                reasons.extend(problems.iter().map(|problem| problem.message.clone()));
                return Verdict {
                    outcome: Outcome::Reject,
                    reasons,
                    policy,
                    problems,
                };
            }
        };
        match self.policy.evaluate(&answers, submission, self.time_zone) {
            Ok(evaluation) => Verdict {
                outcome: evaluation.outcome,
                reasons: evaluation.reasons,
                policy,
                problems: Vec::new(),
            },
            Err(error) => Verdict {
                outcome: Outcome::Refer,
                reasons: vec![policy_failed(&error)],
                policy,
                problems: Vec::new(),
            },
        }
    }

    /// Reviews a (verified) application as the desk does: it must be for this service, from
    /// the applicant the submission names; then [`Service::review`] of its answers.
    pub fn review_application(
        &self,
        application: &Application,
        submission: &Submission,
    ) -> Verdict {
        let subject = &application.credential_subject;
        let mismatch = if subject.service != self.id {
            Some(
                Message::new("review.wrong-service")
                    .with("found", subject.service.as_str())
                    .with("expected", self.id.as_str()),
            )
        } else if application.issuer != submission.applicant || subject.id != application.issuer {
            Some(Message::new("review.wrong-applicant"))
        } else {
            None
        };
        if let Some(reason) = mismatch {
            return Verdict {
                outcome: Outcome::Reject,
                reasons: vec![reason],
                policy: self.policy.reference(),
                problems: Vec::new(),
            };
        }
        self.review(&Value::Object(subject.answers.clone()), submission)
    }

    /// A dry run from an answers file: its answers, and its pinned time, context and
    /// applicant where it has them; otherwise `now`, no earlier applications and `applicant`.
    pub fn dry_run(&self, file: &AnswersFile, applicant: &DidKey, now: OffsetDateTime) -> Verdict {
        let submission = Submission {
            applicant: file.applicant.unwrap_or(*applicant),
            submitted_at: file.submitted_at.unwrap_or(now),
            context: file.context,
        };
        self.review(&file.answers, &submission)
    }
}

/// The reason given when a policy cannot be evaluated.
fn policy_failed(error: &EvaluationError) -> Message {
    Message::new("review.policy-failed").with("rule", error.rule().unwrap_or("-"))
}

/// An answers file: what `agora apply SERVICE --answers FILE --dry-run` reads, and the shape of
/// the examples in `assets/services/examples/`.
///
/// ```json
/// {
///   "service": "parking-permit",
///   "submitted_at": "2026-11-24T09:30:00+08:00",
///   "context": {"earlier_applications": 0},
///   "answers": {"zone": "b", "plate": "粤B12345"}
/// }
/// ```
///
/// Only `answers` is required. `service`, when present, must name the service applied to.
/// `submitted_at` and `context` pin the dry run's time and history, so that an example keeps
/// its outcome whatever day it is run; `applicant` pins the applicant's did:key. Members whose
/// name starts with `$` (such as `$comment`) are ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswersFile {
    /// The service the answers are for, if the file says.
    pub service: Option<String>,
    /// The submission time to assume, if pinned.
    pub submitted_at: Option<OffsetDateTime>,
    /// The applicant to assume, if pinned.
    pub applicant: Option<DidKey>,
    /// The context to assume (no earlier applications unless the file says).
    pub context: ReviewContext,
    /// The answers: a JSON object from field id to value (checked by the review, not here).
    pub answers: Value,
}

/// Why an answers file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AnswersFileError {
    /// Not JSON (or a member named twice).
    #[error("the answers file is not valid JSON: {0}")]
    Json(String),
    /// JSON, but not the answers file's shape.
    #[error(
        "the answers file is not in the expected shape ({{\"answers\": {{…}}}}, optionally with service, submitted_at, applicant, context): {0}"
    )]
    Shape(String),
    /// `applicant` is not a did:key.
    #[error("the answers file's applicant is not a did:key: {0}")]
    Applicant(String),
    /// `submitted_at` is not an RFC 3339 time.
    #[error(
        "the answers file's submitted_at is not an RFC 3339 date and time with a time zone, such as 2026-11-24T09:30:00+08:00: {0}"
    )]
    Time(String),
    /// `service` names another service.
    #[error("the answers file is for the service `{found}`, not `{expected}`")]
    WrongService {
        /// What the file says.
        found: String,
        /// The service applied to.
        expected: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnswersFile {
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    submitted_at: Option<String>,
    #[serde(default)]
    applicant: Option<String>,
    #[serde(default)]
    context: ReviewContext,
    answers: Value,
}

/// A date answer that [`AnswersFile::moved_to`] moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedDate {
    /// The field's id.
    pub field: String,
    /// The date the file gives.
    pub from: Date,
    /// The date it became.
    pub to: Date,
}

impl AnswersFile {
    /// The answers as they would read if the file had been written `today`: when the file
    /// pins `submitted_at`, every date answer of `service`'s form moves by the days from that
    /// day to `today`, in whole weeks (rounded away from the file's day: a date ahead of it
    /// stays ahead and one before it stays before, each at most six days further; a date on it
    /// becomes today), so that a policy that judges dates against the day of submission (a
    /// start date no earlier than today, and within so many days) and against the day of the
    /// week (a clinic closed on Sundays) judges them today as the file's dry run judged them. A file that pins no day is returned as it is. (A policy's own fixed dates,
    /// such as a consultation's closing day, do not move.)
    ///
    /// Returns the answers and the dates that moved; an error names a date answer that is not
    /// a date or cannot move that far.
    pub fn moved_to(
        &self,
        service: &Service,
        today: Date,
    ) -> Result<(Value, Vec<MovedDate>), String> {
        let mut answers = self.answers.clone();
        let Some(submitted_at) = self.submitted_at else {
            return Ok((answers, Vec::new()));
        };
        let days = (today - submitted_at.date()).whole_days();
        let exact = time::Duration::days(days);
        // Whole weeks keep a date on its weekday: rounded up for a date ahead of the file's day
        // (it stays as far ahead or further), down for one before it (as far back or further);
        // a date on the file's day itself moves to today.
        let whole_weeks = days.div_euclid(7) * 7;
        let weeks_down = time::Duration::days(whole_weeks);
        let weeks_up = time::Duration::days(whole_weeks + if days % 7 == 0 { 0 } else { 7 });
        let mut moved = Vec::new();
        if exact.is_zero() {
            return Ok((answers, moved));
        }
        for field in service.form.fields() {
            if !matches!(field.kind, FieldKind::Date(_)) {
                continue;
            }
            let Some(answer) = answers.get_mut(&field.id) else {
                continue;
            };
            let from = answer
                .as_str()
                .and_then(|text| parse_date(text).ok())
                .ok_or_else(|| format!("answers.{} is not a date", field.id))?;
            let shift = match from.cmp(&submitted_at.date()) {
                std::cmp::Ordering::Greater => weeks_up,
                std::cmp::Ordering::Less => weeks_down,
                std::cmp::Ordering::Equal => exact,
            };
            let to = from.checked_add(shift).ok_or_else(|| {
                format!(
                    "answers.{} cannot be moved from {from} to {today}",
                    field.id
                )
            })?;
            *answer = Value::from(format_date(to));
            moved.push(MovedDate {
                field: field.id.clone(),
                from,
                to,
            });
        }
        Ok((answers, moved))
    }

    /// Reads an answers file.
    pub fn parse(text: &str) -> Result<Self, AnswersFileError> {
        let mut value = canonical::parse_strict(text)
            .map_err(|error| AnswersFileError::Json(error.to_string()))?;
        if let Value::Object(members) = &mut value {
            members.retain(|name, _| !name.starts_with('$'));
        }
        let raw: RawAnswersFile = serde_json::from_value(value)
            .map_err(|error| AnswersFileError::Shape(error.to_string()))?;
        let applicant = raw
            .applicant
            .map(|did| DidKey::parse(&did))
            .transpose()
            .map_err(|error| AnswersFileError::Applicant(error.to_string()))?;
        let submitted_at = raw
            .submitted_at
            .map(|text| time_format::parse_rfc3339(&text))
            .transpose()
            .map_err(AnswersFileError::Time)?;
        Ok(Self {
            service: raw.service,
            submitted_at,
            applicant,
            context: raw.context,
            answers: raw.answers,
        })
    }

    /// Reads an answers file for `service`: as [`AnswersFile::parse`], and refusing a file that
    /// names another service.
    pub fn parse_for(text: &str, service: &str) -> Result<Self, AnswersFileError> {
        let file = Self::parse(text)?;
        match &file.service {
            Some(found) if found != service => Err(AnswersFileError::WrongService {
                found: found.clone(),
                expected: service.to_owned(),
            }),
            _ => Ok(file),
        }
    }
}

//! Review policies: the published rules that decide an application automatically, written in
//! CEL (the Common Expression Language) and evaluated with the `cel` crate.
//!
//! # Why CEL
//!
//! A policy is code that a department publishes and anyone may re-run, so its language must be
//! unable to do harm: CEL is not Turing-complete (no loops, no recursion, no I/O), has no side
//! effects, and is specified (github.com/google/cel-spec) with implementations in Go, Java,
//! C++, JavaScript and Rust, so a citizen or an auditor can check a decision with tools that
//! are not ours. It is the language Kubernetes admission policies, Google Cloud IAM conditions
//! and Envoy use for the same job. `cel` (github.com/cel-rust/cel-rust) is its maintained Rust
//! implementation, the successor of the `cel-interpreter` crate.
//!
//! # Shape of a policy (the `policy` member of a service file)
//!
//! ```json
//! {
//!   "id": "transport/residential-parking-permit",
//!   "version": 1,
//!   "summary": {"en": "…", "zh-CN": "…"},
//!   "period_days": 90,
//!   "rules": [
//!     {"id": "quota", "when": "context.earlier_applications >= 1",
//!      "outcome": "reject", "reason": "parking-permit.quota"}
//!   ],
//!   "otherwise": {"outcome": "approve", "reason": "parking-permit.eligible"}
//! }
//! ```
//!
//! - `id`, `version` (a whole number from 1): what a decision cites, with the hash.
//! - `summary` (optional): the policy in plain words, for the citizen.
//! - `period_days` (optional): the desk counts the applicant's earlier applications to this
//!   service over this many days before the submission (all of them when absent) and hands
//!   the count to the policy as `context.earlier_applications`.
//! - `rules`: each a CEL expression `when` that must yield a boolean, an `outcome` (`approve`,
//!   `reject` or `refer`, to an officer) and a `reason` message key (see [`crate::message`]).
//! - `otherwise`: the outcome and reason when no rule matches.
//!
//! # Evaluation
//!
//! Every rule is evaluated, in order. If any `reject` rule matches, the outcome is reject;
//! otherwise if any `refer` rule matches, refer; otherwise if any `approve` rule matches,
//! approve; otherwise `otherwise`. The reasons are those of the matching rules with that
//! outcome, in rule order, so a citizen learns every reason at once. A rule that fails to
//! evaluate (say, it reads an optional answer without `has()`) stops the evaluation with an
//! [`EvaluationError`] naming the rule; [`crate::Service::review`] turns that into a referral.
//!
//! The expressions see these variables, and nothing else (no clock, no randomness, no
//! network), so the same inputs always give the same outcome:
//!
//! | variable | CEL type | value |
//! |---|---|---|
//! | `answers` | map | the validated answers by field id: text and choices as `string`, numbers as `double` (`int` for `integer` fields), dates as `timestamp` (midnight UTC of that date), yes/no as `bool`, locations as `{lat, lon}` doubles; optional fields left empty are absent (test with `has(answers.x)`) |
//! | `applicant` | string | the applicant's `did:key` |
//! | `submitted_at` | timestamp | when the application was submitted |
//! | `today` | timestamp | the date of `submitted_at` in the service's `time_zone`, as midnight UTC: comparable with date answers (`answers.start_date < today`) |
//! | `context` | map | `earlier_applications`: `int`, this applicant's earlier applications to the service within `period_days` |
//!
//! # Hash
//!
//! A policy's hash is SHA-256 over the RFC 8785 (JCS) canonical form of the `policy` member
//! exactly as published, so anyone can recompute it from the service file:
//! [`policy_hash`]. Changing anything in it, a comment included, changes the hash. A decision
//! cites [`PolicyRef`]: id, version and hash.

pub mod analysis;

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock};

use agora_identity::canonical::{self, CanonicalizeError};
use cel::{Context, Env, IdedExpr, Value as CelValue};
use chrono::{DateTime, FixedOffset, NaiveDate};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use thiserror::Error;
use time::OffsetDateTime;

use crate::form::{Answer, Form, ValidAnswers};
use crate::lang::Text;
use crate::message::Message;
use crate::read::{Obj, Problems, kind};
use crate::review::Submission;

pub use analysis::{AnalysisError, MAX_COST, MAX_EXPRESSION_LEN};

/// The most rules a policy may have.
pub const MAX_RULES: usize = 100;

/// What a policy decides.
///
/// Ordered by severity (`Approve < Refer < Reject`): the most severe matching rule wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The application is granted (or, for a report or a vote, accepted).
    Approve,
    /// An officer must look at it; the automatic review does not decide.
    Refer,
    /// The application is refused.
    Reject,
}

impl Outcome {
    /// The JSON name: `approve`, `refer` or `reject`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Approve => "approve",
            Outcome::Refer => "refer",
            Outcome::Reject => "reject",
        }
    }

    /// The outcome's label ("Approved"), message key `outcome.<name>`.
    pub fn label(self) -> Message {
        Message::new(format!("outcome.{}", self.as_str()))
    }

    /// What a dry run expects ("This application will likely be approved."), message key
    /// `outcome.likely-<name>`.
    pub fn likely(self) -> Message {
        Message::new(format!("outcome.likely-{}", self.as_str()))
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "approve" => Some(Outcome::Approve),
            "refer" => Some(Outcome::Refer),
            "reject" => Some(Outcome::Reject),
            _ => None,
        }
    }
}

/// Which policy made a decision: what every decision and application cites.
///
/// JSON: `{"id": "transport/residential-parking-permit", "version": 1, "sha256": "<64 hex digits>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRef {
    /// The policy's id.
    pub id: String,
    /// Its version.
    pub version: u32,
    /// SHA-256 of its canonical JSON ([`policy_hash`]), in lowercase hexadecimal.
    pub sha256: String,
}

/// A compiled review policy.
#[derive(Debug, Clone)]
pub struct Policy {
    id: String,
    version: u32,
    summary: Option<Text>,
    period_days: Option<u32>,
    rules: Vec<Rule>,
    otherwise: Otherwise,
    sha256: [u8; 32],
}

/// One rule of a policy.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule's id, unique in its policy.
    pub id: String,
    /// The CEL expression, as written.
    pub when: String,
    /// The outcome when it matches.
    pub outcome: Outcome,
    /// The message key of the reason it gives.
    pub reason: String,
    /// The bound on its evaluation cost (see [`analysis`]).
    pub cost: u64,
    expr: IdedExpr,
}

/// What a policy decides when no rule matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Otherwise {
    /// The outcome.
    pub outcome: Outcome,
    /// The message key of its reason.
    pub reason: String,
}

/// The result of evaluating a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The outcome.
    pub outcome: Outcome,
    /// Why, as message keys: the matching rules' reasons, or the `otherwise` reason.
    pub reasons: Vec<Message>,
    /// The ids of the rules that matched, in order.
    pub matched: Vec<String>,
    /// The policy that decided.
    pub policy: PolicyRef,
}

/// Why a policy could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EvaluationError {
    /// A rule's expression failed, such as reading an answer that is absent.
    #[error("policy rule `{rule}` failed: {error}")]
    Rule {
        /// The rule's id.
        rule: String,
        /// What the CEL engine said.
        error: String,
    },
    /// A rule's expression yielded something other than a boolean.
    #[error("policy rule `{rule}` yielded {found}, not true or false")]
    NotBoolean {
        /// The rule's id.
        rule: String,
        /// What it yielded.
        found: String,
    },
    /// The CEL engine itself failed (it panicked; the panic was caught).
    #[error("the CEL engine failed while evaluating policy rule `{rule}`")]
    Engine {
        /// The rule's id.
        rule: String,
    },
    /// A time outside what the engine's timestamps hold.
    #[error("the time {time} is outside the range policies can evaluate")]
    TimeOutOfRange {
        /// The time.
        time: String,
    },
}

impl EvaluationError {
    /// The rule that failed, if one did.
    pub fn rule(&self) -> Option<&str> {
        match self {
            EvaluationError::Rule { rule, .. }
            | EvaluationError::NotBoolean { rule, .. }
            | EvaluationError::Engine { rule } => Some(rule),
            EvaluationError::TimeOutOfRange { .. } => None,
        }
    }
}

/// The CEL environment every policy is compiled and run in: the standard library and its
/// macros, without the optional-value syntax (`a.?b`), which policies do not need.
pub(crate) fn env() -> &'static Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| Arc::new(Env::stdlib().with_optional_support(false)))
}

/// SHA-256 over the RFC 8785 canonical form of a policy's JSON (the `policy` member of a
/// service file).
pub fn policy_hash(policy: &Value) -> Result<[u8; 32], CanonicalizeError> {
    let bytes = canonical::canonicalize(policy)?;
    Ok(Sha256::digest(&bytes).into())
}

/// Lowercase hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `id` is a plain lowercase slug: letters, digits and single hyphens.
pub fn is_slug(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

impl Policy {
    /// The policy's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The policy in plain words, if it says.
    pub fn summary(&self) -> Option<&Text> {
        self.summary.as_ref()
    }

    /// Over how many days before a submission the desk counts earlier applications (`None`:
    /// all of them).
    pub fn period_days(&self) -> Option<u32> {
        self.period_days
    }

    /// Its rules, in order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// What it decides when no rule matches.
    pub fn otherwise(&self) -> &Otherwise {
        &self.otherwise
    }

    /// SHA-256 of its canonical JSON.
    pub fn sha256(&self) -> [u8; 32] {
        self.sha256
    }

    /// What a decision cites.
    pub fn reference(&self) -> PolicyRef {
        PolicyRef {
            id: self.id.clone(),
            version: self.version,
            sha256: hex(&self.sha256),
        }
    }

    /// Every message key its rules and `otherwise` give as reasons.
    pub fn reason_keys(&self) -> impl Iterator<Item = &str> {
        self.rules
            .iter()
            .map(|rule| rule.reason.as_str())
            .chain(std::iter::once(self.otherwise.reason.as_str()))
    }

    /// Evaluates the policy over validated answers and the facts of the submission, in the
    /// service's time zone. Deterministic: the same inputs give the same result.
    pub fn evaluate(
        &self,
        answers: &ValidAnswers,
        submission: &Submission,
        time_zone: Tz,
    ) -> Result<Evaluation, EvaluationError> {
        let out_of_range = || EvaluationError::TimeOutOfRange {
            time: submission.submitted_at.to_string(),
        };
        let submitted_at = to_chrono(submission.submitted_at).ok_or_else(out_of_range)?;
        let today = submitted_at
            .with_timezone(&time_zone)
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map(|midnight| midnight.and_utc().fixed_offset())
            .ok_or_else(out_of_range)?;

        let mut values: HashMap<String, CelValue> = HashMap::new();
        for (id, answer) in answers.iter() {
            values.insert(id.to_owned(), to_cel(answer).ok_or_else(out_of_range)?);
        }
        let mut context_values: HashMap<String, CelValue> = HashMap::new();
        context_values.insert(
            "earlier_applications".to_owned(),
            CelValue::Int(i64::from(submission.context.earlier_applications)),
        );
        let mut context = Context::with_env(Arc::clone(env()));
        context.add_variable_from_value("answers", values);
        context.add_variable_from_value("applicant", submission.applicant.to_string());
        context.add_variable_from_value("submitted_at", CelValue::Timestamp(submitted_at));
        context.add_variable_from_value("today", CelValue::Timestamp(today));
        context.add_variable_from_value("context", context_values);

        let mut matched: Vec<&Rule> = Vec::new();
        for rule in &self.rules {
            // `cel` is a dependency, not our code: a panic in it must not take the desk or the
            // plaza down with it, so it is caught here and reported as this rule's failure.
            let result = catch_unwind(AssertUnwindSafe(|| CelValue::resolve(&rule.expr, &context)));
            match result {
                Err(_) => {
                    return Err(EvaluationError::Engine {
                        rule: rule.id.clone(),
                    });
                }
                Ok(Err(error)) => {
                    return Err(EvaluationError::Rule {
                        rule: rule.id.clone(),
                        error: error.to_string(),
                    });
                }
                Ok(Ok(CelValue::Bool(true))) => matched.push(rule),
                Ok(Ok(CelValue::Bool(false))) => {}
                Ok(Ok(other)) => {
                    return Err(EvaluationError::NotBoolean {
                        rule: rule.id.clone(),
                        found: format!("{other:?}").chars().take(80).collect(),
                    });
                }
            }
        }

        let (outcome, reasons) = match matched.iter().map(|rule| rule.outcome).max() {
            None => (
                self.otherwise.outcome,
                vec![Message::new(&self.otherwise.reason)],
            ),
            Some(worst) => {
                let mut reasons: Vec<Message> = Vec::new();
                for rule in matched.iter().filter(|rule| rule.outcome == worst) {
                    let reason = Message::new(&rule.reason);
                    if !reasons.contains(&reason) {
                        reasons.push(reason);
                    }
                }
                (worst, reasons)
            }
        };
        Ok(Evaluation {
            outcome,
            reasons,
            matched: matched.iter().map(|rule| rule.id.clone()).collect(),
            policy: self.reference(),
        })
    }

    /// Reads and compiles the `policy` member of a service file. `form` is `None` when the
    /// form itself had problems: the rules are then only parsed, not checked against it.
    /// `known_reason` says whether a message key has a text.
    pub(crate) fn parse(
        value: &Value,
        path: &str,
        form: Option<&Form>,
        known_reason: &dyn Fn(&str) -> bool,
        problems: &mut Problems,
    ) -> Option<Policy> {
        let before = problems.len();
        let sha256 = match policy_hash(value) {
            Ok(hash) => Some(hash),
            Err(error) => {
                problems.add(path, error.to_string());
                None
            }
        };
        let mut obj = Obj::new(value, path, problems)?;
        let id = obj.string("id", problems).map(str::to_owned);
        if let Some(id) = &id
            && (id.len() > 100 || id.chars().any(char::is_control))
        {
            problems.add(
                obj.path_of("id"),
                "must be at most 100 characters, without control characters",
            );
        }
        let version = obj.count("version", 1, u64::from(u32::MAX), problems);
        let summary = obj.optional_text("summary", problems);
        let period_days = obj.optional_count("period_days", 1, 3650, problems);

        let mut rules = Vec::new();
        if let Some(list) = obj.required("rules", problems) {
            let rules_path = obj.path_of("rules");
            match list {
                Value::Array(items) if items.len() > MAX_RULES => {
                    problems.add(
                        &rules_path,
                        format!("has {} rules; at most {MAX_RULES} are allowed", items.len()),
                    );
                }
                Value::Array(items) => {
                    let mut ids = Vec::new();
                    for (index, item) in items.iter().enumerate() {
                        // Duplicates are found among the ids as written, so that a rule with
                        // other problems still counts.
                        if let Some(id) = item.get("id").and_then(Value::as_str) {
                            if ids.contains(&id) {
                                problems.add(
                                    format!("{rules_path}[{id}].id"),
                                    "another rule has this id",
                                );
                            }
                            ids.push(id);
                        }
                        if let Some(rule) =
                            parse_rule(item, &rules_path, index, form, known_reason, problems)
                        {
                            rules.push(rule);
                        }
                    }
                }
                other => problems.add(
                    &rules_path,
                    format!("expected a list of rules, found {}", kind(other)),
                ),
            }
        }
        let otherwise = obj.required("otherwise", problems).and_then(|value| {
            let path = obj.path_of("otherwise");
            let mut inner = Obj::new(value, &path, problems)?;
            let outcome = read_outcome(&mut inner, problems);
            let reason = read_reason(&mut inner, known_reason, problems);
            inner.finish(problems);
            Some(Otherwise {
                outcome: outcome?,
                reason: reason?,
            })
        });
        obj.finish(problems);
        if problems.len() > before {
            return None;
        }
        #[expect(
            clippy::cast_possible_truncation,
            reason = "read within 1..=3650 and 1..=u32::MAX"
        )]
        Some(Policy {
            id: id?,
            version: version? as u32,
            summary,
            period_days: period_days.map(|days| days as u32),
            rules,
            otherwise: otherwise?,
            sha256: sha256?,
        })
    }
}

fn read_outcome(obj: &mut Obj<'_>, problems: &mut Problems) -> Option<Outcome> {
    let text = obj.string("outcome", problems)?;
    let outcome = Outcome::parse(text);
    if outcome.is_none() {
        problems.add(
            obj.path_of("outcome"),
            format!("`{text}` is not an outcome: use approve, reject or refer"),
        );
    }
    outcome
}

fn read_reason(
    obj: &mut Obj<'_>,
    known: &dyn Fn(&str) -> bool,
    problems: &mut Problems,
) -> Option<String> {
    let key = obj.string("reason", problems)?;
    if !known(key) {
        problems.add(
            obj.path_of("reason"),
            format!(
                "`{key}` has no text: add it to this file's `messages` with its English and \
                 Chinese text"
            ),
        );
        return None;
    }
    Some(key.to_owned())
}

fn parse_rule(
    value: &Value,
    rules_path: &str,
    index: usize,
    form: Option<&Form>,
    known_reason: &dyn Fn(&str) -> bool,
    problems: &mut Problems,
) -> Option<Rule> {
    // Name the rule by its id where it has a usable one, so that a problem reads
    // `policy.rules[quota].when` rather than `policy.rules[3].when`.
    let id = value
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| is_slug(id));
    let path = match id {
        Some(id) => format!("{rules_path}[{id}]"),
        None => format!("{rules_path}[#{}]", index + 1),
    };
    let mut obj = Obj::new(value, &path, problems)?;
    let id = obj.string("id", problems);
    if let Some(id) = id
        && !is_slug(id)
    {
        problems.add(
            obj.path_of("id"),
            format!("`{id}` is not a rule id: use lowercase letters, digits and hyphens"),
        );
    }
    let when = obj.string("when", problems);
    let outcome = read_outcome(&mut obj, problems);
    let reason = read_reason(&mut obj, known_reason, problems);
    let when_path = obj.path_of("when");
    obj.finish(problems);

    let when = when?;
    let compiled = compile(when, form);
    let (expr, cost) = match compiled {
        Ok(compiled) => compiled,
        Err(error) => {
            problems.add(when_path, error);
            return None;
        }
    };
    Some(Rule {
        id: id.filter(|id| is_slug(id))?.to_owned(),
        when: when.to_owned(),
        outcome: outcome?,
        reason: reason?,
        cost,
        expr,
    })
}

/// Parses a rule's expression and, when the form is known, checks it against the form and the
/// limits of [`analysis`].
fn compile(source: &str, form: Option<&Form>) -> Result<(IdedExpr, u64), String> {
    if source.len() > MAX_EXPRESSION_LEN {
        return Err(format!(
            "the expression is {} bytes long; at most {MAX_EXPRESSION_LEN} are allowed (split it into several rules)",
            source.len()
        ));
    }
    let expr = env()
        .parser()
        .parse(source)
        .map_err(|error| format!("CEL syntax error: {error}"))?;
    let cost = match form {
        Some(form) => {
            analysis::analyse(&expr, form, env()).map_err(|error| format!("CEL: {error}"))?
        }
        None => 0,
    };
    Ok((expr, cost))
}

/// A time as a CEL timestamp, in UTC.
fn to_chrono(time: OffsetDateTime) -> Option<DateTime<FixedOffset>> {
    DateTime::from_timestamp(time.unix_timestamp(), time.nanosecond()).map(|utc| utc.fixed_offset())
}

/// An answer as a CEL value.
fn to_cel(answer: &Answer) -> Option<CelValue> {
    Some(match answer {
        Answer::Text(text) | Answer::Choice(text) => CelValue::from(text.clone()),
        Answer::Number(number) => CelValue::Float(*number),
        Answer::Integer(number) => CelValue::Int(*number),
        Answer::YesNo(answer) => CelValue::Bool(*answer),
        Answer::Date(date) => {
            let date = NaiveDate::from_ymd_opt(
                date.year(),
                u32::from(u8::from(date.month())),
                u32::from(date.day()),
            )?;
            CelValue::Timestamp(date.and_hms_opt(0, 0, 0)?.and_utc().fixed_offset())
        }
        Answer::Location(location) => {
            let mut point: HashMap<String, CelValue> = HashMap::new();
            point.insert("lat".to_owned(), CelValue::Float(location.lat));
            point.insert("lon".to_owned(), CelValue::Float(location.lon));
            CelValue::from(point)
        }
    })
}

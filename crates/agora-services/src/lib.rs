//! Agora's public services as data: the service catalog, forms and their validation, the
//! published review policies, and the documents every other crate exchanges (application,
//! decision, status). No Bevy, no network; the only I/O is reading a catalog directory that
//! the caller names ([`check`], [`Catalog::load_dir`]).
//!
//! - [`catalog`]: one JSON file per service (schema in [`catalog::service`] and
//!   `assets/services/README.md`), [`Catalog::embedded`] (the shipped catalog, compiled in),
//!   and [`check`], which reports every problem of a catalog directory with file and member.
//! - [`form`]: fields (text, number, date, choice, yes/no, location) and
//!   [`Form::validate`], whose errors name the field and what is expected, as localized
//!   messages.
//! - [`policy`]: review policies in CEL, compiled and statically bounded when the catalog is
//!   read, evaluated deterministically; each has a version and a SHA-256 hash over its
//!   canonical JSON that every decision cites.
//! - [`review`]: [`Service::review`], the one evaluation that the citizen's dry run and the
//!   department's desk both run, and the answers file that `agora apply --dry-run` reads.
//! - [`application`], [`decision`], [`status`]: the shared documents, with stable JSON shapes
//!   (W3C VC 2.0-shaped for the two signed ones; see [`vc`]).
//! - [`message`] and [`lang`]: localized messages (a key and arguments), English and
//!   Chinese (zh-CN), with templates in `assets/locales/` and in each service file.
//! - [`keys`]: a department's X25519 encryption key as a Multikey (`z6LS…`).
//!
//! A typical dry run:
//!
//! ```
//! use agora_services::{AnswersFile, Catalog, Lang, Outcome, example_applicant};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let catalog = Catalog::embedded()?;
//! let service = catalog.service("parking-permit").ok_or("no such service")?;
//! let example = agora_services::catalog::EMBEDDED_EXAMPLES[0].1;
//! let file = AnswersFile::parse_for(example, &service.id)?;
//! let verdict = service.dry_run(&file, &example_applicant(), time::OffsetDateTime::now_utc());
//! assert_eq!(verdict.outcome, Outcome::Approve);
//! println!("{}", catalog.render(&verdict.reasons[0], Lang::ZhCn));
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod application;
pub mod catalog;
pub mod decision;
pub mod delegation;
pub mod form;
pub mod keys;
pub mod lang;
pub mod locale;
pub mod message;
pub mod policy;
mod read;
pub mod review;
pub mod status;
pub mod time_format;
pub mod vc;

pub use application::{Application, ApplicationId, ApplicationSubject, DocumentError};
pub use catalog::{
    Catalog, Department, Problem, Report, Service, check, embedded_example, example_answers,
    example_applicant,
};
pub use decision::{Anchor, Decision, DecisionSubject};
pub use form::{Answer, Field, FieldError, FieldKind, Form, ValidAnswers};
pub use keys::{EncryptionKey, EncryptionKeyError};
pub use lang::{Lang, Text};
pub use message::{Arg, Message, Messages};
pub use policy::{Evaluation, EvaluationError, Outcome, Policy, PolicyRef, policy_hash};
pub use review::{AnswersFile, AnswersFileError, MovedDate, ReviewContext, Submission, Verdict};
pub use status::Status;

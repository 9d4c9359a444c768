//! The service catalog: one JSON file per service, read, checked and compiled.
//!
//! [`Catalog::embedded`] is the catalog shipped in `assets/services/`, compiled into the crate
//! so the `agora` binary works from anywhere; [`Catalog::load_dir`] reads an operator's
//! directory instead, and [`check`] lists every problem in one, each with its file and the
//! path of the member (`fields[plate].max_length`, `policy.rules[quota].when`).
//!
//! The file format is documented in [`service`] and in `assets/services/README.md`.

pub mod department;
mod dir;
mod embedded;
pub mod service;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use agora_identity::DidKey;
use chrono_tz::Tz;
use thiserror::Error;
use time::OffsetDateTime;

use crate::form::Form;
use crate::lang::{Lang, Text};
use crate::message::{Message, Messages};
use crate::policy::{Outcome, Policy};
use crate::review::AnswersFile;

pub use department::{Department, DepartmentKey, KeyProblem, Revocation};
pub use dir::check;
pub use embedded::{
    EMBEDDED_DEPARTMENTS, EMBEDDED_EXAMPLES, EMBEDDED_SERVICES, embedded_example, example_answers,
    example_applicant,
};

/// The largest service or example file read, in bytes.
pub const MAX_FILE_SIZE: u64 = 1 << 20;

/// A public service: what its window offers, its form, and the policy that reviews it.
#[derive(Debug, Clone)]
pub struct Service {
    /// The service's id (its file is `<id>.json`), as the plaza's layout names it.
    pub id: String,
    /// Whether it accepts applications now.
    pub open: bool,
    /// The department that runs it.
    pub department: Department,
    /// Its name.
    pub title: Text,
    /// What it is for and who may apply, in a few sentences.
    pub description: Text,
    /// The IANA time zone its dates are in, such as `Asia/Shanghai`.
    pub time_zone: Tz,
    /// Its form.
    pub form: Form,
    /// Its review policy.
    pub policy: Policy,
    /// Its own messages: the reasons its policy gives, keyed `<id>.<name>`.
    pub messages: Messages,
}

impl Service {
    /// The department's key valid at `at`: the one to seal answers to and sign decisions with.
    pub fn key_at(&self, at: OffsetDateTime) -> Option<&DepartmentKey> {
        self.department.key_at(at)
    }

    /// `message` in `lang`, from this service's messages or the built-in ones.
    pub fn render(&self, message: &Message, lang: Lang) -> String {
        if self.messages.contains(&message.key) {
            self.messages.render(message, lang)
        } else {
            Messages::builtin().render(message, lang)
        }
    }
}

/// One problem in a catalog: the file, the member, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, as named to the reader (a path under the directory checked).
    pub file: String,
    /// The path of the member, such as `fields[plate].max_length`, or `(the whole file)`.
    pub field: String,
    /// What is wrong, and what is expected.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.field, self.message)
    }
}

/// Every problem found in a catalog; empty when it is fine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Error)]
pub struct Report {
    /// The problems, by file, in the order found.
    pub problems: Vec<Problem>,
}

impl Report {
    /// Whether there are no problems.
    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }

    pub(crate) fn add(&mut self, file: &str, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            file: file.to_owned(),
            field: field.into(),
            message: message.into(),
        });
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.problems.is_empty() {
            return f.write_str("no problems");
        }
        for (index, problem) in self.problems.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// A set of departments and their services, each checked.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    departments: BTreeMap<String, Department>,
    services: BTreeMap<String, Service>,
}

/// A file given by name and contents.
pub type Source<'a> = (&'a str, &'a str);

/// Reads the JSON file `file` with `read`, which reports what is wrong in `problems`: the
/// value, or every problem named with the file.
fn parse_file<T>(
    file: &str,
    text: &str,
    read: impl FnOnce(&serde_json::Value, &mut crate::read::Problems) -> Option<T>,
) -> Result<T, Vec<Problem>> {
    let mut problems = crate::read::Problems::default();
    let value = match agora_identity::canonical::parse_strict(text) {
        Ok(value) => read(&value, &mut problems),
        Err(error) => {
            problems.add("(the whole file)", error.to_string());
            None
        }
    };
    match value {
        Some(value) if problems.list.is_empty() => Ok(value),
        _ => Err(problems
            .list
            .into_iter()
            .map(|(field, message)| Problem {
                file: file.to_owned(),
                field,
                message,
            })
            .collect()),
    }
}

/// A file's `id`: a slug, and the file's name `<id>.json`; `what` names it in problems
/// (`service`, `department`).
fn read_file_id<'v>(
    obj: &mut crate::read::Obj<'v>,
    file: &str,
    what: &str,
    problems: &mut crate::read::Problems,
) -> Option<&'v str> {
    let id = obj.string("id", problems)?;
    if !crate::policy::is_slug(id) {
        problems.add(
            "id",
            format!("`{id}` is not a {what} id: use lowercase letters, digits and hyphens"),
        );
    }
    let stem = Path::new(file).file_stem().and_then(|stem| stem.to_str());
    if stem != Some(id) {
        problems.add(
            "id",
            format!("is `{id}`, so the file must be named {id}.json"),
        );
    }
    Some(id)
}

/// Whether `did` is one of the demo departments' keys (`assets/services/departments/`), whose
/// secret halves are published in `assets/demo-desk-keys/`: anyone can sign with them, so
/// nothing they sign is a real decision.
pub fn is_demo_key(did: &DidKey) -> bool {
    static DEMO: std::sync::OnceLock<Vec<DidKey>> = std::sync::OnceLock::new();
    DEMO.get_or_init(|| {
        EMBEDDED_DEPARTMENTS
            .iter()
            .filter_map(|(file, text)| department::parse(file, text).ok())
            .flat_map(|department| department.keys)
            .map(|key| key.did)
            .collect()
    })
    .contains(did)
}

impl Catalog {
    /// The catalog shipped with Agora (`assets/services/`), compiled in. The crate's tests
    /// check it; an error here means the build is broken, and says where.
    pub fn embedded() -> Result<Catalog, Report> {
        Self::from_sources(EMBEDDED_DEPARTMENTS, EMBEDDED_SERVICES, EMBEDDED_EXAMPLES)
    }

    /// Reads a catalog directory: every `departments/<id>.json` is a department, every
    /// `*.json` in it a service, every `examples/<service-id>.json` an example that its
    /// service's policy must approve.
    pub fn load_dir(dir: &Path) -> Result<Catalog, Report> {
        let (files, mut report) = dir::read(dir);
        fn named(files: &[(String, String)]) -> Vec<Source<'_>> {
            files
                .iter()
                .map(|(n, t)| (n.as_str(), t.as_str()))
                .collect()
        }
        match Self::from_sources(
            named(&files.departments),
            named(&files.services),
            named(&files.examples),
        ) {
            Ok(catalog) if report.is_empty() => Ok(catalog),
            Ok(_) => Err(report),
            Err(more) => {
                report.problems.extend(more.problems);
                Err(report)
            }
        }
    }

    /// Builds a catalog from department, service and example files, given by name and text;
    /// the names are used in problems, and a department's or service's file name must be
    /// `<id>.json`. Checks everything [`check`] does.
    pub fn from_sources<'a>(
        departments: impl IntoIterator<Item = Source<'a>>,
        services: impl IntoIterator<Item = Source<'a>>,
        examples: impl IntoIterator<Item = Source<'a>>,
    ) -> Result<Catalog, Report> {
        let mut report = Report::default();
        let mut catalog = Catalog::default();
        // Every department file by the id its name gives; `None` when it has problems of its
        // own, so that its services do not repeat them.
        let mut named: BTreeMap<String, Option<Department>> = BTreeMap::new();
        for (file, text) in departments {
            let stem = Path::new(file)
                .file_stem()
                .and_then(|stem| stem.to_str())
                .unwrap_or_default()
                .to_owned();
            match department::parse(file, text) {
                Ok(department) if catalog.departments.contains_key(&department.id) => report.add(
                    file,
                    "id",
                    format!(
                        "another file already defines the department `{}`",
                        department.id
                    ),
                ),
                Ok(department) => {
                    named.insert(stem, Some(department.clone()));
                    catalog
                        .departments
                        .insert(department.id.clone(), department);
                }
                Err(problems) => {
                    named.insert(stem, None);
                    report.problems.extend(problems);
                }
            }
        }
        catalog.check_departments(&mut report);
        for (file, text) in services {
            match service::parse(file, text, &named) {
                Ok(service) => {
                    if catalog.services.contains_key(&service.id) {
                        report.add(
                            file,
                            "id",
                            format!("another file already defines the service `{}`", service.id),
                        );
                    } else {
                        catalog.services.insert(service.id.clone(), service);
                    }
                }
                Err(problems) => report.problems.extend(problems),
            }
        }
        for (file, text) in examples {
            catalog.check_example(file, text, &mut report);
        }
        if report.is_empty() {
            Ok(catalog)
        } else {
            Err(report)
        }
    }

    /// The service `id`.
    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.get(id)
    }

    /// Every service, by id.
    pub fn services(&self) -> impl Iterator<Item = &Service> {
        self.services.values()
    }

    /// The department `id`.
    pub fn department(&self, id: &str) -> Option<&Department> {
        self.departments.get(id)
    }

    /// Every department, by id.
    pub fn departments(&self) -> impl Iterator<Item = &Department> {
        self.departments.values()
    }

    /// The department whose key `did` is, whatever the key's period.
    pub fn department_of(&self, did: &DidKey) -> Option<&Department> {
        self.departments.values().find(|d| d.has_key(did))
    }

    /// Whether any department holds one of the demo departments' keys, whose secret halves
    /// are published (`assets/demo-desk-keys/`): such a catalog is fit for the demo only.
    pub fn uses_demo_keys(&self) -> bool {
        self.on_demo_keys().next().is_some()
    }

    /// The departments that hold one of the demo departments' keys, by id.
    pub fn on_demo_keys(&self) -> impl Iterator<Item = &Department> {
        self.departments
            .values()
            .filter(|d| d.keys.iter().any(|key| is_demo_key(&key.did)))
    }

    /// `message` in `lang`: from the service whose id prefixes its key, or the built-in ones.
    pub fn render(&self, message: &Message, lang: Lang) -> String {
        let owner = message
            .key
            .split_once('.')
            .and_then(|(prefix, _)| self.services.get(prefix))
            .filter(|service| service.messages.contains(&message.key));
        match owner {
            Some(service) => service.messages.render(message, lang),
            None => Messages::builtin().render(message, lang),
        }
    }

    /// Two departments never share a key, in all their history.
    fn check_departments(&self, report: &mut Report) {
        let departments: Vec<&Department> = self.departments.values().collect();
        for (index, department) in departments.iter().enumerate() {
            for other in &departments[..index] {
                let shared = department.keys.iter().any(|key| {
                    other.keys.iter().any(|theirs| {
                        theirs.did == key.did || theirs.encryption_key == key.encryption_key
                    })
                });
                if shared {
                    report.add(
                        &format!("departments/{}.json", department.id),
                        "keys",
                        format!(
                            "uses a key of the department `{}` (departments/{}.json): each department needs its own keys",
                            other.id, other.id
                        ),
                    );
                }
            }
        }
    }

    /// An example must be for a service in the catalog, valid, and approved by its policy.
    fn check_example(&self, file: &str, text: &str, report: &mut Report) {
        let stem = Path::new(file)
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or_default();
        let Some(service) = self.services.get(stem) else {
            report.add(file, "(the whole file)", format!("names no service: there is no service `{stem}` (an example is examples/<service-id>.json)"));
            return;
        };
        let example = match AnswersFile::parse_for(text, &service.id) {
            Ok(example) => example,
            Err(error) => {
                report.add(file, "(the whole file)", error.to_string());
                return;
            }
        };
        let applicant = example_applicant();
        let now = example.submitted_at.unwrap_or_else(OffsetDateTime::now_utc);
        let verdict = service.dry_run(&example, &applicant, now);
        for problem in &verdict.problems {
            report.add(
                file,
                format!("answers.{}", problem.field),
                service.render(&problem.message, Lang::En),
            );
        }
        if verdict.problems.is_empty() && verdict.outcome != Outcome::Approve {
            let reasons: Vec<String> = verdict
                .reasons
                .iter()
                .map(|reason| format!("{} ({})", service.render(reason, Lang::En), reason.key))
                .collect();
            report.add(
                file,
                "answers",
                format!(
                    "the policy does not approve this example: it would {}, because: {}",
                    verdict.outcome.as_str(),
                    reasons.join("; ")
                ),
            );
        }
    }
}

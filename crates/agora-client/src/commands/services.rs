//! `agora services list | check DIR` and `agora apply SERVICE --answers FILE --dry-run`: the
//! service catalog and its published review policies, on the command line.

use std::path::Path;

use agora_identity::Identity;
use agora_services::{AnswersFile, Catalog, Lang, Outcome, Service, check};
use time::OffsetDateTime;

use super::CommandError;
use super::identity::profile_store;

/// Largest answers file `apply` and `submit` read.
const MAX_ANSWERS_BYTES: u64 = 1024 * 1024;

/// The catalog this process uses: the city's (`--catalog DIR` or the configuration file), or
/// the one built into the binary (`assets/services/`) for the demo.
pub(crate) fn catalog() -> Result<Catalog, CommandError> {
    Ok(super::catalog_source()?.open()?)
}

/// `agora services list`: every service, its department and its policy.
pub fn list(lang: Lang) -> Result<String, CommandError> {
    let catalog = catalog()?;
    let mut lines = Vec::new();
    for service in catalog.services() {
        let policy = service.policy.reference();
        lines.push(format!(
            "{:<24} {}  ({}){}",
            service.id,
            service.title.get(lang),
            service.department.name.get(lang),
            if service.open { "" } else { "  [closed]" }
        ));
        lines.push(format!(
            "{:<24} policy {} v{}, sha256 {}",
            "", policy.id, policy.version, policy.sha256
        ));
    }
    Ok(lines.join("\n"))
}

/// `agora services check DIR`: every problem of a catalog directory, with file and field.
/// Problems are a negative answer (exit 1).
pub fn check_dir(dir: &Path) -> Result<String, CommandError> {
    if !dir.is_dir() {
        return Err(CommandError::input(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    let report = check(dir);
    if report.problems.is_empty() {
        let catalog = Catalog::load_dir(dir).ok();
        let count = catalog.as_ref().map_or(0, |c| c.services().count());
        // Not a problem of the files, but a city cannot use them: say so.
        let on_demo_keys: Vec<&str> = catalog
            .iter()
            .flat_map(|c| c.on_demo_keys())
            .map(|d| d.id.as_str())
            .collect();
        let note = if on_demo_keys.is_empty() {
            String::new()
        } else {
            format!(
                "\nfit for the demo only: still on the demo's published keys: {} (a city's --catalog refuses them; `agora keys rotate ID --first` makes the city's own)",
                on_demo_keys.join(", ")
            )
        };
        Ok(format!(
            "{}: {count} services, no problems{note}",
            dir.display()
        ))
    } else {
        Err(CommandError::negative(format!(
            "{}: {} problems\n{report}",
            dir.display(),
            report.problems.len()
        )))
    }
}

/// The service `service_id` of `catalog`, or an input error listing the ones there are.
pub(crate) fn find_service<'a>(
    catalog: &'a Catalog,
    service_id: &str,
) -> Result<&'a Service, CommandError> {
    catalog.service(service_id).ok_or_else(|| {
        let known: Vec<&str> = catalog.services().map(|s| s.id.as_str()).collect();
        CommandError::input(format!(
            "there is no service {service_id:?}; the catalog has: {}",
            known.join(", ")
        ))
    })
}

/// Reads an answers file for `service_id` (the shape of `assets/services/examples/`).
pub(crate) fn read_answers(answers: &Path, service_id: &str) -> Result<AnswersFile, CommandError> {
    let text = super::read_limited(answers, MAX_ANSWERS_BYTES)?;
    let text = String::from_utf8(text)
        .map_err(|_| CommandError::input(format!("{} is not UTF-8 text", answers.display())))?;
    AnswersFile::parse_for(&text, service_id)
        .map_err(|e| CommandError::input(format!("{}: {e}", answers.display())))
}

/// `agora apply SERVICE --answers FILE --dry-run`: what the service's published policy will
/// most likely decide, and why. A likely rejection, or answers that do not fit the form, is a
/// negative answer (exit 1).
pub fn dry_run(service_id: &str, answers: &Path, lang: Lang) -> Result<String, CommandError> {
    let catalog = catalog()?;
    let service = find_service(&catalog, service_id)?;
    let file = read_answers(answers, service_id)?;
    // The dry run judges the applicant this device would sign as; without an identity yet,
    // a throwaway key stands in (nothing is signed).
    let applicant = match profile_store().and_then(|(store, profile)| {
        store
            .did(&profile)
            .map_err(|e| CommandError::input(e.to_string()))
    }) {
        Ok(did) => did,
        Err(_) => Identity::generate()
            .map_err(|e| CommandError::failure(e.to_string()))?
            .did(),
    };
    let verdict = service.dry_run(&file, &applicant, OffsetDateTime::now_utc());

    let mut lines = vec![format!(
        "{} — {}",
        service.title.get(lang),
        catalog.render(&verdict.outcome.likely(), lang)
    )];
    for problem in &verdict.problems {
        lines.push(format!(
            "  {}: {}",
            problem.field,
            catalog.render(&problem.message, lang)
        ));
    }
    for reason in &verdict.reasons {
        lines.push(format!("  - {}", catalog.render(reason, lang)));
    }
    lines.push(format!(
        "(policy {} v{}, sha256 {})",
        verdict.policy.id, verdict.policy.version, verdict.policy.sha256
    ));
    let report = lines.join("\n");
    match verdict.outcome {
        Outcome::Reject => Err(CommandError::negative(report)),
        Outcome::Approve | Outcome::Refer => Ok(report),
    }
}

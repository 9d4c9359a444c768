//! `agora desk delegate | queue | decide`: the officers who decide what a policy referred to
//! them.
//!
//! A department delegates to a named officer (the officer's own did:key, a scope of services
//! and a period) with a credential its key signs (`delegate`). The officer lists what waits
//! (`queue`, with the answers when the desk's keys are at hand) and records a final decision
//! with a reason in both languages (`decide`), signed with their own PIN-protected key (the
//! profile's identity on this machine) and carrying the delegation, so that anyone can check
//! the chain officer → department → catalog.

use std::path::Path;
use std::time::SystemTime;

use agora_gateway::desk::{OfficerDecision, OfficerReason, Referred, decide_referred, referred};
use agora_gateway::{Desk, DeskKeys};
use agora_identity::proof::ProofOptions;
use agora_services::delegation::{Delegation, Officer};
use agora_services::time_format::{format_utc, parse_utc};
use agora_services::{Lang, Outcome, Text};
use time::OffsetDateTime;

use super::CommandError;
use super::gateway::{LedgerSpec, runtime};
use super::identity::profile_store;
use super::pin::PinSource;
use super::services::catalog;

fn home() -> Result<std::path::PathBuf, CommandError> {
    agora_identity::default_home().map_err(|e| CommandError::failure(e.to_string()))
}

/// `agora desk delegate OFFICER_DID --department ID --service S… --until TIME --name NAME
/// --keys DIR --out FILE`: the department's key valid now signs a delegation that lets the
/// officer decide the referred applications of those services until then.
#[allow(clippy::too_many_arguments)]
pub fn delegate(
    officer: &str,
    department: &str,
    services: &[String],
    name: &str,
    from: Option<&str>,
    until: &str,
    keys: &Path,
    out: &Path,
) -> Result<String, CommandError> {
    let catalog = catalog()?;
    let officer = agora_identity::DidKey::parse(officer)
        .map_err(|e| CommandError::input(format!("the officer: {e}")))?;
    let Some(listed) = catalog.department(department) else {
        return Err(CommandError::input(format!(
            "the catalog has no department `{department}`"
        )));
    };
    for service in services {
        if catalog.service(service).map(|s| s.department.id.as_str()) != Some(department) {
            return Err(CommandError::input(format!(
                "`{service}` is not a service of the department `{department}`"
            )));
        }
    }
    if services.is_empty() {
        return Err(CommandError::input(
            "name at least one service with --service",
        ));
    }
    let now = agora_services::time_format::to_utc_second(OffsetDateTime::now_utc());
    let from = match from {
        Some(text) => parse_utc(text).map_err(|e| CommandError::input(format!("--from: {e}")))?,
        None => now,
    };
    let until = parse_utc(until).map_err(|e| CommandError::input(format!("--until: {e}")))?;
    if until <= from {
        return Err(CommandError::input(
            "--until must be after the delegation begins",
        ));
    }
    let current = listed.key_at(now).ok_or_else(|| {
        CommandError::input(format!(
            "the department `{department}` has no key valid now to sign with"
        ))
    })?;
    let held = DeskKeys::load_dir(keys).map_err(|e| CommandError::input(e.to_string()))?;
    let signing = held
        .iter()
        .find(|key| key.department == department && key.signing.did() == current.did)
        .ok_or_else(|| {
            CommandError::input(format!(
                "{} holds no file of the department's key valid now ({})",
                keys.display(),
                current.did
            ))
        })?;
    let delegation = Delegation::new(
        current.did,
        Officer {
            id: officer,
            name: name.to_owned(),
            department: department.to_owned(),
            services: services.to_vec(),
        },
        from,
        until,
    );
    let signed = signing
        .signing
        .sign(
            &delegation.to_json(),
            &ProofOptions::assertion().created_at(SystemTime::now()),
        )
        .map_err(|e| CommandError::failure(e.to_string()))?;
    let text =
        serde_json::to_string_pretty(&signed).map_err(|e| CommandError::failure(e.to_string()))?;
    std::fs::write(out, text + "\n")
        .map_err(|e| CommandError::failure(format!("cannot write {}: {e}", out.display())))?;
    Ok(format!(
        "{name} ({officer}) may decide the referred applications of {} for the department `{department}` from {} until {}\n\
         the delegation: {} (give it to the officer; it is not secret)",
        services.join(", "),
        format_utc(from),
        format_utc(until),
        out.display()
    ))
}

/// `agora desk queue`: the referred applications that wait for an officer, with the policy's
/// reasons (their answers stay sealed: `agora desk open` opens one, and records it).
pub fn queue(spec: &LedgerSpec, lang: Lang) -> Result<String, CommandError> {
    let home = home()?;
    let catalog = catalog()?;
    let ledger = spec.open(&home, &catalog)?;
    let waiting = runtime()?
        .block_on(referred(ledger.as_ref(), &catalog))
        .map_err(|e| CommandError::failure(e.to_string()))?;
    if waiting.is_empty() {
        return Ok("no referred application is waiting for an officer".to_owned());
    }
    let mut lines = Vec::new();
    for one in &waiting {
        let title = catalog
            .service(&one.submission.service)
            .map_or(one.submission.service.clone(), |s| {
                s.title.get(lang).to_owned()
            });
        lines.push(format!(
            "{} — {title}, anchored {} at leaf {}",
            one.submission.id,
            format_utc(one.stored.time),
            one.stored.index
        ));
        for reason in &one.referral.credential_subject.reasons {
            lines.push(format!("  referred: {}", catalog.render(reason, lang)));
        }
    }
    Ok(lines.join("\n"))
}

/// The officer's key (the profile's, PIN-unlocked), the delegation, and the referred
/// application `id` as the ledger holds it.
struct OfficerAt {
    officer: agora_identity::Identity,
    delegation: serde_json::Value,
    referred: Referred,
    ledger: Box<dyn agora_gateway::Ledger>,
    catalog: agora_services::Catalog,
    runtime: tokio::runtime::Runtime,
}

fn officer_at(
    id: &str,
    delegation: &Path,
    pins: &PinSource,
    spec: &LedgerSpec,
) -> Result<OfficerAt, CommandError> {
    let id =
        agora_services::ApplicationId::parse(id).map_err(|e| CommandError::input(e.to_string()))?;
    let text = std::fs::read_to_string(delegation)
        .map_err(|e| CommandError::input(format!("{}: {e}", delegation.display())))?;
    let delegation = agora_identity::canonical::parse_strict(&text)
        .map_err(|e| CommandError::input(format!("{}: {e}", delegation.display())))?;
    let home = home()?;
    let catalog = catalog()?;
    let ledger = spec.open(&home, &catalog)?;
    let runtime = runtime()?;
    let waiting = runtime
        .block_on(referred(ledger.as_ref(), &catalog))
        .map_err(|e| CommandError::failure(e.to_string()))?;
    let Some(referred) = waiting.into_iter().find(|one| one.submission.id == id) else {
        return Err(CommandError::input(format!(
            "{id} is not waiting for an officer: only applications the policy referred, and not decided since, are decided by hand (`agora desk queue` lists them)"
        )));
    };
    let (store, profile) = profile_store()?;
    if !store.exists(&profile) {
        return Err(CommandError::input(
            "this profile has no officer key yet: create one with `agora id new`",
        ));
    }
    let officer = store
        .unlock(&profile, &pins.read("PIN: ")?)
        .map_err(|e| CommandError::input(e.to_string()))?;
    Ok(OfficerAt {
        officer,
        delegation,
        referred,
        ledger,
        catalog,
        runtime,
    })
}

fn officer_error(id: &str, error: agora_gateway::desk::DeskError) -> CommandError {
    match error {
        agora_gateway::desk::DeskError::Ledger(agora_gateway::LedgerError::Unavailable(why)) => {
            CommandError::failure(format!("the ledger cannot take it now: {why}"))
        }
        other => CommandError::negative(format!("{id}: {other}")),
    }
}

/// `agora desk open ID --keys DIR --delegation FILE`: the officer reads a referred
/// application's answers, with the department desk's keys; that they opened it is recorded on
/// the ledger first, signed with their key.
pub fn open(
    id: &str,
    keys: &Path,
    delegation: &Path,
    pins: &PinSource,
    spec: &LedgerSpec,
) -> Result<String, CommandError> {
    let at = officer_at(id, delegation, pins, spec)?;
    // The desk's state is not needed to open one application: a throwaway file.
    let scratch = tempfile_dir()?;
    let desk = Desk::open(
        at.catalog.clone(),
        DeskKeys::load_dir(keys).map_err(|e| CommandError::input(e.to_string()))?,
        &scratch.join("desk.sqlite"),
    )
    .map_err(|e| CommandError::input(e.to_string()));
    let opened = desk.and_then(|desk| {
        at.runtime
            .block_on(desk.open_referred(
                at.ledger.as_ref(),
                &at.referred,
                &at.officer,
                &at.delegation,
            ))
            .map_err(|e| officer_error(id, e))
    });
    let _ = std::fs::remove_dir_all(&scratch);
    let application = opened?;
    let mut lines = vec![format!(
        "{} — opened by {} (recorded on the ledger)",
        application.id,
        at.officer.did()
    )];
    for (field, answer) in &application.credential_subject.answers {
        lines.push(format!("  {field}: {answer}"));
    }
    Ok(lines.join("\n"))
}

fn tempfile_dir() -> Result<std::path::PathBuf, CommandError> {
    let dir = std::env::temp_dir().join(format!("agora-officer-{}", std::process::id()));
    agora_identity::keystore::files::create_private_dir(&dir)
        .map_err(|e| CommandError::failure(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}

/// `agora desk decide ID approve|reject (--reason TEXT --reason-zh TEXT | --reason-key KEY)
/// --delegation FILE`: the officer's final decision on a referred application, with a reason in
/// both languages or one of the service's messages, signed with the profile's key (PIN).
pub fn decide(
    id: &str,
    outcome: Outcome,
    reason: (Option<&str>, Option<&str>, Option<&str>),
    delegation: &Path,
    pins: &PinSource,
    spec: &LedgerSpec,
) -> Result<String, CommandError> {
    let reason = match reason {
        (Some(en), Some(zh), None) if !en.trim().is_empty() && !zh.trim().is_empty() => {
            OfficerReason::Written(Text::new(en, zh))
        }
        (None, None, Some(key)) => OfficerReason::Message(key.to_owned()),
        _ => {
            return Err(CommandError::input(
                "give the reason in both languages (--reason TEXT --reason-zh 文字), or one of the service's messages (--reason-key SERVICE.NAME)",
            ));
        }
    };
    let at = officer_at(id, delegation, pins, spec)?;
    let (officer, catalog) = (&at.officer, &at.catalog);
    let made = at
        .runtime
        .block_on(decide_referred(
            at.ledger.as_ref(),
            catalog,
            &at.referred,
            officer,
            &at.delegation,
            OfficerDecision { outcome, reason },
        ))
        .map_err(|e| officer_error(id, e))?;
    Ok(format!(
        "{id}: {} by {}, officer of the department `{}`",
        made.credential_subject.outcome.as_str(),
        officer.did(),
        catalog
            .service(&made.credential_subject.service)
            .map_or("", |s| s.department.id.as_str())
    ))
}

//! `agora submit`, `agora status`, `agora desk` and `agora ledger log | checkpoint | audit`:
//! the gateway on the command line.
//!
//! In the default set-up (`--ledger local`) everything lives in Agora's data directory: the
//! embedded ledger in `ledger/`, the citizen's archive and outbox in `archive.sqlite`, and the
//! in-process desk's state in `desk.sqlite`. With the demo catalog the desk runs beside the
//! ledger with the demo departments' keys, so a lone citizen gets decisions; with a city's
//! catalog (`--catalog DIR`) its departments' own desks decide (`agora desk --keys DIR`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use agora_gateway::archive::{self, Archived};
use agora_gateway::receipt::VerifiedLedger;
use agora_gateway::{Archive, CatalogSource, Stack, State, TrustedLedgers, prepare};
use agora_identity::default_home;
use agora_ledger::VerifierKey;
use agora_services::{ApplicationId, Catalog, Lang, Outcome};

use super::CommandError;
use super::hold::{Holding, Point, hold};
use super::identity::profile_store;
use super::pin::PinSource;
use super::services::{catalog, find_service, read_answers};

pub use agora_gateway::city::{LEDGER_DIR, LedgerSpec};

/// How long `agora submit` keeps trying to deliver before leaving it to the outbox.
const DELIVERY_PATIENCE: Duration = Duration::from_secs(60);

fn home() -> Result<PathBuf, CommandError> {
    default_home().map_err(|e| CommandError::failure(e.to_string()))
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CommandError> {
    // Timers, and sockets for a ledger on the network (`--ledger evm:`).
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CommandError::failure(format!("cannot start the gateway's runtime: {e}")))
}

/// The citizen's side in the data directory, on the ledger `spec` names, with the catalog this
/// process uses ([`super::catalog_source`]).
fn open_stack(spec: &LedgerSpec) -> Result<Stack, CommandError> {
    Ok(Stack::open(&home()?, &super::catalog_source()?, spec)?)
}

/// Delivers what is due, lets the in-process desk (if any) decide, and refreshes receipts.
pub(crate) async fn catch_up(stack: &mut Stack) -> Result<archive::Delivery, CommandError> {
    let ledger = Holding(stack.ledger.as_ref());
    let delivery = archive::deliver(&stack.archive, &ledger, SystemTime::now())
        .await
        .map_err(|e| CommandError::failure(e.to_string()))?;
    if let Some(desk) = &mut stack.desk
        && let Err(error) = desk.run_once(&ledger).await
    {
        eprintln!("agora: the desk could not run: {error}");
    }
    hold(Point::Decided);
    archive::refresh(&stack.archive, &ledger, &stack.catalog, SystemTime::now())
        .await
        .map_err(|e| CommandError::failure(e.to_string()))?;
    Ok(delivery)
}

/// `agora submit SERVICE --answers FILE [--no-wait]`: validate, sign with the profile key,
/// queue durably, deliver, and print the receipt (with the decision). A rejection is a
/// negative answer (exit 1); the receipt is printed all the same.
pub fn submit(
    service_id: &str,
    answers: &Path,
    no_wait: bool,
    pins: &PinSource,
    spec: &LedgerSpec,
    lang: Lang,
) -> Result<String, CommandError> {
    let catalog = catalog()?;
    let service = find_service(&catalog, service_id)?;
    let file = read_answers(answers, service_id)?;
    // A file that pins the day of its dry run (`submitted_at`, as the shipped examples do) is
    // submitted as if written today: its dates move by as many days, and the citizen is told.
    let now = time::OffsetDateTime::now_utc();
    let today = file
        .submitted_at
        .map_or(now, |pinned| now.to_offset(pinned.offset()))
        .date();
    let (moved_answers, moved) = file
        .moved_to(service, today)
        .map_err(|problem| CommandError::input(format!("{}: {problem}", answers.display())))?;
    if let Some(pinned) = file.submitted_at.filter(|_| !moved.is_empty()) {
        let changes: Vec<String> = moved
            .iter()
            .map(|m| format!("{} {} → {}", m.field, m.from, m.to))
            .collect();
        eprintln!(
            "{}: written for {} (its submitted_at), so its dates move to today's: {}",
            answers.display(),
            pinned.date(),
            changes.join(", ")
        );
    }
    let valid = service.form.validate(&moved_answers).map_err(|problems| {
        let lines: Vec<String> = problems
            .iter()
            .map(|p| format!("  {}: {}", p.field, catalog.render(&p.message, lang)))
            .collect();
        CommandError::input(format!(
            "{}: the answers do not fit the form:\n{}",
            answers.display(),
            lines.join("\n")
        ))
    })?;

    let (store, profile) = profile_store()?;
    if !store.exists(&profile) {
        return Err(CommandError::input(
            "this device has no identity yet to sign with: create one with `agora id new`",
        ));
    }
    let identity = store
        .unlock(&profile, &pins.read("PIN: ")?)
        .map_err(|e| CommandError::input(e.to_string()))?;
    let prepared = prepare(service, &valid, &identity, SystemTime::now())
        .map_err(|e| CommandError::failure(e.to_string()))?;
    hold(Point::Signed);

    let mut local = open_stack(spec)?;
    local
        .archive
        .enqueue(&prepared, SystemTime::now())
        .map_err(|e| CommandError::failure(e.to_string()))?;
    hold(Point::Enqueued);
    eprintln!("queued: {} ({})", prepared.id, service.title.get(lang));
    hold(Point::Told);

    runtime()?.block_on(async {
        let started = Instant::now();
        loop {
            catch_up(&mut local).await?;
            let archived = archived(&local.archive, prepared.id)?;
            match archived.state {
                State::Queued if !no_wait && started.elapsed() < DELIVERY_PATIENCE => {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                State::Queued => {
                    return Ok(format!(
                        "{} is queued and will be delivered when the ledger is reachable (`agora status` tries again){}",
                        prepared.id,
                        archived.last_error.map(|e| format!("; last attempt: {e}")).unwrap_or_default()
                    ));
                }
                State::Failed => {
                    return Err(CommandError::negative(format!(
                        "{} was refused: {}",
                        prepared.id,
                        archived.events.last().and_then(|e| e.detail.clone()).unwrap_or_default()
                    )));
                }
                State::Anchored | State::Decided => {
                    let receipt = print_receipt(&archived)?;
                    eprintln!("{}", describe(&local.catalog, &archived, lang));
                    return if archived.outcome() == Some(Outcome::Reject) {
                        // The receipt is the answer whatever the decision; exit status 1
                        // says the answer is no, and the reasons are above on stderr.
                        Err(CommandError::negative(format!(
                            "{} was rejected",
                            prepared.id
                        ))
                        .with_answer(receipt))
                    } else {
                        Ok(receipt)
                    };
                }
            }
        }
    })
}

fn archived(archive: &Archive, id: ApplicationId) -> Result<Archived, CommandError> {
    archive
        .get(id)
        .map_err(|e| CommandError::failure(e.to_string()))?
        .ok_or_else(|| {
            CommandError::input(format!(
                "there is no application {id} in this device's archive"
            ))
        })
}

fn print_receipt(archived: &Archived) -> Result<String, CommandError> {
    let receipt = archived
        .receipt
        .as_ref()
        .ok_or_else(|| CommandError::failure(format!("{} has no receipt yet", archived.id)))?;
    serde_json::to_string_pretty(receipt).map_err(|e| CommandError::failure(e.to_string()))
}

/// Where a step stands among others in the same second: queued, anchored, opened (2), decided.
pub(crate) fn timeline_rank(state: State) -> u8 {
    match state {
        State::Queued => 0,
        State::Anchored => 1,
        State::Decided | State::Failed => 3,
    }
}

/// An application's state and timeline, in words.
fn describe(catalog: &Catalog, archived: &Archived, lang: Lang) -> String {
    let title = catalog
        .service(&archived.service)
        .map_or(archived.service.clone(), |s| s.title.get(lang).to_owned());
    let state = match (archived.state, archived.outcome()) {
        (State::Decided, Some(outcome)) | (State::Anchored, Some(outcome @ Outcome::Refer)) => {
            catalog.render(&agora_services::Status::Decided { outcome }.label(), lang)
        }
        (State::Queued, _) => catalog.render(&agora_services::Status::Queued.label(), lang),
        (State::Anchored, _) => catalog.render(&agora_services::Status::Anchored.label(), lang),
        (State::Decided, None) => "decided".to_owned(),
        (State::Failed, _) => "refused by the ledger".to_owned(),
    };
    let mut lines = vec![format!("{} — {title}: {state}", archived.id)];
    // The timeline: its own steps, and who opened it at the department, by time (within a
    // second, opening comes after anchoring and before deciding).
    let mut timeline: Vec<(u64, u8, String)> = archived
        .events
        .iter()
        .map(|event| {
            let detail = event
                .detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            (
                event.at,
                timeline_rank(event.state),
                format!("{}{detail}", event.state.as_str()),
            )
        })
        .collect();
    if let Some(service) = catalog.service(&archived.service) {
        for opened in &archived.accesses {
            let said = catalog.render(&opened.message(&service.department.name), lang);
            timeline.push((opened.at, 2, said));
        }
    }
    timeline.sort_by_key(|(at, rank, _)| (*at, *rank));
    for (at, _, said) in timeline {
        let at = time::OffsetDateTime::from_unix_timestamp(at as i64)
            .map(agora_services::time_format::format_utc)
            .unwrap_or_default();
        lines.push(format!("  {at}  {said}"));
    }
    let decision = archived
        .receipt
        .as_ref()
        .and_then(|r| r.ledger.decision())
        .and_then(|d| agora_services::Decision::from_json(d).ok());
    if let Some(department) = decision
        .as_ref()
        .filter(|d| d.credential_subject.delegation.is_some())
        .and_then(|_| catalog.service(&archived.service))
        .map(|s| s.department.name.get(lang))
    {
        lines.push(format!(
            "  {}",
            crate::lang::format(
                lang.into(),
                "status-decided-by-officer",
                &[("department", department)]
            )
        ));
    }
    for reason in decision.iter().flat_map(|d| &d.credential_subject.reasons) {
        lines.push(format!("  - {}", catalog.render(reason, lang)));
    }
    if decision
        .as_ref()
        .is_some_and(|d| agora_services::catalog::is_demo_key(&d.issuer))
    {
        lines.push(format!(
            "  {}",
            crate::lang::text(lang.into(), "status-demo-decision")
        ));
    }
    if let Some(error) = &archived.last_error {
        lines.push(format!(
            "  {}",
            crate::lang::format(lang.into(), "status-last-attempt", &[("error", error)])
        ));
    }
    lines.join("\n")
}

/// `agora status [ID] [--receipt]`: delivers what waits in the outbox, fetches decisions, and
/// shows each application's timeline (or one application's, or its receipt as JSON).
pub fn status(
    id: Option<&str>,
    receipt: bool,
    spec: &LedgerSpec,
    lang: Lang,
) -> Result<String, CommandError> {
    let id = id
        .map(|id| ApplicationId::parse(id).map_err(|e| CommandError::input(e.to_string())))
        .transpose()?;
    let mut local = open_stack(spec)?;
    runtime()?.block_on(catch_up(&mut local))?;
    // A ledger that rolled back or forked since this device last looked is said first, every
    // time, with when it was found.
    let problems = local
        .archive
        .ledger_problems()
        .map_err(|e| CommandError::failure(e.to_string()))?;
    for problem in problems {
        eprintln!(
            "agora: warning, found {}: {}",
            agora_identity::proof::timestamp(problem.at),
            problem.problem
        );
    }
    match id {
        Some(id) => {
            let archived = archived(&local.archive, id)?;
            if receipt {
                print_receipt(&archived)
            } else {
                Ok(describe(&local.catalog, &archived, lang))
            }
        }
        None if receipt => Err(CommandError::input("--receipt needs an application id")),
        None => {
            let list = local
                .archive
                .list()
                .map_err(|e| CommandError::failure(e.to_string()))?;
            if list.is_empty() {
                return Ok("no applications yet".to_owned());
            }
            Ok(list
                .iter()
                .map(|a| describe(&local.catalog, a, lang))
                .collect::<Vec<_>>()
                .join("\n\n"))
        }
    }
}

/// `agora desk [--keys DIR] [--once]`: the department side on its own, deciding what arrives.
pub fn desk(keys: Option<&Path>, once: bool, spec: &LedgerSpec) -> Result<String, CommandError> {
    let source = super::catalog_source()?;
    if keys.is_none() && source == CatalogSource::Demo {
        eprintln!(
            "agora desk: using the demo departments' published keys (fit for the demo only; --keys DIR for real ones)"
        );
    }
    let (mut desk, ledger) = agora_gateway::city::open_desk(&home()?, &source, spec, keys)?;
    eprintln!("agora desk: reading {}", ledger.describe());
    runtime()?.block_on(async {
        let mut decided = 0usize;
        loop {
            match desk.run_once(ledger.as_ref()).await {
                Ok(report) => {
                    for (id, outcome) in &report.decided {
                        println!("{id}: {}", outcome.as_str());
                    }
                    decided += report.decided.len();
                }
                Err(error) if once => return Err(CommandError::failure(error.to_string())),
                Err(error) => eprintln!("agora desk: {error}; trying again"),
            }
            if once {
                return Ok(format!("{decided} decided"));
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}

/// `agora ledger checkpoint --ledger evm:URL`: the registry, its chain and how far it is final.
#[cfg(feature = "evm")]
fn evm_state(url: &str) -> Result<String, CommandError> {
    use agora_gateway::Ledger as _;
    let catalog = catalog()?;
    let ledger = agora_gateway::evm::settings::open(url, &home()?, &catalog)?;
    let runtime = runtime()?;
    runtime.block_on(async {
        let registry = ledger
            .registry()
            .await
            .map_err(|e| CommandError::failure(e.to_string()))?;
        let head = registry
            .block_number()
            .await
            .map_err(|e| CommandError::failure(e.to_string()))?;
        let positions = registry
            .contract()
            .entries()
            .call()
            .await
            .map_err(|e| CommandError::failure(e.to_string()))?;
        Ok(format!(
            "{}
newest block {head}; {positions} positions taken
verifiers pin: {}",
            ledger.describe(),
            ledger.origin()
        ))
    })
}

/// `agora ledger audit --ledger evm:URL`: everything the registry holds in final blocks,
/// re-checked; any problem is a negative answer that lists them.
#[cfg(feature = "evm")]
fn evm_audit(url: &str) -> Result<String, CommandError> {
    let catalog = catalog()?;
    let ledger = agora_gateway::evm::settings::open(url, &home()?, &catalog)?;
    let report = runtime()?
        .block_on(ledger.audit())
        .map_err(|e| CommandError::failure(e.to_string()))?;
    let summary = format!(
        "{} batches ({} digests only, {} of them unread without their inbox), {} submissions ({} anchored again, not counted), {} decisions, {} times opened at a department, {} positions, up to block {}",
        report.batches,
        report.digests_only,
        report.unread,
        report.submissions,
        report.repeats,
        report.decisions,
        report.accesses,
        report.positions,
        report.final_block
    );
    if report.problems.is_empty() {
        Ok(format!("audit passed: {summary}"))
    } else {
        Err(CommandError::negative(format!(
            "audit failed: {summary}
{}",
            report
                .problems
                .iter()
                .map(|p| format!("  - {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        )))
    }
}

#[cfg(not(feature = "evm"))]
fn evm_state(_url: &str) -> Result<String, CommandError> {
    Err(CommandError::input(
        "this agora was built without the EVM ledger (cargo feature `evm`)",
    ))
}

#[cfg(not(feature = "evm"))]
fn evm_audit(_url: &str) -> Result<String, CommandError> {
    Err(CommandError::input(
        "this agora was built without the EVM ledger (cargo feature `evm`)",
    ))
}

/// `agora ledger deploy evm:URL …`: see `commands::evm::deploy`.
pub fn ledger_deploy(
    spec: &LedgerSpec,
    chain_id: u64,
    key_file: &Path,
    departments: &Path,
    out: &Path,
    inbox: Option<&Path>,
) -> Result<String, CommandError> {
    match spec {
        LedgerSpec::Local => Err(CommandError::input(
            "agora ledger deploy puts the registry on a chain: give evm:URL",
        )),
        #[cfg(feature = "evm")]
        LedgerSpec::Evm(url) => super::evm::deploy(
            url,
            chain_id,
            key_file,
            departments,
            out,
            inbox,
            &catalog()?,
        ),
        #[cfg(not(feature = "evm"))]
        LedgerSpec::Evm(_) => {
            let _ = (chain_id, key_file, departments, out, inbox);
            Err(CommandError::input(
                "this agora was built without the EVM ledger (cargo feature `evm`)",
            ))
        }
    }
}

fn open_ledger() -> Result<agora_ledger::Ledger, CommandError> {
    let home = home()?;
    agora_ledger::Ledger::open(&home.join(LEDGER_DIR), catalog()?).map_err(|e| match e {
        agora_ledger::StoreError::Corrupt { .. } => CommandError::negative(e.to_string()),
        _ => CommandError::failure(e.to_string()),
    })
}

/// `agora ledger log [--from N] [--limit N]`: the entries, one a line.
pub fn ledger_log(from: u64, limit: usize, spec: &LedgerSpec) -> Result<String, CommandError> {
    let entries = match spec {
        LedgerSpec::Local => open_ledger()?
            .entries_since(from, limit)
            .map_err(|e| CommandError::failure(e.to_string()))?,
        LedgerSpec::Evm(_) => {
            let ledger = spec.open(&home()?, &catalog()?)?;
            runtime()?
                .block_on(ledger.entries_since(from, limit))
                .map_err(|e| CommandError::failure(e.to_string()))?
        }
    };
    if entries.is_empty() {
        return Ok(format!("no entries from {from} on"));
    }
    let lines: Vec<String> = entries
        .iter()
        .map(|stored| {
            let entry = &stored.entry;
            let text = |path: &[&str]| {
                path.iter()
                    .try_fold(entry, |value, key| value.get(key))
                    .and_then(|v| v.as_str())
                    .unwrap_or("?")
                    .to_owned()
            };
            let at = agora_services::time_format::format_utc(stored.time);
            let kind = entry.get("type").and_then(|t| t.as_str());
            if kind == Some(agora_ledger::entry::ACCESS_TYPE) {
                format!(
                    "{:>6}  {at}  access      {}  {}  opened by {} ({})",
                    stored.index,
                    text(&["id"]),
                    text(&["service"]),
                    text(&["by"]),
                    text(&["purpose"])
                )
            } else if kind == Some(agora_ledger::entry::SUBMISSION_TYPE) {
                format!(
                    "{:>6}  {at}  submission  {}  {}  by {}",
                    stored.index,
                    text(&["id"]),
                    text(&["service"]),
                    text(&["applicant"])
                )
            } else {
                format!(
                    "{:>6}  {at}  decision    {}  {}  {}",
                    stored.index,
                    text(&["credentialSubject", "id"]),
                    text(&["credentialSubject", "service"]),
                    text(&["credentialSubject", "outcome"])
                )
            }
        })
        .collect();
    Ok(lines.join("\n"))
}

/// `agora ledger checkpoint`: the newest signed checkpoint and the key to check it with.
pub fn ledger_checkpoint(spec: &LedgerSpec) -> Result<String, CommandError> {
    if let LedgerSpec::Evm(url) = spec {
        return evm_state(url);
    }
    let mut ledger = open_ledger()?;
    let key = ledger.verifier().to_string();
    match ledger
        .checkpoint()
        .map_err(|e| CommandError::failure(e.to_string()))?
    {
        Some(checkpoint) => Ok(format!(
            "{}\nverifier key: {key}",
            checkpoint.note.trim_end()
        )),
        None => Ok(format!("the ledger is empty\nverifier key: {key}")),
    }
}

/// `agora ledger audit`: re-verifies the whole store. A damaged store is a negative answer.
pub fn ledger_audit(spec: &LedgerSpec) -> Result<String, CommandError> {
    if let LedgerSpec::Evm(url) = spec {
        return evm_audit(url);
    }
    let mut ledger = open_ledger()?;
    let report = ledger.audit().map_err(|e| match e {
        agora_ledger::StoreError::Corrupt { .. } => CommandError::negative(e.to_string()),
        _ => CommandError::failure(e.to_string()),
    })?;
    Ok(format!(
        "audit passed: {} entries ({} submissions, {} decisions, {} times opened at a department), {} signed checkpoints re-checked; newest covers {} entries",
        report.entries,
        report.submissions,
        report.decisions,
        report.accesses,
        report.checkpoints,
        report.latest.map_or(0, |c| c.size)
    ))
}

/// The ledgers `agora verify` trusts, and why each: this device's own embedded ledger,
/// ledger keys and registries (`eip155:CHAIN_ID:0xADDRESS`) pinned with `--trust-ledger`, and
/// those listed in `--trusted-ledgers` files (what a city publishes).
pub struct Trust {
    /// Keys pinned on the command line.
    pub pinned: Vec<String>,
    /// Files of keys, one per line.
    pub lists: Vec<PathBuf>,
    /// A node of the chain to check a registry's receipt against (`--chain URL`), and the
    /// confirmations its blocks must have.
    pub chain: Option<(String, u64)>,
}

impl Trust {
    fn gather(
        &self,
        catalog: &Catalog,
        lang: Lang,
    ) -> Result<(TrustedLedgers, Vec<(VerifierKey, String)>), CommandError> {
        let say = |id: &str, args: &[(&str, &str)]| crate::lang::format(lang.into(), id, args);
        let mut trusted = TrustedLedgers::default();
        let mut why = Vec::new();
        let own = home()
            .ok()
            .map(|home| home.join(LEDGER_DIR))
            .filter(|dir| dir.join(agora_ledger::store::STORE_FILE).exists())
            .and_then(|dir| agora_ledger::Ledger::open(&dir, catalog.clone()).ok());
        if let Some(own) = own {
            trusted.add(own.verifier().clone());
            why.push((own.verifier().clone(), say("verify-trust-own", &[])));
        }
        for key in &self.pinned {
            if key.trim().starts_with("eip155:") {
                trusted
                    .add_registry(key.trim())
                    .map_err(|e| CommandError::input(format!("--trust-ledger {key}: {e}")))?;
                continue;
            }
            let key = VerifierKey::parse(key.trim()).map_err(|e| {
                CommandError::input(format!(
                    "--trust-ledger {key}: not a ledger key (name+hash+base64, as `agora ledger log` prints it) nor a registry (eip155:CHAIN_ID:0xADDRESS): {e}"
                ))
            })?;
            trusted.add(key.clone());
            why.push((key, say("verify-trust-pinned", &[])));
        }
        for list in &self.lists {
            let text = std::fs::read_to_string(list).map_err(|e| {
                CommandError::input(format!("--trusted-ledgers {}: {e}", list.display()))
            })?;
            let listed = TrustedLedgers::parse(&text, &list.display().to_string())
                .map_err(CommandError::input)?;
            for key in listed.keys() {
                trusted.add(key.clone());
                let file = list.display().to_string();
                why.push((key.clone(), say("verify-trust-listed", &[("file", &file)])));
            }
            for registry in listed.registries() {
                trusted
                    .add_registry(registry)
                    .map_err(CommandError::input)?;
            }
        }
        Ok((trusted, why))
    }
}

/// `--chain URL`: a registry's receipt checked against a node of its chain.
#[cfg(feature = "evm")]
fn check_on_chain(
    document: &serde_json::Value,
    trust: &Trust,
    lines: &mut Vec<String>,
) -> Result<(), CommandError> {
    use agora_gateway::evm::verify::{OnChainError, on_chain};
    use agora_gateway::receipt::{LedgerProof, Receipt};
    let Some((url, confirmations)) = &trust.chain else {
        return Ok(());
    };
    let receipt: Receipt = serde_json::from_value(document.clone())
        .map_err(|e| CommandError::negative(e.to_string()))?;
    let LedgerProof::Evm(proof) = &receipt.ledger else {
        return Err(CommandError::input(
            "--chain checks receipts from a registry on a chain; this one is from an embedded ledger, whose checkpoint was checked above".to_owned(),
        ));
    };
    let confirmed = runtime()?
        .block_on(on_chain(proof, url, *confirmations))
        .map_err(|error| match error {
            OnChainError::Chain(error) => CommandError::failure(format!("--chain {url}: {error}")),
            other => CommandError::negative(format!("against the chain at {url}: {other}")),
        })?;
    lines.push(format!(
        "  on the chain at {url}: the batch is in block {} with {} confirmation(s){}",
        proof.submission.block,
        confirmed.batch_confirmations,
        confirmed
            .decision_confirmations
            .map_or_else(String::new, |n| format!(", the decision's block with {n}"))
    ));
    Ok(())
}

#[cfg(not(feature = "evm"))]
fn check_on_chain(
    _document: &serde_json::Value,
    trust: &Trust,
    _lines: &mut Vec<String>,
) -> Result<(), CommandError> {
    match trust.chain {
        None => Ok(()),
        Some(_) => Err(CommandError::input(
            "--chain: this agora was built without the EVM ledger (cargo feature `evm`)".to_owned(),
        )),
    }
}

/// `agora verify` of a receipt's compact code (a kiosk's QR code, as text or read from a
/// picture): what the ledger part proves, without the answers.
pub fn verify_code(
    source: &str,
    code: &str,
    trust: &Trust,
    lang: Lang,
) -> Result<String, CommandError> {
    let say = |id: &str, args: &[(&str, &str)]| crate::lang::format(lang.into(), id, args);
    let catalog = catalog()?;
    let (trusted, why) = trust.gather(&catalog, lang)?;
    if trust.chain.is_some() {
        return Err(CommandError::input(say("verify-code-not-on-chain", &[])));
    }
    let verified = agora_gateway::compact::verify(code, &catalog, &trusted).map_err(|e| {
        CommandError::negative(say(
            "verify-code-invalid",
            &[("source", source), ("error", &e.to_string())],
        ))
    })?;
    let mut lines = vec![
        say("verify-code-valid", &[("source", source)]),
        format!(
            "  {}",
            say(
                "verify-code-application",
                &[
                    ("id", &verified.id.to_string()),
                    (
                        "reference",
                        &agora_gateway::compact::short_code(verified.id).to_string(),
                    ),
                    ("service", &verified.service),
                    ("applicant", &verified.applicant.to_string()),
                ],
            )
        ),
        format!(
            "  {}",
            say(
                "verify-code-no-answers",
                &[("sha256", &verified.application_sha256.to_string())],
            )
        ),
    ];
    describe_ledger(
        &mut lines,
        &verified.ledger,
        verified.index,
        verified.anchored_at,
        &why,
        trust,
        lang,
    );
    describe_decision(&mut lines, verified.decision.as_ref(), &catalog, lang);
    Ok(lines.join("\n"))
}

fn describe_ledger(
    lines: &mut Vec<String>,
    ledger: &VerifiedLedger,
    index: u64,
    anchored_at: time::OffsetDateTime,
    why: &[(VerifierKey, String)],
    trust: &Trust,
    lang: Lang,
) {
    let say = |id: &str, args: &[(&str, &str)]| crate::lang::format(lang.into(), id, args);
    let (index, time) = (
        index.to_string(),
        agora_services::time_format::format_utc(anchored_at),
    );
    match ledger {
        VerifiedLedger::Embedded { key, checkpoint } => {
            let size = checkpoint.size.to_string();
            lines.push(format!(
                "  {}",
                say(
                    "verify-anchored-leaf",
                    &[("index", &index), ("time", &time), ("size", &size)],
                )
            ));
            lines.push(format!("    {key}"));
            let reason = why
                .iter()
                .find(|(trusted, _)| trusted == key)
                .map_or_else(|| say("verify-ledger-trusted", &[]), |(_, why)| why.clone());
            lines.push(format!("    ({reason})"));
        }
        VerifiedLedger::Evm { origin, block, .. } => {
            let (number, hash) = (block.0.to_string(), block.1.to_string());
            lines.push(format!(
                "  {}",
                say(
                    "verify-anchored-position",
                    &[
                        ("index", &index),
                        ("time", &time),
                        ("block", &number),
                        ("hash", &hash),
                    ],
                )
            ));
            lines.push(format!(
                "    {}",
                say(
                    "verify-registry-trusted",
                    &[("registry", &origin.to_string())]
                )
            ));
            if trust.chain.is_none() {
                lines.push(format!("  {}", say("verify-chain-not-checked", &[])));
            }
        }
    }
}

fn describe_decision(
    lines: &mut Vec<String>,
    decision: Option<&agora_services::Decision>,
    catalog: &Catalog,
    lang: Lang,
) {
    let say = |id: &str, args: &[(&str, &str)]| crate::lang::format(lang.into(), id, args);
    match decision {
        Some(decision) => {
            let d = &decision.credential_subject;
            let department = catalog
                .service(&d.service)
                .map(|s| s.department.name.get(lang).to_owned())
                .unwrap_or_default();
            let issuer = decision.issuer.to_string();
            let by =
                match d.delegation.as_ref().and_then(|signed| {
                    agora_services::delegation::Delegation::from_json(signed).ok()
                }) {
                    Some(delegation) => say(
                        "verify-decided-by-officer",
                        &[
                            ("department", &department),
                            ("officer", &issuer),
                            ("key", &delegation.issuer.to_string()),
                            (
                                "until",
                                &agora_services::time_format::format_utc(delegation.valid_until),
                            ),
                        ],
                    ),
                    None => say(
                        "verify-decided-by-department",
                        &[("department", &department), ("key", &issuer)],
                    ),
                };
            lines.push(format!(
                "  {}",
                say(
                    "verify-decided",
                    &[
                        ("outcome", d.outcome.as_str()),
                        ("by", &by),
                        ("policy", &d.policy.id),
                        ("version", &d.policy.version.to_string()),
                    ],
                )
            ));
            for reason in &d.reasons {
                lines.push(format!("    - {}", catalog.render(reason, lang)));
            }
            if agora_services::catalog::is_demo_key(&decision.issuer) {
                lines.push(format!("  {}", say("verify-demo-decision", &[])));
            }
        }
        None => lines.push(format!("  {}", say("verify-not-decided", &[]))),
    }
}

/// `agora verify` of a receipt: everything checked offline, against the ledger keys `trust`
/// gathers; which part failed if not.
pub fn verify_receipt(
    file: &Path,
    document: &serde_json::Value,
    trust: &Trust,
    lang: Lang,
) -> Result<String, CommandError> {
    let say = |id: &str, args: &[(&str, &str)]| crate::lang::format(lang.into(), id, args);
    let shown = file.display().to_string();
    let catalog = catalog()?;
    let (trusted, why) = trust.gather(&catalog, lang)?;
    let verified = agora_gateway::receipt::verify(document, &catalog, &trusted, SystemTime::now())
        .map_err(|e| {
            CommandError::negative(say(
                "verify-receipt-invalid",
                &[("file", &shown), ("error", &e.to_string())],
            ))
        })?;
    let subject = &verified.application.credential_subject;
    let mut lines = vec![
        say("verify-receipt-valid", &[("file", &shown)]),
        format!(
            "  {}",
            say(
                "verify-receipt-application",
                &[
                    ("id", &verified.application.id.to_string()),
                    ("service", &subject.service),
                    ("applicant", &verified.applicant.to_string()),
                ],
            )
        ),
    ];
    describe_ledger(
        &mut lines,
        &verified.ledger,
        verified.index,
        verified.anchored_at,
        &why,
        trust,
        lang,
    );
    check_on_chain(document, trust, &mut lines)?;
    if verified.version == agora_gateway::receipt::RECEIPT_VERSION_1 {
        lines.push(format!("  {}", say("verify-receipt-first-version", &[])));
    }
    describe_decision(&mut lines, verified.decision.as_ref(), &catalog, lang);
    Ok(lines.join("\n"))
}

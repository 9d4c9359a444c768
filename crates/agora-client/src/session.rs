//! The citizen's session behind the plaza: identity, signing, the outbox, the gateway and the
//! in-process desk, all on a worker thread of their own.
//!
//! Unlocking a key (Argon2), signing, SQLite commits and the desk's reviews take from
//! milliseconds to seconds; none of it may hold up a frame. The plaza sends [`Request`]s and
//! reads [`Reply`]s once a frame without waiting ([`Session::poll`]). The worker keeps the
//! outbox moving on its own while anything is still on its way, so a decision arrives in the
//! plaza without the citizen asking.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use agora_gateway::archive::{Archived, Event};
use agora_gateway::hall::HallOutbox;
use agora_gateway::{State, prepare};
use agora_identity::{DidKey, Identity, KEYSTORE_DIR, KeyStore, Overwrite, Pin, Profile};
use agora_services::{ApplicationId, Decision, Message, Outcome};
use serde_json::Value;

use crate::commands::gateway::{LedgerSpec, catch_up, runtime};
use crate::commands::identity::DEFAULT_PROFILE;
use agora_gateway::{CatalogSource, Stack};

/// How often the worker moves the outbox along while something is still on its way.
const PATIENCE: Duration = Duration::from_millis(500);

/// What the plaza asks of the session.
pub enum Request {
    /// Create this device's identity under a new PIN.
    CreateIdentity {
        /// The PIN that will protect the key.
        pin: Pin,
    },
    /// Sign these answers for `service` with the identity's key, queue and deliver them.
    Submit {
        /// The service's id.
        service: String,
        /// The answers, as the form's JSON object.
        answers: Value,
        /// The PIN that unlocks the key (none for a kiosk's visit, whose key is in memory).
        pin: Option<Pin>,
    },
    /// Deliver what waits, fetch decisions, and report every application again.
    Refresh,
    /// Write an application's receipt to a file in the data directory.
    ExportReceipt {
        /// Which application.
        id: ApplicationId,
    },
}

/// Which request a problem belongs to, so the panel shows it in the right place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Opening the data directory, the ledger or the archive.
    Open,
    /// Creating the identity.
    CreateIdentity,
    /// Signing and queueing an application.
    Submit,
    /// Writing a receipt to a file.
    Export,
}

/// What the session tells the plaza.
#[derive(Debug, Clone)]
pub enum Reply {
    /// This device's identity: `None` until one is created.
    Identity(Option<DidKey>),
    /// A kiosk visit's identity: made for this visit, in memory only, no PIN.
    VisitIdentity(DidKey),
    /// An application was signed and stored in the outbox ("queued").
    Submitted {
        /// Its id.
        id: ApplicationId,
        /// Its service.
        service: String,
    },
    /// Every application in the archive, newest first.
    Applications(Vec<Summary>),
    /// A receipt was written.
    Exported {
        /// Which application's.
        id: ApplicationId,
        /// Where.
        path: PathBuf,
    },
    /// Something did not work; `message` says what, for the citizen.
    Problem {
        /// What was being done.
        task: Task,
        /// What went wrong and what to do.
        message: String,
    },
}

/// One application as the citizen's panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Its id.
    pub id: ApplicationId,
    /// The service's id.
    pub service: String,
    /// Where it stands.
    pub state: State,
    /// The department's outcome, once decided (or referred).
    pub outcome: Option<Outcome>,
    /// The decision's reasons, as messages of the service's catalog.
    pub reasons: Vec<Message>,
    /// Every step so far, oldest first.
    pub events: Vec<Event>,
    /// The last failed delivery attempt, while it is still queued.
    pub last_error: Option<String>,
    /// Whether there is a receipt to export.
    pub has_receipt: bool,
    /// Whether the decision was signed with a demo department's published key: a
    /// demonstration, never a real decision.
    pub demo: bool,
    /// Whether an officer decided it by hand (after the policy referred it).
    pub by_officer: bool,
    /// Who opened it at the department, as the ledger recorded it.
    pub accesses: Vec<agora_gateway::archive::Opened>,
    /// The receipt as a compact code for a QR code (no answers), once anchored.
    pub code: Option<String>,
}

impl Summary {
    fn of(archived: &Archived) -> Self {
        let decision = archived
            .receipt
            .as_ref()
            .and_then(|r| r.ledger.decision())
            .and_then(|d| Decision::from_json(d).ok());
        let demo = decision
            .as_ref()
            .is_some_and(|d| agora_services::catalog::is_demo_key(&d.issuer));
        let by_officer = decision
            .as_ref()
            .is_some_and(|d| d.credential_subject.delegation.is_some());
        let reasons = decision
            .map(|d| d.credential_subject.reasons)
            .unwrap_or_default();
        Self {
            id: archived.id,
            service: archived.service.clone(),
            state: archived.state,
            outcome: archived.outcome(),
            reasons,
            events: archived.events.clone(),
            last_error: archived.last_error.clone(),
            has_receipt: archived.receipt.is_some(),
            code: archived
                .receipt
                .as_ref()
                .map(agora_gateway::compact::encode),
            demo,
            by_officer,
            accesses: archived.accesses.clone(),
        }
    }

    /// Whether anything may still change without the citizen doing something.
    pub fn in_progress(&self) -> bool {
        match self.state {
            State::Queued => true,
            State::Anchored => self.outcome.is_none(),
            State::Decided | State::Failed => false,
        }
    }
}

/// The plaza's handle on the worker. Dropping it stops the worker after its current task.
pub struct Session {
    requests: Option<Sender<Request>>,
    // Behind a lock only so that the plaza can keep the session in a resource.
    replies: Mutex<Receiver<Reply>>,
    worker: Option<JoinHandle<()>>,
}

impl Session {
    /// Starts the worker on the data directory `home` (created when missing), delivering to
    /// `ledger`. It reports the identity and the applications as soon as it has read them.
    pub fn start(home: PathBuf, catalog: CatalogSource, ledger: LedgerSpec) -> Self {
        let (requests, inbox) = mpsc::channel();
        let (outbox, replies) = mpsc::channel();
        let worker = std::thread::Builder::new()
            .name("agora-session".into())
            .spawn(move || Worker::new(home, catalog, ledger, outbox, None).run(&inbox))
            .ok();
        Self {
            requests: Some(requests),
            replies: Mutex::new(replies),
            worker,
        }
    }

    /// Starts a kiosk visit's worker: a key made for the visit and an archive, both in memory
    /// only, gone when the session is dropped (the key zeroed); each submission is handed to
    /// the hall's durable outbox at `outbox` before "queued". The ledger (and the demo's desk)
    /// live in the kiosk's data directory `home`. Whatever an earlier visit left in the outbox
    /// undelivered is delivered first.
    pub fn start_visit(
        home: PathBuf,
        catalog: CatalogSource,
        ledger: LedgerSpec,
        outbox: PathBuf,
    ) -> Self {
        let (requests, inbox) = mpsc::channel();
        let (sender, replies) = mpsc::channel();
        let worker = std::thread::Builder::new()
            .name("agora-visit".into())
            .spawn(move || Worker::new(home, catalog, ledger, sender, Some(outbox)).run(&inbox))
            .ok();
        Self {
            requests: Some(requests),
            replies: Mutex::new(replies),
            worker,
        }
    }

    /// Hands a request to the worker; never blocks.
    pub fn send(&self, request: Request) {
        if let Some(requests) = &self.requests {
            // A worker that is gone has already said why in a `Problem`.
            let _ = requests.send(request);
        }
    }

    /// Every reply that has arrived, without waiting.
    pub fn poll(&self) -> Vec<Reply> {
        self.replies
            .lock()
            .map(|replies| replies.try_iter().collect())
            .unwrap_or_default()
    }

    /// Waits up to `timeout` for the next reply (for tests and scripted runs, never a frame).
    pub fn wait(&self, timeout: Duration) -> Option<Reply> {
        self.replies.lock().ok()?.recv_timeout(timeout).ok()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.requests = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// A kiosk visit's own: its key and the hall's outbox.
struct Visit {
    identity: Option<Identity>,
    outbox_path: PathBuf,
    outbox: Option<HallOutbox>,
}

struct Worker {
    home: PathBuf,
    catalog: CatalogSource,
    ledger: LedgerSpec,
    replies: Sender<Reply>,
    store: KeyStore,
    profile: Option<Profile>,
    visit: Option<Visit>,
    local: Option<Stack>,
    last: Vec<Summary>,
}

impl Worker {
    fn new(
        home: PathBuf,
        catalog: CatalogSource,
        ledger: LedgerSpec,
        replies: Sender<Reply>,
        outbox: Option<PathBuf>,
    ) -> Self {
        Self {
            visit: outbox.map(|outbox_path| Visit {
                identity: None,
                outbox_path,
                outbox: None,
            }),
            catalog,
            ledger,
            store: KeyStore::new(home.join(KEYSTORE_DIR)),
            profile: Profile::new(DEFAULT_PROFILE).ok(),
            home,
            replies,
            local: None,
            last: Vec::new(),
        }
    }

    fn say(&self, reply: Reply) {
        let _ = self.replies.send(reply);
    }

    fn problem(&self, task: Task, message: impl Into<String>) {
        self.say(Reply::Problem {
            task,
            message: message.into(),
        });
    }

    fn run(mut self, inbox: &Receiver<Request>) {
        let runtime = match runtime() {
            Ok(runtime) => runtime,
            Err(error) => return self.problem(Task::Open, error.message),
        };
        self.report_identity();
        self.deliver_left_over(&runtime);
        self.catch_up(&runtime, true);
        loop {
            let busy = self.last.iter().any(Summary::in_progress) || self.hall_waiting();
            let request = if busy {
                inbox.recv_timeout(PATIENCE)
            } else {
                inbox.recv().map_err(|_| RecvTimeoutError::Disconnected)
            };
            match request {
                Ok(Request::CreateIdentity { pin }) => self.create_identity(&pin),
                Ok(Request::Submit {
                    service,
                    answers,
                    pin,
                }) => {
                    if self.submit(&service, &answers, pin.as_ref()) {
                        self.catch_up(&runtime, true);
                    }
                }
                Ok(Request::Refresh) => self.catch_up(&runtime, true),
                Ok(Request::ExportReceipt { id }) => self.export(id),
                Err(RecvTimeoutError::Timeout) => {
                    self.deliver_left_over(&runtime);
                    self.catch_up(&runtime, false);
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn report_identity(&mut self) {
        if let Some(visit) = &mut self.visit {
            match Identity::generate() {
                Ok(identity) => {
                    let did = identity.did();
                    visit.identity = Some(identity);
                    self.say(Reply::VisitIdentity(did));
                }
                Err(error) => self.problem(Task::Open, error.to_string()),
            }
            return;
        }
        let did = self
            .profile
            .as_ref()
            .filter(|profile| self.store.exists(profile))
            .and_then(|profile| self.store.did(profile).ok());
        self.say(Reply::Identity(did));
    }

    fn create_identity(&self, pin: &Pin) {
        let Some(profile) = &self.profile else {
            return self.problem(Task::CreateIdentity, "the default profile name is unusable");
        };
        match self.store.create(profile, pin, Overwrite::Refuse) {
            Ok(identity) => self.say(Reply::Identity(Some(identity.did()))),
            Err(error) => self.problem(Task::CreateIdentity, error.to_string()),
        }
    }

    /// At a kiosk: opens the hall's outbox on first use and delivers whatever earlier visits
    /// left in it (a kiosk that died after "queued", a ledger that was out of reach).
    fn deliver_left_over(&mut self, runtime: &tokio::runtime::Runtime) {
        let Some(visit) = &mut self.visit else {
            return;
        };
        if visit.outbox.is_none() {
            match HallOutbox::open(&visit.outbox_path) {
                Ok(outbox) => visit.outbox = Some(outbox),
                Err(error) => return self.problem(Task::Open, error.to_string()),
            }
        }
        let mine: Vec<ApplicationId> = self.last.iter().map(|s| s.id).collect();
        if self.local().is_none() {
            return;
        }
        let (Some(local), Some(outbox)) = (
            self.local.as_ref(),
            self.visit.as_ref().and_then(|v| v.outbox.as_ref()),
        ) else {
            return;
        };
        // This visit's own go through its archive; only what others left is sent from here.
        match outbox.waiting() {
            Ok(waiting) if waiting.iter().all(|id| mine.contains(id)) => return,
            Ok(_) => {}
            Err(error) => return self.problem(Task::Open, error.to_string()),
        }
        match runtime.block_on(outbox.deliver(local.ledger.as_ref(), SystemTime::now())) {
            Ok(delivery) => {
                for (id, reason) in delivery.refused {
                    tell_operator(&format!(
                        "the ledger refused {id}, left in the hall's outbox by an earlier visit: {reason}"
                    ));
                }
            }
            Err(error) => self.problem(Task::Open, error.to_string()),
        }
    }

    /// Whether the hall's outbox still holds something to deliver.
    fn hall_waiting(&self) -> bool {
        self.visit
            .as_ref()
            .and_then(|v| v.outbox.as_ref())
            .is_some_and(|outbox| outbox.waiting().is_ok_and(|w| !w.is_empty()))
    }

    /// Opens the ledger, archive and desk on first use (and again after a failure).
    fn local(&mut self) -> Option<&mut Stack> {
        if self.local.is_none() {
            let opened = if self.visit.is_some() {
                Stack::open_visit(&self.home, &self.catalog, &self.ledger)
            } else {
                Stack::open(&self.home, &self.catalog, &self.ledger)
            };
            match opened {
                Ok(local) => self.local = Some(local),
                Err(error) => {
                    self.problem(Task::Open, error.message);
                    return None;
                }
            }
        }
        self.local.as_mut()
    }

    /// Signs and queues; true when the application is safely in the outbox.
    fn submit(&mut self, service_id: &str, answers: &Value, pin: Option<&Pin>) -> bool {
        let unlocked;
        let identity = match (&self.visit, pin) {
            (Some(visit), _) => match &visit.identity {
                Some(identity) => identity,
                None => {
                    self.problem(Task::Submit, "this visit has no key");
                    return false;
                }
            },
            (None, Some(pin)) => {
                let Some(profile) = self.profile.clone() else {
                    self.problem(Task::Submit, "the default profile name is unusable");
                    return false;
                };
                unlocked = match self.store.unlock(&profile, pin) {
                    Ok(identity) => identity,
                    Err(error) => {
                        self.problem(Task::Submit, error.to_string());
                        return false;
                    }
                };
                &unlocked
            }
            (None, None) => {
                self.problem(Task::Submit, "the PIN is missing");
                return false;
            }
        };
        let identity = Identity::from_signing_key(identity.signing_key().clone());
        if self.local().is_none() {
            return false;
        }
        let Some(local) = self.local.as_ref() else {
            return false;
        };
        let outbox = self.visit.as_ref().and_then(|visit| visit.outbox.as_ref());
        if self.visit.is_some() && outbox.is_none() {
            self.problem(
                Task::Submit,
                "the hall's outbox is not open, so nothing can be sent from this kiosk; please ask the staff",
            );
            return false;
        }
        let Some(service) = local.catalog.service(service_id) else {
            let message = format!("there is no service {service_id:?} in the catalog");
            self.problem(Task::Submit, message);
            return false;
        };
        let valid = match service.form.validate(answers) {
            Ok(valid) => valid,
            Err(problems) => {
                let message = format!(
                    "{} answers do not fit the form; correct the fields marked in red",
                    problems.len()
                );
                self.problem(Task::Submit, message);
                return false;
            }
        };
        let now = SystemTime::now();
        let queued = prepare(service, &valid, &identity, now)
            .map_err(|e| e.to_string())
            .and_then(|prepared| {
                // At a kiosk the hall's outbox has it first: from there it is delivered even
                // if the kiosk dies before the visit's archive in memory could send it.
                if let Some(outbox) = outbox {
                    outbox
                        .put(prepared.id, &prepared.service, &prepared.submission, now)
                        .map_err(|e| e.to_string())?;
                }
                local
                    .archive
                    .enqueue(&prepared, now)
                    .map(|()| prepared)
                    .map_err(|e| e.to_string())
            });
        match queued {
            Ok(prepared) => {
                self.say(Reply::Submitted {
                    id: prepared.id,
                    service: prepared.service,
                });
                crate::commands::hold::hold(crate::commands::hold::Point::Told);
                true
            }
            Err(error) => {
                self.problem(Task::Submit, error);
                false
            }
        }
    }

    /// Moves the outbox along and reports the applications when they changed (or `always`).
    fn catch_up(&mut self, runtime: &tokio::runtime::Runtime, always: bool) {
        let Some(local) = self.local() else {
            return;
        };
        if let Err(error) = runtime.block_on(catch_up(local)) {
            // The archive is still readable; what is queued stays queued.
            let message = error.message;
            self.problem(Task::Open, message);
        }
        let Some(local) = self.local.as_ref() else {
            return;
        };
        match local.archive.list() {
            Ok(list) => {
                if let Some(outbox) = self.visit.as_ref().and_then(|v| v.outbox.as_ref()) {
                    for archived in list.iter().filter(|a| a.state != State::Queued) {
                        if let Err(error) = outbox.remove(archived.id) {
                            self.problem(Task::Open, error.to_string());
                        }
                    }
                }
                let summaries: Vec<Summary> = list.iter().map(Summary::of).collect();
                if always || summaries != self.last {
                    self.last.clone_from(&summaries);
                    self.say(Reply::Applications(summaries));
                }
            }
            Err(error) => self.problem(Task::Open, error.to_string()),
        }
    }

    fn export(&self, id: ApplicationId) {
        if self.visit.is_some() {
            // A kiosk writes nothing of a visitor to its disk: the receipt goes home as a QR code.
            return self.problem(
                Task::Export,
                "a kiosk keeps no files: take the QR code instead",
            );
        }
        let written = self
            .local
            .as_ref()
            .ok_or_else(|| "the archive is not open".to_owned())
            .and_then(|local| local.archive.get(id).map_err(|e| e.to_string()))
            .and_then(|archived| {
                archived
                    .and_then(|a| a.receipt)
                    .ok_or_else(|| format!("{id} has no receipt yet"))
            })
            .and_then(|receipt| write_receipt(&self.home, id, &receipt));
        match written {
            Ok(path) => self.say(Reply::Exported { id, path }),
            Err(error) => self.problem(Task::Export, error),
        }
    }
}

/// Says something for the kiosk's operator in the log (the visitor's screen is not the place).
fn tell_operator(message: &str) {
    eprintln!("agora: {message}");
}

/// Writes a receipt as pretty JSON to `home/receipts/agora-receipt-<uuid>.json`.
fn write_receipt(
    home: &Path,
    id: ApplicationId,
    receipt: &agora_gateway::Receipt,
) -> Result<PathBuf, String> {
    // A receipt holds the citizen's answers: private to them, like the rest of the home.
    let path = home
        .join("receipts")
        .join(format!("agora-receipt-{}.json", id.uuid()));
    let text = serde_json::to_string_pretty(receipt).map_err(|e| e.to_string())?;
    agora_identity::keystore::files::write_private(
        &path,
        (text + "\n").as_bytes(),
        agora_identity::keystore::files::Replace::Allowed,
    )
    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

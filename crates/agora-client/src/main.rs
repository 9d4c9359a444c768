//! `agora`: opens the plaza, renders one view of it to a PNG, or runs a subcommand (which never
//! opens a window or starts Bevy).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use bevy::prelude::*;
use bevy::window::{MonitorSelection, PresentMode, WindowResolution};
use clap::{Parser, Subcommand, ValueEnum};

use agora_client::PlazaPlugin;
use agora_client::commands::gateway::LedgerSpec;
use agora_client::commands::{self, CommandError, PinSource};
use agora_client::lang::Lang;
use agora_client::panel::theme::Contrast;
use agora_client::scene::layout::PlazaLayout;
use agora_client::screenshot::{LAUNCHED, ScreenshotRequest, View};
use agora_client::settings::SettingsStore;
use agora_client::xr::{self, probe};

/// Agora: walk up to a city's service windows in a virtual plaza.
#[derive(Parser, Debug)]
#[command(name = "agora", version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The city's service catalog directory (its services and departments; see
    /// `agora services check`); otherwise the configuration file's (`agora.json` in the data
    /// directory), else the built-in demo catalog.
    #[arg(long, value_name = "DIR", global = true)]
    catalog: Option<PathBuf>,
    /// The identity profile on this machine that signs (`default`, the citizen's): an
    /// officer keeps their own key beside it, such as `--profile officer`.
    #[arg(long, value_name = "NAME", global = true)]
    profile: Option<String>,
    /// How the citizen enters: `auto` uses a headset when one answers, else the desktop.
    #[arg(long, value_enum, default_value_t = Mode::Auto)]
    mode: Mode,
    /// The plaza layout to load (RON); the built-in civic plaza when absent.
    #[arg(long, value_name = "FILE")]
    scene: Option<PathBuf>,
    /// The language the interface starts in: en or zh-CN (otherwise the one chosen last, kept in
    /// the settings, else English).
    #[arg(long, value_parser = parse_lang)]
    lang: Option<Lang>,
    /// The panel's contrast to start with: standard or high (otherwise the one chosen last).
    #[arg(long, value_parser = parse_contrast)]
    contrast: Option<Contrast>,
    /// The panel's text size to start with, in per cent: 100 to 200 (otherwise the last one
    /// chosen).
    #[arg(long, value_name = "PERCENT", value_parser = clap::value_parser!(u16).range(100..=200))]
    text_size: Option<u16>,
    /// Captions for every sound to start with: on or off (otherwise the last choice; on at a
    /// kiosk, off elsewhere).
    #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
    captions: Option<bool>,
    /// The ledger the plaza's windows submit to: `local` (the embedded one) or `evm:URL`
    /// (the city's registry, configured by evm-ledger.json in the data directory).
    #[arg(long, value_name = "SPEC", default_value = "local", value_parser = LedgerSpec::parse)]
    ledger: LedgerSpec,
    /// Render one view to this PNG file and exit.
    #[arg(long, value_name = "OUT.png")]
    screenshot: Option<PathBuf>,
    /// Size of the window or screenshot, in pixels.
    #[arg(long, value_name = "WxH", default_value = "1280x720", value_parser = parse_size)]
    size: UVec2,
    /// What the screenshot shows: overview, entrance, window:<service-id>[:comfort] or
    /// dashboard:<id>[:table].
    #[arg(
        long,
        value_name = "VIEW",
        default_value = "overview",
        requires = "screenshot"
    )]
    view: String,
    /// With `--mode kiosk`: the kiosk's configuration file (kiosk.json in the data directory
    /// when absent).
    #[arg(long, value_name = "FILE")]
    kiosk_config: Option<PathBuf>,
    /// With `--view window:<id>`: fill the form with the service's example answers, sign and
    /// submit them in a throwaway data directory, and capture once the decision is shown.
    #[arg(long, requires = "screenshot")]
    filled: bool,
    /// With `--mode xr`: run a headset session for this many seconds (and as many on the
    /// desktop after it ends), print what the client saw as one JSON line and exit; exit
    /// status 5 when the machine has no OpenXR runtime (`cargo xtask xr-check`).
    #[arg(long, value_name = "SECONDS", conflicts_with = "screenshot")]
    xr_check: Option<f32>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The citizen's identity on this device: a did:key whose secret key is kept encrypted.
    Id {
        #[command(subcommand)]
        action: IdAction,
    },
    /// Print a JSON document secured with an eddsa-jcs-2022 proof (purpose assertionMethod).
    Sign {
        /// The JSON document to sign.
        #[arg(value_name = "IN.json")]
        input: PathBuf,
        /// A file holding an Ed25519 secret key as a Multikey; without it, the profile key.
        #[arg(long, value_name = "FILE")]
        key_file: Option<PathBuf>,
        /// The proof's creation time (RFC 3339); now when absent.
        #[arg(long, value_name = "RFC3339")]
        created: Option<String>,
        /// Read the PIN from standard input instead of the terminal.
        #[arg(long)]
        pin_stdin: bool,
    },
    /// Check a signed document or a receipt: exit 0 when valid, 1 with the reason when not.
    /// A receipt counts only from a ledger whose key is trusted: this device's own, or one
    /// pinned here.
    Verify {
        /// The signed JSON document.
        #[arg(value_name = "FILE.json")]
        file: PathBuf,
        /// Trust this ledger: an embedded ledger's key (name+hash+base64) or a registry on a
        /// chain (eip155:CHAIN_ID:0xADDRESS), as the city publishes it. Repeatable.
        #[arg(long = "trust-ledger", value_name = "LEDGER")]
        trust_ledger: Vec<String>,
        /// Trust the ledgers in this file, one per line (`#` starts a comment). Repeatable.
        #[arg(long = "trusted-ledgers", value_name = "FILE")]
        trusted_ledgers: Vec<PathBuf>,
        /// Also check a registry's receipt against this node of its chain: the batch and the
        /// decision are there, from that registry, in blocks still in the chain and final.
        #[arg(long, value_name = "URL")]
        chain: Option<String>,
        /// With --chain: how many blocks must follow each of the receipt's blocks.
        #[arg(long, value_name = "N", default_value_t = 2, requires = "chain")]
        confirmations: u64,
        /// The language of the answer: en or zh-CN.
        #[arg(long, default_value = "en", value_parser = parse_lang)]
        lang: Lang,
    },
    /// The city's service catalog.
    Services {
        #[command(subcommand)]
        action: ServicesAction,
    },
    /// Apply for a service. Today only `--dry-run`: what its published policy will likely say.
    Apply {
        /// The service's id (see `agora services list`).
        service: String,
        /// A JSON file with the answers to the service's form.
        #[arg(long, value_name = "FILE")]
        answers: PathBuf,
        /// Only show the likely decision and its reasons; sign and submit nothing.
        #[arg(long)]
        dry_run: bool,
        /// The language of the answer: en or zh-CN.
        #[arg(long, default_value = "en", value_parser = parse_lang)]
        lang: Lang,
    },
    /// Sign an application with the profile key, queue it, deliver it, and print its receipt.
    Submit {
        /// The service's id (see `agora services list`).
        service: String,
        /// A JSON file with the answers to the service's form.
        #[arg(long, value_name = "FILE")]
        answers: PathBuf,
        /// Queue it and try once; do not wait for delivery and the decision.
        #[arg(long)]
        no_wait: bool,
        /// Read the PIN from standard input instead of the terminal.
        #[arg(long)]
        pin_stdin: bool,
        /// The ledger: `local` (the embedded one in the data directory) or `evm:URL` (the city's
        /// registry on a chain, configured by evm-ledger.json in the data directory).
        #[arg(long, value_name = "SPEC", default_value = "local", value_parser = LedgerSpec::parse)]
        ledger: LedgerSpec,
        /// The language of the messages: en or zh-CN.
        #[arg(long, default_value = "en", value_parser = parse_lang)]
        lang: Lang,
    },
    /// Deliver what waits in the outbox and show where each application stands.
    Status {
        /// One application's id (urn:uuid:…).
        id: Option<String>,
        /// Print that application's receipt (JSON) instead.
        #[arg(long, requires = "id")]
        receipt: bool,
        /// The ledger: `local` (the embedded one in the data directory) or `evm:URL` (the city's
        /// registry on a chain, configured by evm-ledger.json in the data directory).
        #[arg(long, value_name = "SPEC", default_value = "local", value_parser = LedgerSpec::parse)]
        ledger: LedgerSpec,
        /// The language of the messages: en or zh-CN.
        #[arg(long, default_value = "en", value_parser = parse_lang)]
        lang: Lang,
    },
    /// Run the department side on its own: decide every application that arrives (and, with
    /// a subcommand, the officers' side: delegate, queue, decide).
    Desk {
        #[command(subcommand)]
        action: Option<DeskAction>,
        /// The ledger: `local` (the embedded one in the data directory) or `evm:URL` (the city's
        /// registry on a chain, configured by evm-ledger.json in the data directory).
        #[arg(long, value_name = "SPEC", default_value = "local", value_parser = LedgerSpec::parse)]
        ledger: LedgerSpec,
        /// A directory of department key files; the demo departments' keys when absent.
        #[arg(long, value_name = "DIR")]
        keys: Option<PathBuf>,
        /// Decide what is there now, then exit.
        #[arg(long)]
        once: bool,
    },
    /// A department's keys in the city's catalog (--catalog DIR): rotate or revoke them.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Inspect and audit the embedded ledger.
    Ledger {
        #[command(subcommand)]
        action: LedgerAction,
    },
    /// The live city data behind the plaza's dashboards.
    Feeds {
        #[command(subcommand)]
        action: FeedsAction,
    },
    /// A service hall's kiosk: its configuration's operator PIN.
    Kiosk {
        #[command(subcommand)]
        action: KioskAction,
    },
}

#[derive(Subcommand, Debug)]
enum KioskAction {
    /// Print the Argon2id hash of an operator PIN for the kiosk configuration's
    /// `operator_pin` (the PIN is asked twice, or read from standard input).
    PinHash {
        /// Read the PIN from standard input instead of the terminal.
        #[arg(long)]
        pin_stdin: bool,
    },
    /// Check a kiosk configuration file; every problem names its field.
    Check {
        /// The file.
        file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum DeskAction {
    /// The department names an officer who may decide the referred applications of some of
    /// its services for a while: its key valid now signs the delegation.
    Delegate {
        /// The officer's did:key (`agora id show --profile officer` on their machine).
        officer: String,
        /// The department delegating.
        #[arg(long)]
        department: String,
        /// A service whose referred applications the officer may decide. Repeatable.
        #[arg(long = "service", value_name = "ID", required = true)]
        services: Vec<String>,
        /// The officer's name, for the department's staff.
        #[arg(long)]
        name: String,
        /// From when (UTC, such as 2027-01-01T00:00:00Z); now when absent.
        #[arg(long, value_name = "TIME")]
        from: Option<String>,
        /// Until when (UTC).
        #[arg(long, value_name = "TIME")]
        until: String,
        /// The department desk's key files.
        #[arg(long, value_name = "DIR")]
        keys: PathBuf,
        /// Where to write the signed delegation.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// List the applications the policy referred to an officer that wait for a decision.
    Queue {
        /// The ledger: `local` or `evm:URL`.
        #[arg(long, value_name = "SPEC", default_value = "local", value_parser = LedgerSpec::parse)]
        ledger: LedgerSpec,
        /// The language of the titles and reasons: en or zh-CN.
        #[arg(long, default_value = "en", value_parser = parse_lang)]
        lang: Lang,
    },
    /// Open a referred application as an officer and read its answers; that you opened it is
    /// recorded on the ledger first, signed with this profile's key, for the citizen to see.
    Open {
        /// The application's id (urn:uuid:…).
        id: String,
        /// The department desk's key files (to open the sealed answers).
        #[arg(long, value_name = "DIR")]
        keys: PathBuf,
        /// The signed delegation (`agora desk delegate` wrote it).
        #[arg(long, value_name = "FILE")]
        delegation: PathBuf,
        /// Read the PIN from standard input instead of the terminal.
        #[arg(long)]
        pin_stdin: bool,
        /// The ledger: `local` or `evm:URL`.
        #[arg(long, value_name = "SPEC", default_value = "local", value_parser = LedgerSpec::parse)]
        ledger: LedgerSpec,
    },
    /// Decide a referred application as an officer, with the reason in both languages, signed
    /// with this profile's key (PIN) under the department's delegation.
    Decide {
        /// The application's id (urn:uuid:…).
        id: String,
        /// approve or reject.
        #[arg(value_parser = parse_final_outcome)]
        outcome: agora_services::Outcome,
        /// The reason, in English (with --reason-zh).
        #[arg(
            long,
            value_name = "TEXT",
            requires = "reason_zh",
            conflicts_with = "reason_key"
        )]
        reason: Option<String>,
        /// The reason, in Chinese (with --reason).
        #[arg(long = "reason-zh", value_name = "TEXT", requires = "reason")]
        reason_zh: Option<String>,
        /// Instead: one of the service's own messages, such as parking-permit.eligible.
        #[arg(
            long = "reason-key",
            value_name = "KEY",
            required_unless_present = "reason"
        )]
        reason_key: Option<String>,
        /// The signed delegation (`agora desk delegate` wrote it).
        #[arg(long, value_name = "FILE")]
        delegation: PathBuf,
        /// Read the PIN from standard input instead of the terminal.
        #[arg(long)]
        pin_stdin: bool,
        /// The ledger: `local` or `evm:URL`.
        #[arg(long, value_name = "SPEC", default_value = "local", value_parser = LedgerSpec::parse)]
        ledger: LedgerSpec,
    },
}

fn parse_final_outcome(text: &str) -> Result<agora_services::Outcome, String> {
    match text {
        "approve" => Ok(agora_services::Outcome::Approve),
        "reject" => Ok(agora_services::Outcome::Reject),
        _ => Err(format!("`{text}`: an officer decides approve or reject")),
    }
}

#[derive(Subcommand, Debug)]
enum KeysAction {
    /// Make a new key pair for a department: its secret key file goes into --keys DIR for the
    /// department's desk, its public halves into the catalog, valid from --from (now when
    /// absent); the previous key ends there, and what it decided still verifies.
    Rotate {
        /// The department's id (its file is departments/<id>.json in the catalog).
        department: String,
        /// The folder for the new secret key file (the department desk's keys).
        #[arg(long, value_name = "DIR")]
        keys: PathBuf,
        /// When the new key takes over (UTC, such as 2027-01-01T00:00:00Z); now when absent.
        #[arg(long, value_name = "TIME", conflicts_with = "first")]
        from: Option<String>,
        /// Replace the whole history with the new key, valid since always: for a catalog
        /// started from the demo's files, whose keys are published.
        #[arg(long)]
        first: bool,
    },
    /// Revoke a compromised key from a time: nothing it signs from then on counts.
    Revoke {
        /// The department's id.
        department: String,
        /// The key's did:key.
        did: String,
        /// From when (UTC, such as 2027-03-05T08:00:00Z); now when absent.
        #[arg(long, value_name = "TIME")]
        from: Option<String>,
        /// Why, for the record.
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
}

#[derive(Subcommand, Debug)]
enum FeedsAction {
    /// Fetch every feed the scene configures once; print each value with its unit and time, or
    /// the error.
    Check {
        /// The plaza layout (RON) whose dashboards name the feeds; the built-in one when absent.
        #[arg(long, value_name = "FILE")]
        scene: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum LedgerAction {
    /// Print the entries, one a line.
    Log {
        /// The first leaf index to show.
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// How many entries at most.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// The ledger: `local` (the embedded one) or `evm:URL` (the city's registry).
        #[arg(long, value_name = "SPEC", default_value = "local", value_parser = LedgerSpec::parse)]
        ledger: LedgerSpec,
    },
    /// Print the newest signed checkpoint and the key that checks it (on a chain: the
    /// registry, its chain and the newest final block).
    Checkpoint {
        /// The ledger: `local` (the embedded one) or `evm:URL` (the city's registry).
        #[arg(long, value_name = "SPEC", default_value = "local", value_parser = LedgerSpec::parse)]
        ledger: LedgerSpec,
    },
    /// Deploy the registry on a chain (the city's operator): the key's account becomes the
    /// city's admin, every service of the catalog is registered to its department's account,
    /// and the configuration clients need is written.
    Deploy {
        /// The chain: evm: and the node's URL.
        #[arg(value_name = "evm:URL", value_parser = LedgerSpec::parse)]
        ledger: LedgerSpec,
        /// The chain id the node must be on.
        #[arg(long)]
        chain_id: u64,
        /// The admin account's secret key (0x and 64 hex digits), in a file only its owner
        /// reads.
        #[arg(long, value_name = "FILE")]
        key_file: PathBuf,
        /// A JSON file mapping each department id to its account's address.
        #[arg(long, value_name = "FILE")]
        departments: PathBuf,
        /// Where to write the clients' configuration.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Anchor digests only (for a public chain): batches' submissions go to this folder,
        /// the departments' inbox, instead of into the chain's call data.
        #[arg(long, value_name = "DIR")]
        inbox: Option<PathBuf>,
    },
    /// Re-verify the whole store: hashes, tree, checkpoints, signatures and rules (on a
    /// chain: every batch root rebuilt from the submissions its call carries, every signature,
    /// every decision's digest and anchoring).
    Audit {
        /// The ledger: `local` (the embedded one) or `evm:URL` (the city's registry).
        #[arg(long, value_name = "SPEC", default_value = "local", value_parser = LedgerSpec::parse)]
        ledger: LedgerSpec,
    },
}

#[derive(Subcommand, Debug)]
enum ServicesAction {
    /// List the services, their departments and their policies.
    List {
        /// The language of the titles: en or zh-CN.
        #[arg(long, default_value = "en", value_parser = parse_lang)]
        lang: Lang,
    },
    /// Check a catalog directory; every problem is named with its file and field.
    Check {
        /// The directory holding one JSON file per service (and examples/).
        dir: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum IdAction {
    /// Create this device's identity, protected by a PIN.
    New {
        /// Read the PIN from standard input instead of the terminal.
        #[arg(long)]
        pin_stdin: bool,
    },
    /// Show this device's did:key.
    Show,
    /// Write an encrypted backup of the identity (PIN, then the backup's passphrase).
    Export {
        /// The backup file to write.
        file: PathBuf,
        /// Read the PIN and passphrase from standard input, one a line.
        #[arg(long)]
        pin_stdin: bool,
    },
    /// Restore an identity from a backup, or from a Multikey secret key file.
    Import {
        /// The backup or key file.
        file: PathBuf,
        /// Read the passphrase and the new PIN from standard input, one a line.
        #[arg(long)]
        pin_stdin: bool,
    },
}

fn pins(from_stdin: bool) -> PinSource {
    if from_stdin {
        PinSource::Stdin
    } else {
        PinSource::Terminal
    }
}

/// Runs a subcommand; prints its answer on stdout, or its error on stderr.
fn run_command(command: Command) -> ExitCode {
    use commands::{gateway, identity, services};
    let result: Result<String, CommandError> = match command {
        Command::Id { action } => match action {
            IdAction::New { pin_stdin } => identity::new(&pins(pin_stdin)),
            IdAction::Show => identity::show(),
            IdAction::Export { file, pin_stdin } => identity::export(&file, &pins(pin_stdin)),
            IdAction::Import { file, pin_stdin } => identity::import(&file, &pins(pin_stdin)),
        },
        Command::Sign {
            input,
            key_file,
            created,
            pin_stdin,
        } => identity::sign(
            &input,
            key_file.as_ref(),
            created.as_deref(),
            &pins(pin_stdin),
        ),
        Command::Verify {
            file,
            trust_ledger,
            trusted_ledgers,
            chain,
            confirmations,
            lang,
        } => identity::verify(
            &file,
            &gateway::Trust {
                pinned: trust_ledger,
                lists: trusted_ledgers,
                chain: chain.map(|url| (url, confirmations)),
            },
            lang,
        ),
        Command::Services { action } => match action {
            ServicesAction::List { lang } => services::list(lang.into()),
            ServicesAction::Check { dir } => services::check_dir(&dir),
        },
        Command::Apply {
            service,
            answers,
            dry_run,
            lang,
        } => {
            if dry_run {
                services::dry_run(&service, &answers, lang.into())
            } else {
                Err(CommandError::input(format!(
                    "`agora apply` only previews (--dry-run); to sign and send it: \
                     agora submit {service} --answers {}",
                    answers.display()
                )))
            }
        }
        Command::Submit {
            service,
            answers,
            no_wait,
            pin_stdin,
            ledger,
            lang,
        } => gateway::submit(
            &service,
            &answers,
            no_wait,
            &pins(pin_stdin),
            &ledger,
            lang.into(),
        ),
        Command::Status {
            id,
            receipt,
            ledger,
            lang,
        } => gateway::status(id.as_deref(), receipt, &ledger, lang.into()),
        Command::Desk {
            action: None,
            ledger,
            keys,
            once,
        } => gateway::desk(keys.as_deref(), once, &ledger),
        Command::Desk {
            action: Some(action),
            ..
        } => match action {
            DeskAction::Delegate {
                officer,
                department,
                services,
                name,
                from,
                until,
                keys,
                out,
            } => commands::officer::delegate(
                &officer,
                &department,
                &services,
                &name,
                from.as_deref(),
                &until,
                &keys,
                &out,
            ),
            DeskAction::Queue { ledger, lang } => commands::officer::queue(&ledger, lang.into()),
            DeskAction::Open {
                id,
                keys,
                delegation,
                pin_stdin,
                ledger,
            } => commands::officer::open(&id, &keys, &delegation, &pins(pin_stdin), &ledger),
            DeskAction::Decide {
                id,
                outcome,
                reason,
                reason_zh,
                reason_key,
                delegation,
                pin_stdin,
                ledger,
            } => commands::officer::decide(
                &id,
                outcome,
                (
                    reason.as_deref(),
                    reason_zh.as_deref(),
                    reason_key.as_deref(),
                ),
                &delegation,
                &pins(pin_stdin),
                &ledger,
            ),
        },
        Command::Keys { action } => match action {
            KeysAction::Rotate {
                department,
                keys,
                from,
                first,
            } => commands::keys::rotate(&department, &keys, from.as_deref(), first),
            KeysAction::Revoke {
                department,
                did,
                from,
                reason,
            } => commands::keys::revoke(&department, &did, from.as_deref(), &reason),
        },
        Command::Ledger { action } => match action {
            LedgerAction::Log {
                from,
                limit,
                ledger,
            } => gateway::ledger_log(from, limit, &ledger),
            LedgerAction::Checkpoint { ledger } => gateway::ledger_checkpoint(&ledger),
            LedgerAction::Deploy {
                ledger,
                chain_id,
                key_file,
                departments,
                out,
                inbox,
            } => gateway::ledger_deploy(
                &ledger,
                chain_id,
                &key_file,
                &departments,
                &out,
                inbox.as_deref(),
            ),
            LedgerAction::Audit { ledger } => gateway::ledger_audit(&ledger),
        },
        Command::Feeds { action } => match action {
            FeedsAction::Check { scene } => commands::feeds::check(scene.as_deref()),
        },
        Command::Kiosk { action } => match action {
            KioskAction::PinHash { pin_stdin } => commands::kiosk::pin_hash(&pins(pin_stdin)),
            KioskAction::Check { file } => commands::kiosk::check(&file),
        },
    };
    match result {
        Ok(answer) => {
            println!("{answer}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            if let Some(answer) = &error.answer {
                println!("{answer}");
            }
            eprintln!("agora: {error}");
            ExitCode::from(error.code)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    Auto,
    Xr,
    Desktop,
    Kiosk,
}

fn parse_on_off(text: &str) -> Result<bool, String> {
    match text {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("{text:?} is neither on nor off")),
    }
}

fn parse_contrast(text: &str) -> Result<Contrast, String> {
    match text {
        "standard" => Ok(Contrast::Standard),
        "high" => Ok(Contrast::High),
        _ => Err(format!("unknown contrast {text:?}: use standard or high")),
    }
}

fn parse_lang(tag: &str) -> Result<Lang, String> {
    Lang::from_tag(tag).ok_or_else(|| format!("unsupported language {tag:?}: use en or zh-CN"))
}

fn parse_size(text: &str) -> Result<UVec2, String> {
    let invalid = || format!("{text:?} is not a size like 1280x720");
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(invalid)?;
    let size = UVec2::new(
        w.trim().parse().map_err(|_| invalid())?,
        h.trim().parse().map_err(|_| invalid())?,
    );
    if !(64..=8192).contains(&size.x) || !(64..=8192).contains(&size.y) {
        return Err(format!(
            "{text:?}: each side must be between 64 and 8192 pixels"
        ));
    }
    Ok(size)
}

fn main() -> ExitCode {
    LAUNCHED.get_or_init(Instant::now);
    let mut cli = Cli::parse();
    if let Some(command) = cli.command.take() {
        commands::choose_profile(cli.profile.as_deref());
        if let Err(error) = commands::choose_catalog(cli.catalog.as_deref()) {
            eprintln!("agora: {error}");
            return ExitCode::from(error.code);
        }
        return run_command(command);
    }
    let plaza = match prepare(&cli) {
        Ok(plaza) => plaza,
        Err(error) => {
            eprintln!("agora: {error:#}");
            return ExitCode::from(2);
        }
    };
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        eprintln!(
            "agora: no display to open the plaza on (neither DISPLAY nor WAYLAND_DISPLAY is set); \
             run it in a desktop session, or under `xvfb-run -a` for screenshots"
        );
        return ExitCode::from(3);
    }
    let capturing = plaza.screenshot.is_some();
    let kiosk = plaza.kiosk.clone();
    if let Some(seconds) = cli.xr_check {
        if cli.mode != Mode::Xr || !(1.0..=600.0).contains(&seconds) {
            eprintln!("agora: --xr-check takes 1 to 600 seconds and needs --mode xr");
            return ExitCode::from(2);
        }
        if let Err(reason) = probe::probe()
            && !reason.runtime_present()
        {
            eprintln!("agora: {}", reason.sentence().text(plaza.lang));
            eprintln!("agora: OpenXR: {}", reason.detail());
            return ExitCode::from(5);
        }
    }
    let (headset, notes) = choose_mode(cli.mode, capturing);
    if cli.xr_check.is_some() && headset.is_none() {
        for note in notes {
            if let Some(detail) = note.detail {
                eprintln!("agora: {detail}");
            }
        }
        eprintln!("agora: the headset session could not be started");
        return ExitCode::from(1);
    }
    // A check measures frames as fast as they come, like a screenshot.
    let unpaced = capturing || cli.xr_check.is_some();
    let mut plaza = plaza;
    // The citizen's settings on their own device; a kiosk and a picture keep none.
    let mut settings = if kiosk.is_none() && !capturing {
        SettingsStore::open(&plaza.home)
    } else {
        SettingsStore::default()
    };
    if let Some(contrast) = cli.contrast {
        settings.settings.contrast = contrast;
    }
    if let Some(percent) = cli.text_size {
        settings.settings.text_scale = f32::from(percent) / 100.0;
    }
    if let Some(captions) = cli.captions {
        settings.settings.sound.captions = Some(captions);
    }
    match (cli.lang, settings.settings.language, &kiosk) {
        (Some(lang), _, _) => plaza.lang = lang,
        (None, Some(lang), None) => plaza.lang = lang,
        _ => {}
    }
    if headset.is_some() {
        plaza.xr = Some(xr::interaction::Comfort {
            settings: settings.settings.comfort,
            reduced_motion: settings.settings.reduced_motion,
        });
    }
    let mut resolution = WindowResolution::new(cli.size.x, cli.size.y);
    if capturing {
        // A screenshot is exactly the size asked for, whatever the display's scaling.
        resolution = resolution.with_scale_factor_override(1.0);
    }
    let mut window = Window {
        title: format!("Agora — {}", plaza.layout.name.en),
        resolution,
        resizable: !capturing,
        present_mode: if unpaced {
            PresentMode::AutoNoVsync
        } else {
            PresentMode::AutoVsync
        },
        ..default()
    };
    if let Some(kiosk) = &kiosk {
        // The kiosk's shell: no decorations, the whole configured monitor (a screenshot keeps
        // the size asked for), and no way to close it but the operator's.
        window.decorations = false;
        window.resizable = false;
        if !capturing {
            window.mode = bevy::window::WindowMode::BorderlessFullscreen(MonitorSelection::Index(
                kiosk.config.monitor,
            ));
        }
    }
    let mut plugins = DefaultPlugins.set(WindowPlugin {
        primary_window: Some(window),
        close_when_requested: kiosk.is_none(),
        ..default()
    });
    // With no audio device the plaza runs silent (and says so once, below); a screenshot is
    // always silent.
    let sound_device = agora_client::sound::output_exists();
    if !sound_device || capturing {
        plugins = plugins.disable::<bevy::audio::AudioPlugin>();
    }
    let mut app = App::new();
    match &headset {
        Some(headset) => {
            // The session asks for what this runtime and headset offer and nothing more, so
            // that a normal start logs no refusal.
            let mut exts = bevy_mod_openxr::exts::OxrExtensions::default();
            exts.raw_mut().ext_hand_tracking = headset.offers.hand_tracking;
            exts.raw_mut().meta_touch_controller_plus = headset.offers.touch_controller_plus;
            let mut xr_plugins = bevy_mod_openxr::add_xr_plugins(plugins).set(
                bevy_mod_openxr::init::OxrInitPlugin {
                    app_info: bevy_mod_openxr::types::AppInfo {
                        name: "Agora".into(),
                        version: bevy_mod_openxr::types::Version(0, 1, 0),
                    },
                    exts,
                    ..default()
                },
            );
            if !headset.offers.hand_tracking {
                xr_plugins = xr_plugins
                    .disable::<bevy_mod_openxr::features::handtracking::HandTrackingPlugin>();
            }
            app.add_plugins(xr_plugins);
            if unpaced {
                // Each eye at the window's size, so a check compares the headset with the
                // desktop at the same resolution and a picture of an eye is the size asked for
                // (where the runtime allows it; otherwise its recommended size).
                app.insert_resource(bevy_mod_openxr::resources::OxrSessionConfig {
                    resolutions: Some(vec![cli.size]),
                    ..default()
                });
            }
            info!(
                "OpenXR: {} on {} (loader {})",
                headset.system, headset.runtime, headset.loader
            );
        }
        None => {
            app.add_plugins(plugins);
        }
    }
    // A filled example's throwaway data directory, said and removed once the picture is taken.
    let example = plaza
        .screenshot
        .as_ref()
        .is_some_and(|request| request.filled)
        .then(|| plaza.home.clone());
    if !sound_device {
        info!("{}", agora_client::sound::SILENT);
    }
    let lang = plaza.lang;
    app.insert_resource(settings);
    app.add_plugins(plaza);
    if let Some(seconds) = cli.xr_check {
        app.add_plugins(xr::check::plugin(seconds));
    }
    for note in notes {
        if let Some(detail) = note.detail {
            warn!("{detail}");
        }
        if let Some(sentence) = note.sentence {
            app.world_mut()
                .resource_mut::<xr::XrNotice>()
                .say(sentence, lang);
        }
    }
    let exit = app.run();
    if let Some(dir) = example {
        end_example(&dir);
    }
    match exit {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    }
}

/// Says which ledger a filled example's receipt is from (its QR code in the picture verifies
/// with `agora verify --trust-ledger KEY`), and removes the example's data directory.
fn end_example(dir: &std::path::Path) {
    let ledger = agora_services::Catalog::embedded()
        .ok()
        .and_then(|catalog| {
            agora_gateway::LocalLedger::open(&dir.join(agora_gateway::city::LEDGER_DIR), catalog)
                .ok()
        });
    if let Some(ledger) = ledger {
        println!(
            "agora: the example was recorded on a throwaway ledger, now removed: its receipt \
             verifies with --trust-ledger {}",
            ledger.verifier()
        );
    }
    if let Err(problem) = std::fs::remove_dir_all(dir) {
        warn!(
            "cannot remove the example's data directory {}: {problem}",
            dir.display()
        );
    }
}

/// Everything that can be checked before a window opens; a problem here is exit status 2.
fn prepare(cli: &Cli) -> anyhow::Result<PlazaPlugin> {
    let layout = match &cli.scene {
        Some(path) => PlazaLayout::load(path)?,
        None => PlazaLayout::embedded().context("the built-in plaza layout is broken")?,
    };
    let screenshot = match &cli.screenshot {
        None => None,
        Some(path) => {
            if path.extension().and_then(|e| e.to_str()) != Some("png") {
                bail!("the screenshot file {} must end in .png", path.display());
            }
            let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
            if let Some(folder) = folder
                && !folder.is_dir()
            {
                bail!(
                    "cannot write {}: the folder {} does not exist",
                    path.display(),
                    folder.display()
                );
            }
            let view = View::parse(&cli.view, &layout).map_err(anyhow::Error::msg)?;
            if cli.filled && !matches!(view, View::Window(_)) {
                bail!("--filled shows a service window's panel: use it with --view window:<id>");
            }
            if cli.filled && cli.catalog.is_some() {
                bail!(
                    "--filled shows the built-in demo's decision (its desk runs beside it); a city's --catalog has its departments' own desks decide"
                );
            }
            Some(ScreenshotRequest {
                path: path.clone(),
                view,
                filled: cli.filled,
            })
        }
    };
    let home = if cli.filled {
        // A filled example must not touch the citizen's own identity and archive.
        let dir = std::env::temp_dir().join(format!("agora-example-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        dir
    } else {
        agora_identity::default_home()?
    };
    let catalog_source = if cli.filled {
        agora_gateway::CatalogSource::Demo
    } else {
        commands::choose_catalog(cli.catalog.as_deref()).map_err(|e| anyhow::anyhow!(e.message))?
    };
    let catalog = catalog_source
        .open()
        .map_err(|error| anyhow::anyhow!(error.message))?;
    let kiosk = if cli.mode == Mode::Kiosk {
        let config = match &cli.kiosk_config {
            Some(path) => {
                agora_client::kiosk::KioskConfig::load(path).map_err(anyhow::Error::msg)?
            }
            None if cli.filled || cli.screenshot.is_some() => {
                // A picture of the kiosk needs no hall of its own; it speaks --lang.
                agora_client::kiosk::KioskConfig {
                    language: cli.lang.unwrap_or_default(),
                    ..agora_client::kiosk::config::example()
                }
            }
            None => {
                let path = agora_client::kiosk::KioskConfig::path(None, &home);
                agora_client::kiosk::KioskConfig::load(&path).map_err(|e| {
                    anyhow::anyhow!("{e}\n(give the kiosk its configuration with --kiosk-config FILE; `agora kiosk pin-hash` makes the operator PIN's hash)")
                })?
            }
        };
        Some(agora_client::kiosk::Kiosk {
            outbox: home.join(agora_gateway::hall::OUTBOX_FILE),
            home: home.clone(),
            catalog: catalog_source.clone(),
            config,
        })
    } else {
        if cli.kiosk_config.is_some() {
            bail!("--kiosk-config configures --mode kiosk");
        }
        None
    };
    if let Some(request) = &screenshot
        && request.view.is_kiosk_only()
        && kiosk.is_none()
    {
        bail!(
            "--view {}: that view is the kiosk's; add --mode kiosk",
            cli.view
        );
    }
    Ok(PlazaPlugin {
        layout,
        lang: cli.lang.unwrap_or_default(),
        screenshot,
        home,
        catalog,
        catalog_source,
        ledger: kiosk
            .as_ref()
            .map_or_else(|| cli.ledger.clone(), |k| k.config.ledger.clone()),
        kiosk,
        xr: None,
    })
}

/// Something to say about the mode: a sentence for the citizen and a detail for the log.
struct ModeNote {
    sentence: Option<xr::ModeSentence>,
    detail: Option<String>,
}

/// Whether the plaza opens in a headset: `--mode xr` and `auto` ask OpenXR for one. In `auto`,
/// a machine with no OpenXR software at all opens on the desktop without a word; anything that
/// was there and failed is explained.
fn choose_mode(mode: Mode, capturing: bool) -> (Option<probe::Headset>, Vec<ModeNote>) {
    let say = |sentence: xr::ModeSentence, detail: Option<String>| ModeNote {
        sentence: Some(sentence),
        detail,
    };
    match mode {
        Mode::Desktop => (None, Vec::new()),
        Mode::Kiosk => (None, Vec::new()),
        // A screenshot in `auto` is of the desktop (in `xr` it is of the headset's left eye):
        // there is no headset to ask. Nor is there when no OpenXR runtime is installed, and
        // then `auto` says nothing about it.
        Mode::Auto if capturing || probe::runtime_manifest().is_none() => (None, Vec::new()),
        Mode::Auto | Mode::Xr => match probe::probe() {
            Ok(headset) => match probe::reexec_with_loader(&headset) {
                Ok(()) => (Some(headset), Vec::new()),
                Err(why) => (
                    None,
                    vec![say(
                        xr::ModeSentence::CouldNotStart,
                        Some(format!("OpenXR: {why}")),
                    )],
                ),
            },
            Err(reason) => {
                let detail = Some(format!("OpenXR: {}", reason.detail()));
                if mode == Mode::Xr || reason.runtime_present() {
                    (None, vec![say(reason.sentence(), detail)])
                } else {
                    (
                        None,
                        vec![ModeNote {
                            sentence: None,
                            detail,
                        }],
                    )
                }
            }
        },
    }
}

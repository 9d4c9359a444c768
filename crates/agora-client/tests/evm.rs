//! The city's shared ledger from the command line, against a real node (anvil): an operator
//! deploys the registry, two citizens on two machines (two data directories) submit to it,
//! two departments' desks, each with only its own keys and account, decide their own
//! services, and each citizen's receipt verifies offline and against the chain.

use std::path::Path;

use agora_gateway::evm::alloy::primitives::U256;
use agora_gateway::evm::alloy::signers::local::PrivateKeySigner;
use agora_gateway::evm::anvil::{self, Anvil};
use agora_gateway::evm::chain;
use serde_json::{Value, json};

use crate::identity::{Run, agora};

const PIN: &str = "4711-plaza\n";

/// A funded account, its key written (0600) to `path`.
fn account(url: &str, path: &Path) -> PrivateKeySigner {
    let key = PrivateKeySigner::random();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime
        .block_on(chain::anvil_set_balance(
            url,
            key.address(),
            U256::from(10u128.pow(21)),
        ))
        .expect("funds");
    std::fs::write(path, format!("{}\n", key.to_bytes())).expect("key written");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    key
}

/// The clients' configuration from the deployment, with this machine's own key file.
fn configure(home: &Path, deployed: &Value, key_file: &str) {
    let mut settings = deployed.clone();
    let settings_map = settings.as_object_mut().expect("an object");
    settings_map.remove("key_env");
    settings_map.insert("key_file".to_owned(), json!(key_file));
    // anvil mines a block per transaction and none in between: nothing more would come.
    settings_map.insert("confirmations".to_owned(), json!(0));
    std::fs::write(home.join("evm-ledger.json"), settings.to_string()).expect("written");
}

fn answers(dir: &Path, service: &str) -> String {
    let catalog = agora_services::Catalog::embedded().expect("catalog");
    let answers = agora_services::example_answers(
        catalog.service(service).expect("service"),
        time::OffsetDateTime::now_utc().date(),
    )
    .expect("example answers");
    let path = dir.join(format!("{service}.json"));
    std::fs::write(&path, json!({ "answers": answers }).to_string()).expect("written");
    path.to_str().expect("utf-8").to_owned()
}

/// The operator's folder: the admin's account (`admin.key`), each department's
/// (`<department>.key`), and `departments.json` naming their addresses.
fn accounts(url: &str, operator: &Path) {
    account(url, &operator.join("admin.key"));
    let catalog = agora_services::Catalog::embedded().expect("catalog");
    let mut departments = serde_json::Map::new();
    for service in catalog.services() {
        let id = &service.department.id;
        if !departments.contains_key(id) {
            let key = account(url, &operator.join(format!("{id}.key")));
            departments.insert(id.clone(), json!(format!("{:#x}", key.address())));
        }
    }
    std::fs::write(
        operator.join("departments.json"),
        Value::Object(departments).to_string(),
    )
    .expect("written");
}

/// `agora ledger deploy` from the operator's folder, with `extra` arguments.
fn deploy(operator: &Path, spec: &str, key_file: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "ledger",
        "deploy",
        spec,
        "--chain-id",
        "31337",
        "--key-file",
        key_file,
        "--departments",
        "departments.json",
        "--out",
        "evm-ledger.json",
    ];
    args.extend_from_slice(extra);
    agora(operator, &args, "")
}

/// A department's desk folder: its account, configuration and keys (the demo's).
fn desk_home(desk: &Path, operator: &Path, settings: &Value, department: &str) {
    std::fs::copy(
        operator.join(format!("{department}.key")),
        desk.join("account.key"),
    )
    .expect("copy");
    configure(desk, settings, "account.key");
    let keys = desk.join("keys");
    std::fs::create_dir_all(&keys).expect("dir");
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo-desk-keys");
    std::fs::copy(
        assets.join(format!("{department}.json")),
        keys.join(format!("{department}.json")),
    )
    .expect("copy");
}

fn ok(run: &Run, what: &str) {
    assert_eq!(run.code, 0, "{what}: {}\n{}", run.stderr, run.stdout);
}

#[test]
fn two_citizens_and_two_departments_share_one_chain_and_every_receipt_verifies_on_it() {
    let node = Anvil::start(anvil::Options::default()).expect("anvil starts");
    let url = node.url();
    let spec = format!("evm:{url}");
    let dir = tempfile::tempdir().expect("tempdir");
    let home = |name: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(&path).expect("dir");
        path
    };

    // The operator deploys, registering each service to its department's account.
    let operator = home("operator");
    accounts(&url, &operator);
    let catalog = agora_services::Catalog::embedded().expect("catalog");
    let deploy_with = |key_file: &str| deploy(&operator, &spec, key_file, &[]);
    // A key file others can read is refused before anything is sent.
    let loose = operator.join("loose.key");
    std::fs::copy(operator.join("admin.key"), &loose).expect("copy");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let refused = deploy_with("loose.key");
        assert_eq!(refused.code, 2, "{}", refused.stderr);
        assert!(refused.stderr.contains("chmod 600"), "{}", refused.stderr);
    }
    let deployed = deploy_with("admin.key");
    ok(&deployed, "deploy");
    assert!(
        !deployed.stdout.contains(
            &std::fs::read_to_string(operator.join("admin.key"))
                .expect("key")
                .trim()[2..]
        )
    );
    let published = deployed
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("publish for verifiers: "))
        .expect("the registry's name")
        .to_owned();
    let settings: Value = serde_json::from_str(
        &std::fs::read_to_string(operator.join("evm-ledger.json")).expect("configuration"),
    )
    .expect("json");

    // Two citizens, each on their own machine with their own submitter account.
    let mut applied = Vec::new();
    for (name, service) in [("alice", "parking-permit"), ("bob", "health-certificate")] {
        let citizen = home(name);
        account(&url, &citizen.join("submitter.key"));
        configure(&citizen, &settings, "submitter.key");
        ok(
            &agora(
                &citizen,
                &["id", "new", "--pin-stdin"],
                &format!("{PIN}{PIN}"),
            ),
            "id new",
        );
        let file = answers(&citizen, service);
        let run = agora(
            &citizen,
            &[
                "submit",
                service,
                "--answers",
                &file,
                "--pin-stdin",
                "--ledger",
                &spec,
            ],
            PIN,
        );
        ok(&run, "submit");
        let receipt: Value = serde_json::from_str(&run.stdout).expect("a receipt");
        assert_eq!(receipt["ledger"]["backend"], "evm");
        let id = receipt["application"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        applied.push((citizen, id, service));
    }

    // The plaza's session (what every window's panel talks to) submits to the chain too.
    let carol = home("carol");
    account(&url, &carol.join("submitter.key"));
    configure(&carol, &settings, "submitter.key");
    let session = agora_client::session::Session::start(
        carol.clone(),
        agora_gateway::CatalogSource::Demo,
        agora_client::commands::gateway::LedgerSpec::Evm(url.clone()),
    );
    let pin = || agora_identity::Pin::new(PIN.trim().to_owned()).expect("a PIN");
    session.send(agora_client::session::Request::CreateIdentity { pin: pin() });
    let parking = catalog.service("parking-permit").expect("service");
    let carol_answers =
        agora_services::example_answers(parking, time::OffsetDateTime::now_utc().date())
            .expect("answers");
    session.send(agora_client::session::Request::Submit {
        service: "parking-permit".to_owned(),
        answers: carol_answers,
        pin: Some(pin()),
    });
    let anchored = wait_for(&session, |summary| {
        summary.state == agora_gateway::State::Anchored
    });
    assert_eq!(anchored.service, "parking-permit");

    // Each department's desk, with its own keys and account only, decides its own service.
    for department in ["transport", "health"] {
        let desk = home(&format!("desk-{department}"));
        desk_home(&desk, &operator, &settings, department);
        let run = agora(
            &desk,
            &["desk", "--ledger", &spec, "--keys", "keys", "--once"],
            "",
        );
        ok(&run, "desk");
        // The transport desk decides alice's and carol's parking permits.
        let expected = if department == "transport" {
            "2 decided"
        } else {
            "1 decided"
        };
        assert!(
            run.stdout.contains(expected),
            "{department}: {}",
            run.stdout
        );
    }

    // The plaza shows carol the decision.
    session.send(agora_client::session::Request::Refresh);
    let decided = wait_for(&session, |summary| {
        summary.state == agora_gateway::State::Decided
    });
    assert_eq!(decided.outcome, Some(agora_services::Outcome::Approve));

    // Anyone configured for the chain can read and audit it.
    let reader = &applied[0].0;
    let log = agora(reader, &["ledger", "log", "--ledger", &spec], "");
    ok(&log, "ledger log");
    assert_eq!(log.stdout.lines().count(), 9, "{}", log.stdout);
    assert_eq!(log.stdout.matches("decision").count(), 3, "{}", log.stdout);
    // Each decision follows its department's access entry: who opened it, and why.
    assert_eq!(log.stdout.matches("access ").count(), 3, "{}", log.stdout);
    assert_eq!(
        log.stdout.matches("(automatic-review)").count(),
        3,
        "{}",
        log.stdout
    );
    let state = agora(reader, &["ledger", "checkpoint", "--ledger", &spec], "");
    ok(&state, "ledger checkpoint");
    assert!(state.stdout.contains(&published), "{}", state.stdout);
    let audit = agora(reader, &["ledger", "audit", "--ledger", &spec], "");
    ok(&audit, "ledger audit");
    assert!(
        audit.stdout.starts_with("audit passed: 3 batches"),
        "{}",
        audit.stdout
    );

    // Each citizen sees the decision, and the receipt verifies offline and on the chain.
    for (citizen, id, service) in &applied {
        let run = agora(citizen, &["status", id, "--receipt", "--ledger", &spec], "");
        ok(&run, "status");
        let receipt: Value = serde_json::from_str(&run.stdout).expect("a receipt");
        assert!(
            receipt["ledger"]["decision"].is_object(),
            "{service}: {receipt}"
        );
        let file = citizen.join("receipt.json");
        std::fs::write(&file, &run.stdout).expect("written");
        let offline = agora(
            citizen,
            &["verify", "receipt.json", "--trust-ledger", &published],
            "",
        );
        ok(&offline, "verify offline");
        assert!(
            offline.stdout.contains("approve"),
            "{service}: {}",
            offline.stdout
        );
        assert!(
            offline.stdout.contains("add --chain URL"),
            "{}",
            offline.stdout
        );
        let online = agora(
            citizen,
            &[
                "verify",
                "receipt.json",
                "--trust-ledger",
                &published,
                "--chain",
                &url,
                "--confirmations",
                "0",
            ],
            "",
        );
        ok(&online, "verify against the chain");
        assert!(
            online.stdout.contains("on the chain at"),
            "{}",
            online.stdout
        );
        // Without the registry pinned, a receipt proves nothing.
        let unpinned = agora(citizen, &["verify", "receipt.json"], "");
        assert_eq!(unpinned.code, 1, "{}", unpinned.stderr);
        assert!(
            unpinned.stderr.contains("--trust-ledger eip155:31337:"),
            "{}",
            unpinned.stderr
        );
    }
}

#[test]
fn digests_only_from_the_command_line_the_chain_holds_roots_and_the_inbox_the_submissions() {
    let node = Anvil::start(anvil::Options::default()).expect("anvil starts");
    let url = node.url();
    let spec = format!("evm:{url}");
    let dir = tempfile::tempdir().expect("tempdir");
    let home = |name: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(&path).expect("dir");
        path
    };
    let operator = home("operator");
    accounts(&url, &operator);
    let deployed = deploy(&operator, &spec, "admin.key", &["--inbox", "inbox"]);
    ok(&deployed, "deploy");
    let settings: Value = serde_json::from_str(
        &std::fs::read_to_string(operator.join("evm-ledger.json")).expect("configuration"),
    )
    .expect("json");
    // Written as the folder it names from anywhere, so every machine's copy finds it.
    let inbox = operator.join("inbox");
    assert_eq!(
        settings["inbox"],
        json!(inbox.to_str().expect("utf-8")),
        "{settings}"
    );

    let alice = home("alice");
    account(&url, &alice.join("submitter.key"));
    configure(&alice, &settings, "submitter.key");
    ok(
        &agora(
            &alice,
            &["id", "new", "--pin-stdin"],
            &format!("{PIN}{PIN}"),
        ),
        "id new",
    );
    let file = answers(&alice, "parking-permit");
    let run = agora(
        &alice,
        &[
            "submit",
            "parking-permit",
            "--answers",
            &file,
            "--pin-stdin",
            "--ledger",
            &spec,
        ],
        PIN,
    );
    ok(&run, "submit");
    let receipt: Value = serde_json::from_str(&run.stdout).expect("a receipt");
    let id = receipt["application"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let batches: Vec<_> = std::fs::read_dir(&inbox)
        .expect("the inbox")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(batches.len(), 1, "{batches:?}");

    let desk = home("desk-transport");
    desk_home(&desk, &operator, &settings, "transport");
    let run = agora(
        &desk,
        &["desk", "--ledger", &spec, "--keys", "keys", "--once"],
        "",
    );
    ok(&run, "desk");
    assert!(run.stdout.contains("1 decided"), "{}", run.stdout);

    let run = agora(&alice, &["status", &id, "--receipt", "--ledger", &spec], "");
    ok(&run, "status");
    let receipt: Value = serde_json::from_str(&run.stdout).expect("a receipt");
    assert_eq!(
        receipt["ledger"]["decision"]["entry"]["credentialSubject"]["outcome"], "approve",
        "{receipt}"
    );
    let audit = agora(&alice, &["ledger", "audit", "--ledger", &spec], "");
    ok(&audit, "ledger audit");
    assert!(
        audit
            .stdout
            .starts_with("audit passed: 1 batches (1 digests only, 0 of them unread without their inbox), 1 submissions"),
        "{}",
        audit.stdout
    );
}

/// Waits (up to two minutes) for the session to report an application that `done` accepts.
fn wait_for(
    session: &agora_client::session::Session,
    done: impl Fn(&agora_client::session::Summary) -> bool,
) -> agora_client::session::Summary {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while std::time::Instant::now() < deadline {
        if let Some(reply) = session.wait(std::time::Duration::from_millis(500)) {
            match reply {
                agora_client::session::Reply::Applications(list) => {
                    if let Some(summary) = list.into_iter().find(|s| done(s)) {
                        return summary;
                    }
                }
                agora_client::session::Reply::Problem { task, message } => {
                    panic!("the session could not {task:?}: {message}")
                }
                _ => {}
            }
        }
    }
    panic!("the session did not report it in two minutes");
}

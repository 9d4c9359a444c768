//! `agora id new | show | export | import`, `agora sign` and `agora verify`: the citizen's
//! identity and signed documents, on the command line.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use agora_identity::canonical::parse_strict;
use agora_identity::proof::{self, ProofOptions, VerifyOptions};
use agora_identity::{
    DidKey, Identity, KEYSTORE_DIR, KeyStore, Overwrite, Profile, StoreError, default_home,
};
use serde_json::Value;

use super::{CommandError, PinSource};
use crate::lang::Lang;

/// The profile the commands use: one citizen per device account.
pub const DEFAULT_PROFILE: &str = "default";

/// Largest JSON document `sign` and `verify` read; applications are a few kilobytes.
const MAX_DOCUMENT_BYTES: u64 = 4 * 1024 * 1024;

/// The key store in Agora's data directory (`AGORA_HOME`, or the platform's).
pub fn profile_store() -> Result<(KeyStore, Profile), CommandError> {
    let home = default_home().map_err(|e| CommandError::failure(e.to_string()))?;
    let profile = Profile::new(super::profile_name())
        .map_err(|e| CommandError::input(format!("--profile: {e}")))?;
    Ok((KeyStore::new(home.join(KEYSTORE_DIR)), profile))
}

/// Says which exit status a key store error deserves.
fn store_error(error: StoreError) -> CommandError {
    match error {
        StoreError::Io { .. }
        | StoreError::Random(_)
        | StoreError::Encrypt
        | StoreError::Kdf(_) => CommandError::failure(error.to_string()),
        _ => CommandError::input(error.to_string()),
    }
}

fn describe(did: &DidKey, store: &KeyStore, profile: &Profile) -> String {
    format!(
        "{did}\n  verification method: {}\n  key file: {}",
        did.verification_method(),
        store.key_path(profile).display()
    )
}

/// `agora id new`: a new identity, encrypted under a new PIN.
pub fn new(pins: &PinSource) -> Result<String, CommandError> {
    let (store, profile) = profile_store()?;
    if store.exists(&profile) {
        return Err(CommandError::input(format!(
            "this device already has an identity ({}); export it first if you want to keep it, \
             then remove the key file to start again",
            store.key_path(&profile).display()
        )));
    }
    let pin = pins.read_new("Choose a PIN (at least 6 characters): ")?;
    let identity = store
        .create(&profile, &pin, Overwrite::Refuse)
        .map_err(store_error)?;
    Ok(format!(
        "Created your identity:\n{}",
        describe(&identity.did(), &store, &profile)
    ))
}

/// `agora id show`: the profile's did:key (no PIN needed).
pub fn show() -> Result<String, CommandError> {
    let (store, profile) = profile_store()?;
    let did = store.did(&profile).map_err(store_error)?;
    Ok(describe(&did, &store, &profile))
}

/// `agora id export FILE`: an encrypted backup of the profile's key.
pub fn export(file: &Path, pins: &PinSource) -> Result<String, CommandError> {
    let (store, profile) = profile_store()?;
    if !store.exists(&profile) {
        return Err(store_error(StoreError::NoKey {
            path: store.key_path(&profile),
            profile,
        }));
    }
    let pin = pins.read("PIN: ")?;
    let passphrase =
        pins.read_new("Passphrase for the backup (at least 12 characters; a few words): ")?;
    let did = store
        .export_backup(&profile, &pin, file, &passphrase, Overwrite::Refuse)
        .map_err(store_error)?;
    Ok(format!(
        "Wrote an encrypted backup of {did} to {}.\nKeep it and its passphrase apart.",
        file.display()
    ))
}

/// `agora id import FILE`: an identity from an encrypted backup (as `export` writes), or from
/// a file holding an Ed25519 secret key as a Multikey (`z3u2…`).
pub fn import(file: &Path, pins: &PinSource) -> Result<String, CommandError> {
    let (store, profile) = profile_store()?;
    if store.exists(&profile) {
        return Err(CommandError::input(format!(
            "this device already has an identity ({}); importing would replace it",
            store.key_path(&profile).display()
        )));
    }
    let did = match read_multikey(file)? {
        Some(secret) => {
            let pin = pins.read_new("Choose a PIN for this identity (at least 6 characters): ")?;
            store
                .import_multikey(&profile, &secret, &pin, Overwrite::Refuse)
                .map_err(store_error)?
        }
        None => {
            let passphrase = pins.read("Passphrase of the backup: ")?;
            let pin = pins.read_new("Choose a PIN for this identity (at least 6 characters): ")?;
            store
                .import_backup(&profile, file, &passphrase, &pin, Overwrite::Refuse)
                .map_err(store_error)?
        }
    };
    Ok(format!(
        "Imported your identity:\n{}",
        describe(&did, &store, &profile)
    ))
}

/// The Multikey secret in `file`, if the file is one (a single `z…` word of text); `None` for
/// anything else, which is then read as a backup.
fn read_multikey(file: &Path) -> Result<Option<zeroize::Zeroizing<String>>, CommandError> {
    // A Multikey secret is about 50 characters; anything much longer is a backup (or wrong).
    let bytes = zeroize::Zeroizing::new(super::read_limited(file, MAX_DOCUMENT_BYTES)?);
    Ok(std::str::from_utf8(&bytes)
        .ok()
        .map(str::trim)
        .filter(|text| text.starts_with('z') && !text.contains(char::is_whitespace))
        .map(|text| zeroize::Zeroizing::new(text.to_owned())))
}

/// Reads a JSON document strictly (no duplicate member names), naming the file in errors.
fn read_document(file: &Path) -> Result<Value, CommandError> {
    let bytes = super::read_limited(file, MAX_DOCUMENT_BYTES)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| CommandError::input(format!("{} is not UTF-8 text", file.display())))?;
    parse_strict(&text)
        .map_err(|e| CommandError::input(format!("{} is not valid JSON: {e}", file.display())))
}

/// `agora sign IN.json [--key-file FILE] [--created RFC3339]`: the document with an
/// `eddsa-jcs-2022` proof for `assertionMethod`, as pretty-printed JSON.
pub fn sign(
    input: &Path,
    key_file: Option<&PathBuf>,
    created: Option<&str>,
    pins: &PinSource,
) -> Result<String, CommandError> {
    let document = read_document(input)?;
    if let Some(kind) = agora_document_type(&document) {
        return Err(CommandError::input(format!(
            "{} is an Agora {kind}: `agora sign` does not sign Agora's own documents, so that a crafted file cannot become an application or a submission in your name. Applications are signed by `agora submit` and at the plaza's windows, which show what is signed",
            input.display()
        )));
    }
    let identity = match key_file {
        Some(path) => {
            let secret = read_multikey(path)?.ok_or_else(|| {
                CommandError::input(format!(
                    "{} does not hold an Ed25519 secret key as a Multikey (a single `z…` word)",
                    path.display()
                ))
            })?;
            Identity::from_secret_multikey(&secret).map_err(|e| {
                CommandError::input(format!("the key in {} is unusable: {e}", path.display()))
            })?
        }
        None => {
            let (store, profile) = profile_store()?;
            if !store.exists(&profile) {
                return Err(store_error(StoreError::NoKey {
                    path: store.key_path(&profile),
                    profile,
                }));
            }
            store
                .unlock(&profile, &pins.read("PIN: ")?)
                .map_err(store_error)?
        }
    };
    // A proof says when it was made: the time given, or now.
    let options = match created {
        Some(created) => ProofOptions::assertion().created(created),
        None => ProofOptions::assertion().created_at(SystemTime::now()),
    };
    let signed = identity
        .sign(&document, &options)
        .map_err(|e| CommandError::input(format!("cannot sign {}: {e}", input.display())))?;
    serde_json::to_string_pretty(&signed)
        .map_err(|e| CommandError::failure(format!("cannot print the signed document: {e}")))
}

/// The kind of Agora document `document` is, by its `type` (a string or a list): what
/// `agora sign` refuses, since the same key signs citizens' applications and submissions.
fn agora_document_type(document: &Value) -> Option<&'static str> {
    let kinds = [
        (
            agora_services::application::APPLICATION_TYPE[1],
            "application",
        ),
        (agora_services::decision::DECISION_TYPE[1], "decision"),
        (agora_ledger::entry::SUBMISSION_TYPE, "submission"),
        (agora_gateway::receipt::RECEIPT_TYPE, "receipt"),
    ];
    let types: Vec<&str> = match document.get("type") {
        Some(Value::String(kind)) => vec![kind.as_str()],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    kinds
        .iter()
        .find(|(name, _)| types.contains(name))
        .map(|(_, kind)| *kind)
}

/// `agora verify FILE.json`: whether a signed document's proof holds, or, for a receipt
/// (`"type": "AgoraReceipt"`), whether every part of it does.
pub fn verify(
    file: &Path,
    trust: &super::gateway::Trust,
    lang: Lang,
) -> Result<String, CommandError> {
    use agora_gateway::compact;
    let shown = file.display().to_string();
    // A receipt code given as the argument itself, as a phone's QR reader shows it.
    let given = file.to_string_lossy();
    if compact::is_code(&given) && !file.exists() {
        let source = crate::lang::text(lang, "verify-code-given");
        return super::gateway::verify_code(&source, &given, trust, lang.into());
    }
    if file.extension().and_then(|e| e.to_str()) == Some("png") {
        let codes = crate::panel::qr::read_png(file).map_err(CommandError::input)?;
        let Some(code) = codes.iter().find(|code| compact::is_code(code)) else {
            let others = codes.len().to_string();
            return Err(CommandError::input(crate::lang::format(
                lang,
                "verify-no-code-in-picture",
                &[("file", &shown), ("others", &others)],
            )));
        };
        let source = crate::lang::format(lang, "verify-code-in-picture", &[("file", &shown)]);
        return super::gateway::verify_code(&source, code, trust, lang.into());
    }
    let bytes = super::read_limited(file, MAX_DOCUMENT_BYTES)?;
    if let Ok(text) = std::str::from_utf8(&bytes)
        && compact::is_code(text)
    {
        return super::gateway::verify_code(&shown, text, trust, lang.into());
    }
    let document = read_document(file)?;
    if document.get("type").and_then(Value::as_str) == Some(agora_gateway::receipt::RECEIPT_TYPE) {
        return super::gateway::verify_receipt(file, &document, trust, lang.into());
    }
    let verified = proof::verify(&document, &VerifyOptions::assertion()).map_err(|e| {
        CommandError::negative(crate::lang::format(
            lang,
            "verify-document-invalid",
            &[("file", &shown), ("error", &e.to_string())],
        ))
    })?;
    // A document whose issuer is a did:key is valid only when that key signed it; another
    // kind of issuer (a web address, say) cannot be tied to the key here, and is said so.
    let issuer = document.get("issuer").and_then(|issuer| {
        issuer
            .as_str()
            .or_else(|| issuer.get("id").and_then(Value::as_str))
    });
    let signer = verified.signer.to_string();
    let mut caveat = String::new();
    if let Some(issuer) = issuer {
        if issuer.starts_with("did:key:") {
            if issuer != signer {
                return Err(CommandError::negative(crate::lang::format(
                    lang,
                    "verify-document-wrong-issuer",
                    &[("file", &shown), ("issuer", issuer), ("signer", &signer)],
                )));
            }
        } else {
            caveat = format!(
                "\n  {}",
                crate::lang::format(lang, "verify-issuer-not-did-key", &[("issuer", issuer)])
            );
        }
    }
    let valid = match verified.proof.get("created").and_then(Value::as_str) {
        Some(created) => crate::lang::format(
            lang,
            "verify-document-valid-created",
            &[("file", &shown), ("signer", &signer), ("created", created)],
        ),
        None => crate::lang::format(
            lang,
            "verify-document-valid",
            &[("file", &shown), ("signer", &signer)],
        ),
    };
    Ok(format!("{valid}{caveat}"))
}

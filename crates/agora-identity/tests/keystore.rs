//! The key store as a citizen meets it: create, unlock, wrong PINs and the back-off (which
//! survives reopening the store), damaged files, overwrites, backups and imports.

use std::ffi::OsStr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use agora_identity::keystore::{Damage, MIN_PIN_CHARS, format};
use agora_identity::proof::{self, ProofOptions, VerifyOptions};
use agora_identity::{
    BackoffPolicy, Clock, DidKey, Identity, KdfParams, KeyStore, MultikeyError, Overwrite, Pin,
    PinError, Profile, StoreError, resolve_home,
};
use serde_json::json;
use sha2::{Digest as _, Sha256};

/// A clock the test moves by hand.
#[derive(Debug)]
struct ManualClock(Mutex<SystemTime>);

impl ManualClock {
    fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600),
        )))
    }

    fn advance(&self, by: Duration) {
        let mut now = self.0.lock().expect("clock lock");
        *now += by;
    }

    fn set_back(&self, by: Duration) {
        let mut now = self.0.lock().expect("clock lock");
        *now -= by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().expect("clock lock")
    }
}

fn store(dir: &Path, clock: &Arc<ManualClock>) -> KeyStore {
    KeyStore::new(dir)
        .with_kdf_params(KdfParams::insecure_for_tests())
        .with_clock(clock.clone())
}

fn pin(text: &str) -> Pin {
    Pin::new(text.to_owned()).expect("a long enough PIN")
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

#[test]
fn a_created_identity_unlocks_with_its_pin() {
    let dir = temp_dir();
    let clock = ManualClock::new();
    let store = store(dir.path(), &clock);
    let profile = Profile::default();
    assert!(!store.exists(&profile));

    let created = store
        .create(&profile, &pin("246810"), Overwrite::Refuse)
        .expect("creates");
    assert!(store.exists(&profile));
    assert_eq!(store.did(&profile).ok(), Some(created.did()));

    let unlocked = store.unlock(&profile, &pin("246810")).expect("unlocks");
    assert_eq!(unlocked.did(), created.did());
    // The unlocked key signs what the did:key then verifies.
    let document = unlocked
        .sign(&json!({"hello": "agora"}), &ProofOptions::assertion())
        .expect("signs");
    let verified = proof::verify(&document, &VerifyOptions::assertion()).expect("verifies");
    assert_eq!(verified.signer, created.did());
}

#[test]
fn the_key_file_is_encrypted_and_private() {
    let dir = temp_dir();
    let clock = ManualClock::new();
    let store = store(&dir.path().join("nested/identity"), &clock);
    let profile = Profile::default();
    let identity = store
        .create(&profile, &pin("246810"), Overwrite::Refuse)
        .expect("creates");
    let path = store.key_path(&profile);
    let bytes = std::fs::read(&path).expect("the key file exists");
    assert_eq!(bytes.len(), format::FILE_LEN);
    assert!(bytes.starts_with(b"AGORAKEY"));
    let seed = identity.signing_key().to_bytes();
    assert!(
        !bytes.windows(32).any(|window| window == seed),
        "the secret key is in the file in the clear"
    );
    // No temporary files are left behind.
    let names: Vec<_> = std::fs::read_dir(store.dir())
        .expect("the store's directory")
        .map(|entry| entry.expect("an entry").file_name())
        .collect();
    assert_eq!(names, ["default.key"]);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| {
            std::fs::metadata(path)
                .expect("metadata")
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode(&path), 0o600, "key file mode");
        assert_eq!(mode(store.dir()), 0o700, "key store directory mode");
    }
}

#[test]
fn a_wrong_pin_is_refused_and_counted() {
    let dir = temp_dir();
    let clock = ManualClock::new();
    let store = store(dir.path(), &clock);
    let profile = Profile::default();
    store
        .create(&profile, &pin("246810"), Overwrite::Refuse)
        .expect("creates");
    let error = store
        .unlock(&profile, &pin("135790"))
        .expect_err("a wrong PIN");
    assert!(
        matches!(&error, StoreError::WrongPin { failures: 1, retry_after, .. } if retry_after.is_zero()),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "wrong PIN for profile `default` (1 wrong attempt)"
    );
    assert_eq!(store.lockout(&profile).ok(), Some((1, Duration::ZERO)));
    // A correct PIN clears the count.
    store.unlock(&profile, &pin("246810")).expect("unlocks");
    assert_eq!(store.lockout(&profile).ok(), Some((0, Duration::ZERO)));
}

#[test]
fn repeated_wrong_pins_back_off_and_the_back_off_survives_reopening() {
    let dir = temp_dir();
    let clock = ManualClock::new();
    let profile = Profile::default();
    let right = pin("246810");
    let wrong = pin("000000");
    store(dir.path(), &clock)
        .create(&profile, &right, Overwrite::Refuse)
        .expect("creates");

    for expected in 1..=3 {
        let error = store(dir.path(), &clock)
            .unlock(&profile, &wrong)
            .expect_err("a wrong PIN");
        let StoreError::WrongPin {
            failures,
            retry_after,
            ..
        } = error
        else {
            panic!("expected WrongPin, got {error:?}");
        };
        assert_eq!(failures, expected);
        let wait = if expected == 3 { 30 } else { 0 };
        assert_eq!(retry_after, Duration::from_secs(wait));
    }

    // A new store on the same directory (a restart) still refuses, even the right PIN, and
    // says how long to wait.
    let reopened = store(dir.path(), &clock);
    let error = reopened.unlock(&profile, &right).expect_err("locked out");
    assert!(
        matches!(error, StoreError::LockedOut { failures: 3, retry_after, .. } if retry_after == Duration::from_secs(30)),
        "{error:?}"
    );
    assert!(error.to_string().contains("wait 30 s"), "{error}");

    clock.advance(Duration::from_secs(20));
    let error = store(dir.path(), &clock)
        .unlock(&profile, &right)
        .expect_err("still locked out");
    assert!(
        matches!(error, StoreError::LockedOut { retry_after, .. } if retry_after == Duration::from_secs(10)),
        "{error:?}"
    );

    // After the wait one more attempt is allowed; failing it doubles the wait.
    clock.advance(Duration::from_secs(10));
    let error = store(dir.path(), &clock)
        .unlock(&profile, &wrong)
        .expect_err("a wrong PIN");
    assert!(
        matches!(error, StoreError::WrongPin { failures: 4, retry_after, .. } if retry_after == Duration::from_secs(60)),
        "{error:?}"
    );
    assert!(error.to_string().contains("wait 1 min"), "{error}");

    clock.advance(Duration::from_secs(60));
    let identity = store(dir.path(), &clock)
        .unlock(&profile, &right)
        .expect("the right PIN after the wait");
    assert_eq!(
        store(dir.path(), &clock).did(&profile).ok(),
        Some(identity.did())
    );
    assert_eq!(
        store(dir.path(), &clock).lockout(&profile).ok(),
        Some((0, Duration::ZERO))
    );
}

#[test]
fn turning_the_clock_back_does_not_end_the_wait() {
    let dir = temp_dir();
    let clock = ManualClock::new();
    let profile = Profile::default();
    let store = store(dir.path(), &clock).with_backoff(BackoffPolicy {
        free_attempts: 1,
        ..BackoffPolicy::default()
    });
    store
        .create(&profile, &pin("246810"), Overwrite::Refuse)
        .expect("creates");
    assert!(store.unlock(&profile, &pin("000000")).is_err());
    clock.set_back(Duration::from_secs(24 * 3600));
    assert!(matches!(
        store.unlock(&profile, &pin("246810")),
        Err(StoreError::LockedOut { .. })
    ));
    clock.advance(Duration::from_secs(30));
    assert!(store.unlock(&profile, &pin("246810")).is_ok());
}

#[test]
fn a_damaged_wrong_pin_record_slows_the_next_unlock_once_and_then_lets_it_through() {
    let dir = temp_dir();
    let clock = ManualClock::new();
    let profile = Profile::default();
    let store = store(dir.path(), &clock);
    store
        .create(&profile, &pin("246810"), Overwrite::Refuse)
        .expect("creates");
    let record = dir.path().join("default.key.attempts");
    assert_eq!(record, {
        let mut name = store.key_path(&profile).into_os_string();
        name.push(".attempts");
        std::path::PathBuf::from(name)
    });
    std::fs::write(&record, "failures=lots\n").expect("written");
    // Unreadable: taken as the first wait, which must run out, however often it is read.
    let wait = match store.unlock(&profile, &pin("246810")) {
        Err(StoreError::LockedOut { retry_after, .. }) => retry_after,
        other => panic!("a damaged record gave a free attempt: {other:?}"),
    };
    assert_eq!(wait, BackoffPolicy::default().base_delay);
    clock.advance(Duration::from_secs(10));
    assert!(matches!(
        store.unlock(&profile, &pin("246810")),
        Err(StoreError::LockedOut { .. })
    ));
    clock.advance(wait);
    store
        .unlock(&profile, &pin("246810"))
        .expect("the wait ran out and the right PIN unlocks");
    assert!(!record.exists(), "a correct PIN clears the record");
}

#[test]
fn unlocks_running_side_by_side_take_turns_and_each_wrong_pin_counts() {
    let dir = temp_dir();
    let clock = ManualClock::new();
    let profile = Profile::default();
    store(dir.path(), &clock)
        .create(&profile, &pin("246810"), Overwrite::Refuse)
        .expect("creates");
    // Twelve processes' worth of stores guessing at once, at one instant: only the free
    // attempts are tried; every other one waits its turn and finds the profile locked.
    let free = BackoffPolicy::default().free_attempts;
    let results: Vec<Result<Identity, StoreError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|guess| {
                let store = store(dir.path(), &clock);
                let profile = profile.clone();
                scope.spawn(move || store.unlock(&profile, &pin(&format!("9{guess:05}"))))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("no panic"))
            .collect()
    });
    let tried = results
        .iter()
        .filter(|result| matches!(result, Err(StoreError::WrongPin { .. })))
        .count();
    let held = results
        .iter()
        .filter(|result| matches!(result, Err(StoreError::LockedOut { .. })))
        .count();
    assert_eq!(
        (tried, held),
        (free as usize, 12 - free as usize),
        "{results:?}"
    );
    assert_eq!(
        store(dir.path(), &clock)
            .lockout(&profile)
            .map(|(failures, _)| failures)
            .ok(),
        Some(free)
    );
}

#[test]
fn damaged_key_files_are_named_as_damaged_and_not_counted_as_wrong_pins() {
    let dir = temp_dir();
    let clock = ManualClock::new();
    let store = store(dir.path(), &clock);
    let profile = Profile::default();
    store
        .create(&profile, &pin("246810"), Overwrite::Refuse)
        .expect("creates");
    let path = store.key_path(&profile);
    let original = std::fs::read(&path).expect("the key file");

    let damages: Vec<(&str, Vec<u8>, Damage)> = vec![
        (
            "truncated",
            original[..100].to_vec(),
            Damage::Length { found: 100 },
        ),
        ("empty", Vec::new(), Damage::Length { found: 0 }),
        (
            "not a key file",
            b"{\"not\": \"a key\"}".to_vec(),
            Damage::Magic,
        ),
        (
            "a newer format",
            {
                let mut bytes = original.clone();
                bytes[8] = 2;
                bytes
            },
            Damage::Version { found: 2 },
        ),
        (
            "a flipped ciphertext bit",
            {
                let mut bytes = original.clone();
                bytes[120] ^= 0x01;
                bytes
            },
            Damage::Checksum,
        ),
        (
            "a flipped salt bit",
            {
                let mut bytes = original.clone();
                bytes[30] ^= 0x80;
                bytes
            },
            Damage::Checksum,
        ),
    ];
    for (what, bytes, expected) in damages {
        std::fs::write(&path, &bytes).expect("writes");
        let error = store.unlock(&profile, &pin("246810")).expect_err(what);
        match &error {
            StoreError::Corrupt {
                path: named,
                damage,
            } => {
                assert_eq!(damage, &expected, "{what}");
                assert_eq!(named, &path, "{what}");
            }
            other => panic!("{what}: expected Corrupt, got {other:?}"),
        }
        assert!(error.to_string().contains("default.key"), "{error}");
    }
    assert_eq!(store.lockout(&profile).ok(), Some((0, Duration::ZERO)));

    std::fs::write(&path, &original).expect("restores");
    assert!(store.unlock(&profile, &pin("246810")).is_ok());
}

#[test]
fn an_existing_profile_is_only_replaced_when_asked() {
    let dir = temp_dir();
    let clock = ManualClock::new();
    let store = store(dir.path(), &clock);
    let profile = Profile::new("work").expect("a valid name");
    let first = store
        .create(&profile, &pin("246810"), Overwrite::Refuse)
        .expect("creates");
    let error = store
        .create(&profile, &pin("135790"), Overwrite::Refuse)
        .expect_err("refuses to overwrite");
    assert!(
        matches!(error, StoreError::AlreadyExists { .. }),
        "{error:?}"
    );
    assert_eq!(store.did(&profile).ok(), Some(first.did()));

    let second = store
        .create(&profile, &pin("135790"), Overwrite::Allow)
        .expect("overwrites when asked");
    assert_ne!(second.did(), first.did());
    assert_eq!(
        store.unlock(&profile, &pin("135790")).map(|i| i.did()).ok(),
        Some(second.did())
    );
}

#[test]
fn a_missing_profile_says_so() {
    let dir = temp_dir();
    let clock = ManualClock::new();
    let store = store(dir.path(), &clock);
    let profile = Profile::new("nobody").expect("a valid name");
    assert!(matches!(
        store.unlock(&profile, &pin("246810")),
        Err(StoreError::NoKey { .. })
    ));
    assert!(matches!(store.did(&profile), Err(StoreError::NoKey { .. })));
}

#[test]
fn a_backup_round_trips_under_its_own_passphrase() {
    let home = temp_dir();
    let elsewhere = temp_dir();
    let clock = ManualClock::new();
    let store = store(&home.path().join("identity"), &clock);
    let profile = Profile::default();
    let identity = store
        .create(&profile, &pin("246810"), Overwrite::Refuse)
        .expect("creates");
    let backup = elsewhere.path().join("agora-backup.key");
    let passphrase = pin("a long backup passphrase");

    let exported = store
        .export_backup(
            &profile,
            &pin("246810"),
            &backup,
            &passphrase,
            Overwrite::Refuse,
        )
        .expect("exports");
    assert_eq!(exported, identity.did());
    // A backup costs more to guess at than the device's key: four times the memory, one more
    // pass (the device's are this test's tiny 8 KiB and 1 pass).
    let sealed = format::parse(&std::fs::read(&backup).expect("reads")).expect("a key file");
    assert_eq!(
        (sealed.kdf().memory_kib(), sealed.kdf().iterations()),
        (32, 2)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup)
            .expect("the backup exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The profile's PIN does not open the backup.
    assert!(matches!(
        agora_identity::keystore::open_backup(&backup, &pin("246810")),
        Err(StoreError::WrongBackupPassphrase { .. })
    ));
    // Exporting again does not silently replace the backup.
    assert!(matches!(
        store.export_backup(
            &profile,
            &pin("246810"),
            &backup,
            &passphrase,
            Overwrite::Refuse
        ),
        Err(StoreError::AlreadyExists { .. })
    ));

    // On another device: import with the passphrase, protect with a new PIN.
    let other_home = temp_dir();
    let other = self::store(other_home.path(), &clock);
    let wrong = other.import_backup(
        &profile,
        &backup,
        &pin("not the passphrase"),
        &pin("112233"),
        Overwrite::Refuse,
    );
    assert!(
        matches!(wrong, Err(StoreError::WrongBackupPassphrase { .. })),
        "{wrong:?}"
    );
    assert!(!other.exists(&profile));
    let imported = other
        .import_backup(
            &profile,
            &backup,
            &passphrase,
            &pin("112233"),
            Overwrite::Refuse,
        )
        .expect("imports");
    assert_eq!(imported, identity.did());
    let unlocked = other.unlock(&profile, &pin("112233")).expect("unlocks");
    assert_eq!(
        unlocked.signing_key().to_bytes(),
        identity.signing_key().to_bytes()
    );
}

#[test]
fn a_secret_multikey_imports_as_a_profile() {
    let dir = temp_dir();
    let clock = ManualClock::new();
    let store = store(dir.path(), &clock);
    let profile = Profile::default();
    // The W3C eddsa-jcs-2022 test vector's key pair.
    let did = store
        .import_multikey(
            &profile,
            "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq",
            &pin("246810"),
            Overwrite::Refuse,
        )
        .expect("imports");
    let expected: DidKey = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        .parse()
        .expect("the vector's did");
    assert_eq!(did, expected);
    assert_eq!(
        store.unlock(&profile, &pin("246810")).map(|i| i.did()).ok(),
        Some(expected)
    );

    let error = store
        .import_multikey(
            &Profile::new("bad").expect("a valid name"),
            "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
            &pin("246810"),
            Overwrite::Refuse,
        )
        .expect_err("a public key is not a secret key");
    assert!(
        matches!(
            error,
            StoreError::Multikey(MultikeyError::UnsupportedCodec { .. })
        ),
        "{error:?}"
    );
}

#[test]
fn raising_the_kdf_parameters_re_encrypts_at_the_next_unlock() {
    let dir = temp_dir();
    let clock = ManualClock::new();
    let profile = Profile::default();
    store(dir.path(), &clock)
        .create(&profile, &pin("246810"), Overwrite::Refuse)
        .expect("creates");
    let memory = |store: &KeyStore| {
        let bytes = std::fs::read(store.key_path(&profile)).expect("the key file");
        u32::from_le_bytes([bytes[10], bytes[11], bytes[12], bytes[13]])
    };
    assert_eq!(memory(&store(dir.path(), &clock)), 8);

    let stronger = KeyStore::new(dir.path())
        .with_kdf_params(KdfParams::OWASP_MINIMUM)
        .with_clock(clock.clone());
    let identity = stronger.unlock(&profile, &pin("246810")).expect("unlocks");
    assert_eq!(memory(&stronger), KdfParams::OWASP_MINIMUM.memory_kib());
    assert_eq!(
        stronger
            .unlock(&profile, &pin("246810"))
            .map(|i| i.did())
            .ok(),
        Some(identity.did())
    );
}

#[test]
fn a_backup_passphrase_that_is_easy_to_guess_is_refused() {
    let home = temp_dir();
    let clock = ManualClock::new();
    let store = store(&home.path().join("identity"), &clock);
    let profile = Profile::default();
    let long_pin = "my long device pin";
    store
        .create(&profile, &pin(long_pin), Overwrite::Refuse)
        .expect("creates");
    let backup = home.path().join("backup.key");
    for (passphrase, says) in [
        ("backup1", "at least 12"),
        ("aaaaaaaaaaaaaaaa", "too few characters"),
        (long_pin, "the profile's PIN"),
    ] {
        match store.export_backup(
            &profile,
            &pin(long_pin),
            &backup,
            &pin(passphrase),
            Overwrite::Refuse,
        ) {
            Err(StoreError::WeakPassphrase { problem }) => {
                assert!(problem.contains(says), "{passphrase}: {problem}");
            }
            other => panic!("{passphrase:?} was taken for a backup: {other:?}"),
        }
        assert!(
            !backup.exists(),
            "a backup was written under {passphrase:?}"
        );
    }
    store
        .export_backup(
            &profile,
            &pin(long_pin),
            &backup,
            &pin("three random words"),
            Overwrite::Refuse,
        )
        .expect("a good passphrase");
}

#[test]
fn a_key_file_that_demands_too_much_argon2_is_refused_before_it_runs() {
    let home = temp_dir();
    let clock = ManualClock::new();
    let store = store(home.path(), &clock);
    let profile = Profile::default();
    store
        .create(&profile, &pin("246810"), Overwrite::Refuse)
        .expect("creates");
    let genuine = std::fs::read(store.key_path(&profile)).expect("the key file");
    // The same file with other parameters, its checksum made to match again, as a hostile
    // sender would.
    let with = |memory_kib: u32, iterations: u32, lanes: u32| {
        let mut bytes = genuine.clone();
        bytes[10..14].copy_from_slice(&memory_kib.to_le_bytes());
        bytes[14..18].copy_from_slice(&iterations.to_le_bytes());
        bytes[18..22].copy_from_slice(&lanes.to_le_bytes());
        let checksum = Sha256::digest(&bytes[..142]);
        bytes[142..174].copy_from_slice(&checksum);
        bytes
    };
    let gib = 1024 * 1024;
    for (memory_kib, iterations, lanes) in [
        (2 * gib, 16, 16),
        (2 * gib, 1, 1),
        (gib, 8, 1),
        (gib / 2, 9, 1),
        (64 * 1024, 3, 9),
    ] {
        let hostile = home.path().join("hostile.key");
        std::fs::write(&hostile, with(memory_kib, iterations, lanes)).expect("written");
        match agora_identity::keystore::open_backup(&hostile, &pin("anything at all")) {
            Err(StoreError::Corrupt {
                damage: Damage::KdfParams { .. },
                ..
            }) => {}
            other => panic!("{memory_kib} KiB × {iterations} was not refused: {other:?}"),
        }
    }
    // The most a file may ask for still reads (it is not run here).
    for (memory_kib, iterations) in [(gib, 4), (gib / 2, 8)] {
        assert!(
            format::parse(&with(memory_kib, iterations, 8)).is_ok(),
            "{memory_kib} KiB × {iterations}"
        );
    }
    let error = format::parse(&with(2 * gib, 16, 16))
        .expect_err("refused")
        .to_string();
    assert!(error.contains("at most 1 GiB"), "{error}");
}

#[test]
fn production_parameters_meet_owasp() {
    let recommended = KdfParams::default();
    assert!(recommended.memory_kib() >= 19 * 1024);
    assert!(recommended.iterations() >= 2);
    assert!(recommended.parallelism() >= 1);
    assert!(KdfParams::new(8, 1, 1).is_err());
}

#[test]
fn short_pins_are_refused_before_anything_is_tried() {
    assert_eq!(Pin::new(String::new()).err(), Some(PinError::Empty));
    let error = Pin::new("1234".to_owned()).err();
    assert_eq!(error, Some(PinError::TooShort { found: 4 }));
    assert!(
        error
            .map(|e| e.to_string())
            .is_some_and(|message| message.contains(&MIN_PIN_CHARS.to_string()))
    );
    assert_eq!(format!("{:?}", pin("246810")), "Pin(…)");
}

#[test]
fn ephemeral_identities_are_distinct_and_sign() {
    let first = Identity::generate().expect("randomness");
    let second = Identity::generate().expect("randomness");
    assert_ne!(first.did(), second.did());
    let document = first
        .sign(&json!({"visit": "kiosk"}), &ProofOptions::assertion())
        .expect("signs");
    assert_eq!(
        proof::verify(&document, &VerifyOptions::assertion())
            .map(|v| v.signer)
            .ok(),
        Some(first.did())
    );
}

#[test]
fn agora_home_overrides_the_platform_data_directory() {
    let home = resolve_home(Some(OsStr::new("/srv/agora-test"))).expect("a home");
    assert_eq!(home, Path::new("/srv/agora-test"));
    // Empty counts as unset.
    if let Ok(default) = resolve_home(Some(OsStr::new(""))) {
        assert!(default.ends_with("agora"), "{}", default.display());
    }
    if let Ok(default) = resolve_home(None) {
        assert!(default.ends_with("agora"), "{}", default.display());
    }
}

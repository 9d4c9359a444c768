//! Leaving kiosk mode: the operator presses Ctrl+Alt+O, then gives their PIN on the pad the
//! overlay shows. The configuration holds the PIN only as an Argon2id hash; checking it runs
//! off the frame. Wrong PINs are slowed as a citizen's are (three free, then 30 s, doubling,
//! up to an hour), and the count survives a restart (`operator-attempts` in the data
//! directory), so that pulling the plug does not reset it.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use agora_identity::keystore::BackoffPolicy;
use agora_identity::keystore::backoff::Attempts;
use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, block_on, futures_lite::future};
use zeroize::Zeroizing;

use super::Kiosk;
use crate::AppSystems;

/// The file that keeps the wrong operator PINs in a row.
pub const ATTEMPTS_FILE: &str = "operator-attempts";

/// The operator's way out.
#[derive(Resource, Default)]
pub struct Operator {
    /// Whether the PIN pad shows.
    pub asking: bool,
    /// The PIN as typed on the pad (zeroed when sent or put away).
    pub pin: Zeroizing<String>,
    /// What the pad says under the digits: a refusal or the wait.
    pub note: Option<OperatorNote>,
    checking: Option<Task<bool>>,
}

/// What the operator is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorNote {
    /// Checking the PIN.
    Checking,
    /// That was not the PIN.
    Wrong,
    /// Too many wrong PINs: wait this long.
    Wait(Duration),
}

/// The operator asks to leave with this PIN.
#[derive(Message)]
pub struct OperatorPin(pub Zeroizing<String>);

/// Adds this feature to the app.
pub fn plugin(app: &mut App) {
    app.init_resource::<Operator>()
        .add_message::<OperatorPin>()
        .add_systems(
            Update,
            (check_pin, hear_check).chain().in_set(AppSystems::Update),
        );
}

/// The policy for wrong operator PINs: the citizen's.
pub fn policy() -> BackoffPolicy {
    BackoffPolicy::default()
}

fn attempts_path(kiosk: &Kiosk) -> PathBuf {
    kiosk.home.join(ATTEMPTS_FILE)
}

fn read_attempts(kiosk: &Kiosk) -> Attempts {
    std::fs::read_to_string(attempts_path(kiosk))
        .map(|text| Attempts::parse(&text, &policy(), SystemTime::now()))
        .unwrap_or_default()
}

/// Ctrl+Alt+O opens the PIN pad; Esc puts it away.
pub fn watch_keys(keys: Res<ButtonInput<KeyCode>>, mut operator: ResMut<Operator>) {
    let ctrl = keys.any_pressed([KeyCode::ControlLeft, KeyCode::ControlRight]);
    let alt = keys.any_pressed([KeyCode::AltLeft, KeyCode::AltRight]);
    if ctrl && alt && keys.just_pressed(KeyCode::KeyO) {
        operator.asking = true;
        operator.note = None;
    }
    if operator.asking && keys.just_pressed(KeyCode::Escape) {
        put_away(&mut operator);
    }
}

/// Closes the pad, wiping what was typed.
pub fn put_away(operator: &mut Operator) {
    zeroize::Zeroize::zeroize(&mut *operator.pin);
    operator.asking = false;
    operator.note = None;
}

fn check_pin(
    mut pins: MessageReader<OperatorPin>,
    kiosk: Res<Kiosk>,
    mut operator: ResMut<Operator>,
) {
    for OperatorPin(pin) in pins.read() {
        if operator.checking.is_some() {
            continue;
        }
        let wait = read_attempts(&kiosk).remaining_wait(&policy(), SystemTime::now());
        if !wait.is_zero() {
            operator.note = Some(OperatorNote::Wait(wait));
            continue;
        }
        let config = kiosk.config.clone();
        let pin = pin.clone();
        operator.note = Some(OperatorNote::Checking);
        operator.checking = Some(
            AsyncComputeTaskPool::get().spawn(async move { config.operator_pin_matches(&pin) }),
        );
    }
}

fn hear_check(kiosk: Res<Kiosk>, mut operator: ResMut<Operator>, mut exit: MessageWriter<AppExit>) {
    let Some(task) = operator.checking.as_mut() else {
        return;
    };
    let Some(matched) = block_on(future::poll_once(task)) else {
        return;
    };
    operator.checking = None;
    let path = attempts_path(&kiosk);
    if matched {
        let _ = std::fs::remove_file(&path);
        info!("kiosk: the operator left kiosk mode");
        put_away(&mut operator);
        exit.write(AppExit::Success);
        return;
    }
    let attempts = read_attempts(&kiosk).failed(SystemTime::now());
    if let Err(error) = agora_identity::keystore::files::write_private(
        &path,
        attempts.to_text().as_bytes(),
        agora_identity::keystore::files::Replace::Allowed,
    ) {
        warn!(
            "kiosk: cannot keep the count of wrong operator PINs in {}: {error}",
            path.display()
        );
    }
    warn!(
        "kiosk: a wrong operator PIN ({} in a row)",
        attempts.failures
    );
    zeroize::Zeroize::zeroize(&mut *operator.pin);
    let wait = attempts.remaining_wait(&policy(), SystemTime::now());
    operator.note = Some(if wait.is_zero() {
        OperatorNote::Wrong
    } else {
        OperatorNote::Wait(wait)
    });
}

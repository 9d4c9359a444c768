//! The kiosk's configuration file (`--kiosk-config FILE`, else `kiosk.json` in the data
//! directory): the hall, its ledger, the operator's PIN as an Argon2id hash, the idle timeout,
//! the first language, the monitor and the screen's width.
//!
//! ```json
//! {
//!   "hall": { "en": "Civic Centre Service Hall", "zh-CN": "市民中心服务大厅" },
//!   "ledger": "evm:https://ledger.city.example",
//!   "operator_pin": "$argon2id$v=19$m=19456,t=2,p=1$…",
//!   "idle_timeout_s": 120,
//!   "countdown_s": 30,
//!   "language": "zh-CN",
//!   "monitor": 0,
//!   "screen_width_mm": 527
//! }
//! ```
//!
//! `agora kiosk pin-hash` makes the `operator_pin` value. Only `hall` and `operator_pin` are
//! required. A file with a mistake is refused with the field named.

use std::path::{Path, PathBuf};
use std::time::Duration;

use agora_gateway::LedgerSpec;
use agora_services::Text;
use argon2::{Argon2, PasswordHash, PasswordHasher as _, PasswordVerifier as _};
use serde::Deserialize;

use crate::lang::Lang;

/// The configuration file's name in the kiosk's data directory.
pub const CONFIG_FILE: &str = "kiosk.json";

/// A kiosk's configuration, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct KioskConfig {
    /// The hall's name, shown on the attract screen.
    pub hall: Text,
    /// The ledger visits submit to.
    pub ledger: LedgerSpec,
    /// The operator's PIN, as an Argon2id PHC string.
    pub operator_pin: String,
    /// How long without a touch before the visit ends.
    pub idle_timeout: Duration,
    /// How long before the end the visitor is asked whether they are still there.
    pub countdown: Duration,
    /// The language the attract screen speaks first.
    pub language: Lang,
    /// Which monitor the kiosk fills (0 is the first).
    pub monitor: usize,
    /// The screen's visible width in millimetres, for touch targets of at least 9 mm.
    pub screen_width_mm: f32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    hall: Text,
    #[serde(default)]
    ledger: Option<String>,
    operator_pin: String,
    #[serde(default)]
    idle_timeout_s: Option<u64>,
    #[serde(default)]
    countdown_s: Option<u64>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    monitor: Option<usize>,
    #[serde(default)]
    screen_width_mm: Option<f32>,
}

/// The smallest touch target, in millimetres (WCAG 2.2's 24 CSS px is about 6.4 mm; public
/// touch screens use 9 mm or more).
pub const MIN_TARGET_MM: f32 = 9.0;

impl KioskConfig {
    /// Reads and checks `path`; every problem names the file and the field.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|error| {
            format!(
                "the kiosk configuration {} cannot be read: {error}",
                path.display()
            )
        })?;
        Self::parse(&text).map_err(|problem| format!("{}: {problem}", path.display()))
    }

    /// Checks a configuration's text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let field = |name: &str, problem: String| format!("`{name}`: {problem}");
        if file.hall.en.trim().is_empty() || file.hall.zh_cn.trim().is_empty() {
            return Err(field(
                "hall",
                "the hall's name is needed in both languages".into(),
            ));
        }
        let ledger = match &file.ledger {
            None => LedgerSpec::Local,
            Some(spec) => LedgerSpec::parse(spec).map_err(|e| field("ledger", e))?,
        };
        check_hash(&file.operator_pin).map_err(|e| field("operator_pin", e))?;
        let idle = file.idle_timeout_s.unwrap_or(120);
        if !(30..=3600).contains(&idle) {
            return Err(field(
                "idle_timeout_s",
                format!("{idle} s: between 30 and 3600 seconds"),
            ));
        }
        let countdown = file.countdown_s.unwrap_or(30);
        if countdown < 5 || countdown >= idle {
            return Err(field(
                "countdown_s",
                format!("{countdown} s: at least 5 seconds and less than idle_timeout_s ({idle})"),
            ));
        }
        let language = match file.language.as_deref() {
            None => Lang::En,
            Some(tag) => Lang::from_tag(tag)
                .ok_or_else(|| field("language", format!("{tag:?}: use en or zh-CN")))?,
        };
        let width = file.screen_width_mm.unwrap_or(527.0);
        if !(100.0..=5000.0).contains(&width) {
            return Err(field(
                "screen_width_mm",
                format!("{width} mm: the screen's visible width, between 100 and 5000 mm"),
            ));
        }
        Ok(Self {
            hall: file.hall,
            ledger,
            operator_pin: file.operator_pin,
            idle_timeout: Duration::from_secs(idle),
            countdown: Duration::from_secs(countdown),
            language,
            monitor: file.monitor.unwrap_or(0),
            screen_width_mm: width,
        })
    }

    /// The configuration file a kiosk reads: `--kiosk-config`, else `kiosk.json` in `home`.
    pub fn path(flag: Option<&Path>, home: &Path) -> PathBuf {
        flag.map_or_else(|| home.join(CONFIG_FILE), Path::to_owned)
    }

    /// Whether `pin` is the operator's (Argon2id: takes a moment; never on a frame).
    pub fn operator_pin_matches(&self, pin: &str) -> bool {
        Argon2::default()
            .verify_password(pin.as_bytes(), self.operator_pin.as_str())
            .is_ok()
    }
}

/// The configuration a picture of the kiosk (`--screenshot` with `--mode kiosk`) uses when
/// none is given: a demo hall whose operator PIN is locked (no PIN matches its hash).
pub fn example() -> KioskConfig {
    KioskConfig {
        hall: Text::new(
            crate::lang::text(Lang::En, "kiosk-example-hall"),
            crate::lang::text(Lang::ZhCn, "kiosk-example-hall"),
        ),
        ledger: LedgerSpec::Local,
        // A valid Argon2id hash of 32 random bytes that nobody kept.
        operator_pin: "$argon2id$v=19$m=19456,t=2,p=1$bG9ja2VkLWV4YW1wbGU$Q0nH3M9vqVNmGJg7I3m3cVxWq2Vt6d0p0t3q8o4mJ8c".to_owned(),
        idle_timeout: Duration::from_secs(120),
        countdown: Duration::from_secs(30),
        language: Lang::En,
        monitor: 0,
        screen_width_mm: 527.0,
    }
}

fn check_hash(phc: &str) -> Result<(), String> {
    let hash = PasswordHash::new(phc)
        .map_err(|e| format!("not a PHC string ({e}); make one with `agora kiosk pin-hash`"))?;
    if hash.algorithm.as_str() != "argon2id" {
        return Err(format!(
            "the hash is {}, and the operator's PIN must be hashed with argon2id (`agora kiosk pin-hash`)",
            hash.algorithm.as_str()
        ));
    }
    if hash.salt.is_none() || hash.hash.is_none() {
        return Err("the hash has no salt or no output".to_owned());
    }
    Ok(())
}

/// An operator PIN's Argon2id hash as a PHC string, with a fresh salt and Argon2's default
/// (OWASP) cost.
pub fn hash_pin(pin: &str) -> Result<String, String> {
    if pin.chars().count() < 6 {
        return Err("an operator PIN has at least 6 characters".to_owned());
    }
    Argon2::default()
        .hash_password(pin.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(hash: &str, extra: &str) -> String {
        format!(
            r#"{{"hall": {{"en": "Civic Centre", "zh-CN": "市民中心"}}, "operator_pin": "{hash}"{extra}}}"#
        )
    }

    #[test]
    fn a_good_file_reads_and_the_pin_checks() {
        let hash = hash_pin("246810").expect("hashes");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        let config = KioskConfig::parse(&with(&hash, r#", "language": "zh-CN""#)).expect("reads");
        assert_eq!(config.idle_timeout, Duration::from_secs(120));
        assert_eq!(config.countdown, Duration::from_secs(30));
        assert_eq!(config.language, Lang::ZhCn);
        assert!(config.operator_pin_matches("246810"));
        assert!(!config.operator_pin_matches("246811"));
    }

    #[test]
    fn every_mistake_names_its_field() {
        let hash = hash_pin("246810").expect("hashes");
        for (text, named) in [
            (with("plain-text-pin", ""), "`operator_pin`"),
            (
                with(
                    "$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$8Y1JT1eGHfkSMAZ5iBzV1g",
                    "",
                ),
                "argon2id",
            ),
            (with(&hash, r#", "idle_timeout_s": 5"#), "`idle_timeout_s`"),
            (with(&hash, r#", "countdown_s": 200"#), "`countdown_s`"),
            (with(&hash, r#", "language": "fr""#), "`language`"),
            (with(&hash, r#", "ledger": "ftp://x""#), "`ledger`"),
            (
                with(&hash, r#", "screen_width_mm": 2"#),
                "`screen_width_mm`",
            ),
            (with(&hash, r#", "colour": "blue""#), "`colour`"),
            (
                r#"{"hall": {"en": "Civic Centre", "zh-CN": "市民中心"}}"#.to_owned(),
                "`operator_pin`",
            ),
        ] {
            let problem = KioskConfig::parse(&text).expect_err(&text);
            assert!(problem.contains(named), "{named} not in: {problem}");
        }
    }
}

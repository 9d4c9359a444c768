//! `agora kiosk pin-hash | check`: the kiosk configuration's operator PIN, and a check of the
//! whole file.

use std::path::Path;

use super::{CommandError, PinSource};
use crate::kiosk::KioskConfig;
use crate::kiosk::config::hash_pin;

/// `agora kiosk pin-hash`: the Argon2id PHC string of a new operator PIN (asked twice on a
/// terminal), for the configuration's `operator_pin`.
pub fn pin_hash(pins: &PinSource) -> Result<String, CommandError> {
    let pin = pins.read_text("New operator PIN: ")?;
    if let PinSource::Terminal = pins
        && *pins.read_text("Type it again: ")? != *pin
    {
        return Err(CommandError::input("the two entries differ"));
    }
    hash_pin(&pin).map_err(CommandError::input)
}

/// `agora kiosk check FILE`: reads the configuration as the kiosk would.
pub fn check(file: &Path) -> Result<String, CommandError> {
    let config = KioskConfig::load(file).map_err(CommandError::input)?;
    Ok(format!(
        "{}: a kiosk of {} / {}, ledger {:?}, idle timeout {} s (countdown {} s), first language {}, monitor {}, screen {} mm wide",
        file.display(),
        config.hall.en,
        config.hall.zh_cn,
        config.ledger,
        config.idle_timeout.as_secs(),
        config.countdown.as_secs(),
        config.language.tag(),
        config.monitor,
        config.screen_width_mm
    ))
}

//! Where PINs and passphrases come from: the terminal, without echo, or standard input, one a
//! line, with `--pin-stdin` (for scripts and tests).

use std::io::BufRead;

use agora_identity::Pin;
use zeroize::Zeroizing;

use super::CommandError;

/// Reads PINs and passphrases.
pub enum PinSource {
    /// Ask on the terminal, without echoing what is typed.
    Terminal,
    /// Read one line of standard input per PIN.
    Stdin,
}

impl PinSource {
    /// Reads one PIN, showing `prompt` on the terminal.
    pub fn read(&self, prompt: &str) -> Result<Pin, CommandError> {
        let text = self.read_text(prompt)?;
        Pin::new(text.to_string()).map_err(|error| CommandError::input(error.to_string()))
    }

    /// Reads a new PIN; on a terminal it is asked twice and must match.
    pub fn read_new(&self, prompt: &str) -> Result<Pin, CommandError> {
        let text = self.read_text(prompt)?;
        if let PinSource::Terminal = self
            && *self.read_text("Type it again: ")? != *text
        {
            return Err(CommandError::input(
                "the two entries differ; nothing was changed",
            ));
        }
        Pin::new(text.to_string()).map_err(|error| CommandError::input(error.to_string()))
    }

    /// Reads one secret as text (for what is not a key store's PIN, such as a kiosk operator's).
    pub fn read_text(&self, prompt: &str) -> Result<Zeroizing<String>, CommandError> {
        let text = match self {
            PinSource::Terminal => rpassword::prompt_password(prompt).map_err(|error| {
                CommandError::input(format!(
                    "cannot ask for the PIN on a terminal ({error}); pass --pin-stdin and give \
                     it on standard input instead"
                ))
            })?,
            PinSource::Stdin => {
                let mut line = String::new();
                let read = std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .map_err(|e| CommandError::input(format!("cannot read standard input: {e}")))?;
                if read == 0 {
                    return Err(CommandError::input(format!(
                        "standard input ended before the {} was given",
                        prompt.trim_end_matches([':', ' ']).to_lowercase()
                    )));
                }
                let line = Zeroizing::new(line);
                line.trim_end_matches(['\r', '\n']).to_owned()
            }
        };
        Ok(Zeroizing::new(text))
    }
}

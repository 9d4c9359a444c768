//! The citizen's settings, one file per profile (`settings.ron` in the data directory): the
//! language, the panel's contrast, the headset's comfort, and sound and captions. Every field has a default, so a
//! file names only what it changes; a broken file is named, left as it is, and the defaults
//! used. A kiosk keeps no file: a visitor's choices last for their visit.
//!
//! ```ron
//! (
//!     language: Some("zh-CN"),
//!     contrast: High,
//!     text_scale: 1.5,
//!     reduced_motion: true,
//!     comfort: (snap_turn_degrees: 45, posture: Seated(raise: 0.45)),
//!     sound: (volume: 0.6, ambience: 0.5, cues: 1.0, captions: Some(true), caption_size: Some(1.5)),
//! )
//! ```

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use crate::lang::Lang;
use crate::panel::theme::Contrast;
use crate::sound::SoundSettings;
use crate::xr::comfort::ComfortSettings;

/// The settings file's name in the data directory.
pub const SETTINGS_FILE: &str = "settings.ron";

/// Where the headset's comfort settings were kept before they joined this file; read when
/// there is no settings file yet, so nothing set before is lost.
pub const OLD_COMFORT_FILE: &str = "comfort.ron";

/// Everything the citizen sets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The interface's language (`"en"` or `"zh-CN"`); `None` until the citizen chooses.
    #[serde(with = "language")]
    pub language: Option<Lang>,
    /// The panel's theme.
    pub contrast: Contrast,
    /// How large the panel's text (and everything on it) is: 1 (100 %) to 2 (200 %).
    pub text_scale: f32,
    /// No smooth motion anywhere: the kiosk's view jumps to a booth, a headset only teleports
    /// (no gliding, no vignette), panels neither animate nor scroll smoothly.
    pub reduced_motion: bool,
    /// How the citizen moves and stands in a headset.
    pub comfort: ComfortSettings,
    /// Volumes and captions.
    pub sound: SoundSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            language: None,
            contrast: Contrast::default(),
            text_scale: 1.0,
            reduced_motion: false,
            comfort: ComfortSettings::default(),
            sound: SoundSettings::default(),
        }
    }
}

/// The text scales the Settings tab offers.
pub const TEXT_SCALES: [f32; 5] = [1.0, 1.25, 1.5, 1.75, 2.0];

mod language {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::lang::Lang;

    pub fn serialize<S: Serializer>(lang: &Option<Lang>, s: S) -> Result<S::Ok, S::Error> {
        match lang {
            Some(lang) => s.serialize_some(lang.tag()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Lang>, D::Error> {
        let tag: Option<String> = Option::deserialize(d)?;
        tag.map(|tag| {
            Lang::from_tag(&tag).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "language {tag:?} is not one Agora speaks: use \"en\" or \"zh-CN\""
                ))
            })
        })
        .transpose()
    }
}

/// A settings file that could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file exists but could not be read.
    #[error("cannot read the settings {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid settings.
    #[error("the settings {path} are not valid: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
    /// The file could not be written.
    #[error("cannot save the settings to {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Reads `path`, `None` when there is no such file.
fn read(path: &Path) -> Result<Option<String>, SettingsError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SettingsError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

fn parse<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, SettingsError> {
    ron::from_str(text).map_err(|error| SettingsError::Invalid {
        path: path.to_owned(),
        message: error.to_string(),
    })
}

impl Settings {
    /// Reads the settings from `path`; no file is the defaults, with the comfort settings of
    /// an older `comfort.ron` beside it if there is one.
    pub fn load(path: &Path) -> Result<Self, SettingsError> {
        let settings = match read(path)? {
            Some(text) => parse::<Self>(path, &text)?,
            None => {
                let old = path.with_file_name(OLD_COMFORT_FILE);
                match read(&old)? {
                    Some(text) => Self {
                        comfort: parse(&old, &text)?,
                        ..Self::default()
                    },
                    None => Self::default(),
                }
            }
        };
        if !(1.0..=2.0).contains(&settings.text_scale) {
            return Err(SettingsError::Invalid {
                path: path.to_owned(),
                message: format!(
                    "text_scale is {}; use between 1 (100 %) and 2 (200 %)",
                    settings.text_scale
                ),
            });
        }
        settings
            .sound
            .check()
            .map_err(|message| SettingsError::Invalid {
                path: path.to_owned(),
                message: format!("sound: {message}"),
            })?;
        settings
            .comfort
            .check()
            .map_err(|message| SettingsError::Invalid {
                path: path.to_owned(),
                message: format!("comfort: {message}"),
            })?;
        Ok(settings)
    }

    /// Writes the settings to `path` (through a temporary file, so a crash never leaves half a
    /// file behind).
    pub fn save(&self, path: &Path) -> Result<(), SettingsError> {
        let write = |source| SettingsError::Write {
            path: path.to_owned(),
            source,
        };
        let text = ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::default())
            .expect("settings always serialize");
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(write)?;
        }
        let temporary = path.with_extension("ron.new");
        std::fs::write(&temporary, text + "\n").map_err(write)?;
        std::fs::rename(&temporary, path).map_err(write)
    }
}

/// The settings in force, the file they are kept in (none at a kiosk), and why the last change
/// could not be saved.
#[derive(Resource, Debug, Clone, Default)]
pub struct SettingsStore {
    /// In force.
    pub settings: Settings,
    /// Saved here when changed.
    pub file: Option<PathBuf>,
    /// The last save's failure.
    pub problem: Option<String>,
}

impl SettingsStore {
    /// The citizen's settings in the data directory `home`, or the defaults with a note when
    /// their file is broken (the file is left as it is, so nothing the citizen wrote is lost).
    pub fn open(home: &Path) -> Self {
        let file = home.join(SETTINGS_FILE);
        let (settings, problem) = match Settings::load(&file) {
            Ok(settings) => (settings, None),
            Err(error) => {
                let said = format!("{error}; using the default settings");
                eprintln!("agora: {said}");
                (Settings::default(), Some(said))
            }
        };
        Self {
            settings,
            file: Some(file),
            problem,
        }
    }

    /// Puts `settings` in force and saves them, remembering a failure to show it.
    pub fn change(&mut self, settings: Settings) {
        if settings == self.settings {
            return;
        }
        self.settings = settings;
        self.problem = self
            .file
            .as_deref()
            .and_then(|file| settings.save(file).err())
            .map(|error| error.to_string());
        if let Some(problem) = &self.problem {
            warn!("{problem}");
        }
    }
}

/// Keeps the settings and the app in step: a language chosen anywhere (the panel, the kiosk's
/// EN | 中文) is the settings' and the other way round, and so are the headset's comfort
/// settings (changed on the panel's Settings tab). The panel reads its look from the store.
/// What the app starts with (`--lang`) is not saved until the citizen changes something.
pub fn follow(
    mut started: Local<bool>,
    mut store: ResMut<SettingsStore>,
    mut lang: ResMut<Lang>,
    comfort: Option<ResMut<crate::xr::interaction::Comfort>>,
) {
    if !*started {
        *started = true;
    } else if lang.is_changed() && store.settings.language != Some(*lang) {
        let mut settings = store.settings;
        settings.language = Some(*lang);
        store.change(settings);
    } else if store.is_changed()
        && let Some(chosen) = store.settings.language
    {
        lang.set_if_neq(chosen);
    }
    if let Some(mut comfort) = comfort {
        if comfort.settings != store.settings.comfort {
            if comfort.is_changed() {
                let mut settings = store.settings;
                settings.comfort = comfort.settings;
                store.change(settings);
            } else {
                comfort.settings = store.settings.comfort;
            }
        }
        if comfort.reduced_motion != store.settings.reduced_motion {
            comfort.reduced_motion = store.settings.reduced_motion;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xr::comfort::Handedness;

    #[test]
    fn one_file_names_only_what_it_changes_and_bad_values_are_named() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join(SETTINGS_FILE);
        assert_eq!(
            Settings::load(&path).expect("no file is the defaults"),
            Settings::default()
        );
        std::fs::write(
            &path,
            "(language: Some(\"zh-CN\"), contrast: High, reduced_motion: true, comfort: \
             (snap_turn_degrees: 45, posture: Seated(raise: 0.45), handedness: Left))",
        )
        .expect("write");
        let settings = Settings::load(&path).expect("valid settings");
        assert_eq!(settings.language, Some(Lang::ZhCn));
        assert_eq!(settings.contrast, Contrast::High);
        assert!(settings.reduced_motion);
        assert_eq!(settings.comfort.snap_turn_degrees, 45.0);
        assert_eq!(settings.comfort.posture.raise(), 0.45);
        assert_eq!(settings.comfort.handedness, Handedness::Left);
        assert!(settings.comfort.teleport && !settings.comfort.smooth_locomotion);
        assert_eq!(settings.sound, SoundSettings::default());

        settings.save(&path).expect("saved");
        assert_eq!(Settings::load(&path).expect("read back"), settings);

        for (text, names) in [
            ("(comfort: (snap_turn_degrees: 400))", "snap_turn_degrees"),
            ("(comfort: (teleport: false))", "both off"),
            ("(comfort: (turn_speed: 3))", "turn_speed"),
            ("(comfort: (posture: Lying))", "Lying"),
            ("(contrast: Loud)", "Loud"),
            ("(text_scale: 3.0)", "text_scale"),
            ("(sound: (volume: 2.0))", "volume"),
            ("(sound: (cues: -0.5))", "cues"),
            ("(sound: (caption_size: Some(3.0)))", "caption_size"),
            ("(sound: (loudness: 1.0))", "loudness"),
            ("(language: Some(\"fr\"))", "\"fr\""),
            ("(font: 2)", "font"),
        ] {
            std::fs::write(&path, text).expect("write");
            let error = Settings::load(&path).expect_err(text).to_string();
            assert!(error.contains(names), "{text}: {error}");
            assert!(error.contains(SETTINGS_FILE), "{error}");
        }
    }

    #[test]
    fn sound_and_captions_are_read_with_the_rest() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join(SETTINGS_FILE);
        std::fs::write(
            &path,
            "(sound: (volume: 0.5, ambience: 0.25, muted: true, captions: Some(true), \
             caption_size: Some(1.5)))",
        )
        .expect("write");
        let sound = Settings::load(&path).expect("valid").sound;
        assert_eq!((sound.volume, sound.ambience, sound.cues), (0.5, 0.25, 0.8));
        assert!(sound.muted);
        assert_eq!(sound.captions, Some(true));
        assert_eq!(sound.caption_size, Some(1.5));
        assert_eq!(sound.level(crate::sound::Kind::Cue), 0.0, "muted");
    }

    #[test]
    fn comfort_kept_in_the_old_file_is_read_when_there_is_no_settings_file() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join(OLD_COMFORT_FILE), "(snap_turn_degrees: 60)")
            .expect("write");
        let settings = Settings::load(&dir.path().join(SETTINGS_FILE)).expect("read");
        assert_eq!(settings.comfort.snap_turn_degrees, 60.0);
        assert_eq!(settings.contrast, Contrast::Standard);
    }

    #[test]
    fn a_broken_file_is_named_kept_and_the_defaults_used() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join(SETTINGS_FILE);
        std::fs::write(&path, "(contrast: ").expect("write");
        let store = SettingsStore::open(dir.path());
        assert_eq!(store.settings, Settings::default());
        assert!(
            store
                .problem
                .as_deref()
                .is_some_and(|p| p.contains(SETTINGS_FILE)),
            "{:?}",
            store.problem
        );
        assert_eq!(
            std::fs::read_to_string(&path).expect("kept"),
            "(contrast: ",
            "the broken file is left for the citizen to mend"
        );
    }
}

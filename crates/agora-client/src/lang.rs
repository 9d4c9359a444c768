//! The citizen's language (`--lang en|zh-CN`), the client's words in it, and the font that can
//! write both.
//!
//! Every word the client shows is a Project Fluent message in
//! `assets/locales/<lang>/agora-client.ftl`, compiled in and checked once (see
//! [`agora_services::locale`]). Signs in the plaza are always bilingual; the language chosen
//! here is the one the interface speaks to the citizen in.

use std::sync::OnceLock;

use agora_services::locale::Locale;
use bevy::prelude::*;

use crate::scene::layout::TimeZone;
use crate::textures::REGULAR_FONT;

/// The language the interface speaks.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese.
    ZhCn,
}

impl Lang {
    /// Parses a BCP 47 tag as given on the command line.
    pub fn from_tag(tag: &str) -> Option<Self> {
        match tag.to_ascii_lowercase().as_str() {
            "en" | "en-gb" | "en-us" => Some(Lang::En),
            "zh-cn" | "zh-hans" | "zh" => Some(Lang::ZhCn),
            _ => None,
        }
    }

    /// Its BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The help line at the bottom of the desktop view.
    pub fn controls_hint(self, pointer_captured: bool) -> String {
        text(
            self,
            if pointer_captured {
                "controls-hint-captured"
            } else {
                "controls-hint"
            },
        )
    }
}

/// The client's Fluent files, compiled in.
pub const CLIENT_EN: &str = include_str!("../../../assets/locales/en/agora-client.ftl");
/// The Chinese one.
pub const CLIENT_ZH_CN: &str = include_str!("../../../assets/locales/zh-CN/agora-client.ftl");
/// How errors name them.
pub const CLIENT_NAME: &str = "assets/locales/*/agora-client.ftl";

/// The client's words. The tests hold the files to [`Locale::parse`]; were they ever
/// unreadable, every word would show as its message id.
pub fn locale() -> &'static Locale {
    static LOCALE: OnceLock<Locale> = OnceLock::new();
    LOCALE.get_or_init(|| {
        Locale::parse(CLIENT_NAME, CLIENT_EN, CLIENT_ZH_CN).unwrap_or_else(|error| {
            error!("{error}");
            Locale::empty(CLIENT_NAME)
        })
    })
}

/// Message `id` in `lang`.
pub fn text(lang: Lang, id: &str) -> String {
    locale().text(lang.into(), id)
}

/// Message `id` in `lang` with its variables.
pub fn format(lang: Lang, id: &str, args: &[(&str, &str)]) -> String {
    locale()
        .format(lang.into(), id, args)
        .unwrap_or_else(|| id.to_owned())
}

/// How much of a moment [`moment`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// `09:30`.
    Clock,
    /// `24 Nov`, `11月24日`.
    Day,
    /// `24 Nov 09:30`.
    DayClock,
    /// `24 Nov 2026, 09:30`, `2026年11月24日 09:30`.
    Full,
}

/// `at` in the city's time zone, written as `lang` writes a moment (the `time-*` messages: the
/// order of day, month and year, the month's name, the separators are the translator's).
pub fn moment(lang: Lang, at: time::OffsetDateTime, zone: TimeZone, how: Moment) -> String {
    use chrono::{Datelike as _, Timelike as _};
    let local = zone.local(at);
    let month = local.month().to_string();
    let month_name = format(lang, "time-month", &[("month", &month)]);
    let id = match how {
        Moment::Clock => "time-clock",
        Moment::Day => "time-day",
        Moment::DayClock => "time-day-clock",
        Moment::Full => "time-full",
    };
    format(
        lang,
        id,
        &[
            ("year", &local.year().to_string()),
            ("month-name", &month_name),
            ("day", &local.day().to_string()),
            ("hour", &format!("{:02}", local.hour())),
            ("minute", &format!("{:02}", local.minute())),
        ],
    )
}

/// Message `id` in both languages, English first, as the kiosk's attract screen shows them.
pub fn both(id: &str, between: &str) -> String {
    format!("{}{between}{}", text(Lang::En, id), text(Lang::ZhCn, id))
}

/// A struct of fixed words read from the client's Fluent files once per language: each field
/// is the message `<prefix>-<field with hyphens>`. `IDS` lists them for the tests.
macro_rules! words {
    ($(#[$meta:meta])* $name:ident, $prefix:literal, [$($field:ident),* $(,)?]) => {
        $(#[$meta])*
        #[derive(Debug)]
        #[allow(missing_docs)]
        pub struct $name {
            $(pub $field: &'static str,)*
        }

        impl $name {
            /// The message ids this struct reads.
            pub fn ids() -> Vec<String> {
                vec![$($crate::lang::message_id($prefix, stringify!($field)),)*]
            }

            /// The words for `lang`, read once and kept for the program's life.
            pub fn get(lang: $crate::lang::Lang) -> &'static $name {
                static WORDS: std::sync::OnceLock<[$name; 2]> = std::sync::OnceLock::new();
                let [en, zh] = WORDS.get_or_init(|| {
                    let read = |lang| $name {
                        $($field: $crate::lang::kept($crate::lang::text(
                            lang,
                            &$crate::lang::message_id($prefix, stringify!($field)),
                        )),)*
                    };
                    [read($crate::lang::Lang::En), read($crate::lang::Lang::ZhCn)]
                });
                match lang {
                    $crate::lang::Lang::En => en,
                    $crate::lang::Lang::ZhCn => zh,
                }
            }
        }
    };
}

/// `<prefix>-<field>` with the field's underscores as hyphens.
pub fn message_id(prefix: &str, field: &str) -> String {
    format!("{prefix}-{}", field.replace('_', "-"))
}

/// A word read once and kept for the program's life, so the panels borrow it freely.
pub fn kept(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

impl From<Lang> for agora_services::Lang {
    fn from(lang: Lang) -> Self {
        match lang {
            Lang::En => agora_services::Lang::En,
            Lang::ZhCn => agora_services::Lang::ZhCn,
        }
    }
}

impl From<agora_services::Lang> for Lang {
    fn from(lang: agora_services::Lang) -> Self {
        match lang {
            agora_services::Lang::En => Lang::En,
            agora_services::Lang::ZhCn => Lang::ZhCn,
        }
    }
}

/// The interface font, with Latin and Chinese glyphs.
#[derive(Resource, Debug, Clone)]
pub struct UiFont(pub Handle<Font>);

/// Adds this feature to the app.
pub fn plugin(app: &mut App) {
    app.init_resource::<Lang>();
    let font = app
        .world_mut()
        .resource_mut::<Assets<Font>>()
        .add(Font::from_bytes(REGULAR_FONT.to_vec()));
    app.insert_resource(UiFont(font));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::textures::{embedded_font, missing_glyphs};

    #[test]
    fn command_line_tags_are_understood() {
        assert_eq!(Lang::from_tag("zh-CN"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_tag("en"), Some(Lang::En));
        assert_eq!(Lang::from_tag("fr"), None);
    }

    #[test]
    fn every_hint_can_be_written_with_the_ui_font() {
        let font = embedded_font(REGULAR_FONT);
        for lang in [Lang::En, Lang::ZhCn] {
            for captured in [false, true] {
                let hint = lang.controls_hint(captured);
                assert_eq!(missing_glyphs(&font, &hint), Vec::<char>::new(), "{hint}");
            }
        }
    }

    #[test]
    fn the_client_s_fluent_files_have_the_same_messages_with_the_same_variables() {
        let locale = Locale::parse(CLIENT_NAME, CLIENT_EN, CLIENT_ZH_CN)
            .expect("both files read, the same messages with the same variables");
        assert!(locale.ids().count() > 120);
        let without_last = CLIENT_ZH_CN.trim_end().rsplit_once('\n').expect("lines").0;
        let error = Locale::parse(CLIENT_NAME, CLIENT_EN, without_last).expect_err("refused");
        assert!(error.to_string().contains("has no zh-CN text"), "{error}");
    }

    #[test]
    fn moments_are_written_in_the_city_s_time_and_the_reader_s_language() {
        let at = time::OffsetDateTime::from_unix_timestamp(1_795_483_800).expect("a time");
        // 2026-11-24T01:30:00Z is half past nine in the morning in Shanghai.
        let shanghai = TimeZone(chrono_tz::Asia::Shanghai);
        assert_eq!(
            moment(Lang::En, at, shanghai, Moment::Full),
            "24 Nov 2026, 09:30"
        );
        assert_eq!(
            moment(Lang::ZhCn, at, shanghai, Moment::Full),
            "2026年11月24日 09:30"
        );
        assert_eq!(moment(Lang::En, at, shanghai, Moment::Day), "24 Nov");
        assert_eq!(moment(Lang::ZhCn, at, shanghai, Moment::Day), "11月24日");
        assert_eq!(
            moment(Lang::En, at, shanghai, Moment::DayClock),
            "24 Nov 09:30"
        );
        assert_eq!(moment(Lang::ZhCn, at, shanghai, Moment::Clock), "09:30");
        // The same instant is the evening before in Los Angeles.
        let los_angeles = TimeZone(chrono_tz::America::Los_Angeles);
        assert_eq!(
            moment(Lang::En, at, los_angeles, Moment::Full),
            "23 Nov 2026, 17:30"
        );
        // Every month has its name.
        let names: std::collections::BTreeSet<String> = (1..=12)
            .map(|month| format(Lang::En, "time-month", &[("month", &month.to_string())]))
            .collect();
        assert_eq!(names.len(), 12, "{names:?}");
    }

    /// The non-test part of every source file of the client and of agora-services, with each
    /// line's number.
    fn code_lines() -> Vec<(String, usize, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut lines = Vec::new();
        let mut stack = vec![root.join("src"), root.join("../agora-services/src")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("src") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let code = std::fs::read_to_string(&path).expect("source");
                let name = path.display().to_string();
                for (index, line) in code.lines().enumerate() {
                    if line.trim_start().starts_with("#[cfg(test)]") {
                        break;
                    }
                    if !line.trim_start().starts_with("//") {
                        lines.push((name.clone(), index + 1, line.to_owned()));
                    }
                }
            }
        }
        lines
    }

    /// Every message the code asks for by id exists, and every message in the files is asked
    /// for by the code (by id, or through a struct of words).
    #[test]
    fn every_message_the_code_asks_for_exists_and_none_is_left_over() {
        let locale = locale();
        let mut used: std::collections::BTreeSet<String> = crate::panel::words::Words::ids()
            .into_iter()
            .chain(crate::dashboards::screen::Words::ids())
            .collect();
        let prefixes = [
            "kiosk-",
            "xr-",
            "dashboard-",
            "status-",
            "language-",
            "plaza-",
            "controls-",
            "unit-",
            "time-",
            "verify-",
            "caption-",
        ];
        let mut missing = Vec::new();
        for (file, number, line) in code_lines() {
            for piece in line.split('"').skip(1).step_by(2) {
                let is_id = prefixes.iter().any(|p| piece.starts_with(p))
                    && piece.chars().all(|c| c.is_ascii_lowercase() || c == '-');
                if is_id {
                    if !locale.contains(piece) {
                        missing.push(format!("{file}:{number}: {piece}"));
                    }
                    used.insert(piece.to_owned());
                }
            }
        }
        assert!(
            missing.is_empty(),
            "messages the files lack:\n{}",
            missing.join("\n")
        );
        let unused: Vec<&str> = locale.ids().filter(|id| !used.contains(*id)).collect();
        assert!(unused.is_empty(), "messages nothing asks for: {unused:?}");
    }

    /// What a citizen reads is in the Fluent files, not in the code: no Chinese in a string
    /// outside the tests, and no English words handed straight to a widget.
    #[test]
    fn no_citizen_facing_string_is_written_in_code() {
        // An operator's command-line hint whose Chinese is an example of what to type.
        let allowed = ["--reason-zh 文字"];
        let widgets = [
            "RichText::new(\"",
            "Button::new(\"",
            "Label::new(\"",
            ".label(\"",
            ".heading(\"",
            ".button(\"",
            ".on_hover_text(\"",
        ];
        let mut found = Vec::new();
        for (file, number, line) in code_lines() {
            let cjk = line.split('"').skip(1).step_by(2).any(|piece| {
                piece
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            });
            let worded_widget = widgets.iter().any(|widget| {
                line.split(widget).skip(1).any(|rest| {
                    let literal = rest.split('"').next().unwrap_or("");
                    literal.chars().filter(char::is_ascii_alphabetic).count() >= 2
                })
            });
            if (cjk || worded_widget) && !allowed.iter().any(|a| line.contains(a)) {
                found.push(format!("{file}:{number}: {}", line.trim()));
            }
        }
        assert!(
            found.is_empty(),
            "strings to move into assets/locales:\n{}",
            found.join("\n")
        );
    }
}

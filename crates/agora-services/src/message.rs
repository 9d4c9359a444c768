//! Localized messages: a message is a key and named arguments, rendered into English or Chinese
//! only when a person reads it.
//!
//! Validation errors, policy reasons and status labels travel as [`Message`]s, so a decision
//! signed by a department reads correctly in either language. A message's text is a template
//! whose `{name}` placeholders take the message's arguments. Templates live in two places:
//!
//! - `assets/locales/en.json` and `assets/locales/zh-CN.json`: the messages this crate itself
//!   produces (`form.*`, `review.*`, `outcome.*`, `status.*`), one JSON object of
//!   `"key": "template"` per language. [`Messages::builtin`] holds them, compiled in.
//! - each service file's `messages`: the reasons its policy gives, keyed `<service-id>.<name>`,
//!   with the text in both languages.
//!
//! Templates are plain text with `{name}` placeholders and nothing else: no plural or gender
//! selection. Every message is phrased so that it needs none (Chinese has no plural forms, and
//! the English texts say "at most {max} characters" rather than counting words), which keeps the
//! files simple for translators and operators.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::lang::{Lang, Text};

/// The English templates compiled into the crate.
pub const BUILTIN_EN: &str = include_str!("../../../assets/locales/en.json");
/// The Chinese templates compiled into the crate.
pub const BUILTIN_ZH_CN: &str = include_str!("../../../assets/locales/zh-CN.json");

/// A message to show a person: a key naming its template, and the values of its placeholders.
///
/// JSON: `{"key": "form.too-long", "args": {"field": {"en": "Plate", "zh-CN": "车牌"}, "max": "8"}}`;
/// `args` is left out when empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// The template's key, such as `form.required` or `parking-permit.start-in-past`.
    pub key: String,
    /// The placeholders' values, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, Arg>,
}

/// The value of one placeholder: the same text in every language (a number, a code), or text
/// in both languages (a field's label).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Arg {
    /// Text that reads the same in every language.
    Plain(String),
    /// Text in each language.
    Localized(Text),
}

impl Arg {
    /// The argument in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match self {
            Arg::Plain(text) => text,
            Arg::Localized(text) => text.get(lang),
        }
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Self {
        Arg::Plain(text)
    }
}

impl From<&str> for Arg {
    fn from(text: &str) -> Self {
        Arg::Plain(text.to_owned())
    }
}

impl From<Text> for Arg {
    fn from(text: Text) -> Self {
        Arg::Localized(text)
    }
}

impl From<&Text> for Arg {
    fn from(text: &Text) -> Self {
        Arg::Localized(text.clone())
    }
}

impl Message {
    /// A message without arguments.
    pub fn new(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            args: BTreeMap::new(),
        }
    }

    /// The same message with one more argument.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Arg>) -> Self {
        self.args.insert(name.into(), value.into());
        self
    }
}

/// Templates by key, in both languages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Messages {
    texts: BTreeMap<String, Text>,
}

/// Why a pair of locale files cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LocaleError {
    /// A file is not a JSON object of strings.
    #[error(
        "the {lang} locale file is not a JSON object of \"key\": \"template\" strings: {reason}"
    )]
    Malformed {
        /// Which file.
        lang: Lang,
        /// What the JSON reader said.
        reason: String,
    },
    /// A key has a template in one language and not the other.
    #[error("the message `{key}` has no {missing} text")]
    Missing {
        /// The key.
        key: String,
        /// The language that lacks it.
        missing: Lang,
    },
}

impl Messages {
    /// Reads a pair of locale files: each a JSON object of `"key": "template"`, with the same
    /// keys in both.
    pub fn from_locale_files(en: &str, zh_cn: &str) -> Result<Self, LocaleError> {
        let read = |text: &str, lang: Lang| {
            serde_json::from_str::<BTreeMap<String, String>>(text).map_err(|error| {
                LocaleError::Malformed {
                    lang,
                    reason: error.to_string(),
                }
            })
        };
        let mut en = read(en, Lang::En)?;
        let mut zh_cn = read(zh_cn, Lang::ZhCn)?;
        let keys: BTreeSet<String> = en.keys().chain(zh_cn.keys()).cloned().collect();
        let mut texts = BTreeMap::new();
        for key in keys {
            let english = en.remove(&key).ok_or_else(|| LocaleError::Missing {
                key: key.clone(),
                missing: Lang::En,
            })?;
            let chinese = zh_cn.remove(&key).ok_or_else(|| LocaleError::Missing {
                key: key.clone(),
                missing: Lang::ZhCn,
            })?;
            texts.insert(key, Text::new(english, chinese));
        }
        Ok(Self { texts })
    }

    /// The templates of this crate's own messages, from the locale files compiled in. The
    /// crate's tests hold those files to [`Messages::from_locale_files`]; were they ever
    /// unreadable, this would be empty and messages would render as their keys.
    pub fn builtin() -> &'static Messages {
        static BUILTIN: OnceLock<Messages> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Messages::from_locale_files(BUILTIN_EN, BUILTIN_ZH_CN).unwrap_or_default()
        })
    }

    /// The template of `key`.
    pub fn get(&self, key: &str) -> Option<&Text> {
        self.texts.get(key)
    }

    /// Whether `key` has a template.
    pub fn contains(&self, key: &str) -> bool {
        self.texts.contains_key(key)
    }

    /// Every key and its template.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Text)> {
        self.texts.iter().map(|(key, text)| (key.as_str(), text))
    }

    /// Adds or replaces a template.
    pub fn insert(&mut self, key: impl Into<String>, text: Text) {
        self.texts.insert(key.into(), text);
    }

    /// `message` in `lang`. A key without a template renders as the key itself, and a
    /// placeholder without an argument stays as written, so a gap in a locale file shows up
    /// on screen instead of failing.
    pub fn render(&self, message: &Message, lang: Lang) -> String {
        match self.get(&message.key) {
            Some(template) => fill(template.get(lang), &message.args, lang),
            None => message.key.clone(),
        }
    }
}

/// Replaces each `{name}` in `template` with its argument in `lang`.
fn fill(template: &str, args: &BTreeMap<String, Arg>, lang: Lang) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if args.contains_key(&after[..close]) => {
                if let Some(arg) = args.get(&after[..close]) {
                    out.push_str(arg.get(lang));
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The names of the `{name}` placeholders in a template.
pub fn placeholders(template: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    names.insert(name.to_owned());
                }
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    names
}

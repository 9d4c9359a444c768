//! Localized messages: a message is a key and named arguments, rendered into English or Chinese
//! only when a person reads it.
//!
//! Validation errors, policy reasons and status labels travel as [`Message`]s, so a decision
//! signed by a department reads correctly in either language. A message's text is a Project
//! Fluent message (see [`crate::locale`]) whose variables take the message's arguments:
//! `{ $field }`, with plurals and selectors where a language needs them. Texts live in two
//! places:
//!
//! - `assets/locales/en/agora-services.ftl` and `assets/locales/zh-CN/agora-services.ftl`: the
//!   messages this crate itself produces (`form.*`, `review.*`, `outcome.*`, `status.*`,
//!   `access.*`). A key's Fluent id writes its dot as a hyphen (`form.too-long` is
//!   `form-too-long`), since Fluent reserves the dot for attributes. [`Messages::builtin`] holds
//!   them, compiled in.
//! - each service file's `messages`: the reasons its policy gives, keyed `<service-id>.<name>`,
//!   each a Fluent pattern in both languages, so a new service is still one file.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::lang::{Lang, Text};
use crate::locale::{Locale, LocaleError, message_source};

/// The English texts compiled into the crate.
pub const BUILTIN_EN: &str = include_str!("../../../assets/locales/en/agora-services.ftl");
/// The Chinese texts compiled into the crate.
pub const BUILTIN_ZH_CN: &str = include_str!("../../../assets/locales/zh-CN/agora-services.ftl");
/// How errors name the built-in files.
pub const BUILTIN_NAME: &str = "assets/locales/*/agora-services.ftl";

/// A message to show a person: a key naming its text, and the values of its variables.
///
/// JSON: `{"key": "form.too-long", "args": {"field": {"en": "Plate", "zh-CN": "车牌"}, "max": "8"}}`;
/// `args` is left out when empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// The text's key, such as `form.required` or `parking-permit.start-in-past`.
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

/// Message texts by key, in both languages, ready to render.
#[derive(Clone)]
pub struct Messages {
    locale: Arc<Locale>,
    /// Each key's Fluent id.
    ids: BTreeMap<String, String>,
}

impl Default for Messages {
    fn default() -> Self {
        Self {
            locale: Arc::new(Locale::empty("no messages")),
            ids: BTreeMap::new(),
        }
    }
}

impl fmt::Debug for Messages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.ids.keys()).finish()
    }
}

impl PartialEq for Messages {
    /// The same keys, with the same texts in both languages.
    fn eq(&self, other: &Self) -> bool {
        self.ids.keys().eq(other.ids.keys())
            && self.ids.keys().all(|key| {
                Lang::ALL.iter().all(|&lang| {
                    self.locale.format(lang, &self.ids[key], &[])
                        == other.locale.format(lang, &other.ids[key], &[])
                })
            })
    }
}

impl Eq for Messages {}

/// The Fluent id of a message key: its dots written as hyphens.
pub fn fluent_id(key: &str) -> String {
    key.replace('.', "-")
}

impl Messages {
    /// Reads this crate's pair of `.ftl` files: ids `<namespace>-<name>`, the key
    /// `<namespace>.<name>`.
    pub fn from_ftl(name: &str, en: &str, zh_cn: &str) -> Result<Self, LocaleError> {
        let locale = Locale::parse(name, en, zh_cn)?;
        let ids = locale
            .ids()
            .map(|id| (id.replacen('-', ".", 1), id.to_owned()))
            .collect();
        Ok(Self {
            locale: Arc::new(locale),
            ids,
        })
    }

    /// Messages from texts kept outside `.ftl` files — a service file's reasons — each key's
    /// text a Fluent pattern in both languages, standing alone: the messages whose texts are
    /// right, and an error naming each key whose text is wrong.
    pub fn from_texts<'a>(
        name: &str,
        texts: impl IntoIterator<Item = (&'a str, &'a Text)>,
    ) -> (Self, Vec<(String, LocaleError)>) {
        let mut ids = BTreeMap::new();
        let mut errors = Vec::new();
        for (key, text) in texts {
            let id = fluent_id(key);
            let one = |lang: Lang| message_source(&id, text.get(lang));
            match Locale::parse(name, &one(Lang::En), &one(Lang::ZhCn)) {
                Ok(_) => {
                    ids.insert(key.to_owned(), (id, text.clone()));
                }
                Err(error) => errors.push((key.to_owned(), error)),
            }
        }
        let source = |lang: Lang| -> String {
            ids.values()
                .map(|(id, text): &(String, Text)| message_source(id, text.get(lang)))
                .collect()
        };
        // Each text parsed alone, so together they parse too (ids are distinct: keys are).
        match Locale::parse(name, &source(Lang::En), &source(Lang::ZhCn)) {
            Ok(locale) => (
                Self {
                    locale: Arc::new(locale),
                    ids: ids.into_iter().map(|(key, (id, _))| (key, id)).collect(),
                },
                errors,
            ),
            Err(error) => {
                errors.push((String::new(), error));
                (Self::default(), errors)
            }
        }
    }

    /// This crate's own messages, from the `.ftl` files compiled in. The crate's tests hold
    /// those files to [`Messages::from_ftl`]; were they ever unreadable, this would be empty
    /// and messages would render as their keys.
    pub fn builtin() -> &'static Messages {
        static BUILTIN: OnceLock<Messages> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Messages::from_ftl(BUILTIN_NAME, BUILTIN_EN, BUILTIN_ZH_CN).unwrap_or_default()
        })
    }

    /// Whether `key` has a text.
    pub fn contains(&self, key: &str) -> bool {
        self.ids.contains_key(key)
    }

    /// Every key.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.ids.keys().map(String::as_str)
    }

    /// The variables `key`'s text uses, the same in both languages.
    pub fn variables(&self, key: &str) -> Option<&BTreeSet<String>> {
        self.locale.variables(self.ids.get(key)?)
    }

    /// `message` in `lang`. A key without a text renders as the key itself, and a variable
    /// without an argument as `{$name}`, so a gap shows up on screen instead of failing.
    pub fn render(&self, message: &Message, lang: Lang) -> String {
        let Some(id) = self.ids.get(&message.key) else {
            return message.key.clone();
        };
        let args: Vec<(&str, &str)> = message
            .args
            .iter()
            .map(|(name, value)| (name.as_str(), value.get(lang)))
            .collect();
        self.locale
            .format(lang, id, &args)
            .unwrap_or_else(|| message.key.clone())
    }
}

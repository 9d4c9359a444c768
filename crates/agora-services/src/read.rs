//! Reading operator-written JSON with every problem collected, each with the path of the member
//! it is about (`fields[plate].max_length`), instead of stopping at the first.
//!
//! Serde stops at the first error and, without help, does not say where it was; an operator
//! fixing a service file wants the whole list at once. So service files are read as
//! `serde_json::Value` (with duplicate member names refused) and walked with [`Obj`].

use serde_json::{Map, Value};

use crate::lang::Text;

/// Problems found so far: the path of the member, and what is wrong with it.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    pub(crate) list: Vec<(String, String)>,
}

impl Problems {
    /// Records a problem at `path`.
    pub(crate) fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.list.push((path.into(), message.into()));
    }

    /// How many problems there are.
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }
}

/// `parent.key`, or `key` at the top.
pub(crate) fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// The JSON type of a value, as a problem message names it.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A JSON object being read: the members taken so far are remembered, so that [`Obj::finish`]
/// can name the ones nobody asked for (usually a misspelling).
pub(crate) struct Obj<'v> {
    map: &'v Map<String, Value>,
    path: String,
    taken: Vec<&'static str>,
}

impl<'v> Obj<'v> {
    /// `value` as an object, or a problem saying it is not one.
    pub(crate) fn new(value: &'v Value, path: &str, problems: &mut Problems) -> Option<Self> {
        match value {
            Value::Object(map) => Some(Self {
                map,
                path: path.to_owned(),
                taken: Vec::new(),
            }),
            other => {
                problems.add(
                    display_path(path),
                    format!("expected an object, found {}", kind(other)),
                );
                None
            }
        }
    }

    /// The path of member `key`.
    pub(crate) fn path_of(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// Member `key`, if present (a `null` counts as absent).
    pub(crate) fn optional(&mut self, key: &'static str) -> Option<&'v Value> {
        self.taken.push(key);
        self.map.get(key).filter(|value| !value.is_null())
    }

    /// Member `key`, or a problem saying it is missing.
    pub(crate) fn required(
        &mut self,
        key: &'static str,
        problems: &mut Problems,
    ) -> Option<&'v Value> {
        let value = self.optional(key);
        if value.is_none() {
            problems.add(self.path_of(key), "is missing");
        }
        value
    }

    /// A required string member.
    pub(crate) fn string(&mut self, key: &'static str, problems: &mut Problems) -> Option<&'v str> {
        let value = self.required(key, problems)?;
        self.as_str(key, value, problems)
    }

    /// An optional string member.
    pub(crate) fn optional_string(
        &mut self,
        key: &'static str,
        problems: &mut Problems,
    ) -> Option<&'v str> {
        let value = self.optional(key)?;
        self.as_str(key, value, problems)
    }

    fn as_str(&self, key: &str, value: &'v Value, problems: &mut Problems) -> Option<&'v str> {
        match value {
            Value::String(text) if !text.trim().is_empty() => Some(text),
            Value::String(_) => {
                problems.add(self.path_of(key), "is empty");
                None
            }
            other => {
                problems.add(
                    self.path_of(key),
                    format!("expected a string, found {}", kind(other)),
                );
                None
            }
        }
    }

    /// A required member with text in both languages, neither empty.
    pub(crate) fn text(&mut self, key: &'static str, problems: &mut Problems) -> Option<Text> {
        let value = self.required(key, problems)?;
        read_text(value, &self.path_of(key), problems)
    }

    /// An optional member with text in both languages.
    pub(crate) fn optional_text(
        &mut self,
        key: &'static str,
        problems: &mut Problems,
    ) -> Option<Text> {
        let value = self.optional(key)?;
        read_text(value, &self.path_of(key), problems)
    }

    /// An optional `true`/`false` member, `default` when absent.
    pub(crate) fn flag(
        &mut self,
        key: &'static str,
        default: bool,
        problems: &mut Problems,
    ) -> bool {
        match self.optional(key) {
            None => default,
            Some(Value::Bool(flag)) => *flag,
            Some(other) => {
                problems.add(
                    self.path_of(key),
                    format!("expected true or false, found {}", kind(other)),
                );
                default
            }
        }
    }

    /// A required `true`/`false` member.
    pub(crate) fn boolean(&mut self, key: &'static str, problems: &mut Problems) -> Option<bool> {
        match self.required(key, problems)? {
            Value::Bool(flag) => Some(*flag),
            other => {
                problems.add(
                    self.path_of(key),
                    format!("expected true or false, found {}", kind(other)),
                );
                None
            }
        }
    }

    /// An optional whole number from `min` to `max`.
    pub(crate) fn optional_count(
        &mut self,
        key: &'static str,
        min: u64,
        max: u64,
        problems: &mut Problems,
    ) -> Option<u64> {
        let value = self.optional(key)?;
        match value.as_u64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                problems.add(
                    self.path_of(key),
                    format!("expected a whole number from {min} to {max}, found {value}"),
                );
                None
            }
        }
    }

    /// A required whole number from `min` to `max`.
    pub(crate) fn count(
        &mut self,
        key: &'static str,
        min: u64,
        max: u64,
        problems: &mut Problems,
    ) -> Option<u64> {
        if self.map.get(key).is_none_or(Value::is_null) {
            problems.add(self.path_of(key), "is missing");
            self.taken.push(key);
            return None;
        }
        self.optional_count(key, min, max, problems)
    }

    /// A required number.
    pub(crate) fn number(&mut self, key: &'static str, problems: &mut Problems) -> Option<f64> {
        let value = self.required(key, problems)?;
        self.as_number(key, value, problems)
    }

    fn as_number(&self, key: &str, value: &Value, problems: &mut Problems) -> Option<f64> {
        match value.as_f64() {
            Some(n) if n.is_finite() => Some(n),
            _ => {
                problems.add(
                    self.path_of(key),
                    format!("expected a number, found {}", kind(value)),
                );
                None
            }
        }
    }

    /// Reports every member that was never asked for; `expected` lists the ones allowed.
    pub(crate) fn finish(self, problems: &mut Problems) {
        let unknown: Vec<&String> = self
            .map
            .keys()
            .filter(|key| !self.taken.contains(&key.as_str()) && !key.starts_with('$'))
            .collect();
        for key in unknown {
            let mut allowed = self.taken.clone();
            allowed.sort_unstable();
            allowed.dedup();
            problems.add(
                self.path_of(key),
                format!(
                    "is not a member this object has (it has: {}; members whose name starts with `$`, such as `$comment`, are ignored)",
                    allowed.join(", ")
                ),
            );
        }
    }
}

/// The path as shown to an operator: `(the file)` for the whole document.
pub(crate) fn display_path(path: &str) -> String {
    if path.is_empty() {
        "(the whole file)".to_owned()
    } else {
        path.to_owned()
    }
}

/// `{"en": …, "zh-CN": …}`, both present and non-empty.
pub(crate) fn read_text(value: &Value, path: &str, problems: &mut Problems) -> Option<Text> {
    let mut obj = Obj::new(value, path, problems)?;
    let en = obj.string("en", problems);
    let zh_cn = obj.string("zh-CN", problems);
    obj.finish(problems);
    Some(Text::new(en?, zh_cn?))
}

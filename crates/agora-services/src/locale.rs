//! Project Fluent, in both of Agora's languages: a [`Locale`] is one Fluent resource per language
//! with the same messages in each, read and checked once and formatted when a person reads it.
//!
//! Every string a citizen or operator sees is a Fluent message (`.ftl` files under
//! `assets/locales/<lang>/`, and the reasons in each service file), so a translator can use
//! plurals and selectors where a language needs them:
//!
//! ```ftl
//! form-too-long = { $field }: write at most { $max ->
//!         [one] one character
//!        *[other] { $max } characters
//!     } (now { $length }).
//! ```
//!
//! [`Locale::parse`] refuses a pair of resources in which a message is missing from one language,
//! a message's variables differ between the languages, a message has no value, or the Fluent
//! syntax is broken — each named with the file and line — so a gap is found when the files are
//! read, not on a citizen's screen.
//!
//! Placeables are not wrapped in Unicode isolation marks: both languages run left to right, and
//! the panel's fonts have no glyphs for the marks.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_syntax::ast::{self, Expression, InlineExpression, PatternElement};
use thiserror::Error;
use unic_langid::LanguageIdentifier;

use crate::lang::Lang;

/// Messages in both languages, ready to format.
pub struct Locale {
    /// What the resources are, for messages: `assets/locales/*/agora-client.ftl`.
    name: String,
    en: FluentBundle<FluentResource>,
    zh_cn: FluentBundle<FluentResource>,
    /// Every message's id, with the variables it uses (the same in both languages).
    ids: BTreeMap<String, BTreeSet<String>>,
}

/// Why a pair of Fluent resources cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LocaleError {
    /// The Fluent syntax is broken.
    #[error("{name} ({lang}), line {line}: not Fluent syntax: {reason}")]
    Syntax {
        /// The resources.
        name: String,
        /// Which language's.
        lang: Lang,
        /// Where, counted from 1.
        line: usize,
        /// What the parser said.
        reason: String,
    },
    /// One language has a message the other lacks.
    #[error("{name}: the message `{id}` has no {missing} text")]
    Missing {
        /// The resources.
        name: String,
        /// The message.
        id: String,
        /// The language that lacks it.
        missing: Lang,
    },
    /// The two languages' texts of a message use different variables.
    #[error(
        "{name}: the message `{id}` uses {en} in English and {zh_cn} in Chinese; both must use the same variables"
    )]
    Variables {
        /// The resources.
        name: String,
        /// The message.
        id: String,
        /// The English text's variables, written `$a, $b`.
        en: String,
        /// The Chinese text's variables.
        zh_cn: String,
    },
    /// A message refers to a message or term that the resource does not have.
    #[error(
        "{name} ({lang}): the message `{id}` refers to `{{{target}}}`, which is not a message here (a variable is written {{ ${target} }})"
    )]
    Reference {
        /// The resources.
        name: String,
        /// Which language's.
        lang: Lang,
        /// The message.
        id: String,
        /// What it refers to (`-term` for a term).
        target: String,
    },
    /// A message has attributes only, or is defined twice.
    #[error("{name} ({lang}): the message `{id}` {problem}")]
    Message {
        /// The resources.
        name: String,
        /// Which language's.
        lang: Lang,
        /// The message.
        id: String,
        /// What is wrong with it.
        problem: String,
    },
}

impl Locale {
    /// Reads one Fluent resource per language. `name` names them in errors.
    pub fn parse(name: &str, en: &str, zh_cn: &str) -> Result<Self, LocaleError> {
        let (en, en_ids) = bundle(name, Lang::En, en)?;
        let (zh_cn, zh_ids) = bundle(name, Lang::ZhCn, zh_cn)?;
        let mut ids = BTreeMap::new();
        for (id, en_vars) in &en_ids {
            let Some(zh_vars) = zh_ids.get(id) else {
                return Err(LocaleError::Missing {
                    name: name.to_owned(),
                    id: id.clone(),
                    missing: Lang::ZhCn,
                });
            };
            if en_vars != zh_vars {
                let list = |vars: &BTreeSet<String>| {
                    if vars.is_empty() {
                        "no variables".to_owned()
                    } else {
                        vars.iter()
                            .map(|v| format!("${v}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                };
                return Err(LocaleError::Variables {
                    name: name.to_owned(),
                    id: id.clone(),
                    en: list(en_vars),
                    zh_cn: list(zh_vars),
                });
            }
            ids.insert(id.clone(), en_vars.clone());
        }
        if let Some(id) = zh_ids.keys().find(|id| !en_ids.contains_key(*id)) {
            return Err(LocaleError::Missing {
                name: name.to_owned(),
                id: id.clone(),
                missing: Lang::En,
            });
        }
        Ok(Self {
            name: name.to_owned(),
            en,
            zh_cn,
            ids,
        })
    }

    /// No messages at all.
    pub fn empty(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            en: new_bundle(Lang::En),
            zh_cn: new_bundle(Lang::ZhCn),
            ids: BTreeMap::new(),
        }
    }

    /// What the resources are.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether there is a message `id`.
    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains_key(id)
    }

    /// Every message's id.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.ids.keys().map(String::as_str)
    }

    /// The variables message `id` uses, the same in both languages.
    pub fn variables(&self, id: &str) -> Option<&BTreeSet<String>> {
        self.ids.get(id)
    }

    /// Message `id` in `lang` with `args`, or `None` if there is no such message. A variable
    /// without an argument is written `{$name}`, so a gap shows on screen instead of failing.
    ///
    /// An argument that reads as a number (`8`, `2.5`) is given to Fluent as one, so plural
    /// selectors apply to it; anything else (`007`, `粤B12345`) stays text.
    pub fn format(&self, lang: Lang, id: &str, args: &[(&str, &str)]) -> Option<String> {
        let bundle = self.bundle(lang);
        let pattern = bundle.get_message(id)?.value()?;
        let mut fluent = FluentArgs::with_capacity(args.len());
        for (name, value) in args {
            fluent.set(*name, argument(value));
        }
        let mut errors = Vec::new();
        let text =
            bundle.format_pattern(pattern, (!args.is_empty()).then_some(&fluent), &mut errors);
        Some(text.into_owned())
    }

    /// Message `id` in `lang` without arguments, or its id if there is none.
    pub fn text(&self, lang: Lang, id: &str) -> String {
        self.format(lang, id, &[]).unwrap_or_else(|| id.to_owned())
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::En => &self.en,
            Lang::ZhCn => &self.zh_cn,
        }
    }
}

impl fmt::Debug for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Locale")
            .field("name", &self.name)
            .field("ids", &self.ids.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A number when it reads back as written, so that plural rules select on it; text otherwise.
fn argument(value: &str) -> FluentValue<'static> {
    match value.parse::<fluent_bundle::types::FluentNumber>() {
        Ok(number) if number.as_string() == value => FluentValue::from(number),
        _ => FluentValue::from(value.to_owned()),
    }
}

fn new_bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let langid: LanguageIdentifier = lang.tag().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    bundle.set_use_isolating(false);
    bundle
}

type Ids = BTreeMap<String, BTreeSet<String>>;

fn bundle(
    name: &str,
    lang: Lang,
    source: &str,
) -> Result<(FluentBundle<FluentResource>, Ids), LocaleError> {
    // The line where the broken entry starts: the parser may notice only at the next line.
    let line_of = |at: usize| {
        let before = &source[..at.min(source.len())];
        before
            .split('\n')
            .enumerate()
            .filter(|(_, line)| line.starts_with(|c: char| c.is_ascii_alphabetic() || c == '-'))
            .map(|(index, _)| index + 1)
            .last()
            .unwrap_or(1)
    };
    let resource = FluentResource::try_new(source.to_owned()).map_err(|(_, errors)| {
        let first = &errors[0];
        LocaleError::Syntax {
            name: name.to_owned(),
            lang,
            line: line_of(first.pos.start),
            reason: first.kind.to_string(),
        }
    })?;
    let mut ids = Ids::new();
    let mut references = Vec::new();
    let defined: BTreeSet<String> = resource
        .entries()
        .filter_map(|entry| match entry {
            ast::Entry::Message(message) => Some(message.id.name.to_owned()),
            ast::Entry::Term(term) => Some(format!("-{}", term.id.name)),
            _ => None,
        })
        .collect();
    for entry in resource.entries() {
        if let ast::Entry::Message(message) = entry {
            let id = message.id.name.to_owned();
            let problem = |problem: &str| LocaleError::Message {
                name: name.to_owned(),
                lang,
                id: id.clone(),
                problem: problem.to_owned(),
            };
            let Some(pattern) = &message.value else {
                return Err(problem("has no text (only attributes)"));
            };
            let mut found = Found::default();
            pattern_variables(pattern, &mut found);
            if ids.insert(id.clone(), found.variables).is_some() {
                return Err(problem("is defined twice"));
            }
            references.extend(
                found
                    .references
                    .into_iter()
                    .map(|target| (id.clone(), target)),
            );
        }
    }
    if let Some((id, target)) = references
        .into_iter()
        .find(|(_, target)| !defined.contains(target))
    {
        return Err(LocaleError::Reference {
            name: name.to_owned(),
            lang,
            id,
            target,
        });
    }
    let mut bundle = new_bundle(lang);
    bundle
        .add_resource(resource)
        .map_err(|errors| LocaleError::Message {
            name: name.to_owned(),
            lang,
            id: String::new(),
            problem: format!("cannot be added: {errors:?}"),
        })?;
    Ok((bundle, ids))
}

/// What a message's pattern uses: variables, and the messages and terms it refers to.
#[derive(Default)]
struct Found {
    variables: BTreeSet<String>,
    references: BTreeSet<String>,
}

fn pattern_variables(pattern: &ast::Pattern<&str>, found: &mut Found) {
    for element in &pattern.elements {
        if let PatternElement::Placeable { expression } = element {
            expression_variables(expression, found);
        }
    }
}

fn expression_variables(expression: &Expression<&str>, found: &mut Found) {
    match expression {
        Expression::Select { selector, variants } => {
            inline_variables(selector, found);
            for variant in variants {
                pattern_variables(&variant.value, found);
            }
        }
        Expression::Inline(inline) => inline_variables(inline, found),
    }
}

fn inline_variables(inline: &InlineExpression<&str>, found: &mut Found) {
    match inline {
        InlineExpression::VariableReference { id } => {
            found.variables.insert(id.name.to_owned());
        }
        InlineExpression::MessageReference { id, .. } => {
            found.references.insert(id.name.to_owned());
        }
        InlineExpression::FunctionReference { arguments, .. } => {
            for argument in &arguments.positional {
                inline_variables(argument, found);
            }
            for named in &arguments.named {
                inline_variables(&named.value, found);
            }
        }
        InlineExpression::TermReference { id, arguments, .. } => {
            found.references.insert(format!("-{}", id.name));
            for argument in arguments.iter().flat_map(|arguments| &arguments.positional) {
                inline_variables(argument, found);
            }
        }
        InlineExpression::Placeable { expression } => expression_variables(expression, found),
        InlineExpression::StringLiteral { .. } | InlineExpression::NumberLiteral { .. } => {}
    }
}

/// One message as a Fluent resource: `id = pattern`, a multi-line pattern's lines indented so
/// they continue it. For texts kept outside `.ftl` files, such as a service file's reasons.
pub fn message_source(id: &str, pattern: &str) -> String {
    let mut source = format!("{id} =");
    for (index, line) in pattern.lines().enumerate() {
        if index == 0 {
            source.push(' ');
        } else {
            source.push_str("\n    ");
        }
        source.push_str(line);
    }
    source.push('\n');
    source
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_select_on_numbers_and_leave_codes_alone() {
        let locale = Locale::parse(
            "test",
            "n = { $n -> \n    [one] one item\n   *[other] { $n } items\n} for { $code }\n",
            "n = { $n } 项，{ $code }\n",
        )
        .expect("parses");
        assert_eq!(
            locale
                .format(Lang::En, "n", &[("n", "1"), ("code", "007")])
                .expect("there"),
            "one item for 007"
        );
        assert_eq!(
            locale
                .format(Lang::En, "n", &[("n", "3"), ("code", "007")])
                .expect("there"),
            "3 items for 007"
        );
        assert_eq!(
            locale
                .format(Lang::ZhCn, "n", &[("n", "1"), ("code", "007")])
                .expect("there"),
            "1 项，007"
        );
        assert_eq!(
            locale.format(Lang::En, "n", &[("n", "1")]).expect("there"),
            "one item for {$code}"
        );
        assert_eq!(locale.format(Lang::En, "none", &[]), None);
        assert_eq!(locale.variables("n").expect("there").len(), 2);
    }

    #[test]
    fn a_gap_between_the_languages_is_named() {
        let missing = Locale::parse("t", "a = A\nb = B\n", "a = 甲\n").expect_err("refused");
        assert!(
            matches!(&missing, LocaleError::Missing { id, missing: Lang::ZhCn, .. } if id == "b"),
            "{missing}"
        );
        let extra = Locale::parse("t", "a = A\n", "a = 甲\nc = 丙\n").expect_err("refused");
        assert!(
            matches!(&extra, LocaleError::Missing { id, missing: Lang::En, .. } if id == "c"),
            "{extra}"
        );
        let vars = Locale::parse("t", "a = { $x } A\n", "a = { $y } 甲\n").expect_err("refused");
        assert_eq!(
            vars.to_string(),
            "t: the message `a` uses $x in English and $y in Chinese; both must use the same variables"
        );
        let syntax = Locale::parse("t", "a = A\nb = { $x\n", "a = 甲\n").expect_err("refused");
        assert!(
            matches!(
                syntax,
                LocaleError::Syntax {
                    line: 2,
                    lang: Lang::En,
                    ..
                }
            ),
            "{syntax}"
        );
        let old_style = Locale::parse("t", "a = {x} A\n", "a = 甲\n").expect_err("refused");
        assert!(old_style.to_string().contains("{ $x }"), "{old_style}");
        let twice = Locale::parse("t", "a = A\na = B\n", "a = 甲\n").expect_err("refused");
        assert!(twice.to_string().contains("defined twice"), "{twice}");
    }

    #[test]
    fn a_multi_line_text_stays_one_message() {
        let source = message_source("x", "first line\nsecond { $n }");
        let locale =
            Locale::parse("t", &source, &message_source("x", "第一行 { $n }")).expect("there");
        assert_eq!(
            locale.format(Lang::En, "x", &[("n", "2")]).expect("there"),
            "first line\nsecond 2"
        );
    }
}

//! Every message reads in English and Chinese: the built-in Fluent files, the services'
//! messages, and every text of the catalog.

use std::collections::BTreeSet;

use agora_services::locale::LocaleError;
use agora_services::message::{BUILTIN_EN, BUILTIN_NAME, BUILTIN_ZH_CN};
use agora_services::{FieldKind, Lang, Message, Messages, Outcome, Status, Text};

use crate::support::catalog;

fn has_cjk(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

fn check_text(what: &str, text: &Text, problems: &mut Vec<String>) {
    if text.en.trim().is_empty() {
        problems.push(format!("{what}: no English text"));
    }
    if !has_cjk(&text.zh_cn) {
        problems.push(format!(
            "{what}: the zh-CN text `{}` has no Chinese",
            text.zh_cn
        ));
    }
}

#[test]
fn the_builtin_fluent_files_have_the_same_messages_and_variables() {
    let messages = Messages::from_ftl(BUILTIN_NAME, BUILTIN_EN, BUILTIN_ZH_CN)
        .expect("both files read, the same messages with the same variables");
    assert_eq!(&messages, Messages::builtin());
    assert!(messages.keys().count() > 40);
    let mut problems = Vec::new();
    for key in messages.keys() {
        let message = Message::new(key);
        let text = Text::new(
            messages.render(&message, Lang::En),
            messages.render(&message, Lang::ZhCn),
        );
        check_text(key, &text, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The check that holds every pair of Fluent files: a message missing from a language, or
/// with other variables there, is refused and named.
#[test]
fn a_message_missing_or_with_other_variables_in_one_language_is_refused() {
    let without_last = BUILTIN_ZH_CN.trim_end().rsplit_once('\n').expect("lines").0;
    let missing = Messages::from_ftl(BUILTIN_NAME, BUILTIN_EN, without_last)
        .expect_err("a message missing in Chinese");
    assert!(
        matches!(
            &missing,
            LocaleError::Missing {
                missing: Lang::ZhCn,
                ..
            }
        ),
        "{missing}"
    );
    let renamed = BUILTIN_ZH_CN.replacen("{ $field }", "{ $label }", 1);
    let variables = Messages::from_ftl(BUILTIN_NAME, BUILTIN_EN, &renamed)
        .expect_err("other variables in Chinese");
    assert!(
        variables.to_string().contains("$label") && variables.to_string().contains("$field"),
        "{variables}"
    );
}

/// Every `"form.…"`, `"review.…"` key written in the crate's source has a text.
#[test]
fn every_key_the_crate_uses_has_a_text() {
    let src = std::path::PathBuf::from(crate::support::manifest_dir()).join("src");
    let mut keys = BTreeSet::new();
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).expect("src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let code = std::fs::read_to_string(&path).expect("source");
            for piece in code.split('"').skip(1).step_by(2) {
                let namespaced = ["form.", "review.", "status.", "outcome."]
                    .iter()
                    .any(|ns| piece.starts_with(ns));
                if namespaced
                    && piece
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '.' || c == '-')
                {
                    keys.insert(piece.to_owned());
                }
            }
        }
    }
    assert!(keys.len() > 25, "{keys:?}");
    for outcome in [Outcome::Approve, Outcome::Refer, Outcome::Reject] {
        keys.insert(outcome.label().key);
        keys.insert(outcome.likely().key);
    }
    for status in [
        Status::Draft,
        Status::Signed,
        Status::Queued,
        Status::Anchored,
        Status::Decided {
            outcome: Outcome::Approve,
        },
        Status::Decided {
            outcome: Outcome::Refer,
        },
        Status::Decided {
            outcome: Outcome::Reject,
        },
        Status::Failed {
            reason: Message::new("review.closed"),
        },
    ] {
        keys.insert(status.label().key);
    }
    let missing: Vec<&String> = keys
        .iter()
        .filter(|key| !Messages::builtin().contains(key))
        .collect();
    assert!(missing.is_empty(), "keys without a text: {missing:?}");
}

#[test]
fn every_text_of_the_catalog_is_in_both_languages() {
    let mut problems = Vec::new();
    for service in catalog().services() {
        let id = &service.id;
        check_text(&format!("{id}: title"), &service.title, &mut problems);
        check_text(
            &format!("{id}: description"),
            &service.description,
            &mut problems,
        );
        check_text(
            &format!("{id}: department"),
            &service.department.name,
            &mut problems,
        );
        if let Some(summary) = service.policy.summary() {
            check_text(&format!("{id}: policy summary"), summary, &mut problems);
        } else {
            problems.push(format!("{id}: the policy has no summary"));
        }
        for field in service.form.fields() {
            let at = format!("{id}: {}", field.id);
            check_text(&format!("{at}: label"), &field.label, &mut problems);
            check_text(&format!("{at}: help"), &field.help, &mut problems);
            match &field.kind {
                FieldKind::Choice(choice) => {
                    for option in &choice.options {
                        check_text(
                            &format!("{at}: option {}", option.value),
                            &option.label,
                            &mut problems,
                        );
                    }
                }
                FieldKind::Number(number) => {
                    check_text(&format!("{at}: unit"), &number.unit, &mut problems)
                }
                FieldKind::Text(text) => {
                    if let Some(pattern) = &text.pattern {
                        check_text(&format!("{at}: format"), &pattern.format, &mut problems);
                    }
                }
                FieldKind::Location(location) => {
                    if let Some(area) = &location.area {
                        check_text(&format!("{at}: area"), &area.name, &mut problems);
                    }
                }
                FieldKind::Date(_) | FieldKind::YesNo(_) => {}
            }
        }
        for key in service.messages.keys() {
            let message = Message::new(key);
            let text = Text::new(
                service.messages.render(&message, Lang::En),
                service.messages.render(&message, Lang::ZhCn),
            );
            check_text(&format!("{id}: message {key}"), &text, &mut problems);
        }
        for key in service.policy.reason_keys() {
            for lang in Lang::ALL {
                let text = service.render(&Message::new(key), lang);
                if text == key || catalog().render(&Message::new(key), lang) != text {
                    problems.push(format!("{id}: reason {key} does not render in {lang}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn rendering_fills_variables_chooses_plurals_and_never_fails() {
    let message = Message::new("form.too-long")
        .with("field", Text::new("Plate", "车牌"))
        .with("max", "8")
        .with("length", "9");
    let builtin = Messages::builtin();
    assert_eq!(
        builtin.render(&message, Lang::En),
        "Plate: write at most 8 characters (now 9)."
    );
    assert_eq!(
        builtin.render(&message, Lang::ZhCn),
        "车牌：最多填写 8 个字符（当前 9 个）。"
    );
    let one = Message::new("form.too-long")
        .with("field", Text::new("Initial", "首字母"))
        .with("max", "1")
        .with("length", "2");
    assert_eq!(
        builtin.render(&one, Lang::En),
        "Initial: write at most one character (now 2)."
    );
    // A key without a text shows the key; a variable without an argument stays visible.
    assert_eq!(
        builtin.render(&Message::new("no.such-key"), Lang::En),
        "no.such-key"
    );
    assert_eq!(
        builtin.render(&Message::new("form.required"), Lang::En),
        "{$field}: this field is required."
    );
    assert_eq!("zh-CN".parse::<Lang>(), Ok(Lang::ZhCn));
    assert_eq!("ZH-cn".parse::<Lang>(), Ok(Lang::ZhCn));
    assert!("fr".parse::<Lang>().is_err());
}

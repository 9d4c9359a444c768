//! The service file: one JSON file per service, `<service-id>.json`.
//!
//! ```json
//! {
//!   "id": "parking-permit",
//!   "open": true,
//!   "department": "transport",
//!   "title": {"en": "…", "zh-CN": "…"},
//!   "description": {"en": "…", "zh-CN": "…"},
//!   "time_zone": "Asia/Shanghai",
//!   "fields": [
//!     {"id": "plate", "type": "text", "required": true,
//!      "label": {"en": "…", "zh-CN": "…"}, "help": {"en": "…", "zh-CN": "…"},
//!      "max_length": 8, "pattern": "…", "format": {"en": "…", "zh-CN": "…"}}
//!   ],
//!   "policy": {…},
//!   "messages": {"parking-permit.eligible": {"en": "…", "zh-CN": "…"}}
//! }
//! ```
//!
//! | member | | |
//! |---|---|---|
//! | `id` | required | lowercase letters, digits and hyphens; the file is named `<id>.json`; the plaza's layout refers to it |
//! | `open` | optional, default `true` | `false` closes the service: every application is rejected with `review.closed` |
//! | `department` | required | the id of the department that runs it: its file `departments/<id>.json` holds its name and keys (see [`super::department`]) |
//! | `title`, `description` | required | text in `en` and `zh-CN` |
//! | `time_zone` | required | IANA name; the policy's `today` is the submission's date there |
//! | `fields` | required | 1 to 64 fields, see below |
//! | `policy` | required | see [`crate::policy`] |
//! | `messages` | optional | the policy's reasons: keys `<id>.<name>`, each a Project Fluent pattern in `en` and `zh-CN` (plain text, or `{ $var }`, selectors) |
//!
//! Every field has `id` (lowercase letters, digits and `_`, starting with a letter, so a
//! policy can write `answers.<id>`), `type`, `label`, `help` and `required` (`true` or
//! `false`), and the members of its type (see [`crate::form`]):
//!
//! - `text`: `max_length` (1 to 10000, required), `min_length` (default 0), `multiline`
//!   (default `false`), `pattern` (a Rust `regex` the whole answer must match) with `format`
//!   (text saying what a matching answer looks like; required with a pattern).
//! - `number`: `unit` (text), `min`, `max` (required), `integer` (default `false`).
//! - `date`: `min`, `max` (optional, `YYYY-MM-DD`).
//! - `choice`: `options`, at least two `{"value": "…", "label": {…}}`, values unique
//!   (lowercase letters, digits, `-` and `_`).
//! - `yes_no`: `must_be_yes` (default `false`).
//! - `location`: `area` (optional): `{"name": {…}, "south", "west", "north", "east"}` in
//!   degrees.
//!
//! Members whose name starts with `$` (`$comment`) are ignored anywhere; any other unknown
//! member is a problem, since it is usually a misspelling.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use serde_json::Value;

use super::{Department, Problem, Service};
use crate::form::{
    Area, ChoiceField, ChoiceOption, DateField, Field, FieldKind, Form, LocationField, MAX_FIELDS,
    MAX_TEXT_LENGTH, NumberField, Pattern, TextField, YesNoField, is_field_id, parse_date,
};
use crate::message::Messages;
use crate::policy::{Policy, is_slug};
use crate::read::{Obj, Problems, join, kind, read_text};

/// The largest magnitude a number field's bounds may have: 2^53, below which every whole
/// number is exactly a double.
const MAX_NUMBER: f64 = 9_007_199_254_740_992.0;

/// Reads a service file named `file` (its base name must be `<id>.json`).
pub(crate) fn parse(
    file: &str,
    text: &str,
    departments: &BTreeMap<String, Option<Department>>,
) -> Result<Service, Vec<Problem>> {
    super::parse_file(file, text, |value, problems| {
        read_service(file, value, departments, problems)
    })
}

fn read_service(
    file: &str,
    value: &Value,
    departments: &BTreeMap<String, Option<Department>>,
    problems: &mut Problems,
) -> Option<Service> {
    let mut obj = Obj::new(value, "", problems)?;
    let id = super::read_file_id(&mut obj, file, "service", problems);
    let open = obj.flag("open", true, problems);
    let department = obj
        .required("department", problems)
        .and_then(|value| read_department(value, departments, problems));
    let title = obj.text("title", problems);
    let description = obj.text("description", problems);
    let time_zone = obj.string("time_zone", problems).and_then(|name| {
        let zone = name.parse::<Tz>().ok();
        if zone.is_none() {
            problems.add(
                "time_zone",
                format!("`{name}` is not an IANA time zone name, such as Asia/Shanghai"),
            );
        }
        zone
    });
    let form = obj
        .required("fields", problems)
        .and_then(|value| read_fields(value, problems));
    let messages_value = obj.optional("messages");
    let messages = match (messages_value, id) {
        (Some(value), Some(id)) => read_messages(value, id, problems),
        _ => Some(Messages::default()),
    };
    // A reason is known if the file declares its key, even when the key's text has a problem
    // of its own (reported once, there).
    let known_reason = |key: &str| {
        messages_value.and_then(|value| value.get(key)).is_some()
            || Messages::builtin().contains(key)
    };
    let policy = obj
        .required("policy", problems)
        .and_then(|value| Policy::parse(value, "policy", form.as_ref(), &known_reason, problems));
    obj.finish(problems);
    Some(Service {
        id: id?.to_owned(),
        open,
        department: department?,
        title: title?,
        description: description?,
        time_zone: time_zone?,
        form: form?,
        policy: policy?,
        messages: messages?,
    })
}

fn read_department(
    value: &Value,
    departments: &BTreeMap<String, Option<Department>>,
    problems: &mut Problems,
) -> Option<Department> {
    match value {
        Value::String(id) => match departments.get(id.as_str()) {
            Some(Some(department)) => Some(department.clone()),
            // Its file has problems, reported there.
            Some(None) => None,
            None => {
                let known: Vec<&str> = departments
                    .iter()
                    .filter(|(_, department)| department.is_some())
                    .map(|(id, _)| id.as_str())
                    .collect();
                problems.add(
                    "department",
                    format!(
                        "names the department `{id}`, which has no file departments/{id}.json (the catalog has: {})",
                        if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                    ),
                );
                None
            }
        },
        Value::Object(members) => {
            let id = members.get("id").and_then(Value::as_str).unwrap_or("ID");
            problems.add(
                "department",
                format!(
                    "is an object; a department is now its own file, departments/{id}.json, with its name and the history of its keys: name it here by id, \"department\": \"{id}\""
                ),
            );
            None
        }
        other => {
            problems.add(
                "department",
                format!("expected a department id, found {}", kind(other)),
            );
            None
        }
    }
}

fn read_messages(value: &Value, service: &str, problems: &mut Problems) -> Option<Messages> {
    let Value::Object(members) = value else {
        problems.add(
            "messages",
            format!("expected an object of message keys, found {}", kind(value)),
        );
        return None;
    };
    let before = problems.len();
    let mut texts = Vec::new();
    for (key, text) in members {
        if key.starts_with('$') {
            continue;
        }
        let path = format!("messages.{key}");
        let name = key
            .strip_prefix(service)
            .and_then(|rest| rest.strip_prefix('.'));
        if !name.is_some_and(is_slug) {
            problems.add(
                &path,
                format!("a message key here is `{service}.<name>`, the name in lowercase letters, digits and hyphens"),
            );
        }
        if let Some(text) = read_text(text, &path, problems) {
            texts.push((key.as_str(), text));
        }
    }
    if problems.len() != before {
        return None;
    }
    let name = format!("the service {service}'s messages");
    let (messages, errors) =
        Messages::from_texts(&name, texts.iter().map(|(key, text)| (*key, text)));
    for (key, error) in &errors {
        problems.add(
            format!("messages.{key}"),
            format!("is not a Fluent message (variables are written {{ $name }}): {error}"),
        );
    }
    let mut with_variables = false;
    for key in messages.keys() {
        if messages.variables(key).is_some_and(|vars| !vars.is_empty()) {
            with_variables = true;
            problems.add(
                format!("messages.{key}"),
                "uses a variable, but a policy's reason has no arguments to fill it: write the text in full",
            );
        }
    }
    (errors.is_empty() && !with_variables).then_some(messages)
}

fn read_fields(value: &Value, problems: &mut Problems) -> Option<Form> {
    let Value::Array(items) = value else {
        problems.add(
            "fields",
            format!("expected a list of fields, found {}", kind(value)),
        );
        return None;
    };
    if items.is_empty() || items.len() > MAX_FIELDS {
        problems.add(
            "fields",
            format!("has {} fields; a form has 1 to {MAX_FIELDS}", items.len()),
        );
    }
    let before = problems.len();
    let mut fields: Vec<Field> = Vec::new();
    let mut ids = Vec::new();
    for (index, item) in items.iter().enumerate() {
        // Duplicates are found among the ids as written, so that a field with other problems
        // still counts.
        if let Some(id) = item.get("id").and_then(Value::as_str) {
            if ids.contains(&id) {
                problems.add(format!("fields[{id}].id"), "another field has this id");
            }
            ids.push(id);
        }
        if let Some(field) = read_field(item, index, problems) {
            fields.push(field);
        }
    }
    (problems.len() == before).then(|| Form::new(fields))
}

fn read_field(value: &Value, index: usize, problems: &mut Problems) -> Option<Field> {
    let id = value
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| is_field_id(id));
    let path = match id {
        Some(id) => format!("fields[{id}]"),
        None => format!("fields[#{}]", index + 1),
    };
    let mut obj = Obj::new(value, &path, problems)?;
    let id = obj.string("id", problems);
    if let Some(id) = id
        && !is_field_id(id)
    {
        problems.add(
            obj.path_of("id"),
            format!("`{id}` is not a field id: start with a lowercase letter, then lowercase letters, digits or `_` (at most 40), and not a CEL reserved word"),
        );
    }
    let label = obj.text("label", problems);
    let help = obj.text("help", problems);
    let required = obj.boolean("required", problems);
    let type_name = obj.string("type", problems);
    let kind = type_name.and_then(|kind| match kind {
        "text" => read_text_field(&mut obj, problems).map(FieldKind::Text),
        "number" => read_number_field(&mut obj, problems).map(FieldKind::Number),
        "date" => read_date_field(&mut obj, problems).map(FieldKind::Date),
        "choice" => read_choice_field(&mut obj, problems).map(FieldKind::Choice),
        "yes_no" => Some(FieldKind::YesNo(YesNoField {
            must_be_yes: obj.flag("must_be_yes", false, problems),
        })),
        "location" => read_location_field(&mut obj, problems).map(FieldKind::Location),
        other => {
            problems.add(
                obj.path_of("type"),
                format!("`{other}` is not a field type: use text, number, date, choice, yes_no or location"),
            );
            None
        }
    });
    // Only report unknown members of a known type, or every member of the type's would be
    // called unknown.
    const TYPES: [&str; 6] = ["text", "number", "date", "choice", "yes_no", "location"];
    if type_name.is_some_and(|name| TYPES.contains(&name)) {
        obj.finish(problems);
    }
    Some(Field {
        id: id.filter(|id| is_field_id(id))?.to_owned(),
        label: label?,
        help: help?,
        required: required?,
        kind: kind?,
    })
}

fn read_text_field(obj: &mut Obj<'_>, problems: &mut Problems) -> Option<TextField> {
    let max_length = obj.count("max_length", 1, MAX_TEXT_LENGTH, problems);
    let min_length = obj
        .optional_count("min_length", 0, MAX_TEXT_LENGTH, problems)
        .unwrap_or(0);
    if let Some(max) = max_length
        && min_length > max
    {
        problems.add(
            obj.path_of("min_length"),
            format!("is {min_length}, more than max_length ({max})"),
        );
    }
    let multiline = obj.flag("multiline", false, problems);
    let source = obj.optional_string("pattern", problems);
    let format = obj.optional_text("format", problems);
    let pattern = match (source, format) {
        (None, None) => None,
        (Some(_), None) => {
            problems.add(
                obj.path_of("format"),
                "is missing: a pattern needs a format that tells the citizen what to write",
            );
            return None;
        }
        (None, Some(_)) => {
            problems.add(
                obj.path_of("format"),
                "is only used with a pattern, and there is none",
            );
            return None;
        }
        (Some(source), Some(format)) => {
            // Checked as written first, so that an error quotes the operator's text rather
            // than the anchored form that `Pattern` compiles.
            let compiled = regex::Regex::new(source).and_then(|_| Pattern::new(source, format));
            match compiled {
                Ok(pattern) => Some(pattern),
                Err(error) => {
                    problems.add(
                        obj.path_of("pattern"),
                        format!("is not a valid regular expression: {error}"),
                    );
                    return None;
                }
            }
        }
    };
    Some(TextField {
        min_length,
        max_length: max_length?,
        multiline,
        pattern,
    })
}

fn read_number_field(obj: &mut Obj<'_>, problems: &mut Problems) -> Option<NumberField> {
    let unit = obj.text("unit", problems);
    let min = obj.number("min", problems);
    let max = obj.number("max", problems);
    let integer = obj.flag("integer", false, problems);
    for (key, bound) in [("min", min), ("max", max)] {
        if let Some(bound) = bound {
            if bound.abs() > MAX_NUMBER {
                problems.add(obj.path_of(key), "must be between -2^53 and 2^53");
            } else if integer && bound.fract() != 0.0 {
                problems.add(
                    obj.path_of(key),
                    "must be a whole number, since the field is integer",
                );
            }
        }
    }
    if let (Some(min), Some(max)) = (min, max)
        && min >= max
    {
        problems.add(
            obj.path_of("max"),
            format!("is {max}, not more than min ({min})"),
        );
    }
    Some(NumberField {
        unit: unit?,
        min: min?,
        max: max?,
        integer,
    })
}

fn read_date_field(obj: &mut Obj<'_>, problems: &mut Problems) -> Option<DateField> {
    let mut read = |key: &'static str, problems: &mut Problems| {
        let text = obj.optional_string(key, problems)?;
        match parse_date(text) {
            Ok(date) => Some(Ok(date)),
            Err(_) => {
                problems.add(
                    obj.path_of(key),
                    format!("`{text}` is not a date written YYYY-MM-DD"),
                );
                Some(Err(()))
            }
        }
    };
    let min = read("min", problems);
    let max = read("max", problems);
    if let (Some(Ok(min)), Some(Ok(max))) = (min, max)
        && min > max
    {
        problems.add(obj.path_of("max"), "is earlier than min");
    }
    Some(DateField {
        min: min.transpose().ok()?,
        max: max.transpose().ok()?,
    })
}

fn read_choice_field(obj: &mut Obj<'_>, problems: &mut Problems) -> Option<ChoiceField> {
    let path = obj.path_of("options");
    let Value::Array(items) = obj.required("options", problems)? else {
        problems.add(&path, "expected a list of options");
        return None;
    };
    if items.len() < 2 || items.len() > 100 {
        let count = items.len();
        let plural = if count == 1 { "" } else { "s" };
        problems.add(
            &path,
            format!("has {count} option{plural}; a choice has 2 to 100"),
        );
    }
    let before = problems.len();
    let mut options: Vec<ChoiceOption> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let item_path = format!("{path}[#{}]", index + 1);
        let Some(mut option) = Obj::new(item, &item_path, problems) else {
            continue;
        };
        let value = option.string("value", problems);
        let label = option.text("label", problems);
        option.finish(problems);
        if let Some(value) = value {
            let valid = value.len() <= 64
                && value
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
            if !valid {
                problems.add(join(&item_path, "value"), format!("`{value}` is not an option value: use lowercase letters, digits, `-` and `_` (at most 64)"));
            } else if options.iter().any(|other| other.value == value) {
                problems.add(
                    join(&item_path, "value"),
                    format!("`{value}` is already another option's value"),
                );
            }
        }
        if let (Some(value), Some(label)) = (value, label) {
            options.push(ChoiceOption {
                value: value.to_owned(),
                label,
            });
        }
    }
    (problems.len() == before).then_some(ChoiceField { options })
}

fn read_location_field(obj: &mut Obj<'_>, problems: &mut Problems) -> Option<LocationField> {
    let Some(value) = obj.optional("area") else {
        return Some(LocationField { area: None });
    };
    let path = obj.path_of("area");
    let mut area = Obj::new(value, &path, problems)?;
    let name = area.text("name", problems);
    let south = area.number("south", problems);
    let west = area.number("west", problems);
    let north = area.number("north", problems);
    let east = area.number("east", problems);
    area.finish(problems);
    let (south, west, north, east) = (south?, west?, north?, east?);
    let mut fine = true;
    for (key, value, limit) in [
        ("south", south, 90.0),
        ("north", north, 90.0),
        ("west", west, 180.0),
        ("east", east, 180.0),
    ] {
        if value.abs() > limit {
            problems.add(
                join(&path, key),
                format!("must be between -{limit} and {limit} degrees"),
            );
            fine = false;
        }
    }
    if south >= north {
        problems.add(join(&path, "north"), "must be north of south");
        fine = false;
    }
    if west >= east {
        problems.add(
            join(&path, "east"),
            "must be east of west (areas across the 180° meridian are not supported)",
        );
        fine = false;
    }
    let name = name?;
    fine.then_some(LocationField {
        area: Some(Area {
            name,
            south,
            west,
            north,
            east,
        }),
    })
}

//! A service's form: its fields, and the validation of a citizen's answers against them.
//!
//! Answers are a JSON object from field id to value. Each kind of field takes one JSON type:
//!
//! | `type` | answer | limits in the service file |
//! |---|---|---|
//! | `text` | a string | `max_length` (required), `min_length`, `multiline`, `pattern` with its `format` |
//! | `number` | a number | `unit`, `min`, `max` (all required), `integer` |
//! | `date` | `"YYYY-MM-DD"` | `min`, `max` (dates) |
//! | `choice` | one option's `value` | `options`: `[{"value", "label"}]`, at least two |
//! | `yes_no` | `true` or `false` | `must_be_yes` (a declaration that has to be ticked) |
//! | `location` | `{"lat": 22.54, "lon": 114.05}` (WGS 84 degrees) | `area`: a named bounding box |
//!
//! An optional field may be left out, or given as `null` (or `""` for text); it is then not
//! part of the [`ValidAnswers`]. Lengths count characters (Unicode scalar values), not bytes.
//!
//! [`Form::validate`] never stops at the first problem and never panics: it returns every
//! [`FieldError`], each naming the field and saying, as a localized [`Message`], what is
//! expected.

use std::collections::BTreeMap;

use regex::Regex;
use serde_json::{Map, Value};
use time::{Date, Month};

use crate::lang::Text;
use crate::message::Message;

/// The most fields a form may have.
pub const MAX_FIELDS: usize = 64;
/// The longest text a text field may allow, in characters.
pub const MAX_TEXT_LENGTH: u64 = 10_000;

/// A service's form: its fields, in the order a citizen fills them in.
#[derive(Debug, Clone)]
pub struct Form {
    fields: Vec<Field>,
}

/// One question on a form.
#[derive(Debug, Clone)]
pub struct Field {
    /// The field's id, the key of its answer: lowercase letters, digits and `_`, starting with
    /// a letter, so that a policy can write `answers.<id>`.
    pub id: String,
    /// What the field asks, as its label.
    pub label: Text,
    /// A sentence or two of help shown beside it.
    pub help: Text,
    /// Whether the citizen must answer it.
    pub required: bool,
    /// What kind of answer it takes, and its limits.
    pub kind: FieldKind,
}

/// The kinds of field, each with its limits.
#[derive(Debug, Clone)]
pub enum FieldKind {
    /// Free text.
    Text(TextField),
    /// A number with a unit.
    Number(NumberField),
    /// A calendar date.
    Date(DateField),
    /// One option out of a list.
    Choice(ChoiceField),
    /// Yes or no.
    YesNo(YesNoField),
    /// A point on the map.
    Location(LocationField),
}

/// The limits of a text field.
#[derive(Debug, Clone)]
pub struct TextField {
    /// The fewest characters a non-empty answer may have.
    pub min_length: u64,
    /// The most characters an answer may have.
    pub max_length: u64,
    /// Whether line breaks are allowed (a paragraph rather than a line).
    pub multiline: bool,
    /// A pattern the whole answer must match, if any.
    pub pattern: Option<Pattern>,
}

/// A regular expression (Rust `regex` syntax) that a text answer must match as a whole, with a
/// description of the format for the citizen.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The expression as written in the service file.
    pub source: String,
    /// What a matching answer looks like, in words: "a plate such as 粤B12345".
    pub format: Text,
    regex: Regex,
}

impl Pattern {
    /// Compiles `source`, anchored at both ends.
    pub(crate) fn new(source: &str, format: Text) -> Result<Self, regex::Error> {
        let regex = regex::RegexBuilder::new(&format!("^(?:{source})$"))
            .size_limit(1 << 20)
            .build()?;
        Ok(Self {
            source: source.to_owned(),
            format,
            regex,
        })
    }

    /// Whether `text` matches as a whole.
    pub fn matches(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

/// The limits of a number field.
#[derive(Debug, Clone)]
pub struct NumberField {
    /// The unit the number is in: "metres", "dB(A)", "yuan".
    pub unit: Text,
    /// The smallest answer allowed.
    pub min: f64,
    /// The largest answer allowed.
    pub max: f64,
    /// Whether only whole numbers are allowed.
    pub integer: bool,
}

/// The limits of a date field.
#[derive(Debug, Clone)]
pub struct DateField {
    /// The earliest date allowed.
    pub min: Option<Date>,
    /// The latest date allowed.
    pub max: Option<Date>,
}

/// The options of a choice field.
#[derive(Debug, Clone)]
pub struct ChoiceField {
    /// The options, in the order shown.
    pub options: Vec<ChoiceOption>,
}

/// One option of a choice field.
#[derive(Debug, Clone)]
pub struct ChoiceOption {
    /// The answer's value when this option is chosen: what the policy sees.
    pub value: String,
    /// What the citizen reads.
    pub label: Text,
}

/// The settings of a yes/no field.
#[derive(Debug, Clone)]
pub struct YesNoField {
    /// Whether only "yes" is accepted: a declaration the citizen must make to apply.
    pub must_be_yes: bool,
}

/// The settings of a location field.
#[derive(Debug, Clone)]
pub struct LocationField {
    /// The area a location must lie in, if any: usually the city.
    pub area: Option<Area>,
}

/// A named bounding box in WGS 84 degrees.
#[derive(Debug, Clone)]
pub struct Area {
    /// Its name, as a message says "outside {area}": "the city's administrative area".
    pub name: Text,
    /// Southern edge (latitude).
    pub south: f64,
    /// Western edge (longitude).
    pub west: f64,
    /// Northern edge (latitude).
    pub north: f64,
    /// Eastern edge (longitude).
    pub east: f64,
}

impl Area {
    /// Whether the point lies inside the box, edges included.
    pub fn contains(&self, location: Location) -> bool {
        (self.south..=self.north).contains(&location.lat)
            && (self.west..=self.east).contains(&location.lon)
    }
}

/// A point: latitude and longitude in WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Location {
    /// Degrees north (negative: south).
    pub lat: f64,
    /// Degrees east (negative: west).
    pub lon: f64,
}

/// One validated answer, typed by its field.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// A text field's answer.
    Text(String),
    /// A number field's answer (not `integer`).
    Number(f64),
    /// An `integer` number field's answer.
    Integer(i64),
    /// A date field's answer.
    Date(Date),
    /// A choice field's answer: the chosen option's value.
    Choice(String),
    /// A yes/no field's answer.
    YesNo(bool),
    /// A location field's answer.
    Location(Location),
}

/// Answers that passed [`Form::validate`]: only the form's fields, each of the right type and
/// within its limits, every required one present. Only validation makes them.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidAnswers {
    json: Map<String, Value>,
    typed: BTreeMap<String, Answer>,
}

impl ValidAnswers {
    /// The answers as JSON, exactly as given (optional fields left empty are omitted): what an
    /// application carries and the citizen signs.
    pub fn as_json(&self) -> &Map<String, Value> {
        &self.json
    }

    /// The answer to field `id`, if given.
    pub fn get(&self, id: &str) -> Option<&Answer> {
        self.typed.get(id)
    }

    /// Every answer, by field id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Answer)> {
        self.typed.iter().map(|(id, answer)| (id.as_str(), answer))
    }
}

/// One problem with an answer: the field, and what is expected, as a localized message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldError {
    /// The field's id; empty when the answers as a whole are wrong (not a JSON object).
    pub field: String,
    /// What is wrong and what is expected.
    pub message: Message,
}

impl Form {
    /// A form with these fields. The catalog reader checks them first (unique ids, sane
    /// limits); this only keeps them.
    pub(crate) fn new(fields: Vec<Field>) -> Self {
        Self { fields }
    }

    /// The fields, in order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// Field `id`.
    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.id == id)
    }

    /// Checks a draft's answers: every problem, each naming the field and what is expected,
    /// in form order (then unknown fields, by name). Never panics, whatever the JSON.
    pub fn validate(&self, answers: &Value) -> Result<ValidAnswers, Vec<FieldError>> {
        let Value::Object(given) = answers else {
            return Err(vec![FieldError {
                field: String::new(),
                message: Message::new("form.not-an-object"),
            }]);
        };
        let mut errors = Vec::new();
        let mut json = Map::new();
        let mut typed = BTreeMap::new();
        for field in &self.fields {
            let value = given.get(&field.id).filter(|value| !is_empty(value));
            match value {
                None if field.required => errors.push(field.error("form.required")),
                None => {}
                Some(value) => match field.check(value) {
                    Ok(answer) => {
                        json.insert(field.id.clone(), value.clone());
                        typed.insert(field.id.clone(), answer);
                    }
                    Err(message) => errors.push(FieldError {
                        field: field.id.clone(),
                        message,
                    }),
                },
            }
        }
        for name in given.keys() {
            if self.field(name).is_none() {
                let shown: String = name.chars().take(64).collect();
                errors.push(FieldError {
                    field: shown.clone(),
                    message: Message::new("form.unknown-field").with("field", shown),
                });
            }
        }
        if errors.is_empty() {
            Ok(ValidAnswers { json, typed })
        } else {
            Err(errors)
        }
    }
}

/// Whether an answer counts as not given: `null`, or text with nothing but spaces.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.trim().is_empty(),
        _ => false,
    }
}

impl Field {
    /// A message about this field, its label as the `field` argument.
    fn message(&self, key: &str) -> Message {
        Message::new(key).with("field", &self.label)
    }

    fn error(&self, key: &str) -> FieldError {
        FieldError {
            field: self.id.clone(),
            message: self.message(key),
        }
    }

    /// Checks one given answer.
    fn check(&self, value: &Value) -> Result<Answer, Message> {
        match &self.kind {
            FieldKind::Text(text) => self.check_text(text, value),
            FieldKind::Number(number) => self.check_number(number, value),
            FieldKind::Date(date) => self.check_date(date, value),
            FieldKind::Choice(choice) => self.check_choice(choice, value),
            FieldKind::YesNo(yes_no) => match value {
                Value::Bool(false) if yes_no.must_be_yes => Err(self.message("form.must-be-yes")),
                Value::Bool(answer) => Ok(Answer::YesNo(*answer)),
                _ => Err(self.message("form.expected-yes-no")),
            },
            FieldKind::Location(location) => self.check_location(location, value),
        }
    }

    fn check_text(&self, limits: &TextField, value: &Value) -> Result<Answer, Message> {
        let Value::String(text) = value else {
            return Err(self.message("form.expected-text"));
        };
        let allowed =
            |c: char| !c.is_control() || (limits.multiline && matches!(c, '\n' | '\r' | '\t'));
        if !text.chars().all(allowed) {
            return Err(self.message(if limits.multiline {
                "form.control-characters"
            } else {
                "form.line-breaks"
            }));
        }
        let length = text.chars().count() as u64;
        if length > limits.max_length {
            return Err(self
                .message("form.too-long")
                .with("max", limits.max_length.to_string())
                .with("length", length.to_string()));
        }
        if length < limits.min_length {
            return Err(self
                .message("form.too-short")
                .with("min", limits.min_length.to_string())
                .with("length", length.to_string()));
        }
        if let Some(pattern) = &limits.pattern
            && !pattern.matches(text)
        {
            return Err(self
                .message("form.pattern-mismatch")
                .with("format", &pattern.format));
        }
        Ok(Answer::Text(text.clone()))
    }

    fn check_number(&self, limits: &NumberField, value: &Value) -> Result<Answer, Message> {
        let Some(number) = value.as_f64().filter(|n| n.is_finite()) else {
            return Err(self
                .message("form.expected-number")
                .with("unit", &limits.unit));
        };
        let out_of_range = || {
            self.message("form.out-of-range")
                .with("min", format_number(limits.min))
                .with("max", format_number(limits.max))
                .with("unit", &limits.unit)
        };
        if !(limits.min..=limits.max).contains(&number) {
            return Err(out_of_range());
        }
        if limits.integer {
            // Within the range (whose bounds the catalog keeps within ±2^53), a whole double
            // converts to i64 exactly.
            if number.fract() != 0.0 {
                return Err(self.message("form.expected-whole-number"));
            }
            #[expect(
                clippy::cast_possible_truncation,
                reason = "a whole number within ±2^53"
            )]
            return Ok(Answer::Integer(number as i64));
        }
        Ok(Answer::Number(number))
    }

    fn check_date(&self, limits: &DateField, value: &Value) -> Result<Answer, Message> {
        let Value::String(text) = value else {
            return Err(self.message("form.expected-date"));
        };
        let date = match parse_date(text) {
            Ok(date) => date,
            Err(DateError::Format) => return Err(self.message("form.expected-date")),
            Err(DateError::NoSuchDay) => {
                return Err(self
                    .message("form.no-such-date")
                    .with("value", text.as_str()));
            }
        };
        if let Some(min) = limits.min
            && date < min
        {
            return Err(self
                .message("form.date-too-early")
                .with("min", format_date(min)));
        }
        if let Some(max) = limits.max
            && date > max
        {
            return Err(self
                .message("form.date-too-late")
                .with("max", format_date(max)));
        }
        Ok(Answer::Date(date))
    }

    fn check_choice(&self, choice: &ChoiceField, value: &Value) -> Result<Answer, Message> {
        match value {
            Value::String(text) if choice.options.iter().any(|option| option.value == *text) => {
                Ok(Answer::Choice(text.clone()))
            }
            _ => {
                let en: Vec<&str> = choice.options.iter().map(|o| o.label.en.as_str()).collect();
                let zh: Vec<&str> = choice
                    .options
                    .iter()
                    .map(|o| o.label.zh_cn.as_str())
                    .collect();
                Err(self
                    .message("form.expected-choice")
                    .with("options", Text::new(en.join(", "), zh.join("、"))))
            }
        }
    }

    fn check_location(&self, limits: &LocationField, value: &Value) -> Result<Answer, Message> {
        let expected = || self.message("form.expected-location");
        let Value::Object(members) = value else {
            return Err(expected());
        };
        if members.len() != 2 {
            return Err(expected());
        }
        let (Some(lat), Some(lon)) = (
            members.get("lat").and_then(Value::as_f64),
            members.get("lon").and_then(Value::as_f64),
        ) else {
            return Err(expected());
        };
        if !(-90.0..=90.0).contains(&lat) {
            return Err(self.message("form.bad-latitude"));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(self.message("form.bad-longitude"));
        }
        let location = Location { lat, lon };
        if let Some(area) = &limits.area
            && !area.contains(location)
        {
            return Err(self.message("form.outside-area").with("area", &area.name));
        }
        Ok(Answer::Location(location))
    }
}

/// Why text is not a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateError {
    /// Not written `YYYY-MM-DD`.
    Format,
    /// Written well, but no such day (`2026-02-30`).
    NoSuchDay,
}

/// Reads `YYYY-MM-DD` (exactly: four-digit year, two-digit month and day).
pub(crate) fn parse_date(text: &str) -> Result<Date, DateError> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes[range.clone()]
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| {
                bytes[range]
                    .iter()
                    .fold(0u32, |n, digit| n * 10 + u32::from(digit - b'0'))
            })
    };
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return Err(DateError::Format);
    }
    let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return Err(DateError::Format);
    };
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or(DateError::NoSuchDay)?;
    let day = u8::try_from(day).map_err(|_| DateError::NoSuchDay)?;
    let year = i32::try_from(year).map_err(|_| DateError::Format)?;
    Date::from_calendar_date(year, month, day).map_err(|_| DateError::NoSuchDay)
}

/// `YYYY-MM-DD`.
pub(crate) fn format_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// A number as a person writes it: `12`, not `12.0`; `5.5` as `5.5`.
pub(crate) fn format_number(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "a whole number below 10^15"
        )]
        let whole = number as i64;
        whole.to_string()
    } else {
        number.to_string()
    }
}

/// Whether `id` can be a field id: a CEL identifier that is not a reserved word.
pub(crate) fn is_field_id(id: &str) -> bool {
    const RESERVED: [&str; 21] = [
        "as",
        "break",
        "const",
        "continue",
        "else",
        "false",
        "for",
        "function",
        "if",
        "import",
        "in",
        "let",
        "loop",
        "namespace",
        "null",
        "package",
        "return",
        "true",
        "var",
        "void",
        "while",
    ];
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && id.len() <= 40
        && !RESERVED.contains(&id)
}

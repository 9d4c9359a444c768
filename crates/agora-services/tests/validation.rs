//! Answers against forms, data-driven: `check(service, answers, expected)`, where each expected
//! problem is `field: message-key`.

use agora_services::{Catalog, Lang, Service};
use serde_json::{Value, json};

use crate::support::{catalog, data, example};

/// The example's answers with `changes` applied: each member replaces the example's, and the
/// string `"(removed)"` removes it.
pub fn with(service: &str, changes: Value) -> Value {
    let mut answers = example(service).answers;
    let (Value::Object(answers_map), Value::Object(changes)) = (&mut answers, changes) else {
        panic!("objects expected");
    };
    for (key, value) in changes {
        if value == "(removed)" {
            answers_map.remove(&key);
        } else {
            answers_map.insert(key, value);
        }
    }
    answers
}

fn library() -> Service {
    let text =
        std::fs::read_to_string(data().join("library-card.json")).expect("library-card.json");
    let (name, department) = crate::support::culture_department();
    let catalog = Catalog::from_sources(
        [(name, department.as_str())],
        [("library-card.json", text.as_str())],
        [],
    )
    .expect("valid");
    catalog.service("library-card").expect("service").clone()
}

fn check_with(service: &Service, answers: Value, expected: &[&str]) {
    let found: Vec<String> = match service.form.validate(&answers) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message.key))
            .collect(),
    };
    assert_eq!(found, expected, "answers: {answers}");
}

fn check(service: &str, answers: Value, expected: &[&str]) {
    check_with(
        catalog().service(service).expect("service"),
        answers,
        expected,
    );
}

#[test]
fn every_example_is_valid() {
    for service in catalog().services() {
        check(&service.id, example(&service.id).answers, &[]);
    }
}

#[test]
fn missing_answers_name_every_required_field() {
    check(
        "parking-permit",
        json!({}),
        &[
            "zone: form.required",
            "address: form.required",
            "plate: form.required",
            "vehicle_owner: form.required",
            "vehicle_length: form.required",
            "registered_here: form.required",
            "start_date: form.required",
            "duration: form.required",
            "declaration: form.required",
        ],
    );
    check(
        "parking-permit",
        with("parking-permit", json!({"plate": "   "})),
        &["plate: form.required"],
    );
    check(
        "parking-permit",
        with("parking-permit", json!({"zone": null})),
        &["zone: form.required"],
    );
}

#[test]
fn optional_fields_may_be_left_out_or_empty() {
    check(
        "parking-permit",
        with("parking-permit", json!({"new_energy": "(removed)"})),
        &[],
    );
    check(
        "parking-permit",
        with("parking-permit", json!({"new_energy": null})),
        &[],
    );
    check(
        "incident-report",
        with("incident-report", json!({"place_description": ""})),
        &[],
    );
    let service = catalog().service("incident-report").expect("service");
    let valid = service
        .form
        .validate(&with("incident-report", json!({"place_description": ""})))
        .expect("valid");
    assert!(valid.get("place_description").is_none());
    assert!(!valid.as_json().contains_key("place_description"));
}

#[test]
fn answers_must_be_an_object_of_known_fields() {
    check("parking-permit", json!([1, 2]), &[": form.not-an-object"]);
    check("parking-permit", json!("zone=b"), &[": form.not-an-object"]);
    check(
        "parking-permit",
        with("parking-permit", json!({"colour": "red", "zone ": "b"})),
        &["colour: form.unknown-field", "zone : form.unknown-field"],
    );
}

#[test]
fn text_fields() {
    let p = "parking-permit";
    check(
        p,
        with(p, json!({"plate": 12345})),
        &["plate: form.expected-text"],
    );
    check(
        p,
        with(p, json!({"plate": "粤B 1234"})),
        &["plate: form.pattern-mismatch"],
    );
    check(
        p,
        with(p, json!({"plate": "粤b12345"})),
        &["plate: form.pattern-mismatch"],
    );
    check(
        p,
        with(p, json!({"plate": "粤BI2345"})),
        &["plate: form.pattern-mismatch"],
    );
    check(
        p,
        with(p, json!({"plate": "粤B123"})),
        &["plate: form.too-short"],
    );
    check(
        p,
        with(p, json!({"plate": "粤B1234567"})),
        &["plate: form.too-long"],
    );
    check(p, with(p, json!({"plate": "粤BD12345"})), &[]);
    check(
        p,
        with(p, json!({"address": "x".repeat(121)})),
        &["address: form.too-long"],
    );
    // Length counts characters, not bytes: 120 Chinese characters fit.
    check(p, with(p, json!({"address": "路".repeat(120)})), &[]);
    check(
        p,
        with(p, json!({"address": "滨河路 88 号\n3 栋"})),
        &["address: form.line-breaks"],
    );
    let i = "incident-report";
    check(
        i,
        with(
            i,
            json!({"description": "第一行写了事情的经过。\n第二行写了丢失的物品。"}),
        ),
        &[],
    );
    check(
        i,
        with(
            i,
            json!({"description": "有人按门铃\u{7}然后跑掉了，这是第三次发生了。"}),
        ),
        &["description: form.control-characters"],
    );
    check(
        i,
        with(i, json!({"contact_phone": "23812345678"})),
        &["contact_phone: form.pattern-mismatch"],
    );
}

#[test]
fn number_fields() {
    let p = "parking-permit";
    check(
        p,
        with(p, json!({"vehicle_length": "4.5"})),
        &["vehicle_length: form.expected-number"],
    );
    check(
        p,
        with(p, json!({"vehicle_length": 1.2})),
        &["vehicle_length: form.out-of-range"],
    );
    check(
        p,
        with(p, json!({"vehicle_length": 12.01})),
        &["vehicle_length: form.out-of-range"],
    );
    check(p, with(p, json!({"vehicle_length": 12})), &[]);
    check(
        p,
        with(p, json!({"vehicle_length": -1e300})),
        &["vehicle_length: form.out-of-range"],
    );
    let library = library();
    check_with(
        &library,
        json!({"full_name": "王小明", "age": 12.5}),
        &["age: form.expected-whole-number"],
    );
    check_with(&library, json!({"full_name": "王小明", "age": 12.0}), &[]);
    check_with(
        &library,
        json!({"full_name": "王小明", "age": 131}),
        &["age: form.out-of-range"],
    );
    check_with(
        &library,
        json!({"full_name": "王小明", "age": true}),
        &["age: form.expected-number"],
    );
}

#[test]
fn date_fields() {
    let p = "parking-permit";
    check(
        p,
        with(p, json!({"start_date": "2026-02-30"})),
        &["start_date: form.no-such-date"],
    );
    check(
        p,
        with(p, json!({"start_date": "2026-13-01"})),
        &["start_date: form.no-such-date"],
    );
    check(p, with(p, json!({"start_date": "2028-02-29"})), &[]);
    for bad in [
        "1/12/2026",
        "2026-1-05",
        "2026-01-05T00:00:00Z",
        "+2026-01-05",
        "２０２６-01-05",
        "",
    ] {
        let expected: &[&str] = if bad.is_empty() {
            &["start_date: form.required"]
        } else {
            &["start_date: form.expected-date"]
        };
        check(p, with(p, json!({"start_date": bad})), expected);
    }
    check(
        p,
        with(p, json!({"start_date": 20261201})),
        &["start_date: form.expected-date"],
    );
    let i = "incident-report";
    check(
        i,
        with(i, json!({"occurred_on": "1999-12-31"})),
        &["occurred_on: form.date-too-early"],
    );
}

#[test]
fn choice_and_yes_no_fields() {
    let p = "parking-permit";
    check(
        p,
        with(p, json!({"zone": "e"})),
        &["zone: form.expected-choice"],
    );
    check(
        p,
        with(p, json!({"zone": "B"})),
        &["zone: form.expected-choice"],
    );
    check(
        p,
        with(p, json!({"zone": ["b"]})),
        &["zone: form.expected-choice"],
    );
    check(
        p,
        with(p, json!({"registered_here": "yes"})),
        &["registered_here: form.expected-yes-no"],
    );
    check(
        p,
        with(p, json!({"registered_here": 1})),
        &["registered_here: form.expected-yes-no"],
    );
    check(p, with(p, json!({"registered_here": false})), &[]);
    check(
        p,
        with(p, json!({"declaration": false})),
        &["declaration: form.must-be-yes"],
    );
}

#[test]
fn location_fields() {
    let i = "incident-report";
    let check_location = |location: Value, expected: &[&str]| {
        check(i, with(i, json!({ "location": location })), expected);
    };
    check_location(json!({"lat": 22.5431, "lon": 114.0579}), &[]);
    check_location(
        json!({"lat": 91, "lon": 114.0}),
        &["location: form.bad-latitude"],
    );
    check_location(
        json!({"lat": 22.5, "lon": -181}),
        &["location: form.bad-longitude"],
    );
    check_location(
        json!({"lat": 39.9042, "lon": 116.4074}),
        &["location: form.outside-area"],
    );
    for bad in [
        json!("22.5,114.0"),
        json!({"lat": 22.5}),
        json!({"lat": "22.5", "lon": "114.0"}),
        json!({"lat": 22.5, "lon": 114.0, "alt": 3}),
        json!({"latitude": 22.5, "longitude": 114.0}),
        json!([22.5, 114.0]),
    ] {
        check_location(bad, &["location: form.expected-location"]);
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    check(
        "parking-permit",
        with(
            "parking-permit",
            json!({"zone": "x", "plate": "AB", "vehicle_length": 40, "declaration": false, "extra": 1}),
        ),
        &[
            "zone: form.expected-choice",
            "plate: form.too-short",
            "vehicle_length: form.out-of-range",
            "declaration: form.must-be-yes",
            "extra: form.unknown-field",
        ],
    );
}

/// Each error names the field and what is expected, in the citizen's language.
#[test]
fn errors_read_in_english_and_chinese() {
    let service = catalog().service("parking-permit").expect("service");
    let render = |answers: Value, lang: Lang| -> Vec<String> {
        let errors = service.form.validate(&answers).expect_err("invalid");
        errors
            .iter()
            .map(|e| service.render(&e.message, lang))
            .collect()
    };
    let answers = with(
        "parking-permit",
        json!({"vehicle_length": 40, "plate": "粤B 1234", "zone": "e"}),
    );
    assert_eq!(
        render(answers.clone(), Lang::En),
        [
            "Parking zone: choose one of: Zone A – Old Town, Zone B – Riverside, Zone C – University, Zone D – Harbour.",
            "Licence plate: expected a plate such as 粤B12345 (new-energy vehicles: 粤BD12345).",
            "Vehicle length: expected a number from 2 to 12 metres.",
        ]
    );
    assert_eq!(
        render(answers, Lang::ZhCn),
        [
            "停车片区：请从以下选项中选择一项：A 区 – 老城片区、B 区 – 滨河片区、C 区 – 大学城片区、D 区 – 港区片区。",
            "车牌号码：格式应为车牌号码，如 粤B12345（新能源汽车如 粤BD12345）。",
            "车身长度：数值应在 2 至 12 米之间。",
        ]
    );
    let too_long = render(
        with("parking-permit", json!({"address": "x".repeat(130)})),
        Lang::En,
    );
    assert_eq!(
        too_long,
        ["Home address: write at most 120 characters (now 130)."]
    );
}

//! Properties over arbitrary answers: reviewing never panics and always gives the same verdict
//! for the same inputs.

use agora_services::{FieldKind, ReviewContext, Service, Submission, example_applicant};
use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::support::catalog;

/// Arbitrary JSON, a few levels deep.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        (-200.0..200.0f64).prop_map(Value::from),
        "\\PC{0,40}".prop_map(Value::String),
        "20[0-9]{2}-[01][0-9]-[0-3][0-9]".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("lat|lon|[a-z]{1,5}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Answers for `service`: each of its fields (and a stray name) with arbitrary JSON, or the
/// example's value, or left out.
fn answers(service: usize) -> impl Strategy<Value = Value> {
    let service = catalog().services().nth(service).expect("service");
    let example = crate::support::example(&service.id).answers;
    let mut names: Vec<String> = service.form.fields().iter().map(|f| f.id.clone()).collect();
    names.push("stray".to_owned());
    let choices = names.into_iter().map(move |name| {
        let kept = example.get(&name).cloned();
        prop_oneof![
            8 => Just(kept),
            1 => json().prop_map(Some),
            1 => Just(None),
        ]
        .prop_map(move |value| (name.clone(), value))
    });
    choices.collect::<Vec<_>>().prop_map(|pairs| {
        let map: Map<String, Value> = pairs
            .into_iter()
            .filter_map(|(name, value)| value.map(|value| (name, value)))
            .collect();
        Value::Object(map)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn review_never_panics_and_is_deterministic(
        (service, answers) in (0..5usize).prop_flat_map(|s| (Just(s), answers(s))),
        seconds in 1_700_000_000i64..1_900_000_000,
        earlier in 0u32..10,
    ) {
        let service = catalog().services().nth(service).expect("service");
        let submission = Submission {
            applicant: example_applicant(),
            submitted_at: time::OffsetDateTime::from_unix_timestamp(seconds).expect("time"),
            context: ReviewContext { earlier_applications: earlier },
        };
        let first = service.review(&answers, &submission);
        let second = service.review(&answers, &submission);
        prop_assert_eq!(&first, &second);
        // Answers that do not fit the form never reach the policy.
        prop_assert_eq!(first.problems.is_empty(), service.form.validate(&answers).is_ok());
    }

    #[test]
    fn validation_never_panics_on_any_json(answers in json()) {
        for service in catalog().services() {
            let _ = service.form.validate(&answers);
        }
    }
}

/// Valid answers for `service`, built from its form: the example's text, and for every other
/// field a random value within its limits; optional fields sometimes left out.
fn valid_answers(service: &'static Service) -> impl Strategy<Value = Value> {
    let example = crate::support::example(&service.id).answers;
    let fields = service.form.fields().iter().map(move |field| {
        let kept = example.get(&field.id).cloned();
        let value: BoxedStrategy<Option<Value>> = match &field.kind {
            FieldKind::Text(_) | FieldKind::Location(_) => Just(kept).boxed(),
            FieldKind::Number(number) if number.integer => ((number.min as i64)
                ..=(number.max as i64))
                .prop_map(|n| Some(Value::from(n)))
                .boxed(),
            FieldKind::Number(number) => (number.min..=number.max)
                .prop_map(|n| Some(Value::from(n)))
                .boxed(),
            FieldKind::Date(_) => (2000i32..2031, 1u8..13, 1u8..29)
                .prop_map(|(y, m, d)| Some(Value::from(format!("{y:04}-{m:02}-{d:02}"))))
                .boxed(),
            FieldKind::Choice(choice) => {
                let values: Vec<String> = choice.options.iter().map(|o| o.value.clone()).collect();
                prop::sample::select(values)
                    .prop_map(|v| Some(Value::from(v)))
                    .boxed()
            }
            FieldKind::YesNo(yes_no) if yes_no.must_be_yes => Just(Some(Value::Bool(true))).boxed(),
            FieldKind::YesNo(_) => any::<bool>().prop_map(|b| Some(Value::Bool(b))).boxed(),
        };
        let required = field.required;
        let id = field.id.clone();
        (value, any::<bool>()).prop_map(move |(value, leave_out)| {
            let value = if leave_out && !required { None } else { value };
            (id.clone(), value)
        })
    });
    fields.collect::<Vec<_>>().prop_map(|pairs| {
        Value::Object(
            pairs
                .into_iter()
                .filter_map(|(id, v)| v.map(|v| (id, v)))
                .collect(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The shipped policies evaluate every valid application: no rule fails (such as by
    /// reading an optional answer without `has()`), whatever the dates, numbers and choices.
    #[test]
    fn shipped_policies_evaluate_every_valid_application(
        (service, answers) in (0..5usize).prop_flat_map(|s| {
            let service = catalog().services().nth(s).expect("service");
            (Just(service), valid_answers(service))
        }),
        seconds in 1_700_000_000i64..1_900_000_000,
        earlier in 0u32..10,
    ) {
        let submission = Submission {
            applicant: example_applicant(),
            submitted_at: time::OffsetDateTime::from_unix_timestamp(seconds).expect("time"),
            context: ReviewContext { earlier_applications: earlier },
        };
        let valid = service.form.validate(&answers);
        prop_assert!(valid.is_ok(), "{}: {:?}", service.id, valid.err());
        let valid = valid.expect("valid");
        let first = service.policy.evaluate(&valid, &submission, service.time_zone);
        prop_assert!(first.is_ok(), "{}: {:?} on {}", service.id, first.as_ref().err(), answers);
        prop_assert_eq!(&first, &service.policy.evaluate(&valid, &submission, service.time_zone));
    }
}

//! Policies: outcomes and reasons for every shipped service (data-driven), the time zone,
//! failures, hashes, and what a decision cites.

use agora_services::catalog::EMBEDDED_SERVICES;
use agora_services::{
    Catalog, EvaluationError, Outcome, ReviewContext, Service, Submission, Verdict,
    example_applicant, policy_hash,
};
use serde_json::{Value, json};

use crate::support::{at, catalog, data, example, example_submission, service};
use crate::validation::with;

/// A submission by the example applicant at `time`, with `earlier` earlier applications.
pub fn submission(time: &str, earlier: u32) -> Submission {
    Submission {
        applicant: example_applicant(),
        submitted_at: at(time),
        context: ReviewContext {
            earlier_applications: earlier,
        },
    }
}

/// The time the shipped examples pin.
const EXAMPLE_TIME: &str = "2026-11-24T09:30:00+08:00";

fn keys(verdict: &Verdict) -> Vec<&str> {
    verdict.reasons.iter().map(|r| r.key.as_str()).collect()
}

/// The example's answers with `changes`, submitted at `time` after `earlier` applications,
/// must give `outcome` for `reasons`.
fn check(id: &str, changes: Value, time: &str, earlier: u32, outcome: Outcome, reasons: &[&str]) {
    let answers = with(id, changes.clone());
    let verdict = service(id).review(&answers, &submission(time, earlier));
    assert_eq!(
        (verdict.outcome, keys(&verdict)),
        (outcome, reasons.to_vec()),
        "{id} with {changes} at {time}, {earlier} earlier"
    );
}

#[test]
fn every_shipped_example_is_approved() {
    for service in catalog().services() {
        let file = example(&service.id);
        let verdict = service.review(&file.answers, &example_submission(&file));
        assert_eq!(
            verdict.outcome,
            Outcome::Approve,
            "{}: {verdict:?}",
            service.id
        );
        assert!(verdict.problems.is_empty());
        assert_eq!(verdict.policy, service.policy.reference());
    }
}

#[test]
fn parking_permit() {
    use Outcome::*;
    let p = "parking-permit";
    let t = EXAMPLE_TIME;
    check(p, json!({}), t, 0, Approve, &["parking-permit.eligible"]);
    check(p, json!({}), t, 1, Reject, &["parking-permit.quota"]);
    check(
        p,
        json!({"start_date": "2026-11-23"}),
        t,
        0,
        Reject,
        &["parking-permit.start-in-past"],
    );
    check(
        p,
        json!({"start_date": "2026-11-24"}),
        t,
        0,
        Approve,
        &["parking-permit.eligible"],
    );
    check(
        p,
        json!({"start_date": "2027-01-23"}),
        t,
        0,
        Approve,
        &["parking-permit.eligible"],
    );
    check(
        p,
        json!({"start_date": "2027-01-24"}),
        t,
        0,
        Reject,
        &["parking-permit.start-too-far"],
    );
    check(
        p,
        json!({"vehicle_length": 5.6}),
        t,
        0,
        Reject,
        &["parking-permit.vehicle-too-long"],
    );
    check(
        p,
        json!({"vehicle_length": 5.5}),
        t,
        0,
        Approve,
        &["parking-permit.eligible"],
    );
    check(
        p,
        json!({"vehicle_owner": "employer"}),
        t,
        0,
        Refer,
        &["parking-permit.company-vehicle"],
    );
    check(
        p,
        json!({"vehicle_owner": "employer", "registered_here": false}),
        t,
        0,
        Refer,
        &[
            "parking-permit.company-vehicle",
            "parking-permit.registered-elsewhere",
        ],
    );
    // A reason to reject outweighs reasons to refer, and every reason to reject is given.
    check(
        p,
        json!({"vehicle_owner": "employer", "vehicle_length": 6, "start_date": "2026-01-01"}),
        t,
        1,
        Reject,
        &[
            "parking-permit.quota",
            "parking-permit.start-in-past",
            "parking-permit.vehicle-too-long",
        ],
    );
}

#[test]
fn incident_report() {
    use Outcome::*;
    let i = "incident-report";
    let t = EXAMPLE_TIME;
    check(i, json!({}), t, 0, Approve, &["incident-report.recorded"]);
    check(
        i,
        json!({"occurred_on": "2026-11-25"}),
        t,
        0,
        Reject,
        &["incident-report.future-date"],
    );
    check(
        i,
        json!({"occurred_on": "2026-11-24"}),
        t,
        0,
        Approve,
        &["incident-report.recorded"],
    );
    check(
        i,
        json!({"ongoing": true}),
        t,
        0,
        Refer,
        &["incident-report.ongoing"],
    );
    check(
        i,
        json!({"injuries": true}),
        t,
        0,
        Refer,
        &["incident-report.injuries"],
    );
    check(
        i,
        json!({"estimated_loss": 3000}),
        t,
        0,
        Refer,
        &["incident-report.high-value"],
    );
    check(
        i,
        json!({"estimated_loss": 2999.5}),
        t,
        0,
        Approve,
        &["incident-report.recorded"],
    );
    // The optional loss left out: the rule tests for it with has().
    check(
        i,
        json!({"estimated_loss": "(removed)"}),
        t,
        0,
        Approve,
        &["incident-report.recorded"],
    );
    check(
        i,
        json!({"occurred_on": "2026-10-25"}),
        t,
        0,
        Approve,
        &["incident-report.recorded"],
    );
    check(
        i,
        json!({"occurred_on": "2026-10-24"}),
        t,
        0,
        Refer,
        &["incident-report.late-report"],
    );
    check(i, json!({}), t, 4, Approve, &["incident-report.recorded"]);
    check(i, json!({}), t, 5, Refer, &["incident-report.many-reports"]);
}

#[test]
fn health_certificate() {
    use Outcome::*;
    let h = "health-certificate";
    let t = EXAMPLE_TIME;
    check(h, json!({}), t, 0, Approve, &["health-certificate.booked"]);
    check(h, json!({}), t, 1, Reject, &["health-certificate.quota"]);
    // Sixteen today is old enough; sixteen tomorrow is not.
    check(
        h,
        json!({"birth_date": "2010-11-24"}),
        t,
        0,
        Approve,
        &["health-certificate.booked"],
    );
    check(
        h,
        json!({"birth_date": "2010-11-25"}),
        t,
        0,
        Reject,
        &["health-certificate.too-young"],
    );
    check(
        h,
        json!({"birth_date": "2010-12-01"}),
        t,
        0,
        Reject,
        &["health-certificate.too-young"],
    );
    check(
        h,
        json!({"appointment_date": "2026-11-24"}),
        t,
        0,
        Reject,
        &["health-certificate.too-soon"],
    );
    check(
        h,
        json!({"appointment_date": "2026-11-25"}),
        t,
        0,
        Approve,
        &["health-certificate.booked"],
    );
    check(
        h,
        json!({"appointment_date": "2026-12-24"}),
        t,
        0,
        Approve,
        &["health-certificate.booked"],
    );
    check(
        h,
        json!({"appointment_date": "2026-12-25"}),
        t,
        0,
        Reject,
        &["health-certificate.too-far"],
    );
    check(
        h,
        json!({"appointment_date": "2026-11-29"}),
        t,
        0,
        Reject,
        &["health-certificate.sunday"],
    );
    check(
        h,
        json!({"symptoms": true}),
        t,
        0,
        Refer,
        &["health-certificate.symptoms"],
    );
}

#[test]
fn noise_complaint() {
    use Outcome::*;
    let n = "noise-complaint";
    let t = EXAMPLE_TIME;
    check(n, json!({}), t, 0, Approve, &["noise-complaint.registered"]);
    check(
        n,
        json!({"source": "neighbours"}),
        t,
        0,
        Reject,
        &["noise-complaint.neighbours"],
    );
    check(
        n,
        json!({"started_on": "2026-11-30"}),
        t,
        0,
        Reject,
        &["noise-complaint.future-date"],
    );
    check(
        n,
        json!({"source": "construction", "time_of_day": "night"}),
        t,
        0,
        Refer,
        &["noise-complaint.night-construction"],
    );
    check(
        n,
        json!({"source": "construction", "time_of_day": "day"}),
        t,
        0,
        Approve,
        &["noise-complaint.registered"],
    );
    check(
        n,
        json!({"measured_level": 85}),
        t,
        0,
        Refer,
        &["noise-complaint.very-loud"],
    );
    check(
        n,
        json!({"measured_level": "(removed)"}),
        t,
        0,
        Approve,
        &["noise-complaint.registered"],
    );
    check(
        n,
        json!({"started_on": "2026-08-01", "ongoing": false}),
        t,
        0,
        Reject,
        &["noise-complaint.too-old"],
    );
    check(
        n,
        json!({"started_on": "2026-08-01", "ongoing": true}),
        t,
        0,
        Approve,
        &["noise-complaint.registered"],
    );
    check(n, json!({}), t, 3, Refer, &["noise-complaint.repeat"]);
}

#[test]
fn planning_consultation() {
    use Outcome::*;
    let c = "planning-consultation";
    let t = EXAMPLE_TIME;
    check(
        c,
        json!({}),
        t,
        0,
        Approve,
        &["planning-consultation.comment-received"],
    );
    check(
        c,
        json!({"comment": "(removed)"}),
        t,
        0,
        Approve,
        &["planning-consultation.counted"],
    );
    check(
        c,
        json!({}),
        t,
        1,
        Reject,
        &["planning-consultation.already-responded"],
    );
    check(
        c,
        json!({}),
        "2026-10-31T23:59:59+08:00",
        0,
        Reject,
        &["planning-consultation.not-open"],
    );
    check(
        c,
        json!({}),
        "2026-11-01T00:00:00+08:00",
        0,
        Approve,
        &["planning-consultation.comment-received"],
    );
    check(
        c,
        json!({}),
        "2027-06-30T23:59:59+08:00",
        0,
        Approve,
        &["planning-consultation.comment-received"],
    );
    check(
        c,
        json!({}),
        "2027-06-30T16:00:00Z",
        0,
        Reject,
        &["planning-consultation.closed"],
    );
    // A vote without reading the plan does not fit the form: rejected, the field named.
    let verdict = service(c).review(&with(c, json!({"read_plan": false})), &submission(t, 0));
    assert_eq!(verdict.outcome, Reject);
    assert_eq!(
        keys(&verdict),
        ["review.invalid-answers", "form.must-be-yes"]
    );
    assert_eq!(verdict.problems.len(), 1);
    assert_eq!(verdict.problems[0].field, "read_plan");
}

/// `today` is the submission's date in the service's time zone (Asia/Shanghai, UTC+8), not in
/// UTC.
#[test]
fn today_is_the_date_in_the_service_time_zone() {
    use Outcome::*;
    let p = "parking-permit";
    let late_evening = "2026-11-30T15:59:59Z"; // 23:59:59 on 30 November in Shanghai
    let after_midnight = "2026-11-30T16:00:00Z"; // 00:00 on 1 December in Shanghai
    check(
        p,
        json!({"start_date": "2026-11-30"}),
        late_evening,
        0,
        Approve,
        &["parking-permit.eligible"],
    );
    check(
        p,
        json!({"start_date": "2026-11-30"}),
        after_midnight,
        0,
        Reject,
        &["parking-permit.start-in-past"],
    );
}

/// The library card of `tests/data/`, with its policy's rules replaced.
fn library_with_rules(rules: Value, open: bool) -> Service {
    let text =
        std::fs::read_to_string(data().join("library-card.json")).expect("library-card.json");
    let mut value: Value = serde_json::from_str(&text).expect("JSON");
    value["policy"]["rules"] = rules;
    value["open"] = json!(open);
    let text = value.to_string();
    let (name, department) = crate::support::culture_department();
    let catalog = Catalog::from_sources(
        [(name, department.as_str())],
        [("library-card.json", text.as_str())],
        [],
    )
    .unwrap_or_else(|report| panic!("{report}"));
    catalog.service("library-card").expect("service").clone()
}

#[test]
fn a_rule_that_cannot_be_evaluated_refers_to_an_officer() {
    // Reads the optional nickname without has(): fails when it is left out.
    let service = library_with_rules(
        json!([{"id": "nickname", "when": "answers.nickname == 'boss'", "outcome": "reject", "reason": "library-card.child"}]),
        true,
    );
    let time = submission(EXAMPLE_TIME, 0);
    let answers = json!({"full_name": "王小明", "age": 30});
    let verdict = service.review(&answers, &time);
    assert_eq!(verdict.outcome, Outcome::Refer);
    assert_eq!(keys(&verdict), ["review.policy-failed"]);
    assert_eq!(verdict.reasons[0].args["rule"], "nickname".into());
    let valid = service.form.validate(&answers).expect("valid");
    let error = service
        .policy
        .evaluate(&valid, &time, service.time_zone)
        .expect_err("fails");
    assert!(
        matches!(error, EvaluationError::Rule { ref rule, .. } if rule == "nickname"),
        "{error}"
    );

    // The same rule with the nickname given evaluates.
    let verdict = service.review(
        &json!({"full_name": "王小明", "age": 30, "nickname": "boss"}),
        &time,
    );
    assert_eq!(verdict.outcome, Outcome::Reject);

    let service = library_with_rules(
        json!([{"id": "number", "when": "answers.age + 1", "outcome": "reject", "reason": "library-card.child"}]),
        true,
    );
    let valid = service.form.validate(&answers).expect("valid");
    let error = service
        .policy
        .evaluate(&valid, &time, service.time_zone)
        .expect_err("not a boolean");
    assert!(
        matches!(error, EvaluationError::NotBoolean { .. }),
        "{error}"
    );
}

#[test]
fn a_closed_service_rejects() {
    let service = library_with_rules(json!([]), false);
    let verdict = service.review(
        &json!({"full_name": "王小明", "age": 30}),
        &submission(EXAMPLE_TIME, 0),
    );
    assert_eq!(
        (verdict.outcome, keys(&verdict)),
        (Outcome::Reject, vec!["review.closed"])
    );
}

#[test]
fn a_costly_but_bounded_rule_runs_to_the_end() {
    let list = format!(
        "[{}]",
        (0..50).map(|n| n.to_string()).collect::<Vec<_>>().join(",")
    );
    let service = library_with_rules(
        json!([{"id": "pairs", "when": format!("{list}.all(a, {list}.exists(b, a + b == answers.age))"),
                "outcome": "refer", "reason": "library-card.child"}]),
        true,
    );
    let rule = &service.policy.rules()[0];
    assert!(
        rule.cost > 10_000 && rule.cost <= agora_services::policy::MAX_COST,
        "{}",
        rule.cost
    );
    let verdict = service.review(
        &json!({"full_name": "王小明", "age": 30}),
        &submission(EXAMPLE_TIME, 0),
    );
    assert_eq!(verdict.outcome, Outcome::Approve);
}

#[test]
fn an_evaluation_names_the_rules_that_matched() {
    let service = service("parking-permit");
    let answers = with(
        "parking-permit",
        json!({"vehicle_owner": "employer", "registered_here": false}),
    );
    let valid = service.form.validate(&answers).expect("valid");
    let evaluation = service
        .policy
        .evaluate(&valid, &submission(EXAMPLE_TIME, 0), service.time_zone)
        .expect("evaluates");
    assert_eq!(
        evaluation.matched,
        ["company-vehicle", "registered-elsewhere"]
    );
    assert_eq!(evaluation.policy, service.policy.reference());
}

/// The hashes of the shipped policies. If a policy changes on purpose, bump its `version` and
/// update its hash here: a decision that cites the old hash must still be explainable.
const SHIPPED_HASHES: [(&str, &str); 5] = [
    (
        "health-certificate",
        "5295a5b86dbe40793c25383cf6e3bab985a273a2d647e08c6e5233c327194d1d",
    ),
    (
        "incident-report",
        "1f3f40e1e34b2f8b3813c98ba017469758bf02ff65cb43b768d4919902e46149",
    ),
    (
        "noise-complaint",
        "32d8f0ca704342080380a2cd42ea54aa24e1904b885654319ed3bb182a9ff049",
    ),
    (
        "parking-permit",
        "3e46aac24599beea64d60487008545c71c577b1597d17223c92d19b892310e35",
    ),
    (
        "planning-consultation",
        "4073983494f4db638c06da4252f90ca6d77f629d84874030035f84fbad3f9046",
    ),
];

#[test]
fn shipped_policy_hashes_are_stable() {
    for (id, hash) in SHIPPED_HASHES {
        let reference = service(id).policy.reference();
        assert_eq!(
            reference.sha256, hash,
            "{id}: policy changed; bump its version and update the hash"
        );
        assert_eq!(reference.version, 1);
    }
}

/// Anyone can recompute the hash from the published file: SHA-256 of the RFC 8785 form of its
/// `policy` member.
#[test]
fn the_hash_is_over_the_canonical_policy_json() {
    use sha2::{Digest, Sha256};
    for (name, text) in EMBEDDED_SERVICES {
        let file: Value = serde_json::from_str(text).expect("JSON");
        let canonical =
            agora_identity::canonical::canonicalize(&file["policy"]).expect("canonical");
        let expected: [u8; 32] = Sha256::digest(&canonical).into();
        let id = name.trim_end_matches(".json");
        assert_eq!(service(id).policy.sha256(), expected, "{id}");
        assert_eq!(
            policy_hash(&file["policy"]).expect("hash"),
            expected,
            "{id}"
        );
    }
}

#[test]
fn the_hash_ignores_layout_and_changes_with_content() {
    let (_, text) = EMBEDDED_SERVICES
        .into_iter()
        .find(|(name, _)| *name == "parking-permit.json")
        .expect("shipped");
    let original: Value = serde_json::from_str(text).expect("JSON");
    let hash_of = |value: &Value| {
        let text = serde_json::to_string(value).expect("text");
        let catalog = Catalog::from_sources(
            agora_services::catalog::EMBEDDED_DEPARTMENTS,
            [("parking-permit.json", text.as_str())],
            [],
        )
        .unwrap_or_else(|report| panic!("{report}"));
        catalog
            .service("parking-permit")
            .expect("service")
            .policy
            .reference()
            .sha256
    };
    let hash = hash_of(&original);
    // Compact instead of indented, and members in another order: the same policy.
    let mut reordered = original.clone();
    let policy = reordered["policy"].take();
    let Value::Object(members) = policy else {
        panic!("object")
    };
    let reversed: serde_json::Map<String, Value> = members.into_iter().rev().collect();
    reordered["policy"] = Value::Object(reversed);
    assert_eq!(hash_of(&reordered), hash);

    let mut changed = original.clone();
    changed["policy"]["rules"][3]["when"] = json!("answers.vehicle_length > 6.0");
    assert_ne!(hash_of(&changed), hash, "a changed rule");
    let mut bumped = original.clone();
    bumped["policy"]["version"] = json!(2);
    assert_ne!(hash_of(&bumped), hash, "a new version");
    let mut commented = original.clone();
    commented["policy"]["$comment"] = json!("reviewed by the bureau");
    assert_ne!(
        hash_of(&commented),
        hash,
        "a comment is part of what is published"
    );
    // The form is not part of the policy's hash.
    let mut form = original;
    form["title"]["en"] = json!("Residents' parking");
    assert_eq!(hash_of(&form), hash);
}

#[test]
fn reviewing_is_deterministic() {
    for service in catalog().services() {
        let file = example(&service.id);
        let submission = example_submission(&file);
        let first = service.review(&file.answers, &submission);
        for _ in 0..20 {
            assert_eq!(service.review(&file.answers, &submission), first);
        }
    }
}

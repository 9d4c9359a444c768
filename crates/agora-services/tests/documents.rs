//! The shared documents: application, decision, status, verdict; their JSON shapes, and an
//! application signed and verified with agora-identity.

use std::time::SystemTime;

use agora_identity::proof::{self, VerifyOptions};
use agora_identity::{Identity, ProofOptions};
use agora_services::{
    Application, ApplicationId, Decision, DocumentError, Message, Outcome, Status,
    example_applicant,
};
use serde_json::{Value, json};

use crate::policy::submission;
use crate::support::{at, example, service};

fn application() -> Application {
    let service = service("parking-permit");
    let answers = service
        .form
        .validate(&example("parking-permit").answers)
        .expect("valid");
    let id = ApplicationId::parse("urn:uuid:3f1c2a4e-8b7d-4c1e-9a2f-5d6e7f8a9b0c").expect("id");
    Application::new(
        service,
        &answers,
        example_applicant(),
        id,
        at("2026-11-24T09:30:15.250+08:00"),
    )
}

#[test]
fn an_application_has_the_documented_shape() {
    let application = application();
    let json = application.to_json();
    let service = service("parking-permit");
    let did = example_applicant().to_string();
    assert_eq!(json["@context"][0], "https://www.w3.org/ns/credentials/v2");
    assert_eq!(json["@context"][1]["answers"]["@type"], "@json");
    assert_eq!(
        json["type"],
        json!(["VerifiableCredential", "AgoraApplication"])
    );
    assert_eq!(json["id"], "urn:uuid:3f1c2a4e-8b7d-4c1e-9a2f-5d6e7f8a9b0c");
    assert_eq!(json["issuer"], did.as_str());
    // UTC, to the second.
    assert_eq!(json["validFrom"], "2026-11-24T01:30:15Z");
    assert_eq!(
        json["credentialSubject"],
        json!({
            "id": did,
            "service": "parking-permit",
            "policy": {
                "id": "transport/residential-parking-permit",
                "version": 1,
                "sha256": service.policy.reference().sha256,
            },
            "answers": example("parking-permit").answers,
        })
    );
    let members: Vec<&String> = json.as_object().expect("object").keys().collect();
    assert_eq!(members.len(), 6, "{members:?}");
}

#[test]
fn an_application_reads_back_as_written() {
    let application = application();
    let json = application.to_json();
    let read = Application::from_json(&json).expect("reads");
    assert_eq!(read, application);
    assert_eq!(read.to_json(), json);
    // Through serde as well.
    let text = serde_json::to_string(&application).expect("serializes");
    let parsed: Application = serde_json::from_str(&text).expect("deserializes");
    assert_eq!(parsed, application);
}

#[test]
fn a_signed_application_verifies_and_reads() {
    let citizen = Identity::from_signing_key(agora_identity::SigningKey::from_bytes(&[7; 32]));
    assert_eq!(citizen.did(), example_applicant());
    let signed = citizen
        .sign(
            &application().to_json(),
            &ProofOptions::assertion().created("2026-11-24T01:30:16Z"),
        )
        .expect("signs");
    let verified = proof::verify(&signed, &VerifyOptions::assertion().at(SystemTime::now()))
        .expect("verifies");
    assert_eq!(verified.signer, citizen.did());
    let read = Application::from_json(&signed).expect("reads, proof aside");
    assert_eq!(read, application());

    // The department reviews what was signed, as the applicant signed it.
    let verdict = service("parking-permit")
        .review_application(&read, &submission("2026-11-24T09:31:00+08:00", 0));
    assert_eq!(verdict.outcome, Outcome::Approve);
}

#[test]
fn the_desk_refuses_an_application_for_another_service_or_applicant() {
    let application = application();
    let verdict = service("noise-complaint")
        .review_application(&application, &submission("2026-11-24T09:31:00+08:00", 0));
    assert_eq!(verdict.outcome, Outcome::Reject);
    assert_eq!(verdict.reasons[0].key, "review.wrong-service");

    let mut other = submission("2026-11-24T09:31:00+08:00", 0);
    other.applicant =
        Identity::from_signing_key(agora_identity::SigningKey::from_bytes(&[8; 32])).did();
    let verdict = service("parking-permit").review_application(&application, &other);
    assert_eq!(verdict.reasons[0].key, "review.wrong-applicant");
}

#[test]
fn documents_that_are_not_applications_are_refused() {
    let json = application().to_json();
    let mut wrong_context = json.clone();
    wrong_context["@context"] = json!(["https://www.w3.org/ns/credentials/v2"]);
    assert_eq!(
        Application::from_json(&wrong_context),
        Err(DocumentError::Context)
    );

    let mut wrong_type = json.clone();
    wrong_type["type"] = json!(["VerifiableCredential", "AgoraDecision"]);
    assert!(matches!(
        Application::from_json(&wrong_type),
        Err(DocumentError::Type { .. })
    ));

    let mut extra = json.clone();
    extra["credentialStatus"] = json!({});
    assert!(matches!(
        Application::from_json(&extra),
        Err(DocumentError::Shape(_))
    ));

    let mut local_time = json.clone();
    local_time["validFrom"] = json!("2026-11-24T09:30:15+08:00");
    let error = Application::from_json(&local_time).expect_err("refused");
    assert!(error.to_string().contains("UTC to the second"), "{error}");

    let mut bad_issuer = json.clone();
    bad_issuer["issuer"] = json!("did:web:example.com");
    assert!(matches!(
        Application::from_json(&bad_issuer),
        Err(DocumentError::Shape(_))
    ));

    assert!(Application::from_json(&json!("application")).is_err());
}

#[test]
fn application_ids_are_random_lowercase_urns() {
    let a = ApplicationId::random().expect("random");
    let b = ApplicationId::random().expect("random");
    assert_ne!(a, b);
    assert_eq!(a.uuid().get_version_num(), 4);
    let text = a.to_string();
    assert!(text.starts_with("urn:uuid:"));
    assert_eq!(ApplicationId::parse(&text), Ok(a));
    for bad in [
        "3f1c2a4e-8b7d-4c1e-9a2f-5d6e7f8a9b0c",
        "urn:uuid:3F1C2A4E-8B7D-4C1E-9A2F-5D6E7F8A9B0C",
        "urn:uuid:3f1c2a4e8b7d4c1e9a2f5d6e7f8a9b0c",
        "urn:uuid:{3f1c2a4e-8b7d-4c1e-9a2f-5d6e7f8a9b0c}",
        "urn:uuid:",
    ] {
        assert!(ApplicationId::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_decision_has_the_documented_shape_and_reads_back() {
    let application = application();
    let parking = service("parking-permit");
    let verdict =
        parking.review_application(&application, &submission("2026-11-24T09:31:00+08:00", 0));
    let decision = Decision::new(
        application.id,
        "9b".repeat(32),
        &parking.id,
        &verdict,
        parking.department.keys[0].did,
        at("2026-11-24T09:31:07+08:00"),
    );
    let json = decision.to_json();
    assert_eq!(
        json,
        json!({
            "@context": agora_services::vc::context(),
            "type": ["VerifiableCredential", "AgoraDecision"],
            "issuer": parking.department.keys[0].did.to_string(),
            "validFrom": "2026-11-24T01:31:07Z",
            "credentialSubject": {
                "id": "urn:uuid:3f1c2a4e-8b7d-4c1e-9a2f-5d6e7f8a9b0c",
                "application_sha256": "9b".repeat(32),
                "service": "parking-permit",
                "outcome": "approve",
                "reasons": [{"key": "parking-permit.eligible"}],
                "policy": parking.policy.reference(),
            }
        })
    );
    assert_eq!(Decision::from_json(&json), Ok(decision.clone()));
    assert!(matches!(
        Application::from_json(&json),
        Err(DocumentError::Type { .. })
    ));

    // Signed by the department, it verifies against the department's did:key.
    let keys: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::support::assets().join("demo-desk-keys/transport.json"))
            .expect("keys"),
    )
    .expect("JSON");
    let desk = Identity::from_secret_multikey(
        keys["signing_key"]["secretKeyMultibase"]
            .as_str()
            .expect("secret"),
    )
    .expect("key");
    let signed = desk.sign(&json, &ProofOptions::assertion()).expect("signs");
    let verified = proof::verify(&signed, &VerifyOptions::assertion()).expect("verifies");
    assert_eq!(verified.signer, parking.department.keys[0].did);
    assert_eq!(Decision::from_json(&signed), Ok(decision));
}

#[test]
fn statuses_have_the_documented_shape() {
    let cases = [
        (Status::Draft, json!({"state": "draft"})),
        (Status::Signed, json!({"state": "signed"})),
        (Status::Queued, json!({"state": "queued"})),
        (Status::Anchored, json!({"state": "anchored"})),
        (
            Status::Decided {
                outcome: Outcome::Refer,
            },
            json!({"state": "decided", "outcome": "refer"}),
        ),
        (
            Status::Failed {
                reason: Message::new("review.closed"),
            },
            json!({"state": "failed", "reason": {"key": "review.closed"}}),
        ),
    ];
    for (status, expected) in cases {
        assert_eq!(serde_json::to_value(&status).expect("serializes"), expected);
        assert_eq!(
            serde_json::from_value::<Status>(expected).expect("deserializes"),
            status
        );
    }
    assert!(serde_json::from_value::<Status>(json!({"state": "lost"})).is_err());
    assert!(serde_json::from_value::<Status>(json!({"state": "decided"})).is_err());
    assert!(
        Status::Decided {
            outcome: Outcome::Approve
        }
        .is_final()
    );
    assert!(!Status::Queued.is_final());
}

#[test]
fn a_verdict_and_a_message_have_the_documented_shape() {
    let verdict = service("parking-permit").review(
        &json!({"plate": "x"}),
        &submission("2026-11-24T09:31:00+08:00", 0),
    );
    let json = serde_json::to_value(&verdict).expect("serializes");
    assert_eq!(json["outcome"], "reject");
    assert_eq!(json["reasons"][0], json!({"key": "review.invalid-answers"}));
    assert_eq!(json["policy"]["id"], "transport/residential-parking-permit");
    let plate = json["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .find(|p| p["field"] == "plate")
        .expect("plate");
    assert_eq!(
        plate["message"],
        json!({"key": "form.too-short", "args": {
            "field": {"en": "Licence plate", "zh-CN": "车牌号码"}, "min": "7", "length": "1"
        }})
    );
}

//! The crate's one integration-test binary.
//!
//! - `catalog`: the shipped catalog loads and checks clean, its department keys match the demo
//!   desk keys, a sixth service is one file, and every bad catalog under `data/catalogs/` is
//!   reported with the expected file, member and message (data-driven).
//! - `validation`: answers against forms, each case `check(service, answers, expected)`.
//! - `policy`: every shipped example approved, variants rejected or referred with the right
//!   reasons, the time zone, policy failures, hashes, and limits on expensive rules.
//! - `documents`: application, decision and status JSON shapes, and signing an application.
//! - `locales`: every message has English and Chinese text with the same Fluent variables.
//! - `properties`: review is deterministic and never panics, whatever the answers.

mod support;

mod catalog;
mod documents;
mod locales;
mod policy;
mod properties;
mod validation;

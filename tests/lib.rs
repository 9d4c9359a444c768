//! Cross-crate tests for Agora. The tests themselves are in `e2e.rs` and its modules; this
//! library is empty on purpose.

//! Cross-crate tests: one binary, one module per concern.

mod architecture;

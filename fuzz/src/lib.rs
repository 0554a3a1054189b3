//! Fuzz harnesses for `kafka-s3-sink` (see `fuzz/README.md`).
//!
//! [`harness`] holds what every target does with one input; `tests/fuzz_regressions.rs` in the
//! main crate includes the same file to replay kept inputs without libFuzzer. [`structured`]
//! turns fuzz bytes into event JSON with `arbitrary`.

pub mod harness;
pub mod structured;

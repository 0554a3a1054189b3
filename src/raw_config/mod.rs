//! The raw layer of the configuration: connector keys and their text as the sources give
//! them (config file, `S3_SINK_*` variables), config-provider placeholders resolved, nothing
//! interpreted yet.
//!
//! It sits below the two layers that give keys a meaning: [`crate::config`] validates the
//! sink's keys into a `Config`, and [`crate::transform`] reads the `transforms.*` and
//! `predicates.*` keys into its chain. Both read a [`RawConfig`] and report [`KeyError`]s, and
//! neither needs the other for that.

pub mod providers;
pub mod source;

pub use source::{Origin, RawConfig};

/// One problem with one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    pub key: String,
    pub message: String,
}

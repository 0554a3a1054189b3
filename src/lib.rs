//! A Kafka → S3 sink for AWS Lambda that writes objects exactly as the Confluent S3 Sink
//! connector lays them out.
//!
//! The pipeline: [`event`] decodes a Lambda Kafka event, [`convert`] applies the key/value
//! converters, [`partitioner`] names the partition path, [`plan`] groups records into files by
//! the deterministic file rule, [`format`] encodes them and [`storage`] writes them. [`handler`]
//! wires the stages; `main.rs` only wires the handler to Lambda or to the CLI.

pub mod aws_error;
pub mod config;
#[cfg(feature = "consume")]
pub mod consume;
pub mod convert;
pub mod event;
pub mod format;
pub mod handler;
pub mod metrics;
pub mod partitioner;
pub mod plan;
pub mod raw_config;
pub mod registry;
pub mod replay;
pub mod storage;
pub mod transform;

pub use config::Config;
pub use handler::{InvocationSummary, Sink, SinkError};

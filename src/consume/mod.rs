//! `consume`: a Kafka consumer that behaves like Lambda's Kafka event-source mapping. It
//! gathers records into the events the mapping sends, hands them to the same handler Lambda
//! runs (or to a function behind the Lambda Invoke API), and commits a partition's offsets to
//! the consumer group only after the invocation covering them succeeded. Failed batches are
//! retried from the same offsets, as the mapping retries them, so the file rule holds.
//!
//! - [`options`]: the command line in the mapping's terms, validated before connecting;
//! - [`batch`]: records into events (keys `topic-partition`, base64, signed header bytes);
//! - [`retry`]: what commits and what is retried after an invocation (pure);
//! - [`invoke`]: the handler in process, or the Lambda Invoke API;
//! - [`client`]: the Kafka client's callbacks (rebalances, statistics, MSK IAM tokens);
//! - [`run`]: the loop; [`progress`]: what people and scripts see.

pub mod batch;
pub mod client;
pub mod invoke;
pub mod options;
pub mod progress;
pub mod retry;
pub mod run;

pub use invoke::Invoker;
pub use options::{ConsumeArgs, OptionsError, Settings};
pub use progress::{ProgressMode, Totals};
pub use run::run;

/// Why `consume` stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    #[error(transparent)]
    Options(#[from] OptionsError),
    #[error("{what}: {source}")]
    Kafka {
        what: String,
        source: rdkafka::error::KafkaError,
    },
    #[error("the Kafka client stopped with a fatal error ({code}): {reason}")]
    Fatal { code: String, reason: String },
    #[error(
        "topic {topic}, partition {partition}: cannot seek back to offset {offset} to retry it: {source}"
    )]
    Seek {
        topic: String,
        partition: i32,
        offset: i64,
        source: rdkafka::error::KafkaError,
    },
    #[error("cannot listen for SIGTERM/SIGINT: {0}")]
    Signal(std::io::Error),
}

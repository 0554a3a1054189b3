//! The object store seam: the only asynchronous boundary of the pipeline.

pub mod local;
pub mod s3;

use async_trait::async_trait;
use bytes::Bytes;

pub use local::LocalStore;
pub use s3::{AssumeRole, S3Settings, S3Store, Sse};

/// One object to write, with the metadata Confluent attaches to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPut {
    pub key: String,
    pub body: Bytes,
    pub content_type: &'static str,
    pub start_offset: i64,
    pub end_offset: i64,
    pub record_count: usize,
    /// Whether `s3.object.tagging` applies: data files only, as Confluent tags them.
    pub tagged: bool,
}

/// Why a put failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot write {key}: {error}")]
    Io { key: String, error: std::io::Error },
    #[error("refusing object key {key:?}: {reason}")]
    InvalidKey { key: String, reason: &'static str },
    #[error("cannot write s3://{bucket}/{key}: {message}")]
    Remote {
        bucket: String,
        key: String,
        message: String,
        retryable: bool,
    },
}

impl StoreError {
    /// Whether trying the same put again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Io { .. } => true,
            StoreError::InvalidKey { .. } => false,
            StoreError::Remote { retryable, .. } => *retryable,
        }
    }
}

/// A place objects are written to. A put replaces any object under the same key, and a
/// reader never sees a partly written object under its final key.
#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// Writes (or overwrites) one object.
    async fn put(&self, object: ObjectPut) -> Result<(), StoreError>;

    /// Where objects go, for logs and summaries (`file:///out`, `s3://bucket`).
    fn describe(&self) -> String;
}

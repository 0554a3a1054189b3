//! The handler: one Kafka event in, objects out, a summary back. Lambda and `replay` both
//! call [`Sink::handle`].

use std::sync::Arc;

use crate::event::KafkaEvent;
use bytes::Bytes;
use futures::StreamExt;
use serde::Serialize;
use serde_json::Value;

use crate::config::{Config, NullValueBehavior};
use crate::convert::ConvertError;
use crate::event::{DecodeError, PartitionBatch, RecordPosition, decode};
use crate::format::FormatError;
use crate::partitioner::{PartitionError, RecordView};
use crate::plan::{MAX_KEY_BYTES, Placement, plan_files};
use crate::storage::{ObjectPut, ObjectStore, StoreError};

/// Uploads in flight at once within one invocation.
pub const DEFAULT_UPLOAD_CONCURRENCY: usize = 8;

/// Why one record could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RecordFailure {
    #[error("{converter}: {source}")]
    Convert {
        converter: &'static str,
        #[source]
        source: ConvertError,
    },
    #[error("{0}")]
    Partition(#[from] PartitionError),
    #[error(
        "null value (tombstone) with behavior.on.null.values=fail; set it to ignore to drop tombstones"
    )]
    NullValue,
    #[error("object key is {len} bytes, over S3's limit of {MAX_KEY_BYTES}: {key}")]
    KeyTooLong { key: String, len: usize },
}

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("{position}: {failure}")]
    Record {
        position: RecordPosition,
        failure: RecordFailure,
    },
    #[error("topic {topic:?} is not one of the configured topics (`topics` / `topics.regex`)")]
    TopicNotAllowed { topic: String },
    #[error("encoding {key}: {source}")]
    Format {
        key: String,
        #[source]
        source: FormatError,
    },
    #[error("{failed} of {total} uploads failed; first: {first}")]
    Store {
        failed: usize,
        total: usize,
        #[source]
        first: StoreError,
    },
}

impl SinkError {
    /// Whether retrying the same batch may succeed (store faults), as opposed to data or
    /// configuration problems that will fail again.
    pub fn is_retryable(&self) -> bool {
        match self {
            SinkError::Store { first, .. } => first.is_retryable(),
            _ => false,
        }
    }
}

/// One file written by an invocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileSummary {
    pub key: String,
    pub records: usize,
    pub bytes: usize,
    pub start_offset: i64,
    pub end_offset: i64,
}

/// What an invocation did. `records_in = records_written + dropped_by_rule + errored`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InvocationSummary {
    pub records_in: usize,
    pub records_written: usize,
    pub dropped_by_rule: usize,
    pub errored: usize,
    pub bytes_written: usize,
    pub files: Vec<FileSummary>,
}

/// The sink: a validated configuration and a store, built once and shared by invocations.
pub struct Sink {
    config: Arc<Config>,
    store: Arc<dyn ObjectStore>,
    upload_concurrency: usize,
}

/// The files of one partition batch, encoded and ready to upload.
struct PreparedBatch {
    puts: Vec<ObjectPut>,
    dropped: usize,
}

impl Sink {
    /// A sink writing to `store`.
    pub fn new(config: Arc<Config>, store: Arc<dyn ObjectStore>) -> Sink {
        Sink {
            config,
            store,
            upload_concurrency: DEFAULT_UPLOAD_CONCURRENCY,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// Handles one invocation. Every record is converted, partitioned and encoded before the
    /// first upload starts, so bad data fails the invocation without writing anything; a
    /// failed upload fails it after all started uploads have finished. `now_ms` is the clock
    /// reading used only by `timestamp.extractor=Wallclock`.
    pub async fn handle(
        &self,
        event: &KafkaEvent,
        now_ms: i64,
    ) -> Result<InvocationSummary, SinkError> {
        let batches = decode(event)?;
        let mut summary = InvocationSummary::default();
        let mut puts = Vec::new();
        for batch in &batches {
            if !self.config.topics.allows(&batch.topic) {
                return Err(SinkError::TopicNotAllowed {
                    topic: batch.topic.clone(),
                });
            }
            summary.records_in += batch.records.len();
            let prepared = self.prepare(batch, now_ms)?;
            summary.dropped_by_rule += prepared.dropped;
            puts.extend(prepared.puts);
        }
        let files: Vec<FileSummary> = puts
            .iter()
            .map(|p| FileSummary {
                key: p.key.clone(),
                records: p.record_count,
                bytes: p.body.len(),
                start_offset: p.start_offset,
                end_offset: p.end_offset,
            })
            .collect();
        self.upload(puts).await?;
        summary.records_written = files.iter().map(|f| f.records).sum();
        summary.bytes_written = files.iter().map(|f| f.bytes).sum();
        summary.files = files;
        summary.files.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(summary)
    }

    fn prepare(&self, batch: &PartitionBatch, now_ms: i64) -> Result<PreparedBatch, SinkError> {
        let cfg = &*self.config;
        let mut placements = Vec::with_capacity(batch.records.len());
        let mut values: Vec<Value> = Vec::with_capacity(batch.records.len());
        let mut dropped = 0;
        for (index, record) in batch.records.iter().enumerate() {
            let fail = |failure: RecordFailure| SinkError::Record {
                position: batch.position(index),
                failure,
            };
            let converted = cfg
                .value_converter
                .convert(record.value.as_deref(), "value.converter")
                .map_err(|source| {
                    fail(RecordFailure::Convert {
                        converter: "value.converter",
                        source,
                    })
                })?;
            let Some(converted) = converted else {
                match cfg.null_values {
                    NullValueBehavior::Fail => return Err(fail(RecordFailure::NullValue)),
                    NullValueBehavior::Ignore => {
                        dropped += 1;
                        continue;
                    }
                }
            };
            let view = RecordView {
                partition: batch.partition,
                record,
                value: Some(&converted),
            };
            let timestamp = if cfg.needs_timestamp() {
                Some(
                    cfg.timestamp_extractor
                        .extract(&view, now_ms)
                        .map_err(|e| fail(e.into()))?,
                )
            } else {
                None
            };
            let path = cfg
                .partitioner
                .encode_partition(&view, timestamp)
                .map_err(|e| fail(e.into()))?;
            let window = match (cfg.rotate_interval_ms, timestamp) {
                (Some(r), Some(t)) => Some(t.div_euclid(r)),
                _ => None,
            };
            placements.push(Placement {
                offset: record.offset,
                path,
                window,
            });
            values.push(converted.data);
        }

        let format = &cfg.format;
        let mut puts = Vec::new();
        for file in plan_files(&placements, cfg.flush_size) {
            let key = cfg.layout.object_key(
                &batch.topic,
                &file.encoded_path,
                batch.partition,
                file.start_offset,
                format.extension(),
            );
            if key.len() > MAX_KEY_BYTES {
                let first = file.records.first().copied().unwrap_or(0);
                return Err(SinkError::Record {
                    position: RecordPosition {
                        topic: batch.topic.clone(),
                        partition: batch.partition,
                        offset: placements.get(first).map_or(-1, |p| p.offset),
                    },
                    failure: RecordFailure::KeyTooLong {
                        len: key.len(),
                        key,
                    },
                });
            }
            let body = format
                .encode(file.records.iter().map(|&i| &values[i]))
                .map_err(|source| SinkError::Format {
                    key: key.clone(),
                    source,
                })?;
            puts.push(ObjectPut {
                key,
                body: Bytes::from(body),
                content_type: format.content_type(),
                content_encoding: format.content_encoding(),
                start_offset: file.start_offset,
                end_offset: file.end_offset,
                record_count: file.records.len(),
            });
        }
        Ok(PreparedBatch { puts, dropped })
    }

    /// Uploads every object with bounded concurrency, waiting for all of them even when one
    /// fails, so no upload of this invocation is still running when it reports failure.
    async fn upload(&self, puts: Vec<ObjectPut>) -> Result<(), SinkError> {
        let total = puts.len();
        let store = &self.store;
        let results: Vec<Result<(), StoreError>> = futures::stream::iter(puts)
            .map(|put| store.put(put))
            .buffer_unordered(self.upload_concurrency.max(1))
            .collect()
            .await;
        let mut errors = results.into_iter().filter_map(Result::err);
        match errors.next() {
            None => Ok(()),
            Some(first) => Err(SinkError::Store {
                failed: 1 + errors.count(),
                total,
                first,
            }),
        }
    }
}

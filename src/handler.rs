//! The handler: one Kafka event in, objects out, a summary back. Lambda and `replay` both
//! call [`Sink::handle`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::event::{DecodedEvent, KafkaEvent};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use futures::StreamExt;
use serde::Serialize;
use serde_json::Value;

use crate::config::{Config, NullValueBehavior};
use crate::convert::Converted;
use crate::convert::{ConvertError, Converter};
use crate::event::{
    DecodeError, Header, PartitionBatch, RecordPosition, SinkRecord, TimestampType, decode,
};
use crate::format::EncodeRecord;
use crate::format::Format;
use crate::format::json::{JsonLine, RenderedValue, SchemalessRenderer};
use crate::format::schema::schema_fingerprint;
use crate::partitioner::{PartitionError, Partitioner, RecordView, TimestampExtractor};
use crate::plan::FilePlan;
use crate::plan::{MAX_KEY_BYTES, Placement, plan_files};
use crate::registry::{self, BatchSchemas, FetchError, Registries, Side};
use crate::storage::{ObjectPut, ObjectStore, StoreError};
use crate::transform::{TransformError, TransformRecord};

/// Schema fingerprints of a batch's records. Consecutive records nearly always share their
/// schema (the very same one, from a schema-registry converter), so the last one is kept and
/// compared, by pointer first, before hashing again.
#[derive(Default)]
struct Fingerprints {
    last: Option<(Arc<Value>, u64)>,
}

impl Fingerprints {
    fn of(&mut self, schema: Option<&Arc<Value>>) -> u64 {
        let Some(schema) = schema else {
            return schema_fingerprint(None);
        };
        if let Some((last, fp)) = &self.last
            && (Arc::ptr_eq(last, schema) || **last == **schema)
        {
            return *fp;
        }
        let fp = schema_fingerprint(Some(schema));
        self.last = Some((schema.clone(), fp));
        fp
    }
}

/// Why one record could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RecordFailure {
    #[error("{converter}: {error}")]
    Convert {
        converter: &'static str,
        error: ConvertError,
    },
    #[error("{0}")]
    Partition(#[from] PartitionError),
    #[error(
        "null value (tombstone) with behavior.on.null.values=fail; set it to ignore to drop tombstones"
    )]
    NullValue,
    #[error(
        "null value (tombstone) ignored by behavior.on.null.values=ignore and reported, as report.null.values.to.dlq=true"
    )]
    NullValueReported,
    #[error("object key is {len} bytes, over S3's limit of {MAX_KEY_BYTES}: {key}")]
    KeyTooLong { key: String, len: usize },
    #[error("{0}")]
    Transform(#[from] TransformError),
}

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The schema registry could not be reached or answered an error: retryable.
    #[error(transparent)]
    Registry(#[from] FetchError),
    #[error("{position}: {failure}")]
    Record {
        position: RecordPosition,
        failure: RecordFailure,
    },
    #[error("topic {topic:?} is not one of the configured topics (`topics` / `topics.regex`)")]
    TopicNotAllowed { topic: String },
    #[error("{position}: {reason}")]
    File {
        /// The first record of the file that could not be written.
        position: RecordPosition,
        reason: String,
    },
    #[error("{failed} of {total} uploads failed; first: {first}")]
    Store {
        failed: usize,
        total: usize,
        first: StoreError,
    },
    #[error(
        "{not_started} of {total} uploads not started: the invocation deadline was less than {margin_ms} ms away (lambda.deadline.margin.ms); the batch will be retried"
    )]
    Deadline {
        not_started: usize,
        total: usize,
        margin_ms: u64,
    },
}

impl SinkError {
    /// Whether retrying the same batch may succeed (store faults, deadline), as opposed to
    /// data or configuration problems that will fail again.
    pub fn is_retryable(&self) -> bool {
        match self {
            SinkError::Store { first, .. } => first.is_retryable(),
            SinkError::Deadline { .. } => true,
            SinkError::Registry(e) => matches!(e, FetchError::Unavailable(_)),
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
    /// What the object holds; data files leave it out of the JSON summary.
    #[serde(skip_serializing_if = "ObjectKind::is_data")]
    pub kind: ObjectKind,
}

/// What an object written by an invocation holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    /// Record values (or envelopes): the data file.
    Data,
    /// The keys of a data file's records (`store.kafka.keys`), in the same order.
    Keys,
    /// The headers of a data file's records (`store.kafka.headers`), in the same order.
    Headers,
    /// The keys of tombstones (`behavior.on.null.values=write`): under
    /// `tombstone.encoded.partition` only keys (and headers) are written, no value file.
    Tombstones,
    /// Records that could not be written, with the reason (`errors.tolerance=all`).
    Errors,
}

impl ObjectKind {
    fn is_data(&self) -> bool {
        *self == ObjectKind::Data
    }
}

/// A partition whose records were not all written; with partial batch responses the mapping
/// retries it from `first_offset`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionFailure {
    pub topic: String,
    pub partition: i32,
    /// The partition's first offset in this batch: retrying from mid-file would break the
    /// file rule, so a failed partition is always retried from here.
    pub first_offset: i64,
    pub records: usize,
    pub error: String,
}

/// What an invocation did. `records_in = records_written + dropped_by_rule + errored +
/// records_retried`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InvocationSummary {
    pub records_in: usize,
    pub records_written: usize,
    pub dropped_by_rule: usize,
    pub errored: usize,
    /// Records of failed partitions, left for the mapping to retry (partial batch responses).
    pub records_retried: usize,
    pub bytes_written: usize,
    /// Milliseconds between the oldest record timestamp in the batch and the invocation.
    pub oldest_record_age_ms: Option<i64>,
    pub files: Vec<FileSummary>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_partitions: Vec<PartitionFailure>,
}

impl InvocationSummary {
    /// The Lambda response: the summary, plus `batchItemFailures` when partial batch responses
    /// are on, naming each failed partition by its first offset in the batch
    /// (`{"itemIdentifier": {"partition": "topic-N", "offset": first}}`).
    pub fn lambda_response(&self, partial: bool) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if partial && let Some(obj) = v.as_object_mut() {
            let failures: Vec<Value> = self
                .failed_partitions
                .iter()
                .map(|f| {
                    serde_json::json!({"itemIdentifier": {
                        "partition": format!("{}-{}", f.topic, f.partition),
                        "offset": f.first_offset,
                    }})
                })
                .collect();
            obj.insert("batchItemFailures".to_owned(), Value::Array(failures));
        }
        v
    }
}

/// A record ready to be encoded: its value (or envelope), and its key and headers for the
/// sidecar files.
struct Placed {
    value: Converted,
    key: Option<Converted>,
    headers: Value,
    /// A tombstone written under `tombstone.encoded.partition`.
    tombstone: bool,
    /// Where the value's JSON line (with its `\n`) is among the batch's
    /// [`Scratch::buffers`], when it took the schemaless path; `value` is then null (the
    /// fields the partitioner read were dropped once it had placed the record).
    rendered: Option<RenderedLine>,
    /// Placed on the schemaless path for Parquet or Avro: `value` is null, and the value is
    /// converted again when its file is encoded.
    deferred: bool,
}

/// A rendered line: its buffer and its bytes in it.
#[derive(Clone)]
struct RenderedLine {
    buffer: usize,
    range: std::ops::Range<usize>,
}

/// Per partition batch, reused record to record: the schemaless JSON renderer and the lines
/// it rendered, instead of a tree per record. Lines are kept in one buffer per partition
/// path, in offset order, so a file of rendered lines is one stretch of its path's buffer
/// and is uploaded from it without a copy.
#[derive(Default)]
struct Scratch {
    renderer: SchemalessRenderer,
    /// The line being rendered.
    line: Vec<u8>,
    buffers: Vec<Vec<u8>>,
    /// The buffer of each partition path.
    by_path: std::collections::HashMap<String, usize>,
    /// Bytes of the values not yet placed, a newline each: about what their lines take.
    remaining: usize,
    /// Capacity reserved in new buffers so far, and the most to reserve (see `keep_line`).
    reserved: usize,
    budget: usize,
}

impl Scratch {
    /// A scratch for a batch of `records`.
    fn for_batch(records: &[SinkRecord]) -> Scratch {
        let total: usize = records
            .iter()
            .map(|r| r.value.as_ref().map_or(0, Vec::len) + 1)
            .sum();
        Scratch {
            remaining: total,
            budget: total.saturating_mul(4),
            ..Scratch::default()
        }
    }

    /// Counts `record` as placed.
    fn placed(&mut self, record: &SinkRecord) {
        let bytes = record.value.as_ref().map_or(0, Vec::len) + 1;
        self.remaining = self.remaining.saturating_sub(bytes);
    }

    /// Appends the rendered line, and its `\n`, to the buffer of `path`.
    ///
    /// A new buffer reserves room for its share of the lines still to come, taking the
    /// paths seen so far as sharing them equally: the one path of a batch gets room for
    /// every line, the `k`-th of several a `k`-th of what is left. So a batch whose records
    /// are spread over a few paths (days interleaved in offset order) writes each without
    /// regrowing and copying it, and one whose paths follow one another reserves no more
    /// than a path can fill. Room never written is never touched, so it costs address
    /// space, not memory. At most four times the batch's bytes are reserved in all; later
    /// paths grow as needed.
    fn keep_line(&mut self, path: &str) -> RenderedLine {
        let buffer = match self.by_path.get(path) {
            Some(&b) => b,
            None => {
                let share = self.remaining / (self.buffers.len() + 1);
                let room = if self.reserved + share <= self.budget {
                    share
                } else {
                    0
                };
                self.reserved += room;
                self.buffers.push(Vec::with_capacity(room));
                self.by_path.insert(path.to_owned(), self.buffers.len() - 1);
                self.buffers.len() - 1
            }
        };
        let out = &mut self.buffers[buffer];
        let start = out.len();
        out.extend_from_slice(&self.line);
        out.push(b'\n');
        RenderedLine {
            buffer,
            range: start..out.len(),
        }
    }
}

/// The one stretch of one buffer that `lines` make up, one right after another, when they do.
fn contiguous<'a>(
    mut lines: impl Iterator<Item = Option<(usize, &'a Bytes, std::ops::Range<usize>)>>,
) -> Option<Bytes> {
    let (buffer, bytes, first) = lines.next()??;
    let mut end = first.end;
    for line in lines {
        let (b, _, range) = line?;
        if b != buffer || range.start != end {
            return None;
        }
        end = range.end;
    }
    Some(bytes.slice(first.start..end))
}

/// Converts a record's key or value with its side's converter.
fn convert_side(
    batch: &PartitionBatch,
    record: &SinkRecord,
    converter: Converter,
    side: Side,
    schemas: &BatchSchemas,
) -> Result<Option<Converted>, RecordFailure> {
    let prefix = side.converter_key();
    // The mapping's schema metadata, when its own schema registry validated this side.
    let (bytes, meta) = match side {
        Side::Key => (record.key.as_deref(), record.key_schema.as_deref()),
        Side::Value => (record.value.as_deref(), record.value_schema.as_deref()),
    };
    match converter {
        Converter::Registry(t) => registry::convert(t, bytes, meta, side, &batch.topic, schemas),
        c => c.convert(bytes, prefix),
    }
    .map_err(|error| RecordFailure::Convert {
        converter: prefix,
        error,
    })
}

/// A struct field's Connect schema: `schema` with its field name.
fn field_schema(name: &str, schema: &Value) -> Value {
    let mut field = schema.clone();
    if let Some(obj) = field.as_object_mut() {
        obj.insert("field".to_owned(), Value::String(name.to_owned()));
    }
    field
}

/// What a format sees of the record at `index` of the batch.
fn encode_record<'a>(
    batch: &'a PartitionBatch,
    index: usize,
    value: &'a Value,
    schema: Option<&'a Value>,
    raw_value: Option<&'a [u8]>,
) -> EncodeRecord<'a> {
    let r = &batch.records[index];
    EncodeRecord {
        value,
        schema,
        raw_value,
        topic: &batch.topic,
        partition: batch.partition,
        offset: r.offset,
        timestamp: r.timestamp,
    }
}

/// The longest suffix a sidecar adds to a data file's key (`.headers` + an extension).
const SIDECAR_SUFFIX_BYTES: usize = 24;

/// The record's headers (after the transforms, when they ran) as JSON, only when a header
/// sidecar or the envelope writes them: most configurations never pay for it.
fn placed_headers(cfg: &Config, transformed: Option<&[Header]>, record: &SinkRecord) -> Value {
    if cfg.headers_format.is_some() || cfg.envelope {
        headers_json(transformed.unwrap_or(&record.headers))
    } else {
        Value::Null
    }
}

/// Headers in Confluent's layout (`RecordViews.HeaderRecordView`): `[{"key": name, "value":
/// text}]` in record order, the value as its UTF-8 text (invalid bytes become U+FFFD, as
/// Java's `new String(bytes, UTF_8)` decodes them).
fn headers_json(headers: &[Header]) -> Value {
    Value::Array(
        headers
            .iter()
            .map(|h| serde_json::json!({"key": h.name, "value": String::from_utf8_lossy(&h.value)}))
            .collect(),
    )
}

/// The Connect schemas of the header sidecar: `array<struct{key: string, value: string}>`,
/// and the same enveloped as `RecordHeaders{headers}` for JSON and Parquet, as Confluent's
/// `HeaderRecordView` builds them.
fn header_schemas() -> &'static (Value, Value) {
    static SCHEMAS: std::sync::OnceLock<(Value, Value)> = std::sync::OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let array = serde_json::json!({
            "type": "array",
            "optional": false,
            "items": {"type": "struct", "optional": false, "fields": [
                {"field": "key", "type": "string", "optional": false},
                {"field": "value", "type": "string", "optional": false},
            ]},
        });
        let enveloped = serde_json::json!({
            "type": "struct",
            "name": "RecordHeaders",
            "optional": false,
            "fields": [{"field": "headers", "type": "array", "optional": false, "items": array["items"].clone()}],
        });
        (array, enveloped)
    })
}

/// How one invocation runs: its clock reading, its deadline and its failure mode.
#[derive(Debug, Clone, Copy)]
pub struct Invocation {
    /// The invocation's clock reading, used only by `timestamp.extractor=Wallclock` and for
    /// record age.
    pub now_ms: i64,
    /// When the invocation will be stopped; no upload starts within the configured margin.
    pub deadline: Option<Instant>,
}

/// The sink: a validated configuration and a store, built once and shared by invocations.
pub struct Sink {
    config: Arc<Config>,
    store: Arc<dyn ObjectStore>,
    /// Schema Registry clients and their schema caches, kept for the life of the container.
    registries: Registries,
    /// How values take the schemaless path, when they do (see [`schemaless_fields`]).
    schemaless: Option<Schemaless>,
}

/// Values on the schemaless path: placed from the few fields the partitioner reads, with no
/// tree per record.
struct Schemaless {
    /// The top-level value fields the partitioner reads.
    fields: Vec<String>,
    /// JSON out: each value's line is kept, rendered. Parquet and Avro out: nothing of the
    /// value is kept, and it is parsed again when its file is encoded, so a batch holds the
    /// trees of one file at a time instead of one per record.
    lines: bool,
}

/// Whether record values can be placed without a `serde_json::Value` per record, and which
/// top-level fields the partitioner and timestamp extractor then need: schemaless
/// `JsonConverter` values, with no transform and no envelope to see the whole value, written
/// as JSON (rendered straight from their text to the lines written), Parquet or Avro (parsed
/// again, a file at a time, when the file is encoded). A record the path cannot take exactly
/// as the DOM path would (see [`SchemalessRenderer::render`]), or whose fields the
/// partitioner rejects, takes the DOM path.
fn schemaless_fields(cfg: &Config) -> Option<Schemaless> {
    let schemaless = matches!(
        cfg.value_converter,
        Converter::Json {
            schemas_enable: false,
            ..
        }
    );
    if !schemaless || !cfg.transforms.is_empty() || cfg.envelope {
        return None;
    }
    let lines = match cfg.format {
        Format::Json(_) => true,
        Format::Parquet(_) | Format::Avro(_) => false,
        Format::ByteArray(_) => return None,
    };
    let mut paths: Vec<&str> = Vec::new();
    if let Partitioner::Field(p) = &cfg.partitioner {
        paths.extend(p.fields().iter().map(String::as_str));
    }
    if cfg.needs_timestamp()
        && let TimestampExtractor::RecordField { field, .. } = &cfg.timestamp_extractor
    {
        paths.push(field);
    }
    // A dotted path is looked up as a whole name first, then by its first segment.
    let mut fields: Vec<String> = Vec::new();
    for path in paths {
        for name in [path, path.split('.').next().unwrap_or(path)] {
            if !fields.iter().any(|f| f == name) {
                fields.push(name.to_owned());
            }
        }
    }
    Some(Schemaless { fields, lines })
}

/// The files of one partition batch, encoded and ready to upload.
struct PreparedBatch {
    /// Data files, their sidecars and error objects.
    puts: Vec<(ObjectPut, ObjectKind)>,
    dropped: usize,
}

impl Sink {
    /// A sink writing to `store`.
    pub fn new(config: Arc<Config>, store: Arc<dyn ObjectStore>) -> Sink {
        let registries =
            Registries::new(config.key_registry.as_ref(), config.value_registry.as_ref())
                .with_record_format(config.event_record_format);
        let schemaless = schemaless_fields(&config);
        Sink {
            config,
            store,
            registries,
            schemaless,
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

    /// Handles one invocation with no deadline; see [`Sink::run`].
    pub async fn handle(
        &self,
        event: &KafkaEvent,
        now_ms: i64,
    ) -> Result<InvocationSummary, SinkError> {
        self.run(
            event,
            Invocation {
                now_ms,
                deadline: None,
            },
        )
        .await
    }

    /// Handles one invocation. Every record is converted, partitioned and encoded before the
    /// first upload starts, so bad data fails the invocation without writing anything; a
    /// failed upload fails it after all started uploads have finished.
    ///
    /// With `lambda.partial.batch.response=true` a failing partition does not fail the others:
    /// it is reported in `failed_partitions` (and so in `batchItemFailures`) and the call
    /// returns `Ok`; only an event that cannot be decoded still fails as a whole.
    pub async fn run(
        &self,
        event: &KafkaEvent,
        invocation: Invocation,
    ) -> Result<InvocationSummary, SinkError> {
        self.run_batches(decode(event)?, invocation).await
    }

    /// [`Sink::run`] for an event read by [`read_event_json`] or deserialized as a
    /// [`DecodedEvent`], which holds its records decoded already.
    ///
    /// [`read_event_json`]: crate::event::read_event_json
    pub async fn run_decoded(
        &self,
        event: DecodedEvent,
        invocation: Invocation,
    ) -> Result<InvocationSummary, SinkError> {
        self.run_batches(event.into_batches()?, invocation).await
    }

    async fn run_batches(
        &self,
        batches: Vec<PartitionBatch>,
        invocation: Invocation,
    ) -> Result<InvocationSummary, SinkError> {
        let cfg = &*self.config;
        let mut summary = InvocationSummary {
            oldest_record_age_ms: batches
                .iter()
                .flat_map(|b| b.records.iter().filter_map(|r| r.timestamp))
                .min()
                .map(|t| invocation.now_ms.saturating_sub(t).max(0)),
            ..InvocationSummary::default()
        };
        // Every schema the records name is fetched (or found cached) before any record is
        // converted: a registry that cannot answer fails the invocation, retryably.
        let schemas = if self.registries.is_empty() {
            BatchSchemas::default()
        } else {
            let mut sides = vec![Side::Value];
            if !cfg.transforms.is_empty() || cfg.needs_keys() {
                sides.push(Side::Key);
            }
            self.registries.resolve(&batches, &sides).await?
        };
        let mut puts: Vec<(usize, ObjectPut, ObjectKind)> = Vec::new();
        let mut failures: Vec<Option<SinkError>> = (0..batches.len()).map(|_| None).collect();
        let mut dropped = vec![0; batches.len()];
        let prepared = self.prepare_all(&batches, invocation.now_ms, &schemas);
        for (i, (batch, prepared)) in batches.iter().zip(prepared).enumerate() {
            summary.records_in += batch.records.len();
            match prepared {
                Ok(p) => {
                    dropped[i] = p.dropped;
                    puts.extend(p.puts.into_iter().map(|(put, kind)| (i, put, kind)));
                }
                Err(e) if cfg.partial_batch_response => failures[i] = Some(e),
                Err(e) => return Err(e),
            }
        }
        let files: Vec<(usize, FileSummary)> = puts
            .iter()
            .map(|(i, p, kind)| {
                (
                    *i,
                    FileSummary {
                        key: p.key.clone(),
                        records: p.record_count,
                        bytes: p.body.len(),
                        start_offset: p.start_offset,
                        end_offset: p.end_offset,
                        kind: *kind,
                    },
                )
            })
            .collect();
        let puts = puts.into_iter().map(|(i, p, _)| (i, p)).collect();
        let outcomes = self.upload(puts, invocation.deadline).await;
        let total = outcomes.len();
        let not_started = outcomes
            .iter()
            .filter(|(_, o)| matches!(o, Err(UploadError::NotStarted)))
            .count();
        let mut failed_uploads = 0;
        let mut first_store_error = None;
        for (i, outcome) in outcomes {
            if let Err(UploadError::Store(e)) = outcome {
                failed_uploads += 1;
                if failures[i].is_none() && cfg.partial_batch_response {
                    failures[i] = Some(SinkError::Store {
                        failed: 1,
                        total: 1,
                        first: e,
                    });
                } else if first_store_error.is_none() {
                    first_store_error = Some(e);
                }
            } else if let Err(UploadError::NotStarted) = outcome
                && failures[i].is_none()
                && cfg.partial_batch_response
            {
                failures[i] = Some(SinkError::Deadline {
                    not_started,
                    total,
                    margin_ms: cfg.deadline_margin_ms,
                });
            }
        }
        if !cfg.partial_batch_response {
            if let Some(first) = first_store_error {
                return Err(SinkError::Store {
                    failed: failed_uploads,
                    total,
                    first,
                });
            }
            if not_started > 0 {
                return Err(SinkError::Deadline {
                    not_started,
                    total,
                    margin_ms: cfg.deadline_margin_ms,
                });
            }
        }
        for (batch, failure) in batches.iter().zip(&failures) {
            if let Some(error) = failure {
                summary.records_retried += batch.records.len();
                summary.failed_partitions.push(PartitionFailure {
                    topic: batch.topic.clone(),
                    partition: batch.partition,
                    first_offset: batch.first_offset(),
                    records: batch.records.len(),
                    error: error.to_string(),
                });
            }
        }
        // A failed partition's records are all counted as retried, its drops included: the
        // retry drops them again.
        summary.dropped_by_rule = (0..batches.len())
            .filter(|&i| failures[i].is_none())
            .map(|i| dropped[i])
            .sum();
        for (i, file) in files {
            if failures[i].is_none() {
                match file.kind {
                    ObjectKind::Errors => summary.errored += file.records,
                    ObjectKind::Data | ObjectKind::Tombstones => {
                        summary.records_written += file.records
                    }
                    ObjectKind::Keys | ObjectKind::Headers => {}
                }
                summary.bytes_written += file.bytes;
                summary.files.push(file);
            }
        }
        summary.files.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(summary)
    }

    /// Prepares every partition batch, in parallel over the machine's cores (encoding is CPU
    /// work and partition batches are independent); results in batch order.
    fn prepare_all(
        &self,
        batches: &[PartitionBatch],
        now_ms: i64,
        schemas: &BatchSchemas,
    ) -> Vec<Result<PreparedBatch, SinkError>> {
        let prepare = |batch: &PartitionBatch| {
            if self.config.topics.allows(&batch.topic) {
                self.prepare(batch, now_ms, schemas)
            } else {
                Err(SinkError::TopicNotAllowed {
                    topic: batch.topic.clone(),
                })
            }
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(batches.len());
        if threads <= 1 {
            return batches.iter().map(prepare).collect();
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        // Each worker takes the next batch until none is left.
        let work = || {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(batch) = batches.get(i) else {
                    return done;
                };
                done.push((i, prepare(batch)));
            }
        };
        let mut done: Vec<(usize, Result<PreparedBatch, SinkError>)> =
            std::thread::scope(|scope| {
                let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
                let mut done = work();
                for helper in helpers {
                    match helper.join() {
                        Ok(results) => done.extend(results),
                        Err(panic) => std::panic::resume_unwind(panic),
                    }
                }
                done
            });
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, r)| r).collect()
    }

    fn prepare(
        &self,
        batch: &PartitionBatch,
        now_ms: i64,
        schemas: &BatchSchemas,
    ) -> Result<PreparedBatch, SinkError> {
        let cfg = &*self.config;
        let mut placements = Vec::with_capacity(batch.records.len());
        let mut fingerprints = Fingerprints::default();
        let mut kept: Vec<usize> = Vec::with_capacity(batch.records.len());
        let mut values: Vec<Placed> = Vec::with_capacity(batch.records.len());
        let mut dropped = 0;
        let mut failed: Vec<(usize, String)> = Vec::new();
        let tolerate = cfg.errors_tolerance_all;
        let mut scratch = if self.schemaless.as_ref().is_some_and(|s| s.lines) {
            Scratch::for_batch(&batch.records)
        } else {
            Scratch::default()
        };
        for (index, record) in batch.records.iter().enumerate() {
            let rendered = self.schemaless.as_ref().and_then(|schemaless| {
                self.place_schemaless(batch, record, now_ms, schemaless, &mut scratch, schemas)
            });
            let placed = match rendered {
                Some(placed) => Ok(Some(placed)),
                None => self.place(batch, record, now_ms, schemas, &mut fingerprints),
            };
            scratch.placed(record);
            match placed {
                Ok(Some((placement, placed))) => {
                    placements.push(placement);
                    kept.push(index);
                    values.push(placed);
                }
                Ok(None) => dropped += 1,
                Err(failure) if tolerate => failed.push((index, failure.to_string())),
                Err(failure) => {
                    return Err(SinkError::Record {
                        position: batch.position(index),
                        failure,
                    });
                }
            }
        }

        let rendered: Vec<Bytes> = scratch.buffers.into_iter().map(Bytes::from).collect();
        let format = &cfg.format;
        let mut puts = Vec::new();
        for file in plan_files(&placements, cfg.flush_size, cfg.file_runs()) {
            let key = cfg.layout.object_key(
                &batch.topic,
                &file.encoded_path,
                batch.partition,
                file.start_offset,
                format.extension(),
            );
            let encoded = if key.len() + SIDECAR_SUFFIX_BYTES > MAX_KEY_BYTES {
                Err(RecordFailure::KeyTooLong {
                    len: key.len(),
                    key: key.clone(),
                }
                .to_string())
            } else {
                self.encode_file(batch, &file, &kept, &values, &rendered, &key)
            };
            match encoded {
                Ok(objects) => puts.extend(objects),
                Err(reason) if tolerate => {
                    failed.extend(file.records.iter().map(|&i| (kept[i], reason.clone())));
                }
                Err(reason) => {
                    let first = file.records.first().map_or(0, |&i| kept[i]);
                    return Err(SinkError::File {
                        position: batch.position(first),
                        reason,
                    });
                }
            }
        }
        if !failed.is_empty() {
            failed.sort_by_key(|(i, _)| *i);
            puts.extend(
                self.error_objects(batch, &failed)
                    .into_iter()
                    .map(|p| (p, ObjectKind::Errors)),
            );
        }
        Ok(PreparedBatch { puts, dropped })
    }

    /// Encodes one planned file, and its key and header sidecars when configured. All or
    /// nothing: an error names the object that could not be encoded.
    fn encode_file(
        &self,
        batch: &PartitionBatch,
        file: &FilePlan,
        kept: &[usize],
        values: &[Placed],
        rendered: &[Bytes],
        key: &str,
    ) -> Result<Vec<(ObjectPut, ObjectKind)>, String> {
        let cfg = &*self.config;
        let object = |key: String, body: Bytes, format: &Format, kind| {
            (
                ObjectPut {
                    key,
                    body,
                    content_type: format.content_type(),
                    tagged: kind == ObjectKind::Data,
                    start_offset: file.start_offset,
                    end_offset: file.end_offset,
                    record_count: file.records.len(),
                },
                kind,
            )
        };
        let tombstones = file.encoded_path == cfg.tombstone_path
            && file.records.iter().all(|&i| values[i].tombstone);
        let mut out = Vec::with_capacity(3);
        if tombstones {
            // As Confluent's KeyValueHeaderRecordWriterProvider: no value file under the
            // tombstone partition, only the keys (required by the config) and headers.
        } else {
            if let Some(&i) = file.records.iter().find(|&&i| values[i].tombstone) {
                return Err(format!(
                    "{}: a tombstone shares the partition path {:?} with records that have values; tombstone.encoded.partition must not be a path the partitioner gives",
                    batch.position(kept[i]),
                    cfg.tombstone_path
                ));
            }
            let record = |i: usize| {
                let p = &values[i];
                encode_record(
                    batch,
                    kept[i],
                    &p.value.data,
                    p.value.schema.as_deref(),
                    batch.records[kept[i]].value.as_deref(),
                )
            };
            let line = |i: usize| {
                let r = values[i].rendered.as_ref()?;
                Some((r.buffer, rendered.get(r.buffer)?, r.range.clone()))
            };
            // Every line rendered, one after another in one buffer: the file is that stretch
            // of it, uploaded as it is.
            let stretch = match &cfg.format {
                Format::Json(json) if !json.compressed() => {
                    contiguous(file.records.iter().map(|&i| line(i)))
                }
                _ => None,
            };
            let body = match (stretch, &cfg.format) {
                (Some(stretch), _) => Ok(stretch),
                // Records that took the DOM path hold their whole value; the others, only
                // their rendered line.
                (None, Format::Json(json)) => json
                    .encode_lines(file.records.iter().map(|&i| match line(i) {
                        Some((_, buffer, range)) => JsonLine::Rendered(&buffer[range]),
                        None => JsonLine::Record(record(i)),
                    }))
                    .map(Bytes::from),
                (None, format) => {
                    // Values placed without a tree are converted again, this file's only.
                    let again: Vec<Option<Converted>> = file
                        .records
                        .iter()
                        .map(|&i| {
                            values[i]
                                .deferred
                                .then(|| self.convert_again(batch, kept[i]))
                                .transpose()
                        })
                        .collect::<Result<_, _>>()?;
                    let data: Vec<EncodeRecord<'_>> = file
                        .records
                        .iter()
                        .zip(&again)
                        .map(|(&i, again)| match again {
                            Some(c) => encode_record(
                                batch,
                                kept[i],
                                &c.data,
                                c.schema.as_deref(),
                                batch.records[kept[i]].value.as_deref(),
                            ),
                            None => record(i),
                        })
                        .collect();
                    format.encode(&data, key).map(Bytes::from)
                }
            }
            .map_err(|error| format!("encoding {key}: {error}"))?;
            out.push(object(key.to_owned(), body, &cfg.format, ObjectKind::Data));
        }
        let base = key.strip_suffix(cfg.format.extension()).unwrap_or(key);
        let sidecars = [
            (&cfg.keys_format, ".keys", ObjectKind::Keys),
            (&cfg.headers_format, ".headers", ObjectKind::Headers),
        ];
        for (format, infix, kind) in sidecars {
            let Some(format) = format else { continue };
            let sidecar_key = format!("{base}{infix}{}", format.extension());
            // Confluent envelopes sidecar records where the format needs a record
            // (`RecordKey{key}` in Parquet, `RecordHeaders{headers}` in JSON and Parquet).
            let (enveloped_keys, enveloped_headers) = match format {
                Format::Parquet(_) => (true, true),
                Format::Json(_) => (false, true),
                _ => (false, false),
            };
            let (header_array, header_envelope) = header_schemas();
            let views: Vec<(Value, Option<Value>)> = match kind {
                ObjectKind::Keys if enveloped_keys => file
                    .records
                    .iter()
                    .map(|&i| {
                        let k = values[i].key.as_ref();
                        let data = serde_json::json!({"key": k.map_or(&Value::Null, |k| &k.data)});
                        let schema = k.and_then(|k| k.schema.as_ref()).map(|s| {
                            serde_json::json!({"type": "struct", "name": "RecordKey", "optional": false, "fields": [
                                field_schema("key", s)
                            ]})
                        });
                        (data, schema)
                    })
                    .collect(),
                ObjectKind::Headers if enveloped_headers => file
                    .records
                    .iter()
                    .map(|&i| {
                        let data = serde_json::json!({"headers": values[i].headers});
                        (data, Some(header_envelope.clone()))
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let records: Vec<EncodeRecord<'_>> = file
                .records
                .iter()
                .enumerate()
                .map(|(n, &i)| {
                    let p = &values[i];
                    let raw = &batch.records[kept[i]];
                    if let Some((data, schema)) = views.get(n) {
                        return encode_record(batch, kept[i], data, schema.as_ref(), None);
                    }
                    match kind {
                        ObjectKind::Keys => encode_record(
                            batch,
                            kept[i],
                            p.key.as_ref().map_or(&Value::Null, |k| &k.data),
                            p.key.as_ref().and_then(|k| k.schema.as_deref()),
                            raw.key.as_deref(),
                        ),
                        _ => encode_record(batch, kept[i], &p.headers, Some(header_array), None),
                    }
                })
                .collect();
            let body = format
                .encode(&records, &sidecar_key)
                .map(Bytes::from)
                .map_err(|error| format!("encoding {sidecar_key}: {error}"))?;
            let kind = if tombstones && kind == ObjectKind::Keys {
                ObjectKind::Tombstones
            } else {
                kind
            };
            out.push(object(sidecar_key, body, format, kind));
        }
        Ok(out)
    }

    /// The value of the record at `index`, placed on the schemaless path without its tree
    /// (Parquet or Avro out), converted as [`Sink::place`] converts it. The renderer took its
    /// text when it was placed, and it takes only text the converter takes, so an error here
    /// would be a defect; it is reported, naming the record.
    fn convert_again(&self, batch: &PartitionBatch, index: usize) -> Result<Converted, String> {
        let record = &batch.records[index];
        let converter = Side::Value.converter_key();
        match self
            .config
            .value_converter
            .convert(record.value.as_deref(), converter)
        {
            Ok(Some(converted)) => Ok(converted),
            Ok(None) => Err(format!(
                "{}: the value converted when placed but is null now",
                batch.position(index)
            )),
            Err(error) => Err(format!(
                "{}: {}",
                batch.position(index),
                RecordFailure::Convert { converter, error }
            )),
        }
    }

    /// [`Sink::place`] for a value on the schemaless path (see [`schemaless_fields`]): the
    /// value is rendered, and only its fields the partitioner reads are kept as a value until
    /// it is placed. JSON out keeps the line in the buffer of its path in `scratch`; Parquet
    /// and Avro out keep nothing, and [`Sink::convert_again`] converts the value for its file.
    /// `None` when the record must take [`Sink::place`] instead: a null value, or anything
    /// the DOM path would report (bad JSON, a repeated key, a partitioner error, a key that
    /// does not convert), so that it reports it in its own words.
    fn place_schemaless(
        &self,
        batch: &PartitionBatch,
        record: &SinkRecord,
        now_ms: i64,
        schemaless: &Schemaless,
        scratch: &mut Scratch,
        schemas: &BatchSchemas,
    ) -> Option<(Placement, Placed)> {
        let cfg = &*self.config;
        let text = record.value.as_deref()?;
        scratch.line.clear();
        let rendered = scratch
            .renderer
            .render(text, &schemaless.fields, &mut scratch.line)?;
        let data = match rendered {
            RenderedValue::Object(map) => Value::Object(map),
            RenderedValue::Other => Value::Null,
        };
        let key = if cfg.needs_keys() {
            convert_side(batch, record, cfg.key_converter, Side::Key, schemas).ok()?
        } else {
            None
        };
        let value = Converted { data, schema: None };
        let view = RecordView {
            partition: batch.partition,
            record,
            value: Some(&value),
        };
        let timestamp = if cfg.needs_timestamp() {
            Some(cfg.timestamp_extractor.extract(&view, now_ms).ok()?)
        } else {
            None
        };
        let path = cfg.partitioner.encode_partition(&view, timestamp).ok()?;
        let path = cfg
            .schema_affix
            .apply(path, None, &cfg.layout.directory_delim);
        let window = match (cfg.rotate_interval_ms, timestamp) {
            (Some(r), Some(t)) => Some(t.div_euclid(r)),
            _ => None,
        };
        let line = schemaless.lines.then(|| scratch.keep_line(&path));
        Some((
            Placement {
                offset: record.offset,
                path,
                window,
                schema: schema_fingerprint(None),
                tombstone: false,
            },
            Placed {
                // The captured fields have done their work: the line is the value now.
                value: Converted {
                    data: Value::Null,
                    schema: None,
                },
                key,
                headers: placed_headers(cfg, None, record),
                tombstone: false,
                rendered: line,
                deferred: !schemaless.lines,
            },
        ))
    }

    /// Converts, transforms and partitions one record. `Ok(None)`: dropped by an explicit rule
    /// (a transform, or a tombstone with `behavior.on.null.values=ignore`).
    fn place(
        &self,
        batch: &PartitionBatch,
        record: &SinkRecord,
        now_ms: i64,
        schemas: &BatchSchemas,
        fingerprints: &mut Fingerprints,
    ) -> Result<Option<(Placement, Placed)>, RecordFailure> {
        let cfg = &*self.config;
        let mut headers = None;
        let mut key = None;
        let convert = |converter: Converter, side: Side| {
            convert_side(batch, record, converter, side, schemas)
        };
        let mut value = convert(cfg.value_converter, Side::Value)?;
        if !cfg.transforms.is_empty() || cfg.needs_keys() {
            key = convert(cfg.key_converter, Side::Key)?;
        }
        if !cfg.transforms.is_empty() {
            let input = TransformRecord {
                topic: batch.topic.clone(),
                partition: batch.partition,
                offset: record.offset,
                timestamp: record.timestamp,
                key: key.take(),
                value,
                headers: record.headers.clone(),
            };
            match cfg.transforms.apply(input)? {
                Some(out) => {
                    value = out.value;
                    key = out.key;
                    headers = Some(out.headers);
                }
                None => return Ok(None),
            }
        }
        let Some(value) = value else {
            return match cfg.null_values {
                NullValueBehavior::Fail => Err(RecordFailure::NullValue),
                // As Confluent's S3SinkTask: with an error reporter (here the error prefix)
                // ignored tombstones are reported unless report.null.values.to.dlq=false.
                NullValueBehavior::Ignore if cfg.errors_tolerance_all && cfg.report_null_values => {
                    Err(RecordFailure::NullValueReported)
                }
                NullValueBehavior::Ignore => Ok(None),
                // As Confluent: tombstones go to `tombstone.encoded.partition`, so readers of
                // the data paths never see them, and their keys say what was deleted.
                NullValueBehavior::Write => Ok(Some((
                    Placement {
                        offset: record.offset,
                        path: cfg.tombstone_path.clone(),
                        window: None,
                        schema: schema_fingerprint(None),
                        tombstone: true,
                    },
                    Placed {
                        value: Converted {
                            data: Value::Null,
                            schema: None,
                        },
                        key,
                        headers: placed_headers(cfg, headers.as_deref(), record),
                        tombstone: true,
                        rendered: None,
                        deferred: false,
                    },
                ))),
            };
        };
        let view = RecordView {
            partition: batch.partition,
            record,
            value: Some(&value),
        };
        let timestamp = if cfg.needs_timestamp() {
            Some(cfg.timestamp_extractor.extract(&view, now_ms)?)
        } else {
            None
        };
        let path = cfg.partitioner.encode_partition(&view, timestamp)?;
        let path = cfg.schema_affix.apply(
            path,
            value
                .schema
                .as_ref()
                .and_then(|s| s.get("name"))
                .and_then(Value::as_str),
            &cfg.layout.directory_delim,
        );
        let window = match (cfg.rotate_interval_ms, timestamp) {
            (Some(r), Some(t)) => Some(t.div_euclid(r)),
            _ => None,
        };
        let headers = placed_headers(cfg, headers.as_deref(), record);
        let value = if cfg.envelope {
            Converted {
                data: serde_json::json!({
                    "topic": batch.topic,
                    "partition": batch.partition,
                    "offset": record.offset,
                    "timestamp": record.timestamp,
                    "key": key.as_ref().map(|k| k.data.clone()),
                    "headers": headers.clone(),
                    "value": value.data,
                }),
                schema: None,
            }
        } else {
            value
        };
        // Every format starts a new file on a value-schema change, as Confluent does.
        let schema = fingerprints.of(value.schema.as_ref());
        Ok(Some((
            Placement {
                offset: record.offset,
                path,
                window,
                schema,
                tombstone: false,
            },
            Placed {
                value,
                key,
                headers,
                tombstone: false,
                rendered: None,
                deferred: false,
            },
        )))
    }

    /// The error objects of one partition batch (`errors.tolerance=all`): failed records are
    /// grouped by the file rule's offset cells and named by their smallest offset, under
    /// `errors.prefix`. Each line holds the raw record (key, value and header values in
    /// base64), its coordinates and the reason, so a retry writes the same bytes.
    fn error_objects(&self, batch: &PartitionBatch, failed: &[(usize, String)]) -> Vec<ObjectPut> {
        let cfg = &*self.config;
        let flush = i64::try_from(cfg.flush_size.max(1)).unwrap_or(i64::MAX);
        let mut cells: Vec<(i64, Vec<&(usize, String)>)> = Vec::new();
        for item in failed {
            let offset = batch.records[item.0].offset;
            let cell = offset.div_euclid(flush);
            match cells.last_mut() {
                Some((c, items)) if *c == cell => items.push(item),
                _ => cells.push((cell, vec![item])),
            }
        }
        let b64 = |b: &Option<Vec<u8>>| b.as_ref().map(|v| Value::String(STANDARD.encode(v)));
        cells
            .into_iter()
            .map(|(_, items)| {
                let mut body = Vec::new();
                for (index, reason) in &items {
                    let r = &batch.records[*index];
                    let line = serde_json::json!({
                        "topic": batch.topic,
                        "partition": batch.partition,
                        "offset": r.offset,
                        "timestamp": r.timestamp,
                        "timestamp_type": match r.timestamp_type {
                            TimestampType::CreateTime => "CREATE_TIME",
                            TimestampType::LogAppendTime => "LOG_APPEND_TIME",
                            TimestampType::NoTimestamp => "NO_TIMESTAMP_TYPE",
                        },
                        "key": b64(&r.key),
                        "value": b64(&r.value),
                        "headers": r.headers.iter().map(|h| serde_json::json!({
                            "name": h.name,
                            "value": STANDARD.encode(&h.value),
                        })).collect::<Vec<_>>(),
                        "reason": reason,
                    });
                    body.extend_from_slice(line.to_string().as_bytes());
                    body.push(b'\n');
                }
                let start = items.first().map_or(0, |(i, _)| batch.records[*i].offset);
                let end = items.last().map_or(0, |(i, _)| batch.records[*i].offset);
                let d = &cfg.layout.directory_delim;
                let f = &cfg.layout.file_delim;
                let width = cfg.layout.zero_pad_width;
                let key = format!(
                    "{prefix}{d}{topic}{d}partition={p}{d}{topic}{f}{p}{f}{start:0width$}.json",
                    prefix = cfg.errors_prefix,
                    topic = batch.topic,
                    p = batch.partition,
                );
                ObjectPut {
                    key,
                    body: Bytes::from(body),
                    content_type: "application/json",
                    tagged: false,
                    start_offset: start,
                    end_offset: end,
                    record_count: items.len(),
                }
            })
            .collect()
    }

    /// Uploads every object with bounded concurrency, waiting for all of them even when one
    /// fails, so no upload of this invocation is still running when it reports. An upload
    /// that would start within the deadline margin is not started.
    async fn upload(
        &self,
        puts: Vec<(usize, ObjectPut)>,
        deadline: Option<Instant>,
    ) -> Vec<(usize, Result<(), UploadError>)> {
        let store = &self.store;
        let margin = Duration::from_millis(self.config.deadline_margin_ms);
        futures::stream::iter(puts)
            .map(|(i, put)| async move {
                if let Some(d) = deadline
                    && d.saturating_duration_since(Instant::now()) < margin
                {
                    return (i, Err(UploadError::NotStarted));
                }
                (i, store.put(put).await.map_err(UploadError::Store))
            })
            .buffer_unordered(self.config.upload_concurrency.max(1))
            .collect()
            .await
    }
}

enum UploadError {
    Store(StoreError),
    NotStarted,
}

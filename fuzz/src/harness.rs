//! What each fuzz target does with one input, shared by the libFuzzer targets (`fuzz/`) and by
//! `tests/fuzz_regressions.rs`, which replays the kept crash inputs and corpus entries without
//! libFuzzer. It uses only the crate's public API and the crate's own dependencies, so the test
//! can include it with `#[path]`.
//!
//! Every entry point must return normally for any input: a panic, a hang or runaway memory is a
//! bug. Besides "no panic", the event target checks the handler's documented invariants (the
//! summary's accounting, object keys under `topics.dir` / `errors.prefix`, within S3's key
//! limit, without empty, `.` or `..` segments, and the same objects on a retry).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use chrono::TimeZone;
use chrono_tz::Tz;
use serde_json::{Value, json};

use kafka_s3_sink::config::{Config, RawConfig};
use kafka_s3_sink::convert::{Converted, Converter};
use kafka_s3_sink::event::{
    DecodedEvent, Header, KafkaEvent, SinkRecord, TimestampType, decode, parse_event_json,
    parse_event_value, read_event_json,
};
use kafka_s3_sink::handler::ObjectKind;
use kafka_s3_sink::partitioner::joda::{JodaPattern, Locale, Zone, parse_iso8601_millis};
use kafka_s3_sink::partitioner::time_based::{TimeBasedKind, TimeBasedPartitioner};
use kafka_s3_sink::partitioner::{FieldPartitioner, RecordView, TimestampExtractor};
use kafka_s3_sink::plan::MAX_KEY_BYTES;
use kafka_s3_sink::raw_config::source::{Origin, parse_document};
use kafka_s3_sink::storage::{ObjectPut, ObjectStore, StoreError};
use kafka_s3_sink::transform::{TransformChain, TransformRecord};
use kafka_s3_sink::{InvocationSummary, Sink};

/// The fuzz targets, by directory name under `tests/fixtures/fuzz/`.
pub const TARGETS: &[&str] = &[
    "event_decode",
    "config_parse",
    "joda",
    "converters",
    "transforms",
];

/// Runs the input through the target `name`. Panics on an unknown name.
pub fn run_target(name: &str, data: &[u8]) {
    match name {
        "event_decode" => event_bytes(data),
        "config_parse" => config_text(data),
        "joda" => joda_input(data),
        "converters" => converters_input(data),
        "transforms" => transforms_input(data),
        other => panic!("unknown fuzz target {other:?}"),
    }
}

/// The invocation clock the handler is given: 2023-10-01T15:04:05Z.
pub const NOW_MS: i64 = 1_696_172_645_000;

// ------------------------------------------------------------------ in-memory store

/// An in-memory bucket: every put is recorded, in arrival order.
#[derive(Debug, Default)]
pub struct MemStore {
    objects: Mutex<Vec<(String, Bytes)>>,
}

impl MemStore {
    /// Every object put so far, in arrival order (a key may repeat).
    pub fn puts(&self) -> Vec<(String, Bytes)> {
        self.objects.lock().map(|o| o.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl ObjectStore for MemStore {
    async fn put(&self, object: ObjectPut) -> Result<(), StoreError> {
        if let Ok(mut objects) = self.objects.lock() {
            objects.push((object.key, object.body));
        }
        Ok(())
    }

    fn describe(&self) -> String {
        "mem://fuzz".to_owned()
    }
}

/// Named configurations.
type Configs = Vec<(&'static str, Arc<Config>)>;

thread_local! {
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
    static CONFIGS: RefCell<Option<Configs>> = const { RefCell::new(None) };
}

/// Runs a future to completion on this thread's runtime (built once per thread).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    RUNTIME.with(|rt| rt.block_on(future))
}

/// Handles `event` with `config` into a fresh in-memory store.
pub fn handle(
    config: &Arc<Config>,
    event: &KafkaEvent,
) -> (
    Result<InvocationSummary, kafka_s3_sink::SinkError>,
    Arc<MemStore>,
) {
    let store = Arc::new(MemStore::default());
    let sink = Sink::new(Arc::clone(config), store.clone());
    let result = block_on(sink.handle(event, NOW_MS));
    (result, store)
}

fn config_of(pairs: &[(&str, &str)]) -> Arc<Config> {
    match Config::from_raw(&RawConfig::from_pairs(pairs.iter().copied())) {
        Ok(c) => Arc::new(c),
        Err(e) => panic!("fixed fuzz config is invalid: {e}"),
    }
}

/// The fixed configurations events are handled with.
pub fn event_configs() -> Configs {
    CONFIGS.with(|cell| {
        cell.borrow_mut()
            .get_or_insert_with(|| {
                vec![
                    ("default", config_of(&[("flush.size", "3")])),
                    (
                        "field_nested",
                        config_of(&[
                            ("flush.size", "2"),
                            ("value.converter.schemas.enable", "false"),
                            ("partitioner.class", "FieldPartitioner"),
                            ("partition.field.name", "a.b,c"),
                        ]),
                    ),
                    (
                        "time_field_parser",
                        config_of(&[
                            ("flush.size", "2"),
                            ("value.converter.schemas.enable", "false"),
                            ("partitioner.class", "TimeBasedPartitioner"),
                            ("timestamp.extractor", "RecordField"),
                            ("timestamp.field", "ts"),
                            ("timestamp.parser", "yyyy-MM-dd'T'HH:mm:ssZ"),
                            ("path.format", "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH"),
                            ("partition.duration.ms", "3600000"),
                            ("rotate.interval.ms", "600000"),
                            ("timezone", "Asia/Seoul"),
                            ("locale", "ko_KR"),
                        ]),
                    ),
                    (
                        "time_field_iso",
                        config_of(&[
                            ("flush.size", "5"),
                            ("value.converter.schemas.enable", "false"),
                            ("partitioner.class", "TimeBasedPartitioner"),
                            ("timestamp.extractor", "RecordField"),
                            ("timestamp.field", "a.ts"),
                            ("path.format", "YYYY/MMMM/EEEE/a/HH/mm/z"),
                            ("partition.duration.ms", "900000"),
                            ("timezone", "America/New_York"),
                            ("locale", "en_US"),
                            ("lambda.partial.batch.response", "true"),
                        ]),
                    ),
                    (
                        "hourly_record_bytes",
                        config_of(&[
                            ("flush.size", "4"),
                            ("value.converter", "ByteArrayConverter"),
                            ("partitioner.class", "HourlyPartitioner"),
                            ("timezone", "Australia/Lord_Howe"),
                            ("locale", "en_US"),
                            ("rotate.interval.ms", "3600000"),
                            ("behavior.on.null.values", "ignore"),
                        ]),
                    ),
                    (
                        "tolerant_unwrap",
                        config_of(&[
                            ("flush.size", "3"),
                            ("topics.dir", "a/b"),
                            ("errors.tolerance", "all"),
                            ("value.converter.schemas.enable", "false"),
                            ("key.converter.schemas.enable", "false"),
                            ("partitioner.class", "FieldPartitioner"),
                            ("partition.field.name", "a.b"),
                            ("transforms", "unwrap,ins"),
                            (
                                "transforms.unwrap.type",
                                "io.debezium.transforms.ExtractNewRecordState",
                            ),
                            (
                                "transforms.unwrap.delete.tombstone.handling.mode",
                                "rewrite",
                            ),
                            ("transforms.unwrap.add.fields", "op,source.ts_ms"),
                            ("transforms.ins.type", "InsertField$Value"),
                            ("transforms.ins.topic.field", "topic"),
                        ]),
                    ),
                    (
                        "avro_sidecars",
                        config_of(&[
                            ("flush.size", "3"),
                            (
                                "format.class",
                                "io.confluent.connect.s3.format.avro.AvroFormat",
                            ),
                            ("avro.codec", "deflate"),
                            ("key.converter", "StringConverter"),
                            ("store.kafka.keys", "true"),
                            ("store.kafka.headers", "true"),
                            ("headers.format.class", "JsonFormat"),
                            ("behavior.on.null.values", "write"),
                            ("errors.tolerance", "all"),
                        ]),
                    ),
                    (
                        "parquet_envelope",
                        config_of(&[
                            ("flush.size", "4"),
                            ("format.class", "ParquetFormat"),
                            ("parquet.codec", "none"),
                            ("value.converter.schemas.enable", "false"),
                            ("key.converter", "ByteArrayConverter"),
                            ("format.envelope", "true"),
                            ("partitioner.class", "FieldPartitioner"),
                            ("partition.field.name", "c"),
                            ("errors.tolerance", "all"),
                        ]),
                    ),
                    (
                        "gzip_string",
                        config_of(&[
                            ("flush.size", "2"),
                            ("topics", "orders,my-topic,토픽"),
                            ("value.converter", "StringConverter"),
                            ("s3.compression.type", "gzip"),
                            ("directory.delim", "#"),
                            ("file.delim", "_"),
                            ("filename.offset.zero.pad.width", "0"),
                            ("lambda.partial.batch.response", "true"),
                            ("errors.tolerance", "all"),
                        ]),
                    ),
                ]
            })
            .clone()
    })
}

// ------------------------------------------------------------------ target 1: events

/// Whether Kafka itself would accept `topic` as a topic name: 1 to 249 characters of
/// `[A-Za-z0-9._-]`, not `.` or `..`. Key-safety checks hold only for such topics: the topic is
/// written into keys as it is.
pub fn is_legal_kafka_topic(topic: &str) -> bool {
    !topic.is_empty()
        && topic.len() <= 249
        && topic != "."
        && topic != ".."
        && topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Checks one object key: under `prefix` + delim + topic + delim, within S3's limit, and (split
/// on `/`) without empty, `.` or `..` segments.
pub fn check_key(key: &str, prefix: &str, delim: &str, topic: &str) {
    let head = if prefix.is_empty() {
        format!("{topic}{delim}")
    } else {
        format!("{prefix}{delim}{topic}{delim}")
    };
    assert!(key.starts_with(&head), "key {key:?} is not under {head:?}");
    assert!(
        key.len() <= MAX_KEY_BYTES,
        "key is {} bytes, over S3's limit: {key:?}",
        key.len()
    );
    for segment in key.split('/') {
        assert!(
            !segment.is_empty() && segment != "." && segment != "..",
            "key {key:?} has an empty, `.` or `..` segment"
        );
    }
}

/// Raw bytes as a Lambda event: parse, decode, and handle with every fixed configuration.
pub fn event_bytes(data: &[u8]) {
    // The reader the Lambda runtime and `replay` use decodes as the typed path does. Of
    // several bad records the typed path reports the first of its map's (random) order and
    // the reader the first in the text, so errors agree on failing, not on which record.
    match (
        read_event_json(data).and_then(DecodedEvent::into_batches),
        parse_event_json(data).and_then(|e| decode(&e)),
    ) {
        (Ok(read), Ok(typed)) => assert_eq!(read, typed, "read_event_json decodes otherwise"),
        (Err(_), Err(_)) => {}
        (read, typed) => panic!("read_event_json gives {read:?}, the typed path {typed:?}"),
    }
    let Ok(event) = parse_event_json(data) else {
        return;
    };
    // The Lambda runtime hands the handler a typed value read from the same JSON: both readings
    // must agree.
    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        match parse_event_value(value) {
            Ok(other) => assert_eq!(other, event, "parse_event_value disagrees"),
            Err(e) => panic!("parse_event_json accepted what parse_event_value refuses: {e}"),
        }
    }
    event_checked(&event);
}

/// Decodes and handles a parsed event with every fixed configuration, checking invariants.
pub fn event_checked(event: &KafkaEvent) {
    let decoded = decode(event);
    let total = match &decoded {
        Ok(batches) => {
            let mut last: Option<(&str, i32)> = None;
            for b in batches {
                assert!(b.partition >= 0 && !b.records.is_empty());
                let here = (b.topic.as_str(), b.partition);
                assert!(last < Some(here), "batches out of order");
                last = Some(here);
                for w in b.records.windows(2) {
                    assert!(w[0].offset < w[1].offset, "offsets not strictly increasing");
                }
                for r in &b.records {
                    assert!(r.offset >= 0);
                    assert!(r.timestamp.is_none_or(|t| t >= 0));
                }
            }
            batches.iter().map(|b| b.records.len()).sum::<usize>()
        }
        Err(e) => {
            let _ = e.to_string();
            0
        }
    };
    for (name, config) in event_configs() {
        let (result, store) = handle(&config, event);
        let summary = match result {
            Ok(summary) => summary,
            Err(e) => {
                assert!(decoded.is_ok() || e.to_string() == decoded_err(&decoded));
                let _ = e.is_retryable();
                continue;
            }
        };
        let batches = decoded.as_ref().expect("handle succeeded, so decode does");
        check_summary(name, &config, &summary, total, &store);
        let _ = summary.lambda_response(true).to_string();
        // A retry of the same batch writes the same objects (exactly-once by overwrite).
        let (again, store_again) = handle(&config, event);
        let again = again.expect("the retry of a successful invocation fails");
        assert_eq!(again, summary, "{name}: the retry's summary differs");
        let sorted = |s: &MemStore| {
            let mut p = s.puts();
            p.sort();
            p
        };
        assert_eq!(
            sorted(&store),
            sorted(&store_again),
            "{name}: the retry wrote other objects"
        );
        // Keys are under `topics.dir` (data) or `errors.prefix` (error objects), in the
        // directory of their record's topic; the segment rules hold for legal topic names.
        check_keys(name, &config, &summary, batches);
    }
}

fn check_keys(
    name: &str,
    config: &Config,
    summary: &InvocationSummary,
    batches: &[kafka_s3_sink::event::PartitionBatch],
) {
    let d = config.layout.directory_delim.as_str();
    for file in &summary.files {
        let prefix = if file.kind == ObjectKind::Errors {
            config.errors_prefix.as_str()
        } else {
            config.layout.topics_dir.as_str()
        };
        let head = |topic: &str| {
            if prefix.is_empty() {
                format!("{topic}{d}")
            } else {
                format!("{prefix}{d}{topic}{d}")
            }
        };
        let topic = batches
            .iter()
            .map(|b| b.topic.as_str())
            .filter(|t| file.key.starts_with(&head(t)))
            .max_by_key(|t| t.len());
        let Some(topic) = topic else {
            panic!(
                "{name}: key {:?} is not under {prefix:?} + a topic of the batch",
                file.key
            );
        };
        if is_legal_kafka_topic(topic) {
            check_key(&file.key, prefix, d, topic);
        }
    }
}

fn decoded_err<T>(d: &Result<T, kafka_s3_sink::event::DecodeError>) -> String {
    match d {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    }
}

fn check_summary(
    name: &str,
    config: &Config,
    s: &InvocationSummary,
    total: usize,
    store: &MemStore,
) {
    assert_eq!(s.records_in, total, "{name}: records_in");
    assert!(
        s.records_written + s.errored + s.records_retried <= s.records_in,
        "{name}: more records out than in: {s:?}"
    );
    assert_eq!(
        s.records_in,
        s.records_written + s.dropped_by_rule + s.errored + s.records_retried,
        "{name}: accounting"
    );
    let in_files: usize = s
        .files
        .iter()
        .filter(|f| matches!(f.kind, ObjectKind::Data | ObjectKind::Errors))
        .map(|f| f.records)
        .sum();
    assert_eq!(
        in_files,
        s.records_written + s.errored,
        "{name}: file records"
    );
    for f in &s.files {
        assert!(
            f.start_offset <= f.end_offset && f.records > 0,
            "{name}: {f:?}"
        );
        if f.kind != ObjectKind::Errors {
            assert!(f.key.len() <= MAX_KEY_BYTES, "{name}: key over the limit");
        }
    }
    let puts = store.puts();
    let mut keys: Vec<&str> = puts.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    let before = keys.len();
    keys.dedup();
    assert_eq!(
        before,
        keys.len(),
        "{name}: one invocation wrote a key twice"
    );
    if !config.partial_batch_response {
        let listed: Vec<&str> = s.files.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, listed, "{name}: objects written != files listed");
    }
    if s.failed_partitions.is_empty() {
        assert_eq!(s.records_retried, 0);
    }
}

// ------------------------------------------------------------------ target 2: config

/// A small event with one record per shape: JSON with fields, a tombstone, text, and a record
/// under another topic; used to exercise each configuration that validates.
fn config_probe_event() -> &'static KafkaEvent {
    static EVENT: OnceLock<KafkaEvent> = OnceLock::new();
    EVENT.get_or_init(|| {
        let b64 = |s: &str| STANDARD.encode(s.as_bytes());
        let value = r#"{"dt":"2023-10-01","ts":"2023-10-01T10:20:30+09:00","a":{"b":"x/y","ts":1696122000000},"c":7,"op":"c","after":{"id":1},"before":null,"source":{"ts_ms":1}}"#;
        let envelope = r#"{"schema":{"type":"struct","fields":[{"field":"dt","type":"string"},{"field":"n","type":"int32","optional":true}]},"payload":{"dt":"2023-10-02","n":3}}"#;
        let event = json!({
            "eventSource": "aws:kafka",
            "records": {
                "orders-0": [
                    {"topic": "orders", "partition": 0, "offset": 0, "timestamp": 1696122000000_i64,
                     "timestampType": "CREATE_TIME", "key": b64("k1"), "value": b64(value),
                     "headers": [{"h": [104, -1]}]},
                    {"topic": "orders", "partition": 0, "offset": 1, "timestamp": 1696122000001_i64,
                     "timestampType": "CREATE_TIME", "key": b64("k2"), "value": b64(envelope),
                     "headers": []},
                    {"topic": "orders", "partition": 0, "offset": 2, "timestamp": 1696122000002_i64,
                     "timestampType": "LOG_APPEND_TIME", "key": null, "value": null,
                     "headers": []},
                    {"topic": "orders", "partition": 0, "offset": 3, "timestamp": -1,
                     "timestampType": "NO_TIMESTAMP_TYPE", "key": null, "value": b64("text"),
                     "headers": []}
                ],
                "dbserver.inventory.customers-3": [
                    {"topic": "dbserver.inventory.customers", "partition": 3, "offset": 9,
                     "timestamp": 1465491412000_i64, "timestampType": "CREATE_TIME",
                     "key": b64(r#"{"id":1004}"#), "value": b64(value), "headers": []}
                ]
            }
        });
        parse_event_value(event).expect("the probe event is valid")
    })
}

/// Text as a config document: parse it, validate it, and run a small event through a valid one.
pub fn config_text(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let pairs = match parse_document(&text, &Origin::EnvInline) {
        Ok(pairs) => pairs,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let mut seen = std::collections::BTreeSet::new();
    for (key, _) in &pairs {
        assert!(seen.insert(key.as_str()), "key {key:?} returned twice");
    }
    let raw = RawConfig::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let config = match Config::from_raw(&raw) {
        Ok(config) => config,
        Err(e) => {
            assert!(!e.errors.is_empty());
            let _ = e.to_string();
            return;
        }
    };
    let _ = config.transforms.describe();
    let _ = config.partitioner.class_name();
    let (result, _) = handle(&Arc::new(config), config_probe_event());
    match result {
        Ok(summary) => {
            let _ = summary.lambda_response(true);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

// ------------------------------------------------------------------ target 3: Joda

/// Zones with whole-hour, half-hour and DST rules (Lord Howe shifts by 30 minutes).
pub const ZONES: &[Tz] = &[
    Tz::UTC,
    Tz::Asia__Seoul,
    Tz::America__New_York,
    Tz::Australia__Lord_Howe,
];

/// Instants that every zone can show: the epoch, around it, a seed date, DST changes, far past
/// and future (chrono's range is about ±262,000 years).
pub const INSTANTS: &[i64] = &[
    0,
    -1,
    999,
    NOW_MS,
    1_678_606_200_000,
    1_699_165_800_000,
    1_696_086_000_000,
    -62_135_596_800_001,
    253_402_300_799_999,
    8_000_000_000_000_000,
    -8_000_000_000_000_000,
];

/// Millisecond values at and beyond chrono's range, for the partitioner's own range checks.
pub const EXTREME_MILLIS: &[i64] = &[
    i64::MIN,
    i64::MIN + 1,
    -8_334_632_851_200_001,
    -8_334_632_851_200_000,
    8_210_298_412_799_999,
    8_210_298_412_800_000,
    i64::MAX - 1,
    i64::MAX,
];

/// First line: a Joda pattern; the rest: a date-time string to parse with it and as ISO-8601.
pub fn joda_input(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (pattern, input) = text.split_once('\n').unwrap_or((&text, ""));
    for &tz in ZONES {
        let _ = parse_iso8601_millis(input, tz.into()).map_err(|e| e.to_string());
        let _ = parse_iso8601_millis(pattern, tz.into());
    }
    let _ = Locale::parse(input);
    let iso = TimestampExtractor::RecordField {
        field: "ts".to_owned(),
        parser: None,
        timezone: Tz::Australia__Lord_Howe.into(),
    };
    extract_string(&iso, input);
    let compiled = match JodaPattern::compile(pattern) {
        Ok(p) => p,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    assert_eq!(compiled.as_str(), pattern);
    // The JDK root locale (what `ko_KR` renders) and a language's CLDR names.
    let locales = [
        Locale::root(),
        Locale::parse("ko").expect("ko has CLDR data"),
    ];
    for &millis in INSTANTS {
        for &tz in ZONES {
            let Some(t) = Zone::from(tz).timestamp_millis_opt(millis).single() else {
                continue;
            };
            for locale in &locales {
                let _ = compiled.format(&t, locale);
            }
        }
    }
    let _ = compiled.parse(input).map_err(|e| e.to_string());
    for &tz in ZONES {
        let extractor = TimestampExtractor::RecordField {
            field: "ts".to_owned(),
            parser: Some(compiled.clone()),
            timezone: tz.into(),
        };
        extract_string(&extractor, input);
    }
    // The real path format: bucket, then format, over the whole i64 range.
    for (i, &tz) in ZONES.iter().enumerate() {
        let duration = [1, 3_600_000, 86_400_000, 7 * 86_400_000][i];
        let locale = locales[i % 2].clone();
        let Ok(p) =
            TimeBasedPartitioner::new(TimeBasedKind::TimeBased, pattern, "/", duration, tz, locale)
        else {
            continue;
        };
        for &millis in INSTANTS.iter().chain(EXTREME_MILLIS) {
            let _ = p.encode_partition(millis).map_err(|e| e.to_string());
        }
    }
}

fn extract_string(extractor: &TimestampExtractor, input: &str) {
    let record = SinkRecord {
        offset: 0,
        timestamp: Some(0),
        timestamp_type: TimestampType::CreateTime,
        key: None,
        value: None,
        headers: Vec::new(),
        key_schema: None,
        value_schema: None,
    };
    let value = Converted {
        data: json!({ "ts": input }),
        schema: None,
    };
    let view = RecordView {
        partition: 0,
        record: &record,
        value: Some(&value),
    };
    let _ = extractor.extract(&view, NOW_MS).map_err(|e| e.to_string());
}

// ------------------------------------------------------------------ target 4: converters

const CONVERTERS: &[Converter] = &[
    Converter::Json {
        schemas_enable: true,
        replace_null_with_default: true,
    },
    Converter::Json {
        schemas_enable: false,
        replace_null_with_default: true,
    },
    Converter::String,
    Converter::ByteArray,
];

/// Bytes through every converter; also, split at the first 0xFF byte, as the schema and payload
/// of a `{"schema": .., "payload": ..}` envelope. What converts goes through the partitioners'
/// field lookups.
pub fn converters_input(data: &[u8]) {
    for converter in CONVERTERS {
        convert_checked(*converter, data);
    }
    if let Some(at) = data.iter().position(|&b| b == 0xFF) {
        let (schema, payload) = (&data[..at], &data[at + 1..]);
        let mut envelope = Vec::with_capacity(data.len() + 24);
        envelope.extend_from_slice(br#"{"schema":"#);
        envelope.extend_from_slice(schema);
        envelope.extend_from_slice(br#","payload":"#);
        envelope.extend_from_slice(payload);
        envelope.push(b'}');
        convert_checked(
            Converter::Json {
                schemas_enable: true,
                replace_null_with_default: true,
            },
            &envelope,
        );
    }
}

fn convert_checked(converter: Converter, data: &[u8]) {
    let converted = match converter.convert(Some(data), "value.converter") {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    match converter {
        // Registry converters need their batch's schemas; `convert` refuses them above.
        Converter::Registry(_) => unreachable!("a registry converter converted without schemas"),
        Converter::String => {
            let lossy = String::from_utf8_lossy(data);
            assert_eq!(converted.data.as_str(), Some(lossy.as_ref()));
        }
        Converter::ByteArray => {
            let text = converted.data.as_str().expect("bytes become a string");
            assert_eq!(STANDARD.decode(text).ok().as_deref(), Some(data));
        }
        Converter::Json {
            schemas_enable: false,
            ..
        } => {
            let original: Value = serde_json::from_slice(data).expect("it converted");
            assert_eq!(converted.data, original);
        }
        Converter::Json {
            schemas_enable: true,
            ..
        } => {
            // The converted payload, with its schema, converts again without a panic.
            if let Some(schema) = &converted.schema {
                let again = json!({"schema": schema, "payload": converted.data}).to_string();
                let _ = converter.convert(Some(again.as_bytes()), "value.converter");
            }
        }
    }
    let _ = converted.data.to_string();
    let record = SinkRecord {
        offset: 0,
        timestamp: Some(NOW_MS),
        timestamp_type: TimestampType::CreateTime,
        key: None,
        value: Some(data.to_vec()),
        headers: Vec::new(),
        key_schema: None,
        value_schema: None,
    };
    let view = RecordView {
        partition: 0,
        record: &record,
        value: Some(&converted),
    };
    for (fields, delim) in [
        (vec!["a".to_owned()], "/"),
        (vec!["a.b".to_owned(), "c".to_owned()], "#"),
    ] {
        let _ = FieldPartitioner::new(fields, delim).encode_partition(view.value);
    }
    for field in ["ts", "a.b", "payload.ts"] {
        let extractor = TimestampExtractor::RecordField {
            field: field.to_owned(),
            parser: None,
            timezone: Tz::Asia__Seoul.into(),
        };
        let _ = extractor.extract(&view, NOW_MS);
    }
}

// ------------------------------------------------------------------ target 5: transforms

fn chain_of(pairs: &[(&str, &str)]) -> TransformChain {
    match TransformChain::from_raw(&RawConfig::from_pairs(pairs.iter().copied())) {
        Ok((chain, _)) => chain,
        Err(e) => panic!("fixed fuzz transform chain is invalid: {e:?}"),
    }
}

const UNWRAP: &str = "io.debezium.transforms.ExtractNewRecordState";

/// The fixed transform chains.
pub fn transform_chains() -> &'static Vec<(String, TransformChain)> {
    static CHAINS: OnceLock<Vec<(String, TransformChain)>> = OnceLock::new();
    CHAINS.get_or_init(|| {
        let mut chains = Vec::new();
        for mode in [
            "drop",
            "tombstone",
            "rewrite",
            "rewrite-with-tombstone",
            "delete-to-tombstone",
        ] {
            chains.push((
                format!("unwrap-{mode}"),
                chain_of(&[
                    ("transforms", "unwrap"),
                    ("transforms.unwrap.type", UNWRAP),
                    ("transforms.unwrap.delete.tombstone.handling.mode", mode),
                    (
                        "transforms.unwrap.add.fields",
                        "op,table,source.ts_ms:src_ts,lsn",
                    ),
                    ("transforms.unwrap.add.fields.prefix", "__"),
                    ("transforms.unwrap.add.headers", "op,db,source.ts_ms"),
                    ("transforms.unwrap.add.headers.prefix", "dbz."),
                ]),
            ));
        }
        for (drop, handling) in [("true", "rewrite"), ("false", "none"), ("false", "drop")] {
            chains.push((
                format!("unwrap-deprecated-{drop}-{handling}"),
                chain_of(&[
                    ("transforms", "unwrap"),
                    ("transforms.unwrap.type", "ExtractNewRecordState"),
                    ("transforms.unwrap.drop.tombstones", drop),
                    ("transforms.unwrap.delete.handling.mode", handling),
                ]),
            ));
        }
        chains.push((
            "insert".to_owned(),
            chain_of(&[
                ("transforms", "iv,ik"),
                ("transforms.iv.type", "InsertField$Value"),
                ("transforms.iv.topic.field", "topic!"),
                ("transforms.iv.partition.field", "partition?"),
                ("transforms.iv.offset.field", "offset"),
                ("transforms.iv.timestamp.field", "ts"),
                ("transforms.iv.static.field", "static"),
                ("transforms.iv.static.value", "v"),
                (
                    "transforms.ik.type",
                    "org.apache.kafka.connect.transforms.InsertField$Key",
                ),
                ("transforms.ik.topic.field", "t"),
            ]),
        ));
        chains.push((
            "replace".to_owned(),
            chain_of(&[
                ("transforms", "rf,rk"),
                ("transforms.rf.type", "ReplaceField$Value"),
                ("transforms.rf.exclude", "b,before"),
                ("transforms.rf.renames", "a:x,after:row,ts:time,x:a"),
                ("transforms.rk.type", "ReplaceField$Key"),
                ("transforms.rk.include", "id,a"),
                ("transforms.rk.renames", "id:key_id"),
            ]),
        ));
        for (target, extra) in [
            ("string", vec![("format", "yyyy-MM-dd'T'HH:mm:ss.SSSX")]),
            ("unix", vec![("unix.precision", "seconds")]),
            ("unix", vec![("unix.precision", "nanoseconds")]),
            ("Timestamp", vec![("format", "yyyy-MM-dd HH:mm:ss")]),
            ("Date", vec![]),
            ("Time", vec![]),
        ] {
            let mut pairs = vec![
                ("transforms".to_owned(), "ts,whole".to_owned()),
                (
                    "transforms.ts.type".to_owned(),
                    "TimestampConverter$Value".to_owned(),
                ),
                ("transforms.ts.field".to_owned(), "ts".to_owned()),
                ("transforms.ts.target.type".to_owned(), target.to_owned()),
                (
                    "transforms.whole.type".to_owned(),
                    "TimestampConverter$Key".to_owned(),
                ),
                ("transforms.whole.target.type".to_owned(), target.to_owned()),
            ];
            for (k, v) in &extra {
                pairs.push((format!("transforms.ts.{k}"), (*v).to_owned()));
                pairs.push((format!("transforms.whole.{k}"), (*v).to_owned()));
            }
            let refs: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            chains.push((format!("timestamp-{target}"), chain_of(&refs)));
        }
        chains.push((
            "filters".to_owned(),
            chain_of(&[
                ("transforms", "ft,fn,fh,unwrap"),
                ("predicates", "tomb,topic,hdr"),
                ("predicates.tomb.type", "RecordIsTombstone"),
                ("predicates.topic.type", "TopicNameMatches"),
                ("predicates.topic.pattern", "db\\..*|t-[0-9]+"),
                (
                    "predicates.hdr.type",
                    "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
                ),
                ("predicates.hdr.name", "skip"),
                ("transforms.ft.type", "Filter"),
                ("transforms.ft.predicate", "tomb"),
                ("transforms.fn.type", "Filter"),
                ("transforms.fn.predicate", "topic"),
                ("transforms.fn.negate", "true"),
                (
                    "transforms.fh.type",
                    "org.apache.kafka.connect.transforms.Filter",
                ),
                ("transforms.fh.predicate", "hdr"),
                ("transforms.unwrap.type", UNWRAP),
                ("transforms.unwrap.predicate", "tomb"),
                ("transforms.unwrap.negate", "true"),
            ]),
        ));
        chains.push((
            "everything".to_owned(),
            chain_of(&[
                ("transforms", "unwrap,ts,ins,rf,back"),
                ("transforms.unwrap.type", UNWRAP),
                (
                    "transforms.unwrap.delete.tombstone.handling.mode",
                    "rewrite-with-tombstone",
                ),
                ("transforms.unwrap.add.fields", "op,source.ts_ms"),
                ("transforms.ts.type", "TimestampConverter$Value"),
                ("transforms.ts.field", "__source_ts_ms"),
                ("transforms.ts.target.type", "string"),
                ("transforms.ts.format", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"),
                ("transforms.ins.type", "InsertField$Value"),
                ("transforms.ins.timestamp.field", "kafka_ts"),
                ("transforms.rf.type", "ReplaceField$Value"),
                ("transforms.rf.renames", "__source_ts_ms:ts,__op:op"),
                ("transforms.back.type", "TimestampConverter$Value"),
                ("transforms.back.field", "ts"),
                ("transforms.back.target.type", "Timestamp"),
                ("transforms.back.format", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"),
            ]),
        ));
        chains
    })
}

fn fuzzed_format_chain(format: &str) -> Option<TransformChain> {
    let raw = RawConfig::from_pairs([
        ("transforms", "out,back"),
        ("transforms.out.type", "TimestampConverter$Value"),
        ("transforms.out.field", "ts"),
        ("transforms.out.target.type", "string"),
        ("transforms.out.format", format),
        ("transforms.back.type", "TimestampConverter$Value"),
        ("transforms.back.field", "ts"),
        ("transforms.back.target.type", "Timestamp"),
        ("transforms.back.format", format),
    ]);
    match TransformChain::from_raw(&raw) {
        Ok((chain, _)) => Some(chain),
        Err(e) => {
            assert!(!e.is_empty());
            None
        }
    }
}

/// JSON bytes as a record value (and key), converted with and without schemas, through every
/// fixed chain. When the input has a 0x00 byte, the text before it is a fuzzed
/// `TimestampConverter` `format`, and the JSON is what follows.
pub fn transforms_input(data: &[u8]) {
    let (format, json) = match data.iter().position(|&b| b == 0) {
        Some(at) => (Some(String::from_utf8_lossy(&data[..at])), &data[at + 1..]),
        None => (None, data),
    };
    let mut records = Vec::new();
    for schemas_enable in [true, false] {
        let converter = Converter::Json {
            schemas_enable,
            replace_null_with_default: true,
        };
        let Ok(value) = converter.convert(Some(json), "value.converter") else {
            continue;
        };
        let key = value.clone();
        for (topic, headers) in [
            ("dbserver.inventory.customers", Vec::new()),
            (
                "t-1",
                vec![Header {
                    name: "skip".to_owned(),
                    value: vec![0xff],
                }],
            ),
        ] {
            records.push(TransformRecord {
                topic: topic.to_owned(),
                partition: 3,
                offset: 42,
                timestamp: Some(NOW_MS),
                key: key.clone(),
                value: value.clone(),
                headers,
            });
        }
        // A tombstone with this key.
        records.push(TransformRecord {
            topic: "db.x".to_owned(),
            partition: 0,
            offset: 0,
            timestamp: None,
            key,
            value: None,
            headers: Vec::new(),
        });
    }
    if records.is_empty() {
        return;
    }
    let fuzzed = format.as_deref().and_then(fuzzed_format_chain);
    let chains = transform_chains()
        .iter()
        .map(|(_, c)| c)
        .chain(fuzzed.as_ref());
    for chain in chains {
        for record in &records {
            match chain.apply(record.clone()) {
                Ok(Some(out)) => {
                    assert_eq!(
                        (out.topic.as_str(), out.partition, out.offset),
                        (record.topic.as_str(), record.partition, record.offset)
                    );
                    if let Some(v) = &out.value {
                        let _ = v.data.to_string();
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    let _ = e.to_string();
                }
            }
        }
    }
}

/// Reads every regular file of `dir`, sorted by name (missing directory: none).
pub fn files_in(dir: &std::path::Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file()
                && let Ok(bytes) = std::fs::read(&path)
            {
                out.insert(entry.file_name().to_string_lossy().into_owned(), bytes);
            }
        }
    }
    out
}

/// Base64 of `bytes`, for messages about an input.
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

//! Object keys built from record data are safe: property tests through the real handler with a
//! `FieldPartitioner` on one or two fields (one nested), whose values are arbitrary strings
//! (unicode, controls, `/`, `\`, `.`, `..`, `%`, the delimiter, empty, very long), numbers and
//! booleans.
//!
//! For every object written (collected by an in-memory store):
//! - the key is under `topics.dir` + delim + topic (data) or `errors.prefix` + delim + topic
//!   (error objects), has no empty, `.` or `..` segment when split on `/`, and is at most 1,024
//!   bytes;
//! - decoding the `%XX` escapes of each `name=value` part gives back the original value (the
//!   escaping is injective; see `src/partitioner/field.rs` for the rule), and the escaped text
//!   holds no `/`, `\`, control character or delimiter character.
//!
//! A record whose key would exceed S3's limit fails with an "over S3's limit" error, or, with
//! `errors.tolerance=all`, goes to an error object whose key is checked the same way.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;
use serde_json::{Value, json};

use kafka_s3_sink::config::{Config, RawConfig};
use kafka_s3_sink::event::parse_event_value;
use kafka_s3_sink::plan::MAX_KEY_BYTES;
use kafka_s3_sink::storage::{ObjectPut, ObjectStore, StoreError};
use kafka_s3_sink::{Sink, SinkError};

/// Collects every put.
#[derive(Default)]
struct MemStore {
    objects: Mutex<BTreeMap<String, Vec<u8>>>,
}

#[async_trait]
impl ObjectStore for MemStore {
    async fn put(&self, object: ObjectPut) -> Result<(), StoreError> {
        self.objects
            .lock()
            .unwrap()
            .insert(object.key, object.body.to_vec());
        Ok(())
    }

    fn describe(&self) -> String {
        "mem://key-safety".to_owned()
    }
}

/// One layout under test.
#[derive(Debug, Clone)]
struct Layout {
    delim: &'static str,
    /// `None`: the default (`topics`).
    topics_dir: Option<&'static str>,
    tolerate: bool,
    /// `k` alone, or `k` and the nested `n.k`.
    two_fields: bool,
}

impl Layout {
    fn config(&self) -> Config {
        let mut pairs = vec![
            ("flush.size", "1"),
            ("value.converter.schemas.enable", "false"),
            ("partitioner.class", "FieldPartitioner"),
            (
                "partition.field.name",
                if self.two_fields { "k,n.k" } else { "k" },
            ),
            ("directory.delim", self.delim),
        ];
        if let Some(dir) = self.topics_dir {
            pairs.push(("topics.dir", dir));
        }
        if self.tolerate {
            pairs.push(("errors.tolerance", "all"));
        }
        Config::from_raw(&RawConfig::from_pairs(pairs)).expect("valid config")
    }

    fn fields(&self) -> Vec<&'static str> {
        if self.two_fields {
            vec!["k", "n.k"]
        } else {
            vec!["k"]
        }
    }
}

fn layout() -> impl Strategy<Value = Layout> {
    (
        prop::sample::select(vec!["/", "#", "__", "-"]),
        prop::sample::select(vec![None, Some("a/b")]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(delim, topics_dir, tolerate, two_fields)| Layout {
            delim,
            topics_dir,
            tolerate,
            two_fields,
        })
}

/// Strings built to hit the escaping rules, and arbitrary ones.
fn nasty_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::sample::select(vec![
            "", ".", "..", "../..", "./", "%", "%2F", "a/b", "\\", "#", "_"
        ])
        .prop_map(str::to_owned),
        "[./\\\\%#_=a-zA-Z0-9 \u{0}-\u{1f}\u{7f}-\u{9f}\u{ac00}-\u{ac10}\u{1F600}\u{202e}\u{feff}]{0,24}",
        "[a-z/.%]{300,1100}",
    ]
}

fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => nasty_string().prop_map(Value::String),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => any::<f64>().prop_map(|f| json!(f)),
        1 => any::<bool>().prop_map(Value::Bool),
    ]
    .prop_filter(
        "null (from a non-finite float) is not a partition value",
        |v| !v.is_null(),
    )
}

/// The text a value is written as before escaping: strings as they are, numbers and booleans as
/// JSON prints them.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Undoes the `%XX` escapes; `None` when an escape is malformed or the bytes are not UTF-8.
fn unescape(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            if !hex
                .iter()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b))
            {
                return None;
            }
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn check_segments(key: &str) -> Result<(), TestCaseError> {
    prop_assert!(key.len() <= MAX_KEY_BYTES, "{} bytes: {key:?}", key.len());
    for segment in key.split('/') {
        prop_assert!(
            !segment.is_empty() && segment != "." && segment != "..",
            "bad segment {segment:?} in {key:?}"
        );
    }
    Ok(())
}

/// The topic: a legal Kafka name, with `.`, `_` and `-` unless the delimiter is one of them.
fn topic(delim: &str) -> &'static str {
    if delim == "-" {
        "orders_v1"
    } else {
        "orders.v1_eu-west"
    }
}

#[derive(Debug)]
struct Case {
    layout: Layout,
    partition: i32,
    base_offset: i64,
    /// Per record: the value of `k` and of `n.k`.
    values: Vec<(Value, Value)>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        layout(),
        prop_oneof![0..8_i32, Just(i32::MAX)],
        prop_oneof![0..1000_i64, Just(i64::MAX - 8)],
        prop::collection::vec((field_value(), field_value()), 1..5),
    )
        .prop_map(|(layout, partition, base_offset, values)| Case {
            layout,
            partition,
            base_offset,
            values,
        })
}

fn run(case: &Case) -> Result<(), TestCaseError> {
    let config = Arc::new(case.layout.config());
    let d = config.layout.directory_delim.clone();
    let topic = topic(&d);
    // What the JsonConverter reads back from each value's text: the expected key parts. (Not
    // always the original float: serde_json without `float_roundtrip` may read a float one
    // unit in the last place off; that is the converter's business, not the key's.)
    let mut read_back: Vec<(Value, Value)> = Vec::new();
    let records: Vec<Value> = case
        .values
        .iter()
        .enumerate()
        .map(|(i, (k, nk))| {
            let value = json!({"k": k, "n": {"k": nk}, "other": "x/../y"});
            let back: Value = serde_json::from_str(&value.to_string()).unwrap();
            read_back.push((back["k"].clone(), back["n"]["k"].clone()));
            json!({"topic": topic, "partition": case.partition,
                   "offset": case.base_offset + i as i64, "timestamp": 1_696_122_000_000_i64,
                   "timestampType": "CREATE_TIME", "key": null,
                   "value": STANDARD.encode(value.to_string()), "headers": []})
        })
        .collect();
    let event = parse_event_value(json!({
        "eventSource": "aws:kafka",
        "records": { format!("{topic}-{}", case.partition): records },
    }))
    .expect("valid event");
    let store = Arc::new(MemStore::default());
    let sink = Sink::new(config.clone(), store.clone());
    let result = futures::executor::block_on(sink.handle(&event, 1_696_172_645_000));

    // The longest a record's key can be: every byte escaped to three.
    let fixed = config.layout.topics_dir.len() + 2 * topic.len() + 4 * d.len() + 60;
    let worst = |(k, nk): &(Value, Value)| {
        fixed
            + case
                .layout
                .fields()
                .iter()
                .zip([k, nk])
                .map(|(name, v)| name.len() + 1 + 3 * plain(v).len() + d.len())
                .sum::<usize>()
    };
    let surely_short = case.values.iter().all(|v| worst(v) <= MAX_KEY_BYTES);

    let summary = match result {
        Ok(summary) => summary,
        Err(e) => {
            prop_assert!(
                !case.layout.tolerate,
                "failed with errors.tolerance=all: {e}"
            );
            prop_assert!(matches!(e, SinkError::File { .. }), "{e}");
            prop_assert!(e.to_string().contains("over S3's limit"), "{e}");
            prop_assert!(!surely_short, "short keys failed: {e}");
            prop_assert!(store.objects.lock().unwrap().is_empty());
            return Ok(());
        }
    };
    prop_assert_eq!(summary.records_written + summary.errored, case.values.len());
    if surely_short {
        prop_assert_eq!(summary.errored, 0);
    }

    let objects = store.objects.lock().unwrap().clone();
    let data_head = format!("{}{d}{topic}{d}", config.layout.topics_dir);
    let error_head = format!("{}{d}{topic}{d}", config.errors_prefix);
    let mut seen = 0;
    for (key, body) in &objects {
        check_segments(key)?;
        if let Some(rest) = key.strip_prefix(&error_head) {
            prop_assert!(
                case.layout.tolerate,
                "error object without tolerance: {key}"
            );
            let dir = format!("partition={}{d}", case.partition);
            prop_assert!(rest.starts_with(&dir), "{key:?} is not under {dir:?}");
            for line in String::from_utf8(body.clone()).unwrap().lines() {
                let line: Value = serde_json::from_str(line).unwrap();
                let reason = line["reason"].as_str().unwrap_or_default();
                prop_assert!(reason.contains("over S3's limit"), "{reason}");
                seen += 1;
            }
            continue;
        }
        let Some(rest) = key.strip_prefix(&data_head) else {
            return Err(TestCaseError::fail(format!(
                "{key:?} is under neither {data_head:?} nor {error_head:?}"
            )));
        };
        // `{path}{d}{topic}+{partition}+{offset:010}.json`
        let (path, name) = rest
            .rsplit_once(d.as_str())
            .ok_or_else(|| TestCaseError::fail(format!("no file name in {key:?}")))?;
        let offset: i64 = name
            .strip_prefix(&format!("{topic}+{}+", case.partition))
            .and_then(|n| n.strip_suffix(".json"))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| TestCaseError::fail(format!("bad file name in {key:?}")))?;
        let index = usize::try_from(offset - case.base_offset).unwrap();
        let (k, nk) = &read_back[index];
        let parts: Vec<&str> = path.split(d.as_str()).collect();
        let fields = case.layout.fields();
        prop_assert_eq!(parts.len(), fields.len(), "{:?}", key);
        for ((part, field), original) in parts.iter().zip(&fields).zip([k, nk]) {
            let escaped = part
                .strip_prefix(&format!("{field}="))
                .ok_or_else(|| TestCaseError::fail(format!("{part:?} is not {field}=…")))?;
            prop_assert!(
                !escaped
                    .chars()
                    .any(|c| c == '/' || c == '\\' || c.is_control() || d.contains(c)),
                "unescaped character in {escaped:?}"
            );
            prop_assert_eq!(unescape(escaped), Some(plain(original)), "{:?}", key);
        }
        seen += 1;
    }
    prop_assert_eq!(seen, case.values.len(), "records in objects");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn keys_from_field_values_are_safe(case in case()) {
        run(&case)?;
    }
}

/// The documented examples, through the handler: each key part decodes to its value.
#[test]
fn named_cases() {
    let nasty = [
        "..",
        ".",
        "",
        "../../etc/passwd",
        "a\\b",
        "100%",
        "%2F",
        "tab\there",
        "\u{0}",
        "서울/부산",
        "#",
        "\u{9f}",
    ];
    for delim in ["/", "#", "-"] {
        for topics_dir in [None, Some("a/b")] {
            for tolerate in [false, true] {
                let case = Case {
                    layout: Layout {
                        delim,
                        topics_dir,
                        tolerate,
                        two_fields: true,
                    },
                    partition: 2,
                    base_offset: 5,
                    values: nasty
                        .iter()
                        .zip(nasty.iter().rev())
                        .map(|(a, b)| (json!(a), json!(b)))
                        .collect(),
                };
                run(&case).unwrap();
            }
        }
    }
}

/// A value long enough to exceed S3's key limit fails the invocation, or goes to the error
/// prefix with errors.tolerance=all.
#[test]
fn too_long_keys_fail_or_go_to_the_error_prefix() {
    for tolerate in [false, true] {
        let case = Case {
            layout: Layout {
                delim: "/",
                topics_dir: Some("a/b"),
                tolerate,
                two_fields: false,
            },
            partition: 0,
            base_offset: 0,
            values: vec![
                (json!("short"), json!(1)),
                (json!("/".repeat(400)), json!(1)),
            ],
        };
        run(&case).unwrap();
    }
}

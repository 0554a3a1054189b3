//! The fuzz targets without libFuzzer, so CI keeps what fuzzing found.
//!
//! - Every file in `tests/fixtures/fuzz/<target>/` (minimized crash inputs that were fixed, and
//!   a few interesting corpus entries) runs through the same code as the fuzz target
//!   (`fuzz/src/harness.rs`, included here), which must not panic.
//! - A short proptest per target throws random bytes and strings, and a little structure, at
//!   the same entry points.
//!
//! The targets themselves, and how to run them, are in `fuzz/README.md`.

#[allow(dead_code)]
#[path = "../fuzz/src/harness.rs"]
mod harness;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDate;
use chrono_tz::Tz;
use proptest::prelude::*;
use serde_json::{Value, json};

use kafka_s3_sink::config::{Config, RawConfig};
use kafka_s3_sink::convert::Converted;
use kafka_s3_sink::event::{SinkRecord, TimestampType, parse_event_value};
use kafka_s3_sink::partitioner::joda::JodaPattern;
use kafka_s3_sink::partitioner::{RecordView, TimestampExtractor};

fn fixtures(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target)
}

#[test]
fn kept_fuzz_inputs_do_not_panic() {
    let mut failures = Vec::new();
    let mut count = 0;
    for target in harness::TARGETS {
        let files = harness::files_in(&fixtures(target));
        assert!(
            !files.is_empty(),
            "tests/fixtures/fuzz/{target}/ has no inputs"
        );
        for (name, bytes) in files {
            count += 1;
            if let Err(panic) =
                catch_unwind(AssertUnwindSafe(|| harness::run_target(target, &bytes)))
            {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                failures.push(format!("{target}/{name}: {message}"));
            }
        }
    }
    assert!(count > 0);
    assert!(failures.is_empty(), "panicked:\n{}", failures.join("\n"));
}

/// `joda/crash-offset-past-max-date`: a `timestamp.parser` with a zone offset, and a time the
/// offset moves past chrono's last date, panicked in `NaiveDateTime - FixedOffset`
/// (src/partitioner/timestamp.rs). The extractor now computes in milliseconds, as the ISO-8601
/// path does, and the time-based partitioner refuses the out-of-range time.
#[test]
fn a_parsed_offset_past_the_last_date_is_an_error_not_a_panic() {
    let extract = |pattern: &str, text: &str| {
        let extractor = TimestampExtractor::RecordField {
            field: "ts".to_owned(),
            parser: Some(JodaPattern::compile(pattern).unwrap()),
            timezone: Tz::UTC.into(),
        };
        let record = SinkRecord {
            offset: 0,
            timestamp: None,
            timestamp_type: TimestampType::CreateTime,
            key: None,
            value: None,
            headers: Vec::new(),
            key_schema: None,
            value_schema: None,
        };
        let value = Converted {
            data: json!({ "ts": text }),
            schema: None,
        };
        let view = RecordView {
            partition: 0,
            record: &record,
            value: Some(&value),
        };
        extractor.extract(&view, 0)
    };
    let last = NaiveDate::MAX
        .and_hms_opt(23, 59, 59)
        .unwrap()
        .and_utc()
        .timestamp_millis();
    assert_eq!(
        extract("yyyy-MM-dd HH:mm:ssZZ", "262142-12-31 23:59:59-01:00"),
        Ok(last + 3_600_000)
    );
    assert_eq!(
        extract("Y-M-d H:m:s.SZ", "262142-12-31 23:9:5.9-01"),
        Ok(last - 3_053_100 + 3_600_000)
    );
    let first = NaiveDate::MIN.and_hms_opt(0, 0, 0).unwrap();
    let text = format!("{} +14:00", first.format("%Y-%m-%d %H:%M:%S"));
    assert_eq!(
        extract("yyyy-MM-dd HH:mm:ss ZZ", &text),
        Ok(first.and_utc().timestamp_millis() - 14 * 3_600_000)
    );
    // In range, the offset still counts as before.
    assert_eq!(
        extract("yyyy-MM-dd HH:mm:ssZZ", "2023-10-01 09:00:00+09:00"),
        Ok(1_696_118_400_000)
    );

    // Through the handler: the record fails with a clear message.
    let config = Config::from_raw(&RawConfig::from_pairs([
        ("flush.size", "1"),
        ("value.converter.schemas.enable", "false"),
        ("partitioner.class", "TimeBasedPartitioner"),
        ("timestamp.extractor", "RecordField"),
        ("timestamp.field", "ts"),
        ("timestamp.parser", "yyyy-MM-dd HH:mm:ssZZ"),
        ("path.format", "'dt'=yyyy-MM-dd"),
        ("partition.duration.ms", "86400000"),
        ("timezone", "Asia/Seoul"),
        ("locale", "ko_KR"),
    ]))
    .unwrap();
    let value = json!({"ts": "262142-12-31 23:59:59-01:00"}).to_string();
    let event = parse_event_value(json!({
        "eventSource": "aws:kafka",
        "records": {"t-0": [{"topic": "t", "partition": 0, "offset": 0, "timestamp": 1,
                             "value": STANDARD.encode(value), "headers": []}]},
    }))
    .unwrap();
    let (result, store) = harness::handle(&Arc::new(config), &event);
    let err = result.unwrap_err().to_string();
    assert!(
        err.contains("outside the range a date can be formatted in"),
        "{err}"
    );
    assert!(store.puts().is_empty());
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text with the characters that matter to the parsers: digits, signs, separators, quotes,
/// pattern letters, escapes, non-ASCII and controls.
fn texty() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[-+:.,/ 'TZ0-9a-zA-Z\\\\\"{}=#!\n\u{0}-\u{1f}\u{ac00}\u{1F600}]{0,40}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        texty().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        prop::sample::select(vec![
                            "a", "b", "c", "ts", "op", "before", "after", "source", "schema",
                            "payload", "type", "fields", "field", "optional", "name",
                        ])
                        .prop_map(str::to_owned),
                        texty(),
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// An event-like document: a record list under one map key, with loose types.
fn event_json() -> impl Strategy<Value = Vec<u8>> {
    let record = (
        prop_oneof![texty(), Just("orders".to_owned()), Just("a-b".to_owned())],
        prop_oneof![any::<i64>(), 0..4_i64],
        prop_oneof![any::<i64>(), 0..6_i64],
        prop_oneof![
            Just(json!(1_696_122_000_000_i64)),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            Just(Value::Null),
        ],
        prop_oneof![
            json_value().prop_map(|v| json!(STANDARD.encode(v.to_string()))),
            any::<Vec<u8>>().prop_map(|b| json!(STANDARD.encode(b))),
            texty().prop_map(Value::String),
            Just(Value::Null),
        ],
        prop::collection::vec((texty(), any::<Vec<i8>>()), 0..3),
    )
        .prop_map(|(topic, partition, offset, timestamp, value, headers)| {
            let headers: Vec<Value> = headers
                .into_iter()
                .map(|(name, bytes)| json!({ name: bytes }))
                .collect();
            json!({"topic": topic, "partition": partition, "offset": offset,
                   "timestamp": timestamp, "timestampType": "CREATE_TIME",
                   "key": null, "value": value, "headers": headers})
        });
    (texty(), prop::collection::vec(record, 0..5)).prop_map(|(key, records)| {
        json!({"eventSource": "aws:kafka", "records": { key: records }})
            .to_string()
            .into_bytes()
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn event_decode_random(data in prop_oneof![any::<Vec<u8>>(), event_json()]) {
        harness::event_bytes(&data);
    }

    #[test]
    fn config_parse_random(
        text in prop_oneof![
            texty(),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "flush.size", "topics", "topics.regex", "topics.dir", "directory.delim",
                        "file.delim", "partitioner.class", "partition.field.name", "path.format",
                        "partition.duration.ms", "timezone", "locale", "timestamp.extractor",
                        "timestamp.field", "timestamp.parser", "rotate.interval.ms",
                        "errors.tolerance", "errors.prefix", "filename.offset.zero.pad.width",
                        "transforms", "transforms.t.type", "transforms.t.field",
                        "transforms.t.format", "transforms.t.target.type",
                    ]),
                    prop_oneof![
                        texty(),
                        prop::sample::select(vec![
                            "1", "FieldPartitioner", "TimeBasedPartitioner", "UTC", "ko_KR",
                            "RecordField", "a.b", "all", "yyyy", "86400000", "t",
                            "TimestampConverter$Value", "string",
                        ]).prop_map(str::to_owned),
                    ],
                ),
                0..12,
            )
            .prop_map(|pairs| {
                let mut text = "flush.size=1\n".to_owned();
                for (k, v) in pairs {
                    text.push_str(&format!("{k}={v}\n"));
                }
                text
            }),
        ]
    ) {
        harness::config_text(text.as_bytes());
    }

    #[test]
    fn joda_random(
        pattern in prop_oneof![texty(), "[GCYxwedEDMmsSaHhKkZzy' /:.-]{1,16}"],
        input in prop_oneof![
            texty(),
            "[-+]?[0-9]{1,9}(-[0-9]{1,3}(-[0-9]{1,2})?)?([T ][0-9]{1,2}(:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,9})?)?)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?",
        ],
    ) {
        harness::joda_input(format!("{pattern}\n{input}").as_bytes());
    }

    #[test]
    fn converters_random(
        data in prop_oneof![
            any::<Vec<u8>>(),
            json_value().prop_map(|v| v.to_string().into_bytes()),
            (json_value(), json_value()).prop_map(|(schema, payload)| {
                let mut b = schema.to_string().into_bytes();
                b.push(0xFF);
                b.extend(payload.to_string().into_bytes());
                b
            }),
        ]
    ) {
        harness::converters_input(&data);
    }

    #[test]
    fn transforms_random(
        format in prop::option::of(prop_oneof![texty(), "[yMdHmsSXZEa' :.-]{1,12}"]),
        value in json_value(),
    ) {
        let mut data = Vec::new();
        if let Some(f) = format {
            data.extend(f.replace('\0', "").into_bytes());
            data.push(0);
        }
        data.extend(value.to_string().into_bytes());
        harness::transforms_input(&data);
    }
}

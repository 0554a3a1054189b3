//! Bad input fails the invocation with a message naming topic, partition, offset and reason,
//! and writes nothing.

mod helpers;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use helpers::{read_tree, run_inline};

fn event(records: &[(i64, Option<&str>)]) -> String {
    let recs: Vec<String> = records
        .iter()
        .map(|(off, v)| {
            let value = v.map_or("null".to_owned(), |v| format!("\"{}\"", STANDARD.encode(v)));
            format!(
                r#"{{"topic":"orders","partition":2,"offset":{off},"timestamp":1696122000000,"timestampType":"CREATE_TIME","key":null,"value":{value},"headers":[]}}"#
            )
        })
        .collect();
    format!(
        r#"{{"eventSource":"aws:kafka","records":{{"orders-2":[{}]}}}}"#,
        recs.join(",")
    )
}

const TIME_BASED: &[(&str, &str)] = &[
    ("flush.size", "10"),
    ("value.converter.schemas.enable", "false"),
    ("partitioner.class", "TimeBasedPartitioner"),
    ("timestamp.extractor", "RecordField"),
    ("timestamp.field", "dt"),
    ("path.format", "'year'=YYYY/'month'=MM/'day'=dd"),
    ("partition.duration.ms", "86400000"),
    ("timezone", "Asia/Seoul"),
    ("locale", "ko_KR"),
];

async fn failure(pairs: &[(&str, &str)], records: &[(i64, Option<&str>)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let err = run_inline(pairs, &event(records), dir.path())
        .await
        .unwrap_err();
    assert!(
        read_tree(dir.path()).is_empty(),
        "nothing may be written on a data error"
    );
    assert!(!err.is_retryable());
    err.to_string()
}

#[tokio::test]
async fn unparseable_value() {
    let e = failure(
        TIME_BASED,
        &[(5, Some(r#"{"dt":"2023-10-01"}"#)), (6, Some("{not json"))],
    )
    .await;
    assert_eq!(
        e,
        "topic orders, partition 2, offset 6: value.converter: not valid JSON for JsonConverter: key must be a string at line 1 column 2"
    );
}

#[tokio::test]
async fn missing_and_unparseable_timestamp_fields() {
    let e = failure(TIME_BASED, &[(7, Some(r#"{"other":1}"#))]).await;
    assert_eq!(
        e,
        "topic orders, partition 2, offset 7: field \"dt\" is missing from the record value"
    );
    let e = failure(TIME_BASED, &[(8, Some(r#"{"dt":"next tuesday"}"#))]).await;
    assert!(
        e.starts_with("topic orders, partition 2, offset 8: timestamp field \"dt\": "),
        "{e}"
    );
    let e = failure(TIME_BASED, &[(9, Some(r#"{"dt":{"y":2023}}"#))]).await;
    assert!(
        e.starts_with("topic orders, partition 2, offset 9: timestamp field \"dt\": an object"),
        "{e}"
    );
}

#[tokio::test]
async fn field_partition_field_not_scalar_or_not_in_the_schema() {
    let cfg = &[
        ("flush.size", "10"),
        ("value.converter.schemas.enable", "false"),
        ("partitioner.class", "FieldPartitioner"),
        ("partition.field.name", "region"),
    ];
    // An absent schemaless field is `region=null` (tests/parity.rs); an object is an error.
    let e = failure(cfg, &[(3, Some(r#"{"region":{"a":1}}"#))]).await;
    assert_eq!(
        e,
        "topic orders, partition 2, offset 3: field \"region\" is an object, not a string, number or boolean"
    );
    let schemaed = &[
        ("flush.size", "10"),
        ("partitioner.class", "FieldPartitioner"),
        ("partition.field.name", "region"),
    ];
    let e = failure(
        schemaed,
        &[(
            4,
            Some(r#"{"schema":{"type":"struct","fields":[{"field":"x","type":"int32"}]},"payload":{"x":1}}"#),
        )],
    )
    .await;
    assert_eq!(
        e,
        "topic orders, partition 2, offset 4: field \"region\" is not in the value's schema"
    );
}

#[tokio::test]
async fn tombstones_fail_by_default_and_are_counted_when_ignored() {
    let cfg = &[
        ("flush.size", "10"),
        ("value.converter.schemas.enable", "false"),
    ];
    let e = failure(cfg, &[(4, None)]).await;
    assert!(
        e.starts_with("topic orders, partition 2, offset 4: null value (tombstone)"),
        "{e}"
    );

    let dir = tempfile::tempdir().unwrap();
    let cfg = &[
        ("flush.size", "10"),
        ("value.converter.schemas.enable", "false"),
        ("behavior.on.null.values", "ignore"),
    ];
    let s = run_inline(cfg, &event(&[(4, None), (5, Some("{}"))]), dir.path())
        .await
        .unwrap();
    assert_eq!(
        (
            s.records_in,
            s.records_written,
            s.dropped_by_rule,
            s.errored
        ),
        (2, 1, 1, 0)
    );
    assert_eq!(
        s.files[0].key,
        "topics/orders/partition=2/orders+2+0000000005.json"
    );
}

#[tokio::test]
async fn schema_envelope_expected_but_missing() {
    let e = failure(&[("flush.size", "1")], &[(1, Some(r#"{"a":1}"#))]).await;
    assert!(e.contains("value.converter.schemas.enable=false"), "{e}");
}

#[tokio::test]
async fn topics_not_configured_are_refused() {
    let e = failure(
        &[("flush.size", "1"), ("topics", "payments")],
        &[(1, Some("{}"))],
    )
    .await;
    assert_eq!(
        e,
        "topic \"orders\" is not one of the configured topics (`topics` / `topics.regex`)"
    );
}

#[tokio::test]
async fn not_a_kafka_event() {
    let err = kafka_s3_sink::event::parse_event_json(
        br#"{"Records":[{"eventSource":"aws:sqs","body":"x"}]}"#,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "not a Kafka event: eventSource is missing, expected \"aws:kafka\" (Amazon MSK) or \"SelfManagedKafka\""
    );
}

#[tokio::test]
async fn object_keys_over_the_s3_limit_are_refused() {
    let long = "x".repeat(1100);
    let value = format!(r#"{{"region":"{long}"}}"#);
    let cfg = &[
        ("flush.size", "10"),
        ("value.converter.schemas.enable", "false"),
        ("partitioner.class", "FieldPartitioner"),
        ("partition.field.name", "region"),
    ];
    let e = failure(cfg, &[(1, Some(value.as_str()))]).await;
    assert!(e.contains("over S3's limit of 1024"), "{e}");
}

#[tokio::test]
async fn errors_tolerance_all_writes_the_good_and_parks_the_bad_with_its_reason() {
    let mut cfg = TIME_BASED.to_vec();
    cfg.push(("errors.tolerance", "all"));
    let records = [
        (10, Some(r#"{"dt":"2023-10-01","n":1}"#)),
        (11, Some("{not json")),
        (12, Some(r#"{"n":3}"#)),
        (13, Some(r#"{"dt":"2023-10-02","n":4}"#)),
        (14, None),
    ];
    let dir = tempfile::tempdir().unwrap();
    let s = run_inline(&cfg, &event(&records), dir.path())
        .await
        .unwrap();
    assert_eq!(
        (
            s.records_in,
            s.records_written,
            s.errored,
            s.dropped_by_rule
        ),
        (5, 2, 3, 0)
    );
    let tree = helpers::text_tree(dir.path());
    assert_eq!(
        tree.keys().collect::<Vec<_>>(),
        vec![
            "topics/_errors/orders/partition=2/orders+2+0000000011.json",
            "topics/orders/year=2023/month=10/day=01/orders+2+0000000010.json",
            "topics/orders/year=2023/month=10/day=02/orders+2+0000000013.json",
        ]
    );
    let errors: Vec<serde_json::Value> =
        tree["topics/_errors/orders/partition=2/orders+2+0000000011.json"]
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    assert_eq!(errors.len(), 3);
    assert_eq!(errors[0]["offset"], 11);
    assert_eq!(errors[0]["value"], STANDARD.encode("{not json"));
    assert!(
        errors[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("value.converter: not valid JSON"),
        "{}",
        errors[0]
    );
    assert_eq!(errors[1]["offset"], 12);
    assert_eq!(
        errors[1]["reason"],
        "field \"dt\" is missing from the record value"
    );
    assert_eq!(errors[2]["offset"], 14);
    assert_eq!(errors[2]["value"], serde_json::Value::Null);
    assert!(
        errors[2]["reason"]
            .as_str()
            .unwrap()
            .starts_with("null value (tombstone)")
    );
    assert_eq!(errors[0]["topic"], "orders");
    assert_eq!(errors[0]["partition"], 2);
    assert_eq!(errors[0]["timestamp"], 1696122000000i64);
    let summary_error_file = s
        .files
        .iter()
        .find(|f| f.kind == kafka_s3_sink::handler::ObjectKind::Errors)
        .unwrap();
    assert_eq!(summary_error_file.records, 3);

    // The same batch again: the same bytes under the same keys.
    let again = tempfile::tempdir().unwrap();
    run_inline(&cfg, &event(&records), again.path())
        .await
        .unwrap();
    assert_eq!(read_tree(dir.path()), read_tree(again.path()));
}

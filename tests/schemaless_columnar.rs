//! Schemaless JSON values written as Parquet or Avro are placed from the fields the
//! partitioner reads, with no tree per record, and converted again when their file is
//! encoded. These tests hold that path to the one every record took before it: the same
//! event through the same config with a transform that keeps every record (which takes the
//! tree path for all of them) must write the same objects, byte for byte, errors included.

mod helpers;

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kafka_s3_sink::config::RawConfig;
use kafka_s3_sink::event::parse_event_json;
use kafka_s3_sink::storage::LocalStore;
use kafka_s3_sink::{Config, InvocationSummary, Sink};

/// Values of several shapes over three days, one day after another, with one that cannot be
/// placed (text that is not JSON) and one that repeats a key (its last value counts, on both
/// paths).
const VALUES: &[&str] = &[
    r#"{"id":1,"dt":"2024-03-01","name":"a","price":1.5,"tags":["x","y"],"nested":{"k":true}}"#,
    r#"{"id":2,"dt":"2024-03-01","name":"\u00e9\n\"q\"","price":2,"tags":[],"nested":{"k":false}}"#,
    r#"{"id":3,"dt":"2024-03-01","name":null,"price":-0.0,"tags":["z"],"nested":null}"#,
    "not json",
    r#"{"id":5,"dt":"2024-03-02","name":"b","price":1e300,"tags":["w"],"nested":{"k":true}}"#,
    r#"{"id":6,"dt":"2024-03-02","name":"c","price":3.25,"tags":null,"nested":{"k":true},"id":7}"#,
    r#"{"id":8,"dt":"2024-03-03","name":"d","price":0.1,"tags":["v","u"],"nested":{"k":false}}"#,
    r#"{"id":9,"dt":"2024-03-03","name":"e","price":9007199254740993,"tags":["t"],"nested":{"k":true}}"#,
];

fn event() -> String {
    let records: Vec<String> = VALUES
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                r#"{{"topic":"orders","partition":0,"offset":{},"timestamp":1000,"timestampType":"CREATE_TIME","value":"{}","headers":[]}}"#,
                100 + i,
                STANDARD.encode(v)
            )
        })
        .collect();
    format!(
        r#"{{"eventSource":"aws:kafka","records":{{"orders-0":[{}]}}}}"#,
        records.join(",")
    )
}

/// Runs the event through `format` (a `format.class`), with or without a transform that
/// keeps every record; returns the summary and every object written.
async fn run(
    format: &str,
    extra: &[(&str, &str)],
    keep_all_transform: bool,
) -> (InvocationSummary, BTreeMap<String, Vec<u8>>) {
    let dir = tempfile::tempdir().unwrap();
    let mut pairs = vec![
        ("format.class", format),
        ("flush.size", "2"),
        ("value.converter.schemas.enable", "false"),
        ("partitioner.class", "TimeBasedPartitioner"),
        ("timestamp.extractor", "RecordField"),
        ("timestamp.field", "dt"),
        ("timestamp.parser", "yyyy-MM-dd"),
        ("path.format", "'dt'=YYYY-MM-dd"),
        ("partition.duration.ms", "86400000"),
        ("timezone", "UTC"),
        ("locale", "en"),
        ("errors.tolerance", "all"),
    ];
    pairs.extend_from_slice(extra);
    if keep_all_transform {
        pairs.extend_from_slice(&[
            ("transforms", "keep"),
            (
                "transforms.keep.type",
                "org.apache.kafka.connect.transforms.Filter",
            ),
            ("transforms.keep.predicate", "none"),
            ("predicates", "none"),
            (
                "predicates.none.type",
                "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            ),
            ("predicates.none.pattern", "no-such-topic"),
        ]);
    }
    let config = Config::from_raw(&RawConfig::from_pairs(pairs)).unwrap();
    let sink = Sink::new(Arc::new(config), Arc::new(LocalStore::new(dir.path())));
    let summary = sink
        .handle(&parse_event_json(event().as_bytes()).unwrap(), 0)
        .await
        .unwrap();
    (summary, helpers::read_tree(dir.path()))
}

async fn same_as_the_tree_path(format: &str, extra: &[(&str, &str)], extension: &str) {
    let (fast, fast_objects) = run(format, extra, false).await;
    let (tree, tree_objects) = run(format, extra, true).await;
    assert_eq!(fast_objects, tree_objects, "{format} {extra:?}");
    assert_eq!(fast, tree);
    // Seven records written in files of at most two, one reported as an error.
    assert_eq!(fast.records_written, 7, "{fast:?}");
    assert_eq!(fast.errored, 1, "{fast:?}");
    let data: Vec<(&str, usize)> = fast
        .files
        .iter()
        .filter(|f| f.key.ends_with(extension))
        .map(|f| (f.key.as_str(), f.records))
        .collect();
    let key =
        |dt: &str, offset: u32| format!("topics/orders/dt={dt}/orders+0+{offset:010}{extension}");
    let expected = [
        (key("2024-03-01", 100), 2),
        (key("2024-03-01", 102), 1),
        (key("2024-03-02", 104), 2),
        (key("2024-03-03", 106), 2),
    ];
    let expected: Vec<(&str, usize)> = expected.iter().map(|(k, n)| (k.as_str(), *n)).collect();
    assert_eq!(data, expected);
}

#[tokio::test]
async fn parquet_from_fields_matches_the_tree_path() {
    same_as_the_tree_path(
        "io.confluent.connect.s3.format.parquet.ParquetFormat",
        &[("parquet.codec", "snappy")],
        ".snappy.parquet",
    )
    .await;
}

#[tokio::test]
async fn avro_from_fields_matches_the_tree_path() {
    same_as_the_tree_path(
        "io.confluent.connect.s3.format.avro.AvroFormat",
        &[],
        ".avro",
    )
    .await;
}

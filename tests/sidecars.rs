//! Keys and headers beside the data (`store.kafka.keys`, `store.kafka.headers`), the envelope
//! option, and Parquet/Avro through the real handler, read back with the parquet and avro
//! crates' own readers.

mod helpers;

use std::collections::BTreeMap;

use apache_avro::types::Value as Avro;
use helpers::{read_tree, replay_into_with};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn avro_rows(bytes: &[u8]) -> Vec<Avro> {
    apache_avro::Reader::new(bytes)
        .unwrap()
        .map(|v| v.unwrap())
        .collect()
}

#[tokio::test]
async fn key_and_header_sidecars_follow_each_data_file() {
    let dir = tempfile::tempdir().unwrap();
    replay_into_with(
        "examples/configs/orders-default.json",
        &[
            ("store.kafka.keys", "true"),
            ("store.kafka.headers", "true"),
            ("headers.format.class", "JsonFormat"),
        ],
        &["events/orders-msk.json"],
        dir.path(),
    )
    .await
    .unwrap();
    let tree = read_tree(dir.path());
    let names: Vec<&str> = tree.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        vec![
            "topics/orders/partition=0/orders+0+0000000000.headers.json",
            "topics/orders/partition=0/orders+0+0000000000.json",
            "topics/orders/partition=0/orders+0+0000000000.keys.avro",
            "topics/orders/partition=0/orders+0+0000000001.headers.json",
            "topics/orders/partition=0/orders+0+0000000001.json",
            "topics/orders/partition=0/orders+0+0000000001.keys.avro",
            "topics/orders/partition=1/orders+1+0000000000.headers.json",
            "topics/orders/partition=1/orders+1+0000000000.json",
            "topics/orders/partition=1/orders+1+0000000000.keys.avro",
        ]
    );
    // The first record's key is the JSON number 1 (JsonConverter without schemas).
    assert_eq!(
        avro_rows(&tree["topics/orders/partition=0/orders+0+0000000000.keys.avro"]),
        vec![Avro::Long(1)]
    );
    // Header bytes [-61, -87] are "é" in UTF-8; JSON headers are enveloped as Confluent's
    // RecordViews.HeaderRecordView does.
    assert_eq!(
        String::from_utf8(
            tree["topics/orders/partition=0/orders+0+0000000000.headers.json"].clone()
        )
        .unwrap(),
        "{\"headers\":[{\"key\":\"source\",\"value\":\"order-api\"},{\"key\":\"trace\",\"value\":\"é\"}]}\n"
    );
}

#[tokio::test]
async fn envelope_records_carry_key_headers_and_coordinates() {
    let dir = tempfile::tempdir().unwrap();
    replay_into_with(
        "examples/configs/orders-default.json",
        &[
            ("format.envelope", "true"),
            ("format.class", "ParquetFormat"),
        ],
        &["events/orders-msk.json"],
        dir.path(),
    )
    .await
    .unwrap();
    let tree = read_tree(dir.path());
    let body = bytes::Bytes::from(
        tree["topics/orders/partition=1/orders+1+0000000000.snappy.parquet"].clone(),
    );
    let reader = ParquetRecordBatchReaderBuilder::try_new(body)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<_> = reader.map(|b| b.unwrap()).collect();
    let batch = &batches[0];
    let columns: Vec<String> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(
        columns,
        vec![
            "topic",
            "partition",
            "offset",
            "timestamp",
            "key",
            "headers",
            "value"
        ]
    );
    assert_eq!(batch.num_rows(), 1);
}

#[tokio::test]
async fn seed_configs_switched_to_parquet_and_avro_keep_every_record() {
    let seeds = [
        (
            "examples/configs/orders-default.json",
            "events/orders-msk.json",
            3,
        ),
        (
            "examples/configs/orders-timebased.json",
            "events/orders-msk.json",
            3,
        ),
        (
            "examples/configs/orders-field.json",
            "events/orders-schema-msk.json",
            3,
        ),
        (
            "examples/configs/salesdb-customer.properties",
            "events/salesdb-customer-self-managed.json",
            3,
        ),
        (
            "examples/configs/dbserver-customers.json",
            "events/dbserver-customers-msk.json",
            3,
        ),
    ];
    for (config, event, expected) in seeds {
        for (class, ext) in [
            ("ParquetFormat", ".snappy.parquet"),
            ("AvroFormat", ".avro"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            replay_into_with(
                config,
                &[("format.class", class), ("parquet.codec", "snappy")],
                &[event],
                dir.path(),
            )
            .await
            .unwrap();
            let tree = read_tree(dir.path());
            let mut rows = 0;
            let mut by_key = BTreeMap::new();
            for (key, body) in &tree {
                assert!(key.ends_with(ext), "{key}");
                let n = if class == "ParquetFormat" {
                    let reader =
                        ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(body.clone()))
                            .unwrap()
                            .build()
                            .unwrap();
                    reader.map(|b| b.unwrap().num_rows()).sum::<usize>()
                } else {
                    avro_rows(body).len()
                };
                rows += n;
                by_key.insert(key.clone(), n);
            }
            assert_eq!(rows, expected, "{config} as {class}: {by_key:?}");
            // Byte-identical on replay.
            let again = tempfile::tempdir().unwrap();
            replay_into_with(config, &[("format.class", class)], &[event], again.path())
                .await
                .unwrap();
            assert_eq!(read_tree(again.path()), tree, "{config} as {class}");
        }
    }
}

#[tokio::test]
async fn tombstones_written_under_the_tombstone_path_with_their_keys() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = &[
        ("flush.size", "10"),
        ("value.converter.schemas.enable", "false"),
        ("key.converter", "StringConverter"),
        ("behavior.on.null.values", "write"),
        ("store.kafka.keys", "true"),
        ("keys.format.class", "JsonFormat"),
    ];
    let event = r#"{"eventSource":"aws:kafka","records":{"t-0":[
        {"topic":"t","partition":0,"offset":0,"timestamp":1,"key":"YQ==","value":"eyJ4IjoxfQ==","headers":[]},
        {"topic":"t","partition":0,"offset":1,"timestamp":2,"key":"Yg==","value":null,"headers":[]}]}}"#;
    let s = helpers::run_inline(cfg, event, dir.path()).await.unwrap();
    assert_eq!(
        (s.records_in, s.records_written, s.dropped_by_rule),
        (2, 2, 0)
    );
    let tree = helpers::text_tree(dir.path());
    // No value file under the tombstone path, as Confluent's KeyValueHeaderRecordWriterProvider.
    assert!(!tree.contains_key("topics/t/tombstone/t+0+0000000001.json"));
    assert_eq!(
        tree["topics/t/tombstone/t+0+0000000001.keys.json"],
        "\"b\"\n"
    );
    assert_eq!(
        tree["topics/t/partition=0/t+0+0000000000.json"],
        "{\"x\":1}\n"
    );
    assert_eq!(
        tree["topics/t/partition=0/t+0+0000000000.keys.json"],
        "\"a\"\n"
    );

    // Without stored keys the setting is refused at cold start.
    let raw = kafka_s3_sink::config::RawConfig::from_pairs([
        ("flush.size", "1"),
        ("behavior.on.null.values", "write"),
    ]);
    let err = kafka_s3_sink::Config::from_raw(&raw)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("behavior.on.null.values: write needs store.kafka.keys=true"),
        "{err}"
    );
}

//! Parity with the Confluent S3 sink: one case per behaviour, each with exact keys and bytes,
//! and a comment naming the Confluent source or unit test the expectation comes from
//! (repository and path). "storage-cloud" is confluentinc/kafka-connect-storage-cloud,
//! module `kafka-connect-s3`; "storage-common" is confluentinc/kafka-connect-storage-common.
//! JSON rendering and JsonConverter input have their own suite (`parity_json.rs`).

mod helpers;

use std::collections::BTreeMap;
use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use helpers::{read_tree, run_inline, text_tree};
use kafka_s3_sink::config::{Config, RawConfig};

/// One record: offset, key, value (`None` for a tombstone), headers.
struct Rec<'a> {
    offset: i64,
    key: Option<&'a [u8]>,
    value: Option<&'a [u8]>,
    headers: &'a [(&'a str, &'a [u8])],
}

fn rec<'a>(offset: i64, value: &'a str) -> Rec<'a> {
    Rec {
        offset,
        key: None,
        value: Some(value.as_bytes()),
        headers: &[],
    }
}

/// An MSK event of topic `t`, partition 0, record timestamps 1696122000000 (2023-10-01 UTC).
fn event(records: &[Rec<'_>]) -> String {
    let b64 =
        |b: Option<&[u8]>| b.map_or("null".to_owned(), |b| format!("\"{}\"", STANDARD.encode(b)));
    let recs: Vec<String> = records
        .iter()
        .map(|r| {
            let headers: Vec<String> = r
                .headers
                .iter()
                .map(|(name, value)| {
                    let bytes: Vec<String> =
                        value.iter().map(|b| (*b as i8).to_string()).collect();
                    format!(r#"{{"{name}":[{}]}}"#, bytes.join(","))
                })
                .collect();
            format!(
                r#"{{"topic":"t","partition":0,"offset":{},"timestamp":1696122000000,"timestampType":"CREATE_TIME","key":{},"value":{},"headers":[{}]}}"#,
                r.offset,
                b64(r.key),
                b64(r.value),
                headers.join(",")
            )
        })
        .collect();
    format!(
        r#"{{"eventSource":"aws:kafka","records":{{"t-0":[{}]}}}}"#,
        recs.join(",")
    )
}

async fn run(pairs: &[(&str, &str)], records: &[Rec<'_>]) -> BTreeMap<String, Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    run_inline(pairs, &event(records), dir.path())
        .await
        .expect("invocation succeeds");
    read_tree(dir.path())
}

async fn run_text(pairs: &[(&str, &str)], records: &[Rec<'_>]) -> BTreeMap<String, String> {
    run(pairs, records)
        .await
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8(v).expect("utf-8")))
        .collect()
}

fn tree(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

const SCHEMALESS: &[(&str, &str)] = &[
    ("flush.size", "100"),
    ("value.converter.schemas.enable", "false"),
];

/// A Connect struct `{schema, payload}` message with an optional string field `dt` and an
/// optional struct `user{address{city}}`.
fn schemaed(dt: Option<&str>, city: Option<&str>, name: &str) -> String {
    let user = match city {
        Some(c) => format!(r#"{{"address":{{"city":"{c}"}}}}"#),
        None => "null".to_owned(),
    };
    let dt = dt.map_or("null".to_owned(), |d| format!("\"{d}\""));
    format!(
        r#"{{"schema":{{"type":"struct","name":"{name}","optional":false,"fields":[{{"field":"dt","type":"string","optional":true}},{{"field":"user","type":"struct","optional":true,"fields":[{{"field":"address","type":"struct","optional":true,"fields":[{{"field":"city","type":"string","optional":true}}]}}]}}]}},"payload":{{"dt":{dt},"user":{user}}}}}"#
    )
}

// storage-common partitioner/src/test/java/io/confluent/connect/storage/partitioner/
// FieldPartitionerTest.java: #testNullPartition ("string=null"), #testNestedNullPartition and
// #testNestedMissingPartition ("user.address.city=null"), as FieldPartitioner.encodePartition
// appends `fieldName + "=null"`.
#[tokio::test]
async fn field_partitioner_null_and_nested_missing_fields_are_name_null() {
    let pairs = &[
        ("flush.size", "100"),
        ("partitioner.class", "FieldPartitioner"),
        ("partition.field.name", "dt,user.address.city"),
    ];
    let v0 = schemaed(Some("2023-10-01"), Some("Seoul"), "o");
    let v1 = schemaed(None, None, "o");
    let out = run_text(pairs, &[rec(0, &v0), rec(1, &v1)]).await;
    assert_eq!(
        out.keys().cloned().collect::<Vec<_>>(),
        vec![
            "topics/t/dt=2023-10-01/user.address.city=Seoul/t+0+0000000000.json".to_owned(),
            "topics/t/dt=null/user.address.city=null/t+0+0000000001.json".to_owned(),
        ]
    );
}

// storage-common FieldPartitionerTest.java#testMissingFieldInSchemaThrows: a field the schema
// does not declare fails the record (here it names topic, partition and offset).
#[tokio::test]
async fn field_partitioner_field_not_in_the_schema_fails_the_record() {
    let pairs = &[
        ("flush.size", "100"),
        ("partitioner.class", "FieldPartitioner"),
        ("partition.field.name", "country"),
    ];
    let v = schemaed(Some("2023-10-01"), None, "o");
    let dir = tempfile::tempdir().unwrap();
    let err = run_inline(pairs, &event(&[rec(7, &v)]), dir.path())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "topic t, partition 0, offset 7: field \"country\" is not in the value's schema"
    );
}

// storage-common partitioner/src/main/java/io/confluent/connect/storage/partitioner/
// TimeBasedPartitioner.java, RecordFieldTimestampExtractor.extractTimestampFromString:
// `^-?[0-9]{1,19}$` is `Long.valueOf`; TimeBasedPartitionerTest.java
// #testRecordFieldTimeAsMillisStringExtractorMap.
#[tokio::test]
async fn record_field_digit_strings_are_epoch_millis_without_a_parser() {
    let pairs = &[
        ("flush.size", "100"),
        ("value.converter.schemas.enable", "false"),
        ("partitioner.class", "TimeBasedPartitioner"),
        ("timestamp.extractor", "RecordField"),
        ("timestamp.field", "ts"),
        ("path.format", "'dt'=yyyy-MM-dd-HH"),
        ("partition.duration.ms", "3600000"),
        ("timezone", "UTC"),
        ("locale", "en_US"),
    ];
    // 1700000000000 = 2023-11-14T22:13:20Z; "2023-10-01" stays ISO-8601.
    let out = run_text(
        pairs,
        &[
            rec(0, r#"{"ts":"1700000000000"}"#),
            rec(1, r#"{"ts":"2023-10-01"}"#),
        ],
    )
    .await;
    assert_eq!(
        out.keys().cloned().collect::<Vec<_>>(),
        vec![
            "topics/t/dt=2023-10-01-00/t+0+0000000001.json".to_owned(),
            "topics/t/dt=2023-11-14-22/t+0+0000000000.json".to_owned(),
        ]
    );
}

// storage-cloud src/main/java/io/confluent/connect/s3/S3SinkConnectorConfig.java
// #getFormatByteArrayLineSeparator reads the original, untrimmed string;
// format/bytearray/ByteArrayRecordWriterProvider.java writes it after every record;
// DataWriterByteArrayTest.java#testCustomExtensionAndLineSeparator.
#[tokio::test]
async fn bytearray_separator_is_written_byte_for_byte() {
    for (separator, expected) in [
        (" | ", &b"a | b | "[..]),
        ("\r\n", &b"a\r\nb\r\n"[..]),
        // A JSON config's "\\n" is a backslash and an n: Confluent does not unescape it.
        ("\\n", &b"a\\nb\\n"[..]),
        ("", &b"ab"[..]),
    ] {
        let pairs = &[
            ("flush.size", "100"),
            ("value.converter", "ByteArrayConverter"),
            ("format.class", "ByteArrayFormat"),
            ("format.bytearray.separator", separator),
        ];
        let out = run(pairs, &[rec(0, "a"), rec(1, "b")]).await;
        assert_eq!(
            out.get("topics/t/partition=0/t+0+0000000000.bin")
                .map(Vec::as_slice),
            Some(expected),
            "separator {separator:?}"
        );
    }
}

// An `S3_SINK_*` variable is the one source where `\n` is unescaped (there is no Confluent
// equivalent: environment variables rarely carry raw newlines).
#[test]
fn bytearray_separator_from_an_environment_variable_is_unescaped() {
    let env = vec![
        ("S3_SINK_FLUSH_SIZE".to_owned(), "1".to_owned()),
        (
            "S3_SINK_FORMAT_CLASS".to_owned(),
            "ByteArrayFormat".to_owned(),
        ),
        (
            "S3_SINK_FORMAT_BYTEARRAY_SEPARATOR".to_owned(),
            "\\r\\n".to_owned(),
        ),
    ];
    let config = kafka_s3_sink::config::load(None, &env).expect("valid");
    match &config.format {
        kafka_s3_sink::format::Format::ByteArray(f) => assert_eq!(f.separator(), b"\r\n"),
        other => panic!("{other:?}"),
    }
}

// storage-cloud DataWriterByteArrayTest.java#testGzipCompression: `.bin.gz`, read through
// GZIPInputStream; ByteArrayRecordWriterProvider.getExtension appends the compression's.
#[tokio::test]
async fn bytearray_gzip_is_bin_gz() {
    let pairs = &[
        ("flush.size", "100"),
        ("value.converter", "ByteArrayConverter"),
        ("format.class", "ByteArrayFormat"),
        ("s3.compression.type", "gzip"),
    ];
    let out = run(pairs, &[rec(0, "a"), rec(1, "b")]).await;
    let gz = &out["topics/t/partition=0/t+0+0000000000.bin.gz"];
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, "a\nb\n");
}

// storage-cloud src/main/java/io/confluent/connect/s3/TopicPartitionWriter.java: with
// rotate.interval.ms, `rotateOnTime` rotates (commits every open file) when
// `shouldRotateOnPartitionChangeWithTombstoneCheck` sees the encoded partition change;
// TopicPartitionWriterTest.java#testSchemaPartitionerWithMultipleSchemasRotateOnPartitionChange
// and ...Disabled.
#[tokio::test]
async fn rotation_on_partition_change_makes_runs() {
    let base = [
        ("flush.size", "100"),
        ("value.converter.schemas.enable", "false"),
        ("partitioner.class", "FieldPartitioner"),
        ("partition.field.name", "c"),
        ("rotate.interval.ms", "3600000"),
    ];
    let records = [
        rec(0, r#"{"c":"a"}"#),
        rec(1, r#"{"c":"b"}"#),
        rec(2, r#"{"c":"a"}"#),
        rec(3, r#"{"c":"a"}"#),
    ];
    let on = run_text(&base, &records).await;
    assert_eq!(
        on,
        tree(&[
            ("topics/t/c=a/t+0+0000000000.json", "{\"c\":\"a\"}\n"),
            (
                "topics/t/c=a/t+0+0000000002.json",
                "{\"c\":\"a\"}\n{\"c\":\"a\"}\n"
            ),
            ("topics/t/c=b/t+0+0000000001.json", "{\"c\":\"b\"}\n"),
        ])
    );
    let mut off = base.to_vec();
    off.push(("rotate.file.on.partition.change", "false"));
    let grouped = run_text(&off, &records).await;
    assert_eq!(
        grouped,
        tree(&[
            (
                "topics/t/c=a/t+0+0000000000.json",
                "{\"c\":\"a\"}\n{\"c\":\"a\"}\n{\"c\":\"a\"}\n"
            ),
            ("topics/t/c=b/t+0+0000000001.json", "{\"c\":\"b\"}\n"),
        ])
    );
}

// storage-cloud TopicPartitionWriter.java#executeState (`shouldRotateForNullSchema`) and
// storage-common StorageSchemaCompatibility.java (NONE: `!originalSchema.equals(currentSchema)`):
// a value-schema change rotates JSON files too, null schema to struct included.
#[tokio::test]
async fn a_schema_change_rotates_json_files() {
    let v1 = schemaed(Some("x"), None, "v1");
    let v2 = schemaed(Some("y"), None, "v2");
    let schemaless = r#"{"schema":null,"payload":{"dt":"z"}}"#;
    let out = run_text(
        &[("flush.size", "100")],
        &[rec(0, &v1), rec(1, &v1), rec(2, &v2), rec(3, schemaless)],
    )
    .await;
    assert_eq!(
        out.keys().cloned().collect::<Vec<_>>(),
        vec![
            "topics/t/partition=0/t+0+0000000000.json".to_owned(),
            "topics/t/partition=0/t+0+0000000002.json".to_owned(),
            "topics/t/partition=0/t+0+0000000003.json".to_owned(),
        ]
    );
    assert_eq!(
        out["topics/t/partition=0/t+0+0000000000.json"],
        "{\"dt\":\"x\",\"user\":null}\n{\"dt\":\"x\",\"user\":null}\n"
    );
}

// storage-cloud src/main/java/io/confluent/connect/s3/format/KeyValueHeaderRecordWriterProvider
// .java#getRecordWriter: no value writer under `tombstone.encoded.partition`, only keys;
// util/TombstoneSupportedPartitioner.java gives tombstones that path;
// TopicPartitionWriterTest.java#testTombstoneSupportedPartitionerWithSchemaPartitionerAndDefaultPartitioner.
#[tokio::test]
async fn written_tombstones_leave_only_their_keys_under_the_tombstone_partition() {
    let pairs = &[
        ("flush.size", "100"),
        ("value.converter.schemas.enable", "false"),
        ("key.converter", "StringConverter"),
        ("behavior.on.null.values", "write"),
        ("store.kafka.keys", "true"),
        ("keys.format.class", "JsonFormat"),
        ("tombstone.encoded.partition", "deleted"),
    ];
    let records = [
        Rec {
            offset: 0,
            key: Some(b"k0"),
            value: Some(br#"{"a":1}"#),
            headers: &[],
        },
        Rec {
            offset: 1,
            key: Some(b"k1"),
            value: None,
            headers: &[],
        },
    ];
    let dir = tempfile::tempdir().unwrap();
    let summary = run_inline(pairs, &event(&records), dir.path())
        .await
        .unwrap();
    assert_eq!(
        text_tree(dir.path()),
        tree(&[
            ("topics/t/deleted/t+0+0000000001.keys.json", "\"k1\"\n"),
            ("topics/t/partition=0/t+0+0000000000.json", "{\"a\":1}\n"),
            ("topics/t/partition=0/t+0+0000000000.keys.json", "\"k0\"\n"),
        ])
    );
    assert_eq!(summary.records_in, 2);
    assert_eq!(summary.records_written, 2);
}

// storage-cloud src/main/java/io/confluent/connect/s3/format/RecordViews.java
// (HeaderRecordView: `array<struct{key, value}>`, enveloped as `RecordHeaders{headers}` for
// JSON) and format/json/JsonRecordWriterProvider.java (`envelop = recordView instanceof
// HeaderRecordView`); TopicPartitionWriterTest.java#testRecordHeadersWrittenJson
// (`.headers.json`).
#[tokio::test]
async fn header_sidecars_use_confluents_layout() {
    let pairs = &[
        ("flush.size", "100"),
        ("value.converter.schemas.enable", "false"),
        ("store.kafka.headers", "true"),
        ("headers.format.class", "JsonFormat"),
    ];
    let records = [Rec {
        offset: 0,
        key: None,
        value: Some(br#"{"a":1}"#),
        headers: &[("trace", b"abc"), ("trace", b"x\xffy")],
    }];
    let out = run_text(pairs, &records).await;
    assert_eq!(
        out["topics/t/partition=0/t+0+0000000000.headers.json"],
        "{\"headers\":[{\"key\":\"trace\",\"value\":\"abc\"},{\"key\":\"trace\",\"value\":\"x\u{fffd}y\"}]}\n"
    );

    // Avro: not enveloped, an array of records per row.
    let avro = [
        ("flush.size", "100"),
        ("value.converter.schemas.enable", "false"),
        ("store.kafka.headers", "true"),
    ];
    let bytes = run(&avro, &records).await;
    let file = &bytes["topics/t/partition=0/t+0+0000000000.headers.avro"];
    let reader = apache_avro::Reader::new(&file[..]).unwrap();
    match reader.writer_schema() {
        apache_avro::Schema::Array(_) => {}
        other => panic!("header sidecar schema is {other:?}"),
    }
    let rows: Vec<_> = reader.map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
}

// storage-cloud S3SinkConnectorConfig.java: `keys.format.class` recommends ByteArrayFormat
// for keys; ByteArrayRecordWriterProvider writes raw bytes and the separator.
#[tokio::test]
async fn keys_can_be_written_as_raw_bytes() {
    let pairs = &[
        ("flush.size", "100"),
        ("value.converter.schemas.enable", "false"),
        ("key.converter", "ByteArrayConverter"),
        ("store.kafka.keys", "true"),
        ("keys.format.class", "ByteArrayFormat"),
    ];
    let records = [
        Rec {
            offset: 0,
            key: Some(b"k\x00"),
            value: Some(b"1"),
            headers: &[],
        },
        Rec {
            offset: 1,
            key: Some(b"k2"),
            value: Some(b"2"),
            headers: &[],
        },
    ];
    let out = run(pairs, &records).await;
    assert_eq!(
        out["topics/t/partition=0/t+0+0000000000.keys.bin"],
        b"k\x00\nk2\n".to_vec()
    );
}

// storage-cloud src/main/java/io/confluent/connect/s3/util/SchemaPartitioner.java
// (`"schema_name=" + name` before or after the encoded partition, `null` without a schema);
// TopicPartitionWriterTest.java#testWriteSchemaPartitionerWithAffix.
#[tokio::test]
async fn schema_name_affix_prefix_and_suffix() {
    let v = schemaed(Some("x"), None, "record1");
    for (affix, key) in [
        (
            "PREFIX",
            "topics/t/schema_name=record1/partition=0/t+0+0000000000.json",
        ),
        (
            "SUFFIX",
            "topics/t/partition=0/schema_name=record1/t+0+0000000000.json",
        ),
    ] {
        let out = run_text(
            &[
                ("flush.size", "10"),
                ("s3.schema.partition.affix.type", affix),
            ],
            &[rec(0, &v)],
        )
        .await;
        assert_eq!(
            out.keys().cloned().collect::<Vec<_>>(),
            vec![key.to_owned()]
        );
    }
    let out = run_text(
        &[
            ("flush.size", "10"),
            ("value.converter.schemas.enable", "false"),
            ("s3.schema.partition.affix.type", "PREFIX"),
        ],
        &[rec(0, "{}")],
    )
    .await;
    assert_eq!(
        out.keys().cloned().collect::<Vec<_>>(),
        vec!["topics/t/schema_name=null/partition=0/t+0+0000000000.json".to_owned()]
    );
}

// storage-cloud src/main/java/io/confluent/connect/s3/S3SinkTask.java
// (`maybeReportNullRecordToDlq`, report.null.values.to.dlq defaults to true): ignored
// tombstones go to the errant-record reporter, here the error prefix.
#[tokio::test]
async fn ignored_tombstones_are_reported_with_errors_tolerance_all() {
    let mut pairs = SCHEMALESS.to_vec();
    pairs.extend([
        ("behavior.on.null.values", "ignore"),
        ("errors.tolerance", "all"),
    ]);
    let records = [
        rec(0, "{}"),
        Rec {
            offset: 1,
            key: None,
            value: None,
            headers: &[],
        },
    ];
    let dir = tempfile::tempdir().unwrap();
    let summary = run_inline(&pairs, &event(&records), dir.path())
        .await
        .unwrap();
    assert_eq!((summary.records_written, summary.errored), (1, 1));
    let tree = text_tree(dir.path());
    let errors = &tree["topics/_errors/t/partition=0/t+0+0000000001.json"];
    assert!(errors.contains("report.null.values.to.dlq"), "{errors}");

    pairs.push(("report.null.values.to.dlq", "false"));
    let dir = tempfile::tempdir().unwrap();
    let summary = run_inline(&pairs, &event(&records), dir.path())
        .await
        .unwrap();
    assert_eq!((summary.errored, summary.dropped_by_rule), (0, 1));
}

// storage-cloud ParquetRecordWriterProvider.java#getExtension: parquet-java's
// `CompressionCodecName.getExtension()` + ".parquet" (parquet-java 1.15: LZ4 ".lz4hadoop",
// LZ4_RAW ".lz4raw", BROTLI ".br").
#[tokio::test]
async fn parquet_codec_extensions_are_parquet_javas() {
    for (codec, ext) in [
        ("lz4", ".lz4hadoop.parquet"),
        ("lz4_raw", ".lz4raw.parquet"),
        ("brotli", ".br.parquet"),
        ("gzip", ".gz.parquet"),
        ("none", ".parquet"),
    ] {
        let mut pairs = SCHEMALESS.to_vec();
        pairs.extend([("format.class", "ParquetFormat"), ("parquet.codec", codec)]);
        let out = run(&pairs, &[rec(0, r#"{"a":1}"#)]).await;
        let key = format!("topics/t/partition=0/t+0+0000000000{ext}");
        let bytes = out.get(&key).unwrap_or_else(|| panic!("{codec}: {out:?}"));
        let reader =
            parquet::file::reader::SerializedFileReader::new(bytes::Bytes::from(bytes.clone()))
                .unwrap();
        use parquet::file::reader::FileReader;
        assert_eq!(reader.metadata().file_metadata().num_rows(), 1, "{codec}");
    }
}

// storage-common core/src/main/java/io/confluent/connect/storage/StorageSinkConnectorConfig
// .java: AVRO_SUPPORTED_CODECS = {null, deflate, snappy, bzip2}; the extension stays `.avro`
// (AvroRecordWriterProvider.java).
#[tokio::test]
async fn avro_bzip2_is_readable_by_an_independent_reader() {
    let mut pairs = SCHEMALESS.to_vec();
    pairs.extend([("format.class", "AvroFormat"), ("avro.codec", "bzip2")]);
    let out = run(&pairs, &[rec(0, r#"{"a":1}"#), rec(1, r#"{"a":2}"#)]).await;
    let file = &out["topics/t/partition=0/t+0+0000000000.avro"];
    let reader = apache_avro::Reader::new(&file[..]).unwrap();
    assert_eq!(reader.map(Result::unwrap).count(), 2);
    let codec_at = file.windows(b"bzip2".len()).position(|w| w == b"bzip2");
    assert!(codec_at.is_some(), "avro.codec bzip2 in the header");
}

/// Every key the parity issue found rejected, with a value Confluent accepts.
const ONCE_REJECTED: &[(&str, &str)] = &[
    ("enable.conditional.writes", "true"),
    ("s3.send.digest", "true"),
    ("max.write.duration.ms", "60000"),
    ("s3.elastic.buffer.enable", "true"),
    ("s3.elastic.buffer.init.capacity", "131072"),
    ("schemas.cache.config", "1000"),
    ("enhanced.avro.schema.support", "true"),
    ("connect.meta.data", "true"),
    ("allow.optional.map.keys", "false"),
    ("report.null.values.to.dlq", "true"),
    ("rotate.file.on.partition.change", "true"),
    ("tombstone.encoded.partition", "tombstone"),
    ("s3.schema.partition.affix.type", "NONE"),
    ("json.decimal.format", "NUMERIC"),
    ("s3.object.tagging", "true"),
    ("s3.object.tagging.key.value.pairs", "team:data,env:prod"),
    ("s3.object.behavior.on.tagging.error", "fail"),
    ("s3.ssea.name", "AES256"),
    (
        "s3.sse.customer.key",
        "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=",
    ),
    (
        "s3.credentials.provider.class",
        "io.confluent.connect.s3.auth.AwsAssumeRoleCredentialsProvider",
    ),
    (
        "s3.credentials.provider.sts.role.arn",
        "arn:aws:iam::111122223333:role/sink-writer",
    ),
    ("s3.credentials.provider.sts.role.session.name", "s3-sink"),
    ("s3.credentials.provider.sts.role.external.id", "ext-1"),
    ("s3.credentials.provider.sts.region", "us-east-1"),
    ("partitioner.max.open.files", "-1"),
    ("max.files.scan.limit", "100"),
    ("hive.integration", "false"),
    ("hive.metastore.uris", ""),
    ("hive.conf.dir", ""),
    ("hive.home", ""),
    ("hive.database", "default"),
    ("store.kafka.keys", "true"),
    (
        "keys.format.class",
        "io.confluent.connect.s3.format.bytearray.ByteArrayFormat",
    ),
    (
        "format.class",
        "io.confluent.connect.s3.format.avro.AvroFormat",
    ),
    ("avro.codec", "bzip2"),
];

// The key lists of storage-cloud S3SinkConnectorConfig.java, storage-common
// StorageSinkConnectorConfig.java, PartitionerConfig.java, HiveConfig.java and
// auth/AwsAssumeRoleCredentialsProvider.java (10.5.x to 12.1.x): each key above passes `check`,
// implemented or reported as ignored with the reason.
#[test]
fn every_once_rejected_key_passes_check() {
    let mut pairs = vec![("flush.size", "1")];
    pairs.extend_from_slice(ONCE_REJECTED);
    let config = Config::from_raw(&RawConfig::from_pairs(pairs.iter().copied()))
        .unwrap_or_else(|e| panic!("{e}"));
    for (key, _) in ONCE_REJECTED {
        let effective = config.effective.iter().any(|(k, _)| k == key);
        let ignored = config.ignored.iter().any(|(k, _)| k == key);
        assert!(effective || ignored, "{key} is neither used nor reported");
    }
    // The secret is never shown.
    assert!(
        config
            .effective
            .iter()
            .any(|(k, v)| k == "s3.sse.customer.key" && v == "<redacted>")
    );
    // Values Confluent accepts for parquet.codec.
    for codec in ["lz4_raw", "brotli", "lz4", "zstd", "gzip", "snappy", "none"] {
        let raw = RawConfig::from_pairs([
            ("flush.size", "1"),
            ("format.class", "ParquetFormat"),
            ("parquet.codec", codec),
        ]);
        assert!(Config::from_raw(&raw).is_ok(), "parquet.codec={codec}");
    }
}

// storage-common common/.../StorageCommonConfig.java `store.url` and storage-cloud
// S3Storage.java: an endpoint without a scheme is HTTPS.
#[test]
fn store_url_without_a_scheme_is_https() {
    let raw = RawConfig::from_pairs([("flush.size", "1"), ("store.url", "minio.internal:9000")]);
    let config = Config::from_raw(&raw).unwrap();
    assert_eq!(
        config.s3.endpoint_url.as_deref(),
        Some("https://minio.internal:9000")
    );
}

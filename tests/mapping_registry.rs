//! Events from an event-source mapping with its own schema registry (`SchemaRegistryConfig`,
//! provisioned mode): records carry `keySchemaMetadata` / `valueSchemaMetadata`, and keys and
//! values arrive as JSON text (`EventRecordFormat: JSON`) or in their source encoding without
//! the registry framing (`SOURCE`). The payloads come from Confluent's own Python serializers
//! and deserializers (`tests/registry/produce.py --mapping`), the schemas from a registry
//! speaking Confluent's REST API on 127.0.0.1, and Parquet is read back by DuckDB.

use std::path::Path;

use serde_json::{Value, json};

#[path = "helpers/moto.rs"]
mod moto;
#[path = "helpers/registry.rs"]
mod registry;
use registry::{Registry, USER_INFO, duckdb, files, json_form, produce, replay, written_lines};

fn config(reg: &Registry, topic: &str, converter: &str, format: &str) -> Value {
    json!({
        "connector.class": "io.confluent.connect.s3.S3SinkConnector",
        "topics": topic,
        "s3.bucket.name": "bucket",
        "format.class": format!("io.confluent.connect.s3.format.{format}"),
        "flush.size": "1000",
        "value.converter": format!("io.confluent.connect.{converter}"),
        "value.converter.schema.registry.url": reg.url,
        "value.converter.basic.auth.credentials.source": "USER_INFO",
        "value.converter.basic.auth.user.info": USER_INFO,
    })
}

/// The Parquet columns' DuckDB types, by name.
fn column_types(out: &Path) -> Vec<(String, String)> {
    let glob = format!("{}/**/*.parquet", out.display());
    let described = duckdb(&format!(
        "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{glob}', hive_partitioning=false))"
    ));
    described["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_str().unwrap().into(), r[1].as_str().unwrap().into()))
        .collect()
}

fn record_values(event: &Path) -> Vec<Value> {
    let event: Value = serde_json::from_str(&std::fs::read_to_string(event).unwrap()).unwrap();
    event["records"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|v| v.as_array().unwrap().clone())
        .collect()
}

#[test]
fn avro_validated_by_the_mapping_lands_typed_from_json_and_source_events() {
    let reg = Registry::start(Some(USER_INFO));
    let dir = tempfile::tempdir().unwrap();
    for mode in ["source", "json"] {
        let (event, expect) = produce(
            &reg,
            dir.path(),
            "avro-orders",
            "orders",
            6,
            &["--mapping", mode],
        );
        // The event is shaped as the mapping delivers it: metadata, no framing.
        for r in record_values(&event) {
            assert_eq!(r["valueSchemaMetadata"]["dataFormat"], "AVRO");
            assert_eq!(
                r["valueSchemaMetadata"]["schemaId"],
                json!(expect[0]["schema_id"].to_string())
            );
        }
        let mut cfg = config(&reg, "orders", "avro.AvroConverter", "json.JsonFormat");
        cfg["lambda.event.record.format"] = json!(mode.to_uppercase());
        let out = dir.path().join(format!("{mode}-json"));
        let run = replay(&cfg, &event, &out);
        assert!(run.ok, "{mode}: {}", run.stderr);
        let lines = written_lines(&out);
        assert_eq!(lines.len(), expect.len());
        for (line, row) in lines.iter().zip(&expect) {
            assert_eq!(
                line,
                &json_form(&row["value"]),
                "{mode}: offset {}",
                row["offset"]
            );
        }

        cfg["format.class"] = json!("io.confluent.connect.s3.format.parquet.ParquetFormat");
        let out = dir.path().join(format!("{mode}-parquet"));
        let run = replay(&cfg, &event, &out);
        assert!(run.ok, "{mode}: {}", run.stderr);
        let types = column_types(&out);
        let type_of = |c: &str| {
            types
                .iter()
                .find(|(n, _)| n == c)
                .map(|(_, t)| t.clone())
                .unwrap_or_else(|| panic!("{mode}: no column {c}: {types:?}"))
        };
        assert_eq!(type_of("amount"), "DECIMAL(10,2)", "{mode}");
        assert_eq!(type_of("created_at"), "TIMESTAMP WITH TIME ZONE", "{mode}");
        assert_eq!(type_of("order_date"), "DATE", "{mode}");
        assert_eq!(type_of("quantity"), "INTEGER", "{mode}");
        assert_eq!(type_of("weight"), "FLOAT", "{mode}");
        assert_eq!(type_of("attrs"), "MAP(VARCHAR, BIGINT)", "{mode}");
        let glob = format!("{}/**/*.parquet", out.display());
        let rows = duckdb(&format!(
            "SELECT order_id, CAST(amount AS VARCHAR), epoch_ms(created_at) FROM read_parquet('{glob}', hive_partitioning=false) ORDER BY order_id"
        ));
        let rows = rows["rows"].as_array().unwrap();
        assert_eq!(rows.len(), expect.len());
        for (row, e) in rows.iter().zip(&expect) {
            assert_eq!(row[0], e["value"]["order_id"], "{mode}");
            assert_eq!(row[1], e["value"]["amount"], "{mode}");
            assert_eq!(
                row[2],
                json!(e["value"]["created_at"].to_string()),
                "{mode}"
            );
        }
    }
}

#[test]
fn the_record_format_key_is_required_and_unknown_ids_fail_their_record() {
    let reg = Registry::start(Some(USER_INFO));
    let dir = tempfile::tempdir().unwrap();
    let (event, _) = produce(
        &reg,
        dir.path(),
        "avro-orders",
        "orders",
        4,
        &["--mapping", "source"],
    );
    // Without lambda.event.record.format the sink cannot tell JSON text from Avro binary.
    let mut cfg = config(&reg, "orders", "avro.AvroConverter", "json.JsonFormat");
    let out = dir.path().join("no-key");
    let run = replay(&cfg, &event, &out);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("offset 0")
            && run.stderr.contains("valueSchemaMetadata")
            && run.stderr.contains("lambda.event.record.format"),
        "{}",
        run.stderr
    );
    assert!(files(&out).is_empty());

    // A bad value for the key fails the cold start, naming it.
    cfg["lambda.event.record.format"] = json!("BINARY");
    let run = replay(&cfg, &event, &dir.path().join("bad-key"));
    assert!(!run.ok);
    assert!(
        run.stderr.contains("lambda.event.record.format") && run.stderr.contains("BINARY"),
        "{}",
        run.stderr
    );

    // A schemaId the registry does not know fails that record, under errors.tolerance.
    let (event, _) = produce(
        &reg,
        dir.path(),
        "avro-orders",
        "orders",
        4,
        &["--mapping", "source", "--bad", "unknown-id"],
    );
    cfg["lambda.event.record.format"] = json!("SOURCE");
    let out = dir.path().join("unknown-none");
    let run = replay(&cfg, &event, &out);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("offset 1") && run.stderr.contains("999999"),
        "{}",
        run.stderr
    );
    assert!(files(&out).is_empty());
    cfg["errors.tolerance"] = json!("all");
    let out = dir.path().join("unknown-all");
    let run = replay(&cfg, &event, &out);
    assert!(run.ok, "{}", run.stderr);
    let (errors, data): (Vec<_>, Vec<_>) = files(&out)
        .into_iter()
        .partition(|p| p.to_string_lossy().contains("_errors"));
    let lines: usize = data
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap().lines().count())
        .sum();
    assert_eq!(lines, 3, "the three good records are written");
    let error_text: String = errors
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    assert!(error_text.contains("999999"), "{error_text}");

    // The metadata must match the converter: Avro metadata under ProtobufConverter fails.
    cfg["errors.tolerance"] = json!("none");
    cfg["value.converter"] = json!("io.confluent.connect.protobuf.ProtobufConverter");
    let run = replay(&cfg, &event, &dir.path().join("mismatch"));
    assert!(!run.ok);
    assert!(
        run.stderr.contains("dataFormat is \"AVRO\""),
        "{}",
        run.stderr
    );
}

#[test]
fn protobuf_source_events_keep_their_message_indexes() {
    let reg = Registry::start(Some(USER_INFO));
    let dir = tempfile::tempdir().unwrap();
    let (event, expect) = produce(
        &reg,
        dir.path(),
        "protobuf-orders",
        "porders",
        7,
        &["--mapping", "source"],
    );
    let mut cfg = config(
        &reg,
        "porders",
        "protobuf.ProtobufConverter",
        "json.JsonFormat",
    );
    cfg["lambda.event.record.format"] = json!("SOURCE");
    let out = dir.path().join("json");
    let run = replay(&cfg, &event, &out);
    assert!(run.ok, "{}", run.stderr);
    let written = written_lines(&out);
    assert_eq!(written.len(), expect.len());
    for row in &expect {
        let mut want = row["value"].clone();
        for ts in ["created_at", "cancelled_at"] {
            if let Some(t) = want.get(ts).and_then(Value::as_str) {
                let ms = chrono::DateTime::parse_from_rfc3339(t)
                    .unwrap()
                    .timestamp_millis();
                want[ts] = json!(ms);
            }
        }
        assert!(
            written.contains(&want),
            "offset {}: {want} not written: {written:?}",
            row["offset"]
        );
    }
}

#[test]
fn json_events_still_read_with_the_json_converter() {
    // The common case needs no registry on the sink: the mapping already made JSON.
    let reg = Registry::start(Some(USER_INFO));
    let dir = tempfile::tempdir().unwrap();
    let (event, expect) = produce(
        &reg,
        dir.path(),
        "avro-orders",
        "orders",
        4,
        &["--mapping", "json"],
    );
    let cfg = json!({
        "topics": "orders",
        "s3.bucket.name": "bucket",
        "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
        "flush.size": "1000",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
    });
    let out = dir.path().join("json");
    let run = replay(&cfg, &event, &out);
    assert!(run.ok, "{}", run.stderr);
    let lines = written_lines(&out);
    assert_eq!(lines.len(), expect.len());
    for (line, row) in lines.iter().zip(&expect) {
        assert_eq!(line["order_id"], row["value"]["order_id"]);
        assert_eq!(line["created_at"], row["value"]["created_at"]);
    }
}

#[test]
fn the_shipped_json_mode_event_replays_as_the_plain_one() {
    // events/orders-schema-registry-json-msk.json is events/orders-msk.json as a mapping with
    // a schema registry and `EventRecordFormat: JSON` delivers it: the same records, each
    // with keySchemaMetadata and valueSchemaMetadata. The files written must be identical.
    let cfg: Value = serde_json::from_str(
        &std::fs::read_to_string(registry::repo("examples/configs/orders-timebased.json")).unwrap(),
    )
    .unwrap();
    // The example is in the Connect REST form; the helper writes the flat config.
    let cfg = cfg.get("config").cloned().unwrap_or(cfg);
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for event in [
        "events/orders-msk.json",
        "events/orders-schema-registry-json-msk.json",
    ] {
        let out = dir.path().join(event.replace('/', "_"));
        let run = replay(&cfg, &registry::repo(event), &out);
        assert!(run.ok, "{event}: {}", run.stderr);
        let written: Vec<(String, Vec<u8>)> = files(&out)
            .iter()
            .map(|f| {
                (
                    f.strip_prefix(&out).unwrap().display().to_string(),
                    std::fs::read(f).unwrap(),
                )
            })
            .collect();
        assert!(!written.is_empty());
        outputs.push(written);
    }
    assert_eq!(outputs[0], outputs[1]);
}

/// A Glue-framed event as a mapping reading the Glue Schema Registry delivers it with
/// `EventRecordFormat: SOURCE`: the 18-byte header removed (a zlib-compressed body
/// inflated) and the schema version UUID moved to `valueSchemaMetadata`. The bodies are
/// fastavro's, from `tests/registry/glue_produce.py`.
fn glue_as_source(event: &Path) -> Value {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use std::io::Read;
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(event).unwrap()).unwrap();
    for records in event["records"].as_object_mut().unwrap().values_mut() {
        for r in records.as_array_mut().unwrap() {
            let framed = STANDARD.decode(r["value"].as_str().unwrap()).unwrap();
            assert_eq!(framed[0], 3, "Glue header version");
            let id = uuid::Uuid::from_slice(&framed[2..18]).unwrap();
            let body = match framed[1] {
                0 => framed[18..].to_vec(),
                5 => {
                    let mut out = Vec::new();
                    flate2::read::ZlibDecoder::new(&framed[18..])
                        .read_to_end(&mut out)
                        .unwrap();
                    out
                }
                other => panic!("compression byte {other}"),
            };
            r["value"] = json!(STANDARD.encode(body));
            r["valueSchemaMetadata"] = json!({"dataFormat": "AVRO", "schemaId": id.to_string()});
        }
    }
    event
}

#[test]
fn glue_source_events_decode_with_the_schema_version_their_metadata_names() {
    let moto = moto::start_moto();
    let dir = tempfile::tempdir().unwrap();
    let (framed, expect_path) =
        registry::glue_produce_avro(&moto.endpoint, dir.path(), "gorders", 6);
    let expect = registry::json_lines(&expect_path);
    let event = dir.path().join("gorders-source.json");
    std::fs::write(&event, glue_as_source(&framed).to_string()).unwrap();
    let cfg = json!({
        "topics": "gorders",
        "s3.bucket.name": "bucket",
        "format.class": "io.confluent.connect.s3.format.parquet.ParquetFormat",
        "flush.size": "100",
        "value.converter": "com.amazonaws.services.schemaregistry.kafkaconnect.AWSKafkaAvroConverter",
        "value.converter.region": "us-east-1",
        "value.converter.endpoint": moto.endpoint,
        "lambda.event.record.format": "SOURCE",
    });
    let out = dir.path().join("parquet");
    let run = registry::replay_with_env(
        &cfg,
        &event,
        &out,
        &[
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    );
    assert!(run.ok, "{}", run.stderr);
    let types = column_types(&out);
    assert!(
        types.contains(&("amount".into(), "DECIMAL(10,2)".into()))
            && types.contains(&("created_at".into(), "TIMESTAMP WITH TIME ZONE".into())),
        "{types:?}"
    );
    let glob = format!("{}/**/*.parquet", out.display());
    let rows = duckdb(&format!(
        "SELECT order_id, CAST(amount AS VARCHAR) FROM read_parquet('{glob}', hive_partitioning=false) ORDER BY order_id"
    ));
    let want: Vec<Value> = expect
        .iter()
        .map(|r| json!([r["value"]["order_id"], r["value"]["amount"]]))
        .collect();
    assert_eq!(rows["rows"].as_array().unwrap(), &want);
}

#[test]
fn the_shipped_source_mode_event_decodes_against_its_schema() {
    // events/orders-schema-registry-source-msk.json (tests/registry/source_fixture.py):
    // fastavro bodies without framing, valueSchemaMetadata naming schema id 1, the id a
    // fresh registry gives tests/fixtures/orders-source.avsc, registered here by Confluent's
    // Python client.
    let reg = Registry::start(Some(USER_INFO));
    let script = r#"
import sys
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
client = SchemaRegistryClient({"url": sys.argv[1], "basic.auth.user.info": sys.argv[2]})
print(client.register_schema("orders-value", Schema(open(sys.argv[3]).read(), "AVRO")))
"#;
    let out = std::process::Command::new(registry::python())
        .args(["-c", script, &reg.url, USER_INFO])
        .arg(registry::repo("tests/fixtures/orders-source.avsc"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1");
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&reg, "orders", "avro.AvroConverter", "json.JsonFormat");
    cfg["lambda.event.record.format"] = json!("SOURCE");
    let out = dir.path().join("json");
    let run = replay(
        &cfg,
        &registry::repo("events/orders-schema-registry-source-msk.json"),
        &out,
    );
    assert!(run.ok, "{}", run.stderr);
    // Decimals in Connect's JSON form: base64 of the unscaled big-endian value (1999, -510,
    // 120000).
    assert_eq!(
        written_lines(&out),
        vec![
            json!({"order_id": "o-1", "amount": "B88=", "created_at": 1696122000123_i64, "note": null}),
            json!({"order_id": "o-2", "amount": "/gI=", "created_at": 1696125600000_i64, "note": "gift"}),
            json!({"order_id": "o-3", "amount": "AdTA", "created_at": 1696208400999_i64, "note": "café"}),
        ]
    );
}

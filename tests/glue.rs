//! The AWS Glue Schema Registry converters (`AWSKafkaAvroConverter`,
//! `jsonschema.JsonSchemaConverter`, `protobuf.ProtobufSchemaConverter`) end to end through
//! `replay`: the schemas live in a Glue Schema Registry API on loopback (moto's server, PyPI
//! `moto[server]`), and the payloads are framed as the Glue serializers frame them, some
//! zlib-compressed, with the body written by `tests/registry/glue_produce.py` independently of
//! this crate (Avro by fastavro, JSON as text, Protobuf by Python's protobuf package from a
//! `.proto` compiled with grpc_tools). AWS credentials are dummies for the loopback server.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

#[path = "helpers/moto.rs"]
mod moto;
#[path = "helpers/registry.rs"]
mod registry;

use registry::{
    decimal_base64, duckdb, files, json_lines, python, replay_with_env, repo, written_lines,
};

fn glue_produce(
    endpoint: &str,
    dir: &Path,
    topic: &str,
    bad: Option<&str>,
) -> (PathBuf, Vec<Value>) {
    glue_produce_kind(endpoint, dir, "avro", topic, bad)
}

fn glue_produce_kind(
    endpoint: &str,
    dir: &Path,
    kind: &str,
    topic: &str,
    bad: Option<&str>,
) -> (PathBuf, Vec<Value>) {
    let event = dir.join(format!("{kind}-{topic}-{}.json", bad.unwrap_or("ok")));
    let expect = event.with_extension("jsonl");
    let mut cmd = Command::new(python());
    cmd.arg(repo("tests/registry/glue_produce.py"))
        .args(["--endpoint", endpoint, "--topic", topic, "--count", "9"])
        .args(["--kind", kind])
        .arg("--event")
        .arg(&event)
        .arg("--expect")
        .arg(&expect);
    if let Some(b) = bad {
        cmd.args(["--bad", b]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "glue_produce.py failed (pip install boto3 fastavro): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (event, json_lines(&expect))
}

const AVRO_CONVERTER: &str =
    "com.amazonaws.services.schemaregistry.kafkaconnect.AWSKafkaAvroConverter";
const JSON_CONVERTER: &str =
    "com.amazonaws.services.schemaregistry.kafkaconnect.jsonschema.JsonSchemaConverter";
const PROTOBUF_CONVERTER: &str =
    "com.amazonaws.services.schemaregistry.kafkaconnect.protobuf.ProtobufSchemaConverter";

fn config(endpoint: &str, topic: &str, format: &str) -> Value {
    let mut c = converter_config(AVRO_CONVERTER, endpoint, topic, format);
    c["value.converter.avroRecordType"] = json!("GENERIC_RECORD");
    c
}

fn converter_config(class: &str, endpoint: &str, topic: &str, format: &str) -> Value {
    json!({
        "connector.class": "io.confluent.connect.s3.S3SinkConnector",
        "topics": topic,
        "s3.bucket.name": "bucket",
        "format.class": format!("io.confluent.connect.s3.format.{format}"),
        "flush.size": "100",
        "value.converter": class,
        "value.converter.region": "us-east-1",
        "value.converter.endpoint": endpoint,
        "value.converter.registry.name": "sink-registry",
    })
}

/// `(column, DuckDB type)` of the Parquet files under `out`.
fn parquet_columns(out: &Path) -> Vec<(String, String)> {
    let glob = format!("{}/**/*.parquet", out.display());
    let described = duckdb(&format!(
        "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{glob}', hive_partitioning=false))"
    ));
    described["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_owned(),
                r[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Replay with dummy AWS credentials for moto's loopback Glue.
fn replay(config: &Value, event: &Path, out: &Path) -> registry::Run {
    replay_with_env(
        config,
        event,
        out,
        &[
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    )
}

#[test]
fn glue_framed_avro_lands_as_json_and_typed_parquet() {
    let moto = moto::start_moto();
    let dir = tempfile::tempdir().unwrap();
    let (event, expect) = glue_produce(&moto.endpoint, dir.path(), "gorders", None);

    let out = dir.path().join("json");
    let run = replay(
        &config(&moto.endpoint, "gorders", "json.JsonFormat"),
        &event,
        &out,
    );
    assert!(run.ok, "{}", run.stderr);
    // The Glue options the sink has no use for are reported, the ones it reads are not.
    assert!(
        run.stderr.contains("value.converter.avroRecordType"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("value.converter.endpoint"),
        "{}",
        run.stderr
    );
    let lines = written_lines(&out);
    assert_eq!(lines.len(), expect.len(), "{}", run.stdout);
    for (line, row) in lines.iter().zip(&expect) {
        let mut want = row["value"].clone();
        want["amount"] = json!(decimal_base64(want["amount"].as_str().unwrap()));
        assert_eq!(line, &want, "offset {}", row["offset"]);
    }

    let out = dir.path().join("parquet");
    let run = replay(
        &config(&moto.endpoint, "gorders", "parquet.ParquetFormat"),
        &event,
        &out,
    );
    assert!(run.ok, "{}", run.stderr);
    let glob = format!("{}/**/*.parquet", out.display());
    let types = parquet_columns(&out);
    for (column, ty) in [
        ("order_id", "VARCHAR"),
        ("quantity", "INTEGER"),
        ("price", "DOUBLE"),
        ("amount", "DECIMAL(10,2)"),
        ("created_at", "TIMESTAMP WITH TIME ZONE"),
        ("order_date", "DATE"),
        ("status", "VARCHAR"),
        ("note", "VARCHAR"),
    ] {
        assert!(
            types.iter().any(|(c, t)| c == column && t == ty),
            "{column} {ty}: {types:?}"
        );
    }
    let amounts = duckdb(&format!(
        "SELECT CAST(amount AS VARCHAR) FROM read_parquet('{glob}', hive_partitioning=false) ORDER BY order_id"
    ));
    let want: Vec<Value> = expect
        .iter()
        .map(|r| json!([r["value"]["amount"]]))
        .collect();
    assert_eq!(amounts["rows"].as_array().unwrap(), &want);
}

#[test]
fn glue_bad_records_and_an_unreachable_registry() {
    let moto = moto::start_moto();
    let dir = tempfile::tempdir().unwrap();
    for (bad, reason) in [
        (
            "unknown-version",
            "schema version 00000000-0000-0000-0000-000000000001 is not in the Glue Schema Registry",
        ),
        (
            "confluent-framing",
            "it looks like Confluent Schema Registry framing",
        ),
        (
            "wrong-format",
            "is JSON, but com.amazonaws.services.schemaregistry.kafkaconnect.AWSKafkaAvroConverter reads AVRO schemas",
        ),
    ] {
        let (event, _) = glue_produce(&moto.endpoint, dir.path(), "gbad", Some(bad));
        let out = dir.path().join(bad);
        let run = replay(
            &config(&moto.endpoint, "gbad", "json.JsonFormat"),
            &event,
            &out,
        );
        assert!(!run.ok, "{bad}");
        assert!(run.stderr.contains("offset 1"), "{bad}: {}", run.stderr);
        assert!(run.stderr.contains(reason), "{bad}: {}", run.stderr);
        assert!(
            run.stderr.contains("(not retryable)"),
            "{bad}: {}",
            run.stderr
        );
        assert!(files(&out).is_empty(), "{bad}: nothing is written");
    }
    // Glue cannot be reached: the invocation fails as retryable and writes nothing.
    let (event, _) = glue_produce(&moto.endpoint, dir.path(), "gdown", None);
    drop(moto);
    let out = dir.path().join("down");
    let run = replay(
        &config("http://127.0.0.1:9", "gdown", "json.JsonFormat"),
        &event,
        &out,
    );
    assert!(!run.ok);
    assert!(
        run.stderr
            .contains("(retryable: the mapping would retry this batch)")
            && run.stderr.contains("Glue GetSchemaVersion"),
        "{}",
        run.stderr
    );
    assert!(files(&out).is_empty());
}

#[test]
fn glue_json_schema_lands_as_json_and_typed_parquet() {
    let moto = moto::start_moto();
    let dir = tempfile::tempdir().unwrap();
    let (event, expect) = glue_produce_kind(&moto.endpoint, dir.path(), "json", "gjorders", None);

    let out = dir.path().join("json");
    let mut cfg = converter_config(
        JSON_CONVERTER,
        &moto.endpoint,
        "gjorders",
        "json.JsonFormat",
    );
    cfg["value.converter.dataFormat"] = json!("JSON");
    cfg["value.converter.schemaAutoRegistrationEnabled"] = json!("true");
    let run = replay(&cfg, &event, &out);
    assert!(run.ok, "{}", run.stderr);
    for ignored in [
        "value.converter.dataFormat",
        "value.converter.schemaAutoRegistrationEnabled",
        "value.converter.registry.name",
    ] {
        assert!(run.stderr.contains(ignored), "{ignored}: {}", run.stderr);
    }
    assert!(
        !run.stderr.contains("value.converter.region"),
        "{}",
        run.stderr
    );
    let lines = written_lines(&out);
    assert_eq!(lines.len(), expect.len(), "{}", run.stdout);
    for (line, row) in lines.iter().zip(&expect) {
        // The producer's value as the Glue converter reads it: the payload's extra property
        // dropped, the `integer` without connect.type a double.
        assert_eq!(line, &row["value"], "offset {}", row["offset"]);
        assert!(line["count"].is_f64(), "{line}");
    }

    let out = dir.path().join("parquet");
    let cfg = converter_config(
        JSON_CONVERTER,
        &moto.endpoint,
        "gjorders",
        "parquet.ParquetFormat",
    );
    let run = replay(&cfg, &event, &out);
    assert!(run.ok, "{}", run.stderr);
    let types = parquet_columns(&out);
    for (column, ty) in [
        ("order_id", "VARCHAR"),
        ("quantity", "INTEGER"),
        ("count", "DOUBLE"),
        ("price", "DOUBLE"),
        ("paid", "BOOLEAN"),
        ("amount", "DECIMAL(38,2)"),
        ("created_at", "TIMESTAMP WITH TIME ZONE"),
        ("order_date", "DATE"),
        ("status", "VARCHAR"),
        ("note", "VARCHAR"),
        ("tags", "VARCHAR[]"),
        // everit's property order (a Java HashMap's), not the text's.
        ("address", "STRUCT(zip VARCHAR, city VARCHAR)"),
        ("counts", "MAP(VARCHAR, INTEGER)"),
    ] {
        assert!(
            types.iter().any(|(c, t)| c == column && t == ty),
            "{column} {ty}: {types:?}"
        );
    }
    assert!(!types.iter().any(|(c, _)| c == "ignored"), "{types:?}");
    let glob = format!("{}/**/*.parquet", out.display());
    let got = duckdb(&format!(
        "SELECT CAST(amount AS VARCHAR), CAST(epoch_ms(created_at) AS VARCHAR), CAST(order_date AS VARCHAR), note, CAST(counts['a'] AS VARCHAR) FROM read_parquet('{glob}', hive_partitioning=false) ORDER BY order_id"
    ));
    let want: Vec<Value> = expect
        .iter()
        .map(|r| {
            let v = &r["value"];
            let days = v["order_date"].as_i64().unwrap();
            let date =
                chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Duration::days(days);
            json!([
                r["amount_text"],
                v["created_at"].to_string(),
                date.to_string(),
                v["note"],
                v["counts"]["a"].to_string(),
            ])
        })
        .collect();
    assert_eq!(got["rows"].as_array().unwrap(), &want);
}

#[test]
fn glue_json_schema_bad_records() {
    let moto = moto::start_moto();
    let dir = tempfile::tempdir().unwrap();
    for (bad, reason) in [
        (
            "wrong-format",
            "is AVRO, but com.amazonaws.services.schemaregistry.kafkaconnect.jsonschema.JsonSchemaConverter reads JSON schemas",
        ),
        (
            "missing-field",
            "does not fit its Connect schema at $.paid: a required field is missing",
        ),
        (
            "unknown-version",
            "schema version 00000000-0000-0000-0000-000000000001 is not in the Glue Schema Registry",
        ),
    ] {
        let (event, _) = glue_produce_kind(&moto.endpoint, dir.path(), "json", "gjbad", Some(bad));
        let out = dir.path().join(bad);
        let cfg = converter_config(JSON_CONVERTER, &moto.endpoint, "gjbad", "json.JsonFormat");
        let run = replay(&cfg, &event, &out);
        assert!(!run.ok, "{bad}");
        assert!(run.stderr.contains("offset 1"), "{bad}: {}", run.stderr);
        assert!(run.stderr.contains(reason), "{bad}: {}", run.stderr);
        assert!(
            run.stderr.contains("(not retryable)"),
            "{bad}: {}",
            run.stderr
        );
        assert!(files(&out).is_empty(), "{bad}: nothing is written");
    }
}

#[test]
fn glue_protobuf_lands_as_json_and_typed_parquet() {
    let moto = moto::start_moto();
    let dir = tempfile::tempdir().unwrap();
    let (event, expect) =
        glue_produce_kind(&moto.endpoint, dir.path(), "protobuf", "gporders", None);

    let out = dir.path().join("json");
    let mut cfg = converter_config(
        PROTOBUF_CONVERTER,
        &moto.endpoint,
        "gporders",
        "json.JsonFormat",
    );
    cfg["value.converter.protobufMessageType"] = json!("DYNAMIC_MESSAGE");
    let run = replay(&cfg, &event, &out);
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stderr.contains("value.converter.protobufMessageType"),
        "{}",
        run.stderr
    );
    let lines = written_lines(&out);
    assert_eq!(lines.len(), expect.len(), "{}", run.stdout);
    for (line, row) in lines.iter().zip(&expect) {
        assert_eq!(line, &row["value"], "offset {}", row["offset"]);
    }
    // The JSON lines keep the Connect schema's field order: the message's, the oneof at its
    // first member's place.
    let first = std::fs::read_to_string(&files(&out)[0]).unwrap();
    assert!(
        first.starts_with(r#"{"order_id":"o-0000","quantity":0,"customer":"#)
            && first.contains(r#""address":{"city":"Seoul","zip":"06000"},"payment":{"card":"card-0","cash_cents":null},"note":null}"#),
        "{first}"
    );

    let out = dir.path().join("parquet");
    let cfg = converter_config(
        PROTOBUF_CONVERTER,
        &moto.endpoint,
        "gporders",
        "parquet.ParquetFormat",
    );
    let run = replay(&cfg, &event, &out);
    assert!(run.ok, "{}", run.stderr);
    let types = parquet_columns(&out);
    for (column, ty) in [
        ("order_id", "VARCHAR"),
        ("quantity", "INTEGER"),
        ("customer", "BIGINT"),
        ("units", "BIGINT"),
        ("price", "DOUBLE"),
        ("paid", "BOOLEAN"),
        ("status", "VARCHAR"),
        ("created_at", "TIMESTAMP WITH TIME ZONE"),
        ("order_date", "DATE"),
        ("tags", "VARCHAR[]"),
        ("counts", "MAP(VARCHAR, INTEGER)"),
        ("address", "STRUCT(city VARCHAR, zip VARCHAR)"),
        ("payment", "STRUCT(card VARCHAR, cash_cents BIGINT)"),
        ("note", "VARCHAR"),
    ] {
        assert!(
            types.iter().any(|(c, t)| c == column && t == ty),
            "{column} {ty}: {types:?}"
        );
    }
    let glob = format!("{}/**/*.parquet", out.display());
    let got = duckdb(&format!(
        "SELECT CAST(units AS VARCHAR), CAST(epoch_ms(created_at) AS VARCHAR), CAST(order_date AS VARCHAR), payment.card, CAST(payment.cash_cents AS VARCHAR), note FROM read_parquet('{glob}', hive_partitioning=false) ORDER BY order_id"
    ));
    let want: Vec<Value> = expect
        .iter()
        .map(|r| {
            let v = &r["value"];
            let days = v["order_date"].as_i64().unwrap();
            let date =
                chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Duration::days(days);
            let text = |x: &Value| {
                if x.is_null() {
                    Value::Null
                } else {
                    json!(x.to_string())
                }
            };
            json!([
                v["units"].to_string(),
                v["created_at"].to_string(),
                date.to_string(),
                v["payment"]["card"],
                text(&v["payment"]["cash_cents"]),
                v["note"],
            ])
        })
        .collect();
    assert_eq!(got["rows"].as_array().unwrap(), &want);
}

#[test]
fn glue_protobuf_bad_records() {
    let moto = moto::start_moto();
    let dir = tempfile::tempdir().unwrap();
    for (bad, reason) in [
        (
            "wrong-format",
            "is JSON, but com.amazonaws.services.schemaregistry.kafkaconnect.protobuf.ProtobufSchemaConverter reads PROTOBUF schemas",
        ),
        (
            "bad-index",
            "message index 99 names no message of the schema",
        ),
        (
            "bad-message",
            "the Protobuf payload does not decode as shop.Order",
        ),
    ] {
        let (event, _) =
            glue_produce_kind(&moto.endpoint, dir.path(), "protobuf", "gpbad", Some(bad));
        let out = dir.path().join(bad);
        let cfg = converter_config(
            PROTOBUF_CONVERTER,
            &moto.endpoint,
            "gpbad",
            "json.JsonFormat",
        );
        let run = replay(&cfg, &event, &out);
        assert!(!run.ok, "{bad}");
        assert!(run.stderr.contains("offset 1"), "{bad}: {}", run.stderr);
        assert!(run.stderr.contains(reason), "{bad}: {}", run.stderr);
        assert!(
            run.stderr.contains("(not retryable)"),
            "{bad}: {}",
            run.stderr
        );
        assert!(files(&out).is_empty(), "{bad}: nothing is written");
    }
}

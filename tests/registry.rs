//! Topics written by Confluent's Schema Registry serializers, end to end through `replay`:
//! the payloads come from Confluent's own Python serializers (`tests/registry/produce.py`,
//! confluent-kafka from PyPI) against a registry speaking Confluent's REST API on 127.0.0.1
//! (`tests/registry/schema_registry.py`), and the output is read back by readers that are not
//! ours: DuckDB for Parquet, `apache-avro` for Avro, and the expect file the producer wrote.
//!
//! The Python interpreter is `REGISTRY_TEST_PYTHON` (default `python3`; `.ci/run` puts its
//! virtualenv first on PATH). A missing package fails the test with the command that installs
//! it: these tests never pass silently.

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

#[path = "helpers/registry.rs"]
mod registry;
use registry::{
    Registry, USER_INFO, decimal_base64, duckdb, files, json_form, json_lines, produce, replay,
    written_lines,
};

fn avro_config(reg: &Registry, format: &str) -> Value {
    json!({
        "connector.class": "io.confluent.connect.s3.S3SinkConnector",
        "topics": "orders",
        "s3.bucket.name": "bucket",
        "s3.region": "us-east-1",
        "format.class": format!("io.confluent.connect.s3.format.{format}"),
        "flush.size": "1000",
        "partitioner.class": "io.confluent.connect.storage.partitioner.DefaultPartitioner",
        "key.converter": "io.confluent.connect.avro.AvroConverter",
        "key.converter.schema.registry.url": reg.url,
        "key.converter.basic.auth.credentials.source": "USER_INFO",
        "key.converter.basic.auth.user.info": USER_INFO,
        "value.converter": "io.confluent.connect.avro.AvroConverter",
        "value.converter.schema.registry.url": reg.url,
        "value.converter.basic.auth.credentials.source": "USER_INFO",
        "value.converter.basic.auth.user.info": USER_INFO,
    })
}

#[test]
fn avro_orders_land_in_every_format_as_confluent_writes_them() {
    let reg = Registry::start(Some(USER_INFO));
    let dir = tempfile::tempdir().unwrap();
    // Records 0-7 use v1 of the value schema, 8-11 v2 (a field added with a default).
    let (event, expect) = produce(
        &reg,
        dir.path(),
        "avro-orders",
        "orders",
        12,
        &["--evolve-at", "8"],
    );
    assert_eq!(expect[0]["schema_version"], 1);
    assert_eq!(expect[11]["schema_version"], 2);

    // JsonFormat: each line is the expect row's value in Connect's JSON form.
    reg.control("DELETE", "/__test__/requests", None);
    let out = dir.path().join("json");
    let run = replay(&avro_config(&reg, "json.JsonFormat"), &event, &out);
    assert!(run.ok, "{}", run.stderr);
    let written = files(&out);
    assert_eq!(
        written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect::<Vec<_>>(),
        ["orders+0+0000000000.json", "orders+0+0000000008.json"],
        "the schema change starts a new file"
    );
    let lines: Vec<Value> = written.iter().flat_map(|f| json_lines(f)).collect();
    assert_eq!(lines.len(), expect.len());
    for (line, row) in lines.iter().zip(&expect) {
        assert_eq!(line, &json_form(&row["value"]), "offset {}", row["offset"]);
    }
    // Each value schema id was fetched once, however many records carry it; keys are not
    // converted when nothing uses them, so their schema is not fetched.
    let mut fetches = reg.id_fetches();
    fetches.sort();
    let mut ids: Vec<String> = expect.iter().map(|r| r["schema_id"].to_string()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        fetches,
        ids.iter()
            .map(|id| format!("GET /schemas/ids/{id}"))
            .collect::<Vec<_>>()
    );
    // Credentials never reach the log.
    assert!(
        !run.stderr.contains("not-a-real-password"),
        "{}",
        run.stderr
    );

    // AvroFormat: the writer schema AvroData writes, with the subject version.
    let out = dir.path().join("avro");
    let run = replay(&avro_config(&reg, "avro.AvroFormat"), &event, &out);
    assert!(run.ok, "{}", run.stderr);
    let written = files(&out);
    assert_eq!(written.len(), 2);
    let mut seen = 0;
    for (file, version) in written.iter().zip([1, 2]) {
        let reader = apache_avro::Reader::new(std::fs::File::open(file).unwrap()).unwrap();
        let schema: Value = serde_json::from_str(&reader.writer_schema().canonical_form()).unwrap();
        assert_eq!(schema["name"], "com.example.Order");
        let header = std::fs::read(file).unwrap();
        let text = String::from_utf8_lossy(&header);
        assert!(
            text.contains(&format!(r#""connect.version":{version}"#))
                && text.contains(r#""connect.name":"com.example.Order""#),
            "{file:?}: the schema carries connect.name and connect.version {version}"
        );
        assert!(
            text.contains(r#""io.confluent.connect.avro.Enum":"com.example.Status""#),
            "the enum is kept as Connect's parameters, as AvroData writes it"
        );
        for record in reader {
            let record = record.unwrap();
            let apache_avro::types::Value::Record(fields) = record else {
                panic!("not a record")
            };
            let row = &expect[seen]["value"];
            let get = |n: &str| fields.iter().find(|(f, _)| f == n).map(|(_, v)| v.clone());
            assert_eq!(
                get("order_id"),
                Some(apache_avro::types::Value::String(
                    row["order_id"].as_str().unwrap().to_owned()
                ))
            );
            assert_eq!(
                get("status"),
                Some(apache_avro::types::Value::String(
                    row["status"].as_str().unwrap().to_owned()
                ))
            );
            match get("amount") {
                Some(apache_avro::types::Value::Decimal(d)) => {
                    let bytes: Vec<u8> = (&d).try_into().unwrap();
                    assert_eq!(
                        STANDARD.encode(&bytes),
                        decimal_base64(row["amount"].as_str().unwrap())
                    );
                }
                other => panic!("amount is {other:?}"),
            }
            seen += 1;
        }
    }
    assert_eq!(seen, expect.len());

    // ParquetFormat: typed columns, read by DuckDB.
    let out = dir.path().join("parquet");
    let run = replay(&avro_config(&reg, "parquet.ParquetFormat"), &event, &out);
    assert!(run.ok, "{}", run.stderr);
    let glob = format!("{}/**/*.parquet", out.display());
    let described = duckdb(&format!(
        "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{glob}', union_by_name=true, hive_partitioning=false))"
    ));
    let types: Vec<(String, String)> = described["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_owned(),
                r[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let type_of = |c: &str| {
        types
            .iter()
            .find(|(n, _)| n == c)
            .map(|(_, t)| t.as_str())
            .unwrap_or_else(|| panic!("no column {c}: {types:?}"))
    };
    assert_eq!(type_of("customer_id"), "BIGINT");
    assert_eq!(type_of("quantity"), "INTEGER");
    assert_eq!(type_of("weight"), "FLOAT");
    assert_eq!(type_of("amount"), "DECIMAL(10,2)");
    assert_eq!(type_of("created_at"), "TIMESTAMP WITH TIME ZONE");
    assert_eq!(type_of("order_date"), "DATE");
    assert_eq!(type_of("status"), "VARCHAR");
    assert_eq!(
        type_of("address"),
        "STRUCT(street VARCHAR, city VARCHAR, zip VARCHAR)"
    );
    assert_eq!(type_of("tags"), "VARCHAR[]");
    assert_eq!(type_of("attrs"), "MAP(VARCHAR, BIGINT)");
    assert_eq!(type_of("blob"), "BLOB");
    assert_eq!(type_of("channel"), "VARCHAR");
    let rows = duckdb(&format!(
        "SELECT order_id, CAST(amount AS VARCHAR), epoch_ms(created_at), CAST(order_date - DATE '1970-01-01' AS BIGINT), channel FROM read_parquet('{glob}', union_by_name=true, hive_partitioning=false) ORDER BY order_id"
    ));
    let rows = rows["rows"].as_array().unwrap();
    assert_eq!(rows.len(), expect.len());
    for (row, e) in rows.iter().zip(&expect) {
        let v = &e["value"];
        assert_eq!(row[0], v["order_id"]);
        assert_eq!(row[1], v["amount"]);
        assert_eq!(row[2], json!(v["created_at"].to_string()));
        assert_eq!(row[3], json!(v["order_date"].to_string()));
        let channel = v.get("channel").cloned().unwrap_or(Value::Null);
        assert_eq!(row[4], channel, "v1 records have no channel: null");
    }

    // ByteArrayFormat: the original bytes, framing included.
    let out = dir.path().join("bytes");
    let run = replay(
        &avro_config(&reg, "bytearray.ByteArrayFormat"),
        &event,
        &out,
    );
    assert!(run.ok, "{}", run.stderr);
    let event_json: Value =
        serde_json::from_str(&std::fs::read_to_string(&event).unwrap()).unwrap();
    let mut raw = Vec::new();
    for r in event_json["records"]["orders-0"].as_array().unwrap() {
        raw.extend(STANDARD.decode(r["value"].as_str().unwrap()).unwrap());
        raw.push(b'\n');
    }
    let written: Vec<u8> = files(&out)
        .iter()
        .flat_map(|f| std::fs::read(f).unwrap())
        .collect();
    assert_eq!(written, raw);
}

#[test]
fn bad_payloads_fail_their_record_with_offset_and_reason() {
    let reg = Registry::start(Some(USER_INFO));
    let dir = tempfile::tempdir().unwrap();
    for (mode, reason) in [
        ("no-magic", "unknown magic byte 1"),
        ("truncated", "does not decode under its writer schema"),
        (
            "unknown-id",
            "schema id 999999 is not in the schema registry",
        ),
        ("mismatch", "does not decode under its writer schema"),
    ] {
        let (event, _) = produce(
            &reg,
            dir.path(),
            "avro-orders",
            "orders",
            4,
            &["--bad", mode],
        );
        // errors.tolerance=none: the invocation fails, names the record, writes nothing.
        let out = dir.path().join(format!("none-{mode}"));
        let run = replay(&avro_config(&reg, "json.JsonFormat"), &event, &out);
        assert!(!run.ok, "{mode}: {}", run.stdout);
        assert!(
            run.stderr.contains("orders-0") || run.stderr.contains("partition 0"),
            "{mode}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("offset 1"), "{mode}: {}", run.stderr);
        assert!(run.stderr.contains(reason), "{mode}: {}", run.stderr);
        assert!(files(&out).is_empty(), "{mode}: nothing is written");

        // errors.tolerance=all: the other records are written, the bad one goes to the
        // error prefix with its reason.
        let mut cfg = avro_config(&reg, "json.JsonFormat");
        cfg["errors.tolerance"] = json!("all");
        let out = dir.path().join(format!("all-{mode}"));
        let run = replay(&cfg, &event, &out);
        assert!(run.ok, "{mode}: {}", run.stderr);
        let written = files(&out);
        let (errors, data): (Vec<&PathBuf>, Vec<&PathBuf>) = written
            .iter()
            .partition(|p| p.to_string_lossy().contains("_errors"));
        let lines: usize = data
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap().lines().count())
            .sum();
        assert_eq!(lines, 3, "{mode}: the three good records are written");
        let error_text: String = errors
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect();
        assert!(error_text.contains(reason), "{mode}: {error_text}");
    }
}

#[test]
fn registry_failures_fail_the_invocation_retryably_and_write_nothing() {
    let reg = Registry::start(Some(USER_INFO));
    let dir = tempfile::tempdir().unwrap();
    let (event, _) = produce(&reg, dir.path(), "avro-orders", "orders", 3, &[]);
    // (name, injected fault, config change, what the error says)
    type Case = (&'static str, Value, Box<dyn Fn(&mut Value)>, &'static str);
    let cases: Vec<Case> = vec![
        (
            "500",
            json!({"status": 500, "count": -1}),
            Box::new(|_| {}),
            "answered 500",
        ),
        (
            "garbage",
            json!({"garbage": true, "count": -1}),
            Box::new(|_| {}),
            "not the expected JSON",
        ),
        (
            "401",
            json!({}),
            Box::new(|c| {
                c["value.converter.basic.auth.user.info"] = json!("alice:wrong");
                c["key.converter.basic.auth.user.info"] = json!("alice:wrong");
            }),
            "401",
        ),
        (
            "refused",
            json!({}),
            Box::new(|c| {
                c["value.converter.schema.registry.url"] = json!("http://127.0.0.1:9");
                c["key.converter.schema.registry.url"] = json!("http://127.0.0.1:9");
            }),
            "no registry URL answered",
        ),
    ];
    for (name, fault, edit, reason) in cases {
        reg.faults(fault);
        let mut cfg = avro_config(&reg, "json.JsonFormat");
        cfg["errors.tolerance"] = json!("all");
        edit(&mut cfg);
        let out = dir.path().join(name);
        let run = replay(&cfg, &event, &out);
        reg.faults(json!({}));
        assert!(
            !run.ok,
            "{name}: a registry failure is not tolerated as bad data"
        );
        assert!(run.stderr.contains(reason), "{name}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("(retryable: the mapping would retry this batch)"),
            "{name}: {}",
            run.stderr
        );
        assert!(files(&out).is_empty(), "{name}: nothing is written");
        assert!(
            !run.stderr.contains("wrong") && !run.stderr.contains("not-a-real"),
            "{}",
            run.stderr
        );
    }

    // A list of URLs fails over past one that refuses connections.
    let mut cfg = avro_config(&reg, "json.JsonFormat");
    let urls = format!("http://127.0.0.1:9,{}", reg.url);
    cfg["value.converter.schema.registry.url"] = json!(urls);
    cfg["key.converter.schema.registry.url"] = json!(urls);
    let run = replay(&cfg, &event, &dir.path().join("failover"));
    assert!(run.ok, "{}", run.stderr);

    // One failure, then answers: the retried invocation succeeds.
    reg.faults(json!({"status": 503, "count": 1}));
    let cfg = avro_config(&reg, "json.JsonFormat");
    let first = replay(&cfg, &event, &dir.path().join("retry"));
    assert!(!first.ok);
    let second = replay(&cfg, &event, &dir.path().join("retry"));
    assert!(second.ok, "{}", second.stderr);
}

#[test]
fn debezium_avro_change_events_unwrap_with_extract_new_record_state() {
    let reg = Registry::start(Some(USER_INFO));
    let dir = tempfile::tempdir().unwrap();
    let topic = "dbserver.inventory.customers";
    let (event, expect) = produce(&reg, dir.path(), "avro-debezium", topic, 8, &[]);
    let mut cfg = avro_config(&reg, "json.JsonFormat");
    cfg["topics"] = json!(topic);
    cfg["transforms"] = json!("unwrap");
    cfg["transforms.unwrap.type"] = json!("io.debezium.transforms.ExtractNewRecordState");
    cfg["transforms.unwrap.drop.tombstones"] = json!("true");
    cfg["transforms.unwrap.delete.handling.mode"] = json!("drop");
    let out = dir.path().join("out");
    let run = replay(&cfg, &event, &out);
    assert!(run.ok, "{}", run.stderr);
    let lines = written_lines(&out);
    // Creates and updates are written as their `after` row; deletes and tombstones dropped.
    let wanted: Vec<Value> = expect
        .iter()
        .filter(|r| !r["value"].is_null() && r["value"]["op"] != "d")
        .map(|r| r["value"]["after"].clone())
        .collect();
    assert!(!wanted.is_empty());
    assert_eq!(lines, wanted, "{}", run.stdout);
}

/// RFC 3339 text as epoch milliseconds, as Connect's Timestamp holds it.
fn epoch_ms(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp_millis()
}

#[test]
fn protobuf_orders_land_as_confluent_writes_them() {
    let reg = Registry::start(Some(USER_INFO));
    let dir = tempfile::tempdir().unwrap();
    // Messages [0] Order, [1] OrderCancelled and [0, 1] Order.Address, with a reference to
    // google/protobuf/timestamp.proto.
    let (event, expect) = produce(&reg, dir.path(), "protobuf-orders", "porders", 9, &[]);
    let kinds: Vec<&str> = expect
        .iter()
        .map(|r| r["message_type"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"com.example.OrderCancelled")
            && kinds.contains(&"com.example.Order.Address")
    );
    let mut cfg = avro_config(&reg, "json.JsonFormat");
    cfg["topics"] = json!("porders");
    cfg["key.converter"] = json!("io.confluent.connect.protobuf.ProtobufConverter");
    cfg["value.converter"] = json!("io.confluent.connect.protobuf.ProtobufConverter");
    let out = dir.path().join("json");
    let run = replay(&cfg, &event, &out);
    assert!(run.ok, "{}", run.stderr);
    // Each message type is its own Connect schema, so its own file: a file holds one type.
    let mut by_offset: Vec<(i64, Value)> = Vec::new();
    for f in files(&out) {
        let first: i64 = f
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .rsplit('+')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let lines: Vec<Value> = std::fs::read_to_string(&f)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let types: std::collections::BTreeSet<&str> = expect
            .iter()
            .filter(|r| {
                lines.iter().any(|l| {
                    l.get("order_id") == r["value"].get("order_id")
                        && l.get("street") == r["value"].get("street")
                })
            })
            .map(|r| r["message_type"].as_str().unwrap())
            .collect();
        assert_eq!(types.len(), 1, "{f:?} holds one message type: {types:?}");
        for (i, l) in lines.into_iter().enumerate() {
            by_offset.push((first + i as i64, l));
        }
    }
    assert_eq!(by_offset.len(), expect.len());
    for row in &expect {
        let mut want = row["value"].clone();
        for ts in ["created_at", "cancelled_at"] {
            if let Some(t) = want.get(ts).and_then(Value::as_str) {
                want[ts] = json!(epoch_ms(t));
            }
        }
        assert!(
            by_offset.iter().any(|(_, l)| l == &want),
            "offset {}: {want} not written; written: {by_offset:?}",
            row["offset"]
        );
    }

    // Parquet: Connect's Timestamp and enum string survive as DuckDB types.
    let out = dir.path().join("parquet");
    cfg["format.class"] = json!("io.confluent.connect.s3.format.parquet.ParquetFormat");
    let run = replay(&cfg, &event, &out);
    assert!(run.ok, "{}", run.stderr);
    let orders: Vec<PathBuf> = files(&out)
        .into_iter()
        .filter(|f| {
            let rows = duckdb(&format!(
                "SELECT count(*) FROM (DESCRIBE SELECT * FROM read_parquet('{}')) WHERE column_name = 'customer_id'",
                f.display()
            ));
            rows["rows"][0][0] == "1"
        })
        .collect();
    assert!(!orders.is_empty());
    let described = duckdb(&format!(
        "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{}'))",
        orders[0].display()
    ));
    let types: Vec<(String, String)> = described["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_owned(),
                r[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let type_of = |c: &str| {
        types
            .iter()
            .find(|(n, _)| n == c)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| panic!("no column {c}: {types:?}"))
    };
    assert_eq!(type_of("customer_id"), "BIGINT");
    assert_eq!(type_of("quantity"), "INTEGER");
    assert_eq!(type_of("weight"), "FLOAT");
    assert_eq!(type_of("created_at"), "TIMESTAMP WITH TIME ZONE");
    assert_eq!(type_of("status"), "VARCHAR");
    assert_eq!(type_of("attrs"), "MAP(VARCHAR, BIGINT)");
}

#[test]
fn json_schema_orders_land_as_confluent_writes_them() {
    let reg = Registry::start(Some(USER_INFO));
    let dir = tempfile::tempdir().unwrap();
    let (event, expect) = produce(&reg, dir.path(), "jsonschema-orders", "jorders", 9, &[]);
    let mut cfg = avro_config(&reg, "json.JsonFormat");
    cfg["topics"] = json!("jorders");
    cfg["key.converter"] = json!("io.confluent.connect.json.JsonSchemaConverter");
    cfg["value.converter"] = json!("io.confluent.connect.json.JsonSchemaConverter");
    cfg["value.converter.use.optional.for.nonrequired"] = json!("true");
    let out = dir.path().join("json");
    let run = replay(&cfg, &event, &out);
    assert!(run.ok, "{}", run.stderr);
    let text: String = files(&out)
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), expect.len());
    for (line, row) in lines.iter().zip(&expect) {
        // Missing optional properties are written as null, as Connect's struct holds them.
        let mut want = row["value"].clone();
        for (k, v) in line.as_object().unwrap() {
            if v.is_null() && want.get(k).is_none() {
                want[k] = Value::Null;
            }
        }
        assert_eq!(line, &want, "offset {}", row["offset"]);
    }
    // JsonSchemaData takes the properties from Java HashMaps: Confluent writes them in that
    // order, not the schema's (confluentinc/ksql#9557 reports the same for JSON_SR).
    let first: serde_json::Map<String, Value> =
        serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let keys: Vec<&str> = first.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "note",
            "quantity",
            "address",
            "price",
            "paid",
            "customer_id",
            "order_id",
            "tags"
        ]
    );

    // Without use.optional.for.nonrequired a property left out of `required` is a required
    // field: records without it fail, as Connect's writers reject them.
    cfg["value.converter.use.optional.for.nonrequired"] = json!("false");
    cfg["errors.tolerance"] = json!("all");
    let out = dir.path().join("strict");
    let run = replay(&cfg, &event, &out);
    assert!(run.ok, "{}", run.stderr);
    let errors: String = files(&out)
        .iter()
        .filter(|f| f.to_string_lossy().contains("_errors"))
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let missing = expect
        .iter()
        .filter(|r| r["value"].get("address").is_none())
        .count();
    assert!(missing > 0);
    assert_eq!(errors.lines().count(), missing, "{errors}");
    assert!(errors.contains("$.address"), "{errors}");
}

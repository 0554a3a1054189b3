//! A topic mixing Glue-framed and Confluent-framed Avro records, read with the Glue converter
//! only when the user says so: `secondaryDeserializer` set to Confluent's
//! `KafkaAvroDeserializer` (the Glue library's `GlueSchemaRegistryKafkaDeserializer` hands
//! any record whose first byte is not 3 to it). Without it, a Confluent-framed record fails
//! with its offset. Glue payloads: fastavro behind the documented Glue framing, schemas in
//! moto's Glue API; Confluent payloads: Confluent's own `AvroSerializer` against the registry
//! stand-in. AWS credentials are dummies for the loopback server.

use std::path::Path;

use serde_json::{Value, json};

#[path = "helpers/moto.rs"]
mod moto;
#[path = "helpers/registry.rs"]
mod registry;

use registry::{Registry, USER_INFO, files, json_form, json_lines, produce};

/// The records of both events under one topic and partition: Glue's at offsets 0.., then
/// Confluent's from offset 100.
fn mixed_event(glue: &Path, confluent: &Path, out: &Path) {
    let read =
        |p: &Path| -> Value { serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap() };
    let mut event = read(glue);
    let extra = read(confluent);
    let target = event["records"]["gorders-0"].as_array_mut().unwrap();
    for r in extra["records"]["orders-0"].as_array().unwrap() {
        let mut r = r.clone();
        r["topic"] = json!("gorders");
        r["offset"] = json!(100 + r["offset"].as_i64().unwrap());
        target.push(r);
    }
    std::fs::write(out, event.to_string()).unwrap();
}

#[test]
fn mixed_framing_needs_the_secondary_deserializer() {
    let moto = moto::start_moto();
    let reg = Registry::start(Some(USER_INFO));
    let dir = tempfile::tempdir().unwrap();
    let (glue_event, glue_expect) =
        registry::glue_produce_avro(&moto.endpoint, dir.path(), "gorders", 3);
    let (confluent_event, confluent_expect) =
        produce(&reg, dir.path(), "avro-orders", "orders", 2, &[]);
    let event = dir.path().join("mixed.json");
    mixed_event(&glue_event, &confluent_event, &event);

    let mut cfg = json!({
        "topics": "gorders",
        "s3.bucket.name": "bucket",
        "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
        "flush.size": "100",
        "value.converter": "com.amazonaws.services.schemaregistry.kafkaconnect.AWSKafkaAvroConverter",
        "value.converter.region": "us-east-1",
        "value.converter.endpoint": moto.endpoint,
    });
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];

    // Not asked for: the first Confluent-framed record fails, naming its offset.
    let out = dir.path().join("strict");
    let run = registry::replay_with_env(&cfg, &event, &out, &env);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("offset 100") && run.stderr.contains("looks like Confluent"),
        "{}",
        run.stderr
    );
    assert!(files(&out).is_empty());

    // Asked for: every record is read, each with its own registry.
    cfg["value.converter.secondaryDeserializer"] =
        json!("io.confluent.kafka.serializers.KafkaAvroDeserializer");
    cfg["value.converter.schema.registry.url"] = json!(reg.url);
    cfg["value.converter.basic.auth.credentials.source"] = json!("USER_INFO");
    cfg["value.converter.basic.auth.user.info"] = json!(USER_INFO);
    let out = dir.path().join("mixed");
    let run = registry::replay_with_env(&cfg, &event, &out, &env);
    assert!(run.ok, "{}", run.stderr);
    let mut lines = Vec::new();
    for f in files(&out) {
        lines.extend(json_lines(&f));
    }
    let mut want: Vec<Value> = json_lines(&glue_expect)
        .iter()
        .chain(&confluent_expect)
        .map(|r| json_form(&r["value"]))
        .collect();
    let key = |v: &Value| v["order_id"].to_string();
    lines.sort_by_key(key);
    want.sort_by_key(key);
    assert_eq!(lines, want);

    // Anything else as the secondary deserializer is refused at cold start.
    cfg["value.converter.secondaryDeserializer"] = json!("com.example.MyDeserializer");
    let run = registry::replay_with_env(&cfg, &event, &dir.path().join("bad"), &env);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("value.converter.secondaryDeserializer"),
        "{}",
        run.stderr
    );
}

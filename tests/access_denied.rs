//! AccessDenied from real AWS APIs on loopback: moto's server (PyPI `moto[server]`) started
//! with `INITIAL_NO_AUTH_ACTION_COUNT`, so that after the set-up requests it checks IAM
//! permissions and answers `AccessDenied` (HTTP 403), as AWS does for a role missing a grant.
//! moto's body for it is XML the JSON-protocol SDK clients cannot read a code from, so the
//! sink's message rests on the status, as it would for any 403 without a readable code. The sink
//! runs as an IAM user allowed nothing it needs (`tests/registry/restricted_user.py`).
//!
//! - Secrets Manager, at cold start: a `${secretsmanager:...}` value fails the start, naming
//!   the key and the placeholder, never the secret.
//! - Glue Schema Registry, per invocation: the batch fails as retryable (a grant fixed later
//!   lets the mapping's retry succeed) and nothing is written.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

#[path = "helpers/moto.rs"]
mod moto;
#[path = "helpers/registry.rs"]
mod registry;

use registry::{files, python, repo};

const SECRET: &str = "prod/sink-config";

/// Starts moto enforcing IAM after the set-up, registers the Glue schema and writes a
/// Glue-framed event (`glue_produce.py`), and returns moto with the restricted user's keys.
fn setup(dir: &Path) -> (moto::Moto, String, String, std::path::PathBuf) {
    let moto = moto::start_moto_with_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", "40")]);
    let (event, _) = registry::glue_produce_avro(&moto.endpoint, dir, "gorders", 3);
    let out = Command::new(python())
        .arg(repo("tests/registry/restricted_user.py"))
        .args(["--endpoint", &moto.endpoint, "--secret", SECRET])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "restricted_user.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keys: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = keys["access_key_id"].as_str().unwrap().to_owned();
    let secret = keys["secret_access_key"].as_str().unwrap().to_owned();
    (moto, id, secret, event)
}

fn run(moto: &moto::Moto, keys: (&str, &str), args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kafka-s3-sink"))
        .args(args)
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("AWS_ACCESS_KEY_ID", keys.0)
        .env("AWS_SECRET_ACCESS_KEY", keys.1)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap()
}

fn write(dir: &Path, name: &str, config: Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, config.to_string()).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn access_denied_fails_the_cold_start_or_the_batch_retryably() {
    let dir = tempfile::tempdir().unwrap();
    let (moto, id, secret, event) = setup(dir.path());
    let keys = (id.as_str(), secret.as_str());

    // Secrets Manager: the cold start fails, naming the key and the placeholder.
    let placeholder = format!("${{secretsmanager:{SECRET}:password}}");
    let config = write(
        dir.path(),
        "secret.json",
        json!({
            "topics": "gorders",
            "s3.bucket.name": "bucket",
            "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
            "flush.size": "100",
            "value.converter.basic.auth.user.info": placeholder,
        }),
    );
    let out = run(&moto, keys, &["check", "--config", &config]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("check:\n{text}");
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("value.converter.basic.auth.user.info")
            && text.contains(&placeholder)
            && text.contains("access denied")
            && text.contains("secretsmanager:GetSecretValue"),
        "{text}"
    );
    assert!(!text.contains("never-shown-password"), "{text}");

    // Glue: GetSchemaVersion is denied; the invocation fails as retryable, writes nothing.
    let config = write(
        dir.path(),
        "glue.json",
        json!({
            "topics": "gorders",
            "s3.bucket.name": "bucket",
            "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
            "flush.size": "100",
            "value.converter": "com.amazonaws.services.schemaregistry.kafkaconnect.AWSKafkaAvroConverter",
            "value.converter.region": "us-east-1",
            "value.converter.endpoint": moto.endpoint,
        }),
    );
    let bucket = dir.path().join("bucket");
    let out = run(
        &moto,
        keys,
        &[
            "replay",
            "--config",
            &config,
            "--local-dir",
            bucket.to_str().unwrap(),
            event.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("replay:\n{stderr}");
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("access denied") && stderr.contains("glue:GetSchemaVersion"),
        "{stderr}"
    );
    assert!(stderr.contains("retryable"), "{stderr}");
    assert!(!stderr.contains("not retryable"), "{stderr}");
    assert!(files(&bucket).is_empty(), "nothing is written");
}

//! `${secretsmanager:...}` and `${ssm:...}` config values against real AWS APIs on loopback:
//! moto's server (PyPI `moto[server]`) for Secrets Manager and Systems Manager, the binary
//! pointed at it by `AWS_ENDPOINT_URL`, as users run it. The resolved secret is the registry
//! password the Schema Registry stand-in demands, so a replay that succeeds used it; no output
//! may contain it. AWS credentials are dummies for the loopback server.

use std::path::Path;
use std::process::{Command, Output};

use aws_config::BehaviorVersion;
use serde_json::json;

#[path = "helpers/moto.rs"]
mod moto;
#[path = "helpers/registry.rs"]
mod registry;

use registry::{Registry, USER_INFO, produce};

const PASSWORD: &str = "not-a-real-password";

async fn seed(endpoint: &str) {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_credential_types::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await;
    aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name("prod/schema-registry")
        .secret_string(json!({ "user_info": USER_INFO, "other": "x" }).to_string())
        .send()
        .await
        .expect("secret created");
    aws_sdk_ssm::Client::new(&sdk)
        .put_parameter()
        .name("/sink/topics")
        .value("orders")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .expect("parameter created");
}

/// Runs the binary with the AWS environment pointed at moto.
fn run(endpoint: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kafka-s3-sink"))
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("RUST_LOG", "debug")
        .output()
        .unwrap()
}

fn write_config(dir: &Path, name: &str, user_info: &str, registry: &Registry) -> String {
    let path = dir.join(name);
    let config = json!({
        "name": "providers",
        "config": {
            "connector.class": "io.confluent.connect.s3.S3SinkConnector",
            "topics": "${ssm::/sink/topics}",
            "s3.bucket.name": "bucket",
            "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
            "flush.size": "100",
            "value.converter": "io.confluent.connect.avro.AvroConverter",
            "value.converter.schema.registry.url": registry.url,
            "value.converter.basic.auth.credentials.source": "USER_INFO",
            "value.converter.basic.auth.user.info": user_info,
        }
    });
    std::fs::write(&path, config.to_string()).unwrap();
    path.to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_and_parameters_resolve_and_never_show() {
    let moto = moto::start_moto();
    seed(&moto.endpoint).await;
    let reg = Registry::start(Some(USER_INFO));
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "ok.json",
        "${secretsmanager:prod/schema-registry:user_info}",
        &reg,
    );

    // check: valid, and the resolved values are named by provider, not shown.
    let out = run(&moto.endpoint, &["check", "--config", &config]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stderr.contains("  value.converter.basic.auth.user.info: [resolved from secretsmanager]"),
        "{stderr}"
    );
    assert!(stderr.contains("  topics: [resolved from ssm]"), "{stderr}");
    // The effective document keeps the placeholders, so it pastes back and resolves again.
    let document: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        document["config"]["value.converter.basic.auth.user.info"],
        "${secretsmanager:prod/schema-registry:user_info}"
    );
    assert_eq!(document["config"]["topics"], "${ssm::/sink/topics}");
    assert!(!stdout.contains(PASSWORD) && !stderr.contains(PASSWORD));

    // replay: the registry accepts the resolved password; nothing prints it, even at debug.
    let (event, expect) = produce(&reg, dir.path(), "avro-orders", "orders", 3, &[]);
    let bucket = dir.path().join("bucket");
    let out = run(
        &moto.endpoint,
        &[
            "replay",
            "--config",
            &config,
            "--local-dir",
            bucket.to_str().unwrap(),
            event.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("\"records_written\":{}", expect.len())),
        "{stdout}"
    );
    assert!(
        !stdout.contains(PASSWORD) && !stderr.contains(PASSWORD),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_placeholder_that_cannot_resolve_fails_the_start_naming_key_and_placeholder() {
    let moto = moto::start_moto();
    seed(&moto.endpoint).await;
    let reg = Registry::start(Some(USER_INFO));
    let dir = tempfile::tempdir().unwrap();
    for (name, placeholder, reason) in [
        (
            "no-secret.json",
            "${secretsmanager:prod/none:user_info}",
            "ResourceNotFoundException",
        ),
        (
            "no-key.json",
            "${secretsmanager:prod/schema-registry:password}",
            "has no key password",
        ),
        (
            "no-parameter.json",
            "${ssm::/sink/none}",
            "ParameterNotFound",
        ),
    ] {
        let config = write_config(dir.path(), name, placeholder, &reg);
        let out = run(&moto.endpoint, &["check", "--config", &config]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}");
        assert!(
            stderr.contains(&format!(
                "value.converter.basic.auth.user.info: cannot resolve {placeholder}: "
            )),
            "{name}: {stderr}"
        );
        assert!(stderr.contains(reason), "{name}: {stderr}");
        assert!(!stderr.contains(PASSWORD), "{name}: {stderr}");
    }
}

//! `s3.credentials.provider.class=AwsAssumeRoleCredentialsProvider` against a real STS API:
//! moto's server (PyPI `moto[server]`, started here on 127.0.0.1), which `.ci/run` installs.
//! The base credentials are dummy values for that loopback server.

use aws_config::BehaviorVersion;
use aws_credential_types::provider::ProvideCredentials;
use kafka_s3_sink::storage::s3::assume_role_provider;
use kafka_s3_sink::storage::{AssumeRole, ObjectPut, ObjectStore, S3Settings, S3Store};

#[path = "helpers/moto.rs"]
mod moto;
use moto::start_moto;

const BASE_KEY: &str = "AKIDBASEBASEBASE";

async fn base_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_credential_types::Credentials::new(
            BASE_KEY,
            "base-secret-not-real",
            None,
            None,
            "test",
        ))
        .load()
        .await
}

fn role() -> AssumeRole {
    AssumeRole {
        role_arn: "arn:aws:iam::123456789012:role/sink-writer".to_owned(),
        session_name: "s3-sink".to_owned(),
        external_id: Some("ext-1".to_owned()),
        region: Some("us-east-1".to_owned()),
    }
}

#[tokio::test]
async fn the_store_writes_with_the_assumed_roles_session() {
    let moto = start_moto();
    let base = base_config(&moto.endpoint).await;

    // The provider the store uses gets a session from STS, not the base credentials.
    let creds = assume_role_provider(&base, &role())
        .await
        .provide_credentials()
        .await
        .expect("sts:AssumeRole answered");
    assert_ne!(creds.access_key_id(), BASE_KEY);
    assert!(
        creds.session_token().is_some(),
        "assumed-role credentials carry a session token"
    );

    // End to end: the store built from the settings writes through the assumed session.
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&base)
            .force_path_style(true)
            .build(),
    );
    client
        .create_bucket()
        .bucket("cross-account")
        .send()
        .await
        .expect("bucket created");
    let mut settings = S3Settings::new("cross-account");
    settings.region = Some("us-east-1".to_owned());
    settings.endpoint_url = Some(moto.endpoint.clone());
    settings.path_style = true;
    settings.assume_role = Some(role());
    // The store reads the base credentials from the environment chain, as in Lambda.
    // SAFETY: set before any thread of this test reads the environment.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", BASE_KEY);
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "base-secret-not-real");
    }
    let store = S3Store::connect(settings).await;
    store
        .put(ObjectPut {
            key: "topics/t/partition=0/t+0+0000000000.json".to_owned(),
            body: bytes::Bytes::from_static(b"{}\n"),
            content_type: "application/json",
            tagged: true,
            start_offset: 0,
            end_offset: 0,
            record_count: 1,
        })
        .await
        .expect("put with the assumed role");
    let got = client
        .get_object()
        .bucket("cross-account")
        .key("topics/t/partition=0/t+0+0000000000.json")
        .send()
        .await
        .expect("object written");
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(&body[..], b"{}\n");
}

//! The S3 store against a real S3 API server (s3s-fs) on 127.0.0.1, driven through the
//! `ObjectStore` trait and read back with the AWS SDK.

#[path = "helpers/s3_server.rs"]
mod s3_server;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use bytes::Bytes;
use kafka_s3_sink::storage::{ObjectPut, ObjectStore, S3Settings, S3Store, Sse, StoreError};
use s3_server::S3Server;
use s3s::S3ErrorCode;

const BUCKET: &str = "sink-bucket";
const MIB: usize = 1024 * 1024;

fn object(key: &str, body: impl Into<Bytes>) -> ObjectPut {
    ObjectPut {
        key: key.to_owned(),
        body: body.into(),
        content_type: "application/json",
        tagged: true,
        start_offset: 42,
        end_offset: 51,
        record_count: 10,
    }
}

/// Bytes that differ from part to part and from offset to offset, so a misplaced or
/// repeated part changes the content.
fn pattern(len: usize) -> Bytes {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ (i >> 13)) as u8)
        .collect::<Vec<u8>>()
        .into()
}

fn store(server: &S3Server, settings: S3Settings) -> S3Store {
    S3Store::with_client(server.client(), settings)
}

async fn read(
    client: &Client,
    key: &str,
) -> (Bytes, aws_sdk_s3::operation::get_object::GetObjectOutput) {
    let mut output = client
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .expect("object readable");
    let body = std::mem::take(&mut output.body)
        .collect()
        .await
        .expect("object body")
        .into_bytes();
    (body, output)
}

async fn tags(client: &Client, key: &str) -> BTreeMap<String, String> {
    client
        .get_object_tagging()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .expect("tags readable")
        .tag_set()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

async fn open_uploads(client: &Client) -> Vec<String> {
    client
        .list_multipart_uploads()
        .bucket(BUCKET)
        .send()
        .await
        .expect("ListMultipartUploads")
        .uploads()
        .iter()
        .map(|u| format!("{} {}", u.key().unwrap_or(""), u.upload_id().unwrap_or("")))
        .collect()
}

async fn object_exists(client: &Client, key: &str) -> bool {
    match client.head_object().bucket(BUCKET).key(key).send().await {
        Ok(_) => true,
        Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => false,
        Err(e) => panic!("HeadObject failed: {e}"),
    }
}

fn remote_parts(err: &StoreError) -> (&str, &str, &str, bool) {
    match err {
        StoreError::Remote {
            bucket,
            key,
            message,
            retryable,
        } => (bucket, key, message, *retryable),
        other => panic!("expected a remote error, got {other}"),
    }
}

#[tokio::test]
async fn small_object_round_trips_with_its_headers_and_is_overwritten() {
    let server = S3Server::start().await;
    server.create_bucket(BUCKET);
    let store = store(&server, S3Settings::new(BUCKET));
    assert_eq!(store.describe(), "s3://sink-bucket");
    let key = "topics/orders/partition=0/orders+0+0000000042.json";

    let first = object(key, &b"{\"a\":1}\n{\"a\":2}\n"[..]);
    store.put(first.clone()).await.expect("first put");

    let client = server.client();
    let (body, output) = read(&client, key).await;
    assert_eq!(body, first.body);
    assert_eq!(output.content_type(), Some("application/json"));
    // As Confluent: no Content-Encoding (the handler's objects are checked end to end below).
    assert_eq!(output.content_encoding(), None);
    let puts = server.requests_of("PutObject");
    assert_eq!(puts.len(), 1, "one PutObject: {puts:?}");
    assert!(server.requests_of("CreateMultipartUpload").is_empty());
    // Path-style addressing, and no checksum trailers or headers the store did not ask for.
    assert!(
        puts[0].path.starts_with("/sink-bucket/topics/"),
        "{}",
        puts[0].path
    );
    assert_eq!(puts[0].header("x-amz-tagging"), None);
    assert_eq!(puts[0].header("x-amz-server-side-encryption"), None);
    assert_eq!(puts[0].header("x-amz-acl"), None);
    assert_eq!(puts[0].header("if-none-match"), None);

    let mut second = object(key, &b"{\"b\":3}\n"[..]);
    second.content_type = "application/octet-stream";
    store.put(second.clone()).await.expect("overwriting put");
    let (body, output) = read(&client, key).await;
    assert_eq!(body, second.body);
    assert_eq!(output.content_type(), Some("application/octet-stream"));
    assert_eq!(output.content_encoding(), None);
}

#[tokio::test]
async fn large_object_is_uploaded_in_parts_and_arrives_whole() {
    let server = S3Server::start().await;
    server.create_bucket(BUCKET);
    let mut settings = S3Settings::new(BUCKET);
    settings.part_size = 5 * MIB;
    let store = store(&server, settings);
    let key = "topics/big/partition=3/big+3+0000000000.json";
    let put = object(key, pattern(12 * MIB));

    store.put(put.clone()).await.expect("multipart put");

    let client = server.client();
    let (body, output) = read(&client, key).await;
    assert_eq!(body.len(), put.body.len());
    assert!(body == put.body, "the object's bytes differ from the body");
    assert_eq!(output.content_type(), Some("application/json"));
    assert_eq!(output.content_encoding(), None);
    let e_tag = output.e_tag().unwrap_or_default();
    assert!(
        e_tag.trim_matches('"').ends_with("-3"),
        "multipart ETag: {e_tag}"
    );

    assert_eq!(server.requests_of("CreateMultipartUpload").len(), 1);
    assert!(server.requests_of("PutObject").is_empty());
    let mut parts: Vec<(i32, String)> = server
        .requests_of("UploadPart")
        .iter()
        .map(|r| {
            let length = r.header("content-length").unwrap_or("?").to_owned();
            (r.part_number.unwrap_or(0), length)
        })
        .collect();
    parts.sort();
    let five = (5 * MIB).to_string();
    let two = (2 * MIB).to_string();
    assert_eq!(parts, vec![(1, five.clone()), (2, five), (3, two)]);
    assert_eq!(server.requests_of("CompleteMultipartUpload").len(), 1);
    assert!(open_uploads(&client).await.is_empty());
    assert_eq!(server.leftover_upload_files(), Vec::<String>::new());
}

#[tokio::test]
async fn part_size_is_the_threshold_between_put_and_multipart() {
    let server = S3Server::start().await;
    server.create_bucket(BUCKET);
    let mut settings = S3Settings::new(BUCKET);
    settings.part_size = 5 * MIB;
    let store = store(&server, settings);
    let client = server.client();

    let below = object("below", pattern(5 * MIB - 1));
    store.put(below.clone()).await.expect("put below part size");
    assert_eq!(server.requests_of("PutObject").len(), 1);
    assert!(server.requests_of("CreateMultipartUpload").is_empty());
    assert_eq!(read(&client, "below").await.0, below.body);

    let at = object("at", pattern(5 * MIB));
    store.put(at.clone()).await.expect("put at part size");
    assert_eq!(server.requests_of("CreateMultipartUpload").len(), 1);
    assert_eq!(server.requests_of("UploadPart").len(), 1);
    assert_eq!(read(&client, "at").await.0, at.body);
}

#[tokio::test]
async fn tags_encryption_and_acl_go_with_the_write() {
    let server = S3Server::start().await;
    server.create_bucket(BUCKET);
    let mut settings = S3Settings::new(BUCKET);
    settings.part_size = 5 * MIB;
    settings.tagging = true;
    let kms_key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    settings.sse = Some(Sse::Kms {
        key_id: Some(kms_key.to_owned()),
        dsse: false,
    });
    settings.acl = Some("bucket-owner-full-control".to_owned());
    let store = store(&server, settings);
    let client = server.client();

    store
        .put(object("small", &b"x"[..]))
        .await
        .expect("small put");
    let mut large = object("large", pattern(6 * MIB));
    large.start_offset = 1000;
    large.end_offset = 1999;
    large.record_count = 1000;
    store.put(large).await.expect("multipart put");

    let expected = |start: &str, end: &str, count: &str| {
        BTreeMap::from([
            ("startOffset".to_owned(), start.to_owned()),
            ("endOffset".to_owned(), end.to_owned()),
            ("recordCount".to_owned(), count.to_owned()),
        ])
    };
    assert_eq!(tags(&client, "small").await, expected("42", "51", "10"));
    assert_eq!(
        tags(&client, "large").await,
        expected("1000", "1999", "1000")
    );

    let writes: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.operation == "PutObject" || r.operation == "CreateMultipartUpload")
        .collect();
    assert_eq!(writes.len(), 2);
    for write in &writes {
        assert_eq!(
            write.header("x-amz-server-side-encryption"),
            Some("aws:kms"),
            "{write:?}"
        );
        assert_eq!(
            write.header("x-amz-server-side-encryption-aws-kms-key-id"),
            Some(kms_key)
        );
        assert_eq!(write.header("x-amz-acl"), Some("bucket-owner-full-control"));
        assert!(write.header("x-amz-tagging").is_some());
    }
    // SSE-KMS and ACL belong to the upload, not to its parts.
    for part in server.requests_of("UploadPart") {
        assert_eq!(part.header("x-amz-server-side-encryption"), None);
        assert_eq!(part.header("x-amz-acl"), None);
    }
}

#[tokio::test]
async fn sse_s3_is_sent_without_a_key_and_untagged_objects_carry_no_tags() {
    let server = S3Server::start().await;
    server.create_bucket(BUCKET);
    let mut settings = S3Settings::new(BUCKET);
    settings.sse = Some(Sse::Aes256);
    let store = store(&server, settings);

    store.put(object("plain", &b"x"[..])).await.expect("put");

    let puts = server.requests_of("PutObject");
    assert_eq!(puts.len(), 1);
    assert_eq!(
        puts[0].header("x-amz-server-side-encryption"),
        Some("AES256")
    );
    assert_eq!(
        puts[0].header("x-amz-server-side-encryption-aws-kms-key-id"),
        None
    );
    assert_eq!(puts[0].header("x-amz-tagging"), None);
    assert!(tags(&server.client(), "plain").await.is_empty());
}

#[tokio::test]
async fn missing_bucket_is_a_permanent_error_naming_bucket_key_and_code() {
    let server = S3Server::start().await;
    let mut settings = S3Settings::new("no-such-bucket");
    settings.part_size = 5 * MIB;
    let store = store(&server, settings);

    for body in [pattern(10), pattern(5 * MIB)] {
        let err = store
            .put(object("topics/t/partition=0/t+0+0000000000.json", body))
            .await
            .expect_err("put into a missing bucket");
        let (bucket, key, message, retryable) = remote_parts(&err);
        assert_eq!(bucket, "no-such-bucket");
        assert_eq!(key, "topics/t/partition=0/t+0+0000000000.json");
        assert!(
            message.contains("NoSuchBucket: The specified bucket does not exist"),
            "{message}"
        );
        assert!(message.contains("HTTP 404"), "{message}");
        assert!(!retryable);
        assert!(!err.is_retryable());
        let text = err.to_string();
        assert!(
            text.contains("s3://no-such-bucket/topics/t/partition=0/t+0+0000000000.json"),
            "{text}"
        );
    }
    assert!(!server.root().join("no-such-bucket").exists());
}

#[tokio::test]
async fn wrong_credentials_are_a_permanent_error() {
    let server = S3Server::start().await;
    server.create_bucket(BUCKET);
    let cases = [
        (
            s3_server::ACCESS_KEY,
            "wrong-secret",
            "SignatureDoesNotMatch",
        ),
        (
            "AKIDWRONGWRONGWRONG",
            s3_server::SECRET_KEY,
            "InvalidAccessKeyId",
        ),
    ];
    for (access_key, secret_key, code) in cases {
        let config = s3_server::client_builder(server.endpoint(), access_key, secret_key).build();
        let store = S3Store::with_client(Client::from_conf(config), S3Settings::new(BUCKET));

        let err = store
            .put(object("denied", &b"x"[..]))
            .await
            .expect_err("put with wrong credentials");
        let (_, _, message, retryable) = remote_parts(&err);
        assert!(message.contains(code), "expected {code}: {message}");
        assert!(message.contains("HTTP 403"), "{message}");
        assert!(!retryable, "{message}");
    }
    assert!(!object_exists(&server.client(), "denied").await);
}

#[tokio::test]
async fn closed_port_is_a_retryable_connection_error() {
    // Bind and release a port, so nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let config = s3_server::client_builder(&endpoint, s3_server::ACCESS_KEY, s3_server::SECRET_KEY)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(10)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_millis(500))
                .operation_attempt_timeout(Duration::from_secs(2))
                .build(),
        )
        .build();
    let store = S3Store::with_client(Client::from_conf(config), S3Settings::new(BUCKET));

    let err = store
        .put(object("nowhere", &b"x"[..]))
        .await
        .expect_err("put to a closed port");
    let (bucket, key, message, retryable) = remote_parts(&err);
    assert_eq!((bucket, key), (BUCKET, "nowhere"));
    assert!(
        message.starts_with("PutObject failed: connection error"),
        "{message}"
    );
    assert!(message.to_lowercase().contains("refused"), "{message}");
    assert!(retryable);
}

#[tokio::test]
async fn failed_part_aborts_the_upload_and_keeps_the_previous_object() {
    for (code, retryable) in [
        (S3ErrorCode::InternalError, true),
        (S3ErrorCode::SlowDown, true),
        (S3ErrorCode::AccessDenied, false),
    ] {
        let server = S3Server::start().await;
        server.create_bucket(BUCKET);
        let mut settings = S3Settings::new(BUCKET);
        settings.part_size = 5 * MIB;
        let store = store(&server, settings);
        let client = server.client();
        let key = "topics/t/partition=0/t+0+0000000000.json";
        let previous = object(key, &b"previous version\n"[..]);
        store.put(previous.clone()).await.expect("first version");

        server.fail_upload_part(2, code.clone());
        let err = store
            .put(object(key, pattern(12 * MIB)))
            .await
            .expect_err("multipart put with a failing part");

        let (_, failed_key, message, is_retryable) = remote_parts(&err);
        assert_eq!(failed_key, key);
        assert!(message.starts_with("UploadPart 2 failed: "), "{message}");
        assert!(message.contains(code.as_str()), "{message}");
        assert_eq!(is_retryable, retryable, "{code:?}: {message}");
        assert_eq!(server.requests_of("AbortMultipartUpload").len(), 1);
        assert!(server.requests_of("CompleteMultipartUpload").is_empty());
        assert!(open_uploads(&client).await.is_empty());
        assert_eq!(server.leftover_upload_files(), Vec::<String>::new());
        // The key still holds the previous object, whole.
        assert_eq!(read(&client, key).await.0, previous.body);
    }
}

#[tokio::test]
async fn failed_multipart_upload_leaves_no_object_under_a_new_key() {
    let server = S3Server::start().await;
    server.create_bucket(BUCKET);
    let mut settings = S3Settings::new(BUCKET);
    settings.part_size = 5 * MIB;
    let store = store(&server, settings);
    let client = server.client();

    server.fail_upload_part(3, S3ErrorCode::InternalError);
    store
        .put(object("fresh", pattern(11 * MIB)))
        .await
        .expect_err("multipart put with a failing last part");

    assert!(!object_exists(&client, "fresh").await);
    assert!(open_uploads(&client).await.is_empty());
    assert_eq!(server.leftover_upload_files(), Vec::<String>::new());
}

#[tokio::test]
async fn cancelled_multipart_put_is_aborted_in_the_background() {
    let server = S3Server::start().await;
    server.create_bucket(BUCKET);
    let mut settings = S3Settings::new(BUCKET);
    settings.part_size = 5 * MIB;
    let store = store(&server, settings);
    let client = server.client();

    server.delay_upload_part(2, Duration::from_secs(20));
    let put = store.put(object("cancelled", pattern(12 * MIB)));
    let outcome = tokio::time::timeout(Duration::from_secs(2), put).await;
    assert!(
        outcome.is_err(),
        "the put should still be waiting on part 2"
    );
    assert_eq!(server.requests_of("CreateMultipartUpload").len(), 1);

    let deadline = Instant::now() + Duration::from_secs(10);
    while server.requests_of("AbortMultipartUpload").is_empty()
        || !open_uploads(&client).await.is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "upload not aborted: {:?}",
            open_uploads(&client).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!object_exists(&client, "cancelled").await);
}

const CHILD_ENDPOINT_VAR: &str = "KAFKA_S3_SINK_TEST_CHILD_ENDPOINT";

/// `S3Store::connect` reads credentials from the environment, which a test can only set
/// safely in a process of its own: this runs `connect_child` in a child process with dummy
/// credentials in its environment, against this process's server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_builds_a_client_from_the_settings() {
    let server = S3Server::start().await;
    server.create_bucket(BUCKET);
    let endpoint = server.endpoint().to_owned();
    let home = tempfile::tempdir().expect("empty home");
    let missing = home.path().join("missing");

    let mut command = std::process::Command::new(std::env::current_exe().expect("test binary"));
    command
        .args(["connect_child", "--exact", "--ignored", "--nocapture"])
        .env(CHILD_ENDPOINT_VAR, &endpoint)
        .env("AWS_ACCESS_KEY_ID", s3_server::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", s3_server::SECRET_KEY)
        .env("AWS_CONFIG_FILE", &missing)
        .env("AWS_SHARED_CREDENTIALS_FILE", &missing)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", home.path());
    for var in [
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ] {
        command.env_remove(var);
    }
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("join")
        .expect("run the child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "child did not run:\n{stdout}");

    let puts = server.requests_of("PutObject");
    assert_eq!(puts.len(), 1, "{puts:?}");
    let put = &puts[0];
    // Path-style: the bucket is in the path, not the host. (The SDK also picks path-style by
    // itself for an IP endpoint, so this pins the outcome, not the `path_style` flag.)
    assert_eq!(put.path, "/sink-bucket/from-connect.json");
    assert_eq!(
        put.header("host"),
        Some(endpoint.trim_start_matches("http://"))
    );
    // Signed for the region of the settings.
    let authorization = put.header("authorization").unwrap_or_default();
    assert!(
        authorization.contains("/eu-west-1/s3/aws4_request"),
        "{authorization}"
    );
    // s3.part.retries = 2: up to three attempts.
    assert_eq!(put.header("amz-sdk-request"), Some("attempt=1; max=3"));
    // Checksums only when required: no flexible-checksum header or aws-chunked trailer.
    assert!(
        put.headers
            .iter()
            .all(|(n, _)| !n.starts_with("x-amz-checksum") && n != "x-amz-trailer"),
        "{put:?}"
    );
    assert_eq!(put.header("x-amz-sdk-checksum-algorithm"), None);
    assert_eq!(
        read(&server.client(), "from-connect.json").await.0,
        &b"{\"from\":\"connect\"}\n"[..]
    );
}

/// Run only by `connect_builds_a_client_from_the_settings`, in a child process.
#[tokio::test]
#[ignore = "run in a child process by connect_builds_a_client_from_the_settings"]
async fn connect_child() {
    let Ok(endpoint) = std::env::var(CHILD_ENDPOINT_VAR) else {
        eprintln!("{CHILD_ENDPOINT_VAR} unset: nothing to do outside the parent test");
        return;
    };
    let mut settings = S3Settings::new(BUCKET);
    settings.region = Some("eu-west-1".to_owned());
    settings.endpoint_url = Some(endpoint);
    settings.path_style = true;
    settings.part_retries = 2;
    settings.retry_backoff_ms = 10;
    let store = S3Store::connect(settings).await;
    assert_eq!(store.describe(), "s3://sink-bucket");
    store
        .put(object(
            "from-connect.json",
            &b"{\"from\":\"connect\"}\n"[..],
        ))
        .await
        .expect("put through a connected store");
}

#[tokio::test]
async fn stalled_request_times_out_as_a_retryable_error_and_is_cleaned_up() {
    let server = S3Server::start().await;
    server.create_bucket(BUCKET);
    server.delay_upload_part(1, Duration::from_secs(20));
    let config = s3_server::client_builder(
        server.endpoint(),
        s3_server::ACCESS_KEY,
        s3_server::SECRET_KEY,
    )
    .retry_config(RetryConfig::standard().with_max_attempts(1))
    .timeout_config(
        TimeoutConfig::builder()
            .operation_attempt_timeout(Duration::from_millis(500))
            .build(),
    )
    .build();
    let mut settings = S3Settings::new(BUCKET);
    settings.part_size = 5 * MIB;
    let store = S3Store::with_client(Client::from_conf(config), settings);

    let err = store
        .put(object("slow", pattern(5 * MIB)))
        .await
        .expect_err("put whose part never gets an answer");
    let (_, _, message, retryable) = remote_parts(&err);
    assert!(
        message.starts_with("UploadPart 1 failed: timed out"),
        "{message}"
    );
    assert!(retryable);
    let client = server.client();
    assert!(open_uploads(&client).await.is_empty());
    assert!(!object_exists(&client, "slow").await);
}

// Confluent parity of the S3 write options. Expectations from
// confluentinc/kafka-connect-storage-cloud, kafka-connect-s3/src/main/java/io/confluent/connect/
// s3/TopicPartitionWriter.java (`tagFile`, `getS3Tag`) and storage/S3OutputStream.java
// (SSE-C, `contentMD5`).

#[tokio::test]
async fn extra_tag_pairs_follow_the_offset_tags_and_may_replace_them() {
    let server = S3Server::start().await;
    server.create_bucket(BUCKET);
    let mut settings = S3Settings::new(BUCKET);
    settings.tagging = true;
    settings.extra_tags = vec![
        ("team".to_owned(), "data platform".to_owned()),
        ("recordCount".to_owned(), "x".to_owned()),
    ];
    let store = store(&server, settings);
    store.put(object("tagged", &b"x"[..])).await.expect("put");
    let mut untagged = object("sidecar", &b"k"[..]);
    untagged.tagged = false;
    store.put(untagged).await.expect("put");

    let got = tags(&server.client(), "tagged").await;
    let expected: BTreeMap<String, String> = [
        ("startOffset", "42"),
        ("endOffset", "51"),
        ("recordCount", "x"),
        ("team", "data platform"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(got, expected);
    assert!(tags(&server.client(), "sidecar").await.is_empty());
}

#[tokio::test]
async fn refused_tags_are_dropped_with_ignore_and_fail_the_write_with_fail() {
    let server = S3Server::start().await;
    server.create_bucket(BUCKET);
    server.deny_tagging();
    let mut settings = S3Settings::new(BUCKET);
    settings.tagging = true;
    let ignoring = store(&server, settings.clone());
    ignoring
        .put(object("kept", &b"x"[..]))
        .await
        .expect("ignore writes the object without tags");
    assert_eq!(
        read(&server.client(), "kept").await.0,
        Bytes::from_static(b"x")
    );
    let puts = server.requests_of("PutObject");
    assert_eq!(puts.len(), 2, "a tagged attempt, then one without tags");
    assert!(puts[0].header("x-amz-tagging").is_some());
    assert_eq!(puts[1].header("x-amz-tagging"), None);

    settings.fail_on_tagging_error = true;
    let failing = store(&server, settings);
    let err = failing
        .put(object("refused", &b"x"[..]))
        .await
        .expect_err("fail keeps the error");
    assert!(err.to_string().contains("AccessDenied"), "{err}");
}

#[tokio::test]
async fn sse_c_key_and_content_md5_go_with_every_write_and_part() {
    use base64::Engine;
    use md5::{Digest, Md5};
    let server = S3Server::start().await;
    server.create_bucket(BUCKET);
    let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    let key_md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest([7u8; 32]));
    let mut settings = S3Settings::new(BUCKET);
    settings.sse_customer_key = Some(key.clone());
    settings.send_digest = true;
    settings.part_size = 5 * MIB;
    let store = store(&server, settings);
    let small = object("small", &b"hello"[..]);
    let big = object("big", pattern(6 * MIB));
    store.put(small.clone()).await.expect("put");
    store.put(big.clone()).await.expect("multipart put");

    let put = &server.requests_of("PutObject")[0];
    let create = &server.requests_of("CreateMultipartUpload")[0];
    let parts = server.requests_of("UploadPart");
    assert_eq!(parts.len(), 2);
    for request in [put, create].into_iter().chain(parts.iter()) {
        assert_eq!(
            request.header("x-amz-server-side-encryption-customer-algorithm"),
            Some("AES256"),
            "{}",
            request.operation
        );
        assert_eq!(
            request.header("x-amz-server-side-encryption-customer-key"),
            Some(key.as_str())
        );
        assert_eq!(
            request.header("x-amz-server-side-encryption-customer-key-md5"),
            Some(key_md5.as_str())
        );
        assert_eq!(request.header("x-amz-server-side-encryption"), None);
    }
    let md5 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(Md5::digest(b));
    assert_eq!(put.header("content-md5"), Some(md5(&small.body).as_str()));
    assert_eq!(
        parts[0].header("content-md5"),
        Some(md5(&big.body[..5 * MIB]).as_str())
    );
    assert_eq!(
        parts[1].header("content-md5"),
        Some(md5(&big.body[5 * MIB..]).as_str())
    );
}

/// Runs the shipped orders event through the real handler into the server's bucket.
async fn replay_orders(server: &S3Server, pairs: &[(&str, &str)]) -> Vec<String> {
    let mut all = vec![
        ("flush.size", "100"),
        ("s3.bucket.name", BUCKET),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        ("value.converter.schemas.enable", "false"),
    ];
    all.extend_from_slice(pairs);
    let raw = kafka_s3_sink::config::RawConfig::from_pairs(all);
    let config = kafka_s3_sink::Config::from_raw(&raw).expect("valid config");
    let store = S3Store::with_client(server.client(), config.s3.clone());
    let sink = kafka_s3_sink::Sink::new(std::sync::Arc::new(config), std::sync::Arc::new(store));
    let event = kafka_s3_sink::event::parse_event_json(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/events/orders-msk.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let summary = sink
        .handle(&event, 1_700_000_000_000)
        .await
        .expect("invocation");
    summary.files.iter().map(|f| f.key.clone()).collect()
}

/// The metadata of the handler's objects, read back with HEAD: what Confluent writes (no
/// Content-Encoding, no user metadata; ACL and encryption on the write, as
/// kafka-connect-s3's `storage/S3OutputStream.java` sets them on CreateMultipartUpload), plus
/// a Content-Type that names the stored bytes.
#[tokio::test]
async fn handler_objects_carry_confluents_metadata_and_a_content_type_of_their_bytes() {
    let server = S3Server::start().await;
    server.create_bucket(BUCKET);
    let client = server.client();

    let gzip_keys = replay_orders(
        &server,
        &[
            ("s3.compression.type", "gzip"),
            ("s3.acl.canned", "bucket-owner-full-control"),
            ("s3.ssea.name", "AES256"),
        ],
    )
    .await;
    assert_eq!(gzip_keys.len(), 2, "{gzip_keys:?}");
    for key in &gzip_keys {
        assert!(key.ends_with(".json.gz"), "{key}");
        let head = client
            .head_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .expect("HEAD");
        // A `.gz` object is gzip bytes and says so; no Content-Encoding, so no client
        // decompresses it behind the reader's back.
        assert_eq!(head.content_type(), Some("application/gzip"), "{key}");
        assert_eq!(head.content_encoding(), None, "{key}");
        assert!(
            head.metadata().is_none_or(|m| m.is_empty()),
            "no user metadata: {:?}",
            head.metadata()
        );
        let (body, _) = read(&client, key).await;
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut text)
            .expect("a gzip body");
        assert!(text.starts_with("{\"order_id\":"), "{text}");
    }
    let writes = server.requests_of("PutObject");
    assert_eq!(writes.len(), gzip_keys.len());
    for write in &writes {
        assert_eq!(write.header("content-encoding"), None, "{write:?}");
        assert_eq!(write.header("x-amz-acl"), Some("bucket-owner-full-control"));
        assert_eq!(write.header("x-amz-server-side-encryption"), Some("AES256"));
        assert!(
            !write
                .headers
                .iter()
                .any(|(k, _)| k.starts_with("x-amz-meta-")),
            "{write:?}"
        );
    }

    let parquet_keys = replay_orders(
        &server,
        &[("topics.dir", "parquet"), ("format.class", "ParquetFormat")],
    )
    .await;
    for key in &parquet_keys {
        let head = client
            .head_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap();
        assert_eq!(head.content_type(), Some("application/vnd.apache.parquet"));
        assert_eq!(head.content_encoding(), None);
    }
}

//! Store faults, the invocation deadline and partial batch responses, through the real
//! handler. The faulty store is a mock: it fails chosen keys, which a real server cannot be
//! told to do.

mod helpers;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kafka_s3_sink::config::RawConfig;
use kafka_s3_sink::event::parse_event_json;
use kafka_s3_sink::handler::Invocation;
use kafka_s3_sink::storage::{LocalStore, ObjectPut, ObjectStore, StoreError};
use kafka_s3_sink::{Config, Sink, SinkError};

/// Writes through to a local directory, except keys containing `fail_on`.
struct FaultyStore {
    inner: LocalStore,
    fail_on: String,
    attempted: Mutex<Vec<String>>,
}

#[async_trait]
impl ObjectStore for FaultyStore {
    async fn put(&self, object: ObjectPut) -> Result<(), StoreError> {
        self.attempted.lock().unwrap().push(object.key.clone());
        if object.key.contains(&self.fail_on) {
            return Err(StoreError::Remote {
                bucket: "b".into(),
                key: object.key,
                message: "SlowDown: injected".into(),
                retryable: true,
            });
        }
        self.inner.put(object).await
    }
    fn describe(&self) -> String {
        "faulty".into()
    }
}

fn event() -> String {
    let rec = |p: i32, off: i64, v: &str| {
        format!(
            r#"{{"topic":"t","partition":{p},"offset":{off},"timestamp":1000,"timestampType":"CREATE_TIME","value":"{}","headers":[]}}"#,
            STANDARD.encode(v)
        )
    };
    format!(
        r#"{{"eventSource":"aws:kafka","records":{{"t-0":[{},{}],"t-1":[{},{}]}}}}"#,
        rec(0, 10, r#"{"a":1}"#),
        rec(0, 11, r#"{"a":2}"#),
        rec(1, 20, r#"{"a":3}"#),
        rec(1, 21, r#"{"a":4}"#)
    )
}

fn sink(pairs: &[(&str, &str)], store: Arc<dyn ObjectStore>) -> Sink {
    let mut all = vec![
        ("flush.size", "1"),
        ("value.converter.schemas.enable", "false"),
    ];
    all.extend_from_slice(pairs);
    Sink::new(
        Arc::new(Config::from_raw(&RawConfig::from_pairs(all)).unwrap()),
        store,
    )
}

fn faulty(dir: &std::path::Path, fail_on: &str) -> Arc<FaultyStore> {
    Arc::new(FaultyStore {
        inner: LocalStore::new(dir),
        fail_on: fail_on.into(),
        attempted: Mutex::new(Vec::new()),
    })
}

#[tokio::test]
async fn a_failed_upload_fails_the_invocation_after_every_upload_finished() {
    let dir = tempfile::tempdir().unwrap();
    let store = faulty(dir.path(), "t+1+0000000021");
    let s = sink(&[], store.clone());
    let err = s
        .handle(&parse_event_json(event().as_bytes()).unwrap(), 0)
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert!(err.to_string().starts_with("1 of 4 uploads failed; first: cannot write s3://b/topics/t/partition=1/t+1+0000000021.json"), "{err}");
    assert_eq!(
        store.attempted.lock().unwrap().len(),
        4,
        "every upload was attempted"
    );
    assert_eq!(helpers::read_tree(dir.path()).len(), 3);
}

#[tokio::test]
async fn partial_batch_response_names_the_failed_partitions_first_offset() {
    let dir = tempfile::tempdir().unwrap();
    let store = faulty(dir.path(), "t+1+0000000021");
    let s = sink(&[("lambda.partial.batch.response", "true")], store);
    let summary = s
        .handle(&parse_event_json(event().as_bytes()).unwrap(), 0)
        .await
        .unwrap();
    assert_eq!(summary.records_in, 4);
    assert_eq!(
        summary.records_written, 2,
        "only partition 0 counts as written"
    );
    assert_eq!(summary.records_retried, 2);
    assert_eq!(summary.failed_partitions.len(), 1);
    let response = summary.lambda_response(true);
    // Partition 1 failed at offset 21, but is retried from its first offset, 20: retrying
    // from mid-file would break the file rule.
    assert_eq!(
        response["batchItemFailures"],
        serde_json::json!([{"itemIdentifier": {"partition": "t-1", "offset": 20}}])
    );
    assert!(
        summary
            .lambda_response(false)
            .get("batchItemFailures")
            .is_none()
    );
}

#[tokio::test]
async fn partial_batch_response_isolates_a_bad_record() {
    let dir = tempfile::tempdir().unwrap();
    let ev = event().replace(&STANDARD.encode(r#"{"a":4}"#), &STANDARD.encode("not json"));
    let s = sink(
        &[("lambda.partial.batch.response", "true")],
        Arc::new(LocalStore::new(dir.path())),
    );
    let summary = s
        .handle(&parse_event_json(ev.as_bytes()).unwrap(), 0)
        .await
        .unwrap();
    assert_eq!(summary.failed_partitions[0].partition, 1);
    assert_eq!(summary.failed_partitions[0].first_offset, 20);
    assert!(
        summary.failed_partitions[0]
            .error
            .contains("offset 21: value.converter"),
        "{:?}",
        summary.failed_partitions
    );
    assert_eq!(
        helpers::text_tree(dir.path())
            .into_keys()
            .collect::<Vec<_>>(),
        vec![
            "topics/t/partition=0/t+0+0000000010.json",
            "topics/t/partition=0/t+0+0000000011.json"
        ]
    );
}

#[tokio::test]
async fn no_upload_starts_within_the_deadline_margin() {
    let dir = tempfile::tempdir().unwrap();
    let s = sink(
        &[("lambda.deadline.margin.ms", "2000")],
        Arc::new(LocalStore::new(dir.path())),
    );
    let ev = parse_event_json(event().as_bytes()).unwrap();
    let err = s
        .run(
            &ev,
            Invocation {
                now_ms: 0,
                deadline: Some(Instant::now() + Duration::from_millis(500)),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SinkError::Deadline {
                not_started: 4,
                total: 4,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.is_retryable());
    assert!(helpers::read_tree(dir.path()).is_empty());
    // With time to spare, the same invocation writes everything.
    let ok = s
        .run(
            &ev,
            Invocation {
                now_ms: 0,
                deadline: Some(Instant::now() + Duration::from_secs(60)),
            },
        )
        .await
        .unwrap();
    assert_eq!(ok.records_written, 4);
}

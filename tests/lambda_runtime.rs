//! The binary as a Lambda function: it polls a runtime API on 127.0.0.1 (the Lambda runtime
//! interface, `/2018-06-01/runtime/invocation/next`), reads the MSK event it is handed into
//! decoded records, writes the objects `replay` writes for the same event, and posts its
//! response for the request id it was given.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use tokio::sync::mpsc;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kafka-s3-sink"));
    c.current_dir(repo(""));
    for (k, _) in std::env::vars() {
        if k.starts_with("S3_SINK_") || k.starts_with("AWS_") {
            c.env_remove(k);
        }
    }
    c
}

/// What the function posted back: the path (response or error) and the body.
type Posted = (String, Vec<u8>);

/// A runtime API handing out `event` once, as request `req-1`; later polls wait forever,
/// as Lambda's do between invocations.
async fn runtime_api(event: Vec<u8>) -> (String, mpsc::UnboundedReceiver<Posted>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::unbounded_channel();
    let handed = Arc::new(AtomicBool::new(false));
    let event = Bytes::from(event);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (tx, handed, event) = (tx.clone(), handed.clone(), event.clone());
            let service =
                hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                    let (tx, handed, event) = (tx.clone(), handed.clone(), event.clone());
                    async move {
                        let path = request.uri().path().to_owned();
                        if path.ends_with("/invocation/next") {
                            if handed.swap(true, Ordering::SeqCst) {
                                std::future::pending::<()>().await;
                            }
                            let deadline = chrono::Utc::now().timestamp_millis() + 60_000;
                            return Ok::<_, Infallible>(
                                Response::builder()
                                    .header("Lambda-Runtime-Aws-Request-Id", "req-1")
                                    .header("Lambda-Runtime-Deadline-Ms", deadline.to_string())
                                    .header(
                                        "Lambda-Runtime-Invoked-Function-Arn",
                                        "arn:aws:lambda:us-east-1:123456789012:function:sink",
                                    )
                                    .header("Lambda-Runtime-Trace-Id", "Root=1-0-0")
                                    .body(Full::new(event))
                                    .unwrap(),
                            );
                        }
                        let body = request.into_body().collect().await.unwrap().to_bytes();
                        let _ = tx.send((path, body.to_vec()));
                        Ok(Response::builder()
                            .status(202)
                            .body(Full::new(Bytes::new()))
                            .unwrap())
                    }
                });
            tokio::spawn(async move {
                let _ = ConnBuilder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (address, rx)
}

fn files(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let name = path.strip_prefix(root).unwrap().display().to_string();
                out.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invocation_writes_what_replay_writes_and_posts_its_response() {
    let event = std::fs::read(repo("events/orders-msk.json")).unwrap();
    let (address, mut posted) = runtime_api(event).await;
    let lambda_dir = tempfile::tempdir().unwrap();
    let mut function = bin()
        .env("AWS_LAMBDA_RUNTIME_API", &address)
        .env("AWS_LAMBDA_FUNCTION_NAME", "sink")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/sink")
        .env("AWS_REGION", "us-east-1")
        .env(
            "S3_SINK_CONFIG_FILE",
            "examples/configs/orders-timebased.json",
        )
        .env("S3_SINK_STORAGE_CLASS", "LocalStorage")
        .env("S3_SINK_LOCAL_DIR", lambda_dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(60), posted.recv()).await;
    let _ = function.kill();
    let output = function.wait_with_output().unwrap();
    let (path, body) = answer
        .unwrap_or_else(|_| {
            panic!(
                "no response within 60 s; stderr: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
        .unwrap();
    assert_eq!(
        path,
        "/2018-06-01/runtime/invocation/req-1/response",
        "{}",
        String::from_utf8_lossy(&body)
    );
    serde_json::from_slice::<serde_json::Value>(&body).expect("the response is JSON");

    let replay_dir = tempfile::tempdir().unwrap();
    let replay = bin()
        .args([
            "replay",
            "--config",
            "examples/configs/orders-timebased.json",
            "--local-dir",
        ])
        .arg(replay_dir.path())
        .arg("events/orders-msk.json")
        .output()
        .unwrap();
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    let written = files(lambda_dir.path());
    assert!(
        written.iter().any(|(name, _)| name.ends_with(".json")),
        "the invocation wrote no data file: {written:?}"
    );
    assert_eq!(written, files(replay_dir.path()));
}

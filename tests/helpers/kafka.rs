//! A real Kafka broker for the `consume` tests: tansu with in-memory storage, started on a free
//! loopback port per test and killed when dropped; the producer and offset checks in
//! `tests/kafka/kafka_tool.py` (confluent-kafka from PyPI, independent of this crate); and the
//! `consume` command run as a child process, as users run it.
//!
//! Include it with `#[path = "helpers/kafka.rs"] mod kafka;`. A missing broker or Python
//! client fails the test with the command that installs it: these tests never pass silently.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long the broker may take to accept connections, and any Python step to finish.
const START_DEADLINE: Duration = Duration::from_secs(60);

pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A running tansu broker.
pub struct Broker {
    child: Child,
    pub bootstrap: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

impl Broker {
    /// Starts `tansu` (or the binary named by `TANSU`) on a free loopback port.
    pub fn start() -> Broker {
        let tansu = std::env::var("TANSU").unwrap_or_else(|_| "tansu".to_owned());
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("tansu.log");
        let port = free_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(&tansu)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
                "--storage-engine",
                "memory://tansu/",
            ])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).expect("broker log"))
            .stderr(std::fs::File::create(dir.path().join("tansu.err")).expect("broker log"))
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start the Kafka broker `{tansu}` ({e}). These tests need a real broker: \
                     install it with `cargo install tansu --locked --features dynostore` \
                     (or set TANSU to its path); `.ci/run` does this when it is missing"
                )
            });
        let mut broker = Broker {
            child,
            bootstrap: format!("127.0.0.1:{port}"),
            log,
            _dir: dir,
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = broker.child.try_wait() {
                panic!(
                    "tansu exited with {status} before accepting connections: {}",
                    broker.stderr()
                );
            }
            assert!(
                started.elapsed() < START_DEADLINE,
                "tansu did not accept connections on 127.0.0.1:{port} within {START_DEADLINE:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        broker
    }

    fn stderr(&self) -> String {
        let err = self.log.with_file_name("tansu.err");
        std::fs::read_to_string(err).unwrap_or_default()
    }

    /// Creates a topic with `partitions` partitions.
    pub fn create_topic(&self, topic: &str, partitions: u32) {
        kafka_tool(&[
            "create",
            "--bootstrap",
            &self.bootstrap,
            "--topic",
            topic,
            "--partitions",
            &partitions.to_string(),
        ]);
    }

    /// Produces `count` generated records of `kind` round-robin over the partitions and
    /// returns what was delivered, in partition and offset order.
    pub fn produce(&self, topic: &str, kind: &str, count: usize, extra: &[&str]) -> Vec<Value> {
        let dir = tempfile::tempdir().expect("temp dir");
        let manifest = dir.path().join("manifest.jsonl");
        let template = repo("tests/fixtures/debezium/create-schemaless.json");
        let mut args = vec![
            "produce",
            "--bootstrap",
            &self.bootstrap,
            "--topic",
            topic,
            "--kind",
            kind,
            "--manifest",
            manifest.to_str().expect("utf-8 path"),
            "--debezium-template",
            template.to_str().expect("utf-8 path"),
        ];
        let count = count.to_string();
        args.extend(["--count", &count]);
        args.extend_from_slice(extra);
        kafka_tool(&args);
        std::fs::read_to_string(&manifest)
            .expect("manifest")
            .lines()
            .map(|l| serde_json::from_str(l).expect("manifest line"))
            .collect()
    }

    /// The group's committed offsets, `topic-N` → offset (negative when none).
    pub fn committed(&self, group: &str, topic: &str) -> BTreeMap<String, i64> {
        parse_offsets(&kafka_tool(&[
            "committed",
            "--bootstrap",
            &self.bootstrap,
            "--group",
            group,
            "--topic",
            topic,
        ]))
    }

    /// The high watermark of each partition.
    pub fn ends(&self, topic: &str) -> BTreeMap<String, i64> {
        parse_offsets(&kafka_tool(&[
            "ends",
            "--bootstrap",
            &self.bootstrap,
            "--topic",
            topic,
        ]))
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse_offsets(text: &str) -> BTreeMap<String, i64> {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("offsets {text:?}: {e}"))
}

/// Runs `tests/kafka/kafka_tool.py` with the Python named by `KAFKA_TEST_PYTHON` (default
/// `python3`) and returns its standard output.
pub fn kafka_tool(args: &[&str]) -> String {
    let python = std::env::var("KAFKA_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let out = Command::new(&python)
        .arg(repo("tests/kafka/kafka_tool.py"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("No module named 'confluent_kafka'") {
        panic!(
            "{python} has no confluent_kafka: install it with `pip install confluent-kafka` \
             (or set KAFKA_TEST_PYTHON to a Python that has it)"
        );
    }
    assert!(
        out.status.success(),
        "kafka_tool.py {} failed ({}): {stderr}",
        args.join(" "),
        out.status
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// A running `kafka-s3-sink consume`, its JSON lines read as they come.
pub struct Consume {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    pub seen: Vec<Value>,
    pub stderr: PathBuf,
}

/// The arguments every consume run gets: the broker, one topic and a group.
pub fn consume_args(broker: &Broker, topic: &str, group: &str) -> Vec<String> {
    [
        "consume",
        "--bootstrap-servers",
        &broker.bootstrap,
        "--topic",
        topic,
        "--group",
        group,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

impl Consume {
    /// Starts the binary with `args`, extra environment `env`, and standard error in `stderr`.
    pub fn start(args: &[String], env: &[(&str, &str)], stderr: &Path) -> Consume {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kafka-s3-sink"))
            .args(args)
            .envs(env.iter().copied())
            .env(
                "RUST_LOG",
                std::env::var("CONSUME_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(stderr).expect("stderr file"))
            .spawn()
            .expect("start kafka-s3-sink consume");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Consume {
            child,
            lines: rx,
            seen: Vec::new(),
            stderr: stderr.to_owned(),
        }
    }

    /// Reads the lines printed so far; `wait` bounds how long to wait for the first one.
    pub fn read(&mut self, wait: Duration) -> usize {
        let mut n = 0;
        let mut timeout = wait;
        while let Ok(line) = self.lines.recv_timeout(timeout) {
            let value = serde_json::from_str(&line).unwrap_or_else(|e| {
                panic!("consume printed a line that is not JSON ({e}): {line}")
            });
            self.seen.push(value);
            n += 1;
            timeout = Duration::ZERO;
        }
        n
    }

    /// Waits for the process to exit by itself, reads everything it printed, and returns
    /// whether it succeeded.
    pub fn finish(&mut self, deadline: Duration) -> bool {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                while self.read(Duration::from_millis(200)) > 0 {}
                return status.success();
            }
            assert!(
                started.elapsed() < deadline,
                "consume did not finish within {deadline:?}; stderr: {}",
                self.stderr_text()
            );
            self.read(Duration::from_millis(100));
        }
    }

    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// The invocation lines.
    pub fn invocations(&self) -> Vec<&Value> {
        self.seen
            .iter()
            .filter(|v| v["event"] == "invocation")
            .collect()
    }
}

impl Drop for Consume {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends SIGTERM to a child process.
pub fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM failed");
}

/// Data files under `root` (not the temporary files a killed writer leaves, which start with
/// a dot, as an interrupted multipart upload is no object), by relative path.
pub fn data_files(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if !e.file_name().to_string_lossy().starts_with('.') {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, &mut out);
    out.sort();
    out
}

//! The Schema Registry stand-in (`tests/registry/schema_registry.py`) and Confluent's own
//! Python serializers (`tests/registry/produce.py`) for the tests. Include it with
//! `#[path = "helpers/registry.rs"] mod registry;`.
//!
//! The Python interpreter is `REGISTRY_TEST_PYTHON` (default `python3`; `.ci/run` puts its
//! virtualenv first on PATH).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

/// The registry's basic-auth credentials in the tests: a dummy for a loopback server.
pub const USER_INFO: &str = "alice:not-a-real-password";

pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

pub fn python() -> String {
    std::env::var("REGISTRY_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// The registry stand-in, killed when dropped.
pub struct Registry {
    child: Child,
    pub url: String,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Registry {
    pub fn start(user_info: Option<&str>) -> Registry {
        let mut cmd = Command::new(python());
        cmd.arg(repo("tests/registry/schema_registry.py"))
            .args(["--port", "0"]);
        if let Some(u) = user_info {
            cmd.args(["--basic-auth", u]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {} ({e})", python()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: Value = serde_json::from_str(line.trim())
            .unwrap_or_else(|_| panic!("the registry did not print its port: {line:?}"));
        Registry {
            child,
            url: format!("http://127.0.0.1:{}", port["port"]),
        }
    }

    /// A test-only control call (`/__test__/...`), which needs no credentials.
    pub fn control(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let script = r#"
import json, sys, urllib.request
method, url, body = sys.argv[1], sys.argv[2], sys.argv[3]
req = urllib.request.Request(url, method=method, data=body.encode() if body else None,
                             headers={"Content-Type": "application/json"})
print(urllib.request.urlopen(req).read().decode() or "null")
"#;
        let out = Command::new(python())
            .args([
                "-c",
                script,
                method,
                &format!("{}{path}", self.url),
                &body.map(|b| b.to_string()).unwrap_or_default(),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }

    pub fn faults(&self, spec: Value) {
        self.control("POST", "/__test__/faults", Some(spec));
    }

    /// The `GET /schemas/ids/...` requests received since the log was last cleared.
    pub fn id_fetches(&self) -> Vec<String> {
        self.control("GET", "/__test__/requests", None)
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .filter(|r| r.starts_with("GET /schemas/ids/"))
            .map(str::to_owned)
            .collect()
    }
}

/// Runs `produce.py`; returns the event file and the expect rows.
pub fn produce(
    reg: &Registry,
    dir: &Path,
    kind: &str,
    topic: &str,
    count: usize,
    extra: &[&str],
) -> (PathBuf, Vec<Value>) {
    let event = dir.join(format!("{kind}-{}.json", extra.join("_")));
    let expect = event.with_extension("jsonl");
    let out = Command::new(python())
        .arg(repo("tests/registry/produce.py"))
        .args(["--registry", &reg.url, "--basic-auth", USER_INFO])
        .args([
            "--kind",
            kind,
            "--topic",
            topic,
            "--count",
            &count.to_string(),
        ])
        .arg("--event")
        .arg(&event)
        .arg("--expect")
        .arg(&expect)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "produce.py failed; it needs `pip install 'confluent-kafka[avro,protobuf,json,schemaregistry]' grpcio-tools` (bash .ci/run does): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (event, json_lines(&expect))
}

/// A file of JSON lines (an expect file, a JsonFormat object), one value per line.
pub fn json_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Every JSON line of every file under `root`, files in name order.
pub fn written_lines(root: &Path) -> Vec<Value> {
    files(root).iter().flat_map(|f| json_lines(f)).collect()
}

pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// `kafka-s3-sink replay` with a connector config, as users run it.
pub fn replay(config: &Value, event: &Path, out: &Path) -> Run {
    replay_with_env(config, event, out, &[])
}

/// [`replay`] with extra environment variables (AWS settings for a loopback server).
pub fn replay_with_env(config: &Value, event: &Path, out: &Path, env: &[(&str, &str)]) -> Run {
    let cfg = out.with_extension("config.json");
    std::fs::write(
        &cfg,
        json!({"name": "registry-test", "config": config}).to_string(),
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_kafka-s3-sink"))
        .args(["replay", "--config"])
        .arg(&cfg)
        .arg("--local-dir")
        .arg(out)
        .arg(event)
        .env("RUST_LOG", "info")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    Run {
        ok: o.status.success(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

pub fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A decimal text at scale 2 ("19.99", "-24.10") as Connect's JSON form: base64 of the
/// minimal two's-complement unscaled value (Java's `BigInteger.toByteArray()`).
pub fn decimal_base64(text: &str) -> String {
    let unscaled: i64 = text.replace('.', "").parse().unwrap();
    let bytes = unscaled.to_be_bytes();
    let mut b: &[u8] = &bytes;
    while b.len() > 1 && ((b[0] == 0 && b[1] & 0x80 == 0) || (b[0] == 0xFF && b[1] & 0x80 != 0)) {
        b = &b[1..];
    }
    STANDARD.encode(b)
}

/// What Confluent's JsonFormat writes for an expect row's value.
pub fn json_form(value: &Value) -> Value {
    let mut v = value.clone();
    if let Some(a) = v.get("amount").and_then(Value::as_str) {
        v["amount"] = json!(decimal_base64(a));
    }
    v
}

pub fn duckdb(sql: &str) -> Value {
    let script = r#"
import duckdb, json, sys
rel = duckdb.sql(sys.argv[1])
print(json.dumps({"columns": rel.columns, "types": [str(t) for t in rel.types],
                  "rows": [[str(x) if x is not None else None for x in r] for r in rel.fetchall()]}))
"#;
    let out = Command::new(python())
        .args(["-c", script, sql])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "DuckDB failed (pip install duckdb): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs `tests/registry/glue_produce.py` against a Glue API (moto) at `endpoint`: an event of
/// `count` Glue-framed Avro records on `topic`, and the expect file beside it.
pub fn glue_produce_avro(
    endpoint: &str,
    dir: &Path,
    topic: &str,
    count: usize,
) -> (PathBuf, PathBuf) {
    let event = dir.join(format!("{topic}-glue.json"));
    let expect = event.with_extension("jsonl");
    let out = Command::new(python())
        .arg(repo("tests/registry/glue_produce.py"))
        .args([
            "--endpoint",
            endpoint,
            "--topic",
            topic,
            "--count",
            &count.to_string(),
        ])
        .arg("--event")
        .arg(&event)
        .arg("--expect")
        .arg(&expect)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "glue_produce.py failed (pip install boto3 fastavro): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (event, expect)
}

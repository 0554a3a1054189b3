//! `consume` against a real Kafka broker (tansu, started per test on loopback), with records
//! produced by an independent client (confluent-kafka): the events it builds, its commits,
//! kill -9 during uploads, a poison record, and the seeds' Debezium config.
//!
//! Run with `cargo test --features consume --test consume`; the broker and the Python client
//! must be installed (the failure message says how).

#![cfg(feature = "consume")]

#[path = "helpers/kafka.rs"]
mod kafka;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kafka::{Broker, Consume, consume_args, data_files, repo, terminate};
use kafka_s3_sink::Sink;
use kafka_s3_sink::config;
use kafka_s3_sink::event::parse_event_json;
use kafka_s3_sink::storage::LocalStore;
use serde_json::{Value, json};

const ARN: &str = "arn:aws:kafka:us-east-1:123456789012:cluster/demo/0b4a5c8e-1";
/// Generous bounds on how long a run may take: a run that exceeds them is stuck.
const RUN_DEADLINE: Duration = Duration::from_secs(300);

fn args(base: Vec<String>, extra: &[&str]) -> Vec<String> {
    let mut a = base;
    a.extend(extra.iter().map(|s| (*s).to_owned()));
    a
}

/// `(partition, offset)` → manifest row.
fn by_position(manifest: &[Value]) -> BTreeMap<(i64, i64), &Value> {
    manifest
        .iter()
        .map(|r| {
            (
                (
                    r["partition"].as_i64().unwrap(),
                    r["offset"].as_i64().unwrap(),
                ),
                r,
            )
        })
        .collect()
}

/// The event the mapping sends for these manifest rows, written here from the producer's
/// own record of what it sent, not by the code under test.
fn event_from_manifest(rows: &[&Value], bootstrap: &str) -> Value {
    let mut records: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for r in rows {
        let headers: Vec<Value> = r["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                let bytes = STANDARD.decode(h[1].as_str().unwrap()).unwrap();
                let signed: Vec<i64> = bytes.iter().map(|b| i64::from(*b as i8)).collect();
                json!({ h[0].as_str().unwrap(): signed })
            })
            .collect();
        records
            .entry(format!(
                "{}-{}",
                r["topic"].as_str().unwrap(),
                r["partition"]
            ))
            .or_default()
            .push(json!({
                "topic": r["topic"], "partition": r["partition"], "offset": r["offset"],
                "timestamp": r["timestamp"], "timestampType": r["timestampType"],
                "key": r["key"], "value": r["value"], "headers": headers,
            }));
    }
    json!({"eventSource": "aws:kafka", "eventSourceArn": ARN, "bootstrapServers": bootstrap, "records": records})
}

/// The offset after each partition's last produced record, `topic-N` → offset: where the
/// group's committed offsets must end. Taken from the producer's delivery reports, as tansu
/// 0.6 answers ListOffsets(latest) with the base offset of the partition's last record batch
/// rather than the high watermark.
fn ends(manifest: &[Value]) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for r in manifest {
        let key = format!("{}-{}", r["topic"].as_str().unwrap(), r["partition"]);
        let next = r["offset"].as_i64().unwrap() + 1;
        let e = out.entry(key).or_insert(next);
        *e = (*e).max(next);
    }
    out
}

fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    data_files(root)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            (rel, std::fs::read(&p).unwrap())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn consume_writes_what_replay_of_the_same_events_writes() {
    let broker = Broker::start();
    let topic = "mixed";
    broker.create_topic(topic, 3);
    let manifest = broker.produce(topic, "mixed", 3000, &[]);
    assert_eq!(manifest.len(), 3000);
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("consumed");
    let mut run = Consume::start(
        &args(
            consume_args(&broker, topic, "sink"),
            &[
                "--config",
                "tests/fixtures/consume/mixed.json",
                "--local-dir",
                out.to_str().unwrap(),
                "--batch-size",
                "700",
                "--batching-window",
                "1",
                "--event-source",
                "aws:kafka",
                "--event-source-arn",
                ARN,
                "--until-idle",
                "2s",
            ],
        ),
        &[],
        &work.path().join("stderr"),
    );
    assert!(
        run.finish(RUN_DEADLINE),
        "consume failed: {}",
        run.stderr_text()
    );

    // Every record reached exactly one successful invocation.
    let positions = by_position(&manifest);
    let mut covered: BTreeMap<(i64, i64), usize> = BTreeMap::new();
    let mut events = Vec::new();
    for inv in run.invocations() {
        assert_eq!(inv["ok"], true, "{inv}");
        let mut rows = Vec::new();
        for (key, range) in inv["partitions"].as_object().unwrap() {
            let partition: i64 = key.rsplit_once('-').unwrap().1.parse().unwrap();
            let (first, last) = (
                range["first"].as_i64().unwrap(),
                range["last"].as_i64().unwrap(),
            );
            let in_range: Vec<&Value> = positions
                .range((partition, first)..=(partition, last))
                .map(|(_, r)| *r)
                .collect();
            assert_eq!(
                in_range.len() as i64,
                range["records"].as_i64().unwrap(),
                "{inv}"
            );
            for r in &in_range {
                *covered
                    .entry((partition, r["offset"].as_i64().unwrap()))
                    .or_default() += 1;
            }
            rows.extend(in_range);
        }
        events.push(event_from_manifest(&rows, &broker.bootstrap));
    }
    assert_eq!(covered.len(), manifest.len(), "every record was invoked");
    assert!(
        covered.values().all(|n| *n == 1),
        "no record was invoked twice"
    );

    // Replay of the same events, through the library, into another directory.
    let replayed = work.path().join("replayed");
    let cfg = config::load(Some(&repo("tests/fixtures/consume/mixed.json")), &[]).unwrap();
    let sink = Sink::new(Arc::new(cfg), Arc::new(LocalStore::new(&replayed)));
    for e in &events {
        let event = parse_event_json(e.to_string().as_bytes()).unwrap();
        sink.handle(&event, 0).await.unwrap();
    }
    let (consumed, replayed) = (tree(&out), tree(&replayed));
    assert!(consumed.len() > 30, "{} files", consumed.len());
    assert_eq!(
        consumed.keys().collect::<Vec<_>>(),
        replayed.keys().collect::<Vec<_>>()
    );
    for (key, bytes) in &consumed {
        assert!(replayed[key] == *bytes, "{key} differs");
    }
    // Keys, null keys, tombstones and repeated binary headers all reached the files.
    let text: String = consumed
        .iter()
        .filter(|(k, _)| k.ends_with(".headers.json"))
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .collect();
    // Binary header values are written as Confluent's header layout writes them: their UTF-8
    // text, invalid bytes as U+FFFD.
    assert!(
        text.contains('\u{fffd}'),
        "binary header values are written"
    );

    assert_eq!(broker.committed("sink", topic), ends(&manifest));
    let done = run.seen.last().unwrap();
    assert_eq!(done["event"], "done");
    assert_eq!(done["reason"], "idle");
    assert_eq!(done["records"], 3000);
}

/// What the exactly-once check counts in an output file: one identity per record.
fn identities(path: &Path, field: &str) -> Vec<String> {
    let name = path.to_string_lossy();
    if name.ends_with(".parquet") {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
        return reader
            .get_row_iter(None)
            .unwrap()
            .map(|row| {
                let row = row.unwrap();
                let (_, value) = row
                    .get_column_iter()
                    .find(|(n, _)| n.as_str() == field)
                    .unwrap_or_else(|| panic!("{name} has no column {field}"));
                value.to_string().trim_matches('"').to_owned()
            })
            .collect();
    }
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            match field {
                // Debezium rows: a customer appears once per change.
                "id/first_name" => format!("{}/{}", v["id"], v["first_name"].as_str().unwrap()),
                f => match &v[f] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            }
        })
        .collect()
}

/// Runs `consume` with `config`, killing it with SIGKILL while uploads are in flight a few
/// times, then lets it finish; the bucket then holds every record exactly once.
fn kill_9_keeps_exactly_once(
    config: &str,
    topic: &str,
    kind: &str,
    field: &str,
    env: &[(&str, &str)],
) {
    let broker = Broker::start();
    broker.create_topic(topic, 3);
    let manifest = broker.produce(topic, kind, 1500, &[]);
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("bucket");
    let base = args(
        consume_args(&broker, topic, "sink"),
        &[
            "--config",
            config,
            "--local-dir",
            out.to_str().unwrap(),
            "--batch-size",
            "150",
            "--batching-window",
            "0",
        ],
    );
    let mut kills_during_upload = 0;
    for round in 0..3 {
        let mut run = Consume::start(&base, env, &work.path().join(format!("stderr{round}")));
        let started = Instant::now();
        let mut files_at_last_line = data_files(&out).len();
        let mut invocations = 0;
        loop {
            assert!(
                started.elapsed() < RUN_DEADLINE,
                "no upload to interrupt; stderr: {}",
                run.stderr_text()
            );
            if run.read(Duration::ZERO) > 0 {
                let now = run.invocations().len();
                if now > invocations {
                    invocations = now;
                    files_at_last_line = data_files(&out).len();
                }
            }
            // New objects since the last invocation line: an invocation is uploading.
            if invocations > 0 && data_files(&out).len() > files_at_last_line {
                kills_during_upload += 1;
                break;
            }
            // Few files per invocation can upload between two looks: after a few
            // invocations, a kill between them is a crash test too.
            if invocations >= 4 {
                break;
            }
            if let Some(status) = run.child.try_wait().unwrap() {
                panic!("consume exited by itself ({status}): {}", run.stderr_text());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        run.child.kill().unwrap(); // SIGKILL
        run.child.wait().unwrap();
    }
    let mut last = Consume::start(
        &args(base, &["--until-idle", "2s"]),
        env,
        &work.path().join("stderr-final"),
    );
    assert!(
        last.finish(RUN_DEADLINE),
        "final run failed: {}",
        last.stderr_text()
    );

    let mut expected: HashMap<String, usize> = HashMap::new();
    for r in &manifest {
        if let Some(id) = r["id"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| r["id"].as_i64().map(|n| n.to_string()))
        {
            *expected.entry(id).or_default() += 1;
        }
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for f in data_files(&out) {
        let name = f.to_string_lossy();
        if name.contains(".keys.") || name.contains(".headers.") {
            continue;
        }
        for id in identities(&f, field) {
            *seen.entry(id).or_default() += 1;
        }
    }
    let duplicated: usize = seen
        .iter()
        .map(|(id, n)| n.saturating_sub(*expected.get(id).unwrap_or(&0)))
        .sum();
    let lost: usize = expected
        .iter()
        .map(|(id, n)| n.saturating_sub(*seen.get(id).unwrap_or(&0)))
        .sum();
    println!(
        "{config} {env:?}: {} records expected, {} written, {duplicated} duplicated, {lost} lost, {kills_during_upload} of 3 kills during uploads",
        expected.values().sum::<usize>(),
        seen.values().sum::<usize>()
    );
    if (duplicated, lost) != (0, 0) {
        // Where the records went missing or twice: partition and offsets, per identity.
        let mut seen_left = seen.clone();
        let mut missing: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for r in &manifest {
            let Some(id) = r["id"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| r["id"].as_i64().map(|n| n.to_string()))
            else {
                continue;
            };
            match seen_left.get_mut(&id) {
                Some(n) if *n > 0 => *n -= 1,
                _ => missing
                    .entry(r["partition"].as_i64().unwrap())
                    .or_default()
                    .push(r["offset"].as_i64().unwrap()),
            }
        }
        // Each file's records as partition and offset ranges, from the manifest.
        let mut position: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
        for r in &manifest {
            if let Some(id) = r["id"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| r["id"].as_i64().map(|n| n.to_string()))
            {
                position.entry(id).or_default().push((
                    r["partition"].as_i64().unwrap(),
                    r["offset"].as_i64().unwrap(),
                ));
            }
        }
        let mut files = String::new();
        for f in data_files(&out) {
            let mut at: Vec<(i64, i64)> = identities(&f, field)
                .iter()
                .filter_map(|id| position.get(id).and_then(|v| v.first().copied()))
                .collect();
            at.sort();
            let name = f
                .strip_prefix(&out)
                .unwrap_or(&f)
                .to_string_lossy()
                .into_owned();
            match (at.first(), at.last()) {
                (Some(a), Some(b)) => {
                    files.push_str(&format!("{name}: {a:?}..{b:?} ({})\n", at.len()))
                }
                _ => files.push_str(&format!("{name}: no known records\n")),
            }
        }
        let mut runs = String::new();
        for round in 0..3 {
            let text = std::fs::read_to_string(work.path().join(format!("stderr{round}")))
                .unwrap_or_default();
            runs.push_str(&format!("--- run {round}:\n{text}\n"));
        }
        panic!(
            "not exactly once: {duplicated} duplicated, {lost} lost; missing offsets per partition: {missing:?}; committed {:?}, ends {:?}\nfiles:\n{files}final run: {}\n{runs}",
            broker.committed("sink", topic),
            ends(&manifest),
            last.stderr_text(),
        );
    }
    assert_eq!(broker.committed("sink", topic), ends(&manifest));
}

#[test]
fn kill_9_orders_default_partitioner() {
    kill_9_keeps_exactly_once(
        "examples/configs/orders-default.json",
        "orders",
        "orders",
        "order_id",
        &[],
    );
}

#[test]
fn kill_9_orders_time_based_partitioner() {
    kill_9_keeps_exactly_once(
        "examples/configs/orders-timebased.json",
        "orders",
        "orders",
        "order_id",
        &[],
    );
}

#[test]
fn kill_9_orders_field_partitioner_with_schemas() {
    kill_9_keeps_exactly_once(
        "examples/configs/orders-field.json",
        "orders",
        "orders-schema",
        "order_id",
        &[],
    );
}

#[test]
fn kill_9_salesdb_properties() {
    kill_9_keeps_exactly_once(
        "examples/configs/salesdb-customer.properties",
        "salesdb.salesdb.CUSTOMER",
        "salesdb",
        "CUST_ID",
        &[],
    );
}

#[test]
fn kill_9_debezium_seed_on_debezium_change_events() {
    kill_9_keeps_exactly_once(
        "examples/configs/dbserver-customers.json",
        "dbserver.inventory.customers",
        "debezium",
        "id/first_name",
        &[],
    );
}

#[test]
fn kill_9_parquet() {
    kill_9_keeps_exactly_once(
        "examples/configs/orders-timebased.json",
        "orders",
        "orders",
        "order_id",
        &[("S3_SINK_FORMAT_CLASS", "ParquetFormat")],
    );
}

#[test]
fn debezium_seed_writes_the_unwrapped_rows_under_their_day() {
    let broker = Broker::start();
    let topic = "dbserver.inventory.customers";
    broker.create_topic(topic, 1);
    let manifest = broker.produce(topic, "debezium", 40, &["--partitions", "1"]);
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("bucket");
    let mut run = Consume::start(
        &args(
            consume_args(&broker, topic, "sink"),
            &[
                "--config",
                "examples/configs/dbserver-customers.json",
                "--local-dir",
                out.to_str().unwrap(),
                "--until-idle",
                "2s",
            ],
        ),
        &[],
        &work.path().join("stderr"),
    );
    assert!(run.finish(RUN_DEADLINE), "{}", run.stderr_text());
    let mut rows = BTreeSet::new();
    for f in data_files(&out) {
        let rel = f.strip_prefix(&out).unwrap().to_string_lossy().into_owned();
        let day = rel
            .split('/')
            .find_map(|s| s.strip_prefix("yymmdd="))
            .unwrap_or_else(|| panic!("{rel} has no yymmdd= segment"))
            .to_owned();
        for line in std::fs::read_to_string(&f).unwrap().lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["dt"], day.as_str(), "{rel}: {line}");
            assert!(
                v.get("op").is_none() && v.get("source").is_none(),
                "unwrapped: {line}"
            );
            rows.insert(format!("{}/{}", v["id"], v["first_name"].as_str().unwrap()));
        }
    }
    let expected: BTreeSet<String> = manifest
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    // Deletes and their tombstones were produced, and dropped by the pasted config.
    assert!(manifest.iter().any(|r| r["value"].is_null()));
    assert_eq!(rows, expected);
}

#[test]
fn a_poison_record_stops_only_its_partition() {
    let broker = Broker::start();
    let topic = "orders";
    broker.create_topic(topic, 3);
    // The 40th record of partition 1 is not JSON.
    let manifest = broker.produce(topic, "orders", 600, &["--poison", "1:40"]);
    let poison = manifest
        .iter()
        .find(|r| r["id"] == "poison")
        .map(|r| r["offset"].as_i64().unwrap())
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("bucket");
    let mut run = Consume::start(
        &args(
            consume_args(&broker, topic, "sink"),
            &[
                "--config",
                "tests/fixtures/consume/poison.json",
                "--local-dir",
                out.to_str().unwrap(),
                "--batch-size",
                "25",
                "--batching-window",
                "0",
                "--report-batch-item-failures",
            ],
        ),
        &[],
        &work.path().join("stderr"),
    );
    let ends = ends(&manifest);
    let started = Instant::now();
    loop {
        run.read(Duration::from_millis(500));
        let committed = broker.committed("sink", topic);
        if committed["orders-0"] == ends["orders-0"] && committed["orders-2"] == ends["orders-2"] {
            break;
        }
        assert!(
            started.elapsed() < RUN_DEADLINE,
            "partitions 0 and 2 did not reach their ends: {committed:?} of {ends:?}; {}",
            run.stderr_text()
        );
    }
    // The poisoned partition keeps failing while the others have finished.
    let before = run.invocations().len();
    while run.invocations().len() < before + 2 {
        run.read(Duration::from_millis(500));
        assert!(
            started.elapsed() < RUN_DEADLINE,
            "partition 1 is no longer retried: {}",
            run.stderr_text()
        );
    }
    terminate(&run.child);
    assert!(
        run.finish(RUN_DEADLINE),
        "SIGTERM is a clean stop: {}",
        run.stderr_text()
    );
    assert_eq!(run.seen.last().unwrap()["reason"], "signal");

    let committed = broker.committed("sink", topic);
    let stuck = committed["orders-1"];
    assert!(
        stuck <= poison,
        "partition 1 committed {stuck}, past the poison at {poison}"
    );
    let message = format!("topic orders, partition 1, offset {poison}");
    assert!(
        run.invocations()
            .iter()
            .any(|i| i["error"].as_str().is_some_and(|e| e.contains(&message))),
        "an invocation line names {message}"
    );
    // Partition 1's records before the committed offset are written; none after it.
    let written: BTreeSet<i64> = data_files(&out)
        .iter()
        .filter(|p| p.to_string_lossy().contains("partition=1/"))
        .flat_map(|p| identities(p, "order_id"))
        .map(|id| id.parse::<i64>().unwrap())
        .collect();
    let expected: BTreeSet<i64> = manifest
        .iter()
        .filter(|r| r["partition"] == 1 && r["offset"].as_i64().unwrap() < stuck)
        .map(|r| r["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(written, expected);
}

/// A stand-in for the Lambda Invoke API on loopback: it fails the first `failures` calls with
/// a function error (as Lambda reports an unhandled error: status 200 and
/// `X-Amz-Function-Error`), then answers `{}`; every event it received is kept.
async fn fake_lambda(failures: usize) -> (String, Arc<std::sync::Mutex<Vec<Value>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let mut reader = BufReader::new(socket);
                loop {
                    let mut length = 0usize;
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        let mut line = String::new();
                        reader.read_line(&mut line).await.unwrap();
                        if line == "\r\n" {
                            break;
                        }
                        if let Some((k, v)) = line.split_once(':')
                            && k.eq_ignore_ascii_case("content-length")
                        {
                            length = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).await.unwrap();
                    assert!(
                        request_line.starts_with("POST /2015-03-31/functions/sink/invocations"),
                        "{request_line}"
                    );
                    let n = {
                        let mut s = seen.lock().unwrap();
                        s.push(serde_json::from_slice::<Value>(&body).unwrap());
                        s.len()
                    };
                    let (extra, answer) = if n <= failures {
                        (
                            "X-Amz-Function-Error: Unhandled\r\n",
                            r#"{"errorMessage":"boom","errorType":"Error"}"#,
                        )
                    } else {
                        ("", "{}")
                    };
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n{answer}",
                        answer.len()
                    );
                    reader
                        .get_mut()
                        .write_all(response.as_bytes())
                        .await
                        .unwrap();
                }
            });
        }
    });
    (url, events)
}

#[tokio::test(flavor = "multi_thread")]
async fn invoke_url_retries_a_failed_batch_from_the_same_offsets() {
    let broker = Broker::start();
    let topic = "orders";
    broker.create_topic(topic, 3);
    let manifest = broker.produce(topic, "orders", 90, &[]);
    let (url, events) = fake_lambda(2).await;
    let work = tempfile::tempdir().unwrap();
    let mut run = Consume::start(
        &args(
            consume_args(&broker, topic, "sink"),
            &[
                "--invoke-url",
                &url,
                "--function-name",
                "sink",
                "--batch-size",
                "1000",
                "--batching-window",
                "1",
                "--until-idle",
                "2s",
            ],
        ),
        // Any credentials: the SDK signs every request, the stand-in checks nothing.
        &[
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
        ],
        &work.path().join("stderr"),
    );
    let finished = tokio::task::spawn_blocking(move || {
        let ok = run.finish(RUN_DEADLINE);
        (ok, run)
    })
    .await
    .unwrap();
    let (ok, run) = finished;
    assert!(ok, "{}", run.stderr_text());
    let events = events.lock().unwrap().clone();
    let first_offsets = |e: &Value| -> BTreeMap<String, i64> {
        e["records"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v[0]["offset"].as_i64().unwrap()))
            .collect()
    };
    assert!(events.len() >= 3, "{} invocations", events.len());
    // The two failed attempts and the successful retry start at the same offsets.
    for retry in [&events[1], &events[2]] {
        let (failed, again) = (first_offsets(&events[0]), first_offsets(retry));
        for (partition, offset) in &failed {
            assert_eq!(again.get(partition), Some(offset), "{partition}");
        }
    }
    assert_eq!(events[0]["eventSource"], "SelfManagedKafka");
    let failed: Vec<&Value> = run
        .invocations()
        .into_iter()
        .filter(|i| i["ok"] == false)
        .collect();
    assert_eq!(failed.len(), 2);
    assert!(
        failed[0]["error"].as_str().unwrap().contains("boom"),
        "{}",
        failed[0]
    );
    assert_eq!(broker.committed("sink", topic), ends(&manifest));
}

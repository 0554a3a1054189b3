//! The binary as users script it: `replay` and `check`.

mod helpers;

use std::process::Command;

use helpers::{repo, text_tree};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kafka-s3-sink"));
    c.current_dir(repo(""));
    // Only the variables a test sets may configure the sink.
    for (k, _) in std::env::vars() {
        if k.starts_with("S3_SINK_") || k == "AWS_LAMBDA_RUNTIME_API" {
            c.env_remove(k);
        }
    }
    c
}

#[test]
fn replay_prints_one_summary_line_per_event() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args([
            "replay",
            "--config",
            "examples/configs/orders-timebased.json",
            "--local-dir",
        ])
        .arg(dir.path())
        .args(["events/orders-msk.json", "events/orders-msk.json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for l in &lines {
        assert_eq!(l["records_in"], 3);
        assert_eq!(l["records_written"], 3);
        assert_eq!(l["dropped_by_rule"], 0);
        assert_eq!(l["errored"], 0);
        assert_eq!(l["event"], "events/orders-msk.json");
        assert_eq!(
            l["files"][0]["key"],
            "topics/orders/year=2023/month=10/day=01/orders+0+0000000000.json"
        );
        assert_eq!(l["files"][0]["records"], 1);
    }
    assert_eq!(text_tree(dir.path()).len(), 3);
}

#[test]
fn env_overrides_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args([
            "replay",
            "--config",
            "examples/configs/orders-default.json",
            "--local-dir",
        ])
        .arg(dir.path())
        .arg("events/orders-msk.json")
        .env("S3_SINK_FLUSH_SIZE", "100")
        .env("S3_SINK_TOPICS_DIR", "landing")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text_tree(dir.path()).into_keys().collect::<Vec<_>>(),
        vec![
            "landing/orders/partition=0/orders+0+0000000000.json".to_owned(),
            "landing/orders/partition=1/orders+1+0000000000.json".to_owned(),
        ]
    );
}

#[test]
fn replay_fails_clearly_on_bad_event_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("sqs.json");
    std::fs::write(&bad, r#"{"Records":[]}"#).unwrap();
    let out = bin()
        .args([
            "replay",
            "--config",
            "examples/configs/orders-default.json",
            "--local-dir",
        ])
        .arg(dir.path().join("out"))
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("sqs.json: not a Kafka event"), "{stderr}");
}

#[test]
fn check_prints_settings_ignored_keys_and_warnings_without_secrets() {
    let out = bin()
        .args([
            "check",
            "--config",
            "examples/configs/orders-timebased.json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("  path.format = 'year'=YYYY/'month'=MM/'day'=dd"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  aws.secret.access.key: credentials come from"),
        "{stdout}"
    );
    assert!(
        stdout.contains("rotate.schedule.interval.ms=60000 is accepted"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("${}"),
        "secret values must not be echoed: {stdout}"
    );
}

#[test]
fn check_exits_one_on_invalid_config() {
    let out = bin()
        .args(["check", "--config", "examples/configs/orders-default.json"])
        .env("S3_SINK_PARTITIONER_CLASS", "RandomPartitioner")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(
            "partitioner.class: \"RandomPartitioner\" is not supported; allowed: DefaultPartitioner"
        ),
        "{stderr}"
    );
}

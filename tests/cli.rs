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
fn check_prints_the_effective_config_and_reports_on_stderr_without_secrets() {
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
    let stderr = String::from_utf8(out.stderr).unwrap();
    // stdout is the document alone: strict JSON, as Kafka Connect's REST API takes it.
    let document: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(document["name"], "s3-sink-connector");
    let config = &document["config"];
    assert_eq!(config["path.format"], "'year'=YYYY/'month'=MM/'day'=dd");
    // Defaults are spelled out, ignored keys kept (Connect needs connector.class).
    assert_eq!(config["topics.dir"], "topics");
    assert_eq!(
        config["connector.class"],
        "io.confluent.connect.s3.S3SinkConnector"
    );
    // Plain-text secrets are left out, and said so.
    assert!(config.get("aws.secret.access.key").is_none(), "{stdout}");
    assert!(config.get("aws.access.key.id").is_none(), "{stdout}");
    assert!(
        stderr.contains("left out of the document, secrets given in plain text: aws.access.key.id, aws.secret.access.key"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  aws.secret.access.key: credentials come from"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  - rotate.schedule.interval.ms=60000 is accepted"),
        "{stderr}"
    );
    // The shipped config's placeholder for the secret never shows.
    assert!(!stdout.contains("${}"), "{stdout}");
}

/// `check`'s output, pasted back, is read to the same configuration: the same document again,
/// in either form.
#[test]
fn check_output_pastes_back() {
    let dir = tempfile::tempdir().unwrap();
    let check = |config: &std::path::Path, format: &str| {
        let out = bin()
            .args(["check", "--format", format, "--config"])
            .arg(config)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let seed = repo("examples/configs/orders-timebased.json");
    let json = check(&seed, "json");
    let json_path = dir.path().join("effective.json");
    std::fs::write(&json_path, &json).unwrap();
    let properties = check(&json_path, "properties");
    assert!(
        properties.contains("path.format='year'\\=YYYY/'month'\\=MM/'day'\\=dd\n"),
        "{properties}"
    );
    let properties_path = dir.path().join("effective.properties");
    std::fs::write(&properties_path, &properties).unwrap();
    assert_eq!(check(&properties_path, "json"), json);
    assert_eq!(check(&json_path, "json"), json);
    // Without --format, the form of --config.
    let out = bin()
        .args(["check", "--config"])
        .arg(&properties_path)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), properties);
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

/// `replay` reading events from standard input (`-`), with the test in control of when they
/// arrive.
fn replay_stdin(dir: &std::path::Path, extra: &[&str]) -> std::process::Child {
    bin()
        .args([
            "replay",
            "--config",
            "examples/configs/orders-timebased.json",
            "--local-dir",
        ])
        .arg(dir)
        .args(extra)
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn replay_reads_a_stream_of_events_from_stdin() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    // `--progress always` asks for the bar, but stderr is a pipe here: nothing may be drawn.
    let mut child = replay_stdin(dir.path(), &["--progress", "always"]);
    let event = std::fs::read(repo("events/orders-msk.json")).unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        // Two events back to back, the second on the same line as the first one's end.
        stdin.write_all(&event).unwrap();
        stdin.write_all(&event).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("records,"), "a bar on a pipe: {stderr}");
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["event"], "-#1");
    assert_eq!(lines[0]["records_in"], 3);
    assert_eq!(lines[1]["event"], "-#2");
    assert_eq!(lines[1]["records_in"], 3);
    assert_eq!(text_tree(dir.path()).len(), 3);
}

#[test]
fn replay_stops_quietly_when_stdout_is_closed() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut child = replay_stdin(dir.path(), &[]);
    // Close the reading end first (as `| head` does once it has its lines), then send the
    // event: the summary line is written into a pipe nobody reads.
    drop(child.stdout.take());
    {
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(&std::fs::read(repo("events/orders-msk.json")).unwrap())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    // The invocation itself completed before its summary was written.
    assert_eq!(text_tree(dir.path()).len(), 3);
}

#[test]
fn replay_takes_a_directory_of_events_in_name_order() {
    let events = tempfile::tempdir().unwrap();
    let event = std::fs::read(repo("events/orders-msk.json")).unwrap();
    std::fs::write(events.path().join("b.json"), &event).unwrap();
    std::fs::write(events.path().join("a.json"), &event).unwrap();
    // Neither is an event file: not `.json`, or hidden.
    std::fs::write(events.path().join("notes.txt"), "not an event").unwrap();
    std::fs::write(events.path().join(".partial.json"), "{").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args([
            "replay",
            "--config",
            "examples/configs/orders-timebased.json",
            "--local-dir",
        ])
        .arg(dir.path())
        .arg(events.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["event"].as_str().unwrap().to_owned()
        })
        .collect();
    let expected: Vec<String> = ["a.json", "b.json"]
        .iter()
        .map(|n| events.path().join(n).display().to_string())
        .collect();
    assert_eq!(names, expected);

    // An empty directory is an error, not a silent no-op.
    let empty = tempfile::tempdir().unwrap();
    let out = bin()
        .args([
            "replay",
            "--config",
            "examples/configs/orders-timebased.json",
            "--local-dir",
        ])
        .arg(dir.path())
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("holds no .json files"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn help_shows_an_example_the_exit_codes_and_where_the_keys_are() {
    for args in [
        &["--help"][..],
        &["replay", "--help"],
        &["check", "--help"],
        &["keys", "--help"],
    ] {
        let out = bin().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(help.contains("\n  kafka-s3-sink "), "{args:?}: {help}");
        assert!(help.contains("Exit codes:\n  0  "), "{args:?}: {help}");
        assert!(help.contains("kafka-s3-sink keys"), "{args:?}: {help}");
    }
    // A bad command line is exit code 2, as the help says.
    let out = bin().args(["replay"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn replay_names_the_bad_event_of_stdin_by_position() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut child = replay_stdin(dir.path(), &[]);
    {
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(&std::fs::read(repo("events/orders-msk.json")).unwrap())
            .unwrap();
        stdin.write_all(b"\n{\"Records\": []}\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("event file -#2: not a Kafka event"),
        "{stderr}"
    );
    // The first event ran and was reported before the second failed.
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains("\"event\":\"-#1\""), "{stdout}");
}

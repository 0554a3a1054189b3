//! Progress for people: records per second, lag per partition and files written, on a line
//! that updates in place on a terminal, and as JSON lines (one per invocation, one per
//! interval) otherwise, so scripts and tests can follow along.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;

use super::batch::PartitionRange;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// One line on standard error, rewritten in place.
    Line,
    /// JSON lines on standard output.
    Json,
}

/// Totals of a run, printed when it ends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub invocations: u64,
    pub failed_invocations: u64,
    pub records: u64,
    pub files: u64,
    pub discarded_records: u64,
}

/// The progress reporter.
pub struct Progress {
    mode: ProgressMode,
    started: Instant,
    totals: Totals,
    last_tick: Instant,
    records_at_last_tick: u64,
    interval: Duration,
}

impl Progress {
    /// A reporter; JSON progress lines come every `json_interval`.
    pub fn new(mode: ProgressMode, json_interval: Duration) -> Progress {
        let now = Instant::now();
        Progress {
            mode,
            started: now,
            totals: Totals::default(),
            last_tick: now,
            records_at_last_tick: 0,
            interval: match mode {
                ProgressMode::Line => Duration::from_millis(500),
                ProgressMode::Json => json_interval,
            },
        }
    }

    pub fn totals(&self) -> &Totals {
        &self.totals
    }

    fn emit(&self, line: serde_json::Value) {
        let mut out = std::io::stdout().lock();
        // A closed pipe must not stop the consumer: progress is only for people.
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    /// One invocation ended; `ok` when its records (or some of them) were committed.
    pub fn invocation(
        &mut self,
        ranges: &[PartitionRange],
        ok: bool,
        files: usize,
        elapsed: Duration,
        error: Option<&str>,
    ) {
        self.totals.invocations += 1;
        let records: usize = ranges.iter().map(|r| r.records).sum();
        if ok {
            self.totals.files += files as u64;
        } else {
            self.totals.failed_invocations += 1;
        }
        if self.mode == ProgressMode::Json {
            let partitions: BTreeMap<String, serde_json::Value> = ranges
                .iter()
                .map(|r| {
                    (
                        format!("{}-{}", r.topic, r.partition),
                        json!({"first": r.first, "last": r.last, "records": r.records}),
                    )
                })
                .collect();
            let mut line = json!({
                "event": "invocation",
                "ok": ok,
                "records": records,
                "files": files,
                "ms": elapsed.as_millis() as u64,
                "partitions": partitions,
            });
            if let (Some(e), Some(obj)) = (error, line.as_object_mut()) {
                obj.insert("error".into(), e.into());
            }
            self.emit(line);
        }
    }

    /// Records were committed.
    pub fn committed(&mut self, records: usize) {
        self.totals.records += records as u64;
    }

    /// Records were given up after their retries.
    pub fn discarded(&mut self, range: &PartitionRange, attempts: u32, error: &str) {
        self.totals.discarded_records += range.records as u64;
        if self.mode == ProgressMode::Json {
            self.emit(json!({
                "event": "discarded",
                "topic": range.topic,
                "partition": range.partition,
                "first": range.first,
                "last": range.last,
                "attempts": attempts,
                "error": error,
            }));
        }
    }

    /// Shows the rate and lag, at most once per interval.
    pub fn tick(&mut self, lag: &BTreeMap<String, i64>) {
        let now = Instant::now();
        let since = now.duration_since(self.last_tick);
        if since < self.interval {
            return;
        }
        let rate = (self.totals.records - self.records_at_last_tick) as f64 / since.as_secs_f64();
        self.last_tick = now;
        self.records_at_last_tick = self.totals.records;
        match self.mode {
            ProgressMode::Json => self.emit(json!({
                "event": "progress",
                "records_per_s": rate.round() as u64,
                "records": self.totals.records,
                "files": self.totals.files,
                "invocations": self.totals.invocations,
                "failed_invocations": self.totals.failed_invocations,
                "lag": lag,
            })),
            ProgressMode::Line => {
                let lag_text: Vec<String> = lag.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                let mut err = std::io::stderr().lock();
                let _ = write!(
                    err,
                    "\r\x1b[2K{} records ({:.0}/s), {} files, {} invocations ({} failed), lag {}",
                    self.totals.records,
                    rate,
                    self.totals.files,
                    self.totals.invocations,
                    self.totals.failed_invocations,
                    if lag_text.is_empty() {
                        "-".to_owned()
                    } else {
                        lag_text.join(" ")
                    }
                );
                let _ = err.flush();
            }
        }
    }

    /// The run ended: the final line, in both modes on standard output.
    pub fn done(&self, reason: &str) {
        if self.mode == ProgressMode::Line {
            let _ = writeln!(std::io::stderr());
        }
        let mut line = serde_json::to_value(&self.totals).unwrap_or_default();
        if let Some(obj) = line.as_object_mut() {
            obj.insert("event".into(), "done".into());
            obj.insert("reason".into(), reason.into());
            obj.insert(
                "seconds".into(),
                json!((self.started.elapsed().as_secs_f64() * 10.0).round() / 10.0),
            );
        }
        self.emit(line);
    }
}

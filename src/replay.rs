//! `kafka-s3-sink replay`: Lambda Kafka events read from files, directories or standard input
//! and run, in order, through the same handler Lambda runs, one invocation per event.
//!
//! Inputs are expanded before anything runs: a file is one event, a directory is its `*.json`
//! files in name order (not recursive), and `-` is standard input holding one or more events
//! one after another (whitespace between them, e.g. JSON lines). One JSON summary line per
//! invocation goes to the writer given (stdout); a progress bar may go to stderr.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

use crate::event::{DecodeError, DecodedEvent, KafkaEvent, parse_event_value, read_event_json};
use crate::handler::{Invocation, InvocationSummary, Sink, SinkError};

/// The argument that names standard input.
pub const STDIN_ARG: &str = "-";

/// One input as given on the command line, after directories were expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventInput {
    /// An event file.
    File(PathBuf),
    /// Standard input: a stream of events.
    Stdin,
}

impl fmt::Display for EventInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventInput::File(path) => write!(f, "{}", path.display()),
            EventInput::Stdin => f.write_str(STDIN_ARG),
        }
    }
}

/// Why a replay stopped. Each names the event it was at, and holds the cause in its message
/// (not as a `source`), so the binary's `{:#}` prints it once.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("cannot read event file {}: {error}", path.display())]
    Read { path: PathBuf, error: io::Error },
    #[error("cannot list event directory {}: {error}", path.display())]
    ListDir { path: PathBuf, error: io::Error },
    #[error("event directory {} holds no .json files", path.display())]
    EmptyDir { path: PathBuf },
    #[error("`-` (standard input) may be given only once")]
    StdinTwice,
    #[error("cannot read events from standard input: {0}")]
    Stdin(io::Error),
    #[error("event file {label}: {error}")]
    Event { label: String, error: DecodeError },
    #[error("event file {label} ({}): {error}", if *retryable {
        "retryable: the mapping would retry this batch"
    } else {
        "not retryable"
    })]
    Handler {
        label: String,
        retryable: bool,
        // Boxed: the handler's error is large and this is the cold path.
        error: Box<SinkError>,
    },
    #[error("cannot write the summary: {0}")]
    Output(io::Error),
}

/// How a replay that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every event ran.
    Done,
    /// The reader of the summaries went away (`replay ... | head`): replay stopped after the
    /// invocation whose summary could not be written, as a command-line tool stops on a
    /// closed pipe, without an error.
    OutputClosed,
}

/// Expands the command line's inputs: directories into their `*.json` files (sorted by file
/// name, hidden files left out), `-` into standard input.
pub fn expand_inputs(args: &[PathBuf]) -> Result<Vec<EventInput>, ReplayError> {
    let mut inputs = Vec::new();
    let mut stdin_seen = false;
    for arg in args {
        if arg.as_os_str() == STDIN_ARG {
            if stdin_seen {
                return Err(ReplayError::StdinTwice);
            }
            stdin_seen = true;
            inputs.push(EventInput::Stdin);
        } else if arg.is_dir() {
            let files = event_files_in(arg)?;
            if files.is_empty() {
                return Err(ReplayError::EmptyDir { path: arg.clone() });
            }
            inputs.extend(files.into_iter().map(EventInput::File));
        } else {
            inputs.push(EventInput::File(arg.clone()));
        }
    }
    Ok(inputs)
}

fn event_files_in(dir: &Path) -> Result<Vec<PathBuf>, ReplayError> {
    let list_err = |error| ReplayError::ListDir {
        path: dir.to_path_buf(),
        error,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(list_err)? {
        let entry = entry.map_err(list_err)?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || !name.ends_with(".json") {
            continue;
        }
        // Follows symlinks: a directory of links to event files is a directory of events.
        if entry.path().is_file() {
            files.push(entry.path());
        }
    }
    // Name order, so `batch-0001.json`, `batch-0002.json`, ... run as they were cut.
    files.sort();
    Ok(files)
}

/// Progress of a replay, for people: a bar on stderr, or nothing.
pub struct Progress {
    bar: Option<ProgressBar>,
    files_total: usize,
    files_done: usize,
    records: usize,
    bytes_written: usize,
}

impl Progress {
    /// No progress output at all (stdout is not a terminal, or `--progress never`).
    pub fn hidden() -> Progress {
        Progress {
            bar: None,
            files_total: 0,
            files_done: 0,
            records: 0,
            bytes_written: 0,
        }
    }

    /// A bar on stderr over the inputs' bytes: event files read, records, input MB/s and the
    /// time left. Over standard input, whose length is unknown, a spinner without ETA.
    pub fn bar(inputs: &[EventInput]) -> Progress {
        let mut total = Some(0u64);
        for input in inputs {
            total = match (total, input) {
                (Some(t), EventInput::File(p)) => std::fs::metadata(p).ok().map(|m| t + m.len()),
                _ => None,
            };
        }
        let (bar, template) = match total {
            Some(len) => (
                ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr()),
                "{elapsed_precise} [{wide_bar}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
            ),
            None => (
                ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
                "{spinner} {elapsed_precise} {binary_bytes} {binary_bytes_per_sec} {msg}",
            ),
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        let progress = Progress {
            bar: Some(bar),
            files_total: inputs.len(),
            ..Progress::hidden()
        };
        progress.update_message();
        progress
    }

    fn read(&self, bytes: usize) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes as u64);
        }
    }

    fn invocation(&mut self, summary: &InvocationSummary, file_done: bool) {
        self.records += summary.records_in;
        self.bytes_written += summary.bytes_written;
        if file_done {
            self.files_done += 1;
        }
        self.update_message();
    }

    fn file_done(&mut self) {
        self.files_done += 1;
        self.update_message();
    }

    fn update_message(&self) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "{}/{} inputs, {} records, {} written",
                self.files_done,
                self.files_total,
                self.records,
                indicatif::BinaryBytes(self.bytes_written as u64)
            ));
        }
    }

    /// Runs `print` with the bar cleared, so a summary line never lands inside the bar.
    fn suspend<R>(&self, print: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Runs every input, in order, through `sink`, writing one JSON summary line per invocation
/// to `out` (the summary plus `"event"`: the file's path, or `-#N` for the N-th event of
/// standard input). `now_ms` gives the invocation time of each event.
pub async fn run(
    sink: &Sink,
    inputs: &[EventInput],
    out: &mut dyn Write,
    progress: &mut Progress,
    now_ms: impl Fn() -> i64,
) -> Result<Outcome, ReplayError> {
    let result = run_inputs(sink, inputs, out, progress, &now_ms).await;
    progress.finish();
    result
}

async fn run_inputs(
    sink: &Sink,
    inputs: &[EventInput],
    out: &mut dyn Write,
    progress: &mut Progress,
    now_ms: &dyn Fn() -> i64,
) -> Result<Outcome, ReplayError> {
    for input in inputs {
        match input {
            EventInput::File(path) => {
                let label = path.display().to_string();
                let bytes = std::fs::read(path).map_err(|error| ReplayError::Read {
                    path: path.clone(),
                    error,
                })?;
                // Read straight into decoded records, as the Lambda runtime reads its body.
                let event = read_event_json(&bytes).map_err(|error| ReplayError::Event {
                    label: label.clone(),
                    error,
                })?;
                progress.read(bytes.len());
                // The text is not needed once read, as in Lambda, where the runtime drops
                // the body.
                drop(bytes);
                let summary = invoke(sink, event, &label, now_ms()).await?;
                progress.invocation(&summary, true);
                if write_summary(out, progress, &summary, &label)? == Outcome::OutputClosed {
                    return Ok(Outcome::OutputClosed);
                }
            }
            EventInput::Stdin => {
                let stdin = io::stdin().lock();
                if run_stream(sink, stdin, out, progress, now_ms).await? == Outcome::OutputClosed {
                    return Ok(Outcome::OutputClosed);
                }
                progress.file_done();
            }
        }
    }
    Ok(Outcome::Done)
}

/// Events one after another on a reader, each run as it is read, so a long stream needs no
/// more memory than its largest event.
pub async fn run_stream(
    sink: &Sink,
    reader: impl BufRead,
    out: &mut dyn Write,
    progress: &mut Progress,
    now_ms: &dyn Fn() -> i64,
) -> Result<Outcome, ReplayError> {
    let count = Cell::new(0usize);
    let counted = CountingReader {
        inner: reader,
        count: &count,
    };
    // One deserializer for the whole stream: it looks one byte past each event, and a new
    // deserializer per event would lose that byte.
    let mut values = serde_json::Deserializer::from_reader(counted).into_iter::<Value>();
    let mut index = 0usize;
    loop {
        let before = count.get();
        let value = match values.next() {
            None => break,
            Some(Ok(value)) => value,
            Some(Err(e)) if e.is_io() => return Err(ReplayError::Stdin(io::Error::other(e))),
            Some(Err(e)) => {
                return Err(ReplayError::Event {
                    label: format!("{STDIN_ARG}#{}", index + 1),
                    error: DecodeError::Malformed(e.to_string()),
                });
            }
        };
        index += 1;
        let label = format!("{STDIN_ARG}#{index}");
        progress.read(count.get() - before);
        // Decoded, and the text of its keys and values dropped, before it runs.
        let event = parse_event_value(value)
            .map(|event: KafkaEvent| DecodedEvent::from_event(&event))
            .map_err(|error| ReplayError::Event {
                label: label.clone(),
                error,
            })?;
        let summary = invoke(sink, event, &label, now_ms()).await?;
        progress.invocation(&summary, false);
        if write_summary(out, progress, &summary, &label)? == Outcome::OutputClosed {
            return Ok(Outcome::OutputClosed);
        }
    }
    Ok(Outcome::Done)
}

async fn invoke(
    sink: &Sink,
    event: DecodedEvent,
    label: &str,
    now_ms: i64,
) -> Result<InvocationSummary, ReplayError> {
    let invocation = Invocation {
        now_ms,
        deadline: None,
    };
    sink.run_decoded(event, invocation)
        .await
        .map_err(|error| ReplayError::Handler {
            label: label.to_owned(),
            retryable: error.is_retryable(),
            error: Box::new(error),
        })
}

fn write_summary(
    out: &mut dyn Write,
    progress: &Progress,
    summary: &InvocationSummary,
    label: &str,
) -> Result<Outcome, ReplayError> {
    let mut line = serde_json::to_value(summary).unwrap_or(Value::Null);
    if let Some(obj) = line.as_object_mut() {
        obj.insert("event".to_owned(), label.into());
    }
    let written = progress.suspend(|| {
        writeln!(out, "{line}")?;
        out.flush()
    });
    match written {
        Ok(()) => Ok(Outcome::Done),
        // Rust ignores SIGPIPE, so a closed pipe shows up here as an error, not a signal.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Outcome::OutputClosed),
        Err(e) => Err(ReplayError::Output(e)),
    }
}

/// Counts the bytes read, for the progress bar's MB/s over standard input.
struct CountingReader<'a, R> {
    inner: R,
    count: &'a Cell<usize>,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_expand_directories_in_name_order_and_take_stdin_once() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.json", "a.json", "c.txt", ".hidden.json"] {
            std::fs::write(dir.path().join(name), "{}").unwrap();
        }
        // A directory named like an event file is not one.
        std::fs::create_dir(dir.path().join("d.json")).unwrap();
        let single = PathBuf::from("events/orders-msk.json");
        let inputs =
            expand_inputs(&[single.clone(), dir.path().to_path_buf(), PathBuf::from("-")]).unwrap();
        assert_eq!(
            inputs,
            [
                EventInput::File(single),
                EventInput::File(dir.path().join("a.json")),
                EventInput::File(dir.path().join("b.json")),
                EventInput::Stdin,
            ]
        );
        assert_eq!(EventInput::Stdin.to_string(), "-");
        assert!(matches!(
            expand_inputs(&[PathBuf::from("-"), PathBuf::from("-")]),
            Err(ReplayError::StdinTwice)
        ));
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            expand_inputs(&[empty.path().to_path_buf()]),
            Err(ReplayError::EmptyDir { .. })
        ));
    }
}

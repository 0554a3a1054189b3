//! The `kafka-s3-sink` binary: a Lambda function when `AWS_LAMBDA_RUNTIME_API` is set, a CLI
//! otherwise. It only wires; everything else lives in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use kafka_s3_sink::config::{self, Config, StorageTarget};
use kafka_s3_sink::event::DecodedEvent;
use kafka_s3_sink::handler::Invocation;
use kafka_s3_sink::storage::{LocalStore, ObjectStore, S3Store};
use kafka_s3_sink::{Sink, metrics, replay};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

// The help texts share these paragraphs; macros because `concat!` takes only literals.
macro_rules! exit_codes {
    () => {
        "Exit codes:
  0  success, also when the reader of standard output closed it early (`| head`)
  1  invalid configuration, an unreadable or invalid event, or a failed invocation
  2  invalid command line"
    };
}

macro_rules! where_keys {
    () => {
        "Configuration: --config FILE (a Kafka Connect JSON document, comments allowed, or a
.properties file), then S3_SINK_CONFIG (a document inline), S3_SINK_CONFIG_FILE (a path) and
S3_SINK_<KEY> variables (S3_SINK_FLUSH_SIZE sets flush.size), later overriding earlier.
Every key, its default and meaning: `kafka-s3-sink keys` (also the README's table)."
    };
}

const TOP_HELP: &str = concat!(
    "Examples, from a clone of the repository:
  kafka-s3-sink check --config examples/configs/orders-timebased.json
  kafka-s3-sink replay --config examples/configs/orders-timebased.json --local-dir ./out events/orders-msk.json
  kafka-s3-sink keys

",
    exit_codes!(),
    "\n\n",
    where_keys!()
);

const REPLAY_HELP: &str = concat!(
    "Examples, from a clone of the repository:
  kafka-s3-sink replay --config examples/configs/orders-timebased.json --local-dir ./out events/orders-msk.json
  kafka-s3-sink replay --config examples/configs/orders-timebased.json --local-dir ./out backfill/
  cat events/orders-msk.json | kafka-s3-sink replay --config examples/configs/orders-timebased.json --local-dir ./out -

",
    exit_codes!(),
    "\n\n",
    where_keys!()
);

const CHECK_HELP: &str = concat!(
    "Examples, from a clone of the repository:
  kafka-s3-sink check --config examples/configs/orders-timebased.json
  kafka-s3-sink check --config examples/configs/orders-timebased.json --format properties > effective.properties

The effective configuration goes to standard output, in the form of --config (or --format);
the report (ignored keys, secrets left out, warnings) to standard error.

Exit codes:
  0  the configuration is valid
  1  it is not: every bad key is listed on stderr
  2  invalid command line

",
    where_keys!()
);

const KEYS_HELP: &str = "Examples:
  kafka-s3-sink keys
  kafka-s3-sink keys --json > cdk/lib/keys.json

Exit codes:
  0  success, also when the reader of standard output closed it early (`| head`)
  2  invalid command line";

#[cfg(feature = "consume")]
const CONSUME_HELP: &str = concat!(
    "Example:
  kafka-s3-sink consume --bootstrap-servers 127.0.0.1:9092 --topic orders --group kafka-s3-sink \\
    --config examples/configs/orders-timebased.json --local-dir ./out --until-idle 5s

",
    exit_codes!(),
    "\n\n",
    where_keys!()
);

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay`: its place in the `mi_option_e` enum of mimalloc 3's
/// `mimalloc.h`, which `libmimalloc-sys` builds by default (its bindings predate the name).
/// `purge_delay_option_is_the_one_set` checks it against the option's documented default.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long, in milliseconds, memory the sink has freed stays resident before mimalloc
/// returns it to the kernel. mimalloc 3's default is 1,000 ms: longer than a whole
/// invocation, so memory freed in one phase of it (the event text once it is decoded, a
/// partition batch's buffers once uploaded, a helper thread's heap) stayed resident beside
/// what the next phase took fresh, and a warm process kept about twice what one invocation
/// needs. 10 ms returns it within the invocation; see docs/benchmarks.md for the peak
/// resident set and the time at 0, 10 and 1,000 ms. `MIMALLOC_PURGE_DELAY` in the
/// environment still decides when it is set.
const PURGE_DELAY_MS: std::ffi::c_long = 10;

fn set_allocator_options() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: mi_option_set is mimalloc's documented way to change an option at run
        // time; it is called before any thread other than this one exists.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    }
}

#[derive(Parser)]
#[command(
    name = "kafka-s3-sink",
    version,
    about = "Kafka → S3 in Confluent's layout, as an AWS Lambda function",
    long_about = "Kafka → S3 in Confluent's layout, as an AWS Lambda function. With \
        AWS_LAMBDA_RUNTIME_API set (in Lambda) the binary serves the function; otherwise it is \
        this command line.",
    after_help = TOP_HELP,
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// When `replay` draws its progress bar (on stderr).
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ProgressWhen {
    /// When standard output and standard error are both terminals.
    Auto,
    /// Whenever standard error is a terminal, e.g. with the summaries redirected to a file.
    Always,
    /// Never.
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Runs Lambda Kafka events, in order, each as one invocation of the handler, and prints one
    /// JSON summary line per invocation.
    #[command(after_help = REPLAY_HELP)]
    Replay {
        /// Connector config (JSON, with comments allowed, or .properties).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Directory used as the bucket; without it objects go to the configured store
        /// (`storage.class`: S3, or `local.dir`), as in Lambda.
        #[arg(long)]
        local_dir: Option<PathBuf>,
        /// Progress bar on stderr: files, records, MB/s, time left.
        #[arg(long, value_enum, default_value_t = ProgressWhen::Auto)]
        progress: ProgressWhen,
        /// Lambda Kafka events (MSK or self-managed): files; directories, whose `*.json` files
        /// run in name order; `-` for standard input, one or more events one after another.
        #[arg(required = true, value_name = "EVENTS")]
        events: Vec<PathBuf>,
    },
    /// Reads Kafka like Lambda's Kafka event-source mapping: gathers records into the
    /// mapping's events, runs the handler (or a function behind the Lambda Invoke API) and
    /// commits the consumer group's offsets after each successful invocation.
    #[cfg(feature = "consume")]
    #[command(after_help = CONSUME_HELP)]
    Consume {
        /// Connector config for the handler run in this process (as replay's).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Directory used as the bucket (as replay's).
        #[arg(long)]
        local_dir: Option<PathBuf>,
        // Boxed: the options are much larger than the other commands'.
        #[command(flatten)]
        args: Box<kafka_s3_sink::consume::ConsumeArgs>,
    },
    /// Prints every configuration key as a Markdown table: default, meaning, Confluent difference.
    #[command(after_help = KEYS_HELP)]
    Keys {
        /// Print the table as JSON (for deploy-time validation, e.g. the CDK construct).
        #[arg(long)]
        json: bool,
    },
    /// Validates the configuration and prints the effective configuration (defaults included)
    /// as a connector config that can be pasted back; the report (ignored keys, warnings)
    /// goes to stderr.
    #[command(after_help = CHECK_HELP)]
    Check {
        /// Connector config (JSON, with comments allowed, or .properties).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print the effective configuration as JSON or as .properties; by default in the
        /// form of --config, JSON without it.
        #[arg(long, value_enum)]
        format: Option<DocumentFormat>,
    },
}

/// The two forms a connector config comes in.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DocumentFormat {
    Json,
    Properties,
}

/// Writes `text` to stdout; a reader that closed the pipe early (`| head`) is not an error.
fn print_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn env_pairs() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
}

async fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    Ok(config::load_resolved(path, &env_pairs()).await?)
}

fn report_config(config: &Config) {
    if !config.ignored.is_empty() {
        let names: Vec<&str> = config.ignored.iter().map(|(k, _)| k.as_str()).collect();
        tracing::info!("ignored keys (no meaning in Lambda): {}", names.join(", "));
    }
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
}

/// The store the configuration names, or `local_dir` when given.
async fn build_store(
    config: &Config,
    local_dir: Option<PathBuf>,
) -> anyhow::Result<Arc<dyn ObjectStore>> {
    if let Some(dir) = local_dir {
        return Ok(Arc::new(LocalStore::new(dir)));
    }
    match &config.storage {
        StorageTarget::Local(dir) => Ok(Arc::new(LocalStore::new(dir.clone()))),
        StorageTarget::S3 => {
            if config.s3.bucket.is_empty() {
                anyhow::bail!("s3.bucket.name is required to write to S3 (or pass --local-dir)");
            }
            Ok(Arc::new(S3Store::connect(config.s3.clone()).await))
        }
    }
}

async fn replay(
    config: Option<PathBuf>,
    local_dir: Option<PathBuf>,
    progress: ProgressWhen,
    events: Vec<PathBuf>,
) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    // Inputs first: a typo in a path fails before the store is built.
    let inputs = replay::expand_inputs(&events)?;
    let config = Arc::new(load_config(config.as_deref()).await?);
    report_config(&config);
    let store = build_store(&config, local_dir).await?;
    let sink = Sink::new(config, store);
    let show_bar = match progress {
        ProgressWhen::Auto => std::io::stdout().is_terminal() && std::io::stderr().is_terminal(),
        ProgressWhen::Always => std::io::stderr().is_terminal(),
        ProgressWhen::Never => false,
    };
    let mut progress = if show_bar {
        replay::Progress::bar(&inputs)
    } else {
        replay::Progress::hidden()
    };
    let mut stdout = std::io::stdout().lock();
    replay::run(&sink, &inputs, &mut stdout, &mut progress, || {
        chrono::Utc::now().timestamp_millis()
    })
    .await?;
    Ok(())
}

#[cfg(feature = "consume")]
async fn consume(
    config: Option<PathBuf>,
    local_dir: Option<PathBuf>,
    args: Box<kafka_s3_sink::consume::ConsumeArgs>,
) -> anyhow::Result<()> {
    use kafka_s3_sink::consume::{self, Invoker, ProgressMode};
    use std::io::IsTerminal;
    let settings = args.validate(&env_pairs())?;
    let invoker = match (&args.invoke_url, &args.function_name) {
        (None, None) => {
            let config = Arc::new(load_config(config.as_deref()).await?);
            report_config(&config);
            let store = build_store(&config, local_dir).await?;
            Invoker::InProcess(Arc::new(Sink::new(config, store)))
        }
        (url, function) => {
            if config.is_some() || local_dir.is_some() {
                anyhow::bail!(
                    "--config and --local-dir configure the handler in this process; with --invoke-url or --function-name the function has its own"
                );
            }
            let function = function
                .clone()
                .unwrap_or_else(|| "kafka-s3-sink".to_owned());
            Invoker::lambda(url.as_deref(), function).await
        }
    };
    let mode = if std::io::stderr().is_terminal() {
        ProgressMode::Line
    } else {
        ProgressMode::Json
    };
    consume::run(settings, invoker, mode).await?;
    Ok(())
}

async fn check(path: Option<PathBuf>, format: Option<DocumentFormat>) -> anyhow::Result<()> {
    use kafka_s3_sink::raw_config::source::{DocumentKind, document_kind, render_document};
    let config = load_config(path.as_deref()).await?;
    // By default the form --config came in; the loader has read the file already.
    let kind = match format {
        Some(DocumentFormat::Json) => DocumentKind::Json,
        Some(DocumentFormat::Properties) => DocumentKind::Properties,
        None => path
            .as_deref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|text| document_kind(&text))
            .unwrap_or(DocumentKind::Json),
    };
    // The report goes to stderr so that stdout is the document alone, ready to be pasted back.
    let mut report = String::from("configuration is valid\n");
    let transforms = config.transforms.describe();
    if !transforms.is_empty() {
        report.push_str("transforms, in order:\n");
        for t in &transforms {
            report.push_str(&format!("  {t}\n"));
        }
    }
    if !config.ignored.is_empty() {
        report.push_str("ignored keys (no meaning in Lambda; kept in the document):\n");
        for (k, why) in &config.ignored {
            report.push_str(&format!("  {k}: {why}\n"));
        }
    }
    let resolved: Vec<String> = config
        .effective
        .iter()
        .filter(|(_, shown)| shown.starts_with("[resolved from "))
        .map(|(k, shown)| format!("  {k}: {shown}\n"))
        .collect();
    if !resolved.is_empty() {
        report.push_str("resolved by config providers (the document keeps the placeholders):\n");
        report.push_str(&resolved.concat());
    }
    if !config.withheld.is_empty() {
        report.push_str(&format!(
            "left out of the document, secrets given in plain text: {}\n",
            config.withheld.join(", ")
        ));
    }
    if config.warnings.is_empty() {
        report.push_str("warnings: none\n");
    } else {
        report.push_str("warnings:\n");
        for w in &config.warnings {
            report.push_str(&format!("  - {w}\n"));
        }
    }
    eprint!("{report}");
    print_stdout(&render_document(&config.document, kind))
}

/// Milliseconds left in the invocation. Lambda sends the deadline as epoch milliseconds; some
/// local emulators (cargo lambda) send the timeout itself (e.g. 600000), which is read as a
/// duration from now rather than as a deadline in 1970.
fn remaining_ms(deadline: u64, now_ms: i64) -> u64 {
    const YEAR_2001_MS: u64 = 978_307_200_000;
    if deadline < YEAR_2001_MS {
        deadline
    } else {
        (deadline as i64).saturating_sub(now_ms).max(0) as u64
    }
}

async fn serve_lambda() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    // Cold start: configuration validated and the client built once, or the function fails
    // to initialise with the reason in its logs.
    let config = match config::load_resolved(None, &env_pairs()).await {
        Ok(c) => Arc::new(c),
        Err(e) => {
            tracing::error!("{e}");
            return Err(e.into());
        }
    };
    report_config(&config);
    let store = build_store(&config, None).await.map_err(|e| {
        tracing::error!("{e:#}");
        lambda_runtime::Error::from(e.to_string())
    })?;
    let function =
        std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "kafka-s3-sink".to_owned());
    let partial = config.partial_batch_response;
    let sink = Arc::new(Sink::new(config, store));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<DecodedEvent>| {
        let sink = sink.clone();
        let function = function.clone();
        async move {
            let now = chrono::Utc::now().timestamp_millis();
            let remaining = remaining_ms(event.context.deadline, now);
            tracing::debug!(
                deadline_ms = event.context.deadline,
                now_ms = now,
                remaining_ms = remaining,
                "invocation started"
            );
            let invocation = Invocation {
                now_ms: now,
                deadline: Some(Instant::now() + Duration::from_millis(remaining)),
            };
            // The runtime reads the payload straight into decoded records; `run_decoded`
            // rejects an event whose source is not Kafka.
            match sink.run_decoded(event.payload, invocation).await {
                Ok(summary) => {
                    println!("{}", metrics::emf_line(&summary, &function, now));
                    tracing::info!(
                        records_in = summary.records_in,
                        records_written = summary.records_written,
                        dropped_by_rule = summary.dropped_by_rule,
                        errored = summary.errored,
                        records_retried = summary.records_retried,
                        files = summary.files.len(),
                        bytes = summary.bytes_written,
                        failed_partitions = summary.failed_partitions.len(),
                        "invocation done"
                    );
                    for f in &summary.failed_partitions {
                        tracing::error!(
                            topic = %f.topic,
                            partition = f.partition,
                            first_offset = f.first_offset,
                            "partition failed, to be retried: {}",
                            f.error
                        );
                    }
                    Ok::<Value, lambda_runtime::Error>(summary.lambda_response(partial))
                }
                Err(e) => {
                    tracing::error!(retryable = e.is_retryable(), "invocation failed: {e}");
                    Err(e.into())
                }
            }
        }
    }))
    .await
}

fn main() -> ExitCode {
    set_allocator_options();
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        let rt = match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                eprintln!("error: cannot start the async runtime: {e}");
                return ExitCode::FAILURE;
            }
        };
        return match rt.block_on(serve_lambda()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Replay {
            config,
            local_dir,
            progress,
            events,
        } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|rt| rt.block_on(replay(config, local_dir, progress, events))),
        #[cfg(feature = "consume")]
        Command::Consume {
            config,
            local_dir,
            args,
        } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|rt| rt.block_on(consume(config, local_dir, args))),
        Command::Check { config, format } => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|rt| rt.block_on(check(config, format))),
        Command::Keys { json: false } => print_stdout(&config::keys::markdown_table()),
        Command::Keys { json: true } => {
            print_stdout(&format!("{:#}\n", config::keys::json_description()))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    /// The option set is mimalloc's `purge_delay`: the only option whose documented default
    /// (in mimalloc 3's `options.c`) is 1,000 ms.
    #[test]
    fn purge_delay_option_is_the_one_set() {
        // SAFETY: reading an option has no precondition.
        let get = || unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        match std::env::var_os("MIMALLOC_PURGE_DELAY") {
            None => {
                assert_eq!(get(), 1000);
                super::set_allocator_options();
                assert_eq!(get(), super::PURGE_DELAY_MS);
            }
            // The environment decides: the option reads it, and the sink leaves it.
            Some(set) => {
                let set: std::ffi::c_long = set.to_str().unwrap().parse().unwrap();
                super::set_allocator_options();
                assert_eq!(get(), set);
            }
        }
    }

    #[test]
    fn deadline_as_epoch_or_as_duration() {
        let now = 1_795_219_206_852;
        assert_eq!(super::remaining_ms(now as u64 + 30_000, now), 30_000);
        assert_eq!(super::remaining_ms(now as u64 - 5, now), 0);
        assert_eq!(super::remaining_ms(600_000, now), 600_000);
    }
}

//! The `kafka-s3-sink` binary: a Lambda function when `AWS_LAMBDA_RUNTIME_API` is set, a CLI
//! otherwise. It only wires; everything else lives in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use kafka_s3_sink::config::{self, Config, StorageTarget};
use kafka_s3_sink::event::{KafkaEvent, parse_event_json};
use kafka_s3_sink::handler::Invocation;
use kafka_s3_sink::storage::{LocalStore, ObjectStore, S3Store};
use kafka_s3_sink::{Sink, metrics};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "kafka-s3-sink",
    version,
    about = "Kafka → S3 in Confluent's layout, as an AWS Lambda function"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs each event file, in order, as one invocation of the handler, and prints one JSON
    /// summary line per invocation.
    Replay {
        /// Connector config (JSON, with comments allowed, or .properties).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Directory used as the bucket; without it objects go to the configured store
        /// (`storage.class`: S3, or `local.dir`), as in Lambda.
        #[arg(long)]
        local_dir: Option<PathBuf>,
        /// Lambda Kafka event files (MSK or self-managed).
        #[arg(required = true)]
        events: Vec<PathBuf>,
    },
    /// Reads Kafka like Lambda's Kafka event-source mapping: gathers records into the
    /// mapping's events, runs the handler (or a function behind the Lambda Invoke API) and
    /// commits the consumer group's offsets after each successful invocation.
    #[cfg(feature = "consume")]
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
    Keys {
        /// Print the table as JSON (for deploy-time validation, e.g. the CDK construct).
        #[arg(long)]
        json: bool,
    },
    /// Validates the configuration and prints the effective settings and every warning.
    Check {
        /// Connector config (JSON, with comments allowed, or .properties).
        #[arg(long)]
        config: Option<PathBuf>,
    },
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
    events: Vec<PathBuf>,
) -> anyhow::Result<()> {
    let config = Arc::new(load_config(config.as_deref()).await?);
    report_config(&config);
    let store = build_store(&config, local_dir).await?;
    let sink = Sink::new(config, store);
    for path in events {
        let bytes = std::fs::read(&path)
            .with_context(|| format!("cannot read event file {}", path.display()))?;
        let event =
            parse_event_json(&bytes).with_context(|| format!("event file {}", path.display()))?;
        // The text is not needed once parsed, as in Lambda, where the runtime drops the body.
        drop(bytes);
        let now = chrono::Utc::now().timestamp_millis();
        let summary = sink.handle(&event, now).await.map_err(|e| {
            // As in Lambda, say whether the mapping would retry the batch.
            let what = if e.is_retryable() {
                "retryable: the mapping would retry this batch"
            } else {
                "not retryable"
            };
            anyhow::Error::new(e).context(format!("event file {} ({what})", path.display()))
        })?;
        let mut line = serde_json::to_value(&summary)?;
        if let Some(obj) = line.as_object_mut() {
            obj.insert("event".to_owned(), path.display().to_string().into());
        }
        println!("{line}");
    }
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

async fn check(config: Option<PathBuf>) -> anyhow::Result<()> {
    let config = load_config(config.as_deref()).await?;
    println!("configuration is valid");
    println!("effective settings:");
    for (k, v) in &config.effective {
        println!("  {k} = {v}");
    }
    let transforms = config.transforms.describe();
    if !transforms.is_empty() {
        println!("transforms, in order:");
        for t in &transforms {
            println!("  {t}");
        }
    }
    if !config.ignored.is_empty() {
        println!("ignored keys (no meaning in Lambda):");
        for (k, why) in &config.ignored {
            println!("  {k}: {why}");
        }
    }
    if config.warnings.is_empty() {
        println!("warnings: none");
    } else {
        println!("warnings:");
        for w in &config.warnings {
            println!("  - {w}");
        }
    }
    Ok(())
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
    lambda_runtime::run(service_fn(move |event: LambdaEvent<KafkaEvent>| {
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
            // The runtime reads the payload straight into the event type; `run` rejects an
            // event whose source is not Kafka.
            match sink.run(&event.payload, invocation).await {
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
            events,
        } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|rt| rt.block_on(replay(config, local_dir, events))),
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
        Command::Check { config } => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|rt| rt.block_on(check(config))),
        Command::Keys { json: false } => {
            print!("{}", config::keys::markdown_table());
            Ok(())
        }
        Command::Keys { json: true } => {
            println!("{:#}", config::keys::json_description());
            Ok(())
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
    #[test]
    fn deadline_as_epoch_or_as_duration() {
        let now = 1_795_219_206_852;
        assert_eq!(super::remaining_ms(now as u64 + 30_000, now), 30_000);
        assert_eq!(super::remaining_ms(now as u64 - 5, now), 0);
        assert_eq!(super::remaining_ms(600_000, now), 600_000);
    }
}

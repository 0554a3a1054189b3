//! The `kafka-s3-sink` binary: a Lambda function when `AWS_LAMBDA_RUNTIME_API` is set, a CLI
//! otherwise. It only wires; everything else lives in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use kafka_s3_sink::Sink;
use kafka_s3_sink::config::{self, Config};
use kafka_s3_sink::event::parse_event_json;
use kafka_s3_sink::storage::{LocalStore, ObjectStore};

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
        /// Directory used as the bucket.
        #[arg(long)]
        local_dir: PathBuf,
        /// Lambda Kafka event files (MSK or self-managed).
        #[arg(required = true)]
        events: Vec<PathBuf>,
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

fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    Ok(config::load(path, &env_pairs())?)
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

async fn replay(
    config: Option<PathBuf>,
    local_dir: PathBuf,
    events: Vec<PathBuf>,
) -> anyhow::Result<()> {
    let config = Arc::new(load_config(config.as_deref())?);
    report_config(&config);
    let store: Arc<dyn ObjectStore> = Arc::new(LocalStore::new(local_dir));
    let sink = Sink::new(config, store);
    for path in events {
        let bytes = std::fs::read(&path)
            .with_context(|| format!("cannot read event file {}", path.display()))?;
        let event =
            parse_event_json(&bytes).with_context(|| format!("event file {}", path.display()))?;
        let now = chrono::Utc::now().timestamp_millis();
        let summary = sink
            .handle(&event, now)
            .await
            .with_context(|| format!("event file {}", path.display()))?;
        let mut line = serde_json::to_value(&summary)?;
        if let Some(obj) = line.as_object_mut() {
            obj.insert("event".to_owned(), path.display().to_string().into());
        }
        println!("{line}");
    }
    Ok(())
}

fn check(config: Option<PathBuf>) -> anyhow::Result<()> {
    let config = load_config(config.as_deref())?;
    println!("configuration is valid");
    println!("effective settings:");
    for (k, v) in &config.effective {
        println!("  {k} = {v}");
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

fn main() -> ExitCode {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        eprintln!(
            "error: the Lambda runtime needs the S3 store, which this build does not include yet"
        );
        return ExitCode::FAILURE;
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
        Command::Check { config } => check(config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

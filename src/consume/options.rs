//! The command line of `consume`, in the event-source mapping's own terms, and its validation
//! into [`Settings`] before anything connects.

use std::path::PathBuf;
use std::time::Duration;

use rdkafka::ClientConfig;

use crate::event::{SOURCE_MSK, SOURCE_SELF_MANAGED};

/// The mapping's largest `BatchSize` for Kafka.
pub const MAX_BATCH_SIZE: u32 = 10_000;
/// The mapping's largest `MaximumBatchingWindowInSeconds`.
pub const MAX_BATCHING_WINDOW_S: u32 = 300;
/// The batching window of a Kafka mapping when none is set.
pub const DEFAULT_BATCHING_WINDOW: Duration = Duration::from_millis(500);
/// Lambda's payload limit for a synchronous invocation.
pub const PAYLOAD_LIMIT_BYTES: usize = 6 * 1024 * 1024;
/// Where the password of SASL authentication is read from: never the command line, which
/// other users of the machine can see.
pub const SASL_PASSWORD_ENV: &str = "KAFKA_SASL_PASSWORD";

/// `--starting-position`: where a group without committed offsets starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StartingPosition {
    /// The oldest record of each partition.
    #[value(name = "TRIM_HORIZON")]
    TrimHorizon,
    /// Only records produced after the consumer joined.
    #[value(name = "LATEST")]
    Latest,
    /// The first record at or after `--starting-timestamp`.
    #[value(name = "AT_TIMESTAMP")]
    AtTimestamp,
}

/// `--event-source`: which mapping the events imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EventSource {
    /// An Amazon MSK mapping (`"eventSource": "aws:kafka"`, with `eventSourceArn`).
    #[value(name = "aws:kafka")]
    Msk,
    /// A self-managed Kafka mapping (`"eventSource": "SelfManagedKafka"`).
    #[value(name = "SelfManagedKafka")]
    SelfManaged,
}

/// `--auth`: the mapping's authentication methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Auth {
    /// No authentication (add `--tls` for an encrypted connection).
    #[value(name = "none")]
    None,
    /// SASL/PLAIN (the mapping's `BASIC_AUTH`).
    #[value(name = "sasl-plain")]
    SaslPlain,
    /// SASL/SCRAM-SHA-256 (`SASL_SCRAM_256_AUTH`).
    #[value(name = "sasl-scram-256")]
    SaslScram256,
    /// SASL/SCRAM-SHA-512 (`SASL_SCRAM_512_AUTH`).
    #[value(name = "sasl-scram-512")]
    SaslScram512,
    /// Mutual TLS with a client certificate (`CLIENT_CERTIFICATE_TLS_AUTH`).
    #[value(name = "mtls")]
    ClientCertificate,
    /// Amazon MSK IAM: SASL/OAUTHBEARER with a SigV4-signed token from the AWS credentials.
    #[value(name = "msk-iam")]
    MskIam,
}

/// The options of `consume` that are not about the handler (its config and bucket are the
/// same as `replay`'s).
#[derive(Debug, Clone, clap::Args)]
pub struct ConsumeArgs {
    /// Kafka bootstrap servers, `host:port[,host:port...]`.
    #[arg(long, value_name = "HOST:PORT,...")]
    pub bootstrap_servers: String,
    /// Topic to read; repeat the option (or separate with commas) for several.
    #[arg(
        long = "topic",
        required = true,
        value_delimiter = ',',
        value_name = "TOPIC"
    )]
    pub topics: Vec<String>,
    /// Consumer group; offsets are committed to it after each successful invocation.
    #[arg(long)]
    pub group: String,
    /// Where a group without committed offsets starts.
    #[arg(long, value_enum, default_value = "TRIM_HORIZON")]
    pub starting_position: StartingPosition,
    /// With AT_TIMESTAMP: RFC 3339 time (2024-05-01T00:00:00Z) or seconds since the epoch.
    #[arg(long, value_name = "TIME")]
    pub starting_timestamp: Option<String>,
    /// Largest number of records in one invocation (1-10000).
    #[arg(long, default_value_t = 100)]
    pub batch_size: u32,
    /// Seconds to gather records before invoking (0-300); 0.5 s when not given, as the
    /// mapping's default for Kafka.
    #[arg(long, value_name = "SECONDS")]
    pub batching_window: Option<u32>,
    /// The event's `eventSource`.
    #[arg(long, value_enum, default_value = "SelfManagedKafka")]
    pub event_source: EventSource,
    /// The event's `eventSourceArn` (the MSK cluster's ARN); required with aws:kafka.
    #[arg(long, value_name = "ARN")]
    pub event_source_arn: Option<String>,
    /// Retries of a failed batch before it is discarded (0-10000); -1 retries until it
    /// succeeds, the mapping's default.
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    pub maximum_retry_attempts: i32,
    /// After a function error, retry the batch as two halves.
    #[arg(long)]
    pub bisect_on_error: bool,
    /// Honour `batchItemFailures` in the response (the mapping's `ReportBatchItemFailures`);
    /// without it, like the mapping, a response naming failures still commits the batch.
    #[arg(long)]
    pub report_batch_item_failures: bool,
    /// Invoke this Lambda endpoint through the Invoke API (e.g. `cargo lambda watch` at
    /// http://127.0.0.1:9000) instead of the handler in this process.
    #[arg(long, value_name = "URL")]
    pub invoke_url: Option<String>,
    /// Invoke a deployed function through the Lambda Invoke API (name or ARN), with the
    /// AWS credentials of the environment; with `--invoke-url`, the function name there.
    #[arg(long, value_name = "NAME")]
    pub function_name: Option<String>,
    /// Exit once every assigned partition has been caught up for this long (e.g. `5s`).
    #[arg(long, value_name = "DURATION")]
    pub until_idle: Option<String>,
    /// Authentication to the cluster.
    #[arg(long, value_enum, default_value = "none")]
    pub auth: Auth,
    /// SASL user name (or KAFKA_SASL_USERNAME); the password comes from the environment
    /// variable KAFKA_SASL_PASSWORD only.
    #[arg(long)]
    pub sasl_username: Option<String>,
    /// Encrypt the connection with TLS (implied by mtls and msk-iam).
    #[arg(long)]
    pub tls: bool,
    /// PEM file of the CA certificates that sign the brokers' certificates (the mapping's
    /// `SERVER_ROOT_CA_CERTIFICATE`); the system's CAs when not given.
    #[arg(long, value_name = "PEM")]
    pub tls_ca_file: Option<PathBuf>,
    /// PEM file of the client certificate (mtls).
    #[arg(long, value_name = "PEM")]
    pub tls_cert_file: Option<PathBuf>,
    /// PEM file of the client certificate's private key (mtls).
    #[arg(long, value_name = "PEM")]
    pub tls_key_file: Option<PathBuf>,
    /// AWS region of the MSK cluster (msk-iam); `AWS_REGION` when not given.
    #[arg(long)]
    pub region: Option<String>,
    /// Any other librdkafka consumer property, e.g. `-X fetch.max.bytes=1048576`.
    #[arg(short = 'X', value_name = "KEY=VALUE")]
    pub kafka_property: Vec<String>,
}

/// What was wrong with the options.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OptionsError {
    #[error("--batch-size {0} is out of range: the mapping allows 1 to {MAX_BATCH_SIZE}")]
    BatchSize(u32),
    #[error(
        "--batching-window {0} is out of range: the mapping allows 0 to {MAX_BATCHING_WINDOW_S} seconds"
    )]
    BatchingWindow(u32),
    #[error(
        "--maximum-retry-attempts {0} is out of range: -1 (retry until the batch succeeds) or 0 to 10000"
    )]
    RetryAttempts(i32),
    #[error("--starting-position AT_TIMESTAMP needs --starting-timestamp")]
    MissingTimestamp,
    #[error("--starting-timestamp is only used with --starting-position AT_TIMESTAMP")]
    UnusedTimestamp,
    #[error(
        "--starting-timestamp {0:?} is neither an RFC 3339 time (2024-05-01T00:00:00Z) nor seconds since the epoch"
    )]
    BadTimestamp(String),
    #[error("--event-source aws:kafka needs --event-source-arn (the MSK cluster's ARN)")]
    MissingArn,
    #[error("--event-source-arn is only sent with --event-source aws:kafka")]
    UnusedArn,
    #[error("--until-idle {value:?} is not a duration (e.g. 5s, 500ms, 2m): {reason}")]
    UntilIdle { value: String, reason: String },
    #[error("topic {0:?} is not a legal Kafka topic name")]
    Topic(String),
    #[error("--group must not be empty")]
    Group,
    #[error("--auth {auth} needs {what}")]
    MissingCredential { auth: &'static str, what: String },
    #[error("--auth msk-iam needs a region: pass --region or set AWS_REGION")]
    MissingRegion,
    #[error("-X {0:?} is not KEY=VALUE")]
    Property(String),
    #[error(
        "-X {0}: this property is set by consume itself (the mapping's behaviour depends on it)"
    )]
    ReservedProperty(String),
}

/// Validated options: every value parsed, every combination checked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bootstrap_servers: String,
    pub topics: Vec<String>,
    pub group: String,
    pub starting_position: StartingPosition,
    /// With AT_TIMESTAMP: milliseconds since the epoch.
    pub starting_timestamp_ms: Option<i64>,
    pub batch_size: usize,
    pub batching_window: Duration,
    pub event_source: &'static str,
    pub event_source_arn: Option<String>,
    /// `None`: retry until the batch succeeds.
    pub maximum_retry_attempts: Option<u32>,
    pub bisect_on_error: bool,
    pub report_batch_item_failures: bool,
    pub until_idle: Option<Duration>,
    pub auth: Auth,
    /// AWS region for MSK IAM tokens.
    pub region: Option<String>,
    client: Vec<(String, String)>,
}

/// librdkafka properties that consume sets because the emulation depends on them.
const RESERVED: &[&str] = &[
    "group.id",
    "enable.auto.commit",
    "enable.auto.offset.store",
    "auto.offset.reset",
    "bootstrap.servers",
    "enable.partition.eof",
];

impl ConsumeArgs {
    /// Checks the options; `env` is the process environment (for the SASL password and the
    /// region), passed in so tests need not change it.
    pub fn validate(&self, env: &[(String, String)]) -> Result<Settings, OptionsError> {
        let var = |name: &str| {
            env.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        if !(1..=MAX_BATCH_SIZE).contains(&self.batch_size) {
            return Err(OptionsError::BatchSize(self.batch_size));
        }
        let batching_window = match self.batching_window {
            None => DEFAULT_BATCHING_WINDOW,
            Some(s) if s <= MAX_BATCHING_WINDOW_S => Duration::from_secs(u64::from(s)),
            Some(s) => return Err(OptionsError::BatchingWindow(s)),
        };
        let maximum_retry_attempts = match self.maximum_retry_attempts {
            -1 => None,
            n @ 0..=10_000 => Some(n as u32),
            n => return Err(OptionsError::RetryAttempts(n)),
        };
        let starting_timestamp_ms = match (self.starting_position, &self.starting_timestamp) {
            (StartingPosition::AtTimestamp, None) => return Err(OptionsError::MissingTimestamp),
            (StartingPosition::AtTimestamp, Some(t)) => Some(parse_timestamp(t)?),
            (_, Some(_)) => return Err(OptionsError::UnusedTimestamp),
            (_, None) => None,
        };
        let (event_source, event_source_arn) = match (self.event_source, &self.event_source_arn) {
            (EventSource::Msk, None) => return Err(OptionsError::MissingArn),
            (EventSource::Msk, Some(arn)) => (SOURCE_MSK, Some(arn.clone())),
            (EventSource::SelfManaged, Some(_)) => return Err(OptionsError::UnusedArn),
            (EventSource::SelfManaged, None) => (SOURCE_SELF_MANAGED, None),
        };
        let until_idle = self
            .until_idle
            .as_deref()
            .map(|v| {
                humantime::parse_duration(v).map_err(|e| OptionsError::UntilIdle {
                    value: v.to_owned(),
                    reason: e.to_string(),
                })
            })
            .transpose()?;
        let mut topics: Vec<String> = Vec::new();
        for t in &self.topics {
            let t = t.trim();
            if !crate::event::is_legal_topic(t) {
                return Err(OptionsError::Topic(t.to_owned()));
            }
            if !topics.iter().any(|x| x == t) {
                topics.push(t.to_owned());
            }
        }
        if self.group.trim().is_empty() {
            return Err(OptionsError::Group);
        }

        let mut client: Vec<(String, String)> = vec![
            ("bootstrap.servers".into(), self.bootstrap_servers.clone()),
            ("group.id".into(), self.group.clone()),
            // Offsets are committed by hand, only after a successful invocation.
            ("enable.auto.commit".into(), "false".into()),
            ("enable.auto.offset.store".into(), "false".into()),
            (
                "auto.offset.reset".into(),
                match self.starting_position {
                    StartingPosition::Latest => "latest",
                    // AT_TIMESTAMP sets the offsets of new partitions itself; a timestamp
                    // after the last record falls back to the end, as below.
                    StartingPosition::TrimHorizon => "earliest",
                    StartingPosition::AtTimestamp => "latest",
                }
                .into(),
            ),
            // End-of-partition events tell when a partition is caught up (--until-idle).
            ("enable.partition.eof".into(), "true".into()),
            // Records of aborted transactions never reach the function.
            ("isolation.level".into(), "read_committed".into()),
            // Lag per partition for the progress line.
            ("statistics.interval.ms".into(), "1000".into()),
        ];
        let tls = self.tls || matches!(self.auth, Auth::ClientCertificate | Auth::MskIam);
        let sasl_mechanism = match self.auth {
            Auth::SaslPlain => Some("PLAIN"),
            Auth::SaslScram256 => Some("SCRAM-SHA-256"),
            Auth::SaslScram512 => Some("SCRAM-SHA-512"),
            Auth::MskIam => Some("OAUTHBEARER"),
            Auth::None | Auth::ClientCertificate => None,
        };
        let protocol = match (sasl_mechanism.is_some(), tls) {
            (false, false) => "plaintext",
            (false, true) => "ssl",
            (true, false) => "sasl_plaintext",
            (true, true) => "sasl_ssl",
        };
        client.push(("security.protocol".into(), protocol.into()));
        if let Some(m) = sasl_mechanism {
            client.push(("sasl.mechanism".into(), m.into()));
        }
        if matches!(
            self.auth,
            Auth::SaslPlain | Auth::SaslScram256 | Auth::SaslScram512
        ) {
            let name = auth_name(self.auth);
            let user = self
                .sasl_username
                .clone()
                .or_else(|| var("KAFKA_SASL_USERNAME"))
                .ok_or_else(|| OptionsError::MissingCredential {
                    auth: name,
                    what: "--sasl-username (or KAFKA_SASL_USERNAME)".into(),
                })?;
            let password =
                var(SASL_PASSWORD_ENV).ok_or_else(|| OptionsError::MissingCredential {
                    auth: name,
                    what: format!("the password in the environment variable {SASL_PASSWORD_ENV}"),
                })?;
            client.push(("sasl.username".into(), user));
            client.push(("sasl.password".into(), password));
        }
        if self.auth == Auth::ClientCertificate {
            let (Some(cert), Some(key)) = (&self.tls_cert_file, &self.tls_key_file) else {
                return Err(OptionsError::MissingCredential {
                    auth: "mtls",
                    what: "--tls-cert-file and --tls-key-file".into(),
                });
            };
            client.push((
                "ssl.certificate.location".into(),
                cert.display().to_string(),
            ));
            client.push(("ssl.key.location".into(), key.display().to_string()));
        }
        if let Some(ca) = &self.tls_ca_file {
            client.push(("ssl.ca.location".into(), ca.display().to_string()));
        }
        let region = if self.auth == Auth::MskIam {
            Some(
                self.region
                    .clone()
                    .or_else(|| var("AWS_REGION"))
                    .or_else(|| var("AWS_DEFAULT_REGION"))
                    .ok_or(OptionsError::MissingRegion)?,
            )
        } else {
            self.region.clone()
        };
        for p in &self.kafka_property {
            let Some((k, v)) = p.split_once('=') else {
                return Err(OptionsError::Property(p.clone()));
            };
            let k = k.trim();
            if k.is_empty() {
                return Err(OptionsError::Property(p.clone()));
            }
            if RESERVED.contains(&k) {
                return Err(OptionsError::ReservedProperty(k.to_owned()));
            }
            client.retain(|(existing, _)| existing != k);
            client.push((k.to_owned(), v.to_owned()));
        }
        Ok(Settings {
            bootstrap_servers: self.bootstrap_servers.clone(),
            topics,
            group: self.group.clone(),
            starting_position: self.starting_position,
            starting_timestamp_ms,
            batch_size: self.batch_size as usize,
            batching_window,
            event_source,
            event_source_arn,
            maximum_retry_attempts,
            bisect_on_error: self.bisect_on_error,
            report_batch_item_failures: self.report_batch_item_failures,
            until_idle,
            auth: self.auth,
            region,
            client,
        })
    }
}

impl Settings {
    /// The librdkafka configuration of the consumer.
    pub fn client_config(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        for (k, v) in &self.client {
            c.set(k, v);
        }
        c
    }

    /// The librdkafka properties, with secrets masked, for logs and tests.
    pub fn describe_client(&self) -> Vec<(String, String)> {
        self.client
            .iter()
            .map(|(k, v)| {
                let secret = k.contains("password") || k.contains("secret");
                (k.clone(), if secret { "****".into() } else { v.clone() })
            })
            .collect()
    }
}

fn auth_name(auth: Auth) -> &'static str {
    match auth {
        Auth::None => "none",
        Auth::SaslPlain => "sasl-plain",
        Auth::SaslScram256 => "sasl-scram-256",
        Auth::SaslScram512 => "sasl-scram-512",
        Auth::ClientCertificate => "mtls",
        Auth::MskIam => "msk-iam",
    }
}

/// RFC 3339, or whole seconds since the epoch as the mapping's API takes them.
fn parse_timestamp(text: &str) -> Result<i64, OptionsError> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return seconds
            .checked_mul(1000)
            .filter(|ms| *ms >= 0)
            .ok_or_else(|| OptionsError::BadTimestamp(text.to_owned()));
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|_| OptionsError::BadTimestamp(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ConsumeArgs,
    }

    fn parse(extra: &[&str]) -> ConsumeArgs {
        let mut argv = vec![
            "consume",
            "--bootstrap-servers",
            "127.0.0.1:9092",
            "--topic",
            "orders",
            "--group",
            "sink",
        ];
        argv.extend_from_slice(extra);
        Cli::try_parse_from(argv).expect("parses").args
    }

    fn settings(extra: &[&str]) -> Result<Settings, OptionsError> {
        parse(extra).validate(&[])
    }

    fn property<'a>(s: &'a Settings, key: &str) -> Option<&'a str> {
        s.client
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn defaults_are_the_mappings() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.batch_size, 100);
        assert_eq!(s.batching_window, Duration::from_millis(500));
        assert_eq!(s.event_source, "SelfManagedKafka");
        assert_eq!(s.maximum_retry_attempts, None);
        assert_eq!(property(&s, "auto.offset.reset"), Some("earliest"));
        assert_eq!(property(&s, "enable.auto.commit"), Some("false"));
        assert_eq!(property(&s, "security.protocol"), Some("plaintext"));
    }

    #[test]
    fn limits_name_the_option() {
        assert_eq!(
            settings(&["--batch-size", "10001"]).unwrap_err(),
            OptionsError::BatchSize(10001)
        );
        assert_eq!(
            settings(&["--batching-window", "301"]).unwrap_err(),
            OptionsError::BatchingWindow(301)
        );
        assert_eq!(
            settings(&["--maximum-retry-attempts", "-2"]).unwrap_err(),
            OptionsError::RetryAttempts(-2)
        );
        assert_eq!(
            settings(&["--starting-position", "AT_TIMESTAMP"]).unwrap_err(),
            OptionsError::MissingTimestamp
        );
        assert_eq!(
            settings(&["--event-source", "aws:kafka"]).unwrap_err(),
            OptionsError::MissingArn
        );
        assert!(matches!(
            settings(&["--until-idle", "soon"]).unwrap_err(),
            OptionsError::UntilIdle { .. }
        ));
        assert_eq!(
            settings(&["--topic", "a/b"]).unwrap_err(),
            OptionsError::Topic("a/b".into())
        );
        assert_eq!(
            settings(&["-X", "enable.auto.commit=true"]).unwrap_err(),
            OptionsError::ReservedProperty("enable.auto.commit".into())
        );
    }

    #[test]
    fn starting_timestamps() {
        let s = settings(&[
            "--starting-position",
            "AT_TIMESTAMP",
            "--starting-timestamp",
            "2023-10-01T00:00:00Z",
        ])
        .unwrap();
        assert_eq!(s.starting_timestamp_ms, Some(1_696_118_400_000));
        let s = settings(&[
            "--starting-position",
            "AT_TIMESTAMP",
            "--starting-timestamp",
            "1696118400",
        ])
        .unwrap();
        assert_eq!(s.starting_timestamp_ms, Some(1_696_118_400_000));
        assert_eq!(
            settings(&["--starting-timestamp", "1696118400"]).unwrap_err(),
            OptionsError::UnusedTimestamp
        );
    }

    #[test]
    fn several_topics_and_msk() {
        let s = settings(&[
            "--topic",
            "a,b",
            "--topic",
            "orders",
            "--event-source",
            "aws:kafka",
            "--event-source-arn",
            "arn:aws:kafka:us-east-1:123456789012:cluster/demo/abc",
            "--until-idle",
            "2s",
        ])
        .unwrap();
        assert_eq!(s.topics, vec!["orders", "a", "b"]);
        assert_eq!(s.event_source, "aws:kafka");
        assert_eq!(s.until_idle, Some(Duration::from_secs(2)));
    }

    #[test]
    fn scram_takes_the_password_from_the_environment_only() {
        let args = parse(&[
            "--auth",
            "sasl-scram-512",
            "--sasl-username",
            "alice",
            "--tls",
        ]);
        let err = args.validate(&[]).unwrap_err();
        assert!(err.to_string().contains("KAFKA_SASL_PASSWORD"), "{err}");
        let s = args
            .validate(&[(SASL_PASSWORD_ENV.into(), "pw".into())])
            .unwrap();
        assert_eq!(property(&s, "security.protocol"), Some("sasl_ssl"));
        assert_eq!(property(&s, "sasl.mechanism"), Some("SCRAM-SHA-512"));
        assert_eq!(property(&s, "sasl.password"), Some("pw"));
        assert!(
            s.describe_client()
                .iter()
                .any(|(k, v)| k == "sasl.password" && v == "****")
        );
    }

    #[test]
    fn msk_iam_is_oauthbearer_over_tls_with_a_region() {
        let args = parse(&["--auth", "msk-iam"]);
        assert_eq!(args.validate(&[]).unwrap_err(), OptionsError::MissingRegion);
        let s = args
            .validate(&[("AWS_REGION".into(), "eu-west-1".into())])
            .unwrap();
        assert_eq!(property(&s, "security.protocol"), Some("sasl_ssl"));
        assert_eq!(property(&s, "sasl.mechanism"), Some("OAUTHBEARER"));
        assert_eq!(s.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn mtls_needs_a_certificate_and_key() {
        assert!(matches!(
            settings(&["--auth", "mtls"]).unwrap_err(),
            OptionsError::MissingCredential { auth: "mtls", .. }
        ));
        let s = settings(&[
            "--auth",
            "mtls",
            "--tls-cert-file",
            "c.pem",
            "--tls-key-file",
            "k.pem",
            "--tls-ca-file",
            "ca.pem",
        ])
        .unwrap();
        assert_eq!(property(&s, "security.protocol"), Some("ssl"));
        assert_eq!(property(&s, "ssl.certificate.location"), Some("c.pem"));
        assert_eq!(property(&s, "ssl.ca.location"), Some("ca.pem"));
    }

    #[test]
    fn extra_properties_override_defaults() {
        let s = settings(&["-X", "isolation.level=read_uncommitted"]).unwrap();
        assert_eq!(property(&s, "isolation.level"), Some("read_uncommitted"));
        assert_eq!(
            settings(&["-X", "nonsense"]).unwrap_err(),
            OptionsError::Property("nonsense".into())
        );
    }
}

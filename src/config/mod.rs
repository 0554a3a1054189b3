//! Configuration: Confluent-named raw keys, validated once into a [`Config`] of parsed values.

pub mod keys;

use std::fmt;
use std::str::FromStr;

use regex_lite::Regex;

use crate::convert::Converter;
use crate::format::json::DecimalFormat;
use crate::format::{
    AvroCodec, AvroFormat, ByteArrayFormat, Compression, Format, JsonFormat, ParquetCodec,
    ParquetFormat,
};
use crate::partitioner::joda::{JodaPattern, Locale, Zone};
use crate::partitioner::time_based::{TimeBasedKind, TimeBasedPartitioner};
use crate::partitioner::{DefaultPartitioner, FieldPartitioner, Partitioner, TimestampExtractor};
use crate::plan::KeyLayout;
use crate::storage::{AssumeRole, S3Settings, Sse};
use crate::transform::TransformChain;
use base64::Engine as _;

use crate::registry::glue::{GlueConverter, GlueSettings};
use crate::registry::json_schema::JsonSchemaDataOptions;
use crate::registry::{
    AvroDataOptions, RegistryAuth, RegistrySettings, SchemaType, SubjectStrategy,
};
use crate::registry::{EVENT_RECORD_FORMAT_KEY, EventRecordFormat};
use keys::{IGNORED_PREFIXES, KeyRole, is_secret, spec, suggestion};
// The raw layer, re-exported: a `Config` is read from a `RawConfig`.
pub use crate::raw_config::{KeyError, Origin, RawConfig};
use crate::raw_config::{providers, source};

/// Why configuration could not be loaded: unreadable sources or invalid keys.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Source(#[from] source::SourceError),
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    #[error(transparent)]
    Provider(#[from] providers::ProviderError),
}

/// Loads the raw sources (config file, `S3_SINK_CONFIG`, `S3_SINK_CONFIG_FILE`, one
/// `S3_SINK_*` variable per key) and validates them. Config-provider placeholders are left as
/// they are; [`load_resolved`] resolves them.
pub fn load(
    config_file: Option<&std::path::Path>,
    env: &[(String, String)],
) -> Result<Config, LoadError> {
    let raw = source::load(config_file, env)?;
    Ok(Config::from_raw(&raw)?)
}

/// [`load`], with `${secretsmanager:...}`, `${ssm:...}`, `${env:...}` and `${file:...}`
/// placeholders resolved first (the AWS clients are built only when a value needs them).
pub async fn load_resolved(
    config_file: Option<&std::path::Path>,
    env: &[(String, String)],
) -> Result<Config, LoadError> {
    let mut raw = source::load(config_file, env)?;
    if providers::has_placeholders(&raw) {
        let fetch = providers::AwsFetcher::from_env().await;
        providers::resolve(&mut raw, env, &fetch).await?;
    }
    Ok(Config::from_raw(&raw)?)
}

/// Every problem found in a configuration, each naming its key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub errors: Vec<KeyError>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration:")?;
        for e in &self.errors {
            write!(f, "\n  {}: {}", e.key, e.message)?;
        }
        Ok(())
    }
}

/// The pasteable document of [`Config::document`] and the secrets left out of it.
fn effective_document(
    raw: &RawConfig,
    effective: &[(String, String)],
    ignored: &[(String, String)],
) -> (Vec<(String, String)>, Vec<String>) {
    let keys: std::collections::BTreeMap<&str, &str> = effective
        .iter()
        .chain(ignored)
        .map(|(k, shown)| (k.as_str(), shown.as_str()))
        .collect();
    let mut document = Vec::with_capacity(keys.len());
    let mut withheld = Vec::new();
    for (key, shown) in keys {
        if raw.resolved_from(key).is_some() {
            // The placeholder pastes back and resolves again; the value it gave never shows.
            let given = raw.given(key).unwrap_or_default();
            document.push((key.to_owned(), given.to_owned()));
        } else if is_secret(key) {
            // A secret's default is left out silently; one set in plain text is named.
            if raw.get(key).is_some() {
                withheld.push(key.to_owned());
            }
        } else {
            // An ignored key's `shown` is its reason, so its value comes from the raw map;
            // a key read from the table is shown as read (its default when not set).
            let value = raw.get(key).map_or(shown, str::trim);
            document.push((key.to_owned(), value.to_owned()));
        }
    }
    (document, withheld)
}

/// What to do with a record whose value is null (a tombstone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullValueBehavior {
    Fail,
    Ignore,
    /// Written as a `null` value under the `tombstone` partition path, keys beside it.
    Write,
}

/// `s3.schema.partition.affix.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaAffix {
    None,
    Prefix,
    Suffix,
}

impl SchemaAffix {
    /// The encoded path with the value schema's name added, as Confluent's `SchemaPartitioner`
    /// adds it (`schema_name=null` when the record has no schema or no name).
    pub fn apply(self, path: String, schema_name: Option<&str>, delim: &str) -> String {
        let name = schema_name.unwrap_or("null");
        match self {
            // The common case allocates nothing: this runs for every record.
            SchemaAffix::None => path,
            SchemaAffix::Prefix => format!("schema_name={name}{delim}{path}"),
            SchemaAffix::Suffix => format!("{path}{delim}schema_name={name}"),
        }
    }
}

/// Which topics the sink expects.
#[derive(Debug, Clone)]
pub enum TopicFilter {
    Any,
    List(Vec<String>),
    Regex(Regex),
}

impl TopicFilter {
    /// Whether records of `topic` may be written.
    pub fn allows(&self, topic: &str) -> bool {
        match self {
            TopicFilter::Any => true,
            TopicFilter::List(list) => list.iter().any(|t| t == topic),
            TopicFilter::Regex(re) => re.is_match(topic),
        }
    }
}

/// Where objects go when the CLI is not told otherwise (`storage.class`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageTarget {
    S3,
    Local(std::path::PathBuf),
}

const CANNED_ACLS: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
];

/// A validated configuration: every value parsed, every pattern compiled.
#[derive(Debug, Clone)]
pub struct Config {
    pub topics: TopicFilter,
    pub layout: KeyLayout,
    pub flush_size: u64,
    pub rotate_interval_ms: Option<i64>,
    pub key_converter: Converter,
    pub value_converter: Converter,
    /// The Schema Registry settings of a schema-registry key converter.
    pub key_registry: Option<RegistrySettings>,
    /// The Schema Registry settings of a schema-registry value converter.
    pub value_registry: Option<RegistrySettings>,
    pub partitioner: Partitioner,
    pub timestamp_extractor: TimestampExtractor,
    pub format: Format,
    pub null_values: NullValueBehavior,
    pub storage: StorageTarget,
    /// S3 settings; `bucket` is empty when `s3.bucket.name` is not set.
    pub s3: S3Settings,
    pub upload_concurrency: usize,
    pub deadline_margin_ms: u64,
    pub partial_batch_response: bool,
    /// `lambda.event.record.format`: how the mapping's own schema registry delivers the
    /// records it validated.
    pub event_record_format: Option<EventRecordFormat>,
    /// `rotate.file.on.partition.change` with `rotate.interval.ms`: files are runs of
    /// consecutive records (see [`crate::plan::plan_files`]).
    pub rotate_on_partition_change: bool,
    /// `tombstone.encoded.partition`: the path of tombstones with `behavior.on.null.values=write`.
    pub tombstone_path: String,
    /// `s3.schema.partition.affix.type`: `schema_name=...` before or after the encoded path.
    pub schema_affix: SchemaAffix,
    /// `report.null.values.to.dlq`: with `ignore` and `errors.tolerance=all`, tombstones go to
    /// the error prefix.
    pub report_null_values: bool,
    /// `store.kafka.keys`: the format of the key sidecar beside each data file.
    pub keys_format: Option<Format>,
    /// `store.kafka.headers`: the format of the header sidecar beside each data file.
    pub headers_format: Option<Format>,
    /// `format.envelope`: write key, value, headers and coordinates as one record.
    pub envelope: bool,
    /// `errors.tolerance=all`: records that cannot be written go to `errors_prefix`.
    pub errors_tolerance_all: bool,
    /// Where failed records go (`errors.prefix`, default `{topics.dir}/_errors`).
    pub errors_prefix: String,
    /// The single message transforms (`transforms`, `predicates`), applied after the converters.
    pub transforms: TransformChain,
    /// Every key with its effective value (defaults included), secrets redacted.
    pub effective: Vec<(String, String)>,
    /// Keys accepted without effect, with the reason.
    pub ignored: Vec<(String, String)>,
    /// Things the operator should know; printed by `check` and logged at cold start.
    pub warnings: Vec<String>,
    /// The effective configuration as a connector config that can be pasted back: every key
    /// read (defaults included) and every ignored key, sorted, with values as given
    /// (`${secretsmanager:...}` placeholders, not what they resolved to). Secrets given in
    /// plain text are left out and named in `withheld`.
    pub document: Vec<(String, String)>,
    /// Secret keys set in plain text, left out of `document`.
    pub withheld: Vec<String>,
}

/// Reads keys from the raw map, collecting errors instead of stopping at the first.
struct Reader<'a> {
    raw: &'a RawConfig,
    errors: Vec<KeyError>,
    effective: Vec<(String, String)>,
    /// Warnings found by helpers that have no access to the caller's list.
    notes: Vec<String>,
}

impl<'a> Reader<'a> {
    fn warnings_note(&mut self, message: &str) {
        self.notes.push(message.to_owned());
    }

    fn error(&mut self, key: &str, message: impl Into<String>) {
        self.errors.push(KeyError {
            key: key.to_owned(),
            message: message.into(),
        });
    }

    fn raw(&self, key: &str) -> Option<&'a str> {
        self.raw.get(key).map(str::trim)
    }

    /// The value of `key`, or its default from the key table; recorded as effective.
    fn string(&mut self, key: &str) -> Option<String> {
        let value = self
            .raw(key)
            .map(str::to_owned)
            .or_else(|| spec(key).and_then(|s| s.default).map(str::to_owned));
        if let Some(v) = &value {
            let shown = if let Some(providers) = self.raw.resolved_from(key) {
                format!("[resolved from {}]", providers.join(", "))
            } else if is_secret(key) {
                "<redacted>".to_owned()
            } else {
                v.clone()
            };
            self.effective.push((key.to_owned(), shown));
        }
        value
    }

    fn parse<T: FromStr>(&mut self, key: &str, what: &str) -> Option<T> {
        let text = self.string(key)?;
        match text.parse::<T>() {
            Ok(v) => Some(v),
            Err(_) => {
                self.error(key, format!("{text:?} is not {what}"));
                None
            }
        }
    }

    fn boolean(&mut self, key: &str) -> Option<bool> {
        let text = self.string(key)?;
        match text.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => {
                self.error(key, format!("{text:?} is not a boolean (true or false)"));
                None
            }
        }
    }

    /// A class name matched by its last segment against `allowed` short names.
    fn class<'c>(&mut self, key: &str, allowed: &[&'c str]) -> Option<&'c str> {
        let text = self.string(key)?;
        let short = text.rsplit('.').next().unwrap_or(&text);
        match allowed.iter().find(|a| **a == short) {
            Some(found) => Some(found),
            None => {
                self.error(
                    key,
                    format!("{text:?} is not supported; allowed: {}", allowed.join(", ")),
                );
                None
            }
        }
    }

    fn choice<'c>(&mut self, key: &str, allowed: &[&'c str]) -> Option<&'c str> {
        let text = self.string(key)?;
        match allowed.iter().find(|a| a.eq_ignore_ascii_case(&text)) {
            Some(found) => Some(found),
            None => {
                self.error(
                    key,
                    format!("{text:?} is not allowed; allowed: {}", allowed.join(", ")),
                );
                None
            }
        }
    }
}

const PARTITIONERS: &[&str] = &[
    "DefaultPartitioner",
    "FieldPartitioner",
    "TimeBasedPartitioner",
    "HourlyPartitioner",
    "DailyPartitioner",
];
const CONVERTERS: &[&str] = &[
    "JsonConverter",
    "StringConverter",
    "ByteArrayConverter",
    "AvroConverter",
    "ProtobufConverter",
    "JsonSchemaConverter",
    "AWSKafkaAvroConverter",
    "ProtobufSchemaConverter",
];

impl Config {
    /// Validates a raw configuration. Unknown keys, bad values and missing required keys are
    /// all reported together, each with its key.
    pub fn from_raw(raw: &RawConfig) -> Result<Config, ConfigError> {
        let mut r = Reader {
            raw,
            errors: Vec::new(),
            effective: Vec::new(),
            notes: Vec::new(),
        };
        let mut warnings = Vec::new();
        let mut ignored = Vec::new();

        for key in raw.keys() {
            match spec(key) {
                Some(s) => {
                    if let KeyRole::Ignored(why) = s.role {
                        ignored.push((key.to_owned(), why.to_owned()));
                    }
                }
                None => {
                    if let Some((_, why)) =
                        IGNORED_PREFIXES.iter().find(|(p, _)| key.starts_with(p))
                    {
                        ignored.push((key.to_owned(), (*why).to_owned()));
                    } else if is_converter_option(key) {
                        ignored.push((
                            key.to_owned(),
                            "converter option without effect here".to_owned(),
                        ));
                    } else if crate::transform::is_transform_key(key) {
                        // Validated by TransformChain::from_raw below.
                    } else {
                        let hint = suggestion(key)
                            .map(|s| format!(" (did you mean {s:?}?)"))
                            .unwrap_or_default();
                        r.error(key, format!("unknown key{hint}; `kafka-s3-sink check` and the README list every key"));
                    }
                }
            }
        }

        let transforms = match TransformChain::from_raw(raw) {
            Ok((chain, consumed)) => {
                for key in consumed {
                    if let Some(value) = r.raw(&key) {
                        let shown = match raw.resolved_from(&key) {
                            Some(p) => format!("[resolved from {}]", p.join(", ")),
                            None if is_secret(&key) => "<redacted>".to_owned(),
                            None => value.to_owned(),
                        };
                        r.effective.push((key, shown));
                    }
                }
                warnings.extend(chain.warnings());
                chain
            }
            Err(errors) => {
                r.errors.extend(errors);
                TransformChain::default()
            }
        };

        let topics = match (r.raw("topics"), r.raw("topics.regex")) {
            (Some(_), Some(_)) => {
                r.error(
                    "topics.regex",
                    "set either `topics` or `topics.regex`, not both",
                );
                TopicFilter::Any
            }
            (Some(_), None) => {
                let list = r.string("topics").unwrap_or_default();
                let names: Vec<String> = split_list(&list);
                if names.is_empty() {
                    r.error("topics", "is empty");
                }
                TopicFilter::List(names)
            }
            (None, Some(_)) => {
                let text = r.string("topics.regex").unwrap_or_default();
                // Kafka matches the whole topic name.
                match Regex::new(&format!("^(?:{text})$")) {
                    Ok(re) => TopicFilter::Regex(re),
                    Err(e) => {
                        r.error("topics.regex", format!("invalid regular expression: {e}"));
                        TopicFilter::Any
                    }
                }
            }
            (None, None) => TopicFilter::Any,
        };

        let layout = KeyLayout {
            topics_dir: r.string("topics.dir").unwrap_or_default(),
            directory_delim: r.string("directory.delim").unwrap_or_default(),
            file_delim: r.string("file.delim").unwrap_or_default(),
            zero_pad_width: r
                .parse::<usize>("filename.offset.zero.pad.width", "a non-negative integer")
                .unwrap_or(10),
        };
        if layout.directory_delim.is_empty() {
            r.error("directory.delim", "must not be empty");
        }
        if layout.file_delim.is_empty() {
            r.error("file.delim", "must not be empty");
        }
        if layout.zero_pad_width > 19 {
            r.error(
                "filename.offset.zero.pad.width",
                "must be at most 19 (offsets have at most 19 digits)",
            );
        }
        if layout.topics_dir.split('/').any(|s| s == "." || s == "..")
            || layout.topics_dir.starts_with('/')
        {
            r.error(
                "topics.dir",
                "must be a relative prefix without `.` or `..` segments",
            );
        }

        let flush_size = match r.raw("flush.size") {
            None => {
                r.error(
                    "flush.size",
                    "is required (a positive number of records, e.g. 1000)",
                );
                1
            }
            Some(_) => match r.parse::<i64>("flush.size", "an integer") {
                Some(n) if n >= 1 => n as u64,
                Some(n) => {
                    r.error("flush.size", format!("{n} must be at least 1"));
                    1
                }
                None => 1,
            },
        };
        let rotate_interval_ms =
            match r.parse::<i64>("rotate.interval.ms", "an integer (milliseconds)") {
                Some(n) if n > 0 => Some(n),
                Some(-1) | None => None,
                Some(n) => {
                    r.error(
                        "rotate.interval.ms",
                        format!("{n} must be positive, or -1 to disable"),
                    );
                    None
                }
            };
        if let Some(n) = r.parse::<i64>("rotate.schedule.interval.ms", "an integer (milliseconds)")
            && n > 0
        {
            warnings.push(format!(
                "rotate.schedule.interval.ms={n} is accepted and needs nothing here: every invocation closes all of its files"
            ));
        }

        let key_converter = converter(&mut r, "key.converter");
        let value_converter = converter(&mut r, "value.converter");
        let key_registry = match key_converter {
            Converter::Registry(_) => registry_settings(&mut r, "key.converter"),
            _ => None,
        };
        let value_registry = match value_converter {
            Converter::Registry(_) => registry_settings(&mut r, "value.converter"),
            _ => None,
        };
        // Converter options outside the key table were listed as ignored above; the ones a
        // registry converter read are not.
        ignored.retain(|(k, _)| !r.effective.iter().any(|(e, _)| e == k));

        let timezone_text = r.string("timezone");
        // What the connector's DateTimeZone.forID accepts: tz database ids and fixed offsets.
        let timezone = match timezone_text.as_deref() {
            None | Some("") => None,
            Some(t) => match Zone::for_id(t) {
                Ok(zone) => Some(zone),
                Err(e) => {
                    r.error("timezone", e.to_string());
                    None
                }
            },
        };
        let locale_text = r.string("locale");
        let locale = match locale_text.as_deref() {
            None | Some("") => None,
            Some(l) => match Locale::parse(l) {
                Ok(locale) => {
                    // The connector's `new Locale("ko_KR")` is an unknown language to Java, so
                    // its text fields are the JDK root locale's; say so when a path has some.
                    let has_text = r
                        .raw("path.format")
                        .and_then(|p| JodaPattern::compile(p).ok())
                        .is_some_and(|p| p.has_text_fields());
                    if locale.language().is_none() && has_text {
                        let language = l.split(['_', '-']).next().unwrap_or(l);
                        warnings.push(format!(
                            "locale={l}: the connector reads this as new Locale(\"{l}\"), a language Java does not know, so text fields in path.format render in the JDK root locale (Jan, Sun, AM, CE), here as there; locale={language} renders that language's names"
                        ));
                    }
                    Some(locale)
                }
                Err(e) => {
                    r.error("locale", e.to_string());
                    None
                }
            },
        };

        let extractor_name = r.choice(
            "timestamp.extractor",
            &["Record", "RecordField", "Wallclock"],
        );
        let timestamp_extractor = match extractor_name {
            Some("RecordField") => {
                let field = r.string("timestamp.field").unwrap_or_default();
                if field.is_empty() {
                    r.error(
                        "timestamp.field",
                        "must name a field when timestamp.extractor=RecordField",
                    );
                }
                let parser = match r.string("timestamp.parser") {
                    Some(p) if !p.is_empty() => match JodaPattern::compile(&p) {
                        Ok(pattern) => Some(pattern),
                        Err(e) => {
                            r.error("timestamp.parser", e.to_string());
                            None
                        }
                    },
                    _ => None,
                };
                TimestampExtractor::RecordField {
                    field,
                    parser,
                    timezone: timezone.unwrap_or(Zone::UTC),
                }
            }
            Some("Wallclock") => {
                warnings.push(
                    "timestamp.extractor=Wallclock uses the invocation's clock: a retried batch can land in other paths or windows than the failed one, so exactly-once does not hold (see docs/semantics.md)".to_owned(),
                );
                TimestampExtractor::Wallclock
            }
            _ => TimestampExtractor::Record,
        };
        if !matches!(timestamp_extractor, TimestampExtractor::RecordField { .. }) {
            for k in ["timestamp.field", "timestamp.parser"] {
                if r.raw(k).is_some() {
                    warnings.push(format!(
                        "{k} is set but unused: timestamp.extractor is not RecordField"
                    ));
                }
            }
        }

        let partitioner = match r.class("partitioner.class", PARTITIONERS) {
            Some("FieldPartitioner") => {
                let names = split_list(&r.string("partition.field.name").unwrap_or_default());
                if names.is_empty() {
                    r.error(
                        "partition.field.name",
                        "is required by FieldPartitioner (comma-separated field names)",
                    );
                }
                for n in &names {
                    if n.contains(layout.directory_delim.as_str())
                        || n.chars().any(char::is_control)
                    {
                        r.error("partition.field.name", format!("{n:?} must not contain the directory delimiter or control characters"));
                    }
                }
                for k in ["path.format", "partition.duration.ms"] {
                    if r.raw(k).is_some() {
                        warnings.push(format!("{k} is set but unused by FieldPartitioner"));
                    }
                }
                Partitioner::Field(FieldPartitioner::new(names, layout.directory_delim.clone()))
            }
            Some(name @ ("TimeBasedPartitioner" | "HourlyPartitioner" | "DailyPartitioner")) => {
                let kind = match name {
                    "HourlyPartitioner" => TimeBasedKind::Hourly,
                    "DailyPartitioner" => TimeBasedKind::Daily,
                    _ => TimeBasedKind::TimeBased,
                };
                time_based(&mut r, &mut warnings, kind, &layout, timezone, locale)
            }
            _ => {
                for k in [
                    "partition.field.name",
                    "path.format",
                    "partition.duration.ms",
                ] {
                    if r.raw(k).is_some() {
                        warnings.push(format!("{k} is set but unused by DefaultPartitioner"));
                    }
                }
                Partitioner::Default(DefaultPartitioner)
            }
        };

        let compression = match r.choice("s3.compression.type", &["none", "gzip"]) {
            Some("gzip") => {
                let level = match r.parse::<i32>("s3.compression.level", "an integer from -1 to 9")
                {
                    Some(-1) | None => 6,
                    Some(l @ 0..=9) => l as u32,
                    Some(l) => {
                        r.error("s3.compression.level", format!("{l} is not in -1..=9"));
                        6
                    }
                };
                Compression::Gzip { level }
            }
            _ => Compression::None,
        };
        // Read whatever the format, so a bad value fails at cold start; JsonFormat files (values
        // or sidecars) use it, as Confluent configures its JsonConverter.
        let json_decimals = match r.choice("json.decimal.format", &["BASE64", "NUMERIC"]) {
            Some("NUMERIC") => DecimalFormat::Numeric,
            _ => DecimalFormat::Base64,
        };
        let format = match r.class(
            "format.class",
            &[
                "JsonFormat",
                "ParquetFormat",
                "AvroFormat",
                "ByteArrayFormat",
            ],
        ) {
            Some("ParquetFormat") => {
                let text = r.string("parquet.codec").unwrap_or_default();
                match ParquetCodec::parse(&text) {
                    Some(codec) => Format::Parquet(Box::new(ParquetFormat::new(codec))),
                    None => {
                        r.error(
                            "parquet.codec",
                            format!(
                                "{text:?} is not allowed; allowed: snappy, gzip, zstd, lz4, lz4_raw, brotli, none (lzo needs Hadoop's native library and is not available)"
                            ),
                        );
                        Format::Parquet(Box::new(ParquetFormat::new(ParquetCodec::Snappy)))
                    }
                }
            }
            Some("AvroFormat") => {
                let text = r.string("avro.codec").unwrap_or_default();
                match AvroCodec::parse(&text) {
                    Some(codec) => Format::Avro(AvroFormat::new(codec)),
                    None => {
                        r.error(
                            "avro.codec",
                            format!(
                                "{text:?} is not allowed; allowed: null, deflate, snappy, bzip2, zstandard"
                            ),
                        );
                        Format::Avro(AvroFormat::new(AvroCodec::Null))
                    }
                }
            }
            Some("ByteArrayFormat") => Format::ByteArray(bytearray_format(&mut r, compression)),
            _ => Format::Json(JsonFormat::new(compression).with_decimal_format(json_decimals)),
        };
        // Confluent's sidecars use the value format's settings (codecs, compression).
        let sidecar = |r: &mut Reader<'_>, flag: &str, class_key: &str, allowed: &[&str]| {
            if !r.boolean(flag).unwrap_or(false) {
                return None;
            }
            match r.class(class_key, allowed) {
                Some("JsonFormat") => Some(Format::Json(
                    JsonFormat::new(compression).with_decimal_format(json_decimals),
                )),
                Some("ParquetFormat") => Some(Format::Parquet(Box::new(ParquetFormat::new(
                    match &format {
                        Format::Parquet(p) => p.codec(),
                        _ => ParquetCodec::Snappy,
                    },
                )))),
                Some("ByteArrayFormat") => {
                    Some(Format::ByteArray(bytearray_format(r, compression)))
                }
                _ => Some(Format::Avro(AvroFormat::new(match &format {
                    Format::Avro(a) => a.codec(),
                    _ => AvroCodec::Null,
                }))),
            }
        };
        let keys_format = sidecar(
            &mut r,
            "store.kafka.keys",
            "keys.format.class",
            &[
                "JsonFormat",
                "AvroFormat",
                "ParquetFormat",
                "ByteArrayFormat",
            ],
        );
        // As Confluent: ByteArrayFormat cannot hold headers.
        let headers_format = sidecar(
            &mut r,
            "store.kafka.headers",
            "headers.format.class",
            &["JsonFormat", "AvroFormat", "ParquetFormat"],
        );
        let envelope = r.boolean("format.envelope").unwrap_or(false);
        if compression != Compression::None
            && !matches!(format, Format::Json(_) | Format::ByteArray(_))
        {
            warnings.push(format!(
                "s3.compression.type applies to JsonFormat and ByteArrayFormat only; {} files use their own codec",
                format.class_name()
            ));
        }

        let null_values = match r.choice("behavior.on.null.values", &["fail", "ignore", "write"]) {
            Some("ignore") => NullValueBehavior::Ignore,
            Some("write") => {
                if keys_format.is_none() {
                    r.error(
                        "behavior.on.null.values",
                        "write needs store.kafka.keys=true: a tombstone means nothing without its key",
                    );
                }
                NullValueBehavior::Write
            }
            _ => NullValueBehavior::Fail,
        };
        let errors_tolerance_all = r.choice("errors.tolerance", &["none", "all"]) == Some("all");
        let report_null_values = r.boolean("report.null.values.to.dlq").unwrap_or(true);
        let tombstone_path = r.string("tombstone.encoded.partition").unwrap_or_default();
        if tombstone_path.is_empty()
            || tombstone_path
                .split(layout.directory_delim.as_str())
                .any(|s| s.is_empty() || s == "." || s == "..")
            || tombstone_path.chars().any(char::is_control)
        {
            r.error(
                "tombstone.encoded.partition",
                "must be a non-empty relative path without empty, `.` or `..` segments or control characters",
            );
        }
        let rotate_on_partition_change =
            r.boolean("rotate.file.on.partition.change").unwrap_or(true);
        let schema_affix = match r.choice(
            "s3.schema.partition.affix.type",
            &["NONE", "PREFIX", "SUFFIX"],
        ) {
            Some("PREFIX") => SchemaAffix::Prefix,
            Some("SUFFIX") => SchemaAffix::Suffix,
            _ => SchemaAffix::None,
        };
        let errors_prefix = match r.string("errors.prefix").filter(|p| !p.is_empty()) {
            Some(p) => p
                .trim_end_matches(layout.directory_delim.as_str())
                .to_owned(),
            None if layout.topics_dir.is_empty() => "_errors".to_owned(),
            None => format!("{}{}_errors", layout.topics_dir, layout.directory_delim),
        };
        if errors_prefix
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        {
            r.error(
                "errors.prefix",
                "must be a relative prefix without empty, `.` or `..` segments",
            );
        }
        r.choice(
            "schema.compatibility",
            &["NONE", "BACKWARD", "FORWARD", "FULL"],
        );
        let storage = match r.class("storage.class", &["S3Storage", "LocalStorage"]) {
            Some("LocalStorage") => match r.string("local.dir").filter(|d| !d.is_empty()) {
                Some(dir) => StorageTarget::Local(dir.into()),
                None => {
                    r.error("local.dir", "is required with storage.class=LocalStorage");
                    StorageTarget::S3
                }
            },
            _ => StorageTarget::S3,
        };
        let s3 = s3_settings(&mut r);
        if storage == StorageTarget::S3 && s3.bucket.is_empty() {
            warnings
                .push("s3.bucket.name is not set: only `replay --local-dir` can run".to_owned());
        }
        let upload_concurrency =
            match r.parse::<usize>("lambda.upload.concurrency", "an integer from 1 to 64") {
                Some(n @ 1..=64) => n,
                Some(n) => {
                    r.error("lambda.upload.concurrency", format!("{n} is not in 1..=64"));
                    8
                }
                None => 8,
            };
        let deadline_margin_ms = r
            .parse::<u64>(
                "lambda.deadline.margin.ms",
                "a non-negative integer (milliseconds)",
            )
            .unwrap_or(3000);
        let partial_batch_response = r.boolean("lambda.partial.batch.response").unwrap_or(false);
        let event_record_format = r.string(EVENT_RECORD_FORMAT_KEY).and_then(|text| {
            let parsed = EventRecordFormat::parse(&text);
            if parsed.is_none() {
                r.error(
                    EVENT_RECORD_FORMAT_KEY,
                    format!("{text:?} is not JSON or SOURCE (the mapping's EventRecordFormat)"),
                );
            }
            parsed
        });

        if !r.errors.is_empty() {
            return Err(ConfigError { errors: r.errors });
        }
        warnings.append(&mut r.notes);
        let mut effective = r.effective;
        effective.sort();
        effective.dedup();
        let (document, withheld) = effective_document(raw, &effective, &ignored);
        Ok(Config {
            topics,
            layout,
            flush_size,
            rotate_interval_ms,
            key_converter,
            value_converter,
            key_registry,
            value_registry,
            partitioner,
            timestamp_extractor,
            format,
            null_values,
            storage,
            s3,
            upload_concurrency,
            deadline_margin_ms,
            partial_batch_response,
            event_record_format,
            rotate_on_partition_change,
            tombstone_path,
            schema_affix,
            report_null_values,
            keys_format,
            headers_format,
            envelope,
            errors_tolerance_all,
            errors_prefix,
            transforms,
            effective,
            ignored,
            warnings,
            document,
            withheld,
        })
    }

    /// Whether files are runs of consecutive records (`rotate.file.on.partition.change` with
    /// `rotate.interval.ms`, when Confluent applies it).
    pub fn file_runs(&self) -> bool {
        self.rotate_on_partition_change && self.rotate_interval_ms.is_some()
    }

    /// Whether record keys must be converted (sidecars or envelopes write them).
    pub fn needs_keys(&self) -> bool {
        self.keys_format.is_some() || self.envelope
    }

    /// Whether the record time must be extracted (time-based paths or rotation windows).
    pub fn needs_timestamp(&self) -> bool {
        self.partitioner.is_time_based() || self.rotate_interval_ms.is_some()
    }
}

fn s3_settings(r: &mut Reader<'_>) -> S3Settings {
    let mut s = S3Settings::new(r.string("s3.bucket.name").unwrap_or_default());
    s.region = r.string("s3.region").filter(|v| !v.is_empty());
    // As Confluent's S3Storage: an endpoint without a scheme is HTTPS.
    s.endpoint_url = r.string("store.url").filter(|v| !v.is_empty()).map(|url| {
        if url.contains("://") {
            url
        } else {
            format!("https://{url}")
        }
    });
    if let Some(url) = &s.endpoint_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        r.error("store.url", format!("{url:?} must use http:// or https://"));
    }
    s.path_style = r.boolean("s3.path.style.access.enabled").unwrap_or(true);
    s.accelerate = r.boolean("s3.wan.mode").unwrap_or(false);
    if s.accelerate && s.path_style {
        r.error(
            "s3.wan.mode",
            "Transfer Acceleration needs virtual-hosted addressing: set s3.path.style.access.enabled=false",
        );
    }
    s.part_size = match r.parse::<u64>("s3.part.size", "a number of bytes") {
        Some(n) if n < 5 * 1024 * 1024 => {
            r.error(
                "s3.part.size",
                format!("{n} is below S3's minimum part size of 5242880 (5 MiB)"),
            );
            s.part_size
        }
        Some(n) if n > 5 * 1024 * 1024 * 1024 => {
            r.error(
                "s3.part.size",
                format!("{n} is above S3's maximum part size of 5 GiB"),
            );
            s.part_size
        }
        Some(n) => n as usize,
        None => s.part_size,
    };
    let kms_key = r.string("s3.sse.kms.key.id").filter(|v| !v.is_empty());
    let customer_key = r.string("s3.sse.customer.key").filter(|v| !v.is_empty());
    s.sse = match r.choice("s3.ssea.name", &["", "AES256", "aws:kms", "aws:kms:dsse"]) {
        // As Confluent: a customer key with AES256 means SSE-C instead of SSE-S3.
        Some("AES256") if customer_key.is_some() => None,
        Some("AES256") => Some(Sse::Aes256),
        Some("aws:kms") => Some(Sse::Kms {
            key_id: kms_key.clone(),
            dsse: false,
        }),
        Some("aws:kms:dsse") => Some(Sse::Kms {
            key_id: kms_key.clone(),
            dsse: true,
        }),
        _ => None,
    };
    if kms_key.is_some() && !matches!(s.sse, Some(Sse::Kms { .. })) {
        r.error(
            "s3.sse.kms.key.id",
            "needs s3.ssea.name=aws:kms or aws:kms:dsse",
        );
    }
    if let Some(key) = customer_key {
        let decoded = base64::engine::general_purpose::STANDARD.decode(key.as_bytes());
        if !matches!(&decoded, Ok(bytes) if bytes.len() == 32) {
            r.error(
                "s3.sse.customer.key",
                "must be the base64 of a 256-bit (32-byte) key",
            );
        } else if s.sse.is_some() || r.raw("s3.ssea.name") != Some("AES256") {
            r.error(
                "s3.sse.customer.key",
                "needs s3.ssea.name=AES256 (SSE-C), as Confluent uses it",
            );
        } else {
            s.sse_customer_key = Some(key);
        }
    }
    s.acl = r.choice("s3.acl.canned", CANNED_ACLS).map(str::to_owned);
    s.tagging = r.boolean("s3.object.tagging").unwrap_or(false);
    let pairs = r
        .string("s3.object.tagging.key.value.pairs")
        .unwrap_or_default();
    for pair in split_list(&pairs) {
        match pair.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() => s
                .extra_tags
                .push((name.trim().to_owned(), value.trim().to_owned())),
            _ => r.error(
                "s3.object.tagging.key.value.pairs",
                format!("{pair:?} is not a `key:value` pair"),
            ),
        }
    }
    if !s.extra_tags.is_empty() && !s.tagging {
        // Confluent parses the pairs but only applies them with tagging on.
        r.warnings_note(
            "s3.object.tagging.key.value.pairs is set but s3.object.tagging=false: no tags are written",
        );
    }
    s.fail_on_tagging_error =
        r.choice("s3.object.behavior.on.tagging.error", &["ignore", "fail"]) == Some("fail");
    s.send_digest = r.boolean("s3.send.digest").unwrap_or(false);
    match r.class(
        "s3.credentials.provider.class",
        &[
            "DefaultCredentialsProvider",
            "DefaultAWSCredentialsProviderChain",
            "AwsAssumeRoleCredentialsProvider",
        ],
    ) {
        Some("AwsAssumeRoleCredentialsProvider") => {
            let role_arn = r
                .string("s3.credentials.provider.sts.role.arn")
                .filter(|v| !v.is_empty());
            let session_name = r
                .string("s3.credentials.provider.sts.role.session.name")
                .filter(|v| !v.is_empty());
            if role_arn.is_none() {
                r.error(
                    "s3.credentials.provider.sts.role.arn",
                    "is required by AwsAssumeRoleCredentialsProvider",
                );
            }
            if session_name.is_none() {
                r.error(
                    "s3.credentials.provider.sts.role.session.name",
                    "is required by AwsAssumeRoleCredentialsProvider",
                );
            }
            if let (Some(role_arn), Some(session_name)) = (role_arn, session_name) {
                s.assume_role = Some(AssumeRole {
                    role_arn,
                    session_name,
                    external_id: r
                        .string("s3.credentials.provider.sts.role.external.id")
                        .filter(|v| !v.is_empty()),
                    region: r
                        .string("s3.credentials.provider.sts.region")
                        .filter(|v| !v.is_empty()),
                });
            }
        }
        _ => {
            for k in [
                "s3.credentials.provider.sts.role.arn",
                "s3.credentials.provider.sts.role.session.name",
                "s3.credentials.provider.sts.role.external.id",
                "s3.credentials.provider.sts.region",
            ] {
                if r.raw(k).is_some() {
                    r.warnings_note(&format!(
                        "{k} is set but unused: s3.credentials.provider.class is not AwsAssumeRoleCredentialsProvider"
                    ));
                }
            }
        }
    }
    s.retry_backoff_ms = r
        .parse::<u64>(
            "s3.retry.backoff.ms",
            "a non-negative integer (milliseconds)",
        )
        .unwrap_or(200);
    s.part_retries = r
        .parse::<u32>("s3.part.retries", "a non-negative integer")
        .unwrap_or(3);
    s
}

/// `ByteArrayFormat` from `format.bytearray.separator` and `.extension`. The separator is taken
/// untrimmed, as Confluent reads it from the original config (whitespace is significant). JSON
/// and `.properties` files have already unescaped it; an `S3_SINK_*` variable cannot easily hold
/// a newline, so there `\n`, `\r`, `\t` and `\\` are unescaped here.
fn bytearray_format(r: &mut Reader<'_>, compression: Compression) -> ByteArrayFormat {
    const KEY: &str = "format.bytearray.separator";
    let separator = match r.raw.get(KEY) {
        Some(text) => {
            let shown = text.escape_debug().to_string();
            r.effective.push((KEY.to_owned(), shown));
            match r.raw.origin(KEY) {
                Some(Origin::EnvKey(_)) => unescape_env(text).into_bytes(),
                _ => text.as_bytes().to_vec(),
            }
        }
        None => ByteArrayFormat::DEFAULT_SEPARATOR.to_vec(),
    };
    let extension = r.string("format.bytearray.extension").unwrap_or_default();
    ByteArrayFormat::new(separator, extension, compression)
}

/// `\n`, `\r`, `\t` and `\\` in an environment variable's value.
fn unescape_env(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn is_converter_option(key: &str) -> bool {
    ["key.converter.", "value.converter.", "header.converter."]
        .iter()
        .any(|p| key.starts_with(p))
}

fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn converter(r: &mut Reader<'_>, key: &'static str) -> Converter {
    let schemas_key = if key == "key.converter" {
        "key.converter.schemas.enable"
    } else {
        "value.converter.schemas.enable"
    };
    match r.class(key, CONVERTERS) {
        Some("StringConverter") => {
            if r.raw(schemas_key).is_some() {
                r.string(schemas_key);
            }
            let encoding_key = if key == "key.converter" {
                "key.converter.encoding"
            } else {
                "value.converter.encoding"
            };
            if let Some(encoding) = r.string(encoding_key).filter(|e| !e.is_empty())
                && !matches!(encoding.to_ascii_uppercase().as_str(), "UTF-8" | "UTF8")
            {
                r.error(
                    encoding_key,
                    format!("{encoding:?} is not supported: StringConverter reads UTF-8 here"),
                );
            }
            Converter::String
        }
        Some("ByteArrayConverter") => {
            if r.raw(schemas_key).is_some() {
                r.string(schemas_key);
            }
            Converter::ByteArray
        }
        Some("AvroConverter" | "AWSKafkaAvroConverter") => Converter::Registry(SchemaType::Avro),
        Some("ProtobufConverter" | "ProtobufSchemaConverter") => {
            Converter::Registry(SchemaType::Protobuf)
        }
        Some("JsonSchemaConverter") => Converter::Registry(SchemaType::JsonSchema),
        _ => Converter::Json {
            schemas_enable: r.boolean(schemas_key).unwrap_or(true),
            replace_null_with_default: r
                .boolean(if key == "key.converter" {
                    "key.converter.replace.null.with.default"
                } else {
                    "value.converter.replace.null.with.default"
                })
                .unwrap_or(true),
        },
    }
}

/// The registry settings of a schema-registry converter (`key.converter.*` or
/// `value.converter.*`), with Confluent's key names.
fn registry_settings(r: &mut Reader<'_>, prefix: &'static str) -> Option<RegistrySettings> {
    let key = |suffix: &str| format!("{prefix}.{suffix}");
    let class = r.raw(prefix).unwrap_or_default();
    if let Some(converter) = GlueConverter::from_class(class) {
        // The Glue library's converters: schemas by version id from Glue, in the function's
        // region unless `region` says otherwise.
        let glue = GlueSettings {
            region: r.string(&key("region")).filter(|v| !v.is_empty()),
            endpoint: r.string(&key("endpoint")).filter(|v| !v.is_empty()),
            secondary: None,
            converter,
        };
        if let Some(e) = &glue.endpoint
            && reqwest::Url::parse(e).is_err()
        {
            r.error(&key("endpoint"), "is not a URL");
        }
        // The Glue deserializer hands a record whose first byte is not its header version
        // (3) to `secondaryDeserializer` when one is configured
        // (GlueSchemaRegistryKafkaDeserializer.deserializeByHeaderVersionByte): a topic then
        // mixes Glue- and Confluent-framed records, by the user's choice only.
        let secondary_key = key("secondaryDeserializer");
        let secondary = match r.string(&secondary_key).filter(|v| !v.is_empty()) {
            Some(class) if class.rsplit('.').next() == Some("KafkaAvroDeserializer") => {
                Some(Box::new(confluent_settings(r, prefix)))
            }
            Some(class) => {
                r.error(
                    &secondary_key,
                    format!("{class:?} is not supported: the secondary deserializer may be Confluent's io.confluent.kafka.serializers.KafkaAvroDeserializer (with schema.registry.url)"),
                );
                None
            }
            None => None,
        };
        let glue = GlueSettings { secondary, ..glue };
        return Some(RegistrySettings {
            urls: Vec::new(),
            auth: RegistryAuth::None,
            subject_strategy: SubjectStrategy::TopicName,
            avro: avro_data_options(r, prefix),
            json: JsonSchemaDataOptions::default(),
            glue: Some(glue),
        });
    }
    Some(confluent_settings(r, prefix))
}

/// The settings of a Confluent Schema Registry client, with Confluent's key names under
/// `prefix` (`key.converter` or `value.converter`).
fn confluent_settings(r: &mut Reader<'_>, prefix: &'static str) -> RegistrySettings {
    let key = |suffix: &str| format!("{prefix}.{suffix}");
    let url_key = key("schema.registry.url");
    let urls: Vec<String> = match r.string(&url_key) {
        Some(text) => split_list(&text),
        None => Vec::new(),
    };
    if urls.is_empty() {
        r.error(
            &url_key,
            "is required by the schema-registry converter: the registry's base URL",
        );
    }
    for u in &urls {
        match reqwest::Url::parse(u) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {}
            _ => r.error(
                &url_key,
                "each URL must be an http:// or https:// URL (the value is not shown: it may hold credentials)",
            ),
        }
    }
    let user_info = r
        .string(&key("basic.auth.user.info"))
        .or_else(|| r.string(&key("schema.registry.basic.auth.user.info")));
    let source_key = key("basic.auth.credentials.source");
    let source = r.string(&source_key).unwrap_or_else(|| "URL".to_owned());
    let mut auth = match source.to_ascii_uppercase().as_str() {
        "USER_INFO" => match user_info {
            Some(u) if !u.is_empty() => RegistryAuth::Basic(u),
            _ => {
                r.error(
                    &key("basic.auth.user.info"),
                    "is required with basic.auth.credentials.source=USER_INFO (user:password)",
                );
                RegistryAuth::None
            }
        },
        // Credentials in the URL are sent by the HTTP client as basic authentication.
        "URL" => RegistryAuth::None,
        "SASL_INHERIT" => {
            r.error(
                &source_key,
                "SASL_INHERIT is not supported: there is no Kafka client configuration to inherit from; use USER_INFO",
            );
            RegistryAuth::None
        }
        other => {
            r.error(
                &source_key,
                format!("{other:?} is not allowed; allowed: URL, USER_INFO"),
            );
            RegistryAuth::None
        }
    };
    let bearer_key = key("bearer.auth.credentials.source");
    if let Some(b) = r.string(&bearer_key).filter(|b| !b.is_empty()) {
        if b.eq_ignore_ascii_case("STATIC_TOKEN") {
            match r.string(&key("bearer.auth.token")) {
                Some(t) if !t.is_empty() => auth = RegistryAuth::Bearer(t),
                _ => r.error(
                    &key("bearer.auth.token"),
                    "is required with bearer.auth.credentials.source=STATIC_TOKEN",
                ),
            }
        } else {
            r.error(
                &bearer_key,
                format!("{b:?} is not supported; only STATIC_TOKEN (a fixed bearer token)"),
            );
        }
    }
    let strategy_key = if prefix == "key.converter" {
        "key.converter.key.subject.name.strategy"
    } else {
        "value.converter.value.subject.name.strategy"
    };
    let subject_strategy = match r.string(strategy_key) {
        Some(class) => SubjectStrategy::parse(&class).unwrap_or_else(|| {
            r.error(
                strategy_key,
                format!("{class:?} is not supported; allowed: TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy"),
            );
            SubjectStrategy::TopicName
        }),
        None => SubjectStrategy::TopicName,
    };
    let avro = avro_data_options(r, prefix);
    // ProtobufData options: only their defaults are implemented, and a record converted
    // under another value would be written differently, so any other value is refused.
    for (option, implemented) in [
        ("enhanced.protobuf.schema.support", "false"),
        ("int.for.enums", "false"),
        ("optional.for.nullables", "false"),
        ("optional.for.proto2", "true"),
        ("wrapper.for.nullables", "false"),
        ("wrapper.for.raw.primitives", "true"),
        ("generate.struct.for.nulls", "false"),
        ("generate.index.for.unions", "true"),
        ("flatten.unions", "false"),
    ] {
        let k = key(option);
        if let Some(v) = r.string(&k)
            && !v.eq_ignore_ascii_case(implemented)
        {
            r.error(
                &k,
                format!("{v:?} is not supported: ProtobufConverter is read as ProtobufData does with {option}={implemented}"),
            );
        }
    }
    let json_defaults = JsonSchemaDataOptions::default();
    let json = JsonSchemaDataOptions {
        use_optional_for_nonrequired: r
            .boolean(&key("use.optional.for.nonrequired"))
            .unwrap_or(json_defaults.use_optional_for_nonrequired),
        flatten_singleton_unions: avro.flatten_singleton_unions,
    };
    RegistrySettings {
        urls,
        auth,
        subject_strategy,
        avro,
        json,
        glue: None,
    }
}

/// `AvroData`'s options under a converter prefix.
fn avro_data_options(r: &mut Reader<'_>, prefix: &str) -> AvroDataOptions {
    let key = |suffix: &str| format!("{prefix}.{suffix}");
    let defaults = AvroDataOptions::default();
    let avro = AvroDataOptions {
        connect_meta_data: r
            .boolean(&key("connect.meta.data"))
            .unwrap_or(defaults.connect_meta_data),
        enhanced_schema_support: r
            .boolean(&key("enhanced.avro.schema.support"))
            .unwrap_or(defaults.enhanced_schema_support),
        flatten_singleton_unions: r
            .boolean(&key("flatten.singleton.unions"))
            .unwrap_or(defaults.flatten_singleton_unions),
        discard_type_doc_default: r
            .boolean(&key("discard.type.doc.default"))
            .unwrap_or(defaults.discard_type_doc_default),
    };
    if r.boolean(&key("generalized.sum.type.support")) == Some(true) {
        r.error(
            &key("generalized.sum.type.support"),
            "true is not supported: unions and enums are read as AvroData's default names them",
        );
    }
    avro
}

fn time_based(
    r: &mut Reader<'_>,
    warnings: &mut Vec<String>,
    kind: TimeBasedKind,
    layout: &KeyLayout,
    timezone: Option<Zone>,
    locale: Option<Locale>,
) -> Partitioner {
    let delim = layout.directory_delim.as_str();
    let class = match kind {
        TimeBasedKind::TimeBased => "TimeBasedPartitioner",
        TimeBasedKind::Hourly => "HourlyPartitioner",
        TimeBasedKind::Daily => "DailyPartitioner",
    };
    let path_format = match TimeBasedPartitioner::fixed_path_format(kind, delim) {
        Some(fixed) => {
            if r.raw("path.format").is_some() {
                warnings.push(format!(
                    "path.format is ignored: {class} always uses {fixed:?}"
                ));
            }
            fixed
        }
        None => {
            let p = r.string("path.format").unwrap_or_default();
            if p.is_empty() {
                r.error("path.format", "is required by TimeBasedPartitioner (a Joda-Time pattern such as 'year'=YYYY/'month'=MM/'day'=dd)");
            }
            p
        }
    };
    let duration = match TimeBasedPartitioner::fixed_duration_ms(kind) {
        Some(fixed) => {
            if r.raw("partition.duration.ms").is_some() {
                warnings.push(format!(
                    "partition.duration.ms is ignored: {class} always uses {fixed}"
                ));
            }
            fixed
        }
        None => match r.raw("partition.duration.ms") {
            None => {
                r.error(
                    "partition.duration.ms",
                    "is required by TimeBasedPartitioner (milliseconds, e.g. 86400000 for days)",
                );
                1
            }
            Some(_) => match r.parse::<i64>("partition.duration.ms", "an integer (milliseconds)") {
                Some(n) if n > 0 => n,
                Some(n) => {
                    r.error("partition.duration.ms", format!("{n} must be positive"));
                    1
                }
                None => 1,
            },
        },
    };
    if r.raw("timezone").is_none_or(str::is_empty) {
        r.error(
            "timezone",
            format!("is required by {class} (a tz database id such as UTC or Asia/Seoul, or an offset such as +09:00)"),
        );
    }
    if r.raw("locale").is_none_or(str::is_empty) {
        r.error(
            "locale",
            format!("is required by {class} (a Java locale id such as en, de, ko or en_US)"),
        );
    }
    match TimeBasedPartitioner::new(
        kind,
        &path_format,
        delim,
        duration,
        timezone.unwrap_or(Zone::UTC),
        locale.unwrap_or_else(Locale::root),
    ) {
        Ok(p) => Partitioner::Time(p),
        Err(e) => {
            if !path_format.is_empty() {
                r.error("path.format", e.to_string());
            }
            Partitioner::Default(DefaultPartitioner)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_raw(&RawConfig::from_pairs(pairs.iter().copied()))
    }

    fn messages(err: ConfigError) -> Vec<String> {
        err.errors
            .into_iter()
            .map(|e| format!("{}: {}", e.key, e.message))
            .collect()
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c = config(&[("flush.size", "3")]).unwrap();
        assert_eq!(c.flush_size, 3);
        assert_eq!(c.layout, KeyLayout::default());
        assert_eq!(
            c.value_converter,
            Converter::Json {
                schemas_enable: true,
                replace_null_with_default: true
            }
        );
        assert!(matches!(c.partitioner, Partitioner::Default(_)));
        assert!(
            c.effective
                .contains(&("topics.dir".into(), "topics".into()))
        );
    }

    #[test]
    fn protobuf_data_options_other_than_the_defaults_are_refused() {
        let base = [
            ("flush.size", "100"),
            (
                "value.converter",
                "io.confluent.connect.protobuf.ProtobufConverter",
            ),
            (
                "value.converter.schema.registry.url",
                "http://127.0.0.1:8081",
            ),
        ];
        let ok = config(&[&base[..], &[("value.converter.int.for.enums", "false")]].concat());
        assert!(ok.is_ok(), "{:#?}", ok.err().map(messages));
        let m = messages(
            config(&[&base[..], &[("value.converter.int.for.enums", "true")]].concat())
                .unwrap_err(),
        );
        assert!(
            m.iter()
                .any(|e| e.starts_with("value.converter.int.for.enums: \"true\" is not supported")),
            "{m:#?}"
        );
    }

    #[test]
    fn errors_name_every_bad_key() {
        let err = config(&[
            ("flush.size", "0"),
            ("flush.sise", "1"),
            (
                "partitioner.class",
                "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
            ),
            ("path.format", "dt=${value}"),
            ("timezone", "Mars/Olympus"),
            ("value.converter", "AvroConverter"),
        ])
        .unwrap_err();
        let m = messages(err);
        assert!(
            m.iter().any(|e| e == "flush.size: 0 must be at least 1"),
            "{m:#?}"
        );
        assert!(
            m.iter()
                .any(|e| e.starts_with("flush.sise: unknown key (did you mean \"flush.size\"?)")),
            "{m:#?}"
        );
        assert!(
            m.iter()
                .any(|e| e.starts_with("timezone: \"Mars/Olympus\"")),
            "{m:#?}"
        );
        assert!(m.iter().any(|e| e.starts_with("path.format: ")), "{m:#?}");
        assert!(
            m.iter()
                .any(|e| e.starts_with("partition.duration.ms: is required")),
            "{m:#?}"
        );
        assert!(
            m.iter().any(|e| e.starts_with("locale: is required")),
            "{m:#?}"
        );
        assert!(
            m.iter().any(|e| e == "value.converter.schema.registry.url: is required by the schema-registry converter: the registry's base URL"),
            "{m:#?}"
        );
    }

    #[test]
    fn ignored_keys_are_listed_and_secrets_redacted() {
        let c = config(&[
            ("flush.size", "1"),
            ("connector.class", "io.confluent.connect.s3.S3SinkConnector"),
            ("aws.secret.access.key", "abc"),
            ("consumer.override.max.poll.records", "10"),
        ])
        .unwrap();
        let names: Vec<_> = c.ignored.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "aws.secret.access.key",
                "connector.class",
                "consumer.override.max.poll.records"
            ]
        );
        assert!(!c.effective.iter().any(|(_, v)| v == "abc"));
    }

    #[test]
    fn glue_converters_read_their_data_format() {
        for (class, converter) in [
            (
                "com.amazonaws.services.schemaregistry.kafkaconnect.AWSKafkaAvroConverter",
                GlueConverter::Avro,
            ),
            (
                "com.amazonaws.services.schemaregistry.kafkaconnect.jsonschema.JsonSchemaConverter",
                GlueConverter::JsonSchema,
            ),
            (
                "com.amazonaws.services.schemaregistry.kafkaconnect.protobuf.ProtobufSchemaConverter",
                GlueConverter::Protobuf,
            ),
        ] {
            let c = config(&[
                ("flush.size", "1"),
                ("value.converter", class),
                ("value.converter.region", "eu-west-1"),
                ("value.converter.dataFormat", "JSON"),
            ])
            .unwrap();
            assert_eq!(
                c.value_converter,
                Converter::Registry(converter.schema_type()),
                "{class}"
            );
            let glue = c.value_registry.unwrap().glue.unwrap();
            assert_eq!(glue.converter, converter, "{class}");
            assert_eq!(glue.region.as_deref(), Some("eu-west-1"));
            assert!(
                c.ignored
                    .iter()
                    .any(|(k, _)| k == "value.converter.dataFormat")
            );
            assert!(
                !c.warnings
                    .iter()
                    .any(|w| w.contains("secondaryDeserializer")),
                "{:?}",
                c.warnings
            );
        }
        // The secondary deserializer (mixed framing) needs the Confluent registry's URL.
        let glue_avro = (
            "value.converter",
            "com.amazonaws.services.schemaregistry.kafkaconnect.AWSKafkaAvroConverter",
        );
        let secondary = (
            "value.converter.secondaryDeserializer",
            "io.confluent.kafka.serializers.KafkaAvroDeserializer",
        );
        let e = config(&[("flush.size", "1"), glue_avro, secondary]).unwrap_err();
        assert!(
            e.to_string()
                .contains("value.converter.schema.registry.url"),
            "{e}"
        );
        let c = config(&[
            ("flush.size", "1"),
            glue_avro,
            secondary,
            (
                "value.converter.schema.registry.url",
                "http://registry:8081",
            ),
        ])
        .unwrap();
        let glue = c.value_registry.unwrap().glue.unwrap();
        assert_eq!(
            glue.secondary.map(|s| s.urls),
            Some(vec!["http://registry:8081".to_owned()])
        );
        // Confluent's converter of the same short name stays Confluent's.
        let c = config(&[
            ("flush.size", "1"),
            (
                "value.converter",
                "io.confluent.connect.json.JsonSchemaConverter",
            ),
            (
                "value.converter.schema.registry.url",
                "http://registry:8081",
            ),
        ])
        .unwrap();
        assert!(c.value_registry.unwrap().glue.is_none());
    }

    #[test]
    fn wallclock_warns() {
        let c = config(&[("flush.size", "1"), ("timestamp.extractor", "Wallclock")]).unwrap();
        assert!(
            c.warnings
                .iter()
                .any(|w| w.contains("exactly-once does not hold"))
        );
    }

    #[test]
    fn short_and_full_class_names() {
        for name in [
            "HourlyPartitioner",
            "io.confluent.connect.storage.partitioner.HourlyPartitioner",
        ] {
            let c = config(&[
                ("flush.size", "1"),
                ("partitioner.class", name),
                ("timezone", "UTC"),
                ("locale", "en_US"),
            ])
            .unwrap();
            assert_eq!(
                c.partitioner.class_name(),
                "io.confluent.connect.storage.partitioner.HourlyPartitioner"
            );
        }
    }

    #[test]
    fn topics_filter() {
        let c = config(&[("flush.size", "1"), ("topics", "a, b")]).unwrap();
        assert!(c.topics.allows("a") && c.topics.allows("b") && !c.topics.allows("c"));
        let c = config(&[("flush.size", "1"), ("topics.regex", "orders-.*")]).unwrap();
        assert!(c.topics.allows("orders-eu") && !c.topics.allows("x-orders-eu"));
    }
}

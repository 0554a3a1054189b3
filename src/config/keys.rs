//! The table of configuration keys this sink knows: the single source for validation, for
//! `check`, and for the README's configuration table.

/// What a key does here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    /// Read and validated; it changes what the sink does.
    Used,
    /// Accepted for compatibility with pasted connector configs, without effect here; listed
    /// once at cold start. The text says why.
    Ignored(&'static str),
}

/// One known key.
#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    pub name: &'static str,
    /// The default as Confluent spells it; `None` when there is none (required or unset).
    pub default: Option<&'static str>,
    pub meaning: &'static str,
    /// How this sink differs from the Confluent connector, if it does.
    pub difference: Option<&'static str>,
    pub role: KeyRole,
}

const fn used(
    name: &'static str,
    default: Option<&'static str>,
    meaning: &'static str,
    difference: Option<&'static str>,
) -> KeySpec {
    KeySpec {
        name,
        default,
        meaning,
        difference,
        role: KeyRole::Used,
    }
}

const fn ignored(name: &'static str, why: &'static str) -> KeySpec {
    KeySpec {
        name,
        default: None,
        meaning: why,
        difference: None,
        role: KeyRole::Ignored(why),
    }
}

const NOT_IN_LAMBDA: &str = "Kafka Connect worker setting; the event-source mapping does this job";
const CREDENTIALS: &str = "credentials come from the function's IAM role, never from config";

/// Every key the sink accepts, in README order.
pub const KEYS: &[KeySpec] = &[
    used(
        "topics",
        None,
        "Comma-separated topics this sink expects; a record of any other topic fails the invocation.",
        Some("Optional: the event-source mapping chooses the topics."),
    ),
    used(
        "topics.regex",
        None,
        "Regular expression the topics must match, instead of `topics`.",
        Some("Optional, as `topics`."),
    ),
    used(
        "topics.dir",
        Some("topics"),
        "Top-level prefix of every object key.",
        None,
    ),
    used(
        "directory.delim",
        Some("/"),
        "Delimiter between key segments.",
        None,
    ),
    used(
        "file.delim",
        Some("+"),
        "Delimiter between topic, partition and offset in file names.",
        None,
    ),
    used(
        "filename.offset.zero.pad.width",
        Some("10"),
        "Zero-padding width of the start offset in file names.",
        None,
    ),
    used(
        "flush.size",
        None,
        "Required. Offsets are cut into cells [kF, (k+1)F); a file never spans two cells.",
        Some(
            "A file also never spans two invocations: a batch smaller than F gives smaller files (see docs/semantics.md).",
        ),
    ),
    used(
        "rotate.interval.ms",
        Some("-1"),
        "If > 0, record time is cut into aligned windows [jR, (j+1)R); a file never spans two windows.",
        Some(
            "Windows are aligned to the epoch and use the configured timestamp extractor with any partitioner.",
        ),
    ),
    used(
        "rotate.schedule.interval.ms",
        Some("-1"),
        "Accepted: every invocation closes all of its files, so no file stays open longer than one batch.",
        Some("Needs no timer here."),
    ),
    used(
        "format.class",
        Some("JsonFormat"),
        "Output format: `JsonFormat`, `ParquetFormat`, `AvroFormat` or `ByteArrayFormat` (`io.confluent.connect.s3.format.*`; short names accepted).",
        Some("Confluent has no default."),
    ),
    used(
        "store.kafka.keys",
        Some("false"),
        "Write each data file's record keys to a sidecar beside it (`orders+0+0000000000.keys.avro`), in record order.",
        None,
    ),
    used(
        "keys.format.class",
        Some("AvroFormat"),
        "Format of the key sidecar: `AvroFormat`, `JsonFormat` or `ParquetFormat`.",
        None,
    ),
    used(
        "store.kafka.headers",
        Some("false"),
        "Write each data file's record headers to a sidecar (`.headers.avro`): per record a list of `{key, value}`, values as UTF-8 text or base64 with `base64: true`.",
        Some("The header layout is this sink's."),
    ),
    used(
        "headers.format.class",
        Some("AvroFormat"),
        "Format of the header sidecar: `AvroFormat`, `JsonFormat` or `ParquetFormat`.",
        None,
    ),
    used(
        "format.envelope",
        Some("false"),
        "Write every record as `{topic, partition, offset, timestamp, key, headers, value}` in the configured format, one line or row per record, so query engines see keys and headers beside values.",
        Some("This sink's own key."),
    ),
    used(
        "parquet.codec",
        Some("snappy"),
        "ParquetFormat compression: `snappy`, `gzip`, `zstd`, `lz4`, `none` (`.snappy.parquet`, `.gz.parquet`, ...).",
        Some("Also writes schemaless JSON, with a schema inferred per file (see README)."),
    ),
    used(
        "avro.codec",
        Some("null"),
        "AvroFormat compression: `null`, `deflate`, `snappy`, `zstandard`.",
        Some(
            "Also writes schemaless JSON, with a schema inferred per file; the sync marker is derived from the object key, so replays are byte-identical.",
        ),
    ),
    used(
        "format.bytearray.separator",
        Some("\\n"),
        "ByteArrayFormat: bytes written after each raw value.",
        None,
    ),
    used(
        "format.bytearray.extension",
        Some(".bin"),
        "ByteArrayFormat: the file extension.",
        None,
    ),
    used(
        "s3.compression.type",
        Some("none"),
        "`none` or `gzip` (`.json.gz`, gzip header without a timestamp).",
        None,
    ),
    used(
        "s3.compression.level",
        Some("-1"),
        "gzip level 0-9; -1 is the default level (6).",
        None,
    ),
    used(
        "key.converter",
        Some("JsonConverter"),
        "Converter for record keys: JsonConverter, StringConverter, ByteArrayConverter. Keys are only converted when they are written.",
        None,
    ),
    used(
        "key.converter.schemas.enable",
        Some("true"),
        "JsonConverter keys carry a `{schema, payload}` envelope.",
        None,
    ),
    used(
        "value.converter",
        Some("JsonConverter"),
        "Converter for record values: JsonConverter, StringConverter, ByteArrayConverter.",
        None,
    ),
    used(
        "value.converter.schemas.enable",
        Some("true"),
        "JsonConverter values carry a `{schema, payload}` envelope.",
        None,
    ),
    used(
        "partitioner.class",
        Some("DefaultPartitioner"),
        "DefaultPartitioner, FieldPartitioner, TimeBasedPartitioner, HourlyPartitioner, DailyPartitioner (short or full class names).",
        None,
    ),
    used(
        "partition.field.name",
        None,
        "FieldPartitioner: comma-separated field names; dots reach nested fields.",
        Some(
            "Works on schemaless JSON too; unsafe characters in values are %-escaped (see README).",
        ),
    ),
    used(
        "path.format",
        None,
        "TimeBasedPartitioner: Joda-Time pattern of the path, e.g. `'year'=YYYY/'month'=MM/'day'=dd`.",
        None,
    ),
    used(
        "partition.duration.ms",
        None,
        "TimeBasedPartitioner: duration of one path bucket, floored in `timezone`.",
        None,
    ),
    used(
        "timezone",
        None,
        "Time zone of time-based paths and zone-less RecordField strings: what Joda's `DateTimeZone.forID` accepts, a tz database id (`Asia/Seoul`, `UTC`; case-sensitive) or a fixed offset (`+09:00`, `-05:30`, `+09`, `UTC+09:00`); required by time-based partitioners.",
        Some(
            "Offsets with a fraction of a second are refused; `ZZZ` prints a backward-link id (`US/Eastern`) as configured, where Joda prints its target.",
        ),
    ),
    used(
        "locale",
        None,
        "Locale of text fields (`MMMM`, `EEE`, `a`, `G`) in time-based paths, read as the connector's `new Locale(value)`: a bare language (`de`, `ko`, `ja`) gives its CLDR names; a value with a region (`ko_KR`, `en-US`) is an unknown language to Java and gives the JDK root text (`Oct`, `Sun`, `PM`, `CE`), as the connector writes (warned at cold start); required by time-based partitioners.",
        Some(
            "An unknown language (`xx`) is an error, not root text. Names are current CLDR's; the JDK 17's CLDR 39 differs for a few languages (docs/locale-and-timezone.md).",
        ),
    ),
    used(
        "timestamp.extractor",
        Some("Record"),
        "`Record` (Kafka timestamp), `RecordField` (`timestamp.field`) or `Wallclock` (breaks exactly-once; warned at cold start).",
        Some("Confluent's default is Wallclock; here it is Record, so retries are deterministic."),
    ),
    used(
        "timestamp.field",
        Some("timestamp"),
        "RecordField: the field holding the time, dotted for nested fields: epoch millis, ISO-8601, or `timestamp.parser` text.",
        None,
    ),
    used(
        "timestamp.parser",
        None,
        "RecordField: Joda-Time pattern for string times (e.g. `yyyy-MM-dd`, `yyyyMMdd`); without it strings are ISO-8601. A string without a zone is a time in `timezone`.",
        Some("Zone-less strings are read in `timezone`, not in the JVM's zone."),
    ),
    used(
        "behavior.on.null.values",
        Some("fail"),
        "Tombstones (null values) left after the transforms: `fail` the invocation, `ignore` them (counted as dropped by rule), or `write` them as `null` under the `tombstone` partition path (needs `store.kafka.keys=true`).",
        None,
    ),
    used(
        "errors.tolerance",
        Some("none"),
        "`none`: a bad record fails the invocation with its topic, partition, offset and reason. `all`: it goes to `errors.prefix` with that reason and the others are written.",
        None,
    ),
    used(
        "errors.prefix",
        None,
        "With `errors.tolerance=all`: where failed records go, one JSON object per offset cell named like a data file; default `{topics.dir}/_errors`.",
        Some("This sink's own key; Connect's dead-letter queue is a topic."),
    ),
    used(
        "schema.compatibility",
        Some("NONE"),
        "NONE, BACKWARD, FORWARD, FULL. Accepted; JSON output does not rotate on schema changes.",
        None,
    ),
    used(
        "storage.class",
        Some("S3Storage"),
        "`io.confluent.connect.s3.storage.S3Storage`, or `LocalStorage` to write to `local.dir`. `replay --local-dir` overrides both.",
        Some("`LocalStorage` is this sink's own."),
    ),
    used(
        "local.dir",
        None,
        "With `storage.class=LocalStorage`: the directory used as the bucket.",
        Some("This sink's own key."),
    ),
    used(
        "s3.bucket.name",
        None,
        "The bucket; required when writing to S3.",
        None,
    ),
    used(
        "s3.region",
        None,
        "Region of the bucket; defaults to the function's region (`AWS_REGION`).",
        None,
    ),
    used(
        "store.url",
        None,
        "Endpoint of an S3-compatible server (`http://127.0.0.1:9000`). `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` also work.",
        None,
    ),
    used(
        "s3.path.style.access.enabled",
        Some("true"),
        "Address the bucket in the path rather than the host name.",
        None,
    ),
    used(
        "s3.part.size",
        Some("26214400"),
        "Objects of this size or more are uploaded in parts of this size (multipart upload, aborted on failure); at least 5 MiB.",
        None,
    ),
    used(
        "s3.ssea.name",
        Some(""),
        "Server-side encryption: empty, `AES256` or `aws:kms`.",
        None,
    ),
    used(
        "s3.sse.kms.key.id",
        None,
        "KMS key id or ARN with `s3.ssea.name=aws:kms`; empty uses the AWS managed key.",
        None,
    ),
    used(
        "s3.acl.canned",
        None,
        "Canned ACL for every object, e.g. `bucket-owner-full-control` (needs `s3:PutObjectAcl`).",
        None,
    ),
    used(
        "s3.object.tagging",
        Some("false"),
        "Tag objects with `startOffset`, `endOffset` and `recordCount`.",
        None,
    ),
    used(
        "s3.retry.backoff.ms",
        Some("200"),
        "Initial backoff of the SDK's retries.",
        None,
    ),
    used(
        "s3.part.retries",
        Some("3"),
        "Retries per S3 request (the SDK makes up to this + 1 attempts).",
        None,
    ),
    used(
        "lambda.upload.concurrency",
        Some("8"),
        "Uploads in flight at once within one invocation (1-64).",
        Some("This sink's own key."),
    ),
    used(
        "lambda.deadline.margin.ms",
        Some("3000"),
        "No upload starts when less than this remains before the invocation's deadline; the invocation then fails cleanly and is retried.",
        Some("This sink's own key."),
    ),
    used(
        "lambda.partial.batch.response",
        Some("false"),
        "Return `batchItemFailures` naming each failed partition's first offset, so the other partitions of the batch commit. Only together with `FunctionResponseTypes: [ReportBatchItemFailures]` on the mapping: without it Lambda ignores the list and the failed records are skipped.",
        Some("This sink's own key."),
    ),
    ignored("name", "connector name; the function name plays this role"),
    ignored("connector.class", NOT_IN_LAMBDA),
    ignored(
        "tasks.max",
        "concurrency comes from the event-source mapping (one invocation per partition batch)",
    ),
    ignored("header.converter", "headers are kept as bytes"),
    ignored("aws.access.key.id", CREDENTIALS),
    ignored("aws.secret.access.key", CREDENTIALS),
    ignored("s3.credentials.provider.class", CREDENTIALS),
    ignored("errors.log.enable", "every error is logged"),
    ignored("errors.log.include.messages", "messages are never logged"),
    ignored(
        "errors.deadletterqueue.topic.name",
        "use the event-source mapping's on-failure destination",
    ),
    ignored(
        "errors.deadletterqueue.topic.replication.factor",
        "use the event-source mapping's on-failure destination",
    ),
    ignored(
        "errors.deadletterqueue.context.headers.enable",
        "use the event-source mapping's on-failure destination",
    ),
    ignored(
        "errors.retry.timeout",
        "the event-source mapping retries failed batches",
    ),
    ignored(
        "errors.retry.delay.max.ms",
        "the event-source mapping retries failed batches",
    ),
    ignored("retry.backoff.ms", NOT_IN_LAMBDA),
    ignored("shutdown.timeout.ms", NOT_IN_LAMBDA),
    ignored("config.action.reload", NOT_IN_LAMBDA),
    ignored("s3.wan.mode", "the SDK's endpoint resolution applies"),
    ignored("s3.ssl.key.password", CREDENTIALS),
    ignored("s3.proxy.url", "the Lambda network configuration applies"),
    ignored("s3.proxy.user", "the Lambda network configuration applies"),
    ignored("s3.proxy.password", CREDENTIALS),
    ignored("s3.http.send.expect.continue", "the SDK decides"),
    ignored("schema.generator.class", "deprecated in Confluent"),
    ignored(
        "key.converter.schema.registry.url",
        "schema-registry converters are not supported yet",
    ),
    ignored(
        "value.converter.schema.registry.url",
        "schema-registry converters are not supported yet",
    ),
];

/// Prefixes whose keys are worker or client settings with no meaning here.
pub const IGNORED_PREFIXES: &[(&str, &str)] = &[
    ("consumer.override.", NOT_IN_LAMBDA),
    ("producer.override.", NOT_IN_LAMBDA),
    ("admin.override.", NOT_IN_LAMBDA),
    (
        "errors.deadletterqueue.",
        "use the event-source mapping's on-failure destination",
    ),
];

/// Whether a key's value must never be printed.
pub fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "secret",
        "password",
        "jaas",
        "access.key",
        "session.token",
        "sse.customer.key",
    ]
    .iter()
    .any(|s| k.contains(s))
}

/// The known key with this name.
pub fn spec(name: &str) -> Option<&'static KeySpec> {
    KEYS.iter().find(|k| k.name == name)
}

/// The known key closest to an unknown one, when close enough to be a likely typo.
pub fn suggestion(unknown: &str) -> Option<&'static str> {
    KEYS.iter()
        .map(|k| (edit_distance(unknown, k.name), k.name))
        .filter(|(d, name)| *d <= 3.max(name.len() / 6))
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The configuration table of the README, generated from [`KEYS`] so docs match code.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| key | default | meaning | difference from Confluent |\n|---|---|---|---|\n",
    );
    for k in KEYS {
        let meaning = match k.role {
            KeyRole::Used => k.meaning.to_owned(),
            KeyRole::Ignored(why) => format!("Accepted and ignored: {why}."),
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            k.name,
            k.default.map_or("".to_owned(), |d| format!("`{d}`")),
            meaning.replace('|', "\\|"),
            k.difference.unwrap_or("").replace('|', "\\|"),
        ));
    }
    out
}

/// The key table as JSON, for tools outside the crate that validate a config before deploying
/// (the CDK construct): every key with its role, plus the prefixes whose keys are accepted.
/// Generated from [`KEYS`] and [`IGNORED_PREFIXES`], so there is one source of truth.
pub fn json_description() -> serde_json::Value {
    let keys: Vec<serde_json::Value> = KEYS
        .iter()
        .map(|k| {
            let (role, ignored_because) = match k.role {
                KeyRole::Used => ("used", None),
                KeyRole::Ignored(why) => ("ignored", Some(why)),
            };
            serde_json::json!({
                "name": k.name,
                "default": k.default,
                "role": role,
                "ignoredBecause": ignored_because,
                "secret": is_secret(k.name),
                "meaning": k.meaning,
                "difference": k.difference,
            })
        })
        .collect();
    let ignored_prefixes: Vec<serde_json::Value> = IGNORED_PREFIXES
        .iter()
        .map(|(p, why)| serde_json::json!({ "prefix": p, "ignoredBecause": why }))
        .collect();
    serde_json::json!({
        "keys": keys,
        "ignoredPrefixes": ignored_prefixes,
        // Validated by the transform chain and the converters themselves, not by name here.
        "openPrefixes": ["transforms.", "predicates.", "key.converter.", "value.converter.", "header.converter."],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_has_the_current_table() {
        let readme = include_str!("../../README.md");
        assert!(
            readme.contains(&markdown_table()),
            "README.md's configuration table is stale: paste the output of `kafka-s3-sink keys`"
        );
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = KEYS.iter().map(|k| k.name).collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn typos_get_suggestions() {
        assert_eq!(suggestion("flush.sise"), Some("flush.size"));
        assert_eq!(suggestion("partitioner.clas"), Some("partitioner.class"));
        assert_eq!(suggestion("completely.different.thing"), None);
    }

    #[test]
    fn secrets_are_recognised() {
        assert!(is_secret("aws.secret.access.key"));
        assert!(is_secret("aws.access.key.id"));
        assert!(is_secret("s3.proxy.password"));
        assert!(!is_secret("flush.size"));
    }
}

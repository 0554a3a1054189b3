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
const HIVE: &str = "Hive integration is not part of this sink; a Glue crawler or Athena partition projection reads the layout";
const NO_PART_BUFFER: &str =
    "each file is encoded in memory within one invocation; there is no part buffer to grow";
const AVRO_DATA: &str =
    "an AvroData option of the schema-registry converters, which are not supported yet";

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
        "Format of the key sidecar: `AvroFormat`, `JsonFormat`, `ParquetFormat` or `ByteArrayFormat` (the raw key bytes, each followed by `format.bytearray.separator`).",
        None,
    ),
    used(
        "store.kafka.headers",
        Some("false"),
        "Write each data file's record headers to a sidecar (`.headers.avro`) in Confluent's layout: per record an array of `{key, value}` strings (enveloped as `{\"headers\": [...]}` in JSON and Parquet). A header with a null value is a record error, as in Confluent.",
        Some(
            "Header values are their UTF-8 text (invalid bytes become U+FFFD); Confluent re-renders values its SimpleHeaderConverter can parse (`007` becomes `7`). A record without headers gets an empty list, and a null key a `null` key, where Confluent fails the record.",
        ),
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
        "ParquetFormat compression: `snappy`, `gzip`, `zstd`, `lz4`, `lz4_raw`, `brotli`, `none`; the extension is parquet-java's (`.snappy.parquet`, `.gz.parquet`, `.zstd.parquet`, `.lz4hadoop.parquet`, `.lz4raw.parquet`, `.br.parquet`, `.parquet`).",
        Some(
            "Also writes schemaless JSON, with a schema inferred per file (see README). `lzo` is refused at cold start: it needs Hadoop's native library.",
        ),
    ),
    used(
        "avro.codec",
        Some("null"),
        "AvroFormat compression: `null`, `deflate`, `snappy`, `bzip2`, and `zstandard`.",
        Some(
            "Also writes schemaless JSON, with a schema inferred per file; the sync marker is derived from the object key, so replays are byte-identical.",
        ),
    ),
    used(
        "format.bytearray.separator",
        Some("\\n"),
        "ByteArrayFormat: bytes written after each raw value, exactly as given (whitespace kept; JSON and `.properties` escapes such as `\\n` are read by their parsers, and in an `S3_SINK_*` variable `\\n`, `\\r`, `\\t`, `\\\\` are unescaped).",
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
        "`none` or `gzip`, for JsonFormat and ByteArrayFormat (`.json.gz`, `.bin.gz`; gzip header without a timestamp).",
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
        "Converter for record keys: JsonConverter, StringConverter, ByteArrayConverter, AvroConverter, ProtobufConverter, JsonSchemaConverter (Confluent Schema Registry), AWSKafkaAvroConverter, jsonschema.JsonSchemaConverter, protobuf.ProtobufSchemaConverter (AWS Glue Schema Registry, com.amazonaws.services.schemaregistry.kafkaconnect). Keys are only converted when they are written.",
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
        "Converter for record values: JsonConverter, StringConverter, ByteArrayConverter, AvroConverter, ProtobufConverter, JsonSchemaConverter (Confluent Schema Registry), AWSKafkaAvroConverter, jsonschema.JsonSchemaConverter, protobuf.ProtobufSchemaConverter (AWS Glue Schema Registry, com.amazonaws.services.schemaregistry.kafkaconnect).",
        None,
    ),
    used(
        "value.converter.schemas.enable",
        Some("true"),
        "JsonConverter values carry a `{schema, payload}` envelope.",
        None,
    ),
    used(
        "key.converter.replace.null.with.default",
        Some("true"),
        "JsonConverter keys with schemas: a null or missing field that has a schema default takes the default (Kafka 3.5+).",
        None,
    ),
    used(
        "value.converter.replace.null.with.default",
        Some("true"),
        "JsonConverter values with schemas: a null or missing field that has a schema default takes the default (Kafka 3.5+).",
        None,
    ),
    used(
        "key.converter.encoding",
        Some("UTF-8"),
        "StringConverter keys: the charset; only UTF-8 (invalid bytes become U+FFFD, as Java decodes them).",
        Some("Other charsets fail at cold start."),
    ),
    used(
        "value.converter.encoding",
        Some("UTF-8"),
        "StringConverter values: the charset; only UTF-8 (invalid bytes become U+FFFD, as Java decodes them).",
        Some("Other charsets fail at cold start."),
    ),
    ignored(
        "key.converter.decimal.format",
        "it changes only what JsonConverter writes; JSON output follows `json.decimal.format`",
    ),
    ignored(
        "value.converter.decimal.format",
        "it changes only what JsonConverter writes; JSON output follows `json.decimal.format`",
    ),
    ignored(
        "key.converter.schemas.cache.size",
        "Connect schemas come with each record; there is no schema cache to size",
    ),
    ignored(
        "value.converter.schemas.cache.size",
        "Connect schemas come with each record; there is no schema cache to size",
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
        "FieldPartitioner: comma-separated field names; dots reach nested fields. A null field, or one missing under a null parent, is `name=null`; a field the value's schema does not declare is a record error.",
        Some(
            "Works on schemaless JSON too (an absent field is `name=null`), and on float fields; unsafe characters in values are %-escaped (see README).",
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
        "RecordField: the field holding the time, dotted for nested fields: epoch millis (a number, or a string of digits), ISO-8601 text, or `timestamp.parser` text.",
        None,
    ),
    used(
        "timestamp.parser",
        None,
        "RecordField: Joda-Time pattern for string times (e.g. `yyyy-MM-dd`, `yyyyMMdd`); it then applies to every string, digits included. Without it a string of digits is epoch milliseconds and any other string ISO-8601. A string without a zone is a time in `timezone`.",
        Some(
            "This sink's own key: Confluent has none. Zone-less strings are read in `timezone`, not in the JVM's zone.",
        ),
    ),
    used(
        "rotate.file.on.partition.change",
        Some("true"),
        "With `rotate.interval.ms` set: a file ends where the encoded partition changes between consecutive records, as Confluent's `TopicPartitionWriter` rotates (files are then runs of consecutive records, see docs/semantics.md). Transitions to and from the tombstone partition do not rotate.",
        None,
    ),
    used(
        "tombstone.encoded.partition",
        Some("tombstone"),
        "With `behavior.on.null.values=write`: the partition path of tombstones. Only key (and header) sidecars are written there, no value file.",
        None,
    ),
    used(
        "s3.schema.partition.affix.type",
        Some("NONE"),
        "`PREFIX` or `SUFFIX`: add `schema_name=<value schema name>` before or after the encoded partition (`schema_name=null` for schemaless records), so each schema gets its own directory.",
        None,
    ),
    used(
        "json.decimal.format",
        Some("BASE64"),
        "JsonFormat: Connect decimals written as base64 of the unscaled value (`BASE64`) or as JSON numbers (`NUMERIC`).",
        None,
    ),
    used(
        "behavior.on.null.values",
        Some("fail"),
        "Tombstones (null values) left after the transforms: `fail` the invocation, `ignore` them (counted as dropped by rule), or `write` them as `null` under the `tombstone` partition path (needs `store.kafka.keys=true`).",
        None,
    ),
    used(
        "report.null.values.to.dlq",
        Some("true"),
        "With `behavior.on.null.values=ignore` and `errors.tolerance=all`: tombstones go to `errors.prefix` (this sink's dead-letter queue) instead of being dropped.",
        Some("The dead-letter queue is the error prefix in the bucket."),
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
        "NONE, BACKWARD, FORWARD, FULL. Every format starts a new file when the value schema changes (schemaless to schema'd included).",
        Some(
            "Any schema change rotates, whatever the mode; records are never projected to another schema version. Unknown values fail at cold start (Confluent falls back to NONE).",
        ),
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
        "Endpoint of an S3-compatible server (`http://127.0.0.1:9000`); `https://` is assumed without a scheme, as Confluent does. `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` also work.",
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
        "Server-side encryption: empty, `AES256`, `aws:kms` or `aws:kms:dsse`. With `AES256` and `s3.sse.customer.key`, SSE-C.",
        Some(
            "`aws:kms` without `s3.sse.kms.key.id` asks S3 for the AWS managed key; Confluent then sends no encryption header at all.",
        ),
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
        "s3.sse.customer.key",
        None,
        "SSE-C: base64 of a 256-bit key, used with `s3.ssea.name=AES256` (its MD5 is sent with every write). Readers need the same key.",
        None,
    ),
    used(
        "s3.object.tagging",
        Some("false"),
        "Tag data objects with `startOffset`, `endOffset` and `recordCount` (sidecars and error objects are not tagged).",
        Some("The tags are sent with the write itself, so no object exists untagged."),
    ),
    used(
        "s3.object.tagging.key.value.pairs",
        Some(""),
        "More tags for tagged objects: `key1:value1,key2:value2` (a pair may replace a built-in tag).",
        None,
    ),
    used(
        "s3.object.behavior.on.tagging.error",
        Some("ignore"),
        "`ignore`: an object whose tagged write is refused (`AccessDenied`) is written again without tags, with a warning; `fail`: the write fails.",
        None,
    ),
    used(
        "s3.send.digest",
        Some("false"),
        "Send each body's `Content-MD5`, so S3 refuses a corrupted upload.",
        None,
    ),
    used(
        "s3.wan.mode",
        Some("false"),
        "Write through the S3 Transfer Acceleration endpoint (needs `s3.path.style.access.enabled=false`).",
        None,
    ),
    used(
        "s3.credentials.provider.class",
        Some("DefaultCredentialsProvider"),
        "`DefaultCredentialsProvider`: the function's IAM role. `AwsAssumeRoleCredentialsProvider`: the function's role assumes `s3.credentials.provider.sts.role.arn` through STS (cross-account buckets); the SDK refreshes the session.",
        Some("Other provider classes fail at cold start; static keys are never used."),
    ),
    used(
        "s3.credentials.provider.sts.role.arn",
        None,
        "AwsAssumeRoleCredentialsProvider: the role to assume (required).",
        None,
    ),
    used(
        "s3.credentials.provider.sts.role.session.name",
        None,
        "AwsAssumeRoleCredentialsProvider: the session name (required).",
        None,
    ),
    used(
        "s3.credentials.provider.sts.role.external.id",
        None,
        "AwsAssumeRoleCredentialsProvider: the external id the role's trust policy asks for.",
        Some("Optional here; Confluent requires the key."),
    ),
    used(
        "s3.credentials.provider.sts.region",
        None,
        "AwsAssumeRoleCredentialsProvider: the STS region; the function's region by default.",
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
    used(
        "lambda.event.record.format",
        None,
        "How the event-source mapping's own schema registry (`SchemaRegistryConfig`, provisioned mode) delivers the keys and values it validated, as its `EventRecordFormat`: `JSON` (JSON text: read by `JsonConverter` as before, or typed by the schema `schemaId` names when the converter is a schema-registry converter) or `SOURCE` (the source encoding without the registry framing, decoded with the schema `schemaId` names). Needed only when a schema-registry converter meets records carrying `keySchemaMetadata`/`valueSchemaMetadata`.",
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
    ignored("s3.ssl.key.password", CREDENTIALS),
    ignored("s3.proxy.url", "the Lambda network configuration applies"),
    ignored("s3.proxy.user", "the Lambda network configuration applies"),
    ignored("s3.proxy.password", CREDENTIALS),
    ignored("s3.http.send.expect.continue", "the SDK decides"),
    ignored("schema.generator.class", "deprecated in Confluent"),
    ignored(
        "enable.conditional.writes",
        "objects are written with a plain overwrite, never `If-None-Match`: a retried batch must replace the files of a failed attempt (docs/semantics.md)",
    ),
    ignored(
        "max.files.scan.limit",
        "belongs to conditional writes, which this sink does not use",
    ),
    ignored(
        "max.write.duration.ms",
        "the invocation deadline bounds every write (`lambda.deadline.margin.ms`)",
    ),
    ignored("s3.elastic.buffer.enable", NO_PART_BUFFER),
    ignored("s3.elastic.buffer.init.capacity", NO_PART_BUFFER),
    ignored(
        "partitioner.max.open.files",
        "no file outlives its invocation, so the batch bounds the open files",
    ),
    ignored(
        "schemas.cache.config",
        "Connect schemas come with each record; there is no schema cache to size",
    ),
    ignored("enhanced.avro.schema.support", AVRO_DATA),
    ignored("allow.optional.map.keys", AVRO_DATA),
    ignored(
        "connect.meta.data",
        "AvroFormat always writes Connect's schema metadata (`connect.name`, `connect.version`, ...), Confluent's default",
    ),
    ignored("hive.integration", HIVE),
    ignored("hive.metastore.uris", HIVE),
    ignored("hive.conf.dir", HIVE),
    ignored("hive.home", HIVE),
    ignored("hive.database", HIVE),
    used(
        "key.converter.schema.registry.url",
        None,
        "Schema-registry converter keys: the Schema Registry base URL, or a comma-separated list tried in turn when one cannot be reached. Required by the schema-registry converters.",
        None,
    ),
    used(
        "value.converter.schema.registry.url",
        None,
        "Schema-registry converter values: the Schema Registry base URL, or a comma-separated list tried in turn when one cannot be reached. Required by the schema-registry converters.",
        None,
    ),
    used(
        "key.converter.basic.auth.credentials.source",
        Some("URL"),
        "Where registry credentials come from: URL (user:password@ in the URL) or USER_INFO (`basic.auth.user.info`).",
        Some(
            "SASL_INHERIT is refused at cold start: there is no Kafka client configuration to inherit from.",
        ),
    ),
    used(
        "value.converter.basic.auth.credentials.source",
        Some("URL"),
        "Where registry credentials come from: URL (user:password@ in the URL) or USER_INFO (`basic.auth.user.info`).",
        Some(
            "SASL_INHERIT is refused at cold start: there is no Kafka client configuration to inherit from.",
        ),
    ),
    used(
        "key.converter.basic.auth.user.info",
        None,
        "`user:password` for the registry with USER_INFO (also read as `schema.registry.basic.auth.user.info`). Never logged.",
        None,
    ),
    used(
        "value.converter.basic.auth.user.info",
        None,
        "`user:password` for the registry with USER_INFO (also read as `schema.registry.basic.auth.user.info`). Never logged.",
        None,
    ),
    used(
        "key.converter.bearer.auth.credentials.source",
        None,
        "STATIC_TOKEN: send `bearer.auth.token` as a bearer token to the registry.",
        Some("Only STATIC_TOKEN; OAuth token endpoints are refused at cold start."),
    ),
    used(
        "value.converter.bearer.auth.credentials.source",
        None,
        "STATIC_TOKEN: send `bearer.auth.token` as a bearer token to the registry.",
        Some("Only STATIC_TOKEN; OAuth token endpoints are refused at cold start."),
    ),
    used(
        "key.converter.bearer.auth.token",
        None,
        "The registry bearer token with STATIC_TOKEN. Never logged.",
        None,
    ),
    used(
        "value.converter.bearer.auth.token",
        None,
        "The registry bearer token with STATIC_TOKEN. Never logged.",
        None,
    ),
    used(
        "key.converter.key.subject.name.strategy",
        Some("TopicNameStrategy"),
        "The subject a key schema's version is looked up under: TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy.",
        None,
    ),
    used(
        "value.converter.value.subject.name.strategy",
        Some("TopicNameStrategy"),
        "The subject a value schema's version is looked up under: TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy.",
        None,
    ),
    used(
        "key.converter.use.optional.for.nonrequired",
        Some("false"),
        "JsonSchemaConverter keys: a property not in `required` becomes an optional field (else only schemas admitting null are optional).",
        None,
    ),
    used(
        "value.converter.use.optional.for.nonrequired",
        Some("false"),
        "JsonSchemaConverter values: a property not in `required` becomes an optional field (else only schemas admitting null are optional).",
        None,
    ),
    used(
        "key.converter.region",
        None,
        "AWS Glue Schema Registry converters, keys: the registry's region; default the function's.",
        None,
    ),
    used(
        "value.converter.region",
        None,
        "AWS Glue Schema Registry converters, values: the registry's region; default the function's.",
        None,
    ),
    used(
        "key.converter.endpoint",
        None,
        "AWS Glue Schema Registry converters, keys: the Glue endpoint URL (a VPC endpoint, a test server).",
        None,
    ),
    used(
        "value.converter.endpoint",
        None,
        "AWS Glue Schema Registry converters, values: the Glue endpoint URL (a VPC endpoint, a test server).",
        None,
    ),
    used(
        "key.converter.connect.meta.data",
        Some("true"),
        "AvroConverter keys: keep Avro docs and Connect parameters in the Connect schema.",
        None,
    ),
    used(
        "value.converter.connect.meta.data",
        Some("true"),
        "AvroConverter values: keep Avro docs and Connect parameters in the Connect schema.",
        None,
    ),
    used(
        "key.converter.enhanced.avro.schema.support",
        Some("false"),
        "AvroConverter keys: name union members by their full name.",
        None,
    ),
    used(
        "value.converter.enhanced.avro.schema.support",
        Some("false"),
        "AvroConverter values: name union members by their full name.",
        None,
    ),
    used(
        "key.converter.flatten.singleton.unions",
        Some("true"),
        "AvroConverter keys: a union of one type is that type.",
        None,
    ),
    used(
        "value.converter.flatten.singleton.unions",
        Some("true"),
        "AvroConverter values: a union of one type is that type.",
        None,
    ),
    used(
        "key.converter.discard.type.doc.default",
        Some("false"),
        "AvroConverter keys: Avro docs become Connect docs instead of parameters.",
        None,
    ),
    used(
        "value.converter.discard.type.doc.default",
        Some("false"),
        "AvroConverter values: Avro docs become Connect docs instead of parameters.",
        None,
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
        "user.info",
        "auth.token",
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

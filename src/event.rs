//! Decoding of Lambda Kafka events (MSK and self-managed) into offset-ordered partition batches.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

mod read;
pub use read::{DecodedEvent, read_event_json};

/// Event source of an Amazon MSK event-source mapping.
pub const SOURCE_MSK: &str = "aws:kafka";
/// Event source of a self-managed Kafka event-source mapping.
pub const SOURCE_SELF_MANAGED: &str = "SelfManagedKafka";

/// Where a record sits in Kafka: used in every error message about a record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordPosition {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

impl fmt::Display for RecordPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "topic {}, partition {}, offset {}",
            self.topic, self.partition, self.offset
        )
    }
}

/// How the broker stamped a record's timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampType {
    CreateTime,
    LogAppendTime,
    NoTimestamp,
}

/// One Kafka header; names may repeat within a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: Vec<u8>,
}

/// A decoded Kafka record: raw key and value bytes, `None` for a null (tombstone) key or value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkRecord {
    pub offset: i64,
    /// Milliseconds since the epoch; `None` when the record carries no timestamp.
    pub timestamp: Option<i64>,
    pub timestamp_type: TimestampType,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<Header>,
    /// `keySchemaMetadata`: set when the mapping's own schema registry validated the key.
    /// Boxed, as is `value_schema`: most records carry none, and a batch of records is read
    /// into a vector that grows by copying, 80 bytes a record less with the boxes.
    pub key_schema: Option<Box<SchemaMetadata>>,
    /// `valueSchemaMetadata`: set when the mapping's own schema registry validated the value.
    pub value_schema: Option<Box<SchemaMetadata>>,
}

/// What the event-source mapping's schema registry (`SchemaRegistryConfig`, provisioned mode)
/// adds to a record it validated: the schema's format and its id in that registry. With
/// `EventRecordFormat: SOURCE` the key or value then arrives without the registry's framing;
/// with `JSON` it arrives as JSON text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaMetadata {
    /// `AVRO`, `PROTOBUF` or `JSON`.
    #[serde(default)]
    pub data_format: String,
    /// A Confluent schema id (decimal) or a Glue schema version id (UUID).
    #[serde(default)]
    pub schema_id: String,
}

/// All records of one topic-partition in an invocation, sorted by offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionBatch {
    pub topic: String,
    pub partition: i32,
    pub records: Vec<SinkRecord>,
}

impl PartitionBatch {
    /// The position of the record at `index`.
    pub fn position(&self, index: usize) -> RecordPosition {
        RecordPosition {
            topic: self.topic.clone(),
            partition: self.partition,
            offset: self.records.get(index).map_or(-1, |r| r.offset),
        }
    }

    /// The smallest offset of the batch (the batch is never empty).
    pub fn first_offset(&self) -> i64 {
        self.records.first().map_or(-1, |r| r.offset)
    }
}

/// Why an event could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error(
        "not a Kafka event: eventSource is {found}, expected \"aws:kafka\" (Amazon MSK) or \"SelfManagedKafka\""
    )]
    NotKafka { found: String },
    #[error("malformed Kafka event: {0}")]
    Malformed(String),
    #[error("{position}: {field} is not valid base64: {message}")]
    Base64 {
        position: RecordPosition,
        field: &'static str,
        message: String,
    },
    #[error("{position}: {message}")]
    BadRecord {
        position: RecordPosition,
        message: String,
    },
    #[error("{position}: the offset appears twice in the event")]
    DuplicateOffset { position: RecordPosition },
}

/// A Lambda Kafka event, as the MSK and self-managed Kafka event-source mappings send it.
///
/// Field for field the shape of `aws_lambda_events`' `KafkaEvent`, which converts into it, but
/// read leniently: that type panics on a fractional timestamp and rejects `-1` (Kafka's "no
/// timestamp"), and one such record must not make a batch fail forever.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaEvent {
    #[serde(default)]
    pub event_source: Option<String>,
    #[serde(default)]
    pub event_source_arn: Option<String>,
    #[serde(default)]
    pub bootstrap_servers: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub records: HashMap<String, Vec<KafkaRecord>>,
}

/// One record of a [`KafkaEvent`]; key and value are base64, header values signed bytes.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaRecord {
    #[serde(default)]
    pub topic: Option<String>,
    pub partition: i64,
    pub offset: i64,
    /// Milliseconds since the epoch; `-1` or absent when the record has none.
    #[serde(default)]
    pub timestamp: Option<serde_json::Number>,
    #[serde(default)]
    pub timestamp_type: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub headers: Vec<HashMap<String, Vec<i8>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_schema_metadata: Option<SchemaMetadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_schema_metadata: Option<SchemaMetadata>,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl From<aws_lambda_events::event::kafka::KafkaEvent> for KafkaEvent {
    fn from(e: aws_lambda_events::event::kafka::KafkaEvent) -> Self {
        KafkaEvent {
            event_source: e.event_source,
            event_source_arn: e.event_source_arn,
            bootstrap_servers: e.bootstrap_servers,
            records: e
                .records
                .into_iter()
                .map(|(k, recs)| {
                    let recs = recs
                        .into_iter()
                        .map(|r| KafkaRecord {
                            topic: r.topic,
                            partition: r.partition,
                            offset: r.offset,
                            timestamp: Some(r.timestamp.0.timestamp_millis().into()),
                            timestamp_type: r.timestamp_type,
                            key: r.key,
                            value: r.value,
                            headers: r.headers,
                            // `aws_lambda_events` does not carry the mapping's schema metadata.
                            key_schema_metadata: None,
                            value_schema_metadata: None,
                        })
                        .collect();
                    (k, recs)
                })
                .collect(),
        }
    }
}

/// Parses the JSON of a Lambda Kafka event, with a message that says what was wrong. Reads
/// straight into [`KafkaEvent`]; only a failure re-reads the text to tell a non-Kafka event
/// from a malformed one.
pub fn parse_event_json(bytes: &[u8]) -> Result<KafkaEvent, DecodeError> {
    match serde_json::from_slice::<KafkaEvent>(bytes) {
        Ok(event) => {
            check_source(event.event_source.as_deref(), event.event_source.is_some())?;
            Ok(event)
        }
        Err(e) => match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(value) => parse_event_value(value),
            Err(_) => Err(DecodeError::Malformed(e.to_string())),
        },
    }
}

/// Converts a JSON value (as the Lambda runtime hands it over) into a Kafka event.
pub fn parse_event_value(value: serde_json::Value) -> Result<KafkaEvent, DecodeError> {
    check_source(
        value.get("eventSource").and_then(|s| s.as_str()),
        value.get("eventSource").is_some(),
    )?;
    serde_json::from_value(value).map_err(|e| DecodeError::Malformed(e.to_string()))
}

fn check_source(source: Option<&str>, present: bool) -> Result<(), DecodeError> {
    match source {
        Some(SOURCE_MSK) | Some(SOURCE_SELF_MANAGED) => Ok(()),
        Some(other) => Err(DecodeError::NotKafka {
            found: format!("{other:?}"),
        }),
        None if present => Err(DecodeError::NotKafka {
            found: "not a string".to_owned(),
        }),
        None => Err(DecodeError::NotKafka {
            found: "missing".to_owned(),
        }),
    }
}

/// Decodes every record of the event and groups them by (topic, partition), sorted by topic,
/// partition and offset. Map keys ("topic-partition") are not trusted: topics may contain `-`.
pub fn decode(event: &KafkaEvent) -> Result<Vec<PartitionBatch>, DecodeError> {
    check_source(event.event_source.as_deref(), false)?;
    let mut groups: BTreeMap<(String, i32), Vec<SinkRecord>> = BTreeMap::new();
    for (map_key, records) in &event.records {
        for record in records {
            let fields = record.fields();
            let (topic, partition) = locate(map_key, &fields)?;
            let decoded = decode_record(&topic, partition, fields)?;
            groups.entry((topic, partition)).or_default().push(decoded);
        }
    }
    finish_batches(
        groups
            .into_iter()
            .map(|((topic, partition), records)| PartitionBatch {
                topic,
                partition,
                records,
            })
            .collect(),
    )
}

/// Partition batches in topic-partition order, each sorted by offset (stably: records of one
/// offset keep the order they were read in), refused when an offset repeats.
pub(crate) fn finish_batches(
    mut batches: Vec<PartitionBatch>,
) -> Result<Vec<PartitionBatch>, DecodeError> {
    batches.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
    for batch in &mut batches {
        batch.records.sort_by_key(|r| r.offset);
        if let Some(pair) = batch
            .records
            .windows(2)
            .find(|w| w[0].offset == w[1].offset)
        {
            return Err(DecodeError::DuplicateOffset {
                position: RecordPosition {
                    topic: batch.topic.clone(),
                    partition: batch.partition,
                    offset: pair[0].offset,
                },
            });
        }
    }
    Ok(batches)
}

/// Topic and partition of a record: from the record itself, falling back to the map key
/// (split at its last `-`) only when the record has no topic.
fn locate(map_key: &str, record: &RecordFields<'_>) -> Result<(String, i32), DecodeError> {
    let topic = match record.topic {
        Some(t) if !t.is_empty() => t.to_owned(),
        _ => match map_key.rsplit_once('-') {
            Some((t, _)) if !t.is_empty() => t.to_owned(),
            _ => {
                return Err(DecodeError::Malformed(format!(
                    "record at offset {} under \"{map_key}\" has no topic",
                    record.offset
                )));
            }
        },
    };
    // Topic names land in object keys: accept only what Kafka accepts.
    if !is_legal_topic(&topic) {
        return Err(DecodeError::Malformed(format!(
            "topic {topic:?} at offset {} is not a legal Kafka topic name (1-249 of [A-Za-z0-9._-], not \".\" or \"..\")",
            record.offset
        )));
    }
    let position = |message: String| DecodeError::BadRecord {
        position: RecordPosition {
            topic: topic.clone(),
            partition: i32::try_from(record.partition).unwrap_or(-1),
            offset: record.offset,
        },
        message,
    };
    let partition = i32::try_from(record.partition)
        .ok()
        .filter(|p| *p >= 0)
        .ok_or_else(|| position(format!("invalid partition {}", record.partition)))?;
    if record.offset < 0 {
        return Err(position(format!("invalid offset {}", record.offset)));
    }
    Ok((topic, partition))
}

/// Kafka's rule for topic names.
pub(crate) fn is_legal_topic(topic: &str) -> bool {
    (1..=249).contains(&topic.len())
        && topic != "."
        && topic != ".."
        && topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The fields of one record as the event holds them, borrowed from a [`KafkaRecord`] or
/// from the event text ([`read_event_json`]); headers already in their decoded form.
pub(crate) struct RecordFields<'a> {
    pub topic: Option<&'a str>,
    pub partition: i64,
    pub offset: i64,
    pub timestamp: Option<&'a serde_json::Number>,
    pub timestamp_type: Option<&'a str>,
    /// Base64 text.
    pub key: Option<&'a [u8]>,
    /// Base64 text.
    pub value: Option<&'a [u8]>,
    pub headers: Vec<Header>,
    pub key_schema_metadata: Option<SchemaMetadata>,
    pub value_schema_metadata: Option<SchemaMetadata>,
}

impl KafkaRecord {
    fn fields(&self) -> RecordFields<'_> {
        let mut headers = Vec::new();
        for entry in &self.headers {
            let entry = entry.iter().map(|(name, bytes)| Header {
                name: name.clone(),
                value: bytes.iter().map(|b| *b as u8).collect(),
            });
            push_header_object(&mut headers, entry.collect());
        }
        RecordFields {
            topic: self.topic.as_deref(),
            partition: self.partition,
            offset: self.offset,
            timestamp: self.timestamp.as_ref(),
            timestamp_type: self.timestamp_type.as_deref(),
            key: self.key.as_deref().map(str::as_bytes),
            value: self.value.as_deref().map(str::as_bytes),
            headers,
            key_schema_metadata: self.key_schema_metadata.clone(),
            value_schema_metadata: self.value_schema_metadata.clone(),
        }
    }
}

/// Appends the headers of one object of a record's `headers` array: sorted by name, so
/// several names in one object come out in a stable order, and of a name the object repeats
/// only the last (as a map of the object keeps it).
pub(crate) fn push_header_object(headers: &mut Vec<Header>, mut entry: Vec<Header>) {
    entry.sort_by(|a, b| a.name.cmp(&b.name));
    let start = headers.len();
    for header in entry {
        match headers[start..].last_mut() {
            Some(last) if last.name == header.name => *last = header,
            _ => headers.push(header),
        }
    }
}

fn decode_record(
    topic: &str,
    partition: i32,
    record: RecordFields<'_>,
) -> Result<SinkRecord, DecodeError> {
    let position = || RecordPosition {
        topic: topic.to_owned(),
        partition,
        offset: record.offset,
    };
    let b64 = |field: &'static str, text: Option<&[u8]>| -> Result<Option<Vec<u8>>, DecodeError> {
        match text {
            None => Ok(None),
            Some(t) => STANDARD
                .decode(t)
                .map(Some)
                .map_err(|e| DecodeError::Base64 {
                    position: position(),
                    field,
                    message: e.to_string(),
                }),
        }
    };
    let key = b64("key", record.key)?;
    let value = b64("value", record.value)?;
    let timestamp_type = match record.timestamp_type {
        Some("CREATE_TIME") | None => TimestampType::CreateTime,
        Some("LOG_APPEND_TIME") => TimestampType::LogAppendTime,
        Some("NO_TIMESTAMP_TYPE") => TimestampType::NoTimestamp,
        Some(other) => {
            return Err(DecodeError::BadRecord {
                position: position(),
                message: format!(
                    "unknown timestampType {other:?} (expected CREATE_TIME, LOG_APPEND_TIME or NO_TIMESTAMP_TYPE)"
                ),
            });
        }
    };
    let millis = match record.timestamp {
        None => None,
        Some(n) => match n.as_i64() {
            Some(i) => Some(i),
            None => {
                return Err(DecodeError::BadRecord {
                    position: position(),
                    message: format!("timestamp {n} is not a whole number of milliseconds"),
                });
            }
        },
    };
    // Kafka marks "no timestamp" with -1.
    let timestamp = millis.filter(|m| *m >= 0 && timestamp_type != TimestampType::NoTimestamp);
    Ok(SinkRecord {
        offset: record.offset,
        timestamp,
        timestamp_type,
        key,
        value,
        headers: record.headers,
        key_schema: record.key_schema_metadata.map(Box::new),
        value_schema: record.value_schema_metadata.map(Box::new),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> KafkaEvent {
        parse_event_json(json.as_bytes()).unwrap()
    }

    #[test]
    fn schema_registry_metadata_is_kept_when_present() {
        // The shape of a record validated by the mapping's schema registry (AWS Lambda
        // "Using schema registries with Kafka event sources": keySchemaMetadata and
        // valueSchemaMetadata with dataFormat and schemaId).
        let e = event(
            r#"{"eventSource":"aws:kafka","records":{"t-0":[
              {"topic":"t","partition":0,"offset":1,"timestamp":1,"timestampType":"CREATE_TIME","key":"aw==","value":"eA==","headers":[],
               "keySchemaMetadata":{"dataFormat":"JSON","schemaId":"key-1"},
               "valueSchemaMetadata":{"dataFormat":"AVRO","schemaId":"17"}},
              {"topic":"t","partition":0,"offset":2,"timestamp":1,"timestampType":"CREATE_TIME","value":"eA==","headers":[]}
            ]}}"#,
        );
        let batches = decode(&e).unwrap();
        let r = &batches[0].records;
        assert_eq!(
            r[0].value_schema.as_deref(),
            Some(&SchemaMetadata {
                data_format: "AVRO".into(),
                schema_id: "17".into()
            })
        );
        assert_eq!(r[0].key_schema.as_ref().unwrap().schema_id, "key-1");
        assert_eq!((&r[1].key_schema, &r[1].value_schema), (&None, &None));
    }

    #[test]
    fn decodes_and_sorts_by_offset_with_dashed_topics() {
        let e = event(
            r#"{"eventSource":"aws:kafka","records":{
              "my-topic-1":[
                {"topic":"my-topic","partition":1,"offset":7,"timestamp":1000,"timestampType":"LOG_APPEND_TIME","key":null,"value":"eyJhIjoxfQ==","headers":[{"h":[104,-1]},{"h":[1]}]},
                {"topic":"my-topic","partition":1,"offset":3,"timestamp":2000,"timestampType":"CREATE_TIME","value":"eA==","headers":[]}
              ],
              "my-topic-0":[{"topic":"my-topic","partition":0,"offset":9,"timestamp":3000,"timestampType":"CREATE_TIME","key":"aw==","value":null,"headers":[]}]
            }}"#,
        );
        let batches = decode(&e).unwrap();
        assert_eq!(batches.len(), 2);
        assert_eq!(
            (batches[0].topic.as_str(), batches[0].partition),
            ("my-topic", 0)
        );
        assert_eq!(batches[0].records[0].value, None);
        assert_eq!(batches[0].records[0].key, Some(b"k".to_vec()));
        let p1 = &batches[1];
        assert_eq!(
            p1.records.iter().map(|r| r.offset).collect::<Vec<_>>(),
            vec![3, 7]
        );
        assert_eq!(p1.records[0].key, None, "a missing key is a null key");
        assert_eq!(
            p1.records[1].value.as_deref(),
            Some(br#"{"a":1}"#.as_slice())
        );
        assert_eq!(p1.records[1].timestamp_type, TimestampType::LogAppendTime);
        assert_eq!(
            p1.records[1].headers,
            vec![
                Header {
                    name: "h".into(),
                    value: vec![104, 255]
                },
                Header {
                    name: "h".into(),
                    value: vec![1]
                }
            ],
            "signed bytes become unsigned and repeated names are kept in order"
        );
    }

    #[test]
    fn rejects_events_that_are_not_kafka() {
        let err = parse_event_json(br#"{"Records":[{"eventSource":"aws:sqs"}]}"#).unwrap_err();
        assert!(err.to_string().contains("not a Kafka event"), "{err}");
        let err = parse_event_json(br#"{"eventSource":"aws:sqs","records":{}}"#).unwrap_err();
        assert!(err.to_string().contains("\"aws:sqs\""), "{err}");
        let err = parse_event_json(b"[1,2]").unwrap_err();
        assert!(err.to_string().contains("not a Kafka event"), "{err}");
        let err = parse_event_json(b"{").unwrap_err();
        assert!(err.to_string().contains("malformed"), "{err}");
    }

    #[test]
    fn bad_base64_names_the_record() {
        let e = event(
            r#"{"eventSource":"SelfManagedKafka","records":{"t-0":[{"topic":"t","partition":0,"offset":5,"timestamp":1,"value":"!!","headers":[]}]}}"#,
        );
        let err = decode(&e).unwrap_err();
        assert_eq!(
            err.to_string(),
            "topic t, partition 0, offset 5: value is not valid base64: Invalid symbol 33, offset 0."
        );
    }

    #[test]
    fn duplicate_offsets_are_rejected() {
        let e = event(
            r#"{"eventSource":"aws:kafka","records":{"t-0":[
              {"topic":"t","partition":0,"offset":5,"timestamp":1,"value":"eA==","headers":[]},
              {"topic":"t","partition":0,"offset":5,"timestamp":1,"value":"eA==","headers":[]}]}}"#,
        );
        assert!(matches!(
            decode(&e),
            Err(DecodeError::DuplicateOffset { .. })
        ));
    }

    #[test]
    fn topic_falls_back_to_the_map_key() {
        let e = event(
            r#"{"eventSource":"aws:kafka","records":{"a-b-3":[{"partition":3,"offset":1,"timestamp":1,"value":"eA==","headers":[]}]}}"#,
        );
        assert_eq!(decode(&e).unwrap()[0].topic, "a-b");
    }

    #[test]
    fn fractional_timestamps_are_an_error_not_a_panic() {
        let e = event(
            r#"{"eventSource":"aws:kafka","records":{"t-0":[{"topic":"t","partition":0,"offset":1,"timestamp":1.5,"value":"eA==","headers":[]}]}}"#,
        );
        assert_eq!(
            decode(&e).unwrap_err().to_string(),
            "topic t, partition 0, offset 1: timestamp 1.5 is not a whole number of milliseconds"
        );
    }

    #[test]
    fn aws_lambda_events_fixture_converts() {
        let json = r#"{"eventSource":"aws:kafka","eventSourceArn":"arn:aws:kafka:us-west-2:012345678901:cluster/ExampleMSKCluster/e9f754c6-d29a-4430-a7db-958a19fd2c54-4","bootstrapServers":"b-2.demo:9092","records":{"AWSKafkaTopic-0":[{"topic":"AWSKafkaTopic","partition":0,"offset":0,"timestamp":1595035749700,"timestampType":"CREATE_TIME","key":"OGQ1NTk2YjQtMTgxMy00MjM4LWIyNGItNmRhZDhlM2QxYzBj","value":"OGQ1NTk2YjQtMTgxMy00MjM4LWIyNGItNmRhZDhlM2QxYzBj","headers":[{"headerKey":[104,101,97,100,101,114,86,97,108,117,101]}]}]}}"#;
        let theirs: aws_lambda_events::event::kafka::KafkaEvent =
            serde_json::from_str(json).unwrap();
        let converted = KafkaEvent::from(theirs);
        assert_eq!(converted, event(json));
        let b = decode(&converted).unwrap();
        assert_eq!(b[0].records[0].timestamp, Some(1595035749700));
        assert_eq!(b[0].records[0].headers[0].name, "headerKey");
    }

    #[test]
    fn illegal_topic_names_are_refused() {
        for topic in ["a/b", "..", "", "tab\\tx", "ü"] {
            let json = format!(
                r#"{{"eventSource":"aws:kafka","records":{{"x-0":[{{"topic":"{topic}","partition":0,"offset":1,"timestamp":1,"value":"eA==","headers":[]}}]}}}}"#
            );
            let e = parse_event_json(json.as_bytes()).unwrap();
            let result = decode(&e);
            if topic.is_empty() {
                // An empty topic falls back to the map key "x".
                assert_eq!(result.unwrap()[0].topic, "x");
            } else {
                let err = result.unwrap_err().to_string();
                assert!(
                    err.contains("not a legal Kafka topic name"),
                    "{topic}: {err}"
                );
            }
        }
    }

    #[test]
    fn negative_timestamp_means_none() {
        let e = event(
            r#"{"eventSource":"aws:kafka","records":{"t-0":[{"topic":"t","partition":0,"offset":1,"timestamp":-1,"timestampType":"NO_TIMESTAMP_TYPE","value":"eA==","headers":[]}]}}"#,
        );
        assert_eq!(decode(&e).unwrap()[0].records[0].timestamp, None);
    }
}

//! Events read straight into partition batches.
//!
//! [`KafkaEvent`] holds every key and value as base64 text, and every header as a map of its
//! own; [`decode`] then copies each into its decoded form. For the 6.5 MB batch of the
//! benchmarks that is some 40,000 allocations and the whole event held twice, text and
//! bytes. [`DecodedEvent`] is read from the event text by the same rules, field for field
//! (the record fields go through a derived struct of the same shape, borrowing the text),
//! and decodes each record as it is read, so only the decoded bytes are kept.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{
    DecodeError, Header, PartitionBatch, RecordFields, SchemaMetadata, check_source, decode,
    decode_record, finish_batches, locate, parse_event_json, push_header_object,
};

/// A Lambda Kafka event read into partition batches (see the module documentation).
///
/// Reading it fails only where reading a [`KafkaEvent`] fails (the text is not an event of
/// that shape); what [`decode`] would report (not a Kafka source, a bad record, a repeated
/// offset) is kept and reported by [`DecodedEvent::into_batches`], in the same words.
///
/// [`KafkaEvent`]: super::KafkaEvent
#[derive(Debug)]
pub struct DecodedEvent {
    source: Option<String>,
    /// The first record that could not be decoded, in text order.
    failure: Option<DecodeError>,
    groups: Vec<PartitionBatch>,
}

impl DecodedEvent {
    /// An event already read as a [`KafkaEvent`](super::KafkaEvent), decoded.
    pub fn from_event(event: &super::KafkaEvent) -> DecodedEvent {
        let source = event.event_source.clone();
        match decode(event) {
            Ok(groups) => DecodedEvent {
                source,
                failure: None,
                groups,
            },
            Err(failure) => DecodedEvent {
                source,
                failure: Some(failure),
                groups: Vec::new(),
            },
        }
    }

    /// The records by topic-partition, each batch sorted by offset, batches sorted by topic
    /// and partition: what [`decode`] gives for the same event.
    pub fn into_batches(self) -> Result<Vec<PartitionBatch>, DecodeError> {
        check_source(self.source.as_deref(), false)?;
        if let Some(failure) = self.failure {
            return Err(failure);
        }
        finish_batches(self.groups)
    }
}

/// Reads the JSON of a Lambda Kafka event into a [`DecodedEvent`]. Errors as
/// [`parse_event_json`]: a text that is not a Kafka event, or not an event at all, is
/// reported here, with its words.
pub fn read_event_json(bytes: &[u8]) -> Result<DecodedEvent, DecodeError> {
    match serde_json::from_slice::<DecodedEvent>(bytes) {
        Ok(event) => {
            check_source(event.source.as_deref(), event.source.is_some())?;
            Ok(event)
        }
        // The typed path words every failure; it fails too, or (for a shape this reader
        // refuses and it does not) its event is decoded as before.
        Err(_) => Ok(DecodedEvent::from_event(&parse_event_json(bytes)?)),
    }
}

/// Where records go as they are read.
#[derive(Default)]
struct Groups {
    batches: Vec<PartitionBatch>,
    index: HashMap<(String, i32), usize>,
    /// The batch of the previous record: records of a map key nearly always share one.
    last: Option<usize>,
    failure: Option<DecodeError>,
}

impl Groups {
    fn push(&mut self, map_key: &str, record: RecordFields<'_>) {
        if self.failure.is_some() {
            // The event fails with its first bad record; the rest is only read.
            return;
        }
        let (topic, partition) = match locate(map_key, &record) {
            Ok(place) => place,
            Err(e) => {
                self.failure = Some(e);
                return;
            }
        };
        let decoded = match decode_record(&topic, partition, record) {
            Ok(decoded) => decoded,
            Err(e) => {
                self.failure = Some(e);
                return;
            }
        };
        let at = match self.last {
            Some(i) if self.batches[i].partition == partition && self.batches[i].topic == topic => {
                i
            }
            _ => {
                let next = self.batches.len();
                let i = *self.index.entry((topic.clone(), partition)).or_insert(next);
                if i == next {
                    self.batches.push(PartitionBatch {
                        topic,
                        partition,
                        records: Vec::new(),
                    });
                }
                i
            }
        };
        self.last = Some(at);
        self.batches[at].records.push(decoded);
    }
}

impl<'de> Deserialize<'de> for DecodedEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EventVisitor)
    }
}

struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = DecodedEvent;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Lambda Kafka event")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DecodedEvent, A::Error> {
        let mut source: Option<Option<String>> = None;
        let mut records_seen = false;
        let mut groups = Groups::default();
        while let Some(name) = map.next_key::<Cow<'de, str>>()? {
            match name.as_ref() {
                "eventSource" => {
                    if source.is_some() {
                        return Err(A::Error::duplicate_field("eventSource"));
                    }
                    source = Some(map.next_value()?);
                }
                // Read for their type only, as the typed event reads them.
                "eventSourceArn" | "bootstrapServers" => {
                    map.next_value::<Option<Cow<'de, str>>>()?;
                }
                "records" => {
                    if records_seen {
                        return Err(A::Error::duplicate_field("records"));
                    }
                    records_seen = true;
                    map.next_value_seed(RecordsSeed(&mut groups))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(DecodedEvent {
            source: source.flatten(),
            failure: groups.failure,
            groups: groups.batches,
        })
    }
}

/// `records`: `null` or a map of `"topic-partition"` to arrays of records.
struct RecordsSeed<'g>(&'g mut Groups);

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of topic-partitions to records")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(map_key) = map.next_key::<Cow<'de, str>>()? {
            // The typed event's map keeps the last list of a repeated key and drops the
            // others; this reader refuses the event instead, so `read_event_json` leaves it
            // to the typed path (and a Lambda invocation fails rather than lose records).
            if !seen.insert(map_key.clone()) {
                return Err(A::Error::custom(format_args!(
                    "records: the key {map_key:?} appears twice"
                )));
            }
            map.next_value_seed(RecordList {
                map_key: &map_key,
                groups: &mut *self.0,
            })?;
        }
        Ok(())
    }
}

/// The records under one map key.
struct RecordList<'k, 'g> {
    map_key: &'k str,
    groups: &'g mut Groups,
}

impl<'de> DeserializeSeed<'de> for RecordList<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordList<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(record) = seq.next_element::<TextRecord<'de>>()? {
            let fields = RecordFields {
                topic: record.topic.as_deref(),
                partition: record.partition,
                offset: record.offset,
                timestamp: record.timestamp.as_ref(),
                timestamp_type: record.timestamp_type.as_deref(),
                key: record.key.as_ref().map(|k| &*k.0),
                value: record.value.as_ref().map(|v| &*v.0),
                headers: record.headers.0,
                key_schema_metadata: record.key_schema_metadata,
                value_schema_metadata: record.value_schema_metadata,
            };
            self.groups.push(self.map_key, fields);
            if matches!(self.groups.failure, Some(DecodeError::Base64 { .. })) {
                // The text was read as bytes, unchecked: the typed path says whether it is
                // bad base64 or not a JSON string of the event at all.
                return Err(A::Error::custom("a key or value is not valid base64"));
            }
        }
        Ok(())
    }
}

/// One record as [`KafkaRecord`](super::KafkaRecord) reads it, its strings borrowed from the
/// event text where they hold no escapes (base64 never does).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TextRecord<'a> {
    #[serde(default, borrow)]
    topic: Option<Cow<'a, str>>,
    partition: i64,
    offset: i64,
    #[serde(default)]
    timestamp: Option<serde_json::Number>,
    #[serde(default, borrow)]
    timestamp_type: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    key: Option<Base64Text<'a>>,
    #[serde(default, borrow)]
    value: Option<Base64Text<'a>>,
    #[serde(default)]
    headers: Headers,
    #[serde(default)]
    key_schema_metadata: Option<SchemaMetadata>,
    #[serde(default)]
    value_schema_metadata: Option<SchemaMetadata>,
}

/// A key or value: the base64 text as bytes, borrowed from the event text where it holds no
/// escape (base64 never does). Read as bytes, it is not checked for UTF-8 on the way: base64
/// decoding checks every byte against the alphabet, and text that fails it is read again by
/// the typed path, which words what is wrong with it.
struct Base64Text<'a>(Cow<'a, [u8]>);

impl<'de: 'a, 'a> Deserialize<'de> for Base64Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_bytes(Base64TextVisitor)
    }
}

struct Base64TextVisitor;

impl<'de> Visitor<'de> for Base64TextVisitor {
    type Value = Base64Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a base64 string")
    }

    fn visit_borrowed_bytes<E: serde::de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        Ok(Base64Text(Cow::Borrowed(v)))
    }

    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok(Base64Text(Cow::Owned(v.to_vec())))
    }
}

/// `headers`: `null` or an array of objects of header names to arrays of signed bytes, read
/// into [`Header`]s as [`decode`] turns them ([`push_header_object`]).
#[derive(Default)]
struct Headers(Vec<Header>);

impl<'de> Deserialize<'de> for Headers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_option(HeadersVisitor)
    }
}

struct HeadersVisitor;

impl<'de> Visitor<'de> for HeadersVisitor {
    type Value = Headers;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of header objects")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Headers, E> {
        Ok(Headers::default())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Headers, E> {
        Ok(Headers::default())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Headers, D::Error> {
        d.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Headers, A::Error> {
        let mut headers = Vec::new();
        while let Some(HeaderObject(entry)) = seq.next_element()? {
            push_header_object(&mut headers, entry);
        }
        Ok(Headers(headers))
    }
}

/// One object of `headers`.
struct HeaderObject(Vec<Header>);

impl<'de> Deserialize<'de> for HeaderObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(HeaderObjectVisitor)
    }
}

struct HeaderObjectVisitor;

impl<'de> Visitor<'de> for HeaderObjectVisitor {
    type Value = HeaderObject;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of header names to arrays of signed bytes")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HeaderObject, A::Error> {
        let mut entry = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            let bytes: Vec<i8> = map.next_value()?;
            entry.push(Header {
                name,
                value: bytes.into_iter().map(|b| b as u8).collect(),
            });
        }
        Ok(HeaderObject(entry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the typed path gives: `parse_event_json` then `decode`, errors of either.
    fn typed(text: &str) -> Result<Vec<PartitionBatch>, DecodeError> {
        decode(&parse_event_json(text.as_bytes())?)
    }

    fn read(text: &str) -> Result<Vec<PartitionBatch>, DecodeError> {
        read_event_json(text.as_bytes())?.into_batches()
    }

    fn event(records: &str) -> String {
        format!(r#"{{"eventSource":"aws:kafka","eventSourceArn":"arn","records":{records}}}"#)
    }

    #[test]
    fn every_shipped_event_reads_as_the_typed_path_decodes_it() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).unwrap();
                let expected = typed(&text);
                assert!(expected.is_ok(), "{}", path.display());
                assert_eq!(read(&text), expected, "{}", path.display());
                n += 1;
            }
        }
        assert!(n >= 5, "only {n} events found");
    }

    #[test]
    fn edge_cases_read_as_the_typed_path_decodes_them() {
        let cases = [
            // Several partitions under several keys, out of order, topic from the map key,
            // escapes in base64 text, headers null, absent, several names and a repeat.
            event(
                r#"{"b-1":[{"partition":1,"offset":5,"timestamp":1,"key":"a\/8=","value":"eA==","headers":null},
                          {"topic":"b","partition":1,"offset":2,"timestamp":-1,"value":null}],
                   "a-0":[{"topic":"a","partition":0,"offset":9,"timestamp":7,"timestampType":"LOG_APPEND_TIME",
                           "headers":[{"z":[1],"y":[-1,2]},{"x":[3]}]}],
                   "b-0":[{"topic":"b","partition":0,"offset":1,"timestampType":"NO_TIMESTAMP_TYPE","unknown":{"n":1},
                           "valueSchemaMetadata":{"dataFormat":"AVRO","schemaId":"3"}}]}"#,
            ),
            event("null"),
            event("{}"),
            r#"{"eventSource":"SelfManagedKafka","records":{"t-0":[]}}"#.to_owned(),
            // Data errors, reported in the typed path's words.
            event(r#"{"t-0":[{"topic":"t","partition":0,"offset":1,"timestamp":1.5}]}"#),
            event(r#"{"t-0":[{"topic":"t","partition":0,"offset":1,"timestampType":"LATER"}]}"#),
            event(r#"{"t-0":[{"topic":"t","partition":-2,"offset":1}]}"#),
            event(r#"{"t-0":[{"topic":"t","partition":0,"offset":-1}]}"#),
            event(r#"{"0":[{"partition":0,"offset":1}]}"#),
            event(r#"{"t-0":[{"topic":"a/b","partition":0,"offset":1}]}"#),
            event(
                r#"{"t-0":[{"topic":"t","partition":0,"offset":1},{"topic":"t","partition":0,"offset":1}]}"#,
            ),
            // Not a Kafka event.
            r#"{"eventSource":"aws:sqs","records":{}}"#.to_owned(),
            r#"{"records":{}}"#.to_owned(),
        ];
        // Not an event of this shape: the reader leaves it to the typed path, which words
        // the error (or, for a repeated field, reads the text as a map, the last one kept).
        let refused = [
            r#"{"eventSource":7,"records":{}}"#.to_owned(),
            r#"{"eventSource":"aws:kafka","records":[]}"#.to_owned(),
            event(r#"{"t-0":[{"topic":"t","offset":1}]}"#),
            event(r#"{"t-0":[{"topic":"t","partition":0,"offset":1,"headers":[{"h":[200]}]}]}"#),
            event(r#"{"t-0":[{"topic":"t","partition":0,"offset":1,"offset":2}]}"#),
            event(
                r#"{"t-0":[{"topic":"t","partition":0,"offset":1}],"t-0":[{"topic":"t","partition":0,"offset":2}]}"#,
            ),
            r#"{"eventSource":"aws:kafka","records":{"#.to_owned(),
            "[]".to_owned(),
            // Keys and values that are not base64 are read again by the typed path: bad
            // symbols or padding are a data error in its words; a raw control character or
            // a lone surrogate escape (which the bytes read let through) are not an event.
            event(r#"{"t-0":[{"topic":"t","partition":0,"offset":1,"value":"!!"}]}"#),
            event(r#"{"t-0":[{"topic":"t","partition":0,"offset":1,"key":"eA="}]}"#),
            event(r#"{"t-0":[{"topic":"t","partition":0,"offset":1,"value":"\u00e9A=="}]}"#),
            event(
                "{\"t-0\":[{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"value\":\"eA\t==\"}]}",
            ),
            event(r#"{"t-0":[{"topic":"t","partition":0,"offset":1,"value":"\ud800eA=="}]}"#),
            event(r#"{"t-0":[{"topic":"t","partition":0,"offset":1,"value":7}]}"#),
        ];
        for text in &cases {
            assert!(
                serde_json::from_slice::<DecodedEvent>(text.as_bytes()).is_ok(),
                "{text}"
            );
            assert_eq!(read(text), typed(text), "{text}");
        }
        for text in &refused {
            assert!(
                serde_json::from_slice::<DecodedEvent>(text.as_bytes()).is_err(),
                "{text}"
            );
            assert_eq!(read(text), typed(text), "{text}");
        }
    }

    #[test]
    fn base64_text_that_is_not_utf8_fails_as_in_the_typed_path() {
        let text = event(r#"{"t-0":[{"topic":"t","partition":0,"offset":1,"value":"eA=="}]}"#);
        // `e\xff==`: a byte that is not UTF-8 inside the string.
        let bytes: Vec<u8> = text
            .replace("eA==", "e!==")
            .bytes()
            .map(|b| if b == b'!' { 0xff } else { b })
            .collect();
        assert!(serde_json::from_slice::<DecodedEvent>(&bytes).is_err());
        let typed = parse_event_json(&bytes).map(|e| decode(&e));
        let read = read_event_json(&bytes).map(DecodedEvent::into_batches);
        assert!(typed.is_err(), "{typed:?}");
        assert_eq!(read, typed);
    }

    #[test]
    fn a_repeated_header_name_keeps_its_last_value_as_the_typed_path() {
        let text = event(
            r#"{"t-0":[{"topic":"t","partition":0,"offset":1,"headers":[{"h":[1],"h":[2]}]}]}"#,
        );
        let batches = read(&text).unwrap();
        assert_eq!(batches, typed(&text).unwrap());
        assert_eq!(batches[0].records[0].headers[0].value, vec![2]);
    }
}

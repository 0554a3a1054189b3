//! Gathering polled records into one invocation's event, as the event-source mapping builds
//! it: records keyed `topic-partition`, each partition in offset order, key and value in
//! base64, header values as signed bytes, the timestamp with its type.

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rdkafka::Timestamp;
use rdkafka::message::{Headers, Message};

use crate::event::{KafkaEvent, KafkaRecord};

/// A topic and a partition.
pub type TopicPartition = (String, i32);

/// The event's fields that do not come from records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventHeader {
    pub event_source: &'static str,
    pub event_source_arn: Option<String>,
    pub bootstrap_servers: String,
}

/// One record as the event carries it, with the bytes it adds to the event's JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct PolledRecord {
    pub record: KafkaRecord,
    pub topic: String,
    pub partition: i32,
    pub json_bytes: usize,
}

impl PolledRecord {
    /// The record of a polled Kafka message. A header without a value becomes an empty value,
    /// as the event has no way to say null there.
    pub fn from_message<M: Message>(message: &M) -> PolledRecord {
        let topic = message.topic().to_owned();
        let partition = message.partition();
        let (timestamp, timestamp_type) = match message.timestamp() {
            Timestamp::NotAvailable => (-1, "NO_TIMESTAMP_TYPE"),
            Timestamp::CreateTime(t) => (t, "CREATE_TIME"),
            Timestamp::LogAppendTime(t) => (t, "LOG_APPEND_TIME"),
        };
        let headers = message
            .headers()
            .map(|hs| {
                hs.iter()
                    .map(|h| {
                        let bytes = h
                            .value
                            .unwrap_or_default()
                            .iter()
                            .map(|b| *b as i8)
                            .collect();
                        HashMap::from([(h.key.to_owned(), bytes)])
                    })
                    .collect()
            })
            .unwrap_or_default();
        let record = KafkaRecord {
            topic: Some(topic.clone()),
            partition: i64::from(partition),
            offset: message.offset(),
            timestamp: Some(timestamp.into()),
            timestamp_type: Some(timestamp_type.to_owned()),
            key: message.key().map(|k| STANDARD.encode(k)),
            value: message.payload().map(|v| STANDARD.encode(v)),
            headers,
            // A plain mapping: the emulator has no schema registry of its own.
            key_schema_metadata: None,
            value_schema_metadata: None,
        };
        // The record's JSON plus the comma before it.
        let json_bytes = serde_json::to_vec(&record).map_or(0, |v| v.len()) + 1;
        PolledRecord {
            record,
            topic,
            partition,
            json_bytes,
        }
    }
}

/// The offsets of one partition in a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionRange {
    pub topic: String,
    pub partition: i32,
    pub first: i64,
    pub last: i64,
    pub records: usize,
}

/// Records gathered for the next invocation.
#[derive(Debug)]
pub struct PendingBatch {
    header: EventHeader,
    partitions: BTreeMap<TopicPartition, Vec<KafkaRecord>>,
    records: usize,
    json_bytes: usize,
}

impl PendingBatch {
    /// An empty batch.
    pub fn new(header: EventHeader) -> PendingBatch {
        let json_bytes = Self::envelope_bytes(&header);
        PendingBatch {
            header,
            partitions: BTreeMap::new(),
            records: 0,
            json_bytes,
        }
    }

    /// The JSON of an event without records.
    fn envelope_bytes(header: &EventHeader) -> usize {
        let empty = KafkaEvent {
            event_source: Some(header.event_source.to_owned()),
            event_source_arn: header.event_source_arn.clone(),
            bootstrap_servers: Some(header.bootstrap_servers.clone()),
            records: HashMap::new(),
        };
        serde_json::to_vec(&empty).map_or(0, |v| v.len())
    }

    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// Records in the batch.
    pub fn len(&self) -> usize {
        self.records
    }

    /// Bytes of the event's JSON with `record` added.
    pub fn bytes_with(&self, record: &PolledRecord) -> usize {
        let key = (record.topic.clone(), record.partition);
        let new_key = if self.partitions.contains_key(&key) {
            0
        } else {
            key_bytes(&record.topic, record.partition)
        };
        self.json_bytes + new_key + record.json_bytes
    }

    /// Adds a record; records of a partition arrive in offset order.
    pub fn push(&mut self, record: PolledRecord) {
        self.json_bytes = self.bytes_with(&record);
        self.records += 1;
        self.partitions
            .entry((record.topic, record.partition))
            .or_default()
            .push(record.record);
    }

    /// Drops the records of partitions `keep` refuses (revoked by a rebalance).
    pub fn retain_partitions(&mut self, keep: impl Fn(&TopicPartition) -> bool) {
        self.partitions.retain(|tp, _| keep(tp));
        self.records = self.partitions.values().map(Vec::len).sum();
        let mut bytes = Self::envelope_bytes(&self.header);
        for ((topic, partition), records) in &self.partitions {
            bytes += key_bytes(topic, *partition);
            bytes += records
                .iter()
                .map(|r| serde_json::to_vec(r).map_or(0, |v| v.len()) + 1)
                .sum::<usize>();
        }
        self.json_bytes = bytes;
    }

    /// The offsets of each partition, in topic and partition order.
    pub fn ranges(&self) -> Vec<PartitionRange> {
        self.partitions
            .iter()
            .filter_map(|((topic, partition), records)| {
                Some(PartitionRange {
                    topic: topic.clone(),
                    partition: *partition,
                    first: records.first()?.offset,
                    last: records.last()?.offset,
                    records: records.len(),
                })
            })
            .collect()
    }

    /// The event the mapping would send, leaving the batch empty.
    pub fn take_event(&mut self) -> KafkaEvent {
        let partitions = std::mem::take(&mut self.partitions);
        self.records = 0;
        self.json_bytes = Self::envelope_bytes(&self.header);
        KafkaEvent {
            event_source: Some(self.header.event_source.to_owned()),
            event_source_arn: self.header.event_source_arn.clone(),
            bootstrap_servers: Some(self.header.bootstrap_servers.clone()),
            records: partitions
                .into_iter()
                .map(|((topic, partition), records)| (format!("{topic}-{partition}"), records))
                .collect(),
        }
    }
}

/// The JSON bytes of a partition's entry without records: `,"topic-N":[]`.
fn key_bytes(topic: &str, partition: i32) -> usize {
    topic.len() + partition.to_string().len() + 7
}

/// The ranges of an event's partitions (used to split a batch on retries).
pub fn event_ranges(event: &KafkaEvent) -> Vec<PartitionRange> {
    let mut out: Vec<PartitionRange> = event
        .records
        .values()
        .filter_map(|records| {
            let first = records.first()?;
            Some(PartitionRange {
                topic: first.topic.clone().unwrap_or_default(),
                partition: i32::try_from(first.partition).unwrap_or(-1),
                first: records.iter().map(|r| r.offset).min()?,
                last: records.iter().map(|r| r.offset).max()?,
                records: records.len(),
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Header, TimestampType, decode};
    use rdkafka::message::{Header as KafkaHeader, OwnedHeaders, OwnedMessage};

    fn header() -> EventHeader {
        EventHeader {
            event_source: "aws:kafka",
            event_source_arn: Some("arn:aws:kafka:us-east-1:123456789012:cluster/c/1".into()),
            bootstrap_servers: "b-1:9092".into(),
        }
    }

    fn message(
        topic: &str,
        partition: i32,
        offset: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        timestamp: Timestamp,
        headers: Option<OwnedHeaders>,
    ) -> OwnedMessage {
        OwnedMessage::new(
            value.map(<[u8]>::to_vec),
            key.map(<[u8]>::to_vec),
            topic.to_owned(),
            timestamp,
            partition,
            offset,
            headers,
        )
    }

    #[test]
    fn builds_the_mappings_event_and_the_handler_reads_it_back() {
        let headers = OwnedHeaders::new()
            .insert(KafkaHeader {
                key: "h",
                value: Some(&[104u8, 255][..]),
            })
            .insert(KafkaHeader {
                key: "h",
                value: Some(&[1u8][..]),
            })
            .insert(KafkaHeader::<&[u8]> {
                key: "empty",
                value: None,
            });
        let mut batch = PendingBatch::new(header());
        for m in [
            message(
                "my-topic",
                1,
                7,
                None,
                Some(br#"{"a":1}"#),
                Timestamp::LogAppendTime(1000),
                Some(headers),
            ),
            message(
                "my-topic",
                0,
                9,
                Some(b"k"),
                None,
                Timestamp::CreateTime(3000),
                None,
            ),
            message(
                "my-topic",
                1,
                8,
                Some(b"k2"),
                Some(b"x"),
                Timestamp::NotAvailable,
                None,
            ),
        ] {
            let r = PolledRecord::from_message(&m);
            let before = batch.bytes_with(&r);
            batch.push(r);
            assert_eq!(batch.json_bytes, before);
        }
        assert_eq!(
            batch.ranges(),
            vec![
                PartitionRange {
                    topic: "my-topic".into(),
                    partition: 0,
                    first: 9,
                    last: 9,
                    records: 1
                },
                PartitionRange {
                    topic: "my-topic".into(),
                    partition: 1,
                    first: 7,
                    last: 8,
                    records: 2
                }
            ]
        );
        let predicted = batch.json_bytes;
        let event = batch.take_event();
        assert!(batch.is_empty());
        let json = serde_json::to_vec(&event).unwrap();
        // The estimate counts two commas too many per partition, never too few.
        assert!(
            predicted >= json.len() && predicted - json.len() <= 4,
            "{predicted} vs {}",
            json.len()
        );
        let text = String::from_utf8(json.clone()).unwrap();
        assert!(
            text.contains(r#""headers":[{"h":[104,-1]},{"h":[1]},{"empty":[]}]"#),
            "{text}"
        );
        assert!(text.contains(r#""my-topic-1":["#), "{text}");
        assert!(
            text.contains(r#""timestamp":-1,"timestampType":"NO_TIMESTAMP_TYPE""#),
            "{text}"
        );

        // What the handler decodes is what was polled.
        let parsed = crate::event::parse_event_json(&json).unwrap();
        assert_eq!(parsed.event_source.as_deref(), Some("aws:kafka"));
        let batches = decode(&parsed).unwrap();
        assert_eq!(batches[0].records[0].key.as_deref(), Some(&b"k"[..]));
        assert_eq!(batches[0].records[0].value, None);
        let p1 = &batches[1].records;
        assert_eq!(p1[0].key, None);
        assert_eq!(p1[0].timestamp, Some(1000));
        assert_eq!(p1[0].timestamp_type, TimestampType::LogAppendTime);
        assert_eq!(
            p1[0].headers,
            vec![
                Header {
                    name: "h".into(),
                    value: vec![104, 255]
                },
                Header {
                    name: "h".into(),
                    value: vec![1]
                },
                Header {
                    name: "empty".into(),
                    value: vec![]
                }
            ]
        );
        assert_eq!(p1[1].timestamp, None);
    }

    #[test]
    fn revoked_partitions_leave_the_batch() {
        let mut batch = PendingBatch::new(header());
        for (p, o) in [(0, 1), (1, 1), (0, 2)] {
            batch.push(PolledRecord::from_message(&message(
                "t",
                p,
                o,
                None,
                Some(b"v"),
                Timestamp::CreateTime(1),
                None,
            )));
        }
        batch.retain_partitions(|(_, p)| *p == 1);
        assert_eq!(batch.len(), 1);
        let expected = {
            let mut b = PendingBatch::new(header());
            b.push(PolledRecord::from_message(&message(
                "t",
                1,
                1,
                None,
                Some(b"v"),
                Timestamp::CreateTime(1),
                None,
            )));
            b.json_bytes
        };
        assert_eq!(batch.json_bytes, expected);
        let event = batch.take_event();
        assert_eq!(event_ranges(&event).len(), 1);
    }
}

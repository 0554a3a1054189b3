//! Partitioners: the encoded partition path of a record, named exactly as Confluent names it.

pub mod default;
pub mod field;
pub mod joda;
pub mod time_based;
pub mod timestamp;

use serde_json::Value;

use crate::convert::Converted;
use crate::event::SinkRecord;

pub use default::DefaultPartitioner;
pub use field::FieldPartitioner;
pub use time_based::TimeBasedPartitioner;
pub use timestamp::TimestampExtractor;

/// What a partitioner sees of one record.
#[derive(Debug, Clone, Copy)]
pub struct RecordView<'a> {
    pub partition: i32,
    pub record: &'a SinkRecord,
    /// The converted value; `None` for a tombstone.
    pub value: Option<&'a Converted>,
}

/// Why a record could not be given a partition path.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PartitionError {
    #[error("field {field:?} is missing from the record value")]
    MissingField { field: String },
    #[error("field {field:?} is null")]
    NullField { field: String },
    #[error("field {field:?} is not in the value's schema")]
    NotInSchema { field: String },
    #[error("field {field:?} is {found}, not a string, number or boolean")]
    NotScalar { field: String, found: &'static str },
    #[error("the record value is {found}, not a struct or map: {what} needs fields")]
    NotAStruct {
        found: &'static str,
        what: &'static str,
    },
    #[error("timestamp field {field:?}: {message}")]
    Timestamp { field: String, message: String },
    #[error("the record has no timestamp (timestamp.extractor=Record)")]
    NoRecordTimestamp,
    #[error("timestamp {millis} is outside the range a date can be formatted in")]
    OutOfRange { millis: i64 },
}

/// The configured partitioner.
#[derive(Debug, Clone)]
pub enum Partitioner {
    Default(DefaultPartitioner),
    Field(FieldPartitioner),
    Time(TimeBasedPartitioner),
}

impl Partitioner {
    /// The encoded partition path of a record; `timestamp` is the extracted record time, needed
    /// only by time-based partitioners.
    pub fn encode_partition(
        &self,
        view: &RecordView<'_>,
        timestamp: Option<i64>,
    ) -> Result<String, PartitionError> {
        match self {
            Partitioner::Default(p) => Ok(p.encode_partition(view.partition)),
            Partitioner::Field(p) => p.encode_partition(view.value),
            Partitioner::Time(p) => {
                let millis = timestamp.ok_or(PartitionError::NoRecordTimestamp)?;
                p.encode_partition(millis)
            }
        }
    }

    /// Whether the partitioner needs the extracted timestamp.
    pub fn is_time_based(&self) -> bool {
        matches!(self, Partitioner::Time(_))
    }

    /// The fully qualified Confluent class name of this partitioner.
    pub fn class_name(&self) -> &'static str {
        match self {
            Partitioner::Default(_) => DefaultPartitioner::CLASS,
            Partitioner::Field(_) => FieldPartitioner::CLASS,
            Partitioner::Time(p) => p.class_name(),
        }
    }
}

/// The JSON type name of a value, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Looks up a field by a dotted path (`a.b.c`) in the converted value, and its Connect schema
/// when the record has one. A name that exists as a whole (a field literally called `a.b`)
/// wins over descending, as Confluent's nested lookup does for the first segment it finds.
pub(crate) fn lookup<'v>(
    value: Option<&'v Converted>,
    path: &str,
    what: &'static str,
) -> Result<(&'v Value, Option<&'v Value>), PartitionError> {
    let Some(converted) = value else {
        return Err(PartitionError::NotAStruct {
            found: "null (a tombstone)",
            what,
        });
    };
    let mut current = &converted.data;
    let mut schema = converted.schema.as_deref();
    if !current.is_object() {
        return Err(PartitionError::NotAStruct {
            found: type_name(current),
            what,
        });
    }
    if let Some(found) = current.get(path) {
        return Ok((found, schema.and_then(|s| field_schema(s, path))));
    }
    for segment in path.split('.') {
        match current {
            Value::Object(map) => match map.get(segment) {
                Some(next) => {
                    current = next;
                    schema = schema.and_then(|s| field_schema(s, segment));
                }
                None => {
                    return Err(PartitionError::MissingField {
                        field: path.to_owned(),
                    });
                }
            },
            _ => {
                return Err(PartitionError::MissingField {
                    field: path.to_owned(),
                });
            }
        }
    }
    Ok((current, schema))
}

pub(crate) fn field_schema<'s>(schema: &'s Value, name: &str) -> Option<&'s Value> {
    schema
        .get("fields")?
        .as_array()?
        .iter()
        .find(|f| f.get("field").and_then(Value::as_str) == Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_lookup_with_schema() {
        let v = Converted {
            data: json!({"a": {"b": 5}, "x.y": 1}),
            schema: Some(std::sync::Arc::new(
                json!({"type":"struct","fields":[{"field":"a","type":"struct","fields":[{"field":"b","type":"int64","name":"org.apache.kafka.connect.data.Timestamp"}]}]}),
            )),
        };
        let (found, schema) = lookup(Some(&v), "a.b", "t").unwrap();
        assert_eq!(found, &json!(5));
        assert_eq!(
            schema.unwrap()["name"],
            "org.apache.kafka.connect.data.Timestamp"
        );
        assert_eq!(lookup(Some(&v), "x.y", "t").unwrap().0, &json!(1));
        assert_eq!(
            lookup(Some(&v), "a.c", "t").unwrap_err(),
            PartitionError::MissingField {
                field: "a.c".into()
            }
        );
        assert!(matches!(
            lookup(None, "a", "t"),
            Err(PartitionError::NotAStruct { .. })
        ));
    }
}

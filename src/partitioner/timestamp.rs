//! Timestamp extractors: the time a record belongs to, for time-based paths and rotation windows.

use serde_json::Value;

use super::joda::{JodaPattern, Zone, local_to_millis, parse_iso8601_millis};
use super::{PartitionError, RecordView, lookup, type_name};

const CONNECT_DATE: &str = "org.apache.kafka.connect.data.Date";
const MILLIS_PER_DAY: i64 = 86_400_000;

/// How the record time is found, as `timestamp.extractor` names it.
#[derive(Debug, Clone)]
pub enum TimestampExtractor {
    /// The Kafka record timestamp.
    Record,
    /// A field of the value (`timestamp.field`, dotted for nested fields): epoch millis, an
    /// ISO-8601 string, or a string in the `timestamp.parser` pattern. A string without a zone
    /// is a time in `timezone`.
    RecordField {
        field: String,
        parser: Option<JodaPattern>,
        timezone: Zone,
    },
    /// The invocation's wall-clock time: not deterministic, so retries may land elsewhere.
    Wallclock,
}

impl TimestampExtractor {
    /// The record's time in epoch milliseconds. `now_ms` is the invocation's clock reading.
    pub fn extract(&self, view: &RecordView<'_>, now_ms: i64) -> Result<i64, PartitionError> {
        match self {
            TimestampExtractor::Record => view
                .record
                .timestamp
                .ok_or(PartitionError::NoRecordTimestamp),
            TimestampExtractor::Wallclock => Ok(now_ms),
            TimestampExtractor::RecordField {
                field,
                parser,
                timezone,
            } => {
                let err = |message: String| PartitionError::Timestamp {
                    field: field.clone(),
                    message,
                };
                let (value, schema) = lookup(view.value, field, "timestamp.extractor=RecordField")?;
                let is_date = schema.and_then(|s| s.get("name")).and_then(Value::as_str)
                    == Some(CONNECT_DATE);
                match value {
                    Value::Number(n) => {
                        let millis = if let Some(i) = n.as_i64() {
                            i
                        } else if let Some(f) =
                            n.as_f64().filter(|f| f.is_finite() && f.abs() < 9.2e18)
                        {
                            // Connect reads a JSON number as Number.longValue(): truncation.
                            f.trunc() as i64
                        } else {
                            return Err(err(format!(
                                "{n} is not a valid epoch-milliseconds value"
                            )));
                        };
                        if is_date {
                            millis
                                .checked_mul(MILLIS_PER_DAY)
                                .ok_or_else(|| err(format!("date {millis} days is out of range")))
                        } else {
                            Ok(millis)
                        }
                    }
                    Value::String(s) => match parser {
                        Some(pattern) => {
                            let parsed = pattern.parse(s).map_err(|e| err(e.to_string()))?;
                            match parsed.offset {
                                // In millis, as parse_iso8601_millis does: `NaiveDateTime -
                                // FixedOffset` panics past chrono's last (or first) date.
                                Some(offset) => Ok(parsed.local.and_utc().timestamp_millis()
                                    - i64::from(offset.local_minus_utc()) * 1000),
                                None => Ok(local_to_millis(parsed.local, *timezone)),
                            }
                        }
                        // As Confluent's RecordFieldTimestampExtractor: digits (`^-?[0-9]{1,19}$`)
                        // are epoch milliseconds, anything else an ISO-8601 date-time.
                        None => match epoch_millis_text(s) {
                            Some(millis) => Ok(millis),
                            None => {
                                parse_iso8601_millis(s, *timezone).map_err(|e| err(e.to_string()))
                            }
                        },
                    },
                    Value::Null => Err(PartitionError::NullField {
                        field: field.clone(),
                    }),
                    other => Err(err(format!(
                        "{} cannot be a timestamp (expected epoch milliseconds or a date-time string)",
                        type_name(other)
                    ))),
                }
            }
        }
    }

    /// Whether the extractor reads the wall clock, which breaks replay determinism.
    pub fn is_wallclock(&self) -> bool {
        matches!(self, TimestampExtractor::Wallclock)
    }
}

/// A string of 1 to 19 digits, optionally negative, that fits an i64.
fn epoch_millis_text(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::Converted;
    use crate::event::{SinkRecord, TimestampType};
    use chrono_tz::Tz;
    use serde_json::json;

    fn record(ts: Option<i64>) -> SinkRecord {
        SinkRecord {
            offset: 0,
            timestamp: ts,
            timestamp_type: TimestampType::CreateTime,
            key: None,
            value: None,
            headers: vec![],
            key_schema: None,
            value_schema: None,
        }
    }

    fn field(parser: Option<&str>, tz: impl Into<Zone>) -> TimestampExtractor {
        TimestampExtractor::RecordField {
            field: "meta.dt".into(),
            parser: parser.map(|p| JodaPattern::compile(p).unwrap()),
            timezone: tz.into(),
        }
    }

    fn extract(x: &TimestampExtractor, v: Value) -> Result<i64, PartitionError> {
        let r = record(Some(42));
        let c = Converted {
            data: json!({ "meta": { "dt": v } }),
            schema: None,
        };
        x.extract(
            &RecordView {
                partition: 0,
                record: &r,
                value: Some(&c),
            },
            7,
        )
    }

    #[test]
    fn record_and_wallclock() {
        let r = record(Some(42));
        let view = RecordView {
            partition: 0,
            record: &r,
            value: None,
        };
        assert_eq!(TimestampExtractor::Record.extract(&view, 7), Ok(42));
        assert_eq!(TimestampExtractor::Wallclock.extract(&view, 7), Ok(7));
        let r = record(None);
        let view = RecordView {
            partition: 0,
            record: &r,
            value: None,
        };
        assert_eq!(
            TimestampExtractor::Record.extract(&view, 7),
            Err(PartitionError::NoRecordTimestamp)
        );
    }

    #[test]
    fn field_inputs() {
        let seoul = field(None, Tz::Asia__Seoul);
        assert_eq!(extract(&seoul, json!(1696118400000i64)), Ok(1696118400000));
        assert_eq!(extract(&seoul, json!(1696118400000.9)), Ok(1696118400000));
        // Date-only: midnight in the configured zone (2023-09-30T15:00Z).
        assert_eq!(extract(&seoul, json!("2023-10-01")), Ok(1696086000000));
        assert_eq!(
            extract(&seoul, json!("2023-10-01T00:00:00Z")),
            Ok(1696118400000)
        );
        let utc = field(None, Tz::UTC);
        assert_eq!(extract(&utc, json!("2023-10-01")), Ok(1696118400000));
        let parser = field(Some("yyyyMMdd"), Tz::Asia__Seoul);
        assert_eq!(extract(&parser, json!("20231001")), Ok(1696086000000));
        let dashed = field(Some("yyyy-MM-dd"), Tz::Asia__Seoul);
        assert_eq!(extract(&dashed, json!("2023-10-01")), Ok(1696086000000));
    }

    #[test]
    fn field_strings_in_fixed_offset_zones() {
        let nine = field(None, Zone::for_id("+09:00").unwrap());
        // Zone-less: a time at +09:00.
        assert_eq!(extract(&nine, json!("2023-10-01")), Ok(1696086000000));
        assert_eq!(
            extract(&nine, json!("2023-10-01T09:00:00")),
            Ok(1696118400000)
        );
        // An offset in the text wins over the zone.
        assert_eq!(
            extract(&nine, json!("2023-10-01T00:00:00Z")),
            Ok(1696118400000)
        );
        let india = field(Some("yyyy-MM-dd HH:mm"), Zone::for_id("+05:30").unwrap());
        assert_eq!(
            extract(&india, json!("2023-10-01 05:30")),
            Ok(1696118400000)
        );
        let west = field(Some("yyyyMMdd"), Zone::for_id("UTC-05:30").unwrap());
        assert_eq!(
            extract(&west, json!("20231001")),
            Ok(1696118400000 + 5 * 3_600_000 + 1_800_000)
        );
        // Epoch millis do not depend on the zone.
        assert_eq!(extract(&west, json!(1696118400000i64)), Ok(1696118400000));
    }

    #[test]
    fn field_errors_name_the_field() {
        let x = field(Some("yyyy-MM-dd"), Tz::UTC);
        let e = extract(&x, json!("2023/10/01")).unwrap_err().to_string();
        assert!(e.starts_with("timestamp field \"meta.dt\": "), "{e}");
        let e = extract(&x, json!(true)).unwrap_err().to_string();
        assert_eq!(
            e,
            "timestamp field \"meta.dt\": a boolean cannot be a timestamp (expected epoch milliseconds or a date-time string)"
        );
        assert_eq!(
            extract(&x, Value::Null),
            Err(PartitionError::NullField {
                field: "meta.dt".into()
            })
        );
        let iso = field(None, Tz::UTC);
        assert!(extract(&iso, json!("yesterday")).is_err());
    }

    #[test]
    fn connect_date_fields_are_days() {
        let x = TimestampExtractor::RecordField {
            field: "d".into(),
            parser: None,
            timezone: Zone::UTC,
        };
        let r = record(None);
        let c = Converted {
            data: json!({"d": 19631}),
            schema: Some(std::sync::Arc::new(
                json!({"type":"struct","fields":[{"field":"d","type":"int32","name":CONNECT_DATE}]}),
            )),
        };
        let view = RecordView {
            partition: 0,
            record: &r,
            value: Some(&c),
        };
        assert_eq!(x.extract(&view, 0), Ok(19631 * MILLIS_PER_DAY));
    }
}

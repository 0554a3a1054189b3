//! Structured event inputs: `arbitrary` builds a Kafka-event-like JSON document from the fuzz
//! bytes, so most inputs get past JSON parsing and base64 and reach the converters, transforms
//! and partitioners. The JSON is what is checked (and what is kept as a regression case), so a
//! kept case does not depend on how `arbitrary` reads bytes.

use arbitrary::{Arbitrary, Result, Unstructured};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Number, Value, json};

/// Topics: legal Kafka names (with `-`, `.` and `_`), and names Kafka would refuse.
const TOPICS: &[&str] = &[
    "orders",
    "my-topic",
    "a-b-3",
    "dbserver.inventory.customers",
    "t",
    "토픽",
    "x_y.z-0",
    "",
    "-",
    "a-",
    "..",
    "a/b",
];

/// Object keys values are built from: the fields the fixed configurations read, and Debezium's.
const FIELDS: &[&str] = &[
    "a", "b", "c", "ts", "dt", "a.b", "op", "before", "after", "source", "ts_ms", "id", "schema",
    "payload", "",
];

#[derive(Debug, Arbitrary)]
pub struct FuzzEvent {
    source: Source,
    arn: Option<String>,
    partitions: Vec<FuzzPartition>,
}

#[derive(Debug, Arbitrary)]
enum Source {
    Msk,
    SelfManaged,
    Missing,
    Other(String),
    NotAString(i64),
}

#[derive(Debug, Arbitrary)]
struct FuzzPartition {
    map_key: MapKey,
    records: Vec<FuzzRecord>,
}

#[derive(Debug, Arbitrary)]
enum MapKey {
    /// `topic-partition` of the first record.
    Derived,
    Fixed(u8, i16),
    Raw(String),
}

#[derive(Debug, Arbitrary)]
struct FuzzRecord {
    topic: Topic,
    partition: Int,
    offset: Offset,
    timestamp: Timestamp,
    timestamp_type: TimestampKind,
    key: Payload,
    value: Payload,
    headers: Headers,
}

#[derive(Debug, Arbitrary)]
enum Topic {
    Fixed(u8),
    Raw(String),
    Missing,
    Null,
}

#[derive(Debug, Arbitrary)]
enum Int {
    Small(u8),
    Any(i64),
    Negative(u16),
    Huge(u64),
    Fraction(u8),
}

#[derive(Debug, Arbitrary)]
enum Offset {
    /// The previous record's offset plus this step (0 repeats it).
    Next(u8),
    Int(Int),
}

#[derive(Debug, Arbitrary)]
enum Timestamp {
    Missing,
    Null,
    NoTimestamp,
    /// Around 2023-10-01, in seconds.
    Near(i32),
    Any(i64),
    Fraction(f64),
    Huge(u64),
    Text(String),
}

#[derive(Debug, Arbitrary)]
enum TimestampKind {
    Missing,
    Create,
    LogAppend,
    No,
    Raw(String),
}

#[derive(Debug, Arbitrary)]
enum Payload {
    Missing,
    Null,
    /// A JSON document, base64-encoded.
    Json(Json),
    /// A value with the fields the configurations read.
    Shaped(Shaped),
    /// A `{"schema": .., "payload": ..}` envelope.
    Envelope(Schema, Json),
    /// A Debezium change event.
    Change(ChangeEvent),
    Bytes(Vec<u8>),
    Text(String),
    /// Not base64 at all.
    BadBase64(String),
}

#[derive(Debug, Arbitrary)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Big(u64),
    Float(f64),
    Str(StrValue),
    Array(Vec<Json>),
    Object(Vec<(FieldName, Json)>),
}

#[derive(Debug, Arbitrary)]
enum FieldName {
    Known(u8),
    Raw(String),
}

#[derive(Debug, Arbitrary)]
enum StrValue {
    Raw(String),
    DateTime(DateTime),
    /// Path-like text: segments of `.`, `..`, `/`, `\`, `%`, and text.
    PathLike(Vec<PathBit>),
}

#[derive(Debug, Arbitrary)]
enum PathBit {
    Dot,
    DotDot,
    Slash,
    Backslash,
    Percent,
    Hash,
    Control(u8),
    Text(String),
}

#[derive(Debug, Arbitrary)]
struct DateTime {
    year: i32,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    fraction: Option<u32>,
    zone: Zone,
    separator: bool,
}

#[derive(Debug, Arbitrary)]
enum Zone {
    None,
    Z,
    Offset(i8, u8),
    Compact(i8, u8),
}

#[derive(Debug, Arbitrary)]
struct Shaped {
    a_b: Json,
    c: Json,
    ts: Json,
    extra: Vec<(FieldName, Json)>,
}

#[derive(Debug, Arbitrary)]
enum Schema {
    Null,
    Primitive(u8, bool),
    Struct(Vec<(FieldName, Schema)>, bool),
    Array(Box<Schema>),
    Map(Box<Schema>),
    Named(u8, Box<Schema>),
    Default(Box<Schema>, Json),
    Raw(Json),
}

#[derive(Debug, Arbitrary)]
struct ChangeEvent {
    op: u8,
    before: Option<Shaped>,
    after: Option<Shaped>,
    ts_ms: Json,
    with_schema: bool,
}

const PRIMITIVES: &[&str] = &[
    "int8", "int16", "int32", "int64", "float", "double", "boolean", "string", "bytes", "struct",
    "array", "map", "weird",
];
const LOGICAL: &[&str] = &[
    "org.apache.kafka.connect.data.Timestamp",
    "org.apache.kafka.connect.data.Date",
    "org.apache.kafka.connect.data.Time",
    "org.apache.kafka.connect.data.Decimal",
    "io.debezium.time.ZonedTimestamp",
    "dbserver.inventory.customers.Envelope",
    "x.Value",
];

fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list[usize::from(i) % list.len()]
}

impl Int {
    fn json(&self) -> Value {
        match self {
            Int::Small(n) => json!(n),
            Int::Any(n) => json!(n),
            Int::Negative(n) => json!(-i64::from(*n) - 1),
            Int::Huge(n) => json!(n),
            Int::Fraction(n) => json!(f64::from(*n) + 0.5),
        }
    }
}

impl FieldName {
    fn text(&self) -> String {
        match self {
            FieldName::Known(i) => pick(FIELDS, *i).to_owned(),
            FieldName::Raw(s) => s.clone(),
        }
    }
}

impl DateTime {
    fn text(&self) -> String {
        let mut s = format!(
            "{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}",
            self.year,
            self.month,
            self.day,
            if self.separator { 'T' } else { ' ' },
            self.hour,
            self.minute,
            self.second
        );
        if let Some(f) = self.fraction {
            s.push_str(&format!(".{f}"));
        }
        match self.zone {
            Zone::None => {}
            Zone::Z => s.push('Z'),
            Zone::Offset(h, m) => s.push_str(&format!("{h:+03}:{m:02}")),
            Zone::Compact(h, m) => s.push_str(&format!("{h:+03}{m:02}")),
        }
        s
    }
}

impl Json {
    fn value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Int(n) => json!(n),
            Json::Big(n) => json!(n),
            Json::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Json::Str(s) => Value::String(s.text()),
            Json::Array(items) => Value::Array(items.iter().map(Json::value).collect()),
            Json::Object(fields) => object(fields),
        }
    }
}

fn object(fields: &[(FieldName, Json)]) -> Value {
    let mut map = Map::new();
    for (name, v) in fields {
        map.insert(name.text(), v.value());
    }
    Value::Object(map)
}

impl StrValue {
    fn text(&self) -> String {
        match self {
            StrValue::Raw(s) => s.clone(),
            StrValue::DateTime(d) => d.text(),
            StrValue::PathLike(bits) => bits
                .iter()
                .map(|b| match b {
                    PathBit::Dot => ".".to_owned(),
                    PathBit::DotDot => "..".to_owned(),
                    PathBit::Slash => "/".to_owned(),
                    PathBit::Backslash => "\\".to_owned(),
                    PathBit::Percent => "%".to_owned(),
                    PathBit::Hash => "#".to_owned(),
                    PathBit::Control(c) => char::from(*c % 0x20).to_string(),
                    PathBit::Text(t) => t.clone(),
                })
                .collect(),
        }
    }
}

impl Shaped {
    fn value(&self) -> Value {
        let mut map = Map::new();
        map.insert(
            "a".to_owned(),
            json!({"b": self.a_b.value(), "ts": self.ts.value()}),
        );
        map.insert("c".to_owned(), self.c.value());
        map.insert("ts".to_owned(), self.ts.value());
        for (name, v) in &self.extra {
            map.insert(name.text(), v.value());
        }
        Value::Object(map)
    }
}

impl Schema {
    fn value(&self) -> Value {
        match self {
            Schema::Null => Value::Null,
            Schema::Primitive(t, optional) => {
                json!({"type": pick(PRIMITIVES, *t), "optional": optional})
            }
            Schema::Struct(fields, optional) => {
                let fields: Vec<Value> = fields
                    .iter()
                    .map(|(name, s)| {
                        let mut v = s.value();
                        if let Value::Object(m) = &mut v {
                            m.insert("field".to_owned(), Value::String(name.text()));
                        }
                        v
                    })
                    .collect();
                json!({"type": "struct", "fields": fields, "optional": optional})
            }
            Schema::Array(items) => json!({"type": "array", "items": items.value()}),
            Schema::Map(values) => {
                json!({"type": "map", "keys": {"type": "string"}, "values": values.value()})
            }
            Schema::Named(name, inner) => {
                let mut v = inner.value();
                if let Value::Object(m) = &mut v {
                    m.insert(
                        "name".to_owned(),
                        Value::String(pick(LOGICAL, *name).into()),
                    );
                }
                v
            }
            Schema::Default(inner, default) => {
                let mut v = inner.value();
                if let Value::Object(m) = &mut v {
                    m.insert("default".to_owned(), default.value());
                }
                v
            }
            Schema::Raw(j) => j.value(),
        }
    }
}

impl ChangeEvent {
    fn value(&self) -> Value {
        let payload = json!({
            "before": self.before.as_ref().map(Shaped::value),
            "after": self.after.as_ref().map(Shaped::value),
            "source": {"db": "inventory", "table": "customers", "ts_ms": self.ts_ms.value(), "lsn": 7},
            "op": pick(&["c", "u", "d", "r", "t", "x"], self.op),
            "ts_ms": self.ts_ms.value(),
        });
        if !self.with_schema {
            return payload;
        }
        let row = json!({"type": "struct", "optional": true, "name": "dbserver.inventory.customers.Value", "fields": [
            {"field": "a", "type": "struct", "optional": true, "fields": [
                {"field": "b", "type": "string", "optional": true},
                {"field": "ts", "type": "int64", "optional": true}]},
            {"field": "c", "type": "string", "optional": true},
            {"field": "ts", "type": "int64", "optional": true, "name": "org.apache.kafka.connect.data.Timestamp"}]});
        json!({
            "schema": {"type": "struct", "optional": false, "name": "dbserver.inventory.customers.Envelope", "fields": [
                {"field": "before", "type": "struct", "optional": true, "fields": row["fields"].clone(), "name": row["name"].clone()},
                {"field": "after", "type": "struct", "optional": true, "fields": row["fields"].clone(), "name": row["name"].clone()},
                {"field": "source", "type": "struct", "optional": false, "fields": [
                    {"field": "db", "type": "string"}, {"field": "table", "type": "string", "optional": true},
                    {"field": "ts_ms", "type": "int64"}, {"field": "lsn", "type": "int64", "optional": true}]},
                {"field": "op", "type": "string"},
                {"field": "ts_ms", "type": "int64", "optional": true}]},
            "payload": payload,
        })
    }
}

impl Payload {
    /// The base64 text of the field, or `None` to leave the field out.
    fn json(&self) -> Option<Value> {
        let b64 = |bytes: &[u8]| Some(Value::String(STANDARD.encode(bytes)));
        match self {
            Payload::Missing => None,
            Payload::Null => Some(Value::Null),
            Payload::Json(j) => b64(j.value().to_string().as_bytes()),
            Payload::Shaped(s) => b64(s.value().to_string().as_bytes()),
            Payload::Envelope(schema, payload) => b64(
                json!({"schema": schema.value(), "payload": payload.value()})
                    .to_string()
                    .as_bytes(),
            ),
            Payload::Change(c) => b64(c.value().to_string().as_bytes()),
            Payload::Bytes(b) => b64(b),
            Payload::Text(t) => b64(t.as_bytes()),
            Payload::BadBase64(t) => Some(Value::String(t.clone())),
        }
    }
}

#[derive(Debug, Arbitrary)]
enum Headers {
    Missing,
    Null,
    List(Vec<Vec<(HeaderName, HeaderValue)>>),
    NotAList(Json),
}

#[derive(Debug, Arbitrary)]
enum HeaderName {
    Known(u8),
    Raw(String),
}

#[derive(Debug, Arbitrary)]
enum HeaderValue {
    Bytes(Vec<i8>),
    OutOfRange(Vec<i16>),
    Other(Json),
}

impl Headers {
    fn json(&self) -> Option<Value> {
        match self {
            Headers::Missing => None,
            Headers::Null => Some(Value::Null),
            Headers::NotAList(j) => Some(j.value()),
            Headers::List(entries) => Some(Value::Array(
                entries
                    .iter()
                    .map(|entry| {
                        let mut map = Map::new();
                        for (name, value) in entry {
                            let name = match name {
                                HeaderName::Known(i) => pick(&["skip", "h", "", "op"], *i).into(),
                                HeaderName::Raw(s) => s.clone(),
                            };
                            let value = match value {
                                HeaderValue::Bytes(b) => json!(b),
                                HeaderValue::OutOfRange(b) => json!(b),
                                HeaderValue::Other(j) => j.value(),
                            };
                            map.insert(name, value);
                        }
                        Value::Object(map)
                    })
                    .collect(),
            )),
        }
    }
}

impl FuzzEvent {
    /// The event as JSON text.
    pub fn to_json(&self) -> Vec<u8> {
        let mut records = Map::new();
        let mut last_offset: i64 = 0;
        for p in &self.partitions {
            let mut list = Vec::new();
            let mut first: Option<(String, Value)> = None;
            for r in &p.records {
                let mut rec = Map::new();
                let topic = match &r.topic {
                    Topic::Fixed(i) => Some(Value::String(pick(TOPICS, *i).into())),
                    Topic::Raw(s) => Some(Value::String(s.clone())),
                    Topic::Missing => None,
                    Topic::Null => Some(Value::Null),
                };
                if let Some(t) = topic {
                    rec.insert("topic".into(), t);
                }
                let partition = r.partition.json();
                let offset = match &r.offset {
                    Offset::Next(step) => {
                        last_offset = last_offset.saturating_add(i64::from(*step));
                        json!(last_offset)
                    }
                    Offset::Int(i) => {
                        let v = i.json();
                        if let Some(n) = v.as_i64() {
                            last_offset = n;
                        }
                        v
                    }
                };
                if first.is_none() {
                    let t = rec
                        .get("topic")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned();
                    first = Some((t, partition.clone()));
                }
                rec.insert("partition".into(), partition);
                rec.insert("offset".into(), offset);
                let ts = match &r.timestamp {
                    Timestamp::Missing => None,
                    Timestamp::Null => Some(Value::Null),
                    Timestamp::NoTimestamp => Some(json!(-1)),
                    Timestamp::Near(s) => Some(json!(1_696_122_000_000_i64 + i64::from(*s) * 1000)),
                    Timestamp::Any(n) => Some(json!(n)),
                    Timestamp::Fraction(f) => {
                        Some(Number::from_f64(*f).map_or(Value::Null, Value::Number))
                    }
                    Timestamp::Huge(n) => Some(json!(n)),
                    Timestamp::Text(s) => Some(Value::String(s.clone())),
                };
                if let Some(ts) = ts {
                    rec.insert("timestamp".into(), ts);
                }
                let kind = match &r.timestamp_type {
                    TimestampKind::Missing => None,
                    TimestampKind::Create => Some("CREATE_TIME".to_owned()),
                    TimestampKind::LogAppend => Some("LOG_APPEND_TIME".to_owned()),
                    TimestampKind::No => Some("NO_TIMESTAMP_TYPE".to_owned()),
                    TimestampKind::Raw(s) => Some(s.clone()),
                };
                if let Some(k) = kind {
                    rec.insert("timestampType".into(), Value::String(k));
                }
                if let Some(k) = r.key.json() {
                    rec.insert("key".into(), k);
                }
                if let Some(v) = r.value.json() {
                    rec.insert("value".into(), v);
                }
                if let Some(h) = r.headers.json() {
                    rec.insert("headers".into(), h);
                }
                list.push(Value::Object(rec));
            }
            let key = match &p.map_key {
                MapKey::Derived => match &first {
                    Some((t, part)) => format!("{t}-{part}"),
                    None => "empty-0".to_owned(),
                },
                MapKey::Fixed(t, n) => format!("{}-{n}", pick(TOPICS, *t)),
                MapKey::Raw(s) => s.clone(),
            };
            match records.get_mut(&key) {
                Some(Value::Array(existing)) => existing.extend(list),
                _ => {
                    records.insert(key, Value::Array(list));
                }
            }
        }
        let mut event = Map::new();
        match &self.source {
            Source::Msk => {
                event.insert("eventSource".into(), json!("aws:kafka"));
            }
            Source::SelfManaged => {
                event.insert("eventSource".into(), json!("SelfManagedKafka"));
            }
            Source::Missing => {}
            Source::Other(s) => {
                event.insert("eventSource".into(), json!(s));
            }
            Source::NotAString(n) => {
                event.insert("eventSource".into(), json!(n));
            }
        }
        if let Some(arn) = &self.arn {
            event.insert("eventSourceArn".into(), json!(arn));
        }
        event.insert("records".into(), Value::Object(records));
        Value::Object(event).to_string().into_bytes()
    }
}

/// The structured reading of fuzz bytes: the event JSON it builds, if the bytes suffice.
pub fn structured_event_json(data: &[u8]) -> Option<Vec<u8>> {
    let mut u = Unstructured::new(data);
    let event: Result<FuzzEvent> = FuzzEvent::arbitrary(&mut u);
    event.ok().map(|e| e.to_json())
}

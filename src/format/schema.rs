//! The shape of a file's records, shared by the Parquet and Avro encoders.
//!
//! A record value arrives as JSON ([`EncodeRecord`]), with its Kafka Connect JSON schema when
//! the message had the `{"schema", "payload"}` envelope. [`ConnectSchema::parse`] turns that
//! schema into a small typed tree; for schemaless records [`infer`] derives the same tree from
//! the values themselves. [`file_schema`] picks one of the two for a whole file.
//!
//! # Inference rules (schemaless JSON)
//!
//! * Field order is the order of first appearance across the file's records, in record order.
//! * `true`/`false` → `boolean`; integers that fit an `i64` → `int64`; other numbers → `float64`;
//!   strings → `string`; objects → `struct`; arrays → `array` whose element type is inferred
//!   across every element of every record.
//! * Types are widened when they meet: `int64` + `float64` → `float64`. Any other conflict
//!   (a string meeting a number, a scalar meeting an object or array, an object meeting an array,
//!   a boolean meeting a number) gives a *JSON text* column ([`SchemaKind::Json`]): a string
//!   holding the string itself for string values and the compact JSON text for every other value.
//! * Fields seen only as `null`, and arrays that are always empty, are typed `string` (all
//!   values null), because Parquet's `NULL`/`UNKNOWN` logical type is not readable everywhere.
//! * Objects that never have a field are typed as JSON text (`"{}"`): Parquet cannot hold an
//!   empty group.
//! * Every inferred field and array element is optional (nullable); a missing field is null.
//! * When every record value is an object (with at least one field across the file) the schema
//!   is a struct of its fields; otherwise the record value itself has the inferred type (a
//!   Parquet file then has a single column named `value`).

use std::collections::HashMap;

use serde_json::Value;

use super::FormatError;

/// One record to encode: its converted value (never a tombstone here), the raw value bytes and
/// its Kafka coordinates.
#[derive(Debug, Clone, Copy)]
pub struct EncodeRecord<'a> {
    /// The value as the value converter produced it.
    pub value: &'a Value,
    /// The value's Connect JSON schema, when the message had the `{schema, payload}` envelope.
    pub schema: Option<&'a Value>,
    /// The raw value bytes from Kafka.
    pub raw_value: Option<&'a [u8]>,
    /// The record's topic.
    pub topic: &'a str,
    /// The record's partition.
    pub partition: i32,
    /// The record's offset, used to name the record in errors.
    pub offset: i64,
    /// The record's timestamp in epoch milliseconds, when it has one.
    pub timestamp: Option<i64>,
}

/// Records of topic `t` for the format unit tests: one per value, all with `schema`, offsets
/// counted from `first_offset`.
#[cfg(test)]
pub(crate) fn test_records<'a>(
    values: &'a [Value],
    schema: Option<&'a Value>,
    partition: i32,
    first_offset: i64,
) -> Vec<EncodeRecord<'a>> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| EncodeRecord {
            value: v,
            schema,
            raw_value: None,
            topic: "t",
            partition,
            offset: first_offset + i as i64,
            timestamp: None,
        })
        .collect()
}

/// Connect's `Decimal` logical type name.
pub const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
/// Connect's `Date` logical type name (int32 days since the epoch).
pub const DATE: &str = "org.apache.kafka.connect.data.Date";
/// Connect's `Time` logical type name (int32 milliseconds since midnight).
pub const TIME: &str = "org.apache.kafka.connect.data.Time";
/// Connect's `Timestamp` logical type name (int64 milliseconds since the epoch).
pub const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";
/// The `Decimal` parameter holding its scale.
pub const DECIMAL_SCALE_PARAM: &str = "scale";
/// The `Decimal` parameter holding its precision (Confluent's `AvroData` convention).
pub const DECIMAL_PRECISION_PARAM: &str = "connect.decimal.precision";

/// A Connect schema (or an inferred one) as a typed tree.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectSchema {
    /// The type.
    pub kind: SchemaKind,
    /// Whether null is allowed.
    pub optional: bool,
    /// The schema's name (`com.example.Order`, or a logical type name).
    pub name: Option<String>,
    /// The schema's version.
    pub version: Option<i64>,
    /// The schema's documentation.
    pub doc: Option<String>,
    /// The schema's parameters, in their order.
    pub parameters: Vec<(String, String)>,
    /// The schema's default value, in its Connect JSON form.
    pub default: Option<Value>,
}

/// The type of a [`ConnectSchema`].
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaKind {
    /// `int8`.
    Int8,
    /// `int16`.
    Int16,
    /// `int32`.
    Int32,
    /// `int64`.
    Int64,
    /// `float` (32-bit).
    Float32,
    /// `double`.
    Float64,
    /// `boolean`.
    Boolean,
    /// `string`.
    String,
    /// `bytes`, base64 in JSON.
    Bytes,
    /// `Decimal`: bytes holding the big-endian two's complement unscaled value (base64 in
    /// JSON; a JSON number is accepted too).
    Decimal {
        /// The `scale` parameter.
        scale: i32,
        /// The `connect.decimal.precision` parameter, when given.
        precision: Option<u32>,
    },
    /// `Date`: int32 days since the epoch.
    Date,
    /// `Time`: int32 milliseconds since midnight.
    Time,
    /// `Timestamp`: int64 milliseconds since the epoch, UTC.
    Timestamp,
    /// `array` of the element schema.
    Array(Box<ConnectSchema>),
    /// `map` from the key schema to the value schema.
    Map(Box<ConnectSchema>, Box<ConnectSchema>),
    /// `struct` with its fields in order.
    Struct(Vec<Field>),
    /// Inferred only: values of conflicting JSON types, written as a string holding the string
    /// itself or the compact JSON text of any other value.
    Json,
}

/// A struct field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The field name as it appears in the JSON value.
    pub name: String,
    /// The field's schema.
    pub schema: ConnectSchema,
}

impl ConnectSchema {
    /// A schema of the given kind with no name, parameters or default.
    pub fn of(kind: SchemaKind, optional: bool) -> ConnectSchema {
        ConnectSchema {
            kind,
            optional,
            name: None,
            version: None,
            doc: None,
            parameters: Vec::new(),
            default: None,
        }
    }

    /// Parses a Connect JSON schema (the `schema` half of a `JsonConverter` envelope).
    pub fn parse(schema: &Value) -> Result<ConnectSchema, String> {
        parse_at(schema, "$")
    }

    /// The value of a parameter.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The struct fields, when this is a struct.
    pub fn fields(&self) -> Option<&[Field]> {
        match &self.kind {
            SchemaKind::Struct(fields) => Some(fields),
            _ => None,
        }
    }

    /// The default value when it is set and not null.
    pub fn non_null_default(&self) -> Option<&Value> {
        self.default.as_ref().filter(|d| !d.is_null())
    }
}

fn parse_at(schema: &Value, path: &str) -> Result<ConnectSchema, String> {
    let obj = schema
        .as_object()
        .ok_or_else(|| format!("schema at {path} is not an object"))?;
    let ty = obj
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("schema at {path} has no \"type\""))?;
    let optional = obj
        .get("optional")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let name = obj.get("name").and_then(Value::as_str).map(str::to_owned);
    let version = obj.get("version").and_then(Value::as_i64);
    let doc = obj.get("doc").and_then(Value::as_str).map(str::to_owned);
    let parameters: Vec<(String, String)> = match obj.get("parameters") {
        Some(Value::Object(params)) => params
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), v)
            })
            .collect(),
        _ => Vec::new(),
    };
    let default = obj.get("default").filter(|d| !d.is_null()).cloned();
    let param = |key: &str| {
        parameters
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let kind = match (ty, name.as_deref()) {
        ("bytes", Some(DECIMAL)) => {
            let scale = match param(DECIMAL_SCALE_PARAM) {
                Some(s) => s
                    .trim()
                    .parse::<i32>()
                    .map_err(|_| format!("Decimal at {path} has a bad scale {s:?}"))?,
                None => 0,
            };
            let precision = match param(DECIMAL_PRECISION_PARAM) {
                Some(p) => Some(
                    p.trim()
                        .parse::<u32>()
                        .map_err(|_| format!("Decimal at {path} has a bad precision {p:?}"))?,
                ),
                None => None,
            };
            SchemaKind::Decimal { scale, precision }
        }
        ("int32", Some(DATE)) => SchemaKind::Date,
        ("int32", Some(TIME)) => SchemaKind::Time,
        ("int64", Some(TIMESTAMP)) => SchemaKind::Timestamp,
        ("int8", _) => SchemaKind::Int8,
        ("int16", _) => SchemaKind::Int16,
        ("int32", _) => SchemaKind::Int32,
        ("int64", _) => SchemaKind::Int64,
        ("float", _) => SchemaKind::Float32,
        ("double", _) => SchemaKind::Float64,
        ("boolean", _) => SchemaKind::Boolean,
        ("string", _) => SchemaKind::String,
        ("bytes", _) => SchemaKind::Bytes,
        ("array", _) => {
            let items = obj
                .get("items")
                .ok_or_else(|| format!("array schema at {path} has no \"items\""))?;
            SchemaKind::Array(Box::new(parse_at(items, &format!("{path}[]"))?))
        }
        ("map", _) => {
            let keys = obj
                .get("keys")
                .ok_or_else(|| format!("map schema at {path} has no \"keys\""))?;
            let values = obj
                .get("values")
                .ok_or_else(|| format!("map schema at {path} has no \"values\""))?;
            SchemaKind::Map(
                Box::new(parse_at(keys, &format!("{path}.<key>"))?),
                Box::new(parse_at(values, &format!("{path}.<value>"))?),
            )
        }
        ("struct", _) => {
            let fields = obj
                .get("fields")
                .and_then(Value::as_array)
                .ok_or_else(|| format!("struct schema at {path} has no \"fields\" array"))?;
            let mut out = Vec::with_capacity(fields.len());
            for f in fields {
                let fname = f
                    .get("field")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("struct field at {path} has no \"field\" name"))?;
                if out.iter().any(|o: &Field| o.name == fname) {
                    return Err(format!("struct at {path} has field {fname:?} twice"));
                }
                out.push(Field {
                    name: fname.to_owned(),
                    schema: parse_at(f, &format!("{path}.{fname}"))?,
                });
            }
            SchemaKind::Struct(out)
        }
        (other, _) => return Err(format!("unknown schema type {other:?} at {path}")),
    };
    Ok(ConnectSchema {
        kind,
        optional,
        name,
        version,
        doc,
        parameters,
        default,
    })
}

/// The schema inferred from a file's schemaless records (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct InferredSchema {
    /// The schema of each record value: a struct when every value is an object, otherwise the
    /// values' common type. Never optional; all fields and elements inside are optional.
    pub schema: ConnectSchema,
}

impl InferredSchema {
    /// Whether the values are objects written as one column per field.
    pub fn is_struct(&self) -> bool {
        matches!(self.schema.kind, SchemaKind::Struct(_))
    }
}

/// Inference state of one position in the values.
#[derive(Debug)]
enum Inf {
    /// Seen only as null (or not at all).
    Null,
    Bool,
    Int,
    Float,
    Str,
    Json,
    Object(ObjInf),
    Array(Box<Inf>),
}

#[derive(Debug, Default)]
struct ObjInf {
    fields: Vec<(String, Inf)>,
    index: HashMap<String, usize>,
}

impl Inf {
    fn observe(&mut self, v: &Value) {
        match (&mut *self, v) {
            (_, Value::Null) | (Inf::Json, _) => {}
            (Inf::Null, Value::Object(_)) => {
                *self = Inf::Object(ObjInf::default());
                self.observe(v);
            }
            (Inf::Null, Value::Array(_)) => {
                *self = Inf::Array(Box::new(Inf::Null));
                self.observe(v);
            }
            (Inf::Null, scalar) => *self = scalar_kind(scalar),
            (Inf::Object(obj), Value::Object(map)) => {
                // Keys usually come in the same order in every record: try the next position
                // before the index.
                let mut next = 0usize;
                for (k, fv) in map {
                    let positional = obj.fields.get(next).is_some_and(|(name, _)| name == k);
                    let i = if positional {
                        next
                    } else if let Some(&i) = obj.index.get(k) {
                        i
                    } else {
                        obj.fields.push((k.clone(), Inf::Null));
                        let i = obj.fields.len() - 1;
                        obj.index.insert(k.clone(), i);
                        i
                    };
                    next = i + 1;
                    if let Some((_, inf)) = obj.fields.get_mut(i) {
                        inf.observe(fv);
                    }
                }
            }
            (Inf::Array(elem), Value::Array(items)) => {
                for item in items {
                    elem.observe(item);
                }
            }
            (Inf::Int, Value::Number(_)) | (Inf::Float, Value::Number(_)) => {
                if !matches!(scalar_kind(v), Inf::Int) {
                    *self = Inf::Float;
                }
            }
            (Inf::Bool, Value::Bool(_)) | (Inf::Str, Value::String(_)) => {}
            _ => *self = Inf::Json,
        }
    }

    fn finish(self, optional: bool) -> ConnectSchema {
        let kind = match self {
            Inf::Null | Inf::Str => SchemaKind::String,
            Inf::Bool => SchemaKind::Boolean,
            Inf::Int => SchemaKind::Int64,
            Inf::Float => SchemaKind::Float64,
            Inf::Json => SchemaKind::Json,
            Inf::Object(obj) if obj.fields.is_empty() => SchemaKind::Json,
            Inf::Object(obj) => SchemaKind::Struct(
                obj.fields
                    .into_iter()
                    .map(|(name, inf)| Field {
                        name,
                        schema: inf.finish(true),
                    })
                    .collect(),
            ),
            Inf::Array(elem) => SchemaKind::Array(Box::new(elem.finish(true))),
        };
        ConnectSchema::of(kind, optional)
    }
}

fn scalar_kind(v: &Value) -> Inf {
    match v {
        Value::Bool(_) => Inf::Bool,
        Value::Number(n) if n.is_i64() => Inf::Int,
        Value::Number(_) => Inf::Float,
        Value::String(_) => Inf::Str,
        Value::Null => Inf::Null,
        Value::Object(_) | Value::Array(_) => Inf::Json,
    }
}

/// Infers one schema for a file's schemaless record values (see the module documentation).
pub fn infer(records: &[EncodeRecord<'_>]) -> InferredSchema {
    let mut root = Inf::Null;
    for r in records {
        root.observe(r.value);
    }
    InferredSchema {
        schema: root.finish(false),
    }
}

/// The schema a whole file is written with.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSchema {
    /// The schema of each record value.
    pub schema: ConnectSchema,
    /// Whether it was inferred from schemaless records rather than given by Connect.
    pub inferred: bool,
}

/// The one schema of a file: the records' Connect schema when they carry one (all of them must
/// carry the same), otherwise the schema inferred from the values.
pub fn file_schema(records: &[EncodeRecord<'_>]) -> Result<FileSchema, FormatError> {
    let Some(first) = records.first() else {
        return Ok(FileSchema {
            schema: infer(records).schema,
            inferred: true,
        });
    };
    for r in records.iter().skip(1) {
        let same = match (r.schema, first.schema) {
            (Some(a), Some(b)) => std::ptr::eq(a, b) || a == b,
            (None, None) => true,
            _ => false,
        };
        if !same {
            return Err(FormatError::Encode(format!(
                "record at offset {} ({}-{}) has a different schema from the first record of \
                 the file (offset {}); a file holds one schema",
                r.offset, r.topic, r.partition, first.offset
            )));
        }
    }
    match first.schema {
        Some(s) => {
            let schema = ConnectSchema::parse(s).map_err(|e| {
                FormatError::Encode(format!(
                    "record at offset {} ({}-{}): bad Connect schema: {e}",
                    first.offset, first.topic, first.partition
                ))
            })?;
            Ok(FileSchema {
                schema,
                inferred: false,
            })
        }
        None => Ok(FileSchema {
            schema: infer(records).schema,
            inferred: true,
        }),
    }
}

/// A stable 64-bit fingerprint of a Connect schema (`None` for schemaless records): FNV-1a over
/// the schema's canonical JSON text (compact, object keys sorted, arrays in order), `null` when
/// absent. The same schema gives the same number on every run and platform.
pub fn schema_fingerprint(schema: Option<&Value>) -> u64 {
    let mut h = Fnv64::new();
    match schema {
        Some(s) => canonical(s, &mut h),
        None => h.write(b"null"),
    }
    h.0
}

struct Fnv64(u64);

impl Fnv64 {
    fn new() -> Fnv64 {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

fn canonical(v: &Value, h: &mut Fnv64) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            h.write(b"{");
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    h.write(b",");
                }
                h.write(Value::String(k.clone()).to_string().as_bytes());
                h.write(b":");
                if let Some(x) = map.get(k) {
                    canonical(x, h);
                }
            }
            h.write(b"}");
        }
        Value::Array(items) => {
            h.write(b"[");
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    h.write(b",");
                }
                canonical(x, h);
            }
            h.write(b"]");
        }
        other => h.write(other.to_string().as_bytes()),
    }
}

/// Visits the values of the named fields of `obj` in order (`null` for a missing field),
/// matching keys by position while they line up, as they do when producers (and Connect's
/// converter) keep field order, and by lookup otherwise.
pub(crate) fn each_field<'v, 'n>(
    obj: &'v serde_json::Map<String, Value>,
    names: impl IntoIterator<Item = &'n str>,
    mut visit: impl FnMut(usize, &'v Value),
) {
    static NULL: Value = Value::Null;
    let mut entries = obj.iter();
    let mut aligned = true;
    for (i, name) in names.into_iter().enumerate() {
        let mut found = None;
        if aligned {
            match entries.next() {
                Some((k, v)) if k == name => found = Some(v),
                _ => aligned = false,
            }
        }
        visit(i, found.unwrap_or_else(|| obj.get(name).unwrap_or(&NULL)));
    }
}

/// The text a [`SchemaKind::Json`] column holds for a value: a string as it is, anything else
/// as compact JSON.
pub fn json_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Describes a JSON value briefly for error messages.
pub(crate) fn describe(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 60 {
        let cut: String = text.chars().take(57).collect();
        format!("{cut}...")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: &Value) -> EncodeRecord<'_> {
        EncodeRecord {
            value: v,
            schema: None,
            raw_value: None,
            topic: "t",
            partition: 0,
            offset: 0,
            timestamp: None,
        }
    }

    fn infer_values(values: &[Value]) -> ConnectSchema {
        let recs: Vec<_> = values.iter().map(rec).collect();
        infer(&recs).schema
    }

    fn field_kinds(s: &ConnectSchema) -> Vec<(String, SchemaKind)> {
        s.fields()
            .unwrap()
            .iter()
            .map(|f| (f.name.clone(), f.schema.kind.clone()))
            .collect()
    }

    #[test]
    fn parses_connect_schema_with_logical_types() {
        let s = ConnectSchema::parse(&json!({"type":"struct","name":"com.x.Order","version":2,"fields":[
            {"type":"string","optional":false,"field":"id"},
            {"type":"bytes","optional":true,"name":DECIMAL,"version":1,"parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"price"},
            {"type":"int32","name":DATE,"field":"d"},
            {"type":"int32","name":TIME,"field":"t"},
            {"type":"int64","name":TIMESTAMP,"field":"ts"},
            {"type":"array","items":{"type":"int16"},"field":"a"},
            {"type":"map","keys":{"type":"string"},"values":{"type":"float","optional":true},"field":"m"},
            {"type":"int32","default":7,"field":"def"}
        ]}))
        .unwrap();
        assert_eq!(s.name.as_deref(), Some("com.x.Order"));
        assert_eq!(s.version, Some(2));
        let kinds = field_kinds(&s);
        assert_eq!(kinds[0].1, SchemaKind::String);
        assert_eq!(
            kinds[1].1,
            SchemaKind::Decimal {
                scale: 2,
                precision: Some(10)
            }
        );
        assert_eq!(kinds[2].1, SchemaKind::Date);
        assert_eq!(kinds[3].1, SchemaKind::Time);
        assert_eq!(kinds[4].1, SchemaKind::Timestamp);
        assert!(matches!(&kinds[5].1, SchemaKind::Array(e) if e.kind == SchemaKind::Int16));
        assert!(
            matches!(&kinds[6].1, SchemaKind::Map(k, v) if k.kind == SchemaKind::String && v.optional)
        );
        let fields = s.fields().unwrap();
        assert!(fields[1].schema.optional);
        assert_eq!(fields[7].schema.default, Some(json!(7)));
        assert!(ConnectSchema::parse(&json!({"type":"nope"})).is_err());
        assert!(ConnectSchema::parse(&json!({"type":"struct"})).is_err());
    }

    #[test]
    fn infers_in_first_appearance_order_with_widening() {
        let s = infer_values(&[
            json!({"b": 1, "a": "x", "n": null}),
            json!({"c": true, "b": 2.5, "a": 3}),
            json!({"d": {"x": 1}, "e": [1, 2.0]}),
            json!({"d": 5, "e": [], "o": {}}),
        ]);
        assert!(!s.optional);
        assert_eq!(
            field_kinds(&s),
            vec![
                ("b".into(), SchemaKind::Float64),
                ("a".into(), SchemaKind::Json),
                ("n".into(), SchemaKind::String),
                ("c".into(), SchemaKind::Boolean),
                ("d".into(), SchemaKind::Json),
                (
                    "e".into(),
                    SchemaKind::Array(Box::new(ConnectSchema::of(SchemaKind::Float64, true)))
                ),
                ("o".into(), SchemaKind::Json),
            ]
        );
        assert!(s.fields().unwrap().iter().all(|f| f.schema.optional));
    }

    #[test]
    fn infers_nested_structs_and_arrays_of_structs() {
        let s = infer_values(&[
            json!({"c": {"name": "a", "addr": {"zip": "1"}}, "items": [{"id": 1}]}),
            json!({"c": {"addr": {"city": "x"}, "vip": true}, "items": [{"id": 2, "q": 1.5}, null]}),
        ]);
        let f = s.fields().unwrap();
        let c = f[0].schema.fields().unwrap();
        assert_eq!(
            c.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            ["name", "addr", "vip"]
        );
        let addr = c[1].schema.fields().unwrap();
        assert_eq!(
            addr.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            ["zip", "city"]
        );
        let SchemaKind::Array(elem) = &f[1].schema.kind else {
            panic!("items is not an array")
        };
        assert!(elem.optional);
        assert_eq!(
            field_kinds(elem),
            vec![
                ("id".into(), SchemaKind::Int64),
                ("q".into(), SchemaKind::Float64)
            ]
        );
    }

    #[test]
    fn top_level_scalars_and_conflicts() {
        assert_eq!(
            infer_values(&[json!("a"), json!("b")]).kind,
            SchemaKind::String
        );
        assert_eq!(
            infer_values(&[json!(1), json!(2.5)]).kind,
            SchemaKind::Float64
        );
        assert_eq!(
            infer_values(&[json!({"a": 1}), json!(2)]).kind,
            SchemaKind::Json
        );
        assert_eq!(infer_values(&[json!({})]).kind, SchemaKind::Json);
        assert_eq!(infer_values(&[]).kind, SchemaKind::String);
        // u64 beyond i64 is a float
        assert_eq!(infer_values(&[json!(u64::MAX)]).kind, SchemaKind::Float64);
        assert_eq!(
            infer_values(&[json!(true), json!(1)]).kind,
            SchemaKind::Json
        );
    }

    #[test]
    fn file_schema_requires_one_schema() {
        let sa = json!({"type":"string"});
        let sb = json!({"type":"int32"});
        let v = json!("x");
        let mut a = rec(&v);
        a.schema = Some(&sa);
        let mut b = rec(&v);
        b.schema = Some(&sb);
        b.offset = 9;
        let fs = file_schema(&[a, a]).unwrap();
        assert!(!fs.inferred);
        assert_eq!(fs.schema.kind, SchemaKind::String);
        let err = file_schema(&[a, b]).unwrap_err().to_string();
        assert!(err.contains("offset 9"), "{err}");
        let err = file_schema(&[a, rec(&v)]).unwrap_err().to_string();
        assert!(err.contains("different schema"), "{err}");
        assert!(file_schema(&[rec(&v)]).unwrap().inferred);
    }

    #[test]
    fn fingerprint_is_stable_and_canonical() {
        let a = json!({"type":"struct","fields":[{"type":"string","field":"a"}]});
        let b = json!({"fields":[{"field":"a","type":"string"}],"type":"struct"});
        let c = json!({"type":"struct","fields":[{"type":"string","field":"b"}]});
        assert_eq!(schema_fingerprint(Some(&a)), schema_fingerprint(Some(&b)));
        assert_ne!(schema_fingerprint(Some(&a)), schema_fingerprint(Some(&c)));
        assert_ne!(schema_fingerprint(Some(&a)), schema_fingerprint(None));
        // Fixed values: FNV-1a 64 of the text `null`, and of the canonical text of `a`.
        assert_eq!(schema_fingerprint(None), fnv(b"null"));
        assert_eq!(schema_fingerprint(None), 0x5b9b_c4ba_5281_08e4);
        assert_eq!(
            schema_fingerprint(Some(&b)),
            fnv(br#"{"fields":[{"field":"a","type":"string"}],"type":"struct"}"#)
        );
    }

    fn fnv(bytes: &[u8]) -> u64 {
        let mut h = Fnv64::new();
        h.write(bytes);
        h.0
    }

    #[test]
    fn each_field_by_position_then_lookup() {
        let collect = |v: &Value, names: &[&str]| {
            let mut out = Vec::new();
            each_field(v.as_object().unwrap(), names.iter().copied(), |i, x| {
                out.push((i, x.clone()))
            });
            out
        };
        let v = json!({"a": 1, "b": 2, "c": 3});
        assert_eq!(
            collect(&v, &["a", "b", "c"]),
            vec![(0, json!(1)), (1, json!(2)), (2, json!(3))]
        );
        assert_eq!(
            collect(&v, &["a", "c", "x", "b"]),
            vec![
                (0, json!(1)),
                (1, json!(3)),
                (2, Value::Null),
                (3, json!(2))
            ]
        );
        assert_eq!(collect(&json!({}), &["a"]), vec![(0, Value::Null)]);
    }

    #[test]
    fn json_text_keeps_strings() {
        assert_eq!(json_text(&json!("a\"b")), "a\"b");
        assert_eq!(json_text(&json!({"a": [1]})), r#"{"a":[1]}"#);
        assert_eq!(describe(&json!("x".repeat(100))).chars().count(), 60);
    }
}

//! `ProtobufConverter`: Protobuf payloads to Connect data, as Confluent's
//! `ProtobufData.toConnectSchema` and `toConnectData` do with their default options
//! (`enhanced.protobuf.schema.support=false`, `int.for.enums=false`,
//! `optional.for.nullables=false`, `wrapper.for.nullables=false`,
//! `generate.index.for.unions=true`, `flatten.unions=false`).
//!
//! The registry's schema is read as a serialized `FileDescriptorProto` (`?format=serialized`),
//! so no `.proto` text is compiled here; messages are decoded by `prost-reflect`. A payload is
//! the Confluent framing's message-index list (which message of the file) then the message.
//!
//! Every field of a Connect struct built from a message is optional and carries its tag in
//! `io.confluent.connect.protobuf.Tag`; scalars and lists that are not set hold their default
//! (`0`, `""`, `[]`), unset messages are null; a `oneof` is a
//! `io.confluent.connect.protobuf.Union.<name>` struct in a field named `<name>_<index>`;
//! `google.protobuf.Timestamp`, `google.type.Date` and `google.type.TimeOfDay` are Connect's
//! Timestamp, Date and Time.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor,
    ReflectMessage, Value as Pb,
};
use serde_json::{Map, Value, json};

use super::ReferencedSchema;
use crate::convert::{ConvertError, Converted};
use crate::format::schema::{DATE, TIME, TIMESTAMP};

const ENUM_PARAM: &str = "io.confluent.connect.protobuf.Enum";
const UNION_PREFIX: &str = "io.confluent.connect.protobuf.Union.";
const TAG_PARAM: &str = "io.confluent.connect.protobuf.Tag";
const TYPE_PARAM: &str = "io.confluent.connect.protobuf.Type";
const TIMESTAMP_TYPE: &str = "google.protobuf.Timestamp";
const DATE_TYPE: &str = "google.type.Date";
const TIME_TYPE: &str = "google.type.TimeOfDay";
const DECIMAL_TYPE: &str = "confluent.type.Decimal";

/// A Protobuf writer schema (one `.proto` file and its imports) ready to convert payloads.
#[derive(Clone)]
pub struct ProtobufSchema {
    /// The file's full name for each message, by the message-index path the framing uses.
    messages: Arc<HashMap<Vec<i32>, MessageDescriptor>>,
    /// The Connect schema of each message, by full name, with the version set.
    connect: Arc<HashMap<String, Arc<Value>>>,
    first: Option<String>,
    version: Option<i64>,
}

impl std::fmt::Debug for ProtobufSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProtobufSchema")
            .field("first", &self.first)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

fn decode_descriptor(pool: &mut DescriptorPool, name: &str, b64: &str) -> Result<(), String> {
    let bytes = STANDARD.decode(b64.trim()).map_err(|_| {
        format!(
            "{name}: the registry did not answer a serialized descriptor (base64) for ?format=serialized"
        )
    })?;
    pool.decode_file_descriptor_proto(bytes.as_slice())
        .map_err(|e| format!("{name}: {e}"))
}

impl ProtobufSchema {
    /// Builds the schema from the base64 `FileDescriptorProto`s of the file and its
    /// references (dependencies first). Google's well-known types are built in.
    pub fn parse(text: &str, references: &[ReferencedSchema]) -> Result<ProtobufSchema, String> {
        let mut pool = DescriptorPool::global();
        for r in references {
            if pool.get_file_by_name(&r.name).is_some() {
                continue;
            }
            decode_descriptor(&mut pool, &r.name, &r.schema)?;
        }
        let before: Vec<String> = pool.files().map(|f| f.name().to_owned()).collect();
        decode_descriptor(&mut pool, "the schema", text)?;
        let file = pool
            .files()
            .find(|f| !before.iter().any(|b| b == f.name()))
            .ok_or("the schema's file is already known under the same name")?;
        let mut messages = HashMap::new();
        fn index(
            m: MessageDescriptor,
            path: Vec<i32>,
            out: &mut HashMap<Vec<i32>, MessageDescriptor>,
        ) {
            for (i, child) in m.child_messages().enumerate() {
                let mut p = path.clone();
                p.push(i as i32);
                index(child, p, out);
            }
            out.insert(path, m);
        }
        for (i, m) in file.messages().enumerate() {
            index(m, vec![i as i32], &mut messages);
        }
        let first = file.messages().next().map(|m| m.full_name().to_owned());
        let mut connect = HashMap::new();
        for m in messages.values() {
            if m.is_map_entry() {
                continue;
            }
            let schema = message_schema(m, &mut Vec::new())
                .map_err(|e| format!("message {}: {e}", m.full_name()))?;
            connect.insert(m.full_name().to_owned(), Arc::new(schema));
        }
        Ok(ProtobufSchema {
            messages: Arc::new(messages),
            connect: Arc::new(connect),
            first,
            version: None,
        })
    }

    /// The full name of the file's first message, as Confluent names a Protobuf schema.
    pub fn record_name(&self) -> Option<&str> {
        self.first.as_deref()
    }

    pub fn with_version(&self, version: Option<i64>) -> ProtobufSchema {
        let connect = self
            .connect
            .iter()
            .map(|(name, schema)| {
                let mut s = (**schema).clone();
                match version {
                    Some(v) => s["version"] = json!(v),
                    None => {
                        if let Some(o) = s.as_object_mut() {
                            o.remove("version");
                        }
                    }
                }
                (name.clone(), Arc::new(s))
            })
            .collect();
        ProtobufSchema {
            version,
            connect: Arc::new(connect),
            ..self.clone()
        }
    }

    /// Decodes one payload: the message-index list, then the message.
    pub fn convert(&self, payload: &[u8]) -> Result<Converted, ConvertError> {
        let err = |m: String| ConvertError::Registry(m);
        let (path, body) = message_indexes(payload).map_err(err)?;
        let desc = self.messages.get(&path).ok_or_else(|| {
            err(format!(
                "message indexes {path:?} name no message of the schema"
            ))
        })?;
        let message = DynamicMessage::decode(desc.clone(), body).map_err(|e| {
            err(format!(
                "the Protobuf payload does not decode as {}: {e}",
                desc.full_name()
            ))
        })?;
        self.converted(&message)
    }
}

impl ProtobufSchema {
    /// Reads the JSON the event-source mapping made of a Protobuf payload
    /// (`EventRecordFormat: JSON`) as proto3 JSON (field JSON names or proto names, enums by
    /// name or number, 64-bit integers as text or numbers, well-known types in their JSON
    /// forms) into the schema's first message, which is the message the subject names: the
    /// metadata carries no message indexes.
    pub fn convert_json(&self, text: &[u8]) -> Result<Converted, ConvertError> {
        let err = |m: String| ConvertError::Registry(m);
        let desc = self
            .messages
            .get(&vec![0])
            .ok_or_else(|| err("the schema defines no message".to_owned()))?;
        let message = proto3_json(desc, text).map_err(err)?;
        self.converted(&message)
    }

    /// A decoded message with its Connect schema, as Connect data.
    fn converted(&self, message: &DynamicMessage) -> Result<Converted, ConvertError> {
        let err = |m: String| ConvertError::Registry(m);
        let desc = message.descriptor();
        let schema = self
            .connect
            .get(desc.full_name())
            .cloned()
            .ok_or_else(|| err(format!("{} has no Connect schema", desc.full_name())))?;
        let data = message_data(message, "$").map_err(err)?;
        Ok(Converted {
            data,
            schema: Some(schema),
        })
    }
}

/// Reads proto3 JSON (as the event-source mapping renders a Protobuf value) into a message
/// of type `desc`; unknown fields are skipped.
pub(super) fn proto3_json(desc: &MessageDescriptor, text: &[u8]) -> Result<DynamicMessage, String> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let options = prost_reflect::DeserializeOptions::new().deny_unknown_fields(false);
    DynamicMessage::deserialize_with_options(desc.clone(), &mut de, &options)
        .and_then(|m| de.end().map(|()| m))
        .map_err(|e| {
            format!(
                "the mapping's JSON rendering of the Protobuf value does not read as {}: {e}",
                desc.full_name()
            )
        })
}

/// Reads a zigzag varint.
fn varint(bytes: &[u8]) -> Result<(i64, &[u8]), String> {
    let mut n: u64 = 0;
    for (i, b) in bytes.iter().enumerate().take(10) {
        n |= u64::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            let v = ((n >> 1) as i64) ^ -((n & 1) as i64);
            return Ok((v, &bytes[i + 1..]));
        }
    }
    Err("the message-index list is truncated".to_owned())
}

/// The Confluent Protobuf framing's message indexes: a count then the indexes, all zigzag
/// varints; a single 0 stands for `[0]`, the file's first message.
fn message_indexes(payload: &[u8]) -> Result<(Vec<i32>, &[u8]), String> {
    let (count, mut rest) = varint(payload)?;
    if count == 0 {
        return Ok((vec![0], rest));
    }
    if !(1..=100).contains(&count) {
        return Err(format!("the message-index list claims {count} entries"));
    }
    let mut path = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let (i, r) = varint(rest)?;
        rest = r;
        path.push(i32::try_from(i).map_err(|_| format!("message index {i} is out of range"))?);
    }
    Ok((path, rest))
}

fn schema_obj(ty: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("type".into(), json!(ty));
    m
}

/// `ProtobufData.toConnectSchema(ctx, descriptor, version)` for a message.
fn message_schema(m: &MessageDescriptor, open: &mut Vec<String>) -> Result<Value, String> {
    if open.iter().any(|o| o == m.full_name()) {
        return Err(format!(
            "{} refers to itself: recursive messages are not supported",
            m.full_name()
        ));
    }
    open.push(m.full_name().to_owned());
    let mut fields = Vec::new();
    for (i, oneof) in m.oneofs().filter(|o| !o.is_synthetic()).enumerate() {
        let mut union = schema_obj("struct");
        let mut members = Vec::new();
        for f in oneof.fields() {
            let mut fs = field_schema(&f, open)?;
            fs["optional"] = json!(true);
            fs["field"] = json!(f.name());
            members.push(fs);
        }
        union.insert("fields".into(), Value::Array(members));
        union.insert("optional".into(), json!(true));
        union.insert(
            "name".into(),
            json!(format!("{UNION_PREFIX}{}", oneof.name())),
        );
        union.insert("field".into(), json!(format!("{}_{i}", oneof.name())));
        fields.push(Value::Object(union));
    }
    // Declaration order, as protobuf-java's `getFields()` (prost-reflect's `fields()` is in
    // field-number order).
    for f in super::glue_protobuf::declared_fields(m) {
        if f.containing_oneof().is_some_and(|o| !o.is_synthetic()) {
            continue;
        }
        let mut fs = field_schema(&f, open)?;
        fs["field"] = json!(f.name());
        fields.push(fs);
    }
    open.pop();
    let mut s = schema_obj("struct");
    s.insert("fields".into(), Value::Array(fields));
    s.insert("optional".into(), json!(false));
    s.insert("name".into(), json!(m.name()));
    Ok(Value::Object(s))
}

/// `ProtobufData.toConnectSchema(ctx, fieldDescriptor)`: every field optional, with its tag.
fn field_schema(f: &FieldDescriptor, open: &mut Vec<String>) -> Result<Value, String> {
    let mut params = Map::new();
    let mut s = if f.is_map() {
        let Kind::Message(entry) = f.kind() else {
            return Err(format!("map field {} is not a message", f.name()));
        };
        let key = field_schema(&entry.map_entry_key_field(), open)?;
        let value = field_schema(&entry.map_entry_value_field(), open)?;
        let mut m = schema_obj("map");
        m.insert("keys".into(), key);
        m.insert("values".into(), value);
        // ProtobufSchema.toMapField: the entry's name with `Entry` dropped.
        let name = entry.name().strip_suffix("Entry").unwrap_or(entry.name());
        m.insert("name".into(), json!(name));
        m
    } else {
        let mut s = match f.kind() {
            Kind::Int32 => schema_obj("int32"),
            k @ (Kind::Sint32 | Kind::Sfixed32) => {
                params.insert(TYPE_PARAM.into(), json!(kind_name(&k)));
                schema_obj("int32")
            }
            Kind::Int64 => schema_obj("int64"),
            k @ (Kind::Uint32
            | Kind::Fixed32
            | Kind::Uint64
            | Kind::Sint64
            | Kind::Fixed64
            | Kind::Sfixed64) => {
                params.insert(TYPE_PARAM.into(), json!(kind_name(&k)));
                schema_obj("int64")
            }
            Kind::Float => schema_obj("float"),
            Kind::Double => schema_obj("double"),
            Kind::Bool => schema_obj("boolean"),
            Kind::String => schema_obj("string"),
            Kind::Bytes => schema_obj("bytes"),
            Kind::Enum(e) => {
                let mut s = schema_obj("string");
                s.insert("name".into(), json!(e.name()));
                params.insert(ENUM_PARAM.into(), json!(e.name()));
                for v in e.values() {
                    params.insert(
                        format!("{ENUM_PARAM}.{}", v.name()),
                        json!(v.number().to_string()),
                    );
                }
                s
            }
            Kind::Message(m) => match m.full_name() {
                TIMESTAMP_TYPE => logical("int64", TIMESTAMP),
                DATE_TYPE => logical("int32", DATE),
                TIME_TYPE => logical("int32", TIME),
                DECIMAL_TYPE => {
                    return Err(format!(
                        "field {}: {DECIMAL_TYPE} is not supported yet",
                        f.name()
                    ));
                }
                _ => match message_schema(&m, open)? {
                    Value::Object(o) => o,
                    _ => unreachable!("message schemas are objects"),
                },
            },
        };
        if f.is_list() {
            s.insert("optional".into(), json!(true));
            let mut a = schema_obj("array");
            a.insert("items".into(), Value::Object(s));
            a
        } else {
            s
        }
    };
    s.insert("optional".into(), json!(true));
    params.insert(TAG_PARAM.into(), json!(f.number().to_string()));
    let mut all = match s.remove("parameters") {
        Some(Value::Object(p)) => p,
        _ => Map::new(),
    };
    all.extend(params);
    s.insert("parameters".into(), Value::Object(all));
    Ok(Value::Object(s))
}

fn logical(ty: &str, name: &str) -> Map<String, Value> {
    let mut s = schema_obj(ty);
    s.insert("name".into(), json!(name));
    s.insert("version".into(), json!(1));
    s
}

fn kind_name(k: &Kind) -> &'static str {
    match k {
        Kind::Sint32 => "sint32",
        Kind::Sfixed32 => "sfixed32",
        Kind::Uint32 => "uint32",
        Kind::Fixed32 => "fixed32",
        Kind::Uint64 => "uint64",
        Kind::Sint64 => "sint64",
        Kind::Fixed64 => "fixed64",
        Kind::Sfixed64 => "sfixed64",
        _ => "",
    }
}

pub(super) fn number(f: f64, path: &str) -> Result<Value, String> {
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| format!("{path}: {f} (NaN or infinite) cannot be written by this sink"))
}

/// `ProtobufData.toConnectData` for a message: set oneofs as union structs, then the other
/// fields; a scalar or list without presence holds its default, an unset message is null.
fn message_data(m: &DynamicMessage, path: &str) -> Result<Value, String> {
    let desc = m.descriptor();
    let mut out = Map::new();
    for (i, oneof) in desc.oneofs().filter(|o| !o.is_synthetic()).enumerate() {
        let name = format!("{}_{i}", oneof.name());
        let set = oneof.fields().find(|f| m.has_field(f));
        let value = match set {
            Some(f) => {
                let mut u = Map::new();
                for member in oneof.fields() {
                    let v = if member.number() == f.number() {
                        field_data(
                            &member,
                            &m.get_field(&member),
                            &format!("{path}.{}", member.name()),
                        )?
                    } else {
                        Value::Null
                    };
                    u.insert(member.name().to_owned(), v);
                }
                Value::Object(u)
            }
            None => Value::Null,
        };
        out.insert(name, value);
    }
    for f in super::glue_protobuf::declared_fields(&desc) {
        if f.containing_oneof().is_some_and(|o| !o.is_synthetic()) {
            continue;
        }
        let fpath = format!("{path}.{}", f.name());
        let primitive_or_repeated =
            !matches!(f.kind(), Kind::Message(_)) || f.is_list() || f.is_map();
        let proto3_optional = f.field_descriptor_proto().proto3_optional();
        let v = if (primitive_or_repeated && !proto3_optional) || m.has_field(&f) {
            field_data(&f, &m.get_field(&f), &fpath)?
        } else {
            Value::Null
        };
        out.insert(f.name().to_owned(), v);
    }
    Ok(Value::Object(out))
}

fn field_data(f: &FieldDescriptor, v: &Pb, path: &str) -> Result<Value, String> {
    match v {
        Pb::List(items) => items
            .iter()
            .enumerate()
            .map(|(i, x)| scalar_data(f, x, &format!("{path}[{i}]")))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Pb::Map(entries) => {
            let Kind::Message(entry) = f.kind() else {
                return Err(format!("{path}: a map without an entry type"));
            };
            let kf = entry.map_entry_key_field();
            let vf = entry.map_entry_value_field();
            let mut keys: Vec<&MapKey> = entries.keys().collect();
            keys.sort();
            if matches!(kf.kind(), Kind::String) {
                let mut out = Map::new();
                for k in keys {
                    let MapKey::String(s) = k else { continue };
                    out.insert(
                        s.clone(),
                        scalar_data(&vf, &entries[k], &format!("{path}.{s}"))?,
                    );
                }
                Ok(Value::Object(out))
            } else {
                // Connect's JSON form of a map with non-string keys: [key, value] pairs.
                let mut pairs = Vec::new();
                for k in keys {
                    let key = match k {
                        MapKey::Bool(b) => json!(b),
                        MapKey::I32(n) => json!(n),
                        MapKey::I64(n) => json!(n),
                        MapKey::U32(n) => json!(u64::from(*n)),
                        MapKey::U64(n) => json!(*n as i64),
                        MapKey::String(s) => json!(s),
                    };
                    pairs.push(json!([key, scalar_data(&vf, &entries[k], path)?]));
                }
                Ok(Value::Array(pairs))
            }
        }
        other => scalar_data(f, other, path),
    }
}

fn scalar_data(f: &FieldDescriptor, v: &Pb, path: &str) -> Result<Value, String> {
    Ok(match v {
        Pb::Bool(b) => json!(b),
        Pb::I32(n) => json!(n),
        Pb::I64(n) => json!(n),
        // Integer.toUnsignedLong, as ProtobufData widens uint32 and fixed32.
        Pb::U32(n) => json!(u64::from(*n)),
        // A Java long holds a uint64 as its two's-complement bits.
        Pb::U64(n) => json!(*n as i64),
        Pb::F32(x) => number(f64::from(*x), path)?,
        Pb::F64(x) => number(*x, path)?,
        Pb::String(s) => json!(s),
        Pb::Bytes(b) => json!(STANDARD.encode(b)),
        Pb::EnumNumber(n) => {
            let Kind::Enum(e) = f.kind() else {
                return Err(format!("{path}: an enum number for a non-enum field"));
            };
            match e.get_value(*n) {
                Some(value) => json!(value.name()),
                // What protobuf-java names a value the schema does not know.
                None => json!(format!("UNKNOWN_ENUM_VALUE_{}_{n}", e.name())),
            }
        }
        Pb::Message(m) => match m.descriptor().full_name() {
            TIMESTAMP_TYPE => json!(timestamp_millis(m)),
            DATE_TYPE => json!(date_days(m, path)?),
            TIME_TYPE => json!(time_millis(m)),
            _ => message_data(m, path)?,
        },
        Pb::List(_) | Pb::Map(_) => field_data(f, v, path)?,
    })
}

/// A `google.protobuf.Timestamp` as epoch milliseconds.
pub(super) fn timestamp_millis(m: &DynamicMessage) -> i64 {
    let seconds = int_field(m, "seconds");
    let nanos = int_field(m, "nanos");
    seconds
        .saturating_mul(1000)
        .saturating_add(nanos / 1_000_000)
}

/// A `google.type.Date` as days since the epoch; a date the calendar has not (an unset one,
/// 0-0-0) fails.
pub(super) fn date_days(m: &DynamicMessage, path: &str) -> Result<i64, String> {
    let (y, mo, d) = (
        int_field(m, "year"),
        int_field(m, "month"),
        int_field(m, "day"),
    );
    let date = chrono::NaiveDate::from_ymd_opt(y as i32, mo as u32, d as u32)
        .ok_or_else(|| format!("{path}: {y}-{mo}-{d} is not a date"))?;
    Ok((date - chrono::NaiveDate::default()).num_days())
}

/// A `google.type.TimeOfDay` as milliseconds since midnight.
pub(super) fn time_millis(m: &DynamicMessage) -> i64 {
    ((int_field(m, "hours") * 60 + int_field(m, "minutes")) * 60 + int_field(m, "seconds")) * 1000
        + int_field(m, "nanos") / 1_000_000
}

fn int_field(m: &DynamicMessage, name: &str) -> i64 {
    match m.get_field_by_name(name).as_deref() {
        Some(Pb::I32(n)) => i64::from(*n),
        Some(Pb::I64(n)) => *n,
        Some(Pb::U32(n)) => i64::from(*n),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_indexes_follow_the_framing() {
        assert_eq!(message_indexes(&[0, 9]).unwrap(), (vec![0], &[9][..]));
        // [1]: count 1 (zigzag 2), index 1 (zigzag 2)
        assert_eq!(message_indexes(&[2, 2, 7]).unwrap(), (vec![1], &[7][..]));
        // [0, 1]
        assert_eq!(message_indexes(&[4, 0, 2]).unwrap().0, vec![0, 1]);
        assert!(message_indexes(&[]).is_err());
        assert!(message_indexes(&[0x80]).is_err());
    }

    #[test]
    fn fields_keep_their_declaration_order_not_their_numbers() {
        // ProtobufData.toConnectSchema walks descriptor.getFields(), which protobuf-java gives
        // in declaration order: `message M { string b = 2; int64 a = 1; }` is struct {b, a}.
        use prost_reflect::prost::Message as _;
        use prost_reflect::prost_types::{
            DescriptorProto, FieldDescriptorProto, FileDescriptorProto, field_descriptor_proto,
        };
        let field = |name: &str, number, ty: field_descriptor_proto::Type| FieldDescriptorProto {
            name: Some(name.into()),
            json_name: Some(name.into()),
            number: Some(number),
            label: Some(field_descriptor_proto::Label::Optional as i32),
            r#type: Some(ty as i32),
            ..Default::default()
        };
        let file = FileDescriptorProto {
            name: Some("order_test.proto".into()),
            package: Some("ordertest".into()),
            syntax: Some("proto3".into()),
            message_type: vec![DescriptorProto {
                name: Some("M".into()),
                field: vec![
                    field("b", 2, field_descriptor_proto::Type::String),
                    field("a", 1, field_descriptor_proto::Type::Int64),
                ],
                ..Default::default()
            }],
            ..Default::default()
        };
        let schema = ProtobufSchema::parse(&STANDARD.encode(file.encode_to_vec()), &[]).unwrap();
        // a = 7 (field 1), b = "x" (field 2), written in number order on the wire.
        let converted = schema.convert(&[0, 0x08, 7, 0x12, 1, b'x']).unwrap();
        let names: Vec<&str> = converted.schema.as_ref().unwrap()["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["b", "a"]);
        let keys: Vec<&String> = converted.data.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["b", "a"]);
        assert_eq!(converted.data, json!({"b": "x", "a": 7}));
    }
}

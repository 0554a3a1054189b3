//! The Glue library's `ProtobufSchemaConverter`
//! (`com.amazonaws.services.schemaregistry.kafkaconnect.protobuf`): Protobuf payloads to
//! Connect data as its `ProtobufSchemaToConnectSchemaConverter` and
//! `ProtobufDataToConnectDataConverter` do it.
//!
//! A Glue schema version of DataFormat PROTOBUF holds `.proto` text, compiled here by `protox`
//! under the file name the Glue deserializer gives it (the schema name, `.proto` appended:
//! `ProtobufDeserializer.getProtoFileName`). Its imports may be Google's well-known types,
//! `google/type/date.proto` and `google/type/timeofday.proto`, and the converter's own
//! `additionalTypes/decimal.proto` and `metadata/metadata.proto`. After the Glue header a
//! payload is one unsigned varint, the message's index among all the file's messages (nested
//! ones and map entries included) sorted by full name, then the message
//! (`ProtobufWireFormatDecoder.decode`, `MessageIndexFinder.getAll`); there is no Confluent
//! message-index list.
//!
//! The Connect schema differs from Confluent's `ProtobufData` throughout:
//!
//! * The top struct is named by the message's short name, has version 1 and the parameter
//!   `protobuf.package`; its `oneof`s are optional structs named by the oneof with the
//!   parameter `protobuf.type=oneof` and optional members, at the place of their first member.
//!   A nested message is a struct named by its full name whose fields are all its fields
//!   (its oneof members too, not grouped) (`toConnectSchema`,
//!   `toConnectSchemaBuilderForField`).
//! * A field is required unless it has the `optional` keyword (proto3 `optional`, proto2
//!   `optional`); repeated fields are optional arrays; maps are required, their keys and values
//!   optional. Every field carries `protobuf.tag`; sint32, sfixed32, uint32, uint64, fixed32,
//!   fixed64, sfixed64 and sint64 carry `protobuf.type` (their name in upper case); uint32 and
//!   fixed32 are int64 (read unsigned), int32 can be int8 or int16 by the `metadata_key`/
//!   `metadata_value` field options (`connect.schema`).
//! * An enum is a string (the value's name) with `protobuf.type=enum`, one
//!   `PROTOBUF_ENUM_VALUE.<name>` per value and `ENUM_NAME`.
//! * `google.protobuf.Timestamp`, `google.type.Date`, `google.type.TimeOfDay` are Connect's
//!   Timestamp, Date, Time; `additionalTypes.Decimal` is a Decimal of the scale its
//!   `connect.decimal.scale` option gives (else 0). Wrappers (`google.protobuf.StringValue`,
//!   ...) are plain nested structs.
//! * Data: an unset field without `optional` holds its default, an unset message field the
//!   struct of its defaults (protobuf-java's `getField`), an unset oneof an empty oneof
//!   struct. An unset `google.type.Date` is not a date and fails the record, as
//!   `convertFromGoogleDate` throws on it. A recursive message's inner occurrence is an empty
//!   optional struct (the converter's placeholder). Map entries are in the order of the Java
//!   `HashMap` the converter fills.
//!
//! Where Java would hand Connect a value its writers reject (a nested message's unset oneof
//! member in a required field, an int8 out of range, a Decimal whose scale is not the
//! schema's), the record fails here with the path.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_buffer::i256;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use prost_reflect::{
    DescriptorPool, DynamicMessage, ExtensionDescriptor, FieldDescriptor, Kind, MapKey,
    MessageDescriptor, ReflectMessage, Syntax, Value as Pb,
};
use serde_json::{Map, Value, json};

use super::json_schema::{JavaHashMap, key_hash};
use super::protobuf::{date_days, number, time_millis, timestamp_millis};
use crate::convert::{ConvertError, Converted};
use crate::format::parquet::decimal_bytes;
use crate::format::schema::{DATE, DECIMAL, TIME, TIMESTAMP};

const PROTOBUF_TAG: &str = "protobuf.tag";
const PROTOBUF_TYPE: &str = "protobuf.type";
const PROTOBUF_PACKAGE: &str = "protobuf.package";
const PROTOBUF_ENUM_NAME: &str = "ENUM_NAME";
const PROTOBUF_ENUM_VALUE: &str = "PROTOBUF_ENUM_VALUE.";
const DECIMAL_SCALE_VALUE: &str = "connect.decimal.scale";
const CONNECT_SCHEMA_TYPE: &str = "connect.schema";
const DECIMAL_TYPE: &str = "additionalTypes.Decimal";

/// The imports the Glue library resolves besides Google's well-known types (protox has those).
const BUILT_IN: &[(&str, &str)] = &[
    (
        "google/type/date.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage Date { int32 year = 1; int32 month = 2; int32 day = 3; }\n",
    ),
    (
        "google/type/timeofday.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage TimeOfDay { int32 hours = 1; int32 minutes = 2; int32 seconds = 3; int32 nanos = 4; }\n",
    ),
    (
        "additionalTypes/decimal.proto",
        "syntax = \"proto3\";\npackage additionalTypes;\nmessage Decimal { int64 units = 1; int32 fraction = 2; uint32 precision = 3; int32 scale = 4; }\n",
    ),
    (
        "metadata/metadata.proto",
        "syntax = \"proto3\";\npackage metadata;\nimport \"google/protobuf/descriptor.proto\";\nextend google.protobuf.FieldOptions { string metadata_key = 50001; string metadata_value = 50002; }\n",
    ),
];

/// The schema file and the built-in imports, then Google's well-known types.
struct Sources {
    name: String,
    text: String,
    google: protox::file::GoogleFileResolver,
}

impl protox::file::FileResolver for Sources {
    fn open_file(&self, name: &str) -> Result<protox::file::File, protox::Error> {
        if name == self.name {
            return protox::file::File::from_source(name, &self.text);
        }
        if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name) {
            return protox::file::File::from_source(name, text);
        }
        self.google.open_file(name)
    }
}

/// `ProtobufDeserializer.getProtoFileName`: the schema name with `.proto` unless it ends so.
fn proto_file_name(schema_name: &str) -> String {
    if schema_name.ends_with(".proto") {
        schema_name.to_owned()
    } else {
        format!("{schema_name}.proto")
    }
}

/// A Protobuf schema version from the Glue Schema Registry, ready to convert payloads as the
/// Glue library's `ProtobufSchemaConverter` does.
#[derive(Clone)]
pub struct GlueProtobufSchema {
    /// Messages by Glue's message index, with their Connect schema or why there is none.
    messages: Arc<Vec<Indexed>>,
}

/// A message of the file with its Connect schema, or why it has none.
type Indexed = (MessageDescriptor, Result<Arc<Value>, String>);

impl std::fmt::Debug for GlueProtobufSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.messages.iter().map(|(m, _)| m.full_name()).collect();
        f.debug_struct("GlueProtobufSchema")
            .field("messages", &names)
            .finish_non_exhaustive()
    }
}

/// `ProtobufSchemaMetadata.metadataKey` / `metadataValue`.
#[derive(Clone, Default)]
struct Options {
    key: Option<ExtensionDescriptor>,
    value: Option<ExtensionDescriptor>,
}

impl Options {
    fn of(pool: &DescriptorPool) -> Options {
        Options {
            key: pool.get_extension_by_name("metadata.metadata_key"),
            value: pool.get_extension_by_name("metadata.metadata_value"),
        }
    }

    /// The field's metadata key and value, when it has both.
    fn get(&self, f: &FieldDescriptor) -> Option<(String, String)> {
        let (k, v) = (self.key.as_ref()?, self.value.as_ref()?);
        let options = f.options();
        if !options.has_extension(k) || !options.has_extension(v) {
            return None;
        }
        let text = |e| match options.get_extension(e).as_ref() {
            Pb::String(s) => Some(s.clone()),
            _ => None,
        };
        Some((text(k)?, text(v)?))
    }
}

impl GlueProtobufSchema {
    /// Compiles a schema version's `.proto` text, registered under `schema_name`.
    pub fn parse(text: &str, schema_name: &str) -> Result<GlueProtobufSchema, String> {
        let name = proto_file_name(schema_name);
        let mut compiler = protox::Compiler::with_file_resolver(Sources {
            name: name.clone(),
            text: text.to_owned(),
            google: protox::file::GoogleFileResolver::new(),
        });
        compiler
            .open_file(&name)
            .map_err(|e| format!("the .proto text does not compile: {e}"))?;
        let pool = compiler.descriptor_pool();
        let file = pool
            .get_file_by_name(&name)
            .ok_or_else(|| format!("{name} is not in the compiled files"))?;
        // MessageIndexFinder.getAll: breadth-first over the file's messages, then sorted by
        // full name (String.compareTo: UTF-16 code units).
        let mut all = Vec::new();
        let mut queue: std::collections::VecDeque<MessageDescriptor> = file.messages().collect();
        while let Some(m) = queue.pop_front() {
            queue.extend(m.child_messages());
            all.push(m);
        }
        all.sort_by(|a, b| {
            a.full_name()
                .encode_utf16()
                .cmp(b.full_name().encode_utf16())
        });
        let options = Options::of(&pool);
        let messages = all
            .into_iter()
            .map(|m| {
                let schema = top_schema(&m, &options)
                    .map(Arc::new)
                    .map_err(|e| format!("message {}: {e}", m.full_name()));
                (m, schema)
            })
            .collect();
        Ok(GlueProtobufSchema {
            messages: Arc::new(messages),
        })
    }

    /// Converts one payload (after the Glue header): the message index, then the message.
    pub fn convert(&self, payload: &[u8]) -> Result<Converted, ConvertError> {
        let err = |m: String| ConvertError::Registry(m);
        let (index, body) = uint32_varint(payload).map_err(err)?;
        let (desc, schema) = self.messages.get(index as usize).ok_or_else(|| {
            err(format!(
                "message index {index} names no message of the schema (it has {}; Glue: \"No corresponding descriptor found for the index\")",
                self.messages.len()
            ))
        })?;
        let schema = schema.clone().map_err(err)?;
        let message = DynamicMessage::decode(desc.clone(), body).map_err(|e| {
            err(format!(
                "the Protobuf payload does not decode as {}: {e}",
                desc.full_name()
            ))
        })?;
        let data = struct_data(&message, &schema, "$").map_err(|(path, m)| {
            err(format!(
                "the Protobuf payload does not fit its Connect schema at {path}: {m}"
            ))
        })?;
        Ok(Converted {
            data,
            schema: Some(schema),
        })
    }

    /// Reads the JSON the event-source mapping made of a payload (`EventRecordFormat: JSON`)
    /// as proto3 JSON into the file's first message: the metadata carries no message index.
    pub fn convert_json(&self, text: &[u8]) -> Result<Converted, ConvertError> {
        let err = |m: String| ConvertError::Registry(m);
        let first = self
            .messages
            .first()
            .and_then(|(m, _)| m.parent_file().messages().next())
            .ok_or_else(|| err("the schema defines no message".to_owned()))?;
        let (desc, schema) = self
            .messages
            .iter()
            .find(|(m, _)| m.full_name() == first.full_name())
            .ok_or_else(|| err(format!("{} is not indexed", first.full_name())))?;
        let schema = schema.clone().map_err(err)?;
        let message = super::protobuf::proto3_json(desc, text).map_err(err)?;
        let data = struct_data(&message, &schema, "$").map_err(|(path, m)| {
            err(format!(
                "the Protobuf value does not fit its Connect schema at {path}: {m}"
            ))
        })?;
        Ok(Converted {
            data,
            schema: Some(schema),
        })
    }

    #[cfg(test)]
    fn connect_schema(&self, full_name: &str) -> Value {
        let (_, s) = self
            .messages
            .iter()
            .find(|(m, _)| m.full_name() == full_name)
            .unwrap_or_else(|| panic!("no message {full_name}"));
        (**s.as_ref().unwrap()).clone()
    }
}

/// `CodedInputStream.readUInt32`: a varint of up to 10 bytes, kept to its low 32 bits.
fn uint32_varint(bytes: &[u8]) -> Result<(u32, &[u8]), String> {
    let mut n: u64 = 0;
    for (i, b) in bytes.iter().enumerate().take(10) {
        n |= u64::from(b & 0x7F) << (7 * i).min(63);
        if b & 0x80 == 0 {
            return Ok((n as u32, &bytes[i + 1..]));
        }
    }
    Err(if bytes.is_empty() {
        "the payload is empty: no message index".to_owned()
    } else {
        "the message index is truncated".to_owned()
    })
}

/// A Connect schema being built (Kafka's `SchemaBuilder`), rendered in `JsonConverter`'s form.
struct Builder {
    ty: &'static str,
    optional: bool,
    name: Option<String>,
    version: Option<i64>,
    /// A `LinkedHashMap`: insertion order.
    params: Vec<(String, String)>,
    fields: Vec<Value>,
    keys: Option<Value>,
    values: Option<Value>,
}

impl Builder {
    fn new(ty: &'static str) -> Builder {
        Builder {
            ty,
            optional: false,
            name: None,
            version: None,
            params: Vec::new(),
            fields: Vec::new(),
            keys: None,
            values: None,
        }
    }

    fn logical(ty: &'static str, name: &str) -> Builder {
        let mut b = Builder::new(ty);
        b.name = Some(name.to_owned());
        b.version = Some(1);
        b
    }

    fn param(&mut self, k: impl Into<String>, v: impl Into<String>) {
        let (k, v) = (k.into(), v.into());
        match self.params.iter_mut().find(|(pk, _)| *pk == k) {
            Some(p) => p.1 = v,
            None => self.params.push((k, v)),
        }
    }

    fn field(&mut self, name: &str, mut schema: Value) {
        schema["field"] = json!(name);
        self.fields.push(schema);
    }

    fn render(self) -> Value {
        let mut o = Map::new();
        o.insert("type".into(), json!(self.ty));
        match self.ty {
            "array" => {
                o.insert("items".into(), self.values.unwrap_or(Value::Null));
            }
            "map" => {
                o.insert("keys".into(), self.keys.unwrap_or(Value::Null));
                o.insert("values".into(), self.values.unwrap_or(Value::Null));
            }
            "struct" => {
                o.insert("fields".into(), Value::Array(self.fields));
            }
            _ => {}
        }
        o.insert("optional".into(), json!(self.optional));
        if let Some(n) = self.name {
            o.insert("name".into(), json!(n));
        }
        if let Some(v) = self.version {
            o.insert("version".into(), json!(v));
        }
        if !self.params.is_empty() {
            let p: Map<String, Value> = self
                .params
                .into_iter()
                .map(|(k, v)| (k, json!(v)))
                .collect();
            o.insert("parameters".into(), Value::Object(p));
        }
        Value::Object(o)
    }
}

/// A message's fields in declaration order, as protobuf-java's `getFields()` gives them
/// (prost-reflect's `fields()` is in number order).
pub(super) fn declared_fields(m: &MessageDescriptor) -> Vec<FieldDescriptor> {
    m.descriptor_proto()
        .field
        .iter()
        .filter_map(|f| m.get_field(f.number() as u32))
        .collect()
}

/// The oneof a field really belongs to (not proto3 `optional`'s synthetic one).
fn real_oneof(f: &FieldDescriptor) -> Option<prost_reflect::OneofDescriptor> {
    f.containing_oneof().filter(|o| !o.is_synthetic())
}

/// `FieldDescriptor.hasOptionalKeyword`: proto3 `optional`, or a proto2 `optional` field
/// outside a oneof.
fn has_optional_keyword(f: &FieldDescriptor) -> bool {
    f.field_descriptor_proto().proto3_optional()
        || (f.parent_file().syntax() == Syntax::Proto2
            && f.cardinality() == prost_reflect::Cardinality::Optional
            && f.containing_oneof().is_none())
}

/// `toConnectSchema(message)`: the top struct, its oneofs grouped.
fn top_schema(m: &MessageDescriptor, options: &Options) -> Result<Value, String> {
    let mut b = Builder::new("struct");
    b.name = Some(m.name().to_owned());
    b.version = Some(1);
    b.param(PROTOBUF_PACKAGE, m.parent_file().package_name());
    let mut visited = Vec::new();
    for f in declared_fields(m) {
        if let Some(oneof) = real_oneof(&f) {
            if b.fields.iter().any(|x| x["field"] == oneof.name()) {
                continue;
            }
            // toConnectSchemaForOneOfField.
            let mut o = Builder::new("struct");
            o.name = Some(oneof.name().to_owned());
            for member in declared_fields(m)
                .into_iter()
                .filter(|x| real_oneof(x).is_some_and(|o| o == oneof))
            {
                let mut s = field_builder(&member, options, &mut visited)?;
                s.optional = true;
                o.field(member.name(), s.render());
            }
            o.param(PROTOBUF_TYPE, "oneof");
            o.optional = true;
            b.field(oneof.name(), o.render());
            continue;
        }
        b.field(f.name(), field_builder(&f, options, &mut visited)?.render());
    }
    Ok(b.render())
}

fn type_name(k: &Kind) -> Option<&'static str> {
    Some(match k {
        Kind::Sint32 => "SINT32",
        Kind::Sfixed32 => "SFIXED32",
        Kind::Uint32 => "UINT32",
        Kind::Uint64 => "UINT64",
        Kind::Fixed32 => "FIXED32",
        Kind::Fixed64 => "FIXED64",
        Kind::Sfixed64 => "SFIXED64",
        Kind::Sint64 => "SINT64",
        _ => return None,
    })
}

/// `toConnectSchemaBuilderForField`.
fn field_builder(
    f: &FieldDescriptor,
    options: &Options,
    visited: &mut Vec<String>,
) -> Result<Builder, String> {
    let kind = f.kind();
    let mut b = match &kind {
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => match options.get(f) {
            Some((k, v)) if k == CONNECT_SCHEMA_TYPE && v == "int8" => Builder::new("int8"),
            Some((k, v)) if k == CONNECT_SCHEMA_TYPE && v == "int16" => Builder::new("int16"),
            _ => Builder::new("int32"),
        },
        Kind::Int64
        | Kind::Sint64
        | Kind::Uint64
        | Kind::Fixed64
        | Kind::Sfixed64
        | Kind::Uint32
        | Kind::Fixed32 => Builder::new("int64"),
        Kind::Float => Builder::new("float"),
        Kind::Double => Builder::new("double"),
        Kind::Bool => Builder::new("boolean"),
        Kind::Enum(_) | Kind::String => Builder::new("string"),
        Kind::Bytes => Builder::new("bytes"),
        Kind::Message(m) if f.is_map() => {
            let key = field_builder(&m.map_entry_key_field(), options, visited)?;
            let value = field_builder(&m.map_entry_value_field(), options, visited)?;
            let mut b = Builder::new("map");
            b.keys = Some(optional(key).render());
            b.values = Some(optional(value).render());
            b
        }
        Kind::Message(m) => match m.full_name() {
            "google.type.Date" => Builder::logical("int32", DATE),
            "google.protobuf.Timestamp" => Builder::logical("int64", TIMESTAMP),
            "google.type.TimeOfDay" => Builder::logical("int32", TIME),
            DECIMAL_TYPE => {
                // Decimal.builder(scale), and the option as a parameter when it parses.
                let scale = match options.get(f) {
                    Some((k, v)) if k == DECIMAL_SCALE_VALUE => {
                        v.parse::<i32>().ok().map(|s| (s, v))
                    }
                    _ => None,
                };
                let mut b = Builder::logical("bytes", DECIMAL);
                match scale {
                    Some((s, text)) => {
                        b.param("scale", s.to_string());
                        b.param(DECIMAL_SCALE_VALUE, text);
                    }
                    None => b.param("scale", "0"),
                }
                b
            }
            full if visited.iter().any(|v| v == full) => {
                // The placeholder that breaks a recursion.
                let mut b = Builder::new("struct");
                b.name = Some(full.to_owned());
                b.optional = true;
                b
            }
            full => {
                visited.push(full.to_owned());
                let mut b = Builder::new("struct");
                b.name = Some(full.to_owned());
                for inner in declared_fields(m) {
                    let s = field_builder(&inner, options, visited)?;
                    b.field(inner.name(), s.render());
                }
                visited.pop();
                b
            }
        },
    };
    if let Some(t) = type_name(&kind) {
        b.param(PROTOBUF_TYPE, t);
    }
    if let Kind::Enum(e) = &kind {
        b.param(PROTOBUF_TYPE, "enum");
        for v in e.values() {
            b.param(
                format!("{PROTOBUF_ENUM_VALUE}{}", v.name()),
                v.number().to_string(),
            );
        }
        b.param(PROTOBUF_ENUM_NAME, e.full_name());
    }
    if has_optional_keyword(f) {
        b.optional = true;
    }
    if f.is_list() {
        let mut a = Builder::new("array");
        a.values = Some(b.render());
        a.optional = true;
        a.param(PROTOBUF_TAG, f.number().to_string());
        return Ok(a);
    }
    b.param(PROTOBUF_TAG, f.number().to_string());
    Ok(b)
}

fn optional(mut b: Builder) -> Builder {
    b.optional = true;
    b
}

// ---------------------------------------------------------------------------------------------
// ProtobufDataToConnectDataConverter
// ---------------------------------------------------------------------------------------------

type DataError = (String, String);

fn is_oneof_struct(schema: &Value) -> bool {
    schema["type"] == "struct" && schema["parameters"][PROTOBUF_TYPE] == "oneof"
}

/// `toConnectData(message, schema)`: each Connect field from the field of its name; a oneof
/// struct from its members.
fn struct_data(m: &DynamicMessage, schema: &Value, path: &str) -> Result<Value, DataError> {
    let mut out = Map::new();
    for field in schema["fields"].as_array().into_iter().flatten() {
        let name = field["field"].as_str().unwrap_or("");
        let fpath = format!("{path}.{name}");
        let v = if is_oneof_struct(field) {
            let mut o = Map::new();
            for member in field["fields"].as_array().into_iter().flatten() {
                let mname = member["field"].as_str().unwrap_or("");
                let v = field_data(m, member, &format!("{fpath}.{mname}"))?;
                o.insert(mname.to_owned(), v);
            }
            Value::Object(o)
        } else {
            field_data(m, field, &fpath)?
        };
        out.insert(name.to_owned(), v);
    }
    Ok(Value::Object(out))
}

/// `toConnectDataField(connectField, message, struct)`, and `Struct.put`'s check that a null
/// sits only in an optional field.
fn field_data(m: &DynamicMessage, schema: &Value, path: &str) -> Result<Value, DataError> {
    let name = schema["field"].as_str().unwrap_or("");
    let Some(fd) = m.descriptor().get_field_by_name(name) else {
        return Err((
            path.to_owned(),
            format!("Protobuf schema doesn't contain the connect field: {name}"),
        ));
    };
    let unset = (real_oneof(&fd).is_some() || has_optional_keyword(&fd)) && !m.has_field(&fd);
    if unset {
        if schema["optional"].as_bool().unwrap_or(false) {
            return Ok(Value::Null);
        }
        return Err((
            path.to_owned(),
            "the oneof member is not set, and Glue's converter makes it a required field of its nested message, which Connect's writers reject when it is null".to_owned(),
        ));
    }
    value_data(&fd, schema, &m.get_field(&fd), path)
}

/// `toConnectDataField(schema, value)`.
fn value_data(
    fd: &FieldDescriptor,
    schema: &Value,
    v: &Pb,
    path: &str,
) -> Result<Value, DataError> {
    let err = |m: String| Err((path.to_owned(), m));
    match schema.get("name").and_then(Value::as_str) {
        Some(DATE) => {
            let Pb::Message(msg) = v else {
                return err("a Date that is not a message".to_owned());
            };
            return date_days(msg, path).map(|d| json!(d)).map_err(|e| {
                (
                    path.to_owned(),
                    format!("{e} (Glue's convertFromGoogleDate throws on it)"),
                )
            });
        }
        Some(TIMESTAMP) => {
            let Pb::Message(msg) = v else {
                return err("a Timestamp that is not a message".to_owned());
            };
            return Ok(json!(timestamp_millis(msg)));
        }
        Some(TIME) => {
            let Pb::Message(msg) = v else {
                return err("a Time that is not a message".to_owned());
            };
            return Ok(json!(time_millis(msg)));
        }
        Some(DECIMAL) => {
            let Pb::Message(msg) = v else {
                return err("a Decimal that is not a message".to_owned());
            };
            return decimal_data(msg, schema).map_err(|m| (path.to_owned(), m));
        }
        _ => {}
    }
    let ty = schema["type"].as_str().unwrap_or("");
    Ok(match (ty, v) {
        ("array", Pb::List(items)) => {
            let items_schema = &schema["items"];
            let mut out = Vec::with_capacity(items.len());
            for (i, x) in items.iter().enumerate() {
                out.push(value_data(fd, items_schema, x, &format!("{path}[{i}]"))?);
            }
            Value::Array(out)
        }
        ("map", Pb::Map(entries)) => return map_data(fd, schema, entries, path),
        ("struct", Pb::Message(msg)) => return struct_data(msg, schema, path),
        ("int8" | "int16" | "int32", Pb::I32(n)) => {
            let (lo, hi) = match ty {
                "int8" => (i32::from(i8::MIN), i32::from(i8::MAX)),
                "int16" => (i32::from(i16::MIN), i32::from(i16::MAX)),
                _ => (i32::MIN, i32::MAX),
            };
            // Java narrows with byteValue()/shortValue(), silently; the record fails here.
            if *n < lo || *n > hi {
                return err(format!("{n} is out of range for {ty}"));
            }
            json!(n)
        }
        ("int64", Pb::I64(n)) => json!(n),
        // Integer.toUnsignedLong for uint32 and fixed32.
        ("int64", Pb::U32(n)) => json!(u64::from(*n)),
        // A Java long holds a uint64 as its two's-complement bits.
        ("int64", Pb::U64(n)) => json!(*n as i64),
        ("float", Pb::F32(x)) => number(f64::from(*x), path).map_err(|m| (path.to_owned(), m))?,
        ("double", Pb::F64(x)) => number(*x, path).map_err(|m| (path.to_owned(), m))?,
        ("boolean", Pb::Bool(b)) => json!(b),
        ("string", Pb::String(s)) => json!(s),
        ("string", Pb::EnumNumber(n)) => {
            let Kind::Enum(e) = fd.kind() else {
                return err("an enum number for a field that is not an enum".to_owned());
            };
            match e.get_value(*n) {
                Some(value) => json!(value.name()),
                // What protobuf-java names a value the schema does not know.
                None => json!(format!("UNKNOWN_ENUM_VALUE_{}_{n}", e.name())),
            }
        }
        ("bytes", Pb::Bytes(b)) => json!(STANDARD.encode(b)),
        (ty, other) => return err(format!("cannot convert {other:?} to a Connect {ty}")),
    })
}

/// The map converter: a Java `HashMap` of the converted keys and values; string keys as a
/// JSON object, others as `[key, value]` pairs.
fn map_data(
    fd: &FieldDescriptor,
    schema: &Value,
    entries: &HashMap<MapKey, Pb>,
    path: &str,
) -> Result<Value, DataError> {
    let Kind::Message(entry) = fd.kind() else {
        return Err((path.to_owned(), "a map without an entry type".to_owned()));
    };
    let (kf, vf) = (entry.map_entry_key_field(), entry.map_entry_value_field());
    let (keys, values) = (&schema["keys"], &schema["values"]);
    // The wire order is lost in prost-reflect's map; sorting first makes equal hashes keep
    // one order on every retry.
    let mut sorted: Vec<(&MapKey, &Pb)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut m = JavaHashMap::new();
    for (k, v) in sorted {
        let key = value_data(&kf, keys, &k.clone().into(), &format!("{path}.key"))?;
        let hash = key_hash(keys, &key).map_err(|e| (path.to_owned(), e))?;
        let value = value_data(&vf, values, v, &format!("{path}[{key}]"))?;
        m.insert(hash, key, value)
            .map_err(|e| (path.to_owned(), e))?;
    }
    if keys["type"] == "string" {
        let mut out = Map::new();
        for (k, v) in m.into_entries() {
            if let Value::String(k) = k {
                out.insert(k, v);
            }
        }
        Ok(Value::Object(out))
    } else {
        Ok(Value::Array(
            m.into_entries().map(|(k, v)| json!([k, v])).collect(),
        ))
    }
}

fn int_of(m: &DynamicMessage, name: &str) -> i64 {
    match m.get_field_by_name(name).as_deref() {
        Some(Pb::I32(n)) => i64::from(*n),
        Some(Pb::I64(n)) => *n,
        Some(Pb::U32(n)) => i64::from(*n),
        _ => 0,
    }
}

/// Significant digits of `n` once trailing zeros are dropped (what a `MathContext` of that
/// precision keeps without rounding).
fn significant_digits(mut n: i64) -> u32 {
    if n == 0 {
        return 1;
    }
    while n % 10 == 0 {
        n /= 10;
    }
    n.unsigned_abs().to_string().len() as u32
}

/// `fromDecimalProto`: units plus fraction (nanos) at the message's scale, exact under its
/// precision (`RoundingMode.UNNECESSARY`); then the schema's scale must be that scale, as
/// Kafka's `Decimal.fromLogical` requires when a writer reads it.
fn decimal_data(m: &DynamicMessage, schema: &Value) -> Result<Value, String> {
    let units = int_of(m, "units");
    let fraction = int_of(m, "fraction");
    let precision = int_of(m, "precision") as u32;
    let scale = int_of(m, "scale");
    if precision > 0
        && (significant_digits(units) > precision || significant_digits(fraction) > precision)
    {
        return Err(format!(
            "the Decimal {units} + {fraction}e-9 does not fit its precision {precision} without rounding"
        ));
    }
    let nanos = i128::from(units) * 1_000_000_000 + i128::from(fraction);
    let rounding = || {
        format!(
            "the Decimal fraction {fraction}e-9 does not fit its scale {scale} without rounding"
        )
    };
    let (unscaled, value_scale) = if scale > 38 {
        return Err(format!("the Decimal scale {scale} is beyond 38"));
    } else if scale >= 9 {
        (nanos * 10i128.pow((scale - 9) as u32), scale)
    } else if scale >= 0 {
        let drop = 10i128.pow((9 - scale) as u32);
        if i128::from(fraction) % drop != 0 {
            return Err(rounding());
        }
        (nanos / drop, scale)
    } else {
        // A negative scale rounds the fraction away; the sum keeps the units' scale 0.
        if fraction != 0 {
            return Err(rounding());
        }
        (i128::from(units), 0)
    };
    let schema_scale: i64 = schema["parameters"]["scale"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if schema_scale != value_scale {
        return Err(format!(
            "the Decimal has scale {value_scale} but its schema scale {schema_scale} (Kafka: \"BigDecimal has mismatching scale value for given Decimal schema\")"
        ));
    }
    Ok(json!(
        STANDARD.encode(decimal_bytes(i256::from_i128(unscaled)))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost_reflect::prost::Message as _;

    const PACKAGE: &str = "com.amazonaws.services.schemaregistry.kafkaconnect.tests.syntax3";

    fn parse(text: &str) -> GlueProtobufSchema {
        GlueProtobufSchema::parse(text, "test").unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    /// A message of `schema` as the Glue serializer frames its body: the index, the bytes.
    fn payload(schema: &GlueProtobufSchema, m: &DynamicMessage) -> Vec<u8> {
        let index = schema
            .messages
            .iter()
            .position(|(d, _)| d == &m.descriptor())
            .unwrap();
        let mut out = vec![index as u8];
        out.extend(m.encode_to_vec());
        out
    }

    fn message(schema: &GlueProtobufSchema, full_name: &str) -> DynamicMessage {
        let pool = schema.messages[0].0.parent_pool();
        DynamicMessage::new(pool.get_message_by_name(full_name).unwrap())
    }

    /// MessageIndexFinder.getAll (ProtobufWireFormatDecoder.decode): every message of the
    /// file, nested ones and map entries included, sorted by full name.
    #[test]
    fn message_indexes_are_sorted_full_names() {
        let s = parse(
            "syntax = \"proto3\"; package p; message B { map<string, int32> m = 1; message A {} } message A { string x = 1; }",
        );
        let names: Vec<&str> = s.messages.iter().map(|(m, _)| m.full_name()).collect();
        assert_eq!(names, ["p.A", "p.B", "p.B.A", "p.B.MEntry"]);
        let mut a = message(&s, "p.A");
        a.set_field_by_name("x", Pb::String("hi".into()));
        let out = s.convert(&payload(&s, &a)).unwrap();
        assert_eq!(out.data, json!({"x": "hi"}));
        let e = s.convert(&[7]).unwrap_err().to_string();
        assert!(e.contains("message index 7 names no message"), "{e}");
        let e = s.convert(&[]).unwrap_err().to_string();
        assert!(e.contains("no message index"), "{e}");
    }

    /// ToConnectTestDataGenerator.getOneofSchema / getOneofTypeData (OneofTypeSyntax3.proto):
    /// the top struct named by the short name with version 1 and protobuf.package; each oneof
    /// an optional struct named by it with protobuf.type=oneof and optional members.
    #[test]
    fn oneofs() {
        let text = format!(
            "syntax = \"proto3\"; package {PACKAGE}; message OneofType {{ oneof customer {{ string name = 5; int32 age = 6; }} oneof order {{ int32 id = 1; bool shipped = 2; }} }}"
        );
        let s = parse(&text);
        assert_eq!(
            s.connect_schema(&format!("{PACKAGE}.OneofType"))
                .to_string(),
            format!(
                concat!(
                    r#"{{"type":"struct","fields":["#,
                    r#"{{"type":"struct","fields":[{{"type":"string","optional":true,"parameters":{{"protobuf.tag":"5"}},"field":"name"}},{{"type":"int32","optional":true,"parameters":{{"protobuf.tag":"6"}},"field":"age"}}],"optional":true,"name":"customer","parameters":{{"protobuf.type":"oneof"}},"field":"customer"}},"#,
                    r#"{{"type":"struct","fields":[{{"type":"int32","optional":true,"parameters":{{"protobuf.tag":"1"}},"field":"id"}},{{"type":"boolean","optional":true,"parameters":{{"protobuf.tag":"2"}},"field":"shipped"}}],"optional":true,"name":"order","parameters":{{"protobuf.type":"oneof"}},"field":"order"}}"#,
                    r#"],"optional":false,"name":"OneofType","version":1,"parameters":{{"protobuf.package":"{}"}}}}"#
                ),
                PACKAGE
            )
        );
        let mut m = message(&s, &format!("{PACKAGE}.OneofType"));
        m.set_field_by_name("name", Pb::String("Jeff".into()));
        m.set_field_by_name("shipped", Pb::Bool(true));
        assert_eq!(
            s.convert(&payload(&s, &m)).unwrap().data,
            json!({"customer": {"name": "Jeff", "age": null}, "order": {"id": null, "shipped": true}})
        );
    }

    /// ToConnectTestDataGenerator.getEnumType / getEnumTypeData (EnumTypeSyntax3.proto): a
    /// string with protobuf.type=enum, the values, ENUM_NAME, then the tag; the value's name.
    #[test]
    fn enums() {
        let text = format!(
            "syntax = \"proto3\"; package {PACKAGE}; message EnumTest {{ enum Colors {{ BLACK = 0; RED = 1; GREEN = 2; BLUE = 3; }} optional Colors color = 2; Colors plain = 3; }}"
        );
        let s = parse(&text);
        let c = s.connect_schema(&format!("{PACKAGE}.EnumTest"));
        assert_eq!(
            c["fields"][0].to_string(),
            format!(
                r#"{{"type":"string","optional":true,"parameters":{{"protobuf.type":"enum","PROTOBUF_ENUM_VALUE.BLACK":"0","PROTOBUF_ENUM_VALUE.RED":"1","PROTOBUF_ENUM_VALUE.GREEN":"2","PROTOBUF_ENUM_VALUE.BLUE":"3","ENUM_NAME":"{PACKAGE}.EnumTest.Colors","protobuf.tag":"2"}},"field":"color"}}"#
            )
        );
        assert_eq!(c["fields"][1]["optional"], false);
        let mut m = message(&s, &format!("{PACKAGE}.EnumTest"));
        m.set_field_by_name("color", Pb::EnumNumber(3));
        assert_eq!(
            s.convert(&payload(&s, &m)).unwrap().data,
            json!({"color": "BLUE", "plain": "BLACK"})
        );
    }

    /// ToConnectTestDataGenerator.getPrimitiveTypes (PrimitiveTypesSyntax3.proto): int8/int16 by
    /// the metadata options, protobuf.type on the integer types that need it, uint32 an int64
    /// read unsigned, `optional` fields optional and null when unset, others their default.
    #[test]
    fn primitives() {
        let text = format!(
            "syntax = \"proto3\"; package {PACKAGE}; import \"metadata/metadata.proto\"; message PrimitiveTypes {{
              int32 i8 = 1 [(metadata.metadata_key) = \"connect.schema\", (metadata.metadata_value) = \"int8\"];
              int32 i16 = 4 [(metadata.metadata_key) = \"connect.schema\", (metadata.metadata_value) = \"int16\"];
              sint32 i32WithMetadata = 9;
              uint32 i64WithYetAnotherMetadata = 18;
              optional int64 i64Optional = 19;
              float f32 = 20;
              bytes bytes = 29;
              string str = 31;
            }}"
        );
        let s = parse(&text);
        let c = s.connect_schema(&format!("{PACKAGE}.PrimitiveTypes"));
        let field = |n: &str| {
            let f = c["fields"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["field"] == n)
                .unwrap();
            let mut f = f.clone();
            f.as_object_mut().unwrap().remove("field");
            f.to_string()
        };
        assert_eq!(
            field("i8"),
            r#"{"type":"int8","optional":false,"parameters":{"protobuf.tag":"1"}}"#
        );
        assert_eq!(
            field("i16"),
            r#"{"type":"int16","optional":false,"parameters":{"protobuf.tag":"4"}}"#
        );
        assert_eq!(
            field("i32WithMetadata"),
            r#"{"type":"int32","optional":false,"parameters":{"protobuf.type":"SINT32","protobuf.tag":"9"}}"#
        );
        assert_eq!(
            field("i64WithYetAnotherMetadata"),
            r#"{"type":"int64","optional":false,"parameters":{"protobuf.type":"UINT32","protobuf.tag":"18"}}"#
        );
        assert_eq!(
            field("i64Optional"),
            r#"{"type":"int64","optional":true,"parameters":{"protobuf.tag":"19"}}"#
        );
        let mut m = message(&s, &format!("{PACKAGE}.PrimitiveTypes"));
        m.set_field_by_name("i8", Pb::I32(2));
        m.set_field_by_name("i64WithYetAnotherMetadata", Pb::U32(4_000_000_000));
        m.set_field_by_name("bytes", Pb::Bytes(vec![1, 5, 6, 7].into()));
        assert_eq!(
            s.convert(&payload(&s, &m)).unwrap().data,
            json!({"i8": 2, "i16": 0, "i32WithMetadata": 0, "i64WithYetAnotherMetadata": 4_000_000_000u64,
                   "i64Optional": null, "f32": 0.0, "bytes": "AQUGBw==", "str": ""})
        );
        // Java's byteValue() would wrap 300 to 44; the record fails instead.
        m.set_field_by_name("i8", Pb::I32(300));
        let e = s.convert(&payload(&s, &m)).unwrap_err().to_string();
        assert!(e.contains("$.i8") && e.contains("out of range"), "{e}");
    }

    /// ToConnectTestDataGenerator.getDecimalTypes / getDecimalTypeData (DecimalTypeSyntax3.proto):
    /// Decimal.builder(scale) from the connect.decimal.scale option (else 0), and
    /// fromDecimalProto's value, which must have the schema's scale for a writer to take it.
    #[test]
    fn decimals() {
        let text = format!(
            "syntax = \"proto3\"; package {PACKAGE}; import \"additionalTypes/decimal.proto\"; import \"metadata/metadata.proto\"; message DecimalTypes {{
              additionalTypes.Decimal decimal = 1;
              additionalTypes.Decimal decimalLargeScale = 2 [(metadata.metadata_key) = \"connect.decimal.scale\", (metadata.metadata_value) = \"10\"];
            }}"
        );
        let s = parse(&text);
        let c = s.connect_schema(&format!("{PACKAGE}.DecimalTypes"));
        assert_eq!(
            c["fields"][1].to_string(),
            r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"10","connect.decimal.scale":"10","protobuf.tag":"2"},"field":"decimalLargeScale"}"#
        );
        let decimal = |units: i64, fraction: i32, precision: u32, scale: i32| {
            let mut d = message(&s, "additionalTypes.Decimal");
            d.set_field_by_name("units", Pb::I64(units));
            d.set_field_by_name("fraction", Pb::I32(fraction));
            d.set_field_by_name("precision", Pb::U32(precision));
            d.set_field_by_name("scale", Pb::I32(scale));
            d
        };
        let mut m = message(&s, &format!("{PACKAGE}.DecimalTypes"));
        // 1234.5678913400 at scale 10 (and 0 at scale 0 for the unset one).
        m.set_field_by_name(
            "decimalLargeScale",
            Pb::Message(decimal(1234, 567_891_340, 14, 10)),
        );
        let data = s.convert(&payload(&s, &m)).unwrap().data;
        let unscaled = i256::from_i128(12_345_678_913_400);
        assert_eq!(
            data["decimalLargeScale"],
            json!(STANDARD.encode(decimal_bytes(unscaled)))
        );
        assert_eq!(data["decimal"], json!("AA=="));
        // getDecimalTypeData's 1234.56789 (scale 5) in the scale-0 field: Kafka's writers reject it.
        m.set_field_by_name("decimal", Pb::Message(decimal(1234, 567_890_000, 9, 5)));
        let e = s.convert(&payload(&s, &m)).unwrap_err().to_string();
        assert!(
            e.contains("$.decimal") && e.contains("mismatching scale"),
            "{e}"
        );
        // Digits the message's scale cannot hold.
        m.set_field_by_name("decimal", Pb::Message(decimal(1, 500_000_000, 0, 0)));
        let e = s.convert(&payload(&s, &m)).unwrap_err().to_string();
        assert!(e.contains("without rounding"), "{e}");
    }

    /// toConnectSchemaBuilderForField for nested messages (a struct named by the full name, of
    /// all its fields), recursion (RecursiveTypeSyntax3.proto: the placeholder struct), lists
    /// (optional arrays carrying the tag), maps (optional keys and values) and the well-known
    /// types; data for unset fields.
    #[test]
    fn nested_recursive_lists_maps_and_time() {
        let text = format!(
            "syntax = \"proto3\"; package {PACKAGE}; import \"google/protobuf/timestamp.proto\"; import \"google/type/date.proto\";
            message RecursiveType {{ string name = 1; RecursiveType parent = 2; repeated sint32 scores = 3; map<int64, string> labels = 4;
              google.protobuf.Timestamp at = 5; optional google.type.Date day = 6; google.type.Date required_day = 7; }}"
        );
        let s = parse(&text);
        let c = s.connect_schema(&format!("{PACKAGE}.RecursiveType"));
        let parent = &c["fields"][1];
        assert_eq!(parent["name"], format!("{PACKAGE}.RecursiveType"));
        assert_eq!(parent["optional"], false);
        assert_eq!(
            parent["fields"][1].to_string(),
            format!(
                r#"{{"type":"struct","fields":[],"optional":true,"name":"{PACKAGE}.RecursiveType","parameters":{{"protobuf.tag":"2"}},"field":"parent"}}"#
            )
        );
        assert_eq!(
            c["fields"][2].to_string(),
            r#"{"type":"array","items":{"type":"int32","optional":false,"parameters":{"protobuf.type":"SINT32"}},"optional":true,"parameters":{"protobuf.tag":"3"},"field":"scores"}"#
        );
        assert_eq!(
            c["fields"][3].to_string(),
            r#"{"type":"map","keys":{"type":"int64","optional":true,"parameters":{"protobuf.tag":"1"}},"values":{"type":"string","optional":true,"parameters":{"protobuf.tag":"2"}},"optional":false,"parameters":{"protobuf.tag":"4"},"field":"labels"}"#
        );
        assert_eq!(c["fields"][4]["name"], TIMESTAMP);
        assert_eq!(c["fields"][5]["optional"], true);
        let mut m = message(&s, &format!("{PACKAGE}.RecursiveType"));
        m.set_field_by_name("name", Pb::String("n".into()));
        m.set_field_by_name("scores", Pb::List(vec![Pb::I32(-1), Pb::I32(2)]));
        let mut labels = HashMap::new();
        labels.insert(MapKey::I64(2), Pb::String("two".into()));
        labels.insert(MapKey::I64(1), Pb::String("one".into()));
        m.set_field_by_name("labels", Pb::Map(labels));
        let mut at = message(&s, "google.protobuf.Timestamp");
        at.set_field_by_name("seconds", Pb::I64(1));
        at.set_field_by_name("nanos", Pb::I32(805_000_000));
        m.set_field_by_name("at", Pb::Message(at));
        let mut day = message(&s, "google.type.Date");
        day.set_field_by_name("year", Pb::I32(2022));
        day.set_field_by_name("month", Pb::I32(3));
        day.set_field_by_name("day", Pb::I32(20));
        m.set_field_by_name("required_day", Pb::Message(day));
        // The unset parent holds an unset required_day, 0-0-0, which convertFromGoogleDate
        // throws on: the record fails.
        let e = s.convert(&payload(&s, &m)).unwrap_err().to_string();
        assert!(
            e.contains("$.parent.required_day") && e.contains("0-0-0 is not a date"),
            "{e}"
        );
        let mut parent = message(&s, &format!("{PACKAGE}.RecursiveType"));
        let mut day = message(&s, "google.type.Date");
        day.set_field_by_name("year", Pb::I32(1970));
        day.set_field_by_name("month", Pb::I32(1));
        day.set_field_by_name("day", Pb::I32(2));
        parent.set_field_by_name("required_day", Pb::Message(day));
        m.set_field_by_name("parent", Pb::Message(parent));
        assert_eq!(
            s.convert(&payload(&s, &m)).unwrap().data,
            json!({
                "name": "n",
                // Unset fields hold their defaults, the inner recursion an empty struct.
                "parent": {"name": "", "parent": {}, "scores": [], "labels": [], "at": 0, "day": null, "required_day": 1},
                "scores": [-1, 2],
                "labels": [[1, "one"], [2, "two"]],
                "at": 1805,
                "day": null,
                "required_day": 19071,
            })
        );
    }
}

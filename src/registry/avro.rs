//! `AvroConverter`: Avro payloads to Connect data, as Confluent's `AvroData.toConnectSchema` and
//! `toConnectData` do it.
//!
//! The bytes are decoded by the `apache-avro` crate. The Connect schema is built here from the
//! schema's JSON text rather than from the crate's parsed schema, because `AvroData` reads
//! properties the crate does not keep on primitive types (`connect.name`, `connect.type`,
//! `connect.parameters`, `avro.java.string`, ...). Both walks follow the same JSON, so union
//! branches and record fields line up.
//!
//! The Connect data is the JSON form the rest of the pipeline uses for `JsonConverter`
//! payloads: bytes and decimals as base64 (decimals as the minimal two's-complement unscaled
//! value), dates as days, times and timestamps as milliseconds, enums as their symbol. A map's
//! entries are written in key order: Connect holds them in a Java `HashMap`, whose order is not
//! the wire order either, and a fixed order keeps retried files byte-identical.

use std::collections::HashMap;
use std::sync::Arc;

use apache_avro::types::Value as Avro;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::AvroDataOptions;
use crate::convert::{ConvertError, Converted};
use crate::format::schema::{DATE, DECIMAL, TIME, TIMESTAMP};

const NAMESPACE: &str = "io.confluent.connect.avro";
const DEFAULT_SCHEMA_FULL_NAME: &str = "io.confluent.connect.avro.ConnectDefault";
const UNION_NAME: &str = "io.confluent.connect.avro.Union";
const ENUM_PARAM: &str = "io.confluent.connect.avro.Enum";
const RECORD_DOC_PARAM: &str = "io.confluent.connect.avro.record.doc";
const FIELD_DOC_PREFIX: &str = "io.confluent.connect.avro.field.doc.";
const ENUM_DOC_PREFIX: &str = "io.confluent.connect.avro.enum.doc.";
const ENUM_DEFAULT_PREFIX: &str = "io.confluent.connect.avro.enum.default.";
const FIELD_DEFAULT_FLAG: &str = "io.confluent.connect.avro.field.default";
const CONNECT_RECORD_DOC: &str = "connect.record.doc";
const CONNECT_ENUM_DOC: &str = "connect.enum.doc";
const FIXED_SIZE_PARAM: &str = "connect.fixed.size";
const DECIMAL_PRECISION_PARAM: &str = "connect.decimal.precision";
const DECIMAL_PRECISION_DEFAULT: i64 = 64;

/// An Avro schema as its JSON text says it, named types resolved.
#[derive(Debug, Clone)]
enum Node {
    Null,
    Primitive {
        ty: Primitive,
        props: Map<String, Value>,
    },
    Array {
        items: Box<Node>,
        props: Map<String, Value>,
    },
    Map {
        values: Box<Node>,
        props: Map<String, Value>,
    },
    Union(Vec<Node>),
    Named(Arc<Named>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Primitive {
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
}

#[derive(Debug)]
enum Named {
    Record {
        full_name: String,
        doc: Option<String>,
        fields: Vec<FieldDef>,
        props: Map<String, Value>,
    },
    Enum {
        full_name: String,
        name: String,
        doc: Option<String>,
        symbols: Vec<String>,
        default: Option<String>,
        props: Map<String, Value>,
    },
    Fixed {
        full_name: String,
        size: usize,
        props: Map<String, Value>,
    },
}

#[derive(Debug)]
struct FieldDef {
    name: String,
    node: Node,
    default: Option<Value>,
    doc: Option<String>,
}

impl Named {
    fn full_name(&self) -> &str {
        match self {
            Named::Record { full_name, .. }
            | Named::Enum { full_name, .. }
            | Named::Fixed { full_name, .. } => full_name,
        }
    }

    fn props(&self) -> &Map<String, Value> {
        match self {
            Named::Record { props, .. }
            | Named::Enum { props, .. }
            | Named::Fixed { props, .. } => props,
        }
    }
}

impl Node {
    fn props(&self) -> Option<&Map<String, Value>> {
        match self {
            Node::Primitive { props, .. } | Node::Array { props, .. } | Node::Map { props, .. } => {
                Some(props)
            }
            Node::Named(n) => Some(n.props()),
            Node::Null | Node::Union(_) => None,
        }
    }

    fn prop_str(&self, key: &str) -> Option<&str> {
        self.props()?.get(key)?.as_str()
    }

    fn is_null(&self) -> bool {
        matches!(self, Node::Null)
    }
}

/// Builds [`Node`]s from schema JSON, resolving names against everything defined so far.
#[derive(Default)]
struct Parser {
    named: HashMap<String, Arc<Named>>,
    /// Names being defined: a reference to one of them is a recursive schema.
    open: Vec<String>,
}

const STRUCTURAL: &[&str] = &[
    "type",
    "name",
    "namespace",
    "doc",
    "fields",
    "symbols",
    "items",
    "values",
    "size",
    "default",
    "aliases",
];

fn props_of(obj: &Map<String, Value>) -> Map<String, Value> {
    obj.iter()
        .filter(|(k, _)| !STRUCTURAL.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The full name of a named type and its namespace, per the Avro specification.
fn full_name(
    obj: &Map<String, Value>,
    enclosing: Option<&str>,
) -> Result<(String, Option<String>), String> {
    let name = obj
        .get("name")
        .and_then(Value::as_str)
        .ok_or("a named type has no \"name\"")?;
    if let Some((ns, _)) = name.rsplit_once('.') {
        return Ok((name.to_owned(), Some(ns.to_owned())));
    }
    let ns = match obj.get("namespace") {
        Some(Value::String(ns)) => (!ns.is_empty()).then(|| ns.clone()),
        Some(Value::Null) => None,
        _ => enclosing.map(str::to_owned),
    };
    Ok(match &ns {
        Some(ns) => (format!("{ns}.{name}"), Some(ns.clone())),
        None => (name.to_owned(), None),
    })
}

impl Parser {
    fn reference(&self, name: &str, ns: Option<&str>) -> Result<Node, String> {
        let candidates = match ns {
            Some(ns) if !name.contains('.') => vec![format!("{ns}.{name}"), name.to_owned()],
            _ => vec![name.to_owned()],
        };
        for c in &candidates {
            if self.open.contains(c) {
                return Err(format!(
                    "{c} refers to itself: recursive Avro schemas are not supported"
                ));
            }
            if let Some(n) = self.named.get(c) {
                return Ok(Node::Named(n.clone()));
            }
        }
        Err(format!("unknown type {name:?}"))
    }

    fn parse(&mut self, v: &Value, ns: Option<&str>) -> Result<Node, String> {
        match v {
            Value::String(s) => self.primitive_or_named(s, Map::new(), ns),
            Value::Array(members) => Ok(Node::Union(
                members
                    .iter()
                    .map(|m| self.parse(m, ns))
                    .collect::<Result<_, _>>()?,
            )),
            Value::Object(obj) => {
                let ty = obj.get("type").ok_or("a schema object has no \"type\"")?;
                let ty = match ty {
                    Value::String(s) => s.as_str(),
                    // {"type": {...}} or {"type": [...]}: the inner schema.
                    other => return self.parse(other, ns),
                };
                match ty {
                    "record" | "error" => self.record(obj, ns),
                    "enum" => {
                        let (full, own_ns) = full_name(obj, ns)?;
                        let symbols = obj
                            .get("symbols")
                            .and_then(Value::as_array)
                            .ok_or_else(|| format!("enum {full} has no \"symbols\""))?
                            .iter()
                            .map(|s| {
                                s.as_str()
                                    .map(str::to_owned)
                                    .ok_or("an enum symbol is not a string")
                            })
                            .collect::<Result<Vec<_>, _>>()?;
                        let _ = own_ns;
                        let named = Arc::new(Named::Enum {
                            name: full.rsplit('.').next().unwrap_or(&full).to_owned(),
                            full_name: full.clone(),
                            doc: obj.get("doc").and_then(Value::as_str).map(str::to_owned),
                            symbols,
                            default: obj
                                .get("default")
                                .and_then(Value::as_str)
                                .map(str::to_owned),
                            props: props_of(obj),
                        });
                        self.named.insert(full, named.clone());
                        Ok(Node::Named(named))
                    }
                    "fixed" => {
                        let (full, _) = full_name(obj, ns)?;
                        let size = obj
                            .get("size")
                            .and_then(Value::as_u64)
                            .ok_or_else(|| format!("fixed {full} has no \"size\""))?;
                        let named = Arc::new(Named::Fixed {
                            full_name: full.clone(),
                            size: size as usize,
                            props: props_of(obj),
                        });
                        self.named.insert(full, named.clone());
                        Ok(Node::Named(named))
                    }
                    "array" => {
                        let items = obj.get("items").ok_or("an array has no \"items\"")?;
                        Ok(Node::Array {
                            items: Box::new(self.parse(items, ns)?),
                            props: props_of(obj),
                        })
                    }
                    "map" => {
                        let values = obj.get("values").ok_or("a map has no \"values\"")?;
                        Ok(Node::Map {
                            values: Box::new(self.parse(values, ns)?),
                            props: props_of(obj),
                        })
                    }
                    other => self.primitive_or_named(other, props_of(obj), ns),
                }
            }
            other => Err(format!("{other} is not an Avro schema")),
        }
    }

    fn primitive_or_named(
        &mut self,
        name: &str,
        props: Map<String, Value>,
        ns: Option<&str>,
    ) -> Result<Node, String> {
        let ty = match name {
            "null" => return Ok(Node::Null),
            "boolean" => Primitive::Boolean,
            "int" => Primitive::Int,
            "long" => Primitive::Long,
            "float" => Primitive::Float,
            "double" => Primitive::Double,
            "bytes" => Primitive::Bytes,
            "string" => Primitive::String,
            other => return self.reference(other, ns),
        };
        Ok(Node::Primitive { ty, props })
    }

    fn record(&mut self, obj: &Map<String, Value>, ns: Option<&str>) -> Result<Node, String> {
        let (full, own_ns) = full_name(obj, ns)?;
        self.open.push(full.clone());
        let mut fields = Vec::new();
        for f in obj
            .get("fields")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("record {full} has no \"fields\""))?
        {
            let fobj = f
                .as_object()
                .ok_or_else(|| format!("a field of {full} is not an object"))?;
            let name = fobj
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("a field of {full} has no \"name\""))?;
            let ty = fobj
                .get("type")
                .ok_or_else(|| format!("field {full}.{name} has no \"type\""))?;
            let node = self
                .parse(ty, own_ns.as_deref())
                .map_err(|e| format!("field {full}.{name}: {e}"))?;
            fields.push(FieldDef {
                name: name.to_owned(),
                node,
                default: fobj.get("default").cloned(),
                doc: fobj.get("doc").and_then(Value::as_str).map(str::to_owned),
            });
        }
        self.open.pop();
        let named = Arc::new(Named::Record {
            full_name: full.clone(),
            doc: obj.get("doc").and_then(Value::as_str).map(str::to_owned),
            fields,
            props: props_of(obj),
        });
        self.named.insert(full, named.clone());
        Ok(Node::Named(named))
    }
}

/// A writer schema ready to decode payloads, with the Connect schema its data gets.
#[derive(Clone)]
pub struct AvroSchema {
    reader: Arc<apache_avro::reader::datum::GenericDatumReader<'static>>,
    root: Arc<Node>,
    options: AvroDataOptions,
    connect: Arc<Value>,
}

impl std::fmt::Debug for AvroSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvroSchema")
            .field("connect", &self.connect)
            .finish_non_exhaustive()
    }
}

impl AvroSchema {
    /// Parses a registry schema and the schemas it references (dependencies first).
    pub fn parse(
        text: &str,
        references: &[String],
        options: AvroDataOptions,
    ) -> Result<AvroSchema, String> {
        let (writer, schemata) = apache_avro::Schema::parse_str_with_list(text, references)
            .map_err(|e| format!("not a valid Avro schema: {e}"))?;
        // Schemas are cached for the life of the container and never dropped, so the decoder
        // may borrow them for 'static.
        let writer: &'static apache_avro::Schema = Box::leak(Box::new(writer));
        let schemata: &'static [apache_avro::Schema] = Box::leak(schemata.into_boxed_slice());
        // The writer's own named types and the referenced schemas' resolve its references.
        let reader = apache_avro::reader::datum::GenericDatumReader::builder(writer)
            .writer_schemata(std::iter::once(writer).chain(schemata).collect())
            .and_then(|b| b.build())
            .map_err(|e| format!("not a usable Avro schema: {e}"))?;
        let mut parser = Parser::default();
        for r in references {
            let v: Value =
                serde_json::from_str(r).map_err(|e| format!("referenced schema: {e}"))?;
            parser.parse(&v, None)?;
        }
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let root = parser.parse(&v, None)?;
        let connect = to_connect(&root, false, None, None, None, options, &mut 0)?;
        Ok(AvroSchema {
            reader: Arc::new(reader),
            root: Arc::new(root),
            options,
            connect: Arc::new(connect),
        })
    }

    /// The same schema whose Connect form carries the registry's subject version (unless the
    /// schema names its own `connect.version`).
    pub fn with_version(&self, version: Option<i64>) -> AvroSchema {
        let connect = to_connect(&self.root, false, None, None, version, self.options, &mut 0)
            .unwrap_or_else(|_| (*self.connect).clone());
        AvroSchema {
            connect: Arc::new(connect),
            ..self.clone()
        }
    }

    /// The full name of the top-level record, for the record-name subject strategies.
    pub fn record_name(&self) -> Option<&str> {
        match &*self.root {
            Node::Named(n) => Some(n.full_name()),
            _ => None,
        }
    }

    /// The Connect schema of this schema's data.
    pub fn connect_schema(&self) -> &Value {
        &self.connect
    }

    /// Reads the JSON the event-source mapping made of an Avro payload
    /// (`EventRecordFormat: JSON`) against this schema's Connect form, as Kafka's
    /// `JsonConverter` reads a payload against its schema. Avro's JSON encoding wraps a union
    /// value in an object named by its branch (`{"string": "x"}`); such wrappers are accepted
    /// too, since the mapping's rendering of unions is not documented.
    pub fn convert_json(&self, text: &[u8]) -> Result<Converted, ConvertError> {
        let value: Value = serde_json::from_slice(text).map_err(|e| {
            ConvertError::Registry(format!(
                "the mapping's JSON rendering of the Avro value is not valid JSON: {e}"
            ))
        })?;
        let value = unwrap_union_branches(value, &self.connect);
        let data = crate::convert::conform_to_schema(value, &self.connect, "$")?;
        Ok(Converted {
            data,
            schema: Some(self.connect.clone()),
        })
    }

    /// Decodes one payload (after the 5-byte header) into Connect data.
    pub fn convert(&self, payload: &[u8]) -> Result<Converted, ConvertError> {
        let mut cursor = payload;
        let decoded = self.reader.read_value(&mut cursor).map_err(|e| {
            ConvertError::Registry(format!(
                "the Avro payload does not decode under its writer schema: {e}"
            ))
        })?;
        let data = to_data(&self.root, decoded, &Path::Root).map_err(ConvertError::Registry)?;
        Ok(Converted {
            data,
            schema: Some(self.connect.clone()),
        })
    }
}

/// A Connect schema object under construction.
struct Builder {
    ty: &'static str,
    optional: bool,
    name: Option<String>,
    version: Option<i64>,
    doc: Option<String>,
    parameters: Map<String, Value>,
    default: Option<Value>,
    extra: Vec<(&'static str, Value)>,
}

impl Builder {
    fn new(ty: &'static str) -> Builder {
        Builder {
            ty,
            optional: false,
            name: None,
            version: None,
            doc: None,
            parameters: Map::new(),
            default: None,
            extra: Vec::new(),
        }
    }

    fn logical(ty: &'static str, name: &str) -> Builder {
        let mut b = Builder::new(ty);
        b.name = Some(name.to_owned());
        b.version = Some(1);
        b
    }

    fn param(&mut self, k: impl Into<String>, v: impl Into<String>) {
        self.parameters.insert(k.into(), Value::String(v.into()));
    }

    fn build(self) -> Value {
        let mut out = Map::new();
        out.insert("type".into(), json!(self.ty));
        for (k, v) in self.extra {
            out.insert(k.into(), v);
        }
        out.insert("optional".into(), json!(self.optional));
        if let Some(d) = self.default {
            out.insert("default".into(), d);
        }
        if let Some(n) = self.name {
            out.insert("name".into(), json!(n));
        }
        if let Some(v) = self.version {
            out.insert("version".into(), json!(v));
        }
        if let Some(d) = self.doc {
            out.insert("doc".into(), json!(d));
        }
        if !self.parameters.is_empty() {
            out.insert("parameters".into(), Value::Object(self.parameters));
        }
        Value::Object(out)
    }
}

fn union_member_name(node: &Node, options: AvroDataOptions) -> String {
    match node {
        Node::Named(n) => {
            if options.enhanced_schema_support {
                n.full_name().to_owned()
            } else {
                n.full_name().rsplit('.').next().unwrap_or("").to_owned()
            }
        }
        Node::Null => "null".into(),
        Node::Primitive { ty, .. } => match ty {
            Primitive::Boolean => "boolean",
            Primitive::Int => "int",
            Primitive::Long => "long",
            Primitive::Float => "float",
            Primitive::Double => "double",
            Primitive::Bytes => "bytes",
            Primitive::String => "string",
        }
        .into(),
        Node::Array { .. } => "array".into(),
        Node::Map { .. } => "map".into(),
        Node::Union(_) => "union".into(),
    }
}

fn is_map_entry(node: &Node) -> Option<(&Node, &Node)> {
    let Node::Named(n) = node else { return None };
    let Named::Record {
        full_name,
        fields,
        props,
        ..
    } = &**n
    else {
        return None;
    };
    let named_entry = full_name == &format!("{NAMESPACE}.MapEntry")
        || props.get("connect.internal.type").and_then(Value::as_str) == Some("MapEntry");
    if !named_entry || fields.len() != 2 {
        return None;
    }
    let key = fields.iter().find(|f| f.name == "key")?;
    let value = fields.iter().find(|f| f.name == "value")?;
    Some((&key.node, &value.node))
}

/// `AvroData.toConnectSchema` for one node, in Connect's JSON schema form.
fn to_connect(
    node: &Node,
    force_optional: bool,
    field_default: Option<&Value>,
    doc_default: Option<&str>,
    version: Option<i64>,
    o: AvroDataOptions,
    depth: &mut usize,
) -> Result<Value, String> {
    *depth += 1;
    if *depth > 256 {
        return Err("the schema nests deeper than 256 levels".into());
    }
    let connect_type = node.prop_str("connect.type");
    let logical = node.prop_str("logicalType");
    let mut b = match node {
        Node::Null => return Err("standalone null schemas are not supported".into()),
        Node::Union(members) => {
            if members.len() == 1 && o.flatten_singleton_unions {
                let out = to_connect(&members[0], false, None, doc_default, None, o, depth);
                *depth -= 1;
                return out;
            }
            if members.len() == 2 && members.iter().any(Node::is_null) {
                let member = members.iter().find(|m| !m.is_null()).expect("two members");
                let out = to_connect(member, true, None, doc_default, None, o, depth);
                *depth -= 1;
                return out;
            }
            let mut b = Builder::new("struct");
            b.name = Some(UNION_NAME.to_owned());
            let mut fields = Vec::new();
            let mut names: Vec<String> = Vec::new();
            for m in members {
                if m.is_null() {
                    b.optional = true;
                    continue;
                }
                let fname = union_member_name(m, o);
                if names.contains(&fname) {
                    return Err("multiple union members map to the same Connect field name".into());
                }
                names.push(fname.clone());
                let mut f = to_connect(m, true, None, None, None, o, depth)?;
                f["field"] = json!(fname);
                fields.push(f);
            }
            b.extra.push(("fields", Value::Array(fields)));
            *depth -= 1;
            return Ok(finish(b, node, force_optional, None, version, o));
        }
        Node::Primitive { ty, .. } => match ty {
            Primitive::Boolean => Builder::new("boolean"),
            Primitive::Bytes => decimal_or_bytes(node, logical)?,
            Primitive::Double => Builder::new("double"),
            Primitive::Float => Builder::new("float"),
            Primitive::Int => match (connect_type, logical) {
                (None, None) => Builder::new("int32"),
                (_, Some(l)) if l.eq_ignore_ascii_case("date") => Builder::logical("int32", DATE),
                (_, Some(l)) if l.eq_ignore_ascii_case("time-millis") => {
                    Builder::logical("int32", TIME)
                }
                (_, Some(_)) => Builder::new("int32"),
                (Some("int8"), None) => Builder::new("int8"),
                (Some("int16"), None) => Builder::new("int16"),
                (Some(other), None) => {
                    return Err(format!("unknown connect.type {other:?} on an Avro int"));
                }
            },
            Primitive::Long => match logical {
                Some(l) if l.eq_ignore_ascii_case("timestamp-millis") => {
                    Builder::logical("int64", TIMESTAMP)
                }
                _ => Builder::new("int64"),
            },
            Primitive::String => Builder::new("string"),
        },
        Node::Array { items, .. } => {
            if let Some((k, v)) = is_map_entry(items) {
                let mut b = Builder::new("map");
                b.extra
                    .push(("keys", to_connect(k, false, None, None, None, o, depth)?));
                b.extra
                    .push(("values", to_connect(v, false, None, None, None, o, depth)?));
                b
            } else {
                let mut b = Builder::new("array");
                b.extra.push((
                    "items",
                    to_connect(items, false, None, None, None, o, depth)?,
                ));
                b
            }
        }
        Node::Map { values, .. } => {
            let mut b = Builder::new("map");
            b.extra
                .push(("keys", json!({"type": "string", "optional": false})));
            b.extra.push((
                "values",
                to_connect(values, false, None, None, None, o, depth)?,
            ));
            b
        }
        Node::Named(named) => match &**named {
            Named::Record { doc, fields, .. } => {
                let mut b = Builder::new("struct");
                if !o.discard_type_doc_default
                    && o.connect_meta_data
                    && let Some(d) = doc
                {
                    b.param(RECORD_DOC_PARAM, d.clone());
                }
                let mut out = Vec::with_capacity(fields.len());
                for f in fields {
                    if !o.discard_type_doc_default
                        && o.connect_meta_data
                        && let Some(d) = &f.doc
                    {
                        b.param(format!("{FIELD_DOC_PREFIX}{}", f.name), d.clone());
                    }
                    let mut fs = to_connect(
                        &f.node,
                        false,
                        f.default.as_ref(),
                        f.doc.as_deref(),
                        None,
                        o,
                        depth,
                    )
                    .map_err(|e| format!("field {}: {e}", f.name))?;
                    fs["field"] = json!(f.name);
                    out.push(fs);
                }
                b.extra.push(("fields", Value::Array(out)));
                b
            }
            Named::Enum {
                name,
                full_name,
                doc,
                symbols,
                default,
                ..
            } => {
                let mut b = Builder::new("string");
                if o.connect_meta_data {
                    if let Some(d) = doc {
                        if o.discard_type_doc_default {
                            b.param(CONNECT_ENUM_DOC, d.clone());
                        } else {
                            b.param(format!("{ENUM_DOC_PREFIX}{name}"), d.clone());
                        }
                    }
                    if !o.discard_type_doc_default
                        && let Some(d) = default
                    {
                        b.param(format!("{ENUM_DEFAULT_PREFIX}{name}"), d.clone());
                    }
                }
                b.param(ENUM_PARAM, full_name.clone());
                for s in symbols {
                    b.param(format!("{ENUM_PARAM}.{s}"), s.clone());
                }
                b
            }
            Named::Fixed { size, .. } => {
                let mut b = decimal_or_bytes(node, logical)?;
                b.param(FIXED_SIZE_PARAM, size.to_string());
                b
            }
        },
    };
    if o.discard_type_doc_default {
        let own_doc = match node {
            Node::Named(n) => match &**n {
                Named::Record { doc, .. } | Named::Enum { doc, .. } => doc.clone(),
                Named::Fixed { .. } => None,
            },
            _ => None,
        };
        if let Some(d) = doc_default
            .map(str::to_owned)
            .or_else(|| own_doc.clone())
            .or_else(|| node.prop_str("connect.doc").map(str::to_owned))
        {
            b.doc = Some(d);
        }
        if o.connect_meta_data
            && let Some(d) = own_doc
        {
            b.param(CONNECT_RECORD_DOC, d);
        }
    } else if o.connect_meta_data
        && let Some(d) = node.prop_str("connect.doc")
    {
        b.doc = Some(d.to_owned());
    }
    *depth -= 1;
    Ok(finish(b, node, force_optional, field_default, version, o))
}

fn decimal_or_bytes(node: &Node, logical: Option<&str>) -> Result<Builder, String> {
    if !logical.is_some_and(|l| l.eq_ignore_ascii_case("decimal")) {
        return Ok(Builder::new("bytes"));
    }
    let props = node.props().cloned().unwrap_or_default();
    let scale = props.get("scale").and_then(Value::as_i64).unwrap_or(0);
    let mut b = Builder::logical("bytes", DECIMAL);
    b.param("scale", scale.to_string());
    if let Some(p) = props.get("precision") {
        let p = p
            .as_i64()
            .ok_or("precision property must be a JSON integer")?;
        if p != DECIMAL_PRECISION_DEFAULT {
            b.param(DECIMAL_PRECISION_PARAM, p.to_string());
        }
    }
    Ok(b)
}

/// The common tail of `toConnectSchema`: version, parameters, `avro*` properties, default,
/// name and optionality.
fn finish(
    mut b: Builder,
    node: &Node,
    force_optional: bool,
    field_default: Option<&Value>,
    version: Option<i64>,
    o: AvroDataOptions,
) -> Value {
    let props = node.props();
    let own_version = props
        .and_then(|p| p.get("connect.version"))
        .and_then(Value::as_i64);
    if let Some(v) = own_version.or(version)
        && v >= 0
        && b.version.is_none()
    {
        b.version = Some(v);
    }
    if o.connect_meta_data
        && let Some(Value::Object(params)) = props.and_then(|p| p.get("connect.parameters"))
    {
        for (k, v) in params {
            if let Some(s) = v.as_str() {
                b.param(k.clone(), s);
            }
        }
    }
    if let Some(p) = props {
        for (k, v) in p {
            if k.starts_with("avro") {
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                b.param(k.clone(), text);
            }
        }
    }
    let connect_default = props.and_then(|p| p.get("connect.default"));
    let default = match field_default {
        None => connect_default,
        Some(d) => {
            if !o.discard_type_doc_default && o.connect_meta_data && connect_default.is_none() {
                b.param(FIELD_DEFAULT_FLAG, "true");
            }
            Some(d)
        }
    };
    if let Some(d) = default
        && !d.is_null()
        && let Ok(v) = default_to_connect(node, d)
    {
        b.default = Some(v);
    }
    let name = match props
        .and_then(|p| p.get("connect.name"))
        .and_then(Value::as_str)
    {
        Some(n) => Some(n.to_owned()),
        None => match node {
            Node::Named(n) => match &**n {
                Named::Record { full_name, .. } | Named::Enum { full_name, .. } => {
                    Some(full_name.clone())
                }
                Named::Fixed { full_name, .. } if b.name.as_deref() != Some(DECIMAL) => {
                    Some(full_name.clone())
                }
                Named::Fixed { .. } => None,
            },
            _ => None,
        },
    };
    if let Some(n) = name
        && !n.starts_with(DEFAULT_SCHEMA_FULL_NAME)
        && b.name.is_none()
    {
        b.name = Some(n);
    }
    if force_optional {
        b.optional = true;
    }
    b.build()
}

/// An Avro JSON default as the Connect value's JSON form.
fn default_to_connect(node: &Node, d: &Value) -> Result<Value, String> {
    Ok(match node {
        Node::Null => Value::Null,
        Node::Union(members) => match members.first() {
            Some(first) => default_to_connect(first, d)?,
            None => Value::Null,
        },
        Node::Primitive {
            ty: Primitive::Bytes,
            ..
        } => json!(STANDARD.encode(latin1_bytes(d)?)),
        Node::Named(n) if matches!(**n, Named::Fixed { .. }) => {
            json!(STANDARD.encode(latin1_bytes(d)?))
        }
        Node::Array { items, .. } => Value::Array(
            d.as_array()
                .ok_or("array default is not an array")?
                .iter()
                .map(|e| default_to_connect(items, e))
                .collect::<Result<_, _>>()?,
        ),
        Node::Map { values, .. } => Value::Object(
            d.as_object()
                .ok_or("map default is not an object")?
                .iter()
                .map(|(k, v)| Ok((k.clone(), default_to_connect(values, v)?)))
                .collect::<Result<_, String>>()?,
        ),
        Node::Named(n) => match &**n {
            Named::Record { fields, .. } => {
                let obj = d.as_object().ok_or("record default is not an object")?;
                let mut out = Map::new();
                for f in fields {
                    let v = obj
                        .get(&f.name)
                        .or(f.default.as_ref())
                        .unwrap_or(&Value::Null);
                    out.insert(f.name.clone(), default_to_connect(&f.node, v)?);
                }
                Value::Object(out)
            }
            _ => d.clone(),
        },
        Node::Primitive { .. } => d.clone(),
    })
}

/// Avro's JSON encoding of bytes: each character is one byte (ISO-8859-1).
fn latin1_bytes(d: &Value) -> Result<Vec<u8>, String> {
    let s = d.as_str().ok_or("bytes default is not a string")?;
    s.chars()
        .map(|c| {
            u8::try_from(u32::from(c))
                .map_err(|_| "bytes default has a character above U+00FF".to_owned())
        })
        .collect()
}

/// The shortest two's-complement big-endian form, as Java's `BigInteger.toByteArray()`.
fn minimal_twos_complement(bytes: &[u8]) -> &[u8] {
    let mut b = bytes;
    while b.len() > 1 && ((b[0] == 0x00 && b[1] & 0x80 == 0) || (b[0] == 0xFF && b[1] & 0x80 != 0))
    {
        b = &b[1..];
    }
    if b.is_empty() { &[0] } else { b }
}

/// Where a value is, for errors: formatted only when an error is reported.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root => f.write_str("$"),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

fn number(f: f64, path: &Path<'_>) -> Result<Value, String> {
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| format!("{path}: {f} (NaN or infinite) cannot be written by this sink"))
}

/// `AvroData.toConnectData` for one decoded value, in the pipeline's JSON form. The decoded
/// value is consumed, so strings move instead of being copied.
fn to_data(node: &Node, v: Avro, path: &Path<'_>) -> Result<Value, String> {
    Ok(match (node, v) {
        (Node::Union(members), Avro::Union(index, inner)) => {
            let member = members
                .get(index as usize)
                .ok_or_else(|| format!("{path}: union branch {index} does not exist"))?;
            let general =
                !(members.len() == 1 || (members.len() == 2 && members.iter().any(Node::is_null)));
            if !general || member.is_null() {
                return to_data(member, *inner, path);
            }
            let mut out = Map::with_capacity(members.len());
            let mut inner = Some(*inner);
            for m in members.iter().filter(|m| !m.is_null()) {
                let name = union_member_name(m, AvroDataOptions::default());
                let value = match inner.take_if(|_| std::ptr::eq(m, member)) {
                    Some(v) => to_data(m, v, &Path::Field(path, &name))?,
                    None => Value::Null,
                };
                out.insert(name, value);
            }
            Value::Object(out)
        }
        (_, Avro::Null) => Value::Null,
        (_, Avro::Boolean(b)) => Value::Bool(b),
        (_, Avro::Int(n) | Avro::Date(n) | Avro::TimeMillis(n)) => Value::from(n),
        (
            _,
            Avro::Long(n)
            | Avro::TimeMicros(n)
            | Avro::TimestampMillis(n)
            | Avro::TimestampMicros(n)
            | Avro::TimestampNanos(n)
            | Avro::LocalTimestampMillis(n)
            | Avro::LocalTimestampMicros(n)
            | Avro::LocalTimestampNanos(n),
        ) => Value::from(n),
        (_, Avro::Float(f)) => number(f64::from(f), path)?,
        (_, Avro::Double(f)) => number(f, path)?,
        (_, Avro::Bytes(b) | Avro::Fixed(_, b)) => Value::String(STANDARD.encode(b)),
        (_, Avro::Decimal(d)) => {
            let bytes: Vec<u8> = (&d)
                .try_into()
                .map_err(|e| format!("{path}: decimal: {e}"))?;
            Value::String(STANDARD.encode(minimal_twos_complement(&bytes)))
        }
        (_, Avro::String(s)) => Value::String(s),
        (_, Avro::Uuid(u)) => Value::String(u.to_string()),
        (_, Avro::Enum(_, symbol)) => Value::String(symbol),
        (Node::Array { items, .. }, Avro::Array(elements)) => {
            if let Some((k, val)) = is_map_entry(items) {
                // A map with non-string keys: Connect's JSON form is [key, value] pairs.
                let mut pairs = Vec::with_capacity(elements.len());
                for (i, e) in elements.into_iter().enumerate() {
                    let Avro::Record(fields) = e else {
                        return Err(format!("{path}[{i}]: a map entry is not a record"));
                    };
                    let (mut key, mut value) = (Avro::Null, Avro::Null);
                    for (f, v) in fields {
                        match f.as_str() {
                            "key" => key = v,
                            "value" => value = v,
                            _ => {}
                        }
                    }
                    let key = to_data(k, key, path)?;
                    let value = to_data(val, value, path)?;
                    pairs.push(Value::Array(vec![key, value]));
                }
                Value::Array(pairs)
            } else {
                Value::Array(
                    elements
                        .into_iter()
                        .enumerate()
                        .map(|(i, e)| to_data(items, e, &Path::Index(path, i)))
                        .collect::<Result<_, _>>()?,
                )
            }
        }
        (Node::Map { values, .. }, Avro::Map(entries)) => {
            let mut entries: Vec<(String, Avro)> = entries.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut out = Map::with_capacity(entries.len());
            for (k, v) in entries {
                let value = to_data(values, v, &Path::Field(path, &k))?;
                out.insert(k, value);
            }
            Value::Object(out)
        }
        (Node::Named(named), Avro::Record(fields)) => {
            let Named::Record { fields: defs, .. } = &**named else {
                return Err(format!("{path}: a record where the schema has no record"));
            };
            let mut out = Map::with_capacity(defs.len());
            for (def, (_, value)) in defs.iter().zip(fields) {
                out.insert(
                    def.name.clone(),
                    to_data(&def.node, value, &Path::Field(path, &def.name))?,
                );
            }
            Value::Object(out)
        }
        (_, other) => {
            return Err(format!(
                "{path}: Avro value {other:?} has no Connect form here"
            ));
        }
    })
}

/// Removes Avro JSON-encoding union wrappers (`{"branch": value}`) where the Connect schema
/// has a plain (flattened optional) type: a single-member object in place of a primitive,
/// array or enum, a map wrapped as `{"map": ..}`, or a record wrapped by a name that is not one
/// of its fields. A general union stays a Connect struct and keeps its member fields.
fn unwrap_union_branches(value: Value, schema: &Value) -> Value {
    let ty = schema.get("type").and_then(Value::as_str).unwrap_or("");
    let value = match value {
        Value::Object(map) if map.len() == 1 => {
            let (k, inner) = map.iter().next().expect("one member");
            let unwrap = match ty {
                "struct" => {
                    inner.is_object()
                        && !schema
                            .get("fields")
                            .and_then(Value::as_array)
                            .is_some_and(|f| f.iter().any(|f| f.get("field") == Some(&json!(k))))
                }
                "map" => k == "map" && inner.is_object(),
                "" => false,
                _ => true,
            };
            if unwrap {
                map.into_iter().next().expect("one member").1
            } else {
                Value::Object(map)
            }
        }
        other => other,
    };
    match (ty, value) {
        ("struct", Value::Object(map)) => {
            let fields = schema.get("fields").and_then(Value::as_array);
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| {
                        let field = fields
                            .and_then(|f| f.iter().find(|f| f.get("field") == Some(&json!(k))));
                        let v = match field {
                            Some(f) => unwrap_union_branches(v, f),
                            None => v,
                        };
                        (k, v)
                    })
                    .collect(),
            )
        }
        ("array", Value::Array(items)) => match schema.get("items") {
            Some(s) => Value::Array(
                items
                    .into_iter()
                    .map(|v| unwrap_union_branches(v, s))
                    .collect(),
            ),
            None => Value::Array(items),
        },
        ("map", Value::Object(map)) => match schema.get("values") {
            Some(s) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, unwrap_union_branches(v, s)))
                    .collect(),
            ),
            None => Value::Object(map),
        },
        (_, v) => v,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn avro_json_union_wrappers_are_unwrapped_where_connect_has_no_union() {
        let schema = json!({"type": "struct", "fields": [
            {"field": "note", "type": "string", "optional": true},
            {"field": "tags", "type": "array", "items": {"type": "string"}, "optional": true},
            {"field": "u", "type": "struct", "name": "io.confluent.connect.avro.Union",
             "fields": [{"field": "string", "type": "string", "optional": true},
                        {"field": "int", "type": "int32", "optional": true}]}
        ]});
        let v = json!({"note": {"string": "x"}, "tags": {"array": ["a"]}, "u": {"int": 3}});
        assert_eq!(
            unwrap_union_branches(v, &schema),
            json!({"note": "x", "tags": ["a"], "u": {"int": 3}}),
            "a general union stays a Connect struct with its member fields"
        );
    }
    use super::*;

    fn schema(text: &str) -> AvroSchema {
        AvroSchema::parse(text, &[], AvroDataOptions::default()).unwrap()
    }

    const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"com.example","fields":[
        {"name":"id","type":"string"},{"name":"n","type":"long"},
        {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
        {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]}},
        {"name":"tags","type":{"type":"array","items":"string"}},
        {"name":"attrs","type":{"type":"map","values":"double"}},
        {"name":"u","type":["null","int","string",{"type":"fixed","name":"F","size":2}]}]}"#;

    proptest::proptest! {
        /// Whatever the bytes, decoding gives data or an error, never a panic.
        #[test]
        fn arbitrary_payloads_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let s = schema(ORDER);
            let _ = s.convert(&bytes);
        }
    }

    #[test]
    fn general_unions_become_union_structs() {
        let s = schema(ORDER);
        let u = &s.connect_schema()["fields"][6];
        assert_eq!(u["name"], UNION_NAME);
        assert_eq!(u["optional"], true);
        let names: Vec<&str> = u["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["int", "string", "F"]);
        // id "a", n 1, amount 1.00, status PAID, no tags, no attrs, union branch 2 ("string") "x"
        let payload = [2, b'a', 2, 4, 0, 100, 2, 0, 0, 4, 2, b'x'];
        let c = s.convert(&payload).unwrap();
        assert_eq!(c.data["amount"], "ZA=="); // BigInteger(100).toByteArray() is [0x64]
        assert_eq!(c.data["status"], "PAID");
        assert_eq!(c.data["u"], json!({"int": null, "string": "x", "F": null}));
    }

    #[test]
    fn minimal_decimal_bytes_match_big_integer() {
        assert_eq!(minimal_twos_complement(&[0, 0, 0x30, 0x39]), &[0x30, 0x39]);
        assert_eq!(minimal_twos_complement(&[0, 0x80]), &[0, 0x80]);
        assert_eq!(minimal_twos_complement(&[0xFF, 0xFF, 0x85]), &[0x85]);
        assert_eq!(minimal_twos_complement(&[0xFF, 0x7F]), &[0xFF, 0x7F]);
        assert_eq!(minimal_twos_complement(&[0, 0]), &[0]);
    }

    #[test]
    fn recursive_schemas_are_refused_with_the_name() {
        let e = AvroSchema::parse(
            r#"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}"#,
            &[],
            AvroDataOptions::default(),
        )
        .unwrap_err();
        assert!(e.contains("Node") && e.contains("recursive"), "{e}");
    }

    #[test]
    fn enum_and_optional_fields_follow_avro_data() {
        let s = schema(
            r#"{"type":"record","name":"Order","namespace":"com.example","fields":[
                {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]}},
                {"name":"note","type":["null","string"],"default":null},
                {"name":"channel","type":"string","default":"web"}]}"#,
        )
        .with_version(Some(2));
        let c = s.connect_schema();
        assert_eq!(c["name"], "com.example.Order");
        assert_eq!(c["version"], 2);
        let status = &c["fields"][0];
        assert_eq!(status["type"], "string");
        assert_eq!(status["name"], "com.example.Status");
        assert_eq!(status["parameters"][ENUM_PARAM], "com.example.Status");
        assert_eq!(
            status["parameters"]["io.confluent.connect.avro.Enum.PAID"],
            "PAID"
        );
        let note = &c["fields"][1];
        assert_eq!(note["optional"], true);
        assert!(note.get("default").is_none());
        let channel = &c["fields"][2];
        assert_eq!(channel["default"], "web");
        assert_eq!(channel["parameters"][FIELD_DEFAULT_FLAG], "true");
    }
}

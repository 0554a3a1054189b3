//! The Glue library's `JsonSchemaConverter`
//! (`com.amazonaws.services.schemaregistry.kafkaconnect.jsonschema`): JSON Schema payloads to
//! Connect data as its `JsonSchemaToConnectSchemaConverter` and
//! `JsonNodeToConnectValueConverter` (with the `typeconverters/` classes) do it.
//!
//! The schema is loaded as the converter loads it: everit's `SchemaLoader` on the bare text
//! (draft 4 unless `$schema` says otherwise). The tree everit builds, and the order in which
//! an object's properties come out of it, are the ones Confluent's converter walks too, so
//! they come from [`super::json_schema`]; the mapping from that tree to a Connect schema is
//! Glue's own and differs from Confluent's `JsonSchemaData` in most places:
//!
//! * Only `connect.*` annotations name and type things: `connect.name` is the name (the
//!   `title` is not), `connect.doc` the doc (not `description`), `connect.type` picks int8 ..
//!   float64 and bytes, and a number without one is float64, `"integer"` included
//!   (`TypeConverterFactory.get(jsonSchema, connectType)`).
//! * Every property is a required field, whatever `required` says
//!   (`StructTypeConverter.toConnectSchema` passes `required=true`); the only optional schema is
//!   the non-null member of a `oneOf` of exactly two schemas one of which is `null`
//!   (`buildOptionalUnionSchema`). Any other union, synthetic ones included (`"type": [.., ..]`,
//!   `"type": "string"` with `"enum"`), is a struct named `oneOf` with required fields
//!   `field1`, `field2`, .. (`buildNonOptionalUnionSchema`); a value fills one of them.
//! * Fields are in everit's property order, stably sorted by `connect.index` (properties
//!   without one last) (`StructTypeConverter.getOrderedFields`).
//! * An enum is a string with the parameter
//!   `com.amazonaws.services.schemaregistry.kafkaconnect.jsonschema.Enum` (value null) and one
//!   per symbol (`StringTypeConverter.toConnectSchema`).
//! * Each converter instance caches the Connect schema of every everit schema it converted,
//!   keyed by everit's `Schema.equals` (which ignores where a schema is), and a struct, array
//!   or map converts its children with a new instance. So within one object, the first of two
//!   equal property schemas decides the other's optionality: `{"type": "string"}` next to
//!   `{"oneOf": [{"type": "null"}, {"type": "string"}]}` makes both required or both optional,
//!   whichever comes first. This is reproduced ([`Fingerprint`]); the instance the converter
//!   keeps for the whole task (whose cache also spans schemas) is modelled per schema.
//!
//! The data is the pipeline's JSON form of what `toConnectValue` returns, leaves conformed by
//! `crate::convert::conform_to_schema` (the rules of Kafka's `JsonConverter`, from which Glue's
//! value converters are copied). Where Java would quietly make something else of a
//! mismatching value (`false` for a number in a boolean field, `0` for text in an int field),
//! or leave a required field null for every Connect writer to reject (a missing property, the
//! members of a union the value did not choose), the record fails here with the JSON path.
//!
//! Refused when the schema is parsed, each named in its error: what the Java converter throws
//! on (`const`, `not`, `if`, `{}`/`true`, a lone `null`, arrays without one `items` schema,
//! `connect.type` map without its key/value or additionalProperties schema), recursive
//! schemas (Java overflows its stack), defaults other than strings and booleans on their own
//! types (`SchemaBuilder.defaultValue` rejects the other Java objects everit hands it), enum
//! symbols other than strings, integers and booleans, and logical names on the wrong type.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::json_schema::{
    Criterion, Items, JavaHashMap, Kind, Model, NodeId, connect_type, everit_object_order,
    int_annotation, java_string_hash, key_hash, unsupported,
};
use crate::convert::{ConvertError, Converted};
use crate::format::json::decimal_scale;
use crate::format::schema::{DATE, DECIMAL, TIME, TIMESTAMP};

/// `JsonSchemaConverterConstants.JSON_SCHEMA_TYPE_ONEOF`.
const ONE_OF: &str = "oneOf";
/// `JsonSchemaConverterConstants.JSON_SCHEMA_TYPE_ENUM`.
const ENUM_PARAM: &str = "com.amazonaws.services.schemaregistry.kafkaconnect.jsonschema.Enum";

/// everit's `Schema.equals` for the converter's cache: the schema class, its own keywords and
/// the common properties (title, description, default, unprocessed properties), not where it
/// is. A node everit made of one object's keywords (a member of a type list, a part of a
/// synthetic `allOf`) has none of the common properties.
type Fingerprint = Value;

const STRING_KEYWORDS: &[&str] = &["minLength", "maxLength", "pattern", "format"];
const NUMBER_KEYWORDS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];
const ARRAY_KEYWORDS: &[&str] = &[
    "items",
    "additionalItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
];
const OBJECT_KEYWORDS: &[&str] = &[
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "dependencies",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
];
/// Keys everit's loaders consume; the others are a schema's unprocessed properties.
const PROCESSED: &[&str] = &[
    "$ref",
    "type",
    "enum",
    "const",
    "not",
    "allOf",
    "anyOf",
    "oneOf",
    "if",
    "then",
    "else",
    "title",
    "description",
    "default",
    "id",
    "$id",
    "nullable",
    "readOnly",
    "writeOnly",
];

fn subset(o: Option<&Map<String, Value>>, keys: &[&str]) -> Value {
    let mut out = Map::new();
    if let Some(o) = o {
        for k in keys {
            if let Some(v) = o.get(*k) {
                out.insert((*k).to_owned(), v.clone());
            }
        }
    }
    Value::Object(out)
}

/// A Connect schema being built (Kafka's `SchemaBuilder`), rendered in `JsonConverter`'s form.
#[derive(Debug, Clone)]
struct Builder {
    ty: &'static str,
    optional: bool,
    name: Option<String>,
    version: Option<i64>,
    doc: Option<String>,
    /// A `LinkedHashMap`; Glue's enum parameter has a null value.
    params: Vec<(String, Option<String>)>,
    default: Option<Value>,
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
            doc: None,
            params: Vec::new(),
            default: None,
            fields: Vec::new(),
            keys: None,
            values: None,
        }
    }

    fn param(&mut self, k: String, v: Option<String>) {
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
        if let Some(d) = self.doc {
            o.insert("doc".into(), json!(d));
        }
        if !self.params.is_empty() {
            let p: Map<String, Value> = self
                .params
                .into_iter()
                .map(|(k, v)| (k, json!(v)))
                .collect();
            o.insert("parameters".into(), Value::Object(p));
        }
        if let Some(d) = self.default {
            o.insert("default".into(), d);
        }
        Value::Object(o)
    }
}

/// One `JsonSchemaToConnectSchemaConverter` instance's `toConnectSchemaCache`.
#[derive(Default)]
struct Cache(Vec<(Fingerprint, Value)>);

impl Cache {
    fn get(&self, fp: &Fingerprint) -> Option<Value> {
        self.0.iter().find(|(k, _)| k == fp).map(|(_, v)| v.clone())
    }
}

struct Walker<'m> {
    model: &'m mut Model,
    /// `$ref` targets being converted: a `$ref` back to one is a cycle.
    in_progress: Vec<NodeId>,
}

impl Walker<'_> {
    fn fingerprint(&mut self, id: NodeId) -> Result<Fingerprint, String> {
        let node = self.model.nodes[id].clone();
        let src = self.model.source_object(&node.at).cloned();
        let src = src.as_ref();
        let kind = match &node.kind {
            Kind::Boolean => json!(["boolean"]),
            Kind::Number { integer } => json!(["number", integer, subset(src, NUMBER_KEYWORDS)]),
            Kind::String => json!(["string", subset(src, STRING_KEYWORDS)]),
            Kind::Null => json!(["null"]),
            Kind::Enum(values) => json!(["enum", values]),
            Kind::Const(v) => json!(["const", v]),
            Kind::Array(_) => json!(["array", subset(src, ARRAY_KEYWORDS)]),
            Kind::Object { .. } => json!(["object", subset(src, OBJECT_KEYWORDS)]),
            Kind::Combined { criterion, subs } => {
                let mut members = Vec::with_capacity(subs.len());
                for s in subs {
                    members.push(self.fingerprint(*s)?);
                }
                json!(["combined", format!("{criterion:?}"), members])
            }
            Kind::Ref(t) => json!(["ref", t.tokens]),
            Kind::Empty => json!(["empty"]),
            Kind::Unconvertible(what) => json!(["unconvertible", what, node.at]),
        };
        let mut common = Map::new();
        if let Some(m) = &node.meta {
            if let Some(t) = &m.title {
                common.insert("title".into(), json!(t));
            }
            if let Some(d) = &m.description {
                common.insert("description".into(), json!(d));
            }
            if let Some(d) = &m.default {
                common.insert("default".into(), d.clone());
            }
            if let Some(o) = src {
                let keyword = |k: &str| {
                    PROCESSED.contains(&k)
                        || STRING_KEYWORDS.contains(&k)
                        || NUMBER_KEYWORDS.contains(&k)
                        || ARRAY_KEYWORDS.contains(&k)
                        || OBJECT_KEYWORDS.contains(&k)
                };
                let unprocessed: Map<String, Value> = o
                    .iter()
                    .filter(|(k, _)| !keyword(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                common.insert("unprocessed".into(), Value::Object(unprocessed));
            }
        }
        Ok(json!([kind, common]))
    }

    /// `JsonSchemaToConnectSchemaConverter.toConnectSchema(jsonSchema, required)`; `None` for
    /// a `NullSchema`, as Java returns null.
    fn connect_schema_of(
        &mut self,
        id: NodeId,
        required: bool,
        cache: &mut Cache,
    ) -> Result<Option<Value>, String> {
        let node = self.model.nodes[id].clone();
        let at = node.at.as_str();
        if matches!(node.kind, Kind::Null) {
            return Ok(None);
        }
        let fp = self.fingerprint(id)?;
        if let Some(cached) = cache.get(&fp) {
            return Ok(Some(cached));
        }
        let connect_type = connect_type(&node)?;
        let mut b = match &node.kind {
            Kind::Null => unreachable!("handled above"),
            Kind::Boolean => Builder::new("boolean"),
            // TypeConverterFactory.get: a number is float64 unless connect.type says.
            Kind::Number { .. } => Builder::new(match connect_type {
                None | Some("float64") => "double",
                Some("float32") => "float",
                Some("int8") => "int8",
                Some("int16") => "int16",
                Some("int32") => "int32",
                Some("int64") => "int64",
                Some("bytes") => "bytes",
                Some(other) => {
                    return Err(unsupported(
                        at,
                        &format!("connect.type {other:?} on a number"),
                    ));
                }
            }),
            Kind::String => Builder::new(if connect_type == Some("bytes") {
                "bytes"
            } else {
                "string"
            }),
            // StringTypeConverter.toConnectSchema.
            Kind::Enum(values) => {
                let mut b = Builder::new("string");
                b.param(ENUM_PARAM.to_owned(), None);
                for v in values {
                    let symbol = match v {
                        Value::String(s) => s.clone(),
                        Value::Bool(x) => x.to_string(),
                        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
                        other => {
                            return Err(unsupported(
                                at,
                                &format!(
                                    "the enum value {other} (only strings, integers and booleans)"
                                ),
                            ));
                        }
                    };
                    b.param(format!("{ENUM_PARAM}.{symbol}"), Some(symbol));
                }
                b
            }
            Kind::Array(items) if connect_type == Some("map") => {
                // MapTypeConverter.toConnectSchema, ArraySchema branch: items is an object
                // with "key" and "value" properties.
                let Items::All(items) = items else {
                    return Err(unsupported(
                        at,
                        "a connect.type map array without one `items` schema",
                    ));
                };
                let Kind::Object { properties, .. } = &self.model.nodes[*items].kind else {
                    return Err(unsupported(
                        at,
                        "a connect.type map array whose items are not an object",
                    ));
                };
                let get = |name: &str| {
                    properties
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, id)| *id)
                        .ok_or_else(|| {
                            format!("{at}: a connect.type map entry has no {name:?} property")
                        })
                };
                let (k, v) = (get("key")?, get("value")?);
                let mut inner = Cache::default();
                let mut b = Builder::new("map");
                b.keys = Some(self.required_child(k, &mut inner, at, "map key")?);
                b.values = Some(self.required_child(v, &mut inner, at, "map value")?);
                b
            }
            Kind::Array(items) => {
                // ArrayTypeConverter.toConnectSchema.
                let Items::All(items) = items else {
                    return Err(unsupported(
                        at,
                        "an array without one `items` schema for every element (Glue: \"Array schema did not specify the items type\")",
                    ));
                };
                let mut b = Builder::new("array");
                b.values =
                    Some(self.required_child(*items, &mut Cache::default(), at, "array items")?);
                b
            }
            Kind::Object {
                properties,
                additional,
                doc,
                scoped,
                ..
            } => {
                if connect_type == Some("map") {
                    // MapTypeConverter.toConnectSchema, ObjectSchema branch.
                    let Some(additional) = additional else {
                        return Err(format!(
                            "{at}: a connect.type map object needs an additionalProperties schema"
                        ));
                    };
                    let pointer = at.split_once('#').map_or("", |(_, p)| p);
                    let values = self.model.load(
                        additional,
                        *doc,
                        &format!("{pointer}/additionalProperties"),
                        *scoped,
                    )?;
                    let mut b = Builder::new("map");
                    b.keys = Some(json!({"type": "string", "optional": false}));
                    b.values = Some(self.required_child(
                        values,
                        &mut Cache::default(),
                        at,
                        "map value",
                    )?);
                    b
                } else {
                    // StructTypeConverter.toConnectSchema / getOrderedFields: a stable sort by
                    // connect.index, properties without one last.
                    let mut ordered: Vec<(Option<i64>, &String, NodeId)> = Vec::new();
                    for (name, pid) in properties {
                        let p = &self.model.nodes[*pid];
                        let index = match &p.meta {
                            Some(m) => int_annotation(m, "connect.index", &p.at)?,
                            None => None,
                        };
                        ordered.push((index, name, *pid));
                    }
                    ordered.sort_by_key(|(index, _, _)| (index.is_none(), *index));
                    let mut inner = Cache::default();
                    let mut b = Builder::new("struct");
                    for (_, name, pid) in ordered {
                        let f = self.required_child(
                            pid,
                            &mut inner,
                            at,
                            &format!("property {name:?}"),
                        )?;
                        b.field(name, f);
                    }
                    b
                }
            }
            Kind::Combined { subs, criterion } => {
                let is_null = |w: &Self, s: &NodeId| matches!(w.model.nodes[*s].kind, Kind::Null);
                let has_null = subs.iter().any(|s| is_null(self, s));
                if *criterion == Criterion::One && subs.len() == 2 && has_null {
                    // buildOptionalUnionSchema: the other member, optional, with its own
                    // annotations only; not cached.
                    let Some(other) = subs.iter().find(|s| !is_null(self, s)) else {
                        return Err(unsupported(at, "a oneOf of two nulls"));
                    };
                    return self.connect_schema_of(*other, false, cache);
                }
                // buildNonOptionalUnionSchema, with this converter's cache. Its `optional()`
                // for a null member is undone by populateConnectProperties below.
                let mut b = Builder::new("struct");
                b.name = Some(ONE_OF.to_owned());
                let members: Vec<NodeId> =
                    subs.iter().copied().filter(|s| !is_null(self, s)).collect();
                for (i, s) in members.into_iter().enumerate() {
                    let f = self
                        .connect_schema_of(s, true, cache)?
                        .expect("null members are filtered out");
                    b.field(&format!("field{}", i + 1), f);
                }
                b
            }
            Kind::Ref(t) => {
                let target = self.model.target(t)?;
                if self.in_progress.contains(&target) {
                    return Err(unsupported(
                        at,
                        "a recursive schema (the Glue converter recurses without end)",
                    ));
                }
                self.in_progress.push(target);
                let out = self.connect_schema_of(target, required, cache);
                self.in_progress.pop();
                return out;
            }
            Kind::Const(_) => {
                return Err(unsupported(
                    at,
                    "`const` (Glue: \"Unsupported schema type ConstSchema\")",
                ));
            }
            Kind::Empty => {
                return Err(unsupported(
                    at,
                    "a schema that admits any value (`{}` or `true`; Glue: \"Unsupported schema type\")",
                ));
            }
            Kind::Unconvertible(what) => {
                return Err(unsupported(
                    at,
                    &format!("{what} (Glue: \"Unsupported schema type\")"),
                ));
            }
        };
        self.populate(&mut b, id, required)?;
        let schema = b.render();
        cache.0.push((fp, schema.clone()));
        Ok(Some(schema))
    }

    /// A child that must have a Connect schema (Kafka's `SchemaBuilder` refuses a null one).
    fn required_child(
        &mut self,
        id: NodeId,
        cache: &mut Cache,
        at: &str,
        what: &str,
    ) -> Result<Value, String> {
        self.connect_schema_of(id, true, cache)?.ok_or_else(|| {
            unsupported(
                at,
                &format!("a {what} of type null alone (it has no Connect schema)"),
            )
        })
    }

    /// `populateConnectProperties`: optional from `required`, then `connect.name`,
    /// `connect.doc`, the default, `connect.version`, `connect.parameters`.
    fn populate(&self, b: &mut Builder, id: NodeId, required: bool) -> Result<(), String> {
        let node = &self.model.nodes[id];
        let at = node.at.as_str();
        b.optional = !required;
        let Some(meta) = &node.meta else {
            return Ok(());
        };
        let text = |k: &str| -> Result<Option<String>, String> {
            match meta.connect.get(k) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(v) => Err(format!("{at}: {k} must be a string, not {v}")),
            }
        };
        if let Some(n) = text("connect.name")? {
            b.name = Some(n);
        }
        if let Some(d) = text("connect.doc")? {
            b.doc = Some(d);
        }
        if let Some(d) = &meta.default {
            b.default = Some(default_value(b, d, at)?);
        }
        if let Some(v) = int_annotation(meta, "connect.version", at)? {
            b.version = Some(v);
        }
        match meta.connect.get("connect.parameters") {
            None => {}
            Some(Value::Object(params)) => {
                // everit hands the annotation over as a HashMap; putAll keeps its order.
                let names: Vec<String> = params.keys().cloned().collect();
                for k in everit_object_order(&names).map_err(|e| format!("{at}: {e}"))? {
                    let v = params[k.as_str()].as_str().ok_or_else(|| {
                        format!("{at}: connect.parameters values must be strings")
                    })?;
                    b.param(k.clone(), Some(v.to_owned()));
                }
            }
            Some(other) => {
                return Err(format!(
                    "{at}: connect.parameters must be an object, not {other}"
                ));
            }
        }
        check_logical(b, at)
    }
}

/// `builder.defaultValue(jsonSchema.getDefaultValue())`: everit gives the org.json value as it
/// is, and `SchemaBuilder` accepts it only where its Java class is the one the type needs.
/// Strings and booleans are certain to be; the rest (an `Integer` for an int64, a
/// `BigDecimal` for a float64, `JSONObject.NULL`) are refused.
fn default_value(b: &Builder, d: &Value, at: &str) -> Result<Value, String> {
    match (b.ty, b.name.as_deref(), d) {
        ("string", None, Value::String(_)) | ("boolean", None, Value::Bool(_)) => Ok(d.clone()),
        _ => Err(unsupported(
            at,
            &format!(
                "the default {d} on a Connect {} (only string and boolean defaults on their own types: SchemaBuilder.defaultValue rejects the other Java objects everit gives)",
                b.ty
            ),
        )),
    }
}

/// The logical names `toConnectValue` converts by must sit on the type they need; Java would
/// otherwise build a schema its own data does not fit.
fn check_logical(b: &Builder, at: &str) -> Result<(), String> {
    let need = |ty: &str, name: &str| {
        if b.ty == ty {
            Ok(())
        } else {
            Err(unsupported(
                at,
                &format!("the name {name} on a Connect {} (it needs {ty})", b.ty),
            ))
        }
    };
    match b.name.as_deref() {
        Some(DECIMAL) => {
            need("bytes", DECIMAL)?;
            let rendered = json!({"parameters": Map::from_iter(
                b.params.iter().map(|(k, v)| (k.clone(), json!(v)))
            )});
            decimal_scale(&rendered).map_err(|e| format!("{at}: {e}"))?;
            Ok(())
        }
        Some(DATE) => need("int32", DATE),
        Some(TIME) => need("int32", TIME),
        Some(TIMESTAMP) => need("int64", TIMESTAMP),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// JsonNodeToConnectValueConverter.toConnectValue
// ---------------------------------------------------------------------------------------------

type DataError = (String, String);

/// `toConnectValue(schema, jsonValue)` in the pipeline's JSON form; `None` is a property the
/// payload does not have.
fn to_data(schema: &Value, value: Option<&Value>, path: &str) -> Result<Value, DataError> {
    let err = |m: String| Err((path.to_owned(), m));
    let Some(v) = value.filter(|v| !v.is_null()) else {
        if let Some(d) = schema.get("default") {
            return Ok(d.clone());
        }
        if schema["optional"].as_bool().unwrap_or(false) {
            return Ok(Value::Null);
        }
        return err(if value.is_none() {
            "a required field is missing (Glue's converter makes every property a required field unless its schema is a oneOf of null and one other schema; Java leaves it null and Connect's writers reject it)".to_owned()
        } else {
            "null value for a required field (Glue: \"Invalid null value for required field\")"
                .to_owned()
        });
    };
    let ty = schema["type"].as_str().unwrap_or("");
    let name = schema.get("name").and_then(Value::as_str);
    if matches!(name, Some(DECIMAL | DATE | TIME | TIMESTAMP)) {
        return leaf(schema, v, path);
    }
    match ty {
        "struct" if name == Some(ONE_OF) => union_data(schema, v, path),
        "struct" => {
            // StructTypeConverter.toConnect: only the schema's fields, in schema order.
            let Value::Object(obj) = v else {
                return err(format!(
                    "Structs should be encoded as JSON objects, but found {v}"
                ));
            };
            let mut out = Map::new();
            for f in schema["fields"].as_array().into_iter().flatten() {
                let fname = f["field"].as_str().unwrap_or("");
                let fv = to_data(f, obj.get(fname), &format!("{path}.{fname}"))?;
                out.insert(fname.to_owned(), fv);
            }
            Ok(Value::Object(out))
        }
        "array" => {
            // Java iterates any node (an object's values, nothing for a scalar): refused.
            let Value::Array(elements) = v else {
                return err(format!("expected an array, found {v}"));
            };
            elements
                .iter()
                .enumerate()
                .map(|(i, e)| to_data(&schema["items"], Some(e), &format!("{path}[{i}]")))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        "map" => map_data(schema, v, path),
        "bytes" => {
            // BytesTypeConverter: binaryValue() of a text node, base64.
            let Value::String(s) = v else {
                return err(format!("expected base64 bytes, found {v}"));
            };
            match STANDARD.decode(s) {
                Ok(bytes) => Ok(json!(STANDARD.encode(bytes))),
                Err(e) => err(format!("invalid base64 for bytes: {e}")),
            }
        }
        _ => leaf(schema, v, path),
    }
}

fn leaf(schema: &Value, v: &Value, path: &str) -> Result<Value, DataError> {
    crate::convert::conform_to_schema(v.clone(), schema, path).map_err(|e| match e {
        ConvertError::Schema { path, message } => (path, message),
        other => (path.to_owned(), other.to_string()),
    })
}

/// `StructTypeConverter.toConnect` for a `oneOf` struct: the first member the value is a
/// simple instance of (`isInstanceOfJsonSchemaTypeForSimpleSchema`) or a struct sharing a
/// property name with it (`structSchemaEquals`) takes it; the others stay null.
fn union_data(schema: &Value, v: &Value, path: &str) -> Result<Value, DataError> {
    let fields: Vec<&Value> = schema["fields"].as_array().into_iter().flatten().collect();
    let Some(chosen) = fields
        .iter()
        .position(|f| simple_instance(f, v) || struct_shares_a_key(f, v))
    else {
        return Err((
            path.to_owned(),
            format!(
                "{v} matches no member of the union (Glue: \"Did not find matching union field for data\")"
            ),
        ));
    };
    let mut out = Map::new();
    for (i, f) in fields.iter().enumerate() {
        let fname = f["field"].as_str().unwrap_or("");
        if i == chosen {
            out.insert(fname.to_owned(), to_data(f, Some(v), path)?);
        } else if f["optional"].as_bool().unwrap_or(false) {
            out.insert(fname.to_owned(), Value::Null);
        } else {
            return Err((
                path.to_owned(),
                format!(
                    "{v} is the union's {} member; Glue's converter makes its {fname} a required field and leaves it null, which Connect's writers reject (JsonSchemaToConnectSchemaConverter.buildNonOptionalUnionSchema)",
                    fields[chosen]["field"].as_str().unwrap_or("")
                ),
            ));
        }
    }
    Ok(Value::Object(out))
}

/// `SIMPLE_JSON_SCHEMA_TYPES` over the nodes Jackson's default `readTree` makes: integers
/// are `IntNode`/`LongNode`/`BigIntegerNode`, other numbers `DoubleNode`; no node is a
/// `BinaryNode`, a `BigDecimal` or a `Map`, so bytes and decimals never match, and a map
/// matches only as an array of `{"key", "value"}` entries (`isMapAsArray`).
fn simple_instance(schema: &Value, v: &Value) -> bool {
    match schema["type"].as_str().unwrap_or("") {
        "int8" | "int16" | "int32" | "int64" => v.is_i64() || v.is_u64(),
        "float" | "double" => v.is_f64(),
        "boolean" => v.is_boolean(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "map" => v.as_array().is_some_and(|entries| {
            entries.iter().all(|e| {
                e.as_object()
                    .is_some_and(|o| o.contains_key("key") || o.contains_key("value"))
            })
        }),
        _ => false,
    }
}

/// `structSchemaEquals`: a struct member and an object sharing at least one property name.
fn struct_shares_a_key(schema: &Value, v: &Value) -> bool {
    let (Some("struct"), Value::Object(obj)) = (schema["type"].as_str(), v) else {
        return false;
    };
    schema["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|f| f["field"].as_str().is_some_and(|n| obj.contains_key(n)))
}

/// `MapTypeConverter.toConnect`: required string keys from a JSON object, other keys from
/// `[{"key": .., "value": ..}]`; the entries in the order of the `HashMap` it fills.
fn map_data(schema: &Value, v: &Value, path: &str) -> Result<Value, DataError> {
    let err = |m: String| Err((path.to_owned(), m));
    let keys = &schema["keys"];
    let values = &schema["values"];
    let string_keys = keys["type"] == "string";
    if string_keys && !keys["optional"].as_bool().unwrap_or(false) {
        let Value::Object(obj) = v else {
            return err(format!(
                "Maps with string fields should be encoded as JSON objects, but found {v}"
            ));
        };
        let mut m = JavaHashMap::new();
        for (k, x) in obj {
            let x = to_data(values, Some(x), &format!("{path}.{k}"))?;
            m.insert(java_string_hash(k), k.clone(), x)
                .map_err(|e| (path.to_owned(), e))?;
        }
        return Ok(Value::Object(m.into_entries().collect()));
    }
    let Value::Array(entries) = v else {
        return err(format!(
            "Maps with non-string fields should be encoded as JSON array of tuples, but found {v}"
        ));
    };
    let mut m = JavaHashMap::new();
    for (i, e) in entries.iter().enumerate() {
        let epath = format!("{path}[{i}]");
        let entry = match e {
            Value::Object(o) if o.len() == 2 => o,
            other => {
                return Err((
                    epath,
                    format!(
                        "a map entry must be an object of two properties, \"key\" and \"value\", not {other}"
                    ),
                ));
            }
        };
        let k = to_data(keys, entry.get("key"), &format!("{epath}.key"))?;
        let x = to_data(values, entry.get("value"), &format!("{epath}.value"))?;
        let hash = key_hash(keys, &k).map_err(|m| (epath.clone(), m))?;
        m.insert(hash, k, x).map_err(|e| (epath, e))?;
    }
    if string_keys {
        let mut out = Map::new();
        for (k, x) in m.into_entries() {
            let Value::String(k) = k else {
                return err("a null map key".to_owned());
            };
            out.insert(k, x);
        }
        Ok(Value::Object(out))
    } else {
        Ok(Value::Array(
            m.into_entries().map(|(k, x)| json!([k, x])).collect(),
        ))
    }
}

/// A JSON Schema from the Glue Schema Registry, ready to convert payloads as the Glue
/// library's `JsonSchemaConverter` does.
#[derive(Clone)]
pub struct GlueJsonSchema {
    connect: Arc<Value>,
}

impl std::fmt::Debug for GlueJsonSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlueJsonSchema")
            .field("connect", &self.connect)
            .finish()
    }
}

impl GlueJsonSchema {
    /// Loads a schema version's definition and builds its Connect schema.
    pub fn parse(text: &str) -> Result<GlueJsonSchema, String> {
        let mut model = Model::new_plain(text)?;
        let root = model.root;
        let mut walker = Walker {
            model: &mut model,
            in_progress: Vec::new(),
        };
        let connect = walker
            .connect_schema_of(root, true, &mut Cache::default())?
            .ok_or_else(|| unsupported("#", "a schema of type null alone"))?;
        Ok(GlueJsonSchema {
            connect: Arc::new(connect),
        })
    }

    /// The Connect schema of this schema's data.
    pub fn connect_schema(&self) -> &Value {
        &self.connect
    }

    /// Converts one payload (the JSON text after the Glue header).
    pub fn convert(&self, payload: &[u8]) -> Result<Converted, ConvertError> {
        let value: Value = serde_json::from_slice(payload).map_err(|e| {
            ConvertError::Registry(format!("the JSON Schema payload is not valid JSON: {e}"))
        })?;
        let data = to_data(&self.connect, Some(&value), "$").map_err(|(path, m)| {
            ConvertError::Registry(format!(
                "the JSON Schema payload does not fit its Connect schema at {path}: {m}"
            ))
        })?;
        Ok(Converted {
            data,
            schema: Some(self.connect.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(text: &str) -> Value {
        GlueJsonSchema::parse(text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"))
            .connect_schema()
            .clone()
    }

    fn data(text: &str, payload: &str) -> Value {
        GlueJsonSchema::parse(text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"))
            .convert(payload.as_bytes())
            .unwrap_or_else(|e| panic!("{e}\n{payload}"))
            .data
    }

    fn bad_data(text: &str, payload: &str) -> String {
        match GlueJsonSchema::parse(text)
            .unwrap()
            .convert(payload.as_bytes())
        {
            Err(ConvertError::Registry(m)) => m,
            other => panic!("{payload}: {other:?}"),
        }
    }

    fn refused(text: &str) -> String {
        GlueJsonSchema::parse(text).expect_err(text)
    }

    /// TestDataProvider's primitive schemas (ToConnectTest.testToConnect_schemaAndValue_asExpected):
    /// `connect.type` picks the Connect type; a number without one is float64, an `integer`
    /// included (TypeConverterFactory.get(jsonSchema, connectType)); a string with
    /// connect.type bytes is bytes.
    #[test]
    fn primitives_follow_connect_type() {
        for (json_schema, connect, payload, value) in [
            (
                r#"{"type":"boolean"}"#,
                r#"{"type":"boolean","optional":false}"#,
                "true",
                json!(true),
            ),
            (
                r#"{"type":"integer","connect.type":"int8"}"#,
                r#"{"type":"int8","optional":false}"#,
                "42",
                json!(42),
            ),
            (
                r#"{"type":"integer","connect.type":"int16"}"#,
                r#"{"type":"int16","optional":false}"#,
                "42",
                json!(42),
            ),
            (
                r#"{"type":"integer","connect.type":"int32"}"#,
                r#"{"type":"int32","optional":false}"#,
                "42",
                json!(42),
            ),
            (
                r#"{"type":"integer","connect.type":"int64"}"#,
                r#"{"type":"int64","optional":false}"#,
                "42",
                json!(42),
            ),
            (
                r#"{"type":"number","connect.type":"float32"}"#,
                r#"{"type":"float","optional":false}"#,
                "1.7",
                json!(1.7),
            ),
            (
                r#"{"type":"number","connect.type":"float64"}"#,
                r#"{"type":"double","optional":false}"#,
                "42.42",
                json!(42.42),
            ),
            (
                r#"{"type":"integer"}"#,
                r#"{"type":"double","optional":false}"#,
                "42",
                json!(42.0),
            ),
            (
                r#"{"type":"number"}"#,
                r#"{"type":"double","optional":false}"#,
                "1.5",
                json!(1.5),
            ),
            (
                r#"{"type":"string","connect.type":"bytes"}"#,
                r#"{"type":"bytes","optional":false}"#,
                r#""YW5zd2Vy""#,
                json!("YW5zd2Vy"),
            ),
            (
                r#"{"type":"string"}"#,
                r#"{"type":"string","optional":false}"#,
                r#""answer""#,
                json!("answer"),
            ),
        ] {
            assert_eq!(schema(json_schema).to_string(), connect, "{json_schema}");
            assert_eq!(data(json_schema, payload), value, "{json_schema}");
        }
        // Java would read these as false and 0; they fail the record here.
        assert!(bad_data(r#"{"type":"boolean"}"#, "42").contains("expected a boolean"));
        assert!(bad_data(r#"{"type":"integer","connect.type":"int32"}"#, r#""x""#).contains("$"));
        assert!(bad_data(r#"{"type":"string"}"#, "null").contains("Invalid null value"));
    }

    /// TestDataProvider.OPTIONAL_*_SCHEMA: `oneOf` of a schema and null is that schema,
    /// optional (buildOptionalUnionSchema); null converts to null.
    #[test]
    fn a_oneof_with_null_is_optional() {
        let s = r#"{"oneOf":[{"type":"integer","connect.type":"int32"},{"type":"null"}]}"#;
        assert_eq!(schema(s).to_string(), r#"{"type":"int32","optional":true}"#);
        assert_eq!(data(s, "null"), Value::Null);
        assert_eq!(data(s, "7"), json!(7));
        // The union's own annotations are not read: only the member's.
        let s =
            r#"{"oneOf":[{"type":"null"},{"type":"string","connect.doc":"d"}],"connect.name":"n"}"#;
        assert_eq!(
            schema(s).to_string(),
            r#"{"type":"string","optional":true,"doc":"d"}"#
        );
    }

    /// TestDataProvider.CONNECT_ENUM_SCHEMA: a string with the Enum parameter (null) and one
    /// per symbol (StringTypeConverter.toConnectSchema).
    #[test]
    fn enums_are_strings_with_parameters() {
        let s = r#"{"enum":["apple","banana","mango"]}"#;
        assert_eq!(
            schema(s).to_string(),
            format!(
                r#"{{"type":"string","optional":false,"parameters":{{"{ENUM_PARAM}":null,"{ENUM_PARAM}.apple":"apple","{ENUM_PARAM}.banana":"banana","{ENUM_PARAM}.mango":"mango"}}}}"#
            )
        );
        assert_eq!(data(s, r#""mango""#), json!("mango"));
    }

    /// TestDataProvider.MAP_SCHEMA_WITH_STRING_KEY, MAP_ARRAY_SCHEMA_WITH_INTEGER_KEY,
    /// MAP_NAMED_ARRAY_SCHEMA_WITH_OPTIONAL_STRING_KEY (MapTypeConverter).
    #[test]
    fn maps() {
        let s = r#"{"type":"object","connect.type":"map","additionalProperties":{"type":"integer","connect.type":"int32"}}"#;
        assert_eq!(
            schema(s).to_string(),
            r#"{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false},"optional":false}"#
        );
        assert_eq!(data(s, r#"{"answer":42}"#), json!({"answer": 42}));
        let s = r#"{"type":"array","connect.type":"map","items":{"type":"object","properties":{"key":{"type":"integer","connect.type":"int32"},"value":{"type":"integer","connect.type":"int32"}}}}"#;
        assert_eq!(
            schema(s).to_string(),
            r#"{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"int32","optional":false},"optional":false}"#
        );
        assert_eq!(data(s, r#"[{"key":42,"value":42}]"#), json!([[42, 42]]));
        let s = r#"{"type":"array","connect.type":"map","connect.name":"foo.bar","items":{"type":"object","properties":{"key":{"oneOf":[{"type":"string"},{"type":"null"}]},"value":{"type":"integer","connect.type":"int32"}}}}"#;
        assert_eq!(
            schema(s).to_string(),
            r#"{"type":"map","keys":{"type":"string","optional":true},"values":{"type":"int32","optional":false},"optional":false,"name":"foo.bar"}"#
        );
        assert_eq!(
            data(s, r#"[{"key":"answer","value":42}]"#),
            json!({"answer": 42})
        );
    }

    /// TestDataProvider.JSON_SCHEMA_FOR_MISSING_FIELDS: fields sorted by connect.index, every
    /// property a required field (StructTypeConverter.toConnectSchema passes required=true),
    /// `required`, `title` and `description` unread (testConverter_NonSourceConverterGenerated_
    /// JSONSchema). Java leaves the missing "string" null in a required field, which Connect's
    /// writers reject; the record fails here instead.
    #[test]
    fn structs() {
        let s = r#"{"type":"object","title":"T","description":"d","required":["int32"],"properties":{
            "string":{"type":"string","connect.index":2},
            "int32":{"type":"integer","connect.type":"int32","connect.index":0},
            "boolean":{"type":"boolean","connect.index":1}}}"#;
        assert_eq!(
            schema(s).to_string(),
            concat!(
                r#"{"type":"struct","fields":["#,
                r#"{"type":"int32","optional":false,"field":"int32"},"#,
                r#"{"type":"boolean","optional":false,"field":"boolean"},"#,
                r#"{"type":"string","optional":false,"field":"string"}"#,
                r#"],"optional":false}"#
            )
        );
        assert_eq!(
            data(s, r#"{"int32":42,"boolean":true,"string":"s","other":1}"#).to_string(),
            r#"{"int32":42,"boolean":true,"string":"s"}"#
        );
        let m = bad_data(s, r#"{"int32":42,"boolean":true}"#);
        assert!(
            m.contains("$.string") && m.contains("required field is missing"),
            "{m}"
        );
        // Without connect.index, everit's HashMap order (as Confluent's converter walks it).
        let s = r#"{"type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"},"zip":{"type":"string"}}}"#;
        let c = schema(s);
        let names: Vec<&str> = c["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["zip", "city", "street"]);
    }

    /// TestDataProvider.CONNECT_UNION_SCHEMA (EXPECTED_JSON_UNION_SCHEMA): a union is a struct
    /// named oneOf with required fields field1, field2 (buildNonOptionalUnionSchema); a value
    /// fills the first member it is an instance of (StructTypeConverter.toConnect), which
    /// leaves the other required field null.
    #[test]
    fn unions() {
        let s = r#"{"oneOf":[{"type":"integer","connect.type":"int32"},{"type":"string"}]}"#;
        assert_eq!(
            schema(s).to_string(),
            r#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"field1"},{"type":"string","optional":false,"field":"field2"}],"optional":false,"name":"oneOf"}"#
        );
        let m = bad_data(s, "42");
        assert!(
            m.contains("field1 member") && m.contains("field2 a required field"),
            "{m}"
        );
        // A type list is everit's anyOf: a oneOf struct too, of the one non-null type, and
        // required (populateConnectProperties undoes the null member's optional()).
        let s = r#"{"type":["string","null"]}"#;
        assert_eq!(
            schema(s).to_string(),
            r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"field1"}],"optional":false,"name":"oneOf"}"#
        );
        assert_eq!(data(s, r#""x""#), json!({"field1": "x"}));
        assert!(bad_data(s, "null").contains("Invalid null value"));
        assert!(bad_data(s, "1").contains("matches no member"));
        // A struct member matches an object sharing a property name (structSchemaEquals).
        let s =
            r#"{"oneOf":[{"type":"null"},{"type":"object","properties":{"a":{"type":"string"}}}]}"#;
        assert_eq!(data(s, r#"{"a":"x"}"#), json!({"a": "x"}));
    }

    /// TestDataProvider's DATE_SCHEMA, TIME_SCHEMA, TIMESTAMP_SCHEMA, NUMBER_DECIMAL_SCHEMA and
    /// STRING_DECIMAL_SCHEMA (ToConnectTest.testToConnect_base64Decimal_asExpected): the
    /// logical name from connect.name, data by the logical converters.
    #[test]
    fn logical_types() {
        let date = r#"{"type":"integer","connect.type":"int32","connect.name":"org.apache.kafka.connect.data.Date","connect.version":1}"#;
        assert_eq!(
            schema(date).to_string(),
            r#"{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1}"#
        );
        assert_eq!(data(date, "19631"), json!(19631));
        let ts = r#"{"type":"integer","connect.type":"int64","connect.name":"org.apache.kafka.connect.data.Timestamp","connect.version":1}"#;
        assert_eq!(data(ts, "1620233761102"), json!(1620233761102i64));
        let decimal = r#"{"type":"number","connect.type":"bytes","connect.name":"org.apache.kafka.connect.data.Decimal","connect.version":1,"connect.parameters":{"scale":"2"}}"#;
        assert_eq!(
            schema(decimal).to_string(),
            r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}}"#
        );
        // 1.56 at scale 2: unscaled 156, bytes {0, -100} (BASE64_DECIMAL_JSON_NODE).
        assert_eq!(data(decimal, "1.56"), json!("AJw="));
        let text = decimal.replace(r#""type":"number""#, r#""type":"string""#);
        assert_eq!(data(&text, r#""AJw=""#), json!("AJw="));
        assert!(
            refused(r#"{"type":"string","connect.name":"org.apache.kafka.connect.data.Date"}"#)
                .contains("needs int32")
        );
    }

    /// The converter's toConnectSchemaCache is keyed by everit's Schema.equals, which ignores
    /// where a schema is: within one object, the first of two equal property schemas decides
    /// the other (JsonSchemaToConnectSchemaConverter.toConnectSchema, cache lookup first;
    /// StructTypeConverter.toConnectSchema converts all fields with one new instance).
    #[test]
    fn equal_schemas_share_the_first_conversion() {
        // "a" comes before "b" in everit's HashMap order.
        let optional_first = r#"{"type":"object","properties":{"a":{"oneOf":[{"type":"null"},{"type":"string"}]},"b":{"type":"string"}}}"#;
        let c = schema(optional_first);
        assert_eq!(c["fields"][0]["optional"], true);
        assert_eq!(c["fields"][1]["optional"], true, "{c}");
        assert_eq!(
            data(optional_first, r#"{"a":"x"}"#),
            json!({"a": "x", "b": null})
        );
        let required_first = r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"oneOf":[{"type":"null"},{"type":"string"}]}}}"#;
        let c = schema(required_first);
        assert_eq!(c["fields"][1]["optional"], false, "{c}");
        assert!(bad_data(required_first, r#"{"a":"x","b":null}"#).contains("$.b"));
        // Schemas that differ (a keyword, an annotation) or sit in another object do not.
        let differ = r#"{"type":"object","properties":{"a":{"oneOf":[{"type":"null"},{"type":"string"}]},"b":{"type":"string","format":"email"},"c":{"type":"object","properties":{"d":{"type":"string"}}}}}"#;
        let c = schema(differ);
        let field = |n: &str| {
            c["fields"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["field"] == n)
                .unwrap()
                .clone()
        };
        assert_eq!(field("b")["optional"], false);
        assert_eq!(field("c")["fields"][0]["optional"], false);
    }

    /// What the Java converter throws on, and defaults SchemaBuilder.defaultValue rejects.
    #[test]
    fn unsupported_schemas_are_refused() {
        for (text, why) in [
            (
                r##"{"$schema":"http://json-schema.org/draft-07/schema#","const":"x"}"##,
                "ConstSchema",
            ),
            // Without $schema everit loads draft 4, which has no `const`: any value.
            (r#"{"const":"x"}"#, "any value"),
            (r#"{}"#, "any value"),
            (r#"{"not":{"type":"string"}}"#, "`not`"),
            (r#"{"type":"null"}"#, "null alone"),
            (r#"{"type":"array"}"#, "items"),
            (r#"{"type":"array","items":[{"type":"string"}]}"#, "items"),
            (
                r#"{"type":"object","connect.type":"map"}"#,
                "additionalProperties",
            ),
            (
                r##"{"type":"object","properties":{"a":{"$ref":"#"}}}"##,
                "recursive",
            ),
            (r#"{"type":"integer","default":1}"#, "default"),
            (r#"{"type":"string","default":null}"#, "default"),
            (r#"{"enum":[1.5]}"#, "enum value"),
            (
                r#"{"type":"integer","connect.type":"struct"}"#,
                "connect.type",
            ),
        ] {
            let e = refused(text);
            assert!(e.contains(why), "{text}: {e}");
        }
        assert_eq!(
            schema(r#"{"type":"string","default":"x"}"#)["default"],
            json!("x")
        );
        assert_eq!(
            data(
                r#"{"type":"object","properties":{"a":{"type":"boolean","default":true}}}"#,
                "{}"
            ),
            json!({"a": true})
        );
    }
}

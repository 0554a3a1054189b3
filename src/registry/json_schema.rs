//! `JsonSchemaConverter`: JSON Schema payloads to Connect data, as Confluent's
//! `JsonSchemaData.toConnectSchema` and `toConnectData` do it with `JsonSchemaDataConfig`'s
//! defaults (kafka-json-schema-converter; everit-json-schema 1.14 loads the schema).
//!
//! `JsonSchemaData` does not read the schema text: it walks the tree everit's `SchemaLoader`
//! builds from it, so the loader here rebuilds that tree first (`Kind` mirrors everit's
//! schema classes) and the Connect schema is made from it by the rules of `toConnectSchema`.
//! Two consequences that are easy to miss:
//!
//! * A struct's fields are in the order everit's `ObjectSchema.getPropertySchemas()` iterates
//!   the properties, not the schema text's order: the properties pass through three
//!   `java.util.HashMap`s (org.json's `JSONObject`, `OrgJsonUtil.toMap`, the
//!   `ObjectSchema.Builder`), so the order is the last map's bucket order (the same as one
//!   `new HashMap<>()` filled in the text's order). `connect.index` (which
//!   `JsonSchemaData.fromConnectSchema` writes on every property) overrides it. `JavaHashMap`
//!   reproduces those maps; the same holds for `connect.parameters` and for the entries of a
//!   map value (a `HashMap` in the Connect data).
//! * A keyword mix that everit loads as several schemas (`"type": "string"` with `"enum"`, an
//!   `"integer"` with a `"format"`) becomes a synthetic `allOf`, converted by
//!   `allOfToConnectSchema`, which keeps no `title`, `description` or `default`.
//!
//! The data is the pipeline's JSON form of what `toConnectData` returns, each leaf conformed by
//! `crate::convert::conform_to_schema` (the `JsonConverter` rules): numbers in the schema's
//! type, bytes and decimals as base64 (decimals as the minimal two's-complement unscaled value),
//! struct fields in schema order, payload properties the schema does not name dropped. Where
//! `toConnectData` would quietly make something else of a mismatching value (0 for a string in
//! an integer field, an empty list for a non-array, a missing required field left null for the
//! writer to reject), the record fails here with the JSON path.
//!
//! Refused when the schema is parsed (each is named in its error): schemas `JsonSchemaData`
//! itself cannot convert (`not`, `if`/`then`/`else`, `false`, a lone `null` type, an array
//! without a single `items` schema, unknown `connect.type`s), the empty schema / `true`
//! (Connect's `Variant`), recursive schemas (their Connect schema is cyclic), draft 2019-09 and
//! 2020-12 (Confluent loads those with json-sKema), `$ref`s other than JSON pointers and
//! referenced schemas, a nested `$id` scope, more than one of `allOf`/`anyOf`/`oneOf` in one
//! schema object, enum values other than strings, integers, booleans and null, logical type
//! names on the wrong Connect type, defaults on structs (Kafka's `SchemaBuilder` rejects the
//! `Struct` `JsonSchemaData` makes of them) and on schemas holding a map, and map keys other
//! than strings, integers, booleans, floats and dates.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::ReferencedSchema;
use crate::convert::{ConvertError, Converted};
use crate::format::json::decimal_scale;
use crate::format::schema::{DATE, DECIMAL, TIME, TIMESTAMP};

/// `JsonSchemaData.JSON_TYPE_ONE_OF`: the name of the struct a `oneOf`/`anyOf` becomes.
const ONE_OF: &str = "io.confluent.connect.json.OneOf";
/// `JsonSchemaData.JSON_TYPE_ENUM`: the parameter prefix of an enum's symbols.
const ENUM_PARAM: &str = "io.confluent.connect.json.Enum";
/// `JsonSchemaData.JSON_ID_PROP`: set on a struct `$ref`ed more than once.
const ID_PARAM: &str = "io.confluent.connect.json.Id";
/// `ConnectUnion.LOGICAL_PARAMETER` (generalized sum types, not the default).
const UNION_PARAM: &str = "org.apache.kafka.connect.data.Union";
/// `ConnectVariant.LOGICAL_NAME`.
const VARIANT: &str = "org.apache.kafka.connect.data.Variant";
/// `JsonSchemaData.NULL_MARKER`: the symbol of a `null` enum value.
const NULL_MARKER: &str = "<NULL>";

/// The `JsonSchemaDataConfig` settings that change how a JSON Schema becomes a Connect schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonSchemaDataOptions {
    /// `use.optional.for.nonrequired` (default false): a property missing from `required`
    /// becomes an optional field. When false, its field is required unless its schema admits
    /// `null` (`["string", "null"]`, `oneOf` with `{"type": "null"}`).
    pub use_optional_for_nonrequired: bool,
    /// `flatten.singleton.unions` (default true): a `oneOf`/`anyOf`/`allOf` of one schema is
    /// that schema.
    pub flatten_singleton_unions: bool,
}

impl Default for JsonSchemaDataOptions {
    fn default() -> Self {
        JsonSchemaDataOptions {
            use_optional_for_nonrequired: false,
            flatten_singleton_unions: true,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// java.util.HashMap iteration order
// ---------------------------------------------------------------------------------------------

/// `java.util.HashMap` (JDK 8 and later), reduced to what decides its iteration order: a
/// power-of-two table of buckets indexed by the spread hash, each bucket in insertion order,
/// split in order when the table doubles past three quarters full. A bucket long enough to
/// become a red-black tree (9 entries in a table of 64 or more) is refused rather than
/// modelled; with string keys it does not happen in practice.
#[derive(Debug)]
pub(super) struct JavaHashMap<K, V> {
    table: Vec<Vec<(u32, K, V)>>,
    threshold: usize,
    size: usize,
}

/// `HashMap.tableSizeFor`: the least power of two at least `c` (at least 1).
fn table_size_for(c: usize) -> usize {
    c.max(1).next_power_of_two()
}

impl<K: PartialEq, V> JavaHashMap<K, V> {
    /// `new HashMap<>()`.
    pub(super) fn new() -> Self {
        JavaHashMap {
            table: Vec::new(),
            threshold: 0,
            size: 0,
        }
    }

    /// `new HashMap<>(n)`.
    fn with_capacity(n: usize) -> Self {
        JavaHashMap {
            threshold: table_size_for(n),
            ..Self::new()
        }
    }

    /// An empty `new HashMap<>()` about to receive `putAll` of `s` entries: `putMapEntries`
    /// sizes the table first. This is the JDK 8-18 rule (`s / 0.75 + 1`); JDK 19 changed it to
    /// `ceil(s / 0.75)`, which differs when `s` is 3·2^k.
    fn presized(s: usize) -> Self {
        let mut m = Self::new();
        if s > 0 {
            let t = (s as f32 / 0.75f32 + 1.0f32) as usize;
            if t > m.threshold {
                m.threshold = table_size_for(t);
            }
        }
        m
    }

    /// `HashMap.resize`.
    fn resize(&mut self) {
        let old_cap = self.table.len();
        let (new_cap, mut new_thr) = if old_cap > 0 {
            (
                old_cap << 1,
                if old_cap >= 16 {
                    self.threshold << 1
                } else {
                    0
                },
            )
        } else if self.threshold > 0 {
            (self.threshold, 0)
        } else {
            (16, 12)
        };
        if new_thr == 0 {
            new_thr = (new_cap as f32 * 0.75f32) as usize;
        }
        self.threshold = new_thr;
        let old = std::mem::take(&mut self.table);
        self.table = (0..new_cap).map(|_| Vec::new()).collect();
        for (j, bucket) in old.into_iter().enumerate() {
            for e in bucket {
                let at = if (e.0 as usize) & old_cap == 0 {
                    j
                } else {
                    j + old_cap
                };
                self.table[at].push(e);
            }
        }
    }

    /// `HashMap.put` of a key whose Java `hashCode()` is `hash`: an equal key keeps its place
    /// and takes the new value.
    pub(super) fn insert(&mut self, hash: i32, key: K, value: V) -> Result<(), String> {
        let h = (hash as u32) ^ ((hash as u32) >> 16);
        if self.table.is_empty() {
            self.resize();
        }
        let i = (h as usize) & (self.table.len() - 1);
        let bucket = &mut self.table[i];
        if let Some(e) = bucket.iter_mut().find(|e| e.0 == h && e.1 == key) {
            e.2 = value;
            return Ok(());
        }
        let before = bucket.len();
        bucket.push((h, key, value));
        // putVal's treeifyBin: a 9th entry in one bucket resizes a small table, and turns a
        // bucket of a large one into a tree (whose iteration order is not modelled).
        if before >= 8 {
            if self.table.len() < 64 {
                self.resize();
            } else {
                return Err("too many Java hash collisions to know the key order".to_owned());
            }
        }
        self.size += 1;
        if self.size > self.threshold {
            self.resize();
        }
        Ok(())
    }

    /// The entries in iteration order.
    pub(super) fn into_entries(self) -> impl Iterator<Item = (K, V)> {
        self.table.into_iter().flatten().map(|(_, k, v)| (k, v))
    }
}

/// `String.hashCode()`: over UTF-16 code units.
pub(super) fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// `Long.hashCode()` (and `java.util.Date.hashCode()` of its milliseconds).
fn java_long_hash(v: i64) -> i32 {
    (v ^ ((v as u64) >> 32) as i64) as i32
}

/// Strings in the iteration order of a `HashMap` they were put into in the given order.
fn hash_order<'a>(
    keys: impl IntoIterator<Item = &'a String>,
    mut map: JavaHashMap<&'a String, ()>,
) -> Result<Vec<&'a String>, String> {
    for k in keys {
        map.insert(java_string_hash(k), k, ())?;
    }
    Ok(map.into_entries().map(|(k, _)| k).collect())
}

/// The iteration order of an everit JSON object's keys (`names` in the schema text's order):
/// org.json's `JSONObject` (a `new HashMap<>()`, filled in text order), copied by
/// `OrgJsonUtil.toMap` into a `new HashMap<>(size)`.
pub(super) fn everit_object_order(names: &[String]) -> Result<Vec<&String>, String> {
    let a = hash_order(names, JavaHashMap::new())?;
    hash_order(a, JavaHashMap::with_capacity(names.len()))
}

/// The order of `ObjectSchema.getPropertySchemas()`: `ObjectSchemaLoader.populatePropertySchemas`
/// puts the properties, in [`everit_object_order`], into the builder's `new HashMap<>()`,
/// which the `ObjectSchema` keeps as it is. `keep` drops the keys the loader skips.
fn everit_property_order(
    names: &[String],
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<&String>, String> {
    let b = everit_object_order(names)?;
    hash_order(b.into_iter().filter(|k| keep(k)), JavaHashMap::new())
}

// ---------------------------------------------------------------------------------------------
// The schema tree everit builds
// ---------------------------------------------------------------------------------------------

/// The JSON Schema draft everit loads with (`SchemaLoader` reads `$schema`; Confluent's
/// `JsonSchema.loadPreviousDraft` makes draft 7 the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Draft {
    V4,
    V6,
    V7,
}

const NUMBER_KEYWORDS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];
const STRING_KEYWORDS: &[&str] = &["minLength", "maxLength", "pattern", "format"];
const CONDITIONAL_KEYWORDS: &[&str] = &["if", "then", "else"];

impl Draft {
    fn id_keyword(self) -> &'static str {
        match self {
            Draft::V4 => "id",
            _ => "$id",
        }
    }

    /// everit's `SpecificationVersion.objectKeywords()`.
    fn object_keywords(self) -> &'static [&'static str] {
        const V4: &[&str] = &[
            "properties",
            "required",
            "minProperties",
            "maxProperties",
            "dependencies",
            "patternProperties",
            "additionalProperties",
        ];
        const V6: &[&str] = &[
            "properties",
            "required",
            "minProperties",
            "maxProperties",
            "dependencies",
            "patternProperties",
            "additionalProperties",
            "propertyNames",
        ];
        if self == Draft::V4 { V4 } else { V6 }
    }

    /// everit's `SpecificationVersion.arrayKeywords()`.
    fn array_keywords(self) -> &'static [&'static str] {
        const V4: &[&str] = &[
            "items",
            "additionalItems",
            "minItems",
            "maxItems",
            "uniqueItems",
        ];
        const V6: &[&str] = &[
            "items",
            "additionalItems",
            "minItems",
            "maxItems",
            "uniqueItems",
            "contains",
        ];
        if self == Draft::V4 { V4 } else { V6 }
    }
}

pub(super) type NodeId = usize;

/// A `$ref` target: a document and the JSON pointer's tokens in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Target {
    doc: usize,
    pub(super) tokens: Vec<String>,
}

/// What everit keeps of a schema object besides its type: `title`, `description`, `default`
/// and the `connect.*` annotations `JsonSchemaData` reads from `getUnprocessedProperties()`.
/// Only the schema everit returns for a JSON object has them; the schemas it makes of one
/// object's keywords (each type of a `"type"` list, each part of a synthetic `allOf`) do not.
#[derive(Debug, Clone, Default)]
pub(super) struct Meta {
    pub(super) title: Option<String>,
    pub(super) description: Option<String>,
    pub(super) default: Option<Value>,
    pub(super) connect: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Criterion {
    All,
    Any,
    One,
}

#[derive(Debug, Clone)]
pub(super) enum Items {
    Missing,
    Tuple,
    All(NodeId),
}

/// everit's schema classes.
#[derive(Debug, Clone)]
pub(super) enum Kind {
    Boolean,
    Number {
        integer: bool,
    },
    String,
    Null,
    Enum(Vec<Value>),
    Const(Value),
    Array(Items),
    Object {
        /// In `getPropertySchemas()` order.
        properties: Vec<(String, NodeId)>,
        required: Vec<String>,
        /// An `additionalProperties` schema (not a boolean), loaded when a map needs it.
        additional: Option<Value>,
        doc: usize,
        scoped: bool,
    },
    Combined {
        criterion: Criterion,
        subs: Vec<NodeId>,
    },
    Ref(Target),
    /// `EmptySchema` / `TrueSchema`: any value (Connect's `Variant`).
    Empty,
    /// A schema `JsonSchemaData` cannot convert: `FalseSchema`, `NotSchema`,
    /// `ConditionalSchema`.
    Unconvertible(&'static str),
}

#[derive(Debug, Clone)]
pub(super) struct Node {
    pub(super) kind: Kind,
    pub(super) meta: Option<Meta>,
    /// Where the schema is, for messages: `#/properties/a` or `address.json#/...`.
    pub(super) at: String,
}

#[derive(Debug, Clone)]
struct Doc {
    /// Its URI, resolved against the root's `$id` as Confluent registers references.
    uri: String,
    /// Its name in messages ("" for the root).
    name: String,
    json: Value,
}

/// The loaded schema: documents, everit's nodes, and the `$ref` targets loaded so far.
#[derive(Debug, Clone)]
pub(super) struct Model {
    draft: Draft,
    docs: Vec<Doc>,
    pub(super) nodes: Vec<Node>,
    targets: HashMap<Target, NodeId>,
    pub(super) root: NodeId,
}

fn escape_token(t: &str) -> String {
    t.replace('~', "~0").replace('/', "~1")
}

fn location(doc: &Doc, pointer: &str) -> String {
    format!("{}#{pointer}", doc.name)
}

/// `JsonSchema.mergeDefBuckets(json, "definitions", "$defs")`: a top-level `definitions`
/// entry is reachable as `#/$defs/<name>` too.
fn merge_def_buckets(json: &mut Value) {
    let Value::Object(root) = json else { return };
    let Some(Value::Object(defs)) = root.get("definitions").cloned() else {
        return;
    };
    if defs.is_empty() {
        return;
    }
    let target = root
        .entry("$defs")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(t) = target {
        for (k, v) in defs {
            t.entry(k).or_insert(v);
        }
    }
}

/// `ReferenceResolver.resolve(base, rel)`, for the shapes references take: an absolute URI, a
/// path relative to the base's directory, or a plain name when there is no base.
fn resolve_uri(base: &str, rel: &str) -> String {
    let rel = rel.strip_prefix("./").unwrap_or(rel);
    let has_scheme = rel
        .split_once(':')
        .is_some_and(|(s, _)| !s.is_empty() && !s.contains('/'));
    if has_scheme || base.is_empty() {
        return rel.to_owned();
    }
    if let Some(path) = rel.strip_prefix('/') {
        // Scheme and authority of the base, then the absolute path.
        let authority_end = base
            .find("://")
            .and_then(|i| base[i + 3..].find('/').map(|j| i + 3 + j))
            .unwrap_or(base.len());
        return format!("{}/{path}", &base[..authority_end]);
    }
    match base.rfind('/') {
        Some(i) => format!("{}{rel}", &base[..=i]),
        None => rel.to_owned(),
    }
}

/// A URI fragment's percent-escapes decoded.
fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent-escape in {s:?}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("percent-escapes in {s:?} are not UTF-8"))
}

fn json_at<'a>(json: &'a Value, tokens: &[String]) -> Option<&'a Value> {
    tokens.iter().try_fold(json, |v, t| match v {
        Value::Object(m) => m.get(t),
        Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

impl Model {
    /// The schema as Confluent's `JsonSchema` loads it: draft 7 unless `$schema` says
    /// otherwise, `definitions` merged into `$defs`.
    fn new(text: &str, references: &[ReferencedSchema]) -> Result<Model, String> {
        Self::load_root(text, references, Draft::V7, true)
    }

    /// The schema as a bare `SchemaLoader.builder().schemaJson(..).build().load()` loads it,
    /// as the Glue library's `JsonSchemaConverter.toConnectData` does: everit's default draft
    /// 4 unless `$schema` says otherwise, no `$defs` merge, no references.
    pub(super) fn new_plain(text: &str) -> Result<Model, String> {
        Self::load_root(text, &[], Draft::V4, false)
    }

    fn load_root(
        text: &str,
        references: &[ReferencedSchema],
        default_draft: Draft,
        merge_defs: bool,
    ) -> Result<Model, String> {
        let mut root: Value =
            serde_json::from_str(text).map_err(|e| format!("the schema is not JSON: {e}"))?;
        let draft = match &root {
            Value::Object(o) => draft_of(o, default_draft)?,
            Value::Bool(_) => {
                return Err(
                    "a boolean schema (any value, or none) is not supported: JsonSchemaData makes a Connect Variant of `true` and cannot convert `false`"
                        .to_owned(),
                );
            }
            other => {
                return Err(format!(
                    "a JSON Schema must be an object or a boolean, not {other}"
                ));
            }
        };
        let root_uri = root
            .get(draft.id_keyword())
            .and_then(Value::as_str)
            .map(|id| resolve_uri("", id))
            .unwrap_or_default();
        if merge_defs {
            merge_def_buckets(&mut root);
        }
        let mut docs = vec![Doc {
            uri: root_uri.clone(),
            name: String::new(),
            json: root,
        }];
        for r in references {
            let mut json: Value = serde_json::from_str(&r.schema)
                .map_err(|e| format!("referenced schema {:?} is not JSON: {e}", r.name))?;
            merge_def_buckets(&mut json);
            docs.push(Doc {
                uri: resolve_uri(&root_uri, &r.name),
                name: r.name.clone(),
                json,
            });
        }
        let mut model = Model {
            draft,
            docs,
            nodes: Vec::new(),
            targets: HashMap::new(),
            root: 0,
        };
        let json = model.docs[0].json.clone();
        model.root = model.load(&json, 0, "", false)?;
        Ok(model)
    }

    /// The JSON object a node of the root document was loaded from (for the schemas everit
    /// makes of one object's keywords, that object).
    pub(super) fn source_object(&self, at: &str) -> Option<&Map<String, Value>> {
        let pointer = at.strip_prefix('#')?;
        let tokens: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect();
        json_at(&self.docs[0].json, &tokens)?.as_object()
    }

    fn push(&mut self, kind: Kind, meta: Option<Meta>, at: String) -> NodeId {
        self.nodes.push(Node { kind, meta, at });
        self.nodes.len() - 1
    }

    fn at(&self, doc: usize, pointer: &str) -> String {
        location(&self.docs[doc], pointer)
    }

    /// everit's `SchemaLoader.load` of one schema value at `pointer` in document `doc`.
    /// `scoped`: inside a subschema with its own `$id`, which changes how references resolve.
    pub(super) fn load(
        &mut self,
        v: &Value,
        doc: usize,
        pointer: &str,
        scoped: bool,
    ) -> Result<NodeId, String> {
        let at = self.at(doc, pointer);
        match v {
            Value::Bool(b) => {
                if self.draft == Draft::V4 {
                    return Err(format!("{at}: draft-04 has no boolean schemas"));
                }
                let kind = if *b {
                    Kind::Empty
                } else {
                    Kind::Unconvertible("the `false` schema")
                };
                Ok(self.push(kind, None, at))
            }
            Value::Object(o) => self.load_object(o, doc, pointer, scoped),
            other => Err(format!(
                "{at}: a schema must be an object or a boolean, not {other}"
            )),
        }
    }

    /// `SchemaLoader.loadSchemaObject`: the schema extractors in everit's order, each on the
    /// keys the previous ones left, then the common properties on the result.
    fn load_object(
        &mut self,
        o: &Map<String, Value>,
        doc: usize,
        pointer: &str,
        scoped: bool,
    ) -> Result<NodeId, String> {
        let at = self.at(doc, pointer);
        let draft = self.draft;
        let scoped = scoped
            || (!pointer.is_empty() && o.get(draft.id_keyword()).is_some_and(Value::is_string));
        let meta = Some(common_meta(o, &at)?);
        // runSchemaExtractors: a `$ref` wins over every other keyword.
        if let Some(r) = o.get("$ref") {
            let r = r
                .as_str()
                .ok_or_else(|| format!("{at}: $ref must be a string"))?;
            let target = self.resolve_ref(r, doc, &at, scoped)?;
            return Ok(self.push(Kind::Ref(target), meta, at));
        }
        let mut consumed: HashSet<&str> = HashSet::new();
        let mut parts: Vec<NodeId> = Vec::new();
        // EnumSchemaExtractor
        if let Some(e) = o.get("enum") {
            let values = e
                .as_array()
                .ok_or_else(|| format!("{at}: enum must be an array"))?;
            consumed.insert("enum");
            parts.push(self.push(Kind::Enum(values.clone()), None, at.clone()));
        }
        // CombinedSchemaLoader: one schema per keyword present, in a HashSet's order.
        let combinators: Vec<(&str, Criterion)> = [
            ("allOf", Criterion::All),
            ("anyOf", Criterion::Any),
            ("oneOf", Criterion::One),
        ]
        .into_iter()
        .filter(|(k, _)| o.contains_key(*k))
        .collect();
        if combinators.len() > 1 {
            return Err(format!(
                "{at}: more than one of allOf/anyOf/oneOf in one schema is not supported (everit combines them in a HashSet's order)"
            ));
        }
        for (key, criterion) in combinators {
            let elements = o[key]
                .as_array()
                .ok_or_else(|| format!("{at}: {key} must be an array"))?;
            let mut subs = Vec::with_capacity(elements.len());
            for (i, e) in elements.iter().enumerate() {
                subs.push(self.load(e, doc, &format!("{pointer}/{key}/{i}"), scoped)?);
            }
            consumed.insert(key);
            parts.push(self.push(Kind::Combined { criterion, subs }, None, at.clone()));
        }
        // NotSchemaExtractor
        if o.contains_key("not") {
            consumed.insert("not");
            parts.push(self.push(Kind::Unconvertible("`not`"), None, at.clone()));
        }
        // ConstSchemaExtractor (not in draft 4)
        if draft != Draft::V4
            && let Some(c) = o.get("const")
        {
            consumed.insert("const");
            parts.push(self.push(Kind::Const(c.clone()), None, at.clone()));
        }
        // TypeBasedSchemaExtractor: a list of types is an anyOf of one schema per type.
        if let Some(t) = o.get("type") {
            consumed.insert("type");
            match t {
                Value::String(ty) => {
                    let id = self.explicit_type(ty, o, doc, pointer, scoped, &mut consumed)?;
                    parts.push(id);
                }
                Value::Array(types) => {
                    let mut subs = Vec::with_capacity(types.len());
                    for ty in types {
                        let ty = ty
                            .as_str()
                            .ok_or_else(|| format!("{at}: type list entries must be strings"))?;
                        subs.push(self.explicit_type(
                            ty,
                            o,
                            doc,
                            pointer,
                            scoped,
                            &mut consumed,
                        )?);
                    }
                    parts.push(self.push(
                        Kind::Combined {
                            criterion: Criterion::Any,
                            subs,
                        },
                        None,
                        at.clone(),
                    ));
                }
                other => {
                    return Err(format!(
                        "{at}: type must be a string or a list, not {other}"
                    ));
                }
            }
        }
        // PropertySnifferSchemaExtractor, on the keys left.
        let left = |kws: &[&str], consumed: &HashSet<&str>| {
            kws.iter()
                .any(|k| o.contains_key(*k) && !consumed.contains(k))
        };
        if left(draft.array_keywords(), &consumed) {
            let id = self.array_part(o, doc, pointer, scoped)?;
            consumed.extend(draft.array_keywords());
            parts.push(id);
        }
        if left(draft.object_keywords(), &consumed) {
            let id = self.object_part(o, doc, pointer, scoped)?;
            consumed.extend(draft.object_keywords());
            parts.push(id);
        }
        if left(NUMBER_KEYWORDS, &consumed) {
            consumed.extend(NUMBER_KEYWORDS);
            parts.push(self.push(Kind::Number { integer: false }, None, at.clone()));
        }
        if left(STRING_KEYWORDS, &consumed) {
            consumed.extend(STRING_KEYWORDS);
            parts.push(self.push(Kind::String, None, at.clone()));
        }
        if draft == Draft::V7 && left(CONDITIONAL_KEYWORDS, &consumed) {
            parts.push(self.push(Kind::Unconvertible("`if`/`then`/`else`"), None, at.clone()));
        }
        let kind = match parts.len() {
            0 => Kind::Empty,
            1 => {
                let id = parts[0];
                self.nodes[id].meta = meta;
                return Ok(id);
            }
            _ => Kind::Combined {
                criterion: Criterion::All,
                subs: parts,
            },
        };
        Ok(self.push(kind, meta, at))
    }

    /// `TypeBasedSchemaExtractor.loadForExplicitType`.
    fn explicit_type(
        &mut self,
        ty: &str,
        o: &Map<String, Value>,
        doc: usize,
        pointer: &str,
        scoped: bool,
        consumed: &mut HashSet<&'static str>,
    ) -> Result<NodeId, String> {
        let at = self.at(doc, pointer);
        let kind = match ty {
            "string" => {
                consumed.extend(STRING_KEYWORDS);
                Kind::String
            }
            "integer" | "number" => {
                consumed.extend(NUMBER_KEYWORDS);
                Kind::Number {
                    integer: ty == "integer",
                }
            }
            "boolean" => Kind::Boolean,
            "null" => Kind::Null,
            "array" => {
                consumed.extend(self.draft.array_keywords());
                return self.array_part(o, doc, pointer, scoped);
            }
            "object" => {
                consumed.extend(self.draft.object_keywords());
                return self.object_part(o, doc, pointer, scoped);
            }
            other => return Err(format!("{at}: unknown type {other:?}")),
        };
        Ok(self.push(kind, None, at))
    }

    /// `ArraySchemaLoader`: only whether `items` is one schema for every element matters.
    fn array_part(
        &mut self,
        o: &Map<String, Value>,
        doc: usize,
        pointer: &str,
        scoped: bool,
    ) -> Result<NodeId, String> {
        let items = match o.get("items") {
            None => Items::Missing,
            Some(Value::Array(_)) => Items::Tuple,
            Some(v) => Items::All(self.load(v, doc, &format!("{pointer}/items"), scoped)?),
        };
        let at = self.at(doc, pointer);
        Ok(self.push(Kind::Array(items), None, at))
    }

    /// `ObjectSchemaLoader`: properties in `getPropertySchemas()` order, `required`, and an
    /// `additionalProperties` schema.
    fn object_part(
        &mut self,
        o: &Map<String, Value>,
        doc: usize,
        pointer: &str,
        scoped: bool,
    ) -> Result<NodeId, String> {
        let at = self.at(doc, pointer);
        let mut properties = Vec::new();
        if let Some(p) = o.get("properties") {
            let p = p
                .as_object()
                .ok_or_else(|| format!("{at}: properties must be an object"))?;
            let names: Vec<String> = p.keys().cloned().collect();
            let id_keyword = self.draft.id_keyword();
            // populatePropertySchemas skips a property named like the id keyword unless its
            // value is an object.
            let order = everit_property_order(&names, |k| k != id_keyword || p[k].is_object())
                .map_err(|e| format!("{at}: {e}"))?;
            for name in order {
                let ptr = format!("{pointer}/properties/{}", escape_token(name));
                let id = self.load(&p[name.as_str()], doc, &ptr, scoped)?;
                properties.push((name.clone(), id));
            }
        }
        let required = match o.get("required") {
            None => Vec::new(),
            Some(Value::Array(r)) => r
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| format!("{at}: required must list strings"))?,
            Some(_) => return Err(format!("{at}: required must be an array")),
        };
        let additional = o
            .get("additionalProperties")
            .filter(|v| v.is_object())
            .cloned();
        Ok(self.push(
            Kind::Object {
                properties,
                required,
                additional,
                doc,
                scoped,
            },
            None,
            at,
        ))
    }

    /// `ReferenceLookup`: a `$ref` to a JSON pointer in this document, or to a referenced
    /// schema by the name Confluent registers it under (optionally with a pointer into it).
    fn resolve_ref(&self, r: &str, doc: usize, at: &str, scoped: bool) -> Result<Target, String> {
        if scoped {
            return Err(format!(
                "{at}: $ref {r:?} inside a subschema with its own $id is not supported"
            ));
        }
        let (doc_part, fragment) = match r.split_once('#') {
            Some((d, f)) => (d, f),
            None => (r, ""),
        };
        let target_doc = if doc_part.is_empty() {
            doc
        } else {
            let uri = resolve_uri(&self.docs[doc].uri, doc_part);
            self.docs.iter().position(|d| d.uri == uri).ok_or_else(|| {
                let names: Vec<&str> = self.docs[1..].iter().map(|d| d.name.as_str()).collect();
                format!("{at}: $ref {r:?} names no referenced schema (the registry gave {names:?})")
            })?
        };
        let tokens: Vec<String> = if fragment.is_empty() {
            Vec::new()
        } else if let Some(p) = fragment.strip_prefix('/') {
            percent_decode(p)
                .map_err(|e| format!("{at}: $ref {r:?}: {e}"))?
                .split('/')
                .map(|t| t.replace("~1", "/").replace("~0", "~"))
                .collect()
        } else {
            return Err(format!(
                "{at}: $ref {r:?} is not supported: only JSON pointers (#/...) and referenced schemas are"
            ));
        };
        if json_at(&self.docs[target_doc].json, &tokens).is_none() {
            return Err(format!("{at}: $ref {r:?} points at nothing"));
        }
        Ok(Target {
            doc: target_doc,
            tokens,
        })
    }

    /// The node of a `$ref` target, loaded the first time (everit caches each target, so every
    /// `$ref` to it shares one schema instance).
    pub(super) fn target(&mut self, t: &Target) -> Result<NodeId, String> {
        if let Some(id) = self.targets.get(t) {
            return Ok(*id);
        }
        let json = json_at(&self.docs[t.doc].json, &t.tokens)
            .cloned()
            .unwrap_or(Value::Null);
        let pointer: String = t
            .tokens
            .iter()
            .map(|k| format!("/{}", escape_token(k)))
            .collect();
        let id = self.load(&json, t.doc, &pointer, false)?;
        self.targets.insert(t.clone(), id);
        Ok(id)
    }
}

/// The draft of a root schema object: Confluent refuses nothing but sends 2019-09 and 2020-12
/// to json-sKema (not modelled here); everit matches draft 4/6/7 meta-schema URLs by prefix and
/// falls back to draft 7. Without `$schema` the loader's default applies.
fn draft_of(root: &Map<String, Value>, default: Draft) -> Result<Draft, String> {
    let Some(s) = root.get("$schema") else {
        return Ok(default);
    };
    let s = s.as_str().ok_or("$schema must be a string")?;
    let bare = s.strip_suffix('#').unwrap_or(s);
    if bare.ends_with("/draft/2019-09/schema") || bare.ends_with("/draft/2020-12/schema") {
        return Err(format!(
            "$schema {s:?} is not supported: Confluent loads draft 2019-09 and 2020-12 schemas with json-sKema, which this converter does not model"
        ));
    }
    let starts = |urls: &[&str]| urls.iter().any(|u| s.starts_with(u));
    Ok(
        if starts(&[
            "http://json-schema.org/draft-04/schema",
            "https://json-schema.org/draft-04/schema",
            "http://json-schema.org/schema",
            "https://json-schema.org/schema",
        ]) {
            Draft::V4
        } else if starts(&[
            "http://json-schema.org/draft-06/schema",
            "https://json-schema.org/draft-06/schema",
        ]) {
            Draft::V6
        } else {
            Draft::V7
        },
    )
}

/// `SchemaLoader.loadCommonSchemaProperties` (with Confluent's `useDefaults(true)`), plus the
/// `connect.*` annotations.
fn common_meta(o: &Map<String, Value>, at: &str) -> Result<Meta, String> {
    let text = |k: &str| -> Result<Option<String>, String> {
        match o.get(k) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("{at}: {k} must be a string")),
        }
    };
    Ok(Meta {
        title: text("title")?,
        description: text("description")?,
        default: o.get("default").cloned(),
        connect: o
            .iter()
            .filter(|(k, _)| k.starts_with("connect."))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    })
}

// ---------------------------------------------------------------------------------------------
// JsonSchemaData.toConnectSchema
// ---------------------------------------------------------------------------------------------

/// A Connect schema under construction (Kafka's `SchemaBuilder`).
#[derive(Debug, Clone)]
struct CSchema {
    /// The type in `JsonConverter`'s JSON form: `int8` .. `int64`, `float`, `double`,
    /// `boolean`, `string`, `bytes`, `array`, `map`, `struct`.
    ty: &'static str,
    optional: bool,
    name: Option<String>,
    version: Option<i64>,
    doc: Option<String>,
    /// A `LinkedHashMap`: insertion order, a repeated key keeps its place.
    params: Vec<(String, String)>,
    /// In the pipeline's JSON form.
    default: Option<Value>,
    fields: Vec<(String, CSchema)>,
    keys: Option<Box<CSchema>>,
    /// Array items or map values.
    values: Option<Box<CSchema>>,
    /// Built as `JsonSchemaData`'s `oneOf`/`anyOf` struct.
    union: bool,
    /// A struct `$ref`ed more than once: its target, and whether this is a later reference
    /// (`JsonSchemaData.SchemaWrapper`) rather than the first.
    shared: Option<(Target, bool)>,
}

impl CSchema {
    fn new(ty: &'static str) -> CSchema {
        CSchema {
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
            union: false,
            shared: None,
        }
    }

    fn param(&mut self, k: String, v: String) {
        put_param(&mut self.params, k, v);
    }

    fn contains_map(&self) -> bool {
        self.ty == "map"
            || self.fields.iter().any(|(_, f)| f.contains_map())
            || self.values.as_ref().is_some_and(|v| v.contains_map())
    }
}

fn put_param(params: &mut Vec<(String, String)>, k: String, v: String) {
    match params.iter_mut().find(|(pk, _)| *pk == k) {
        Some(p) => p.1 = v,
        None => params.push((k, v)),
    }
}

/// A struct target `$ref`ed before: the `SchemaBuilder` `JsonSchemaData` keeps in its
/// `ToConnectContext` and wraps for every later reference.
#[derive(Debug, Clone)]
struct Shared {
    first: CSchema,
    /// The builder had parameters when the first schema was built: Kafka's `ConnectSchema`
    /// then holds a view of the builder's map and shows the id parameter added later.
    had_params: bool,
    /// The id parameter's last value.
    id: Option<String>,
}

struct Converter<'m> {
    model: &'m mut Model,
    options: JsonSchemaDataOptions,
    /// Targets being converted: a `$ref` back to one is a cycle.
    in_progress: Vec<Target>,
    shared: HashMap<Target, Shared>,
    /// `ToConnectContext.idIndex`.
    id_index: u32,
}

pub(super) fn unsupported(at: &str, what: &str) -> String {
    format!("{at}: {what} is not supported")
}

/// An `Integer` annotation (`connect.index`, `connect.version`): Java casts it, so anything
/// but an integer in `int` range fails.
pub(super) fn int_annotation(meta: &Meta, key: &str, at: &str) -> Result<Option<i64>, String> {
    match meta.connect.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .filter(|n| i32::try_from(*n).is_ok())
            .map(Some)
            .ok_or_else(|| format!("{at}: {key} must be an integer, not {v}")),
    }
}

/// `connect.type`, read only where `JsonSchemaData` reads it (a `String` cast).
pub(super) fn connect_type(node: &Node) -> Result<Option<&str>, String> {
    match node
        .meta
        .as_ref()
        .and_then(|m| m.connect.get("connect.type"))
    {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(format!(
            "{}: connect.type must be a string, not {v}",
            node.at
        )),
    }
}

impl Converter<'_> {
    fn node(&self, id: NodeId) -> &Node {
        &self.model.nodes[id]
    }

    /// `JsonSchemaData.toConnectSchema(ctx, jsonSchema, version, forceOptional)`
    /// (JsonSchemaData.java:1080-1293).
    fn convert_node(
        &mut self,
        id: NodeId,
        version: Option<i64>,
        force_optional: bool,
    ) -> Result<CSchema, String> {
        let node = self.node(id).clone();
        let at = node.at.as_str();
        let b = match &node.kind {
            Kind::Boolean => CSchema::new("boolean"),
            // :1091-1122: integer → int64, number → float64, unless connect.type says.
            Kind::Number { integer } => CSchema::new(match connect_type(&node)? {
                None if *integer => "int64",
                None => "double",
                Some("int8") => "int8",
                Some("int16") => "int16",
                Some("int32") => "int32",
                Some("int64") => "int64",
                Some("float32") => "float",
                Some("float64") => "double",
                Some("bytes") => "bytes",
                Some(other) => return Err(format!("{at}: unsupported connect.type {other:?}")),
            }),
            // :1123-1125: connect.type bytes, else string.
            Kind::String => CSchema::new(match connect_type(&node)? {
                Some("bytes") => "bytes",
                _ => "string",
            }),
            // :1126-1133, toConnectEnums.
            Kind::Const(v) => enums(std::slice::from_ref(v), at)?,
            Kind::Enum(values) => enums(values, at)?,
            Kind::Combined { criterion, subs } => {
                // :1136-1138: a singleton is its member, without version or forced optional.
                if subs.len() == 1 && self.options.flatten_singleton_unions {
                    return self.convert_node(subs[0], None, false);
                }
                if *criterion == Criterion::All {
                    return self.all_of(subs, at, version, force_optional);
                }
                let is_null = |c: &Self, s: &NodeId| matches!(c.node(*s).kind, Kind::Null);
                // :1152-1165: [null, X] is an optional X.
                if subs.len() == 2 && subs.iter().any(|s| is_null(self, s)) {
                    let Some(other) = subs.iter().rev().find(|s| !is_null(self, s)) else {
                        return Err(unsupported(at, "a union of two nulls"));
                    };
                    return self.convert_node(*other, version, true);
                }
                // :1166-1181: a struct with one optional field per non-null member.
                let mut b = CSchema::new("struct");
                b.name = Some(ONE_OF.to_owned());
                b.union = true;
                let mut index = 0;
                for s in subs {
                    if is_null(self, s) {
                        b.optional = true;
                    } else {
                        let f = self.convert_node(*s, None, true)?;
                        b.fields.push((format!("{ONE_OF}.field.{index}"), f));
                        index += 1;
                    }
                }
                b
            }
            // :1182-1197
            Kind::Array(items) => {
                let Items::All(items) = items else {
                    return Err(unsupported(
                        at,
                        "an array without one `items` schema for every element (JsonSchemaData: \"Array schema did not specify the items type\")",
                    ));
                };
                let items = *items;
                let entry_properties = match &self.node(items).kind {
                    Kind::Object { properties, .. } => Some(properties.clone()),
                    _ => None,
                };
                match (connect_type(&node)?, entry_properties) {
                    (Some("map"), Some(properties)) => {
                        let get = |name: &str| {
                            properties
                                .iter()
                                .find(|(n, _)| n == name)
                                .map(|(_, id)| *id)
                                .ok_or_else(|| {
                                    format!(
                                        "{at}: a connect.type map entry has no {name:?} property"
                                    )
                                })
                        };
                        let (k, v) = (get("key")?, get("value")?);
                        let mut b = CSchema::new("map");
                        b.keys = Some(Box::new(self.convert_node(k, None, false)?));
                        b.values = Some(Box::new(self.convert_node(v, None, false)?));
                        check_map_keys(&b, at)?;
                        b
                    }
                    _ => {
                        let mut b = CSchema::new("array");
                        b.values = Some(Box::new(self.convert_node(items, None, false)?));
                        b
                    }
                }
            }
            Kind::Empty => {
                return Err(unsupported(
                    at,
                    "a schema that admits any value (`{}` or `true`: JsonSchemaData's Connect Variant)",
                ));
            }
            // :1200-1244
            Kind::Object {
                properties,
                required,
                additional,
                doc,
                scoped,
            } => {
                if connect_type(&node)? == Some("map") {
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
                    let mut b = CSchema::new("map");
                    b.keys = Some(Box::new(CSchema::new("string")));
                    b.values = Some(Box::new(self.convert_node(values, None, false)?));
                    b
                } else {
                    // connect.index orders the fields; a property without one takes the
                    // count so far, and an index already taken replaces its property (a
                    // TreeMap.put).
                    let mut sorted: BTreeMap<i64, (String, NodeId)> = BTreeMap::new();
                    for (name, pid) in properties {
                        let p = self.node(*pid);
                        let index = match &p.meta {
                            Some(m) => int_annotation(m, "connect.index", &p.at)?,
                            None => None,
                        };
                        let index = index.unwrap_or(sorted.len() as i64);
                        sorted.insert(index, (name.clone(), *pid));
                    }
                    let mut b = CSchema::new("struct");
                    for (name, pid) in sorted.into_values() {
                        let optional =
                            self.options.use_optional_for_nonrequired && !required.contains(&name);
                        let f = self.convert_node(pid, None, optional)?;
                        b.fields.push((name, f));
                    }
                    b
                }
            }
            // :1245-1254
            Kind::Ref(t) => return self.reference(t, at, version, force_optional),
            Kind::Null => {
                return Err(unsupported(
                    at,
                    "a schema of type null alone (JsonSchemaData: \"Unsupported schema type\")",
                ));
            }
            Kind::Unconvertible(what) => {
                return Err(unsupported(
                    at,
                    &format!("{what} (JsonSchemaData: \"Unsupported schema type\")"),
                ));
            }
        };
        self.finish(b, &node, version, force_optional)
    }

    /// The common tail of `toConnectSchema` (:1258-1291): title as name, `connect.version` or
    /// the registry version, description as doc, `connect.parameters`, default, optional.
    fn finish(
        &mut self,
        mut b: CSchema,
        node: &Node,
        version: Option<i64>,
        force_optional: bool,
    ) -> Result<CSchema, String> {
        let at = node.at.as_str();
        let meta = node.meta.as_ref();
        if let Some(title) = meta.and_then(|m| m.title.as_ref())
            && b.name.is_none()
        {
            b.name = Some(title.clone());
        }
        // Schemas without annotations (a member of a type list, a part of a synthetic allOf)
        // take the version passed down too.
        let connect_version = match meta {
            Some(m) => int_annotation(m, "connect.version", at)?,
            None => None,
        };
        match connect_version {
            Some(v) => b.version = Some(v),
            None => {
                if version.is_some() {
                    b.version = version;
                }
            }
        }
        if let Some(d) = meta.and_then(|m| m.description.as_ref()) {
            b.doc = Some(d.clone());
        }
        match meta.and_then(|m| m.connect.get("connect.parameters")) {
            None => {}
            Some(Value::Object(params)) => {
                let names: Vec<String> = params.keys().cloned().collect();
                for k in everit_object_order(&names).map_err(|e| format!("{at}: {e}"))? {
                    let v = params[k.as_str()].as_str().ok_or_else(|| {
                        format!("{at}: connect.parameters values must be strings")
                    })?;
                    b.param(k.clone(), v.to_owned());
                }
            }
            Some(other) => {
                return Err(format!(
                    "{at}: connect.parameters must be an object, not {other}"
                ));
            }
        }
        check_names(&b, at)?;
        if let Some(d) = meta.and_then(|m| m.default.as_ref()) {
            b.default = self.default_value(&b, d, at)?;
        }
        if force_optional {
            b.optional = true;
        }
        Ok(b)
    }

    /// `builder.defaultValue(toConnectData(builder, default))` (:1279-1285): the default
    /// converted with the schema built so far (not yet forced optional).
    fn default_value(&self, b: &CSchema, d: &Value, at: &str) -> Result<Option<Value>, String> {
        if d.is_null() {
            // toConnectData gives null only for an optional schema; otherwise it throws.
            return if b.optional {
                Ok(None)
            } else {
                Err(format!(
                    "{at}: a null default on a schema that does not admit null is not supported (JsonSchemaData: \"Invalid null value for required field\")"
                ))
            };
        }
        if b.ty == "struct" {
            return Err(unsupported(
                at,
                "a default on an object (Kafka's SchemaBuilder rejects the Struct JsonSchemaData makes of it)",
            ));
        }
        if b.contains_map() {
            return Err(unsupported(
                at,
                "a default on a schema holding a map (the order of its entries)",
            ));
        }
        let schema = render(b, &self.shared);
        to_data(&schema, Some(d), "default")
            .map(Some)
            .map_err(|(path, m)| {
                format!("{at}: the default does not fit the schema at {path}: {m}")
            })
    }

    /// `allOfToConnectSchema` (JsonSchemaData.java:1312-1389).
    fn all_of(
        &mut self,
        subs: &[NodeId],
        at: &str,
        version: Option<i64>,
        force_optional: bool,
    ) -> Result<CSchema, String> {
        let (mut cons, mut en, mut num, mut st, mut comb, mut rf) =
            (None, None, None, None, None, None);
        let mut properties: Vec<(String, NodeId)> = Vec::new();
        let mut required: HashMap<String, bool> = HashMap::new();
        for &s in subs {
            match &self.node(s).kind {
                Kind::Const(_) => cons = Some(s),
                Kind::Enum(_) => en = Some(s),
                Kind::Number { .. } => num = Some(s),
                Kind::String => st = Some(s),
                Kind::Combined { .. } => comb = Some(s),
                Kind::Ref(t) => rf = Some(t.clone()),
                _ => {}
            }
            self.collect_properties(s, &mut properties, &mut required, &mut HashSet::new())?;
        }
        if !properties.is_empty() {
            // A struct of every property, without name, doc, version or default.
            let mut b = CSchema::new("struct");
            for (name, pid) in properties {
                let optional = self.options.use_optional_for_nonrequired
                    && !required.get(&name).copied().unwrap_or(false);
                let f = self.convert_node(pid, None, optional)?;
                b.fields.push((name, f));
            }
            if force_optional {
                b.optional = true;
            }
            return Ok(b);
        }
        let pick = match (comb, cons, en, st, num) {
            (Some(c), ..) => Some(c),
            (None, Some(_), _, Some(s), _) => Some(s),
            (None, Some(_), _, None, Some(n)) => Some(n),
            (None, Some(_), ..) => None,
            (None, None, Some(e), Some(_), _) => Some(e),
            (None, None, Some(_), None, Some(n)) => Some(n),
            (None, None, Some(_), ..) => None,
            // The string part always has a format validator in everit (NONE at least).
            (None, None, None, Some(_), Some(n)) => Some(n),
            (None, None, None, Some(s), None) => Some(s),
            (None, None, None, None, _) => {
                if let Some(t) = rf {
                    return self.reference(&t, at, version, force_optional);
                }
                None
            }
        };
        match pick {
            Some(p) => self.convert_node(p, version, force_optional),
            None => Err(unsupported(
                at,
                "this allOf (JsonSchemaData: \"Unsupported criterion\")",
            )),
        }
    }

    /// `collectPropertySchemas` (:1391-1421): the properties of every object reached through
    /// `allOf` and `$ref`, a later one replacing an earlier one of the same name in place.
    fn collect_properties(
        &mut self,
        id: NodeId,
        properties: &mut Vec<(String, NodeId)>,
        required: &mut HashMap<String, bool>,
        visited: &mut HashSet<NodeId>,
    ) -> Result<(), String> {
        if !visited.insert(id) {
            return Ok(());
        }
        match self.node(id).kind.clone() {
            Kind::Combined {
                criterion: Criterion::All,
                subs,
            } => {
                for s in subs {
                    self.collect_properties(s, properties, required, visited)?;
                }
            }
            Kind::Object {
                properties: props,
                required: req,
                ..
            } => {
                for (name, pid) in props {
                    required.insert(name.clone(), req.contains(&name));
                    match properties.iter_mut().find(|(n, _)| *n == name) {
                        Some(p) => p.1 = pid,
                        None => properties.push((name, pid)),
                    }
                }
            }
            Kind::Ref(t) => {
                let tid = self.model.target(&t)?;
                self.collect_properties(tid, properties, required, visited)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// The `ReferenceSchema` branch (:1245-1254): the target's schema; a struct target
    /// converted before comes back as a `SchemaWrapper` of its builder, and the builder gets
    /// the parameter `io.confluent.connect.json.Id` = `#id<n>`.
    fn reference(
        &mut self,
        t: &Target,
        at: &str,
        version: Option<i64>,
        force_optional: bool,
    ) -> Result<CSchema, String> {
        if self.in_progress.contains(t) {
            return Err(unsupported(
                at,
                "a recursive schema (a $ref back to a schema it is inside: its Connect schema would be cyclic)",
            ));
        }
        if let Some(sh) = self.shared.get_mut(t) {
            self.id_index += 1;
            sh.id = Some(format!("#id{}", self.id_index));
            let mut w = sh.first.clone();
            w.optional = force_optional;
            w.shared = Some((t.clone(), true));
            return Ok(w);
        }
        let tid = self.model.target(t)?;
        self.in_progress.push(t.clone());
        let result = self.convert_node(tid, version, force_optional);
        self.in_progress.pop();
        let mut s = result?;
        if self.puts_builder(tid)? {
            s.shared = Some((t.clone(), false));
            self.shared.insert(
                t.clone(),
                Shared {
                    first: s.clone(),
                    had_params: !s.params.is_empty(),
                    id: None,
                },
            );
        }
        Ok(s)
    }

    /// Whether converting this node records its struct builder in the `ToConnectContext`
    /// (`ctx.put`): an object that is not a `connect.type` map, or an `allOf` with properties.
    fn puts_builder(&mut self, id: NodeId) -> Result<bool, String> {
        let node = self.node(id).clone();
        Ok(match &node.kind {
            Kind::Object { .. } => connect_type(&node)? != Some("map"),
            Kind::Combined {
                criterion: Criterion::All,
                subs,
            } if !(subs.len() == 1 && self.options.flatten_singleton_unions) => {
                let (mut props, mut req) = (Vec::new(), HashMap::new());
                for &s in subs {
                    self.collect_properties(s, &mut props, &mut req, &mut HashSet::new())?;
                }
                !props.is_empty()
            }
            _ => false,
        })
    }
}

/// `toConnectEnums` (:1295-1310): a string with the parameter `io.confluent.connect.json.Enum`
/// and one per symbol (`value.toString()`, `<NULL>` for null).
fn enums(values: &[Value], at: &str) -> Result<CSchema, String> {
    let mut b = CSchema::new("string");
    b.param(ENUM_PARAM.to_owned(), String::new());
    for v in values {
        let symbol = match v {
            Value::String(s) => s.clone(),
            Value::Null => NULL_MARKER.to_owned(),
            Value::Bool(x) => x.to_string(),
            Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
            other => {
                return Err(unsupported(
                    at,
                    &format!("the enum value {other} (only strings, integers, booleans and null)"),
                ));
            }
        };
        b.param(format!("{ENUM_PARAM}.{symbol}"), symbol);
    }
    Ok(b)
}

/// The names that make `toConnectData` use a logical or union converter must sit on the type
/// it expects; otherwise Java builds a schema no writer accepts.
fn check_names(b: &CSchema, at: &str) -> Result<(), String> {
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
        }
        Some(DATE) => need("int32", DATE)?,
        Some(TIME) => need("int32", TIME)?,
        Some(TIMESTAMP) => need("int64", TIMESTAMP)?,
        Some(VARIANT) => return Err(unsupported(at, "Connect's Variant")),
        Some(ONE_OF) if !b.union => {
            return Err(unsupported(
                at,
                &format!("the title {ONE_OF} (JsonSchemaData would read the struct as a oneOf)"),
            ));
        }
        _ => {}
    }
    if b.params.iter().any(|(k, _)| k == UNION_PARAM) {
        return Err(unsupported(
            at,
            &format!("the parameter {UNION_PARAM} (a generalized sum type)"),
        ));
    }
    Ok(())
}

/// Map keys whose Java `hashCode` is known, so that the entries come out in the `HashMap`
/// order Connect holds them in.
fn check_map_keys(b: &CSchema, at: &str) -> Result<(), String> {
    let keys = b.keys.as_deref().expect("a map has keys");
    let ok = match keys.name.as_deref() {
        Some(DATE | TIME | TIMESTAMP) => true,
        Some(DECIMAL) => false,
        _ => matches!(
            keys.ty,
            "string" | "int8" | "int16" | "int32" | "int64" | "boolean" | "float" | "double"
        ),
    };
    if ok {
        Ok(())
    } else {
        Err(unsupported(
            at,
            &format!(
                "a map with {} keys",
                keys.name.as_deref().unwrap_or(keys.ty)
            ),
        ))
    }
}

/// A Connect schema in Kafka `JsonConverter.asJsonSchema`'s form and key order.
fn render(c: &CSchema, shared: &HashMap<Target, Shared>) -> Value {
    let mut o = Map::new();
    o.insert("type".into(), json!(c.ty));
    match c.ty {
        "array" => {
            if let Some(v) = &c.values {
                o.insert("items".into(), render(v, shared));
            }
        }
        "map" => {
            if let Some(k) = &c.keys {
                o.insert("keys".into(), render(k, shared));
            }
            if let Some(v) = &c.values {
                o.insert("values".into(), render(v, shared));
            }
        }
        "struct" => {
            let fields = c
                .fields
                .iter()
                .map(|(name, f)| {
                    let mut f = render(f, shared);
                    f["field"] = json!(name);
                    f
                })
                .collect();
            o.insert("fields".into(), Value::Array(fields));
        }
        _ => {}
    }
    o.insert("optional".into(), json!(c.optional));
    if let Some(n) = &c.name {
        o.insert("name".into(), json!(n));
    }
    if let Some(v) = c.version {
        o.insert("version".into(), json!(v));
    }
    if let Some(d) = &c.doc {
        o.insert("doc".into(), json!(d));
    }
    let params = effective_params(c, shared);
    if !params.is_empty() {
        let p: Map<String, Value> = params.into_iter().map(|(k, v)| (k, json!(v))).collect();
        o.insert("parameters".into(), Value::Object(p));
    }
    if let Some(d) = &c.default {
        o.insert("default".into(), d.clone());
    }
    Value::Object(o)
}

/// The parameters as the finished schema shows them. A struct `$ref`ed again got the id
/// parameter on its builder: a `SchemaWrapper` shows the builder's parameters copied into a
/// `new HashMap<>()` (so in that map's order); the first schema shows them only if it already
/// had parameters (a view of the builder's map) when it was built.
fn effective_params(c: &CSchema, shared: &HashMap<Target, Shared>) -> Vec<(String, String)> {
    let Some((t, wrapper)) = &c.shared else {
        return c.params.clone();
    };
    let Some(Shared {
        first,
        had_params,
        id: Some(id),
    }) = shared.get(t)
    else {
        return c.params.clone();
    };
    let mut p = first.params.clone();
    put_param(&mut p, ID_PARAM.to_owned(), id.clone());
    if *wrapper {
        let mut m = JavaHashMap::presized(p.len());
        for (k, v) in p.clone() {
            if m.insert(java_string_hash(&k), k, v).is_err() {
                return p;
            }
        }
        m.into_entries().collect()
    } else if *had_params {
        p
    } else {
        c.params.clone()
    }
}

// ---------------------------------------------------------------------------------------------
// JsonSchemaData.toConnectData
// ---------------------------------------------------------------------------------------------

type DataError = (String, String);

/// `toConnectData(schema, value)` (JsonSchemaData.java:676-739) over a rendered Connect schema,
/// in the pipeline's JSON form; `None` is a missing property.
fn to_data(schema: &Value, value: Option<&Value>, path: &str) -> Result<Value, DataError> {
    let err = |m: String| Err((path.to_owned(), m));
    let Some(v) = value.filter(|v| !v.is_null()) else {
        // A null or missing value takes the default, else null if optional (:678-688).
        if let Some(d) = schema.get("default") {
            return Ok(d.clone());
        }
        if schema["optional"].as_bool().unwrap_or(false) {
            return Ok(Value::Null);
        }
        return err(if value.is_none() {
            "a required field is missing (JsonSchemaData would leave it null, which Connect's writers reject: a property outside `required` is optional only with use.optional.for.nonrequired=true or a schema that admits null)".to_owned()
        } else {
            "null value for a required field".to_owned()
        });
    };
    let ty = schema["type"].as_str().unwrap_or("");
    let name = schema.get("name").and_then(Value::as_str);
    match ty {
        "struct" if name == Some(ONE_OF) => union_data(schema, v, path),
        "struct" => {
            // :259-272: only the schema's fields, in schema order.
            let Value::Object(obj) = v else {
                return err(format!("a struct must be a JSON object, not {v}"));
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
        "bytes" if name != Some(DECIMAL) => {
            // binaryValue() of a text node: base64, given on in canonical form.
            let Value::String(s) = v else {
                return err(format!("expected base64 bytes, found {v}"));
            };
            match STANDARD.decode(s) {
                Ok(bytes) => Ok(json!(STANDARD.encode(bytes))),
                Err(e) => err(format!("invalid base64 for bytes: {e}")),
            }
        }
        _ => crate::convert::conform_to_schema(v.clone(), schema, path).map_err(|e| match e {
            ConvertError::Schema { path, message } => (path, message),
            other => (path.to_owned(), other.to_string()),
        }),
    }
}

/// The `oneOf` struct (:224-253): the first member whose Connect type the value has
/// (`isInstanceOfSchemaTypeForSimpleSchema`), else the struct member sharing the most
/// property names with it (`matchStructSchema`).
fn union_data(schema: &Value, v: &Value, path: &str) -> Result<Value, DataError> {
    let fields: Vec<&Value> = schema["fields"].as_array().into_iter().flatten().collect();
    let mut chosen = None;
    let mut best = 0;
    for (i, f) in fields.iter().enumerate() {
        if simple_instance(f, v) {
            chosen = Some(i);
            break;
        }
        let m = match_struct(f, v);
        if m > best {
            best = m;
            chosen = Some(i);
        }
    }
    let Some(chosen) = chosen else {
        return Err((
            path.to_owned(),
            format!(
                "{v} matches no member of the oneOf/anyOf (JsonSchemaData: \"Did not find matching oneof field for data\")"
            ),
        ));
    };
    let mut out = Map::new();
    for (i, f) in fields.iter().enumerate() {
        let fname = f["field"].as_str().unwrap_or("").to_owned();
        let fv = if i == chosen {
            to_data(f, Some(v), path)?
        } else {
            Value::Null
        };
        out.insert(fname, fv);
    }
    Ok(Value::Object(out))
}

/// `isInstanceOfSchemaTypeForSimpleSchema` (:304-329). Jackson reads every non-integral
/// number as a `BigDecimal` (Confluent's `USE_BIG_DECIMAL_FOR_FLOATS`), which counts for bytes.
fn simple_instance(schema: &Value, v: &Value) -> bool {
    let integral = v.is_i64() || v.is_u64();
    match schema["type"].as_str().unwrap_or("") {
        "int8" | "int16" | "int32" | "int64" => integral,
        "float" | "double" => v.is_number(),
        "boolean" => v.is_boolean(),
        "string" => v.is_string(),
        "bytes" => v.is_number() && !integral,
        "array" => v.is_array(),
        "map" => v.is_object() || v.is_array(),
        _ => false,
    }
}

/// `matchStructSchema` (:331-356).
fn match_struct(schema: &Value, v: &Value) -> usize {
    let (Some("struct"), Value::Object(obj)) = (schema["type"].as_str(), v) else {
        return 0;
    };
    schema["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let name = f["field"].as_str()?;
            obj.get(name).map(|child| 1 + match_struct(f, child))
        })
        .sum()
}

/// The map converter (:184-222): string keys from a JSON object, other keys from
/// `[{"key": .., "value": ..}]`; the entries in the order of the `HashMap` Connect holds.
fn map_data(schema: &Value, v: &Value, path: &str) -> Result<Value, DataError> {
    let err = |m: String| Err((path.to_owned(), m));
    let keys = &schema["keys"];
    let values = &schema["values"];
    let string_keys = keys["type"] == "string";
    if string_keys && !keys["optional"].as_bool().unwrap_or(false) {
        let Value::Object(obj) = v else {
            return err(format!(
                "a map with string keys must be a JSON object, not {v}"
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
            "a map with non-string keys must be a JSON array of {{\"key\", \"value\"}} objects, not {v}"
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
                        "a map entry must be an object with \"key\" and \"value\", not {other}"
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
        // JsonConverter writes a string-keyed map as an object.
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

/// The Java `hashCode()` of a converted map key.
pub(super) fn key_hash(keys: &Value, k: &Value) -> Result<i32, String> {
    if k.is_null() {
        return Ok(0);
    }
    let int = || {
        k.as_i64()
            .ok_or_else(|| format!("map key {k} is not an integer"))
    };
    Ok(
        match (keys["name"].as_str(), keys["type"].as_str().unwrap_or("")) {
            (Some(DATE), _) => java_long_hash(int()?.wrapping_mul(86_400_000)),
            (Some(TIME | TIMESTAMP), _) => java_long_hash(int()?),
            (_, "int8" | "int16" | "int32") => int()? as i32,
            (_, "int64") => java_long_hash(int()?),
            (_, "boolean") => {
                if k.as_bool() == Some(true) {
                    1231
                } else {
                    1237
                }
            }
            (_, "float") => {
                let f = k.as_f64().unwrap_or(0.0) as f32;
                if f.is_nan() {
                    0x7fc0_0000
                } else {
                    f.to_bits() as i32
                }
            }
            (_, "double") => {
                let f = k.as_f64().unwrap_or(0.0);
                let bits = if f.is_nan() {
                    0x7ff8_0000_0000_0000
                } else {
                    f.to_bits() as i64
                };
                java_long_hash(bits)
            }
            (_, "string") => java_string_hash(k.as_str().unwrap_or("")),
            (_, other) => return Err(format!("map keys of type {other} are not supported")),
        },
    )
}

// ---------------------------------------------------------------------------------------------
// The decoder
// ---------------------------------------------------------------------------------------------

/// Builds the Connect schema of the model's root, in `JsonConverter`'s JSON form.
fn build(
    model: &mut Model,
    options: JsonSchemaDataOptions,
    version: Option<i64>,
) -> Result<Value, String> {
    let root = model.root;
    let mut conv = Converter {
        model,
        options,
        in_progress: Vec::new(),
        shared: HashMap::new(),
        id_index: 0,
    };
    let c = conv.convert_node(root, version, false)?;
    Ok(render(&c, &conv.shared))
}

/// A JSON Schema writer schema ready to convert payloads.
#[derive(Clone)]
pub struct JsonSchemaSchema {
    model: Arc<Model>,
    options: JsonSchemaDataOptions,
    record_name: Option<String>,
    connect: Arc<Value>,
}

impl std::fmt::Debug for JsonSchemaSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonSchemaSchema")
            .field("connect", &self.connect)
            .finish_non_exhaustive()
    }
}

impl JsonSchemaSchema {
    /// Parses a registry schema and the schemas it references (dependencies first), with
    /// `JsonSchemaDataConfig`'s defaults.
    pub fn parse(text: &str, references: &[ReferencedSchema]) -> Result<JsonSchemaSchema, String> {
        Self::parse_with(text, references, JsonSchemaDataOptions::default())
    }

    /// [`JsonSchemaSchema::parse`] with the converter's `JsonSchemaData` settings.
    pub fn parse_with(
        text: &str,
        references: &[ReferencedSchema],
        options: JsonSchemaDataOptions,
    ) -> Result<JsonSchemaSchema, String> {
        let mut model = Model::new(text, references)?;
        let connect = build(&mut model, options, None)?;
        // JsonSchema.name(): the root's title.
        let record_name = model.docs[0]
            .json
            .get("title")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(JsonSchemaSchema {
            model: Arc::new(model),
            options,
            record_name,
            connect: Arc::new(connect),
        })
    }

    /// The root schema's `title`, which names the struct (and the subject, for the
    /// record-name strategies, as `JsonSchema.name()` does).
    pub fn record_name(&self) -> Option<&str> {
        self.record_name.as_deref()
    }

    /// The same schema whose Connect form carries the subject version at the top, as
    /// `toConnectSchema(jsonSchema)` passes `schema.version()` down (a `connect.version`
    /// annotation takes priority).
    pub fn with_version(&self, version: Option<i64>) -> JsonSchemaSchema {
        let mut model = (*self.model).clone();
        let connect =
            build(&mut model, self.options, version).unwrap_or_else(|_| (*self.connect).clone());
        JsonSchemaSchema {
            connect: Arc::new(connect),
            ..self.clone()
        }
    }

    /// The Connect schema of this schema's data.
    pub fn connect_schema(&self) -> &Value {
        &self.connect
    }

    /// Converts one payload (the JSON text after the 5-byte header).
    pub fn convert(&self, payload: &[u8]) -> Result<Converted, ConvertError> {
        let value: Value = serde_json::from_slice(payload).map_err(|e| {
            ConvertError::Registry(format!("the JSON Schema payload is not valid JSON: {e}"))
        })?;
        let data = to_data(&self.connect, Some(&value), "$").map_err(|(path, m)| {
            ConvertError::Registry(format!(
                "the JSON Schema payload does not match its schema at {path}: {m}"
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

    /// The value schema `tests/registry/produce.py --kind jsonschema-orders` registers, as the
    /// registry serves it from `GET /schemas/ids/2` (the serializer's compact JSON).
    const ORDER: &str = r##"{"$schema":"http://json-schema.org/draft-07/schema#","title":"Order","type":"object","properties":{"order_id":{"type":"string"},"customer_id":{"type":"integer"},"quantity":{"type":"integer"},"price":{"type":"number"},"paid":{"type":"boolean"},"tags":{"type":"array","items":{"type":"string"}},"address":{"type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"},"zip":{"type":["string","null"]}},"required":["street","city"]},"note":{"type":["string","null"]}},"required":["order_id","customer_id","quantity","price","paid"],"additionalProperties":false}"##;

    fn schema(text: &str) -> JsonSchemaSchema {
        JsonSchemaSchema::parse(text, &[]).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    fn optional_for_nonrequired(text: &str) -> JsonSchemaSchema {
        let o = JsonSchemaDataOptions {
            use_optional_for_nonrequired: true,
            ..JsonSchemaDataOptions::default()
        };
        JsonSchemaSchema::parse_with(text, &[], o).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    fn refused(text: &str) -> String {
        JsonSchemaSchema::parse(text, &[]).expect_err(text)
    }

    fn data(s: &JsonSchemaSchema, payload: &str) -> Value {
        s.convert(payload.as_bytes())
            .unwrap_or_else(|e| panic!("{e}\n{payload}"))
            .data
    }

    fn bad_data(s: &JsonSchemaSchema, payload: &str) -> String {
        match s.convert(payload.as_bytes()) {
            Err(ConvertError::Registry(m)) => m,
            other => panic!("{payload}: {other:?}"),
        }
    }

    fn field_names(connect: &Value) -> Vec<&str> {
        connect["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect()
    }

    fn field<'a>(connect: &'a Value, name: &str) -> &'a Value {
        connect["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == name)
            .unwrap_or_else(|| panic!("no field {name} in {connect}"))
    }

    /// The schema and data of the integration tests' orders. The rules: `title` names the
    /// struct (JsonSchemaDataTest.testToConnectRecord), `["string", "null"]` is an optional
    /// string (testToConnectNullableString, testOptionalStringFormats), `integer` is int64 and
    /// `number` float64 (JsonSchemaData.toConnectSchema, NumberSchema branch), a property
    /// outside `required` keeps a required field by default
    /// (testToConnectRecordWithMissingNonoptional) and is optional with
    /// use.optional.for.nonrequired (testToConnectRecordWithOptionalAndRequired), the subject
    /// version is on the top schema (JsonSchemaConverterTest.testComplex: `builder.version(1)`).
    /// Fields are in everit's HashMap order, see `property_order_is_java_hash_map_order`.
    #[test]
    fn orders_schema_from_produce_py() {
        let s = schema(ORDER).with_version(Some(1));
        assert_eq!(s.record_name(), Some("Order"));
        assert_eq!(
            s.connect_schema().to_string(),
            concat!(
                r#"{"type":"struct","fields":["#,
                r#"{"type":"string","optional":true,"field":"note"},"#,
                r#"{"type":"int64","optional":false,"field":"quantity"},"#,
                r#"{"type":"struct","fields":["#,
                r#"{"type":"string","optional":true,"field":"zip"},"#,
                r#"{"type":"string","optional":false,"field":"city"},"#,
                r#"{"type":"string","optional":false,"field":"street"}"#,
                r#"],"optional":false,"field":"address"},"#,
                r#"{"type":"double","optional":false,"field":"price"},"#,
                r#"{"type":"boolean","optional":false,"field":"paid"},"#,
                r#"{"type":"int64","optional":false,"field":"customer_id"},"#,
                r#"{"type":"string","optional":false,"field":"order_id"},"#,
                r#"{"type":"array","items":{"type":"string","optional":false},"optional":false,"field":"tags"}"#,
                r#"],"optional":false,"name":"Order","version":1}"#
            )
        );
        // Record 0 of produce.py, as the serializer wrote it.
        let out = s
            .convert(r#"{"order_id":"o-0001","customer_id":5000000000,"quantity":1,"price":29.99,"paid":true,"tags":["t0"],"address":{"street":"100 Teheran-ro","city":"Seoul","zip":"06000"},"note":"café ☕ #0"}"#.as_bytes())
            .unwrap();
        assert_eq!(out.schema.as_deref(), Some(s.connect_schema()));
        assert_eq!(
            out.data.to_string(),
            r#"{"note":"café ☕ #0","quantity":1,"address":{"zip":"06000","city":"Seoul","street":"100 Teheran-ro"},"price":29.99,"paid":true,"customer_id":5000000000,"order_id":"o-0001","tags":["t0"]}"#
        );
        // Record 2 has no address: a required struct by default, so the record fails (Java
        // leaves the field null and every Connect writer then rejects the Struct).
        let third = r#"{"order_id":"o-0003","customer_id":5000000002,"quantity":3,"price":32.99,"paid":true,"tags":[],"note":null}"#;
        let m = bad_data(&s, third);
        assert!(m.contains("$.address") && m.contains("missing"), "{m}");
        // With use.optional.for.nonrequired=true the properties outside `required` are optional.
        let s = optional_for_nonrequired(ORDER);
        let c = s.connect_schema();
        for (name, optional) in [
            ("note", true),
            ("quantity", false),
            ("address", true),
            ("price", false),
            ("paid", false),
            ("customer_id", false),
            ("order_id", false),
            ("tags", true),
        ] {
            assert_eq!(field(c, name)["optional"], optional, "{name}");
        }
        assert_eq!(field(field(c, "address"), "zip")["optional"], true);
        assert_eq!(field(field(c, "address"), "city")["optional"], false);
        assert_eq!(
            data(&s, third).to_string(),
            r#"{"note":null,"quantity":3,"address":null,"price":32.99,"paid":true,"customer_id":5000000002,"order_id":"o-0003","tags":[]}"#
        );
    }

    /// The key schema of produce.py: a bare string (JsonSchemaDataTest.testToConnectString).
    #[test]
    fn orders_key_schema_is_a_string() {
        let s =
            schema(r##"{"$schema":"http://json-schema.org/draft-07/schema#","type":"string"}"##)
                .with_version(Some(1));
        assert_eq!(s.record_name(), None);
        assert_eq!(
            s.connect_schema().to_string(),
            r#"{"type":"string","optional":false,"version":1}"#
        );
        assert_eq!(data(&s, r#""o-0001""#), json!("o-0001"));
    }

    /// everit keeps an object's properties in `java.util.HashMap`s, so JsonSchemaData lists
    /// the fields in HashMap order (as ksql's JSON_SR reports it in confluentinc/ksql#9557:
    /// product_id, product_name, product_price came out as product_id, product_price,
    /// product_name). Every expectation here was printed by Java 17's and Java 25's HashMap
    /// fed the same keys (org.json JSONObject → OrgJsonUtil.toMap → ObjectSchema.Builder).
    #[test]
    fn property_order_is_java_hash_map_order() {
        let order = |keys: &str| -> Vec<String> {
            let names: Vec<String> = keys.split(',').map(str::to_owned).collect();
            everit_property_order(&names, |_| true)
                .unwrap()
                .into_iter()
                .cloned()
                .collect()
        };
        assert_eq!(
            order("order_id,customer_id,quantity,price,paid,tags,address,note"),
            [
                "note",
                "quantity",
                "address",
                "price",
                "paid",
                "customer_id",
                "order_id",
                "tags"
            ]
        );
        assert_eq!(order("street,city,zip"), ["zip", "city", "street"]);
        assert_eq!(
            order("product_id,product_name,product_price"),
            ["product_id", "product_price", "product_name"]
        );
        // "Aa" and "BB" share a hashCode: one bucket, in insertion order.
        assert_eq!(
            order("BB,Aa,c,AaAa,BBBB,AaBB,BBAa,z"),
            ["BB", "Aa", "c", "z", "AaAa", "BBBB", "AaBB", "BBAa"]
        );
        // 20 keys: the table grows from 16 to 32 buckets.
        assert_eq!(
            order(
                "f01,f02,f03,f04,f05,f06,f07,f08,f09,f10,f11,f12,f13,f14,f15,f16,f17,f18,f19,f20"
            ),
            [
                "f10", "f20", "f01", "f12", "f11", "f03", "f14", "f02", "f13", "f05", "f16", "f04",
                "f15", "f07", "f18", "f06", "f17", "f09", "f08", "f19"
            ]
        );
        // Nine keys in one bucket make putVal's treeifyBin resize a small table instead.
        assert_eq!(
            order(
                "AaAaAaAa,AaAaAaBB,AaAaBBAa,AaAaBBBB,AaBBAaAa,AaBBAaBB,AaBBBBAa,AaBBBBBB,BBAaAaAa,BBAaAaBB,x,y,z"
            ),
            [
                "AaAaAaAa", "AaAaAaBB", "AaAaBBAa", "AaAaBBBB", "AaBBAaAa", "AaBBAaBB", "AaBBBBAa",
                "AaBBBBBB", "BBAaAaAa", "BBAaAaBB", "x", "y", "z"
            ]
        );
        // A putAll into a new HashMap (SchemaWrapper.parameters()) is pre-sized: Java 17.
        let keys: Vec<String> = [
            "io.confluent.connect.json.Id",
            "scale",
            "connect.decimal.precision",
        ]
        .map(str::to_owned)
        .to_vec();
        let presized: Vec<&String> = hash_order(&keys, JavaHashMap::presized(3)).unwrap();
        assert_eq!(
            presized,
            [
                "scale",
                "io.confluent.connect.json.Id",
                "connect.decimal.precision"
            ]
        );
        // The schema's fields follow it, and so do a map value's entries (a HashMap).
        let s = schema(
            r#"{"type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"},"zip":{"type":"string"}}}"#,
        );
        assert_eq!(field_names(s.connect_schema()), ["zip", "city", "street"]);
        let m = schema(
            r#"{"type":"object","connect.type":"map","additionalProperties":{"type":"integer"}}"#,
        );
        assert_eq!(
            data(&m, r#"{"street":1,"city":2,"zip":3}"#).to_string(),
            r#"{"zip":3,"city":2,"street":1}"#
        );
    }

    /// JsonSchemaDataTest.testToConnectRecord: `connect.index` orders the fields.
    #[test]
    fn connect_index_orders_fields() {
        let s = schema(
            r#"{"title":"Record","type":"object","properties":{"string":{"type":"string","connect.index":1},"int8":{"type":"integer","connect.index":0,"connect.type":"int8"}}}"#,
        );
        assert_eq!(
            s.connect_schema().to_string(),
            r#"{"type":"struct","fields":[{"type":"int8","optional":false,"field":"int8"},{"type":"string","optional":false,"field":"string"}],"optional":false,"name":"Record"}"#
        );
        assert_eq!(
            data(&s, r#"{"string":"sample string","int8":12,"extra":true}"#).to_string(),
            r#"{"int8":12,"string":"sample string"}"#
        );
    }

    #[test]
    fn optional_and_required_fields() {
        let record = r#"{"title":"Record","type":"object","properties":{"int8":{"type":"integer","connect.index":0,"connect.type":"int8"},"string":{"type":"string","connect.index":1}},"required":["int8"]}"#;
        // testToConnectRecordWithOptionalAndRequired (use.optional.for.nonrequired=true).
        let s = optional_for_nonrequired(record);
        assert_eq!(
            s.connect_schema().to_string(),
            r#"{"type":"struct","fields":[{"type":"int8","optional":false,"field":"int8"},{"type":"string","optional":true,"field":"string"}],"optional":false,"name":"Record"}"#
        );
        assert_eq!(
            data(&s, r#"{"int8":12}"#),
            json!({"int8": 12, "string": null})
        );
        // testToConnectRecordWithMissingNonoptional: by default the field stays required;
        // Java's Struct then lacks it, which its writers refuse, so the record fails here.
        let s = schema(record);
        assert_eq!(field(s.connect_schema(), "string")["optional"], false);
        let m = bad_data(&s, r#"{"int8":12}"#);
        assert!(
            m.contains("at $.string: a required field is missing"),
            "{m}"
        );
        assert!(
            bad_data(&s, r#"{"int8":12,"string":null}"#)
                .contains("null value for a required field")
        );
        // testToConnectRecordWithOptionalValue / ...OptionalNullValue: oneOf [null, string].
        let s = schema(
            r#"{"title":"Record","type":"object","properties":{"int8":{"type":"integer","connect.index":0,"connect.type":"int8"},"string":{"connect.index":1,"oneOf":[{"type":"null"},{"type":"string"}]}}}"#,
        );
        assert_eq!(
            field(s.connect_schema(), "string").to_string(),
            r#"{"type":"string","optional":true,"field":"string"}"#
        );
        assert_eq!(
            data(&s, r#"{"int8":12,"string":null}"#),
            json!({"int8": 12, "string": null})
        );
        assert_eq!(
            data(&s, r#"{"int8":12,"string":"sample string"}"#),
            json!({"int8": 12, "string": "sample string"})
        );
        // testToConnectNull: oneOf [null, boolean] is an optional boolean; null stays null.
        let s = schema(r#"{"oneOf":[{"type":"null"},{"type":"boolean"}]}"#);
        assert_eq!(
            s.connect_schema().to_string(),
            r#"{"type":"boolean","optional":true}"#
        );
        assert_eq!(data(&s, "null"), Value::Null);
        assert_eq!(data(&s, "true"), json!(true));
    }

    /// JsonSchemaDataTest.testToConnectNestedRecordWithOptionalRecordValue and
    /// ...OptionalRecordNullValue.
    #[test]
    fn nested_objects() {
        let s = schema(
            r#"{"title":"Record","type":"object","properties":{"nestedRecord":{"connect.index":0,"oneOf":[{"type":"null"},{"title":"nestedRecord","type":"object","properties":{"string":{"type":"string","connect.index":0}}}]}}}"#,
        );
        assert_eq!(
            s.connect_schema().to_string(),
            r#"{"type":"struct","fields":[{"type":"struct","fields":[{"type":"string","optional":false,"field":"string"}],"optional":true,"name":"nestedRecord","field":"nestedRecord"}],"optional":false,"name":"Record"}"#
        );
        assert_eq!(
            data(&s, r#"{"nestedRecord":{"string":"xx"}}"#),
            json!({"nestedRecord": {"string": "xx"}})
        );
        assert_eq!(
            data(&s, r#"{"nestedRecord":null}"#),
            json!({"nestedRecord": null})
        );
        let m = bad_data(&s, r#"{"nestedRecord":{"string":7}}"#);
        assert!(
            m.contains("$.nestedRecord.string") && m.contains("expected a string"),
            "{m}"
        );
        assert!(bad_data(&s, r#"{"nestedRecord":[1]}"#).contains("must be a JSON object"));
    }

    #[test]
    fn arrays() {
        // JsonSchemaDataTest.testToConnectArray.
        let s = schema(r#"{"type":"array","items":{"type":"integer","connect.type":"int8"}}"#);
        assert_eq!(
            s.connect_schema().to_string(),
            r#"{"type":"array","items":{"type":"int8","optional":false},"optional":false}"#
        );
        assert_eq!(data(&s, "[12,13]"), json!([12, 13]));
        assert!(bad_data(&s, "[12,300]").contains("$[1]: 300 is out of range for int8"));
        assert!(bad_data(&s, r#"{"a":1}"#).contains("expected an array"));
        // testToConnectRecordWithOptionalArrayValue / ...OptionalArrayNullValue.
        let s = schema(
            r#"{"title":"Record","type":"object","properties":{"string":{"connect.index":0,"oneOf":[{"type":"null"},{"type":"string"}]},"array":{"connect.index":1,"oneOf":[{"type":"null"},{"type":"array","items":{"type":"string"}}]}}}"#,
        );
        assert_eq!(
            s.connect_schema().to_string(),
            r#"{"type":"struct","fields":[{"type":"string","optional":true,"field":"string"},{"type":"array","items":{"type":"string","optional":false},"optional":true,"field":"array"}],"optional":false,"name":"Record"}"#
        );
        assert_eq!(
            data(&s, r#"{"string":"xx","array":["test"]}"#),
            json!({"string": "xx", "array": ["test"]})
        );
        assert_eq!(
            data(&s, r#"{"string":"xx","array":null}"#),
            json!({"string": "xx", "array": null})
        );
    }

    /// JsonSchemaDataTest.testToConnectRecordWithOptionalReference: `$ref`s to `definitions`;
    /// the second reference to PriceDto is JsonSchemaData's SchemaWrapper of the first one's
    /// builder, optional, with the parameter io.confluent.connect.json.Id = #id1.
    #[test]
    fn refs_to_definitions() {
        let s = optional_for_nonrequired(
            r##"{"$schema":"http://json-schema.org/draft-04/schema#","title":"Event","type":"object","properties":{"vehicle":{"$ref":"#/definitions/VehicleDto"}},"definitions":{"PriceDto":{"type":"object","required":["amount"],"properties":{"amount":{"type":"number","format":"decimal"}}},"VehicleDto":{"type":"object","required":["offerPrice","firstRegistrationDate"],"properties":{"offerPrice":{"connect.index":1,"$ref":"#/definitions/PriceDto"},"catalogPrice":{"connect.index":2,"oneOf":[{"type":"null"},{"$ref":"#/definitions/PriceDto"}]},"firstRegistrationDate":{"connect.index":3,"type":"string","format":"date-time"}}}}}"##,
        );
        let vehicle = field(s.connect_schema(), "vehicle");
        let offer = field(vehicle, "offerPrice");
        let catalog = field(vehicle, "catalogPrice");
        assert_eq!(offer["optional"], false);
        assert_eq!(catalog["optional"], true);
        assert_eq!(
            offer.to_string(),
            r#"{"type":"struct","fields":[{"type":"double","optional":false,"field":"amount"}],"optional":false,"field":"offerPrice"}"#
        );
        assert_eq!(
            catalog.to_string(),
            r##"{"type":"struct","fields":[{"type":"double","optional":false,"field":"amount"}],"optional":true,"parameters":{"io.confluent.connect.json.Id":"#id1"},"field":"catalogPrice"}"##
        );
        let out = data(
            &s,
            r#"{"vehicle":{"offerPrice":{"amount":20000},"firstRegistrationDate":"2020-08-19T12:05:15.953Z"}}"#,
        );
        assert_eq!(
            out.to_string(),
            r#"{"vehicle":{"offerPrice":{"amount":20000.0},"catalogPrice":null,"firstRegistrationDate":"2020-08-19T12:05:15.953Z"}}"#
        );
        // `#/$defs/..`, also to an entry of `definitions` (JsonSchema.mergeDefBuckets).
        for defs in ["definitions", "$defs"] {
            let s = schema(&format!(
                r##"{{"type":"object","properties":{{"a":{{"$ref":"#/$defs/A"}}}},"required":["a"],"{defs}":{{"A":{{"title":"A","type":"object","properties":{{"n":{{"type":"integer"}}}}}}}}}}"##
            ));
            assert_eq!(
                field(s.connect_schema(), "a").to_string(),
                r#"{"type":"struct","fields":[{"type":"int64","optional":false,"field":"n"}],"optional":false,"name":"A","field":"a"}"#
            );
            assert_eq!(data(&s, r#"{"a":{"n":1}}"#), json!({"a": {"n": 1}}));
        }
        // testToConnectReferenceInAllOf.
        let s = schema(
            r##"{"allOf":[{"$ref":"#/definitions/n"}],"definitions":{"n":{"type":"integer","connect.type":"int64"}}}"##,
        );
        assert_eq!(
            s.connect_schema().to_string(),
            r#"{"type":"int64","optional":false}"#
        );
        assert_eq!(data(&s, "27"), json!(27));
    }

    /// A `$ref` to a schema the registry lists in `references`, by the name it is registered
    /// under (JsonSchema.loadPreviousDraft registers each one at that name).
    #[test]
    fn refs_to_referenced_schemas() {
        let refs = [ReferencedSchema {
            name: "address.json".into(),
            schema: r##"{"title":"Address","type":"object","properties":{"city":{"$ref":"#/definitions/City"}},"required":["city"],"definitions":{"City":{"type":"string","description":"the city"}}}"##.into(),
        }];
        let text = r##"{"title":"Order","type":"object","properties":{"shipping":{"$ref":"address.json"},"city":{"$ref":"./address.json#/definitions/City"}},"required":["shipping","city"]}"##;
        let s = JsonSchemaSchema::parse(text, &refs).unwrap();
        assert_eq!(
            field(s.connect_schema(), "shipping").to_string(),
            r#"{"type":"struct","fields":[{"type":"string","optional":false,"doc":"the city","field":"city"}],"optional":false,"name":"Address","field":"shipping"}"#
        );
        assert_eq!(
            data(&s, r#"{"city":"Seoul","shipping":{"city":"Busan"}}"#)["shipping"],
            json!({"city": "Busan"})
        );
        let e = JsonSchemaSchema::parse(text, &[]).unwrap_err();
        assert!(
            e.contains("\"address.json\" names no referenced schema"),
            "{e}"
        );
        // With a root $id, names resolve against it on both sides.
        let text = r#"{"$id":"https://example.com/schemas/order.json","type":"object","properties":{"shipping":{"$ref":"https://example.com/schemas/address.json"}},"required":["shipping"]}"#;
        let s = JsonSchemaSchema::parse(text, &refs).unwrap();
        assert_eq!(field(s.connect_schema(), "shipping")["name"], "Address");
    }

    #[test]
    fn unions() {
        // JsonSchemaDataTest.testToConnectUnion (and testToConnectUnionFromAnyOf).
        for comb in ["oneOf", "anyOf"] {
            let s = schema(&format!(
                r#"{{"{comb}":[{{"type":"integer","connect.type":"int8"}},{{"type":"integer","connect.type":"int16"}}]}}"#
            ));
            assert_eq!(
                s.connect_schema().to_string(),
                r#"{"type":"struct","fields":[{"type":"int8","optional":true,"field":"io.confluent.connect.json.OneOf.field.0"},{"type":"int16","optional":true,"field":"io.confluent.connect.json.OneOf.field.1"}],"optional":false,"name":"io.confluent.connect.json.OneOf"}"#
            );
            assert_eq!(
                data(&s, "12").to_string(),
                r#"{"io.confluent.connect.json.OneOf.field.0":12,"io.confluent.connect.json.OneOf.field.1":null}"#
            );
        }
        // testToConnectUnionSecondField; testToConnectUnionDifferentNumericType.
        let s =
            schema(r#"{"oneOf":[{"type":"string"},{"type":"integer","connect.type":"int32"}]}"#);
        assert_eq!(data(&s, "12")[format!("{ONE_OF}.field.1")], json!(12));
        assert_eq!(data(&s, r#""x""#)[format!("{ONE_OF}.field.0")], json!("x"));
        let s = schema(r#"{"oneOf":[{"type":"string"},{"type":"number"}]}"#);
        assert_eq!(data(&s, "123")[format!("{ONE_OF}.field.1")], json!(123.0));
        assert!(bad_data(&s, "true").contains("matches no member"));
        // testToConnectUnionDifferentStruct: the struct sharing the most property names.
        let s = schema(
            r#"{"oneOf":[{"title":"field0","type":"object","connect.index":0,"properties":{"a":{"type":"integer","connect.type":"int8","connect.index":0},"b":{"type":"string","connect.index":1}}},{"title":"field1","type":"object","connect.index":1,"properties":{"c":{"type":"integer","connect.type":"int8","connect.index":0},"d":{"type":"string","connect.index":1}}}]}"#,
        );
        assert_eq!(
            field(s.connect_schema(), &format!("{ONE_OF}.field.0")).to_string(),
            r#"{"type":"struct","fields":[{"type":"int8","optional":false,"field":"a"},{"type":"string","optional":false,"field":"b"}],"optional":true,"name":"field0","field":"io.confluent.connect.json.OneOf.field.0"}"#
        );
        assert_eq!(
            data(&s, r#"{"a":12,"b":"sample string"}"#),
            json!({format!("{ONE_OF}.field.0"): {"a": 12, "b": "sample string"}, format!("{ONE_OF}.field.1"): null})
        );
        assert_eq!(
            data(&s, r#"{"c":12,"d":"sample string"}"#),
            json!({format!("{ONE_OF}.field.0"): null, format!("{ONE_OF}.field.1"): {"c": 12, "d": "sample string"}})
        );
        // A union with null is an optional union struct; testToConnectSingletonUnion.
        let s = schema(r#"{"type":["string","integer","null"]}"#);
        assert_eq!(s.connect_schema()["optional"], true);
        assert_eq!(data(&s, "null"), Value::Null);
        let s = schema(r#"{"oneOf":[{"type":"string"}]}"#);
        assert_eq!(
            s.connect_schema().to_string(),
            r#"{"type":"string","optional":false}"#
        );
        // testCombinedSchemaTitleAndObject: `type: object` beside anyOf is a synthetic allOf
        // whose anyOf wins.
        let s = schema(
            r#"{"title":"Product Identifier","type":"object","anyOf":[{"type":"object","properties":{"keycode":{"type":"string"}}},{"type":"object","properties":{"itemCode":{"type":"string"}}}]}"#,
        );
        assert_eq!(s.connect_schema()["name"], ONE_OF);
    }

    #[test]
    fn enums_and_consts() {
        // JsonSchemaDataTest.testToConnectEnum, testToConnectEnumWithNull,
        // testToConnectEnumInAllOf.
        for text in [
            r#"{"enum":["one","two","three"]}"#,
            r#"{"allOf":[{"type":"string"},{"enum":["one","two","three"]}]}"#,
            r#"{"type":"string","enum":["one","two","three"],"title":"lost"}"#,
        ] {
            let s = schema(text);
            assert_eq!(
                s.connect_schema().to_string(),
                r#"{"type":"string","optional":false,"parameters":{"io.confluent.connect.json.Enum":"","io.confluent.connect.json.Enum.one":"one","io.confluent.connect.json.Enum.two":"two","io.confluent.connect.json.Enum.three":"three"}}"#,
                "{text}"
            );
            assert_eq!(data(&s, r#""one""#), json!("one"));
        }
        let s = schema(r#"{"enum":["one",null]}"#);
        assert_eq!(
            s.connect_schema()["parameters"]["io.confluent.connect.json.Enum.<NULL>"],
            "<NULL>"
        );
        // testToConnectConst.
        let s = schema(r#"{"const":"one"}"#);
        assert_eq!(
            s.connect_schema().to_string(),
            r#"{"type":"string","optional":false,"parameters":{"io.confluent.connect.json.Enum":"","io.confluent.connect.json.Enum.one":"one"}}"#
        );
        // testToConnectStringConstInAllOf, testToConnectIntegerConstInAllOf,
        // testToConnectNumberConstInAllOf, testToConnectIntEnumInAllOfIsValid.
        for (text, ty) in [
            (r#"{"const":"money","type":"string"}"#, "string"),
            (r#"{"const":123,"type":"integer"}"#, "int64"),
            (r#"{"const":123.45,"type":"number"}"#, "double"),
            (
                r#"{"allOf":[{"type":"number"},{"enum":[1,2,3]}]}"#,
                "double",
            ),
        ] {
            assert_eq!(
                schema(text).connect_schema(),
                &json!({"type": ty, "optional": false}),
                "{text}"
            );
        }
    }

    /// JsonSchemaDataTest.testToConnectBoolean .. testToConnectFloat64, testToConnectString,
    /// testToConnectBytes, testToConnectInt8WithDefault, testNumericFormats.
    #[test]
    fn primitives_and_defaults() {
        for (text, ty, payload, out) in [
            (r#"{"type":"boolean"}"#, "boolean", "true", json!(true)),
            (
                r#"{"type":"integer","connect.type":"int8"}"#,
                "int8",
                "12",
                json!(12),
            ),
            (
                r#"{"type":"integer","connect.type":"int16"}"#,
                "int16",
                "12",
                json!(12),
            ),
            (
                r#"{"type":"integer","connect.type":"int32"}"#,
                "int32",
                "12",
                json!(12),
            ),
            (
                r#"{"type":"integer","connect.type":"int64"}"#,
                "int64",
                "12",
                json!(12),
            ),
            (r#"{"type":"integer"}"#, "int64", "12.7", json!(12)),
            (
                r#"{"type":"number","connect.type":"float32"}"#,
                "float",
                "12",
                json!(12.0),
            ),
            (
                r#"{"type":"number","connect.type":"float64"}"#,
                "double",
                "12",
                json!(12.0),
            ),
            (
                r#"{"type":"string"}"#,
                "string",
                r#""teststring""#,
                json!("teststring"),
            ),
            (
                r#"{"type":"string","connect.type":"bytes"}"#,
                "bytes",
                r#""dGVzdHN0cmluZw==""#,
                json!("dGVzdHN0cmluZw=="),
            ),
            // An integer `format` is a string keyword: a synthetic allOf, still int64.
            (
                r#"{"type":"integer","format":"int32"}"#,
                "int64",
                "5",
                json!(5),
            ),
        ] {
            let s = schema(text);
            assert_eq!(
                s.connect_schema(),
                &json!({"type": ty, "optional": false}),
                "{text}"
            );
            assert_eq!(data(&s, payload), out, "{text}");
        }
        let s = schema(r#"{"type":"integer","connect.type":"int8","default":34}"#);
        assert_eq!(
            s.connect_schema().to_string(),
            r#"{"type":"int8","optional":false,"default":34}"#
        );
        assert_eq!(data(&s, "12"), json!(12));
        assert_eq!(data(&s, "null"), json!(34));
        // title, description and connect.parameters on a primitive.
        let s = schema(
            r#"{"type":"object","properties":{"d":{"type":"number","title":"Price","description":"in KRW","default":1.5,"connect.parameters":{"unit":"KRW"}}},"required":["d"]}"#,
        );
        assert_eq!(
            field(s.connect_schema(), "d").to_string(),
            r#"{"type":"double","optional":false,"name":"Price","doc":"in KRW","parameters":{"unit":"KRW"},"default":1.5,"field":"d"}"#
        );
        assert_eq!(data(&s, "{}"), json!({"d": 1.5}));
        assert!(bad_data(&s, r#"{"d":"1.5"}"#).contains("$.d"));
        let s = schema(r#"{"type":"string","connect.type":"bytes"}"#);
        assert!(bad_data(&s, r#""not base64!""#).contains("invalid base64"));
    }

    /// JsonSchemaDataTest.testToConnectBase64Decimal and testToConnectNumericDecimal: a
    /// number titled Decimal with connect.type bytes; base64 or a number, given on as base64
    /// of the minimal unscaled value (156 = 0x009C).
    #[test]
    fn decimals() {
        let s = schema(
            r#"{"type":"number","title":"org.apache.kafka.connect.data.Decimal","connect.type":"bytes","connect.parameters":{"scale":"2"}}"#,
        );
        assert_eq!(
            s.connect_schema().to_string(),
            r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}}"#
        );
        assert_eq!(data(&s, r#""AJw=""#), json!("AJw="));
        assert_eq!(data(&s, "1.56"), json!("AJw="));
        let e = refused(
            r#"{"type":"number","title":"org.apache.kafka.connect.data.Decimal","connect.parameters":{"scale":"2"}}"#,
        );
        assert!(e.contains("needs bytes"), "{e}");
    }

    #[test]
    fn maps() {
        // JsonSchemaDataTest.testToConnectMapStringKeys.
        let s = schema(
            r#"{"type":"object","connect.type":"map","additionalProperties":{"type":"integer","connect.type":"int8"}}"#,
        );
        assert_eq!(
            s.connect_schema().to_string(),
            r#"{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int8","optional":false},"optional":false}"#
        );
        assert_eq!(data(&s, r#"{"field":12}"#), json!({"field": 12}));
        // testToConnectMapNonStringKeys: [key, value] pairs.
        let s = schema(
            r#"{"type":"array","connect.type":"map","items":{"type":"object","properties":{"key":{"type":"integer","connect.type":"int8"},"value":{"type":"integer","connect.type":"int16"}}}}"#,
        );
        assert_eq!(
            s.connect_schema().to_string(),
            r#"{"type":"map","keys":{"type":"int8","optional":false},"values":{"type":"int16","optional":false},"optional":false}"#
        );
        assert_eq!(data(&s, r#"[{"key":12,"value":16}]"#), json!([[12, 16]]));
        // In HashMap order: Byte.hashCode is the value.
        assert_eq!(
            data(
                &s,
                r#"[{"key":17,"value":1},{"key":2,"value":2},{"key":17,"value":3}]"#
            ),
            json!([[17, 3], [2, 2]])
        );
        // testToConnectMapOptionalValue / ...OptionalNullValue.
        let s = schema(
            r#"{"type":"array","connect.type":"map","items":{"type":"object","properties":{"key":{"type":"integer","connect.type":"int8"},"value":{"oneOf":[{"type":"null"},{"type":"string"}]}}}}"#,
        );
        assert_eq!(s.connect_schema()["values"]["optional"], true);
        assert_eq!(
            data(&s, r#"[{"key":12,"value":null}]"#),
            json!([[12, null]])
        );
        assert_eq!(
            data(&s, r#"[{"key":12,"value":"some value"}]"#),
            json!([[12, "some value"]])
        );
    }

    /// JsonSchemaDataTest.testCombinedSchemaAllOfRef: the properties of every allOf member
    /// in one struct, which allOfToConnectSchema gives no name.
    #[test]
    fn all_of_properties() {
        let s = schema(
            r##"{"$schema":"http://json-schema.org/draft-07/schema#","allOf":[{"$ref":"#/definitions/MessageBase"},{"$ref":"#/definitions/MessageBase2"}],"title":"IdentifyUserMessage","description":"An IdentifyUser message","type":"object","properties":{"prevUserId":{"type":"string"},"newUserId":{"type":"string"}},"definitions":{"MessageBase":{"properties":{"id":{"type":"string"},"type":{"type":"string"}}},"MessageBase2":{"properties":{"id2":{"type":"string"}}}}}"##,
        );
        let c = s.connect_schema();
        let mut names = field_names(c);
        names.sort_unstable();
        assert_eq!(names, ["id", "id2", "newUserId", "prevUserId", "type"]);
        assert!(c.get("name").is_none() && c.get("doc").is_none(), "{c}");
        assert_eq!(s.record_name(), Some("IdentifyUserMessage"));
    }

    /// What JsonSchemaData cannot convert, and what is not implemented here, is refused when
    /// the schema is parsed, naming where and what.
    #[test]
    fn unsupported_constructs_are_refused() {
        for (text, expect) in [
            (
                r#"{"type":"object","properties":{"x":{}}}"#,
                "#/properties/x: a schema that admits any value",
            ),
            (r#"{"not":{"type":"string"}}"#, "`not`"),
            (
                r#"{"type":"object","properties":{"x":{"if":{"type":"string"},"then":{}}}}"#,
                "`if`/`then`/`else`",
            ),
            (r#"{"type":"null"}"#, "a schema of type null alone"),
            (
                r#"{"type":"array","items":[{"type":"string"}]}"#,
                "an array without one `items` schema",
            ),
            (r#"{"type":"array"}"#, "an array without one `items` schema"),
            // JsonSchemaDataTest.testToConnectRecursiveSchema: Java makes a cyclic schema.
            (
                r##"{"type":"object","title":"Task","id":"#id1","properties":{"parent":{"$ref":"#id1"},"title":{"type":"string"}}}"##,
                "only JSON pointers",
            ),
            (
                r##"{"type":"object","properties":{"next":{"$ref":"#"}}}"##,
                "a recursive schema",
            ),
            (
                r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string"}"##,
                "json-sKema",
            ),
            (
                r#"{"type":"object","properties":{"a":{"type":"string"}},"default":{"a":"x"}}"#,
                "a default on an object",
            ),
            (r#"{"type":"string","default":null}"#, "a null default"),
            (
                r#"{"type":"integer","default":"abc"}"#,
                "the default does not fit",
            ),
            (r#"{"$ref":"missing.json"}"#, "names no referenced schema"),
            (r##"{"$ref":"#/definitions/nope"}"##, "points at nothing"),
            (
                r#"{"oneOf":[{"type":"string"}],"anyOf":[{"type":"string"}]}"#,
                "more than one of allOf/anyOf/oneOf",
            ),
            (r#"{"enum":[1.5]}"#, "the enum value 1.5"),
            (
                r#"{"type":"integer","connect.type":"uint8"}"#,
                "unsupported connect.type \"uint8\"",
            ),
            (
                r#"{"type":"integer","title":"org.apache.kafka.connect.data.Date"}"#,
                "needs int32",
            ),
            (
                r#"{"type":"object","title":"io.confluent.connect.json.OneOf"}"#,
                "read the struct as a oneOf",
            ),
            (
                r#"{"type":"object","connect.type":"map"}"#,
                "needs an additionalProperties schema",
            ),
            (
                r#"{"type":"array","connect.type":"map","items":{"type":"object","properties":{"key":{"type":"string","connect.type":"bytes"},"value":{"type":"string"}}}}"#,
                "a map with bytes keys",
            ),
            (r#"{"type":"strin"}"#, "unknown type \"strin\""),
            (r#"true"#, "a boolean schema"),
            (r#"[1]"#, "must be an object or a boolean"),
            (r#"{"type":"object""#, "not JSON"),
        ] {
            let e = refused(text);
            assert!(e.contains(expect), "{text}: {e}");
        }
    }

    /// A payload that is not JSON or does not match: ConvertError::Registry naming the path.
    #[test]
    fn payloads_that_do_not_match() {
        let s = schema(ORDER);
        let m = bad_data(&s, "{oops");
        assert!(
            m.starts_with("the JSON Schema payload is not valid JSON"),
            "{m}"
        );
        // produce.py --bad mismatch: not UTF-8.
        let body = [0xfe, 0xff, 0xff, 0xff, 0x0f, 0xde, 0xad, 0xbe, 0xef];
        assert!(
            matches!(s.convert(&body), Err(ConvertError::Registry(m)) if m.contains("not valid JSON"))
        );
        let m = bad_data(
            &s,
            r#"{"order_id":"o-0001","customer_id":"5000000000","quantity":1,"price":29.99,"paid":true,"tags":[],"address":{"street":"s","city":"c"}}"#,
        );
        assert_eq!(
            m,
            "the JSON Schema payload does not match its schema at $.customer_id: expected an integer (int64), found \"5000000000\""
        );
        let m = bad_data(
            &s,
            r#"{"order_id":"o-0001","customer_id":1,"quantity":1,"price":29.99,"paid":true,"tags":["a",2],"address":{"street":"s","city":"c"}}"#,
        );
        assert!(m.contains("at $.tags[1]: expected a string"), "{m}");
        assert!(bad_data(&s, "[]").contains("at $: a struct must be a JSON object"));
    }

    /// The registry version goes on the top schema; a `connect.version` annotation wins over
    /// it (JsonSchemaData.toConnectSchema: "Included Kafka Connect version takes priority").
    #[test]
    fn versions() {
        let s = schema(
            r#"{"type":"object","title":"T","properties":{"a":{"type":"string"}},"required":["a"]}"#,
        );
        assert!(s.connect_schema().get("version").is_none());
        let v = s.with_version(Some(3));
        assert_eq!(v.connect_schema()["version"], 3);
        assert!(field(v.connect_schema(), "a").get("version").is_none());
        assert_eq!(v.record_name(), Some("T"));
        let s = schema(r#"{"type":"string","connect.version":7}"#).with_version(Some(3));
        assert_eq!(s.connect_schema()["version"], 7);
        // Through a nullable union and a $ref, as toConnectSchema passes it on.
        let s = schema(
            r##"{"$ref":"#/definitions/a","definitions":{"a":{"type":["string","null"]}}}"##,
        )
        .with_version(Some(2));
        assert_eq!(
            s.connect_schema().to_string(),
            r#"{"type":"string","optional":true,"version":2}"#
        );
    }
}

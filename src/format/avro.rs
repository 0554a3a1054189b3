//! `AvroFormat`: a file's records as one Avro object container file, as Confluent's
//! `AvroFormat` writes it.
//!
//! The writer schema comes from the records' Connect schema, converted the way Confluent's
//! `AvroData.fromConnectSchema` does it (unnamed structs are records `ConnectDefault` in
//! namespace `io.confluent.connect.avro`; optional schemas are unions `["null", T]` with default
//! `null`, or `[T, "null"]` when they have a default; `int8`/`int16` carry `connect.type`;
//! logical types become Avro's `decimal`, `date`, `time-millis` and `timestamp-millis`; the
//! `connect.*` metadata properties are kept). Schemaless records get the schema inferred by
//! [`super::schema::infer`], with records named after their field paths.
//!
//! The container is written here rather than with `apache-avro`'s `Writer` so that the output
//! is byte-for-byte reproducible: the header metadata is written in a fixed order (`avro.schema`
//! then `avro.codec`, as Java's `DataFileWriter` orders them) and the 16-byte sync marker is
//! derived from a seed ([`sync_marker`]) instead of being random. Blocks are cut, as Java's
//! `DataFileWriter` cuts them, once 64,000 bytes of serialized records are buffered.

use std::collections::HashSet;
use std::io::Write;

use serde_json::{Map, Value, json};

use super::FormatError;
use super::parquet::{base64_bytes, decimal_bytes, decimal_unscaled};
use super::schema::{
    ConnectSchema, DATE, DECIMAL, EncodeRecord, SchemaKind, TIME, TIMESTAMP, describe, each_field,
    file_schema, json_text,
};

/// Confluent `AvroData`'s namespace for generated record names.
pub const NAMESPACE: &str = "io.confluent.connect.avro";
/// Confluent `AvroData`'s name for unnamed structs.
pub const DEFAULT_SCHEMA_NAME: &str = "ConnectDefault";
/// Confluent `AvroData`'s record name for map entries with non-string keys.
pub const MAP_ENTRY_TYPE_NAME: &str = "MapEntry";
/// Java `DataFileWriter`'s default sync interval: a block ends once this many bytes are buffered.
pub const DEFAULT_SYNC_INTERVAL: usize = 64_000;

/// Avro's decimal precision when the Connect schema gives none (Confluent's default).
const DEFAULT_DECIMAL_PRECISION: u32 = 64;

/// Avro block compression (`avro.codec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AvroCodec {
    /// `null`: no compression, Confluent's default.
    #[default]
    Null,
    /// `deflate` (raw deflate, level 6 as Java's default).
    Deflate,
    /// `snappy` (each block followed by the CRC-32 of its uncompressed bytes).
    Snappy,
    /// `zstandard` (level 3 as Java's default).
    Zstd,
    /// `bzip2` (block size 9, as Apache Commons Compress's default that Avro's Java codec uses).
    Bzip2,
}

impl AvroCodec {
    /// Parses an `avro.codec` value: `null`, `deflate`, `snappy`, `bzip2` (Confluent's list) and
    /// `zstandard` (Avro's name; `zstd` is accepted too). `xz`, which Confluent refuses too,
    /// gives `None`.
    pub fn parse(name: &str) -> Option<AvroCodec> {
        match name.trim().to_ascii_lowercase().as_str() {
            "null" | "none" | "" => Some(AvroCodec::Null),
            "deflate" => Some(AvroCodec::Deflate),
            "snappy" => Some(AvroCodec::Snappy),
            "zstandard" | "zstd" => Some(AvroCodec::Zstd),
            "bzip2" => Some(AvroCodec::Bzip2),
            _ => None,
        }
    }

    /// The codec's name in the file header (`avro.codec`).
    pub fn name(&self) -> &'static str {
        match self {
            AvroCodec::Null => "null",
            AvroCodec::Deflate => "deflate",
            AvroCodec::Snappy => "snappy",
            AvroCodec::Zstd => "zstandard",
            AvroCodec::Bzip2 => "bzip2",
        }
    }

    fn compress(&self, block: &[u8]) -> Result<Vec<u8>, FormatError> {
        match self {
            AvroCodec::Null => Ok(block.to_vec()),
            AvroCodec::Deflate => {
                let mut enc = flate2::write::DeflateEncoder::new(
                    Vec::with_capacity(block.len() / 2),
                    flate2::Compression::new(6),
                );
                enc.write_all(block)?;
                Ok(enc.finish()?)
            }
            AvroCodec::Snappy => {
                let mut out = snap::raw::Encoder::new()
                    .compress_vec(block)
                    .map_err(|e| FormatError::Encode(format!("snappy: {e}")))?;
                out.extend_from_slice(&crc32fast::hash(block).to_be_bytes());
                Ok(out)
            }
            AvroCodec::Zstd => Ok(zstd::stream::encode_all(block, 3)?),
            AvroCodec::Bzip2 => {
                let mut enc = bzip2::write::BzEncoder::new(
                    Vec::with_capacity(block.len() / 2),
                    bzip2::Compression::best(),
                );
                enc.write_all(block)?;
                Ok(enc.finish()?)
            }
        }
    }
}

/// Writes a file's records as an Avro object container file.
#[derive(Debug, Clone)]
pub struct AvroFormat {
    codec: AvroCodec,
    sync_interval: usize,
}

impl AvroFormat {
    /// Confluent's class name.
    pub const CLASS: &'static str = "io.confluent.connect.s3.format.avro.AvroFormat";

    /// An Avro format with the given codec.
    pub fn new(codec: AvroCodec) -> AvroFormat {
        AvroFormat {
            codec,
            sync_interval: DEFAULT_SYNC_INTERVAL,
        }
    }

    /// The same format with blocks cut once `bytes` of serialized records are buffered
    /// (zero is taken as one: a block per record).
    pub fn with_sync_interval(self, bytes: usize) -> AvroFormat {
        AvroFormat {
            sync_interval: bytes.max(1),
            ..self
        }
    }

    /// The codec.
    pub fn codec(&self) -> AvroCodec {
        self.codec
    }

    /// `.avro`.
    pub fn extension(&self) -> &'static str {
        ".avro"
    }

    /// The writer schema (as JSON) the records would be written with.
    pub fn writer_schema(&self, records: &[EncodeRecord<'_>]) -> Result<Value, FormatError> {
        let fs = file_schema(records)?;
        avro_schema(&fs.schema, fs.inferred).map_err(FormatError::Encode)
    }

    /// Encodes one file's records, in order, as an object container file whose sync marker is
    /// derived from `sync_seed` (the object key), so the same records and seed give the same
    /// bytes. All records must share one Connect schema, or all be schemaless.
    pub fn encode(
        &self,
        records: &[EncodeRecord<'_>],
        sync_seed: &str,
    ) -> Result<Vec<u8>, FormatError> {
        let fs = file_schema(records)?;
        let schema_json = avro_schema(&fs.schema, fs.inferred).map_err(FormatError::Encode)?;
        let marker = sync_marker(sync_seed);

        let mut out = Vec::with_capacity(256 + records.len() * 64);
        out.extend_from_slice(b"Obj\x01");
        write_long(&mut out, 2);
        write_bytes(&mut out, b"avro.schema");
        write_bytes(&mut out, schema_json.to_string().as_bytes());
        write_bytes(&mut out, b"avro.codec");
        write_bytes(&mut out, self.codec.name().as_bytes());
        write_long(&mut out, 0);
        out.extend_from_slice(&marker);

        let mut block = Vec::with_capacity(self.sync_interval.min(1 << 20) + 1024);
        let mut count: i64 = 0;
        for r in records {
            let enc = Encoder { record: r };
            enc.value(&fs.schema, r.value, false, &Path::Root, &mut block)?;
            count += 1;
            if block.len() >= self.sync_interval {
                self.write_block(&mut out, &block, count, &marker)?;
                block.clear();
                count = 0;
            }
        }
        if count > 0 {
            self.write_block(&mut out, &block, count, &marker)?;
        }
        Ok(out)
    }

    fn write_block(
        &self,
        out: &mut Vec<u8>,
        block: &[u8],
        count: i64,
        marker: &[u8; 16],
    ) -> Result<(), FormatError> {
        let data = self.codec.compress(block)?;
        write_long(out, count);
        write_long(out, i64::try_from(data.len()).unwrap_or(i64::MAX));
        out.extend_from_slice(&data);
        out.extend_from_slice(marker);
        Ok(())
    }
}

/// The 16-byte sync marker for a seed: the FNV-1a 128-bit hash of the seed's UTF-8 bytes,
/// big-endian. Stable across runs and platforms.
pub fn sync_marker(seed: &str) -> [u8; 16] {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let mut h = OFFSET;
    for b in seed.as_bytes() {
        h ^= u128::from(*b);
        h = h.wrapping_mul(PRIME);
    }
    h.to_be_bytes()
}

fn write_long(out: &mut Vec<u8>, n: i64) {
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8 & 0x7f) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_long(out, i64::try_from(b.len()).unwrap_or(i64::MAX));
    out.extend_from_slice(b);
}

// ---------------------------------------------------------------------------------------------
// Schema conversion

/// The Connect struct name `AvroData` gives Avro unions other than `[null, T]`.
const UNION_NAME: &str = "io.confluent.connect.avro.Union";
/// The parameter naming an Avro record field's doc on its Connect struct.
const FIELD_DOC_PREFIX: &str = "io.confluent.connect.avro.field.doc.";
/// The parameter telling that a Connect default came from an Avro field default.
const FIELD_DEFAULT_FLAG: &str = "io.confluent.connect.avro.field.default";
/// The parameter holding an Avro fixed's size on its Connect bytes schema.
const FIXED_SIZE: &str = "connect.fixed.size";

fn fixed_size(s: &ConnectSchema) -> Option<usize> {
    s.parameter(FIXED_SIZE)?.trim().parse().ok()
}

/// The Avro schema (as JSON) for a file schema: Confluent's `AvroData` conversion for a Connect
/// schema, or plain types with path-derived record names for an inferred one.
pub fn avro_schema(schema: &ConnectSchema, inferred: bool) -> Result<Value, String> {
    let mut g = SchemaGen {
        inferred,
        names: Vec::new(),
    };
    g.node(schema, None, &[], false)
}

struct NamedType {
    /// The full name as written.
    full: String,
    /// The full name it was asked for (before making it unique).
    wanted: String,
    /// The schema it was generated from, without its optional flag.
    schema: ConnectSchema,
}

struct SchemaGen {
    inferred: bool,
    names: Vec<NamedType>,
}

const RESERVED: [&str; 14] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string", "record", "enum",
    "array", "map", "fixed", "union",
];

/// A valid Avro name: `[A-Za-z_][A-Za-z0-9_]*`, other characters replaced by `_`.
pub fn avro_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.chars().next().is_none_or(|c| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

fn split_name(full: &str) -> (Option<String>, String) {
    match full.rsplit_once('.') {
        Some((ns, name)) => (
            Some(ns.split('.').map(avro_name).collect::<Vec<_>>().join(".")),
            avro_name(name),
        ),
        None => (None, avro_name(full)),
    }
}

fn full_name(ns: Option<&str>, name: &str) -> String {
    match ns {
        Some(ns) if !ns.is_empty() => format!("{ns}.{name}"),
        _ => name.to_owned(),
    }
}

fn non_optional(s: &ConnectSchema) -> ConnectSchema {
    ConnectSchema {
        optional: false,
        ..s.clone()
    }
}

impl SchemaGen {
    /// Either a reference to an already written identical named type, or a unique full name to
    /// define (registered before its fields are generated, so outer records keep the plain name).
    fn claim(&mut self, ns: Option<&str>, name: &str, s: &ConnectSchema) -> Result<String, String> {
        let wanted = full_name(ns, name);
        let plain = non_optional(s);
        if let Some(t) = self
            .names
            .iter()
            .find(|t| t.wanted == wanted && t.schema == plain)
        {
            return Err(t.full.clone());
        }
        let taken = |full: &str, names: &[NamedType]| {
            names.iter().any(|t| t.full == full)
                || RESERVED.contains(&full.rsplit('.').next().unwrap_or(full))
        };
        let mut full = wanted.clone();
        let mut n = 2;
        while taken(&full, &self.names) {
            full = full_name(ns, &format!("{name}{n}"));
            n += 1;
        }
        self.names.push(NamedType {
            full: full.clone(),
            wanted,
            schema: plain,
        });
        Ok(full)
    }

    /// The Avro schema of `s` inside namespace `ns`; `path` names inferred records.
    fn node(
        &mut self,
        s: &ConnectSchema,
        ns: Option<&str>,
        path: &[&str],
        ignore_optional: bool,
    ) -> Result<Value, String> {
        let mut props = Map::new();
        let mut connect_type = None;
        let ty: Value = match &s.kind {
            SchemaKind::Int8 => {
                connect_type = Some("int8");
                json!("int")
            }
            SchemaKind::Int16 => {
                connect_type = Some("int16");
                json!("int")
            }
            SchemaKind::Int32 | SchemaKind::Date | SchemaKind::Time => json!("int"),
            SchemaKind::Int64 | SchemaKind::Timestamp => json!("long"),
            SchemaKind::Float32 => json!("float"),
            SchemaKind::Float64 => json!("double"),
            SchemaKind::Boolean => json!("boolean"),
            SchemaKind::String | SchemaKind::Json => json!("string"),
            SchemaKind::Bytes | SchemaKind::Decimal { .. }
                if !self.inferred && fixed_size(s).is_some() && s.name.is_some() =>
            {
                // AvroData: bytes with `connect.fixed.size` and a name are an Avro fixed.
                if s.optional && !ignore_optional {
                    let inner = self.node(&non_optional(s), ns, path, false)?;
                    return Ok(if s.non_null_default().is_some() {
                        json!([inner, "null"])
                    } else {
                        json!(["null", inner])
                    });
                }
                let name = s.name.as_deref().unwrap_or_default();
                let (fns, fname) = split_name(name);
                let fns = fns.or_else(|| ns.map(str::to_owned));
                match self.claim(fns.as_deref(), &fname, s) {
                    Err(existing) => return Ok(json!(relative(&existing, ns))),
                    Ok(full) => {
                        let (rec_ns, rec_name) = split_full(&full);
                        let mut fixed = Map::new();
                        fixed.insert("type".into(), json!("fixed"));
                        write_name(&mut fixed, rec_ns, &rec_name, ns);
                        fixed.insert("size".into(), json!(fixed_size(s).unwrap_or(0)));
                        if let SchemaKind::Decimal { scale, precision } = &s.kind {
                            fixed.insert("scale".into(), json!(scale));
                            fixed.insert(
                                "precision".into(),
                                json!(precision.unwrap_or(DEFAULT_DECIMAL_PRECISION)),
                            );
                        }
                        for (k, v) in self.meta(s, None) {
                            fixed.insert(k, v);
                        }
                        if matches!(s.kind, SchemaKind::Decimal { .. }) {
                            fixed.insert("logicalType".into(), json!("decimal"));
                        }
                        return Ok(Value::Object(fixed));
                    }
                }
            }
            SchemaKind::Bytes => json!("bytes"),
            SchemaKind::Decimal { scale, precision } => {
                props.insert("scale".into(), json!(scale));
                props.insert(
                    "precision".into(),
                    json!(precision.unwrap_or(DEFAULT_DECIMAL_PRECISION)),
                );
                json!("bytes")
            }
            SchemaKind::Array(item) => {
                let items = self.node(item, ns, path, false)?;
                props.insert("items".into(), items);
                json!("array")
            }
            SchemaKind::Map(k, v) if k.kind == SchemaKind::String && !k.optional => {
                let values = self.node(v, ns, path, false)?;
                props.insert("values".into(), values);
                json!("map")
            }
            SchemaKind::Map(k, v) => {
                let (entry_ns, entry_name) = match &s.name {
                    Some(n) if !self.inferred => split_name(n),
                    _ => (Some(NAMESPACE.to_owned()), MAP_ENTRY_TYPE_NAME.to_owned()),
                };
                let entry_ns = entry_ns.or_else(|| ns.map(str::to_owned));
                let entry = match self.claim(entry_ns.as_deref(), &entry_name, s) {
                    Err(existing) => json!(relative(&existing, ns)),
                    Ok(full) => {
                        let (rec_ns, rec_name) = split_full(&full);
                        let mut rec = Map::new();
                        rec.insert("type".into(), json!("record"));
                        write_name(&mut rec, rec_ns, &rec_name, ns);
                        let mut fields = Vec::with_capacity(2);
                        for (fname, fs) in [("key", k), ("value", v)] {
                            fields.push(self.field(fname, fs, rec_ns, path)?);
                        }
                        rec.insert("fields".into(), Value::Array(fields));
                        if s.name.is_some() && !self.inferred {
                            rec.insert("connect.internal.type".into(), json!(MAP_ENTRY_TYPE_NAME));
                        }
                        Value::Object(rec)
                    }
                };
                props.insert("items".into(), entry);
                json!("array")
            }
            SchemaKind::Struct(fields)
                if !self.inferred && s.name.as_deref() == Some(UNION_NAME) =>
            {
                // AvroData: Connect's union struct is an Avro union of its fields' types, null
                // first when it is optional.
                let mut members = Vec::with_capacity(fields.len() + 1);
                if s.optional {
                    members.push(json!("null"));
                }
                for f in fields {
                    members.push(self.node(&non_optional(&f.schema), ns, path, true)?);
                }
                return Ok(Value::Array(members));
            }
            SchemaKind::Struct(fields) => {
                if s.optional && !ignore_optional {
                    // AvroData: an optional struct is always ["null", record].
                    let inner = self.node(&non_optional(s), ns, path, false)?;
                    return Ok(json!(["null", inner]));
                }
                let (rec_ns, rec_name) = match (&s.name, self.inferred) {
                    (Some(n), false) => split_name(n),
                    (_, true) if !path.is_empty() => {
                        (Some(NAMESPACE.to_owned()), avro_name(&path.join("_")))
                    }
                    _ => (Some(NAMESPACE.to_owned()), DEFAULT_SCHEMA_NAME.to_owned()),
                };
                match self.claim(rec_ns.as_deref(), &rec_name, s) {
                    Err(existing) => return Ok(json!(relative(&existing, ns))),
                    Ok(full) => {
                        let (rec_ns, rec_name) = split_full(&full);
                        let mut rec = Map::new();
                        rec.insert("type".into(), json!("record"));
                        write_name(&mut rec, rec_ns, &rec_name, ns);
                        if !self.inferred
                            && let Some(doc) = s.parameter("io.confluent.connect.avro.record.doc")
                        {
                            rec.insert("doc".into(), json!(doc));
                        }
                        let mut out = Vec::with_capacity(fields.len());
                        let mut used: HashSet<String> = HashSet::new();
                        for f in fields {
                            let mut fname = avro_name(&f.name);
                            let mut n = 2;
                            while used.contains(&fname) {
                                fname = format!("{}_{n}", avro_name(&f.name));
                                n += 1;
                            }
                            used.insert(fname.clone());
                            let mut child_path: Vec<&str> = path.to_vec();
                            child_path.push(&f.name);
                            let mut field = self.field(&fname, &f.schema, rec_ns, &child_path)?;
                            if !self.inferred
                                && let Some(doc) =
                                    s.parameter(&format!("{FIELD_DOC_PREFIX}{}", f.name))
                            {
                                field["doc"] = json!(doc);
                            }
                            out.push(field);
                        }
                        rec.insert("fields".into(), Value::Array(out));
                        for (k, v) in self.meta(s, None) {
                            rec.insert(k, v);
                        }
                        return Ok(Value::Object(rec));
                    }
                }
            }
        };

        // A primitive, array or map: add Connect's metadata and logical type, then the union.
        let mut base = Map::new();
        base.insert("type".into(), ty);
        base.append(&mut props);
        if !self.inferred {
            for (k, v) in self.meta(s, connect_type) {
                base.insert(k, v);
            }
            let logical = match (&s.kind, s.name.as_deref()) {
                (SchemaKind::Decimal { .. }, Some(DECIMAL)) => Some("decimal"),
                (SchemaKind::Date, Some(DATE)) => Some("date"),
                (SchemaKind::Time, Some(TIME)) => Some("time-millis"),
                (SchemaKind::Timestamp, Some(TIMESTAMP)) => Some("timestamp-millis"),
                _ => None,
            };
            if let Some(l) = logical {
                base.insert("logicalType".into(), json!(l));
            }
            for (k, v) in &s.parameters {
                if k.starts_with("avro") {
                    base.insert(k.clone(), json!(v));
                }
            }
        }
        let base = if base.len() == 1 {
            base.remove("type").unwrap_or(Value::Null)
        } else {
            Value::Object(base)
        };
        if s.optional && !ignore_optional {
            if s.non_null_default().is_some() {
                return Ok(json!([base, "null"]));
            }
            return Ok(json!(["null", base]));
        }
        Ok(base)
    }

    /// A record field: name, type and default as `AvroData.addAvroRecordField` writes them.
    fn field(
        &mut self,
        name: &str,
        s: &ConnectSchema,
        ns: Option<&str>,
        path: &[&str],
    ) -> Result<Value, String> {
        let ty = self.node(s, ns, path, false)?;
        let mut f = Map::new();
        f.insert("name".into(), json!(name));
        f.insert("type".into(), ty);
        let struct_union = s.optional && matches!(s.kind, SchemaKind::Struct(_));
        match s.non_null_default() {
            Some(d) if !struct_union && !self.inferred => {
                f.insert("default".into(), avro_default(s, d));
            }
            _ if s.optional => {
                f.insert("default".into(), Value::Null);
            }
            _ => {}
        }
        Ok(Value::Object(f))
    }

    /// Connect's metadata properties (`connect.doc`, `connect.version`, `connect.parameters`,
    /// `connect.default`, `connect.name`, `connect.type`), in `AvroData`'s order.
    fn meta(&self, s: &ConnectSchema, connect_type: Option<&str>) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        if self.inferred {
            return out;
        }
        if let Some(doc) = &s.doc {
            out.push(("connect.doc".into(), json!(doc)));
        }
        if let Some(v) = s.version {
            out.push(("connect.version".into(), json!(v)));
        }
        if !s.parameters.is_empty() {
            let params: Map<String, Value> = s
                .parameters
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            out.push(("connect.parameters".into(), Value::Object(params)));
        }
        // A record field's own default is the field's `default`; only a schema default that
        // did not come from an Avro field default is kept as `connect.default`.
        if let Some(d) = s.non_null_default()
            && s.parameter(FIELD_DEFAULT_FLAG).is_none()
        {
            out.push(("connect.default".into(), d.clone()));
        }
        if let Some(n) = &s.name {
            out.push(("connect.name".into(), json!(n)));
        }
        if let Some(t) = connect_type {
            out.push(("connect.type".into(), json!(t)));
        }
        out
    }
}

fn split_full(full: &str) -> (Option<&str>, String) {
    match full.rsplit_once('.') {
        Some((ns, name)) => (Some(ns), name.to_owned()),
        None => (None, full.to_owned()),
    }
}

/// Writes `name` and, when it differs from the enclosing one, `namespace` (`""` for no
/// namespace inside a namespace), as Java's Avro does.
fn write_name(rec: &mut Map<String, Value>, ns: Option<&str>, name: &str, enclosing: Option<&str>) {
    rec.insert("name".into(), json!(name));
    match (ns, enclosing) {
        (Some(ns), enc) if Some(ns) != enc => {
            rec.insert("namespace".into(), json!(ns));
        }
        (None, Some(_)) => {
            rec.insert("namespace".into(), json!(""));
        }
        _ => {}
    }
}

/// A reference to a named type from inside namespace `ns`.
fn relative(full: &str, ns: Option<&str>) -> String {
    match (full.rsplit_once('.'), ns) {
        (Some((type_ns, name)), Some(ns)) if type_ns == ns => name.to_owned(),
        _ => full.to_owned(),
    }
}

/// A Connect default value in Avro's JSON form for a field default (bytes as ISO-8859-1 text).
fn avro_default(s: &ConnectSchema, d: &Value) -> Value {
    match (&s.kind, d) {
        (SchemaKind::Bytes | SchemaKind::Decimal { .. }, Value::String(_)) => {
            match base64_bytes(d) {
                Ok(bytes) => Value::String(bytes.iter().map(|b| char::from(*b)).collect()),
                Err(_) => d.clone(),
            }
        }
        (SchemaKind::Array(item), Value::Array(items)) => {
            Value::Array(items.iter().map(|x| avro_default(item, x)).collect())
        }
        (SchemaKind::Map(k, v), Value::Object(m))
            if k.kind == SchemaKind::String && !k.optional =>
        {
            Value::Object(
                m.iter()
                    .map(|(key, x)| (key.clone(), avro_default(v, x)))
                    .collect(),
            )
        }
        (SchemaKind::Map(k, v), Value::Object(m)) => Value::Array(
            m.iter()
                .map(|(key, x)| json!({"key": avro_default(k, &json!(key)), "value": avro_default(v, x)}))
                .collect(),
        ),
        (SchemaKind::Map(k, v), Value::Array(pairs)) => Value::Array(
            pairs
                .iter()
                .filter_map(|p| match p.as_array().map(Vec::as_slice) {
                    Some([key, x]) => {
                        Some(json!({"key": avro_default(k, key), "value": avro_default(v, x)}))
                    }
                    _ => None,
                })
                .collect(),
        ),
        (SchemaKind::Struct(fields), Value::Object(m)) => Value::Object(
            fields
                .iter()
                .filter_map(|f| {
                    m.get(&f.name)
                        .map(|x| (avro_name(&f.name), avro_default(&f.schema, x)))
                })
                .collect(),
        ),
        _ => d.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Value encoding

/// Where a value is, for errors; formatted only when an error is reported.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Elem(&'a Path<'a>),
    Key(&'a Path<'a>),
    Value(&'a Path<'a>),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Field(Path::Root, name) => write!(f, "{name}"),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Elem(parent) => write!(f, "{parent}[]"),
            Path::Key(parent) => write!(f, "{parent}.<key>"),
            Path::Value(parent) => write!(f, "{parent}.<value>"),
        }
    }
}

struct Encoder<'r, 'a> {
    record: &'r EncodeRecord<'a>,
}

impl Encoder<'_, '_> {
    fn err(&self, path: &Path<'_>, msg: &str) -> FormatError {
        let r = self.record;
        let at = format!(
            "record at offset {} ({}-{})",
            r.offset, r.topic, r.partition
        );
        match path {
            Path::Root => FormatError::Encode(format!("{at}: {msg}")),
            _ => FormatError::Encode(format!("{at}, field {path}: {msg}")),
        }
    }

    /// Encodes `v` with schema `s`, as a union with null when `s` is optional (unless
    /// `ignore_optional`), exactly mirroring [`SchemaGen::node`].
    fn value(
        &self,
        s: &ConnectSchema,
        v: &Value,
        ignore_optional: bool,
        path: &Path<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), FormatError> {
        if let SchemaKind::Struct(fields) = &s.kind
            && s.name.as_deref() == Some(UNION_NAME)
        {
            // The branch is the one field that is set; null is the first branch.
            let base = usize::from(s.optional);
            if v.is_null() {
                if !s.optional {
                    return Err(self.err(path, "null for a required (non-optional) union"));
                }
                write_long(out, 0);
                return Ok(());
            }
            let obj = v.as_object().ok_or_else(|| {
                self.err(
                    path,
                    &format!("expected a union struct, found {}", describe(v)),
                )
            })?;
            let set: Vec<usize> = fields
                .iter()
                .enumerate()
                .filter(|(_, f)| obj.get(&f.name).is_some_and(|x| !x.is_null()))
                .map(|(i, _)| i)
                .collect();
            let [i] = set[..] else {
                return Err(self.err(
                    path,
                    &format!(
                        "a union struct must have exactly one field set, found {}",
                        set.len()
                    ),
                ));
            };
            let f = &fields[i];
            write_long(out, (base + i) as i64);
            let fpath = Path::Field(path, &f.name);
            return self.base(&f.schema, &obj[&f.name], &fpath, out);
        }
        if s.optional && !ignore_optional {
            let null_first =
                matches!(s.kind, SchemaKind::Struct(_)) || s.non_null_default().is_none();
            let (null_index, value_index) = if null_first { (0, 1) } else { (1, 0) };
            if v.is_null() {
                write_long(out, null_index);
                return Ok(());
            }
            write_long(out, value_index);
        } else if v.is_null() {
            return Err(self.err(path, "null for a required (non-optional) field"));
        }
        self.base(s, v, path, out)
    }

    fn int(
        &self,
        v: &Value,
        lo: i64,
        hi: i64,
        ty: &str,
        path: &Path<'_>,
    ) -> Result<i64, FormatError> {
        let n = v.as_i64().ok_or_else(|| {
            self.err(
                path,
                &format!("expected an integer ({ty}), found {}", describe(v)),
            )
        })?;
        if n < lo || n > hi {
            return Err(self.err(path, &format!("{n} is out of range for {ty}")));
        }
        Ok(n)
    }

    fn float(&self, v: &Value, ty: &str, path: &Path<'_>) -> Result<f64, FormatError> {
        v.as_f64().ok_or_else(|| {
            self.err(
                path,
                &format!("expected a number ({ty}), found {}", describe(v)),
            )
        })
    }

    fn base(
        &self,
        s: &ConnectSchema,
        v: &Value,
        path: &Path<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), FormatError> {
        let i32_range = (i64::from(i32::MIN), i64::from(i32::MAX));
        match &s.kind {
            SchemaKind::Int8 => write_long(
                out,
                self.int(v, i8::MIN.into(), i8::MAX.into(), "int8", path)?,
            ),
            SchemaKind::Int16 => write_long(
                out,
                self.int(v, i16::MIN.into(), i16::MAX.into(), "int16", path)?,
            ),
            SchemaKind::Int32 => {
                write_long(out, self.int(v, i32_range.0, i32_range.1, "int32", path)?)
            }
            SchemaKind::Date => write_long(
                out,
                self.int(v, i32_range.0, i32_range.1, "Date (int32 days)", path)?,
            ),
            SchemaKind::Time => write_long(
                out,
                self.int(v, 0, 86_399_999, "Time (int32 ms of the day)", path)?,
            ),
            SchemaKind::Int64 => write_long(out, self.int(v, i64::MIN, i64::MAX, "int64", path)?),
            SchemaKind::Timestamp => write_long(
                out,
                self.int(v, i64::MIN, i64::MAX, "Timestamp (int64 ms)", path)?,
            ),
            SchemaKind::Float32 => {
                let f = self.float(v, "float", path)? as f32;
                out.extend_from_slice(&f.to_le_bytes());
            }
            SchemaKind::Float64 => {
                let f = self.float(v, "double", path)?;
                out.extend_from_slice(&f.to_le_bytes());
            }
            SchemaKind::Boolean => {
                let b = v.as_bool().ok_or_else(|| {
                    self.err(path, &format!("expected a boolean, found {}", describe(v)))
                })?;
                out.push(u8::from(b));
            }
            SchemaKind::String => {
                let text = v.as_str().ok_or_else(|| {
                    self.err(path, &format!("expected a string, found {}", describe(v)))
                })?;
                write_bytes(out, text.as_bytes());
            }
            SchemaKind::Json => write_bytes(out, json_text(v).as_bytes()),
            SchemaKind::Bytes | SchemaKind::Decimal { .. }
                if s.name.is_some() && fixed_size(s).is_some() =>
            {
                let size = fixed_size(s).unwrap_or(0);
                let bytes = match &s.kind {
                    SchemaKind::Decimal { scale, .. } => {
                        let n = decimal_unscaled(v, *scale).map_err(|m| self.err(path, &m))?;
                        let minimal = decimal_bytes(n);
                        if minimal.len() > size {
                            return Err(self.err(
                                path,
                                &format!(
                                    "decimal needs {} bytes, over the fixed size {size}",
                                    minimal.len()
                                ),
                            ));
                        }
                        // Sign-extended to the fixed size, as AvroData pads it.
                        let fill = if minimal.first().is_some_and(|b| b & 0x80 != 0) {
                            0xFF
                        } else {
                            0
                        };
                        let mut padded = vec![fill; size - minimal.len()];
                        padded.extend_from_slice(&minimal);
                        padded
                    }
                    _ => base64_bytes(v).map_err(|m| self.err(path, &m))?,
                };
                if bytes.len() != size {
                    return Err(self.err(
                        path,
                        &format!("{} bytes for a fixed of size {size}", bytes.len()),
                    ));
                }
                out.extend_from_slice(&bytes);
            }
            SchemaKind::Bytes => {
                let bytes = base64_bytes(v).map_err(|m| self.err(path, &m))?;
                write_bytes(out, &bytes);
            }
            SchemaKind::Decimal { scale, .. } => {
                let n = decimal_unscaled(v, *scale).map_err(|m| self.err(path, &m))?;
                write_bytes(out, &decimal_bytes(n));
            }
            SchemaKind::Array(item) => {
                let items = v.as_array().ok_or_else(|| {
                    self.err(path, &format!("expected an array, found {}", describe(v)))
                })?;
                let cpath = Path::Elem(path);
                if !items.is_empty() {
                    write_long(out, items.len() as i64);
                    for it in items {
                        self.value(item, it, false, &cpath, out)?;
                    }
                }
                write_long(out, 0);
            }
            SchemaKind::Map(k, val) => self.map(k, val, v, path, out)?,
            SchemaKind::Struct(fields) => {
                let obj = v.as_object().ok_or_else(|| {
                    self.err(
                        path,
                        &format!("expected an object (struct), found {}", describe(v)),
                    )
                })?;
                let mut result = Ok(());
                each_field(obj, fields.iter().map(|f| f.name.as_str()), |i, fv| {
                    if result.is_err() {
                        return;
                    }
                    if let Some(f) = fields.get(i) {
                        let fpath = Path::Field(path, &f.name);
                        result = self.value(&f.schema, fv, false, &fpath, out);
                    }
                });
                result?;
            }
        }
        Ok(())
    }

    fn map(
        &self,
        k: &ConnectSchema,
        val: &ConnectSchema,
        v: &Value,
        path: &Path<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), FormatError> {
        // Entries from either JSON form: an object, or an array of [key, value] pairs.
        let owned_keys: Vec<Value>;
        let entries: Vec<(&Value, &Value)> = match v {
            Value::Object(m) => {
                owned_keys = m.keys().map(|key| Value::String(key.clone())).collect();
                owned_keys.iter().zip(m.values()).collect()
            }
            Value::Array(pairs) => {
                let mut e = Vec::with_capacity(pairs.len());
                for p in pairs {
                    match p.as_array().map(Vec::as_slice) {
                        Some([key, x]) => e.push((key, x)),
                        _ => {
                            return Err(self.err(
                                path,
                                &format!("expected a [key, value] pair, found {}", describe(p)),
                            ));
                        }
                    }
                }
                e
            }
            other => {
                return Err(self.err(
                    path,
                    &format!("expected a map (object), found {}", describe(other)),
                ));
            }
        };
        let kpath = Path::Key(path);
        let vpath = Path::Value(path);
        if !entries.is_empty() {
            write_long(out, entries.len() as i64);
            let string_keys = k.kind == SchemaKind::String && !k.optional;
            for (key, x) in entries {
                if string_keys {
                    let text = key.as_str().ok_or_else(|| {
                        self.err(
                            &kpath,
                            &format!("expected a string key, found {}", describe(key)),
                        )
                    })?;
                    write_bytes(out, text.as_bytes());
                } else {
                    // Array of MapEntry records.
                    self.value(k, key, false, &kpath, out)?;
                }
                self.value(val, x, false, &vpath, out)?;
            }
        }
        write_long(out, 0);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn recs<'a>(values: &'a [Value], schema: Option<&'a Value>) -> Vec<EncodeRecord<'a>> {
        crate::format::schema::test_records(values, schema, 0, 0)
    }

    #[test]
    fn codec_names() {
        assert_eq!(AvroCodec::parse("zstandard"), Some(AvroCodec::Zstd));
        assert_eq!(AvroCodec::parse("zstd"), Some(AvroCodec::Zstd));
        assert_eq!(AvroCodec::parse("NULL"), Some(AvroCodec::Null));
        assert_eq!(AvroCodec::parse("bzip2"), Some(AvroCodec::Bzip2));
        assert_eq!(AvroCodec::parse("xz"), None);
        assert_eq!(AvroCodec::default(), AvroCodec::Null);
        for c in [
            AvroCodec::Null,
            AvroCodec::Deflate,
            AvroCodec::Snappy,
            AvroCodec::Zstd,
            AvroCodec::Bzip2,
        ] {
            assert_eq!(AvroCodec::parse(c.name()), Some(c));
        }
    }

    #[test]
    fn zigzag_longs() {
        let enc = |n| {
            let mut v = Vec::new();
            write_long(&mut v, n);
            v
        };
        assert_eq!(enc(0), [0]);
        assert_eq!(enc(-1), [1]);
        assert_eq!(enc(1), [2]);
        assert_eq!(enc(-64), [0x7f]);
        assert_eq!(enc(64), [0x80, 0x01]);
        assert_eq!(enc(i64::MIN).len(), 10);
    }

    #[test]
    fn sync_marker_is_stable() {
        assert_eq!(sync_marker("a"), sync_marker("a"));
        assert_ne!(sync_marker("a"), sync_marker("b"));
        // FNV-1a 128 of the empty string is its offset basis.
        assert_eq!(
            u128::from_be_bytes(sync_marker("")),
            0x6c62_272e_07bb_0142_62b8_2175_6295_c58d
        );
        // Published FNV-1a 128 test vector for "a".
        assert_eq!(
            u128::from_be_bytes(sync_marker("a")),
            0xd228_cb69_6f1a_8caf_7891_2b70_4e4a_8964
        );
    }

    #[test]
    fn connect_schema_converts_like_avro_data() {
        let schema = json!({"type":"struct","fields":[
            {"type":"string","optional":false,"field":"id"},
            {"type":"int8","optional":true,"field":"small"},
            {"type":"bytes","optional":false,"name":DECIMAL,"version":1,"parameters":{"scale":"2"},"field":"price"},
            {"type":"int32","optional":true,"name":DATE,"version":1,"field":"d"},
            {"type":"int64","optional":false,"default":5,"field":"n"},
            {"type":"map","keys":{"type":"int32"},"values":{"type":"string"},"optional":false,"field":"m"}
        ]});
        let cs = ConnectSchema::parse(&schema).unwrap();
        let avro = avro_schema(&cs, false).unwrap();
        assert_eq!(
            avro.to_string(),
            concat!(
                r#"{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":["#,
                r#"{"name":"id","type":"string"},"#,
                r#"{"name":"small","type":["null",{"type":"int","connect.type":"int8"}],"default":null},"#,
                r#"{"name":"price","type":{"type":"bytes","scale":2,"precision":64,"connect.version":1,"connect.parameters":{"scale":"2"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}},"#,
                r#"{"name":"d","type":["null",{"type":"int","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Date","logicalType":"date"}],"default":null},"#,
                r#"{"name":"n","type":{"type":"long","connect.default":5},"default":5},"#,
                r#"{"name":"m","type":{"type":"array","items":{"type":"record","name":"MapEntry","fields":[{"name":"key","type":"int"},{"name":"value","type":"string"}]}}}"#,
                r#"]}"#
            )
        );
    }

    #[test]
    fn repeated_unnamed_structs_are_referenced_and_distinct_ones_renamed() {
        let addr =
            json!({"type":"struct","optional":false,"fields":[{"type":"string","field":"street"}]});
        let other =
            json!({"type":"struct","optional":true,"fields":[{"type":"int32","field":"n"}]});
        let schema = json!({"type":"struct","fields":[
            {"field":"billing", "type":"struct","optional":false,"fields":addr["fields"].clone()},
            {"field":"shipping","type":"struct","optional":false,"fields":addr["fields"].clone()},
            {"field":"other","type":"struct","optional":true,"fields":other["fields"].clone()}
        ]});
        let cs = ConnectSchema::parse(&schema).unwrap();
        let avro = avro_schema(&cs, false).unwrap();
        let fields = avro["fields"].as_array().unwrap();
        assert_eq!(avro["name"], "ConnectDefault");
        assert_eq!(fields[0]["type"]["name"], "ConnectDefault2");
        assert_eq!(fields[1]["type"], "ConnectDefault2");
        assert_eq!(fields[2]["type"][0], "null");
        assert_eq!(fields[2]["type"][1]["name"], "ConnectDefault3");
        assert_eq!(fields[2]["default"], Value::Null);
    }

    #[test]
    fn inferred_records_are_named_by_path() {
        let vals = [json!({"c": {"a": {"x": 1}}, "items": [{"id": 1}], "2nd-field": "v"})];
        let r = recs(&vals, None);
        let avro = AvroFormat::new(AvroCodec::Null).writer_schema(&r).unwrap();
        assert_eq!(avro["name"], "ConnectDefault");
        let f = avro["fields"].as_array().unwrap();
        assert_eq!(f[0]["type"][1]["name"], "c");
        assert_eq!(f[0]["type"][1]["fields"][0]["type"][1]["name"], "c_a");
        assert_eq!(f[1]["type"][1]["items"][1]["name"], "items");
        assert_eq!(f[2]["name"], "_2nd_field");
    }

    #[test]
    fn optional_root_struct_is_a_union() {
        let schema =
            json!({"type":"struct","optional":true,"fields":[{"type":"int64","field":"n"}]});
        let vals = [json!({"n": 1})];
        let f = AvroFormat::new(AvroCodec::Null);
        let r = recs(&vals, Some(&schema));
        let avro = f.writer_schema(&r).unwrap();
        assert_eq!(avro[0], "null");
        assert_eq!(avro[1]["name"], "ConnectDefault");
        let out = f.encode(&r, "k").unwrap();
        let values: Vec<_> = apache_avro::Reader::new(&out[..])
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            values,
            vec![apache_avro::types::Value::Union(
                1,
                Box::new(apache_avro::types::Value::Record(vec![(
                    "n".into(),
                    apache_avro::types::Value::Long(1)
                )]))
            )]
        );
    }

    #[test]
    fn errors_name_offset_and_field() {
        let schema = json!({"type":"struct","fields":[{"type":"array","items":{"type":"int32"},"field":"a"}]});
        let vals = [json!({"a": [1]}), json!({"a": [1, "x"]})];
        let err = AvroFormat::new(AvroCodec::Null)
            .encode(&recs(&vals, Some(&schema)), "k")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "cannot encode record: record at offset 1 (t-0), field a[]: expected an integer \
             (int32), found \"x\""
        );
    }
}

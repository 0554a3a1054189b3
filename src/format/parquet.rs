//! `ParquetFormat`: a file's records as one Parquet file, as Confluent's `ParquetFormat` does.
//!
//! The records' Connect schema (or the schema inferred from schemaless JSON, see
//! [`super::schema`]) is mapped to Arrow types and the values are written straight into Arrow
//! arrays (no intermediate JSON text), then through the `parquet` crate's `ArrowWriter`.
//!
//! | Connect                 | Arrow / Parquet                                            |
//! |-------------------------|------------------------------------------------------------|
//! | int8, int16, int32, int64 | Int8, Int16, Int32, Int64                                |
//! | float, double           | Float32, Float64                                           |
//! | boolean                 | Boolean                                                    |
//! | string                  | Utf8                                                       |
//! | bytes                   | Binary                                                     |
//! | Decimal                 | Decimal128(precision, scale), precision from `connect.decimal.precision` or 38; Decimal256 above 38 |
//! | Date, Time, Timestamp   | Date32, Time32(ms), Timestamp(ms, UTC)                     |
//! | array                   | List (element field `element`)                             |
//! | map                     | Map (`key_value` entries of `key`, `value`)                |
//! | struct                  | Struct, or the file's columns at the top level             |
//! | optional                | nullable                                                   |
//!
//! A record value that is not a struct is written as a single column named `value`.
//! The output is deterministic: the same records give the same bytes (fixed `created_by`, no
//! timestamps in the metadata).

use std::sync::Arc;

use arrow_array::types::{
    Date32Type, Decimal128Type, Decimal256Type, DecimalType, Float32Type, Float64Type, Int8Type,
    Int16Type, Int32Type, Int64Type, Time32MillisecondType, TimestampMillisecondType,
};
use arrow_array::{
    ArrayRef, ArrowPrimitiveType, BinaryArray, BooleanArray, ListArray, MapArray, PrimitiveArray,
    RecordBatch, StringArray, StructArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer, i256};
use arrow_schema::{DataType, Field as ArrowField, FieldRef, Fields, Schema, TimeUnit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde_json::Value;

use super::FormatError;
use super::schema::{
    ConnectSchema, EncodeRecord, SchemaKind, describe, each_field, file_schema, json_text,
};

/// The `created_by` written in every file's footer: fixed, so output is reproducible.
pub const CREATED_BY: &str = "kafka-s3-sink";

/// Default cap on the rows of one row group.
pub const DEFAULT_ROW_GROUP_ROWS: usize = 1024 * 1024;

/// Default cap on the (estimated, encoded) bytes of one row group buffered in memory.
pub const DEFAULT_ROW_GROUP_BYTES: usize = 64 * 1024 * 1024;

/// Records converted to Arrow per batch handed to the writer.
const BATCH_ROWS: usize = 1024;

/// Parquet column compression (`parquet.codec`), named as parquet-java's
/// `CompressionCodecName` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParquetCodec {
    /// `snappy`, Confluent's default.
    #[default]
    Snappy,
    /// `gzip` (level 6, as parquet-java's default).
    Gzip,
    /// `zstd` (level 3, as parquet-java's default).
    Zstd,
    /// `lz4`: Parquet's `LZ4` codec with Hadoop framing, as parquet-java writes it.
    Lz4,
    /// `lz4_raw`: Parquet's `LZ4_RAW` codec (plain LZ4 blocks).
    Lz4Raw,
    /// `brotli`.
    Brotli,
    /// `none` / `uncompressed`.
    None,
}

impl ParquetCodec {
    /// Every codec, in the order the key table lists them.
    pub const ALL: [ParquetCodec; 7] = [
        ParquetCodec::Snappy,
        ParquetCodec::Gzip,
        ParquetCodec::Zstd,
        ParquetCodec::Lz4,
        ParquetCodec::Lz4Raw,
        ParquetCodec::Brotli,
        ParquetCodec::None,
    ];

    /// Parses a `parquet.codec` value (case-insensitive). `lzo`, which Confluent also lists,
    /// needs Hadoop's native LZO library and has no Rust writer: it gives `None`.
    pub fn parse(name: &str) -> Option<ParquetCodec> {
        let name = name.trim().to_ascii_lowercase();
        match name.as_str() {
            "uncompressed" => Some(ParquetCodec::None),
            _ => Self::ALL.into_iter().find(|c| c.name() == name),
        }
    }

    /// The name as `parquet.codec` spells it.
    pub fn name(&self) -> &'static str {
        match self {
            ParquetCodec::Snappy => "snappy",
            ParquetCodec::Gzip => "gzip",
            ParquetCodec::Zstd => "zstd",
            ParquetCodec::Lz4 => "lz4",
            ParquetCodec::Lz4Raw => "lz4_raw",
            ParquetCodec::Brotli => "brotli",
            ParquetCodec::None => "none",
        }
    }

    fn compression(&self) -> Compression {
        match self {
            ParquetCodec::Snappy => Compression::SNAPPY,
            ParquetCodec::Gzip => Compression::GZIP(GzipLevel::default()),
            ParquetCodec::Zstd => Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()),
            ParquetCodec::Lz4 => Compression::LZ4,
            ParquetCodec::Lz4Raw => Compression::LZ4_RAW,
            // parquet-java's default brotli quality (1) and window (lgwin 22).
            ParquetCodec::Brotli => {
                Compression::BROTLI(parquet::basic::BrotliLevel::try_new(1).unwrap_or_default())
            }
            ParquetCodec::None => Compression::UNCOMPRESSED,
        }
    }
}

/// Writes a file's records as Parquet. Built once; [`ParquetFormat::encode`] is called per file.
#[derive(Debug, Clone)]
pub struct ParquetFormat {
    codec: ParquetCodec,
    props: WriterProperties,
}

impl ParquetFormat {
    /// Confluent's class name.
    pub const CLASS: &'static str = "io.confluent.connect.s3.format.parquet.ParquetFormat";

    /// A Parquet format with the given codec and the default row-group caps
    /// ([`DEFAULT_ROW_GROUP_ROWS`], [`DEFAULT_ROW_GROUP_BYTES`]).
    pub fn new(codec: ParquetCodec) -> ParquetFormat {
        ParquetFormat::with_row_group_limits(codec, DEFAULT_ROW_GROUP_ROWS, DEFAULT_ROW_GROUP_BYTES)
    }

    /// A Parquet format whose row groups end after `max_rows` rows or once about `max_bytes`
    /// of encoded data are buffered, whichever comes first (zero is taken as one).
    pub fn with_row_group_limits(
        codec: ParquetCodec,
        max_rows: usize,
        max_bytes: usize,
    ) -> ParquetFormat {
        let props = WriterProperties::builder()
            .set_compression(codec.compression())
            .set_created_by(CREATED_BY.to_owned())
            .set_max_row_group_row_count(Some(max_rows.max(1)))
            .set_max_row_group_bytes(Some(max_bytes.max(1)))
            .build();
        ParquetFormat { codec, props }
    }

    /// The codec.
    pub fn codec(&self) -> ParquetCodec {
        self.codec
    }

    /// The file extension as Confluent names it: parquet-java's codec extension
    /// (`CompressionCodecName.getExtension()`) then `.parquet`: `.snappy.parquet`,
    /// `.gz.parquet`, `.zstd.parquet`, `.lz4hadoop.parquet`, `.lz4raw.parquet`, `.br.parquet`
    /// or `.parquet`.
    pub fn extension(&self) -> &'static str {
        match self.codec {
            ParquetCodec::Snappy => ".snappy.parquet",
            ParquetCodec::Gzip => ".gz.parquet",
            ParquetCodec::Zstd => ".zstd.parquet",
            ParquetCodec::Lz4 => ".lz4hadoop.parquet",
            ParquetCodec::Lz4Raw => ".lz4raw.parquet",
            ParquetCodec::Brotli => ".br.parquet",
            ParquetCodec::None => ".parquet",
        }
    }

    /// Encodes one file's records, in order. All records must share one Connect schema, or all
    /// be schemaless (then the schema is inferred). The same records give the same bytes.
    pub fn encode(&self, records: &[EncodeRecord<'_>]) -> Result<Vec<u8>, FormatError> {
        let fs = file_schema(records)?;
        let root = &fs.schema;
        let columns: Vec<Column<'_>> = match &root.kind {
            SchemaKind::Struct(fields) => fields
                .iter()
                .map(|f| Column {
                    name: f.name.as_str(),
                    schema: &f.schema,
                    top_level_field: true,
                })
                .collect(),
            _ => vec![Column {
                name: "value",
                schema: root,
                top_level_field: false,
            }],
        };
        if columns.is_empty() {
            return Err(FormatError::Encode(
                "the schema is a struct with no fields; Parquet cannot hold it".to_owned(),
            ));
        }
        let mut arrow_fields = Vec::with_capacity(columns.len());
        for c in &columns {
            let dt = arrow_type(c.schema)
                .map_err(|e| FormatError::Encode(format!("field {}: {e}", c.name)))?;
            arrow_fields.push(ArrowField::new(c.name, dt, c.schema.optional));
        }
        let arrow_schema = Arc::new(Schema::new(arrow_fields));
        let root_name = match (&root.kind, root.name.as_deref()) {
            (SchemaKind::Struct(_), Some(name)) => name.to_owned(),
            _ => "io.confluent.connect.avro.ConnectDefault".to_owned(),
        };
        let options = ArrowWriterOptions::new()
            .with_properties(self.props.clone())
            .with_schema_root(root_name);
        let mut writer =
            ArrowWriter::try_new_with_options(Vec::new(), Arc::clone(&arrow_schema), options)
                .map_err(parquet_err)?;
        let ctx = Ctx { records };
        for (chunk_index, chunk) in records.chunks(BATCH_ROWS).enumerate() {
            let base = chunk_index * BATCH_ROWS;
            let rows: Vec<usize> = (base..base + chunk.len()).collect();
            let values: Vec<Slot<'_>> = chunk.iter().map(|r| Some(r.value)).collect();
            let is_struct = columns.first().is_some_and(|c| c.top_level_field);
            let per_column: Vec<Vec<Slot<'_>>> = if is_struct {
                if let Some(i) = chunk.iter().position(|r| !r.value.is_object()) {
                    let row = base + i;
                    return Err(ctx.err(
                        row,
                        "",
                        &format!(
                            "expected an object (struct), found {}",
                            describe(ctx.value(row))
                        ),
                    ));
                }
                split_fields(&values, columns.iter().map(|c| c.name))
            } else {
                vec![values]
            };
            let mut arrays = Vec::with_capacity(columns.len());
            for ((c, f), slots) in columns.iter().zip(arrow_schema.fields()).zip(&per_column) {
                arrays.push(build(c.schema, f.data_type(), slots, &rows, c.name, &ctx)?);
            }
            let batch =
                RecordBatch::try_new(Arc::clone(&arrow_schema), arrays).map_err(arrow_err)?;
            writer.write(&batch).map_err(parquet_err)?;
        }
        writer.into_inner().map_err(parquet_err)
    }
}

struct Column<'s> {
    name: &'s str,
    schema: &'s ConnectSchema,
    /// A field of the top-level struct (else the whole value).
    top_level_field: bool,
}

static NULL: Value = Value::Null;

/// One value to put in an array: `None` where a parent is null (masked, always allowed).
type Slot<'v> = Option<&'v Value>;

struct Ctx<'r, 'a> {
    records: &'r [EncodeRecord<'a>],
}

impl Ctx<'_, '_> {
    fn value(&self, row: usize) -> &Value {
        self.records.get(row).map_or(&NULL, |r| r.value)
    }

    fn err(&self, row: usize, path: &str, msg: &str) -> FormatError {
        let at = match self.records.get(row) {
            Some(r) => format!(
                "record at offset {} ({}-{})",
                r.offset, r.topic, r.partition
            ),
            None => format!("record #{row}"),
        };
        if path.is_empty() {
            FormatError::Encode(format!("{at}: {msg}"))
        } else {
            FormatError::Encode(format!("{at}, field {path}: {msg}"))
        }
    }
}

fn parquet_err(e: parquet::errors::ParquetError) -> FormatError {
    FormatError::Encode(format!("parquet: {e}"))
}

fn arrow_err(e: arrow_schema::ArrowError) -> FormatError {
    FormatError::Encode(format!("arrow: {e}"))
}

/// The Arrow type of a schema.
pub fn arrow_type(s: &ConnectSchema) -> Result<DataType, String> {
    Ok(match &s.kind {
        SchemaKind::Int8 => DataType::Int8,
        SchemaKind::Int16 => DataType::Int16,
        SchemaKind::Int32 => DataType::Int32,
        SchemaKind::Int64 => DataType::Int64,
        SchemaKind::Float32 => DataType::Float32,
        SchemaKind::Float64 => DataType::Float64,
        SchemaKind::Boolean => DataType::Boolean,
        SchemaKind::String | SchemaKind::Json => DataType::Utf8,
        SchemaKind::Bytes => DataType::Binary,
        SchemaKind::Decimal { scale, precision } => {
            let (p, s) = decimal_params(*precision, *scale)?;
            if p <= Decimal128Type::MAX_PRECISION {
                DataType::Decimal128(p, s)
            } else {
                DataType::Decimal256(p, s)
            }
        }
        SchemaKind::Date => DataType::Date32,
        SchemaKind::Time => DataType::Time32(TimeUnit::Millisecond),
        SchemaKind::Timestamp => DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        SchemaKind::Array(item) => DataType::List(Arc::new(ArrowField::new(
            "element",
            arrow_type(item)?,
            item.optional,
        ))),
        SchemaKind::Map(k, v) => DataType::Map(map_entries_field(k, v)?, false),
        SchemaKind::Struct(fields) => {
            if fields.is_empty() {
                return Err("a struct with no fields cannot be written to Parquet".to_owned());
            }
            let mut out = Vec::with_capacity(fields.len());
            for f in fields {
                let dt = arrow_type(&f.schema).map_err(|e| format!("{}: {e}", f.name))?;
                out.push(ArrowField::new(f.name.as_str(), dt, f.schema.optional));
            }
            DataType::Struct(Fields::from(out))
        }
    })
}

fn map_entries_field(k: &ConnectSchema, v: &ConnectSchema) -> Result<FieldRef, String> {
    let entries = Fields::from(vec![
        ArrowField::new("key", arrow_type(k)?, false),
        ArrowField::new("value", arrow_type(v)?, v.optional),
    ]);
    Ok(Arc::new(ArrowField::new(
        "key_value",
        DataType::Struct(entries),
        false,
    )))
}

/// Arrow's precision and scale for a Connect decimal: precision 38 unless
/// `connect.decimal.precision` says otherwise (up to 76).
fn decimal_params(precision: Option<u32>, scale: i32) -> Result<(u8, i8), String> {
    let p = precision.unwrap_or(u32::from(Decimal128Type::MAX_PRECISION));
    let p = u8::try_from(p)
        .ok()
        .filter(|p| (1..=Decimal256Type::MAX_PRECISION).contains(p))
        .ok_or_else(|| format!("decimal precision {p} is outside 1..=76"))?;
    let s = i8::try_from(scale)
        .ok()
        .filter(|s| i16::from(*s) <= i16::from(p))
        .ok_or_else(|| format!("decimal scale {scale} does not fit precision {p}"))?;
    Ok((p, s))
}

/// One slot vector per named field: the field's value where the slot is an object, `None`
/// (masked) where it is not.
fn split_fields<'v, 'n>(
    slots: &[Slot<'v>],
    names: impl Iterator<Item = &'n str> + Clone,
) -> Vec<Vec<Slot<'v>>> {
    let mut out: Vec<Vec<Slot<'v>>> = names
        .clone()
        .map(|_| Vec::with_capacity(slots.len()))
        .collect();
    for slot in slots {
        match slot {
            Some(Value::Object(m)) => each_field(m, names.clone(), |i, v| {
                if let Some(col) = out.get_mut(i) {
                    col.push(Some(v));
                }
            }),
            _ => out.iter_mut().for_each(|col| col.push(None)),
        }
    }
    out
}

/// Checks a slot for null: `Ok(None)` for an allowed null, an error for a null in a required
/// position.
fn present<'v>(
    slot: Slot<'v>,
    s: &ConnectSchema,
    row: usize,
    path: &str,
    ctx: &Ctx<'_, '_>,
) -> Result<Option<&'v Value>, FormatError> {
    match slot {
        None => Ok(None),
        Some(Value::Null) if s.optional => Ok(None),
        Some(Value::Null) => Err(ctx.err(row, path, "null for a required (non-optional) field")),
        Some(v) => Ok(Some(v)),
    }
}

fn primitive<T: ArrowPrimitiveType>(
    s: &ConnectSchema,
    slots: &[Slot<'_>],
    rows: &[usize],
    path: &str,
    ctx: &Ctx<'_, '_>,
    conv: impl Fn(&Value) -> Result<T::Native, String>,
) -> Result<PrimitiveArray<T>, FormatError> {
    let mut out = Vec::with_capacity(slots.len());
    for (slot, &row) in slots.iter().zip(rows) {
        out.push(match present(*slot, s, row, path, ctx)? {
            None => None,
            Some(v) => Some(conv(v).map_err(|m| ctx.err(row, path, &m))?),
        });
    }
    Ok(out.into_iter().collect::<PrimitiveArray<T>>())
}

fn int_in(v: &Value, lo: i64, hi: i64, ty: &str) -> Result<i64, String> {
    let n = v
        .as_i64()
        .ok_or_else(|| format!("expected an integer ({ty}), found {}", describe(v)))?;
    if n < lo || n > hi {
        return Err(format!("{n} is out of range for {ty}"));
    }
    Ok(n)
}

fn float(v: &Value, ty: &str) -> Result<f64, String> {
    v.as_f64()
        .ok_or_else(|| format!("expected a number ({ty}), found {}", describe(v)))
}

fn validity(valid: Vec<bool>) -> Option<NullBuffer> {
    if valid.iter().all(|b| *b) {
        None
    } else {
        Some(NullBuffer::from(valid))
    }
}

fn offset(n: usize, row: usize, path: &str, ctx: &Ctx<'_, '_>) -> Result<i32, FormatError> {
    i32::try_from(n).map_err(|_| ctx.err(row, path, "too many elements for one Parquet page"))
}

/// Builds the Arrow array of one schema position from its slots; `rows[i]` is the index of the
/// record `slots[i]` belongs to (for errors).
fn build(
    s: &ConnectSchema,
    dt: &DataType,
    slots: &[Slot<'_>],
    rows: &[usize],
    path: &str,
    ctx: &Ctx<'_, '_>,
) -> Result<ArrayRef, FormatError> {
    let p = path;
    Ok(match (&s.kind, dt) {
        (SchemaKind::Int8, _) => Arc::new(primitive::<Int8Type>(s, slots, rows, p, ctx, |v| {
            int_in(v, i8::MIN.into(), i8::MAX.into(), "int8").map(|n| n as i8)
        })?),
        (SchemaKind::Int16, _) => Arc::new(primitive::<Int16Type>(s, slots, rows, p, ctx, |v| {
            int_in(v, i16::MIN.into(), i16::MAX.into(), "int16").map(|n| n as i16)
        })?),
        (SchemaKind::Int32, _) => Arc::new(primitive::<Int32Type>(s, slots, rows, p, ctx, |v| {
            int_in(v, i32::MIN.into(), i32::MAX.into(), "int32").map(|n| n as i32)
        })?),
        (SchemaKind::Int64, _) => Arc::new(primitive::<Int64Type>(s, slots, rows, p, ctx, |v| {
            int_in(v, i64::MIN, i64::MAX, "int64")
        })?),
        (SchemaKind::Float32, _) => {
            Arc::new(primitive::<Float32Type>(s, slots, rows, p, ctx, |v| {
                float(v, "float").map(|f| f as f32)
            })?)
        }
        (SchemaKind::Float64, _) => {
            Arc::new(primitive::<Float64Type>(s, slots, rows, p, ctx, |v| {
                float(v, "double")
            })?)
        }
        (SchemaKind::Date, _) => Arc::new(primitive::<Date32Type>(s, slots, rows, p, ctx, |v| {
            int_in(v, i32::MIN.into(), i32::MAX.into(), "Date (int32 days)").map(|n| n as i32)
        })?),
        (SchemaKind::Time, _) => Arc::new(primitive::<Time32MillisecondType>(
            s,
            slots,
            rows,
            p,
            ctx,
            |v| int_in(v, 0, 86_399_999, "Time (int32 ms of the day)").map(|n| n as i32),
        )?),
        (SchemaKind::Timestamp, _) => Arc::new(
            primitive::<TimestampMillisecondType>(s, slots, rows, p, ctx, |v| {
                int_in(v, i64::MIN, i64::MAX, "Timestamp (int64 ms)")
            })?
            .with_timezone("UTC"),
        ),
        (SchemaKind::Decimal { scale, .. }, DataType::Decimal128(prec, sc)) => {
            let (prec, sc) = (*prec, *sc);
            let arr = primitive::<Decimal128Type>(s, slots, rows, p, ctx, |v| {
                let n = decimal_unscaled(v, *scale)?;
                n.to_i128()
                    .filter(|n| Decimal128Type::is_valid_decimal_precision(*n, prec))
                    .ok_or_else(|| format!("decimal {} does not fit precision {prec}", describe(v)))
            })?;
            Arc::new(arr.with_precision_and_scale(prec, sc).map_err(arrow_err)?)
        }
        (SchemaKind::Decimal { scale, .. }, DataType::Decimal256(prec, sc)) => {
            let (prec, sc) = (*prec, *sc);
            let arr = primitive::<Decimal256Type>(s, slots, rows, p, ctx, |v| {
                let n = decimal_unscaled(v, *scale)?;
                if Decimal256Type::is_valid_decimal_precision(n, prec) {
                    Ok(n)
                } else {
                    Err(format!(
                        "decimal {} does not fit precision {prec}",
                        describe(v)
                    ))
                }
            })?;
            Arc::new(arr.with_precision_and_scale(prec, sc).map_err(arrow_err)?)
        }
        (SchemaKind::Boolean, _) => {
            let mut out = Vec::with_capacity(slots.len());
            for (slot, &row) in slots.iter().zip(rows) {
                out.push(match present(*slot, s, row, p, ctx)? {
                    None => None,
                    Some(v) => Some(v.as_bool().ok_or_else(|| {
                        ctx.err(
                            row,
                            p,
                            &format!("expected a boolean, found {}", describe(v)),
                        )
                    })?),
                });
            }
            Arc::new(BooleanArray::from(out))
        }
        (SchemaKind::String, _) => {
            let mut out: Vec<Option<&str>> = Vec::with_capacity(slots.len());
            for (slot, &row) in slots.iter().zip(rows) {
                out.push(match present(*slot, s, row, p, ctx)? {
                    None => None,
                    Some(v) => Some(v.as_str().ok_or_else(|| {
                        ctx.err(row, p, &format!("expected a string, found {}", describe(v)))
                    })?),
                });
            }
            Arc::new(StringArray::from(out))
        }
        (SchemaKind::Json, _) => {
            let mut out: Vec<Option<String>> = Vec::with_capacity(slots.len());
            for (slot, &row) in slots.iter().zip(rows) {
                out.push(present(*slot, s, row, p, ctx)?.map(json_text));
            }
            Arc::new(StringArray::from(out))
        }
        (SchemaKind::Bytes, _) => {
            let mut out: Vec<Option<Vec<u8>>> = Vec::with_capacity(slots.len());
            for (slot, &row) in slots.iter().zip(rows) {
                out.push(match present(*slot, s, row, p, ctx)? {
                    None => None,
                    Some(v) => Some(base64_bytes(v).map_err(|m| ctx.err(row, p, &m))?),
                });
            }
            Arc::new(BinaryArray::from_iter(out))
        }
        (SchemaKind::Struct(fields), DataType::Struct(afields)) => {
            let mut valid = Vec::with_capacity(slots.len());
            for (slot, &row) in slots.iter().zip(rows) {
                valid.push(match present(*slot, s, row, p, ctx)? {
                    None => false,
                    Some(Value::Object(_)) => true,
                    Some(v) => {
                        return Err(ctx.err(
                            row,
                            p,
                            &format!("expected an object (struct), found {}", describe(v)),
                        ));
                    }
                });
            }
            let per_field = split_fields(slots, fields.iter().map(|f| f.name.as_str()));
            let mut children = Vec::with_capacity(fields.len());
            for ((f, af), child) in fields.iter().zip(afields.iter()).zip(&per_field) {
                let cpath = format!("{p}.{}", f.name);
                children.push(build(&f.schema, af.data_type(), child, rows, &cpath, ctx)?);
            }
            Arc::new(
                StructArray::try_new(afields.clone(), children, validity(valid))
                    .map_err(arrow_err)?,
            )
        }
        (SchemaKind::Array(item), DataType::List(afield)) => {
            let mut valid = Vec::with_capacity(slots.len());
            let mut offsets = Vec::with_capacity(slots.len() + 1);
            offsets.push(0i32);
            let mut child: Vec<Slot<'_>> = Vec::new();
            let mut child_rows = Vec::new();
            for (slot, &row) in slots.iter().zip(rows) {
                match present(*slot, s, row, p, ctx)? {
                    None => valid.push(false),
                    Some(Value::Array(items)) => {
                        valid.push(true);
                        for it in items {
                            child.push(Some(it));
                            child_rows.push(row);
                        }
                    }
                    Some(v) => {
                        return Err(ctx.err(
                            row,
                            p,
                            &format!("expected an array, found {}", describe(v)),
                        ));
                    }
                }
                offsets.push(offset(child.len(), row, p, ctx)?);
            }
            let cpath = format!("{p}[]");
            let values = build(item, afield.data_type(), &child, &child_rows, &cpath, ctx)?;
            Arc::new(
                ListArray::try_new(
                    Arc::clone(afield),
                    OffsetBuffer::new(ScalarBuffer::from(offsets)),
                    values,
                    validity(valid),
                )
                .map_err(arrow_err)?,
            )
        }
        (SchemaKind::Map(k, v), DataType::Map(entries_field, _)) => {
            build_map(s, k, v, entries_field, slots, rows, p, ctx)?
        }
        (kind, dt) => {
            return Err(FormatError::Encode(format!(
                "field {p}: internal error: schema {kind:?} does not match Arrow type {dt}"
            )));
        }
    })
}

#[allow(clippy::too_many_arguments)]
fn build_map(
    s: &ConnectSchema,
    k: &ConnectSchema,
    v: &ConnectSchema,
    entries_field: &FieldRef,
    slots: &[Slot<'_>],
    rows: &[usize],
    p: &str,
    ctx: &Ctx<'_, '_>,
) -> Result<ArrayRef, FormatError> {
    let DataType::Struct(entry_fields) = entries_field.data_type() else {
        return Err(FormatError::Encode(format!(
            "field {p}: internal error: map entries are not a struct"
        )));
    };
    // Object keys become owned JSON strings so keys of both JSON forms (an object, or an array
    // of [key, value] pairs) are `&Value`s.
    let mut key_arena: Vec<Value> = Vec::new();
    for slot in slots {
        if let Some(Value::Object(m)) = slot {
            key_arena.extend(m.keys().map(|key| Value::String(key.clone())));
        }
    }
    let mut arena_keys = key_arena.iter();
    let mut keys: Vec<Slot<'_>> = Vec::new();
    let mut values: Vec<Slot<'_>> = Vec::new();
    let mut entry_rows = Vec::new();
    let mut valid = Vec::with_capacity(slots.len());
    let mut offsets = Vec::with_capacity(slots.len() + 1);
    offsets.push(0i32);
    for (slot, &row) in slots.iter().zip(rows) {
        match present(*slot, s, row, p, ctx)? {
            None => valid.push(false),
            Some(Value::Object(m)) => {
                valid.push(true);
                for value in m.values() {
                    keys.push(arena_keys.next());
                    values.push(Some(value));
                    entry_rows.push(row);
                }
            }
            Some(Value::Array(pairs)) => {
                valid.push(true);
                for pair in pairs {
                    match pair.as_array().map(Vec::as_slice) {
                        Some([key, value]) => {
                            keys.push(Some(key));
                            values.push(Some(value));
                            entry_rows.push(row);
                        }
                        _ => {
                            return Err(ctx.err(
                                row,
                                p,
                                &format!("expected a [key, value] pair, found {}", describe(pair)),
                            ));
                        }
                    }
                }
            }
            Some(other) => {
                return Err(ctx.err(
                    row,
                    p,
                    &format!("expected a map (object), found {}", describe(other)),
                ));
            }
        }
        offsets.push(offset(keys.len(), row, p, ctx)?);
    }
    let key_schema = ConnectSchema {
        optional: false,
        ..k.clone()
    };
    let (kf, vf) = match (entry_fields.first(), entry_fields.get(1)) {
        (Some(kf), Some(vf)) => (kf, vf),
        _ => {
            return Err(FormatError::Encode(format!(
                "field {p}: internal error: map entries need two fields"
            )));
        }
    };
    let key_array = build(
        &key_schema,
        kf.data_type(),
        &keys,
        &entry_rows,
        &format!("{p}.<key>"),
        ctx,
    )?;
    let value_array = build(
        v,
        vf.data_type(),
        &values,
        &entry_rows,
        &format!("{p}.<value>"),
        ctx,
    )?;
    let entries = StructArray::try_new(entry_fields.clone(), vec![key_array, value_array], None)
        .map_err(arrow_err)?;
    Ok(Arc::new(
        MapArray::try_new(
            Arc::clone(entries_field),
            OffsetBuffer::new(ScalarBuffer::from(offsets)),
            entries,
            validity(valid),
            false,
        )
        .map_err(arrow_err)?,
    ))
}

/// Decodes Connect's JSON form of `bytes`: standard base64.
pub(crate) fn base64_bytes(v: &Value) -> Result<Vec<u8>, String> {
    let text = v
        .as_str()
        .ok_or_else(|| format!("expected base64 bytes, found {}", describe(v)))?;
    STANDARD
        .decode(text)
        .map_err(|e| format!("bad base64 bytes {}: {e}", describe(v)))
}

/// The unscaled value of a Connect decimal: base64 of the big-endian two's complement bytes
/// (`decimal.format=BASE64`, the default), or a JSON number (`decimal.format=NUMERIC`) rescaled
/// to `scale` without rounding.
pub(crate) fn decimal_unscaled(v: &Value, scale: i32) -> Result<i256, String> {
    match v {
        Value::String(_) => {
            let bytes = base64_bytes(v)?;
            if bytes.is_empty() {
                return Err("empty decimal bytes".to_owned());
            }
            if bytes.len() > 32 {
                return Err(format!(
                    "decimal of {} bytes is too large (at most 32)",
                    bytes.len()
                ));
            }
            let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
            let mut be = if negative { [0xffu8; 32] } else { [0u8; 32] };
            let start = 32 - bytes.len();
            if let Some(dst) = be.get_mut(start..) {
                dst.copy_from_slice(&bytes);
            }
            Ok(i256::from_be_bytes(be))
        }
        Value::Number(n) => decimal_from_text(&n.to_string(), scale)
            .ok_or_else(|| format!("number {n} does not fit a decimal of scale {scale}")),
        other => Err(format!(
            "expected a decimal (base64 bytes or a number), found {}",
            describe(other)
        )),
    }
}

/// Parses decimal text (`-12.5`, `1e3`) into an unscaled integer at `scale`; `None` when it
/// would need rounding or overflows.
fn decimal_from_text(text: &str, scale: i32) -> Option<i256> {
    let (mantissa, exp) = match text.find(['e', 'E']) {
        Some(i) => (text.get(..i)?, text.get(i + 1..)?.parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (negative, digits) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let all: String = [int_part, frac_part].concat();
    if !all.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // value = all * 10^(exp - frac_len); unscaled = value * 10^scale
    let shift = i64::from(exp) - frac_part.len() as i64 + i64::from(scale);
    let ten = i256::from_i128(10);
    let mut n = i256::ZERO;
    let digits: Vec<u8> = all.bytes().map(|b| b - b'0').collect();
    let keep = if shift >= 0 {
        digits.len()
    } else {
        let drop = usize::try_from(-shift).ok()?;
        let keep = digits.len().saturating_sub(drop);
        if digits.get(keep..)?.iter().any(|d| *d != 0) {
            return None;
        }
        keep
    };
    for d in digits.get(..keep)? {
        n = n
            .checked_mul(ten)?
            .checked_add(i256::from_i128(i128::from(*d)))?;
    }
    if shift > 0 {
        n = n.checked_mul(ten.checked_pow(u32::try_from(shift).ok()?)?)?;
    }
    if negative { n.checked_neg() } else { Some(n) }
}

/// The minimal big-endian two's complement bytes of an unscaled decimal, as Java's
/// `BigInteger.toByteArray` gives them.
pub(crate) fn decimal_bytes(n: i256) -> Vec<u8> {
    let be = n.to_be_bytes();
    let negative = n.is_negative();
    let mut start = 0;
    while start < 31 {
        let (Some(&b), Some(&next)) = (be.get(start), be.get(start + 1)) else {
            break;
        };
        let redundant = if negative {
            b == 0xff && next & 0x80 != 0
        } else {
            b == 0 && next & 0x80 == 0
        };
        if !redundant {
            break;
        }
        start += 1;
    }
    be.get(start..).map(<[u8]>::to_vec).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use serde_json::json;

    fn recs<'a>(values: &'a [Value], schema: Option<&'a Value>) -> Vec<EncodeRecord<'a>> {
        crate::format::schema::test_records(values, schema, 3, 100)
    }

    fn read(bytes: Vec<u8>) -> Vec<RecordBatch> {
        ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
            .unwrap()
            .build()
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    }

    #[test]
    fn codecs_parse_and_name_extensions() {
        assert_eq!(ParquetCodec::parse("SNAPPY"), Some(ParquetCodec::Snappy));
        assert_eq!(
            ParquetCodec::parse("uncompressed"),
            Some(ParquetCodec::None)
        );
        assert_eq!(ParquetCodec::parse("none"), Some(ParquetCodec::None));
        assert_eq!(ParquetCodec::parse("Brotli"), Some(ParquetCodec::Brotli));
        assert_eq!(ParquetCodec::parse("lzo"), None);
        assert_eq!(ParquetCodec::default(), ParquetCodec::Snappy);
        for (c, ext) in [
            (ParquetCodec::Snappy, ".snappy.parquet"),
            (ParquetCodec::Gzip, ".gz.parquet"),
            (ParquetCodec::Zstd, ".zstd.parquet"),
            (ParquetCodec::Lz4, ".lz4hadoop.parquet"),
            (ParquetCodec::Lz4Raw, ".lz4raw.parquet"),
            (ParquetCodec::Brotli, ".br.parquet"),
            (ParquetCodec::None, ".parquet"),
        ] {
            assert_eq!(ParquetFormat::new(c).extension(), ext);
            assert_eq!(ParquetCodec::parse(c.name()), Some(c));
        }
    }

    #[test]
    fn decimal_text_and_bytes() {
        let d = |t: &str, s: i32| decimal_from_text(t, s).map(|n| n.to_i128().unwrap());
        assert_eq!(d("29.99", 2), Some(2999));
        assert_eq!(d("-29.9", 2), Some(-2990));
        assert_eq!(d("1e3", 0), Some(1000));
        assert_eq!(d("1.5e-1", 2), Some(15));
        assert_eq!(d("1.005", 2), None);
        assert_eq!(d("1.000", 2), Some(100));
        assert_eq!(d("12", -1), None);
        assert_eq!(d("120", -1), Some(12));
        assert_eq!(d("abc", 0), None);
        for n in [
            0i128,
            1,
            -1,
            127,
            128,
            -128,
            -129,
            255,
            2999,
            -2999,
            i64::MAX as i128,
        ] {
            let bytes = decimal_bytes(i256::from_i128(n));
            let v = Value::String(STANDARD.encode(&bytes));
            assert_eq!(decimal_unscaled(&v, 0).unwrap().to_i128(), Some(n), "{n}");
        }
        assert_eq!(decimal_bytes(i256::from_i128(128)), vec![0, 128]);
        assert_eq!(decimal_bytes(i256::from_i128(-128)), vec![128]);
        assert_eq!(decimal_bytes(i256::from_i128(0)), vec![0]);
        assert_eq!(decimal_bytes(i256::from_i128(-1)), vec![0xff]);
    }

    #[test]
    fn top_level_scalar_is_a_value_column() {
        let vals = [json!("a"), json!("b")];
        let out = ParquetFormat::new(ParquetCodec::None)
            .encode(&recs(&vals, None))
            .unwrap();
        let batches = read(out);
        let col = batches[0]
            .column_by_name("value")
            .unwrap()
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert_eq!(col.value(0), "a");
        assert_eq!(col.value(1), "b");
    }

    #[test]
    fn type_mismatch_names_offset_and_field() {
        let schema = json!({"type":"struct","fields":[
            {"type":"struct","optional":true,"field":"c","fields":[{"type":"int32","field":"n"}]}
        ]});
        let vals = [
            json!({"c": {"n": 1}}),
            json!({"c": null}),
            json!({"c": {"n": "x"}}),
        ];
        let err = ParquetFormat::new(ParquetCodec::None)
            .encode(&recs(&vals, Some(&schema)))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "cannot encode record: record at offset 102 (t-3), field c.n: expected an integer \
             (int32), found \"x\""
        );
        let vals = [json!({"c": {"n": null}})];
        let err = ParquetFormat::new(ParquetCodec::None)
            .encode(&recs(&vals, Some(&schema)))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("offset 100") && err.contains("field c.n: null"),
            "{err}"
        );
    }

    #[test]
    fn masked_children_of_null_structs_are_allowed() {
        let schema = json!({"type":"struct","fields":[
            {"type":"struct","optional":true,"field":"c","fields":[{"type":"int32","field":"n"}]},
            {"type":"array","optional":true,"items":{"type":"string"},"field":"a"},
            {"type":"map","optional":true,"keys":{"type":"string"},"values":{"type":"int64"},"field":"m"}
        ]});
        let vals = [
            json!({"c": null, "a": null, "m": null}),
            json!({"c": {"n": 5}, "a": ["x"], "m": {"k": 1}}),
        ];
        let out = ParquetFormat::new(ParquetCodec::Snappy)
            .encode(&recs(&vals, Some(&schema)))
            .unwrap();
        let b = &read(out)[0];
        assert_eq!(b.num_rows(), 2);
        assert!(b.column(0).is_null(0));
        assert!(b.column(1).is_null(0));
        assert!(b.column(2).is_null(0));
        assert!(b.column(2).is_valid(1));
    }
}

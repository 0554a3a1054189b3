//! `JsonFormat`: one JSON value per line, optionally gzip-compressed, with the bytes Confluent
//! writes.
//!
//! Confluent's `JsonRecordWriterProvider` writes a `Struct` value through Kafka's
//! `JsonConverter` (schemas off, `decimal.format` from `json.decimal.format`) and every other
//! value through a plain Jackson `ObjectMapper`. Both render numbers and strings the Jackson way,
//! which differs from serde_json's defaults:
//!
//! * a double is written as Java's `Double.toString` (`1.0E20`, `1.23456789E7`, `100.0`,
//!   `1.0E-4`), a Connect `float` field as `Float.toString`;
//! * control characters use the short escapes `\b \t \n \f \r`, the others `\u00XX` with
//!   upper-case hex; DEL and non-ASCII characters are written as they are;
//! * a `Decimal` of a struct value is base64 text (`BASE64`) or a number written as
//!   `BigDecimal.toString()` (`NUMERIC`); inside a non-struct value Jackson writes every
//!   `BigDecimal` as a number;
//! * a null struct field whose schema has a default is written as the default, because the
//!   format's own converter keeps `replace.null.with.default` at its default, true.
//!
//! Schemaless records are written straight from their JSON value; only records with a Connect
//! schema are walked together with it.

use std::io::{self, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::ser::{CharEscape, Formatter};

use super::parquet::{decimal_bytes, decimal_unscaled};
use super::schema::{DECIMAL, DECIMAL_SCALE_PARAM};
use super::{Compression, EncodeRecord, FormatError};

/// How a Connect `Decimal` in a struct value is written (`json.decimal.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalFormat {
    /// Base64 of the unscaled value's big-endian two's complement bytes (Confluent's default).
    #[default]
    Base64,
    /// A JSON number, as Java's `BigDecimal.toString()` writes it (`15.990`, `1E+20`).
    Numeric,
}

impl DecimalFormat {
    /// `BASE64` or `NUMERIC`, in any case, as Kafka's `JsonConverterConfig` accepts them.
    pub fn parse(text: &str) -> Option<DecimalFormat> {
        if text.eq_ignore_ascii_case("BASE64") {
            Some(DecimalFormat::Base64)
        } else if text.eq_ignore_ascii_case("NUMERIC") {
            Some(DecimalFormat::Numeric)
        } else {
            None
        }
    }
}

/// Writes each record value as one line of compact JSON, as Confluent's `JsonFormat` does.
#[derive(Debug, Clone)]
pub struct JsonFormat {
    compression: Compression,
    decimal_format: DecimalFormat,
}

impl JsonFormat {
    /// Confluent's class name.
    pub const CLASS: &'static str = "io.confluent.connect.s3.format.json.JsonFormat";

    /// A JSON format with the given compression, writing decimals as base64 (Confluent's
    /// default `json.decimal.format`).
    pub fn new(compression: Compression) -> JsonFormat {
        JsonFormat {
            compression,
            decimal_format: DecimalFormat::Base64,
        }
    }

    /// The same format writing struct decimals as `json.decimal.format` says.
    pub fn with_decimal_format(mut self, decimal_format: DecimalFormat) -> JsonFormat {
        self.decimal_format = decimal_format;
        self
    }

    /// `.json` or `.json.gz`.
    pub fn extension(&self) -> &'static str {
        match self.compression {
            Compression::None => ".json",
            Compression::Gzip { .. } => ".json.gz",
        }
    }

    /// Whether files are gzip-compressed (`s3.compression.type=gzip`).
    pub fn compressed(&self) -> bool {
        matches!(self.compression, Compression::Gzip { .. })
    }

    /// Encodes record values as JSON lines, each followed by `\n`.
    pub fn encode(&self, records: &[EncodeRecord<'_>]) -> Result<Vec<u8>, FormatError> {
        let mut plain = Vec::with_capacity(records.len() * 128);
        for r in records {
            match r.schema {
                None => write_plain(&mut plain, r.value)?,
                Some(schema) => {
                    // JsonConverter handles Struct values; Jackson everything else.
                    let walk = if type_of(schema) == Some("struct") {
                        Walk {
                            decimal: self.decimal_format,
                            replace_null_with_default: true,
                        }
                    } else {
                        Walk {
                            decimal: DecimalFormat::Numeric,
                            replace_null_with_default: false,
                        }
                    };
                    walk.write(&mut plain, r.value, schema).map_err(|m| {
                        FormatError::Encode(format!(
                            "record at offset {} ({}-{}): {m}",
                            r.offset, r.topic, r.partition
                        ))
                    })?;
                }
            }
            plain.push(b'\n');
        }
        Ok(self.compression.apply(plain)?)
    }
}

impl JsonFormat {
    /// Encodes a file whose records are each either rendered by [`SchemalessRenderer`] (a
    /// line with its `\n`) or a record to encode as [`JsonFormat::encode`] does, each line
    /// followed by `\n`.
    pub fn encode_lines<'a>(
        &self,
        lines: impl Iterator<Item = JsonLine<'a>>,
    ) -> Result<Vec<u8>, FormatError> {
        let plain_format = JsonFormat {
            compression: Compression::None,
            decimal_format: self.decimal_format,
        };
        let mut plain = Vec::new();
        for line in lines {
            match line {
                JsonLine::Rendered(v) => plain.extend_from_slice(v),
                JsonLine::Record(r) => {
                    plain.extend_from_slice(&plain_format.encode(std::slice::from_ref(&r))?)
                }
            }
        }
        Ok(self.compression.apply(plain)?)
    }
}

/// One line of a JSON file: a value already rendered (with its `\n`), or a record to encode.
pub enum JsonLine<'a> {
    Rendered(&'a [u8]),
    Record(EncodeRecord<'a>),
}

/// serde_json's compact output with Jackson's number and escape forms.
#[derive(Debug, Clone, Copy, Default)]
struct JacksonFormatter;

impl Formatter for JacksonFormatter {
    fn write_f64<W: ?Sized + Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        if !value.is_finite() {
            // Not reachable from JSON input; Jackson quotes non-finite numbers by default.
            return writer.write_all(java_non_finite(value.is_nan(), value > 0.0));
        }
        let mut buf = ryu::Buffer::new();
        let shortest = buf.format_finite(value);
        if value != 0.0
            && value.abs() < f64::MIN_POSITIVE
            && let Some(two) = two_digits(shortest, value)
        {
            return write_java_float(writer, &two);
        }
        write_java_float(writer, shortest)
    }

    fn write_f32<W: ?Sized + Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        if !value.is_finite() {
            return writer.write_all(java_non_finite(value.is_nan(), value > 0.0));
        }
        let mut buf = ryu::Buffer::new();
        let shortest = buf.format_finite(value);
        if value != 0.0
            && value.abs() < f32::MIN_POSITIVE
            && let Some(two) = two_digits(shortest, value)
        {
            return write_java_float(writer, &two);
        }
        write_java_float(writer, shortest)
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        char_escape: CharEscape,
    ) -> io::Result<()> {
        let short = match char_escape {
            CharEscape::Quote => b'"',
            CharEscape::ReverseSolidus => b'\\',
            CharEscape::Solidus => b'/',
            CharEscape::Backspace => b'b',
            CharEscape::FormFeed => b'f',
            CharEscape::LineFeed => b'n',
            CharEscape::CarriageReturn => b'r',
            CharEscape::Tab => b't',
            CharEscape::AsciiControl(byte) => {
                // Jackson's hex digits are upper case (`\u001B`); serde_json's are lower.
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                let hi = HEX.get(usize::from(byte >> 4)).copied().unwrap_or(b'0');
                let lo = HEX.get(usize::from(byte & 0xf)).copied().unwrap_or(b'0');
                return writer.write_all(&[b'\\', b'u', b'0', b'0', hi, lo]);
            }
        };
        writer.write_all(&[b'\\', short])
    }
}

/// Java prints at least two significant digits, choosing the two-digit decimal closest to the
/// value when the shortest has one (`Double.MIN_VALUE` is `4.9E-324`, not `5.0E-324`). Only
/// subnormals have so few bits that this differs from padding the one digit with a zero.
fn two_digits<F>(shortest: &str, value: F) -> Option<String>
where
    F: std::fmt::LowerExp + std::str::FromStr + PartialEq,
{
    let significant = shortest
        .bytes()
        .take_while(|b| *b != b'e')
        .filter(|b| b.is_ascii_digit())
        .skip_while(|b| *b == b'0')
        .collect::<Vec<u8>>();
    let one_digit = significant.iter().rev().skip_while(|b| **b == b'0').count() == 1;
    if !one_digit {
        return None;
    }
    // `{:.1e}` is the exact value correctly rounded to two digits.
    let two = format!("{value:.1e}");
    (two.parse::<F>().ok()? == value).then_some(two)
}

fn java_non_finite(nan: bool, positive: bool) -> &'static [u8] {
    match (nan, positive) {
        (true, _) => b"\"NaN\"",
        (false, true) => b"\"Infinity\"",
        (false, false) => b"\"-Infinity\"",
    }
}

/// Lays out ryu's shortest digits (`1e20`, `0.0001`, `123.0`) the way Java's
/// `Double.toString`/`Float.toString` do (JDK 19+, which also print the shortest digits):
/// plain with at least one fractional digit for 10^-3 <= |x| < 10^7, otherwise
/// `d.dddE[-]n`.
fn write_java_float<W: ?Sized + Write>(writer: &mut W, shortest: &str) -> io::Result<()> {
    let (negative, text) = match shortest.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, shortest),
    };
    let (mantissa, exp) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // ryu writes at most 17 significant digits plus up to 16 padding zeros.
    let mut digits = [0u8; 48];
    let mut len = 0;
    for (slot, d) in digits
        .iter_mut()
        .zip(int.bytes().chain(frac.bytes()).filter(u8::is_ascii_digit))
    {
        *slot = d;
        len += 1;
    }
    let all = digits.get(..len).unwrap_or_default();
    let leading = all.iter().take_while(|d| **d == b'0').count();
    let sig = all.get(leading..).unwrap_or_default();
    let trailing = sig.iter().rev().take_while(|d| **d == b'0').count();
    let sig = sig.get(..sig.len() - trailing).unwrap_or_default();
    if negative {
        writer.write_all(b"-")?;
    }
    if sig.is_empty() {
        return writer.write_all(b"0.0");
    }
    // The decimal exponent of the first significant digit.
    let e = int.len() as i32 - 1 - leading as i32 + exp;
    if (-3..7).contains(&e) {
        if e >= 0 {
            let int_len = e as usize + 1;
            let (head, tail) = sig.split_at(int_len.min(sig.len()));
            writer.write_all(head)?;
            for _ in head.len()..int_len {
                writer.write_all(b"0")?;
            }
            writer.write_all(b".")?;
            writer.write_all(if tail.is_empty() {
                b"0".as_slice()
            } else {
                tail
            })
        } else {
            writer.write_all(b"0.")?;
            for _ in 0..(-e - 1) {
                writer.write_all(b"0")?;
            }
            writer.write_all(sig)
        }
    } else {
        let (first, rest) = sig.split_at(1);
        writer.write_all(first)?;
        writer.write_all(b".")?;
        writer.write_all(if rest.is_empty() {
            b"0".as_slice()
        } else {
            rest
        })?;
        write!(writer, "E{e}")
    }
}

/// Java's `BigDecimal.toString()` of `unscaled × 10^-scale`: plain when the scale is not
/// negative and the adjusted exponent is at least -6, otherwise scientific with a signed
/// exponent (`1E+20`, `1.5E-7`). Trailing zeros are kept (`15.990`).
fn big_decimal_string(unscaled: &str, scale: i32) -> String {
    let (negative, coeff) = match unscaled.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, unscaled),
    };
    let mut out = String::with_capacity(coeff.len() + 8);
    if negative {
        out.push('-');
    }
    let adjusted = coeff.len() as i64 - 1 - i64::from(scale);
    if scale == 0 {
        out.push_str(coeff);
    } else if scale > 0 && adjusted >= -6 {
        let scale = scale as usize;
        if coeff.len() > scale {
            let (int, frac) = coeff.split_at(coeff.len() - scale);
            out.push_str(int);
            out.push('.');
            out.push_str(frac);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', scale - coeff.len()));
            out.push_str(coeff);
        }
    } else {
        let (first, rest) = coeff.split_at(1.min(coeff.len()));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('E');
        if adjusted >= 0 {
            out.push('+');
        }
        out.push_str(&adjusted.to_string());
    }
    out
}

/// Writes a value with no schema information, as Jackson would.
fn write_plain<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), FormatError> {
    value
        .serialize(&mut serde_json::Serializer::with_formatter(
            &mut *out,
            JacksonFormatter,
        ))
        .map_err(|e| FormatError::Encode(e.to_string()))
}

fn type_of(schema: &Value) -> Option<&str> {
    schema.get("type").and_then(Value::as_str)
}

/// How a schema'd value is written: by `JsonConverter` (a struct value) or by Jackson.
#[derive(Debug, Clone, Copy)]
struct Walk {
    decimal: DecimalFormat,
    replace_null_with_default: bool,
}

impl Walk {
    /// Writes `value` using its Connect schema for the choices the JSON value alone cannot
    /// make: float width, decimals and defaults. Anything the schema does not describe is
    /// written as it is.
    fn write(self, out: &mut Vec<u8>, value: &Value, schema: &Value) -> Result<(), String> {
        if value.is_null() {
            return match schema.get("default") {
                Some(default) if self.replace_null_with_default && !default.is_null() => {
                    self.write(out, default, schema)
                }
                _ => {
                    out.extend_from_slice(b"null");
                    Ok(())
                }
            };
        }
        match (type_of(schema), value) {
            (Some("struct"), Value::Object(map)) => {
                let fields = schema
                    .get("fields")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                out.push(b'{');
                for (i, (name, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    plain(out, name.as_str())?;
                    out.push(b':');
                    // Converted values hold the schema's fields in its order, so the i-th
                    // field is nearly always the one; search only when a transform reordered.
                    let field = fields
                        .get(i)
                        .filter(|f| field_name(f) == Some(name.as_str()))
                        .or_else(|| fields.iter().find(|f| field_name(f) == Some(name.as_str())));
                    match field {
                        Some(f) => self
                            .write(out, v, f)
                            .map_err(|m| format!("field {name:?}: {m}"))?,
                        None => plain(out, v)?,
                    }
                }
                out.push(b'}');
                Ok(())
            }
            (Some("array"), Value::Array(items)) => {
                let item_schema = schema.get("items");
                out.push(b'[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    match item_schema {
                        Some(s) => self.write(out, v, s)?,
                        None => plain(out, v)?,
                    }
                }
                out.push(b']');
                Ok(())
            }
            (Some("map"), Value::Object(map)) => {
                let value_schema = schema.get("values");
                out.push(b'{');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    plain(out, k.as_str())?;
                    out.push(b':');
                    match value_schema {
                        Some(s) => self.write(out, v, s)?,
                        None => plain(out, v)?,
                    }
                }
                out.push(b'}');
                Ok(())
            }
            (Some("map"), Value::Array(pairs)) => {
                // Maps with non-string keys are `[key, value]` pairs in Connect's JSON.
                let (key_schema, value_schema) = (schema.get("keys"), schema.get("values"));
                out.push(b'[');
                for (i, pair) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    match (pair.as_array().map(Vec::as_slice), key_schema, value_schema) {
                        (Some([k, v]), Some(ks), Some(vs)) => {
                            out.push(b'[');
                            self.write(out, k, ks)?;
                            out.push(b',');
                            self.write(out, v, vs)?;
                            out.push(b']');
                        }
                        _ => plain(out, pair)?,
                    }
                }
                out.push(b']');
                Ok(())
            }
            (Some("float"), Value::Number(n)) => {
                // Connect holds a float field as a Java float; Float.toString prints it.
                let f = n.as_f64().unwrap_or_default() as f32;
                plain(out, &f)
            }
            (Some("bytes"), _) if schema.get("name").and_then(Value::as_str) == Some(DECIMAL) => {
                self.write_decimal(out, value, schema)
            }
            _ => plain(out, value),
        }
    }

    fn write_decimal(self, out: &mut Vec<u8>, value: &Value, schema: &Value) -> Result<(), String> {
        let scale = decimal_scale(schema)?;
        let unscaled = decimal_unscaled(value, scale)?;
        match self.decimal {
            DecimalFormat::Base64 => plain(out, &STANDARD.encode(decimal_bytes(unscaled))),
            DecimalFormat::Numeric => {
                out.extend_from_slice(big_decimal_string(&unscaled.to_string(), scale).as_bytes());
                Ok(())
            }
        }
    }
}

fn field_name(field: &Value) -> Option<&str> {
    field.get("field").and_then(Value::as_str)
}

fn plain<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), String> {
    write_plain(out, value).map_err(|e| e.to_string())
}

/// The `scale` parameter of a Connect `Decimal` schema.
pub(crate) fn decimal_scale(schema: &Value) -> Result<i32, String> {
    let text = schema
        .get("parameters")
        .and_then(|p| p.get(DECIMAL_SCALE_PARAM))
        .ok_or_else(|| "Decimal schema has no \"scale\" parameter".to_owned())?;
    match text {
        Value::String(s) => s.parse::<i32>().ok(),
        Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()),
        _ => None,
    }
    .ok_or_else(|| format!("Decimal schema has a bad \"scale\" parameter {text}"))
}

/// Schemaless JSON text rendered as [`JsonFormat`] writes it, without building its DOM.
///
/// `render_schemaless` streams the text through serde_json's parser straight into Jackson's
/// form: the same parser events `serde_json::Value` is built from, written with the same
/// formatter, so the bytes are those [`JsonFormat::encode`] writes for the parsed value. Only
/// the top-level fields named in `capture` (the fields a partitioner reads) are kept, as a
/// `Value`. A DOM would cost an allocation per object, key and string of every record, and
/// most of them are never looked at.
#[derive(Debug, Default)]
pub struct SchemalessRenderer {
    /// Key hashes of the objects being rendered, a stack: duplicate keys are detected per
    /// object without allocating.
    keys: Vec<u64>,
}

/// What [`SchemalessRenderer::render`] found at the top of a value.
#[derive(Debug, PartialEq)]
pub enum RenderedValue {
    /// An object; the captured fields, in text order (the last of a repeated name wins, as
    /// in the DOM).
    Object(serde_json::Map<String, Value>),
    /// Anything else but `null`.
    Other,
}

impl SchemalessRenderer {
    /// Appends the Jackson rendering of `text` (no newline) to `out` and returns the captured
    /// top-level fields. `None`, with `out` left in an unspecified state past its old length,
    /// when the text must take the DOM path to behave exactly as before: it is not valid
    /// JSON (the DOM path words the error), it is `null` (a tombstone for the converter), or
    /// an object repeats a key (the DOM keeps one, at the first position).
    pub fn render(
        &mut self,
        text: &[u8],
        capture: &[String],
        out: &mut Vec<u8>,
    ) -> Option<RenderedValue> {
        self.keys.clear();
        let mut de = serde_json::Deserializer::from_slice(text);
        let top = Render {
            out,
            keys: &mut self.keys,
            capture,
        }
        .deserialize(&mut de)
        .ok()?;
        de.end().ok()?;
        top
    }
}

struct Render<'a> {
    out: &'a mut Vec<u8>,
    keys: &'a mut Vec<u64>,
    /// Top-level fields to keep (empty below the top level).
    capture: &'a [String],
}

/// Objects up to this many keys are checked for repeats key by key.
const LINEAR_KEYS: usize = 32;

/// An object key, borrowed from the text unless it has escapes.
struct KeyText;

impl<'de> DeserializeSeed<'de> for KeyText {
    type Value = std::borrow::Cow<'de, str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyText {
    type Value = std::borrow::Cow<'de, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Borrowed(v))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Owned(v.to_owned()))
    }
}

/// FNV-1a: a fast hash for the duplicate-key check. A collision only sends the record down
/// the DOM path, which is always correct.
fn key_hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A string borrowed from the value's text, which serde_json hands over only when it holds no
/// escape. Valid JSON text holds no unescaped `"`, `\` or control character (serde_json
/// refuses one), and those are all the formatter escapes, so the string is written as it is:
/// what [`render_str`] would write, without looking at every byte for an escape again.
fn render_unescaped_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

fn render_str<E: serde::de::Error>(out: &mut Vec<u8>, s: &str) -> Result<(), E> {
    serde::Serializer::serialize_str(
        &mut serde_json::Serializer::with_formatter(&mut *out, JacksonFormatter),
        s,
    )
    .map_err(E::custom)
}

impl<'de> DeserializeSeed<'de> for Render<'_> {
    type Value = Option<RenderedValue>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Render<'_> {
    /// `None` for `null`.
    type Value = Option<RenderedValue>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(Some(RenderedValue::Other))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        JacksonFormatter.write_i64(self.out, v).map_err(E::custom)?;
        Ok(Some(RenderedValue::Other))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        JacksonFormatter.write_u64(self.out, v).map_err(E::custom)?;
        Ok(Some(RenderedValue::Other))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // As `Value` holds it: a number that is not finite becomes null.
        if v.is_finite() {
            JacksonFormatter.write_f64(self.out, v).map_err(E::custom)?;
        } else {
            self.out.extend_from_slice(b"null");
        }
        Ok(Some(RenderedValue::Other))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        render_str(self.out, v)?;
        Ok(Some(RenderedValue::Other))
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        render_unescaped_str(self.out, v);
        Ok(Some(RenderedValue::Other))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        self.out.extend_from_slice(b"null");
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        self.out.push(b'[');
        let mut first = true;
        loop {
            let at = self.out.len();
            if !first {
                self.out.push(b',');
            }
            let element = Render {
                out: &mut *self.out,
                keys: &mut *self.keys,
                capture: &[],
            };
            if seq.next_element_seed(element)?.is_none() {
                // The end of the array (an element never reads as `Ok(None)` but the end).
                self.out.truncate(at);
                break;
            }
            first = false;
        }
        self.out.push(b']');
        Ok(Some(RenderedValue::Other))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let start = self.keys.len();
        let mut captured = serde_json::Map::new();
        self.out.push(b'{');
        let mut first = true;
        while let Some(key) = map.next_key_seed(KeyText)? {
            let hash = key_hash(&key);
            let seen = self.keys.get(start..).unwrap_or_default();
            // Small objects are checked as they go; large ones once, sorted, at the end.
            if seen.len() <= LINEAR_KEYS && seen.contains(&hash) {
                return Err(A::Error::custom("repeated key"));
            }
            self.keys.push(hash);
            if !first {
                self.out.push(b',');
            }
            first = false;
            match &key {
                std::borrow::Cow::Borrowed(k) => render_unescaped_str(self.out, k),
                std::borrow::Cow::Owned(k) => render_str(self.out, k)?,
            }
            self.out.push(b':');
            if self.capture.iter().any(|c| c.as_str() == key.as_ref()) {
                let value: Value = map.next_value()?;
                write_plain(self.out, &value).map_err(A::Error::custom)?;
                captured.insert(key.into_owned(), value);
            } else {
                map.next_value_seed(Render {
                    out: &mut *self.out,
                    keys: &mut *self.keys,
                    capture: &[],
                })?;
            }
        }
        if let Some(seen) = self.keys.get_mut(start..)
            && seen.len() > LINEAR_KEYS
        {
            seen.sort_unstable();
            if seen.windows(2).any(|w| w[0] == w[1]) {
                return Err(A::Error::custom("repeated key"));
            }
        }
        self.keys.truncate(start);
        self.out.push(b'}');
        Ok(Some(RenderedValue::Object(captured)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use serde_json::json;
    use std::io::Read;

    fn recs<'a>(values: &'a [Value], schema: Option<&'a Value>) -> Vec<EncodeRecord<'a>> {
        crate::format::schema::test_records(values, schema, 0, 0)
    }

    fn text(f: &JsonFormat, values: &[Value], schema: Option<&Value>) -> String {
        String::from_utf8(f.encode(&recs(values, schema)).unwrap()).unwrap()
    }

    /// The DOM path's line for schemaless text: parse into a `Value`, encode it.
    fn dom_line(text: &str) -> Vec<u8> {
        let v: Value = serde_json::from_str(text).unwrap();
        let mut line = JsonFormat::new(Compression::None)
            .encode(&recs(std::slice::from_ref(&v), None))
            .unwrap();
        line.pop();
        line
    }

    #[test]
    fn rendered_schemaless_text_is_byte_identical_to_the_dom_path() {
        let cases = [
            r#"{"a": 1, "b" : [1, -2, 3.5, 1e20, 1E-7, -0, -0.0, 0.0001, 100.0, 12.99]}"#,
            r#" {"big": 18446744073709551616, "max": 18446744073709551615, "neg": -9223372036854775808, "neg2": -9223372036854775809} "#,
            r#"{"s": "caf\u00e9 \/ \" \\ \b\f\n\r\t \u0001 \u001b \u007f \ud83d\ude00 é"}"#,
            r#"{"\u0041key\n": {"nested": {"deep": [[], {}, [{}], null, true, false]}}}"#,
            r#"[1, "two", {"three": 3}]"#,
            r#""just a string""#,
            "42",
            "4.9E-324",
            "1.7976931348623157e308",
            r#"{"x":{"a":1,"a2":2},"y":{"a":1}}"#,
            r#"{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k18":18,"k19":19,"k20":20,"k21":21,"k22":22,"k23":23,"k24":24,"k25":25,"k26":26,"k27":27,"k28":28,"k29":29,"k30":30,"k31":31,"k32":32,"k33":33}"#,
        ];
        let mut renderer = SchemalessRenderer::default();
        for text in cases {
            let mut out = b"previous line\n".to_vec();
            let found = renderer.render(text.as_bytes(), &[], &mut out);
            assert!(found.is_some(), "{text}");
            assert_eq!(
                String::from_utf8_lossy(&out[14..]),
                String::from_utf8_lossy(&dom_line(text)),
                "{text}"
            );
        }
    }

    #[test]
    fn rendering_leaves_to_the_dom_path_what_it_cannot_do_alike() {
        let mut renderer = SchemalessRenderer::default();
        for text in [
            "null",
            " null ",
            r#"{"a": 1, "a": 2}"#,
            r#"{"o": {"a": 1, "b": 2, "a": 3}}"#,
            r#"{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k18":18,"k19":19,"k20":20,"k21":21,"k22":22,"k23":23,"k24":24,"k25":25,"k26":26,"k27":27,"k28":28,"k29":29,"k30":30,"k31":31,"k32":32,"k0":33}"#,
            r#"{"a": 1} x"#,
            r#"{"a": }"#,
            "1e400",
            "",
            "\u{feff}{}",
        ] {
            assert_eq!(
                renderer.render(text.as_bytes(), &[], &mut Vec::new()),
                None,
                "{text}"
            );
        }
    }

    #[test]
    fn rendering_captures_only_the_named_top_level_fields() {
        let mut renderer = SchemalessRenderer::default();
        let text = r#"{"dt": "2023-10-01", "a": {"b": 5, "dt": "no"}, "x.y": [1], "z": 1.0}"#;
        let capture = ["dt".to_owned(), "a".to_owned(), "x.y".to_owned()];
        let mut out = Vec::new();
        let found = renderer.render(text.as_bytes(), &capture, &mut out);
        assert_eq!(
            found,
            Some(RenderedValue::Object(
                json!({"dt": "2023-10-01", "a": {"b": 5, "dt": "no"}, "x.y": [1]})
                    .as_object()
                    .unwrap()
                    .clone()
            ))
        );
        assert_eq!(out, dom_line(text));
        assert_eq!(
            renderer.render(b"[1]", &capture, &mut Vec::new()),
            Some(RenderedValue::Other)
        );
    }

    #[test]
    fn json_lines() {
        let vals = [json!({"a": 1, "b": "x"}), json!("s"), json!(2.5)];
        assert_eq!(
            text(&JsonFormat::new(Compression::None), &vals, None),
            "{\"a\":1,\"b\":\"x\"}\n\"s\"\n2.5\n"
        );
    }

    #[test]
    fn doubles_as_java_double_to_string() {
        let cases = [
            (1e20, "1.0E20"),
            (12345678.9, "1.23456789E7"),
            (100.0, "100.0"),
            (1e-4, "1.0E-4"),
            (0.001, "0.001"),
            (9999999.0, "9999999.0"),
            (1e7, "1.0E7"),
            (-2.5e-7, "-2.5E-7"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (123.456, "123.456"),
            (1.7976931348623157e308, "1.7976931348623157E308"),
            (5e-324, "4.9E-324"),
        ];
        for (f, want) in cases {
            let mut out = Vec::new();
            JacksonFormatter.write_f64(&mut out, f).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), want, "{f:e}");
        }
    }

    #[test]
    fn floats_as_java_float_to_string() {
        let cases = [
            (12.2f32, "12.2"),
            (1.234_567_9_f32, "1.2345679"),
            (1e10f32, "1.0E10"),
            (3.4028235e38f32, "3.4028235E38"),
            (1.4e-45f32, "1.4E-45"),
        ];
        for (f, want) in cases {
            let mut out = Vec::new();
            JacksonFormatter.write_f32(&mut out, f).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), want, "{f:e}");
        }
    }

    #[test]
    fn big_decimal_to_string() {
        let cases = [
            ("15990", 3, "15.990"),
            ("-15990", 3, "-15.990"),
            ("5", 3, "0.005"),
            ("0", 2, "0.00"),
            ("1", 20, "1E-20"),
            ("123", 10, "1.23E-8"),
            ("1", -20, "1E+20"),
            ("12", 0, "12"),
            ("1", 7, "1E-7"),
            ("1", 6, "0.000001"),
        ];
        for (u, s, want) in cases {
            assert_eq!(big_decimal_string(u, s), want, "{u} scale {s}");
        }
    }

    #[test]
    fn escapes_as_jackson() {
        let vals = [json!("a\u{1b}b\u{7f}\t\n\u{8}\u{c}\r\u{1}é\"\\/")];
        assert_eq!(
            text(&JsonFormat::new(Compression::None), &vals, None),
            "\"a\\u001Bb\u{7f}\\t\\n\\b\\f\\r\\u0001é\\\"\\\\/\"\n"
        );
    }

    #[test]
    fn struct_values_follow_their_schema() {
        let schema = json!({"type": "struct", "fields": [
            {"field": "f", "type": "float"},
            {"field": "d", "type": "bytes", "name": DECIMAL, "parameters": {"scale": "3"}},
            {"field": "n", "type": "int32", "optional": true, "default": 7},
            {"field": "extra", "type": "string", "optional": true}
        ]});
        // 15990 at scale 3 is 15.990: base64 of the bytes 0x3E 0x76.
        let vals = [json!({"f": 12.2, "d": "PnY=", "n": null, "extra": null})];
        let f = JsonFormat::new(Compression::None);
        assert_eq!(
            text(&f, &vals, Some(&schema)),
            "{\"f\":12.2,\"d\":\"PnY=\",\"n\":7,\"extra\":null}\n"
        );
        let f = f.with_decimal_format(DecimalFormat::Numeric);
        assert_eq!(
            text(&f, &vals, Some(&schema)),
            "{\"f\":12.2,\"d\":15.990,\"n\":7,\"extra\":null}\n"
        );
    }

    #[test]
    fn non_struct_values_write_decimals_as_numbers() {
        let schema = json!({"type": "array", "items":
            {"type": "bytes", "name": DECIMAL, "parameters": {"scale": "2"}}});
        let vals = [json!(["AQ=="])];
        assert_eq!(
            text(&JsonFormat::new(Compression::None), &vals, Some(&schema)),
            "[0.01]\n"
        );
    }

    #[test]
    fn decimal_format_names() {
        assert_eq!(
            DecimalFormat::parse("numeric"),
            Some(DecimalFormat::Numeric)
        );
        assert_eq!(DecimalFormat::parse("BASE64"), Some(DecimalFormat::Base64));
        assert_eq!(DecimalFormat::parse("plain"), None);
    }

    #[test]
    fn gzip_is_deterministic_and_readable() {
        let vals = [json!({"a": 1})];
        let f = JsonFormat::new(Compression::Gzip { level: 6 });
        let a = f.encode(&recs(&vals, None)).unwrap();
        let b = f.encode(&recs(&vals, None)).unwrap();
        assert_eq!(a, b);
        assert_eq!(&a[4..8], &[0, 0, 0, 0], "gzip mtime must be zero");
        let mut text = String::new();
        GzDecoder::new(&a[..]).read_to_string(&mut text).unwrap();
        assert_eq!(text, "{\"a\":1}\n");
        assert_eq!(f.extension(), ".json.gz");
    }
}

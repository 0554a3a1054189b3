//! Key and value converters, with Kafka Connect's names and meanings.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::sync::Arc;

use serde_json::Value;

use crate::format::json::decimal_scale;
use crate::format::parquet::{decimal_bytes, decimal_unscaled};
use crate::format::schema::{DATE, DECIMAL, TIME, TIMESTAMP};

/// A converter for record keys or values, as `key.converter` / `value.converter` name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Converter {
    /// `org.apache.kafka.connect.json.JsonConverter`; with `schemas.enable` every message is a
    /// `{"schema": .., "payload": ..}` envelope. `replace_null_with_default`
    /// (`replace.null.with.default`, Kafka 3.5+, default true) gives a null or missing field
    /// its schema's default; when false the field stays null if it is optional.
    Json {
        schemas_enable: bool,
        replace_null_with_default: bool,
    },
    /// `org.apache.kafka.connect.storage.StringConverter`: UTF-8 text, malformed bytes
    /// replaced by U+FFFD.
    String,
    /// `org.apache.kafka.connect.converters.ByteArrayConverter`: raw bytes.
    ByteArray,
    /// A Schema Registry converter (`io.confluent.connect.avro.AvroConverter`); its settings
    /// are `Config::key_registry` / `Config::value_registry` and it converts through
    /// [`crate::registry::convert`] with the schemas of its batch.
    Registry(crate::registry::SchemaType),
}

/// A converted key or value: the data as JSON, and its Connect schema when the message had one.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    pub data: Value,
    /// Shared: every record of a schema-registry schema holds the same one.
    pub schema: Option<Arc<Value>>,
}

/// Why bytes could not be converted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConvertError {
    #[error("not valid JSON for JsonConverter: {0}")]
    Json(String),
    #[error(
        "JsonConverter with schemas.enable=true requires \"schema\" and \"payload\" fields and no others; set {prefix}.schemas.enable=false for plain JSON"
    )]
    NoEnvelope { prefix: &'static str },
    #[error("payload does not match its schema at {path}: {message}")]
    Schema { path: String, message: String },
    /// A schema-registry payload that cannot be read: framing, unknown schema, bad data.
    #[error("{0}")]
    Registry(String),
}

impl Converter {
    /// The class names Kafka Connect knows this converter by, short name last.
    pub fn parse(name: &str) -> Option<Converter> {
        let short = name.rsplit('.').next().unwrap_or(name);
        match short {
            "JsonConverter" => Some(Converter::Json {
                schemas_enable: true,
                replace_null_with_default: true,
            }),
            "StringConverter" => Some(Converter::String),
            "ByteArrayConverter" => Some(Converter::ByteArray),
            _ => None,
        }
    }

    /// The fully qualified class name.
    pub fn class_name(&self) -> &'static str {
        match self {
            Converter::Json { .. } => "org.apache.kafka.connect.json.JsonConverter",
            Converter::String => "org.apache.kafka.connect.storage.StringConverter",
            Converter::ByteArray => "org.apache.kafka.connect.converters.ByteArrayConverter",
            Converter::Registry(t) => t.converter_class(),
        }
    }

    /// Converts raw bytes; `None` (a null key or value) stays `None`, as does JSON `null`.
    /// `prefix` is `key.converter` or `value.converter`, for messages.
    pub fn convert(
        &self,
        bytes: Option<&[u8]>,
        prefix: &'static str,
    ) -> Result<Option<Converted>, ConvertError> {
        let Some(bytes) = bytes else { return Ok(None) };
        match self {
            Converter::Json {
                schemas_enable,
                replace_null_with_default,
            } => {
                let v: Value =
                    serde_json::from_slice(bytes).map_err(|e| ConvertError::Json(e.to_string()))?;
                if !schemas_enable {
                    return Ok((!v.is_null()).then_some(Converted {
                        data: v,
                        schema: None,
                    }));
                }
                let Value::Object(mut envelope) = v else {
                    if v.is_null() {
                        return Ok(None);
                    }
                    return Err(ConvertError::NoEnvelope { prefix });
                };
                if envelope.len() != 2
                    || !envelope.contains_key("schema")
                    || !envelope.contains_key("payload")
                {
                    return Err(ConvertError::NoEnvelope { prefix });
                }
                let payload = envelope.remove("payload").unwrap_or(Value::Null);
                let schema = envelope.remove("schema").unwrap_or(Value::Null);
                if schema.is_null() {
                    // Connect treats a null schema as schemaless.
                    return Ok((!payload.is_null()).then_some(Converted {
                        data: payload,
                        schema: None,
                    }));
                }
                let conform = Conform {
                    replace_null_with_default: *replace_null_with_default,
                };
                let data = conform.value(payload, &schema, "$")?;
                Ok((!data.is_null()).then_some(Converted {
                    data,
                    schema: Some(Arc::new(schema)),
                }))
            }
            // Kafka's StringDeserializer is `new String(data, UTF_8)`, which never fails: each
            // malformed sequence becomes U+FFFD, as `from_utf8_lossy` does.
            Converter::String => Ok(Some(Converted {
                data: Value::String(String::from_utf8_lossy(bytes).into_owned()),
                schema: None,
            })),
            // Kafka Connect's JSON writer renders bytes as standard base64.
            Converter::ByteArray => Ok(Some(Converted {
                data: Value::String(STANDARD.encode(bytes)),
                schema: None,
            })),
            Converter::Registry(_) => Err(ConvertError::Registry(format!(
                "{prefix}: a schema-registry converter needs the schemas of its batch"
            ))),
        }
    }
}

/// Conforms `value` to its Connect `schema` (Kafka's JSON schema form) as `JsonConverter` reads
/// a payload, naming `path` in errors: the [`Conform`] rules, with `replace.null.with.default`
/// on. For the other converters that hand on Connect data in the pipeline's JSON form.
pub(crate) fn conform_to_schema(
    value: Value,
    schema: &Value,
    path: &str,
) -> Result<Value, ConvertError> {
    Conform {
        replace_null_with_default: true,
    }
    .value(value, schema, path)
}

/// How `JsonConverter` reads a payload against its schema (`convertToConnect`).
#[derive(Debug, Clone, Copy)]
struct Conform {
    replace_null_with_default: bool,
}

impl Conform {
    /// Checks a payload against its Connect schema and gives values the one form the writers
    /// expect: numbers the JSON form Connect would write for the schema's type (a `double` 45
    /// is `45.0`), integers truncated toward zero as Kafka's `intValue()`/`longValue()` do,
    /// and decimals as base64 of the unscaled value at the schema's scale.
    fn value(self, value: Value, schema: &Value, path: &str) -> Result<Value, ConvertError> {
        let err = |message: String| ConvertError::Schema {
            path: path.to_owned(),
            message,
        };
        if value.is_null() {
            let optional = schema
                .get("optional")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            return match schema.get("default") {
                // Kafka converts the default with the schema when it reads the schema.
                Some(default) if self.replace_null_with_default && !default.is_null() => {
                    self.value(default.clone(), schema, &format!("{path} (default)"))
                }
                _ if optional => Ok(Value::Null),
                _ => Err(err("null value for a required field".to_owned())),
            };
        }
        let ty = schema
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| err("schema has no \"type\"".to_owned()))?;
        let name = schema.get("name").and_then(Value::as_str);
        match ty {
            "int8" | "int16" | "int32" | "int64" => {
                let n = match name {
                    // Kafka requires an int (Date, Time) or integral (Timestamp) JSON number
                    // for these and does not truncate.
                    Some(DATE | TIME | TIMESTAMP) => value
                        .as_i64()
                        .ok_or_else(|| err(format!("expected an integer ({ty}), found {value}")))?,
                    _ => integer(&value, ty).map_err(err)?,
                };
                let (lo, hi) = match ty {
                    "int8" => (i8::MIN as i64, i8::MAX as i64),
                    "int16" => (i16::MIN as i64, i16::MAX as i64),
                    "int32" => (i32::MIN as i64, i32::MAX as i64),
                    _ => (i64::MIN, i64::MAX),
                };
                // Kafka narrows with a Java cast, so 300 in an int8 would silently become 44;
                // altering data silently is worse than failing the record, so this is an error.
                if n < lo || n > hi {
                    return Err(err(format!("{n} is out of range for {ty}")));
                }
                Ok(Value::from(n))
            }
            "float" | "double" => {
                let f = value
                    .as_f64()
                    .ok_or_else(|| err(format!("expected a number ({ty}), found {value}")))?;
                Ok(serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number))
            }
            "boolean" => value
                .is_boolean()
                .then_some(value.clone())
                .ok_or_else(|| err(format!("expected a boolean, found {value}"))),
            "string" => value
                .is_string()
                .then_some(value.clone())
                .ok_or_else(|| err(format!("expected a string, found {value}"))),
            "bytes" if name == Some(DECIMAL) => {
                // Kafka accepts base64 text or a JSON number for a Decimal. One form for
                // every writer: base64 of the minimal unscaled bytes at the schema's scale. A
                // number that would need rounding to reach that scale is refused.
                let scale = decimal_scale(schema).map_err(err)?;
                let unscaled = decimal_unscaled(&value, scale)
                    .map_err(|m| err(format!("invalid Decimal: {m}")))?;
                Ok(Value::String(STANDARD.encode(decimal_bytes(unscaled))))
            }
            "bytes" => value
                .is_string()
                .then_some(value.clone())
                .ok_or_else(|| err(format!("expected base64 bytes, found {value}"))),
            "array" => {
                let items = schema.get("items").cloned().unwrap_or(Value::Null);
                let Value::Array(elements) = value else {
                    return Err(err(format!("expected an array, found {value}")));
                };
                elements
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| {
                        if items.is_null() {
                            Ok(v)
                        } else {
                            self.value(v, &items, &format!("{path}[{i}]"))
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array)
            }
            "map" => {
                // Connect's JSON form of a map with string keys is an object; other keys use
                // [key, value] pairs. Values are conformed; keys kept as they are.
                let values = schema.get("values").cloned().unwrap_or(Value::Null);
                match value {
                    Value::Object(map) => {
                        let mut out = serde_json::Map::with_capacity(map.len());
                        for (k, v) in map {
                            let v = if values.is_null() {
                                v
                            } else {
                                self.value(v, &values, &format!("{path}.{k}"))?
                            };
                            out.insert(k, v);
                        }
                        Ok(Value::Object(out))
                    }
                    Value::Array(pairs) => Ok(Value::Array(pairs)),
                    other => Err(err(format!("expected a map, found {other}"))),
                }
            }
            "struct" => {
                let Value::Object(mut map) = value else {
                    return Err(err(format!("expected an object (struct), found {value}")));
                };
                let fields = schema
                    .get("fields")
                    .and_then(Value::as_array)
                    .ok_or_else(|| err("struct schema has no \"fields\" array".to_owned()))?;
                // Only the schema's fields are read; Kafka drops any other payload field.
                let mut out = serde_json::Map::with_capacity(fields.len());
                for field in fields {
                    let name = field
                        .get("field")
                        .and_then(Value::as_str)
                        .ok_or_else(|| err("struct field without a \"field\" name".to_owned()))?;
                    let v = map.remove(name).unwrap_or(Value::Null);
                    out.insert(
                        name.to_owned(),
                        self.value(v, field, &format!("{path}.{name}"))?,
                    );
                }
                Ok(Value::Object(out))
            }
            other => Err(err(format!("unknown schema type {other:?}"))),
        }
    }
}

/// An integer field's value as Kafka reads it: a non-integral number is truncated toward zero
/// (`BigDecimal.intValue()`/`longValue()`). Numbers beyond `i64` are refused rather than
/// wrapped as Java's narrowing would.
fn integer(value: &Value, ty: &str) -> Result<i64, String> {
    if let Some(n) = value.as_i64() {
        return Ok(n);
    }
    let out_of_range = || format!("{value} is out of range for {ty}");
    if value.is_u64() {
        return Err(out_of_range());
    }
    let f = value
        .as_f64()
        .ok_or_else(|| format!("expected an integer ({ty}), found {value}"))?;
    let t = f.trunc();
    // -2^63 is exact in f64; 2^63 is the first value past i64::MAX.
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&t) {
        Ok(t as i64)
    } else {
        Err(out_of_range())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: &str = "value.converter";

    #[test]
    fn schemaless_json_keeps_field_order_and_number_forms() {
        let c = Converter::Json {
            schemas_enable: false,
            replace_null_with_default: true,
        };
        let out = c
            .convert(Some(br#"{"b":1,"a":45.00,"c":[1,2]}"#), V)
            .unwrap()
            .unwrap();
        assert_eq!(out.data.to_string(), r#"{"b":1,"a":45.0,"c":[1,2]}"#);
        assert_eq!(c.convert(Some(b"null"), V).unwrap(), None);
        assert_eq!(c.convert(None, V).unwrap(), None);
        assert!(matches!(
            c.convert(Some(b"{oops"), V),
            Err(ConvertError::Json(_))
        ));
    }

    #[test]
    fn schema_envelope_is_unwrapped_and_conformed() {
        let c = Converter::Json {
            schemas_enable: true,
            replace_null_with_default: true,
        };
        let msg = br#"{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"order_id"},{"type":"double","optional":false,"field":"price"},{"type":"int32","optional":true,"field":"q"}]},"payload":{"order_id":"2","price":15}}"#;
        let out = c.convert(Some(msg), V).unwrap().unwrap();
        assert_eq!(
            out.data.to_string(),
            r#"{"order_id":"2","price":15.0,"q":null}"#
        );
        assert!(out.schema.is_some());
        let err = c.convert(Some(br#"{"order_id":"2"}"#), V).unwrap_err();
        assert!(
            err.to_string()
                .contains("value.converter.schemas.enable=false"),
            "{err}"
        );
        let bad = br#"{"schema":{"type":"struct","fields":[{"type":"int8","optional":false,"field":"n"}]},"payload":{"n":300}}"#;
        let err = c.convert(Some(bad), V).unwrap_err();
        assert_eq!(
            err.to_string(),
            "payload does not match its schema at $.n: 300 is out of range for int8"
        );
        let missing = br#"{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"s"}]},"payload":{}}"#;
        assert!(
            c.convert(Some(missing), V)
                .unwrap_err()
                .to_string()
                .contains("required")
        );
    }

    fn conform_one(schema: &str, payload: &str, replace: bool) -> Result<Value, ConvertError> {
        let c = Converter::Json {
            schemas_enable: true,
            replace_null_with_default: replace,
        };
        let msg = format!(r#"{{"schema":{schema},"payload":{payload}}}"#);
        c.convert(Some(msg.as_bytes()), V)
            .map(|o| o.map_or(Value::Null, |c| c.data))
    }

    #[test]
    fn integers_truncate_toward_zero_and_refuse_overflow() {
        let s = r#"{"type":"struct","fields":[{"type":"int16","field":"n"}]}"#;
        assert_eq!(conform_one(s, r#"{"n":1.9}"#, true).unwrap()["n"], 1);
        assert_eq!(conform_one(s, r#"{"n":-1.9}"#, true).unwrap()["n"], -1);
        assert_eq!(conform_one(s, r#"{"n":1e2}"#, true).unwrap()["n"], 100);
        assert_eq!(
            conform_one(s, r#"{"n":40000.5}"#, true)
                .unwrap_err()
                .to_string(),
            "payload does not match its schema at $.n: 40000 is out of range for int16"
        );
        let s = r#"{"type":"struct","fields":[{"type":"int64","field":"n"}]}"#;
        assert!(
            conform_one(s, r#"{"n":18446744073709551615}"#, true)
                .unwrap_err()
                .to_string()
                .contains("out of range for int64")
        );
        assert!(conform_one(s, r#"{"n":1e30}"#, true).is_err());
        assert!(conform_one(s, r#"{"n":"5"}"#, true).is_err());
        let date = format!(
            r#"{{"type":"struct","fields":[{{"type":"int32","name":"{DATE}","field":"d"}}]}}"#
        );
        assert!(conform_one(&date, r#"{"d":1.5}"#, true).is_err());
        assert_eq!(conform_one(&date, r#"{"d":3}"#, true).unwrap()["d"], 3);
    }

    #[test]
    fn unknown_payload_fields_are_dropped() {
        let s = r#"{"type":"struct","fields":[{"type":"string","field":"a"}]}"#;
        assert_eq!(
            conform_one(s, r#"{"z":1,"a":"x","b":[1]}"#, true)
                .unwrap()
                .to_string(),
            r#"{"a":"x"}"#
        );
    }

    #[test]
    fn decimals_become_base64_at_the_schema_scale() {
        let s = format!(
            r#"{{"type":"struct","fields":[{{"type":"bytes","name":"{DECIMAL}","parameters":{{"scale":"3"}},"field":"d"}}]}}"#
        );
        // 15.99 at scale 3 is 15990 = 0x3E76.
        assert_eq!(
            conform_one(&s, r#"{"d":15.99}"#, true).unwrap()["d"],
            "PnY="
        );
        assert_eq!(
            conform_one(&s, r#"{"d":"PnY="}"#, true).unwrap()["d"],
            "PnY="
        );
        // Redundant sign bytes are dropped, as BigInteger.toByteArray gives none.
        assert_eq!(
            conform_one(&s, r#"{"d":"AAA+dg=="}"#, true).unwrap()["d"],
            "PnY="
        );
        let err = conform_one(&s, r#"{"d":1.2345}"#, true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("$.d") && err.contains("scale 3"), "{err}");
        assert!(conform_one(&s, r#"{"d":"not base64!"}"#, true).is_err());
        assert!(conform_one(&s, r#"{"d":true}"#, true).is_err());
    }

    #[test]
    fn replace_null_with_default_both_ways() {
        let s = r#"{"type":"struct","fields":[{"type":"double","optional":true,"default":5,"field":"x"},{"type":"int32","default":1,"field":"r"}]}"#;
        assert_eq!(
            conform_one(s, r#"{"x":null}"#, true).unwrap().to_string(),
            r#"{"x":5.0,"r":1}"#
        );
        assert_eq!(
            conform_one(s, r#"{"x":null,"r":2}"#, false)
                .unwrap()
                .to_string(),
            r#"{"x":null,"r":2}"#
        );
        // A required field with a default, not replaced, is a null in a required field.
        assert!(
            conform_one(s, r#"{"x":null}"#, false)
                .unwrap_err()
                .to_string()
                .contains("$.r")
        );
    }

    #[test]
    fn string_and_bytes() {
        let s = Converter::String
            .convert(Some("키".as_bytes()), V)
            .unwrap()
            .unwrap();
        assert_eq!(s.data, Value::String("키".into()));
        let lossy = Converter::String
            .convert(Some(&[b'a', 0xff, b'b']), V)
            .unwrap()
            .unwrap();
        assert_eq!(lossy.data, Value::String("a\u{fffd}b".into()));
        let b = Converter::ByteArray
            .convert(Some(&[0, 1, 255]), V)
            .unwrap()
            .unwrap();
        assert_eq!(b.data, Value::String("AAH/".into()));
    }

    #[test]
    fn class_names_short_and_full() {
        assert_eq!(
            Converter::parse("org.apache.kafka.connect.storage.StringConverter"),
            Some(Converter::String)
        );
        assert_eq!(
            Converter::parse("ByteArrayConverter"),
            Some(Converter::ByteArray)
        );
        assert_eq!(Converter::parse("AvroConverter"), None);
    }
}

//! Key and value converters, with Kafka Connect's names and meanings.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

/// A converter for record keys or values, as `key.converter` / `value.converter` name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Converter {
    /// `org.apache.kafka.connect.json.JsonConverter`; with `schemas.enable` every message is a
    /// `{"schema": .., "payload": ..}` envelope.
    Json { schemas_enable: bool },
    /// `org.apache.kafka.connect.storage.StringConverter`: UTF-8 text.
    String,
    /// `org.apache.kafka.connect.converters.ByteArrayConverter`: raw bytes.
    ByteArray,
}

/// A converted key or value: the data as JSON, and its Connect schema when the message had one.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    pub data: Value,
    pub schema: Option<Value>,
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
    #[error("not valid UTF-8 for StringConverter: {0}")]
    Utf8(String),
}

impl Converter {
    /// The class names Kafka Connect knows this converter by, short name last.
    pub fn parse(name: &str) -> Option<Converter> {
        let short = name.rsplit('.').next().unwrap_or(name);
        match short {
            "JsonConverter" => Some(Converter::Json {
                schemas_enable: true,
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
            Converter::Json { schemas_enable } => {
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
                let data = conform(payload, &schema, "$")?;
                Ok((!data.is_null()).then_some(Converted {
                    data,
                    schema: Some(schema),
                }))
            }
            Converter::String => {
                let s =
                    std::str::from_utf8(bytes).map_err(|e| ConvertError::Utf8(e.to_string()))?;
                Ok(Some(Converted {
                    data: Value::String(s.to_owned()),
                    schema: None,
                }))
            }
            // Kafka Connect's JSON writer renders bytes as standard base64.
            Converter::ByteArray => Ok(Some(Converted {
                data: Value::String(STANDARD.encode(bytes)),
                schema: None,
            })),
        }
    }
}

/// Checks a payload against its Connect schema and gives numbers the JSON form Connect would
/// write for the schema's type (a `double` 45 is written `45.0`).
fn conform(value: Value, schema: &Value, path: &str) -> Result<Value, ConvertError> {
    let err = |message: String| ConvertError::Schema {
        path: path.to_owned(),
        message,
    };
    let optional = schema
        .get("optional")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if value.is_null() {
        if optional || schema.get("default").is_some() {
            return Ok(schema.get("default").cloned().unwrap_or(Value::Null));
        }
        return Err(err("null value for a required field".to_owned()));
    }
    let ty = schema
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| err("schema has no \"type\"".to_owned()))?;
    match ty {
        "int8" | "int16" | "int32" | "int64" => {
            let n = value
                .as_i64()
                .ok_or_else(|| err(format!("expected an integer ({ty}), found {value}")))?;
            let (lo, hi) = match ty {
                "int8" => (i8::MIN as i64, i8::MAX as i64),
                "int16" => (i16::MIN as i64, i16::MAX as i64),
                "int32" => (i32::MIN as i64, i32::MAX as i64),
                _ => (i64::MIN, i64::MAX),
            };
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
                        conform(v, &items, &format!("{path}[{i}]"))
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
                            conform(v, &values, &format!("{path}.{k}"))?
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
            let mut out = serde_json::Map::with_capacity(fields.len());
            for field in fields {
                let name = field
                    .get("field")
                    .and_then(Value::as_str)
                    .ok_or_else(|| err("struct field without a \"field\" name".to_owned()))?;
                let v = map.remove(name).unwrap_or(Value::Null);
                out.insert(
                    name.to_owned(),
                    conform(v, field, &format!("{path}.{name}"))?,
                );
            }
            if let Some(extra) = map.keys().next() {
                return Err(err(format!("field {extra:?} is not in the schema")));
            }
            Ok(Value::Object(out))
        }
        other => Err(err(format!("unknown schema type {other:?}"))),
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

    #[test]
    fn string_and_bytes() {
        let s = Converter::String
            .convert(Some("키".as_bytes()), V)
            .unwrap()
            .unwrap();
        assert_eq!(s.data, Value::String("키".into()));
        assert!(Converter::String.convert(Some(&[0xff]), V).is_err());
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

//! `FieldPartitioner`: one directory level per configured field, `name=value`.

use serde_json::Value;

use super::{PartitionError, field_schema, lookup, type_name};
use crate::convert::Converted;

/// Encodes `f1=v1/f2=v2` from `partition.field.name`, on schema'd and schemaless values alike.
///
/// Values land in object keys, so they are made safe by one rule: the UTF-8 bytes of `%`, `/`,
/// `\`, control characters (U+0000–U+001F, U+007F–U+009F) and of any character of
/// `directory.delim` are written as `%XX` (upper-case hex). Every other character is kept.
/// This is the escaping Hive, Spark and Athena undo when they read `name=value` directories,
/// so readers see the original value; `.` and `..` can never form a segment, as every segment
/// starts with `name=`.
#[derive(Debug, Clone)]
pub struct FieldPartitioner {
    fields: Vec<String>,
    delim: String,
}

impl FieldPartitioner {
    /// Confluent's class name.
    pub const CLASS: &'static str = "io.confluent.connect.storage.partitioner.FieldPartitioner";

    /// A partitioner over `fields` (dotted names reach nested fields), joined by `delim`.
    pub fn new(fields: Vec<String>, delim: impl Into<String>) -> FieldPartitioner {
        FieldPartitioner {
            fields,
            delim: delim.into(),
        }
    }

    /// The configured field names.
    pub fn fields(&self) -> &[String] {
        &self.fields
    }

    /// The encoded path of a record value.
    pub fn encode_partition(&self, value: Option<&Converted>) -> Result<String, PartitionError> {
        let mut out = String::new();
        for (i, name) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push_str(&self.delim);
            }
            let v = match lookup(value, name, "FieldPartitioner") {
                Ok((v, _)) => v,
                // As Confluent's FieldPartitioner: a field the schema declares but the value
                // lacks (a null parent struct) is `name=null`; one the schema does not declare
                // is an error. Schemaless values have no declarations: absent is null.
                Err(PartitionError::MissingField { field }) => {
                    match value.and_then(|v| v.schema.as_ref()) {
                        Some(schema) if !declares(schema, name) => {
                            return Err(PartitionError::NotInSchema { field });
                        }
                        _ => &Value::Null,
                    }
                }
                Err(other) => return Err(other),
            };
            out.push_str(name);
            out.push('=');
            match v {
                Value::String(s) => escape_into(&mut out, s, &self.delim),
                // Numbers and booleans follow the same rule: `-1` under `directory.delim=-`.
                Value::Number(n) => escape_into(&mut out, &n.to_string(), &self.delim),
                Value::Bool(b) => {
                    escape_into(&mut out, if *b { "true" } else { "false" }, &self.delim)
                }
                Value::Null => out.push_str("null"),
                other => {
                    return Err(PartitionError::NotScalar {
                        field: name.clone(),
                        found: type_name(other),
                    });
                }
            }
        }
        Ok(out)
    }
}

/// Whether a Connect struct schema declares the dotted field `path` (or a field literally
/// named so).
fn declares(schema: &Value, path: &str) -> bool {
    if field_schema(schema, path).is_some() {
        return true;
    }
    let mut current = schema;
    for segment in path.split('.') {
        match field_schema(current, segment) {
            Some(next) => current = next,
            None => return false,
        }
    }
    true
}

/// Appends `value` with the unsafe characters percent-encoded (see [`FieldPartitioner`]).
pub fn escape_into(out: &mut String, value: &str, delim: &str) {
    for c in value.chars() {
        let unsafe_char = matches!(c, '%' | '/' | '\\')
            || c.is_control()
            || (!delim.is_empty() && delim.contains(c));
        if unsafe_char {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemaless(v: Value) -> Converted {
        Converted {
            data: v,
            schema: None,
        }
    }

    #[test]
    fn golden_paths() {
        let p = FieldPartitioner::new(vec!["dt".into()], "/");
        let v = schemaless(json!({"order_id": "1", "dt": "2023-10-01"}));
        assert_eq!(p.encode_partition(Some(&v)).unwrap(), "dt=2023-10-01");

        let p = FieldPartitioner::new(
            vec!["country".into(), "meta.shard".into(), "vip".into()],
            "/",
        );
        let v = schemaless(json!({"country": "KR", "meta": {"shard": 7}, "vip": false}));
        assert_eq!(
            p.encode_partition(Some(&v)).unwrap(),
            "country=KR/meta.shard=7/vip=false"
        );
    }

    #[test]
    fn schema_d_values_work_the_same() {
        let p = FieldPartitioner::new(vec!["dt".into()], "/");
        let v = Converted {
            data: json!({"dt": "2023-10-02"}),
            schema: Some(std::sync::Arc::new(
                json!({"type":"struct","fields":[{"field":"dt","type":"string"}]}),
            )),
        };
        assert_eq!(p.encode_partition(Some(&v)).unwrap(), "dt=2023-10-02");
    }

    #[test]
    fn unsafe_values_are_escaped() {
        let p = FieldPartitioner::new(vec!["k".into()], "/");
        let enc = |s: &str| {
            p.encode_partition(Some(&schemaless(json!({ "k": s }))))
                .unwrap()
        };
        assert_eq!(enc("../../etc"), "k=..%2F..%2Fetc");
        assert_eq!(enc("a\\b%c"), "k=a%5Cb%25c");
        assert_eq!(enc("tab\there\n"), "k=tab%09here%0A");
        assert_eq!(enc(".."), "k=..");
        assert_eq!(enc("서울"), "k=서울");
        assert_eq!(enc(""), "k=");
        let p = FieldPartitioner::new(vec!["k".into()], "#");
        assert_eq!(
            p.encode_partition(Some(&schemaless(json!({"k": "a#b"}))))
                .unwrap(),
            "k=a%23b"
        );
        let p = FieldPartitioner::new(vec!["k".into(), "n".into(), "b".into()], "-");
        assert_eq!(
            p.encode_partition(Some(&schemaless(
                json!({"k": "a-b", "n": -1.5e-7, "b": true})
            )))
            .unwrap(),
            "k=a%2Db-n=%2D1.5e%2D7-b=true"
        );
    }

    #[test]
    fn null_and_missing_fields_are_name_null_undeclared_fields_and_non_scalars_are_errors() {
        // FieldPartitionerTest#testNullPartition, #testNestedMissingPartition
        // (confluentinc/kafka-connect-storage-common, partitioner/src/test/...).
        let p = FieldPartitioner::new(vec!["dt".into()], "/");
        assert_eq!(
            p.encode_partition(Some(&schemaless(json!({"x": 1}))))
                .unwrap(),
            "dt=null"
        );
        assert_eq!(
            p.encode_partition(Some(&schemaless(json!({"dt": null}))))
                .unwrap(),
            "dt=null"
        );
        let nested = FieldPartitioner::new(vec!["user.address.city".into()], "/");
        let schema = json!({"type":"struct","fields":[{"field":"user","type":"struct","optional":true,"fields":[
            {"field":"address","type":"struct","optional":true,"fields":[{"field":"city","type":"string","optional":true}]}]}]});
        let v = Converted {
            data: json!({"user": null}),
            schema: Some(std::sync::Arc::new(schema.clone())),
        };
        assert_eq!(
            nested.encode_partition(Some(&v)).unwrap(),
            "user.address.city=null"
        );
        // FieldPartitionerTest#testMissingFieldInSchemaThrows: a field the schema lacks.
        let v = Converted {
            data: json!({"user": null}),
            schema: Some(std::sync::Arc::new(schema)),
        };
        assert_eq!(
            p.encode_partition(Some(&v)).unwrap_err().to_string(),
            "field \"dt\" is not in the value's schema"
        );
        assert_eq!(
            p.encode_partition(Some(&schemaless(json!({"dt": [1]}))))
                .unwrap_err()
                .to_string(),
            "field \"dt\" is an array, not a string, number or boolean"
        );
        assert_eq!(
            p.encode_partition(Some(&schemaless(json!("text"))))
                .unwrap_err()
                .to_string(),
            "the record value is a string, not a struct or map: FieldPartitioner needs fields"
        );
        assert!(p.encode_partition(None).is_err());
    }
}

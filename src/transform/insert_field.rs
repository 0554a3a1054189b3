//! Kafka Connect's `org.apache.kafka.connect.transforms.InsertField$Key` / `$Value`: adds fields
//! from the record's metadata (topic, partition, offset, timestamp) or a static string.
//!
//! Each field option is a field name; a trailing `!` makes the field required in the schema, a
//! trailing `?` (the default) optional. A null key or value passes unchanged. Schemaless, the
//! operand must be a JSON object and the fields are put into it (an existing field of the same
//! name is replaced in place; others are appended). With a schema, the operand must be a struct:
//! the fields are appended to its schema (topic: string, partition: int32, offset: int64,
//! timestamp: int64 with the `org.apache.kafka.connect.data.Timestamp` logical name, static:
//! string) and a name the schema already has is an error, as `SchemaBuilder` makes it. The
//! timestamp is written as epoch milliseconds, which is also the JSON form of Connect's
//! Timestamp; a record without a timestamp gets no timestamp field (null with a schema).

use serde_json::Value;

use super::{
    NewField, Options, Target, TransformRecord, insert_fields, logical_schema, primitive_schema,
};

/// InsertField's options.
pub(crate) const OPTIONS: &[&str] = &[
    "topic.field",
    "partition.field",
    "offset.field",
    "timestamp.field",
    "static.field",
    "static.value",
    "replace.null.with.default",
];

const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";

/// A field name with Connect's optionality suffix.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Spec {
    name: String,
    optional: bool,
}

impl Spec {
    fn parse(text: &str) -> Spec {
        if let Some(name) = text.strip_suffix('?') {
            Spec {
                name: name.to_owned(),
                optional: true,
            }
        } else if let Some(name) = text.strip_suffix('!') {
            Spec {
                name: name.to_owned(),
                optional: false,
            }
        } else {
            Spec {
                name: text.to_owned(),
                optional: true,
            }
        }
    }
}

/// A configured InsertField.
#[derive(Debug, Clone)]
pub(crate) struct InsertField {
    target: Target,
    topic: Option<Spec>,
    partition: Option<Spec>,
    offset: Option<Spec>,
    timestamp: Option<Spec>,
    static_field: Option<(Spec, String)>,
}

impl InsertField {
    /// Reads the options; problems go to `opts`.
    pub(crate) fn configure(target: Target, opts: &mut Options) -> Option<InsertField> {
        let spec = |name: &str, opts: &mut Options| -> Option<Spec> {
            let text = opts.get(name)?.to_owned();
            let s = Spec::parse(&text);
            if s.name.is_empty() {
                opts.error(name, format!("{text:?} is not a field name"));
                return None;
            }
            Some(s)
        };
        let topic = spec("topic.field", opts);
        let partition = spec("partition.field", opts);
        let offset = spec("offset.field", opts);
        let timestamp = spec("timestamp.field", opts);
        let static_spec = spec("static.field", opts);
        let static_value = opts.get("static.value").map(str::to_owned);
        opts.replace_null_with_default();
        let static_field = match (static_spec, static_value) {
            (Some(s), Some(v)) => Some((s, v)),
            (Some(s), None) => {
                opts.error(
                    "static.value",
                    format!(
                        "is required when static.field is set (the value of field {:?})",
                        s.name
                    ),
                );
                return None;
            }
            (None, Some(_)) => {
                let key = opts.key("static.value");
                opts.warn(format!("{key} is ignored: static.field is not set"));
                None
            }
            (None, None) => None,
        };
        if topic.is_none()
            && partition.is_none()
            && offset.is_none()
            && timestamp.is_none()
            && static_field.is_none()
        {
            opts.error(
                "type",
                "InsertField needs at least one of topic.field, partition.field, offset.field, timestamp.field, static.field",
            );
            return None;
        }
        Some(InsertField {
            target,
            topic,
            partition,
            offset,
            timestamp,
            static_field,
        })
    }

    /// Inserts the configured fields into the key or value.
    pub(crate) fn apply(&self, mut record: TransformRecord) -> Result<TransformRecord, String> {
        let mut fields = Vec::new();
        let mut add = |spec: &Option<Spec>, value: Option<Value>, schema: Value| {
            if let Some(s) = spec {
                fields.push(NewField {
                    name: s.name.clone(),
                    value,
                    schema,
                });
            }
        };
        let opt = |s: &Option<Spec>| s.as_ref().is_none_or(|s| s.optional);
        add(
            &self.topic,
            Some(Value::String(record.topic.clone())),
            primitive_schema("string", opt(&self.topic)),
        );
        add(
            &self.partition,
            Some(Value::from(record.partition)),
            primitive_schema("int32", opt(&self.partition)),
        );
        add(
            &self.offset,
            Some(Value::from(record.offset)),
            primitive_schema("int64", opt(&self.offset)),
        );
        add(
            &self.timestamp,
            record.timestamp.map(Value::from),
            logical_schema("int64", opt(&self.timestamp), TIMESTAMP),
        );
        if let Some((spec, value)) = &self.static_field {
            fields.push(NewField {
                name: spec.name.clone(),
                value: Some(Value::String(value.clone())),
                schema: primitive_schema("string", spec.optional),
            });
        }
        let Some(conv) = self.target.slot(&mut record).as_mut() else {
            return Ok(record);
        };
        insert_fields(conv, fields, "InsertField")?;
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::convert::Converted;
    use serde_json::json;

    fn all_fields(class: &'static str) -> Vec<(&'static str, &'static str)> {
        vec![
            ("transforms", "ins"),
            ("transforms.ins.type", class),
            ("transforms.ins.topic.field", "t!"),
            ("transforms.ins.partition.field", "p?"),
            ("transforms.ins.offset.field", "o"),
            ("transforms.ins.timestamp.field", "ts"),
            ("transforms.ins.static.field", "s"),
            ("transforms.ins.static.value", " v "),
        ]
    }

    #[test]
    fn schemaless_value_gets_every_field() {
        let c = chain(&all_fields("InsertField$Value"));
        let out = c
            .apply(record(Some(json!({"a": 1, "s": "old"}))))
            .unwrap()
            .unwrap();
        assert_eq!(
            out.value.unwrap().data.to_string(),
            r#"{"a":1,"s":"v","t":"t","p":0,"o":42,"ts":1700000000000}"#
        );
        // No timestamp: no timestamp field.
        let mut r = record(Some(json!({})));
        r.timestamp = None;
        let out = c.apply(r).unwrap().unwrap();
        assert_eq!(
            out.value.unwrap().data,
            json!({"t":"t","p":0,"o":42,"s":"v"})
        );
    }

    #[test]
    fn schema_gets_field_schemas_with_optionality() {
        let c = chain(&all_fields(
            "org.apache.kafka.connect.transforms.InsertField$Value",
        ));
        let r = record_with_schema(
            json!({"a": 1}),
            json!({"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"}],"optional":false,"name":"x.Value"}),
        );
        let out = c.apply(r).unwrap().unwrap().value.unwrap();
        assert_eq!(
            out.data.to_string(),
            r#"{"a":1,"t":"t","p":0,"o":42,"ts":1700000000000,"s":"v"}"#
        );
        assert_eq!(
            out.schema.unwrap().to_string(),
            concat!(
                r#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"},"#,
                r#"{"type":"string","optional":false,"field":"t"},{"type":"int32","optional":true,"field":"p"},"#,
                r#"{"type":"int64","optional":true,"field":"o"},"#,
                r#"{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"ts"},"#,
                r#"{"type":"string","optional":true,"field":"s"}],"optional":false,"name":"x.Value"}"#
            )
        );
    }

    #[test]
    fn key_variant_touches_only_the_key_and_null_passes() {
        let c = chain(&[
            ("transforms", "k"),
            ("transforms.k.type", "InsertField$Key"),
            ("transforms.k.offset.field", "off"),
        ]);
        let mut r = record(Some(json!({"v": 1})));
        r.key = Some(Converted {
            data: json!({"id": 7}),
            schema: None,
        });
        let out = c.apply(r).unwrap().unwrap();
        assert_eq!(out.key.unwrap().data, json!({"id": 7, "off": 42}));
        assert_eq!(out.value.unwrap().data, json!({"v": 1}));
        // Null key: unchanged.
        let r = record(Some(json!({"v": 1})));
        assert_eq!(c.apply(r.clone()).unwrap(), Some(r));
    }

    #[test]
    fn tombstone_passes_unchanged() {
        let c = chain(&all_fields("InsertField$Value"));
        assert_eq!(c.apply(record(None)).unwrap(), Some(record(None)));
    }

    #[test]
    fn bad_records_are_errors() {
        let c = chain(&all_fields("InsertField$Value"));
        let err = c
            .apply(record(Some(json!("text"))))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "transform ins (InsertField$Value): InsertField needs a JSON object (map), found a string"
        );
        let r = record_with_schema(
            json!({"t": "x"}),
            json!({"type":"struct","fields":[{"type":"string","optional":false,"field":"t"}],"optional":false}),
        );
        let err = c.apply(r).unwrap_err().to_string();
        assert_eq!(
            err,
            "transform ins (InsertField$Value): InsertField: cannot add field \"t\": the schema already has a field of that name"
        );
        let c = chain(&[
            ("transforms", "ins"),
            ("transforms.ins.type", "InsertField$Value"),
            ("transforms.ins.timestamp.field", "ts!"),
        ]);
        let mut r = record_with_schema(
            json!({}),
            json!({"type":"struct","fields":[],"optional":false}),
        );
        r.timestamp = None;
        assert_eq!(
            c.apply(r).unwrap_err().to_string(),
            "transform ins (InsertField$Value): InsertField: required field \"ts\" has no value"
        );
    }

    #[test]
    fn config_errors_name_the_key() {
        let e = errors(&[
            ("transforms", "i"),
            ("transforms.i.type", "InsertField$Value"),
        ]);
        assert_eq!(
            e,
            [
                "transforms.i.type: InsertField needs at least one of topic.field, partition.field, offset.field, timestamp.field, static.field"
            ]
        );
        let e = errors(&[
            ("transforms", "i"),
            ("transforms.i.type", "InsertField$Value"),
            ("transforms.i.static.field", "s"),
            ("transforms.i.topic.field", "!"),
            ("transforms.i.replace.null.with.default", "maybe"),
        ]);
        assert_eq!(
            e,
            [
                "transforms.i.topic.field: \"!\" is not a field name",
                "transforms.i.replace.null.with.default: \"maybe\" is not a boolean (true or false)",
                "transforms.i.static.value: is required when static.field is set (the value of field \"s\")",
            ]
        );
    }

    #[test]
    fn static_value_without_field_warns() {
        let c = chain(&[
            ("transforms", "i"),
            ("transforms.i.type", "InsertField$Value"),
            ("transforms.i.topic.field", "t"),
            ("transforms.i.static.value", "v"),
        ]);
        assert_eq!(
            c.warnings(),
            ["transforms.i.static.value is ignored: static.field is not set"]
        );
    }
}

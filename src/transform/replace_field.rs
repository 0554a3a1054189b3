//! Kafka Connect's `org.apache.kafka.connect.transforms.ReplaceField$Key` / `$Value`: keeps,
//! drops and renames top-level fields.
//!
//! `exclude` (fields to drop) takes precedence over `include` (when set, only these fields are
//! kept); `renames` is a list of `old:new` pairs. The deprecated `blacklist` / `whitelist` (Kafka
//! before 4.0) are read as `exclude` / `include` when those are not set. A null key or value
//! passes unchanged. Field order is kept. With a schema, the schema's fields are filtered and
//! renamed the same way, and two fields renamed to one name are an error.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{
    Options, Target, TransformRecord, entry_schema, field_entry, field_name, kind_of,
    rebuild_schema, schema_type, struct_fields,
};

/// ReplaceField's options.
pub(crate) const OPTIONS: &[&str] = &[
    "exclude",
    "include",
    "renames",
    "blacklist",
    "whitelist",
    "replace.null.with.default",
];

/// A configured ReplaceField.
#[derive(Debug, Clone)]
pub(crate) struct ReplaceField {
    target: Target,
    exclude: BTreeSet<String>,
    include: BTreeSet<String>,
    renames: BTreeMap<String, String>,
}

/// Reads `name`, or its deprecated alias `old` when `name` is not set.
fn list_with_deprecated(opts: &mut Options, name: &str, old: &str) -> BTreeSet<String> {
    let key = opts.key(name);
    let old_key = opts.key(old);
    match (opts.get(name).is_some(), opts.get(old).is_some()) {
        (true, true) => {
            opts.warn(format!(
                "{old_key} is deprecated and ignored because {key} is set; remove {old_key}"
            ));
            opts.list(name).into_iter().collect()
        }
        (false, true) => {
            opts.warn(format!(
                "{old_key} is deprecated (removed in Kafka 4.0); use {key} instead"
            ));
            opts.list(old).into_iter().collect()
        }
        _ => opts.list(name).into_iter().collect(),
    }
}

impl ReplaceField {
    /// Reads the options; problems go to `opts`.
    pub(crate) fn configure(target: Target, opts: &mut Options) -> Option<ReplaceField> {
        let exclude = list_with_deprecated(opts, "exclude", "blacklist");
        let include = list_with_deprecated(opts, "include", "whitelist");
        let mut renames = BTreeMap::new();
        let mut ok = true;
        for pair in opts.list("renames") {
            let parts: Vec<&str> = pair.split(':').collect();
            match parts.as_slice() {
                [from, to] if !from.is_empty() && !to.is_empty() => {
                    renames.insert((*from).to_owned(), (*to).to_owned());
                }
                _ => {
                    opts.error(
                        "renames",
                        format!("invalid rename mapping {pair:?}: expected old:new pairs separated by commas, e.g. foo:bar,abc:xyz"),
                    );
                    ok = false;
                }
            }
        }
        opts.replace_null_with_default();
        ok.then_some(ReplaceField {
            target,
            exclude,
            include,
            renames,
        })
    }

    fn keeps(&self, name: &str) -> bool {
        !self.exclude.contains(name) && (self.include.is_empty() || self.include.contains(name))
    }

    fn renamed<'a>(&'a self, name: &'a str) -> &'a str {
        self.renames.get(name).map_or(name, String::as_str)
    }

    /// Filters and renames the key's or value's fields.
    pub(crate) fn apply(&self, mut record: TransformRecord) -> Result<TransformRecord, String> {
        let Some(conv) = self.target.slot(&mut record).as_mut() else {
            return Ok(record);
        };
        let Value::Object(map) = &conv.data else {
            let shape = if conv.schema.is_some() {
                "a struct"
            } else {
                "a JSON object (map)"
            };
            return Err(format!(
                "ReplaceField needs {shape}, found {}",
                kind_of(&conv.data)
            ));
        };
        let mut out = Map::new();
        match &conv.schema {
            None => {
                for (name, value) in map {
                    if self.keeps(name) {
                        out.insert(self.renamed(name).to_owned(), value.clone());
                    }
                }
            }
            Some(schema) => {
                if schema_type(schema) != Some("struct") {
                    return Err(format!(
                        "ReplaceField needs a struct schema, found type {}",
                        schema_type(schema).unwrap_or("(none)")
                    ));
                }
                let mut entries = Vec::new();
                for entry in struct_fields(schema).map(Vec::as_slice).unwrap_or_default() {
                    let Some(name) = field_name(entry) else {
                        continue;
                    };
                    if !self.keeps(name) {
                        continue;
                    }
                    let new_name = self.renamed(name);
                    if out.contains_key(new_name) {
                        return Err(format!(
                            "ReplaceField: two fields would be called {new_name:?}"
                        ));
                    }
                    entries.push(field_entry(entry_schema(entry), new_name));
                    out.insert(
                        new_name.to_owned(),
                        map.get(name).cloned().unwrap_or(Value::Null),
                    );
                }
                conv.schema = Some(Arc::new(rebuild_schema(
                    schema,
                    Some(entries),
                    false,
                    false,
                )));
            }
        }
        conv.data = Value::Object(out);
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::convert::Converted;
    use serde_json::json;

    fn rf(opts: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut pairs = vec![
            ("transforms", "rf"),
            (
                "transforms.rf.type",
                "org.apache.kafka.connect.transforms.ReplaceField$Value",
            ),
        ];
        pairs.extend_from_slice(opts);
        pairs
    }

    #[test]
    fn exclude_wins_over_include_and_renames_keep_order() {
        let c = chain(&rf(&[
            ("transforms.rf.include", "a,b,c"),
            ("transforms.rf.exclude", "b"),
            ("transforms.rf.renames", "a:x, c:y"),
        ]));
        let out = c
            .apply(record(Some(json!({"c": 3, "b": 2, "a": 1, "d": 4}))))
            .unwrap()
            .unwrap();
        assert_eq!(out.value.unwrap().data.to_string(), r#"{"y":3,"x":1}"#);
        assert!(c.warnings().is_empty());
    }

    #[test]
    fn with_schema() {
        let c = chain(&rf(&[
            ("transforms.rf.exclude", "email"),
            ("transforms.rf.renames", "id:customer_id"),
        ]));
        let r = record_with_schema(
            json!({"id": 1, "email": "e", "name": "n"}),
            json!({"type":"struct","fields":[
                {"type":"int32","optional":false,"field":"id"},
                {"type":"string","optional":false,"field":"email"},
                {"type":"string","optional":true,"field":"name"}],"optional":true,"name":"v"}),
        );
        let out = c.apply(r).unwrap().unwrap().value.unwrap();
        assert_eq!(out.data.to_string(), r#"{"customer_id":1,"name":"n"}"#);
        assert_eq!(
            out.schema.unwrap().to_string(),
            r#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"customer_id"},{"type":"string","optional":true,"field":"name"}],"optional":false,"name":"v"}"#
        );
    }

    #[test]
    fn deprecated_names_work_and_warn() {
        let c = chain(&rf(&[
            ("transforms.rf.blacklist", "a"),
            ("transforms.rf.whitelist", "a,b"),
        ]));
        let out = c
            .apply(record(Some(json!({"a": 1, "b": 2, "c": 3}))))
            .unwrap()
            .unwrap();
        assert_eq!(out.value.unwrap().data, json!({"b": 2}));
        assert_eq!(
            c.warnings(),
            [
                "transforms.rf.blacklist is deprecated (removed in Kafka 4.0); use transforms.rf.exclude instead",
                "transforms.rf.whitelist is deprecated (removed in Kafka 4.0); use transforms.rf.include instead",
            ]
        );
        let c = chain(&rf(&[
            ("transforms.rf.blacklist", "a"),
            ("transforms.rf.exclude", "b"),
        ]));
        let out = c
            .apply(record(Some(json!({"a": 1, "b": 2}))))
            .unwrap()
            .unwrap();
        assert_eq!(out.value.unwrap().data, json!({"a": 1}));
        assert!(c.warnings()[0].contains("ignored because transforms.rf.exclude is set"));
    }

    #[test]
    fn key_variant_and_nulls() {
        let c = chain(&[
            ("transforms", "rf"),
            ("transforms.rf.type", "ReplaceField$Key"),
            ("transforms.rf.renames", "id:key_id"),
        ]);
        let mut r = record(None);
        r.key = Some(Converted {
            data: json!({"id": 1}),
            schema: None,
        });
        let out = c.apply(r).unwrap().unwrap();
        assert_eq!(out.key.unwrap().data, json!({"key_id": 1}));
        assert_eq!(out.value, None);
        let r = record(Some(json!({"id": 1})));
        assert_eq!(c.apply(r.clone()).unwrap(), Some(r));
    }

    #[test]
    fn errors() {
        let e =
            super::super::test_support::errors(&rf(&[("transforms.rf.renames", "a:b,c,d:e:f,:g")]));
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(
            e[0].starts_with("transforms.rf.renames: invalid rename mapping \"c\""),
            "{e:?}"
        );
        let c = chain(&rf(&[("transforms.rf.renames", "a:b")]));
        let r = record_with_schema(
            json!({"a": 1, "b": 2}),
            json!({"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"},{"type":"int32","optional":false,"field":"b"}],"optional":false}),
        );
        assert_eq!(
            c.apply(r).unwrap_err().to_string(),
            "transform rf (ReplaceField$Value): ReplaceField: two fields would be called \"b\""
        );
        assert_eq!(
            c.apply(record(Some(json!(5)))).unwrap_err().to_string(),
            "transform rf (ReplaceField$Value): ReplaceField needs a JSON object (map), found a number"
        );
    }
}

//! Debezium's `io.debezium.transforms.ExtractNewRecordState` (event flattening): replaces a
//! change event by its `after` row, with Debezium 2.x/3.x's handling of deletes and tombstones.
//!
//! What is a change event:
//! - with a schema (`{schema, payload}`), a value whose schema name ends with `.Envelope`, as
//!   Debezium checks;
//! - schemaless, a JSON object with a `before` or `after` field and a string `op` of `c`, `u`,
//!   `r`, `d` or `t` (Debezium itself passes schemaless records unchanged; this sink unwraps them
//!   too, because a pasted connector config with `value.converter.schemas.enable=false`
//!   expects it). Such an object without `op`, or with another `op`, is an error.
//!
//! Anything else (heartbeats, schema change events, transaction metadata, message events)
//! passes unchanged. For a change event: `after` not null (create, update, snapshot read) → the
//! `after` row; `after` null and `before` not null (delete) → per the mode below; both null
//! (truncate) → dropped, as Debezium does. A Kafka tombstone (null value) is kept or dropped per
//! the mode.
//!
//! `delete.tombstone.handling.mode` (default `tombstone`):
//! - `drop`: deletes and tombstones dropped;
//! - `tombstone`: a delete becomes a tombstone (null value, at the delete's offset); Debezium's
//!   own tombstone that follows is dropped, so one tombstone stays per delete;
//! - `rewrite`: a delete becomes its `before` row with `__deleted: "true"`, every other row gets
//!   `__deleted: "false"`; tombstones dropped;
//! - `rewrite-with-tombstone`: as `rewrite`, tombstones kept;
//! - `delete-to-tombstone`: as `tombstone` (Debezium also drops the value schema, which a null
//!   value here does not have anyway).
//!
//! The deprecated `drop.tombstones` (default `true`) and `delete.handling.mode` (`drop` default,
//! `none`, `rewrite`), used only when `delete.tombstone.handling.mode` is not set, behave as
//! Debezium 2.5–3.1's legacy strategy: `drop.tombstones` decides tombstones, and deletes are
//! dropped (`drop`), turned into tombstones (`none`) or rewritten (`rewrite`).
//!
//! `add.fields` adds envelope fields to the row, named `add.fields.prefix` (default `__`) + the
//! field (`op` → `__op`, `source.ts_ms` → `__source_ts_ms`, `a:B` → `__B`); unqualified names
//! are looked up where Debezium looks: `op`, `ts_ms`, `ts_us`, `ts_ns` in the envelope, `id`,
//! `total_order`, `data_collection_order` in `transaction`, anything else in `source`, then in
//! the envelope. A field that is not there is not added. With a schema, each added field gets
//! its envelope schema made optional. `add.headers` adds the same values as headers (prefix
//! `add.headers.prefix`, default `__`), written as Kafka Connect's `SimpleHeaderConverter` would:
//! strings as their text, null as no bytes, other values as JSON text; a tombstone gets only
//! `op` = `d`.
//!
//! Not supported (a non-empty value is a configuration error): `route.by.field`,
//! `drop.fields.header.name`, `drop.fields.from.key`, `drop.fields.keep.schema.compatible`.

use std::sync::Arc;

use serde_json::Value;

use super::{
    NewField, Options, TransformRecord, entry_schema, header_bytes, insert_fields, kind_of,
    primitive_schema, rebuild_schema, schema_name, struct_field,
};
use crate::convert::Converted;
use crate::event::Header;

/// ExtractNewRecordState's options.
pub(crate) const OPTIONS: &[&str] = &[
    "delete.tombstone.handling.mode",
    "drop.tombstones",
    "delete.handling.mode",
    "add.fields",
    "add.fields.prefix",
    "add.headers",
    "add.headers.prefix",
    "route.by.field",
    "drop.fields.header.name",
    "drop.fields.from.key",
    "drop.fields.keep.schema.compatible",
    "replace.null.with.default",
];

const MODES: &[&str] = &[
    "drop",
    "tombstone",
    "rewrite",
    "rewrite-with-tombstone",
    "delete-to-tombstone",
];
const DELETED_FIELD: &str = "__deleted";
const OPS: &[&str] = &["c", "u", "r", "d", "t"];

/// What becomes of a delete event (`after` null, `before` not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeleteAction {
    Drop,
    Tombstone,
    Rewrite,
}

/// A field of the change event to copy into the row or the headers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldReference {
    /// The struct holding the field (`source`, `transaction`), or `None` for the envelope.
    parent: Option<String>,
    field: String,
    new_name: String,
}

impl FieldReference {
    fn parse(prefix: &str, text: &str) -> Result<FieldReference, String> {
        let parts: Vec<&str> = text.split(':').collect();
        let (path, rename) = match parts.as_slice() {
            [path] => (*path, None),
            [path, rename] if !rename.is_empty() => (*path, Some(*rename)),
            _ => {
                return Err(format!(
                    "{text:?} is not a field reference (field, struct.field, or either followed by :newName)"
                ));
            }
        };
        let segments: Vec<&str> = path.split('.').collect();
        let (parent, field, qualified) = match segments.as_slice() {
            [field] if !field.is_empty() => (determine_struct(field), *field, false),
            [parent, field] if !parent.is_empty() && !field.is_empty() => {
                (Some((*parent).to_owned()), *field, true)
            }
            _ => {
                return Err(format!(
                    "{text:?} is not a field reference (field, struct.field, or either followed by :newName)"
                ));
            }
        };
        let new_name = match (rename, qualified, &parent) {
            (Some(r), _, _) => format!("{prefix}{r}"),
            (None, true, Some(p)) => format!("{prefix}{p}_{field}"),
            _ => format!("{prefix}{field}"),
        };
        Ok(FieldReference {
            parent,
            field: field.to_owned(),
            new_name,
        })
    }

    /// The field's value and, with a schema, its schema (made optional), or `None` when the
    /// change event has no such field.
    fn lookup(&self, event: &Converted) -> Result<Option<(Value, Option<Value>)>, String> {
        let data = &event.data;
        match &event.schema {
            Some(schema) => {
                let parent_schema = match &self.parent {
                    None => (**schema).clone(),
                    Some(p) => match struct_field(schema, p) {
                        Some(entry) => entry_schema(entry),
                        None => {
                            return Err(format!(
                                "the change event has no struct {p:?} to take field {:?} from",
                                self.field
                            ));
                        }
                    },
                };
                let (entry, in_parent) = match struct_field(&parent_schema, &self.field) {
                    Some(e) => (e.clone(), true),
                    None => match struct_field(schema, &self.field) {
                        Some(e) => (e.clone(), false),
                        None => return Ok(None),
                    },
                };
                let field_schema = rebuild_schema(&entry_schema(&entry), None, true, false);
                let value = match (&self.parent, in_parent) {
                    (Some(p), true) => data.get(p).and_then(|s| s.get(&self.field)).cloned(),
                    _ => data.get(&self.field).cloned(),
                };
                Ok(Some((value.unwrap_or(Value::Null), Some(field_schema))))
            }
            None => {
                let from_envelope = || data.get(&self.field).map(|v| (v.clone(), None));
                let Some(p) = &self.parent else {
                    return Ok(from_envelope());
                };
                Ok(match data.get(p) {
                    Some(Value::Object(s)) => match s.get(&self.field) {
                        Some(v) => Some((v.clone(), None)),
                        None => from_envelope(),
                    },
                    // A struct that is null (e.g. `transaction` during a snapshot).
                    Some(Value::Null) => Some((Value::Null, None)),
                    _ => from_envelope(),
                })
            }
        }
    }
}

/// Where Debezium looks for an unqualified field name.
fn determine_struct(field: &str) -> Option<String> {
    match field {
        "id" | "total_order" | "data_collection_order" => Some("transaction".to_owned()),
        "op" | "ts_ms" | "ts_us" | "ts_ns" => None,
        "updateDescription" => Some("updateDescription".to_owned()),
        _ => Some("source".to_owned()),
    }
}

/// A configured ExtractNewRecordState.
#[derive(Debug, Clone)]
pub(crate) struct ExtractNewRecordState {
    deletes: DeleteAction,
    keep_tombstones: bool,
    add_fields: Vec<FieldReference>,
    add_headers: Vec<FieldReference>,
}

impl ExtractNewRecordState {
    /// Reads the options; problems go to `opts`, deprecation notes to its warnings.
    pub(crate) fn configure(opts: &mut Options) -> Option<ExtractNewRecordState> {
        let mut ok = true;
        for name in [
            "route.by.field",
            "drop.fields.header.name",
            "drop.fields.from.key",
            "drop.fields.keep.schema.compatible",
        ] {
            if opts.non_empty(name).is_some() {
                opts.error(
                    name,
                    "is not supported by this sink's ExtractNewRecordState; remove it",
                );
                ok = false;
            }
        }
        opts.replace_null_with_default();

        let mode_key = opts.key("delete.tombstone.handling.mode");
        let legacy_set: Vec<String> = ["drop.tombstones", "delete.handling.mode"]
            .into_iter()
            .filter(|n| opts.get(n).is_some())
            .map(|n| opts.key(n))
            .collect();
        let (deletes, keep_tombstones) = if opts
            .non_empty("delete.tombstone.handling.mode")
            .is_some()
        {
            let mode = opts.choice("delete.tombstone.handling.mode", MODES, "tombstone", true);
            if !legacy_set.is_empty() {
                opts.warn(format!(
                    "{} ignored because {mode_key} is set (as Debezium does); remove the deprecated option",
                    legacy_set.join(" and "),
                ));
            }
            match mode {
                "drop" => (DeleteAction::Drop, false),
                "rewrite" => (DeleteAction::Rewrite, false),
                "rewrite-with-tombstone" => (DeleteAction::Rewrite, true),
                // `tombstone` and `delete-to-tombstone`.
                _ => (DeleteAction::Tombstone, false),
            }
        } else if legacy_set.is_empty() {
            (DeleteAction::Tombstone, false)
        } else {
            let drop_tombstones = opts.boolean("drop.tombstones", true);
            let legacy = opts.choice(
                "delete.handling.mode",
                &["drop", "none", "rewrite"],
                "drop",
                true,
            );
            let deletes = match legacy {
                "none" => DeleteAction::Tombstone,
                "rewrite" => DeleteAction::Rewrite,
                _ => DeleteAction::Drop,
            };
            let equivalent = match (deletes, drop_tombstones) {
                (DeleteAction::Drop, true) => Some("drop"),
                (DeleteAction::Tombstone, true) => Some("tombstone"),
                (DeleteAction::Rewrite, true) => Some("rewrite"),
                (DeleteAction::Rewrite, false) => Some("rewrite-with-tombstone"),
                _ => None,
            };
            let replacement = match equivalent {
                Some(mode) => format!("this is {mode_key}={mode}: set that instead"),
                None => format!(
                    "no {mode_key} value does exactly this (delete events {}, tombstones kept); the nearest is {mode_key}=tombstone",
                    if deletes == DeleteAction::Drop {
                        "dropped"
                    } else {
                        "turned into tombstones"
                    },
                ),
            };
            let (verb, pronoun) = if legacy_set.len() == 1 {
                ("is", "it")
            } else {
                ("are", "them")
            };
            opts.warn(format!(
                "{} {verb} deprecated since Debezium 2.5 and removed in Debezium 3.2 (which ignores {pronoun} and uses {mode_key}=tombstone); applied here as Debezium 2.x does: {replacement}",
                legacy_set.join(" and "),
            ));
            (deletes, !drop_tombstones)
        };

        let references = |opts: &mut Options, list: &str, prefix_option: &str| {
            let prefix = opts.get(prefix_option).unwrap_or("__").to_owned();
            let mut out = Vec::new();
            for item in opts.list(list) {
                match FieldReference::parse(&prefix, &item) {
                    Ok(r) => out.push(r),
                    Err(e) => opts.error(list, e),
                }
            }
            out
        };
        let add_fields = references(opts, "add.fields", "add.fields.prefix");
        let add_headers = references(opts, "add.headers", "add.headers.prefix");
        ok.then_some(ExtractNewRecordState {
            deletes,
            keep_tombstones,
            add_fields,
            add_headers,
        })
    }

    /// Unwraps one record; `Ok(None)` when it is dropped.
    pub(crate) fn apply(
        &self,
        mut record: TransformRecord,
    ) -> Result<Option<TransformRecord>, String> {
        let is_envelope = match &record.value {
            None => false,
            Some(v) => is_change_event(v)?,
        };
        if (is_envelope || record.value.is_none()) && !self.add_headers.is_empty() {
            let headers = self.headers(record.value.as_ref())?;
            record.headers.extend(headers);
        }
        let Some(event) = record.value.take() else {
            return Ok(self.keep_tombstones.then_some(record));
        };
        if !is_envelope {
            record.value = Some(event);
            return Ok(Some(record));
        }
        let after = event.data.get("after").unwrap_or(&Value::Null);
        let before = event.data.get("before").unwrap_or(&Value::Null);
        if after.is_null() && before.is_null() {
            // A truncate event: Debezium drops it.
            return Ok(None);
        }
        let row = if after.is_null() {
            match self.deletes {
                DeleteAction::Drop => return Ok(None),
                DeleteAction::Tombstone => return Ok(Some(record)),
                DeleteAction::Rewrite => self.rewritten(&event, "before", "true")?,
            }
        } else if self.deletes == DeleteAction::Rewrite {
            self.rewritten(&event, "after", "false")?
        } else {
            extract(&event, "after")
        };
        record.value = Some(self.add_fields(&event, row)?);
        Ok(Some(record))
    }

    /// The row in `field` with `__deleted` added (when the row is an object, as Debezium does).
    fn rewritten(
        &self,
        event: &Converted,
        field: &str,
        deleted: &str,
    ) -> Result<Converted, String> {
        let mut row = extract(event, field);
        if row.data.is_object() {
            let f = NewField {
                name: DELETED_FIELD.to_owned(),
                value: Some(Value::String(deleted.to_owned())),
                schema: primitive_schema("string", true),
            };
            insert_fields(&mut row, vec![f], "ExtractNewRecordState (rewrite)")?;
        }
        Ok(row)
    }

    /// Adds the `add.fields` to the row. With a schema the row's schema is always rebuilt, as
    /// Debezium's `SchemaBuilder` copy does (a struct schema that is not optional).
    fn add_fields(&self, event: &Converted, mut row: Converted) -> Result<Converted, String> {
        if row.schema.is_none() && self.add_fields.is_empty() {
            return Ok(row);
        }
        if !row.data.is_object() {
            return Err(format!(
                "add.fields needs the row to be a struct, found {}",
                kind_of(&row.data)
            ));
        }
        let mut fields = Vec::new();
        for r in &self.add_fields {
            if let Some((value, schema)) = r.lookup(event)? {
                fields.push(NewField {
                    name: r.new_name.clone(),
                    value: Some(value),
                    schema: schema.unwrap_or(Value::Null),
                });
            }
        }
        insert_fields(&mut row, fields, "add.fields")?;
        Ok(row)
    }

    /// The `add.headers` of an event (or of a tombstone: only `op` = `d`).
    fn headers(&self, event: Option<&Converted>) -> Result<Vec<Header>, String> {
        let mut out = Vec::new();
        for r in &self.add_headers {
            let Some(event) = event else {
                if r.field == "op" {
                    out.push(Header {
                        name: r.new_name.clone(),
                        value: b"d".to_vec(),
                    });
                }
                continue;
            };
            if let Some((value, _)) = r.lookup(event)? {
                out.push(Header {
                    name: r.new_name.clone(),
                    value: header_bytes(&value),
                });
            }
        }
        Ok(out)
    }
}

/// Field `name` of a change event with its schema, as Connect's `ExtractField` gives it.
fn extract(event: &Converted, name: &str) -> Converted {
    Converted {
        data: event.data.get(name).cloned().unwrap_or(Value::Null),
        schema: event
            .schema
            .as_ref()
            .and_then(|s| struct_field(s, name))
            .map(|e| Arc::new(entry_schema(e))),
    }
}

/// Whether a value is a Debezium change event (see the module documentation).
fn is_change_event(value: &Converted) -> Result<bool, String> {
    if let Some(schema) = &value.schema {
        if !schema_name(schema).is_some_and(|n| n.ends_with(".Envelope")) {
            return Ok(false);
        }
        if !value.data.is_object() {
            return Err(format!(
                "value is not a Debezium change event: its schema is named like an envelope but the value is {}",
                kind_of(&value.data)
            ));
        }
        return Ok(true);
    }
    let Value::Object(map) = &value.data else {
        return Ok(false);
    };
    if !map.contains_key("before") && !map.contains_key("after") {
        return Ok(false);
    }
    match map.get("op") {
        None => Err(
            "value is not a Debezium change event: it has \"before\"/\"after\" but no \"op\" field"
                .to_owned(),
        ),
        Some(Value::String(op)) if OPS.contains(&op.as_str()) => Ok(true),
        Some(other) => Err(format!(
            "value is not a Debezium change event: \"op\" is {other}, expected one of \"c\", \"u\", \"r\", \"d\", \"t\""
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use serde_json::json;

    fn unwrap(opts: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut pairs = vec![
            ("transforms", "unwrap"),
            (
                "transforms.unwrap.type",
                "io.debezium.transforms.ExtractNewRecordState",
            ),
        ];
        pairs.extend_from_slice(opts);
        pairs
    }

    fn event(op: &str, before: Value, after: Value) -> Value {
        json!({"before": before, "after": after, "source": {"db": "inventory", "table": "customers", "ts_ms": 5}, "transaction": null, "op": op, "ts_ms": 7})
    }

    fn value_of(r: Option<TransformRecord>) -> Option<Value> {
        r.expect("record kept").value.map(|v| v.data)
    }

    #[test]
    fn field_references() {
        let r = FieldReference::parse("__", "source.ts_ms").unwrap();
        assert_eq!(
            (r.parent.as_deref(), r.field.as_str(), r.new_name.as_str()),
            (Some("source"), "ts_ms", "__source_ts_ms")
        );
        let r = FieldReference::parse("__", "ts_ms").unwrap();
        assert_eq!((r.parent, r.new_name.as_str()), (None, "__ts_ms"));
        let r = FieldReference::parse("", "table:TBL").unwrap();
        assert_eq!(
            (r.parent.as_deref(), r.new_name.as_str()),
            (Some("source"), "TBL")
        );
        let r = FieldReference::parse("x_", "id").unwrap();
        assert_eq!(
            (r.parent.as_deref(), r.new_name.as_str()),
            (Some("transaction"), "x_id")
        );
        for bad in ["a.b.c", "a:b:c", "a:", ":b", ".a", "a."] {
            assert!(FieldReference::parse("__", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn default_mode_is_tombstone() {
        let c = chain(&unwrap(&[]));
        let after = json!({"id": 1});
        assert_eq!(
            value_of(
                c.apply(record(Some(event("c", Value::Null, after.clone()))))
                    .unwrap()
            ),
            Some(after)
        );
        // Delete → a tombstone at the delete's offset; Debezium's tombstone → dropped.
        let out = c
            .apply(record(Some(event("d", json!({"id": 1}), Value::Null))))
            .unwrap();
        assert_eq!(out, Some(record(None)));
        assert_eq!(c.apply(record(None)).unwrap(), None);
        assert!(c.warnings().is_empty());
    }

    #[test]
    fn truncate_is_dropped_and_non_events_pass() {
        let c = chain(&unwrap(&[(
            "transforms.unwrap.delete.tombstone.handling.mode",
            "rewrite",
        )]));
        assert_eq!(
            c.apply(record(Some(event("t", Value::Null, Value::Null))))
                .unwrap(),
            None
        );
        for v in [
            json!({"ts_ms": 1}),
            json!("text"),
            json!({"op": "m", "message": {}}),
            json!([1]),
        ] {
            let r = record(Some(v));
            assert_eq!(c.apply(r.clone()).unwrap(), Some(r));
        }
        // With a schema that is not an envelope (a heartbeat).
        let r = record_with_schema(
            json!({"ts_ms": 1}),
            json!({"type":"struct","fields":[{"type":"int64","optional":false,"field":"ts_ms"}],"optional":false,"name":"io.debezium.connector.common.Heartbeat"}),
        );
        assert_eq!(c.apply(r.clone()).unwrap(), Some(r));
    }

    #[test]
    fn malformed_events_are_errors() {
        let c = chain(&unwrap(&[]));
        let err = c
            .apply(record(Some(json!({"before": null, "after": {"id": 1}}))))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "transform unwrap (ExtractNewRecordState): value is not a Debezium change event: it has \"before\"/\"after\" but no \"op\" field"
        );
        let err = c
            .apply(record(Some(json!({"after": {"id": 1}, "op": "x"}))))
            .unwrap_err();
        assert!(err.to_string().contains("\"op\" is \"x\""), "{err}");
        let c = chain(&unwrap(&[("transforms.unwrap.add.fields", "op")]));
        let err = c
            .apply(record(Some(event("c", Value::Null, json!(5)))))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "transform unwrap (ExtractNewRecordState): add.fields needs the row to be a struct, found a number"
        );
    }

    #[test]
    fn rewrite_marks_every_row() {
        let c = chain(&unwrap(&[(
            "transforms.unwrap.delete.tombstone.handling.mode",
            "REWRITE",
        )]));
        assert_eq!(
            value_of(
                c.apply(record(Some(event("u", json!({"id": 1}), json!({"id": 2})))))
                    .unwrap()
            ),
            Some(json!({"id": 2, "__deleted": "false"}))
        );
        assert_eq!(
            value_of(
                c.apply(record(Some(event("d", json!({"id": 1}), Value::Null))))
                    .unwrap()
            ),
            Some(json!({"id": 1, "__deleted": "true"}))
        );
        assert_eq!(c.apply(record(None)).unwrap(), None);
        let c = chain(&unwrap(&[(
            "transforms.unwrap.delete.tombstone.handling.mode",
            "rewrite-with-tombstone",
        )]));
        assert_eq!(c.apply(record(None)).unwrap(), Some(record(None)));
    }

    #[test]
    fn legacy_options_behave_as_debezium_2() {
        // (drop.tombstones, delete.handling.mode) → (delete result, tombstone kept)
        let delete = || record(Some(event("d", json!({"id": 1}), Value::Null)));
        let c = chain(&unwrap(&[("transforms.unwrap.drop.tombstones", "false")]));
        assert_eq!(c.apply(delete()).unwrap(), None);
        assert_eq!(c.apply(record(None)).unwrap(), Some(record(None)));
        assert!(c.warnings()[0].contains("no transforms.unwrap.delete.tombstone.handling.mode value does exactly this (delete events dropped, tombstones kept)"), "{:?}", c.warnings());
        let c = chain(&unwrap(&[(
            "transforms.unwrap.delete.handling.mode",
            "none",
        )]));
        assert_eq!(c.apply(delete()).unwrap(), Some(record(None)));
        assert_eq!(c.apply(record(None)).unwrap(), None);
        assert!(c.warnings()[0].contains("this is transforms.unwrap.delete.tombstone.handling.mode=tombstone: set that instead"), "{:?}", c.warnings());
        let c = chain(&unwrap(&[
            ("transforms.unwrap.delete.handling.mode", "rewrite"),
            ("transforms.unwrap.drop.tombstones", "false"),
        ]));
        assert_eq!(
            value_of(c.apply(delete()).unwrap()),
            Some(json!({"id": 1, "__deleted": "true"}))
        );
        assert_eq!(c.apply(record(None)).unwrap(), Some(record(None)));
        assert_eq!(
            c.warnings(),
            [
                "transforms.unwrap.drop.tombstones and transforms.unwrap.delete.handling.mode are deprecated since Debezium 2.5 and removed in Debezium 3.2 (which ignores them and uses transforms.unwrap.delete.tombstone.handling.mode=tombstone); applied here as Debezium 2.x does: this is transforms.unwrap.delete.tombstone.handling.mode=rewrite-with-tombstone: set that instead"
            ]
        );
        // The new mode wins.
        let c = chain(&unwrap(&[
            ("transforms.unwrap.delete.handling.mode", "rewrite"),
            ("transforms.unwrap.delete.tombstone.handling.mode", "drop"),
        ]));
        assert_eq!(c.apply(delete()).unwrap(), None);
        assert_eq!(
            c.warnings(),
            [
                "transforms.unwrap.delete.handling.mode ignored because transforms.unwrap.delete.tombstone.handling.mode is set (as Debezium does); remove the deprecated option"
            ]
        );
    }

    #[test]
    fn add_fields_schemaless() {
        let c = chain(&unwrap(&[(
            "transforms.unwrap.add.fields",
            "op,table,source.ts_ms,ts_ms:event_ms,id,missing.x,lsn",
        )]));
        let out = value_of(
            c.apply(record(Some(event("c", Value::Null, json!({"id": 1})))))
                .unwrap(),
        );
        assert_eq!(
            out.unwrap().to_string(),
            r#"{"id":1,"__op":"c","__table":"customers","__source_ts_ms":5,"__event_ms":7,"__id":null}"#
        );
    }

    #[test]
    fn add_headers_and_tombstone_op_header() {
        let c = chain(&unwrap(&[
            ("transforms.unwrap.add.headers", "op,db,ts_ms"),
            ("transforms.unwrap.add.headers.prefix", "dbz."),
            (
                "transforms.unwrap.delete.tombstone.handling.mode",
                "rewrite-with-tombstone",
            ),
        ]));
        let out = c
            .apply(record(Some(event("c", Value::Null, json!({"id": 1})))))
            .unwrap()
            .unwrap();
        let h: Vec<(String, String)> = out
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.clone(),
                    String::from_utf8_lossy(&h.value).into_owned(),
                )
            })
            .collect();
        assert_eq!(
            h,
            [
                ("dbz.op".into(), "c".into()),
                ("dbz.db".into(), "inventory".into()),
                ("dbz.ts_ms".into(), "7".into())
            ]
        );
        let out = c.apply(record(None)).unwrap().unwrap();
        assert_eq!(
            out.headers,
            [Header {
                name: "dbz.op".into(),
                value: b"d".to_vec()
            }]
        );
        // Not a change event: no headers.
        let out = c.apply(record(Some(json!({"ts_ms": 1})))).unwrap().unwrap();
        assert!(out.headers.is_empty());
    }

    #[test]
    fn unsupported_and_bad_options_name_their_keys() {
        let e = errors(&unwrap(&[
            ("transforms.unwrap.route.by.field", "tenant"),
            ("transforms.unwrap.drop.fields.header.name", "h"),
            ("transforms.unwrap.delete.tombstone.handling.mode", "keep"),
            ("transforms.unwrap.add.fields", "a.b.c"),
        ]));
        assert_eq!(
            e,
            [
                "transforms.unwrap.route.by.field: is not supported by this sink's ExtractNewRecordState; remove it",
                "transforms.unwrap.drop.fields.header.name: is not supported by this sink's ExtractNewRecordState; remove it",
                "transforms.unwrap.delete.tombstone.handling.mode: \"keep\" is not allowed; allowed: drop, tombstone, rewrite, rewrite-with-tombstone, delete-to-tombstone",
                "transforms.unwrap.add.fields: \"a.b.c\" is not a field reference (field, struct.field, or either followed by :newName)",
            ]
        );
        let e = errors(&unwrap(&[
            ("transforms.unwrap.drop.tombstones", "yes"),
            ("transforms.unwrap.delete.handling.mode", "keep"),
        ]));
        assert_eq!(
            e,
            [
                "transforms.unwrap.drop.tombstones: \"yes\" is not a boolean (true or false)",
                "transforms.unwrap.delete.handling.mode: \"keep\" is not allowed; allowed: drop, none, rewrite",
            ]
        );
        // Empty values of unsupported options are their defaults: accepted.
        chain(&unwrap(&[("transforms.unwrap.route.by.field", "")]));
    }
}

//! Single message transforms (SMTs), configured with Kafka Connect's keys.
//!
//! A connector config lists aliases in `transforms=a,b`; each alias has a class in
//! `transforms.<alias>.type` and options in `transforms.<alias>.<option>`. Predicates are listed
//! in `predicates=p` with `predicates.<p>.type` and options, and attach to a transform with
//! `transforms.<alias>.predicate=p` (and `transforms.<alias>.negate=true`), exactly as in Kafka
//! Connect. The chain runs after the key and value converters, on [`TransformRecord`]s.
//!
//! Supported classes (short names, the part after the last `.`, are accepted too):
//! Debezium's `io.debezium.transforms.ExtractNewRecordState`, and Kafka Connect's
//! `InsertField$Key` / `$Value`, `ReplaceField$Key` / `$Value`, `TimestampConverter$Key` /
//! `$Value` and `Filter` with the predicates `RecordIsTombstone`, `TopicNameMatches` and
//! `HasHeaderKey`.
//!
//! Values are JSON as the converters produce them ([`Converted`]): with a Connect schema when
//! the message had the `{schema, payload}` envelope, schemaless otherwise. Transforms that change
//! a struct's fields also change its schema the way Connect's `SchemaBuilder` would, so later
//! stages (and the partitioners) see a schema that matches the data.

mod extract_new_record_state;
mod filter;
mod insert_field;
mod predicate;
mod replace_field;
mod timestamp_converter;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::convert::Converted;
use crate::event::Header;
use crate::raw_config::{KeyError, RawConfig};

use extract_new_record_state::ExtractNewRecordState;
use insert_field::InsertField;
use predicate::Predicate;
use replace_field::ReplaceField;
use timestamp_converter::TimestampConverter;

/// One record as transforms see it (after the converters).
#[derive(Debug, Clone, PartialEq)]
pub struct TransformRecord {
    /// The Kafka topic the record was read from.
    pub topic: String,
    /// The Kafka partition.
    pub partition: i32,
    /// The record's offset in its partition.
    pub offset: i64,
    /// Milliseconds since the epoch; `None` when the record has no timestamp.
    pub timestamp: Option<i64>,
    /// The converted key; `None` for a null key.
    pub key: Option<Converted>,
    /// `None` is a tombstone (a null value).
    pub value: Option<Converted>,
    /// The record's headers, in order; transforms may append to them.
    pub headers: Vec<Header>,
}

/// Why a transform could not process a record. The message names the transform's alias and
/// class, and what was wrong with the record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransformError {
    /// The transform `alias` (of class `class`, short name) refused the record.
    #[error("transform {alias} ({class}): {message}")]
    Record {
        alias: String,
        class: &'static str,
        message: String,
    },
}

/// The configured chain (`transforms=a,b`), applied in order.
#[derive(Debug, Clone, Default)]
pub struct TransformChain {
    stages: Vec<Stage>,
    warnings: Vec<String>,
}

/// Every transform class this sink implements, by full class name.
const TRANSFORM_CLASSES: &[&str] = &[
    "io.debezium.transforms.ExtractNewRecordState",
    "org.apache.kafka.connect.transforms.InsertField$Key",
    "org.apache.kafka.connect.transforms.InsertField$Value",
    "org.apache.kafka.connect.transforms.ReplaceField$Key",
    "org.apache.kafka.connect.transforms.ReplaceField$Value",
    "org.apache.kafka.connect.transforms.TimestampConverter$Key",
    "org.apache.kafka.connect.transforms.TimestampConverter$Value",
    "org.apache.kafka.connect.transforms.Filter",
];

/// Whether `key` belongs to the transform configuration (`transforms`, `transforms.*`,
/// `predicates`, `predicates.*`): such keys are validated by [`TransformChain::from_raw`], never
/// by the generic key table.
pub fn is_transform_key(key: &str) -> bool {
    key == "transforms"
        || key == "predicates"
        || key.starts_with("transforms.")
        || key.starts_with("predicates.")
}

/// Whether a record's key or its value is the operand of a `$Key` / `$Value` transform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Key,
    Value,
}

impl Target {
    fn of_class(class: &str) -> Target {
        if class.ends_with("$Key") {
            Target::Key
        } else {
            Target::Value
        }
    }

    /// The operand of this target in `record`.
    pub(crate) fn slot(self, record: &mut TransformRecord) -> &mut Option<Converted> {
        match self {
            Target::Key => &mut record.key,
            Target::Value => &mut record.value,
        }
    }
}

#[derive(Debug, Clone)]
enum Transform {
    Unwrap(ExtractNewRecordState),
    InsertField(InsertField),
    ReplaceField(ReplaceField),
    TimestampConverter(TimestampConverter),
    Filter,
}

impl Transform {
    fn apply(&self, record: TransformRecord) -> Result<Option<TransformRecord>, String> {
        match self {
            Transform::Unwrap(t) => t.apply(record),
            Transform::InsertField(t) => t.apply(record).map(Some),
            Transform::ReplaceField(t) => t.apply(record).map(Some),
            Transform::TimestampConverter(t) => t.apply(record).map(Some),
            Transform::Filter => Ok(filter::apply(record)),
        }
    }
}

#[derive(Debug, Clone)]
struct Stage {
    alias: String,
    class: &'static str,
    /// The options as configured (trimmed), for `describe`.
    options: BTreeMap<String, String>,
    transform: Transform,
    predicate: Option<PredicateUse>,
}

#[derive(Debug, Clone)]
struct PredicateUse {
    alias: String,
    negate: bool,
    configured: ConfiguredPredicate,
}

#[derive(Debug, Clone)]
struct ConfiguredPredicate {
    class: &'static str,
    options: BTreeMap<String, String>,
    predicate: Predicate,
}

/// The part of a class name after its last `.` (`InsertField$Value`).
fn short_name(class: &'static str) -> &'static str {
    class.rsplit('.').next().unwrap_or(class)
}

/// The full class name `text` denotes: the exact full name or its short name.
fn resolve_class(text: &str, classes: &[&'static str]) -> Option<&'static str> {
    classes
        .iter()
        .copied()
        .find(|full| *full == text || short_name(full) == text)
}

fn format_options(options: &BTreeMap<String, String>) -> String {
    if options.is_empty() {
        return String::new();
    }
    let list: Vec<String> = options.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(" ({})", list.join(", "))
}

impl TransformChain {
    /// Builds the chain from the raw keys `transforms`, `transforms.<alias>.type`,
    /// `transforms.<alias>.<option>`, `predicates`, `predicates.<alias>.type`,
    /// `predicates.<alias>.<option>`, and `transforms.<alias>.predicate` / `.negate`.
    ///
    /// Every problem is returned, each as a [`KeyError`] naming its key: an unknown type (with
    /// the supported ones), an unknown option (with the known ones), a bad value, an alias listed
    /// without a type, keys of an alias that is not listed, a predicate that is not listed, a
    /// duplicate alias. On success, also returns every key this module consumed (all keys for
    /// which [`is_transform_key`] holds), so the caller does not call them unknown.
    pub fn from_raw(raw: &RawConfig) -> Result<(TransformChain, Vec<String>), Vec<KeyError>> {
        let consumed: Vec<String> = raw
            .keys()
            .filter(|k| is_transform_key(k))
            .map(str::to_owned)
            .collect();
        let mut b = Builder {
            raw,
            errors: Vec::new(),
            warnings: Vec::new(),
        };
        let aliases = b.aliases("transforms");
        let predicate_aliases = b.aliases("predicates");
        b.unlisted("transforms", &aliases);
        b.unlisted("predicates", &predicate_aliases);

        let mut predicates = BTreeMap::new();
        for alias in &predicate_aliases {
            if let Some(p) = b.predicate(alias, &predicate_aliases) {
                predicates.insert(alias.clone(), p);
            }
        }
        let mut used = BTreeSet::new();
        let mut stages = Vec::new();
        for alias in &aliases {
            if let Some(stage) = b.stage(alias, &aliases, &predicate_aliases, &predicates) {
                if let Some(p) = &stage.predicate {
                    used.insert(p.alias.clone());
                }
                stages.push(stage);
            }
        }
        for alias in &predicate_aliases {
            if !used.contains(alias) && predicates.contains_key(alias) {
                b.warnings.push(format!(
                    "predicate {alias} is defined in `predicates` but no transform uses it"
                ));
            }
        }
        if !b.errors.is_empty() {
            return Err(b.errors);
        }
        Ok((
            TransformChain {
                stages,
                warnings: b.warnings,
            },
            consumed,
        ))
    }

    /// True when no transform is configured: `apply` returns every record unchanged.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// Applies every transform in order, each only when its predicate (if any, negated if asked)
    /// matches the record as the previous transforms left it. `Ok(None)` means a transform
    /// dropped the record; the remaining transforms do not run.
    pub fn apply(
        &self,
        record: TransformRecord,
    ) -> Result<Option<TransformRecord>, TransformError> {
        let mut record = record;
        for stage in &self.stages {
            if let Some(p) = &stage.predicate
                && p.configured.predicate.test(&record) == p.negate
            {
                continue;
            }
            let out = stage
                .transform
                .apply(record)
                .map_err(|message| TransformError::Record {
                    alias: stage.alias.clone(),
                    class: short_name(stage.class),
                    message,
                })?;
            match out {
                Some(next) => record = next,
                None => return Ok(None),
            }
        }
        Ok(Some(record))
    }

    /// One line per transform, in order: `alias: full.class.Name (option=value, ...)`, followed
    /// by the predicate that guards it, if any, e.g.
    /// `unwrap: io.debezium.transforms.ExtractNewRecordState (drop.tombstones=true)`.
    pub fn describe(&self) -> Vec<String> {
        self.stages
            .iter()
            .map(|s| {
                let mut line = format!("{}: {}{}", s.alias, s.class, format_options(&s.options));
                if let Some(p) = &s.predicate {
                    line.push_str(&format!(
                        ", {} predicate {}: {}{} matches",
                        if p.negate { "unless" } else { "only if" },
                        p.alias,
                        p.configured.class,
                        format_options(&p.configured.options)
                    ));
                }
                line
            })
            .collect()
    }

    /// Things to tell the operator at cold start: deprecated options in use (with their
    /// replacement), options without effect here, predicates nobody uses.
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}

/// Collects problems while the chain is built.
struct Builder<'a> {
    raw: &'a RawConfig,
    errors: Vec<KeyError>,
    warnings: Vec<String>,
}

impl<'a> Builder<'a> {
    fn error(&mut self, key: &str, message: impl Into<String>) {
        self.errors.push(KeyError {
            key: key.to_owned(),
            message: message.into(),
        });
    }

    fn get(&self, key: &str) -> Option<&'a str> {
        self.raw.get(key).map(str::trim)
    }

    /// The alias list of `transforms` or `predicates`.
    fn aliases(&mut self, key: &str) -> Vec<String> {
        let Some(text) = self.get(key) else {
            return Vec::new();
        };
        if text.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<String> = Vec::new();
        let items: Vec<String> = text.split(',').map(|s| s.trim().to_owned()).collect();
        for item in items {
            if item.is_empty() {
                self.error(key, format!("{text:?} has an empty alias"));
            } else if out.contains(&item) {
                self.error(key, format!("duplicate alias {item:?}"));
            } else {
                out.push(item);
            }
        }
        out
    }

    /// The listed alias owning `key` under `group.`: the longest alias `a` with `key` starting
    /// with `group.a.`.
    fn owner<'l>(group: &str, key: &str, aliases: &'l [String]) -> Option<&'l String> {
        aliases
            .iter()
            .filter(|a| key.starts_with(&format!("{group}.{a}.")))
            .max_by_key(|a| a.len())
    }

    /// Reports keys `group.<alias>.*` whose alias is not listed in `group`.
    fn unlisted(&mut self, group: &str, aliases: &[String]) {
        let prefix = format!("{group}.");
        let keys: Vec<String> = self
            .raw
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .map(str::to_owned)
            .collect();
        for key in keys {
            if Self::owner(group, &key, aliases).is_some() {
                continue;
            }
            let rest = key.strip_prefix(&prefix).unwrap_or_default();
            let alias = rest.split('.').next().unwrap_or_default();
            if aliases.iter().any(|a| a == alias) {
                self.error(
                    &key,
                    format!("is not a key of alias {alias:?}: use {group}.{alias}.type or {group}.{alias}.<option>"),
                );
                continue;
            }
            let listed = if aliases.is_empty() {
                format!("`{group}` lists no aliases")
            } else {
                format!("listed: {}", aliases.join(", "))
            };
            self.error(
                &key,
                format!("alias {alias:?} is not listed in `{group}` ({listed}); add it there or remove this key"),
            );
        }
    }

    /// The options of `alias` in `group` (keys `group.alias.<option>` owned by `alias`), minus
    /// `skip`.
    fn options_of(
        &self,
        group: &str,
        alias: &str,
        aliases: &[String],
        skip: &[&str],
    ) -> BTreeMap<String, String> {
        let prefix = format!("{group}.{alias}.");
        self.raw
            .iter()
            .filter(|(k, _, _)| {
                k.starts_with(&prefix)
                    && Self::owner(group, k, aliases).map(String::as_str) == Some(alias)
            })
            .filter_map(|(k, v, _)| {
                let name = k.strip_prefix(&prefix)?;
                (!skip.contains(&name)).then(|| (name.to_owned(), v.trim().to_owned()))
            })
            .collect()
    }

    /// Reports every option not in `known`, naming its key and the known options.
    fn check_known(
        &mut self,
        prefix: &str,
        class: &'static str,
        options: &BTreeMap<String, String>,
        known: &[&str],
    ) {
        for name in options.keys() {
            if !known.contains(&name.as_str()) {
                let list = if known.is_empty() {
                    "it takes no options".to_owned()
                } else {
                    format!("known options: {}", known.join(", "))
                };
                self.error(
                    &format!("{prefix}{name}"),
                    format!("unknown option for {}; {list}", short_name(class)),
                );
            }
        }
    }

    fn class(
        &mut self,
        type_key: &str,
        what: &str,
        classes: &[&'static str],
    ) -> Option<&'static str> {
        let supported = classes.join(", ");
        let Some(text) = self.get(type_key).map(str::to_owned) else {
            self.error(
                type_key,
                format!("is required: the class of {what}; supported: {supported}"),
            );
            return None;
        };
        match resolve_class(&text, classes) {
            Some(class) => Some(class),
            None => {
                self.error(
                    type_key,
                    format!("{text:?} is not a supported {what} class; supported: {supported}"),
                );
                None
            }
        }
    }

    fn predicate(&mut self, alias: &str, aliases: &[String]) -> Option<ConfiguredPredicate> {
        let prefix = format!("predicates.{alias}.");
        let options = self.options_of("predicates", alias, aliases, &["type"]);
        let class = self.class(
            &format!("{prefix}type"),
            &format!("predicate {alias:?}"),
            predicate::CLASSES,
        )?;
        let known = predicate::options(class);
        self.check_known(&prefix, class, &options, known);
        let mut opts = Options::new(&prefix, options.clone());
        let predicate = Predicate::configure(class, &mut opts);
        self.merge(opts);
        Some(ConfiguredPredicate {
            class,
            options,
            predicate: predicate?,
        })
    }

    fn stage(
        &mut self,
        alias: &str,
        aliases: &[String],
        predicate_aliases: &[String],
        predicates: &BTreeMap<String, ConfiguredPredicate>,
    ) -> Option<Stage> {
        let prefix = format!("transforms.{alias}.");
        let options = self.options_of(
            "transforms",
            alias,
            aliases,
            &["type", "predicate", "negate"],
        );
        let predicate = self.predicate_use(&prefix, predicate_aliases, predicates);
        let class = self.class(
            &format!("{prefix}type"),
            &format!("transform {alias:?}"),
            TRANSFORM_CLASSES,
        )?;
        let known: &[&str] = match short_name(class) {
            "ExtractNewRecordState" => extract_new_record_state::OPTIONS,
            "InsertField$Key" | "InsertField$Value" => insert_field::OPTIONS,
            "ReplaceField$Key" | "ReplaceField$Value" => replace_field::OPTIONS,
            "TimestampConverter$Key" | "TimestampConverter$Value" => timestamp_converter::OPTIONS,
            _ => filter::OPTIONS,
        };
        self.check_known(&prefix, class, &options, known);
        let mut opts = Options::new(&prefix, options.clone());
        let target = Target::of_class(class);
        let transform = match short_name(class) {
            "ExtractNewRecordState" => {
                ExtractNewRecordState::configure(&mut opts).map(Transform::Unwrap)
            }
            "InsertField$Key" | "InsertField$Value" => {
                InsertField::configure(target, &mut opts).map(Transform::InsertField)
            }
            "ReplaceField$Key" | "ReplaceField$Value" => {
                ReplaceField::configure(target, &mut opts).map(Transform::ReplaceField)
            }
            "TimestampConverter$Key" | "TimestampConverter$Value" => {
                TimestampConverter::configure(target, &mut opts).map(Transform::TimestampConverter)
            }
            _ => {
                if predicate.is_none() {
                    opts.warn(format!(
                        "{prefix}type: Filter without a predicate drops every record; set {prefix}predicate"
                    ));
                }
                Some(Transform::Filter)
            }
        };
        self.merge(opts);
        Some(Stage {
            alias: alias.to_owned(),
            class,
            options,
            transform: transform?,
            predicate,
        })
    }

    /// `transforms.<alias>.predicate` and `.negate`.
    fn predicate_use(
        &mut self,
        prefix: &str,
        predicate_aliases: &[String],
        predicates: &BTreeMap<String, ConfiguredPredicate>,
    ) -> Option<PredicateUse> {
        let predicate_key = format!("{prefix}predicate");
        let negate_key = format!("{prefix}negate");
        let negate = match self.get(&negate_key).map(str::to_owned) {
            None => false,
            Some(text) => match parse_bool(&text) {
                Some(b) => b,
                None => {
                    self.error(
                        &negate_key,
                        format!("{text:?} is not a boolean (true or false)"),
                    );
                    false
                }
            },
        };
        let alias = self
            .get(&predicate_key)
            .filter(|a| !a.is_empty())
            .map(str::to_owned);
        let Some(alias) = alias else {
            if self.get(&negate_key).is_some() {
                self.error(
                    &negate_key,
                    format!("is set but {predicate_key} is not: there is no predicate to negate"),
                );
            }
            return None;
        };
        if !predicate_aliases.contains(&alias) {
            let listed = if predicate_aliases.is_empty() {
                "`predicates` lists none".to_owned()
            } else {
                format!("listed: {}", predicate_aliases.join(", "))
            };
            self.error(
                &predicate_key,
                format!("predicate {alias:?} is not listed in `predicates` ({listed})"),
            );
            return None;
        }
        // A listed predicate with errors has already been reported.
        let configured = predicates.get(&alias)?.clone();
        Some(PredicateUse {
            alias,
            negate,
            configured,
        })
    }

    fn merge(&mut self, opts: Options) {
        self.errors.extend(opts.errors);
        self.warnings.extend(opts.warnings);
    }
}

/// Kafka's boolean syntax: `true` or `false`, any case.
fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// The options of one transform or predicate, with helpers that report bad values under their
/// full key.
pub(crate) struct Options {
    prefix: String,
    values: BTreeMap<String, String>,
    errors: Vec<KeyError>,
    warnings: Vec<String>,
}

impl Options {
    fn new(prefix: &str, values: BTreeMap<String, String>) -> Options {
        Options {
            prefix: prefix.to_owned(),
            values,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The full key of option `name`.
    pub(crate) fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// The trimmed value of option `name`, if set.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value of option `name` unless it is unset or empty.
    pub(crate) fn non_empty(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).map(str::to_owned)
    }

    pub(crate) fn error(&mut self, name: &str, message: impl Into<String>) {
        let key = self.key(name);
        self.errors.push(KeyError {
            key,
            message: message.into(),
        });
    }

    pub(crate) fn warn(&mut self, message: String) {
        self.warnings.push(message);
    }

    /// A boolean option; a bad value is reported and `default` returned.
    pub(crate) fn boolean(&mut self, name: &str, default: bool) -> bool {
        let Some(text) = self.get(name).map(str::to_owned) else {
            return default;
        };
        match parse_bool(&text) {
            Some(b) => b,
            None => {
                self.error(name, format!("{text:?} is not a boolean (true or false)"));
                default
            }
        }
    }

    /// One of `allowed` (compared ignoring case when `ignore_case`), or `default` when unset; a
    /// bad value is reported and `default` returned.
    pub(crate) fn choice(
        &mut self,
        name: &str,
        allowed: &[&'static str],
        default: &'static str,
        ignore_case: bool,
    ) -> &'static str {
        let Some(text) = self.get(name).map(str::to_owned) else {
            return default;
        };
        let found = allowed.iter().copied().find(|a| {
            if ignore_case {
                a.eq_ignore_ascii_case(&text)
            } else {
                *a == text
            }
        });
        match found {
            Some(a) => a,
            None => {
                self.error(
                    name,
                    format!("{text:?} is not allowed; allowed: {}", allowed.join(", ")),
                );
                default
            }
        }
    }

    /// A comma-separated list option, items trimmed, empty items dropped.
    pub(crate) fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|text| {
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `replace.null.with.default`: accepted (it is a boolean) but without effect, because the
    /// JsonConverter has already put schema defaults in place of nulls.
    pub(crate) fn replace_null_with_default(&mut self) {
        if !self.boolean("replace.null.with.default", true) {
            let key = self.key("replace.null.with.default");
            self.warn(format!(
                "{key}=false has no effect here: the JsonConverter already replaced null fields with their schema defaults"
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers on Connect JSON schemas and values, shared by the transforms.

/// A short description of a JSON value's kind, for error messages ("a string", "null").
pub(crate) use crate::partitioner::type_name as kind_of;

/// The `type` of a Connect schema.
pub(crate) fn schema_type(schema: &Value) -> Option<&str> {
    schema.get("type").and_then(Value::as_str)
}

/// The `name` of a Connect schema.
pub(crate) fn schema_name(schema: &Value) -> Option<&str> {
    schema.get("name").and_then(Value::as_str)
}

/// Whether a Connect schema is optional.
pub(crate) fn schema_optional(schema: &Value) -> bool {
    schema
        .get("optional")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The field entries (`{"type":..,"field":"name"}`) of a struct schema.
pub(crate) fn struct_fields(schema: &Value) -> Option<&Vec<Value>> {
    schema.get("fields").and_then(Value::as_array)
}

/// The name of a struct schema's field entry.
pub(crate) fn field_name(entry: &Value) -> Option<&str> {
    entry.get("field").and_then(Value::as_str)
}

/// The entry of field `name` in a struct schema.
pub(crate) fn struct_field<'a>(schema: &'a Value, name: &str) -> Option<&'a Value> {
    struct_fields(schema)?
        .iter()
        .find(|f| field_name(f) == Some(name))
}

/// A field entry's schema on its own: the entry without its `"field"` name.
pub(crate) fn entry_schema(entry: &Value) -> Value {
    match entry {
        Value::Object(map) => {
            let mut out = map.clone();
            out.shift_remove("field");
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// A struct field entry: `schema` with `"field": name` last, as JsonConverter writes it.
pub(crate) fn field_entry(schema: Value, name: &str) -> Value {
    match schema {
        Value::Object(mut map) => {
            map.shift_remove("field");
            map.insert("field".to_owned(), Value::String(name.to_owned()));
            Value::Object(map)
        }
        other => other,
    }
}

/// A primitive Connect schema, e.g. `{"type":"string","optional":true}`.
pub(crate) fn primitive_schema(ty: &str, optional: bool) -> Value {
    let mut map = Map::new();
    map.insert("type".to_owned(), Value::String(ty.to_owned()));
    map.insert("optional".to_owned(), Value::Bool(optional));
    Value::Object(map)
}

/// A logical Connect schema of version 1, e.g. `org.apache.kafka.connect.data.Timestamp`.
pub(crate) fn logical_schema(ty: &str, optional: bool, name: &str) -> Value {
    let mut map = Map::new();
    map.insert("type".to_owned(), Value::String(ty.to_owned()));
    map.insert("optional".to_owned(), Value::Bool(optional));
    map.insert("name".to_owned(), Value::String(name.to_owned()));
    map.insert("version".to_owned(), Value::from(1));
    Value::Object(map)
}

/// Rebuilds a schema the way Connect's `SchemaUtil.copySchemaBasics` plus a `SchemaBuilder`
/// would, in JsonConverter's key order: type, items/keys/values/fields (the struct's fields
/// replaced by `fields` when given), optional, name, version, doc, parameters, and default only
/// when `keep_default`.
pub(crate) fn rebuild_schema(
    schema: &Value,
    fields: Option<Vec<Value>>,
    optional: bool,
    keep_default: bool,
) -> Value {
    let empty = Map::new();
    let orig = schema.as_object().unwrap_or(&empty);
    let mut map = Map::new();
    if let Some(t) = orig.get("type") {
        map.insert("type".to_owned(), t.clone());
    }
    for k in ["items", "keys", "values"] {
        if let Some(v) = orig.get(k) {
            map.insert(k.to_owned(), v.clone());
        }
    }
    match fields {
        Some(f) => {
            map.insert("fields".to_owned(), Value::Array(f));
        }
        None => {
            if let Some(v) = orig.get("fields") {
                map.insert("fields".to_owned(), v.clone());
            }
        }
    }
    map.insert("optional".to_owned(), Value::Bool(optional));
    for k in ["name", "version", "doc", "parameters"] {
        if let Some(v) = orig.get(k) {
            map.insert(k.to_owned(), v.clone());
        }
    }
    if keep_default && let Some(v) = orig.get("default") {
        map.insert("default".to_owned(), v.clone());
    }
    Value::Object(map)
}

/// A field to add to a struct (or map) by [`insert_fields`].
pub(crate) struct NewField {
    pub(crate) name: String,
    /// `None`: no value to set (schemaless: the field is left out; with a schema: null).
    pub(crate) value: Option<Value>,
    /// The field's schema (without `"field"`), used when the operand has a schema.
    pub(crate) schema: Value,
}

/// Appends fields to an object the way Connect's InsertField does: schemaless, each field is
/// put into the map (replacing a field of the same name); with a struct schema, each field is
/// appended to a rebuilt schema (basics copied, `optional` false as `SchemaBuilder.struct()`
/// makes it) and a field whose name the schema already has is an error, as is a required field
/// without a value. `what` names the operation in errors.
pub(crate) fn insert_fields(
    conv: &mut Converted,
    fields: Vec<NewField>,
    what: &str,
) -> Result<(), String> {
    let Value::Object(map) = &mut conv.data else {
        let shape = if conv.schema.is_some() {
            "a struct"
        } else {
            "a JSON object (map)"
        };
        return Err(format!(
            "{what} needs {shape}, found {}",
            kind_of(&conv.data)
        ));
    };
    let Some(schema) = &conv.schema else {
        for f in fields {
            if let Some(v) = f.value {
                map.insert(f.name, v);
            }
        }
        return Ok(());
    };
    if schema_type(schema) != Some("struct") {
        return Err(format!(
            "{what} needs a struct schema, found type {}",
            schema_type(schema).unwrap_or("(none)")
        ));
    }
    let mut entries = struct_fields(schema).cloned().unwrap_or_default();
    for f in fields {
        if entries
            .iter()
            .any(|e| field_name(e) == Some(f.name.as_str()))
        {
            return Err(format!(
                "{what}: cannot add field {:?}: the schema already has a field of that name",
                f.name
            ));
        }
        let value = f.value.unwrap_or(Value::Null);
        if value.is_null() && !schema_optional(&f.schema) {
            return Err(format!("{what}: required field {:?} has no value", f.name));
        }
        entries.push(field_entry(f.schema, &f.name));
        map.insert(f.name, value);
    }
    conv.schema = Some(Arc::new(rebuild_schema(
        schema,
        Some(entries),
        false,
        false,
    )));
    Ok(())
}

/// A header value as Kafka Connect's default `SimpleHeaderConverter` serializes it: a string as
/// its UTF-8 text (no quotes), null as no bytes, anything else as its JSON text.
pub(crate) fn header_bytes(value: &Value) -> Vec<u8> {
    match value {
        Value::Null => Vec::new(),
        Value::String(s) => s.as_bytes().to_vec(),
        other => other.to_string().into_bytes(),
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// A schemaless value record on topic `t`, partition 0, offset 42, timestamp 1700000000000.
    pub(crate) fn record(value: Option<Value>) -> TransformRecord {
        TransformRecord {
            topic: "t".into(),
            partition: 0,
            offset: 42,
            timestamp: Some(1_700_000_000_000),
            key: None,
            value: value.map(|data| Converted { data, schema: None }),
            headers: Vec::new(),
        }
    }

    /// A value record with a schema.
    pub(crate) fn record_with_schema(data: Value, schema: Value) -> TransformRecord {
        let mut r = record(None);
        r.value = Some(Converted {
            data,
            schema: Some(Arc::new(schema)),
        });
        r
    }

    pub(crate) fn chain(pairs: &[(&str, &str)]) -> TransformChain {
        match TransformChain::from_raw(&RawConfig::from_pairs(pairs.iter().copied())) {
            Ok((c, _)) => c,
            Err(e) => panic!("unexpected config errors: {e:#?}"),
        }
    }

    pub(crate) fn errors(pairs: &[(&str, &str)]) -> Vec<String> {
        match TransformChain::from_raw(&RawConfig::from_pairs(pairs.iter().copied())) {
            Ok(_) => panic!("expected config errors"),
            Err(e) => e
                .into_iter()
                .map(|e| format!("{}: {}", e.key, e.message))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_config_is_an_empty_chain_that_passes_records() {
        let (c, consumed) = TransformChain::from_raw(&RawConfig::default()).unwrap();
        assert!(c.is_empty());
        assert!(consumed.is_empty());
        let r = record(Some(json!({"a": 1})));
        assert_eq!(c.apply(r.clone()).unwrap(), Some(r));
        assert!(c.describe().is_empty());
        let (c, _) =
            TransformChain::from_raw(&RawConfig::from_pairs([("transforms", " ")])).unwrap();
        assert!(c.is_empty());
    }

    #[test]
    fn consumed_keys_are_all_transform_keys() {
        let raw = RawConfig::from_pairs([
            ("transforms", "f"),
            ("transforms.f.type", "Filter"),
            ("transforms.f.predicate", "p"),
            ("predicates", "p"),
            ("predicates.p.type", "RecordIsTombstone"),
            ("flush.size", "1"),
        ]);
        let (_, consumed) = TransformChain::from_raw(&raw).unwrap();
        assert_eq!(
            consumed,
            [
                "predicates",
                "predicates.p.type",
                "transforms",
                "transforms.f.predicate",
                "transforms.f.type"
            ]
        );
        assert!(is_transform_key("transforms") && is_transform_key("predicates.x"));
        assert!(!is_transform_key("transformsx") && !is_transform_key("flush.size"));
    }

    #[test]
    fn short_and_full_class_names() {
        for name in [
            "InsertField$Value",
            "org.apache.kafka.connect.transforms.InsertField$Value",
        ] {
            let c = chain(&[
                ("transforms", "i"),
                ("transforms.i.type", name),
                ("transforms.i.static.field", "s"),
                ("transforms.i.static.value", "v"),
            ]);
            assert_eq!(
                c.describe(),
                [
                    "i: org.apache.kafka.connect.transforms.InsertField$Value (static.field=s, static.value=v)"
                ]
            );
        }
        // Another package is another class.
        let e = errors(&[
            ("transforms", "i"),
            ("transforms.i.type", "com.example.InsertField$Value"),
        ]);
        assert!(e[0].starts_with("transforms.i.type: \"com.example.InsertField$Value\" is not a supported transform \"i\" class; supported: io.debezium.transforms.ExtractNewRecordState, "), "{e:?}");
    }

    #[test]
    fn structural_errors_name_their_keys() {
        let e = errors(&[
            ("transforms", "a, b,a"),
            ("transforms.a.type", "Nope"),
            ("transforms.b.predicate", "p"),
            ("transforms.c.type", "Filter"),
            ("predicates.q.type", "RecordIsTombstone"),
        ]);
        assert!(
            e.contains(&"transforms: duplicate alias \"a\"".to_owned()),
            "{e:#?}"
        );
        assert!(
            e.iter().any(|m| m.starts_with(
                "transforms.a.type: \"Nope\" is not a supported transform \"a\" class; supported: "
            )),
            "{e:#?}"
        );
        assert!(
            e.iter()
                .any(|m| m
                    .starts_with("transforms.b.type: is required: the class of transform \"b\"")),
            "{e:#?}"
        );
        assert!(e.contains(&"transforms.b.predicate: predicate \"p\" is not listed in `predicates` (`predicates` lists none)".to_owned()), "{e:#?}");
        assert!(e.contains(&"transforms.c.type: alias \"c\" is not listed in `transforms` (listed: a, b); add it there or remove this key".to_owned()), "{e:#?}");
        assert!(e.contains(&"predicates.q.type: alias \"q\" is not listed in `predicates` (`predicates` lists no aliases); add it there or remove this key".to_owned()), "{e:#?}");
        let e = errors(&[
            ("transforms", "f"),
            ("transforms.f", "Filter"),
            ("transforms.f.type", "Filter"),
        ]);
        assert_eq!(
            e,
            [
                "transforms.f: is not a key of alias \"f\": use transforms.f.type or transforms.f.<option>"
            ]
        );
        let e = errors(&[("transforms", "a,,b")]);
        assert!(
            e[0].starts_with("transforms: \"a,,b\" has an empty alias"),
            "{e:?}"
        );
    }

    #[test]
    fn unknown_options_list_the_known_ones() {
        let e = errors(&[
            ("transforms", "f,u"),
            ("transforms.f.type", "Filter"),
            ("transforms.f.pattern", "x"),
            (
                "transforms.u.type",
                "io.debezium.transforms.ExtractNewRecordState",
            ),
            ("transforms.u.drop.tombstone", "true"),
        ]);
        assert!(
            e.contains(
                &"transforms.f.pattern: unknown option for Filter; it takes no options".to_owned()
            ),
            "{e:#?}"
        );
        assert!(e.iter().any(|m| m.starts_with("transforms.u.drop.tombstone: unknown option for ExtractNewRecordState; known options: delete.tombstone.handling.mode, ")), "{e:#?}");
    }

    #[test]
    fn negate_needs_a_predicate_and_a_boolean() {
        let e = errors(&[
            ("transforms", "f"),
            ("transforms.f.type", "Filter"),
            ("transforms.f.negate", "yes"),
        ]);
        assert!(
            e.contains(&"transforms.f.negate: \"yes\" is not a boolean (true or false)".to_owned()),
            "{e:#?}"
        );
        assert!(e.contains(&"transforms.f.negate: is set but transforms.f.predicate is not: there is no predicate to negate".to_owned()), "{e:#?}");
    }

    #[test]
    fn predicates_guard_transforms_and_negate_flips_them() {
        let pairs = |negate: &'static str| {
            vec![
                ("transforms", "drop"),
                ("transforms.drop.type", "Filter"),
                ("transforms.drop.predicate", "tomb"),
                ("transforms.drop.negate", negate),
                ("predicates", "tomb"),
                ("predicates.tomb.type", "RecordIsTombstone"),
            ]
        };
        let c = chain(&pairs("false"));
        assert_eq!(c.apply(record(None)).unwrap(), None);
        let live = record(Some(json!({"a": 1})));
        assert_eq!(c.apply(live.clone()).unwrap(), Some(live.clone()));
        assert_eq!(
            c.describe(),
            [
                "drop: org.apache.kafka.connect.transforms.Filter, only if predicate tomb: org.apache.kafka.connect.transforms.predicates.RecordIsTombstone matches"
            ]
        );
        let c = chain(&pairs("TRUE"));
        assert_eq!(c.apply(record(None)).unwrap(), Some(record(None)));
        assert_eq!(c.apply(live).unwrap(), None);
        assert!(c.describe()[0].contains(", unless predicate tomb: "));
    }

    #[test]
    fn unused_predicates_and_bare_filters_warn() {
        let c = chain(&[
            ("transforms", "f"),
            ("transforms.f.type", "Filter"),
            ("predicates", "p"),
            ("predicates.p.type", "HasHeaderKey"),
            ("predicates.p.name", "h"),
        ]);
        let w = c.warnings();
        assert!(
            w.iter().any(|w| w.contains("predicate p is defined")),
            "{w:?}"
        );
        assert!(
            w.iter()
                .any(|w| w.contains("Filter without a predicate drops every record")),
            "{w:?}"
        );
        assert_eq!(c.apply(record(Some(json!(1)))).unwrap(), None);
    }

    #[test]
    fn chain_runs_in_order_and_stops_at_a_drop() {
        let c = chain(&[
            ("transforms", "ins,rep"),
            ("transforms.ins.type", "InsertField$Value"),
            ("transforms.ins.topic.field", "topic"),
            ("transforms.rep.type", "ReplaceField$Value"),
            ("transforms.rep.renames", "topic:t"),
        ]);
        let out = c.apply(record(Some(json!({"a": 1})))).unwrap().unwrap();
        assert_eq!(out.value.unwrap().data, json!({"a": 1, "t": "t"}));
    }

    #[test]
    fn errors_name_alias_and_class() {
        let c = chain(&[
            ("transforms", "ins"),
            ("transforms.ins.type", "InsertField$Value"),
            ("transforms.ins.topic.field", "topic"),
        ]);
        let err = c.apply(record(Some(json!([1])))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "transform ins (InsertField$Value): InsertField needs a JSON object (map), found an array"
        );
    }

    #[test]
    fn schema_helpers() {
        let s = json!({"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":true,"name":"n","version":2,"default":{"id":1}});
        assert_eq!(
            rebuild_schema(&s, None, false, false).to_string(),
            r#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"n","version":2}"#
        );
        assert_eq!(
            entry_schema(&struct_fields(&s).unwrap()[0]),
            json!({"type":"int32","optional":false})
        );
        assert_eq!(
            field_entry(primitive_schema("string", true), "x").to_string(),
            r#"{"type":"string","optional":true,"field":"x"}"#
        );
        assert_eq!(header_bytes(&json!("c")), b"c");
        assert_eq!(header_bytes(&json!(5)), b"5");
        assert_eq!(header_bytes(&Value::Null), b"");
        assert_eq!(header_bytes(&json!({"a":true})), br#"{"a":true}"#);
    }

    #[test]
    fn insert_fields_with_schema_refuses_duplicates_and_missing_required_values() {
        let mut conv = Converted {
            data: json!({"id": 1}),
            schema: Some(std::sync::Arc::new(
                json!({"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":true}),
            )),
        };
        let dup = NewField {
            name: "id".into(),
            value: Some(json!(2)),
            schema: primitive_schema("int32", true),
        };
        assert!(
            insert_fields(&mut conv, vec![dup], "X")
                .unwrap_err()
                .contains("already has a field")
        );
        let req = NewField {
            name: "r".into(),
            value: None,
            schema: primitive_schema("string", false),
        };
        assert_eq!(
            insert_fields(&mut conv, vec![req], "X").unwrap_err(),
            "X: required field \"r\" has no value"
        );
        let ok = NewField {
            name: "o".into(),
            value: None,
            schema: primitive_schema("string", true),
        };
        insert_fields(&mut conv, vec![ok], "X").unwrap();
        assert_eq!(conv.data, json!({"id": 1, "o": null}));
        assert_eq!(
            conv.schema.unwrap().to_string(),
            r#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"o"}],"optional":false}"#
        );
    }
}

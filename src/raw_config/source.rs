//! Raw configuration sources: reads Confluent S3 Sink connector settings from a
//! config file and from the environment into one flat `key -> value` map,
//! remembering where each value came from.
//!
//! Sources, later overriding earlier:
//! 1. the file given on the command line (`--config`), optional;
//! 2. `S3_SINK_CONFIG`: a whole document, inline;
//! 3. `S3_SINK_CONFIG_FILE`: the path of a document;
//! 4. one variable per key: `S3_SINK_` + the key upper-cased with `.` as `_`
//!    (`S3_SINK_FLUSH_SIZE=100` sets `flush.size`).
//!
//! A document is JSON when its first character that is not whitespace or part
//! of a `//` / `/* */` comment is `{` or `[`, Java `.properties` otherwise.
//! JSON with comments is read by jsonc-parser; `.properties` by hand (see there
//! why). Only text is read here; what the keys mean is checked elsewhere.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::Value;

/// Name of the variable holding a whole config document inline.
pub const ENV_CONFIG: &str = "S3_SINK_CONFIG";
/// Name of the variable holding the path of a config document.
pub const ENV_CONFIG_FILE: &str = "S3_SINK_CONFIG_FILE";
/// Prefix of the per-key variables (`S3_SINK_FLUSH_SIZE` sets `flush.size`).
pub const ENV_PREFIX: &str = "S3_SINK_";

const BOM: char = '\u{feff}';

/// Where a raw key's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The file given on the command line (`--config`).
    File(PathBuf),
    /// The `S3_SINK_CONFIG` variable.
    EnvInline,
    /// The file named by `S3_SINK_CONFIG_FILE`.
    EnvFile(PathBuf),
    /// A per-key variable; holds the variable's name, e.g. `S3_SINK_FLUSH_SIZE`.
    EnvKey(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(path) => write!(f, "file {}", path.display()),
            Origin::EnvInline => write!(f, "env {ENV_CONFIG}"),
            Origin::EnvFile(path) => {
                write!(f, "file {} (from {ENV_CONFIG_FILE})", path.display())
            }
            Origin::EnvKey(name) => write!(f, "env {name}"),
        }
    }
}

/// The merged raw configuration: key -> (value, origin), iteration sorted by key.
///
/// `Debug` prints values as they are, secrets included: do not log it whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawConfig {
    entries: BTreeMap<String, (String, Origin)>,
    /// Keys whose value had config-provider placeholders, with the providers that resolved
    /// them and the text as given: resolved values are never shown, the placeholders may be.
    resolved: BTreeMap<String, (Vec<String>, String)>,
}

impl RawConfig {
    /// The value of `key`, if any source set it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(|(value, _)| value.as_str())
    }

    /// Where the value of `key` came from, if any source set it.
    pub fn origin(&self, key: &str) -> Option<&Origin> {
        self.entries.get(key).map(|(_, origin)| origin)
    }

    /// Sets `key`, replacing any earlier value and origin (the later source wins).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>, origin: Origin) {
        let key = key.into();
        self.resolved.remove(&key);
        self.entries.insert(key, (value.into(), origin));
    }

    /// Replaces the value of `key` with the one its placeholders resolved to, remembering the
    /// providers so the value is never shown.
    pub fn set_resolved(&mut self, key: &str, value: String, providers: Vec<String>) {
        if let Some(entry) = self.entries.get_mut(key) {
            let given = std::mem::replace(&mut entry.0, value);
            self.resolved.insert(key.to_owned(), (providers, given));
        }
    }

    /// The providers that resolved the value of `key`, when it had placeholders.
    pub fn resolved_from(&self, key: &str) -> Option<&[String]> {
        self.resolved
            .get(key)
            .map(|(providers, _)| providers.as_slice())
    }

    /// The value of `key` as given, placeholders and all, before they were resolved.
    pub fn given(&self, key: &str) -> Option<&str> {
        match self.resolved.get(key) {
            Some((_, given)) => Some(given),
            None => self.get(key),
        }
    }

    /// All entries as `(key, value, origin)`, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, &Origin)> {
        self.entries
            .iter()
            .map(|(key, (value, origin))| (key.as_str(), value.as_str(), origin))
    }

    /// All keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Number of keys set.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no key is set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Builds from a plain list of pairs (for tests and programmatic use); origin EnvInline.
    ///
    /// A repeated key takes its last value.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> RawConfig {
        let mut raw = RawConfig::default();
        for (key, value) in pairs {
            raw.insert(key, value, Origin::EnvInline);
        }
        raw
    }
}

/// Why the raw configuration could not be read. Messages never quote values,
/// which may be secrets.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A config file could not be read (missing, unreadable or not UTF-8).
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        /// The path as given.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A JSON document is malformed; `line` and `column` are 1-based and count
    /// characters of the original text, comments included.
    #[error("invalid JSON in {origin} at line {line}, column {column}: {message}")]
    Json {
        /// The document's source.
        origin: Origin,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A `.properties` document is malformed (a bad `\uXXXX` escape); `line` is 1-based.
    #[error("invalid properties in {origin} at line {line}: {message}")]
    Properties {
        /// The document's source.
        origin: Origin,
        /// 1-based line of the offending escape.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A JSON value cannot be a config value (null, nested object, odd list item).
    #[error("invalid value for key `{key}` in {origin}: {message}")]
    BadValue {
        /// The document's source.
        origin: Origin,
        /// The key whose value is refused.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// `S3_SINK_CONFIG_FILE` is set to the empty string.
    #[error("S3_SINK_CONFIG_FILE is set but empty: unset it or give the path of a config file")]
    EmptyConfigFileVar,
    /// A JSON document is valid JSON but not an object.
    #[error(
        "the JSON in {origin} is not an object: expected {{\"name\": ..., \"config\": {{...}}}} or a map of keys to values"
    )]
    NotAnObject {
        /// The document's source.
        origin: Origin,
    },
}

/// The config key a per-key variable sets: `S3_SINK_` stripped, the rest
/// lower-cased, every `_` turned into `.`; `None` for other variables,
/// `S3_SINK_CONFIG`, `S3_SINK_CONFIG_FILE` and a bare `S3_SINK_`.
///
/// Because of that mapping, a key containing `_` or upper-case letters (e.g.
/// a hypothetical `my_key`) cannot be set through a per-key variable: set it
/// in `S3_SINK_CONFIG` or a config file instead.
pub fn key_for_env_var(name: &str) -> Option<String> {
    if name == ENV_CONFIG || name == ENV_CONFIG_FILE {
        return None;
    }
    let rest = name.strip_prefix(ENV_PREFIX)?;
    if rest.is_empty() {
        return None;
    }
    Some(rest.to_lowercase().replace('_', "."))
}

/// The per-key variable that sets `key` (`flush.size` -> `S3_SINK_FLUSH_SIZE`),
/// or `None` when no variable maps back to exactly `key` (see [`key_for_env_var`]).
pub fn env_var_for_key(key: &str) -> Option<String> {
    let name = format!("{ENV_PREFIX}{}", key.to_uppercase().replace('.', "_"));
    (key_for_env_var(&name).as_deref() == Some(key)).then_some(name)
}

/// Parses one document (JSON connector config or .properties) into ordered key/value pairs.
///
/// Each key appears once: a repeated key keeps its first position and takes its
/// last value (the later one wins), in JSON and `.properties` alike.
///
/// JSON (first significant character `{` or `[`) is either
/// `{"name": ..., "config": {...}}` — the `config` object's entries, preceded by
/// `name` (an inner `config.name` wins over it); other top-level keys, like
/// the `tasks` and `type` of Connect's REST answers, are ignored — or a bare
/// map of keys to values. `//` and `/* */` comments and trailing commas are
/// accepted outside strings. Strings are taken as they are, numbers and
/// booleans as their JSON text (`1`, `1.5`, `true`), lists of those joined with
/// `,`; `null` and nested objects are errors naming the key.
///
/// Anything else is read like `java.util.Properties.load`. A document of only
/// whitespace and `//` / `/* */` comments has no keys.
pub fn parse_document(text: &str, origin: &Origin) -> Result<Vec<(String, String)>, SourceError> {
    match detect(text) {
        Kind::Empty => Ok(Vec::new()),
        Kind::Json => parse_json(text, origin),
        Kind::Properties => parse_properties(text, origin),
    }
}

/// Loads and merges all sources. `env` is the process environment as (name, value) pairs, passed in so tests need not touch the real environment.
///
/// Order, later overriding earlier: `config_file`, `S3_SINK_CONFIG` (inline
/// document), `S3_SINK_CONFIG_FILE` (path of a document), then per-key
/// variables `S3_SINK_<KEY>` (see [`key_for_env_var`]: keys containing `_` or
/// upper-case letters cannot be set that way; use `S3_SINK_CONFIG`). A set but
/// empty variable counts as set: `S3_SINK_CONFIG=""` is an empty document, a
/// per-key variable sets an empty value, but an empty `S3_SINK_CONFIG_FILE`
/// is an error. Per-key variables apply in order of their names; a name that
/// appears twice in `env` takes its last value.
pub fn load(
    config_file: Option<&Path>,
    env: &[(String, String)],
) -> Result<RawConfig, SourceError> {
    let mut raw = RawConfig::default();
    if let Some(path) = config_file {
        merge_file(&mut raw, path, Origin::File(path.to_path_buf()))?;
    }
    if let Some(text) = env_value(env, ENV_CONFIG) {
        merge_document(&mut raw, text, Origin::EnvInline)?;
    }
    if let Some(path) = env_value(env, ENV_CONFIG_FILE) {
        if path.is_empty() {
            return Err(SourceError::EmptyConfigFileVar);
        }
        let path = PathBuf::from(path);
        merge_file(&mut raw, &path, Origin::EnvFile(path.clone()))?;
    }
    let mut per_key: Vec<(&str, String, &str)> = env
        .iter()
        .filter_map(|(name, value)| {
            key_for_env_var(name).map(|key| (name.as_str(), key, value.as_str()))
        })
        .collect();
    // The environment's order is arbitrary; sort (stably) so two variables
    // naming the same key resolve the same way every time.
    per_key.sort_by(|a, b| a.0.cmp(b.0));
    for (name, key, value) in per_key {
        raw.insert(key, value, Origin::EnvKey(name.to_owned()));
    }
    Ok(raw)
}

fn env_value<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, value)| value.as_str())
}

fn merge_file(raw: &mut RawConfig, path: &Path, origin: Origin) -> Result<(), SourceError> {
    let text = std::fs::read_to_string(path).map_err(|source| SourceError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    merge_document(raw, &text, origin)
}

fn merge_document(raw: &mut RawConfig, text: &str, origin: Origin) -> Result<(), SourceError> {
    for (key, value) in parse_document(text, &origin)? {
        raw.insert(key, value, origin.clone());
    }
    Ok(())
}

/// Ordered pairs where a repeated key keeps its place and takes the new value: what
/// `IndexMap::insert` does.
type Pairs = IndexMap<String, String>;

enum Kind {
    Empty,
    Json,
    Properties,
}

/// The two forms a connector config document takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// A Kafka Connect JSON document (comments and trailing commas accepted).
    Json,
    /// A Java `.properties` file.
    Properties,
}

/// The form of `text` as [`parse_document`] reads it; `None` for a document without keys
/// (only whitespace and comments).
pub fn document_kind(text: &str) -> Option<DocumentKind> {
    match detect(text) {
        Kind::Empty => None,
        Kind::Json => Some(DocumentKind::Json),
        Kind::Properties => Some(DocumentKind::Properties),
    }
}

/// Writes pairs as a document [`parse_document`] reads back to the same pairs, and Kafka
/// Connect too: JSON as `{"name": ..., "config": {...}}` when a `name` is among the pairs (a
/// bare map otherwise), `.properties` as `Properties.store` escapes it (ASCII only, so it
/// reads the same in Latin-1, as `connect-standalone` loads it).
pub fn render_document(pairs: &[(String, String)], kind: DocumentKind) -> String {
    match kind {
        DocumentKind::Json => {
            let mut config = serde_json::Map::new();
            let mut name = None;
            for (key, value) in pairs {
                if key == "name" {
                    name = Some(value.clone());
                } else {
                    config.insert(key.clone(), Value::String(value.clone()));
                }
            }
            let document = match name {
                Some(name) => serde_json::json!({"name": name, "config": config}),
                None => Value::Object(config),
            };
            let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
            text.push('\n');
            text
        }
        DocumentKind::Properties => {
            let mut text = String::new();
            for (key, value) in pairs {
                escape_properties(&mut text, key, true);
                text.push('=');
                escape_properties(&mut text, value, false);
                text.push('\n');
            }
            text
        }
    }
}

/// `java.util.Properties.saveConvert`: `\` and the separators escaped, control characters as
/// Java's escapes, leading spaces (any space, in a key) escaped, and non-ASCII as `\uXXXX`
/// (UTF-16 units, so a character beyond U+FFFF is a surrogate pair).
fn escape_properties(out: &mut String, text: &str, is_key: bool) {
    for (at, c) in text.chars().enumerate() {
        match c {
            ' ' if at == 0 || is_key => out.push_str("\\ "),
            '\\' | '=' | ':' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\x0c' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
        }
    }
}

// Hand-written: which of two formats a text is, is this project's rule, not a parser's.
fn detect(text: &str) -> Kind {
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == BOM);
        if let Some(after) = rest.strip_prefix("//") {
            rest = after
                .find('\n')
                .and_then(|at| after.get(at..))
                .unwrap_or("");
        } else if let Some(after) = rest.strip_prefix("/*") {
            match after.find("*/").and_then(|at| after.get(at + 2..)) {
                Some(tail) => rest = tail,
                // Unterminated: only a JSON document can have meant this.
                None => return Kind::Json,
            }
        } else {
            break;
        }
    }
    match rest.chars().next() {
        None => Kind::Empty,
        // `[` is never a sensible config; routing it to JSON gives a clear error.
        Some('{' | '[') => Kind::Json,
        Some(_) => Kind::Properties,
    }
}

// ---------------------------------------------------------------- JSON

fn parse_json(text: &str, origin: &Origin) -> Result<Vec<(String, String)>, SourceError> {
    // jsonc-parser does not skip a byte-order mark; columns never counted it anyway.
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let value: Value = jsonc_parser::parse_to_serde_value(text, &JSONC)
        .map_err(|err| json_error(text, origin, &err))?;
    let Value::Object(top) = value else {
        return Err(SourceError::NotAnObject {
            origin: origin.clone(),
        });
    };
    let mut pairs = Pairs::default();
    match top.get("config") {
        Some(Value::Object(config)) => {
            if let Some(name) = top.get("name") {
                pairs.insert("name".to_owned(), value_text("name", name, origin)?);
            }
            for (key, value) in config {
                pairs.insert(key.clone(), value_text(key, value, origin)?);
            }
        }
        _ => {
            for (key, value) in &top {
                pairs.insert(key.clone(), value_text(key, value, origin)?);
            }
        }
    }
    Ok(pairs.into_iter().collect())
}

fn value_text(key: &str, value: &Value, origin: &Origin) -> Result<String, SourceError> {
    let bad = |message: &str| SourceError::BadValue {
        origin: origin.clone(),
        key: key.to_owned(),
        message: message.to_owned(),
    };
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(_) | Value::Bool(_) => Ok(value.to_string()),
        Value::Null => Err(bad(
            "null is not a value: use \"\" for an empty value or leave the key out",
        )),
        Value::Array(items) => {
            // Connect lists are comma-separated strings.
            let mut parts = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(s) => parts.push(s.clone()),
                    Value::Number(_) | Value::Bool(_) => parts.push(item.to_string()),
                    _ => {
                        return Err(bad("a list may hold only strings, numbers and booleans"));
                    }
                }
            }
            Ok(parts.join(","))
        }
        Value::Object(_) => Err(bad(
            "nested objects are not allowed: connector config values are flat",
        )),
    }
}

/// JSON as connector configs are pasted: `//` and `/* */` comments and trailing commas, and
/// nothing else of JSON5 (no single quotes, bare keys, hex or `NaN`), which Kafka Connect
/// itself would refuse.
const JSONC: jsonc_parser::ParseOptions = jsonc_parser::ParseOptions {
    allow_comments: true,
    allow_trailing_commas: true,
    allow_loose_object_property_names: false,
    allow_missing_commas: false,
    allow_single_quoted_strings: false,
    allow_hexadecimal_numbers: false,
    allow_unary_plus_numbers: false,
    allow_bare_decimal_point_numbers: false,
    allow_extended_string_escapes: false,
    allow_non_finite_numbers: false,
};

/// The parser's error at its 1-based line and column, columns in characters (a Korean comment
/// is three bytes a character), with the message in this crate's lower-case style.
fn json_error(text: &str, origin: &Origin, err: &jsonc_parser::errors::ParseError) -> SourceError {
    let (line, column) = position_of_offset(text, err.range().start);
    let kind = err.kind().to_string();
    let mut chars = kind.chars();
    let message = match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => kind,
    };
    SourceError::Json {
        origin: origin.clone(),
        line,
        column,
        message,
    }
}

/// 1-based line and character column of a byte offset on a char boundary.
fn position_of_offset(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    let line = before.matches('\n').count() + 1;
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

// ---------------------------------------------------------- .properties
//
// Hand-written, following `java.util.Properties.load`, because the crate for it
// (java-properties 2.0) loses what the tests pin: it refuses a character beyond U+FFFF
// written as a surrogate pair (`\ud83d\ude00`, the way `Properties.store` writes one), it
// drops a last line ending in a lone backslash (`last=end\`, which Java keeps as `end`),
// and it reports a bad `\u` escape on a continued line at the logical line's first line
// rather than the line the escape is on.

/// A character with the 1-based natural line it is on.
type Located = (char, usize);
/// A logical line's characters.
type Chars = Vec<Located>;

fn parse_properties(text: &str, origin: &Origin) -> Result<Vec<(String, String)>, SourceError> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut pairs = Pairs::default();
    for line in logical_lines(text) {
        let (key, value) = split_key_value(&line);
        pairs.insert(unescape(key, origin)?, unescape(value, origin)?);
    }
    Ok(pairs.into_iter().collect())
}

fn is_properties_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

/// Lines ended by `\n`, `\r\n` or `\r`, as Java reads them.
fn natural_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c == '\n' || c == '\r' {
            lines.push(text.get(start..at).unwrap_or(""));
            start = at + 1;
            if c == '\r' && matches!(chars.peek(), Some((_, '\n'))) {
                chars.next();
                start += 1;
            }
        }
    }
    lines.push(text.get(start..).unwrap_or(""));
    lines
}

/// Joins continuation lines and drops blank and comment lines, following
/// `java.util.Properties.LineReader`.
fn logical_lines(text: &str) -> Vec<Chars> {
    let mut out = Vec::new();
    let mut lines = natural_lines(text)
        .into_iter()
        .enumerate()
        .map(|(at, line)| (at + 1, line.trim_start_matches(is_properties_space)));
    while let Some((first_number, first)) = lines.next() {
        // Only the first natural line of a logical line can be a comment.
        if first.is_empty() || first.starts_with(['#', '!']) {
            continue;
        }
        let mut chars = Chars::new();
        let (mut number, mut line) = (first_number, first);
        loop {
            let backslashes = line.chars().rev().take_while(|&c| c == '\\').count();
            let continues = backslashes % 2 == 1;
            let body = if continues {
                line.strip_suffix('\\').unwrap_or(line)
            } else {
                line
            };
            chars.extend(body.chars().map(|c| (c, number)));
            if !continues {
                break;
            }
            // A continuation's leading whitespace is dropped (trimmed above);
            // at end of input the dangling backslash is just dropped.
            match lines.next() {
                Some((next_number, next)) => (number, line) = (next_number, next),
                None => break,
            }
        }
        // `\` alone followed by a blank line yields nothing, as in Java.
        if !chars.is_empty() {
            out.push(chars);
        }
    }
    out
}

/// Splits a logical line into raw key and value: the key ends at the first
/// unescaped `=`, `:` or whitespace; whitespace and one `=`/`:` after it are
/// skipped; the rest, trailing whitespace included, is the value.
fn split_key_value(line: &[Located]) -> (&[Located], &[Located]) {
    let mut key_end = line.len();
    let mut value_start = line.len();
    let mut has_separator = false;
    let mut escaped = false;
    for (at, &(c, _)) in line.iter().enumerate() {
        if !escaped && (c == '=' || c == ':') {
            (key_end, value_start, has_separator) = (at, at + 1, true);
            break;
        }
        if !escaped && is_properties_space(c) {
            (key_end, value_start) = (at, at + 1);
            break;
        }
        escaped = c == '\\' && !escaped;
    }
    let mut value = line.get(value_start..).unwrap_or(&[]);
    while let Some((&(c, _), tail)) = value.split_first() {
        if !is_properties_space(c) {
            if !has_separator && (c == '=' || c == ':') {
                has_separator = true;
            } else {
                break;
            }
        }
        value = tail;
    }
    (line.get(..key_end).unwrap_or(&[]), value)
}

/// Java's escapes: `\t \n \r \f \uXXXX`; `\` before any other character yields it.
fn unescape(chars: &[Located], origin: &Origin) -> Result<String, SourceError> {
    let mut out = String::with_capacity(chars.len());
    let mut it = chars.iter();
    while let Some(&(c, line)) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        // A lone trailing backslash cannot survive line joining; drop it.
        let Some(&(escaped, _)) = it.next() else {
            break;
        };
        out.push(match escaped {
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            'f' => '\x0c',
            'u' => unicode_escape(&mut it).ok_or_else(|| SourceError::Properties {
                origin: origin.clone(),
                line,
                message: "malformed \\uXXXX escape: need four hex digits, surrogates in pairs"
                    .to_owned(),
            })?,
            other => other,
        });
    }
    Ok(out)
}

fn hex4(it: &mut std::slice::Iter<'_, Located>) -> Option<u32> {
    let mut unit = 0;
    for _ in 0..4 {
        let &(c, _) = it.next()?;
        unit = unit * 16 + c.to_digit(16)?;
    }
    Some(unit)
}

/// The character after `\u`. Java strings are UTF-16, so a character beyond
/// U+FFFF is written as two escapes (a surrogate pair); a lone surrogate has
/// no `char` and is refused.
fn unicode_escape(it: &mut std::slice::Iter<'_, Located>) -> Option<char> {
    let unit = hex4(it)?;
    if !(0xD800..0xDC00).contains(&unit) {
        return char::from_u32(unit);
    }
    let mut look = it.clone();
    if look.next()?.0 != '\\' || look.next()?.0 != 'u' {
        return None;
    }
    let low = hex4(&mut look)?;
    if !(0xDC00..0xE000).contains(&low) {
        return None;
    }
    *it = look;
    char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn origin() -> Origin {
        Origin::EnvInline
    }

    fn parse(text: &str) -> Vec<(String, String)> {
        match parse_document(text, &origin()) {
            Ok(pairs) => pairs,
            Err(err) => panic!("parse failed: {err}"),
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|&(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn env(list: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs(list)
    }

    fn temp_file(content: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(content.as_bytes()).unwrap();
        file.flush().unwrap();
        file
    }

    const CONNECTOR_JSON: &str = r#"{
  "name": "s3-sink-connector",
  "config": {
    /* ---------- 필수 정보 ---------- */
    "connector.class"          : "io.confluent.connect.s3.S3SinkConnector",
    "tasks.max"                : "1",
    "topics"                   : "dbserver.inventory.customers",
    "s3.bucket.name"           : "kafka-sink-data",
    "s3.region"                : "ap-northeast-2",
    "storage.class"            : "io.confluent.connect.s3.storage.S3Storage",
    "aws.access.key.id"        : "<AWS_ACCESS_KEY>",
    "aws.secret.access.key"    : "<AWS_SECRET_KEY>",
    /* ---------- 메시지 포맷 ---------- */
    "format.class"             : "io.confluent.connect.s3.format.json.JsonFormat",
    "value.converter"          : "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable" : "false",
    "key.converter"            : "org.apache.kafka.connect.json.JsonConverter",
    "key.converter.schemas.enable"   : "false",
    /* ---------- 파티셔닝(선택) ---------- */
    "partitioner.class"        : "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
    "timestamp.extractor"      : "RecordField",
    "timestamp.field"          : "dt",
    "timestamp.parser"         : "yyyyMMdd",
    "partition.duration.ms"    : "86400000",
    "path.format"              : "'yymmdd='yyyyMMdd",
    /* ---------- 파일 회전 ---------- */
    "flush.size"               : "10",
    "rotate.schedule.interval.ms": "600000",
    "timezone": "Asia/Seoul",
    "locale":   "ko_KR", 
    /* ---------- Debezium 메시지 언랩 ---------- */
    "transforms"                       : "unwrap",
    "transforms.unwrap.type"           : "io.debezium.transforms.ExtractNewRecordState",
    "transforms.unwrap.drop.tombstones": "true",
  }
}
"#;

    const CONNECTOR_PROPERTIES: &str = "\
connector.class=io.confluent.connect.s3.S3SinkConnector
s3.region=<YOUR AWS REGION>
flush.size=200
schema.compatibility=NONE
tasks.max=1
topics=salesdb.salesdb.CUSTOMER
value.converter.schemas.enable=false
format.class=io.confluent.connect.s3.format.json.JsonFormat
partitioner.class=io.confluent.connect.storage.partitioner.DefaultPartitioner
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
storage.class=io.confluent.connect.s3.storage.S3Storage
s3.bucket.name=msk-lab-<ACCOUNT_ID>-target-bucket
";

    #[test]
    fn connector_json_with_comments_and_trailing_comma() {
        let expected = pairs(&[
            ("name", "s3-sink-connector"),
            ("connector.class", "io.confluent.connect.s3.S3SinkConnector"),
            ("tasks.max", "1"),
            ("topics", "dbserver.inventory.customers"),
            ("s3.bucket.name", "kafka-sink-data"),
            ("s3.region", "ap-northeast-2"),
            ("storage.class", "io.confluent.connect.s3.storage.S3Storage"),
            ("aws.access.key.id", "<AWS_ACCESS_KEY>"),
            ("aws.secret.access.key", "<AWS_SECRET_KEY>"),
            (
                "format.class",
                "io.confluent.connect.s3.format.json.JsonFormat",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "false"),
            (
                "key.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("key.converter.schemas.enable", "false"),
            (
                "partitioner.class",
                "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
            ),
            ("timestamp.extractor", "RecordField"),
            ("timestamp.field", "dt"),
            ("timestamp.parser", "yyyyMMdd"),
            ("partition.duration.ms", "86400000"),
            ("path.format", "'yymmdd='yyyyMMdd"),
            ("flush.size", "10"),
            ("rotate.schedule.interval.ms", "600000"),
            ("timezone", "Asia/Seoul"),
            ("locale", "ko_KR"),
            ("transforms", "unwrap"),
            (
                "transforms.unwrap.type",
                "io.debezium.transforms.ExtractNewRecordState",
            ),
            ("transforms.unwrap.drop.tombstones", "true"),
        ]);
        let got = parse(CONNECTOR_JSON);
        assert_eq!(got.len(), 27);
        assert_eq!(got, expected);
    }

    #[test]
    fn connector_properties() {
        let expected = pairs(&[
            ("connector.class", "io.confluent.connect.s3.S3SinkConnector"),
            ("s3.region", "<YOUR AWS REGION>"),
            ("flush.size", "200"),
            ("schema.compatibility", "NONE"),
            ("tasks.max", "1"),
            ("topics", "salesdb.salesdb.CUSTOMER"),
            ("value.converter.schemas.enable", "false"),
            (
                "format.class",
                "io.confluent.connect.s3.format.json.JsonFormat",
            ),
            (
                "partitioner.class",
                "io.confluent.connect.storage.partitioner.DefaultPartitioner",
            ),
            (
                "key.converter",
                "org.apache.kafka.connect.storage.StringConverter",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("storage.class", "io.confluent.connect.s3.storage.S3Storage"),
            ("s3.bucket.name", "msk-lab-<ACCOUNT_ID>-target-bucket"),
        ]);
        let got = parse(CONNECTOR_PROPERTIES);
        assert_eq!(got.len(), 13);
        assert_eq!(got, expected);
    }

    #[test]
    fn bare_map_with_numbers_booleans_and_lists() {
        let got = parse(
            r#"{"flush.size": 100, "rotate.interval.ms": -1, "ratio": 1.5,
                "schemas.enable": true, "other": false, "topics": ["a", "b", "c"],
                "empty.list": [], "mixed": ["x", 2, true], "s": ""}"#,
        );
        assert_eq!(
            got,
            pairs(&[
                ("flush.size", "100"),
                ("rotate.interval.ms", "-1"),
                ("ratio", "1.5"),
                ("schemas.enable", "true"),
                ("other", "false"),
                ("topics", "a,b,c"),
                ("empty.list", ""),
                ("mixed", "x,2,true"),
                ("s", ""),
            ])
        );
    }

    #[test]
    fn line_comments_and_urls_containing_slashes() {
        let text = "// leading comment\n{\n  // a comment with \"quotes\" and /* \n  \"store.url\": \"http://minio:9000/x\", // trailing\n  \"a\": \"b//c/*d*/\" // end\n}\n// after";
        assert_eq!(
            parse(text),
            pairs(&[("store.url", "http://minio:9000/x"), ("a", "b//c/*d*/")])
        );
    }

    #[test]
    fn escaped_quote_then_comment_marker_stays_in_string() {
        let text = r#"{"a": "x\" /* not a comment */ y\\", /* comment */ "b": "\\/*"}"#;
        assert_eq!(
            parse(text),
            pairs(&[("a", r#"x" /* not a comment */ y\"#), ("b", r"\/*")])
        );
    }

    #[test]
    fn trailing_commas_in_lists_and_objects() {
        assert_eq!(
            parse("{\"t\": [\"a\", \"b\",], \"u\": \"1\", /* x */\n}"),
            pairs(&[("t", "a,b"), ("u", "1")])
        );
        // A comma with nothing before it is still an error.
        assert!(matches!(
            parse_document("{,}", &origin()),
            Err(SourceError::Json { .. })
        ));
        assert!(matches!(
            parse_document("{\"a\": [,]}", &origin()),
            Err(SourceError::Json { .. })
        ));
    }

    #[test]
    fn duplicate_keys_later_wins_first_position_kept() {
        assert_eq!(
            parse(r#"{"a": "1", "b": "2", "a": "3"}"#),
            pairs(&[("a", "3"), ("b", "2")])
        );
        assert_eq!(parse("a=1\nb=2\na=3"), pairs(&[("a", "3"), ("b", "2")]));
        // The inner config's name wins over the outer one.
        assert_eq!(
            parse(r#"{"name": "outer", "config": {"name": "inner", "x": "1"}}"#),
            pairs(&[("name", "inner"), ("x", "1")])
        );
    }

    #[test]
    fn wrapped_form_ignores_other_top_level_keys() {
        let text = r#"{"name": "n", "config": {"a": "1"}, "tasks": [{"connector": "n", "task": 0}], "type": "sink"}"#;
        assert_eq!(parse(text), pairs(&[("name", "n"), ("a", "1")]));
        // Without a name, only config.
        assert_eq!(parse(r#"{"config": {"a": "1"}}"#), pairs(&[("a", "1")]));
    }

    #[test]
    fn syntax_error_reports_original_line_and_column() {
        // Missing comma after "1"; the comment with Korean text sits before
        // the error on the same line, so the column must count characters. The
        // column is where the comma belongs, right after "1" (21; the serde_json
        // reader this replaced pointed at the next token, "b", 22).
        let text = "{\n  \"x\": \"y\",\n  /* 한국어 */ \"a\": \"1\" \"b\": \"2\"\n}";
        let err = parse_document(text, &Origin::File(PathBuf::from("conf/sink.json"))).unwrap_err();
        match &err {
            SourceError::Json {
                origin,
                line,
                column,
                message,
            } => {
                assert_eq!(*origin, Origin::File(PathBuf::from("conf/sink.json")));
                assert_eq!(*line, 3);
                assert_eq!(*column, 21);
                assert_eq!(message, "expected comma");
                assert!(!message.contains("at line"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            "invalid JSON in file conf/sink.json at line 3, column 21: expected comma"
        );
    }

    #[test]
    fn syntax_error_origin_env_inline() {
        let err = parse_document("{\"a\": }", &Origin::EnvInline).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("invalid JSON in env S3_SINK_CONFIG at line 1, column 7"),
            "{text}"
        );
    }

    #[test]
    fn eof_error_column_is_one_based() {
        let err = parse_document("{\"a\": \"1\"\n", &origin()).unwrap_err();
        assert!(
            matches!(
                err,
                SourceError::Json {
                    line: 2,
                    column: 1,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn unterminated_block_comment() {
        let err = parse_document("{\n  \"a\": \"1\" /* oops\n}", &origin()).unwrap_err();
        match err {
            SourceError::Json {
                line,
                column,
                message,
                ..
            } => {
                assert_eq!((line, column), (2, 12));
                assert!(message.contains("unterminated"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn null_and_nested_values_are_errors_naming_the_key() {
        let err = parse_document(r#"{"config": {"flush.size": null}}"#, &origin()).unwrap_err();
        match &err {
            SourceError::BadValue { key, origin, .. } => {
                assert_eq!(key, "flush.size");
                assert_eq!(*origin, Origin::EnvInline);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(err.to_string().contains("`flush.size`"));
        let err = parse_document(r#"{"s3.x": {"y": "1"}}"#, &origin()).unwrap_err();
        assert!(matches!(&err, SourceError::BadValue { key, .. } if key == "s3.x"));
        let err = parse_document(r#"{"t": ["a", null]}"#, &origin()).unwrap_err();
        assert!(matches!(&err, SourceError::BadValue { key, .. } if key == "t"));
    }

    #[test]
    fn non_object_json_is_an_error() {
        for text in ["[1, 2]", "/* c */ [\"a\"]"] {
            assert!(matches!(
                parse_document(text, &origin()),
                Err(SourceError::NotAnObject { .. })
            ));
        }
    }

    #[test]
    fn empty_and_comment_only_documents_have_no_keys() {
        assert!(parse("").is_empty());
        assert!(parse("  \n\t ").is_empty());
        assert!(parse("// nothing\n/* here */\n").is_empty());
        assert!(parse("# only\n! comments\n").is_empty());
        assert!(parse("{}").is_empty());
    }

    #[test]
    fn bom_is_ignored() {
        assert_eq!(parse("\u{feff}{\"a\": \"1\"}"), pairs(&[("a", "1")]));
        assert_eq!(parse("\u{feff}a=1"), pairs(&[("a", "1")]));
    }

    #[test]
    fn properties_separators_comments_and_escapes() {
        let text = "# comment\n\
                    ! another comment\n\
                    \x20\x20  # indented comment\n\
                    \n\
                    colon.key: colon value\n\
                    space.key   space value\n\
                    \x20\x20eq.key = spaced = equals\n\
                    accent=caf\\u00e9\n\
                    raw.accent=café\n\
                    tabs=a\\tb\\nc\\\\d\\qe\n\
                    key\\ with\\:odd\\=chars=v\n\
                    trailing=value   \n\
                    only.key\n\
                    empty.value=\n\
                    emoji=\\ud83d\\ude00\n";
        assert_eq!(
            parse(text),
            pairs(&[
                ("colon.key", "colon value"),
                ("space.key", "space value"),
                ("eq.key", "spaced = equals"),
                ("accent", "café"),
                ("raw.accent", "café"),
                ("tabs", "a\tb\nc\\dqe"),
                ("key with:odd=chars", "v"),
                ("trailing", "value   "),
                ("only.key", ""),
                ("empty.value", ""),
                ("emoji", "😀"),
            ])
        );
    }

    #[test]
    fn properties_continuation_lines() {
        let text = "topics=a,\\\n    b,\\\r\n\tc\nnext=1\n\
                    even=x\\\\\nnot.continued=2\n\
                    # comment \\\ncomment.not.continued=3\n\
                    last=end\\";
        assert_eq!(
            parse(text),
            pairs(&[
                ("topics", "a,b,c"),
                ("next", "1"),
                ("even", "x\\"),
                ("not.continued", "2"),
                ("comment.not.continued", "3"),
                ("last", "end"),
            ])
        );
        // A continuation followed by a blank line ends the logical line.
        assert_eq!(
            parse("a=1\\\n   \nb=2\r c=3"),
            pairs(&[("a", "1"), ("b", "2"), ("c", "3")])
        );
    }

    #[test]
    fn properties_bad_unicode_escape_reports_line() {
        for bad in ["\\u12", "\\u12G4", "\\ud800", "\\udc00", "\\ud800\\u0041"] {
            let text = format!("a=1\nb=2\\\n  x{bad}y\n");
            let err = parse_document(&text, &Origin::EnvKey("X".into())).unwrap_err();
            match &err {
                SourceError::Properties { line, origin, .. } => {
                    assert_eq!(*line, 3, "{bad}");
                    assert_eq!(*origin, Origin::EnvKey("X".into()));
                }
                other => panic!("unexpected {other:?}"),
            }
            assert!(
                err.to_string()
                    .starts_with("invalid properties in env X at line 3")
            );
        }
    }

    #[test]
    fn rendered_documents_read_back_to_the_same_pairs() {
        let given = pairs(&[
            ("name", "s3-sink"),
            ("path.format", "'year'=YYYY/'month'=MM"),
            ("odd key=:#!", " leading space, trailing space "),
            ("separator", "\n\t\r\u{c}|\\"),
            ("locale", "ko_KR 한국어 😀"),
            ("empty", ""),
            ("hash", "#not a comment"),
        ]);
        for kind in [DocumentKind::Json, DocumentKind::Properties] {
            let text = render_document(&given, kind);
            assert_eq!(document_kind(&text), Some(kind), "{text}");
            assert_eq!(parse(&text), given, "{kind:?}:\n{text}");
        }
        let properties = render_document(&given, DocumentKind::Properties);
        assert!(properties.is_ascii(), "{properties}");
        assert!(properties.contains("\\uD83D\\uDE00"), "{properties}");
        let json = render_document(&given, DocumentKind::Json);
        assert!(
            json.starts_with("{\n  \"name\": \"s3-sink\",\n  \"config\": {"),
            "{json}"
        );
        // Without a name, a bare map.
        let bare = render_document(&pairs(&[("flush.size", "1")]), DocumentKind::Json);
        assert_eq!(bare, "{\n  \"flush.size\": \"1\"\n}\n");
    }

    #[test]
    fn env_var_key_mapping() {
        assert_eq!(
            key_for_env_var("S3_SINK_FLUSH_SIZE").as_deref(),
            Some("flush.size")
        );
        assert_eq!(
            key_for_env_var("S3_SINK_VALUE_CONVERTER_SCHEMAS_ENABLE").as_deref(),
            Some("value.converter.schemas.enable")
        );
        assert_eq!(key_for_env_var("S3_SINK_CONFIG"), None);
        assert_eq!(key_for_env_var("S3_SINK_CONFIG_FILE"), None);
        assert_eq!(key_for_env_var("S3_SINK_"), None);
        assert_eq!(key_for_env_var("HOME"), None);
        assert_eq!(
            env_var_for_key("flush.size").as_deref(),
            Some("S3_SINK_FLUSH_SIZE")
        );
        assert_eq!(env_var_for_key("my_key"), None);
        assert_eq!(env_var_for_key("camelCase"), None);
        assert_eq!(env_var_for_key("config"), None);
    }

    #[test]
    fn load_precedence_and_origins() {
        let file = temp_file(
            "// from --config\n{\"a\": \"file\", \"b\": \"file\", \"c\": \"file\", \"d\": \"file\", \"only.file\": 1}",
        );
        let env_file = temp_file("c=env-file\nd=env-file\n");
        let env_file_path = env_file.path().to_string_lossy().into_owned();
        let vars = env(&[
            ("HOME", "/root"),
            ("S3_SINK_D", "per-key"),
            ("S3_SINK_CONFIG", "b=inline\nc=inline\nd=inline"),
            ("S3_SINK_CONFIG_FILE", env_file_path.as_str()),
            ("S3_SINK_FLUSH_SIZE", "100"),
            ("S3_SINK_EMPTY", ""),
        ]);
        let raw = load(Some(file.path()), &vars).unwrap();
        assert_eq!(raw.get("a"), Some("file"));
        assert_eq!(raw.get("b"), Some("inline"));
        assert_eq!(raw.get("c"), Some("env-file"));
        assert_eq!(raw.get("d"), Some("per-key"));
        assert_eq!(raw.get("only.file"), Some("1"));
        assert_eq!(raw.get("flush.size"), Some("100"));
        assert_eq!(raw.get("empty"), Some(""));
        assert_eq!(raw.get("home"), None);
        assert_eq!(raw.len(), 7);

        let file_origin = Origin::File(file.path().to_path_buf());
        let env_file_origin = Origin::EnvFile(env_file.path().to_path_buf());
        assert_eq!(raw.origin("a"), Some(&file_origin));
        assert_eq!(raw.origin("b"), Some(&Origin::EnvInline));
        assert_eq!(raw.origin("c"), Some(&env_file_origin));
        assert_eq!(raw.origin("d"), Some(&Origin::EnvKey("S3_SINK_D".into())));
        assert_eq!(
            raw.origin("flush.size"),
            Some(&Origin::EnvKey("S3_SINK_FLUSH_SIZE".into()))
        );
        assert_eq!(
            raw.keys().collect::<Vec<_>>(),
            ["a", "b", "c", "d", "empty", "flush.size", "only.file"]
        );
        assert_eq!(
            env_file_origin.to_string(),
            format!("file {env_file_path} (from S3_SINK_CONFIG_FILE)")
        );
        assert_eq!(
            Origin::File(PathBuf::from("path/x.json")).to_string(),
            "file path/x.json"
        );
        assert_eq!(Origin::EnvInline.to_string(), "env S3_SINK_CONFIG");
        assert_eq!(
            Origin::EnvKey("S3_SINK_FLUSH_SIZE".into()).to_string(),
            "env S3_SINK_FLUSH_SIZE"
        );
    }

    #[test]
    fn load_without_sources_is_empty() {
        let raw = load(None, &env(&[("PATH", "/bin")])).unwrap();
        assert!(raw.is_empty());
        // Set but empty S3_SINK_CONFIG is an empty document.
        let raw = load(None, &env(&[("S3_SINK_CONFIG", "")])).unwrap();
        assert!(raw.is_empty());
    }

    #[test]
    fn empty_config_file_var_is_an_error() {
        let err = load(None, &env(&[("S3_SINK_CONFIG_FILE", "")])).unwrap_err();
        assert!(matches!(err, SourceError::EmptyConfigFileVar));
    }

    #[test]
    fn missing_files_are_read_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.json");
        let err = load(Some(&missing), &[]).unwrap_err();
        assert!(matches!(&err, SourceError::Read { path, .. } if *path == missing));
        assert!(
            err.to_string()
                .starts_with(&format!("cannot read config file {}: ", missing.display()))
        );
        let missing_text = missing.to_string_lossy().into_owned();
        let vars = env(&[("S3_SINK_CONFIG_FILE", missing_text.as_str())]);
        assert!(matches!(load(None, &vars), Err(SourceError::Read { .. })));
    }

    #[test]
    fn load_reports_errors_with_origin() {
        let vars = env(&[("S3_SINK_CONFIG", "{\"flush.size\": null}")]);
        let err = load(None, &vars).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid value for key `flush.size` in env S3_SINK_CONFIG: null is not a value: use \"\" for an empty value or leave the key out"
        );
    }

    #[test]
    fn raw_config_api() {
        let mut raw = RawConfig::from_pairs([("b", "2"), ("a", "1")]);
        assert_eq!(raw.len(), 2);
        assert_eq!(raw.origin("a"), Some(&Origin::EnvInline));
        raw.insert("a", "3", Origin::EnvKey("S3_SINK_A".into()));
        assert_eq!(raw.get("a"), Some("3"));
        assert_eq!(
            raw.iter().collect::<Vec<_>>(),
            [
                ("a", "3", &Origin::EnvKey("S3_SINK_A".into())),
                ("b", "2", &Origin::EnvInline)
            ]
        );
        assert!(RawConfig::default().is_empty());
    }

    #[test]
    fn arbitrary_input_never_panics() {
        let samples = [
            CONNECTOR_JSON,
            CONNECTOR_PROPERTIES,
            "{\"a\": \"x\\\" /* y */\", // z\n \"é\": [1, \"한\",],}",
            "a=\\u00e9\\ud83d\\ude00\\\n  b\\\r\nc:d\\",
            "{\"a\":\"\\u00e9\u{1F600}\"/*\u{1F600}*/,}",
        ];
        for sample in samples {
            let mut ends: Vec<usize> = sample.char_indices().map(|(at, _)| at).collect();
            ends.push(sample.len());
            for &end in &ends {
                let prefix = &sample[..end];
                let _ = parse_document(prefix, &origin());
                let _ = parse_document(&sample[end..], &origin());
                let _ = parse_document(&format!("{{{prefix}"), &origin());
            }
        }
        let _ = parse_document(&"[".repeat(10_000), &origin());
        let _ = parse_document(&"{\"a\":".repeat(10_000), &origin());
    }
}

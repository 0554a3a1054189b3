//! Kafka Connect's `org.apache.kafka.connect.transforms.TimestampConverter$Key` / `$Value`:
//! converts a timestamp between a formatted string, Unix time, and Connect's `Date`, `Time` and
//! `Timestamp` logical types, in UTC as Connect does.
//!
//! `field` names the timestamp field (empty: the whole key or value is the timestamp);
//! `target.type` is `string`, `unix`, `Date`, `Time` or `Timestamp` (case matters, as in
//! Connect); `format` is a `java.text.SimpleDateFormat` pattern, required for `string` output
//! and used to parse string input; `unix.precision` (`milliseconds` by default, `seconds`,
//! `microseconds`, `nanoseconds`) applies to Unix input and output.
//!
//! The input type comes from the schema when there is one (`Timestamp` / `Date` / `Time`
//! logical names, else `string` or `int64` for Unix time) and from the JSON value otherwise (an
//! integer is Unix time, a string is parsed with `format`). Values are written in Connect's JSON
//! forms: `Timestamp` as epoch milliseconds, `Date` as days since the epoch, `Time` as
//! milliseconds since midnight, `unix` as an integer in `unix.precision`. Schemaless records get
//! the same forms (Connect's own JSON writer cannot write a schemaless `Date`). Null values stay
//! null; a schemaless record without the field gets it as null, as Connect's `HashMap.put`
//! does.
//!
//! Format letters supported: `y M L d H k K h m s S E a z Z X` and quoted literals (`'T'`,
//! `''`); names are English. Parsing is lenient like Java's default (out-of-range fields roll
//! over, trailing text is ignored, numbers may have fewer digits unless two numeric fields touch);
//! a two-digit `yy` year is placed in the 100 years starting 80 years ago, as Java does. Dates
//! use the proleptic Gregorian calendar (Java switches to the Julian calendar before 1582).

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use std::sync::Arc;

use serde_json::Value;

use super::{
    Options, Target, TransformRecord, entry_schema, field_entry, field_name, kind_of,
    logical_schema, primitive_schema, rebuild_schema, schema_name, schema_optional, schema_type,
    struct_fields,
};

/// TimestampConverter's options.
pub(crate) const OPTIONS: &[&str] = &[
    "field",
    "target.type",
    "format",
    "unix.precision",
    "replace.null.with.default",
];

const MS_PER_DAY: i64 = 86_400_000;
const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";
const DATE: &str = "org.apache.kafka.connect.data.Date";
const TIME: &str = "org.apache.kafka.connect.data.Time";

/// A timestamp representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Unix,
    Date,
    Time,
    Timestamp,
}

impl Kind {
    fn parse(text: &str) -> Option<Kind> {
        match text {
            "string" => Some(Kind::String),
            "unix" => Some(Kind::Unix),
            "Date" => Some(Kind::Date),
            "Time" => Some(Kind::Time),
            "Timestamp" => Some(Kind::Timestamp),
            _ => None,
        }
    }

    /// The Connect schema of this representation.
    fn schema(self, optional: bool) -> Value {
        match self {
            Kind::String => primitive_schema("string", optional),
            Kind::Unix => primitive_schema("int64", optional),
            Kind::Date => logical_schema("int32", optional, DATE),
            Kind::Time => logical_schema("int32", optional, TIME),
            Kind::Timestamp => logical_schema("int64", optional, TIMESTAMP),
        }
    }

    /// The representation a schema describes, as Connect's `timestampTypeFromSchema`.
    fn of_schema(schema: &Value) -> Result<Kind, String> {
        match (schema_name(schema), schema_type(schema)) {
            (Some(TIMESTAMP), _) => Ok(Kind::Timestamp),
            (Some(DATE), _) => Ok(Kind::Date),
            (Some(TIME), _) => Ok(Kind::Time),
            (_, Some("string")) => Ok(Kind::String),
            (_, Some("int64")) => Ok(Kind::Unix),
            _ => Err(format!(
                "schema {schema} does not correspond to a known timestamp type format (string, int64, or the Date, Time or Timestamp logical types)"
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precision {
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
}

/// A configured TimestampConverter.
#[derive(Debug, Clone)]
pub(crate) struct TimestampConverter {
    target: Target,
    field: String,
    to: Kind,
    format: Option<DateFormat>,
    precision: Precision,
}

impl TimestampConverter {
    /// Reads the options; problems go to `opts`.
    pub(crate) fn configure(target: Target, opts: &mut Options) -> Option<TimestampConverter> {
        let field = opts.get("field").unwrap_or_default().to_owned();
        let to = match opts.get("target.type").map(str::to_owned) {
            None => {
                opts.error(
                    "target.type",
                    "is required by TimestampConverter: string, unix, Date, Time or Timestamp",
                );
                None
            }
            Some(text) => {
                let kind = Kind::parse(&text);
                if kind.is_none() {
                    opts.error(
                        "target.type",
                        format!(
                            "{text:?} is not allowed; allowed: string, unix, Date, Time, Timestamp"
                        ),
                    );
                }
                kind
            }
        };
        let format = match opts.non_empty("format") {
            None => {
                if to == Some(Kind::String) {
                    opts.error(
                        "format",
                        "is required when target.type=string (a SimpleDateFormat pattern such as yyyy-MM-dd'T'HH:mm:ss.SSSX)",
                    );
                }
                None
            }
            Some(pattern) => match DateFormat::compile(&pattern) {
                Ok(f) => Some(f),
                Err(e) => {
                    opts.error(
                        "format",
                        format!("{pattern:?} is not a usable SimpleDateFormat pattern: {e}"),
                    );
                    None
                }
            },
        };
        let precision = match opts.choice(
            "unix.precision",
            &["seconds", "milliseconds", "microseconds", "nanoseconds"],
            "milliseconds",
            false,
        ) {
            "seconds" => Precision::Seconds,
            "microseconds" => Precision::Microseconds,
            "nanoseconds" => Precision::Nanoseconds,
            _ => Precision::Milliseconds,
        };
        opts.replace_null_with_default();
        let to = to?;
        if to == Kind::String && format.is_none() {
            return None;
        }
        Some(TimestampConverter {
            target,
            field,
            to,
            format,
            precision,
        })
    }

    /// Converts the configured field (or the whole key or value).
    pub(crate) fn apply(&self, mut record: TransformRecord) -> Result<TransformRecord, String> {
        let Some(conv) = self.target.slot(&mut record).as_mut() else {
            return Ok(record);
        };
        match &conv.schema {
            None => {
                if self.field.is_empty() {
                    conv.data = self.convert(&conv.data, None)?;
                } else {
                    let Value::Object(map) = &mut conv.data else {
                        return Err(format!(
                            "TimestampConverter with field {:?} needs a JSON object (map), found {}",
                            self.field,
                            kind_of(&conv.data)
                        ));
                    };
                    let old = map.get(&self.field).cloned().unwrap_or(Value::Null);
                    let new = self.convert(&old, None)?;
                    map.insert(self.field.clone(), new);
                }
            }
            Some(schema) => {
                if self.field.is_empty() {
                    let from = Kind::of_schema(schema)?;
                    conv.data = self.convert(&conv.data, Some(from))?;
                    conv.schema = Some(Arc::new(self.to.schema(schema_optional(schema))));
                } else {
                    let new_schema = self.struct_schema(schema)?;
                    conv.data = self.convert_struct(&conv.data, schema)?;
                    conv.schema = Some(Arc::new(new_schema));
                }
            }
        }
        Ok(record)
    }

    /// The struct schema with the field's schema replaced by the target type's, optionality and
    /// the struct's default kept.
    fn struct_schema(&self, schema: &Value) -> Result<Value, String> {
        if schema_type(schema) != Some("struct") {
            return Err(format!(
                "TimestampConverter with field {:?} needs a struct schema, found type {}",
                self.field,
                schema_type(schema).unwrap_or("(none)")
            ));
        }
        let entries: Vec<Value> = struct_fields(schema)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|entry| match field_name(entry) {
                Some(name) if name == self.field => {
                    field_entry(self.to.schema(schema_optional(entry)), name)
                }
                _ => entry.clone(),
            })
            .collect();
        let mut out = rebuild_schema(schema, Some(entries), schema_optional(schema), false);
        if let (Some(default), Value::Object(map)) = (schema.get("default"), &mut out) {
            let converted = self.convert_struct(default, schema)?;
            map.insert("default".to_owned(), converted);
        }
        Ok(out)
    }

    /// A struct value with the field converted according to its schema.
    fn convert_struct(&self, data: &Value, schema: &Value) -> Result<Value, String> {
        if data.is_null() {
            return Ok(Value::Null);
        }
        let Value::Object(map) = data else {
            return Err(format!(
                "TimestampConverter with field {:?} needs a struct, found {}",
                self.field,
                kind_of(data)
            ));
        };
        let mut out = map.clone();
        if let Some(entry) = struct_fields(schema).and_then(|f| {
            f.iter()
                .find(|e| field_name(e) == Some(self.field.as_str()))
        }) {
            let from = Kind::of_schema(&entry_schema(entry))?;
            let old = map.get(&self.field).cloned().unwrap_or(Value::Null);
            out.insert(self.field.clone(), self.convert(&old, Some(from))?);
        }
        Ok(Value::Object(out))
    }

    /// Converts one timestamp; `from` is `None` when it must be inferred from the JSON value.
    fn convert(&self, value: &Value, from: Option<Kind>) -> Result<Value, String> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let from = match from {
            Some(k) => k,
            None => match value {
                Value::String(_) => Kind::String,
                Value::Number(_) => Kind::Unix,
                other => {
                    return Err(format!(
                        "TimestampConverter does not support {} as a timestamp (expected an integer Unix time or a string)",
                        kind_of(other)
                    ));
                }
            },
        };
        let millis = self.to_millis(value, from)?;
        self.render(millis)
    }

    fn to_millis(&self, value: &Value, from: Kind) -> Result<i64, String> {
        if from == Kind::String {
            let Value::String(text) = value else {
                return Err(format!("expected a string timestamp, found {value}"));
            };
            let Some(format) = &self.format else {
                return Err(format!(
                    "cannot parse string timestamp {text:?}: format is not set"
                ));
            };
            return format.parse(text).map_err(|e| {
                format!(
                    "could not parse timestamp: value ({text}) does not match pattern ({}): {e}",
                    format.pattern
                )
            });
        }
        let Some(n) = value.as_i64() else {
            let what = match from {
                Kind::Unix => "Unix timestamp",
                Kind::Date => "Date (days since the epoch)",
                Kind::Time => "Time (milliseconds since midnight)",
                _ => "Timestamp (epoch milliseconds)",
            };
            return Err(format!("expected an integer {what}, found {value}"));
        };
        Ok(match from {
            Kind::Unix => match self.precision {
                Precision::Seconds => n.saturating_mul(1000),
                Precision::Milliseconds => n,
                Precision::Microseconds => n / 1000,
                Precision::Nanoseconds => n / 1_000_000,
            },
            Kind::Date => n.saturating_mul(MS_PER_DAY),
            _ => n,
        })
    }

    fn render(&self, millis: i64) -> Result<Value, String> {
        Ok(match self.to {
            Kind::String => match &self.format {
                Some(f) => Value::String(f.format(millis)?),
                None => return Err("format is not set".to_owned()),
            },
            Kind::Unix => Value::from(match self.precision {
                Precision::Seconds => millis / 1000,
                Precision::Milliseconds => millis,
                Precision::Microseconds => millis.saturating_mul(1000),
                Precision::Nanoseconds => millis.saturating_mul(1_000_000),
            }),
            Kind::Date => Value::from(millis.div_euclid(MS_PER_DAY)),
            Kind::Time => Value::from(millis.rem_euclid(MS_PER_DAY)),
            Kind::Timestamp => Value::from(millis),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// java.text.SimpleDateFormat, the subset above, always in UTC.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Field(char, usize),
}

/// A compiled SimpleDateFormat pattern.
#[derive(Debug, Clone)]
pub(crate) struct DateFormat {
    pattern: String,
    pieces: Vec<Piece>,
}

const SUPPORTED_LETTERS: &str = "yMLdHkKhmsSEazZX";
// English names, the same tables the Joda formatter uses (Java's default locale is assumed
// to be English here, as on a typical Connect worker).
use crate::partitioner::joda::{EN_DAYS as DAYS, EN_MONTHS as MONTHS};

fn is_numeric(c: char, count: usize) -> bool {
    matches!(c, 'y' | 'd' | 'H' | 'k' | 'K' | 'h' | 'm' | 's' | 'S')
        || (matches!(c, 'M' | 'L') && count <= 2)
}

fn short(name: &str) -> &str {
    name.get(..3).unwrap_or(name)
}

/// Field values read by `parse`.
#[derive(Debug, Default)]
struct Parsed {
    year: Option<i64>,
    month: Option<i64>,
    day: Option<i64>,
    hour_of_day: Option<i64>,
    hour12: Option<i64>,
    pm: Option<bool>,
    minute: i64,
    second: i64,
    millis: i64,
    offset_minutes: i64,
}

impl DateFormat {
    /// Compiles a pattern; unknown letters and unterminated quotes are errors.
    pub(crate) fn compile(pattern: &str) -> Result<DateFormat, String> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    literal.push('\'');
                    continue;
                }
                let mut closed = false;
                while let Some(q) = chars.next() {
                    if q == '\'' {
                        if chars.peek() == Some(&'\'') {
                            chars.next();
                            literal.push('\'');
                        } else {
                            closed = true;
                            break;
                        }
                    } else {
                        literal.push(q);
                    }
                }
                if !closed {
                    return Err("unterminated quote".to_owned());
                }
            } else if c.is_ascii_alphabetic() {
                let mut count = 1;
                while chars.peek() == Some(&c) {
                    chars.next();
                    count += 1;
                }
                if !SUPPORTED_LETTERS.contains(c) {
                    return Err(format!(
                        "pattern letter '{c}' is not supported here (supported: {})",
                        SUPPORTED_LETTERS
                            .chars()
                            .map(String::from)
                            .collect::<Vec<_>>()
                            .join(" ")
                    ));
                }
                if c == 'X' && count > 3 {
                    return Err(format!("invalid ISO 8601 format: length={count}"));
                }
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Field(c, count));
            } else {
                literal.push(c);
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Ok(DateFormat {
            pattern: pattern.to_owned(),
            pieces,
        })
    }

    /// Formats epoch milliseconds in UTC.
    pub(crate) fn format(&self, millis: i64) -> Result<String, String> {
        let t: DateTime<Utc> = DateTime::from_timestamp_millis(millis)
            .ok_or_else(|| format!("{millis} ms is out of the supported date range"))?;
        let pad = |v: i64, n: usize| format!("{v:0n$}");
        let mut out = String::new();
        for piece in &self.pieces {
            let (c, n) = match piece {
                Piece::Literal(s) => {
                    out.push_str(s);
                    continue;
                }
                Piece::Field(c, n) => (*c, *n),
            };
            let hour = i64::from(t.hour());
            let text = match c {
                'y' if n == 2 => pad(i64::from(t.year()).rem_euclid(100), 2),
                'y' => pad(i64::from(t.year()), n),
                'M' | 'L' => {
                    let m = t.month0() as usize;
                    let name = MONTHS.get(m).copied().unwrap_or_default();
                    match n {
                        1 | 2 => pad(i64::from(t.month()), n),
                        3 => short(name).to_owned(),
                        _ => name.to_owned(),
                    }
                }
                'd' => pad(i64::from(t.day()), n),
                'H' => pad(hour, n),
                'k' => pad(if hour == 0 { 24 } else { hour }, n),
                'K' => pad(hour % 12, n),
                'h' => pad(if hour % 12 == 0 { 12 } else { hour % 12 }, n),
                'm' => pad(i64::from(t.minute()), n),
                's' => pad(i64::from(t.second()), n),
                'S' => pad(i64::from(t.timestamp_subsec_millis()), n),
                'E' => {
                    let d = t.weekday().num_days_from_monday() as usize;
                    let name = DAYS.get(d).copied().unwrap_or_default();
                    if n >= 4 {
                        name.to_owned()
                    } else {
                        short(name).to_owned()
                    }
                }
                'a' => if hour < 12 { "AM" } else { "PM" }.to_owned(),
                'z' => if n >= 4 {
                    "Coordinated Universal Time"
                } else {
                    "UTC"
                }
                .to_owned(),
                'Z' => "+0000".to_owned(),
                'X' => "Z".to_owned(),
                other => return Err(format!("pattern letter '{other}' is not supported")),
            };
            out.push_str(&text);
        }
        Ok(out)
    }

    /// Parses text to epoch milliseconds (UTC unless the text has an offset).
    pub(crate) fn parse(&self, text: &str) -> Result<i64, String> {
        let chars: Vec<char> = text.chars().collect();
        let mut pos = 0usize;
        let mut p = Parsed::default();
        for (i, piece) in self.pieces.iter().enumerate() {
            let (c, n) = match piece {
                Piece::Literal(lit) => {
                    for want in lit.chars() {
                        if chars.get(pos) != Some(&want) {
                            return Err(format!("expected {want:?} at position {pos}"));
                        }
                        pos += 1;
                    }
                    continue;
                }
                Piece::Field(c, n) => (*c, *n),
            };
            // Java skips blanks before every field.
            while matches!(chars.get(pos), Some(' ' | '\t')) {
                pos += 1;
            }
            if is_numeric(c, n) {
                let abutting = matches!(self.pieces.get(i + 1), Some(Piece::Field(c2, n2)) if is_numeric(*c2, *n2));
                let start = pos;
                while chars.get(pos).is_some_and(char::is_ascii_digit)
                    && (!abutting || pos - start < n)
                {
                    pos += 1;
                }
                let digits: String = chars.get(start..pos).unwrap_or_default().iter().collect();
                if digits.is_empty() || (abutting && digits.len() < n) {
                    return Err(format!("expected a number for '{c}' at position {start}"));
                }
                let v: i64 = digits
                    .parse()
                    .map_err(|_| format!("number {digits} is too large"))?;
                match c {
                    'y' => {
                        p.year = Some(if n <= 2 && digits.len() == 2 {
                            two_digit_year(v)
                        } else {
                            v
                        })
                    }
                    'M' | 'L' => p.month = Some(v),
                    'd' => p.day = Some(v),
                    'H' => p.hour_of_day = Some(v),
                    'k' => p.hour_of_day = Some(if v == 24 { 0 } else { v }),
                    'K' => p.hour12 = Some(v),
                    'h' => p.hour12 = Some(if v == 12 { 0 } else { v }),
                    'm' => p.minute = v,
                    's' => p.second = v,
                    _ => p.millis = v,
                }
                continue;
            }
            match c {
                'M' | 'L' => {
                    let (m, len) = match_name(&chars, pos, &MONTHS)
                        .ok_or_else(|| format!("expected a month name at position {pos}"))?;
                    p.month = Some(m as i64 + 1);
                    pos += len;
                }
                'E' => {
                    let (_, len) = match_name(&chars, pos, &DAYS)
                        .ok_or_else(|| format!("expected a day name at position {pos}"))?;
                    pos += len;
                }
                'a' => {
                    let (i, len) = match_name(&chars, pos, &["AM", "PM"])
                        .ok_or_else(|| format!("expected AM or PM at position {pos}"))?;
                    p.pm = Some(i == 1);
                    pos += len;
                }
                _ => {
                    let (minutes, len) = parse_zone(&chars, pos)
                        .ok_or_else(|| format!("expected a time zone offset at position {pos}"))?;
                    p.offset_minutes = minutes;
                    pos += len;
                }
            }
        }
        p.to_millis()
    }
}

/// Java's two-digit-year rule: the year within [now - 80 years, now + 20 years).
fn two_digit_year(v: i64) -> i64 {
    let start = i64::from(Utc::now().year()) - 80;
    let ambiguous = start.rem_euclid(100);
    v + (start / 100) * 100 + if v < ambiguous { 100 } else { 0 }
}

/// Matches one of `names` (full first, then three-letter short forms) ignoring case; returns
/// its index and the length matched.
fn match_name(chars: &[char], pos: usize, names: &[&str]) -> Option<(usize, usize)> {
    let rest: String = chars.get(pos..).unwrap_or_default().iter().collect();
    let rest = rest.to_lowercase();
    for (i, name) in names.iter().enumerate() {
        if rest.starts_with(&name.to_lowercase()) {
            return Some((i, name.chars().count()));
        }
    }
    for (i, name) in names.iter().enumerate() {
        let s = short(name);
        if s.len() < name.len() && rest.starts_with(&s.to_lowercase()) {
            return Some((i, s.chars().count()));
        }
    }
    None
}

/// A zone: `Z`, `UTC`, `GMT`, or an offset `±hh`, `±hhmm`, `±hh:mm` (also after `GMT`/`UTC`);
/// returns the offset in minutes and the length matched.
fn parse_zone(chars: &[char], pos: usize) -> Option<(i64, usize)> {
    let at = |i: usize| chars.get(pos + i).copied();
    let mut len = 0;
    if at(0) == Some('Z') {
        return Some((0, 1));
    }
    let word: String = [at(0), at(1), at(2)].iter().flatten().collect();
    if word == "UTC" || word == "GMT" {
        len = 3;
        if !matches!(at(3), Some('+' | '-')) {
            return Some((0, 3));
        }
    }
    let sign = match at(len) {
        Some('+') => 1,
        Some('-') => -1,
        _ => return None,
    };
    len += 1;
    let digit = |i: usize| at(i).and_then(|c| c.to_digit(10)).map(i64::from);
    let (h1, h2) = (digit(len)?, digit(len + 1)?);
    let hours = h1 * 10 + h2;
    len += 2;
    let colon = at(len) == Some(':');
    let m_at = if colon { len + 1 } else { len };
    let minutes = match (digit(m_at), digit(m_at + 1)) {
        (Some(a), Some(b)) => {
            len = m_at + 2;
            a * 10 + b
        }
        _ => 0,
    };
    Some((sign * (hours * 60 + minutes), len))
}

impl Parsed {
    /// Combines the fields leniently (out-of-range values roll over), as a lenient Java
    /// `Calendar` does, defaulting to 1970-01-01T00:00:00.000.
    fn to_millis(&self) -> Result<i64, String> {
        let year = self.year.unwrap_or(1970);
        let month = self.month.unwrap_or(1);
        let day = self.day.unwrap_or(1);
        let hour = match (self.hour_of_day, self.hour12) {
            (Some(h), _) => h,
            (None, Some(h)) => h
                .checked_add(if self.pm == Some(true) { 12 } else { 0 })
                .ok_or("hour is out of range")?,
            (None, None) => {
                if self.pm == Some(true) {
                    12
                } else {
                    0
                }
            }
        };
        let total_months = year
            .checked_mul(12)
            .and_then(|m| m.checked_add(month - 1))
            .ok_or("date is out of range")?;
        let y = i32::try_from(total_months.div_euclid(12)).map_err(|_| "year is out of range")?;
        let m = u32::try_from(total_months.rem_euclid(12) + 1).map_err(|_| "bad month")?;
        let first = NaiveDate::from_ymd_opt(y, m, 1).ok_or("date is out of range")?;
        let epoch_days = i64::from(first.num_days_from_ce()) - 719_163;
        let days = epoch_days
            .checked_add(day)
            .and_then(|d| d.checked_sub(1))
            .ok_or("day is out of range")?;
        let parts = [
            (days, MS_PER_DAY),
            (hour, 3_600_000),
            (self.minute, 60_000),
            (self.second, 1000),
            (self.millis, 1),
            (-self.offset_minutes, 60_000),
        ];
        let mut total: i64 = 0;
        for (v, unit) in parts {
            total = v
                .checked_mul(unit)
                .and_then(|x| total.checked_add(x))
                .ok_or("timestamp is out of range")?;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use serde_json::json;

    fn tc(opts: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut pairs = vec![
            ("transforms", "ts"),
            (
                "transforms.ts.type",
                "org.apache.kafka.connect.transforms.TimestampConverter$Value",
            ),
        ];
        pairs.extend_from_slice(opts);
        pairs
    }

    fn fmt(p: &str) -> DateFormat {
        DateFormat::compile(p).unwrap()
    }

    // 2024-02-29T13:05:09.007Z, a Thursday.
    const T: i64 = 1_709_211_909_007;

    #[test]
    fn formats_common_patterns() {
        assert_eq!(
            fmt("yyyy-MM-dd'T'HH:mm:ss.SSSX").format(T).unwrap(),
            "2024-02-29T13:05:09.007Z"
        );
        assert_eq!(fmt("yyyyMMdd").format(T).unwrap(), "20240229");
        assert_eq!(fmt("yy/M/d h:m:s a").format(T).unwrap(), "24/2/29 1:5:9 PM");
        assert_eq!(
            fmt("EEE, d MMM yyyy HH:mm:ss Z").format(T).unwrap(),
            "Thu, 29 Feb 2024 13:05:09 +0000"
        );
        assert_eq!(
            fmt("EEEE MMMM z k K S").format(T).unwrap(),
            "Thursday February UTC 13 1 7"
        );
        assert_eq!(fmt("'o''clock' ''").format(T).unwrap(), "o'clock '");
        assert_eq!(fmt("yyyy-MM-dd").format(-1).unwrap(), "1969-12-31");
    }

    #[test]
    fn parses_common_patterns() {
        assert_eq!(
            fmt("yyyy-MM-dd'T'HH:mm:ss.SSSX")
                .parse("2024-02-29T13:05:09.007Z")
                .unwrap(),
            T
        );
        assert_eq!(
            fmt("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
                .parse("2024-02-29T22:05:09.007+09:00")
                .unwrap(),
            T
        );
        assert_eq!(
            fmt("yyyy-MM-dd HH:mm:ss.SSS Z")
                .parse("2024-02-29 08:05:09.007 -0500")
                .unwrap(),
            T
        );
        assert_eq!(
            fmt("yyyyMMddHHmmssSSS").parse("20240229130509007").unwrap(),
            T
        );
        assert_eq!(
            fmt("EEE, d MMM yyyy h:mm:ss.SSS a")
                .parse("thu, 29 february 2024 1:05:09.007 pm")
                .unwrap(),
            T
        );
        // Lenient: fewer digits, trailing text ignored, rollover.
        assert_eq!(
            fmt("yyyy-MM-dd").parse("2024-2-29 and more").unwrap(),
            T - T.rem_euclid(MS_PER_DAY)
        );
        assert_eq!(
            fmt("yyyy-MM-dd").parse("2024-13-01").unwrap(),
            fmt("yyyy-MM-dd").parse("2025-01-01").unwrap()
        );
        assert_eq!(fmt("HH:mm").parse("01:30").unwrap(), 5_400_000);
        assert!(fmt("yyyy-MM-dd").parse("2024/02/29").is_err());
        assert!(fmt("yyyyMMdd").parse("202402").is_err());
        assert!(
            fmt("d h a")
                .parse("9223372036854775807 9223372036854775807 PM")
                .is_err()
        );
        assert!(fmt("yyyy").parse("99999999999999999999").is_err());
        let y = fmt("yy").parse("05").unwrap();
        let year = DateTime::from_timestamp_millis(y).unwrap().year();
        assert_eq!(year % 100, 5);
    }

    #[test]
    fn never_panics() {
        let patterns = [
            "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
            "yyMMddHHmmssSSS",
            "EEE MMM d h:mm a z",
            "Z X k K",
        ];
        let inputs = [
            "2024-02-29T22:05:09.007+09:00",
            "240229130509007",
            "Thu Feb 29 1:05 PM UTC",
            "+0530 Z 24 11",
            "-",
            "GMT+",
            "99999999999999999999",
        ];
        for p in patterns {
            let f = fmt(p);
            for input in inputs {
                for end in 0..=input.len() {
                    let _ = f.parse(&input[..end]);
                }
            }
            for ms in [
                i64::MIN,
                i64::MAX,
                0,
                -1,
                253_402_300_799_999,
                -62_135_596_800_000,
            ] {
                let _ = f.format(ms);
            }
        }
    }

    #[test]
    fn bad_patterns() {
        assert!(
            DateFormat::compile("yyyy-MM-dd'T")
                .unwrap_err()
                .contains("unterminated")
        );
        assert!(
            DateFormat::compile("YYYY-ww")
                .unwrap_err()
                .starts_with("pattern letter 'Y' is not supported")
        );
        assert!(
            DateFormat::compile("XXXX")
                .unwrap_err()
                .contains("length=4")
        );
    }

    #[test]
    fn schemaless_field_string_to_timestamp_and_back() {
        let c = chain(&tc(&[
            ("transforms.ts.field", "at"),
            ("transforms.ts.target.type", "Timestamp"),
            ("transforms.ts.format", "yyyy-MM-dd'T'HH:mm:ss.SSSX"),
        ]));
        let out = c
            .apply(record(Some(
                json!({"at": "2024-02-29T13:05:09.007Z", "x": 1}),
            )))
            .unwrap()
            .unwrap();
        assert_eq!(out.value.unwrap().data, json!({"at": T, "x": 1}));
        // Missing field: put as null, as Connect does.
        let out = c.apply(record(Some(json!({"x": 1})))).unwrap().unwrap();
        assert_eq!(out.value.unwrap().data, json!({"x": 1, "at": null}));
        let c = chain(&tc(&[
            ("transforms.ts.field", "at"),
            ("transforms.ts.target.type", "string"),
            ("transforms.ts.format", "yyyy-MM-dd"),
        ]));
        let out = c.apply(record(Some(json!({"at": T})))).unwrap().unwrap();
        assert_eq!(out.value.unwrap().data, json!({"at": "2024-02-29"}));
    }

    #[test]
    fn unix_precisions() {
        for (precision, input, output) in [
            ("seconds", json!(1_709_211_909), json!(1_709_211_909_000i64)),
            ("microseconds", json!(1_709_211_909_007_123i64), json!(T)),
            ("nanoseconds", json!(1_709_211_909_007_123_456i64), json!(T)),
        ] {
            let c = chain(&tc(&[
                ("transforms.ts.target.type", "Timestamp"),
                ("transforms.ts.unix.precision", precision),
            ]));
            let out = c.apply(record(Some(input))).unwrap().unwrap();
            assert_eq!(out.value.unwrap().data, output, "{precision}");
        }
        let c = chain(&tc(&[
            ("transforms.ts.field", "t"),
            ("transforms.ts.target.type", "unix"),
            ("transforms.ts.unix.precision", "seconds"),
            ("transforms.ts.format", "yyyy-MM-dd HH:mm:ss"),
        ]));
        let out = c
            .apply(record(Some(json!({"t": "2024-02-29 13:05:09"}))))
            .unwrap()
            .unwrap();
        assert_eq!(out.value.unwrap().data, json!({"t": 1_709_211_909}));
    }

    #[test]
    fn with_schema_date_time_timestamp() {
        let schema = json!({"type":"struct","fields":[
            {"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"at"},
            {"type":"string","optional":false,"field":"s"}],"optional":false,"name":"v"});
        for (target, data, field_schema) in [
            (
                "Date",
                json!(19782),
                r#"{"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Date","version":1,"field":"at"}"#,
            ),
            (
                "Time",
                json!(47_109_007),
                r#"{"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Time","version":1,"field":"at"}"#,
            ),
            (
                "unix",
                json!(T),
                r#"{"type":"int64","optional":true,"field":"at"}"#,
            ),
        ] {
            let c = chain(&tc(&[
                ("transforms.ts.field", "at"),
                ("transforms.ts.target.type", target),
            ]));
            let out = c
                .apply(record_with_schema(
                    json!({"at": T, "s": "x"}),
                    schema.clone(),
                ))
                .unwrap()
                .unwrap();
            let v = out.value.unwrap();
            assert_eq!(v.data, json!({"at": data, "s": "x"}), "{target}");
            let s = v.schema.unwrap();
            assert_eq!(s["fields"][0].to_string(), field_schema, "{target}");
            assert_eq!(s["name"], "v");
        }
        // A Date field (days) read back to a string.
        let schema = json!({"type":"struct","fields":[{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1,"field":"d"}],"optional":false});
        let c = chain(&tc(&[
            ("transforms.ts.field", "d"),
            ("transforms.ts.target.type", "string"),
            ("transforms.ts.format", "yyyy-MM-dd"),
        ]));
        let out = c
            .apply(record_with_schema(json!({"d": 19782}), schema))
            .unwrap()
            .unwrap();
        assert_eq!(out.value.unwrap().data, json!({"d": "2024-02-29"}));
    }

    #[test]
    fn whole_value_with_schema() {
        let c = chain(&tc(&[
            ("transforms.ts.target.type", "Timestamp"),
            ("transforms.ts.format", "yyyy"),
        ]));
        let r = record_with_schema(json!("2024"), json!({"type":"string","optional":false}));
        let v = c.apply(r).unwrap().unwrap().value.unwrap();
        assert_eq!(v.data, json!(1_704_067_200_000i64));
        assert_eq!(
            v.schema.unwrap().to_string(),
            r#"{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1}"#
        );
    }

    #[test]
    fn nulls_and_tombstones_pass() {
        let c = chain(&tc(&[
            ("transforms.ts.field", "at"),
            ("transforms.ts.target.type", "unix"),
        ]));
        assert_eq!(c.apply(record(None)).unwrap(), Some(record(None)));
        let out = c.apply(record(Some(json!({"at": null})))).unwrap().unwrap();
        assert_eq!(out.value.unwrap().data, json!({"at": null}));
    }

    #[test]
    fn bad_records_are_errors() {
        let c = chain(&tc(&[
            ("transforms.ts.field", "at"),
            ("transforms.ts.target.type", "unix"),
            ("transforms.ts.format", "yyyy-MM-dd"),
        ]));
        let err = c
            .apply(record(Some(json!({"at": "29.02.2024"}))))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("transform ts (TimestampConverter$Value): could not parse timestamp: value (29.02.2024) does not match pattern (yyyy-MM-dd)"), "{err}");
        let err = c
            .apply(record(Some(json!({"at": true}))))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("does not support a boolean as a timestamp"),
            "{err}"
        );
        let err = c
            .apply(record(Some(json!({"at": 1.5}))))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("expected an integer Unix timestamp, found 1.5"),
            "{err}"
        );
        let err = c.apply(record(Some(json!([1])))).unwrap_err().to_string();
        assert!(
            err.contains("needs a JSON object (map), found an array"),
            "{err}"
        );
        let r = record_with_schema(
            json!({"at": true}),
            json!({"type":"struct","fields":[{"type":"boolean","optional":false,"field":"at"}],"optional":false}),
        );
        let err = c.apply(r).unwrap_err().to_string();
        assert!(
            err.contains("does not correspond to a known timestamp type format"),
            "{err}"
        );
        let c = chain(&tc(&[
            ("transforms.ts.field", "at"),
            ("transforms.ts.target.type", "Date"),
        ]));
        let err = c
            .apply(record(Some(json!({"at": "2024"}))))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cannot parse string timestamp \"2024\": format is not set"),
            "{err}"
        );
    }

    #[test]
    fn config_errors_name_the_key() {
        let e = errors(&tc(&[]));
        assert_eq!(
            e,
            [
                "transforms.ts.target.type: is required by TimestampConverter: string, unix, Date, Time or Timestamp"
            ]
        );
        let e = errors(&tc(&[("transforms.ts.target.type", "date")]));
        assert_eq!(
            e,
            [
                "transforms.ts.target.type: \"date\" is not allowed; allowed: string, unix, Date, Time, Timestamp"
            ]
        );
        let e = errors(&tc(&[("transforms.ts.target.type", "string")]));
        assert!(
            e[0].starts_with("transforms.ts.format: is required when target.type=string"),
            "{e:?}"
        );
        let e = errors(&tc(&[
            ("transforms.ts.target.type", "string"),
            ("transforms.ts.format", "yyyy-ww"),
            ("transforms.ts.unix.precision", "minutes"),
        ]));
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].starts_with("transforms.ts.format: \"yyyy-ww\" is not a usable SimpleDateFormat pattern: pattern letter 'w'"), "{e:?}");
        assert_eq!(
            e[1],
            "transforms.ts.unix.precision: \"minutes\" is not allowed; allowed: seconds, milliseconds, microseconds, nanoseconds"
        );
    }
}

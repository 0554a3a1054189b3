//! Joda-Time compatible date-time patterns.
//!
//! The Confluent S3 sink names objects with Joda-Time's
//! `DateTimeFormat.forPattern(path.format)` and parses string timestamps with
//! `ISODateTimeFormat.dateTimeParser()`. This module reproduces both,
//! following the Joda-Time 2.x sources (`DateTimeFormat.parsePatternTo`,
//! `DateTimeFormatterBuilder`, `DateTimeParserBucket`), so that our S3 keys
//! match the connector's byte for byte.
//!
//! Positions in error messages count Unicode scalar values (chars) from 0;
//! Joda counts UTF-16 units, which differs only for characters outside the BMP.

mod locale;
mod zone;

use std::sync::OnceLock;

use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeDelta, TimeZone, Timelike, Utc, Weekday,
};

pub use locale::Locale;
pub use zone::{Zone, ZoneError, ZoneOffset};

/// Errors from compiling patterns, parsing locales and parsing date-times.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum JodaError {
    /// The pattern is empty (Joda: "Invalid pattern specification").
    #[error("invalid pattern: the pattern is empty")]
    EmptyPattern,
    /// An ASCII letter that Joda does not define as a pattern letter.
    #[error("illegal pattern letter {letter:?} at position {position} in {pattern:?}")]
    IllegalPatternLetter {
        letter: char,
        position: usize,
        pattern: String,
    },
    /// A quote opened and never closed.
    #[error("unterminated quote starting at position {position} in {pattern:?}")]
    UnterminatedQuote { position: usize, pattern: String },
    /// A `locale` value that names no language with CLDR data, or is not a locale id.
    #[error(
        "unknown locale {locale:?}: {reason}; use a Java locale id such as de, ko, ja, en_GB or fr-FR"
    )]
    UnknownLocale { locale: String, reason: String },
    /// The pattern has a field that [`JodaPattern::parse`] does not implement.
    #[error(
        "pattern {pattern:?} cannot be used for parsing: {field} at position {position} is unsupported in the parser"
    )]
    UnsupportedInParser {
        pattern: String,
        field: String,
        position: usize,
    },
    /// The input does not match the pattern, or a field value is out of range.
    #[error("cannot parse {input:?} with pattern {pattern:?}: {reason} at position {position}")]
    Parse {
        input: String,
        pattern: String,
        position: usize,
        reason: String,
    },
    /// The input is not an ISO-8601 date-time that Joda's `dateTimeParser()` accepts.
    #[error("cannot parse {input:?} as an ISO-8601 date-time: {reason} at position {position}")]
    Iso8601 {
        input: String,
        position: usize,
        reason: String,
    },
}

/// English month names, January first.
pub(crate) const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
/// English day names, Monday first.
pub(crate) const EN_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A date-time field, named as Joda names it (the names appear in error messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    CenturyOfEra,
    YearOfEra,
    Year,
    Weekyear,
    WeekOfWeekyear,
    MonthOfYear,
    DayOfYear,
    DayOfMonth,
    DayOfWeek,
    HalfdayOfDay,
    HourOfDay,
    ClockhourOfDay,
    HourOfHalfday,
    ClockhourOfHalfday,
    MinuteOfHour,
    SecondOfMinute,
    /// Parsed fraction of a second ('S'), in millis.
    MillisOfSecond,
    /// Parsed fraction of a minute (ISO "10:20.5"), in millis.
    MillisOfMinute,
    /// Parsed fraction of an hour (ISO "10.5"), in millis.
    MillisOfHour,
}

// Duration ranks for Joda's field ordering when a parse is resolved; a larger
// rank is a longer unit. Years and weekyears share a rank as their unit
// lengths are equal in Joda, and eras are "unsupported" so rank as absent.
const MILLIS: u8 = 0;
const SECONDS: u8 = 1;
const MINUTES: u8 = 2;
const HOURS: u8 = 3;
const HALFDAYS: u8 = 4;
const DAYS: u8 = 5;
const WEEKS: u8 = 6;
const MONTHS: u8 = 7;
const YEARS: u8 = 8;
const CENTURIES: u8 = 9;
const NO_RANGE: u8 = u8::MAX;

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::CenturyOfEra => "centuryOfEra",
            Field::YearOfEra => "yearOfEra",
            Field::Year => "year",
            Field::Weekyear => "weekyear",
            Field::WeekOfWeekyear => "weekOfWeekyear",
            Field::MonthOfYear => "monthOfYear",
            Field::DayOfYear => "dayOfYear",
            Field::DayOfMonth => "dayOfMonth",
            Field::DayOfWeek => "dayOfWeek",
            Field::HalfdayOfDay => "halfdayOfDay",
            Field::HourOfDay => "hourOfDay",
            Field::ClockhourOfDay => "clockhourOfDay",
            Field::HourOfHalfday => "hourOfHalfday",
            Field::ClockhourOfHalfday => "clockhourOfHalfday",
            Field::MinuteOfHour => "minuteOfHour",
            Field::SecondOfMinute => "secondOfMinute",
            Field::MillisOfSecond => "millisOfSecond",
            Field::MillisOfMinute => "millisOfMinute",
            Field::MillisOfHour => "millisOfHour",
        }
    }

    /// (range duration, duration) as in Joda's ISO chronology.
    fn ranks(self) -> (u8, u8) {
        match self {
            Field::CenturyOfEra => (NO_RANGE, CENTURIES),
            Field::YearOfEra | Field::Year | Field::Weekyear => (NO_RANGE, YEARS),
            Field::WeekOfWeekyear => (YEARS, WEEKS),
            Field::MonthOfYear => (YEARS, MONTHS),
            Field::DayOfYear => (YEARS, DAYS),
            Field::DayOfMonth => (MONTHS, DAYS),
            Field::DayOfWeek => (WEEKS, DAYS),
            Field::HalfdayOfDay => (DAYS, HALFDAYS),
            Field::HourOfDay | Field::ClockhourOfDay => (DAYS, HOURS),
            Field::HourOfHalfday | Field::ClockhourOfHalfday => (HALFDAYS, HOURS),
            Field::MinuteOfHour => (HOURS, MINUTES),
            Field::SecondOfMinute => (MINUTES, SECONDS),
            Field::MillisOfSecond => (SECONDS, MILLIS),
            Field::MillisOfMinute => (MINUTES, MILLIS),
            Field::MillisOfHour => (HOURS, MILLIS),
        }
    }

    /// The field's value at a local date-time (Joda ISO chronology semantics).
    fn get(self, t: &NaiveDateTime) -> i64 {
        let year = i64::from(t.year());
        let hour = i64::from(t.hour());
        let millis = i64::from(t.nanosecond() % 1_000_000_000 / 1_000_000);
        match self {
            // Joda divides the ISO year-of-era (|year|, year 0 stays 0) by 100.
            Field::CenturyOfEra => year.abs() / 100,
            Field::YearOfEra => {
                if year <= 0 {
                    1 - year
                } else {
                    year
                }
            }
            Field::Year => year,
            Field::Weekyear => i64::from(t.iso_week().year()),
            Field::WeekOfWeekyear => i64::from(t.iso_week().week()),
            Field::MonthOfYear => i64::from(t.month()),
            Field::DayOfYear => i64::from(t.ordinal()),
            Field::DayOfMonth => i64::from(t.day()),
            Field::DayOfWeek => i64::from(t.weekday().number_from_monday()),
            Field::HalfdayOfDay => hour / 12,
            Field::HourOfDay => hour,
            Field::ClockhourOfDay => {
                if hour == 0 {
                    24
                } else {
                    hour
                }
            }
            Field::HourOfHalfday => hour % 12,
            Field::ClockhourOfHalfday => {
                if hour % 12 == 0 {
                    12
                } else {
                    hour % 12
                }
            }
            Field::MinuteOfHour => i64::from(t.minute()),
            Field::SecondOfMinute => i64::from(t.second()),
            Field::MillisOfSecond => millis,
            Field::MillisOfMinute => i64::from(t.second()) * 1000 + millis,
            Field::MillisOfHour => {
                i64::from(t.minute()) * 60_000 + i64::from(t.second()) * 1000 + millis
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextField {
    Era,
    MonthOfYear,
    DayOfWeek,
    HalfdayOfDay,
}

/// One element of a compiled pattern, mirroring the printer/parser Joda's builder appends.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(String),
    Number {
        field: Field,
        min_digits: usize,
        max_parsed: usize,
        signed: bool,
    },
    TwoDigitYear {
        field: Field,
        lenient: bool,
    },
    Fraction {
        min_digits: usize,
        max_digits: usize,
    },
    Text {
        field: TextField,
        short: bool,
        src: Src,
    },
    ZoneName {
        long: bool,
        src: Src,
    },
    ZoneOffset {
        colon: bool,
    },
    ZoneId {
        src: Src,
    },
}

/// Where a pattern letter run came from, for "unsupported in parser" errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Src {
    letter: char,
    count: usize,
    position: usize,
}

/// A compiled Joda-Time DateTimeFormat pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JodaPattern {
    pattern: String,
    tokens: Vec<Token>,
}

/// A date-time parsed by [`JodaPattern::parse`]: the local fields, plus the offset when the pattern has `Z` and the input gave one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedTime {
    /// The local date-time the input describes.
    pub local: chrono::NaiveDateTime,
    /// The offset the input gave for a `Z`/`ZZ` field, if any.
    pub offset: Option<chrono::FixedOffset>,
}

/// A pattern token before it is turned into a [`Token`].
enum RawToken {
    Letters {
        letter: char,
        count: usize,
        position: usize,
    },
    Literal(String),
}

/// Splits a pattern as Joda's `DateTimeFormat.parseToken` does: runs of one ASCII letter, and literal text (quotes removed, `''` → `'`).
/// Returns the tokens and, when the pattern ends inside a quote, the position of the opening quote.
fn tokenize(chars: &[char]) -> (Vec<RawToken>, Option<usize>) {
    let mut tokens = Vec::new();
    let mut unterminated = None;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c.is_ascii_alphabetic() {
            let start = i;
            while chars.get(i + 1) == Some(&c) {
                i += 1;
            }
            tokens.push(RawToken::Letters {
                letter: c,
                count: i + 1 - start,
                position: start,
            });
            i += 1;
        } else {
            let mut text = String::new();
            let mut quoted = false;
            let mut open = 0;
            while let Some(&c) = chars.get(i) {
                if c == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        i += 1;
                        text.push('\'');
                    } else {
                        quoted = !quoted;
                        if quoted {
                            open = i;
                        }
                    }
                } else if !quoted && c.is_ascii_alphabetic() {
                    break;
                } else {
                    text.push(c);
                }
                i += 1;
            }
            if quoted {
                // Joda silently takes the rest of the pattern as literal text;
                // we reject it, as it is almost certainly a configuration typo.
                unterminated = Some(open);
            }
            // Joda's appendLiteral("") appends nothing.
            if !text.is_empty() {
                tokens.push(RawToken::Literal(text));
            }
        }
    }
    (tokens, unterminated)
}

/// Joda's `DateTimeFormat.isNumericToken`, used to decide how many digits a year may consume.
fn is_numeric_token(token: Option<&RawToken>) -> bool {
    match token {
        Some(RawToken::Letters { letter, count, .. }) => {
            "cCxyYdhHmsSeDFwWkK".contains(*letter) || (*letter == 'M' && *count <= 2)
        }
        _ => false,
    }
}

impl JodaPattern {
    /// Compiles a pattern as Joda-Time's DateTimeFormat.forPattern does; unknown ASCII pattern letters, an unterminated quote and an empty pattern are errors.
    pub fn compile(pattern: &str) -> Result<JodaPattern, JodaError> {
        let chars: Vec<char> = pattern.chars().collect();
        if chars.is_empty() {
            return Err(JodaError::EmptyPattern);
        }
        let (raw, unterminated) = tokenize(&chars);
        let mut tokens = Vec::with_capacity(raw.len());
        for (idx, token) in raw.iter().enumerate() {
            let (letter, count, position) = match token {
                RawToken::Literal(text) => {
                    tokens.push(Token::Literal(text.clone()));
                    continue;
                }
                RawToken::Letters {
                    letter,
                    count,
                    position,
                } => (*letter, *count, *position),
            };
            let src = Src {
                letter,
                count,
                position,
            };
            // appendDecimal raises maxDigits to minDigits.
            let number = |field: Field, max: usize, signed: bool| Token::Number {
                field,
                min_digits: count,
                max_parsed: max.max(count),
                signed,
            };
            let next_is_numeric = is_numeric_token(raw.get(idx + 1));
            let token = match letter {
                'G' => Token::Text {
                    field: TextField::Era,
                    short: false,
                    src,
                },
                'C' => number(Field::CenturyOfEra, count, true),
                'x' | 'y' | 'Y' => {
                    let field = match letter {
                        'x' => Field::Weekyear,
                        'y' => Field::Year,
                        _ => Field::YearOfEra,
                    };
                    if count == 2 {
                        Token::TwoDigitYear {
                            // Joda's "YY" uses the year field, not year-of-era.
                            field: if letter == 'x' {
                                Field::Weekyear
                            } else {
                                Field::Year
                            },
                            lenient: !next_is_numeric,
                        }
                    } else {
                        // Long years are allowed unless a number follows directly.
                        let max = if next_is_numeric { count } else { 9 };
                        number(field, max, letter != 'Y')
                    }
                }
                'M' if count >= 3 => Token::Text {
                    field: TextField::MonthOfYear,
                    short: count == 3,
                    src,
                },
                'M' => number(Field::MonthOfYear, 2, false),
                'd' => number(Field::DayOfMonth, 2, false),
                'a' => Token::Text {
                    field: TextField::HalfdayOfDay,
                    short: false,
                    src,
                },
                'h' => number(Field::ClockhourOfHalfday, 2, false),
                'H' => number(Field::HourOfDay, 2, false),
                'k' => number(Field::ClockhourOfDay, 2, false),
                'K' => number(Field::HourOfHalfday, 2, false),
                'm' => number(Field::MinuteOfHour, 2, false),
                's' => number(Field::SecondOfMinute, 2, false),
                // Joda's Fraction caps its precision at 18 digits.
                'S' => Token::Fraction {
                    min_digits: count,
                    max_digits: count.min(18),
                },
                'e' => number(Field::DayOfWeek, 1, false),
                'E' => Token::Text {
                    field: TextField::DayOfWeek,
                    short: count < 4,
                    src,
                },
                'D' => number(Field::DayOfYear, 3, false),
                'w' => number(Field::WeekOfWeekyear, 2, false),
                'z' => Token::ZoneName {
                    long: count >= 4,
                    src,
                },
                'Z' if count <= 2 => Token::ZoneOffset { colon: count == 2 },
                'Z' => Token::ZoneId { src },
                _ => {
                    return Err(JodaError::IllegalPatternLetter {
                        letter,
                        position,
                        pattern: pattern.to_string(),
                    });
                }
            };
            tokens.push(token);
        }
        if let Some(position) = unterminated {
            return Err(JodaError::UnterminatedQuote {
                position,
                pattern: pattern.to_string(),
            });
        }
        Ok(JodaPattern {
            pattern: pattern.to_string(),
            tokens,
        })
    }

    /// The source pattern.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether the pattern prints locale-dependent text (`G`, `MMM`, `MMMM`, `E`, `a`).
    pub fn has_text_fields(&self) -> bool {
        self.tokens.iter().any(|t| matches!(t, Token::Text { .. }))
    }

    /// Formats like Joda's DateTime.toString(formatter.withLocale(locale)) for a time in zone tz.
    ///
    /// `ZZZ` prints the zone id (Joda's `getID()`). In a fixed-offset zone (`+09:00`) `z` and
    /// `zzzz` print that id too, as Joda does for a zone without a name key. In a tz database
    /// zone `z` prints chrono-tz's abbreviation ("KST", "EDT"), or "+04:00" where tzdata has
    /// only a numeric one, and `zzzz` the zone id, where Joda prints JDK names ("KST",
    /// "Korean Standard Time"), which can differ for some zones and locales.
    pub fn format(&self, t: &DateTime<Zone>, locale: &Locale) -> String {
        let local = t.naive_local();
        let offset_secs = t.offset().fix().local_minus_utc();
        let mut out = String::with_capacity(self.pattern.len() + 8);
        for token in &self.tokens {
            match token {
                Token::Literal(text) => out.push_str(text),
                Token::Number {
                    field, min_digits, ..
                } => push_padded(&mut out, field.get(&local), *min_digits),
                Token::TwoDigitYear { field, .. } => {
                    push_padded(&mut out, field.get(&local).abs() % 100, 2)
                }
                Token::Fraction {
                    min_digits,
                    max_digits,
                } => push_fraction(
                    &mut out,
                    Field::MillisOfSecond.get(&local),
                    *min_digits,
                    *max_digits,
                ),
                Token::Text { field, short, .. } => out.push_str(match field {
                    TextField::Era => locale.era_text(local.year() > 0),
                    TextField::MonthOfYear => locale.month_text(local.month(), *short),
                    TextField::DayOfWeek => {
                        locale.day_text(local.weekday().number_from_monday(), *short)
                    }
                    TextField::HalfdayOfDay => locale.halfday_text(local.hour() >= 12),
                }),
                Token::ZoneName { long: true, .. } | Token::ZoneId { .. } => {
                    out.push_str(&t.timezone().id())
                }
                Token::ZoneName { long: false, .. } => {
                    match (t.timezone(), t.offset().abbreviation()) {
                        (Zone::Fixed(_), _) => out.push_str(&t.timezone().id()),
                        (Zone::Tz(_), Some(name)) if !name.starts_with(['+', '-']) => {
                            out.push_str(name)
                        }
                        // Joda falls back to DateTimeZone.printOffset when no name is known.
                        _ => push_print_offset(&mut out, offset_secs),
                    }
                }
                Token::ZoneOffset { colon } => push_offset(&mut out, offset_secs, *colon),
            }
        }
        out
    }

    /// Parses `input` as DateTimeFormatter.parseMillis would, into local fields (defaults as in Joda) and the offset if the pattern has `Z`.
    ///
    /// Missing fields default to 1970-01-01T00:00:00.000, except that, as in Joda, a pattern
    /// whose largest field is a month, week or day (e.g. "MM-dd") defaults the year to 2000.
    /// Each numeric field reads at least one digit and at most its Joda maximum (2 for
    /// month, day, hour, minute and second, 3 for day of year, the letter count for a year
    /// directly followed by another number, 9 for other years), so "yyyyMMdd" reads
    /// 4 + 2 + 2 digits. Literals match case-insensitively. `a` accepts the en_US and ko_KR
    /// texts; other text fields, `z` and `ZZZ` are rejected with
    /// [`JodaError::UnsupportedInParser`].
    pub fn parse(&self, input: &str) -> Result<ParsedTime, JodaError> {
        for token in &self.tokens {
            let unsupported = match token {
                Token::Text {
                    field: TextField::HalfdayOfDay,
                    ..
                } => None,
                Token::Text { src, .. } => Some((*src, "text field")),
                Token::ZoneName { src, .. } => Some((*src, "time zone name")),
                Token::ZoneId { src } => Some((*src, "time zone id")),
                _ => None,
            };
            if let Some((src, what)) = unsupported {
                let letters: String = std::iter::repeat_n(src.letter, src.count).collect();
                return Err(JodaError::UnsupportedInParser {
                    pattern: self.pattern.clone(),
                    field: format!("{what} '{letters}'"),
                    position: src.position,
                });
            }
        }
        let err = |fail: Fail| JodaError::Parse {
            input: input.to_string(),
            pattern: self.pattern.clone(),
            position: fail.pos,
            reason: fail.reason,
        };
        let chars: Vec<char> = input.chars().collect();
        // Joda fixes the two-digit-year pivot when the formatter is built: this year - 30.
        let pivot = Utc::now().year() - 30;
        let mut bucket = Bucket::default();
        let mut pos = 0;
        for token in &self.tokens {
            pos = parse_token(token, &chars, pos, &mut bucket, pivot).map_err(err)?;
        }
        if pos < chars.len() {
            return Err(err(Fail::new(pos, "unexpected trailing input")));
        }
        let offset = match bucket.offset_millis {
            None => None,
            Some(ms) => Some(
                FixedOffset::east_opt(ms / 1000)
                    .filter(|_| ms % 1000 == 0)
                    .ok_or_else(|| err(Fail::new(chars.len(), "unsupported time zone offset")))?,
            ),
        };
        let local = compute_local(bucket.saved).map_err(err)?;
        Ok(ParsedTime { local, offset })
    }
}

/// Appends `value` zero-padded to `min_digits` digits, with a leading '-' when negative (Joda's FormatUtils).
fn push_padded(out: &mut String, value: i64, min_digits: usize) {
    if value < 0 {
        out.push('-');
    }
    let digits = value.unsigned_abs().to_string();
    for _ in digits.len()..min_digits {
        out.push('0');
    }
    out.push_str(&digits);
}

/// Joda's `Fraction.printTo` for the millis within the second.
///
/// The digits are truncated, not rounded. Joda computes with `millis * 10^n / 1000` in a
/// long and lowers n while `1000 * 10^n` overflows, so more than 15 'S' letters print only
/// 15 digits for a non-zero fraction (but all of them, as zeros, for a zero fraction).
fn push_fraction(out: &mut String, millis: i64, min_digits: usize, max_digits: usize) {
    if millis == 0 {
        for _ in 0..min_digits {
            out.push('0');
        }
        return;
    }
    const RANGE: i64 = 1000;
    let mut max = max_digits;
    let scalar = loop {
        let scalar = u32::try_from(max)
            .ok()
            .filter(|m| (1..=18).contains(m))
            .map_or(1, |m| 10_i64.pow(m));
        if max == 0 || RANGE.wrapping_mul(scalar) / scalar == RANGE {
            break scalar;
        }
        max -= 1;
    };
    let digits = (millis * scalar / RANGE).to_string();
    let mut min = min_digits as i64;
    let mut wanted = max as i64;
    let mut length = digits.len() as i64;
    while length < wanted {
        out.push('0');
        min -= 1;
        wanted -= 1;
    }
    if min < wanted {
        // Chop trailing zeros down to the minimum (unreachable for patterns, where min >= max).
        let bytes = digits.as_bytes();
        while min < wanted && length > 1 && bytes.get(length as usize - 1) == Some(&b'0') {
            wanted -= 1;
            length -= 1;
        }
        out.push_str(digits.get(..length as usize).unwrap_or(&digits));
        return;
    }
    out.push_str(&digits);
}

/// Joda's `TimeZoneOffset.printTo` with 2 fields: "+0900" or "+09:00"; seconds are dropped.
fn push_offset(out: &mut String, offset_secs: i32, colon: bool) {
    out.push(if offset_secs >= 0 { '+' } else { '-' });
    let abs = i64::from(offset_secs).abs();
    push_padded(out, abs / 3600, 2);
    if colon {
        out.push(':');
    }
    push_padded(out, abs % 3600 / 60, 2);
}

/// Joda's `DateTimeZone.printOffset`: "+09:00", with ":ss" only when needed.
fn push_print_offset(out: &mut String, offset_secs: i32) {
    push_offset(out, offset_secs, true);
    let secs = i64::from(offset_secs).abs() % 60;
    if secs != 0 {
        out.push(':');
        push_padded(out, secs, 2);
    }
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/// Why and where a parse failed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fail {
    pos: usize,
    reason: String,
}

impl Fail {
    fn new(pos: usize, reason: impl Into<String>) -> Fail {
        Fail {
            pos,
            reason: reason.into(),
        }
    }
}

/// A field value read from the input, and where it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Saved {
    field: Field,
    value: i64,
    pos: usize,
}

/// Joda's DateTimeParserBucket: the fields and offset read so far.
#[derive(Debug, Clone, Default)]
struct Bucket {
    saved: Vec<Saved>,
    offset_millis: Option<i32>,
}

impl Bucket {
    fn save(&mut self, field: Field, value: i64, pos: usize) {
        self.saved.push(Saved { field, value, pos });
    }
}

/// Java's case-insensitive char comparison (CharacterLiteral, regionMatches).
fn chars_match_ignore_case(a: char, b: char) -> bool {
    fn single(mut it: impl Iterator<Item = char>, c: char) -> char {
        match (it.next(), it.next()) {
            (Some(x), None) => x,
            _ => c,
        }
    }
    a == b
        || single(a.to_uppercase(), a) == single(b.to_uppercase(), b)
        || single(a.to_lowercase(), a) == single(b.to_lowercase(), b)
}

fn parse_literal(input: &[char], pos: usize, text: &str) -> Result<usize, Fail> {
    let mut p = pos;
    for expected in text.chars() {
        match input.get(p) {
            Some(&c) if chars_match_ignore_case(c, expected) => p += 1,
            // Joda reports a literal's failure at its start.
            _ => {
                let shown = if text.chars().count() == 1 {
                    format!("{expected:?}")
                } else {
                    format!("{text:?}")
                };
                return Err(Fail::new(pos, format!("expected {shown}")));
            }
        }
    }
    Ok(p)
}

fn digit(input: &[char], i: usize) -> Option<i64> {
    input
        .get(i)
        .filter(|c| c.is_ascii_digit())
        .map(|c| i64::from(*c as u32 - '0' as u32))
}

/// Joda's NumberFormatter.parseInto: an optional sign (if signed) and 1..=max_digits digits.
fn parse_number(
    input: &[char],
    pos: usize,
    field: Field,
    max_digits: usize,
    signed: bool,
    bucket: &mut Bucket,
) -> Result<usize, Fail> {
    let mut p = pos;
    let mut negative = false;
    // A sign counts only if a digit follows (and a digit fits in the limit).
    if signed
        && let Some(&c @ ('-' | '+')) = input.get(p)
        && max_digits > 1
        && digit(input, p + 1).is_some()
    {
        negative = c == '-';
        p += 1;
    }
    let mut value: i64 = 0;
    let mut count = 0;
    while count < max_digits {
        let Some(d) = digit(input, p + count) else {
            break;
        };
        // Joda parses into an int; anything larger is an error there too.
        value = value.saturating_mul(10).saturating_add(d);
        count += 1;
    }
    if count == 0 {
        return Err(Fail::new(
            pos,
            format!("expected digits for {}", field.name()),
        ));
    }
    let value = if negative { -value } else { value };
    if i32::try_from(value).is_err() {
        return Err(Fail::new(
            pos,
            format!("number too large for {}", field.name()),
        ));
    }
    bucket.save(field, value, pos);
    Ok(p + count)
}

/// Joda's TwoDigitYear.parseInto: two digits resolve within a century around `pivot`;
/// when lenient, a sign or a digit count other than two gives the year as written.
fn parse_two_digit_year(
    input: &[char],
    pos: usize,
    field: Field,
    lenient: bool,
    pivot: i32,
    bucket: &mut Bucket,
) -> Result<usize, Fail> {
    let fail = || Fail::new(pos, format!("expected two digits for {}", field.name()));
    if lenient {
        let mut p = pos;
        let mut sign = None;
        if let Some(&c @ ('-' | '+')) = input.get(p) {
            sign = Some(c);
            p += 1;
        }
        let mut count = 0;
        while digit(input, p + count).is_some() {
            count += 1;
        }
        if sign.is_some() || count != 2 {
            if count == 0 {
                return Err(fail());
            }
            return parse_number(input, pos, field, count + 1, true, bucket);
        }
    }
    let (Some(tens), Some(ones)) = (digit(input, pos), digit(input, pos + 1)) else {
        return Err(fail());
    };
    let two = tens * 10 + ones;
    let low = i64::from(pivot) - 50;
    let t = if low >= 0 {
        low % 100
    } else {
        99 + ((low + 1) % 100)
    };
    let year = two + low + if two < t { 100 } else { 0 } - t;
    bucket.save(field, year, pos);
    Ok(pos + 2)
}

/// Joda's Fraction.parseInto: up to `max_digits` digits of a fraction of `field`'s unit, truncated to millis.
fn parse_fraction(
    input: &[char],
    pos: usize,
    field: Field,
    max_digits: usize,
    bucket: &mut Bucket,
) -> Result<usize, Fail> {
    let unit_millis: i64 = match field {
        Field::MillisOfHour => 3_600_000,
        Field::MillisOfMinute => 60_000,
        _ => 1000,
    };
    let mut value = 0;
    let mut n = unit_millis * 10;
    let mut count = 0;
    while count < max_digits {
        let Some(d) = digit(input, pos + count) else {
            break;
        };
        n /= 10;
        value += d * n;
        count += 1;
    }
    if count == 0 {
        return Err(Fail::new(pos, "expected fraction digits"));
    }
    bucket.save(field, value / 10, pos);
    Ok(pos + count)
}

/// Joda's TextField.parseInto for the half-day: the exact, lower- or upper-case text.
/// Both locales' texts are accepted since the parser has no locale.
fn parse_halfday(input: &[char], pos: usize, bucket: &mut Bucket) -> Result<usize, Fail> {
    const TEXTS: [(&str, i64); 6] = [
        ("AM", 0),
        ("am", 0),
        ("PM", 1),
        ("pm", 1),
        ("오전", 0),
        ("오후", 1),
    ];
    for len in (1..=2).rev() {
        let Some(candidate) = input.get(pos..pos + len) else {
            continue;
        };
        let candidate: String = candidate.iter().collect();
        if let Some((_, value)) = TEXTS.iter().find(|(text, _)| *text == candidate) {
            bucket.save(Field::HalfdayOfDay, *value, pos);
            return Ok(pos + len);
        }
    }
    Err(Fail::new(pos, "expected AM/PM text"))
}

/// Joda's TimeZoneOffset.parseInto with zero text "Z": "Z", or a sign and
/// hh, hhmm, hh:mm, hhmmss, hh:mm:ss, optionally with a fraction of a second.
fn parse_offset(input: &[char], pos: usize, bucket: &mut Bucket) -> Result<usize, Fail> {
    if input
        .get(pos)
        .is_some_and(|c| chars_match_ignore_case(*c, 'Z'))
    {
        bucket.offset_millis = Some(0);
        return Ok(pos + 1);
    }
    let negative = match input.get(pos) {
        Some('-') => true,
        Some('+') => false,
        _ => return Err(Fail::new(pos, "expected 'Z' or a '+'/'-' offset")),
    };
    let mut p = pos + 1;
    let two = |p: usize| Some(digit(input, p)? * 10 + digit(input, p + 1)?);
    let Some(hours) = two(p).filter(|h| *h <= 23) else {
        return Err(Fail::new(p, "expected offset hours 00-23"));
    };
    let mut millis = hours * 3_600_000;
    p += 2;
    // Which of the optional parts follow is decided by the character after the hours.
    let colon = input.get(p) == Some(&':');
    if colon || digit(input, p).is_some() {
        if colon {
            p += 1;
        }
        let Some(minutes) = two(p).filter(|m| *m <= 59) else {
            return Err(Fail::new(p, "expected offset minutes 00-59"));
        };
        millis += minutes * 60_000;
        p += 2;
        let more = if colon {
            input.get(p) == Some(&':')
        } else {
            digit(input, p).is_some()
        };
        if more {
            if colon {
                p += 1;
            }
            let Some(seconds) = two(p).filter(|s| *s <= 59) else {
                return Err(Fail::new(p, "expected offset seconds 00-59"));
            };
            millis += seconds * 1000;
            p += 2;
            let more = if colon {
                matches!(input.get(p), Some('.' | ','))
            } else {
                digit(input, p).is_some()
            };
            if more {
                if colon {
                    p += 1;
                }
                let mut scale = 100;
                let start = p;
                while p < start + 3 {
                    let Some(d) = digit(input, p) else { break };
                    millis += d * scale;
                    scale /= 10;
                    p += 1;
                }
                if p == start {
                    return Err(Fail::new(p, "expected offset fraction digits"));
                }
            }
        }
    }
    let millis = if negative { -millis } else { millis };
    bucket.offset_millis = i32::try_from(millis).ok();
    Ok(p)
}

fn parse_token(
    token: &Token,
    input: &[char],
    pos: usize,
    bucket: &mut Bucket,
    pivot: i32,
) -> Result<usize, Fail> {
    match token {
        Token::Literal(text) => parse_literal(input, pos, text),
        Token::Number {
            field,
            max_parsed,
            signed,
            ..
        } => parse_number(input, pos, *field, *max_parsed, *signed, bucket),
        Token::TwoDigitYear { field, lenient } => {
            parse_two_digit_year(input, pos, *field, *lenient, pivot, bucket)
        }
        Token::Fraction { max_digits, .. } => {
            parse_fraction(input, pos, Field::MillisOfSecond, *max_digits, bucket)
        }
        Token::Text {
            field: TextField::HalfdayOfDay,
            ..
        } => parse_halfday(input, pos, bucket),
        Token::ZoneOffset { .. } => parse_offset(input, pos, bucket),
        // Rejected before parsing starts.
        Token::Text { .. } | Token::ZoneName { .. } | Token::ZoneId { .. } => {
            Err(Fail::new(pos, "field unsupported in parser"))
        }
    }
}

/// Resolves parsed fields into a local date-time as Joda's `DateTimeParserBucket.computeMillis` does:
/// fields are applied largest first onto 1970-01-01T00:00, each rounding down the smaller
/// fields, then applied again so each is checked against the final date.
fn compute_local(mut saved: Vec<Saved>) -> Result<NaiveDateTime, Fail> {
    let sort = |saved: &mut Vec<Saved>| saved.sort_by_key(|s| std::cmp::Reverse(s.field.ranks()));
    sort(&mut saved);
    if let Some(first) = saved.first() {
        // Joda: if the largest field is a month, week or day, the year defaults to 2000.
        let duration = first.field.ranks().1;
        if (DAYS..=MONTHS).contains(&duration) {
            saved.push(Saved {
                field: Field::Year,
                value: 2000,
                pos: 0,
            });
            sort(&mut saved);
        }
    }
    let mut t = NaiveDate::from_ymd_opt(1970, 1, 1)
        .unwrap_or_default()
        .and_time(NaiveTime::MIN);
    for s in &saved {
        t = set_field(t, s.field, s.value).map_err(|r| Fail::new(s.pos, r))?;
        t = round_floor(t, s.field).map_err(|r| Fail::new(s.pos, r))?;
    }
    let last = saved.len().saturating_sub(1);
    for (i, s) in saved.iter().enumerate() {
        t = set_field(t, s.field, s.value).map_err(|r| Fail::new(s.pos, r))?;
        if i == last {
            t = round_floor(t, s.field).map_err(|r| Fail::new(s.pos, r))?;
        }
    }
    Ok(t)
}

fn range_error(field: Field, value: i64, min: i64, max: i64) -> String {
    format!(
        "value {value} for {} must be in the range [{min},{max}]",
        field.name()
    )
}

fn check(field: Field, value: i64, min: i64, max: i64) -> Result<i64, String> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(range_error(field, value, min, max))
    }
}

fn min_year() -> i64 {
    i64::from(NaiveDate::MIN.year())
}

fn max_year() -> i64 {
    i64::from(NaiveDate::MAX.year())
}

fn days_in_month(year: i32, month: u32) -> u32 {
    (28..=31)
        .rev()
        .find(|d| NaiveDate::from_ymd_opt(year, month, *d).is_some())
        .unwrap_or(28)
}

fn weeks_in_weekyear(weekyear: i32) -> u32 {
    if NaiveDate::from_isoywd_opt(weekyear, 53, Weekday::Mon).is_some() {
        53
    } else {
        52
    }
}

fn to_i32(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
}

fn to_u32(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

/// Sets the year keeping month and day (Feb 29 becomes Feb 28), as Joda's setYear.
fn with_year(t: NaiveDateTime, field: Field, year: i64) -> Result<NaiveDateTime, String> {
    let y = to_i32(check(field, year, min_year(), max_year())?);
    let day = t.day().min(days_in_month(y, t.month()));
    NaiveDate::from_ymd_opt(y, t.month(), day)
        .map(|d| d.and_time(t.time()))
        .ok_or_else(|| range_error(field, year, min_year(), max_year()))
}

fn millis_of_day(t: &NaiveDateTime) -> i64 {
    i64::from(t.num_seconds_from_midnight()) * 1000
        + i64::from(t.nanosecond() % 1_000_000_000 / 1_000_000)
}

fn with_millis_of_day(t: NaiveDateTime, ms: i64) -> NaiveDateTime {
    let ms = ms.rem_euclid(86_400_000);
    let time = NaiveTime::from_num_seconds_from_midnight_opt(
        to_u32(ms / 1000),
        to_u32(ms % 1000) * 1_000_000,
    )
    .unwrap_or(NaiveTime::MIN);
    t.date().and_time(time)
}

/// Joda's `field.set(instant, value)` in the ISO chronology, on a local date-time.
fn set_field(t: NaiveDateTime, field: Field, value: i64) -> Result<NaiveDateTime, String> {
    let date = t.date();
    let ms = millis_of_day(&t);
    let hour = ms / 3_600_000;
    let out_of_range = || range_error(field, value, min_year(), max_year());
    Ok(match field {
        Field::Year => with_year(t, field, value)?,
        Field::YearOfEra => {
            let v = check(field, value, 1, max_year())?;
            with_year(t, field, if t.year() <= 0 { 1 - v } else { v })?
        }
        Field::CenturyOfEra => {
            let v = check(field, value, 0, max_year() / 100)?;
            let year = i64::from(t.year());
            let y = v * 100 + year.abs() % 100;
            with_year(t, field, if year < 0 { -y } else { y })?
        }
        Field::Weekyear => {
            let v = to_i32(check(field, value, min_year(), max_year())?);
            let iso = date.iso_week();
            if iso.year() == v {
                return Ok(t);
            }
            let week = iso.week().min(weeks_in_weekyear(v));
            NaiveDate::from_isoywd_opt(v, week, date.weekday())
                .ok_or_else(out_of_range)?
                .and_time(t.time())
        }
        Field::WeekOfWeekyear => {
            let weekyear = date.iso_week().year();
            let max = i64::from(weeks_in_weekyear(weekyear));
            let v = to_u32(check(field, value, 1, max)?);
            NaiveDate::from_isoywd_opt(weekyear, v, date.weekday())
                .ok_or_else(|| range_error(field, value, 1, max))?
                .and_time(t.time())
        }
        Field::MonthOfYear => {
            let m = to_u32(check(field, value, 1, 12)?);
            let day = date.day().min(days_in_month(date.year(), m));
            NaiveDate::from_ymd_opt(date.year(), m, day)
                .ok_or_else(|| range_error(field, value, 1, 12))?
                .and_time(t.time())
        }
        Field::DayOfMonth => {
            let max = i64::from(days_in_month(date.year(), date.month()));
            let d = to_u32(check(field, value, 1, max)?);
            date.with_day(d)
                .ok_or_else(|| range_error(field, value, 1, max))?
                .and_time(t.time())
        }
        Field::DayOfYear => {
            let max = if date.leap_year() { 366 } else { 365 };
            let d = to_u32(check(field, value, 1, max)?);
            date.with_ordinal(d)
                .ok_or_else(|| range_error(field, value, 1, max))?
                .and_time(t.time())
        }
        Field::DayOfWeek => {
            let v = check(field, value, 1, 7)?;
            let delta = v - i64::from(date.weekday().number_from_monday());
            date.checked_add_signed(TimeDelta::days(delta))
                .ok_or_else(out_of_range)?
                .and_time(t.time())
        }
        Field::HalfdayOfDay => {
            let v = check(field, value, 0, 1)?;
            with_millis_of_day(t, ms + ((hour % 12 + 12 * v) - hour) * 3_600_000)
        }
        Field::HourOfDay | Field::ClockhourOfDay => {
            let v = if field == Field::HourOfDay {
                check(field, value, 0, 23)?
            } else {
                check(field, value, 1, 24)? % 24
            };
            with_millis_of_day(t, ms + (v - hour) * 3_600_000)
        }
        Field::HourOfHalfday | Field::ClockhourOfHalfday => {
            let v = if field == Field::HourOfHalfday {
                check(field, value, 0, 11)?
            } else {
                check(field, value, 1, 12)? % 12
            };
            with_millis_of_day(t, ms + (hour / 12 * 12 + v - hour) * 3_600_000)
        }
        Field::MinuteOfHour => {
            let v = check(field, value, 0, 59)?;
            with_millis_of_day(t, ms + (v - ms / 60_000 % 60) * 60_000)
        }
        Field::SecondOfMinute => {
            let v = check(field, value, 0, 59)?;
            with_millis_of_day(t, ms + (v - ms / 1000 % 60) * 1000)
        }
        Field::MillisOfSecond => {
            let v = check(field, value, 0, 999)?;
            with_millis_of_day(t, ms - ms % 1000 + v)
        }
        Field::MillisOfMinute => {
            let v = check(field, value, 0, 59_999)?;
            with_millis_of_day(t, ms - ms % 60_000 + v)
        }
        Field::MillisOfHour => {
            let v = check(field, value, 0, 3_599_999)?;
            with_millis_of_day(t, ms - ms % 3_600_000 + v)
        }
    })
}

/// Joda's `field.roundFloor(instant)`: the start of the field's current unit.
fn round_floor(t: NaiveDateTime, field: Field) -> Result<NaiveDateTime, String> {
    let date = t.date();
    let ms = millis_of_day(&t);
    let start = |d: Option<NaiveDate>| {
        d.map(|d| d.and_time(NaiveTime::MIN))
            .ok_or_else(|| format!("{} is out of range", field.name()))
    };
    match field {
        Field::CenturyOfEra => {
            let year = date.year();
            let c = year.abs() / 100 * 100;
            start(NaiveDate::from_ymd_opt(if year < 0 { -c } else { c }, 1, 1))
        }
        Field::Year | Field::YearOfEra => start(NaiveDate::from_ymd_opt(date.year(), 1, 1)),
        Field::Weekyear => start(NaiveDate::from_isoywd_opt(
            date.iso_week().year(),
            1,
            Weekday::Mon,
        )),
        Field::WeekOfWeekyear => start(NaiveDate::from_isoywd_opt(
            date.iso_week().year(),
            date.iso_week().week(),
            Weekday::Mon,
        )),
        Field::MonthOfYear => start(NaiveDate::from_ymd_opt(date.year(), date.month(), 1)),
        Field::DayOfYear | Field::DayOfMonth | Field::DayOfWeek => start(Some(date)),
        Field::HalfdayOfDay => Ok(with_millis_of_day(t, ms - ms % 43_200_000)),
        Field::HourOfDay
        | Field::ClockhourOfDay
        | Field::HourOfHalfday
        | Field::ClockhourOfHalfday => Ok(with_millis_of_day(t, ms - ms % 3_600_000)),
        Field::MinuteOfHour => Ok(with_millis_of_day(t, ms - ms % 60_000)),
        Field::SecondOfMinute => Ok(with_millis_of_day(t, ms - ms % 1000)),
        Field::MillisOfSecond | Field::MillisOfMinute | Field::MillisOfHour => Ok(t),
    }
}

// ---------------------------------------------------------------------------
// ISO-8601
// ---------------------------------------------------------------------------

/// A parser combinator tree, enough to express Joda's ISODateTimeFormat parsers.
#[derive(Debug)]
enum P {
    Lit(&'static str),
    Num {
        field: Field,
        max: usize,
        signed: bool,
    },
    Frac(Field),
    Offset,
    Seq(Vec<P>),
    /// Joda's MatchingParser: the alternative that reads furthest wins; `optional` adds the empty match.
    Alt(Vec<P>, bool),
}

fn opt(p: P) -> P {
    P::Alt(vec![p], true)
}

fn num(field: Field, max: usize) -> P {
    P::Num {
        field,
        max,
        signed: false,
    }
}

fn parse_p(p: &P, input: &[char], pos: usize, bucket: &mut Bucket) -> Result<usize, Fail> {
    match p {
        P::Lit(text) => parse_literal(input, pos, text),
        P::Num { field, max, signed } => parse_number(input, pos, *field, *max, *signed, bucket),
        P::Frac(field) => parse_fraction(input, pos, *field, 9, bucket),
        P::Offset => parse_offset(input, pos, bucket),
        P::Seq(parts) => {
            let mut p = pos;
            for part in parts {
                p = parse_p(part, input, p, bucket)?;
            }
            Ok(p)
        }
        P::Alt(alternatives, optional) => {
            let original = bucket.clone();
            let mut best_pos = pos;
            let mut best_state: Option<Bucket> = None;
            let mut best_fail: Option<Fail> = None;
            for (i, alternative) in alternatives.iter().enumerate() {
                match parse_p(alternative, input, pos, bucket) {
                    Ok(end) if end > best_pos => {
                        // Joda stops early when the text is used up or no parser is left.
                        if end >= input.len() || i + 1 >= alternatives.len() {
                            return Ok(end);
                        }
                        best_pos = end;
                        best_state = Some(bucket.clone());
                    }
                    Ok(_) => {}
                    Err(fail) => {
                        if best_fail.as_ref().is_none_or(|b| fail.pos > b.pos) {
                            best_fail = Some(fail);
                        }
                    }
                }
                *bucket = original.clone();
            }
            if best_pos > pos || *optional {
                if let Some(state) = best_state {
                    *bucket = state;
                }
                return Ok(best_pos);
            }
            Err(best_fail.unwrap_or_else(|| Fail::new(pos, "no alternative matched")))
        }
    }
}

/// Joda's `ISODateTimeFormat.dateTimeParser()`, plus a space as date-time separator.
fn iso_parser() -> &'static P {
    static ISO: OnceLock<P> = OnceLock::new();
    ISO.get_or_init(|| {
        let decimal_point = || P::Alt(vec![P::Lit("."), P::Lit(",")], false);
        let time_element = || {
            P::Seq(vec![
                num(Field::HourOfDay, 2),
                P::Alt(
                    vec![
                        P::Seq(vec![
                            P::Lit(":"),
                            num(Field::MinuteOfHour, 2),
                            P::Alt(
                                vec![
                                    P::Seq(vec![
                                        P::Lit(":"),
                                        num(Field::SecondOfMinute, 2),
                                        opt(P::Seq(vec![
                                            decimal_point(),
                                            P::Frac(Field::MillisOfSecond),
                                        ])),
                                    ]),
                                    P::Seq(vec![decimal_point(), P::Frac(Field::MillisOfMinute)]),
                                ],
                                true,
                            ),
                        ]),
                        P::Seq(vec![decimal_point(), P::Frac(Field::MillisOfHour)]),
                    ],
                    true,
                ),
            ])
        };
        let year = || P::Num {
            field: Field::Year,
            max: 9,
            signed: true,
        };
        let date_element = P::Alt(
            vec![
                P::Seq(vec![
                    year(),
                    opt(P::Seq(vec![
                        P::Lit("-"),
                        num(Field::MonthOfYear, 2),
                        opt(P::Seq(vec![P::Lit("-"), num(Field::DayOfMonth, 2)])),
                    ])),
                ]),
                P::Seq(vec![
                    P::Num {
                        field: Field::Weekyear,
                        max: 9,
                        signed: true,
                    },
                    P::Lit("-W"),
                    num(Field::WeekOfWeekyear, 2),
                    opt(P::Seq(vec![P::Lit("-"), num(Field::DayOfWeek, 1)])),
                ]),
                P::Seq(vec![year(), P::Lit("-"), num(Field::DayOfYear, 3)]),
            ],
            false,
        );
        let date_optional_time = P::Seq(vec![
            date_element,
            P::Alt(
                vec![
                    P::Seq(vec![P::Lit("T"), opt(time_element()), opt(P::Offset)]),
                    // Not in Joda: "2023-10-01 10:20:30", with a time required after the space.
                    P::Seq(vec![P::Lit(" "), time_element(), opt(P::Offset)]),
                ],
                true,
            ),
        ]);
        let time_only = P::Seq(vec![P::Lit("T"), time_element(), opt(P::Offset)]);
        // Joda lists time_only first; the two cannot both match (one starts with 'T',
        // the other with a digit or sign), and this order reports date errors on ties.
        P::Alt(vec![date_optional_time, time_only], false)
    })
}

/// Parses an ISO-8601 string as Joda's ISODateTimeFormat.dateTimeParser() does and returns epoch millis; local times resolve in `tz`.
///
/// Accepted: a date ("2023-10-01", "2023-10", "2023", sign and up to 9 year digits),
/// a week date ("2020-W53-5") or an ordinal date ("2023-274"); then optionally 'T'
/// and a time ("10", "10:20", "10:20:30", fractions of the last unit with '.' or ','
/// and up to 9 digits, truncated to millis) and/or an offset ("Z", "+09", "+0900",
/// "+09:00", "+09:00:00"); or a time alone ("T10:20Z", on 1970-01-01). Letters match
/// case-insensitively ('t', 'z'), and, as in Joda, "2023-10-01T" is accepted.
///
/// Unlike Joda, a space may replace the 'T' (then a time must follow), and a local
/// time in a DST gap is moved forward by the gap length (Joda's `parseMillis` throws
/// IllegalInstantException there); in an overlap the earlier instant is used, as in Joda.
pub fn parse_iso8601_millis(input: &str, tz: Zone) -> Result<i64, JodaError> {
    let chars: Vec<char> = input.chars().collect();
    let err = |fail: Fail| JodaError::Iso8601 {
        input: input.to_string(),
        position: fail.pos,
        reason: fail.reason,
    };
    let mut bucket = Bucket::default();
    let end = parse_p(iso_parser(), &chars, 0, &mut bucket).map_err(err)?;
    if end < chars.len() {
        return Err(err(Fail::new(end, "unexpected trailing input")));
    }
    let local = compute_local(bucket.saved).map_err(err)?;
    Ok(match bucket.offset_millis {
        Some(offset) => local.and_utc().timestamp_millis() - i64::from(offset),
        None => local_to_millis(local, tz),
    })
}

/// Resolves a local date-time in `tz` to epoch millis: the earlier instant in a DST overlap, and a time in a DST gap moved forward by the gap length.
pub fn local_to_millis(local: chrono::NaiveDateTime, tz: Zone) -> i64 {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.timestamp_millis(),
        LocalResult::Ambiguous(a, b) => a.timestamp_millis().min(b.timestamp_millis()),
        LocalResult::None => {
            // In a gap the offsets at `local` read as UTC and at `local - that offset` are
            // the offsets before and after the transition (in some order); using the one
            // before gives an instant after the transition, `gap` later in local time.
            let offset_at =
                |t: &NaiveDateTime| tz.offset_from_utc_datetime(t).fix().local_minus_utc();
            let first = offset_at(&local);
            let second = local
                .checked_sub_signed(TimeDelta::seconds(i64::from(first)))
                .map_or(first, |t| offset_at(&t));
            let before = first.min(second);
            local.and_utc().timestamp_millis() - i64::from(before) * 1000
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz;

    #[allow(non_upper_case_globals)]
    const New_York: Zone = Zone::Tz(Tz::America__New_York);
    #[allow(non_upper_case_globals)]
    const Seoul: Zone = Zone::Tz(Tz::Asia__Seoul);
    #[allow(non_upper_case_globals)]
    const Berlin: Zone = Zone::Tz(Tz::Europe__Berlin);
    const UTC: Zone = Zone::UTC;

    fn english() -> Locale {
        Locale::parse("en").unwrap()
    }

    fn korean() -> Locale {
        Locale::parse("ko").unwrap()
    }

    /// An instant given in UTC, seen in `tz`.
    fn at(tz: Zone, s: &str) -> DateTime<Zone> {
        let utc = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").unwrap();
        tz.from_utc_datetime(&utc)
    }

    fn fmt(pattern: &str, tz: Zone, utc: &str) -> String {
        JodaPattern::compile(pattern)
            .unwrap()
            .format(&at(tz, utc), &english())
    }

    fn fmt_ko(pattern: &str, tz: Zone, utc: &str) -> String {
        JodaPattern::compile(pattern)
            .unwrap()
            .format(&at(tz, utc), &korean())
    }

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").unwrap()
    }

    fn parse(pattern: &str, input: &str) -> Result<ParsedTime, JodaError> {
        JodaPattern::compile(pattern).unwrap().parse(input)
    }

    fn parse_err(pattern: &str, input: &str) -> (usize, String) {
        match parse(pattern, input) {
            Err(JodaError::Parse {
                position, reason, ..
            }) => (position, reason),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    const PATH: &str = "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH";

    #[test]
    fn confluent_hourly_path_utc() {
        assert_eq!(
            fmt(PATH, UTC, "2023-10-01T15:04:05"),
            "year=2023/month=10/day=01/hour=15"
        );
    }

    #[test]
    fn confluent_hourly_path_seoul_rolls_to_next_day() {
        // 15:04Z + 9h = 00:04 on Oct 2.
        assert_eq!(
            fmt(PATH, Seoul, "2023-10-01T15:04:05"),
            "year=2023/month=10/day=02/hour=00"
        );
    }

    #[test]
    fn quoted_letters_then_compact_date() {
        assert_eq!(
            fmt("'yymmdd='yyyyMMdd", Seoul, "2023-10-01T15:04:05"),
            "yymmdd=20231002"
        );
        assert_eq!(
            fmt("yyyy/MM/dd HH:mm:ss.SSS", UTC, "2023-01-02T03:04:05.006"),
            "2023/01/02 03:04:05.006"
        );
    }

    #[test]
    fn new_york_spring_forward() {
        let p = "yyyy-MM-dd HH:mm Z ZZ z";
        assert_eq!(
            fmt(p, New_York, "2023-03-12T06:30:00"),
            "2023-03-12 01:30 -0500 -05:00 EST"
        );
        assert_eq!(
            fmt(p, New_York, "2023-03-12T07:30:00"),
            "2023-03-12 03:30 -0400 -04:00 EDT"
        );
        // Same UTC hour on consecutive days, different local hours.
        assert_eq!(fmt("dd/HH", New_York, "2023-03-11T12:00:00"), "11/07");
        assert_eq!(fmt("dd/HH", New_York, "2023-03-12T12:00:00"), "12/08");
    }

    #[test]
    fn new_york_fall_back() {
        let p = "yyyy-MM-dd HH:mm Z ZZ z";
        assert_eq!(
            fmt(p, New_York, "2023-11-05T05:30:00"),
            "2023-11-05 01:30 -0400 -04:00 EDT"
        );
        assert_eq!(
            fmt(p, New_York, "2023-11-05T06:30:00"),
            "2023-11-05 01:30 -0500 -05:00 EST"
        );
        assert_eq!(fmt("dd/HH", New_York, "2023-11-04T12:00:00"), "04/08");
        assert_eq!(fmt("dd/HH", New_York, "2023-11-05T12:00:00"), "05/07");
    }

    #[test]
    fn berlin_transitions() {
        let p = "yyyy-MM-dd HH:mm Z ZZ z";
        assert_eq!(
            fmt(p, Berlin, "2023-03-26T00:30:00"),
            "2023-03-26 01:30 +0100 +01:00 CET"
        );
        assert_eq!(
            fmt(p, Berlin, "2023-03-26T01:30:00"),
            "2023-03-26 03:30 +0200 +02:00 CEST"
        );
        assert_eq!(
            fmt(p, Berlin, "2023-10-29T00:30:00"),
            "2023-10-29 02:30 +0200 +02:00 CEST"
        );
        assert_eq!(
            fmt(p, Berlin, "2023-10-29T01:30:00"),
            "2023-10-29 02:30 +0100 +01:00 CET"
        );
    }

    #[test]
    fn zone_fields() {
        assert_eq!(
            fmt("Z|ZZ|z", UTC, "2023-10-01T00:00:00"),
            "+0000|+00:00|UTC"
        );
        assert_eq!(
            fmt("ZZZ|zzzz|z", Seoul, "2023-10-01T00:00:00"),
            "Asia/Seoul|Asia/Seoul|KST"
        );
        // Seoul's LMT was +08:27:52; Joda prints offsets without the seconds.
        assert_eq!(fmt("Z ZZ", Seoul, "1900-01-01T00:00:00"), "+0827 +08:27");
    }

    #[test]
    fn text_fields_en_us() {
        let p = "MMMM MMM EEEE EEE E a G";
        assert_eq!(
            fmt(p, UTC, "2023-10-01T15:04:05"),
            "October Oct Sunday Sun Sun PM AD"
        );
        assert_eq!(
            fmt(p, UTC, "2024-02-05T09:00:00"),
            "February Feb Monday Mon Mon AM AD"
        );
    }

    #[test]
    fn text_fields_ko_kr() {
        let p = "MMMM MMM EEEE EEE E a G";
        assert_eq!(
            fmt_ko(p, UTC, "2023-10-01T15:04:05"),
            "10월 10월 일요일 일 일 오후 AD"
        );
        assert_eq!(
            fmt_ko(p, UTC, "2024-02-05T09:00:00"),
            "2월 2월 월요일 월 월 오전 AD"
        );
        // Numbers do not depend on the locale.
        assert_eq!(
            fmt_ko("yyyy-MM-dd", UTC, "2024-02-05T09:00:00"),
            "2024-02-05"
        );
    }

    #[test]
    fn year_widths() {
        let t = "2023-10-01T00:00:00";
        assert_eq!(fmt("yy|YY|xx", UTC, t), "23|23|23");
        assert_eq!(fmt("y|Y|x", UTC, t), "2023|2023|2023");
        assert_eq!(fmt("yyy|yyyyy", UTC, t), "2023|02023");
        assert_eq!(fmt("yy", UTC, "2005-06-01T00:00:00"), "05");
        let y5 = "0005-03-04T00:00:00";
        assert_eq!(
            fmt("y|yy|yyy|yyyy|YYYY|C|G", UTC, y5),
            "5|05|005|0005|0005|0|AD"
        );
    }

    #[test]
    fn negative_years() {
        // Joda: year 0 is 1 BC; yearOfEra = 1 - year; two-digit years use |year| % 100.
        let y0 = at(UTC, "2000-01-01T00:00:00").with_year(0).unwrap();
        let p = JodaPattern::compile("yyyy|YYYY|yy|G").unwrap();
        assert_eq!(p.format(&y0, &english()), "0000|0001|00|BC");
        let ym5 = y0.with_year(-5).unwrap();
        assert_eq!(p.format(&ym5, &english()), "-0005|0006|05|BC");
        // The JDK's Korean eras are the abbreviated CLDR ones, "BC" and "AD".
        assert_eq!(p.format(&ym5, &korean()), "-0005|0006|05|BC");
        assert_eq!(p.format(&ym5, &Locale::root()), "-0005|0006|05|BCE");
    }

    #[test]
    fn century() {
        assert_eq!(fmt("C|CC|CCC", UTC, "2023-10-01T00:00:00"), "20|20|020");
        assert_eq!(fmt("C", UTC, "1999-10-01T00:00:00"), "19");
    }

    #[test]
    fn fraction_of_second_truncates() {
        let t = "2023-10-01T10:20:30.987";
        assert_eq!(fmt("S|SS|SSS|SSSS|SSSSSS", UTC, t), "9|98|987|9870|987000");
        let t = "2023-10-01T10:20:30.005";
        assert_eq!(fmt("S|SS|SSS|SSSS", UTC, t), "0|00|005|0050");
        let t = "2023-10-01T10:20:30.000";
        assert_eq!(fmt("S|SSS|SSSS", UTC, t), "0|000|0000");
    }

    #[test]
    fn fraction_of_second_long_counts() {
        // 1000 * 10^16 overflows a Java long, so Joda scales down to 15 digits.
        let s15 = "S".repeat(15);
        let s16 = "S".repeat(16);
        let p = format!("{s15}|{s16}");
        assert_eq!(
            fmt(&p, UTC, "2023-10-01T10:20:30.987"),
            "987000000000000|987000000000000"
        );
        assert_eq!(
            fmt(&p, UTC, "2023-10-01T10:20:30.000"),
            "000000000000000|0000000000000000"
        );
    }

    #[test]
    fn quotes() {
        let t = "2023-10-01T15:04:05";
        assert_eq!(fmt("''yyyy''", UTC, t), "'2023'");
        assert_eq!(fmt("hh 'o''clock' a", UTC, t), "03 o'clock PM");
        assert_eq!(fmt("'It''s' EEEE", UTC, t), "It's Sunday");
        assert_eq!(fmt("'T'HH", UTC, t), "T15");
        assert_eq!(fmt("''", UTC, t), "'");
        // Non-ASCII letters are literals in Joda.
        assert_eq!(fmt("yyyy년 MM월 dd일", UTC, t), "2023년 10월 01일");
    }

    #[test]
    fn hour_fields_at_midnight_and_noon() {
        let p = "H h K k|HH hh KK kk";
        assert_eq!(fmt(p, UTC, "2023-10-01T00:00:00"), "0 12 0 24|00 12 00 24");
        assert_eq!(fmt(p, UTC, "2023-10-01T12:00:00"), "12 12 0 12|12 12 00 12");
        assert_eq!(
            fmt(p, UTC, "2023-10-01T23:00:00"),
            "23 11 11 23|23 11 11 23"
        );
        assert_eq!(fmt(p, UTC, "2023-10-01T01:00:00"), "1 1 1 1|01 01 01 01");
        assert_eq!(fmt("a", UTC, "2023-10-01T00:00:00"), "AM");
        assert_eq!(fmt("a", UTC, "2023-10-01T12:00:00"), "PM");
    }

    #[test]
    fn day_of_year() {
        assert_eq!(fmt("D|DDD", UTC, "2023-01-05T00:00:00"), "5|005");
        assert_eq!(fmt("D", UTC, "2024-12-31T00:00:00"), "366");
        assert_eq!(fmt("DD", UTC, "2023-10-01T00:00:00"), "274");
    }

    #[test]
    fn week_year_at_year_boundary() {
        // 2021-01-01 is the Friday of week 53 of weekyear 2020.
        let t = "2021-01-01T00:00:00";
        assert_eq!(fmt("xxxx-'W'ww-e", UTC, t), "2020-W53-5");
        assert_eq!(fmt("xx|yyyy|YYYY|w", UTC, t), "20|2021|2021|53");
        // 2024-12-30 is the Monday of week 1 of weekyear 2025.
        let t = "2024-12-30T00:00:00";
        assert_eq!(fmt("xxxx-'W'ww-e|yyyy|w", UTC, t), "2025-W01-1|2024|1");
    }

    #[test]
    fn illegal_letter_error() {
        let err = JodaPattern::compile("dt=${value}").unwrap_err();
        assert_eq!(
            err,
            JodaError::IllegalPatternLetter {
                letter: 't',
                position: 1,
                pattern: "dt=${value}".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "illegal pattern letter 't' at position 1 in \"dt=${value}\""
        );
        // Positions count chars, not bytes.
        let err = JodaPattern::compile("년도yyyyq").unwrap_err();
        assert!(matches!(
            err,
            JodaError::IllegalPatternLetter {
                letter: 'q',
                position: 6,
                ..
            }
        ));
        assert!(matches!(
            JodaPattern::compile("yyyy-MM-ddTHH"),
            Err(JodaError::IllegalPatternLetter {
                letter: 'T',
                position: 10,
                ..
            })
        ));
    }

    #[test]
    fn unterminated_quote_and_empty_pattern() {
        let err = JodaPattern::compile("'unterminated").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unterminated quote starting at position 0 in \"'unterminated\""
        );
        assert!(matches!(
            JodaPattern::compile("yyyy-MM-dd'T"),
            Err(JodaError::UnterminatedQuote { position: 10, .. })
        ));
        // An escaped quote opens nothing.
        assert!(JodaPattern::compile("yyyy''").is_ok());
        assert_eq!(JodaPattern::compile(""), Err(JodaError::EmptyPattern));
    }

    #[test]
    fn text_fields_in_the_root_locale() {
        // What the connector renders for ko_KR, en_US and any value with a region.
        let p = JodaPattern::compile("MMMM MMM EEEE EEE a G").unwrap();
        let t = at(UTC, "2023-10-01T15:04:05");
        assert_eq!(p.format(&t, &Locale::root()), "Oct Oct Sun Sun PM CE");
        let ko_kr = Locale::parse("ko_KR").unwrap();
        assert_eq!(p.format(&t, &ko_kr), "Oct Oct Sun Sun PM CE");
    }

    #[test]
    fn pattern_as_str() {
        assert_eq!(JodaPattern::compile(PATH).unwrap().as_str(), PATH);
    }

    #[test]
    fn parse_dates() {
        let expect = ParsedTime {
            local: local("2023-10-01T00:00:00"),
            offset: None,
        };
        assert_eq!(parse("yyyy-MM-dd", "2023-10-01"), Ok(expect));
        assert_eq!(parse("yyyyMMdd", "20231001"), Ok(expect));
        assert_eq!(parse("yyyy-MM-dd", "2023-10-1"), Ok(expect));
        // Joda reads at most 2 digits for MM and dd, so a short last field still parses.
        assert_eq!(parse("yyyyMMdd", "2023101"), Ok(expect));
        assert_eq!(
            parse("yyyy-MM-dd HH:mm:ss", "2023-10-01 10:20:30"),
            Ok(ParsedTime {
                local: local("2023-10-01T10:20:30"),
                offset: None
            })
        );
        assert_eq!(
            parse("HH:mm", "7:05").map(|p| p.local),
            Ok(local("1970-01-01T07:05:00"))
        );
        // Literals match case-insensitively, as in Joda.
        assert_eq!(
            parse("yyyy-MM-dd'T'HH", "2023-10-01t10").map(|p| p.local),
            Ok(local("2023-10-01T10:00:00"))
        );
    }

    #[test]
    fn parse_with_offset_and_fraction() {
        let p = "yyyy-MM-dd'T'HH:mm:ss.SSSZ";
        let nine = FixedOffset::east_opt(9 * 3600).unwrap();
        let want = ParsedTime {
            local: local("2023-10-01T10:20:30.123"),
            offset: Some(nine),
        };
        assert_eq!(parse(p, "2023-10-01T10:20:30.123+0900"), Ok(want));
        assert_eq!(parse(p, "2023-10-01T10:20:30.123+09:00"), Ok(want));
        assert_eq!(
            parse(p, "2023-10-01T10:20:30.123Z").map(|t| t.offset),
            Ok(FixedOffset::east_opt(0))
        );
        assert_eq!(
            parse(p, "2023-10-01T10:20:30.123-0330").map(|t| t.offset),
            Ok(FixedOffset::west_opt(3 * 3600 + 1800))
        );
        // SSS reads at most 3 digits; "1" means 100 ms.
        assert_eq!(
            parse("ss.SSS", "05.1").map(|t| t.local),
            Ok(local("1970-01-01T00:00:05.100"))
        );
        assert_eq!(
            parse_err("ss.SSS", "05.1234"),
            (6, "unexpected trailing input".into())
        );
    }

    #[test]
    fn parse_hours_and_halfday() {
        let get = |p: &str, s: &str| parse(p, s).map(|t| t.local.time());
        let hm = |h, m| Ok(NaiveTime::from_hms_opt(h, m, 0).unwrap());
        assert_eq!(get("hh:mm a", "12:30 AM"), hm(0, 30));
        assert_eq!(get("hh:mm a", "12:30 pm"), hm(12, 30));
        assert_eq!(get("hh:mm a", "03:15 PM"), hm(15, 15));
        assert_eq!(get("a h'시'", "오후 3시"), hm(15, 0));
        assert_eq!(get("kk:mm", "24:00"), hm(0, 0));
        assert_eq!(get("KK:mm a", "11:59 PM"), hm(23, 59));
        assert_eq!(parse_err("hh:mm a", "12:30 XM").0, 6);
        assert_eq!(
            parse_err("hh:mm", "13:00").1,
            "value 13 for clockhourOfHalfday must be in the range [1,12]"
        );
    }

    #[test]
    fn parse_defaults_like_joda() {
        // Largest field a month or day: Joda defaults the year to 2000 (a leap year).
        assert_eq!(
            parse("MM-dd", "02-29").map(|t| t.local),
            Ok(local("2000-02-29T00:00:00"))
        );
        assert_eq!(
            parse("yyyy", "2023").map(|t| t.local),
            Ok(local("2023-01-01T00:00:00"))
        );
        // Week dates resolve through weekyear, week and day of week.
        assert_eq!(
            parse("xxxx-'W'ww-e", "2020-W53-5").map(|t| t.local),
            Ok(local("2021-01-01T00:00:00"))
        );
        assert_eq!(
            parse("yyyy-DDD", "2023-274").map(|t| t.local),
            Ok(local("2023-10-01T00:00:00"))
        );
    }

    #[test]
    fn parse_two_digit_year() {
        // Pivot is (this year - 30) ± 50, so "23" is 2023 and "99" 1999 for decades to come.
        assert_eq!(
            parse("yy-MM-dd", "23-10-01").map(|t| t.local),
            Ok(local("2023-10-01T00:00:00"))
        );
        assert_eq!(
            parse("yyMMdd", "991231").map(|t| t.local),
            Ok(local("1999-12-31T00:00:00"))
        );
        // Lenient (not followed by a number): other digit counts are literal years.
        assert_eq!(
            parse("yy-MM", "2023-10").map(|t| t.local),
            Ok(local("2023-10-01T00:00:00"))
        );
        // Not lenient: exactly two digits.
        assert_eq!(parse_err("yyMM", "2").0, 0);
    }

    #[test]
    fn parse_errors_name_the_position() {
        let err = parse("yyyy-MM-dd", "2023/10/01").unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot parse \"2023/10/01\" with pattern \"yyyy-MM-dd\": expected '-' at position 4"
        );
        assert_eq!(
            parse_err("yyyy-MM-dd", "2023-13-01"),
            (
                5,
                "value 13 for monthOfYear must be in the range [1,12]".into()
            )
        );
        assert_eq!(
            parse_err("yyyy-MM-dd", "2023-02-30"),
            (
                8,
                "value 30 for dayOfMonth must be in the range [1,28]".into()
            )
        );
        assert_eq!(
            parse_err("yyyy-MM-dd", "2023-10-01xyz"),
            (10, "unexpected trailing input".into())
        );
        assert_eq!(
            parse_err("yyyy-MM-dd", "2023-10-011"),
            (10, "unexpected trailing input".into())
        );
        assert_eq!(
            parse_err("yyyy-MM-dd", ""),
            (0, "expected digits for year".into())
        );
        assert_eq!(
            parse_err("yyyy-MM-dd", "2023-10"),
            (7, "expected '-'".into())
        );
        assert_eq!(
            parse_err("yyyy 'at' HH", "2023 on 10"),
            (4, "expected \" at \"".into())
        );
        assert_eq!(
            parse_err("yyyy-MM-dd'T'HH:mm:ssZ", "2023-10-01T10:20:30+25:00").0,
            20
        );
    }

    #[test]
    fn parse_never_panics_on_odd_input() {
        let patterns = [
            "yyyy-MM-dd",
            "yyyyMMdd",
            "yy",
            "hh:mm a",
            "ss.SSSZ",
            "xxxx-'W'ww-e",
            "C",
            "YYYY-DDD",
        ];
        let inputs = [
            "",
            "-",
            "+",
            "２０２３-10-01",
            "2023-10-0１",
            "오후",
            "9999999999-01-01",
            "-2147483649",
            "+99999999999",
            "262144-01-01",
            "00:00 오전",
            "12:00 \u{1F600}",
            "59.999+23:59:59.999",
            "0000-W00-0",
            "99999999",
        ];
        for p in patterns {
            let p = JodaPattern::compile(p).unwrap();
            for i in inputs {
                let _ = p.parse(i);
            }
        }
        for i in inputs {
            let _ = parse_iso8601_millis(i, UTC);
        }
        assert!(matches!(
            parse("yyyy-MM-dd", "2023-10-0１"),
            Err(JodaError::Parse { position: 9, .. })
        ));
    }

    #[test]
    fn text_fields_are_unsupported_in_parser() {
        let err = parse("dd MMM yyyy", "01 Oct 2023").unwrap_err();
        assert_eq!(
            err,
            JodaError::UnsupportedInParser {
                pattern: "dd MMM yyyy".into(),
                field: "text field 'MMM'".into(),
                position: 3
            }
        );
        assert!(parse("ZZZ", "Asia/Seoul").is_err());
        assert!(parse("z", "KST").is_err());
    }

    #[test]
    fn iso_date_only_is_local_midnight() {
        assert_eq!(parse_iso8601_millis("2023-10-01", Seoul), Ok(1696086000000));
        assert_eq!(parse_iso8601_millis("2023-10-01", UTC), Ok(1696118400000));
    }

    #[test]
    fn iso_offsets() {
        for s in [
            "2023-10-01T00:00:00Z",
            "2023-10-01T00:00:00z",
            "2023-10-01t00:00:00Z",
            "2023-10-01T09:00:00+09:00",
            "2023-10-01T09:00:00+0900",
            "2023-10-01T09:00:00+09",
            "2023-10-01T09:00+09:00",
            "2023-09-30T20:00:00-04:00",
            "2023-10-01T00:00:00+00:00",
        ] {
            // The zone argument is ignored when an offset is given.
            assert_eq!(parse_iso8601_millis(s, New_York), Ok(1696118400000), "{s}");
        }
    }

    #[test]
    fn iso_times_and_fractions() {
        let base = 1696118400000; // 2023-10-01T00:00:00Z
        let cases = [
            ("2023-10-01T00:00:00.123456789Z", base + 123),
            ("2023-10-01T00:00:00.1Z", base + 100),
            ("2023-10-01T00:00:00,5Z", base + 500),
            ("2023-10-01T00:00:00.999999999Z", base + 999),
            ("2023-10-01T10:20", 1696155600000),
            ("2023-10-01T10", 1696154400000),
            ("2023-10-01T10.5Z", 1696156200000),
            ("2023-10-01T10:20.5Z", 1696155600000 + 30_000),
            ("2023-10-01T", base),
            ("2023-10", 1696118400000),
            ("T10:20Z", 37200000),
        ];
        for (s, want) in cases {
            assert_eq!(parse_iso8601_millis(s, UTC), Ok(want), "{s}");
        }
    }

    #[test]
    fn iso_space_separator() {
        assert_eq!(
            parse_iso8601_millis("2023-10-01 10:20:30", UTC),
            Ok(1696155630000)
        );
        assert_eq!(
            parse_iso8601_millis("2023-10-01 10:20:30", Seoul),
            Ok(1696123230000)
        );
        assert_eq!(
            parse_iso8601_millis("2023-10-01 10:20:30Z", Seoul),
            Ok(1696155630000)
        );
        assert!(parse_iso8601_millis("2023-10-01 ", UTC).is_err());
    }

    #[test]
    fn iso_week_and_ordinal_dates() {
        assert_eq!(parse_iso8601_millis("2020-W53-5", UTC), Ok(1609459200000));
        assert_eq!(parse_iso8601_millis("2020-w53-5", UTC), Ok(1609459200000));
        assert_eq!(parse_iso8601_millis("2023-274", UTC), Ok(1696118400000));
        assert_eq!(
            parse_iso8601_millis("2023-274T10:20Z", UTC),
            Ok(1696155600000)
        );
    }

    #[test]
    fn iso_dst_gap_and_overlap() {
        // 02:30 does not exist on 2023-03-12 in New York: moved forward to 03:30 EDT = 07:30Z.
        assert_eq!(
            parse_iso8601_millis("2023-03-12T02:30", New_York),
            Ok(1678606200000)
        );
        // 01:30 happens twice on 2023-11-05: the earlier, EDT, = 05:30Z.
        assert_eq!(
            parse_iso8601_millis("2023-11-05T01:30", New_York),
            Ok(1699162200000)
        );
        // Berlin: 02:30 on 2023-03-26 → 03:30 CEST = 01:30Z; on 2023-10-29 → CEST = 00:30Z.
        assert_eq!(
            parse_iso8601_millis("2023-03-26T02:30", Berlin),
            Ok(1679794200000)
        );
        assert_eq!(
            parse_iso8601_millis("2023-10-29T02:30", Berlin),
            Ok(1698539400000)
        );
    }

    #[test]
    fn local_to_millis_rules() {
        let l = local;
        assert_eq!(
            local_to_millis(l("2023-03-12T02:30:00"), New_York),
            1678606200000
        );
        assert_eq!(
            local_to_millis(l("2023-11-05T01:30:00"), New_York),
            1699162200000
        );
        assert_eq!(
            local_to_millis(l("2023-03-26T02:30:00"), Berlin),
            1679794200000
        );
        assert_eq!(
            local_to_millis(l("2023-10-29T02:30:00"), Berlin),
            1698539400000
        );
        assert_eq!(
            local_to_millis(l("2023-07-01T12:00:00"), Berlin),
            1688205600000
        );
        assert_eq!(
            local_to_millis(l("2023-10-01T00:00:00"), Seoul),
            1696086000000
        );
    }

    #[test]
    fn iso_rejects_garbage() {
        let err = parse_iso8601_millis("garbage", UTC).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot parse \"garbage\" as an ISO-8601 date-time: expected digits for year at position 0"
        );
        for s in [
            "",
            "2023-10-01T25:00",
            "2023-10-01Tx",
            "2023-10-01T10:20:30+25:00",
            "2023-13-01",
            "2023-02-29",
            "2023-10-01T00:00:00.1234567890Z",
            "2023/10/01",
            "1696118400000x",
            "T",
        ] {
            assert!(parse_iso8601_millis(s, UTC).is_err(), "{s}");
        }
        assert!(matches!(
            parse_iso8601_millis("2023-10-01Tx", UTC),
            Err(JodaError::Iso8601 { position: 11, .. })
        ));
        assert!(matches!(
            parse_iso8601_millis("2023-13-01", UTC),
            Err(JodaError::Iso8601 { position: 5, .. })
        ));
    }
}

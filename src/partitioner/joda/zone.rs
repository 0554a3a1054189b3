//! Time zones as Joda-Time's `DateTimeZone.forID` accepts them.
//!
//! The connector builds its zone with `DateTimeZone.forID(timezone)`. forID accepts, in this
//! order: `UTC`; any id of Joda's compiled tz database (the same ids chrono-tz has, backward
//! links such as `US/Eastern`, `ROK`, `EST` and `GMT` included; matched case-sensitively);
//! `UT`, `GMT` and `Z`; and fixed offsets: `+hh`, `+hhmm`, `+hh:mm`, `+hhmmss`, `+hh:mm:ss`
//! (hours 00-23, two digits each), optionally after `UTC`, `GMT` or `UT` (`UTC+09:00`). A zero
//! offset is UTC; any other offset is a fixed zone whose id is the offset printed as `+09:00`.
//! Everything else (`GMT+9`, `+9`, `+24:00`, `asia/seoul`, `KST`) is rejected.

use std::fmt;
use std::str::FromStr;

use chrono::{FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::{OffsetName, Tz, TzOffset};

/// The zone of time-based paths and of zone-less timestamp strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// A tz database zone.
    Tz(Tz),
    /// A fixed offset other than zero, as forID builds it from `+09:00`.
    Fixed(FixedOffset),
}

/// Why a `timezone` value is not a zone Joda's `DateTimeZone.forID` accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{id:?} is not a time zone id Joda-Time accepts: {reason}")]
pub struct ZoneError {
    pub id: String,
    pub reason: String,
}

const ALLOWED: &str = "use a tz database id (UTC, Asia/Seoul, America/New_York; case-sensitive) or a fixed offset (+09:00, -05:30, +09, UTC+09:00)";

impl Zone {
    pub const UTC: Zone = Zone::Tz(Tz::UTC);

    /// Joda's `DateTimeZone.forID`, except that offsets with a fraction of a second, which Joda
    /// accepts, are refused: chrono's offsets are whole seconds.
    pub fn for_id(id: &str) -> Result<Zone, ZoneError> {
        let fail = |reason: String| ZoneError {
            id: id.to_owned(),
            reason,
        };
        if let Ok(tz) = Tz::from_str(id) {
            return Ok(Zone::Tz(tz));
        }
        if matches!(id, "UT" | "GMT" | "Z") {
            return Ok(Zone::UTC);
        }
        let offset_text = ["UTC", "GMT", "UT"]
            .iter()
            .find_map(|prefix| {
                id.strip_prefix(prefix)
                    .filter(|rest| rest.starts_with(['+', '-']))
            })
            .unwrap_or(id);
        if offset_text.starts_with(['+', '-']) {
            let millis = parse_offset_millis(offset_text)
                .map_err(|why| fail(format!("{why} ({ALLOWED})")))?;
            if millis % 1000 != 0 {
                return Err(fail(
                    "offsets with a fraction of a second are not supported".to_owned(),
                ));
            }
            return Ok(Zone::from_offset_secs(millis / 1000));
        }
        // A case slip is the likeliest typo: name the id that was meant.
        if let Some(tz) = chrono_tz::TZ_VARIANTS
            .iter()
            .find(|tz| tz.name().eq_ignore_ascii_case(id))
        {
            return Err(fail(format!(
                "ids are case-sensitive, did you mean {}?",
                tz.name()
            )));
        }
        Err(fail(ALLOWED.to_owned()))
    }

    /// The zone of an offset in seconds: UTC for zero, as Joda's `fixedOffsetZone` does.
    fn from_offset_secs(secs: i32) -> Zone {
        match FixedOffset::east_opt(secs) {
            Some(offset) if secs != 0 => Zone::Fixed(offset),
            _ => Zone::UTC,
        }
    }

    /// Joda's `getID()`: the tz database id, or the offset as `DateTimeZone.printOffset` writes
    /// it (`+09:00`, `-05:30`, `+09:00:30`).
    ///
    /// Joda reports a backward link by its target (`US/Eastern` is `America/New_York`);
    /// chrono-tz keeps links as zones of their own, so here the configured id is kept.
    pub fn id(&self) -> String {
        match self {
            Zone::Tz(tz) => tz.name().to_owned(),
            Zone::Fixed(offset) => {
                let mut out = String::with_capacity(9);
                super::push_print_offset(&mut out, offset.local_minus_utc());
                out
            }
        }
    }
}

impl From<Tz> for Zone {
    fn from(tz: Tz) -> Zone {
        Zone::Tz(tz)
    }
}

impl FromStr for Zone {
    type Err = ZoneError;

    fn from_str(s: &str) -> Result<Zone, ZoneError> {
        Zone::for_id(s)
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

/// Joda's offset parser for forID (`TimeZoneOffset.parseInto` with separators allowed, 2 to 4
/// fields, the whole text consumed): a sign, then `hh`, `hhmm`, `hh:mm`, `hhmmss`, `hh:mm:ss`,
/// and a fraction of up to 3 digits after the seconds. Returns the offset in milliseconds.
fn parse_offset_millis(text: &str) -> Result<i32, String> {
    let b = text.as_bytes();
    let negative = b.first() == Some(&b'-');
    let two = |i: usize| -> Option<i32> {
        let (t, o) = (b.get(i)?, b.get(i + 1)?);
        (t.is_ascii_digit() && o.is_ascii_digit())
            .then(|| i32::from(t - b'0') * 10 + i32::from(o - b'0'))
    };
    let hours = two(1).ok_or("the hours of an offset need two digits")?;
    if hours > 23 {
        return Err("offset hours run from 00 to 23".to_owned());
    }
    let mut millis = hours * 3_600_000;
    let mut p = 3;
    if p < b.len() {
        let colon = b[p] == b':';
        if colon {
            p += 1;
        }
        let minutes = two(p).ok_or("the minutes of an offset need two digits")?;
        if minutes > 59 {
            return Err("offset minutes run from 00 to 59".to_owned());
        }
        millis += minutes * 60_000;
        p += 2;
        if p < b.len() {
            if colon {
                if b[p] != b':' {
                    return Err(format!(
                        "unexpected {:?} after the minutes",
                        text.get(p..).unwrap_or("")
                    ));
                }
                p += 1;
            }
            let seconds = two(p).ok_or("the seconds of an offset need two digits")?;
            if seconds > 59 {
                return Err("offset seconds run from 00 to 59".to_owned());
            }
            millis += seconds * 1000;
            p += 2;
            if p < b.len() {
                if colon {
                    if !matches!(b[p], b'.' | b',') {
                        return Err(format!(
                            "unexpected {:?} after the seconds",
                            text.get(p..).unwrap_or("")
                        ));
                    }
                    p += 1;
                }
                let digits = b.get(p..).unwrap_or_default();
                if digits.is_empty() || digits.len() > 3 || !digits.iter().all(u8::is_ascii_digit) {
                    return Err("a fraction of a second needs 1 to 3 digits".to_owned());
                }
                let mut scale = 100;
                for d in digits {
                    millis += i32::from(d - b'0') * scale;
                    scale /= 10;
                }
            }
        }
    }
    Ok(if negative { -millis } else { millis })
}

/// The offset of a [`Zone`] at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneOffset {
    Tz(TzOffset),
    Fixed(FixedOffset),
}

impl ZoneOffset {
    /// The tz database abbreviation (`KST`, `EDT`), for tz zones only.
    pub fn abbreviation(&self) -> Option<&str> {
        match self {
            ZoneOffset::Tz(o) => o.abbreviation(),
            ZoneOffset::Fixed(_) => None,
        }
    }
}

impl Offset for ZoneOffset {
    fn fix(&self) -> FixedOffset {
        match self {
            ZoneOffset::Tz(o) => o.fix(),
            ZoneOffset::Fixed(o) => *o,
        }
    }
}

impl fmt::Display for ZoneOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZoneOffset::Tz(o) => fmt::Display::fmt(o, f),
            ZoneOffset::Fixed(o) => fmt::Display::fmt(o, f),
        }
    }
}

fn map_local(r: LocalResult<TzOffset>) -> LocalResult<ZoneOffset> {
    match r {
        LocalResult::Single(o) => LocalResult::Single(ZoneOffset::Tz(o)),
        LocalResult::Ambiguous(a, b) => {
            LocalResult::Ambiguous(ZoneOffset::Tz(a), ZoneOffset::Tz(b))
        }
        LocalResult::None => LocalResult::None,
    }
}

impl TimeZone for Zone {
    type Offset = ZoneOffset;

    fn from_offset(offset: &ZoneOffset) -> Zone {
        match offset {
            ZoneOffset::Tz(o) => Zone::Tz(Tz::from_offset(o)),
            ZoneOffset::Fixed(o) => Zone::Fixed(*o),
        }
    }

    fn offset_from_local_date(&self, local: &NaiveDate) -> LocalResult<ZoneOffset> {
        match self {
            Zone::Tz(tz) => map_local(tz.offset_from_local_date(local)),
            Zone::Fixed(o) => LocalResult::Single(ZoneOffset::Fixed(*o)),
        }
    }

    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> LocalResult<ZoneOffset> {
        match self {
            Zone::Tz(tz) => map_local(tz.offset_from_local_datetime(local)),
            Zone::Fixed(o) => LocalResult::Single(ZoneOffset::Fixed(*o)),
        }
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> ZoneOffset {
        match self {
            Zone::Tz(tz) => ZoneOffset::Tz(tz.offset_from_utc_date(utc)),
            Zone::Fixed(o) => ZoneOffset::Fixed(*o),
        }
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> ZoneOffset {
        match self {
            Zone::Tz(tz) => ZoneOffset::Tz(tz.offset_from_utc_datetime(utc)),
            Zone::Fixed(o) => ZoneOffset::Fixed(*o),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(secs: i32) -> Zone {
        Zone::Fixed(FixedOffset::east_opt(secs).unwrap())
    }

    #[test]
    fn tz_database_ids_and_links() {
        assert_eq!(Zone::for_id("UTC"), Ok(Zone::UTC));
        assert_eq!(Zone::for_id("Asia/Seoul"), Ok(Zone::Tz(Tz::Asia__Seoul)));
        assert_eq!(Zone::for_id("Etc/GMT-9"), Ok(Zone::Tz(Tz::Etc__GMTMinus9)));
        // Backward links are in Joda's compiled data too.
        for id in [
            "US/Eastern",
            "ROK",
            "EST",
            "MST",
            "HST",
            "CET",
            "GMT",
            "Etc/UTC",
            "Zulu",
        ] {
            assert!(matches!(Zone::for_id(id), Ok(Zone::Tz(_))), "{id}");
        }
        assert_eq!(Zone::for_id("UT"), Ok(Zone::UTC));
        assert_eq!(Zone::for_id("Z"), Ok(Zone::UTC));
    }

    #[test]
    fn fixed_offsets_as_for_id_parses_them() {
        let nine = fixed(9 * 3600);
        for id in [
            "+09:00",
            "+09",
            "+0900",
            "+09:00:00",
            "+090000",
            "UTC+09:00",
            "GMT+09",
            "UT+0900",
            "+09:00:00.000",
        ] {
            assert_eq!(Zone::for_id(id), Ok(nine), "{id}");
        }
        assert_eq!(Zone::for_id("-05:30"), Ok(fixed(-(5 * 3600 + 1800))));
        assert_eq!(
            Zone::for_id("+05:45:30"),
            Ok(fixed(5 * 3600 + 45 * 60 + 30))
        );
        assert_eq!(Zone::for_id("+23:59"), Ok(fixed(23 * 3600 + 59 * 60)));
        // A zero offset is UTC itself, as in Joda.
        for id in ["+00:00", "-00", "UTC+00:00", "GMT-0000"] {
            assert_eq!(Zone::for_id(id), Ok(Zone::UTC), "{id}");
        }
    }

    #[test]
    fn ids_of_fixed_zones_are_printed_offsets() {
        assert_eq!(Zone::for_id("+09").unwrap().id(), "+09:00");
        assert_eq!(Zone::for_id("UTC-0530").unwrap().id(), "-05:30");
        assert_eq!(Zone::for_id("+05:45:30").unwrap().id(), "+05:45:30");
        assert_eq!(Zone::for_id("+00:00").unwrap().id(), "UTC");
        assert_eq!(
            Zone::for_id("Asia/Seoul").unwrap().to_string(),
            "Asia/Seoul"
        );
    }

    #[test]
    fn rejected_ids_say_why() {
        for id in [
            "GMT+9",
            "+9",
            "+24:00",
            "+09:60",
            "+09:0",
            "+09:",
            "+",
            "-",
            "+09:00x",
            "+0900:00",
            "+09:00:0",
            "+09:00:00.1234",
            "UTC+9",
            "KST",
            "Mars/Olympus",
            "",
            " UTC",
            "GMT+",
            "UTC 09:00",
            "+09:00:00.5",
        ] {
            assert!(Zone::for_id(id).is_err(), "{id}");
        }
        let e = Zone::for_id("asia/seoul").unwrap_err().to_string();
        assert_eq!(
            e,
            "\"asia/seoul\" is not a time zone id Joda-Time accepts: ids are case-sensitive, did you mean Asia/Seoul?"
        );
        let e = Zone::for_id("GMT+9").unwrap_err().to_string();
        assert!(
            e.starts_with("\"GMT+9\" is not a time zone id Joda-Time accepts: the hours of an offset need two digits"),
            "{e}"
        );
        let e = Zone::for_id("+09:00:00.5").unwrap_err().to_string();
        assert!(
            e.ends_with("offsets with a fraction of a second are not supported"),
            "{e}"
        );
    }

    #[test]
    fn fixed_zones_convert_both_ways() {
        let z = Zone::for_id("-05:30").unwrap();
        let local = NaiveDate::from_ymd_opt(2023, 10, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let t = z.from_local_datetime(&local).single().unwrap();
        assert_eq!(t.timestamp(), 1_696_118_400 + 5 * 3600 + 1800);
        assert_eq!(t.offset().fix().local_minus_utc(), -(5 * 3600 + 1800));
        assert_eq!(t.timezone(), z);
    }
}

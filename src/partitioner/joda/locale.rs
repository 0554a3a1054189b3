//! The text of Joda's text fields (`MMM`, `MMMM`, `E`, `EEEE`, `a`, `G`) for the `locale` key.
//!
//! Joda takes month and day names, AM/PM and eras from the JDK's
//! `DateFormatSymbols.getInstance(locale)` (`GJLocaleSymbols`); since JDK 9 that data is CLDR's.
//! The connector builds the locale with `new Locale(value)`
//! (`TimeBasedPartitioner.configure` in kafka-connect-storage-common), which takes the whole
//! value as a *language* code: `de` is German, but `de_DE`, `ko_KR` or `en-US` are the unknown
//! languages "de_de", "ko_kr", "en-us", for which the JDK answers with its root locale (`Jan`,
//! `Sun`, `AM`, `CE`; month names are abbreviated even for `MMMM`). That is what the connector
//! writes, so that is what is rendered here: paths stay byte-identical to the connector's.
//!
//! Language data comes from ICU4X's compiled CLDR data (current CLDR; the JDK 17 ships CLDR 39,
//! so a few languages differ in a few names; see docs/locale-and-timezone.md). The JDK's root
//! symbols are written out below: CLDR's own root has `M01`..`M12` for months, which the JDK
//! replaces with its English abbreviations, so no CLDR crate can supply them.

use std::fmt;
use std::sync::Arc;

use icu_calendar::{Date, Gregorian};
use icu_datetime::input::{DateTime, Time};
use icu_datetime::pattern::{
    DateTimePattern, DayPeriodNameLength, FixedCalendarDateTimeNames, MonthNameLength,
    WeekdayNameLength, YearNameLength,
};
use writeable::TryWriteable;

use super::JodaError;

/// Text for the text fields of one `locale` value.
#[derive(Clone)]
pub struct Locale(Arc<Symbols>);

#[derive(PartialEq, Eq)]
struct Symbols {
    /// The value as configured (trimmed).
    configured: String,
    /// The language whose CLDR names are used; `None` for the JDK's root locale.
    language: Option<String>,
    months: [Box<str>; 12],
    short_months: [Box<str>; 12],
    /// Monday first, as Joda numbers days.
    days: [Box<str>; 7],
    short_days: [Box<str>; 7],
    /// AM, PM.
    halfdays: [Box<str>; 2],
    /// BC, AD.
    eras: [Box<str>; 2],
}

/// `DateFormatSymbols.getInstance(Locale.ROOT)` on JDK 17 (CLDR provider): what the JDK gives
/// for any locale it has no data for.
const ROOT_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const ROOT_DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const ROOT_HALFDAYS: [&str; 2] = ["AM", "PM"];
const ROOT_ERAS: [&str; 2] = ["BCE", "CE"];

/// The JDK's legacy language codes, which `new Locale(..)` maps to their current ones.
const LEGACY_LANGUAGES: [(&str, &str); 3] = [("iw", "he"), ("in", "id"), ("ji", "yi")];

fn boxed<const N: usize>(texts: [&str; N]) -> [Box<str>; N] {
    texts.map(Box::from)
}

impl Locale {
    /// The JDK's root locale: what the connector renders for `ko_KR`, `en-US` and any other
    /// value with a region.
    pub fn root() -> Locale {
        Locale::root_for("")
    }

    fn root_for(configured: &str) -> Locale {
        Locale(Arc::new(Symbols {
            configured: configured.to_owned(),
            language: None,
            months: boxed(ROOT_MONTHS),
            short_months: boxed(ROOT_MONTHS),
            days: boxed(ROOT_DAYS),
            short_days: boxed(ROOT_DAYS),
            halfdays: boxed(ROOT_HALFDAYS),
            eras: boxed(ROOT_ERAS),
        }))
    }

    /// The locale the connector's `new Locale(value)` gives for a `locale` value.
    ///
    /// A bare language (`de`, `KO`, `fil`) gives that language's names. A value with more
    /// parts (`ko_KR`, `en-US`, `de_DE_EURO`) is an unknown language to Java and gives the
    /// root locale, as in the connector. Unlike the connector, a value whose language has no
    /// CLDR data (`xx`, `xx_YY`, a typo) or that is not `_`/`-`-separated ASCII letters and
    /// digits is an error rather than silent root text.
    pub fn parse(value: &str) -> Result<Locale, JodaError> {
        let unknown = |why: &str| JodaError::UnknownLocale {
            locale: value.to_owned(),
            reason: why.to_owned(),
        };
        let mut parts = value.split(['_', '-']);
        let language = parts.next().unwrap_or_default().to_ascii_lowercase();
        let rest: Vec<&str> = parts.collect();
        if !(2..=8).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_alphabetic())
        {
            return Err(unknown(
                "a locale starts with a language code of 2 to 8 letters",
            ));
        }
        if rest
            .iter()
            .any(|p| p.is_empty() || p.len() > 8 || !p.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return Err(unknown(
                "the parts after the language are letters and digits separated by _ or -",
            ));
        }
        let language = LEGACY_LANGUAGES
            .iter()
            .find(|(old, _)| *old == language)
            .map_or(language.clone(), |(_, new)| (*new).to_owned());
        let Some(symbols) = cldr_symbols(&language) else {
            return Err(unknown("CLDR has no month names for this language"));
        };
        if !rest.is_empty() {
            return Ok(Locale::root_for(value));
        }
        Ok(Locale(Arc::new(Symbols {
            configured: value.to_owned(),
            language: Some(language),
            ..symbols
        })))
    }

    /// The value as configured; empty for [`Locale::root`].
    pub fn as_str(&self) -> &str {
        &self.0.configured
    }

    /// The language whose names are used, or `None` when the text is the JDK's root locale's.
    pub fn language(&self) -> Option<&str> {
        self.0.language.as_deref()
    }

    pub(crate) fn month_text(&self, month: u32, short: bool) -> &str {
        let table = if short {
            &self.0.short_months
        } else {
            &self.0.months
        };
        pick(table, month)
    }

    /// `day` counts from Monday = 1, as Joda's dayOfWeek does.
    pub(crate) fn day_text(&self, day: u32, short: bool) -> &str {
        let table = if short {
            &self.0.short_days
        } else {
            &self.0.days
        };
        pick(table, day)
    }

    pub(crate) fn halfday_text(&self, pm: bool) -> &str {
        pick(&self.0.halfdays, u32::from(pm) + 1)
    }

    pub(crate) fn era_text(&self, ad: bool) -> &str {
        pick(&self.0.eras, u32::from(ad) + 1)
    }
}

/// The `n`th (from 1) text of a table; field values are always in range, but a bad index must
/// not panic on data.
fn pick(table: &[Box<str>], n: u32) -> &str {
    usize::try_from(n)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| table.get(i))
        .map_or("\u{fffd}", |s| s)
}

impl fmt::Debug for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Locale")
            .field("configured", &self.0.configured)
            .field("language", &self.0.language)
            .finish()
    }
}

impl PartialEq for Locale {
    fn eq(&self, other: &Locale) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for Locale {}

/// One text field formatted with ICU4X for a Gregorian date-time.
struct Names {
    names: FixedCalendarDateTimeNames<Gregorian>,
    pattern: DateTimePattern,
}

impl Names {
    fn format(&self, year: i32, month: u8, day: u8, hour: u8) -> Option<Box<str>> {
        let datetime = DateTime {
            date: Date::try_new_gregorian(year, month, day).ok()?,
            time: Time::try_new(hour, 0, 0, 0).ok()?,
        };
        let formatter = self.names.with_pattern_unchecked(&self.pattern);
        let formatted = formatter.format(&datetime);
        let text = formatted.try_write_to_string().ok()?.into_owned();
        Some(text.into())
    }
}

/// The CLDR names of a language, or `None` when ICU4X has no data of its own for it (it then
/// falls back to CLDR's root, whose months are `M01`..`M12`).
fn cldr_symbols(language: &str) -> Option<Symbols> {
    let locale: icu_locale_core::Locale = language.parse().ok()?;
    let load = |pattern: &str,
                include: &dyn Fn(&mut FixedCalendarDateTimeNames<Gregorian>) -> bool|
     -> Option<Names> {
        let mut names = FixedCalendarDateTimeNames::<Gregorian>::new_without_number_formatting(
            (&locale).into(),
        );
        if !include(&mut names) {
            return None;
        }
        Some(Names {
            names,
            pattern: pattern.parse().ok()?,
        })
    };
    let month = |length| {
        move |n: &mut FixedCalendarDateTimeNames<Gregorian>| n.include_month_names(length).is_ok()
    };
    let weekday = |length| {
        move |n: &mut FixedCalendarDateTimeNames<Gregorian>| n.include_weekday_names(length).is_ok()
    };
    let wide_months = load("MMMM", &month(MonthNameLength::Wide))?;
    let short_months = load("MMM", &month(MonthNameLength::Abbreviated))?;
    let wide_days = load("EEEE", &weekday(WeekdayNameLength::Wide))?;
    let short_days = load("EEE", &weekday(WeekdayNameLength::Abbreviated))?;
    let halfdays = load("a", &|n| {
        n.include_day_period_names(DayPeriodNameLength::Abbreviated)
            .is_ok()
    })?;
    let eras = load("G", &|n| {
        n.include_year_names(YearNameLength::Abbreviated).is_ok()
    })?;

    // 2024-01-01 is a Monday.
    let months_of = |names: &Names| -> Option<[Box<str>; 12]> {
        let v: Vec<Box<str>> = (1..=12)
            .map(|m| names.format(2024, m, 1, 0))
            .collect::<Option<_>>()?;
        v.try_into().ok()
    };
    let days_of = |names: &Names| -> Option<[Box<str>; 7]> {
        let v: Vec<Box<str>> = (1..=7)
            .map(|d| names.format(2024, 1, d, 0))
            .collect::<Option<_>>()?;
        v.try_into().ok()
    };
    let months = months_of(&wide_months)?;
    // ICU4X falls back to root silently: a language without month names of its own is unknown.
    if months.first().is_some_and(|m| &**m == "M01") {
        return None;
    }
    Some(Symbols {
        configured: String::new(),
        language: None,
        months,
        short_months: months_of(&short_months)?,
        days: days_of(&wide_days)?,
        short_days: days_of(&short_days)?,
        halfdays: [
            halfdays.format(2024, 1, 1, 1)?,
            halfdays.format(2024, 1, 1, 13)?,
        ],
        // Year 0 is 1 BC in the proleptic Gregorian calendar both here and in Joda.
        eras: [eras.format(0, 1, 1, 0)?, eras.format(2024, 1, 1, 0)?],
    })
}

//! `locale` and `timezone` as the connector reads them: golden text per locale, fixed-offset
//! zones in paths and in RecordField strings, and the values refused at config time.
//!
//! The expected texts come from `DateFormatSymbols.getInstance(new Locale(value))` on
//! OpenJDK 17.0.15 with its default (CLDR) locale provider, which is what Joda-Time's
//! `GJLocaleSymbols` reads for the locale the connector builds. Where current CLDR (ICU4X)
//! differs from the JDK 17's CLDR 39, the test says so and pins what is rendered here.

use chrono::TimeZone;
use chrono_tz::Tz;
use kafka_s3_sink::config::{Config, RawConfig};
use kafka_s3_sink::partitioner::joda::{JodaPattern, Locale, Zone};
use kafka_s3_sink::partitioner::{Partitioner, TimestampExtractor};

/// Months, then weekdays, then AM/PM and eras, as one string per width.
const PATTERN: &str = "MMMM|MMM|EEEE|EEE|a|G";

/// 2023-10-01T15:04:05Z: a Sunday afternoon in UTC.
const T: i64 = 1_696_172_645_000;

fn render(locale: &str, millis: i64) -> String {
    let locale = Locale::parse(locale).unwrap_or_else(|e| panic!("{locale}: {e}"));
    let t = Zone::UTC.timestamp_millis_opt(millis).single().unwrap();
    JodaPattern::compile(PATTERN).unwrap().format(&t, &locale)
}

fn bc(locale: &str) -> String {
    let locale = Locale::parse(locale).unwrap();
    let t = Zone::UTC
        .with_ymd_and_hms(-5, 3, 1, 9, 0, 0)
        .single()
        .unwrap();
    JodaPattern::compile("G").unwrap().format(&t, &locale)
}

#[test]
fn bare_languages_render_their_cldr_names() {
    // (locale, 2023-10-01 15:04 text, era of 6 BC), from the JDK 17 output.
    let golden = [
        ("en", "October|Oct|Sunday|Sun|PM|AD", "BC"),
        ("de", "Oktober|Okt.|Sonntag|So.|PM|n. Chr.", "v. Chr."),
        ("fr", "octobre|oct.|dimanche|dim.|PM|ap. J.-C.", "av. J.-C."),
        ("ja", "10月|10月|日曜日|日|午後|西暦", "紀元前"),
        ("ko", "10월|10월|일요일|일|오후|AD", "BC"),
        ("zh", "十月|10月|星期日|周日|下午|公元", "公元前"),
        ("pt", "outubro|out.|domingo|dom.|PM|d.C.", "a.C."),
        ("ru", "октября|окт.|воскресенье|вс|PM|н. э.", "до н. э."),
    ];
    for (locale, text, era) in golden {
        assert_eq!(render(locale, T), text, "{locale}");
        assert_eq!(bc(locale), era, "{locale}");
    }
    // Every month and weekday of German and Japanese, long and short.
    let months = |locale: &str, pattern: &str| -> Vec<String> {
        let locale = Locale::parse(locale).unwrap();
        let p = JodaPattern::compile(pattern).unwrap();
        (1..=12)
            .map(|m| {
                let t = Zone::UTC.with_ymd_and_hms(2023, m, 1, 0, 0, 0).unwrap();
                p.format(&t, &locale)
            })
            .collect()
    };
    assert_eq!(
        months("de", "MMMM").join("|"),
        "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
    );
    assert_eq!(
        months("de", "MMM").join("|"),
        "Jan.|Feb.|März|Apr.|Mai|Juni|Juli|Aug.|Sept.|Okt.|Nov.|Dez."
    );
    assert_eq!(
        months("fr", "MMM").join("|"),
        "janv.|févr.|mars|avr.|mai|juin|juil.|août|sept.|oct.|nov.|déc."
    );
    let days = |locale: &str, pattern: &str| -> Vec<String> {
        let locale = Locale::parse(locale).unwrap();
        let p = JodaPattern::compile(pattern).unwrap();
        // 2023-10-01 is a Sunday, as the JDK's arrays start.
        (1..=7)
            .map(|d| {
                let t = Zone::UTC.with_ymd_and_hms(2023, 10, d, 0, 0, 0).unwrap();
                p.format(&t, &locale)
            })
            .collect()
    };
    assert_eq!(
        days("ja", "EEEE").join("|"),
        "日曜日|月曜日|火曜日|水曜日|木曜日|金曜日|土曜日"
    );
    assert_eq!(days("ja", "E").join("|"), "日|月|火|水|木|金|土");
    assert_eq!(
        days("de", "EEEE").join("|"),
        "Sonntag|Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag"
    );
}

#[test]
fn spanish_differs_from_the_jdk_17_only_where_cldr_changed() {
    // JDK 17 (CLDR 39): "a.\u{a0}m."/"p.\u{a0}m." and "a. C."/"d. C."; current CLDR writes
    // AM/PM with a narrow no-break space. The names are the same.
    assert_eq!(
        render("es", T),
        "octubre|oct|domingo|dom|p.\u{202f}m.|d. C."
    );
}

#[test]
fn values_with_a_region_render_the_jdk_root_locale() {
    // new Locale("ko_KR") is the language "ko_kr", unknown to the JDK: its root symbols. The
    // JDK 17 prints the same for en_US, en_GB, de_DE, fr-FR, es_CL and ja_JP.
    for locale in [
        "ko_KR", "ko-KR", "en_US", "en_GB", "de_DE", "fr-FR", "es_CL", "ja_JP", "EN_us", "zh_CN",
    ] {
        assert_eq!(render(locale, T), "Oct|Oct|Sun|Sun|PM|CE", "{locale}");
        assert_eq!(bc(locale), "BCE", "{locale}");
        let parsed = Locale::parse(locale).unwrap();
        assert_eq!(parsed.language(), None, "{locale}");
        assert_eq!(parsed.as_str(), locale);
    }
    // Bare languages are case-insensitive, as Java lowercases them.
    assert_eq!(render("DE", T), render("de", T));
    assert_eq!(render("Ko", T), render("ko", T));
    assert_eq!(Locale::parse("KO").unwrap().language(), Some("ko"));
    // The JDK maps its legacy codes.
    assert_eq!(Locale::parse("iw").unwrap().language(), Some("he"));
}

#[test]
fn unknown_locales_are_refused_with_the_value() {
    for locale in [
        "", "x", "xx", "xx_YY", "qq-QQ", "en_", "en__US", "en US", "e1", "日本", "de_DE!",
    ] {
        assert!(Locale::parse(locale).is_err(), "{locale:?}");
    }
    let e = Locale::parse("xx_YY").unwrap_err().to_string();
    assert_eq!(
        e,
        "unknown locale \"xx_YY\": CLDR has no month names for this language; use a Java locale id such as de, ko, ja, en_GB or fr-FR"
    );
}

fn config(pairs: &[(&str, &str)]) -> Result<Config, Vec<String>> {
    let mut all = vec![
        ("flush.size", "1"),
        (
            "partitioner.class",
            "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
        ),
        ("partition.duration.ms", "3600000"),
        ("path.format", "'dt'=yyyy-MM-dd/'h'=HH"),
        ("timezone", "UTC"),
        ("locale", "en"),
    ];
    all.retain(|(k, _)| !pairs.iter().any(|(p, _)| p == k));
    all.extend_from_slice(pairs);
    Config::from_raw(&RawConfig::from_pairs(all.iter().copied())).map_err(|e| {
        e.errors
            .into_iter()
            .map(|e| format!("{}: {}", e.key, e.message))
            .collect()
    })
}

fn time_based(c: &Config) -> &kafka_s3_sink::partitioner::TimeBasedPartitioner {
    match &c.partitioner {
        Partitioner::Time(p) => p,
        other => panic!("not time-based: {other:?}"),
    }
}

#[test]
fn config_accepts_what_for_id_accepts() {
    let cases = [
        ("Asia/Seoul", Zone::Tz(Tz::Asia__Seoul)),
        ("US/Eastern", Zone::Tz(Tz::US__Eastern)),
        ("+09:00", Zone::for_id("+09:00").unwrap()),
        ("+09", Zone::for_id("+09:00").unwrap()),
        ("-05:30", Zone::for_id("-0530").unwrap()),
        ("UTC+09:00", Zone::for_id("+09:00").unwrap()),
        ("+00:00", Zone::UTC),
        ("Z", Zone::UTC),
    ];
    for (id, zone) in cases {
        let c = config(&[("timezone", id)]).unwrap_or_else(|e| panic!("{id}: {e:?}"));
        assert_eq!(time_based(&c).timezone(), zone, "{id}");
    }
    let c = config(&[("timezone", "+09:00")]).unwrap();
    // 2023-10-01T15:04:05Z is 2023-10-02T00:04:05+09:00.
    assert_eq!(
        time_based(&c).encode_partition(T).unwrap(),
        "dt=2023-10-02/h=00"
    );
}

#[test]
fn config_refuses_other_zones_naming_the_key() {
    for id in ["GMT+9", "+9", "KST", "asia/seoul", "Mars/Olympus", "+24:00"] {
        let errors = config(&[("timezone", id)]).unwrap_err();
        let prefix = format!("timezone: {id:?} is not a time zone id Joda-Time accepts: ");
        assert!(
            errors.iter().any(|e| e.starts_with(&prefix)),
            "{id}: {errors:#?}"
        );
    }
}

#[test]
fn config_locale_values() {
    for (value, language) in [("de", Some("de")), ("ko_KR", None), ("fr-FR", None)] {
        let c = config(&[("locale", value)]).unwrap();
        assert_eq!(time_based(&c).locale().language(), language, "{value}");
    }
    let errors = config(&[("locale", "xx_YY")]).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("locale: unknown locale \"xx_YY\": ")),
        "{errors:#?}"
    );
    // A region with text fields in the path: the cold-start warning says what renders.
    let c = config(&[("locale", "ko_KR"), ("path.format", "MMMM/dd")]).unwrap();
    assert!(
        c.warnings
            .iter()
            .any(|w| w.starts_with("locale=ko_KR: ") && w.contains("locale=ko ")),
        "{:#?}",
        c.warnings
    );
    // Numeric paths render the same in every locale: no warning.
    let c = config(&[("locale", "ko_KR")]).unwrap();
    assert!(!c.warnings.iter().any(|w| w.starts_with("locale=")));
}

#[test]
fn record_field_strings_in_a_fixed_offset_zone() {
    let c = config(&[
        ("timezone", "+05:30"),
        ("timestamp.extractor", "RecordField"),
        ("timestamp.field", "ts"),
        ("timestamp.parser", "yyyy-MM-dd HH:mm"),
    ])
    .unwrap();
    match &c.timestamp_extractor {
        TimestampExtractor::RecordField { timezone, .. } => {
            assert_eq!(timezone.id(), "+05:30");
        }
        other => panic!("{other:?}"),
    }
}

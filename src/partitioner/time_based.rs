//! `TimeBasedPartitioner` and its fixed variants `HourlyPartitioner` and `DailyPartitioner`.

use chrono::{DateTime, Offset, TimeZone};

use super::PartitionError;
use super::joda::{JodaError, JodaPattern, Locale, Zone, local_to_millis};

/// Which of Confluent's time-based partitioner classes is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBasedKind {
    TimeBased,
    Hourly,
    Daily,
}

/// Encodes the record time, floored to `partition.duration.ms` in `timezone`, with the
/// `path.format` Joda pattern, as Confluent's `TimeBasedPartitioner` does.
#[derive(Debug, Clone)]
pub struct TimeBasedPartitioner {
    kind: TimeBasedKind,
    pattern: JodaPattern,
    duration_ms: i64,
    timezone: Zone,
    locale: Locale,
}

impl TimeBasedPartitioner {
    /// A partitioner with an explicit pattern and duration. A trailing `directory.delim` on the
    /// pattern is dropped, as Confluent drops it.
    pub fn new(
        kind: TimeBasedKind,
        path_format: &str,
        delim: &str,
        duration_ms: i64,
        timezone: impl Into<Zone>,
        locale: Locale,
    ) -> Result<TimeBasedPartitioner, JodaError> {
        let trimmed = if !delim.is_empty() && path_format.len() > delim.len() {
            path_format.strip_suffix(delim).unwrap_or(path_format)
        } else {
            path_format
        };
        Ok(TimeBasedPartitioner {
            kind,
            pattern: JodaPattern::compile(trimmed)?,
            duration_ms,
            timezone: timezone.into(),
            locale,
        })
    }

    /// The fixed path format of `HourlyPartitioner` / `DailyPartitioner` for a delimiter.
    pub fn fixed_path_format(kind: TimeBasedKind, delim: &str) -> Option<String> {
        let day = ["'year'=YYYY", "'month'=MM", "'day'=dd"].join(delim);
        match kind {
            TimeBasedKind::TimeBased => None,
            TimeBasedKind::Daily => Some(day),
            TimeBasedKind::Hourly => Some(format!("{day}{delim}'hour'=HH")),
        }
    }

    /// The fixed duration of `HourlyPartitioner` / `DailyPartitioner`.
    pub fn fixed_duration_ms(kind: TimeBasedKind) -> Option<i64> {
        match kind {
            TimeBasedKind::TimeBased => None,
            TimeBasedKind::Daily => Some(86_400_000),
            TimeBasedKind::Hourly => Some(3_600_000),
        }
    }

    /// Confluent's class name for this kind.
    pub fn class_name(&self) -> &'static str {
        match self.kind {
            TimeBasedKind::TimeBased => {
                "io.confluent.connect.storage.partitioner.TimeBasedPartitioner"
            }
            TimeBasedKind::Hourly => "io.confluent.connect.storage.partitioner.HourlyPartitioner",
            TimeBasedKind::Daily => "io.confluent.connect.storage.partitioner.DailyPartitioner",
        }
    }

    /// The zone paths are floored and formatted in.
    pub fn timezone(&self) -> Zone {
        self.timezone
    }

    /// The locale of text fields.
    pub fn locale(&self) -> &Locale {
        &self.locale
    }

    /// The compiled path format.
    pub fn pattern(&self) -> &JodaPattern {
        &self.pattern
    }

    /// The encoded path for a record time in epoch milliseconds.
    pub fn encode_partition(&self, millis: i64) -> Result<String, PartitionError> {
        let bucket = self.bucket_start(millis)?;
        Ok(self.pattern.format(&bucket, &self.locale))
    }

    /// Floors a time to its partition in local time, as Confluent's `getPartition` does:
    /// shift to local millis, truncate to a multiple of the duration (Java's `/` truncates
    /// toward zero), shift back to UTC.
    fn bucket_start(&self, millis: i64) -> Result<DateTime<Zone>, PartitionError> {
        let out_of_range = PartitionError::OutOfRange { millis };
        let instant = self
            .timezone
            .timestamp_millis_opt(millis)
            .single()
            .ok_or(out_of_range.clone())?;
        let offset_ms = i64::from(instant.offset().fix().local_minus_utc()) * 1000;
        let local = millis.checked_add(offset_ms).ok_or(out_of_range.clone())?;
        let floored = (local / self.duration_ms) * self.duration_ms;
        let naive = DateTime::from_timestamp_millis(floored)
            .ok_or(out_of_range.clone())?
            .naive_utc();
        let utc = local_to_millis(naive, self.timezone);
        self.timezone
            .timestamp_millis_opt(utc)
            .single()
            .ok_or(out_of_range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz;

    fn en_us() -> Locale {
        Locale::parse("en_US").unwrap()
    }

    fn ko_kr() -> Locale {
        Locale::parse("ko_KR").unwrap()
    }

    const SEED_PATH: &str = "'year'=YYYY/'month'=MM/'day'=dd";
    const DAY: i64 = 86_400_000;
    const HOUR: i64 = 3_600_000;

    fn tb(path: &str, duration: i64, tz: impl Into<Zone>, locale: Locale) -> TimeBasedPartitioner {
        TimeBasedPartitioner::new(TimeBasedKind::TimeBased, path, "/", duration, tz, locale)
            .unwrap()
    }

    // 2023-10-01T15:04:05Z = 2023-10-02T00:04:05+09:00
    const T: i64 = 1_696_172_645_000;

    #[test]
    fn seed_daily_path_in_seoul_and_utc() {
        let p = tb(SEED_PATH, DAY, Tz::Asia__Seoul, ko_kr());
        assert_eq!(p.encode_partition(T).unwrap(), "year=2023/month=10/day=02");
        let p = tb(SEED_PATH, DAY, Tz::UTC, en_us());
        assert_eq!(p.encode_partition(T).unwrap(), "year=2023/month=10/day=01");
        // Midnight of 2023-10-01 in Seoul, as the date-only seed records give it.
        let p = tb(SEED_PATH, DAY, Tz::Asia__Seoul, ko_kr());
        assert_eq!(
            p.encode_partition(1_696_086_000_000).unwrap(),
            "year=2023/month=10/day=01"
        );
    }

    #[test]
    fn seed_yymmdd_path() {
        let p = tb("'yymmdd='yyyyMMdd", DAY, Tz::Asia__Seoul, ko_kr());
        assert_eq!(p.encode_partition(T).unwrap(), "yymmdd=20231002");
    }

    #[test]
    fn hourly_and_daily_fixed_formats() {
        let f = TimeBasedPartitioner::fixed_path_format(TimeBasedKind::Hourly, "/").unwrap();
        assert_eq!(f, "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH");
        let p = TimeBasedPartitioner::new(
            TimeBasedKind::Hourly,
            &f,
            "/",
            HOUR,
            Tz::Asia__Seoul,
            en_us(),
        )
        .unwrap();
        assert_eq!(
            p.encode_partition(T).unwrap(),
            "year=2023/month=10/day=02/hour=00"
        );
        let f = TimeBasedPartitioner::fixed_path_format(TimeBasedKind::Daily, "#").unwrap();
        assert_eq!(f, "'year'=YYYY#'month'=MM#'day'=dd");
    }

    #[test]
    fn trailing_delimiter_is_stripped() {
        let p = tb("'dt'=yyyy-MM-dd/", DAY, Tz::UTC, en_us());
        assert_eq!(p.encode_partition(T).unwrap(), "dt=2023-10-01");
    }

    #[test]
    fn duration_floors_in_local_time() {
        // 15-minute buckets: 15:04:05 falls into 15:00.
        let p = tb("yyyy/MM/dd/HH/mm", 15 * 60_000, Tz::UTC, en_us());
        assert_eq!(p.encode_partition(T).unwrap(), "2023/10/01/15/00");
        // 6-hour buckets in Seoul: local 00:04 falls into 00:00 local.
        let p = tb("yyyy-MM-dd-HH", 6 * HOUR, Tz::Asia__Seoul, en_us());
        assert_eq!(p.encode_partition(T).unwrap(), "2023-10-02-00");
    }

    #[test]
    fn dst_in_new_york() {
        let p = tb("yyyy-MM-dd'T'HHZ", HOUR, Tz::America__New_York, en_us());
        // 2023-03-12T06:30Z = 01:30 EST; 07:30Z = 03:30 EDT (02:xx does not exist).
        assert_eq!(
            p.encode_partition(1_678_602_600_000).unwrap(),
            "2023-03-12T01-0500"
        );
        assert_eq!(
            p.encode_partition(1_678_606_200_000).unwrap(),
            "2023-03-12T03-0400"
        );
        // 2023-11-05T05:30Z = 01:30 EDT; 06:30Z = 01:30 EST: the same local hour twice. Joda's
        // local-to-UTC conversion resolves the floored 01:00 to the earlier (EDT) instant for
        // both, so both land in one directory, as with Confluent.
        assert_eq!(
            p.encode_partition(1_699_162_200_000).unwrap(),
            "2023-11-05T01-0400"
        );
        assert_eq!(
            p.encode_partition(1_699_165_800_000).unwrap(),
            "2023-11-05T01-0400"
        );
        // 07:30Z = 02:30 EST, the next hour.
        assert_eq!(
            p.encode_partition(1_699_169_400_000).unwrap(),
            "2023-11-05T02-0500"
        );
        // Daily buckets the day after the change are whole local days.
        let p = tb(SEED_PATH, DAY, Tz::America__New_York, en_us());
        assert_eq!(
            p.encode_partition(1_678_606_200_000).unwrap(),
            "year=2023/month=03/day=12"
        );
    }

    #[test]
    fn text_fields_follow_the_locale_as_the_connector_builds_it() {
        // The connector's `new Locale("ko_KR")` is an unknown language to the JDK, which then
        // answers with its root locale: the seed's locale renders English abbreviations.
        let p = tb("MMMM/EEEE/a", DAY, Tz::Asia__Seoul, ko_kr());
        assert_eq!(p.encode_partition(T).unwrap(), "Oct/Mon/AM");
        let p = tb("MMMM/EEEE/a", DAY, Tz::Asia__Seoul, en_us());
        assert_eq!(p.encode_partition(T).unwrap(), "Oct/Mon/AM");
        // A bare language is a language the JDK knows.
        let ko = Locale::parse("ko").unwrap();
        let p = tb("MMMM/EEEE/a", DAY, Tz::Asia__Seoul, ko);
        assert_eq!(p.encode_partition(T).unwrap(), "10월/월요일/오전");
        let en = Locale::parse("en").unwrap();
        let p = tb("MMMM/EEEE/a", DAY, Tz::Asia__Seoul, en);
        assert_eq!(p.encode_partition(T).unwrap(), "October/Monday/AM");
    }

    #[test]
    fn fixed_offset_zones() {
        let nine = Zone::for_id("+09:00").unwrap();
        let p = tb(SEED_PATH, DAY, nine, ko_kr());
        assert_eq!(p.encode_partition(T).unwrap(), "year=2023/month=10/day=02");
        let p = tb("yyyy-MM-dd'T'HH Z|ZZ|ZZZ|z|zzzz", HOUR, nine, en_us());
        assert_eq!(
            p.encode_partition(T).unwrap(),
            "2023-10-02T00 +0900|+09:00|+09:00|+09:00|+09:00"
        );
        // Half-hour offsets floor whole local days and hours.
        let india = Zone::for_id("+05:30").unwrap();
        let p = tb("yyyy-MM-dd-HH-mm", HOUR, india, en_us());
        // 15:04:05Z is 20:34:05 at +05:30.
        assert_eq!(p.encode_partition(T).unwrap(), "2023-10-01-20-00");
        let p = tb(SEED_PATH, DAY, Zone::for_id("-05:30").unwrap(), en_us());
        assert_eq!(p.encode_partition(T).unwrap(), "year=2023/month=10/day=01");
        // Seconds in the offset show in the id but not in Z, as in Joda.
        let odd = Zone::for_id("+05:45:30").unwrap();
        let p = tb("HH:mm:ss Z ZZZ", HOUR, odd, en_us());
        assert_eq!(p.encode_partition(T).unwrap(), "20:00:00 +0545 +05:45:30");
        // A zero offset is UTC, named so.
        let p = tb("HH Z ZZZ z", HOUR, Zone::for_id("+00:00").unwrap(), en_us());
        assert_eq!(p.encode_partition(T).unwrap(), "15 +0000 UTC UTC");
    }

    #[test]
    fn year_of_era_and_two_digit_year() {
        let p = tb("YYYY-yy", DAY, Tz::UTC, en_us());
        assert_eq!(p.encode_partition(T).unwrap(), "2023-23");
    }
}

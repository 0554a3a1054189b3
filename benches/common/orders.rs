//! The bench event: an MSK event of 10,000 order records over 4 partitions and 7 days,
//! 6,497,248 bytes of JSON, about the most a mapping sends in one batch. Shared by the
//! handler and upload benches; `benches/compare.py` builds the same bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Records in the event.
pub const RECORDS: usize = 10_000;

/// An MSK event with `RECORDS` order records over 4 partitions and 7 days.
pub fn event_json() -> String {
    event_json_with(
        |i| order_json(i).into_bytes(),
        r#"[{"source":[111,114,100]}]"#,
    )
}

/// Order `i` as JSON text.
pub fn order_json(i: usize) -> String {
    format!(
        r#"{{"order_id":"{i}","customer_id":"{}","book_id":"{}","quantity":{},"price":{}.99,"dt":"2023-10-{:02}","shipping":{{"city":"Seoul","street":"Teheran-ro {}","zip":"06{:03}"}},"note":"{}"}}"#,
        100_000 + i * 7 % 9973,
        400 + i % 50,
        1 + i % 5,
        i % 90,
        day(i),
        i % 500,
        i % 1000,
        "x".repeat(180)
    )
}

/// The day of October 2023 of order `i` (1 to 7).
pub fn day(i: usize) -> usize {
    1 + (i % 7)
}

/// The event with `value(i)` as the value of order `i` and `headers` (JSON) on every record.
pub fn event_json_with(mut value: impl FnMut(usize) -> Vec<u8>, headers: &str) -> String {
    let mut parts: Vec<Vec<String>> = vec![Vec::new(); 4];
    for i in 0..RECORDS {
        let p = i % 4;
        let offset = i / 4;
        parts[p].push(format!(
            r#"{{"topic":"orders","partition":{p},"offset":{offset},"timestamp":{},"timestampType":"CREATE_TIME","key":"{}","value":"{}","headers":{headers}}}"#,
            1_696_122_000_000i64 + i as i64 * 1000,
            STANDARD.encode(i.to_string()),
            STANDARD.encode(value(i))
        ));
    }
    let groups: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(p, recs)| format!(r#""orders-{p}":[{}]"#, recs.join(",")))
        .collect();
    format!(
        r#"{{"eventSource":"aws:kafka","eventSourceArn":"arn:aws:kafka:ap-northeast-2:123456789012:cluster/bench/1","records":{{{}}}}}"#,
        groups.join(",")
    )
}

/// The configurations of `benches/compare.py`, JSON out: the DefaultPartitioner ...
pub const BASE: &[(&str, &str)] = &[
    ("flush.size", "1000"),
    ("value.converter.schemas.enable", "false"),
];

/// ... and, added to it, the TimeBasedPartitioner reading `dt` with a parser, daily paths.
pub const TIME_BASED: &[(&str, &str)] = &[
    ("partitioner.class", "TimeBasedPartitioner"),
    ("timestamp.extractor", "RecordField"),
    ("timestamp.field", "dt"),
    ("timestamp.parser", "yyyy-MM-dd"),
    ("path.format", "'year'=YYYY/'month'=MM/'day'=dd"),
    ("partition.duration.ms", "86400000"),
    ("timezone", "Asia/Seoul"),
    ("locale", "ko_KR"),
];

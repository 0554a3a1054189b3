//! Layout options, compression and rotation windows through the real handler.

mod helpers;

use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use helpers::{read_tree, run_inline, text_tree};

fn event(records: &[(i64, i64, &str)]) -> String {
    let recs: Vec<String> = records
        .iter()
        .map(|(off, ts, v)| {
            format!(
                r#"{{"topic":"clicks","partition":0,"offset":{off},"timestamp":{ts},"timestampType":"CREATE_TIME","key":null,"value":"{}","headers":[]}}"#,
                STANDARD.encode(v)
            )
        })
        .collect();
    format!(
        r#"{{"eventSource":"SelfManagedKafka","records":{{"clicks-0":[{}]}}}}"#,
        recs.join(",")
    )
}

#[tokio::test]
async fn flush_size_cells_and_rotation_windows() {
    let dir = tempfile::tempdir().unwrap();
    // flush.size 3 → cells [0,3), [3,6); rotate 1000 ms → windows by record time.
    let records = [
        (1, 100, "1"),
        (2, 1500, "2"),
        (3, 1600, "3"),
        (4, 1700, "4"),
        (5, 2100, "5"),
        (6, 2200, "6"),
    ];
    let cfg = &[
        ("flush.size", "3"),
        ("rotate.interval.ms", "1000"),
        ("value.converter", "StringConverter"),
        ("topics.dir", "raw/kafka"),
        ("file.delim", "_"),
        ("filename.offset.zero.pad.width", "4"),
    ];
    let s = run_inline(cfg, &event(&records), dir.path()).await.unwrap();
    assert_eq!(
        text_tree(dir.path()).into_iter().collect::<Vec<_>>(),
        vec![
            (
                "raw/kafka/clicks/partition=0/clicks_0_0001.json".to_owned(),
                "\"1\"\n".to_owned()
            ),
            (
                "raw/kafka/clicks/partition=0/clicks_0_0002.json".to_owned(),
                "\"2\"\n".to_owned()
            ),
            (
                "raw/kafka/clicks/partition=0/clicks_0_0003.json".to_owned(),
                "\"3\"\n\"4\"\n".to_owned()
            ),
            (
                "raw/kafka/clicks/partition=0/clicks_0_0005.json".to_owned(),
                "\"5\"\n".to_owned()
            ),
            (
                "raw/kafka/clicks/partition=0/clicks_0_0006.json".to_owned(),
                "\"6\"\n".to_owned()
            ),
        ]
    );
    assert_eq!(s.files.iter().map(|f| f.records).sum::<usize>(), 6);
}

#[tokio::test]
async fn gzip_output_is_deterministic() {
    let cfg = &[
        ("flush.size", "100"),
        ("value.converter.schemas.enable", "false"),
        ("s3.compression.type", "gzip"),
    ];
    let ev = event(&[(0, 1, r#"{"a":1}"#), (1, 2, r#"{"a":2}"#)]);
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    run_inline(cfg, &ev, a.path()).await.unwrap();
    run_inline(cfg, &ev, b.path()).await.unwrap();
    let (ta, tb) = (read_tree(a.path()), read_tree(b.path()));
    assert_eq!(ta, tb);
    let body = &ta["topics/clicks/partition=0/clicks+0+0000000000.json.gz"];
    let mut text = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, "{\"a\":1}\n{\"a\":2}\n");
}

#[tokio::test]
async fn directory_delim_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = &[
        ("flush.size", "10"),
        ("value.converter", "StringConverter"),
        ("directory.delim", "/"),
        ("partitioner.class", "HourlyPartitioner"),
        ("timezone", "UTC"),
        ("locale", "en_US"),
    ];
    // 2023-10-01T15:04:05Z
    run_inline(cfg, &event(&[(0, 1_696_172_645_000, "x")]), dir.path())
        .await
        .unwrap();
    assert_eq!(
        text_tree(dir.path()).into_keys().collect::<Vec<_>>(),
        vec!["topics/clicks/year=2023/month=10/day=01/hour=15/clicks+0+0000000000.json".to_owned()]
    );
}

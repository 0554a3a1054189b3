//! Schema Registry Avro through the handler, side by side with schemaless JSON: the orders
//! batch of `benches/handler.rs` (10,000 records over 4 partitions), once as JSON values and
//! once as Confluent-framed Avro, each written as JSON and as Parquet. The schema is fetched
//! once from a loopback registry before timing starts, so the figures are of the cached path.
//! Run: `cargo bench --bench registry`.

use std::hint::black_box;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;

use apache_avro::types::Value as Avro;
use criterion::{Criterion, criterion_group, criterion_main};
use kafka_s3_sink::config::RawConfig;
use kafka_s3_sink::event::{KafkaEvent, parse_event_json};
use kafka_s3_sink::storage::LocalStore;
use kafka_s3_sink::{Config, Sink};

// The bench event's orders, here with values as JSON text or as Avro.
#[allow(dead_code)]
#[path = "common/orders.rs"]
mod orders;

const SCHEMA: &str = r#"{"type":"record","name":"Order","namespace":"com.example","fields":[
{"name":"order_id","type":"string"},{"name":"customer_id","type":"string"},
{"name":"book_id","type":"string"},{"name":"quantity","type":"int"},
{"name":"price","type":"double"},{"name":"dt","type":"string"},
{"name":"shipping","type":{"type":"record","name":"Shipping","fields":[
  {"name":"city","type":"string"},{"name":"street","type":"string"},{"name":"zip","type":"string"}]}},
{"name":"note","type":"string"}]}"#;

/// A registry that knows schema id 1 (version 1 of `orders-value`), enough for the sink's two
/// calls; a fixture answering whole requests with `Connection: close`, not an HTTP server.
fn registry() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let answer = if request_line.starts_with("GET /schemas/ids/1") {
                serde_json::json!({ "schema": SCHEMA }).to_string()
            } else {
                serde_json::json!({ "subject": "orders-value", "id": 1, "version": 1, "schema": SCHEMA }).to_string()
            };
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    url
}

/// The orders event, values as JSON text or as Confluent-framed Avro.
fn event(avro: bool) -> KafkaEvent {
    let schema = apache_avro::Schema::parse_str(SCHEMA).expect("schema");
    let writer = apache_avro::writer::datum::GenericDatumWriter::builder(&schema)
        .build()
        .expect("writer");
    let value = |i: usize| -> Vec<u8> {
        if !avro {
            return orders::order_json(i).into_bytes();
        }
        let day = orders::day(i);
        let fields = [
            ("order_id", Avro::String(i.to_string())),
            (
                "customer_id",
                Avro::String((100_000 + i * 7 % 9973).to_string()),
            ),
            ("book_id", Avro::String((400 + i % 50).to_string())),
            ("quantity", Avro::Int(1 + (i % 5) as i32)),
            ("price", Avro::Double((i % 90) as f64 + 0.99)),
            ("dt", Avro::String(format!("2023-10-{day:02}"))),
        ];
        let shipping = Avro::Record(vec![
            ("city".into(), Avro::String("Seoul".into())),
            (
                "street".into(),
                Avro::String(format!("Teheran-ro {}", i % 500)),
            ),
            ("zip".into(), Avro::String(format!("06{:03}", i % 1000))),
        ]);
        let mut record: Vec<(String, Avro)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        record.push(("shipping".into(), shipping));
        record.push(("note".into(), Avro::String("x".repeat(180))));
        let mut framed = vec![0, 0, 0, 0, 1];
        framed.extend(
            writer
                .write_value_to_vec(Avro::Record(record))
                .expect("encodes"),
        );
        framed
    };
    let json = orders::event_json_with(value, "[]");
    parse_event_json(json.as_bytes()).expect("event parses")
}

fn sink(pairs: &[(&str, &str)], dir: &std::path::Path) -> Sink {
    let config =
        Config::from_raw(&RawConfig::from_pairs(pairs.iter().copied())).expect("valid config");
    Sink::new(Arc::new(config), Arc::new(LocalStore::new(dir)))
}

fn bench(c: &mut Criterion) {
    let url = registry();
    let json_event = event(false);
    let avro_event = event(true);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let json_in = [
        ("flush.size", "1000"),
        ("value.converter.schemas.enable", "false"),
    ];
    let avro_in = [
        ("flush.size", "1000"),
        ("value.converter", "io.confluent.connect.avro.AvroConverter"),
        ("value.converter.schema.registry.url", url.as_str()),
    ];
    let parquet = (
        "format.class",
        "io.confluent.connect.s3.format.parquet.ParquetFormat",
    );
    let cases: Vec<(&str, Sink, &KafkaEvent)> = vec![
        (
            "json_to_json",
            sink(&json_in, &dir.path().join("jj")),
            &json_event,
        ),
        (
            "json_to_parquet",
            sink(&[&json_in[..], &[parquet]].concat(), &dir.path().join("jp")),
            &json_event,
        ),
        (
            "avro_to_json",
            sink(&avro_in, &dir.path().join("aj")),
            &avro_event,
        ),
        (
            "avro_to_parquet",
            sink(&[&avro_in[..], &[parquet]].concat(), &dir.path().join("ap")),
            &avro_event,
        ),
    ];
    // Every sink runs once before timing: the Avro ones fetch and cache the schema.
    for (name, s, e) in &cases {
        let summary = rt.block_on(s.handle(e, 0)).expect("handled");
        assert_eq!(summary.records_written, orders::RECORDS, "{name}");
    }
    let mut group = c.benchmark_group("registry_10k_records");
    group.sample_size(20);
    for (name, s, e) in &cases {
        group.bench_function(*name, |b| {
            b.iter(|| rt.block_on(s.handle(black_box(e), 0)).expect("handled"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

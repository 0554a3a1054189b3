//! The handler on a batch as large as the event-source mapping sends: 10,000 records, about
//! 6 MB of event JSON, written to a local directory. Run: `cargo bench --bench handler`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kafka_s3_sink::config::RawConfig;
use kafka_s3_sink::event::KafkaEvent;
use kafka_s3_sink::event::{parse_event_json, read_event_json};
use kafka_s3_sink::handler::Invocation;
use kafka_s3_sink::storage::LocalStore;
use kafka_s3_sink::{Config, Sink};

#[path = "common/floor.rs"]
mod floor;
#[path = "common/orders.rs"]
mod orders;

// The binary's allocator (`src/main.rs`), for the sink and the floor alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn sink(pairs: &[(&str, &str)], dir: &std::path::Path) -> Sink {
    let config =
        Config::from_raw(&RawConfig::from_pairs(pairs.iter().copied())).expect("valid config");
    Sink::new(Arc::new(config), Arc::new(LocalStore::new(dir)))
}

fn bench(c: &mut Criterion) {
    let json = orders::event_json();
    let event: KafkaEvent = parse_event_json(json.as_bytes()).expect("event parses");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");

    let default = sink(orders::BASE, &dir.path().join("default"));
    let time_based: Vec<(&str, &str)> = orders::BASE
        .iter()
        .chain(orders::TIME_BASED)
        .copied()
        .collect();
    let time_based = sink(&time_based, &dir.path().join("time"));

    let mut group = c.benchmark_group("handler_10k_records");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(json.len() as u64));
    eprintln!(
        "event JSON: {} bytes, {} records",
        json.len(),
        orders::RECORDS
    );
    group.bench_function("parse_event_json", |b| {
        b.iter(|| parse_event_json(black_box(json.as_bytes())).expect("parses"))
    });
    // The same event through a `serde_json::Value` first, as an event arrives when the
    // runtime hands over untyped JSON.
    group.bench_function("parse_event_via_value", |b| {
        b.iter(|| {
            let v: serde_json::Value =
                serde_json::from_slice(black_box(json.as_bytes())).expect("json");
            kafka_s3_sink::event::parse_event_value(v).expect("parses")
        })
    });
    // The event read as the Lambda runtime and `replay` read it: straight into decoded
    // records.
    group.bench_function("read_event_json", |b| {
        b.iter(|| read_event_json(black_box(json.as_bytes())).expect("reads"))
    });
    // The least any sink must do with the event (see `common/floor.rs`), from its bytes: the
    // sink's figures to set beside it are the `*_from_bytes` ones.
    group.bench_function("floor", |b| {
        b.iter(|| floor::floor(black_box(json.as_bytes())))
    });
    let invocation = || Invocation {
        now_ms: 0,
        deadline: None,
    };
    // The whole invocation from the event's bytes, as in Lambda: read, then run.
    group.bench_function("default_partitioner_from_bytes", |b| {
        b.iter(|| {
            let event = read_event_json(black_box(json.as_bytes())).expect("reads");
            rt.block_on(default.run_decoded(event, invocation()))
                .expect("handled")
        })
    });
    group.bench_function("time_based_record_field_from_bytes", |b| {
        b.iter(|| {
            let event = read_event_json(black_box(json.as_bytes())).expect("reads");
            rt.block_on(time_based.run_decoded(event, invocation()))
                .expect("handled")
        })
    });
    group.bench_function("default_partitioner", |b| {
        b.iter(|| {
            rt.block_on(default.handle(black_box(&event), 0))
                .expect("handled")
        })
    });
    group.bench_function("time_based_record_field", |b| {
        b.iter(|| {
            rt.block_on(time_based.handle(black_box(&event), 0))
                .expect("handled")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Raw bytes as a Lambda Kafka event, and the same bytes read with `arbitrary` as a structured
//! event (odd base64, headers, offsets, partitions, timestamps, topics), each parsed, decoded
//! and handled with every fixed configuration into an in-memory store.
//!
//! `FUZZ_PRINT_JSON=1 fuzz/target/<triple>/release/event_decode <artifact>` prints the
//! structured event an artifact builds, to keep it as a regression case.
#![no_main]

use kafka_s3_sink_fuzz::harness::event_bytes;
use kafka_s3_sink_fuzz::structured::structured_event_json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    event_bytes(data);
    if let Some(json) = structured_event_json(data) {
        if std::env::var_os("FUZZ_PRINT_JSON").is_some() {
            println!("{}", String::from_utf8_lossy(&json));
        }
        event_bytes(&json);
    }
});

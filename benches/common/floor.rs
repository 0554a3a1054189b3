//! The floor: the least any sink must do with a Kafka event. Read the event into typed
//! records, base64-decode every value, parse it into a `serde_json` DOM and serialize it again.
//! Nothing is partitioned, planned or written. Shared by the criterion bench (`floor`) and
//! the `floor` example the comparison script runs as a whole process.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kafka_s3_sink::event::parse_event_json;

/// Runs the floor over the event's JSON bytes and returns the bytes serialized.
pub fn floor(event_json: &[u8]) -> usize {
    let event = parse_event_json(event_json).expect("event parses");
    let mut out = 0;
    for records in event.records.values() {
        for record in records {
            let Some(value) = &record.value else { continue };
            let bytes = STANDARD.decode(value).expect("base64");
            let dom: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON value");
            out += serde_json::to_vec(&dom).expect("serializes").len();
        }
    }
    out
}

//! Bytes through every converter (JsonConverter with and without schemas, StringConverter,
//! ByteArrayConverter), and as schema + payload of an envelope (split at the first 0xFF).
#![no_main]

use kafka_s3_sink_fuzz::harness::converters_input;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| converters_input(data));

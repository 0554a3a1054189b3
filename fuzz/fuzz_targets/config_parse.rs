//! Text as a config document (JSON or .properties): parse_document, then Config::from_raw,
//! then a small event through the handler with every configuration that validates.
#![no_main]

use kafka_s3_sink_fuzz::harness::config_text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| config_text(data));

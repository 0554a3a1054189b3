//! JSON as a record value and key, with and without a schema, through the fixed transform
//! chains; text before a 0x00 byte is a fuzzed TimestampConverter format.
#![no_main]

use kafka_s3_sink_fuzz::harness::transforms_input;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| transforms_input(data));

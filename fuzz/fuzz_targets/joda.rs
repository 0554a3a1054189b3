//! First line a Joda pattern, the rest a date-time string: compile, format in several zones
//! and locales, parse, parse as ISO-8601, and the TimeBasedPartitioner over the whole i64 range.
#![no_main]

use kafka_s3_sink_fuzz::harness::joda_input;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| joda_input(data));

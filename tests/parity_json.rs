//! JSON input and output bytes as Kafka's converters read and Confluent's `JsonFormat` writes
//! them. Each case names the source file its expectation comes from:
//!
//! * apache/kafka `connect/json/src/main/java/org/apache/kafka/connect/json/JsonConverter.java`
//!   (reading payloads: `convertToConnect`; writing struct values: `convertToJson`);
//! * apache/kafka `clients/src/main/java/org/apache/kafka/common/serialization/StringDeserializer.java`;
//! * confluentinc/kafka-connect-storage-cloud
//!   `kafka-connect-s3/src/main/java/io/confluent/connect/s3/format/json/JsonRecordWriterProvider.java`
//!   (a `Struct` through `JsonConverter`, anything else through a Jackson `ObjectMapper`, each
//!   followed by the line separator) and `.../format/json/JsonFormat.java` (the converter's
//!   `schemas.enable=false` and `decimal.format=json.decimal.format`).

mod helpers;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use helpers::{read_tree, run_inline};
use kafka_s3_sink::convert::Converter;
use kafka_s3_sink::format::Compression;
use kafka_s3_sink::format::json::{DecimalFormat, JsonFormat};
use kafka_s3_sink::format::schema::EncodeRecord;

const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";

/// An MSK event with one record per value, offsets from 0, on `orders-2`.
fn event(values: &[&[u8]]) -> String {
    let recs: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(off, v)| {
            format!(
                r#"{{"topic":"orders","partition":2,"offset":{off},"timestamp":1696122000000,"timestampType":"CREATE_TIME","key":null,"value":"{}","headers":[]}}"#,
                STANDARD.encode(v)
            )
        })
        .collect();
    format!(
        r#"{{"eventSource":"aws:kafka","records":{{"orders-2":[{}]}}}}"#,
        recs.join(",")
    )
}

/// Runs the values through the handler (JSON output, one file) and returns the file's bytes.
async fn written(extra: &[(&str, &str)], values: &[&[u8]]) -> Vec<u8> {
    let mut pairs = vec![("flush.size", "1000")];
    pairs.extend_from_slice(extra);
    let dir = tempfile::tempdir().unwrap();
    run_inline(&pairs, &event(values), dir.path())
        .await
        .expect("handled");
    let files = read_tree(dir.path());
    let data: Vec<_> = files
        .into_iter()
        .filter(|(k, _)| k.ends_with(".json"))
        .collect();
    assert_eq!(data.len(), 1, "one data file: {:?}", data);
    data.into_iter().next().map(|(_, v)| v).unwrap_or_default()
}

const SCHEMALESS: &[(&str, &str)] = &[("value.converter.schemas.enable", "false")];

fn envelope(schema: &str, payload: &str) -> Vec<u8> {
    format!(r#"{{"schema":{schema},"payload":{payload}}}"#).into_bytes()
}

// JsonConverter.java: a schemaless non-integral number is read as a Double
// (`convertToConnect`, NUMBER → FLOAT64 → `doubleValue()`); JsonRecordWriterProvider.java writes
// a non-Struct value with Jackson, which prints a double as `Double.toString`.
#[tokio::test]
async fn double_1e20_is_written_as_java_does() {
    let out = written(SCHEMALESS, &[br#"{"x":1e20,"y":100,"z":100.0}"#]).await;
    assert_eq!(out, b"{\"x\":1.0E20,\"y\":100,\"z\":100.0}\n");
}

// As above: `Double.toString` switches to scientific notation from 10^7 up.
#[tokio::test]
async fn double_above_ten_million_is_scientific() {
    let out = written(SCHEMALESS, &[br#"[12345678.9,9999999.5,0.0001,0.001]"#]).await;
    assert_eq!(out, b"[1.23456789E7,9999999.5,1.0E-4,0.001]\n");
}

// JsonRecordWriterProvider.java: Jackson's generator escapes control characters with the short
// forms \b \t \n \f \r and the others as \u00XX in upper-case hex; DEL and non-ASCII are
// written as they are.
#[tokio::test]
async fn control_characters_escaped_as_jackson() {
    let out = written(
        SCHEMALESS,
        &["\"esc\\u001b tab\\t del\u{7f} é\"".as_bytes()],
    )
    .await;
    assert_eq!(out, "\"esc\\u001B tab\\t del\u{7f} é\"\n".as_bytes());
}

// JsonConverter.java: TO_CONNECT_CONVERTERS reads INT32 as `value.intValue()` of the
// BigDecimal node, truncating toward zero.
#[tokio::test]
async fn int_field_given_a_fraction_is_truncated() {
    let schema =
        r#"{"type":"struct","fields":[{"type":"int32","field":"q"},{"type":"int64","field":"l"}]}"#;
    let out = written(&[], &[&envelope(schema, r#"{"q":1.9,"l":-2.5}"#)]).await;
    assert_eq!(out, b"{\"q\":1,\"l\":-2}\n");
}

// JsonConverter.java: the STRUCT converter reads only `schema.fields()`, so a payload field the
// schema does not name is dropped.
#[tokio::test]
async fn payload_field_not_in_schema_is_dropped() {
    let schema = r#"{"type":"struct","fields":[{"type":"string","field":"a"}]}"#;
    let out = written(&[], &[&envelope(schema, r#"{"a":"x","unknown":1}"#)]).await;
    assert_eq!(out, b"{\"a\":\"x\"}\n");
}

// JsonConverter.java: a FLOAT32 field is read with `floatValue()` and written as a FloatNode,
// which Jackson prints as `Float.toString`.
#[tokio::test]
async fn float32_field_is_written_as_java_float() {
    let schema = r#"{"type":"struct","fields":[{"type":"float","field":"f"},{"type":"double","field":"d"}]}"#;
    let out = written(&[], &[&envelope(schema, r#"{"f":12.2,"d":12.2}"#)]).await;
    assert_eq!(out, b"{\"f\":12.2,\"d\":12.2}\n");
}

fn decimal_schema() -> String {
    format!(
        r#"{{"type":"struct","fields":[{{"type":"bytes","name":"{DECIMAL}","version":1,"parameters":{{"scale":"3"}},"field":"price"}}]}}"#
    )
}

// JsonConverter.java: the Decimal LogicalTypeConverter accepts a JSON number
// (`value.isNumber()`); with decimal.format=BASE64 (JsonFormat.java's default
// json.decimal.format) it writes base64 of the unscaled value's two's-complement bytes:
// 15.990 at scale 3 is 15990 = 0x3E76.
#[tokio::test]
async fn decimal_given_as_number_written_base64() {
    let out = written(&[], &[&envelope(&decimal_schema(), r#"{"price":15.99}"#)]).await;
    assert_eq!(out, b"{\"price\":\"PnY=\"}\n");
}

// JsonConverter.java: with decimal.format=NUMERIC the Decimal is a number node written with
// `BigDecimal.toString()`, which keeps the scale's trailing zeros.
#[test]
fn decimal_given_as_number_written_numeric() {
    let records = convert_all(true, &[&envelope(&decimal_schema(), r#"{"price":15.99}"#)]);
    let out = JsonFormat::new(Compression::None)
        .with_decimal_format(DecimalFormat::Numeric)
        .encode(&encode_records(&records))
        .unwrap();
    assert_eq!(out, b"{\"price\":15.990}\n");
}

const WITH_DEFAULT: &str = r#"{"type":"struct","fields":[{"type":"string","field":"id"},{"type":"int32","optional":true,"default":7,"field":"n"}]}"#;

// JsonConverter.java: `convertToConnect` gives a null or missing field its schema default when
// replace.null.with.default is true (the default since Kafka 3.5).
#[tokio::test]
async fn replace_null_with_default_true() {
    let out = written(
        &[],
        &[
            &envelope(WITH_DEFAULT, r#"{"id":"a","n":null}"#),
            &envelope(WITH_DEFAULT, r#"{"id":"b"}"#),
        ],
    )
    .await;
    assert_eq!(out, b"{\"id\":\"a\",\"n\":7}\n{\"id\":\"b\",\"n\":7}\n");
}

// JsonConverter.java: with replace.null.with.default=false an optional null field stays null
// in the Connect value. JsonFormat.java configures its own converter without that key, so on
// output `convertToJson` still writes the default for a null struct field.
#[test]
fn replace_null_with_default_false() {
    let records = convert_all(false, &[&envelope(WITH_DEFAULT, r#"{"id":"a","n":null}"#)]);
    assert_eq!(records[0].0.to_string(), r#"{"id":"a","n":null}"#);
    let out = JsonFormat::new(Compression::None)
        .encode(&encode_records(&records))
        .unwrap();
    assert_eq!(out, b"{\"id\":\"a\",\"n\":7}\n");
}

// StringDeserializer.java: `new String(data, encoding)` replaces malformed UTF-8 with U+FFFD
// and never fails; JsonRecordWriterProvider.java writes the String with Jackson, non-ASCII as is.
#[tokio::test]
async fn invalid_utf8_through_string_converter_is_replaced() {
    let out = written(
        &[(
            "value.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        )],
        &[&[b'a', 0xff, b'b']],
    )
    .await;
    assert_eq!(out, "\"a\u{fffd}b\"\n".as_bytes());
}

/// Values through the real JsonConverter (schemas on), owned with their schemas.
fn convert_all(
    replace_null_with_default: bool,
    messages: &[&[u8]],
) -> Vec<(serde_json::Value, serde_json::Value)> {
    let c = Converter::Json {
        schemas_enable: true,
        replace_null_with_default,
    };
    messages
        .iter()
        .map(|m| {
            let conv = c.convert(Some(m), "value.converter").unwrap().unwrap();
            (conv.data, (*conv.schema.unwrap()).clone())
        })
        .collect()
}

fn encode_records(records: &[(serde_json::Value, serde_json::Value)]) -> Vec<EncodeRecord<'_>> {
    records
        .iter()
        .enumerate()
        .map(|(i, (value, schema))| EncodeRecord {
            value,
            schema: Some(schema),
            raw_value: None,
            topic: "orders",
            partition: 2,
            offset: i as i64,
            timestamp: None,
        })
        .collect()
}

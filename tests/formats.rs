//! Parquet, Avro and byte-array output read back with readers that are not ours: the `parquet`
//! crate's Arrow reader and `apache-avro`'s `Reader`.

use std::collections::HashMap;

use apache_avro::types::Value as Avro;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Decimal256Type, Float32Type, Float64Type, Int8Type, Int16Type,
    Int32Type, Int64Type, Time32MillisecondType, TimestampMillisecondType,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use kafka_s3_sink::convert::Converter;
use kafka_s3_sink::format::Compression;
use kafka_s3_sink::format::avro::{AvroCodec, AvroFormat, sync_marker};
use kafka_s3_sink::format::bytearray::ByteArrayFormat;
use kafka_s3_sink::format::parquet::{CREATED_BY, ParquetCodec, ParquetFormat};
use kafka_s3_sink::format::schema::{EncodeRecord, schema_fingerprint};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::{FileReader, SerializedFileReader};
use serde_json::{Value, json};

const O1: &str = r#"{"order_id":"1","customer_id":"123","book_id":"456","quantity":2,"price":29.99,"dt":"2023-10-01"}"#;
const O2: &str = r#"{"order_id":"2","customer_id":"124","book_id":"457","quantity":1,"price":15.99,"dt":"2023-10-02"}"#;
const O3: &str = r#"{"order_id":"3","customer_id":"125","book_id":"458","quantity":3,"price":45.0,"dt":"2023-10-03"}"#;
const ORDER_SCHEMA: &str = r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"order_id"},{"type":"string","optional":false,"field":"customer_id"},{"type":"string","optional":false,"field":"book_id"},{"type":"int32","optional":false,"field":"quantity"},{"type":"double","optional":false,"field":"price"},{"type":"string","optional":false,"field":"dt"}]}"#;

const PARQUET_CODECS: [ParquetCodec; 7] = ParquetCodec::ALL;
const AVRO_CODECS: [AvroCodec; 5] = [
    AvroCodec::Null,
    AvroCodec::Deflate,
    AvroCodec::Snappy,
    AvroCodec::Zstd,
    AvroCodec::Bzip2,
];

/// A converted record and its raw bytes, owned so tests can borrow [`EncodeRecord`]s from it.
struct Owned {
    value: Value,
    schema: Option<Value>,
    raw: Vec<u8>,
    offset: i64,
}

/// Runs raw message texts through the real `JsonConverter`.
fn convert(messages: &[String], schemas_enable: bool) -> Vec<Owned> {
    let c = Converter::Json {
        schemas_enable,
        replace_null_with_default: true,
    };
    messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let conv = c
                .convert(Some(m.as_bytes()), "value.converter")
                .unwrap()
                .unwrap();
            Owned {
                value: conv.data,
                schema: conv.schema.map(|s| (*s).clone()),
                raw: m.as_bytes().to_vec(),
                offset: 10 + i as i64,
            }
        })
        .collect()
}

fn envelope(schema: &str, payloads: &[&str]) -> Vec<String> {
    payloads
        .iter()
        .map(|p| format!(r#"{{"schema":{schema},"payload":{p}}}"#))
        .collect()
}

fn plain(payloads: &[&str]) -> Vec<String> {
    payloads.iter().map(|p| (*p).to_owned()).collect()
}

fn records(owned: &[Owned]) -> Vec<EncodeRecord<'_>> {
    owned
        .iter()
        .map(|o| EncodeRecord {
            value: &o.value,
            schema: o.schema.as_ref(),
            raw_value: Some(&o.raw),
            topic: "orders",
            partition: 0,
            offset: o.offset,
            timestamp: Some(1_696_118_400_000),
        })
        .collect()
}

fn read_parquet(bytes: &[u8]) -> Vec<RecordBatch> {
    ParquetRecordBatchReaderBuilder::try_new(Bytes::copy_from_slice(bytes))
        .unwrap()
        .build()
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

/// An Arrow value as JSON, for comparing whole rows (decimals as text, temporal types as their
/// integers, binary as base64).
fn cell(a: &ArrayRef, i: usize) -> Value {
    if a.is_null(i) {
        return Value::Null;
    }
    match a.data_type() {
        DataType::Utf8 => json!(a.as_string::<i32>().value(i)),
        DataType::Boolean => json!(a.as_boolean().value(i)),
        DataType::Int8 => json!(a.as_primitive::<Int8Type>().value(i)),
        DataType::Int16 => json!(a.as_primitive::<Int16Type>().value(i)),
        DataType::Int32 => json!(a.as_primitive::<Int32Type>().value(i)),
        DataType::Int64 => json!(a.as_primitive::<Int64Type>().value(i)),
        DataType::Float32 => json!(a.as_primitive::<Float32Type>().value(i)),
        DataType::Float64 => json!(a.as_primitive::<Float64Type>().value(i)),
        DataType::Date32 => json!(a.as_primitive::<Date32Type>().value(i)),
        DataType::Time32(TimeUnit::Millisecond) => {
            json!(a.as_primitive::<Time32MillisecondType>().value(i))
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            json!(a.as_primitive::<TimestampMillisecondType>().value(i))
        }
        DataType::Decimal128(..) => json!(a.as_primitive::<Decimal128Type>().value_as_string(i)),
        DataType::Decimal256(..) => json!(a.as_primitive::<Decimal256Type>().value_as_string(i)),
        DataType::Binary => json!(STANDARD.encode(a.as_binary::<i32>().value(i))),
        DataType::List(_) => {
            let l = a.as_list::<i32>().value(i);
            Value::Array((0..l.len()).map(|j| cell(&l, j)).collect())
        }
        DataType::Struct(fields) => {
            let s = a.as_struct();
            Value::Object(
                fields
                    .iter()
                    .zip(s.columns())
                    .map(|(f, c)| (f.name().clone(), cell(c, i)))
                    .collect(),
            )
        }
        DataType::Map(..) => {
            let m = a.as_map().value(i);
            let (k, v) = (m.column(0), m.column(1));
            Value::Array(
                (0..m.len())
                    .map(|j| json!([cell(k, j), cell(v, j)]))
                    .collect(),
            )
        }
        other => panic!("no test conversion for {other}"),
    }
}

/// All rows of a Parquet file as JSON objects.
fn parquet_rows(bytes: &[u8]) -> Vec<Value> {
    let mut rows = Vec::new();
    for b in read_parquet(bytes) {
        for i in 0..b.num_rows() {
            rows.push(Value::Object(
                b.schema()
                    .fields()
                    .iter()
                    .zip(b.columns())
                    .map(|(f, c)| (f.name().clone(), cell(c, i)))
                    .collect(),
            ));
        }
    }
    rows
}

fn parquet_schema(bytes: &[u8]) -> arrow_schema::SchemaRef {
    ParquetRecordBatchReaderBuilder::try_new(Bytes::copy_from_slice(bytes))
        .unwrap()
        .schema()
        .clone()
}

fn read_avro(bytes: &[u8]) -> (Vec<Avro>, apache_avro::Schema) {
    let reader = apache_avro::Reader::new(bytes).unwrap();
    let schema = reader.writer_schema().clone();
    let values = reader.collect::<Result<Vec<_>, _>>().unwrap();
    (values, schema)
}

fn rec(fields: &[(&str, Avro)]) -> Avro {
    Avro::Record(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

fn s(v: &str) -> Avro {
    Avro::String(v.to_owned())
}

fn some(v: Avro) -> Avro {
    Avro::Union(1, Box::new(v))
}

fn none() -> Avro {
    Avro::Union(0, Box::new(Avro::Null))
}

fn seed_json() -> [Value; 3] {
    [
        json!({"order_id":"1","customer_id":"123","book_id":"456","quantity":2,"price":29.99,"dt":"2023-10-01"}),
        json!({"order_id":"2","customer_id":"124","book_id":"457","quantity":1,"price":15.99,"dt":"2023-10-02"}),
        json!({"order_id":"3","customer_id":"125","book_id":"458","quantity":3,"price":45.0,"dt":"2023-10-03"}),
    ]
}

// ---------------------------------------------------------------------------------------------
// Seed orders

#[test]
fn parquet_seed_orders_with_schema_every_codec() {
    let owned = convert(&envelope(ORDER_SCHEMA, &[O1, O2, O3]), true);
    let recs = records(&owned);
    for codec in PARQUET_CODECS {
        let out = ParquetFormat::new(codec).encode(&recs).unwrap();
        assert_eq!(parquet_rows(&out), seed_json(), "{codec:?}");
        let schema = parquet_schema(&out);
        let types: Vec<(String, DataType, bool)> = schema
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone(), f.is_nullable()))
            .collect();
        assert_eq!(
            types,
            vec![
                ("order_id".into(), DataType::Utf8, false),
                ("customer_id".into(), DataType::Utf8, false),
                ("book_id".into(), DataType::Utf8, false),
                ("quantity".into(), DataType::Int32, false),
                ("price".into(), DataType::Float64, false),
                ("dt".into(), DataType::Utf8, false),
            ]
        );
        let meta = SerializedFileReader::new(Bytes::from(out)).unwrap();
        let md = meta.metadata();
        let expected = match codec {
            ParquetCodec::Snappy => parquet::basic::Compression::SNAPPY,
            ParquetCodec::Gzip => {
                parquet::basic::Compression::GZIP(parquet::basic::GzipLevel::default())
            }
            ParquetCodec::Zstd => {
                parquet::basic::Compression::ZSTD(parquet::basic::ZstdLevel::default())
            }
            ParquetCodec::Lz4 => parquet::basic::Compression::LZ4,
            ParquetCodec::Lz4Raw => parquet::basic::Compression::LZ4_RAW,
            ParquetCodec::Brotli => {
                parquet::basic::Compression::BROTLI(parquet::basic::BrotliLevel::default())
            }
            ParquetCodec::None => parquet::basic::Compression::UNCOMPRESSED,
        };
        // The reader reports the codec, not the level it was written with.
        let got = md.row_group(0).column(0).compression();
        assert_eq!(
            std::mem::discriminant(&got),
            std::mem::discriminant(&expected),
            "{codec:?}"
        );
    }
}

#[test]
fn parquet_seed_orders_schemaless_infers_types() {
    let owned = convert(&plain(&[O1, O2, O3]), false);
    let out = ParquetFormat::new(ParquetCodec::Snappy)
        .encode(&records(&owned))
        .unwrap();
    // Inferred: integers are int64, every column nullable; values unchanged.
    let schema = parquet_schema(&out);
    let types: Vec<(String, DataType, bool)> = schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().clone(), f.is_nullable()))
        .collect();
    assert_eq!(
        types,
        vec![
            ("order_id".into(), DataType::Utf8, true),
            ("customer_id".into(), DataType::Utf8, true),
            ("book_id".into(), DataType::Utf8, true),
            ("quantity".into(), DataType::Int64, true),
            ("price".into(), DataType::Float64, true),
            ("dt".into(), DataType::Utf8, true),
        ]
    );
    assert_eq!(parquet_rows(&out), seed_json());
}

fn avro_seed_rows() -> Vec<Avro> {
    let rows = [
        ("1", "123", "456", 2, 29.99, "2023-10-01"),
        ("2", "124", "457", 1, 15.99, "2023-10-02"),
        ("3", "125", "458", 3, 45.0, "2023-10-03"),
    ];
    rows.iter()
        .map(|(o, c, b, q, p, d)| {
            rec(&[
                ("order_id", s(o)),
                ("customer_id", s(c)),
                ("book_id", s(b)),
                ("quantity", Avro::Int(*q)),
                ("price", Avro::Double(*p)),
                ("dt", s(d)),
            ])
        })
        .collect()
}

#[test]
fn avro_seed_orders_with_schema_every_codec() {
    let owned = convert(&envelope(ORDER_SCHEMA, &[O1, O2, O3]), true);
    let recs = records(&owned);
    for codec in AVRO_CODECS {
        let out = AvroFormat::new(codec)
            .encode(&recs, "topics/orders/partition=0/orders+0+0000000010.avro")
            .unwrap();
        let (values, schema) = read_avro(&out);
        assert_eq!(values, avro_seed_rows(), "{codec:?}");
        let apache_avro::Schema::Record(r) = &schema else {
            panic!("not a record: {schema:?}")
        };
        assert_eq!(
            r.name.fullname(None),
            "io.confluent.connect.avro.ConnectDefault"
        );
        // The header names the codec as Avro does and the marker is the seed's.
        let header = String::from_utf8_lossy(&out[..out.len().min(2048)]).into_owned();
        assert!(header.contains("avro.codec"), "{codec:?}");
        assert!(header.contains(codec.name()), "{codec:?}");
        let marker = sync_marker("topics/orders/partition=0/orders+0+0000000010.avro");
        assert_eq!(&out[out.len() - 16..], &marker);
    }
    // The exact writer schema, as Confluent's AvroData writes it.
    let schema = AvroFormat::new(AvroCodec::Null)
        .writer_schema(&recs)
        .unwrap();
    assert_eq!(
        schema.to_string(),
        r#"{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{"name":"order_id","type":"string"},{"name":"customer_id","type":"string"},{"name":"book_id","type":"string"},{"name":"quantity","type":"int"},{"name":"price","type":"double"},{"name":"dt","type":"string"}]}"#
    );
}

#[test]
fn avro_seed_orders_schemaless() {
    let owned = convert(&plain(&[O1, O2, O3]), false);
    let out = AvroFormat::new(AvroCodec::Snappy)
        .encode(&records(&owned), "k")
        .unwrap();
    let (values, _) = read_avro(&out);
    let expected: Vec<Avro> = [
        ("1", "123", "456", 2, 29.99, "2023-10-01"),
        ("2", "124", "457", 1, 15.99, "2023-10-02"),
        ("3", "125", "458", 3, 45.0, "2023-10-03"),
    ]
    .iter()
    .map(|(o, c, b, q, p, d)| {
        rec(&[
            ("order_id", some(s(o))),
            ("customer_id", some(s(c))),
            ("book_id", some(s(b))),
            ("quantity", some(Avro::Long(*q))),
            ("price", some(Avro::Double(*p))),
            ("dt", some(s(d))),
        ])
    })
    .collect();
    assert_eq!(values, expected);
}

// ---------------------------------------------------------------------------------------------
// Nested structs, arrays, maps, optional fields

const NESTED_SCHEMA: &str = r#"{"type":"struct","name":"com.example.Order","fields":[
  {"type":"string","optional":false,"field":"id"},
  {"type":"struct","optional":false,"field":"customer","fields":[
     {"type":"string","optional":false,"field":"name"},
     {"type":"struct","optional":true,"field":"address","fields":[
        {"type":"string","optional":false,"field":"city"},
        {"type":"string","optional":true,"field":"zip"}]}]},
  {"type":"array","optional":false,"field":"items","items":{"type":"struct","optional":false,"fields":[
     {"type":"string","optional":false,"field":"sku"},
     {"type":"int16","optional":false,"field":"qty"}]}},
  {"type":"array","optional":true,"field":"tags","items":{"type":"string","optional":true}},
  {"type":"map","optional":false,"field":"attrs","keys":{"type":"string","optional":false},"values":{"type":"int64","optional":true}},
  {"type":"map","optional":true,"field":"by_id","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":false}},
  {"type":"bytes","optional":true,"field":"blob"},
  {"type":"int8","optional":true,"field":"flag"},
  {"type":"float","optional":true,"field":"ratio"},
  {"type":"boolean","optional":true,"field":"gift"}
]}"#;

const N1: &str = r#"{"id":"a","customer":{"name":"Ann","address":{"city":"Oslo","zip":"0150"}},"items":[{"sku":"x","qty":1},{"sku":"y","qty":2}],"tags":["new",null],"attrs":{"k1":1,"k2":null},"by_id":[[7,"seven"],[8,"eight"]],"blob":"AAH/","flag":-3,"ratio":0.5,"gift":true}"#;
const N2: &str = r#"{"id":"b","customer":{"name":"Bob","address":null},"items":[],"tags":null,"attrs":{},"by_id":null,"blob":null,"flag":null,"ratio":null,"gift":null}"#;
const N3: &str =
    r#"{"id":"c","customer":{"name":"Cy"},"items":[{"sku":"z","qty":300}],"attrs":{"k":5}}"#;

#[test]
fn parquet_nested_structs_arrays_maps_optionals() {
    let owned = convert(&envelope(NESTED_SCHEMA, &[N1, N2, N3]), true);
    let out = ParquetFormat::new(ParquetCodec::Zstd)
        .encode(&records(&owned))
        .unwrap();
    let rows = parquet_rows(&out);
    assert_eq!(
        rows[0],
        json!({"id":"a","customer":{"name":"Ann","address":{"city":"Oslo","zip":"0150"}},
               "items":[{"sku":"x","qty":1},{"sku":"y","qty":2}],"tags":["new",null],
               "attrs":[["k1",1],["k2",null]],"by_id":[[7,"seven"],[8,"eight"]],"blob":"AAH/",
               "flag":-3,"ratio":0.5,"gift":true})
    );
    assert_eq!(
        rows[1],
        json!({"id":"b","customer":{"name":"Bob","address":null},"items":[],"tags":null,
               "attrs":[],"by_id":null,"blob":null,"flag":null,"ratio":null,"gift":null})
    );
    assert_eq!(
        rows[2],
        json!({"id":"c","customer":{"name":"Cy","address":null},"items":[{"sku":"z","qty":300}],
               "tags":null,"attrs":[["k",5]],"by_id":null,"blob":null,"flag":null,"ratio":null,
               "gift":null})
    );
    let schema = parquet_schema(&out);
    let f = |n: &str| schema.field_with_name(n).unwrap().clone();
    assert!(matches!(f("attrs").data_type(), DataType::Map(..)));
    assert!(matches!(f("items").data_type(), DataType::List(e) if !e.is_nullable()));
    assert!(matches!(f("tags").data_type(), DataType::List(e) if e.is_nullable()));
    assert_eq!(f("flag").data_type(), &DataType::Int8);
    assert_eq!(f("ratio").data_type(), &DataType::Float32);
    assert_eq!(f("blob").data_type(), &DataType::Binary);
    assert!(!f("customer").is_nullable());
    // The Parquet root is named after the record, as parquet-avro names it.
    let reader = SerializedFileReader::new(Bytes::from(out)).unwrap();
    let root = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .root_schema()
        .name()
        .to_owned();
    assert_eq!(root, "com.example.Order");
}

#[test]
fn avro_nested_structs_arrays_maps_optionals() {
    let owned = convert(&envelope(NESTED_SCHEMA, &[N1, N2, N3]), true);
    for codec in AVRO_CODECS {
        let out = AvroFormat::new(codec)
            .encode(&records(&owned), "seed")
            .unwrap();
        let (values, schema) = read_avro(&out);
        let apache_avro::Schema::Record(r) = &schema else {
            panic!("not a record")
        };
        assert_eq!(r.name.fullname(None), "com.example.Order");
        let item = |sku: &str, qty: i32| rec(&[("sku", s(sku)), ("qty", Avro::Int(qty))]);
        let entry = |k: i32, v: &str| rec(&[("key", Avro::Int(k)), ("value", s(v))]);
        assert_eq!(
            values[0],
            rec(&[
                ("id", s("a")),
                (
                    "customer",
                    rec(&[
                        ("name", s("Ann")),
                        (
                            "address",
                            some(rec(&[("city", s("Oslo")), ("zip", some(s("0150")))]))
                        ),
                    ])
                ),
                ("items", Avro::Array(vec![item("x", 1), item("y", 2)])),
                ("tags", some(Avro::Array(vec![some(s("new")), none()]))),
                (
                    "attrs",
                    Avro::Map(HashMap::from([
                        ("k1".to_owned(), some(Avro::Long(1))),
                        ("k2".to_owned(), none()),
                    ]))
                ),
                (
                    "by_id",
                    some(Avro::Array(vec![entry(7, "seven"), entry(8, "eight")]))
                ),
                ("blob", some(Avro::Bytes(vec![0, 1, 255]))),
                ("flag", some(Avro::Int(-3))),
                ("ratio", some(Avro::Float(0.5))),
                ("gift", some(Avro::Boolean(true))),
            ]),
            "{codec:?}"
        );
        assert_eq!(
            values[1],
            rec(&[
                ("id", s("b")),
                ("customer", rec(&[("name", s("Bob")), ("address", none())])),
                ("items", Avro::Array(vec![])),
                ("tags", none()),
                ("attrs", Avro::Map(HashMap::new())),
                ("by_id", none()),
                ("blob", none()),
                ("flag", none()),
                ("ratio", none()),
                ("gift", none()),
            ])
        );
        assert_eq!(values.len(), 3);
    }
}

// ---------------------------------------------------------------------------------------------
// Logical types

const LOGICAL_SCHEMA: &str = r#"{"type":"struct","fields":[
  {"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"field":"amount"},
  {"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"3","connect.decimal.precision":"50"},"field":"big"},
  {"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1,"field":"day"},
  {"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Time","version":1,"field":"at"},
  {"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"ts"}
]}"#;

/// Base64 of the minimal big-endian two's complement bytes, as `JsonConverter` writes decimals.
fn dec(n: i128) -> String {
    let be = n.to_be_bytes();
    let mut start = 0;
    while start < 15 {
        let (b, next) = (be[start], be[start + 1]);
        if (n >= 0 && b == 0 && next & 0x80 == 0) || (n < 0 && b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    STANDARD.encode(&be[start..])
}

fn logical_messages() -> Vec<String> {
    let l1 = format!(
        r#"{{"amount":"{}","big":"{}","day":19631,"at":45296789,"ts":1696118400123}}"#,
        dec(2999),
        dec(-123_456_789_012_345_678_901_234_567_890_123_i128)
    );
    let l2 = format!(
        r#"{{"amount":"{}","big":null,"day":-1,"at":null,"ts":-1}}"#,
        dec(-5)
    );
    envelope(LOGICAL_SCHEMA, &[&l1, &l2])
}

#[test]
fn parquet_logical_types() {
    let owned = convert(&logical_messages(), true);
    let out = ParquetFormat::new(ParquetCodec::Gzip)
        .encode(&records(&owned))
        .unwrap();
    let schema = parquet_schema(&out);
    let types: Vec<DataType> = schema
        .fields()
        .iter()
        .map(|f| f.data_type().clone())
        .collect();
    assert_eq!(
        types,
        vec![
            DataType::Decimal128(38, 2),
            DataType::Decimal256(50, 3),
            DataType::Date32,
            DataType::Time32(TimeUnit::Millisecond),
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        ]
    );
    assert_eq!(
        parquet_rows(&out),
        vec![
            json!({"amount":"29.99","big":"-123456789012345678901234567890.123","day":19631,
                   "at":45296789,"ts":1696118400123_i64}),
            json!({"amount":"-0.05","big":null,"day":-1,"at":null,"ts":-1}),
        ]
    );
    // The Parquet logical types are the ones parquet-avro writes for these Avro logical types.
    let reader = SerializedFileReader::new(Bytes::from(out)).unwrap();
    let descr = reader.metadata().file_metadata().schema_descr_ptr();
    let logical: Vec<String> = (0..descr.num_columns())
        .map(|i| format!("{:?}", descr.column(i).logical_type_ref()))
        .collect();
    assert!(
        logical[0].contains("Decimal") && logical[0].contains("scale: 2"),
        "{logical:?}"
    );
    assert!(logical[2].contains("Date"), "{logical:?}");
    assert!(
        logical[3].contains("Time") && logical[3].contains("MILLIS"),
        "{logical:?}"
    );
    assert!(
        logical[4].contains("Timestamp") && logical[4].contains("is_adjusted_to_u_t_c: true"),
        "{logical:?}"
    );
}

#[test]
fn avro_logical_types() {
    let owned = convert(&logical_messages(), true);
    let out = AvroFormat::new(AvroCodec::Deflate)
        .encode(&records(&owned), "k")
        .unwrap();
    let (values, schema) = read_avro(&out);
    let big = apache_avro::Decimal::from(
        STANDARD
            .decode(dec(-123_456_789_012_345_678_901_234_567_890_123_i128))
            .unwrap(),
    );
    assert_eq!(
        values,
        vec![
            rec(&[
                (
                    "amount",
                    Avro::Decimal(apache_avro::Decimal::from(vec![0x0b, 0xb7]))
                ),
                ("big", some(Avro::Decimal(big))),
                ("day", Avro::Date(19631)),
                ("at", some(Avro::TimeMillis(45_296_789))),
                ("ts", Avro::TimestampMillis(1_696_118_400_123)),
            ]),
            rec(&[
                (
                    "amount",
                    Avro::Decimal(apache_avro::Decimal::from(vec![0xfb]))
                ),
                ("big", none()),
                ("day", Avro::Date(-1)),
                ("at", none()),
                ("ts", Avro::TimestampMillis(-1)),
            ]),
        ]
    );
    let apache_avro::Schema::Record(r) = &schema else {
        panic!("not a record")
    };
    assert!(matches!(
        &r.fields[0].schema,
        apache_avro::Schema::Decimal(d) if d.precision == 64 && d.scale == 2
    ));
    let schema_json = AvroFormat::new(AvroCodec::Null)
        .writer_schema(&records(&owned))
        .unwrap();
    assert_eq!(
        schema_json["fields"][1]["type"][1].to_string(),
        r#"{"type":"bytes","scale":3,"precision":50,"connect.version":1,"connect.parameters":{"scale":"3","connect.decimal.precision":"50"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}"#
    );
    assert_eq!(
        schema_json["fields"][4]["type"].to_string(),
        r#"{"type":"long","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Timestamp","logicalType":"timestamp-millis"}"#
    );
}

#[test]
fn decimal_in_numeric_form_is_accepted() {
    // `decimal.format=NUMERIC` gives JSON numbers; accept them too, rescaled without rounding.
    let schema: Value = serde_json::from_str(LOGICAL_SCHEMA).unwrap();
    let v = json!({"amount": 12.5, "big": null, "day": 0, "at": null, "ts": 0});
    let r = EncodeRecord {
        value: &v,
        schema: Some(&schema),
        raw_value: None,
        topic: "t",
        partition: 0,
        offset: 1,
        timestamp: None,
    };
    let out = ParquetFormat::new(ParquetCodec::None).encode(&[r]).unwrap();
    assert_eq!(parquet_rows(&out)[0]["amount"], json!("12.50"));
    let v = json!({"amount": 12.505, "big": null, "day": 0, "at": null, "ts": 0});
    let r = EncodeRecord { value: &v, ..r };
    let err = ParquetFormat::new(ParquetCodec::None)
        .encode(&[r])
        .unwrap_err()
        .to_string();
    assert!(err.contains("offset 1") && err.contains("amount"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Schemaless inference: widening, null-only fields, nesting, top-level scalars

const MIXED: [&str; 4] = [
    r#"{"id":1,"n":1,"s":"a","o":{"x":1},"arr":[1,2],"nul":null,"deep":{"a":{"b":1}}}"#,
    r#"{"id":2,"n":2.5,"s":7,"o":"text","arr":[3.5],"nul":null,"extra":true,"deep":{"a":{"c":"z"}}}"#,
    r#"{"id":3,"s":{"k":[1]},"arr":[],"nul":null,"deep":{"a":null}}"#,
    r#"{"id":4,"n":null,"s":null,"o":{"y":2},"arr":null,"deep":{}}"#,
];

#[test]
fn parquet_schemaless_widening_and_null_only_fields() {
    let owned = convert(&plain(&MIXED), false);
    let out = ParquetFormat::new(ParquetCodec::Snappy)
        .encode(&records(&owned))
        .unwrap();
    let schema = parquet_schema(&out);
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["id", "n", "s", "o", "arr", "nul", "deep", "extra"]);
    let f = |n: &str| schema.field_with_name(n).unwrap().data_type().clone();
    assert_eq!(f("id"), DataType::Int64);
    assert_eq!(f("n"), DataType::Float64);
    assert_eq!(f("s"), DataType::Utf8);
    assert_eq!(f("o"), DataType::Utf8);
    assert!(matches!(f("arr"), DataType::List(e) if e.data_type() == &DataType::Float64));
    assert_eq!(f("nul"), DataType::Utf8);
    assert_eq!(f("extra"), DataType::Boolean);
    assert!(matches!(f("deep"), DataType::Struct(_)));
    assert_eq!(
        parquet_rows(&out),
        vec![
            json!({"id":1,"n":1.0,"s":"a","o":"{\"x\":1}","arr":[1.0,2.0],"nul":null,
                   "deep":{"a":{"b":1,"c":null}},"extra":null}),
            json!({"id":2,"n":2.5,"s":"7","o":"text","arr":[3.5],"nul":null,
                   "deep":{"a":{"b":null,"c":"z"}},"extra":true}),
            json!({"id":3,"n":null,"s":"{\"k\":[1]}","o":null,"arr":[],"nul":null,
                   "deep":{"a":null},"extra":null}),
            json!({"id":4,"n":null,"s":null,"o":"{\"y\":2}","arr":null,"nul":null,
                   "deep":{"a":null},"extra":null}),
        ]
    );
}

#[test]
fn avro_schemaless_widening_and_null_only_fields() {
    let owned = convert(&plain(&MIXED), false);
    let out = AvroFormat::new(AvroCodec::Zstd)
        .encode(&records(&owned), "k")
        .unwrap();
    let (values, _) = read_avro(&out);
    let deep = |b: Avro, c: Avro| some(rec(&[("a", some(rec(&[("b", b), ("c", c)])))]));
    assert_eq!(
        values[1],
        rec(&[
            ("id", some(Avro::Long(2))),
            ("n", some(Avro::Double(2.5))),
            ("s", some(s("7"))),
            ("o", some(s("text"))),
            ("arr", some(Avro::Array(vec![some(Avro::Double(3.5))]))),
            ("nul", none()),
            ("deep", deep(none(), some(s("z")))),
            ("extra", some(Avro::Boolean(true))),
        ])
    );
    assert_eq!(
        values[0],
        rec(&[
            ("id", some(Avro::Long(1))),
            ("n", some(Avro::Double(1.0))),
            ("s", some(s("a"))),
            ("o", some(s(r#"{"x":1}"#))),
            (
                "arr",
                some(Avro::Array(vec![
                    some(Avro::Double(1.0)),
                    some(Avro::Double(2.0))
                ]))
            ),
            ("nul", none()),
            ("deep", deep(some(Avro::Long(1)), none())),
            ("extra", none()),
        ])
    );
    assert_eq!(values.len(), 4);
    let schema = AvroFormat::new(AvroCodec::Null)
        .writer_schema(&records(&owned))
        .unwrap();
    assert_eq!(schema["fields"][6]["type"][1]["name"], "deep");
    assert_eq!(
        schema["fields"][6]["type"][1]["fields"][0]["type"][1]["name"],
        "deep_a"
    );
}

#[test]
fn top_level_scalars() {
    let owned = convert(&plain(&["1", "2.5", "3"]), false);
    let out = ParquetFormat::new(ParquetCodec::None)
        .encode(&records(&owned))
        .unwrap();
    assert_eq!(
        parquet_rows(&out),
        vec![
            json!({"value":1.0}),
            json!({"value":2.5}),
            json!({"value":3.0})
        ]
    );
    let out = AvroFormat::new(AvroCodec::Null)
        .encode(&records(&owned), "k")
        .unwrap();
    let (values, schema) = read_avro(&out);
    assert_eq!(schema, apache_avro::Schema::Double);
    assert_eq!(
        values,
        vec![Avro::Double(1.0), Avro::Double(2.5), Avro::Double(3.0)]
    );
    // Objects mixed with scalars: one JSON-text column.
    let owned = convert(&plain(&[r#"{"a":1}"#, r#""x""#]), false);
    let out = ParquetFormat::new(ParquetCodec::None)
        .encode(&records(&owned))
        .unwrap();
    assert_eq!(
        parquet_rows(&out),
        vec![json!({"value":"{\"a\":1}"}), json!({"value":"x"})]
    );
    // A Connect schema that is not a struct.
    let owned = convert(
        &envelope(r#"{"type":"string","optional":false}"#, &[r#""hi""#]),
        true,
    );
    let out = ParquetFormat::new(ParquetCodec::None)
        .encode(&records(&owned))
        .unwrap();
    assert_eq!(parquet_rows(&out), vec![json!({"value":"hi"})]);
    let out = AvroFormat::new(AvroCodec::Null)
        .encode(&records(&owned), "k")
        .unwrap();
    assert_eq!(read_avro(&out).0, vec![s("hi")]);
}

// ---------------------------------------------------------------------------------------------
// Determinism

fn all_inputs() -> Vec<Vec<Owned>> {
    vec![
        convert(&envelope(ORDER_SCHEMA, &[O1, O2, O3]), true),
        convert(&plain(&[O1, O2, O3]), false),
        convert(&envelope(NESTED_SCHEMA, &[N1, N2, N3]), true),
        convert(&logical_messages(), true),
        convert(&plain(&MIXED), false),
    ]
}

#[test]
fn same_records_give_identical_bytes() {
    for owned in all_inputs() {
        let recs = records(&owned);
        for codec in PARQUET_CODECS {
            let a = ParquetFormat::new(codec).encode(&recs).unwrap();
            let b = ParquetFormat::new(codec).encode(&recs).unwrap();
            assert_eq!(a, b, "parquet {codec:?}");
        }
        for codec in AVRO_CODECS {
            let a = AvroFormat::new(codec).encode(&recs, "key").unwrap();
            let b = AvroFormat::new(codec).encode(&recs, "key").unwrap();
            assert_eq!(a, b, "avro {codec:?}");
            // Another seed changes only the sync markers.
            let c = AvroFormat::new(codec).encode(&recs, "other").unwrap();
            assert_eq!(a.len(), c.len());
            assert_ne!(a, c);
            assert_eq!(read_avro(&a).0, read_avro(&c).0);
        }
        let f = ByteArrayFormat::default();
        assert_eq!(f.encode(&recs).unwrap(), f.encode(&recs).unwrap());
    }
}

#[test]
fn parquet_metadata_has_no_timestamps() {
    let owned = convert(&envelope(ORDER_SCHEMA, &[O1, O2, O3]), true);
    let out = ParquetFormat::new(ParquetCodec::Snappy)
        .encode(&records(&owned))
        .unwrap();
    let reader = SerializedFileReader::new(Bytes::from(out)).unwrap();
    let fm = reader.metadata().file_metadata();
    assert_eq!(fm.created_by(), Some(CREATED_BY));
    let keys: Vec<&str> = fm
        .key_value_metadata()
        .map(|kv| kv.iter().map(|k| k.key.as_str()).collect())
        .unwrap_or_default();
    // Only the Arrow schema (itself free of timestamps): no write time anywhere.
    assert_eq!(keys, ["ARROW:schema"]);
    assert_eq!(fm.num_rows(), 3);
}

#[test]
fn parquet_row_group_cap() {
    let payloads: Vec<String> = (0..2500)
        .map(|i| format!(r#"{{"i":{i},"s":"row {i}"}}"#))
        .collect();
    let refs: Vec<&str> = payloads.iter().map(String::as_str).collect();
    let owned = convert(&plain(&refs), false);
    let recs = records(&owned);
    // By rows: 2500 rows, 1000 per group.
    let out = ParquetFormat::with_row_group_limits(ParquetCodec::Snappy, 1000, usize::MAX)
        .encode(&recs)
        .unwrap();
    let reader = SerializedFileReader::new(Bytes::from(out.clone())).unwrap();
    let groups: Vec<i64> = reader
        .metadata()
        .row_groups()
        .iter()
        .map(|g| g.num_rows())
        .collect();
    assert_eq!(groups, [1000, 1000, 500]);
    assert_eq!(parquet_rows(&out).len(), 2500);
    assert_eq!(parquet_rows(&out)[2499], json!({"i":2499,"s":"row 2499"}));
    // By bytes: a tiny byte cap gives many groups, all rows kept in order.
    let out = ParquetFormat::with_row_group_limits(ParquetCodec::Snappy, usize::MAX, 8 * 1024)
        .encode(&recs)
        .unwrap();
    let reader = SerializedFileReader::new(Bytes::from(out.clone())).unwrap();
    assert!(reader.metadata().num_row_groups() >= 3);
    let rows = parquet_rows(&out);
    assert_eq!(rows.len(), 2500);
    assert!(rows.iter().enumerate().all(|(i, r)| r["i"] == json!(i)));
    // The default caps keep this small input in one group.
    let out = ParquetFormat::new(ParquetCodec::Snappy)
        .encode(&recs)
        .unwrap();
    let reader = SerializedFileReader::new(Bytes::from(out)).unwrap();
    assert_eq!(reader.metadata().num_row_groups(), 1);
}

#[test]
fn avro_many_blocks_read_back() {
    let payloads: Vec<String> = (0..3000)
        .map(|i| format!(r#"{{"i":{i},"s":"row {i}"}}"#))
        .collect();
    let refs: Vec<&str> = payloads.iter().map(String::as_str).collect();
    let owned = convert(&plain(&refs), false);
    for codec in AVRO_CODECS {
        let f = AvroFormat::new(codec).with_sync_interval(1000);
        let out = f.encode(&records(&owned), "seed").unwrap();
        let marker = sync_marker("seed");
        let blocks = out.windows(16).filter(|w| *w == marker).count();
        assert!(blocks > 30, "{codec:?}: {blocks} markers");
        let (values, _) = read_avro(&out);
        assert_eq!(values.len(), 3000);
        assert_eq!(
            values[2999],
            rec(&[("i", some(Avro::Long(2999))), ("s", some(s("row 2999")))])
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

#[test]
fn value_that_does_not_fit_the_schema_names_the_offset() {
    let schema: Value = serde_json::from_str(ORDER_SCHEMA).unwrap();
    let good: Value = serde_json::from_str(O1).unwrap();
    let bad = json!({"order_id":"2","customer_id":"124","book_id":"457","quantity":"many","price":15.99,"dt":"2023-10-02"});
    let base = EncodeRecord {
        value: &good,
        schema: Some(&schema),
        raw_value: None,
        topic: "orders",
        partition: 1,
        offset: 41,
        timestamp: None,
    };
    let recs = [
        base,
        EncodeRecord {
            value: &bad,
            offset: 42,
            ..base
        },
    ];
    let want = "cannot encode record: record at offset 42 (orders-1), field quantity: expected an \
                integer (int32), found \"many\"";
    let err = ParquetFormat::new(ParquetCodec::Snappy)
        .encode(&recs)
        .unwrap_err()
        .to_string();
    assert_eq!(err, want);
    let err = AvroFormat::new(AvroCodec::Null)
        .encode(&recs, "k")
        .unwrap_err()
        .to_string();
    assert_eq!(err, want);

    // Required field missing, out-of-range int, and a schema change inside one file.
    let missing = json!({"order_id":"2"});
    let recs = [EncodeRecord {
        value: &missing,
        offset: 7,
        ..base
    }];
    for err in [
        ParquetFormat::new(ParquetCodec::None)
            .encode(&recs)
            .unwrap_err()
            .to_string(),
        AvroFormat::new(AvroCodec::Null)
            .encode(&recs, "k")
            .unwrap_err()
            .to_string(),
    ] {
        assert!(
            err.contains("offset 7") && err.contains("customer_id") && err.contains("null"),
            "{err}"
        );
    }
    let other_schema =
        json!({"type":"struct","fields":[{"type":"string","optional":false,"field":"order_id"}]});
    let recs = [
        base,
        EncodeRecord {
            schema: Some(&other_schema),
            offset: 50,
            ..base
        },
    ];
    let err = ParquetFormat::new(ParquetCodec::None)
        .encode(&recs)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("offset 50") && err.contains("different schema"),
        "{err}"
    );
    let err = AvroFormat::new(AvroCodec::Null)
        .encode(&recs, "k")
        .unwrap_err()
        .to_string();
    assert!(err.contains("offset 50"), "{err}");
    assert_ne!(
        schema_fingerprint(Some(&schema)),
        schema_fingerprint(Some(&other_schema))
    );
    // Schemaless records never fail on types: conflicts widen instead.
    let a = json!({"x": 1});
    let b = json!({"x": [true]});
    let recs = [
        EncodeRecord {
            value: &a,
            schema: None,
            ..base
        },
        EncodeRecord {
            value: &b,
            schema: None,
            ..base
        },
    ];
    assert!(ParquetFormat::new(ParquetCodec::None).encode(&recs).is_ok());
}

#[test]
fn int8_out_of_range_is_rejected() {
    let schema = json!({"type":"struct","fields":[{"type":"int8","optional":false,"field":"b"}]});
    let v = json!({"b": 200});
    let r = EncodeRecord {
        value: &v,
        schema: Some(&schema),
        raw_value: None,
        topic: "t",
        partition: 0,
        offset: 3,
        timestamp: None,
    };
    let err = ParquetFormat::new(ParquetCodec::None)
        .encode(&[r])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("offset 3, ") || err.contains("offset 3 "),
        "{err}"
    );
    assert!(err.contains("200 is out of range for int8"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Byte array

#[test]
fn bytearray_writes_raw_values_with_separator() {
    let owned = convert(&plain(&[O1, O2, O3]), false);
    let out = ByteArrayFormat::default().encode(&records(&owned)).unwrap();
    assert_eq!(out, format!("{O1}\n{O2}\n{O3}\n").into_bytes());
    let out = ByteArrayFormat::new(Vec::new(), ".raw".into(), Compression::None)
        .encode(&records(&owned))
        .unwrap();
    assert_eq!(out, format!("{O1}{O2}{O3}").into_bytes());
}

#[test]
fn empty_input_gives_valid_files() {
    let recs: Vec<EncodeRecord<'_>> = Vec::new();
    let out = ParquetFormat::new(ParquetCodec::Snappy)
        .encode(&recs)
        .unwrap();
    assert!(parquet_rows(&out).is_empty());
    let out = AvroFormat::new(AvroCodec::Snappy)
        .encode(&recs, "k")
        .unwrap();
    assert!(read_avro(&out).0.is_empty());
}

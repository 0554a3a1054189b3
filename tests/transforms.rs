//! Single message transforms on real Debezium change events (tests/fixtures/debezium), through
//! the real JsonConverter, with and without schemas; Kafka Connect's transforms and predicates in
//! chains; configuration errors; and the shipped Debezium connector config.

use std::path::{Path, PathBuf};

use kafka_s3_sink::config::{self, Config, RawConfig};
use kafka_s3_sink::convert::{Converted, Converter};
use kafka_s3_sink::event::Header;
use kafka_s3_sink::transform::{TransformChain, TransformRecord};

const TOPIC: &str = "dbserver.inventory.customers";
/// The events of row 1004, in the order Debezium writes them.
const STREAM: [&str; 5] = ["read", "create", "update", "delete", "tombstone"];

const ANNE: &str =
    r#"{"id":1004,"first_name":"Anne","last_name":"Kretchmar","email":"annek@noanswer.org"}"#;
const ANNE_MARIE: &str =
    r#"{"id":1004,"first_name":"Anne Marie","last_name":"Kretchmar","email":"annek@noanswer.org"}"#;
const ANNE_LIVE: &str = r#"{"id":1004,"first_name":"Anne","last_name":"Kretchmar","email":"annek@noanswer.org","__deleted":"false"}"#;
const ANNE_MARIE_LIVE: &str = r#"{"id":1004,"first_name":"Anne Marie","last_name":"Kretchmar","email":"annek@noanswer.org","__deleted":"false"}"#;
const ANNE_MARIE_DELETED: &str = r#"{"id":1004,"first_name":"Anne Marie","last_name":"Kretchmar","email":"annek@noanswer.org","__deleted":"true"}"#;
const DROPPED: &str = "dropped";
const NULL: &str = "null value";

/// The schema of the unwrapped row: Debezium's `after` schema, rebuilt by SchemaBuilder (not
/// optional).
const ROW_SCHEMA: &str = r#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"first_name"},{"type":"string","optional":false,"field":"last_name"},{"type":"string","optional":false,"field":"email"}],"optional":false,"name":"dbserver.inventory.customers.Value"}"#;
const ROW_SCHEMA_REWRITE: &str = r#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"first_name"},{"type":"string","optional":false,"field":"last_name"},{"type":"string","optional":false,"field":"email"},{"type":"string","optional":true,"field":"__deleted"}],"optional":false,"name":"dbserver.inventory.customers.Value"}"#;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn fixture(file: &str) -> Vec<u8> {
    std::fs::read(repo("tests/fixtures/debezium").join(file)).unwrap()
}

/// A fixture through the JsonConverter, as the sink converts record values.
fn convert(name: &str, schemas: bool, prefix: &'static str) -> Option<Converted> {
    let file = if schemas || name == "tombstone" {
        format!("{name}.json")
    } else {
        format!("{name}-schemaless.json")
    };
    Converter::Json {
        schemas_enable: schemas,
        replace_null_with_default: true,
    }
    .convert(Some(&fixture(&file)), prefix)
    .unwrap()
}

fn record(name: &str, schemas: bool, offset: i64) -> TransformRecord {
    TransformRecord {
        topic: TOPIC.to_owned(),
        partition: 0,
        offset,
        timestamp: Some(1_465_491_412_000 + offset),
        key: convert("key", schemas, "key.converter"),
        value: convert(name, schemas, "value.converter"),
        headers: Vec::new(),
    }
}

fn raw(pairs: &[(&str, &str)]) -> RawConfig {
    RawConfig::from_pairs(pairs.iter().copied())
}

fn chain(pairs: &[(&str, &str)]) -> TransformChain {
    TransformChain::from_raw(&raw(pairs)).unwrap().0
}

fn unwrap_chain(options: &[(&'static str, &'static str)]) -> TransformChain {
    let mut pairs = vec![
        ("transforms", "unwrap"),
        (
            "transforms.unwrap.type",
            "io.debezium.transforms.ExtractNewRecordState",
        ),
    ];
    pairs.extend_from_slice(options);
    chain(&pairs)
}

/// What the chain makes of each event of the stream: the value's JSON, "null value", or
/// "dropped".
fn outcomes(chain: &TransformChain, schemas: bool) -> Vec<String> {
    STREAM
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let offset = 100 + i as i64;
            match chain.apply(record(name, schemas, offset)).unwrap() {
                None => DROPPED.to_owned(),
                Some(r) => {
                    assert_eq!(r.offset, offset, "{name}");
                    assert_eq!(r.key, convert("key", schemas, "key.converter"), "{name}");
                    match r.value {
                        None => NULL.to_owned(),
                        Some(v) => v.data.to_string(),
                    }
                }
            }
        })
        .collect()
}

#[test]
fn fixtures_are_what_debezium_writes() {
    // The schema envelope converts and its payload equals the schemaless form.
    for name in ["read", "create", "update", "delete", "heartbeat", "key"] {
        let with = convert(name, true, "value.converter").unwrap();
        let without = convert(name, false, "value.converter").unwrap();
        assert_eq!(with.data, without.data, "{name}");
        assert!(with.schema.is_some() && without.schema.is_none(), "{name}");
    }
    let create = convert("create", true, "value.converter").unwrap();
    let schema = create.schema.unwrap();
    assert_eq!(schema["name"], "dbserver.inventory.customers.Envelope");
    assert_eq!(
        schema["fields"][2]["name"],
        "io.debezium.connector.mysql.Source"
    );
    assert_eq!(create.data["op"], "c");
    for (name, op) in [("read", "r"), ("update", "u"), ("delete", "d")] {
        assert_eq!(
            convert(name, false, "value.converter").unwrap().data["op"],
            op
        );
    }
    assert_eq!(convert("tombstone", true, "value.converter"), None);
    assert_eq!(
        convert("key", false, "key.converter")
            .unwrap()
            .data
            .to_string(),
        r#"{"id":1004}"#
    );
}

#[test]
fn every_delete_tombstone_handling_mode() {
    let cases: [(&str, [&str; 5]); 5] = [
        ("drop", [ANNE, ANNE, ANNE_MARIE, DROPPED, DROPPED]),
        ("tombstone", [ANNE, ANNE, ANNE_MARIE, NULL, DROPPED]),
        (
            "rewrite",
            [
                ANNE_LIVE,
                ANNE_LIVE,
                ANNE_MARIE_LIVE,
                ANNE_MARIE_DELETED,
                DROPPED,
            ],
        ),
        (
            "rewrite-with-tombstone",
            [
                ANNE_LIVE,
                ANNE_LIVE,
                ANNE_MARIE_LIVE,
                ANNE_MARIE_DELETED,
                NULL,
            ],
        ),
        (
            "delete-to-tombstone",
            [ANNE, ANNE, ANNE_MARIE, NULL, DROPPED],
        ),
    ];
    for (mode, expected) in cases {
        let c = unwrap_chain(&[("transforms.unwrap.delete.tombstone.handling.mode", mode)]);
        assert!(c.warnings().is_empty(), "{mode}: {:?}", c.warnings());
        for schemas in [true, false] {
            assert_eq!(outcomes(&c, schemas), expected, "{mode}, schemas {schemas}");
        }
    }
    // No option: Debezium's default, tombstone.
    let c = unwrap_chain(&[]);
    for schemas in [true, false] {
        assert_eq!(
            outcomes(&c, schemas),
            [ANNE, ANNE, ANNE_MARIE, NULL, DROPPED]
        );
    }
    assert_eq!(
        c.describe(),
        ["unwrap: io.debezium.transforms.ExtractNewRecordState"]
    );
}

/// Deprecated options, the outcomes of the stream, and the end of the deprecation warning.
type LegacyCase = (
    &'static [(&'static str, &'static str)],
    [&'static str; 5],
    &'static str,
);

#[test]
fn deprecated_options_behave_as_debezium_2() {
    let cases: [LegacyCase; 7] = [
        (
            &[("transforms.unwrap.drop.tombstones", "true")],
            [ANNE, ANNE, ANNE_MARIE, DROPPED, DROPPED],
            "this is transforms.unwrap.delete.tombstone.handling.mode=drop: set that instead",
        ),
        (
            &[("transforms.unwrap.delete.handling.mode", "drop")],
            [ANNE, ANNE, ANNE_MARIE, DROPPED, DROPPED],
            "this is transforms.unwrap.delete.tombstone.handling.mode=drop: set that instead",
        ),
        (
            &[("transforms.unwrap.drop.tombstones", "false")],
            [ANNE, ANNE, ANNE_MARIE, DROPPED, NULL],
            "no transforms.unwrap.delete.tombstone.handling.mode value does exactly this (delete events dropped, tombstones kept); the nearest is transforms.unwrap.delete.tombstone.handling.mode=tombstone",
        ),
        (
            &[("transforms.unwrap.delete.handling.mode", "none")],
            [ANNE, ANNE, ANNE_MARIE, NULL, DROPPED],
            "this is transforms.unwrap.delete.tombstone.handling.mode=tombstone: set that instead",
        ),
        (
            &[
                ("transforms.unwrap.delete.handling.mode", "none"),
                ("transforms.unwrap.drop.tombstones", "false"),
            ],
            [ANNE, ANNE, ANNE_MARIE, NULL, NULL],
            "no transforms.unwrap.delete.tombstone.handling.mode value does exactly this (delete events turned into tombstones, tombstones kept); the nearest is transforms.unwrap.delete.tombstone.handling.mode=tombstone",
        ),
        (
            &[("transforms.unwrap.delete.handling.mode", "rewrite")],
            [
                ANNE_LIVE,
                ANNE_LIVE,
                ANNE_MARIE_LIVE,
                ANNE_MARIE_DELETED,
                DROPPED,
            ],
            "this is transforms.unwrap.delete.tombstone.handling.mode=rewrite: set that instead",
        ),
        (
            &[
                ("transforms.unwrap.delete.handling.mode", "rewrite"),
                ("transforms.unwrap.drop.tombstones", "false"),
            ],
            [
                ANNE_LIVE,
                ANNE_LIVE,
                ANNE_MARIE_LIVE,
                ANNE_MARIE_DELETED,
                NULL,
            ],
            "this is transforms.unwrap.delete.tombstone.handling.mode=rewrite-with-tombstone: set that instead",
        ),
    ];
    for (options, expected, advice) in cases {
        let c = unwrap_chain(options);
        for schemas in [true, false] {
            assert_eq!(
                outcomes(&c, schemas),
                expected,
                "{options:?}, schemas {schemas}"
            );
        }
        let w = c.warnings();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("deprecated since Debezium 2.5"), "{w:?}");
        assert!(w[0].ends_with(advice), "{options:?}: {w:?}");
    }
    // delete.tombstone.handling.mode wins over the deprecated options.
    let c = unwrap_chain(&[
        (
            "transforms.unwrap.delete.tombstone.handling.mode",
            "rewrite",
        ),
        ("transforms.unwrap.drop.tombstones", "false"),
        ("transforms.unwrap.delete.handling.mode", "none"),
    ]);
    assert_eq!(
        outcomes(&c, false),
        [
            ANNE_LIVE,
            ANNE_LIVE,
            ANNE_MARIE_LIVE,
            ANNE_MARIE_DELETED,
            DROPPED
        ]
    );
    assert_eq!(
        c.warnings(),
        [
            "transforms.unwrap.drop.tombstones and transforms.unwrap.delete.handling.mode ignored because transforms.unwrap.delete.tombstone.handling.mode is set (as Debezium does); remove the deprecated option"
        ]
    );
}

#[test]
fn unwrapped_schemas_follow_connect() {
    let c = unwrap_chain(&[]);
    let out = c.apply(record("create", true, 1)).unwrap().unwrap();
    let v = out.value.unwrap();
    assert_eq!(v.data.to_string(), ANNE);
    assert_eq!(v.schema.unwrap().to_string(), ROW_SCHEMA);
    let c = unwrap_chain(&[(
        "transforms.unwrap.delete.tombstone.handling.mode",
        "rewrite",
    )]);
    for name in ["create", "delete"] {
        let out = c.apply(record(name, true, 1)).unwrap().unwrap();
        assert_eq!(
            out.value.unwrap().schema.unwrap().to_string(),
            ROW_SCHEMA_REWRITE,
            "{name}"
        );
    }
    // The key is left alone, schema and all.
    let out = c.apply(record("update", true, 1)).unwrap().unwrap();
    assert_eq!(out.key, convert("key", true, "key.converter"));
}

#[test]
fn non_change_events_pass_unchanged() {
    let c = unwrap_chain(&[
        (
            "transforms.unwrap.delete.tombstone.handling.mode",
            "rewrite",
        ),
        ("transforms.unwrap.add.fields", "op"),
        ("transforms.unwrap.add.headers", "op"),
    ]);
    for schemas in [true, false] {
        let r = record("heartbeat", schemas, 7);
        assert_eq!(c.apply(r.clone()).unwrap(), Some(r));
    }
}

#[test]
fn add_fields_with_renames_and_struct_fields() {
    let c = unwrap_chain(&[
        (
            "transforms.unwrap.delete.tombstone.handling.mode",
            "rewrite",
        ),
        (
            "transforms.unwrap.add.fields",
            "op,table,source.ts_ms,ts_ms:event_ms,source.db:database,snapshot,lsn",
        ),
    ]);
    let expected_create = r#"{"id":1004,"first_name":"Anne","last_name":"Kretchmar","email":"annek@noanswer.org","__deleted":"false","__op":"c","__table":"customers","__source_ts_ms":1465491411000,"__event_ms":1465491411815,"__database":"inventory","__snapshot":"false"}"#;
    let expected_delete = r#"{"id":1004,"first_name":"Anne Marie","last_name":"Kretchmar","email":"annek@noanswer.org","__deleted":"true","__op":"d","__table":"customers","__source_ts_ms":1465581902300,"__event_ms":1465581902461,"__database":"inventory","__snapshot":"false"}"#;
    for schemas in [true, false] {
        let create = c.apply(record("create", schemas, 1)).unwrap().unwrap();
        let delete = c.apply(record("delete", schemas, 2)).unwrap().unwrap();
        assert_eq!(
            create.value.as_ref().unwrap().data.to_string(),
            expected_create
        );
        assert_eq!(
            delete.value.as_ref().unwrap().data.to_string(),
            expected_delete
        );
        if schemas {
            // Each added field has its envelope schema, made optional, without the default.
            assert_eq!(
                create.value.unwrap().schema.unwrap()["fields"].to_string(),
                concat!(
                    r#"[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"first_name"},"#,
                    r#"{"type":"string","optional":false,"field":"last_name"},{"type":"string","optional":false,"field":"email"},"#,
                    r#"{"type":"string","optional":true,"field":"__deleted"},{"type":"string","optional":true,"field":"__op"},"#,
                    r#"{"type":"string","optional":true,"field":"__table"},{"type":"int64","optional":true,"field":"__source_ts_ms"},"#,
                    r#"{"type":"int64","optional":true,"field":"__event_ms"},{"type":"string","optional":true,"field":"__database"},"#,
                    r#"{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"field":"__snapshot"}]"#
                )
            );
        }
    }
    // A prefix, and `id` (the transaction id, null outside transactions).
    let c = unwrap_chain(&[
        ("transforms.unwrap.add.fields", "op,id"),
        ("transforms.unwrap.add.fields.prefix", "cdc_"),
    ]);
    for schemas in [true, false] {
        let read = c.apply(record("read", schemas, 1)).unwrap().unwrap();
        assert_eq!(
            read.value.unwrap().data.to_string(),
            r#"{"id":1004,"first_name":"Anne","last_name":"Kretchmar","email":"annek@noanswer.org","cdc_op":"r","cdc_id":null}"#
        );
        // In tombstone mode a delete has no row to add fields to.
        let delete = c.apply(record("delete", schemas, 2)).unwrap().unwrap();
        assert_eq!(delete.value, None);
    }
}

#[test]
fn add_headers() {
    let c = unwrap_chain(&[
        (
            "transforms.unwrap.add.headers",
            "op,source.ts_ms,db,gtid,ts_ms:processed",
        ),
        (
            "transforms.unwrap.delete.tombstone.handling.mode",
            "rewrite-with-tombstone",
        ),
    ]);
    let text = |headers: &[Header]| -> Vec<String> {
        headers
            .iter()
            .map(|h| format!("{}={}", h.name, String::from_utf8_lossy(&h.value)))
            .collect()
    };
    for schemas in [true, false] {
        let update = c.apply(record("update", schemas, 1)).unwrap().unwrap();
        assert_eq!(
            text(&update.headers),
            [
                "__op=u",
                "__source_ts_ms=1465581029100",
                "__db=inventory",
                "__gtid=",
                "__processed=1465581029523"
            ]
        );
        let tombstone = c.apply(record("tombstone", schemas, 2)).unwrap().unwrap();
        assert_eq!(text(&tombstone.headers), ["__op=d"]);
    }
    // Existing headers are kept, the new ones appended.
    let mut r = record("create", false, 1);
    r.headers.push(Header {
        name: "trace".into(),
        value: b"x".to_vec(),
    });
    let out = c.apply(r).unwrap().unwrap();
    assert_eq!(text(&out.headers)[..2], ["trace=x", "__op=c"]);
}

#[test]
fn unwrap_then_connect_transforms() {
    let c = chain(&[
        ("transforms", "unwrap,insert,replace,ts"),
        (
            "transforms.unwrap.type",
            "io.debezium.transforms.ExtractNewRecordState",
        ),
        ("transforms.unwrap.delete.tombstone.handling.mode", "drop"),
        (
            "transforms.insert.type",
            "org.apache.kafka.connect.transforms.InsertField$Value",
        ),
        ("transforms.insert.topic.field", "kafka_topic"),
        ("transforms.insert.offset.field", "kafka_offset!"),
        ("transforms.insert.timestamp.field", "written_at"),
        ("transforms.insert.static.field", "origin"),
        ("transforms.insert.static.value", "mysql"),
        (
            "transforms.replace.type",
            "org.apache.kafka.connect.transforms.ReplaceField$Value",
        ),
        ("transforms.replace.exclude", "email,kafka_topic"),
        (
            "transforms.replace.renames",
            "first_name:given,last_name:family",
        ),
        (
            "transforms.ts.type",
            "org.apache.kafka.connect.transforms.TimestampConverter$Value",
        ),
        ("transforms.ts.field", "written_at"),
        ("transforms.ts.target.type", "string"),
        ("transforms.ts.format", "yyyy-MM-dd'T'HH:mm:ss.SSSX"),
    ]);
    let expected = r#"{"id":1004,"given":"Anne Marie","family":"Kretchmar","kafka_offset":3,"written_at":"2016-06-09T16:56:52.003Z","origin":"mysql"}"#;
    for schemas in [true, false] {
        let out = c.apply(record("update", schemas, 3)).unwrap().unwrap();
        let v = out.value.unwrap();
        assert_eq!(v.data.to_string(), expected, "schemas {schemas}");
        if schemas {
            assert_eq!(
                v.schema.unwrap().to_string(),
                concat!(
                    r#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},"#,
                    r#"{"type":"string","optional":false,"field":"given"},{"type":"string","optional":false,"field":"family"},"#,
                    r#"{"type":"int64","optional":false,"field":"kafka_offset"},{"type":"string","optional":true,"field":"written_at"},"#,
                    r#"{"type":"string","optional":true,"field":"origin"}],"optional":false,"name":"dbserver.inventory.customers.Value"}"#
                )
            );
        }
        assert_eq!(c.apply(record("delete", schemas, 4)).unwrap(), None);
        assert_eq!(c.apply(record("tombstone", schemas, 5)).unwrap(), None);
    }
    assert_eq!(
        c.describe(),
        [
            "unwrap: io.debezium.transforms.ExtractNewRecordState (delete.tombstone.handling.mode=drop)",
            "insert: org.apache.kafka.connect.transforms.InsertField$Value (offset.field=kafka_offset!, static.field=origin, static.value=mysql, timestamp.field=written_at, topic.field=kafka_topic)",
            "replace: org.apache.kafka.connect.transforms.ReplaceField$Value (exclude=email,kafka_topic, renames=first_name:given,last_name:family)",
            "ts: org.apache.kafka.connect.transforms.TimestampConverter$Value (field=written_at, format=yyyy-MM-dd'T'HH:mm:ss.SSSX, target.type=string)",
        ]
    );
}

#[test]
fn filters_with_predicates_and_negate() {
    // Keep Debezium's tombstones out of the unwrap (as Debezium's docs suggest), and drop every
    // topic but the customers one.
    let c = chain(&[
        ("transforms", "onlyCustomers,unwrap"),
        ("transforms.onlyCustomers.type", "Filter"),
        ("transforms.onlyCustomers.predicate", "isCustomers"),
        ("transforms.onlyCustomers.negate", "true"),
        ("transforms.unwrap.type", "ExtractNewRecordState"),
        (
            "transforms.unwrap.delete.tombstone.handling.mode",
            "rewrite-with-tombstone",
        ),
        ("transforms.unwrap.predicate", "isTombstone"),
        ("transforms.unwrap.negate", "true"),
        ("predicates", "isTombstone,isCustomers"),
        (
            "predicates.isTombstone.type",
            "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
        ),
        ("predicates.isCustomers.type", "TopicNameMatches"),
        (
            "predicates.isCustomers.pattern",
            r"dbserver\.inventory\.customers",
        ),
    ]);
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    assert_eq!(
        outcomes(&c, true),
        [
            ANNE_LIVE,
            ANNE_LIVE,
            ANNE_MARIE_LIVE,
            ANNE_MARIE_DELETED,
            NULL
        ]
    );
    let mut other = record("create", true, 1);
    other.topic = "dbserver.inventory.orders".into();
    assert_eq!(c.apply(other).unwrap(), None);

    // Drop records that carry a header: HasHeaderKey sees headers added by an earlier stage.
    let c = chain(&[
        ("transforms", "unwrap,dropDeletes"),
        ("transforms.unwrap.type", "ExtractNewRecordState"),
        ("transforms.unwrap.add.headers", "op"),
        ("transforms.dropDeletes.type", "Filter"),
        ("transforms.dropDeletes.predicate", "hasOp"),
        ("predicates", "hasOp"),
        ("predicates.hasOp.type", "HasHeaderKey"),
        ("predicates.hasOp.name", "__op"),
    ]);
    let heartbeat = record("heartbeat", false, 1);
    assert_eq!(c.apply(heartbeat.clone()).unwrap(), Some(heartbeat));
    assert_eq!(c.apply(record("create", false, 2)).unwrap(), None);
}

fn config_errors(pairs: &[(&str, &str)]) -> Vec<String> {
    let mut all = vec![("flush.size", "1")];
    all.extend_from_slice(pairs);
    Config::from_raw(&raw(&all))
        .unwrap_err()
        .errors
        .into_iter()
        .map(|e| format!("{}: {}", e.key, e.message))
        .collect()
}

#[test]
fn bad_config_errors_name_each_key() {
    let e = config_errors(&[
        ("transforms", "unwrap,route,ins,rf,ts,f,ghost"),
        (
            "transforms.unwrap.type",
            "io.debezium.transforms.ExtractNewRecordState",
        ),
        ("transforms.unwrap.delete.tombstone.handling.mode", "soft"),
        ("transforms.unwrap.route.by.field", "tenant"),
        ("transforms.unwrap.add.headers", "a:b:c"),
        (
            "transforms.route.type",
            "org.apache.kafka.connect.transforms.RegexRouter",
        ),
        ("transforms.ins.type", "InsertField$Value"),
        ("transforms.ins.static.field", "x"),
        ("transforms.ins.topic.feld", "t"),
        ("transforms.rf.type", "ReplaceField$Value"),
        ("transforms.rf.renames", "a-b"),
        ("transforms.ts.type", "TimestampConverter$Value"),
        ("transforms.ts.target.type", "Instant"),
        ("transforms.f.type", "Filter"),
        ("transforms.f.predicate", "missing"),
        ("transforms.old.type", "Filter"),
        ("predicates", "p"),
        ("predicates.p.type", "TopicNameMatches"),
    ]);
    let expected_prefixes = [
        "transforms.ghost.type: is required: the class of transform \"ghost\"; supported: io.debezium.transforms.ExtractNewRecordState, org.apache.kafka.connect.transforms.InsertField$Key, ",
        "transforms.old.type: alias \"old\" is not listed in `transforms` (listed: unwrap, route, ins, rf, ts, f, ghost)",
        "transforms.unwrap.delete.tombstone.handling.mode: \"soft\" is not allowed; allowed: drop, tombstone, rewrite, rewrite-with-tombstone, delete-to-tombstone",
        "transforms.unwrap.route.by.field: is not supported",
        "transforms.unwrap.add.headers: \"a:b:c\" is not a field reference",
        "transforms.route.type: \"org.apache.kafka.connect.transforms.RegexRouter\" is not a supported transform \"route\" class; supported: ",
        "transforms.ins.topic.feld: unknown option for InsertField$Value; known options: topic.field, partition.field, ",
        "transforms.ins.static.value: is required when static.field is set",
        "transforms.rf.renames: invalid rename mapping \"a-b\"",
        "transforms.ts.target.type: \"Instant\" is not allowed; allowed: string, unix, Date, Time, Timestamp",
        "transforms.f.predicate: predicate \"missing\" is not listed in `predicates` (listed: p)",
        "predicates.p.pattern: is required by TopicNameMatches",
    ];
    for prefix in expected_prefixes {
        assert!(
            e.iter().any(|m| m.starts_with(prefix)),
            "missing {prefix:?} in {e:#?}"
        );
    }
    assert_eq!(e.len(), expected_prefixes.len(), "{e:#?}");
    // No transform key is also called an unknown key.
    assert!(!e.iter().any(|m| m.contains("unknown key")), "{e:#?}");
}

#[test]
fn bad_records_name_the_transform() {
    let c = unwrap_chain(&[]);
    let mut r = record("create", false, 1);
    r.value = Some(Converted {
        data: serde_json::json!({"before": null, "after": {"id": 1}, "source": {}}),
        schema: None,
    });
    assert_eq!(
        c.apply(r).unwrap_err().to_string(),
        "transform unwrap (ExtractNewRecordState): value is not a Debezium change event: it has \"before\"/\"after\" but no \"op\" field"
    );
    let c = chain(&[
        ("transforms", "unwrap,ts"),
        ("transforms.unwrap.type", "ExtractNewRecordState"),
        ("transforms.ts.type", "TimestampConverter$Value"),
        ("transforms.ts.field", "first_name"),
        ("transforms.ts.target.type", "Timestamp"),
        ("transforms.ts.format", "yyyy-MM-dd"),
    ]);
    assert_eq!(
        c.apply(record("create", false, 1)).unwrap_err().to_string(),
        "transform ts (TimestampConverter$Value): could not parse timestamp: value (Anne) does not match pattern (yyyy-MM-dd): expected a number for 'y' at position 0"
    );
    let c = chain(&[
        ("transforms", "ins"),
        ("transforms.ins.type", "InsertField$Value"),
        ("transforms.ins.static.field", "email"),
        ("transforms.ins.static.value", "x"),
    ]);
    // The envelope is a struct without an `email` field, but unwrapped rows have one.
    assert!(c.apply(record("create", true, 1)).is_ok());
    let c = chain(&[
        ("transforms", "unwrap,ins"),
        ("transforms.unwrap.type", "ExtractNewRecordState"),
        ("transforms.ins.type", "InsertField$Value"),
        ("transforms.ins.static.field", "email"),
        ("transforms.ins.static.value", "x"),
    ]);
    assert_eq!(
        c.apply(record("create", true, 1)).unwrap_err().to_string(),
        "transform ins (InsertField$Value): InsertField: cannot add field \"email\": the schema already has a field of that name"
    );
}

#[test]
fn shipped_debezium_connector_config_now_validates() {
    let config =
        config::load(Some(&repo("examples/configs/dbserver-customers.json")), &[]).unwrap();
    assert_eq!(
        config.transforms.describe(),
        ["unwrap: io.debezium.transforms.ExtractNewRecordState (drop.tombstones=true)"]
    );
    assert!(
        config.warnings.iter().any(|w| w
            .starts_with("transforms.unwrap.drop.tombstones is deprecated since Debezium 2.5")
            && w.ends_with(
                "this is transforms.unwrap.delete.tombstone.handling.mode=drop: set that instead"
            )),
        "{:#?}",
        config.warnings
    );
    for (k, v) in [
        ("transforms", "unwrap"),
        (
            "transforms.unwrap.type",
            "io.debezium.transforms.ExtractNewRecordState",
        ),
        ("transforms.unwrap.drop.tombstones", "true"),
    ] {
        assert!(
            config.effective.contains(&(k.to_owned(), v.to_owned())),
            "{k}: {:#?}",
            config.effective
        );
    }
    // Its converters (schemas.enable=false) and its chain, on the fixture stream: deletes and
    // tombstones dropped, as Debezium 2.x does with drop.tombstones=true.
    let out: Vec<String> = STREAM
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let file = if *name == "tombstone" {
                "tombstone.json".to_owned()
            } else {
                format!("{name}-schemaless.json")
            };
            let value = config
                .value_converter
                .convert(Some(&fixture(&file)), "value.converter")
                .unwrap();
            let key = config
                .key_converter
                .convert(Some(&fixture("key-schemaless.json")), "key.converter")
                .unwrap();
            let r = TransformRecord {
                topic: TOPIC.to_owned(),
                partition: 0,
                offset: i as i64,
                timestamp: None,
                key,
                value,
                headers: Vec::new(),
            };
            match config.transforms.apply(r).unwrap() {
                None => DROPPED.to_owned(),
                Some(r) => r.value.map_or(NULL.to_owned(), |v| v.data.to_string()),
            }
        })
        .collect();
    assert_eq!(out, [ANNE, ANNE, ANNE_MARIE, DROPPED, DROPPED]);
}

#[test]
fn config_without_transforms_has_an_empty_chain() {
    let config = Config::from_raw(&raw(&[("flush.size", "1")])).unwrap();
    assert!(config.transforms.is_empty());
    let r = record("create", true, 1);
    assert_eq!(config.transforms.apply(r.clone()).unwrap(), Some(r));
}

//! The users' connector configs, pasted unchanged, run through the real handler on the
//! shipped events: exact keys and exact file contents.

mod helpers;

use std::collections::BTreeMap;

use helpers::{replay_into, text_tree};

const O1: &str = r#"{"order_id":"1","customer_id":"123","book_id":"456","quantity":2,"price":29.99,"dt":"2023-10-01"}"#;
const O2: &str = r#"{"order_id":"2","customer_id":"124","book_id":"457","quantity":1,"price":15.99,"dt":"2023-10-02"}"#;
const O3: &str = r#"{"order_id":"3","customer_id":"125","book_id":"458","quantity":3,"price":45.0,"dt":"2023-10-03"}"#;

fn expect(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

#[tokio::test]
async fn default_partitioner_seed() {
    let dir = tempfile::tempdir().unwrap();
    let s = replay_into(
        "examples/configs/orders-default.json",
        &["events/orders-msk.json"],
        dir.path(),
    )
    .await
    .unwrap();
    assert_eq!(
        text_tree(dir.path()),
        expect(&[
            (
                "topics/orders/partition=0/orders+0+0000000000.json",
                format!("{O1}\n")
            ),
            (
                "topics/orders/partition=0/orders+0+0000000001.json",
                format!("{O2}\n")
            ),
            (
                "topics/orders/partition=1/orders+1+0000000000.json",
                format!("{O3}\n")
            ),
        ])
    );
    assert_eq!(
        (s[0].records_in, s[0].records_written, s[0].files.len()),
        (3, 3, 3)
    );
}

#[tokio::test]
async fn time_based_partitioner_seed() {
    let dir = tempfile::tempdir().unwrap();
    replay_into(
        "examples/configs/orders-timebased.json",
        &["events/orders-msk.json"],
        dir.path(),
    )
    .await
    .unwrap();
    assert_eq!(
        text_tree(dir.path()),
        expect(&[
            (
                "topics/orders/year=2023/month=10/day=01/orders+0+0000000000.json",
                format!("{O1}\n")
            ),
            (
                "topics/orders/year=2023/month=10/day=02/orders+0+0000000001.json",
                format!("{O2}\n")
            ),
            (
                "topics/orders/year=2023/month=10/day=03/orders+1+0000000000.json",
                format!("{O3}\n")
            ),
        ])
    );
}

#[tokio::test]
async fn field_partitioner_seed_with_schemas() {
    let dir = tempfile::tempdir().unwrap();
    replay_into(
        "examples/configs/orders-field.json",
        &["events/orders-schema-msk.json"],
        dir.path(),
    )
    .await
    .unwrap();
    assert_eq!(
        text_tree(dir.path()),
        expect(&[
            (
                "topics/orders/dt=2023-10-01/orders+0+0000000003.json",
                format!("{O1}\n")
            ),
            (
                "topics/orders/dt=2023-10-02/orders+0+0000000004.json",
                format!("{O2}\n")
            ),
            (
                "topics/orders/dt=2023-10-03/orders+2+0000000010.json",
                format!("{O3}\n")
            ),
        ])
    );
}

#[tokio::test]
async fn properties_seed_on_self_managed_kafka() {
    let dir = tempfile::tempdir().unwrap();
    let s = replay_into(
        "examples/configs/salesdb-customer.properties",
        &["events/salesdb-customer-self-managed.json"],
        dir.path(),
    )
    .await
    .unwrap();
    // flush.size=200: offsets 200..202 share the cell [200, 400) and this invocation.
    assert_eq!(
        text_tree(dir.path()),
        expect(&[(
            "topics/salesdb.salesdb.CUSTOMER/partition=0/salesdb.salesdb.CUSTOMER+0+0000000200.json",
            concat!(
                r#"{"CUST_ID":1,"NAME":"김민준","MKTSEGMENT":"AUTOMOBILE"}"#,
                "\n",
                r#"{"CUST_ID":2,"NAME":"Lee Seo-yeon","MKTSEGMENT":"BUILDING"}"#,
                "\n",
                r#"{"CUST_ID":3,"NAME":"박지호","MKTSEGMENT":"FURNITURE"}"#,
                "\n"
            )
            .to_owned()
        )])
    );
    assert_eq!(s[0].files[0].records, 3);
}

#[tokio::test]
async fn same_event_twice_gives_identical_bytes() {
    for (config, event) in [
        (
            "examples/configs/orders-default.json",
            "events/orders-msk.json",
        ),
        (
            "examples/configs/orders-timebased.json",
            "events/orders-msk.json",
        ),
        (
            "examples/configs/orders-field.json",
            "events/orders-schema-msk.json",
        ),
        (
            "examples/configs/salesdb-customer.properties",
            "events/salesdb-customer-self-managed.json",
        ),
    ] {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        replay_into(config, &[event], a.path()).await.unwrap();
        replay_into(config, &[event, event], b.path())
            .await
            .unwrap();
        let (ta, tb) = (helpers::read_tree(a.path()), helpers::read_tree(b.path()));
        assert!(!ta.is_empty());
        assert_eq!(ta, tb, "{config}");
    }
}

#[tokio::test]
async fn debezium_seed_unwraps_changes_and_drops_deletes_and_tombstones() {
    let dir = tempfile::tempdir().unwrap();
    let s = replay_into(
        "examples/configs/dbserver-customers.json",
        &["events/dbserver-customers-msk.json"],
        dir.path(),
    )
    .await
    .unwrap();
    // Offsets: 0 snapshot read, 1 create, 2 update, 3 delete, 4 tombstone. The pasted config
    // (comments, trailing comma, deprecated drop.tombstones=true) drops the last two.
    assert_eq!(
        text_tree(dir.path()),
        expect(&[
            (
                "topics/dbserver.inventory.customers/yymmdd=20231001/dbserver.inventory.customers+0+0000000000.json",
                concat!(r#"{"id":1001,"first_name":"Sally","last_name":"Thomas","email":"sally.thomas@acme.com","dt":"20231001"}"#, "\n").to_owned()
            ),
            (
                "topics/dbserver.inventory.customers/yymmdd=20231002/dbserver.inventory.customers+0+0000000001.json",
                concat!(
                    r#"{"id":1004,"first_name":"Anne","last_name":"Kretchmar","email":"annek@noanswer.org","dt":"20231002"}"#, "\n",
                    r#"{"id":1004,"first_name":"Anne Marie","last_name":"Kretchmar","email":"annek@noanswer.org","dt":"20231002"}"#, "\n"
                )
                .to_owned()
            ),
        ])
    );
    assert_eq!(
        (
            s[0].records_in,
            s[0].records_written,
            s[0].dropped_by_rule,
            s[0].errored
        ),
        (5, 3, 2, 0)
    );
}

//! Kafka Connect's `org.apache.kafka.connect.transforms.Filter`: drops every record it is
//! applied to. It takes no options and is meant to be guarded by a predicate
//! (`transforms.<alias>.predicate`, optionally with `transforms.<alias>.negate=true`).

use super::TransformRecord;

/// Filter's options: none.
pub(crate) const OPTIONS: &[&str] = &[];

/// Drops the record: always `None`.
pub(crate) fn apply(_record: TransformRecord) -> Option<TransformRecord> {
    None
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use serde_json::json;

    #[test]
    fn filter_drops_what_its_predicate_selects() {
        let c = chain(&[
            ("transforms", "onlyOrders"),
            ("transforms.onlyOrders.type", "Filter"),
            ("transforms.onlyOrders.predicate", "isOrders"),
            ("transforms.onlyOrders.negate", "true"),
            ("predicates", "isOrders"),
            ("predicates.isOrders.type", "TopicNameMatches"),
            ("predicates.isOrders.pattern", "orders"),
        ]);
        let mut r = record(Some(json!({"a": 1})));
        assert_eq!(c.apply(r.clone()).unwrap(), None);
        r.topic = "orders".into();
        assert_eq!(c.apply(r.clone()).unwrap(), Some(r));
        assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    }

    #[test]
    fn filter_drops_tombstones_too() {
        assert_eq!(super::apply(record(None)), None);
        assert_eq!(super::apply(record(Some(json!(1)))), None);
    }
}

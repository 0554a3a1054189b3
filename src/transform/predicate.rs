//! Kafka Connect's predicates (`org.apache.kafka.connect.transforms.predicates.*`), which decide
//! per record whether a transform applies (`transforms.<alias>.predicate`).

use regex_lite::Regex;

use super::{Options, TransformRecord};

/// Every predicate class, by full name.
pub(crate) const CLASSES: &[&str] = &[
    "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
    "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
    "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
];

/// The options of a predicate class.
pub(crate) fn options(class: &str) -> &'static [&'static str] {
    if class.ends_with(".TopicNameMatches") {
        &["pattern"]
    } else if class.ends_with(".HasHeaderKey") {
        &["name"]
    } else {
        &[]
    }
}

/// A configured predicate.
#[derive(Debug, Clone)]
pub(crate) enum Predicate {
    /// `RecordIsTombstone`: the value is null.
    RecordIsTombstone,
    /// `TopicNameMatches`: the whole topic name matches `pattern`.
    TopicNameMatches(Regex),
    /// `HasHeaderKey`: at least one header is called `name`.
    HasHeaderKey(String),
}

impl Predicate {
    /// Builds the predicate of `class` from its options; problems go to `opts`.
    pub(crate) fn configure(class: &str, opts: &mut Options) -> Option<Predicate> {
        if class.ends_with(".TopicNameMatches") {
            let Some(pattern) = opts.non_empty("pattern") else {
                opts.error(
                    "pattern",
                    "is required by TopicNameMatches: a regular expression the whole topic name must match",
                );
                return None;
            };
            // Java's Matcher.matches(): the whole name must match.
            match Regex::new(&format!("^(?:{pattern})$")) {
                Ok(re) => Some(Predicate::TopicNameMatches(re)),
                Err(e) => {
                    opts.error("pattern", format!("invalid regular expression: {e}"));
                    None
                }
            }
        } else if class.ends_with(".HasHeaderKey") {
            let Some(name) = opts.non_empty("name") else {
                opts.error(
                    "name",
                    "is required by HasHeaderKey: the header name to look for",
                );
                return None;
            };
            Some(Predicate::HasHeaderKey(name))
        } else {
            Some(Predicate::RecordIsTombstone)
        }
    }

    /// Whether the predicate holds for `record`.
    pub(crate) fn test(&self, record: &TransformRecord) -> bool {
        match self {
            Predicate::RecordIsTombstone => record.value.is_none(),
            Predicate::TopicNameMatches(re) => re.is_match(&record.topic),
            Predicate::HasHeaderKey(name) => record.headers.iter().any(|h| &h.name == name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::event::Header;
    use serde_json::json;

    fn filter_if(pred: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut pairs = vec![
            ("transforms", "f"),
            (
                "transforms.f.type",
                "org.apache.kafka.connect.transforms.Filter",
            ),
            ("transforms.f.predicate", "p"),
            ("predicates", "p"),
        ];
        pairs.extend_from_slice(pred);
        pairs
    }

    #[test]
    fn topic_name_matches_the_whole_name() {
        let c = chain(&filter_if(&[
            ("predicates.p.type", "TopicNameMatches"),
            ("predicates.p.pattern", "orders-.*"),
        ]));
        let mut r = record(Some(json!(1)));
        r.topic = "orders-eu".into();
        assert_eq!(c.apply(r.clone()).unwrap(), None);
        r.topic = "x-orders-eu".into();
        assert_eq!(c.apply(r.clone()).unwrap(), Some(r));
    }

    #[test]
    fn has_header_key() {
        let c = chain(&filter_if(&[
            (
                "predicates.p.type",
                "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
            ),
            ("predicates.p.name", "skip"),
        ]));
        let mut r = record(Some(json!(1)));
        assert_eq!(c.apply(r.clone()).unwrap(), Some(r.clone()));
        r.headers.push(Header {
            name: "skip".into(),
            value: Vec::new(),
        });
        assert_eq!(c.apply(r).unwrap(), None);
    }

    #[test]
    fn record_is_tombstone() {
        let c = chain(&filter_if(&[("predicates.p.type", "RecordIsTombstone")]));
        assert_eq!(c.apply(record(None)).unwrap(), None);
        assert!(c.apply(record(Some(json!(1)))).unwrap().is_some());
    }

    #[test]
    fn bad_predicate_config_names_the_key() {
        let e = errors(&filter_if(&[("predicates.p.type", "TopicNameMatches")]));
        assert_eq!(
            e,
            [
                "predicates.p.pattern: is required by TopicNameMatches: a regular expression the whole topic name must match"
            ]
        );
        let e = errors(&filter_if(&[
            ("predicates.p.type", "TopicNameMatches"),
            ("predicates.p.pattern", "("),
        ]));
        assert!(
            e[0].starts_with("predicates.p.pattern: invalid regular expression"),
            "{e:?}"
        );
        let e = errors(&filter_if(&[("predicates.p.type", "HasHeaderKey")]));
        assert_eq!(
            e,
            ["predicates.p.name: is required by HasHeaderKey: the header name to look for"]
        );
        let e = errors(&filter_if(&[
            ("predicates.p.type", "RecordIsTombstone"),
            ("predicates.p.name", "x"),
        ]));
        assert_eq!(
            e,
            ["predicates.p.name: unknown option for RecordIsTombstone; it takes no options"]
        );
        let e = errors(&filter_if(&[("predicates.p.type", "IsFoo")]));
        assert_eq!(
            e,
            [
                "predicates.p.type: \"IsFoo\" is not a supported predicate \"p\" class; supported: org.apache.kafka.connect.transforms.predicates.RecordIsTombstone, org.apache.kafka.connect.transforms.predicates.TopicNameMatches, org.apache.kafka.connect.transforms.predicates.HasHeaderKey"
            ]
        );
    }
}

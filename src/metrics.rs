//! CloudWatch Embedded Metric Format: one JSON line per invocation that CloudWatch turns into
//! metrics, with no API calls from the function.

use serde_json::{Value, json};

use crate::handler::InvocationSummary;

/// The CloudWatch namespace of the metrics.
pub const NAMESPACE: &str = "KafkaS3Sink";

/// The EMF document for one invocation. `function` is the dimension value (the function name).
pub fn emf_line(summary: &InvocationSummary, function: &str, timestamp_ms: i64) -> String {
    let metrics = [
        ("RecordsIn", "Count", summary.records_in as i64),
        ("RecordsWritten", "Count", summary.records_written as i64),
        ("RecordsErrored", "Count", summary.errored as i64),
        ("RecordsDropped", "Count", summary.dropped_by_rule as i64),
        ("RecordsRetried", "Count", summary.records_retried as i64),
        ("FilesWritten", "Count", summary.files.len() as i64),
        ("BytesWritten", "Bytes", summary.bytes_written as i64),
    ];
    let mut definitions: Vec<Value> = metrics
        .iter()
        .map(|(name, unit, _)| json!({"Name": name, "Unit": unit}))
        .collect();
    let mut doc = serde_json::Map::new();
    doc.insert("FunctionName".to_owned(), json!(function));
    for (name, _, value) in metrics {
        doc.insert(name.to_owned(), json!(value));
    }
    if let Some(age) = summary.oldest_record_age_ms {
        definitions.push(json!({"Name": "OldestRecordAgeMs", "Unit": "Milliseconds"}));
        doc.insert("OldestRecordAgeMs".to_owned(), json!(age));
    }
    doc.insert(
        "_aws".to_owned(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["FunctionName"]],
                "Metrics": definitions,
            }]
        }),
    );
    Value::Object(doc).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declared_metric_has_a_value() {
        let s = InvocationSummary {
            records_in: 5,
            records_written: 4,
            dropped_by_rule: 1,
            bytes_written: 100,
            oldest_record_age_ms: Some(1234),
            ..InvocationSummary::default()
        };
        let v: Value = serde_json::from_str(&emf_line(&s, "sink", 42)).unwrap();
        assert_eq!(v["_aws"]["Timestamp"], 42);
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Namespace"], NAMESPACE);
        let defs = v["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap();
        assert_eq!(defs.len(), 8);
        for d in defs {
            let name = d["Name"].as_str().unwrap();
            assert!(v[name].is_i64(), "{name} has no value");
        }
        assert_eq!(v["RecordsWritten"], 4);
        assert_eq!(v["OldestRecordAgeMs"], 1234);
        assert_eq!(v["FunctionName"], "sink");
    }
}

//! What the mapping does after an invocation: which partitions commit, which are retried from
//! which offset, and which are given up after `MaximumRetryAttempts`. Pure, so every rule is
//! tested without a broker.

use std::collections::HashMap;

use serde_json::Value;

use super::batch::{PartitionRange, TopicPartition};

/// How failed batches are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// `None`: until the batch succeeds.
    pub maximum_retry_attempts: Option<u32>,
    pub bisect_on_error: bool,
    pub report_batch_item_failures: bool,
}

/// What an invocation returned.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The function returned this response.
    Returned { response: Value, files: usize },
    /// The function failed (or could not be reached); the whole batch failed.
    Failed { error: String },
}

/// What happens to one partition of the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Everything up to `next` is done: commit it.
    Commit { tp: TopicPartition, next: i64 },
    /// Commit `next` (the records before the failure) and read again from `next`.
    Retry {
        tp: TopicPartition,
        next: i64,
        attempt: u32,
        error: String,
    },
    /// Retries are used up: the records `first..=last` are given up and committed, as the
    /// mapping does (it sends them to the on-failure destination).
    Discard {
        tp: TopicPartition,
        first: i64,
        last: i64,
        attempts: u32,
        error: String,
    },
}

/// The mapping's decision after one invocation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decision {
    pub steps: Vec<Step>,
    /// With bisect-on-error: the next batch holds at most this many records.
    pub next_batch_cap: Option<usize>,
    /// A response named failures the mapping ignores (no `--report-batch-item-failures`).
    pub ignored_failures: usize,
}

impl Decision {
    /// Whether any partition is read again.
    pub fn retries(&self) -> bool {
        self.steps.iter().any(|s| matches!(s, Step::Retry { .. }))
    }

    /// Whether no partition moved forward.
    pub fn nothing_committed(&self) -> bool {
        self.steps.iter().all(|s| match s {
            Step::Retry { .. } => true,
            Step::Commit { .. } | Step::Discard { .. } => false,
        })
    }
}

/// A partition named in `batchItemFailures`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ItemFailure {
    tp: TopicPartition,
    offset: i64,
}

/// Reads `batchItemFailures` (`[{"itemIdentifier": {"partition": "topic-N", "offset": O}}]`).
/// `Err` names what was wrong: the mapping then treats the whole batch as failed.
fn item_failures(response: &Value) -> Result<Vec<ItemFailure>, String> {
    let Some(list) = response.get("batchItemFailures") else {
        return Ok(Vec::new());
    };
    let Some(list) = list.as_array() else {
        return Err("batchItemFailures is not a list".into());
    };
    list.iter()
        .map(|item| {
            let id = item.get("itemIdentifier");
            let partition = id.and_then(|i| i.get("partition")).and_then(Value::as_str);
            let offset = id.and_then(|i| i.get("offset")).and_then(|o| {
                o.as_i64()
                    .or_else(|| o.as_str().and_then(|s| s.parse().ok()))
            });
            let (Some(partition), Some(offset)) = (partition, offset) else {
                return Err(format!(
                    "batchItemFailures entry {item} has no itemIdentifier with partition and offset"
                ));
            };
            let (topic, number) = partition
                .rsplit_once('-')
                .and_then(|(t, n)| Some((t, n.parse::<i32>().ok()?)))
                .ok_or_else(|| {
                    format!("batchItemFailures partition {partition:?} is not \"topic-N\"")
                })?;
            Ok(ItemFailure {
                tp: (topic.to_owned(), number),
                offset,
            })
        })
        .collect()
}

/// Attempts per partition at the offset it is being retried from.
#[derive(Debug)]
pub struct RetryState {
    policy: RetryPolicy,
    attempts: HashMap<TopicPartition, (i64, u32)>,
}

impl RetryState {
    pub fn new(policy: RetryPolicy) -> RetryState {
        RetryState {
            policy,
            attempts: HashMap::new(),
        }
    }

    /// Whether `tp` is being retried.
    pub fn is_failing(&self, tp: &TopicPartition) -> bool {
        self.attempts.contains_key(tp)
    }

    /// Forgets a partition (revoked: its new owner starts from the committed offset).
    pub fn forget(&mut self, keep: impl Fn(&TopicPartition) -> bool) {
        self.attempts.retain(|tp, _| keep(tp));
    }

    /// The decision after the invocation of a batch with these `ranges`.
    pub fn decide(&mut self, ranges: &[PartitionRange], outcome: &Outcome) -> Decision {
        let policy = self.policy;
        let tp = |r: &PartitionRange| (r.topic.clone(), r.partition);
        // The offset each failed partition is retried from, and why.
        let mut failed: HashMap<TopicPartition, (i64, String)> = HashMap::new();
        let mut decision = Decision::default();
        let whole_batch = |error: &str| -> HashMap<TopicPartition, (i64, String)> {
            ranges
                .iter()
                .map(|r| (tp(r), (r.first, error.to_owned())))
                .collect()
        };
        let mut whole_batch_failed = false;
        match outcome {
            Outcome::Failed { error } => {
                failed = whole_batch(error);
                whole_batch_failed = true;
            }
            Outcome::Returned { response, .. } => match item_failures(response) {
                Ok(items) if items.is_empty() => {}
                Ok(items) if !policy.report_batch_item_failures => {
                    decision.ignored_failures = items.len();
                }
                Ok(items) => {
                    let why = |tp: &TopicPartition| {
                        partition_error(response, tp)
                            .unwrap_or_else(|| "named in batchItemFailures".to_owned())
                    };
                    for item in items {
                        let range = ranges.iter().find(|r| tp(r) == item.tp);
                        match range {
                            Some(r) if (r.first..=r.last).contains(&item.offset) => {
                                let error = why(&item.tp);
                                let entry = failed.entry(item.tp).or_insert((item.offset, error));
                                entry.0 = entry.0.min(item.offset);
                            }
                            _ => {
                                // The mapping cannot act on an identifier outside the batch:
                                // the whole batch is retried.
                                failed = whole_batch(&format!(
                                    "batchItemFailures names {}-{} offset {}, which is not in the batch",
                                    item.tp.0, item.tp.1, item.offset
                                ));
                                whole_batch_failed = true;
                                break;
                            }
                        }
                    }
                }
                Err(error) => {
                    failed = whole_batch(&format!("invalid response: {error}"));
                    whole_batch_failed = true;
                }
            },
        }
        for r in ranges {
            let key = tp(r);
            match failed.remove(&key) {
                None => {
                    self.attempts.remove(&key);
                    decision.steps.push(Step::Commit {
                        tp: key,
                        next: r.last + 1,
                    });
                }
                Some((from, error)) => {
                    let attempt = match self.attempts.get(&key) {
                        Some((at, n)) if *at == from => n + 1,
                        _ => 1,
                    };
                    let exhausted = policy
                        .maximum_retry_attempts
                        .is_some_and(|max| attempt > max);
                    if exhausted {
                        self.attempts.remove(&key);
                        decision.steps.push(Step::Discard {
                            tp: key,
                            first: from,
                            last: r.last,
                            attempts: attempt - 1,
                            error,
                        });
                    } else {
                        self.attempts.insert(key.clone(), (from, attempt));
                        decision.steps.push(Step::Retry {
                            tp: key,
                            next: from,
                            attempt,
                            error,
                        });
                    }
                }
            }
        }
        let records: usize = ranges.iter().map(|r| r.records).sum();
        if whole_batch_failed && policy.bisect_on_error && decision.retries() && records > 1 {
            decision.next_batch_cap = Some(records / 2);
        }
        decision
    }
}

/// The error the handler's summary gives for a failed partition, when it gives one.
fn partition_error(response: &Value, tp: &TopicPartition) -> Option<String> {
    response
        .get("failed_partitions")?
        .as_array()?
        .iter()
        .find(|f| {
            f.get("topic").and_then(Value::as_str) == Some(tp.0.as_str())
                && f.get("partition").and_then(Value::as_i64) == Some(i64::from(tp.1))
        })?
        .get("error")?
        .as_str()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn range(partition: i32, first: i64, last: i64) -> PartitionRange {
        PartitionRange {
            topic: "t".into(),
            partition,
            first,
            last,
            records: (last - first + 1) as usize,
        }
    }

    fn tp(p: i32) -> TopicPartition {
        ("t".into(), p)
    }

    fn policy(max: Option<u32>, bisect: bool, report: bool) -> RetryPolicy {
        RetryPolicy {
            maximum_retry_attempts: max,
            bisect_on_error: bisect,
            report_batch_item_failures: report,
        }
    }

    fn ok(response: Value) -> Outcome {
        Outcome::Returned { response, files: 0 }
    }

    fn failed() -> Outcome {
        Outcome::Failed {
            error: "boom".into(),
        }
    }

    #[test]
    fn success_commits_every_partition_after_its_last_offset() {
        let mut s = RetryState::new(policy(None, false, false));
        let d = s.decide(&[range(0, 0, 9), range(1, 5, 5)], &ok(json!({})));
        assert_eq!(
            d.steps,
            vec![
                Step::Commit {
                    tp: tp(0),
                    next: 10
                },
                Step::Commit { tp: tp(1), next: 6 }
            ]
        );
        assert!(!d.nothing_committed());
    }

    #[test]
    fn a_failed_invocation_retries_the_whole_batch_from_its_first_offsets() {
        let mut s = RetryState::new(policy(None, false, false));
        let ranges = [range(0, 0, 9), range(1, 5, 5)];
        for attempt in 1..=3 {
            let d = s.decide(&ranges, &failed());
            assert_eq!(
                d.steps,
                vec![
                    Step::Retry {
                        tp: tp(0),
                        next: 0,
                        attempt,
                        error: "boom".into()
                    },
                    Step::Retry {
                        tp: tp(1),
                        next: 5,
                        attempt,
                        error: "boom".into()
                    }
                ]
            );
            assert!(d.nothing_committed());
            assert!(s.is_failing(&tp(0)));
        }
        s.decide(&ranges, &ok(json!({})));
        assert!(!s.is_failing(&tp(0)));
    }

    #[test]
    fn retries_are_bounded_then_the_batch_is_discarded() {
        let mut s = RetryState::new(policy(Some(2), false, false));
        let ranges = [range(0, 3, 4)];
        assert!(matches!(
            s.decide(&ranges, &failed()).steps[0],
            Step::Retry { attempt: 1, .. }
        ));
        assert!(matches!(
            s.decide(&ranges, &failed()).steps[0],
            Step::Retry { attempt: 2, .. }
        ));
        assert_eq!(
            s.decide(&ranges, &failed()).steps,
            vec![Step::Discard {
                tp: tp(0),
                first: 3,
                last: 4,
                attempts: 2,
                error: "boom".into()
            }]
        );
        // Zero retries: the first failure discards.
        let mut s = RetryState::new(policy(Some(0), false, false));
        assert!(matches!(
            s.decide(&ranges, &failed()).steps[0],
            Step::Discard { attempts: 0, .. }
        ));
    }

    #[test]
    fn bisect_halves_the_next_batch() {
        let mut s = RetryState::new(policy(None, true, false));
        let d = s.decide(&[range(0, 0, 9), range(1, 0, 1)], &failed());
        assert_eq!(d.next_batch_cap, Some(6));
        let d = s.decide(&[range(0, 0, 0)], &failed());
        assert_eq!(d.next_batch_cap, None, "one record cannot be split");
    }

    #[test]
    fn item_failures_retry_only_their_partitions() {
        let mut s = RetryState::new(policy(None, true, true));
        let response = json!({
            "failed_partitions": [{"topic": "t", "partition": 1, "first_offset": 5, "error": "bad record at 7"}],
            "batchItemFailures": [{"itemIdentifier": {"partition": "t-1", "offset": 5}}]
        });
        let d = s.decide(&[range(0, 0, 9), range(1, 5, 8)], &ok(response));
        assert_eq!(
            d.steps,
            vec![
                Step::Commit {
                    tp: tp(0),
                    next: 10
                },
                Step::Retry {
                    tp: tp(1),
                    next: 5,
                    attempt: 1,
                    error: "bad record at 7".into()
                }
            ]
        );
        assert_eq!(d.next_batch_cap, None, "partial failures are not bisected");
    }

    #[test]
    fn item_failures_are_ignored_without_report_batch_item_failures() {
        let mut s = RetryState::new(policy(None, false, false));
        let response =
            json!({"batchItemFailures": [{"itemIdentifier": {"partition": "t-1", "offset": 5}}]});
        let d = s.decide(&[range(1, 5, 8)], &ok(response));
        assert_eq!(d.steps, vec![Step::Commit { tp: tp(1), next: 9 }]);
        assert_eq!(d.ignored_failures, 1);
    }

    #[test]
    fn identifiers_outside_the_batch_fail_the_whole_batch() {
        let mut s = RetryState::new(policy(None, false, true));
        for response in [
            json!({"batchItemFailures": [{"itemIdentifier": {"partition": "t-1", "offset": 50}}]}),
            json!({"batchItemFailures": [{"itemIdentifier": {"partition": "t-7", "offset": 5}}]}),
            json!({"batchItemFailures": [{"itemIdentifier": "t-1"}]}),
            json!({"batchItemFailures": "t-1"}),
        ] {
            let d = s.decide(&[range(0, 0, 1), range(1, 5, 8)], &ok(response.clone()));
            assert!(d.nothing_committed(), "{response}: {d:?}");
            assert_eq!(d.steps.len(), 2);
        }
    }

    #[test]
    fn dashed_topics_and_string_offsets_are_understood() {
        let mut s = RetryState::new(policy(None, false, true));
        let r = PartitionRange {
            topic: "my-topic".into(),
            partition: 2,
            first: 4,
            last: 6,
            records: 3,
        };
        let response = json!({"batchItemFailures": [{"itemIdentifier": {"partition": "my-topic-2", "offset": "5"}}]});
        let d = s.decide(&[r], &ok(response));
        assert!(matches!(&d.steps[0], Step::Retry { next: 5, .. }));
    }
}

//! The Kafka client's callbacks: rebalances (with AT_TIMESTAMP starting offsets), per-partition
//! statistics (lag, end of partition) and MSK IAM tokens.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rdkafka::client::{ClientContext, OAuthToken};
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::statistics::Statistics;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;

use super::batch::TopicPartition;

/// What the statistics say about one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionStats {
    /// The end of the partition for this consumer: the last stable offset under
    /// `read_committed`, else the high watermark; -1 when unknown.
    pub end: i64,
    /// The offset at which the end of the partition was last reached; -1 when never.
    pub eof: i64,
}

/// How long a broker request made from a callback may take.
const CALLBACK_TIMEOUT: Duration = Duration::from_secs(30);

/// The consumer's context.
pub struct SinkContext {
    at_timestamp_ms: Option<i64>,
    read_committed: bool,
    /// Bumped by every rebalance, so the loop notices revoked partitions.
    rebalances: AtomicU64,
    stats: Mutex<HashMap<TopicPartition, PartitionStats>>,
    msk_iam: Option<MskIam>,
}

/// What an MSK IAM token is made from.
pub struct MskIam {
    pub region: String,
    pub runtime: tokio::runtime::Handle,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SinkContext {
    pub fn new(
        at_timestamp_ms: Option<i64>,
        read_committed: bool,
        msk_iam: Option<MskIam>,
    ) -> SinkContext {
        SinkContext {
            at_timestamp_ms,
            read_committed,
            rebalances: AtomicU64::new(0),
            stats: Mutex::new(HashMap::new()),
            msk_iam,
        }
    }

    /// How many rebalances have happened.
    pub fn rebalances(&self) -> u64 {
        self.rebalances.load(Ordering::Acquire)
    }

    /// The latest statistics of a partition.
    pub fn partition_stats(&self, tp: &TopicPartition) -> Option<PartitionStats> {
        lock(&self.stats).get(tp).copied()
    }

    /// AT_TIMESTAMP: partitions the group has no offset for start at the first record at or
    /// after the timestamp (or at the end when there is none), as the mapping starts.
    fn start_at_timestamp(
        &self,
        consumer: &BaseConsumer<SinkContext>,
        tpl: &mut TopicPartitionList,
        timestamp_ms: i64,
    ) {
        let committed = match consumer.committed_offsets(tpl.clone(), CALLBACK_TIMEOUT) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(
                    "cannot read the group's committed offsets to apply AT_TIMESTAMP: {e}; new partitions start at the end"
                );
                return;
            }
        };
        let mut query = TopicPartitionList::new();
        for e in committed.elements() {
            if e.offset() == Offset::Invalid
                && let Err(err) = query.add_partition_offset(
                    e.topic(),
                    e.partition(),
                    Offset::Offset(timestamp_ms),
                )
            {
                tracing::error!("topic {}, partition {}: {err}", e.topic(), e.partition());
            }
        }
        if query.count() == 0 {
            return;
        }
        match consumer.offsets_for_times(query, CALLBACK_TIMEOUT) {
            Ok(found) => {
                for e in found.elements() {
                    let offset = match e.offset() {
                        Offset::Offset(o) if o >= 0 => Offset::Offset(o),
                        _ => Offset::End,
                    };
                    if let Err(err) = tpl.set_partition_offset(e.topic(), e.partition(), offset) {
                        tracing::error!("topic {}, partition {}: {err}", e.topic(), e.partition());
                    }
                }
            }
            Err(e) => tracing::error!(
                "cannot look up offsets for the starting timestamp {timestamp_ms}: {e}; new partitions start at the end"
            ),
        }
    }
}

impl ClientContext for SinkContext {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = true;

    /// Client errors are logged; reaching the end of a partition is not one (the loop
    /// watches for it to know when it is caught up).
    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        use rdkafka::error::{KafkaError, RDKafkaErrorCode};
        match error {
            KafkaError::PartitionEOF(_) | KafkaError::Global(RDKafkaErrorCode::PartitionEOF) => {
                tracing::debug!("{reason}")
            }
            other => tracing::warn!("Kafka client: {other}: {reason}"),
        }
    }

    fn stats(&self, statistics: Statistics) {
        let mut stats = lock(&self.stats);
        for (topic, t) in statistics.topics {
            for (partition, p) in t.partitions {
                // -1 is librdkafka's internal "unassigned" partition.
                if partition < 0 {
                    continue;
                }
                let end = if self.read_committed {
                    p.ls_offset
                } else {
                    p.hi_offset
                };
                stats.insert(
                    (topic.clone(), partition),
                    PartitionStats {
                        end,
                        eof: p.eof_offset,
                    },
                );
            }
        }
    }

    /// An MSK IAM token, signed with the environment's AWS credentials. librdkafka calls this
    /// from inside a poll, on a thread of the async runtime, so the signing runs on a thread
    /// of its own that may block on the runtime.
    fn generate_oauth_token(
        &self,
        _config: Option<&str>,
    ) -> Result<OAuthToken, Box<dyn std::error::Error>> {
        let Some(iam) = &self.msk_iam else {
            return Err("OAUTHBEARER needs --auth msk-iam".into());
        };
        let region = aws_config::Region::new(iam.region.clone());
        let runtime = iam.runtime.clone();
        let signed = std::thread::spawn(move || {
            runtime.block_on(async {
                tokio::time::timeout(
                    CALLBACK_TIMEOUT,
                    aws_msk_iam_sasl_signer::generate_auth_token(region),
                )
                .await
            })
        })
        .join()
        .map_err(|_| "the MSK IAM token signer stopped unexpectedly")?;
        let (token, expires_ms) = signed
            .map_err(|_| "signing the MSK IAM token took longer than 30 s")?
            .map_err(|e| format!("cannot sign the MSK IAM token: {e}"))?;
        Ok(OAuthToken {
            token,
            principal_name: String::new(),
            lifetime_ms: expires_ms,
        })
    }
}

impl ConsumerContext for SinkContext {
    /// The default (eager) rebalance, plus AT_TIMESTAMP starting offsets for new partitions.
    fn rebalance(
        &self,
        consumer: &BaseConsumer<SinkContext>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        let result = match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                if let Some(ts) = self.at_timestamp_ms {
                    self.start_at_timestamp(consumer, tpl, ts);
                }
                tracing::info!(partitions = tpl.count(), "partitions assigned");
                consumer.assign(tpl)
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                tracing::info!(partitions = tpl.count(), "partitions revoked");
                consumer.unassign()
            }
            other => {
                tracing::error!("rebalance failed: {other:?}");
                consumer.unassign()
            }
        };
        if let Err(e) = result {
            tracing::error!("applying the rebalance failed: {e}");
        }
        self.rebalances.fetch_add(1, Ordering::AcqRel);
    }
}

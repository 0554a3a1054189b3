//! The consumer loop, modelled on kafka-delta-ingest's: gather a batch as the mapping does,
//! invoke, and commit a partition's offsets only after the invocation that covers them
//! succeeded; a failed partition is read again from the offset its retry starts at, and a
//! rebalance drops the batch being gathered (the new owner starts from the committed offsets).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use tokio::sync::watch;

use super::ConsumeError;
use super::batch::{EventHeader, PartitionRange, PendingBatch, PolledRecord, TopicPartition};
use super::client::{MskIam, SinkContext};
use super::invoke::Invoker;
use super::options::{Auth, PAYLOAD_LIMIT_BYTES, Settings};
use super::progress::{Progress, ProgressMode, Totals};
use super::retry::{Outcome, RetryPolicy, RetryState, Step};

/// How long a poll waits for a first record before the loop checks for idleness.
const IDLE_POLL: Duration = Duration::from_millis(250);
/// How long a commit or a seek may take.
const BROKER_TIMEOUT: Duration = Duration::from_secs(30);
/// Backoff before a batch of which nothing succeeded is retried, doubling up to the cap.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// JSON progress lines come this often.
const JSON_PROGRESS_INTERVAL: Duration = Duration::from_secs(5);

/// Why gathering a batch stopped.
enum Gathered {
    /// The batch is ready to be invoked.
    Ready,
    /// No record came: nothing to invoke.
    Nothing,
    /// A signal asked the loop to stop.
    Shutdown,
}

struct Loop {
    consumer: StreamConsumer<SinkContext>,
    settings: Settings,
    invoker: Invoker,
    progress: Progress,
    retry: RetryState,
    header: EventHeader,
    /// The record that did not fit in the last batch (payload limit): the next batch's first.
    carry: Option<PolledRecord>,
    /// With bisect-on-error: the size of the next batch.
    cap: Option<usize>,
    /// Per partition: the offset after the last record handed to us.
    delivered: HashMap<TopicPartition, i64>,
    /// Per partition: the offset we last committed.
    committed: HashMap<TopicPartition, i64>,
    assigned: HashSet<TopicPartition>,
    seen_rebalances: u64,
}

/// Runs the consumer until `--until-idle` finds every partition caught up, or a signal
/// (SIGTERM, SIGINT) asks it to stop; the invocation in flight then finishes and commits
/// first. Returns the run's totals.
pub async fn run(
    settings: Settings,
    invoker: Invoker,
    mode: ProgressMode,
) -> Result<Totals, ConsumeError> {
    let msk_iam = (settings.auth == Auth::MskIam).then(|| MskIam {
        region: settings.region.clone().unwrap_or_default(),
        runtime: tokio::runtime::Handle::current(),
    });
    let read_committed = settings
        .describe_client()
        .iter()
        .any(|(k, v)| k == "isolation.level" && v == "read_committed");
    let context = SinkContext::new(settings.starting_timestamp_ms, read_committed, msk_iam);
    let consumer: StreamConsumer<SinkContext> = settings
        .client_config()
        .create_with_context(context)
        .map_err(|source| ConsumeError::Kafka {
            what: "cannot create the Kafka consumer".into(),
            source,
        })?;
    let topics: Vec<&str> = settings.topics.iter().map(String::as_str).collect();
    consumer
        .subscribe(&topics)
        .map_err(|source| ConsumeError::Kafka {
            what: format!("cannot subscribe to {}", settings.topics.join(", ")),
            source,
        })?;
    let shutdown = shutdown_signal()?;
    let header = EventHeader {
        event_source: settings.event_source,
        event_source_arn: settings.event_source_arn.clone(),
        bootstrap_servers: settings.bootstrap_servers.clone(),
    };
    let retry = RetryState::new(RetryPolicy {
        maximum_retry_attempts: settings.maximum_retry_attempts,
        bisect_on_error: settings.bisect_on_error,
        report_batch_item_failures: settings.report_batch_item_failures,
    });
    let mut l = Loop {
        consumer,
        settings,
        invoker,
        progress: Progress::new(mode, JSON_PROGRESS_INTERVAL),
        retry,
        header,
        carry: None,
        cap: None,
        delivered: HashMap::new(),
        committed: HashMap::new(),
        assigned: HashSet::new(),
        seen_rebalances: 0,
    };
    let reason = l.run(shutdown).await?;
    l.progress.done(reason);
    Ok(l.progress.totals().clone())
}

/// A receiver that turns true on SIGTERM or SIGINT.
fn shutdown_signal() -> Result<watch::Receiver<bool>, ConsumeError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(ConsumeError::Signal)?;
    let mut int = signal(SignalKind::interrupt()).map_err(ConsumeError::Signal)?;
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::info!("stopping: finishing the invocation in flight");
        let _ = tx.send(true);
    });
    Ok(rx)
}

fn topic_partition_list(entries: &[(TopicPartition, i64)]) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::new();
    for ((topic, partition), offset) in entries {
        // Only fails for an offset librdkafka cannot represent, which ours never are.
        let _ = tpl.add_partition_offset(topic, *partition, Offset::Offset(*offset));
    }
    tpl
}

impl Loop {
    async fn run(
        &mut self,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<&'static str, ConsumeError> {
        let mut idle_since: Option<Instant> = None;
        loop {
            if *shutdown.borrow() {
                return Ok("signal");
            }
            let mut batch = PendingBatch::new(self.header.clone());
            match self.gather(&mut batch, &mut shutdown).await? {
                Gathered::Shutdown => return Ok("signal"),
                Gathered::Nothing => {}
                Gathered::Ready => {
                    idle_since = None;
                    if !self.invoke(batch, &mut shutdown).await? {
                        return Ok("signal");
                    }
                }
            }
            self.progress.tick(&self.lag());
            if let Some(wanted) = self.settings.until_idle {
                if self.caught_up() {
                    let since = *idle_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= wanted {
                        return Ok("idle");
                    }
                } else {
                    idle_since = None;
                }
            }
        }
    }

    /// After a rebalance the batch being gathered is dropped: under the eager protocol every
    /// partition is revoked, and the partitions assigned again are read from the committed
    /// offsets, so keeping the records would hand them over twice.
    fn check_rebalance(&mut self, batch: &mut PendingBatch) -> Result<(), ConsumeError> {
        let n = self.consumer.context().rebalances();
        if n == self.seen_rebalances {
            return Ok(());
        }
        self.seen_rebalances = n;
        let assignment = self
            .consumer
            .assignment()
            .map_err(|source| ConsumeError::Kafka {
                what: "cannot read the assignment after a rebalance".into(),
                source,
            })?;
        self.assigned = assignment
            .elements()
            .iter()
            .map(|e| (e.topic().to_owned(), e.partition()))
            .collect();
        batch.retain_partitions(|_| false);
        self.carry = None;
        self.delivered.clear();
        let assigned = &self.assigned;
        self.retry.forget(|tp| assigned.contains(tp));
        self.committed.retain(|tp, _| assigned.contains(tp));
        Ok(())
    }

    /// Gathers records until the batch size, the batching window or the payload limit.
    async fn gather(
        &mut self,
        batch: &mut PendingBatch,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<Gathered, ConsumeError> {
        let limit = self.cap.unwrap_or(self.settings.batch_size);
        let window = self.settings.batching_window;
        let mut deadline: Option<Instant> = None;
        if let Some(r) = self.carry.take() {
            batch.push(r);
            deadline = Some(Instant::now() + window);
        }
        loop {
            self.check_rebalance(batch)?;
            if batch.is_empty() {
                deadline = None;
            }
            if batch.len() >= limit {
                return Ok(Gathered::Ready);
            }
            let wait = deadline.map_or(IDLE_POLL, |d| d.saturating_duration_since(Instant::now()));
            let polled = tokio::select! {
                biased;
                _ = shutdown.changed() => return Ok(Gathered::Shutdown),
                r = tokio::time::timeout(wait, self.consumer.recv()) => r,
            };
            let message = match polled {
                Err(_) if batch.is_empty() => return Ok(Gathered::Nothing),
                Err(_) => return Ok(Gathered::Ready),
                Ok(Err(KafkaError::PartitionEOF(_))) => continue,
                Ok(Err(e)) => {
                    if let Some((code, reason)) = self.consumer.client().fatal_error() {
                        return Err(ConsumeError::Fatal {
                            code: format!("{code:?}"),
                            reason,
                        });
                    }
                    tracing::warn!("Kafka: {e}");
                    continue;
                }
                Ok(Ok(m)) => PolledRecord::from_message(&m),
            };
            // A rebalance served by this poll may have revoked what was gathered.
            self.check_rebalance(batch)?;
            let tp = (message.topic.clone(), message.partition);
            self.delivered.insert(tp, message.record.offset + 1);
            if !batch.is_empty() && batch.bytes_with(&message) > PAYLOAD_LIMIT_BYTES {
                self.carry = Some(message);
                return Ok(Gathered::Ready);
            }
            if message.json_bytes > PAYLOAD_LIMIT_BYTES {
                tracing::warn!(
                    "topic {}, partition {}, offset {}: the record alone is over Lambda's 6 MB payload limit; it is sent alone",
                    message.topic,
                    message.partition,
                    message.record.offset
                );
            }
            batch.push(message);
            deadline.get_or_insert_with(|| Instant::now() + window);
        }
    }

    /// The offset to commit for a partition whose records before `next` are done: past any
    /// transaction markers the client skipped, unless the next record is held for the next
    /// batch.
    fn commit_offset(&self, tp: &TopicPartition, next: i64, positions: &TopicPartitionList) -> i64 {
        if let Some(c) = &self.carry
            && c.topic == tp.0
            && c.partition == tp.1
        {
            return c.record.offset;
        }
        match positions.find_partition(&tp.0, tp.1).map(|e| e.offset()) {
            Some(Offset::Offset(p)) if p > next => p,
            _ => next,
        }
    }

    /// Invokes the function with the batch and applies the mapping's decision. Returns false
    /// when a signal came during a retry backoff.
    async fn invoke(
        &mut self,
        mut batch: PendingBatch,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<bool, ConsumeError> {
        let ranges = batch.ranges();
        let event = batch.take_event();
        let started = Instant::now();
        let outcome = self.invoker.invoke(&event).await;
        let elapsed = started.elapsed();
        let decision = self.retry.decide(&ranges, &outcome);
        if decision.ignored_failures > 0 {
            tracing::warn!(
                "the function named {} failed partition(s) in batchItemFailures, but --report-batch-item-failures is off: like the mapping, the batch is committed and those records are skipped",
                decision.ignored_failures
            );
        }
        let positions = self
            .consumer
            .position()
            .unwrap_or_else(|_| TopicPartitionList::new());
        let range_of = |tp: &TopicPartition| {
            ranges
                .iter()
                .find(|r| r.topic == tp.0 && r.partition == tp.1)
                .cloned()
        };
        let mut commits: Vec<(TopicPartition, i64)> = Vec::new();
        let mut seeks: Vec<(TopicPartition, i64)> = Vec::new();
        let mut committed_records = 0usize;
        let mut first_error: Option<String> = None;
        let mut max_attempt = 0;
        for step in &decision.steps {
            match step {
                Step::Commit { tp, next } => {
                    committed_records += range_of(tp).map_or(0, |r| r.records);
                    commits.push((tp.clone(), self.commit_offset(tp, *next, &positions)));
                }
                Step::Retry {
                    tp,
                    next,
                    attempt,
                    error,
                } => {
                    max_attempt = max_attempt.max(*attempt);
                    tracing::error!(
                        topic = %tp.0,
                        partition = tp.1,
                        offset = next,
                        attempt,
                        "invocation failed, retrying from this offset: {error}"
                    );
                    first_error.get_or_insert_with(|| error.clone());
                    if let Some(r) = range_of(tp)
                        && *next > r.first
                    {
                        committed_records += (*next - r.first) as usize;
                        commits.push((tp.clone(), *next));
                    }
                    seeks.push((tp.clone(), *next));
                }
                Step::Discard {
                    tp,
                    first,
                    last,
                    attempts,
                    error,
                } => {
                    tracing::error!(
                        topic = %tp.0,
                        partition = tp.1,
                        first_offset = first,
                        last_offset = last,
                        attempts,
                        "retries used up (--maximum-retry-attempts): the records are skipped, as the mapping sends them to its on-failure destination: {error}"
                    );
                    first_error.get_or_insert_with(|| error.clone());
                    if let Some(r) = range_of(tp) {
                        let skipped = PartitionRange {
                            first: *first,
                            records: r.records.saturating_sub((*first - r.first) as usize),
                            ..r
                        };
                        self.progress.discarded(&skipped, *attempts, error);
                    }
                    commits.push((tp.clone(), self.commit_offset(tp, last + 1, &positions)));
                }
            }
        }
        let files = match &outcome {
            Outcome::Returned { files, .. } => *files,
            Outcome::Failed { error } => {
                first_error.get_or_insert_with(|| error.clone());
                0
            }
        };
        let ok = !decision.nothing_committed();
        self.progress
            .invocation(&ranges, ok, files, elapsed, first_error.as_deref());
        if !commits.is_empty() {
            let tpl = topic_partition_list(&commits);
            match self.consumer.commit(&tpl, CommitMode::Sync) {
                Ok(()) => {
                    self.progress.committed(committed_records);
                    for (tp, next) in commits {
                        self.committed.insert(tp, next);
                    }
                }
                // The objects are written; the records are read again and rewritten as the
                // same objects, which the file rule makes harmless.
                Err(e) => tracing::warn!(
                    "committing offsets failed ({e}); the records will be read and written again"
                ),
            }
        }
        for ((topic, partition), next) in &seeks {
            self.consumer
                .seek(topic, *partition, Offset::Offset(*next), BROKER_TIMEOUT)
                .map_err(|source| ConsumeError::Seek {
                    topic: topic.clone(),
                    partition: *partition,
                    offset: *next,
                    source,
                })?;
            self.delivered.insert((topic.clone(), *partition), *next);
            if self
                .carry
                .as_ref()
                .is_some_and(|c| &c.topic == topic && c.partition == *partition)
            {
                self.carry = None;
            }
        }
        if let Some(cap) = decision.next_batch_cap {
            self.cap = Some(cap);
        } else if !decision.retries() {
            self.cap = None;
        }
        if decision.nothing_committed() && max_attempt > 0 {
            let backoff = FIRST_BACKOFF
                .saturating_mul(1 << (max_attempt - 1).min(16))
                .min(MAX_BACKOFF);
            tokio::select! {
                _ = shutdown.changed() => return Ok(false),
                _ = tokio::time::sleep(backoff) => {}
            }
        }
        Ok(true)
    }

    /// Whether every assigned partition is caught up: nothing held or failing, and the end of
    /// the partition reached at the offset committed last.
    fn caught_up(&self) -> bool {
        if self.assigned.is_empty() || self.carry.is_some() {
            return false;
        }
        let context = self.consumer.context();
        self.assigned.iter().all(|tp| {
            if self.retry.is_failing(tp) {
                return false;
            }
            let Some(stats) = context.partition_stats(tp) else {
                return false;
            };
            if stats.eof < 0 {
                return false;
            }
            match self.delivered.get(tp) {
                None => true,
                Some(d) => stats.eof >= *d && self.committed.get(tp).is_some_and(|c| c >= d),
            }
        })
    }

    /// Records between the committed offset and the end, per assigned partition.
    fn lag(&self) -> BTreeMap<String, i64> {
        let context = self.consumer.context();
        self.assigned
            .iter()
            .filter_map(|tp| {
                let stats = context.partition_stats(tp)?;
                if stats.end < 0 {
                    return None;
                }
                let at = self.committed.get(tp).copied().unwrap_or(0);
                Some((format!("{}-{}", tp.0, tp.1), (stats.end - at).max(0)))
            })
            .collect()
    }
}

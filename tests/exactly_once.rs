//! Exactly-once under retries: a model-based property test of the file rule, through the real
//! handler, against an in-memory bucket that fails chosen puts (see docs/semantics.md).
//!
//! Each case draws topics and partitions with offset streams (gaps, arbitrary starts), record
//! times over a few windows and a field over a few values, a configuration (flush size,
//! rotation, partitioner, compression, partial batch responses, upload concurrency, and
//! `errors.tolerance=all` with some records that are not JSON, which go to error objects
//! named by the same rule), and the
//! event-source mapping's behaviour: per partition, consecutive successful batches; per
//! invocation, several partitions at once; before each successful invocation, up to three
//! failed attempts that start at the same offsets but may cover more or fewer records, each
//! letting a chosen set of its puts land (nothing, a prefix, a subset, everything, or puts that
//! land and still report an error). After the last successful invocation:
//! (a) every record is in exactly one object, and each object is named by its smallest offset
//!     and holds only records that share topic, partition, offset cell, path and window;
//! (b) the bucket equals, key for key and byte for byte, the bucket of a clean run with the
//!     same successful invocations and no failed attempts;
//! (c) every key is a final object key (no temporary names).
//! Failed attempts must also report what failed: a retryable error, or with partial batch
//! responses exactly the partitions with a failed put, each by its first offset.
//! `EXACTLY_ONCE_LAYOUT_ORACLE=off` drops the layout part of (a), to see what the
//! exactly-once checks catch on their own.
//!
//! The example tests at the end walk through the argument on small cases and pin two limits
//! of the rule (a batch the mapping skips; a re-delivery from further back).
//!
//! `EXACTLY_ONCE_CASES` sets the number of cases (default [`DEFAULT_CASES`]);
//! `EXACTLY_ONCE_CASES=100000 cargo test --release --test exactly_once` is the long run.
//!
//! `tests/exactly_once_s3.rs` reuses [`model`] against the real S3 store, with faults injected
//! on the wire; it includes this file as a module, and [`standalone`] keeps the tests here
//! from running a second time there.

#[path = "helpers/memory_store.rs"]
pub mod memory_store;

/// Cases run when `EXACTLY_ONCE_CASES` is not set.
pub const DEFAULT_CASES: u32 = 2_000;

/// The generator, the interpreter of the mapping's behaviour and the checks, shared with the
/// S3 variant of the property.
pub mod model {
    #![allow(dead_code)]

    use std::collections::{BTreeMap, HashMap};
    use std::fmt;
    use std::io::Read;
    use std::ops::Range;
    use std::sync::Arc;

    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use bytes::Bytes;
    use chrono::{TimeZone, Timelike, Utc};
    use kafka_s3_sink::config::RawConfig;
    use kafka_s3_sink::event::{KafkaEvent, KafkaRecord};
    use kafka_s3_sink::{Config, InvocationSummary, Sink, SinkError};
    use proptest::collection::vec;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::memory_store::{FaultPlan, MemoryStore, PutFate};

    /// The values of the `k` field, which `FieldPartitioner` partitions on.
    pub const FIELD_VALUES: [&str; 3] = ["a", "b", "c"];
    /// `partition.duration.ms` of the time-based partitioner: one minute.
    pub const PARTITION_DURATION_MS: i64 = 60_000;
    /// Record times are `base + slot * SLOT_MS + jitter`: 16 slots span four minutes.
    pub const SLOT_MS: i64 = 15_000;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum PartitionerSpec {
        Default,
        /// `FieldPartitioner` on `k`.
        Field,
        /// `TimeBasedPartitioner` on the record field `ts`, `'h'=HH/'m'=mm`, one minute, UTC.
        TimeBased,
    }

    /// The drawn connector configuration.
    #[derive(Debug, Clone)]
    pub struct ConfigSpec {
        pub flush_size: u64,
        pub rotate_ms: Option<i64>,
        /// `rotate.file.on.partition.change` (Confluent's default, true): with `rotate_ms`,
        /// files are runs of consecutive records, a rotation reason of its own.
        pub rotate_on_partition_change: bool,
        pub partitioner: PartitionerSpec,
        pub gzip: bool,
        pub partial: bool,
        pub concurrency: usize,
        /// `errors.tolerance=all`: records that cannot be converted go to error objects
        /// under `topics/_errors`, named by the same rule; the drawn poison records are sent
        /// only then (without it they would fail every invocation forever).
        pub tolerate: bool,
    }

    impl ConfigSpec {
        /// The connector configuration, as `(key, value)` pairs.
        pub fn pairs(&self, topics: &[String]) -> Vec<(String, String)> {
            let mut pairs: Vec<(String, String)> = vec![
                ("topics".into(), topics.join(",")),
                ("flush.size".into(), self.flush_size.to_string()),
                (
                    "value.converter".into(),
                    "org.apache.kafka.connect.json.JsonConverter".into(),
                ),
                ("value.converter.schemas.enable".into(), "false".into()),
                (
                    "lambda.upload.concurrency".into(),
                    self.concurrency.to_string(),
                ),
            ];
            if let Some(r) = self.rotate_ms {
                pairs.push(("rotate.interval.ms".into(), r.to_string()));
            }
            pairs.push((
                "rotate.file.on.partition.change".into(),
                self.rotate_on_partition_change.to_string(),
            ));
            match self.partitioner {
                PartitionerSpec::Default => {
                    pairs.push(("partitioner.class".into(), "DefaultPartitioner".into()));
                }
                PartitionerSpec::Field => {
                    pairs.push((
                        "partitioner.class".into(),
                        "io.confluent.connect.storage.partitioner.FieldPartitioner".into(),
                    ));
                    pairs.push(("partition.field.name".into(), "k".into()));
                }
                PartitionerSpec::TimeBased => {
                    for (k, v) in [
                        ("partitioner.class", "TimeBasedPartitioner"),
                        ("timestamp.extractor", "RecordField"),
                        ("timestamp.field", "ts"),
                        ("path.format", "'h'=HH/'m'=mm"),
                        ("partition.duration.ms", "60000"),
                        ("timezone", "UTC"),
                        ("locale", "en_US"),
                    ] {
                        pairs.push((k.into(), v.into()));
                    }
                }
            }
            if self.gzip {
                pairs.push(("s3.compression.type".into(), "gzip".into()));
            }
            if self.partial {
                pairs.push(("lambda.partial.batch.response".into(), "true".into()));
            }
            if self.tolerate {
                pairs.push(("errors.tolerance".into(), "all".into()));
            }
            pairs
        }

        /// The validated configuration, with `extra` pairs added.
        pub fn config(&self, topics: &[String], extra: &[(&str, &str)]) -> Arc<Config> {
            let mut pairs = self.pairs(topics);
            pairs.extend(extra.iter().map(|(k, v)| ((*k).into(), (*v).into())));
            let raw = RawConfig::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            Arc::new(Config::from_raw(&raw).expect("the drawn configuration is valid"))
        }

        /// The encoded partition path of a record, computed here, not by the crate.
        pub fn path(&self, r: &Record) -> String {
            match self.partitioner {
                PartitionerSpec::Default => format!("partition={}", r.partition),
                PartitionerSpec::Field => format!("k={}", r.k),
                PartitionerSpec::TimeBased => {
                    let floor = r.ts.div_euclid(PARTITION_DURATION_MS) * PARTITION_DURATION_MS;
                    let t = Utc.timestamp_millis_opt(floor).unwrap();
                    format!("h={:02}/m={:02}", t.hour(), t.minute())
                }
            }
        }

        /// The rotation window of a record, if rotation is on.
        pub fn window(&self, r: &Record) -> Option<i64> {
            self.rotate_ms.map(|w| r.ts.div_euclid(w))
        }

        pub fn extension(&self) -> &'static str {
            if self.gzip { ".json.gz" } else { ".json" }
        }
    }

    /// One drawn record: the gap before it, its time slot and jitter, its field value.
    #[derive(Debug, Clone)]
    pub struct RecordSpec {
        pub gap: i64,
        pub slot: i64,
        pub jitter: i64,
        pub k: usize,
        /// A value that is not JSON (used only with `errors.tolerance=all`).
        pub poison: bool,
    }

    /// One drawn partition: its first offset, its records, and the sizes of its successful
    /// batches (used in turn, cyclically).
    #[derive(Debug, Clone)]
    pub struct StreamSpec {
        pub start: i64,
        pub records: Vec<RecordSpec>,
        pub cuts: Vec<usize>,
    }

    /// A failed attempt: which partitions it carries (bit i: stream i; none set means those of
    /// the successful invocation), how many records of each (cyclic list, clipped to what is
    /// left), and its faults.
    #[derive(Debug, Clone)]
    pub struct FailedSpec<F> {
        pub mask: u16,
        pub lens: Vec<usize>,
        pub faults: F,
    }

    /// An invocation: which partitions advance (bit i: stream i; none set means one chosen
    /// in turn), the failed attempts before it, and faults the successful invocation must
    /// absorb (used by the S3 variant only).
    #[derive(Debug, Clone)]
    pub struct StepSpec<F> {
        pub mask: u16,
        pub failed: Vec<FailedSpec<F>>,
        pub absorbed: Option<F>,
    }

    /// A drawn case. Its `Debug` output is the interpreted plan, which is what a reader of a
    /// counterexample needs.
    #[derive(Clone)]
    pub struct Case<F> {
        pub config: ConfigSpec,
        pub base_ms: i64,
        pub topics: Vec<(String, Vec<StreamSpec>)>,
        pub steps: Vec<StepSpec<F>>,
        /// `(n, bytes)`: the first `n` records of the first partition carry a `pad` field of
        /// `bytes` characters (to make files large enough for multipart uploads).
        pub pad: Option<(usize, usize)>,
    }

    /// Bounds of the generator.
    #[derive(Debug, Clone)]
    pub struct Limits {
        pub topics: Range<usize>,
        pub partitions: Range<usize>,
        pub records: Range<usize>,
        pub max_cut: usize,
        pub max_failed: usize,
        pub max_failed_len: usize,
        pub steps: Range<usize>,
    }

    impl Limits {
        /// The sizes the brief asks for: 1–3 topics of 1–3 partitions of 1–60 records.
        pub fn full() -> Limits {
            Limits {
                topics: 1..4,
                partitions: 1..4,
                records: 1..61,
                max_cut: 25,
                max_failed: 3,
                max_failed_len: 70,
                steps: 1..25,
            }
        }
    }

    fn config_strategy() -> impl Strategy<Value = ConfigSpec> {
        (
            1u64..=10,
            prop_oneof![Just(None), (1i64..=5000).prop_map(Some)],
            prop_oneof![
                Just(PartitionerSpec::Default),
                Just(PartitionerSpec::Field),
                Just(PartitionerSpec::TimeBased)
            ],
            proptest::bool::weighted(0.2),
            any::<bool>(),
            1usize..=8,
            proptest::bool::weighted(0.25),
            proptest::bool::weighted(0.7),
        )
            .prop_map(
                |(
                    flush_size,
                    rotate_ms,
                    partitioner,
                    gzip,
                    partial,
                    concurrency,
                    tolerate,
                    rotate_on_partition_change,
                )| {
                    ConfigSpec {
                        flush_size,
                        rotate_ms,
                        rotate_on_partition_change,
                        partitioner,
                        gzip,
                        partial,
                        concurrency,
                        tolerate,
                    }
                },
            )
    }

    fn stream_strategy(limits: &Limits) -> impl Strategy<Value = StreamSpec> + use<> {
        let record = (
            prop_oneof![5 => Just(0i64), 1 => 1i64..=4],
            0i64..16,
            0i64..3_000,
            0usize..FIELD_VALUES.len(),
            proptest::bool::weighted(0.1),
        )
            .prop_map(|(gap, slot, jitter, k, poison)| RecordSpec {
                gap,
                slot,
                jitter,
                k,
                poison,
            });
        (
            prop_oneof![0i64..40, 0i64..2_000_000_000_000],
            // Half the streams are short (up to a quarter of the maximum), which keeps the
            // debug run fast without giving up long streams.
            prop_oneof![
                vec(
                    record.clone(),
                    limits.records.start..(limits.records.end / 4).max(2)
                ),
                vec(record, limits.records.clone()),
            ],
            vec(1usize..=limits.max_cut, 1..6),
        )
            .prop_map(|(start, records, cuts)| StreamSpec {
                start,
                records,
                cuts,
            })
    }

    /// The strategy of cases whose failed attempts carry faults drawn by `faults`.
    pub fn case_strategy<F, S>(
        limits: Limits,
        faults: S,
        absorbed: Option<S>,
    ) -> impl Strategy<Value = Case<F>>
    where
        F: Clone + fmt::Debug + 'static,
        S: Strategy<Value = F> + Clone + 'static,
    {
        // Failed attempts are as often shorter than a typical batch as they are anything
        // up to `max_failed_len`.
        let len = prop_oneof![1usize..=10, 1usize..=limits.max_failed_len];
        let failed = (any::<u16>(), vec(len, 1..4), faults)
            .prop_map(|(mask, lens, faults)| FailedSpec { mask, lens, faults });
        // Invocations mostly fail at most once before they succeed, sometimes up to
        // `max_failed` times.
        let failures = prop_oneof![
            2 => vec(failed.clone(), 0..=1),
            1 => vec(failed, 0..=limits.max_failed),
        ];
        let absorbed = match absorbed {
            Some(s) => proptest::option::weighted(0.5, s).boxed(),
            None => Just(None).boxed(),
        };
        let step =
            (any::<u16>(), failures, absorbed).prop_map(|(mask, failed, absorbed)| StepSpec {
                mask,
                failed,
                absorbed,
            });
        let topic = (
            "[a-z][a-z0-9.-]{0,7}",
            vec(stream_strategy(&limits), limits.partitions.clone()),
        );
        // Proptest shrinks a tuple's members in order, each as far as it goes: the
        // invocations first, so that the records are shrunk under simple invocations.
        (
            vec(step, limits.steps.clone()),
            config_strategy(),
            vec(topic, limits.topics.clone()),
            1_500_000_000_000i64..1_900_000_000_000,
        )
            .prop_map(|(steps, config, mut topics, base_ms)| {
                // Topic names must differ.
                for i in 0..topics.len() {
                    while topics[..i].iter().any(|(n, _)| *n == topics[i].0) {
                        topics[i].0.push('x');
                    }
                }
                Case {
                    config,
                    base_ms,
                    topics,
                    steps,
                    pad: None,
                }
            })
    }

    /// A record of the model.
    #[derive(Debug, Clone)]
    pub struct Record {
        pub topic: String,
        pub partition: i32,
        pub offset: i64,
        pub ts: i64,
        pub k: &'static str,
        pub pad: usize,
        pub poison: bool,
    }

    /// The error objects' prefix: `errors.prefix`'s default, `{topics.dir}/_errors`.
    pub const ERRORS_PREFIX: &str = "topics/_errors/";

    impl Record {
        /// The bytes of the record value: its JSON, or for a poison record a truncated
        /// object that no JSON converter accepts.
        pub fn value_bytes(&self) -> Vec<u8> {
            if self.poison {
                format!("{{\"n\":{},\"k\":", self.offset).into_bytes()
            } else {
                serde_json::to_vec(&self.value()).unwrap()
            }
        }

        /// The record value: `{"t":..,"p":..,"k":..,"n":offset,"ts":millis[,"pad":..]}`.
        pub fn value(&self) -> Value {
            let mut v = json!({
                "t": self.topic, "p": self.partition, "k": self.k, "n": self.offset, "ts": self.ts,
            });
            if self.pad > 0 {
                v["pad"] = Value::String(padding(self.offset, self.pad));
            }
            v
        }
    }

    /// `len` letters and digits that gzip cannot shrink much, derived from `seed`.
    pub fn padding(seed: i64, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut x = (seed as u64) ^ 0x9E37_79B9_7F4A_7C15;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                ALPHABET[(x % ALPHABET.len() as u64) as usize] as char
            })
            .collect()
    }

    /// One partition's records, in offset order.
    #[derive(Debug, Clone)]
    pub struct Stream {
        pub topic: String,
        pub partition: i32,
        pub records: Vec<Record>,
    }

    /// The records of an attempt: `(stream index, record index range)`.
    pub type Slices = Vec<(usize, Range<usize>)>;

    #[derive(Debug, Clone)]
    pub struct FailedAttempt<F> {
        pub slices: Slices,
        pub faults: F,
    }

    /// One successful invocation and the failed attempts before it.
    #[derive(Debug, Clone)]
    pub struct Step<F> {
        pub failed: Vec<FailedAttempt<F>>,
        pub success: Slices,
        pub absorbed: Option<F>,
    }

    /// A case, interpreted: the streams and the invocations in order.
    #[derive(Debug, Clone)]
    pub struct Plan<F> {
        pub config: ConfigSpec,
        pub topics: Vec<String>,
        pub streams: Vec<Stream>,
        pub steps: Vec<Step<F>>,
        /// Per stream, each record's value and its event form, computed once.
        pub values: Vec<Vec<Value>>,
        pub kafka: Vec<Vec<KafkaRecord>>,
    }

    impl<F: Clone> Case<F> {
        /// The streams and invocations the case describes. Every partition advances by
        /// consecutive batches; a failed attempt starts where the partition's last successful
        /// batch ended. Bounded: every step consumes at least one record.
        pub fn plan(&self) -> Plan<F> {
            let mut streams = Vec::new();
            let mut cuts = Vec::new();
            for (topic, specs) in &self.topics {
                for (p, spec) in specs.iter().enumerate() {
                    let mut offset = spec.start;
                    let records = spec
                        .records
                        .iter()
                        .enumerate()
                        .map(|(i, r)| {
                            if i > 0 {
                                offset += 1 + r.gap;
                            }
                            Record {
                                topic: topic.clone(),
                                partition: p as i32,
                                offset,
                                ts: self.base_ms + r.slot * SLOT_MS + r.jitter,
                                k: FIELD_VALUES[r.k],
                                pad: 0,
                                poison: r.poison && self.config.tolerate,
                            }
                        })
                        .collect();
                    streams.push(Stream {
                        topic: topic.clone(),
                        partition: p as i32,
                        records,
                    });
                    cuts.push(spec.cuts.clone());
                }
            }
            if let Some((n, bytes)) = self.pad {
                for r in streams[0].records.iter_mut().take(n) {
                    r.pad = bytes;
                }
            }
            let mut next = vec![0usize; streams.len()];
            let mut batch_no = vec![0usize; streams.len()];
            let mut steps = Vec::new();
            let mut j = 0;
            loop {
                let remaining: Vec<usize> = (0..streams.len())
                    .filter(|&i| next[i] < streams[i].records.len())
                    .collect();
                if remaining.is_empty() {
                    break;
                }
                let spec = &self.steps[j % self.steps.len()];
                let pick = |mask: u16| -> Vec<usize> {
                    remaining
                        .iter()
                        .copied()
                        .filter(|&i| mask & (1 << (i % 16)) != 0)
                        .collect()
                };
                let mut chosen = pick(spec.mask);
                if chosen.is_empty() {
                    chosen = vec![remaining[j % remaining.len()]];
                }
                let failed = spec
                    .failed
                    .iter()
                    .map(|f| {
                        let mut carried = pick(f.mask);
                        if carried.is_empty() {
                            carried = chosen.clone();
                        }
                        let slices = carried
                            .iter()
                            .enumerate()
                            .map(|(n, &i)| {
                                let left = streams[i].records.len() - next[i];
                                let len = f.lens[n % f.lens.len()].clamp(1, left);
                                (i, next[i]..next[i] + len)
                            })
                            .collect();
                        FailedAttempt {
                            slices,
                            faults: f.faults.clone(),
                        }
                    })
                    .collect();
                let success = chosen
                    .iter()
                    .map(|&i| {
                        let left = streams[i].records.len() - next[i];
                        let len = cuts[i][batch_no[i] % cuts[i].len()].clamp(1, left);
                        let range = next[i]..next[i] + len;
                        next[i] += len;
                        batch_no[i] += 1;
                        (i, range)
                    })
                    .collect();
                steps.push(Step {
                    failed,
                    success,
                    absorbed: spec.absorbed.clone(),
                });
                j += 1;
            }
            let values: Vec<Vec<Value>> = streams
                .iter()
                .map(|s| s.records.iter().map(Record::value).collect())
                .collect();
            let kafka = streams
                .iter()
                .map(|s| {
                    s.records
                        .iter()
                        .map(|r| KafkaRecord {
                            topic: Some(r.topic.clone()),
                            partition: i64::from(r.partition),
                            offset: r.offset,
                            timestamp: Some(r.ts.into()),
                            timestamp_type: Some("CREATE_TIME".into()),
                            key: None,
                            value: Some(STANDARD.encode(r.value_bytes())),
                            headers: Vec::new(),
                            ..Default::default()
                        })
                        .collect()
                })
                .collect();
            Plan {
                config: self.config.clone(),
                topics: self.topics.iter().map(|(t, _)| t.clone()).collect(),
                streams,
                steps,
                values,
                kafka,
            }
        }
    }

    impl<F: Clone + fmt::Debug> fmt::Debug for Case<F> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let plan = self.plan();
            writeln!(f, "Case {{")?;
            let pairs: Vec<String> = self
                .config
                .pairs(&plan.topics)
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            writeln!(f, "  config: {}", pairs.join(", "))?;
            writeln!(
                f,
                "  records (offset:k@ms after {}{}):",
                self.base_ms,
                if self.pad.is_some() { ", padded" } else { "" }
            )?;
            for s in &plan.streams {
                let records: Vec<String> = s
                    .records
                    .iter()
                    .map(|r| format!("{}:{}@{}", r.offset, r.k, r.ts - self.base_ms))
                    .collect();
                writeln!(f, "    {}/{}: {}", s.topic, s.partition, records.join(" "))?;
            }
            writeln!(f, "  invocations:")?;
            for (n, step) in plan.steps.iter().enumerate() {
                for failed in &step.failed {
                    writeln!(
                        f,
                        "    {n}. failed  {} faults {:?}",
                        plan.describe(&failed.slices),
                        failed.faults
                    )?;
                }
                let absorbed = match &step.absorbed {
                    Some(faults) => format!(" absorbing {faults:?}"),
                    None => String::new(),
                };
                writeln!(
                    f,
                    "    {n}. ok      {}{absorbed}",
                    plan.describe(&step.success)
                )?;
            }
            write!(f, "}}")
        }
    }

    impl<F> Plan<F> {
        /// `topic/partition [first..=last]` per slice.
        pub fn describe(&self, slices: &Slices) -> String {
            slices
                .iter()
                .map(|(i, range)| {
                    let s = &self.streams[*i];
                    format!(
                        "{}/{} [{}..={}]",
                        s.topic,
                        s.partition,
                        s.records[range.start].offset,
                        s.records[range.end - 1].offset
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        }

        /// The Lambda event of an attempt, as an MSK event-source mapping sends it.
        pub fn event(&self, slices: &Slices) -> KafkaEvent {
            let mut records: HashMap<String, Vec<KafkaRecord>> = HashMap::new();
            for (i, range) in slices {
                let s = &self.streams[*i];
                records
                    .entry(format!("{}-{}", s.topic, s.partition))
                    .or_default()
                    .extend_from_slice(&self.kafka[*i][range.clone()]);
            }
            KafkaEvent {
                event_source: Some("aws:kafka".into()),
                event_source_arn: Some(
                    "arn:aws:kafka:us-east-1:123456789012:cluster/model/0".into(),
                ),
                bootstrap_servers: Some("b-1.model:9098".into()),
                records,
            }
        }

        pub fn record_count(&self, slices: &Slices) -> usize {
            slices.iter().map(|(_, r)| r.len()).sum()
        }

        /// The validated configuration of the case.
        pub fn sink_config(&self, extra: &[(&str, &str)]) -> Arc<Config> {
            self.config.config(&self.topics, extra)
        }

        /// Which stream a key belongs to, from its file name `{topic}+{partition}+`.
        pub fn stream_of_key(&self, key: &str) -> Option<usize> {
            let name = key.rsplit('/').next().unwrap_or(key);
            self.streams.iter().position(|s| {
                (key.starts_with(&format!("topics/{}/", s.topic))
                    || key.starts_with(&format!("{ERRORS_PREFIX}{}/", s.topic)))
                    && name.starts_with(&format!("{}+{}+", s.topic, s.partition))
            })
        }

        /// Checks what a successful invocation reports.
        pub fn check_success(
            &self,
            slices: &Slices,
            result: Result<InvocationSummary, SinkError>,
        ) -> Result<(), String> {
            let summary = result.map_err(|e| {
                format!(
                    "a fault-free invocation of {} failed: {e}",
                    self.describe(slices)
                )
            })?;
            let poison: usize = slices
                .iter()
                .map(|(i, range)| {
                    self.streams[*i].records[range.clone()]
                        .iter()
                        .filter(|r| r.poison)
                        .count()
                })
                .sum();
            if !summary.failed_partitions.is_empty()
                || summary.records_written != self.record_count(slices) - poison
                || summary.errored != poison
            {
                return Err(format!(
                    "a fault-free invocation of {} wrote {} records, {} errored ({poison} poison), and reported {:?}",
                    self.describe(slices),
                    summary.records_written,
                    summary.errored,
                    summary.failed_partitions
                ));
            }
            Ok(())
        }

        /// Checks what a failed attempt reports, given the fate of each of its puts: any
        /// failed put fails the invocation (retryably), or with partial batch responses
        /// exactly the partitions with a failed put, each named by its first offset.
        pub fn check_failed(
            &self,
            slices: &Slices,
            result: &Result<InvocationSummary, SinkError>,
            fates: &[(String, PutFate)],
        ) -> Result<(), String> {
            let mut failed_streams: Vec<usize> = fates
                .iter()
                .filter(|(_, fate)| fate.errs())
                .map(|(key, _)| {
                    self.stream_of_key(key)
                        .ok_or_else(|| format!("put of an unexpected key {key}"))
                })
                .collect::<Result<_, _>>()?;
            failed_streams.sort();
            failed_streams.dedup();
            let what = || self.describe(slices);
            match result {
                Err(e) if self.config.partial => Err(format!(
                    "with partial batch responses, {} failed as a whole: {e}",
                    what()
                )),
                Err(e) if failed_streams.is_empty() => {
                    Err(format!("{} failed though every put succeeded: {e}", what()))
                }
                Err(e) if !e.is_retryable() || !matches!(e, SinkError::Store { .. }) => Err(
                    format!("{}: a failed put gave a non-retryable error: {e}", what()),
                ),
                Err(_) => Ok(()),
                Ok(_) if !self.config.partial && !failed_streams.is_empty() => Err(format!(
                    "{} succeeded though puts failed: {fates:?}",
                    what()
                )),
                Ok(summary) => {
                    let mut reported: Vec<(usize, i64)> = Vec::new();
                    for f in &summary.failed_partitions {
                        let i = self
                            .streams
                            .iter()
                            .position(|s| s.topic == f.topic && s.partition == f.partition)
                            .ok_or_else(|| format!("unknown failed partition {f:?}"))?;
                        reported.push((i, f.first_offset));
                    }
                    reported.sort();
                    let expected: Vec<(usize, i64)> = failed_streams
                        .iter()
                        .map(|&i| {
                            let range = &slices.iter().find(|(s, _)| *s == i).unwrap().1;
                            (i, self.streams[i].records[range.start].offset)
                        })
                        .collect();
                    if reported != expected {
                        return Err(format!(
                            "{}: batchItemFailures name {reported:?} (stream, offset), expected {expected:?}",
                            what()
                        ));
                    }
                    Ok(())
                }
            }
        }

        /// Checks (a) and (c) on a bucket: every key is a final object name, every object
        /// decodes to records the model sent, unaltered, and every record is in exactly one
        /// object. Unless [`layout_oracle`] is off, also that each object holds records of
        /// one (topic, partition, cell, path, window) in offset order and is named by its
        /// smallest offset under their path, all computed here from the records.
        pub fn check_bucket(&self, bucket: &BTreeMap<String, Bytes>) -> Result<(), String> {
            let layout = layout_oracle();
            let cfg = &self.config;
            let flush = cfg.flush_size as i64;
            let mut index: HashMap<(String, i32, i64), (&Record, &Value)> = HashMap::new();
            for (s, values) in self.streams.iter().zip(&self.values) {
                for (r, v) in s.records.iter().zip(values) {
                    index.insert((r.topic.clone(), r.partition, r.offset), (r, v));
                }
            }
            let mut seen: HashMap<(&str, i32, i64), Vec<&str>> = HashMap::new();
            for (key, body) in bucket {
                // Error objects (errors.tolerance=all) are plain JSON lines under the errors
                // prefix, one per offset cell, named by the same rule.
                let errors = key.starts_with(ERRORS_PREFIX);
                let extension = if errors { ".json" } else { cfg.extension() };
                if key.split('/').any(|seg| seg.starts_with('.'))
                    || key.contains(".tmp")
                    || !key.ends_with(extension)
                {
                    return Err(format!("{key}: not a final object name"));
                }
                let text = if errors {
                    decode_body("", body)?
                } else {
                    decode_body(key, body)?
                };
                let mut group = None;
                let mut last = None;
                let mut first_offset = None;
                for line in text.lines() {
                    let v: Value = serde_json::from_str(line)
                        .map_err(|e| format!("{key}: bad JSON line {line:?}: {e}"))?;
                    let (t, p, n) = if errors {
                        ("topic", "partition", "offset")
                    } else {
                        ("t", "p", "n")
                    };
                    let id = (
                        v[t].as_str().unwrap_or("").to_owned(),
                        v[p].as_i64().unwrap_or(-1) as i32,
                        v[n].as_i64().unwrap_or(-1),
                    );
                    let Some(&(r, value)) = index.get(&id) else {
                        return Err(format!("{key}: a record the model never sent: {line:.200}"));
                    };
                    let intact = if errors {
                        r.poison
                            && v["value"].as_str().and_then(|b| STANDARD.decode(b).ok())
                                == Some(r.value_bytes())
                    } else {
                        !r.poison && *value == v
                    };
                    if !intact {
                        return Err(format!(
                            "{key}: record {id:?} (poison: {}) altered or misplaced: {line:.200}",
                            r.poison
                        ));
                    }
                    let g = (
                        r.topic.as_str(),
                        r.partition,
                        r.offset.div_euclid(flush),
                        if errors {
                            format!("partition={}", r.partition)
                        } else {
                            cfg.path(r)
                        },
                        if errors { None } else { cfg.window(r) },
                    );
                    match &group {
                        None => group = Some(g),
                        Some(first) if layout && *first != g => {
                            return Err(format!(
                                "{key}: mixes records of (topic, partition, cell, path, window) {first:?} and {g:?}"
                            ));
                        }
                        Some(_) => {}
                    }
                    if layout && last.is_some_and(|l| l >= r.offset) {
                        return Err(format!("{key}: offsets out of order at {}", r.offset));
                    }
                    last = Some(r.offset);
                    first_offset.get_or_insert(r.offset);
                    seen.entry((r.topic.as_str(), r.partition, r.offset))
                        .or_default()
                        .push(key.as_str());
                }
                let (Some((topic, partition, _, path, _)), Some(start)) = (group, first_offset)
                else {
                    return Err(format!("{key}: empty object"));
                };
                let expected = if errors {
                    format!("{ERRORS_PREFIX}{topic}/{path}/{topic}+{partition}+{start:010}.json")
                } else {
                    format!("topics/{topic}/{path}/{topic}+{partition}+{start:010}{extension}")
                };
                if layout && *key != expected {
                    return Err(format!(
                        "{key}: holds records {start}..={} and should be named {expected}",
                        last.unwrap_or(start)
                    ));
                }
            }
            let mut problems = Vec::new();
            for s in &self.streams {
                for r in &s.records {
                    let id = (r.topic.as_str(), r.partition, r.offset);
                    match seen.get(&id).map(Vec::as_slice) {
                        Some([_]) => {}
                        None | Some([]) => problems.push(format!("{id:?} missing")),
                        Some(keys) => problems.push(format!("{id:?} in {keys:?}")),
                    }
                }
            }
            if !problems.is_empty() {
                let n = problems.len();
                problems.truncate(6);
                return Err(format!(
                    "{n} records not exactly once: {}",
                    problems.join("; ")
                ));
            }
            Ok(())
        }

        /// Runs the successful invocations only, on an empty in-memory bucket, at other
        /// clock readings than the faulty run: the bucket every faulty run must end with.
        pub async fn clean_run(&self) -> Result<BTreeMap<String, Bytes>, String> {
            let store = Arc::new(MemoryStore::new());
            let sink = Sink::new(self.sink_config(&[]), store.clone());
            for (n, step) in self.steps.iter().enumerate() {
                let now = 4_000_000_000_000 - n as i64 * 7_777;
                self.check_success(
                    &step.success,
                    sink.handle(&self.event(&step.success), now).await,
                )?;
            }
            Ok(store.objects())
        }
    }

    /// Whether [`Plan::check_bucket`] checks the layout of each object against the file rule
    /// as computed by the test. On unless `EXACTLY_ONCE_LAYOUT_ORACLE=off`, which leaves only
    /// the exactly-once checks (a), (b), (c): to see what they catch on their own.
    pub fn layout_oracle() -> bool {
        static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *ON.get_or_init(|| std::env::var("EXACTLY_ONCE_LAYOUT_ORACLE").map_or(true, |v| v != "off"))
    }

    /// The text of an object, gunzipped when its key says so.
    pub fn decode_body(key: &str, body: &[u8]) -> Result<String, String> {
        if key.ends_with(".gz") {
            let mut text = String::new();
            flate2::read::GzDecoder::new(body)
                .read_to_string(&mut text)
                .map_err(|e| format!("{key}: not gzip of UTF-8: {e}"))?;
            Ok(text)
        } else {
            String::from_utf8(body.to_vec()).map_err(|e| format!("{key}: not UTF-8: {e}"))
        }
    }

    /// Checks (b): the bucket equals the clean run's, key for key and byte for byte.
    pub fn compare_buckets(
        bucket: &BTreeMap<String, Bytes>,
        clean: &BTreeMap<String, Bytes>,
    ) -> Result<(), String> {
        if bucket == clean {
            return Ok(());
        }
        let offsets = |key: &str, body: &Bytes| -> String {
            decode_body(key, body)
                .map(|text| {
                    text.lines()
                        .map(|l| {
                            serde_json::from_str::<Value>(l)
                                .map(|v| v["n"].to_string())
                                .unwrap_or_else(|_| "?".into())
                        })
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_else(|e| e)
        };
        let mut diffs = Vec::new();
        for (key, body) in bucket {
            match clean.get(key) {
                None => diffs.push(format!("extra {key} (offsets {})", offsets(key, body))),
                Some(c) if c != body => diffs.push(format!(
                    "{key} holds offsets {} instead of {}",
                    offsets(key, body),
                    offsets(key, c)
                )),
                Some(_) => {}
            }
        }
        for (key, body) in clean {
            if !bucket.contains_key(key) {
                diffs.push(format!("missing {key} (offsets {})", offsets(key, body)));
            }
        }
        let n = diffs.len();
        diffs.truncate(6);
        Err(format!(
            "the bucket differs from the clean run's in {n} keys: {}",
            diffs.join("; ")
        ))
    }

    /// The memory store's fault plans: nothing lands (crash before the uploads), everything
    /// lands (crash after them, or a lost response), a prefix lands, or each put gets its own
    /// fate (including landing and still failing).
    pub fn memory_faults() -> impl Strategy<Value = FaultPlan> + Clone {
        let fate = prop_oneof![
            Just(PutFate::Land),
            Just(PutFate::Fail),
            Just(PutFate::LandThenFail)
        ];
        prop_oneof![
            1 => Just(FaultPlan::ByOrder { fates: Vec::new(), rest: PutFate::Fail }),
            1 => Just(FaultPlan::none()),
            2 => (0usize..12).prop_map(FaultPlan::first_n_land),
            4 => (vec(fate.clone(), 0..12), fate)
                .prop_map(|(fates, rest)| FaultPlan::ByOrder { fates, rest }),
        ]
    }

    /// What a run did, for the report.
    #[derive(Debug, Default, Clone, Copy)]
    pub struct RunStats {
        pub invocations: usize,
        pub failed_attempts: usize,
        pub objects: usize,
        /// Objects of records that went to the errors prefix (`errors.tolerance=all`).
        pub error_objects: usize,
    }

    /// Runs a case against the in-memory bucket and checks (a), (b) and (c).
    pub async fn run_memory_case(case: &Case<FaultPlan>) -> Result<RunStats, String> {
        let plan = case.plan();
        let store = Arc::new(MemoryStore::new());
        let sink = Sink::new(plan.sink_config(&[]), store.clone());
        let mut stats = RunStats::default();
        let mut now = case.base_ms + 600_000;
        for step in &plan.steps {
            for failed in &step.failed {
                store.begin_attempt(failed.faults.clone());
                let result = sink.handle(&plan.event(&failed.slices), now).await;
                now += 1_000;
                plan.check_failed(&failed.slices, &result, &store.attempt_log())?;
                stats.failed_attempts += 1;
            }
            store.begin_attempt(FaultPlan::none());
            let result = sink.handle(&plan.event(&step.success), now).await;
            now += 1_000;
            plan.check_success(&step.success, result)?;
            stats.invocations += 1;
        }
        let bucket = store.objects();
        plan.check_bucket(&bucket)?;
        compare_buckets(&bucket, &plan.clean_run().await?)?;
        stats.objects = bucket.len();
        stats.error_objects = bucket
            .keys()
            .filter(|k| k.starts_with(ERRORS_PREFIX))
            .count();
        Ok(stats)
    }

    /// The number of cases: `var` if set, else `default`.
    pub fn cases_from_env(var: &str, default: u32) -> u32 {
        match std::env::var(var) {
            Ok(v) => v
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("{var}={v:?} is not a number of cases")),
            Err(_) => default,
        }
    }
}

use std::sync::Arc;
use std::time::Instant;

use memory_store::{FaultPlan, MemoryStore, PutFate};
use model::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};

/// Whether this file is the test crate (and not a module of `exactly_once_s3`, which only
/// borrows the model and must not run these tests again).
fn standalone() -> bool {
    module_path!() == "exactly_once"
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

#[test]
fn every_record_lands_exactly_once_whatever_fails() {
    if !standalone() {
        return;
    }
    let cases = cases_from_env("EXACTLY_ONCE_CASES", DEFAULT_CASES);
    let rt = runtime();
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        // A failure prints its minimal case; nothing is written next to the sources.
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases)
    });
    let totals = std::cell::Cell::new(RunStats::default());
    let started = Instant::now();
    let result = runner.run(
        &case_strategy(Limits::full(), memory_faults(), None),
        |case| {
            let stats = rt
                .block_on(run_memory_case(&case))
                .map_err(TestCaseError::fail)?;
            let mut t = totals.get();
            t.invocations += stats.invocations;
            t.failed_attempts += stats.failed_attempts;
            t.objects += stats.objects;
            t.error_objects += stats.error_objects;
            totals.set(t);
            Ok(())
        },
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    let totals = totals.get();
    eprintln!(
        "exactly_once: {cases} cases in {:.1?} ({} successful invocations, {} failed attempts, {} objects of which {} error objects; shrinking runs included)",
        started.elapsed(),
        totals.invocations,
        totals.failed_attempts,
        totals.objects,
        totals.error_objects,
    );
}

/// The argument of docs/semantics.md on one small case: a failed attempt covers more records
/// than the successful one, all of its files land, and every stale one is overwritten.
#[tokio::test]
async fn a_longer_failed_attempt_is_overwritten_file_by_file() {
    if !standalone() {
        return;
    }
    let config = ConfigSpec {
        flush_size: 3,
        rotate_ms: None,
        rotate_on_partition_change: true,
        partitioner: PartitionerSpec::Field,
        gzip: false,
        partial: false,
        concurrency: 8,
        tolerate: false,
    };
    // Offsets 10..=16, k = a a b a b b a: cells [9,12) [12,15) [15,18).
    let ks = [0, 0, 1, 0, 1, 1, 0];
    let case = Case::<FaultPlan> {
        config,
        base_ms: 1_700_000_000_000,
        topics: vec![(
            "orders.v1-eu".to_owned(),
            vec![StreamSpec {
                start: 10,
                records: ks
                    .iter()
                    .map(|&k| RecordSpec {
                        gap: 0,
                        slot: 0,
                        jitter: 0,
                        k,
                        poison: false,
                    })
                    .collect(),
                cuts: vec![4, 3],
            }],
        )],
        steps: vec![StepSpec {
            mask: 1,
            failed: vec![FailedSpec {
                mask: 1,
                lens: vec![7],
                faults: FaultPlan::none(),
            }],
            absorbed: None,
        }],
        pad: None,
    };
    let plan = case.plan();
    let store = Arc::new(MemoryStore::new());
    let sink = kafka_s3_sink::Sink::new(plan.sink_config(&[]), store.clone());
    let keys = |store: &MemoryStore| store.objects().into_keys().collect::<Vec<_>>();

    // The failed attempt carries 10..=16 and every file lands before the invocation dies.
    let failed = &plan.steps[0].failed[0];
    sink.handle(&plan.event(&failed.slices), 0).await.unwrap();
    let key = |path: &str, offset: i64| {
        format!("topics/orders.v1-eu/{path}/orders.v1-eu+0+{offset:010}.json")
    };
    let offsets = |store: &MemoryStore, key: &str| {
        let text = decode_body(key, &store.objects()[key]).unwrap();
        text.lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["n"]
                    .as_i64()
                    .unwrap()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        keys(&store),
        vec![
            key("k=a", 10), // 10 11
            key("k=a", 13), // 13
            key("k=a", 16), // 16
            key("k=b", 12), // 12 14
            key("k=b", 15), // 15
        ]
    );
    assert_eq!(offsets(&store, &key("k=b", 12)), vec![12, 14]);

    // The retry is cut after four records (10..=13), the next batch takes 14..=16: every
    // file of the failed attempt has the start offset of a file of the successful ones.
    for step in &plan.steps {
        store.begin_attempt(FaultPlan::none());
        plan.check_success(
            &step.success,
            sink.handle(&plan.event(&step.success), 0).await,
        )
        .unwrap();
    }
    assert_eq!(
        keys(&store),
        vec![
            key("k=a", 10),
            key("k=a", 13),
            key("k=a", 16),
            key("k=b", 12),
            key("k=b", 14),
            key("k=b", 15),
        ]
    );
    assert_eq!(offsets(&store, &key("k=b", 12)), vec![12]);
    assert_eq!(offsets(&store, &key("k=b", 14)), vec![14]);
    plan.check_bucket(&store.objects()).unwrap();
    compare_buckets(&store.objects(), &plan.clean_run().await.unwrap()).unwrap();
}

/// A put that lands and still reports an error fails the invocation; the retry rewrites the
/// same key, and with partial batch responses only its partition is retried, from its first
/// offset.
#[tokio::test]
async fn a_put_that_landed_but_failed_is_retried_from_the_partition_start() {
    if !standalone() {
        return;
    }
    let mut case = Case::<FaultPlan> {
        config: ConfigSpec {
            flush_size: 2,
            rotate_ms: None,
            rotate_on_partition_change: true,
            partitioner: PartitionerSpec::Default,
            gzip: true,
            partial: true,
            concurrency: 2,
            tolerate: false,
        },
        base_ms: 1_700_000_000_000,
        topics: vec![(
            "t".to_owned(),
            (0..2)
                .map(|_| StreamSpec {
                    start: 7,
                    records: (0..4)
                        .map(|_| RecordSpec {
                            gap: 0,
                            slot: 0,
                            jitter: 0,
                            k: 0,
                            poison: false,
                        })
                        .collect(),
                    cuts: vec![4],
                })
                .collect(),
        )],
        steps: vec![StepSpec {
            mask: 0b11,
            failed: Vec::new(),
            absorbed: None,
        }],
        pad: None,
    };
    let key = "topics/t/partition=1/t+1+0000000008.json.gz";
    case.steps[0].failed.push(FailedSpec {
        mask: 0b11,
        lens: vec![4],
        faults: FaultPlan::keys([key], PutFate::LandThenFail),
    });
    let plan = case.plan();
    let store = Arc::new(MemoryStore::new());
    let sink = kafka_s3_sink::Sink::new(plan.sink_config(&[]), store.clone());
    let failed = &plan.steps[0].failed[0];
    store.begin_attempt(failed.faults.clone());
    let summary = sink.handle(&plan.event(&failed.slices), 0).await.unwrap();
    assert_eq!(
        summary.lambda_response(true)["batchItemFailures"],
        serde_json::json!([{"itemIdentifier": {"partition": "t-1", "offset": 7}}])
    );
    assert!(store.objects().contains_key(key), "the put landed");
    let fates = store.attempt_log();
    assert_eq!(fates.len(), 6, "three files per partition: {fates:?}");
    plan.check_failed(&failed.slices, &Ok(summary), &fates)
        .unwrap();
    assert_eq!(store.counts().landed_then_failed, 1);
}

/// Limit (i) of docs/semantics.md, pinned: when the mapping gives up on a batch (retries
/// exhausted or records too old) and resumes after it, the files its failed attempts left are
/// never overwritten. Here an attempt of 0..=3 lands whole, the mapping skips 0..=1 and
/// delivers 2..=3: the stale file keeps the skipped records and duplicates the others.
#[tokio::test]
async fn records_skipped_by_the_mapping_can_leave_a_stale_file() {
    if !standalone() {
        return;
    }
    let case = Case::<FaultPlan> {
        config: ConfigSpec {
            flush_size: 10,
            rotate_ms: None,
            rotate_on_partition_change: true,
            partitioner: PartitionerSpec::Default,
            gzip: false,
            partial: false,
            concurrency: 8,
            tolerate: false,
        },
        base_ms: 1_700_000_000_000,
        topics: vec![(
            "t".to_owned(),
            vec![StreamSpec {
                start: 0,
                records: (0..4)
                    .map(|_| RecordSpec {
                        gap: 0,
                        slot: 0,
                        jitter: 0,
                        k: 0,
                        poison: false,
                    })
                    .collect(),
                cuts: vec![2],
            }],
        )],
        steps: vec![StepSpec {
            mask: 1,
            failed: Vec::new(),
            absorbed: None,
        }],
        pad: None,
    };
    let plan = case.plan();
    let store = Arc::new(MemoryStore::new());
    let sink = kafka_s3_sink::Sink::new(plan.sink_config(&[]), store.clone());
    // A failed attempt of all four records lands, then the invocation dies.
    sink.handle(&plan.event(&vec![(0, 0..4)]), 0).await.unwrap();
    // The mapping retries 0..=1 until it gives up, and resumes at 2.
    let resumed = vec![(0, 2..4)];
    plan.check_success(&resumed, sink.handle(&plan.event(&resumed), 0).await)
        .unwrap();
    let offsets: Vec<(String, String)> = store
        .objects()
        .iter()
        .map(|(k, body)| {
            let text = decode_body(k, body).unwrap();
            let ns: Vec<String> = text
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["n"].to_string())
                .collect();
            (k.clone(), ns.join(","))
        })
        .collect();
    assert_eq!(
        offsets,
        vec![
            (
                "topics/t/partition=0/t+0+0000000000.json".to_owned(),
                "0,1,2,3".to_owned()
            ),
            (
                "topics/t/partition=0/t+0+0000000002.json".to_owned(),
                "2,3".to_owned()
            ),
        ]
    );
    let err = plan.check_bucket(&store.objects()).unwrap_err();
    assert!(err.contains("not exactly once"), "{err}");
}

/// A limit of the rule, pinned: it needs every delivery to start where the last successful
/// batch ended. If the mapping re-delivers from further back (commits of several written
/// batches lost, then a rebalance) and cuts the replay differently, a file of the first pass
/// that starts mid-way through the replayed batch is not overwritten. Here 10..=12 and
/// 13..=15 are written, the mapping rewinds to 10 and delivers 10..=15 at once.
#[tokio::test]
async fn a_rewind_over_several_batches_can_leave_a_stale_file() {
    if !standalone() {
        return;
    }
    let case = Case::<FaultPlan> {
        config: ConfigSpec {
            flush_size: 10,
            rotate_ms: None,
            rotate_on_partition_change: true,
            partitioner: PartitionerSpec::Default,
            gzip: false,
            partial: false,
            concurrency: 8,
            tolerate: false,
        },
        base_ms: 1_700_000_000_000,
        topics: vec![(
            "t".to_owned(),
            vec![StreamSpec {
                start: 10,
                records: (0..6)
                    .map(|_| RecordSpec {
                        gap: 0,
                        slot: 0,
                        jitter: 0,
                        k: 0,
                        poison: false,
                    })
                    .collect(),
                cuts: vec![3],
            }],
        )],
        steps: vec![StepSpec {
            mask: 1,
            failed: Vec::new(),
            absorbed: None,
        }],
        pad: None,
    };
    let plan = case.plan();
    let store = Arc::new(MemoryStore::new());
    let sink = kafka_s3_sink::Sink::new(plan.sink_config(&[]), store.clone());
    for slices in [vec![(0, 0..3)], vec![(0, 3..6)], vec![(0, 0..6)]] {
        plan.check_success(&slices, sink.handle(&plan.event(&slices), 0).await)
            .unwrap();
    }
    assert_eq!(
        store.objects().into_keys().collect::<Vec<_>>(),
        vec![
            "topics/t/partition=0/t+0+0000000010.json", // 10..=15, the replay
            "topics/t/partition=0/t+0+0000000013.json", // 13..=15, the first pass
        ]
    );
    let err = plan.check_bucket(&store.objects()).unwrap_err();
    assert!(err.starts_with("3 records not exactly once"), "{err}");
}

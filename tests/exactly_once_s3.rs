//! Exactly-once under retries against a real S3 API server: the property of
//! `tests/exactly_once.rs`, with the real `S3Store` talking to s3s-fs on 127.0.0.1 through a
//! proxy that injects faults on the wire (500 InternalError, 503 SlowDown, connection resets,
//! stalls past the SDK's attempt timeout), before or after the server handled the request,
//! on PutObject, CreateMultipartUpload, UploadPart and CompleteMultipartUpload.
//!
//! Each case runs the drawn invocations: failed attempts carry faults meant to defeat the
//! SDK's retries (and count as failed even if the retries absorb them: the invocation may
//! still die before returning), successful invocations carry at most faults the retries
//! absorb (and, if they do not, are run again without faults). The bucket is then read back
//! with ListObjectsV2 and GetObject and checked as in the in-memory test, and no multipart
//! upload may be left open but those whose CreateMultipartUpload response the proxy withheld
//! (the sink cannot know their ids; the bucket's lifecycle rule has to abort them).
//! `multipart_faults_of_every_kind` then pins every fault kind, before and after the server,
//! on UploadPart and CompleteMultipartUpload, which the drawn cases hit only by chance.
//!
//! `EXACTLY_ONCE_S3_CASES` sets the number of cases (default [`DEFAULT_S3_CASES`]). The fault
//! counts are printed at the end (`-- --nocapture`).
//!
//! The store is built with [`S3Store::with_client`] around the test server's client with the
//! settings `S3Store::connect` would derive from `s3.part.retries` / `s3.retry.backoff.ms`,
//! but a short attempt timeout: `connect` sizes it for a 5 MiB part on a slow link (40 s),
//! which would make every stall cost 40 s. Dummy credentials only; nothing leaves 127.0.0.1.

#[allow(dead_code)]
#[path = "exactly_once.rs"]
mod exactly_once;
#[path = "helpers/fault_proxy.rs"]
mod fault_proxy;
#[path = "helpers/s3_server.rs"]
mod s3_server;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::{RetryConfig, RetryPartition};
use aws_sdk_s3::config::timeout::TimeoutConfig;
use bytes::Bytes;
use exactly_once::model::*;
use fault_proxy::{FaultKind, FaultProxy, FaultRule, Op, When};
use kafka_s3_sink::storage::{S3Settings, S3Store};
use kafka_s3_sink::{InvocationSummary, Sink, SinkError};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use s3_server::S3Server;

/// Cases run when `EXACTLY_ONCE_S3_CASES` is not set.
const DEFAULT_S3_CASES: u32 = 40;
const MIB: usize = 1024 * 1024;
/// `s3.part.size`: S3's minimum, so a few padded records make a multipart upload.
const PART_SIZE: usize = 5 * MIB;
/// `s3.part.retries`: three attempts per request.
const PART_RETRIES: u32 = 2;
/// `s3.retry.backoff.ms`.
const RETRY_BACKOFF_MS: u64 = 10;
/// The SDK's per-attempt timeout, and how long a stalled request is held (longer).
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1_500);
const STALL: Duration = Duration::from_millis(2_000);
/// Padded records of a multipart case: 8 × 700 KiB = 5.5 MiB, one part and a bit.
const PADDED_RECORDS: usize = 8;
const PAD_BYTES: usize = 700 * 1024;

fn rule(absorbable: bool) -> impl Strategy<Value = FaultRule> + Clone {
    let op = prop_oneof![
        3 => Just(None),
        3 => Just(Some(Op::PutObject)),
        1 => Just(Some(Op::CreateMultipartUpload)),
        2 => Just(Some(Op::UploadPart)),
        2 => Just(Some(Op::CompleteMultipartUpload)),
    ];
    let kind = prop_oneof![
        // Stalls cost the attempt timeout each: rarer here, pinned in the fixed test.
        6 => Just(FaultKind::InternalError),
        6 => Just(FaultKind::SlowDown),
        6 => Just(FaultKind::Reset),
        1 => Just(FaultKind::Stall),
    ];
    let when = prop_oneof![Just(When::Before), Just(When::After)];
    // A failed attempt's rule hits up to three requests in a row (the SDK's attempts) or
    // every request of its kind; an absorbable rule hits one request. A stall hits one
    // request, to keep the run short.
    let count = if absorbable {
        Just(1usize).boxed()
    } else {
        prop_oneof![1 => 1usize..=3, 3 => Just(usize::MAX)].boxed()
    };
    (op, 0usize..4, count, kind, when).prop_map(|(op, from, count, kind, when)| FaultRule {
        op,
        from,
        count: if kind == FaultKind::Stall { 1 } else { count },
        kind,
        when,
    })
}

fn s3_cases() -> impl Strategy<Value = Case<Vec<FaultRule>>> {
    let limits = Limits {
        topics: 1..3,
        partitions: 1..3,
        records: 1..16,
        max_cut: 8,
        max_failed: 2,
        max_failed_len: 16,
        steps: 1..6,
    };
    (
        case_strategy(
            limits,
            vec(rule(false), 1..=3),
            Some(vec(rule(true), 1..=2)),
        ),
        proptest::bool::weighted(0.3),
    )
        .prop_map(|(mut case, multipart)| {
            if multipart {
                // The first partition starts with PADDED_RECORDS consecutive padded records in
                // one offset cell: a file of all of them needs a multipart upload.
                case.pad = Some((PADDED_RECORDS, PAD_BYTES));
                case.config.flush_size = 10;
                case.config.rotate_ms = None;
                case.config.partitioner = PartitionerSpec::Default;
                case.config.gzip = false;
                let stream = &mut case.topics[0].1[0];
                stream.start = 0;
                while stream.records.len() < PADDED_RECORDS {
                    stream.records.push(stream.records[0].clone());
                }
                for r in stream.records.iter_mut().take(PADDED_RECORDS) {
                    r.gap = 0;
                    r.poison = false;
                }
                stream.cuts[0] = PADDED_RECORDS;
                for step in &mut case.steps {
                    for failed in &mut step.failed {
                        failed.lens[0] = failed.lens[0].max(PADDED_RECORDS);
                    }
                }
            }
            case
        })
}

/// A store writing to `bucket` through the proxy. Its client has a retry partition of its
/// own: the SDK's standard retries draw on a token bucket shared by every client of the
/// process with the same partition (500 tokens, 5 to 14 per retry), and one case's faults
/// must not use up the retries of the next.
fn store(proxy: &FaultProxy, bucket: &str) -> S3Store {
    let config = s3_server::client_builder(
        &proxy.endpoint(),
        s3_server::ACCESS_KEY,
        s3_server::SECRET_KEY,
    )
    .retry_config(
        RetryConfig::standard()
            .with_max_attempts(PART_RETRIES + 1)
            .with_initial_backoff(Duration::from_millis(RETRY_BACKOFF_MS)),
    )
    .timeout_config(
        TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(1))
            .operation_attempt_timeout(ATTEMPT_TIMEOUT)
            .build(),
    )
    .retry_partition(RetryPartition::new(format!("exactly-once-{bucket}")))
    .build();
    let mut settings = S3Settings::new(bucket);
    settings.endpoint_url = Some(proxy.endpoint());
    settings.path_style = true;
    settings.part_size = PART_SIZE;
    settings.part_retries = PART_RETRIES;
    settings.retry_backoff_ms = RETRY_BACKOFF_MS;
    S3Store::with_client(Client::from_conf(config), settings)
}

/// Every object of the bucket, read with ListObjectsV2 and GetObject.
async fn read_bucket(client: &Client, bucket: &str) -> Result<BTreeMap<String, Bytes>, String> {
    let mut keys = Vec::new();
    let mut token = None;
    for _ in 0..1_000 {
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| format!("ListObjectsV2: {e:?}"))?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_owned()),
            _ => break,
        }
    }
    let mut objects = BTreeMap::new();
    for key in keys {
        let output = client
            .get_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| format!("GetObject {key}: {e:?}"))?;
        let body = output
            .body
            .collect()
            .await
            .map_err(|e| format!("reading {key}: {e}"))?
            .into_bytes();
        objects.insert(key, body);
    }
    Ok(objects)
}

/// Multipart uploads neither completed nor aborted: `(key, upload id)`.
async fn open_uploads(client: &Client, bucket: &str) -> Result<Vec<(String, String)>, String> {
    Ok(client
        .list_multipart_uploads()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| format!("ListMultipartUploads: {e:?}"))?
        .uploads()
        .iter()
        .map(|u| {
            (
                u.key().unwrap_or("").to_owned(),
                u.upload_id().unwrap_or("").to_owned(),
            )
        })
        .collect())
}

#[derive(Debug, Default, Clone, Copy)]
struct S3Stats {
    invocations: usize,
    failed_attempts: usize,
    /// Failed attempts whose faults the SDK absorbed (the handler returned Ok; the model
    /// still counts the invocation as failed, as if it died before returning).
    failed_attempts_absorbed: usize,
    /// Reruns without faults of successful invocations that failed with their absorbable
    /// faults.
    reruns: usize,
    objects: usize,
    /// Uploads left open because the proxy withheld the CreateMultipartUpload response.
    orphaned_uploads: usize,
}

/// Whether every partition of the invocation was written (with partial batch responses a
/// failed upload is reported in the summary, not as an error).
fn succeeded(result: &Result<InvocationSummary, SinkError>) -> bool {
    matches!(result, Ok(summary) if summary.failed_partitions.is_empty())
}

async fn run_s3_case(
    server: &S3Server,
    proxy: &FaultProxy,
    case: &Case<Vec<FaultRule>>,
    bucket: &str,
) -> Result<S3Stats, String> {
    server.create_bucket(bucket);
    let plan = case.plan();
    let sink = Sink::new(plan.sink_config(&[]), Arc::new(store(proxy, bucket)));
    let mut stats = S3Stats::default();
    let mut now = case.base_ms + 600_000;
    let idle = Duration::from_secs(30);
    for step in &plan.steps {
        for failed in &step.failed {
            proxy.begin_attempt(failed.faults.clone());
            let result = sink.handle(&plan.event(&failed.slices), now).await;
            now += 1_000;
            proxy.wait_idle(idle).await;
            stats.failed_attempts += 1;
            if succeeded(&result) {
                stats.failed_attempts_absorbed += 1;
            }
            if std::env::var_os("EXACTLY_ONCE_S3_VERBOSE").is_some() {
                let outcome = match &result {
                    Ok(summary) => format!("ok, failed partitions {:?}", summary.failed_partitions),
                    Err(e) => format!("error: {e}"),
                };
                eprintln!("  failed attempt {:?}: {outcome}", failed.faults);
            }
        }
        proxy.begin_attempt(step.absorbed.clone().unwrap_or_default());
        let mut result = sink.handle(&plan.event(&step.success), now).await;
        now += 1_000;
        proxy.wait_idle(idle).await;
        // Without faults the invocation must succeed; a few reruns absorb a request that
        // timed out only because the machine was busy.
        for _ in 0..3 {
            if succeeded(&result) {
                break;
            }
            stats.reruns += 1;
            proxy.begin_attempt(Vec::new());
            result = sink.handle(&plan.event(&step.success), now).await;
            now += 1_000;
            proxy.wait_idle(idle).await;
        }
        plan.check_success(&step.success, result)?;
        stats.invocations += 1;
    }
    proxy.begin_attempt(Vec::new());
    let client = server.client();
    let bucket_objects = read_bucket(&client, bucket).await?;
    plan.check_bucket(&bucket_objects)?;
    compare_buckets(&bucket_objects, &plan.clean_run().await?)?;
    // The only uploads left open may be those whose creation the client never heard of.
    let orphans = proxy.orphaned_uploads();
    let open = open_uploads(&client, bucket).await?;
    let unexplained: Vec<_> = open
        .iter()
        .filter(|(_, id)| !orphans.contains(id))
        .collect();
    if !unexplained.is_empty() {
        return Err(format!("multipart uploads left open: {unexplained:?}"));
    }
    let leftovers: Vec<String> = server
        .leftover_upload_files()
        .into_iter()
        .filter(|name| !orphans.iter().any(|id| name.contains(id.as_str())))
        .collect();
    if !leftovers.is_empty() {
        return Err(format!("upload files left on the server: {leftovers:?}"));
    }
    stats.orphaned_uploads = open.len();
    stats.objects = bucket_objects.len();
    Ok(stats)
}

#[test]
fn every_record_lands_exactly_once_through_s3_faults() {
    let cases = cases_from_env("EXACTLY_ONCE_S3_CASES", DEFAULT_S3_CASES);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (server, proxy) = rt.block_on(async {
        let server = S3Server::start().await;
        let proxy = FaultProxy::start(server.endpoint(), STALL).await;
        (server, proxy)
    });
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        // Shrinking reruns real HTTP traffic with stalls: bound it.
        max_shrink_iters: 200,
        ..ProptestConfig::with_cases(cases)
    });
    let bucket_no = AtomicUsize::new(0);
    let verbose = std::env::var_os("EXACTLY_ONCE_S3_VERBOSE").is_some();
    let totals = std::cell::Cell::new(S3Stats::default());
    let started = Instant::now();
    let result = runner.run(&s3_cases(), |case| {
        let bucket = format!("case-{:05}", bucket_no.fetch_add(1, Ordering::Relaxed));
        let case_started = Instant::now();
        let outcome = rt.block_on(run_s3_case(&server, &proxy, &case, &bucket));
        if verbose {
            eprintln!("{bucket}: {:.1?} {outcome:?}", case_started.elapsed());
        }
        let stats = outcome.map_err(TestCaseError::fail)?;
        let mut t = totals.get();
        t.invocations += stats.invocations;
        t.failed_attempts += stats.failed_attempts;
        t.failed_attempts_absorbed += stats.failed_attempts_absorbed;
        t.reruns += stats.reruns;
        t.objects += stats.objects;
        t.orphaned_uploads += stats.orphaned_uploads;
        totals.set(t);
        Ok(())
    });
    let totals = totals.get();
    let hits = proxy.hits();
    let requests = proxy.requests();
    let mut report = format!(
        "exactly_once_s3: {cases} cases in {:.1?}: {} successful invocations (reruns without faults: {}), {} failed attempts ({} of them absorbed by SDK retries), {} objects, {} uploads orphaned by a lost CreateMultipartUpload response\nrequests: {requests:?}\nfaults (operation, kind, when: count):\n",
        started.elapsed(),
        totals.invocations,
        totals.reruns,
        totals.failed_attempts,
        totals.failed_attempts_absorbed,
        totals.objects,
        totals.orphaned_uploads,
    );
    for ((op, kind, when), n) in &hits {
        report.push_str(&format!("  {op:?} {kind:?} {when:?}: {n}\n"));
    }
    let mut by_kind: BTreeMap<FaultKind, usize> = BTreeMap::new();
    for ((_, kind, _), n) in &hits {
        *by_kind.entry(*kind).or_default() += n;
    }
    report.push_str(&format!("by kind: {by_kind:?}\n"));
    eprintln!("{report}");
    if let Err(e) = result {
        panic!("{e}");
    }
    // Drawn faults vary from run to run; `multipart_faults_of_every_kind` pins the coverage
    // of each kind on the multipart operations. Here only check that faults did fail
    // invocations, when enough cases ran for that to be certain in practice.
    if cases >= DEFAULT_S3_CASES {
        assert!(
            totals.failed_attempts > totals.failed_attempts_absorbed,
            "no failed attempt failed:\n{report}"
        );
        assert!(by_kind.len() >= 3, "too few kinds of faults hit:\n{report}");
    }
}

/// Runs `case` on a server and proxy of its own and returns the faults the proxy applied.
fn run_fixed_case(case: &Case<Vec<FaultRule>>) -> (S3Stats, BTreeMap<fault_proxy::Hit, usize>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let server = S3Server::start().await;
        let proxy = FaultProxy::start(server.endpoint(), STALL).await;
        let stats = run_s3_case(&server, &proxy, case, "fixed")
            .await
            .unwrap_or_else(|e| panic!("{e}\n{case:?}"));
        (stats, proxy.hits())
    })
}

fn fault(op: Op, kind: FaultKind, when: When, from: usize, count: usize) -> FaultRule {
    FaultRule {
        op: Some(op),
        from,
        count,
        kind,
        when,
    }
}

/// Every kind of fault, before and after the server handled the request, on UploadPart and
/// CompleteMultipartUpload (and a lost CreateMultipartUpload response), each in a failed
/// attempt of a batch whose first file needs a multipart upload; the successful invocation
/// absorbs one more fault on each. The bucket must end as after a clean run.
#[test]
fn multipart_faults_of_every_kind() {
    use FaultKind::*;
    use Op::*;
    use When::*;
    const ALL: usize = usize::MAX;
    let failed_rules = vec![
        vec![fault(UploadPart, InternalError, Before, 0, ALL)],
        vec![fault(UploadPart, InternalError, After, 0, ALL)],
        vec![fault(UploadPart, SlowDown, Before, 1, ALL)],
        vec![fault(UploadPart, SlowDown, After, 0, ALL)],
        vec![fault(UploadPart, Reset, Before, 0, ALL)],
        vec![fault(UploadPart, Reset, After, 1, ALL)],
        vec![
            fault(UploadPart, Stall, Before, 0, 1),
            fault(CompleteMultipartUpload, Reset, Before, 0, ALL),
        ],
        vec![
            fault(UploadPart, Stall, After, 1, 1),
            fault(CompleteMultipartUpload, InternalError, Before, 0, ALL),
        ],
        // Landed, then an error: the SDK's retry finds the upload completed (NoSuchUpload).
        vec![fault(CompleteMultipartUpload, InternalError, After, 0, 1)],
        vec![fault(CompleteMultipartUpload, SlowDown, Before, 0, ALL)],
        vec![fault(CompleteMultipartUpload, SlowDown, After, 0, 1)],
        vec![fault(CompleteMultipartUpload, Reset, After, 0, 1)],
        vec![fault(CompleteMultipartUpload, Stall, Before, 0, 1)],
        vec![fault(CompleteMultipartUpload, Stall, After, 0, 1)],
        // The upload is created, its id lost: an orphan for the lifecycle rule.
        vec![fault(CreateMultipartUpload, Reset, After, 0, ALL)],
    ];
    let records = (0..10)
        .map(|i| RecordSpec {
            gap: 0,
            slot: i % 3,
            jitter: 0,
            k: 0,
            poison: false,
        })
        .collect();
    let case = Case {
        config: ConfigSpec {
            flush_size: 10,
            rotate_ms: None,
            rotate_on_partition_change: true,
            partitioner: PartitionerSpec::Default,
            gzip: false,
            partial: false,
            concurrency: 4,
            tolerate: false,
        },
        base_ms: 1_700_000_000_000,
        topics: vec![(
            "orders.v1-eu".to_owned(),
            vec![StreamSpec {
                start: 0,
                records,
                // A first batch of all padded records (one multipart file), then two more.
                cuts: vec![PADDED_RECORDS, 1],
            }],
        )],
        // The faults go to the first batch; the two single-record batches after it run clean.
        steps: vec![
            StepSpec {
                mask: 1,
                failed: failed_rules
                    .into_iter()
                    .enumerate()
                    .map(|(n, faults)| FailedSpec {
                        mask: 1,
                        // Mostly the padded records, sometimes more.
                        lens: vec![PADDED_RECORDS + n % 3],
                        faults,
                    })
                    .collect(),
                absorbed: Some(vec![
                    fault(UploadPart, Reset, Before, 0, 1),
                    fault(CompleteMultipartUpload, SlowDown, Before, 0, 1),
                ]),
            },
            StepSpec {
                mask: 1,
                failed: Vec::new(),
                absorbed: None,
            },
            StepSpec {
                mask: 1,
                failed: Vec::new(),
                absorbed: None,
            },
        ],
        pad: Some((PADDED_RECORDS, PAD_BYTES)),
    };
    let (stats, hits) = run_fixed_case(&case);
    eprintln!("multipart_faults_of_every_kind: {stats:?}");
    for ((op, kind, when), n) in &hits {
        eprintln!("  {op:?} {kind:?} {when:?}: {n}");
    }
    for op in [UploadPart, CompleteMultipartUpload] {
        for kind in [InternalError, SlowDown, Reset, Stall] {
            for when in [Before, After] {
                assert!(
                    hits.contains_key(&(op, kind, when)),
                    "{op:?} {kind:?} {when:?} never hit: {hits:?}"
                );
            }
        }
    }
    assert!(stats.orphaned_uploads >= 1, "{stats:?}");
    assert_eq!(stats.failed_attempts, 15, "{stats:?}");
    assert!(
        stats.failed_attempts - stats.failed_attempts_absorbed >= 10,
        "{stats:?}"
    );
}

//! The upload side of one invocation: the bench event (10,000 records, 6.5 MB, see
//! `common/orders.rs`) through the real `Sink` and the real S3 store (the AWS SDK client)
//! into the loopback S3 server of the tests (s3s-fs, `tests/helpers/s3_server.rs`), which holds
//! every response for a fixed latency, as a PutObject to S3 in a region takes about 30 ms.
//!
//! Not a criterion bench: each configuration runs at a few upload concurrencies
//! (`lambda.upload.concurrency`), interleaved, and a table of medians is printed: wall time,
//! the process's CPU time (getrusage, user + sys; the in-process server's share beside it),
//! objects and requests, the ideal upload time `ceil(requests / concurrency) × latency` and
//! `wall / (CPU + ideal upload)`. The same invocation into a store that discards its objects
//! gives the time before the first upload (decode, prepare, encode) and so the upload phase.
//!
//! Run: `cargo bench --bench upload [-- --latency-ms 30 --runs 5 --concurrency 1,4,8,16,64]`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kafka_s3_sink::config::RawConfig;
use kafka_s3_sink::event::{KafkaEvent, parse_event_json};
use kafka_s3_sink::format::Format;
use kafka_s3_sink::format::json::JsonLine;
use kafka_s3_sink::storage::{ObjectPut, ObjectStore, S3Store, StoreError};
use kafka_s3_sink::{Config, InvocationSummary, Sink};

#[path = "common/orders.rs"]
mod orders;
#[path = "../tests/helpers/s3_server.rs"]
mod s3_server;

// The binary's allocator (`src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BUCKET: &str = "bench-bucket";

/// The name of the server's runtime threads, whose CPU time is counted apart.
const SERVER_THREADS: &str = "s3-server";

/// The configurations of `benches/compare.py` (`orders::BASE`, `orders::TIME_BASED`), into
/// the bucket of the loopback server.
const BUCKET_PAIR: (&str, &str) = ("s3.bucket.name", BUCKET);

const USAGE: &str = "usage: upload [--latency-ms MS] [--runs N] [--concurrency N,N,...]";

struct Args {
    latency: Duration,
    runs: usize,
    concurrency: Vec<usize>,
}

fn args() -> Args {
    let mut args = Args {
        latency: Duration::from_millis(30),
        runs: 5,
        concurrency: vec![1, 4, 8, 16, 64],
    };
    let mut it = std::env::args().skip(1);
    let number = |value: Option<String>| -> usize {
        value
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{USAGE}"))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--latency-ms" => args.latency = Duration::from_millis(number(it.next()) as u64),
            "--runs" => args.runs = number(it.next()).max(1),
            "--concurrency" => {
                args.concurrency = it
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(|n| number(Some(n.to_owned())))
                    .collect()
            }
            // `cargo bench` passes `--bench` to every bench binary.
            "--bench" => {}
            _ => panic!("{USAGE}"),
        }
    }
    args
}

/// A store that drops every object: the invocation without its uploads.
struct Discard;

#[async_trait]
impl ObjectStore for Discard {
    async fn put(&self, _object: ObjectPut) -> Result<(), StoreError> {
        Ok(())
    }

    fn describe(&self) -> String {
        "discard".to_owned()
    }
}

/// User + system CPU time of the whole process so far (every thread, ended ones included).
fn process_cpu() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a `rusage` into the pointer it is given.
    let usage = unsafe {
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()), 0);
        usage.assume_init()
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// CPU time so far of this process's live threads named `name`, from each thread's CPU clock
/// (the clock id glibc's `pthread_getcpuclockid` makes of a thread id).
fn threads_cpu(name: &str) -> Duration {
    let mut total = Duration::ZERO;
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return total;
    };
    for task in tasks.flatten() {
        let Some(tid) = task
            .file_name()
            .to_str()
            .and_then(|t| t.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim_end() != name {
            continue;
        }
        let clock: libc::clockid_t = ((!tid) << 3) | 6;
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes a `timespec`; a thread gone since the listing gives an
        // error, and is skipped.
        if unsafe { libc::clock_gettime(clock, &mut ts) } == 0 {
            total += Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
        }
    }
    total
}

/// The encode step alone, at most what the handler does for these configurations (values
/// rendered, each line with its newline, while records are placed; a file whose lines are
/// not one stretch of a buffer has them copied into its body by `JsonFormat::encode_lines`,
/// the others are uploaded from the buffer itself), on one thread: the only work the rule "a
/// data error fails the invocation before anything is written" would let overlap the
/// uploads. Timed here as the copy, for every file.
fn encode_only(
    config: &Config,
    rendered: &[u8],
    lines: &[std::ops::Range<usize>],
    files: &[usize],
) -> Duration {
    let Format::Json(json) = &config.format else {
        panic!("JSON output expected");
    };
    let start = Instant::now();
    let mut rest = lines;
    for &records in files {
        let (file, tail) = rest.split_at(records);
        rest = tail;
        let body = json
            .encode_lines(
                file.iter()
                    .map(|r| JsonLine::Rendered(&rendered[r.clone()])),
            )
            .expect("encodes");
        std::hint::black_box(body);
    }
    start.elapsed()
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn config(pairs: &[(&str, &str)]) -> Arc<Config> {
    Arc::new(Config::from_raw(&RawConfig::from_pairs(pairs.iter().copied())).expect("valid config"))
}

/// One invocation's figures.
#[derive(Clone, Copy, Default)]
struct Sample {
    wall: Duration,
    cpu: Duration,
    server_cpu: Duration,
    objects: usize,
    requests: usize,
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One configuration at one upload concurrency.
struct Case {
    config: &'static str,
    concurrency: usize,
    sink: Sink,
    samples: Vec<Sample>,
}

fn main() {
    let args = args();
    let json = orders::event_json();
    let event: KafkaEvent = parse_event_json(json.as_bytes()).expect("event parses");
    // The values as the schemaless path renders them (the same text for these records), one
    // buffer, for `encode_only`.
    let mut rendered = Vec::new();
    let mut lines = Vec::new();
    for record in event.records.values().flatten() {
        let start = rendered.len();
        rendered.extend(
            STANDARD
                .decode(record.value.as_deref().unwrap_or_default())
                .expect("base64"),
        );
        rendered.push(b'\n');
        lines.push(start..rendered.len());
    }
    // The server on runtime threads of its own, so its CPU time can be told apart.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(SERVER_THREADS)
        // Blocking threads (s3s-fs's file writes) must outlive a run to be counted.
        .thread_keep_alive(Duration::from_secs(3600))
        .enable_all()
        .build()
        .expect("server runtime");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let shm = std::path::Path::new("/dev/shm");
    let server = server_rt.block_on(s3_server::S3Server::start_with(s3_server::Options {
        latency: args.latency,
        root_parent: shm.is_dir().then(|| shm.to_path_buf()),
    }));
    server.create_bucket(BUCKET);
    // One client for every sink: a Lambda container keeps its connections across invocations.
    let client = s3_server::client(server.endpoint());

    let default: Vec<(&str, &str)> = orders::BASE.iter().copied().chain([BUCKET_PAIR]).collect();
    let time_based: Vec<(&str, &str)> = default.iter().chain(orders::TIME_BASED).copied().collect();
    let configs: [(&'static str, &[(&str, &str)]); 2] =
        [("default", &default), ("time_based", &time_based)];
    let now_ms = 1_697_000_000_000;
    let invoke = |sink: &Sink| -> (InvocationSummary, Duration, Duration, Duration) {
        let (cpu, server_cpu) = (process_cpu(), threads_cpu(SERVER_THREADS));
        let start = Instant::now();
        let summary = rt.block_on(sink.handle(&event, now_ms)).expect("handled");
        let wall = start.elapsed();
        (
            summary,
            wall,
            process_cpu().saturating_sub(cpu),
            threads_cpu(SERVER_THREADS).saturating_sub(server_cpu),
        )
    };

    // Every case once before timing (connections opened, objects created), then the runs
    // interleaved, so a change of load touches every case alike.
    let mut cases = Vec::new();
    let mut discards = Vec::new();
    for (name, pairs) in &configs {
        let discard = Sink::new(config(pairs), Arc::new(Discard));
        let (summary, ..) = invoke(&discard);
        let files: Vec<usize> = summary.files.iter().map(|f| f.records).collect();
        discards.push((*name, discard, files, Vec::new(), Vec::new(), Vec::new()));
        for &concurrency in &args.concurrency {
            let value = concurrency.to_string();
            let mut pairs = pairs.to_vec();
            pairs.push(("lambda.upload.concurrency", &value));
            let config = config(&pairs);
            let store = S3Store::with_client(client.clone(), config.s3.clone());
            let sink = Sink::new(config, Arc::new(store));
            let before = server.requests().len();
            let (summary, ..) = invoke(&sink);
            assert_eq!(summary.records_written, orders::RECORDS, "{name}");
            assert_eq!(
                server.requests().len() - before,
                summary.files.len(),
                "{name}: one PutObject per object"
            );
            cases.push(Case {
                config: name,
                concurrency,
                sink,
                samples: Vec::new(),
            });
        }
    }

    let load_before = load();
    for _ in 0..args.runs {
        for (_, sink, files, walls, cpus, encodes) in &mut discards {
            let (_, wall, cpu, _) = invoke(sink);
            walls.push(wall);
            cpus.push(cpu);
            encodes.push(encode_only(sink.config(), &rendered, &lines, files));
        }
        for case in &mut cases {
            let before = server.requests().len();
            let (summary, wall, cpu, server_cpu) = invoke(&case.sink);
            case.samples.push(Sample {
                wall,
                cpu,
                server_cpu,
                objects: summary.files.len(),
                requests: server.requests().len() - before,
            });
        }
    }
    let load_after = load();

    println!(
        "event: {} bytes, {} records; latency {} ms per request; median of {} runs, interleaved",
        json.len(),
        orders::RECORDS,
        args.latency.as_millis(),
        args.runs
    );
    println!("load average (1, 5, 15 min): before {load_before}, after {load_after}");
    println!();
    println!("no uploads (the same invocation into a store that discards its objects):");
    println!(
        "{:<12} {:>8} {:>8} {:>7} {:>22}",
        "config", "wall ms", "CPU ms", "objects", "encode step alone ms"
    );
    let mut before_upload = Vec::new();
    for (name, _, files, walls, cpus, encodes) in discards {
        let wall = median(walls);
        println!(
            "{name:<12} {:>8.1} {:>8.1} {:>7} {:>22.2}",
            ms(wall),
            ms(median(cpus)),
            files.len(),
            ms(median(encodes))
        );
        before_upload.push((name, wall));
    }
    println!();
    println!(
        "{:<12} {:>4} {:>8} {:>7} {:>10} {:>7} {:>8} {:>9} {:>9} {:>16}",
        "config",
        "conc",
        "wall ms",
        "CPU ms",
        "server ms",
        "objects",
        "requests",
        "ideal ms",
        "upload ms",
        "wall/(CPU+ideal)"
    );
    for case in &cases {
        let s = &case.samples;
        let wall = median(s.iter().map(|s| s.wall).collect());
        let cpu = median(s.iter().map(|s| s.cpu).collect());
        let server_cpu = median(s.iter().map(|s| s.server_cpu).collect());
        let objects = s[0].objects;
        let requests = s[0].requests;
        assert!(
            s.iter()
                .all(|x| x.objects == objects && x.requests == requests)
        );
        let ideal = args.latency * requests.div_ceil(case.concurrency) as u32;
        let prepared = before_upload
            .iter()
            .find(|(n, _)| *n == case.config)
            .map_or(Duration::ZERO, |(_, w)| *w);
        println!(
            "{:<12} {:>4} {:>8.1} {:>7.1} {:>10.1} {:>7} {:>8} {:>9.1} {:>9.1} {:>16.2}",
            case.config,
            case.concurrency,
            ms(wall),
            ms(cpu),
            ms(server_cpu),
            objects,
            requests,
            ms(ideal),
            ms(wall.saturating_sub(prepared)),
            wall.as_secs_f64() / (cpu + ideal).as_secs_f64()
        );
    }
    println!();
    println!(
        "CPU: the whole process (user + sys), the in-process server included; server: its threads' share. \
         upload: wall minus the no-upload wall of the same config."
    );
    drop(server);
}

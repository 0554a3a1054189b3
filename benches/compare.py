#!/usr/bin/env python3
"""The sink beside the floor and beside Python handlers doing the same job, as whole processes.

Generates the 10,000-record event of `benches/common/orders.rs` (byte for byte), checks that the
Python handlers' output equals the sink's (JSON byte-identical, Parquet value-identical),
then runs every command several times, interleaved, and prints medians of wall time and peak
RSS, the ratios the performance goals are stated in, the binary's size and the time from
process start to the first Lambda runtime-API poll.

    cargo build --release && cargo build --release --example floor
    python3 benches/compare.py [--runs 7] [--sink target/release/kafka-s3-sink]

Needs pyarrow for the Parquet comparison (skipped without it). Output and event files go to
a RAM disk (`/dev/shm`) when there is one.
"""

import argparse
import base64
import http.server
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RECORDS = 10_000

GOALS = [
    # (label, figure key, goal text, test)
    ("sink / floor (JSON, DefaultPartitioner)", "ratio_default", "<= 1.5x", lambda v: v <= 1.5),
    ("sink / floor (JSON, TimeBased RecordField + parser)", "ratio_time", "<= 1.5x", lambda v: v <= 1.5),
    ("plain Python handler / sink (JSON, TimeBased)", "ratio_python", ">= 8x", lambda v: v >= 8),
    ("Python + pyarrow / sink (Parquet snappy, TimeBased)", "ratio_pyarrow", ">= 6x", lambda v: v >= 6),
    ("peak RSS, 6.5 MB event (MB)", "rss_mb", "<= 32 MB", lambda v: v <= 32),
    ("binary size (MB)", "size_mb", "<= 15 MB", lambda v: v <= 15),
    ("process start to first runtime-API poll (ms)", "poll_ms", "<= 10 ms", lambda v: v <= 10),
]


def event_json(first_offset=0):
    """The event `benches/common/orders.rs` builds, byte for byte (with the default
    `first_offset`); each partition's offsets run from `first_offset` (`benches/scale.py`
    gives each copy its own)."""
    parts = [[] for _ in range(4)]
    for i in range(RECORDS):
        day = 1 + i % 7
        value = (
            f'{{"order_id":"{i}","customer_id":"{100_000 + i * 7 % 9973}","book_id":"{400 + i % 50}",'
            f'"quantity":{1 + i % 5},"price":{i % 90}.99,"dt":"2023-10-{day:02}",'
            f'"shipping":{{"city":"Seoul","street":"Teheran-ro {i % 500}","zip":"06{i % 1000:03}"}},'
            f'"note":"{"x" * 180}"}}'
        )
        p = i % 4
        parts[p].append(
            f'{{"topic":"orders","partition":{p},"offset":{first_offset + i // 4},"timestamp":{1_696_122_000_000 + i * 1000},'
            f'"timestampType":"CREATE_TIME","key":"{base64.b64encode(str(i).encode()).decode()}",'
            f'"value":"{base64.b64encode(value.encode()).decode()}","headers":[{{"source":[111,114,100]}}]}}'
        )
    groups = ",".join(f'"orders-{p}":[{",".join(recs)}]' for p, recs in enumerate(parts))
    return (
        '{"eventSource":"aws:kafka","eventSourceArn":"arn:aws:kafka:ap-northeast-2:123456789012:'
        f'cluster/bench/1","records":{{{groups}}}}}'
    )


BASE = {
    "flush.size": "1000",
    "value.converter.schemas.enable": "false",
}
TIME_BASED = {
    "partitioner.class": "TimeBasedPartitioner",
    "timestamp.extractor": "RecordField",
    "timestamp.field": "dt",
    "timestamp.parser": "yyyy-MM-dd",
    "path.format": "'year'=YYYY/'month'=MM/'day'=dd",
    "partition.duration.ms": "86400000",
    "timezone": "Asia/Seoul",
    "locale": "ko_KR",
}
PARQUET = {"format.class": "io.confluent.connect.s3.format.parquet.ParquetFormat", "parquet.codec": "snappy"}


def write_config(path, pairs):
    with open(path, "w") as f:
        for k, v in pairs.items():
            f.write(f"{k}={v}\n")


def run(cmd, out=None):
    """Runs `cmd` to completion in a fresh `out`; returns (wall seconds, peak RSS bytes).

    The peak RSS is GNU time's (`%M`): a child of this (large) Python process would report
    this process's resident set as its own peak, as Linux carries it over the fork."""
    if out:
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
    rss_file = os.path.join(os.path.dirname(out or cmd[-1]), "rss.txt")
    start = time.perf_counter()
    p = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", rss_file, *cmd],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.decode(errors='replace')}")
    with open(rss_file) as f:
        return wall, int(f.read().split()[-1]) * 1024


def tree(root):
    files = {}
    for d, _, names in os.walk(root):
        for n in names:
            path = os.path.join(d, n)
            files[os.path.relpath(path, root)] = path
    return files


def same_json(a, b):
    ta, tb = tree(a), tree(b)
    if sorted(ta) != sorted(tb):
        return f"file lists differ: {sorted(set(ta) ^ set(tb))[:5]}"
    for k in ta:
        with open(ta[k], "rb") as fa, open(tb[k], "rb") as fb:
            if fa.read() != fb.read():
                return f"{k} differs"
    return None


def same_parquet(a, b):
    import pyarrow.parquet as pq

    ta, tb = tree(a), tree(b)
    if sorted(ta) != sorted(tb):
        return f"file lists differ: {sorted(set(ta) ^ set(tb))[:5]}"
    for k in ta:
        if pq.read_table(ta[k]).to_pylist() != pq.read_table(tb[k]).to_pylist():
            return f"{k}: values differ"
    return None


class RuntimeApi(http.server.BaseHTTPRequestHandler):
    """A Lambda runtime API that notes the time of the first `invocation/next` poll."""

    polled = None

    def do_GET(self):  # noqa: N802
        if RuntimeApi.polled is None and "/invocation/next" in self.path:
            RuntimeApi.polled = time.perf_counter()
        # Never answer: the poll is all that is measured; the process is killed.
        time.sleep(1)

    def log_message(self, *args):
        pass


def first_poll_ms(sink, work, runs):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = os.path.join(work, "lambda.properties")
    write_config(config, {**BASE, "s3.bucket.name": "bench-bucket", "s3.region": "us-east-1"})
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_EC2_METADATA_DISABLED": "true",
        "S3_SINK_CONFIG_FILE": config,
    }
    times = []
    for _ in range(runs):
        RuntimeApi.polled = None
        start = time.perf_counter()
        p = subprocess.Popen([sink], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while RuntimeApi.polled is None and p.poll() is None and time.perf_counter() - start < 5:
            time.sleep(0.0002)
        p.kill()
        p.wait()
        if RuntimeApi.polled is None:
            server.shutdown()
            return None
        times.append((RuntimeApi.polled - start) * 1000)
    server.shutdown()
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sink", default="target/release/kafka-s3-sink")
    ap.add_argument("--floor", default="target/release/examples/floor")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    try:
        import pyarrow  # noqa: F401

        have_pyarrow = True
    except ImportError:
        have_pyarrow = False
        print("pyarrow not installed: the Parquet comparison is skipped", file=sys.stderr)

    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    work = tempfile.mkdtemp(prefix="kss-compare-", dir=base)
    try:
        event = os.path.join(work, "event.json")
        with open(event, "w") as f:
            f.write(event_json())
        configs = {}
        for name, pairs in [
            ("default", BASE),
            ("time", {**BASE, **TIME_BASED}),
            ("parquet", {**BASE, **TIME_BASED, **PARQUET}),
        ]:
            configs[name] = os.path.join(work, f"{name}.properties")
            write_config(configs[name], pairs)
        out = lambda name: os.path.join(work, "out-" + name)  # noqa: E731
        py = os.path.join(HERE, "python_handler.py")
        pa = os.path.join(HERE, "pyarrow_handler.py")
        commands = {
            "floor": ([args.floor, event], None),
            "sink_default": ([args.sink, "replay", "--config", configs["default"], "--local-dir", out("sd"), event], out("sd")),
            "sink_time": ([args.sink, "replay", "--config", configs["time"], "--local-dir", out("st"), event], out("st")),
            "python_default": ([args.python, py, "--partitioner", "default", "--out", out("pd"), event], out("pd")),
            "python_time": ([args.python, py, "--partitioner", "timebased", "--out", out("pt"), event], out("pt")),
        }
        if have_pyarrow:
            commands["sink_parquet"] = ([args.sink, "replay", "--config", configs["parquet"], "--local-dir", out("sp"), event], out("sp"))
            commands["pyarrow_parquet"] = ([args.python, pa, "--out", out("pp"), event], out("pp"))

        # Same output before any timing.
        for cmd, o in commands.values():
            run(cmd, o)
        checks = [("JSON default", same_json, "sd", "pd"), ("JSON time-based", same_json, "st", "pt")]
        if have_pyarrow:
            checks.append(("Parquet time-based", same_parquet, "sp", "pp"))
        for label, check, a, b in checks:
            problem = check(out(a), out(b))
            if problem:
                sys.exit(f"{label}: the Python handler's output differs from the sink's: {problem}")
            print(f"output check: {label}: the Python handler's files equal the sink's ({len(tree(out(a)))} files)")

        walls = {k: [] for k in commands}
        rss = {k: [] for k in commands}
        for _ in range(args.runs):
            for k, (cmd, o) in commands.items():
                w, r = run(cmd, o)
                walls[k].append(w)
                rss[k].append(r)
        med = {k: statistics.median(v) * 1000 for k, v in walls.items()}
        med_rss = {k: statistics.median(v) / 1e6 for k, v in rss.items()}

        print(f"\nevent: {os.path.getsize(event):,} bytes, {RECORDS:,} records; {args.runs} runs each, interleaved")
        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1, 5, 15 min)")
        print(f"{'command':<18} {'median wall ms':>15} {'min ms':>8} {'median peak RSS MB':>19}")
        for k in commands:
            print(f"{k:<18} {med[k]:>15.1f} {min(walls[k]) * 1000:>8.1f} {med_rss[k]:>19.1f}")

        figures = {
            "ratio_default": med["sink_default"] / med["floor"],
            "ratio_time": med["sink_time"] / med["floor"],
            "ratio_python": med["python_time"] / med["sink_time"],
            "rss_mb": max(med_rss[k] for k in commands if k.startswith("sink_")),
            "size_mb": os.path.getsize(args.sink) / 1e6,
        }
        if have_pyarrow:
            figures["ratio_pyarrow"] = med["pyarrow_parquet"] / med["sink_parquet"]
        poll = first_poll_ms(args.sink, work, args.runs)
        if poll is not None:
            figures["poll_ms"] = poll
        print(f"\n{'figure':<54} {'value':>9}  goal")
        for label, key, goal, test in GOALS:
            if key not in figures:
                print(f"{label:<54} {'n/a':>9}  {goal}")
                continue
            v = figures[key]
            print(f"{label:<54} {v:>9.2f}  {goal} {'met' if test(v) else 'NOT met'}")
        print(f"(Python default-partitioner handler / sink: {med['python_default'] / med['sink_default']:.2f}x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

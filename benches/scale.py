#!/usr/bin/env python3
"""Replay at scale: many invocations in one process, and whether memory stays flat.

Writes N copies of the bench event (`benches/compare.py`'s generator: 10,000 records, 6.5 MB),
each with its own offsets (copy k starts every partition at k * 2,500), so every invocation
writes objects of its own, as consecutive batches of a mapping do. Then runs the release
binary's `replay` over the directory (one invocation per file, in one process, into a local
directory) and reports records/s, MB/s of event JSON and peak RSS (GNU time's %M), and the
peak RSS of the same replay over the first 1 and 10 events, to show whether the resident set
grows with the number of invocations. Checks that the output holds N times the objects of
one event. Standard library only.

    cargo build --release
    python3 benches/scale.py [--events 100] [--runs 3] [--configs default,time]

Event and output files go to a RAM disk (`/dev/shm`) when there is one.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (the event generator, configurations and timed runner)

PER_PARTITION = compare.RECORDS // 4


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sink", default="target/release/kafka-s3-sink")
    ap.add_argument("--events", type=int, default=100, help="copies of the bench event (default 100: 1 million records)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each replay; medians are reported")
    ap.add_argument("--configs", default="default,time", help="default (DefaultPartitioner) and/or time (TimeBasedPartitioner)")
    args = ap.parse_args()
    if not os.path.exists(args.sink):
        sys.exit(f"{args.sink} not found: cargo build --release")
    all_configs = {"default": compare.BASE, "time": {**compare.BASE, **compare.TIME_BASED}}
    names = [c for c in args.configs.split(",") if c]
    if not names or any(c not in all_configs for c in names):
        sys.exit(f"--configs takes a comma-separated list of {', '.join(all_configs)}")

    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    work = tempfile.mkdtemp(prefix="kss-scale-", dir=base)
    try:
        events = os.path.join(work, "events")
        os.makedirs(events)
        event_bytes = []
        for k in range(args.events):
            text = compare.event_json(first_offset=k * PER_PARTITION)
            with open(os.path.join(events, f"event-{k:05}.json"), "w") as f:
                f.write(text)
            event_bytes.append(len(text))
        # Directories of the first 1 and 10 events (links; replay follows them).
        counts = sorted({n for n in (1, 10, args.events) if n <= args.events})
        dirs = {}
        for n in counts:
            if n == args.events:
                dirs[n] = events
                continue
            dirs[n] = os.path.join(work, f"first-{n}")
            os.makedirs(dirs[n])
            for k in range(n):
                name = f"event-{k:05}.json"
                os.symlink(os.path.join(events, name), os.path.join(dirs[n], name))

        print(f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
        print(
            f"{args.events} events of {compare.RECORDS:,} records ({sum(event_bytes) / 1e6:,.1f} MB of event JSON); "
            f"median of {args.runs} runs; {args.sink}"
        )
        print(
            f"{'config':<8} {'events':>6} {'records':>10} {'objects':>8} {'wall s':>8} "
            f"{'records/s':>10} {'MB/s':>7} {'peak RSS MB':>12}"
        )
        out = os.path.join(work, "out")
        for name in names:
            config = os.path.join(work, f"{name}.properties")
            compare.write_config(config, all_configs[name])
            objects_per_event = None
            for n in counts:
                cmd = [args.sink, "replay", "--config", config, "--local-dir", out, dirs[n]]
                walls, rss = [], []
                for _ in range(args.runs):
                    wall, peak = compare.run(cmd, out)
                    walls.append(wall)
                    rss.append(peak)
                objects = len(compare.tree(out))
                if objects_per_event is None:
                    objects_per_event = objects / n
                if objects != objects_per_event * n:
                    sys.exit(f"{name}: {n} events wrote {objects} objects, not {n} x {objects_per_event:g}")
                wall = statistics.median(walls)
                records = n * compare.RECORDS
                mb = sum(event_bytes[:n]) / 1e6
                print(
                    f"{name:<8} {n:>6} {records:>10,} {objects:>8,} {wall:>8.2f} "
                    f"{records / wall:>10,.0f} {mb / wall:>7.1f} {statistics.median(rss) / 1e6:>12.1f}"
                )
        print(f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

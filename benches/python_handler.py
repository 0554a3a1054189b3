#!/usr/bin/env python3
"""A plain Python handler doing the sink's job on the benchmark event, for comparison.

Standard library only (`json`, `base64`, `zoneinfo`): reads a Lambda Kafka event file,
decodes every value, partitions it as the sink's DefaultPartitioner or TimeBasedPartitioner
(RecordField `dt`, `yyyy-MM-dd`, daily paths in Asia/Seoul) would, groups records into files
by the file rule (`flush.size` offset cells x partition path, named by the smallest offset)
and writes JSON lines in Confluent's layout to a local directory.

It handles what the benchmark event holds (objects of strings, integers and two-decimal
doubles), not every value Jackson would render differently from Python's `json`.

    python3 benches/python_handler.py --partitioner default|timebased --out DIR EVENT.json
"""

import argparse
import base64
import datetime
import json
import os
import sys
import zoneinfo

FLUSH_SIZE = 1000
ZONE = zoneinfo.ZoneInfo("Asia/Seoul")
DAY_MS = 86_400_000


def time_based_path(value):
    """`'year'=YYYY/'month'=MM/'day'=dd` of the record field `dt` (`yyyy-MM-dd` in Seoul),
    with Confluent's bucketing: local time floored to `partition.duration.ms`."""
    parsed = datetime.datetime.strptime(value["dt"], "%Y-%m-%d").replace(tzinfo=ZONE)
    ts = int(parsed.timestamp() * 1000)
    offset_ms = int(parsed.utcoffset().total_seconds() * 1000)
    local = ts + offset_ms
    bucket = local - local % DAY_MS - offset_ms
    t = datetime.datetime.fromtimestamp(bucket / 1000, ZONE)
    return f"year={t.year:04d}/month={t.month:02d}/day={t.day:02d}"


def files_of(event, partitioner):
    """Yields (key, records) for every file of the event, records in offset order."""
    for records in event["records"].values():
        records = sorted(records, key=lambda r: r["offset"])
        groups = {}
        for r in records:
            value = json.loads(base64.b64decode(r["value"]))
            p = r["partition"]
            if partitioner == "default":
                path = f"partition={p}"
            else:
                path = time_based_path(value)
            cell = r["offset"] // FLUSH_SIZE
            group = groups.get((cell, path))
            if group is None:
                group = groups[(cell, path)] = (r["topic"], p, r["offset"], [])
            group[3].append(value)
        for (_, path), (topic, p, start, values) in groups.items():
            yield f"topics/{topic}/{path}/{topic}+{p}+{start:010d}", values


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partitioner", choices=["default", "timebased"], required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("event")
    args = ap.parse_args()
    with open(args.event, "rb") as f:
        event = json.loads(f.read())
    files = 0
    written = 0
    for key, values in files_of(event, args.partitioner):
        body = "".join(
            json.dumps(v, ensure_ascii=False, separators=(",", ":")) + "\n" for v in values
        ).encode()
        path = os.path.join(args.out, key + ".json")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(body)
        files += 1
        written += len(values)
    print(json.dumps({"records_written": written, "files": files}))


if __name__ == "__main__":
    sys.exit(main())

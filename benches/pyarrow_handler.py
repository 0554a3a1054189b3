#!/usr/bin/env python3
"""A Python + pyarrow handler writing the benchmark event as Parquet (snappy), for comparison.

The same job as the sink with `ParquetFormat` and the TimeBasedPartitioner of
`python_handler.py`: one Parquet file per file-rule group, the schema inferred from the
records by pyarrow, written with `pyarrow.parquet`.

    python3 benches/pyarrow_handler.py --out DIR EVENT.json
"""

import argparse
import json
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from python_handler import files_of  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("event")
    args = ap.parse_args()
    with open(args.event, "rb") as f:
        event = json.loads(f.read())
    files = 0
    written = 0
    for key, values in files_of(event, "timebased"):
        path = os.path.join(args.out, key + ".snappy.parquet")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        pq.write_table(pa.Table.from_pylist(values), path, compression="snappy")
        files += 1
        written += len(values)
    print(json.dumps({"records_written": written, "files": files}))


if __name__ == "__main__":
    sys.exit(main())

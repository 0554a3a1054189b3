"""Reads replay output with DuckDB, an independent reader, as data-lake users would.

Usage: python3 scripts/duckdb_check.py OUT_DIR
OUT_DIR holds the replay of events/orders-msk.json with examples/configs/orders-timebased.json
and format.class=ParquetFormat (see .ci/run). Exits non-zero on any mismatch.
"""

import sys

import duckdb


def main(out: str) -> None:
    con = duckdb.connect()
    glob = f"{out}/topics/orders/*/*/*/*.snappy.parquet"
    rel = con.sql(
        f"select year, month, day, order_id, quantity, price, dt "
        f"from read_parquet('{glob}', hive_partitioning = true) order by order_id"
    )
    print(rel)
    rows = rel.fetchall()
    expected = [
        (2023, 10, "01", "1", 2, 29.99, "2023-10-01"),
        (2023, 10, "02", "2", 1, 15.99, "2023-10-02"),
        (2023, 10, "03", "3", 3, 45.0, "2023-10-03"),
    ]
    normalized = [(int(y), int(m), str(d).zfill(2), o, q, p, dt) for (y, m, d, o, q, p, dt) in rows]
    if normalized != expected:
        sys.exit(f"DuckDB read {normalized}, expected {expected}")
    per_day = con.sql(
        f"select day, count(*) from read_parquet('{glob}', hive_partitioning = true) "
        f"group by day order by day"
    ).fetchall()
    print("rows per day:", per_day)
    if [c for (_, c) in per_day] != [1, 1, 1]:
        sys.exit(f"unexpected rows per day: {per_day}")
    print("duckdb: 3 rows over year=/month=/day= partitions, values as written")


if __name__ == "__main__":
    main(sys.argv[1])

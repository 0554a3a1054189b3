#!/usr/bin/env python3
"""Writes events/orders-schema-registry-source-msk.json: an MSK event as a mapping with a
Confluent schema registry and `EventRecordFormat: SOURCE` delivers it (AWS Lambda, "Using
schema registries with Kafka event sources"): each value is the Avro binary without the
registry framing, encoded here by fastavro, with valueSchemaMetadata naming schema id 1, the
id a fresh registry gives tests/fixtures/orders-source.avsc.

  source_fixture.py   (run from the repository root)
"""

import base64
import decimal
import io
import json

import fastavro

SCHEMA_FILE = "tests/fixtures/orders-source.avsc"
EVENT_FILE = "events/orders-schema-registry-source-msk.json"
ROWS = [
    {"order_id": "o-1", "amount": decimal.Decimal("19.99"), "created_at": 1696122000123, "note": None},
    {"order_id": "o-2", "amount": decimal.Decimal("-5.10"), "created_at": 1696125600000, "note": "gift"},
    {"order_id": "o-3", "amount": decimal.Decimal("1200.00"), "created_at": 1696208400999, "note": "café"},
]


def main():
    schema = json.load(open(SCHEMA_FILE))
    parsed = fastavro.parse_schema(schema)
    records = []
    for offset, row in enumerate(ROWS):
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, parsed, row)
        records.append({
            "topic": "orders",
            "partition": 0,
            "offset": offset,
            "timestamp": row["created_at"],
            "timestampType": "CREATE_TIME",
            "key": base64.b64encode(row["order_id"].encode()).decode(),
            "value": base64.b64encode(buf.getvalue()).decode(),
            "headers": [],
            "valueSchemaMetadata": {"dataFormat": "AVRO", "schemaId": "1"},
        })
    event = {
        "eventSource": "aws:kafka",
        "eventSourceArn": "arn:aws:kafka:ap-northeast-2:123456789012:cluster/msk-lab/5e1f9a3c-1111-2222-3333-444455556666-1",
        "bootstrapServers": "b-1.msklab.abcdef.c2.kafka.ap-northeast-2.amazonaws.com:9098",
        "records": {"orders-0": records},
    }
    with open(EVENT_FILE, "w") as f:
        json.dump(event, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()

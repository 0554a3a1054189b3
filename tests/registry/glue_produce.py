#!/usr/bin/env python3
"""Writes an MSK event whose values are framed as the AWS Glue Schema Registry serializer
frames them, with the schema registered in a Glue Schema Registry API (moto's server in the
tests, reached with boto3).

  glue_produce.py --endpoint URL --topic T --count N --event OUT.json --expect OUT.jsonl
                  [--bad unknown-version|confluent-framing]

The framing is the documented one (GlueSchemaRegistryDeserializerDataParser in
awslabs/aws-glue-schema-registry): header byte 3, compression byte (0 none, 5 zlib), the
16-byte schema version UUID, then the Avro binary, encoded here by fastavro, independently of
the code under test. Every third record is zlib-compressed. The expect file has one JSON
line per record: partition, offset, the value (Decimal as text, dates as days, timestamps as
epoch milliseconds), and `bad` for the corrupted one.
"""

import argparse
import base64
import decimal
import io
import json
import uuid
import zlib

import boto3
import fastavro

SCHEMA = {
    "type": "record",
    "name": "Order",
    "namespace": "com.example",
    "fields": [
        {"name": "order_id", "type": "string"},
        {"name": "quantity", "type": "int"},
        {"name": "price", "type": "double"},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
        {"name": "created_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "order_date", "type": {"type": "int", "logicalType": "date"}},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID"]}},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--event", required=True)
    p.add_argument("--expect", required=True)
    p.add_argument("--bad")
    args = p.parse_args()

    glue = boto3.client(
        "glue",
        endpoint_url=args.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    try:
        glue.create_registry(RegistryName="sink-registry")
    except glue.exceptions.AlreadyExistsException:
        pass
    name = f"{args.topic}-value"
    try:
        created = glue.create_schema(
            RegistryId={"RegistryName": "sink-registry"},
            SchemaName=name,
            DataFormat="AVRO",
            Compatibility="BACKWARD",
            SchemaDefinition=json.dumps(SCHEMA),
        )
        version_id = created["SchemaVersionId"]
    except glue.exceptions.AlreadyExistsException:
        version_id = glue.get_schema_version(
            SchemaId={"RegistryName": "sink-registry", "SchemaName": name},
            SchemaVersionNumber={"LatestVersion": True},
        )["SchemaVersionId"]
    parsed = fastavro.parse_schema(SCHEMA)
    records, expect = [], []
    for i in range(args.count):
        value = {
            "order_id": f"o-{i:04d}",
            "quantity": i % 5,
            "price": 10.5 + i,
            "amount": decimal.Decimal(f"{i * 3}.25"),
            "created_at": 1696122000123 + i * 1000,
            "order_date": 19631 + i % 3,
            "status": "PAID" if i % 2 else "NEW",
            "note": None if i % 4 == 0 else f"note {i}",
        }
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, parsed, value)
        body = buf.getvalue()
        vid = uuid.UUID(version_id).bytes
        if i % 3 == 2:
            framed = bytes([3, 5]) + vid + zlib.compress(body)
        else:
            framed = bytes([3, 0]) + vid + body
        row = {"partition": 0, "offset": i, "value": dict(value, amount=str(value["amount"]))}
        if args.bad and i == 1:
            row["bad"] = args.bad
            if args.bad == "unknown-version":
                framed = bytes([3, 0]) + uuid.UUID(int=1).bytes + body
            elif args.bad == "confluent-framing":
                framed = bytes([0, 0, 0, 0, 1]) + body
            else:
                raise SystemExit(f"unknown --bad {args.bad}")
        records.append(
            {
                "topic": args.topic,
                "partition": 0,
                "offset": i,
                "timestamp": 1696122000000 + i * 1000,
                "timestampType": "CREATE_TIME",
                "key": None,
                "value": base64.b64encode(framed).decode(),
                "headers": [],
            }
        )
        expect.append(row)
    event = {
        "eventSource": "aws:kafka",
        "eventSourceArn": "arn:aws:kafka:us-east-1:123456789012:cluster/test/1",
        "records": {f"{args.topic}-0": records},
    }
    with open(args.event, "w") as f:
        json.dump(event, f)
    with open(args.expect, "w") as f:
        for row in expect:
            f.write(json.dumps(row) + "\n")
    print(json.dumps({"schemaVersionId": version_id, "records": len(records)}))


if __name__ == "__main__":
    main()

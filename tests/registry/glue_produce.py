#!/usr/bin/env python3
"""Writes an MSK event whose values are framed as the AWS Glue Schema Registry serializer
frames them, with the schema registered in a Glue Schema Registry API (moto's server in the
tests, reached with boto3).

  glue_produce.py --endpoint URL --topic T --count N --event OUT.json --expect OUT.jsonl
                  [--kind avro|json|protobuf] [--bad unknown-version|confluent-framing|wrong-format|missing-field]

The framing is the documented one (GlueSchemaRegistryDeserializerDataParser in
awslabs/aws-glue-schema-registry): header byte 3, compression byte (0 none, 5 zlib), the
16-byte schema version UUID, then the payload, written here independently of the code under
test: for `avro` the Avro binary encoded by fastavro, for `json` the JSON text (DataFormat
JSON, as the Glue JSON Schema serializer writes it), for `protobuf` (DataFormat PROTOBUF, the
`.proto` text registered) the message index the Glue serializer writes (an unsigned varint:
the message's place among all of the file's messages sorted by full name,
MessageIndexFinder) then the message, encoded by Python's protobuf package from classes
compiled at run time with grpc_tools' protoc. Every third record is zlib-compressed.
The expect file has one JSON line per record: partition, offset, the value, and `bad` for the
corrupted one. For `avro` the value is what was encoded (Decimal as text, dates as days,
timestamps as epoch milliseconds); for `json` it is what the Glue library's JsonSchemaConverter
makes of the payload in Connect's JSON form (an `integer` without `connect.type` is a double,
decimals base64 of the unscaled value); for `protobuf` it is what the Glue library's
ProtobufSchemaConverter makes of the message (unset scalars their default, an unset `optional`
field null, a oneof a struct of its members, enums by name, timestamps as epoch milliseconds,
dates as days).

Bad modes, on the value at offset 1: `unknown-version` (a version id Glue does not know),
`confluent-framing` (Confluent's magic byte and id), `wrong-format` (the version id of a schema
of another data format, registered under `<topic>-other`), `missing-field` (json: a payload
without `paid`), `bad-index` (protobuf: message index 99), `bad-message` (protobuf: a
truncated message).
"""

import argparse
import base64
import datetime
import decimal
import importlib
import io
import json
import os
import subprocess
import sys
import tempfile
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

# A JSON Schema as a plain producer registers it (no Glue source converter involved), with the
# `connect.*` annotations Glue's JsonSchemaConverter reads for types it cannot tell otherwise.
JSON_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Order",
    "type": "object",
    "properties": {
        "order_id": {"type": "string"},
        "quantity": {"type": "integer", "connect.type": "int32"},
        "count": {"type": "integer"},
        "price": {"type": "number"},
        "paid": {"type": "boolean"},
        "amount": {
            "type": "string",
            "connect.type": "bytes",
            "connect.name": "org.apache.kafka.connect.data.Decimal",
            "connect.version": 1,
            "connect.parameters": {"scale": "2"},
        },
        "created_at": {
            "type": "integer",
            "connect.type": "int64",
            "connect.name": "org.apache.kafka.connect.data.Timestamp",
            "connect.version": 1,
        },
        "order_date": {
            "type": "integer",
            "connect.type": "int32",
            "connect.name": "org.apache.kafka.connect.data.Date",
            "connect.version": 1,
        },
        "status": {"enum": ["NEW", "PAID"]},
        "note": {"oneOf": [{"type": "null"}, {"type": "string"}]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "address": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
        },
        "counts": {
            "type": "object",
            "connect.type": "map",
            "additionalProperties": {"type": "integer", "connect.type": "int32"},
        },
    },
    "required": ["order_id"],
}


ORDERS_PROTO = """syntax = "proto3";
package shop;

import "google/protobuf/timestamp.proto";
import "google/type/date.proto";

message Audit {
  string who = 1;
}

message Order {
  string order_id = 1;
  int32 quantity = 2;
  sint64 customer = 3;
  uint32 units = 4;
  double price = 5;
  bool paid = 6;
  Status status = 7;
  google.protobuf.Timestamp created_at = 8;
  google.type.Date order_date = 9;
  repeated string tags = 10;
  map<string, int32> counts = 11;
  Address address = 12;
  oneof payment {
    string card = 13;
    int64 cash_cents = 14;
  }
  optional string note = 15;

  message Address {
    string city = 1;
    string zip = 2;
  }
}

enum Status {
  NEW = 0;
  PAID = 1;
}
"""

# google/type/date.proto as Google publishes it, for protoc (grpc_tools ships only
# google/protobuf).
DATE_PROTO = """syntax = "proto3";
package google.type;
message Date {
  int32 year = 1;
  int32 month = 2;
  int32 day = 3;
}
"""


def compile_orders_proto():
    import grpc_tools

    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    tmp = tempfile.mkdtemp(prefix="kss-glue-proto-")
    os.makedirs(os.path.join(tmp, "google", "type"))
    with open(os.path.join(tmp, "google", "type", "date.proto"), "w") as f:
        f.write(DATE_PROTO)
    with open(os.path.join(tmp, "glue_orders.proto"), "w") as f:
        f.write(ORDERS_PROTO)
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I", tmp, "-I", include,
         "--python_out", tmp, "glue_orders.proto", "google/type/date.proto"],
        check=True,
    )
    sys.path.insert(0, tmp)
    return importlib.import_module("glue_orders_pb2")


def message_index(file_descriptor, full_name):
    """MessageIndexFinder.getAll: every message of the file, nested ones (map entries too)
    included, sorted by full name."""
    names, queue = [], list(file_descriptor.message_types_by_name.values())
    while queue:
        d = queue.pop(0)
        names.append(d.full_name)
        queue.extend(d.nested_types)
    return sorted(names).index(full_name)


def uvarint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def protobuf_record(pb, i):
    order = pb.Order(
        order_id=f"o-{i:04d}",
        quantity=i % 5,
        customer=-5000000000 - i,
        units=4000000000 + i,
        price=10.5 + i,
        paid=i % 2 == 1,
        status=pb.PAID if i % 2 else pb.NEW,
        tags=[f"t{j}" for j in range(i % 3)],
    )
    order.created_at.FromMilliseconds(1696122000123 + i * 1000)
    day = datetime.date(2023, 10, 1) + datetime.timedelta(days=i % 3)
    order.order_date.year, order.order_date.month, order.order_date.day = day.year, day.month, day.day
    order.counts["b"] = i
    order.counts["a"] = 2 * i
    if i % 3 != 1:
        order.address.city = "Seoul"
        order.address.zip = f"0{6000 + i}"
    if i % 2 == 0:
        order.card = f"card-{i}"
    elif i % 4 == 1:
        order.cash_cents = 100 * i
    if i % 4 != 0:
        order.note = f"note {i} café"
    index = message_index(pb.DESCRIPTOR, "shop.Order")
    body = uvarint(index) + order.SerializeToString()
    expect = {
        "order_id": order.order_id,
        "quantity": order.quantity,
        "customer": order.customer,
        "units": order.units,
        "price": order.price,
        "paid": order.paid,
        "status": "PAID" if i % 2 else "NEW",
        "created_at": 1696122000123 + i * 1000,
        "order_date": (day - datetime.date(1970, 1, 1)).days,
        "tags": list(order.tags),
        "counts": {"a": 2 * i, "b": i},
        # An unset message field is the struct of its defaults.
        "address": {"city": order.address.city, "zip": order.address.zip},
        "payment": {
            "card": order.card if order.HasField("card") else None,
            "cash_cents": order.cash_cents if order.HasField("cash_cents") else None,
        },
        "note": order.note if order.HasField("note") else None,
    }
    return body, expect


def unscaled_base64(text):
    """Connect's JSON form of a Decimal: base64 of the minimal two's-complement unscaled value."""
    n = int(decimal.Decimal(text).scaleb(2))
    size = max(1, (n.bit_length() + 8) // 8)
    return base64.b64encode(n.to_bytes(size, "big", signed=True)).decode()


def register(glue, name, data_format, definition):
    try:
        return glue.create_schema(
            RegistryId={"RegistryName": "sink-registry"},
            SchemaName=name,
            DataFormat=data_format,
            Compatibility="BACKWARD",
            SchemaDefinition=definition,
        )["SchemaVersionId"]
    except glue.exceptions.AlreadyExistsException:
        return glue.get_schema_version(
            SchemaId={"RegistryName": "sink-registry", "SchemaName": name},
            SchemaVersionNumber={"LatestVersion": True},
        )["SchemaVersionId"]


def avro_record(parsed, i):
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
    return buf.getvalue(), dict(value, amount=str(value["amount"]))


def json_record(i, bad):
    amount = f"{i * 3}.25"
    value = {
        "order_id": f"o-{i:04d}",
        "quantity": i % 5,
        "count": i * 7,
        "price": 10.5 + i,
        "paid": i % 2 == 1,
        "amount": unscaled_base64(amount),
        "created_at": 1696122000123 + i * 1000,
        "order_date": 19631 + i % 3,
        "status": "PAID" if i % 2 else "NEW",
        "note": None if i % 4 == 0 else f"note {i} café",
        "tags": [f"t{j}" for j in range(i % 3)],
        "address": {"city": "Seoul", "zip": f"0{6000 + i}"},
        "counts": {"b": i, "a": 2 * i},
        "ignored": "a property the schema does not name",
    }
    if bad == "missing-field":
        del value["paid"]
    expect = {k: v for k, v in value.items() if k != "ignored"}
    # JsonSchemaConverter: an `integer` without connect.type is a Connect float64.
    expect["count"] = float(value["count"])
    return json.dumps(value).encode(), dict(expect, amount_text=amount)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--event", required=True)
    p.add_argument("--expect", required=True)
    p.add_argument("--kind", default="avro", choices=["avro", "json", "protobuf"])
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
    avro_text, json_text = json.dumps(SCHEMA), json.dumps(JSON_SCHEMA)
    if args.kind == "avro":
        version_id = register(glue, name, "AVRO", avro_text)
        other_id = register(glue, f"{args.topic}-other", "JSON", json_text)
    elif args.kind == "protobuf":
        pb = compile_orders_proto()
        version_id = register(glue, name, "PROTOBUF", ORDERS_PROTO)
        other_id = register(glue, f"{args.topic}-other", "JSON", json_text)
    else:
        version_id = register(glue, name, "JSON", json_text)
        other_id = register(glue, f"{args.topic}-other", "AVRO", avro_text)
    parsed = fastavro.parse_schema(SCHEMA)
    records, expect = [], []
    for i in range(args.count):
        bad = args.bad if i == 1 else None
        if args.kind == "avro":
            body, value = avro_record(parsed, i)
        elif args.kind == "protobuf":
            body, value = protobuf_record(pb, i)
        else:
            body, value = json_record(i, bad)
        vid = uuid.UUID(version_id).bytes
        if i % 3 == 2:
            framed = bytes([3, 5]) + vid + zlib.compress(body)
        else:
            framed = bytes([3, 0]) + vid + body
        row = {"partition": 0, "offset": i, "value": value}
        if "amount_text" in value:
            row["amount_text"] = value.pop("amount_text")
        if bad:
            row["bad"] = bad
            if bad == "unknown-version":
                framed = bytes([3, 0]) + uuid.UUID(int=1).bytes + body
            elif bad == "confluent-framing":
                framed = bytes([0, 0, 0, 0, 1]) + body
            elif bad == "wrong-format":
                framed = bytes([3, 0]) + uuid.UUID(other_id).bytes + body
            elif bad == "missing-field" and args.kind == "json":
                pass
            elif bad == "bad-index" and args.kind == "protobuf":
                framed = bytes([3, 0]) + vid + uvarint(99) + body[1:]
            elif bad == "bad-message" and args.kind == "protobuf":
                framed = bytes([3, 0]) + vid + body[:1] + b"\x0a\xff\xff"
            else:
                raise SystemExit(f"unknown --bad {bad} for --kind {args.kind}")
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
    print(json.dumps({"schemaVersionId": version_id, "otherVersionId": other_id, "records": len(records)}))


if __name__ == "__main__":
    main()

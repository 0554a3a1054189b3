#!/usr/bin/env python3
"""Write an MSK event whose record keys and values are framed by Confluent's own serializers.

    produce.py --registry URL [--basic-auth USER:PASSWORD | --bearer TOKEN]
               --kind KIND --topic TOPIC --count N [--partitions 1] [--evolve-at K]
               [--bad MODE] [--skip-known-types] [--mapping json|source]
               --event OUT.json --expect EXPECT.jsonl

Keys and values are serialized by confluent_kafka.schema_registry's AvroSerializer,
ProtobufSerializer and JSONSerializer (its JSON Schema serializer) against the registry at
URL (normally tests/registry/schema_registry.py), with their defaults (auto.register.schemas,
the schema-id prefix framing: magic byte 0, 4-byte big-endian schema id, then for Protobuf
the zigzag message-index varints) except the subject name strategy, set to TopicNameStrategy
(subjects TOPIC-key / TOPIC-value) by name: the client's default is now its
AssociatedNameStrategy, which asks the registry for topic associations first.

KIND
  avro-orders        value: Avro record com.example.Order (every primitive, decimal(10,2)
                     bytes, timestamp-millis, date, enum, nested record, array, map, nullable
                     unions, bytes); key: Avro "string" (the order id). --evolve-at K: records
                     K.. use v2 (v1 + `channel` string default "web"), a second version of
                     the value subject, so the batch holds two value schema ids.
  avro-debezium      Debezium 3.0 MySQL change events (r, c, u, d, then the tombstone of the
                     delete, then c/u), value and key schemas as Confluent's AvroConverter
                     (AvroData) registers Debezium's Connect schemas: TOPIC.Envelope,
                     TOPIC.Value, io.debezium.connector.mysql.Source, event.block, TOPIC.Key,
                     connect.* properties included (Source.snapshot is the union
                     [string+connect.* props, "null"] with default "false": AvroData puts the
                     branch of a non-null default first). Use a topic like
                     dbserver.inventory.customers (prefix.database.table) and --count >= 5 to
                     get the tombstone.
  protobuf-orders    proto3 file orders.proto (package com.example, importing
                     google/protobuf/timestamp.proto), compiled at run time with grpc_tools;
                     most records are com.example.Order (message index [0]), every 4th is
                     com.example.OrderCancelled ([1]), every 6th com.example.Order.Address
                     (a nested message, [0, 1]). The message bodies are re-encoded with
                     SerializeToString(deterministic=True) after the serializer ran (see
                     deterministic_protobuf), so map entries come out sorted and the event is
                     reproducible; the framing is the serializer's. The Timestamp import is
                     registered as a reference (subject google/protobuf/timestamp.proto)
                     unless --skip-known-types (the Python serializer's own default) is
                     given. The key is Protobuf too (com.example.OrderKey, message index [2],
                     same file, so key and value share one schema id). The Python serializer
                     registers a base64 FileDescriptorProto; produce.py first teaches the test
                     server the matching .proto text (POST /__test__/protobuf-texts) so that,
                     like the real registry, it serves .proto text by default and the base64
                     form for ?format=serialized.
  jsonschema-orders  draft-07 JSON Schema "Order" (object, `required`); key: JSON Schema
                     {"type": "string"}.

Records go round-robin over --partitions; offsets count from 0 in each partition; record i
has timestamp 1696122000000 + i*1000, CREATE_TIME, no headers. The event's shape (eventSource,
eventSourceArn, bootstrapServers, records keyed "TOPIC-PARTITION") is that of
events/orders-msk.json.

--bad MODE corrupts one record's value, the one at partition 0 offset 1 (the second record
when --partitions is 1), and leaves the rest valid:
  no-magic    first byte 1 instead of 0 (note: Confluent's newest serdes read magic byte 1 as
              a GUID-framed payload: 1 + 16-byte schema GUID)
  truncated   the valid payload cut to half its length
  unknown-id  magic 0 + schema id 999999 + the valid body (message indexes included)
  mismatch    the valid framing (magic, registered id, message indexes) + a body that
              decodes under no schema here: fe ff ff ff 0f de ad be ef (an Avro string or
              bytes length of 2^31-1 / union branch 2^31-1; a Protobuf tag with wire type 6;
              not UTF-8 for JSON)

--mapping MODE writes the event as a Lambda event-source mapping with its own schema registry
(SchemaRegistryConfig, provisioned mode) delivers it: each key and value carries
keySchemaMetadata / valueSchemaMetadata {"dataFormat": AVRO|PROTOBUF|JSON, "schemaId": the
Confluent id as text}, and the payload is
  source  the source encoding without the registry framing: magic byte and schema id removed;
          a Protobuf value keeps its message-index varints, as in the Confluent-registry
          SOURCE events of aws-powertools/powertools-lambda-python's Kafka consumer tests
          (tests/functional/kafka_consumer/_protobuf/test_kafka_consumer_with_protobuf.py)
  json    JSON text of the value as Confluent's own deserializer (AvroDeserializer,
          ProtobufDeserializer + json_format.MessageToJson) reads it back: Avro decimals as
          JSON numbers, timestamp-millis as epoch milliseconds, dates as epoch days, bytes as
          base64; Protobuf as proto3 JSON. (The mapping's exact JSON rendering is not
          documented; these are the conventions the sink reads.)
With --bad unknown-id the corrupted record's schemaId is the unknown id instead.

EXPECT.jsonl has one JSON object per record, in production order (i = 0..N-1):
  {"i", "partition", "offset", "timestamp", "key", "value", "schema_id", "schema_version",
   "key_schema_id"} plus, for Protobuf, "message_type" and "message_indexes", and, on the
  corrupted record, "bad": MODE.
  "value" is what was handed to the serializer (null for a tombstone; on the "bad" record,
  the value whose valid encoding was corrupted); "schema_version" is its version in the
  value subject (null for a tombstone). JSON conventions for Python values:
    bytes                 -> base64 text (standard alphabet, padded)
    decimal.Decimal       -> its string, at the schema's scale ("19.99", "-24.10")
    Avro timestamp-millis -> the int epoch milliseconds that was passed (ints were passed,
                             not datetimes); Avro date -> the int days since 1970-01-01
    Protobuf Timestamp    -> the RFC 3339 UTC string it was set from with FromJsonString
                             ("2023-10-01T01:00:00.123Z")
    Protobuf enum         -> the value's name ("PAID"); an unset proto3 `optional` -> null;
                             proto3 defaults (0, false, "", empty) are listed though they
                             are not on the wire
    Avro enum             -> the symbol; Avro map/array/record -> object/list/object

This tool only registers and looks up schemas (POST /subjects/...) and lists subject
versions (GET /subjects/...); it never GETs /schemas/ids/..., so a test can count those
requests from the code under test without first clearing the server's request log.
"""

import argparse
import base64
import decimal
import importlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.serialization import MessageField, SerializationContext

EVENT_SOURCE_ARN = (
    "arn:aws:kafka:ap-northeast-2:123456789012:cluster/msk-lab/"
    "5e1f9a3c-1111-2222-3333-444455556666-1"
)
BOOTSTRAP_SERVERS = (
    "b-1.msklab.abcdef.c2.kafka.ap-northeast-2.amazonaws.com:9098,"
    "b-2.msklab.abcdef.c2.kafka.ap-northeast-2.amazonaws.com:9098"
)
BASE_TIMESTAMP = 1696122000000
UNKNOWN_ID = 999999
MISMATCH_BODY = bytes([0xFE, 0xFF, 0xFF, 0xFF, 0x0F, 0xDE, 0xAD, 0xBE, 0xEF])
BAD_MODES = ("no-magic", "truncated", "unknown-id", "mismatch")
# TopicNameStrategy, named explicitly: the serializers' own default is now the
# AssociatedNameStrategy, which first asks GET /associations/resources/-/TOPIC and only falls
# back to TopicNameStrategy when the registry has no association for the topic.
SERDE_CONF = {"subject.name.strategy.type": "TOPIC"}
KINDS = ("avro-orders", "avro-debezium", "protobuf-orders", "jsonschema-orders")


def compact(obj):
    return json.dumps(obj, separators=(",", ":"))


def to_jsonable(v):
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, dict):
        return {k: to_jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_jsonable(x) for x in v]
    return v


# ---------------------------------------------------------------------------------------------
# avro-orders
# ---------------------------------------------------------------------------------------------

# Written in the key order Avro Java's Schema.toString() uses (type, name, namespace, fields;
# name, type, default), which is what the real registry stores as the canonical text.
def avro_order_schema(v2=False):
    fields = [
        {"name": "order_id", "type": "string"},
        {"name": "customer_id", "type": "long"},
        {"name": "quantity", "type": "int"},
        {"name": "price", "type": "double"},
        {"name": "weight", "type": "float"},
        {"name": "paid", "type": "boolean"},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
        {"name": "created_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "order_date", "type": {"type": "int", "logicalType": "date"}},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID", "SHIPPED"]}},
        {"name": "address", "type": {"type": "record", "name": "Address", "fields": [
            {"name": "street", "type": "string"},
            {"name": "city", "type": "string"},
            {"name": "zip", "type": ["null", "string"], "default": None},
        ]}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attrs", "type": {"type": "map", "values": "long"}},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "blob", "type": "bytes"},
    ]
    if v2:
        fields.append({"name": "channel", "type": "string", "default": "web"})
    return compact({"type": "record", "name": "Order", "namespace": "com.example", "fields": fields})


CITIES = ["Seoul", "Busan", "Incheon"]
STATUSES = ["NEW", "PAID", "SHIPPED"]


def avro_order_value(i, v2):
    amount = (decimal.Decimal(1999 + i * 137) / 100).quantize(decimal.Decimal("0.01"))
    if i % 7 == 3:
        amount = -amount
    value = {
        "order_id": "o-%04d" % (i + 1),
        "customer_id": 5000000000 + i,
        "quantity": i % 5 + 1,
        "price": round(29.99 + i * 1.5, 2),
        "weight": 0.5 + 0.25 * i,
        "paid": i % 2 == 0,
        "amount": amount,
        "created_at": BASE_TIMESTAMP + i * 1000 + 123,
        "order_date": 19631 + i % 3,  # 2023-10-01 + 0..2 days
        "status": STATUSES[i % 3],
        "address": {
            "street": "%d Teheran-ro" % (100 + i),
            "city": CITIES[i % 3],
            "zip": None if i % 3 == 1 else "06%03d" % i,
        },
        "tags": [] if i % 4 == 2 else ["t%d" % i, "gift"][: 1 + i % 2],
        "attrs": {} if i % 4 == 1 else {"points": i * 10, "big": 2**40 + i},
        "note": None if i % 2 else ("café ☕ #%d" % i if i % 4 == 0 else "leave at door"),
        "blob": bytes([0, 1, 0xFF, i % 256]),
    }
    if v2:
        value["channel"] = "mobile" if i % 2 else "web"
    return value


def make_avro_orders(client, args):
    from confluent_kafka.schema_registry.avro import AvroSerializer

    key_ser = AvroSerializer(client, '"string"', conf=SERDE_CONF)
    v1 = AvroSerializer(client, avro_order_schema(False), conf=SERDE_CONF)
    v2 = AvroSerializer(client, avro_order_schema(True), conf=SERDE_CONF) if args.evolve_at is not None else None
    out = []
    for i in range(args.count):
        use_v2 = v2 is not None and i >= args.evolve_at
        value = avro_order_value(i, use_v2)
        out.append(dict(key=value["order_id"], key_ser=key_ser, value=value, value_ser=v2 if use_v2 else v1))
    return out


# ---------------------------------------------------------------------------------------------
# avro-debezium
# ---------------------------------------------------------------------------------------------

SNAPSHOT_ALLOWED = "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"


def avro_name(s):
    out = "".join(c if (c.isalnum() and c.isascii()) or c == "_" else "_" for c in s)
    return "_" + out if out[:1].isdigit() else out


def debezium_schemas(topic):
    """Value and key schemas as Confluent's AvroData.fromConnectSchema() writes Debezium 3.0's
    MySQL Connect schemas (tests/fixtures/debezium/*.json), in Avro Java's toString() form."""
    ns = ".".join(avro_name(p) for p in topic.split("."))
    opt = lambda t: ["null", t]  # noqa: E731  optional Connect field: null first, default null
    value_record = {
        "type": "record", "name": "Value",  # same namespace as Envelope: no "namespace" key
        "fields": [
            {"name": "id", "type": "int"},
            {"name": "first_name", "type": "string"},
            {"name": "last_name", "type": "string"},
            {"name": "email", "type": "string"},
        ],
        "connect.name": ns + ".Value",
    }
    source = {
        "type": "record", "name": "Source", "namespace": "io.debezium.connector.mysql",
        "fields": [
            {"name": "version", "type": "string"},
            {"name": "connector", "type": "string"},
            {"name": "name", "type": "string"},
            {"name": "ts_ms", "type": "long"},
            # Optional with a non-null default: AvroData puts the default's branch first.
            {"name": "snapshot", "type": [
                {"type": "string", "connect.version": 1,
                 "connect.parameters": {"allowed": SNAPSHOT_ALLOWED},
                 "connect.default": "false", "connect.name": "io.debezium.data.Enum"},
                "null"], "default": "false"},
            {"name": "db", "type": "string"},
            {"name": "sequence", "type": opt("string"), "default": None},
            {"name": "ts_us", "type": opt("long"), "default": None},
            {"name": "ts_ns", "type": opt("long"), "default": None},
            {"name": "table", "type": opt("string"), "default": None},
            {"name": "server_id", "type": "long"},
            {"name": "gtid", "type": opt("string"), "default": None},
            {"name": "file", "type": "string"},
            {"name": "pos", "type": "long"},
            {"name": "row", "type": "int"},
            {"name": "thread", "type": opt("long"), "default": None},
            {"name": "query", "type": opt("string"), "default": None},
        ],
        "connect.name": "io.debezium.connector.mysql.Source",
    }
    block = {
        "type": "record", "name": "block", "namespace": "event",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "total_order", "type": "long"},
            {"name": "data_collection_order", "type": "long"},
        ],
        "connect.version": 1, "connect.name": "event.block",
    }
    envelope = {
        "type": "record", "name": "Envelope", "namespace": ns,
        "fields": [
            {"name": "before", "type": opt(value_record), "default": None},
            {"name": "after", "type": opt("Value"), "default": None},  # a named-type reference
            {"name": "source", "type": source},
            {"name": "transaction", "type": opt(block), "default": None},
            {"name": "op", "type": "string"},
            {"name": "ts_ms", "type": opt("long"), "default": None},
            {"name": "ts_us", "type": opt("long"), "default": None},
            {"name": "ts_ns", "type": opt("long"), "default": None},
        ],
        "connect.version": 2, "connect.name": ns + ".Envelope",
    }
    key = {
        "type": "record", "name": "Key", "namespace": ns,
        "fields": [{"name": "id", "type": "int"}],
        "connect.name": ns + ".Key",
    }
    return compact(envelope), compact(key)


CUSTOMERS = {
    1001: ("Sally", "Thomas", "sally.thomas@acme.com"),
    1002: ("George", "Bailey", "gbailey@foobar.com"),
    1003: ("Edward", "Walker", "ed@walker.com"),
    1004: ("Anne", "Kretchmar", "annek@noanswer.org"),
}


def debezium_events(topic, count):
    parts = topic.split(".")
    prefix = parts[0]
    db = parts[1] if len(parts) > 2 else "inventory"
    table = parts[-1] if len(parts) > 1 else "customers"

    def row(cid, first=None, email=None):
        f, l, e = CUSTOMERS.get(cid, ("User%d" % cid, "Tester", "user%d@example.com" % cid))
        return {"id": cid, "first_name": first or f, "last_name": l, "email": email or e}

    def envelope(i, op, before, after, snapshot="false", transaction=None):
        ts = 1696122000000 + i * 1000
        source = {
            "version": "3.0.7.Final", "connector": "mysql", "name": prefix, "ts_ms": ts - 500,
            "snapshot": snapshot, "db": db, "sequence": None, "ts_us": (ts - 500) * 1000,
            "ts_ns": (ts - 500) * 1000000, "table": table,
            "server_id": 0 if op == "r" else 223344, "gtid": None, "file": "mysql-bin.000003",
            "pos": 154 + 330 * i, "row": 0, "thread": None if op == "r" else 7, "query": None,
        }
        return {
            "before": before, "after": after, "source": source, "transaction": transaction,
            "op": op, "ts_ms": ts + 191, "ts_us": (ts + 191) * 1000 + 547,
            "ts_ns": ((ts + 191) * 1000 + 547) * 1000 + 930,
        }

    out = []
    for i in range(count):
        if i == 0:
            cid, value = 1001, envelope(i, "r", None, row(1001), snapshot="last")
        elif i == 1:
            cid, value = 1004, envelope(i, "c", None, row(1004))
        elif i == 2:
            txn = {"id": "file=mysql-bin.000003,pos=484", "total_order": 1, "data_collection_order": 1}
            cid, value = 1004, envelope(i, "u", row(1004), row(1004, first="Anne Marie"), transaction=txn)
        elif i == 3:
            cid, value = 1004, envelope(i, "d", row(1004, first="Anne Marie"), None)
        elif i == 4:
            cid, value = 1004, None  # the tombstone Debezium writes after a delete
        else:
            j = i - 5
            cid = 1005 + j // 2
            if j % 2 == 0:
                value = envelope(i, "c", None, row(cid))
            else:
                value = envelope(i, "u", row(cid), row(cid, email="user%d@new.example.com" % cid))
        out.append(({"id": cid}, value))
    return out


def make_avro_debezium(client, args):
    from confluent_kafka.schema_registry.avro import AvroSerializer

    value_schema, key_schema = debezium_schemas(args.topic)
    key_ser = AvroSerializer(client, key_schema, conf=SERDE_CONF)
    value_ser = AvroSerializer(client, value_schema, conf=SERDE_CONF)
    return [
        dict(key=k, key_ser=key_ser, value=v, value_ser=value_ser)
        for k, v in debezium_events(args.topic, args.count)
    ]


# ---------------------------------------------------------------------------------------------
# protobuf-orders
# ---------------------------------------------------------------------------------------------

ORDERS_PROTO = """\
syntax = "proto3";
package com.example;

import "google/protobuf/timestamp.proto";

message Order {
  string order_id = 1;
  int64 customer_id = 2;
  int32 quantity = 3;
  double price = 4;
  float weight = 5;
  bool paid = 6;
  Status status = 7;
  Address address = 8;
  repeated string tags = 9;
  map<string, int64> attrs = 10;
  bytes blob = 11;
  google.protobuf.Timestamp created_at = 12;

  message Address {
    string street = 1;
    string city = 2;
    optional string zip = 3;
  }
}

message OrderCancelled {
  string order_id = 1;
  string reason = 2;
  google.protobuf.Timestamp cancelled_at = 3;
}

message OrderKey {
  string order_id = 1;
}

enum Status {
  NEW = 0;
  PAID = 1;
  SHIPPED = 2;
}
"""


def compile_orders_proto():
    import grpc_tools

    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    tmp = tempfile.mkdtemp(prefix="kss-proto-")
    with open(os.path.join(tmp, "orders.proto"), "w") as f:
        f.write(ORDERS_PROTO)
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I", tmp, "-I", include,
         "--python_out", tmp, "orders.proto"],
        check=True,
    )
    sys.path.insert(0, tmp)
    module = importlib.import_module("orders_pb2")
    with open(os.path.join(include, "google", "protobuf", "timestamp.proto")) as f:
        timestamp_text = f.read()
    return module, timestamp_text


def iso_millis(ms):
    import datetime

    dt = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def teach_proto_texts(args, pairs):
    """Tell the test server which .proto text each base64 FileDescriptorProto stands for
    (a real registry works that out itself). Best effort: a real registry answers 404."""
    req = urllib.request.Request(
        args.registry.rstrip("/") + "/__test__/protobuf-texts",
        data=json.dumps(pairs).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        urllib.request.urlopen(req, timeout=10).read()
    except Exception as e:  # noqa: BLE001
        sys.stderr.write("produce.py: note: /__test__/protobuf-texts not taken (%s)\n" % e)


def make_protobuf_orders(client, args):
    from google.protobuf import timestamp_pb2
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer

    pb, timestamp_text = compile_orders_proto()
    b64 = lambda d: base64.standard_b64encode(d.serialized_pb).decode("ascii")  # noqa: E731
    teach_proto_texts(args, {b64(pb.DESCRIPTOR): ORDERS_PROTO, b64(timestamp_pb2.DESCRIPTOR): timestamp_text})

    conf = dict(SERDE_CONF, **{"use.deprecated.format": False, "skip.known.types": bool(args.skip_known_types)})
    key_ser = ProtobufSerializer(pb.OrderKey, client, conf)
    sers = {
        "com.example.Order": ProtobufSerializer(pb.Order, client, conf),
        "com.example.OrderCancelled": ProtobufSerializer(pb.OrderCancelled, client, conf),
        "com.example.Order.Address": ProtobufSerializer(pb.Order.Address, client, conf),
    }
    out = []
    for i in range(args.count):
        order_id = "o-%04d" % (i + 1)
        created = iso_millis(BASE_TIMESTAMP + i * 1000 + 123)
        if i % 4 == 3:
            mtype = "com.example.OrderCancelled"
            value = {"order_id": order_id, "reason": "out of stock" if i % 8 == 3 else "", "cancelled_at": created}
            msg = pb.OrderCancelled(order_id=value["order_id"], reason=value["reason"])
            msg.cancelled_at.FromJsonString(created)
        elif i % 6 == 5:
            mtype = "com.example.Order.Address"
            value = {"street": "%d Teheran-ro" % (100 + i), "city": CITIES[i % 3], "zip": None}
            msg = pb.Order.Address(street=value["street"], city=value["city"])
        else:
            mtype = "com.example.Order"
            address = {
                "street": "%d Teheran-ro" % (100 + i),
                "city": CITIES[i % 3],
                "zip": None if i % 3 == 1 else "06%03d" % i,
            }
            value = {
                "order_id": order_id,
                "customer_id": 5000000000 + i,
                "quantity": i % 5,  # 0 for i % 5 == 0: a proto3 default, absent on the wire
                "price": round(29.99 + i * 1.5, 2),
                "weight": 0.5 + 0.25 * i,
                "paid": i % 2 == 0,
                "status": STATUSES[i % 3],
                "address": address,
                "tags": [] if i % 4 == 2 else ["t%d" % i, "gift"][: 1 + i % 2],
                "attrs": {} if i % 4 == 1 else {"points": i * 10, "big": 2**40 + i},
                "blob": bytes([0, 1, 0xFF, i % 256]),
                "created_at": created,
            }
            msg = pb.Order(
                order_id=value["order_id"], customer_id=value["customer_id"],
                quantity=value["quantity"], price=value["price"], weight=value["weight"],
                paid=value["paid"], status=pb.Status.Value(value["status"]),
                tags=value["tags"], attrs=value["attrs"], blob=value["blob"],
            )
            msg.address.street = address["street"]
            msg.address.city = address["city"]
            if address["zip"] is not None:
                msg.address.zip = address["zip"]
            msg.created_at.FromJsonString(created)
        key_msg = pb.OrderKey(order_id=order_id)
        out.append(dict(
            key={"order_id": order_id}, key_obj=key_msg, key_ser=key_ser,
            value=value, value_obj=msg, value_ser=sers[mtype], message_type=mtype,
        ))
    return out


# ---------------------------------------------------------------------------------------------
# jsonschema-orders
# ---------------------------------------------------------------------------------------------

JSON_ORDER_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Order",
    "type": "object",
    "properties": {
        "order_id": {"type": "string"},
        "customer_id": {"type": "integer"},
        "quantity": {"type": "integer"},
        "price": {"type": "number"},
        "paid": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "address": {
            "type": "object",
            "properties": {
                "street": {"type": "string"},
                "city": {"type": "string"},
                "zip": {"type": ["string", "null"]},
            },
            "required": ["street", "city"],
        },
        "note": {"type": ["string", "null"]},
    },
    "required": ["order_id", "customer_id", "quantity", "price", "paid"],
    "additionalProperties": False,
}
JSON_KEY_SCHEMA = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "string"}


def make_jsonschema_orders(client, args):
    from confluent_kafka.schema_registry.json_schema import JSONSerializer

    key_ser = JSONSerializer(compact(JSON_KEY_SCHEMA), client, conf=SERDE_CONF)
    value_ser = JSONSerializer(compact(JSON_ORDER_SCHEMA), client, conf=SERDE_CONF)
    out = []
    for i in range(args.count):
        value = {
            "order_id": "o-%04d" % (i + 1),
            "customer_id": 5000000000 + i,
            "quantity": i % 5 + 1,
            "price": round(29.99 + i * 1.5, 2),
            "paid": i % 2 == 0,
            "tags": [] if i % 4 == 2 else ["t%d" % i, "gift"][: 1 + i % 2],
        }
        if i % 3 != 2:  # address is optional: absent on every third record
            value["address"] = {
                "street": "%d Teheran-ro" % (100 + i), "city": CITIES[i % 3],
                "zip": None if i % 3 == 1 else "06%03d" % i,
            }
        if i % 2 == 0:
            value["note"] = "café ☕ #%d" % i if i % 4 == 0 else None
        out.append(dict(key=value["order_id"], key_ser=key_ser, value=value, value_ser=value_ser))
    return out


# ---------------------------------------------------------------------------------------------
# framing helpers, bad payloads, output
# ---------------------------------------------------------------------------------------------

def read_zigzag_varint(buf, pos):
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    return (result >> 1) ^ -(result & 1), pos


def split_framing(payload, protobuf):
    """(header, body, schema_id, message_indexes) of a magic-0 framed payload."""
    assert payload[0] == 0, "not magic byte 0"
    schema_id = int.from_bytes(payload[1:5], "big")
    pos, indexes = 5, None
    if protobuf:
        n, pos = read_zigzag_varint(payload, pos)
        if n == 0:
            indexes = [0]
        else:
            indexes = []
            for _ in range(n):
                x, pos = read_zigzag_varint(payload, pos)
                indexes.append(x)
    return payload[:pos], payload[pos:], schema_id, indexes


def corrupt(payload, mode, protobuf):
    header, body, _, _ = split_framing(payload, protobuf)
    if mode == "no-magic":
        return b"\x01" + payload[1:]
    if mode == "truncated":
        return payload[: len(payload) // 2]
    if mode == "unknown-id":
        return b"\x00" + UNKNOWN_ID.to_bytes(4, "big") + payload[5:]
    if mode == "mismatch":
        return header + MISMATCH_BODY
    raise ValueError(mode)


def deterministic_protobuf(payload, message):
    """The serializer's framing + the message serialized with deterministic=True.

    ProtobufSerializer calls SerializeToString() plainly, and the upb runtime writes map
    entries in an order that changes from one process to the next; re-encoding the body
    deterministically (map entries sorted by key) keeps the event byte-for-byte reproducible.
    The body differs from the serializer's only in map-entry order."""
    header, body, _, _ = split_framing(payload, True)
    again = message.SerializeToString(deterministic=True)
    parsed = type(message)()
    parsed.ParseFromString(body)
    if parsed != message or len(again) != len(body):
        raise AssertionError("deterministic re-encoding does not match the serializer's body")
    return header + again


DATA_FORMATS = {"avro-orders": "AVRO", "avro-debezium": "AVRO", "protobuf-orders": "PROTOBUF",
                "jsonschema-orders": "JSON"}


def mapping_jsonable(v):
    """JSON conventions of --mapping json for values read back by Confluent's deserializers."""
    import datetime
    if isinstance(v, datetime.datetime):
        return int(v.timestamp() * 1000)
    if isinstance(v, datetime.date):
        return (v - datetime.date(1970, 1, 1)).days
    if isinstance(v, decimal.Decimal):
        return float(v) if v == v.to_integral_value() else json.loads(str(v))
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(v, dict):
        return {k: mapping_jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [mapping_jsonable(x) for x in v]
    return v


def as_mapping(args, client, payload, protobuf, field, message, bad=None):
    """(payload, metadata) as --mapping delivers a framed key or value."""
    _, body, schema_id, _ = split_framing(payload, protobuf)
    if bad == "unknown-id":
        schema_id = UNKNOWN_ID
    meta = {"dataFormat": DATA_FORMATS[args.kind], "schemaId": str(schema_id)}
    if args.mapping == "source":
        # The magic byte and id go; Protobuf message indexes stay (see --mapping).
        return payload[5:], meta
    ctx = SerializationContext(args.topic, field)
    if protobuf:
        from google.protobuf import json_format
        return json_format.MessageToJson(message, indent=None).encode(), meta
    if args.kind == "jsonschema-orders":
        return body, meta
    from confluent_kafka.schema_registry.avro import AvroDeserializer
    value = AvroDeserializer(client)(payload, ctx)
    return json.dumps(mapping_jsonable(value), ensure_ascii=False).encode(), meta


def subject_versions(client, subject):
    """schema id -> version in subject (GET /subjects/..., never /schemas/ids/...)."""
    out = {}
    try:
        versions = client.get_versions(subject)
    except Exception:  # noqa: BLE001
        return out
    for v in versions:
        out.setdefault(client.get_version(subject, v).schema_id, v)
    return out


def main(argv=None):
    head, _, rest = __doc__.partition("\n\n")
    p = argparse.ArgumentParser(description=head, epilog=rest,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--registry", required=True, help="Schema Registry base URL")
    p.add_argument("--basic-auth", metavar="USER:PASSWORD")
    p.add_argument("--bearer", metavar="TOKEN")
    p.add_argument("--kind", required=True, choices=KINDS)
    p.add_argument("--topic", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--partitions", type=int, default=1)
    p.add_argument("--evolve-at", type=int, metavar="K", help="avro-orders: records K.. use schema v2")
    p.add_argument("--bad", choices=BAD_MODES)
    p.add_argument("--skip-known-types", action="store_true",
                   help="protobuf-orders: do not register google/protobuf/* imports as references")
    p.add_argument("--mapping", choices=("json", "source"),
                   help="deliver as an event-source mapping with its own schema registry")
    p.add_argument("--event", required=True, metavar="OUT.json")
    p.add_argument("--expect", required=True, metavar="EXPECT.jsonl")
    args = p.parse_args(argv)

    if args.count < 1 or args.partitions < 1:
        p.error("--count and --partitions must be >= 1")
    if args.evolve_at is not None and args.kind != "avro-orders":
        p.error("--evolve-at is for --kind avro-orders")
    if args.mapping and args.bad not in (None, "unknown-id"):
        p.error("--mapping takes --bad unknown-id only")
    if args.bad and args.count <= args.partitions:
        p.error("--bad needs a record at partition 0 offset 1: --count > --partitions")

    conf = {"url": args.registry}
    if args.basic_auth:
        conf["basic.auth.user.info"] = args.basic_auth
    if args.bearer:
        conf.update({
            "bearer.auth.credentials.source": "STATIC_TOKEN",
            "bearer.auth.token": args.bearer,
            "bearer.auth.logical.cluster": "lsrc-test",
            "bearer.auth.identity.pool.id": "pool-test",
        })
    client = SchemaRegistryClient(conf)

    makers = {
        "avro-orders": make_avro_orders,
        "avro-debezium": make_avro_debezium,
        "protobuf-orders": make_protobuf_orders,
        "jsonschema-orders": make_jsonschema_orders,
    }
    items = makers[args.kind](client, args)
    protobuf = args.kind == "protobuf-orders"
    key_ctx = SerializationContext(args.topic, MessageField.KEY)
    value_ctx = SerializationContext(args.topic, MessageField.VALUE)

    next_offset = [0] * args.partitions
    rows = []
    for i, it in enumerate(items):
        partition = i % args.partitions
        offset = next_offset[partition]
        next_offset[partition] += 1
        key_bytes = it["key_ser"](it.get("key_obj", it["key"]), key_ctx)
        value_obj = it.get("value_obj", it["value"])
        value_bytes = it["value_ser"](value_obj, value_ctx) if it["value"] is not None else None
        if protobuf and value_bytes is not None:
            value_bytes = deterministic_protobuf(value_bytes, value_obj)
        rows.append(dict(i=i, partition=partition, offset=offset, it=it,
                         key_bytes=key_bytes, value_bytes=value_bytes))

    value_versions = subject_versions(client, args.topic + "-value")

    records = {}
    expect_lines = []
    for r in rows:
        it = r["it"]
        value_bytes = r["value_bytes"]
        line = {
            "i": r["i"], "partition": r["partition"], "offset": r["offset"],
            "timestamp": BASE_TIMESTAMP + r["i"] * 1000,
            "key": to_jsonable(it["key"]),
            "value": to_jsonable(it["value"]),
            "schema_id": None, "schema_version": None,
            "key_schema_id": int.from_bytes(r["key_bytes"][1:5], "big"),
        }
        if value_bytes is not None:
            _, _, schema_id, indexes = split_framing(value_bytes, protobuf)
            line["schema_id"] = schema_id
            line["schema_version"] = value_versions.get(schema_id)
            if protobuf:
                line["message_type"] = it["message_type"]
                line["message_indexes"] = indexes
        if args.bad and r["partition"] == 0 and r["offset"] == 1:
            if value_bytes is None:
                sys.exit("produce.py: the record at partition 0 offset 1 is a tombstone; cannot corrupt it")
            value_bytes = corrupt(value_bytes, args.bad, protobuf)
            line["bad"] = args.bad
        key_bytes = r["key_bytes"]
        metadata = {}
        if args.mapping:
            key_bytes, metadata["keySchemaMetadata"] = as_mapping(
                args, client, key_bytes, protobuf, MessageField.KEY, it.get("key_obj"))
            if value_bytes is not None:
                value_bytes, metadata["valueSchemaMetadata"] = as_mapping(
                    args, client, r["value_bytes"], protobuf, MessageField.VALUE, it.get("value_obj"),
                    bad=line.get("bad"))
        records.setdefault("%s-%d" % (args.topic, r["partition"]), []).append({
            "topic": args.topic,
            "partition": r["partition"],
            "offset": r["offset"],
            "timestamp": line["timestamp"],
            "timestampType": "CREATE_TIME",
            "key": base64.b64encode(key_bytes).decode("ascii"),
            "value": None if value_bytes is None else base64.b64encode(value_bytes).decode("ascii"),
            "headers": [],
            **metadata,
        })
        expect_lines.append(line)

    event = {
        "eventSource": "aws:kafka",
        "eventSourceArn": EVENT_SOURCE_ARN,
        "bootstrapServers": BOOTSTRAP_SERVERS,
        "records": {k: records[k] for k in sorted(records, key=lambda k: int(k.rsplit("-", 1)[1]))},
    }
    with open(args.event, "w") as f:
        json.dump(event, f, indent=2, ensure_ascii=False)
        f.write("\n")
    with open(args.expect, "w") as f:
        for line in expect_lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    client.close()


if __name__ == "__main__":
    main()

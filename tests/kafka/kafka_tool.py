#!/usr/bin/env python3
"""Kafka side of the consume tests, written with confluent-kafka (PyPI) so that what the sink
reads was produced by a client independent of it.

  kafka_tool.py create    --bootstrap B --topic T --partitions N
  kafka_tool.py produce   --bootstrap B --topic T --kind KIND --count N --manifest FILE
                          [--partitions N] [--transactional] [--poison PARTITION:INDEX]
  kafka_tool.py committed --bootstrap B --group G --topic T   -> {"T-0": offset, ...}
  kafka_tool.py ends      --bootstrap B --topic T             -> {"T-0": high watermark, ...}

`produce` writes one JSON line per delivered record to the manifest: topic, partition, offset,
timestamp, timestampType, base64 key and value (null for null), headers as [name, base64],
and `id`, the identity the exactly-once checks count (null for records the sink drops).
"""

import argparse
import base64
import json
import sys

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

TIMEOUT = 30


def b64(data):
    return None if data is None else base64.b64encode(data).decode()


def create(args):
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    futures = admin.create_topics(
        [NewTopic(args.topic, num_partitions=args.partitions, replication_factor=1)]
    )
    for _, f in futures.items():
        f.result(TIMEOUT)


# --- record generators: (key bytes|None, value bytes|None, headers, timestamp ms, id) -------

BASE_TS = 1696118400000  # 2023-10-01T00:00:00Z


def day_of(i):
    return 1 + (i // 250) % 5


def mixed(i):
    """Keys, null keys, tombstones, headers with repeated names and binary values."""
    key = None if i % 7 == 3 else f"key-{i % 50}".encode()
    if i % 11 == 5:
        value = None
    else:
        value = json.dumps({"n": i, "text": f"record {i}", "ok": i % 2 == 0}).encode()
    headers = [("trace", f"t{i}".encode()), ("trace", bytes([0, 255, i % 256]))]
    if i % 5 == 0:
        headers.append(("empty", b""))
    return key, value, headers, BASE_TS + i * 1000, i


def orders(i):
    value = {
        "order_id": str(i),
        "customer_id": str(100 + i % 40),
        "book_id": str(400 + i % 90),
        "quantity": 1 + i % 4,
        "price": round(9.99 + (i % 13), 2),
        "dt": f"2023-10-0{day_of(i)}",
    }
    return str(i).encode(), json.dumps(value).encode(), [], BASE_TS + i * 1000, str(i)


def orders_schema(i):
    _, value, headers, ts, ident = orders(i)
    payload = json.loads(value)
    fields = [
        {"type": "string", "optional": False, "field": f}
        for f in ("order_id", "customer_id", "book_id")
    ] + [
        {"type": "int32", "optional": False, "field": "quantity"},
        {"type": "double", "optional": False, "field": "price"},
        {"type": "string", "optional": False, "field": "dt"},
    ]
    envelope = {"schema": {"type": "struct", "fields": fields, "optional": False}, "payload": payload}
    return str(i).encode(), json.dumps(envelope).encode(), headers, ts, ident


def salesdb(i):
    value = {"CUST_ID": i, "NAME": f"고객 {i}", "MKTSEGMENT": ["AUTOMOBILE", "BUILDING", "FURNITURE"][i % 3]}
    return str(i).encode(), json.dumps(value, ensure_ascii=False).encode(), [], BASE_TS + i * 1000, i


def debezium(i, template):
    """Debezium MySQL change events (schemaless JsonConverter) for inventory.customers: per
    customer a snapshot read, an update, then for every third customer a delete and its
    tombstone. `id` identifies what ExtractNewRecordState keeps (reads and updates)."""
    customer, step = 1000 + i // 4, i % 4
    key = json.dumps({"id": customer}, separators=(",", ":")).encode()
    dt = f"2023100{day_of(i)}"
    row = lambda name: {
        "id": customer,
        "first_name": name,
        "last_name": "Kretchmar",
        "email": f"c{customer}@noanswer.org",
        "dt": dt,
    }
    ts = BASE_TS + i * 1000
    event = json.loads(json.dumps(template))
    event["source"].update({"ts_ms": ts, "ts_us": ts * 1000, "ts_ns": ts * 1000000, "pos": 154 + i})
    event.update({"ts_ms": ts + 15, "ts_us": (ts + 15) * 1000, "ts_ns": (ts + 15) * 1000000})
    deleted = customer % 3 == 0
    if step == 0:
        event.update({"before": None, "after": row(f"n{i}"), "op": "r"})
        event["source"]["snapshot"] = "true"
        ident = f"{customer}/n{i}"
    elif step == 1:
        event.update({"before": row(f"n{i - 1}"), "after": row(f"n{i}"), "op": "u"})
        ident = f"{customer}/n{i}"
    elif step == 2 and deleted:
        event.update({"before": row(f"n{i - 1}"), "after": None, "op": "d"})
        ident = None
    elif step == 3 and deleted:
        return key, None, [], ts, None
    else:
        event.update({"before": row(f"n{i - 1}"), "after": row(f"n{i}"), "op": "u"})
        ident = f"{customer}/n{i}"
    return key, json.dumps(event, separators=(",", ":")).encode(), [], ts, ident


def generator(kind, template):
    return {
        "mixed": mixed,
        "orders": orders,
        "orders-schema": orders_schema,
        "salesdb": salesdb,
        "debezium": lambda i: debezium(i, template),
    }[kind]


def produce(args):
    template = None
    if args.kind == "debezium":
        with open(args.debezium_template) as f:
            template = json.load(f)
    gen = generator(args.kind, template)
    poison = None
    if args.poison:
        p, idx = args.poison.split(":")
        poison = (int(p), int(idx))
    config = {
        "bootstrap.servers": args.bootstrap,
        # One record per batch: tansu's in-memory engine answers a fetch from an offset inside a
        # batch with the batches after it, so a consumer restarted mid-batch would skip records.
        "batch.num.messages": 1,
        "linger.ms": 0,
        "enable.idempotence": args.transactional,
    }
    if args.transactional:
        config["transactional.id"] = f"consume-test-{args.topic}"
    producer = Producer(config)
    delivered = []
    errors = []

    def on_delivery(meta):
        def cb(err, msg):
            if err is not None:
                errors.append(f"{meta['partition']}: {err}")
                return
            ts_type, ts = msg.timestamp()
            row = dict(meta)
            row.update(
                {
                    "offset": msg.offset(),
                    "timestamp": ts,
                    "timestampType": {1: "CREATE_TIME", 2: "LOG_APPEND_TIME"}.get(ts_type, "NO_TIMESTAMP_TYPE"),
                }
            )
            delivered.append(row)

        return cb

    if args.transactional:
        producer.init_transactions(TIMEOUT)
    per_partition = [0] * args.partitions
    for i in range(args.count):
        key, value, headers, ts, ident = gen(i)
        partition = i % args.partitions
        if poison is not None and (partition, per_partition[partition]) == poison:
            value, ident = b"{not json", "poison"
        per_partition[partition] += 1
        if args.transactional and i % 100 == 0:
            if i:
                producer.commit_transaction(TIMEOUT)
            producer.begin_transaction()
        meta = {
            "topic": args.topic,
            "partition": partition,
            "key": b64(key),
            "value": b64(value),
            "headers": [[n, b64(v)] for n, v in headers],
            "id": ident,
        }
        producer.produce(
            args.topic,
            key=key,
            value=value,
            headers=headers or None,
            partition=partition,
            timestamp=ts,
            on_delivery=on_delivery(meta),
        )
        producer.poll(0)
    if args.transactional:
        producer.commit_transaction(TIMEOUT)
    left = producer.flush(TIMEOUT)
    if left or errors:
        sys.exit(f"produce: {left} records undelivered, errors: {errors[:5]}")
    delivered.sort(key=lambda r: (r["partition"], r["offset"]))
    with open(args.manifest, "w") as f:
        for row in delivered:
            f.write(json.dumps(row) + "\n")
    print(json.dumps({"produced": len(delivered)}))


def partitions_of(consumer, topic):
    meta = consumer.list_topics(topic, timeout=TIMEOUT)
    return sorted(meta.topics[topic].partitions)


def committed(args):
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group, "enable.auto.commit": False})
    tps = [TopicPartition(args.topic, p) for p in partitions_of(consumer, args.topic)]
    out = {f"{tp.topic}-{tp.partition}": tp.offset for tp in consumer.committed(tps, timeout=TIMEOUT)}
    consumer.close()
    print(json.dumps(out))


def ends(args):
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "consume-test-ends"})
    out = {}
    for p in partitions_of(consumer, args.topic):
        _, high = consumer.get_watermark_offsets(TopicPartition(args.topic, p), timeout=TIMEOUT)
        out[f"{args.topic}-{p}"] = high
    consumer.close()
    print(json.dumps(out))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("create", "produce", "committed", "ends"):
        p = sub.add_parser(name)
        p.add_argument("--bootstrap", required=True)
        p.add_argument("--topic", required=True)
        if name in ("create", "produce"):
            p.add_argument("--partitions", type=int, default=3)
        if name == "produce":
            p.add_argument("--kind", required=True)
            p.add_argument("--count", type=int, required=True)
            p.add_argument("--manifest", required=True)
            p.add_argument("--transactional", action="store_true")
            p.add_argument("--poison")
            p.add_argument("--debezium-template")
        if name == "committed":
            p.add_argument("--group", required=True)
    args = parser.parse_args()
    {"create": create, "produce": produce, "committed": committed, "ends": ends}[args.command](args)


if __name__ == "__main__":
    main()

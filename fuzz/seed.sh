#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with the repository's real inputs and the hand-written seeds in
# fuzz/seeds/<target>/. Safe to run again: existing corpus entries are kept.
set -euo pipefail
cd "$(dirname "$0")"
repo=..
for t in event_decode config_parse joda converters transforms; do
  mkdir -p "corpus/$t"
  cp seeds/"$t"/* "corpus/$t/"
done
cp "$repo"/events/*.json corpus/event_decode/
cp "$repo"/examples/configs/* corpus/config_parse/
for f in "$repo"/tests/fixtures/debezium/*.json; do
  cp "$f" corpus/converters/
  cp "$f" corpus/transforms/
done
# The record values of the shipped events, decoded, for the converters and transforms.
python3 - "$repo" <<'PY'
import base64, glob, json, os, sys
repo = sys.argv[1]
for path in glob.glob(os.path.join(repo, "events", "*.json")):
    event = json.load(open(path))
    for records in event["records"].values():
        for r in records:
            for part in ("key", "value"):
                if r.get(part):
                    raw = base64.b64decode(r[part])
                    name = "%s-%s-%s-%s" % (os.path.basename(path)[:-5], r["partition"], r["offset"], part)
                    for t in ("converters", "transforms"):
                        open(os.path.join("corpus", t, name), "wb").write(raw)
PY
for t in event_decode config_parse joda converters transforms; do
  echo "$t: $(ls "corpus/$t" | wc -l) seeds"
done

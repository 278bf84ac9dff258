#!/usr/bin/env python3
"""Check a Sanshen JSON Lines export without Sanshen — Python's standard library only.

    python3 verify-export.py sanshen-trail.jsonl

Exit 0 when every line hashes to its `hash` and the lines link up; 1 naming the first line that does
not. The signature beside the file (FILE.sig) is checked with openssl and the public key; see
docs/audit.md. The rules re-implemented here are those of docs/audit.md, "How an event is hashed".
"""

import hashlib
import json
import sys

GENESIS = "0" * 64
HASHED = ("seq", "at", "actor", "kind", "draft_id", "payload")


def canonical(value):
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def verify(path):
    previous, count = None, 0
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            event = json.loads(line)
            record = {key: event[key] for key in HASHED}
            if hashlib.sha256((event["prev_hash"] + canonical(record)).encode()).hexdigest() != event["hash"]:
                return f"line {number} (event {event['seq']}): its content does not match its hash"
            if event["seq"] == 1 and event["prev_hash"] != GENESIS:
                return f"line {number}: the first event must link to the genesis hash"
            if previous is not None:
                if event["seq"] <= previous["seq"]:
                    return f"line {number} (event {event['seq']}): events are reordered or repeated"
                if event["seq"] == previous["seq"] + 1 and event["prev_hash"] != previous["hash"]:
                    return f"line {number} (event {event['seq']}): its link to the line before does not match"
            previous, count = event, count + 1
    sys.stdout.write(f"{path}: {count} events intact\n")
    return None


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: verify-export.py EXPORT.jsonl")
    problem = verify(sys.argv[1])
    if problem:
        sys.exit(f"{sys.argv[1]}: {problem}")

#!/usr/bin/env python3
"""Check a Sanshen JSON Lines export without Sanshen — Python's standard library only.

    python3 verify-export.py sanshen-trail.jsonl

Exit 0 when every event line hashes to its `hash`, the lines link up, and the closing manifest matches
them; 1 naming the first line that does not. The signature beside the file (FILE.sig), which also
covers the manifest, is checked with openssl and the public key: see docs/audit.md, whose "How an event
is hashed" gives the rules re-implemented here.
"""

import hashlib
import json
import sys

GENESIS = "0" * 64
HASHED = ("seq", "at", "actor", "kind", "draft_id", "payload")


def canonical(value):
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def no_constants(name):
    raise ValueError(f"{name} is not a JSON number")


def verify(path):
    previous, count, manifest, gaps = None, 0, None, 0
    with open(path, "rb") as lines:
        for number, raw in enumerate(lines, start=1):
            try:
                line = json.loads(raw.decode("utf-8"), parse_constant=no_constants)
                if manifest is not None:
                    return f"line {number}: it follows the manifest, which must be the last line"
                if set(line) == {"manifest"}:
                    manifest = line["manifest"]
                    continue
                record = {key: line[key] for key in HASHED}
                if type(line["seq"]) is not int or not all(isinstance(line[k], str) for k in ("prev_hash", "hash")):
                    raise TypeError("its seq is not a whole number or its hashes are not text")
                digest = hashlib.sha256((line["prev_hash"] + canonical(record)).encode()).hexdigest()
            except (ValueError, TypeError, KeyError, RecursionError, UnicodeError, AttributeError) as error:
                return f"line {number}: it is not an event record ({error!r})"
            if digest != line["hash"]:
                return f"line {number} (event {line['seq']}): its content does not match its hash"
            if line["seq"] == 1 and line["prev_hash"] != GENESIS:
                return f"line {number}: the first event must link to the genesis hash"
            if previous is not None:
                if line["seq"] <= previous["seq"]:
                    return f"line {number} (event {line['seq']}): events are reordered or repeated"
                if line["seq"] == previous["seq"] + 1 and line["prev_hash"] != previous["hash"]:
                    return f"line {number} (event {line['seq']}): its link to the line before does not match"
                gaps += line["seq"] != previous["seq"] + 1
            previous, count = line, count + 1
    last_seq = previous["seq"] if previous else None
    if not isinstance(manifest, dict) or (manifest.get("events"), manifest.get("last_seq")) != (count, last_seq):
        return "the manifest is missing or does not match the lines: the file was cut short"
    criteria, head = manifest.get("filter"), manifest.get("chain_head")
    if not isinstance(criteria, dict) or not isinstance(head, dict):
        return "the manifest's filter or chain head is not an object"
    unfiltered = all(value is None for value in criteria.values())
    if unfiltered and (gaps or count != head.get("seq")):
        return "an unfiltered export must hold every event up to the head its manifest names"
    sys.stdout.write(f"{path}: {count} events intact; manifest matches\n")
    return None


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: verify-export.py EXPORT.jsonl")
    problem = verify(sys.argv[1])
    if problem:
        sys.exit(f"{sys.argv[1]}: {problem}")

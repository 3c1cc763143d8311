"""Deduplicates a JSON Lines file ({"id": ..., "text": ...} per line): writes the first article of
each group of near-duplicates to stdout and says on stderr how many were dropped.
Usage: python3 dedup_jsonl.py articles.jsonl > unique.jsonl"""
import json, sys
import neardup

records = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
verdicts = neardup.dedup((r["id"], r["text"]) for r in records)
for record, verdict in zip(records, verdicts):
    if verdict.status == "kept":
        print(json.dumps(record, ensure_ascii=False))
print(f"{sum(v.status == 'dropped' for v in verdicts)} of {len(records)} dropped", file=sys.stderr)

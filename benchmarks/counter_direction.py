#!/usr/bin/env python3
"""counter_direction.py — COUNTER (real agency copy and the newspaper articles written from it) as
input for eval_direction: writes CORPUS.jsonl (one record per document, id and text, no date) and
TRUTH.tsv (a b kind edit source: every wholly or partially derived pair, the agency copy its source;
non-derived pairs are left out, as they have no direction).

    benchmarks/counter_direction.py ../shared/data/counter-dev counter.jsonl counter.truth
    build/benchmarks/eval_direction counter.jsonl counter.truth

The data stays where it is (its licence forbids copying it into the project); this only reads it.
"""
import json
import sys


def main(argv):
    if len(argv) != 4:
        sys.stderr.write("usage: counter_direction.py COUNTER_DIR CORPUS.jsonl TRUTH.tsv\n")
        return 2
    root, corpus, truth = argv[1:]
    with open(f"{root}/pairs.tsv", encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [dict(zip(header, line.rstrip("\n").split("\t"))) for line in f if line.strip()]
    ids = sorted({r[k] for r in rows for k in ("source_id", "derived_id")})
    with open(corpus, "w", encoding="utf-8") as out:
        for i in ids:
            with open(f"{root}/docs/{i}.txt", encoding="utf-8") as doc:
                out.write(json.dumps({"id": i, "text": doc.read()}, ensure_ascii=False) + "\n")
    with open(truth, "w", encoding="utf-8") as out:
        out.write("a\tb\tkind\tedit\tsource\n")
        for r in rows:
            if r["label"] in ("WD", "PD"):
                out.write(f"{r['source_id']}\t{r['derived_id']}\t{r['label']}\t0\t{r['source_id']}\n")
    sys.stderr.write(f"counter_direction: {len(ids)} documents, "
                     f"{sum(r['label'] in ('WD', 'PD') for r in rows)} derived pairs\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""compare_datasketch.py — neardup against datasketch on the same corpus, side by side in one run.

    python3 benchmarks/compare_datasketch.py CORPUS.jsonl TRUTH.tsv [--neardup build/neardup]
        [--threshold 0.5] [--shingle 5] [--limit N]

CORPUS.jsonl and TRUTH.tsv come from benchmarks/gen_corpus (--jsonl/--truth). Both tools get the same
articles, the same word k-shingles (lower-cased runs of letters and digits, k = --shingle, default 5),
num_perm 128 and the same Jaccard threshold:

  neardup     `neardup pairs --jsonl CORPUS --shingle words:K --threshold T --containment 0
              --format csv` (containment off: the same task datasketch does), timed as a process.
  datasketch  MinHash.bulk() over the shingle sets (its bulk path, default SHA-1 hashing) +
              MinHashLSH(threshold=T, num_perm=128) filled in an insertion_session(), then one
              query per article; candidates kept when the MinHash estimate >= T (its usual
              verification). Run in a child process so its peak RSS is its own.

Prints wall time, articles/s, MB/s, peak RSS, and recall/precision of the planted near-duplicate
pairs for both, and the speed ratio. datasketch is used when importable (set PYTHONPATH to a
checkout; it needs numpy and scipy); otherwise that half is skipped with a message.
"""
import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time

WORD = re.compile(r"[^\W_]+", re.UNICODE)


def read_truth(path):
    planted = set()
    with open(path, encoding="utf-8") as fp:
        next(fp)
        for line in fp:
            a, b, kind, _ = line.rstrip("\n").split("\t")
            planted.add((min(a, b), max(a, b)))
    return planted


def score(pairs, planted):
    found = len(pairs & planted)
    recall = found / len(planted) if planted else 0.0
    precision = found / len(pairs) if pairs else 1.0
    return recall, precision


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("truth")
    ap.add_argument("--neardup", default=os.path.join(os.path.dirname(__file__), "..", "build", "neardup"))
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--shingle", type=int, default=5)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N articles")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        pairs = datasketch_worker(args)
        with open(args.worker, "w", encoding="utf-8") as fp:
            for a, b in sorted(pairs):
                fp.write(f"{a}\t{b}\n")
        return 0

    corpus = args.corpus
    if args.limit:
        corpus = f"/tmp/compare-{os.getpid()}.jsonl"
        with open(args.corpus, encoding="utf-8") as src, open(corpus, "w", encoding="utf-8") as dst:
            for n, line in enumerate(src):
                if n >= args.limit:
                    break
                dst.write(line)
    planted = read_truth(args.truth)
    ids, nbytes = set(), 0
    with open(corpus, encoding="utf-8") as fp:
        for line in fp:
            rec = json.loads(line)
            ids.add(rec["id"])
            nbytes += len(rec["text"].encode("utf-8"))
    planted = {p for p in planted if p[0] in ids and p[1] in ids}
    n = len(ids)
    print(f"corpus: {corpus}: {n} articles, {nbytes / 1e6:.1f} MB, {len(planted)} planted pairs; "
          f"word {args.shingle}-shingles, num_perm 128, threshold {args.threshold}")

    cmd = [args.neardup, "pairs", "--jsonl", corpus, "--shingle", f"words:{args.shingle}",
           "--threshold", str(args.threshold), "--containment", "0", "--format", "csv"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    nd_time = time.perf_counter() - t0
    nd_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    nd_pairs = set()
    for line in out.splitlines()[1:]:
        a, b = line.split(",")[:2]
        nd_pairs.add((min(a, b), max(a, b)))
    r, p = score(nd_pairs, planted)
    print(f"neardup:    {nd_time:8.2f} s  {n / nd_time:9.0f} articles/s  {nbytes / 1e6 / nd_time:7.1f} MB/s  "
          f"peak RSS {nd_rss / 1024:6.0f} MB  recall {r:.4f}  precision {p:.4f}  ({len(nd_pairs)} pairs)")

    try:
        import datasketch  # noqa: F401
    except ImportError as e:
        print(f"datasketch: skipped: not importable ({e}); set PYTHONPATH to a datasketch checkout "
              "(it needs numpy and scipy)")
        return 0
    pairs_file = f"/tmp/compare-ds-{os.getpid()}.tsv"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, __file__, corpus, args.truth, "--threshold", str(args.threshold),
                    "--shingle", str(args.shingle), "--worker", pairs_file], check=True)
    ds_time = time.perf_counter() - t0
    ds_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    ds_pairs = set()
    with open(pairs_file, encoding="utf-8") as fp:
        for line in fp:
            a, b = line.rstrip("\n").split("\t")
            ds_pairs.add((a, b))
    os.unlink(pairs_file)
    r, p = score(ds_pairs, planted)
    print(f"datasketch: {ds_time:8.2f} s  {n / ds_time:9.0f} articles/s  {nbytes / 1e6 / ds_time:7.1f} MB/s  "
          f"peak RSS {ds_rss / 1024:6.0f} MB  recall {r:.4f}  precision {p:.4f}  ({len(ds_pairs)} pairs)")
    print(f"speed: neardup is {ds_time / nd_time:.1f}x datasketch's articles per second "
          "(RSS of the larger child so far for datasketch: it ran after neardup)")
    if args.limit:
        os.unlink(corpus)
    return 0


def datasketch_worker(args):
    from datasketch import MinHash, MinHashLSH

    k, threshold = args.shingle, args.threshold
    ids, sets = [], []
    with open(args.corpus, encoding="utf-8") as fp:
        for line in fp:
            rec = json.loads(line)
            words = WORD.findall(rec["text"].lower())
            sets.append({" ".join(words[i:i + k]).encode("utf-8") for i in range(max(1, len(words) - k + 1))})
            ids.append(rec["id"])
    minhashes = MinHash.bulk(sets, num_perm=128)
    del sets
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    with lsh.insertion_session() as session:
        for key, m in zip(ids, minhashes):
            session.insert(key, m)
    by_id = dict(zip(ids, minhashes))
    pairs = set()
    for key, m in zip(ids, minhashes):
        for other in lsh.query(m):
            if other == key:
                continue
            a, b = min(key, other), max(key, other)
            if (a, b) not in pairs and m.jaccard(by_id[other]) >= threshold:
                pairs.add((a, b))
    return pairs


if __name__ == "__main__":
    sys.exit(main())

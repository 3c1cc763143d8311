#!/usr/bin/env python3
"""bench_python.py — the Python binding's pairs against `neardup pairs` on the same JSON Lines corpus.

    python3 benchmarks/bench_python.py [--build build] [-n 100000] [--corpus FILE] [--repeat 3]
        [--threads N]

The corpus is benchmarks/gen_corpus's (`gen_corpus -n N --seed 1 --jsonl FILE`), generated into a
temporary directory unless --corpus names one (generated there when missing). Each side runs as its
own process, alternating CLI / Python, --repeat times, so that both see the same machine load:

  cli     BUILD/neardup pairs --jsonl CORPUS --format json -o OUT  (its defaults otherwise)
  python  a child interpreter with PYTHONPATH=BUILD/python running what a user would write: read
          the file line by line with json.loads in a generator, neardup.pairs(records), write each
          Pair as a JSON line to OUT.

Both outputs must hold the same pairs with the same scores (checked after every run; the benchmark
fails otherwise). Prints, per side, the median wall time, articles/s, MB/s, the median CPU time and
the largest peak RSS (each process's own, from wait4), and the ratios python/cli of the medians
(the target is <= 1.2).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import json, sys
import neardup

def records(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            yield r["id"], r["text"]

threads = int(sys.argv[3])
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for p in neardup.pairs(records(sys.argv[1]), threads=threads):
        out.write(json.dumps({"a": p.a, "b": p.b, "jaccard": round(p.jaccard, 4),
                              "containment_a_in_b": round(p.containment_a_in_b, 4),
                              "containment_b_in_a": round(p.containment_b_in_a, 4),
                              "shared_shingles": p.shared, "score": round(p.score, 4), "kind": p.kind}) + "\n")
"""

FIELDS = ("a", "b", "jaccard", "containment_a_in_b", "containment_b_in_a", "shared_shingles", "score", "kind")


def timed(name, args, env=None):
    """Runs args; returns (wall seconds, CPU seconds (user + system), peak RSS in MiB) of that process
    alone. CPU time is the steadier number on a shared machine: other processes stretch the wall
    time of both sides, much less their CPU time."""
    start = time.monotonic()
    proc = subprocess.Popen(args, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"bench_python: the {name} run exited with {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def rows(path):
    with open(path, encoding="utf-8") as f:
        return [tuple(json.loads(line)[k] for k in FIELDS) for line in f]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build", help="the build directory (neardup, python/, benchmarks/gen_corpus)")
    ap.add_argument("-n", type=int, default=100000, help="articles to generate (default 100000)")
    ap.add_argument("--corpus", help="the JSON Lines corpus (generated with -n when missing)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each side (default 3)")
    ap.add_argument("--threads", type=int, default=0, help="worker threads of both sides (default: all cores)")
    opts = ap.parse_args()

    build = os.path.abspath(opts.build)
    cli = os.path.join(build, "neardup")
    with tempfile.TemporaryDirectory(prefix="bench_python.") as tmp:
        corpus = opts.corpus or os.path.join(tmp, "corpus.jsonl")
        if not os.path.exists(corpus):
            subprocess.run([os.path.join(build, "benchmarks", "gen_corpus"), "-n", str(opts.n), "--seed", "1",
                            "--jsonl", corpus, "--truth", corpus + ".truth"], check=True)
        with open(corpus, "rb") as f:
            articles = sum(1 for _ in f)
        size = os.path.getsize(corpus)
        env = dict(os.environ, PYTHONPATH=os.path.join(build, "python"))
        cli_out, py_out = os.path.join(tmp, "cli.jsonl"), os.path.join(tmp, "py.jsonl")
        cli_args = [cli, "pairs", "--jsonl", corpus, "--format", "json", "-o", cli_out]
        if opts.threads:
            cli_args.insert(2, f"--threads={opts.threads}")
        py_args = [sys.executable, "-c", CHILD, corpus, py_out, str(opts.threads)]
        runs = {"cli": [], "python": []}
        for i in range(opts.repeat):
            runs["cli"].append(timed("cli", cli_args))
            runs["python"].append(timed("python", py_args, env))
            want, got = rows(cli_out), rows(py_out)
            if want != got:
                sys.exit(f"bench_python: the binding's pairs differ from the tool's ({len(got)} vs {len(want)})")
            print(f"run {i + 1}: cli {runs['cli'][-1][0]:.2f} s ({runs['cli'][-1][1]:.2f} s CPU), python "
                  f"{runs['python'][-1][0]:.2f} s ({runs['python'][-1][1]:.2f} s CPU), {len(want)} pairs, the same",
                  file=sys.stderr, flush=True)

    origin = corpus if opts.corpus else f"gen_corpus -n {opts.n} --seed 1"
    print(f"corpus: {articles} articles, {size / 1e6:.1f} MB ({origin}); "
          f"threads: {opts.threads or os.cpu_count()}; {opts.repeat} runs each, alternating")
    print(f"{'side':8} {'median s':>9} {'articles/s':>11} {'MB/s':>7} {'CPU s':>7} {'peak RSS MiB':>13}")
    medians, cpus = {}, {}
    for side, rs in runs.items():
        medians[side] = statistics.median(w for w, _, _ in rs)
        cpus[side] = statistics.median(c for _, c, _ in rs)
        print(f"{side:8} {medians[side]:9.2f} {articles / medians[side]:11.0f} {size / 1e6 / medians[side]:7.1f} "
              f"{cpus[side]:7.2f} {max(r for _, _, r in rs):13.0f}")
    print(f"python / cli: {medians['python'] / medians['cli']:.3f} wall time, {cpus['python'] / cpus['cli']:.3f} "
          f"CPU time (target <= 1.2)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""bench_report_open.py — how long headless Chromium takes to open the pages of `neardup report`.

Generates a corpus with gen_corpus (default 10,000 articles, --dates --direction), writes its report
with the real `neardup report`, starts one headless Chromium and drives it over the DevTools protocol
on a pipe (--remote-debugging-pipe: no port, no network), then opens pages one after the other in the
running browser, as a reader clicking from the summary does. For each page it takes, from the page's
own Navigation Timing (origin: the start of the navigation):

  load      loadEventEnd: the page parsed, its inline SVG and styles loaded
  paint     first-contentful-paint
  ready     two animation frames after the load event: laid out and drawn
  wall      seconds from sending Page.navigate to the load event reaching this script

and prints the median and the worst of --rounds rounds. Browser start-up (launch to a blank page) is
timed apart: it is paid once per browser, not per page. Nothing is fetched; the pages are local files.

    benchmarks/bench_report_open.py --neardup build/neardup --gen build/benchmarks/gen_corpus \\
        --work /tmp/open10k [--count 10000] [--rounds 3] [--all]

By default the pages timed are the summary (the first file), the largest file and the largest
"more pairs" file; --all times every file of the report. Exit status 1 when a page's median `ready`
is 2 s or more (the issue's target), 2 on a usage or run error.
"""
import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import time


class Browser:
    """One headless Chromium spoken to over --remote-debugging-pipe (fd 3 in, fd 4 out; each message
    JSON ending in a NUL byte)."""

    def __init__(self, binary):
        to_child_r, self.to_child_w = os.pipe()
        self.from_child_r, from_child_w = os.pipe()
        # The child must see our pipe ends as fds 3 and 4.
        # (Copied above 4 first, so that neither end is overwritten by the other's dup2.)
        def setup():
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            while min(a, b) <= 4:
                a, b = os.dup(a), os.dup(b)
            os.dup2(a, 3)
            os.dup2(b, 4)
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-extensions", "--remote-debugging-pipe", "--user-data-dir=" + _profile_dir(),
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=setup, close_fds=False)
        os.close(to_child_r)
        os.close(from_child_w)
        self.next_id = 0
        self.buffer = b""
        self.events = []
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": page["targetId"], "flatten": True})["sessionId"]
        self.call("Page.enable", session=True)
        self.startup = time.monotonic() - t0

    def _read_message(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.from_child_r, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=False):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self.to_child_w, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._read_message()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_event(self, method):
        while True:
            for i, ev in enumerate(self.events):
                if ev["method"] == method:
                    del self.events[i]
                    return ev
            self.events.append(self._read_message())

    def open(self, url):
        """Opens URL in the page; returns (wall seconds to the load event, timings in ms)."""
        self.events.clear()
        t0 = time.monotonic()
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_event("Page.loadEventFired")
        wall = time.monotonic() - t0
        expr = """new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => {
            const nav = performance.getEntriesByType('navigation')[0];
            const fcp = performance.getEntriesByName('first-contentful-paint')[0];
            done(JSON.stringify({load: nav.loadEventEnd, paint: fcp ? fcp.startTime : null,
                                 ready: performance.now(), bytes: nav.transferSize || 0}));
        })))"""
        res = self.call("Runtime.evaluate", {"expression": expr, "awaitPromise": True,
                                             "returnByValue": True}, session=True)
        return wall, json.loads(res["result"]["value"])

    def close(self):
        try:
            self.call("Browser.close")
        except RuntimeError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_child_w)
        os.close(self.from_child_r)


_PROFILES = []


def _profile_dir():
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"nd-bench-chromium-{os.getpid()}")
    os.makedirs(path, exist_ok=True)
    _PROFILES.append(path)
    return path


def run(cmd, **kw):
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, **kw)
    return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--neardup", required=True)
    ap.add_argument("--gen", required=True, help="gen_corpus binary")
    ap.add_argument("--work", required=True, help="directory for the corpus and the report")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--all", action="store_true", help="time every file of the report")
    args = ap.parse_args()

    os.makedirs(args.work, exist_ok=True)
    corpus = os.path.join(args.work, f"c{args.count}.jsonl")
    truth = os.path.join(args.work, f"c{args.count}.truth")
    if not os.path.exists(corpus):
        run([args.gen, "-n", str(args.count), "--jsonl", corpus, "--truth", truth,
             "--dates", "--direction"], stdout=subprocess.DEVNULL)
    out_dir = os.path.join(args.work, "report")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    report = os.path.join(out_dir, "report.html")
    secs = run([args.neardup, "report", "--jsonl", corpus, "-o", report],
               stderr=subprocess.DEVNULL)
    files = sorted(glob.glob(os.path.join(out_dir, "*.html")))
    total = sum(os.path.getsize(f) for f in files)
    print(f"corpus: {args.count} articles (gen_corpus --dates --direction), report: {len(files)} files,"
          f" {total / 1e6:.1f} MB, written in {secs:.2f} s")

    if args.all:
        pages = files
    else:
        by_size = sorted(files, key=os.path.getsize, reverse=True)
        pages = [report, by_size[0]]
        more = [f for f in by_size if "-more" in os.path.basename(f)]
        if more and more[0] not in pages:
            pages.append(more[0])

    rounds = {p: [] for p in pages}
    startups = []
    for _ in range(args.rounds):
        browser = Browser(args.chromium)
        startups.append(browser.startup)
        try:
            for p in pages:
                browser.open("about:blank")
                rounds[p].append(browser.open("file://" + os.path.abspath(p)))
        finally:
            browser.close()
    for path in _PROFILES:
        shutil.rmtree(path, ignore_errors=True)

    print(f"browser start-up (launch to about:blank): "
          + ", ".join(f"{s:.2f}" for s in startups) + " s")
    print(f"{'page':<28} {'KB':>6} {'load':>7} {'paint':>7} {'ready':>7} {'wall':>7}"
          f"   (seconds, median of {args.rounds}; worst ready)")
    worst_overall = 0.0
    slow = []
    for p in pages:
        walls = [w for w, _ in rounds[p]]
        loads = [t["load"] / 1000 for _, t in rounds[p]]
        paints = [t["paint"] / 1000 for _, t in rounds[p] if t["paint"] is not None]
        readies = [t["ready"] / 1000 for _, t in rounds[p]]
        med_ready = statistics.median(readies)
        worst_overall = max(worst_overall, med_ready)
        if med_ready >= 2.0:
            slow.append(p)
        paint = f"{statistics.median(paints):7.3f}" if paints else "      -"
        print(f"{os.path.basename(p):<28} {os.path.getsize(p) / 1024:6.0f} "
              f"{statistics.median(loads):7.3f} {paint} {med_ready:7.3f} "
              f"{statistics.median(walls):7.3f}   {max(readies):.3f}")
    print(f"slowest page (median ready): {worst_overall:.3f} s")
    if slow:
        print("pages at 2 s or more: " + ", ".join(os.path.basename(p) for p in slow))
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (subprocess.CalledProcessError, RuntimeError, OSError) as e:
        sys.stderr.write(f"bench_report_open: {e}\n")
        sys.exit(2)

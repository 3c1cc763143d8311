"""The GIL is released around long calls; signing from many Python threads; Ctrl-C cancels a search."""
import concurrent.futures
import os
import signal
import threading
import time

import pytest

import neardup

WORDS = [f"word{i}" for i in range(5000)]


def big_text(n_words, offset=0):
    return " ".join(WORDS[(i * 7 + offset) % len(WORDS)] for i in range(n_words))


def runs_during(call, min_seconds=0.3):
    """Calls call() on this thread while another Python thread records when it runs. True when that
    thread ran well inside the call: impossible while the call holds the GIL."""
    stamps, stop = [], threading.Event()

    def other():
        while not stop.is_set():
            stamps.append(time.monotonic())
            time.sleep(0.001)
    t = threading.Thread(target=other)
    t.start()
    time.sleep(0.01)
    repeat = 0
    while True:
        start = time.monotonic()
        call()
        end = time.monotonic()
        repeat += 1
        if end - start >= min_seconds or repeat > 50:
            break
    stop.set()
    t.join()
    margin = (end - start) / 5
    return any(start + margin < s < end - margin for s in stamps)


def test_signing_releases_the_gil():
    text = big_text(3_000_000)
    assert runs_during(lambda: neardup.sign(text))


def test_finding_pairs_releases_the_gil():
    coll = neardup.Collection((str(i), big_text(300, i % 50)) for i in range(2000))
    assert runs_during(lambda: coll.pairs())


def test_diff_releases_the_gil():
    a, b = big_text(400_000), big_text(400_000, 3)
    assert runs_during(lambda: neardup.diff(a, b))


def test_index_adds_and_queries_release_the_gil(tmp_path):
    with neardup.Index.create(tmp_path / "g.db") as ix:
        items = [(str(i), big_text(2000, i)) for i in range(300)]
        n = iter(range(10**6))
        assert runs_during(lambda: ix.add((f"{next(n)}-{i}", t) for i, t in items), min_seconds=0.5)
        assert runs_during(lambda: ix.query(items[0][1]), min_seconds=0.2)


def test_one_signer_signs_from_many_threads():
    signer = neardup.Signer()
    texts = [big_text(2000, i) for i in range(64)]
    alone = [signer.sign(t, id=i).signature for i, t in enumerate(texts)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda it: signer.sign(it[1], id=it[0]).signature, enumerate(texts)))
    assert together == alone


def test_two_writers_wait_for_each_other(tmp_path):
    # The first add holds the write lock while its generator waits for the main thread; the second
    # writer waits for the lock with the GIL released, or the main thread could not let the first go.
    path = tmp_path / "w.db"
    neardup.Index.create(path).close()
    inside, release = threading.Event(), threading.Event()

    def slow_items():
        yield "a", "the first writer's article about the harbour barrier"
        inside.set()
        release.wait(10)
    results = {}

    def first():
        with neardup.Index(path, writable=True) as ix:
            results["first"] = ix.add(slow_items(), threads=1)

    def second():
        with neardup.Index(path, writable=True) as ix:
            results["second"] = ix.add([("b", "the second writer's article about a bakery")], threads=1)
    t1 = threading.Thread(target=first)
    t1.start()
    assert inside.wait(10)
    t2 = threading.Thread(target=second)
    t2.start()
    time.sleep(0.3)
    assert "second" not in results  # waiting for the lock
    release.set()
    t1.join(15)
    t2.join(15)
    assert results == {"first": (1, []), "second": (1, [])}


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals need the main thread")
def test_ctrl_c_cancels_a_search():
    copies = neardup.Collection((str(i), big_text(200)) for i in range(2500))  # 3 million pairs
    timer = threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT))
    # Python leaves SIGINT ignored when it starts with it ignored (a shell's background job): Ctrl-C
    # is then nothing to cancel on. The test installs the handler an interactive Python has.
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        start = time.monotonic()
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            copies.pairs()
        stopped = time.monotonic() - start
        timer.join()
    finally:
        signal.signal(signal.SIGINT, before)
    full = time.monotonic()
    assert len(copies.pairs(threshold=0.99, containment=0)) == 2500 * 2499 // 2
    assert stopped < (time.monotonic() - full)  # well before a full search ends

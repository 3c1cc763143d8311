"""References: every call gives back the references it took to its inputs (texts are pinned while
workers read them; ids, metadata and error callbacks are held while items are in flight), on
success and on every error path. A leaked reference keeps a whole text alive; a missing one frees
an object still in use (the valgrind run of docs/python.md checks the other direction)."""
import gc
import sys

import pytest

import neardup

STORY = ("The river authority said on Thursday that the old weir at Dunmore would be rebuilt in stone "
         "before the spring floods, at a cost the council put at four million, and that the towpath "
         "would stay closed until the work is finished next year. ")


def texts(n):
    # Distinct objects made at run time (literals would be shared with the code object).
    return ["".join([STORY, f"Paragraph {i}: ", "é" * (i % 3), STORY[: 40 + i]]) for i in range(n)]


def refcounts(objs):
    gc.collect()
    return [sys.getrefcount(o) for o in objs]


def test_signing_and_collections_release_their_inputs():
    items = [(f"id{i}", t, {"n": i}) for i, t in enumerate(texts(300))]
    flat = [x for item in items for x in item]
    before = refcounts(flat)
    coll = neardup.Collection(items, threads=2)
    coll.pairs()
    coll.clusters()
    [d.metadata for d in coll]
    neardup.sign(items[0][1], id=items[0][0])
    del coll
    assert refcounts(flat) == before


def test_failures_release_their_inputs():
    good = texts(200)
    items = [(f"id{i}", t) for i, t in enumerate(good)]
    items[150] = ("bad", "")  # EmptyError in the middle of a batch
    items[170] = ("id3", good[170])  # a duplicate id
    flat = [x for item in items for x in item]
    before = refcounts(flat)
    with pytest.raises(neardup.EmptyError):
        neardup.Collection(items, threads=2)
    skipping = neardup.Collection(items, errors="skip")
    assert [i for i, _ in skipping.skipped] == ["bad", "id3"]
    seen = []
    neardup.Collection(items, errors=lambda i, e: seen.append(i))
    assert seen == ["bad", "id3"]

    def stops(items):
        yield from items[:100]
        raise KeyError("stop")
    with pytest.raises(KeyError):
        neardup.Collection(stops(items))
    with pytest.raises(neardup.UTF8Error):
        neardup.sign(b"\xff\xfe not utf-8")
    del skipping, seen
    assert refcounts(flat) == before


def test_diff_releases_its_inputs():
    a, b = texts(2)
    before = refcounts([a, b])
    for _ in range(50):
        d = neardup.diff(a, b)
    assert d.passages
    del d
    with pytest.raises(neardup.InvalidArgumentError):
        neardup.diff(a, b, tokens="letters")
    assert refcounts([a, b]) == before


def test_index_releases_its_inputs(tmp_path):
    items = [(f"id{i}", t, {"n": i}) for i, t in enumerate(texts(120))]
    flat = [x for item in items for x in item]
    before = refcounts(flat)
    with neardup.Index.create(tmp_path / "ix.db") as ix:
        added, skipped = ix.add(items)
        assert added == 120 and not skipped
        assert all(m[0].metadata is not None for m in map(ix.query, (item[1] for item in items[:20])))
        assert ix.add(items[:5], errors="skip")[1]  # duplicate ids, skipped
    del ix, added, skipped
    assert refcounts(flat) == before

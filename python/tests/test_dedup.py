"""dedup: the same manifest as `neardup dedup` for the same input, batch-only and against an index."""
import json
import shutil

import pytest

import neardup
from conftest import read_jsonl, run


def records(path, dates=False):
    for r in map(json.loads, open(path, encoding="utf-8")):
        if dates:
            # Dates written for the test: later articles are not always later (reversed every third).
            n = int(r["id"])
            day = (n * 7919) % 365
            yield r["id"], r["text"], {"date": f"2026-{1 + day // 31:02d}-{1 + day % 28:02d}"} if n % 5 else None
        else:
            yield r["id"], r["text"]


def with_dates(src, dst):
    with open(dst, "w", encoding="utf-8") as out:
        for i, t, meta in records(src, dates=True):
            out.write(json.dumps(dict({"id": i, "text": t}, **(meta or {}))) + "\n")


FIELDS = neardup.Verdict._fields


def same_manifest(got, want):
    assert FIELDS == ("id", "group", "status", "duplicate_of", "duplicate_in_index", "best_match",
                      "best_match_in_index", "jaccard", "containment", "date", "already_archived")
    assert len(got) == len(want)
    for v, w in zip(got, want):
        row = v._asdict()
        for score in ("jaccard", "containment"):
            row[score] = None if row[score] is None else round(row[score], 4)
        assert row == {f: w[f] for f in FIELDS}


@pytest.mark.parametrize("keep", ["first", "longest", "earliest"])
def test_batch_dedup_equals_the_tools(corpus_2k, cli, tmp_path, keep):
    feed = tmp_path / "dated.jsonl"
    with_dates(corpus_2k, feed)
    out = tmp_path / "manifest.jsonl"
    run([cli, "dedup", "--jsonl", str(feed), "--keep", keep, "-o", str(out)])
    want = read_jsonl(out)
    got = neardup.dedup(records(corpus_2k, dates=True), keep=keep)
    same_manifest(got, want)
    assert 100 < sum(v.status == "dropped" for v in got) < len(got)


def test_dedup_against_an_index_equals_the_tools(corpus_2k, cli, tmp_path):
    dated = tmp_path / "dated.jsonl"
    with_dates(corpus_2k, dated)
    lines = open(dated, encoding="utf-8").read().splitlines(keepends=True)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text("".join(lines[:1200]))
    second.write_text("".join(lines[800:]))  # 400 articles again (archived), the rest new

    def feed(path):
        for r in read_jsonl(path):
            yield r.pop("id"), r.pop("text"), r

    tool_db, py_db = tmp_path / "tool.db", tmp_path / "py.db"
    run([cli, "index", "create", str(tool_db)])
    run([cli, "dedup", "--jsonl", str(first), "--index", str(tool_db), "--add", "--keep", "earliest",
         "-o", str(tmp_path / "m1.jsonl")])
    neardup.Index.create(py_db).close()
    got1 = neardup.dedup(feed(first), index=py_db, add=True, keep="earliest")
    same_manifest(got1, read_jsonl(tmp_path / "m1.jsonl"))
    with neardup.Index(py_db) as ix:
        st = ix.stats()
        assert (st.articles, st.kept, st.batches) == (1200, sum(v.status == "kept" for v in got1), 1)

    # Without add: the plan against the archive; the Index passed in stays open and unchanged.
    run([cli, "dedup", "--jsonl", str(second), "--index", str(tool_db), "-o", str(tmp_path / "m2.jsonl")])
    with neardup.Index(py_db) as ix:
        got2 = neardup.dedup(feed(second), index=ix)
        assert not ix.closed and ix.stats() == st
    same_manifest(got2, read_jsonl(tmp_path / "m2.jsonl"))
    assert sum(v.already_archived for v in got2) == 400
    assert any(v.duplicate_in_index and not v.already_archived for v in got2)

    # Rekeep: earlier batch members replace archived kept articles (rows "superseded"), then added.
    run([cli, "dedup", "--jsonl", str(second), "--index", str(tool_db), "--rekeep", "earliest", "--add",
         "-o", str(tmp_path / "m3.jsonl")])
    got3 = neardup.dedup(feed(second), index=py_db, rekeep="earliest", add=True)
    same_manifest(got3, read_jsonl(tmp_path / "m3.jsonl"))
    assert any(v.status == "superseded" for v in got3)
    with neardup.Index(py_db) as ix, neardup.Index(tool_db) as tool:
        assert ix.stats()[:1] + ix.stats()[6:] == tool.stats()[:1] + tool.stats()[6:]  # articles, groups ...


def test_dedup_arguments():
    with pytest.raises(neardup.InvalidArgumentError):
        neardup.dedup([], keep="newest")
    with pytest.raises(neardup.InvalidArgumentError):
        neardup.dedup([], add=True)
    with pytest.raises(neardup.InvalidArgumentError):
        neardup.dedup([], rekeep="earliest")  # needs an index
    with pytest.raises(neardup.InvalidArgumentError):
        neardup.dedup([], date_missing="mtime")  # files only (the tool's)
    assert neardup.dedup([]) == []
    v = neardup.dedup([("a", "one story about the harbour barrier and its gates"),
                       ("b", "one story about the harbour barrier and its gates"),
                       ("c", "quite another story, about a bakery's rye bread")])
    assert [(x.id, x.group, x.status, x.duplicate_of, x.best_match, x.jaccard) for x in v] == [
        ("a", 1, "kept", None, "b", 1.0), ("b", 1, "dropped", "a", "a", 1.0), ("c", 2, "kept", None, None, None)]


def test_dates_decide_and_unreadable_ones_warn():
    story = "the ferry company said the night crossing to Elmsby would stop in March for lack of passengers"
    items = [("late", story, {"date": "Wed, 11 Mar 2026 14:30:05 +0100"}),
             ("early", story + " today", {"date": "2026-03-10"}),
             ("odd", story + " yes", {"date": "the day after tomorrow"})]
    with pytest.warns(UserWarning, match="1 article has a date that cannot be read.*odd"):
        v = neardup.dedup(items, keep="earliest")
    assert [(x.id, x.status, x.date) for x in v] == [
        ("late", "dropped", "2026-03-11T13:30:05Z"), ("early", "kept", "2026-03-10T00:00:00Z"), ("odd", "dropped", None)]
    with pytest.warns(UserWarning):
        first = neardup.dedup(items, keep="earliest", date_missing="first")
    assert [x.status for x in first] == ["dropped", "dropped", "kept"]

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


def same_manifest(got, want):
    assert len(got) == len(want)
    for v, w in zip(got, want):
        assert (v.id, v.group, v.status, v.duplicate_of, v.duplicate_in_index, v.already_archived) == \
            (w["id"], w["group"], w["status"], w["duplicate_of"], w["duplicate_in_index"], w["already_archived"])
        assert (None if v.similarity is None else round(v.similarity, 4)) == w["similarity"]


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
    lines = open(corpus_2k, encoding="utf-8").read().splitlines(keepends=True)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text("".join(lines[:1200]))
    second.write_text("".join(lines[800:]))  # 400 articles again (those kept are archived), the rest new
    tool_db, py_db = tmp_path / "tool.db", tmp_path / "py.db"
    run([cli, "index", "create", str(tool_db)])
    run([cli, "dedup", "--jsonl", str(first), "--index", str(tool_db), "--add", "-o", str(tmp_path / "m1.jsonl")])
    neardup.Index.create(py_db).close()
    got1 = neardup.dedup(records(first), index=py_db, add=True)
    same_manifest(got1, read_jsonl(tmp_path / "m1.jsonl"))
    with neardup.Index(py_db) as ix:
        assert len(ix) == sum(v.status == "kept" for v in got1)

    run([cli, "dedup", "--jsonl", str(second), "--index", str(tool_db), "-o", str(tmp_path / "m2.jsonl")])
    with neardup.Index(py_db) as ix:
        got2 = neardup.dedup(records(second), index=ix)
        assert not ix.closed  # an Index passed in is left open
    want2 = read_jsonl(tmp_path / "m2.jsonl")
    same_manifest(got2, want2)
    assert sum(v.already_archived for v in got2) == sum(v.status == "kept" for v in got1[800:]) > 300
    assert any(v.duplicate_in_index and not v.already_archived for v in got2)


def test_dedup_arguments():
    with pytest.raises(neardup.InvalidArgumentError):
        neardup.dedup([], keep="newest")
    with pytest.raises(neardup.InvalidArgumentError):
        neardup.dedup([], add=True)
    assert neardup.dedup([]) == []
    v = neardup.dedup([("a", "one story about the harbour barrier and its gates"),
                       ("b", "one story about the harbour barrier and its gates"),
                       ("c", "quite another story, about a bakery's rye bread")])
    assert [(x.id, x.group, x.status, x.duplicate_of, x.similarity) for x in v] == [
        ("a", 1, "kept", None, None), ("b", 1, "dropped", "a", 1.0), ("c", 2, "kept", None, None)]

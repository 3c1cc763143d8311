"""The archive: create, open, add (one transaction), query, remove, text, stats; shared with the tool."""
import json
import sqlite3

import pytest

import neardup
from conftest import read_jsonl, run


def test_create_add_query_remove(tmp_path, examples):
    path = tmp_path / "a.db"
    with neardup.Index.create(path, num_perm=64) as ix:
        assert (ix.shingle, ix.num_perm, ix.seed, ix.writable, ix.closed) == ("words:3", 64, 1, True, False)
        assert ix.path == str(path)
        added, skipped = ix.add(examples)
        assert (added, skipped) == (15, [])
        assert len(ix) == 15
        st = ix.stats()
        assert st.articles == 15 and st.format_version == 4
        assert (st.groups, st.kept, st.texts, st.batches) == (15, 15, 15, 1)  # add: each its own group
        assert st.text_bytes == sum(len(t.encode()) for _, t in examples)
    assert ix.closed
    with pytest.raises(ValueError, match="closed"):
        ix.query("text")
    ix.close()  # idempotent

    texts = dict(examples)
    with neardup.Index(path) as ix:
        assert ix.writable is False and ix.num_perm == 64
        wire = "examples/articles/wire_tidal_barrier.txt"
        assert ix.text(wire) == texts[wire]
        matches = ix.query(texts[wire])
        assert matches[0].id == wire and matches[0].jaccard == 1.0
        assert matches[0].bytes == len(texts[wire].encode())
        assert matches[0].kept and len({m.group for m in matches}) == len(matches)
        ids = [m.id for m in matches]
        assert "examples/articles/reprint_coastal_courier.txt" in ids
        scores = [max(m.jaccard, m.containment_a_in_b, m.containment_b_in_a) for m in matches]
        assert scores == sorted(scores, reverse=True)
        assert ix.query("nothing like any article in the archive at all, about football") == []
        with pytest.raises(neardup.NotFoundError):
            ix.text("missing")
        with pytest.raises(neardup.IndexFileError):
            ix.add([("new", "a new text to add")])  # opened read-only

    with neardup.Index(path, writable=True) as ix:
        ix.remove(wire, "examples/articles/reprint_coastal_courier.txt")
        assert len(ix) == 13
        with pytest.raises(neardup.NotFoundError):
            ix.remove("examples/articles/quote_story_a.txt", "missing")
        assert len(ix) == 13  # all or nothing
        assert wire not in [m.id for m in ix.query(texts[wire])]


def test_adds_are_all_or_nothing(tmp_path):
    with neardup.Index.create(tmp_path / "b.db") as ix:
        ix.add([("a", "the first article of the archive")])
        with pytest.raises(neardup.DuplicateIdError):
            ix.add([("b", "another article"), ("a", "a second a")])
        assert len(ix) == 1
        with pytest.raises(ZeroDivisionError):
            ix.add((f"c{i}", "some text") if i < 3 else (1 / 0, "") for i in range(5))
        assert len(ix) == 1
        added, skipped = ix.add([("b", "another article"), ("a", "a second a"), ("e", "")], errors="skip")
        assert added == 1 and [(i, type(e)) for i, e in skipped] == [
            ("a", neardup.DuplicateIdError), ("e", neardup.EmptyError)]
        assert len(ix) == 2


def test_metadata_round_trip(tmp_path):
    with neardup.Index.create(tmp_path / "m.db") as ix:
        ix.add([("a", "an article about the harbour and its new barrier", {"url": "https://x/a", "date": "2026-01-02"}),
                (7, "an article about the harbour and its new barrier")])
        m = {x.id: x for x in ix.query("an article about the harbour and its new barrier")}
        assert m["a"].metadata == {"url": "https://x/a", "date": "2026-01-02"}
        assert m["7"].metadata is None


def test_errors_on_open_and_create(tmp_path):
    with pytest.raises(neardup.NotFoundError):
        neardup.Index(tmp_path / "none.db")
    (tmp_path / "text.db").write_text("not an index")
    with pytest.raises(neardup.IndexFileError):
        neardup.Index(tmp_path / "text.db")
    neardup.Index.create(tmp_path / "c.db").close()
    with pytest.raises(neardup.IndexFileError):
        neardup.Index.create(tmp_path / "c.db")  # never overwritten
    con = sqlite3.connect(tmp_path / "plain.db")
    con.execute("create table t(x)")
    con.close()
    with pytest.raises(neardup.IndexFileError):
        neardup.Index(tmp_path / "plain.db")


def test_documents_of_the_index_collection_are_queried_and_added_as_they_are(tmp_path, examples):
    with neardup.Index.create(tmp_path / "d.db", seed=3) as ix:
        coll = ix.collection(examples[:4])
        assert coll.seed == 3 and coll[0].text == examples[0][1]
        assert ix.add(coll) == (4, [])
        assert ix.query(coll[0])[0].id == coll[0].id
        with pytest.raises(neardup.InvalidArgumentError):
            ix.query(neardup.sign(examples[0][1]))  # seed 1: other parameters
        with pytest.raises(TypeError):
            neardup.Collection([coll[0]])
        assert ix.signer().seed == 3


def test_the_tool_reads_what_the_binding_wrote_and_back(tmp_path, examples, cli):
    path = tmp_path / "shared.db"
    with neardup.Index.create(path) as ix:
        ix.add(examples[:12])
    query_file = tmp_path / "q.txt"
    query_file.write_text(examples[13][1], encoding="utf-8")
    out = run([cli, "query", str(path), str(query_file), "--format", "json"]).stdout
    want = [json.loads(line) for line in out.splitlines()]
    with neardup.Index(path) as ix:
        got = ix.query(examples[13][1])
    assert [(m.id, round(m.jaccard, 4)) for m in got] == [(w["b"], w["jaccard"]) for w in want]
    # And an index made by the tool is read by the binding.
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps({"id": i, "text": t, "site": "x"}) + "\n" for i, t in examples[:5]))
    run([cli, "index", "create", str(tmp_path / "tool.db")])
    run([cli, "index", "add", str(tmp_path / "tool.db"), "--jsonl", str(feed)])
    with neardup.Index(tmp_path / "tool.db") as ix:
        assert len(ix) == 5
        m = ix.query(examples[0][1])[0]
        assert (m.id, m.metadata) == (examples[0][0], {"site": "x"})


def test_a_corrupt_row_is_skipped_with_a_warning(tmp_path):
    path = tmp_path / "e.db"
    text = "an article about the harbour and its new barrier, finished by spring"
    with neardup.Index.create(path) as ix:
        ix.add([("good", text), ("bad", text + " again")])
    # Change a scored field behind the library's back: the row hash no longer matches. (Pages
    # written by plain sqlite3 fail their checksums, so this goes through the index's own VFS.)
    con = sqlite3.connect(f"file:{path}?vfs={neardup.index_vfs_name()}", uri=True)
    con.execute("update articles set bytes = bytes + 1 where id = 'bad'")
    con.commit()
    con.close()
    with neardup.Index(path) as ix:
        with pytest.warns(neardup.IndexWarning, match="bad"):
            got = ix.query(text)
        assert [m.id for m in got] == ["good"]



@pytest.mark.parametrize("text, text_format", [("kept", "zlib"), ("none", "plain")])
def test_text_policies(tmp_path, examples, text, text_format):
    path = tmp_path / "t.db"
    with neardup.Index.create(path, text=text, text_format=text_format) as ix:
        ix.add(examples[:4])
        assert ix.stats().texts == (4 if text == "kept" else 0)  # add: every article is its group's kept one
        wire = dict(examples)[examples[0][0]]
        assert ix.query(wire)[0].jaccard == 1.0  # matched exactly from the stored shingle keys too
        if text == "none":
            with pytest.raises(neardup.NotFoundError):
                ix.text(examples[0][0])
        else:
            assert ix.text(examples[0][0]) == wire
    with pytest.raises(neardup.InvalidArgumentError):
        neardup.Index.create(tmp_path / "u.db", text="some")
    assert not (tmp_path / "u.db").exists()

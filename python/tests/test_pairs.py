"""Pairs and clusters over iterables of (id, text): the tool's results, streaming, error policies."""
import csv
import json
import threading

import pytest

import neardup
from conftest import SOURCE_DIR, example_items, read_jsonl, run


def expected_csv(name):
    with open(SOURCE_DIR / "examples" / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_example_pairs_are_the_expected_ones(examples):
    got = neardup.pairs(examples)
    want = expected_csv("expected-pairs.csv")
    assert [(p.a, p.b) for p in got] == [(r["a"], r["b"]) for r in want]
    for p, r in zip(got, want):
        assert f"{p.jaccard:.4f}" == r["jaccard"]
        assert f"{p.containment_a_in_b:.4f}" == r["containment_a_in_b"]
        assert f"{p.containment_b_in_a:.4f}" == r["containment_b_in_a"]
        assert str(p.shared) == r["shared_shingles"]
        assert p.kind == r["kind"]
        assert examples[p.a_index][0] == p.a and examples[p.b_index][0] == p.b


def test_example_clusters_are_the_expected_ones(examples):
    want = {}
    for r in expected_csv("expected-clusters.csv"):
        want.setdefault(int(r["cluster"]), []).append(r["id"])
    assert neardup.clusters(examples) == [want[c] for c in sorted(want)]
    coll = neardup.Collection(examples)
    assert coll.clusters(coll.pairs()) == coll.clusters()


def test_generated_corpus_pairs_equal_the_tools(corpus_2k, cli, tmp_path):
    out = tmp_path / "pairs.jsonl"
    run([cli, "pairs", "--jsonl", str(corpus_2k), "--format", "json", "-o", str(out)])
    want = read_jsonl(out)
    records = ((r["id"], r["text"]) for r in map(json.loads, open(corpus_2k, encoding="utf-8")))
    got = neardup.pairs(records)
    assert len(got) == len(want) > 500
    for p, w in zip(got, want):
        assert (p.a, p.b, p.kind, p.shared) == (w["a"], w["b"], w["kind"], w["shared_shingles"])
        assert (round(p.jaccard, 4), round(p.containment_a_in_b, 4), round(p.containment_b_in_a, 4)) == \
            (w["jaccard"], w["containment_a_in_b"], w["containment_b_in_a"])
        for field in ("score", "passage_a_in_b", "passage_b_in_a", "vocabulary_a_in_b", "vocabulary_b_in_a"):
            value = getattr(p, field)
            assert (None if value is None else round(value, 4)) == w[field], field
    kinds = {p.kind for p in got}
    assert {"near-duplicate", "reuse"} <= kinds and got[0].vocabulary_a_in_b is not None


def test_beyond_exact_limit_pairs_are_the_tools_on_samples(corpus_2k, cli, tmp_path):
    # --verify auto with --exact-limit: past 500 articles the collection keeps 1-in-8 samples only,
    # and the scores come from them, in the tool and in the binding alike.
    out = tmp_path / "pairs.jsonl"
    run([cli, "pairs", "--jsonl", str(corpus_2k), "--exact-limit", "500", "--format", "json", "-o", str(out)])
    want = read_jsonl(out)
    records = [(r["id"], r["text"]) for r in map(json.loads, open(corpus_2k, encoding="utf-8"))]
    lean = neardup.Collection(records, exact_limit=500)
    got = lean.pairs()
    assert [(p.a, p.b, p.kind, p.shared, round(p.jaccard, 4)) for p in got] == \
        [(w["a"], w["b"], w["kind"], w["shared_shingles"], w["jaccard"]) for w in want]
    assert lean[0].signature is None and lean.pairs(verify="sample") == got
    exact = neardup.pairs(records)
    assert got != exact  # the samples' scores are not the exact ones ...
    assert len(got) > 0.8 * len(exact)  # ... but find most of the same pairs
    assert neardup.pairs(records, exact_limit=0) == exact == neardup.pairs(records, verify="exact")
    with pytest.raises(neardup.InvalidArgumentError):
        neardup.Collection(exact_limit=-1)


def test_results_do_not_depend_on_the_thread_count(corpus_2k):
    records = [(r["id"], r["text"]) for r in map(json.loads, open(corpus_2k, encoding="utf-8"))][:600]
    one = neardup.Collection(records, threads=1)
    three = neardup.Collection(records, threads=3)
    assert one.ids == three.ids == [r[0] for r in records]
    assert [d.signature for d in one] == [d.signature for d in three]
    assert one.pairs() == three.pairs(threads=2) == one.pairs(threads=3)
    assert one.pairs(verify="signature") == three.pairs(verify="signature")


def test_items_are_read_as_a_stream():
    # The collection takes documents in while the generator is still running: only a bounded number
    # of items is ever in flight, however long the iterable.
    coll = neardup.Collection(threads=2)
    seen = {}

    def items():
        for i in range(6000):
            if i in (3000, 5999):
                seen[i] = len(coll)
            yield f"id{i}", f"story number {i} about the harbour barrier and the river {i % 7}"
    assert coll.extend(items()) == 6000
    assert len(coll) == 6000
    assert 3000 - 3 * 2 * 64 - 64 <= seen[3000] < 3000
    assert seen[5999] > seen[3000]


def test_ids_may_be_ints_and_texts_bytes():
    coll = neardup.Collection([(1, b"alpha beta gamma delta"), (2, "alpha beta gamma delta")])
    assert coll.ids == ["1", "2"]
    assert [(p.a, p.b, p.jaccard) for p in coll.pairs()] == [("1", "2", 1.0)]
    assert coll[-1].id == "2"
    with pytest.raises(IndexError):
        coll[2]


@pytest.mark.parametrize("item", [("only-id",), ("a", "b", None, "d"), 5, ("a", 5), (None, "text"), (1.5, "t")])
def test_malformed_items_raise_type_errors(item):
    with pytest.raises(TypeError):
        neardup.Collection([item])


def test_error_policies():
    items = [("a", "first article text"), ("b", ""), ("c", "third article text"), ("a", "again"),
             ("d", "!!!")]
    with pytest.raises(neardup.EmptyError) as info:
        coll = neardup.Collection()
        coll.extend(items)
    assert info.value.id == "b"
    assert coll.ids == ["a"]  # the items before the failure are in
    skipping = neardup.Collection(items, errors="skip")
    assert skipping.ids == ["a", "c"]
    assert [(i, type(e)) for i, e in skipping.skipped] == [
        ("b", neardup.EmptyError), ("a", neardup.DuplicateIdError), ("d", neardup.NoTokensError)]
    calls = []
    neardup.Collection(items, errors=lambda i, e: calls.append((i, e.code)))
    assert calls == [("b", 2), ("a", 8), ("d", 3)]

    def stop_at_duplicates(i, e):
        if isinstance(e, neardup.DuplicateIdError):
            raise RuntimeError("stop")
    with pytest.raises(RuntimeError, match="stop"):
        neardup.Collection(items, errors=stop_at_duplicates)
    with pytest.raises(neardup.InvalidArgumentError):
        neardup.Collection(items, errors="ignore")
    with pytest.raises(neardup.DuplicateIdError):
        skipping.add("a", "a duplicate id")


def test_an_iterator_that_raises_stops_the_extend():
    def items():
        yield "a", "some text here"
        raise KeyError("from the generator")
    coll = neardup.Collection()
    with pytest.raises(KeyError):
        coll.extend(items())
    assert coll.ids == ["a"]


def test_report_rule_options(examples):
    coll = neardup.Collection(examples)
    all_pairs = coll.pairs()
    near = coll.pairs(containment=0)
    assert near and all(p.kind == "near-duplicate" for p in near)
    assert set(near) < set(all_pairs)
    assert len(coll.pairs(threshold=0.9, containment=0.9)) < len(all_pairs)
    with pytest.raises(neardup.InvalidArgumentError):
        coll.pairs(threshold=1.5)
    with pytest.raises(neardup.InvalidArgumentError):
        coll.pairs(verify="guess")
    with pytest.raises(TypeError):
        coll.clusters([("x", "y")])


def test_reentrant_use_from_the_generator_is_refused():
    coll = neardup.Collection()

    def items():
        yield "a", "some words to sign"
        coll.pairs()
    with pytest.raises(RuntimeError, match="in use"):
        coll.extend(items())


def test_cluster_assign_is_the_librarys_union_find():
    assert neardup.cluster_assign(6, [(4, 5), (0, 2), (2, 4)]) == [1, 0, 1, 0, 1, 1]
    assert neardup.cluster_assign(4, [(3, 2)]) == [0, 0, 1, 1]
    assert neardup.cluster_assign(0, []) == []
    with pytest.raises(neardup.InvalidArgumentError):
        neardup.cluster_assign(2, [(0, 5)])

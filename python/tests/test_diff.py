"""Passages: character offsets into Python strings beside byte offsets, the tool's passages."""
import json

import pytest

import neardup
from conftest import run

WIRE = ("The harbour authority said on Tuesday that the new tidal barrier would be finished by spring, after "
        "years of delay and rising costs that angered residents along the river. Engineers expect the gates "
        "to close for the first time in March, when the spring tides are highest.")
SPAN = WIRE[:-1]  # a passage runs from its first word to its last, without the final full stop
NOISE = "Ünïcödé prëfâcé wïth äccénts: « quelques mots » — 東京 "


def test_a_verbatim_passage_with_character_and_byte_offsets():
    a = NOISE + WIRE + " Rëädërs wrïtë ïn."
    b = "Other news first. " + WIRE
    d = neardup.diff(a, b)
    assert len(d.passages) == 1
    p = d.passages[0]
    assert a[p.a_start:p.a_end] == SPAN
    assert b[p.b_start:p.b_end] == SPAN
    ab, bb = a.encode(), b.encode()
    assert ab[p.a_byte_start:p.a_byte_end] == SPAN.encode()
    assert bb[p.b_byte_start:p.b_byte_end] == SPAN.encode()
    assert p.a_byte_start > p.a_start  # the accented prefix has multi-byte characters
    assert p.b_byte_start == p.b_start  # ASCII
    assert p.a_tokens == p.b_tokens == p.a_matched == p.b_matched == len(WIRE.split())
    assert p.score == 1.0
    assert d.b_coverage == pytest.approx(len(WIRE.split()) / (len(WIRE.split()) + 3))
    assert tuple(d) == (d.passages, d.a_tokens, d.b_tokens, d.a_coverage, d.b_coverage)


def test_bytes_inputs_give_byte_offsets():
    a = (NOISE + WIRE).encode()
    p = neardup.diff(a, WIRE.encode()).passages[0]
    assert (p.a_start, p.a_end) == (p.a_byte_start, p.a_byte_end)
    assert a[p.a_start:p.a_end] == SPAN.encode()


def test_astral_characters_count_as_one():
    a = "😀🎉 " * 5 + WIRE
    p = neardup.diff(a, WIRE).passages[0]
    assert a[p.a_start:p.a_end] == SPAN and p.a_start == 15 and p.a_byte_start == 45


def test_rewritten_and_unrelated_texts():
    rewritten = WIRE.replace("Tuesday", "Monday").replace("finished", "complete").replace("Engineers", "Experts")
    p = neardup.diff(WIRE, rewritten).passages[0]
    assert p.a_matched < p.a_tokens and 0.5 <= p.score < 1.0
    assert neardup.diff(WIRE, "An entirely different story about football and the league table.").passages == []
    assert neardup.diff("", WIRE).passages == []


def test_options_and_errors():
    assert neardup.diff(WIRE, WIRE, min_tokens=1000).passages == []
    assert len(neardup.diff("東京都の天気は晴れのち曇りで夕方から雨になるでしょう",
                            "明日の東京都の天気は晴れのち曇りで夕方から雨になるでしょう", tokens="chars").passages) == 1
    with pytest.raises(neardup.InvalidArgumentError):
        neardup.diff(WIRE, WIRE, tokens="lines")
    with pytest.raises(neardup.InvalidArgumentError):
        neardup.diff(WIRE, WIRE, min_score=2)
    with pytest.raises(neardup.UTF8Error):
        neardup.diff(b"\xff" + WIRE.encode(), WIRE)
    assert neardup.diff(b"\xff" + WIRE.encode(), WIRE, lossy=True).passages
    with pytest.raises(TypeError):
        neardup.diff(WIRE, None)


@pytest.mark.parametrize("a, b", [("feature_embeds_wire.txt", "wire_tidal_barrier.txt"),
                                  ("reprint_harbour_gazette.txt", "reprint_bay_times_allcaps_headline.txt")])
def test_passages_equal_the_tools(examples, cli, tmp_path, a, b):
    texts = dict(examples)
    a, b = "examples/articles/" + a, "examples/articles/" + b
    from conftest import SOURCE_DIR
    out = run([cli, "diff", a, b, "--format", "json"], cwd=SOURCE_DIR).stdout
    want = [json.loads(line) for line in out.splitlines()]
    got = neardup.diff(texts[a], texts[b]).passages
    assert len(got) == len(want) >= 1
    for p, w in zip(got, want):
        assert (p.a_byte_start, p.a_byte_end, p.b_byte_start, p.b_byte_end) == \
            (w["a_start"], w["a_end"], w["b_start"], w["b_end"])
        assert (p.a_tokens, p.b_tokens, p.a_matched, p.b_matched, p.kind, round(p.score, 4)) == \
            (w["a_tokens"], w["b_tokens"], w["a_matched"], w["b_matched"], w["passage_kind"], w["passage_score"])
        ab = texts[a].encode()
        assert texts[a][p.a_start:p.a_end].encode() == ab[p.a_byte_start:p.a_byte_end]


def test_rewritten_sentences_are_passages_of_their_own_kind(examples):
    texts = dict(examples)
    a = texts["examples/articles/reprint_harbour_gazette.txt"]
    b = texts["examples/articles/reprint_bay_times_allcaps_headline.txt"]
    kinds = [p.kind for p in neardup.diff(a, b).passages]
    assert "rewritten" in kinds and "verbatim" in kinds
    assert {p.kind for p in neardup.diff(a, b, sentence_overlap=0).passages} == {"verbatim"}
    with pytest.raises(neardup.InvalidArgumentError):
        neardup.diff(a, b, sentence_overlap=1.5)

"""Signing: sizes, shingle counts, signatures, parameters, errors, and scores of two texts."""
import pytest

import neardup

WORDS = [f"w{i}" for i in range(40)]


def text(words):
    return " ".join(words)


def test_version_is_the_library_version():
    assert neardup.__version__ == neardup._neardup.version()
    assert neardup.__version__.count(".") == 2


def test_sizes_and_shingle_counts():
    d = neardup.sign(text(WORDS[:20]), id="x")
    assert (d.id, d.tokens, d.shingles, d.bytes) == ("x", 20, 18, len(text(WORDS[:20])))
    assert d.shingle == "words:3" and len(d.signature) == 128
    assert all(0 <= v < 2**32 for v in d.signature)
    # Fewer tokens than k: one shingle over all of them.
    assert neardup.sign("two words").shingles == 1
    # Character shingles: every letter is a token.
    c = neardup.sign("東京都の天気は晴れ", shingle="chars:2")
    assert (c.tokens, c.shingles, c.shingle) == (9, 8, "chars:2")
    assert len(neardup.sign(text(WORDS), num_perm=64).signature) == 64


def test_signatures_are_deterministic_and_depend_on_the_seed():
    a = neardup.sign(text(WORDS)).signature
    assert neardup.sign(text(WORDS)).signature == a
    assert neardup.sign(text(WORDS), seed=2).signature != a
    # Normalisation: case, curly quotes and punctuation do not change the words.
    assert neardup.sign("Putin’s SPEECH, “today”").signature == neardup.sign("putin's speech today").signature


def test_bytes_and_str_sign_alike():
    s = "Grüße aus Köln: die Straßenbahn fährt wieder durch die Innenstadt."
    assert neardup.sign(s).signature == neardup.sign(s.encode()).signature


def test_exact_scores_of_known_sets():
    # Distinct words: A's 18 shingles and B's 18 share the 8 windows of the first 10 words.
    a = text(WORDS[:20])
    b = text(WORDS[:10] + WORDS[20:30])
    s = neardup.scores(a, b)
    assert s.shared == 8
    assert s.jaccard == pytest.approx(8 / 28)
    assert s.containment_a_in_b == pytest.approx(8 / 18)
    assert s.containment_b_in_a == pytest.approx(8 / 18)
    # A inside a longer B: containment of A in B is 1.
    c = neardup.scores(text(WORDS[5:15]), text(WORDS))
    assert (c.containment_a_in_b, c.shared) == (1.0, 8)
    assert c.containment_b_in_a == pytest.approx(8 / 38)
    assert tuple(s) == (s.jaccard, s.containment_a_in_b, s.containment_b_in_a, s.shared)


def test_estimates_are_close_to_exact_scores():
    vocab = [f"v{i}" for i in range(3000)]
    a = text(vocab[:2000])
    b = text(vocab[1000:3000])
    exact = neardup.scores(a, b)
    est = neardup.estimate(a, b, num_perm=512)
    assert exact.jaccard == pytest.approx(998 / 2998 * 1.0, abs=1e-9)
    assert est.jaccard == pytest.approx(exact.jaccard, abs=0.08)
    assert est != exact  # estimated, not computed


def test_documents_signed_differently_are_not_compared():
    a = neardup.sign(text(WORDS), seed=1)
    b = neardup.sign(text(WORDS), seed=2)
    with pytest.raises(neardup.InvalidArgumentError):
        a.scores(b)
    with pytest.raises(TypeError):
        a.scores("text")


@pytest.mark.parametrize("bad, cls", [
    ("", neardup.EmptyError),
    ("   \n\t ", neardup.EmptyError),
    ("!!! --- ...", neardup.NoTokensError),
    ("a\0b", neardup.BinaryError),
    (b"caf\xe9 au lait", neardup.UTF8Error),
])
def test_bad_texts_raise_the_class_of_their_code(bad, cls):
    with pytest.raises(cls) as info:
        neardup.sign(bad, id="doc-1")
    e = info.value
    assert isinstance(e, neardup.Error) and isinstance(e, ValueError)
    assert e.id == "doc-1" and str(e).startswith("doc-1: ")
    assert e.code == cls.code and 1 <= e.code <= 14


def test_lossy_reads_bytes_that_are_not_utf8():
    d = neardup.sign(b"caf\xe9 au lait", lossy=True)
    assert d.tokens == 3  # the byte separates: "caf", "au", "lait"
    with pytest.raises(neardup.UTF8Error, match="byte offset 3"):
        neardup.sign(b"caf\xe9 au lait")


def test_limits_and_parameters():
    with pytest.raises(neardup.TooLargeError):
        neardup.sign("x" * 100, max_bytes=10)
    with pytest.raises(neardup.InvalidArgumentError):
        neardup.Signer(shingle="lines:3")
    with pytest.raises(neardup.InvalidArgumentError):
        neardup.Signer(num_perm=4)
    with pytest.raises(OverflowError):
        neardup.Signer(seed=-1)
    with pytest.raises(TypeError):
        neardup.sign(12)
    s = neardup.Signer(shingle="chars", num_perm=256, seed=9)
    assert (s.shingle, s.num_perm, s.seed) == ("chars:5", 256, 9)


def test_keep_text_and_metadata():
    d = neardup.sign("Grüße aus Köln", keep_text=True)
    assert d.text == "Grüße aus Köln"
    assert neardup.sign("Grüße aus Köln").text is None
    c = neardup.Collection([("a", "some words here", {"url": "http://x", "n": 3})])
    assert c[0].metadata == {"url": "http://x", "n": 3}
    with pytest.raises(TypeError):
        neardup.Collection([("a", "text", ["not", "a", "dict"])])

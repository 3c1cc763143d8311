#!/usr/bin/env python3
"""Writes the seed corpora of the text-input fuzz targets (tests/fuzz/corpus/NAME/).

    python3 tests/fuzz/gen_seeds.py            # from the repository root

The texts are short news-like snippets written for these tests, in several scripts, plus edge
cases: invalid UTF-8 of every kind, NUL bytes, very long tokens, only spaces or punctuation, empty
input. The index corpus is written by make_index_seeds.c (it needs the library). Files are named
after what they hold; rerunning rewrites the same files.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

EN = ("Officials in Kyiv said on Tuesday that the talks on grain exports would resume next week, "
      "after a pause of almost a month. The ministry\u2019s spokesman told reporters that ships had "
      "been waiting at the port of Odesa since early October.")
EN_REWRITE = ("Officials in Kiev said on Tuesday that talks on grain exports would resume next week after "
              "a pause of almost a month, according to the ministry's spokesman. \u201cShips have waited "
              "at Odesa since October,\u201d he said.")
EN_OTHER = ("The city council approved a new budget for public libraries on Monday evening, adding two "
            "mobile libraries and longer opening hours on Sundays.")
URDU = "\u0648\u0632\u06cc\u0631 \u0627\u0639\u0638\u0645 \u0646\u06d2 \u0645\u0646\u06af\u0644 \u06a9\u0648 \u06a9\u06c1\u0627 \u06a9\u06c1 \u06af\u0646\u062f\u0645 \u06a9\u06cc \u0628\u0631\u0622\u0645\u062f\u0627\u062a \u067e\u0631 \u0628\u0627\u062a \u0686\u06cc\u062a \u0627\u06af\u0644\u06d2 \u06c1\u0641\u062a\u06d2 \u062f\u0648\u0628\u0627\u0631\u06c1 \u0634\u0631\u0648\u0639 \u06c1\u0648\u06af\u06cc\u06d4"
URDU_ZWNJ = "\u0628\u0631\u0622\u0645\u062f\u200c\u0627\u062a \u06a9\u06cc\u200c\u0644\u06cc\u06d2 \u0645\u06cc\u06ba"
CHINESE = "\u5317\u4eac\u5e02\u653f\u5e9c\u5468\u4e8c\u5ba3\u5e03\uff0c\u5730\u94c1\u65b0\u7ebf\u8def\u5c06\u4e8e\u660e\u5e74\u6625\u5929\u5f00\u901a\u3002"
JAPANESE = "\u6771\u4eac\u90fd\u306f\u706b\u66dc\u65e5\u3001\u65b0\u3057\u3044\u56f3\u66f8\u9928\u3092\u958b\u304f\u3068\u767a\u8868\u3057\u305f\u3002\u30ab\u30bf\u30ab\u30ca\u3082\u3002"
HINDI = "\u092a\u094d\u0930\u0927\u093e\u0928\u092e\u0902\u0924\u094d\u0930\u0940 \u0928\u0947 \u092e\u0902\u0917\u0932\u0935\u093e\u0930 \u0915\u094b \u0915\u0939\u093e\u0964"
THAI = "\u0e19\u0e32\u0e22\u0e01\u0e23\u0e31\u0e10\u0e21\u0e19\u0e15\u0e23\u0e35\u0e01\u0e25\u0e48\u0e32\u0e27\u0e27\u0e48\u0e32"
GREEK_RU = "\u0397 \u03ba\u03c5\u03b2\u03ad\u03c1\u03bd\u03b7\u03c3\u03b7 \u03b1\u03bd\u03b1\u03ba\u03bf\u03af\u03bd\u03c9\u03c3\u03b5. \u041f\u0440\u0430\u0432\u0438\u0442\u0435\u043b\u044c\u0441\u0442\u0432\u043e \u0437\u0430\u044f\u0432\u0438\u043b\u043e \u0432\u043e \u0432\u0442\u043e\u0440\u043d\u0438\u043a."
FOLDING = "\ufb01nal FINAL final \uff11\uff12\uff13 123 Stra\u00dfe STRASSE \u0130stanbul \u212b \u00c5 A\u030a"
APOSTROPHES = "Putin's Putin\u2019s Putin\u02bcs rock 'n' roll a''b 'quoted' o\u2019 \u2019s x\u200dy x\u200cy soft\u00adhyphen end\u2019"
MARKS = "\u0301\u0301 leading marks, e\u0301 and \u0915\u094d\u200d\u0937 and \u20dd enclosing, \u0e31 alone"
EMOJI = "Breaking \U0001F4F0 news \U0001F1FA\U0001F1E6 \u2014 \u201cquote\u201d \u2026 #tag @user 3.5% \u20ac12"

INVALID = [
    ("stray-continuation", b"abc \x80 def"),
    ("truncated-2byte", b"caf\xc3"),
    ("truncated-3byte", b"price \xe2\x82 euros"),
    ("overlong-slash", b"a\xc0\xafb"),
    ("overlong-3byte", b"a\xe0\x80\xafb word"),
    ("overlong-4byte", b"\xf0\x80\x80\xaf x"),
    ("surrogate", b"half \xed\xa0\x80 pair"),
    ("above-10ffff", b"big \xf4\x90\x80\x80 code"),
    ("f5-ff-bytes", b"\xf5\xff\xfe words \xc1\xbf"),
    ("latin1-news", "Officials in Kyiv said the caf\u00e9 was closed".encode("latin-1")),
    ("invalid-inside-word", b"Kyi\xffv Kyiv\xe2\x80"),
]


def texts():
    """(name, bytes) pairs shared by the text targets."""
    out = [
        ("en-news", EN), ("en-rewrite", EN_REWRITE), ("en-other", EN_OTHER), ("urdu", URDU),
        ("urdu-zwnj", URDU_ZWNJ), ("chinese", CHINESE), ("japanese", JAPANESE), ("hindi", HINDI),
        ("thai", THAI), ("greek-russian", GREEK_RU), ("folding", FOLDING), ("apostrophes", APOSTROPHES),
        ("marks", MARKS), ("emoji-punct", EMOJI),
        ("whitespace-only", " \t\n\u00a0\u3000\u2003 "), ("punctuation-only", "\u2014 ... !? \u201c\u201d \u00ab\u00bb"),
        ("huge-ascii-token", "A" * 3000 + " b"), ("huge-cjk-run", CHINESE * 20),
        ("huge-accented-token", "\u00e9" * 1500), ("digits", "1 22 333 4,444 5.5 \u0661\u0662\u0663 \u2163"),
        ("crlf-lines", "line one\r\nline two\r\n\r\n"),
    ]
    out = [(n, t.encode("utf-8")) for n, t in out]
    out += [("empty", b""), ("nul-bytes", b"before\x00after \x00\x00 end"), ("single-nul", b"\x00")]
    out += INVALID
    return out


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    for name, data in texts():
        write("tokenize", name, data)

    # sign: 8 parameter bytes (fuzz_sign.c), then the article.
    headers = [
        ("words3-default", bytes([0, 2, 5, 1, 5, 0, 0, 0])),
        ("chars5-lossy", bytes([1 | 2, 4, 3, 7, 6, 0x2b, 0, 0])),
        ("words1-sets-off-text", bytes([4 | 16, 0, 0, 9, 3, 0x11, 0, 0])),
        ("k64-sig-off", bytes([32 | 8, 63, 7, 3, 1, 0x0f, 0, 0])),
        ("small-max-bytes", bytes([2, 2, 6, 5, 2, 0x08, 0xff, 20])),
    ]
    for hname, h in headers:
        for name, data in texts():
            if hname == "words3-default" or name in ("en-news", "chinese", "urdu-zwnj", "stray-continuation",
                                                      "whitespace-only", "nul-bytes", "empty", "punctuation-only"):
                write("sign", f"{hname}--{name}", h + data)

    # diff: byte 0 flags (1 options, 4 strict run too, 8 chars mode), byte 1 the cut, 6 option bytes, then A + B.
    pairs = [
        ("reuse-en", EN, EN_REWRITE), ("unrelated", EN, EN_OTHER), ("same", EN, EN),
        ("urdu-zwnj", URDU + " " + URDU_ZWNJ, URDU), ("chinese", CHINESE * 2, "\u300c" + CHINESE + "\u300d"),
        ("moved-paragraph", EN + " " + EN_OTHER, EN_OTHER + " " + EN), ("repetitive", "the the the " * 40, "the " * 90),
        ("japanese-thai", JAPANESE, JAPANESE + THAI),
    ]
    for name, a, b in pairs:
        a, b = a.encode("utf-8"), b.encode("utf-8")
        cut = round(255 * len(a) / (len(a) + len(b)))
        write("diff", f"default--{name}", bytes([0, cut, 0, 0, 0, 0, 0, 0]) + a + b)
        write("diff", f"options--{name}", bytes([1 | 4, cut, 2, 4, 3, 2, 100, 10]) + a + b)
        write("diff", f"chars--{name}", bytes([8 | 4, cut, 0, 0, 0, 0, 0, 0]) + a + b)
    write("diff", "invalid-both", bytes([4, 128, 0, 0, 0, 0, 0, 0]) + b"abc \xff def ghi jkl" + b"abc \xc0 def ghi jkl")
    write("diff", "cut-inside-char", bytes([1 | 4 | 8, 128, 0, 1, 0, 0, 0, 0]) + "\u00e9\u00e9\u00e9 \u00e9\u00e9".encode())
    write("diff", "empty-sides", bytes([0, 0, 0, 0, 0, 0, 0, 0]))

    # jsonl: whole files.
    jl = [
        ("records", '{"id": "a1", "text": "%s", "url": "https://example.org/1", "outlet": "Example"}\n'
                    '{"id": 2, "text": "%s", "date": "2024-10-29", "tags": ["grain", "ports"], "n": 1.5}\n'
                    % (EN.replace("\u2019", "\\u2019"), EN_REWRITE.replace('"', '\\"'))),
        ("bad-lines", '{"id": "x"}\n{"text": "no id"}\n[1, 2]\nnot json\n{"id": 1.5, "text": "float id"}\n'
                      '{"id": "t", "text": 7}\n{"id": null, "text": "null id"}\n{"id": "ok", "text": "fine words here"}\n'),
        ("blank-lines", '\n   \n\t\r\n{"id": "a", "text": "x y z"}\r\n\r\n{"id": "b", "text": "p q r"}   \n\n'),
        ("duplicates", '{"id": "d", "text": "first copy"}\n{"id": "d", "text": "second copy"}\n{"id": "e", "text": ""}\n'
                       '{"id": "f", "text": "   "}\n{"id": "g", "text": "!!! ..."}\n'),
        ("nul-escapes", '{"id": "n1", "text": "a\\u0000b"}\n{"id": "n2", "text": "a\\\\u0000b"}\n'
                        '{"id": "n3", "text": "ok", "meta": "\\u0000"}\n'),
        ("unicode-escapes", '{"id": "\\u00e9t\\u00e9", "text": "\\ud83d\\ude00 smile \\u4eac\\u90fd", "k": "\\u2028"}\n'
                            '{"id": "lone", "text": "\\ud800 lone surrogate"}\n'),
        ("int-ids", '{"id": 9223372036854775807, "text": "max int"}\n{"id": -1, "text": "negative"}\n'
                    '{"id": 99999999999999999999, "text": "too big"}\n'),
        ("cjk-urdu", '{"id": "zh", "text": "%s"}\n{"id": "ur", "text": "%s"}\n' % (CHINESE, URDU)),
        ("no-final-newline", '{"id": "last", "text": "no newline at the end"}'),
        ("empty", ""),
        ("nested-meta", '{"id": "m", "text": "t u v", "meta": {"a": [1, {"b": null}], "c": true}, "id2": "x"}\n'),
        ("duplicate-keys", '{"id": "a", "text": "one", "id": "b", "text": "two words"}\n'),
    ]
    for name, s in jl:
        write("jsonl", name, s.encode("utf-8"))
    write("jsonl", "invalid-utf8", b'{"id": "bad\xff", "text": "invalid id"}\n{"id": "x", "text": "caf\xc3"}\n'
                                   b'{"id": "y", "text": "ok text", "m": "\xc0\xaf"}\n')
    write("jsonl", "raw-nul", b'{"id": "r", "text": "raw"}\x00 trailing\n{"id": "s", "text": "a\x00b"}\n')
    write("jsonl", "crlf-records", b'{"id": "c1", "text": "carriage return"}\r\n{"id": "c2", "text": "second"}\r\n')

    # article: byte 0 flags, byte 1 small max_bytes, then the file.
    for name, data in texts():
        write("article", f"strict--{name}", bytes([0, 0]) + data)
        if name in ("en-news", "stray-continuation", "latin-1-news", "invalid-inside-word", "nul-bytes"):
            write("article", f"lossy--{name}", bytes([1, 0]) + data)
    write("article", "small-max--en-news", bytes([2, 40]) + EN.encode())
    write("article", "small-max-exact", bytes([2, 9]) + b"ten bytes!")

    # tokenlimit: byte 0 flags (1 chars, 2 lossy, 4 big), byte 1 separator of the copies (1 space, 2 newline).
    tl = [("words-en", 0, 0, EN), ("chars-chinese", 1, 0, CHINESE), ("big-words-en", 4, 1, EN),
          ("big-one-token", 4, 0, "a"), ("big-chars-chinese", 5, 0, CHINESE), ("big-urdu-zwnj", 4, 2, URDU_ZWNJ),
          ("big-marks-spaced", 4, 1, "e\u0301"), ("big-apostrophe", 4, 0, "ab'"), ("lossy-big-invalid", 6, 0, None),
          ("strict-big-invalid", 4, 1, None), ("whitespace", 0, 0, " \t\n")]
    for name, flags, sep, text in tl:
        data = text.encode("utf-8") if text is not None else b"caf\xc3 \xff word"
        write("tokenlimit", name, bytes([flags, sep]) + data)

    specs = ["words", "chars", "words:3", "chars:5", "words:1", "words:64", "words:65", "words:0", "words:",
             "words:03", "word", "wordsx", "chars:+1", "chars: 1", "", "words:18446744073709551617", "Words:3",
             "chars:5\n", "words:3:4"]
    for i, s in enumerate(specs):
        write("spec", f"spec-{i:02d}", s.encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())

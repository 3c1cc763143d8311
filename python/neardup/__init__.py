"""neardup: find near-duplicate and text-reusing articles, and the passages they share.

A binding of libneardup (the C library behind the `neardup` tool): the same signing, candidate
search, scores, passages and archive, called from Python. The heavy work runs in C without the GIL.

Signing and scoring::

    import neardup
    a = neardup.sign("The harbour authority said on Tuesday ...", id="wire")
    b = neardup.sign("The harbour authority said on Tuesday ... Updated at noon.", id="reprint")
    a.scores(b)        # Scores(jaccard=..., containment_a_in_b=..., containment_b_in_a=..., shared=...)
    a.estimate(b)      # the same, estimated from the MinHash signatures

Pairs and clusters over any iterable of (id, text) -- a generator is read as a stream, its texts
signed by worker threads while the next ones are read::

    for p in neardup.pairs(records()):          # records() yields (id, text) or (id, text, metadata)
        print(p.a, p.b, p.jaccard, p.score, p.kind)   # kind: near-duplicate, reuse or rewrite
    neardup.clusters(records())                 # [[id, id, ...], ...]
    coll = neardup.Collection(records())        # keep the documents; .pairs(), .clusters(), coll[i]

Shared passages (verbatim, or rewritten sentences), with character offsets into the strings and
byte offsets into their UTF-8::

    d = neardup.diff(a_text, b_text)
    for p in d.passages:
        print(a_text[p.a_start:p.a_end], p.kind, p.score)

An archive (one SQLite file, the same as `neardup index`), and dedup against it::

    with neardup.Index.create("archive.db") as ix:
        ix.add(records())
    with neardup.Index("archive.db") as ix:
        ix.query(text)                          # [Match(id, jaccard, ...), ...], best first
    neardup.dedup(records(), index="archive.db", keep="earliest", add=True)   # [Verdict(...)], one a row

Errors are exceptions: neardup.Error and one subclass per library error code (EmptyError,
UTF8Error, DuplicateIdError, IndexFileError ...), with the article's id in `.id`. Every result is a
new object the caller owns; a Document taken from a Collection keeps the Collection alive.
"""

from . import _neardup
from ._neardup import (
    BinaryError,
    CancelledError,
    Collection,
    DateError,
    Diff,
    Document,
    DuplicateIdError,
    EmptyError,
    Error,
    FormatError,
    Index,
    IndexBusyError,
    IndexFileError,
    IndexStats,
    IndexWarning,
    InvalidArgumentError,
    JSONError,
    Match,
    NoTokensError,
    NotFoundError,
    Pair,
    Passage,
    ReadError,
    Scores,
    Signer,
    TooLargeError,
    TooManyTokensError,
    UTF8Error,
    cluster_assign,
    diff,
    index_vfs_name,
)
from ._dedup import Verdict, dedup

__version__ = _neardup.version()

DEFAULT_MAX_BYTES = 64 << 20

__all__ = [
    "BinaryError", "CancelledError", "Collection", "DateError", "Diff", "Document", "DuplicateIdError", "EmptyError",
    "Error", "FormatError", "Index", "IndexBusyError", "IndexFileError", "IndexStats", "IndexWarning",
    "InvalidArgumentError", "JSONError", "Match", "NoTokensError", "NotFoundError", "Pair", "Passage",
    "ReadError", "Scores", "Signer", "TooLargeError", "TooManyTokensError", "UTF8Error", "Verdict", "cluster_assign", "clusters",
    "dedup", "diff", "estimate", "index_vfs_name", "pairs", "scores", "sign", "__version__",
]


def sign(text, id=None, *, shingle="words:3", num_perm=128, seed=1, lossy=False, max_bytes=DEFAULT_MAX_BYTES,
         keep_text=False):
    """Signs one text (str, or UTF-8 bytes) and returns its Document: sizes, shingle count, MinHash
    signature. To sign many texts, make one Signer (thread-safe) or a Collection (parallel)."""
    return Signer(shingle=shingle, num_perm=num_perm, seed=seed, lossy=lossy, max_bytes=max_bytes,
                  keep_text=keep_text).sign(text, id)


def _documents(a, b, signing):
    if isinstance(a, Document) and isinstance(b, Document):
        return a, b
    signer = Signer(**signing)
    return (a if isinstance(a, Document) else signer.sign(a, "a"),
            b if isinstance(b, Document) else signer.sign(b, "b"))


def scores(a, b, *, shingle="words:3", num_perm=128, seed=1, lossy=False):
    """Exact Scores(jaccard, containment_a_in_b, containment_b_in_a, shared) of two texts or Documents
    (texts are signed with the parameters given; Documents must share theirs)."""
    da, db = _documents(a, b, dict(shingle=shingle, num_perm=num_perm, seed=seed, lossy=lossy))
    return da.scores(db)


def estimate(a, b, *, shingle="words:3", num_perm=128, seed=1, lossy=False):
    """Scores of two texts or Documents estimated from their MinHash signatures and shingle counts
    (what the search does with verify='signature'); standard deviation about
    sqrt(J(1-J)/num_perm)."""
    da, db = _documents(a, b, dict(shingle=shingle, num_perm=num_perm, seed=seed, lossy=lossy))
    return da.estimate(db)


def pairs(items, *, threshold=0.5, containment=0.2, min_shared=8, score=0.225, verify="auto", threads=0, errors="raise",
          shingle="words:3", num_perm=128, seed=1, lossy=False, max_bytes=DEFAULT_MAX_BYTES,
          exact_limit=100000):
    """Every pair of `items` (an iterable of (id, text) or (id, text, metadata), read as a stream)
    that is a near-duplicate (jaccard >= threshold), reuses text or rewrites it (the reuse score >=
    score; see Collection.pairs for the rule), as `neardup pairs` reports them: a list of Pair
    sorted by input order. See Collection for `errors`, `threads` and `exact_limit`, Collection.pairs for
    `verify`. Raises the first item's error with errors='raise' (see Collection), and
    InvalidArgumentError for bad options. The list is the caller's."""
    coll = Collection(items, shingle=shingle, num_perm=num_perm, seed=seed, lossy=lossy, max_bytes=max_bytes,
                      threads=threads, errors=errors, exact_limit=exact_limit)
    return coll.pairs(threshold=threshold, containment=containment, min_shared=min_shared, score=score,
                      verify=verify)


def clusters(items, *, threshold=0.5, containment=0.2, min_shared=8, score=0.225, verify="auto", threads=0, errors="raise",
             shingle="words:3", num_perm=128, seed=1, lossy=False, max_bytes=DEFAULT_MAX_BYTES,
             exact_limit=100000):
    """Clusters (connected components of the reported pairs, as `neardup scan` makes them) of
    `items`: a list of lists of ids, in input order. Articles in no pair are in no cluster."""
    coll = Collection(items, shingle=shingle, num_perm=num_perm, seed=seed, lossy=lossy, max_bytes=max_bytes,
                      threads=threads, errors=errors, exact_limit=exact_limit)
    return coll.clusters(threshold=threshold, containment=containment, min_shared=min_shared, score=score,
                         verify=verify)

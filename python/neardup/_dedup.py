"""neardup.dedup: keep one article per group of near-duplicates, within a batch and against an index.

The decisions are the library's dedup plan (include/neardup/dedup.h), the one `neardup dedup` makes:
the batch's pairs and, with an index, every archived article's group, joined best match first, each
group keeping one article by the keep policy. tests/test_dedup.py checks the manifests against the
tool's.
"""

from typing import NamedTuple, Optional

from . import _neardup


class Verdict(NamedTuple):
    """What dedup decided for one article: the fields of `neardup dedup`'s manifest (without `copy`)."""

    id: str
    group: int                   #: the archive's group number, or the one a new group gets
    status: str                  #: "kept", "dropped", or "superseded" (an archived kept article replaced)
    duplicate_of: Optional[str]  #: the group's kept article when not kept, else None
    duplicate_in_index: bool     #: that kept article is an archived one
    best_match: Optional[str]    #: the article it joined its group through, or None
    best_match_in_index: bool    #: that article is archived
    jaccard: Optional[float]     #: with best_match
    containment: Optional[float]  #: the share of this article found in best_match
    date: Optional[str]          #: its date in UTC ("YYYY-MM-DDTHH:MM:SSZ") as read, or None
    already_archived: bool       #: the article itself is archived (a batch run again)


def dedup(items, *, index=None, keep="first", rekeep="never", date_field="date", date_missing="last",
          threshold=0.5, containment=0.8, min_shared=8, score=0.0, verify="auto", add=False, threads=0, errors="raise",
          shingle="words:3", num_perm=128, seed=1, lossy=False, max_bytes=64 << 20, exact_limit=100000):
    """Groups the near-duplicates of `items` (an iterable of (id, text) or (id, text, metadata)) with
    each other and, with `index` (an Index, or the path of one), with the archive's groups, and keeps
    one article per group, as `neardup dedup` does. Returns a list of Verdict: one per article in
    input order, then one per archived kept article that a batch member superseded (rekeep).

    A pair is a duplicate when jaccard >= threshold, or one article is contained in the other
    >= containment (default 0.8 here: a reprint inside page chrome is a duplicate, an article quoting
    another is not); score=0 (the default here) leaves rewrites out, a score threshold (see
    Collection.pairs) lets the reuse score group them too. An article joins the group of its best match; archived groups never merge.
    keep (a new group): 'first' (input order), 'longest' (most bytes; ties: the first) or 'earliest'
    (the date in metadata[date_field]: ISO 8601, RFC 2822, HTTP, written dates or Unix time; an
    article without a readable one counts as the latest, or the earliest with date_missing='first';
    unreadable dates give one UserWarning). rekeep (an archived group): 'never' (it keeps its kept
    article), 'earliest' or 'longest' (a strictly earlier or longer batch member replaces it).

    add=True archives the batch (every article with its group, kept or dropped; articles already
    archived are not added again) in one transaction, rolled back on any error; an index given by
    path is then opened for writing. With an index, texts are signed with its parameters (shingle,
    num_perm, seed and exact_limit are then not used). Raises InvalidArgumentError for bad options,
    the first item's error with errors='raise' (see Collection), IndexFileError, IndexBusyError. The
    list is the caller's; the index given as an Index stays open."""
    for name, value, allowed in (("keep", keep, ("first", "longest", "earliest")),
                                 ("rekeep", rekeep, ("never", "earliest", "longest")),
                                 ("date_missing", date_missing, ("last", "first"))):
        if value not in allowed:  # checked before the items are read
            raise _neardup.InvalidArgumentError(f"{name} must be one of {', '.join(allowed)}")
    opened = None
    if index is not None and not isinstance(index, _neardup.Index):
        index = opened = _neardup.Index(index, writable=add)
    try:
        if index is None:
            coll = _neardup.Collection(items, shingle=shingle, num_perm=num_perm, seed=seed, lossy=lossy,
                                       max_bytes=max_bytes, threads=threads, errors=errors, exact_limit=exact_limit)
        else:
            coll = index.collection(items, threads=threads, errors=errors)
        rows = _neardup._dedup_plan(coll, index, keep=keep, rekeep=rekeep, date_missing=date_missing,
                                    date_field=date_field, add=add, threshold=threshold, containment=containment,
                                    min_shared=min_shared, score=score, verify=verify, threads=threads)
        return [Verdict(*row) for row in rows]
    finally:
        if opened is not None:
            opened.close()

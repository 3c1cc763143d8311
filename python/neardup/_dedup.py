"""neardup.dedup: keep one article per group of near-duplicates, within a batch and against an index.

The rule is `neardup dedup`'s (src/cli/cmd_dedup.c), built on the library's own pieces -- the
batch's pairs (Collection.pairs), each article's archived matches (Index.query) and the library's
union-find (cluster_assign) -- so that Python and the tool give the same manifest for the same input
(tests/test_dedup.py checks it against the tool). The planning step, _plan(), is the one place that
will call the library's dedup plan once libneardup has one (issue 14: src/dedup.c); its inputs and
outputs are already that call's: batch pairs, archived matches, keep policy -> verdicts.
"""

from typing import NamedTuple, Optional

from . import _neardup


class Verdict(NamedTuple):
    """What dedup decided for one batch article (the fields of `neardup dedup`'s manifest)."""

    id: str
    group: int                       #: 1, 2, ... groups in order of their first batch article
    status: str                      #: "kept" or "dropped"
    duplicate_of: Optional[str]      #: the kept article's id when dropped, else None
    duplicate_in_index: bool         #: True when that kept article is an archived one
    similarity: Optional[float]      #: Jaccard with duplicate_of, when dropped
    already_archived: bool           #: the article (same id) matched itself in the index


KEEP_POLICIES = ("first", "longest", "earliest")


def _date(doc, field):
    meta = doc.metadata
    value = meta.get(field) if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None


def _plan(coll, pairs, matches, keep, date_field, verify):
    """Verdicts for the documents of `coll`, given the batch's reported `pairs` and, per document,
    its archived `matches` (a list of Match lists, or None without an index)."""
    n = len(coll)
    ids = coll.ids
    edges = [(p.a_index, p.b_index) for p in pairs]
    # Archived matches are nodes n, n+1, ...; a batch article whose id is archived is that article
    # (the batch run again): it shares its node.
    archived_ids, archived_node, self_of = [], {}, []
    already = [False] * n
    archived_sim = {}
    for i, found in enumerate(matches or ()):
        for m in found:
            node = archived_node.get(m.id)
            if node is None:
                node = n + len(archived_ids)
                archived_node[m.id] = node
                archived_ids.append(m.id)
                self_of.append(-1)
            if m.id == ids[i]:
                already[i] = True
                self_of[node - n] = i
            edges.append((i, node))
            archived_sim[(i, node)] = m.jaccard
    total = n + len(archived_ids)
    cluster_of = _neardup.cluster_assign(total, edges)
    n_clusters = max(cluster_of, default=0)

    # Keeper of each cluster: an archived member if any (the batch's own copy of it when the batch
    # holds one), else the batch member the policy prefers (ties: the first).
    archived_keeper = [-1] * (n_clusters + 1)
    for v in range(n, total):
        c, k = cluster_of[v], archived_keeper[cluster_of[v]]
        if k < 0 or (self_of[k] < 0 and self_of[v - n] >= 0):
            archived_keeper[c] = v - n
    dates = [_date(coll[i], date_field) for i in range(n)] if keep == "earliest" else None
    keeper = [-1] * (n_clusters + 1)
    for i in range(n):
        c = cluster_of[i]
        if c == 0:
            continue
        k = keeper[c]
        better = k < 0
        if not better and keep == "longest":
            better = coll[i].bytes > coll[k].bytes
        if not better and keep == "earliest":
            better = dates[i] is not None and (dates[k] is None or dates[i] < dates[k])
        if better:
            keeper[c] = i

    # Group numbers: clusters in order of their first batch member, other articles their own.
    group_of_cluster = [0] * (n_clusters + 1)
    next_group = 0
    verdicts = []
    for i in range(n):
        c = cluster_of[i]
        if c == 0:
            next_group += 1
            group = next_group
        else:
            if group_of_cluster[c] == 0:
                next_group += 1
                group_of_cluster[c] = next_group
            group = group_of_cluster[c]
        dup_of, in_index, sim = None, False, None
        if c and archived_keeper[c] >= 0 and self_of[archived_keeper[c]] != i:
            dup_of, in_index = archived_ids[archived_keeper[c]], True
            sim = archived_sim.get((i, n + archived_keeper[c]))
        elif c and archived_keeper[c] < 0 and keeper[c] != i:
            kept = coll[keeper[c]]
            dup_of = kept.id
            sim = (coll[i].estimate(kept) if verify == "signature" else coll[i].scores(kept)).jaccard
        verdicts.append(Verdict(ids[i], group, "dropped" if dup_of is not None else "kept", dup_of, in_index, sim,
                                already[i]))
    return verdicts


def dedup(items, *, index=None, keep="first", date_field="date", threshold=0.5, containment=0.8, min_shared=8,
          verify="auto", add=False, threads=0, errors="raise", shingle="words:3", num_perm=128, seed=1,
          lossy=False, max_bytes=64 << 20, exact_limit=100000):
    """Groups the near-duplicates of `items` (an iterable of (id, text) or (id, text, metadata)) with
    each other and, with `index` (an Index or the path of one), with archived articles, and keeps one
    article per group, as `neardup dedup` does. Returns a list of Verdict, one per article in input
    order.

    A group is what the pairs connect: jaccard >= threshold, or one article contained in the other
    >= containment (default 0.8 here: a reprint inside page chrome is a duplicate, an article quoting
    another is not). keep: 'first' (input order), 'longest' (most bytes; ties: the first) or
    'earliest' (the smallest metadata[date_field] string, so ISO 8601 dates sort correctly; articles
    without one count as latest). A group with an archived article keeps the archived one.
    add=True archives the kept articles (not those already archived) in one transaction; an index
    given by path is then opened for writing. With an index, texts are signed with its parameters
    (shingle, num_perm and seed are then ignored)."""
    if keep not in KEEP_POLICIES:
        raise _neardup.InvalidArgumentError("keep must be 'first', 'longest' or 'earliest'")
    if add and index is None:
        raise _neardup.InvalidArgumentError("add=True needs an index")
    opened = None
    if index is not None and not isinstance(index, _neardup.Index):
        index = opened = _neardup.Index(index, writable=add)
    try:
        if index is None:
            coll = _neardup.Collection(items, shingle=shingle, num_perm=num_perm, seed=seed, lossy=lossy,
                                       max_bytes=max_bytes, threads=threads, errors=errors, exact_limit=exact_limit)
        else:
            coll = index.collection(items, threads=threads, errors=errors)
        found = coll.pairs(threshold=threshold, containment=containment, min_shared=min_shared, verify=verify)
        matches = None
        if index is not None:
            matches = [index.query(doc, threshold=threshold, containment=containment, min_shared=min_shared)
                       for doc in coll]
        verdicts = _plan(coll, found, matches, keep, date_field, verify)
        if add:
            def archived_since(article_id, exc):
                # Archived under this id although it did not match itself (edited since): as the tool does,
                # it is not added again; any other error stops the add (rolled back).
                if not isinstance(exc, _neardup.DuplicateIdError):
                    raise exc
            index.add((coll[i] for i, v in enumerate(verdicts) if v.status == "kept" and not v.already_archived),
                      threads=threads, errors=archived_since)
        return verdicts
    finally:
        if opened is not None:
            opened.close()

/* search.c — the candidate search over the ranks of an MPI job (nd_dist_find_pairs, dist.h).
 *
 * Design: the candidate rules of one process read runs of equal keys in sorted (key, document)
 * records (finder.c), and a run needs nothing but its own records. So every rank sends the records
 * of the documents it signed to the rank that owns their key (a hash of the key, mod N), in rounds of
 * MPI_Alltoallv, and each rank applies the rule of src/candidates.h to the runs it owns:
 *   - LSH: one round per band, records (band key, document); pairs of each run;
 *   - boilerplate lines: records (line key, document), counted by owner; the lines found often
 *     enough are then known to every rank (MPI_Allgatherv);
 *   - passage anchors, without those of boilerplate lines: one round per 1/16 of the key space;
 *     each run's pairs weighted by the run's length, sent on to the rank that owns the pair, which
 *     adds a pair's weights up once every round is done.
 * The pairs are de-duplicated by their owners and gathered on rank 0, which verifies them with its
 * collection (nd_find_pairs_given: rare words, scores, report rule). Documents are numbered as in
 * rank 0's collection (the gather tells every rank the numbers of its own documents), so the
 * candidates are exactly those of one process, whatever the number of ranks: the same rules on the
 * same runs. (The one-process LSH groups identical documents first; that only saves work: two
 * documents share a bucket exactly when their groups' representatives do.)
 */
#include <neardup/dist.h>
#include <neardup/error.h>
#include <mpi.h>
#include <string.h>
#include "keys.h"
#include "wait.h"
#include "../candidates.h"
#include "../sort.h"

/* At most this many records go from one rank to another in one round (32 MiB of 8-byte records):
 * MPI's int counts hold, and a round's buffers stay bounded. */
#define ROUND_RECORDS ((guint64)1 << 22)
#define ANCHOR_PARTITIONS 16

/* ---- the store of keys ---- */

NdDistKeys *
nd_dist_keys_new(const NdSignParams *params)
{
  NdDistKeys *keys = g_new0(NdDistKeys, 1);
  keys->params = *params;
  keys->start = g_array_new(FALSE, FALSE, sizeof(guint64));
  keys->blocks = g_ptr_array_new_with_free_func(g_free);
  return keys;
}

void
nd_dist_keys_free(NdDistKeys *keys)
{
  if (keys == NULL)
    return;
  g_array_unref(keys->start);
  g_ptr_array_unref(keys->blocks);
  g_free(keys->number);
  g_free(keys);
}

/* Room for `n` values: where they go (the last block, or a new one). */
static guint32 *
keys_reserve(NdDistKeys *keys, gsize n)
{
  if (keys->blocks->len == 0 || keys->capacity - keys->used < n) {
    keys->capacity = (guint32)MAX(n, (gsize)ND_DIST_KEYS_BLOCK);
    g_ptr_array_add(keys->blocks, g_new(guint32, keys->capacity));
    keys->used = 0;
  }
  guint64 at = ((guint64)(keys->blocks->len - 1) << 32) | keys->used;
  g_array_append_val(keys->start, at);
  guint32 *into = (guint32 *)g_ptr_array_index(keys->blocks, keys->blocks->len - 1) + keys->used;
  keys->used += (guint32)n;
  return into;
}

void
nd_dist_keys_add(NdDistKeys *keys, const NdDocument *doc)
{
  const guint32 *band = NULL;
  guint width = 0;
  if (doc->band_keys != NULL && keys->band_source != ND_DIST_KEYS_SIGNATURE) {
    band = doc->band_keys;
    width = keys->params.lsh_bands;
    if (keys->band_source == ND_DIST_KEYS_NONE)
      keys->band_source = ND_DIST_KEYS_BAND_KEYS;
  } else if (doc->signature != NULL && keys->band_source != ND_DIST_KEYS_BAND_KEYS) {
    band = doc->signature;
    width = keys->params.num_perm;
    if (keys->band_source == ND_DIST_KEYS_NONE)
      keys->band_source = ND_DIST_KEYS_SIGNATURE;
  } else { /* the documents do not all carry the same: leave the search to rank 0 */
    keys->band_source = ND_DIST_KEYS_MISSING;
  }
  guint32 n_fingerprints;
  g_autofree guint32 *fingerprints = nd_document_lean_fingerprints(doc, &keys->params, &n_fingerprints);
  guint32 head[ND_DIST_KEYS_HEAD] = { doc->anchors ? doc->n_anchors : 0, doc->lines ? doc->n_lines : 0,
                                      doc->line_anchors ? doc->n_line_anchors : 0, doc->set_size,
                                      fingerprints ? n_fingerprints : 0,
                                      doc->quoted_anchors ? doc->n_quoted_anchors : 0 };
  if (band == NULL)
    width = 0;
  const struct {
    const guint32 *from;
    gsize n;
  } parts[] = { { head, ND_DIST_KEYS_HEAD }, { band, width }, { doc->anchors, head[0] }, { doc->lines, head[1] },
                { doc->line_anchors, 2 * (gsize)head[2] }, { fingerprints, head[4] },
                { doc->quoted_anchors, head[5] } };
  gsize n = 0;
  for (gsize p = 0; p < G_N_ELEMENTS(parts); p++)
    n += parts[p].n;
  guint32 *into = keys_reserve(keys, n);
  for (gsize p = 0; p < G_N_ELEMENTS(parts); p++)
    if (parts[p].n > 0) {
      memcpy(into, parts[p].from, parts[p].n * sizeof(guint32));
      into += parts[p].n;
    }
}

guint
nd_dist_keys_size(const NdDistKeys *keys)
{
  return keys->start->len;
}

static guint
band_width(const NdDistKeys *keys)
{
  return keys->band_source == ND_DIST_KEYS_BAND_KEYS ? keys->params.lsh_bands
         : keys->band_source == ND_DIST_KEYS_SIGNATURE ? keys->params.num_perm : 0;
}

const guint32 *
nd_dist_keys_values(const NdDistKeys *keys, guint i, gsize *n)
{
  guint64 at = g_array_index(keys->start, guint64, i);
  const guint32 *v = (const guint32 *)g_ptr_array_index(keys->blocks, (guint)(at >> 32)) + (at & G_MAXUINT32);
  *n = ND_DIST_KEYS_HEAD + (gsize)band_width(keys) + v[0] + v[1] + 2 * (gsize)v[2] + v[4] + v[5];
  return v;
}

gboolean
nd_dist_keys_parse(const NdDistKeys *keys, const guint32 *v, gsize n, NdDistDocKeys *k)
{
  if (n < ND_DIST_KEYS_HEAD)
    return FALSE;
  *k = (NdDistDocKeys){ .n_anchors = v[0], .n_lines = v[1], .n_line_anchors = v[2], .set_size = v[3],
                        .n_fingerprints = v[4], .n_quoted_anchors = v[5] };
  guint64 need = ND_DIST_KEYS_HEAD + (guint64)band_width(keys) + k->n_anchors + k->n_lines +
                 2 * (guint64)k->n_line_anchors + k->n_fingerprints + k->n_quoted_anchors;
  if (need != n)
    return FALSE;
  k->band = v + ND_DIST_KEYS_HEAD;
  k->anchors = k->band + band_width(keys);
  k->lines = k->anchors + k->n_anchors;
  k->line_anchors = k->lines + k->n_lines;
  k->fingerprints = k->line_anchors + 2 * (gsize)k->n_line_anchors;
  k->quoted_anchors = k->fingerprints + k->n_fingerprints;
  return TRUE;
}

NdDistDocKeys
nd_dist_keys_get(const NdDistKeys *keys, guint i)
{
  gsize n;
  const guint32 *v = nd_dist_keys_values(keys, i, &n);
  NdDistDocKeys k;
  gboolean whole = nd_dist_keys_parse(keys, v, n, &k);
  g_assert(whole); /* the store wrote them */
  return k;
}

/* ---- exchanges ---- */

/* The rank that owns `key`: a multiplicative hash, so that keys with structure (pair codes) spread
 * as evenly as hashes do. */
static guint
owner_of(guint64 key, guint size)
{
  return (guint)(((key * G_GUINT64_CONSTANT(0x9E3779B97F4A7C15)) >> 32) % size);
}

static NdDistSearchStats *tally; /* the running search's figures (one search at a time: MPI is FUNNELED) */

/* As exchange() below, but what comes from rank r is appended to in[r] (which keeps a record that
 * took several rounds whole). */
static void
exchange_streams(GArray **out, guint size, guint width, GArray **in)
{
  if (size == 1) { /* one rank (or MPI not started): what it sends is what it receives */
    g_array_append_vals(in[0], out[0]->data, out[0]->len);
    g_array_set_size(out[0], 0);
    tally->rounds++;
    return;
  }
  g_autoptr(GArray) all = g_array_new(FALSE, FALSE, sizeof(guint64));
  guint64 most = 0;
  for (guint r = 0; r < size; r++)
    most = MAX(most, (guint64)out[r]->len / width);
  guint64 rounds = (nd_dist_max(most) + ROUND_RECORDS - 1) / ROUND_RECORDS;
  g_autofree int *send_counts = g_new0(int, size), *send_displs = g_new0(int, size);
  g_autofree int *recv_counts = g_new0(int, size), *recv_displs = g_new0(int, size);
  g_autoptr(GArray) send = g_array_new(FALSE, FALSE, sizeof(guint64));
  for (guint64 round = 0; round < rounds; round++) {
    g_array_set_size(send, 0);
    for (guint r = 0; r < size; r++) {
      guint64 records = out[r]->len / width, from = MIN(round * ROUND_RECORDS, records);
      guint64 n = MIN(records - from, ROUND_RECORDS);
      send_displs[r] = (int)send->len;
      send_counts[r] = (int)(n * width);
      g_array_append_vals(send, (const guint64 *)out[r]->data + from * width, (guint)(n * width));
    }
    MPI_Request request;
    MPI_Ialltoall(send_counts, 1, MPI_INT, recv_counts, 1, MPI_INT, MPI_COMM_WORLD, &request);
    nd_dist_test_idle(&request);
    MPI_Wait(&request, MPI_STATUS_IGNORE);
    tally->rounds++;
    tally->bytes_sent += (guint64)(send->len - (guint)send_counts[nd_dist_rank()]) * sizeof(guint64);
    guint64 total = 0;
    for (guint r = 0; r < size; r++) {
      recv_displs[r] = (int)total;
      total += (guint64)recv_counts[r];
    }
    g_array_set_size(all, (guint)total);
    MPI_Ialltoallv(send->data, send_counts, send_displs, MPI_UINT64_T, all->data, recv_counts, recv_displs,
                   MPI_UINT64_T, MPI_COMM_WORLD, &request);
    nd_dist_test_idle(&request);
    MPI_Wait(&request, MPI_STATUS_IGNORE);
    for (guint r = 0; r < size; r++)
      g_array_append_vals(in[r], (const guint64 *)all->data + recv_displs[r], (guint)recv_counts[r]);
  }
  for (guint r = 0; r < size; r++)
    g_array_set_size(out[r], 0);
}

static GArray **outboxes_new(guint size);
static void outboxes_free(GArray **out, guint size);

/* Sends out[r] (records of `width` 64-bit values) to rank r, for every rank r, and returns what
 * this rank receives (a new array). In rounds of at most ROUND_RECORDS records from one rank to
 * another, as many as the fullest pair of ranks needs (agreed on by all). The out arrays are
 * emptied. Collective. */
static GArray *
exchange(GArray **out, guint size, guint width)
{
  GArray **in = outboxes_new(size);
  exchange_streams(out, size, width, in);
  GArray *joined = in[0];
  in[0] = g_array_new(FALSE, FALSE, sizeof(guint64));
  for (guint r = 1; r < size; r++)
    g_array_append_vals(joined, in[r]->data, in[r]->len);
  outboxes_free(in, size);
  return joined;
}

static GArray **
outboxes_new(guint size)
{
  GArray **out = g_new(GArray *, size);
  for (guint r = 0; r < size; r++)
    out[r] = g_array_new(FALSE, FALSE, sizeof(guint64));
  return out;
}

static void
outboxes_free(GArray **out, guint size)
{
  for (guint r = 0; r < size; r++)
    g_array_unref(out[r]);
  g_free(out);
}

/* Sorts a received array of key << 32 | document records by key. */
static void
sort_records(GArray *rec)
{
  if (rec->len < 2)
    return;
  g_autofree guint64 *scratch = g_new(guint64, rec->len);
  nd_sort_u64_high32((guint64 *)rec->data, scratch, rec->len);
}

/* TRUE when the caller's cancel flag is raised on any rank (collective). */
static gboolean
cancelled_anywhere(const NdFindOptions *o)
{
  guint64 raised = o->cancel_flag != NULL && g_atomic_int_get(o->cancel_flag) != 0;
  return nd_dist_max(raised) != 0;
}

/* ---- the phases ---- */

/* LSH: this rank's share of the distinct candidate pairs (those it owns) into `codes`. FALSE when
 * cancelled. */
static gboolean
lsh_over_ranks(const NdDistKeys *keys, const NdLshParams *lsh, gboolean use_band_keys, const NdFindOptions *o,
               GArray *codes)
{
  guint size = nd_dist_size(), n = nd_dist_keys_size(keys);
  GArray **out = outboxes_new(size);
  g_autoptr(GArray) found = g_array_new(FALSE, FALSE, sizeof(guint64));
  gsize compact_at = 1 << 20;
  gboolean stopped = FALSE;
  /* Each document as finder.c reads its band keys: from the same fields. */
  g_autofree NdDocument *view = g_new0(NdDocument, n + 1);
  for (guint i = 0; i < n; i++) {
    if (keys->number[i] == ND_DIST_REFUSED)
      continue;
    NdDistDocKeys k = nd_dist_keys_get(keys, i);
    if (keys->band_source == ND_DIST_KEYS_BAND_KEYS)
      view[i].band_keys = (guint32 *)k.band;
    else
      view[i].signature = (guint32 *)k.band;
  }
  for (guint band = 0; band < lsh->bands && !stopped; band++) {
    for (guint i = 0; i < n; i++) {
      if (keys->number[i] == ND_DIST_REFUSED)
        continue;
      guint64 key = nd_cand_band_key(&view[i], use_band_keys, band, lsh->rows);
      guint64 rec = key | keys->number[i];
      g_array_append_val(out[owner_of(((guint64)band << 32) | (key >> 32), size)], rec);
    }
    g_autoptr(GArray) in = exchange(out, size, 1);
    sort_records(in);
    nd_cand_emit_runs((const guint64 *)in->data, in->len, found);
    if (found->len >= compact_at) { /* pairs found again in this band: keep one of each */
      nd_cand_sort_unique(found);
      compact_at = MAX((gsize)found->len * 2, (gsize)1 << 20);
    }
    stopped = cancelled_anywhere(o);
  }
  nd_cand_sort_unique(found);
  for (guint x = 0; x < found->len; x++) {
    guint64 code = g_array_index(found, guint64, x);
    g_array_append_val(out[owner_of(code, size)], code);
  }
  g_autoptr(GArray) mine = exchange(out, size, 1);
  nd_cand_sort_unique(mine);
  g_array_append_vals(codes, mine->data, mine->len);
  outboxes_free(out, size);
  return !stopped;
}

/* The boilerplate lines of the whole run, sorted, on every rank; *articles: the documents that have
 * at least one. */
static GArray *
boilerplate_over_ranks(const NdDistKeys *keys, guint64 *articles)
{
  guint size = nd_dist_size(), n = nd_dist_keys_size(keys);
  GArray **out = outboxes_new(size);
  for (guint i = 0; i < n; i++) {
    if (keys->number[i] == ND_DIST_REFUSED)
      continue;
    NdDistDocKeys k = nd_dist_keys_get(keys, i);
    for (guint32 l = 0; l < k.n_lines; l++) {
      guint64 rec = ((guint64)k.lines[l] << 32) | keys->number[i];
      g_array_append_val(out[owner_of(k.lines[l], size)], rec);
    }
  }
  g_autoptr(GArray) in = exchange(out, size, 1);
  outboxes_free(out, size);
  sort_records(in);
  g_autoptr(GArray) mine = g_array_new(FALSE, FALSE, sizeof(guint32));
  nd_cand_boilerplate_runs((const guint64 *)in->data, in->len, mine);
  /* Every rank learns every owner's lines (few: repeated short lines). */
  GArray *all = g_array_new(FALSE, FALSE, sizeof(guint32));
  if (size == 1) {
    g_array_append_vals(all, mine->data, mine->len);
  } else {
    g_autofree int *counts = g_new0(int, size), *displs = g_new0(int, size);
    int own = (int)mine->len;
    MPI_Allgather(&own, 1, MPI_INT, counts, 1, MPI_INT, MPI_COMM_WORLD);
    guint64 total = 0;
    for (guint r = 0; r < size; r++) {
      displs[r] = (int)total;
      total += (guint64)counts[r];
    }
    g_array_set_size(all, (guint)total);
    MPI_Allgatherv(mine->data, own, MPI_UINT32_T, all->data, counts, displs, MPI_UINT32_T, MPI_COMM_WORLD);
  }
  if (all->len > 1) { /* the owners' keys are disjoint: sorting is all it takes */
    g_autofree guint32 *scratch = g_new(guint32, all->len);
    g_array_set_size(all, (guint)nd_sort_unique_u32((guint32 *)all->data, scratch, all->len));
  }
  guint64 with = 0;
  for (guint i = 0; i < n; i++) {
    if (keys->number[i] == ND_DIST_REFUSED)
      continue;
    NdDistDocKeys k = nd_dist_keys_get(keys, i);
    with += nd_cand_has_boilerplate(k.lines, k.n_lines, (const guint32 *)all->data, all->len);
  }
  *articles = nd_dist_sum(with);
  return all;
}

/* Adds `more` (NdKeyed, sorted by pair, one record per pair) into `sums` (the same), saturating. */
static void
merge_sums(GArray *sums, const GArray *more)
{
  if (more->len == 0)
    return;
  g_autoptr(GArray) merged = g_array_sized_new(FALSE, FALSE, sizeof(NdKeyed), sums->len + more->len);
  const NdKeyed *a = (const NdKeyed *)sums->data, *b = (const NdKeyed *)more->data;
  guint i = 0, j = 0;
  while (i < sums->len || j < more->len) {
    NdKeyed e;
    if (j == more->len || (i < sums->len && a[i].key < b[j].key)) {
      e = a[i++];
    } else if (i == sums->len || b[j].key < a[i].key) {
      e = b[j++];
    } else {
      e = a[i++];
      guint64 weight = (guint64)e.value + b[j++].value; /* (not inside MIN: it reads its argument twice) */
      e.value = (guint32)MIN(weight, (guint64)G_MAXUINT32);
    }
    g_array_append_val(merged, e);
  }
  g_array_set_size(sums, 0);
  g_array_append_vals(sums, merged->data, merged->len);
}

/* Passage anchors: this rank's share of the candidate pairs (those it owns) into `codes`; returns
 * FALSE when cancelled. */
static gboolean
anchors_over_ranks(const NdDistKeys *keys, const GArray *boilerplate, const NdFindOptions *o, GArray *codes)
{
  guint size = nd_dist_size(), n = nd_dist_keys_size(keys);
  guint full_df, max_df;
  guint64 min_weight;
  nd_cand_anchor_rule(o, &full_df, &max_df, &min_weight);
  /* The anchors each document is searched with: its own, or a copy without its boilerplate lines'. */
  g_autofree guint32 **dropped = g_new0(guint32 *, n + 1);
  g_autofree const guint32 **anchors = g_new0(const guint32 *, n + 1);
  g_autofree guint32 *n_anchors = g_new0(guint32, n + 1);
  for (guint i = 0; i < n; i++) {
    if (keys->number[i] == ND_DIST_REFUSED)
      continue;
    NdDistDocKeys k = nd_dist_keys_get(keys, i);
    NdDocument view = { .anchors = (guint32 *)k.anchors, .n_anchors = k.n_anchors,
                        .line_anchors = (guint32 *)k.line_anchors, .n_line_anchors = k.n_line_anchors };
    dropped[i] = nd_cand_drop_boilerplate(&view, (const guint32 *)boilerplate->data, boilerplate->len,
                                          &n_anchors[i]);
    if (dropped[i] != NULL) {
      anchors[i] = dropped[i];
    } else {
      anchors[i] = k.anchors;
      n_anchors[i] = k.n_anchors;
    }
  }
  GArray **out = outboxes_new(size);
  g_autoptr(GArray) weighted = g_array_new(FALSE, FALSE, sizeof(NdKeyed)); /* this rank's pairs' weights */
  g_autoptr(GArray) found = g_array_new(FALSE, FALSE, sizeof(NdKeyed));
  g_autofree guint32 *cursor = g_new0(guint32, n + 1);
  gboolean stopped = FALSE;
  for (guint q = 0; q < ANCHOR_PARTITIONS && !stopped; q++) {
    for (guint i = 0; i < n; i++) {
      if (keys->number[i] == ND_DIST_REFUSED)
        continue;
      const guint32 *a = anchors[i];
      guint32 na = n_anchors[i], c = cursor[i];
      for (; c < na && (a[c] >> 28) == q; c++) { /* sorted: this partition's anchors come next */
        guint64 rec = ((guint64)a[c] << 32) | keys->number[i];
        g_array_append_val(out[owner_of(a[c], size)], rec);
      }
      cursor[i] = c;
    }
    g_autoptr(GArray) in = exchange(out, size, 1);
    sort_records(in);
    g_array_set_size(found, 0);
    nd_cand_weighted_runs((const guint64 *)in->data, in->len, full_df, max_df, found);
    g_clear_pointer(&in, g_array_unref);
    nd_cand_sum_by_pair(found); /* a pair of near copies shares hundreds of anchors: one record of them */
    for (guint x = 0; x < found->len; x++) {
      const NdKeyed *e = &g_array_index(found, NdKeyed, x);
      g_array_append_vals(out[owner_of(e->key, size)], e, 2); /* an NdKeyed is two 64-bit words */
    }
    g_autoptr(GArray) mine = exchange(out, size, 2);
    g_array_set_size(found, 0);
    g_array_append_vals(found, mine->data, mine->len / 2);
    g_clear_pointer(&mine, g_array_unref);
    nd_cand_sum_by_pair(found);
    merge_sums(weighted, found); /* the pairs' sums so far: one record per pair this rank owns */
    stopped = cancelled_anywhere(o);
  }
  for (guint i = 0; i < n; i++)
    g_free(dropped[i]);
  outboxes_free(out, size);
  if (!stopped)
    nd_cand_sum_weights(weighted, min_weight, codes);
  return !stopped;
}

/* ---- verification where the documents are ---- */

G_STATIC_ASSERT(sizeof(NdPair) % sizeof(guint64) == 0); /* pairs travel as 64-bit words */
#define PAIR_WORDS (sizeof(NdPair) / sizeof(guint64))

/* The documents a rank verifies with, by number, as a lean collection holds what verification
 * reads (score.c: shingle count, fingerprints, anchors without those of boilerplate lines, quoted
 * anchors, band keys or signature), pointing into the store or into the values fetched. */
typedef struct {
  const NdDocument **doc;   /* by number; NULL where not needed */
  GPtrArray *views;         /* NdDocument (g_free) */
  GPtrArray *dropped;       /* the anchor arrays the views own (g_free) */
} DocTable;

static void
doc_table_clear(DocTable *t)
{
  g_free(t->doc);
  g_ptr_array_unref(t->views);
  g_ptr_array_unref(t->dropped);
}

/* Puts the document of keys `k` at `number`, as verification sees it. */
static void
doc_table_put(DocTable *t, const NdDistKeys *keys, guint32 number, const NdDistDocKeys *k, const GArray *boilerplate)
{
  NdDocument *d = g_new0(NdDocument, 1);
  d->set_size = k->set_size;
  if (keys->band_source == ND_DIST_KEYS_BAND_KEYS)
    d->band_keys = (guint32 *)k->band;
  else
    d->signature = (guint32 *)k->band;
  d->anchors = (guint32 *)k->anchors;
  d->n_anchors = k->n_anchors;
  d->line_anchors = (guint32 *)k->line_anchors;
  d->n_line_anchors = k->n_line_anchors;
  d->fingerprints = k->n_fingerprints ? (guint32 *)k->fingerprints : NULL;
  d->n_fingerprints = k->n_fingerprints;
  d->quoted_anchors = k->n_quoted_anchors ? (guint32 *)k->quoted_anchors : NULL;
  d->n_quoted_anchors = k->n_quoted_anchors;
  guint32 n_kept;
  guint32 *kept = nd_cand_drop_boilerplate(d, (const guint32 *)boilerplate->data, boilerplate->len, &n_kept);
  if (kept != NULL) {
    d->anchors = kept;
    d->n_anchors = n_kept;
    g_ptr_array_add(t->dropped, kept);
  }
  d->line_anchors = NULL; /* read by the search only */
  d->n_line_anchors = 0;
  g_ptr_array_add(t->views, d);
  t->doc[number] = d;
}

/* The position in the store of the document numbered `number` (own_number: the numbers of the
 * rank's accepted documents, ascending; own_local: their positions), or G_MAXUINT. */
static guint
own_position(const GArray *own_number, const GArray *own_local, guint32 number)
{
  const guint32 *a = (const guint32 *)own_number->data;
  guint lo = 0, hi = own_number->len;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (a[mid] < number)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < own_number->len && a[lo] == number ? g_array_index(own_local, guint32, lo) : G_MAXUINT;
}

/* Verifies this rank's candidates (`codes`: the pairs it owns) where the documents are: each pair
 * goes to the rank that holds one of its documents (by a bit of the pair's hash), which asks the
 * holder of the other for its keys when it is not its own; the pairs reported come back to rank 0 in the order of their codes
 * (*pairs_out: rank 0 only). FALSE with an error when cancelled, or when an answer does not parse
 * (a bug: the ranks send their own stores). Collective. */
static gboolean
verify_over_ranks(const NdDistKeys *keys, GArray *codes, const GArray *boilerplate, const NdFindOptions *o,
                  guint threads, GArray **pairs_out, GError **error)
{
  guint size = nd_dist_size(), me = nd_dist_rank();
  /* The numbers of this rank's documents (ascending: the ranks' documents come in input order, as
   * rank 0 numbers them), and who holds each number, known to every rank. */
  g_autoptr(GArray) own_number = g_array_new(FALSE, FALSE, sizeof(guint32));
  g_autoptr(GArray) own_local = g_array_new(FALSE, FALSE, sizeof(guint32));
  for (guint i = 0; i < keys->n_number; i++)
    if (keys->number[i] != ND_DIST_REFUSED) {
      g_array_append_val(own_number, keys->number[i]);
      g_array_append_val(own_local, i);
    }
  g_autofree int *counts = g_new0(int, size), *displs = g_new0(int, size);
  int mine = (int)own_number->len;
  guint64 n_total = (guint64)mine;
  counts[0] = mine;
  if (size > 1) {
    MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, MPI_COMM_WORLD);
    n_total = 0;
    for (guint r = 0; r < size; r++) {
      displs[r] = (int)n_total;
      n_total += (guint64)counts[r];
    }
  }
  g_autofree guint32 *numbers = g_new(guint32, n_total + 1);
  if (size > 1)
    MPI_Allgatherv(own_number->data, mine, MPI_UINT32_T, numbers, counts, displs, MPI_UINT32_T, MPI_COMM_WORLD);
  else if (mine > 0)
    memcpy(numbers, own_number->data, (gsize)mine * sizeof(guint32));
  g_autofree guint32 *holder = g_new0(guint32, n_total + 1);
  for (guint r = 0, k = 0; r < size; r++)
    for (int x = 0; x < counts[r]; x++, k++)
      if (numbers[k] < n_total)
        holder[numbers[k]] = r;
  g_clear_pointer(&numbers, g_free);

  /* Each pair to the holder of one of its documents, the first or the second as a bit of the
   * pair's hash says (the first alone would give rank 0, whose documents come first, most pairs). */
  GArray **out = outboxes_new(size);
  for (guint x = 0; x < codes->len; x++) {
    guint64 code = g_array_index(codes, guint64, x);
    guint32 doc = (code * G_GUINT64_CONSTANT(0x9E3779B97F4A7C15)) >> 63 ? (guint32)(code >> 32) : (guint32)code;
    g_array_append_val(out[holder[doc]], code);
  }
  g_array_set_size(codes, 0);
  g_autoptr(GArray) to_verify = exchange(out, size, 1);
  if (to_verify->len > 1) {
    g_autofree guint64 *scratch = g_new(guint64, to_verify->len);
    nd_sort_u64((guint64 *)to_verify->data, scratch, to_verify->len);
  }
  /* The documents needed: own ones from the store, the others asked of their holders (each once,
   * in ascending order). */
  DocTable table = { g_new0(const NdDocument *, n_total + 1), g_ptr_array_new_with_free_func(g_free),
                     g_ptr_array_new_with_free_func(g_free) };
  g_autofree guint8 *needed = g_new0(guint8, n_total + 1);
  for (guint x = 0; x < to_verify->len; x++) {
    guint64 code = g_array_index(to_verify, guint64, x);
    needed[code >> 32] = 1;
    needed[code & G_MAXUINT32] = 1;
  }
  gboolean ok = TRUE;
  for (guint64 number = 0; number < n_total; number++) {
    if (!needed[number])
      continue;
    if (holder[number] != me) {
      g_array_append_val(out[holder[number]], number);
      continue;
    }
    guint at = own_position(own_number, own_local, (guint32)number);
    if (at == G_MAXUINT) { /* cannot happen: the holders came from the ranks' own numbers */
      g_set_error(error, ND_ERROR, ND_ERROR_FORMAT, "rank %u does not hold document %u", me, (guint)number);
      ok = FALSE;
      continue;
    }
    NdDistDocKeys k = nd_dist_keys_get(keys, at);
    doc_table_put(&table, keys, (guint32)number, &k, boilerplate);
  }
  g_clear_pointer(&needed, g_free);
  GArray **asked_of = outboxes_new(size); /* what this rank asks of each rank, in order */
  for (guint r = 0; r < size; r++)
    g_array_append_vals(asked_of[r], out[r]->data, out[r]->len);
  GArray **asked = outboxes_new(size); /* what each rank asks of this one */
  exchange_streams(out, size, 1, asked);
  /* The answers: each document's store values, as a count, then the values two to a word. */
  for (guint r = 0; r < size; r++)
    for (guint x = 0; x < asked[r]->len; x++) {
      guint at = own_position(own_number, own_local, (guint32)g_array_index(asked[r], guint64, x));
      gsize n = 0;
      const guint32 *v = at != G_MAXUINT ? nd_dist_keys_values(keys, at, &n) : NULL;
      guint64 count = v != NULL ? n : G_MAXUINT64, words = (n + 1) / 2;
      guint from = out[r]->len;
      g_array_append_val(out[r], count);
      g_array_set_size(out[r], from + 1 + (guint)words);
      guint64 *dst = (guint64 *)out[r]->data + from + 1;
      if (words > 0)
        dst[words - 1] = 0;
      if (v != NULL && n > 0)
        memcpy(dst, v, n * sizeof(guint32));
    }
  outboxes_free(asked, size);
  GArray **answers = outboxes_new(size);
  exchange_streams(out, size, 1, answers);
  for (guint r = 0; r < size && ok; r++) {
    const guint64 *a = (const guint64 *)answers[r]->data;
    guint pos = 0;
    for (guint x = 0; x < asked_of[r]->len && ok; x++) {
      guint32 number = (guint32)g_array_index(asked_of[r], guint64, x);
      guint64 count = pos < answers[r]->len ? a[pos] : G_MAXUINT64;
      guint64 words = count == G_MAXUINT64 ? 0 : (count + 1) / 2;
      NdDistDocKeys k;
      if (count == G_MAXUINT64 || words > answers[r]->len - pos - 1 ||
          !nd_dist_keys_parse(keys, (const guint32 *)(a + pos + 1), (gsize)count, &k)) {
        g_set_error(error, ND_ERROR, ND_ERROR_FORMAT, "rank %u's keys of document %u do not parse", r, number);
        ok = FALSE;
        break;
      }
      doc_table_put(&table, keys, number, &k, boilerplate);
      pos += 1 + (guint)words;
    }
  }
  outboxes_free(asked_of, size);
  g_clear_pointer(&holder, g_free);
  gboolean all_ok = nd_dist_max(!ok) == 0;
  g_autoptr(GArray) found = NULL;
  if (all_ok) {
    found = nd_cand_verify(&keys->params, table.doc, o, (const guint64 *)to_verify->data, to_verify->len, threads,
                           error);
    ok = found != NULL;
  } else if (ok) {
    g_set_error_literal(error, ND_ERROR, ND_ERROR_FORMAT, "another rank could not read the keys it was sent");
  }
  all_ok = nd_dist_max(!ok) == 0;
  /* The pairs reported, to rank 0, in the order of their codes. */
  if (all_ok && found != NULL) /* (found: not NULL when all are ok) */
    g_array_append_vals(out[0], found->data, found->len * PAIR_WORDS);
  g_autoptr(GArray) pairs_in = exchange(out, size, PAIR_WORDS);
  outboxes_free(out, size);
  outboxes_free(answers, size); /* (the views pointed into them) */
  doc_table_clear(&table);
  if (!all_ok) {
    if (ok)
      g_set_error_literal(error, ND_ERROR, ND_ERROR_CANCELLED, "cancelled during the verification");
    return FALSE;
  }
  if (me == 0) {
    guint n = pairs_in->len / PAIR_WORDS;
    const NdPair *p = (const NdPair *)pairs_in->data;
    g_autofree NdKeyed *order = g_new(NdKeyed, n + 1), *scratch = g_new(NdKeyed, n + 1);
    for (guint i = 0; i < n; i++)
      order[i] = (NdKeyed){ nd_cand_pair_code(p[i].a, p[i].b), i, 0 };
    nd_sort_keyed(order, scratch, n);
    GArray *pairs = g_array_sized_new(FALSE, FALSE, sizeof(NdPair), n);
    for (guint i = 0; i < n; i++)
      g_array_append_val(pairs, p[order[i].value]);
    *pairs_out = pairs;
  }
  return TRUE;
}

/* ---- the search ---- */

gboolean
nd_dist_search_over_ranks(void)
{
  guint local = nd_dist_local_size(), size = nd_dist_size();
  const char *env = g_getenv("NEARDUP_MPI_SEARCH");
  return env != NULL ? strcmp(env, "0") != 0 : local < size;
}

GArray *
nd_dist_find_pairs(NdDistShare *share, const NdCollection *coll, const NdFindOptions *o, NdFindStats *stats,
                   NdDistSearchStats *search_stats, GError **error)
{
  NdDistSearchStats own = { 0 };
  if (search_stats == NULL)
    search_stats = &own;
  *search_stats = (NdDistSearchStats){ 0 };
  g_return_val_if_fail(share != NULL && o != NULL, NULL);
  guint rank = nd_dist_rank(), size = nd_dist_size();
  g_return_val_if_fail(rank != 0 || coll != NULL, NULL);
  const NdDistKeys *keys = nd_dist_share_search_keys(share);
  /* Where: over the ranks when they span several machines. On one machine rank 0, which holds
   * every document already, searches with all of the machine's cores, and the exchanges would only
   * add work (measured in docs/mpi.md). NEARDUP_MPI_SEARCH=1 searches over the ranks all the same,
   * =0 on rank 0 (tests and comparisons). Every rank must hold the keys of its documents, numbered,
   * or rank 0 searches alone. */
  guint local = nd_dist_local_size();
  gboolean able = nd_dist_search_over_ranks() && keys != NULL && keys->number != NULL && keys->band_source != ND_DIST_KEYS_MISSING;
  NdLshParams lsh = { 0 };
  if (able) {
    if (!nd_find_options_validate(o, error) ||
        !nd_lsh_params_for(o->lsh_threshold > 0.0 ? o->lsh_threshold : o->threshold, keys->params.num_perm,
                           ND_LSH_FN_WEIGHT, &lsh, error))
      able = FALSE;
    g_clear_error(error); /* rank 0's nd_find_pairs reports bad options itself */
  }
  gboolean use_band_keys = able && nd_cand_use_band_keys(&keys->params, &lsh);
  if (able && keys->band_source == ND_DIST_KEYS_BAND_KEYS && !use_band_keys)
    able = FALSE; /* these bands' keys would need the signatures, which lean documents drop */
  if (nd_dist_max(!able) != 0 || !able) /* (not able here: not able anywhere) */
    return rank == 0 ? nd_find_pairs(coll, o, stats, error) : NULL;

  gint64 t0 = g_get_monotonic_time();
  search_stats->over_ranks = TRUE;
  tally = search_stats;
  g_autoptr(GArray) codes = g_array_new(FALSE, FALSE, sizeof(guint64));
  gboolean running = lsh_over_ranks(keys, &lsh, use_band_keys, o, codes);
  guint64 lsh_pairs = nd_dist_sum(codes->len);
  gint64 t1 = g_get_monotonic_time();
  guint64 articles = 0;
  g_autoptr(GArray) boilerplate = boilerplate_over_ranks(keys, &articles);
  g_autoptr(GArray) anchor_codes = g_array_new(FALSE, FALSE, sizeof(guint64));
  guint full_df, max_df;
  guint64 min_weight;
  if (running && nd_cand_anchor_rule(o, &full_df, &max_df, &min_weight))
    running = anchors_over_ranks(keys, boilerplate, o, anchor_codes);
  guint64 anchor_pairs = nd_dist_sum(anchor_codes->len);
  /* This rank owns the same pairs of both kinds: their union, then all of it to rank 0. */
  g_array_append_vals(codes, anchor_codes->data, anchor_codes->len);
  g_clear_pointer(&anchor_codes, g_array_unref);
  nd_cand_sort_unique(codes);
  /* A lean run is verified where its documents are (rank 0's way of verifying, told to all; a run
   * with batch statistics needs every document's words, and is verified by rank 0). */
  guint64 verify_mode = nd_dist_max(rank == 0 ? (guint64)o->verify + 1 : 0) - 1;
  const char *spread_env = g_getenv("NEARDUP_MPI_VERIFY"); /* "0": rank 0 verifies (for comparisons) */
  gboolean spread = running && nd_dist_share_is_lean(share) && verify_mode == ND_VERIFY_SAMPLE &&
                    keys->params.fingerprint_sampling > 0 && (spread_env == NULL || strcmp(spread_env, "0") != 0);
  if (nd_dist_max(!spread) == 0) {
    guint64 candidates = nd_dist_sum(codes->len);
    gint64 t_verify = g_get_monotonic_time();
    NdFindOptions vo = *o;
    vo.verify = ND_VERIFY_SAMPLE;
    guint threads = o->threads ? o->threads : MAX(1u, g_get_num_processors() / local);
    GArray *pairs = NULL;
    gboolean verified = verify_over_ranks(keys, codes, boilerplate, &vo, threads, &pairs, error);
    gint64 t_end = g_get_monotonic_time();
    tally = NULL;
    search_stats->verified_over_ranks = TRUE;
    search_stats->seconds = (t_end - t0) / 1e6;
    if (!verified || rank != 0) {
      if (rank != 0)
        g_clear_error(error);
      return NULL;
    }
    if (stats != NULL)
      *stats = (NdFindStats){
        .lsh = lsh,
        .candidates_lsh = lsh_pairs,
        .candidates_anchor = anchor_pairs,
        .candidates = candidates,
        .reported = pairs->len,
        .boilerplate_lines = boilerplate->len,
        .boilerplate_articles = articles,
        .seconds_lsh = (t1 - t0) / 1e6,
        .seconds_anchor = (t_verify - t1) / 1e6,
        .seconds_verify = (t_end - t_verify) / 1e6,
      };
    return pairs;
  }
  GArray **out = outboxes_new(size);
  g_array_append_vals(out[0], codes->data, codes->len);
  g_array_set_size(codes, 0);
  g_autoptr(GArray) all = exchange(out, size, 1);
  outboxes_free(out, size);
  gint64 t2 = g_get_monotonic_time();
  tally = NULL;
  search_stats->seconds = (t2 - t0) / 1e6;
  if (rank != 0)
    return NULL;
  if (!running) {
    g_set_error_literal(error, ND_ERROR, ND_ERROR_CANCELLED, "cancelled during the candidate search");
    return NULL;
  }
  nd_cand_sort_unique(all);
  NdGivenCandidates given = {
    .codes = (const guint64 *)all->data,
    .n_codes = all->len,
    .candidates_lsh = lsh_pairs,
    .candidates_anchor = anchor_pairs,
    .boilerplate = (const guint32 *)boilerplate->data,
    .n_boilerplate = boilerplate->len,
    .boilerplate_articles = articles,
    .seconds_lsh = (t1 - t0) / 1e6,
    .seconds_anchor = (t2 - t1) / 1e6,
  };
  return nd_find_pairs_given(coll, o, &given, stats, error);
}

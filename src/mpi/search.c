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
  keys->values = g_array_new(FALSE, FALSE, sizeof(guint32));
  guint64 zero = 0;
  g_array_append_val(keys->start, zero);
  return keys;
}

void
nd_dist_keys_free(NdDistKeys *keys)
{
  if (keys == NULL)
    return;
  g_array_unref(keys->start);
  g_array_unref(keys->values);
  g_free(keys->number);
  g_free(keys);
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
  guint32 head[3] = { doc->anchors ? doc->n_anchors : 0, doc->lines ? doc->n_lines : 0,
                      doc->line_anchors ? doc->n_line_anchors : 0 };
  g_array_append_vals(keys->values, head, 3);
  if (band != NULL)
    g_array_append_vals(keys->values, band, width);
  g_array_append_vals(keys->values, doc->anchors, head[0]);
  g_array_append_vals(keys->values, doc->lines, head[1]);
  g_array_append_vals(keys->values, doc->line_anchors, 2 * head[2]);
  guint64 end = keys->values->len;
  g_array_append_val(keys->start, end);
}

guint
nd_dist_keys_size(const NdDistKeys *keys)
{
  return keys->start->len - 1;
}

NdDistDocKeys
nd_dist_keys_get(const NdDistKeys *keys, guint i)
{
  const guint32 *v = (const guint32 *)keys->values->data + g_array_index(keys->start, guint64, i);
  guint width = keys->band_source == ND_DIST_KEYS_BAND_KEYS ? keys->params.lsh_bands
                : keys->band_source == ND_DIST_KEYS_SIGNATURE ? keys->params.num_perm : 0;
  NdDistDocKeys k = { .n_anchors = v[0], .n_lines = v[1], .n_line_anchors = v[2] };
  k.band = v + 3;
  k.anchors = k.band + width;
  k.lines = k.anchors + k.n_anchors;
  k.line_anchors = k.lines + k.n_lines;
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

/* Sends out[r] (records of `width` 64-bit values) to rank r, for every rank r, and returns what
 * this rank receives (a new array, in rank order). In rounds of at most ROUND_RECORDS records from
 * one rank to another, as many as the fullest pair of ranks needs (agreed on by all). The out arrays
 * are emptied. Collective. */
static NdDistSearchStats *tally; /* the running search's figures (one search at a time: MPI is FUNNELED) */

static GArray *
exchange(GArray **out, guint width)
{
  guint size = nd_dist_size();
  GArray *in = g_array_new(FALSE, FALSE, sizeof(guint64));
  if (size == 1) { /* one rank (or MPI not started): what it sends is what it receives */
    g_array_append_vals(in, out[0]->data, out[0]->len);
    g_array_set_size(out[0], 0);
    tally->rounds++;
    return in;
  }
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
    MPI_Alltoall(send_counts, 1, MPI_INT, recv_counts, 1, MPI_INT, MPI_COMM_WORLD);
    tally->rounds++;
    tally->bytes_sent += (guint64)(send->len - (guint)send_counts[nd_dist_rank()]) * sizeof(guint64);
    guint64 total = 0;
    for (guint r = 0; r < size; r++) {
      recv_displs[r] = (int)total;
      total += (guint64)recv_counts[r];
    }
    guint at = in->len;
    g_array_set_size(in, (guint)(at + total));
    MPI_Alltoallv(send->data, send_counts, send_displs, MPI_UINT64_T, (guint64 *)in->data + at, recv_counts,
                  recv_displs, MPI_UINT64_T, MPI_COMM_WORLD);
  }
  for (guint r = 0; r < size; r++)
    g_array_set_size(out[r], 0);
  return in;
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
  for (guint band = 0; band < lsh->bands && !stopped; band++) {
    for (guint i = 0; i < n; i++) {
      if (keys->number[i] == ND_DIST_REFUSED)
        continue;
      NdDistDocKeys k = nd_dist_keys_get(keys, i);
      /* The key as finder.c takes it, from the same fields. */
      NdDocument view = { 0 };
      if (keys->band_source == ND_DIST_KEYS_BAND_KEYS)
        view.band_keys = (guint32 *)k.band;
      else
        view.signature = (guint32 *)k.band;
      guint64 key = nd_cand_band_key(&view, use_band_keys, band, lsh->rows);
      guint64 rec = key | keys->number[i];
      g_array_append_val(out[owner_of(((guint64)band << 32) | (key >> 32), size)], rec);
    }
    g_autoptr(GArray) in = exchange(out, 1);
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
  g_autoptr(GArray) mine = exchange(out, 1);
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
  g_autoptr(GArray) in = exchange(out, 1);
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
    gboolean any = FALSE;
    for (guint32 l = 0; l < k.n_lines && !any; l++) {
      guint lo = 0, hi = all->len;
      const guint32 *a = (const guint32 *)all->data;
      while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (a[mid] < k.lines[l])
          lo = mid + 1;
        else
          hi = mid;
      }
      any = lo < all->len && a[lo] == k.lines[l];
    }
    with += any;
  }
  *articles = nd_dist_sum(with);
  return all;
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
  g_autofree guint32 *n_dropped = g_new0(guint32, n + 1);
  for (guint i = 0; i < n; i++) {
    if (keys->number[i] == ND_DIST_REFUSED)
      continue;
    NdDistDocKeys k = nd_dist_keys_get(keys, i);
    NdDocument view = { .anchors = (guint32 *)k.anchors, .n_anchors = k.n_anchors,
                        .line_anchors = (guint32 *)k.line_anchors, .n_line_anchors = k.n_line_anchors };
    dropped[i] = nd_cand_drop_boilerplate(&view, (const guint32 *)boilerplate->data, boilerplate->len,
                                          &n_dropped[i]);
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
      NdDistDocKeys k = nd_dist_keys_get(keys, i);
      const guint32 *a = dropped[i] != NULL ? dropped[i] : k.anchors;
      guint32 na = dropped[i] != NULL ? n_dropped[i] : k.n_anchors;
      guint32 c = cursor[i];
      for (; c < na && (a[c] >> 28) == q; c++) { /* sorted: this partition's anchors come next */
        guint64 rec = ((guint64)a[c] << 32) | keys->number[i];
        g_array_append_val(out[owner_of(a[c], size)], rec);
      }
      cursor[i] = c;
    }
    g_autoptr(GArray) in = exchange(out, 1);
    sort_records(in);
    g_array_set_size(found, 0);
    nd_cand_weighted_runs((const guint64 *)in->data, in->len, full_df, max_df, found);
    g_clear_pointer(&in, g_array_unref);
    for (guint x = 0; x < found->len; x++) {
      const NdKeyed *e = &g_array_index(found, NdKeyed, x);
      g_array_append_vals(out[owner_of(e->key, size)], e, 2); /* an NdKeyed is two 64-bit words */
    }
    g_autoptr(GArray) mine = exchange(out, 2);
    g_array_append_vals(weighted, mine->data, mine->len / 2);
    stopped = cancelled_anywhere(o);
  }
  for (guint i = 0; i < n; i++)
    g_free(dropped[i]);
  outboxes_free(out, size);
  if (!stopped)
    nd_cand_sum_weights(weighted, min_weight, codes);
  return !stopped;
}

/* ---- the search ---- */

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
  /* Every rank must hold the keys of its documents, numbered, or rank 0 searches alone. */
  const char *env = g_getenv("NEARDUP_MPI_SEARCH"); /* "0": rank 0 alone (for comparisons) */
  gboolean able = keys != NULL && keys->number != NULL && keys->band_source != ND_DIST_KEYS_MISSING &&
                  (env == NULL || strcmp(env, "0") != 0);
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
  if (nd_dist_max(!able) != 0)
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
  GArray **out = outboxes_new(size);
  g_array_append_vals(out[0], codes->data, codes->len);
  g_array_set_size(codes, 0);
  g_autoptr(GArray) all = exchange(out, 1);
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

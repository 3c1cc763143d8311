/* finder.c — candidate generation (LSH bands, passage anchors, rare words), verification and the
 * report rule of score.c (all described in include/neardup/finder.h and score.h).
 *
 * Candidates are (a << 32 | b) 64-bit codes with a < b, so de-duplicating them and ordering the
 * output are one radix sort. Buckets and postings are found by sorting (key, document) records rather
 * than with hash tables: the work is sequential memory traffic, and the result order is fixed.
 */
#include <neardup/neardup.h>
#include <math.h>
#include <string.h>
#include "candidates.h"
#include "hash.h"
#include "sort.h"

void
nd_find_options_init(NdFindOptions *o)
{
  *o = (NdFindOptions){
    .threshold = ND_DEFAULT_THRESHOLD,
    .containment = ND_DEFAULT_CONTAINMENT,
    .min_shared = ND_DEFAULT_MIN_SHARED,
    .score = ND_DEFAULT_SCORE,
    .verify = ND_VERIFY_EXACT,
    .anchors = TRUE,
    .max_posting = ND_DEFAULT_MAX_POSTING,
    .threads = 0,
  };
}

gboolean
nd_find_options_validate(const NdFindOptions *o, GError **error)
{
  if (!(o->threshold > 0.0 && o->threshold < 1.0)) {
    g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "threshold %g is not between 0 and 1 (exclusive)", o->threshold);
    return FALSE;
  }
  if (!(o->containment >= 0.0 && o->containment <= 1.0)) {
    g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "containment %g is not between 0 and 1", o->containment);
    return FALSE;
  }
  if (!(o->score >= 0.0 && o->score <= 1.0)) {
    g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "score threshold %g is not between 0 and 1", o->score);
    return FALSE;
  }
  if (o->quotations > ND_QUOTATIONS_COUNT) {
    g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "quotations rule %d is not drop, list or count", (int)o->quotations);
    return FALSE;
  }
  if (!(o->lsh_threshold == 0.0 || (o->lsh_threshold > 0.0 && o->lsh_threshold < 1.0))) {
    g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "LSH threshold %g is not between 0 and 1 (0 = the threshold)",
                o->lsh_threshold);
    return FALSE;
  }
  if (o->max_posting < 2) {
    g_set_error_literal(error, ND_ERROR, ND_ERROR_INVALID_ARG, "max posting must be at least 2");
    return FALSE;
  }
  return TRUE;
}

NdReportRule
nd_find_options_rule(const NdFindOptions *o)
{
  return (NdReportRule){ o->threshold, o->containment, o->min_shared, o->score, o->quotations };
}

gboolean
nd_pair_matches(const NdPair *pair, const NdFindOptions *o)
{
  NdReportRule rule = nd_find_options_rule(o);
  NdPair p = *pair;
  return nd_pair_report(&p, &rule);
}

typedef struct {
  NdFindOptions options; /* first: a pointer to it is a pointer to the RunOptions */
  gint stopped;          /* set once a worker saw the caller's flag raised; never cleared */
} RunOptions;

/* TRUE once the caller's cancel flag was seen raised in this run. Workers look between units of a
 * few milliseconds (a band, a key range, 4,096 documents or candidate pairs). The latch makes the
 * outcome final: a flag lowered again later cannot make a run that skipped work look complete. */
static inline gboolean
cancelled(const NdFindOptions *o)
{
  RunOptions *run = (RunOptions *)(gpointer)o;
  if (g_atomic_int_get(&run->stopped))
    return TRUE;
  if (o->cancel_flag != NULL && g_atomic_int_get(o->cancel_flag) != 0) {
    g_atomic_int_set(&run->stopped, 1);
    return TRUE;
  }
  return FALSE;
}

guint64
nd_cand_pair_code(guint a, guint b)
{
  return a < b ? ((guint64)a << 32) | b : ((guint64)b << 32) | a;
}

/* Appends every pair of documents within each run of equal keys of the sorted records (packed as
 * key << 32 | document). */
void
nd_cand_emit_runs(const guint64 *rec, gsize n, GArray *out)
{
  for (gsize i = 0; i < n;) {
    gsize j = i + 1;
    while (j < n && (rec[j] >> 32) == (rec[i] >> 32))
      j++;
    for (gsize x = i; x < j; x++)
      for (gsize y = x + 1; y < j; y++) {
        guint32 dx = (guint32)rec[x], dy = (guint32)rec[y];
        if (dx == dy)
          continue;
        guint64 code = nd_cand_pair_code(dx, dy);
        g_array_append_val(out, code);
      }
    i = j;
  }
}

void
nd_cand_sort_unique(GArray *codes)
{
  if (codes->len == 0)
    return;
  g_autofree guint64 *scratch = g_new(guint64, codes->len);
  guint64 *c = (guint64 *)codes->data;
  nd_sort_u64(c, scratch, codes->len);
  gsize out = 1;
  for (gsize i = 1; i < codes->len; i++)
    if (c[i] != c[out - 1])
      c[out++] = c[i];
  g_array_set_size(codes, (guint)out);
}

/* LSH over groups of identical band keys. Copies of one article (a wire story printed by hundreds
 * of sites, a boilerplate page crawled thousands of times) agree in every band, so banding them one
 * by one would emit each of their pairs once per band: 3,000 copies made 144 million candidate
 * records (1.1 GB) for 4.5 million distinct pairs. Documents whose band keys (or signatures) are
 * identical form one group; the bands see one representative per group, and the representatives'
 * candidate pairs are expanded to their members' pairs at the end, with every pair inside a group.
 * A job's records are also de-duplicated whenever they double, so near-copies, which share most but
 * not all bands, cost memory in proportion to their distinct pairs, not to bands x pairs. */
typedef struct {
  guint n_groups;
  guint32 *rep;         /* the first (lowest) document of each group */
  guint32 *group_of;    /* document -> group */
  guint32 *start;       /* group g's members are member[start[g] .. start[g + 1]), ascending */
  guint32 *member;
} BandGroups;

static void
band_groups_clear(BandGroups *g)
{
  g_free(g->rep);
  g_free(g->group_of);
  g_free(g->start);
  g_free(g->member);
}

/* The bytes that decide every band key of d: its band keys when the documents carry them, else its
 * signature. */
static const void *
band_bytes(const NdDocument *d, gboolean use_band_keys, guint bands, guint num_perm, gsize *len)
{
  *len = use_band_keys ? bands * sizeof(guint32) : num_perm * sizeof(guint32);
  return use_band_keys ? (const void *)d->band_keys : (const void *)d->signature;
}

static void
band_groups_build(const NdCollection *coll, gboolean use_band_keys, guint bands, BandGroups *g)
{
  guint n = nd_collection_size(coll);
  guint num_perm = nd_collection_params(coll)->num_perm;
  /* Records hash << 32 | document, sorted stably by the 32-bit hash: documents ascending within a
   * run. Equal hashes are only a hint; the bytes decide. */
  g_autofree guint64 *rec = g_new(guint64, n + 1);
  g_autofree guint64 *scratch = g_new(guint64, n + 1);
  for (guint i = 0; i < n; i++) {
    gsize len;
    const void *bytes = band_bytes(nd_collection_get(coll, i), use_band_keys, bands, num_perm, &len);
    rec[i] = (XXH3_64bits(bytes, len) & G_GUINT64_CONSTANT(0xFFFFFFFF00000000)) | i;
  }
  nd_sort_u64_high32(rec, scratch, n);
  /* first_of[i]: the lowest document with bytes equal to i's. Within a run of equal hashes each
   * document is compared with the run's distinct firsts so far (runs are short: copies, and the rare
   * hash collision). */
  g_autofree guint32 *first_of = g_new(guint32, n + 1);
  g_autofree guint32 *firsts = g_new(guint32, n + 1); /* the current run's distinct firsts */
  for (guint i = 0; i < n;) {
    guint j = i + 1;
    while (j < n && (rec[j] >> 32) == (rec[i] >> 32))
      j++;
    guint n_firsts = 0;
    for (guint k = i; k < j; k++) {
      guint32 doc = (guint32)rec[k];
      gsize len;
      const void *b = band_bytes(nd_collection_get(coll, doc), use_band_keys, bands, num_perm, &len);
      first_of[doc] = doc;
      for (guint f = 0; f < n_firsts; f++) {
        gsize len0;
        const void *b0 = band_bytes(nd_collection_get(coll, firsts[f]), use_band_keys, bands, num_perm, &len0);
        if (memcmp(b, b0, len) == 0) {
          first_of[doc] = firsts[f];
          break;
        }
      }
      if (first_of[doc] == doc)
        firsts[n_firsts++] = doc;
    }
    i = j;
  }
  /* Groups numbered in the order of their first documents, so the bands read the documents in
   * memory order; members listed by a counting pass, ascending. */
  g->group_of = g_new(guint32, n + 1);
  g->rep = g_new(guint32, n + 1);
  g->start = g_new0(guint32, n + 2);
  g->member = g_new(guint32, n + 1);
  guint n_groups = 0;
  for (guint i = 0; i < n; i++) {
    if (first_of[i] == i)
      g->rep[n_groups++] = i;
    g->group_of[i] = first_of[i] == i ? n_groups - 1 : g->group_of[first_of[i]];
    g->start[g->group_of[i] + 1]++;
  }
  for (guint gi = 0; gi < n_groups; gi++)
    g->start[gi + 1] += g->start[gi];
  g_autofree guint32 *fill = g_memdup2(g->start, (n_groups + 1) * sizeof(guint32));
  for (guint i = 0; i < n; i++)
    g->member[fill[g->group_of[i]]++] = i;
  g->n_groups = n_groups;
}

typedef struct {
  const NdCollection *coll;
  const NdLshParams *lsh;
  const BandGroups *groups;
  guint first_band, band_step;
  GArray *codes;     /* guint64 pair codes of representatives found in this job's bands */
  gboolean use_band_keys; /* the documents carry their band keys (signed with these bands and rows) */
  const NdFindOptions *options;
} LshJob;

/* Buckets the job's bands (first_band, first_band + band_step, ...) one at a time. */
static gpointer
lsh_bands(gpointer data)
{
  LshJob *job = data;
  guint n = job->groups->n_groups;
  g_autofree guint64 *rec = g_new(guint64, n + 1);
  g_autofree guint64 *scratch = g_new(guint64, n + 1);
  gsize compact_at = 1 << 20;
  for (guint band = job->first_band; band < job->lsh->bands && !cancelled(job->options); band += job->band_step) {
    for (guint g = 0; g < n; g++) {
      guint32 i = job->groups->rep[g];
      rec[g] = nd_cand_band_key(nd_collection_get(job->coll, i), job->use_band_keys, band, job->lsh->rows) | i;
    }
    nd_sort_u64_high32(rec, scratch, n);
    nd_cand_emit_runs(rec, n, job->codes);
    if (job->codes->len >= compact_at) { /* pairs found again in this band: keep one of each */
      nd_cand_sort_unique(job->codes);
      compact_at = MAX((gsize)job->codes->len * 2, (gsize)1 << 20);
    }
  }
  return NULL;
}

gboolean
nd_cand_use_band_keys(const NdSignParams *params, const NdLshParams *lsh)
{
  return params->lsh_bands == lsh->bands && params->lsh_rows == lsh->rows;
}

guint64
nd_cand_band_key(const NdDocument *d, gboolean use_band_keys, guint band, guint rows)
{
  /* The high 32 bits of the band key suffice to bucket: an accidental collision only adds a
   * candidate, which verification removes. */
  guint64 key = use_band_keys ? (guint64)d->band_keys[band] << 32 : nd_lsh_band_key(d->signature, band, rows);
  return key & G_GUINT64_CONSTANT(0xFFFFFFFF00000000);
}

/* Appends the candidate pairs of LSH to `out`, distinct; returns how many. */
static guint64
lsh_candidates(const NdCollection *coll, const NdLshParams *lsh, const NdFindOptions *o, guint threads, GArray *out)
{
  const gboolean use_band_keys = nd_cand_use_band_keys(nd_collection_params(coll), lsh);
  BandGroups groups;
  band_groups_build(coll, use_band_keys, lsh->bands, &groups);
  if (groups.n_groups < 4096)
    threads = 1;
  threads = MIN(threads, lsh->bands);
  g_autofree LshJob *jobs = g_new0(LshJob, threads);
  g_autofree GThread **tids = g_new0(GThread *, threads);
  for (guint t = 0; t < threads; t++) {
    jobs[t] = (LshJob){ coll, lsh, &groups, t, threads, g_array_new(FALSE, FALSE, sizeof(guint64)), use_band_keys,
                        o };
    if (threads > 1)
      tids[t] = g_thread_new("neardup-lsh", lsh_bands, &jobs[t]);
    else
      lsh_bands(&jobs[t]);
  }
  g_autoptr(GArray) reps = g_array_new(FALSE, FALSE, sizeof(guint64));
  for (guint t = 0; t < threads; t++) {
    if (threads > 1)
      g_thread_join(tids[t]);
    g_array_append_vals(reps, jobs[t].codes->data, jobs[t].codes->len);
    g_array_unref(jobs[t].codes);
  }
  nd_cand_sort_unique(reps);
  /* Expand: every pair inside a group, and every member pair of two candidate representatives. */
  guint64 before = out->len;
  for (guint g = 0; g < groups.n_groups && !cancelled(o); g++)
    for (guint32 x = groups.start[g]; x < groups.start[g + 1]; x++)
      for (guint32 y = x + 1; y < groups.start[g + 1]; y++) {
        guint64 code = nd_cand_pair_code(groups.member[x], groups.member[y]);
        g_array_append_val(out, code);
      }
  const guint64 *rc = (const guint64 *)reps->data;
  for (guint k = 0; k < reps->len && !cancelled(o); k++) {
    guint ga = groups.group_of[rc[k] >> 32], gb = groups.group_of[rc[k] & G_MAXUINT32];
    for (guint32 x = groups.start[ga]; x < groups.start[ga + 1]; x++)
      for (guint32 y = groups.start[gb]; y < groups.start[gb + 1]; y++) {
        guint64 code = nd_cand_pair_code(groups.member[x], groups.member[y]);
        g_array_append_val(out, code);
      }
  }
  band_groups_clear(&groups);
  return out->len - before;
}

/* Whether sorted a[0 .. n) holds key. */
static gboolean
bsearch_u32(const guint32 *a, guint n, guint32 key)
{
  guint lo = 0, hi = n;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (a[mid] < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && a[lo] == key;
}

/* ---- shared keys (anchors, rare words) ----
 *
 * Records (key << 32 | document) are sorted one key range (top 4 bits of the key) at a time, the
 * ranges spread over the threads: each range's sort needs 1/16 of the memory of one big sort. Every
 * run of one key in 2..max_df documents emits each two of its documents with a weight, once per
 * shared key; the caller sorts them by pair and adds the weights up. */

/* The sorted distinct keys of each document: anchors, or the rare words of the run. */
typedef struct {
  const guint32 *const *keys;
  const guint32 *n_keys;
} KeyLists;

#define KEY_PARTITIONS 16
/* A key shared by at most full_df documents weighs WEIGHT_ONE; a commoner one WEIGHT_ONE / df. */
#define WEIGHT_ONE ND_ANCHOR_WEIGHT_ONE

typedef struct {
  const KeyLists *lists;
  guint n;
  guint full_df, max_df;       /* keys in more than max_df documents make no pairs */
  const NdFindOptions *options;
  guint first, step;           /* the partitions this job sorts: first, first + step, ... */
  GArray *found;               /* NdKeyed: pair code, weight */
} PairJob;

static gpointer
pairs_of_partitions(gpointer data)
{
  PairJob *job = data;
  const guint n = job->n;
  const guint32 *const *keys = job->lists->keys;
  const guint32 *n_keys = job->lists->n_keys;
  g_autoptr(GArray) rec = g_array_new(FALSE, FALSE, sizeof(guint64));
  g_autofree guint64 *scratch = NULL;
  gsize scratch_cap = 0;
  /* cursor[i]: where document i's keys of the next partition of this job begin. The partitions go
   * up in key order, so each list is walked once (a short skip over the partitions of other jobs),
   * not binary-searched once per partition. */
  g_autofree guint32 *cursor = g_new0(guint32, n + 1);
  for (guint q = job->first; q < KEY_PARTITIONS && !cancelled(job->options); q += job->step) {
    g_array_set_size(rec, 0);
    for (guint i = 0; i < n; i++) {
      if (i + 8 < n) /* the lists are scattered: each pass would wait on a miss per document */
        __builtin_prefetch(keys[i + 8] + cursor[i + 8]);
      const guint32 *k = keys[i];
      guint32 c = cursor[i];
      while (c < n_keys[i] && (k[c] >> 28) < q)
        c++;
      const guint32 from = c;
      while (c < n_keys[i] && (k[c] >> 28) == q)
        c++;
      guint at = rec->len;
      g_array_set_size(rec, at + (c - from));
      guint64 *r = (guint64 *)rec->data + at;
      for (guint32 x = from; x < c; x++)
        r[x - from] = ((guint64)k[x] << 32) | i;
      cursor[i] = c;
    }
    if (rec->len > scratch_cap) {
      scratch_cap = rec->len;
      g_free(scratch);
      scratch = g_new(guint64, scratch_cap);
    }
    nd_sort_u64_high32((guint64 *)rec->data, scratch, rec->len);
    nd_cand_weighted_runs((const guint64 *)rec->data, rec->len, job->full_df, job->max_df, job->found);
  }
  return NULL;
}

void
nd_cand_weighted_runs(const guint64 *r, gsize n, guint full_df, guint max_df, GArray *found)
{
  for (gsize i = 0; i < n;) {
    gsize j = i + 1;
    while (j < n && (r[j] >> 32) == (r[i] >> 32))
      j++;
    gsize df = j - i;
    if (df >= 2 && df <= max_df) {
      guint32 weight = df <= full_df ? WEIGHT_ONE : (guint32)(WEIGHT_ONE / df);
      for (gsize x = i; x < j; x++)
        for (gsize y = x + 1; y < j; y++) {
          NdKeyed e = { nd_cand_pair_code((guint32)r[x], (guint32)r[y]), weight, 0 };
          g_array_append_val(found, e);
        }
    }
    i = j;
  }
}

void
nd_cand_sum_by_pair(GArray *found)
{
  if (found->len < 2)
    return;
  g_autofree NdKeyed *scratch = g_new(NdKeyed, found->len);
  NdKeyed *f = (NdKeyed *)found->data;
  nd_sort_keyed(f, scratch, found->len);
  guint out = 0;
  for (guint i = 0; i < found->len;) {
    guint64 weight = 0;
    guint j = i;
    for (; j < found->len && f[j].key == f[i].key; j++)
      weight += f[j].value;
    f[out] = f[i];
    f[out].value = (guint32)MIN(weight, (guint64)G_MAXUINT32);
    out++;
    i = j;
  }
  g_array_set_size(found, out);
}

guint64
nd_cand_sum_weights(GArray *found, guint64 min_weight, GArray *out)
{
  nd_cand_sum_by_pair(found);
  guint64 pairs = 0;
  for (guint i = 0; i < found->len; i++) {
    const NdKeyed *e = &g_array_index(found, NdKeyed, i);
    if (e->value >= min_weight) {
      g_array_append_val(out, e->key);
      pairs++;
    }
  }
  return pairs;
}

/* The pairs of documents whose shared keys of `lists` weigh at least `min_weight` (WEIGHT_ONE per
 * key in at most full_df documents, WEIGHT_ONE / df for one in df more, none beyond max_df):
 * appended to `out`, distinct; returns how many. */
static guint64
shared_key_pairs(const KeyLists *lists, guint n, guint full_df, guint max_df, guint64 min_weight,
                 const NdFindOptions *o, guint threads, GArray *out)
{
  if (n < 1024 || threads == 0)
    threads = 1;
  threads = MIN(threads, KEY_PARTITIONS);
  g_autofree PairJob *jobs = g_new0(PairJob, threads);
  g_autofree GThread **tids = g_new0(GThread *, threads);
  for (guint t = 0; t < threads; t++) {
    jobs[t] = (PairJob){ lists, n, full_df, max_df, o, t, threads, g_array_new(FALSE, FALSE, sizeof(NdKeyed)) };
    if (threads > 1)
      tids[t] = g_thread_new("neardup-index", pairs_of_partitions, &jobs[t]);
    else
      pairs_of_partitions(&jobs[t]);
  }
  g_autoptr(GArray) found = g_array_new(FALSE, FALSE, sizeof(NdKeyed));
  for (guint t = 0; t < threads; t++) {
    if (threads > 1)
      g_thread_join(tids[t]);
    g_array_append_vals(found, jobs[t].found->data, jobs[t].found->len);
    g_array_unref(jobs[t].found);
  }
  return nd_cand_sum_weights(found, min_weight, out);
}

/* ---- boilerplate ---- */

GArray *
nd_find_boilerplate(const NdCollection *coll, guint64 *articles)
{
  guint n = nd_collection_size(coll);
  g_autoptr(GArray) rec = g_array_new(FALSE, FALSE, sizeof(guint64));
  for (guint i = 0; i < n; i++) {
    const NdDocument *d = nd_collection_get(coll, i);
    for (guint32 l = 0; l < d->n_lines; l++) {
      guint64 r = ((guint64)d->lines[l] << 32) | i;
      g_array_append_val(rec, r);
    }
  }
  GArray *keys = g_array_new(FALSE, FALSE, sizeof(guint32));
  if (rec->len > 0) {
    g_autofree guint64 *scratch = g_new(guint64, rec->len);
    nd_sort_u64_high32((guint64 *)rec->data, scratch, rec->len);
  }
  nd_cand_boilerplate_runs((const guint64 *)rec->data, rec->len, keys);
  if (articles != NULL) {
    *articles = 0;
    for (guint i = 0; i < n; i++) {
      const NdDocument *d = nd_collection_get(coll, i);
      *articles += nd_cand_has_boilerplate(d->lines, d->n_lines, (const guint32 *)keys->data, keys->len);
    }
  }
  return keys;
}

gboolean
nd_cand_has_boilerplate(const guint32 *lines, guint32 n_lines, const guint32 *bp, guint n_bp)
{
  for (guint32 l = 0; l < n_lines; l++)
    if (bsearch_u32(bp, n_bp, lines[l]))
      return TRUE;
  return FALSE;
}

void
nd_cand_boilerplate_runs(const guint64 *r, gsize n, GArray *keys)
{
  for (gsize i = 0; i < n;) {
    gsize j = i + 1;
    while (j < n && (r[j] >> 32) == (r[i] >> 32))
      j++;
    if (j - i >= ND_BOILERPLATE_MIN_ARTICLES) {
      guint32 key = (guint32)(r[i] >> 32);
      g_array_append_val(keys, key);
    }
    i = j;
  }
}

guint32 *
nd_cand_drop_boilerplate(const NdDocument *d, const guint32 *bp, guint n_bp, guint32 *n_out)
{
  *n_out = 0;
  if (n_bp == 0 || d->n_line_anchors == 0)
    return NULL;
  /* The anchors of this document's boilerplate lines, sorted (line_anchors is sorted by anchor). */
  g_autoptr(GArray) drop = g_array_new(FALSE, FALSE, sizeof(guint32));
  for (guint32 x = 0; x < d->n_line_anchors; x++)
    if (bsearch_u32(bp, n_bp, d->line_anchors[2 * x + 1]))
      g_array_append_val(drop, d->line_anchors[2 * x]);
  if (drop->len == 0)
    return NULL;
  guint32 *kept = g_new(guint32, d->n_anchors + 1);
  guint32 n = 0;
  const guint32 *dr = (const guint32 *)drop->data;
  for (guint32 x = 0, y = 0; x < d->n_anchors; x++) {
    while (y < drop->len && dr[y] < d->anchors[x])
      y++;
    if (y == drop->len || dr[y] != d->anchors[x])
      kept[n++] = d->anchors[x];
  }
  *n_out = n;
  return kept;
}

/* The documents of a run with the anchors of their boilerplate lines left out: copies of the affected
 * documents (sharing everything but the anchors), the others as they are. */
typedef struct {
  const NdDocument **doc;
  NdDocument **copies;   /* owned copies (their anchors owned too), NULL where unaffected */
  guint n;
} View;

static void
view_clear(View *v)
{
  for (guint i = 0; v->copies && i < v->n; i++)
    if (v->copies[i]) {
      g_free(v->copies[i]->anchors);
      g_free(v->copies[i]);
    }
  g_free(v->copies);
  g_free(v->doc);
}

static void
view_build(const NdCollection *coll, const guint32 *bp, guint n_bp, View *v)
{
  v->n = nd_collection_size(coll);
  v->doc = g_new(const NdDocument *, v->n + 1);
  v->copies = g_new0(NdDocument *, v->n + 1);
  for (guint i = 0; i < v->n; i++) {
    const NdDocument *d = nd_collection_get(coll, i);
    v->doc[i] = d;
    guint32 n_kept;
    guint32 *kept = nd_cand_drop_boilerplate(d, bp, n_bp, &n_kept);
    if (kept == NULL)
      continue;
    NdDocument *c = g_new(NdDocument, 1);
    *c = *d;
    c->anchors = kept;
    c->n_anchors = n_kept;
    v->copies[i] = c;
    v->doc[i] = c;
  }
}

/* Pairs sharing passage anchors (score.h). */
static guint64
anchor_candidates(const View *view, const NdFindOptions *o, guint threads, GArray *out)
{
  guint n = view->n;
  g_autofree const guint32 **keys = g_new(const guint32 *, n + 1);
  g_autofree guint32 *n_keys = g_new(guint32, n + 1);
  for (guint i = 0; i < n; i++) {
    const NdDocument *d = view->doc[i];
    keys[i] = d->anchors;
    n_keys[i] = d->anchors ? d->n_anchors : 0;
  }
  KeyLists lists = { keys, n_keys };
  guint full_df, max_df;
  guint64 min_weight;
  nd_cand_anchor_rule(o, &full_df, &max_df, &min_weight);
  return shared_key_pairs(&lists, n, full_df, max_df, min_weight, o, threads, out);
}

gboolean
nd_cand_anchor_rule(const NdFindOptions *o, guint *full_df, guint *max_df, guint64 *min_weight)
{
  *full_df = MIN((guint)ND_ANCHOR_RARE_DF, o->max_posting);
  *max_df = o->max_posting;
  *min_weight = (guint64)ND_ANCHOR_MIN_WEIGHT;
  /* With neither the containment nor the score rule, only Jaccard can report a pair: LSH suffices. */
  return o->anchors && (o->containment > 0 || o->score > 0);
}

/* ---- the batch's vocabulary ----
 *
 * The document frequency of every word of every document, one key range (top 4 bits of the word key)
 * at a time: the range's words are counted in an open-addressing table small enough to stay in
 * cache, then each document's words of the range (consecutive in its sorted list) read their counts
 * back in order. */
typedef struct {
  guint n_docs;
  guint16 **df;          /* per document, aligned with its words; saturated at G_MAXUINT16 */
  double *weight;        /* per document: the sum of its words' weights */
  float *weights;        /* nd_word_weight(df, n) for df = 0 .. G_MAXUINT16 */
} Vocabulary;

static void
vocabulary_clear(Vocabulary *v)
{
  for (guint i = 0; v->df && i < v->n_docs; i++)
    g_free(v->df[i]);
  g_free(v->df);
  g_free(v->weight);
  g_free(v->weights);
}

/* Word counts: keys with a count, slots empty while their count is 0. */
typedef struct {
  guint32 *key, *count;
  gsize mask, used;
} WordCounts;

static gsize
word_slot(const WordCounts *t, guint32 key)
{
  gsize i = (gsize)((key * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15)) >> 32) & t->mask;
  while (t->count[i] != 0 && t->key[i] != key)
    i = (i + 1) & t->mask;
  return i;
}

static void
word_counts_reset(WordCounts *t, gsize expected)
{
  gsize cap = 1024;
  while (cap < expected * 2)
    cap *= 2;
  if (cap != t->mask + 1) {
    g_free(t->key);
    g_free(t->count);
    t->key = g_new(guint32, cap);
    t->count = g_new(guint32, cap);
    t->mask = cap - 1;
  }
  memset(t->count, 0, cap * sizeof(guint32));
  t->used = 0;
}

static void
word_counts_add(WordCounts *t, guint32 key)
{
  if (G_UNLIKELY(t->used * 10 >= (t->mask + 1) * 7)) { /* grow at 70% */
    WordCounts big = { NULL, NULL, 0, 0 };
    word_counts_reset(&big, t->mask + 1);
    for (gsize i = 0; i <= t->mask; i++)
      if (t->count[i] != 0) {
        gsize j = word_slot(&big, t->key[i]);
        big.key[j] = t->key[i];
        big.count[j] = t->count[i];
        big.used++;
      }
    g_free(t->key);
    g_free(t->count);
    *t = big;
  }
  gsize i = word_slot(t, key);
  if (t->count[i]++ == 0) {
    t->key[i] = key;
    t->used++;
  }
}

typedef struct {
  const NdCollection *coll;
  Vocabulary *v;
  const NdFindOptions *options;
  guint first, step;
} FrequencyJob;

static gpointer
count_frequencies(gpointer data)
{
  FrequencyJob *job = data;
  const guint n = nd_collection_size(job->coll);
  g_autofree guint32 *cursor = g_new0(guint32, n + 1);  /* start of the partition in each word list */
  g_autofree guint32 *stop = g_new0(guint32, n + 1);    /* and its end */
  WordCounts table = { NULL, NULL, 0, 0 };
  gsize expected = 0;
  for (guint q = job->first; q < KEY_PARTITIONS && !cancelled(job->options); q += job->step) {
    word_counts_reset(&table, expected);
    for (guint i = 0; i < n; i++) {
      const NdDocument *d = nd_collection_get(job->coll, i);
      guint32 c = MAX(cursor[i], stop[i]);
      while (c < d->n_words && (d->words[c] >> 28) < q)
        c++;
      cursor[i] = c;
      for (; c < d->n_words && (d->words[c] >> 28) == q; c++)
        word_counts_add(&table, d->words[c]);
      stop[i] = c;
    }
    expected = table.used;
    for (guint i = 0; i < n; i++) {
      const NdDocument *d = nd_collection_get(job->coll, i);
      guint16 *out = job->v->df[i];
      for (guint32 c = cursor[i]; c < stop[i]; c++)
        out[c] = (guint16)MIN(table.count[word_slot(&table, d->words[c])], (guint32)G_MAXUINT16);
    }
  }
  g_free(table.key);
  g_free(table.count);
  return NULL;
}

/* The batch's word frequencies, when there are statistics to compute: a batch of at least
 * ND_VOCABULARY_MIN_BATCH documents that all carry their words. FALSE otherwise (or cancelled). */
static gboolean
vocabulary_build(const NdCollection *coll, const NdFindOptions *o, guint threads, Vocabulary *v)
{
  memset(v, 0, sizeof *v);
  guint n = nd_collection_size(coll);
  if (n < ND_VOCABULARY_MIN_BATCH || nd_collection_is_lean(coll))
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (nd_collection_get(coll, i)->words == NULL)
      return FALSE;
  v->n_docs = n;
  v->df = g_new0(guint16 *, n);
  for (guint i = 0; i < n; i++)
    v->df[i] = g_new(guint16, nd_collection_get(coll, i)->n_words + 1);
  if (n < 1024 || threads == 0)
    threads = 1;
  threads = MIN(threads, KEY_PARTITIONS);
  g_autofree FrequencyJob *jobs = g_new0(FrequencyJob, threads);
  g_autofree GThread **tids = g_new0(GThread *, threads);
  for (guint t = 0; t < threads; t++) {
    jobs[t] = (FrequencyJob){ coll, v, o, t, threads };
    if (threads > 1)
      tids[t] = g_thread_new("neardup-vocabulary", count_frequencies, &jobs[t]);
    else
      count_frequencies(&jobs[t]);
  }
  for (guint t = 0; t < threads && threads > 1; t++)
    g_thread_join(tids[t]);
  if (cancelled(o))
    return FALSE;
  v->weights = g_new(float, G_MAXUINT16 + 1);
  for (guint32 df = 0; df <= G_MAXUINT16; df++)
    v->weights[df] = (float)nd_word_weight(df, n);
  v->weight = g_new0(double, n);
  for (guint i = 0; i < n; i++) {
    const NdDocument *d = nd_collection_get(coll, i);
    for (guint32 w = 0; w < d->n_words; w++)
      v->weight[i] += v->weights[v->df[i][w]];
  }
  return TRUE;
}

static NdWordProfile
word_profile(const Vocabulary *v, const NdDocument *d, guint i)
{
  return (NdWordProfile){ d->words, v->df[i], d->n_words, v->weight[i] };
}

/* Pairs sharing ND_RARE_WORDS_SHARED rare words (score.h): words in 2..ND_RARE_WORD_MAX_DF articles. */
static guint64
rare_word_candidates(const NdCollection *coll, const Vocabulary *v, const NdFindOptions *o, guint threads,
                     GArray *out)
{
  guint n = v->n_docs;
  g_autofree guint32 **keys = g_new0(guint32 *, n + 1);
  g_autofree guint32 *n_keys = g_new0(guint32, n + 1);
  for (guint i = 0; i < n; i++) {
    const NdDocument *d = nd_collection_get(coll, i);
    guint32 m = 0;
    keys[i] = g_new(guint32, d->n_words + 1);
    for (guint32 w = 0; w < d->n_words; w++) /* the words are sorted, so are these */
      if (v->df[i][w] >= 2 && v->df[i][w] <= ND_RARE_WORD_MAX_DF)
        keys[i][m++] = d->words[w];
    n_keys[i] = m;
  }
  KeyLists lists = { (const guint32 *const *)keys, n_keys };
  guint64 found = shared_key_pairs(&lists, n, ND_RARE_WORD_MAX_DF, ND_RARE_WORD_MAX_DF,
                                   (guint64)ND_RARE_WORDS_SHARED * WEIGHT_ONE, o, threads, out);
  for (guint i = 0; i < n; i++)
    g_free(keys[i]);
  return found;
}

/* ---- verification ---- */

typedef struct {
  const NdSignParams *params;
  const NdDocument *const *doc; /* by number: the documents, boilerplate anchors left out */
  const NdFindOptions *options;
  const Vocabulary *vocabulary; /* NULL without batch statistics */
  const guint64 *codes;
  gsize begin, end;
  GArray *found; /* NdPair */
} VerifyJob;

static gpointer
verify_range(gpointer data)
{
  VerifyJob *job = data;
  const NdSignParams *sp = job->params;
  const NdReportRule rule = nd_find_options_rule(job->options);
  guint num_perm = sp->num_perm;
  for (gsize i = job->begin; i < job->end; i++) {
    if (((i - job->begin) & 4095) == 0 && cancelled(job->options))
      break;
    /* The codes are sorted, so a is mostly the same document; b is anywhere: fetch its lists ahead
     * (first its document, then the lists it points to), or every pair starts on cache misses. */
    if (i + 8 < job->end)
      __builtin_prefetch(job->doc[job->codes[i + 8] & G_MAXUINT32]);
    if (i + 4 < job->end) {
      const NdDocument *ahead = job->doc[job->codes[i + 4] & G_MAXUINT32];
      __builtin_prefetch(ahead->set);
      __builtin_prefetch(ahead->words);
    }
    NdPair p = { .a = (guint)(job->codes[i] >> 32), .b = (guint)(job->codes[i] & G_MAXUINT32) };
    const NdDocument *da = job->doc[p.a], *db = job->doc[p.b];
    gboolean no_evidence = da->set == NULL && db->set == NULL && (da->signature == NULL || db->signature == NULL) &&
                           !(da->n_fingerprints || db->n_fingerprints);
    if (no_evidence && da->band_keys && db->band_keys && sp->lsh_bands > 0)
      nd_score_pair_from_bands(da, db, sp->lsh_bands, sp->lsh_rows, &p);
    else
      nd_score_pair(da, db, num_perm, job->options->verify, &p);
    if (job->vocabulary != NULL) {
      if (nd_pair_needs_vocabulary(&p, job->vocabulary->weight[p.a], job->vocabulary->weight[p.b], &rule)) {
        NdWordProfile wa = word_profile(job->vocabulary, da, p.a), wb = word_profile(job->vocabulary, db, p.b);
        nd_score_vocabulary(&wa, &wb, job->vocabulary->weights, &p);
      } else { /* not reported whatever it shares: no need to merge the word lists */
        p.has_vocabulary = TRUE;
      }
    }
    if (nd_pair_report(&p, &rule))
      g_array_append_val(job->found, p);
  }
  return NULL;
}

/* The reported pairs among codes[0..n) (sorted), verified on `threads` threads: an NdPair array in
 * the order of the codes. */
static GArray *
verify_codes(const NdSignParams *params, const NdDocument *const *doc, const NdFindOptions *o,
             const Vocabulary *vocabulary, const guint64 *codes, gsize n, guint threads)
{
  if (n < 4096)
    threads = 1;
  g_autofree VerifyJob *jobs = g_new0(VerifyJob, threads);
  g_autofree GThread **tids = g_new0(GThread *, threads);
  for (guint t = 0; t < threads; t++) {
    jobs[t] = (VerifyJob){ params, doc, o, vocabulary, codes, n * t / threads, n * (t + 1) / threads,
                           g_array_new(FALSE, FALSE, sizeof(NdPair)) };
    if (threads > 1)
      tids[t] = g_thread_new("neardup-verify", verify_range, &jobs[t]);
    else
      verify_range(&jobs[t]);
  }
  GArray *pairs = g_array_new(FALSE, FALSE, sizeof(NdPair));
  for (guint t = 0; t < threads; t++) {
    if (threads > 1)
      g_thread_join(tids[t]);
    g_array_append_vals(pairs, jobs[t].found->data, jobs[t].found->len);
    g_array_unref(jobs[t].found);
  }
  return pairs;
}

GArray *
nd_cand_verify(const NdSignParams *params, const NdDocument *const *doc, const NdFindOptions *o, const guint64 *codes,
               gsize n, guint threads, GError **error)
{
  RunOptions run = { *o, 0 };
  GArray *pairs = verify_codes(params, doc, &run.options, NULL, codes, n, threads ? threads : g_get_num_processors());
  if (cancelled(&run.options)) {
    g_array_unref(pairs);
    g_set_error_literal(error, ND_ERROR, ND_ERROR_CANCELLED, "cancelled during the verification");
    return NULL;
  }
  return pairs;
}

/* nd_find_pairs, with the LSH and anchor candidates and the boilerplate lines of `given` when it is
 * not NULL. */
static GArray *
find_pairs(const NdCollection *coll, const NdFindOptions *o, const NdGivenCandidates *given, NdFindStats *stats_out,
           GError **error)
{
  if (!nd_find_options_validate(o, error))
    return NULL;
  RunOptions run = { *o, 0 };
  o = &run.options; /* the phases below find the cancellation latch through it */
  const NdSignParams *sp = nd_collection_params(coll);
  if (o->verify == ND_VERIFY_EXACT && (!sp->keep_sets || nd_collection_is_lean(coll))) {
    g_set_error_literal(error, ND_ERROR, ND_ERROR_INVALID_ARG,
                        "exact verification needs shingle sets, but the collection does not keep them");
    return NULL;
  }
  if (o->verify == ND_VERIFY_SAMPLE && sp->fingerprint_sampling == 0) {
    g_set_error_literal(error, ND_ERROR, ND_ERROR_INVALID_ARG,
                        "sampled verification needs fingerprints, but the collection was signed without them");
    return NULL;
  }
  if (o->verify == ND_VERIFY_SIGNATURE && !sp->keep_signature) {
    g_set_error_literal(error, ND_ERROR, ND_ERROR_INVALID_ARG,
                        "signature verification needs signatures, but the collection does not keep them");
    return NULL;
  }
  NdFindStats stats = { 0 };
  double lsh_threshold = o->lsh_threshold > 0.0 ? o->lsh_threshold : o->threshold;
  if (!nd_lsh_params_for(lsh_threshold, sp->num_perm, ND_LSH_FN_WEIGHT, &stats.lsh, error))
    return NULL;

  guint threads = o->threads ? o->threads : g_get_num_processors();
  gint64 t0 = g_get_monotonic_time();
  g_autoptr(GArray) codes = g_array_new(FALSE, FALSE, sizeof(guint64));
  g_autoptr(GArray) boilerplate = NULL;
  View view;
  gint64 t_anchor;
  if (given == NULL) {
    stats.candidates_lsh = lsh_candidates(coll, &stats.lsh, o, threads, codes);
    gint64 t_lsh = g_get_monotonic_time();
    boilerplate = nd_find_boilerplate(coll, &stats.boilerplate_articles);
    stats.boilerplate_lines = boilerplate->len;
    view_build(coll, (const guint32 *)boilerplate->data, boilerplate->len, &view);
    guint full_df, max_df;
    guint64 min_weight;
    if (nd_cand_anchor_rule(o, &full_df, &max_df, &min_weight) && !cancelled(o))
      stats.candidates_anchor = anchor_candidates(&view, o, threads, codes);
    t_anchor = g_get_monotonic_time();
    stats.seconds_lsh = (t_lsh - t0) / 1e6;
    stats.seconds_anchor = (t_anchor - t_lsh) / 1e6;
  } else { /* found by the ranks (dist.c), with the same rules */
    g_array_append_vals(codes, given->codes, (guint)given->n_codes);
    stats.candidates_lsh = given->candidates_lsh;
    stats.candidates_anchor = given->candidates_anchor;
    stats.boilerplate_lines = given->n_boilerplate;
    stats.boilerplate_articles = given->boilerplate_articles;
    view_build(coll, given->boilerplate, given->n_boilerplate, &view);
    t_anchor = g_get_monotonic_time();
    stats.seconds_lsh = given->seconds_lsh;
    stats.seconds_anchor = given->seconds_anchor + (t_anchor - t0) / 1e6;
  }
  Vocabulary vocabulary = { 0 };
  stats.vocabulary = !cancelled(o) && vocabulary_build(coll, o, threads, &vocabulary);
  if (stats.vocabulary && o->score > 0 && !cancelled(o))
    stats.candidates_rare = rare_word_candidates(coll, &vocabulary, o, threads, codes);
  gint64 t_vocabulary = g_get_monotonic_time();
  if (cancelled(o)) {
    vocabulary_clear(&vocabulary);
    view_clear(&view);
    g_set_error_literal(error, ND_ERROR, ND_ERROR_CANCELLED, "cancelled during the candidate search");
    return NULL;
  }
  nd_cand_sort_unique(codes);
  stats.candidates = codes->len;
  gint64 t1 = g_get_monotonic_time();

  GArray *pairs = verify_codes(nd_collection_params(coll), view.doc, o, stats.vocabulary ? &vocabulary : NULL,
                               (const guint64 *)codes->data, codes->len, threads);
  vocabulary_clear(&vocabulary);
  view_clear(&view);
  if (cancelled(o)) { /* latched if any phase stopped early (the phases return normally) */
    g_array_unref(pairs);
    g_set_error_literal(error, ND_ERROR, ND_ERROR_CANCELLED, "cancelled during the candidate search");
    return NULL;
  }
  gint64 t2 = g_get_monotonic_time();
  stats.reported = pairs->len;
  stats.seconds_vocabulary = (t_vocabulary - t_anchor) / 1e6 + (t1 - t_vocabulary) / 1e6;
  stats.seconds_verify = (t2 - t1) / 1e6;
  if (stats_out != NULL)
    *stats_out = stats;
  return pairs;
}

GArray *
nd_find_pairs(const NdCollection *coll, const NdFindOptions *o, NdFindStats *stats_out, GError **error)
{
  return find_pairs(coll, o, NULL, stats_out, error);
}

GArray *
nd_find_pairs_given(const NdCollection *coll, const NdFindOptions *o, const NdGivenCandidates *given,
                    NdFindStats *stats, GError **error)
{
  g_return_val_if_fail(given != NULL, NULL);
  return find_pairs(coll, o, given, stats, error);
}

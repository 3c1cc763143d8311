/* finder.c — candidate generation (LSH bands + containment fingerprints), verification and the
 * report rule (all described in include/neardup/finder.h).
 *
 * Candidates are (a << 32 | b) 64-bit codes with a < b, so de-duplicating them and ordering the
 * output are one radix sort. Buckets are found by sorting (key, document) records rather than with
 * hash tables: the work is sequential memory traffic, and the result order is fixed.
 */
#include <neardup/neardup.h>
#include <math.h>
#include <string.h>
#include "hash.h"
#include "sort.h"

void
nd_find_options_init(NdFindOptions *o)
{
  *o = (NdFindOptions){
    .threshold = ND_DEFAULT_THRESHOLD,
    .containment = ND_DEFAULT_CONTAINMENT,
    .min_shared = 8,
    .verify = ND_VERIFY_EXACT,
    .fingerprint_sampling = 8,
    .max_posting = 500,
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

/* The options of one nd_find_pairs run, with its cancellation latch. Every static function below
 * that takes `const NdFindOptions *` is handed &run->options of a RunOptions. */
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

static inline guint64
pair_code(guint a, guint b)
{
  return a < b ? ((guint64)a << 32) | b : ((guint64)b << 32) | a;
}

/* Appends every pair of documents within each run of equal keys of the sorted records (packed as
 * key << 32 | document). */
static void
emit_runs(const guint64 *rec, gsize n, GArray *out)
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
        guint64 code = pair_code(dx, dy);
        g_array_append_val(out, code);
      }
    i = j;
  }
}

static void
sort_unique_codes(GArray *codes)
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
    /* The high 32 bits of the band key suffice to bucket: an accidental collision only adds a
     * candidate, which verification removes. */
    for (guint g = 0; g < n; g++) {
      guint32 i = job->groups->rep[g];
      const NdDocument *d = nd_collection_get(job->coll, i);
      guint64 key = job->use_band_keys ? (guint64)d->band_keys[band] << 32
                                       : nd_lsh_band_key(d->signature, band, job->lsh->rows);
      rec[g] = (key & G_GUINT64_CONSTANT(0xFFFFFFFF00000000)) | i;
    }
    nd_sort_u64_high32(rec, scratch, n);
    emit_runs(rec, n, job->codes);
    if (job->codes->len >= compact_at) { /* pairs found again in this band: keep one of each */
      sort_unique_codes(job->codes);
      compact_at = MAX((gsize)job->codes->len * 2, (gsize)1 << 20);
    }
  }
  return NULL;
}

/* Appends the candidate pairs of LSH to `out`, distinct; returns how many. */
static guint64
lsh_candidates(const NdCollection *coll, const NdLshParams *lsh, const NdFindOptions *o, guint threads, GArray *out)
{
  const NdSignParams *sp = nd_collection_params(coll);
  const gboolean use_band_keys = sp->lsh_bands == lsh->bands && sp->lsh_rows == lsh->rows;
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
  sort_unique_codes(reps);
  /* Expand: every pair inside a group, and every member pair of two candidate representatives. */
  guint64 before = out->len;
  for (guint g = 0; g < groups.n_groups && !cancelled(o); g++)
    for (guint32 x = groups.start[g]; x < groups.start[g + 1]; x++)
      for (guint32 y = x + 1; y < groups.start[g + 1]; y++) {
        guint64 code = pair_code(groups.member[x], groups.member[y]);
        g_array_append_val(out, code);
      }
  const guint64 *rc = (const guint64 *)reps->data;
  for (guint k = 0; k < reps->len && !cancelled(o); k++) {
    guint ga = groups.group_of[rc[k] >> 32], gb = groups.group_of[rc[k] & G_MAXUINT32];
    for (guint32 x = groups.start[ga]; x < groups.start[ga + 1]; x++)
      for (guint32 y = groups.start[gb]; y < groups.start[gb + 1]; y++) {
        guint64 code = pair_code(groups.member[x], groups.member[y]);
        g_array_append_val(out, code);
      }
  }
  band_groups_clear(&groups);
  return out->len - before;
}

/* The containment index, as a CSR inverted file: postings (documents sharing a fingerprint) and,
 * per document, the postings it belongs to. Only postings with 2..max_posting members are kept. */
typedef struct {
  guint n_docs;
  guint32 *n_fp;          /* fingerprints per document (before the posting-length cut) */
  guint32 *post_start;    /* posting p holds post_docs[post_start[p] .. post_start[p + 1]) */
  guint32 *post_docs;     /* members, ascending within a posting; LAST_MEMBER marks a posting's last */
  guint32 *doc_start;     /* document d's memberships are doc_posts[doc_start[d] .. doc_start[d + 1]) */
  guint32 *doc_posts;     /* each the position k of d in post_docs: the later members follow it */
} FingerprintIndex;

/* Document numbers are below 2^31 (the collection holds at most G_MAXUINT32 / 2 of them). */
#define LAST_MEMBER 0x80000000u

static void
fingerprint_index_clear(FingerprintIndex *ix)
{
  g_free(ix->n_fp);
  g_free(ix->post_start);
  g_free(ix->post_docs);
  g_free(ix->doc_start);
  g_free(ix->doc_posts);
}

/* Appends the postings found in sorted records rec[0..total) (key << 32 | document) to the index:
 * runs of equal keys with 2..max_posting members. */
static void
add_postings(FingerprintIndex *ix, const guint64 *rec, gsize total, guint max_posting, guint *n_posts,
             guint32 *members)
{
  for (gsize i = 0; i < total;) {
    gsize j = i + 1;
    while (j < total && (rec[j] >> 32) == (rec[i] >> 32))
      j++;
    if (j - i >= 2 && j - i <= max_posting) {
      ix->post_start[(*n_posts)++] = *members;
      for (gsize k = i; k < j; k++) {
        guint32 doc = (guint32)rec[k];
        ix->post_docs[(*members)++] = doc;
        ix->doc_start[doc + 1]++;
      }
    }
    i = j;
  }
}

#define KEY_PARTITIONS 16

/* One key range (top 4 bits of the key) of the containment index, built by one thread. */
typedef struct {
  const NdCollection *coll;
  const NdFindOptions *options;
  guint max_posting;
  guint first, step;           /* the partitions this job builds: first, first + step, ... */
  GArray *post_len[KEY_PARTITIONS];  /* guint32 posting sizes, per partition */
  GArray *post_docs[KEY_PARTITIONS]; /* guint32 members, per partition */
} PartitionJob;

static gpointer
build_partitions(gpointer data)
{
  PartitionJob *job = data;
  guint n = nd_collection_size(job->coll);
  g_autoptr(GArray) rec = g_array_new(FALSE, FALSE, sizeof(guint64));
  g_autofree guint64 *scratch = NULL;
  gsize scratch_cap = 0;
  /* cursor[i]: where document i's fingerprints of the next partition of this job begin. The
   * partitions go up in key order, so each list is walked once (a short skip over the partitions
   * of other jobs), not binary-searched once per partition. */
  g_autofree guint32 *cursor = g_new0(guint32, n);
  for (guint q = job->first; q < KEY_PARTITIONS && !cancelled(job->options); q += job->step) {
    g_array_set_size(rec, 0);
    const guint32 top = q; /* the partition's keys have these top 4 bits */
    for (guint i = 0; i < n; i++) {
      /* Each pass touches every document's list once: fetch the lists ahead (two levels, the
       * document and then its fingerprints), or the pass waits on a cache miss per document. */
      if (i + 16 < n)
        __builtin_prefetch(nd_collection_get(job->coll, i + 16));
      if (i + 8 < n) {
        const NdDocument *ahead = nd_collection_get(job->coll, i + 8);
        __builtin_prefetch(ahead->fingerprints + cursor[i + 8]);
      }
      const NdDocument *d = nd_collection_get(job->coll, i);
      guint32 c = cursor[i];
      while (c < d->n_fingerprints && (d->fingerprints[c] >> 28) < top)
        c++;
      for (; c < d->n_fingerprints && (d->fingerprints[c] >> 28) == top; c++) {
        guint64 r = ((guint64)d->fingerprints[c] << 32) | i;
        g_array_append_val(rec, r);
      }
      cursor[i] = c;
    }
    if (rec->len > scratch_cap) {
      scratch_cap = rec->len;
      g_free(scratch);
      scratch = g_new(guint64, scratch_cap);
    }
    nd_sort_u64_high32((guint64 *)rec->data, scratch, rec->len);
    GArray *lens = job->post_len[q] = g_array_new(FALSE, FALSE, sizeof(guint32));
    GArray *docs = job->post_docs[q] = g_array_new(FALSE, FALSE, sizeof(guint32));
    const guint64 *r = (const guint64 *)rec->data;
    for (gsize i = 0; i < rec->len;) {
      gsize j = i + 1;
      while (j < rec->len && (r[j] >> 32) == (r[i] >> 32))
        j++;
      if (j - i >= 2 && j - i <= job->max_posting) {
        guint32 len = (guint32)(j - i);
        g_array_append_val(lens, len);
        for (gsize k = i; k < j; k++) {
          guint32 doc = (guint32)r[k];
          g_array_append_val(docs, doc);
        }
      }
      i = j;
    }
  }
  return NULL;
}

/* Builds the index; FALSE (nothing to free but what fingerprint_index_clear frees) when cancelled. */
static gboolean
fingerprint_index_build(const NdCollection *coll, const NdFindOptions *o, guint threads, FingerprintIndex *ix)
{
  guint n = nd_collection_size(coll);
  memset(ix, 0, sizeof *ix);
  ix->n_docs = n;
  ix->n_fp = g_new0(guint32, n);
  ix->doc_start = g_new0(guint32, n + 1);
  guint n_posts = 0;
  guint32 members = 0;
  /* Documents signed with this sampling rate carry their fingerprints; others have their sets. */
  const gboolean stored = nd_collection_params(coll)->fingerprint_sampling == o->fingerprint_sampling;
  if (stored) {
    /* Sorted fingerprint lists: the index is built one key range (top 4 bits) at a time, ranges
     * spread over the threads; each range's sort needs 1/16 of the memory of one big sort, and
     * concatenating the ranges in order gives the postings in key order whatever the threads. */
    gsize total = 0;
    for (guint i = 0; i < n; i++) {
      ix->n_fp[i] = nd_collection_get(coll, i)->n_fingerprints;
      total += ix->n_fp[i];
    }
    if (n < 1024 || threads == 0)
      threads = 1;
    threads = MIN(threads, KEY_PARTITIONS);
    g_autofree PartitionJob *jobs = g_new0(PartitionJob, threads);
    g_autofree GThread **tids = g_new0(GThread *, threads);
    for (guint t = 0; t < threads; t++) {
      jobs[t] = (PartitionJob){ .coll = coll, .options = o, .max_posting = o->max_posting, .first = t,
                                .step = threads };
      if (threads > 1)
        tids[t] = g_thread_new("neardup-index", build_partitions, &jobs[t]);
      else
        build_partitions(&jobs[t]);
    }
    for (guint t = 0; t < threads && threads > 1; t++)
      g_thread_join(tids[t]);
    gboolean complete = TRUE;
    for (guint q = 0; q < KEY_PARTITIONS; q++)
      complete = complete && jobs[q % MAX(threads, 1u)].post_len[q] != NULL;
    if (!complete) { /* cancelled: some ranges were not built */
      for (guint q = 0; q < KEY_PARTITIONS; q++) {
        PartitionJob *job = &jobs[q % MAX(threads, 1u)];
        if (job->post_len[q] != NULL)
          g_array_unref(job->post_len[q]);
        if (job->post_docs[q] != NULL)
          g_array_unref(job->post_docs[q]);
      }
      return FALSE;
    }
    ix->post_start = g_new(guint32, total / 2 + 2);
    ix->post_docs = g_new(guint32, total + 1);
    const guint n_jobs = MAX(threads, 1u);
    for (guint q = 0; q < KEY_PARTITIONS; q++) {
      PartitionJob *job = &jobs[q % n_jobs]; /* partition q was built by job q mod threads */
      GArray *lens = job->post_len[q], *docs = job->post_docs[q];
      guint32 at = 0;
      for (guint p = 0; p < lens->len; p++) {
        guint32 len = g_array_index(lens, guint32, p);
        ix->post_start[n_posts++] = members;
        for (guint32 k = 0; k < len; k++) {
          guint32 doc = g_array_index(docs, guint32, at + k);
          ix->post_docs[members++] = doc;
          ix->doc_start[doc + 1]++;
        }
        at += len;
      }
      g_array_unref(lens);
      g_array_unref(docs);
    }
  } else {
    const guint P = o->fingerprint_sampling;
    /* key % P, without a division per shingle when P is a power of two (the default 8). */
    const gboolean pow2 = (P & (P - 1)) == 0;
    gsize cap = 64, total = 0;
    for (guint i = 0; i < n; i++)
      cap += nd_collection_get(coll, i)->set_size / P + 8;
    guint64 *rec = g_new(guint64, cap);
    for (guint i = 0; i < n; i++) {
      const NdDocument *d = nd_collection_get(coll, i);
      for (guint32 j = 0; j < d->set_size; j++) {
        if (pow2 ? (d->set[j] & (P - 1)) != 0 : d->set[j] % P != 0)
          continue;
        if (G_UNLIKELY(total == cap)) {
          cap *= 2;
          rec = g_renew(guint64, rec, cap);
        }
        rec[total++] = ((guint64)d->set[j] << 32) | i;
        ix->n_fp[i]++;
      }
    }
    g_autofree guint64 *scratch = g_new(guint64, total + 1);
    nd_sort_u64_high32(rec, scratch, total);
    ix->post_start = g_new(guint32, total / 2 + 2);
    ix->post_docs = g_new(guint32, total + 1);
    add_postings(ix, rec, total, o->max_posting, &n_posts, &members);
    g_free(rec);
  }
  ix->post_start[n_posts] = members;
  for (guint i = 0; i < n; i++)
    ix->doc_start[i + 1] += ix->doc_start[i];
  ix->doc_posts = g_new(guint32, ix->doc_start[n] + 1);
  g_autofree guint32 *fill = g_memdup2(ix->doc_start, (n + 1) * sizeof(guint32));
  for (guint p = 0; p < n_posts; p++) {
    for (guint32 k = ix->post_start[p]; k < ix->post_start[p + 1]; k++)
      ix->doc_posts[fill[ix->post_docs[k]]++] = k;
    ix->post_docs[ix->post_start[p + 1] - 1] |= LAST_MEMBER;
  }
  return TRUE;
}

typedef struct {
  const FingerprintIndex *ix;
  const NdFindOptions *options;
  guint begin, end;
  GArray *codes; /* guint64 candidates found for documents [begin, end) */
} IndexJob;

/* For each document a of the job's range, counts the fingerprints it shares with every later
 * document b through the postings, with a dense counter array and a list of the counters touched
 * (so the cost is the postings' lengths, not the number of documents). */
static gpointer
index_range(gpointer data)
{
  IndexJob *job = data;
  const FingerprintIndex *ix = job->ix;
  g_autofree guint32 *count = g_new0(guint32, ix->n_docs);
  g_autoptr(GArray) touched = g_array_new(FALSE, FALSE, sizeof(guint32));
  for (guint a = job->begin; a < job->end; a++) {
    if ((a & 4095) == 0 && cancelled(job->options))
      break;
    g_array_set_size(touched, 0);
    const guint32 k_end = ix->doc_start[a + 1];
    for (guint32 k = ix->doc_start[a]; k < k_end; k++) {
      /* The members after a in its posting, up to the one marked last: the later documents. The
       * next posting is fetched ahead: postings are scattered, so each would start on a miss. */
      if (k + 2 < k_end)
        __builtin_prefetch(ix->post_docs + ix->doc_posts[k + 2]);
      guint32 m = ix->doc_posts[k];
      while (!(ix->post_docs[m] & LAST_MEMBER)) {
        guint32 b = ix->post_docs[++m] & ~LAST_MEMBER;
        if (count[b]++ == 0)
          g_array_append_val(touched, b);
      }
    }
    for (guint t = 0; t < touched->len; t++) {
      guint32 b = g_array_index(touched, guint32, t);
      guint32 shared = count[b], smaller = MIN(ix->n_fp[a], ix->n_fp[b]);
      count[b] = 0;
      /* Keep pairs whose estimated containment reaches half the threshold: the estimate from a
       * 1-in-P sample is noisy, and exact verification removes the rest. */
      if (shared >= 2 && shared >= 0.5 * job->options->containment * smaller) {
        guint64 code = pair_code(a, b);
        g_array_append_val(job->codes, code);
      }
    }
  }
  return NULL;
}

static guint64
fingerprint_candidates(const NdCollection *coll, const NdFindOptions *o, guint threads, GArray *out)
{
  FingerprintIndex ix;
  if (!fingerprint_index_build(coll, o, threads, &ix)) {
    fingerprint_index_clear(&ix);
    return 0;
  }
  guint n = ix.n_docs;
  if (n < 1024)
    threads = 1;
  g_autofree IndexJob *jobs = g_new0(IndexJob, threads);
  g_autofree GThread **tids = g_new0(GThread *, threads);
  for (guint t = 0; t < threads; t++) {
    /* Early documents do more work (they pair with everything after them): interleave the ranges
     * by splitting on the square root so the threads get similar loads. */
    double lo = 1.0 - sqrt(1.0 - (double)t / threads), hi = 1.0 - sqrt(1.0 - (double)(t + 1) / threads);
    jobs[t] = (IndexJob){ &ix, o, (guint)(lo * n), t + 1 == threads ? n : (guint)(hi * n),
                          g_array_new(FALSE, FALSE, sizeof(guint64)) };
    if (threads > 1)
      tids[t] = g_thread_new("neardup-index", index_range, &jobs[t]);
    else
      index_range(&jobs[t]);
  }
  guint64 emitted = 0;
  for (guint t = 0; t < threads; t++) {
    if (threads > 1)
      g_thread_join(tids[t]);
    g_array_append_vals(out, jobs[t].codes->data, jobs[t].codes->len);
    emitted += jobs[t].codes->len;
    g_array_unref(jobs[t].codes);
  }
  fingerprint_index_clear(&ix);
  return emitted;
}

/* |X n Y| of two sorted distinct arrays. */
static guint32
intersect_sorted(const guint32 *x, guint32 nx, const guint32 *y, guint32 ny)
{
  guint32 i = 0, j = 0, common = 0;
  while (i < nx && j < ny) {
    guint32 u = x[i], v = y[j];
    common += u == v;
    i += u <= v;
    j += v <= u;
  }
  return common;
}

void
nd_score_pair(const NdDocument *a, const NdDocument *b, guint num_perm, NdVerifyMode verify, NdPair *out)
{
  double inter;
  gboolean sample = verify == ND_VERIFY_SAMPLE || (verify == ND_VERIFY_EXACT && (a->set == NULL || b->set == NULL));
  if (sample && a->fingerprints != NULL && b->fingerprints != NULL && (a->n_fingerprints || b->n_fingerprints)) {
    /* Statistics of the samples stand for those of the sets: containment of A in B is the share of
     * A's sampled shingles found among B's; the shared count is scaled back to the full sets. */
    guint32 common = intersect_sorted(a->fingerprints, a->n_fingerprints, b->fingerprints, b->n_fingerprints);
    double ca = a->n_fingerprints ? (double)common / a->n_fingerprints : 0.0;
    double cb = b->n_fingerprints ? (double)common / b->n_fingerprints : 0.0;
    double su = (double)a->n_fingerprints + b->n_fingerprints - common;
    out->jaccard = su > 0 ? common / su : 0.0;
    out->containment_a_in_b = ca;
    out->containment_b_in_a = cb;
    out->shared = (guint32)floor(MIN(ca * a->set_size, cb * b->set_size) + 0.5);
    return;
  }
  if (verify != ND_VERIFY_EXACT || a->set == NULL || b->set == NULL) {
    if (a->signature == NULL || b->signature == NULL) {
      /* Nothing left to compare (a lean article without fingerprints): no evidence of overlap.
       * The finder estimates such pairs from their band keys instead (score_from_bands). */
      inter = 0;
      inter = floor(MIN(inter, (double)MIN(a->set_size, b->set_size)) + 0.5);
      double uni0 = (double)a->set_size + b->set_size - inter;
      out->shared = (guint32)inter;
      out->jaccard = uni0 > 0 ? inter / uni0 : 0.0;
      out->containment_a_in_b = a->set_size ? inter / a->set_size : 0.0;
      out->containment_b_in_a = b->set_size ? inter / b->set_size : 0.0;
      return;
    }
  }
  if (verify == ND_VERIFY_EXACT && a->set != NULL && b->set != NULL) {
    guint32 i = 0, j = 0, common = 0;
    /* Copies have equal sets: a memcmp (which stops at the first difference of other pairs) is
     * several times cheaper than the merge. */
    if (a->set_size == b->set_size && memcmp(a->set, b->set, a->set_size * sizeof(guint32)) == 0)
      i = j = common = a->set_size;
    while (i < a->set_size && j < b->set_size) {
      guint32 x = a->set[i], y = b->set[j];
      common += x == y;
      i += x <= y;
      j += y <= x;
    }
    inter = common;
  } else {
    /* |A n B| = J (|A| + |B|) / (1 + J), from the definition of J. */
    double jac = nd_minhash_jaccard(a->signature, b->signature, num_perm);
    inter = jac * ((double)a->set_size + b->set_size) / (1.0 + jac);
    inter = MIN(inter, (double)MIN(a->set_size, b->set_size));
    inter = floor(inter + 0.5);
  }
  double uni = (double)a->set_size + b->set_size - inter;
  out->shared = (guint32)inter;
  out->jaccard = uni > 0 ? inter / uni : 0.0;
  out->containment_a_in_b = a->set_size ? inter / a->set_size : 0.0;
  out->containment_b_in_a = b->set_size ? inter / b->set_size : 0.0;
}

gboolean
nd_pair_matches(const NdPair *p, const NdFindOptions *o)
{
  if (p->jaccard >= o->threshold)
    return TRUE;
  if (o->containment <= 0.0 || p->shared < o->min_shared)
    return FALSE;
  return MAX(p->containment_a_in_b, p->containment_b_in_a) >= o->containment;
}

/* For two lean articles without fingerprints or signatures (very short texts): a band agrees with
 * probability J^r, so the share of agreeing bands estimates J as (share)^(1/r). */
static void
score_from_bands(const NdDocument *a, const NdDocument *b, guint bands, guint rows, NdPair *out)
{
  guint same = 0;
  for (guint i = 0; i < bands; i++)
    same += a->band_keys[i] == b->band_keys[i];
  double jac = same ? pow((double)same / bands, 1.0 / rows) : 0.0;
  double inter = jac * ((double)a->set_size + b->set_size) / (1.0 + jac);
  inter = floor(MIN(inter, (double)MIN(a->set_size, b->set_size)) + 0.5);
  double uni = (double)a->set_size + b->set_size - inter;
  out->shared = (guint32)inter;
  out->jaccard = uni > 0 ? inter / uni : 0.0;
  out->containment_a_in_b = a->set_size ? inter / a->set_size : 0.0;
  out->containment_b_in_a = b->set_size ? inter / b->set_size : 0.0;
}

typedef struct {
  const NdCollection *coll;
  const NdFindOptions *options;
  const guint64 *codes;
  gsize begin, end;
  GArray *found; /* NdPair */
} VerifyJob;

static gpointer
verify_range(gpointer data)
{
  VerifyJob *job = data;
  const NdSignParams *sp = nd_collection_params(job->coll);
  guint num_perm = sp->num_perm;
  for (gsize i = job->begin; i < job->end; i++) {
    if (((i - job->begin) & 4095) == 0 && cancelled(job->options))
      break;
    NdPair p = { .a = (guint)(job->codes[i] >> 32), .b = (guint)(job->codes[i] & G_MAXUINT32) };
    const NdDocument *da = nd_collection_get(job->coll, p.a), *db = nd_collection_get(job->coll, p.b);
    gboolean no_evidence = da->set == NULL && db->set == NULL && (da->signature == NULL || db->signature == NULL) &&
                           !(da->n_fingerprints || db->n_fingerprints);
    if (no_evidence && da->band_keys && db->band_keys && sp->lsh_bands > 0)
      score_from_bands(da, db, sp->lsh_bands, sp->lsh_rows, &p);
    else
      nd_score_pair(da, db, num_perm, job->options->verify, &p);
    if (nd_pair_matches(&p, job->options))
      g_array_append_val(job->found, p);
  }
  return NULL;
}

GArray *
nd_find_pairs(const NdCollection *coll, const NdFindOptions *o, NdFindStats *stats_out, GError **error)
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
  if (nd_collection_size(coll) > LAST_MEMBER) { /* document numbers must leave the index its flag bit */
    g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "%u articles: at most %u can be compared in one run",
                nd_collection_size(coll), LAST_MEMBER);
    return NULL;
  }
  NdFindStats stats = { 0 };
  double lsh_threshold = o->lsh_threshold > 0.0 ? o->lsh_threshold : o->threshold;
  if (!nd_lsh_params_for(lsh_threshold, sp->num_perm, ND_LSH_FN_WEIGHT, &stats.lsh, error))
    return NULL;

  guint threads = o->threads ? o->threads : g_get_num_processors();
  gint64 t0 = g_get_monotonic_time();
  g_autoptr(GArray) codes = g_array_new(FALSE, FALSE, sizeof(guint64));
  stats.candidates_lsh = lsh_candidates(coll, &stats.lsh, o, threads, codes);
  gint64 t_lsh = g_get_monotonic_time();
  gboolean have_fingerprints = (sp->keep_sets && !nd_collection_is_lean(coll)) ||
                               (sp->fingerprint_sampling > 0 && sp->fingerprint_sampling == o->fingerprint_sampling);
  if (o->containment > 0.0 && o->fingerprint_sampling > 0 && have_fingerprints)
    stats.candidates_fingerprint = fingerprint_candidates(coll, o, threads, codes);
  if (cancelled(o)) {
    g_set_error_literal(error, ND_ERROR, ND_ERROR_CANCELLED, "cancelled during the candidate search");
    return NULL;
  }
  sort_unique_codes(codes);
  stats.candidates = codes->len;
  gint64 t1 = g_get_monotonic_time();

  if (codes->len < 4096)
    threads = 1;
  g_autofree VerifyJob *jobs = g_new0(VerifyJob, threads);
  g_autofree GThread **tids = g_new0(GThread *, threads);
  for (guint t = 0; t < threads; t++) {
    jobs[t] = (VerifyJob){ coll, o, (const guint64 *)codes->data, (gsize)codes->len * t / threads,
                           (gsize)codes->len * (t + 1) / threads, g_array_new(FALSE, FALSE, sizeof(NdPair)) };
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
  if (cancelled(o)) { /* latched if any phase stopped early (the phases return normally) */
    g_array_unref(pairs);
    g_set_error_literal(error, ND_ERROR, ND_ERROR_CANCELLED, "cancelled during the candidate search");
    return NULL;
  }
  gint64 t2 = g_get_monotonic_time();
  stats.reported = pairs->len;
  stats.seconds_lsh = (t_lsh - t0) / 1e6;
  stats.seconds_fingerprint = (t1 - t_lsh) / 1e6;
  stats.seconds_verify = (t2 - t1) / 1e6;
  if (stats_out != NULL)
    *stats_out = stats;
  return pairs;
}

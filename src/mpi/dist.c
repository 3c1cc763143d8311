/* dist.c — a batch run over the ranks of an MPI job (see include/neardup/dist.h).
 *
 * Design: split the reading and signing, gather the signed documents on rank 0 and let it do the
 * rest unchanged. Rank 0 merges the ranks' streams of records by item number (each stream is in
 * increasing order, as the loader merges in input order), so its collection receives exactly the
 * documents, in exactly the order, one process would: identical output by construction, no rule
 * copied. Memory stays bounded on rank 0: it holds one chunk per rank at a time, never the other
 * ranks' whole shares. When the run will be lean, the ranks send what a lean collection keeps, about
 * a quarter of the bytes (nd_dist_share_set_lean_after: when to know it, and why the position of a
 * document in the input does not matter).
 */
#include <neardup/dist.h>
#include <neardup/error.h>
#include <mpi.h>
#include <string.h>
#include <xxhash.h>
#include "keys.h"
#include "wait.h"
#include "../sort.h"

#define CHUNK_BYTES ((gsize)16 << 20)
#define TAG_CHUNK 17
#define TAG_NUMBERS 18
#define NO_BLOB G_MAXUINT64 /* the length of a NULL field */

static gboolean initialised;

gboolean
nd_dist_init(int *argc, char ***argv, GError **error)
{
  int provided = 0;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "MPI could not start");
    return FALSE;
  }
  initialised = TRUE;
  return TRUE;
}

void
nd_dist_finalize(void)
{
  if (initialised) {
    /* The ranks done first sleep until rank 0 is (MPI_Finalize waits polling at full speed, which
     * on one machine took a core from rank 0's search: its threads ran at half speed). */
    nd_dist_wait_all();
    MPI_Finalize();
  }
  initialised = FALSE;
}

void
nd_dist_abort(int code)
{
  if (initialised)
    MPI_Abort(MPI_COMM_WORLD, code);
  exit(code);
}

guint
nd_dist_rank(void)
{
  int rank = 0;
  if (initialised)
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return (guint)rank;
}

guint
nd_dist_size(void)
{
  int size = 1;
  if (initialised)
    MPI_Comm_size(MPI_COMM_WORLD, &size);
  return (guint)size;
}

guint
nd_dist_local_size(void)
{
  if (!initialised)
    return 1;
  MPI_Comm local;
  int size = 1;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local) == MPI_SUCCESS) {
    MPI_Comm_size(local, &size);
    MPI_Comm_free(&local);
  }
  return (guint)MAX(size, 1);
}

/* (wait.h) */
void
nd_dist_test_idle(MPI_Request *request)
{
  int done = 0;
  for (;;) {
    MPI_Test(request, &done, MPI_STATUS_IGNORE);
    if (done)
      return;
    g_usleep(200);
  }
}

void
nd_dist_wait_all(void)
{
  if (!initialised)
    return;
  MPI_Request request;
  MPI_Ibarrier(MPI_COMM_WORLD, &request);
  nd_dist_test_idle(&request); /* (clang's MPI checker knows no MPI_Ibarrier: no MPI_Wait to show it) */
}

/* Sends `count` bytes to rank 0 as one chunk message, sleeping while it is not taken. */
static void
send_idle(const void *data, int count)
{
  MPI_Request request;
  MPI_Isend(data, count, MPI_BYTE, 0, TAG_CHUNK, MPI_COMM_WORLD, &request);
  nd_dist_test_idle(&request);
  MPI_Wait(&request, MPI_STATUS_IGNORE);
}

static guint64
reduce(guint64 value, MPI_Op op)
{
  if (!initialised)
    return value;
  guint64 out = 0;
  MPI_Request request; /* a rank that comes first sleeps, leaving its core to those still working */
  MPI_Iallreduce(&value, &out, 1, MPI_UINT64_T, op, MPI_COMM_WORLD, &request);
  nd_dist_test_idle(&request);
  MPI_Wait(&request, MPI_STATUS_IGNORE);
  return out;
}

guint64
nd_dist_sum(guint64 value)
{
  return reduce(value, MPI_SUM);
}

guint64
nd_dist_max(guint64 value)
{
  return reduce(value, MPI_MAX);
}

void
nd_dist_sum_array(guint64 *values, guint n)
{
  if (!initialised || n == 0)
    return;
  g_autofree guint64 *out = g_new0(guint64, n);
  MPI_Allreduce(values, out, (int)n, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  memcpy(values, out, n * sizeof *values);
}

void
nd_dist_exclusive_sum(guint64 *values, guint n)
{
  if (n == 0)
    return;
  g_autofree guint64 *out = g_new0(guint64, n);
  if (initialised)
    MPI_Exscan(values, out, (int)n, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  if (nd_dist_rank() != 0) /* MPI_Exscan leaves rank 0's result undefined */
    memcpy(values, out, n * sizeof *values);
  else
    memset(values, 0, n * sizeof *values);
}

char *
nd_dist_gather_text(const char *text)
{
  g_return_val_if_fail(text != NULL, NULL);
  if (!initialised)
    return g_strdup(text);
  guint size = nd_dist_size(), rank = nd_dist_rank();
  int len = (int)strlen(text);
  g_autofree int *lens = rank == 0 ? g_new0(int, size) : NULL, *displs = rank == 0 ? g_new0(int, size) : NULL;
  MPI_Gather(&len, 1, MPI_INT, lens, 1, MPI_INT, 0, MPI_COMM_WORLD);
  char *all = NULL;
  if (rank == 0) {
    gsize total = 0;
    for (guint r = 0; r < size; r++) {
      displs[r] = (int)total;
      total += (gsize)lens[r];
    }
    all = g_malloc0(total + 1); /* summaries: a few lines per rank, far from 2 GiB */
  }
  MPI_Gatherv(text, len, MPI_CHAR, all, lens, displs, MPI_CHAR, 0, MPI_COMM_WORLD);
  return all;
}

/* ---- the wire form ---- */

static void
put_u64(GByteArray *buf, guint64 v)
{
  g_byte_array_append(buf, (const guint8 *)&v, sizeof v);
}

/* A field of `len` bytes, or NULL (then `len` is ignored). */
static void
put_blob(GByteArray *buf, const void *data, gsize len)
{
  if (data == NULL) {
    put_u64(buf, NO_BLOB);
    return;
  }
  put_u64(buf, len);
  g_byte_array_append(buf, data, (guint)len);
}

static void
put_string(GByteArray *buf, const char *s)
{
  put_blob(buf, s, s ? strlen(s) : 0);
}

void
nd_dist_encode_document(GByteArray *buf, const NdSignParams *params, guint64 item, const char *name,
                        const NdDocument *doc)
{
  g_return_if_fail(buf != NULL && params != NULL && name != NULL && doc != NULL);
  guint start = buf->len;
  put_u64(buf, 0); /* the record's length, filled in below */
  put_u64(buf, item);
  put_string(buf, name);
  put_string(buf, doc->id);
  guint64 counts[] = { doc->bytes, doc->tokens, doc->set_size, doc->source_bytes, doc->source_hash, doc->text_hash,
                       (guint64)doc->dated_dateline };
  for (gsize i = 0; i < G_N_ELEMENTS(counts); i++)
    put_u64(buf, counts[i]);
  put_blob(buf, doc->signature, sizeof(guint32) * params->num_perm);
  put_blob(buf, doc->band_keys, sizeof(guint32) * params->lsh_bands);
  put_blob(buf, doc->set, sizeof(guint32) * doc->set_size);
  put_blob(buf, doc->text, doc->bytes);
  put_string(buf, doc->meta);
  put_string(buf, doc->path);
  put_blob(buf, doc->fingerprints, sizeof(guint32) * doc->n_fingerprints);
  put_blob(buf, doc->anchors, sizeof(guint32) * doc->n_anchors);
  put_blob(buf, doc->words, sizeof(guint32) * doc->n_words);
  put_blob(buf, doc->lines, sizeof(guint32) * doc->n_lines);
  put_blob(buf, doc->line_anchors, 2 * sizeof(guint32) * doc->n_line_anchors);
  put_blob(buf, doc->quoted_anchors, sizeof(guint32) * doc->n_quoted_anchors);
  if (doc->map == NULL) {
    put_u64(buf, NO_BLOB);
  } else {
    guint n = nd_offset_map_spans(doc->map);
    put_u64(buf, n);
    for (guint i = 0; i < n; i++) {
      guint32 span[4];
      nd_offset_map_span(doc->map, i, &span[0], &span[1], &span[2], &span[3]);
      g_byte_array_append(buf, (const guint8 *)span, sizeof span);
    }
  }
  guint64 len = buf->len - start;
  memcpy(buf->data + start, &len, sizeof len);
}

typedef struct {
  const guint8 *p, *end;
  gboolean bad;
} Reader;

static guint64
get_u64(Reader *r)
{
  guint64 v = 0;
  if (r->bad || (gsize)(r->end - r->p) < sizeof v) {
    r->bad = TRUE;
    return 0;
  }
  memcpy(&v, r->p, sizeof v);
  r->p += sizeof v;
  return v;
}

/* A copy of the next field (NULL when it was NULL or is an empty array, or on a malformed record),
 * and its length in *len. When `exact`, `expect` is the length the field must have when present,
 * whatever its value (a text's length is read from the record: no value of it may stand for "any");
 * otherwise any length goes. `extra` bytes of zeros are added after it (a string's NUL). */
static gpointer
get_blob(Reader *r, gboolean exact, guint64 expect, gsize extra, gsize *len)
{
  guint64 n = get_u64(r);
  *len = 0;
  if (r->bad || n == NO_BLOB)
    return NULL;
  if (n > (guint64)(r->end - r->p) || (exact && n != expect)) {
    r->bad = TRUE;
    return NULL;
  }
  if (n + extra == 0)
    return NULL; /* an empty array: no memory to hold it (g_malloc(0) is NULL) */
  guint8 *out = g_malloc(n + extra);
  memcpy(out, r->p, n);
  memset(out + n, 0, extra);
  r->p += n;
  *len = n;
  return out;
}

static char *
get_string(Reader *r)
{
  gsize len;
  char *s = get_blob(r, FALSE, 0, 1, &len);
  if (s != NULL && memchr(s, '\0', len) != NULL) {
    r->bad = TRUE;
    g_free(s);
    return NULL;
  }
  return s;
}

/* An array of 32-bit values whose count (`width` values per entry) goes to *n. */
static guint32 *
get_array(Reader *r, guint width, guint32 *n)
{
  gsize len;
  guint32 *a = get_blob(r, FALSE, 0, 0, &len);
  if (len % (width * sizeof(guint32)) != 0 || len / (width * sizeof(guint32)) > G_MAXUINT32)
    r->bad = TRUE;
  *n = (guint32)(len / (width * sizeof(guint32)));
  return a;
}

NdDocument *
nd_dist_decode_document(const NdSignParams *params, const guint8 *bytes, gsize len, gsize *pos, guint64 *item,
                        char **name, GError **error)
{
  g_return_val_if_fail(params != NULL && bytes != NULL && pos != NULL && item != NULL && name != NULL, NULL);
  Reader whole = { bytes + *pos, bytes + len, *pos > len };
  guint64 record = get_u64(&whole);
  if (whole.bad || record < sizeof record || record > len - *pos) {
    g_set_error(error, ND_ERROR, ND_ERROR_FORMAT, "truncated document record at byte %" G_GSIZE_FORMAT, *pos);
    return NULL;
  }
  Reader r = { whole.p, bytes + *pos + record, FALSE };
  g_autoptr(NdDocument) doc = g_new0(NdDocument, 1);
  *item = get_u64(&r);
  g_autofree char *nm = get_string(&r);
  doc->id = get_string(&r);
  guint64 counts[7];
  for (gsize i = 0; i < G_N_ELEMENTS(counts); i++)
    counts[i] = get_u64(&r);
  doc->bytes = counts[0];
  doc->tokens = (guint32)counts[1];
  doc->set_size = (guint32)counts[2];
  doc->source_bytes = counts[3];
  doc->source_hash = counts[4];
  doc->text_hash = counts[5];
  doc->dated_dateline = counts[6] != 0;
  if (counts[1] > G_MAXUINT32 || counts[2] > G_MAXUINT32 || counts[6] > 1)
    r.bad = TRUE;
  gsize n;
  doc->signature = get_blob(&r, TRUE, sizeof(guint32) * (guint64)params->num_perm, 0, &n);
  doc->band_keys = get_blob(&r, TRUE, sizeof(guint32) * (guint64)params->lsh_bands, 0, &n);
  doc->set = get_blob(&r, TRUE, sizeof(guint32) * (guint64)doc->set_size, 0, &n);
  doc->text = get_blob(&r, TRUE, doc->bytes, 1, &n);
  doc->meta = get_string(&r);
  doc->path = get_string(&r);
  doc->fingerprints = get_array(&r, 1, &doc->n_fingerprints);
  doc->anchors = get_array(&r, 1, &doc->n_anchors);
  doc->words = get_array(&r, 1, &doc->n_words);
  doc->lines = get_array(&r, 1, &doc->n_lines);
  doc->line_anchors = get_array(&r, 2, &doc->n_line_anchors);
  doc->quoted_anchors = get_array(&r, 1, &doc->n_quoted_anchors);
  guint64 spans = get_u64(&r);
  if (!r.bad && spans != NO_BLOB) {
    if (spans > (guint64)(r.end - r.p) / (4 * sizeof(guint32))) {
      r.bad = TRUE;
    } else {
      doc->map = nd_offset_map_new();
      guint64 text_end = 0;
      for (guint64 i = 0; i < spans && !r.bad; i++) {
        guint32 span[4];
        memcpy(span, r.p, sizeof span);
        r.p += sizeof span;
        /* spans come in increasing text order, never overlapping, and end within 32-bit offsets */
        if (span[0] < text_end || (guint64)span[0] + span[1] > G_MAXUINT32 ||
            (guint64)span[2] + span[3] > G_MAXUINT32)
          r.bad = TRUE;
        else
          nd_offset_map_add(doc->map, span[0], span[1], span[2], span[3]);
        text_end = (guint64)span[0] + span[1];
      }
    }
  }
  if (r.bad || r.p != r.end || doc->id == NULL || nm == NULL) {
    g_set_error(error, ND_ERROR, ND_ERROR_FORMAT, "malformed document record at byte %" G_GSIZE_FORMAT, *pos);
    return NULL;
  }
  *pos += record;
  *name = g_steal_pointer(&nm);
  return g_steal_pointer(&doc);
}

/* ---- the share: encoded records in chunks ---- */

struct NdDistShare {
  NdSignParams params;
  GPtrArray *chunks; /* GByteArray*: whole records, at most CHUNK_BYTES unless one record is larger;
                        NULL once sent or merged */
  guint next;        /* the first chunk not yet sent or merged */
  guint64 documents, bytes;
  guint lean_after;  /* rank 0's collection turns lean beyond this many documents (0: never) */
  gboolean lean;     /* the share encodes lean (the run will be lean) */
  gboolean lean_alone; /* ... known from this share's own ids */
  GHashTable *ids;   /* guint64* -> itself: hashes of the distinct ids added, while `lean` is not
                        known (NULL otherwise) */
  NdDistKeys *keys;  /* the search keys of the documents added (nd_dist_share_keep_search_keys), or NULL */
};

static void
chunk_free(gpointer chunk)
{
  if (chunk != NULL)
    g_byte_array_unref(chunk);
}

NdDistShare *
nd_dist_share_new(const NdSignParams *params)
{
  g_return_val_if_fail(params != NULL, NULL);
  NdDistShare *share = g_new0(NdDistShare, 1);
  share->params = *params;
  share->chunks = g_ptr_array_new_with_free_func(chunk_free);
  return share;
}

void
nd_dist_share_free(NdDistShare *share)
{
  if (share == NULL)
    return;
  g_ptr_array_unref(share->chunks);
  if (share->ids != NULL)
    g_hash_table_unref(share->ids);
  nd_dist_keys_free(share->keys);
  g_free(share);
}

void
nd_dist_share_keep_search_keys(NdDistShare *share)
{
  g_return_if_fail(share != NULL && share->documents == 0);
  if (share->keys == NULL)
    share->keys = nd_dist_keys_new(&share->params);
}

const NdDistKeys *
nd_dist_share_search_keys(const NdDistShare *share)
{
  return share->keys;
}

void
nd_dist_share_set_lean_after(NdDistShare *share, guint limit)
{
  g_return_if_fail(share != NULL && share->documents == 0);
  share->lean_after = limit;
  g_clear_pointer(&share->ids, g_hash_table_unref);
  if (limit > 0)
    share->ids = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
}

gboolean
nd_dist_share_is_lean(const NdDistShare *share)
{
  g_return_val_if_fail(share != NULL, FALSE);
  return share->lean;
}

/* The chunk of `chunks` the next record goes to: the last one, or a new one when it is full. */
static GByteArray *
chunk_for_record(GPtrArray *chunks)
{
  GByteArray *last = chunks->len ? g_ptr_array_index(chunks, chunks->len - 1) : NULL;
  if (last == NULL || last->len >= CHUNK_BYTES) {
    last = g_byte_array_new();
    g_ptr_array_add(chunks, last);
  }
  return last;
}

/* The share's documents not yet sent, re-encoded lean one chunk at a time (each old chunk freed once
 * its records are re-encoded, so that the share never holds much more than before). */
static void
reencode_lean(NdDistShare *share)
{
  GPtrArray *lean = g_ptr_array_new_with_free_func(chunk_free);
  guint64 bytes = 0;
  for (guint i = share->next; i < share->chunks->len; i++) {
    GByteArray *old = g_ptr_array_index(share->chunks, i);
    gsize pos = 0;
    while (pos < old->len) {
      guint64 item;
      g_autofree char *name = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(NdDocument) doc = nd_dist_decode_document(&share->params, old->data, old->len, &pos, &item, &name,
                                                          &error);
      GByteArray *into = chunk_for_record(lean);
      guint before = into->len;
      if (doc == NULL) { /* cannot happen (the share encoded it): the rest travels as it was */
        g_critical("re-encoding a share lean: %s", error->message);
        g_byte_array_append(into, old->data + pos, (guint)(old->len - pos));
        pos = old->len;
      } else {
        nd_document_make_lean(doc, &share->params);
        nd_dist_encode_document(into, &share->params, item, name, doc);
      }
      bytes += into->len - before;
    }
    g_ptr_array_index(share->chunks, i) = NULL;
    g_byte_array_unref(old);
  }
  g_ptr_array_unref(share->chunks);
  share->chunks = lean;
  share->next = 0;
  share->bytes = bytes;
}

/* From now on the share sends lean: its ids are no longer counted, its documents re-encoded. */
static void
share_turn_lean(NdDistShare *share)
{
  share->lean = TRUE;
  g_clear_pointer(&share->ids, g_hash_table_unref);
  reencode_lean(share);
}

static guint64
id_hash(const char *id)
{
  return XXH3_64bits(id, strlen(id));
}

void
nd_dist_share_add(NdDistShare *share, guint64 item, const char *name, NdDocument *doc)
{
  g_return_if_fail(share != NULL && name != NULL && doc != NULL);
  if (share->ids != NULL) {
    guint64 h = id_hash(doc->id);
    if (!g_hash_table_contains(share->ids, &h))
      g_hash_table_add(share->ids, g_memdup2(&h, sizeof h));
    if (g_hash_table_size(share->ids) > share->lean_after) { /* more distinct ids than the limit: lean */
      share->lean_alone = TRUE;
      share_turn_lean(share);
    }
  }
  if (share->keys != NULL)
    nd_dist_keys_add(share->keys, doc);
  if (share->lean)
    nd_document_make_lean(doc, &share->params);
  GByteArray *last = chunk_for_record(share->chunks);
  guint before = last->len;
  nd_dist_encode_document(last, &share->params, item, name, doc);
  share->documents++;
  share->bytes += last->len - before;
}

guint64
nd_dist_share_bytes(const NdDistShare *share, guint64 *documents)
{
  g_return_val_if_fail(share != NULL, 0);
  if (documents != NULL)
    *documents = share->documents;
  return share->bytes;
}

/* Takes the next chunk of `share` (caller frees), or NULL when none is left. */
static GByteArray *
share_take(NdDistShare *share)
{
  if (share->next >= share->chunks->len)
    return NULL;
  GByteArray *chunk = g_ptr_array_index(share->chunks, share->next);
  g_ptr_array_index(share->chunks, share->next) = NULL; /* taken: the slot stays, the order too */
  share->next++;
  return chunk;
}

/* ---- the gather ---- */

/* The number of distinct values among every rank's `hashes` (may be NULL: none; keys: guint64*),
 * counted where they meet: each value goes to rank value mod N, which sorts what it receives.
 * Collective. 0 when a rank would send or receive more values than MPI's int counts hold (2^31 - 1:
 * then the caller sends whole, which is never wrong). */
static guint64
distinct_over_ranks(GHashTable *hashes)
{
  guint size = nd_dist_size();
  guint64 n = hashes != NULL ? g_hash_table_size(hashes) : 0;
  if (!initialised || size == 1)
    return n;
  if (nd_dist_max(n) > (guint64)G_MAXINT) /* counts are ints (a limit set above 2^31 - 1) */
    return 0;
  g_autofree int *send_counts = g_new0(int, size), *send_displs = g_new0(int, size);
  g_autofree int *recv_counts = g_new0(int, size), *recv_displs = g_new0(int, size);
  g_autofree guint64 *send = g_new(guint64, MAX(n, 1));
  GHashTableIter it;
  gpointer key;
  if (hashes != NULL) {
    g_hash_table_iter_init(&it, hashes);
    while (g_hash_table_iter_next(&it, &key, NULL))
      send_counts[*(const guint64 *)key % size]++;
  }
  for (guint r = 1; r < size; r++)
    send_displs[r] = send_displs[r - 1] + send_counts[r - 1];
  g_autofree int *fill = g_memdup2(send_displs, size * sizeof(int));
  if (hashes != NULL) {
    g_hash_table_iter_init(&it, hashes);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
      guint64 h = *(const guint64 *)key;
      send[fill[h % size]++] = h;
    }
  }
  MPI_Alltoall(send_counts, 1, MPI_INT, recv_counts, 1, MPI_INT, MPI_COMM_WORLD);
  guint64 total = 0;
  for (guint r = 0; r < size; r++)
    total += (guint64)recv_counts[r];
  if (nd_dist_max(total) > (guint64)G_MAXINT)
    return 0;
  for (guint r = 1; r < size; r++)
    recv_displs[r] = recv_displs[r - 1] + recv_counts[r - 1];
  g_autofree guint64 *recv = g_new(guint64, MAX(total, 1)), *scratch = g_new(guint64, MAX(total, 1));
  MPI_Alltoallv(send, send_counts, send_displs, MPI_UINT64_T, recv, recv_counts, recv_displs, MPI_UINT64_T,
                MPI_COMM_WORLD);
  nd_sort_u64(recv, scratch, total);
  guint64 distinct = 0;
  for (guint64 i = 0; i < total; i++)
    distinct += i == 0 || recv[i] != recv[i - 1];
  return nd_dist_sum(distinct);
}

/* Whether the shares go lean, decided by all ranks together when no share knows it from its own ids
 * (see nd_dist_share_set_lean_after); the shares that do are re-encoded. Collective. */
static void
decide_lean(NdDistShare *share)
{
  if (nd_dist_max(share->lean_after) == 0)
    return;
  gboolean lean = nd_dist_max(share->lean) != 0;
  if (!lean) {
    guint64 local = share->ids != NULL ? g_hash_table_size(share->ids) : 0;
    /* The sum of the ranks' distinct ids bounds the distinct ids of the run from above: at most the
     * limit, and the run is not lean, with no need to compare ids. */
    if (nd_dist_sum(local) > share->lean_after)
      lean = distinct_over_ranks(share->ids) > share->lean_after;
  }
  if (lean && !share->lean)
    share_turn_lean(share);
  g_clear_pointer(&share->ids, g_hash_table_unref);
}

/* Where rank 0 is in one rank's stream of records. */
typedef struct {
  GByteArray *chunk;  /* the chunk being read (received, or rank 0's own); NULL at the end */
  gsize pos;
  gboolean done;      /* the stream has ended (the empty chunk that ends it was received) */
  guint64 next_item;  /* the item number of the record at pos */
} Stream;

/* The item number of the record at s->pos (the second word of a record). */
static gboolean
peek_item(Stream *s)
{
  if (s->chunk->len - s->pos < 2 * sizeof(guint64))
    return FALSE;
  memcpy(&s->next_item, s->chunk->data + s->pos + sizeof(guint64), sizeof(guint64));
  return TRUE;
}

/* The next chunk from rank `source` (> 0), sleeping while it has not come (MPI_Probe would poll at
 * full speed while the rank is still signing); an empty array ends its stream. */
static GByteArray *
receive_chunk(int source, NdDistStats *st)
{
  MPI_Status status;
  int ready = 0;
  for (;;) {
    MPI_Iprobe(source, TAG_CHUNK, MPI_COMM_WORLD, &ready, &status);
    if (ready)
      break;
    g_usleep(200);
  }
  int count = 0;
  MPI_Get_count(&status, MPI_BYTE, &count);
  GByteArray *chunk = g_byte_array_sized_new((guint)MAX(count, 1));
  g_byte_array_set_size(chunk, (guint)count);
  MPI_Recv(chunk->data, count, MPI_BYTE, source, TAG_CHUNK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  st->messages++;
  st->bytes_received += (guint64)count;
  return chunk;
}

/* Makes a record available at s->pos of rank `source`'s stream, taking its next chunk (rank 0's
 * own, or received) when the last one is used up; sets s->done at the end. FALSE on a chunk that
 * does not start with a record. */
static gboolean
refill(Stream *s, NdDistShare *own, int source, NdDistStats *st)
{
  while (!s->done && (s->chunk == NULL || s->pos >= s->chunk->len)) {
    g_clear_pointer(&s->chunk, g_byte_array_unref);
    s->chunk = source == 0 ? share_take(own) : receive_chunk(source, st);
    s->pos = 0;
    if (s->chunk == NULL || s->chunk->len == 0) {
      g_clear_pointer(&s->chunk, g_byte_array_unref);
      s->done = TRUE;
    }
  }
  return s->done || peek_item(s);
}

/* Rank 0: sends `count` document numbers to rank `to`, sleeping while they are not taken. */
static void
send_numbers_idle(const guint32 *numbers, int count, int to)
{
  MPI_Request request;
  MPI_Isend(numbers, count, MPI_UINT32_T, to, TAG_NUMBERS, MPI_COMM_WORLD, &request);
  nd_dist_test_idle(&request);
  MPI_Wait(&request, MPI_STATUS_IGNORE);
}

/* Rank 0: merges the streams in item order into `into`. */
static gboolean
merge_streams(NdDistShare *share, NdCollection *into, NdInputErrorFunc report, gpointer report_data, guint *rejected,
              NdDistStats *st, GError **error)
{
  guint size = nd_dist_size();
  const NdSignParams *params = nd_collection_params(into);
  g_autofree Stream *streams = g_new0(Stream, size);
  /* With search keys: each stream's documents' numbers in `into` (ND_DIST_REFUSED when refused), to
   * tell their ranks. */
  const gboolean numbered = share->keys != NULL;
  g_autofree GArray **numbers = g_new0(GArray *, size);
  for (guint r = 0; r < size && numbered; r++)
    numbers[r] = g_array_new(FALSE, FALSE, sizeof(guint32));
  gboolean ok = TRUE;
  for (guint r = 0; r < size && ok; r++)
    ok = refill(&streams[r], share, (int)r, st);
  while (ok) {
    /* The stream whose next record comes first in input order: a linear scan, as the ranks of a
     * job are few next to the documents each sends. */
    guint best = G_MAXUINT;
    for (guint r = 0; r < size; r++)
      if (!streams[r].done && (best == G_MAXUINT || streams[r].next_item < streams[best].next_item))
        best = r;
    if (best == G_MAXUINT)
      break;
    Stream *s = &streams[best];
    guint64 item;
    g_autofree char *name = NULL;
    g_autoptr(GError) refused = NULL;
    NdDocument *doc = nd_dist_decode_document(params, s->chunk->data, s->chunk->len, &s->pos, &item, &name, error);
    if (doc == NULL) {
      ok = FALSE;
      break;
    }
    guint32 number = nd_collection_size(into);
    if (!nd_collection_add(into, doc, &refused)) {
      ++*rejected;
      number = ND_DIST_REFUSED;
      if (report != NULL)
        report(name, refused, report_data);
    }
    if (numbers[best] != NULL)
      g_array_append_val(numbers[best], number);
    ok = refill(s, share, (int)best, st);
    if (!ok)
      g_set_error(error, ND_ERROR, ND_ERROR_FORMAT, "a chunk from rank %u does not start with a record", best);
  }
  for (guint r = 0; r < size; r++)
    if (streams[r].chunk != NULL)
      g_byte_array_unref(streams[r].chunk);
  if (ok && numbered)
    for (guint r = 0; r < size; r++) {
      guint32 *sent = (guint32 *)numbers[r]->data;
      if (r == 0) {
        share->keys->n_number = numbers[r]->len;
        share->keys->number = g_memdup2(sent, MAX(numbers[r]->len, 1) * sizeof(guint32));
      } else {
        send_numbers_idle(sent, (int)numbers[r]->len, (int)r);
      }
    }
  for (guint r = 0; r < size; r++)
    if (numbers[r] != NULL)
      g_array_unref(numbers[r]);
  if (!ok) /* the ranks still sending wait for rank 0: the job is aborted by the caller */
    return FALSE;
  return TRUE;
}

/* Another rank, with search keys: the numbers rank 0's collection gave its documents. */
static void
receive_numbers(NdDistShare *share)
{
  guint n = nd_dist_keys_size(share->keys);
  share->keys->number = g_new(guint32, MAX(n, 1));
  share->keys->n_number = n;
  MPI_Request request;
  MPI_Irecv(share->keys->number, (int)n, MPI_UINT32_T, 0, TAG_NUMBERS, MPI_COMM_WORLD, &request);
  nd_dist_test_idle(&request); /* rank 0 may still be merging the others' shares */
  MPI_Wait(&request, MPI_STATUS_IGNORE);
}

/* Another rank: sends its chunks one message each, each freed once sent, then an empty one.
 * FALSE with ND_ERROR_TOO_LARGE for a chunk MPI cannot send in one message (a record over 2 GiB: a
 * kept text that size). */
static gboolean
send_share(NdDistShare *share, NdDistStats *st, GError **error)
{
  GByteArray *chunk;
  while ((chunk = share_take(share)) != NULL) {
    if (chunk->len > (guint)G_MAXINT) {
      g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "a signed article of %u bytes is too large to send to "
                  "rank 0 (at most 2 GiB)", chunk->len);
      g_byte_array_unref(chunk);
      return FALSE;
    }
    send_idle(chunk->data, (int)chunk->len); /* taken when rank 0 has merged the previous one */
    st->messages++;
    g_byte_array_unref(chunk);
  }
  send_idle(NULL, 0);
  st->messages++;
  return TRUE;
}

gboolean
nd_dist_gather(NdDistShare *share, NdCollection *into, NdInputErrorFunc report, gpointer report_data,
               guint *rejected, NdDistStats *stats, GError **error)
{
  g_return_val_if_fail(share != NULL && into != NULL && rejected != NULL, FALSE);
  gint64 t0 = g_get_monotonic_time();
  decide_lean(share);
  NdDistStats st = { 0 };
  st.documents = share->documents;
  st.bytes_encoded = share->bytes;
  st.lean = share->lean;
  st.lean_alone = share->lean_alone;
  *rejected = 0;
  gboolean ok = nd_dist_rank() == 0 ? merge_streams(share, into, report, report_data, rejected, &st, error)
                                    : send_share(share, &st, error);
  if (ok && nd_dist_rank() != 0 && share->keys != NULL)
    receive_numbers(share);
  g_ptr_array_set_size(share->chunks, 0);
  share->next = 0;
  st.seconds = (g_get_monotonic_time() - t0) / 1e6;
  if (stats != NULL)
    *stats = st;
  return ok;
}

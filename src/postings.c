/* postings.c — the archive's posting lists: sorted blocks of (key, article numbers) in segments.
 *
 * Design (measured in docs/archive.md): one row per posting made a large add spend its time in
 * B-tree inserts at random places, each touching a page that a later insert touched again. Here an
 * add only appends. Postings are distributed by the top 10 bits of their key into 1024 buckets in
 * memory; when the buffer is full, each bucket's part goes to an unnamed temporary file as a chunk.
 * At the end of the add, bucket after bucket (in key order), its chunks are read back, sorted in
 * cache (radix) and written, merged with the postings of older segments in that key range, as one
 * new segment of blocks of about 850 bytes, each one row (seg, first_key, n, data, hash) of a
 * WITHOUT ROWID table: a new segment lands at the right edge of the B-tree, page after page. (A
 * k-way merge of sorted runs spent four times as long in sorting out of cache and in its heap.) To
 * keep lookups few, the newest segments are merged into the new one while they are not larger than
 * what is being merged (a binary counter: about log2(N / buffer) segments, each posting rewritten
 * about as many times). Adds are staged 4,096 at a time before they are moved to their buckets (the
 * scattered stores' cache misses overlap), and a flush's helper thread reads back, sorts and (when no
 * older segment is merged) encodes the buckets ahead while the caller's thread, the only one to use
 * the connection, inserts them: the same rows as in one thread (docs/archive.md, fifth round).
 *
 * A lookup finds, per segment, the one block whose first key is the largest not above the key (an
 * index seek), or, when a batch asks for many keys, reads the segment's blocks in order. Blocks
 * never split the postings of one key.
 *
 * Block data: per key, varint(key - previous key) (0 for the block's first key, which is the row's
 * first_key), varint(count), varint(first number), varint(difference to the next number) ... Keys
 * are signed 64-bit (SQLite's order); numbers 32-bit, strictly increasing per key. `hash` is the
 * XXH3 of the data seeded with the row's other columns, so a block is checked before it is decoded,
 * and decoding checks every bound again (a forged block with a valid hash is refused too).
 */
#include "postings.h"
#include <neardup/error.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "hash.h"
#include "sort.h"
#include "tempfile.h"

#define BLOCK_TARGET 850                 /* bytes: a row stays on its B-tree page (local payload) */
#define BUFFER_MAX ((gsize)1 << 23)      /* postings held in memory before they are spilled (64 MiB) */
#define BUCKET_BITS 10                   /* buckets by the top bits of the 32-bit key */
#define N_BUCKETS (1u << BUCKET_BITS)
#define MAX_BLOCK_BYTES (64 << 20)       /* a block larger than this is corrupt */
#define STAGED 4096                      /* postings staged before they go to their buckets */
#define READ_AHEAD 2                     /* buckets prepared ahead by a flush's thread (see below) */

static const char *const table_names[] = { "band_postings", "anchor_postings" };
static const char *const table_sql[] = {
  "CREATE TABLE band_postings(seg INTEGER NOT NULL, first_key INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT "
  "NULL, hash INTEGER NOT NULL, PRIMARY KEY(seg, first_key)) WITHOUT ROWID",
  "CREATE TABLE anchor_postings(seg INTEGER NOT NULL, first_key INTEGER NOT NULL, n INTEGER NOT NULL, data "
  "BLOB NOT NULL, hash INTEGER NOT NULL, PRIMARY KEY(seg, first_key)) WITHOUT ROWID",
};
const char posting_segments_schema[] =
  "CREATE TABLE segments(kind INTEGER NOT NULL, seg INTEGER NOT NULL, postings INTEGER NOT NULL, blocks INTEGER NOT "
  "NULL, hash INTEGER NOT NULL, PRIMARY KEY(kind, seg)) WITHOUT ROWID";

const char *
posting_table_schema(int which)
{
  return table_sql[which];
}

const char *
posting_table_name(int which)
{
  return table_names[which];
}

enum { ST_SEEK, ST_SCAN, ST_INSERT, ST_DELETE_SEG, ST_DELETE_BLOCK, ST_SEGMENTS, ST_SEG_INSERT, ST_SEG_DELETE,
       ST_ALL, N_ST };

typedef struct {
  guint64 offset, count; /* a chunk of a bucket in the spill file: count postings at offset */
} Chunk;

/* One bucket's postings (key << 32 | number, in the order added) in memory, and its chunks on disk. */
typedef struct {
  guint64 *p;
  gsize len, cap;
  GArray *chunks; /* Chunk */
} Bucket;

typedef struct {
  gint64 seg;
  guint64 postings, blocks;
} Segment;

struct PostingTable {
  sqlite3 *db;
  int which;
  char *path, *tmp_dir;
  sqlite3_stmt *st[N_ST];
  Bucket *buckets;    /* N_BUCKETS, made by the first add */
  gsize n_buf;        /* postings in memory, in the buckets */
  guint64 *staged;    /* the latest postings, in the order added, not yet in their buckets */
  gsize n_staged;
  int spill_fd;       /* -1 until the first spill */
  guint64 spill_bytes, spilled;
  PostingWarnFunc warn;
  gpointer warn_data;
  PostingProgressFunc progress;
  gpointer progress_data;
  guint read_ahead; /* buckets a flush prepares ahead in a thread; 0: no thread */
  gsize buffer_max; /* postings held in memory before a spill (BUFFER_MAX; smaller in tests) */
};

/* ---- errors ---- */

static gboolean
db_fail(PostingTable *t, int rc, const char *what, GError **error)
{
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX_BUSY, "%s: %s: the index is being written by another process", t->path,
                what);
  else if (sqlite3_extended_errcode(t->db) == SQLITE_IOERR_DATA)
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: %s: the index is corrupt (a page failed its checksum)", t->path,
                what);
  else if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: %s: the index is corrupt (%s)", t->path, what, sqlite3_errstr(rc));
  else
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: %s: %s", t->path, what, sqlite3_errmsg(t->db));
  return FALSE;
}

static void
warn(PostingTable *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
warn(PostingTable *t, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_autofree char *full = g_strdup_printf("%s: %s", t->path, msg);
  if (t->warn != NULL)
    t->warn(full, t->warn_data);
  else
    g_warning("%s", full);
}

/* ---- varints ---- */

/* A growable byte buffer, appended to in the hot loops without a function call per byte. */
typedef struct {
  guint8 *p;
  gsize len, cap;
} Bytes;

static void
bytes_reserve(Bytes *b, gsize more)
{
  if (b->len + more > b->cap) {
    b->cap = MAX(b->cap * 2, b->len + more + 256);
    b->p = g_realloc(b->p, b->cap);
  }
}

/* Writes a varint at q (10 bytes must be free there); returns the byte after it. */
static inline guint8 *
write_varint(guint8 *q, guint64 v)
{
  while (v >= 0x80) {
    *q++ = (guint8)(v | 0x80);
    v >>= 7;
  }
  *q++ = (guint8)v;
  return q;
}

/* Reads a varint from p[*i..len): FALSE when it is cut short or longer than 64 bits. */
static inline gboolean
get_varint(const guint8 *p, gsize len, gsize *i, guint64 *v)
{
  guint64 r = 0;
  for (guint shift = 0; shift < 64; shift += 7) {
    if (*i >= len)
      return FALSE;
    guint8 b = p[(*i)++];
    if (shift == 63 && b > 1)
      return FALSE;
    r |= (guint64)(b & 0x7f) << shift;
    if (b < 0x80) {
      *v = r;
      return TRUE;
    }
  }
  return FALSE;
}

/* ---- blocks ---- */

static gint64
block_hash(int which, gint64 seg, gint64 first_key, gint64 n, const void *data, gsize len)
{
  gint64 head[4] = { GINT64_TO_LE(which), GINT64_TO_LE(seg), GINT64_TO_LE(first_key), GINT64_TO_LE(n) };
  return (gint64)XXH3_64bits_withSeed(data, len, XXH3_64bits(head, sizeof head));
}

static gint64
segment_hash(int which, gint64 seg, gint64 postings, gint64 blocks)
{
  gint64 v[4] = { GINT64_TO_LE(which), GINT64_TO_LE(seg), GINT64_TO_LE(postings), GINT64_TO_LE(blocks) };
  return (gint64)XXH3_64bits(v, sizeof v);
}

/* A decoded block: keys[k] has the numbers nums[start[k] .. start[k + 1]). */
typedef struct {
  GArray *keys;  /* gint64 */
  GArray *start; /* guint, one more than keys */
  GArray *nums;  /* guint32 */
  gint64 first, last;
  gboolean valid;
} Block;

static void
block_init(Block *b)
{
  b->keys = g_array_new(FALSE, FALSE, sizeof(gint64));
  b->start = g_array_new(FALSE, FALSE, sizeof(guint));
  b->nums = g_array_new(FALSE, FALSE, sizeof(guint32));
  b->valid = FALSE;
}

static void
block_clear(Block *b)
{
  g_clear_pointer(&b->keys, g_array_unref);
  g_clear_pointer(&b->start, g_array_unref);
  g_clear_pointer(&b->nums, g_array_unref);
}

/* Decodes a block row; FALSE (what set) when it fails a check. */
static gboolean
block_decode(int which, gint64 seg, gint64 first_key, gint64 n, const guint8 *data, gsize len, gint64 hash, Block *b,
             const char **what)
{
  b->valid = FALSE;
  g_array_set_size(b->keys, 0);
  g_array_set_size(b->start, 0);
  g_array_set_size(b->nums, 0);
  if (len == 0 || len > MAX_BLOCK_BYTES || n < 1 || (guint64)n > len || first_key < 0 || first_key > G_MAXUINT32) {
    *what = "sizes out of range";
    return FALSE;
  }
  if (block_hash(which, seg, first_key, n, data, len) != hash) {
    *what = "contents that do not match its hash";
    return FALSE;
  }
  gsize i = 0, nk = 0, nn = 0;
  guint64 key = (guint64)first_key;
  g_array_set_size(b->keys, (guint)n);
  g_array_set_size(b->start, (guint)n + 1);
  g_array_set_size(b->nums, (guint)n);
  gint64 *keys = (gint64 *)(void *)b->keys->data;
  guint *start = (guint *)(void *)b->start->data;
  guint32 *nums = (guint32 *)(void *)b->nums->data;
  while (i < len) {
    guint64 delta, count, num;
    if (!get_varint(data, len, &i, &delta) || !get_varint(data, len, &i, &count) || count == 0 ||
        count > (guint64)n - nn) {
      *what = "postings that do not decode";
      return FALSE;
    }
    if (nk == 0 ? delta != 0 : (delta == 0 || delta > G_MAXUINT32 || key + delta > G_MAXUINT32)) {
      *what = "keys out of order";
      return FALSE;
    }
    key += delta;
    keys[nk] = (gint64)key;
    start[nk++] = (guint)nn;
    guint64 prev = 0;
    for (guint64 c = 0; c < count; c++) {
      if (!get_varint(data, len, &i, &num) || num > G_MAXUINT32 || (c > 0 && num == 0) || prev + num > G_MAXUINT32 ||
          prev + num == 0) {
        *what = "article numbers out of range";
        return FALSE;
      }
      prev += num;
      nums[nn++] = (guint32)prev;
    }
  }
  if ((gint64)nn != n) {
    *what = "a posting count that does not match";
    return FALSE;
  }
  start[nk] = (guint)nn;
  g_array_set_size(b->keys, (guint)nk);
  g_array_set_size(b->start, (guint)nk + 1);
  b->first = first_key;
  b->last = keys[nk - 1];
  b->valid = TRUE;
  return TRUE;
}

/* Encodes postings (sorted by key then number) into blocks. */
typedef struct {
  Bytes data;
  gint64 first_key, prev_key;
  guint64 n;
  gint64 cur_key;
  guint32 *cur;         /* numbers of cur_key */
  gsize n_cur, cap_cur;
  gboolean have_cur;
  /* where finished blocks go */
  gboolean (*emit)(gpointer ctx, gint64 first_key, guint64 n, const guint8 *data, gsize len, GError **error);
  gpointer ctx;
  guint64 blocks, postings;
} BlockWriter;

static void
writer_init(BlockWriter *w, gboolean (*emit)(gpointer, gint64, guint64, const guint8 *, gsize, GError **), gpointer ctx)
{
  memset(w, 0, sizeof *w);
  w->emit = emit;
  w->ctx = ctx;
}

static void
writer_clear(BlockWriter *w)
{
  g_free(w->data.p);
  g_free(w->cur);
}

static gboolean
writer_emit(BlockWriter *w, GError **error)
{
  if (w->n == 0)
    return TRUE;
  gboolean ok = w->emit(w->ctx, w->first_key, w->n, w->data.p, w->data.len, error);
  w->blocks++;
  w->data.len = 0;
  w->n = 0;
  return ok;
}

/* Writes the numbers of the current key into the block (starting a new block first if full). */
static gboolean
writer_finish_key(BlockWriter *w, GError **error)
{
  if (!w->have_cur)
    return TRUE;
  if (w->data.len >= BLOCK_TARGET && !writer_emit(w, error))
    return FALSE;
  bytes_reserve(&w->data, 10 * (w->n_cur + 2));
  guint8 *q = w->data.p + w->data.len;
  if (w->n == 0)
    w->first_key = w->cur_key;
  q = write_varint(q, w->n == 0 ? 0 : (guint64)w->cur_key - (guint64)w->prev_key);
  q = write_varint(q, w->n_cur);
  guint32 prev = 0;
  for (gsize i = 0; i < w->n_cur; i++) {
    q = write_varint(q, w->cur[i] - prev);
    prev = w->cur[i];
  }
  w->data.len = (gsize)(q - w->data.p);
  w->n += w->n_cur;
  w->postings += w->n_cur;
  w->prev_key = w->cur_key;
  w->n_cur = 0;
  w->have_cur = FALSE;
  return TRUE;
}

/* Adds a posting; postings must come sorted by (key, number). A repeated one is dropped. */
static gboolean
writer_add(BlockWriter *w, gint64 key, guint32 num, GError **error)
{
  if (w->have_cur && key == w->cur_key) {
    if (w->n_cur > 0 && w->cur[w->n_cur - 1] >= num)
      return TRUE; /* a repeat (or out of order: never produced by the merge) */
  } else {
    if (!writer_finish_key(w, error))
      return FALSE;
    w->cur_key = key;
    w->have_cur = TRUE;
  }
  if (w->n_cur == w->cap_cur) {
    w->cap_cur = MAX(16, 2 * w->cap_cur);
    w->cur = g_renew(guint32, w->cur, w->cap_cur);
  }
  w->cur[w->n_cur++] = num;
  return TRUE;
}

/* Adds postings p[0..n) sorted by (key, number): the same blocks as writer_add on each in turn
 * (repeats dropped), but a key's numbers are encoded straight from the array. Most anchor keys
 * have one posting, so gathering each key's numbers first was most of the writer's work per
 * posting (callgrind: docs/archive.md). */
static gboolean
writer_add_sorted(BlockWriter *w, const guint64 *p, gsize n, GError **error)
{
  gsize i = 0;
  for (; i < n && w->have_cur && (gint64)(p[i] >> 32) == w->cur_key; i++) /* the key in progress */
    if (!writer_add(w, w->cur_key, (guint32)p[i], error))
      return FALSE;
  if (!writer_finish_key(w, error))
    return FALSE;
  while (i < n) {
    guint64 key = p[i] >> 32;
    gsize j = i + 1, count = 1;
    for (; j < n && (p[j] >> 32) == key; j++)
      count += p[j] != p[j - 1];
    if (w->data.len >= BLOCK_TARGET && !writer_emit(w, error))
      return FALSE;
    bytes_reserve(&w->data, 10 * (count + 2));
    guint8 *q = w->data.p + w->data.len;
    if (w->n == 0)
      w->first_key = (gint64)key;
    q = write_varint(q, w->n == 0 ? 0 : key - (guint64)w->prev_key);
    q = write_varint(q, count);
    guint32 prev = 0;
    for (gsize k = i; k < j; k++) {
      guint32 num = (guint32)p[k];
      if (k > i && num == prev)
        continue;
      q = write_varint(q, num - prev);
      prev = num;
    }
    w->data.len = (gsize)(q - w->data.p);
    w->n += count;
    w->postings += count;
    w->prev_key = (gint64)key;
    i = j;
  }
  return TRUE;
}

static gboolean
writer_close(BlockWriter *w, GError **error)
{
  return writer_finish_key(w, error) && writer_emit(w, error);
}

/* ---- the table ---- */

PostingTable *
posting_table_new(sqlite3 *db, int which, const char *path, const char *tmp_dir, GError **error)
{
  PostingTable *t = g_new0(PostingTable, 1);
  t->db = db;
  t->which = which;
  t->path = g_strdup(path);
  t->tmp_dir = g_strdup(tmp_dir);
  t->spill_fd = -1;
  t->read_ahead = g_get_num_processors() > 1 ? READ_AHEAD : 0;
  t->buffer_max = BUFFER_MAX;
  const char *name = table_names[which];
  char *sql[N_ST] = {
    [ST_SEEK] = g_strdup_printf("SELECT first_key, n, data, hash FROM %s WHERE seg = ?1 AND first_key <= ?2 ORDER BY "
                                "first_key DESC LIMIT 1", name),
    [ST_SCAN] = g_strdup_printf("SELECT first_key, n, data, hash FROM %s WHERE seg = ?1 ORDER BY first_key", name),
    [ST_INSERT] = g_strdup_printf("INSERT INTO %s(seg, first_key, n, data, hash) VALUES (?, ?, ?, ?, ?)", name),
    [ST_DELETE_SEG] = g_strdup_printf("DELETE FROM %s WHERE seg = ?", name),
    [ST_DELETE_BLOCK] = g_strdup_printf("DELETE FROM %s WHERE seg = ? AND first_key = ?", name),
    [ST_SEGMENTS] = g_strdup_printf("SELECT seg, postings, blocks, hash FROM segments WHERE kind = %d ORDER BY seg DESC",
                                    which),
    [ST_SEG_INSERT] = g_strdup("INSERT OR REPLACE INTO segments(kind, seg, postings, blocks, hash) VALUES (?, ?, ?, ?, ?)"),
    [ST_SEG_DELETE] = g_strdup("DELETE FROM segments WHERE kind = ? AND seg = ?"),
    [ST_ALL] = g_strdup_printf("SELECT seg, first_key, n, data, hash FROM %s ORDER BY seg, first_key", name),
  };
  gboolean ok = TRUE;
  for (int i = 0; i < N_ST; i++) {
    int rc = ok ? sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &t->st[i], NULL) : SQLITE_OK;
    if (rc != SQLITE_OK)
      ok = db_fail(t, rc, "preparing statements", error);
    g_free(sql[i]);
  }
  if (!ok) {
    posting_table_free(t);
    return NULL;
  }
  return t;
}

void
posting_table_discard(PostingTable *t)
{
  for (guint b = 0; t->buckets != NULL && b < N_BUCKETS; b++) {
    g_free(t->buckets[b].p);
    if (t->buckets[b].chunks != NULL)
      g_array_unref(t->buckets[b].chunks);
  }
  g_clear_pointer(&t->buckets, g_free);
  g_clear_pointer(&t->staged, g_free);
  t->n_buf = t->n_staged = 0;
  if (t->spill_fd >= 0)
    close(t->spill_fd);
  t->spill_fd = -1;
  t->spill_bytes = t->spilled = 0;
}

void
posting_table_free(PostingTable *t)
{
  if (t == NULL)
    return;
  posting_table_discard(t);
  for (int i = 0; i < N_ST; i++)
    sqlite3_finalize(t->st[i]);
  g_free(t->path);
  g_free(t->tmp_dir);
  g_free(t);
}

void
posting_table_set_warning(PostingTable *t, PostingWarnFunc func, gpointer data)
{
  t->warn = func;
  t->warn_data = data;
}

void
posting_table_set_progress(PostingTable *t, PostingProgressFunc func, gpointer data)
{
  t->progress = func;
  t->progress_data = data;
}

void
posting_table_set_read_ahead(PostingTable *t, guint buckets)
{
  t->read_ahead = buckets;
}

void
posting_table_set_buffer(PostingTable *t, gsize postings)
{
  t->buffer_max = MAX(postings, 1);
}

guint64
posting_table_pending(const PostingTable *t)
{
  return t->n_buf + t->n_staged + t->spilled;
}

/* Writes every bucket's postings in memory to the spill file as a chunk of it. */
static gboolean
spill(PostingTable *t, GError **error)
{
  if (t->spill_fd < 0 && (t->spill_fd = nd_temp_file(t->tmp_dir)) < 0) {
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "%s: cannot create a temporary file for postings: %s", t->tmp_dir,
                g_strerror(errno));
    return FALSE;
  }
  for (guint b = 0; b < N_BUCKETS; b++) {
    Bucket *k = &t->buckets[b];
    if (k->len == 0)
      continue;
    gsize bytes = k->len * sizeof(guint64);
    if (!nd_write_all(t->spill_fd, k->p, bytes)) {
      g_set_error(error, ND_ERROR, ND_ERROR_IO, "%s: cannot write postings to a temporary file: %s", t->tmp_dir,
                  g_strerror(errno ? errno : ENOSPC));
      return FALSE;
    }
    if (k->chunks == NULL)
      k->chunks = g_array_new(FALSE, FALSE, sizeof(Chunk));
    Chunk c = { t->spill_bytes, k->len };
    g_array_append_val(k->chunks, c);
    t->spill_bytes += bytes;
    t->spilled += k->len;
    k->len = 0;
  }
  t->n_buf = 0;
  return TRUE;
}

/* Moves the staged postings to their buckets, in the order added. Apart, the adds would each write
 * to one of 1024 places between an article's SQLite work (perf: most of their time was the store's
 * cache miss); together, the misses overlap. */
static void
distribute(PostingTable *t)
{
  if (t->n_staged == 0)
    return;
  if (t->buckets == NULL)
    t->buckets = g_new0(Bucket, N_BUCKETS);
  for (gsize i = 0; i < t->n_staged; i++) {
    guint64 v = t->staged[i];
    Bucket *k = &t->buckets[v >> (64 - BUCKET_BITS)];
    if (k->len == k->cap) {
      k->cap = MAX(64, 2 * k->cap);
      k->p = g_renew(guint64, k->p, k->cap);
    }
    k->p[k->len++] = v;
  }
  t->n_buf += t->n_staged;
  t->n_staged = 0;
}

gboolean
posting_table_add(PostingTable *t, guint32 key, guint32 num, GError **error)
{
  if (t->staged == NULL)
    t->staged = g_new(guint64, STAGED);
  t->staged[t->n_staged++] = (guint64)key << 32 | num;
  if (t->n_staged < STAGED && t->n_buf + t->n_staged < t->buffer_max)
    return TRUE;
  distribute(t); /* the buffer spills at the same postings as without the stage */
  return t->n_buf < t->buffer_max || spill(t, error);
}

/* Bucket b's postings, in the order added (chunks, then memory), sorted by (key, number): the radix
 * sort is stable and numbers were added ascending. A new array of *n; NULL with an error. */
static guint64 *
bucket_sorted(PostingTable *t, guint b, gsize *n, GError **error)
{
  Bucket *k = &t->buckets[b];
  gsize total = k->len;
  for (guint c = 0; k->chunks != NULL && c < k->chunks->len; c++)
    total += g_array_index(k->chunks, Chunk, c).count;
  guint64 *a = g_new(guint64, total + 1);
  gsize at = 0;
  for (guint c = 0; k->chunks != NULL && c < k->chunks->len; c++) {
    const Chunk *ch = &g_array_index(k->chunks, Chunk, c);
    if (!nd_pread_all(t->spill_fd, a + at, ch->count * sizeof(guint64), ch->offset)) {
      g_set_error(error, ND_ERROR, ND_ERROR_IO, "%s: cannot read postings back from a temporary file: %s",
                  t->tmp_dir, errno != 0 ? g_strerror(errno) : "it is shorter than written");
      g_free(a);
      return NULL;
    }
    at += ch->count;
  }
  if (k->len > 0)
    memcpy(a + at, k->p, k->len * sizeof(guint64));
  if (total > 1) {
    guint64 *scratch = g_new(guint64, total);
    nd_sort_u64_high32(a, scratch, total);
    g_free(scratch);
  }
  *n = total;
  return a;
}

/* ---- merging: sources of sorted postings ---- */

typedef enum { SRC_MEMORY, SRC_SEGMENT } SourceKind;

typedef struct {
  SourceKind kind;
  guint64 v; /* the current posting: key << 32 | number */
  gboolean valid;
  /* memory */
  const guint64 *recs;
  gsize n, pos;
  /* segment */
  sqlite3_stmt *st;
  Block block;
  guint bk, bn; /* key and number position in the block */
  gint64 seg;
} Source;

static gboolean
source_next(PostingTable *t, Source *s, GError **error)
{
  switch (s->kind) {
  case SRC_MEMORY:
    s->valid = s->pos < s->n;
    if (s->valid)
      s->v = s->recs[s->pos++];
    return TRUE;
  case SRC_SEGMENT:
    for (;;) {
      if (s->block.valid && s->bn < s->block.nums->len) {
        const guint *start = (const guint *)(const void *)s->block.start->data;
        while (start[s->bk + 1] <= s->bn)
          s->bk++;
        s->v = (guint64)((const gint64 *)(const void *)s->block.keys->data)[s->bk] << 32 |
               ((const guint32 *)(const void *)s->block.nums->data)[s->bn];
        s->bn++;
        s->valid = TRUE;
        return TRUE;
      }
      int rc = sqlite3_step(s->st);
      if (rc == SQLITE_DONE) {
        s->valid = FALSE;
        return TRUE;
      }
      if (rc != SQLITE_ROW)
        return db_fail(t, rc, "reading postings", error);
      const char *what = NULL;
      gint64 first = sqlite3_column_int64(s->st, 0), n = sqlite3_column_int64(s->st, 1);
      if (sqlite3_column_type(s->st, 2) != SQLITE_BLOB ||
          !block_decode(t->which, s->seg, first, n, sqlite3_column_blob(s->st, 2),
                        (gsize)sqlite3_column_bytes(s->st, 2), sqlite3_column_int64(s->st, 3), &s->block, &what)) {
        /* A merge never copies a damaged block: the add stops, the index stays as it was. */
        g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: the index is corrupt: block %" G_GINT64_FORMAT " of segment %"
                    G_GINT64_FORMAT " of %s has %s", t->path, first, s->seg, table_names[t->which],
                    what ? what : "the wrong type");
        return FALSE;
      }
      s->bk = s->bn = 0;
    }
  }
  return FALSE;
}

static gboolean
source_less(const Source *a, const Source *b)
{
  return a->v < b->v;
}

static void
heap_down(Source **h, gsize n, gsize i)
{
  for (;;) {
    gsize l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && source_less(h[l], h[m]))
      m = l;
    if (r < n && source_less(h[r], h[m]))
      m = r;
    if (m == i)
      return;
    Source *x = h[i];
    h[i] = h[m];
    h[m] = x;
    i = m;
  }
}

typedef struct {
  PostingTable *t;
  gint64 seg;
} EmitContext;

/* Inserts one block row whose hash is already taken. */
static gboolean
insert_block(PostingTable *t, gint64 seg, gint64 first_key, guint64 n, const guint8 *data, gsize len, gint64 hash,
             GError **error)
{
  sqlite3_stmt *st = t->st[ST_INSERT];
  sqlite3_bind_int64(st, 1, seg);
  sqlite3_bind_int64(st, 2, first_key);
  sqlite3_bind_int64(st, 3, (gint64)n);
  sqlite3_bind_blob(st, 4, data, (int)len, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, hash);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE || db_fail(t, rc, "writing postings", error);
}

static gboolean
emit_block(gpointer ctx, gint64 first_key, guint64 n, const guint8 *data, gsize len, GError **error)
{
  EmitContext *e = ctx;
  return insert_block(e->t, e->seg, first_key, n, data, len,
                      block_hash(e->t->which, e->seg, first_key, (gint64)n, data, len), error);
}

/* ---- reading ahead: a thread prepares the buckets while the caller's thread inserts ----
 *
 * The flush is serial work in three parts: reading a bucket's runs back and sorting them, encoding
 * the blocks, and SQLite's inserts. A helper thread does the first (and, when no older segment
 * joins the merge, the second too, with the blocks' hashes) for the buckets ahead, in bucket order,
 * at most `read_ahead` of them in memory; the caller's thread takes them in the same order and is
 * the only one to touch the connection. The rows, their order and the transaction are the same as
 * without the thread (posting_table_set_read_ahead(t, 0)). */

typedef struct {
  gint64 first_key, hash;
  guint64 n;
  gsize at, len; /* the block's bytes in Prepared.data */
} PreparedBlock;

/* One bucket, prepared: sorted postings (merge mode), or encoded blocks (encode mode). */
typedef struct {
  guint64 *sorted;
  gsize n;
  GArray *blocks; /* PreparedBlock */
  GByteArray *data;
  GError *error;  /* set: the thread stopped here */
} Prepared;

typedef struct {
  PostingTable *t;
  gint64 seg;
  gboolean encode;  /* no older segment joins: the thread encodes the blocks as well */
  GAsyncQueue *ready; /* Prepared*, bucket after bucket (one more after the last: the writer's last block) */
  GAsyncQueue *room;  /* a token per free place */
  gint stop;          /* atomic: the caller stopped taking */
  GThread *thread;
  BlockWriter w;      /* encode mode: the thread's writer; read by the caller after the join */
  Prepared *filling;  /* encode mode: where emitted blocks go */
} ReadAhead;

static void
prepared_free(Prepared *p)
{
  if (p == NULL)
    return;
  g_free(p->sorted);
  if (p->blocks != NULL)
    g_array_unref(p->blocks);
  if (p->data != NULL)
    g_byte_array_unref(p->data);
  if (p->error != NULL)
    g_error_free(p->error);
  g_free(p);
}

static gboolean
collect_block(gpointer ctx, gint64 first_key, guint64 n, const guint8 *data, gsize len, GError **error)
{
  (void)error;
  ReadAhead *ra = ctx;
  Prepared *p = ra->filling;
  PreparedBlock pb = { first_key, block_hash(ra->t->which, ra->seg, first_key, (gint64)n, data, len), n, p->data->len,
                       len };
  g_byte_array_append(p->data, data, (guint)len);
  g_array_append_val(p->blocks, pb);
  return TRUE;
}

static gpointer
read_ahead_run(gpointer data)
{
  ReadAhead *ra = data;
  for (guint b = 0; b <= N_BUCKETS; b++) {
    g_async_queue_pop(ra->room);
    if (g_atomic_int_get(&ra->stop))
      break;
    Prepared *p = g_new0(Prepared, 1);
    if (ra->encode) {
      p->blocks = g_array_new(FALSE, FALSE, sizeof(PreparedBlock));
      p->data = g_byte_array_new();
      ra->filling = p;
    }
    gboolean ok = TRUE;
    if (b == N_BUCKETS) {
      if (ra->encode)
        ok = writer_close(&ra->w, &p->error);
    } else if ((p->sorted = bucket_sorted(ra->t, b, &p->n, &p->error)) == NULL) {
      ok = FALSE;
    } else if (ra->encode) {
      ok = writer_add_sorted(&ra->w, p->sorted, p->n, &p->error);
      g_clear_pointer(&p->sorted, g_free);
    }
    g_async_queue_push(ra->ready, p);
    if (!ok || (b == N_BUCKETS - 1 && !ra->encode))
      break;
  }
  return NULL;
}

/* Starts the thread for a flush into segment `seg`; NULL when reading ahead is off. */
static ReadAhead *
read_ahead_start(PostingTable *t, gint64 seg, gboolean encode)
{
  if (t->read_ahead == 0 || t->buckets == NULL)
    return NULL;
  ReadAhead *ra = g_new0(ReadAhead, 1);
  ra->t = t;
  ra->seg = seg;
  ra->encode = encode;
  ra->ready = g_async_queue_new();
  ra->room = g_async_queue_new();
  for (guint i = 0; i < t->read_ahead; i++)
    g_async_queue_push(ra->room, GINT_TO_POINTER(1));
  writer_init(&ra->w, collect_block, ra);
  ra->thread = g_thread_new("neardup-postings", read_ahead_run, ra);
  return ra;
}

/* The next prepared bucket (the caller owns it); waits for it. */
static Prepared *
read_ahead_next(ReadAhead *ra)
{
  Prepared *p = g_async_queue_pop(ra->ready);
  g_async_queue_push(ra->room, GINT_TO_POINTER(1));
  return p;
}

/* Stops and joins the thread (whether or not every bucket was taken) and frees what is left. */
static void
read_ahead_finish(ReadAhead *ra)
{
  if (ra == NULL)
    return;
  g_atomic_int_set(&ra->stop, 1);
  g_async_queue_push(ra->room, GINT_TO_POINTER(1));
  g_thread_join(ra->thread);
  Prepared *p;
  while ((p = g_async_queue_try_pop(ra->ready)) != NULL)
    prepared_free(p);
  g_async_queue_unref(ra->ready);
  g_async_queue_unref(ra->room);
  writer_clear(&ra->w);
  g_free(ra);
}

static gboolean
read_segments(PostingTable *t, GArray *segs, GError **error)
{
  sqlite3_stmt *st = t->st[ST_SEGMENTS];
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    Segment s = { sqlite3_column_int64(st, 0), (guint64)sqlite3_column_int64(st, 1),
                  (guint64)sqlite3_column_int64(st, 2) };
    if (segment_hash(t->which, s.seg, (gint64)s.postings, (gint64)s.blocks) != sqlite3_column_int64(st, 3)) {
      sqlite3_reset(st);
      g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: the index is corrupt: segment %" G_GINT64_FORMAT " of %s does "
                  "not match its hash", t->path, s.seg, table_names[t->which]);
      return FALSE;
    }
    g_array_append_val(segs, s); /* newest first */
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE || db_fail(t, rc, "reading segments", error);
}

static gboolean
step_done(PostingTable *t, sqlite3_stmt *st, const char *what, GError **error)
{
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE || db_fail(t, rc, what, error);
}

static gboolean
write_segment_row(PostingTable *t, gint64 seg, guint64 postings, guint64 blocks, GError **error)
{
  sqlite3_stmt *st = t->st[ST_SEG_INSERT];
  sqlite3_bind_int(st, 1, t->which);
  sqlite3_bind_int64(st, 2, seg);
  sqlite3_bind_int64(st, 3, (gint64)postings);
  sqlite3_bind_int64(st, 4, (gint64)blocks);
  sqlite3_bind_int64(st, 5, segment_hash(t->which, seg, (gint64)postings, (gint64)blocks));
  return step_done(t, st, "writing a segment", error);
}

static gboolean
delete_segment(PostingTable *t, gint64 seg, GError **error)
{
  sqlite3_bind_int64(t->st[ST_DELETE_SEG], 1, seg);
  if (!step_done(t, t->st[ST_DELETE_SEG], "removing a merged segment", error))
    return FALSE;
  sqlite3_bind_int(t->st[ST_SEG_DELETE], 1, t->which);
  sqlite3_bind_int64(t->st[ST_SEG_DELETE], 2, seg);
  return step_done(t, t->st[ST_SEG_DELETE], "removing a merged segment", error);
}

gboolean
posting_table_flush(PostingTable *t, GError **error)
{
  distribute(t);
  if (t->n_buf == 0 && t->spilled == 0)
    return TRUE;
  g_autoptr(GArray) segs = g_array_new(FALSE, FALSE, sizeof(Segment));
  if (!read_segments(t, segs, error))
    return FALSE;
  gint64 new_seg = segs->len > 0 ? g_array_index(segs, Segment, 0).seg + 1 : 1;
  /* The newest segments not larger than what is merged so far join the merge. */
  guint64 total = t->n_buf + t->spilled;
  guint merged = 0;
  while (merged < segs->len && g_array_index(segs, Segment, merged).postings <= total)
    total += g_array_index(segs, Segment, merged++).postings;

  /* Sources: the bucket being written (memory) and the merged segments, which are read along. */
  guint n_src = 1 + merged;
  g_autofree Source *src = g_new0(Source, n_src);
  g_autofree Source **heap = g_new(Source *, n_src);
  gboolean ok = TRUE;
  for (guint m = 0; m < merged; m++) {
    Source *s = &src[1 + m];
    *s = (Source){ .kind = SRC_SEGMENT, .seg = g_array_index(segs, Segment, m).seg };
    block_init(&s->block);
    char *sql = g_strdup_printf("SELECT first_key, n, data, hash FROM %s WHERE seg = %" G_GINT64_FORMAT
                                " ORDER BY first_key", table_names[t->which], s->seg);
    int rc = sqlite3_prepare_v2(t->db, sql, -1, &s->st, NULL);
    g_free(sql);
    if (rc != SQLITE_OK)
      ok = db_fail(t, rc, "reading postings", error);
    else
      ok = source_next(t, s, error);
  }
  EmitContext ctx = { t, new_seg };
  BlockWriter w;
  writer_init(&w, emit_block, &ctx);
  guint64 done = 0, reported = 0, postings = 0, blocks = 0;
  ReadAhead *ra = ok ? read_ahead_start(t, new_seg, merged == 0) : NULL;
  for (guint b = 0; ok && ra != NULL && ra->encode && b <= N_BUCKETS; b++) {
    /* Encoded by the thread: only the inserts are left. */
    Prepared *p = read_ahead_next(ra);
    if (p->error != NULL) {
      g_propagate_error(error, g_steal_pointer(&p->error));
      ok = FALSE;
    }
    for (guint i = 0; ok && i < p->blocks->len; i++) {
      const PreparedBlock *pb = &g_array_index(p->blocks, PreparedBlock, i);
      ok = insert_block(t, new_seg, pb->first_key, pb->n, p->data->data + pb->at, pb->len, pb->hash, error);
    }
    done += p->n;
    prepared_free(p);
    if (ok && b == N_BUCKETS) { /* the thread's writer is closed: its counts are final */
      postings = ra->w.postings;
      blocks = ra->w.blocks;
    }
    if (t->progress != NULL && done - reported >= (1u << 20)) {
      t->progress(done, total, t->progress_data);
      reported = done;
    }
  }
  for (guint b = 0; ok && (ra == NULL || !ra->encode) && b < N_BUCKETS; b++) {
    gsize n = 0;
    g_autofree guint64 *sorted = NULL;
    if (ra != NULL) {
      Prepared *p = read_ahead_next(ra);
      if (p->error != NULL)
        g_propagate_error(error, g_steal_pointer(&p->error));
      sorted = g_steal_pointer(&p->sorted);
      n = p->n;
      prepared_free(p);
      if (sorted == NULL) {
        ok = FALSE;
        break;
      }
    } else if (t->buckets != NULL && (sorted = bucket_sorted(t, b, &n, error)) == NULL) {
      ok = FALSE;
      break;
    }
    /* Merge this bucket with the segments' postings below the next bucket's first key. */
    guint64 end = b + 1 < N_BUCKETS ? (guint64)(b + 1) << (64 - BUCKET_BITS) : G_MAXUINT64;
    src[0] = (Source){ .kind = SRC_MEMORY, .recs = sorted, .n = n };
    source_next(t, &src[0], error);
    gsize n_heap = 0;
    for (guint i = 0; i < n_src; i++)
      if (src[i].valid && (src[i].v < end || b + 1 == N_BUCKETS))
        heap[n_heap++] = &src[i];
    if (n_heap == 1 && heap[0] == &src[0]) { /* no older postings here: written as they are */
      ok = writer_add_sorted(&w, sorted, n, error);
      done += n;
    } else {
      for (gsize i = n_heap; i-- > 0;)
        heap_down(heap, n_heap, i);
      while (ok && n_heap > 0) {
        Source *s = heap[0];
        ok = writer_add(&w, (gint64)(s->v >> 32), (guint32)s->v, error) && source_next(t, s, error);
        if (ok && (!s->valid || (s->v >= end && b + 1 < N_BUCKETS)))
          heap[0] = heap[--n_heap];
        heap_down(heap, n_heap, 0);
        done++;
      }
    }
    if (t->progress != NULL && done - reported >= (1u << 20)) {
      t->progress(done, total, t->progress_data);
      reported = done;
    }
  }
  if (ra == NULL || !ra->encode) {
    ok = ok && writer_close(&w, error);
    postings = w.postings;
    blocks = w.blocks;
  }
  read_ahead_finish(ra);
  for (guint m = 0; m < merged; m++) {
    sqlite3_finalize(src[1 + m].st);
    block_clear(&src[1 + m].block);
  }
  for (guint m = 0; ok && m < merged; m++)
    ok = delete_segment(t, g_array_index(segs, Segment, m).seg, error);
  ok = ok && (postings == 0 || write_segment_row(t, new_seg, postings, blocks, error));
  writer_clear(&w);
  if (ok && t->progress != NULL)
    t->progress(total, total, t->progress_data);
  posting_table_discard(t);
  return ok;
}

/* ---- reading ---- */

/* A cursor over one segment for increasing keys: seeks (an index lookup per key) or scans. */
typedef struct {
  gint64 seg;
  gboolean scan, done;
  sqlite3_stmt *st; /* the scan's statement (own), or the table's seek statement */
  Block block;
  guint pos;        /* next key index to look at in the block */
} Cursor;

/* Loads the row `st` stands on into the cursor's block; a corrupt block is named and left empty. */
static void
cursor_load(PostingTable *t, Cursor *c, sqlite3_stmt *st)
{
  const char *what = "the wrong type";
  gint64 first = sqlite3_column_int64(st, 0);
  if (sqlite3_column_type(st, 2) != SQLITE_BLOB ||
      !block_decode(t->which, c->seg, first, sqlite3_column_int64(st, 1), sqlite3_column_blob(st, 2),
                    (gsize)sqlite3_column_bytes(st, 2), sqlite3_column_int64(st, 3), &c->block, &what)) {
    warn(t, "a corrupt block of %s (segment %" G_GINT64_FORMAT ", first key %" G_GINT64_FORMAT ") has %s; its postings "
         "are skipped", table_names[t->which], c->seg, first, what);
    c->block.valid = TRUE; /* an empty block covering its first key, so it is not read again */
    c->block.first = c->block.last = first;
    g_array_set_size(c->block.keys, 0);
    g_array_set_size(c->block.nums, 0);
    g_array_set_size(c->block.start, 1);
    g_array_index(c->block.start, guint, 0) = 0;
  }
  c->pos = 0;
}

/* The postings of `key` in the cursor's segment (appended to nums). */
static gboolean
cursor_find(PostingTable *t, Cursor *c, gint64 key, GArray *nums, GError **error)
{
  if (c->scan) {
    while (!c->done && (!c->block.valid || key > c->block.last)) {
      int rc = sqlite3_step(c->st);
      if (rc == SQLITE_DONE) {
        c->done = TRUE;
        break;
      }
      if (rc != SQLITE_ROW)
        return db_fail(t, rc, "reading postings", error);
      cursor_load(t, c, c->st);
    }
  } else if (!c->block.valid || key < c->block.first || key > c->block.last) {
    sqlite3_stmt *st = t->st[ST_SEEK];
    sqlite3_bind_int64(st, 1, c->seg);
    sqlite3_bind_int64(st, 2, key);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && !(c->block.valid && sqlite3_column_int64(st, 0) == c->block.first))
      cursor_load(t, c, st);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      return db_fail(t, rc, "reading postings", error);
    if (rc == SQLITE_DONE)
      return TRUE; /* every key of the segment is larger */
  }
  if (!c->block.valid || key < c->block.first || key > c->block.last)
    return TRUE;
  const Block *b = &c->block;
  if (c->pos >= b->keys->len || g_array_index(b->keys, gint64, c->pos) > key)
    c->pos = 0; /* a seek moved to another block, or keys restarted */
  while (c->pos < b->keys->len && g_array_index(b->keys, gint64, c->pos) < key)
    c->pos++;
  if (c->pos < b->keys->len && g_array_index(b->keys, gint64, c->pos) == key) {
    guint s = g_array_index(b->start, guint, c->pos), e = g_array_index(b->start, guint, c->pos + 1);
    g_array_append_vals(nums, &g_array_index(b->nums, guint32, s), e - s);
  }
  return TRUE;
}

static int
compare_u32(gconstpointer a, gconstpointer b)
{
  guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
  return (x > y) - (x < y);
}

gboolean
posting_table_lookup(PostingTable *t, const guint32 *keys, gsize n_keys, guint max_list, PostingListFunc func,
                     gpointer data, GError **error)
{
  g_return_val_if_fail(t->n_buf == 0 && t->n_staged == 0 && t->spilled == 0, FALSE);
  g_autoptr(GArray) segs = g_array_new(FALSE, FALSE, sizeof(Segment));
  if (n_keys == 0 || !read_segments(t, segs, error))
    return n_keys == 0;
  g_autofree Cursor *cur = g_new0(Cursor, segs->len + 1);
  gboolean ok = TRUE;
  for (guint s = 0; s < segs->len && ok; s++) {
    const Segment *seg = &g_array_index(segs, Segment, segs->len - 1 - s); /* oldest first: numbers ascend */
    cur[s].seg = seg->seg;
    block_init(&cur[s].block);
    /* Scanning reads every block once; seeking costs a B-tree descent per key. */
    cur[s].scan = (guint64)n_keys * 4 > seg->blocks;
    if (cur[s].scan) {
      char *sql = g_strdup_printf("SELECT first_key, n, data, hash FROM %s WHERE seg = %" G_GINT64_FORMAT
                                  " ORDER BY first_key", table_names[t->which], seg->seg);
      int rc = sqlite3_prepare_v2(t->db, sql, -1, &cur[s].st, NULL);
      g_free(sql);
      if (rc != SQLITE_OK)
        ok = db_fail(t, rc, "reading postings", error);
    }
  }
  g_autoptr(GArray) nums = g_array_new(FALSE, FALSE, sizeof(guint32));
  for (gsize k = 0; k < n_keys && ok; k++) {
    g_array_set_size(nums, 0);
    guint from_segments = 0;
    for (guint s = 0; s < segs->len && ok; s++) {
      guint before = nums->len;
      ok = cursor_find(t, &cur[s], (gint64)keys[k], nums, error);
      from_segments += nums->len > before;
    }
    if (!ok || nums->len == 0)
      continue;
    if (nums->len > max_list) {
      func(k, NULL, max_list + 1, data);
      continue;
    }
    if (from_segments > 1)
      g_array_sort(nums, compare_u32);
    func(k, (const guint32 *)(void *)nums->data, nums->len, data);
  }
  for (guint s = 0; s < segs->len; s++) {
    sqlite3_finalize(cur[s].st);
    block_clear(&cur[s].block);
  }
  return ok;
}

gboolean
posting_table_count(PostingTable *t, guint64 *postings, guint *segments, GError **error)
{
  g_autoptr(GArray) segs = g_array_new(FALSE, FALSE, sizeof(Segment));
  if (!read_segments(t, segs, error))
    return FALSE;
  *postings = posting_table_pending(t);
  for (guint s = 0; s < segs->len; s++)
    *postings += g_array_index(segs, Segment, s).postings;
  *segments = segs->len;
  return TRUE;
}

gboolean
posting_table_remove(PostingTable *t, guint32 key, guint32 num, gboolean *found, GError **error)
{
  g_return_val_if_fail(t->n_buf == 0 && t->n_staged == 0 && t->spilled == 0, FALSE);
  *found = FALSE;
  g_autoptr(GArray) segs = g_array_new(FALSE, FALSE, sizeof(Segment));
  if (!read_segments(t, segs, error))
    return FALSE;
  Block b;
  block_init(&b);
  gboolean ok = TRUE;
  for (guint s = 0; s < segs->len && ok && !*found; s++) {
    Segment *seg = &g_array_index(segs, Segment, s);
    sqlite3_stmt *st = t->st[ST_SEEK];
    sqlite3_bind_int64(st, 1, seg->seg);
    sqlite3_bind_int64(st, 2, (gint64)key);
    int rc = sqlite3_step(st);
    const char *what = NULL;
    gint64 first = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    gboolean decoded = rc == SQLITE_ROW && sqlite3_column_type(st, 2) == SQLITE_BLOB &&
                       block_decode(t->which, seg->seg, first, sqlite3_column_int64(st, 1), sqlite3_column_blob(st, 2),
                                    (gsize)sqlite3_column_bytes(st, 2), sqlite3_column_int64(st, 3), &b, &what);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      ok = db_fail(t, rc, "reading postings", error);
      break;
    }
    if (rc == SQLITE_ROW && !decoded) {
      g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: the index is corrupt: a block of %s (segment %" G_GINT64_FORMAT
                  ", first key %" G_GINT64_FORMAT ") has %s", t->path, table_names[t->which], seg->seg, first,
                  what ? what : "the wrong type");
      ok = FALSE;
      break;
    }
    if (!decoded)
      continue;
    /* Rewrite the block without the posting. */
    EmitContext ctx = { t, seg->seg };
    BlockWriter w;
    writer_init(&w, emit_block, &ctx);
    gboolean in_block = FALSE;
    for (guint k = 0; k < b.keys->len && !in_block; k++)
      for (guint i = g_array_index(b.start, guint, k); i < g_array_index(b.start, guint, k + 1); i++)
        in_block = in_block || (g_array_index(b.keys, gint64, k) == (gint64)key && g_array_index(b.nums, guint32, i) == num);
    if (in_block) {
      sqlite3_bind_int64(t->st[ST_DELETE_BLOCK], 1, seg->seg);
      sqlite3_bind_int64(t->st[ST_DELETE_BLOCK], 2, first);
      ok = step_done(t, t->st[ST_DELETE_BLOCK], "removing postings", error);
      /* A block that lost its only posting, or its first key, is one block fewer or moves. */
      for (guint k = 0; k < b.keys->len && ok; k++)
        for (guint i = g_array_index(b.start, guint, k); i < g_array_index(b.start, guint, k + 1) && ok; i++) {
          gint64 bk = g_array_index(b.keys, gint64, k);
          guint32 bn = g_array_index(b.nums, guint32, i);
          if (!(bk == (gint64)key && bn == num))
            ok = writer_add(&w, bk, bn, error);
        }
      /* The rewritten postings fit in one block again, or a few when a long list is split. */
      ok = ok && writer_close(&w, error);
      seg->postings--;
      seg->blocks = seg->blocks - 1 + w.blocks;
      ok = ok && (seg->postings == 0 ? delete_segment(t, seg->seg, error)
                                     : write_segment_row(t, seg->seg, seg->postings, seg->blocks, error));
      *found = TRUE;
    }
    writer_clear(&w);
  }
  block_clear(&b);
  return ok;
}

gboolean
posting_table_check(PostingTable *t, guint32 *per_num, gsize n_nums, guint64 *problems, GError **error)
{
  g_autoptr(GArray) segs = g_array_new(FALSE, FALSE, sizeof(Segment));
  if (!read_segments(t, segs, error))
    return FALSE;
  g_autoptr(GHashTable) seen = g_hash_table_new(g_int64_hash, g_int64_equal);
  for (guint s = 0; s < segs->len; s++)
    g_hash_table_insert(seen, &g_array_index(segs, Segment, s).seg, &g_array_index(segs, Segment, s));
  g_autoptr(GHashTable) counted = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  Block b;
  block_init(&b);
  sqlite3_stmt *st = t->st[ST_ALL];
  int rc;
  gint64 prev_seg = 0, prev_last = 0;
  gboolean have_prev = FALSE;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    gint64 seg = sqlite3_column_int64(st, 0), first = sqlite3_column_int64(st, 1);
    const char *what = NULL;
    if (!g_hash_table_contains(seen, &seg))
      what = "a segment that is not listed";
    else if (sqlite3_column_type(st, 3) != SQLITE_BLOB)
      what = "the wrong type";
    else
      block_decode(t->which, seg, first, sqlite3_column_int64(st, 1 + 1), sqlite3_column_blob(st, 3),
                   (gsize)sqlite3_column_bytes(st, 3), sqlite3_column_int64(st, 4), &b, &what);
    if (what == NULL && have_prev && prev_seg == seg && first <= prev_last)
      what = "keys overlapping the block before it";
    if (what != NULL) {
      warn(t, "a block of %s (segment %" G_GINT64_FORMAT ", first key %" G_GINT64_FORMAT ") has %s",
           table_names[t->which], seg, first, what);
      ++*problems;
      continue;
    }
    prev_seg = seg;
    prev_last = b.last;
    have_prev = TRUE;
    guint64 *c = g_hash_table_lookup(counted, &seg);
    if (c == NULL) {
      c = g_new0(guint64, 2);
      g_hash_table_insert(counted, g_memdup2(&seg, sizeof seg), c);
    }
    c[0] += b.nums->len;
    c[1]++;
    for (guint i = 0; i < b.nums->len; i++) {
      guint32 num = g_array_index(b.nums, guint32, i);
      if (num < n_nums)
        per_num[num]++;
      else {
        warn(t, "a block of %s (segment %" G_GINT64_FORMAT ", first key %" G_GINT64_FORMAT ") names article %u, "
             "which does not exist", table_names[t->which], seg, first, num);
        ++*problems;
      }
    }
  }
  sqlite3_reset(st);
  block_clear(&b);
  if (rc != SQLITE_DONE)
    return db_fail(t, rc, "reading postings", error);
  for (guint s = 0; s < segs->len; s++) {
    const Segment *seg = &g_array_index(segs, Segment, s);
    const guint64 *c = g_hash_table_lookup(counted, &seg->seg);
    if (c == NULL || c[0] != seg->postings || c[1] != seg->blocks) {
      warn(t, "segment %" G_GINT64_FORMAT " of %s lists %" G_GUINT64_FORMAT " postings in %" G_GUINT64_FORMAT
           " blocks but holds %" G_GUINT64_FORMAT " in %" G_GUINT64_FORMAT, seg->seg, table_names[t->which],
           seg->postings, seg->blocks, c ? c[0] : 0, c ? c[1] : 0);
      ++*problems;
    }
  }
  return TRUE;
}

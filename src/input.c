/* input.c — the parallel, order-preserving loader (see include/neardup/input.h).
 *
 * Work travels in batches: the producer (the caller's thread) fills a batch with items (a file to
 * read, a JSON line to parse, stdin's bytes, or an error found while enumerating), numbers it, and
 * pushes it to the workers' queue. Workers fill in each item's result (a signed document or an
 * error) and push the batch to the done queue. The producer merges done batches strictly by number,
 * which is what makes the output independent of thread scheduling.
 */
#include <neardup/neardup.h>
#include "article_check.h"
#include "json.h"
#include <json-glib/json-glib.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#define BATCH_ITEMS 64
#define BATCH_BYTES ((gsize)4 << 20)
/* Payload bytes (JSON lines, standard input) queued for the workers, per worker: the producer waits
 * while more are in flight, so a run of huge JSON lines cannot pile up in memory. */
#define IN_FLIGHT_BYTES_PER_WORKER (4 * BATCH_BYTES)
/* Read size of the line reader, and the chunk the token pre-count tokenises at a time. */
#define READ_CHUNK ((gsize)64 << 10)
#define COUNT_CHUNK ((gsize)256 << 10)
/* Longest line of a --files-from list (a path). */
#define MAX_LIST_LINE ((gsize)64 << 10)

typedef enum { ITEM_FILE, ITEM_TEXT, ITEM_JSON, ITEM_ERROR } ItemKind;

typedef struct {
  ItemKind kind;
  char *name;       /* input name for messages, and the id for files/stdin */
  char *payload;    /* ITEM_TEXT: the article; ITEM_JSON: the line */
  gsize payload_len;
  const char *id_field, *text_field; /* ITEM_JSON; owned by the loader */
  GError *error;    /* ITEM_ERROR on creation, or the worker's failure */
  NdDocument *doc;  /* the worker's result */
} Item;

typedef struct {
  guint64 seq;
  GArray *items; /* Item */
  gsize bytes;
} Batch;

typedef struct {
  struct NdLoader *loader;
  GThread *thread;
} Worker;

struct NdLoader {
  NdCollection *collection;
  NdSignParams params;
  gboolean stop_on_error;
  gint stopped; /* atomic: a failure was merged in strict mode */
  gint cancelled; /* atomic: nd_loader_cancel() */
  const gint *cancel_flag; /* nd_loader_set_cancel_flag(); read atomically */
  guint64 max_tokens; /* 0 = no limit */
  NdInputErrorFunc error_func;
  gpointer error_data;
  NdProgressFunc progress_func;
  gpointer progress_data;
  NdDocumentFunc document_func;
  gpointer document_data;
  NdFileCheckFunc file_check;
  gpointer file_check_data;

  guint n_workers;
  Worker *workers;
  GAsyncQueue *todo; /* Batch*, or the loader itself as the stop sentinel */
  GAsyncQueue *done; /* Batch* */
  Batch *filling;
  guint64 next_seq, next_merge, in_flight;
  gsize in_flight_bytes; /* payload bytes of the batches in flight */
  GHashTable *pending; /* seq -> Batch*, done but not yet mergeable */
  GPtrArray *field_names; /* interned field-name strings */

  guint64 articles, bytes, skipped;
  gboolean finished;
};

/* TRUE when the loader should do no more work: stopped in strict mode, or cancelled. */
static gboolean
loader_halted(const NdLoader *l)
{
  return g_atomic_int_get(&l->stopped) != 0 || g_atomic_int_get(&l->cancelled) != 0 ||
         (l->cancel_flag != NULL && g_atomic_int_get(l->cancel_flag) != 0);
}

static void
item_clear(Item *it)
{
  g_free(it->name);
  g_free(it->payload);
  g_clear_error(&it->error);
  nd_document_free(it->doc);
}

static Batch *
batch_new(guint64 seq)
{
  Batch *b = g_new0(Batch, 1);
  b->seq = seq;
  b->items = g_array_sized_new(FALSE, TRUE, sizeof(Item), BATCH_ITEMS);
  g_array_set_clear_func(b->items, (GDestroyNotify)item_clear);
  return b;
}

static void
batch_free(Batch *b)
{
  g_array_unref(b->items);
  g_free(b);
}

/* read() for the loader. Retries on EINTR until the loader `l` (may be NULL) is halted. For a
 * stream (`stream`: a pipe, FIFO, terminal), it waits in poll() with a 200 ms timeout and checks `l`
 * between waits, whichever thread a signal interrupted; a non-blocking descriptor (a FIFO we opened)
 * waits the same way on EAGAIN. -1 with errno on error, -1 with EINTR when halted. */
static ssize_t
read_retry(int fd, void *buf, gsize n, gboolean stream, const NdLoader *l)
{
  gboolean blocking = stream && (fcntl(fd, F_GETFL) & O_NONBLOCK) == 0;
  for (;;) {
    if (l != NULL && loader_halted(l)) {
      errno = EINTR;
      return -1;
    }
    if (blocking) {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      int ready = poll(&p, 1, 200);
      if (ready == 0 || (ready < 0 && errno == EINTR))
        continue; /* nothing yet, or a signal: check `l` again before a read that could block */
    }
    ssize_t got = read(fd, buf, n);
    if (got >= 0)
      return got;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      poll(&p, 1, 200);
      continue;
    }
    if (errno != EINTR)
      return -1;
  }
}

/* TRUE when `fd` is not a regular file (a pipe, FIFO, terminal, character device). */
static gboolean
is_stream(int fd)
{
  struct stat st;
  return fstat(fd, &st) != 0 || !S_ISREG(st.st_mode);
}

/* The most a stream may hold: max_bytes, but a GByteArray holds less than 4 GiB. */
static gsize
stream_max(gsize max_bytes)
{
  return MIN(max_bytes, (gsize)G_MAXUINT32 - 2);
}

/* Reads all of `fd` into `out`, but never more than stream_max(max_bytes) + 1 bytes: a longer stream
 * leaves out->len > stream_max(max_bytes) (the caller reports it) without reading the rest. Stops
 * early (returning TRUE) when the loader `l` (may be NULL) is halted. FALSE with errno on a read
 * error. */
static gboolean
read_fd_bounded(int fd, GByteArray *out, gsize max_bytes, const NdLoader *l)
{
  gboolean stream = is_stream(fd);
  max_bytes = stream_max(max_bytes);
  for (;;) {
    gsize room = max_bytes + 1 - out->len;
    if (room == 0)
      return TRUE;
    gsize old = out->len, want = MIN(room, READ_CHUNK);
    g_byte_array_set_size(out, (guint)(old + want));
    ssize_t n = read_retry(fd, out->data + old, want, stream, l);
    int e = errno;
    g_byte_array_set_size(out, (guint)(old + (n > 0 ? (gsize)n : 0)));
    if (n == 0)
      return TRUE;
    if (n < 0 && l != NULL && loader_halted(l))
      return TRUE;
    if (n < 0) {
      errno = e;
      return FALSE;
    }
  }
}

/* Runs the caller's check (nd_loader_set_file_check) on an input just opened; TRUE without one. */
/* The same check by name, before the file is opened: some files must not even be opened, as closing
 * a descriptor drops every POSIX lock the process holds on the file (the index of this run, whose
 * locks SQLite holds). The check after opening stays: the name may change meanwhile. */
static gboolean
file_check_name_ok(const NdLoader *l, const char *path, GError **error)
{
  struct stat st;
  if (l == NULL || l->file_check == NULL || stat(path, &st) != 0)
    return TRUE;
  return l->file_check(path, (guint64)st.st_dev, (guint64)st.st_ino, l->file_check_data, error);
}

static gboolean
file_check_ok(const NdLoader *l, const char *path, int fd, GError **error)
{
  struct stat st;
  if (l == NULL || l->file_check == NULL)
    return TRUE;
  if (fstat(fd, &st) != 0) {
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "cannot stat: %s", g_strerror(errno));
    return FALSE;
  }
  return l->file_check(path, (guint64)st.st_dev, (guint64)st.st_ino, l->file_check_data, error);
}

/* Reads a whole regular file into *buf (grown as needed), refusing files over max_bytes before
 * reading them. */
static gboolean
read_file(const char *path, gsize max_bytes, GByteArray *buf, const NdLoader *l, gboolean *regular, GError **error)
{
  *regular = FALSE;
  if (!file_check_name_ok(l, path, error))
    return FALSE;
  /* O_NONBLOCK: opening a FIFO must not wait for a writer (it has no effect on regular files). */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, ND_ERROR, e == ENOENT ? ND_ERROR_NOT_FOUND : ND_ERROR_IO, "cannot open: %s", g_strerror(e));
    return FALSE;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "cannot stat: %s", g_strerror(e));
    return FALSE;
  }
  if (!file_check_ok(l, path, fd, error)) {
    close(fd);
    return FALSE;
  }
  if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
    /* A pipe or device named explicitly (process substitution, /dev/stdin): read as a stream,
     * never more than max_bytes + 1 bytes. A FIFO without a writer reads as empty. */
    g_byte_array_set_size(buf, 0);
    gboolean ok = read_fd_bounded(fd, buf, max_bytes, l);
    int e = errno;
    close(fd);
    if (!ok) {
      g_set_error(error, ND_ERROR, ND_ERROR_IO, "read error: %s", g_strerror(e));
      return FALSE;
    }
    if (buf->len > stream_max(max_bytes)) {
      g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "stream holds more than the maximum of %" G_GSIZE_FORMAT
                  " bytes (see --max-bytes); not read further", max_bytes);
      return FALSE;
    }
    return TRUE;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    g_set_error_literal(error, ND_ERROR, ND_ERROR_IO, S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
    return FALSE;
  }
  if ((guint64)st.st_size > max_bytes || (guint64)st.st_size >= G_MAXUINT32) { /* a GByteArray holds < 4 GiB */
    close(fd);
    g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "file of %" G_GUINT64_FORMAT " bytes is larger than the "
                "maximum of %" G_GSIZE_FORMAT " bytes (see --max-bytes)", (guint64)st.st_size, max_bytes);
    return FALSE;
  }
  g_byte_array_set_size(buf, (guint)st.st_size + 1);
  gsize got = 0;
  for (;;) {
    if (got == buf->len) {
      if (buf->len > stream_max(max_bytes)) { /* the file grew while we read it */
        close(fd);
        g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "file is larger than the maximum of %" G_GSIZE_FORMAT
                    " bytes (see --max-bytes)", max_bytes);
        return FALSE;
      }
      g_byte_array_set_size(buf, (guint)MIN((gsize)buf->len * 2 + 4096, stream_max(max_bytes) + 1));
    }
    ssize_t n = read(fd, buf->data + got, buf->len - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      g_set_error(error, ND_ERROR, ND_ERROR_IO, "read error: %s", g_strerror(e));
      return FALSE;
    }
    if (n == 0)
      break;
    got += (gsize)n;
  }
  close(fd);
  g_byte_array_set_size(buf, (guint)got);
  *regular = TRUE;
  return TRUE;
}

/* The record's fields other than the id and text, as a compact JSON object; NULL when there are none. */
static char *
record_metadata(JsonObject *obj, const Item *it)
{
  g_autoptr(JsonObject) meta = json_object_new();
  g_autoptr(GList) members = json_object_get_members(obj);
  for (GList *m = members; m != NULL; m = m->next) {
    const char *name = m->data;
    if (strcmp(name, it->id_field) == 0 || strcmp(name, it->text_field) == 0)
      continue;
    json_object_set_member(meta, name, json_node_copy(json_object_get_member(obj, name)));
  }
  if (json_object_get_size(meta) == 0)
    return NULL;
  g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
  json_node_set_object(node, meta);
  return nd_json_to_string(node);
}

static gboolean
parse_json_record(JsonParser *parser, const Item *it, gsize max_bytes, char **id_out, const char **text,
                  gsize *text_len, GError **error)
{
  NdJsonScan scan;
  JsonObject *obj = nd_json_parse_object(parser, it->payload, it->payload_len, max_bytes, &scan, error);
  if (obj == NULL)
    return FALSE;
  if (scan.nul_at >= 0) { /* json-glib would cut the string at the NUL: name the field that holds it */
    g_autofree char *field = scan.nul_member_set ? g_strndup(it->payload + scan.nul_member_start,
                                                              scan.nul_member_len) : NULL;
    if (field != NULL && strcmp(field, it->id_field) == 0)
      g_set_error(error, ND_ERROR, ND_ERROR_BINARY, "binary data: the id (field \"%s\") contains \\u0000 (NUL) "
                  "at byte %" G_GSSIZE_FORMAT " of the line", field, scan.nul_at);
    else if (field != NULL && strcmp(field, it->text_field) == 0)
      g_set_error(error, ND_ERROR, ND_ERROR_BINARY, "binary data: the text (field \"%s\") contains \\u0000 (NUL) "
                  "at byte %" G_GSSIZE_FORMAT " of the line", field, scan.nul_at);
    else
      g_set_error(error, ND_ERROR, ND_ERROR_BINARY, "binary data: the field \"%s\" contains \\u0000 (NUL) at "
                  "byte %" G_GSSIZE_FORMAT " of the line", field ? field : "?", scan.nul_at);
    return FALSE;
  }
  JsonNode *id = json_object_get_member(obj, it->id_field);
  if (id != NULL && JSON_NODE_HOLDS_VALUE(id) && json_node_get_value_type(id) == G_TYPE_STRING) {
    *id_out = g_strdup(json_node_get_string(id));
  } else if (id != NULL && JSON_NODE_HOLDS_VALUE(id) && json_node_get_value_type(id) == G_TYPE_INT64) {
    *id_out = g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(id));
  } else {
    g_set_error(error, ND_ERROR, ND_ERROR_JSON, "no string or integer field \"%s\" (see --id-field)", it->id_field);
    return FALSE;
  }
  if ((*id_out)[0] == '\0') {
    g_set_error(error, ND_ERROR, ND_ERROR_JSON, "the field \"%s\" is an empty string (see --id-field)", it->id_field);
    g_clear_pointer(id_out, g_free);
    return FALSE;
  }
  JsonNode *tx = json_object_get_member(obj, it->text_field);
  if (tx == NULL || !JSON_NODE_HOLDS_VALUE(tx) || json_node_get_value_type(tx) != G_TYPE_STRING) {
    g_set_error(error, ND_ERROR, ND_ERROR_JSON, "record \"%s\" has no string field \"%s\" (see --text-field)",
                *id_out, it->text_field);
    g_clear_pointer(id_out, g_free);
    return FALSE;
  }
  *text = json_node_get_string(tx);
  *text_len = strlen(*text);
  return TRUE;
}

static gboolean
is_ascii_space(char c)
{
  return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* The token pre-count of nd_check_token_limit(), with a caller's scratch array. */
static gboolean
check_token_limit(const char *text, gsize len, NdTokenMode mode, NdTextFlags flags, guint64 max_tokens,
                  GArray *scratch, GError **error)
{
  /* A token is at least one byte, and in word mode two tokens are at least one byte apart. */
  guint64 most = mode == ND_TOKENS_CHARS ? len : (len + 1) / 2;
  if (max_tokens == 0 || most <= max_tokens)
    return TRUE;
  guint64 count = 0, forced = 0;
  for (gsize pos = 0; pos < len;) {
    gsize end = pos + MIN(COUNT_CHUNK, len - pos);
    if (end < len) {
      /* Cut after ASCII white space, which separates tokens in every mode, so the chunks' counts
       * add up exactly; failing that (no white space nearby), at a character boundary, which may
       * split one token in two: each such cut is allowed one extra token. */
      gsize cut = end, floor = end - MIN(end - pos, (gsize)4096);
      while (cut > floor && !is_ascii_space(text[cut - 1]))
        cut--;
      if (cut > floor) {
        end = cut;
      } else {
        for (int k = 0; k < 3 && end > pos + 1 && ((guint8)text[end] & 0xC0) == 0x80; k++)
          end--;
        forced++;
      }
    }
    g_array_set_size(scratch, 0);
    gboolean valid = nd_tokenize(text + pos, end - pos, mode, flags, scratch, NULL);
    count += scratch->len;
    if (count > max_tokens + forced) {
      g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "article has more than the maximum of %" G_GUINT64_FORMAT
                  " tokens (words; letters with chars:K) (see --max-tokens); not signed", max_tokens);
      g_array_set_size(scratch, 0);
      return FALSE;
    }
    if (!valid) /* invalid UTF-8: signing stops at the same byte, after at most `count` tokens */
      break;
    pos = end;
  }
  g_array_set_size(scratch, 0);
  return TRUE;
}

gboolean
nd_check_token_limit(const char *text, gsize len, NdTokenMode mode, NdTextFlags flags, guint64 max_tokens,
                     GError **error)
{
  g_autoptr(GArray) scratch = g_array_new(FALSE, FALSE, sizeof(NdToken));
  return check_token_limit(text, len, mode, flags, max_tokens, scratch, error);
}

/* Signs one article under the loader's limits. The token limit is checked before signing (a
 * chunked count, so that signing never holds the token arrays of an over-long article) and
 * after it (exactly). */
static NdDocument *
sign_limited(NdSigner *signer, const NdLoader *l, GArray *scratch, const char *id, const char *text, gsize len,
             GError **error)
{
  if (l->max_tokens > 0 && len > 0 && len <= l->params.max_bytes && memchr(text, 0, len) == NULL &&
      !check_token_limit(text, len, l->params.shingle.mode, l->params.text_flags, l->max_tokens, scratch, error))
    return NULL;
  NdDocument *doc = nd_signer_sign(signer, id, text, len, error);
  if (doc != NULL && l->max_tokens > 0 && doc->tokens > l->max_tokens) {
    g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "article of %u tokens is larger than the maximum of %"
                G_GUINT64_FORMAT " tokens (see --max-tokens)", doc->tokens, l->max_tokens);
    g_clear_pointer(&doc, nd_document_free);
  }
  return doc;
}

static void
process_item(Item *it, NdSigner *signer, JsonParser *parser, GByteArray *buf, GArray *scratch, const NdLoader *l)
{
  switch (it->kind) {
  case ITEM_ERROR:
    return;
  case ITEM_FILE: {
    gboolean regular;
    if (!read_file(it->name, l->params.max_bytes, buf, l, &regular, &it->error))
      return;
    it->doc = sign_limited(signer, l, scratch, it->name, (const char *)buf->data, buf->len, &it->error);
    if (it->doc != NULL && regular)
      it->doc->path = g_strdup(it->name);
    return;
  }
  case ITEM_TEXT:
    it->doc = sign_limited(signer, l, scratch, it->name, it->payload, it->payload_len, &it->error);
    return;
  case ITEM_JSON: {
    g_autofree char *id = NULL;
    const char *text = NULL;
    gsize len = 0;
    if (!parse_json_record(parser, it, l->params.max_bytes, &id, &text, &len, &it->error))
      return;
    g_autofree char *meta = record_metadata(json_node_get_object(json_parser_get_root(parser)), it);
    it->doc = sign_limited(signer, l, scratch, id, text, len, &it->error);
    if (it->error != NULL)
      g_prefix_error(&it->error, "record \"%s\": ", id);
    else
      it->doc->meta = g_steal_pointer(&meta);
    return;
  }
  }
}

static gpointer
worker_main(gpointer data)
{
  Worker *w = data;
  NdLoader *loader = w->loader;
  g_autoptr(NdSigner) signer = nd_signer_new(&loader->params);
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GByteArray) buf = g_byte_array_new();
  g_autoptr(GArray) scratch = g_array_new(FALSE, FALSE, sizeof(NdToken));
  for (;;) {
    gpointer job = g_async_queue_pop(loader->todo);
    if (job == loader)
      break;
    Batch *b = job;
    for (guint i = 0; i < b->items->len && !loader_halted(loader); i++) {
      process_item(&g_array_index(b->items, Item, i), signer, parser, buf, scratch, loader);
      /* Do not keep one huge article's buffers for the rest of the run. */
      if (buf->len > BATCH_BYTES) {
        g_byte_array_unref(buf);
        buf = g_byte_array_new();
      }
    }
    if (b->bytes > BATCH_BYTES) { /* drop the parse tree of a huge record */
      g_object_unref(parser);
      parser = json_parser_new_immutable();
    }
    g_async_queue_push(loader->done, b);
  }
  return NULL;
}

NdLoader *
nd_loader_new(NdCollection *collection, guint threads, gboolean stop_on_error)
{
  NdLoader *l = g_new0(NdLoader, 1);
  l->collection = collection;
  l->params = *nd_collection_params(collection);
  l->stop_on_error = stop_on_error;
  l->n_workers = threads ? threads : g_get_num_processors();
  l->todo = g_async_queue_new();
  l->done = g_async_queue_new();
  l->pending = g_hash_table_new(g_int64_hash, g_int64_equal);
  l->field_names = g_ptr_array_new_with_free_func(g_free);
  l->workers = g_new0(Worker, l->n_workers);
  for (guint i = 0; i < l->n_workers; i++) {
    l->workers[i].loader = l;
    l->workers[i].thread = g_thread_new("neardup-sign", worker_main, &l->workers[i]);
  }
  return l;
}

void
nd_loader_set_error_func(NdLoader *l, NdInputErrorFunc func, gpointer user_data)
{
  l->error_func = func;
  l->error_data = user_data;
}

void
nd_loader_set_progress_func(NdLoader *l, NdProgressFunc func, gpointer user_data)
{
  l->progress_func = func;
  l->progress_data = user_data;
}

void
nd_loader_set_file_check(NdLoader *l, NdFileCheckFunc func, gpointer user_data)
{
  l->file_check = func;
  l->file_check_data = user_data;
}

void
nd_loader_set_document_func(NdLoader *l, NdDocumentFunc func, gpointer user_data)
{
  l->document_func = func;
  l->document_data = user_data;
}

gboolean
nd_loader_stopped(const NdLoader *l)
{
  return g_atomic_int_get(&l->stopped) != 0;
}

void
nd_loader_cancel(NdLoader *l)
{
  g_atomic_int_set(&l->cancelled, 1);
}

void
nd_loader_set_cancel_flag(NdLoader *l, const gint *flag)
{
  l->cancel_flag = flag;
}

gboolean
nd_loader_cancelled(const NdLoader *l)
{
  return g_atomic_int_get(&l->cancelled) != 0 || (l->cancel_flag != NULL && g_atomic_int_get(l->cancel_flag) != 0);
}

void
nd_loader_set_max_tokens(NdLoader *l, guint64 max_tokens)
{
  l->max_tokens = max_tokens;
}

static void
report(NdLoader *l, const char *input, const GError *error)
{
  l->skipped++;
  if (l->error_func != NULL)
    l->error_func(input, error, l->error_data);
  if (l->stop_on_error)
    g_atomic_int_set(&l->stopped, 1);
}

static void
merge_batch(NdLoader *l, Batch *b)
{
  for (guint i = 0; i < b->items->len; i++) {
    Item *it = &g_array_index(b->items, Item, i);
    if (loader_halted(l))
      break; /* strict mode: nothing after the first failure counts; cancelled: nothing more is merged */
    if (it->error != NULL) {
      report(l, it->name, it->error);
      continue;
    }
    if (it->doc == NULL)
      continue;
    guint64 bytes = it->doc->bytes;
    g_autoptr(GError) error = NULL;
    gboolean added = l->document_func != NULL ? l->document_func(g_steal_pointer(&it->doc), l->document_data, &error)
                                              : nd_collection_add(l->collection, g_steal_pointer(&it->doc), &error);
    if (!added) {
      report(l, it->name, error);
      continue;
    }
    l->articles++;
    l->bytes += bytes;
  }
  batch_free(b);
}

/* Takes finished batches off the done queue and merges every one that is next in order. With
 * `wait`, blocks for one batch first. */
static void
collect(NdLoader *l, gboolean wait)
{
  gboolean merged = FALSE;
  for (;;) {
    Batch *b = wait ? g_async_queue_pop(l->done) : g_async_queue_try_pop(l->done);
    wait = FALSE;
    if (b == NULL)
      break;
    l->in_flight--;
    l->in_flight_bytes -= b->bytes;
    g_hash_table_insert(l->pending, &b->seq, b);
    Batch *next;
    while ((next = g_hash_table_lookup(l->pending, &l->next_merge)) != NULL) {
      g_hash_table_remove(l->pending, &l->next_merge);
      l->next_merge++;
      merge_batch(l, next);
      merged = TRUE;
    }
  }
  if (merged && l->progress_func != NULL)
    l->progress_func(l->articles, l->bytes, l->skipped, l->progress_data);
}

static void
flush(NdLoader *l)
{
  if (l->filling == NULL)
    return;
  Batch *b = g_steal_pointer(&l->filling);
  l->in_flight++;
  l->in_flight_bytes += b->bytes;
  g_async_queue_push(l->todo, b);
  /* Bound the memory in flight: wait while more than a few batches per worker are queued, or while
   * their payloads (JSON lines) exceed a few batches' worth, unless this batch is the only one. */
  while (l->in_flight > 4u * l->n_workers ||
         (l->in_flight > 1 && l->in_flight_bytes > IN_FLIGHT_BYTES_PER_WORKER * l->n_workers))
    collect(l, TRUE);
  collect(l, FALSE);
}

static void
push_item(NdLoader *l, Item it)
{
  if (l->filling == NULL)
    l->filling = batch_new(l->next_seq++);
  g_array_append_val(l->filling->items, it);
  l->filling->bytes += it.payload_len;
  if (l->filling->items->len >= BATCH_ITEMS || l->filling->bytes >= BATCH_BYTES)
    flush(l);
}

static void
push_error(NdLoader *l, const char *name, GError *error)
{
  push_item(l, (Item){ .kind = ITEM_ERROR, .name = g_strdup(name), .error = error });
}

/* A line reader over a file descriptor that never holds more than `limit` bytes of one line: the
 * rest of an over-long line is read and dropped, and its length counted. */
typedef struct {
  int fd;
  gboolean stream;   /* not a regular file: reads wait with poll() */
  char *buf;         /* read buffer, READ_CHUNK bytes */
  gsize pos, len;
  gboolean eof;
  int error;         /* errno of a read error */
  char *line;        /* the current line, NUL-terminated; the caller may steal it (then set NULL) */
  gsize line_len, line_cap;
} LineReader;

static void
line_reader_init(LineReader *r, int fd)
{
  *r = (LineReader){ .fd = fd, .stream = is_stream(fd), .buf = g_malloc(READ_CHUNK) };
}

static void
line_reader_clear(LineReader *r)
{
  g_free(r->buf);
  g_free(r->line);
}

static void
line_append(LineReader *r, const char *data, gsize n)
{
  if (r->line_len + n + 1 > r->line_cap) {
    r->line_cap = MAX(r->line_len + n + 1, MAX(r->line_cap * 2, (gsize)256));
    r->line = g_realloc(r->line, r->line_cap);
  }
  memcpy(r->line + r->line_len, data, n);
  r->line_len += n;
  r->line[r->line_len] = '\0';
}

/* Reads the next line (without its '\n') into r->line / r->line_len. Returns FALSE at the end of
 * the input, on a read error (r->error) or when `l` is halted. *length is the line's full length;
 * when it is over `limit`, *too_long is set and r->line is freed, not filled. */
static gboolean
line_reader_next(LineReader *r, gsize limit, guint64 *length, gboolean *too_long, const NdLoader *l)
{
  r->line_len = 0;
  if (r->line != NULL)
    r->line[0] = '\0';
  *length = 0;
  *too_long = FALSE;
  gboolean any = FALSE;
  for (;;) {
    if (r->pos == r->len) {
      if (r->eof || r->error || loader_halted(l))
        return any && !r->error && !loader_halted(l);
      ssize_t n = read_retry(r->fd, r->buf, READ_CHUNK, r->stream, l);
      if (n < 0 && loader_halted(l))
        continue; /* returns FALSE above */
      if (n < 0) {
        r->error = errno;
        return FALSE;
      }
      r->pos = 0;
      r->len = (gsize)n;
      r->eof = n == 0;
      continue;
    }
    any = TRUE;
    const char *start = r->buf + r->pos;
    const char *nl = memchr(start, '\n', r->len - r->pos);
    gsize seg = nl ? (gsize)(nl - start) : r->len - r->pos;
    *length += seg;
    if (!*too_long && *length > limit) {
      *too_long = TRUE;
      g_clear_pointer(&r->line, g_free);
      r->line_len = r->line_cap = 0;
    }
    if (!*too_long)
      line_append(r, start, seg);
    r->pos += seg;
    if (nl != NULL) {
      r->pos++;
      return TRUE;
    }
  }
}

typedef struct {
  dev_t dev;
  ino_t ino;
} DirKey;

static void walk_dir(NdLoader *l, const char *path, GArray *stack);

static void
add_entry(NdLoader *l, const char *path, GArray *stack, gboolean explicit_arg)
{
  struct stat st;
  /* Inside a tree, symbolic links to directories are not followed (as find and ripgrep do): they
   * would read files twice or loop. Links to files are followed; explicit arguments always are. */
  if (!explicit_arg && lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && stat(path, &st) == 0 &&
      S_ISDIR(st.st_mode))
    return;
  if (stat(path, &st) != 0) {
    int e = errno;
    struct stat lst;
    if (e == ELOOP || (e == ENOENT && lstat(path, &lst) == 0))
      push_error(l, path, g_error_new(ND_ERROR, ND_ERROR_IO, "broken or looping symbolic link"));
    else
      push_error(l, path, g_error_new(ND_ERROR, e == ENOENT ? ND_ERROR_NOT_FOUND : ND_ERROR_IO, "%s",
                                      g_strerror(e)));
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    for (guint i = 0; i < stack->len; i++) {
      DirKey *k = &g_array_index(stack, DirKey, i);
      if (k->dev == st.st_dev && k->ino == st.st_ino) {
        push_error(l, path, g_error_new(ND_ERROR, ND_ERROR_IO, "directory loop (a symbolic link points to "
                                        "a parent directory); not followed"));
        return;
      }
    }
    DirKey key = { st.st_dev, st.st_ino };
    g_array_append_val(stack, key);
    walk_dir(l, path, stack);
    g_array_set_size(stack, stack->len - 1);
    return;
  }
  if (!S_ISREG(st.st_mode) && !explicit_arg) {
    push_error(l, path, g_error_new(ND_ERROR, ND_ERROR_IO, "not a regular file; skipped"));
    return;
  }
  push_item(l, (Item){ .kind = ITEM_FILE, .name = g_strdup(path) });
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
walk_dir(NdLoader *l, const char *path, GArray *stack)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open(path, 0, &error);
  if (dir == NULL) {
    push_error(l, path, g_error_new(ND_ERROR, ND_ERROR_IO, "cannot open directory: %s", error->message));
    return;
  }
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while ((name = g_dir_read_name(dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add(names, g_strdup(name));
  g_ptr_array_sort(names, compare_names);
  if (names->len == 0 && stack->len == 1) {
    push_error(l, path, g_error_new(ND_ERROR, ND_ERROR_EMPTY, "directory contains no files"));
    return;
  }
  for (guint i = 0; i < names->len && !loader_halted(l); i++) {
    g_autofree char *child = g_build_filename(path, g_ptr_array_index(names, i), NULL);
    add_entry(l, child, stack, FALSE);
  }
}

void
nd_loader_add_path(NdLoader *l, const char *path)
{
  g_return_if_fail(!l->finished && path != NULL);
  if (loader_halted(l))
    return;
  if (strcmp(path, "-") == 0) {
    g_autoptr(GByteArray) buf = g_byte_array_new();
    GError *refused = NULL;
    if (!file_check_ok(l, "-", STDIN_FILENO, &refused)) {
      push_error(l, "-", refused);
      return;
    }
    if (!read_fd_bounded(STDIN_FILENO, buf, l->params.max_bytes, l)) {
      push_error(l, "-", g_error_new(ND_ERROR, ND_ERROR_IO, "error reading standard input: %s", g_strerror(errno)));
      return;
    }
    if (loader_halted(l))
      return;
    if (buf->len > stream_max(l->params.max_bytes)) { /* refused without reading the rest */
      push_error(l, "-", g_error_new(ND_ERROR, ND_ERROR_TOO_LARGE, "standard input holds more than the maximum "
                                     "of %" G_GSIZE_FORMAT " bytes (see --max-bytes); not read further",
                                     l->params.max_bytes));
      return;
    }
    gsize len = buf->len;
    push_item(l, (Item){ .kind = ITEM_TEXT, .name = g_strdup("-"),
                         .payload = (char *)g_byte_array_free(g_steal_pointer(&buf), FALSE), .payload_len = len });
    return;
  }
  g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(DirKey));
  add_entry(l, path, stack, TRUE);
}

/* Opens a list or JSON Lines file ("-" = standard input) for reading; -1 after reporting an error. */
static int
open_input(NdLoader *l, const char *path)
{
  GError *refused = NULL;
  if (strcmp(path, "-") == 0) {
    if (!file_check_ok(l, "-", STDIN_FILENO, &refused)) {
      push_error(l, "-", refused);
      return -1;
    }
    return STDIN_FILENO;
  }
  if (!file_check_name_ok(l, path, &refused)) {
    push_error(l, path, refused);
    return -1;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    push_error(l, path, g_error_new(ND_ERROR, e == ENOENT ? ND_ERROR_NOT_FOUND : ND_ERROR_IO, "%s",
                                    g_strerror(e)));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    close(fd);
    push_error(l, path, g_error_new(ND_ERROR, ND_ERROR_IO, "is a directory"));
    return -1;
  }
  if (!file_check_ok(l, path, fd, &refused)) {
    close(fd);
    push_error(l, path, refused);
    return -1;
  }
  return fd;
}

void
nd_loader_add_files_from(NdLoader *l, const char *list_path)
{
  g_return_if_fail(!l->finished && list_path != NULL);
  if (loader_halted(l))
    return;
  int fd = open_input(l, list_path);
  if (fd < 0)
    return;
  const char *display = strcmp(list_path, "-") == 0 ? "<stdin>" : list_path;
  LineReader r;
  line_reader_init(&r, fd);
  guint64 lineno = 0, length;
  gboolean too_long;
  while (line_reader_next(&r, MAX_LIST_LINE, &length, &too_long, l)) {
    lineno++;
    if (too_long) {
      g_autofree char *name = g_strdup_printf("%s:%" G_GUINT64_FORMAT, display, lineno);
      push_error(l, name, g_error_new(ND_ERROR, ND_ERROR_IO, "line of %" G_GUINT64_FORMAT " bytes is too long "
                                      "for a path (the maximum is %" G_GSIZE_FORMAT "); skipped", length,
                                      MAX_LIST_LINE));
      continue;
    }
    while (r.line_len > 0 && (r.line[r.line_len - 1] == '\r'))
      r.line[--r.line_len] = '\0';
    if (r.line_len == 0)
      continue;
    nd_loader_add_path(l, r.line);
  }
  if (r.error)
    push_error(l, display, g_error_new(ND_ERROR, ND_ERROR_IO, "read error after line %" G_GUINT64_FORMAT ": %s",
                                       lineno, g_strerror(r.error)));
  line_reader_clear(&r);
  if (fd != STDIN_FILENO)
    close(fd);
}

static const char *
intern_field(NdLoader *l, const char *name)
{
  for (guint i = 0; i < l->field_names->len; i++)
    if (strcmp(g_ptr_array_index(l->field_names, i), name) == 0)
      return g_ptr_array_index(l->field_names, i);
  char *copy = g_strdup(name);
  g_ptr_array_add(l->field_names, copy);
  return copy;
}

gsize
nd_jsonl_max_line(gsize max_bytes)
{
  /* Escapes make the JSON text of an article longer than the article: twice the limit, plus room
   * for the id and metadata. Bounded by what one buffer can hold. */
  guint64 limit = (guint64)max_bytes * 2 + 1024;
  return (gsize)MIN(limit, (guint64)G_MAXUINT32 - 1);
}

void
nd_loader_add_jsonl(NdLoader *l, const char *path, const char *id_field, const char *text_field)
{
  g_return_if_fail(!l->finished && path != NULL && id_field != NULL && text_field != NULL);
  if (loader_halted(l))
    return;
  int fd = open_input(l, path);
  if (fd < 0)
    return;
  const char *idf = intern_field(l, id_field), *txf = intern_field(l, text_field);
  const char *display = strcmp(path, "-") == 0 ? "<stdin>" : path;
  const gsize limit = nd_jsonl_max_line(l->params.max_bytes);
  LineReader r;
  line_reader_init(&r, fd);
  guint64 lineno = 0, length;
  gboolean too_long;
  while (line_reader_next(&r, limit, &length, &too_long, l)) {
    lineno++;
    g_autofree char *name = g_strdup_printf("%s:%" G_GUINT64_FORMAT, display, lineno);
    if (too_long) { /* read and dropped while streaming: at most `limit` bytes of it were held */
      push_error(l, name, g_error_new(ND_ERROR, ND_ERROR_TOO_LARGE, "line of %" G_GUINT64_FORMAT " bytes is "
                                      "longer than the maximum of %" G_GSIZE_FORMAT " bytes for a record (twice "
                                      "--max-bytes, plus 1 KiB); skipped (the rest of it was read and dropped)",
                                      length, limit));
      continue;
    }
    gsize len = r.line_len;
    while (len > 0 && (r.line[len - 1] == '\r' || r.line[len - 1] == ' ' || r.line[len - 1] == '\t'))
      len--;
    if (len == 0)
      continue;
    char *payload;
    if (len >= READ_CHUNK) { /* a large line: hand over the buffer rather than copy it */
      payload = g_realloc(g_steal_pointer(&r.line), len + 1);
      payload[len] = '\0';
      r.line_len = r.line_cap = 0;
    } else {
      payload = g_malloc(len + 1); /* not g_strndup: it would stop at a NUL byte and pad with zeros */
      memcpy(payload, r.line, len);
      payload[len] = '\0';
    }
    push_item(l, (Item){ .kind = ITEM_JSON, .name = g_steal_pointer(&name), .payload = payload,
                         .payload_len = len, .id_field = idf, .text_field = txf });
  }
  if (r.error)
    push_error(l, display, g_error_new(ND_ERROR, ND_ERROR_IO, "read error after line %" G_GUINT64_FORMAT ": %s",
                                       lineno, g_strerror(r.error)));
  line_reader_clear(&r);
  if (fd != STDIN_FILENO)
    close(fd);
}

guint
nd_loader_finish(NdLoader *l)
{
  g_return_val_if_fail(!l->finished, 0);
  flush(l);
  while (l->in_flight > 0)
    collect(l, TRUE);
  l->finished = TRUE;
  return (guint)l->skipped;
}

void
nd_loader_free(NdLoader *l)
{
  if (l == NULL)
    return;
  if (!l->finished)
    nd_loader_finish(l);
  for (guint i = 0; i < l->n_workers; i++)
    g_async_queue_push(l->todo, l);
  for (guint i = 0; i < l->n_workers; i++)
    g_thread_join(l->workers[i].thread);
  g_free(l->workers);
  g_async_queue_unref(l->todo);
  g_async_queue_unref(l->done);
  g_hash_table_unref(l->pending);
  g_ptr_array_unref(l->field_names);
  g_free(l->filling);
  g_free(l);
}

char *
nd_read_article(const char *path, gsize max_bytes, NdTextFlags flags, gsize *len, GError **error)
{
  g_autoptr(GByteArray) buf = g_byte_array_new();
  gboolean regular;
  if (strcmp(path, "-") == 0) {
    if (!read_fd_bounded(STDIN_FILENO, buf, max_bytes, NULL)) {
      g_set_error(error, ND_ERROR, ND_ERROR_IO, "error reading standard input: %s", g_strerror(errno));
      return NULL;
    }
    if (buf->len > stream_max(max_bytes)) {
      g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "article is larger than the maximum of %" G_GSIZE_FORMAT
                  " bytes (see --max-bytes)", max_bytes);
      return NULL;
    }
  } else if (!read_file(path, max_bytes, buf, NULL, &regular, error)) {
    return NULL;
  }
  if (!nd_article_bytes_ok((const char *)buf->data, buf->len, error))
    return NULL;
  gssize bad = nd_utf8_find_invalid((const char *)buf->data, buf->len);
  if (bad >= 0 && !(flags & ND_TEXT_LOSSY)) {
    g_set_error(error, ND_ERROR, ND_ERROR_UTF8, "invalid UTF-8 at byte offset %" G_GSSIZE_FORMAT, bad);
    return NULL;
  }
  *len = buf->len;
  guint8 zero = 0;
  g_byte_array_append(buf, &zero, 1);
  return (char *)g_byte_array_free(g_steal_pointer(&buf), FALSE);
}

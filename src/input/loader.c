/* loader.c — the parallel, order-preserving loader (see include/neardup/input.h). It knows no
 * format: formats (source.h) queue items and turn them into articles; the loader signs and merges.
 *
 * Work travels in batches: the producer (the caller's thread) fills a batch with items, numbers it,
 * and pushes it to the workers' queue. Workers fill in each item's result (a signed document, an
 * error, or a pass-over) and push the batch to the done queue. The producer merges done batches
 * strictly by number, which is what makes the output independent of thread scheduling.
 */
#include "source.h"
#include "json.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define BATCH_ITEMS 64
#define BATCH_BYTES ((gsize)4 << 20)
/* Payload bytes (JSON lines, WARC records, standard input) queued for the workers, per worker: the
 * producer waits while more are in flight, so a run of huge records cannot pile up in memory. */
#define IN_FLIGHT_BYTES_PER_WORKER (4 * BATCH_BYTES)
/* The chunk the token pre-count tokenises at a time. */
#define COUNT_CHUNK ((gsize)256 << 10)

typedef struct {
  guint64 seq;
  GArray *items; /* NdItem */
  gsize bytes;
} Batch;

typedef struct {
  struct NdLoader *loader;
  GThread *thread;
} Worker;

struct NdLoader {
  NdCollection *collection;
  NdSignParams params;
  NdSourceConfig config;
  gboolean stop_on_error;
  gint stopped; /* atomic: a failure was merged in strict mode */
  gint cancelled; /* atomic: nd_loader_cancel() */
  const gint *cancel_flag; /* nd_loader_set_cancel_flag(); read atomically */
  guint64 max_tokens; /* 0 = no limit */
  NdInputErrorFunc error_func;
  gpointer error_data;
  NdInputErrorFunc warning_func;
  gpointer warning_data;
  NdProgressFunc progress_func;
  gpointer progress_data;
  NdDocumentFunc document_func;
  gpointer document_data;

  guint n_workers;
  Worker *workers;
  GAsyncQueue *todo; /* Batch*, or the loader itself as the stop sentinel */
  GAsyncQueue *done; /* Batch* */
  Batch *filling;
  guint64 next_seq, next_merge, in_flight;
  gsize in_flight_bytes; /* payload bytes of the batches in flight */
  GHashTable *pending; /* seq -> Batch*, done but not yet mergeable */
  GPtrArray *strings;  /* interned strings (field names) */
  GArray *passed;      /* NdPassedOver, in order of first occurrence */

  guint64 articles, bytes, skipped;
  gboolean finished;

  guint share_index, share_count, share_block; /* nd_loader_set_share(); count 0 or 1: every item */
  guint64 next_item;              /* the number the next queued item gets */
  guint64 names_digest;           /* FNV-1a of the names of every item queued, in order (shares) */
  const NdItem *merging;          /* the item whose document is passed to document_func, or NULL */
  GHashTable *input_ranges;       /* name -> NdLoaderRange (nd_loader_set_input_range), or NULL */
  gboolean in_range;              /* between nd_loader_range_begin and _end */
  guint64 range_base, range_size; /* the number of the ranged file's byte 0, and its size */
  guint64 range_at;               /* the offset of the record being queued (nd_loader_range_at) */
};

gboolean
nd_loader_halted(const NdLoader *l)
{
  return g_atomic_int_get(&l->stopped) != 0 || g_atomic_int_get(&l->cancelled) != 0 ||
         (l->cancel_flag != NULL && g_atomic_int_get(l->cancel_flag) != 0);
}

const NdSourceConfig *
nd_loader_config(const NdLoader *l)
{
  return &l->config;
}

gboolean
nd_loader_check_name(const NdLoader *l, const char *path, GError **error)
{
  struct stat st;
  if (l == NULL || l->config.file_check == NULL || stat(path, &st) != 0)
    return TRUE; /* a name that cannot be stat'ed gets its error from open() */
  return l->config.file_check(path, (guint64)st.st_dev, (guint64)st.st_ino, l->config.file_check_data, error);
}

gboolean
nd_loader_check_file(const NdLoader *l, const char *path, int fd, GError **error)
{
  struct stat st;
  if (l == NULL || l->config.file_check == NULL)
    return TRUE;
  if (fstat(fd, &st) != 0) {
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "cannot stat: %s", g_strerror(errno));
    return FALSE;
  }
  return l->config.file_check(path, (guint64)st.st_dev, (guint64)st.st_ino, l->config.file_check_data, error);
}

void
nd_article_clear(NdArticle *a)
{
  g_free(a->id);
  g_free(a->owned_text);
  if (a->meta != NULL)
    json_object_unref(a->meta);
  g_free(a->meta_json);
  nd_offset_map_free(a->map);
  g_free(a->path);
  g_clear_error(&a->warning);
  memset(a, 0, sizeof *a);
}

static void
item_clear(NdItem *it)
{
  g_free(it->name);
  g_free(it->payload);
  if (it->data != NULL && it->format != NULL && it->format->item_data_free != NULL)
    it->format->item_data_free(it->data);
  g_clear_error(&it->error);
  g_clear_error(&it->warning);
  nd_document_free(it->doc);
}

static Batch *
batch_new(guint64 seq)
{
  Batch *b = g_new0(Batch, 1);
  b->seq = seq;
  b->items = g_array_sized_new(FALSE, TRUE, sizeof(NdItem), BATCH_ITEMS);
  g_array_set_clear_func(b->items, (GDestroyNotify)item_clear);
  return b;
}

static void
batch_free(Batch *b)
{
  g_array_unref(b->items);
  g_free(b);
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
      g_set_error(error, ND_ERROR, ND_ERROR_TOO_MANY_TOKENS, "article has more than the maximum of %" G_GUINT64_FORMAT
                  " tokens (words; letters with chars:K); not signed", max_tokens);
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
    g_set_error(error, ND_ERROR, ND_ERROR_TOO_MANY_TOKENS, "article of %u tokens is larger than the maximum of %"
                G_GUINT64_FORMAT " tokens", doc->tokens, l->max_tokens);
    g_clear_pointer(&doc, nd_document_free);
  }
  return doc;
}

void
nd_worker_ctx_init(NdWorkerCtx *ctx, const NdLoader *loader, const NdSourceConfig *config)
{
  memset(ctx, 0, sizeof *ctx);
  ctx->loader = loader;
  ctx->config = config;
  ctx->buf = g_byte_array_new();
}

void
nd_worker_ctx_clear(NdWorkerCtx *ctx)
{
  for (guint i = 0; i < G_N_ELEMENTS(ctx->formats) && ctx->formats[i] != NULL; i++)
    if (ctx->states[i] != NULL)
      ctx->formats[i]->worker_free(ctx->states[i]);
  g_byte_array_unref(ctx->buf);
  memset(ctx, 0, sizeof *ctx);
}

gpointer
nd_worker_state(NdWorkerCtx *ctx, const NdFormat *format)
{
  if (format->worker_new == NULL)
    return NULL;
  guint i = 0;
  while (i < G_N_ELEMENTS(ctx->formats) && ctx->formats[i] != NULL && ctx->formats[i] != format)
    i++;
  g_assert(i < G_N_ELEMENTS(ctx->formats));
  if (ctx->formats[i] == NULL) {
    ctx->formats[i] = format;
    ctx->states[i] = format->worker_new();
  }
  return ctx->states[i];
}

static void
process_item(NdItem *it, NdSigner *signer, NdWorkerCtx *ctx, GArray *scratch, const NdLoader *l)
{
  if (it->format == NULL || it->error != NULL || it->pass_reason != NULL)
    return;
  NdArticle art = { 0 };
  if (!it->format->read(ctx, it, &art, &it->error)) {
    nd_article_clear(&art);
    return;
  }
  it->warning = g_steal_pointer(&art.warning);
  if (art.pass_reason != NULL) {
    it->pass_reason = art.pass_reason;
    nd_article_clear(&art);
    return;
  }
  const char *id = art.id != NULL ? art.id : it->name;
  it->doc = sign_limited(signer, l, scratch, id, art.text, art.len, &it->error);
  if (it->doc == NULL) {
    if (art.name_errors)
      g_prefix_error(&it->error, "record \"%s\": ", id);
    nd_article_clear(&art);
    return;
  }
  if (art.meta_json != NULL) {
    it->doc->meta = g_steal_pointer(&art.meta_json);
  } else if (art.meta != NULL && json_object_get_size(art.meta) > 0) {
    g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
    json_node_set_object(node, art.meta);
    it->doc->meta = nd_json_to_string(node);
  }
  it->doc->path = g_steal_pointer(&art.path);
  if (it->doc->path != NULL) {
    it->doc->source_bytes = art.source_bytes;
    it->doc->source_hash = art.source_hash;
  }
  if (l->params.keep_text)
    it->doc->map = g_steal_pointer(&art.map);
  nd_article_clear(&art);
}

static gpointer
worker_main(gpointer data)
{
  Worker *w = data;
  NdLoader *loader = w->loader;
  g_autoptr(NdSigner) signer = nd_signer_new(&loader->params);
  g_autoptr(GArray) scratch = g_array_new(FALSE, FALSE, sizeof(NdToken));
  NdWorkerCtx ctx;
  nd_worker_ctx_init(&ctx, loader, &loader->config);
  for (;;) {
    gpointer job = g_async_queue_pop(loader->todo);
    if (job == loader)
      break;
    Batch *b = job;
    for (guint i = 0; i < b->items->len && !nd_loader_halted(loader); i++) {
      process_item(&g_array_index(b->items, NdItem, i), signer, &ctx, scratch, loader);
      /* Do not keep one huge article's buffers for the rest of the run. */
      if (ctx.buf->len > BATCH_BYTES) {
        g_byte_array_unref(ctx.buf);
        ctx.buf = g_byte_array_new();
      }
    }
    if (b->bytes > BATCH_BYTES) { /* drop the formats' states (a parse tree) after a huge record */
      nd_worker_ctx_clear(&ctx);
      nd_worker_ctx_init(&ctx, loader, &loader->config);
    }
    g_async_queue_push(loader->done, b);
  }
  nd_worker_ctx_clear(&ctx);
  return NULL;
}

const char *
nd_loader_intern(NdLoader *l, const char *s)
{
  for (guint i = 0; i < l->strings->len; i++)
    if (strcmp(g_ptr_array_index(l->strings, i), s) == 0)
      return g_ptr_array_index(l->strings, i);
  char *copy = g_strdup(s);
  g_ptr_array_add(l->strings, copy);
  return copy;
}

NdLoader *
nd_loader_new(NdCollection *collection, guint threads, gboolean stop_on_error)
{
  NdLoader *l = g_new0(NdLoader, 1);
  l->collection = collection;
  l->params = *nd_collection_params(collection);
  l->stop_on_error = stop_on_error;
  l->strings = g_ptr_array_new_with_free_func(g_free);
  l->config.max_bytes = l->params.max_bytes;
  l->config.id_field = nd_loader_intern(l, "id");
  l->config.text_field = nd_loader_intern(l, "text");
  l->config.include = g_ptr_array_new_with_free_func((GDestroyNotify)g_pattern_spec_free);
  l->config.exclude = g_ptr_array_new_with_free_func((GDestroyNotify)g_pattern_spec_free);
  l->passed = g_array_new(FALSE, FALSE, sizeof(NdPassedOver));
  l->names_digest = G_GUINT64_CONSTANT(0xcbf29ce484222325);
  l->n_workers = threads ? threads : g_get_num_processors();
  l->todo = g_async_queue_new();
  l->done = g_async_queue_new();
  l->pending = g_hash_table_new(g_int64_hash, g_int64_equal);
  l->workers = g_new0(Worker, l->n_workers);
  for (guint i = 0; i < l->n_workers; i++) {
    l->workers[i].loader = l;
    l->workers[i].thread = g_thread_new("neardup-sign", worker_main, &l->workers[i]);
  }
  return l;
}

void
nd_loader_set_share(NdLoader *l, guint index, guint count, guint block)
{
  g_return_if_fail(l != NULL && l->next_item == 0 && (count == 0 || index < count));
  l->share_index = index;
  l->share_count = count;
  l->share_block = block ? block : ND_DEFAULT_SHARE_BLOCK;
}

void
nd_loader_set_input_range(NdLoader *l, const char *path, const NdInputRange *range, guint64 first_line)
{
  g_return_if_fail(l != NULL && path != NULL && range != NULL && l->next_item == 0);
  if (l->input_ranges == NULL)
    l->input_ranges = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  NdLoaderRange *r = g_new(NdLoaderRange, 1);
  r->range = *range;
  r->first_line = first_line;
  g_hash_table_replace(l->input_ranges, g_strdup(path), r);
}

const NdLoaderRange *
nd_loader_input_range(const NdLoader *l, const char *display)
{
  return l->input_ranges != NULL ? g_hash_table_lookup(l->input_ranges, display) : NULL;
}

/* Adds `name` (and its NUL, which keeps names apart) to the digest of the names queued. */
static void
digest_name(NdLoader *l, const char *name)
{
  for (const char *c = name ? name : ""; ; c++) {
    l->names_digest = (l->names_digest ^ (guchar)*c) * G_GUINT64_CONSTANT(0x100000001b3);
    if (*c == '\0')
      break;
  }
}

void
nd_loader_range_begin(NdLoader *l, const char *display, guint64 size)
{
  g_return_if_fail(!l->in_range);
  /* The shares' names differ within the file (each its own lines): the digest takes the file's
   * name and size, which they share. */
  g_autofree char *what = g_strdup_printf("%s (%" G_GUINT64_FORMAT " bytes, by ranges)", display, size);
  digest_name(l, what);
  l->in_range = TRUE;
  l->range_base = l->next_item;
  l->range_size = size;
  l->range_at = 0;
}

void
nd_loader_range_at(NdLoader *l, guint64 offset)
{
  g_return_if_fail(l->in_range && offset <= l->range_size);
  l->range_at = offset;
}

void
nd_loader_range_end(NdLoader *l)
{
  g_return_if_fail(l->in_range);
  l->in_range = FALSE;
  l->next_item = l->range_base + l->range_size + 1;
}

guint64
nd_loader_items(const NdLoader *l, guint64 *names_digest)
{
  g_return_val_if_fail(l != NULL, 0);
  if (names_digest != NULL)
    *names_digest = l->names_digest;
  return l->next_item;
}

const char *
nd_loader_current_item(const NdLoader *l, guint64 *number)
{
  if (l == NULL || l->merging == NULL)
    return NULL;
  if (number != NULL)
    *number = l->merging->number;
  return l->merging->name;
}

void
nd_loader_set_error_func(NdLoader *l, NdInputErrorFunc func, gpointer user_data)
{
  l->error_func = func;
  l->error_data = user_data;
}

void
nd_loader_set_warning_func(NdLoader *l, NdInputErrorFunc func, gpointer user_data)
{
  l->warning_func = func;
  l->warning_data = user_data;
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
  l->config.file_check = func;
  l->config.file_check_data = user_data;
}

void
nd_loader_set_document_func(NdLoader *l, NdDocumentFunc func, gpointer user_data)
{
  l->document_func = func;
  l->document_data = user_data;
}

void
nd_loader_set_jsonl_fields(NdLoader *l, const char *id_field, const char *text_field)
{
  g_return_if_fail(id_field != NULL && text_field != NULL);
  l->config.id_field = nd_loader_intern(l, id_field);
  l->config.text_field = nd_loader_intern(l, text_field);
}

void
nd_loader_add_include(NdLoader *l, const char *glob)
{
  g_return_if_fail(glob != NULL);
  g_ptr_array_add(l->config.include, g_pattern_spec_new(glob));
}

void
nd_loader_add_exclude(NdLoader *l, const char *glob)
{
  g_return_if_fail(glob != NULL);
  g_ptr_array_add(l->config.exclude, g_pattern_spec_new(glob));
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

const NdPassedOver *
nd_loader_passed_over(const NdLoader *l, guint *n)
{
  *n = l->passed->len;
  return (const NdPassedOver *)(gpointer)l->passed->data;
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
count_pass(NdLoader *l, const char *reason)
{
  for (guint i = 0; i < l->passed->len; i++) {
    NdPassedOver *p = &g_array_index(l->passed, NdPassedOver, i);
    if (p->reason == reason || strcmp(p->reason, reason) == 0) {
      p->count++;
      return;
    }
  }
  NdPassedOver p = { reason, 1 };
  g_array_append_val(l->passed, p);
}

static void
merge_batch(NdLoader *l, Batch *b)
{
  for (guint i = 0; i < b->items->len; i++) {
    NdItem *it = &g_array_index(b->items, NdItem, i);
    if (nd_loader_halted(l))
      break; /* strict mode: nothing after the first failure counts; cancelled: nothing more is merged */
    if (it->warning != NULL && l->warning_func != NULL)
      l->warning_func(it->name, it->warning, l->warning_data);
    if (it->error != NULL) {
      report(l, it->name, it->error);
      continue;
    }
    if (it->pass_reason != NULL) {
      count_pass(l, it->pass_reason);
      continue;
    }
    if (it->doc == NULL)
      continue;
    guint64 bytes = it->doc->bytes;
    g_autoptr(GError) error = NULL;
    l->merging = it;
    gboolean added = l->document_func != NULL ? l->document_func(g_steal_pointer(&it->doc), l->document_data, &error)
                                              : nd_collection_add(l->collection, g_steal_pointer(&it->doc), &error);
    l->merging = NULL;
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
   * their payloads exceed a few batches' worth, unless this batch is the only one. */
  while (l->in_flight > 4u * l->n_workers ||
         (l->in_flight > 1 && l->in_flight_bytes > IN_FLIGHT_BYTES_PER_WORKER * l->n_workers))
    collect(l, TRUE);
  collect(l, FALSE);
}

void
nd_loader_queue(NdLoader *l, NdItem *item)
{
  if (l->in_range) { /* a record of this share's range of a file: numbered by its byte offset */
    item->number = l->range_base + l->range_at;
  } else {
    item->number = l->next_item++;
    digest_name(l, item->name);
  }
  if (!l->in_range && l->share_count > 1 && (item->number / l->share_block) % l->share_count != l->share_index) {
    item_clear(item); /* another share's: not read, not reported, not counted here */
    memset(item, 0, sizeof *item);
    return;
  }
  if (l->filling == NULL)
    l->filling = batch_new(l->next_seq++);
  g_array_append_val(l->filling->items, *item);
  memset(item, 0, sizeof *item);
  NdItem *it = &g_array_index(l->filling->items, NdItem, l->filling->items->len - 1);
  l->filling->bytes += it->payload_len;
  if (l->filling->items->len >= BATCH_ITEMS || l->filling->bytes >= BATCH_BYTES)
    flush(l);
}

void
nd_loader_queue_error(NdLoader *l, const char *name, GError *error)
{
  NdItem it = { .name = g_strdup(name), .error = error };
  nd_loader_queue(l, &it);
}

void
nd_loader_queue_pass(NdLoader *l, const char *name, const char *reason)
{
  NdItem it = { .name = g_strdup(name), .pass_reason = reason };
  nd_loader_queue(l, &it);
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
  g_ptr_array_unref(l->config.include);
  g_ptr_array_unref(l->config.exclude);
  g_array_unref(l->passed);
  g_ptr_array_unref(l->strings);
  if (l->input_ranges != NULL)
    g_hash_table_unref(l->input_ranges);
  g_free(l->filling);
  g_free(l);
}

typedef struct {
  NdDocument *doc;
  guint n;
  GError *error;
} OneDocument;

static gboolean
take_one(NdDocument *doc, gpointer data, GError **error)
{
  (void)error;
  OneDocument *o = data;
  o->n++;
  if (o->doc == NULL)
    o->doc = doc;
  else
    nd_document_free(doc);
  return TRUE;
}

static void
first_error(const char *input, const GError *error, gpointer data)
{
  (void)input;
  OneDocument *o = data;
  if (o->error == NULL)
    o->error = g_error_copy(error);
}

NdDocument *
nd_read_document(const char *path, const NdSignParams *params, guint64 max_tokens, NdFileCheckFunc check,
                 gpointer check_data, GError **error)
{
  NdSignParams p = *params;
  p.keep_text = TRUE;
  g_autoptr(NdCollection) coll = nd_collection_new(&p);
  OneDocument o = { 0 };
  NdLoader *l = nd_loader_new(coll, 1, FALSE);
  nd_loader_set_document_func(l, take_one, &o);
  nd_loader_set_error_func(l, first_error, &o);
  nd_loader_set_file_check(l, check, check_data);
  nd_loader_set_max_tokens(l, max_tokens);
  nd_loader_add_path(l, path);
  nd_loader_finish(l);
  nd_loader_free(l);
  if (o.error != NULL) {
    nd_document_free(o.doc);
    g_propagate_error(error, o.error);
    return NULL;
  }
  if (o.n != 1) {
    nd_document_free(o.doc);
    g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "holds %u articles (a WARC or JSON Lines file), not one; "
                "see what it holds with `neardup extract`", o.n);
    return NULL;
  }
  return o.doc;
}

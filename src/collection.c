/* collection.c — signing articles and holding the signed set (see include/neardup/collection.h).
 *
 * Signing is tokenise -> shingle hashes -> MinHash signature + sorted distinct shingle keys, then
 * the passage anchors (winnowing over runs of words inside lines, score.h) and the distinct words.
 * Every key kept is the high 32 bits of a 64-bit hash: among the few thousand keys of two articles a
 * false match has probability ~n^2/2^33, far below the resolution of any threshold, and it halves
 * the memory.
 */
#include <neardup/neardup.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include "article_check.h"
#include "sort.h"
#include "tempfile.h"

void
nd_sign_params_init(NdSignParams *params)
{
  *params = (NdSignParams){
    .shingle = { ND_TOKENS_WORDS, ND_DEFAULT_WORD_K },
    .num_perm = ND_DEFAULT_NUM_PERM,
    .seed = ND_DEFAULT_SEED,
    .text_flags = ND_TEXT_DEFAULT,
    .max_bytes = ND_DEFAULT_MAX_BYTES,
    .keep_sets = TRUE,
    .keep_signature = TRUE,
    .fingerprint_sampling = ND_DEFAULT_FINGERPRINT_SAMPLING,
    .keep_words = TRUE,
    .keep_lines_and_quotes = TRUE,
  };
}

gboolean
nd_sign_params_validate(const NdSignParams *params, GError **error)
{
  if (params->shingle.k < 1 || params->shingle.k > ND_SHINGLE_K_MAX) {
    g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "shingle size %u is not between 1 and %d",
                params->shingle.k, ND_SHINGLE_K_MAX);
    return FALSE;
  }
  if (params->num_perm < ND_MINHASH_MIN_PERM || params->num_perm > ND_MINHASH_MAX_PERM) {
    g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "number of permutations %u is not between %d and %d",
                params->num_perm, ND_MINHASH_MIN_PERM, ND_MINHASH_MAX_PERM);
    return FALSE;
  }
  if (params->max_bytes == 0 || params->max_bytes > ND_TEXT_MAX_BYTES) {
    g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "maximum article size must be between 1 and %"
                G_GSIZE_FORMAT " bytes", ND_TEXT_MAX_BYTES);
    return FALSE;
  }
  return TRUE;
}

void
nd_document_free(NdDocument *doc)
{
  if (doc == NULL)
    return;
  g_free(doc->id);
  g_free(doc->signature);
  g_free(doc->set);
  g_free(doc->text);
  nd_offset_map_free(doc->map);
  g_free(doc->meta);
  g_free(doc->path);
  g_free(doc->fingerprints);
  g_free(doc->anchors);
  g_free(doc->quoted_anchors);
  g_free(doc->words);
  g_free(doc->lines);
  g_free(doc->line_anchors);
  g_free(doc->band_keys);
  g_free(doc);
}

struct NdSigner {
  NdSignParams params;
  GArray *tokens;   /* NdToken */
  GArray *shingles; /* guint64 */
  GArray *grams;    /* guint64: anchor-length runs of words */
  GArray *breaks;   /* guint32: line breaks before each token, cumulative */
  GArray *quoted;   /* guint8 per token: inside quotation marks; then guint32 runs of quoted tokens */
  GArray *quoted_keys; /* guint32: anchors of quoted runs */
  guint32 *keys, *scratch;
  gsize keys_cap;
};

NdSigner *
nd_signer_new(const NdSignParams *params)
{
  NdSigner *s = g_new0(NdSigner, 1);
  s->params = *params;
  s->tokens = g_array_sized_new(FALSE, FALSE, sizeof(NdToken), 1024);
  s->shingles = g_array_sized_new(FALSE, FALSE, sizeof(guint64), 1024);
  s->grams = g_array_sized_new(FALSE, FALSE, sizeof(guint64), 1024);
  s->breaks = g_array_sized_new(FALSE, FALSE, sizeof(guint32), 1024);
  s->quoted = g_array_sized_new(FALSE, FALSE, sizeof(guint32), 1024);
  s->quoted_keys = g_array_sized_new(FALSE, FALSE, sizeof(guint32), 64);
  return s;
}

void
nd_signer_free(NdSigner *signer)
{
  if (signer == NULL)
    return;
  g_array_unref(signer->tokens);
  g_array_unref(signer->shingles);
  g_array_unref(signer->grams);
  g_array_unref(signer->breaks);
  g_array_unref(signer->quoted);
  g_array_unref(signer->quoted_keys);
  g_free(signer->keys);
  g_free(signer->scratch);
  g_free(signer);
}

static void
reserve_keys(NdSigner *s, gsize n)
{
  if (n > s->keys_cap) {
    s->keys_cap = MAX(n, s->keys_cap * 2);
    s->keys = g_renew(guint32, s->keys, s->keys_cap);
    s->scratch = g_renew(guint32, s->scratch, s->keys_cap);
  }
}

/* The fingerprints of a sorted distinct key array: the keys that are 0 mod P, in a new array. */
static guint32 *
sample_keys(const guint32 *keys, gsize n, guint32 P, guint32 *n_out)
{
  guint32 *out = g_new(guint32, n / MAX(P, 1u) + 8), cap = (guint32)(n / MAX(P, 1u) + 8), m = 0;
  const guint32 mask = P - 1;
  const gboolean pow2 = (P & mask) == 0;
  for (gsize i = 0; i < n; i++) {
    if (pow2 ? (keys[i] & mask) != 0 : keys[i] % P != 0)
      continue;
    if (m == cap) {
      cap *= 2;
      out = g_renew(guint32, out, cap);
    }
    out[m++] = keys[i];
  }
  *n_out = m;
  return g_renew(guint32, out, m ? m : 1);
}

/* A 64-bit mixer (the finaliser of MurmurHash3): every input bit affects every output bit. */
static inline guint64
mix64(guint64 x)
{
  x ^= x >> 33;
  x *= G_GUINT64_CONSTANT(0xff51afd7ed558ccd);
  x ^= x >> 33;
  x *= G_GUINT64_CONSTANT(0xc4ceb9fe1a85ec53);
  x ^= x >> 33;
  return x;
}

/* Passage anchors (score.h): a hash of every run of k tokens that lies inside one line, winnowed with
 * windows of w runs (the smallest hash of each window, the rightmost of equal ones), one line at a
 * time; a line with fewer than w runs gives its smallest one. A run's hash is a polynomial in its
 * token hashes (themselves XXH3 values) with the seed, mixed: a few multiplications a word instead
 * of a hash call. Keys go to s->keys[0 ..); returns how many (sorted, distinct). */
static gsize
winnow_anchors(NdSigner *s, const char *text, gsize len, const NdToken *tok, gsize n_tok)
{
  const gboolean chars = s->params.shingle.mode == ND_TOKENS_CHARS;
  const guint k = chars ? ND_ANCHOR_CHAR_TOKENS : ND_ANCHOR_TOKENS;
  const guint w = chars ? ND_ANCHOR_CHAR_WINDOW : ND_ANCHOR_WINDOW;
  g_array_set_size(s->breaks, (guint)n_tok);
  guint32 *brk = (guint32 *)s->breaks->data;
  nd_line_ids(text, tok, n_tok, brk); /* the line of each token */
  g_array_set_size(s->quoted_keys, 0);
  if (n_tok < k)
    return 0;
  /* run[i]: how many tokens from i on lie inside quotation marks (quote.h); a run of k words is a
   * quoted anchor when run[i] >= k. Texts without quotation marks skip this. */
  g_array_set_size(s->quoted, (guint)(n_tok + 1 + n_tok / 4 + 1));
  guint32 *run = (guint32 *)s->quoted->data;
  gboolean any_quoted = s->params.keep_lines_and_quotes &&
                        (memchr(text, '"', len) != NULL || memchr(text, '\'', len) != NULL ||
                         memchr(text, 0xE2, len) != NULL || memchr(text, 0xC2, len) != NULL ||
                         memchr(text, 0xE3, len) != NULL || memchr(text, 0xEF, len) != NULL);
  if (any_quoted) {
    guint8 *flags = (guint8 *)(run + n_tok + 1); /* after the runs */
    any_quoted = nd_quote_mark_tokens(text, len, tok, n_tok, flags) >= k;
    run[n_tok] = 0;
    for (gsize i = n_tok; i-- > 0;)
      run[i] = flags[i] ? run[i + 1] + 1 : 0;
  }
  const gsize n_grams = n_tok - k + 1;
  g_array_set_size(s->grams, (guint)n_grams);
  guint64 *h = (guint64 *)s->grams->data;
  /* x = (((seed' + t0) P + t1) P + ... + t(k-1)) P, rolled along the tokens: drop the first word's
   * term and the seed's, shift by P, add the next word (arithmetic mod 2^64). */
  const guint64 P = G_GUINT64_CONSTANT(0x9e3779b97f4a7c15);
  const guint64 seed = s->params.seed ^ G_GUINT64_CONSTANT(0x616e63686f727321); /* "anchors!" */
  guint64 pk = 1; /* P^k */
  for (guint j = 0; j < k; j++)
    pk *= P;
  guint64 x = seed;
  for (guint j = 0; j < k; j++)
    x = (x + tok[j].hash) * P;
  h[0] = mix64(x);
  for (gsize i = 1; i < n_grams; i++) {
    x = (x - (seed + tok[i - 1].hash) * pk) * P + seed * pk + tok[i + k - 1].hash * P;
    h[i] = mix64(x);
  }
  reserve_keys(s, n_grams + 1);
  gsize n_keys = 0;
  for (gsize line = 0; line < n_grams;) {
    /* The runs [line, end) lie in one line: run i spans tokens i .. i + k - 1. */
    while (line < n_grams && brk[line] != brk[line + k - 1])
      line++;
    gsize end = line;
    while (end < n_grams && brk[end + k - 1] == brk[line])
      end++;
    if (end == line)
      break;
    gsize win = MIN((gsize)w, end - line);
    /* The window's minimum is kept while it stays in the window: one comparison per new run, a
     * rescan of the window only when the minimum leaves it. */
    gsize best = line;
    for (gsize j = line + 1; j < line + win; j++)
      if (h[j] <= h[best])
        best = j;
    s->keys[n_keys++] = (guint32)(h[best] >> 32);
    if (any_quoted && run[best] >= k)
      g_array_append_val(s->quoted_keys, s->keys[n_keys - 1]);
    for (gsize start = line + 1; start + win <= end; start++) {
      gsize added = start + win - 1, before = best;
      if (best < start) {
        best = start;
        for (gsize j = start + 1; j <= added; j++)
          if (h[j] <= h[best])
            best = j;
      } else if (h[added] <= h[best]) {
        best = added;
      }
      if (best != before) {
        s->keys[n_keys++] = (guint32)(h[best] >> 32);
        if (any_quoted && run[best] >= k)
          g_array_append_val(s->quoted_keys, s->keys[n_keys - 1]);
      }
    }
    line = end;
  }
  if (s->quoted_keys->len > 0) /* scratch holds n_grams + 1 keys, more than these */
    g_array_set_size(s->quoted_keys,
                     (guint)nd_sort_unique_u32((guint32 *)s->quoted_keys->data, s->scratch, s->quoted_keys->len));
  return nd_sort_unique_u32(s->keys, s->scratch, n_keys);
}

/* The document's short lines (boilerplate candidates, words.h) and the anchors that come from them.
 * Uses the line numbers and run hashes winnow_anchors left in s->breaks and s->grams. */
static void
short_lines(NdSigner *s, const NdToken *tok, gsize n_tok, NdDocument *doc)
{
  if (!s->params.keep_lines_and_quotes || s->params.shingle.mode != ND_TOKENS_WORDS || n_tok == 0 ||
      s->breaks->len != n_tok)
    return;
  const guint32 *line = (const guint32 *)s->breaks->data;
  const guint k = ND_ANCHOR_TOKENS;
  g_autoptr(GArray) keys = g_array_new(FALSE, FALSE, sizeof(guint32));
  g_autoptr(GArray) pairs = g_array_new(FALSE, FALSE, sizeof(guint64)); /* anchor << 32 | line key */
  for (gsize first = 0; first < n_tok;) {
    gsize end = first + 1;
    while (end < n_tok && line[end] == line[first])
      end++;
    if (end - first <= ND_BOILERPLATE_MAX_WORDS) {
      guint32 key = nd_line_key(tok + first, end - first);
      g_array_append_val(keys, key);
      /* This line's anchors: the winnowed minima of its runs (a short line has few). */
      if (end - first >= k) {
        const guint64 *h = (const guint64 *)s->grams->data;
        gsize runs = end - first - k + 1, win = MIN((gsize)ND_ANCHOR_WINDOW, runs);
        for (gsize st = first; st + win <= first + runs; st++) {
          gsize best = st;
          for (gsize j = st + 1; j < st + win; j++)
            if (h[j] <= h[best])
              best = j;
          guint64 pr = ((guint64)(guint32)(h[best] >> 32) << 32) | key;
          g_array_append_val(pairs, pr);
        }
      }
    }
    first = end;
  }
  if (keys->len > 0) {
    g_autofree guint32 *scratch = g_new(guint32, keys->len);
    doc->n_lines = (guint32)nd_sort_unique_u32((guint32 *)keys->data, scratch, keys->len);
    doc->lines = g_memdup2(keys->data, doc->n_lines * sizeof(guint32));
  }
  if (pairs->len > 0) {
    g_autofree guint64 *scratch = g_new(guint64, pairs->len);
    guint64 *pr = (guint64 *)pairs->data;
    nd_sort_u64(pr, scratch, pairs->len);
    doc->line_anchors = g_new(guint32, 2 * pairs->len);
    for (guint i = 0; i < pairs->len; i++)
      if (i == 0 || pr[i] != pr[i - 1]) {
        doc->line_anchors[2 * doc->n_line_anchors] = (guint32)(pr[i] >> 32);
        doc->line_anchors[2 * doc->n_line_anchors + 1] = (guint32)pr[i];
        doc->n_line_anchors++;
      }
  }
}

const NdToken *
nd_signer_last_tokens(const NdSigner *signer, gsize *n_tokens)
{
  *n_tokens = signer->tokens->len;
  return (const NdToken *)signer->tokens->data;
}

NdDocument *
nd_signer_sign(NdSigner *s, const char *id, const char *text, gsize len, GError **error)
{
  g_return_val_if_fail(s != NULL && id != NULL, NULL);
  if (len > s->params.max_bytes) {
    g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "article of %" G_GSIZE_FORMAT " bytes is larger than the "
                "maximum of %" G_GSIZE_FORMAT " bytes", len, s->params.max_bytes);
    return NULL;
  }
  if (!nd_article_bytes_ok(text, len, error))
    return NULL;
  g_array_set_size(s->tokens, 0);
  if (!nd_tokenize(text, len, s->params.shingle.mode, s->params.text_flags, s->tokens, error))
    return NULL;
  if (s->tokens->len == 0) {
    gboolean blank = TRUE; /* only white space, in any script (U+00A0, U+3000 ...)? */
    for (const char *p = text; p < text + len && blank; p = g_utf8_next_char(p)) {
      gunichar c = g_utf8_get_char_validated(p, (gssize)(text + len - p));
      blank = c != (gunichar)-1 && c != (gunichar)-2 && g_unichar_isspace(c);
    }
    if (blank)
      g_set_error(error, ND_ERROR, ND_ERROR_EMPTY, "empty article (only whitespace)");
    else
      g_set_error_literal(error, ND_ERROR, ND_ERROR_NO_TOKENS, "no words to compare (only punctuation or symbols)");
    return NULL;
  }

  g_array_set_size(s->shingles, 0);
  nd_shingle_hashes((const NdToken *)s->tokens->data, s->tokens->len, s->params.shingle.k, s->params.seed,
                    s->shingles);
  const guint64 *hashes = (const guint64 *)s->shingles->data;
  gsize n = s->shingles->len;

  NdDocument *doc = g_new0(NdDocument, 1);
  doc->id = g_strdup(id);
  doc->bytes = len;
  doc->text_hash = XXH3_64bits(text, len);
  doc->dated_dateline = nd_text_has_dated_dateline(text, len);
  doc->tokens = s->tokens->len;
  doc->signature = g_new(guint32, s->params.num_perm);
  nd_minhash_sign(hashes, n, s->params.num_perm, s->params.seed, doc->signature);

  reserve_keys(s, n);
  for (gsize i = 0; i < n; i++)
    s->keys[i] = (guint32)(hashes[i] >> 32);
  gsize distinct = nd_sort_unique_u32(s->keys, s->scratch, n);
  doc->set_size = (guint32)distinct;
  if (s->params.keep_sets)
    doc->set = g_memdup2(s->keys, distinct * sizeof(guint32));
  else if (s->params.fingerprint_sampling > 0) /* the keys are sorted and distinct, so are these */
    doc->fingerprints = sample_keys(s->keys, distinct, s->params.fingerprint_sampling, &doc->n_fingerprints);
  const NdToken *tok = (const NdToken *)s->tokens->data;
  gsize n_anchors = winnow_anchors(s, text, len, tok, s->tokens->len);
  doc->n_anchors = (guint32)n_anchors;
  doc->anchors = g_memdup2(s->keys, (n_anchors ? n_anchors : 1) * sizeof(guint32));
  if (s->quoted_keys->len > 0) {
    doc->n_quoted_anchors = s->quoted_keys->len;
    doc->quoted_anchors = g_memdup2(s->quoted_keys->data, s->quoted_keys->len * sizeof(guint32));
  }
  short_lines(s, tok, s->tokens->len, doc);
  if (s->params.keep_words && s->params.shingle.mode == ND_TOKENS_WORDS) {
    /* Repeated words ("the", the story's names) are dropped by a small direct-mapped filter before the
     * sort, which then sorts about half as many keys; the sort removes what the filter misses. */
    reserve_keys(s, s->tokens->len);
    guint32 recent[256] = { 0 };
    gsize m = 0;
    for (guint i = 0; i < s->tokens->len; i++) {
      guint32 key = (guint32)(tok[i].hash >> 32), slot = (guint32)tok[i].hash & 255;
      if (recent[slot] == key && key != 0)
        continue;
      recent[slot] = key;
      s->keys[m++] = key;
    }
    gsize n_words = nd_sort_unique_u32(s->keys, s->scratch, m);
    doc->n_words = (guint32)n_words;
    doc->words = g_memdup2(s->keys, n_words * sizeof(guint32));
  }
  if (s->params.lsh_bands > 0) {
    doc->band_keys = g_new(guint32, s->params.lsh_bands);
    for (guint b = 0; b < s->params.lsh_bands; b++)
      doc->band_keys[b] = (guint32)(nd_lsh_band_key(doc->signature, b, s->params.lsh_rows) >> 32);
  }
  if (!s->params.keep_signature)
    g_clear_pointer(&doc->signature, g_free);
  if (s->params.keep_text)
    doc->text = g_strndup(text, len);
  return doc;
}

struct NdCollection {
  NdSignParams params;
  guint lean_after;
  gboolean lean;
  GPtrArray *docs;    /* NdDocument*, owned */
  GHashTable *by_id;  /* id (borrowed from doc) -> present */
  int spool_fd;       /* texts out of memory (nd_collection_spool_texts), or -1 */
  guint64 spool_end;  /* bytes written to it */
  GArray *spooled;    /* guint64 per document: its text's offset in the spool, or NOT_SPOOLED */
};

#define NOT_SPOOLED G_MAXUINT64

NdCollection *
nd_collection_new(const NdSignParams *params)
{
  NdCollection *c = g_new0(NdCollection, 1);
  c->params = *params;
  c->docs = g_ptr_array_new_with_free_func((GDestroyNotify)nd_document_free);
  c->by_id = g_hash_table_new(g_str_hash, g_str_equal);
  c->spool_fd = -1;
  return c;
}

void
nd_collection_free(NdCollection *c)
{
  if (c == NULL)
    return;
  g_hash_table_unref(c->by_id);
  g_ptr_array_unref(c->docs);
  if (c->spool_fd >= 0)
    close(c->spool_fd);
  if (c->spooled != NULL)
    g_array_unref(c->spooled);
  g_free(c);
}

/* The fingerprint sampling of a lean collection: twice the signer's (collection.h). */
static guint
lean_sampling(const NdSignParams *params)
{
  return 2 * params->fingerprint_sampling;
}

/* Drops what a lean collection does not keep; the fingerprints (1 in `sampling` shingle keys) are
 * taken from the set before it goes, or thinned when the document was signed without one. A
 * document already lean stays as it is (its fingerprints are all 0 mod `sampling`). */
/* The fingerprints a lean document keeps (see make_lean), in a new array; NULL when it keeps its
 * own as they are (sampling 0, or neither set nor fingerprints). */
static guint32 *
lean_fingerprints(const NdDocument *doc, guint sampling, guint32 *n)
{
  *n = 0;
  if (sampling == 0)
    return NULL;
  if (doc->set != NULL)
    return sample_keys(doc->set, doc->set_size, sampling, n);
  if (doc->fingerprints != NULL)
    return sample_keys(doc->fingerprints, doc->n_fingerprints, sampling, n);
  return NULL;
}

static void
make_lean(NdDocument *doc, guint sampling)
{
  guint32 n;
  guint32 *fingerprints = lean_fingerprints(doc, sampling, &n);
  if (fingerprints != NULL) {
    g_free(doc->fingerprints);
    doc->fingerprints = fingerprints;
    doc->n_fingerprints = n;
  }
  g_clear_pointer(&doc->set, g_free);
  g_clear_pointer(&doc->words, g_free);
  doc->n_words = 0;
  if (doc->band_keys != NULL)
    g_clear_pointer(&doc->signature, g_free);
}

guint32 *
nd_document_lean_fingerprints(const NdDocument *doc, const NdSignParams *params, guint32 *n)
{
  g_return_val_if_fail(doc != NULL && params != NULL && n != NULL, NULL);
  guint32 *fingerprints = lean_fingerprints(doc, lean_sampling(params), n);
  if (fingerprints == NULL && doc->fingerprints != NULL) { /* kept as they are */
    *n = doc->n_fingerprints;
    fingerprints = g_memdup2(doc->fingerprints, MAX(*n, 1u) * sizeof(guint32));
  }
  return fingerprints;
}

void
nd_document_make_lean(NdDocument *doc, const NdSignParams *params)
{
  g_return_if_fail(doc != NULL && params != NULL);
  make_lean(doc, lean_sampling(params));
}

guint
nd_collection_fingerprint_sampling(const NdCollection *c)
{
  return c->lean ? lean_sampling(&c->params) : c->params.fingerprint_sampling;
}

void
nd_collection_set_lean_after(NdCollection *c, guint limit)
{
  c->lean_after = limit;
}

guint
nd_collection_lean_after(const NdCollection *c)
{
  return c->lean_after;
}

gboolean
nd_collection_is_lean(const NdCollection *c)
{
  return c->lean;
}

gboolean
nd_collection_add(NdCollection *c, NdDocument *doc, GError **error)
{
  /* Look before adding: g_hash_table_add() would replace the stored key with this document's id,
   * which is freed below when the id is a duplicate. */
  if (g_hash_table_contains(c->by_id, doc->id)) {
    g_set_error(error, ND_ERROR, ND_ERROR_DUPLICATE_ID, "duplicate id '%s': an article with this id was "
                "already read; the second one is skipped", doc->id);
    nd_document_free(doc);
    return FALSE;
  }
  g_hash_table_add(c->by_id, doc->id);
  g_ptr_array_add(c->docs, doc);
  if (c->spooled != NULL) {
    /* Out of memory until it is asked for again; kept in memory when the spool cannot take it. */
    guint64 at = NOT_SPOOLED;
    if (doc->text != NULL && nd_write_all(c->spool_fd, doc->text, doc->bytes)) {
      at = c->spool_end;
      c->spool_end += doc->bytes;
      g_clear_pointer(&doc->text, g_free);
    }
    g_array_append_val(c->spooled, at);
  }
  if (!c->lean && c->lean_after > 0 && c->docs->len > c->lean_after) {
    c->lean = TRUE;
    for (guint i = 0; i < c->docs->len; i++)
      make_lean(g_ptr_array_index(c->docs, i), nd_collection_fingerprint_sampling(c));
  } else if (c->lean) {
    make_lean(doc, nd_collection_fingerprint_sampling(c));
  }
  return TRUE;
}

gboolean
nd_collection_spool_texts(NdCollection *c, const char *dir, GError **error)
{
  g_return_val_if_fail(c != NULL, FALSE);
  if (c->spooled != NULL)
    return TRUE;
  const char *where = dir != NULL ? dir : g_get_tmp_dir();
  c->spool_fd = nd_temp_file(where);
  if (c->spool_fd < 0) {
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "%s: cannot create a temporary file for the texts: %s", where,
                g_strerror(errno));
    return FALSE;
  }
  c->spooled = g_array_new(FALSE, FALSE, sizeof(guint64));
  guint64 in_memory = NOT_SPOOLED;
  for (guint i = 0; i < c->docs->len; i++) /* those taken before stay in memory */
    g_array_append_val(c->spooled, in_memory);
  return TRUE;
}

gboolean
nd_collection_load_text(NdCollection *c, guint index, GError **error)
{
  g_return_val_if_fail(c != NULL && index < c->docs->len, FALSE);
  NdDocument *doc = g_ptr_array_index(c->docs, index);
  if (doc->text != NULL || c->spooled == NULL || g_array_index(c->spooled, guint64, index) == NOT_SPOOLED)
    return TRUE;
  char *text = g_malloc(doc->bytes + 1);
  if (!nd_pread_all(c->spool_fd, text, doc->bytes, g_array_index(c->spooled, guint64, index))) {
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "the text of '%s' cannot be read back from its temporary file: %s",
                doc->id, errno != 0 ? g_strerror(errno) : "the file is shorter than written");
    g_free(text);
    return FALSE;
  }
  text[doc->bytes] = '\0';
  doc->text = text;
  return TRUE;
}

void
nd_collection_unload_text(NdCollection *c, guint index)
{
  g_return_if_fail(c != NULL && index < c->docs->len);
  NdDocument *doc = g_ptr_array_index(c->docs, index);
  if (c->spooled != NULL && g_array_index(c->spooled, guint64, index) != NOT_SPOOLED)
    g_clear_pointer(&doc->text, g_free);
}

guint
nd_collection_size(const NdCollection *c)
{
  return c->docs->len;
}

const NdDocument *
nd_collection_get(const NdCollection *c, guint index)
{
  g_return_val_if_fail(index < c->docs->len, NULL);
  return g_ptr_array_index(c->docs, index);
}

const NdSignParams *
nd_collection_params(const NdCollection *c)
{
  return &c->params;
}

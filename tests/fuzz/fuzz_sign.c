/* fuzz_sign.c — nd_signer_sign (collection.h) on arbitrary bytes and signing parameters.
 *
 * Input: 8 bytes of parameters (mode, lossy, keeps, k, num_perm, seed, fingerprint sampling, LSH
 * bands/rows, max_bytes), then the article.
 *
 * Invariants:
 *   - the outcome is exactly the documented one: ND_ERROR_EMPTY for 0 bytes or only white space,
 *     ND_ERROR_TOO_LARGE over max_bytes, ND_ERROR_BINARY for a NUL, ND_ERROR_UTF8 (not lossy, with
 *     nd_utf8_find_invalid's offset in the message), ND_ERROR_NO_TOKENS for text without tokens,
 *     otherwise a document — checked in that order, as collection.h lists them;
 *   - signing twice gives the same document: a fresh signer, a signer used before on other text,
 *     and the same signer again (id, bytes, tokens, set, signature, fingerprints, band keys, text);
 *   - the document is what the documented pipeline gives: tokens = nd_tokenize, set = the sorted
 *     distinct high halves of nd_shingle_hashes, signature = nd_minhash_sign of those hashes,
 *     fingerprints (only without a set) = the set keys that are 0 mod P, band keys = high halves of
 *     nd_lsh_band_key; set strictly increasing, set_size = its length, at least one shingle;
 *   - anchors = a naive winnowing written from score.h's rule (every window of w runs of k tokens
 *     inside one line, its rightmost smallest hash), words = the sorted distinct high halves of the
 *     token hashes (word tokens, keep_words).
 */
#include "fuzz_common.h"

static const guint perms[8] = { 8, 9, 16, 24, 31, 64, 128, 1000 };
static const guint samplings[8] = { 0, 1, 2, 3, 7, 8, 16, 1000 };

static void
check_same(const NdDocument *a, const NdDocument *b, const NdSignParams *p, const char *what)
{
  FUZZ_CHECK(strcmp(a->id, b->id) == 0 && a->bytes == b->bytes && a->tokens == b->tokens && a->set_size == b->set_size,
             "%s: header differs (tokens %u/%u, set_size %u/%u)", what, a->tokens, b->tokens, a->set_size, b->set_size);
  FUZZ_CHECK((a->signature == NULL) == (b->signature == NULL) &&
             (a->signature == NULL || memcmp(a->signature, b->signature, p->num_perm * sizeof(guint32)) == 0),
             "%s: signatures differ", what);
  FUZZ_CHECK((a->set == NULL) == (b->set == NULL) &&
             (a->set == NULL || memcmp(a->set, b->set, a->set_size * sizeof(guint32)) == 0), "%s: sets differ", what);
  FUZZ_CHECK(a->n_fingerprints == b->n_fingerprints && (a->fingerprints == NULL) == (b->fingerprints == NULL) &&
             (a->fingerprints == NULL || memcmp(a->fingerprints, b->fingerprints, a->n_fingerprints * sizeof(guint32)) == 0),
             "%s: fingerprints differ", what);
  FUZZ_CHECK(a->n_anchors == b->n_anchors && memcmp(a->anchors, b->anchors, a->n_anchors * sizeof(guint32)) == 0,
             "%s: anchors differ", what);
  FUZZ_CHECK(a->n_words == b->n_words && (a->words == NULL) == (b->words == NULL) &&
             (a->words == NULL || memcmp(a->words, b->words, a->n_words * sizeof(guint32)) == 0), "%s: words differ",
             what);
  FUZZ_CHECK((a->band_keys == NULL) == (b->band_keys == NULL) &&
             (a->band_keys == NULL || memcmp(a->band_keys, b->band_keys, p->lsh_bands * sizeof(guint32)) == 0),
             "%s: band keys differ", what);
  FUZZ_CHECK((a->text == NULL) == (b->text == NULL) && (a->text == NULL || memcmp(a->text, b->text, a->bytes + 1) == 0),
             "%s: texts differ", what);
}

static int
compare_u32(const void *x, const void *y)
{
  guint32 a = *(const guint32 *)x, b = *(const guint32 *)y;
  return a < b ? -1 : a > b;
}

/* Sorts and de-duplicates; returns the new length. */
static gsize
sort_distinct(guint32 *v, gsize n)
{
  qsort(v, n, sizeof(guint32), compare_u32);
  gsize d = 0;
  for (gsize i = 0; i < n; i++)
    if (d == 0 || v[d - 1] != v[i])
      v[d++] = v[i];
  return d;
}

/* The hash of the run of k tokens starting at t, as collection.h documents it. */
static guint64
run_hash(const NdToken *t, guint k, guint64 seed)
{
  guint64 x = seed ^ G_GUINT64_CONSTANT(0x616e63686f727321);
  for (guint j = 0; j < k; j++)
    x = (x + t[j].hash) * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15);
  x ^= x >> 33;
  x *= G_GUINT64_CONSTANT(0xff51afd7ed558ccd);
  x ^= x >> 33;
  x *= G_GUINT64_CONSTANT(0xc4ceb9fe1a85ec53);
  x ^= x >> 33;
  return x;
}

/* The anchors by the letter of the rule: for each line, each window of w runs (or the whole line
 * when it has fewer), the rightmost smallest hash; sorted and distinct. */
static gsize
reference_anchors(const char *text, const NdToken *t, gsize n, guint k, guint w, guint64 seed, guint32 *out)
{
  gsize m = 0;
  for (gsize first = 0; first < n;) {
    gsize last = first + 1; /* the line is tokens [first, last) */
    while (last < n && memchr(text + t[last - 1].end, '\n', t[last].start - t[last - 1].end) == NULL)
      last++;
    if (last - first >= k) {
      gsize runs = last - first - k + 1, win = MIN((gsize)w, runs);
      for (gsize s0 = first; s0 + win <= first + runs; s0++) {
        gsize best = s0;
        for (gsize j = s0; j < s0 + win; j++)
          if (run_hash(t + j, k, seed) <= run_hash(t + best, k, seed))
            best = j;
        out[m++] = (guint32)(run_hash(t + best, k, seed) >> 32);
      }
    }
    first = last;
  }
  return sort_distinct(out, m);
}

static void
check_document(NdSigner *signer, const NdDocument *doc, const NdSignParams *p, const char *text, gsize len)
{
  FUZZ_CHECK(strcmp(doc->id, "doc") == 0 && doc->bytes == len, "id or bytes wrong");
  FUZZ_CHECK(doc->meta == NULL, "signed text has metadata");
  gsize n_tok = 0;
  const NdToken *toks = nd_signer_last_tokens(signer, &n_tok);
  FUZZ_CHECK(n_tok == doc->tokens && n_tok >= 1, "last tokens %zu, document says %u", n_tok, doc->tokens);
  g_autoptr(GArray) ref = g_array_new(FALSE, FALSE, sizeof(NdToken));
  FUZZ_CHECK(nd_tokenize(text, len, p->shingle.mode, p->text_flags, ref, NULL), "nd_tokenize failed on signed text");
  FUZZ_CHECK(ref->len == n_tok && memcmp(ref->data, toks, n_tok * sizeof(NdToken)) == 0,
             "signer's tokens differ from nd_tokenize");
  for (gsize t = 0; t < n_tok; t++)
    FUZZ_CHECK(toks[t].start < toks[t].end && toks[t].end <= len && (t == 0 || toks[t - 1].end <= toks[t].start),
               "token %zu [%u, %u) out of order or range", t, toks[t].start, toks[t].end);

  g_autoptr(GArray) sh = g_array_new(FALSE, FALSE, sizeof(guint64));
  nd_shingle_hashes(toks, n_tok, p->shingle.k, p->seed, sh);
  gsize want_sh = n_tok < p->shingle.k ? 1 : n_tok - p->shingle.k + 1;
  FUZZ_CHECK(sh->len == want_sh, "%u shingles for %zu tokens, k %u", sh->len, n_tok, p->shingle.k);
  g_autofree guint32 *keys = g_new(guint32, sh->len);
  for (guint i = 0; i < sh->len; i++)
    keys[i] = (guint32)(g_array_index(sh, guint64, i) >> 32);
  qsort(keys, sh->len, sizeof(guint32), compare_u32);
  guint32 distinct = 0;
  for (guint i = 0; i < sh->len; i++)
    if (distinct == 0 || keys[distinct - 1] != keys[i])
      keys[distinct++] = keys[i];
  FUZZ_CHECK(doc->set_size == distinct && distinct >= 1, "set_size %u, distinct shingle keys %u", doc->set_size, distinct);
  if (p->keep_sets) {
    FUZZ_CHECK(doc->set != NULL, "keep_sets but no set");
    for (guint32 i = 1; i < doc->set_size; i++)
      FUZZ_CHECK(doc->set[i - 1] < doc->set[i], "set not strictly increasing at %u", i);
    FUZZ_CHECK(memcmp(doc->set, keys, distinct * sizeof(guint32)) == 0, "set differs from the shingle keys");
  } else {
    FUZZ_CHECK(doc->set == NULL, "set kept without keep_sets");
  }

  g_autofree guint32 *sig = g_new(guint32, p->num_perm);
  nd_minhash_sign((const guint64 *)sh->data, sh->len, p->num_perm, p->seed, sig);
  if (p->keep_signature) {
    FUZZ_CHECK(doc->signature != NULL && memcmp(doc->signature, sig, p->num_perm * sizeof(guint32)) == 0,
               "signature differs from nd_minhash_sign of the shingles");
    FUZZ_CHECK(nd_minhash_jaccard(doc->signature, doc->signature, p->num_perm) == 1.0, "self-similarity not 1");
  } else {
    FUZZ_CHECK(doc->signature == NULL, "signature kept without keep_signature");
  }

  if (p->fingerprint_sampling > 0 && !p->keep_sets) {
    FUZZ_CHECK(doc->fingerprints != NULL, "no fingerprints");
    guint32 n = 0;
    for (guint32 i = 0; i < distinct; i++)
      if (keys[i] % p->fingerprint_sampling == 0) {
        FUZZ_CHECK(n < doc->n_fingerprints && doc->fingerprints[n] == keys[i], "fingerprint %u wrong (P %u)", n,
                   p->fingerprint_sampling);
        n++;
      }
    FUZZ_CHECK(n == doc->n_fingerprints, "%u fingerprints, expected %u", doc->n_fingerprints, n);
  } else {
    FUZZ_CHECK(doc->n_fingerprints == 0 && doc->fingerprints == NULL, "fingerprints with a set or without sampling");
  }

  const gboolean chars = p->shingle.mode == ND_TOKENS_CHARS;
  g_autofree guint32 *anchors = g_new(guint32, n_tok + 1);
  gsize n_anchors = reference_anchors(text, toks, n_tok, chars ? ND_ANCHOR_CHAR_TOKENS : ND_ANCHOR_TOKENS,
                                      chars ? ND_ANCHOR_CHAR_WINDOW : ND_ANCHOR_WINDOW, p->seed, anchors);
  FUZZ_CHECK(doc->n_anchors == n_anchors && (n_anchors == 0 || memcmp(doc->anchors, anchors, n_anchors * 4) == 0),
             "anchors differ from the reference winnowing (%u, want %zu)", doc->n_anchors, n_anchors);
  if (p->keep_words && !chars) {
    g_autofree guint32 *words = g_new(guint32, n_tok + 1);
    for (gsize t = 0; t < n_tok; t++)
      words[t] = (guint32)(toks[t].hash >> 32);
    gsize n_words = sort_distinct(words, n_tok);
    FUZZ_CHECK(doc->n_words == n_words && memcmp(doc->words, words, n_words * 4) == 0, "words differ");
  } else {
    FUZZ_CHECK(doc->words == NULL && doc->n_words == 0, "words kept without keep_words or with characters");
  }

  if (p->lsh_bands > 0) {
    FUZZ_CHECK(doc->band_keys != NULL, "no band keys");
    for (guint b = 0; b < p->lsh_bands; b++)
      FUZZ_CHECK(doc->band_keys[b] == (guint32)(nd_lsh_band_key(sig, b, p->lsh_rows) >> 32), "band key %u wrong", b);
  } else {
    FUZZ_CHECK(doc->band_keys == NULL, "band keys without bands");
  }
  if (p->keep_text)
    FUZZ_CHECK(doc->text != NULL && memcmp(doc->text, text, len) == 0 && doc->text[len] == '\0', "text not kept");
  else
    FUZZ_CHECK(doc->text == NULL, "text kept without keep_text");
}

/* Only white space, in the sense of g_unichar_isspace, over a valid text? */
static gboolean
all_space(const char *text, gsize len)
{
  for (const char *p = text; p < text + len; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char_validated(p, (gssize)(text + len - p));
    if (c == (gunichar)-1 || c == (gunichar)-2 || !g_unichar_isspace(c))
      return FALSE;
  }
  return TRUE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 8)
    return 0;
  NdSignParams p;
  nd_sign_params_init(&p);
  p.shingle.mode = (data[0] & 1) ? ND_TOKENS_CHARS : ND_TOKENS_WORDS;
  p.text_flags = (data[0] & 2) ? ND_TEXT_LOSSY : ND_TEXT_DEFAULT;
  p.keep_sets = !(data[0] & 4);
  p.keep_signature = !(data[0] & 8);
  p.keep_text = (data[0] & 16) != 0;
  p.keep_words = (data[0] & 64) == 0;
  p.shingle.k = (data[0] & 32) ? 1u + data[1] % ND_SHINGLE_K_MAX : 1u + data[1] % 6;
  p.num_perm = perms[data[2] & 7];
  p.seed = data[3] | ((guint64)data[2] << 56);
  p.fingerprint_sampling = samplings[data[4] & 7];
  if (data[5] != 0) {
    p.lsh_rows = 1u + (data[5] & 7);
    p.lsh_bands = MIN(p.num_perm / p.lsh_rows, 1u + (data[5] >> 3));
  }
  if (data[6] == 0xff)
    p.max_bytes = 1 + data[7];
  FUZZ_CHECK(nd_sign_params_validate(&p, NULL), "generated parameters invalid");

  const char *text = (const char *)data + 8;
  gsize len = size - 8;

  /* The documented outcome. */
  int want = 0;
  gssize bad = nd_utf8_find_invalid(text, len);
  if (len == 0)
    want = ND_ERROR_EMPTY;
  else if (len > p.max_bytes)
    want = ND_ERROR_TOO_LARGE;
  else if (memchr(text, '\0', len) != NULL)
    want = ND_ERROR_BINARY;
  else if (bad >= 0 && !(p.text_flags & ND_TEXT_LOSSY))
    want = ND_ERROR_UTF8;

  g_autoptr(NdSigner) s1 = nd_signer_new(&p);
  g_autoptr(NdSigner) s2 = nd_signer_new(&p);
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
  g_autoptr(NdDocument) d1 = nd_signer_sign(s1, "doc", text, len, &e1);

  static const char warm[] = "A signer that has signed another article first: Kyiv’s mayor said on Tuesday 12 …";
  nd_document_free(nd_signer_sign(s2, "warm", warm, sizeof warm - 1, NULL)); /* fails over max_bytes */
  g_autoptr(NdDocument) d2 = nd_signer_sign(s2, "doc", text, len, &e2);
  g_autoptr(NdDocument) d3 = nd_signer_sign(s1, "doc", text, len, &e3);

  if (d1 == NULL) {
    const int codes[] = { ND_ERROR_EMPTY, ND_ERROR_BINARY, ND_ERROR_TOO_LARGE, ND_ERROR_UTF8, ND_ERROR_NO_TOKENS };
    fuzz_check_error(e1, codes, G_N_ELEMENTS(codes), "nd_signer_sign");
    if (want != 0) {
      FUZZ_CHECK(e1->code == want, "error %d (%s), documented outcome %d", e1->code, e1->message, want);
    } else {
      /* No tokens at all: EMPTY when the text is only white space, else NO_TOKENS. */
      g_autoptr(GArray) toks = g_array_new(FALSE, FALSE, sizeof(NdToken));
      FUZZ_CHECK(nd_tokenize(text, len, p.shingle.mode, p.text_flags, toks, NULL) && toks->len == 0,
                 "sign failed (%s) but the text has %u tokens", e1->message, toks->len);
      int blank = all_space(text, len) ? ND_ERROR_EMPTY : ND_ERROR_NO_TOKENS;
      FUZZ_CHECK(e1->code == blank, "error %d (%s) for a token-less text, expected %d", e1->code, e1->message, blank);
    }
    if (e1->code == ND_ERROR_UTF8) {
      g_autofree char *at = g_strdup_printf("offset %zd", bad);
      FUZZ_CHECK(strstr(e1->message, at) != NULL, "UTF-8 message '%s' lacks '%s'", e1->message, at);
    }
    FUZZ_CHECK(d2 == NULL && d3 == NULL && e2 != NULL && e3 != NULL && e2->code == e1->code && e3->code == e1->code &&
               strcmp(e2->message, e1->message) == 0 && strcmp(e3->message, e1->message) == 0,
               "second signing does not fail the same way");
    return 0;
  }
  FUZZ_CHECK(e1 == NULL && want == 0, "document for a text whose documented outcome is error %d", want);
  FUZZ_CHECK(d2 != NULL && d3 != NULL, "second signing failed: %s / %s", e2 ? e2->message : "-", e3 ? e3->message : "-");
  check_document(s1, d3, &p, text, len);
  check_same(d1, d2, &p, "fresh vs used signer");
  check_same(d1, d3, &p, "same signer twice");
  return 0;
}

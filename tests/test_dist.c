/* test_dist.c — the MPI engine's wire form and its merge on one rank (dist.h). Built only with
 * NEARDUP_MPI. These tests run without mpirun (MPI not started: rank 0 of 1); the exchange between
 * ranks is tested end to end by tests/cli/mpi_test.sh. */
#include <check.h>
#include <neardup/neardup.h>
#include <neardup/dist.h>
#include <stdlib.h>
#include <string.h>
#include "test_util.h"
#include "mpi/keys.h" /* private: the ranks' store of search keys */

static NdSignParams
full_params(void)
{
  NdSignParams p;
  nd_sign_params_init(&p);
  p.keep_text = TRUE;
  p.lsh_bands = 16;
  p.lsh_rows = 8;
  return p;
}

static void
assert_u32_eq(const guint32 *a, const guint32 *b, gsize n, const char *what)
{
  ck_assert_msg((a == NULL) == (b == NULL), "%s: NULL on one side only", what);
  if (a != NULL && n > 0)
    ck_assert_msg(memcmp(a, b, n * sizeof(guint32)) == 0, "%s differs", what);
}

static void
assert_same_document(const NdDocument *a, const NdDocument *b, const NdSignParams *p)
{
  ck_assert_str_eq(a->id, b->id);
  ck_assert_uint_eq(a->bytes, b->bytes);
  ck_assert_uint_eq(a->tokens, b->tokens);
  ck_assert_uint_eq(a->set_size, b->set_size);
  ck_assert_uint_eq(a->source_bytes, b->source_bytes);
  ck_assert_uint_eq(a->source_hash, b->source_hash);
  ck_assert_uint_eq(a->text_hash, b->text_hash);
  ck_assert_int_eq(a->dated_dateline, b->dated_dateline);
  assert_u32_eq(a->signature, b->signature, p->num_perm, "signature");
  assert_u32_eq(a->band_keys, b->band_keys, p->lsh_bands, "band keys");
  assert_u32_eq(a->set, b->set, a->set_size, "set");
  ck_assert_msg((a->text == NULL) == (b->text == NULL), "text: NULL on one side only");
  if (a->text != NULL) {
    ck_assert(memcmp(a->text, b->text, a->bytes) == 0);
    ck_assert_int_eq(b->text[b->bytes], '\0');
  }
  ck_assert_msg(g_strcmp0(a->meta, b->meta) == 0, "meta differs");
  ck_assert_msg(g_strcmp0(a->path, b->path) == 0, "path differs");
  ck_assert_uint_eq(a->n_fingerprints, b->n_fingerprints);
  assert_u32_eq(a->fingerprints, b->fingerprints, a->n_fingerprints, "fingerprints");
  ck_assert_uint_eq(a->n_anchors, b->n_anchors);
  assert_u32_eq(a->anchors, b->anchors, a->n_anchors, "anchors");
  ck_assert_uint_eq(a->n_words, b->n_words);
  assert_u32_eq(a->words, b->words, a->n_words, "words");
  ck_assert_uint_eq(a->n_lines, b->n_lines);
  assert_u32_eq(a->lines, b->lines, a->n_lines, "lines");
  ck_assert_uint_eq(a->n_line_anchors, b->n_line_anchors);
  assert_u32_eq(a->line_anchors, b->line_anchors, 2 * (gsize)a->n_line_anchors, "line anchors");
  ck_assert_uint_eq(a->n_quoted_anchors, b->n_quoted_anchors);
  assert_u32_eq(a->quoted_anchors, b->quoted_anchors, a->n_quoted_anchors, "quoted anchors");
  ck_assert_msg((a->map == NULL) == (b->map == NULL), "map: NULL on one side only");
  for (guint64 t = 0; a->map != NULL && t <= a->bytes; t++) {
    ck_assert_uint_eq(nd_offset_map_start(a->map, t), nd_offset_map_start(b->map, t));
    ck_assert_uint_eq(nd_offset_map_end(a->map, t), nd_offset_map_end(b->map, t));
  }
}

/* A page (so the document has an offset map and metadata) with a dated dateline, a quotation and
 * short lines. */
static NdDocument *
sign_page(const NdSignParams *p, const char *dir)
{
  g_autofree char *body = gen_article(4242, 300);
  g_autofree char *page = g_strdup_printf(
    "<!DOCTYPE html><html><head><title>Harbour &amp; gates</title></head><body><article>"
    "<h1>Harbour gates</h1><p>PORTMOUTH, March 3 (Coast Wire) - %s</p><p>\"We will build the new harbour gates before the first storms of the coming winter reach the old town,\" the mayor said.</p>"
    "<p>Subscribe now</p></article></body></html>\n", body);
  g_autofree char *path = write_test_file(dir, "page.html", page, -1);
  g_autoptr(GError) error = NULL;
  NdDocument *doc = nd_read_document(path, p, 0, NULL, NULL, &error);
  ck_assert_msg(doc != NULL, "%s", error ? error->message : "");
  return doc;
}

START_TEST(test_round_trip)
{
  g_autofree char *dir = g_dir_make_tmp("neardup-test-dist-XXXXXX", NULL);
  ck_assert_ptr_nonnull(dir);
  NdSignParams p = full_params();
  g_autoptr(NdDocument) page = sign_page(&p, dir);
  ck_assert_ptr_nonnull(page->map);
  ck_assert_ptr_nonnull(page->meta);
  ck_assert_ptr_nonnull(page->band_keys);
  ck_assert_ptr_nonnull(page->quoted_anchors);
  ck_assert(page->dated_dateline); /* a flag travels too */
  /* and a document without text, map, path or metadata: the NULLs travel too */
  NdSignParams lean = p;
  lean.keep_text = FALSE;
  lean.keep_sets = FALSE;
  lean.keep_words = FALSE;
  g_autoptr(NdSigner) signer = nd_signer_new(&lean);
  g_autofree char *text = gen_article(99, 120);
  g_autoptr(GError) error = NULL;
  g_autoptr(NdDocument) plain = nd_signer_sign(signer, "plain-1", text, strlen(text), &error);
  ck_assert_ptr_nonnull(plain);

  g_autoptr(GByteArray) buf = g_byte_array_new();
  nd_dist_encode_document(buf, &p, 7, "site/page.html", page);
  nd_dist_encode_document(buf, &lean, 12, "feed.jsonl:3", plain);
  gsize pos = 0;
  guint64 item = 0;
  g_autofree char *name1 = NULL, *name2 = NULL;
  g_autoptr(NdDocument) back1 = nd_dist_decode_document(&p, buf->data, buf->len, &pos, &item, &name1, &error);
  ck_assert_msg(back1 != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq(item, 7);
  ck_assert_str_eq(name1, "site/page.html");
  assert_same_document(page, back1, &p);
  g_autoptr(NdDocument) back2 = nd_dist_decode_document(&lean, buf->data, buf->len, &pos, &item, &name2, &error);
  ck_assert_msg(back2 != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq(item, 12);
  ck_assert_str_eq(name2, "feed.jsonl:3");
  assert_same_document(plain, back2, &lean);
  ck_assert_uint_eq(pos, buf->len);
  remove_tree(dir);
}
END_TEST

/* Every truncation and every flipped length word is refused with ND_ERROR_FORMAT, never read past
 * the buffer (ASan and valgrind watch), and never half-returned. */
START_TEST(test_malformed_records)
{
  g_autofree char *dir = g_dir_make_tmp("neardup-test-dist-XXXXXX", NULL);
  NdSignParams p = full_params();
  g_autoptr(NdDocument) page = sign_page(&p, dir);
  g_autoptr(GByteArray) buf = g_byte_array_new();
  nd_dist_encode_document(buf, &p, 1, "page", page);
  for (gsize len = 0; len < buf->len; len++) {
    guint8 *copy = g_memdup2(buf->data, len ? len : 1);
    gsize pos = 0;
    guint64 item;
    char *name = NULL;
    g_autoptr(GError) error = NULL;
    NdDocument *doc = nd_dist_decode_document(&p, copy, len, &pos, &item, &name, &error);
    ck_assert_msg(doc == NULL, "a record cut to %zu of %u bytes decoded", len, buf->len);
    ck_assert(g_error_matches(error, ND_ERROR, ND_ERROR_FORMAT));
    ck_assert_ptr_null(name);
    ck_assert_uint_eq(pos, 0);
    g_free(copy);
  }
  /* Each 8-byte word made huge in turn: a length that lies is caught. */
  guint refused = 0;
  for (gsize off = 0; off + 8 <= buf->len; off += 8) {
    g_autoptr(GByteArray) bad = g_byte_array_new();
    g_byte_array_append(bad, buf->data, buf->len);
    guint64 huge = G_GUINT64_CONSTANT(1) << 40;
    memcpy(bad->data + off, &huge, sizeof huge);
    gsize pos = 0;
    guint64 item;
    g_autofree char *name = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(NdDocument) doc = nd_dist_decode_document(&p, bad->data, bad->len, &pos, &item, &name, &error);
    refused += doc == NULL;
  }
  ck_assert_uint_gt(refused, 10);
  /* The text's length word (the first count, after the record length, the item, the name and the
   * id) made G_MAXUINT64 while the text stays: refused, never a document whose `bytes` runs past its
   * text (fuzz_dist found the decoder once took that value for "any length"). */
  {
    ck_assert_ptr_nonnull(page->text);
    g_autoptr(GByteArray) bad = g_byte_array_new();
    g_byte_array_append(bad, buf->data, buf->len);
    gsize at = 8 + 8 + (8 + strlen("page")) + (8 + strlen(page->id));
    guint64 bytes, all_ones = G_MAXUINT64;
    memcpy(&bytes, bad->data + at, sizeof bytes);
    ck_assert_uint_eq(bytes, page->bytes);
    memcpy(bad->data + at, &all_ones, sizeof all_ones);
    gsize pos = 0;
    guint64 item;
    g_autofree char *name = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(NdDocument) doc = nd_dist_decode_document(&p, bad->data, bad->len, &pos, &item, &name, &error);
    ck_assert_msg(doc == NULL, "a text of %" G_GUINT64_FORMAT " bytes decoded as %" G_GUINT64_FORMAT, page->bytes,
                  doc->bytes);
    ck_assert(g_error_matches(error, ND_ERROR, ND_ERROR_FORMAT));
    ck_assert_uint_eq(pos, 0);
  }
  /* The last offset-map span (the record's last 16 bytes) made to run past 2^32 text bytes: refused,
   * never a map whose 32-bit ends wrap around. */
  {
    ck_assert_uint_gt(nd_offset_map_spans(page->map), 0);
    g_autoptr(GByteArray) bad = g_byte_array_new();
    g_byte_array_append(bad, buf->data, buf->len);
    guint32 last[4], huge = G_MAXUINT32;
    memcpy(last, bad->data + bad->len - sizeof last, sizeof last);
    guint32 text, text_len, source, source_len;
    nd_offset_map_span(page->map, nd_offset_map_spans(page->map) - 1, &text, &text_len, &source, &source_len);
    ck_assert_uint_eq(last[0], text);
    ck_assert_uint_eq(last[1], text_len);
    memcpy(bad->data + bad->len - sizeof last + sizeof(guint32), &huge, sizeof huge);
    gsize pos = 0;
    guint64 item;
    g_autofree char *name = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(NdDocument) doc = nd_dist_decode_document(&p, bad->data, bad->len, &pos, &item, &name, &error);
    ck_assert_msg(doc == NULL, "a span of text %u + %u decoded", text, huge);
    ck_assert(g_error_matches(error, ND_ERROR, ND_ERROR_FORMAT));
  }
  /* Other parameters (another signature length) do not decode the record. */
  NdSignParams other = p;
  other.num_perm = 64;
  gsize pos = 0;
  guint64 item;
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;
  ck_assert_ptr_null(nd_dist_decode_document(&other, buf->data, buf->len, &pos, &item, &name, &error));
  remove_tree(dir);
}
END_TEST

static void
on_refused(const char *input, const GError *error, gpointer data)
{
  GPtrArray *log = data;
  ck_assert(g_error_matches(error, ND_ERROR, ND_ERROR_DUPLICATE_ID));
  g_ptr_array_add(log, g_strdup(input));
}

/* Without mpirun (one rank) the gather merges the rank's own share: documents in order, a repeated
 * id refused and reported with its input name, as the loader does. */
START_TEST(test_gather_one_rank)
{
  ck_assert_uint_eq(nd_dist_rank(), 0);
  ck_assert_uint_eq(nd_dist_size(), 1);
  ck_assert_uint_eq(nd_dist_sum(5), 5);
  NdSignParams p;
  nd_sign_params_init(&p);
  g_autoptr(NdSigner) signer = nd_signer_new(&p);
  g_autoptr(NdDistShare) share = nd_dist_share_new(&p);
  const char *ids[] = { "a", "b", "a", "c" };
  for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
    g_autofree char *text = gen_article(500 + i, 80);
    g_autoptr(GError) error = NULL;
    g_autoptr(NdDocument) doc = nd_signer_sign(signer, ids[i], text, strlen(text), &error);
    g_autofree char *name = g_strdup_printf("feed.jsonl:%u", i + 1);
    nd_dist_share_add(share, 10 * i, name, doc);
  }
  guint64 documents = 0;
  guint64 bytes = nd_dist_share_bytes(share, &documents);
  ck_assert_uint_eq(documents, 4);
  g_autoptr(NdCollection) coll = nd_collection_new(&p);
  g_autoptr(GPtrArray) refused = g_ptr_array_new_with_free_func(g_free);
  guint rejected = 99;
  NdDistStats st;
  g_autoptr(GError) error = NULL;
  ck_assert(nd_dist_gather(share, coll, on_refused, refused, &rejected, &st, &error));
  ck_assert_uint_eq(nd_dist_share_bytes(share, NULL), bytes); /* what was encoded, not what is left */
  ck_assert_uint_eq(rejected, 1);
  ck_assert_uint_eq(refused->len, 1);
  ck_assert_str_eq(g_ptr_array_index(refused, 0), "feed.jsonl:3");
  ck_assert_uint_eq(nd_collection_size(coll), 3);
  ck_assert_str_eq(nd_collection_get(coll, 0)->id, "a");
  ck_assert_str_eq(nd_collection_get(coll, 1)->id, "b");
  ck_assert_str_eq(nd_collection_get(coll, 2)->id, "c");
  ck_assert_uint_eq(st.documents, 4);
  ck_assert_uint_eq(st.bytes_encoded, bytes);
  ck_assert_uint_gt(st.bytes_encoded, 4 * 128 * sizeof(guint32));
  ck_assert_uint_eq(st.bytes_received, 0);
}
END_TEST

/* Lean sends (dist.h: nd_dist_share_set_lean_after) give rank 0 the collection one process builds,
 * field for field, whatever the limit: below the documents, at them, above, and where repeated ids
 * (which the collection refuses) bring the distinct ids down to the limit although more documents
 * were signed. The share goes lean exactly when the collection does, and then sends fewer bytes. */
START_TEST(test_lean_share)
{
  NdSignParams p;
  nd_sign_params_init(&p);
  p.lsh_bands = 16;
  p.lsh_rows = 8;
  g_autoptr(NdSigner) signer = nd_signer_new(&p);
  /* 30 documents, 20 distinct ids: d0..d19, then d0..d9 again (with other texts). */
  enum { N = 30, DISTINCT = 20 };
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < N; i++)
    g_ptr_array_add(texts, gen_article(900 + i, 200 + 7 * i));
  const guint limits[] = { 0, 1, 5, 19, 20, 21, 29, 30, 31 };
  guint64 whole_bytes = 0;
  for (gsize l = 0; l < G_N_ELEMENTS(limits); l++) {
    guint limit = limits[l];
    g_autoptr(NdCollection) want = nd_collection_new(&p);
    nd_collection_set_lean_after(want, limit);
    g_autoptr(NdDistShare) share = nd_dist_share_new(&p);
    nd_dist_share_set_lean_after(share, limit);
    gboolean lean_alone = FALSE;
    for (guint i = 0; i < N; i++) {
      g_autofree char *id = g_strdup_printf("d%u", i % DISTINCT);
      const char *text = g_ptr_array_index(texts, i);
      g_autoptr(GError) error = NULL;
      g_autoptr(NdDocument) doc = nd_signer_sign(signer, id, text, strlen(text), &error);
      ck_assert_ptr_nonnull(doc);
      g_autofree char *name = g_strdup_printf("feed.jsonl:%u", i + 1);
      nd_dist_share_add(share, i, name, doc); /* (which may make `doc` lean: the reference is signed anew) */
      lean_alone = lean_alone || nd_dist_share_is_lean(share);
      nd_collection_add(want, nd_signer_sign(signer, id, text, strlen(text), NULL), NULL); /* one process */
    }
    /* One rank knows while adding, when its own distinct ids pass the limit. */
    ck_assert_int_eq(lean_alone, limit > 0 && DISTINCT > limit);
    g_autoptr(NdCollection) got = nd_collection_new(&p);
    nd_collection_set_lean_after(got, limit);
    guint rejected = 0;
    NdDistStats st;
    g_autoptr(GError) error = NULL;
    ck_assert(nd_dist_gather(share, got, NULL, NULL, &rejected, &st, &error));
    ck_assert_uint_eq(rejected, N - DISTINCT);
    ck_assert_int_eq(nd_collection_is_lean(got), nd_collection_is_lean(want));
    ck_assert_int_eq(st.lean, nd_collection_is_lean(want));
    ck_assert_int_eq(st.lean_alone, lean_alone);
    ck_assert_uint_eq(nd_collection_size(got), DISTINCT);
    for (guint i = 0; i < DISTINCT; i++)
      assert_same_document(nd_collection_get(want, i), nd_collection_get(got, i), &p);
    if (limit == 0)
      whole_bytes = st.bytes_encoded;
    else if (st.lean)
      ck_assert_uint_lt(st.bytes_encoded * 2, whole_bytes); /* sets, words and signatures stayed home */
    else
      ck_assert_uint_eq(st.bytes_encoded, whole_bytes);
  }
}
END_TEST

/* A lean record is refused when cut anywhere, as a whole one is. */
START_TEST(test_lean_record_truncated)
{
  NdSignParams p = full_params();
  g_autofree char *dir = g_dir_make_tmp("neardup-test-dist-XXXXXX", NULL);
  g_autoptr(NdDocument) page = sign_page(&p, dir);
  nd_document_make_lean(page, &p);
  ck_assert_ptr_null(page->set);
  ck_assert_ptr_nonnull(page->fingerprints);
  g_autoptr(GByteArray) buf = g_byte_array_new();
  nd_dist_encode_document(buf, &p, 3, "page", page);
  for (gsize len = 0; len <= buf->len; len++) {
    guint8 *copy = g_memdup2(buf->data, len ? len : 1);
    gsize pos = 0;
    guint64 item;
    char *name = NULL;
    g_autoptr(GError) error = NULL;
    NdDocument *doc = nd_dist_decode_document(&p, copy, len, &pos, &item, &name, &error);
    if (len < buf->len) {
      ck_assert_msg(doc == NULL, "a lean record cut to %zu of %u bytes decoded", len, buf->len);
      ck_assert(g_error_matches(error, ND_ERROR, ND_ERROR_FORMAT));
      ck_assert_ptr_null(name);
    } else {
      ck_assert_msg(doc != NULL, "%s", error ? error->message : "");
      assert_same_document(page, doc, &p);
      nd_document_free(doc);
      g_free(name);
    }
    g_free(copy);
  }
  remove_tree(dir);
}
END_TEST

/* A copy of `text` with about one word in `every` replaced (the replacement is a word of its own). */
static char *
edited_copy(const char *text, guint every, guint64 seed)
{
  g_auto(GStrv) words = g_strsplit(text, " ", -1);
  GString *out = g_string_new(NULL);
  guint64 st = seed;
  for (guint i = 0; words[i] != NULL; i++) {
    if (i > 0)
      g_string_append_c(out, ' ');
    g_string_append(out, splitmix64(&st) % every == 0 ? "zorblat" : words[i]);
  }
  return g_string_free(out, FALSE);
}

/* The test corpus of the search: originals, edited copies (LSH), articles that quote a passage of
 * another (anchors), page chrome repeated over 14 articles (boilerplate lines), and one repeated id
 * (refused by the collection). */
static GPtrArray *
search_corpus(GPtrArray *ids)
{
  GPtrArray *texts = g_ptr_array_new_with_free_func(g_free);
  enum { ORIGINALS = 24 };
  for (guint i = 0; i < ORIGINALS; i++) {
    char *t = gen_article(7000 + i, 180 + 11 * i);
    if (i % 2 == 0) { /* chrome: short lines of their own, as a site's pages have */
      char *c = g_strdup_printf("Harbour Times\nSign up for our free morning newsletter and read the harbour news first\n%s\n"
                                "Read more stories from the coast and the islands on our pages\nShare this page\n", t);
      g_free(t);
      t = c;
    }
    g_ptr_array_add(texts, t);
    g_ptr_array_add(ids, g_strdup_printf("orig-%u", i));
  }
  for (guint i = 0; i < 10; i++) { /* copies, lightly edited */
    g_ptr_array_add(texts, edited_copy(g_ptr_array_index(texts, i), 12 + i, 31 + i));
    g_ptr_array_add(ids, g_strdup_printf("copy-%u", i));
  }
  for (guint i = 0; i < 12; i++) { /* copies so edited that few of their bands agree */
    g_ptr_array_add(texts, edited_copy(g_ptr_array_index(texts, 12 + i % 12), 3 + i % 4, 61 + i));
    g_ptr_array_add(ids, g_strdup_printf("rewrite-%u", i));
  }
  /* A sentence inside a long line of 51 articles: its anchors are in one more article than
   * ND_ANCHOR_RARE_DF, so they weigh less, too little together to make the articles candidates. */
  g_autofree char *common = gen_article(7777, 9);
  for (guint i = 0; i < 51; i++) {
    g_autofree char *before = gen_article(8100 + i, 60), *after = gen_article(8200 + i, 60);
    g_ptr_array_add(texts, g_strdup_printf("%s %s %s", before, common, after));
    g_ptr_array_add(ids, g_strdup_printf("notice-%u", i));
  }
  g_ptr_array_add(texts, gen_article(9999, 300)); /* refused: the id is taken */
  g_ptr_array_add(ids, g_strdup("orig-3"));
  return texts;
}

static void
assert_same_pairs(const GArray *want, const GArray *got)
{
  ck_assert_uint_eq(got->len, want->len);
  for (guint i = 0; i < want->len; i++) {
    const NdPair *a = &g_array_index(want, NdPair, i), *b = &g_array_index(got, NdPair, i);
    ck_assert_uint_eq(a->a, b->a);
    ck_assert_uint_eq(a->b, b->b);
    ck_assert_int_eq(a->kind, b->kind);
    ck_assert(a->shared == b->shared && a->jaccard == b->jaccard && a->containment_a_in_b == b->containment_a_in_b &&
              a->passage_b_in_a == b->passage_b_in_a && a->score == b->score);
  }
}

/* The candidate search over the ranks (nd_dist_find_pairs), on one rank without mpirun: the phases
 * (LSH band by band, boilerplate lines counted by owner, anchors by key range, weights added up by
 * pair owner; a lean run's verification from the keys the ranks keep) find what nd_find_pairs finds, pair for pair and count for count — with band keys,
 * with signatures (documents signed without band keys), lean, and with the anchors off; and rank 0
 * searches alone when the stored band keys are not the run's, or when asked to (NEARDUP_MPI_SEARCH:
 * on one machine, as here, the search runs over the ranks only when asked). The exchange between ranks is
 * tested end to end by tests/cli/mpi_test.sh. */
START_TEST(test_search_one_rank)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GPtrArray) texts = search_corpus(ids);
  enum { RUN_BANDS, NO_BANDS, OTHER_BANDS }; /* the band keys the documents are signed with */
  struct {
    int bands;
    guint lean_after;
    gboolean anchors;
    gboolean over_ranks;
  } cases[] = {
    { RUN_BANDS, 0, TRUE, TRUE },
    { NO_BANDS, 0, TRUE, TRUE },      /* band keys from the signatures */
    { RUN_BANDS, 20, TRUE, TRUE },    /* lean beyond 20 documents */
    { RUN_BANDS, 0, FALSE, TRUE },    /* LSH and rare words only */
    { OTHER_BANDS, 0, TRUE, FALSE },  /* stored band keys of other bands: rank 0 alone */
    { RUN_BANDS, 0, TRUE, FALSE },    /* NEARDUP_MPI_SEARCH=0: rank 0 alone */
  };
  for (gsize c = 0; c < G_N_ELEMENTS(cases); c++) {
    NdSignParams p;
    nd_sign_params_init(&p);
    NdFindOptions o;
    nd_find_options_init(&o);
    o.lsh_threshold = 0.5; /* as the tool sets it: b=32 r=4 at 128 permutations */
    o.anchors = cases[c].anchors;
    o.threads = 1;
    if (cases[c].lean_after > 0)
      o.verify = ND_VERIFY_SAMPLE;
    NdLshParams lsh;
    ck_assert(nd_lsh_params_for(o.lsh_threshold, p.num_perm, ND_LSH_FN_WEIGHT, &lsh, NULL));
    ck_assert(lsh.bands != 16);
    p.lsh_bands = cases[c].bands == RUN_BANDS ? lsh.bands : cases[c].bands == OTHER_BANDS ? 16 : 0;
    p.lsh_rows = cases[c].bands == RUN_BANDS ? lsh.rows : cases[c].bands == OTHER_BANDS ? 8 : 0;
    g_autoptr(NdSigner) signer = nd_signer_new(&p);
    g_autoptr(NdCollection) want = nd_collection_new(&p);
    nd_collection_set_lean_after(want, cases[c].lean_after);
    g_autoptr(NdDistShare) share = nd_dist_share_new(&p);
    nd_dist_share_set_lean_after(share, cases[c].lean_after);
    nd_dist_share_keep_search_keys(share);
    for (guint i = 0; i < texts->len; i++) {
      const char *id = g_ptr_array_index(ids, i), *text = g_ptr_array_index(texts, i);
      g_autoptr(NdDocument) doc = nd_signer_sign(signer, id, text, strlen(text), NULL);
      ck_assert_ptr_nonnull(doc);
      nd_dist_share_add(share, i, id, doc);
      nd_collection_add(want, nd_signer_sign(signer, id, text, strlen(text), NULL), NULL);
    }
    g_autoptr(NdCollection) got = nd_collection_new(&p);
    nd_collection_set_lean_after(got, cases[c].lean_after);
    guint rejected = 0;
    g_autoptr(GError) error = NULL;
    ck_assert(nd_dist_gather(share, got, NULL, NULL, &rejected, NULL, &error));
    ck_assert_uint_eq(rejected, 1);
    NdFindStats ws, gs;
    NdDistSearchStats ss;
    g_autoptr(GArray) wp = nd_find_pairs(want, &o, &ws, &error);
    ck_assert_msg(wp != NULL, "%s", error ? error->message : "");
    /* (one rank, one machine: over the ranks only when asked) */
    g_setenv("NEARDUP_MPI_SEARCH", !cases[c].over_ranks && cases[c].bands == RUN_BANDS ? "0" : "1", TRUE);
    g_autoptr(GArray) gp = nd_dist_find_pairs(share, got, &o, &gs, &ss, &error);
    g_unsetenv("NEARDUP_MPI_SEARCH");
    ck_assert_msg(gp != NULL, "case %zu: %s", c, error ? error->message : "");
    ck_assert_msg(ss.over_ranks == cases[c].over_ranks, "case %zu: over the ranks %d", c, ss.over_ranks);
    /* A lean run is verified where the documents are, from the keys the ranks keep. */
    ck_assert_int_eq(ss.verified_over_ranks, cases[c].over_ranks && cases[c].lean_after > 0);
    assert_same_pairs(wp, gp);
    ck_assert_uint_eq(gs.candidates_lsh, ws.candidates_lsh);
    ck_assert_uint_eq(gs.candidates_anchor, ws.candidates_anchor);
    ck_assert_uint_eq(gs.candidates_rare, ws.candidates_rare);
    ck_assert_uint_eq(gs.candidates, ws.candidates);
    ck_assert_uint_eq(gs.boilerplate_lines, ws.boilerplate_lines);
    ck_assert_uint_eq(gs.boilerplate_articles, ws.boilerplate_articles);
    /* The corpus exercises every rule it is meant to. */
    ck_assert_uint_ge(ws.candidates_lsh, 10);
    ck_assert_uint_ge(ws.boilerplate_lines, 4);
    ck_assert_uint_ge(ws.boilerplate_articles, 12 + 5); /* the even originals and their copies */
    if (cases[c].anchors)
      ck_assert_uint_gt(ws.candidates_anchor, ws.candidates_lsh);
    ck_assert_uint_ge(wp->len, 14); /* of the 18 planted */
  }
}
END_TEST

/* The values of a document in the store of search keys, as one rank sends them to another, parse
 * back to the same fields; cut anywhere, or with any count changed, they are refused. */
START_TEST(test_keys_parse_hostile)
{
  NdSignParams p;
  nd_sign_params_init(&p);
  p.lsh_bands = 16;
  p.lsh_rows = 8;
  g_autoptr(NdSigner) signer = nd_signer_new(&p);
  g_autofree char *text = gen_article(4242, 300);
  g_autofree char *with_lines = g_strdup_printf("Harbour Times\nShare this page now\n\"%s\"\nRead more\n", text);
  g_autoptr(NdDocument) doc = nd_signer_sign(signer, "k", with_lines, strlen(with_lines), NULL);
  ck_assert_ptr_nonnull(doc);
  NdDistKeys *keys = nd_dist_keys_new(&p);
  nd_dist_keys_add(keys, doc);
  ck_assert_uint_eq(nd_dist_keys_size(keys), 1);
  ck_assert_int_eq(keys->band_source, ND_DIST_KEYS_BAND_KEYS);
  gsize n;
  const guint32 *v = nd_dist_keys_values(keys, 0, &n);
  NdDistDocKeys k;
  ck_assert(nd_dist_keys_parse(keys, v, n, &k));
  ck_assert_uint_eq(k.n_anchors, doc->n_anchors);
  ck_assert(memcmp(k.anchors, doc->anchors, doc->n_anchors * sizeof(guint32)) == 0);
  ck_assert(memcmp(k.band, doc->band_keys, p.lsh_bands * sizeof(guint32)) == 0);
  ck_assert_uint_eq(k.n_lines, doc->n_lines);
  ck_assert_uint_gt(k.n_lines, 0);
  ck_assert_uint_eq(k.n_line_anchors, doc->n_line_anchors);
  ck_assert_uint_eq(k.n_quoted_anchors, doc->n_quoted_anchors);
  ck_assert_uint_gt(k.n_quoted_anchors, 0);
  ck_assert_uint_eq(k.set_size, doc->set_size);
  guint32 n_lean;
  g_autofree guint32 *lean = nd_document_lean_fingerprints(doc, &p, &n_lean);
  ck_assert_uint_eq(k.n_fingerprints, n_lean);
  ck_assert_uint_gt(n_lean, 0);
  ck_assert(memcmp(k.fingerprints, lean, n_lean * sizeof(guint32)) == 0);
  for (gsize cut = 0; cut < n; cut++)
    ck_assert_msg(!nd_dist_keys_parse(keys, v, cut, &k), "cut at %zu of %zu values: accepted", cut, n);
  g_autofree guint32 *copy = g_memdup2(v, n * sizeof(guint32));
  for (guint c = 0; c < ND_DIST_KEYS_HEAD; c++) {
    if (c == 3) /* the shingle count is a value, not the length of a part */
      continue;
    const guint32 deltas[] = { 1, G_MAXUINT32, G_MAXUINT32 / 2 };
    for (gsize d = 0; d < G_N_ELEMENTS(deltas); d++) {
      memcpy(copy, v, n * sizeof(guint32));
      copy[c] += deltas[d];
      ck_assert_msg(!nd_dist_keys_parse(keys, copy, n, &k), "count %u changed by %u: accepted", c, deltas[d]);
    }
  }
  nd_dist_keys_free(keys);
}
END_TEST

static Suite *
dist_suite(void)
{
  Suite *s = suite_create("dist");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_round_trip);
  tcase_add_test(tc, test_malformed_records);
  tcase_add_test(tc, test_gather_one_rank);
  tcase_add_test(tc, test_lean_share);
  tcase_add_test(tc, test_lean_record_truncated);
  tcase_add_test(tc, test_search_one_rank);
  tcase_add_test(tc, test_keys_parse_hostile);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(dist_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

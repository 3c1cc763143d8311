/* test_collection.c — signing articles and the collection that holds them (collection.h). */
#include <check.h>
#include <neardup/neardup.h>
#include <stdlib.h>
#include <string.h>
#include "test_util.h"

static NdSignParams
default_params(void)
{
  NdSignParams p;
  nd_sign_params_init(&p);
  return p;
}

/* Signs `len` bytes (len < 0: strlen) and expects failure with `code`; returns the message. */
static char *
sign_fails(NdSigner *s, const char *text, gssize len, NdErrorCode code)
{
  gsize n = len < 0 ? strlen(text) : (gsize)len;
  GError *error = NULL;
  NdDocument *doc = nd_signer_sign(s, "doc-UNIQUE-7731", text, n, &error);
  ck_assert_msg(doc == NULL, "signing succeeded, expected error %d", code);
  ck_assert_ptr_nonnull(error);
  ck_assert_msg(g_error_matches(error, ND_ERROR, (gint)code), "error %d (%s), expected %d", error->code,
                error->message, code);
  /* messages do not repeat the id: the caller prefixes the input's name */
  ck_assert_ptr_null(strstr(error->message, "doc-UNIQUE-7731"));
  char *msg = g_strdup(error->message);
  g_error_free(error);
  return msg;
}

static NdDocument *
sign_ok(NdSigner *s, const char *id, const char *text)
{
  GError *error = NULL;
  NdDocument *doc = nd_signer_sign(s, id, text, strlen(text), &error);
  ck_assert_msg(doc != NULL, "signing \"%s\" failed: %s", id, error ? error->message : "?");
  return doc;
}

/* Distinct 64-bit shingle hashes of `text`, counted independently of the signer. */
static guint
count_distinct_shingles(const char *text, const NdSignParams *p)
{
  g_autoptr(GArray) t = g_array_new(FALSE, FALSE, sizeof(NdToken));
  ck_assert(nd_tokenize(text, strlen(text), p->shingle.mode, p->text_flags, t, NULL));
  g_autoptr(GArray) h = g_array_new(FALSE, FALSE, sizeof(guint64));
  nd_shingle_hashes((const NdToken *)t->data, t->len, p->shingle.k, p->seed, h);
  g_autoptr(GHashTable) seen = g_hash_table_new(g_int64_hash, g_int64_equal);
  for (guint i = 0; i < h->len; i++)
    g_hash_table_add(seen, &g_array_index(h, guint64, i));
  return g_hash_table_size(seen);
}

START_TEST(test_params_defaults_and_validate)
{
  NdSignParams p = default_params();
  ck_assert_int_eq(p.shingle.mode, ND_TOKENS_WORDS);
  ck_assert_uint_eq(p.shingle.k, 3);
  ck_assert_uint_eq(p.num_perm, 128);
  ck_assert_uint_eq(p.seed, 1);
  ck_assert_uint_eq(p.max_bytes, (gsize)64 << 20);
  ck_assert(p.keep_sets);
  ck_assert_int_eq(p.text_flags, ND_TEXT_DEFAULT);
  ck_assert(nd_sign_params_validate(&p, NULL));

  NdSignParams bad[6];
  for (int i = 0; i < 6; i++)
    bad[i] = p;
  bad[0].shingle.k = 0;
  bad[1].shingle.k = ND_SHINGLE_K_MAX + 1;
  bad[2].num_perm = ND_MINHASH_MIN_PERM - 1;
  bad[3].num_perm = ND_MINHASH_MAX_PERM + 1;
  bad[4].max_bytes = 0;
  bad[5].num_perm = 0;
  /* the message names the parameter (by field name or in words) */
  const char *names[6] = { "shingle", "shingle", "perm", "perm", "max", "perm" };
  for (int i = 0; i < 6; i++) {
    GError *error = NULL;
    ck_assert_msg(!nd_sign_params_validate(&bad[i], &error), "bad params %d accepted", i);
    ck_assert(g_error_matches(error, ND_ERROR, ND_ERROR_INVALID_ARG));
    g_autofree char *lower = g_ascii_strdown(error->message, -1);
    ck_assert_msg(strstr(lower, names[i]) != NULL, "message \"%s\" does not name the parameter", error->message);
    g_error_free(error);
  }
#if GLIB_SIZEOF_SIZE_T > 4
  NdSignParams big = p;
  big.max_bytes = ND_TEXT_MAX_BYTES + 1;
  ck_assert(!nd_sign_params_validate(&big, NULL));
#endif
  NdSignParams edge = p;
  edge.shingle.k = ND_SHINGLE_K_MAX;
  edge.num_perm = ND_MINHASH_MAX_PERM;
  edge.max_bytes = 1;
  ck_assert(nd_sign_params_validate(&edge, NULL));
  edge.shingle.k = 1;
  edge.num_perm = ND_MINHASH_MIN_PERM;
  ck_assert(nd_sign_params_validate(&edge, NULL));
}
END_TEST

START_TEST(test_sign_errors)
{
  NdSignParams p = default_params();
  g_autoptr(NdSigner) s = nd_signer_new(&p);
  g_free(sign_fails(s, "", 0, ND_ERROR_EMPTY));
  g_free(sign_fails(s, "   \n\t \r\n  ", -1, ND_ERROR_EMPTY));
  g_free(sign_fails(s, "!!! ... --- ??? \xE2\x80\x94 \xE2\x80\x9C\xE2\x80\x9D", -1, ND_ERROR_NO_TOKENS));
  g_free(sign_fails(s, "\xC2\xA9 $ % & * + = < >", -1, ND_ERROR_NO_TOKENS));
  g_free(sign_fails(s, "---", -1, ND_ERROR_NO_TOKENS));
  g_free(sign_fails(s, "  \n -- \n\t", -1, ND_ERROR_NO_TOKENS));
  g_free(sign_fails(s, "\n\n.\n\n", -1, ND_ERROR_NO_TOKENS));
  g_autofree char *nul = sign_fails(s, "some words\0more words", 21, ND_ERROR_BINARY);
  ck_assert_msg(strstr(nul, "offset 10") != NULL, "\"%s\" lacks the NUL's offset", nul);
  g_autofree char *utf = sign_fails(s, "valid words then \xFF bad", -1, ND_ERROR_UTF8);
  ck_assert_msg(strstr(utf, "byte offset 17") != NULL, "\"%s\" lacks the offset", utf);
  /* the signer is still usable after errors */
  g_autoptr(NdDocument) ok = sign_ok(s, "fine", "a perfectly good sentence");
  ck_assert_uint_eq(ok->tokens, 4);
}
END_TEST

START_TEST(test_too_large_and_lossy)
{
  NdSignParams p = default_params();
  p.max_bytes = 16;
  g_autoptr(NdSigner) s = nd_signer_new(&p);
  g_free(sign_fails(s, "seventeen bytes!!", -1, ND_ERROR_TOO_LARGE));
  g_autoptr(NdDocument) at_limit = sign_ok(s, "limit", "sixteen bytes ok");
  ck_assert_uint_eq(at_limit->bytes, 16);

  NdSignParams lp = default_params();
  lp.text_flags = ND_TEXT_LOSSY;
  g_autoptr(NdSigner) lossy = nd_signer_new(&lp);
  const char text[] = "valid words then \xFF bad";
  g_autoptr(NdDocument) d = nd_signer_sign(lossy, "l", text, sizeof text - 1, NULL);
  ck_assert_ptr_nonnull(d);
  ck_assert_uint_eq(d->tokens, 4);
  ck_assert_uint_eq(d->bytes, sizeof text - 1);
  /* only invalid bytes: text, but nothing to compare */
  g_free(sign_fails(lossy, "\xFF\xFE\xFD", -1, ND_ERROR_NO_TOKENS));
}
END_TEST

/* "the cat sat on the mat the cat sat": 9 tokens, 7 windows, "the cat sat" twice -> 6 distinct. */
START_TEST(test_set_size_by_hand)
{
  const char *text = "The cat sat on the mat; the cat sat.";
  NdSignParams p = default_params();
  g_autoptr(NdSigner) s = nd_signer_new(&p);
  g_autoptr(NdDocument) d = sign_ok(s, "cat", text);
  ck_assert_str_eq(d->id, "cat");
  ck_assert_uint_eq(d->bytes, strlen(text));
  ck_assert_uint_eq(d->tokens, 9);
  ck_assert_uint_eq(d->set_size, 6);
  ck_assert_ptr_nonnull(d->set);
  ck_assert_ptr_nonnull(d->signature);
  for (guint i = 1; i < d->set_size; i++)
    ck_assert_uint_lt(d->set[i - 1], d->set[i]);

  /* last tokens: offsets into the original */
  gsize nt = 0;
  const NdToken *t = nd_signer_last_tokens(s, &nt);
  ck_assert_uint_eq(nt, 9);
  ck_assert_uint_eq(t[5].start, 19);
  ck_assert_uint_eq(t[5].end, 22); /* "mat" */

  /* words:2 on the same text: the cat / cat sat / sat on / on the / the mat / mat the -> 6 distinct */
  NdSignParams p2 = default_params();
  p2.shingle.k = 2;
  g_autoptr(NdSigner) s2 = nd_signer_new(&p2);
  g_autoptr(NdDocument) d2 = sign_ok(s2, "cat2", text);
  ck_assert_uint_eq(d2->set_size, 6);
  /* words:1: the cat sat on mat -> 5 */
  NdSignParams p1 = default_params();
  p1.shingle.k = 1;
  g_autoptr(NdSigner) s1 = nd_signer_new(&p1);
  g_autoptr(NdDocument) d1 = sign_ok(s1, "cat1", text);
  ck_assert_uint_eq(d1->set_size, 5);

  /* fewer tokens than k: one shingle */
  g_autoptr(NdDocument) tiny = sign_ok(s, "tiny", "Hello world");
  ck_assert_uint_eq(tiny->tokens, 2);
  ck_assert_uint_eq(tiny->set_size, 1);

  /* chars:2 on 中华人民共和国: 7 characters, 6 distinct bigrams */
  NdSignParams pc = default_params();
  pc.shingle = (NdShingleSpec){ ND_TOKENS_CHARS, 2 };
  g_autoptr(NdSigner) sc = nd_signer_new(&pc);
  g_autoptr(NdDocument) dc = sign_ok(sc, "zh", "\xE4\xB8\xAD\xE5\x8D\x8E\xE4\xBA\xBA\xE6\xB0\x91\xE5\x85\xB1"
                                              "\xE5\x92\x8C\xE5\x9B\xBD");
  ck_assert_uint_eq(dc->tokens, 7);
  ck_assert_uint_eq(dc->set_size, 6);
}
END_TEST

/* A realistic article: set_size equals the number of distinct shingles, the set is sorted and
 * distinct, and the signature is the MinHash of the shingle hashes. */
START_TEST(test_sign_article)
{
  NdSignParams p = default_params();
  p.num_perm = 200;
  p.seed = 17;
  g_autoptr(NdSigner) s = nd_signer_new(&p);
  g_autofree char *text = gen_article(7, 3000);
  /* repeat a paragraph to create duplicate shingles */
  g_autofree char *doubled = g_strconcat(text, "\n\n", text, NULL);
  g_autoptr(NdDocument) d = sign_ok(s, "long", doubled);
  ck_assert_uint_eq(d->tokens, 6000);
  guint distinct = count_distinct_shingles(doubled, &p);
  ck_assert_uint_gt(distinct, 2990);
  /* 32-bit keys can in principle collide; among ~3000 shingles that is very unlikely */
  ck_assert_uint_le(d->set_size, distinct);
  ck_assert_uint_ge(d->set_size, distinct - 2);
  for (guint i = 1; i < d->set_size; i++)
    ck_assert_uint_lt(d->set[i - 1], d->set[i]);

  g_autoptr(GArray) t = g_array_new(FALSE, FALSE, sizeof(NdToken));
  ck_assert(nd_tokenize(doubled, strlen(doubled), ND_TOKENS_WORDS, ND_TEXT_DEFAULT, t, NULL));
  g_autoptr(GArray) h = g_array_new(FALSE, FALSE, sizeof(guint64));
  nd_shingle_hashes((const NdToken *)t->data, t->len, 3, 17, h);
  guint32 sig[200];
  nd_minhash_sign((const guint64 *)h->data, h->len, 200, 17, sig);
  ck_assert_mem_eq(sig, d->signature, sizeof sig);

  /* the doubled text has (almost exactly) the shingles of the single text, plus the seam */
  g_autoptr(NdDocument) single = sign_ok(s, "single", text);
  ck_assert_uint_eq(single->set_size + 2, d->set_size);
  ck_assert_double_ge(nd_minhash_jaccard(single->signature, d->signature, 200), 0.95);
}
END_TEST

START_TEST(test_keep_sets_false)
{
  const char *text = "The cat sat on the mat; the cat sat.";
  NdSignParams p = default_params();
  p.keep_sets = FALSE;
  g_autoptr(NdSigner) s = nd_signer_new(&p);
  g_autoptr(NdDocument) d = sign_ok(s, "cat", text);
  ck_assert_ptr_null(d->set);
  ck_assert_uint_eq(d->set_size, 6);
  ck_assert_uint_eq(d->tokens, 9);
  /* the signature does not depend on keep_sets */
  NdSignParams pk = default_params();
  g_autoptr(NdSigner) sk = nd_signer_new(&pk);
  g_autoptr(NdDocument) dk = sign_ok(sk, "cat", text);
  ck_assert_mem_eq(d->signature, dk->signature, 128 * sizeof(guint32));
}
END_TEST

START_TEST(test_id_copied)
{
  NdSignParams p = default_params();
  g_autoptr(NdSigner) s = nd_signer_new(&p);
  char id[] = "original-id";
  g_autoptr(NdDocument) d = sign_ok(s, id, "some words to sign");
  id[0] = 'X';
  ck_assert_str_eq(d->id, "original-id");
}
END_TEST

START_TEST(test_collection_basic)
{
  NdSignParams p = default_params();
  p.num_perm = 64;
  g_autoptr(NdCollection) c = nd_collection_new(&p);
  p.num_perm = 999; /* the collection copied the params */
  ck_assert_uint_eq(nd_collection_params(c)->num_perm, 64);
  ck_assert_uint_eq(nd_collection_size(c), 0);

  NdSignParams sp = *nd_collection_params(c);
  g_autoptr(NdSigner) s = nd_signer_new(&sp);
  const char *ids[] = { "zeta", "alpha", "mid" };
  for (int i = 0; i < 3; i++) {
    g_autofree char *text = gen_article(100 + i, 50 + i);
    GError *error = NULL;
    ck_assert(nd_collection_add(c, sign_ok(s, ids[i], text), &error));
    ck_assert_ptr_null(error);
  }
  ck_assert_uint_eq(nd_collection_size(c), 3);
  /* insertion order, not sorted */
  for (guint i = 0; i < 3; i++) {
    ck_assert_str_eq(nd_collection_get(c, i)->id, ids[i]);
    ck_assert_uint_eq(nd_collection_get(c, i)->tokens, 50 + i);
  }
}
END_TEST

START_TEST(test_duplicate_id)
{
  NdSignParams p = default_params();
  g_autoptr(NdCollection) c = nd_collection_new(&p);
  g_autoptr(NdSigner) s = nd_signer_new(&p);
  ck_assert(nd_collection_add(c, sign_ok(s, "same", "the first article text"), NULL));
  ck_assert(nd_collection_add(c, sign_ok(s, "other", "an unrelated second text"), NULL));

  GError *error = NULL;
  ck_assert(!nd_collection_add(c, sign_ok(s, "same", "a later article with the same id"), &error));
  ck_assert(g_error_matches(error, ND_ERROR, ND_ERROR_DUPLICATE_ID));
  ck_assert_ptr_nonnull(strstr(error->message, "same"));
  g_clear_error(&error);
  ck_assert_uint_eq(nd_collection_size(c), 2);
  ck_assert_uint_eq(nd_collection_get(c, 0)->tokens, 4); /* the first one is kept */

  /* a third article with the same id is still refused */
  ck_assert(!nd_collection_add(c, sign_ok(s, "same", "yet another copy of that id"), &error));
  ck_assert(g_error_matches(error, ND_ERROR, ND_ERROR_DUPLICATE_ID));
  g_clear_error(&error);
  ck_assert_uint_eq(nd_collection_size(c), 2);
  ck_assert_str_eq(nd_collection_get(c, 0)->id, "same");

  /* ids are compared as strings, not pointers */
  g_autofree char *built = g_strdup_printf("%s%s", "oth", "er");
  ck_assert(!nd_collection_add(c, sign_ok(s, built, "text"), &error));
  ck_assert(g_error_matches(error, ND_ERROR, ND_ERROR_DUPLICATE_ID));
  g_clear_error(&error);
  ck_assert(nd_collection_add(c, sign_ok(s, "same2", "text"), NULL));
  ck_assert_uint_eq(nd_collection_size(c), 3);
}
END_TEST


/* nd_document_make_lean leaves what the collection leaves once lean, field for field, whether the
 * document is made lean before it is added or by the collection (before or after the switch), and
 * a second call changes nothing: what MPI ranks rely on when they send documents lean (dist.h). */
START_TEST(test_make_lean)
{
  NdSignParams p = default_params();
  p.lsh_bands = 16;
  p.lsh_rows = 8;
  g_autoptr(NdCollection) c = nd_collection_new(&p);
  nd_collection_set_lean_after(c, 2);
  ck_assert_uint_eq(nd_collection_lean_after(c), 2);
  g_autoptr(NdSigner) s = nd_signer_new(&p);
  g_autoptr(GPtrArray) mine = g_ptr_array_new_with_free_func((GDestroyNotify)nd_document_free);
  for (guint i = 0; i < 5; i++) {
    g_autofree char *text = gen_article(700 + i, 400);
    g_autofree char *id = g_strdup_printf("d%u", i);
    ck_assert(nd_collection_add(c, sign_ok(s, id, text), NULL));
    NdDocument *doc = sign_ok(s, id, text);
    ck_assert_ptr_nonnull(doc->set);
    nd_document_make_lean(doc, &p);
    g_ptr_array_add(mine, doc);
  }
  ck_assert(nd_collection_is_lean(c));
  for (guint i = 0; i < 5; i++) {
    const NdDocument *a = nd_collection_get(c, i);
    NdDocument *b = g_ptr_array_index(mine, i);
    for (int round = 0; round < 2; round++) { /* made lean once, then again */
      ck_assert_ptr_null(b->set);
      ck_assert_ptr_null(b->words);
      ck_assert_ptr_null(b->signature); /* the band keys stay, which LSH reads */
      ck_assert_uint_eq(b->n_words, a->n_words);
      ck_assert_uint_eq(b->set_size, a->set_size);
      ck_assert_uint_gt(b->n_fingerprints, 0);
      ck_assert_uint_eq(b->n_fingerprints, a->n_fingerprints);
      ck_assert_mem_eq(b->fingerprints, a->fingerprints, a->n_fingerprints * sizeof(guint32));
      for (guint32 k = 0; k < b->n_fingerprints; k++)
        ck_assert_uint_eq(b->fingerprints[k] % nd_collection_fingerprint_sampling(c), 0);
      ck_assert_mem_eq(b->band_keys, a->band_keys, p.lsh_bands * sizeof(guint32));
      ck_assert_uint_eq(b->n_anchors, a->n_anchors);
      ck_assert_mem_eq(b->anchors, a->anchors, a->n_anchors * sizeof(guint32));
      nd_document_make_lean(b, &p);
    }
  }
  /* A document lean before it is added to a collection not yet lean stays as it is. */
  g_autoptr(NdCollection) c2 = nd_collection_new(&p);
  nd_collection_set_lean_after(c2, 1);
  NdDocument *first = g_ptr_array_steal_index(mine, 0);
  guint32 n_fp = first->n_fingerprints;
  ck_assert(nd_collection_add(c2, first, NULL));
  ck_assert(!nd_collection_is_lean(c2));
  ck_assert_uint_eq(nd_collection_get(c2, 0)->n_fingerprints, n_fp);
  ck_assert(nd_collection_add(c2, g_ptr_array_steal_index(mine, 0), NULL));
  ck_assert(nd_collection_is_lean(c2));
  ck_assert_uint_eq(nd_collection_get(c2, 0)->n_fingerprints, n_fp);
  ck_assert_mem_eq(nd_collection_get(c2, 0)->fingerprints, nd_collection_get(c, 0)->fingerprints, n_fp * sizeof(guint32));
}
END_TEST


/* Random words joined by single spaces (one line). */
static char *
words_line(guint64 seed, guint n)
{
  guint64 st = seed;
  g_autoptr(GPtrArray) w = g_ptr_array_new_with_free_func(g_free);
  gen_words(&st, n, w);
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf(s, "%s%s", i ? " " : "", (const char *)g_ptr_array_index(w, i));
  return g_string_free(s, FALSE);
}

static gboolean
share_a_key(const guint32 *x, guint32 nx, const guint32 *y, guint32 ny)
{
  for (guint32 i = 0, j = 0; i < nx && j < ny;) {
    if (x[i] == y[j])
      return TRUE;
    if (x[i] < y[j])
      i++;
    else
      j++;
  }
  return FALSE;
}

/* The anchor guarantee (score.h): two texts sharing a run of ND_ANCHOR_RUN words inside a line share
 * an anchor, wherever the run sits in either text, and whatever surrounds it. */
START_TEST(test_anchor_guarantee)
{
  NdSignParams p = default_params();
  g_autoptr(NdSigner) s = nd_signer_new(&p);
  guint64 st = 77;
  for (guint round = 0; round < 300; round++) {
    g_autofree char *run = words_line(1000 + round, ND_ANCHOR_RUN);
    g_autofree char *pa = words_line(2000 + round, (guint)rand_range(&st, 0, 40));
    g_autofree char *sa = words_line(3000 + round, (guint)rand_range(&st, 0, 40));
    g_autofree char *pb = words_line(4000 + round, (guint)rand_range(&st, 0, 40));
    g_autofree char *sb = words_line(5000 + round, (guint)rand_range(&st, 0, 40));
    g_autofree char *a = g_strdup_printf("%s %s. %s", pa, run, sa);
    g_autofree char *b = g_strdup_printf("Other news.\n\n%s, %s %s\n", pb, run, sb);
    g_autoptr(NdDocument) da = sign_ok(s, "a", a);
    g_autoptr(NdDocument) db = sign_ok(s, "b", b);
    ck_assert_msg(share_a_key(da->anchors, da->n_anchors, db->anchors, db->n_anchors), "round %u: no shared anchor",
                  round);
    for (guint32 i = 1; i < da->n_anchors; i++)
      ck_assert_uint_lt(da->anchors[i - 1], da->anchors[i]);
  }
  /* Winnowing keeps about 2 / (w + 1) of the runs: a 600-word line has 200-360 anchors. */
  g_autofree char *long_line = words_line(9, 600);
  g_autoptr(NdDocument) d = sign_ok(s, "long", long_line);
  ck_assert_uint_ge(d->n_anchors, 200);
  ck_assert_uint_le(d->n_anchors, 360);
}
END_TEST

/* Runs of words that cross a line break make no anchors: two texts sharing only lines of 5 words
 * (shorter than an anchor run), in different orders, share no anchor; a line shorter than the run
 * has none. The same words in one line do. */
START_TEST(test_anchors_stay_in_lines)
{
  NdSignParams p = default_params();
  g_autoptr(NdSigner) s = nd_signer_new(&p);
  char *lines[6];
  for (guint i = 0; i < 6; i++)
    lines[i] = words_line(70 + i, 5);
  g_autofree char *a = g_strjoin("\n", lines[0], lines[1], lines[2], lines[3], lines[4], lines[5], NULL);
  g_autofree char *b = g_strjoin("\n", lines[3], lines[4], lines[5], lines[0], lines[1], lines[2], NULL);
  g_autoptr(NdDocument) da = sign_ok(s, "a", a);
  g_autoptr(NdDocument) db = sign_ok(s, "b", b);
  ck_assert_uint_eq(da->n_anchors, 0);
  ck_assert_uint_eq(db->n_anchors, 0);
  g_autofree char *joined = g_strjoin(" ", lines[0], lines[1], lines[2], NULL);
  g_autoptr(NdDocument) dj = sign_ok(s, "j", joined);
  ck_assert_uint_gt(dj->n_anchors, 0);
  for (guint i = 0; i < 6; i++)
    g_free(lines[i]);
}
END_TEST

/* The words: the sorted distinct word keys; none with character tokens or without keep_words. */
START_TEST(test_words)
{
  NdSignParams p = default_params();
  g_autoptr(NdSigner) s = nd_signer_new(&p);
  g_autoptr(NdDocument) d = sign_ok(s, "w", "The cat saw THE dog; the Dog saw a cat.");
  ck_assert_uint_eq(d->n_words, 5); /* the cat saw dog a */
  for (guint32 i = 1; i < d->n_words; i++)
    ck_assert_uint_lt(d->words[i - 1], d->words[i]);
  ck_assert(share_a_key(d->words, d->n_words, (guint32[]){ (guint32)(nd_token_hash("dog", 3) >> 32) }, 1));
  p.keep_words = FALSE;
  g_autoptr(NdSigner) s2 = nd_signer_new(&p);
  g_autoptr(NdDocument) d2 = sign_ok(s2, "w", "The cat saw the dog.");
  ck_assert_ptr_null(d2->words);
  ck_assert_uint_eq(d2->n_words, 0);
  p = default_params();
  p.shingle = (NdShingleSpec){ ND_TOKENS_CHARS, 5 };
  g_autoptr(NdSigner) s3 = nd_signer_new(&p);
  g_autoptr(NdDocument) d3 = sign_ok(s3, "c", "今天天气很好，我们去公园散步吧。");
  ck_assert_ptr_null(d3->words);
}
END_TEST

/* Without lines and quotes (an archive's adds): no boilerplate lines, line anchors or quoted
 * anchors, and everything else as with them. */
START_TEST(test_without_lines_and_quotes)
{
  const char *text = "Harbour plan stalls\nSign up for the morning newsletter from the Courier today\n\n"
                     "The council said \u201cthe barrier will be built before the winter storms arrive in the "
                     "bay\u201d on Tuesday, and the mayor agreed with "
                     "the engineers who had argued for a second wall along the northern quay.\nShare this article\n";
  NdSignParams p = default_params();
  g_autoptr(NdSigner) s = nd_signer_new(&p);
  g_autoptr(NdDocument) full = sign_ok(s, "f", text);
  ck_assert_uint_gt(full->n_lines, 0);
  ck_assert_uint_gt(full->n_line_anchors, 0);
  ck_assert_uint_gt(full->n_quoted_anchors, 0);
  p.keep_lines_and_quotes = FALSE;
  g_autoptr(NdSigner) s2 = nd_signer_new(&p);
  g_autoptr(NdDocument) lean = sign_ok(s2, "f", text);
  ck_assert_uint_eq(lean->n_lines, 0);
  ck_assert_ptr_null(lean->lines);
  ck_assert_uint_eq(lean->n_line_anchors, 0);
  ck_assert_uint_eq(lean->n_quoted_anchors, 0);
  ck_assert_ptr_null(lean->quoted_anchors);
  ck_assert_uint_eq(lean->set_size, full->set_size);
  ck_assert_uint_eq(lean->tokens, full->tokens);
  ck_assert_mem_eq(lean->signature, full->signature, p.num_perm * sizeof(guint32));
  ck_assert_mem_eq(lean->set, full->set, full->set_size * sizeof(guint32));
  ck_assert_uint_eq(lean->n_anchors, full->n_anchors);
  ck_assert_mem_eq(lean->anchors, full->anchors, full->n_anchors * sizeof(guint32));
  ck_assert_uint_eq(lean->n_words, full->n_words);
}
END_TEST

/* Texts spooled to a temporary file come back byte for byte, one at a time; texts taken before the
 * spool, and documents signed without a text, are left as they are; a duplicate id spools nothing. */
START_TEST(test_spool_texts)
{
  NdSignParams p = default_params();
  p.keep_text = TRUE;
  g_autoptr(NdCollection) c = nd_collection_new(&p);
  g_autoptr(NdSigner) s = nd_signer_new(&p);
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
  for (int i = 0; i < 6; i++)
    g_ptr_array_add(texts, gen_article(300 + i, 40 + 7 * i));
  ck_assert(nd_collection_add(c, sign_ok(s, "before", g_ptr_array_index(texts, 0)), NULL));
  GError *error = NULL;
  ck_assert(nd_collection_spool_texts(c, NULL, &error));
  ck_assert_ptr_null(error);
  ck_assert(nd_collection_spool_texts(c, NULL, NULL)); /* once is enough */
  for (int i = 1; i < 5; i++) {
    g_autofree char *id = g_strdup_printf("doc%d", i);
    ck_assert(nd_collection_add(c, sign_ok(s, id, g_ptr_array_index(texts, i)), NULL));
  }
  ck_assert(!nd_collection_add(c, sign_ok(s, "doc1", g_ptr_array_index(texts, 5)), NULL)); /* duplicate */
  NdSignParams bare = p;
  bare.keep_text = FALSE;
  g_autoptr(NdSigner) no_text = nd_signer_new(&bare);
  ck_assert(nd_collection_add(c, sign_ok(no_text, "bare", g_ptr_array_index(texts, 5)), NULL));
  ck_assert_uint_eq(nd_collection_size(c), 6);

  ck_assert_str_eq(nd_collection_get(c, 0)->text, g_ptr_array_index(texts, 0)); /* taken before: in memory */
  for (guint i = 1; i < 5; i++)
    ck_assert_ptr_null(nd_collection_get(c, i)->text); /* out of memory */
  /* back in any order, twice, and gone again after unloading */
  const guint order[] = { 3, 1, 4, 2, 3 };
  for (guint k = 0; k < G_N_ELEMENTS(order); k++) {
    guint i = order[k];
    ck_assert(nd_collection_load_text(c, i, &error));
    ck_assert(nd_collection_load_text(c, i, &error)); /* already loaded: nothing to do */
    const NdDocument *d = nd_collection_get(c, i);
    ck_assert_uint_eq(d->bytes, strlen(g_ptr_array_index(texts, i)));
    ck_assert_str_eq(d->text, g_ptr_array_index(texts, i));
    nd_collection_unload_text(c, i);
    ck_assert_ptr_null(nd_collection_get(c, i)->text);
  }
  nd_collection_unload_text(c, 0); /* not spooled: stays */
  ck_assert_ptr_nonnull(nd_collection_get(c, 0)->text);
  ck_assert(nd_collection_load_text(c, 5, &error)); /* never had a text */
  ck_assert_ptr_null(nd_collection_get(c, 5)->text);

  /* a directory that cannot hold the file: an error naming it, and nothing changes */
  g_autoptr(NdCollection) c2 = nd_collection_new(&p);
  ck_assert(!nd_collection_spool_texts(c2, "/nonexistent-neardup-dir", &error));
  ck_assert_int_eq(error->code, ND_ERROR_IO);
  ck_assert_ptr_nonnull(strstr(error->message, "/nonexistent-neardup-dir"));
  g_clear_error(&error);
  ck_assert(nd_collection_add(c2, sign_ok(s, "kept", g_ptr_array_index(texts, 1)), NULL));
  ck_assert_str_eq(nd_collection_get(c2, 0)->text, g_ptr_array_index(texts, 1));
}
END_TEST

static Suite *
collection_suite(void)
{
  Suite *s = suite_create("collection");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_params_defaults_and_validate);
  tcase_add_test(tc, test_sign_errors);
  tcase_add_test(tc, test_too_large_and_lossy);
  tcase_add_test(tc, test_set_size_by_hand);
  tcase_add_test(tc, test_sign_article);
  tcase_add_test(tc, test_keep_sets_false);
  tcase_add_test(tc, test_id_copied);
  tcase_add_test(tc, test_collection_basic);
  tcase_add_test(tc, test_duplicate_id);
  tcase_add_test(tc, test_make_lean);
  tcase_add_test(tc, test_anchor_guarantee);
  tcase_add_test(tc, test_anchors_stay_in_lines);
  tcase_add_test(tc, test_without_lines_and_quotes);
  tcase_add_test(tc, test_words);
  tcase_add_test(tc, test_spool_texts);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(collection_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

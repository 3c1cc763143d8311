/* test_shingle.c — shingle specs and k-shingle hashes (shingle.h). */
#include <check.h>
#include <neardup/neardup.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

static GArray *
tokens_of(const char *text, NdTokenMode mode)
{
  GArray *t = g_array_new(FALSE, FALSE, sizeof(NdToken));
  ck_assert(nd_tokenize(text, strlen(text), mode, ND_TEXT_DEFAULT, t, NULL));
  return t;
}

static GArray *
shingles_of(const char *text, guint k, guint64 seed)
{
  g_autoptr(GArray) t = tokens_of(text, ND_TOKENS_WORDS);
  GArray *out = g_array_new(FALSE, FALSE, sizeof(guint64));
  nd_shingle_hashes((const NdToken *)t->data, t->len, k, seed, out);
  return out;
}

static guint64
sh(GArray *a, guint i)
{
  ck_assert_uint_lt(i, a->len);
  return g_array_index(a, guint64, i);
}

START_TEST(test_spec_parse_valid)
{
  NdShingleSpec spec = { 0 };
  GError *error = NULL;
  ck_assert(nd_shingle_spec_parse("words:3", &spec, &error));
  ck_assert_ptr_null(error);
  ck_assert_int_eq(spec.mode, ND_TOKENS_WORDS);
  ck_assert_uint_eq(spec.k, 3);

  ck_assert(nd_shingle_spec_parse("chars:5", &spec, NULL));
  ck_assert_int_eq(spec.mode, ND_TOKENS_CHARS);
  ck_assert_uint_eq(spec.k, 5);

  spec = (NdShingleSpec){ ND_TOKENS_CHARS, 99 };
  ck_assert(nd_shingle_spec_parse("words", &spec, NULL));
  ck_assert_int_eq(spec.mode, ND_TOKENS_WORDS);
  ck_assert_uint_eq(spec.k, ND_DEFAULT_WORD_K);
  ck_assert_uint_eq(ND_DEFAULT_WORD_K, 3);

  ck_assert(nd_shingle_spec_parse("chars", &spec, NULL));
  ck_assert_int_eq(spec.mode, ND_TOKENS_CHARS);
  ck_assert_uint_eq(spec.k, ND_DEFAULT_CHAR_K);
  ck_assert_uint_eq(ND_DEFAULT_CHAR_K, 5);

  ck_assert(nd_shingle_spec_parse("words:1", &spec, NULL));
  ck_assert_uint_eq(spec.k, 1);
  ck_assert(nd_shingle_spec_parse("chars:64", &spec, NULL));
  ck_assert_int_eq(spec.mode, ND_TOKENS_CHARS);
  ck_assert_uint_eq(spec.k, ND_SHINGLE_K_MAX);
  ck_assert(nd_shingle_spec_parse("words:12", &spec, NULL));
  ck_assert_uint_eq(spec.k, 12);
}
END_TEST

START_TEST(test_spec_parse_invalid)
{
  const char *bad[] = { "words:0", "words:65", "bytes:3", "words:x", "", "words:", "words3", "word:3",
                        "words:3x", "words:-1", "words:+3", "words: 3", "chars:0", "chars:100", "Words:3",
                        "words:3:4", " words:3", "wordsy", "words:99999999999999999999" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    NdShingleSpec spec = { ND_TOKENS_CHARS, 42 };
    GError *error = NULL;
    ck_assert_msg(!nd_shingle_spec_parse(bad[i], &spec, &error), "\"%s\" was accepted", bad[i]);
    ck_assert_msg(g_error_matches(error, ND_ERROR, ND_ERROR_INVALID_ARG), "\"%s\": wrong error", bad[i]);
    g_error_free(error);
  }
  NdShingleSpec spec;
  GError *error = NULL;
  ck_assert(!nd_shingle_spec_parse(NULL, &spec, &error));
  ck_assert(g_error_matches(error, ND_ERROR, ND_ERROR_INVALID_ARG));
  g_error_free(error);
}
END_TEST

START_TEST(test_spec_to_string)
{
  NdShingleSpec a = { ND_TOKENS_WORDS, 3 }, b = { ND_TOKENS_CHARS, 7 };
  g_autofree char *sa = nd_shingle_spec_to_string(&a);
  g_autofree char *sb = nd_shingle_spec_to_string(&b);
  ck_assert_str_eq(sa, "words:3");
  ck_assert_str_eq(sb, "chars:7");
  /* round trip */
  NdShingleSpec back;
  ck_assert(nd_shingle_spec_parse(sb, &back, NULL));
  ck_assert_int_eq(back.mode, ND_TOKENS_CHARS);
  ck_assert_uint_eq(back.k, 7);
}
END_TEST

START_TEST(test_count)
{
  const char *ten = "one two three four five six seven eight nine ten";
  for (guint k = 1; k <= 12; k++) {
    g_autoptr(GArray) s = shingles_of(ten, k, 1);
    guint expect = k <= 10 ? 10 - k + 1 : 1;
    ck_assert_msg(s->len == expect, "k=%u: %u shingles, expected %u", k, s->len, expect);
  }
  g_autoptr(GArray) two = shingles_of("just two", 3, 1);
  ck_assert_uint_eq(two->len, 1);
  g_autoptr(GArray) one = shingles_of("single", 3, 1);
  ck_assert_uint_eq(one->len, 1);
  g_autoptr(GArray) none = shingles_of("  ... !!! ", 3, 1);
  ck_assert_uint_eq(none->len, 0);
  g_autoptr(GArray) empty = g_array_new(FALSE, FALSE, sizeof(guint64));
  nd_shingle_hashes(NULL, 0, 3, 1, empty);
  ck_assert_uint_eq(empty->len, 0);
}
END_TEST

/* The hash of a window is XXH3-64 over the k token hashes, with the seed. */
START_TEST(test_hash_definition)
{
  NdToken toks[5];
  for (guint i = 0; i < 5; i++)
    toks[i] = (NdToken){ .hash = G_GUINT64_CONSTANT(0x1000000000000001) * (i + 3), .start = i, .end = i + 1 };
  g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(guint64));
  nd_shingle_hashes(toks, 5, 3, 77, out);
  ck_assert_uint_eq(out->len, 3);
  for (guint s = 0; s < 3; s++) {
    guint64 window[3] = { toks[s].hash, toks[s + 1].hash, toks[s + 2].hash };
    ck_assert_uint_eq(sh(out, s), XXH3_64bits_withSeed(window, sizeof window, 77));
  }
  /* fewer tokens than k: one shingle over all the tokens (the same as k = n) */
  g_autoptr(GArray) short_k = g_array_new(FALSE, FALSE, sizeof(guint64));
  g_autoptr(GArray) exact_k = g_array_new(FALSE, FALSE, sizeof(guint64));
  nd_shingle_hashes(toks, 2, 5, 77, short_k);
  nd_shingle_hashes(toks, 2, 2, 77, exact_k);
  ck_assert_uint_eq(short_k->len, 1);
  ck_assert_uint_eq(sh(short_k, 0), sh(exact_k, 0));
  guint64 two[2] = { toks[0].hash, toks[1].hash };
  ck_assert_uint_eq(sh(short_k, 0), XXH3_64bits_withSeed(two, sizeof two, 77));
}
END_TEST

START_TEST(test_appends)
{
  g_autoptr(GArray) t = tokens_of("alpha beta gamma delta", ND_TOKENS_WORDS);
  g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(guint64));
  guint64 marker = 0xDEADBEEF;
  g_array_append_val(out, marker);
  nd_shingle_hashes((const NdToken *)t->data, t->len, 2, 1, out);
  ck_assert_uint_eq(out->len, 4);
  ck_assert_uint_eq(sh(out, 0), marker);
  g_autoptr(GArray) fresh = shingles_of("alpha beta gamma delta", 2, 1);
  for (guint i = 0; i < 3; i++)
    ck_assert_uint_eq(sh(out, i + 1), sh(fresh, i));
}
END_TEST

START_TEST(test_seed_and_determinism)
{
  const char *text = "The council voted nine to three on Tuesday to fund the tidal barrier project.";
  g_autoptr(GArray) a = shingles_of(text, 3, 1);
  g_autoptr(GArray) b = shingles_of(text, 3, 1);
  g_autoptr(GArray) c = shingles_of(text, 3, 2);
  ck_assert_uint_eq(a->len, 12);
  ck_assert_uint_eq(b->len, a->len);
  ck_assert_uint_eq(c->len, a->len);
  for (guint i = 0; i < a->len; i++) {
    ck_assert_uint_eq(sh(a, i), sh(b, i));
    ck_assert_uint_ne(sh(a, i), sh(c, i));
  }
  /* all windows differ from each other in this text */
  for (guint i = 0; i < a->len; i++)
    for (guint j = i + 1; j < a->len; j++)
      ck_assert_uint_ne(sh(a, i), sh(a, j));
  /* case and punctuation do not matter, only the token sequence */
  g_autoptr(GArray) d = shingles_of("THE COUNCIL -- voted nine to three, on tuesday; to fund the "
                                    "\xE2\x80\x9Ctidal barrier\xE2\x80\x9D project", 3, 1);
  ck_assert_uint_eq(d->len, a->len);
  for (guint i = 0; i < a->len; i++)
    ck_assert_uint_eq(sh(a, i), sh(d, i));
}
END_TEST

START_TEST(test_order_matters)
{
  g_autoptr(GArray) a = shingles_of("red green blue yellow", 3, 1);
  g_autoptr(GArray) b = shingles_of("green red blue yellow", 3, 1);
  ck_assert_uint_eq(a->len, 2);
  ck_assert_uint_eq(b->len, 2);
  ck_assert_uint_ne(sh(a, 0), sh(b, 0));
  ck_assert_uint_ne(sh(a, 1), sh(b, 1));
  ck_assert_uint_ne(sh(a, 0), sh(b, 1));
  ck_assert_uint_ne(sh(a, 1), sh(b, 0));
  /* a reversed window is a different shingle */
  g_autoptr(GArray) f = shingles_of("red green blue", 3, 1);
  g_autoptr(GArray) r = shingles_of("blue green red", 3, 1);
  ck_assert_uint_ne(sh(f, 0), sh(r, 0));
  /* windows slide: dropping the first word shifts the shingles by one */
  g_autoptr(GArray) full = shingles_of("w1 w2 w3 w4 w5 w6 w7", 3, 9);
  g_autoptr(GArray) tail = shingles_of("w2 w3 w4 w5 w6 w7", 3, 9);
  ck_assert_uint_eq(full->len, 5);
  ck_assert_uint_eq(tail->len, 4);
  for (guint i = 0; i < 4; i++)
    ck_assert_uint_eq(sh(full, i + 1), sh(tail, i));
  /* a repeated phrase gives equal shingles */
  g_autoptr(GArray) rep = shingles_of("a b c x a b c", 3, 1);
  ck_assert_uint_eq(rep->len, 5);
  ck_assert_uint_eq(sh(rep, 0), sh(rep, 4));
}
END_TEST

START_TEST(test_char_shingles)
{
  /* 北京大学 in chars mode with k=2: 3 shingles; 京大 appears in 南京大学 too */
  g_autoptr(GArray) t1 = tokens_of("\xE5\x8C\x97\xE4\xBA\xAC\xE5\xA4\xA7\xE5\xAD\xA6", ND_TOKENS_CHARS);
  g_autoptr(GArray) t2 = tokens_of("\xE5\x8D\x97\xE4\xBA\xAC\xE5\xA4\xA7\xE5\xAD\xA6", ND_TOKENS_CHARS);
  ck_assert_uint_eq(t1->len, 4);
  g_autoptr(GArray) s1 = g_array_new(FALSE, FALSE, sizeof(guint64));
  g_autoptr(GArray) s2 = g_array_new(FALSE, FALSE, sizeof(guint64));
  nd_shingle_hashes((const NdToken *)t1->data, t1->len, 2, 1, s1);
  nd_shingle_hashes((const NdToken *)t2->data, t2->len, 2, 1, s2);
  ck_assert_uint_eq(s1->len, 3);
  ck_assert_uint_ne(sh(s1, 0), sh(s2, 0));
  ck_assert_uint_eq(sh(s1, 1), sh(s2, 1));
  ck_assert_uint_eq(sh(s1, 2), sh(s2, 2));
}
END_TEST

static Suite *
shingle_suite(void)
{
  Suite *s = suite_create("shingle");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_spec_parse_valid);
  tcase_add_test(tc, test_spec_parse_invalid);
  tcase_add_test(tc, test_spec_to_string);
  tcase_add_test(tc, test_count);
  tcase_add_test(tc, test_hash_definition);
  tcase_add_test(tc, test_appends);
  tcase_add_test(tc, test_seed_and_determinism);
  tcase_add_test(tc, test_order_matters);
  tcase_add_test(tc, test_char_shingles);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(shingle_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

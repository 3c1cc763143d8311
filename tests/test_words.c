/* test_words.c — match keys and content words (words.h). */
#include <check.h>
#include <neardup/neardup.h>
#include <stdlib.h>
#include <string.h>

static GArray *
tokens(const char *text)
{
  GArray *t = g_array_new(FALSE, FALSE, sizeof(NdToken));
  ck_assert(nd_tokenize(text, strlen(text), ND_TOKENS_WORDS, ND_TEXT_DEFAULT, t, NULL));
  return t;
}

START_TEST(test_language)
{
  g_autoptr(GArray) en = tokens("The minister said on Monday that the talks would resume after a pause of two weeks.");
  ck_assert_int_eq(nd_guess_language((const NdToken *)en->data, en->len), ND_LANGUAGE_ENGLISH);
  g_autoptr(GArray) fr = tokens("Le ministre a déclaré lundi que les négociations reprendraient après une pause.");
  ck_assert_int_eq(nd_guess_language((const NdToken *)fr->data, fr->len), ND_LANGUAGE_UNKNOWN);
  g_autoptr(GArray) ur = tokens("بنگلہ دیش نے پانچ میچوں کی سیریز کے آخری میچ میں بھی فتح حاصل کر لی");
  ck_assert_int_eq(nd_guess_language((const NdToken *)ur->data, ur->len), ND_LANGUAGE_UNKNOWN);
  ck_assert_int_eq(nd_guess_language(NULL, 0), ND_LANGUAGE_UNKNOWN);
}
END_TEST

/* English: inflections of one word share a key; function words carry no content. */
START_TEST(test_english_stems)
{
  const char *text = "Officials reported the reports while reporting, said the report";
  g_autoptr(GArray) t = tokens(text);
  guint64 keys[16];
  guint8 content[16];
  nd_word_keys(text, (const NdToken *)t->data, t->len, ND_LANGUAGE_ENGLISH, TRUE, keys, content);
  /* officials reported the reports while reporting said the report */
  ck_assert_uint_eq(t->len, 9);
  ck_assert(keys[1] == keys[3] && keys[3] == keys[5] && keys[5] == keys[8]);
  ck_assert(keys[0] != keys[1]);
  ck_assert(content[0] && content[1] && content[3] && content[5] && content[8]);
  ck_assert(!content[2] && !content[4] && !content[6] && !content[7]); /* the while said the */
  /* a word that is its own stem keeps its token hash */
  ck_assert(keys[8] == g_array_index(t, NdToken, 8).hash);
  /* without stemming the keys are the token hashes */
  nd_word_keys(text, (const NdToken *)t->data, t->len, ND_LANGUAGE_ENGLISH, FALSE, keys, content);
  for (guint i = 0; i < t->len; i++)
    ck_assert(keys[i] == g_array_index(t, NdToken, i).hash);
  ck_assert(!content[2]);
}
END_TEST

/* Without a list: words that make up 2% of the text (3 times at least) are function words. */
START_TEST(test_frequent_words)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < 100; i++)
    g_string_append_printf(s, "w%u %s ", i, i % 10 == 0 ? "ke" : "");
  g_autoptr(GArray) t = tokens(s->str);
  g_autofree guint64 *keys = g_new(guint64, t->len);
  g_autofree guint8 *content = g_new(guint8, t->len);
  nd_word_keys(s->str, (const NdToken *)t->data, t->len, ND_LANGUAGE_UNKNOWN, TRUE, keys, content);
  for (guint i = 0; i < t->len; i++) {
    const NdToken *k = &g_array_index(t, NdToken, i);
    gboolean is_ke = k->end - k->start == 2 && strncmp(s->str + k->start, "ke", 2) == 0;
    ck_assert_msg(content[i] == !is_ke, "token %u", i);
    ck_assert(keys[i] == k->hash); /* no stemming without a stemmer */
  }
  g_string_free(s, TRUE);
}
END_TEST

static Suite *
words_suite(void)
{
  Suite *s = suite_create("words");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_language);
  tcase_add_test(tc, test_english_stems);
  tcase_add_test(tc, test_frequent_words);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(words_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

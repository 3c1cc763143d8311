/* test_diff.c — the passage aligner (diff.h) on hand-made pairs: a verbatim paragraph, the same
 * paragraph with 20% of its words changed, a moved paragraph, a quote in different quote marks, a
 * spelling variant, no shared text at all, and one article inside another. */
#include <check.h>
#include <neardup/neardup.h>
#include <string.h>
#include "test_util.h"

/* A paragraph of `n` fresh random words (its own vocabulary draw, so unrelated paragraphs share
 * nothing but chance). Caller frees. */
static char *
paragraph(guint64 seed, guint n)
{
  guint64 st = seed;
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
  gen_words(&st, n, words);
  GString *out = g_string_new(NULL);
  join_words(words, 0, n, &st, out);
  return g_string_free(out, FALSE);
}

static NdDiff *
diff(const char *a, const char *b)
{
  g_autoptr(GError) error = NULL;
  NdDiff *d = nd_diff_texts(a, strlen(a), b, strlen(b), ND_TOKENS_WORDS, ND_TEXT_DEFAULT, NULL, &error);
  ck_assert_msg(d != NULL, "diff failed: %s", error ? error->message : "");
  return d;
}

static const NdPassage *
passage(const NdDiff *d, guint i)
{
  ck_assert_uint_lt(i, d->passages->len);
  return &g_array_index(d->passages, NdPassage, i);
}

/* Asserts that text[start, stop) is exactly `expected`. */
static void
assert_span(const char *text, guint64 start, guint64 stop, const char *expected)
{
  g_autofree char *got = g_strndup(text + start, stop - start);
  ck_assert_str_eq(got, expected);
}

START_TEST(test_verbatim_paragraph)
{
  g_autofree char *shared = paragraph(1, 60), *a1 = paragraph(2, 80), *a2 = paragraph(3, 50),
                  *b1 = paragraph(4, 120), *b2 = paragraph(5, 30);
  g_autofree char *a = g_strdup_printf("%s\n\n%s\n\n%s\n", a1, shared, a2);
  g_autofree char *b = g_strdup_printf("%s\n\n%s\n\n%s\n", b1, shared, b2);
  g_autoptr(NdDiff) d = diff(a, b);
  ck_assert_uint_eq(d->passages->len, 1);
  const NdPassage *p = passage(d, 0);
  /* The offsets point at the paragraph itself (its words; the final full stop is punctuation). */
  g_autofree char *words_only = g_strndup(shared, strlen(shared) - 1);
  assert_span(a, p->a_start, p->a_stop, words_only);
  assert_span(b, p->b_start, p->b_stop, words_only);
  ck_assert_uint_eq(p->a_end - p->a_first, 60);
  ck_assert_uint_eq(p->a_matched, 60);
  ck_assert(p->score == 1.0);
  ck_assert_double_eq_tol(d->a_coverage, 60.0 / 190.0, 1e-9);
  ck_assert_double_eq_tol(d->b_coverage, 60.0 / 210.0, 1e-9);
}
END_TEST

START_TEST(test_paragraph_with_changes)
{
  /* Every fifth word of the shared paragraph replaced in B: 20% of the words changed. */
  guint64 st = 11;
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
  gen_words(&st, 80, words);
  GString *pa = g_string_new(NULL), *pb = g_string_new(NULL);
  for (guint i = 0; i < words->len; i++) {
    const char *w = g_ptr_array_index(words, i);
    g_string_append_printf(pa, "%s%s", i ? " " : "", w);
    g_string_append_printf(pb, "%s%s", i ? " " : "", i % 5 == 2 ? "zzchanged" : w);
  }
  g_autofree char *x = paragraph(12, 70), *y = paragraph(13, 70);
  g_autofree char *a = g_strdup_printf("%s\n\n%s.\n", x, pa->str);
  g_autofree char *b = g_strdup_printf("%s.\n\n%s\n", pb->str, y);
  g_string_free(pa, TRUE);
  g_string_free(pb, TRUE);
  g_autoptr(NdDiff) d = diff(a, b);
  ck_assert_uint_eq(d->passages->len, 1);
  const NdPassage *p = passage(d, 0);
  ck_assert_uint_ge(p->a_end - p->a_first, 75); /* nearly the whole paragraph */
  ck_assert(p->score < 1.0 && p->score >= 0.5);
  /* The changed words are exactly the unaligned ones inside the passage. */
  guint unaligned = 0;
  for (guint32 t = p->b_first; t < p->b_end; t++)
    unaligned += !d->b_aligned[t];
  ck_assert_uint_ge(unaligned, 14);
  ck_assert_uint_le(unaligned, 16);
}
END_TEST

START_TEST(test_moved_paragraph)
{
  g_autofree char *p1 = paragraph(21, 50), *p2 = paragraph(22, 50), *p3 = paragraph(23, 50);
  g_autofree char *a = g_strdup_printf("%s\n\n%s\n\n%s\n", p1, p2, p3);
  g_autofree char *b = g_strdup_printf("%s\n\n%s\n\n%s\n", p3, p1, p2);
  g_autoptr(NdDiff) d = diff(a, b);
  ck_assert_uint_eq(d->passages->len, 2);
  /* Sorted by A: p1+p2 (one block, still in order in B), then p3 (moved to the top of B). */
  const NdPassage *q0 = passage(d, 0), *q1 = passage(d, 1);
  ck_assert_uint_eq(q0->a_first, 0);
  ck_assert_uint_eq(q0->a_end - q0->a_first, 100);
  ck_assert_uint_eq(q0->b_first, 50);
  ck_assert_uint_eq(q1->a_first, 100);
  ck_assert_uint_eq(q1->b_first, 0);
  ck_assert_uint_eq(q1->b_end, 50);
  ck_assert_double_eq_tol(d->a_coverage, 1.0, 1e-9);
}
END_TEST

START_TEST(test_quote_marks)
{
  const char *quote = "We will not reopen the line until every signal box has been inspected, because a late "
                      "train is better than a lost one";
  g_autofree char *x = paragraph(31, 60), *y = paragraph(32, 70), *z = paragraph(33, 40);
  g_autofree char *a = g_strdup_printf("%s The commissioner said: “%s.” %s\n", x, quote, z);
  g_autofree char *b = g_strdup_printf("%s\n\n\"%s,\" she told reporters.\n", y, quote);
  g_autoptr(NdDiff) d = diff(a, b);
  ck_assert_uint_eq(d->passages->len, 1);
  const NdPassage *p = passage(d, 0);
  assert_span(a, p->a_start, p->a_stop, quote);
  assert_span(b, p->b_start, p->b_stop, quote);
  ck_assert(p->score == 1.0);
}
END_TEST

START_TEST(test_spelling_variant)
{
  const char *a = "Officials in Kyiv said on Monday that the talks about the grain corridor would resume next "
                  "week after a pause of nearly two months, according to the foreign ministry.";
  const char *b = "Officials in Kiev said on Monday that the talks about the grain corridor would resume next "
                  "week after a pause of nearly two months, according to the foreign ministry.";
  g_autoptr(NdDiff) d = diff(a, b);
  ck_assert_uint_eq(d->passages->len, 1);
  const NdPassage *p = passage(d, 0);
  ck_assert_uint_eq(p->a_first, 0);
  ck_assert_uint_eq(p->a_end, 29);
  ck_assert(!d->a_aligned[2] && !d->b_aligned[2]); /* Kyiv / Kiev */
  ck_assert(d->a_aligned[3] && d->a_aligned[0]);
}
END_TEST

START_TEST(test_nothing_shared)
{
  for (guint64 s = 0; s < 20; s++) {
    g_autofree char *a = paragraph(100 + s, 400), *b = paragraph(200 + s, 400);
    g_autoptr(NdDiff) d = diff(a, b);
    ck_assert_msg(d->passages->len == 0, "seed %" G_GUINT64_FORMAT ": %u passages between unrelated texts", s,
                  d->passages->len);
    ck_assert(d->a_coverage == 0.0 && d->b_coverage == 0.0);
  }
  /* Common words and names alone are not a passage either. */
  g_autoptr(NdDiff) d = diff("The mayor of Port Halloran said on Tuesday that the council would meet again.",
                             "On Tuesday the mayor of Port Halloran visited the flooded school and the harbour.");
  ck_assert_uint_eq(d->passages->len, 0);
}
END_TEST

START_TEST(test_article_inside_another)
{
  g_autofree char *inner = paragraph(41, 200), *before = paragraph(42, 300), *after = paragraph(43, 300);
  g_autofree char *b = g_strdup_printf("%s\n\n%s\n\n%s\n", before, inner, after);
  g_autoptr(NdDiff) d = diff(inner, b);
  ck_assert_uint_eq(d->passages->len, 1);
  ck_assert_double_eq_tol(d->a_coverage, 1.0, 1e-9);
  ck_assert_double_eq_tol(d->b_coverage, 200.0 / 800.0, 1e-9);
  const NdPassage *p = passage(d, 0);
  ck_assert_uint_eq(p->b_first, 300);
}
END_TEST

START_TEST(test_empty_and_options)
{
  NdToken t = { 1, 0, 1 };
  g_autoptr(NdDiff) d = nd_diff_tokens(NULL, NULL, 0, NULL, &t, 1, NULL);
  ck_assert_uint_eq(d->passages->len, 0);
  ck_assert(d->a_coverage == 0.0);
  /* min_tokens: a 12-word shared sentence is a passage at the default (10) but not at 13. */
  const char *s = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima";
  g_autofree char *a = g_strdup_printf("%s. %s", s, "unrelated words follow here in this one");
  g_autofree char *b = g_strdup_printf("%s %s", "something else entirely before it", s);
  g_autoptr(NdDiff) d1 = diff(a, b);
  ck_assert_uint_eq(d1->passages->len, 1);
  NdDiffOptions o;
  nd_diff_options_init(&o);
  o.min_tokens = 13;
  g_autoptr(NdDiff) d2 = nd_diff_texts(a, strlen(a), b, strlen(b), ND_TOKENS_WORDS, 0, &o, NULL);
  ck_assert_uint_eq(d2->passages->len, 0);
  /* Invalid UTF-8 is an error naming the side. */
  g_autoptr(GError) error = NULL;
  ck_assert_ptr_null(nd_diff_texts("ok", 2, "bad \xff", 5, ND_TOKENS_WORDS, 0, NULL, &error));
  ck_assert(g_str_has_prefix(error->message, "B: "));
  g_clear_error(&error);
  /* nd_diff_pair: each side with its own flags (an archived text read lossily), tokens left for
   * the caller; the same passages as nd_diff_texts. */
  g_autofree char *b_bad = g_strdup_printf("%s \xff", b);
  g_autoptr(GArray) ta = g_array_new(FALSE, FALSE, sizeof(NdToken));
  g_autoptr(GArray) tb = g_array_new(FALSE, FALSE, sizeof(NdToken));
  g_autoptr(NdDiff) d3 = nd_diff_pair(a, strlen(a), 0, b_bad, strlen(b_bad), ND_TEXT_LOSSY, ND_TOKENS_WORDS, NULL, ta,
                                      tb, &error);
  ck_assert_ptr_nonnull(d3);
  ck_assert_uint_eq(d3->passages->len, d1->passages->len);
  ck_assert_uint_eq(ta->len, d3->a_tokens);
  ck_assert_uint_eq(tb->len, d3->b_tokens);
  const NdPassage *p1 = &g_array_index(d1->passages, NdPassage, 0), *p3 = &g_array_index(d3->passages, NdPassage, 0);
  ck_assert_uint_eq(p1->b_start, p3->b_start);
  ck_assert_uint_eq(p1->b_stop, p3->b_stop);
  ck_assert_ptr_null(nd_diff_pair(b_bad, strlen(b_bad), 0, a, strlen(a), ND_TEXT_LOSSY, ND_TOKENS_WORDS, NULL, ta, tb,
                                  &error));
  ck_assert(g_str_has_prefix(error->message, "A: "));
}
END_TEST

START_TEST(test_deterministic_and_symmetric)
{
  g_autofree char *a = gen_article(51, 900), *b = gen_article(52, 700);
  g_autofree char *shared = paragraph(53, 120);
  g_autofree char *a2 = g_strdup_printf("%s\n%s", a, shared), *b2 = g_strdup_printf("%s\n%s", shared, b);
  g_autoptr(NdDiff) d1 = diff(a2, b2), d2 = diff(a2, b2), rev = diff(b2, a2);
  ck_assert_uint_eq(d1->passages->len, d2->passages->len);
  ck_assert_int_eq(memcmp(d1->passages->data, d2->passages->data, d1->passages->len * sizeof(NdPassage)), 0);
  ck_assert_uint_eq(rev->passages->len, d1->passages->len);
  for (guint i = 0; i < d1->passages->len; i++) {
    const NdPassage *p = passage(d1, i);
    gboolean found = FALSE;
    for (guint j = 0; j < rev->passages->len; j++) {
      const NdPassage *q = passage(rev, j);
      found |= q->a_start == p->b_start && q->a_stop == p->b_stop && q->b_start == p->a_start && q->b_stop == p->a_stop;
    }
    ck_assert_msg(found, "passage %u not found with the arguments swapped", i);
  }
}
END_TEST


/* English words are matched by stem: a passage survives a change of inflection. */
START_TEST(test_stems_match)
{
  const char *a = "The ministry reported that exports increased sharply in the northern provinces during the "
                  "winter months.";
  const char *b = "The ministry reports that exports increase sharply in the northern province during the winter "
                  "month.";
  g_autoptr(NdDiff) d = diff(a, b);
  ck_assert_int_eq(d->language, ND_LANGUAGE_ENGLISH);
  ck_assert_uint_eq(d->passages->len, 1);
  const NdPassage *p = passage(d, 0);
  ck_assert_int_eq(p->kind, ND_PASSAGE_VERBATIM);
  ck_assert_uint_eq(p->a_first, 0);
  ck_assert_uint_eq(p->a_end, d->a_tokens);
  ck_assert_double_eq(p->score, 1.0);
  /* without stemming the changed words break the run into pieces */
  NdDiffOptions o;
  nd_diff_options_init(&o);
  o.stem = FALSE;
  o.sentence_overlap = 0;
  g_autoptr(NdDiff) plain = nd_diff_texts(a, strlen(a), b, strlen(b), ND_TOKENS_WORDS, 0, &o, NULL);
  ck_assert(plain->passages->len != 1 || passage(plain, 0)->score < 1.0);
}
END_TEST

/* A sentence rewritten (words changed, clauses turned around) is a rewritten passage aligned with
 * its source sentence; the sentence that is new is not in any passage. */
START_TEST(test_rewritten_sentence)
{
  const char *b = "Heavy rain flooded the market town of Aldbury on Sunday. The river Wend burst its banks near the "
                  "old mill, and firefighters evacuated forty families from the lower streets overnight. Officials "
                  "expect the water to recede by Wednesday.";
  const char *a = "Forty families were evacuated from the lower streets by firefighters overnight after the Wend "
                  "burst its banks by the old mill. Residents said the council had ignored warnings for years.";
  g_autoptr(NdDiff) d = diff(a, b);
  ck_assert_uint_ge(d->passages->len, 1);
  const NdPassage *p = passage(d, 0);
  ck_assert_int_eq(p->kind, ND_PASSAGE_REWRITTEN);
  ck_assert_uint_eq(p->a_first, 0);
  ck_assert_uint_eq(p->a_end, 21);  /* the first sentence of A */
  ck_assert_uint_eq(p->b_first, 10); /* the second sentence of B */
  ck_assert_uint_eq(p->b_end, 30);
  ck_assert_uint_ge(p->a_matched, 10);
  ck_assert(d->a_aligned[0] && !d->a_aligned[2]); /* forty yes, were no (not in B's sentence) */
  for (guint i = 1; i < d->passages->len; i++)
    ck_assert_uint_lt(passage(d, i)->a_first, 21);
  /* turned off */
  NdDiffOptions o;
  nd_diff_options_init(&o);
  o.sentence_overlap = 0;
  g_autoptr(NdDiff) none = nd_diff_texts(a, strlen(a), b, strlen(b), ND_TOKENS_WORDS, 0, &o, NULL);
  for (guint i = 0; i < none->passages->len; i++)
    ck_assert_int_eq(passage(none, i)->kind, ND_PASSAGE_VERBATIM);
}
END_TEST

/* Sentences about the same people that say different things are not rewrites: a short headline
 * does not align with a long sentence on its names, nor a sentence sharing only names. */
START_TEST(test_names_are_not_rewrites)
{
  const char *a = "Mayor Greta Lindqvist opens the Aldbury bridge.\n\nThe bridge cost four million crowns.";
  const char *b = "Greta Lindqvist, the mayor of Aldbury, told reporters on Friday that she would not stand for "
                  "re-election next spring because of her health, and thanked the voters of the town for twelve "
                  "years of trust.";
  g_autoptr(NdDiff) d = diff(a, b);
  ck_assert_uint_eq(d->passages->len, 0);
}
END_TEST


/* Quotation words: aligned, and inside quotation marks in both texts. */
START_TEST(test_quotations)
{
  const char *statement = "we will not reopen the bridge until every cable anchor has been inspected by engineers";
  const char *report = "Repair crews from the county closed the eastern approach road on Monday morning after cracks appeared";
  g_autofree char *a = g_strdup_printf("The mayor spoke. “%s,” she said. %s near the harbour.", statement, report);
  g_autofree char *b = g_strdup_printf("Officials met. She said: \"%s.\" %s near the harbour.", statement, report);
  g_autoptr(NdDiff) d = diff(a, b);
  ck_assert_uint_ge(d->passages->len, 1);
  /* The statement's 15 words are quotation words on both sides; the report's are narrative. */
  ck_assert_uint_eq(d->quoted_words, 15);
  ck_assert_uint_ge(d->narrative_words, 17);
  guint32 quoted_b = 0;
  for (guint32 j = 0; j < d->b_tokens; j++)
    quoted_b += d->b_quoted[j];
  ck_assert_uint_eq(quoted_b, 15);
  /* Quoted in one text only: narrative (one outlet quotes what the other reports as its own). */
  g_autofree char *c = g_strdup_printf("The mayor spoke. %s, she said. %s near the harbour.", statement, report);
  g_autoptr(NdDiff) e = diff(a, c);
  ck_assert_uint_eq(e->quoted_words, 0);
  for (guint p = 0; p < e->passages->len; p++)
    ck_assert_str_eq(nd_passage_label(passage(e, p)), "narrative");
  /* A passage that is only the quotation is labelled quotation. */
  g_autofree char *qa = g_strdup_printf("Intro words here. «%s» Then something else entirely different.", statement);
  g_autofree char *qb = g_strdup_printf("Other opening line. „%s“ And an unrelated ending sentence.", statement);
  g_autoptr(NdDiff) f = diff(qa, qb);
  ck_assert_uint_eq(f->passages->len, 1);
  ck_assert(nd_passage_is_quotation(passage(f, 0)));
  ck_assert_uint_eq(passage(f, 0)->a_quoted, 15);
  ck_assert_uint_eq(passage(f, 0)->b_quoted, 15);
  /* A quotation closed after the last word: seen by nd_diff_tokens only when told the lengths. */
  g_autofree char *ea = g_strdup_printf("He said “%s”", statement), *eb = g_strdup_printf("She said “%s”", statement);
  g_autoptr(NdDiff) g = diff(ea, eb);
  ck_assert_uint_eq(g->quoted_words, 15);
}
END_TEST

static Suite *
diff_suite(void)
{
  Suite *s = suite_create("diff");
  TCase *tc = tcase_create("passages");
  tcase_add_test(tc, test_verbatim_paragraph);
  tcase_add_test(tc, test_paragraph_with_changes);
  tcase_add_test(tc, test_moved_paragraph);
  tcase_add_test(tc, test_quote_marks);
  tcase_add_test(tc, test_spelling_variant);
  tcase_add_test(tc, test_nothing_shared);
  tcase_add_test(tc, test_article_inside_another);
  tcase_add_test(tc, test_empty_and_options);
  tcase_add_test(tc, test_deterministic_and_symmetric);
  tcase_add_test(tc, test_stems_match);
  tcase_add_test(tc, test_rewritten_sentence);
  tcase_add_test(tc, test_names_are_not_rewrites);
  tcase_add_test(tc, test_quotations);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(diff_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}

/* test_score.c — the scores of a pair and the report rule (score.h). */
#include <check.h>
#include <math.h>
#include <neardup/neardup.h>
#include <stdlib.h>
#include <string.h>
#include "test_util.h"

static NdReportRule
default_rule(void)
{
  NdFindOptions o;
  nd_find_options_init(&o);
  return nd_find_options_rule(&o);
}

START_TEST(test_defaults_and_names)
{
  NdReportRule r = default_rule();
  ck_assert_double_eq(r.threshold, 0.5);
  ck_assert_double_eq(r.containment, 0.2);
  ck_assert_uint_eq(r.min_shared, 8);
  ck_assert_double_eq(r.score, 0.225);
  ck_assert_str_eq(nd_pair_kind_name(ND_PAIR_NEAR_DUPLICATE), "near-duplicate");
  ck_assert_str_eq(nd_pair_kind_name(ND_PAIR_REUSE), "reuse");
  ck_assert_str_eq(nd_pair_kind_name(ND_PAIR_REWRITE), "rewrite");
  ck_assert_str_eq(nd_pair_kind_name(ND_PAIR_UNRELATED), "unrelated");
  ck_assert_int_eq(ND_ANCHOR_RUN, 9);
}
END_TEST

START_TEST(test_word_weight)
{
  /* ln((N + 1) / (df + 0.5)) */
  ck_assert_double_eq_tol(nd_word_weight(1, 99), log(100.0 / 1.5), 1e-12);
  ck_assert_double_eq_tol(nd_word_weight(2, 849), log(850.0 / 2.5), 1e-12);
  /* rarer weighs more; a word in every article weighs almost nothing, never below 0 */
  ck_assert_double_gt(nd_word_weight(2, 1000), nd_word_weight(20, 1000));
  ck_assert_double_lt(nd_word_weight(1000, 1000), 0.001);
  ck_assert_double_ge(nd_word_weight(65535, 1000), 0.0);
}
END_TEST

/* Three words each; two shared. Weights by df from a table. */
START_TEST(test_vocabulary_by_hand)
{
  g_autofree float *w = g_new(float, G_MAXUINT16 + 1);
  for (guint df = 0; df <= G_MAXUINT16; df++)
    w[df] = (float)nd_word_weight(df, 100);
  guint32 wa[] = { 10, 20, 30 }, wb[] = { 20, 30, 40 };
  guint16 fa[] = { 1, 2, 50 }, fb[] = { 2, 50, 1 };
  double sa = w[1] + w[2] + w[50], sb = w[2] + w[50] + w[1];
  NdWordProfile a = { wa, fa, 3, sa }, b = { wb, fb, 3, sb };
  NdPair p = { 0 };
  nd_score_vocabulary(&a, &b, w, &p);
  ck_assert(p.has_vocabulary);
  double shared = w[2] + w[50];
  ck_assert_double_eq_tol(p.vocabulary_a_in_b, shared / sa, 1e-6);
  ck_assert_double_eq_tol(p.vocabulary_b_in_a, shared / sb, 1e-6);
  /* the common word (df 50) adds little: the pair shares the rare one (df 2) */
  ck_assert_double_gt(w[2], 5 * w[50]);
  /* nothing shared */
  guint32 wc[] = { 1, 2 };
  guint16 fc[] = { 3, 3 };
  NdWordProfile c = { wc, fc, 2, 2 * w[3] };
  nd_score_vocabulary(&a, &c, w, &p);
  ck_assert_double_eq(p.vocabulary_a_in_b, 0.0);
  ck_assert_double_eq(p.vocabulary_b_in_a, 0.0);
}
END_TEST

/* Without batch statistics: the containment rule (and min_shared); kinds. */
START_TEST(test_report_without_vocabulary)
{
  NdReportRule r = default_rule();
  NdPair p = { .shared = 100, .jaccard = 0.5, .containment_a_in_b = 0.6, .containment_b_in_a = 0.6 };
  ck_assert(nd_pair_report(&p, &r));
  ck_assert_int_eq(p.kind, ND_PAIR_NEAR_DUPLICATE);
  ck_assert_double_eq(p.score, 0.6); /* the containment */
  p.jaccard = 0.49;
  ck_assert(nd_pair_report(&p, &r));
  ck_assert_int_eq(p.kind, ND_PAIR_REUSE);
  p.containment_a_in_b = 0.1;
  p.containment_b_in_a = 0.2;
  ck_assert(nd_pair_report(&p, &r)); /* either direction, at the threshold */
  p.containment_b_in_a = 0.19;
  ck_assert(!nd_pair_report(&p, &r));
  ck_assert_int_eq(p.kind, ND_PAIR_UNRELATED);
  p.containment_a_in_b = 0.9;
  p.shared = 7;
  ck_assert(!nd_pair_report(&p, &r)); /* below min_shared */
  p.shared = 8;
  ck_assert(nd_pair_report(&p, &r));
  r.containment = 0;
  ck_assert(!nd_pair_report(&p, &r));
  /* a high passage share does not count without the vocabulary: the containment rule applies */
  r = default_rule();
  NdPair q = { .shared = 50, .jaccard = 0.1, .containment_a_in_b = 0.15, .passage_a_in_b = 0.9 };
  ck_assert(!nd_pair_report(&q, &r));
}
END_TEST

/* With batch statistics: score = max(vocabulary x (1 + containment), 1.25 x passage) >= rule.score. */
START_TEST(test_report_with_vocabulary)
{
  NdReportRule r = default_rule();
  NdPair p = { .shared = 0, .jaccard = 0.05, .has_vocabulary = TRUE, .vocabulary_a_in_b = 0.6,
               .vocabulary_b_in_a = 0.25 };
  ck_assert(nd_pair_report(&p, &r));
  ck_assert_double_eq_tol(p.score, 0.25, 1e-12); /* shared both ways: the smaller */
  ck_assert_int_eq(p.kind, ND_PAIR_REWRITE);    /* no verbatim overlap at all */
  p.vocabulary_b_in_a = 0.2;
  ck_assert(!nd_pair_report(&p, &r));
  p.containment_a_in_b = 0.15; /* 0.2 x 1.15 = 0.23 */
  p.shared = 3;
  ck_assert(nd_pair_report(&p, &r));
  ck_assert_double_eq_tol(p.score, 0.23, 1e-12);
  ck_assert_int_eq(p.kind, ND_PAIR_REWRITE);
  /* a short text inside a long one: little vocabulary both ways, but a fifth of it in passages */
  NdPair q = { .shared = 120, .jaccard = 0.1, .containment_b_in_a = 0.3, .has_vocabulary = TRUE,
               .vocabulary_a_in_b = 0.1, .vocabulary_b_in_a = 0.5, .passage_b_in_a = 0.2 };
  ck_assert(nd_pair_report(&q, &r));
  ck_assert_double_eq_tol(q.score, 0.25, 1e-12);
  ck_assert_int_eq(q.kind, ND_PAIR_REUSE); /* containment >= 0.2 */
  /* much scattered 3-gram overlap alone is not enough: ND pairs of one story share names and quotes */
  NdPair n = { .shared = 60, .jaccard = 0.1, .containment_a_in_b = 0.3, .has_vocabulary = TRUE,
               .vocabulary_a_in_b = 0.15, .vocabulary_b_in_a = 0.12, .passage_a_in_b = 0.05 };
  ck_assert(!nd_pair_report(&n, &r));
  /* score 0: the containment rule even with the vocabulary (dedup) */
  r.score = 0;
  ck_assert(nd_pair_report(&n, &r));
  ck_assert_int_eq(n.kind, ND_PAIR_REUSE);
  /* the score never exceeds 1 */
  NdPair big = { .has_vocabulary = TRUE, .vocabulary_a_in_b = 1, .vocabulary_b_in_a = 1, .containment_a_in_b = 1 };
  ck_assert_double_eq(nd_pair_score(&big), 1.0);
}
END_TEST

/* The vocabulary can be skipped exactly when even sharing every word of the lighter document would
 * not report the pair. */
START_TEST(test_needs_vocabulary)
{
  NdReportRule r = default_rule();
  NdPair p = { .shared = 5, .jaccard = 0.05, .containment_a_in_b = 0.05 };
  /* weights 10 and 100: at most 0.1 both ways, x 1.05 < 0.225 */
  ck_assert(!nd_pair_needs_vocabulary(&p, 10, 100, &r));
  ck_assert(!nd_pair_needs_vocabulary(&p, 100, 10, &r));
  /* weights 30 and 100: up to 0.3 */
  ck_assert(nd_pair_needs_vocabulary(&p, 30, 100, &r));
  /* reported anyway (near-duplicate): the vocabulary is wanted for the output */
  p.jaccard = 0.7;
  ck_assert(nd_pair_needs_vocabulary(&p, 10, 100, &r));
}
END_TEST

/* nd_score_pair on signed documents: exact set scores and the passage shares. */
START_TEST(test_score_documents)
{
  NdSignParams sp;
  nd_sign_params_init(&sp);
  g_autoptr(NdSigner) s = nd_signer_new(&sp);
  guint64 st = 5;
  g_autoptr(GPtrArray) w = g_ptr_array_new_with_free_func(g_free);
  gen_words(&st, 400, w);
  GString *a = g_string_new(NULL), *b = g_string_new(NULL);
  for (guint i = 0; i < 400; i++)
    g_string_append_printf(a, "%s ", (char *)g_ptr_array_index(w, i));
  for (guint i = 0; i < 100; i++) /* B: the first quarter of A */
    g_string_append_printf(b, "%s ", (char *)g_ptr_array_index(w, i));
  g_autoptr(NdDocument) da = nd_signer_sign(s, "a", a->str, a->len, NULL);
  g_autoptr(NdDocument) db = nd_signer_sign(s, "b", b->str, b->len, NULL);
  g_string_free(a, TRUE);
  g_string_free(b, TRUE);
  NdPair p = { .a = 7, .b = 9 };
  nd_score_pair(da, db, sp.num_perm, ND_VERIFY_EXACT, &p);
  ck_assert_uint_eq(p.a, 7);
  ck_assert_uint_eq(p.b, 9);
  ck_assert(!p.has_vocabulary);
  ck_assert_double_eq_tol(p.containment_b_in_a, 1.0, 1e-9); /* all of B's 3-grams are in A */
  ck_assert_double_gt(p.containment_a_in_b, 0.2);
  ck_assert_double_lt(p.containment_a_in_b, 0.3);
  ck_assert_double_eq_tol(p.passage_b_in_a, 1.0, 1e-9); /* B is one passage of A */
  ck_assert_double_gt(p.passage_a_in_b, 0.15);
  ck_assert_double_lt(p.passage_a_in_b, 0.35);
  ck_assert_double_eq_tol(p.jaccard, (double)p.shared / (da->set_size + db->set_size - p.shared), 1e-12);
}
END_TEST


/* Quotations: a pair whose shared passages are all quoted in both is no reuse unless asked. */
START_TEST(test_quotation_rule)
{
  NdReportRule r = default_rule();
  ck_assert_int_eq(r.quotations, ND_QUOTATIONS_DROP);
  NdPair p = { 0 };
  p.a = 0;
  p.b = 1;
  p.jaccard = 0.05;
  p.containment_a_in_b = p.containment_b_in_a = 0.1;
  p.shared = 40;
  p.has_vocabulary = TRUE;
  p.vocabulary_a_in_b = p.vocabulary_b_in_a = 0.1;
  p.passage_a_in_b = p.passage_b_in_a = 0.3;
  p.quotation_a_in_b = p.quotation_b_in_a = 0.3; /* every shared anchor quoted */
  ck_assert_double_eq_tol(nd_pair_quotation_share(&p), 1.0, 1e-12);
  NdPair q = p;
  ck_assert(!nd_pair_report(&q, &r));
  ck_assert_int_eq(q.kind, ND_PAIR_UNRELATED);
  r.quotations = ND_QUOTATIONS_LIST;
  q = p;
  ck_assert(nd_pair_report(&q, &r));
  ck_assert_int_eq(q.kind, ND_PAIR_QUOTATION);
  ck_assert_str_eq(nd_pair_kind_name(q.kind), "quotation");
  r.quotations = ND_QUOTATIONS_COUNT;
  q = p;
  ck_assert(nd_pair_report(&q, &r));
  ck_assert_int_eq(q.kind, ND_PAIR_REWRITE); /* containment 0.1 < 0.2 */
  /* A sixth of the shared text quoted: the narrative rest still reports it, as before. */
  r.quotations = ND_QUOTATIONS_DROP;
  q = p;
  q.quotation_a_in_b = q.quotation_b_in_a = 0.05;
  ck_assert(nd_pair_report(&q, &r));
  ck_assert_int_eq(q.kind, ND_PAIR_REWRITE);
  /* Near-duplicates stay near-duplicates, quoted or not. */
  q = p;
  q.jaccard = 0.9;
  ck_assert(nd_pair_report(&q, &r));
  ck_assert_int_eq(q.kind, ND_PAIR_NEAR_DUPLICATE);
  /* No passage shared: share 0. */
  q = p;
  q.passage_a_in_b = q.passage_b_in_a = q.quotation_a_in_b = q.quotation_b_in_a = 0;
  ck_assert_double_eq(nd_pair_quotation_share(&q), 0.0);
}
END_TEST

/* End to end through the signer and the finder: two short articles sharing only a long statement
 * both quote (other quote marks on each side) are not reported at defaults, are listed as a
 * quotation when asked; the same words shared unquoted are reuse. */
START_TEST(test_quotation_pairs)
{
  g_autofree char *statement = gen_article(77, 60);
  for (char *c = statement; *c; c++) /* one paragraph: a quotation ends with its line */
    if (*c == '\n')
      *c = ' ';
  g_autofree char *own_a = gen_article(78, 40), *own_b = gen_article(79, 40);
  for (char *c = own_a; *c; c++)
    if (*c == '\n')
      *c = ' ';
  for (char *c = own_b; *c; c++)
    if (*c == '\n')
      *c = ' ';
  char *texts[3];
  texts[0] = g_strdup_printf("%s\nThe minister said: “%s”\n", own_a, statement);
  texts[1] = g_strdup_printf("%s\n«%s», said the minister.\n", own_b, statement);
  texts[2] = g_strdup_printf("%s\nThe minister said %s\n", own_b, statement); /* unquoted */
  NdSignParams sp;
  nd_sign_params_init(&sp);
  g_autoptr(NdSigner) signer = nd_signer_new(&sp);
  for (int mode = 0; mode < 3; mode++) {
    NdCollection *c = nd_collection_new(&sp);
    for (int i = 0; i < 3; i++) {
      g_autofree char *id = g_strdup_printf("d%d", i);
      NdDocument *d = nd_signer_sign(signer, id, texts[i], strlen(texts[i]), NULL);
      ck_assert_ptr_nonnull(d);
      if (i < 2)
        ck_assert_uint_gt(d->n_quoted_anchors, 0);
      else
        ck_assert_uint_eq(d->n_quoted_anchors, 0);
      ck_assert(nd_collection_add(c, d, NULL));
    }
    NdFindOptions o;
    nd_find_options_init(&o);
    o.quotations = (NdQuotations)mode;
    g_autoptr(GArray) pairs = nd_find_pairs(c, &o, NULL, NULL);
    ck_assert_ptr_nonnull(pairs);
    const NdPair *q01 = NULL, *q02 = NULL;
    for (guint k = 0; k < pairs->len; k++) {
      const NdPair *p = &g_array_index(pairs, NdPair, k);
      if (p->a == 0 && p->b == 1)
        q01 = p;
      if (p->a == 0 && p->b == 2)
        q02 = p;
    }
    /* d0-d2 share the statement quoted on one side only: narrative, reported in every mode. */
    ck_assert_msg(q02 != NULL && q02->kind != ND_PAIR_QUOTATION, "mode %d: d0-d2", mode);
    ck_assert_double_eq(q02->quotation_a_in_b, 0.0);
    if (mode == ND_QUOTATIONS_DROP)
      ck_assert_msg(q01 == NULL, "d0-d1 reported as %s", q01 ? nd_pair_kind_name(q01->kind) : "");
    else if (mode == ND_QUOTATIONS_LIST)
      ck_assert(q01 != NULL && q01->kind == ND_PAIR_QUOTATION && nd_pair_quotation_share(q01) > 0.9);
    else
      ck_assert(q01 != NULL && q01->kind != ND_PAIR_QUOTATION);
    nd_collection_free(c);
  }
  for (int i = 0; i < 3; i++)
    g_free(texts[i]);
}
END_TEST

static Suite *
score_suite(void)
{
  Suite *s = suite_create("score");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_defaults_and_names);
  tcase_add_test(tc, test_quotation_rule);
  tcase_add_test(tc, test_quotation_pairs);
  tcase_add_test(tc, test_word_weight);
  tcase_add_test(tc, test_vocabulary_by_hand);
  tcase_add_test(tc, test_report_without_vocabulary);
  tcase_add_test(tc, test_report_with_vocabulary);
  tcase_add_test(tc, test_needs_vocabulary);
  tcase_add_test(tc, test_score_documents);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(score_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

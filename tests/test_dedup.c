/* test_dedup.c — the dedup plan (dedup.h): groups within a batch and with the archive's groups,
 * joining the group of the best match, archived groups that never merge, keep and rekeep policies
 * with missing dates, batches run again, withdrawn groups, numbering, and order independence. */
#include <check.h>
#include <neardup/neardup.h>
#include <string.h>
#include "test_util.h"

static NdPair
pair(guint a, guint b, double jaccard, double c_ab, double c_ba)
{
  NdPair p = { .a = a, .b = b, .shared = 100, .jaccard = jaccard, .containment_a_in_b = c_ab, .containment_b_in_a = c_ba };
  return p;
}

static NdDedupArticle
article(const char *id, guint64 bytes)
{
  NdDedupArticle a = { .id = id, .bytes = bytes };
  return a;
}

static NdDedupArticle
dated(const char *id, guint64 bytes, gint64 date)
{
  NdDedupArticle a = { .id = id, .bytes = bytes, .has_date = TRUE, .date = date };
  return a;
}

static NdDedupPlan *
solve(NdDedupPlan *plan, guint64 next_group)
{
  GError *error = NULL;
  ck_assert_msg(nd_dedup_plan_solve(plan, next_group, &error), "solve: %s", error ? error->message : "?");
  return plan;
}

static const NdDedupOptions keep_first = { ND_KEEP_FIRST, ND_REKEEP_NEVER, ND_DATE_MISSING_LAST };

START_TEST(test_batch_only)
{
  /* a-b-c chain, d alone, e-f: groups 1 (a b c), 2 (d), 3 (e f) in input order of first members. */
  NdDedupArticle arts[] = { article("a", 100), article("b", 300), article("c", 200), article("d", 50),
                            article("e", 10), article("f", 20) };
  NdPair pairs[] = { pair(0, 1, 0.9, 0.95, 0.95), pair(1, 2, 0.6, 0.7, 0.8), pair(4, 5, 0.7, 0.8, 0.8) };
  g_autoptr(NdDedupPlan) plan = nd_dedup_plan_new(&keep_first, arts, G_N_ELEMENTS(arts));
  nd_dedup_plan_add_pairs(plan, pairs, G_N_ELEMENTS(pairs));
  solve(plan, 1);
  const guint64 want_group[] = { 1, 1, 1, 2, 3, 3 };
  for (guint i = 0; i < G_N_ELEMENTS(arts); i++) {
    const NdDedupResult *r = nd_dedup_plan_result(plan, i);
    ck_assert_uint_eq(r->group, want_group[i]);
    ck_assert(r->new_group);
  }
  ck_assert_uint_eq(nd_dedup_plan_new_groups(plan), 3);
  ck_assert_int_eq(nd_dedup_plan_result(plan, 0)->status, ND_DEDUP_KEPT);
  ck_assert_int_eq(nd_dedup_plan_result(plan, 1)->status, ND_DEDUP_DROPPED);
  ck_assert_str_eq(nd_dedup_plan_result(plan, 2)->kept_id, "a");
  ck_assert_int_eq(nd_dedup_plan_result(plan, 2)->kept_article, 0);
  /* c joined through b, its best (only) match; its containment is the share of c found in b */
  ck_assert_str_eq(nd_dedup_plan_result(plan, 2)->match_id, "b");
  ck_assert_int_eq(nd_dedup_plan_result(plan, 2)->match_article, 1);
  ck_assert(nd_dedup_plan_result(plan, 2)->containment == 0.8);
  ck_assert(nd_dedup_plan_result(plan, 1)->containment == 0.95); /* b's best is a (0.95 > 0.8) */
  ck_assert_str_eq(nd_dedup_plan_result(plan, 1)->match_id, "a");
  ck_assert_int_eq(nd_dedup_plan_result(plan, 3)->status, ND_DEDUP_KEPT);
  ck_assert_ptr_null(nd_dedup_plan_result(plan, 3)->match_id);
  ck_assert_int_eq(nd_dedup_plan_result(plan, 3)->match_article, -1);
  for (guint i = 0; i < G_N_ELEMENTS(arts); i++)
    ck_assert(nd_dedup_plan_to_archive(plan, i));
  /* numbering continues an archive's numbers */
  g_autoptr(NdDedupPlan) later = nd_dedup_plan_new(&keep_first, arts, G_N_ELEMENTS(arts));
  nd_dedup_plan_add_pairs(later, pairs, G_N_ELEMENTS(pairs));
  solve(later, 41);
  ck_assert_uint_eq(nd_dedup_plan_result(later, 5)->group, 43);
}
END_TEST

START_TEST(test_keep_policies)
{
  /* one group of four: r4 first (no date), r2 longest, r3 earliest */
  NdDedupArticle arts[] = { article("r4", 100), dated("r1", 110, 500), dated("r2", 300, 300), dated("r3", 120, 100) };
  NdPair pairs[] = { pair(0, 1, 0.9, 0.9, 0.9), pair(0, 2, 0.8, 0.9, 0.9), pair(0, 3, 0.85, 0.9, 0.9) };
  struct {
    NdKeepPolicy keep;
    NdDateMissing missing;
    const char *kept;
  } cases[] = { { ND_KEEP_FIRST, ND_DATE_MISSING_LAST, "r4" }, { ND_KEEP_LONGEST, ND_DATE_MISSING_LAST, "r2" },
                { ND_KEEP_EARLIEST, ND_DATE_MISSING_LAST, "r3" }, { ND_KEEP_EARLIEST, ND_DATE_MISSING_FIRST, "r4" } };
  for (gsize c = 0; c < G_N_ELEMENTS(cases); c++) {
    NdDedupOptions o = { cases[c].keep, ND_REKEEP_NEVER, cases[c].missing };
    g_autoptr(NdDedupPlan) plan = nd_dedup_plan_new(&o, arts, G_N_ELEMENTS(arts));
    nd_dedup_plan_add_pairs(plan, pairs, G_N_ELEMENTS(pairs));
    solve(plan, 1);
    guint kept = 0;
    for (guint i = 0; i < G_N_ELEMENTS(arts); i++) {
      const NdDedupResult *r = nd_dedup_plan_result(plan, i);
      ck_assert_str_eq(r->kept_id, cases[c].kept);
      kept += r->status == ND_DEDUP_KEPT;
      ck_assert_int_eq(r->status == ND_DEDUP_KEPT, strcmp(arts[i].id, cases[c].kept) == 0);
    }
    ck_assert_uint_eq(kept, 1);
  }
  /* ties: the first in input order */
  NdDedupArticle same[] = { dated("x", 10, 7), dated("y", 10, 7) };
  NdPair xy = pair(0, 1, 1, 1, 1);
  NdDedupOptions longest = { ND_KEEP_LONGEST, ND_REKEEP_NEVER, ND_DATE_MISSING_LAST };
  NdDedupOptions earliest = { ND_KEEP_EARLIEST, ND_REKEEP_NEVER, ND_DATE_MISSING_LAST };
  g_autoptr(NdDedupPlan) p1 = nd_dedup_plan_new(&longest, same, 2);
  nd_dedup_plan_add_pairs(p1, &xy, 1);
  ck_assert_str_eq(nd_dedup_plan_result(solve(p1, 1), 1)->kept_id, "x");
  g_autoptr(NdDedupPlan) p2 = nd_dedup_plan_new(&earliest, same, 2);
  nd_dedup_plan_add_pairs(p2, &xy, 1);
  ck_assert_str_eq(nd_dedup_plan_result(solve(p2, 1), 1)->kept_id, "x");
}
END_TEST

/* The drift of the issue: batch 1 kept a mis-dated copy K and dropped the wire story W (both
 * archived in group 7); a reprint of W matches W at 0.76 and K at 0.50 and must join group 7. */
START_TEST(test_drift_joins_group_of_best_match)
{
  NdDedupArticle arts[] = { article("reprint", 4000) };
  g_autoptr(NdDedupPlan) plan = nd_dedup_plan_new(&keep_first, arts, 1);
  NdPair to_w = pair(0, 0, 0.76, 0.86, 0.86), to_k = pair(0, 0, 0.50, 0.66, 0.66);
  nd_dedup_plan_add_archived(plan, 0, 7, "K", &to_k);
  nd_dedup_plan_add_archived(plan, 0, 7, "W", &to_w);
  NdDedupGroup g = { 7, "K", 5000, FALSE, 0 };
  nd_dedup_plan_add_group(plan, &g);
  solve(plan, 100);
  const NdDedupResult *r = nd_dedup_plan_result(plan, 0);
  ck_assert_uint_eq(r->group, 7);
  ck_assert(!r->new_group);
  ck_assert_int_eq(r->status, ND_DEDUP_DROPPED);
  ck_assert_str_eq(r->kept_id, "K");
  ck_assert_int_eq(r->kept_article, -1);
  ck_assert_str_eq(r->match_id, "W");
  ck_assert(r->jaccard == 0.76);
  ck_assert_uint_eq(nd_dedup_plan_new_groups(plan), 0);
}
END_TEST

START_TEST(test_archived_groups_never_merge)
{
  /* a matches group 1 (0.9) and b; b matches group 2 (0.95); a-b 0.5: a joins 1, b joins 2.
   * c matches a (0.97) best, so joins group 1 through a; d matches only b, joins group 2. */
  NdDedupArticle arts[] = { article("a", 1), article("b", 1), article("c", 1), article("d", 1) };
  NdPair pairs[] = { pair(0, 1, 0.5, 0.6, 0.6), pair(0, 2, 0.97, 0.97, 0.97), pair(1, 3, 0.6, 0.6, 0.6) };
  g_autoptr(NdDedupPlan) plan = nd_dedup_plan_new(&keep_first, arts, 4);
  nd_dedup_plan_add_pairs(plan, pairs, G_N_ELEMENTS(pairs));
  NdPair a1 = pair(0, 0, 0.9, 0.9, 0.9), b2 = pair(1, 0, 0.95, 0.95, 0.95), c1 = pair(2, 0, 0.3, 0.95, 0.3);
  nd_dedup_plan_add_archived(plan, 0, 1, "g1-kept", &a1);
  nd_dedup_plan_add_archived(plan, 1, 2, "g2-kept", &b2);
  nd_dedup_plan_add_archived(plan, 2, 1, "g1-kept", &c1);
  NdDedupGroup g1 = { 1, "g1-kept", 1, FALSE, 0 }, g2 = { 2, "g2-kept", 1, FALSE, 0 };
  nd_dedup_plan_add_group(plan, &g1);
  nd_dedup_plan_add_group(plan, &g2);
  solve(plan, 3);
  ck_assert_uint_eq(nd_dedup_plan_result(plan, 0)->group, 1);
  ck_assert_uint_eq(nd_dedup_plan_result(plan, 1)->group, 2);
  ck_assert_uint_eq(nd_dedup_plan_result(plan, 2)->group, 1);
  ck_assert_str_eq(nd_dedup_plan_result(plan, 2)->match_id, "a");
  ck_assert_uint_eq(nd_dedup_plan_result(plan, 3)->group, 2);
  for (guint i = 0; i < 4; i++) {
    ck_assert_int_eq(nd_dedup_plan_result(plan, i)->status, ND_DEDUP_DROPPED);
    ck_assert_int_eq(nd_dedup_plan_result(plan, i)->kept_article, -1);
  }
  ck_assert_str_eq(nd_dedup_plan_result(plan, 3)->kept_id, "g2-kept");
}
END_TEST

START_TEST(test_already_archived)
{
  /* A batch run again: s is archived (kept, group 4); t is archived (dropped, group 4, joined
   * through s); u is new and matches t. Nothing of s and t is archived again. */
  NdDedupArticle arts[] = { article("s", 10), article("t", 10), article("u", 10) };
  arts[0].archived_group = arts[1].archived_group = 4;
  arts[0].archived_kept = TRUE;
  arts[1].archived_match = "s";
  arts[1].archived_jaccard = 0.8;
  arts[1].archived_containment = 0.9;
  NdPair pairs[] = { pair(0, 1, 0.8, 0.9, 0.9), pair(1, 2, 0.7, 0.8, 0.8) };
  g_autoptr(NdDedupPlan) plan = nd_dedup_plan_new(&keep_first, arts, 3);
  nd_dedup_plan_add_pairs(plan, pairs, 2);
  NdPair self = pair(0, 0, 1, 1, 1);
  nd_dedup_plan_add_archived(plan, 0, 4, "s", &self);
  nd_dedup_plan_add_archived(plan, 1, 4, "t", &self);
  NdDedupGroup g = { 4, "s", 10, FALSE, 0 };
  nd_dedup_plan_add_group(plan, &g);
  solve(plan, 5);
  ck_assert_int_eq(nd_dedup_plan_result(plan, 0)->status, ND_DEDUP_KEPT);
  ck_assert_int_eq(nd_dedup_plan_result(plan, 0)->kept_article, 0);
  ck_assert_int_eq(nd_dedup_plan_result(plan, 1)->status, ND_DEDUP_DROPPED);
  ck_assert_str_eq(nd_dedup_plan_result(plan, 1)->match_id, "s"); /* as archived */
  ck_assert(nd_dedup_plan_result(plan, 1)->jaccard == 0.8);
  ck_assert_uint_eq(nd_dedup_plan_result(plan, 2)->group, 4);
  ck_assert_str_eq(nd_dedup_plan_result(plan, 2)->kept_id, "s");
  ck_assert_int_eq(nd_dedup_plan_result(plan, 2)->kept_article, 0);
  ck_assert(!nd_dedup_plan_to_archive(plan, 0));
  ck_assert(!nd_dedup_plan_to_archive(plan, 1));
  ck_assert(nd_dedup_plan_to_archive(plan, 2));
  ck_assert_uint_eq(nd_dedup_plan_new_groups(plan), 0);
}
END_TEST

START_TEST(test_rekeep)
{
  /* group 9 keeps K (dated 1000, 500 bytes); the batch brings e (dated 10, 400 bytes) and l (undated,
   * 900 bytes), both in group 9. */
  NdDedupArticle arts[] = { dated("e", 400, 10), article("l", 900) };
  NdPair el = pair(0, 1, 0.8, 0.8, 0.8), ek = pair(0, 0, 0.9, 0.9, 0.9);
  NdDedupGroup g = { 9, "K", 500, TRUE, 1000 };
  struct {
    NdRekeepPolicy rekeep;
    NdDateMissing missing;
    const char *kept;
  } cases[] = { { ND_REKEEP_NEVER, ND_DATE_MISSING_LAST, "K" }, { ND_REKEEP_EARLIEST, ND_DATE_MISSING_LAST, "e" },
                { ND_REKEEP_LONGEST, ND_DATE_MISSING_LAST, "l" }, { ND_REKEEP_EARLIEST, ND_DATE_MISSING_FIRST, "l" } };
  for (gsize c = 0; c < G_N_ELEMENTS(cases); c++) {
    NdDedupOptions o = { ND_KEEP_FIRST, cases[c].rekeep, cases[c].missing };
    g_autoptr(NdDedupPlan) plan = nd_dedup_plan_new(&o, arts, 2);
    nd_dedup_plan_add_pairs(plan, &el, 1);
    nd_dedup_plan_add_archived(plan, 0, 9, "K", &ek);
    nd_dedup_plan_add_group(plan, &g);
    solve(plan, 10);
    guint n_sup = 0;
    const NdDedupSuperseded *sup = nd_dedup_plan_superseded(plan, &n_sup);
    for (guint i = 0; i < 2; i++) {
      const NdDedupResult *r = nd_dedup_plan_result(plan, i);
      ck_assert_uint_eq(r->group, 9);
      ck_assert_str_eq(r->kept_id, cases[c].kept);
      ck_assert_int_eq(r->rekept, strcmp(arts[i].id, cases[c].kept) == 0);
      ck_assert_int_eq(r->status == ND_DEDUP_KEPT, strcmp(arts[i].id, cases[c].kept) == 0);
    }
    if (strcmp(cases[c].kept, "K") == 0) {
      ck_assert_uint_eq(n_sup, 0);
    } else {
      ck_assert_uint_eq(n_sup, 1);
      ck_assert_str_eq(sup[0].id, "K");
      ck_assert_uint_eq(sup[0].group, 9);
      ck_assert_str_eq(arts[sup[0].new_kept].id, cases[c].kept);
      /* the kept copy failed: nothing of group 9 is archived, the rekeep is off */
      nd_dedup_plan_withdraw(plan, sup[0].new_kept);
      nd_dedup_plan_superseded(plan, &n_sup);
      ck_assert_uint_eq(n_sup, 0);
      ck_assert(!nd_dedup_plan_to_archive(plan, 0) && !nd_dedup_plan_to_archive(plan, 1));
    }
  }
}
END_TEST

START_TEST(test_withdraw_only_its_group)
{
  NdDedupArticle arts[] = { article("a", 1), article("b", 1), article("c", 1) };
  NdPair ab = pair(0, 1, 0.9, 0.9, 0.9);
  g_autoptr(NdDedupPlan) plan = nd_dedup_plan_new(&keep_first, arts, 3);
  nd_dedup_plan_add_pairs(plan, &ab, 1);
  solve(plan, 1);
  nd_dedup_plan_withdraw(plan, 0);
  ck_assert(!nd_dedup_plan_to_archive(plan, 0));
  ck_assert(!nd_dedup_plan_to_archive(plan, 1));
  ck_assert(nd_dedup_plan_to_archive(plan, 2));
  ck_assert_int_eq(nd_dedup_plan_result(plan, 0)->status, ND_DEDUP_KEPT); /* the decision stands */
}
END_TEST

START_TEST(test_errors)
{
  NdDedupArticle arts[] = { article("a", 1), article("b", 1) };
  GError *error = NULL;
  g_autoptr(NdDedupPlan) p1 = nd_dedup_plan_new(&keep_first, arts, 2);
  NdPair s = pair(0, 0, 1, 1, 1);
  nd_dedup_plan_add_archived(p1, 0, 3, "x", &s);
  ck_assert(!nd_dedup_plan_solve(p1, 4, &error));
  ck_assert_int_eq(error->code, ND_ERROR_INVALID_ARG);
  ck_assert(strstr(error->message, "group 3") != NULL);
  g_clear_error(&error);
  g_autoptr(NdDedupPlan) p2 = nd_dedup_plan_new(&keep_first, arts, 2);
  NdPair bad = pair(0, 5, 1, 1, 1);
  nd_dedup_plan_add_pairs(p2, &bad, 1);
  ck_assert(!nd_dedup_plan_solve(p2, 1, &error));
  ck_assert_int_eq(error->code, ND_ERROR_INVALID_ARG);
  g_clear_error(&error);
  NdDedupArticle archived[] = { article("z", 1) };
  archived[0].archived_group = 12;
  g_autoptr(NdDedupPlan) p3 = nd_dedup_plan_new(&keep_first, archived, 1);
  ck_assert(!nd_dedup_plan_solve(p3, 13, &error));
  g_clear_error(&error);
}
END_TEST

/* The plan does not depend on the order links are given in. */
START_TEST(test_order_independent)
{
  guint64 rng = 1234;
  enum { N = 60, L = 150 };
  NdDedupArticle arts[N];
  char ids[N][8];
  for (guint i = 0; i < N; i++) {
    g_snprintf(ids[i], sizeof ids[i], "n%u", i);
    arts[i] = dated(ids[i], rand_range(&rng, 1, 50), (gint64)rand_range(&rng, 0, 5));
  }
  NdPair links[L];
  guint64 groups[L];
  for (guint k = 0; k < L; k++) {
    guint a = (guint)rand_range(&rng, 0, N - 1), b = (a + 1 + (guint)rand_range(&rng, 0, N - 2)) % N;
    double j = (double)rand_range(&rng, 1, 20) / 20;
    links[k] = pair(MIN(a, b), MAX(a, b), j, j, j);
    groups[k] = k % 3 == 0 ? rand_range(&rng, 1, 5) : 0; /* a third go to archived groups 1..5 */
  }
  NdDedupOptions o = { ND_KEEP_EARLIEST, ND_REKEEP_EARLIEST, ND_DATE_MISSING_LAST };
  const char *gids[] = { "", "k1", "k2", "k3", "k4", "k5" };
  NdDedupResult want[N];
  for (int round = 0; round < 5; round++) {
    g_autoptr(NdDedupPlan) plan = nd_dedup_plan_new(&o, arts, N);
    for (guint g = 1; g <= 5; g++) {
      NdDedupGroup dg = { g, gids[g], 25, TRUE, 3 };
      nd_dedup_plan_add_group(plan, &dg);
    }
    guint order[L];
    for (guint k = 0; k < L; k++)
      order[k] = k;
    for (guint k = L - 1; round > 0 && k > 0; k--) {
      guint j = (guint)rand_range(&rng, 0, k), t = order[k];
      order[k] = order[j];
      order[j] = t;
    }
    for (guint k = 0; k < L; k++) {
      const NdPair *p = &links[order[k]];
      if (groups[order[k]] != 0)
        nd_dedup_plan_add_archived(plan, p->a, groups[order[k]], gids[groups[order[k]]], p);
      else
        nd_dedup_plan_add_pairs(plan, p, 1);
    }
    solve(plan, 6);
    for (guint i = 0; i < N; i++) {
      const NdDedupResult *r = nd_dedup_plan_result(plan, i);
      if (round == 0) {
        want[i] = *r;
        continue;
      }
      ck_assert_uint_eq(r->group, want[i].group);
      ck_assert_int_eq(r->status, want[i].status);
      ck_assert_str_eq(r->kept_id, want[i].kept_id);
      ck_assert_int_eq(r->match_article, want[i].match_article);
      ck_assert(r->jaccard == want[i].jaccard);
    }
    /* every group keeps exactly one article (archived groups without a rekeep keep theirs) */
    g_autoptr(GHashTable) kept = g_hash_table_new(g_int64_hash, g_int64_equal);
    for (guint i = 0; i < N; i++) {
      const NdDedupResult *r = nd_dedup_plan_result(plan, i);
      if (r->status == ND_DEDUP_KEPT) {
        ck_assert_msg(!g_hash_table_contains(kept, &r->group), "group %" G_GUINT64_FORMAT " keeps two", r->group);
        g_hash_table_add(kept, (gpointer)&r->group);
      }
    }
  }
}
END_TEST

static Suite *
dedup_suite(void)
{
  Suite *s = suite_create("dedup");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_batch_only);
  tcase_add_test(tc, test_keep_policies);
  tcase_add_test(tc, test_drift_joins_group_of_best_match);
  tcase_add_test(tc, test_archived_groups_never_merge);
  tcase_add_test(tc, test_already_archived);
  tcase_add_test(tc, test_rekeep);
  tcase_add_test(tc, test_withdraw_only_its_group);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_order_independent);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(dedup_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}

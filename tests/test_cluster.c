/* test_cluster.c — connected components of reported pairs (cluster.h). */
#include <check.h>
#include <neardup/neardup.h>
#include <stdlib.h>
#include <string.h>
#include "test_util.h"

static NdPair
mk(guint a, guint b)
{
  return (NdPair){ .a = a, .b = b, .shared = 1, .jaccard = 1.0 };
}

static void
assert_clusters(const guint *got, const guint *expect, guint n)
{
  for (guint i = 0; i < n; i++)
    ck_assert_msg(got[i] == expect[i], "document %u: cluster %u, expected %u", i, got[i], expect[i]);
}

START_TEST(test_chain_merges)
{
  NdPair pairs[] = { mk(0, 1), mk(1, 2) };
  guint c[5];
  memset(c, 0xFF, sizeof c);
  ck_assert_uint_eq(nd_cluster_assign(pairs, 2, 5, c), 1);
  const guint expect[] = { 1, 1, 1, 0, 0 };
  assert_clusters(c, expect, 5);
}
END_TEST

START_TEST(test_numbering_by_first_member)
{
  /* components {3,4} and {0,2}; the pair of the later component is listed first */
  NdPair pairs[] = { mk(3, 4), mk(0, 2) };
  guint c[6];
  ck_assert_uint_eq(nd_cluster_assign(pairs, 2, 6, c), 2);
  const guint expect[] = { 1, 0, 1, 2, 2, 0 };
  assert_clusters(c, expect, 6);

  /* three components, members interleaved: {1,5,8}, {2,3}, {4,9}; 0, 6, 7 alone */
  NdPair more[] = { mk(4, 9), mk(5, 8), mk(2, 3), mk(1, 8) };
  guint d[10];
  ck_assert_uint_eq(nd_cluster_assign(more, 4, 10, d), 3);
  const guint expect2[] = { 0, 1, 2, 2, 3, 1, 0, 0, 1, 3 };
  assert_clusters(d, expect2, 10);
}
END_TEST

START_TEST(test_no_pairs)
{
  guint c[4] = { 7, 7, 7, 7 };
  ck_assert_uint_eq(nd_cluster_assign(NULL, 0, 4, c), 0);
  const guint zero[] = { 0, 0, 0, 0 };
  assert_clusters(c, zero, 4);
  ck_assert_uint_eq(nd_cluster_assign(NULL, 0, 0, NULL), 0);
}
END_TEST

START_TEST(test_merging_two_clusters)
{
  /* {0,1} and {2,3} grow separately, then one pair joins them; duplicates are harmless */
  NdPair pairs[] = { mk(0, 1), mk(2, 3), mk(3, 5), mk(0, 1), mk(1, 5), mk(6, 7) };
  guint c[8];
  ck_assert_uint_eq(nd_cluster_assign(pairs, 6, 8, c), 2);
  const guint expect[] = { 1, 1, 1, 1, 0, 1, 2, 2 };
  assert_clusters(c, expect, 8);
}
END_TEST

START_TEST(test_long_chains)
{
  enum { N = 20000 };
  g_autofree NdPair *pairs = g_new(NdPair, N - 1);
  g_autofree guint *c = g_new(guint, N + 1);
  /* forward chain 0-1, 1-2, ... */
  for (guint i = 0; i + 1 < N; i++)
    pairs[i] = mk(i, i + 1);
  c[N] = 12345; /* sentinel: nothing past n_docs is written */
  ck_assert_uint_eq(nd_cluster_assign(pairs, N - 1, N, c), 1);
  for (guint i = 0; i < N; i++)
    ck_assert_uint_eq(c[i], 1);
  ck_assert_uint_eq(c[N], 12345);
  /* the same chain listed backwards */
  for (guint i = 0; i + 1 < N; i++)
    pairs[i] = mk(N - 2 - i, N - 1 - i);
  ck_assert_uint_eq(nd_cluster_assign(pairs, N - 1, N, c), 1);
  for (guint i = 0; i < N; i++)
    ck_assert_uint_eq(c[i], 1);
  /* a star around the last document */
  for (guint i = 0; i + 1 < N; i++)
    pairs[i] = mk(i, N - 1);
  ck_assert_uint_eq(nd_cluster_assign(pairs, N - 1, N, c), 1);
  ck_assert_uint_eq(c[0], 1);
  ck_assert_uint_eq(c[N - 1], 1);
}
END_TEST

/* Reference: label propagation to a fixed point (slow, obviously right). */
static guint
reference_clusters(const NdPair *pairs, gsize n_pairs, guint n, guint *out)
{
  g_autofree guint *label = g_new(guint, n);
  g_autofree gboolean *in_pair = g_new0(gboolean, n);
  for (guint i = 0; i < n; i++)
    label[i] = i;
  for (gsize p = 0; p < n_pairs; p++)
    in_pair[pairs[p].a] = in_pair[pairs[p].b] = TRUE;
  gboolean changed = TRUE;
  while (changed) {
    changed = FALSE;
    for (gsize p = 0; p < n_pairs; p++) {
      guint a = pairs[p].a, b = pairs[p].b, m = MIN(label[a], label[b]);
      if (label[a] != m || label[b] != m) {
        label[a] = label[b] = m;
        changed = TRUE;
      }
    }
  }
  /* label = smallest member; number components in order of their smallest member */
  g_autofree guint *number = g_new0(guint, n);
  guint k = 0;
  for (guint i = 0; i < n; i++) {
    if (!in_pair[i]) {
      out[i] = 0;
      continue;
    }
    if (number[label[i]] == 0)
      number[label[i]] = ++k;
    out[i] = number[label[i]];
  }
  return k;
}

START_TEST(test_random_against_reference)
{
  guint64 st = 31337;
  for (int round = 0; round < 30; round++) {
    guint n = (guint)rand_range(&st, 2, 600);
    gsize n_pairs = (gsize)rand_range(&st, 0, n);
    g_autofree NdPair *pairs = g_new(NdPair, n_pairs + 1);
    for (gsize p = 0; p < n_pairs; p++) {
      guint a = (guint)rand_range(&st, 0, n - 1), b = (guint)rand_range(&st, 0, n - 1);
      if (a == b)
        b = (a + 1) % n;
      pairs[p] = a < b ? mk(a, b) : mk(b, a);
    }
    g_autofree guint *got = g_new(guint, n);
    g_autofree guint *want = g_new(guint, n);
    guint k_got = nd_cluster_assign(pairs, n_pairs, n, got);
    guint k_want = reference_clusters(pairs, n_pairs, n, want);
    ck_assert_uint_eq(k_got, k_want);
    assert_clusters(got, want, n);
  }
}
END_TEST

static Suite *
cluster_suite(void)
{
  Suite *s = suite_create("cluster");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_chain_merges);
  tcase_add_test(tc, test_numbering_by_first_member);
  tcase_add_test(tc, test_no_pairs);
  tcase_add_test(tc, test_merging_two_clusters);
  tcase_add_test(tc, test_long_chains);
  tcase_add_test(tc, test_random_against_reference);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(cluster_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

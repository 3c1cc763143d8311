/* test_sort.c — the private radix sorts (src/sort.h) against qsort, at every size class (insertion
 * sort, one-scatter sort for article-sized inputs, LSD passes beyond) and on skewed keys. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "sort.h"

static int
cmp_u32(const void *x, const void *y)
{
  guint32 a = *(const guint32 *)x, b = *(const guint32 *)y;
  return a < b ? -1 : a > b;
}

static int
cmp_u64(const void *x, const void *y)
{
  guint64 a = *(const guint64 *)x, b = *(const guint64 *)y;
  return a < b ? -1 : a > b;
}

/* Keys of one of four shapes: uniform, few distinct values (duplicates), all in one top-bits
 * bucket (skewed), descending. */
static guint32
key_of(GRand *r, int shape, gsize i, gsize n)
{
  switch (shape) {
  case 0: return g_rand_int(r);
  case 1: return g_rand_int_range(r, 0, 7) * 0x10000001u;
  case 2: return 0xABC00000u | (g_rand_int(r) & 0xFFFFF);
  default: return (guint32)(n - i) * 977u;
  }
}

START_TEST(test_sort_unique_u32)
{
  static const gsize sizes[] = { 0, 1, 2, 47, 48, 49, 100, 255, 256, 700, 1023, 1024, 2047, 2048, 4095, 4096,
                                 4097, 10000 };
  GRand *r = g_rand_new_with_seed(3);
  for (gsize si = 0; si < G_N_ELEMENTS(sizes); si++) {
    for (int shape = 0; shape < 4; shape++) {
      gsize n = sizes[si];
      guint32 *a = g_new(guint32, n + 1), *scratch = g_new(guint32, n + 1), *want = g_new(guint32, n + 1);
      for (gsize i = 0; i < n; i++)
        a[i] = want[i] = key_of(r, shape, i, n);
      qsort(want, n, sizeof *want, cmp_u32);
      gsize distinct = 0;
      for (gsize i = 0; i < n; i++)
        if (distinct == 0 || want[distinct - 1] != want[i])
          want[distinct++] = want[i];
      gsize got = nd_sort_unique_u32(a, scratch, n);
      ck_assert_msg(got == distinct, "n %zu shape %d: %zu distinct, want %zu", n, shape, got, distinct);
      ck_assert_msg(memcmp(a, want, distinct * sizeof *a) == 0, "n %zu shape %d: wrong order", n, shape);
      g_free(a);
      g_free(scratch);
      g_free(want);
    }
  }
  g_rand_free(r);
}
END_TEST

START_TEST(test_sort_u64_and_high32)
{
  static const gsize sizes[] = { 0, 1, 5, 48, 49, 1000, 70000 };
  GRand *r = g_rand_new_with_seed(5);
  for (gsize si = 0; si < G_N_ELEMENTS(sizes); si++) {
    gsize n = sizes[si];
    guint64 *a = g_new(guint64, n + 1), *b = g_new(guint64, n + 1), *scratch = g_new(guint64, n + 1),
            *want = g_new(guint64, n + 1);
    for (gsize i = 0; i < n; i++) {
      /* High halves from a small range (ties), low halves the generation order. */
      a[i] = want[i] = ((guint64)g_rand_int_range(r, 0, 50) << 40 | (guint64)g_rand_int(r) << 32) + i;
      b[i] = a[i];
    }
    qsort(want, n, sizeof *want, cmp_u64);
    nd_sort_u64(a, scratch, n);
    ck_assert_msg(memcmp(a, want, n * sizeof *a) == 0, "nd_sort_u64 n %zu: wrong order", n);
    /* Sorting by the high halves only, stably, gives the same order here: equal high halves were
     * generated with increasing low halves. */
    nd_sort_u64_high32(b, scratch, n);
    ck_assert_msg(memcmp(b, want, n * sizeof *b) == 0, "nd_sort_u64_high32 n %zu: not stable by high halves", n);
    g_free(a);
    g_free(b);
    g_free(scratch);
    g_free(want);
  }
  g_rand_free(r);
}
END_TEST

START_TEST(test_sort_keyed_stable)
{
  gsize n = 5000;
  NdKeyed *a = g_new(NdKeyed, n), *scratch = g_new(NdKeyed, n);
  GRand *r = g_rand_new_with_seed(9);
  for (gsize i = 0; i < n; i++)
    a[i] = (NdKeyed){ (guint64)g_rand_int_range(r, 0, 100) << 33, (guint32)i, 0 };
  nd_sort_keyed(a, scratch, n);
  for (gsize i = 1; i < n; i++) {
    ck_assert(a[i - 1].key <= a[i].key);
    if (a[i - 1].key == a[i].key)
      ck_assert_uint_lt(a[i - 1].value, a[i].value); /* stable */
  }
  g_rand_free(r);
  g_free(a);
  g_free(scratch);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("sort");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_sort_unique_u32);
  tcase_add_test(tc, test_sort_u64_and_high32);
  tcase_add_test(tc, test_sort_keyed_stable);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* bench_diff.c — speed and memory of the passage aligner.
 *
 * 1. Two news-sized articles (1,000 words each; B shares three paragraphs of A, one of them with 20%
 *    of its words changed and one moved) aligned many times: microseconds per diff, tokenising
 *    included.
 * 2. Pairs of large texts (0.25, 0.5, 1, 2 and 4 MB; B is A with 10% of words substituted and blocks
 *    moved): seconds, MB/s and peak RSS, to show time and memory linear in the input.
 * Texts come from a seeded generator (pseudo-words from syllables), so runs are reproducible.
 *
 *   bench_diff
 */
#include <neardup/neardup.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static guint64
splitmix64(guint64 *s)
{
  guint64 z = (*s += G_GUINT64_CONSTANT(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static const char *const syl[] = { "ba", "ko", "tu", "ri", "se", "man", "do", "lei", "vra", "pen", "so", "gar",
                                   "ti", "nu", "el", "qua", "hor", "mi", "sta", "lo", "fen", "dri", "cas", "po" };

static void
word(guint64 *st, GString *out)
{
  guint parts = 1 + splitmix64(st) % 3;
  for (guint p = 0; p < parts; p++)
    g_string_append(out, syl[splitmix64(st) % G_N_ELEMENTS(syl)]);
}

/* n words of prose. */
static void
prose(guint64 *st, guint n, GString *out)
{
  for (guint i = 0; i < n; i++) {
    word(st, out);
    g_string_append(out, i % 15 == 14 ? ". " : " ");
  }
  g_string_append(out, "\n\n");
}

/* B from A: every word substituted with probability `edit`; paragraphs (blank-line separated) kept
 * in order except every fifth, moved to the end. */
static GString *
edited(const char *a, double edit, guint64 *st)
{
  GString *b = g_string_new(NULL), *moved = g_string_new(NULL);
  g_auto(GStrv) paras = g_strsplit(a, "\n\n", -1);
  for (guint p = 0; paras[p]; p++) {
    GString *dst = p % 5 == 4 ? moved : b;
    g_auto(GStrv) words = g_strsplit(paras[p], " ", -1);
    for (guint w = 0; words[w]; w++) {
      if (w)
        g_string_append_c(dst, ' ');
      if ((splitmix64(st) % 1000) < edit * 1000)
        word(st, dst);
      else
        g_string_append(dst, words[w]);
    }
    g_string_append(dst, "\n\n");
  }
  g_string_append(b, moved->str);
  g_string_free(moved, TRUE);
  return b;
}

static double
peak_rss_mb(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

int
main(void)
{
  setvbuf(stdout, NULL, _IOLBF, 0);
  guint64 st = 2024;
  /* 1. news-sized */
  GString *shared1 = g_string_new(NULL), *shared2 = g_string_new(NULL), *shared3 = g_string_new(NULL);
  prose(&st, 120, shared1);
  prose(&st, 100, shared2);
  prose(&st, 80, shared3);
  GString *a = g_string_new(NULL), *b = g_string_new(NULL);
  prose(&st, 300, a);
  g_string_append(a, shared1->str);
  prose(&st, 200, a);
  g_string_append(a, shared2->str);
  g_string_append(a, shared3->str);
  prose(&st, 200, a);
  g_string_append(b, shared3->str); /* moved to the top */
  prose(&st, 350, b);
  GString *rewritten = edited(shared1->str, 0.2, &st);
  g_string_append(b, rewritten->str);
  prose(&st, 250, b);
  g_string_append(b, shared2->str);
  prose(&st, 200, b);
  const guint reps = 5000;
  guint passages = 0;
  gint64 t0 = g_get_monotonic_time();
  for (guint r = 0; r < reps; r++) {
    NdDiff *d = nd_diff_texts(a->str, a->len, b->str, b->len, ND_TOKENS_WORDS, 0, NULL, NULL);
    passages = d->passages->len;
    nd_diff_free(d);
  }
  double us = (g_get_monotonic_time() - t0) / (double)reps;
  printf("two 1,000-word articles (%" G_GSIZE_FORMAT " and %" G_GSIZE_FORMAT " bytes): %.1f us per diff (%u passages), "
         "%.0f diffs/s, one thread\n", a->len, b->len, us, passages, 1e6 / us);

  /* 2. large texts */
  printf("%10s %10s %10s %10s %10s %14s\n", "MB (A+B)", "seconds", "MB/s", "passages", "coverage", "peak RSS MB");
  const double sizes[] = { 0.25, 0.5, 1, 2, 4 };
  for (guint s = 0; s < G_N_ELEMENTS(sizes); s++) {
    GString *big = g_string_new(NULL);
    while (big->len < sizes[s] * 1e6)
      prose(&st, 60 + splitmix64(&st) % 60, big);
    GString *big_b = edited(big->str, 0.1, &st);
    gint64 t1 = g_get_monotonic_time();
    NdDiff *d = nd_diff_texts(big->str, big->len, big_b->str, big_b->len, ND_TOKENS_WORDS, 0, NULL, NULL);
    double secs = (g_get_monotonic_time() - t1) / 1e6;
    double mb = (big->len + big_b->len) / 1e6;
    printf("%10.2f %10.3f %10.1f %10u %9.1f%% %14.0f\n", mb, secs, mb / secs, d->passages->len, 100 * d->a_coverage,
           peak_rss_mb());
    nd_diff_free(d);
    g_string_free(big, TRUE);
    g_string_free(big_b, TRUE);
  }
  return 0;
}

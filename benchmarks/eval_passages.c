/* eval_passages.c — the passage aligner on a labelled text-reuse set (clough or counter-dev layout).
 *
 * For every labelled pair (derived text D, source S) it aligns D with S and measures, per label:
 *   - found: share of pairs with at least one passage;
 *   - coverage: share of D's characters (bytes, whitespace excluded) inside reported passages.
 * The sets label documents, not characters, so character-level precision is taken as the share of
 * all reported passage characters that lie in derived pairs (characters reported in non-derived
 * pairs are false positives by the labels), and character-level recall per label as the mean
 * coverage (cut and light answers are mostly copied text; heavy ones are rewritten).
 *
 *   eval_passages DIR
 */
#include <neardup/neardup.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  const char *label;
  guint pairs, found;
  double coverage, chars;
} Row;

static gsize
non_space(const char *t, gsize from, gsize to)
{
  gsize n = 0;
  for (gsize i = from; i < to; i++)
    n += !g_ascii_isspace(t[i]);
  return n;
}

int
main(int argc, char **argv)
{
  if (argc != 2) {
    fprintf(stderr, "usage: eval_passages DIR\n");
    return 2;
  }
  g_autofree char *tsv_path = g_build_filename(argv[1], "pairs.tsv", NULL);
  g_autofree char *tsv = NULL;
  g_autoptr(GError) error = NULL;
  if (!g_file_get_contents(tsv_path, &tsv, NULL, &error)) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  g_auto(GStrv) lines = g_strsplit(tsv, "\n", -1);
  Row rows[8] = { 0 };
  guint n_rows = 0;
  double derived_chars = 0, all_chars = 0, seconds = 0;
  guint n_pairs = 0;
  for (guint li = 1; lines[li]; li++) {
    g_auto(GStrv) f = g_strsplit(lines[li], "\t", -1);
    if (g_strv_length(f) < 4)
      continue;
    gboolean clough = g_str_has_prefix(f[1], "orig_");
    const char *derived = clough ? f[0] : f[1], *source = clough ? f[1] : f[0], *label = clough ? f[3] : f[2];
    g_autofree char *pd = g_strdup_printf("%s/docs/%s.txt", argv[1], derived);
    g_autofree char *ps = g_strdup_printf("%s/docs/%s.txt", argv[1], source);
    gsize ld, ls;
    g_autofree char *td = nd_read_article(pd, ND_DEFAULT_MAX_BYTES, ND_TEXT_LOSSY, &ld, NULL);
    g_autofree char *ts = nd_read_article(ps, ND_DEFAULT_MAX_BYTES, ND_TEXT_LOSSY, &ls, NULL);
    if (td == NULL || ts == NULL)
      continue;
    gint64 t0 = g_get_monotonic_time();
    g_autoptr(NdDiff) d = nd_diff_texts(td, ld, ts, ls, ND_TOKENS_WORDS, ND_TEXT_LOSSY, NULL, NULL);
    seconds += (g_get_monotonic_time() - t0) / 1e6;
    n_pairs++;
    if (d == NULL)
      continue;
    g_autofree guint8 *mark = g_new0(guint8, ld + 1);
    for (guint p = 0; p < d->passages->len; p++) {
      const NdPassage *q = &g_array_index(d->passages, NdPassage, p);
      memset(mark + q->a_start, 1, q->a_stop - q->a_start);
    }
    gsize covered = 0;
    for (gsize i = 0; i < ld; i++)
      covered += mark[i] && !g_ascii_isspace(td[i]);
    gsize total = non_space(td, 0, ld);
    guint r;
    for (r = 0; r < n_rows && strcmp(rows[r].label, label) != 0; r++)
      ;
    if (r == n_rows && n_rows < 8)
      rows[n_rows++].label = g_intern_string(label);
    rows[r].pairs++;
    rows[r].found += d->passages->len > 0;
    rows[r].coverage += total ? (double)covered / total : 0;
    rows[r].chars += covered;
    gboolean is_derived = strcmp(label, "non") != 0 && strcmp(label, "ND") != 0;
    all_chars += covered;
    if (is_derived)
      derived_chars += covered;
  }
  printf("%s: %u pairs aligned in %.3f s (%.0f us per pair)\n", argv[1], n_pairs, seconds, 1e6 * seconds / MAX(n_pairs, 1));
  printf("  %-6s %6s %8s %16s\n", "label", "pairs", "found", "mean coverage");
  for (guint r = 0; r < n_rows; r++)
    printf("  %-6s %6u %7.0f%% %15.1f%%\n", rows[r].label, rows[r].pairs, 100.0 * rows[r].found / rows[r].pairs,
           100.0 * rows[r].coverage / rows[r].pairs);
  printf("  character-level precision (share of reported characters in derived pairs): %.3f\n",
         all_chars > 0 ? derived_chars / all_chars : 1.0);
  return 0;
}

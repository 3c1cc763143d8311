/* eval_extraction.c — article extraction quality on a labelled set of web pages, with the metric of
 * the article-extraction benchmark (Scrapinghub/Zyte), and extraction speed.
 *
 *   eval_extraction [DIR] [-v] [--repeat N]
 *
 * DIR (default ../shared/data/article-extraction-dev) holds ground-truth.json ({KEY: {"articleBody":
 * ...}}) and html/KEY.html.gz. Each page goes through nd_html_extract (the extractor every input
 * path uses: files, WARC records, standard input). The metric, as the benchmark defines it: both
 * texts are split into words (\w+ as Python's re module reads it: letters, digits and numbers of any
 * script, and '_'); word 4-grams are counted as multisets; per page tp = shared 4-grams, fp = extra,
 * fn = missing; precision tp/(tp+fp) is averaged over pages with tp+fp > 0, recall tp/(tp+fn) over
 * pages with tp+fn > 0 (a page with fp = fn = 0 scores 1 in both), and F1 is taken of the two means.
 * The benchmark's ground truth is the body without the headline, so the body (NdPage.body_start on)
 * is scored; the whole text with the headline is scored too, for the record.
 * Speed: pages per second of nd_html_extract on one thread, the pages already in memory, best of
 * --repeat passes (default 5).
 */
#include <neardup/neardup.h>
#include <json-glib/json-glib.h>
#include <zlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gboolean
is_word_char(gunichar c)
{
  if (c == '_')
    return TRUE;
  switch (g_unichar_type(c)) {
  case G_UNICODE_LOWERCASE_LETTER: case G_UNICODE_UPPERCASE_LETTER: case G_UNICODE_TITLECASE_LETTER:
  case G_UNICODE_MODIFIER_LETTER: case G_UNICODE_OTHER_LETTER: case G_UNICODE_DECIMAL_NUMBER:
  case G_UNICODE_LETTER_NUMBER: case G_UNICODE_OTHER_NUMBER:
    return TRUE;
  default:
    return FALSE;
  }
}

/* The word 4-grams of `text`, counted: key "w1\x1fw2\x1fw3\x1fw4" -> count. Fewer than 4 words give
 * one shorter gram (as the benchmark does); no words give none. */
static GHashTable *
shingles(const char *text)
{
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
  const char *p = text;
  while (*p) {
    gunichar c = g_utf8_get_char_validated(p, -1);
    if (c == (gunichar)-1 || c == (gunichar)-2) {
      p++;
      continue;
    }
    if (!is_word_char(c)) {
      p = g_utf8_next_char(p);
      continue;
    }
    const char *start = p;
    while (*p) {
      c = g_utf8_get_char_validated(p, -1);
      if (c == (gunichar)-1 || c == (gunichar)-2 || !is_word_char(c))
        break;
      p = g_utf8_next_char(p);
    }
    g_ptr_array_add(words, g_strndup(start, p - start));
  }
  GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  guint n = words->len;
  guint grams = n >= 4 ? n - 3 : (n > 0 ? 1 : 0);
  for (guint i = 0; i < grams; i++) {
    GString *k = g_string_new(NULL);
    for (guint j = i; j < MIN(i + 4, n); j++) {
      if (j > i)
        g_string_append_c(k, '\x1f');
      g_string_append(k, g_ptr_array_index(words, j));
    }
    gpointer old = g_hash_table_lookup(h, k->str);
    g_hash_table_insert(h, g_string_free(k, FALSE), GUINT_TO_POINTER(GPOINTER_TO_UINT(old) + 1));
  }
  return h;
}

typedef struct {
  double p_sum, r_sum;
  guint p_n, r_n;
} Score;

static void
score_page(Score *s, const char *truth, const char *pred, double *page_p, double *page_r)
{
  g_autoptr(GHashTable) t = shingles(truth), q = shingles(pred);
  double tp = 0, fp = 0, fn = 0;
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, t);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    guint a = GPOINTER_TO_UINT(v), b = GPOINTER_TO_UINT(g_hash_table_lookup(q, k));
    tp += MIN(a, b);
    fn += a > b ? a - b : 0;
  }
  g_hash_table_iter_init(&it, q);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    guint b = GPOINTER_TO_UINT(v), a = GPOINTER_TO_UINT(g_hash_table_lookup(t, k));
    fp += b > a ? b - a : 0;
  }
  double p = fp == 0 && fn == 0 ? 1 : tp + fp == 0 ? 0 : tp / (tp + fp);
  double r = fp == 0 && fn == 0 ? 1 : tp + fn == 0 ? 0 : tp / (tp + fn);
  if (tp + fp > 0 || (fp == 0 && fn == 0)) {
    s->p_sum += p;
    s->p_n++;
  }
  if (tp + fn > 0 || (fp == 0 && fn == 0)) {
    s->r_sum += r;
    s->r_n++;
  }
  *page_p = p;
  *page_r = r;
}

static void
print_score(const char *what, const Score *s)
{
  double p = s->p_n ? s->p_sum / s->p_n : 0, r = s->r_n ? s->r_sum / s->r_n : 0;
  printf("%-28s precision %.3f  recall %.3f  F1 %.3f\n", what, p, r, p + r > 0 ? 2 * p * r / (p + r) : 0);
}

static GBytes *
gunzip_file(const char *path)
{
  gzFile f = gzopen(path, "rb");
  if (f == NULL)
    return NULL;
  GByteArray *a = g_byte_array_new();
  guint8 buf[65536];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0)
    g_byte_array_append(a, buf, (guint)n);
  gzclose(f);
  return g_byte_array_free_to_bytes(a);
}

int
main(int argc, char **argv)
{
  const char *dir = "../shared/data/article-extraction-dev";
  gboolean verbose = FALSE;
  int repeat = 5;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-v") == 0)
      verbose = TRUE;
    else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
      repeat = atoi(argv[++i]);
    else
      dir = argv[i];
  }
  g_autofree char *truth_path = g_build_filename(dir, "ground-truth.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;
  if (!json_parser_load_from_file(parser, truth_path, &error)) {
    fprintf(stderr, "eval_extraction: %s: %s\n", truth_path, error->message);
    return 2;
  }
  JsonObject *truth = json_node_get_object(json_parser_get_root(parser));
  g_autoptr(GList) keys = json_object_get_members(truth);
  keys = g_list_sort(keys, (GCompareFunc)strcmp);
  g_autoptr(GPtrArray) pages = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
  Score body = { 0 }, whole = { 0 };
  guint n = 0, failed = 0;
  gsize bytes = 0;
  for (GList *k = keys; k != NULL; k = k->next) {
    const char *key = k->data;
    g_autofree char *name = g_strdup_printf("%s.html.gz", key);
    g_autofree char *path = g_build_filename(dir, "html", name, NULL);
    GBytes *html = gunzip_file(path);
    if (html == NULL) {
      fprintf(stderr, "eval_extraction: %s: cannot read\n", path);
      return 2;
    }
    g_ptr_array_add(pages, html);
    bytes += g_bytes_get_size(html);
    const char *expected = json_object_get_string_member(json_object_get_object_member(truth, key), "articleBody");
    g_autoptr(GError) err = NULL;
    gsize len;
    const guint8 *data = g_bytes_get_data(html, &len);
    NdPage *page = nd_html_extract(data, len, NULL, NULL, &err);
    const char *text = page ? page->text : "", *body_text = page ? page->text + page->body_start : "";
    if (page == NULL) {
      failed++;
      fprintf(stderr, "eval_extraction: %s: %s\n", key, err->message);
    }
    double p, r, pw, rw;
    score_page(&body, expected, body_text, &p, &r);
    score_page(&whole, expected, text, &pw, &rw);
    if (verbose)
      printf("%.12s  P %.3f R %.3f  F1 %.3f  %s\n", key, p, r, p + r > 0 ? 2 * p * r / (p + r) : 0,
             page && page->title ? page->title : "");
    nd_page_free(page);
    n++;
  }
  printf("%u pages (%s), %u failed\n", n, dir, failed);
  print_score("body (the benchmark's)", &body);
  print_score("headline + body", &whole);
  double best = 0;
  for (int r = 0; r < repeat; r++) {
    gint64 t0 = g_get_monotonic_time();
    for (guint i = 0; i < pages->len; i++) {
      gsize len;
      const guint8 *data = g_bytes_get_data(g_ptr_array_index(pages, i), &len);
      nd_page_free(nd_html_extract(data, len, NULL, NULL, NULL));
    }
    double s = (g_get_monotonic_time() - t0) / 1e6;
    if (best == 0 || s < best)
      best = s;
  }
  printf("speed: %.0f pages/s, %.1f MB/s on one thread (%u pages, %.1f MB, best of %d)\n", pages->len / best,
         bytes / 1e6 / best, pages->len, bytes / 1e6, repeat);
  return 0;
}

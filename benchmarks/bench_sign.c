/* bench_sign.c — signing speed on your own articles: normalise, tokenise, shingle, MinHash, shingle
 * set, fingerprints and band keys, from memory, one thread, default parameters.
 *
 *   bench_sign [--archive] [--repeat N] FILE...  (default N = 1000; a directory is not walked)
 *
 * --archive signs as `index add` does: without the word keys, boilerplate lines and quoted anchors,
 * which an archive does not store (scan, pairs and dedup sign with them).
 *
 * Every file is read once into memory; the timed loop signs each text N times with one signer and
 * frees the documents. Prints articles/s, MB/s and peak RSS. Real news (curly quotes, accents, page
 * chrome) takes the tokenizer's byte-wise paths more often than the ASCII of gen_corpus, so measure
 * on the articles you care about.
 */
#include <neardup/neardup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

int
main(int argc, char **argv)
{
  long repeat = 1000;
  int first = 1;
  gboolean archive = FALSE;
  if (argc > first && strcmp(argv[first], "--archive") == 0) {
    archive = TRUE;
    first++;
  }
  if (argc > first + 1 && strcmp(argv[first], "--repeat") == 0) {
    repeat = strtol(argv[first + 1], NULL, 10);
    first += 2;
  }
  if (first >= argc || repeat < 1) {
    fprintf(stderr, "usage: bench_sign [--archive] [--repeat N] FILE...\n");
    return 2;
  }
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GArray) lens = g_array_new(FALSE, FALSE, sizeof(gsize));
  for (int i = first; i < argc; i++) {
    g_autoptr(GError) error = NULL;
    gsize len = 0;
    char *text = nd_read_article(argv[i], (gsize)64 << 20, ND_TEXT_LOSSY, &len, &error);
    if (text == NULL) {
      fprintf(stderr, "bench_sign: %s: %s (skipped)\n", argv[i], error->message);
      continue;
    }
    g_ptr_array_add(texts, text);
    g_array_append_val(lens, len);
  }
  if (texts->len == 0)
    return 1;
  NdSignParams params;
  nd_sign_params_init(&params);
  params.text_flags = ND_TEXT_LOSSY;
  if (archive)
    nd_index_archive_only_params(&params);
  g_autoptr(NdSigner) signer = nd_signer_new(&params);
  guint64 bytes = 0, docs = 0;
  gint64 t0 = g_get_monotonic_time();
  for (long r = 0; r < repeat; r++) {
    for (guint i = 0; i < texts->len; i++) {
      NdDocument *d = nd_signer_sign(signer, "a", g_ptr_array_index(texts, i), g_array_index(lens, gsize, i), NULL);
      if (d != NULL) {
        bytes += d->bytes;
        docs++;
      }
      nd_document_free(d);
    }
  }
  double secs = (g_get_monotonic_time() - t0) / 1e6;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("signed %u files x %ld: %" G_GUINT64_FORMAT " articles, %.1f MB in %.3f s: %.0f articles/s, %.1f MB/s; "
         "peak RSS %.0f MB\n", texts->len, repeat, docs, bytes / 1e6, secs, docs / secs, bytes / 1e6 / secs,
         ru.ru_maxrss / 1024.0);
  return 0;
}

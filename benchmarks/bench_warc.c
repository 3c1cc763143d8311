/* bench_warc.c — WARC to signatures: the loader reading WARC files (decompressing, parsing HTTP,
 * extracting articles from pages, signing them), nothing kept.
 *
 *   bench_warc [--threads N] [--repeat R] FILE.warc[.gz]...
 *
 * Prints, for the best of R runs (default 3), wall time, articles, MB/s of WARC as stored on disk and
 * of WARC decompressed (for .warc.gz: the file's bytes and the WARC bytes they hold), articles/s and
 * peak RSS. Use gen_corpus + gen_warc to make the input (see docs/input-formats.md).
 */
#include <neardup/neardup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <zlib.h>

static gboolean
drop(NdDocument *doc, gpointer data, GError **error)
{
  (void)error;
  guint64 *n = data;
  (*n)++;
  nd_document_free(doc);
  return TRUE;
}

static guint64
plain_size(const char *path)
{
  gzFile f = gzopen(path, "rb"); /* reads plain files as they are */
  if (f == NULL)
    return 0;
  static char buf[1 << 16];
  guint64 n = 0;
  int k;
  while ((k = gzread(f, buf, sizeof buf)) > 0)
    n += (guint64)k;
  gzclose(f);
  return n;
}

int
main(int argc, char **argv)
{
  guint threads = 2, repeat = 3;
  GPtrArray *files = g_ptr_array_new();
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
      threads = (guint)atoi(argv[++i]);
    else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
      repeat = (guint)atoi(argv[++i]);
    else
      g_ptr_array_add(files, argv[i]);
  }
  if (files->len == 0) {
    fprintf(stderr, "usage: bench_warc [--threads N] [--repeat R] FILE.warc[.gz]...\n");
    return 2;
  }
  guint64 disk = 0, plain = 0;
  for (guint i = 0; i < files->len; i++) {
    struct stat st;
    if (stat(g_ptr_array_index(files, i), &st) != 0) {
      perror(g_ptr_array_index(files, i));
      return 1;
    }
    disk += (guint64)st.st_size;
    plain += plain_size(g_ptr_array_index(files, i));
  }
  NdSignParams params;
  nd_sign_params_init(&params);
  NdLshParams lsh;
  nd_lsh_params_for(0.5, params.num_perm, ND_LSH_FN_WEIGHT, &lsh, NULL);
  params.lsh_bands = lsh.bands; /* what scan signs with */
  params.lsh_rows = lsh.rows;
  double best = 0;
  guint64 articles = 0;
  guint skipped = 0;
  for (guint r = 0; r < repeat; r++) {
    g_autoptr(NdCollection) coll = nd_collection_new(&params);
    guint64 n = 0;
    gint64 t0 = g_get_monotonic_time();
    NdLoader *l = nd_loader_new(coll, threads, FALSE);
    nd_loader_set_document_func(l, drop, &n);
    for (guint i = 0; i < files->len; i++)
      nd_loader_add_path(l, g_ptr_array_index(files, i));
    skipped = nd_loader_finish(l);
    nd_loader_free(l);
    double s = (g_get_monotonic_time() - t0) / 1e6;
    if (best == 0 || s < best)
      best = s;
    articles = n;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("%u threads: %.3f s, %" G_GUINT64_FORMAT " articles (%u skipped), %.1f MB/s of WARC as stored (%.1f MB), "
         "%.1f MB/s of WARC decompressed (%.1f MB), %.0f articles/s, peak RSS %ld MB (best of %u)\n", threads, best,
         articles, skipped, disk / 1e6 / best, disk / 1e6, plain / 1e6 / best, plain / 1e6, articles / best,
         ru.ru_maxrss / 1024, repeat);
  g_ptr_array_unref(files);
  return 0;
}

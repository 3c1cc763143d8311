/* bench_write.c — the archive's writer alone: how fast `index add` could go if reading and signing
 * the articles cost nothing.
 *
 *   bench_write [--exclusive] NEW.db ARTICLES.jsonl
 *
 * Pass 1 reads and signs every article as `index add` does (the new index's parameters with
 * nd_index_archive_only_params, every core) and keeps the documents in memory: about 8 KB an
 * article of gen_corpus, so a million need 8 GB of RAM. Its process CPU time per article is what
 * reading and signing cost an add.
 * Pass 2, in one thread with nothing else running, makes the calls `index add` makes on its main
 * thread: nd_index_begin, nd_index_add_entry for every document (date from the metadata field
 * "date"), nd_index_commit. Its wall and CPU time (user + system of the process) are what the
 * writer costs: the rows, the postings staged, flushed and written, the commit and checkpoint.
 * --exclusive makes it an exclusive transaction (nd_index_set_exclusive: a rollback journal).
 *
 * The two CPU times per article added up are what an add needs of the machine, however its work
 * is spread over threads: with P cores it cannot run faster than P / (read+sign + write) articles
 * a second, and never faster than the writer's own rate (one SQLite connection writes).
 */
#include <neardup/neardup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The process's user + system CPU time in seconds. */
static double
process_cpu(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static gboolean
keep_document(NdDocument *doc, gpointer user_data, GError **error)
{
  (void)error;
  g_ptr_array_add(user_data, doc);
  return TRUE;
}

int
main(int argc, char **argv)
{
  gboolean exclusive = argc > 1 && strcmp(argv[1], "--exclusive") == 0;
  argv += exclusive;
  argc -= exclusive;
  if (argc != 3) {
    fprintf(stderr, "usage: bench_write [--exclusive] NEW.db ARTICLES.jsonl\n");
    return 2;
  }
  if (access(argv[1], F_OK) == 0) {
    fprintf(stderr, "bench_write: %s exists; give a new file\n", argv[1]);
    return 2;
  }
  g_autoptr(GError) error = NULL;
  NdSignParams params;
  nd_sign_params_init(&params);
  g_autoptr(NdIndex) ix = nd_index_create(argv[1], &params, ND_DEFAULT_THRESHOLD, &error);
  if (ix == NULL) {
    fprintf(stderr, "bench_write: %s\n", error->message);
    return 1;
  }
  NdSignParams sign = *nd_index_sign_params(ix);
  nd_index_archive_only_params(&sign);

  /* Pass 1: read and sign, every core. */
  g_autoptr(GPtrArray) docs = g_ptr_array_new_with_free_func((GDestroyNotify)nd_document_free);
  double cpu0 = process_cpu();
  gint64 t0 = g_get_monotonic_time();
  {
    g_autoptr(NdCollection) params_only = nd_collection_new(&sign);
    g_autoptr(NdLoader) loader = nd_loader_new(params_only, 0, FALSE);
    nd_loader_set_document_func(loader, keep_document, docs);
    nd_loader_add_jsonl(loader, argv[2], "id", "text");
    guint skipped = nd_loader_finish(loader);
    if (skipped > 0)
      fprintf(stderr, "bench_write: %u inputs skipped\n", skipped);
  }
  double sign_wall = (g_get_monotonic_time() - t0) / 1e6, sign_cpu = process_cpu() - cpu0;
  guint n = docs->len;
  guint64 bytes = 0;
  for (guint i = 0; i < n; i++)
    bytes += ((const NdDocument *)g_ptr_array_index(docs, i))->bytes;
  if (n == 0) {
    fprintf(stderr, "bench_write: no articles in %s\n", argv[2]);
    return 1;
  }

  /* Pass 2: the writer, one thread. */
  nd_index_set_exclusive(ix, exclusive);
  double cpu1 = process_cpu();
  gint64 t1 = g_get_monotonic_time();
  if (!nd_index_begin(ix, &error)) {
    fprintf(stderr, "bench_write: %s\n", error->message);
    return 1;
  }
  for (guint i = 0; i < n; i++) {
    const NdDocument *doc = g_ptr_array_index(docs, i);
    NdDate date;
    g_autofree char *date_text = NULL;
    gboolean dated = doc->meta != NULL && nd_date_from_metadata(doc->meta, "date", &date, &date_text, NULL) == 1;
    NdIndexEntry entry = { .group = 0, .kept = TRUE, .date = dated ? &date : NULL, .date_text = date_text };
    if (!nd_index_add_entry(ix, doc, &entry, &error)) {
      fprintf(stderr, "bench_write: %s: %s\n", doc->id, error->message);
      nd_index_rollback(ix);
      return 1;
    }
  }
  gint64 t2 = g_get_monotonic_time();
  double cpu2 = process_cpu();
  if (!nd_index_commit(ix, &error)) {
    fprintf(stderr, "bench_write: %s\n", error->message);
    return 1;
  }
  gint64 t3 = g_get_monotonic_time();
  double cpu3 = process_cpu();
  double rows_wall = (t2 - t1) / 1e6, commit_wall = (t3 - t2) / 1e6, write_wall = (t3 - t1) / 1e6;
  double write_cpu = cpu3 - cpu1;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  guint cores = (guint)g_get_num_processors();
  double per_sign = sign_cpu / n * 1e6, per_write = write_cpu / n * 1e6;
  printf("%u articles, %.1f MB of text\n", n, bytes / 1e6);
  printf("read and sign (%u threads): %.1f s wall, %.1f s CPU: %.1f us CPU an article\n", cores, sign_wall,
         sign_cpu, per_sign);
  printf("write (one thread%s): %.1f s wall (add calls %.1f s, commit %.1f s), %.1f s CPU (%.1f + %.1f s): "
         "%.1f us CPU an article, %.0f articles/s\n", exclusive ? ", exclusive" : "", write_wall, rows_wall, commit_wall, write_cpu, cpu2 - cpu1,
         cpu3 - cpu2, per_write, n / write_wall);
  printf("an add needs %.1f us CPU an article: at most %.0f articles/s on %u cores, and at most the writer's "
         "%.0f articles/s\n", per_sign + per_write, cores * 1e6 / (per_sign + per_write), cores, n / write_wall);
  printf("peak RSS %.0f MB\n", ru.ru_maxrss / 1024.0);
  return 0;
}

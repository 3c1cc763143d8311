/* bench_index.c — query latency and memory of the archive index.
 *
 *   bench_index DB QUERIES.jsonl [N]
 *
 * Opens index DB read-only, signs the first N (default 1000) articles of QUERIES.jsonl with the
 * index's parameters, and times nd_index_query for each (signing excluded): prints the median,
 * p90, p99 and maximum latency in milliseconds, the matches found, and the process's peak RSS —
 * which shows that a query reads postings, not the whole index. The same percentiles are printed
 * for each query's CPU time (the thread's user + system time): on a shared machine the wall times
 * include waiting for a core, the CPU times do not (nor waiting for the disk). (Add throughput is
 * measured on the CLI, `neardup index add`, with /usr/bin/time -v: docs/archive.md.)
 */
#include <neardup/neardup.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* The calling thread's CPU time in milliseconds. */
static double
thread_cpu_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
compare_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: bench_index DB QUERIES.jsonl [N]\n");
    return 2;
  }
  guint limit = argc > 3 ? (guint)atoi(argv[3]) : 1000;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdIndex) ix = nd_index_open(argv[1], FALSE, &error);
  if (ix == NULL) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  g_autoptr(NdSigner) signer = nd_signer_new(nd_index_sign_params(ix));
  NdFindOptions fo;
  nd_find_options_init(&fo);
  FILE *fp = fopen(argv[2], "rb");
  if (fp == NULL) {
    perror(argv[2]);
    return 1;
  }
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GArray) ms = g_array_new(FALSE, FALSE, sizeof(double));
  g_autoptr(GArray) cpu = g_array_new(FALSE, FALSE, sizeof(double));
  char *line = NULL;
  size_t cap = 0;
  guint64 matches = 0;
  while (ms->len < limit && getline(&line, &cap, fp) > 0) {
    if (!json_parser_load_from_data(parser, line, -1, NULL))
      continue;
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    const char *text = json_object_get_string_member(o, "text");
    g_autoptr(NdDocument) doc = nd_signer_sign(signer, "query", text, strlen(text), NULL);
    if (doc == NULL)
      continue;
    double c0 = thread_cpu_ms();
    gint64 t0 = g_get_monotonic_time();
    g_autoptr(GArray) found = nd_index_query(ix, doc, &fo, &error);
    double t = (g_get_monotonic_time() - t0) / 1000.0;
    double c = thread_cpu_ms() - c0;
    if (found == NULL) {
      fprintf(stderr, "%s\n", error->message);
      return 1;
    }
    matches += found->len;
    g_array_append_val(ms, t);
    g_array_append_val(cpu, c);
  }
  free(line);
  fclose(fp);
  if (ms->len == 0) {
    fprintf(stderr, "no queries\n");
    return 1;
  }
  qsort(ms->data, ms->len, sizeof(double), compare_double);
  qsort(cpu->data, cpu->len, sizeof(double), compare_double);
  const double *v = (const double *)ms->data, *u = (const double *)cpu->data;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("%u queries: median %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; %.2f matches per query; peak RSS %.0f MB\n",
         ms->len, v[ms->len / 2], v[ms->len * 9 / 10], v[ms->len * 99 / 100], v[ms->len - 1],
         (double)matches / ms->len, ru.ru_maxrss / 1024.0);
  printf("CPU time per query: median %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n", u[cpu->len / 2],
         u[cpu->len * 9 / 10], u[cpu->len * 99 / 100], u[cpu->len - 1]);
  return 0;
}

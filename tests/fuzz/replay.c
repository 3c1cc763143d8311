/* replay.c — runs one fuzz target's LLVMFuzzerTestOneInput over kept inputs, without libFuzzer.
 *
 *   fuzz_replay_NAME PATH...
 *
 * Each PATH is a file or a directory (its files, in sorted order; names starting with '.' are
 * skipped, so an empty directory can hold a .keep file). Linked with one fuzz_NAME.c into an ordinary
 * program, it replays the seed corpus and every crash reproducer as a ctest test in every build
 * (plain, AddressSanitizer), the way zstd and OSS-Fuzz projects do. A failing invariant aborts.
 */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static guint n_run;

static void
run_file(const char *path)
{
  gchar *contents = NULL;
  gsize len = 0;
  GError *error = NULL;
  if (!g_file_get_contents(path, &contents, &len, &error)) {
    fprintf(stderr, "replay: %s\n", error->message);
    exit(2);
  }
  /* A copy of exactly `len` bytes, so that reading past the input is caught by AddressSanitizer. */
  uint8_t *copy = g_malloc(len ? len : 1);
  memcpy(copy, contents, len);
  g_free(contents);
  fprintf(stderr, "replay: %s (%zu bytes)\n", path, (size_t)len);
  LLVMFuzzerTestOneInput(copy, len);
  g_free(copy);
  n_run++;
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
run_path(const char *path)
{
  if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
    run_file(path);
    return;
  }
  GError *error = NULL;
  GDir *dir = g_dir_open(path, 0, &error);
  if (dir == NULL) {
    fprintf(stderr, "replay: %s\n", error->message);
    exit(2);
  }
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while ((name = g_dir_read_name(dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add(names, g_build_filename(path, name, NULL));
  g_dir_close(dir);
  g_ptr_array_sort(names, compare_names);
  for (guint i = 0; i < names->len; i++)
    run_path(g_ptr_array_index(names, i));
  g_ptr_array_unref(names);
}

int
main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; i++)
    run_path(argv[i]);
  printf("replayed %u inputs\n", n_run);
  return 0;
}

/* test_util.h — small helpers shared by the unit suites (header-only; every function is static
 * inline so that a suite that does not use one gets no warning).
 *
 *   - splitmix64: the deterministic PRNG every randomised test uses (fixed seeds, so every run of a
 *     suite sees the same inputs).
 *   - a synthetic article generator: "words" built from syllables, so there are tens of thousands
 *     of distinct words and unrelated articles share almost no 3-word shingles, with sentence
 *     punctuation and capitals so the tokenizer sees realistic text.
 *   - temporary directory helpers (write a file, remove a tree without following symbolic links).
 */
#ifndef NEARDUP_TEST_UTIL_H
#define NEARDUP_TEST_UTIL_H

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

static inline guint64
splitmix64(guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* Uniform integer in [lo, hi] (inclusive). */
static inline guint64
rand_range(guint64 *state, guint64 lo, guint64 hi)
{
  return lo + splitmix64(state) % (hi - lo + 1);
}

/* Uniform double in [0, 1). */
static inline double
rand_unit(guint64 *state)
{
  return (double)(splitmix64(state) >> 11) * (1.0 / 9007199254740992.0);
}

static const char *const test_syllables[] = {
  "ba", "ko", "tu", "ri", "se", "man", "do", "lei", "vra", "pen", "so", "gar", "ti", "nu", "el",
  "qua", "hor", "mi", "sta", "lo", "fen", "dri", "cas", "po", "zen", "wi", "ul", "bre", "tan", "os",
};

/* Appends `n` random words (owned strings) to `words`. */
static inline void
gen_words(guint64 *state, guint n, GPtrArray *words)
{
  const guint ns = G_N_ELEMENTS(test_syllables);
  for (guint i = 0; i < n; i++) {
    GString *w = g_string_new(NULL);
    guint parts = (guint)rand_range(state, 1, 3);
    for (guint p = 0; p < parts; p++)
      g_string_append(w, test_syllables[splitmix64(state) % ns]);
    g_ptr_array_add(words, g_string_free(w, FALSE));
  }
}

/* Appends words[begin..end) to `out` as prose: sentences of 6..14 words, capitalised, ending with
 * a full stop, and a comma now and then. The punctuation does not change the token sequence. */
static inline void
join_words(GPtrArray *words, guint begin, guint end, guint64 *state, GString *out)
{
  guint in_sentence = 0, sentence_len = (guint)rand_range(state, 6, 14);
  for (guint i = begin; i < end; i++) {
    const char *w = g_ptr_array_index(words, i);
    if (out->len > 0 && out->str[out->len - 1] != '\n')
      g_string_append_c(out, ' ');
    if (in_sentence == 0) {
      g_string_append_c(out, g_ascii_toupper(w[0]));
      g_string_append(out, w + 1);
    } else {
      g_string_append(out, w);
    }
    in_sentence++;
    if (in_sentence == sentence_len || i + 1 == end) {
      g_string_append_c(out, '.');
      in_sentence = 0;
      sentence_len = (guint)rand_range(state, 6, 14);
    } else if (splitmix64(state) % 9 == 0) {
      g_string_append_c(out, ',');
    }
  }
}

/* A whole synthetic article of `n` words, generated from `seed`. Caller frees. */
static inline char *
gen_article(guint64 seed, guint n)
{
  guint64 st = seed;
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
  gen_words(&st, n, words);
  GString *out = g_string_new(NULL);
  join_words(words, 0, n, &st, out);
  return g_string_free(out, FALSE);
}

/* Writes `len` bytes (len < 0: strlen) to dir/rel, creating parent directories. Returns the path
 * (caller frees). Aborts the test process on failure. */
static inline char *
write_test_file(const char *dir, const char *rel, const char *data, gssize len)
{
  char *path = g_build_filename(dir, rel, NULL);
  g_autofree char *parent = g_path_get_dirname(path);
  if (g_mkdir_with_parents(parent, 0755) != 0)
    g_error("cannot create %s", parent);
  g_autoptr(GError) error = NULL;
  if (!g_file_set_contents(path, data, len, &error))
    g_error("cannot write %s: %s", path, error->message);
  return path;
}

/* Removes a directory tree; symbolic links are removed, never followed. */
static inline void
remove_tree(const char *path)
{
  GStatBuf st;
  if (g_lstat(path, &st) != 0)
    return;
  if (S_ISDIR(st.st_mode)) {
    GDir *dir = g_dir_open(path, 0, NULL);
    if (dir != NULL) {
      const char *name;
      while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        remove_tree(child);
      }
      g_dir_close(dir);
    }
    g_rmdir(path);
  } else {
    g_unlink(path);
  }
}

#endif

/* fuzz_common.h — helpers shared by the libFuzzer targets in tests/fuzz (header-only).
 *
 * Every target defines LLVMFuzzerTestOneInput() and aborts (through FUZZ_CHECK) as soon as an
 * invariant fails, so that libFuzzer records the input as a crash and the replay tests (replay.c)
 * fail on it. The targets are built twice: as libFuzzer binaries (-DNEARDUP_FUZZ=ON, clang) and
 * linked with replay.c as ordinary programs that run the kept corpus in every build.
 */
#ifndef NEARDUP_FUZZ_COMMON_H
#define NEARDUP_FUZZ_COMMON_H

#include <neardup/neardup.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                     \
  do {                                                                                            \
    if (G_UNLIKELY(!(cond))) {                                                                    \
      fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__, __LINE__, #cond);               \
      fprintf(stderr, __VA_ARGS__);                                                               \
      fputc('\n', stderr);                                                                        \
      abort();                                                                                    \
    }                                                                                             \
  } while (0)

/* Known open bugs, named in the environment variable NEARDUP_FUZZ_KNOWN (comma-separated), are
 * stepped around so that a long fuzzing run can look for new ones; benchmarks/run_fuzz.sh sets it.
 * The replay tests never set it: their reproducers in crashes/ keep failing until the bug is fixed. */
static inline gboolean
fuzz_known(const char *name)
{
  const char *list = g_getenv("NEARDUP_FUZZ_KNOWN");
  if (list == NULL)
    return FALSE;
  gsize n = strlen(name);
  for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
    if ((p == list || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
      return TRUE;
  return FALSE;
}

/* An error must be in the ND_ERROR domain, carry a non-empty message, and have one of `n` codes. */
static inline void
fuzz_check_error(const GError *error, const int *codes, size_t n, const char *what)
{
  FUZZ_CHECK(error != NULL, "%s failed without setting an error", what);
  FUZZ_CHECK(error->domain == ND_ERROR, "%s: error domain %s, message %s", what, g_quark_to_string(error->domain),
             error->message);
  FUZZ_CHECK(error->message != NULL && error->message[0] != '\0', "%s: empty error message", what);
  gboolean known = FALSE;
  for (size_t i = 0; i < n; i++)
    known = known || error->code == codes[i];
  FUZZ_CHECK(known, "%s: undocumented error code %d (%s)", what, error->code, error->message);
}

static char *fuzz_tmp_dir_path;

static inline void
fuzz_tmp_dir_remove(void)
{
  g_rmdir(fuzz_tmp_dir_path); /* empty by then: the targets remove their files */
}

/* A private temporary directory for the whole process (created on first use, under $TMPDIR or /tmp,
 * removed at exit). The targets write their inputs there and remove every file they create before
 * returning. */
static inline const char *
fuzz_tmp_dir(void)
{
  char *dir = fuzz_tmp_dir_path;
  if (dir == NULL) {
    const char *base = g_getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
      base = "/tmp";
    char *tmpl = g_build_filename(base, "neardup-fuzz-XXXXXX", NULL);
    if (g_mkdtemp(tmpl) == NULL) {
      perror("neardup fuzz: mkdtemp");
      abort();
    }
    dir = fuzz_tmp_dir_path = tmpl;
    atexit(fuzz_tmp_dir_remove);
  }
  return dir;
}

/* Writes `size` bytes to a new file made by mkstemp in fuzz_tmp_dir(); returns its path (caller
 * unlinks and frees). */
static inline char *
fuzz_write_temp(const uint8_t *data, size_t size, const char *suffix)
{
  char *path = g_strdup_printf("%s/in-XXXXXX%s", fuzz_tmp_dir(), suffix ? suffix : "");
  int fd = g_mkstemp(path);
  FUZZ_CHECK(fd >= 0, "mkstemp in %s failed", fuzz_tmp_dir());
  size_t done = 0;
  while (done < size) {
    ssize_t n = write(fd, data + done, size - done);
    FUZZ_CHECK(n > 0, "write to %s failed", path);
    done += (size_t)n;
  }
  close(fd);
  return path;
}

#endif

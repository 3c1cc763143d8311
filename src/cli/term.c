/* term.c — what reaches a terminal is shown, never obeyed.
 *
 * Ids, file names, metadata and article text come from the inputs, and a terminal obeys control
 * sequences in them: ESC[2J clears the screen, OSC 52 writes the clipboard, U+009B starts a command
 * like ESC[. Design: when standard output or standard error is a terminal, it is replaced by a stdio
 * stream that escapes, on its way out, every C0 control character but newline and tab (and a CR
 * before a LF), DEL, every C1 control character and every byte that is not UTF-8 — as \x1b, \u009b,
 * \xff. No call site has to remember it. The tool's own control sequences (colours, the progress
 * line) go through term_control, which lets one sequence through unescaped. Output to files and
 * pipes is untouched, byte for byte.
 */
#define _GNU_SOURCE /* fopencookie */
#include "cli.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  int fd;
  gboolean raw;              /* term_control is writing: pass through */
  unsigned char held[4];     /* an incomplete UTF-8 sequence, or a CR, at the end of the last write */
  gsize n_held;
} Term;

static Term terms[2]; /* standard output, standard error */
static FILE *streams[2];

static gboolean
write_all(int fd, const char *p, gsize n)
{
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return FALSE;
    p += w;
    n -= (gsize)w;
  }
  return TRUE;
}

/* Appends s[0..n) to `out` with the escapes described above. The last bytes, if they could be the
 * start of a sequence the next write completes (part of a UTF-8 character, or a CR), are held. */
static void
escape_into(Term *t, GString *out, const unsigned char *s, gsize n, gboolean final)
{
  gsize i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c == '\r') {
      if (i + 1 == n && !final) {
        t->held[0] = c;
        t->n_held = 1;
        return;
      }
      if (i + 1 < n && s[i + 1] == '\n')
        g_string_append_c(out, '\r');
      else
        g_string_append(out, "\\r");
      i++;
    } else if (c < 0x80) {
      if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
        g_string_append_printf(out, "\\x%02x", c);
      else
        g_string_append_c(out, (char)c);
      i++;
    } else {
      gunichar u = g_utf8_get_char_validated((const char *)s + i, (gssize)(n - i));
      if (u == (gunichar)-2 && !final && n - i < 4) { /* cut by the end of this write */
        memcpy(t->held, s + i, n - i);
        t->n_held = n - i;
        return;
      }
      if (u == (gunichar)-1 || u == (gunichar)-2) {
        g_string_append_printf(out, "\\x%02x", c);
        i++;
        continue;
      }
      gsize len = (gsize)(g_utf8_next_char((const char *)s + i) - (const char *)s - i);
      if (u <= 0x9f)
        g_string_append_printf(out, "\\u%04x", u);
      else
        g_string_append_len(out, (const char *)s + i, (gssize)len);
      i += len;
    }
  }
}

static ssize_t
term_write(void *cookie, const char *buf, size_t size)
{
  Term *t = cookie;
  if (t->raw)
    return write_all(t->fd, buf, size) ? (ssize_t)size : -1;
  GString *out = g_string_sized_new(size + 16);
  gsize n_held = t->n_held;
  t->n_held = 0;
  if (n_held > 0) { /* complete what the last write held back */
    g_autofree unsigned char *joined = g_malloc(n_held + size);
    unsigned char held[4];
    memcpy(held, t->held, n_held);
    memcpy(joined, held, n_held);
    memcpy(joined + n_held, buf, size);
    escape_into(t, out, joined, n_held + size, FALSE);
  } else {
    escape_into(t, out, (const unsigned char *)buf, size, FALSE);
  }
  gboolean ok = write_all(t->fd, out->str, out->len);
  g_string_free(out, TRUE);
  return ok ? (ssize_t)size : -1;
}

static int
term_close(void *cookie)
{
  Term *t = cookie;
  if (t->n_held > 0) {
    GString *out = g_string_new(NULL);
    unsigned char held[4];
    gsize n = t->n_held;
    memcpy(held, t->held, n);
    t->n_held = 0;
    escape_into(t, out, held, n, TRUE);
    write_all(t->fd, out->str, out->len);
    g_string_free(out, TRUE);
  }
  return 0;
}

static void
install(int which, int fd, FILE **stream)
{
  const char *env = g_getenv("NEARDUP_RAW_TERMINAL");
  if (!isatty(fd) || (env != NULL && strcmp(env, "1") == 0))
    return;
  terms[which] = (Term){ .fd = fd };
  cookie_io_functions_t io = { .write = term_write, .close = term_close };
  FILE *f = fopencookie(&terms[which], "w", io);
  if (f == NULL)
    return;
  setvbuf(f, NULL, which == 0 ? _IOLBF : _IONBF, 0);
  streams[which] = f;
  *stream = f;
}

static void
flush_at_exit(void)
{
  for (int i = 0; i < 2; i++)
    if (streams[i] != NULL)
      fclose(streams[i]); /* flushes, then writes what was held back */
}

void
term_install(void)
{
  install(0, STDOUT_FILENO, &stdout);
  install(1, STDERR_FILENO, &stderr);
  if (streams[0] != NULL || streams[1] != NULL)
    atexit(flush_at_exit);
}

void
term_control(FILE *fp, const char *sequence)
{
  for (int i = 0; i < 2; i++) {
    if (fp == streams[i]) {
      fflush(fp);
      term_close(&terms[i]); /* what the content held back, before the sequence */
      terms[i].raw = TRUE;
      fputs(sequence, fp);
      fflush(fp);
      terms[i].raw = FALSE;
      return;
    }
  }
  fputs(sequence, fp);
}

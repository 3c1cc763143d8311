/* progress.c — progress a person can trust, on stderr: the phase, how much of how much, the rate
 * and the time left, redrawn by a ticker thread so that it moves during long commits and matches
 * too (the work itself only bumps counters).
 *
 * Design: one progress line per process. Work reports with atomic counters (progress_set/add), so
 * the loader's and the index's callbacks cost nothing; a ticker thread draws every 250 ms on a
 * terminal ("\r" and erase), or writes a whole line every 2 s when --progress asks for progress on
 * a file or pipe. Messages printed while a line is shown go through cli_message, which erases the
 * line first under the same lock. Totals come from a counting thread that walks the inputs (files
 * listed, JSON Lines records counted) while the loader reads them; until it is done, no total is
 * shown rather than a guess.
 */
#include "cli.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TICK_TERMINAL_US 250000
#define TICK_FILE_US 2000000

static struct {
  GMutex lock;
  gboolean show, terminal, line_drawn;
  GThread *ticker;
  gint stop;
  char phase[64];
  char unit[32];
  guint64 done, total; /* under the lock: the ticker reads them while the work sets them */
  gint64 phase_start;
  GThread *counter;
  gint counter_stop;
  GString *timings; /* "phase 1.2 s, phase 3.4 s" of the phases ended */
} P = { .phase = "", .unit = "" };

/* Ends the current phase (P.lock held): its time joins the timings. */
static void
phase_end(void)
{
  if (P.phase[0] == '\0')
    return;
  if (P.timings == NULL)
    P.timings = g_string_new(NULL);
  g_string_append_printf(P.timings, "%s%s %.1f s", P.timings->len ? ", " : "", P.phase,
                         (g_get_monotonic_time() - P.phase_start) / 1e6);
}

static guint64
get_done(void)
{
  g_mutex_lock(&P.lock);
  guint64 d = P.done;
  g_mutex_unlock(&P.lock);
  return d;
}

/* 1234567 as "1,234,567". */
static void
format_count(guint64 v, char *buf, gsize size)
{
  char raw[32];
  g_snprintf(raw, sizeof raw, "%" G_GUINT64_FORMAT, v);
  gsize n = strlen(raw), o = 0;
  for (gsize i = 0; i < n && o + 2 < size; i++) {
    if (i > 0 && (n - i) % 3 == 0)
      buf[o++] = ',';
    buf[o++] = raw[i];
  }
  buf[o] = '\0';
}

static void
format_seconds(double s, char *buf, gsize size)
{
  if (s < 60)
    g_snprintf(buf, size, "%.0f s", s < 1 ? 1.0 : s);
  else if (s < 3600)
    g_snprintf(buf, size, "%d min %02d s", (int)(s / 60), (int)s % 60);
  else
    g_snprintf(buf, size, "%d h %02d min", (int)(s / 3600), (int)(s / 60) % 60);
}

/* Draws the line; P.lock held. */
static void
draw(void)
{
  if (P.phase[0] == '\0')
    return;
  double elapsed = (g_get_monotonic_time() - P.phase_start) / 1e6;
  char done[32], total[32], rate[32], left[32], took[32];
  format_count(P.done, done, sizeof done);
  format_count(P.total, total, sizeof total);
  format_seconds(elapsed, took, sizeof took);
  GString *line = g_string_new(P.phase);
  if (P.unit[0] == '\0') {
    g_string_append_printf(line, ": %s", took);
  } else {
    if (P.total > 0)
      g_string_append_printf(line, ": %s of %s %s (%.0f%%)", done, total, P.unit,
                             100.0 * (double)MIN(P.done, P.total) / (double)P.total);
    else
      g_string_append_printf(line, ": %s %s", done, P.unit);
    if (elapsed >= 1 && P.done > 0) {
      double r = P.done / elapsed;
      format_count((guint64)r, rate, sizeof rate);
      g_string_append_printf(line, ", %s/s", rate);
      if (P.total > P.done) {
        format_seconds((double)(P.total - P.done) / r, left, sizeof left);
        g_string_append_printf(line, ", %s left", left);
      }
    }
    g_string_append_printf(line, ", %s", took);
  }
  if (P.terminal) {
    term_control(stderr, "\r\033[K");
    fputs(line->str, stderr);
    P.line_drawn = TRUE;
  } else {
    fprintf(stderr, "neardup: %s\n", line->str);
  }
  fflush(stderr);
  g_string_free(line, TRUE);
}

static void
erase(void)
{
  if (P.line_drawn) {
    term_control(stderr, "\r\033[K");
    fflush(stderr);
    P.line_drawn = FALSE;
  }
}

static gpointer
tick(gpointer unused)
{
  (void)unused;
  gulong period = P.terminal ? TICK_TERMINAL_US : TICK_FILE_US;
  const char *ms = g_getenv("NEARDUP_PROGRESS_MS"); /* tests: a line every ms milliseconds */
  guint64 v;
  if (ms != NULL && g_ascii_string_to_unsigned(ms, 10, 10, 60000, &v, NULL))
    period = (gulong)v * 1000;
  while (!g_atomic_int_get(&P.stop)) {
    for (gulong slept = 0; slept < period && !g_atomic_int_get(&P.stop); slept += MIN(period, 50000))
      g_usleep(MIN(period, 50000));
    if (g_atomic_int_get(&P.stop))
      break;
    g_mutex_lock(&P.lock);
    draw();
    g_mutex_unlock(&P.lock);
  }
  return NULL;
}

void
progress_start(gboolean force)
{
  P.terminal = isatty(STDERR_FILENO);
  P.show = P.terminal || force;
  if (P.show && P.ticker == NULL) {
    g_atomic_int_set(&P.stop, 0);
    P.ticker = g_thread_new("neardup-progress", tick, NULL);
  }
}

void
progress_phase(const char *phase, const char *unit, guint64 total)
{
  g_mutex_lock(&P.lock);
  phase_end();
  g_strlcpy(P.phase, phase, sizeof P.phase);
  g_strlcpy(P.unit, unit ? unit : "", sizeof P.unit);
  P.done = 0;
  P.total = total;
  P.phase_start = g_get_monotonic_time();
  g_mutex_unlock(&P.lock);
}

void
progress_set(guint64 done, guint64 total)
{
  g_mutex_lock(&P.lock);
  P.done = done;
  if (total > 0)
    P.total = total;
  g_mutex_unlock(&P.lock);
}

void
progress_add(guint64 n)
{
  g_mutex_lock(&P.lock);
  P.done += n;
  g_mutex_unlock(&P.lock);
}

guint64
progress_done_count(void)
{
  return get_done();
}

void
progress_stop(void)
{
  g_atomic_int_set(&P.counter_stop, 1);
  if (P.counter != NULL) {
    g_thread_join(P.counter);
    P.counter = NULL;
  }
  if (P.ticker != NULL) {
    g_atomic_int_set(&P.stop, 1);
    g_thread_join(P.ticker);
    P.ticker = NULL;
  }
  g_mutex_lock(&P.lock);
  erase();
  phase_end();
  P.phase[0] = '\0';
  g_mutex_unlock(&P.lock);
}

char *
progress_timings(void)
{
  g_mutex_lock(&P.lock);
  char *t = g_strdup(P.timings ? P.timings->str : "");
  g_mutex_unlock(&P.lock);
  return t;
}

void
cli_message(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_mutex_lock(&P.lock);
  erase();
  fprintf(stderr, "neardup: %s\n", msg);
  fflush(stderr);
  g_mutex_unlock(&P.lock);
}

/* ---- totals: a thread counts what the loader will read ---- */

typedef struct {
  char **paths, **files_from, **jsonl;
} CountJob;

static gboolean
counting_stopped(void)
{
  return g_atomic_int_get(&P.counter_stop) != 0;
}

/* Lines holding something other than blanks (JSON Lines records, paths in a list); -1 on error. */
/* TRUE when the open file's first bytes say it holds several articles or compressed data (gzip,
 * zstd, a WARC, a JSON Lines record): its articles cannot be counted ahead without reading it as
 * the loader does, so the total is left unknown. */
static gboolean
holds_many(int fd)
{
  unsigned char head[5] = { 0 };
  ssize_t got = pread(fd, head, sizeof head, 0);
  if (got < 2)
    return FALSE;
  return (head[0] == 0x1f && head[1] == 0x8b) || (got >= 4 && memcmp(head, "\x28\xb5\x2f\xfd", 4) == 0) ||
         (got >= 5 && memcmp(head, "WARC/", 5) == 0) || head[0] == '{';
}

static gint64
count_lines(const char *path)
{
  if (output_is_protected(path))
    return -1; /* never opened: see output_protect_index */
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  unsigned char magic[4] = { 0 };
  if (pread(fd, magic, sizeof magic, 0) >= 2 &&
      ((magic[0] == 0x1f && magic[1] == 0x8b) || memcmp(magic, "\x28\xb5\x2f\xfd", 4) == 0)) {
    close(fd); /* compressed: its lines are not the file's newlines */
    return -1;
  }
  static char buf[1 << 20];
  gint64 n = 0;
  gboolean content = FALSE; /* the current line has a non-blank byte */
  ssize_t got;
  while (!counting_stopped() && (got = read(fd, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < got; i++) {
      char c = buf[i];
      if (c == '\n') {
        n += content;
        content = FALSE;
      } else if (!content && c != ' ' && c != '\t' && c != '\r') {
        content = TRUE;
      }
    }
  }
  close(fd);
  return counting_stopped() ? -1 : n + content;
}

/* Regular files under a directory as the loader walks it (names starting with '.' and links to
 * directories skipped); -1 on error. */
static gint64
count_tree(const char *path)
{
  DIR *d = opendir(path);
  if (d == NULL)
    return -1;
  gint64 n = 0;
  struct dirent *e;
  while (n >= 0 && !counting_stopped() && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    g_autofree char *child = g_build_filename(path, e->d_name, NULL);
    struct stat st;
    if (lstat(child, &st) != 0)
      continue;
    if (S_ISDIR(st.st_mode)) {
      gint64 k = count_tree(child);
      n = k < 0 ? -1 : n + k;
    } else if (S_ISREG(st.st_mode) || (S_ISLNK(st.st_mode) && stat(child, &st) == 0 && S_ISREG(st.st_mode))) {
      n++;
    }
  }
  closedir(d);
  return counting_stopped() ? -1 : n;
}

static gpointer
count_inputs(gpointer data)
{
  CountJob *job = data;
  gint64 total = 0;
  for (char **p = job->paths; total >= 0 && p && *p; p++) {
    struct stat st;
    if (strcmp(*p, "-") == 0 || stat(*p, &st) != 0)
      total = strcmp(*p, "-") == 0 ? -1 : total + 1; /* a missing path is one input reported */
    else if (S_ISDIR(st.st_mode)) {
      gint64 k = count_tree(*p);
      total = k < 0 ? -1 : total + k;
    } else if (S_ISREG(st.st_mode) && !output_is_protected(*p)) {
      int fd = open(*p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
      gboolean many = fd >= 0 && holds_many(fd);
      if (fd >= 0)
        close(fd);
      total = many ? -1 : total + 1;
    } else {
      total++;
    }
  }
  for (char **p = job->files_from; total >= 0 && p && *p; p++) {
    gint64 k = strcmp(*p, "-") == 0 ? -1 : count_lines(*p);
    total = k < 0 ? -1 : total + k;
  }
  for (char **p = job->jsonl; total >= 0 && p && *p; p++) {
    gint64 k = strcmp(*p, "-") == 0 ? -1 : count_lines(*p);
    total = k < 0 ? -1 : total + k;
  }
  if (total > 0 && !counting_stopped())
    progress_set(get_done(), (guint64)total);
  g_strfreev(job->paths);
  g_strfreev(job->files_from);
  g_strfreev(job->jsonl);
  g_free(job);
  return NULL;
}

void
progress_count_inputs(char **paths, char **files_from, char **jsonl)
{
  if (!P.show || P.counter != NULL)
    return;
  CountJob *job = g_new0(CountJob, 1);
  job->paths = g_strdupv(paths);
  job->files_from = g_strdupv(files_from);
  job->jsonl = g_strdupv(jsonl);
  g_atomic_int_set(&P.counter_stop, 0);
  P.counter = g_thread_new("neardup-count", count_inputs, job);
}

void
progress_stop_counting(void)
{
  g_atomic_int_set(&P.counter_stop, 1);
  if (P.counter != NULL) {
    g_thread_join(P.counter);
    P.counter = NULL;
  }
}

void
cli_index_progress(const char *phase, guint64 done, guint64 total, gpointer data)
{
  (void)data;
  g_mutex_lock(&P.lock);
  if (strcmp(P.phase, phase) != 0) {
    phase_end();
    g_strlcpy(P.phase, phase, sizeof P.phase);
    /* postings, candidates: counted; committing and checking files: timed */
    g_strlcpy(P.unit, total > 0 || done > 0 ? (strstr(phase, "postings") ? "postings" : strstr(phase, "upgrad")
                                                  ? "articles" : strstr(phase, "check") ? "articles" : "candidates")
                                            : "", sizeof P.unit);
    P.phase_start = g_get_monotonic_time();
  }
  P.done = done;
  P.total = total;
  g_mutex_unlock(&P.lock);
}

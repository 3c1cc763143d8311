/* output.c — results written atomically, never over one of the run's own inputs, and the JSON and
 * CSV quoting of every writer.
 *
 * Design: an output goes to a temporary file in the target's directory (unnamed with O_TMPFILE where
 * the file system allows) and is renamed over the target only when complete, keeping the replaced
 * file's permissions. Every existing file an output will replace is remembered (device and inode),
 * and the loader refuses to read such a file (output_file_check), so `-o feed.jsonl` can never
 * read the feed and then replace it with the results; commands holding other files open (an index
 * and its WAL) check them with output_refuse_input.
 */
#define _GNU_SOURCE /* O_TMPFILE, linkat(AT_EMPTY_PATH) */
#include "cli.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

/* ---- the files this run replaces ---- */

typedef struct {
  dev_t dev;
  ino_t ino;
  char *path;
} Replaced;

static GArray *replaced; /* Replaced; written before any loader thread starts, then only read */

static void
replaced_add(const char *path, const struct stat *st)
{
  if (replaced == NULL)
    replaced = g_array_new(FALSE, FALSE, sizeof(Replaced));
  Replaced r = { st->st_dev, st->st_ino, g_strdup(path) };
  g_array_append_val(replaced, r);
}

static const Replaced *
replaced_find(dev_t dev, ino_t ino)
{
  for (guint i = 0; replaced != NULL && i < replaced->len; i++) {
    const Replaced *r = &g_array_index(replaced, Replaced, i);
    if (r->dev == dev && r->ino == ino)
      return r;
  }
  return NULL;
}

/* The files of an index this run has open (the database and its -shm file), never read as inputs:
 * SQLite holds POSIX locks on them, and closing any other descriptor of such a file would drop them
 * (then another process could take this one's index for unused and delete its WAL). */
static GArray *protected_files; /* Replaced; written before any loader thread starts, then only read */

void
output_protect_index(const char *db)
{
  static const char *const suffixes[] = { "", "-shm", "-wal" };
  for (gsize k = 0; k < G_N_ELEMENTS(suffixes); k++) {
    g_autofree char *name = g_strconcat(db, suffixes[k], NULL);
    struct stat st;
    if (stat(name, &st) != 0)
      continue;
    if (protected_files == NULL)
      protected_files = g_array_new(FALSE, FALSE, sizeof(Replaced));
    Replaced r = { st.st_dev, st.st_ino, g_strdup(db) };
    g_array_append_val(protected_files, r);
  }
}

gboolean
output_is_protected(const char *path)
{
  struct stat st;
  if (protected_files == NULL || stat(path, &st) != 0)
    return FALSE;
  for (guint i = 0; i < protected_files->len; i++) {
    const Replaced *r = &g_array_index(protected_files, Replaced, i);
    if (r->dev == st.st_dev && r->ino == st.st_ino)
      return TRUE;
  }
  return FALSE;
}

static gint alias_found; /* atomic: output_file_check refused an input */
static char *alias_message; /* the first refusal, "PATH: reason" (set once, under alias_lock) */
G_LOCK_DEFINE_STATIC(alias_lock);

gboolean
output_file_check(const char *path, guint64 dev, guint64 ino, gpointer user_data, GError **error)
{
  for (guint i = 0; protected_files != NULL && i < protected_files->len; i++) {
    const Replaced *p = &g_array_index(protected_files, Replaced, i);
    if (p->dev == (dev_t)dev && p->ino == (ino_t)ino) {
      g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "is a file of the index %s that this run has open; not "
                  "read as an input", p->path);
      return FALSE;
    }
  }
  const Replaced *r = replaced_find((dev_t)dev, (ino_t)ino);
  if (r == NULL)
    return TRUE;
  g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "is the output file %s of this run (the same file%s); "
              "refusing to read it and then replace it: choose another output", r->path,
              strcmp(path, "-") == 0 ? ", as standard input" : strcmp(path, r->path) == 0 ? "" : ", through a link");
  G_LOCK(alias_lock);
  if (alias_message == NULL)
    alias_message = g_strdup_printf("%s: %s", path, (*error)->message);
  G_UNLOCK(alias_lock);
  g_atomic_int_set(&alias_found, 1);
  if (user_data != NULL)
    nd_loader_cancel(user_data); /* nothing else will be used: stop reading */
  return FALSE;
}

gboolean
output_alias_found(void)
{
  if (g_atomic_int_get(&alias_found) == 0)
    return FALSE;
  static gboolean told;
  G_LOCK(alias_lock);
  if (!told && alias_message != NULL)
    fprintf(stderr, "neardup: %s\n", alias_message);
  told = TRUE;
  G_UNLOCK(alias_lock);
  return TRUE;
}

/* TRUE when `a` and `b` name one file: the same device and inode, or, for names that do not exist
 * yet, the same name in the same directory (an index's WAL appears and disappears). */
static gboolean
same_file(const char *a, const char *b)
{
  struct stat sa, sb;
  if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  g_autofree char *da = g_path_get_dirname(a), *db = g_path_get_dirname(b);
  g_autofree char *ba = g_path_get_basename(a), *bb = g_path_get_basename(b);
  g_autofree char *ra = realpath(da, NULL), *rb = realpath(db, NULL);
  return ra != NULL && rb != NULL && strcmp(ra, rb) == 0 && strcmp(ba, bb) == 0;
}

gboolean
output_refuse_input(const Output *out, const char *command, const char *input, const char *what)
{
  if (out->path == NULL)
    return TRUE; /* standard output */
  static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
  for (gsize k = 0; k < (what != NULL && strcmp(what, "index") == 0 ? G_N_ELEMENTS(suffixes) : 1); k++) {
    g_autofree char *name = g_strconcat(input, suffixes[k], NULL);
    if (same_file(out->path, name)) {
      if (k == 0)
        cli_error(command, "the output %s is the %s %s; refusing to replace it: choose another output", out->path,
                  what ? what : "input", name);
      else
        cli_error(command, "the output %s is %s, a file of the index %s; refusing to replace it: choose another "
                  "output", out->path, name, input);
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- atomic output ---- */

/* Unnamed temporary files need O_TMPFILE in the file system and /proc to name them. */
static gboolean
want_unnamed(void)
{
  const char *env = g_getenv("NEARDUP_OUTPUT_TMPFILE");
  if (env != NULL && strcmp(env, "0") == 0)
    return FALSE;
  return access("/proc/self/fd", X_OK) == 0;
}

/* The name of a temporary file for `base`: .BASE.tmp-<suffix> — hidden, so that a directory walk
 * (ours skips names starting with '.') never reads a half-written output as an article. A long
 * BASE is cut so that the name stays within NAME_MAX. */
static char *
temp_name(const char *base, const char *suffix)
{
  return g_strdup_printf(".%.200s.tmp-%s", base, suffix);
}

static void
random_suffix(char suffix[7])
{
  static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (int i = 0; i < 6; i++)
    suffix[i] = chars[g_random_int_range(0, (gint32)sizeof chars - 1)];
  suffix[6] = '\0';
}

int
temp_create_at(int dirfd, const char *base, mode_t mode, char **tmp_name)
{
  *tmp_name = NULL;
  if (want_unnamed()) {
    int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
    if (fd >= 0)
      return fd;
    /* EOPNOTSUPP, EISDIR (no O_TMPFILE support) ...: a named file; real errors repeat below */
  }
  for (int attempt = 0; attempt < 100; attempt++) {
    char suffix[7];
    random_suffix(suffix);
    char *name = temp_name(base, suffix);
    int fd = openat(dirfd, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, mode);
    if (fd >= 0) {
      *tmp_name = name;
      return fd;
    }
    int e = errno;
    g_free(name);
    if (e != EEXIST) {
      errno = e;
      return -1;
    }
  }
  errno = EEXIST;
  return -1;
}

int
temp_link_at(int fd, const char *tmp_name, int dirfd, const char *name)
{
  if (tmp_name != NULL) /* a named temporary file in the same directory: link() never replaces */
    return linkat(dirfd, tmp_name, dirfd, name, 0) == 0 ? 0 : errno;
  char proc[64];
  g_snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) == 0)
    return 0;
  int e = errno;
  if (e != EEXIST && linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0) /* needs CAP_DAC_READ_SEARCH */
    return 0;
  return e;
}

/* Names the unnamed file `fd` .BASE.tmp-XXXXXX in dirfd (a fresh name); returns the name or NULL
 * with errno. */
static char *
name_unnamed(int fd, int dirfd, const char *base)
{
  for (int attempt = 0; attempt < 100; attempt++) {
    char suffix[7];
    random_suffix(suffix);
    char *name = temp_name(base, suffix);
    int e = temp_link_at(fd, NULL, dirfd, name);
    if (e == 0)
      return name;
    g_free(name);
    if (e != EEXIST) {
      errno = e;
      return NULL;
    }
  }
  errno = EEXIST;
  return NULL;
}

gboolean
output_open(Output *out, const char *path)
{
  memset(out, 0, sizeof *out);
  out->dirfd = -1;
  if (path == NULL || strcmp(path, "-") == 0) {
    out->fp = stdout;
    return TRUE;
  }
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    fprintf(stderr, "neardup: %s: cannot create output: is a directory\n", path);
    return FALSE;
  }
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    /* /dev/null, a FIFO, a terminal: written in place, as a shell redirection would. Renaming a
     * temporary file over it would replace the device node itself. */
    int dfd = open(path, O_WRONLY | O_CLOEXEC);
    out->fp = dfd >= 0 ? fdopen(dfd, "w") : NULL;
    if (out->fp == NULL) {
      fprintf(stderr, "neardup: %s: cannot open output: %s\n", path, g_strerror(errno));
      if (dfd >= 0)
        close(dfd);
      return FALSE;
    }
    out->path = g_strdup(path);
    out->direct = TRUE;
    return TRUE;
  }
  /* A symbolic link to a file: the file it points to is replaced, the link stays. */
  g_autofree char *resolved = NULL;
  if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
    resolved = realpath(path, NULL);
  const char *target = resolved ? resolved : path;
  mode_t mode = 0666; /* minus the umask, as a plain create */
  if (stat(target, &st) == 0) { /* replacing a file: never one this run reads; keep its mode */
    out->keep_mode = TRUE;
    out->mode = st.st_mode & 07777;
    out->uid = st.st_uid;
    out->gid = st.st_gid;
    mode = 0600; /* widened to the file's own mode at the end, never wider meanwhile */
    replaced_add(target, &st);
  }
  if (cli_rank() != 0) {
    /* An MPI rank other than 0 checks its inputs against the target (above) but writes nothing. */
    out->fp = fopen("/dev/null", "w");
    out->path = g_strdup("/dev/null");
    out->direct = TRUE;
    return out->fp != NULL;
  }
  g_autofree char *dir = g_path_get_dirname(target);
  out->base = g_path_get_basename(target);
  out->path = g_strdup(target);
  out->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int fd = out->dirfd < 0 ? -1 : temp_create_at(out->dirfd, out->base, mode, &out->tmp_name);
  if (fd < 0) {
    fprintf(stderr, "neardup: %s: cannot create output: %s\n", path, g_strerror(errno));
    output_abort(out);
    return FALSE;
  }
  cli_remember_tmp(out->dirfd, out->tmp_name);
  out->fp = fdopen(fd, "w");
  if (out->fp == NULL) {
    fprintf(stderr, "neardup: %s: cannot create output: %s\n", path, g_strerror(errno));
    close(fd);
    output_abort(out);
    return FALSE;
  }
  return TRUE;
}

gboolean
output_commit(Output *out)
{
  if (out->fp == NULL)
    return FALSE; /* already committed or aborted */
  if (cli_interrupted()) {
    output_abort(out);
    return FALSE;
  }
  gboolean ok = fflush(out->fp) == 0 && !ferror(out->fp);
  int err = errno;
  if (out->path == NULL) {
    if (!ok)
      fprintf(stderr, "neardup: error writing standard output: %s\n", g_strerror(err));
    out->fp = NULL;
    return ok;
  }
  if (out->direct) {
    if (fclose(out->fp) != 0 && ok) {
      ok = FALSE;
      err = errno;
    }
    out->fp = NULL;
    if (!ok)
      fprintf(stderr, "neardup: %s: cannot write output: %s\n", out->path, g_strerror(err));
    g_clear_pointer(&out->path, g_free);
    return ok;
  }
  int fd = fileno(out->fp);
  if (ok && out->keep_mode) {
    /* As the file it replaces: its permissions (a private 0600 file stays private) and, where
     * allowed (root), its owner. */
    if (fchown(fd, out->uid, out->gid) != 0)
      g_debug("fchown %s: %s", out->path, g_strerror(errno)); /* only root may give files away */
    if (fchmod(fd, out->mode) != 0) {
      ok = FALSE;
      err = errno;
    }
  }
  if (ok && fsync(fd) != 0) {
    ok = FALSE;
    err = errno;
  }
  if (ok && out->tmp_name == NULL) {
    out->tmp_name = name_unnamed(fd, out->dirfd, out->base);
    if (out->tmp_name == NULL) {
      ok = FALSE;
      err = errno;
    }
    cli_remember_tmp(out->dirfd, out->tmp_name);
  }
  if (fclose(out->fp) != 0 && ok) {
    ok = FALSE;
    err = errno;
  }
  out->fp = NULL;
  if (ok && renameat(out->dirfd, out->tmp_name, out->dirfd, out->base) != 0) {
    ok = FALSE;
    err = errno;
  }
  if (ok && fsync(out->dirfd) != 0) /* the rename survives a crash of the machine */
    g_debug("fsync of the directory of %s: %s", out->path, g_strerror(errno)); /* not everywhere: harmless */
  if (!ok) {
    fprintf(stderr, "neardup: %s: cannot write output: %s; the file is unchanged\n", out->path, g_strerror(err));
    if (out->tmp_name != NULL)
      unlinkat(out->dirfd, out->tmp_name, 0);
  }
  cli_remember_tmp(-1, NULL);
  g_clear_pointer(&out->tmp_name, g_free);
  output_abort(out); /* closes the directory */
  return ok;
}

void
output_abort(Output *out)
{
  cli_remember_tmp(-1, NULL);
  if (out->fp != NULL && out->fp != stdout)
    fclose(out->fp); /* an unnamed temporary file disappears with its descriptor */
  else if (out->fp == stdout)
    fflush(stdout);
  out->fp = NULL;
  if (out->tmp_name != NULL && out->dirfd >= 0)
    unlinkat(out->dirfd, out->tmp_name, 0);
  if (out->dirfd >= 0)
    close(out->dirfd);
  out->dirfd = -1;
  g_clear_pointer(&out->path, g_free);
  g_clear_pointer(&out->base, g_free);
  g_clear_pointer(&out->tmp_name, g_free);
}

/* ---- quoting ---- */

void
json_write_string(FILE *fp, const char *s)
{
  fputc('"', fp);
  for (const char *p = s; *p != '\0';) {
    unsigned char c = (unsigned char)*p;
    if (c < 0x80) {
      switch (c) {
      case '"': fputs("\\\"", fp); break;
      case '\\': fputs("\\\\", fp); break;
      case '\n': fputs("\\n", fp); break;
      case '\r': fputs("\\r", fp); break;
      case '\t': fputs("\\t", fp); break;
      default:
        if (c < 0x20 || c == 0x7f)
          fprintf(fp, "\\u%04x", c);
        else
          fputc(c, fp);
      }
      p++;
      continue;
    }
    gunichar u = g_utf8_get_char_validated(p, -1);
    if (u == (gunichar)-1 || u == (gunichar)-2) {
      /* A byte that is not UTF-8 (file names may hold any byte): written as the lone surrogate
       * U+DC80 + byte, Python's "surrogateescape" (PEP 383), so distinct names stay distinct and
       * os.fsencode() gives the original bytes back. */
      fprintf(fp, "\\udc%02x", c);
      p++;
      continue;
    }
    const char *next = g_utf8_next_char(p);
    if ((u >= 0x80 && u <= 0x9f) || u == 0x2028 || u == 0x2029) /* C1 controls; JavaScript's line breaks */
      fprintf(fp, "\\u%04x", u);
    else
      fwrite(p, 1, (gsize)(next - p), fp);
    p = next;
  }
  fputc('"', fp);
}

void
csv_write_field(FILE *fp, const char *s)
{
  /* A cell starting with = + - @ (or a tab or CR) is a formula to a spreadsheet: OWASP's advice is
   * to prefix a single quote and quote the cell, so it is shown as text. */
  gboolean formula = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL && s[1] != '\0'; /* "-" alone is text */
  if (!formula && strpbrk(s, ",\"\r\n") == NULL) {
    fputs(s, fp);
    return;
  }
  fputc('"', fp);
  if (formula)
    fputc('\'', fp);
  for (const char *p = s; *p; p++) {
    if (*p == '"')
      fputc('"', fp);
    fputc(*p, fp);
  }
  fputc('"', fp);
}

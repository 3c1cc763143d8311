/* copy.c — `dedup --copy-to DIR`: the kept articles copied (or hard-linked) into a directory, safely.
 *
 * Design: a copy is made only from the article's own bytes (the text the run read and compared) or,
 * with --link, from the very file the loader read (checked to hold those bytes): never from a path
 * that data names. Its name comes from its id by a reversible encoding (copy_name), so two ids never
 * share a name, and every directory below DIR is created and entered with openat(O_NOFOLLOW): a
 * symbolic link planted inside DIR is refused, never followed out of it. A copy is written to a
 * temporary file and linked into place, so it is complete or absent; an existing file is never
 * replaced, and one that already holds exactly the article's bytes counts as done (a rerun after an
 * interruption copies only what is missing).
 */
#define _GNU_SOURCE /* O_TMPFILE (through output.c's helpers), AT_EMPTY_PATH */
#include "cli.h"
#include <xxhash.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

/* Longest name segment written as is; a longer one is cut and ends in ~ and a hash (NAME_MAX is 255). */
#define SEGMENT_MAX 240
#define SEGMENT_CUT 200

struct CopyDir {
  char *path;
  int fd;
  gboolean link;
  GHashTable *taken; /* name -> id of the article copied under it in this run */
};

CopyDir *
copy_dir_open(const char *path, gboolean link_files, GError **error)
{
  if (g_mkdir_with_parents(path, 0777) != 0) {
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "%s: cannot create directory: %s", path, g_strerror(errno));
    return NULL;
  }
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* DIR itself is the user's choice: followed */
  if (fd < 0) {
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "%s: cannot open directory: %s", path, g_strerror(errno));
    return NULL;
  }
  CopyDir *cd = g_new0(CopyDir, 1);
  cd->path = g_strdup(path);
  cd->fd = fd;
  cd->link = link_files;
  cd->taken = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  return cd;
}

void
copy_dir_close(CopyDir *cd)
{
  if (cd == NULL)
    return;
  close(cd->fd);
  g_hash_table_unref(cd->taken);
  g_free(cd->path);
  g_free(cd);
}

/* ---- names ---- */

/* Bytes written as %XX: controls, '%' (the escape itself), '~' (marks a cut name), and characters
 * that other file systems refuse (\ : * ? " < > |), so a copy directory can move to them. */
static gboolean
needs_escape(unsigned char c)
{
  return c < 0x20 || c == 0x7f || strchr("%~\\:*?\"<>|", c) != NULL;
}

/* Appends one segment of an id (no '/') to `out`, escaped, its leading '.' too ("." and ".." are
 * not names, and a hidden copy would be skipped when DIR is read back). */
static void
append_segment(GString *out, const char *seg, gsize len)
{
  gsize start = out->len;
  for (gsize i = 0; i < len;) {
    unsigned char c = (unsigned char)seg[i];
    if (c >= 0x80) { /* valid UTF-8 stays (names in any script); other bytes are escaped */
      gunichar u = g_utf8_get_char_validated(seg + i, (gssize)(len - i));
      if (u != (gunichar)-1 && u != (gunichar)-2 && !(u >= 0x80 && u <= 0x9f)) {
        gsize n = (gsize)(g_utf8_next_char(seg + i) - (seg + i));
        g_string_append_len(out, seg + i, (gssize)n);
        i += n;
        continue;
      }
    }
    if (needs_escape(c) || c >= 0x80 || (c == '.' && i == 0))
      g_string_append_printf(out, "%%%02X", c);
    else
      g_string_append_c(out, (char)c);
    i++;
  }
  if (out->len - start > SEGMENT_MAX) {
    /* Cut at a character boundary and name the whole segment by its hash: still one name per id. */
    gsize cut = start + SEGMENT_CUT;
    while (cut > start && ((unsigned char)out->str[cut] & 0xC0) == 0x80)
      cut--;
    while (cut > start + 2 && (out->str[cut - 1] == '%' || out->str[cut - 2] == '%')) /* not inside %XX */
      cut--;
    g_string_truncate(out, cut);
    g_string_append_printf(out, "~%016" G_GINT64_MODIFIER "x", (guint64)XXH3_64bits(seg, len));
  }
}

char *
copy_name(const char *id, gboolean keep_tree, const char *suffix)
{
  GString *out = g_string_new(NULL);
  gsize n = strlen(id);
  gsize seg = 0;
  gboolean pending_slash = FALSE; /* a '/' that may become a directory separator */
  for (gsize i = 0; i <= n; i++) {
    if (i < n && id[i] != '/')
      continue;
    gsize len = i - seg;
    if (pending_slash) /* a separator only between two non-empty segments */
      g_string_append(out, len > 0 ? "/" : "%2F");
    append_segment(out, id + seg, len);
    if (i < n) {
      if (keep_tree && len > 0)
        pending_slash = TRUE;
      else {
        g_string_append(out, "%2F");
        pending_slash = FALSE;
      }
    }
    seg = i + 1;
  }
  if (suffix != NULL)
    g_string_append(out, suffix);
  return g_string_free(out, FALSE);
}

/* ---- writing ---- */

/* Reads at most `len` + 1 bytes of fd and tells whether they are exactly text[0..len). */
static gboolean
fd_holds(int fd, const char *text, gsize len)
{
  char buf[65536];
  gsize done = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return FALSE;
    if (n == 0)
      return done == len;
    if (done + (gsize)n > len || memcmp(buf, text + done, (gsize)n) != 0)
      return FALSE;
    done += (gsize)n;
  }
}

/* Enters (creating it) each directory of `name` below the copy directory, never through a symbolic
 * link. Returns the descriptor of the last directory and sets *base to the file name in it; -1 with
 * an error naming the directory. */
static int
enter_dirs(CopyDir *cd, const char *name, const char **base, GError **error)
{
  int fd = dup(cd->fd);
  const char *seg = name;
  for (const char *slash; fd >= 0 && (slash = strchr(seg, '/')) != NULL; seg = slash + 1) {
    g_autofree char *dir = g_strndup(seg, (gsize)(slash - seg));
    if (mkdirat(fd, dir, 0777) != 0 && errno != EEXIST) {
      int e = errno;
      g_set_error(error, ND_ERROR, ND_ERROR_IO, "%s/%.*s: cannot create directory: %s", cd->path,
                  (int)(slash - name), name, g_strerror(e));
      close(fd);
      return -1;
    }
    int next = openat(fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) {
      int e = errno;
      struct stat st;
      gboolean is_link = fstatat(fd, dir, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
      g_set_error(error, ND_ERROR, ND_ERROR_IO, "%s/%.*s: %s", cd->path, (int)(slash - name), name,
                  is_link ? "is a symbolic link; copies are never written through links"
                          : e == ENOTDIR ? "exists and is not a directory" : g_strerror(e));
      close(fd);
      return -1;
    }
    close(fd);
    fd = next;
  }
  if (fd < 0)
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "%s: %s", cd->path, g_strerror(errno));
  *base = seg;
  return fd;
}

/* What is already at `base` in dirfd: 0 nothing, 1 a regular file holding exactly data[0..len),
 * -1 something else (error set). */
static int
existing(CopyDir *cd, int dirfd, const char *base, const char *name, const char *data, gsize len, GError **error)
{
  struct stat st;
  if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT ? 0 : (g_set_error(error, ND_ERROR, ND_ERROR_IO, "%s/%s: %s", cd->path, name,
                                              g_strerror(errno)), -1);
  if (S_ISREG(st.st_mode) && (guint64)st.st_size == len) {
    int fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    gboolean same = fd >= 0 && fd_holds(fd, data, len);
    if (fd >= 0)
      close(fd);
    if (same)
      return 1;
  }
  g_set_error(error, ND_ERROR, ND_ERROR_IO, "%s/%s: %s; not overwritten", cd->path, name,
              S_ISLNK(st.st_mode) ? "is a symbolic link" : S_ISREG(st.st_mode) ? "exists with other content"
                                                                              : "exists and is not a regular file");
  return -1;
}

/* Hard-links the article's own input file as `base` in dirfd when it still holds the bytes that
 * were read: 0 on success, an errno to fall back to copying, or -1 with an error. */
static int
link_source(CopyDir *cd, int dirfd, const char *base, const char *name, const NdDocument *doc, const char *bytes,
            gsize len, mode_t *mode, GError **error)
{
  int src = open(doc->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (src < 0)
    return errno;
  struct stat st;
  int e = 0;
  if (fstat(src, &st) != 0 || !S_ISREG(st.st_mode))
    e = EINVAL;
  else
    *mode = st.st_mode & 0777; /* never set-user-id or set-group-id on a copy */
  if (e == 0 && (!cd->link || (guint64)st.st_size != len || !fd_holds(src, bytes, len)))
    e = EINVAL; /* no link wanted, or the file changed since it was read: copy the bytes that were read */
  if (e == 0) {
    e = temp_link_at(src, NULL, dirfd, base); /* the inode itself, never a symbolic link */
    if (e == EEXIST) {
      close(src);
      g_set_error(error, ND_ERROR, ND_ERROR_IO, "%s/%s: appeared meanwhile; not overwritten", cd->path, name);
      return -1;
    }
  }
  close(src);
  return e;
}

/* The bytes of the file an extracted article (a web page) was read from, when the file still holds
 * what was read (its size and XXH3-64): the copy of a page is the page, not its text. NULL with an
 * error otherwise. */
static char *
source_bytes(const CopyDir *cd, const NdDocument *doc, gsize *len, GError **error)
{
  g_autofree char *data = NULL;
  gsize n = 0;
  if (doc->source_bytes > G_MAXSIZE / 2 || !g_file_get_contents(doc->path, &data, &n, NULL) ||
      n != doc->source_bytes || XXH3_64bits(data, n) != doc->source_hash) {
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "%s: changed since it was read (or cannot be read); its copy in %s "
                "is not made", doc->path, cd->path);
    return NULL;
  }
  *len = n;
  return g_steal_pointer(&data);
}

static gboolean put(CopyDir *cd, const NdDocument *doc, const char *data, gsize len, gboolean is_source,
                    const char *name, CopyResult *result, GError **error);

gboolean
copy_dir_put(CopyDir *cd, const NdDocument *doc, const char *name, CopyResult *result, GError **error)
{
  g_return_val_if_fail(doc->text != NULL, FALSE);
  /* what the copy holds: the article's text, or for an article extracted from a file (a page), the file */
  g_autofree char *page = NULL;
  const char *bytes = doc->text;
  gsize len = doc->bytes;
  if (doc->map != NULL && doc->path != NULL) {
    page = source_bytes(cd, doc, &len, error);
    if (page == NULL)
      return FALSE;
    bytes = page;
  }
  return put(cd, doc, bytes, len, TRUE, name, result, error);
}

gboolean
copy_dir_put_bytes(CopyDir *cd, const NdDocument *doc, const char *data, gsize len, const char *name,
                   CopyResult *result, GError **error)
{
  return put(cd, doc, data, len, FALSE, name, result, error);
}

/* Puts `data` (len bytes) as `name`: when `is_source` it is what the article's file held, so the
 * file may be linked and its mode kept; otherwise (a JSON Lines record made for the copy) never a
 * link to the input. */
static gboolean
put(CopyDir *cd, const NdDocument *doc, const char *data, gsize len, gboolean is_source, const char *name,
    CopyResult *result, GError **error)
{
  const char *other = g_hash_table_lookup(cd->taken, name);
  if (other != NULL) {
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "%s/%s: the copy of '%s' is already there, made in this run; "
                "not overwritten", cd->path, name, other);
    return FALSE;
  }
  const char *base = NULL;
  int dirfd = enter_dirs(cd, name, &base, error);
  if (dirfd < 0)
    return FALSE;
  gboolean ok = FALSE;
  int state = existing(cd, dirfd, base, name, data, len, error);
  mode_t mode = 0666;
  if (state == 1) {
    *result = COPY_PRESENT;
    ok = TRUE;
  } else if (state == 0 && doc->path != NULL && is_source) {
    int e = link_source(cd, dirfd, base, name, doc, data, len, &mode, error);
    if (e == 0) {
      *result = COPY_LINKED;
      ok = TRUE;
    }
    state = e < 0 ? -1 : 0;
  }
  if (!ok && state == 0) {
    g_autofree char *tmp = NULL;
    int fd = temp_create_at(dirfd, base, mode, &tmp);
    int e = fd < 0 ? errno : 0;
    cli_remember_tmp(dirfd, tmp);
    for (gsize done = 0; e == 0 && done < len;) {
      ssize_t n = write(fd, data + done, len - done);
      if (n < 0 && errno == EINTR && !cli_interrupted())
        continue;
      if (n <= 0)
        e = n < 0 ? errno : EIO;
      else
        done += (gsize)n;
    }
    if (e == 0 && doc->path != NULL && is_source && fchmod(fd, mode) != 0) /* as its source, not widened by the umask */
      e = errno;
    if (e == 0 && fsync(fd) != 0)
      e = errno;
    if (e == 0 && cli_interrupted())
      e = EINTR;
    if (e == 0)
      e = temp_link_at(fd, tmp, dirfd, base); /* never replaces a file that appeared meanwhile */
    if (fd >= 0)
      close(fd);
    if (tmp != NULL)
      unlinkat(dirfd, tmp, 0);
    cli_remember_tmp(-1, NULL);
    if (e == 0) {
      *result = COPY_WRITTEN;
      ok = TRUE;
    } else {
      g_set_error(error, ND_ERROR, ND_ERROR_IO, "%s/%s: %s%s", cd->path, name,
                  e == EEXIST ? "appeared meanwhile; not overwritten" : "cannot write: ",
                  e == EEXIST ? "" : g_strerror(e));
    }
  }
  if (ok && *result != COPY_PRESENT && fsync(dirfd) != 0)
    g_debug("fsync of a copy's directory: %s", g_strerror(errno)); /* not supported everywhere */
  close(dirfd);
  if (ok)
    g_hash_table_insert(cd->taken, g_strdup(name), g_strdup(doc->id));
  return ok;
}

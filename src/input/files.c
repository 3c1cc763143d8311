/* files.c — files, directories, lists of paths and standard input: the inputs named on a command
 * line. Every input is recognised by its content: a WARC or JSON Lines file (compressed or not) is
 * read as its records, anything else as one article (HTML or plain text, see formats.c).
 *
 * Design: the producer opens each file once to look at its first 4 KiB (decompressed), which
 * decides its format, and queues it; a worker opens it again to read it whole, so that reading and
 * parsing run in parallel. Directory walks are sorted, skip hidden names and links to directories,
 * apply --include/--exclude globs, and pass over (counting them) files that cannot be articles:
 * scripts, stylesheets, images and other binary files.
 */
#include "source.h"
#include "article_check.h"
#include "hash.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEAD_BYTES ((gsize)4096)
/* Longest line of a --files-from list (a path). */
#define MAX_LIST_LINE ((gsize)64 << 10)

static const char PASS_SCRIPT[] = "scripts and stylesheets (by name: .js, .css ...)";
static const char PASS_MEDIA[] = "images, audio, video, fonts and documents (by name: .png, .woff, .pdf ...)";
static const char PASS_BINARY[] = "binary files (by their content: a NUL byte or a magic number)";
static const char PASS_EXCLUDED[] = "files left out by an exclude pattern";
static const char PASS_NOT_INCLUDED[] = "files not matched by an include pattern";

/* Name suffixes (lower case) of files a directory walk passes over. */
static const char *const script_suffixes[] = { ".js", ".mjs", ".cjs", ".css", ".scss", ".less", ".map", ".json",
                                               ".wasm", NULL };
static const char *const media_suffixes[] = {
  ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg", ".ico", ".bmp", ".tif", ".tiff", ".heic",
  ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".m4a", ".m4v", ".webm", ".ogg", ".oga", ".ogv",
  ".wav", ".flac", ".avi", ".mov", ".mkv", ".pdf", ".zip", ".7z", ".rar", ".tar", ".xz", ".bz2", ".exe",
  ".dll", ".so", ".o", ".a", ".class", ".jar", ".swf", ".psd", ".db", ".sqlite", NULL };

/* Names that say "text": a NUL byte in such a file is reported as an error (a damaged article), not
 * passed over as a binary file. */
static const char *const text_suffixes[] = { ".txt", ".text", ".md", ".html", ".htm", ".xhtml", ".shtml", ".php",
                                             ".asp", ".aspx", ".jsp", ".jsonl", ".ndjson", ".warc", NULL };

static gboolean
has_suffix(const char *name, const char *const *suffixes)
{
  g_autofree char *lower = g_ascii_strdown(name, -1);
  for (const char *const *s = suffixes; *s != NULL; s++)
    if (g_str_has_suffix(lower, *s))
      return TRUE;
  return FALSE;
}

gboolean
nd_bytes_look_binary(const guint8 *head, gsize len)
{
  static const struct {
    const char *magic;
    gsize len;
  } magics[] = {
    { "\x89PNG", 4 }, { "\xff\xd8\xff", 3 }, { "GIF8", 4 }, { "%PDF-", 5 }, { "PK\x03\x04", 4 }, { "RIFF", 4 },
    { "\x7f" "ELF", 4 }, { "wOFF", 4 }, { "wOF2", 4 }, { "OggS", 4 }, { "ID3", 3 }, { "\x1a\x45\xdf\xa3", 4 },
    { "7z\xbc\xaf", 4 }, { "BZh", 3 }, { "\xfd" "7zXZ", 5 }, { "SQLite format 3", 15 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(magics); i++)
    if (len >= magics[i].len && memcmp(head, magics[i].magic, magics[i].len) == 0)
      return TRUE;
  if (len >= 2 && ((head[0] == 0xff && head[1] == 0xfe) || (head[0] == 0xfe && head[1] == 0xff)))
    return FALSE; /* UTF-16 text with its byte order mark */
  return memchr(head, 0, len) != NULL;
}

/* ---- the worker's half: one article file, or bytes read by the producer ---- */

/* The common case without a stream: reads a regular, uncompressed file whole into ctx->buf (refused
 * by its size first). 1 when done; 0 when the file is not that (a pipe, compressed data: read it as a
 * stream); -1 with an error. */
static int
read_plain_file(NdWorkerCtx *ctx, const char *path, GError **error)
{
  gsize max_bytes = ctx->config->max_bytes;
  if (!nd_loader_check_name(ctx->loader, path, error))
    return -1;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, ND_ERROR, e == ENOENT ? ND_ERROR_NOT_FOUND : ND_ERROR_IO, "cannot open: %s", g_strerror(e));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return 0;
  }
  if (!nd_loader_check_file(ctx->loader, path, fd, error)) {
    close(fd);
    return -1;
  }
  gsize limit = MIN(max_bytes, (gsize)G_MAXUINT32 - 2); /* a GByteArray holds less than 4 GiB */
  if ((guint64)st.st_size > limit) { /* refused by its size before it is read, unless it is compressed */
    guint8 magic[4];
    ssize_t n = pread(fd, magic, sizeof magic, 0);
    close(fd);
    if (n > 0 && nd_compression_sniff(magic, (gsize)n) != ND_COMPRESSION_NONE)
      return 0;
    g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "file of %" G_GUINT64_FORMAT " bytes is larger than the "
                "maximum of %" G_GSIZE_FORMAT " bytes", (guint64)st.st_size, max_bytes);
    return -1;
  }
  g_byte_array_set_size(ctx->buf, (guint)st.st_size + 1);
  gsize got = 0;
  for (;;) {
    if (got == ctx->buf->len) {
      if (got > limit)
        break; /* the file grew while it was read */
      g_byte_array_set_size(ctx->buf, (guint)MIN((gsize)ctx->buf->len * 2 + 4096, limit + 1));
    }
    ssize_t n = read(fd, ctx->buf->data + got, ctx->buf->len - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      g_set_error(error, ND_ERROR, ND_ERROR_IO, "read error: %s", g_strerror(e));
      return -1;
    }
    if (n == 0)
      break;
    got += (gsize)n;
  }
  close(fd);
  g_byte_array_set_size(ctx->buf, (guint)got);
  if (nd_compression_sniff(ctx->buf->data, got) != ND_COMPRESSION_NONE)
    return 0;
  if (got > limit) {
    g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "file is larger than the maximum of %" G_GSIZE_FORMAT
                " bytes", max_bytes);
    return -1;
  }
  return 1;
}

static gboolean
files_read(NdWorkerCtx *ctx, const NdItem *item, NdArticle *out, GError **error)
{
  if (item->payload != NULL) { /* standard input, or a pipe the producer read */
    NdDocInput in = { item->name, (const guint8 *)item->payload, item->payload_len, NULL, NULL };
    return nd_parse_document(ctx, &in, out, error);
  }
  gsize max_bytes = ctx->config->max_bytes;
  int fast = read_plain_file(ctx, item->name, error);
  if (fast < 0)
    return FALSE;
  if (fast > 0) { /* a regular file, not compressed: its bytes are in ctx->buf */
    NdDocInput in = { item->name, ctx->buf->data, ctx->buf->len, NULL, NULL };
    if (!nd_parse_document(ctx, &in, out, error))
      return FALSE;
    if (out->pass_reason == NULL) {
      out->path = g_strdup(item->name);
      out->source_bytes = ctx->buf->len;
      out->source_hash = XXH3_64bits(ctx->buf->data, ctx->buf->len);
    }
    return TRUE;
  }
  NdInStream *s = nd_in_stream_open(ctx->loader, item->name, error);
  if (s == NULL)
    return FALSE;
  gint64 size = nd_in_stream_file_size(s);
  gboolean regular = size >= 0;
  const guint8 *head;
  if (nd_in_stream_peek(s, 4, &head, error) < 0) {
    nd_in_stream_free(s);
    return FALSE;
  }
  gboolean compressed = nd_in_stream_compression(s) != NULL;
  if (regular && !compressed && ((guint64)size > max_bytes || (guint64)size >= G_MAXUINT32)) {
    nd_in_stream_free(s);
    g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "file of %" G_GUINT64_FORMAT " bytes is larger than the "
                "maximum of %" G_GSIZE_FORMAT " bytes", (guint64)size, max_bytes);
    return FALSE;
  }
  g_byte_array_set_size(ctx->buf, 0);
  gboolean ok = nd_in_stream_read_all(s, ctx->buf, max_bytes, error);
  gboolean pipe = nd_in_stream_is_pipe(s);
  guint64 source_bytes, source_hash;
  nd_in_stream_source_digest(s, &source_bytes, &source_hash);
  nd_in_stream_free(s);
  if (!ok)
    return FALSE;
  if (ctx->buf->len > MIN(max_bytes, (gsize)G_MAXUINT32 - 2)) {
    if (compressed)
      g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "decompressed data larger than the maximum of %"
                  G_GSIZE_FORMAT " bytes", max_bytes);
    else if (pipe)
      g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "stream holds more than the maximum of %" G_GSIZE_FORMAT
                  " bytes; not read further", max_bytes);
    else
      g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "file is larger than the maximum of %" G_GSIZE_FORMAT
                  " bytes", max_bytes);
    return FALSE;
  }
  NdDocInput in = { item->name, ctx->buf->data, ctx->buf->len, NULL, NULL };
  if (!nd_parse_document(ctx, &in, out, error))
    return FALSE;
  if (regular && !pipe && out->pass_reason == NULL) {
    out->path = g_strdup(item->name);
    out->source_bytes = source_bytes;
    out->source_hash = source_hash;
  }
  return TRUE;
}

const NdFormat nd_format_files = {
  .name = "files",
  .read = files_read,
};

/* ---- the producer's half ---- */

/* Looks at an opened input and queues it: its records when it is a container, otherwise one article
 * (read again by a worker; a pipe, whose bytes cannot be read twice, is read here). `walked`: found
 * in a directory walk, where binary files are passed over rather than reported. */
static void
queue_stream(NdLoader *l, NdInStream *s, const char *path, const char *display, gboolean walked)
{
  GError *error = NULL;
  const guint8 *head;
  gssize n = nd_in_stream_peek(s, HEAD_BYTES, &head, &error);
  if (n < 0) {
    if (error != NULL)
      nd_loader_queue_error(l, display, error);
    return;
  }
  gboolean complete = (gsize)n < HEAD_BYTES;
  const NdFormat *container = nd_format_container_for(head, (gsize)n, complete);
  if (container != NULL) {
    container->produce(l, s, display);
    return;
  }
  if (walked && n > 0 && nd_bytes_look_binary(head, (gsize)n) && !has_suffix(path, text_suffixes)) {
    nd_loader_queue_pass(l, display, PASS_BINARY);
    return;
  }
  if (!nd_in_stream_is_pipe(s) && strcmp(path, "-") != 0) {
    NdItem it = { .format = &nd_format_files, .name = g_strdup(path) };
    nd_loader_queue(l, &it);
    return;
  }
  /* standard input or a pipe: read it now, at most max_bytes + 1 bytes */
  gsize max_bytes = nd_loader_config(l)->max_bytes;
  g_autoptr(GByteArray) buf = g_byte_array_new();
  if (!nd_in_stream_read_all(s, buf, max_bytes, &error)) {
    if (error != NULL)
      nd_loader_queue_error(l, display, error);
    return;
  }
  if (nd_loader_halted(l))
    return;
  if (buf->len > MIN(max_bytes, (gsize)G_MAXUINT32 - 2)) { /* refused without reading the rest */
    nd_loader_queue_error(l, display, g_error_new(ND_ERROR, ND_ERROR_TOO_LARGE, "%s holds more than the maximum "
                                                  "of %" G_GSIZE_FORMAT " bytes; not read further",
                                                  strcmp(path, "-") == 0 ? "standard input" : "stream", max_bytes));
    return;
  }
  gsize len = buf->len;
  guint8 zero = 0;
  g_byte_array_append(buf, &zero, 1);
  NdItem it = { .format = &nd_format_files, .name = g_strdup(display),
                .payload = (char *)g_byte_array_free(g_steal_pointer(&buf), FALSE), .payload_len = len };
  nd_loader_queue(l, &it);
}

static void
queue_file(NdLoader *l, const char *path, gboolean walked)
{
  GError *error = NULL;
  if (!nd_loader_check_name(l, path, &error)) {
    nd_loader_queue_error(l, path, error);
    return;
  }
  /* the common case without a stream: a regular file whose first bytes say it is one article */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    if (!nd_loader_check_file(l, path, fd, &error)) {
      close(fd);
      nd_loader_queue_error(l, path, error);
      return;
    }
    guint8 head[HEAD_BYTES];
    ssize_t n = pread(fd, head, sizeof head, 0);
    close(fd);
    fd = -1;
    if (n >= 0 && nd_compression_sniff(head, (gsize)n) == ND_COMPRESSION_NONE &&
        nd_format_container_for(head, (gsize)n, (gsize)n < HEAD_BYTES) == NULL) {
      if (walked && n > 0 && nd_bytes_look_binary(head, (gsize)n) && !has_suffix(path, text_suffixes)) {
        nd_loader_queue_pass(l, path, PASS_BINARY);
      } else {
        NdItem it = { .format = &nd_format_files, .name = g_strdup(path) };
        nd_loader_queue(l, &it);
      }
      return;
    }
  }
  if (fd >= 0)
    close(fd);
  NdInStream *s = nd_in_stream_open(l, path, &error);
  if (s == NULL) {
    nd_loader_queue_error(l, path, error);
    return;
  }
  queue_stream(l, s, path, path, walked);
  nd_in_stream_free(s);
}

typedef struct {
  dev_t dev;
  ino_t ino;
} DirKey;

typedef struct {
  GArray *stack;     /* DirKey of the directories being walked */
  gsize root_len;    /* length of the walked argument, to make relative paths */
} Walk;

static void walk_dir(NdLoader *l, const char *path, Walk *w);

/* TRUE when `pattern` matches the file: its name, or with a '/' in the pattern, its path relative to
 * the walked argument. */
static gboolean
glob_matches(GPtrArray *patterns, const char *path, gsize root_len)
{
  if (patterns->len == 0)
    return FALSE;
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  const char *rel = path + MIN(root_len, strlen(path));
  while (*rel == '/')
    rel++;
  for (guint i = 0; i < patterns->len; i++) {
    GPatternSpec *p = g_ptr_array_index(patterns, i);
    if (g_pattern_spec_match_string(p, base) || g_pattern_spec_match_string(p, rel))
      return TRUE;
  }
  return FALSE;
}

static void
add_entry(NdLoader *l, const char *path, Walk *w, gboolean explicit_arg)
{
  const NdSourceConfig *cfg = nd_loader_config(l);
  struct stat st;
  /* Inside a tree, symbolic links to directories are not followed (as find and ripgrep do): they
   * would read files twice or loop. Links to files are followed; explicit arguments always are. */
  if (!explicit_arg && lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && stat(path, &st) == 0 &&
      S_ISDIR(st.st_mode))
    return;
  if (stat(path, &st) != 0) {
    int e = errno;
    struct stat lst;
    if (e == ELOOP || (e == ENOENT && lstat(path, &lst) == 0))
      nd_loader_queue_error(l, path, g_error_new(ND_ERROR, ND_ERROR_IO, "broken or looping symbolic link"));
    else
      nd_loader_queue_error(l, path, g_error_new(ND_ERROR, e == ENOENT ? ND_ERROR_NOT_FOUND : ND_ERROR_IO, "%s",
                                                 g_strerror(e)));
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    if (!explicit_arg && glob_matches(cfg->exclude, path, w->root_len))
      return; /* a directory left out by --exclude: its files are not counted one by one */
    for (guint i = 0; i < w->stack->len; i++) {
      DirKey *k = &g_array_index(w->stack, DirKey, i);
      if (k->dev == st.st_dev && k->ino == st.st_ino) {
        nd_loader_queue_error(l, path, g_error_new(ND_ERROR, ND_ERROR_IO, "directory loop (a symbolic link points "
                                                   "to a parent directory); not followed"));
        return;
      }
    }
    DirKey key = { st.st_dev, st.st_ino };
    g_array_append_val(w->stack, key);
    walk_dir(l, path, w);
    g_array_set_size(w->stack, w->stack->len - 1);
    return;
  }
  if (!S_ISREG(st.st_mode) && !explicit_arg) {
    nd_loader_queue_error(l, path, g_error_new(ND_ERROR, ND_ERROR_IO, "not a regular file; skipped"));
    return;
  }
  if (!explicit_arg) {
    if (glob_matches(cfg->exclude, path, w->root_len)) {
      nd_loader_queue_pass(l, path, PASS_EXCLUDED);
      return;
    }
    if (cfg->include->len > 0 && !glob_matches(cfg->include, path, w->root_len)) {
      nd_loader_queue_pass(l, path, PASS_NOT_INCLUDED);
      return;
    }
    if (has_suffix(path, script_suffixes)) {
      nd_loader_queue_pass(l, path, PASS_SCRIPT);
      return;
    }
    if (has_suffix(path, media_suffixes)) {
      nd_loader_queue_pass(l, path, PASS_MEDIA);
      return;
    }
  }
  queue_file(l, path, !explicit_arg);
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
walk_dir(NdLoader *l, const char *path, Walk *w)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open(path, 0, &error);
  if (dir == NULL) {
    nd_loader_queue_error(l, path, g_error_new(ND_ERROR, ND_ERROR_IO, "cannot open directory: %s", error->message));
    return;
  }
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while ((name = g_dir_read_name(dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add(names, g_strdup(name));
  g_ptr_array_sort(names, compare_names);
  if (names->len == 0 && w->stack->len == 1) {
    nd_loader_queue_error(l, path, g_error_new(ND_ERROR, ND_ERROR_EMPTY, "directory contains no files"));
    return;
  }
  for (guint i = 0; i < names->len && !nd_loader_halted(l); i++) {
    g_autofree char *child = g_build_filename(path, g_ptr_array_index(names, i), NULL);
    add_entry(l, child, w, FALSE);
  }
}

void
nd_loader_add_path(NdLoader *l, const char *path)
{
  g_return_if_fail(path != NULL);
  if (nd_loader_halted(l))
    return;
  if (strcmp(path, "-") == 0) {
    GError *error = NULL;
    NdInStream *s = nd_in_stream_open(l, "-", &error);
    if (s == NULL) {
      nd_loader_queue_error(l, "-", error);
      return;
    }
    queue_stream(l, s, "-", "-", FALSE);
    nd_in_stream_free(s);
    return;
  }
  Walk w = { g_array_new(FALSE, FALSE, sizeof(DirKey)), strlen(path) };
  add_entry(l, path, &w, TRUE);
  g_array_unref(w.stack);
}

void
nd_loader_add_files_from(NdLoader *l, const char *list_path)
{
  g_return_if_fail(list_path != NULL);
  if (nd_loader_halted(l))
    return;
  const char *display = strcmp(list_path, "-") == 0 ? "<stdin>" : list_path;
  GError *error = NULL;
  NdInStream *s = nd_in_stream_open(l, list_path, &error);
  if (s == NULL) {
    nd_loader_queue_error(l, strcmp(list_path, "-") == 0 ? "-" : list_path, error);
    return;
  }
  NdLineReader r;
  nd_line_reader_init(&r, s);
  guint64 lineno = 0, length;
  gboolean too_long;
  while (nd_line_reader_next(&r, MAX_LIST_LINE, &length, &too_long)) {
    lineno++;
    if (too_long) {
      g_autofree char *name = g_strdup_printf("%s:%" G_GUINT64_FORMAT, display, lineno);
      nd_loader_queue_error(l, name, g_error_new(ND_ERROR, ND_ERROR_IO, "line of %" G_GUINT64_FORMAT " bytes is too "
                                                 "long for a path (the maximum is %" G_GSIZE_FORMAT "); skipped",
                                                 length, MAX_LIST_LINE));
      continue;
    }
    while (r.line_len > 0 && (r.line[r.line_len - 1] == '\r'))
      r.line[--r.line_len] = '\0';
    if (r.line_len == 0)
      continue;
    nd_loader_add_path(l, r.line);
  }
  if (r.error != NULL)
    nd_loader_queue_error(l, display, nd_in_stream_read_errno(s) != 0
                          ? g_error_new(ND_ERROR, ND_ERROR_IO, "read error after line %" G_GUINT64_FORMAT ": %s", lineno,
                                        g_strerror(nd_in_stream_read_errno(s)))
                          : g_error_new(ND_ERROR, ND_ERROR_IO, "after line %" G_GUINT64_FORMAT ": %s", lineno,
                                        r.error->message));
  nd_line_reader_clear(&r);
  nd_in_stream_free(s);
}

char *
nd_read_article(const char *path, gsize max_bytes, NdTextFlags flags, gsize *len, GError **error)
{
  g_autoptr(GByteArray) buf = g_byte_array_new();
  NdInStream *s = nd_in_stream_open(NULL, path, error);
  if (s == NULL)
    return NULL;
  nd_in_stream_set_raw(s); /* the file's own bytes, even when they are compressed */
  gint64 size = nd_in_stream_file_size(s);
  if (size >= 0 && ((guint64)size > max_bytes || (guint64)size >= G_MAXUINT32)) {
    nd_in_stream_free(s);
    g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "file of %" G_GUINT64_FORMAT " bytes is larger than the "
                "maximum of %" G_GSIZE_FORMAT " bytes", (guint64)size, max_bytes);
    return NULL;
  }
  gboolean ok = nd_in_stream_read_all(s, buf, max_bytes, error);
  nd_in_stream_free(s);
  if (!ok)
    return NULL;
  if (buf->len > MIN(max_bytes, (gsize)G_MAXUINT32 - 2)) {
    g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "article is larger than the maximum of %" G_GSIZE_FORMAT
                " bytes", max_bytes);
    return NULL;
  }
  if (!nd_article_bytes_ok((const char *)buf->data, buf->len, error))
    return NULL;
  gssize bad = nd_utf8_find_invalid((const char *)buf->data, buf->len);
  if (bad >= 0 && !(flags & ND_TEXT_LOSSY)) {
    g_set_error(error, ND_ERROR, ND_ERROR_UTF8, "invalid UTF-8 at byte offset %" G_GSSIZE_FORMAT, bad);
    return NULL;
  }
  *len = buf->len;
  guint8 zero = 0;
  g_byte_array_append(buf, &zero, 1);
  return (char *)g_byte_array_free(g_steal_pointer(&buf), FALSE);
}

/* source.h — private: the input wing's one interface. What an input format hands the loader, and
 * what the loader offers formats.
 *
 * The loader (loader.c) is a pipeline that knows no format: the calling thread enumerates inputs and
 * queues items (NdItem); worker threads turn each item into an article (NdArticle: id, text,
 * metadata, a map from text offsets back to the input's bytes), which the loader signs and merges
 * in input order. A format is an NdFormat: a struct of callbacks, any of which may be NULL:
 *
 *   produce  the producer's half, on the calling thread: reads a container (a JSON Lines file, a
 *            WARC file, a directory, a list of paths) from a stream and queues one item per
 *            article, error or input passed over;
 *   read     the worker's half: the article of one item this format queued;
 *   sniff    recognises the format from the first bytes of an input (decompressed);
 *   parse    a document format (plain text, HTML): the article held in a buffer of bytes, whichever
 *            container the bytes came from (a file, standard input, a WARC record's payload).
 *
 * formats.c lists the formats in the order content recognition tries them: a new format is one new
 * file and one line there. The public entry points (nd_loader_add_path, _add_files_from,
 * _add_jsonl in input.h) live in the files of the formats they start (files.c, jsonl.c).
 */
#ifndef NEARDUP_INPUT_SOURCE_H
#define NEARDUP_INPUT_SOURCE_H

#include <neardup/neardup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct NdFormat NdFormat;
typedef struct NdWorkerCtx NdWorkerCtx;
typedef struct NdInStream NdInStream;

/* One unit of work. The producer fills the first half; the worker the second. */
typedef struct {
  const NdFormat *format;  /* whose read() makes the article; NULL for an error or a pass-over */
  char *name;              /* the input's name in messages ("dir/a.html", "feed.jsonl:12"); the id unless
                              the format gives one; owned */
  char *payload;           /* bytes the producer read (a JSON line, a WARC record, standard input), or
                              NULL (a file the worker opens by name); owned, NUL-terminated */
  gsize payload_len;
  gpointer data;           /* the format's own (freed with format->item_data_free) */
  const char *pass_reason; /* set (a static string): the input is passed over, counted under this reason */
  GError *error;           /* an error found while enumerating, or the worker's */
  GError *warning;         /* a problem that did not stop the read (reported, not counted as skipped) */
  NdDocument *doc;         /* the worker's result */
  guint64 number;          /* set by nd_loader_queue: the item's place in input order, from 0 (shares) */
} NdItem;

/* An article before signing, as a format's read() or parse() makes it. Everything owned is freed
 * by nd_article_clear(). */
typedef struct {
  char *id;                /* the article's id; NULL: the item's name */
  const char *text;        /* its UTF-8 text (borrowed from owned_text, the item, or a format's state) */
  gsize len;
  char *owned_text;        /* what `text` points into, when the article owns it */
  JsonObject *meta;        /* metadata fields (title, url, date ...) or NULL; a reference is owned */
  char *meta_json;         /* or the metadata already written as one compact JSON object (owned) */
  NdOffsetMap *map;        /* text offsets -> offsets in the input's bytes; NULL: the same offsets */
  char *path;              /* the regular file it was read from, as named, or NULL */
  guint64 source_bytes, source_hash; /* that file's size and XXH3-64 as read (with `path`) */
  const char *pass_reason; /* set (static): not an article, passed over and counted (no error) */
  GError *warning;         /* read, but something was wrong (a charset that lied); reported */
  gboolean name_errors;    /* prefix signing errors with 'record "ID": ' (records whose id is not their input's name) */
} NdArticle;

void nd_article_clear(NdArticle *article);

/* What a document format is given: bytes (not necessarily NUL-terminated) and what the container
 * said about them. */
typedef struct {
  const char *name;         /* the input's name, for messages */
  const guint8 *bytes;
  gsize len;
  const char *content_type; /* the HTTP Content-Type (WARC), or NULL */
  const char *url;          /* the URL the bytes were fetched from (WARC), or NULL */
} NdDocInput;

struct NdFormat {
  const char *name; /* "text", "html", "jsonl", "warc", "files" */
  /* TRUE when head[0..len) (the first bytes of an input, decompressed; `complete` when that is all
   * of it) is this format. */
  gboolean (*sniff)(const guint8 *head, gsize len, gboolean complete);
  /* Producer: reads the container `in` (owned by the caller), named `display` in messages, and
   * queues its items. */
  void (*produce)(NdLoader *loader, NdInStream *in, const char *display);
  /* Worker: the article of `item` (queued by this format's produce). FALSE with an error. */
  gboolean (*read)(NdWorkerCtx *ctx, const NdItem *item, NdArticle *out, GError **error);
  /* Document formats: the article held in `in`. FALSE with an error. */
  gboolean (*parse)(NdWorkerCtx *ctx, const NdDocInput *in, NdArticle *out, GError **error);
  /* Per-worker state (a parser, buffers), made on first use and freed with the worker. */
  gpointer (*worker_new)(void);
  void (*worker_free)(gpointer state);
  void (*item_data_free)(gpointer data);
};

/* ---- formats.c: the formats, and recognising them by content ---- */

extern const NdFormat nd_format_text, nd_format_html, nd_format_jsonl, nd_format_warc, nd_format_files;

/* The container format `head` starts (JSON Lines, WARC), or NULL for a single article. */
const NdFormat *nd_format_container_for(const guint8 *head, gsize len, gboolean complete);
/* The document format of one article's bytes: HTML when they look like a page (or when
 * `content_type` says text/html or application/xhtml+xml), otherwise plain text. Never NULL. */
const NdFormat *nd_format_document_for(const guint8 *bytes, gsize len, const char *content_type);

/* ---- loader.c: what the loader offers formats ---- */

/* A byte range of a JSON Lines or WARC file this loader reads instead of all of it
 * (nd_loader_set_input_range), or NULL: looked up by the input's name in messages. */
typedef struct {
  NdInputRange range;
  guint64 first_line; /* JSON Lines: the lines before range.start */
} NdLoaderRange;
const NdLoaderRange *nd_loader_input_range(const NdLoader *loader, const char *display);
/* Between these two calls the producer queues the items of a range of the file `display` of `size`
 * bytes, calling nd_loader_range_at with the byte offset of each record before queueing its items
 * (an article, an error, a pass-over): the loader numbers them from the file's first number plus
 * that offset; the file takes size + 1 numbers, whichever share reads which range, and every item
 * queued is this share's. */
void nd_loader_range_begin(NdLoader *loader, const char *display, guint64 size);
void nd_loader_range_at(NdLoader *loader, guint64 offset);
void nd_loader_range_end(NdLoader *loader);

/* What formats need to know of the loader's settings (read-only while it runs). */
typedef struct {
  gsize max_bytes;                  /* the signing parameters' max_bytes */
  const char *id_field, *text_field; /* JSON Lines fields (default "id", "text") */
  GPtrArray *include, *exclude;     /* GPatternSpec* of directory walks; empty = none */
  NdFileCheckFunc file_check;
  gpointer file_check_data;
} NdSourceConfig;

const NdSourceConfig *nd_loader_config(const NdLoader *loader);
/* TRUE when the loader should do no more work (stopped in strict mode, or cancelled). */
gboolean nd_loader_halted(const NdLoader *loader);
/* A copy of `s` that lives as long as the loader (the same pointer for equal strings). */
const char *nd_loader_intern(NdLoader *loader, const char *s);
/* Queues `item` (the loader takes its contents; the struct itself is copied). */
void nd_loader_queue(NdLoader *loader, NdItem *item);
/* Queues an error found while enumerating (takes `error`). */
void nd_loader_queue_error(NdLoader *loader, const char *name, GError *error);
/* Queues an input passed over without error, counted in the summary under `reason` (static). */
void nd_loader_queue_pass(NdLoader *loader, const char *name, const char *reason);
/* Runs the caller's file check (nd_loader_set_file_check) on `fd`, just opened as `path`; TRUE
 * without one. `loader` may be NULL (then TRUE). */
gboolean nd_loader_check_file(const NdLoader *loader, const char *path, int fd, GError **error);
/* The same check by name, before `path` is opened: some files must not even be opened, as closing a
 * descriptor drops every POSIX lock the process holds on the file (the index of this run, whose
 * locks SQLite holds). The check after opening stays: the name may change meanwhile. TRUE when the
 * name cannot be stat'ed (open reports that). `loader` may be NULL. */
gboolean nd_loader_check_name(const NdLoader *loader, const char *path, GError **error);

/* A worker's context: the loader, scratch buffers, and each format's state. */
struct NdWorkerCtx {
  const NdLoader *loader;      /* NULL outside a loader (nd_read_document's one-off reads) */
  const NdSourceConfig *config;
  GByteArray *buf;             /* scratch bytes of the file being read */
  const NdFormat *formats[8];
  gpointer states[8];
};

void nd_worker_ctx_init(NdWorkerCtx *ctx, const NdLoader *loader, const NdSourceConfig *config);
void nd_worker_ctx_clear(NdWorkerCtx *ctx);
/* `format`'s state for this worker, made on first use (NULL when the format keeps none). */
gpointer nd_worker_state(NdWorkerCtx *ctx, const NdFormat *format);

/* Parses a document's bytes with the format content recognition picks (nd_format_document_for). */
gboolean nd_parse_document(NdWorkerCtx *ctx, const NdDocInput *in, NdArticle *out, GError **error);

/* ---- stream.c: reading files and streams, bounded and cancellable, through compress.c ---- */

/* Opens `path` ("-" = standard input) for reading: checked with the loader's file check, refused
 * when it is a directory; a FIFO is opened without waiting for a writer. NULL with an error. */
NdInStream *nd_in_stream_open(const NdLoader *loader, const char *path, GError **error);
/* A stream over `len` bytes in memory (borrowed: they must outlive the stream). */
NdInStream *nd_in_stream_new_memory(const guint8 *bytes, gsize len);
void nd_in_stream_free(NdInStream *in);
/* Reads up to `n` decompressed bytes: the count, 0 at the end, -1 with an error (a read error, corrupt
 * or truncated compressed data) or when the loader is halted (then without an error). */
gssize nd_in_stream_read(NdInStream *in, void *buf, gsize n, GError **error);
/* Makes at least `n` bytes (fewer at the end) available without consuming them; *data points at
 * them until the next call. The count, or -1 as nd_in_stream_read. */
gssize nd_in_stream_peek(NdInStream *in, gsize n, const guint8 **data, GError **error);
/* Puts n bytes just read back in front of the stream (at most what was read so far). */
void nd_in_stream_unread(NdInStream *in, const guint8 *data, gsize n);
/* Consumes n bytes already made available by nd_in_stream_peek. */
void nd_in_stream_consume(NdInStream *in, gsize n);
/* Decompressed bytes consumed so far. */
guint64 nd_in_stream_offset(const NdInStream *in);
/* The compression detected ("gzip", "zstd") or NULL. */
const char *nd_in_stream_compression(const NdInStream *in);
/* For a stream of several gzip members: the offset in the compressed file of the member that holds
 * the next byte to be read (the record offsets of a .warc.gz); otherwise nd_in_stream_offset. */
guint64 nd_in_stream_member_offset(const NdInStream *in);
/* After a compressed-data error: skips to the next gzip member header in the compressed bytes and
 * goes on from there. FALSE when there is none (the stream is then at its end). */
gboolean nd_in_stream_resync(NdInStream *in);
/* The number of bytes read from the source as stored (compressed or not) and their XXH3-64: for a
 * file read to its end, its size and hash. */
void nd_in_stream_source_digest(const NdInStream *in, guint64 *bytes, guint64 *hash);
/* The errno of the read error the stream met (its error message says "read error: ..."), or 0 when
 * its error was about the data (compression). */
int nd_in_stream_read_errno(const NdInStream *in);
/* TRUE when the stream reads a pipe, FIFO or terminal (not a regular file or memory). */
gboolean nd_in_stream_is_pipe(const NdInStream *in);

/* Moves a regular file's stream to byte `offset` of the file as stored (a share's range, ranges.c):
 * what was buffered is dropped. Uncompressed: reading goes on from there, and
 * nd_in_stream_offset counts from `offset`. gzip: `offset` must be where a member starts; the
 * decoder starts afresh there, nd_in_stream_offset counts decompressed bytes from 0 and
 * nd_in_stream_member_offset gives offsets in the file. FALSE (then the stream must not be read
 * further) for zstd, a pipe, memory, or when the file cannot seek there. */
gboolean nd_in_stream_seek(NdInStream *in, guint64 offset);

/* Reads the bytes as they are, never decompressed (call before the first read). */
void nd_in_stream_set_raw(NdInStream *in);
/* The size of the regular file the stream reads, or -1 (a pipe, memory). */
gint64 nd_in_stream_file_size(const NdInStream *in);
/* TRUE when `head` looks like a binary file: a known magic number (images, fonts, archives,
 * executables) or a NUL byte (UTF-16 with a byte order mark excepted). files.c. */
gboolean nd_bytes_look_binary(const guint8 *head, gsize len);

/* Reads the whole stream into `out`, at most max_bytes + 1 bytes (more: out->len > max_bytes and the
 * rest unread). FALSE with an error. */
gboolean nd_in_stream_read_all(NdInStream *in, GByteArray *out, gsize max_bytes, GError **error);

/* A line reader over a stream that never holds more than `limit` bytes of one line: the rest of an
 * over-long line is read and dropped, and its length counted. */
typedef struct {
  NdInStream *in;
  char *line;        /* the current line, NUL-terminated, without its '\n'; the caller may steal it
                        (then set it NULL and line_cap 0) */
  gsize line_len, line_cap;
  GError *error;     /* a read error that ended the lines */
} NdLineReader;

void nd_line_reader_init(NdLineReader *r, NdInStream *in);
void nd_line_reader_clear(NdLineReader *r);
/* The next line into r->line. FALSE at the end, on an error (r->error) or when the loader is halted.
 * *length is the line's full length; over `limit`, *too_long is set and r->line is left empty. */
gboolean nd_line_reader_next(NdLineReader *r, gsize limit, guint64 *length, gboolean *too_long);

/* ---- compress.c ---- */

typedef enum { ND_COMPRESSION_NONE, ND_COMPRESSION_GZIP, ND_COMPRESSION_ZSTD } NdCompression;

/* The compression whose magic number starts `head` (at least 4 bytes to tell). */
NdCompression nd_compression_sniff(const guint8 *head, gsize len);

typedef struct NdDecoder NdDecoder;
NdDecoder *nd_decoder_new(NdCompression kind);
void nd_decoder_free(NdDecoder *d);
/* Decodes from in[0..in_len) into out[0..out_cap): sets *used and *produced. At the end of a gzip
 * member it stops (so the caller can note where the next one starts) and sets *member_end. FALSE with
 * an error naming what is wrong with the data. */
gboolean nd_decoder_step(NdDecoder *d, const guint8 *in, gsize in_len, gsize *used, guint8 *out, gsize out_cap,
                         gsize *produced, gboolean *member_end, GError **error);
/* Starts a new member/frame (after *member_end, or a resync). */
void nd_decoder_reset(NdDecoder *d);
/* TRUE when the decoder is between members/frames (all input so far complete). */
gboolean nd_decoder_at_boundary(const NdDecoder *d);

/* Decompresses an HTTP body (Content-Encoding gzip, or deflate: zlib or raw) into `out`, at most
 * `max` bytes (more: ND_ERROR_TOO_LARGE). A body that ends inside the compressed data gives what it
 * holds and sets *truncated. ND_ERROR_FORMAT for corrupt data. */
gboolean nd_inflate_body(const guint8 *in, gsize len, gboolean gzip, gsize max, GByteArray *out, gboolean *truncated,
                         GError **error);

/* For a stream of several gzip members: the offset in the compressed input where the next record
 * starts when it starts a member (TRUE), as a CDX index gives it; otherwise FALSE. */
gboolean nd_in_stream_member_start(const NdInStream *in, guint64 *offset);

G_END_DECLS

#endif

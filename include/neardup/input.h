/* input.h — reading articles into a collection: files, directories, lists of files, JSON Lines,
 * web pages (their article text, html.h) and WARC files, compressed or not, recognised by content.
 * The formats live in src/input/, one file each, behind one interface (src/input/source.h).
 *
 * The loader is a producer/worker pipeline. The calling thread enumerates inputs (walking
 * directories in sorted order, reading JSON Lines line by line) and hands batches of work to
 * `threads` workers, which read, validate, tokenise and sign. Results are merged back strictly in
 * input order, so the collection's order, the ids, and the order of error reports are the same
 * whatever the number of threads. Memory stays bounded: at most a few batches per worker are in
 * flight.
 *
 * Ids: a file's id is its path as the user gave it (a file found under a directory argument is
 * that argument joined with its relative path); "-" is standard input; a JSON Lines record's id is
 * its id field (string or integer).
 *
 * Bad inputs never stop the run by themselves: each is reported once through the error callback
 * with the input's name and the reason, counted, and skipped. With stop_on_error the loader stops
 * reading after the first failure (in input order).
 *
 * Limits, and what the loader holds in memory at most (besides the collection, or nothing when a
 * document function takes the documents):
 *   - a file is refused (ND_ERROR_TOO_LARGE) by its size before it is read when it is larger than
 *     the signing parameters' max_bytes; standard input is read up to max_bytes + 1 bytes and then
 *     refused without reading the rest;
 *   - a JSON Lines line longer than nd_jsonl_max_line(max_bytes) is read and dropped while
 *     streaming, never held, and reported with its line number and length; JSON nested deeper than
 *     ND_JSON_MAX_DEPTH levels is refused before parsing (the parser is recursive);
 *   - with nd_loader_set_max_tokens(), an article with more tokens is refused; articles that could
 *     exceed the limit are counted chunk by chunk before signing, so signing never holds the token
 *     arrays (about 32 bytes per token) of an article over the limit;
 *   - queued work: at most 4 batches of at most 64 items per worker, and while more than one batch
 *     is queued, at most 16 MiB per worker of JSON line payloads plus one batch.
 * So the loader's own peak is about threads x (max_bytes for a file buffer, or ~3 x the line for a
 * JSON record being parsed, + 32 bytes x max_tokens while signing) + threads x 16 MiB + one line.
 *
 * Cancellation: nd_loader_cancel() (from any thread, or a signal handler) or a flag registered with
 * nd_loader_set_cancel_flag() stops the loader: no new input is enumerated or read, blocking reads
 * of pipes return when a signal interrupts them, the workers skip the work queued, and nothing more
 * is merged or passed to the document function. nd_loader_finish() then returns promptly (after the
 * articles being signed at that moment) and nd_loader_cancelled() is TRUE.
 *
 * Stability: stable (docs/api.md): the calls, the callback types and NdPassedOver (grows only at
 * the end). Formats are recognised by content; new formats may be recognised in a new minor
 * version.
 */
#ifndef NEARDUP_INPUT_H
#define NEARDUP_INPUT_H

#include <neardup/api.h>
#include <glib.h>
#include <neardup/collection.h>

ND_BEGIN_DECLS

/* `input` names what failed ("dir/a.txt", "feed.jsonl:12"); the error is in ND_ERROR. */
typedef void (*NdInputErrorFunc)(const char *input, const GError *error, gpointer user_data);
/* Called on the loader's thread after each merged batch with running totals. */
typedef void (*NdProgressFunc)(guint64 articles, guint64 bytes, guint64 skipped, gpointer user_data);

/* Receives each signed document, in input order, instead of the collection (ownership passes to the
 * function). Returning FALSE with an error reports the input as skipped (e.g. already archived). */
typedef gboolean (*NdDocumentFunc)(NdDocument *doc, gpointer user_data, GError **error);

/* Judges an input file the loader has just opened, before reading it: its path as named and its
 * device and inode numbers (through symbolic links: the file itself). Returning FALSE with an error
 * skips it, reported like any unreadable input. Called for article files, lists, JSON Lines files and
 * standard input ("-"), from the loader's thread or a worker thread: it must be thread-safe. The
 * tool uses it to refuse reading a file it is about to replace (an output named as an input). */
typedef gboolean (*NdFileCheckFunc)(const char *path, guint64 dev, guint64 ino, gpointer user_data, GError **error);

typedef struct NdLoader NdLoader;

/* A loader that adds to `collection` (borrowed; must outlive the loader) with `threads` workers
 * (0 = one per processor). */
NdLoader *nd_loader_new(NdCollection *collection, guint threads, gboolean stop_on_error);
void nd_loader_set_error_func(NdLoader *loader, NdInputErrorFunc func, gpointer user_data);
void nd_loader_set_progress_func(NdLoader *loader, NdProgressFunc func, gpointer user_data);
/* Streams documents to `func` instead of adding them to the collection (which then only supplies
 * the signing parameters): memory stays bounded however many articles are read. */
void nd_loader_set_document_func(NdLoader *loader, NdDocumentFunc func, gpointer user_data);

/* Reads only share `index` of `count` (0 or 1: everything; call before queueing inputs): of the items
 * the inputs make in input order (articles, unreadable inputs, inputs passed over), numbered from 0,
 * the ones in blocks of `block` (0: ND_DEFAULT_SHARE_BLOCK) dealt out in turn, block k to share
 * k mod count: runs of a directory or a JSON Lines file stay together, and every share gets about as
 * many. The others are enumerated (a directory listed, a JSON Lines or WARC file read through) but
 * never opened, parsed, signed, reported or counted: `count` loaders, one per share, between them
 * handle each item exactly once, which is how the ranks of an MPI run (dist.h) split their input. */
void nd_loader_set_share(NdLoader *loader, guint index, guint count, guint block);
#define ND_DEFAULT_SHARE_BLOCK 64

/* A share of one JSON Lines or WARC file read by byte range, as the ranks of an MPI run read such
 * files (dist.h), rather than every share reading every byte. The file of `size` bytes is cut at
 * size * k / count (k = 1 .. count - 1), each cut moved forward to the next record start, so that
 * share `index` holds the records that start in [start, end): a record that crosses a cut belongs
 * to the share in which it starts, however long; a share may be empty.
 *   JSON Lines (uncompressed): a record starts after a '\n' (CR LF is a '\n' line end as the reader
 *   sees it). `newlines` is the count of '\n' in [start, end): the shares before `index` together
 *   hold the lines before `start`, so their sum numbers this share's lines.
 *   WARC compressed with one gzip member per record (as crawlers write .warc.gz): a record starts at
 *   a gzip member whose first bytes decompress to "WARC/1."; compressed data that happens to hold the
 *   3-byte gzip magic is told apart by decompressing. Records are named by offset (FILE@OFFSET), so
 *   `newlines` is 0. A plain WARC is not cut (a block may hold text that looks like a record start,
 *   which only reading from the file's start tells apart), nor a WARC gzip'd whole (no member to
 *   start at), nor compressed JSON Lines. */
typedef struct {
  guint64 size;       /* the file's size when planned (as stored: compressed) */
  guint64 start, end; /* this share's bytes */
  guint64 newlines;   /* JSON Lines: '\n' bytes in [start, end) */
} NdInputRange;

/* Plans share `index` of `count` (count >= 1) of `path` into *range: TRUE when `path` is a regular
 * file that can be cut (above), recognised by content as nd_loader_add_path does (with
 * `known_jsonl`, an uncompressed file is taken as JSON Lines, as nd_loader_add_jsonl takes it); and
 * for a WARC file, when share `index` > 0 found a record start after its cut (else the file has too
 * few members to cut). Reads the share's bytes (JSON Lines: to count its lines) and a little after
 * its cuts. FALSE otherwise (not an error: the file is then read through and shared by items, or
 * reported by the loader when it cannot be read); `check` (may be NULL) is the loader's file check
 * (nd_loader_set_file_check), called by name before the file is opened, and FALSE when it refuses.
 * Adds the bytes it read to *bytes_read (may be NULL). */
gboolean nd_input_range_plan(const char *path, gboolean known_jsonl, guint index, guint count, NdFileCheckFunc check,
                             gpointer check_data, NdInputRange *range, guint64 *bytes_read);

/* Makes this loader read only `range` of the file `path` (as named to nd_loader_add_path or
 * nd_loader_add_jsonl, or found in a walk); JSON Lines: its first line numbered first_line + 1 in
 * messages (first_line: the sum of the `newlines` of the shares before this one). Use with
 * nd_loader_set_share, before queueing inputs: the file's items are numbered by the byte offset of
 * their record (from the file's first number, the file taking size + 1 numbers), so that the items
 * of the shares, ordered by number, are in input order; every item of the range is this share's
 * (the block dealing does not apply to it). If the file is then not the one planned (another size,
 * another compression), the range is ignored (every share reads it through, which the shares notice
 * as different names; nd_loader_items). Copied. */
void nd_loader_set_input_range(NdLoader *loader, const char *path, const NdInputRange *range, guint64 first_line);

/* The number of items enumerated so far, every share's (as nd_loader_set_share counts them), and in
 * *names_digest (may be NULL) a 64-bit digest of their input names in order. Loaders of the shares of
 * one input agree on both; when they do not, they did not read the same inputs (a pipe, a file
 * changed during the run, a file system not shared by every rank). */
guint64 nd_loader_items(const NdLoader *loader, guint64 *names_digest);

/* Inside a document function: the input's name in messages ("feed.jsonl:12") of the document being
 * passed (owned by the loader, valid during the call), and in *number (may be NULL) its item number
 * in input order as nd_loader_set_share counts them. NULL outside a document function call. */
const char *nd_loader_current_item(const NdLoader *loader, guint64 *number);

/* Receives problems that did not stop an input from being read (a page whose declared charset
 * was wrong), in input order; the input is not counted as skipped. NULL = none. */
void nd_loader_set_warning_func(NdLoader *loader, NdInputErrorFunc func, gpointer user_data);

/* The fields of JSON Lines records found by their content (nd_loader_add_path on a file that is
 * JSON Lines): default "id" and "text". nd_loader_add_jsonl names its own. Copied. */
void nd_loader_set_jsonl_fields(NdLoader *loader, const char *id_field, const char *text_field);

/* Directory walks (not paths named explicitly) read only files matching one of the --include globs
 * (when there is one) and none of the --exclude globs (which also leave out whole directories). A
 * glob (GLib's: '*' and '?') is matched against the file's name, and against its path below the
 * walked argument (so "news/2026-*.html" picks files of one subdirectory). Copied. */
void nd_loader_add_include(NdLoader *loader, const char *glob);
void nd_loader_add_exclude(NdLoader *loader, const char *glob);

/* Inputs passed over without an error: files of a directory walk that cannot be articles (scripts,
 * stylesheets, images, binary files, globs), WARC records that are not articles (requests, revisits,
 * metadata, responses that are not text or HTML). Counted by reason. */
typedef struct {
  const char *reason; /* static English text, e.g. "WARC request records" */
  guint64 count;
} NdPassedOver;
/* The reasons seen so far, in order of first occurrence (input order); *n is set to their number.
 * Owned by the loader; valid until the next loader call. */
const NdPassedOver *nd_loader_passed_over(const NdLoader *loader, guint *n);

/* Installs a check every input file must pass before it is read (see NdFileCheckFunc); NULL = none. */
void nd_loader_set_file_check(NdLoader *loader, NdFileCheckFunc func, gpointer user_data);

/* Queues a file, a directory (recursively; entries whose names start with '.' and symbolic links
 * to directories inside it are skipped; other non-regular files inside it are reported and skipped) or
 * "-" (standard input as one article). A pipe, FIFO or character device named explicitly (such as
 * <(command)) is read as a stream of at most max_bytes bytes; a FIFO without a writer at that moment
 * reads as empty (it is never waited for). Problems are reported through the error callback.
 *
 * Every file (and standard input) is recognised by its content, not its name: gzip or zstd data is
 * decompressed; a WARC file is read as its records; a JSON Lines file as its records (fields as set
 * by nd_loader_set_jsonl_fields); anything else is one article: an HTML page (its article text is
 * extracted, see html.h) or plain text. In directory walks, files that cannot be articles are passed
 * over and counted (nd_loader_passed_over). */
void nd_loader_add_path(NdLoader *loader, const char *path);

/* Queues every path listed in `list_path` (one per line; "-" reads the list from standard input;
 * empty lines are ignored). */
void nd_loader_add_files_from(NdLoader *loader, const char *list_path);

/* Queues every record of the JSON Lines file `path` ("-" = standard input). Each non-blank line
 * must be one JSON object (RFC 8259) with a non-empty, valid UTF-8 string or integer `id_field` and
 * a string `text_field`; its other fields are the metadata. The line is checked against the JSON
 * grammar before json-glib reads it, because json-glib's reader accepts much that is not JSON and
 * would change or drop data: a second object on the line, `$ff` or 0x10 (hexadecimal), 010
 * (octal), an integer outside 64 bits (it wraps), an unknown escape (\x41 would lose its
 * backslash), a lone UTF-16 surrogate escape such as \ud800 (it swallows the next two characters),
 * a member name repeated in an object (only the last value would be kept), comments, single-quoted
 * strings and bare words. Such a record is refused (ND_ERROR_JSON) with a message naming what is
 * wrong and its byte offset in the line (from 0), never loaded changed. Allowed although not JSON,
 * because they read back unchanged: a UTF-8 byte order mark before the object, and raw control
 * characters such as tabs inside strings (written back escaped). A NUL byte in a line is refused
 * (ND_ERROR_BINARY). A number too large for a double (1e400) is kept in the metadata as 1e999. See
 * "Limits" above for long lines, deep nesting and huge strings. */
void nd_loader_add_jsonl(NdLoader *loader, const char *path, const char *id_field, const char *text_field);

/* Waits for all queued work and merges it into the collection. Returns the number of inputs that
 * were skipped (each was reported). Call once; the loader can then only be freed. */
guint nd_loader_finish(NdLoader *loader);

/* TRUE when stop_on_error was set and an input failed. */
gboolean nd_loader_stopped(const NdLoader *loader);

/* Refuses articles with more than `max_tokens` tokens (words, or letters and digits with chars:K)
 * with ND_ERROR_TOO_MANY_TOKENS; 0 (the default) = no limit. See "Limits" above. */
void nd_loader_set_max_tokens(NdLoader *loader, guint64 max_tokens);
#define ND_DEFAULT_MAX_TOKENS ((guint64)4 << 20) /* the CLI's default for --max-tokens */

/* Cancels the loader (see above). Async-signal-safe: one lock-free atomic store. */
void nd_loader_cancel(NdLoader *loader);
/* The loader also stops as soon as *flag is nonzero (read atomically; NULL = none). The flag must
 * outlive the loader. For a signal handler: g_atomic_int_set(&flag, 1) is async-signal-safe, and
 * unlike a loader pointer, a flag is never freed under the handler. */
void nd_loader_set_cancel_flag(NdLoader *loader, const gint *flag);
/* TRUE once the loader was cancelled (by either way). */
gboolean nd_loader_cancelled(const NdLoader *loader);

/* The longest JSON Lines line accepted for articles of at most max_bytes bytes: 2 x max_bytes +
 * 1024 (escapes lengthen the text), capped below 4 GiB. */
gsize nd_jsonl_max_line(gsize max_bytes);
#define ND_JSON_MAX_DEPTH 512

/* Checks, before tokenising it whole, that `text` has at most `max_tokens` tokens in `mode`: a text
 * that cannot have more (by its length) is accepted at once; otherwise it is tokenised 256 KiB at a
 * time, holding at most one chunk's tokens. FALSE with ND_ERROR_TOO_MANY_TOKENS when it certainly has more.
 * Invalid UTF-8 (without ND_TEXT_LOSSY) ends the count early: tokenising stops there too.
 * max_tokens 0 = no limit. */
gboolean nd_check_token_limit(const char *text, gsize len, NdTokenMode mode, NdTextFlags flags, guint64 max_tokens,
                              GError **error);

void nd_loader_free(NdLoader *loader);

/* Reads one whole article file ("-" = standard input) and checks that it is text the way the loader
 * does: not larger than max_bytes (ND_ERROR_TOO_LARGE), not empty (ND_ERROR_EMPTY), no NUL byte
 * (ND_ERROR_BINARY), valid UTF-8 unless ND_TEXT_LOSSY (ND_ERROR_UTF8 with the byte offset).
 * Returns the bytes, NUL-terminated (caller frees), and their length in *len; NULL on error. */
char *nd_read_article(const char *path, gsize max_bytes, NdTextFlags flags, gsize *len, GError **error);

/* Reads the one article `path` holds ("-" = standard input) the way the loader reads it (HTML
 * extracted, compressed files decompressed) and signs it with `params` (keep_text is forced on, so
 * the document has its text and offset map). NULL with the loader's error for it; ND_ERROR_INVALID_ARG
 * when the input holds several articles or none (a WARC or JSON Lines file). max_tokens as in
 * nd_loader_set_max_tokens. `check` (may be NULL) as nd_loader_set_file_check. */
NdDocument *nd_read_document(const char *path, const NdSignParams *params, guint64 max_tokens, NdFileCheckFunc check,
                             gpointer check_data, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdLoader, nd_loader_free)

ND_END_DECLS

#endif

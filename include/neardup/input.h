/* input.h — reading articles into a collection: files, directories, lists of files, JSON Lines.
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
 */
#ifndef NEARDUP_INPUT_H
#define NEARDUP_INPUT_H

#include <glib.h>
#include <neardup/collection.h>

G_BEGIN_DECLS

/* `input` names what failed ("dir/a.txt", "feed.jsonl:12"); the error is in ND_ERROR. */
typedef void (*NdInputErrorFunc)(const char *input, const GError *error, gpointer user_data);
/* Called on the loader's thread after each merged batch with running totals. */
typedef void (*NdProgressFunc)(guint64 articles, guint64 bytes, guint64 skipped, gpointer user_data);

/* Receives each signed document, in input order, instead of the collection (ownership passes to the
 * function). Returning FALSE with an error reports the input as skipped (e.g. already archived). */
typedef gboolean (*NdDocumentFunc)(NdDocument *doc, gpointer user_data, GError **error);

typedef struct NdLoader NdLoader;

/* A loader that adds to `collection` (borrowed; must outlive the loader) with `threads` workers
 * (0 = one per processor). */
NdLoader *nd_loader_new(NdCollection *collection, guint threads, gboolean stop_on_error);
void nd_loader_set_error_func(NdLoader *loader, NdInputErrorFunc func, gpointer user_data);
void nd_loader_set_progress_func(NdLoader *loader, NdProgressFunc func, gpointer user_data);
/* Streams documents to `func` instead of adding them to the collection (which then only supplies
 * the signing parameters): memory stays bounded however many articles are read. */
void nd_loader_set_document_func(NdLoader *loader, NdDocumentFunc func, gpointer user_data);

/* Queues a file, a directory (recursively; entries whose names start with '.' and symbolic links
 * to directories inside it are skipped) or
 * "-" (standard input as one article). Problems are reported through the error callback. */
void nd_loader_add_path(NdLoader *loader, const char *path);

/* Queues every path listed in `list_path` (one per line; "-" reads the list from standard input;
 * empty lines are ignored). */
void nd_loader_add_files_from(NdLoader *loader, const char *list_path);

/* Queues every record of the JSON Lines file `path` ("-" = standard input). Each non-blank line
 * must be a JSON object with a string or integer `id_field` and a string `text_field`. */
void nd_loader_add_jsonl(NdLoader *loader, const char *path, const char *id_field, const char *text_field);

/* Waits for all queued work and merges it into the collection. Returns the number of inputs that
 * were skipped (each was reported). Call once; the loader can then only be freed. */
guint nd_loader_finish(NdLoader *loader);

/* TRUE when stop_on_error was set and an input failed. */
gboolean nd_loader_stopped(const NdLoader *loader);

void nd_loader_free(NdLoader *loader);

/* Reads one whole article file ("-" = standard input) and checks that it is text the way the loader
 * does: not larger than max_bytes (ND_ERROR_TOO_LARGE), not empty (ND_ERROR_EMPTY), no NUL byte
 * (ND_ERROR_BINARY), valid UTF-8 unless ND_TEXT_LOSSY (ND_ERROR_UTF8 with the byte offset).
 * Returns the bytes, NUL-terminated (caller frees), and their length in *len; NULL on error. */
char *nd_read_article(const char *path, gsize max_bytes, NdTextFlags flags, gsize *len, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdLoader, nd_loader_free)

G_END_DECLS

#endif

/* collection.h — signed documents and the set that holds them.
 *
 * Signing turns an article's bytes into what comparison needs: its token and shingle counts, its
 * MinHash signature, (for exact verification) its sorted set of distinct 32-bit shingle keys, its
 * passage anchors (winnowed runs of words, score.h) and its distinct words (the vocabulary score).
 * The text itself is not kept. An NdSigner holds per-thread scratch buffers; use one per thread.
 * An NdCollection owns its documents, keeps them in insertion order and refuses duplicate ids.
 *
 * Stability: stable (docs/api.md): every call declared here. NdSignParams starts from
 * nd_sign_params_init() and only grows at the end; NdDocument is filled by the library, read-only
 * to callers, and only grows at the end. The signature values for a given seed are pinned by golden
 * vectors (tests), so archived signatures stay comparable within a minor version.
 */
#ifndef NEARDUP_COLLECTION_H
#define NEARDUP_COLLECTION_H

#include <neardup/api.h>
#include <glib.h>
#include <neardup/text.h>
#include <neardup/shingle.h>
#include <neardup/offsets.h>

ND_BEGIN_DECLS

typedef struct {
  NdShingleSpec shingle; /* default words:3 (ND_DEFAULT_WORD_K) */
  guint num_perm;        /* signature length, default 128 */
  guint64 seed;          /* default 1 */
  NdTextFlags text_flags;
  gsize max_bytes;       /* larger articles are rejected (ND_ERROR_TOO_LARGE); default 64 MiB */
  gboolean keep_sets;    /* keep shingle sets for exact verification; default TRUE */
  gboolean keep_text;    /* keep each article's original bytes (for passage reports); default FALSE */
  gboolean keep_signature; /* keep the MinHash signature; default TRUE */
  guint fingerprint_sampling; /* without sets: keep the shingle keys k with k mod P == 0 for sampled
                                 verification (score.h); default 8, 0 = none */
  gboolean keep_words;   /* keep the distinct word keys (the vocabulary score, score.h); default TRUE */
  guint lsh_bands, lsh_rows;  /* when set, keep the high 32 bits of every LSH band key; default 0 */
  gboolean keep_lines_and_quotes; /* compute `lines`, `line_anchors` (boilerplate) and `quoted_anchors`
                                     (quotation evidence); default TRUE. An archive stores neither:
                                     nd_index_archive_only_params turns it off (docs/archive.md) */
} NdSignParams;

#define ND_DEFAULT_FINGERPRINT_SAMPLING 8

#define ND_DEFAULT_NUM_PERM 128
#define ND_DEFAULT_SEED 1
#define ND_DEFAULT_MAX_BYTES ((gsize)64 << 20)

/* Fills `params` with the defaults above. */
void nd_sign_params_init(NdSignParams *params);

/* Checks ranges; FALSE with ND_ERROR_INVALID_ARG naming the bad parameter. */
gboolean nd_sign_params_validate(const NdSignParams *params, GError **error);

typedef struct {
  char *id;             /* owned; the path as given or the JSON Lines id */
  guint64 bytes;        /* length of the original text */
  guint32 tokens;       /* number of tokens */
  guint32 set_size;     /* number of distinct shingles (exact, even when `set` is not kept) */
  guint32 *signature;   /* num_perm values; owned */
  guint32 *set;         /* set_size sorted distinct shingle keys; owned; NULL unless keep_sets */
  char *text;           /* the original `bytes` bytes plus a NUL; owned; NULL unless keep_text */
  char *meta;           /* JSON object: a JSON Lines record's other fields (url, outlet, date ...), a
                           page's title, url, date, site, author, a WARC record's fields; owned; NULL
                           when there are none (plain text files) */
  char *path;           /* the regular file the text was read from, as named; owned; NULL for JSON
                           Lines records, standard input, pipes and documents signed directly */
  guint32 *fingerprints; /* sorted shingle keys k with k mod fingerprint_sampling == 0, for sampled
                            verification; owned; NULL while the document keeps its set */
  guint32 n_fingerprints;
  guint32 *anchors;     /* sorted distinct passage anchors (score.h: winnowing); owned */
  guint32 n_anchors;
  guint32 *words;       /* sorted distinct word keys (high half of nd_token_hash); owned; NULL unless
                           keep_words, and with character tokens */
  guint32 n_words;
  guint32 *lines;       /* sorted distinct nd_line_key of its lines of 1..ND_BOILERPLATE_MAX_WORDS words
                           (words.h: candidates for boilerplate); owned; NULL when none */
  guint32 n_lines;
  guint32 *line_anchors; /* the anchors that come from those lines: (anchor, line key) pairs, sorted;
                            2 x n_line_anchors values; owned; NULL when none */
  guint32 n_line_anchors;
  guint32 *band_keys;   /* lsh_bands high halves of the band keys; owned; NULL unless lsh_bands */
  NdOffsetMap *map;     /* text offsets -> offsets in the bytes it was read from (a page); owned; NULL
                           when they are the same (plain text) or unless keep_text */
  guint64 source_bytes; /* with `path`: the file's size and the XXH3-64 of its bytes when it was read */
  guint64 source_hash;  /* (as stored, compressed or not), so that a copy of it can be checked */
  guint64 text_hash;    /* XXH3-64 of the `bytes` bytes of the text, set when signed (even when the
                           text is not kept): what the archive compares to know an article again */
  guint32 *quoted_anchors; /* the anchors whose run of words lies inside quotation marks (quote.h),
                              sorted distinct; owned; NULL when none (and for archived articles) */
  guint32 n_quoted_anchors;
  gboolean dated_dateline; /* the text opens with a dated dateline (origin.h), set when signed */
} NdDocument;

/* Frees a document and everything it owns; NULL is ignored. */
void nd_document_free(NdDocument *doc);

typedef struct NdSigner NdSigner;

/* A signer for `params` (copied). Free with nd_signer_free. Not thread-safe: one per thread. */
NdSigner *nd_signer_new(const NdSignParams *params);
void nd_signer_free(NdSigner *signer);

/* Signs `len` bytes of `text` as document `id` (copied). Returns a new document (free with
 * nd_document_free) or NULL with: ND_ERROR_EMPTY (no bytes or only separators and no tokens at
 * all in a text that is blank), ND_ERROR_BINARY (a NUL byte), ND_ERROR_TOO_LARGE, ND_ERROR_UTF8
 * (unless lossy), ND_ERROR_NO_TOKENS (text but nothing to compare). Messages do not repeat the id:
 * the caller prefixes the input's name. */
NdDocument *nd_signer_sign(NdSigner *signer, const char *id, const char *text, gsize len, GError **error);

/* The tokens of the last successful nd_signer_sign call; valid until the next call. */
const NdToken *nd_signer_last_tokens(const NdSigner *signer, gsize *n_tokens);

typedef struct NdCollection NdCollection;

/* An empty collection for documents signed with `params` (copied). */
NdCollection *nd_collection_new(const NdSignParams *params);
void nd_collection_free(NdCollection *collection);

/* Adds `doc`, taking ownership. Fails with ND_ERROR_DUPLICATE_ID if its id is already present
 * (the document is then freed). */
gboolean nd_collection_add(NdCollection *collection, NdDocument *doc, GError **error);

/* Memory for very large inputs: once the collection holds more than `limit` documents (0 = never), it frees
 * the shingle sets, words and signatures of every document it holds and will hold, keeping only what
 * candidate generation and sampled verification need: the band keys, the anchors and the
 * fingerprints taken from the set before it is freed (documents must be signed with lsh_bands and
 * fingerprint_sampling set). About 1.2 KB per article instead of about 6 KB. The switch happens at
 * a fixed position in input order, so results do not depend on thread scheduling. */
void nd_collection_set_lean_after(NdCollection *collection, guint limit);
/* The limit set by nd_collection_set_lean_after (0: never lean). */
guint nd_collection_lean_after(const NdCollection *collection);
/* TRUE once the collection has dropped its sets (see above). A lean collection samples its
 * fingerprints at 1 in 2P (keys that are 0 mod 2P), about 180 bytes per article. Every document it
 * holds is then lean, those added before it turned lean included: the end state does not depend on
 * where in the input the limit was passed, only on whether it was. */
gboolean nd_collection_is_lean(const NdCollection *collection);
/* Makes `doc` (not NULL; changed in place) what a lean collection of documents signed with `params`
 * keeps of it: exactly what nd_collection_add leaves of it once lean (one rule, used by both), so a
 * document made lean before it is added stays the same when added. A lean document is left as it
 * is. For signers that send documents elsewhere (dist.h) and know the collection will be lean. */
void nd_document_make_lean(NdDocument *doc, const NdSignParams *params);
/* The fingerprints nd_document_make_lean would leave `doc` (not NULL; unchanged): a new array of
 * *n values (free with g_free), or NULL when it would leave none. */
guint32 *nd_document_lean_fingerprints(const NdDocument *doc, const NdSignParams *params, guint32 *n);

/* The sampling rate of the documents' fingerprints: fingerprint_sampling, doubled once lean. */
guint nd_collection_fingerprint_sampling(const NdCollection *collection);

/* Texts out of memory, for a batch whose texts are wanted only after it is matched (archived, copied):
 * from now on, the text of every document the collection takes is written to an unnamed temporary
 * file in `dir` (NULL: the system's temporary directory; the file vanishes with the process) and
 * freed (`text` NULL), to be read back one at a time with nd_collection_load_text. A text the file
 * cannot take (a full disk) stays in memory. The documents taken before stay as they are. FALSE
 * with ND_ERROR_IO when the file cannot be made. */
gboolean nd_collection_spool_texts(NdCollection *collection, const char *dir, GError **error);
/* Brings the text of document `index` back into its `text` (owned by the document) when it was
 * written out; TRUE at once when it is in memory or was never kept. FALSE with ND_ERROR_IO when it
 * cannot be read back. */
gboolean nd_collection_load_text(NdCollection *collection, guint index, GError **error);
/* Frees the text of document `index` again when it lives in the spool (no-op otherwise). */
void nd_collection_unload_text(NdCollection *collection, guint index);

guint nd_collection_size(const NdCollection *collection);
/* Document number `index` (0-based, insertion order); owned by the collection. */
const NdDocument *nd_collection_get(const NdCollection *collection, guint index);
const NdSignParams *nd_collection_params(const NdCollection *collection);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdDocument, nd_document_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdSigner, nd_signer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdCollection, nd_collection_free)

ND_END_DECLS

#endif

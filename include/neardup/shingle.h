/* shingle.h — k-shingles of a token sequence, hashed.
 *
 * A shingle is k consecutive tokens; its hash is XXH3-64 over the k token hashes, with the user's
 * seed. Word shingles (k tokens of ND_TOKENS_WORDS) catch reused phrasing; character shingles
 * (k tokens of ND_TOKENS_CHARS) serve scripts without spaces. A text with fewer than k tokens (but
 * at least one) yields a single shingle over all its tokens, so very short texts still compare.
 *
 * Stability: stable (docs/api.md): the calls, NdShingleSpec and the shingle hashes for a given
 * seed.
 */
#ifndef NEARDUP_SHINGLE_H
#define NEARDUP_SHINGLE_H

#include <neardup/api.h>
#include <glib.h>
#include <neardup/text.h>

ND_BEGIN_DECLS

typedef struct {
  NdTokenMode mode; /* words or characters */
  guint k;          /* tokens per shingle, 1..64 */
} NdShingleSpec;

#define ND_SHINGLE_K_MAX 64
/* Defaults chosen on the labelled sets (docs/how-it-works.md, "Choosing the defaults"). */
#define ND_DEFAULT_WORD_K 3
#define ND_DEFAULT_CHAR_K 5

/* Parses "words:K" or "chars:K"; a bare "words" or "chars" takes the default K
 * (ND_DEFAULT_WORD_K, ND_DEFAULT_CHAR_K).
 * Returns FALSE with ND_ERROR_INVALID_ARG for anything else. */
gboolean nd_shingle_spec_parse(const char *text, NdShingleSpec *spec, GError **error);

/* Formats a spec as "words:K" or "chars:K"; caller frees. */
char *nd_shingle_spec_to_string(const NdShingleSpec *spec);

/* Appends the hash of every window of `k` consecutive tokens of `tokens[0..n)` to `out` (a GArray
 * of guint64, not cleared). n >= 1 and n < k gives one shingle; n == 0 gives none. */
void nd_shingle_hashes(const NdToken *tokens, gsize n, guint k, guint64 seed, GArray *out);

ND_END_DECLS

#endif

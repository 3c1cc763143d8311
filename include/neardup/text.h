/* text.h — UTF-8 validation, normalisation and tokenisation.
 *
 * A token is a maximal run of letters, combining marks and digits in any script (Latin, Cyrillic,
 * Greek, Arabic-script Urdu, Devanagari ...). Everything else (spaces, punctuation, symbols, quote
 * marks of any style, dashes) separates tokens. An apostrophe (' ’ ʼ) between two letters is
 * dropped rather than splitting, so "Putin’s" and "Putin's" are the same token "putins".
 *
 * Normalisation, per token: Unicode NFKC, then case folding (so "ﬁnal", "FINAL" and "final" agree,
 * full-width digits become ASCII digits). ASCII tokens take a fast path (a lower-casing table);
 * only tokens with non-ASCII code points pay for GLib's normaliser.
 *
 * Each token records the byte range [start, end) of its original, un-normalised text and the
 * hash of its normalised form (nd_token_hash). The normalised bytes themselves are not kept: shingling and
 * alignment work on hashes, and passage reports quote the original text through the offsets.
 *
 * A run of letters longer than 256 bytes is no word (a base64 blob, a string of combining marks) and
 * is cut into tokens of at most 256 bytes, which keeps normalisation linear in the input.
 *
 * Character mode (ND_TOKENS_CHARS) is for scripts written without spaces (Chinese, Japanese,
 * Thai): every letter or digit, with the combining marks that follow it, is its own token.
 *
 * Stability: stable (docs/api.md): the calls, NdToken (grows only at the end) and the enums'
 * values. The normalisation (and so the tokens of a text) changes only in a new minor version.
 */
#ifndef NEARDUP_TEXT_H
#define NEARDUP_TEXT_H

#include <neardup/api.h>
#include <glib.h>

ND_BEGIN_DECLS

typedef enum {
  ND_TOKENS_WORDS = 0, /* runs of letters/digits */
  ND_TOKENS_CHARS = 1  /* one token per letter/digit (with its combining marks) */
} NdTokenMode;

typedef enum {
  ND_TEXT_DEFAULT = 0,
  ND_TEXT_LOSSY = 1 << 0 /* invalid UTF-8 bytes separate tokens instead of failing */
} NdTextFlags;

typedef struct {
  guint64 hash;  /* nd_token_hash() of the normalised token */
  guint32 start; /* byte offset of the token's first byte in the original text */
  guint32 end;   /* byte offset one past its last byte */
} NdToken;

/* Longest text nd_tokenize() accepts: offsets are 32-bit. */
#define ND_TEXT_MAX_BYTES ((gsize)G_MAXUINT32)

/* Tokenises `len` bytes of `text` (need not be NUL-terminated; may contain NULs, which separate
 * tokens) and appends NdToken values to `tokens` (a GArray of NdToken, not cleared first).
 * Returns FALSE with ND_ERROR_UTF8 (message: "invalid UTF-8 at byte offset N") when the text is
 * not valid UTF-8 and ND_TEXT_LOSSY is not set; `tokens` then holds the tokens before the fault.
 * Returns FALSE with ND_ERROR_TOO_LARGE if len > ND_TEXT_MAX_BYTES. `text` may be NULL iff len == 0. */
gboolean nd_tokenize(const char *text, gsize len, NdTokenMode mode, NdTextFlags flags,
                     GArray *tokens, GError **error);

/* Tokens of at most this many bytes are hashed zero-padded to it (nd_token_hash). */
#define ND_TOKEN_HASH_PAD 16

/* The hash of a normalised token's bytes: XXH3-64 of the bytes zero-padded to ND_TOKEN_HASH_PAD,
 * with the length as seed, when len <= ND_TOKEN_HASH_PAD; XXH3-64 with seed 0 of the bytes when
 * longer. The fixed length keeps XXH3 on one branch-free path for almost every word (the length
 * classes of plain XXH3 cost a mispredicted branch a word or two). bytes may be NULL iff len == 0. */
guint64 nd_token_hash(const char *bytes, gsize len);

/* Writes the normalised form of one token's original bytes (as nd_tokenize normalises it) into a
 * newly allocated NUL-terminated string; caller frees with g_free. For tests and for display. */
char *nd_normalize_token(const char *bytes, gsize len);

/* First byte offset of invalid UTF-8 in text[0..len), or -1 when it is all valid (the same rule as
 * nd_tokenize: NUL bytes count as valid; overlong forms, surrogates and stray bytes do not). */
gssize nd_utf8_find_invalid(const char *text, gsize len);

ND_END_DECLS

#endif

/* words.h — what a word is worth when two texts are aligned: its match key and whether it carries
 * content.
 *
 * The passage aligner (diff.h) matches words by key. A text's language is guessed from its most
 * common words; in a language with a Snowball stemmer (libstemmer) the key is the hash of the
 * word's stem, so "reported", "reports" and "reporting" match; otherwise it is the word's own hash
 * (nd_token_hash). Function words ("the", "of", "said") are marked as carrying no content: they do
 * not make a rewritten sentence similar to another. English has a list of them; in a language
 * without one, a word is a function word when it is frequent in the texts being compared (at
 * least ND_FUNCTION_WORD_SHARE of their words and 3 times, in either text).
 *
 * Only English is recognised today (a language is one list of function words and the name of its
 * Snowball stemmer); text in other languages (Urdu, which Snowball does not cover, Russian ...)
 * gets the frequency rule and no stemming.
 *
 * Stability: stable (docs/api.md): the calls and NdLanguage values (new languages added last).
 */
#ifndef NEARDUP_WORDS_H
#define NEARDUP_WORDS_H

#include <neardup/api.h>
#include <glib.h>
#include <neardup/text.h>

ND_BEGIN_DECLS

typedef enum {
  ND_LANGUAGE_UNKNOWN = 0,
  ND_LANGUAGE_ENGLISH = 1
} NdLanguage;

/* Boilerplate (page furniture, stock lines): a line of 1..ND_BOILERPLATE_MAX_WORDS words found in at
 * least ND_BOILERPLATE_MIN_ARTICLES articles of a batch ("Sign up for our newsletter", a repeated
 * photo caption, a related-articles block, a footer). A line is the words between two line breaks;
 * its key is nd_line_key of its tokens. Longer lines are content, whatever their frequency. */
#define ND_BOILERPLATE_MAX_WORDS 24
#define ND_BOILERPLATE_MIN_ARTICLES 10

/* The line of each of the n tokens of `text` (0, 1, ...: a new line after a line break between two
 * tokens); returns the number of lines. `ids` holds n values. */
guint32 nd_line_ids(const char *text, const NdToken *tokens, gsize n, guint32 *ids);

/* The key of a line of n tokens: the high half of XXH3 over their hashes. */
guint32 nd_line_key(const NdToken *tokens, gsize n);

/* A word is a function word of a text without a list when it makes up this share of the words. */
#define ND_FUNCTION_WORD_SHARE 0.02

/* The language of `n` tokens (from nd_tokenize in word mode): English when at least a fifth of
 * them are English function words, else unknown. */
NdLanguage nd_guess_language(const NdToken *tokens, gsize n);

/* Fills keys[0 .. n) and content[0 .. n) for the tokens of `text` (tokens from nd_tokenize in word
 * mode, of this text) in language `lang`. With `stem` FALSE the keys are the token hashes. Words
 * that are frequent in the text are function words when the language has no list (see above; for
 * two texts compared, call it on each and merge with nd_word_keys_mark_frequent). `text` may be
 * NULL only when n == 0 or stem is FALSE. */
void nd_word_keys(const char *text, const NdToken *tokens, gsize n, NdLanguage lang, gboolean stem, guint64 *keys,
                  guint8 *content);

/* For a language without a list of function words: marks as function words (content 0) the words
 * whose key makes up at least ND_FUNCTION_WORD_SHARE of `keys` (and occurs 3 times or more). */
void nd_word_keys_mark_frequent(const guint64 *keys, gsize n, guint8 *content);

ND_END_DECLS

#endif

/* words.c — match keys and content words for the passage aligner (see include/neardup/words.h).
 *
 * Design: function words are recognised by the hashes of their normalised forms (nd_token_hash), so a
 * token is looked up without normalising its text again; only content words of a stemmed language
 * are normalised and stemmed, each distinct word once per call (a cache by token hash).
 */
#include <neardup/neardup.h>
#include <libstemmer.h>
#include <string.h>
#include "hash.h"
#include "sort.h"

guint32
nd_line_ids(const char *text, const NdToken *t, gsize n, guint32 *ids)
{
  guint32 line = 0;
  for (gsize i = 0; i < n; i++) {
    if (i > 0) /* the gaps are a byte or two: a loop beats a call to memchr */
      for (guint32 p = t[i - 1].end; p < t[i].start; p++)
        if (text[p] == '\n') {
          line++;
          break;
        }
    ids[i] = line;
  }
  return n ? line + 1 : 0;
}

guint32
nd_line_key(const NdToken *t, gsize n)
{
  guint64 h = XXH3_64bits_withSeed(NULL, 0, n);
  for (gsize i = 0; i < n; i++)
    h = XXH3_64bits_withSeed(&t[i].hash, sizeof t[i].hash, h);
  return (guint32)(h >> 32);
}

/* English function words: articles, pronouns, prepositions, conjunctions, auxiliaries, and the
 * reporting verbs and adverbs every news story uses. Written for this project (normalised: lower
 * case, apostrophes dropped, as nd_tokenize folds them). */
static const char *const english_function_words[] = {
  "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at",
  "be", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does",
  "doing", "down", "during", "each", "even", "few", "for", "from", "further", "had", "has", "have", "having", "he",
  "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its",
  "itself", "just", "last", "may", "me", "might", "more", "most", "much", "must", "my", "myself", "new", "no", "nor",
  "not", "now", "of", "off", "on", "once", "one", "only", "or", "other", "our", "ours", "ourselves", "out", "over",
  "own", "said", "same", "say", "says", "she", "should", "since", "so", "some", "such", "than", "that", "the",
  "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "told",
  "too", "under", "until", "up", "upon", "us", "very", "was", "we", "were", "what", "when", "where", "whether",
  "which", "while", "who", "whom", "whose", "why", "will", "with", "would", "yesterday", "yet", "you", "your",
  "yours", "yourself", "today", "week", "year", "years", "mr", "mrs", "ms", "dont", "didnt", "doesnt", "isnt",
  "wasnt", "its", "thats", "theyre", "hes", "shes", "were", "youre", "ive", "weve", "theyve", "im", "there",
};

/* The hashes of the English function words in an open-addressing table (a lookup per token). */
#define ENGLISH_SLOTS 512 /* a power of two, over twice the number of words */
static guint64 english_table[ENGLISH_SLOTS];

static gpointer
build_english(gpointer unused)
{
  (void)unused;
  for (gsize i = 0; i < G_N_ELEMENTS(english_function_words); i++) {
    guint64 h = nd_token_hash(english_function_words[i], strlen(english_function_words[i]));
    gsize slot = (gsize)(h >> 40) & (ENGLISH_SLOTS - 1);
    while (english_table[slot] != 0 && english_table[slot] != h)
      slot = (slot + 1) & (ENGLISH_SLOTS - 1);
    english_table[slot] = h;
  }
  return english_table;
}

static gboolean
is_english_function_word(guint64 hash)
{
  static GOnce once = G_ONCE_INIT;
  g_once(&once, build_english, NULL);
  gsize slot = (gsize)(hash >> 40) & (ENGLISH_SLOTS - 1);
  while (english_table[slot] != 0) {
    if (english_table[slot] == hash)
      return TRUE;
    slot = (slot + 1) & (ENGLISH_SLOTS - 1);
  }
  return FALSE;
}

NdLanguage
nd_guess_language(const NdToken *tokens, gsize n)
{
  if (n == 0)
    return ND_LANGUAGE_UNKNOWN;
  gsize hits = 0;
  for (gsize i = 0; i < n; i++)
    hits += is_english_function_word(tokens[i].hash);
  return hits * 5 >= n ? ND_LANGUAGE_ENGLISH : ND_LANGUAGE_UNKNOWN;
}

void
nd_word_keys_mark_frequent(const guint64 *keys, gsize n, guint8 *content)
{
  if (n == 0)
    return;
  /* (key, position) records sorted by key: each run of one key is its occurrences. */
  g_autofree NdKeyed *rec = g_new(NdKeyed, n), *scratch = g_new(NdKeyed, n);
  for (gsize i = 0; i < n; i++)
    rec[i] = (NdKeyed){ keys[i], (guint32)i, 0 };
  nd_sort_keyed(rec, scratch, n);
  gsize limit = MAX((gsize)3, (gsize)(ND_FUNCTION_WORD_SHARE * (double)n + 0.999));
  for (gsize i = 0; i < n;) {
    gsize j = i + 1;
    while (j < n && rec[j].key == rec[i].key)
      j++;
    if (j - i >= limit)
      for (gsize x = i; x < j; x++)
        content[rec[x].value] = 0;
    i = j;
  }
}

/* Each thread's English stemmer and its stems by token hash (a pure function of the word, so the
 * cache never changes a result); the cache is emptied when it grows past STEM_CACHE_MAX words. */
typedef struct {
  struct sb_stemmer *stemmer;
  GHashTable *stems; /* guint64 token hash -> guint64 stem hash, both in one allocation */
} Stems;

#define STEM_CACHE_MAX 200000

static void
stems_free(gpointer data)
{
  Stems *s = data;
  sb_stemmer_delete(s->stemmer);
  g_hash_table_unref(s->stems);
  g_free(s);
}

static GPrivate thread_stems = G_PRIVATE_INIT(stems_free);

static Stems *
english_stems(void)
{
  Stems *s = g_private_get(&thread_stems);
  if (s == NULL) {
    s = g_new0(Stems, 1);
    s->stemmer = sb_stemmer_new("english", "UTF_8");
    s->stems = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    g_private_set(&thread_stems, s);
  }
  if (g_hash_table_size(s->stems) > STEM_CACHE_MAX)
    g_hash_table_remove_all(s->stems);
  return s;
}

void
nd_word_keys(const char *text, const NdToken *tokens, gsize n, NdLanguage lang, gboolean stem, guint64 *keys,
             guint8 *content)
{
  Stems *st = stem && lang == ND_LANGUAGE_ENGLISH ? english_stems() : NULL;
  for (gsize i = 0; i < n; i++) {
    const guint64 h = tokens[i].hash;
    keys[i] = h;
    content[i] = 1;
    if (lang == ND_LANGUAGE_ENGLISH && is_english_function_word(h)) {
      content[i] = 0;
      continue;
    }
    if (st == NULL)
      continue;
    const guint64 *cached = g_hash_table_lookup(st->stems, &h);
    if (cached != NULL) {
      keys[i] = cached[1];
      continue;
    }
    g_autofree char *norm = nd_normalize_token(text + tokens[i].start, tokens[i].end - tokens[i].start);
    const sb_symbol *sym = sb_stemmer_stem(st->stemmer, (const sb_symbol *)norm, (int)strlen(norm));
    /* A stem hashes like a word, so a word that is its own stem keeps its hash. */
    guint64 *entry = g_new(guint64, 2);
    entry[0] = h;
    entry[1] = sym ? nd_token_hash((const char *)sym, (gsize)sb_stemmer_length(st->stemmer)) : h;
    g_hash_table_insert(st->stems, entry, entry);
    keys[i] = entry[1];
  }
  if (lang == ND_LANGUAGE_UNKNOWN)
    nd_word_keys_mark_frequent(keys, n, content);
}

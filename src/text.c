/* text.c — UTF-8 validation, normalisation and tokenisation (see include/neardup/text.h).
 *
 * Design: a single forward pass over the bytes. ASCII bytes are classified by a 256-entry table and
 * lower-cased into the token buffer directly; the first non-ASCII code point of a token marks it
 * "slow", and only slow tokens go through NFKC + case folding (GLib) when they end. News text is
 * mostly ASCII even in languages with accents, so most tokens never allocate.
 *
 * Word mode runs a block path first (SSE2): 32 bytes at a time are classified and lower-cased with
 * vector compares, word starts and ends come out of the bit masks, and a word may run on from one
 * block into the next. Only a block holding a non-ASCII byte or an apostrophe drops to the
 * byte-wise paths, and only from that byte on. Short tokens are hashed zero-padded to 16 bytes, so
 * XXH3 runs one fixed-length, branch-free path for almost every word (nd_token_hash).
 */
#include <neardup/neardup.h>
#include <string.h>
#include "hash.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ascii_class[c]: 0 separator, 1 letter/digit, 2 apostrophe (joins two word characters). */
static const guint8 ascii_class[128] = {
  ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
  ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
  ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
  ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
  ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,
  ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
  ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
  ['\''] = 2,
};

/* run_class[b] for every byte value, for the fast path's inner loop: bit 0 = ASCII letter or digit,
 * bit 1 = ASCII capital. Bytes >= 0x80 and apostrophes are not word bytes here. */
static guint8 run_class[256];

static void
init_run_class(void)
{
  for (int c = 0; c < 128; c++)
    run_class[c] = (guint8)((ascii_class[c] == 1) | ((c >= 'A' && c <= 'Z') << 1));
}

enum { CP_SEPARATOR = 0, CP_WORD = 1, CP_JOINER = 2, CP_MARK = 3 };

/* Class of a non-ASCII code point. Joiners (typographic apostrophes, zero-width (non-)joiners, soft
 * hyphen) are dropped between two word characters, so "Putin’s"/"Putin's" and Urdu words written
 * with or without ZWNJ come out the same. */
static int
classify_unichar(gunichar cp)
{
  switch (cp) {
  case 0x2019: /* RIGHT SINGLE QUOTATION MARK, the typographic apostrophe */
  case 0x02BC: /* MODIFIER LETTER APOSTROPHE */
  case 0x200C: /* ZERO WIDTH NON-JOINER */
  case 0x200D: /* ZERO WIDTH JOINER */
  case 0x00AD: /* SOFT HYPHEN */
    return CP_JOINER;
  default:
    break;
  }
  switch (g_unichar_type(cp)) {
  case G_UNICODE_LOWERCASE_LETTER:
  case G_UNICODE_MODIFIER_LETTER:
  case G_UNICODE_OTHER_LETTER:
  case G_UNICODE_TITLECASE_LETTER:
  case G_UNICODE_UPPERCASE_LETTER:
  case G_UNICODE_DECIMAL_NUMBER:
  case G_UNICODE_LETTER_NUMBER:
  case G_UNICODE_OTHER_NUMBER:
    return CP_WORD;
  case G_UNICODE_SPACING_MARK:
  case G_UNICODE_ENCLOSING_MARK:
  case G_UNICODE_NON_SPACING_MARK:
    return CP_MARK;
  default:
    return CP_SEPARATOR;
  }
}


/* Decodes the code point at text[i]; returns its byte length, or 0 if the bytes there are not valid
 * UTF-8: truncated, a stray continuation byte, an overlong form, a surrogate (U+D800..U+DFFF) or
 * beyond U+10FFFF — the same rule as g_utf8_validate(), written out because it runs per character. */
static inline gsize
decode_at(const char *text, gsize len, gsize i, gunichar *cp)
{
  const guint8 *p = (const guint8 *)text + i;
  gsize avail = len - i;
  guint8 c = p[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  gsize n;
  gunichar v, min;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, v = c & 0x1F, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, v = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (n > avail)
    return 0;
  for (gsize k = 1; k < n; k++) {
    if ((p[k] & 0xC0) != 0x80)
      return 0;
    v = (v << 6) | (p[k] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
    return 0;
  *cp = v;
  return n;
}

gssize
nd_utf8_find_invalid(const char *text, gsize len)
{
  gunichar cp;
  for (gsize i = 0; i < len;) {
    gsize n = decode_at(text, len, i, &cp);
    if (n == 0)
      return (gssize)i;
    i += n;
  }
  return -1;
}

/* The class of the code point at text[i] (ASCII or not); separator when invalid or at the end. */
static inline int
class_at(const char *text, gsize len, gsize i)
{
  if (i >= len)
    return CP_SEPARATOR;
  guint8 c = (guint8)text[i];
  if (c < 0x80)
    return ascii_class[c] == 1 ? CP_WORD : CP_SEPARATOR;
  gunichar cp;
  if (decode_at(text, len, i, &cp) == 0)
    return CP_SEPARATOR;
  return classify_unichar(cp);
}

/* NFKC(casefold(NFKC(s))): the normal form every token is compared in. Caller frees. */
static char *
normalize_slow(const char *bytes, gsize len)
{
  g_autofree char *nfkc = g_utf8_normalize(bytes, (gssize)len, G_NORMALIZE_NFKC);
  if (nfkc == NULL)
    return g_strndup(bytes, len);
  g_autofree char *folded = g_utf8_casefold(nfkc, -1);
  char *again = g_utf8_normalize(folded, -1, G_NORMALIZE_NFKC);
  return again != NULL ? again : g_steal_pointer(&folded);
}

char *
nd_normalize_token(const char *bytes, gsize len)
{
  GString *kept = g_string_sized_new(len);
  gsize i = 0;
  while (i < len) {
    guint8 c = (guint8)bytes[i];
    if (c < 0x80) {
      if (ascii_class[c] == 1)
        g_string_append_c(kept, g_ascii_tolower((char)c));
      i++;
      continue;
    }
    gunichar cp;
    gsize n = decode_at(bytes, len, i, &cp);
    if (n == 0) {
      i++;
      continue;
    }
    int cls = classify_unichar(cp);
    if (cls == CP_WORD || cls == CP_MARK)
      g_string_append_len(kept, bytes + i, (gssize)n);
    i += n;
  }
  char *out = normalize_slow(kept->str, kept->len);
  g_string_free(kept, TRUE);
  return out;
}

guint64
nd_token_hash(const char *bytes, gsize len)
{
  if (len <= ND_TOKEN_HASH_PAD) {
    char padded[ND_TOKEN_HASH_PAD] = { 0 };
    if (len > 0)
      memcpy(padded, bytes, len);
    return XXH3_64bits_withSeed(padded, sizeof padded, len);
  }
  return XXH3_64bits(bytes, len);
}

/* Per-thread scratch for the token being built: tokenising must not allocate per token. */
typedef struct {
  char *buf;
  gsize cap;
} Scratch;

static void
scratch_free(gpointer data)
{
  Scratch *sc = data;
  g_free(sc->buf);
  g_free(sc);
}

static Scratch *
scratch_get(void)
{
  static GPrivate key = G_PRIVATE_INIT(scratch_free);
  Scratch *sc = g_private_get(&key);
  if (sc == NULL) {
    sc = g_new0(Scratch, 1);
    sc->cap = 256;
    sc->buf = g_malloc(sc->cap);
    g_private_set(&key, sc);
  }
  return sc;
}

typedef struct {
  GArray *tokens;
  NdToken *out;   /* tokens->data, of tokens->len slots */
  gsize cap;
  gsize n_tokens; /* tokens written; the array's length is only settled at the end */
  Scratch *sc;
  gsize len;      /* bytes of the token so far: ASCII lower-cased, other code points as written */
  gboolean open;
  gboolean slow;  /* holds a non-ASCII code point */
  guint32 start, end;
} TokenBuilder;

static inline void
push_token(TokenBuilder *tb, guint64 hash, gsize start, gsize end)
{
  if (G_UNLIKELY(tb->n_tokens == tb->cap)) {
    g_array_set_size(tb->tokens, tb->tokens->len * 2 + 64);
    tb->out = (NdToken *)tb->tokens->data;
    tb->cap = tb->tokens->len;
  }
  tb->out[tb->n_tokens++] = (NdToken){ hash, (guint32)start, (guint32)end };
}

static void
builder_close(TokenBuilder *tb)
{
  if (!tb->open)
    return;
  guint64 hash;
  if (!tb->slow) {
    hash = nd_token_hash(tb->sc->buf, tb->len);
  } else {
    g_autofree char *norm = normalize_slow(tb->sc->buf, tb->len);
    hash = nd_token_hash(norm, strlen(norm));
  }
  push_token(tb, hash, tb->start, tb->end);
  tb->len = 0;
  tb->open = FALSE;
  tb->slow = FALSE;
}

/* Longest token, in bytes: a longer run of letters is no word (a base64 blob, a string of
 * combining marks) and is cut into pieces, which keeps Unicode normalisation linear in the input. */
#define MAX_TOKEN_BYTES 256

static inline void
builder_add(TokenBuilder *tb, const char *bytes, gsize n, gsize at, gboolean ascii)
{
  if (tb->open && tb->len + n > MAX_TOKEN_BYTES)
    builder_close(tb);
  if (!tb->open) {
    tb->open = TRUE;
    tb->start = (guint32)at;
  }
  if (G_UNLIKELY(tb->len + n > tb->sc->cap)) {
    tb->sc->cap = (tb->len + n) * 2;
    tb->sc->buf = g_realloc(tb->sc->buf, tb->sc->cap);
  }
  if (ascii) {
    tb->sc->buf[tb->len++] = g_ascii_tolower(bytes[0]);
  } else {
    memcpy(tb->sc->buf + tb->len, bytes, n);
    tb->len += n;
    tb->slow = TRUE;
  }
  tb->end = (guint32)(at + n);
}

#ifdef __SSE2__
/* The block path (word mode). Blocks are lower-cased into a window `low` that maps text offset p to
 * low[p - base]; a word open at the end of a block ("carry", its start offset) is finished by a
 * later block. A carried word longer than MAX_CARRY goes to the byte-wise path, which cuts long runs
 * at MAX_TOKEN_BYTES. */
#define BLOCK 32
#define LOW_WINDOW 4096
#define MAX_CARRY 128
#define NO_CARRY G_MAXSIZE

typedef struct {
  char low[LOW_WINDOW + 64]; /* slack: a 16-byte load at any word start stays inside */
  gsize base;
  gsize carry;               /* start of the word open across blocks, or NO_CARRY */
  gsize stop;                /* when block_step returns its argument: offset of the byte it stopped at */
} LowerBlocks;

/* Hashes the word [s, e) from the lower-cased window: nd_token_hash, with the zero padding done by
 * a vector mask. */
static inline void
emit_lowered(TokenBuilder *tb, const LowerBlocks *lb, gsize s, gsize e)
{
  const char *p = lb->low + (s - lb->base);
  gsize n = e - s;
  guint64 h;
  if (n <= ND_TOKEN_HASH_PAD) {
    const __m128i iota = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m128i x = _mm_and_si128(_mm_loadu_si128((const __m128i *)p), _mm_cmpgt_epi8(_mm_set1_epi8((char)n), iota));
    char padded[ND_TOKEN_HASH_PAD];
    _mm_storeu_si128((__m128i *)padded, x);
    h = XXH3_64bits_withSeed(padded, sizeof padded, n);
  } else {
    h = XXH3_64bits(p, n);
  }
  push_token(tb, h, s, e);
}

/* 16 bytes at p: lower-cased copy into *low, and masks of word bytes (ASCII letters and digits) and
 * of bytes the block path does not handle (non-ASCII, apostrophe). */
static inline void
classify16(const char *p, char *low, guint32 *word, guint32 *special)
{
  __m128i v = _mm_loadu_si128((const __m128i *)p);
  __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
  __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(folded, _mm_set1_epi8('a' - 1)),
                                _mm_cmplt_epi8(folded, _mm_set1_epi8('z' + 1)));
  __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
  /* Letters get bit 5 set (lower case); digits and everything else stay as they are. */
  _mm_storeu_si128((__m128i *)low, _mm_or_si128(v, _mm_and_si128(alpha, _mm_set1_epi8(0x20))));
  *word = (guint32)_mm_movemask_epi8(_mm_or_si128(alpha, digit));
  *special = (guint32)_mm_movemask_epi8(v) | (guint32)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\'')));
}

/* Runs the block at text[i .. i + BLOCK): emits every word that ends inside it, and keeps the one
 * that reaches its end open in lb->carry. Returns the next offset (i + BLOCK), or i itself when the
 * block holds a byte the block path does not handle (its offset in lb->stop; the words before it are
 * emitted) or the carried word grew past MAX_CARRY (lb->stop = i). */
static gsize
block_step(TokenBuilder *tb, LowerBlocks *lb, const char *text, gsize i)
{
  if (i + BLOCK - lb->base > LOW_WINDOW) { /* slide the window, keeping the open word */
    gsize keep = lb->carry != NO_CARRY ? lb->carry : i;
    if (keep < i)
      memmove(lb->low, lb->low + (keep - lb->base), i - keep);
    lb->base = keep;
  }
  char *low = lb->low + (i - lb->base);
  guint32 w0, w1, s0, s1;
  classify16(text + i, low, &w0, &s0);
  classify16(text + i + 16, low + 16, &w1, &s1);
  guint32 special = s0 | (s1 << 16);
  guint32 limit = special ? (guint32)__builtin_ctz(special) : BLOCK; /* bytes known to be handled */
  guint32 valid = limit == BLOCK ? G_MAXUINT32 : (1u << limit) - 1;
  guint32 word = (w0 | (w1 << 16)) & valid;
  gboolean open = lb->carry != NO_CARRY;
  guint32 starts = word & ~((word << 1) | (guint32)open);
  guint32 ends = word & ~(word >> 1) & (valid >> 1); /* a word byte before a known non-word byte */
  if (open) {
    if (limit == 0) { /* the open word may go on through the byte at i */
      lb->stop = i;
      return i;
    }
    if (!(word & 1)) { /* it ended with the previous block */
      emit_lowered(tb, lb, lb->carry, i);
      lb->carry = NO_CARRY;
    } else if (ends != 0) {
      guint32 e = (guint32)__builtin_ctz(ends);
      ends &= ends - 1;
      emit_lowered(tb, lb, lb->carry, i + e + 1);
      lb->carry = NO_CARRY;
    } else if (limit < BLOCK || i + BLOCK - lb->carry > MAX_CARRY) {
      lb->stop = limit < BLOCK ? i + limit : i;
      return i;
    } else {
      return i + BLOCK; /* the whole block continues the open word */
    }
  }
  while (starts) {
    guint32 s = (guint32)__builtin_ctz(starts);
    starts &= starts - 1;
    if (!ends) {
      lb->carry = i + s;
      break;
    }
    guint32 e = (guint32)__builtin_ctz(ends);
    ends &= ends - 1;
    emit_lowered(tb, lb, i + s, i + e + 1);
  }
  if (limit < BLOCK) {
    lb->stop = i + limit;
    return i;
  }
  return i + BLOCK;
}
#endif

gboolean
nd_tokenize(const char *text, gsize len, NdTokenMode mode, NdTextFlags flags, GArray *tokens,
            GError **error)
{
  g_return_val_if_fail(tokens != NULL, FALSE);
  g_return_val_if_fail(text != NULL || len == 0, FALSE);
  if (len > ND_TEXT_MAX_BYTES) {
    g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "text of %" G_GSIZE_FORMAT " bytes exceeds the %"
                G_GSIZE_FORMAT "-byte limit", len, ND_TEXT_MAX_BYTES);
    return FALSE;
  }
  static gsize table_ready = 0;
  if (g_once_init_enter(&table_ready)) {
    init_run_class();
    g_once_init_leave(&table_ready, 1);
  }
  gsize base = tokens->len;
  TokenBuilder tb = { .tokens = tokens, .n_tokens = base, .sc = scratch_get() };
  g_array_set_size(tokens, (guint)(base + 64 + MIN(len / 8, (gsize)1 << 16))); /* grows as needed */
  tb.out = (NdToken *)tokens->data;
  tb.cap = tokens->len;
  const gboolean chars = mode == ND_TOKENS_CHARS;
#ifdef __SSE2__
  LowerBlocks lb = { .carry = NO_CARRY };
  gsize block_from = 0; /* the block path is not tried before this offset */
#endif

  gsize i = 0;
  while (i < len) {
#ifdef __SSE2__
    if (!chars && !tb.open && i >= block_from) {
      if (i + BLOCK <= len) {
        gsize next = block_step(&tb, &lb, text, i);
        if (next > i) {
          i = next;
          continue;
        }
        /* A non-ASCII byte or an apostrophe at offset lb.stop: the byte-wise paths take over from
         * there, or from the start of a word that reaches it (it may go on past it); the block path
         * resumes after that byte. */
        block_from = lb.stop + 1;
        if (lb.carry != NO_CARRY) {
          i = lb.carry;
          lb.carry = NO_CARRY;
        } else {
          i = lb.stop;
        }
      } else if (lb.carry != NO_CARRY) {
        /* Too few bytes left for a block: the open word is finished byte-wise. */
        block_from = len;
        i = lb.carry;
        lb.carry = NO_CARRY;
      }
    }
#endif
    guint8 c = (guint8)text[i];
    if (c < 0x80) {
      guint8 cls = ascii_class[c];
      if (cls == 1 && !chars && !tb.open) {
        /* Fast path: a run of ASCII letters and digits. When it ends at ASCII punctuation or space
         * (not an apostrophe, not a non-ASCII letter) it is a whole token: hashed straight from
         * the text when it has no capitals, else from a lower-cased copy. */
        gsize j = i;
        guint8 seen = 0, t;
        while (j < len && ((t = run_class[(guint8)text[j]]) & 1)) {
          seen |= t;
          j++;
        }
        gboolean upper = (seen & 2) != 0;
        if ((j == len || ((guint8)text[j] < 0x80 && text[j] != '\'')) && j - i <= MAX_TOKEN_BYTES) {
          if (!upper) {
            push_token(&tb, nd_token_hash(text + i, j - i), i, j);
          } else {
            if (G_UNLIKELY(j - i > tb.sc->cap)) {
              tb.sc->cap = (j - i) * 2;
              tb.sc->buf = g_realloc(tb.sc->buf, tb.sc->cap);
            }
            for (gsize k = i; k < j; k++) /* capitals have bit 1 in run_class: add 32 to them */
              tb.sc->buf[k - i] = (char)(text[k] + ((run_class[(guint8)text[k]] & 2) << 4));
            push_token(&tb, nd_token_hash(tb.sc->buf, j - i), i, j);
          }
          i = j;
          continue;
        }
        /* The word goes on past the run (an apostrophe or a non-ASCII letter): build it. */
        for (; i < j; i++)
          builder_add(&tb, text + i, 1, i, TRUE);
        continue;
      }
      if (cls == 1) {
        if (chars)
          builder_close(&tb);
        builder_add(&tb, text + i, 1, i, TRUE);
      } else if (cls == 2 && tb.open && class_at(text, len, i + 1) == CP_WORD) {
        /* apostrophe inside a word: dropped */
      } else {
        builder_close(&tb);
      }
      i++;
      continue;
    }
    gunichar cp;
    gsize n = decode_at(text, len, i, &cp);
    if (n == 0) {
      if (!(flags & ND_TEXT_LOSSY)) {
        builder_close(&tb);
        g_array_set_size(tokens, (guint)tb.n_tokens);
        g_set_error(error, ND_ERROR, ND_ERROR_UTF8, "invalid UTF-8 at byte offset %" G_GSIZE_FORMAT, i);
        return FALSE;
      }
      builder_close(&tb);
      i++;
      continue;
    }
    int cls = classify_unichar(cp);
    switch (cls) {
    case CP_WORD:
      if (chars)
        builder_close(&tb);
      builder_add(&tb, text + i, n, i, FALSE);
      break;
    case CP_MARK: /* a combining mark belongs to the character before it */
      builder_add(&tb, text + i, n, i, FALSE);
      break;
    case CP_JOINER:
      if (!(tb.open && class_at(text, len, i + n) == CP_WORD))
        builder_close(&tb);
      break;
    default:
      builder_close(&tb);
      break;
    }
    i += n;
  }
#ifdef __SSE2__
  if (lb.carry != NO_CARRY) /* the last block ended the text inside a word */
    emit_lowered(&tb, &lb, lb.carry, len);
#endif
  builder_close(&tb);
  g_array_set_size(tokens, (guint)tb.n_tokens);
  return TRUE;
}

/* test_text.c — UTF-8 validation, normalisation and tokenisation (text.h). */
#include <check.h>
#include <neardup/neardup.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

/* Tokenises `len` bytes (len < 0: strlen) and asserts success. */
static GArray *
tokenize_ok(const char *text, gssize len, NdTokenMode mode, NdTextFlags flags)
{
  gsize n = len < 0 ? strlen(text) : (gsize)len;
  GArray *tokens = g_array_new(FALSE, FALSE, sizeof(NdToken));
  GError *error = NULL;
  gboolean ok = nd_tokenize(text, n, mode, flags, tokens, &error);
  ck_assert_msg(ok, "nd_tokenize failed on \"%s\": %s", text, error ? error->message : "(no error)");
  ck_assert_ptr_null(error);
  return tokens;
}

static NdToken
tok(GArray *tokens, guint i)
{
  ck_assert_uint_lt(i, tokens->len);
  return g_array_index(tokens, NdToken, i);
}

/* Hash of a text that must be exactly one token. */
static guint64
hash1(const char *word)
{
  GArray *t = tokenize_ok(word, -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_msg(t->len == 1, "\"%s\" gave %u tokens, expected 1", word, t->len);
  guint64 h = g_array_index(t, NdToken, 0).hash;
  g_array_unref(t);
  return h;
}

/* The token hash as text.h defines it, written out independently of nd_token_hash(): XXH3-64 of
 * the bytes zero-padded to 16 with the length as seed, or plain XXH3-64 beyond 16 bytes. */
static guint64
xxh(const char *s)
{
  size_t n = strlen(s);
  if (n > 16)
    return XXH3_64bits(s, n);
  char padded[16] = { 0 };
  memcpy(padded, s, n);
  return XXH3_64bits_withSeed(padded, 16, n);
}

static void
assert_token(GArray *t, guint i, guint32 start, guint32 end, const char *normalised)
{
  NdToken k = tok(t, i);
  ck_assert_msg(k.start == start && k.end == end, "token %u: [%u,%u), expected [%u,%u)", i, k.start, k.end,
                start, end);
  ck_assert_msg(k.hash == xxh(normalised), "token %u: hash is not XXH3(\"%s\")", i, normalised);
}

START_TEST(test_ascii_offsets)
{
  const char *text = "Hello, world! 42 times";
  GArray *t = tokenize_ok(text, -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 4);
  assert_token(t, 0, 0, 5, "hello");
  assert_token(t, 1, 7, 12, "world");
  assert_token(t, 2, 14, 16, "42");
  assert_token(t, 3, 17, 22, "times");
  g_array_unref(t);

  /* leading/trailing separators, hyphens, tabs and newlines */
  t = tokenize_ok("  well-known\tfact\n(really)  ", -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 4);
  assert_token(t, 0, 2, 6, "well");
  assert_token(t, 1, 7, 12, "known");
  assert_token(t, 2, 13, 17, "fact");
  assert_token(t, 3, 19, 25, "really");
  g_array_unref(t);
}
END_TEST

START_TEST(test_lowercase)
{
  guint64 h = hash1("reuters");
  ck_assert_uint_eq(hash1("REUTERS"), h);
  ck_assert_uint_eq(hash1("Reuters"), h);
  ck_assert_uint_eq(hash1("rEuTeRs"), h);
  ck_assert_uint_ne(hash1("reuter"), h);
  ck_assert_uint_eq(h, xxh("reuters"));
}
END_TEST

START_TEST(test_apostrophes_inside_words)
{
  guint64 h = xxh("putins");
  ck_assert_uint_eq(hash1("Putin's"), h);
  ck_assert_uint_eq(hash1("Putin\xE2\x80\x99s"), h); /* U+2019 */
  ck_assert_uint_eq(hash1("Putin\xCA\xBCs"), h);     /* U+02BC */
  ck_assert_uint_eq(hash1("putins"), h);
  ck_assert_uint_ne(hash1("putin"), h);

  /* the token's range covers the apostrophe */
  GArray *t = tokenize_ok("said Putin\xE2\x80\x99s aide", -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 3);
  assert_token(t, 1, 5, 14, "putins");
  assert_token(t, 2, 15, 19, "aide");
  g_array_unref(t);

  /* an apostrophe before a non-ASCII letter joins too */
  ck_assert_uint_eq(hash1("l'\xC3\xA9t\xC3\xA9"), hash1("l\xE2\x80\x99\xC3\xA9t\xC3\xA9"));
  ck_assert_uint_eq(hash1("l'\xC3\xA9t\xC3\xA9"), hash1("l\xC3\xA9t\xC3\xA9"));
}
END_TEST

START_TEST(test_quotes_are_separators)
{
  /* ASCII single quotes around a word */
  GArray *t = tokenize_ok("'quoted' word", -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 2);
  assert_token(t, 0, 1, 7, "quoted");
  assert_token(t, 1, 9, 13, "word");
  g_array_unref(t);

  /* typographic single quotes ‘ ’ around a word: the closing ’ is not followed by a letter */
  t = tokenize_ok("\xE2\x80\x98quoted\xE2\x80\x99 word", -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 2);
  assert_token(t, 0, 3, 9, "quoted");
  assert_token(t, 1, 13, 17, "word");
  g_array_unref(t);

  /* plural possessive and a quote at the end of the text */
  t = tokenize_ok("the students' union'", -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 3);
  assert_token(t, 1, 4, 12, "students");
  assert_token(t, 2, 14, 19, "union");
  g_array_unref(t);

  /* rock 'n' roll: quotes on both sides of n */
  t = tokenize_ok("rock 'n' roll", -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 3);
  assert_token(t, 1, 6, 7, "n");
  g_array_unref(t);

  /* two apostrophes in a row do not join */
  t = tokenize_ok("ab''cd", -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 2);
  assert_token(t, 0, 0, 2, "ab");
  assert_token(t, 1, 4, 6, "cd");
  g_array_unref(t);
}
END_TEST

START_TEST(test_typographic_separators)
{
  /* “Hello”—world–again « bonjour » „gut“ */
  const char *text = "\xE2\x80\x9CHello\xE2\x80\x9D\xE2\x80\x94world\xE2\x80\x93" "again \xC2\xAB bonjour \xC2\xBB "
                     "\xE2\x80\x9Egut\xE2\x80\x9C";
  GArray *t = tokenize_ok(text, -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 5);
  assert_token(t, 0, 3, 8, "hello");
  assert_token(t, 1, 14, 19, "world");
  assert_token(t, 2, 22, 27, "again");
  ck_assert_uint_eq(tok(t, 3).hash, xxh("bonjour"));
  ck_assert_uint_eq(tok(t, 4).hash, xxh("gut"));
  ck_assert_uint_eq(tok(t, 4).end, strlen(text) - 3);
  g_array_unref(t);

  /* a straight-quoted and a curly-quoted sentence give the same token sequence */
  GArray *a = tokenize_ok("\"We won't stop,\" she said.", -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  GArray *b = tokenize_ok("\xE2\x80\x9CWe won\xE2\x80\x99t stop,\xE2\x80\x9D she said\xE2\x80\xA6", -1,
                          ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(a->len, 5);
  ck_assert_uint_eq(b->len, a->len);
  for (guint i = 0; i < a->len; i++)
    ck_assert_uint_eq(tok(a, i).hash, tok(b, i).hash);
  ck_assert_uint_eq(tok(a, 1).hash, xxh("wont"));
  g_array_unref(a);
  g_array_unref(b);

  /* symbols and currency are separators */
  t = tokenize_ok("\xE2\x82\xAC" "5 \xC2\xA9 2024", -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 2);
  assert_token(t, 0, 3, 4, "5");
  assert_token(t, 1, 8, 12, "2024");
  g_array_unref(t);
}
END_TEST

START_TEST(test_nfkc_casefold)
{
  /* ligature fi */
  ck_assert_uint_eq(hash1("\xEF\xAC\x81nal"), xxh("final"));
  ck_assert_uint_eq(hash1("FINAL"), xxh("final"));
  /* full-width letters and digits */
  ck_assert_uint_eq(hash1("\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3"), xxh("abc"));
  ck_assert_uint_eq(hash1("\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93"), xxh("123"));
  /* German sharp s: GLib's full case folding maps ß to ss */
  guint64 strasse = hash1("STRASSE");
  ck_assert_uint_eq(hash1("Stra\xC3\x9F" "e"), strasse);
  ck_assert_uint_eq(hash1("strasse"), strasse);
  /* Greek final sigma folds to sigma */
  ck_assert_uint_eq(hash1("\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3"), hash1("\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x82"));
  /* composed and decomposed é agree (NFKC), and differ from plain e */
  guint64 cafe = hash1("caf\xC3\xA9");
  ck_assert_uint_eq(hash1("cafe\xCC\x81"), cafe);
  ck_assert_uint_eq(hash1("CAF\xC3\x89"), cafe);
  ck_assert_uint_ne(hash1("cafe"), cafe);
  ck_assert_uint_eq(cafe, xxh("caf\xC3\xA9"));

  /* the decomposed form is one token with offsets over all its bytes */
  GArray *t = tokenize_ok("un cafe\xCC\x81 noir", -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 3);
  assert_token(t, 1, 3, 9, "caf\xC3\xA9");
  g_array_unref(t);
}
END_TEST

START_TEST(test_cyrillic)
{
  const char *text = "\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0 \xE2\x80\x94 "
                     "\xD1\x81\xD1\x82\xD0\xBE\xD0\xBB\xD0\xB8\xD1\x86\xD0\xB0 "
                     "\xD0\xA0\xD0\xBE\xD1\x81\xD1\x81\xD0\xB8\xD0\xB8."; /* Москва — столица России. */
  GArray *t = tokenize_ok(text, -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 3);
  assert_token(t, 0, 0, 12, "\xD0\xBC\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0"); /* москва */
  assert_token(t, 1, 17, 31, "\xD1\x81\xD1\x82\xD0\xBE\xD0\xBB\xD0\xB8\xD1\x86\xD0\xB0");
  assert_token(t, 2, 32, 44, "\xD1\x80\xD0\xBE\xD1\x81\xD1\x81\xD0\xB8\xD0\xB8");
  g_array_unref(t);
  /* МОСКВА == москва */
  ck_assert_uint_eq(hash1("\xD0\x9C\xD0\x9E\xD0\xA1\xD0\x9A\xD0\x92\xD0\x90"),
                    hash1("\xD0\xBC\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0"));
  /* «Газпром» — guillemets separate */
  t = tokenize_ok("\xC2\xAB\xD0\x93\xD0\xB0\xD0\xB7\xD0\xBF\xD1\x80\xD0\xBE\xD0\xBC\xC2\xBB", -1,
                  ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 1);
  ck_assert_uint_eq(tok(t, 0).start, 2);
  ck_assert_uint_eq(tok(t, 0).end, 16);
  g_array_unref(t);
}
END_TEST

START_TEST(test_urdu_marks_and_zwnj)
{
  /* مُحَمَّد with harakat (U+064F, U+064E, U+0651, U+064E): one token; the marks stay in it */
  const char *marked = "\xD9\x85\xD9\x8F\xD8\xAD\xD9\x8E\xD9\x85\xD9\x91\xD9\x8E\xD8\xAF";
  const char *text_fmt = "%s \xD8\xB5\xD8\xA7\xD8\xAD\xD8\xA8"; /* "<marked> صاحب" */
  g_autofree char *text = g_strdup_printf(text_fmt, marked);
  GArray *t = tokenize_ok(text, -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 2);
  ck_assert_uint_eq(tok(t, 0).start, 0);
  ck_assert_uint_eq(tok(t, 0).end, strlen(marked));
  ck_assert_uint_eq(tok(t, 1).start, strlen(marked) + 1);
  ck_assert_uint_eq(tok(t, 1).end, strlen(text));
  g_autofree char *norm = nd_normalize_token(marked, strlen(marked));
  ck_assert_ptr_nonnull(strstr(norm, "\xD9\x8F")); /* damma kept */
  ck_assert_uint_eq(tok(t, 0).hash, xxh(norm));
  ck_assert_uint_ne(tok(t, 0).hash, hash1("\xD9\x85\xD8\xAD\xD9\x85\xD8\xAF")); /* محمد without marks */
  g_array_unref(t);

  /* Urdu sentence: پاکستان کی حکومت نے کہا — five tokens, Urdu full stop ۔ separates */
  const char *urdu = "\xD9\xBE\xD8\xA7\xDA\xA9\xD8\xB3\xD8\xAA\xD8\xA7\xD9\x86 \xDA\xA9\xDB\x8C "
                     "\xD8\xAD\xDA\xA9\xD9\x88\xD9\x85\xD8\xAA \xD9\x86\xDB\x92 \xDA\xA9\xDB\x81\xD8\xA7\xDB\x94";
  t = tokenize_ok(urdu, -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 5);
  ck_assert_uint_eq(tok(t, 0).start, 0);
  ck_assert_uint_eq(tok(t, 0).end, 14);
  ck_assert_uint_eq(tok(t, 4).end, strlen(urdu) - 2); /* ۔ (U+06D4) is 2 bytes */
  g_array_unref(t);

  /* ZWNJ (U+200C) inside a word joins: می‌خواهم == میخواهم, offsets span the ZWNJ */
  const char *with_zwnj = "\xD9\x85\xDB\x8C\xE2\x80\x8C\xD8\xAE\xD9\x88\xD8\xA7\xD9\x87\xD9\x85";
  const char *without = "\xD9\x85\xDB\x8C\xD8\xAE\xD9\x88\xD8\xA7\xD9\x87\xD9\x85";
  t = tokenize_ok(with_zwnj, -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 1);
  ck_assert_uint_eq(tok(t, 0).end, strlen(with_zwnj));
  ck_assert_uint_eq(tok(t, 0).hash, hash1(without));
  g_array_unref(t);
  /* a ZWNJ at the end of a word (before a space) is not part of the token */
  g_autofree char *trailing = g_strdup_printf("%s\xE2\x80\x8C x", without);
  t = tokenize_ok(trailing, -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 2);
  ck_assert_uint_eq(tok(t, 0).end, strlen(without));
  g_array_unref(t);

  /* Devanagari: virama and vowel signs (Mn/Mc) stay inside: हिन्दी समाचार = 2 tokens */
  t = tokenize_ok("\xE0\xA4\xB9\xE0\xA4\xBF\xE0\xA4\xA8\xE0\xA5\x8D\xE0\xA4\xA6\xE0\xA5\x80 "
                  "\xE0\xA4\xB8\xE0\xA4\xAE\xE0\xA4\xBE\xE0\xA4\x9A\xE0\xA4\xBE\xE0\xA4\xB0",
                  -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 2);
  ck_assert_uint_eq(tok(t, 0).end, 18);
  ck_assert_uint_eq(tok(t, 1).start, 19);
  g_array_unref(t);
}
END_TEST

START_TEST(test_digits_and_joiners)
{
  GArray *t = tokenize_ok("In 2024, 3.5 million", -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 5);
  assert_token(t, 0, 0, 2, "in");
  assert_token(t, 1, 3, 7, "2024");
  assert_token(t, 2, 9, 10, "3");
  assert_token(t, 3, 11, 12, "5");
  assert_token(t, 4, 13, 20, "million");
  g_array_unref(t);
  /* letters and digits mix in one token */
  ck_assert_uint_eq(hash1("COVID19"), xxh("covid19"));
  /* Arabic-Indic digits are word characters */
  t = tokenize_ok("\xD9\xA2\xD9\xA0\xD9\xA2\xD9\xA4 x", -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 2);
  ck_assert_uint_eq(tok(t, 0).end, 8);
  g_array_unref(t);
  /* soft hyphen (U+00AD) inside a word is dropped */
  ck_assert_uint_eq(hash1("co\xC2\xAD" "operate"), xxh("cooperate"));
  /* a NUL byte separates tokens */
  t = tokenize_ok("ab\0cd", 5, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 2);
  assert_token(t, 0, 0, 2, "ab");
  assert_token(t, 1, 3, 5, "cd");
  g_array_unref(t);
  /* the text need not be NUL-terminated: only `len` bytes are read */
  t = tokenize_ok("abcdef", 3, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 1);
  assert_token(t, 0, 0, 3, "abc");
  g_array_unref(t);
}
END_TEST

/* Tokenises invalid text strictly: must fail with ND_ERROR_UTF8 naming `offset`, and leave the
 * tokens before the fault. */
static void
assert_invalid(const char *text, gsize len, gsize offset, guint tokens_before)
{
  GArray *t = g_array_new(FALSE, FALSE, sizeof(NdToken));
  GError *error = NULL;
  ck_assert(!nd_tokenize(text, len, ND_TOKENS_WORDS, ND_TEXT_DEFAULT, t, &error));
  ck_assert_ptr_nonnull(error);
  ck_assert(g_error_matches(error, ND_ERROR, ND_ERROR_UTF8));
  g_autofree char *expect = g_strdup_printf("byte offset %" G_GSIZE_FORMAT, offset);
  ck_assert_msg(strstr(error->message, expect) != NULL, "message \"%s\" lacks \"%s\"", error->message, expect);
  ck_assert_uint_eq(t->len, tokens_before);
  ck_assert_int_eq(nd_utf8_find_invalid(text, len), (gssize)offset);
  g_error_free(error);
  g_array_unref(t);
}

START_TEST(test_invalid_utf8)
{
  assert_invalid("abc \xFF" "def", 8, 4, 1);
  assert_invalid("abc\xFF" "def", 7, 3, 1);
  assert_invalid("ab\xC0\xAF" "cd", 6, 2, 1);         /* overlong '/' */
  assert_invalid("ab\xE0\x80\xAF" "cd", 7, 2, 1);     /* overlong, 3 bytes */
  assert_invalid("ab\xED\xA0\x80" "cd", 7, 2, 1);     /* UTF-16 surrogate D800 */
  assert_invalid("ab \xF4\x90\x80\x80", 7, 3, 1);     /* beyond U+10FFFF */
  assert_invalid("one two \xE2\x80", 10, 8, 2);       /* truncated at the end */
  assert_invalid("\x80", 1, 0, 0);                    /* lone continuation byte */
  /* valid text after a multi-byte character: offset counts bytes, not characters */
  assert_invalid("\xD0\x9C\xD0\xB8\xD1\x80 \xFE", 8, 7, 1);
}
END_TEST

START_TEST(test_lossy)
{
  GArray *t = tokenize_ok("abc\xFF" "def", 7, ND_TOKENS_WORDS, ND_TEXT_LOSSY);
  ck_assert_uint_eq(t->len, 2);
  assert_token(t, 0, 0, 3, "abc");
  assert_token(t, 1, 4, 7, "def");
  g_array_unref(t);

  t = tokenize_ok("ab\xC0\xAF" "cd \xED\xA0\x80x", 11, ND_TOKENS_WORDS, ND_TEXT_LOSSY);
  ck_assert_uint_eq(t->len, 3);
  assert_token(t, 0, 0, 2, "ab");
  assert_token(t, 1, 4, 6, "cd");
  assert_token(t, 2, 10, 11, "x");
  g_array_unref(t);

  /* an invalid byte after an apostrophe: the apostrophe does not join across it */
  t = tokenize_ok("it'\xFFs", 5, ND_TOKENS_WORDS, ND_TEXT_LOSSY);
  ck_assert_uint_eq(t->len, 2);
  assert_token(t, 0, 0, 2, "it");
  assert_token(t, 1, 4, 5, "s");
  g_array_unref(t);

  /* truncated sequence at the end */
  t = tokenize_ok("word \xE2\x80", 7, ND_TOKENS_WORDS, ND_TEXT_LOSSY);
  ck_assert_uint_eq(t->len, 1);
  g_array_unref(t);
}
END_TEST

START_TEST(test_find_invalid)
{
  ck_assert_int_eq(nd_utf8_find_invalid("", 0), -1);
  ck_assert_int_eq(nd_utf8_find_invalid("plain ascii", 11), -1);
  ck_assert_int_eq(nd_utf8_find_invalid("caf\xC3\xA9 \xE2\x80\x94 \xF0\x9F\x98\x80", 14), -1);
  ck_assert_int_eq(nd_utf8_find_invalid("caf\xC3\xA9", 4), 3); /* cut inside é */
  ck_assert_int_eq(nd_utf8_find_invalid("ok\xC0\xAF", 4), 2);
  ck_assert_int_eq(nd_utf8_find_invalid("ok\xED\xA0\x80", 5), 2);
  ck_assert_int_eq(nd_utf8_find_invalid("okay\xFF", 5), 4);
}
END_TEST

START_TEST(test_chars_mode)
{
  /* 中华人民共和国成立 — nine characters of three bytes */
  const char *zh = "\xE4\xB8\xAD\xE5\x8D\x8E\xE4\xBA\xBA\xE6\xB0\x91\xE5\x85\xB1\xE5\x92\x8C\xE5\x9B\xBD"
                   "\xE6\x88\x90\xE7\xAB\x8B";
  GArray *t = tokenize_ok(zh, -1, ND_TOKENS_CHARS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 9);
  for (guint i = 0; i < 9; i++) {
    ck_assert_uint_eq(tok(t, i).start, 3 * i);
    ck_assert_uint_eq(tok(t, i).end, 3 * i + 3);
    g_autofree char *one = g_strndup(zh + 3 * i, 3);
    ck_assert_uint_eq(tok(t, i).hash, xxh(one));
  }
  /* 中 and 国 are different tokens */
  ck_assert_uint_ne(tok(t, 0).hash, tok(t, 6).hash);
  g_array_unref(t);
  /* in words mode the same text is one token */
  t = tokenize_ok(zh, -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 1);
  g_array_unref(t);

  /* 中文，ABc 12。 — full-width punctuation separates; ASCII letters/digits one per token, folded */
  const char *mixed = "\xE4\xB8\xAD\xE6\x96\x87\xEF\xBC\x8C" "ABc 12\xE3\x80\x82";
  t = tokenize_ok(mixed, -1, ND_TOKENS_CHARS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 7);
  assert_token(t, 0, 0, 3, "\xE4\xB8\xAD");
  assert_token(t, 1, 3, 6, "\xE6\x96\x87");
  assert_token(t, 2, 9, 10, "a");
  assert_token(t, 3, 10, 11, "b");
  assert_token(t, 4, 11, 12, "c");
  assert_token(t, 5, 13, 14, "1");
  assert_token(t, 6, 14, 15, "2");
  g_array_unref(t);

  /* a combining mark stays with its base letter: e + U+0301, then x */
  t = tokenize_ok("e\xCC\x81x", -1, ND_TOKENS_CHARS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 2);
  assert_token(t, 0, 0, 3, "\xC3\xA9");
  assert_token(t, 1, 3, 4, "x");
  g_array_unref(t);
}
END_TEST

START_TEST(test_normalize_token)
{
  struct {
    const char *in, *out;
  } cases[] = {
    { "HELLO", "hello" },
    { "Putin\xE2\x80\x99s", "putins" },
    { "Putin's", "putins" },
    { "\xEF\xAC\x81nal", "final" },
    { "\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3", "abc" },
    { "Stra\xC3\x9F" "e", "strasse" },
    { "cafe\xCC\x81", "caf\xC3\xA9" },
    { "\xD0\x9C\xD0\x9E\xD0\xA1\xD0\x9A\xD0\x92\xD0\x90", "\xD0\xBC\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0" },
    { "", "" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *got = nd_normalize_token(cases[i].in, strlen(cases[i].in));
    ck_assert_str_eq(got, cases[i].out);
  }
  /* only `len` bytes are used */
  g_autofree char *part = nd_normalize_token("ABCDEF", 3);
  ck_assert_str_eq(part, "abc");
}
END_TEST

/* Every token's hash is XXH3 of nd_normalize_token over its original bytes, for a text mixing
 * scripts, quotes, ligatures and marks. */
START_TEST(test_hash_matches_normalize_token)
{
  const char *text =
    "\xE2\x80\x9CThe \xEF\xAC\x81nal vote,\xE2\x80\x9D said Putin\xE2\x80\x99s aide \xE2\x80\x94 "
    "\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0, Stra\xC3\x9F" "e, cafe\xCC\x81, "
    "\xD9\x85\xDB\x8C\xE2\x80\x8C\xD8\xAE\xD9\x88\xD8\xA7\xD9\x87\xD9\x85 \xEF\xBC\xA1\xEF\xBC\xA2 "
    "co\xC2\xAD" "operate don't 2024.";
  for (int mode = 0; mode < 2; mode++) {
    GArray *t = tokenize_ok(text, -1, (NdTokenMode)mode, ND_TEXT_DEFAULT);
    ck_assert_uint_gt(t->len, 10);
    guint32 prev_end = 0;
    for (guint i = 0; i < t->len; i++) {
      NdToken k = tok(t, i);
      ck_assert_uint_lt(k.start, k.end);
      ck_assert_uint_ge(k.start, prev_end);
      prev_end = k.end;
      g_autofree char *norm = nd_normalize_token(text + k.start, k.end - k.start);
      ck_assert_msg(k.hash == xxh(norm), "mode %d token %u \"%.*s\": hash is not XXH3(\"%s\")", mode, i,
                    (int)(k.end - k.start), text + k.start, norm);
    }
    g_array_unref(t);
  }
}
END_TEST

/* Random ASCII text of words (some capitalised, some past 16, 128 and 256 bytes), digits and
 * punctuation; with `extra`, apostrophes and non-ASCII letters too. */
static char *
random_text(GRand *r, gsize len, gboolean extra)
{
  static const char sep[] = " ,.;:!?()-\n\t\"/";
  GString *t = g_string_new(NULL);
  while (t->len < len) {
    guint32 kind = (guint32)g_rand_int_range(r, 0, 100);
    gint32 wl = kind < 90 ? g_rand_int_range(r, 1, 14) : kind < 96 ? g_rand_int_range(r, 14, 40) : g_rand_int_range(r, 100, 300);
    for (gint32 k = 0; k < wl; k++) {
      gint32 c = g_rand_int_range(r, 0, 40);
      if (extra && c == 0)
        g_string_append(t, "'");
      else if (extra && c == 1)
        g_string_append(t, "\xC3\xA9"); /* é */
      else if (c < 4)
        g_string_append_c(t, (char)('0' + c));
      else if (c < 8)
        g_string_append_c(t, (char)('A' + c));
      else
        g_string_append_c(t, (char)('a' + c % 26));
    }
    gint32 ns = g_rand_int_range(r, 1, 3);
    for (gint32 k = 0; k < ns; k++)
      g_string_append_c(t, sep[g_rand_int_range(r, 0, (gint32)strlen(sep))]);
  }
  return g_string_free(t, FALSE);
}

/* The reference for plain ASCII: maximal runs of letters and digits, cut every 256 bytes, hashed
 * lower-cased. */
static GArray *
reference_ascii(const char *text, gsize len)
{
  GArray *out = g_array_new(FALSE, FALSE, sizeof(NdToken));
  for (gsize i = 0; i < len;) {
    if (!g_ascii_isalnum(text[i])) {
      i++;
      continue;
    }
    gsize j = i;
    while (j < len && g_ascii_isalnum(text[j]) && j - i < 256)
      j++;
    g_autofree char *low = g_ascii_strdown(text + i, (gssize)(j - i));
    NdToken t = { xxh(low), (guint32)i, (guint32)j };
    g_array_append_val(out, t);
    i = j;
  }
  return out;
}

START_TEST(test_block_path_matches_reference)
{
  /* Words crossing 32-byte blocks, words longer than the carried limit and than 256 bytes, text
   * tails shorter than a block: the block path and the byte paths must agree with the rule. */
  GRand *r = g_rand_new_with_seed(7);
  for (int round = 0; round < 400; round++) {
    gsize len = (gsize)g_rand_int_range(r, 0, round < 200 ? 200 : 2000);
    if (round % 3 == 0)
      len &= ~(gsize)31; /* the text ends with a block, often inside a word */
    g_autofree char *text = random_text(r, len, FALSE);
    gsize n = MIN(strlen(text), len);
    GArray *got = tokenize_ok(text, (gssize)n, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
    GArray *want = reference_ascii(text, n);
    ck_assert_msg(got->len == want->len, "round %d: %u tokens, reference %u", round, got->len, want->len);
    for (guint i = 0; i < got->len; i++) {
      NdToken a = tok(got, i), b = g_array_index(want, NdToken, i);
      ck_assert_msg(a.start == b.start && a.end == b.end && a.hash == b.hash,
                    "round %d token %u: [%u,%u) %016" G_GINT64_MODIFIER "x, reference [%u,%u) %016" G_GINT64_MODIFIER "x",
                    round, i, a.start, a.end, a.hash, b.start, b.end, b.hash);
    }
    g_array_unref(got);
    g_array_unref(want);
  }
  g_rand_free(r);
}
END_TEST

START_TEST(test_tokens_independent_of_alignment)
{
  /* With apostrophes and accents the block path hands over to the byte paths at many places; the
   * tokens must not depend on where the 32-byte blocks fall: shifting the text by 1..40 bytes only
   * shifts the offsets. */
  GRand *r = g_rand_new_with_seed(11);
  for (int round = 0; round < 60; round++) {
    g_autofree char *text = random_text(r, (gsize)g_rand_int_range(r, 40, 1500), TRUE);
    gsize n = strlen(text);
    GArray *base = tokenize_ok(text, (gssize)n, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
    for (gsize shift = 1; shift <= 40; shift++) {
      g_autofree char *moved = g_strdup_printf("%*s%s", (int)shift, "", text);
      GArray *got = tokenize_ok(moved, (gssize)(n + shift), ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
      ck_assert_uint_eq(got->len, base->len);
      for (guint i = 0; i < got->len; i++) {
        NdToken a = tok(got, i), b = tok(base, i);
        ck_assert_msg(a.hash == b.hash && a.start == b.start + shift && a.end == b.end + shift,
                      "round %d shift %zu token %u differs", round, shift, i);
      }
      g_array_unref(got);
    }
    g_array_unref(base);
  }
  g_rand_free(r);
}
END_TEST

START_TEST(test_token_hash_definition)
{
  ck_assert_uint_eq(nd_token_hash("hello", 5), xxh("hello"));
  ck_assert_uint_eq(nd_token_hash("abcdefghijklmnop", 16), xxh("abcdefghijklmnop"));
  ck_assert_uint_eq(nd_token_hash("abcdefghijklmnopq", 17), XXH3_64bits("abcdefghijklmnopq", 17));
  /* Padding and length seed keep prefixes apart. */
  ck_assert_uint_ne(nd_token_hash("ab", 2), nd_token_hash("ab\0", 3));
  ck_assert_uint_eq(hash1("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), xxh("abcdefghijklmnopqrstuvwxyz0123456789"));
}
END_TEST

START_TEST(test_empty_and_append)
{
  GArray *t = tokenize_ok(NULL, 0, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 0);
  g_array_unref(t);
  t = tokenize_ok("", 0, ND_TOKENS_CHARS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 0);
  g_array_unref(t);
  t = tokenize_ok("  ,;!? \xE2\x80\x94 \xE2\x80\x9C\xE2\x80\x9D ''  \n", -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 0);
  g_array_unref(t);

  /* tokens are appended, not replacing what the array holds */
  t = tokenize_ok("one two", -1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT);
  ck_assert(nd_tokenize("three", 5, ND_TOKENS_WORDS, ND_TEXT_DEFAULT, t, NULL));
  ck_assert_uint_eq(t->len, 3);
  assert_token(t, 0, 0, 3, "one");
  assert_token(t, 2, 0, 5, "three");
  g_array_unref(t);
}
END_TEST

/* Many more tokens than bytes / 8 (one- and three-byte tokens), appended after existing ones:
 * every token present with the right offsets. */
START_TEST(test_many_short_tokens)
{
  GString *words = g_string_new(NULL);
  for (guint i = 0; i < 20000; i++)
    g_string_append_printf(words, "%c ", 'a' + i % 26);
  GArray *t = g_array_new(FALSE, FALSE, sizeof(NdToken));
  NdToken marker = { .hash = 42, .start = 7, .end = 9 };
  g_array_append_val(t, marker);
  ck_assert(nd_tokenize(words->str, words->len, ND_TOKENS_WORDS, ND_TEXT_DEFAULT, t, NULL));
  ck_assert_uint_eq(t->len, 20001);
  ck_assert_uint_eq(tok(t, 0).hash, 42);
  for (guint i = 0; i < 20000; i++) {
    NdToken k = tok(t, i + 1);
    ck_assert_uint_eq(k.start, 2 * i);
    ck_assert_uint_eq(k.end, 2 * i + 1);
    char w[2] = { (char)('a' + i % 26), 0 };
    ck_assert_uint_eq(k.hash, xxh(w));
  }
  g_array_unref(t);
  g_string_free(words, TRUE);

  /* chars mode: 30000 CJK characters, no separators */
  GString *zh = g_string_new(NULL);
  for (guint i = 0; i < 30000; i++)
    g_string_append(zh, i % 2 ? "\xE4\xB8\xAD" : "\xE6\x96\x87");
  t = tokenize_ok(zh->str, (gssize)zh->len, ND_TOKENS_CHARS, ND_TEXT_DEFAULT);
  ck_assert_uint_eq(t->len, 30000);
  for (guint i = 0; i < 30000; i += 997) {
    ck_assert_uint_eq(tok(t, i).start, 3 * i);
    ck_assert_uint_eq(tok(t, i).end, 3 * i + 3);
  }
  ck_assert_uint_ne(tok(t, 0).hash, tok(t, 1).hash);
  ck_assert_uint_eq(tok(t, 0).hash, tok(t, 29998).hash);
  g_array_unref(t);
  g_string_free(zh, TRUE);
}
END_TEST

START_TEST(test_too_large)
{
#if GLIB_SIZEOF_SIZE_T > 4
  /* The length is checked before any byte is read. */
  GArray *t = g_array_new(FALSE, FALSE, sizeof(NdToken));
  GError *error = NULL;
  ck_assert(!nd_tokenize("x", ND_TEXT_MAX_BYTES + 1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT, t, &error));
  ck_assert(g_error_matches(error, ND_ERROR, ND_ERROR_TOO_LARGE));
  ck_assert_uint_eq(t->len, 0);
  g_error_free(error);
  g_array_unref(t);
#endif
}
END_TEST

static Suite *
text_suite(void)
{
  Suite *s = suite_create("text");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_ascii_offsets);
  tcase_add_test(tc, test_lowercase);
  tcase_add_test(tc, test_apostrophes_inside_words);
  tcase_add_test(tc, test_quotes_are_separators);
  tcase_add_test(tc, test_typographic_separators);
  tcase_add_test(tc, test_nfkc_casefold);
  tcase_add_test(tc, test_cyrillic);
  tcase_add_test(tc, test_urdu_marks_and_zwnj);
  tcase_add_test(tc, test_digits_and_joiners);
  tcase_add_test(tc, test_invalid_utf8);
  tcase_add_test(tc, test_lossy);
  tcase_add_test(tc, test_find_invalid);
  tcase_add_test(tc, test_chars_mode);
  tcase_add_test(tc, test_normalize_token);
  tcase_add_test(tc, test_hash_matches_normalize_token);
  tcase_add_test(tc, test_empty_and_append);
  tcase_add_test(tc, test_many_short_tokens);
  tcase_add_test(tc, test_too_large);
  tcase_add_test(tc, test_block_path_matches_reference);
  tcase_add_test(tc, test_tokens_independent_of_alignment);
  tcase_add_test(tc, test_token_hash_definition);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(text_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

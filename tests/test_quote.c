/* test_quote.c — quotation spans (quote.h): every quote style, nesting, apostrophes, quotations of
 * several paragraphs, and hostile text (unbalanced and stray marks, marks at the very ends, invalid
 * UTF-8, very long inputs), checked as the exact text of each span. */
#include <check.h>
#include <neardup/neardup.h>
#include <string.h>

/* The spans of s as their texts joined by '|' ("" when none). */
static char *
spans_of(const char *s)
{
  g_autoptr(GArray) spans = nd_quote_spans(s, strlen(s));
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < spans->len; i++) {
    const NdQuoteSpan *q = &g_array_index(spans, NdQuoteSpan, i);
    ck_assert_uint_lt(q->start, q->end);
    ck_assert_uint_le(q->end, strlen(s));
    if (i > 0) {
      ck_assert_uint_gt(q->start, g_array_index(spans, NdQuoteSpan, i - 1).end - 1); /* sorted, disjoint */
      g_string_append_c(out, '|');
    }
    g_string_append_len(out, s + q->start, (gssize)(q->end - q->start));
  }
  return g_string_free(out, FALSE);
}

#define ck_spans(s, want)                                                                                 \
  do {                                                                                                    \
    char *got_ = spans_of(s);                                                                             \
    ck_assert_msg(strcmp(got_, (want)) == 0, "spans of '%s': got '%s', want '%s'", (s), got_, (want));   \
    g_free(got_);                                                                                         \
  } while (0)

START_TEST(test_styles)
{
  ck_spans("He said \"we stay\" and left.", "\"we stay\"");
  ck_spans("He said “we stay” and left.", "“we stay”");
  ck_spans("Er sagte „wir bleiben“ und ging.", "„wir bleiben“");
  ck_spans("Er sagte »wir bleiben« und ging.", "»wir bleiben«");
  ck_spans("Il a dit « nous restons » puis il est parti.", "« nous restons »");
  ck_spans("Il a dit «nous restons» hier.", "«nous restons»");
  ck_spans("Han sa ”vi stannar” och gick.", "”vi stannar”");
  ck_spans("Он сказал: «Мы остаёмся», и ушёл.", "«Мы остаёмся»");
  ck_spans("彼は「残る」と言った。", "「残る」");
  ck_spans("She said 'we stay' and left.", "'we stay'");
  ck_spans("She said ‘we stay’ and left.", "‘we stay’");
  ck_spans("(\"In brackets\") too.", "\"In brackets\"");
  ck_spans("He said:\"no.\"", "\"no.\"");
  ck_spans("Two: \"one\" and \"two\".", "\"one\"|\"two\"");
  ck_spans("“Quoted at the start,” he said.", "“Quoted at the start,”");
  ck_spans("No quotes here at all.", "");
  ck_spans("", "");
}
END_TEST

START_TEST(test_nesting)
{
  ck_spans("He said “they told me ‘never’ twice” today.", "“they told me ‘never’ twice”");
  ck_spans("Il a dit « il m’a dit “jamais” hier » puis.", "« il m’a dit “jamais” hier »");
  ck_spans("\"Outer 'inner' outer\" end", "\"Outer 'inner' outer\"");
  /* An inner quotation left open is dropped when the outer one closes. */
  ck_spans("“Outer ‘inner outer” end", "“Outer ‘inner outer”");
  /* An inner quotation closed inside an unbalanced outer one still counts. */
  ck_spans("“Outer ‘inner’ never closed", "‘inner’");
}
END_TEST

START_TEST(test_apostrophes)
{
  ck_spans("Kyiv’s mayor didn’t say it; the leaders’ level was not set.", "");
  ck_spans("Kyiv's mayor didn't say it; the leaders' level was not set.", "");
  ck_spans("In the ’90s and the '80s nothing.", "");
  /* A plural possessive inside a single-quoted quotation does not close it when a later mark can. */
  ck_spans("He said ‘the leaders’ level is wrong’ today.", "‘the leaders’ level is wrong’");
  ck_spans("He said 'the leaders' level is wrong' today.", "'the leaders' level is wrong'");
  ck_spans("He said 'the leaders' and left.", "'the leaders'");
  ck_spans("“Russia’s offer isn’t serious,” she said.", "“Russia’s offer isn’t serious,”");
  ck_spans("rock 'n' roll", "'n'"); /* flanked like a quotation: taken as one (one word) */
}
END_TEST

START_TEST(test_paragraphs)
{
  /* Each paragraph of a long quotation reopens; only the last closes. */
  ck_spans("He said:\n“First paragraph of it.\n“Second paragraph.\n“Last one.”\nThen narrative.",
           "“First paragraph of it.|“Second paragraph.|“Last one.”");
  ck_spans("“First.\n\n“Second, after a blank line.”\nNarrative.", "“First.|“Second, after a blank line.”");
  /* An unclosed quotation not reopened nor wrapped (a blank line, U+2029) is unbalanced: nothing. */
  ck_spans("He said “we stay\n\nand then more narrative.”", "");
  ck_spans("He said “we stay\u2029and then more narrative.”", "");
  /* A closing mark at the start of the next line reopens nothing: it closes. */
  ck_spans("Il a dit « nous restons\n», a-t-il dit.", "« nous restons\n»");
  ck_spans("“Unclosed at the end", "");
  ck_spans("« Premier paragraphe.\n« Second paragraphe. »\nRécit.", "« Premier paragraphe.|« Second paragraphe. »");
  /* Reopening with the other family does not continue it. */
  ck_spans("“Open\n‘other’ line", "‘other’");
  ck_spans("Line one \"a\"\r\nLine two \"b\"", "\"a\"|\"b\"");
}
END_TEST

START_TEST(test_hard_wrapped)
{
  /* Plain-text wire copy: a paragraph broken over short lines; the quotation goes on across them. */
  ck_spans("The mayor said “the wall will hold through\nthe winter storms and we will not\nmove the ferry,” at the meeting.",
           "“the wall will hold through\nthe winter storms and we will not\nmove the ferry,”");
  ck_spans("He said “we stay\nand then more narrative.”", "“we stay\nand then more narrative.”");
  ck_spans("Line one “wraps\r\nhere” with CRLF.", "“wraps\r\nhere”");
  ck_spans("Il a dit « nous\nrestons » hier.", "« nous\nrestons »");
  ck_spans("She said ‘the leaders\nwill meet’ today.", "‘the leaders\nwill meet’");
  /* Nested quotations and a second quotation in the same wrapped paragraph. */
  ck_spans("“They told me ‘never\nagain’ twice,” he said. Then\n“once more” she said.",
           "“They told me ‘never\nagain’ twice,”|“once more”");
  /* A wrapped quotation of several paragraphs: each reopens after a blank line, the last closes. */
  ck_spans("He said: “First paragraph\nwrapped here.\n\n“Second paragraph\nwrapped too.”\nNarrative.",
           "“First paragraph\nwrapped here.|“Second paragraph\nwrapped too.”");
  /* Not a wrap: a line longer than ND_QUOTE_WRAP_COLUMNS, a line ending a sentence (one paragraph per
   * line), a blank line: a stray mark stays within its line. */
  GString *lng = g_string_new("He said “");
  for (int i = 0; i < ND_QUOTE_WRAP_COLUMNS / 5; i++)
    g_string_append(lng, "word ");
  g_string_append(lng, "more\nnext line” here.");
  ck_spans(lng->str, "");
  g_string_free(lng, TRUE);
  ck_spans("He said “no\nThe council met on Tuesday.\nShe said “yes” later.", "“yes”");
  /* A sentence may end at a wrap inside the quotation. */
  ck_spans("He said “we stay.\nAnd then more,” and left.", "“we stay.\nAnd then more,”");
  /* The possessive rule looks over the wrapped lines for the closing mark. */
  ck_spans("She said ‘the leaders' level\nis what counts’ today.", "‘the leaders' level\nis what counts’");
  /* At most ND_QUOTE_WRAP_LINES breaks: a stray opener does not reach a closer further on. */
  GString *many = g_string_new("A stray “opener");
  for (int i = 0; i <= ND_QUOTE_WRAP_LINES; i++)
    g_string_append(many, "\nshort line");
  g_string_append(many, " closer” end");
  ck_spans(many->str, "");
  g_string_truncate(many, many->len - strlen(" closer” end"));
  g_string_truncate(many, many->len - strlen("\nshort line"));
  g_string_append(many, " closer” end");
  g_autoptr(GArray) reached = nd_quote_spans(many->str, many->len); /* one break fewer: reached */
  ck_assert_uint_eq(reached->len, 1);
  g_string_free(many, TRUE);
  ck_spans("Stray “opener\nline two\n\nline three” closer", "");
  ck_spans("「東京は\n晴れ」と言った。", "「東京は\n晴れ」");
  ck_spans("«Мы\nостаёмся.»\n", "«Мы\nостаёмся.»");
}
END_TEST

START_TEST(test_hostile)
{
  ck_spans("\"", "");
  ck_spans("\"\"", "\"\""); /* an empty quotation: no words in it */
  ck_spans(" \" \" ", "");
  ck_spans("”stray closer first” then “ok”", "”stray closer first”|“ok”");
  ck_spans("a ” b “ c", "");
  ck_spans("”", "");
  ck_spans("«", "");
  ck_spans("»«", "»«");
  ck_spans("word\"word\"word", ""); /* inside words: neither opens nor closes */
  ck_spans("」 closes nothing 「 opens nothing", "");
  ck_spans("'''''", "''");
  ck_spans("\"\"\"\"\"\"", "\"\"|\"\"|\"\"");
  /* Invalid UTF-8 is an ordinary character. */
  ck_spans("\"bad \xff byte\" ok", "\"bad \xff byte\"");
  ck_spans("\xe2\x80 \"x\"", "\"x\"");
  /* Deeper nesting than the stack holds: no crash, the outermost still pairs. */
  GString *deep = g_string_new("\"");
  for (int i = 0; i < 40; i++)
    g_string_append(deep, "‘a ");
  g_string_append(deep, "end\" tail");
  g_autofree char *want = g_strndup(deep->str, deep->len - 5);
  ck_spans(deep->str, want);
  g_string_free(deep, TRUE);
}
END_TEST

START_TEST(test_long)
{
  /* 200,000 short quotations in one line, and one quotation over a 4 MB line: linear, exact. */
  GString *s = g_string_new(NULL);
  for (int i = 0; i < 200000; i++)
    g_string_append(s, "said \"yes\" ");
  g_autoptr(GArray) spans = nd_quote_spans(s->str, s->len);
  ck_assert_uint_eq(spans->len, 200000);
  ck_assert_uint_eq(g_array_index(spans, NdQuoteSpan, 199999).end - g_array_index(spans, NdQuoteSpan, 199999).start, 5);
  g_string_truncate(s, 0);
  g_string_append(s, "x “");
  for (int i = 0; i < 400000; i++)
    g_string_append(s, "word word ");
  g_string_append(s, "end” y");
  g_autoptr(GArray) one = nd_quote_spans(s->str, s->len);
  ck_assert_uint_eq(one->len, 1);
  ck_assert_uint_eq(g_array_index(one, NdQuoteSpan, 0).start, 2);
  ck_assert_uint_eq(g_array_index(one, NdQuoteSpan, 0).end, s->len - 2);
  /* 200,000 short lines, each opening a single quotation and holding a plural possessive: the look
   * for a later closing mark stays within ND_QUOTE_WRAP_LINES lines (linear, not quadratic). */
  g_string_truncate(s, 0);
  for (int i = 0; i < 200000; i++)
    g_string_append(s, "‘the leaders' level\n");
  g_autoptr(GArray) wrapped = nd_quote_spans(s->str, s->len);
  ck_assert_uint_le(wrapped->len, 200000);
  /* A million stray openers on one line: nothing, and no stack overflow. */
  g_string_truncate(s, 0);
  for (int i = 0; i < 1000000; i++)
    g_string_append(s, " “a");
  g_autoptr(GArray) none = nd_quote_spans(s->str, s->len);
  ck_assert_uint_eq(none->len, 0);
  g_string_free(s, TRUE);
}
END_TEST

START_TEST(test_tokens)
{
  const char *t = "The minister said “we need a lasting peace” on Friday.";
  g_autoptr(GArray) tok = g_array_new(FALSE, FALSE, sizeof(NdToken));
  ck_assert(nd_tokenize(t, strlen(t), ND_TOKENS_WORDS, ND_TEXT_DEFAULT, tok, NULL));
  g_autofree guint8 *q = g_new0(guint8, tok->len);
  gsize n = nd_quote_mark_tokens(t, strlen(t), (const NdToken *)tok->data, tok->len, q);
  ck_assert_uint_eq(n, 5);
  GString *words = g_string_new(NULL);
  for (guint i = 0; i < tok->len; i++) {
    const NdToken *k = &g_array_index(tok, NdToken, i);
    if (q[i])
      g_string_append_printf(words, "%s%.*s", words->len ? " " : "", (int)(k->end - k->start), t + k->start);
  }
  ck_assert_str_eq(words->str, "we need a lasting peace");
  g_string_free(words, TRUE);
  ck_assert_uint_eq(nd_quote_mark_tokens(t, strlen(t), NULL, 0, NULL), 0);
}
END_TEST

static Suite *
quote_suite(void)
{
  Suite *s = suite_create("quote");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_styles);
  tcase_add_test(tc, test_nesting);
  tcase_add_test(tc, test_apostrophes);
  tcase_add_test(tc, test_paragraphs);
  tcase_add_test(tc, test_hard_wrapped);
  tcase_add_test(tc, test_hostile);
  tcase_add_test(tc, test_long);
  tcase_add_test(tc, test_tokens);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(quote_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}

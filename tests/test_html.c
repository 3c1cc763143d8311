/* test_html.c — web pages (html.h): the article and its metadata, charsets, and the offset map that
 * leads every word of the article back to the page's bytes (offsets.h). Pages are written here or
 * in tests/data/pages (text written for these tests). */
#include <check.h>
#include <neardup/neardup.h>
#include <string.h>
#include "test_util.h"

static NdPage *
extract(const char *html, gssize len, const char *content_type, GError **warning)
{
  g_autoptr(GError) error = NULL;
  gsize n = len < 0 ? strlen(html) : (gsize)len;
  NdPage *p = nd_html_extract((const guint8 *)html, n, content_type, warning, &error);
  ck_assert_msg(p != NULL, "extraction failed: %s", error ? error->message : "?");
  ck_assert(g_utf8_validate(p->text, (gssize)p->len, NULL));
  ck_assert_uint_eq(strlen(p->text), p->len);
  return p;
}

static const char chrome_page[] =
  "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Tide gauge | Shore News</title>"
  "<meta property=\"og:title\" content=\"Tide gauge returns after storm\">"
  "<meta property=\"og:site_name\" content=\"Shore News\">"
  "<meta name=\"author\" content=\"Ada Brook\">"
  "<link rel=\"canonical\" href=\"https://shore.example/tide\">"
  "<style>p { color: red } .x::after { content: 'not text' }</style>"
  "<script>var hidden = 'script text must not appear';</script></head><body>"
  "<div class=\"cookie-consent\">We use cookies on this site. Accept cookies to continue reading.</div>"
  "<header><a href=\"/\">Shore News</a><nav><a href=\"/a\">Home</a> <a href=\"/b\">Local</a> <a href=\"/c\">Sport</a></nav></header>"
  "<main><article><h1>Tide gauge returns after storm</h1>"
  "<div class=\"share-buttons\"><a href=\"#\">Share on Facebook</a> <a href=\"#\">Email this story</a></div>"
  "<p>The tide gauge at the north pier, knocked out by the January storm, is recording again after engineers "
  "replaced its pressure sensor and the cable that links it to the harbour office.</p>"
  "<p>Readings from the gauge feed the flood warnings for the whole estuary, so its repair had been treated as "
  "urgent by the port authority, which paid for the new parts from its emergency fund.</p>"
  "<p>Engineers said the old sensor had been in the water since 1998, far longer than its makers intended.</p>"
  "</article><aside class=\"related\"><h2>Related</h2><ul><li><a href=\"/r\">Storm damages the north pier and "
  "closes the promenade for a week</a></li></ul></aside>"
  "<section id=\"comments\"><p>Comments are closed for this story, as they are for every story after a week.</p></section>"
  "</main><footer><p>Copyright Shore News, all rights reserved, registered in the harbour district.</p></footer>"
  "</body></html>";

START_TEST(test_article_and_metadata)
{
  g_autoptr(NdPage) p = extract(chrome_page, -1, NULL, NULL);
  const char *want =
    "Tide gauge returns after storm\n\n"
    "The tide gauge at the north pier, knocked out by the January storm, is recording again after engineers "
    "replaced its pressure sensor and the cable that links it to the harbour office.\n\n"
    "Readings from the gauge feed the flood warnings for the whole estuary, so its repair had been treated as "
    "urgent by the port authority, which paid for the new parts from its emergency fund.\n\n"
    "Engineers said the old sensor had been in the water since 1998, far longer than its makers intended.";
  ck_assert_str_eq(p->text, want);
  ck_assert_uint_eq(p->body_start, strlen("Tide gauge returns after storm\n\n"));
  ck_assert_str_eq(p->title, "Tide gauge returns after storm");
  ck_assert_str_eq(p->url, "https://shore.example/tide");
  ck_assert_str_eq(p->site, "Shore News");
  ck_assert_str_eq(p->author, "Ada Brook");
  ck_assert_ptr_null(p->date);
  /* the headline maps to the page's <h1> */
  const char *h1 = strstr(chrome_page, "<h1>") + 4;
  ck_assert_uint_eq(nd_offset_map_start(p->map, 0), (guint64)(h1 - chrome_page));
  ck_assert_uint_eq(nd_offset_map_end(p->map, strlen("Tide gauge returns after storm")),
                    (guint64)(strstr(chrome_page, "</h1>") - chrome_page));
}
END_TEST

/* Every word of the article maps back to the same word in the page's bytes. */
static void
assert_words_map_back(const NdPage *p, const char *page, gsize page_len)
{
  g_autoptr(GArray) tokens = g_array_new(FALSE, FALSE, sizeof(NdToken));
  ck_assert(nd_tokenize(p->text, p->len, ND_TOKENS_WORDS, ND_TEXT_DEFAULT, tokens, NULL));
  ck_assert_uint_gt(tokens->len, 10);
  guint64 last_end = 0;
  for (guint i = 0; i < tokens->len; i++) {
    const NdToken *t = &g_array_index(tokens, NdToken, i);
    guint64 s = nd_offset_map_start(p->map, t->start), e = nd_offset_map_end(p->map, t->end);
    ck_assert_uint_le(e, page_len);
    if (t->start < p->body_start)
      continue; /* the headline comes from the page's metadata: it has no place of its own */
    ck_assert_uint_lt(s, e);
    ck_assert_uint_ge(s, last_end); /* in order */
    last_end = e;
    g_autofree char *word = g_strndup(p->text + t->start, t->end - t->start);
    g_autofree char *src = g_strndup(page + s, e - s);
    if (memchr(src, '&', e - s) == NULL)
      ck_assert_str_eq(src, word);
  }
}

START_TEST(test_offsets_lead_back)
{
  g_autoptr(NdPage) p = extract(chrome_page, -1, NULL, NULL);
  assert_words_map_back(p, chrome_page, strlen(chrome_page));
  const char *names[] = { "courier_ferry.html", "valley_ferry.html", "courier_library.html", "valley_library.html" };
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autofree char *path = g_build_filename(TEST_DATA_DIR, "pages", names[i], NULL);
    g_autofree char *page = NULL;
    gsize len;
    ck_assert(g_file_get_contents(path, &page, &len, NULL));
    g_autoptr(NdPage) q = extract(page, (gssize)len, NULL, NULL);
    assert_words_map_back(q, page, len);
    ck_assert_ptr_null(strstr(q->text, "cookies"));
    ck_assert_ptr_null(strstr(q->text, "Most read"));
    ck_assert_ptr_null(strstr(q->text, "Related"));
    ck_assert_ptr_null(strstr(q->text, "Subscribe"));
    ck_assert_ptr_null(strstr(q->text, "newsletter"));
    ck_assert_ptr_null(strstr(q->text, "Comments"));
    ck_assert_ptr_null(strstr(q->text, "dataLayer"));
    ck_assert_ptr_nonnull(q->date);
    ck_assert(g_str_has_prefix(q->date, "2026-03-1"));
  }
}
END_TEST

START_TEST(test_entities)
{
  const char page[] = "<html><body><p>AT&amp;T and caf&eacute; owners met at 10&#8211;11 with &#x41;nna and "
                      "&lt;guests&gt;, who said &ldquo;the caf&eacute; stays&rdquo; in the old square.</p></body></html>";
  g_autoptr(NdPage) p = extract(page, -1, NULL, NULL);
  ck_assert_str_eq(p->text, "AT&T and café owners met at 10–11 with Anna and <guests>, who said “the café stays” in "
                            "the old square.");
  /* "café" maps to "caf&eacute;" in the page, whole */
  const char *cafe = strstr(p->text, "café");
  guint64 s = nd_offset_map_start(p->map, (guint64)(cafe - p->text));
  guint64 e = nd_offset_map_end(p->map, (guint64)(cafe - p->text) + strlen("café"));
  ck_assert_int_eq((int)(e - s), (int)strlen("caf&eacute;"));
  ck_assert(memcmp(page + s, "caf&eacute;", e - s) == 0);
  /* "Anna": its first letter came from &#x41; */
  const char *anna = strstr(p->text, "Anna");
  s = nd_offset_map_start(p->map, (guint64)(anna - p->text));
  ck_assert(memcmp(page + s, "&#x41;nna", 9) == 0);
}
END_TEST

START_TEST(test_charset_meta_and_header)
{
  /* windows-1252 bytes declared by <meta>: é is 0xE9, ’ is 0x92 */
  const char page[] = "<html><head><meta charset=\"iso-8859-1\"></head><body><p>Le caf\xe9 du port rouvre "
                      "aujourd\x92hui apr\xe8s six mois de travaux sur la fa\xe7" "ade et la terrasse.</p></body></html>";
  g_autoptr(GError) warning = NULL;
  g_autoptr(NdPage) p = extract(page, -1, NULL, &warning);
  ck_assert_ptr_null(warning);
  ck_assert_str_eq(p->text, "Le café du port rouvre aujourd’hui après six mois de travaux sur la façade et la terrasse.");
  const char *cafe = strstr(p->text, "café");
  guint64 s = nd_offset_map_start(p->map, (guint64)(cafe - p->text));
  guint64 e = nd_offset_map_end(p->map, (guint64)(cafe - p->text) + strlen("café"));
  ck_assert_uint_eq(e - s, 4); /* four bytes in the page, five in UTF-8 */
  ck_assert(memcmp(page + s, "caf\xe9", 4) == 0);

  /* the HTTP header's charset wins over <meta> */
  const char koi[] = "<html><head><meta charset=\"utf-8\"></head><body><p>\xf0\xd2\xc9\xd7\xc5\xd4 from the "
                     "harbour, where the old ferry waits for the morning tide.</p></body></html>";
  g_autoptr(NdPage) q = extract(koi, -1, "text/html; charset=KOI8-R", NULL);
  ck_assert(g_str_has_prefix(q->text, "Привет from the harbour"));
}
END_TEST

START_TEST(test_charset_bom_utf16)
{
  const char *utf8 = "<html><body><p>Über den Hafen fährt wieder die Fähre, sagte der Hafenmeister am Morgen.</p></body></html>";
  glong n;
  g_autofree gunichar2 *u16 = g_utf8_to_utf16(utf8, -1, NULL, &n, NULL);
  GString *page = g_string_new(NULL);
  g_string_append_len(page, "\xff\xfe", 2);
  for (glong i = 0; i < n; i++) {
    char le[2] = { (char)(u16[i] & 0xff), (char)(u16[i] >> 8) };
    g_string_append_len(page, le, 2);
  }
  g_autoptr(NdPage) p = extract(page->str, (gssize)page->len, NULL, NULL);
  ck_assert_str_eq(p->text, "Über den Hafen fährt wieder die Fähre, sagte der Hafenmeister am Morgen.");
  /* "Hafen" in the page: after the BOM, two bytes a character (all of them in the BMP) */
  const char *hafen = strstr(p->text, "Hafen");
  glong units = g_utf8_strlen(utf8, strstr(utf8, "Hafen") - utf8);
  ck_assert_uint_eq(nd_offset_map_start(p->map, (guint64)(hafen - p->text)), 2 + 2 * (guint64)units);
  ck_assert_uint_eq(nd_offset_map_end(p->map, (guint64)(hafen - p->text) + 5), 2 + 2 * (guint64)units + 10);
  g_string_free(page, TRUE);
}
END_TEST

START_TEST(test_lying_charset)
{
  /* declared latin-1, but UTF-8 bytes: read as UTF-8, with a warning */
  const char utf8_page[] = "<html><head><meta charset=\"iso-8859-1\"></head><body><p>Le café du port rouvre aprés "
                           "six mois de travaux, a dit la maire à la presse locale ce matin.</p></body></html>";
  g_autoptr(GError) w1 = NULL;
  g_autoptr(NdPage) p = extract(utf8_page, -1, NULL, &w1);
  ck_assert(g_str_has_prefix(p->text, "Le café du port"));
  ck_assert_ptr_nonnull(w1);
  ck_assert_ptr_nonnull(strstr(w1->message, "UTF-8"));
  /* declared UTF-8, but latin-1 bytes: read as windows-1252, with a warning */
  const char latin_page[] = "<html><head><meta charset=\"utf-8\"></head><body><p>Le caf\xe9 du port rouvre apr\xe8s "
                            "six mois de travaux, a dit la maire \xe0 la presse locale ce matin.</p></body></html>";
  g_autoptr(GError) w2 = NULL;
  g_autoptr(NdPage) q = extract(latin_page, -1, NULL, &w2);
  ck_assert(g_str_has_prefix(q->text, "Le café du port rouvre après"));
  ck_assert_ptr_nonnull(w2);
  ck_assert_ptr_nonnull(strstr(w2->message, "windows-1252"));
  /* a few stray bytes in a UTF-8 page become U+FFFD, without a warning */
  const char stray[] = "<html><body><p>Die Fähre fährt wieder über den Fluss \xff und hält am alten Steg, "
                       "sagt die Fährfrau jeden Morgen.</p></body></html>";
  g_autoptr(GError) w3 = NULL;
  g_autoptr(NdPage) r = extract(stray, -1, NULL, &w3);
  ck_assert_ptr_nonnull(strstr(r->text, "Fluss \xef\xbf\xbd und"));
  ck_assert_ptr_null(w3);
}
END_TEST

START_TEST(test_jsonld_metadata)
{
  const char page[] =
    "<html><head><script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\"@graph\":["
    "{\"@type\":\"WebSite\",\"name\":\"not this\"},{\"@type\":\"NewsArticle\",\"headline\":\"Pier reopens\","
    "\"datePublished\":\"2026-02-03T10:00:00Z\",\"author\":[{\"@type\":\"Person\",\"name\":\"Lena Vik\"}],"
    "\"publisher\":{\"@type\":\"Organization\",\"name\":\"Bay Daily\"}}]}</script></head><body><p>The pier "
    "reopened on Monday after repairs to its deck and railings, the council said in a statement.</p></body></html>";
  g_autoptr(NdPage) p = extract(page, -1, NULL, NULL);
  ck_assert_str_eq(p->title, "Pier reopens");
  ck_assert_str_eq(p->date, "2026-02-03T10:00:00Z");
  ck_assert_str_eq(p->author, "Lena Vik");
  ck_assert_str_eq(p->site, "Bay Daily");
}
END_TEST

START_TEST(test_deep_nesting)
{
  /* 10^6 nested elements: linear time, no recursion; the text is kept */
  GString *page = g_string_new("<html><body>");
  for (int i = 0; i < 1000000; i++)
    g_string_append(page, "<div>");
  g_string_append(page, "<p>The text at the bottom of a million nested elements is still read, in one piece.</p>");
  for (int i = 0; i < 1000000; i++)
    g_string_append(page, "</div>");
  g_string_append(page, "</body></html>");
  gint64 t0 = g_get_monotonic_time();
  g_autoptr(NdPage) p = extract(page->str, (gssize)page->len, NULL, NULL);
  ck_assert_ptr_nonnull(strstr(p->text, "million nested elements is still read"));
  ck_assert_int_lt(g_get_monotonic_time() - t0, 60 * G_USEC_PER_SEC);
  g_string_free(page, TRUE);
}
END_TEST

START_TEST(test_refusals)
{
  g_autoptr(GError) error = NULL;
  const char nul[] = "<html><body><p>text</p>\0<p>more</p></body></html>";
  ck_assert_ptr_null(nd_html_extract((const guint8 *)nul, sizeof nul - 1, NULL, NULL, &error));
  ck_assert_int_eq(error->code, ND_ERROR_BINARY);
  ck_assert_ptr_nonnull(strstr(error->message, "offset 23"));
  g_clear_error(&error);
  const char empty[] = "<html><body><nav><a href=\"/\">Home</a></nav><script>x()</script></body></html>";
  ck_assert_ptr_null(nd_html_extract((const guint8 *)empty, sizeof empty - 1, NULL, NULL, &error));
  ck_assert_int_eq(error->code, ND_ERROR_EMPTY);
}
END_TEST

START_TEST(test_offset_map)
{
  g_autoptr(NdOffsetMap) m = nd_offset_map_new();
  nd_offset_map_add(m, 0, 5, 100, 5);   /* byte for byte */
  nd_offset_map_add(m, 5, 3, 105, 3);   /* continues it: merged */
  nd_offset_map_add(m, 8, 1, 120, 5);   /* an entity */
  nd_offset_map_add(m, 11, 4, 200, 4);  /* after two added bytes (a blank line) */
  ck_assert_uint_eq(nd_offset_map_spans(m), 3);
  ck_assert_uint_eq(nd_offset_map_start(m, 0), 100);
  ck_assert_uint_eq(nd_offset_map_start(m, 7), 107);
  ck_assert_uint_eq(nd_offset_map_end(m, 8), 108);
  ck_assert_uint_eq(nd_offset_map_start(m, 8), 120);
  ck_assert_uint_eq(nd_offset_map_end(m, 9), 125);
  ck_assert_uint_eq(nd_offset_map_start(m, 9), 125); /* an added byte: the end of the span before */
  ck_assert_uint_eq(nd_offset_map_start(m, 12), 201);
  ck_assert_uint_eq(nd_offset_map_end(m, 15), 204);
  ck_assert_uint_eq(nd_offset_map_start(NULL, 42), 42);
  /* composition: text -> middle (m) -> input (shifted by 1000, the middle's byte 121 a whole span) */
  g_autoptr(NdOffsetMap) outer = nd_offset_map_new();
  nd_offset_map_add(outer, 0, 121, 1000, 121);
  nd_offset_map_add(outer, 121, 2, 1121, 1);
  nd_offset_map_add(outer, 123, 200, 1122, 200);
  g_autoptr(NdOffsetMap) c = nd_offset_map_compose(m, outer);
  ck_assert_uint_eq(nd_offset_map_start(c, 3), 1103);
  ck_assert_uint_eq(nd_offset_map_start(c, 8), 1120);
  ck_assert_uint_eq(nd_offset_map_end(c, 9), 1120 + 5 - 1);
  ck_assert_uint_eq(nd_offset_map_start(c, 12), 1200);
}
END_TEST

static Suite *
html_suite(void)
{
  Suite *s = suite_create("html");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_article_and_metadata);
  tcase_add_test(tc, test_offsets_lead_back);
  tcase_add_test(tc, test_entities);
  tcase_add_test(tc, test_charset_meta_and_header);
  tcase_add_test(tc, test_charset_bom_utf16);
  tcase_add_test(tc, test_lying_charset);
  tcase_add_test(tc, test_jsonld_metadata);
  tcase_add_test(tc, test_deep_nesting);
  tcase_add_test(tc, test_refusals);
  tcase_add_test(tc, test_offset_map);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(html_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}

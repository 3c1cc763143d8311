/* gen_warc.c — a crawl-like WARC file of news pages, for tests and benchmarks (nothing big is
 * committed: the data is made when it is needed).
 *
 *   gen_warc ARTICLES.jsonl OUT.warc[.gz] [--templates N] [--padding BYTES] [--seed S] [--hostile]
 *
 * Every article of ARTICLES.jsonl (one JSON object with "id" and "text" a line, as gen_corpus
 * --jsonl writes) becomes a page in one of N site templates (header, navigation, cookie banner,
 * share bar, "most read" and related lists, comments, footer, inline scripts and styles of about
 * --padding bytes, default 60000: real pages carry ~100-200 KB of markup), fetched as a crawler
 * stores it: a warcinfo record, then per page a request, a response (HTTP/1.1 200; every third body
 * chunked, every fourth gzip-encoded, charset in the header) and a metadata record; every tenth page
 * also a PNG image response and a 301 redirect. A name ending in .gz writes one gzip member per
 * record, as crawlers do. --hostile adds, after the pages, records the reader must survive: a
 * response with a wrong chunk size, one whose HTTP body is a PNG behind Content-Type text/html, a
 * record with a Content-Length longer than its block followed by a good record, and a last record
 * whose Content-Length runs past the end of the file.
 *
 * Deterministic: the same arguments give the same bytes (GRand with the seed; fixed WARC dates).
 */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct {
  FILE *fp;
  gboolean gz;
  guint64 records;
} Out;

static void
write_member(Out *o, const char *data, gsize len)
{
  if (!o->gz) {
    fwrite(data, 1, len, o->fp);
    return;
  }
  z_stream z;
  memset(&z, 0, sizeof z);
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  gsize cap = deflateBound(&z, (uLong)len) + 64;
  guint8 *buf = g_malloc(cap);
  z.next_in = (Bytef *)data;
  z.avail_in = (uInt)len;
  z.next_out = buf;
  z.avail_out = (uInt)cap;
  deflate(&z, Z_FINISH);
  fwrite(buf, 1, cap - z.avail_out, o->fp);
  deflateEnd(&z);
  g_free(buf);
}

/* One record: header fields, then `block` (Content-Length `declared`, or its length when < 0). */
static void
record(Out *o, const char *type, const char *uri, const char *ctype, const char *block, gsize len, gint64 declared)
{
  GString *r = g_string_new(NULL);
  g_string_append_printf(r, "WARC/1.1\r\nWARC-Type: %s\r\n", type);
  if (uri != NULL)
    g_string_append_printf(r, "WARC-Target-URI: %s\r\n", uri);
  g_string_append_printf(r, "WARC-Date: 2026-11-%02" G_GUINT64_FORMAT "T%02" G_GUINT64_FORMAT ":%02" G_GUINT64_FORMAT
                         ":00Z\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-%012" G_GINT64_MODIFIER "x>\r\n"
                         "Content-Type: %s\r\nContent-Length: %" G_GINT64_FORMAT "\r\n\r\n",
                         1 + o->records / 86400 % 28, o->records / 3600 % 24, o->records / 60 % 60, o->records,
                         ctype, declared >= 0 ? declared : (gint64)len);
  g_string_append_len(r, block, (gssize)len);
  g_string_append(r, "\r\n\r\n");
  write_member(o, r->str, r->len);
  g_string_free(r, TRUE);
  o->records++;
}

static const char *const sites[] = { "The Harbour Gazette", "Northern Herald", "Coastal Courier", "Valley Times",
                                     "Metro Daily", "Island Observer", "Plains Record", "River City Post" };

/* Page chrome words, from a fixed pool. */
static const char *const chrome[] = { "Home", "World", "Politics", "Business", "Science", "Sport", "Culture",
                                      "Opinion", "Weather", "Travel", "Podcasts", "Video" };

static void
padding(GString *page, GRand *rand, gsize bytes, gboolean script)
{
  static const char *const js[] = { "var", "function", "return", "window", "document", "push", "config", "data",
                                    "track", "if", "else", "null", "true", "length", "slot", "ads", "init" };
  static const char *const css[] = { ".nav", "{margin:0}", ".hero", "{padding:4px}", "@media", "(max-width:600px)",
                                     "color:#333;", "font-size:14px;", ".btn", "{display:block}" };
  gsize start = page->len;
  while (page->len - start < bytes) {
    if (script)
      g_string_append_printf(page, "%s%c", js[g_rand_int_range(rand, 0, G_N_ELEMENTS(js))],
                             "(){};.= "[g_rand_int_range(rand, 0, 8)]);
    else
      g_string_append_printf(page, "%s ", css[g_rand_int_range(rand, 0, G_N_ELEMENTS(css))]);
  }
}

static char *
html_escape(const char *s)
{
  return g_markup_escape_text(s, -1);
}

/* The page of one article in template t. */
static GString *
make_page(const char *id, const char *text, guint t, GRand *rand, gsize pad, GPtrArray *titles)
{
  const char *site = sites[t % G_N_ELEMENTS(sites)];
  g_auto(GStrv) paras = g_strsplit(text, "\n\n", -1);
  g_autofree char *title = html_escape(paras[0] ? paras[0] : id);
  GString *p = g_string_new(NULL);
  g_string_append_printf(p, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>%s | %s</title>\n"
                         "<meta property=\"og:title\" content=\"%s\">\n<meta property=\"og:site_name\" content=\"%s\">\n"
                         "<meta property=\"article:published_time\" content=\"2026-11-%02u\">\n<style>", title, site,
                         title, site, 1 + t % 28);
  padding(p, rand, pad / 3, FALSE);
  g_string_append(p, "</style>\n<script>");
  padding(p, rand, pad / 3, TRUE);
  g_string_append_printf(p, "</script></head>\n<body class=\"t%u\"><div id=\"cookie-banner\">We use cookies to improve "
                         "your experience on %s. <button>Accept</button></div>\n<header class=\"site-header\"><a href=\"/\">"
                         "%s</a><nav><ul>", t, site, site);
  for (gsize i = 0; i < G_N_ELEMENTS(chrome); i++)
    g_string_append_printf(p, "<li><a href=\"/%s\">%s</a></li>", chrome[i], chrome[i]);
  g_string_append(p, "</ul></nav></header>\n<main><article class=\"story\"><h1>");
  g_string_append(p, title);
  g_string_append(p, "</h1><div class=\"share-bar\"><a href=\"#\">Share on Facebook</a> <a href=\"#\">Share on "
                     "Twitter</a> <a href=\"#\">Email</a></div>\n<div class=\"story-body\">\n");
  for (guint i = 1; paras[i] != NULL; i++) {
    g_autofree char *e = html_escape(paras[i]);
    g_string_append_printf(p, "<p>%s</p>\n", e);
    if (i == 3)
      g_string_append(p, "<div class=\"ad-slot\">Advertisement</div>\n");
  }
  g_string_append(p, "</div></article>\n<aside class=\"most-read\"><h2>Most read</h2><ol>");
  for (guint i = 0; i < 5 && titles->len > 0; i++) {
    g_autofree char *e = html_escape(g_ptr_array_index(titles, g_rand_int_range(rand, 0, (gint32)titles->len)));
    g_string_append_printf(p, "<li><a href=\"/a/%u\">%s</a></li>", i, e);
  }
  g_string_append(p, "</ol></aside>\n<section class=\"comments\"><h2>Comments</h2><p>Be the first to comment on this "
                     "story.</p></section></main>\n<footer class=\"site-footer\"><p>Copyright 2026 ");
  g_string_append_printf(p, "%s. All rights reserved. Sign up for our newsletter.</p></footer>\n<script>", site);
  padding(p, rand, pad / 3, TRUE);
  g_string_append(p, "</script></body></html>\n");
  return p;
}

static GString *
chunked(const char *body, gsize len, GRand *rand)
{
  GString *c = g_string_new(NULL);
  gsize at = 0;
  while (at < len) {
    gsize want = (gsize)g_rand_int_range(rand, 500, 9000); /* not inside MIN(), which evaluates twice */
    gsize n = MIN(len - at, want);
    g_string_append_printf(c, "%" G_GSIZE_MODIFIER "x\r\n", n);
    g_string_append_len(c, body + at, (gssize)n);
    g_string_append(c, "\r\n");
    at += n;
  }
  g_string_append(c, "0\r\n\r\n");
  return c;
}

static GString *
gzip_body(const char *body, gsize len)
{
  z_stream z;
  memset(&z, 0, sizeof z);
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  gsize cap = deflateBound(&z, (uLong)len) + 64;
  GString *g = g_string_sized_new(cap);
  g_string_set_size(g, cap);
  z.next_in = (Bytef *)body;
  z.avail_in = (uInt)len;
  z.next_out = (Bytef *)g->str;
  z.avail_out = (uInt)cap;
  deflate(&z, Z_FINISH);
  g_string_set_size(g, cap - z.avail_out);
  deflateEnd(&z);
  return g;
}

static void
response(Out *o, const char *uri, const char *status, const char *ctype, const char *extra, const char *body,
         gsize len, gint64 declared)
{
  GString *h = g_string_new(NULL);
  g_string_append_printf(h, "HTTP/1.1 %s\r\nContent-Type: %s\r\n%sServer: gen_warc\r\n\r\n", status, ctype, extra);
  g_string_append_len(h, body, (gssize)len);
  record(o, "response", uri, "application/http; msgtype=response", h->str, h->len, declared);
  g_string_free(h, TRUE);
}

int
main(int argc, char **argv)
{
  gint templates = 4, seed = 1;
  gint64 pad = 60000;
  gboolean hostile = FALSE;
  char **args = NULL;
  GOptionEntry entries[] = {
    { "templates", 0, 0, G_OPTION_ARG_INT, &templates, "Site templates (default 4)", "N" },
    { "padding", 0, 0, G_OPTION_ARG_INT64, &pad, "Bytes of inline script and style per page (default 60000)", "BYTES" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Seed (default 1)", "S" },
    { "hostile", 0, 0, G_OPTION_ARG_NONE, &hostile, "Append malformed records", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("ARTICLES.jsonl OUT.warc[.gz] - write a crawl-like WARC file");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error) || args == NULL || g_strv_length(args) != 2 ||
      templates < 1 || pad < 0) {
    fprintf(stderr, "gen_warc: %s (see --help)\n", error ? error->message : "give ARTICLES.jsonl and OUT.warc[.gz]");
    return 2;
  }
  g_autoptr(GIOChannel) in = g_io_channel_new_file(args[0], "r", &error);
  if (in == NULL) {
    fprintf(stderr, "gen_warc: %s\n", error->message);
    return 1;
  }
  Out o = { fopen(args[1], "wb"), g_str_has_suffix(args[1], ".gz"), 0 };
  if (o.fp == NULL) {
    fprintf(stderr, "gen_warc: %s: cannot write\n", args[1]);
    return 1;
  }
  GRand *rand = g_rand_new_with_seed((guint32)seed);
  const char info[] = "software: gen_warc (neardup benchmarks)\r\nformat: WARC File Format 1.1\r\n";
  record(&o, "warcinfo", NULL, "application/warc-fields", info, strlen(info), -1);
  g_autoptr(GPtrArray) titles = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(JsonParser) parser = json_parser_new();
  char *line;
  gsize len;
  guint n = 0;
  static const guint8 png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89 };
  while (g_io_channel_read_line(in, &line, &len, NULL, NULL) == G_IO_STATUS_NORMAL) {
    g_autofree char *l = line;
    if (!json_parser_load_from_data(parser, l, -1, NULL))
      continue;
    JsonObject *obj = json_node_get_object(json_parser_get_root(parser));
    const char *id = json_object_get_string_member(obj, "id"), *text = json_object_get_string_member(obj, "text");
    guint t = (guint)g_rand_int_range(rand, 0, templates);
    g_autofree char *uri = g_strdup_printf("https://www.example-%u.test/news/%s.html", t, id);
    g_autofree char *req = g_strdup_printf("GET /news/%s.html HTTP/1.1\r\nHost: www.example-%u.test\r\nUser-Agent: "
                                           "gen_warc\r\n\r\n", id, t);
    record(&o, "request", uri, "application/http; msgtype=request", req, strlen(req), -1);
    GString *page = make_page(id, text, t, rand, (gsize)pad, titles);
    if (n % 3 == 1) {
      GString *c = chunked(page->str, page->len, rand);
      response(&o, uri, "200 OK", "text/html; charset=utf-8", "Transfer-Encoding: chunked\r\n", c->str, c->len, -1);
      g_string_free(c, TRUE);
    } else if (n % 4 == 2) {
      GString *g = gzip_body(page->str, page->len);
      response(&o, uri, "200 OK", "text/html; charset=utf-8", "Content-Encoding: gzip\r\n", g->str, g->len, -1);
      g_string_free(g, TRUE);
    } else {
      response(&o, uri, "200 OK", "text/html; charset=UTF-8", "", page->str, page->len, -1);
    }
    g_string_free(page, TRUE);
    const char meta[] = "fetchTimeMs: 120\r\noutlinks: 40\r\n";
    record(&o, "metadata", uri, "application/warc-fields", meta, strlen(meta), -1);
    if (n % 10 == 9) {
      g_autofree char *img = g_strdup_printf("https://www.example-%u.test/img/%s.png", t, id);
      response(&o, img, "200 OK", "image/png", "", (const char *)png, sizeof png, -1);
      g_autofree char *old = g_strdup_printf("http://example-%u.test/news/%s", t, id);
      g_autofree char *loc = g_strdup_printf("Location: %s\r\n", uri);
      response(&o, old, "301 Moved Permanently", "text/html", loc, "", 0, -1);
    }
    const char *nl = strchr(text, '\n');
    g_ptr_array_add(titles, g_strndup(text, nl ? (gsize)(nl - text) : strlen(text)));
    n++;
  }
  if (hostile) {
    const char body[] = "<html><body><p>A page whose chunk sizes are wrong, so its body cannot be trusted.</p></body></html>";
    g_autofree char *bad = g_strdup_printf("10\r\n%s\r\n0\r\n\r\n", body);
    response(&o, "https://hostile.test/wrong-chunk", "200 OK", "text/html", "Transfer-Encoding: chunked\r\n", bad,
             strlen(bad), -1);
    response(&o, "https://hostile.test/png-as-html", "200 OK", "text/html", "", (const char *)png, sizeof png, -1);
    const char good[] = "<html><body><p>The record after a record whose Content-Length was too long: it must still "
                        "be read, because the reader looks for the next record.</p></body></html>";
    response(&o, "https://hostile.test/too-long", "200 OK", "text/html", "", good, strlen(good),
             (gint64)strlen(good) + 200);
    response(&o, "https://hostile.test/after-too-long", "200 OK", "text/html", "", good, strlen(good), -1);
    response(&o, "https://hostile.test/past-the-end", "200 OK", "text/html", "", good, strlen(good), 1 << 20);
  }
  g_rand_free(rand);
  if (fclose(o.fp) != 0) {
    fprintf(stderr, "gen_warc: %s: write error\n", args[1]);
    return 1;
  }
  fprintf(stderr, "gen_warc: %u pages, %" G_GUINT64_FORMAT " records\n", n, o.records);
  g_strfreev(args);
  return 0;
}

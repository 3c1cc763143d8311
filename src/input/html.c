/* html.c — web pages: the article (headline and body paragraphs) and its metadata, with a map from
 * the article's text back to the page's bytes (the algorithm is described in html.h).
 *
 * Design: libxml2's HTML parser runs in SAX mode and this file builds its own compact tree (80 bytes
 * a node, no strings but offsets into one text arena), which keeps memory and time linear even for
 * hostile pages (libxml2's own tree frees recursively and limits depth). libxml2 reports where it is
 * in the input (xmlByteConsumed), and every text chunk it hands over either is the input's bytes
 * [end - len, end) as they stand or a decoded character reference ending at `end`: so every byte of
 * text knows the bytes it came from. The input handed to libxml2 is always valid UTF-8 (charset.c
 * converts and repairs it first, with its own map), and libxml2 is told to ignore <meta charset>
 * (HTML_PARSE_IGNORE_ENC) so that its offsets stay ours.
 */
#include "source.h"
#include "charset.h"
#include "json.h"
#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>
#include <string.h>

#define MAX_DEPTH 512
#define MAX_NODES ((guint32)4 << 20)
#define NONE G_MAXUINT32

/* ---- tags ---- */

enum {
  T_OTHER, T_TEXT, T_ROOT, T_A, T_ADDRESS, T_ARTICLE, T_ASIDE, T_AUDIO, T_BLOCKQUOTE, T_BODY, T_BR, T_BUTTON,
  T_CANVAS, T_CAPTION, T_CENTER, T_DD, T_DETAILS, T_DIALOG, T_DIV, T_DL, T_DT, T_EMBED, T_FIELDSET, T_FIGCAPTION,
  T_FIGURE, T_FOOTER, T_FORM, T_H1, T_H2, T_H3, T_H4, T_H5, T_H6, T_HEAD, T_HEADER, T_HR, T_HTML, T_IFRAME, T_IMG,
  T_INPUT, T_LABEL, T_LEGEND, T_LI, T_LINK, T_MAIN, T_MATH, T_MENU, T_META, T_NAV, T_NOSCRIPT, T_OBJECT, T_OL,
  T_OPTION, T_P, T_PICTURE, T_PRE, T_SCRIPT, T_SECTION, T_SELECT, T_STYLE, T_SUMMARY, T_SVG, T_TABLE, T_TBODY,
  T_TD, T_TEMPLATE, T_TEXTAREA, T_TFOOT, T_TH, T_THEAD, T_TIME, T_TITLE, T_TR, T_UL, T_VIDEO
};

enum { K_BLOCK = 1, K_DROP = 2, K_HEADING = 4, K_CONTAINER = 8, K_CELL = 16, K_EMBED = 32 };

static const struct {
  const char *name;
  guint8 tag, kind;
} tags[] = { /* sorted by name */
  { "a", T_A, 0 }, { "address", T_ADDRESS, K_BLOCK }, { "article", T_ARTICLE, K_BLOCK | K_CONTAINER },
  { "aside", T_ASIDE, K_BLOCK | K_DROP }, { "audio", T_AUDIO, K_DROP | K_EMBED },
  { "blockquote", T_BLOCKQUOTE, K_BLOCK | K_CONTAINER }, { "body", T_BODY, K_BLOCK | K_CONTAINER },
  { "br", T_BR, 0 }, { "button", T_BUTTON, K_DROP }, { "canvas", T_CANVAS, K_DROP },
  { "caption", T_CAPTION, K_BLOCK }, { "center", T_CENTER, K_BLOCK | K_CONTAINER }, { "dd", T_DD, K_BLOCK },
  { "details", T_DETAILS, K_BLOCK }, { "dialog", T_DIALOG, K_BLOCK | K_DROP }, { "div", T_DIV, K_BLOCK | K_CONTAINER },
  { "dl", T_DL, K_BLOCK }, { "dt", T_DT, K_BLOCK }, { "embed", T_EMBED, K_DROP | K_EMBED },
  { "fieldset", T_FIELDSET, K_BLOCK }, { "figcaption", T_FIGCAPTION, K_BLOCK }, { "figure", T_FIGURE, K_BLOCK },
  { "footer", T_FOOTER, K_BLOCK | K_DROP }, { "form", T_FORM, K_BLOCK | K_CONTAINER }, { "h1", T_H1, K_BLOCK | K_HEADING },
  { "h2", T_H2, K_BLOCK | K_HEADING }, { "h3", T_H3, K_BLOCK | K_HEADING }, { "h4", T_H4, K_BLOCK | K_HEADING },
  { "h5", T_H5, K_BLOCK | K_HEADING }, { "h6", T_H6, K_BLOCK | K_HEADING }, { "head", T_HEAD, K_DROP },
  { "header", T_HEADER, K_BLOCK }, { "hr", T_HR, K_BLOCK }, { "html", T_HTML, K_BLOCK },
  { "iframe", T_IFRAME, K_DROP | K_EMBED }, { "img", T_IMG, 0 }, { "input", T_INPUT, K_DROP },
  { "label", T_LABEL, 0 }, { "legend", T_LEGEND, K_BLOCK }, { "li", T_LI, K_BLOCK }, { "link", T_LINK, K_DROP },
  { "main", T_MAIN, K_BLOCK | K_CONTAINER }, { "math", T_MATH, K_DROP }, { "menu", T_MENU, K_BLOCK | K_DROP },
  { "meta", T_META, K_DROP }, { "nav", T_NAV, K_BLOCK | K_DROP }, { "noscript", T_NOSCRIPT, K_DROP },
  { "object", T_OBJECT, K_DROP | K_EMBED }, { "ol", T_OL, K_BLOCK }, { "option", T_OPTION, K_DROP },
  { "p", T_P, K_BLOCK }, { "picture", T_PICTURE, 0 }, { "pre", T_PRE, K_BLOCK }, { "script", T_SCRIPT, K_DROP },
  { "section", T_SECTION, K_BLOCK | K_CONTAINER }, { "select", T_SELECT, K_DROP }, { "style", T_STYLE, K_DROP },
  { "summary", T_SUMMARY, K_BLOCK }, { "svg", T_SVG, K_DROP }, { "table", T_TABLE, K_BLOCK },
  { "tbody", T_TBODY, K_BLOCK }, { "td", T_TD, K_CELL | K_CONTAINER }, { "template", T_TEMPLATE, K_DROP },
  { "textarea", T_TEXTAREA, K_DROP }, { "tfoot", T_TFOOT, K_BLOCK }, { "th", T_TH, K_CELL },
  { "thead", T_THEAD, K_BLOCK }, { "time", T_TIME, 0 }, { "title", T_TITLE, K_DROP }, { "tr", T_TR, K_BLOCK },
  { "ul", T_UL, K_BLOCK }, { "video", T_VIDEO, K_DROP | K_EMBED },
};

static guint8 tag_kind[T_VIDEO + 1];

static guint8
tag_of(const char *name)
{
  gsize lo = 0, hi = G_N_ELEMENTS(tags);
  while (lo < hi) {
    gsize mid = lo + (hi - lo) / 2;
    int c = strcmp(name, tags[mid].name);
    if (c == 0)
      return tags[mid].tag;
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return T_OTHER;
}

/* ---- the tree ---- */

enum {
  F_DROP = 1 << 0,       /* never article text (tag, hidden, boilerplate class) */
  F_NEGATIVE = 1 << 1,   /* class or id names boilerplate */
  F_POSITIVE = 1 << 2,   /* class or id names article content */
  F_HIDDEN = 1 << 3,
  F_BODY_PROP = 1 << 4,  /* itemprop=articleBody */
  F_CLEANED = 1 << 5,    /* dropped while cleaning the article */
  F_SCORED = 1 << 6,
  F_SELECTED = 1 << 7,
  F_IN_LINK = 1 << 8,    /* a text node inside <a> */
  F_STRONG_NEGATIVE = 1 << 9, /* a role or class that is never content (navigation, comments) */
  F_COUNTED = 1 << 10,   /* a text node whose counts are computed */
};

typedef struct {
  guint32 parent, first_child, last_child, next;
  guint32 off, len;     /* text: its range in the text arena; element: its class and id in the attribute arena */
  guint32 first_span;   /* text: its first arena span */
  guint8 tag, kind;
  guint16 flags;
  guint32 chars, link_chars, commas; /* non-space bytes of text in the subtree, of link text, commas */
  guint32 own_chars, own_commas;     /* the same for text not inside a block child */
  guint32 n_p, n_img, n_li, n_input, n_embed, n_heading_chars;
  gint32 weight;        /* class weight: +25 article content, -25 boilerplate */
  float score;
} Node;

typedef struct {
  guint32 arena, len;   /* a chunk of the arena... */
  guint32 src, src_len; /* ...came from these bytes of the UTF-8 page: byte for byte when the lengths are equal */
} Span;

enum { CAPTURE_NONE, CAPTURE_TITLE, CAPTURE_LDJSON };

/* Metadata candidates: a lower rank wins. */
typedef struct {
  char *value;
  int rank;
} Field;

enum { FIELD_TITLE, FIELD_URL, FIELD_DATE, FIELD_SITE, FIELD_AUTHOR, N_FIELDS };

typedef struct {
  guint32 at;      /* from this offset of the parsed buffer on */
  guint32 removed; /* this many bytes of the page were left out before it */
} Cut;

typedef struct {
  htmlParserCtxtPtr ctxt;
  const char *page; /* the buffer libxml2 parses: the UTF-8 page without script and style contents */
  gsize page_len;
  GArray *cuts;      /* Cut, increasing */
  GString *parsed;   /* owns `page` */
  GArray *nodes;     /* Node; 0 is the root */
  GString *arena;    /* text */
  GArray *spans;     /* Span */
  GArray *located;   /* Span: scratch of locate() */
  gsize parsed_end;  /* where the last text chunk ended in the parsed buffer */
  GString *attrs;    /* class and id strings, lower case */
  GByteArray *open;  /* per open element: 1 when it made a node */
  guint32 cur;       /* the innermost open element with a node */
  guint32 drop_depth; /* > 0: inside an element dropped while parsing (script, style, head ...): its depth */
  guint32 link_depth; /* > 0: inside <a> */
  guint32 svg_depth;  /* > 0: inside <svg> (whose <title> is not the page's) */
  int capture;
  GString *title_text, *ldjson;
  guint32 title_src, title_src_len; /* where the <title>'s text is in the page */
  GPtrArray *ldjsons;
  Field fields[N_FIELDS];
  gboolean too_many;
} Builder;

static void
field_offer(Builder *b, int field, const char *value, gsize len, int rank)
{
  Field *f = &b->fields[field];
  if (f->value != NULL && f->rank <= rank)
    return;
  while (len > 0 && g_ascii_isspace(*value)) {
    value++;
    len--;
  }
  while (len > 0 && g_ascii_isspace(value[len - 1]))
    len--;
  if (len == 0 || len > 2000 || !g_utf8_validate(value, (gssize)len, NULL))
    return;
  /* collapse white space */
  GString *s = g_string_sized_new(len);
  gboolean space = FALSE;
  for (gsize i = 0; i < len; i++) {
    if (g_ascii_isspace(value[i])) {
      space = TRUE;
      continue;
    }
    if (space && s->len > 0)
      g_string_append_c(s, ' ');
    space = FALSE;
    g_string_append_c(s, value[i]);
  }
  g_free(f->value);
  f->value = g_string_free(s, FALSE);
  f->rank = rank;
}

static guint32
node_new(Builder *b, guint8 tag)
{
  if (b->nodes->len >= MAX_NODES) {
    b->too_many = TRUE;
    xmlStopParser(b->ctxt);
    return NONE;
  }
  guint32 id = b->nodes->len;
  g_array_set_size(b->nodes, id + 1);
  Node *n = &g_array_index(b->nodes, Node, id);
  memset(n, 0, sizeof *n);
  n->tag = tag;
  n->kind = tag < G_N_ELEMENTS(tag_kind) ? tag_kind[tag] : 0;
  n->parent = b->cur;
  n->first_child = n->last_child = n->next = NONE;
  Node *p = &g_array_index(b->nodes, Node, b->cur);
  if (p->last_child == NONE)
    p->first_child = id;
  else
    g_array_index(b->nodes, Node, p->last_child).next = id;
  p->last_child = id;
  return id;
}

/* Words of class and id values that name boilerplate, and content. Matched against the words of a
 * class or id split at anything but letters and digits (so "ad" does not match "header"). */
static const char *const negative_words[] = {
  "ad", "ads", "adv", "advert", "advertisement", "advertising", "adsense", "banner", "breadcrumb", "breadcrumbs",
  "byline", "comment", "comments", "community", "consent", "cookie", "cookies", "disqus", "footer", "gdpr",
  "masthead", "menu", "modal", "nav", "navbar", "navigation", "newsletter", "outbrain", "pager", "pagination",
  "paywall", "popup", "promo", "promoted", "recirc", "recommended", "related", "remark", "replies", "reply", "rss",
  "share", "sharing", "sidebar", "signup", "social", "sponsor", "sponsored", "subscribe", "subscription",
  "taboola", "tags", "toolbar", "topbar", "trending", "shoutbox", "overlay", "print", "author", "bio", "caption",
  "credit", "credits", "dateline", "timestamp", "tooltip", "sronly", "offscreen", "header", "login", "signin",
  "newsletters", "alert", "alerts", "notification", "donate", "skyscraper", "supplemental", "agegate",
};
static const char *const positive_words[] = {
  "article", "articlebody", "body", "content", "entry", "hentry", "main", "post", "story", "text", "blog",
  "prose", "richtext",
};
/* Roles that are never article text. */
static const char *const drop_roles[] = { "navigation", "banner", "contentinfo", "complementary", "dialog",
                                          "alertdialog", "alert", "menu", "menubar", "search", "tooltip" };

static gboolean
word_in(const char *w, gsize n, const char *const *list, gsize list_len)
{
  for (gsize i = 0; i < list_len; i++)
    if (strlen(list[i]) == n && memcmp(list[i], w, n) == 0)
      return TRUE;
  return FALSE;
}

/* Sets F_NEGATIVE / F_POSITIVE / the weight from the lower-case class and id string s[0..n). */
static void
judge_class(Node *node, const char *s, gsize n)
{
  gboolean neg = FALSE, pos = FALSE, strong = FALSE;
  gsize i = 0;
  while (i < n) {
    while (i < n && !g_ascii_isalnum(s[i]))
      i++;
    gsize start = i;
    while (i < n && g_ascii_isalnum(s[i]))
      i++;
    if (i == start)
      continue;
    const char *w = s + start;
    gsize len = i - start;
    if (word_in(w, len, negative_words, G_N_ELEMENTS(negative_words)))
      neg = TRUE;
    if (word_in(w, len, positive_words, G_N_ELEMENTS(positive_words)))
      pos = TRUE;
    if ((len == 7 && memcmp(w, "comment", 7) == 0) || (len == 8 && memcmp(w, "comments", 8) == 0) ||
        (len == 6 && memcmp(w, "disqus", 6) == 0))
      strong = TRUE;
  }
  /* compound names: "sharebar", "socialicons", "relatedposts", "cookiebanner" ... */
  static const char *const negative_parts[] = { "share", "social", "related", "cookie", "newsletter", "sidebar",
                                                "comment", "promo", "advert", "subscribe", "breadcrumb", "outbrain",
                                                "taboola", "recommend", "mostread", "most-read", "trending",
                                                "footer", "sponsor" };
  for (gsize k = 0; k < G_N_ELEMENTS(negative_parts) && !neg; k++)
    if (g_strstr_len(s, (gssize)n, negative_parts[k]) != NULL)
      neg = TRUE;
  if (neg)
    node->flags |= F_NEGATIVE;
  if (strong)
    node->flags |= F_STRONG_NEGATIVE;
  if (pos)
    node->flags |= F_POSITIVE;
  node->weight = (pos ? 25 : 0) - (neg ? 25 : 0);
}

static const char *
attr(const xmlChar **attrs, const char *name)
{
  for (const xmlChar **a = attrs; a != NULL && a[0] != NULL; a += 2)
    if (g_ascii_strcasecmp((const char *)a[0], name) == 0)
      return a[1] ? (const char *)a[1] : "";
  return NULL;
}

static gboolean
style_hides(const char *style)
{
  g_autofree char *s = g_ascii_strdown(style, -1);
  g_autofree char *compact = g_strdup(s);
  char *w = compact;
  for (const char *r = s; *r; r++)
    if (!g_ascii_isspace(*r))
      *w++ = *r;
  *w = '\0';
  return strstr(compact, "display:none") != NULL || strstr(compact, "visibility:hidden") != NULL;
}

/* Metadata from <meta name|property|itemprop=... content=...>. */
static void
meta_tag(Builder *b, const xmlChar **attrs)
{
  const char *content = attr(attrs, "content");
  if (content == NULL)
    return;
  const char *key = attr(attrs, "property");
  if (key == NULL)
    key = attr(attrs, "name");
  if (key == NULL)
    key = attr(attrs, "itemprop");
  if (key == NULL)
    return;
  g_autofree char *k = g_ascii_strdown(key, -1);
  static const struct {
    const char *key;
    int field, rank;
  } keys[] = {
    { "og:title", FIELD_TITLE, 10 }, { "twitter:title", FIELD_TITLE, 12 }, { "headline", FIELD_TITLE, 11 },
    { "dc.title", FIELD_TITLE, 13 }, { "og:url", FIELD_URL, 20 }, { "article:published_time", FIELD_DATE, 10 },
    { "og:article:published_time", FIELD_DATE, 10 }, { "article:published", FIELD_DATE, 11 },
    { "datepublished", FIELD_DATE, 11 }, { "published_time", FIELD_DATE, 12 }, { "publishdate", FIELD_DATE, 12 },
    { "publish-date", FIELD_DATE, 12 }, { "publish_date", FIELD_DATE, 12 }, { "pubdate", FIELD_DATE, 12 },
    { "date", FIELD_DATE, 14 }, { "dc.date", FIELD_DATE, 13 }, { "dc.date.issued", FIELD_DATE, 13 },
    { "dcterms.created", FIELD_DATE, 13 }, { "dcterms.date", FIELD_DATE, 13 }, { "sailthru.date", FIELD_DATE, 13 },
    { "parsely-pub-date", FIELD_DATE, 13 }, { "article.published", FIELD_DATE, 12 },
    { "og:site_name", FIELD_SITE, 10 }, { "application-name", FIELD_SITE, 14 }, { "author", FIELD_AUTHOR, 10 },
    { "article:author", FIELD_AUTHOR, 12 }, { "dc.creator", FIELD_AUTHOR, 13 }, { "sailthru.author", FIELD_AUTHOR, 13 },
    { "parsely-author", FIELD_AUTHOR, 13 }, { "byl", FIELD_AUTHOR, 14 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
    if (strcmp(k, keys[i].key) != 0)
      continue;
    int rank = keys[i].rank;
    if (keys[i].field == FIELD_AUTHOR && g_str_has_prefix(content, "http"))
      rank += 10; /* a profile URL: a name is better */
    field_offer(b, keys[i].field, content, strlen(content), rank);
    return;
  }
}

static void
on_start(void *data, const xmlChar *name_x, const xmlChar **attrs)
{
  Builder *b = data;
  const char *name = (const char *)name_x;
  guint8 tag = tag_of(name);
  guint8 kind = tag_kind[tag];
  /* metadata, wherever it is */
  if (tag == T_META) {
    meta_tag(b, attrs);
  } else if (tag == T_LINK) {
    const char *rel = attr(attrs, "rel"), *href = attr(attrs, "href");
    if (rel != NULL && href != NULL && g_ascii_strcasecmp(rel, "canonical") == 0)
      field_offer(b, FIELD_URL, href, strlen(href), 10);
  } else if (tag == T_TITLE && b->title_text == NULL && b->svg_depth == 0) {
    b->capture = CAPTURE_TITLE; /* the page's <title> (not an SVG's) */
    b->title_text = g_string_new(NULL);
  } else if (tag == T_SCRIPT) {
    const char *type = attr(attrs, "type");
    if (type != NULL && g_ascii_strcasecmp(type, "application/ld+json") == 0) {
      b->capture = CAPTURE_LDJSON;
      b->ldjson = g_string_new(NULL);
    }
  }
  if (tag == T_SVG)
    b->svg_depth++;
  if (attrs != NULL) {
    const char *prop = attr(attrs, "itemprop");
    if (prop != NULL && g_ascii_strcasecmp(prop, "datePublished") == 0) {
      const char *v = attr(attrs, "content");
      if (v == NULL)
        v = attr(attrs, "datetime");
      if (v != NULL)
        field_offer(b, FIELD_DATE, v, strlen(v), 11);
    }
    if (tag == T_TIME) {
      const char *v = attr(attrs, "datetime");
      if (v != NULL)
        field_offer(b, FIELD_DATE, v, strlen(v), 30);
    }
  }

  guint8 made = 0;
  guint32 depth = b->open->len + 1;
  if (b->drop_depth == 0 && depth <= MAX_DEPTH && !b->too_many) {
    gboolean drop_now = (kind & K_DROP) && tag != T_ASIDE && tag != T_FOOTER && tag != T_NAV && tag != T_MENU &&
                        tag != T_DIALOG;
    if (drop_now) {
      b->drop_depth = depth; /* its text is never article text: no nodes */
    } else {
      guint32 id = node_new(b, tag);
      if (id != NONE) {
        made = 1;
        b->cur = id;
        Node *n = &g_array_index(b->nodes, Node, id);
        if (kind & K_DROP)
          n->flags |= F_DROP | F_STRONG_NEGATIVE;
        if (tag == T_A)
          b->link_depth++;
        const char *cls = attr(attrs, "class"), *idv = attr(attrs, "id");
        if (cls != NULL || idv != NULL) {
          n->off = (guint32)b->attrs->len;
          if (cls != NULL)
            g_string_append(b->attrs, cls);
          g_string_append_c(b->attrs, ' ');
          if (idv != NULL)
            g_string_append(b->attrs, idv);
          n->len = (guint32)(b->attrs->len - n->off);
          for (gsize i = n->off; i < b->attrs->len; i++)
            b->attrs->str[i] = g_ascii_tolower(b->attrs->str[i]);
          judge_class(n, b->attrs->str + n->off, n->len);
        }
        const char *role = attr(attrs, "role");
        if (role != NULL)
          for (gsize i = 0; i < G_N_ELEMENTS(drop_roles); i++)
            if (g_ascii_strcasecmp(role, drop_roles[i]) == 0)
              n->flags |= F_DROP | F_STRONG_NEGATIVE;
        const char *hidden = attr(attrs, "hidden"), *aria = attr(attrs, "aria-hidden"), *style = attr(attrs, "style");
        if (hidden != NULL || (aria != NULL && g_ascii_strcasecmp(aria, "true") == 0) ||
            (style != NULL && style_hides(style)))
          n->flags |= F_HIDDEN | F_DROP;
        const char *prop = attr(attrs, "itemprop");
        if (prop != NULL && g_ascii_strcasecmp(prop, "articleBody") == 0)
          n->flags |= F_BODY_PROP;
      }
    }
  }
  g_byte_array_append(b->open, &made, 1);
}

static void
on_end(void *data, const xmlChar *name)
{
  Builder *b = data;
  (void)name;
  if (b->open->len == 0)
    return;
  guint32 depth = b->open->len;
  guint8 made = b->open->data[depth - 1];
  g_byte_array_set_size(b->open, depth - 1);
  if (b->drop_depth == depth)
    b->drop_depth = 0;
  guint8 tag = tag_of((const char *)name);
  if (tag == T_SVG && b->svg_depth > 0)
    b->svg_depth--;
  if (tag == T_TITLE && b->capture == CAPTURE_TITLE)
    b->capture = CAPTURE_NONE;
  if (tag == T_SCRIPT && b->capture == CAPTURE_LDJSON) {
    b->capture = CAPTURE_NONE;
    g_ptr_array_add(b->ldjsons, g_string_free(g_steal_pointer(&b->ldjson), FALSE));
  }
  if (made) {
    Node *n = &g_array_index(b->nodes, Node, b->cur);
    if (n->tag == T_A && b->link_depth > 0)
      b->link_depth--;
    b->cur = n->parent;
  }
}

/* Aligns the chunk s[0..len) with the bytes of `page` ending at k (not before floor_at), backwards,
 * a character at a time, skipping the characters libxml2 drops from text (C0 controls but tab, LF
 * and CR; U+FFFE, U+FFFF), and appends the runs of equal characters to `runs` in order. FALSE (runs
 * unchanged) when they do not align. */
static gboolean
align_back(const char *page, gsize k, gsize floor_at, const char *s, gsize len, GArray *runs)
{
  guint first = runs->len;
  gsize i = len;
  gsize run_end_i = 0, run_end_k = 0;
  gboolean in_run = FALSE;
  while (i > 0) {
    if (k <= floor_at) {
      g_array_set_size(runs, first);
      return FALSE;
    }
    gsize ci = i - 1, ck = k - 1; /* the starts of the characters ending at i and k */
    while (ci > 0 && ((guint8)s[ci] & 0xc0) == 0x80 && i - ci < 4)
      ci--;
    while (ck > floor_at && ((guint8)page[ck] & 0xc0) == 0x80 && k - ck < 4)
      ck--;
    if (i - ci == k - ck && memcmp(s + ci, page + ck, i - ci) == 0) {
      if (!in_run) {
        run_end_i = i;
        run_end_k = k;
        in_run = TRUE;
      }
      i = ci;
      k = ck;
      continue;
    }
    guint8 c = (guint8)page[ck];
    gboolean dropped = (k - ck == 1 && c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
                       (k - ck == 3 && c == 0xef && (guint8)page[ck + 1] == 0xbf &&
                        ((guint8)page[ck + 2] == 0xbe || (guint8)page[ck + 2] == 0xbf));
    if (!dropped) {
      g_array_set_size(runs, first);
      return FALSE;
    }
    if (in_run) {
      Span sp = { (guint32)i, (guint32)(run_end_i - i), (guint32)k, (guint32)(run_end_k - k) };
      g_array_append_val(runs, sp);
      in_run = FALSE;
    }
    k = ck;
  }
  if (in_run) {
    Span sp = { (guint32)i, (guint32)(run_end_i - i), (guint32)k, (guint32)(run_end_k - k) };
    g_array_append_val(runs, sp);
  }
  /* the runs were found backwards: put them in order */
  for (guint x = first, y = runs->len; x + 1 < y; x++, y--) {
    Span t = g_array_index(runs, Span, x);
    g_array_index(runs, Span, x) = g_array_index(runs, Span, y - 1);
    g_array_index(runs, Span, y - 1) = t;
  }
  return TRUE;
}

/* Where the chunk s[0..len) came from in the parsed buffer (see the file comment), as runs of
 * spans in parsed-buffer offsets appended to `runs` (Span, arena offsets relative to the chunk). */
static void
locate_parsed(Builder *b, const char *s, gsize len, GArray *runs)
{
  gsize end = (gsize)xmlByteConsumed(b->ctxt);
  if (end > b->page_len)
    end = b->page_len;
  const char *page = b->page;
  gsize floor_at = b->parsed_end; /* chunks come in input order: never before the last one */
  if (end < floor_at)
    end = floor_at;
  /* the bytes as they stand, ending where libxml2 stands, or (after it recovered from broken markup)
   * a few bytes from there */
  for (gsize d = 0; d <= 8; d++) {
    if (end + d <= b->page_len && end + d >= len + floor_at && memcmp(page + end + d - len, s, len) == 0) {
      Span sp = { 0, (guint32)len, (guint32)(end + d - len), (guint32)len };
      g_array_append_val(runs, sp);
      return;
    }
    if (d > 0 && end >= len + d + floor_at && memcmp(page + end - d - len, s, len) == 0) {
      Span sp = { 0, (guint32)len, (guint32)(end - d - len), (guint32)len };
      g_array_append_val(runs, sp);
      return;
    }
  }
  /* a character reference (a short chunk): back to its '&'. Not for "&" itself: libxml2 gives an
   * unknown reference "&name" as "&" and then "name", both once it has read the name */
  if (len <= 8 && !(len == 1 && s[0] == '&')) {
    gsize back = end, floor = MAX(end > 40 ? end - 40 : 0, floor_at);
    while (back > floor && page[back - 1] != '&' &&
           (g_ascii_isalnum(page[back - 1]) || page[back - 1] == '#' || page[back - 1] == ';'))
      back--;
    if (back > floor && page[back - 1] == '&') {
      Span sp = { 0, (guint32)len, (guint32)(back - 1), (guint32)(end - back + 1) };
      g_array_append_val(runs, sp);
      return;
    }
  }
  /* libxml2 may hand over a chunk after it moved past more input (an unterminated reference "&name"
   * gives "&" once the name is read): the chunk's last place in the bytes just before */
  if (end >= len + floor_at) {
    gsize lowest = MAX(floor_at, end - len >= 256 ? end - len - 256 : 0);
    for (gsize at = end - len + 1; at-- > lowest;)
      if (memcmp(page + at, s, len) == 0) {
        Span sp = { 0, (guint32)len, (guint32)at, (guint32)len };
        g_array_append_val(runs, sp);
        return;
      }
  }
  /* libxml2 dropped characters it does not take in text: align the chunk with the bytes, ending at
   * libxml2's position or a character from it (it can stand before or after the last character) */
  static const int shifts[] = { 0, 1, 2, 3, 4, -1, -2, -3, -4 };
  for (gsize x = 0; x < G_N_ELEMENTS(shifts); x++) {
    gssize k = (gssize)end + shifts[x];
    if (k >= (gssize)floor_at && (gsize)k <= b->page_len && align_back(page, (gsize)k, floor_at, s, len, runs))
      return;
  }
  gsize from = MAX(end >= len ? end - len : 0, floor_at);
  gsize to = MAX(end, MIN(from + 1, b->page_len)); /* never empty while there are bytes left */
  Span sp = { 0, (guint32)len, (guint32)from, (guint32)(to - from) };
  g_array_append_val(runs, sp); /* somewhere near: the best we can say */
}

/* The page offset of offset `at` of the parsed buffer (which lacks the elided script, style and
 * comment contents: see elide). */
static guint32
unelide(const Builder *b, gsize at)
{
  const GArray *cuts = b->cuts;
  gssize lo = 0, hi = (gssize)cuts->len - 1, best = -1;
  while (lo <= hi) {
    gssize mid = lo + (hi - lo) / 2;
    if (g_array_index(cuts, Cut, mid).at <= at) {
      best = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return (guint32)(at + (best >= 0 ? g_array_index(cuts, Cut, best).removed : 0));
}

/* Where the chunk s[0..len) came from in the page: spans (arena offsets relative to the chunk, page
 * offsets) appended to b->located. */
static void
locate(Builder *b, const char *s, gsize len)
{
  g_array_set_size(b->located, 0);
  locate_parsed(b, s, len, b->located);
  const Span *last = &g_array_index(b->located, Span, b->located->len - 1);
  b->parsed_end = MAX(b->parsed_end, (gsize)last->src + last->src_len);
  for (guint i = 0; i < b->located->len; i++) {
    Span *sp = &g_array_index(b->located, Span, i);
    guint32 end = unelide(b, (gsize)sp->src + sp->src_len);
    sp->src = unelide(b, sp->src);
    if (sp->src_len > 0 && end > sp->src + sp->src_len) /* a cut is never inside a text chunk */
      end = sp->src + sp->src_len;
    sp->src_len = end - sp->src;
  }
}

static void
on_text(void *data, const xmlChar *ch, int len_i)
{
  Builder *b = data;
  gsize len = (gsize)len_i;
  if (b->capture == CAPTURE_TITLE && b->title_text != NULL) {
    locate(b, (const char *)ch, len);
    const Span *first = &g_array_index(b->located, Span, 0), *last = &g_array_index(b->located, Span,
                                                                                     b->located->len - 1);
    if (b->title_text->len == 0)
      b->title_src = first->src;
    b->title_src_len = last->src + last->src_len - b->title_src;
    g_string_append_len(b->title_text, (const char *)ch, (gssize)len);
    return;
  }
  if (b->capture == CAPTURE_LDJSON && b->ldjson != NULL) {
    if (b->ldjson->len < ((gsize)4 << 20))
      g_string_append_len(b->ldjson, (const char *)ch, (gssize)len);
    return;
  }
  if (b->drop_depth != 0 || b->too_many || len == 0)
    return;
  locate(b, (const char *)ch, len);
  Node *cur = &g_array_index(b->nodes, Node, b->cur);
  guint32 text_id;
  if (cur->last_child != NONE && g_array_index(b->nodes, Node, cur->last_child).tag == T_TEXT &&
      g_array_index(b->nodes, Node, cur->last_child).off + g_array_index(b->nodes, Node, cur->last_child).len ==
          b->arena->len) {
    text_id = cur->last_child; /* the same text node, continued */
  } else {
    text_id = node_new(b, T_TEXT);
    if (text_id == NONE)
      return;
    Node *t = &g_array_index(b->nodes, Node, text_id);
    t->off = (guint32)b->arena->len;
    t->first_span = b->spans->len;
    if (b->link_depth > 0)
      t->flags |= F_IN_LINK;
  }
  for (guint i = 0; i < b->located->len; i++) {
    Span sp = g_array_index(b->located, Span, i);
    sp.arena += (guint32)b->arena->len;
    g_array_append_val(b->spans, sp);
  }
  g_string_append_len(b->arena, (const char *)ch, (gssize)len);
  g_array_index(b->nodes, Node, text_id).len += (guint32)len;
}

static void
on_silence(void *ctx, const char *msg, ...)
{
  (void)ctx;
  (void)msg;
}

static void
on_structured_silence(void *data, xmlErrorPtr error)
{
  (void)data;
  (void)error;
}

/* ---- JSON-LD ---- */

static const char *
json_str(JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member(o, member);
  if (n != NULL && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
    return json_node_get_string(n);
  return NULL;
}

/* The name of a person or organisation: a string, an object with "name", or the first of an array. */
static const char *
json_name(JsonNode *n)
{
  if (n == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
    return json_node_get_string(n);
  if (JSON_NODE_HOLDS_OBJECT(n))
    return json_str(json_node_get_object(n), "name");
  if (JSON_NODE_HOLDS_ARRAY(n) && json_array_get_length(json_node_get_array(n)) > 0)
    return json_name(json_array_get_element(json_node_get_array(n), 0));
  return NULL;
}

static gboolean
is_article_type(JsonNode *type)
{
  if (type == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_ARRAY(type)) {
    JsonArray *a = json_node_get_array(type);
    for (guint i = 0; i < json_array_get_length(a); i++)
      if (is_article_type(json_array_get_element(a, i)))
        return TRUE;
    return FALSE;
  }
  if (!JSON_NODE_HOLDS_VALUE(type) || json_node_get_value_type(type) != G_TYPE_STRING)
    return FALSE;
  const char *t = json_node_get_string(type);
  return g_str_has_suffix(t, "Article") || strcmp(t, "BlogPosting") == 0 || strcmp(t, "Report") == 0 ||
         strcmp(t, "LiveBlogPosting") == 0 || strcmp(t, "SocialMediaPosting") == 0;
}

/* Metadata from the JSON-LD objects under `node` (arrays, @graph), iteratively. */
static void
ldjson_walk(Builder *b, JsonNode *root)
{
  g_autoptr(GPtrArray) stack = g_ptr_array_new();
  g_ptr_array_add(stack, root);
  while (stack->len > 0) {
    JsonNode *n = g_ptr_array_steal_index(stack, stack->len - 1);
    if (JSON_NODE_HOLDS_ARRAY(n)) {
      JsonArray *a = json_node_get_array(n);
      for (guint i = json_array_get_length(a); i > 0; i--)
        g_ptr_array_add(stack, json_array_get_element(a, i - 1));
      continue;
    }
    if (!JSON_NODE_HOLDS_OBJECT(n))
      continue;
    JsonObject *o = json_node_get_object(n);
    JsonNode *graph = json_object_get_member(o, "@graph");
    if (graph != NULL)
      g_ptr_array_add(stack, graph);
    if (!is_article_type(json_object_get_member(o, "@type")))
      continue;
    const char *s;
    if ((s = json_str(o, "headline")) != NULL)
      field_offer(b, FIELD_TITLE, s, strlen(s), 11);
    if ((s = json_str(o, "datePublished")) != NULL)
      field_offer(b, FIELD_DATE, s, strlen(s), 9);
    if ((s = json_name(json_object_get_member(o, "author"))) != NULL)
      field_offer(b, FIELD_AUTHOR, s, strlen(s), 9);
    if ((s = json_name(json_object_get_member(o, "publisher"))) != NULL)
      field_offer(b, FIELD_SITE, s, strlen(s), 11);
    if ((s = json_str(o, "url")) != NULL)
      field_offer(b, FIELD_URL, s, strlen(s), 21);
  }
}

static void
ldjson_read(Builder *b, const char *text)
{
  gsize len = strlen(text);
  NdJsonScan scan;
  if (!nd_json_check(text, len, len, &scan, NULL)) /* json-glib's parser is recursive and lenient */
    return;
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  if (!json_parser_load_from_data(parser, text, (gssize)len, NULL))
    return;
  JsonNode *root = json_parser_get_root(parser);
  if (root != NULL)
    ldjson_walk(b, root);
}

/* ---- the article ---- */

#define NODE(i) (&g_array_index(b->nodes, Node, (i)))

/* ---- eliding raw text ---- */

/* TRUE when p[0..left) starts with `word` (lower case) in any case, followed by white space, '>' or '/'. */
static gboolean
tag_named(const char *p, gsize left, const char *word)
{
  gsize n = strlen(word);
  if (left <= n || g_ascii_strncasecmp(p, word, n) != 0)
    return FALSE;
  char c = p[n];
  return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* The first "</NAME" (any case) in p[0..n), or NULL. */
static const char *
find_close(const char *p, gsize n, const char *name)
{
  gsize k = strlen(name);
  const char *end = p + n;
  while (p < end) {
    const char *lt = memchr(p, '<', (gsize)(end - p));
    if (lt == NULL || (gsize)(end - lt) < k + 2)
      return NULL;
    if (lt[1] == '/' && g_ascii_strncasecmp(lt + 2, name, k) == 0)
      return lt;
    p = lt + 1;
  }
  return NULL;
}

/* Copies the page without the contents of <script> and <style> elements (JSON-LD scripts kept) and
 * without comments, which are never article text but cost libxml2 most of its time on real pages
 * (inline scripts and styles are often most of a page's bytes). Offsets are given back through
 * b->cuts (unelide). The rules follow libxml2's: a script ends at the first "</script", a comment
 * at the first "-->". */
static GString *
elide(Builder *b, const char *page, gsize len)
{
  GString *out = g_string_sized_new(len / 2 + 64);
  const char *p = page, *end = page + len, *copied = page;
  guint32 removed = 0;
  while (p < end) {
    const char *lt = memchr(p, '<', (gsize)(end - p));
    if (lt == NULL)
      break;
    gsize left = (gsize)(end - lt);
    const char *cut_from = NULL, *cut_to = NULL;
    if (left >= 4 && memcmp(lt, "<!--", 4) == 0) {
      const char *c = lt + 4;
      while (c + 3 <= end && (c = memchr(c, '-', (gsize)(end - c))) != NULL && c + 3 <= end && memcmp(c, "-->", 3) != 0)
        c++;
      if (c == NULL || c + 3 > end)
        break; /* an unclosed comment: left to libxml2 */
      cut_from = lt;
      cut_to = c + 3;
    } else if (tag_named(lt + 1, left - 1, "script") || tag_named(lt + 1, left - 1, "style")) {
      const char *name = g_ascii_tolower(lt[2]) == 'c' ? "script" : "style";
      /* the end of the start tag, quotes respected */
      const char *q = lt + 1;
      char quote = 0;
      while (q < end && (quote != 0 || *q != '>')) {
        if (quote == 0 && (*q == '"' || *q == '\''))
          quote = *q;
        else if (quote != 0 && *q == quote)
          quote = 0;
        q++;
      }
      if (q >= end)
        break;
      q++;
      const char *close = find_close(q, (gsize)(end - q), name);
      if (close == NULL)
        break;
      gboolean ldjson = g_strstr_len(lt, q - lt, "ld+json") != NULL || g_strstr_len(lt, q - lt, "LD+JSON") != NULL;
      if (!ldjson && close > q) {
        cut_from = q;
        cut_to = close;
      }
      p = close;
      if (cut_from == NULL)
        continue;
    }
    if (cut_from == NULL) {
      p = lt + 1;
      continue;
    }
    g_string_append_len(out, copied, cut_from - copied);
    removed += (guint32)(cut_to - cut_from);
    Cut c = { (guint32)out->len, removed };
    g_array_append_val(b->cuts, c);
    copied = p = cut_to;
  }
  g_string_append_len(out, copied, end - copied);
  return out;
}

/* The length of the white space character at s[0..left) (0 when there is none): ASCII white space,
 * and the Unicode spaces pages use for layout (no-break, thin, zero-width, ideographic, BOM). */
static guint
space_len(const char *s, gsize left)
{
  guint8 c = (guint8)s[0];
  if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f')
    return 1;
  if (c == 0xc2 && left >= 2 && (guint8)s[1] == 0xa0)
    return 2; /* U+00A0 */
  if (c == 0xe2 && left >= 3 && (guint8)s[1] == 0x80 &&
      (((guint8)s[2] >= 0x80 && (guint8)s[2] <= 0x8b) || (guint8)s[2] == 0xaf))
    return 3; /* U+2000..U+200B, U+202F */
  if (c == 0xe3 && left >= 3 && (guint8)s[1] == 0x80 && (guint8)s[2] == 0x80)
    return 3; /* U+3000 */
  if (c == 0xef && left >= 3 && (guint8)s[1] == 0xbb && (guint8)s[2] == 0xbf)
    return 3; /* U+FEFF */
  return 0;
}

/* Statistics of every kept node, children before parents (a child's index is larger). */
static void
compute_stats(Builder *b)
{
  for (guint32 i = b->nodes->len; i-- > 0;) {
    Node *n = NODE(i);
    if (n->tag == T_TEXT) {
      if (n->flags & F_COUNTED)
        continue; /* a text node's counts do not change */
      guint32 chars = 0, commas = 0;
      const char *t = b->arena->str + n->off;
      for (guint32 k = 0; k < n->len;) {
        guint8 c = (guint8)t[k];
        if (c < 0x80) { /* ASCII: no call */
          chars += c != ' ' && c != '\n' && c != '\t' && c != '\r' && c != '\f';
          commas += c == ',';
          k++;
          continue;
        }
        guint sp = space_len(t + k, n->len - k);
        if (sp > 0) {
          k += sp;
          continue;
        }
        if ((c & 0xc0) != 0x80)
          chars++; /* characters, not bytes */
        k++;
      }
      n->chars = n->own_chars = chars;
      n->commas = n->own_commas = commas;
      n->link_chars = (n->flags & F_IN_LINK) ? chars : 0;
      n->flags |= F_COUNTED;
    } else {
      n->chars = n->link_chars = n->commas = n->own_chars = n->own_commas = 0;
      n->n_p = n->n_img = n->n_li = n->n_input = n->n_embed = n->n_heading_chars = 0;
      if (n->tag == T_IMG)
        n->n_img = 1;
      for (guint32 c = n->first_child; c != NONE; c = NODE(c)->next) {
        Node *k = NODE(c);
        if (k->flags & (F_DROP | F_CLEANED))
          continue;
        n->chars += k->chars;
        n->link_chars += k->link_chars;
        n->commas += k->commas;
        if (!(k->kind & K_BLOCK) && !(k->kind & K_CELL)) {
          n->own_chars += k->own_chars;
          n->own_commas += k->own_commas;
        }
        n->n_p += k->n_p + (k->tag == T_P);
        n->n_img += k->n_img;
        n->n_li += k->n_li + (k->tag == T_LI);
        n->n_input += k->n_input;
        n->n_embed += k->n_embed;
        n->n_heading_chars += k->n_heading_chars + ((k->kind & K_HEADING) ? k->chars : 0);
      }
    }
  }
}

/* Drops, top-down, what is never article text (see html.h, step 1). A block whose class or id only
 * suggests boilerplate is kept when it holds a third of the page's text or more: class names are
 * not always what they seem (a page builder's "widget" around everything). */
static void
mark_drops(Builder *b)
{
  guint32 total = NODE(0)->chars;
  for (guint32 i = 1; i < b->nodes->len; i++) {
    Node *n = NODE(i);
    if (NODE(n->parent)->flags & F_DROP) {
      n->flags |= F_DROP;
      continue;
    }
    if (n->tag == T_TEXT || (n->flags & F_DROP))
      continue;
    if (n->tag == T_BODY || n->tag == T_HTML || n->tag == T_MAIN || (n->flags & F_BODY_PROP))
      continue;
    gboolean weak = (n->flags & F_NEGATIVE) && !(n->flags & F_POSITIVE) && n->tag != T_ARTICLE && n->chars * 3 < total;
    gboolean strong = (n->flags & F_STRONG_NEGATIVE) && n->tag != T_ARTICLE;
    gboolean page_header = n->tag == T_HEADER && !(n->flags & F_POSITIVE);
    if (weak || strong || page_header)
      n->flags |= F_DROP;
  }
}

static double
link_density(const Node *n)
{
  return n->chars > 0 ? (double)n->link_chars / n->chars : 0.0;
}

static void
credit(Builder *b, guint32 id, double score)
{
  Node *n = NODE(id);
  if (!(n->flags & F_SCORED)) {
    n->flags |= F_SCORED;
    double base = 0;
    switch (n->tag) {
    case T_DIV: case T_ARTICLE: case T_SECTION: case T_MAIN: base = 5; break;
    case T_PRE: case T_TD: case T_BLOCKQUOTE: base = 3; break;
    case T_ADDRESS: case T_OL: case T_UL: case T_DL: case T_DD: case T_DT: case T_LI: case T_FORM: base = -3; break;
    case T_H1: case T_H2: case T_H3: case T_H4: case T_H5: case T_H6: case T_TH: base = -5; break;
    default: break;
    }
    if (n->flags & F_BODY_PROP)
      base += 25;
    n->score = (float)(base + n->weight);
  }
  n->score += (float)score;
}

/* Scores paragraphs and their ancestors (html.h, step 2); returns the best block. */
static guint32
score_blocks(Builder *b)
{
  for (guint32 i = 1; i < b->nodes->len; i++) {
    Node *n = NODE(i);
    if (n->tag == T_TEXT || (n->flags & F_DROP))
      continue;
    guint32 start;
    guint32 chars, commas;
    if (n->tag == T_P || n->tag == T_PRE) {
      start = n->parent;
      chars = n->chars;
      commas = n->commas;
    } else if ((n->kind & K_CONTAINER) && n->own_chars >= 25) {
      start = i; /* text of its own: as if it were in a paragraph of its own */
      chars = n->own_chars;
      commas = n->own_commas;
    } else {
      continue;
    }
    if (chars < 25 || start == NONE)
      continue;
    double score = 1 + commas + MIN(chars / 100, 3u);
    guint32 a = start;
    for (int level = 0; level < 5 && a != NONE && a != 0; level++) {
      credit(b, a, level == 0 ? score : level == 1 ? score / 2 : score / (level * 3));
      a = NODE(a)->parent;
    }
  }
  guint32 best = NONE;
  float best_score = 0;
  for (guint32 i = 1; i < b->nodes->len; i++) {
    Node *n = NODE(i);
    if (!(n->flags & F_SCORED) || (n->flags & F_DROP))
      continue;
    n->score = (float)(n->score * (1 - link_density(n)));
    if (best == NONE || n->score > best_score) {
      best = i;
      best_score = n->score;
    }
  }
  return best;
}

static gboolean
is_ancestor(Builder *b, guint32 a, guint32 n)
{
  for (guint32 p = NODE(n)->parent; p != NONE && p != 0; p = NODE(p)->parent)
    if (p == a)
      return TRUE;
  return FALSE;
}

static guint32
element_children(Builder *b, guint32 id)
{
  guint32 count = 0;
  for (guint32 c = NODE(id)->first_child; c != NONE; c = NODE(c)->next)
    if (NODE(c)->tag != T_TEXT && !(NODE(c)->flags & F_DROP))
      count++;
  return count;
}

/* Readability's refinements of the best block (html.h, step 3). */
static guint32
refine_top(Builder *b, guint32 top)
{
  /* several other good blocks under one ancestor: that ancestor is the article */
  guint32 alts[5];
  guint n_alts = 0;
  float top_score = NODE(top)->score;
  for (guint32 i = 1; i < b->nodes->len && n_alts < 5; i++) {
    Node *n = NODE(i);
    if (i != top && (n->flags & F_SCORED) && !(n->flags & F_DROP) && top_score > 0 && n->score / top_score >= 0.75f)
      alts[n_alts++] = i;
  }
  if (n_alts >= 3) {
    for (guint32 p = NODE(top)->parent; p != NONE && p != 0 && NODE(p)->tag != T_BODY; p = NODE(p)->parent) {
      guint containing = 0;
      for (guint k = 0; k < n_alts; k++)
        if (is_ancestor(b, p, alts[k]))
          containing++;
      if (containing >= 3) {
        top = p;
        break;
      }
    }
  }
  /* a parent that scores better */
  float last = NODE(top)->score, threshold = last / 3;
  for (guint32 p = NODE(top)->parent; p != NONE && p != 0 && NODE(p)->tag != T_BODY; p = NODE(p)->parent) {
    if (!(NODE(p)->flags & F_SCORED))
      continue;
    if (NODE(p)->score < threshold)
      break;
    if (NODE(p)->score > last) {
      top = p;
      break;
    }
    last = NODE(p)->score;
  }
  /* an only child: its parent */
  while (NODE(top)->parent != NONE && NODE(top)->parent != 0 && NODE(NODE(top)->parent)->tag != T_BODY &&
         element_children(b, NODE(top)->parent) == 1)
    top = NODE(top)->parent;
  return top;
}

/* Appends the text of the kept nodes under `id` (without breaks) to `out`, up to `max` bytes. */
static void
plain_text(Builder *b, guint32 id, GString *out, gsize max)
{
  g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(guint32));
  g_array_append_val(stack, id);
  while (stack->len > 0 && out->len < max) {
    guint32 i = g_array_index(stack, guint32, stack->len - 1);
    g_array_set_size(stack, stack->len - 1);
    Node *n = NODE(i);
    if (n->flags & (F_DROP | F_CLEANED))
      continue;
    if (n->tag == T_TEXT) {
      g_string_append_len(out, b->arena->str + n->off, (gssize)n->len);
      g_string_append_c(out, ' ');
      continue;
    }
    gsize at = stack->len;
    for (guint32 c = n->first_child; c != NONE; c = NODE(c)->next)
      g_array_append_val(stack, c);
    /* children in document order: reverse what was pushed */
    for (gsize x = at, y = stack->len; x + 1 < y; x++, y--) {
      guint32 t = g_array_index(stack, guint32, x);
      g_array_index(stack, guint32, x) = g_array_index(stack, guint32, y - 1);
      g_array_index(stack, guint32, y - 1) = t;
    }
  }
}

/* Lower case letters and digits of s, for comparing headlines. */
static char *
squash(const char *s, gsize n)
{
  GString *o = g_string_sized_new(n);
  const char *end = s + n;
  while (s < end) {
    gunichar c = g_utf8_get_char_validated(s, end - s);
    if (c == (gunichar)-1 || c == (gunichar)-2) {
      s++;
      continue;
    }
    if (g_unichar_isalnum(c))
      g_string_append_unichar(o, g_unichar_tolower(c));
    s = g_utf8_next_char(s);
  }
  return g_string_free(o, FALSE);
}

/* Blocks that are only a stock phrase of page furniture. */
static gboolean
stock_phrase(const char *squashed)
{
  static const char *const phrases[] = {
    "advertisement", "advertisements", "ad", "sponsored", "sponsoredcontent", "share", "sharethis",
    "sharethisarticle", "sharethisstory", "readmore", "related", "relatedarticles", "relatedstories",
    "relatedcontent", "comments", "loading", "clickhere", "subscribe", "signup", "continuereading",
    "skipadvertisement", "storycontinuesbelowadvertisement", "articlecontinuesbelow", "continuereadingbelow",
    "followus", "print", "email", "tweet", "facebook", "twitter", "whatsapp", "linkedin", "pinterest", "reddit",
    "recommended", "trending", "mostread", "mostpopular", "photo", "video", "watch", "listen", "close",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(phrases); i++)
    if (strcmp(squashed, phrases[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Cleans the article's blocks (html.h, step 4). */
static void
clean_article(Builder *b, guint32 top, const char *title_squashed)
{
  for (guint32 i = 1; i < b->nodes->len; i++) {
    Node *n = NODE(i);
    if (!(n->flags & F_SELECTED) || n->tag == T_TEXT || (n->flags & (F_DROP | F_CLEANED)))
      continue;
    if (NODE(n->parent)->flags & F_CLEANED) {
      n->flags |= F_CLEANED;
      continue;
    }
    if (i == top || is_ancestor(b, i, top))
      continue;
    if (n->kind & K_HEADING) {
      if (n->weight < 0 || link_density(n) > 0.33) {
        n->flags |= F_CLEANED;
        continue;
      }
      if (title_squashed != NULL && n->chars < 1000) {
        g_autoptr(GString) t = g_string_new(NULL);
        plain_text(b, i, t, 2000);
        g_autofree char *sq = squash(t->str, t->len);
        if (sq[0] != '\0' && strcmp(sq, title_squashed) == 0)
          n->flags |= F_CLEANED;
      }
      continue;
    }
    if (n->chars > 0 && n->chars < 40 && (n->kind & (K_BLOCK | K_CELL))) {
      g_autoptr(GString) t = g_string_new(NULL);
      plain_text(b, i, t, 200);
      g_autofree char *sq = squash(t->str, t->len);
      if (stock_phrase(sq)) {
        n->flags |= F_CLEANED;
        continue;
      }
    }
    if (!(n->tag == T_TABLE || n->tag == T_UL || n->tag == T_OL || n->tag == T_DIV || n->tag == T_SECTION ||
          n->tag == T_FORM || n->tag == T_FIELDSET || n->tag == T_FIGURE || n->tag == T_DL))
      continue;
    if (n->tag == T_TABLE) {
      gboolean data_table = FALSE;
      for (guint32 j = i + 1; j < b->nodes->len && is_ancestor(b, i, j) && !data_table; j++)
        data_table = NODE(j)->tag == T_TH || NODE(j)->tag == T_CAPTION;
      if (data_table)
        continue;
    }
    double score = (n->flags & F_SCORED) ? n->score : 0;
    if (n->weight + score < 0) {
      n->flags |= F_CLEANED;
      continue;
    }
    if (n->commas >= 10)
      continue;
    double ld = link_density(n);
    guint32 p = n->n_p, img = n->n_img, li = n->n_li, input = n->n_input;
    gboolean list = n->tag == T_UL || n->tag == T_OL;
    gboolean drop = (img > 1 && (double)p / img < 0.5 && n->tag != T_FIGURE) || (!list && li > p) ||
                    (input > p / 3) || (n->chars < 25 && (img == 0 || img > 2) && n->tag != T_FIGURE) ||
                    (n->weight < 25 && ld > 0.2) || (n->weight >= 25 && ld > 0.5) ||
                    ((n->n_embed == 1 && n->chars < 75) || n->n_embed > 1);
    if (list && ld < 0.2 && n->chars > 0)
      drop = drop && n->n_li > 0 && n->chars / MAX(n->n_li, 1u) < 20 && ld > 0.1;
    if (drop)
      n->flags |= F_CLEANED;
  }
}

/* ---- writing the text ---- */

typedef struct {
  Builder *b;
  GString *out;
  NdOffsetMap *map;  /* out -> UTF-8 page */
  int need_break;    /* 0 none, 1 a line break, 2 a blank line before the next word */
  gboolean need_space;
} Writer;

/* Appends the arena bytes [a, a + len) of text node `t` as one word, mapping them through its spans. */
static void
emit_word(Writer *w, const Node *t, guint32 a, guint32 len, guint32 *span_cursor)
{
  Builder *b = w->b;
  if (w->out->len > 0) {
    if (w->need_break == 2)
      g_string_append(w->out, "\n\n");
    else if (w->need_break == 1)
      g_string_append_c(w->out, '\n');
    else if (w->need_space)
      g_string_append_c(w->out, ' ');
  }
  w->need_break = 0;
  w->need_space = FALSE;
  guint32 at = (guint32)w->out->len;
  g_string_append_len(w->out, b->arena->str + a, (gssize)len);
  guint32 end = a + len;
  guint32 k = *span_cursor;
  while (k < b->spans->len) {
    const Span *s = &g_array_index(b->spans, Span, k);
    if (s->arena + s->len <= a) {
      k++;
      continue;
    }
    if (s->arena >= end)
      break;
    guint32 from = MAX(a, s->arena), to = MIN(end, s->arena + s->len);
    if (s->len == s->src_len)
      nd_offset_map_add(w->map, at + (from - a), to - from, s->src + (from - s->arena), to - from);
    else
      nd_offset_map_add(w->map, at + (from - a), to - from, s->src, s->src_len);
    if (s->arena + s->len > end)
      break;
    k++;
  }
  *span_cursor = k;
  (void)t;
}

static void
emit_text(Writer *w, const Node *t)
{
  const char *s = w->b->arena->str + t->off;
  guint32 i = 0, span = t->first_span;
  while (i < t->len) {
    guint sp = space_len(s + i, t->len - i);
    if (sp > 0) {
      w->need_space = TRUE;
      i += sp;
      continue;
    }
    guint32 start = i;
    for (;;) {
      while (i < t->len && (guint8)s[i] > ' ' && (guint8)s[i] < 0x80)
        i++; /* the common case: printable ASCII */
      if (i == t->len || space_len(s + i, t->len - i) != 0)
        break;
      i++;
    }
    emit_word(w, t, t->off + start, i - start, &span);
  }
}

/* Writes the kept text under `id` in document order, blocks separated by blank lines. */
static void
emit_subtree(Writer *w, guint32 id)
{
  Builder *b = w->b;
  /* an explicit stack of (node, leaving) pairs */
  g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(guint64));
  guint64 first = (guint64)id << 1;
  g_array_append_val(stack, first);
  while (stack->len > 0) {
    guint64 e = g_array_index(stack, guint64, stack->len - 1);
    g_array_set_size(stack, stack->len - 1);
    guint32 i = (guint32)(e >> 1);
    gboolean leaving = e & 1;
    Node *n = NODE(i);
    if (n->flags & (F_DROP | F_CLEANED))
      continue;
    if (n->tag == T_TEXT) {
      emit_text(w, n);
      continue;
    }
    if (leaving) {
      if (n->kind & K_BLOCK)
        w->need_break = 2;
      else if (n->kind & K_CELL)
        w->need_space = TRUE;
      continue;
    }
    if (n->kind & K_BLOCK)
      w->need_break = 2;
    else if (n->kind & K_CELL)
      w->need_space = TRUE;
    else if (n->tag == T_BR)
      w->need_break = MAX(w->need_break, 1);
    guint64 leave = ((guint64)i << 1) | 1;
    g_array_append_val(stack, leave);
    gsize at = stack->len;
    for (guint32 c = n->first_child; c != NONE; c = NODE(c)->next) {
      guint64 enter = (guint64)c << 1;
      g_array_append_val(stack, enter);
    }
    for (gsize x = at, y = stack->len; x + 1 < y; x++, y--) {
      guint64 t = g_array_index(stack, guint64, x);
      g_array_index(stack, guint64, x) = g_array_index(stack, guint64, y - 1);
      g_array_index(stack, guint64, y - 1) = t;
    }
  }
}

/* Writes the words of every text node under `id` (the headline's <h1>), whatever was dropped. */
static void
emit_headline(Writer *w, guint32 id)
{
  Builder *b = w->b;
  for (guint32 j = id + 1; j < b->nodes->len && is_ancestor(b, id, j); j++)
    if (NODE(j)->tag == T_TEXT)
      emit_text(w, NODE(j));
  w->need_space = FALSE;
}

static void
select_subtree(Builder *b, guint32 id)
{
  NODE(id)->flags |= F_SELECTED;
  for (guint32 j = id + 1; j < b->nodes->len && is_ancestor(b, id, j); j++)
    NODE(j)->flags |= F_SELECTED;
}

/* The headline: og:title, JSON-LD or a <h1> matching it, the page's <h1>, or its <title> cut at a
 * separator (" | ", " - ", " — ") when that leaves a good part. */
static char *
pick_title(Builder *b, guint32 *h1_node)
{
  g_autofree char *h1 = NULL;
  guint32 h1_id = NONE;
  *h1_node = NONE;
  for (guint32 i = 1; i < b->nodes->len && h1 == NULL; i++) {
    Node *n = NODE(i);
    if (n->tag == T_H1 && !(n->flags & F_DROP) && n->chars > 0) {
      h1_id = i;
      g_autoptr(GString) t = g_string_new(NULL);
      plain_text(b, i, t, 1000);
      Builder tmp = { 0 };
      field_offer(&tmp, FIELD_TITLE, t->str, t->len, 0);
      h1 = tmp.fields[FIELD_TITLE].value;
    }
  }
  Field *f = &b->fields[FIELD_TITLE];
  if (f->value != NULL) {
    if (h1 != NULL) {
      g_autofree char *a = squash(h1, strlen(h1)), *c = squash(f->value, strlen(f->value));
      if (a[0] != '\0' && strstr(c, a) != NULL) {
        *h1_node = h1_id;
        return g_steal_pointer(&h1); /* the page's own headline, without the site name */
      }
    }
    return g_strdup(f->value);
  }
  if (h1 != NULL) {
    *h1_node = h1_id;
    return g_steal_pointer(&h1);
  }
  if (b->title_text != NULL && b->title_text->len > 0) {
    Builder tmp = { 0 };
    field_offer(&tmp, FIELD_TITLE, b->title_text->str, b->title_text->len, 0);
    char *t = tmp.fields[FIELD_TITLE].value;
    if (t == NULL)
      return NULL;
    static const char *const seps[] = { " | ", " - ", " — ", " – ", " :: ", " // " };
    for (gsize i = 0; i < G_N_ELEMENTS(seps); i++) {
      char *hit = strstr(t, seps[i]);
      if (hit != NULL && g_utf8_strlen(t, hit - t) >= 15) {
        *hit = '\0';
        break;
      }
    }
    return t;
  }
  return NULL;
}

static void
builder_clear(Builder *b)
{
  g_array_unref(b->cuts);
  if (b->parsed != NULL)
    g_string_free(b->parsed, TRUE);
  g_array_unref(b->nodes);
  g_string_free(b->arena, TRUE);
  g_array_unref(b->spans);
  g_array_unref(b->located);
  g_string_free(b->attrs, TRUE);
  g_byte_array_unref(b->open);
  if (b->title_text != NULL)
    g_string_free(b->title_text, TRUE);
  if (b->ldjson != NULL)
    g_string_free(b->ldjson, TRUE);
  g_ptr_array_unref(b->ldjsons);
  for (int i = 0; i < N_FIELDS; i++)
    g_free(b->fields[i].value);
}

static gpointer
init_once(gpointer data)
{
  (void)data;
  xmlInitParser();
  for (gsize i = 0; i < G_N_ELEMENTS(tags); i++)
    tag_kind[tags[i].tag] = tags[i].kind;
  tag_kind[T_TEXT] = 0;
  tag_kind[T_ROOT] = K_BLOCK;
  return NULL;
}

void
nd_page_free(NdPage *page)
{
  if (page == NULL)
    return;
  g_free(page->text);
  g_free(page->title);
  g_free(page->url);
  g_free(page->date);
  g_free(page->site);
  g_free(page->author);
  nd_offset_map_free(page->map);
  g_free(page);
}

NdPage *
nd_html_extract(const guint8 *html, gsize len, const char *content_type, GError **warning, GError **error)
{
  static GOnce once = G_ONCE_INIT;
  g_once(&once, init_once, NULL);
  if (len >= G_MAXINT32) {
    g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "page of %" G_GSIZE_FORMAT " bytes is too large for the HTML "
                "parser (at most 2 GiB)", len);
    return NULL;
  }
  /* UTF-8 first (with a map back to the page's bytes when it is converted) */
  g_autofree char *converted = NULL;
  gsize page_len = len, converted_len;
  g_autoptr(NdOffsetMap) charset_map = NULL;
  const char *page = (const char *)html;
  if (nd_charset_decode(html, len, content_type, TRUE, &converted, &converted_len, &charset_map, warning)) {
    page = converted;
    page_len = converted_len;
  }
  const char *nul = memchr(page, 0, page_len);
  if (nul != NULL) {
    g_set_error(error, ND_ERROR, ND_ERROR_BINARY, "binary data: NUL byte at offset %" G_GUINT64_FORMAT
                " of the page", nd_offset_map_start(charset_map, (guint64)(nul - page)));
    return NULL;
  }

  Builder builder = { 0 }, *b = &builder;
  b->cuts = g_array_new(FALSE, FALSE, sizeof(Cut));
  b->parsed = elide(b, page, page_len);
  if (b->cuts->len == 0) { /* nothing elided: parse the page itself */
    g_string_free(g_steal_pointer(&b->parsed), TRUE);
    b->page = page;
    b->page_len = page_len;
  } else {
    b->page = b->parsed->str;
    b->page_len = b->parsed->len;
  }
  b->nodes = g_array_sized_new(FALSE, FALSE, sizeof(Node), 1024);
  b->arena = g_string_sized_new(page_len / 4 + 64);
  b->spans = g_array_new(FALSE, FALSE, sizeof(Span));
  b->located = g_array_new(FALSE, FALSE, sizeof(Span));
  b->attrs = g_string_new(NULL);
  b->open = g_byte_array_new();
  b->ldjsons = g_ptr_array_new_with_free_func(g_free);
  g_array_set_size(b->nodes, 1);
  Node *root = NODE(0);
  memset(root, 0, sizeof *root);
  root->tag = T_ROOT;
  root->kind = K_BLOCK;
  root->parent = root->first_child = root->last_child = root->next = NONE;

  if (b->page_len > 0) {
    xmlSAXHandler sax;
    memset(&sax, 0, sizeof sax);
    sax.startElement = on_start;
    sax.endElement = on_end;
    sax.characters = on_text;
    sax.ignorableWhitespace = on_text;
    sax.cdataBlock = on_text;
    sax.warning = on_silence;
    sax.error = on_silence;
    sax.fatalError = on_silence;
    sax.serror = on_structured_silence;
    sax.initialized = XML_SAX2_MAGIC;
    htmlParserCtxtPtr ctxt = htmlCreateMemoryParserCtxt(b->page, (int)b->page_len);
    if (ctxt == NULL) {
      builder_clear(b);
      g_set_error_literal(error, ND_ERROR, ND_ERROR_IO, "the HTML parser could not start (out of memory)");
      return NULL;
    }
    memcpy(ctxt->sax, &sax, sizeof sax);
    ctxt->userData = b;
    b->ctxt = ctxt;
    htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                 HTML_PARSE_IGNORE_ENC);
    xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8);
    htmlParseDocument(ctxt);
    b->ctxt = NULL;
    htmlFreeParserCtxt(ctxt);
  }
  if (b->too_many) {
    builder_clear(b);
    g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "page has more than %u elements and text nodes; not read",
                MAX_NODES);
    return NULL;
  }
  for (guint i = 0; i < b->ldjsons->len; i++)
    ldjson_read(b, g_ptr_array_index(b->ldjsons, i));

  compute_stats(b);
  mark_drops(b);
  compute_stats(b);
  guint32 top = score_blocks(b);
  if (top == NONE) { /* no paragraph anywhere: the body's text */
    top = 0;
    for (guint32 i = 1; i < b->nodes->len; i++)
      if (NODE(i)->tag == T_BODY) {
        top = i;
        break;
      }
  } else {
    top = refine_top(b, top);
  }
  guint32 h1_node;
  g_autofree char *title = pick_title(b, &h1_node);
  g_autofree char *title_sq = title ? squash(title, strlen(title)) : NULL;

  /* the article: the best block and the siblings that belong with it */
  if (top == 0 || NODE(top)->parent == NONE || NODE(top)->tag == T_BODY) {
    select_subtree(b, top);
  } else {
    Node *t = NODE(top);
    float threshold = MAX(10.0f, t->score * 0.2f);
    g_autofree char *top_class = t->len > 0 ? g_strndup(b->attrs->str + t->off, t->len) : NULL;
    for (guint32 s = NODE(t->parent)->first_child; s != NONE; s = NODE(s)->next) {
      Node *n = NODE(s);
      if (n->flags & F_DROP)
        continue;
      gboolean take = s == top;
      if (!take && n->tag != T_TEXT) {
        float bonus = 0;
        if (top_class != NULL && n->len == t->len && memcmp(b->attrs->str + n->off, top_class, n->len) == 0)
          bonus = t->score * 0.2f;
        if ((n->flags & F_SCORED) && n->score + bonus >= threshold)
          take = TRUE;
        else if (n->tag == T_P) {
          double ld = link_density(n);
          if (n->chars > 80 && ld < 0.25)
            take = TRUE;
          else if (n->chars > 0 && n->chars <= 80 && ld == 0) {
            g_autoptr(GString) tx = g_string_new(NULL);
            plain_text(b, s, tx, 400);
            g_strchomp(tx->str);
            take = strstr(tx->str, ". ") != NULL || g_str_has_suffix(tx->str, ".");
          }
        }
      }
      if (take)
        select_subtree(b, s);
    }
  }
  clean_article(b, top, title_sq);

  /* the text: the headline, then the body (the writer puts the blank line before its first word) */
  Writer w = { b, g_string_sized_new(4096), nd_offset_map_new(), 0, FALSE };
  if (h1_node != NONE) {
    emit_headline(&w, h1_node); /* the <h1>'s words, mapped to the page */
  } else if (title != NULL) {
    /* a headline from the metadata: mapped as a whole to the page's <title>, when there is one */
    nd_offset_map_add(w.map, 0, (guint32)strlen(title), b->title_src, b->title_src_len);
    g_string_append(w.out, title);
  }
  gsize head_len = w.out->len;
  w.need_break = 2;
  if (top == 0 || NODE(top)->parent == NONE || NODE(top)->tag == T_BODY) {
    emit_subtree(&w, top);
  } else {
    for (guint32 s = NODE(NODE(top)->parent)->first_child; s != NONE; s = NODE(s)->next)
      if (NODE(s)->flags & F_SELECTED) {
        emit_subtree(&w, s);
        w.need_break = 2;
      }
  }
  gsize body_start = head_len > 0 && w.out->len > head_len ? head_len + 2 : head_len;
  NdPage *p = g_new0(NdPage, 1);
  p->body_start = body_start;
  GString *text = w.out;
  NdOffsetMap *map = nd_offset_map_compose(w.map, charset_map);
  nd_offset_map_free(w.map);

  if (text->len == 0) {
    g_string_free(text, TRUE);
    nd_offset_map_free(map);
    builder_clear(b);
    g_free(p);
    g_set_error_literal(error, ND_ERROR, ND_ERROR_EMPTY, "no article text in the page");
    return NULL;
  }
  p->len = text->len;
  p->text = g_string_free(text, FALSE);
  p->map = map;
  p->title = g_steal_pointer(&title);
  p->url = g_steal_pointer(&b->fields[FIELD_URL].value);
  p->date = g_steal_pointer(&b->fields[FIELD_DATE].value);
  p->site = g_steal_pointer(&b->fields[FIELD_SITE].value);
  p->author = g_steal_pointer(&b->fields[FIELD_AUTHOR].value);
  builder_clear(b);
  return p;
}

/* ---- the format ---- */

static gboolean
html_parse(NdWorkerCtx *ctx, const NdDocInput *in, NdArticle *out, GError **error)
{
  (void)ctx;
  NdPage *page = nd_html_extract(in->bytes, in->len, in->content_type, &out->warning, error);
  if (page == NULL)
    return FALSE;
  out->owned_text = g_steal_pointer(&page->text);
  out->text = out->owned_text;
  out->len = page->len;
  out->map = g_steal_pointer(&page->map);
  JsonObject *meta = json_object_new();
  const struct {
    const char *name;
    const char *value;
  } fields[] = { { "title", page->title }, { "url", page->url }, { "date", page->date }, { "site", page->site },
                 { "author", page->author } };
  for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
    if (fields[i].value != NULL)
      json_object_set_string_member(meta, fields[i].name, fields[i].value);
  out->meta = meta;
  nd_page_free(page);
  return TRUE;
}

/* A page: after white space (and a byte order mark), '<' and, in the first 4 KiB, a tag that only
 * HTML has. */
static gboolean
html_sniff(const guint8 *head, gsize len, gboolean complete)
{
  (void)complete;
  gsize i = 0;
  if (len >= 3 && head[0] == 0xef && head[1] == 0xbb && head[2] == 0xbf)
    i = 3;
  else if (len >= 2 && ((head[0] == 0xff && head[1] == 0xfe) || (head[0] == 0xfe && head[1] == 0xff)))
    return memchr(head, '<', len) != NULL; /* UTF-16: '<' with NULs between */
  while (i < len && g_ascii_isspace(head[i]))
    i++;
  if (i == len || head[i] != '<')
    return FALSE;
  static const char *const markers[] = { "<!doctype html", "<html", "<head", "<body", "<meta", "<title", "<div",
                                         "<p>", "<p ", "<article", "<script", "<link", "<!--", "<table", "<br" };
  g_autofree char *lower = g_ascii_strdown((const char *)head + i, (gssize)MIN(len - i, (gsize)4096));
  for (gsize k = 0; k < G_N_ELEMENTS(markers); k++)
    if (strstr(lower, markers[k]) != NULL)
      return TRUE;
  return FALSE;
}

const NdFormat nd_format_html = {
  .name = "html",
  .sniff = html_sniff,
  .parse = html_parse,
};

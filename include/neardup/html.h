/* html.h — the article in a web page: headline, body paragraphs and metadata, with a map from the
 * article's text back to the page's bytes.
 *
 * The page is decoded to UTF-8 (a byte order mark, the HTTP charset, <meta charset>, checked against
 * the bytes), parsed with libxml2's HTML parser (the one lxml, trafilatura and readability-lxml use:
 * it repairs broken markup, decodes entities, and is fast), and reduced to the article:
 *
 *   1. what is never article text is dropped: scripts, styles, forms' controls, navigation, headers
 *      and footers of the page, asides, hidden elements, and elements whose class, id or ARIA role
 *      name boilerplate (comments, share bars, related and most-read lists, cookie and newsletter
 *      banners, advertisements, breadcrumbs, bylines);
 *   2. each paragraph (a <p>, <pre>, or a block holding text of its own) of at least 25 characters
 *      scores 1 + its commas + one per 100 characters (at most 3), credited to its parent in full,
 *      its grandparent by half and further ancestors by a third per level; blocks whose class names
 *      article content start 25 higher, boilerplate 25 lower; a block's score is scaled by the share
 *      of its text that is not link text;
 *   3. the best block is the article's container; siblings that score well too, or are paragraphs
 *      of plain prose, join it;
 *   4. inside it, lists, tables and blocks that are mostly links, pictures or form fields with little
 *      prose are dropped, and the headline itself;
 *   5. the text is the headline, a blank line, then the body's blocks separated by blank lines
 *      (white space inside a block collapsed to single spaces). Every word of the body maps to its
 *      bytes in the page; the headline maps to the page's <h1> when it is the headline, otherwise
 *      as a whole to the page's <title>.
 *
 * Metadata: the headline (og:title, JSON-LD headline, the page's <h1>, <title>), the canonical URL
 * (<link rel=canonical>, og:url), the publication date (article:published_time and similar meta
 * tags, JSON-LD datePublished, itemprop=datePublished, <time datetime>), the site name (og:site_name,
 * JSON-LD publisher) and the author (meta author, JSON-LD author, itemprop=author).
 *
 * Hostile pages: nesting deeper than 512 elements is flattened (text kept, elements beyond that depth
 * not kept as nodes); a page of more than 8 million elements and text nodes is refused; a NUL byte
 * in the decoded page is refused as binary data.
 *
 * Stability: stable (docs/api.md): the calls and NdPage (filled by the library, grows only at the
 * end). What counts as article text may improve in a new minor version.
 */
#ifndef NEARDUP_HTML_H
#define NEARDUP_HTML_H

#include <neardup/api.h>
#include <glib.h>
#include <neardup/offsets.h>

ND_BEGIN_DECLS

typedef struct {
  char *text;        /* the headline, a blank line, the body paragraphs separated by blank lines; UTF-8,
                        NUL-terminated; owned */
  gsize len;
  gsize body_start;  /* offset in `text` where the body starts (0 when there is no headline) */
  char *title, *url, *date, *site, *author; /* metadata, or NULL when the page does not say; owned */
  NdOffsetMap *map;  /* offsets in `text` -> offsets in the page's bytes; owned */
} NdPage;

/* Extracts the article of the page html[0..len). `content_type` (may be NULL) is the HTTP
 * Content-Type header, for its charset. *warning (may be NULL) is set when the page could be read but
 * its charset declaration was wrong. Returns a new page (free with nd_page_free), or NULL with
 * ND_ERROR_BINARY (a NUL byte: offset in the page), ND_ERROR_TOO_LARGE (too many elements) or
 * ND_ERROR_EMPTY (no text at all). A page whose article is empty but that has a headline gives the
 * headline alone. */
NdPage *nd_html_extract(const guint8 *html, gsize len, const char *content_type, GError **warning, GError **error);

void nd_page_free(NdPage *page);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdPage, nd_page_free)

ND_END_DECLS

#endif

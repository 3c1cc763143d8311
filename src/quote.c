/* quote.c — quotation spans of a text (the rules are in include/neardup/quote.h).
 *
 * Design: one pass over the characters with a small stack of open marks; a mark's role comes only
 * from its neighbours, and a line break settles every open mark (continued or dropped) unless it
 * wraps a paragraph, so a stray mark cannot reach past its paragraph, a long line, or
 * ND_QUOTE_WRAP_LINES lines.
 */
#include <neardup/neardup.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef enum { FAMILY_NONE, FAMILY_DOUBLE, FAMILY_SINGLE } Family;
typedef enum { ROLE_FLANK, ROLE_OPEN, ROLE_CLOSE } Role;

/* The family of a quotation mark, and whether its role is fixed. */
static Family
mark_family(gunichar c, Role *role)
{
  *role = ROLE_FLANK;
  switch (c) {
  case '"': case 0x201C: case 0x201D: case 0x201E: case 0x201F: case 0x00AB: case 0x00BB:
  case 0x301D: case 0x301E: case 0x301F: case 0xFF02:
    return FAMILY_DOUBLE;
  case 0x300C: case 0x300E: /* 「 『 */
    *role = ROLE_OPEN;
    return FAMILY_DOUBLE;
  case 0x300D: case 0x300F: /* 」 』 */
    *role = ROLE_CLOSE;
    return FAMILY_DOUBLE;
  case '\'': case 0x2018: case 0x2019: case 0x201A: case 0x201B: case 0x2039: case 0x203A:
    return FAMILY_SINGLE;
  default:
    return FAMILY_NONE;
  }
}

static gboolean
is_space(gunichar c)
{
  return g_unichar_isspace(c) || c == 0x00A0 || c == 0x200B || c == 0xFEFF;
}

static gboolean
is_punct(gunichar c)
{
  return g_unichar_ispunct(c) || mark_family(c, &(Role){ ROLE_FLANK }) != FAMILY_NONE;
}

static gboolean
is_word(gunichar c)
{
  return g_unichar_isalnum(c) || g_unichar_ismark(c);
}

/* The character at p (< end), or U+FFFD for a byte that is not UTF-8; *next is the following one. */
static gunichar
char_at(const char *p, const char *end, const char **next)
{
  gunichar c = g_utf8_get_char_validated(p, end - p);
  if (c == (gunichar)-1 || c == (gunichar)-2) {
    *next = p + 1;
    return 0xFFFD;
  }
  *next = g_utf8_next_char(p);
  return c;
}

/* An ASCII character that is not a quotation mark or a line break (the scan's fast path). */
static inline gboolean
ascii_plain(guchar b)
{
  return b < 0x80 && b != '"' && b != '\'' && b != '\n' && b != '\r';
}

/* is_space for an ASCII character: g_unichar_isspace's ASCII members. */
static inline gboolean
ascii_space(guchar b)
{
  return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f';
}

/* The end of the run of ascii_plain characters starting at p: 16 bytes at a time where SSE2 is. */
static const char *
plain_run_end(const char *p, const char *end)
{
#ifdef __SSE2__
  for (; end - p >= 16; p += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\''))),
                               _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))));
    unsigned m = (unsigned)_mm_movemask_epi8(hit) | (unsigned)_mm_movemask_epi8(v); /* or a byte >= 0x80 */
    if (m != 0)
      return p + __builtin_ctz(m);
  }
#endif
  while (p < end && ascii_plain((guchar)*p))
    p++;
  return p;
}

typedef struct {
  Family family;
  guint64 start;
} Open;

/* Appends [start, end) to the spans, merging it with the last ones it overlaps (an inner quotation is
 * closed before its outer one, so an outer span swallows the inner spans before it). */
static void
add_span(GArray *spans, guint64 start, guint64 end)
{
  if (end <= start)
    return;
  while (spans->len > 0) {
    NdQuoteSpan *last = &g_array_index(spans, NdQuoteSpan, spans->len - 1);
    if (last->end <= start)
      break;
    start = MIN(start, last->start);
    end = MAX(end, last->end);
    g_array_set_size(spans, spans->len - 1);
  }
  NdQuoteSpan s = { start, end };
  g_array_append_val(spans, s);
}

static gboolean
is_guillemet(gunichar c)
{
  return c == 0x00AB || c == 0x00BB || c == 0x2039 || c == 0x203A;
}

/* TRUE when the line after a break (from p) holds nothing but spaces: a paragraph ends there. */
static gboolean
next_line_blank(const char *p, const char *end)
{
  while (p < end) {
    const char *next;
    gunichar c = char_at(p, end, &next);
    if (c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029)
      return TRUE;
    if (!is_space(c))
      return FALSE;
    p = next;
  }
  return TRUE;
}

/* TRUE when the line [start, end) (end: past its last non-space character) may be a line of a
 * hard-wrapped paragraph: at most ND_QUOTE_WRAP_COLUMNS characters. (Whether it ends a sentence says
 * nothing: wrapped quotations break after a full stop as often as the sentences make them.) */
static gboolean
line_wraps(const char *start, const char *end)
{
  return end > start && g_utf8_strlen(start, end - start) <= ND_QUOTE_WRAP_COLUMNS;
}

/* TRUE when a quotation open at the line break `c` (the next line from `next`) goes on past it: a
 * hard-wrapped paragraph (the next line not blank, the broken line [line, line_last) short enough),
 * for at most ND_QUOTE_WRAP_LINES breaks, counted in *breaks. */
static gboolean
wrap_goes_on(gunichar c, const char *next, const char *end, const char *line, const char *line_last, guint *breaks)
{
  return c != 0x2029 && !next_line_blank(next, end) && line_wraps(line, line_last) &&
         ++*breaks <= ND_QUOTE_WRAP_LINES;
}

/* The end of the last single mark of the line starting at p, and of the lines that go on from it
 * as a hard-wrapped paragraph (line_wraps, at most ND_QUOTE_WRAP_LINES: the scan stays linear), that
 * could close a quotation (a letter or punctuation before it, a space, punctuation or the line's
 * end after it, not between two letters), or 0 when there is none. */
static guint64
last_single_closer(const char *text, const char *p, const char *end)
{
  guint64 last = 0;
  gunichar prev = p > text ? 0xFFFD : 0;
  const char *line = p, *line_last = p; /* the line's start, past its last non-space character */
  guint breaks = 0;
  while (p < end) {
    const char *next;
    gunichar c = char_at(p, end, &next);
    if (c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029) {
      if (c == '\r' && next < end && *next == '\n')
        next++;
      if (!wrap_goes_on(c, next, end, line, line_last, &breaks))
        break;
      line = line_last = next;
      prev = c;
      p = next;
      continue;
    }
    if (!is_space(c))
      line_last = next;
    Role role;
    if (mark_family(c, &role) == FAMILY_SINGLE && !is_guillemet(c) && prev != 0 && !is_space(prev)) {
      const char *after;
      gunichar n = next < end ? char_at(next, end, &after) : 0;
      if (n == 0 || is_space(n) || is_punct(n))
        last = (guint64)(next - text);
    }
    prev = c;
    p = next;
  }
  return last;
}

/* TRUE when the next line holding anything but spaces (from p, just past a line break) starts with
 * a mark of `family` that can open a quotation. */
static gboolean
next_line_opens(const char *p, const char *end, Family family)
{
  while (p < end) {
    const char *next;
    gunichar c = char_at(p, end, &next);
    if (is_space(c)) {
      p = next;
      continue;
    }
    Role role;
    if (mark_family(c, &role) != family || role == ROLE_CLOSE || next >= end)
      return FALSE;
    const char *after;
    gunichar n = char_at(next, end, &after);
    if (is_punct(n) && mark_family(n, &role) == FAMILY_NONE) /* », the minister said: a closing mark */
      return FALSE;
    return is_guillemet(c) || !is_space(n); /* « may stand apart from its words */
  }
  return FALSE;
}

GArray *
nd_quote_spans(const char *text, gsize len)
{
  GArray *spans = g_array_new(FALSE, FALSE, sizeof(NdQuoteSpan));
  if (text == NULL || len == 0)
    return spans;
  const char *end = text + len;
  Open stack[ND_QUOTE_MAX_DEPTH];
  guint depth = 0, wrapped_lines = 0; /* wrapped_lines: line breaks the open quotations went on over */
  gunichar prev = 0; /* 0: the start of the text */
  guint64 line_end = 0; /* end of the last non-space character of the current line */
  guint64 line_start = 0, single_closer_line = G_MAXUINT64, single_closer_end = 0;
  for (const char *p = text; p < end;) {
    if (ascii_plain((guchar)*p)) {
      /* A run of ASCII characters that are neither marks nor line breaks: all the loop below would
       * do for each is note the last non-space and the previous character. Nearly all of a text. */
      const char *q = plain_run_end(p, end), *last = q;
      while (last > p && ascii_space((guchar)last[-1]))
        last--;
      if (last > p)
        line_end = (guint64)(last - text);
      prev = (guchar)q[-1];
      p = q;
      continue;
    }
    const char *next;
    gunichar c = char_at(p, end, &next);
    guint64 at = (guint64)(p - text);
    if (c == '\n' || c == '\r' || c == 0x2029 || c == 0x2028) {
      if (c == '\r' && next < end && *next == '\n')
        next++; /* CRLF: one break */
      if (depth > 0) {
        /* A quotation of several paragraphs goes on when the next line reopens it. One broken by a
         * hard wrap goes on in the next line of its paragraph. Otherwise the open marks of this
         * line are unbalanced. */
        if (next_line_opens(next, end, stack[0].family)) {
          add_span(spans, stack[0].start, line_end);
          depth = 0;
        } else if (!wrap_goes_on(c, next, end, text + line_start, text + line_end, &wrapped_lines)) {
          depth = 0;
        }
      }
      if (depth == 0)
        wrapped_lines = 0;
      line_start = (guint64)(next - text);
      prev = c;
      p = next;
      continue;
    }
    Role fixed;
    Family family = mark_family(c, &fixed);
    if (family == FAMILY_NONE) {
      if (!is_space(c))
        line_end = (guint64)(next - text);
      prev = c;
      p = next;
      continue;
    }
    line_end = (guint64)(next - text);
    const char *after;
    gunichar n = next < end ? char_at(next, end, &after) : 0;
    gboolean prev_open = prev == 0 || is_space(prev) || is_punct(prev);
    gboolean next_close = n == 0 || is_space(n) || is_punct(n);
    gboolean can_open = n != 0 && !is_space(n) && prev_open;
    gboolean can_close = prev != 0 && !is_space(prev) && next_close;
    if (is_guillemet(c)) {
      /* Guillemets stand apart from their words in French (« nous restons »). */
      can_open = n != 0 && prev_open;
      can_close = prev != 0 && next_close;
    }
    if (fixed == ROLE_OPEN) {
      can_open = TRUE;
      can_close = FALSE;
    } else if (fixed == ROLE_CLOSE) {
      can_open = FALSE;
      can_close = TRUE;
    }
    if (family == FAMILY_SINGLE && fixed == ROLE_FLANK) {
      /* Apostrophes: inside a word, or eliding the century of a year (’90s). */
      if ((is_word(prev) && is_word(n)) || (can_open && !can_close && g_unichar_isdigit(n))) {
        prev = c;
        p = next;
        continue;
      }
    }
    /* The innermost open quotation of this family. */
    gint match = -1;
    for (gint k = (gint)depth - 1; k >= 0 && match < 0; k--)
      if (stack[k].family == family)
        match = k;
    if (family == FAMILY_SINGLE && fixed == ROLE_FLANK && !is_guillemet(c) && match >= 0 && can_close && !can_open &&
        (prev == 's' || prev == 'S') && n == ' ') {
      /* "the leaders' level": a plural possessive closes a single quotation only when no other single
       * mark of the line could (found once per line). */
      if (single_closer_line != line_start) {
        single_closer_line = line_start;
        single_closer_end = last_single_closer(text, text + line_start, end);
      }
      if (single_closer_end > (guint64)(next - text)) {
        prev = c;
        p = next;
        continue;
      }
    }
    if (can_close && match >= 0) {
      add_span(spans, stack[match].start, (guint64)(next - text));
      depth = (guint)match; /* marks opened inside it and never closed are unbalanced */
      if (depth == 0)
        wrapped_lines = 0;
    } else if (can_open && (!can_close || family == FAMILY_DOUBLE)) {
      if (depth < ND_QUOTE_MAX_DEPTH)
        stack[depth++] = (Open){ family, at };
    }
    prev = c;
    p = next;
  }
  return spans;
}

gsize
nd_quote_mark_tokens(const char *text, gsize len, const NdToken *tokens, gsize n, guint8 *quoted)
{
  if (n == 0)
    return 0;
  memset(quoted, 0, n);
  g_autoptr(GArray) spans = nd_quote_spans(text, len);
  const NdQuoteSpan *s = (const NdQuoteSpan *)spans->data;
  gsize k = 0, count = 0;
  for (gsize i = 0; i < n; i++) {
    while (k < spans->len && s[k].end <= tokens[i].start)
      k++;
    if (k < spans->len && s[k].start <= tokens[i].start && tokens[i].end <= s[k].end) {
      quoted[i] = 1;
      count++;
    }
  }
  return count;
}

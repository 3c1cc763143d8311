/* json.c — strict JSON checks around json-glib (see json.h).
 *
 * Design: one pass over the bytes decides whether a text is JSON before json-glib, whose reader is
 * not a JSON parser, ever sees it; the tree json-glib builds is then trusted, and what its writer
 * produces is mended where it is not JSON. The readers of JSON Lines and of archived metadata share
 * these functions, so JSON is judged the same way everywhere.
 */
#include <neardup/error.h>
#include <neardup/input.h>
#include "json.h"
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* json-glib's writer is not always JSON. Doubles: one that overflowed while parsing (1e400 is a
 * valid JSON number, read as infinity) comes out as "inf.0", and one whose %.17g form has an exponent
 * but no point (1e21, 1e17) gets ".0" appended, "1e+21.0". Strings: it escapes every control
 * character but U+001F, which it writes raw (JSON forbids raw control characters). The metadata is
 * copied verbatim into JSON output and the index, so these are mended. Outside strings, a token
 * starting with '-', a digit or 'i' is a number (true, false and null start otherwise): one with an
 * exponent loses a trailing ".0" (an exponent has no point), and [-]inf[.0] becomes [-]1e999, a
 * number read back as the same infinity; inside strings, a raw 0x1F becomes \u001f. Takes ownership
 * of `json`; returns it, or a new string. */
char *
nd_json_mend_written(char *json)
{
  if (strstr(json, "inf") == NULL && strstr(json, "e+") == NULL && strstr(json, "e-") == NULL &&
      strchr(json, '\x1f') == NULL)
    return json;
  GString *out = g_string_sized_new(strlen(json) + 8);
  gboolean in_string = FALSE;
  for (gsize i = 0; json[i] != '\0';) {
    char c = json[i];
    if (in_string) {
      gsize n = c == '\\' && json[i + 1] != '\0' ? 2 : 1; /* an escape and the character it escapes */
      if (c == '"')
        in_string = FALSE;
      if (c == '\x1f')
        g_string_append(out, "\\u001f");
      else
        g_string_append_len(out, json + i, (gssize)n);
      i += n;
    } else if (c == '"') {
      in_string = TRUE;
      g_string_append_c(out, c);
      i++;
    } else if (c == '-' || c == 'i' || g_ascii_isdigit(c)) {
      gsize end = i + 1;
      while (json[end] != '\0' && (g_ascii_isalnum(json[end]) || json[end] == '.' || json[end] == '+' ||
                                    json[end] == '-'))
        end++;
      const char *body = json + i + (c == '-' ? 1 : 0);
      gsize len = end - i;
      if (strncmp(body, "inf", 3) == 0) {
        g_string_append(out, c == '-' ? "-1e999" : "1e999");
      } else {
        gboolean exponent = memchr(json + i, 'e', len) != NULL;
        if (exponent && len > 2 && strncmp(json + end - 2, ".0", 2) == 0)
          len -= 2;
        g_string_append_len(out, json + i, (gssize)len);
      }
      i = end;
    } else {
      g_string_append_c(out, c);
      i++;
    }
  }
  g_free(json);
  return g_string_free(out, FALSE);
}

/* Offset of the first '"' or '\\' in s[i..len), or len. */
static inline gsize
find_quote_or_backslash(const char *s, gsize i, gsize len)
{
#ifdef __SSE2__
  for (; i + 16 <= len; i += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
    unsigned m = (unsigned)_mm_movemask_epi8(
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
    if (m != 0)
      return i + (gsize)__builtin_ctz(m);
  }
#endif
  while (i < len && s[i] != '"' && s[i] != '\\')
    i++;
  return i;
}

/* json-glib's number reader is laxer than JSON and changes what it does not hold: 010 is read as
 * octal 8, 0x10 as 16, .5 as 0.5, and an integer outside the gint64 range wraps silently
 * (9223372036854775808 becomes -9223372036854775808, 99999999999999999999 becomes -1), so an id
 * would change or collide with another and metadata would change. Each number token is therefore
 * checked against the JSON grammar, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, and an integer
 * (no fraction, no exponent: a double may round but never wraps) against the gint64 range. The
 * token starting at s[i] runs over letters, digits, '.', '+', '-' and '_'; sets *end past it. */
typedef enum { JSON_NUMBER_OK, JSON_NUMBER_MALFORMED, JSON_NUMBER_TOO_BIG } JsonNumberCheck;

static JsonNumberCheck
json_number_check(const char *s, gsize i, gsize len, gsize *end)
{
  gsize e = i;
  while (e < len && (g_ascii_isalnum(s[e]) || s[e] == '.' || s[e] == '+' || s[e] == '-' || s[e] == '_'))
    e++;
  *end = e;
  gsize p = i;
  gboolean negative = s[p] == '-';
  if (negative)
    p++;
  gsize first = p;
  if (p < e && s[p] == '0')
    p++;
  else if (p < e && s[p] >= '1' && s[p] <= '9')
    while (p < e && g_ascii_isdigit(s[p]))
      p++;
  else
    return JSON_NUMBER_MALFORMED;
  gsize digits = p - first;
  gboolean is_double = FALSE;
  if (p < e && s[p] == '.') {
    if (++p >= e || !g_ascii_isdigit(s[p]))
      return JSON_NUMBER_MALFORMED;
    while (p < e && g_ascii_isdigit(s[p]))
      p++;
    is_double = TRUE;
  }
  if (p < e && (s[p] == 'e' || s[p] == 'E')) {
    if (++p < e && (s[p] == '+' || s[p] == '-'))
      p++;
    if (p >= e || !g_ascii_isdigit(s[p]))
      return JSON_NUMBER_MALFORMED;
    while (p < e && g_ascii_isdigit(s[p]))
      p++;
    is_double = TRUE;
  }
  if (p != e)
    return JSON_NUMBER_MALFORMED;
  const char *limit = negative ? "9223372036854775808" : "9223372036854775807";
  if (!is_double && (digits > 19 || (digits == 19 && memcmp(s + first, limit, 19) > 0)))
    return JSON_NUMBER_TOO_BIG;
  return JSON_NUMBER_OK;
}

/* json-glib's reader is a lenient GScanner, not a JSON parser, and several of its extensions change
 * or drop data without a word: two objects on one line give the second (the first is lost), `var x
 * = {...};` is read, `$ff` and `0x10` are hexadecimal numbers and `010` octal, an unknown escape
 * loses its backslash (`\x41` reads as `x41`), and comments and single-quoted strings are accepted.
 * So every line is first checked against the JSON grammar (RFC 8259) here, and json-glib only ever
 * parses what is JSON. Two things JSON forbids but that read back unchanged are allowed: a UTF-8
 * byte order mark before the value (json-glib skips it), and raw control characters (tabs) inside
 * strings (the metadata is written back with them escaped). UTF-8 inside strings is json-glib's
 * check. */

/* Describes what is at s[i] for an error message: a word (a bare word such as `var` or `$ff`), one
 * printable character, or a byte in hexadecimal. Returns a new string. */
static char *
json_describe_at(const char *s, gsize len, gsize i)
{
  gsize e = i;
  while (e < len && e - i < 40 && (g_ascii_isalnum(s[e]) || s[e] == '_' || s[e] == '$'))
    e++;
  if (e - i > 1)
    return g_strdup_printf("'%.*s'", (int)(e - i), s + i);
  unsigned char c = (unsigned char)s[i];
  if (c == '\'')
    return g_strdup("\"'\" (strings take double quotes)");
  if (c == '/')
    return g_strdup("'/' (JSON has no comments)");
  if (g_ascii_isgraph((char)c))
    return g_strdup_printf("'%c'", c);
  return g_strdup_printf("byte 0x%02X", c);
}

static gboolean
json_unexpected(const char *s, gsize len, gsize i, const char *expected, GError **error)
{
  if (i >= len) {
    g_set_error(error, ND_ERROR, ND_ERROR_JSON, "malformed JSON line: the line ends where %s was expected",
                expected);
  } else {
    g_autofree char *found = json_describe_at(s, len, i);
    g_set_error(error, ND_ERROR, ND_ERROR_JSON, "malformed JSON line: expected %s at byte %" G_GSIZE_FORMAT
                ", found %s", expected, i, found);
  }
  return FALSE;
}

/* The value of the four hexadecimal digits at s[i], or -1. */
static gint
json_hex4(const char *s, gsize len, gsize i)
{
  gint v = 0;
  for (gsize k = i; k < i + 4; k++) {
    if (k >= len || !g_ascii_isxdigit(s[k]))
      return -1;
    v = v * 16 + g_ascii_xdigit_value(s[k]);
  }
  return v;
}

/* Checks the string whose opening quote is at s[*i] and moves *i past its closing quote. Escapes
 * must be JSON's (\" \\ \/ \b \f \n \r \t \uXXXX), and a \u escape of a UTF-16 surrogate must be
 * the high half followed by the low half: json-glib turns a lone one into invalid UTF-8 and swallows
 * the two characters after it (even the closing quote). A string whose decoded length is certainly over
 * max_bytes (counting every escape as one byte) is refused before the parser copies it twice; sets
 * *nul_at to the offset of the first \u0000 escape when it is still -1 (json-glib hands such a string
 * back cut at the NUL). The insides of
 * strings, nearly all of a record, are skipped 16 bytes at a time. */
static gboolean
json_string_check(const char *s, gsize len, gsize *i, gsize max_bytes, gssize *nul_at, GError **error)
{
  gsize start = *i, p = *i + 1, string_len = 0;
  for (;;) {
    gsize j = find_quote_or_backslash(s, p, len);
    string_len += j - p + (j < len && s[j] == '\\'); /* an escape counts as one byte */
    if (string_len > max_bytes) {
      g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "a string in the record is larger than the maximum of "
                  "%" G_GSIZE_FORMAT " bytes; the line of %" G_GSIZE_FORMAT " bytes is not "
                  "parsed", max_bytes, len);
      return FALSE;
    }
    if (j >= len) {
      g_set_error(error, ND_ERROR, ND_ERROR_JSON, "malformed JSON line: the string at byte %" G_GSIZE_FORMAT
                  " is not closed", start);
      return FALSE;
    }
    if (s[j] == '"') {
      *i = j + 1;
      return TRUE;
    }
    char e = j + 1 < len ? s[j + 1] : '\0';
    if (e == 'u') {
      gint unit = json_hex4(s, len, j + 2);
      if (unit < 0) {
        g_set_error(error, ND_ERROR, ND_ERROR_JSON, "malformed JSON line: \\u at byte %" G_GSIZE_FORMAT " is not "
                    "followed by four hexadecimal digits", j);
        return FALSE;
      }
      if (unit == 0 && *nul_at < 0)
        *nul_at = (gssize)j;
      p = j + 6;
      if (unit >= 0xD800 && unit <= 0xDFFF) { /* must be a high then a low surrogate */
        gint low = unit <= 0xDBFF && p + 1 < len && s[p] == '\\' && s[p + 1] == 'u' ? json_hex4(s, len, p + 2) : -1;
        if (low < 0xDC00 || low > 0xDFFF) {
          g_set_error(error, ND_ERROR, ND_ERROR_JSON, "malformed JSON line: the escape \\u%.4s at byte %"
                      G_GSIZE_FORMAT " is half of a UTF-16 surrogate pair, without its other half (not a character)",
                      s + j + 2, j);
          return FALSE;
        }
        p += 6;
      }
    } else if (e != '\0' && strchr("\"\\/bfnrt", e) != NULL) {
      p = j + 2;
    } else {
      g_autofree char *found = j + 1 < len ? json_describe_at(s, len, j + 1) : g_strdup("the end of the line");
      g_set_error(error, ND_ERROR, ND_ERROR_JSON, "malformed JSON line: invalid escape at byte %" G_GSIZE_FORMAT
                  ": a backslash followed by %s (JSON escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)", j,
                  found);
      return FALSE;
    }
  }
}

/* What the checker expects next, outside strings. */
typedef enum {
  JSON_EXPECT_VALUE,
  JSON_EXPECT_VALUE_OR_CLOSE, /* just after '[' */
  JSON_EXPECT_NAME,
  JSON_EXPECT_NAME_OR_CLOSE, /* just after '{' */
  JSON_EXPECT_COLON,
  JSON_EXPECT_COMMA_OR_CLOSE,
  JSON_EXPECT_END,
} JsonExpect;

/* Once the first \u0000 is found, remembers the top-level member it belongs to (its name, or its
 * value at any depth), so that the message can name the field. */
static void
note_nul_member(NdJsonScan *scan, guint depth, gsize name_start, gsize name_len)
{
  if (scan->nul_at >= 0 && !scan->nul_member_set && depth >= 1) {
    scan->nul_member_start = name_start;
    scan->nul_member_len = name_len;
    scan->nul_member_set = TRUE;
  }
}

/* One pass over a JSON line before json-glib sees it: the grammar check explained above, in a loop
 * with an explicit stack, since json-glib's parser is recursive and a line of a few hundred thousand
 * '[' would overflow the worker's stack: nesting deeper than ND_JSON_MAX_DEPTH is refused. Numbers
 * go through json_number_check, strings through json_string_check. Counts the members of all
 * objects into scan->members, so that the caller can tell from json-glib's tree whether an object
 * repeated a name (json-glib keeps only the last). */
gboolean
nd_json_check(const char *s, gsize len, gsize max_bytes, NdJsonScan *scan, GError **error)
{
  return nd_json_check_members(s, len, max_bytes, scan, NULL, error);
}

/* Appends the top-level member whose value ends at value_end (members of a top-level object only). */
static void
note_member(GArray *members, const char *open, guint depth, gsize name_start, gsize name_len, gsize value_start,
            gsize value_end)
{
  if (members != NULL && depth == 1 && open[0] == '{') {
    NdJsonMember m = { name_start, name_len, value_start, value_end };
    g_array_append_val(members, m);
  }
}

gboolean
nd_json_check_members(const char *s, gsize len, gsize max_bytes, NdJsonScan *scan, GArray *members, GError **error)
{
  char open[ND_JSON_MAX_DEPTH]; /* '[' or '{' for each level */
  guint depth = 0;
  gsize value_start = 0; /* where the value of the current top-level member starts */
  if (members != NULL)
    g_array_set_size(members, 0);
  JsonExpect expect = JSON_EXPECT_VALUE;
  gsize name_start = 0, name_len = 0; /* the current member name of the top-level object */
  *scan = (NdJsonScan){ .nul_at = -1 };
  const char *nul = memchr(s, '\0', len);
  if (nul != NULL) {
    g_set_error(error, ND_ERROR, ND_ERROR_BINARY, "binary data: a NUL byte at byte %" G_GSIZE_FORMAT " of the line",
                (gsize)(nul - s));
    return FALSE;
  }
  gsize i = len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
  for (;;) {
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
      i++;
    if (i >= len)
      break;
    char c = s[i];
    switch (expect) {
    case JSON_EXPECT_END:
      return json_unexpected(s, len, i, "the end of the line after the record (one JSON value per line)", error);
    case JSON_EXPECT_COLON:
      if (c != ':')
        return json_unexpected(s, len, i, "':'", error);
      i++;
      expect = JSON_EXPECT_VALUE;
      continue;
    case JSON_EXPECT_COMMA_OR_CLOSE:
      if (c == ',') {
        i++;
        expect = open[depth - 1] == '[' ? JSON_EXPECT_VALUE : JSON_EXPECT_NAME;
        continue;
      }
      if (c != (open[depth - 1] == '[' ? ']' : '}'))
        return json_unexpected(s, len, i, open[depth - 1] == '[' ? "',' or ']'" : "',' or '}'", error);
      break; /* closes the container, below */
    case JSON_EXPECT_NAME_OR_CLOSE:
      if (c == '}')
        break;
      /* fall through */
    case JSON_EXPECT_NAME:
      if (c != '"')
        return json_unexpected(s, len, i, "a member name in double quotes", error);
      gsize name_at = i;
      if (!json_string_check(s, len, &i, max_bytes, &scan->nul_at, error))
        return FALSE;
      if (depth == 1) {
        name_start = name_at + 1;
        name_len = i - name_at - 2;
      }
      note_nul_member(scan, depth, name_start, name_len);
      scan->members++;
      expect = JSON_EXPECT_COLON;
      continue;
    case JSON_EXPECT_VALUE_OR_CLOSE:
      if (c == ']')
        break;
      /* fall through */
    case JSON_EXPECT_VALUE:
      if (depth == 1)
        value_start = i;
      if (c == '[' || c == '{') {
        if (depth == ND_JSON_MAX_DEPTH) {
          g_set_error(error, ND_ERROR, ND_ERROR_JSON, "malformed JSON line: nested more than %d levels deep (at "
                      "byte %" G_GSIZE_FORMAT ")", ND_JSON_MAX_DEPTH, i);
          return FALSE;
        }
        open[depth++] = c;
        i++;
        expect = c == '[' ? JSON_EXPECT_VALUE_OR_CLOSE : JSON_EXPECT_NAME_OR_CLOSE;
        continue;
      }
      if (c == '"') {
        if (!json_string_check(s, len, &i, max_bytes, &scan->nul_at, error))
          return FALSE;
        note_nul_member(scan, depth, name_start, name_len);
      } else if (c == '-' || c == '+' || c == '.' || g_ascii_isdigit(c)) { /* +1 and .5 are refused as numbers */
        gsize end;
        JsonNumberCheck check = json_number_check(s, i, len, &end);
        if (check != JSON_NUMBER_OK) {
          int shown = (int)MIN(end - i, 40);
          const char *more = end - i > (gsize)shown ? "..." : "";
          if (check == JSON_NUMBER_MALFORMED)
            g_set_error(error, ND_ERROR, ND_ERROR_JSON, "malformed JSON line: %.*s%s (at byte %" G_GSIZE_FORMAT
                        ") is not a JSON number", shown, s + i, more, i);
          else
            g_set_error(error, ND_ERROR, ND_ERROR_JSON, "the integer %.*s%s (at byte %" G_GSIZE_FORMAT ") does "
                        "not fit in 64 bits; the JSON reader would change its value (write it as a string)", shown,
                        s + i, more, i);
          return FALSE;
        }
        i = end;
      } else if (len - i >= 4 && (memcmp(s + i, "true", 4) == 0 || memcmp(s + i, "null", 4) == 0)) {
        i += 4;
      } else if (len - i >= 5 && memcmp(s + i, "false", 5) == 0) {
        i += 5;
      } else {
        return json_unexpected(s, len, i, "a JSON value", error);
      }
      note_member(members, open, depth, name_start, name_len, value_start, i);
      expect = depth == 0 ? JSON_EXPECT_END : JSON_EXPECT_COMMA_OR_CLOSE;
      continue;
    }
    /* s[i] closes the innermost container. */
    depth--;
    i++;
    note_member(members, open, depth, name_start, name_len, value_start, i);
    expect = depth == 0 ? JSON_EXPECT_END : JSON_EXPECT_COMMA_OR_CLOSE;
  }
  if (expect != JSON_EXPECT_END) {
    const char *what[] = { [JSON_EXPECT_VALUE] = "a JSON value", [JSON_EXPECT_VALUE_OR_CLOSE] = "a value or ']'",
                           [JSON_EXPECT_NAME] = "a member name", [JSON_EXPECT_NAME_OR_CLOSE] = "a member name or '}'",
                           [JSON_EXPECT_COLON] = "':'",
                           [JSON_EXPECT_COMMA_OR_CLOSE] = depth > 0 && open[depth - 1] == '[' ? "',' or ']'"
                                                                                              : "',' or '}'" };
    return json_unexpected(s, len, len, what[expect], error);
  }
  return TRUE;
}

/* The members of all objects in the tree under `node`. */
guint64
nd_json_count_members(JsonNode *node)
{
  guint64 n = 0;
  if (JSON_NODE_HOLDS_OBJECT(node)) {
    JsonObject *obj = json_node_get_object(node);
    g_autoptr(GList) values = json_object_get_values(obj);
    n = json_object_get_size(obj);
    for (GList *v = values; v != NULL; v = v->next)
      n += nd_json_count_members(v->data);
  } else if (JSON_NODE_HOLDS_ARRAY(node)) {
    JsonArray *arr = json_node_get_array(node);
    for (guint k = 0; k < json_array_get_length(arr); k++)
      n += nd_json_count_members(json_array_get_element(arr, k));
  }
  return n;
}

JsonObject *
nd_json_parse_object(JsonParser *parser, const char *s, gsize len, gsize max_string, NdJsonScan *scan,
                     GError **error)
{
  g_autoptr(GError) local = NULL;
  if (!nd_json_check(s, len, max_string, scan, error))
    return NULL;
  if (!json_parser_load_from_data(parser, s, (gssize)len, &local)) {
    g_set_error(error, ND_ERROR, ND_ERROR_JSON, "malformed JSON: %s", local->message);
    return NULL;
  }
  JsonNode *root = json_parser_get_root(parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
    g_set_error_literal(error, ND_ERROR, ND_ERROR_JSON, "the JSON line is not an object");
    return NULL;
  }
  if (nd_json_count_members(root) != scan->members) {
    g_set_error_literal(error, ND_ERROR, ND_ERROR_JSON, "an object in the record has the same member name twice; "
                        "the JSON reader would keep only the last value");
    return NULL;
  }
  return json_node_get_object(root);
}

char *
nd_json_to_string(JsonNode *node)
{
  return nd_json_mend_written(json_to_string(node, FALSE));
}

char *
nd_json_object_canonical(const char *s, gsize len, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  NdJsonScan scan;
  if (nd_json_parse_object(parser, s, len, len, &scan, error) == NULL)
    return NULL;
  if (scan.nul_at >= 0) {
    g_set_error(error, ND_ERROR, ND_ERROR_BINARY, "a string holds \\u0000 (NUL) at byte %" G_GSSIZE_FORMAT,
                scan.nul_at);
    return NULL;
  }
  return nd_json_to_string(json_parser_get_root(parser));
}

/* ---- Reading a record without a tree (JSON Lines) ---- */

/* The value of a hexadecimal digit the grammar check has let through. */
static guint
hex_value(char c)
{
  return (guint)g_ascii_xdigit_value(c);
}

void
nd_json_unescape_append(const char *s, gsize len, GString *out)
{
  for (gsize i = 0; i < len;) {
    gsize j = find_quote_or_backslash(s, i, len);
    g_string_append_len(out, s + i, (gssize)(j - i));
    if (j >= len)
      break;
    char e = s[j + 1]; /* checked: a backslash always has its escape */
    gunichar c;
    i = j + 2;
    switch (e) {
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    case 'u':
      c = hex_value(s[j + 2]) << 12 | hex_value(s[j + 3]) << 8 | hex_value(s[j + 4]) << 4 | hex_value(s[j + 5]);
      i = j + 6;
      if (c >= 0xD800 && c <= 0xDBFF) { /* checked: the low half follows */
        gunichar low = hex_value(s[j + 8]) << 12 | hex_value(s[j + 9]) << 8 | hex_value(s[j + 10]) << 4 |
                       hex_value(s[j + 11]);
        c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
        i = j + 12;
      }
      break;
    default: c = (gunichar)(guchar)e; break; /* " \ / */
    }
    g_string_append_unichar(out, c);
  }
}

gboolean
nd_utf8_valid(const char *s, gsize len)
{
  const guchar *p = (const guchar *)s, *end = p + len;
  while (p < end) {
    /* ASCII eight bytes at a time: nearly all of an English record. */
    while (end - p >= 8) {
      guint64 w;
      memcpy(&w, p, 8);
      if (w & G_GUINT64_CONSTANT(0x8080808080808080))
        break;
      p += 8;
    }
    if (p >= end)
      break;
    guchar b = *p;
    if (b < 0x80) {
      p++;
      continue;
    }
    gunichar c, min;
    int more;
    if (b >= 0xC2 && b <= 0xDF) {
      c = b & 0x1F;
      more = 1;
      min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
      c = b & 0x0F;
      more = 2;
      min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
      c = b & 0x07;
      more = 3;
      min = 0x10000;
    } else {
      return FALSE; /* a continuation byte, an overlong lead (C0, C1) or past U+10FFFF (F5..FF) */
    }
    if (end - p <= more)
      return FALSE;
    for (int k = 1; k <= more; k++) {
      if ((p[k] & 0xC0) != 0x80)
        return FALSE;
      c = c << 6 | (p[k] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
      return FALSE;
    p += more + 1;
  }
  return TRUE;
}

/* TRUE when s[0..len), a name or a string value as written (quotes included), is written back by
 * json-glib exactly as it is: no escape, no control character, no DEL (which its writer escapes). */
static gboolean
string_as_written(const char *s, gsize len)
{
  for (gsize i = 1; i + 1 < len; i++) {
    guchar b = (guchar)s[i];
    if (b == '\\' || b < 0x20 || b == 0x7f)
      return FALSE;
  }
  return TRUE;
}

/* TRUE when the value s[0..len) (checked) is written back by json-glib exactly as it is: a string
 * as above, true, false, null, or an integer (not -0, which comes back as 0). */
static gboolean
value_as_written(const char *s, gsize len)
{
  if (s[0] == '"')
    return string_as_written(s, len);
  if (s[0] == 't' || s[0] == 'f' || s[0] == 'n')
    return TRUE;
  if (s[0] != '-' && !g_ascii_isdigit(s[0]))
    return FALSE; /* an object or an array */
  if (len == 2 && s[0] == '-' && s[1] == '0')
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
      return FALSE; /* json-glib writes doubles its own way */
  return TRUE;
}

char *
nd_json_members_canonical(const char *s, const NdJsonMember *members, guint n, GError **error)
{
  if (n == 0)
    return NULL;
  GString *json = g_string_sized_new(256);
  gboolean as_written = TRUE;
  g_string_append_c(json, '{');
  for (guint k = 0; k < n; k++) {
    const NdJsonMember *m = &members[k];
    if (k > 0)
      g_string_append_c(json, ',');
    g_string_append_len(json, s + m->name_start - 1, (gssize)m->name_len + 2);
    g_string_append_c(json, ':');
    g_string_append_len(json, s + m->value_start, (gssize)(m->value_end - m->value_start));
    as_written = as_written && string_as_written(s + m->name_start - 1, m->name_len + 2) &&
                 value_as_written(s + m->value_start, m->value_end - m->value_start);
    /* A name given twice: json-glib's tree keeps one; caught by the parse below. */
    for (guint j = 0; j < k && as_written; j++)
      if (members[j].name_len == m->name_len && memcmp(s + members[j].name_start, s + m->name_start, m->name_len) == 0)
        as_written = FALSE;
  }
  g_string_append_c(json, '}');
  if (as_written)
    return g_string_free(json, FALSE);
  char *canonical = nd_json_object_canonical(json->str, json->len, error);
  g_string_free(json, TRUE);
  return canonical;
}

/* charset.c — web pages and texts in any charset, converted to UTF-8 with a map back to their bytes.
 *
 * Which charset: a byte order mark first, then the charset the HTTP header (WARC) declares, then a
 * <meta charset> or <meta http-equiv="Content-Type"> in the page's first 4 KiB, then UTF-8 (as the
 * WHATWG encoding standard orders them). Declarations lie, so the bytes are checked: a page declared
 * in a single-byte charset whose bytes are valid UTF-8 with multi-byte characters is read as UTF-8,
 * and a page declared (or taken) as UTF-8 whose non-ASCII bytes are mostly not UTF-8 is read as
 * windows-1252; either way a warning says so. A few stray invalid bytes in a UTF-8 page become
 * U+FFFD. Labels follow the WHATWG names (latin1 and ascii mean windows-1252).
 *
 * Design: conversion runs through iconv (GLib's g_iconv), one character at a time, so that every
 * character's bytes are known: ASCII runs map byte for byte, each converted character maps whole to
 * its bytes. Single-byte charsets go through a 256-entry table built once per page.
 */
#include "charset.h"
#include <errno.h>
#include <string.h>

#define PRESCAN_BYTES 4096

/* WHATWG labels -> iconv names, for the labels whose iconv name differs or that it lacks. */
static const struct {
  const char *label, *iconv;
} labels[] = {
  { "utf-8", "UTF-8" }, { "utf8", "UTF-8" }, { "unicode-1-1-utf-8", "UTF-8" }, { "x-unicode20utf8", "UTF-8" },
  { "iso-8859-1", "WINDOWS-1252" }, { "iso8859-1", "WINDOWS-1252" }, { "iso_8859-1", "WINDOWS-1252" },
  { "latin1", "WINDOWS-1252" }, { "l1", "WINDOWS-1252" }, { "ascii", "WINDOWS-1252" },
  { "us-ascii", "WINDOWS-1252" }, { "windows-1252", "WINDOWS-1252" }, { "cp1252", "WINDOWS-1252" },
  { "x-cp1252", "WINDOWS-1252" }, { "cp819", "WINDOWS-1252" }, { "ibm819", "WINDOWS-1252" },
  { "iso-ir-100", "WINDOWS-1252" }, { "shift_jis", "CP932" }, { "shift-jis", "CP932" }, { "sjis", "CP932" },
  { "x-sjis", "CP932" }, { "ms_kanji", "CP932" }, { "windows-31j", "CP932" }, { "csshiftjis", "CP932" },
  { "gb2312", "GB18030" }, { "gbk", "GB18030" }, { "x-gbk", "GB18030" }, { "gb18030", "GB18030" },
  { "chinese", "GB18030" }, { "csgb2312", "GB18030" }, { "big5", "BIG5-HKSCS" }, { "big5-hkscs", "BIG5-HKSCS" },
  { "x-x-big5", "BIG5-HKSCS" }, { "euc-kr", "CP949" }, { "ks_c_5601-1987", "CP949" }, { "windows-949", "CP949" },
  { "tis-620", "CP874" }, { "windows-874", "CP874" }, { "iso-8859-11", "CP874" }, { "utf-16", "UTF-16LE" },
  { "utf-16le", "UTF-16LE" }, { "utf-16be", "UTF-16BE" }, { "x-mac-roman", "MACINTOSH" },
  { "mac", "MACINTOSH" }, { "macintosh", "MACINTOSH" }, { "x-mac-cyrillic", "MAC-CYRILLIC" },
};

/* The iconv name of a charset label (trimmed, any case), or NULL when iconv does not know it. */
static const char *
iconv_name(const char *label, gsize len, char *buf, gsize buf_len)
{
  while (len > 0 && g_ascii_isspace(*label)) {
    label++;
    len--;
  }
  while (len > 0 && (g_ascii_isspace(label[len - 1]) || label[len - 1] == '"' || label[len - 1] == '\''))
    len--;
  while (len > 0 && (label[0] == '"' || label[0] == '\'')) {
    label++;
    len--;
  }
  if (len == 0 || len >= buf_len)
    return NULL;
  for (gsize i = 0; i < len; i++)
    buf[i] = g_ascii_tolower(label[i]);
  buf[len] = '\0';
  for (gsize i = 0; i < G_N_ELEMENTS(labels); i++)
    if (strcmp(buf, labels[i].label) == 0)
      return labels[i].iconv;
  for (gsize i = 0; i < len; i++) {
    if (!g_ascii_isalnum(buf[i]) && buf[i] != '-' && buf[i] != '_' && buf[i] != '.' && buf[i] != ':')
      return NULL;
    buf[i] = g_ascii_toupper(buf[i]);
  }
  GIConv cd = g_iconv_open("UTF-8", buf);
  if ((gintptr)cd == (gintptr)-1)
    return NULL;
  g_iconv_close(cd);
  return buf;
}

/* The charset= parameter of a Content-Type value, or NULL; *len set. */
static const char *
charset_param(const char *s, gsize n, gsize *len)
{
  for (gsize i = 0; i + 8 <= n; i++) {
    if (g_ascii_strncasecmp(s + i, "charset", 7) != 0)
      continue;
    gsize j = i + 7;
    while (j < n && (s[j] == ' ' || s[j] == '\t'))
      j++;
    if (j >= n || s[j] != '=')
      continue;
    j++;
    while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '"' || s[j] == '\''))
      j++;
    gsize k = j;
    while (k < n && s[k] != ';' && s[k] != '"' && s[k] != '\'' && s[k] != ' ' && s[k] != '>' && s[k] != ',')
      k++;
    if (k > j) {
      *len = k - j;
      return s + j;
    }
  }
  return NULL;
}

/* The value of attribute `name` in the tag text t[0..n) (after the tag name), or NULL; *len set. */
static const char *
attr_value(const char *t, gsize n, const char *name, gsize *len)
{
  gsize name_len = strlen(name);
  gsize i = 0;
  while (i < n) {
    while (i < n && (g_ascii_isspace(t[i]) || t[i] == '/'))
      i++;
    gsize a = i;
    while (i < n && !g_ascii_isspace(t[i]) && t[i] != '=' && t[i] != '>' && t[i] != '/')
      i++;
    gsize a_len = i - a;
    while (i < n && g_ascii_isspace(t[i]))
      i++;
    const char *v = NULL;
    gsize v_len = 0;
    if (i < n && t[i] == '=') {
      i++;
      while (i < n && g_ascii_isspace(t[i]))
        i++;
      if (i < n && (t[i] == '"' || t[i] == '\'')) {
        char q = t[i++];
        v = t + i;
        while (i < n && t[i] != q)
          i++;
        v_len = (gsize)(t + i - v);
        if (i < n)
          i++;
      } else {
        v = t + i;
        while (i < n && !g_ascii_isspace(t[i]) && t[i] != '>')
          i++;
        v_len = (gsize)(t + i - v);
      }
    }
    if (a_len == 0) {
      if (i < n && t[i] == '>')
        break;
      i++;
      continue;
    }
    if (a_len == name_len && g_ascii_strncasecmp(t + a, name, name_len) == 0 && v != NULL) {
      *len = v_len;
      return v;
    }
  }
  return NULL;
}

/* The charset label a <meta> tag declares in the first PRESCAN_BYTES bytes, or NULL; *len set. */
static const char *
meta_charset(const char *s, gsize n, gsize *len)
{
  n = MIN(n, (gsize)PRESCAN_BYTES);
  for (gsize i = 0; i + 5 < n; i++) {
    if (s[i] != '<' || g_ascii_strncasecmp(s + i + 1, "meta", 4) != 0 || !g_ascii_isspace(s[i + 5]))
      continue;
    const char *end = memchr(s + i, '>', n - i);
    gsize tag_len = end ? (gsize)(end - (s + i)) : n - i;
    const char *t = s + i + 5;
    gsize t_len = tag_len - 5;
    const char *v = attr_value(t, t_len, "charset", len);
    if (v != NULL && *len > 0)
      return v;
    gsize he_len, c_len;
    const char *he = attr_value(t, t_len, "http-equiv", &he_len);
    const char *c = attr_value(t, t_len, "content", &c_len);
    if (he != NULL && c != NULL && he_len == 12 && g_ascii_strncasecmp(he, "content-type", 12) == 0) {
      v = charset_param(c, c_len, len);
      if (v != NULL)
        return v;
    }
  }
  return NULL;
}

/* TRUE when b[0..n) is valid UTF-8: ASCII eight bytes at a time, the rest by nd_utf8_find_invalid. */
static gboolean
valid_utf8(const guint8 *b, gsize n)
{
  gsize i = 0;
  while (i < n) {
    while (i + 8 <= n) {
      guint64 w;
      memcpy(&w, b + i, 8);
      if (w & G_GUINT64_CONSTANT(0x8080808080808080))
        break;
      i += 8;
    }
    while (i < n && b[i] < 0x80)
      i++;
    if (i == n)
      return TRUE;
    /* a run with non-ASCII bytes: validate up to the next stretch of 8 ASCII bytes */
    gsize j = i;
    while (j < n && (b[j] >= 0x80 || j + 8 > n || (b[j] & 0x80) || (b[j + 1] | b[j + 2] | b[j + 3] | b[j + 4] |
                                                                      b[j + 5] | b[j + 6] | b[j + 7]) & 0x80))
      j++;
    if (nd_utf8_find_invalid((const char *)b + i, j - i) >= 0)
      return FALSE;
    i = j;
  }
  return TRUE;
}

/* Counts valid multi-byte UTF-8 characters and invalid bytes. */
static void
utf8_census(const guint8 *b, gsize n, gsize *multi, gsize *invalid)
{
  *multi = *invalid = 0;
  gsize i = 0;
  while (i < n) {
    if (b[i] < 0x80) {
      i++;
      continue;
    }
    gunichar c = g_utf8_get_char_validated((const char *)b + i, (gssize)MIN(n - i, (gsize)4));
    if (c == (gunichar)-1 || c == (gunichar)-2) {
      (*invalid)++;
      i++;
    } else {
      (*multi)++;
      i += (gsize)g_unichar_to_utf8(c, NULL);
    }
  }
}

static void
out_append(GString *out, NdOffsetMap *map, const char *s, gsize n, gsize src, gsize src_len)
{
  nd_offset_map_add(map, (guint32)out->len, (guint32)n, (guint32)src, (guint32)src_len);
  g_string_append_len(out, s, (gssize)n);
}

/* UTF-8 with invalid bytes replaced by U+FFFD; skips `skip` leading bytes (a byte order mark). */
static void
repair_utf8(const guint8 *b, gsize n, gsize skip, GString *out, NdOffsetMap *map)
{
  gsize i = skip;
  while (i < n) {
    gssize bad = nd_utf8_find_invalid((const char *)b + i, n - i);
    gsize good = bad < 0 ? n - i : (gsize)bad;
    if (good > 0)
      out_append(out, map, (const char *)b + i, good, i, good);
    i += good;
    if (i < n) {
      out_append(out, map, "\xef\xbf\xbd", 3, i, 1);
      i++;
    }
  }
}

/* Converts with iconv `from`, one character at a time (see the file comment). FALSE when iconv
 * cannot convert from it at all. *errors counts bytes that were not characters of the charset. */
static gboolean
convert(const guint8 *b, gsize n, gsize skip, const char *from, GString *out, NdOffsetMap *map, gsize *errors)
{
  GIConv cd = g_iconv_open("UTF-8", from);
  if ((gintptr)cd == (gintptr)-1)
    return FALSE;
  *errors = 0;
  gboolean ascii_compatible = g_ascii_strncasecmp(from, "UTF-16", 6) != 0 && g_ascii_strncasecmp(from, "UTF-32", 6) != 0;
  /* single-byte charsets: a table of the 128 upper bytes */
  char table[128][4];
  guint8 table_len[128];
  gboolean single = ascii_compatible;
  for (int c = 0x80; c < 0x100 && single; c++) {
    char in = (char)c, *inp = &in, *outp = table[c - 0x80];
    gsize in_left = 1, out_left = 4;
    g_iconv(cd, NULL, NULL, NULL, NULL);
    gsize rc = g_iconv(cd, &inp, &in_left, &outp, &out_left);
    if (rc == (gsize)-1 && errno == EINVAL)
      single = FALSE; /* a lead byte: a multi-byte charset */
    else if (rc == (gsize)-1)
      table_len[c - 0x80] = 0; /* not a character of this charset */
    else
      table_len[c - 0x80] = (guint8)(4 - out_left);
  }
  g_iconv(cd, NULL, NULL, NULL, NULL);
  gsize i = skip;
  while (i < n) {
    if (ascii_compatible && b[i] < 0x80) {
      gsize j = i;
      while (j < n && b[j] < 0x80)
        j++;
      out_append(out, map, (const char *)b + i, j - i, i, j - i);
      i = j;
      continue;
    }
    if (single) {
      guint8 k = (guint8)(b[i] - 0x80);
      if (table_len[k] == 0) {
        out_append(out, map, "\xef\xbf\xbd", 3, i, 1);
        (*errors)++;
      } else {
        out_append(out, map, table[k], table_len[k], i, 1);
      }
      i++;
      continue;
    }
    /* one character: feed 1, 2, ... bytes until iconv takes them */
    char buf[16];
    gsize took = 0, produced = 0;
    for (gsize want = 1; want <= 6 && i + want <= n; want++) {
      char *inp = (char *)b + i, *outp = buf;
      gsize in_left = want, out_left = sizeof buf;
      gsize rc = g_iconv(cd, &inp, &in_left, &outp, &out_left);
      if (rc != (gsize)-1 || (errno == E2BIG)) {
        took = want - in_left;
        produced = sizeof buf - out_left;
        break;
      }
      if (errno == EILSEQ)
        break;
      /* EINVAL: incomplete, feed one more byte */
    }
    if (took == 0) {
      g_iconv(cd, NULL, NULL, NULL, NULL);
      out_append(out, map, "\xef\xbf\xbd", 3, i, 1);
      (*errors)++;
      i++;
      continue;
    }
    if (produced > 0)
      out_append(out, map, buf, produced, i, took);
    i += took;
  }
  g_iconv_close(cd);
  return TRUE;
}

gboolean
nd_charset_decode(const guint8 *bytes, gsize len, const char *content_type, gboolean html, char **out_text,
                  gsize *out_len, NdOffsetMap **out_map, GError **warning)
{
  *out_text = NULL;
  *out_len = 0;
  *out_map = NULL;
  char name_buf[64], meta_buf[64];
  const char *declared = NULL, *source = NULL;
  gsize skip = 0;
  if (len >= 3 && bytes[0] == 0xef && bytes[1] == 0xbb && bytes[2] == 0xbf) {
    declared = "UTF-8";
    skip = 3;
    source = "byte order mark";
  } else if (len >= 2 && bytes[0] == 0xff && bytes[1] == 0xfe) {
    declared = "UTF-16LE";
    skip = 2;
    source = "byte order mark";
  } else if (len >= 2 && bytes[0] == 0xfe && bytes[1] == 0xff) {
    declared = "UTF-16BE";
    skip = 2;
    source = "byte order mark";
  }
  g_autofree char *label = NULL;
  if (declared == NULL && content_type != NULL) {
    gsize l;
    const char *v = charset_param(content_type, strlen(content_type), &l);
    if (v != NULL) {
      declared = iconv_name(v, l, name_buf, sizeof name_buf);
      source = "HTTP header";
      if (declared == NULL)
        label = g_strndup(v, l);
    }
  }
  if (declared == NULL && label == NULL && html) {
    gsize l;
    const char *v = meta_charset((const char *)bytes, len, &l);
    if (v != NULL) {
      declared = iconv_name(v, l, meta_buf, sizeof meta_buf);
      source = "<meta> tag";
      if (declared != NULL && g_str_has_prefix(declared, "UTF-16"))
        declared = "UTF-8"; /* a page that can declare itself in ASCII is not UTF-16 (WHATWG) */
      if (declared == NULL)
        label = g_strndup(v, l);
    }
  }
  if (declared == NULL && label != NULL)
    g_set_error(warning, ND_ERROR, ND_ERROR_UTF8, "unknown charset \"%s\" (from the %s); read as UTF-8", label, source);

  gboolean utf8 = declared == NULL || strcmp(declared, "UTF-8") == 0;
  if (utf8 && skip == 0 && valid_utf8(bytes, len))
    return FALSE; /* UTF-8 as it stands: nothing to convert, offsets unchanged */
  gsize multi, invalid;
  if (!g_str_has_prefix(declared ? declared : "", "UTF-16"))
    utf8_census(bytes + skip, len - skip, &multi, &invalid);
  else
    multi = invalid = 0;
  GString *out = g_string_sized_new(len + len / 8 + 16);
  NdOffsetMap *map = nd_offset_map_new();
  if (utf8 && (invalid == 0 || multi >= invalid * 4)) {
    repair_utf8(bytes, len, skip, out, map); /* UTF-8 with a few stray bytes */
  } else if (utf8) {
    /* declared or taken as UTF-8, but its non-ASCII bytes are mostly not UTF-8 */
    gsize errors;
    convert(bytes, len, skip, "WINDOWS-1252", out, map, &errors);
    if (declared != NULL && warning != NULL && *warning == NULL)
      g_set_error(warning, ND_ERROR, ND_ERROR_UTF8, "the %s says UTF-8, but %" G_GSIZE_FORMAT " bytes are not "
                  "UTF-8 (the first at byte %" G_GSSIZE_FORMAT "); read as windows-1252", source, invalid,
                  nd_utf8_find_invalid((const char *)bytes + skip, len - skip) + (gssize)skip);
  } else {
    gsize errors = 0;
    gboolean single_byte = !g_str_has_prefix(declared, "UTF-16");
    if (single_byte && invalid == 0 && multi > 0) {
      /* declared in another charset, but the bytes are UTF-8 with multi-byte characters */
      repair_utf8(bytes, len, skip, out, map);
      if (warning != NULL && *warning == NULL)
        g_set_error(warning, ND_ERROR, ND_ERROR_UTF8, "the %s says %s, but the bytes are UTF-8; read as UTF-8",
                    source, declared);
    } else if (!convert(bytes, len, skip, declared, out, map, &errors)) {
      repair_utf8(bytes, len, skip, out, map);
    } else if (errors > 0 && warning != NULL && *warning == NULL && errors * 20 > len - skip + 1) {
      g_set_error(warning, ND_ERROR, ND_ERROR_UTF8, "the %s says %s, but %" G_GSIZE_FORMAT " bytes are not "
                  "characters of it (shown as U+FFFD)", source, declared, errors);
    }
  }
  *out_len = out->len;
  *out_text = g_string_free(out, FALSE);
  *out_map = map;
  return TRUE;
}

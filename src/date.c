/* date.c — publication dates read from untrusted text (forms listed in include/neardup/date.h).
 *
 * Design: two small hand-written readers over a length-bounded buffer, never a general "guess the
 * format" heuristic: an ISO 8601 reader for text starting with a four-digit year and a dash, and a
 * token reader (numbers, words, punctuation) with a short grammar for the written forms (RFC 2822,
 * HTTP dates, "11 March 2026", asctime). Every field is range-checked (the day against its month,
 * leap years included) before it becomes seconds, with 64-bit arithmetic on bounded values, so no
 * input overflows. Input longer than ND_DATE_MAX_LEN is refused unread.
 */
#include <neardup/neardup.h>
#include <string.h>
#include "json.h"

#define MIN_YEAR 1
#define MAX_YEAR 9999
#define UNIX_MIN G_GINT64_CONSTANT(-62135596800) /* 0001-01-01T00:00:00Z */
#define UNIX_MAX G_GINT64_CONSTANT(253402300799) /* 9999-12-31T23:59:59Z */
#define MAX_OFFSET (18 * 3600)                   /* RFC 3339: zones within +-18 hours */

/* ---- calendar ---- */

static gboolean
is_leap(gint64 y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(gint64 y, int m)
{
  static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's algorithm). */
static gint64
days_from_civil(gint64 y, int m, int d)
{
  y -= m <= 2;
  gint64 era = (y >= 0 ? y : y - 399) / 400;
  gint64 yoe = y - era * 400;
  gint64 doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  gint64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void
civil_from_days(gint64 z, gint64 *y, int *m, int *d)
{
  z += 719468;
  gint64 era = (z >= 0 ? z : z - 146096) / 146097;
  gint64 doe = z - era * 146097;
  gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  gint64 mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

void
nd_date_format_utc(gint64 utc, char buf[ND_DATE_ISO_SIZE])
{
  gint64 days = utc >= 0 ? utc / 86400 : -((-utc + 86399) / 86400);
  gint64 secs = utc - days * 86400;
  gint64 y;
  int m, d;
  civil_from_days(days, &y, &m, &d);
  g_snprintf(buf, ND_DATE_ISO_SIZE, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, m, d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
}

/* ---- errors ---- */

/* The input as a message quotes it: at most 40 bytes, anything but printable ASCII as \xNN. */
static char *
quoted(const char *s, gsize len)
{
  GString *q = g_string_new("'");
  for (gsize i = 0; i < len && i < 40; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
      g_string_append_c(q, (char)c);
    else
      g_string_append_printf(q, "\\x%02x", c);
  }
  g_string_append(q, len > 40 ? "...'" : "'");
  return g_string_free(q, FALSE);
}

static gboolean G_GNUC_PRINTF(4, 5)
fail(GError **error, const char *s, gsize len, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *why = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_autofree char *q = quoted(s, len);
  g_set_error(error, ND_ERROR, ND_ERROR_DATE, "%s is not a date: %s", q, why);
  return FALSE;
}

/* ---- fields to seconds ---- */

typedef struct {
  gint64 year;
  int month, day, hour, minute, second;
  int offset; /* seconds east of UTC */
  gboolean has_time, has_zone;
} Fields;

static gboolean
fields_to_date(const Fields *f, const char *s, gsize len, NdDate *out, GError **error)
{
  static const char *const month_names[] = { "January", "February", "March", "April", "May", "June", "July",
                                             "August", "September", "October", "November", "December" };
  if (f->year < MIN_YEAR || f->year > MAX_YEAR)
    return fail(error, s, len, "year %" G_GINT64_FORMAT " is outside 1 to 9999", f->year);
  if (f->month < 1 || f->month > 12)
    return fail(error, s, len, "month %d is outside 1 to 12", f->month);
  if (f->day < 1 || f->day > days_in_month(f->year, f->month))
    return fail(error, s, len, "%s %" G_GINT64_FORMAT " has %d days, not %d", month_names[f->month - 1], f->year,
                days_in_month(f->year, f->month), f->day);
  if (f->hour > 23 || f->minute > 59 || f->second > 60)
    return fail(error, s, len, "the time %02d:%02d:%02d is out of range", f->hour, f->minute, f->second);
  if (f->offset < -MAX_OFFSET || f->offset > MAX_OFFSET)
    return fail(error, s, len, "the zone offset is more than 18 hours");
  gint64 utc = days_from_civil(f->year, f->month, f->day) * 86400 + f->hour * 3600 + f->minute * 60 +
               MIN(f->second, 59) /* a leap second counts as :59 */ - f->offset;
  if (utc < UNIX_MIN || utc > UNIX_MAX)
    return fail(error, s, len, "it falls outside the years 1 to 9999 in UTC");
  *out = (NdDate){ utc, f->offset, f->has_zone, f->has_time };
  return TRUE;
}

gboolean
nd_date_from_unix(gint64 value, gboolean milliseconds, NdDate *out, GError **error)
{
  gint64 secs = milliseconds ? (value >= 0 ? value / 1000 : -((-(value + 1)) / 1000) - 1) : value;
  if (secs < UNIX_MIN || secs > UNIX_MAX) {
    g_set_error(error, ND_ERROR, ND_ERROR_DATE, "the Unix time %" G_GINT64_FORMAT "%s is outside the years 1 to 9999",
                value, milliseconds ? " (milliseconds)" : "");
    return FALSE;
  }
  *out = (NdDate){ secs, 0, TRUE, TRUE };
  return TRUE;
}

/* ---- small scanners over s[*i..len) ---- */

static gboolean
is_digit(char c)
{
  return c >= '0' && c <= '9';
}

static gboolean
is_alpha(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static gboolean
is_blank(char c)
{
  return c == ' ' || c == '\t';
}

/* Exactly `n` digits at s[*i]; advances. */
static gboolean
digits(const char *s, gsize len, gsize *i, int n, int *value)
{
  int v = 0;
  for (int k = 0; k < n; k++) {
    if (*i >= len || !is_digit(s[*i]))
      return FALSE;
    v = v * 10 + (s[(*i)++] - '0');
  }
  *value = v;
  return TRUE;
}

/* ---- Unix time ---- */

/* [+-]DIGITS[.DIGITS]: TRUE when s is such a number (then it is read, or refused with a reason). */
static gboolean
looks_unix(const char *s, gsize len)
{
  gsize i = s[0] == '-' || s[0] == '+';
  gsize start = i;
  while (i < len && is_digit(s[i]))
    i++;
  if (i == start)
    return FALSE;
  if (i < len && s[i] == '.') {
    gsize f = ++i;
    while (i < len && is_digit(s[i]))
      i++;
    if (i == f)
      return FALSE;
  }
  return i == len;
}

static gboolean
parse_unix(const char *s, gsize len, NdDate *out, GError **error)
{
  gsize i = s[0] == '-' || s[0] == '+';
  gboolean negative = s[0] == '-';
  while (i < len && s[i] == '0' && i + 1 < len && is_digit(s[i + 1]))
    i++; /* leading zeros do not count as digits */
  gsize start = i;
  gint64 v = 0;
  for (; i < len && is_digit(s[i]); i++) {
    if (i - start >= 15)
      return fail(error, s, len, "the number is too large for a Unix time");
    v = v * 10 + (s[i] - '0');
  }
  gboolean ms = i - start >= 12;
  if (!nd_date_from_unix(negative ? -v : v, ms, out, NULL))
    return fail(error, s, len, "the Unix time is outside the years 1 to 9999");
  return TRUE; /* a fraction of a second is dropped */
}

/* ---- zones ---- */

static const struct {
  const char *name;
  int hours;
} zone_names[] = { { "ut", 0 }, { "utc", 0 }, { "gmt", 0 }, { "z", 0 }, { "est", -5 }, { "edt", -4 }, { "cst", -6 },
                   { "cdt", -5 }, { "mst", -7 }, { "mdt", -6 }, { "pst", -8 }, { "pdt", -7 } };

/* A zone at s[*i]: a name (above) or +HH, +HHMM, +HH:MM. 1 read (advanced), 0 none there, -1 bad
 * (error set). */
static int
zone(const char *s, gsize len, gsize *i, int *offset, GError **error)
{
  gsize j = *i;
  if (j < len && (s[j] == '+' || s[j] == '-')) {
    int sign = s[j] == '-' ? -1 : 1, hh = 0, mm = 0;
    j++;
    if (!digits(s, len, &j, 2, &hh))
      return fail(error, s, len, "a zone offset needs two digits of hours"), -1;
    if (j < len && s[j] == ':') {
      j++;
      if (!digits(s, len, &j, 2, &mm))
        return fail(error, s, len, "a zone offset needs two digits of minutes after ':'"), -1;
    } else if (j < len && is_digit(s[j]) && !digits(s, len, &j, 2, &mm)) {
      return fail(error, s, len, "a zone offset is +HH, +HHMM or +HH:MM"), -1;
    }
    if (hh > 18 || mm > 59)
      return fail(error, s, len, "the zone offset %c%02d:%02d is out of range", sign < 0 ? '-' : '+', hh, mm), -1;
    *offset = sign * (hh * 3600 + mm * 60);
    *i = j;
    return 1;
  }
  gsize w = j;
  while (w < len && is_alpha(s[w]) && w - j < 8)
    w++;
  if (w == j || (w < len && is_alpha(s[w])))
    return w == j ? 0 : (fail(error, s, len, "unknown time zone"), -1);
  char name[9];
  for (gsize k = 0; k < w - j; k++)
    name[k] = g_ascii_tolower(s[j + k]);
  name[w - j] = '\0';
  for (gsize z = 0; z < G_N_ELEMENTS(zone_names); z++)
    if (strcmp(name, zone_names[z].name) == 0) {
      *offset = zone_names[z].hours * 3600;
      *i = w;
      return 1;
    }
  g_autofree char *q = quoted(s + j, w - j);
  fail(error, s, len, "unknown time zone %s (neardup reads UT, UTC, GMT, Z, the US zones of RFC 2822 and "
       "numeric offsets such as +01:00)", q);
  return -1;
}

/* ---- ISO 8601 ---- */

static gboolean
parse_iso(const char *s, gsize len, NdDate *out, GError **error)
{
  Fields f = { 0 };
  gsize i = 0;
  int y = 0;
  if (!digits(s, len, &i, 4, &y) || i >= len || s[i++] != '-' || !digits(s, len, &i, 2, &f.month) || i >= len ||
      s[i++] != '-' || !digits(s, len, &i, 2, &f.day))
    return fail(error, s, len, "an ISO 8601 date is YYYY-MM-DD");
  f.year = y;
  if (i < len && (s[i] == 'T' || s[i] == 't' || s[i] == ' ') && i + 1 < len && is_digit(s[i + 1])) {
    i++;
    f.has_time = TRUE;
    if (!digits(s, len, &i, 2, &f.hour) || i >= len || s[i++] != ':' || !digits(s, len, &i, 2, &f.minute))
      return fail(error, s, len, "an ISO 8601 time is HH:MM or HH:MM:SS");
    if (i < len && s[i] == ':') {
      i++;
      if (!digits(s, len, &i, 2, &f.second))
        return fail(error, s, len, "an ISO 8601 time is HH:MM or HH:MM:SS");
      if (i < len && (s[i] == '.' || s[i] == ',')) {
        gsize start = ++i;
        while (i < len && is_digit(s[i]))
          i++;
        if (i == start)
          return fail(error, s, len, "a decimal point without digits");
      }
    }
    while (i < len && is_blank(s[i]))
      i++;
    if (i < len) {
      int z = zone(s, len, &i, &f.offset, error);
      if (z < 0)
        return FALSE;
      f.has_zone = z > 0;
    }
  }
  if (i != len)
    return fail(error, s, len, "unexpected text after the %s", f.has_time ? "time" : "date");
  return fields_to_date(&f, s, len, out, error);
}

/* ---- written forms: tokens ---- */

typedef enum { TOK_NUM, TOK_WORD, TOK_PUNCT } TokKind;

typedef struct {
  TokKind kind;
  int value;       /* TOK_NUM: its value (at most 9 digits are read); TOK_PUNCT: the character */
  int ndigits;     /* TOK_NUM */
  char word[12];   /* TOK_WORD: lower case, cut at 11 letters */
  gboolean spaced; /* blank before it */
  gsize at, len;   /* where it is in the input */
} Tok;

#define MAX_TOKENS 24

/* Splits s into tokens; FALSE (error set) on a character no date form uses or too many tokens. */
static gboolean
tokenize(const char *s, gsize len, Tok *toks, int *n, GError **error)
{
  *n = 0;
  gboolean spaced = FALSE;
  for (gsize i = 0; i < len;) {
    char c = s[i];
    if (is_blank(c)) {
      spaced = TRUE;
      i++;
      continue;
    }
    if (*n == MAX_TOKENS)
      return fail(error, s, len, "too many parts for a date");
    Tok *t = &toks[(*n)++];
    memset(t, 0, sizeof *t);
    t->spaced = spaced;
    t->at = i;
    spaced = FALSE;
    if (is_digit(c)) {
      t->kind = TOK_NUM;
      while (i < len && is_digit(s[i])) {
        if (t->ndigits < 9)
          t->value = t->value * 10 + (s[i] - '0');
        t->ndigits++;
        i++;
      }
    } else if (is_alpha(c)) {
      t->kind = TOK_WORD;
      gsize k = 0;
      while (i < len && is_alpha(s[i])) {
        if (k < sizeof t->word - 1)
          t->word[k++] = g_ascii_tolower(s[i]);
        i++;
      }
      if (i - t->at >= sizeof t->word)
        t->word[0] = '\0'; /* longer than any name a date uses */
    } else if (strchr(",:-+./", c) != NULL) {
      t->kind = TOK_PUNCT;
      t->value = (unsigned char)c;
      i++;
    } else {
      g_autofree char *q = quoted(s + i, 1);
      return fail(error, s, len, "the character %s at byte %" G_GSIZE_FORMAT " is not part of any date form", q, i);
    }
    t->len = i - t->at;
  }
  return TRUE;
}

static int
month_of(const Tok *t)
{
  static const char *const names[] = { "january", "february", "march", "april", "may", "june", "july", "august",
                                       "september", "october", "november", "december" };
  if (t->kind != TOK_WORD || strlen(t->word) < 3)
    return 0;
  for (int m = 0; m < 12; m++) {
    gsize n = strlen(t->word);
    if (strcmp(t->word, names[m]) == 0 || (n == 3 && strncmp(t->word, names[m], 3) == 0) ||
        (m == 8 && strcmp(t->word, "sept") == 0))
      return m + 1;
  }
  return 0;
}

static gboolean
is_weekday(const Tok *t)
{
  static const char *const names[] = { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday" };
  if (t->kind != TOK_WORD)
    return FALSE;
  for (gsize d = 0; d < G_N_ELEMENTS(names); d++)
    if (strcmp(t->word, names[d]) == 0 || (strlen(t->word) == 3 && strncmp(t->word, names[d], 3) == 0))
      return TRUE;
  return FALSE;
}

static gboolean
is_punct(const Tok *toks, int n, int k, char c)
{
  return k < n && toks[k].kind == TOK_PUNCT && toks[k].value == c;
}

static gboolean
is_num(const Tok *toks, int n, int k)
{
  return k < n && toks[k].kind == TOK_NUM;
}

/* A year token: four digits, or two (RFC 2822 and 850: 00-49 are 2000-2049, 50-99 1950-1999). */
static gboolean
year_of(const Tok *t, gint64 *year)
{
  if (t->kind != TOK_NUM)
    return FALSE;
  if (t->ndigits == 4)
    *year = t->value;
  else if (t->ndigits == 2)
    *year = t->value < 50 ? 2000 + t->value : 1900 + t->value;
  else
    return FALSE;
  return TRUE;
}

/* A day of the month at toks[*k] (1 or 2 digits), with an ordinal suffix written against it. */
static gboolean
day_of(const Tok *toks, int n, int *k, int *day)
{
  if (!is_num(toks, n, *k) || toks[*k].ndigits > 2)
    return FALSE;
  *day = toks[(*k)++].value;
  if (*k < n && toks[*k].kind == TOK_WORD && !toks[*k].spaced &&
      (strcmp(toks[*k].word, "st") == 0 || strcmp(toks[*k].word, "nd") == 0 || strcmp(toks[*k].word, "rd") == 0 ||
       strcmp(toks[*k].word, "th") == 0))
    (*k)++;
  return TRUE;
}

/* HH:MM[:SS[.fff]] [am|pm] at toks[*k]: 1 read, 0 none there, -1 bad. */
static int
time_of(const Tok *toks, int n, int *k, Fields *f, const char *s, gsize len, GError **error)
{
  int j = *k;
  if (!(is_num(toks, n, j) && is_punct(toks, n, j + 1, ':')))
    return 0;
  if (toks[j].ndigits > 2 || !is_num(toks, n, j + 2) || toks[j + 2].ndigits != 2)
    return fail(error, s, len, "a time is HH:MM or HH:MM:SS"), -1;
  f->hour = toks[j].value;
  f->minute = toks[j + 2].value;
  j += 3;
  if (is_punct(toks, n, j, ':')) {
    if (!is_num(toks, n, j + 1) || toks[j + 1].ndigits != 2)
      return fail(error, s, len, "a time is HH:MM or HH:MM:SS"), -1;
    f->second = toks[j + 1].value;
    j += 2;
    if (is_punct(toks, n, j, '.') && is_num(toks, n, j + 1) && !toks[j + 1].spaced)
      j += 2; /* fractions of a second are dropped */
  }
  if (j < n && toks[j].kind == TOK_WORD && (strcmp(toks[j].word, "am") == 0 || strcmp(toks[j].word, "pm") == 0)) {
    if (f->hour < 1 || f->hour > 12)
      return fail(error, s, len, "the hour %d is not a 12-hour clock hour before %s", f->hour, toks[j].word), -1;
    f->hour = f->hour % 12 + (toks[j].word[0] == 'p' ? 12 : 0);
    j++;
  }
  f->has_time = TRUE;
  *k = j;
  return 1;
}

/* A zone from toks[*k] on: 1 read, 0 none, -1 bad. Zones are read from the text itself (their
 * tokens mark where). */
static int
zone_of(const Tok *toks, int n, int *k, Fields *f, const char *s, gsize len, GError **error)
{
  if (*k >= n)
    return 0;
  const Tok *t = &toks[*k];
  if (!(t->kind == TOK_WORD || is_punct(toks, n, *k, '+') || is_punct(toks, n, *k, '-')))
    return 0;
  gsize i = t->at;
  int z = zone(s, len, &i, &f->offset, error);
  if (z <= 0)
    return z < 0 ? -1 : 0;
  while (*k < n && toks[*k].at < i)
    (*k)++;
  f->has_zone = TRUE;
  return 1;
}

static gboolean
parse_written(const char *s, gsize len, NdDate *out, GError **error)
{
  Tok toks[MAX_TOKENS];
  int n = 0;
  if (!tokenize(s, len, toks, &n, error))
    return FALSE;
  Fields f = { 0 };
  int k = 0, month;
  gboolean asctime_form = FALSE;
  if (k < n && is_weekday(&toks[k])) {
    k++;
    if (is_punct(toks, n, k, ','))
      k++;
  }
  if (is_num(toks, n, k)) { /* 11 March 2026, 11 Mar 2026, 11-Mar-26, 11th March 2026, 11. März... */
    if (!day_of(toks, n, &k, &f.day))
      return fail(error, s, len, "a day of the month has one or two digits");
    if (is_punct(toks, n, k, '-') || is_punct(toks, n, k, '.'))
      k++;
    if (k >= n || (month = month_of(&toks[k])) == 0)
      return fail(error, s, len, "expected the name of a month after the day");
    f.month = month;
    k++;
    if (is_punct(toks, n, k, '-') || is_punct(toks, n, k, ','))
      k++;
  } else if (k < n && (month = month_of(&toks[k])) != 0) { /* March 11, 2026; Mar 11 2026; Mar 11 14:30:05 2026 */
    f.month = month;
    k++;
    if (is_punct(toks, n, k, '.'))
      k++;
    if (!day_of(toks, n, &k, &f.day))
      return fail(error, s, len, "expected the day of the month after the month");
    if (is_punct(toks, n, k, ','))
      k++;
    asctime_form = is_num(toks, n, k) && is_punct(toks, n, k + 1, ':');
  } else {
    return fail(error, s, len, "not a form of date neardup reads (ISO 8601, RFC 2822, HTTP, \"11 March 2026\", "
                "Unix time)");
  }
  if (asctime_form) { /* the time, a zone perhaps, then the year */
    if (time_of(toks, n, &k, &f, s, len, error) < 0 || zone_of(toks, n, &k, &f, s, len, error) < 0)
      return FALSE;
  }
  if (k >= n || !year_of(&toks[k], &f.year))
    return fail(error, s, len, "expected a year of four (or two) digits");
  k++;
  if (!asctime_form) {
    if (is_punct(toks, n, k, ',') || (k < n && toks[k].kind == TOK_WORD && strcmp(toks[k].word, "at") == 0))
      k++;
    int t = time_of(toks, n, &k, &f, s, len, error);
    if (t < 0 || (t > 0 && zone_of(toks, n, &k, &f, s, len, error) < 0))
      return FALSE;
  }
  if (k != n)
    return fail(error, s, len, "unexpected text after the %s", f.has_time ? "time" : "year");
  return fields_to_date(&f, s, len, out, error);
}

gboolean
nd_date_parse(const char *s, gssize slen, NdDate *out, GError **error)
{
  g_return_val_if_fail(s != NULL && out != NULL, FALSE);
  gsize len = slen < 0 ? strnlen(s, ND_DATE_MAX_LEN + 1) : (gsize)slen;
  if (len > ND_DATE_MAX_LEN) {
    g_set_error(error, ND_ERROR, ND_ERROR_DATE, "a date of more than %d bytes is not read", ND_DATE_MAX_LEN);
    return FALSE;
  }
  while (len > 0 && (is_blank(s[0]) || s[0] == '\n' || s[0] == '\r'))
    s++, len--;
  while (len > 0 && (is_blank(s[len - 1]) || s[len - 1] == '\n' || s[len - 1] == '\r'))
    len--;
  if (len == 0) {
    g_set_error_literal(error, ND_ERROR, ND_ERROR_DATE, "the date is empty");
    return FALSE;
  }
  if (looks_unix(s, len))
    return parse_unix(s, len, out, error);
  if (len >= 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) &&
      (s[4] == '-' || s[4] == '/' || s[4] == '.'))
    return parse_iso(s, len, out, error);
  return parse_written(s, len, out, error);
}

int
nd_date_from_metadata(const char *metadata, const char *field, NdDate *out, char **original, GError **error)
{
  if (original != NULL)
    *original = NULL;
  if (metadata == NULL)
    return 0;
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) local = NULL;
  NdJsonScan scan = { 0 };
  JsonObject *obj = nd_json_parse_object(parser, metadata, strlen(metadata), G_MAXSIZE, &scan, &local);
  if (obj == NULL) {
    g_set_error(error, ND_ERROR, ND_ERROR_DATE, "the metadata is not a JSON object (%s)", local->message);
    return -1;
  }
  JsonNode *v = json_object_get_member(obj, field);
  if (v == NULL || JSON_NODE_HOLDS_NULL(v))
    return 0;
  GType type = JSON_NODE_HOLDS_VALUE(v) ? json_node_get_value_type(v) : G_TYPE_INVALID;
  gint64 unix_time = 0;
  if (type == G_TYPE_STRING) {
    const char *text = json_node_get_string(v);
    if (!nd_date_parse(text, -1, out, &local)) {
      g_set_error(error, ND_ERROR, ND_ERROR_DATE, "\"%s\": %s", field, local->message);
      return -1;
    }
    if (original != NULL)
      *original = g_strdup(text);
    return 1;
  }
  if (type == G_TYPE_INT64) {
    unix_time = json_node_get_int(v);
  } else if (type == G_TYPE_DOUBLE) {
    double d = json_node_get_double(v);
    if (!(d > -1e15 && d < 1e15)) { /* not finite, or beyond any Unix time of the years 1-9999 */
      g_set_error(error, ND_ERROR, ND_ERROR_DATE, "\"%s\": the number is too large for a Unix time", field);
      return -1;
    }
    unix_time = (gint64)d - (d < 0 && (double)(gint64)d != d); /* floor: fractions of a second dropped */
  } else {
    g_set_error(error, ND_ERROR, ND_ERROR_DATE, "\"%s\" holds %s, not a date", field,
                type == G_TYPE_BOOLEAN ? "true or false" : JSON_NODE_HOLDS_OBJECT(v) ? "an object" : "an array");
    return -1;
  }
  guint64 magnitude = unix_time < 0 ? (guint64)(-(unix_time + 1)) + 1 : (guint64)unix_time;
  if (!nd_date_from_unix(unix_time, magnitude >= G_GUINT64_CONSTANT(100000000000), out, &local)) {
    g_set_error(error, ND_ERROR, ND_ERROR_DATE, "\"%s\": %s", field, local->message);
    return -1;
  }
  if (original != NULL)
    *original = json_node_get_value_type(v) == G_TYPE_INT64 ? g_strdup_printf("%" G_GINT64_FORMAT, unix_time)
                                                             : g_strdup_printf("%.17g", json_node_get_double(v));
  return 1;
}

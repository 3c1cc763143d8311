/* origin.c — the direction of reported pairs and the origin of clusters (rules in
 * include/neardup/origin.h).
 *
 * Design: dates decide where they can; the text's evidence (a dated dateline, then the centre of a
 * star of copies) decides the rest and is marked as inferred; a pair with neither stays undecided
 * (a wrong source is worse than none). Everything is computed from the
 * pairs in a few linear passes with per-document and per-cluster arrays, so the result depends on
 * the pairs' content only (the order of equal candidates is fixed by document index).
 */
#include <neardup/neardup.h>
#include <string.h>

const char *
nd_source_basis_name(NdSourceBasis basis)
{
  switch (basis) {
  case ND_BASIS_DATE:
    return "date";
  case ND_BASIS_EVIDENCE:
    return "evidence";
  case ND_BASIS_NONE:
  default:
    return NULL;
  }
}

/* TRUE when s[0..len) names a month: an English month name or its abbreviation (a final '.'
 * ignored), or an Urdu month name. */
static gboolean
is_month(const char *s, gsize len)
{
  static const char *const english[] = { "january", "february", "march",   "april",    "may",      "june",
                                         "july",    "august",   "september", "october", "november", "december" };
  static const char *const urdu[] = { "جنوری", "فروری", "مارچ", "اپریل", "مئی", "جون",
                                      "جولائی", "اگست", "ستمبر", "اکتوبر", "نومبر", "دسمبر" };
  if (len > 0 && s[len - 1] == '.')
    len--;
  for (guint m = 0; m < 12; m++) {
    gsize full = strlen(english[m]);
    if ((len == full || (len >= 3 && len < full)) && g_ascii_strncasecmp(s, english[m], len) == 0)
      return TRUE;
    if (len == strlen(urdu[m]) && memcmp(s, urdu[m], len) == 0)
      return TRUE;
  }
  return FALSE;
}

/* The character at s (before end) in *c and the position after it; an invalid or truncated
 * sequence is one byte read as U+FFFD (neither a letter, a digit nor a space). */
static const char *
next_char(const char *s, const char *end, gunichar *c)
{
  gunichar u = g_utf8_get_char_validated(s, end - s);
  if (u == (gunichar)-1 || u == (gunichar)-2) {
    *c = 0xFFFD;
    return s + 1;
  }
  *c = u;
  return g_utf8_next_char(s);
}

/* Words of [s, end) (split at white space), counting stops at max + 1; *date_like TRUE when one of
 * them holds a digit (any script) or names a month. */
static guint
count_words(const char *s, const char *end, guint max, gboolean *date_like)
{
  guint n = 0;
  *date_like = FALSE;
  while (s < end && n <= max) {
    gunichar c;
    const char *next = next_char(s, end, &c);
    if (g_unichar_isspace(c)) {
      s = next;
      continue;
    }
    const char *w = s;
    while (s < end) {
      next = next_char(s, end, &c);
      if (g_unichar_isspace(c))
        break;
      if (g_unichar_isdigit(c))
        *date_like = TRUE;
      s = next;
    }
    gsize wlen = (gsize)(s - w);
    if (is_month(w, wlen) || (wlen > 1 && w[wlen - 1] == ',' && is_month(w, wlen - 1)))
      *date_like = TRUE;
    n++;
  }
  return n;
}

/* The byte length of the separator between a dateline's place and date at s, or 0: a comma, the
 * Arabic comma or full stop (U+060C, U+06D4), or a dash set off by spaces. */
static gsize
dateline_separator(const char *s, const char *end)
{
  if (*s == ',')
    return 1;
  if (end - s >= 2 && ((guchar)s[0] == 0xD8 && (guchar)s[1] == 0x8C))
    return 2;
  if (end - s >= 2 && ((guchar)s[0] == 0xDB && (guchar)s[1] == 0x94))
    return 2;
  if (end - s >= 3 && s[0] == ' ' && s[1] == '-' && s[2] == ' ')
    return 3;
  return 0;
}

/* One line [s, end): does it open with PLACE SEP DATE (CREDIT)? */
static gboolean
line_dated_dateline(const char *s, const char *end)
{
  gunichar c = 0;
  while (s < end) {
    const char *next = next_char(s, end, &c);
    if (!g_unichar_isspace(c))
      break;
    s = next;
  }
  if (s >= end || !g_unichar_isalpha(c))
    return FALSE; /* a place name opens the dateline */
  const char *limit = end - s > ND_DATELINE_BYTES ? s + ND_DATELINE_BYTES : end;
  const char *open = memchr(s, '(', (gsize)(limit - s));
  if (open == NULL)
    return FALSE;
  const char *close = memchr(open, ')', (gsize)(end - open));
  if (close == NULL || close - open > ND_DATELINE_CREDIT_BYTES || memchr(open + 1, '(', (gsize)(close - open - 1)))
    return FALSE;
  gboolean credit_has_letter = FALSE;
  for (const char *p = open + 1; p < close && !credit_has_letter;) {
    p = next_char(p, close, &c);
    credit_has_letter = g_unichar_isalpha(c);
  }
  if (!credit_has_letter)
    return FALSE;
  for (const char *p = s; p < open; p++) {
    gsize sep = dateline_separator(p, open);
    if (sep == 0)
      continue;
    gboolean place_date_like, date_like;
    guint place = count_words(s, p, ND_DATELINE_WORDS, &place_date_like);
    guint date = count_words(p + sep, open, ND_DATELINE_WORDS, &date_like);
    return place <= ND_DATELINE_WORDS && date >= 1 && date <= ND_DATELINE_WORDS && date_like;
  }
  return FALSE;
}

gboolean
nd_text_has_dated_dateline(const char *text, gsize len)
{
  if (text == NULL)
    return FALSE;
  const char *s = text, *end = text + len;
  for (guint lines = 0; s < end && lines < ND_DATELINE_LINES;) {
    const char *nl = memchr(s, '\n', (gsize)(end - s));
    const char *line_end = nl != NULL ? nl : end;
    gboolean blank = TRUE;
    for (const char *c = s; c < line_end && blank; c++)
      blank = g_ascii_isspace(*c);
    if (!blank) {
      if (line_dated_dateline(s, line_end))
        return TRUE;
      lines++;
    }
    s = nl != NULL ? nl + 1 : end;
  }
  return FALSE;
}

gboolean
nd_pair_within_window(const NdPair *p, const NdPublished *published, gint64 seconds)
{
  if (published == NULL || !published[p->a].dated || !published[p->b].dated)
    return TRUE;
  gint64 d = published[p->a].utc - published[p->b].utc;
  return (d < 0 ? -d : d) <= seconds;
}

static gint64
day_of(gint64 utc)
{
  return utc >= 0 ? utc / 86400 : -((-utc + 86399) / 86400);
}

/* Rule "date" for one pair: the source's index, or G_MAXUINT. */
static guint
by_date(const NdPair *p, const NdPublished *published)
{
  if (published == NULL || !published[p->a].dated || !published[p->b].dated)
    return G_MAXUINT;
  const NdPublished *a = &published[p->a], *b = &published[p->b];
  if ((a->day_only || b->day_only) && day_of(a->utc) == day_of(b->utc))
    return G_MAXUINT;
  gint64 d = a->utc - b->utc;
  if (d <= -ND_DIRECTION_MIN_SECONDS)
    return p->a;
  if (d >= ND_DIRECTION_MIN_SECONDS)
    return p->b;
  return G_MAXUINT;
}

/* Rule 0 for one pair: the one article of the two with a dated dateline, or G_MAXUINT. */
static guint
by_dateline(const NdPair *p, const NdPublished *published)
{
  if (published == NULL || published[p->a].dated_dateline == published[p->b].dated_dateline)
    return G_MAXUINT;
  return published[p->a].dated_dateline ? p->a : p->b;
}

static guint
find_root(guint *parent, guint x)
{
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

void
nd_find_directions(const NdPair *pairs, guint n_pairs, guint n_docs, const NdPublished *published,
                   NdDirection *direction, guint *origin, NdSourceBasis *origin_basis)
{
  /* Clusters: union-find over the pairs that are not quotations, each root the smallest index. */
  g_autofree guint *root = g_new0(guint, n_docs + 1);
  for (guint i = 0; i < n_docs; i++)
    root[i] = i;
  for (guint k = 0; k < n_pairs; k++) {
    if (pairs[k].kind == ND_PAIR_QUOTATION)
      continue;
    guint x = find_root(root, pairs[k].a), y = find_root(root, pairs[k].b);
    if (x != y)
      root[MAX(x, y)] = MIN(x, y);
  }
  for (guint i = 0; i < n_docs; i++)
    root[i] = find_root(root, i);

  /* Per document: in a pair at all, and the sum of its Jaccard similarities (rule 1). */
  g_autofree gboolean *paired = g_new0(gboolean, n_docs + 1);
  g_autofree double *centre = g_new0(double, n_docs + 1);
  for (guint k = 0; k < n_pairs; k++) {
    const NdPair *p = &pairs[k];
    if (p->kind == ND_PAIR_QUOTATION)
      continue;
    paired[p->a] = paired[p->b] = TRUE;
    centre[p->a] += p->jaccard;
    centre[p->b] += p->jaccard;
  }
  /* The cluster's origin: by date, else its one dated dateline, else the centre. Computed at each
   * root by one pass keeping the best and the runner-up of each measure. */
  g_autofree guint *earliest = g_new(guint, n_docs + 1), *best_centre = g_new(guint, n_docs + 1);
  g_autofree double *second_centre = g_new(double, n_docs + 1);
  g_autofree guint *members = g_new0(guint, n_docs + 1), *runner_up = g_new(guint, n_docs + 1);
  g_autofree guint *datelined = g_new0(guint, n_docs + 1), *dateline_member = g_new(guint, n_docs + 1);
  g_autofree guint *dated = g_new0(guint, n_docs + 1);
  for (guint i = 0; i < n_docs; i++) {
    earliest[i] = best_centre[i] = dateline_member[i] = runner_up[i] = G_MAXUINT;
    second_centre[i] = -1.0;
  }
  for (guint i = 0; i < n_docs; i++) {
    if (!paired[i])
      continue;
    guint r = root[i];
    members[r]++;
    if (published != NULL && published[i].dated_dateline) {
      datelined[r]++;
      dateline_member[r] = i;
    }
    if (published != NULL && published[i].dated) {
      dated[r]++;
      if (earliest[r] == G_MAXUINT || published[i].utc < published[earliest[r]].utc) {
        runner_up[r] = earliest[r];
        earliest[r] = i;
      } else if (runner_up[r] == G_MAXUINT || published[i].utc < published[runner_up[r]].utc) {
        runner_up[r] = i;
      }
    }
    if (best_centre[r] == G_MAXUINT || centre[i] > centre[best_centre[r]]) {
      if (best_centre[r] != G_MAXUINT)
        second_centre[r] = centre[best_centre[r]];
      best_centre[r] = i;
    } else if (centre[i] > second_centre[r]) {
      second_centre[r] = centre[i];
    }
  }
  /* zeroed, then set below for every document: the analyzer cannot tell the loop covers every root */
  g_autofree guint *cluster_origin = g_new0(guint, n_docs + 1), *cluster_evidence = g_new0(guint, n_docs + 1);
  g_autofree NdSourceBasis *cluster_basis = g_new(NdSourceBasis, n_docs + 1);
  for (guint r = 0; r < n_docs; r++) {
    cluster_origin[r] = cluster_evidence[r] = G_MAXUINT;
    cluster_basis[r] = ND_BASIS_NONE;
    if (root[r] != r || members[r] == 0)
      continue;
    if (datelined[r] == 1)
      cluster_evidence[r] = dateline_member[r];
    else if (members[r] >= 3 && centre[best_centre[r]] >= second_centre[r] + ND_ORIGIN_MARGIN)
      cluster_evidence[r] = best_centre[r];
    /* The earliest date must lead the next one as a pair's dates must (by_date), and every member
     * must have a date: an undated member may be the story's origin (on the generated corpus the
     * earliest dated member of a cluster with an undated one was the source of the pair holding both
     * 78 times and the copy 74: a coin, docs/report.md). */
    gboolean dated_origin = earliest[r] != G_MAXUINT && dated[r] == members[r];
    if (dated_origin && runner_up[r] != G_MAXUINT) {
      NdPair two = { 0 };
      two.a = earliest[r];
      two.b = runner_up[r];
      dated_origin = by_date(&two, published) == earliest[r];
    }
    if (dated_origin) {
      cluster_origin[r] = earliest[r];
      cluster_basis[r] = ND_BASIS_DATE;
    } else if (cluster_evidence[r] != G_MAXUINT) {
      cluster_origin[r] = cluster_evidence[r];
      cluster_basis[r] = ND_BASIS_EVIDENCE;
    }
  }
  if (origin != NULL || origin_basis != NULL)
    for (guint i = 0; i < n_docs; i++) {
      gboolean known = paired[i];
      if (origin != NULL)
        origin[i] = known ? cluster_origin[root[i]] : G_MAXUINT;
      if (origin_basis != NULL)
        origin_basis[i] = known ? cluster_basis[root[i]] : ND_BASIS_NONE;
    }
  if (direction == NULL)
    return;
  for (guint k = 0; k < n_pairs; k++) {
    const NdPair *p = &pairs[k];
    NdDirection d = { G_MAXUINT, ND_BASIS_NONE };
    if (p->kind != ND_PAIR_QUOTATION) {
      guint r = root[p->a], s = by_date(p, published), e = cluster_evidence[r];
      if (s != G_MAXUINT)
        d = (NdDirection){ s, ND_BASIS_DATE };
      else if ((s = by_dateline(p, published)) != G_MAXUINT)
        d = (NdDirection){ s, ND_BASIS_EVIDENCE };
      else if (e != G_MAXUINT && (e == p->a || e == p->b) && members[r] >= 3)
        d = (NdDirection){ e, ND_BASIS_EVIDENCE }; /* the centre of a star of copies */
    }
    direction[k] = d;
  }
}

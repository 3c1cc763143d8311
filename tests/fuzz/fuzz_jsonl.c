/* fuzz_jsonl.c — the JSON Lines reader (input.h: nd_loader_add_jsonl) on an arbitrary file.
 *
 * The input is written to a mkstemp file and loaded into a collection by an NdLoader with one
 * worker thread and an error callback, then loaded again with two workers.
 *
 * Invariants:
 *   - every reported error is in ND_ERROR with a documented code for a record (JSON, BINARY, UTF8,
 *     EMPTY, NO_TOKENS, TOO_LARGE, DUPLICATE_ID) and a non-empty message, and names "PATH:LINE" of a
 *     non-blank line; errors come in line order; nd_loader_finish returns their number;
 *   - documents + skipped = non-blank lines (a line is blank when, without its newline, it is empty
 *     or only spaces, tabs and carriage returns — the loader's trimming);
 *   - so each document belongs to one non-blank line (those without an error, in order); that line,
 *     parsed here with json-glib, is an object whose id field (string or integer) is the document's
 *     id, whose text field is a string, and signing that text with a fresh signer gives the same
 *     document (tokens, set, signature); ids are non-empty and valid UTF-8; an integer id is a number
 *     the line holds, as written (not wrapped to 64 bits, nor read as octal or hexadecimal);
 *   - the document's metadata is NULL when the record has no other fields, otherwise JSON that
 *     parses as an object holding exactly the other fields (this is the one JSON the library itself
 *     writes; the CLI's JSON output is written by the CLI and is not fuzzed in-process);
 *   - a line accepted (or refused only as a duplicate id) is JSON by a reference checker written here
 *     from RFC 8259 (one value, no repeated member names; a byte order mark and raw tabs in strings
 *     allowed, as input.h documents), and a line refused as "malformed JSON" is not (or is nested
 *     deeper than ND_JSON_MAX_DEPTH); the metadata is strict JSON by the same checker;
 *   - a DUPLICATE_ID error is for a line whose id an earlier document has;
 *   - the run with two workers gives the same documents and the same errors (input.h: results do not
 *     depend on the number of threads).
 */
#include "fuzz_common.h"
#include <json-glib/json-glib.h>

typedef struct {
  char *name;
  int code;
  char *message;
} Reported;

static void
reported_clear(gpointer p)
{
  Reported *r = p;
  g_free(r->name);
  g_free(r->message);
}

static void
on_error(const char *input, const GError *error, gpointer user_data)
{
  GArray *errs = user_data;
  FUZZ_CHECK(input != NULL && input[0] != '\0', "error callback without an input name");
  FUZZ_CHECK(error != NULL, "error callback without an error");
  const int codes[] = { ND_ERROR_JSON, ND_ERROR_BINARY, ND_ERROR_UTF8, ND_ERROR_EMPTY, ND_ERROR_NO_TOKENS,
                        ND_ERROR_TOO_LARGE, ND_ERROR_DUPLICATE_ID };
  fuzz_check_error(error, codes, G_N_ELEMENTS(codes), input);
  Reported r = { g_strdup(input), error->code, g_strdup(error->message) };
  g_array_append_val(errs, r);
}

static NdCollection *
load(const char *path, guint threads, const NdSignParams *params, GArray *errs, guint *skipped)
{
  NdCollection *c = nd_collection_new(params);
  NdLoader *l = nd_loader_new(c, threads, FALSE);
  nd_loader_set_error_func(l, on_error, errs);
  nd_loader_add_jsonl(l, path, "id", "text");
  *skipped = nd_loader_finish(l);
  FUZZ_CHECK(!nd_loader_stopped(l), "loader stopped without stop_on_error");
  nd_loader_free(l);
  return c;
}

typedef struct {
  const char *start;
  gsize len; /* without the newline and trailing white space, as the loader trims */
  guint64 lineno;
} Line;

static GArray *
split_lines(const char *data, gsize size)
{
  GArray *lines = g_array_new(FALSE, FALSE, sizeof(Line));
  gsize pos = 0;
  guint64 lineno = 0;
  while (pos < size) {
    const char *nl = memchr(data + pos, '\n', size - pos);
    gsize end = nl ? (gsize)(nl - data) : size;
    lineno++;
    gsize len = end - pos;
    while (len > 0 && (data[pos + len - 1] == '\r' || data[pos + len - 1] == ' ' || data[pos + len - 1] == '\t'))
      len--;
    if (len > 0) {
      Line l = { data + pos, len, lineno };
      g_array_append_val(lines, l);
    }
    pos = nl ? end + 1 : size;
  }
  return lines;
}

static gboolean
same_doc(const NdDocument *a, const NdDocument *b, guint num_perm)
{
  return strcmp(a->id, b->id) == 0 && a->bytes == b->bytes && a->tokens == b->tokens && a->set_size == b->set_size &&
         memcmp(a->signature, b->signature, num_perm * sizeof(guint32)) == 0 &&
         memcmp(a->set, b->set, a->set_size * sizeof(guint32)) == 0 && a->n_anchors == b->n_anchors &&
         memcmp(a->anchors, b->anchors, a->n_anchors * sizeof(guint32)) == 0 && a->n_words == b->n_words &&
         (a->n_words == 0 || memcmp(a->words, b->words, a->n_words * sizeof(guint32)) == 0);
}

/* Whether `number` occurs in the line as a whole number token (json-glib reads integers laxly: one
 * that wraps, or an octal or hexadecimal one, would be an id the line does not hold). */
static gboolean
has_number_token(const char *line, gsize len, const char *number)
{
  gsize n = strlen(number);
  for (const char *p = line; (p = g_strstr_len(p, (gssize)(len - (gsize)(p - line)), number)) != NULL; p++) {
    char before = p > line ? p[-1] : ' ', after = p + n < line + len ? p[n] : ' ';
    gboolean minus_zero = before == '-' && strcmp(number, "0") == 0; /* -0 is the integer 0 */
    if (!g_ascii_isalnum(before) && (before != '-' || minus_zero) && before != '.' && !g_ascii_isalnum(after) &&
        after != '.')
      return TRUE;
  }
  return FALSE;
}

/* A reference JSON checker written from RFC 8259, independent of the loader's iterative one:
 * recursive descent over one value and nothing after it; a \u escape of a surrogate must be a
 * high-low pair; member names, decoded, must be unique within their object (json-glib keeps only the
 * last). Bytes must be valid UTF-8 without NUL. With `lenient`, the loader's two documented
 * exceptions are allowed: a byte order mark before the value and raw control characters (other than
 * NUL) inside strings. Records the deepest nesting in max_depth. */
typedef struct {
  const char *s;
  gsize len, i;
  gboolean lenient;
  guint depth, max_depth;
} RefJson;

static void
ref_ws(RefJson *r)
{
  while (r->i < r->len && strchr(" \t\r\n", r->s[r->i]) != NULL && r->s[r->i] != '\0')
    r->i++;
}

static gint
ref_hex4(RefJson *r)
{
  gint v = 0;
  for (int k = 0; k < 4; k++, r->i++) {
    if (r->i >= r->len || !g_ascii_isxdigit(r->s[r->i]))
      return -1;
    v = v * 16 + g_ascii_xdigit_value(r->s[r->i]);
  }
  return v;
}

/* A string at r->i; its decoded bytes appended to `out` when not NULL. */
static gboolean
ref_string(RefJson *r, GString *out)
{
  if (r->i >= r->len || r->s[r->i] != '"')
    return FALSE;
  for (r->i++; r->i < r->len;) {
    unsigned char c = (unsigned char)r->s[r->i++];
    if (c == '"')
      return TRUE;
    if (c < 0x20 && !r->lenient)
      return FALSE;
    if (c != '\\') {
      if (out)
        g_string_append_c(out, (char)c);
      continue;
    }
    if (r->i >= r->len)
      return FALSE;
    char e = r->s[r->i++];
    const char *simple = strchr("\"\\/bfnrt", e);
    if (simple != NULL && e != '\0') {
      if (out)
        g_string_append_c(out, "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"]);
      continue;
    }
    if (e != 'u')
      return FALSE;
    gint cp = ref_hex4(r);
    if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
      return FALSE;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (r->i + 2 > r->len || r->s[r->i] != '\\' || r->s[r->i + 1] != 'u')
        return FALSE;
      r->i += 2;
      gint low = ref_hex4(r);
      if (low < 0xDC00 || low > 0xDFFF)
        return FALSE;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    if (out)
      g_string_append_unichar(out, (gunichar)cp);
  }
  return FALSE;
}

static gboolean
ref_digits(RefJson *r)
{
  gsize start = r->i;
  while (r->i < r->len && g_ascii_isdigit(r->s[r->i]))
    r->i++;
  return r->i > start;
}

static gboolean
ref_number(RefJson *r)
{
  if (r->i < r->len && r->s[r->i] == '-')
    r->i++;
  if (r->i < r->len && r->s[r->i] == '0')
    r->i++;
  else if (!ref_digits(r))
    return FALSE;
  if (r->i < r->len && r->s[r->i] == '.') {
    r->i++;
    if (!ref_digits(r))
      return FALSE;
  }
  if (r->i < r->len && (r->s[r->i] == 'e' || r->s[r->i] == 'E')) {
    r->i++;
    if (r->i < r->len && (r->s[r->i] == '+' || r->s[r->i] == '-'))
      r->i++;
    if (!ref_digits(r))
      return FALSE;
  }
  return TRUE;
}

static gboolean
ref_value(RefJson *r)
{
  ref_ws(r);
  if (r->i >= r->len)
    return FALSE;
  char c = r->s[r->i];
  if (c == '{' || c == '[') {
    r->max_depth = MAX(r->max_depth, ++r->depth);
    r->i++;
    g_autoptr(GHashTable) names = c == '{' ? g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL) : NULL;
    char close = c == '{' ? '}' : ']';
    ref_ws(r);
    if (r->i < r->len && r->s[r->i] == close) {
      r->i++;
      r->depth--;
      return TRUE;
    }
    for (;;) {
      if (names != NULL) {
        ref_ws(r);
        GString *name = g_string_new(NULL);
        if (!ref_string(r, name)) {
          g_string_free(name, TRUE);
          return FALSE;
        }
        char *key = g_string_free(name, FALSE); /* compared as a C string, as json-glib keeps names */
        if (!g_hash_table_add(names, key))
          return FALSE; /* a repeated name */
        ref_ws(r);
        if (r->i >= r->len || r->s[r->i] != ':')
          return FALSE;
        r->i++;
      }
      if (!ref_value(r))
        return FALSE;
      ref_ws(r);
      if (r->i >= r->len)
        return FALSE;
      if (r->s[r->i] == ',') {
        r->i++;
        continue;
      }
      if (r->s[r->i] != close)
        return FALSE;
      r->i++;
      r->depth--;
      return TRUE;
    }
  }
  if (c == '"')
    return ref_string(r, NULL);
  if (c == '-' || g_ascii_isdigit(c))
    return ref_number(r);
  for (const char *const *w = (const char *const[]){ "true", "false", "null", NULL }; *w != NULL; w++)
    if (r->len - r->i >= strlen(*w) && memcmp(r->s + r->i, *w, strlen(*w)) == 0) {
      r->i += strlen(*w);
      return TRUE;
    }
  return FALSE;
}

/* Whether s[0..len) is one JSON value (see above); *max_depth gets its deepest nesting so far. */
static gboolean
ref_json_valid(const char *s, gsize len, gboolean lenient, guint *max_depth)
{
  RefJson r = { s, len, 0, lenient, 0, 0 };
  if (memchr(s, '\0', len) != NULL || !g_utf8_validate(s, (gssize)len, NULL))
    return FALSE;
  if (lenient && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
    r.i = 3;
  gboolean ok = ref_value(&r);
  ref_ws(&r);
  *max_depth = r.max_depth;
  return ok && r.i == len;
}

/* The metadata must be exactly the record's other members. */
static void
check_meta(const NdDocument *doc, JsonObject *record)
{
  guint others = 0;
  g_autoptr(GList) members = json_object_get_members(record);
  for (GList *m = members; m != NULL; m = m->next)
    if (strcmp(m->data, "id") != 0 && strcmp(m->data, "text") != 0)
      others++;
  if (others == 0) {
    FUZZ_CHECK(doc->meta == NULL, "metadata '%s' for a record without other fields", doc->meta);
    return;
  }
  FUZZ_CHECK(doc->meta != NULL, "no metadata for a record with %u other fields", others);
  FUZZ_CHECK(g_utf8_validate(doc->meta, -1, NULL) || fuzz_known("jsonl-lone-surrogate"), "metadata is not valid UTF-8");
  guint meta_depth;
  FUZZ_CHECK(ref_json_valid(doc->meta, strlen(doc->meta), FALSE, &meta_depth), "metadata is not strict JSON: %s",
             doc->meta);
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;
  FUZZ_CHECK(json_parser_load_from_data(parser, doc->meta, -1, &error), "metadata does not parse: %s (%s)",
             error ? error->message : "", doc->meta);
  JsonNode *root = json_parser_get_root(parser);
  FUZZ_CHECK(root != NULL && JSON_NODE_HOLDS_OBJECT(root), "metadata is not an object: %s", doc->meta);
  JsonObject *meta = json_node_get_object(root);
  FUZZ_CHECK(!json_object_has_member(meta, "id") && !json_object_has_member(meta, "text"),
             "metadata repeats the id or text: %s", doc->meta);
  FUZZ_CHECK(json_object_get_size(meta) == others, "metadata has %u members, the record %u others: %s",
             json_object_get_size(meta), others, doc->meta);
  for (GList *m = members; m != NULL; m = m->next) {
    if (strcmp(m->data, "id") == 0 || strcmp(m->data, "text") == 0)
      continue;
    JsonNode *want = json_object_get_member(record, m->data), *got = json_object_get_member(meta, m->data);
    FUZZ_CHECK(got != NULL, "metadata lacks member '%s'", (const char *)m->data);
    FUZZ_CHECK(json_node_get_node_type(want) == json_node_get_node_type(got), "member '%s' changed type",
               (const char *)m->data);
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *path = fuzz_write_temp(data, size, ".jsonl");
  NdSignParams params;
  nd_sign_params_init(&params);
  params.text_flags = (size & 1) ? ND_TEXT_LOSSY : ND_TEXT_DEFAULT;

  g_autoptr(GArray) errs1 = g_array_new(FALSE, FALSE, sizeof(Reported));
  g_array_set_clear_func(errs1, reported_clear);
  guint skipped1 = 0;
  g_autoptr(NdCollection) c1 = load(path, 1, &params, errs1, &skipped1);

  g_autoptr(GArray) lines = split_lines((const char *)data, size);
  FUZZ_CHECK(skipped1 == errs1->len, "nd_loader_finish says %u skipped, %u were reported", skipped1, errs1->len);
  FUZZ_CHECK(nd_collection_size(c1) + skipped1 == lines->len, "%u documents + %u skipped != %u non-blank lines",
             nd_collection_size(c1), skipped1, lines->len);

  /* Which lines failed: names are PATH:LINE, in line order. */
  g_autoptr(GHashTable) failed = g_hash_table_new(g_int64_hash, g_int64_equal);
  g_autofree guint64 *failed_lines = g_new0(guint64, errs1->len + 1);
  g_autofree char *prefix = g_strconcat(path, ":", NULL);
  for (guint e = 0; e < errs1->len; e++) {
    const Reported *r = &g_array_index(errs1, Reported, e);
    FUZZ_CHECK(g_str_has_prefix(r->name, prefix), "error names '%s', not %sLINE", r->name, prefix);
    guint64 lineno = 0;
    FUZZ_CHECK(g_ascii_string_to_unsigned(r->name + strlen(prefix), 10, 1, G_MAXUINT64, &lineno, NULL),
               "error names '%s'", r->name);
    FUZZ_CHECK(e == 0 || lineno > failed_lines[e - 1], "errors out of line order at %s", r->name);
    failed_lines[e] = lineno;
    g_hash_table_add(failed, &failed_lines[e]);
  }

  /* Each document is the next non-blank line without an error; check it against that line. */
  g_autoptr(NdSigner) signer = nd_signer_new(&params);
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GHashTable) ids = g_hash_table_new(g_str_hash, g_str_equal);
  guint d = 0;
  for (guint i = 0; i < lines->len; i++) {
    const Line *ln = &g_array_index(lines, Line, i);
    gboolean is_failed = g_hash_table_contains(failed, &ln->lineno);
    const Reported *rep = NULL;
    if (is_failed)
      for (guint e = 0; e < errs1->len; e++)
        if (failed_lines[e] == ln->lineno)
          rep = &g_array_index(errs1, Reported, e);
    guint depth = 0;
    gboolean valid = ref_json_valid(ln->start, ln->len, TRUE, &depth);
    if (is_failed && g_str_has_prefix(rep->message, "malformed JSON"))
      FUZZ_CHECK(!valid || depth > ND_JSON_MAX_DEPTH, "line %" G_GUINT64_FORMAT " is JSON, refused as '%s'",
                 ln->lineno, rep->message);
    if (is_failed && g_str_has_prefix(rep->message, "an object in the record has the same member name twice"))
      FUZZ_CHECK(!valid, "line %" G_GUINT64_FORMAT " repeats no member name, refused as '%s'", ln->lineno,
                 rep->message);
    if (is_failed && rep->code != ND_ERROR_DUPLICATE_ID)
      continue;
    FUZZ_CHECK(valid, "line %" G_GUINT64_FORMAT " was accepted but is not JSON (or repeats a member name)",
               ln->lineno);
    /* A document, or a duplicate of one: the line must be a record with an id and a text. */
    FUZZ_CHECK(json_parser_load_from_data(parser, ln->start, (gssize)ln->len, NULL), "line %" G_GUINT64_FORMAT
               " was accepted but does not parse", ln->lineno);
    JsonNode *root = json_parser_get_root(parser);
    FUZZ_CHECK(root != NULL && JSON_NODE_HOLDS_OBJECT(root), "line %" G_GUINT64_FORMAT " accepted, not an object",
               ln->lineno);
    JsonObject *obj = json_node_get_object(root);
    JsonNode *idn = json_object_get_member(obj, "id"), *txn = json_object_get_member(obj, "text");
    FUZZ_CHECK(idn != NULL && JSON_NODE_HOLDS_VALUE(idn), "line %" G_GUINT64_FORMAT " accepted without an id", ln->lineno);
    g_autofree char *id = NULL;
    if (json_node_get_value_type(idn) == G_TYPE_STRING)
      id = g_strdup(json_node_get_string(idn));
    else if (json_node_get_value_type(idn) == G_TYPE_INT64)
      id = g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(idn));
    FUZZ_CHECK(id != NULL, "line %" G_GUINT64_FORMAT " accepted with an id that is not a string or integer", ln->lineno);
    FUZZ_CHECK(json_node_get_value_type(idn) != G_TYPE_INT64 || has_number_token(ln->start, ln->len, id),
               "line %" G_GUINT64_FORMAT ": integer id read as %s, which the line does not hold (wrapped, octal or "
               "hexadecimal?)", ln->lineno, id);
    FUZZ_CHECK(txn != NULL && JSON_NODE_HOLDS_VALUE(txn) && json_node_get_value_type(txn) == G_TYPE_STRING,
               "line %" G_GUINT64_FORMAT " accepted without a string text", ln->lineno);
    if (is_failed) {
      FUZZ_CHECK(g_hash_table_contains(ids, id), "line %" G_GUINT64_FORMAT ": duplicate id '%s' not seen before",
                 ln->lineno, id);
      continue;
    }
    FUZZ_CHECK(d < nd_collection_size(c1), "more accepted lines than documents");
    const NdDocument *doc = nd_collection_get(c1, d++);
    FUZZ_CHECK(strcmp(doc->id, id) == 0, "document %u has id '%s', its line %" G_GUINT64_FORMAT " says '%s'", d - 1,
               doc->id, ln->lineno, id);
    FUZZ_CHECK(doc->id[0] != '\0' || fuzz_known("jsonl-empty-id"), "line %" G_GUINT64_FORMAT ": document with an "
               "empty id", ln->lineno);
    FUZZ_CHECK(g_utf8_validate(doc->id, -1, NULL) || fuzz_known("jsonl-lone-surrogate"), "line %" G_GUINT64_FORMAT
               ": id is not valid UTF-8", ln->lineno);
    FUZZ_CHECK(!g_hash_table_contains(ids, doc->id), "id '%s' twice in the collection", doc->id);
    g_hash_table_add(ids, doc->id);
    const char *text = json_node_get_string(txn);
    g_autoptr(NdDocument) ref = nd_signer_sign(signer, doc->id, text, strlen(text), NULL);
    FUZZ_CHECK(ref != NULL, "line %" G_GUINT64_FORMAT ": its text does not sign on its own", ln->lineno);
    FUZZ_CHECK(same_doc(doc, ref, params.num_perm), "line %" G_GUINT64_FORMAT ": document differs from signing its "
               "text", ln->lineno);
    check_meta(doc, obj);
  }
  FUZZ_CHECK(d == nd_collection_size(c1), "%u documents, %u accepted lines", nd_collection_size(c1), d);

  /* Same again with two workers: same documents, same errors. */
  g_autoptr(GArray) errs2 = g_array_new(FALSE, FALSE, sizeof(Reported));
  g_array_set_clear_func(errs2, reported_clear);
  guint skipped2 = 0;
  g_autoptr(NdCollection) c2 = load(path, 2, &params, errs2, &skipped2);
  FUZZ_CHECK(skipped2 == skipped1 && errs2->len == errs1->len && nd_collection_size(c2) == nd_collection_size(c1),
             "two workers: %u documents/%u errors, one worker: %u/%u", nd_collection_size(c2), errs2->len,
             nd_collection_size(c1), errs1->len);
  for (guint e = 0; e < errs1->len; e++) {
    const Reported *x = &g_array_index(errs1, Reported, e), *y = &g_array_index(errs2, Reported, e);
    FUZZ_CHECK(strcmp(x->name, y->name) == 0 && x->code == y->code && strcmp(x->message, y->message) == 0,
               "error %u differs between runs: %s / %s", e, x->message, y->message);
  }
  for (guint i = 0; i < nd_collection_size(c1); i++) {
    const NdDocument *x = nd_collection_get(c1, i), *y = nd_collection_get(c2, i);
    FUZZ_CHECK(same_doc(x, y, params.num_perm) && g_strcmp0(x->meta, y->meta) == 0, "document %u differs between runs",
               i);
  }

  g_unlink(path);
  g_free(path);
  return 0;
}

/* _neardup.c — the CPython extension behind `import neardup`: a client of libneardup's public API
 * (include/neardup/), linked to the shared library, holding no algorithm of its own.
 *
 * Key design choice: Python objects go in, the library's calls run without the GIL. Texts are pinned
 * (a reference to the str or bytes is held and its UTF-8 buffer read in place, never copied), so
 * signing a stream of (id, text) items is a pipeline: the calling thread pulls items from the Python
 * iterable (running the user's generator, json.loads ...) and hands batches to GLib worker threads,
 * which sign them without the GIL while the next items are being pulled; signed batches are merged
 * back strictly in input order, so results do not depend on the number of threads. Long calls
 * (finding pairs, diffs, index queries and adds) release the GIL; finding pairs runs on a helper
 * thread so that Ctrl-C cancels it through the library's cancel flag.
 *
 * Thread safety: every object that wraps a library handle (a collection, an index, a signer's pool)
 * has a mutex; a call holds it while it uses the handle, taking it with the GIL released, so two
 * Python threads never use one handle at once and never deadlock on the GIL. A call that re-enters
 * the same object from its own thread (a generator feeding extend() that calls pairs()) gets a
 * RuntimeError instead of a deadlock.
 *
 * Errors: every GError in the ND_ERROR domain becomes an instance of the exception class of its
 * code (neardup.Error subclasses, table below), with the article's id prefixed to the message and
 * kept as the exception's `id` attribute.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <neardup/neardup.h>
#include <string.h>

#define MODULE "neardup"
#define BATCH_ITEMS 64              /* items per batch handed to a signing worker ... */
#define BATCH_BYTES ((gsize)1 << 20) /* ... or fewer when they hold this much text */
#define BATCHES_PER_WORKER 3         /* in flight at most: bounds the texts held */
#define EXACT_LIMIT 100000           /* Collection(exact_limit=): the tool's --exact-limit default */

/* ------------------------------------------------------------------------------------------------ */
/* Exceptions: one class per ND_ERROR code, all under neardup.Error; some also derive from the
 * built-in class a Python user would catch for the same trouble. Names avoid the built-ins' names
 * (IndexError, IOError). Codes keep their numbers (error.h), so this table only grows. */

typedef struct {
  int code;
  const char *name;
  const char *base; /* a built-in also derived from, or NULL */
  const char *doc;
} ErrorClassSpec;

static const ErrorClassSpec error_specs[] = {
  { ND_ERROR_IO, "ReadError", "OSError", "A file or directory could not be opened or read." },
  { ND_ERROR_EMPTY, "EmptyError", "ValueError", "The article has no text (empty, or only whitespace)." },
  { ND_ERROR_NO_TOKENS, "NoTokensError", "ValueError", "The article has text but no word or character to compare." },
  { ND_ERROR_BINARY, "BinaryError", "ValueError", "The text contains NUL bytes: not a text." },
  { ND_ERROR_UTF8, "UTF8Error", "ValueError", "Invalid UTF-8 (the message gives the byte offset)." },
  { ND_ERROR_TOO_LARGE, "TooLargeError", "ValueError", "The article is larger than the configured maximum." },
  { ND_ERROR_JSON, "JSONError", "ValueError", "A JSON Lines record is malformed or lacks the id/text field." },
  { ND_ERROR_DUPLICATE_ID, "DuplicateIdError", "ValueError", "Two articles carry the same id." },
  { ND_ERROR_INVALID_ARG, "InvalidArgumentError", "ValueError", "A parameter is out of range." },
  { ND_ERROR_NOT_FOUND, "NotFoundError", "LookupError", "A path, or an archived article, does not exist." },
  { ND_ERROR_INDEX, "IndexFileError", NULL,
    "The index is not a neardup index, is corrupt, has a newer format, or a write failed." },
  { ND_ERROR_INDEX_BUSY, "IndexBusyError", NULL, "Another process is writing the index." },
  { ND_ERROR_CANCELLED, "CancelledError", NULL, "The call was cancelled." },
  { ND_ERROR_FORMAT, "FormatError", "ValueError", "A WARC record or its HTTP message is malformed or truncated." },
  { ND_ERROR_DATE, "DateError", "ValueError", "A date that is not one of the forms the library reads." },
  { ND_ERROR_TOO_MANY_TOKENS, "TooManyTokensError", "ValueError",
    "The article has more words (or characters) than the configured maximum." },
};

#define N_CODES (ND_ERROR_TOO_MANY_TOKENS + 1)
static PyObject *Error;            /* neardup.Error */
static PyObject *error_by_code[N_CODES];
static PyObject *IndexWarning;     /* neardup.IndexWarning: a corrupt archived row was skipped */

/* A new exception instance for `e` (a new reference), message prefixed by `id` when not NULL. */
static PyObject *
error_new(const GError *e, const char *id)
{
  PyObject *cls = Error;
  if (e->domain == ND_ERROR && e->code > 0 && e->code < N_CODES && error_by_code[e->code] != NULL)
    cls = error_by_code[e->code];
  PyObject *msg = id != NULL ? PyUnicode_FromFormat("%s: %s", id, e->message) : PyUnicode_FromString(e->message);
  if (msg == NULL)
    return NULL;
  PyObject *exc = PyObject_CallOneArg(cls, msg);
  Py_DECREF(msg);
  if (exc == NULL)
    return NULL;
  PyObject *idobj = id != NULL ? PyUnicode_DecodeUTF8(id, (Py_ssize_t)strlen(id), "surrogateescape") : Py_NewRef(Py_None);
  if (idobj == NULL || PyObject_SetAttrString(exc, "id", idobj) < 0) {
    Py_XDECREF(idobj);
    Py_DECREF(exc);
    return NULL;
  }
  Py_DECREF(idobj);
  return exc;
}

/* Raises `e` (about article `id`, or NULL); returns NULL for `return raise_error(...)`. */
static PyObject *
raise_error(const GError *e, const char *id)
{
  PyObject *exc = error_new(e, id);
  if (exc != NULL) {
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
  }
  return NULL;
}

/* Raises a library-style error of `code` with a message of our own (argument checks). */
static PyObject *
raise_code(int code, const char *message)
{
  g_autoptr(GError) e = g_error_new_literal(ND_ERROR, code, message);
  return raise_error(e, NULL);
}

/* The position of `value` in names[0..n), or -1 with InvalidArgumentError naming `what`. */
static int
choice_from(const char *value, const char *const *names, int n, const char *what)
{
  for (int i = 0; i < n; i++)
    if (strcmp(value, names[i]) == 0)
      return i;
  g_autoptr(GString) msg = g_string_new(NULL);
  g_string_printf(msg, "%s must be ", what);
  for (int i = 0; i < n; i++)
    g_string_append_printf(msg, "%s'%s'", i == 0 ? "" : i == n - 1 ? " or " : ", ", names[i]);
  raise_code(ND_ERROR_INVALID_ARG, msg->str);
  return -1;
}

/* ------------------------------------------------------------------------------------------------ */
/* A per-object lock, taken with the GIL released (see the top of the file). */

typedef struct {
  GMutex mutex;
  unsigned long owner; /* ident of the thread holding it, 0 when free; read and written under the GIL */
} ObjLock;

static int
objlock_acquire(ObjLock *l, const char *what)
{
  unsigned long me = PyThread_get_thread_ident();
  if (l->owner == me) {
    PyErr_Format(PyExc_RuntimeError, "this %s is in use by a call in progress in this thread", what);
    return -1;
  }
  if (!g_mutex_trylock(&l->mutex)) {
    Py_BEGIN_ALLOW_THREADS
    g_mutex_lock(&l->mutex);
    Py_END_ALLOW_THREADS
  }
  l->owner = me;
  return 0;
}

static void
objlock_release(ObjLock *l)
{
  l->owner = 0;
  g_mutex_unlock(&l->mutex);
}

/* ------------------------------------------------------------------------------------------------ */
/* Struct sequences: the results (named tuples built in C). */

static PyTypeObject *ScoresType, *PairType, *PassageType, *DiffType, *MatchType, *IndexStatsType;

static PyStructSequence_Field scores_fields[] = {
  { "jaccard", "|A ∩ B| / |A ∪ B| over shingle sets" },
  { "containment_a_in_b", "|A ∩ B| / |A|: the share of A's text found in B" },
  { "containment_b_in_a", "|A ∩ B| / |B|" },
  { "shared", "|A ∩ B|: shingles in both (estimated from signatures by estimate())" },
  { "passage_a_in_b", "share of A's passage anchors found in B (text in shared runs of 6+ words)" },
  { "passage_b_in_a", "share of B's passage anchors found in A" },
  { NULL, NULL },
};
static PyStructSequence_Desc scores_desc = {
  MODULE ".Scores",
  "Scores(jaccard, containment_a_in_b, containment_b_in_a, shared): how much two texts share;\n"
  "passage_a_in_b and passage_b_in_a are attributes too.",
  scores_fields, 4,
};

static PyStructSequence_Field pair_fields[] = {
  { "a", "id of the earlier article (input order)" },
  { "b", "id of the later article" },
  { "jaccard", "|A ∩ B| / |A ∪ B| over shingle sets" },
  { "containment_a_in_b", "|A ∩ B| / |A|: the share of A's text found in B" },
  { "containment_b_in_a", "|A ∩ B| / |B|" },
  { "shared", "|A ∩ B|: shingles in both" },
  { "kind", "'near-duplicate' (jaccard >= threshold), 'reuse' (containment >= containment) or 'rewrite' "
            "(reported on the score)" },
  { "a_index", "position of a in the collection (0-based)" },
  { "b_index", "position of b in the collection" },
  { "score", "the reuse score (include/neardup/score.h): the evidence that one took from the other" },
  { "passage_a_in_b", "share of a's passage anchors found in b: its text in shared runs of 6+ words" },
  { "passage_b_in_a", "share of b's passage anchors found in a" },
  { "vocabulary_a_in_b", "rarity-weighted share of a's distinct words found in b, or None without batch statistics" },
  { "vocabulary_b_in_a", "the same for b in a, or None" },
  { NULL, NULL },
};
static PyStructSequence_Desc pair_desc = {
  MODULE ".Pair",
  "A reported pair: ids a and b (a first in input order), their scores and kind, as `neardup pairs`\n"
  "reports them. A tuple of (a, b, jaccard, containment_a_in_b, containment_b_in_a, shared, kind);\n"
  "a_index, b_index, score, passage_a_in_b, passage_b_in_a, vocabulary_a_in_b and vocabulary_b_in_a\n"
  "are attributes too.",
  pair_fields, 7,
};

static PyStructSequence_Field passage_fields[] = {
  { "a_start", "start of the passage in text A, in characters (bytes for a bytes input)" },
  { "a_end", "end (exclusive) in A, in characters: a[a_start:a_end] is the passage" },
  { "b_start", "start in B, in characters" },
  { "b_end", "end (exclusive) in B, in characters" },
  { "score", "(a_matched + b_matched) / (a_tokens + b_tokens): the share aligned exactly" },
  { "a_byte_start", "start in A's UTF-8 bytes" },
  { "a_byte_end", "end (exclusive) in A's UTF-8 bytes" },
  { "b_byte_start", "start in B's UTF-8 bytes" },
  { "b_byte_end", "end (exclusive) in B's UTF-8 bytes" },
  { "a_tokens", "words (or characters, tokens='chars') of A in the passage" },
  { "b_tokens", "words of B in the passage" },
  { "a_matched", "words of A's span aligned exactly" },
  { "b_matched", "words of B's span aligned exactly" },
  { "kind", "'verbatim' (seed and chain: mostly the same words in order) or 'rewritten' (an aligned sentence)" },
  { NULL, NULL },
};
static PyStructSequence_Desc passage_desc = {
  MODULE ".Passage",
  "A passage two texts share: character offsets [start, end) into each Python string, the same\n"
  "spans in UTF-8 bytes, word counts and a score; `kind` ('verbatim' or 'rewritten') is an\n"
  "attribute too.",
  passage_fields, 13,
};

static PyStructSequence_Field diff_fields[] = {
  { "passages", "list of Passage, in order of A" },
  { "a_tokens", "words in A" },
  { "b_tokens", "words in B" },
  { "a_coverage", "share of A's words inside some passage" },
  { "b_coverage", "share of B's words inside some passage" },
  { NULL, NULL },
};
static PyStructSequence_Desc diff_desc = {
  MODULE ".Diff", "Diff(passages, a_tokens, b_tokens, a_coverage, b_coverage): what two texts share.",
  diff_fields, 5,
};

static PyStructSequence_Field match_fields[] = {
  { "id", "the archived article's id" },
  { "jaccard", "|Q ∩ A| / |Q ∪ A|, Q the query, A the archived article" },
  { "containment_a_in_b", "the share of the query's text found in the archived article" },
  { "containment_b_in_a", "the share of the archived article's text found in the query" },
  { "shared", "shingles in both" },
  { "bytes", "size of the archived article's text in bytes" },
  { "metadata", "its metadata (dict), or None" },
  { "group", "the archived article's group" },
  { "kept", "True when it is its group's kept article" },
  { NULL, NULL },
};
static PyStructSequence_Desc match_desc = {
  MODULE ".Match",
  "An archived article a query matches, with its scores (a = the query, b = the archived one).\n"
  "A tuple of (id, jaccard, containment_a_in_b, containment_b_in_a, shared, bytes, metadata); group\n"
  "and kept are attributes too.",
  match_fields, 7,
};

static PyStructSequence_Field index_stats_fields[] = {
  { "articles", "archived articles" },
  { "text_bytes", "total size of their texts" },
  { "file_bytes", "size of the database (pages in use)" },
  { "band_keys", "LSH band key postings" },
  { "anchors", "passage anchor postings" },
  { "format_version", "the index format" },
  { "groups", "groups of near-duplicates" },
  { "kept", "articles that are their group's kept article" },
  { "texts", "articles whose text is stored" },
  { "batches", "adds (batches) made" },
  { NULL, NULL },
};
static PyStructSequence_Desc index_stats_desc = {
  MODULE ".IndexStats", "What an index holds.", index_stats_fields, 10,
};

static PyObject *
scores_new(const NdPair *p)
{
  PyObject *s = PyStructSequence_New(ScoresType);
  if (s == NULL)
    return NULL;
  PyStructSequence_SET_ITEM(s, 0, PyFloat_FromDouble(p->jaccard));
  PyStructSequence_SET_ITEM(s, 1, PyFloat_FromDouble(p->containment_a_in_b));
  PyStructSequence_SET_ITEM(s, 2, PyFloat_FromDouble(p->containment_b_in_a));
  PyStructSequence_SET_ITEM(s, 3, PyLong_FromUnsignedLong(p->shared));
  PyStructSequence_SET_ITEM(s, 4, PyFloat_FromDouble(p->passage_a_in_b));
  PyStructSequence_SET_ITEM(s, 5, PyFloat_FromDouble(p->passage_b_in_a));
  if (PyErr_Occurred()) {
    Py_DECREF(s);
    return NULL;
  }
  return s;
}

/* ------------------------------------------------------------------------------------------------ */
/* Arguments shared by several calls. */

/* Signing parameters from keyword values; FALSE with an exception set. */
static gboolean
sign_params_from(NdSignParams *p, const char *shingle, Py_ssize_t num_perm, PyObject *seed, int lossy,
                 Py_ssize_t max_bytes, int keep_text)
{
  nd_sign_params_init(p);
  g_autoptr(GError) e = NULL;
  if (shingle != NULL && !nd_shingle_spec_parse(shingle, &p->shingle, &e)) {
    raise_error(e, NULL);
    return FALSE;
  }
  if (num_perm < 0 || num_perm > G_MAXUINT) {
    raise_code(ND_ERROR_INVALID_ARG, "num_perm is out of range");
    return FALSE;
  }
  p->num_perm = (guint)num_perm;
  if (seed != NULL) {
    unsigned long long s = PyLong_AsUnsignedLongLong(seed);
    if (s == (unsigned long long)-1 && PyErr_Occurred())
      return FALSE;
    p->seed = s;
  }
  p->text_flags = lossy ? ND_TEXT_LOSSY : ND_TEXT_DEFAULT;
  if (max_bytes < 1) {
    raise_code(ND_ERROR_INVALID_ARG, "max_bytes must be at least 1");
    return FALSE;
  }
  p->max_bytes = (gsize)max_bytes;
  p->keep_text = keep_text != 0;
  /* Band keys for the default threshold are computed by the signing workers, in parallel, as the
   * tool does; pairs() at another threshold bands the signatures itself. */
  NdLshParams lsh;
  if (nd_lsh_params_for(ND_DEFAULT_THRESHOLD, p->num_perm, ND_LSH_FN_WEIGHT, &lsh, NULL)) {
    p->lsh_bands = lsh.bands;
    p->lsh_rows = lsh.rows;
  }
  if (!nd_sign_params_validate(p, &e)) {
    raise_error(e, NULL);
    return FALSE;
  }
  return TRUE;
}

/* Report-rule options from keyword values; FALSE with an exception set. */
static gboolean
find_options_from(NdFindOptions *o, double threshold, double containment, double score, Py_ssize_t min_shared,
                  const char *verify, Py_ssize_t threads)
{
  nd_find_options_init(o);
  o->threshold = threshold;
  o->containment = containment;
  o->score = score;
  if (min_shared < 1 || min_shared > G_MAXUINT) {
    raise_code(ND_ERROR_INVALID_ARG, "min_shared must be at least 1");
    return FALSE;
  }
  o->min_shared = (guint)min_shared;
  if (threads < 0 || threads > 1024) {
    raise_code(ND_ERROR_INVALID_ARG, "threads must be between 0 (one per processor) and 1024");
    return FALSE;
  }
  o->threads = (guint)threads;
  /* 'auto' is exact here; a collection that went lean (exact_limit) turns it into sampling. */
  if (verify == NULL || strcmp(verify, "auto") == 0 || strcmp(verify, "exact") == 0) {
    o->verify = ND_VERIFY_EXACT;
  } else if (strcmp(verify, "sample") == 0) {
    o->verify = ND_VERIFY_SAMPLE;
  } else if (strcmp(verify, "signature") == 0) {
    o->verify = ND_VERIFY_SIGNATURE;
  } else {
    raise_code(ND_ERROR_INVALID_ARG, "verify must be 'auto', 'exact', 'sample' or 'signature'");
    return FALSE;
  }
  g_autoptr(GError) e = NULL;
  if (!nd_find_options_validate(o, &e)) {
    raise_error(e, NULL);
    return FALSE;
  }
  return TRUE;
}

/* What signing parameters two documents must share to be compared. */
typedef struct {
  NdShingleSpec shingle;
  guint num_perm;
  guint64 seed;
} SignKey;

static SignKey
sign_key(const NdSignParams *p)
{
  SignKey k = { p->shingle, p->num_perm, p->seed };
  return k;
}

static gboolean
sign_key_equal(const SignKey *a, const SignKey *b)
{
  return a->shingle.mode == b->shingle.mode && a->shingle.k == b->shingle.k && a->num_perm == b->num_perm &&
         a->seed == b->seed;
}

/* The UTF-8 bytes of a str (in place: CPython caches them in the object) or a bytes object. *is_str
 * tells which. The pointer lives as long as `obj`. NULL with TypeError for anything else. */
static const char *
text_bytes(PyObject *obj, gsize *len, gboolean *is_str, const char *what)
{
  if (PyUnicode_Check(obj)) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(obj, &n);
    if (s == NULL)
      return NULL;
    *len = (gsize)n;
    *is_str = TRUE;
    return s;
  }
  if (PyBytes_Check(obj)) {
    *len = (gsize)PyBytes_GET_SIZE(obj);
    *is_str = FALSE;
    return PyBytes_AS_STRING(obj);
  }
  PyErr_Format(PyExc_TypeError, "%s must be str or bytes, not %.100s", what, Py_TYPE(obj)->tp_name);
  return NULL;
}

/* An id: a str, or an int written in decimal (as JSON Lines integer ids are). Newly allocated. */
static char *
id_from(PyObject *obj)
{
  if (PyUnicode_Check(obj)) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(obj, &n);
    if (s == NULL)
      return NULL;
    if (memchr(s, '\0', (size_t)n) != NULL) {
      raise_code(ND_ERROR_INVALID_ARG, "an id must not contain a NUL character");
      return NULL;
    }
    return g_strndup(s, (gsize)n);
  }
  if (PyLong_Check(obj) && !PyBool_Check(obj)) {
    PyObject *s = PyObject_Str(obj);
    if (s == NULL)
      return NULL;
    char *id = g_strdup(PyUnicode_AsUTF8(s));
    Py_DECREF(s);
    return id;
  }
  PyErr_Format(PyExc_TypeError, "an id must be str or int, not %.100s", Py_TYPE(obj)->tp_name);
  return NULL;
}

static PyObject *json_dumps, *json_loads; /* json.dumps and json.loads, imported at module init */

/* Metadata as a JSON object text: None gives NULL (no metadata), a dict is written by json.dumps.
 * *failed is set (with an exception) on error. */
static char *
metadata_from(PyObject *obj, gboolean *failed)
{
  *failed = FALSE;
  if (obj == NULL || obj == Py_None)
    return NULL;
  if (!PyDict_Check(obj)) {
    PyErr_Format(PyExc_TypeError, "metadata must be a dict or None, not %.100s", Py_TYPE(obj)->tp_name);
    *failed = TRUE;
    return NULL;
  }
  PyObject *s = PyObject_CallOneArg(json_dumps, obj);
  if (s == NULL) {
    *failed = TRUE;
    return NULL;
  }
  const char *u = PyUnicode_AsUTF8(s);
  char *meta = u != NULL ? g_strdup(u) : NULL;
  Py_DECREF(s);
  *failed = meta == NULL;
  return meta;
}

/* A JSON object text as a dict (json.loads), or None for NULL. */
static PyObject *
metadata_to_python(const char *meta)
{
  if (meta == NULL)
    Py_RETURN_NONE;
  PyObject *s = PyUnicode_DecodeUTF8(meta, (Py_ssize_t)strlen(meta), "surrogateescape");
  if (s == NULL)
    return NULL;
  PyObject *d = PyObject_CallOneArg(json_loads, s);
  Py_DECREF(s);
  return d;
}

static PyObject *
str_from_utf8(const char *s)
{
  return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "surrogateescape");
}

/* ------------------------------------------------------------------------------------------------ */
/* Document */

typedef struct {
  PyObject_HEAD
  NdDocument *doc;  /* owned when owner is NULL */
  PyObject *owner;  /* the Collection holding doc, or NULL */
  SignKey key;
} DocumentObject;

static PyTypeObject DocumentType;

static PyObject *
document_wrap(NdDocument *doc, PyObject *owner, const SignKey *key)
{
  DocumentObject *d = PyObject_New(DocumentObject, &DocumentType);
  if (d == NULL) {
    if (owner == NULL)
      nd_document_free(doc);
    return NULL;
  }
  d->doc = doc;
  d->owner = Py_XNewRef(owner);
  d->key = *key;
  return (PyObject *)d;
}

static void
document_dealloc(DocumentObject *self)
{
  if (self->owner != NULL)
    Py_DECREF(self->owner);
  else
    nd_document_free(self->doc);
  PyObject_Free(self);
}

static PyObject *
document_get_id(DocumentObject *self, void *closure)
{
  (void)closure;
  return str_from_utf8(self->doc->id);
}

static PyObject *
document_get_bytes(DocumentObject *self, void *closure)
{
  (void)closure;
  return PyLong_FromUnsignedLongLong(self->doc->bytes);
}

static PyObject *
document_get_tokens(DocumentObject *self, void *closure)
{
  (void)closure;
  return PyLong_FromUnsignedLong(self->doc->tokens);
}

static PyObject *
document_get_shingles(DocumentObject *self, void *closure)
{
  (void)closure;
  return PyLong_FromUnsignedLong(self->doc->set_size);
}

static PyObject *
document_get_signature(DocumentObject *self, void *closure)
{
  (void)closure;
  if (self->doc->signature == NULL)
    Py_RETURN_NONE;
  PyObject *t = PyTuple_New(self->key.num_perm);
  for (guint i = 0; t != NULL && i < self->key.num_perm; i++) {
    PyObject *v = PyLong_FromUnsignedLong(self->doc->signature[i]);
    if (v == NULL) {
      Py_CLEAR(t);
      break;
    }
    PyTuple_SET_ITEM(t, i, v);
  }
  return t;
}

static PyObject *
document_get_metadata(DocumentObject *self, void *closure)
{
  (void)closure;
  return metadata_to_python(self->doc->meta);
}

static PyObject *
document_get_text(DocumentObject *self, void *closure)
{
  (void)closure;
  if (self->doc->text == NULL)
    Py_RETURN_NONE;
  return PyUnicode_DecodeUTF8(self->doc->text, (Py_ssize_t)self->doc->bytes, "surrogateescape");
}

static PyObject *
document_get_shingle(DocumentObject *self, void *closure)
{
  (void)closure;
  g_autofree char *s = nd_shingle_spec_to_string(&self->key.shingle);
  return PyUnicode_FromString(s);
}

static PyGetSetDef document_getset[] = {
  { "id", (getter)document_get_id, NULL, "The article's id (str).", NULL },
  { "bytes", (getter)document_get_bytes, NULL, "Length of the text in UTF-8 bytes.", NULL },
  { "tokens", (getter)document_get_tokens, NULL, "Number of words (characters with shingle='chars:K').", NULL },
  { "shingles", (getter)document_get_shingles, NULL, "Number of distinct shingles (exact).", NULL },
  { "signature", (getter)document_get_signature, NULL, "The MinHash signature: a tuple of num_perm 32-bit ints.", NULL },
  { "metadata", (getter)document_get_metadata, NULL, "The metadata given with the text (a dict), or None.", NULL },
  { "text", (getter)document_get_text, NULL, "The text, when kept (keep_text=True), else None.", NULL },
  { "shingle", (getter)document_get_shingle, NULL, "The shingle spec it was signed with ('words:3').", NULL },
  { NULL, NULL, NULL, NULL, NULL },
};

static gboolean
document_check_other(DocumentObject *self, PyObject *other)
{
  if (!PyObject_TypeCheck(other, &DocumentType)) {
    PyErr_Format(PyExc_TypeError, "expected a neardup.Document, not %.100s", Py_TYPE(other)->tp_name);
    return FALSE;
  }
  if (!sign_key_equal(&self->key, &((DocumentObject *)other)->key)) {
    raise_code(ND_ERROR_INVALID_ARG, "the two documents were signed with different parameters (shingle, num_perm "
                                     "or seed): their scores would mean nothing");
    return FALSE;
  }
  return TRUE;
}

static PyObject *
document_scores(DocumentObject *self, PyObject *other)
{
  if (!document_check_other(self, other))
    return NULL;
  NdPair p = { 0 };
  nd_score_pair(self->doc, ((DocumentObject *)other)->doc, self->key.num_perm, ND_VERIFY_EXACT, &p);
  return scores_new(&p);
}

static PyObject *
document_estimate(DocumentObject *self, PyObject *other)
{
  if (!document_check_other(self, other))
    return NULL;
  NdPair p = { 0 };
  nd_score_pair(self->doc, ((DocumentObject *)other)->doc, self->key.num_perm, ND_VERIFY_SIGNATURE, &p);
  return scores_new(&p);
}

static PyObject *
document_repr(DocumentObject *self)
{
  PyObject *id = document_get_id(self, NULL);
  if (id == NULL)
    return NULL;
  PyObject *r = PyUnicode_FromFormat("<neardup.Document id=%R bytes=%llu tokens=%u shingles=%u>", id,
                                     (unsigned long long)self->doc->bytes, self->doc->tokens, self->doc->set_size);
  Py_DECREF(id);
  return r;
}

static PyMethodDef document_methods[] = {
  { "scores", (PyCFunction)document_scores, METH_O,
    "scores($self, other, /)\n--\n\n"
    "Exact scores of this document against `other` (a Document signed with the same parameters):\n"
    "Scores(jaccard, containment_a_in_b, containment_b_in_a, shared), with A = self, B = other." },
  { "estimate", (PyCFunction)document_estimate, METH_O,
    "estimate($self, other, /)\n--\n\n"
    "Scores estimated from the MinHash signatures and the shingle counts (what verify='signature'\n"
    "uses): cheaper and approximate (standard deviation about sqrt(J(1-J)/num_perm))." },
  { NULL, NULL, 0, NULL },
};

static PyTypeObject DocumentType = {
  PyVarObject_HEAD_INIT(NULL, 0)
  .tp_name = MODULE ".Document",
  .tp_basicsize = sizeof(DocumentObject),
  .tp_dealloc = (destructor)document_dealloc,
  .tp_repr = (reprfunc)document_repr,
  .tp_flags = Py_TPFLAGS_DEFAULT,
  .tp_doc = "A signed article: its id, sizes, MinHash signature and shingle set (the text itself only\n"
            "with keep_text=True). Made by Signer.sign() or found in a Collection; not created directly.",
  .tp_methods = document_methods,
  .tp_getset = document_getset,
};

/* ------------------------------------------------------------------------------------------------ */
/* Signer: signs one text at a time, from any number of Python threads at once (a pool of library
 * signers, one per concurrent call). */

typedef struct {
  PyObject_HEAD
  NdSignParams params;
  GMutex pool_lock;
  GPtrArray *pool; /* idle NdSigner*, under pool_lock */
} SignerObject;

static int
signer_init(SignerObject *self, PyObject *args, PyObject *kwds)
{
  static char *kwlist[] = { "shingle", "num_perm", "seed", "lossy", "max_bytes", "keep_text", NULL };
  const char *shingle = "words:3";
  Py_ssize_t num_perm = ND_DEFAULT_NUM_PERM, max_bytes = (Py_ssize_t)ND_DEFAULT_MAX_BYTES;
  PyObject *seed = NULL;
  int lossy = 0, keep_text = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$snOpnp:Signer", kwlist, &shingle, &num_perm, &seed, &lossy,
                                   &max_bytes, &keep_text))
    return -1;
  if (!sign_params_from(&self->params, shingle, num_perm, seed, lossy, max_bytes, keep_text))
    return -1;
  if (self->pool == NULL) {
    g_mutex_init(&self->pool_lock);
    self->pool = g_ptr_array_new_with_free_func((GDestroyNotify)nd_signer_free);
  } else {
    g_mutex_lock(&self->pool_lock);
    g_ptr_array_set_size(self->pool, 0); /* re-initialised with other parameters */
    g_mutex_unlock(&self->pool_lock);
  }
  return 0;
}

static void
signer_dealloc(SignerObject *self)
{
  if (self->pool != NULL) {
    g_ptr_array_unref(self->pool);
    g_mutex_clear(&self->pool_lock);
  }
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
signer_sign(SignerObject *self, PyObject *args, PyObject *kwds)
{
  static char *kwlist[] = { "text", "id", NULL };
  PyObject *text, *idobj = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:sign", kwlist, &text, &idobj))
    return NULL;
  if (self->pool == NULL)
    return PyErr_Format(PyExc_RuntimeError, "Signer.__init__ was not called");
  gsize len;
  gboolean is_str;
  const char *bytes = text_bytes(text, &len, &is_str, "text");
  if (bytes == NULL)
    return NULL;
  g_autofree char *id = idobj != NULL && idobj != Py_None ? id_from(idobj) : g_strdup("");
  if (id == NULL)
    return NULL;
  NdSignParams params = self->params;
  NdDocument *doc;
  GError *e = NULL;
  Py_INCREF(text); /* pinned while the GIL is released */
  Py_BEGIN_ALLOW_THREADS
  g_mutex_lock(&self->pool_lock);
  NdSigner *signer = self->pool->len > 0 ? g_ptr_array_steal_index_fast(self->pool, self->pool->len - 1) : NULL;
  g_mutex_unlock(&self->pool_lock);
  if (signer == NULL)
    signer = nd_signer_new(&params);
  doc = nd_signer_sign(signer, id, bytes, len, &e);
  g_mutex_lock(&self->pool_lock);
  g_ptr_array_add(self->pool, signer);
  g_mutex_unlock(&self->pool_lock);
  Py_END_ALLOW_THREADS
  Py_DECREF(text);
  if (doc == NULL) {
    raise_error(e, *id ? id : NULL);
    g_error_free(e);
    return NULL;
  }
  SignKey key = sign_key(&params);
  return document_wrap(doc, NULL, &key);
}

static PyObject *
signer_get_shingle(SignerObject *self, void *closure)
{
  (void)closure;
  g_autofree char *s = nd_shingle_spec_to_string(&self->params.shingle);
  return PyUnicode_FromString(s);
}

static PyObject *
signer_get_num_perm(SignerObject *self, void *closure)
{
  (void)closure;
  return PyLong_FromUnsignedLong(self->params.num_perm);
}

static PyObject *
signer_get_seed(SignerObject *self, void *closure)
{
  (void)closure;
  return PyLong_FromUnsignedLongLong(self->params.seed);
}

static PyGetSetDef signer_getset[] = {
  { "shingle", (getter)signer_get_shingle, NULL, "The shingle spec ('words:3' or 'chars:5').", NULL },
  { "num_perm", (getter)signer_get_num_perm, NULL, "Length of the MinHash signatures.", NULL },
  { "seed", (getter)signer_get_seed, NULL, "The hash seed.", NULL },
  { NULL, NULL, NULL, NULL, NULL },
};

static PyMethodDef signer_methods[] = {
  { "sign", (PyCFunction)(void (*)(void))signer_sign, METH_VARARGS | METH_KEYWORDS,
    "sign($self, text, id=None)\n--\n\n"
    "Signs `text` (str, or UTF-8 bytes) as the document `id` (str or int). Returns a Document.\n"
    "Raises EmptyError, NoTokensError, BinaryError (a NUL), UTF8Error (bytes that are not UTF-8,\n"
    "unless lossy), TooLargeError. The GIL is released while signing, so several threads sign in\n"
    "parallel with one Signer." },
  { NULL, NULL, 0, NULL },
};

static PyTypeObject SignerType = {
  PyVarObject_HEAD_INIT(NULL, 0)
  .tp_name = MODULE ".Signer",
  .tp_basicsize = sizeof(SignerObject),
  .tp_dealloc = (destructor)signer_dealloc,
  .tp_flags = Py_TPFLAGS_DEFAULT,
  .tp_doc = "Signer(*, shingle='words:3', num_perm=128, seed=1, lossy=False, max_bytes=67108864, keep_text=False)\n"
            "--\n\n"
            "Turns texts into Documents: normalised words (or characters, shingle='chars:K' for scripts\n"
            "without spaces), hashed k-word shingles, a MinHash signature of num_perm values. lossy=True\n"
            "reads bytes that are not UTF-8 as separators instead of failing. Thread-safe.",
  .tp_methods = signer_methods,
  .tp_getset = signer_getset,
  .tp_init = (initproc)signer_init,
  .tp_new = PyType_GenericNew,
};

/* ------------------------------------------------------------------------------------------------ */
/* The signing pipeline: items from a Python iterable, signed by worker threads, merged in order into
 * a sink (a collection, or an index add). */

typedef struct {
  char *id;           /* owned */
  const char *text;   /* the pinned object's bytes */
  gsize len;
  PyObject *pinned;   /* reference to the text object (released with the GIL held) */
  char *meta;         /* owned JSON object text, or NULL */
  NdDocument *doc;    /* signed by a worker (owned), or a borrowed Document's */
  PyObject *borrowed; /* the Document whose doc this is (then not signed, not freed) */
  GError *error;
} Item;

typedef struct {
  Item *items;
  guint n;
  gsize bytes;
  gboolean done; /* under the pipeline's lock */
} Batch;

/* Receives an item's document in input order. Without `borrowed`, it owns doc and meta from then on,
 * whether it succeeds or not; on failure it sets *error. Called without the GIL unless the sink says
 * it needs it. */
typedef gboolean (*SinkFunc)(gpointer ctx, Item *item, GError **error);

typedef struct {
  SinkFunc func;
  gpointer ctx;
  gboolean needs_gil;    /* the sink changes what Python readers look at: run it with the GIL */
  gboolean accepts_documents; /* items may be signed Documents (with key `key`) */
  SignKey key;
} Sink;

/* What happens to an item that fails: "raise" (stop, raise its error; the items before it were
 * taken), "skip" (record (id, exception) in `skipped` and go on), or a callable called with
 * (id, exception) (it may raise to stop). */
typedef struct {
  PyObject *callable; /* borrowed, or NULL */
  gboolean skip;
  PyObject *skipped;  /* borrowed list for "skip", or NULL */
} ErrorPolicy;

static gboolean
error_policy_from(PyObject *obj, PyObject *skipped, ErrorPolicy *out)
{
  memset(out, 0, sizeof *out);
  if (obj == NULL || (PyUnicode_Check(obj) && PyUnicode_CompareWithASCIIString(obj, "raise") == 0))
    return TRUE;
  if (PyUnicode_Check(obj) && PyUnicode_CompareWithASCIIString(obj, "skip") == 0) {
    out->skip = TRUE;
    out->skipped = skipped;
    return TRUE;
  }
  if (PyCallable_Check(obj)) {
    out->callable = obj;
    return TRUE;
  }
  raise_code(ND_ERROR_INVALID_ARG, "errors must be 'raise', 'skip' or a callable taking (id, exception)");
  return FALSE;
}

typedef struct {
  NdSignParams params;
  guint n_workers;
  GThread **workers;
  GAsyncQueue *todo; /* Batch*; the pipeline itself is the stop sentinel */
  GMutex lock;
  GCond cond;
  GQueue in_flight;  /* Batch* in input order; touched by the calling thread only */
} Pipeline;

static gpointer
pipeline_worker(gpointer data)
{
  Pipeline *p = data;
  g_autoptr(NdSigner) signer = nd_signer_new(&p->params);
  for (;;) {
    gpointer job = g_async_queue_pop(p->todo);
    if (job == p)
      break;
    Batch *b = job;
    for (guint i = 0; i < b->n; i++) {
      Item *it = &b->items[i];
      if (it->borrowed == NULL && it->error == NULL)
        it->doc = nd_signer_sign(signer, it->id, it->text, it->len, &it->error);
    }
    g_mutex_lock(&p->lock);
    b->done = TRUE;
    g_cond_broadcast(&p->cond);
    g_mutex_unlock(&p->lock);
  }
  return NULL;
}

static void
pipeline_start(Pipeline *p, const NdSignParams *params, guint threads)
{
  memset(p, 0, sizeof *p);
  p->params = *params;
  p->n_workers = threads ? threads : MAX(1u, g_get_num_processors());
  p->todo = g_async_queue_new();
  g_mutex_init(&p->lock);
  g_cond_init(&p->cond);
  g_queue_init(&p->in_flight);
  p->workers = g_new0(GThread *, p->n_workers);
  for (guint i = 0; i < p->n_workers; i++)
    p->workers[i] = g_thread_new("neardup-sign", pipeline_worker, p);
}

/* Frees a merged or abandoned batch (with the GIL: it releases the pinned texts). */
static void
batch_free(Batch *b)
{
  for (guint i = 0; i < b->n; i++) {
    Item *it = &b->items[i];
    g_free(it->id);
    g_free(it->meta);
    if (it->borrowed == NULL)
      nd_document_free(it->doc);
    Py_XDECREF(it->borrowed);
    Py_XDECREF(it->pinned);
    if (it->error != NULL)
      g_error_free(it->error);
  }
  g_free(b->items);
  g_free(b);
}

static void
pipeline_wait(Pipeline *p, Batch *b)
{
  g_mutex_lock(&p->lock);
  gboolean done = b->done;
  g_mutex_unlock(&p->lock);
  if (done)
    return;
  Py_BEGIN_ALLOW_THREADS
  g_mutex_lock(&p->lock);
  while (!b->done)
    g_cond_wait(&p->cond, &p->lock);
  g_mutex_unlock(&p->lock);
  Py_END_ALLOW_THREADS
}

/* Stops the workers and frees every batch still in flight (waiting for those being signed). */
static void
pipeline_stop(Pipeline *p)
{
  for (guint i = 0; i < p->n_workers; i++)
    g_async_queue_push(p->todo, p);
  Py_BEGIN_ALLOW_THREADS
  for (guint i = 0; i < p->n_workers; i++)
    g_thread_join(p->workers[i]);
  Py_END_ALLOW_THREADS
  Batch *b;
  while ((b = g_queue_pop_head(&p->in_flight)) != NULL)
    batch_free(b);
  g_free(p->workers);
  g_async_queue_unref(p->todo);
  g_mutex_clear(&p->lock);
  g_cond_clear(&p->cond);
}

/* Applies the error policy to a failed item; FALSE with an exception set to stop. */
static gboolean
handle_failure(Item *it, const ErrorPolicy *policy)
{
  PyObject *exc = error_new(it->error, it->id);
  if (exc == NULL)
    return FALSE;
  if (policy->callable == NULL && !policy->skip) {
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
    return FALSE;
  }
  PyObject *id = str_from_utf8(it->id);
  if (id == NULL) {
    Py_DECREF(exc);
    return FALSE;
  }
  gboolean ok;
  if (policy->callable != NULL) {
    PyObject *r = PyObject_CallFunctionObjArgs(policy->callable, id, exc, NULL);
    ok = r != NULL;
    Py_XDECREF(r);
  } else {
    PyObject *pair = PyTuple_Pack(2, id, exc);
    ok = pair != NULL && PyList_Append(policy->skipped, pair) == 0;
    Py_XDECREF(pair);
  }
  Py_DECREF(id);
  Py_DECREF(exc);
  return ok;
}

/* Hands items *i, *i + 1, ... of `b` to the sink until one fails (signing or sink): *i is then that
 * item. Returns the number the sink took. The sink owns each document (and its metadata) it was
 * handed, whether it took it or not. */
static guint64
sink_items(const Sink *sink, Batch *b, guint *i)
{
  guint64 taken = 0;
  for (; *i < b->n; ++*i) {
    Item *it = &b->items[*i];
    if (it->error != NULL)
      break;
    gboolean ok = sink->func(sink->ctx, it, &it->error);
    if (it->borrowed == NULL)
      it->doc = NULL, it->meta = NULL;
    if (!ok)
      break;
    taken++;
  }
  return taken;
}

/* Merges the oldest batch in flight into the sink (waiting for it when `wait`). Returns 1 when a
 * batch was merged, 0 when the oldest is not signed yet (and !wait) or none is in flight, -1 with an
 * exception set. */
static int
pipeline_merge_oldest(Pipeline *p, const Sink *sink, const ErrorPolicy *policy, gboolean wait, guint64 *taken)
{
  Batch *b = g_queue_peek_head(&p->in_flight);
  if (b == NULL)
    return 0;
  if (wait) {
    pipeline_wait(p, b);
  } else {
    g_mutex_lock(&p->lock);
    gboolean done = b->done;
    g_mutex_unlock(&p->lock);
    if (!done)
      return 0;
  }
  g_queue_pop_head(&p->in_flight);
  guint i = 0;
  int result = 1;
  while (i < b->n) {
    if (sink->needs_gil) {
      *taken += sink_items(sink, b, &i);
    } else {
      guint64 n;
      Py_BEGIN_ALLOW_THREADS
      n = sink_items(sink, b, &i);
      Py_END_ALLOW_THREADS
      *taken += n;
    }
    if (i < b->n) {
      if (!handle_failure(&b->items[i], policy)) {
        result = -1;
        break;
      }
      i++;
    }
  }
  batch_free(b);
  return result;
}

/* One item from an element of the iterable: (id, text), (id, text, metadata) or, when the sink takes
 * them, a signed Document. FALSE with an exception set. */
static gboolean
item_from(PyObject *obj, const Sink *sink, Item *it)
{
  memset(it, 0, sizeof *it);
  if (PyObject_TypeCheck(obj, &DocumentType)) {
    DocumentObject *d = (DocumentObject *)obj;
    if (!sink->accepts_documents) {
      PyErr_SetString(PyExc_TypeError, "expected (id, text) or (id, text, metadata) items; a Document cannot be "
                                       "added to a Collection (add its id and text)");
      return FALSE;
    }
    if (!sign_key_equal(&d->key, &sink->key)) {
      raise_code(ND_ERROR_INVALID_ARG, "the document was signed with other parameters than the index's (sign it "
                                       "with Index.signer() or Index.collection())");
      return FALSE;
    }
    it->id = g_strdup(d->doc->id);
    it->doc = d->doc;
    it->borrowed = Py_NewRef(obj);
    return TRUE;
  }
  PyObject *seq = PySequence_Fast(obj, "expected (id, text) or (id, text, metadata) items");
  if (seq == NULL)
    return FALSE;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  if (n != 2 && n != 3) {
    Py_DECREF(seq);
    PyErr_Format(PyExc_TypeError, "expected (id, text) or (id, text, metadata) items, got a sequence of %zd",
                 n);
    return FALSE;
  }
  PyObject **v = PySequence_Fast_ITEMS(seq);
  gboolean is_str, failed = FALSE;
  it->id = id_from(v[0]);
  if (it->id != NULL)
    it->text = text_bytes(v[1], &it->len, &is_str, "text");
  if (it->text != NULL)
    it->meta = metadata_from(n == 3 ? v[2] : NULL, &failed);
  if (it->id == NULL || it->text == NULL || (n == 3 && failed)) {
    g_free(it->id);
    it->id = NULL;
    Py_DECREF(seq);
    return FALSE;
  }
  it->pinned = Py_NewRef(v[1]);
  Py_DECREF(seq);
  return TRUE;
}

/* Pulls every item of `iterable` through the pipeline into the sink. Returns the number of items the
 * sink took, or -1 with an exception set. */
static gint64
pipeline_run(const NdSignParams *params, guint threads, PyObject *iterable, const Sink *sink,
             const ErrorPolicy *policy)
{
  PyObject *iter = PyObject_GetIter(iterable);
  if (iter == NULL)
    return -1;
  Pipeline p;
  pipeline_start(&p, params, threads);
  guint max_in_flight = BATCHES_PER_WORKER * p.n_workers;
  guint64 taken = 0;
  gboolean failed = FALSE, merge_failed = FALSE;
  Batch *b = NULL;
  PyObject *obj;
  while (!failed && (obj = PyIter_Next(iter)) != NULL) {
    if (b == NULL) {
      b = g_new0(Batch, 1);
      b->items = g_new0(Item, BATCH_ITEMS);
    }
    Item *it = &b->items[b->n];
    gboolean ok = item_from(obj, sink, it);
    Py_DECREF(obj);
    if (!ok)
      break; /* a malformed item: handled below like an iterable that raised */
    b->n++;
    b->bytes += it->len;
    if (b->n == BATCH_ITEMS || b->bytes >= BATCH_BYTES) {
      g_queue_push_tail(&p.in_flight, b);
      g_async_queue_push(p.todo, b);
      b = NULL;
      /* Merge what is signed; wait only when too much is in flight. */
      int r;
      while ((r = pipeline_merge_oldest(&p, sink, policy, p.in_flight.length >= max_in_flight, &taken)) == 1)
        ;
      if (r < 0)
        failed = merge_failed = TRUE;
    }
  }
  /* The iterable raised (or gave a malformed item): the items before it are still taken, as they
   * are before an item that fails, unless one of them fails first. */
  PyObject *type = NULL, *value = NULL, *tb = NULL;
  gboolean iterable_failed = !merge_failed && PyErr_Occurred() != NULL;
  if (iterable_failed)
    PyErr_Fetch(&type, &value, &tb);
  if (!merge_failed && b != NULL && b->n > 0) {
    g_queue_push_tail(&p.in_flight, b);
    g_async_queue_push(p.todo, b);
    b = NULL;
  }
  while (!merge_failed && p.in_flight.length > 0)
    if (pipeline_merge_oldest(&p, sink, policy, TRUE, &taken) < 0)
      merge_failed = TRUE;
  if (iterable_failed) {
    if (merge_failed) { /* an earlier item's error wins */
      Py_XDECREF(type);
      Py_XDECREF(value);
      Py_XDECREF(tb);
    } else {
      PyErr_Restore(type, value, tb);
    }
  }
  failed = iterable_failed || merge_failed;
  if (b != NULL)
    batch_free(b);
  PyErr_Fetch(&type, &value, &tb); /* the workers are joined with the GIL released */
  pipeline_stop(&p);
  PyErr_Restore(type, value, tb);
  Py_DECREF(iter);
  return failed ? -1 : (gint64)taken;
}

/* ------------------------------------------------------------------------------------------------ */
/* Running a long call on a helper thread, so that Ctrl-C (a signal the main thread must see with the
 * GIL held) can raise the library's cancel flag. */

typedef gpointer (*WorkFunc)(gpointer data);

typedef struct {
  WorkFunc func;
  gpointer data;
  gpointer result;
  gboolean done;
  GMutex lock;
  GCond cond;
} Job;

static gpointer
job_main(gpointer data)
{
  Job *j = data;
  gpointer r = j->func(j->data);
  g_mutex_lock(&j->lock);
  j->result = r;
  j->done = TRUE;
  g_cond_signal(&j->cond);
  g_mutex_unlock(&j->lock);
  return NULL;
}

/* Runs func(data) without the GIL; looks for signals every 50 ms and, on one whose handler raised
 * (KeyboardInterrupt), sets *cancel and returns func's result once it has stopped, with the
 * exception set (*interrupted TRUE). */
static gpointer
run_interruptible(WorkFunc func, gpointer data, gint *cancel, gboolean *interrupted)
{
  Job j = { func, data, NULL, FALSE, { 0 }, { 0 } };
  g_mutex_init(&j.lock);
  g_cond_init(&j.cond);
  *interrupted = FALSE;
  GThread *t = g_thread_new("neardup-call", job_main, &j);
  for (;;) {
    gboolean done;
    Py_BEGIN_ALLOW_THREADS
    g_mutex_lock(&j.lock);
    gint64 until = g_get_monotonic_time() + 50 * G_TIME_SPAN_MILLISECOND;
    while (!j.done && g_cond_wait_until(&j.cond, &j.lock, until))
      ;
    done = j.done;
    g_mutex_unlock(&j.lock);
    Py_END_ALLOW_THREADS
    if (done)
      break;
    if (!*interrupted && PyErr_CheckSignals() < 0) {
      *interrupted = TRUE;
      g_atomic_int_set(cancel, 1);
    }
  }
  Py_BEGIN_ALLOW_THREADS
  g_thread_join(t);
  Py_END_ALLOW_THREADS
  g_mutex_clear(&j.lock);
  g_cond_clear(&j.cond);
  return j.result;
}

/* ------------------------------------------------------------------------------------------------ */
/* Collection */

typedef struct {
  PyObject_HEAD
  NdCollection *coll;
  NdSignParams params;
  guint threads;
  guint exact_limit; /* nd_collection_set_lean_after's limit, 0 = never */
  PyObject *ids;     /* list of the documents' ids (str), in order: shared by every Pair */
  PyObject *skipped; /* list of (id, exception) skipped with errors='skip' */
  PyObject *errors;  /* the default error policy */
  ObjLock lock;
} CollectionObject;

static PyTypeObject CollectionType;

static gboolean
collection_sink(gpointer ctx, Item *it, GError **error)
{
  CollectionObject *self = ctx;
  NdDocument *doc = it->doc;
  doc->meta = it->meta;
  PyObject *id = str_from_utf8(doc->id);
  if (id == NULL) {
    PyErr_Clear();
    g_set_error_literal(error, ND_ERROR, ND_ERROR_INVALID_ARG, "the id cannot be made a Python string");
    nd_document_free(doc);
    return FALSE;
  }
  if (!nd_collection_add(self->coll, doc, error)) { /* frees doc on failure */
    Py_DECREF(id);
    return FALSE;
  }
  int r = PyList_Append(self->ids, id);
  Py_DECREF(id);
  if (r < 0) { /* out of memory: the document is in; carry on without its id string would desync */
    PyErr_Clear();
    g_set_error_literal(error, ND_ERROR, ND_ERROR_INVALID_ARG, "out of memory");
    return FALSE;
  }
  return TRUE;
}

static int
collection_extend_locked(CollectionObject *self, PyObject *items, PyObject *errors, Py_ssize_t *added)
{
  ErrorPolicy policy;
  if (!error_policy_from(errors != NULL ? errors : self->errors, self->skipped, &policy))
    return -1;
  Sink sink = { collection_sink, self, TRUE, FALSE, sign_key(&self->params) };
  gint64 n = pipeline_run(&self->params, self->threads, items, &sink, &policy);
  if (n < 0)
    return -1;
  *added = (Py_ssize_t)n;
  return 0;
}

static int
collection_init(CollectionObject *self, PyObject *args, PyObject *kwds)
{
  static char *kwlist[] = { "items", "shingle", "num_perm", "seed", "lossy", "max_bytes", "keep_text", "threads",
                            "errors", "exact_limit", NULL };
  PyObject *items = NULL, *seed = NULL, *errors = NULL;
  const char *shingle = "words:3";
  Py_ssize_t num_perm = ND_DEFAULT_NUM_PERM, max_bytes = (Py_ssize_t)ND_DEFAULT_MAX_BYTES, threads = 0,
             exact_limit = EXACT_LIMIT;
  int lossy = 0, keep_text = 0;
  if (self->coll != NULL) {
    PyErr_SetString(PyExc_RuntimeError, "a Collection is initialised once");
    return -1;
  }
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O$snOpnpnOn:Collection", kwlist, &items, &shingle, &num_perm, &seed,
                                   &lossy, &max_bytes, &keep_text, &threads, &errors, &exact_limit))
    return -1;
  if (exact_limit < 0 || exact_limit > G_MAXUINT) {
    raise_code(ND_ERROR_INVALID_ARG, "exact_limit must be at least 0 (0: never switch to samples)");
    return -1;
  }
  self->exact_limit = (guint)exact_limit;
  if (!sign_params_from(&self->params, shingle, num_perm, seed, lossy, max_bytes, keep_text))
    return -1;
  if (threads < 0 || threads > 1024) {
    raise_code(ND_ERROR_INVALID_ARG, "threads must be between 0 (one per processor) and 1024");
    return -1;
  }
  self->threads = (guint)threads;
  ErrorPolicy check;
  if (!error_policy_from(errors, NULL, &check))
    return -1;
  self->errors = errors != NULL ? Py_NewRef(errors) : PyUnicode_FromString("raise");
  self->ids = PyList_New(0);
  self->skipped = PyList_New(0);
  if (self->errors == NULL || self->ids == NULL || self->skipped == NULL)
    return -1;
  g_mutex_init(&self->lock.mutex);
  self->coll = nd_collection_new(&self->params);
  if (self->exact_limit > 0)
    nd_collection_set_lean_after(self->coll, self->exact_limit);
  if (items != NULL) {
    if (objlock_acquire(&self->lock, "Collection") < 0)
      return -1;
    Py_ssize_t added;
    int r = collection_extend_locked(self, items, NULL, &added);
    objlock_release(&self->lock);
    return r;
  }
  return 0;
}

/* A Collection with given signing parameters (Index.collection). */
static CollectionObject *
collection_new_with(const NdSignParams *params, guint threads, PyObject *errors)
{
  CollectionObject *self = (CollectionObject *)CollectionType.tp_alloc(&CollectionType, 0);
  if (self == NULL)
    return NULL;
  self->params = *params;
  self->threads = threads;
  self->errors = errors != NULL ? Py_NewRef(errors) : PyUnicode_FromString("raise");
  self->ids = PyList_New(0);
  self->skipped = PyList_New(0);
  if (self->errors == NULL || self->ids == NULL || self->skipped == NULL) {
    Py_DECREF(self);
    return NULL;
  }
  g_mutex_init(&self->lock.mutex);
  self->coll = nd_collection_new(&self->params);
  return self;
}

static int
collection_traverse(CollectionObject *self, visitproc visit, void *arg)
{
  Py_VISIT(self->ids);
  Py_VISIT(self->skipped);
  Py_VISIT(self->errors);
  return 0;
}

static int
collection_clear(CollectionObject *self)
{
  Py_CLEAR(self->ids);
  Py_CLEAR(self->skipped);
  Py_CLEAR(self->errors);
  return 0;
}

static void
collection_dealloc(CollectionObject *self)
{
  PyObject_GC_UnTrack(self);
  collection_clear(self);
  if (self->coll != NULL) {
    nd_collection_free(self->coll);
    g_mutex_clear(&self->lock.mutex);
  }
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static gboolean
collection_ready(CollectionObject *self)
{
  if (self->coll == NULL) {
    PyErr_SetString(PyExc_RuntimeError, "Collection.__init__ was not called");
    return FALSE;
  }
  return TRUE;
}

static PyObject *
collection_extend(CollectionObject *self, PyObject *args, PyObject *kwds)
{
  static char *kwlist[] = { "items", "errors", NULL };
  PyObject *items, *errors = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|$O:extend", kwlist, &items, &errors) || !collection_ready(self))
    return NULL;
  if (objlock_acquire(&self->lock, "Collection") < 0)
    return NULL;
  Py_ssize_t added = 0;
  int r = collection_extend_locked(self, items, errors, &added);
  objlock_release(&self->lock);
  return r < 0 ? NULL : PyLong_FromSsize_t(added);
}

static PyObject *
collection_add(CollectionObject *self, PyObject *args, PyObject *kwds)
{
  static char *kwlist[] = { "id", "text", "metadata", NULL };
  PyObject *id, *text, *meta = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|O:add", kwlist, &id, &text, &meta) || !collection_ready(self))
    return NULL;
  PyObject *item = PyTuple_Pack(3, id, text, meta);
  PyObject *one = item != NULL ? PyTuple_Pack(1, item) : NULL;
  Py_XDECREF(item);
  if (one == NULL)
    return NULL;
  if (objlock_acquire(&self->lock, "Collection") < 0) {
    Py_DECREF(one);
    return NULL;
  }
  Py_ssize_t added = 0;
  PyObject *raise = PyUnicode_FromString("raise");
  int r = raise != NULL ? collection_extend_locked(self, one, raise, &added) : -1;
  Py_XDECREF(raise);
  objlock_release(&self->lock);
  Py_DECREF(one);
  if (r < 0)
    return NULL;
  Py_RETURN_NONE;
}

static Py_ssize_t
collection_len(CollectionObject *self)
{
  return self->coll != NULL ? (Py_ssize_t)nd_collection_size(self->coll) : 0;
}

static PyObject *
collection_item(CollectionObject *self, Py_ssize_t i)
{
  if (!collection_ready(self))
    return NULL;
  if (i < 0 || i >= (Py_ssize_t)nd_collection_size(self->coll)) {
    PyErr_SetString(PyExc_IndexError, "Collection index out of range");
    return NULL;
  }
  SignKey key = sign_key(&self->params);
  return document_wrap((NdDocument *)nd_collection_get(self->coll, (guint)i), (PyObject *)self, &key);
}

typedef struct {
  const NdCollection *coll;
  NdFindOptions options;
  gint cancel;
  GError *error;
} FindJob;

static gpointer
find_job(gpointer data)
{
  FindJob *j = data;
  return nd_find_pairs(j->coll, &j->options, NULL, &j->error);
}

/* The reported pairs of the collection (with its lock held): a GArray of NdPair, or NULL with an
 * exception set. */
static GArray *
collection_find(CollectionObject *self, const NdFindOptions *options)
{
  FindJob job = { self->coll, *options, 0, NULL };
  job.options.cancel_flag = &job.cancel;
  gboolean interrupted;
  GArray *pairs = run_interruptible(find_job, &job, &job.cancel, &interrupted);
  if (interrupted) {
    if (pairs != NULL)
      g_array_unref(pairs);
    g_clear_error(&job.error);
    return NULL; /* KeyboardInterrupt is set */
  }
  if (pairs == NULL) {
    raise_error(job.error, NULL);
    g_error_free(job.error);
  }
  return pairs;
}

/* The report rule's options; threads None means the collection's. */
static gboolean
collection_find_options(CollectionObject *self, NdFindOptions *o, double threshold, double containment, double score,
                        Py_ssize_t min_shared, const char *verify, PyObject *threads)
{
  Py_ssize_t t = self->threads;
  if (threads != Py_None && (t = PyLong_AsSsize_t(threads)) == -1 && PyErr_Occurred())
    return FALSE;
  if (!find_options_from(o, threshold, containment, score, min_shared, verify, t))
    return FALSE;
  /* As the tool's --verify auto: a collection that dropped its sets is verified on its samples. */
  if (strcmp(verify, "auto") == 0 && nd_collection_is_lean(self->coll))
    o->verify = ND_VERIFY_SAMPLE;
  return TRUE;
}

#define FIND_KWARGS "threshold", "containment", "min_shared", "score", "verify", "threads"

static PyObject *
collection_pairs(CollectionObject *self, PyObject *args, PyObject *kwds)
{
  static char *kwlist[] = { FIND_KWARGS, NULL };
  double threshold = ND_DEFAULT_THRESHOLD, containment = ND_DEFAULT_CONTAINMENT, score = ND_DEFAULT_SCORE;
  Py_ssize_t min_shared = ND_DEFAULT_MIN_SHARED;
  PyObject *threads = Py_None;
  const char *verify = "auto";
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$ddndsO:pairs", kwlist, &threshold, &containment, &min_shared,
                                   &score, &verify, &threads) || !collection_ready(self))
    return NULL;
  NdFindOptions o;
  if (!collection_find_options(self, &o, threshold, containment, score, min_shared, verify, threads))
    return NULL;
  if (objlock_acquire(&self->lock, "Collection") < 0)
    return NULL;
  GArray *pairs = collection_find(self, &o);
  objlock_release(&self->lock);
  if (pairs == NULL)
    return NULL;
  PyObject *kinds[4];
  for (int k = 0; k < 4; k++)
    kinds[k] = PyUnicode_InternFromString(nd_pair_kind_name((NdPairKind)k));
  PyObject *list = kinds[0] && kinds[1] && kinds[2] && kinds[3] ? PyList_New(pairs->len) : NULL;
  for (guint i = 0; list != NULL && i < pairs->len; i++) {
    const NdPair *p = &g_array_index(pairs, NdPair, i);
    PyObject *t = PyStructSequence_New(PairType);
    if (t == NULL) {
      Py_CLEAR(list);
      break;
    }
    PyStructSequence_SET_ITEM(t, 0, Py_NewRef(PyList_GET_ITEM(self->ids, p->a)));
    PyStructSequence_SET_ITEM(t, 1, Py_NewRef(PyList_GET_ITEM(self->ids, p->b)));
    PyStructSequence_SET_ITEM(t, 2, PyFloat_FromDouble(p->jaccard));
    PyStructSequence_SET_ITEM(t, 3, PyFloat_FromDouble(p->containment_a_in_b));
    PyStructSequence_SET_ITEM(t, 4, PyFloat_FromDouble(p->containment_b_in_a));
    PyStructSequence_SET_ITEM(t, 5, PyLong_FromUnsignedLong(p->shared));
    PyStructSequence_SET_ITEM(t, 6, Py_NewRef(kinds[(guint)p->kind < 4 ? p->kind : 0]));
    PyStructSequence_SET_ITEM(t, 7, PyLong_FromUnsignedLong(p->a));
    PyStructSequence_SET_ITEM(t, 8, PyLong_FromUnsignedLong(p->b));
    PyStructSequence_SET_ITEM(t, 9, PyFloat_FromDouble(p->score));
    PyStructSequence_SET_ITEM(t, 10, PyFloat_FromDouble(p->passage_a_in_b));
    PyStructSequence_SET_ITEM(t, 11, PyFloat_FromDouble(p->passage_b_in_a));
    PyStructSequence_SET_ITEM(t, 12, p->has_vocabulary ? PyFloat_FromDouble(p->vocabulary_a_in_b) : Py_NewRef(Py_None));
    PyStructSequence_SET_ITEM(t, 13, p->has_vocabulary ? PyFloat_FromDouble(p->vocabulary_b_in_a) : Py_NewRef(Py_None));
    PyList_SET_ITEM(list, i, t);
    if (PyErr_Occurred()) {
      Py_CLEAR(list);
      break;
    }
  }
  for (int k = 0; k < 4; k++)
    Py_XDECREF(kinds[k]);
  g_array_unref(pairs);
  return list;
}

/* Node numbers of (a, b) edges as NdPairs for nd_cluster_assign; FALSE with an exception set. */
static gboolean
edges_from(PyObject *edges, guint n_nodes, GArray *out, gboolean pairs_objects)
{
  PyObject *iter = PyObject_GetIter(edges);
  if (iter == NULL)
    return FALSE;
  PyObject *e;
  while ((e = PyIter_Next(iter)) != NULL) {
    unsigned long a, b;
    if (pairs_objects && PyObject_TypeCheck(e, PairType)) {
      a = PyLong_AsUnsignedLong(PyStructSequence_GET_ITEM(e, 7));
      b = PyLong_AsUnsignedLong(PyStructSequence_GET_ITEM(e, 8));
    } else if (!pairs_objects && PyTuple_Check(e) && PyTuple_GET_SIZE(e) == 2) {
      a = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(e, 0));
      b = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(e, 1));
    } else {
      PyErr_Format(PyExc_TypeError, pairs_objects ? "expected neardup.Pair items, not %.100s"
                                                  : "expected (a, b) tuples of node numbers, not %.100s",
                   Py_TYPE(e)->tp_name);
      Py_DECREF(e);
      Py_DECREF(iter);
      return FALSE;
    }
    Py_DECREF(e);
    if (PyErr_Occurred()) {
      Py_DECREF(iter);
      return FALSE;
    }
    if (a >= n_nodes || b >= n_nodes) {
      Py_DECREF(iter);
      raise_code(ND_ERROR_INVALID_ARG, pairs_objects ? "a pair names a document this collection does not hold"
                                                     : "an edge names a node beyond the number of nodes");
      return FALSE;
    }
    NdPair p = { 0 };
    p.a = (guint)a;
    p.b = (guint)b;
    g_array_append_val(out, p);
  }
  Py_DECREF(iter);
  return !PyErr_Occurred();
}

static PyObject *
collection_clusters(CollectionObject *self, PyObject *args, PyObject *kwds)
{
  static char *kwlist[] = { "pairs", FIND_KWARGS, NULL };
  PyObject *given = Py_None;
  double threshold = ND_DEFAULT_THRESHOLD, containment = ND_DEFAULT_CONTAINMENT, score = ND_DEFAULT_SCORE;
  Py_ssize_t min_shared = ND_DEFAULT_MIN_SHARED;
  PyObject *threads = Py_None;
  const char *verify = "auto";
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O$ddndsO:clusters", kwlist, &given, &threshold, &containment,
                                   &min_shared, &score, &verify, &threads) || !collection_ready(self))
    return NULL;
  g_autoptr(GArray) pairs = NULL;
  guint n = nd_collection_size(self->coll);
  if (given != Py_None) {
    pairs = g_array_new(FALSE, FALSE, sizeof(NdPair));
    if (!edges_from(given, n, pairs, TRUE))
      return NULL;
  } else {
    NdFindOptions o;
    if (!collection_find_options(self, &o, threshold, containment, score, min_shared, verify, threads))
      return NULL;
    if (objlock_acquire(&self->lock, "Collection") < 0)
      return NULL;
    pairs = collection_find(self, &o);
    objlock_release(&self->lock);
    if (pairs == NULL)
      return NULL;
    n = nd_collection_size(self->coll);
  }
  g_autofree guint *cluster_of = g_new0(guint, MAX(n, 1));
  guint n_clusters = nd_cluster_assign((const NdPair *)pairs->data, pairs->len, n, cluster_of);
  PyObject *list = PyList_New(n_clusters);
  for (guint c = 0; list != NULL && c < n_clusters; c++) {
    PyObject *members = PyList_New(0);
    if (members == NULL)
      Py_CLEAR(list);
    else
      PyList_SET_ITEM(list, c, members);
  }
  for (guint i = 0; list != NULL && i < n; i++)
    if (cluster_of[i] != 0 && PyList_Append(PyList_GET_ITEM(list, cluster_of[i] - 1), PyList_GET_ITEM(self->ids, i)) < 0)
      Py_CLEAR(list);
  return list;
}

static PyObject *
collection_get_ids(CollectionObject *self, void *closure)
{
  (void)closure;
  return self->ids != NULL ? PyList_GetSlice(self->ids, 0, PyList_GET_SIZE(self->ids)) : PyList_New(0);
}

static PyObject *
collection_get_skipped(CollectionObject *self, void *closure)
{
  (void)closure;
  return Py_NewRef(self->skipped != NULL ? self->skipped : Py_None);
}

static PyObject *
collection_get_shingle(CollectionObject *self, void *closure)
{
  (void)closure;
  g_autofree char *s = nd_shingle_spec_to_string(&self->params.shingle);
  return PyUnicode_FromString(s);
}

static PyObject *
collection_get_num_perm(CollectionObject *self, void *closure)
{
  (void)closure;
  return PyLong_FromUnsignedLong(self->params.num_perm);
}

static PyObject *
collection_get_seed(CollectionObject *self, void *closure)
{
  (void)closure;
  return PyLong_FromUnsignedLongLong(self->params.seed);
}

static PyGetSetDef collection_getset[] = {
  { "ids", (getter)collection_get_ids, NULL, "The documents' ids, in input order (a new list).", NULL },
  { "skipped", (getter)collection_get_skipped, NULL,
    "(id, exception) of every item skipped with errors='skip', in input order.", NULL },
  { "shingle", (getter)collection_get_shingle, NULL, "The shingle spec ('words:3').", NULL },
  { "num_perm", (getter)collection_get_num_perm, NULL, "Length of the MinHash signatures.", NULL },
  { "seed", (getter)collection_get_seed, NULL, "The hash seed.", NULL },
  { NULL, NULL, NULL, NULL, NULL },
};

static PyMethodDef collection_methods[] = {
  { "extend", (PyCFunction)(void (*)(void))collection_extend, METH_VARARGS | METH_KEYWORDS,
    "extend($self, items, *, errors=None)\n--\n\n"
    "Signs and adds every item of `items`, an iterable of (id, text) or (id, text, metadata)\n"
    "tuples (id: str or int; text: str or UTF-8 bytes; metadata: a dict or None), consumed as a\n"
    "stream: texts are signed by worker threads, without the GIL, while the next items are read.\n"
    "Documents keep input order. `errors` overrides the collection's policy for this call.\n"
    "Returns the number of documents added." },
  { "add", (PyCFunction)(void (*)(void))collection_add, METH_VARARGS | METH_KEYWORDS,
    "add($self, id, text, metadata=None)\n--\n\n"
    "Signs and adds one text; raises its error (DuplicateIdError, EmptyError, ...) whatever the\n"
    "collection's error policy." },
  { "pairs", (PyCFunction)(void (*)(void))collection_pairs, METH_VARARGS | METH_KEYWORDS,
    "pairs($self, *, threshold=0.5, containment=0.2, min_shared=8, score=0.225, verify='auto', threads=None)\n"
    "--\n\n"
    "Every reported pair, as `neardup pairs` finds them (candidates from LSH, passage anchors and\n"
    "rare words, then verification): a list of Pair sorted by (a_index, b_index). The report rule\n"
    "(include/neardup/score.h): jaccard >= threshold (kind 'near-duplicate'), or, in a batch of 30\n"
    "articles or more, the reuse score >= score (kind 'reuse' when max(containments) >= containment,\n"
    "else 'rewrite'); in smaller batches, or with score=0, max(containments) >= containment with at\n"
    "least min_shared shared shingles (containment=0 turns that rule off). verify: 'auto'\n"
    "(exact from the shingle sets, or on the 1-in-8 shingle samples once the collection holds more\n"
    "than exact_limit documents), 'exact', 'sample' or 'signature' (estimates from the signatures).\n"
    "Raises InvalidArgumentError for bad options. The GIL is released; Ctrl-C cancels the search\n"
    "(KeyboardInterrupt). The list and its Pairs are new objects owned by the caller." },
  { "clusters", (PyCFunction)(void (*)(void))collection_clusters, METH_VARARGS | METH_KEYWORDS,
    "clusters($self, pairs=None, *, threshold=0.5, containment=0.2, min_shared=8, score=0.225, verify='auto',\n"
    "         threads=None)\n"
    "--\n\n"
    "Connected components of the reported pairs (of `pairs`, a list from pairs(), or found with\n"
    "the options given): a list of clusters, each a list of ids in input order, clusters in order\n"
    "of their first member (as `neardup scan` numbers them). Documents in no pair are in none." },
  { NULL, NULL, 0, NULL },
};

static PySequenceMethods collection_as_sequence = {
  .sq_length = (lenfunc)collection_len,
  .sq_item = (ssizeargfunc)collection_item,
};

static PyTypeObject CollectionType = {
  PyVarObject_HEAD_INIT(NULL, 0)
  .tp_name = MODULE ".Collection",
  .tp_basicsize = sizeof(CollectionObject),
  .tp_dealloc = (destructor)collection_dealloc,
  .tp_as_sequence = &collection_as_sequence,
  .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
  .tp_doc = "Collection(items=(), *, shingle='words:3', num_perm=128, seed=1, lossy=False, max_bytes=67108864,\n"
            "           keep_text=False, threads=0, errors='raise', exact_limit=100000)\n"
            "--\n\n"
            "Signed documents in input order, to find pairs and clusters in. `items` (any iterable of\n"
            "(id, text) or (id, text, metadata)) is signed as by extend(). threads: signing and search\n"
            "threads (0: one per processor). errors: what an item that cannot be signed or added does:\n"
            "'raise' (stop with its exception; the items before it stay added), 'skip' (record\n"
            "(id, exception) in .skipped and go on) or a callable(id, exception). exact_limit: beyond\n"
            "this many documents the collection drops its shingle sets and signatures and keeps 1-in-8\n"
            "samples (about 700 bytes an article instead of 4 KB), as the tool's --exact-limit; 0 never.\n"
            "A Collection is a sequence of Documents: len(c), c[i], iteration; a Document borrows from\n"
            "the collection (it keeps it alive).",
  .tp_traverse = (traverseproc)collection_traverse,
  .tp_clear = (inquiry)collection_clear,
  .tp_methods = collection_methods,
  .tp_getset = collection_getset,
  .tp_init = (initproc)collection_init,
  .tp_new = PyType_GenericNew,
};

/* ------------------------------------------------------------------------------------------------ */
/* diff */

/* Converts byte offsets into `s` (UTF-8, len bytes) to character offsets, in place: offs[i] points
 * into the caller's passages; one pass over the text for all of them. */
typedef struct {
  guint64 byte;
  guint64 *slot;
} OffsetSlot;

static int
offset_slot_cmp(const void *x, const void *y)
{
  const OffsetSlot *a = x, *b = y;
  return a->byte < b->byte ? -1 : a->byte > b->byte;
}

static void
bytes_to_chars(const char *s, gsize len, OffsetSlot *slots, gsize n)
{
  qsort(slots, n, sizeof *slots, offset_slot_cmp);
  guint64 chars = 0;
  gsize pos = 0;
  for (gsize i = 0; i < n; i++) {
    guint64 target = MIN(slots[i].byte, len);
    for (; pos < target; pos++)
      chars += ((guchar)s[pos] & 0xC0) != 0x80; /* count lead bytes, not continuations */
    *slots[i].slot = chars;
  }
}

static PyObject *
py_diff(PyObject *module, PyObject *args, PyObject *kwds)
{
  (void)module;
  static char *kwlist[] = { "a", "b", "tokens", "lossy", "seed_tokens", "max_gap", "max_drift", "min_tokens",
                            "min_score", "max_seed_occurrences", "min_content", "stem", "sentence_overlap",
                            "sentence_min_shared", NULL };
  PyObject *ao, *bo;
  const char *tokens = "words";
  int lossy = 0;
  NdDiffOptions o;
  nd_diff_options_init(&o);
  Py_ssize_t seed_tokens = o.seed_tokens, max_gap = o.max_gap, max_drift = o.max_drift, min_tokens = o.min_tokens,
             max_seed = o.max_seed_occurrences, min_content = o.min_content, sentence_min_shared = o.sentence_min_shared;
  double min_score = o.min_score, sentence_overlap = o.sentence_overlap;
  int stem = o.stem;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|$spnnnndnnpdn:diff", kwlist, &ao, &bo, &tokens, &lossy, &seed_tokens,
                                   &max_gap, &max_drift, &min_tokens, &min_score, &max_seed, &min_content, &stem,
                                   &sentence_overlap, &sentence_min_shared))
    return NULL;
  NdTokenMode mode;
  if (strcmp(tokens, "words") == 0)
    mode = ND_TOKENS_WORDS;
  else if (strcmp(tokens, "chars") == 0)
    mode = ND_TOKENS_CHARS;
  else
    return raise_code(ND_ERROR_INVALID_ARG, "tokens must be 'words' or 'chars'");
  if (seed_tokens < 1 || seed_tokens > 64 || max_gap < 0 || max_gap > 1000000 || max_drift < 0 ||
      max_drift > 1000000 || min_tokens < 1 || min_tokens > 1000000000 || max_seed < 1 || max_seed > 1000000000 ||
      !(min_score >= 0 && min_score <= 1) || min_content < 0 || min_content > 1000000000 || sentence_min_shared < 0 ||
      sentence_min_shared > 1000000000 || !(sentence_overlap >= 0 && sentence_overlap <= 1))
    return raise_code(ND_ERROR_INVALID_ARG, "a diff option is out of range (seed_tokens 1..64, max_gap, max_drift, "
                                            "min_content, sentence_min_shared >= 0, min_tokens, max_seed_occurrences "
                                            ">= 1, min_score and sentence_overlap in [0, 1])");
  o.seed_tokens = (guint)seed_tokens;
  o.max_gap = (guint)max_gap;
  o.max_drift = (guint)max_drift;
  o.min_tokens = (guint)min_tokens;
  o.min_score = min_score;
  o.max_seed_occurrences = (guint)max_seed;
  o.min_content = (guint)min_content;
  o.stem = stem != 0;
  o.sentence_overlap = sentence_overlap;
  o.sentence_min_shared = (guint)sentence_min_shared;
  gsize a_len, b_len;
  gboolean a_str, b_str;
  const char *a = text_bytes(ao, &a_len, &a_str, "a");
  const char *b = a != NULL ? text_bytes(bo, &b_len, &b_str, "b") : NULL;
  if (b == NULL)
    return NULL;
  NdDiff *d;
  GError *e = NULL;
  Py_INCREF(ao);
  Py_INCREF(bo);
  Py_BEGIN_ALLOW_THREADS
  d = nd_diff_texts(a, a_len, b, b_len, mode, lossy ? ND_TEXT_LOSSY : ND_TEXT_DEFAULT, &o, &e);
  Py_END_ALLOW_THREADS
  if (d == NULL) {
    Py_DECREF(ao);
    Py_DECREF(bo);
    raise_error(e, NULL);
    g_error_free(e);
    return NULL;
  }
  guint n = d->passages->len;
  /* Character offsets: a_start, a_end, b_start, b_end per passage; bytes inputs keep byte offsets. */
  g_autofree guint64 *chars = g_new(guint64, 4 * (gsize)MAX(n, 1));
  g_autofree OffsetSlot *slots = g_new(OffsetSlot, 2 * (gsize)MAX(n, 1));
  for (int side = 0; side < 2; side++) {
    gboolean is_str = side == 0 ? a_str : b_str;
    PyObject *obj = side == 0 ? ao : bo;
    for (guint i = 0; i < n; i++) {
      const NdPassage *p = &g_array_index(d->passages, NdPassage, i);
      chars[4 * i + 2 * side] = side == 0 ? p->a_start : p->b_start;
      chars[4 * i + 2 * side + 1] = side == 0 ? p->a_stop : p->b_stop;
      slots[2 * i] = (OffsetSlot){ chars[4 * i + 2 * side], &chars[4 * i + 2 * side] };
      slots[2 * i + 1] = (OffsetSlot){ chars[4 * i + 2 * side + 1], &chars[4 * i + 2 * side + 1] };
    }
    if (is_str && n > 0 && !PyUnicode_IS_ASCII(obj)) /* ASCII: characters are bytes */
      bytes_to_chars(side == 0 ? a : b, side == 0 ? a_len : b_len, slots, 2 * (gsize)n);
  }
  Py_DECREF(ao);
  Py_DECREF(bo);
  PyObject *list = PyList_New(n);
  for (guint i = 0; list != NULL && i < n; i++) {
    const NdPassage *p = &g_array_index(d->passages, NdPassage, i);
    PyObject *t = PyStructSequence_New(PassageType);
    if (t == NULL) {
      Py_CLEAR(list);
      break;
    }
    PyStructSequence_SET_ITEM(t, 0, PyLong_FromUnsignedLongLong(chars[4 * i]));
    PyStructSequence_SET_ITEM(t, 1, PyLong_FromUnsignedLongLong(chars[4 * i + 1]));
    PyStructSequence_SET_ITEM(t, 2, PyLong_FromUnsignedLongLong(chars[4 * i + 2]));
    PyStructSequence_SET_ITEM(t, 3, PyLong_FromUnsignedLongLong(chars[4 * i + 3]));
    PyStructSequence_SET_ITEM(t, 4, PyFloat_FromDouble(p->score));
    PyStructSequence_SET_ITEM(t, 5, PyLong_FromUnsignedLongLong(p->a_start));
    PyStructSequence_SET_ITEM(t, 6, PyLong_FromUnsignedLongLong(p->a_stop));
    PyStructSequence_SET_ITEM(t, 7, PyLong_FromUnsignedLongLong(p->b_start));
    PyStructSequence_SET_ITEM(t, 8, PyLong_FromUnsignedLongLong(p->b_stop));
    PyStructSequence_SET_ITEM(t, 9, PyLong_FromUnsignedLong(p->a_end - p->a_first));
    PyStructSequence_SET_ITEM(t, 10, PyLong_FromUnsignedLong(p->b_end - p->b_first));
    PyStructSequence_SET_ITEM(t, 11, PyLong_FromUnsignedLong(p->a_matched));
    PyStructSequence_SET_ITEM(t, 12, PyLong_FromUnsignedLong(p->b_matched));
    PyStructSequence_SET_ITEM(t, 13, PyUnicode_FromString(p->kind == ND_PASSAGE_REWRITTEN ? "rewritten" : "verbatim"));
    PyList_SET_ITEM(list, i, t);
    if (PyErr_Occurred())
      Py_CLEAR(list);
  }
  PyObject *result = list != NULL ? PyStructSequence_New(DiffType) : NULL;
  if (result != NULL) {
    PyStructSequence_SET_ITEM(result, 0, list);
    PyStructSequence_SET_ITEM(result, 1, PyLong_FromUnsignedLong(d->a_tokens));
    PyStructSequence_SET_ITEM(result, 2, PyLong_FromUnsignedLong(d->b_tokens));
    PyStructSequence_SET_ITEM(result, 3, PyFloat_FromDouble(d->a_coverage));
    PyStructSequence_SET_ITEM(result, 4, PyFloat_FromDouble(d->b_coverage));
    if (PyErr_Occurred())
      Py_CLEAR(result);
  } else {
    Py_XDECREF(list);
  }
  nd_diff_free(d);
  return result;
}

/* ------------------------------------------------------------------------------------------------ */
/* Index */

typedef struct {
  PyObject_HEAD
  NdIndex *ix;
  NdSignParams params;
  NdSigner *signer;    /* for query(text), under the lock */
  ObjLock lock;
  GPtrArray *warnings; /* messages of problems the current call met, under the lock */
  PyObject *path;
  gboolean writable;
} IndexObject;

static PyTypeObject IndexType;

static void
index_on_warning(const GError *problem, gpointer data)
{
  IndexObject *self = data;
  g_ptr_array_add(self->warnings, g_strdup(problem->message));
}

/* Issues the warnings collected during a call (with the GIL); -1 when a warning filter raised. */
static int
index_flush_warnings(IndexObject *self)
{
  int r = 0;
  for (guint i = 0; i < self->warnings->len; i++)
    if (r == 0 && PyErr_WarnEx(IndexWarning, g_ptr_array_index(self->warnings, i), 1) < 0)
      r = -1;
  g_ptr_array_set_size(self->warnings, 0);
  return r;
}

static gboolean
index_attach(IndexObject *self, NdIndex *ix, PyObject *path, gboolean writable)
{
  self->ix = ix;
  self->params = *nd_index_sign_params(ix);
  self->signer = nd_signer_new(&self->params);
  self->warnings = g_ptr_array_new_with_free_func(g_free);
  g_mutex_init(&self->lock.mutex);
  self->path = Py_NewRef(path);
  self->writable = writable;
  nd_index_set_warning_func(ix, index_on_warning, self);
  return TRUE;
}

static int
index_init(IndexObject *self, PyObject *args, PyObject *kwds)
{
  static char *kwlist[] = { "path", "writable", NULL };
  PyObject *path;
  int writable = 0;
  if (self->ix != NULL) {
    PyErr_SetString(PyExc_RuntimeError, "an Index is opened once");
    return -1;
  }
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|$p:Index", kwlist, PyUnicode_FSConverter, &path, &writable))
    return -1;
  NdIndex *ix;
  GError *e = NULL;
  const char *p = PyBytes_AS_STRING(path);
  Py_BEGIN_ALLOW_THREADS
  ix = nd_index_open(p, writable, &e);
  Py_END_ALLOW_THREADS
  if (ix == NULL) {
    raise_error(e, NULL);
    g_error_free(e);
    Py_DECREF(path);
    return -1;
  }
  PyObject *spath = PyUnicode_DecodeFSDefault(p);
  Py_DECREF(path);
  if (spath == NULL) {
    nd_index_close(ix);
    return -1;
  }
  index_attach(self, ix, spath, writable);
  Py_DECREF(spath);
  return 0;
}

static PyObject *
index_create(PyObject *cls, PyObject *args, PyObject *kwds)
{
  static char *kwlist[] = { "path", "threshold", "shingle", "num_perm", "seed", "text", "text_format", NULL };
  PyObject *path, *seed = NULL;
  double threshold = ND_DEFAULT_THRESHOLD;
  const char *shingle = "words:3", *text = "all", *text_format = "plain";
  Py_ssize_t num_perm = ND_DEFAULT_NUM_PERM;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|$dsnOss:create", kwlist, PyUnicode_FSConverter, &path, &threshold,
                                   &shingle, &num_perm, &seed, &text, &text_format))
    return NULL;
  static const char *const text_names[] = { "all", "kept", "none" };
  static const char *const text_format_names[] = { "plain", "zlib" };
  NdIndexOptions options;
  nd_index_options_init(&options);
  int t = choice_from(text, text_names, 3, "text");
  int tf = t < 0 ? -1 : choice_from(text_format, text_format_names, 2, "text_format");
  if (tf < 0) {
    Py_DECREF(path);
    return NULL;
  }
  options.text = (NdIndexTextPolicy)t;
  options.text_format = (NdIndexTextFormat)tf;
  NdSignParams params;
  if (!sign_params_from(&params, shingle, num_perm, seed, 0, (Py_ssize_t)ND_DEFAULT_MAX_BYTES, 1)) {
    Py_DECREF(path);
    return NULL;
  }
  NdIndex *ix;
  GError *e = NULL;
  const char *p = PyBytes_AS_STRING(path);
  Py_BEGIN_ALLOW_THREADS
  ix = nd_index_create_with(p, &params, threshold, &options, &e);
  Py_END_ALLOW_THREADS
  if (ix == NULL) {
    raise_error(e, NULL);
    g_error_free(e);
    Py_DECREF(path);
    return NULL;
  }
  PyObject *spath = PyUnicode_DecodeFSDefault(p);
  Py_DECREF(path);
  IndexObject *self = spath != NULL ? (IndexObject *)((PyTypeObject *)cls)->tp_alloc((PyTypeObject *)cls, 0) : NULL;
  if (self == NULL) {
    Py_XDECREF(spath);
    nd_index_close(ix);
    return NULL;
  }
  index_attach(self, ix, spath, TRUE);
  Py_DECREF(spath);
  return (PyObject *)self;
}

static void
index_release(IndexObject *self)
{
  g_clear_pointer(&self->ix, nd_index_close);
  g_clear_pointer(&self->signer, nd_signer_free);
}

static void
index_dealloc(IndexObject *self)
{
  if (self->warnings != NULL) {
    index_release(self);
    g_ptr_array_unref(self->warnings);
    g_mutex_clear(&self->lock.mutex);
  }
  Py_XDECREF(self->path);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Takes the lock of an open index; FALSE with an exception set. */
static gboolean
index_enter(IndexObject *self)
{
  if (self->warnings == NULL) {
    PyErr_SetString(PyExc_RuntimeError, "Index.__init__ was not called");
    return FALSE;
  }
  if (objlock_acquire(&self->lock, "Index") < 0)
    return FALSE;
  if (self->ix == NULL) {
    objlock_release(&self->lock);
    PyErr_SetString(PyExc_ValueError, "the index is closed");
    return FALSE;
  }
  return TRUE;
}

/* Releases the lock and issues the call's warnings; returns `result`, or NULL when a warning raised. */
static PyObject *
index_leave(IndexObject *self, PyObject *result)
{
  objlock_release(&self->lock);
  if (index_flush_warnings(self) < 0) {
    Py_XDECREF(result);
    return NULL;
  }
  return result;
}

static PyObject *
index_close(IndexObject *self, PyObject *unused)
{
  (void)unused;
  if (self->warnings == NULL)
    Py_RETURN_NONE;
  if (objlock_acquire(&self->lock, "Index") < 0)
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  index_release(self);
  Py_END_ALLOW_THREADS
  objlock_release(&self->lock);
  Py_RETURN_NONE;
}

static PyObject *
index_enter_ctx(IndexObject *self, PyObject *unused)
{
  (void)unused;
  return Py_NewRef(self);
}

static PyObject *
index_exit_ctx(IndexObject *self, PyObject *args)
{
  (void)args;
  PyObject *r = index_close(self, NULL);
  if (r == NULL)
    return NULL;
  Py_DECREF(r);
  Py_RETURN_FALSE;
}

static gboolean
index_sink(gpointer ctx, Item *it, GError **error)
{
  IndexObject *self = ctx;
  if (it->borrowed == NULL)
    it->doc->meta = it->meta;
  gboolean ok = nd_index_add(self->ix, it->doc, error);
  if (it->borrowed == NULL)
    nd_document_free(it->doc); /* archived (or refused): the sink takes it either way */
  return ok;
}

static PyObject *
index_add(IndexObject *self, PyObject *args, PyObject *kwds)
{
  static char *kwlist[] = { "items", "threads", "errors", NULL };
  PyObject *items, *errors = NULL;
  Py_ssize_t threads = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|$nO:add", kwlist, &items, &threads, &errors))
    return NULL;
  if (threads < 0 || threads > 1024)
    return raise_code(ND_ERROR_INVALID_ARG, "threads must be between 0 (one per processor) and 1024");
  PyObject *skipped = PyList_New(0);
  if (skipped == NULL)
    return NULL;
  ErrorPolicy policy;
  if (!error_policy_from(errors, skipped, &policy)) {
    Py_DECREF(skipped);
    return NULL;
  }
  if (!index_enter(self)) {
    Py_DECREF(skipped);
    return NULL;
  }
  gboolean ok;
  GError *e = NULL;
  Py_BEGIN_ALLOW_THREADS
  ok = nd_index_begin(self->ix, &e);
  Py_END_ALLOW_THREADS
  if (!ok) {
    raise_error(e, NULL);
    g_error_free(e);
    Py_DECREF(skipped);
    return index_leave(self, NULL);
  }
  Sink sink = { index_sink, self, FALSE, TRUE, sign_key(&self->params) };
  gint64 n = pipeline_run(&self->params, (guint)threads, items, &sink, &policy);
  if (n < 0) {
    Py_BEGIN_ALLOW_THREADS
    nd_index_rollback(self->ix);
    Py_END_ALLOW_THREADS
    Py_DECREF(skipped);
    return index_leave(self, NULL);
  }
  Py_BEGIN_ALLOW_THREADS
  ok = nd_index_commit(self->ix, &e);
  Py_END_ALLOW_THREADS
  if (!ok) {
    raise_error(e, NULL);
    g_error_free(e);
    Py_DECREF(skipped);
    return index_leave(self, NULL);
  }
  PyObject *result = Py_BuildValue("(LN)", (long long)n, skipped);
  return index_leave(self, result);
}

static PyObject *
index_remove(IndexObject *self, PyObject *args)
{
  Py_ssize_t n = PyTuple_GET_SIZE(args);
  GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
  for (Py_ssize_t i = 0; i < n; i++) {
    char *id = id_from(PyTuple_GET_ITEM(args, i));
    if (id == NULL) {
      g_ptr_array_unref(ids);
      return NULL;
    }
    g_ptr_array_add(ids, id);
  }
  if (!index_enter(self)) {
    g_ptr_array_unref(ids);
    return NULL;
  }
  gboolean ok;
  GError *e = NULL;
  const char *failed_id = NULL;
  Py_BEGIN_ALLOW_THREADS
  ok = nd_index_begin(self->ix, &e);
  for (guint i = 0; ok && i < ids->len; i++)
    if (!(ok = nd_index_remove(self->ix, g_ptr_array_index(ids, i), &e)))
      failed_id = g_ptr_array_index(ids, i);
  if (ok)
    ok = nd_index_commit(self->ix, &e);
  else if (failed_id != NULL)
    nd_index_rollback(self->ix);
  Py_END_ALLOW_THREADS
  if (!ok) {
    raise_error(e, NULL);
    g_error_free(e);
  }
  g_ptr_array_unref(ids);
  return index_leave(self, ok ? Py_NewRef(Py_None) : NULL);
}

static PyObject *
index_query(IndexObject *self, PyObject *args, PyObject *kwds)
{
  static char *kwlist[] = { "text", "threshold", "containment", "min_shared", "id", NULL };
  PyObject *text, *idobj = NULL;
  double threshold = ND_DEFAULT_THRESHOLD, containment = ND_DEFAULT_CONTAINMENT;
  Py_ssize_t min_shared = 8;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|$ddnO:query", kwlist, &text, &threshold, &containment,
                                   &min_shared, &idobj))
    return NULL;
  NdFindOptions o;
  if (!find_options_from(&o, threshold, containment, 0, min_shared, "exact", 1))
    return NULL;
  const NdDocument *doc = NULL;
  const char *bytes = NULL;
  gsize len = 0;
  if (PyObject_TypeCheck(text, &DocumentType)) {
    DocumentObject *d = (DocumentObject *)text;
    SignKey key = sign_key(&self->params);
    if (!sign_key_equal(&d->key, &key))
      return raise_code(ND_ERROR_INVALID_ARG, "the document was signed with other parameters than the index's");
    doc = d->doc;
  } else {
    gboolean is_str;
    bytes = text_bytes(text, &len, &is_str, "text");
    if (bytes == NULL)
      return NULL;
  }
  g_autofree char *id = idobj != NULL && idobj != Py_None ? id_from(idobj) : g_strdup("query");
  if (id == NULL)
    return NULL;
  if (!index_enter(self))
    return NULL;
  GArray *matches = NULL;
  GError *e = NULL;
  Py_INCREF(text);
  Py_BEGIN_ALLOW_THREADS
  NdDocument *signed_doc = NULL;
  if (doc == NULL)
    doc = signed_doc = nd_signer_sign(self->signer, id, bytes, len, &e);
  if (doc != NULL)
    matches = nd_index_query(self->ix, doc, &o, &e);
  nd_document_free(signed_doc);
  Py_END_ALLOW_THREADS
  Py_DECREF(text);
  if (matches == NULL) {
    raise_error(e, NULL);
    g_error_free(e);
    return index_leave(self, NULL);
  }
  PyObject *list = PyList_New(matches->len);
  for (guint i = 0; list != NULL && i < matches->len; i++) {
    const NdIndexMatch *m = &g_array_index(matches, NdIndexMatch, i);
    PyObject *t = PyStructSequence_New(MatchType);
    if (t == NULL) {
      Py_CLEAR(list);
      break;
    }
    PyStructSequence_SET_ITEM(t, 0, str_from_utf8(m->id));
    PyStructSequence_SET_ITEM(t, 1, PyFloat_FromDouble(m->scores.jaccard));
    PyStructSequence_SET_ITEM(t, 2, PyFloat_FromDouble(m->scores.containment_a_in_b));
    PyStructSequence_SET_ITEM(t, 3, PyFloat_FromDouble(m->scores.containment_b_in_a));
    PyStructSequence_SET_ITEM(t, 4, PyLong_FromUnsignedLong(m->scores.shared));
    PyStructSequence_SET_ITEM(t, 5, PyLong_FromUnsignedLongLong(m->bytes));
    PyObject *meta = PyErr_Occurred() ? NULL : metadata_to_python(m->metadata);
    PyStructSequence_SET_ITEM(t, 6, meta != NULL ? meta : Py_NewRef(Py_None));
    PyStructSequence_SET_ITEM(t, 7, PyLong_FromUnsignedLongLong(m->group));
    PyStructSequence_SET_ITEM(t, 8, PyBool_FromLong(m->kept));
    PyList_SET_ITEM(list, i, t);
    if (PyErr_Occurred())
      Py_CLEAR(list);
  }
  g_array_unref(matches);
  return index_leave(self, list);
}

static PyObject *
index_text(IndexObject *self, PyObject *idobj)
{
  g_autofree char *id = id_from(idobj);
  if (id == NULL || !index_enter(self))
    return NULL;
  char *text;
  gsize len = 0;
  GError *e = NULL;
  Py_BEGIN_ALLOW_THREADS
  text = nd_index_get_text(self->ix, id, &len, &e);
  Py_END_ALLOW_THREADS
  if (text == NULL) {
    raise_error(e, id);
    g_error_free(e);
    return index_leave(self, NULL);
  }
  PyObject *s = PyUnicode_DecodeUTF8(text, (Py_ssize_t)len, "surrogateescape");
  g_free(text);
  return index_leave(self, s);
}

static PyObject *
index_stats(IndexObject *self, PyObject *unused)
{
  (void)unused;
  if (!index_enter(self))
    return NULL;
  NdIndexStats st;
  gboolean ok;
  GError *e = NULL;
  Py_BEGIN_ALLOW_THREADS
  ok = nd_index_stats(self->ix, &st, &e);
  Py_END_ALLOW_THREADS
  if (!ok) {
    raise_error(e, NULL);
    g_error_free(e);
    return index_leave(self, NULL);
  }
  PyObject *t = PyStructSequence_New(IndexStatsType);
  if (t != NULL) {
    PyStructSequence_SET_ITEM(t, 0, PyLong_FromUnsignedLongLong(st.articles));
    PyStructSequence_SET_ITEM(t, 1, PyLong_FromUnsignedLongLong(st.text_bytes));
    PyStructSequence_SET_ITEM(t, 2, PyLong_FromUnsignedLongLong(st.file_bytes));
    PyStructSequence_SET_ITEM(t, 3, PyLong_FromUnsignedLongLong(st.band_keys));
    PyStructSequence_SET_ITEM(t, 4, PyLong_FromUnsignedLongLong(st.anchors));
    PyStructSequence_SET_ITEM(t, 5, PyLong_FromLong(st.format_version));
    PyStructSequence_SET_ITEM(t, 6, PyLong_FromUnsignedLongLong(st.groups));
    PyStructSequence_SET_ITEM(t, 7, PyLong_FromUnsignedLongLong(st.kept));
    PyStructSequence_SET_ITEM(t, 8, PyLong_FromUnsignedLongLong(st.texts));
    PyStructSequence_SET_ITEM(t, 9, PyLong_FromUnsignedLongLong(st.batches));
    if (PyErr_Occurred())
      Py_CLEAR(t);
  }
  return index_leave(self, t);
}

static PyObject *
index_collection(IndexObject *self, PyObject *args, PyObject *kwds)
{
  static char *kwlist[] = { "items", "threads", "errors", NULL };
  PyObject *items = NULL, *errors = NULL;
  Py_ssize_t threads = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O$nO:collection", kwlist, &items, &threads, &errors))
    return NULL;
  if (threads < 0 || threads > 1024)
    return raise_code(ND_ERROR_INVALID_ARG, "threads must be between 0 (one per processor) and 1024");
  ErrorPolicy check;
  if (!error_policy_from(errors, NULL, &check))
    return NULL;
  if (self->warnings == NULL || self->ix == NULL) {
    PyErr_SetString(PyExc_ValueError, "the index is closed");
    return NULL;
  }
  CollectionObject *c = collection_new_with(&self->params, (guint)threads, errors);
  if (c == NULL)
    return NULL;
  if (items != NULL) {
    Py_ssize_t added;
    int r = objlock_acquire(&c->lock, "Collection");
    if (r == 0) {
      r = collection_extend_locked(c, items, NULL, &added);
      objlock_release(&c->lock);
    }
    if (r < 0) {
      Py_DECREF(c);
      return NULL;
    }
  }
  return (PyObject *)c;
}

static PyObject *
index_signer(IndexObject *self, PyObject *unused)
{
  (void)unused;
  if (self->warnings == NULL || self->ix == NULL) {
    PyErr_SetString(PyExc_ValueError, "the index is closed");
    return NULL;
  }
  SignerObject *s = (SignerObject *)SignerType.tp_alloc(&SignerType, 0);
  if (s == NULL)
    return NULL;
  s->params = self->params;
  g_mutex_init(&s->pool_lock);
  s->pool = g_ptr_array_new_with_free_func((GDestroyNotify)nd_signer_free);
  return (PyObject *)s;
}

static Py_ssize_t
index_len(IndexObject *self)
{
  PyObject *st = index_stats(self, NULL);
  if (st == NULL)
    return -1;
  Py_ssize_t n = PyLong_AsSsize_t(PyStructSequence_GET_ITEM(st, 0));
  Py_DECREF(st);
  return n;
}

static PyObject *
index_get_path(IndexObject *self, void *closure)
{
  (void)closure;
  return Py_NewRef(self->path != NULL ? self->path : Py_None);
}

static PyObject *
index_get_shingle(IndexObject *self, void *closure)
{
  (void)closure;
  g_autofree char *s = nd_shingle_spec_to_string(&self->params.shingle);
  return PyUnicode_FromString(s);
}

static PyObject *
index_get_num_perm(IndexObject *self, void *closure)
{
  (void)closure;
  return PyLong_FromUnsignedLong(self->params.num_perm);
}

static PyObject *
index_get_seed(IndexObject *self, void *closure)
{
  (void)closure;
  return PyLong_FromUnsignedLongLong(self->params.seed);
}

static PyObject *
index_get_closed(IndexObject *self, void *closure)
{
  (void)closure;
  return PyBool_FromLong(self->ix == NULL);
}

static PyObject *
index_get_writable(IndexObject *self, void *closure)
{
  (void)closure;
  return PyBool_FromLong(self->writable);
}

static PyGetSetDef index_getset[] = {
  { "path", (getter)index_get_path, NULL, "The index file.", NULL },
  { "shingle", (getter)index_get_shingle, NULL, "The shingle spec fixed when the index was created.", NULL },
  { "num_perm", (getter)index_get_num_perm, NULL, "The signature length fixed at creation.", NULL },
  { "seed", (getter)index_get_seed, NULL, "The hash seed fixed at creation.", NULL },
  { "closed", (getter)index_get_closed, NULL, "True once close() was called.", NULL },
  { "writable", (getter)index_get_writable, NULL, "True when opened for adds and removals.", NULL },
  { NULL, NULL, NULL, NULL, NULL },
};

static PyMethodDef index_methods[] = {
  { "create", (PyCFunction)(void (*)(void))index_create, METH_VARARGS | METH_KEYWORDS | METH_CLASS,
    "create(path, *, threshold=0.5, shingle='words:3', num_perm=128, seed=1, text='all', text_format='plain')\n"
    "--\n\n"
    "Creates a new index file (never overwriting one: IndexFileError if `path` exists) for articles\n"
    "signed with these parameters, its LSH banding tuned for `threshold`; returns it open for\n"
    "writing (the caller closes it, or uses `with`). text: whose texts are stored, 'all', 'kept' (a\n"
    "group's kept articles) or 'none' (the others keep their shingle keys, still matched exactly);\n"
    "text_format: 'plain' (the sqlite3 shell reads them) or 'zlib' (smaller). Index.add() archives\n"
    "each article as a group of its own; dedup(add=True) archives a batch in its groups." },
  { "add", (PyCFunction)(void (*)(void))index_add, METH_VARARGS | METH_KEYWORDS,
    "add($self, items, *, threads=0, errors='raise')\n--\n\n"
    "Archives every item of `items`: (id, text) or (id, text, metadata) tuples, signed in parallel\n"
    "as Collection.extend() does, or Documents from Index.collection(). One transaction: all or\n"
    "nothing when an error is raised (or the process dies). errors='skip' passes over items that\n"
    "fail (an id already archived: DuplicateIdError, an empty text ...). Each article becomes a\n"
    "group of its own (use dedup(add=True) to archive a batch in groups of near-duplicates).\n"
    "Raises IndexBusyError when another writer holds the index past its busy timeout, IndexFileError\n"
    "for a corrupt index. Returns (added, skipped), skipped a list of (id, exception)." },
  { "remove", (PyCFunction)index_remove, METH_VARARGS,
    "remove($self, *ids)\n--\n\n"
    "Removes the archived articles `ids`, in one transaction (NotFoundError for an id not archived:\n"
    "then nothing is removed)." },
  { "query", (PyCFunction)(void (*)(void))index_query, METH_VARARGS | METH_KEYWORDS,
    "query($self, text, *, threshold=0.5, containment=0.2, min_shared=8, id=None)\n--\n\n"
    "The archived articles that `text` (str, bytes, or a Document signed with the index's\n"
    "parameters) matches under the report rule (near-duplicates and verbatim reuse: the archive has\n"
    "no batch word frequencies), best first: a list of Match, each with its group and whether it is\n"
    "the group's kept article. Reads only the postings of the text's band keys and passage anchors,\n"
    "never the whole index. The GIL is released. Corrupt archived rows are skipped with an\n"
    "IndexWarning; a text that cannot be signed raises its error (EmptyError ...)." },
  { "text", (PyCFunction)index_text, METH_O,
    "text($self, id, /)\n--\n\n"
    "The original text of archived article `id`, checked against its stored hash (IndexFileError\n"
    "when it does not match; NotFoundError when the article is not archived or its text is not\n"
    "stored)." },
  { "stats", (PyCFunction)index_stats, METH_NOARGS, "stats($self, /)\n--\n\nIndexStats of the index." },
  { "collection", (PyCFunction)(void (*)(void))index_collection, METH_VARARGS | METH_KEYWORDS,
    "collection($self, items=(), *, threads=0, errors='raise')\n--\n\n"
    "A Collection signed with the index's parameters (texts kept), so that its documents can be\n"
    "queried and added without signing them again." },
  { "signer", (PyCFunction)index_signer, METH_NOARGS,
    "signer($self, /)\n--\n\nA Signer with the index's parameters." },
  { "close", (PyCFunction)index_close, METH_NOARGS,
    "close($self, /)\n--\n\nCloses the index (an add in progress elsewhere is waited for). Idempotent." },
  { "__enter__", (PyCFunction)index_enter_ctx, METH_NOARGS, NULL },
  { "__exit__", (PyCFunction)index_exit_ctx, METH_VARARGS, NULL },
  { NULL, NULL, 0, NULL },
};

static PySequenceMethods index_as_sequence = {
  .sq_length = (lenfunc)index_len,
};

static PyTypeObject IndexType = {
  PyVarObject_HEAD_INIT(NULL, 0)
  .tp_name = MODULE ".Index",
  .tp_basicsize = sizeof(IndexObject),
  .tp_dealloc = (destructor)index_dealloc,
  .tp_as_sequence = &index_as_sequence,
  .tp_flags = Py_TPFLAGS_DEFAULT,
  .tp_doc = "Index(path, *, writable=False)\n--\n\n"
            "A persistent archive of signed articles (one SQLite file; see `neardup index`): opens an\n"
            "existing index (NotFoundError when there is none, IndexFileError when it is not a neardup\n"
            "index or is corrupt). Index.create() makes a new one. A context manager: `with` closes it.\n"
            "len(index) is the number of archived articles.",
  .tp_methods = index_methods,
  .tp_getset = index_getset,
  .tp_init = (initproc)index_init,
  .tp_new = PyType_GenericNew,
};

/* ------------------------------------------------------------------------------------------------ */
/* dedup: the library's dedup plan (dedup.h) over a collection's pairs and, with an index, the
 * archive's groups: the steps of `neardup dedup` (src/cli/cmd_dedup.c) without its copies and its
 * manifest writer. Everything between finding the pairs and building the results runs without the
 * GIL, with the collection's and the index's locks held. */

typedef struct {
  const NdCollection *coll;
  NdIndex *ix;                  /* NULL: the batch alone */
  const GArray *pairs;          /* NdPair, from nd_find_pairs */
  NdFindOptions find;
  NdDedupOptions options;
  const char *date_field;
  gboolean add;
  guint n;
  NdDate *dates;
  gboolean *has_date;
  char **date_text;             /* the dates as written (owned) */
  gboolean *archived;           /* the article itself is archived (a batch run again) */
  NdIndexRecord *records;       /* ... its record */
  GArray *groups;               /* NdIndexGroup: the archived groups the plan needs */
  GPtrArray *matches;           /* per article not archived: GArray of NdIndexMatch (the plan borrows
                                   their ids) */
  NdDedupPlan *plan;
  guint64 bad_dates;
  char *first_bad_date;         /* "id: message" of the first unreadable date */
  GError *error;
} DedupJob;

static gint
compare_guint64(gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;
  return x < y ? -1 : x > y;
}

static void
dedup_job_clear(DedupJob *j)
{
  g_clear_pointer(&j->plan, nd_dedup_plan_free); /* before the strings it borrows */
  for (guint i = 0; i < j->n; i++) {
    g_free(j->date_text[i]);
    nd_index_record_clear(&j->records[i]);
  }
  g_free(j->dates);
  g_free(j->has_date);
  g_free(j->date_text);
  g_free(j->archived);
  g_free(j->records);
  if (j->groups != NULL)
    g_array_unref(j->groups);
  if (j->matches != NULL)
    g_ptr_array_unref(j->matches);
  g_free(j->first_bad_date);
  g_clear_error(&j->error);
}

/* The archive's side of the plan: which batch articles are archived already, the archived matches
 * of the others, and the groups they name. FALSE with j->error. */
static gboolean
dedup_job_archive(DedupJob *j, NdDedupArticle *arts, guint64 *next_group)
{
  g_autoptr(GPtrArray) fresh = g_ptr_array_new();
  for (guint i = 0; i < j->n; i++) {
    const NdDocument *d = nd_collection_get(j->coll, i);
    GError *local = NULL;
    int held = nd_index_holds(j->ix, d, &j->records[i], &local);
    if (held < 0 && local != NULL) {
      g_propagate_error(&j->error, local);
      return FALSE;
    }
    if (held == 0) {
      g_ptr_array_add(fresh, (gpointer)d);
      continue;
    }
    /* Archived (with this text, or another: the archived article stands, as in the tool). */
    j->archived[i] = TRUE;
    arts[i].archived_group = j->records[i].group;
    arts[i].archived_kept = j->records[i].kept;
    arts[i].archived_match = j->records[i].match_id;
    arts[i].archived_jaccard = j->records[i].jaccard;
    arts[i].archived_containment = j->records[i].containment;
  }
  j->matches = nd_index_match(j->ix, (const NdDocument *const *)fresh->pdata, fresh->len, &j->find, &j->error);
  if (j->matches == NULL || !nd_index_next_group(j->ix, next_group, &j->error))
    return FALSE;
  g_autoptr(GHashTable) named = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  for (guint f = 0; f < j->matches->len; f++) {
    GArray *m = g_ptr_array_index(j->matches, f);
    for (guint k = 0; k < m->len; k++)
      g_hash_table_add(named, g_memdup2(&g_array_index(m, NdIndexMatch, k).group, sizeof(guint64)));
  }
  for (guint i = 0; i < j->n; i++)
    if (j->archived[i])
      g_hash_table_add(named, g_memdup2(&arts[i].archived_group, sizeof(guint64)));
  /* In group order, so that a run does not depend on the hash table's. */
  g_autoptr(GArray) numbers = g_array_new(FALSE, FALSE, sizeof(guint64));
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, named);
  while (g_hash_table_iter_next(&it, &key, NULL))
    g_array_append_val(numbers, *(guint64 *)key);
  g_array_sort(numbers, compare_guint64);
  for (guint k = 0; k < numbers->len; k++) {
    NdIndexGroup g;
    if (!nd_index_get_group(j->ix, g_array_index(numbers, guint64, k), &g, &j->error))
      return FALSE;
    g_array_append_val(j->groups, g);
  }
  return TRUE;
}

/* Dates, the plan and (with add) the archive's transaction. FALSE with j->error. */
static gboolean
dedup_job_run(DedupJob *j)
{
  guint n = j->n;
  for (guint i = 0; i < n; i++) {
    const NdDocument *d = nd_collection_get(j->coll, i);
    GError *local = NULL;
    int found = nd_date_from_metadata(d->meta, j->date_field, &j->dates[i], &j->date_text[i], &local);
    j->has_date[i] = found > 0;
    if (found < 0 && j->bad_dates++ == 0)
      j->first_bad_date = g_strdup_printf("%s: %s", d->id, local->message);
    g_clear_error(&local);
  }
  if (j->add && !nd_index_begin(j->ix, &j->error))
    return FALSE;
  g_autofree NdDedupArticle *arts = g_new0(NdDedupArticle, n + 1);
  for (guint i = 0; i < n; i++) {
    const NdDocument *d = nd_collection_get(j->coll, i);
    arts[i] = (NdDedupArticle){ .id = d->id, .bytes = d->bytes, .has_date = j->has_date[i], .date = j->dates[i].utc };
  }
  guint64 next_group = 1;
  gboolean ok = j->ix == NULL || dedup_job_archive(j, arts, &next_group);
  if (ok) {
    j->plan = nd_dedup_plan_new(&j->options, arts, n);
    nd_dedup_plan_add_pairs(j->plan, (const NdPair *)(const void *)j->pairs->data, j->pairs->len);
    for (guint i = 0, f = 0; j->matches != NULL && i < n; i++) {
      if (j->archived[i])
        continue;
      GArray *m = g_ptr_array_index(j->matches, f++);
      for (guint k = 0; k < m->len; k++) {
        const NdIndexMatch *x = &g_array_index(m, NdIndexMatch, k);
        nd_dedup_plan_add_archived(j->plan, i, x->group, x->id, &x->scores);
      }
    }
    for (guint g = 0; g < j->groups->len; g++) {
      const NdIndexGroup *ig = &g_array_index(j->groups, NdIndexGroup, g);
      NdDedupGroup dg = { ig->group, ig->kept.id, ig->kept.bytes, ig->kept.has_date, ig->kept.date_utc };
      nd_dedup_plan_add_group(j->plan, &dg);
    }
    ok = nd_dedup_plan_solve(j->plan, next_group, &j->error);
  }
  for (guint i = 0; ok && j->add && i < n; i++) {
    if (j->archived[i] || !nd_dedup_plan_to_archive(j->plan, i))
      continue;
    const NdDedupResult *r = nd_dedup_plan_result(j->plan, i);
    NdIndexEntry entry = { r->group, r->status == ND_DEDUP_KEPT, r->match_id, r->jaccard, r->containment,
                           j->has_date[i] ? &j->dates[i] : NULL, j->date_text[i] };
    ok = nd_index_add_entry(j->ix, nd_collection_get(j->coll, i), &entry, &j->error);
  }
  if (j->add) {
    if (ok)
      ok = nd_index_commit(j->ix, &j->error);
    else
      nd_index_rollback(j->ix);
  }
  return ok;
}

static PyObject *
optional_str(const char *s)
{
  return s != NULL ? str_from_utf8(s) : Py_NewRef(Py_None);
}

static PyObject *
date_iso(gboolean has_date, gint64 utc)
{
  if (!has_date)
    Py_RETURN_NONE;
  char iso[ND_DATE_ISO_SIZE];
  nd_date_format_utc(utc, iso);
  return PyUnicode_FromString(iso);
}

/* One manifest row as a tuple (the fields of Verdict, in order). */
static PyObject *
verdict_row(const char *id, guint64 group, const char *status, const char *dup_of, gboolean dup_archived,
            const char *match_id, gboolean match_archived, double jaccard, double containment, PyObject *date,
            gboolean already_archived)
{
  if (date == NULL)
    return NULL;
  PyObject *j = match_id != NULL ? PyFloat_FromDouble(jaccard) : Py_NewRef(Py_None);
  PyObject *c = match_id != NULL ? PyFloat_FromDouble(containment) : Py_NewRef(Py_None);
  if (j == NULL || c == NULL) {
    Py_XDECREF(j);
    Py_XDECREF(c);
    Py_DECREF(date);
    return NULL;
  }
  /* "N" takes the reference, also when building fails */
  PyObject *row = Py_BuildValue("(NKsNONOOONO)", str_from_utf8(id), (unsigned long long)group, status,
                                optional_str(dup_of), dup_archived ? Py_True : Py_False, optional_str(match_id),
                                match_archived ? Py_True : Py_False, j, c, date, already_archived ? Py_True : Py_False);
  Py_DECREF(j);
  Py_DECREF(c);
  return row;
}

static const char *const dedup_status_names[] = { "kept", "dropped", "superseded" };

/* The rows of a solved plan: one per batch article, then the archived kept articles it supersedes. */
static PyObject *
dedup_rows(const DedupJob *j)
{
  PyObject *rows = PyList_New(0);
  for (guint i = 0; rows != NULL && i < j->n; i++) {
    const NdDocument *d = nd_collection_get(j->coll, i);
    const NdDedupResult *r = nd_dedup_plan_result(j->plan, i);
    const char *dup_of = r->status == ND_DEDUP_KEPT ? NULL : r->kept_id;
    PyObject *row = verdict_row(d->id, r->group, dedup_status_names[r->status], dup_of,
                                dup_of != NULL && r->kept_article < 0, r->match_id,
                                r->match_id != NULL && r->match_article < 0, r->jaccard, r->containment,
                                date_iso(j->has_date[i], j->dates[i].utc), j->archived[i]);
    if (row == NULL || PyList_Append(rows, row) < 0)
      Py_CLEAR(rows);
    Py_XDECREF(row);
  }
  guint n_sup = 0;
  const NdDedupSuperseded *sup = nd_dedup_plan_superseded(j->plan, &n_sup);
  for (guint k = 0; rows != NULL && k < n_sup; k++) {
    gboolean in_batch = FALSE;
    for (guint i = 0; i < j->n && !in_batch; i++)
      in_batch = j->archived[i] && strcmp(nd_collection_get(j->coll, i)->id, sup[k].id) == 0;
    if (in_batch)
      continue; /* its row is above */
    const NdIndexRecord *old = NULL; /* the superseded article as archived: its match and date */
    for (guint g = 0; g < j->groups->len && old == NULL; g++)
      if (g_array_index(j->groups, NdIndexGroup, g).group == sup[k].group)
        old = &g_array_index(j->groups, NdIndexGroup, g).kept;
    const char *match = old != NULL ? old->match_id : NULL;
    PyObject *row = verdict_row(sup[k].id, sup[k].group, "superseded", nd_collection_get(j->coll, sup[k].new_kept)->id,
                                FALSE, match, match != NULL, match ? old->jaccard : 0, match ? old->containment : 0,
                                date_iso(old != NULL && old->has_date, old != NULL ? old->date_utc : 0), TRUE);
    if (row == NULL || PyList_Append(rows, row) < 0)
      Py_CLEAR(rows);
    Py_XDECREF(row);
  }
  return rows;
}


static PyObject *
py_dedup_plan(PyObject *module, PyObject *args, PyObject *kwds)
{
  (void)module;
  static char *kwlist[] = { "collection", "index", "keep", "rekeep", "date_missing", "date_field", "add",
                            "threshold", "containment", "min_shared", "score", "verify", "threads", NULL };
  PyObject *collobj, *ixobj = Py_None, *threads = Py_None;
  const char *keep = "first", *rekeep = "never", *missing = "last", *date_field = "date", *verify = "auto";
  int add = 0;
  /* dedup's defaults are the tool's: containment 0.8 and the containment rule (score 0), so that a
   * rewrite is not a duplicate */
  double threshold = ND_DEFAULT_THRESHOLD, containment = 0.8, score = 0;
  Py_ssize_t min_shared = ND_DEFAULT_MIN_SHARED;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!|O$sssspddndsO:_dedup_plan", kwlist, &CollectionType, &collobj,
                                   &ixobj, &keep, &rekeep, &missing, &date_field, &add, &threshold, &containment,
                                   &min_shared, &score, &verify, &threads))
    return NULL;
  static const char *const keep_names[] = { "first", "longest", "earliest" };
  static const char *const rekeep_names[] = { "never", "earliest", "longest" };
  static const char *const missing_names[] = { "last", "first" };
  int k = choice_from(keep, keep_names, 3, "keep"), r = k < 0 ? -1 : choice_from(rekeep, rekeep_names, 3, "rekeep");
  int m = r < 0 ? -1 : choice_from(missing, missing_names, 2, "date_missing");
  if (m < 0)
    return NULL;
  if (ixobj != Py_None && !PyObject_TypeCheck(ixobj, &IndexType))
    return PyErr_Format(PyExc_TypeError, "index must be a neardup.Index or None, not %.100s", Py_TYPE(ixobj)->tp_name);
  IndexObject *ixo = ixobj != Py_None ? (IndexObject *)ixobj : NULL;
  if ((add || r != 0) && ixo == NULL)
    return raise_code(ND_ERROR_INVALID_ARG, add ? "add=True needs an index" : "rekeep needs an index");
  if (add && !ixo->writable)
    return raise_code(ND_ERROR_INVALID_ARG, "add=True needs an index opened for writing (Index(path, writable=True))");
  CollectionObject *coll = (CollectionObject *)collobj;
  if (!collection_ready(coll))
    return NULL;
  if (ixo != NULL && !sign_key_equal(&(SignKey){ coll->params.shingle, coll->params.num_perm, coll->params.seed },
                                     &(SignKey){ ixo->params.shingle, ixo->params.num_perm, ixo->params.seed }))
    return raise_code(ND_ERROR_INVALID_ARG, "the collection was signed with other parameters than the index's "
                                            "(make it with Index.collection())");
  if (add && !coll->params.keep_text)
    return raise_code(ND_ERROR_INVALID_ARG, "add=True needs the texts: make the collection with Index.collection()");
  NdFindOptions o;
  if (!collection_find_options(coll, &o, threshold, containment, score, min_shared, verify, threads))
    return NULL;
  if (objlock_acquire(&coll->lock, "Collection") < 0)
    return NULL;
  GArray *pairs = collection_find(coll, &o);
  if (pairs == NULL) {
    objlock_release(&coll->lock);
    return NULL;
  }
  if (ixo != NULL && !index_enter(ixo)) {
    g_array_unref(pairs);
    objlock_release(&coll->lock);
    return NULL;
  }
  guint n = nd_collection_size(coll->coll);
  DedupJob j = { .coll = coll->coll, .ix = ixo != NULL ? ixo->ix : NULL, .pairs = pairs, .find = o,
                 .options = { (NdKeepPolicy)k, (NdRekeepPolicy)r, m == 1 ? ND_DATE_MISSING_FIRST : ND_DATE_MISSING_LAST },
                 .date_field = date_field, .add = add, .n = n };
  j.dates = g_new0(NdDate, n + 1);
  j.has_date = g_new0(gboolean, n + 1);
  j.date_text = g_new0(char *, n + 1);
  j.archived = g_new0(gboolean, n + 1);
  j.records = g_new0(NdIndexRecord, n + 1);
  j.groups = g_array_new(FALSE, TRUE, sizeof(NdIndexGroup));
  g_array_set_clear_func(j.groups, (GDestroyNotify)nd_index_group_clear);
  gboolean ok;
  Py_BEGIN_ALLOW_THREADS
  ok = dedup_job_run(&j);
  Py_END_ALLOW_THREADS
  PyObject *rows = ok ? dedup_rows(&j) : raise_error(j.error, NULL);
  if (rows != NULL && j.bad_dates > 0 &&
      PyErr_WarnFormat(PyExc_UserWarning, 2, "%" G_GUINT64_FORMAT " article%s a date that cannot be read (the first: "
                       "%s); taken as having none", j.bad_dates, j.bad_dates == 1 ? " has" : "s have",
                       j.first_bad_date) < 0)
    Py_CLEAR(rows);
  dedup_job_clear(&j);
  g_array_unref(pairs);
  objlock_release(&coll->lock);
  return ixo != NULL ? index_leave(ixo, rows) : rows;
}

/* ------------------------------------------------------------------------------------------------ */
/* Module */

static PyObject *
py_version(PyObject *module, PyObject *unused)
{
  (void)module;
  (void)unused;
  return PyUnicode_FromString(nd_version());
}

static PyObject *
py_index_vfs_name(PyObject *module, PyObject *unused)
{
  (void)module;
  (void)unused;
  return PyUnicode_FromString(nd_index_vfs_name());
}

static PyObject *
py_cluster_assign(PyObject *module, PyObject *args)
{
  (void)module;
  Py_ssize_t n;
  PyObject *edges;
  if (!PyArg_ParseTuple(args, "nO:cluster_assign", &n, &edges))
    return NULL;
  if (n < 0 || n > G_MAXUINT)
    return raise_code(ND_ERROR_INVALID_ARG, "the number of nodes is out of range");
  g_autoptr(GArray) pairs = g_array_new(FALSE, FALSE, sizeof(NdPair));
  if (!edges_from(edges, (guint)n, pairs, FALSE))
    return NULL;
  g_autofree guint *cluster_of = g_new0(guint, MAX(n, 1));
  nd_cluster_assign((const NdPair *)pairs->data, pairs->len, (guint)n, cluster_of);
  PyObject *list = PyList_New(n);
  for (Py_ssize_t i = 0; list != NULL && i < n; i++) {
    PyObject *v = PyLong_FromUnsignedLong(cluster_of[i]);
    if (v == NULL)
      Py_CLEAR(list);
    else
      PyList_SET_ITEM(list, i, v);
  }
  return list;
}

static PyMethodDef module_methods[] = {
  { "version", py_version, METH_NOARGS,
    "version()\n--\n\nThe version of the libneardup the module runs with (nd_version())." },
  { "diff", (PyCFunction)(void (*)(void))py_diff, METH_VARARGS | METH_KEYWORDS,
    "diff(a, b, *, tokens='words', lossy=False, seed_tokens=3, max_gap=12, max_drift=6, min_tokens=6, "
    "min_score=0.5, max_seed_occurrences=50, min_content=3, stem=True, sentence_overlap=0.4, "
    "sentence_min_shared=4)\n--\n\n"
    "The passages texts `a` and `b` (str, or UTF-8 bytes) share, verbatim (seed and chain alignment,\n"
    "words matched by their Snowball stem in English with stem=True) or rewritten (aligned sentences\n"
    "sharing sentence_overlap of their content words; 0 turns them off), as `neardup diff` finds\n"
    "them; include/neardup/diff.h states the rules and options. Returns a new Diff whose passages\n"
    "give character offsets into the strings (a[p.a_start:p.a_end]; byte offsets for bytes inputs)\n"
    "and byte offsets into their UTF-8 encodings. tokens='chars' aligns character by character\n"
    "(scripts without spaces). Raises UTF8Error or TooLargeError for a text that cannot be read,\n"
    "InvalidArgumentError for an option out of range. The GIL is released." },
  { "index_vfs_name", py_index_vfs_name, METH_NOARGS,
    "index_vfs_name()\n--\n\n"
    "The name of the SQLite VFS that keeps a checksum in every page of an index, registered in this\n"
    "process by the call: Python's sqlite3 (the same libsqlite3) can then write to an index with\n"
    "sqlite3.connect(f'file:{path}?vfs={neardup.index_vfs_name()}', uri=True); pages written\n"
    "otherwise fail their checksums. Reading works without it." },
  { "_dedup_plan", (PyCFunction)(void (*)(void))py_dedup_plan, METH_VARARGS | METH_KEYWORDS,
    "_dedup_plan(collection, index=None, *, keep='first', rekeep='never', date_missing='last', date_field='date',\n"
    "            add=False, threshold=0.5, containment=0.8, min_shared=8, verify='auto', threads=None)\n--\n\n"
    "The library's dedup plan (dedup.h) for `collection` and, with `index`, the archive's groups;\n"
    "with add=True the batch is archived in one transaction. Returns a list of tuples in the order\n"
    "of neardup.Verdict's fields. Used by neardup.dedup(), which documents the policies." },
  { "cluster_assign", py_cluster_assign, METH_VARARGS,
    "cluster_assign(n, edges, /)\n--\n\n"
    "Connected components of a graph of `n` nodes given as (a, b) edges (the library's union-find):\n"
    "a list of n cluster numbers, 1, 2, ... in order of each cluster's first node, 0 for nodes in no\n"
    "edge." },
  { NULL, NULL, 0, NULL },
};

static struct PyModuleDef module_def = {
  PyModuleDef_HEAD_INIT, "neardup._neardup",
  "The compiled core of neardup (use the neardup package).", -1, module_methods,
  NULL, NULL, NULL, NULL,
};

static int
add_error_classes(PyObject *m)
{
  PyObject *dict = Py_BuildValue("{s:i,s:O}", "code", 0, "id", Py_None);
  if (dict == NULL)
    return -1;
  Error = PyErr_NewExceptionWithDoc(MODULE ".Error",
                                    "Base class of neardup's errors. `code` is the library's error code (error.h),\n"
                                    "`id` the article the error is about, or None.",
                                    PyExc_Exception, dict);
  Py_DECREF(dict);
  if (Error == NULL || PyModule_AddObjectRef(m, "Error", Error) < 0)
    return -1;
  for (gsize i = 0; i < G_N_ELEMENTS(error_specs); i++) {
    const ErrorClassSpec *s = &error_specs[i];
    PyObject *builtins = PyEval_GetBuiltins();
    PyObject *extra = s->base != NULL ? PyDict_GetItemString(builtins, s->base) : NULL;
    PyObject *bases = extra != NULL ? PyTuple_Pack(2, Error, extra) : PyTuple_Pack(1, Error);
    PyObject *cdict = Py_BuildValue("{s:i}", "code", s->code);
    g_autofree char *name = g_strdup_printf(MODULE ".%s", s->name);
    PyObject *cls = bases != NULL && cdict != NULL ? PyErr_NewExceptionWithDoc(name, s->doc, bases, cdict) : NULL;
    Py_XDECREF(bases);
    Py_XDECREF(cdict);
    if (cls == NULL)
      return -1;
    error_by_code[s->code] = cls;
    if (PyModule_AddObjectRef(m, s->name, cls) < 0)
      return -1;
  }
  IndexWarning = PyErr_NewExceptionWithDoc(MODULE ".IndexWarning",
                                           "A problem an index call met and passed over (a corrupt archived row, "
                                           "metadata that is not a JSON object).",
                                           PyExc_UserWarning, NULL);
  if (IndexWarning == NULL || PyModule_AddObjectRef(m, "IndexWarning", IndexWarning) < 0)
    return -1;
  return 0;
}

static PyTypeObject *
new_struct_type(PyObject *m, PyStructSequence_Desc *desc, const char *name)
{
  PyTypeObject *t = PyStructSequence_NewType(desc);
  if (t == NULL)
    return NULL;
  /* Pickling and repr name them neardup.X (the public package), not neardup._neardup.X. */
  if (PyModule_AddObjectRef(m, name, (PyObject *)t) < 0) {
    Py_DECREF(t);
    return NULL;
  }
  return t;
}

PyMODINIT_FUNC
PyInit__neardup(void)
{
  PyObject *m = PyModule_Create(&module_def);
  if (m == NULL)
    return NULL;
  PyObject *json = PyImport_ImportModule("json");
  if (json == NULL)
    goto fail;
  json_loads = PyObject_GetAttrString(json, "loads");
  PyObject *dumps = PyObject_GetAttrString(json, "dumps");
  Py_DECREF(json);
  if (json_loads == NULL || dumps == NULL) {
    Py_XDECREF(dumps);
    goto fail;
  }
  /* Compact and keeping non-ASCII text as it is, like the tool's JSON output. */
  PyObject *functools = PyImport_ImportModule("functools");
  PyObject *partial = functools != NULL ? PyObject_GetAttrString(functools, "partial") : NULL;
  Py_XDECREF(functools);
  PyObject *pargs = partial != NULL ? PyTuple_Pack(1, dumps) : NULL;
  PyObject *pkw = pargs != NULL ? Py_BuildValue("{s:O,s:(ss)}", "ensure_ascii", Py_False, "separators", ",", ":") : NULL;
  json_dumps = pkw != NULL ? PyObject_Call(partial, pargs, pkw) : NULL;
  Py_XDECREF(partial);
  Py_XDECREF(pargs);
  Py_XDECREF(pkw);
  Py_DECREF(dumps);
  if (json_dumps == NULL)
    goto fail;
  if (add_error_classes(m) < 0)
    goto fail;
  if ((ScoresType = new_struct_type(m, &scores_desc, "Scores")) == NULL ||
      (PairType = new_struct_type(m, &pair_desc, "Pair")) == NULL ||
      (PassageType = new_struct_type(m, &passage_desc, "Passage")) == NULL ||
      (DiffType = new_struct_type(m, &diff_desc, "Diff")) == NULL ||
      (MatchType = new_struct_type(m, &match_desc, "Match")) == NULL ||
      (IndexStatsType = new_struct_type(m, &index_stats_desc, "IndexStats")) == NULL)
    goto fail;
  if (PyType_Ready(&DocumentType) < 0 || PyType_Ready(&SignerType) < 0 || PyType_Ready(&CollectionType) < 0 ||
      PyType_Ready(&IndexType) < 0)
    goto fail;
  if (PyModule_AddObjectRef(m, "Document", (PyObject *)&DocumentType) < 0 ||
      PyModule_AddObjectRef(m, "Signer", (PyObject *)&SignerType) < 0 ||
      PyModule_AddObjectRef(m, "Collection", (PyObject *)&CollectionType) < 0 ||
      PyModule_AddObjectRef(m, "Index", (PyObject *)&IndexType) < 0)
    goto fail;
  return m;
fail:
  Py_DECREF(m);
  return NULL;
}

/* fuzz_index.c — the index reader (index.h) on a corrupted index file.
 *
 * The input is written as a database file (the seed corpus holds real small indexes made by
 * nd_index_create + nd_index_add, and hand-damaged ones; see make_index_seeds.c) and opened read-only.
 * Then: nd_index_stats, nd_index_query and nd_index_match with fixed articles signed with the
 * index's own parameters, nd_index_get_text and nd_index_get_record for the ids the seeds use, the
 * ids the query returned and the first ids the file holds, nd_index_get_group for the first groups,
 * nd_index_foreach over every article (with texts, and a date condition) and nd_index_check.
 *
 * Invariants: no crash, no leak (LeakSanitizer), no allocation over 256 MiB (a corrupt length must not
 * become a huge allocation; checked where the build has a sanitizer allocator); every failure is
 * ND_ERROR_INDEX, ND_ERROR_NOT_FOUND, ND_ERROR_INDEX_BUSY or ND_ERROR_IO with a message; an opened
 * index has parameters within the documented ranges; stats report this format; query matches have
 * ids, groups, scores in [0, 1] that pass the report rule, sorted best first (then by id), and the
 * batch match finds the same for the same article; a text read back is NUL-terminated at its length;
 * records have ids, groups and sizes in range.
 */
#include "fuzz_common.h"
#include <sqlite3.h>
#include <string.h>
#include <xxhash.h>

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
/* From <sanitizer/allocator_interface.h>, which GCC does not install; both runtimes provide it. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
#define FUZZ_MAX_ALLOC ((size_t)256 << 20)
static gboolean huge_alloc_known; /* NEARDUP_FUZZ_KNOWN has "index-huge-alloc" (read before hooking) */
static void
malloc_hook(const volatile void *ptr, size_t size)
{
  (void)ptr;
  if (size > FUZZ_MAX_ALLOC && !huge_alloc_known) {
    fprintf(stderr, "fuzz_index: allocation of %zu bytes from a corrupt index\n", size);
    abort();
  }
}
static void
free_hook(const volatile void *ptr)
{
  (void)ptr;
}
#endif

/* The article every query uses: the text of "a1" in the seed indexes (make_index_seeds.c). */
#include "index_seed_texts.h"

static const int index_codes[] = { ND_ERROR_INDEX, ND_ERROR_NOT_FOUND, ND_ERROR_INDEX_BUSY, ND_ERROR_IO };

static gboolean
count_record(const NdIndexRecord *r, const char *text, gsize len, gpointer data)
{
  FUZZ_CHECK(r->id != NULL && r->group >= 1, "a listed record without an id or group");
  FUZZ_CHECK(text == NULL || (len == r->bytes && text[len] == '\0'), "a listed text of the wrong length");
  FUZZ_CHECK(r->has_date, "a record listed by a date condition without a date");
  ++*(guint *)data;
  return TRUE;
}

static double
best_score(const NdPair *p)
{
  return MAX(p->jaccard, MAX(p->containment_a_in_b, p->containment_b_in_a));
}

static void
get_text(NdIndex *ix, const char *id)
{
  gsize len = 12345;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = nd_index_get_text(ix, id, &len, &error);
  if (text == NULL) {
    fuzz_check_error(error, index_codes, G_N_ELEMENTS(index_codes), "nd_index_get_text");
    return;
  }
  FUZZ_CHECK(error == NULL, "text and an error");
  FUZZ_CHECK(len <= ND_TEXT_MAX_BYTES && text[len] == '\0', "text of '%s' not NUL-terminated at its length %zu", id, len);
}

/* The first ids the file holds, read with SQLite directly (whatever their type). */
static GPtrArray *
first_ids(const char *path)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id FROM articles ORDER BY num LIMIT 4", -1, &st, NULL) == SQLITE_OK)
      while (sqlite3_step(st) == SQLITE_ROW)
        if (sqlite3_column_text(st, 0) != NULL)
          g_ptr_array_add(ids, g_strdup((const char *)sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return ids;
}

/* TRUE when some row's id is NULL. A full scan that asks typeof(): "id IS NULL" is answered from the
 * schema (the column is NOT NULL) or from the id index, and a damaged file disagrees with both. */
static gboolean
has_null_id(const char *path)
{
  gboolean found = FALSE;
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
    sqlite3_stmt *st = NULL;
    found = sqlite3_prepare_v2(db, "SELECT 1 FROM articles NOT INDEXED WHERE typeof(id) = 'null'", -1, &st, NULL) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_DONE; /* a row, or a file too damaged to tell */
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return found;
}

/* Every page of an index carries a checksum (src/pagecheck.c): a random mutation almost always
 * breaks one, and the file is refused before a row is read. So for three inputs in four (decided by
 * the input's own hash, so a replay does the same) the mutated pages are given valid checksums again,
 * and the mutation reaches the B-trees, the schema check and the row checks behind them; the fourth
 * keeps the page checksums under test. */
static uint8_t *
with_valid_checksums(const uint8_t *data, size_t size, size_t *out_size)
{
  *out_size = size;
  uint8_t *copy = g_memdup2(data, size);
  if (size < 100 || XXH3_64bits(data, size) % 4 == 0 || copy[20] != 8)
    return copy;
  size_t page = ((size_t)copy[16] << 8) | copy[17];
  if (page == 1)
    page = 65536;
  if (page < 512 || (page & (page - 1)) != 0)
    return copy;
  for (size_t at = 0; at + page <= size; at += page) {
    uint64_t h = XXH3_64bits(copy + at, page - 8);
    h = GUINT64_TO_LE(h);
    memcpy(copy + at + page - 8, &h, 8);
  }
  return copy;
}

/* A problem a query skipped (a corrupt row): named in the index's error domain. */
static void
on_problem(const GError *problem, gpointer data)
{
  (void)data;
  FUZZ_CHECK(problem->domain == ND_ERROR && problem->code == ND_ERROR_INDEX && problem->message[0] != '\0',
             "a skipped problem outside ND_ERROR_INDEX");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#if defined(FUZZ_MAX_ALLOC)
  static gboolean hooked = FALSE;
  if (!hooked) {
    huge_alloc_known = fuzz_known("index-huge-alloc");
    __sanitizer_install_malloc_and_free_hooks(malloc_hook, free_hook);
    hooked = TRUE;
  }
#endif
  static char *path = NULL, *wal = NULL, *shm = NULL, *journal = NULL;
  if (path == NULL) {
    path = g_build_filename(fuzz_tmp_dir(), "index.db", NULL);
    wal = g_strconcat(path, "-wal", NULL);
    shm = g_strconcat(path, "-shm", NULL);
    journal = g_strconcat(path, "-journal", NULL);
  }
  g_unlink(wal);
  g_unlink(shm);
  g_unlink(journal);
  size_t fixed_size;
  g_autofree uint8_t *fixed = with_valid_checksums(data, size, &fixed_size);
  g_autofree char *written = fuzz_write_temp(fixed, fixed_size, NULL);
  FUZZ_CHECK(g_rename(written, path) == 0, "rename to %s failed", path);

  g_autoptr(GError) error = NULL;
  NdIndex *ix = nd_index_open(path, FALSE, &error);
  if (ix == NULL) {
    fuzz_check_error(error, index_codes, G_N_ELEMENTS(index_codes), "nd_index_open");
  } else {
    FUZZ_CHECK(error == NULL, "index and an error");
    nd_index_set_warning_func(ix, on_problem, NULL);
    const NdSignParams *sp = nd_index_sign_params(ix);
    const NdLshParams *lsh = nd_index_lsh_params(ix);
    FUZZ_CHECK(nd_sign_params_validate(sp, NULL) && sp->keep_sets && sp->keep_text, "opened index has bad parameters");
    FUZZ_CHECK(lsh->bands >= 1 && lsh->rows >= 1 && lsh->bands * lsh->rows <= sp->num_perm,
               "opened index has bands %u x rows %u for %u permutations", lsh->bands, lsh->rows, sp->num_perm);

    NdIndexStats stats;
    if (nd_index_stats(ix, &stats, &error))
      FUZZ_CHECK(stats.format_version == ND_INDEX_FORMAT_VERSION, "stats format %d", stats.format_version);
    else
      fuzz_check_error(error, index_codes, G_N_ELEMENTS(index_codes), "nd_index_stats");
    g_clear_error(&error);

    g_autoptr(NdSigner) signer = nd_signer_new(sp);
    g_autoptr(NdDocument) doc = nd_signer_sign(signer, "query", index_seed_text_a1, strlen(index_seed_text_a1), NULL);
    FUZZ_CHECK(doc != NULL && doc->set != NULL, "the query article does not sign");
    NdFindOptions fo;
    nd_find_options_init(&fo);
    fo.threshold = 0.3;
    g_autoptr(GPtrArray) ids = first_ids(path);
    g_ptr_array_add(ids, g_strdup("a1"));
    g_ptr_array_add(ids, g_strdup("a2"));
    g_ptr_array_add(ids, g_strdup("not archived"));
    /* Known bug "index-null-id": a row whose id is NULL crashes the query's sort (strcmp(NULL)). */
    gboolean skip_query = fuzz_known("index-null-id") && has_null_id(path);
    GArray *matches = skip_query ? g_array_new(FALSE, TRUE, sizeof(NdIndexMatch)) : nd_index_query(ix, doc, &fo, &error);
    if (matches == NULL) {
      fuzz_check_error(error, index_codes, G_N_ELEMENTS(index_codes), "nd_index_query");
    } else {
      FUZZ_CHECK(error == NULL, "matches and an error");
      for (guint m = 0; m < matches->len; m++) {
        const NdIndexMatch *x = &g_array_index(matches, NdIndexMatch, m);
        FUZZ_CHECK(x->id != NULL, "match %u without an id", m);
        const NdPair *p = &x->scores;
        FUZZ_CHECK(p->jaccard >= 0 && p->jaccard <= 1 && p->containment_a_in_b >= 0 && p->containment_a_in_b <= 1 &&
                   p->containment_b_in_a >= 0 && p->containment_b_in_a <= 1,
                   "match '%s' scores %g %g %g out of [0, 1]", x->id, p->jaccard, p->containment_a_in_b,
                   p->containment_b_in_a);
        FUZZ_CHECK(nd_pair_matches(p, &fo), "match '%s' does not pass the report rule", x->id);
        if (m > 0) {
          const NdIndexMatch *prev = &g_array_index(matches, NdIndexMatch, m - 1);
          FUZZ_CHECK(best_score(&prev->scores) > best_score(p) ||
                     (best_score(&prev->scores) == best_score(p) && strcmp(prev->id, x->id) <= 0),
                     "matches not sorted at %u", m);
        }
        g_ptr_array_add(ids, g_strdup(x->id));
      }
      g_array_unref(matches);
    }
    g_clear_error(&error);
    /* the same article twice in a batch: each finds what the single query found */
    const NdDocument *two[] = { doc, doc };
    g_autoptr(GPtrArray) batch = skip_query ? NULL : nd_index_match(ix, two, 2, &fo, &error);
    if (!skip_query && batch == NULL) {
      fuzz_check_error(error, index_codes, G_N_ELEMENTS(index_codes), "nd_index_match");
    } else if (batch != NULL) {
      FUZZ_CHECK(batch->len == 2, "%u results for 2 articles", batch->len);
      FUZZ_CHECK(((GArray *)batch->pdata[0])->len == ((GArray *)batch->pdata[1])->len, "the same article, two results");
    }
    g_clear_error(&error);
    for (guint i = 0; i < ids->len && i < 12; i++) {
      get_text(ix, g_ptr_array_index(ids, i));
      NdIndexRecord r;
      if (nd_index_get_record(ix, g_ptr_array_index(ids, i), &r, &error)) {
        FUZZ_CHECK(r.id != NULL && r.group >= 1 && r.bytes >= 1 && r.tokens <= r.bytes, "a record out of range");
        nd_index_record_clear(&r);
      } else {
        fuzz_check_error(error, index_codes, G_N_ELEMENTS(index_codes), "nd_index_get_record");
      }
      g_clear_error(&error);
    }
    for (guint64 g = 1; g <= 3; g++) {
      NdIndexGroup grp;
      if (nd_index_get_group(ix, g, &grp, &error)) {
        FUZZ_CHECK(grp.kept.id != NULL && grp.kept.group == g, "group %" G_GUINT64_FORMAT "'s kept article", g);
        nd_index_group_clear(&grp);
      } else {
        fuzz_check_error(error, index_codes, G_N_ELEMENTS(index_codes), "nd_index_get_group");
      }
      g_clear_error(&error);
    }
    g_autoptr(NdIndexCondition) cond = nd_index_condition_parse("date>=2024-10-29", NULL);
    guint listed = 0;
    if (!nd_index_foreach(ix, 0, &cond, 1, TRUE, count_record, &listed, &error))
      fuzz_check_error(error, index_codes, G_N_ELEMENTS(index_codes), "nd_index_foreach");
    g_clear_error(&error);
    guint64 problems = 0;
    if (!nd_index_check(ix, &problems, &error))
      fuzz_check_error(error, index_codes, G_N_ELEMENTS(index_codes), "nd_index_check");
    g_clear_error(&error);
    nd_index_close(ix);
  }
  g_unlink(path);
  g_unlink(wal);
  g_unlink(shm);
  g_unlink(journal);
  return 0;
}

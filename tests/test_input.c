/* test_input.c — the loader: files, directories, lists of files and JSON Lines (input.h).
 *
 * Every test builds its inputs in a fresh directory under one temporary root (g_dir_make_tmp),
 * which an unchecked fixture removes after the suite. */
#include <check.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <neardup/neardup.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "test_util.h"
#include "json.h" /* the tree reading the JSON Lines reader is checked against */

static char *tmp_root; /* created in the parent process before the tests run */

static void
suite_setup(void)
{
  GError *error = NULL;
  tmp_root = g_dir_make_tmp("neardup-test-input-XXXXXX", &error);
  if (tmp_root == NULL)
    g_error("g_dir_make_tmp: %s", error->message);
}

static void
suite_teardown(void)
{
  remove_tree(tmp_root);
  g_free(tmp_root);
  tmp_root = NULL;
}

/* A fresh directory for one test. */
static char *
test_dir(const char *name)
{
  char *dir = g_build_filename(tmp_root, name, NULL);
  remove_tree(dir);
  ck_assert_int_eq(g_mkdir_with_parents(dir, 0755), 0);
  return dir;
}

/* What the error callback saw, in order. */
typedef struct {
  GPtrArray *inputs;   /* char* */
  GPtrArray *messages; /* char* */
  GArray *codes;       /* gint */
  GArray *sizes;       /* guint: collection size when the error was reported */
  NdCollection *coll;
} ErrLog;

static void
errlog_init(ErrLog *log, NdCollection *coll)
{
  log->inputs = g_ptr_array_new_with_free_func(g_free);
  log->messages = g_ptr_array_new_with_free_func(g_free);
  log->codes = g_array_new(FALSE, FALSE, sizeof(gint));
  log->sizes = g_array_new(FALSE, FALSE, sizeof(guint));
  log->coll = coll;
}

static void
errlog_clear(ErrLog *log)
{
  g_ptr_array_unref(log->inputs);
  g_ptr_array_unref(log->messages);
  g_array_unref(log->codes);
  g_array_unref(log->sizes);
}

static void
on_error(const char *input, const GError *error, gpointer data)
{
  ErrLog *log = data;
  ck_assert_ptr_nonnull(input);
  ck_assert_ptr_nonnull(error);
  ck_assert_uint_eq(error->domain, ND_ERROR);
  g_ptr_array_add(log->inputs, g_strdup(input));
  g_ptr_array_add(log->messages, g_strdup(error->message));
  g_array_append_val(log->codes, error->code);
  guint size = nd_collection_size(log->coll);
  g_array_append_val(log->sizes, size);
}

typedef struct {
  guint calls;
  guint64 articles, bytes, skipped;
} Progress;

static void
on_progress(guint64 articles, guint64 bytes, guint64 skipped, gpointer data)
{
  Progress *p = data;
  ck_assert_uint_ge(articles, p->articles); /* running totals only grow */
  ck_assert_uint_ge(skipped, p->skipped);
  p->calls++;
  p->articles = articles;
  p->bytes = bytes;
  p->skipped = skipped;
}

static NdCollection *
new_collection(void)
{
  NdSignParams p;
  nd_sign_params_init(&p);
  return nd_collection_new(&p);
}

static void
assert_error(const ErrLog *log, guint i, const char *input, NdErrorCode code)
{
  ck_assert_msg(i < log->inputs->len, "only %u errors reported, expected one for %s", log->inputs->len, input);
  const char *got = g_ptr_array_index(log->inputs, i);
  gint got_code = g_array_index(log->codes, gint, i);
  ck_assert_msg(strcmp(got, input) == 0, "error %u is for \"%s\", expected \"%s\"", i, got, input);
  ck_assert_msg(got_code == (gint)code, "error %u for %s: code %d (%s), expected %d", i, input, got_code,
                (const char *)g_ptr_array_index(log->messages, i), code);
}

static void
assert_ids(const NdCollection *c, const char *const *ids, guint n)
{
  ck_assert_msg(nd_collection_size(c) == n, "%u documents, expected %u", nd_collection_size(c), n);
  for (guint i = 0; i < n; i++)
    ck_assert_str_eq(nd_collection_get(c, i)->id, ids[i]);
}

static void
assert_same_collections(const NdCollection *a, const NdCollection *b)
{
  ck_assert_uint_eq(nd_collection_size(a), nd_collection_size(b));
  guint np = nd_collection_params(a)->num_perm;
  for (guint i = 0; i < nd_collection_size(a); i++) {
    const NdDocument *x = nd_collection_get(a, i), *y = nd_collection_get(b, i);
    ck_assert_str_eq(x->id, y->id);
    ck_assert_uint_eq(x->bytes, y->bytes);
    ck_assert_uint_eq(x->tokens, y->tokens);
    ck_assert_uint_eq(x->set_size, y->set_size);
    ck_assert_mem_eq(x->signature, y->signature, np * sizeof(guint32));
    ck_assert_mem_eq(x->set, y->set, x->set_size * sizeof(guint32));
  }
}

static void
assert_same_errors(const ErrLog *a, const ErrLog *b)
{
  ck_assert_uint_eq(a->inputs->len, b->inputs->len);
  for (guint i = 0; i < a->inputs->len; i++) {
    ck_assert_str_eq(g_ptr_array_index(a->inputs, i), g_ptr_array_index(b->inputs, i));
    ck_assert_int_eq(g_array_index(a->codes, gint, i), g_array_index(b->codes, gint, i));
    ck_assert_str_eq(g_ptr_array_index(a->messages, i), g_ptr_array_index(b->messages, i));
    ck_assert_uint_eq(g_array_index(a->sizes, guint, i), g_array_index(b->sizes, guint, i));
  }
}

/* The tree used by several tests. Returns the root (caller frees). */
static char *
make_tree(const char *name)
{
  char *root = test_dir(name);
  g_autofree char *a = gen_article(1, 120), *c = gen_article(2, 150), *d = gen_article(3, 80),
                  *e = gen_article(4, 200), *z = gen_article(5, 90), *h = gen_article(6, 100);
  g_free(write_test_file(root, "a.txt", a, -1));
  g_free(write_test_file(root, "b/c.txt", c, -1));
  g_free(write_test_file(root, "b/d.txt", d, -1));
  g_free(write_test_file(root, "b/sub/e.txt", e, -1));
  g_free(write_test_file(root, "z.txt", z, -1));
  g_free(write_test_file(root, ".hidden.txt", h, -1));       /* skipped silently */
  g_free(write_test_file(root, ".git/config", h, -1));       /* hidden directory: skipped */
  g_free(write_test_file(root, "b/.swp", "\0\0\0", 3));      /* hidden binary: skipped */
  g_free(write_test_file(root, "bad.txt", "abc \xFF def", -1));
  g_free(write_test_file(root, "bin.txt", "text\0more", 9)); /* named as text: an error */
  g_free(write_test_file(root, "logo.dat", "text\0more", 9)); /* binary: passed over, counted */
  g_free(write_test_file(root, "b/site.css", "p { margin: 0 }", -1)); /* a stylesheet: passed over */
  g_free(write_test_file(root, "empty.txt", "", 0));
  g_free(write_test_file(root, "punct.txt", "--- !!! ... ---\n", -1));
  g_free(write_test_file(root, "space.txt", "  \n\t \n", -1));
  g_autofree char *loop = g_build_filename(root, "b", "loop", NULL);
  ck_assert_int_eq(symlink("..", loop), 0); /* b/loop -> root: a directory loop, not followed */
  g_autofree char *link = g_build_filename(root, "link.txt", NULL);
  ck_assert_int_eq(symlink("a.txt", link), 0); /* a link to a file is followed */
  g_autofree char *broken = g_build_filename(root, "broken", NULL);
  ck_assert_int_eq(symlink("does-not-exist", broken), 0);
  return root;
}

START_TEST(test_directory_tree)
{
  g_autofree char *root = make_tree("tree");
  g_autoptr(NdCollection) c = new_collection();
  ErrLog log;
  errlog_init(&log, c);
  Progress prog = { 0 };
  g_autoptr(NdLoader) l = nd_loader_new(c, 2, FALSE);
  nd_loader_set_error_func(l, on_error, &log);
  nd_loader_set_progress_func(l, on_progress, &prog);
  nd_loader_add_path(l, root);
  guint skipped = nd_loader_finish(l);

  g_autofree char *id_a = g_build_filename(root, "a.txt", NULL);
  g_autofree char *id_c = g_build_filename(root, "b", "c.txt", NULL);
  g_autofree char *id_d = g_build_filename(root, "b", "d.txt", NULL);
  g_autofree char *id_e = g_build_filename(root, "b", "sub", "e.txt", NULL);
  g_autofree char *id_link = g_build_filename(root, "link.txt", NULL);
  g_autofree char *id_z = g_build_filename(root, "z.txt", NULL);
  const char *ids[] = { id_a, id_c, id_d, id_e, id_link, id_z };
  assert_ids(c, ids, 6);
  /* the documents were really signed from their files; the link reads its target */
  ck_assert_uint_eq(nd_collection_get(c, 0)->tokens, 120);
  ck_assert_uint_eq(nd_collection_get(c, 3)->tokens, 200);
  ck_assert_mem_eq(nd_collection_get(c, 4)->signature, nd_collection_get(c, 0)->signature, 128 * sizeof(guint32));

  /* errors: each bad input once, in input order, with the right code; the directory loop
   * b/loop is a symbolic link to a directory inside the tree: skipped without a report */
  g_autofree char *e_bad = g_build_filename(root, "bad.txt", NULL);
  g_autofree char *e_bin = g_build_filename(root, "bin.txt", NULL);
  g_autofree char *e_broken = g_build_filename(root, "broken", NULL);
  g_autofree char *e_empty = g_build_filename(root, "empty.txt", NULL);
  g_autofree char *e_punct = g_build_filename(root, "punct.txt", NULL);
  g_autofree char *e_space = g_build_filename(root, "space.txt", NULL);
  ck_assert_uint_eq(log.inputs->len, 6);
  assert_error(&log, 0, e_bad, ND_ERROR_UTF8);
  assert_error(&log, 1, e_bin, ND_ERROR_BINARY);
  assert_error(&log, 2, e_broken, ND_ERROR_IO);
  assert_error(&log, 3, e_empty, ND_ERROR_EMPTY);
  assert_error(&log, 4, e_punct, ND_ERROR_NO_TOKENS);
  assert_error(&log, 5, e_space, ND_ERROR_EMPTY);
  ck_assert_ptr_nonnull(strstr(g_ptr_array_index(log.messages, 0), "byte offset 4"));
  ck_assert_ptr_nonnull(strstr(g_ptr_array_index(log.messages, 1), "offset 4"));
  /* errors and documents are merged in one input order: the first four come after b/sub/e.txt
   * and before link.txt, the last two after link.txt and before z.txt */
  const guint sizes[] = { 4, 4, 4, 4, 5, 5 };
  for (guint i = 0; i < 6; i++)
    ck_assert_uint_eq(g_array_index(log.sizes, guint, i), sizes[i]);

  ck_assert_uint_eq(skipped, 6);
  ck_assert(!nd_loader_stopped(l));
  ck_assert_uint_ge(prog.calls, 1);
  ck_assert_uint_eq(prog.articles, 6);
  ck_assert_uint_eq(prog.skipped, 6);
  guint64 bytes = 0;
  for (guint i = 0; i < 6; i++)
    bytes += nd_collection_get(c, i)->bytes;
  ck_assert_uint_eq(prog.bytes, bytes);
  /* the stylesheet and the binary file were passed over, counted by reason in input order */
  guint n_passed;
  const NdPassedOver *passed = nd_loader_passed_over(l, &n_passed);
  ck_assert_uint_eq(n_passed, 2);
  ck_assert_ptr_nonnull(strstr(passed[0].reason, "stylesheets"));
  ck_assert_uint_eq(passed[0].count, 1);
  ck_assert_ptr_nonnull(strstr(passed[1].reason, "binary"));
  ck_assert_uint_eq(passed[1].count, 1);
  errlog_clear(&log);
}
END_TEST

START_TEST(test_explicit_paths)
{
  g_autofree char *root = make_tree("explicit");
  g_autoptr(NdCollection) c = new_collection();
  ErrLog log;
  errlog_init(&log, c);
  g_autoptr(NdLoader) l = nd_loader_new(c, 1, FALSE);
  nd_loader_set_error_func(l, on_error, &log);
  /* ids are the paths exactly as given, in the order given (not sorted) */
  g_autofree char *z = g_strdup_printf("%s/./z.txt", root);
  g_autofree char *a = g_strdup_printf("%s/b/../a.txt", root);
  g_autofree char *missing = g_strdup_printf("%s/no-such-file.txt", root);
  g_autofree char *sub = g_strdup_printf("%s/b/sub", root);
  g_autofree char *hidden = g_strdup_printf("%s/.hidden.txt", root);
  nd_loader_add_path(l, z);
  nd_loader_add_path(l, a);
  nd_loader_add_path(l, missing);
  nd_loader_add_path(l, sub);
  nd_loader_add_path(l, hidden); /* named explicitly: read, although a walk would skip it */
  guint skipped = nd_loader_finish(l);
  g_autofree char *e = g_build_filename(sub, "e.txt", NULL);
  const char *ids[] = { z, a, e, hidden };
  assert_ids(c, ids, 4);
  ck_assert_uint_eq(skipped, 1);
  ck_assert_uint_eq(log.inputs->len, 1);
  assert_error(&log, 0, missing, ND_ERROR_NOT_FOUND);
  errlog_clear(&log);
}
END_TEST

/* A symbolic link to a directory named as an argument is followed; the loop inside the tree it
 * leads to is still not followed. */
START_TEST(test_explicit_symlink_dir)
{
  g_autofree char *root = make_tree("symlinked");
  g_autofree char *loop = g_build_filename(root, "b", "loop", NULL);
  g_autoptr(NdCollection) c = new_collection();
  ErrLog log;
  errlog_init(&log, c);
  g_autoptr(NdLoader) l = nd_loader_new(c, 2, FALSE);
  nd_loader_set_error_func(l, on_error, &log);
  nd_loader_add_path(l, loop);
  ck_assert_uint_eq(nd_loader_finish(l), 6);
  ck_assert_uint_eq(nd_collection_size(c), 6);
  g_autofree char *first = g_build_filename(loop, "a.txt", NULL);
  g_autofree char *last = g_build_filename(loop, "z.txt", NULL);
  ck_assert_str_eq(nd_collection_get(c, 0)->id, first);
  ck_assert_str_eq(nd_collection_get(c, 5)->id, last);
  errlog_clear(&log);
}
END_TEST

/* Loads the tree, a directory of many files and a JSON Lines file with `threads` workers. */
static NdCollection *
load_everything(const char *root, guint threads, ErrLog *log)
{
  NdCollection *c = new_collection();
  errlog_init(log, c);
  g_autoptr(NdLoader) l = nd_loader_new(c, threads, FALSE);
  nd_loader_set_error_func(l, on_error, log);
  g_autofree char *tree = g_build_filename(root, "tree", NULL);
  g_autofree char *many = g_build_filename(root, "many", NULL);
  g_autofree char *jsonl = g_build_filename(root, "feed.jsonl", NULL);
  nd_loader_add_path(l, tree);
  nd_loader_add_path(l, many);
  nd_loader_add_jsonl(l, jsonl, "id", "text");
  nd_loader_finish(l);
  return c;
}

START_TEST(test_threads_identical)
{
  g_autofree char *root = test_dir("threads");
  g_free(make_tree("threads/tree")); /* a tree with bad files too */
  /* 300 files: more than several batches; some bad ones spread through */
  guint bad_files = 0, bad_lines = 0;
  for (guint i = 0; i < 300; i++) {
    g_autofree char *name = g_strdup_printf("many/f%03u.txt", i);
    if (i % 37 == 5) {
      g_free(write_test_file(root, name, "", 0));
      bad_files++;
    } else if (i % 41 == 7) {
      g_free(write_test_file(root, name, "caf\xC3 au lait", -1));
      bad_files++;
    } else {
      g_autofree char *text = gen_article(1000 + i, (guint)(40 + (i * 7919) % 400));
      g_free(write_test_file(root, name, text, -1));
    }
  }
  GString *feed = g_string_new(NULL);
  for (guint i = 0; i < 250; i++) {
    g_autofree char *text = gen_article(5000 + i, 30 + i % 50);
    if (i % 29 == 3) {
      g_string_append_printf(feed, "{\"id\": \"j%u\", \"text\": \n", i); /* malformed */
      bad_lines++;
    } else {
      g_string_append_printf(feed, "{\"id\": \"j%u\", \"text\": \"%s\"}\n", i, text);
    }
  }
  g_free(write_test_file(root, "feed.jsonl", feed->str, (gssize)feed->len));
  g_string_free(feed, TRUE);
  ck_assert_uint_eq(bad_files, 16);
  ck_assert_uint_eq(bad_lines, 9);

  ErrLog l1, l4;
  g_autoptr(NdCollection) c1 = load_everything(root, 1, &l1);
  g_autoptr(NdCollection) c4 = load_everything(root, 4, &l4);
  ck_assert_uint_eq(nd_collection_size(c1), 6 + 300 - bad_files + 250 - bad_lines);
  ck_assert_uint_eq(l1.inputs->len, 6 + bad_files + bad_lines);
  assert_same_collections(c1, c4);
  assert_same_errors(&l1, &l4);
  /* the directory's files come in sorted order, then the JSON Lines records in line order */
  guint first = 6, n_files = 300 - bad_files;
  for (guint i = first + 1; i < first + n_files; i++)
    ck_assert_int_lt(strcmp(nd_collection_get(c1, i - 1)->id, nd_collection_get(c1, i)->id), 0);
  ck_assert_str_eq(nd_collection_get(c1, first + n_files)->id, "j0");
  ck_assert_str_eq(nd_collection_get(c1, nd_collection_size(c1) - 1)->id, "j249");
  errlog_clear(&l1);
  errlog_clear(&l4);
}
END_TEST

START_TEST(test_files_from)
{
  g_autofree char *root = make_tree("filesfrom");
  g_autofree char *a = g_build_filename(root, "a.txt", NULL);
  g_autofree char *cc = g_build_filename(root, "b", "c.txt", NULL);
  g_autofree char *missing = g_build_filename(root, "missing.txt", NULL);
  g_autofree char *sub = g_build_filename(root, "b", "sub", NULL);
  g_autofree char *empty = g_build_filename(root, "empty.txt", NULL);
  g_autofree char *list_text = g_strdup_printf("%s\n\n%s\r\n%s\n%s\n%s", cc, a, missing, sub, empty);
  g_autofree char *list = write_test_file(tmp_root, "filesfrom.list", list_text, -1);

  g_autoptr(NdCollection) c = new_collection();
  ErrLog log;
  errlog_init(&log, c);
  g_autoptr(NdLoader) l = nd_loader_new(c, 3, FALSE);
  nd_loader_set_error_func(l, on_error, &log);
  nd_loader_add_files_from(l, list);
  g_autofree char *nolist = g_build_filename(tmp_root, "no-such-list", NULL);
  nd_loader_add_files_from(l, nolist);
  guint skipped = nd_loader_finish(l);
  g_autofree char *e = g_build_filename(sub, "e.txt", NULL);
  const char *ids[] = { cc, a, e };
  assert_ids(c, ids, 3);
  ck_assert_uint_eq(skipped, 3);
  ck_assert_uint_eq(log.inputs->len, 3);
  assert_error(&log, 0, missing, ND_ERROR_NOT_FOUND);
  assert_error(&log, 1, empty, ND_ERROR_EMPTY);
  assert_error(&log, 2, nolist, ND_ERROR_NOT_FOUND);
  errlog_clear(&log);
}
END_TEST

START_TEST(test_jsonl)
{
  g_autofree char *dir = test_dir("jsonl");
  const char *lines =
    "{\"id\": \"a1\", \"text\": \"The first record has enough words to sign.\"}\n" /* 1 */
    "{\"id\": 42, \"text\": \"An integer id is fine too.\", \"extra\": [1, 2]}\n"  /* 2 */
    "\n"                                                                       /* 3 blank */
    "{\"id\": \"x\", \"text\": \"unterminated\n"                                /* 4 malformed */
    "{\"id\": \"m\", \"body\": \"no text field here\"}\n"                        /* 5 */
    "   \t \n"                                                                 /* 6 blank */
    "{\"id\": \"a1\", \"text\": \"same id again\"}\n"                            /* 7 duplicate */
    "{\"text\": \"no id at all\"}\n"                                            /* 8 */
    "{\"id\": 1.5, \"text\": \"a float id\"}\n"                                 /* 9 */
    "[\"not\", \"an\", \"object\"]\n"                                           /* 10 */
    "{\"id\": \"e\", \"text\": \"   \"}\n"                                       /* 11 empty */
    "{\"id\": \"p\", \"text\": \"!!! ???\"}\n"                                   /* 12 no tokens */
    "{\"id\": \"n\", \"text\": 17}\n"                                           /* 13 text not a string */
    "{\"id\": \"u\", \"text\": \"caf\\u00e9 \\u201cquoted\\u201d\"}\r\n"          /* 14 escapes, CRLF */
    "{\"id\": \"last\", \"text\": \"final line without newline\"}";             /* 15 */
  g_autofree char *path = write_test_file(dir, "feed.jsonl", lines, -1);

  g_autoptr(NdCollection) c = new_collection();
  ErrLog log;
  errlog_init(&log, c);
  g_autoptr(NdLoader) l = nd_loader_new(c, 2, FALSE);
  nd_loader_set_error_func(l, on_error, &log);
  nd_loader_add_jsonl(l, path, "id", "text");
  guint skipped = nd_loader_finish(l);

  const char *ids[] = { "a1", "42", "u", "last" };
  assert_ids(c, ids, 4);
  ck_assert_uint_eq(nd_collection_get(c, 0)->tokens, 8);
  ck_assert_uint_eq(nd_collection_get(c, 2)->tokens, 2);
  ck_assert_uint_eq(nd_collection_get(c, 2)->bytes, strlen("caf\xC3\xA9 \xE2\x80\x9Cquoted\xE2\x80\x9D"));

  const guint bad_lines[] = { 4, 5, 7, 8, 9, 10, 11, 12, 13 };
  const NdErrorCode bad_codes[] = { ND_ERROR_JSON, ND_ERROR_JSON, ND_ERROR_DUPLICATE_ID, ND_ERROR_JSON,
                                    ND_ERROR_JSON, ND_ERROR_JSON, ND_ERROR_EMPTY, ND_ERROR_NO_TOKENS,
                                    ND_ERROR_JSON };
  ck_assert_uint_eq(log.inputs->len, G_N_ELEMENTS(bad_lines));
  for (guint i = 0; i < G_N_ELEMENTS(bad_lines); i++) {
    g_autofree char *name = g_strdup_printf("%s:%u", path, bad_lines[i]);
    assert_error(&log, i, name, bad_codes[i]);
  }
  /* the missing-field message names the field */
  ck_assert_ptr_nonnull(strstr(g_ptr_array_index(log.messages, 1), "text"));
  ck_assert_uint_eq(skipped, G_N_ELEMENTS(bad_lines));
  errlog_clear(&log);
}
END_TEST

START_TEST(test_jsonl_custom_fields)
{
  g_autofree char *dir = test_dir("jsonl-fields");
  g_autofree char *p1 = write_test_file(dir, "one.jsonl",
                                        "{\"url\": \"http://x/1\", \"body\": \"words in a body field\", \"id\": 5}\n"
                                        "{\"url\": \"http://x/2\", \"text\": \"wrong field name\"}\n", -1);
  g_autofree char *p2 = write_test_file(dir, "two.jsonl", "{\"id\": \"t\", \"text\": \"second file record\"}\n", -1);
  g_autoptr(NdCollection) c = new_collection();
  ErrLog log;
  errlog_init(&log, c);
  g_autoptr(NdLoader) l = nd_loader_new(c, 1, FALSE);
  nd_loader_set_error_func(l, on_error, &log);
  nd_loader_add_jsonl(l, p1, "url", "body");
  nd_loader_add_jsonl(l, p2, "id", "text"); /* field names per call */
  g_autofree char *missing = g_build_filename(dir, "missing.jsonl", NULL);
  nd_loader_add_jsonl(l, missing, "id", "text");
  nd_loader_finish(l);
  const char *ids[] = { "http://x/1", "t" };
  assert_ids(c, ids, 2);
  ck_assert_uint_eq(log.inputs->len, 2);
  g_autofree char *line2 = g_strdup_printf("%s:2", p1);
  assert_error(&log, 0, line2, ND_ERROR_JSON);
  assert_error(&log, 1, missing, ND_ERROR_NOT_FOUND);
  errlog_clear(&log);
}
END_TEST

/* An id seen three times: the second and the third record are both refused. */
START_TEST(test_jsonl_repeated_id)
{
  g_autofree char *dir = test_dir("jsonl-repeat");
  g_autofree char *path = write_test_file(dir, "feed.jsonl",
                                          "{\"id\": \"dup\", \"text\": \"first copy of the record\"}\n"
                                          "{\"id\": \"dup\", \"text\": \"second copy of the record\"}\n"
                                          "{\"id\": \"dup\", \"text\": \"third copy of the record\"}\n"
                                          "{\"id\": \"dup\", \"text\": \"fourth copy of the record\"}\n", -1);
  g_autoptr(NdCollection) c = new_collection();
  ErrLog log;
  errlog_init(&log, c);
  g_autoptr(NdLoader) l = nd_loader_new(c, 1, FALSE);
  nd_loader_set_error_func(l, on_error, &log);
  nd_loader_add_jsonl(l, path, "id", "text");
  nd_loader_finish(l);
  ck_assert_uint_eq(nd_collection_size(c), 1);
  ck_assert_uint_eq(log.inputs->len, 3);
  for (guint i = 0; i < 3; i++) {
    g_autofree char *name = g_strdup_printf("%s:%u", path, i + 2);
    assert_error(&log, i, name, ND_ERROR_DUPLICATE_ID);
  }
  errlog_clear(&log);
}
END_TEST

/* A JSON string may carry U+0000 ("\u0000"); that is binary data like a NUL byte in a file and
 * must be refused, not silently cut at the NUL. */
START_TEST(test_jsonl_nul_escape)
{
  g_autofree char *dir = test_dir("jsonl-nul");
  g_autofree char *path = write_test_file(dir, "feed.jsonl",
                                          "{\"id\": \"n\", \"text\": \"visible words\\u0000hidden words after\"}\n",
                                          -1);
  g_autoptr(NdCollection) c = new_collection();
  ErrLog log;
  errlog_init(&log, c);
  g_autoptr(NdLoader) l = nd_loader_new(c, 1, FALSE);
  nd_loader_set_error_func(l, on_error, &log);
  nd_loader_add_jsonl(l, path, "id", "text");
  nd_loader_finish(l);
  if (nd_collection_size(c) > 0)
    ck_abort_msg("record with \\u0000 was accepted as %u tokens of %" G_GUINT64_FORMAT " bytes (text cut at "
                 "the NUL), expected ND_ERROR_BINARY", nd_collection_get(c, 0)->tokens,
                 nd_collection_get(c, 0)->bytes);
  ck_assert_uint_eq(log.inputs->len, 1);
  g_autofree char *name = g_strdup_printf("%s:1", path);
  assert_error(&log, 0, name, ND_ERROR_BINARY);
  errlog_clear(&log);

  /* The escape found wherever it falls in the vector scan of the string, after other escapes; an
   * escaped backslash followed by "u0000" is text, not a NUL. */
  g_autofree char *path2 = write_test_file(dir, "feed2.jsonl",
    "{\"id\": \"literal\", \"text\": \"a backslash then u0000: \\\\u0000 is only text\"}\n"
    "{\"id\": \"late\", \"text\": \"forty bytes of ordinary words come first \\\"quoted\\\" \\u0000 then more\"}\n"
    "{\"id\": \"ok\", \"text\": \"plain words with \\\"quotes\\\" and \\n newlines \\u00e9t\\u00e9\"}\n", -1);
  g_autoptr(NdCollection) c2 = new_collection();
  errlog_init(&log, c2);
  g_autoptr(NdLoader) l2 = nd_loader_new(c2, 1, FALSE);
  nd_loader_set_error_func(l2, on_error, &log);
  nd_loader_add_jsonl(l2, path2, "id", "text");
  nd_loader_finish(l2);
  ck_assert_uint_eq(nd_collection_size(c2), 2);
  ck_assert_str_eq(nd_collection_get(c2, 0)->id, "literal");
  ck_assert_str_eq(nd_collection_get(c2, 1)->id, "ok");
  ck_assert_uint_eq(log.inputs->len, 1);
  g_autofree char *name2 = g_strdup_printf("%s:2", path2);
  assert_error(&log, 0, name2, ND_ERROR_BINARY);
  errlog_clear(&log);
}
END_TEST

/* Metadata is copied verbatim into JSON output and the index, so it must be JSON. json-glib wrote a
 * number too large for a double (1e400 is valid JSON) as "inf.0", and 1e21 as "1e+21.0" (both found
 * by fuzz_jsonl): they are written as 1e999 (read back as the same infinity) and 1e+21; text that
 * spells them is left alone. */
START_TEST(test_jsonl_huge_number_metadata)
{
  g_autofree char *dir = test_dir("jsonl-inf");
  g_autofree char *path = write_test_file(dir, "feed.jsonl",
    "{\"id\": \"big\", \"text\": \"words to sign here\", \"score\": 1.5e3005, \"neg\": -1e400, "
    "\"list\": [2.5, 1e999], \"note\": \"inf.0 \\\"inf\\\" info\", \"deep\": {\"x\": -2e500, \"ok\": true}}\n"
    "{\"id\": \"plain\", \"text\": \"more words to sign\", \"score\": 2.5, \"tag\": \"infinity\"}\n"
    "{\"id\": \"exp\", \"text\": \"exponents without a point\", \"n\": [1e21, -1E17, 1e-7, 1.5e300, 2500.0], "
    "\"s\": \"1e+21.0\"}\n", -1);
  g_autoptr(NdCollection) c = new_collection();
  ErrLog log;
  errlog_init(&log, c);
  g_autoptr(NdLoader) l = nd_loader_new(c, 1, FALSE);
  nd_loader_set_error_func(l, on_error, &log);
  nd_loader_add_jsonl(l, path, "id", "text");
  ck_assert_uint_eq(nd_loader_finish(l), 0);
  ck_assert_uint_eq(nd_collection_size(c), 3);
  const char *meta = nd_collection_get(c, 0)->meta;
  ck_assert_str_eq(meta, "{\"score\":1e999,\"neg\":-1e999,\"list\":[2.5,1e999],\"note\":\"inf.0 \\\"inf\\\" info\","
                         "\"deep\":{\"x\":-1e999,\"ok\":true}}");
  g_autoptr(JsonParser) parser = json_parser_new();
  ck_assert(json_parser_load_from_data(parser, meta, -1, NULL));
  JsonObject *o = json_node_get_object(json_parser_get_root(parser));
  ck_assert(isinf(json_object_get_double_member(o, "score")) && json_object_get_double_member(o, "score") > 0);
  ck_assert(isinf(json_object_get_double_member(o, "neg")) && json_object_get_double_member(o, "neg") < 0);
  ck_assert_str_eq(nd_collection_get(c, 1)->meta, "{\"score\":2.5,\"tag\":\"infinity\"}");
  /* json-glib writes 1e21 as "1e+21.0" (a point appended to a form without one): mended, strings kept */
  ck_assert_str_eq(nd_collection_get(c, 2)->meta, "{\"n\":[1e+21,-1e+17,9.9999999999999995e-08,"
                                                  "1.5000000000000001e+300,2500.0],\"s\":\"1e+21.0\"}");
  errlog_clear(&log);
}
END_TEST

/* json-glib reads numbers laxly and changes what it cannot hold: an integer outside 64 bits wraps
 * (9223372036854775808 becomes -9223372036854775808, 99999999999999999999 becomes -1), 010 is octal
 * 8, 0x10 is 16. Such a record is refused with a message naming the number, never loaded under a
 * changed id or with changed metadata. */
START_TEST(test_jsonl_numbers)
{
  g_autofree char *dir = test_dir("jsonl-numbers");
  g_autofree char *path = write_test_file(dir, "feed.jsonl",
    "{\"id\": 9223372036854775807, \"text\": \"the largest integer id\"}\n"                          /* 1 */
    "{\"id\": 9223372036854775808, \"text\": \"one more wraps\"}\n"                                   /* 2 */
    "{\"id\": 12345678901234567890, \"text\": \"an unsigned 64-bit id\"}\n"                           /* 3 */
    "{\"id\": \"m\", \"text\": \"metadata numbers\", \"n\": [-9223372036854775808, -0, 0, 0.5, 2.5E+3]}\n" /* 4 */
    "{\"id\": \"w\", \"text\": \"metadata too big\", \"n\": {\"deep\": [99999999999999999999]}}\n"       /* 5 */
    "{\"id\": \"low\", \"text\": \"below the minimum\", \"n\": -9223372036854775809}\n"               /* 6 */
    "{\"id\": \"q\", \"text\": \"quoted 99999999999999999999 is text\", \"n\": \"0x10\"}\n"           /* 7 */
    "{\"id\": \"f\", \"text\": \"a long double\", \"n\": 123456789012345678901234.5}\n"              /* 8 */
    "{\"id\": 010, \"text\": \"an octal id\"}\n"                                                      /* 9 */
    "{\"id\": \"hex\", \"text\": \"a hexadecimal value\", \"n\": 0x10}\n"                             /* 10 */
    "{\"id\": \"dot\", \"text\": \"no leading digit\", \"n\": .5}\n"                                 /* 11 */
    "{\"id\": \"exp\", \"text\": \"an empty exponent\", \"n\": 1e}\n", -1);                           /* 12 */
  g_autoptr(NdCollection) c = new_collection();
  ErrLog log;
  errlog_init(&log, c);
  g_autoptr(NdLoader) l = nd_loader_new(c, 1, FALSE);
  nd_loader_set_error_func(l, on_error, &log);
  nd_loader_add_jsonl(l, path, "id", "text");
  ck_assert_uint_eq(nd_loader_finish(l), 8);
  const char *ids[] = { "9223372036854775807", "m", "q", "f" };
  assert_ids(c, ids, 4);
  ck_assert_str_eq(nd_collection_get(c, 1)->meta, "{\"n\":[-9223372036854775808,0,0,0.5,2500.0]}");
  ck_assert_str_eq(nd_collection_get(c, 2)->meta, "{\"n\":\"0x10\"}");
  const guint bad_lines[] = { 2, 3, 5, 6, 9, 10, 11, 12 };
  const char *wants[] = { "integer 9223372036854775808 ", "integer 12345678901234567890 ",
                          "integer 99999999999999999999 ", "integer -9223372036854775809 ", "010 (at byte 7) is not a JSON number",
                          "0x10 (at byte", ".5 (at byte", "1e (at byte" };
  ck_assert_uint_eq(log.inputs->len, G_N_ELEMENTS(bad_lines));
  for (guint i = 0; i < G_N_ELEMENTS(bad_lines); i++) {
    g_autofree char *name = g_strdup_printf("%s:%u", path, bad_lines[i]);
    assert_error(&log, i, name, ND_ERROR_JSON);
    ck_assert_msg(strstr(g_ptr_array_index(log.messages, i), wants[i]) != NULL, "message '%s' lacks '%s'",
                  (const char *)g_ptr_array_index(log.messages, i), wants[i]);
  }
  errlog_clear(&log);
}
END_TEST

/* json-glib reads much that is not JSON, and some of it changes or drops data: a second object on
 * the line replaced the first, `$ff` was the integer 255 (found by fuzz_jsonl), an unknown escape
 * lost its backslash, a repeated member name kept only its last value. Every line is checked
 * against the JSON grammar first; a byte order mark and a raw tab inside a string, which read back
 * unchanged, are accepted. */
START_TEST(test_jsonl_strict_grammar)
{
  g_autofree char *dir = test_dir("jsonl-grammar");
  g_autofree char *path = write_test_file(dir, "feed.jsonl",
    "\xEF\xBB\xBF{\"id\": \"bom\", \"text\": \"after a byte order mark\"}\n"                         /* 1 */
    "{\"id\": \"esc\", \"text\": \"tab\\there \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r \\u00e9\", \"m\": [true, false, null, {}, []]}\n" /* 2 */
    "{\"id\": \"raw\", \"text\": \"a raw\ttab\", \"a\": {\"k\": 1}, \"b\": {\"k\": 2}, \"c\": \"x\x1fy\"}\n" /* 3 */
    "{\"id\": \"one\", \"text\": \"first\"} {\"id\": \"two\", \"text\": \"second\"}\n"               /* 4 */
    "{\"id\": $ff, \"text\": \"dollar hexadecimal\"}\n"                                             /* 5 */
    "{\"id\": \"x\", \"text\": \"bad \\x41 escape\"}\n"                                             /* 6 */
    "{\"id\": 'sq', \"text\": \"single quotes\"}\n"                                                 /* 7 */
    "{\"id\": \"c\", \"text\": \"comment\"} // note\n"                                              /* 8 */
    "var x = {\"id\": \"v\", \"text\": \"assignment\"};\n"                                          /* 9 */
    "{\"id\": \"t\", \"text\": \"trailing comma\",}\n"                                              /* 10 */
    "{\"id\": \"first\", \"text\": \"a repeated name\", \"id\": \"second\"}\n"                      /* 11 */
    "{\"id\": \"n\", \"text\": \"nested repeat\", \"m\": {\"a\": 1, \"\\u0061\": 2}}\n"             /* 12 */
    "{\"id\": \"open\", \"text\": \"unclosed\n"                                                     /* 13 */
    "{\"id\": \"u\", \"text\": \"short \\u12 escape\"}\n"                                           /* 14 */
    "{\"id\": \"tru\", \"text\": \"bare word\", \"m\": tru}\n"                                      /* 15 */
    "[\"an array\"]\n"                                                                              /* 16 */
    "{\"id\": \"last\", \"text\": \"still read\"}\n", -1);                                          /* 17 */
  g_autoptr(NdCollection) c = new_collection();
  ErrLog log;
  errlog_init(&log, c);
  g_autoptr(NdLoader) l = nd_loader_new(c, 1, FALSE);
  nd_loader_set_error_func(l, on_error, &log);
  nd_loader_add_jsonl(l, path, "id", "text");
  ck_assert_uint_eq(nd_loader_finish(l), 13);
  const char *ids[] = { "bom", "esc", "raw", "last" };
  assert_ids(c, ids, 4);
  ck_assert_str_eq(nd_collection_get(c, 1)->meta, "{\"m\":[true,false,null,{},[]]}");
  /* json-glib writes U+001F raw, the one control character it does not escape (found by fuzz_jsonl) */
  ck_assert_str_eq(nd_collection_get(c, 2)->meta, "{\"a\":{\"k\":1},\"b\":{\"k\":2},\"c\":\"x\\u001fy\"}");
  const guint bad_lines[] = { 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
  const char *wants[] = {
    "expected the end of the line after the record (one JSON value per line) at byte 31, found '{'",
    "expected a JSON value at byte 7, found '$ff'",
    "invalid escape at byte 25: a backslash followed by 'x41'",
    "expected a JSON value at byte 7, found \"'\" (strings take double quotes)",
    "expected the end of the line after the record (one JSON value per line) at byte 31, found '/' (JSON has no comments)",
    "expected a JSON value at byte 0, found 'var'",
    "expected a member name in double quotes at byte 37, found '}'",
    "the same member name twice",
    "the same member name twice",
    "the string at byte 23 is not closed",
    "\\u at byte 27 is not followed by four hexadecimal digits",
    "expected a JSON value at byte 40, found 'tru'",
    "the JSON line is not an object",
  };
  ck_assert_uint_eq(log.inputs->len, G_N_ELEMENTS(bad_lines));
  for (guint i = 0; i < G_N_ELEMENTS(bad_lines); i++) {
    g_autofree char *name = g_strdup_printf("%s:%u", path, bad_lines[i]);
    assert_error(&log, i, name, ND_ERROR_JSON);
    ck_assert_msg(strstr(g_ptr_array_index(log.messages, i), wants[i]) != NULL, "message '%s' lacks '%s'",
                  (const char *)g_ptr_array_index(log.messages, i), wants[i]);
  }
  errlog_clear(&log);
}
END_TEST

START_TEST(test_stop_on_error)
{
  g_autofree char *dir = test_dir("stop");
  for (guint i = 0; i < 200; i++) {
    g_autofree char *name = g_strdup_printf("%03u.txt", i);
    if (i == 130 || i == 150 || i == 190)
      g_free(write_test_file(dir, name, "", 0));
    else {
      g_autofree char *text = gen_article(300 + i, 60);
      g_free(write_test_file(dir, name, text, -1));
    }
  }
  g_autofree char *later = write_test_file(tmp_root, "stop-later.txt", "a later argument", -1);
  for (guint threads = 1; threads <= 4; threads += 3) {
    g_autoptr(NdCollection) c = new_collection();
    ErrLog log;
    errlog_init(&log, c);
    g_autoptr(NdLoader) l = nd_loader_new(c, threads, TRUE);
    nd_loader_set_error_func(l, on_error, &log);
    nd_loader_add_path(l, dir);
    nd_loader_add_path(l, later);
    guint skipped = nd_loader_finish(l);
    ck_assert(nd_loader_stopped(l));
    ck_assert_uint_eq(skipped, 1);
    ck_assert_uint_eq(log.inputs->len, 1);
    g_autofree char *bad = g_build_filename(dir, "130.txt", NULL);
    assert_error(&log, 0, bad, ND_ERROR_EMPTY);
    /* everything before the failure, nothing after it */
    ck_assert_uint_eq(nd_collection_size(c), 130);
    g_autofree char *last = g_build_filename(dir, "129.txt", NULL);
    ck_assert_str_eq(nd_collection_get(c, 129)->id, last);
    errlog_clear(&log);
  }
  /* without stop_on_error the same input is read to the end */
  g_autoptr(NdCollection) c = new_collection();
  g_autoptr(NdLoader) l = nd_loader_new(c, 2, FALSE);
  nd_loader_add_path(l, dir);
  nd_loader_add_path(l, later);
  ck_assert_uint_eq(nd_loader_finish(l), 3);
  ck_assert(!nd_loader_stopped(l));
  ck_assert_uint_eq(nd_collection_size(c), 198);
}
END_TEST

START_TEST(test_stop_on_error_jsonl)
{
  g_autofree char *dir = test_dir("stop-jsonl");
  g_autofree char *path = write_test_file(dir, "feed.jsonl",
                                          "{\"id\": \"1\", \"text\": \"first good record\"}\n"
                                          "{\"id\": \"2\", \"text\": \"second good record\"}\n"
                                          "not json at all\n"
                                          "{\"id\": \"4\", \"text\": \"after the failure\"}\n", -1);
  g_autoptr(NdCollection) c = new_collection();
  ErrLog log;
  errlog_init(&log, c);
  g_autoptr(NdLoader) l = nd_loader_new(c, 2, TRUE);
  nd_loader_set_error_func(l, on_error, &log);
  nd_loader_add_jsonl(l, path, "id", "text");
  ck_assert_uint_eq(nd_loader_finish(l), 1);
  ck_assert(nd_loader_stopped(l));
  const char *ids[] = { "1", "2" };
  assert_ids(c, ids, 2);
  g_autofree char *name = g_strdup_printf("%s:3", path);
  assert_error(&log, 0, name, ND_ERROR_JSON);
  errlog_clear(&log);
}
END_TEST

START_TEST(test_empty_dir_and_missing)
{
  g_autofree char *dir = test_dir("emptydir");
  g_autofree char *missing = g_build_filename(tmp_root, "does", "not", "exist", NULL);
  g_autoptr(NdCollection) c = new_collection();
  ErrLog log;
  errlog_init(&log, c);
  g_autoptr(NdLoader) l = nd_loader_new(c, 0, FALSE); /* 0: one worker per processor */
  nd_loader_set_error_func(l, on_error, &log);
  nd_loader_add_path(l, dir);
  nd_loader_add_path(l, missing);
  guint skipped = nd_loader_finish(l);
  ck_assert_uint_eq(nd_collection_size(c), 0);
  ck_assert_uint_eq(skipped, 2);
  ck_assert_uint_eq(log.inputs->len, 2);
  ck_assert_str_eq(g_ptr_array_index(log.inputs, 0), dir);
  assert_error(&log, 1, missing, ND_ERROR_NOT_FOUND);
  errlog_clear(&log);
}
END_TEST

START_TEST(test_too_large)
{
  g_autofree char *dir = test_dir("large");
  g_autofree char *big = gen_article(77, 200);
  g_autofree char *small = gen_article(78, 10);
  ck_assert_uint_gt(strlen(big), 1000);
  ck_assert_uint_lt(strlen(small), 1000);
  g_autofree char *pbig = write_test_file(dir, "big.txt", big, -1);
  g_autofree char *psmall = write_test_file(dir, "small.txt", small, -1);
  g_autofree char *feed = g_strdup_printf("{\"id\": \"big\", \"text\": \"%s\"}\n{\"id\": \"small\", \"text\": \"%s\"}\n",
                                          big, small);
  g_autofree char *pfeed = write_test_file(dir, "feed.jsonl", feed, -1);

  NdSignParams p;
  nd_sign_params_init(&p);
  p.max_bytes = 1000;
  g_autoptr(NdCollection) c = nd_collection_new(&p);
  ErrLog log;
  errlog_init(&log, c);
  g_autoptr(NdLoader) l = nd_loader_new(c, 2, FALSE);
  nd_loader_set_error_func(l, on_error, &log);
  nd_loader_add_path(l, pbig);
  nd_loader_add_path(l, psmall);
  nd_loader_add_jsonl(l, pfeed, "id", "text");
  ck_assert_uint_eq(nd_loader_finish(l), 2);
  const char *ids[] = { psmall, "small" };
  assert_ids(c, ids, 2);
  assert_error(&log, 0, pbig, ND_ERROR_TOO_LARGE);
  g_autofree char *line1 = g_strdup_printf("%s:1", pfeed);
  assert_error(&log, 1, line1, ND_ERROR_TOO_LARGE);
  errlog_clear(&log);
}
END_TEST

/* Without an error callback, bad inputs are still counted; freeing an unfinished loader finishes it. */
START_TEST(test_no_callback_and_free)
{
  g_autofree char *root = make_tree("nocb");
  g_autoptr(NdCollection) c = new_collection();
  NdLoader *l = nd_loader_new(c, 2, FALSE);
  nd_loader_add_path(l, root);
  ck_assert_uint_eq(nd_loader_finish(l), 6);
  nd_loader_free(l);
  ck_assert_uint_eq(nd_collection_size(c), 6);

  g_autoptr(NdCollection) c2 = new_collection();
  NdLoader *l2 = nd_loader_new(c2, 3, FALSE);
  nd_loader_add_path(l2, root);
  nd_loader_free(l2); /* not finished: free waits and merges */
  ck_assert_uint_eq(nd_collection_size(c2), 6);
}
END_TEST

/* nd_read_article: one file, checked the way the loader checks it. */
START_TEST(test_read_article)
{
  g_autofree char *dir = test_dir("read-article");
  const char text[] = "Caf\xC3\xA9 society \xE2\x80\x94 a short article.\n";
  g_autofree char *ok = write_test_file(dir, "ok.txt", text, -1);
  g_autofree char *empty = write_test_file(dir, "empty.txt", "", 0);
  g_autofree char *bin = write_test_file(dir, "bin.txt", "abc\0def", 7);
  g_autofree char *bad = write_test_file(dir, "bad.txt", "good text \xC0\xAF more", -1);
  g_autofree char *missing = g_build_filename(dir, "missing.txt", NULL);
  gsize len = 0;
  GError *error = NULL;

  g_autofree char *got = nd_read_article(ok, 1000, ND_TEXT_DEFAULT, &len, &error);
  ck_assert_ptr_null(error);
  ck_assert_ptr_nonnull(got);
  ck_assert_uint_eq(len, sizeof text - 1);
  ck_assert_mem_eq(got, text, sizeof text); /* NUL-terminated */

  struct {
    const char *path;
    gsize max;
    NdErrorCode code;
    const char *in_message;
  } cases[] = {
    { ok, 10, ND_ERROR_TOO_LARGE, NULL },
    { empty, 1000, ND_ERROR_EMPTY, NULL },
    { bin, 1000, ND_ERROR_BINARY, "offset 3" },
    { bad, 1000, ND_ERROR_UTF8, "byte offset 10" },
    { missing, 1000, ND_ERROR_NOT_FOUND, NULL },
    { dir, 1000, ND_ERROR_IO, NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    len = 12345;
    char *none = nd_read_article(cases[i].path, cases[i].max, ND_TEXT_DEFAULT, &len, &error);
    ck_assert_msg(none == NULL, "case %zu: read succeeded", i);
    ck_assert_msg(g_error_matches(error, ND_ERROR, (gint)cases[i].code), "case %zu: error %d (%s), expected %d", i,
                  error ? error->code : -1, error ? error->message : "none", cases[i].code);
    if (cases[i].in_message != NULL)
      ck_assert_msg(strstr(error->message, cases[i].in_message) != NULL, "case %zu: \"%s\" lacks \"%s\"", i,
                    error->message, cases[i].in_message);
    /* the library names no command-line option: the tool adds its own hints (error.h) */
    ck_assert_msg(strstr(error->message, "--") == NULL, "case %zu: \"%s\" names an option", i, error->message);
    g_clear_error(&error);
  }
  /* lossy: invalid UTF-8 is accepted as it is */
  g_autofree char *lossy = nd_read_article(bad, 1000, ND_TEXT_LOSSY, &len, &error);
  ck_assert_ptr_null(error);
  ck_assert_ptr_nonnull(lossy);
  ck_assert_uint_eq(len, strlen("good text \xC0\xAF more"));
  /* exactly max_bytes is allowed */
  g_autofree char *exact = nd_read_article(ok, sizeof text - 1, ND_TEXT_DEFAULT, &len, &error);
  ck_assert_ptr_nonnull(exact);
}
END_TEST

/* The token limit has its own code (the tool's hint differs from the byte limit's), and neither
 * message names a command-line option. */
START_TEST(test_token_limit_error)
{
  GError *error = NULL;
  const char text[] = "one two three four five";
  ck_assert(nd_check_token_limit(text, sizeof text - 1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT, 5, &error));
  ck_assert_ptr_null(error);
  ck_assert(!nd_check_token_limit(text, sizeof text - 1, ND_TOKENS_WORDS, ND_TEXT_DEFAULT, 4, &error));
  ck_assert_msg(g_error_matches(error, ND_ERROR, ND_ERROR_TOO_MANY_TOKENS), "code %d: %s", error->code,
                error->message);
  ck_assert_msg(strstr(error->message, "--") == NULL, "\"%s\" names an option", error->message);
  ck_assert_str_eq(nd_error_describe(ND_ERROR_TOO_MANY_TOKENS), "article has too many tokens");
  g_clear_error(&error);
}
END_TEST

/* ---- The JSON Lines reader against json-glib ----
 * The reader decodes records without a parse tree (jsonl.c); json-glib's tree, written by
 * nd_json_to_string, is what it replaced. Random records (escaped names, the id given twice or
 * under an escaped name, nested values, doubles, -0, control characters, DEL, surrogate pairs,
 * invalid UTF-8) must give the same id, text and metadata as the tree reading, or be refused as it
 * refused them. */

/* The record as the tree reading took it: FALSE when it refused it. */
static gboolean
tree_read(JsonParser *parser, const char *line, char **id, char **text, char **meta)
{
  NdJsonScan scan;
  JsonObject *obj = nd_json_parse_object(parser, line, strlen(line), G_MAXSIZE, &scan, NULL);
  if (obj == NULL || scan.nul_at >= 0)
    return FALSE;
  JsonNode *idn = json_object_get_member(obj, "id"), *tx = json_object_get_member(obj, "text");
  if (idn == NULL || !JSON_NODE_HOLDS_VALUE(idn) || tx == NULL || !JSON_NODE_HOLDS_VALUE(tx) ||
      json_node_get_value_type(tx) != G_TYPE_STRING)
    return FALSE;
  if (json_node_get_value_type(idn) == G_TYPE_STRING)
    *id = g_strdup(json_node_get_string(idn));
  else if (json_node_get_value_type(idn) == G_TYPE_INT64)
    *id = g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(idn));
  else
    return FALSE;
  *text = g_strdup(json_node_get_string(tx));
  JsonObject *rest = json_object_new();
  g_autoptr(GList) members = json_object_get_members(obj);
  for (GList *m = members; m != NULL; m = m->next)
    if (strcmp(m->data, "id") != 0 && strcmp(m->data, "text") != 0)
      json_object_set_member(rest, m->data, json_node_copy(json_object_get_member(obj, m->data)));
  *meta = NULL;
  if (json_object_get_size(rest) > 0) {
    g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
    json_node_set_object(node, rest);
    *meta = nd_json_to_string(node);
  }
  json_object_unref(rest);
  return TRUE;
}

/* Appends the inside of a JSON string: words, escapes, raw control characters, DEL, UTF-8, and now
 * and then a byte that is not UTF-8. */
static void
random_chars(GRand *r, GString *out)
{
  static const char *pieces[] = { "word", " ", "words ", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9", "\\ud83d\\ude00",
                                  "\\u001f", "\\u0041", "\t", "\x7f", "\xc3\xa9", "\xe2\x80\xa8", "\xe2\x80\x9c",
                                  "\\b\\f\\r\\t", "<b>", "x", "'", "\\u2019", "\xff" };
  for (int k = g_rand_int_range(r, 0, 6); k > 0; k--) {
    guint piece = (guint)g_rand_int_range(r, 0, G_N_ELEMENTS(pieces));
    if (piece == G_N_ELEMENTS(pieces) - 1 && g_rand_int_range(r, 0, 10) != 0)
      piece = 0; /* not UTF-8: now and then only */
    g_string_append(out, pieces[piece]);
  }
}

static void
random_value(GRand *r, GString *out, int depth)
{
  static const char *scalars[] = { "0", "-0", "17", "-42", "9223372036854775807", "1.5", "-0.25", "1e21", "2E-3",
                                   "1e400", "true", "false", "null" };
  int kind = g_rand_int_range(r, 0, depth > 2 ? 2 : 4);
  if (kind == 0) {
    g_string_append_c(out, '"');
    random_chars(r, out);
    g_string_append_c(out, '"');
  } else if (kind == 1) {
    g_string_append(out, scalars[g_rand_int_range(r, 0, G_N_ELEMENTS(scalars))]);
  } else {
    gboolean array = kind == 2;
    g_string_append(out, array ? "[ " : "{");
    for (int k = g_rand_int_range(r, 0, 3); k > 0; k--) {
      if (!array)
        g_string_append_printf(out, "\"k%d\": ", k);
      random_value(r, out, depth + 1);
      g_string_append(out, k > 1 ? " , " : "");
    }
    g_string_append(out, array ? "]" : "}");
  }
}

START_TEST(test_jsonl_reader_as_tree)
{
  static const char *names[] = { "\"url\"", "\"date\"", "\"title\"", "\"\\u0069d\"", "\"te\\u0078t\"", "\"outlet\"",
                                 "\"\xc3\xa9t\xc3\xa9\"", "\"a\\\"b\"", "\"url\"", "\"id\"", "\"k\\u0000\"" };
  g_autofree char *dir = test_dir("jsonl-as-tree");
  g_autoptr(GRand) r = g_rand_new_with_seed(20261128);
  g_autoptr(GString) feed = g_string_new(NULL);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
  for (guint n = 0; n < 3000; n++) {
    GString *line = g_string_new(n % 7 == 0 ? " \t{ " : "{");
    int id_at = g_rand_int_range(r, 0, 3), text_at = g_rand_int_range(r, 0, 3);
    for (int k = 0; k < 3; k++) {
      if (k == id_at && g_rand_int_range(r, 0, 3) == 0)
        g_string_append_printf(line, "\"id\": %s, ", n % 11 == 0 ? "-0" : n % 13 == 0 ? "1.0" : "-1234");
      else if (k == id_at)
        g_string_append_printf(line, "\"id\" : \"r%u\\u00e9\", ", n);
      if (k == text_at) {
        g_string_append_printf(line, "\"text\":\"record %u has words enough ", n);
        random_chars(r, line);
        g_string_append(line, " end\", ");
      }
      for (int extra = g_rand_int_range(r, 0, 3); extra > 0; extra--) {
        g_string_append(line, names[g_rand_int_range(r, 0, G_N_ELEMENTS(names))]);
        g_string_append(line, ":");
        random_value(r, line, 0);
        g_string_append(line, ", ");
      }
    }
    g_string_append(line, "\"last\": 1}");
    g_string_append_len(feed, line->str, (gssize)line->len);
    g_string_append_c(feed, '\n');
    g_ptr_array_add(lines, g_string_free(line, FALSE));
  }
  g_autofree char *path = write_test_file(dir, "feed.jsonl", feed->str, (gssize)feed->len);

  NdSignParams p;
  nd_sign_params_init(&p);
  p.keep_text = TRUE;
  g_autoptr(NdCollection) c = nd_collection_new(&p);
  ErrLog log;
  errlog_init(&log, c);
  g_autoptr(NdLoader) l = nd_loader_new(c, 2, FALSE);
  nd_loader_set_error_func(l, on_error, &log);
  nd_loader_add_jsonl(l, path, "id", "text");
  nd_loader_finish(l);

  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  guint doc = 0, refused = 0;
  for (guint n = 0; n < lines->len; n++) {
    g_autofree char *id = NULL, *text = NULL, *meta = NULL;
    g_autofree char *name = g_strdup_printf("%s:%u", path, n + 1);
    gboolean ok = tree_read(parser, g_ptr_array_index(lines, n), &id, &text, &meta);
    if (ok && !g_hash_table_add(seen, g_strdup(id)))
      ok = FALSE; /* the same id again: refused as a duplicate */
    if (!ok) {
      ck_assert_uint_lt(refused, log.inputs->len);
      ck_assert_str_eq(g_ptr_array_index(log.inputs, refused), name);
      refused++;
      continue;
    }
    ck_assert_uint_lt(doc, nd_collection_size(c));
    const NdDocument *d = nd_collection_get(c, doc++);
    ck_assert_str_eq(d->id, id);
    ck_assert_str_eq(d->text, text);
    if (meta == NULL)
      ck_assert_ptr_null(d->meta);
    else
      ck_assert_str_eq(d->meta, meta);
  }
  ck_assert_uint_eq(doc, nd_collection_size(c));
  ck_assert_uint_eq(refused, log.inputs->len);
  ck_assert_uint_gt(doc, 300); /* both sides well exercised */
  ck_assert_uint_gt(refused, 300);
  errlog_clear(&log);
}
END_TEST

/* One share's documents, with the item numbers and names the loader gave them. */
typedef struct {
  const NdLoader *loader;
  GPtrArray *ids;   /* char* */
  GArray *items;    /* guint64 */
} ShareLog;

static gboolean
on_share_document(NdDocument *doc, gpointer data, GError **error)
{
  (void)error;
  ShareLog *log = data;
  guint64 item = G_MAXUINT64;
  const char *name = nd_loader_current_item(log->loader, &item);
  ck_assert_ptr_nonnull(name);
  ck_assert_str_eq(name, doc->id); /* files: the name is the path, which is the id */
  g_ptr_array_add(log->ids, g_strdup(doc->id));
  g_array_append_val(log->items, item);
  nd_document_free(doc);
  return TRUE;
}

/* Shares of one input, loaded by separate loaders as MPI ranks do: every article is signed by
 * exactly one share, every bad input reported by exactly one, and ordering the shares' documents by
 * item number gives the one-loader order. */
START_TEST(test_shares_partition)
{
  g_autofree char *dir = test_dir("shares");
  GString *list = g_string_new(NULL);
  for (guint i = 0; i < 23; i++) {
    g_autofree char *name = g_strdup_printf("a%02u.txt", i);
    g_autofree char *text = gen_article(1700 + i, 40);
    g_autofree char *path = write_test_file(dir, name, text, -1);
    g_string_append_printf(list, "%s\n", path);
    if (i % 7 == 3) /* a missing file now and then */
      g_string_append_printf(list, "%s/missing%02u.txt\n", dir, i);
  }
  g_autofree char *list_path = write_test_file(dir, "list", list->str, -1);
  g_string_free(list, TRUE);

  g_autoptr(NdCollection) whole = new_collection();
  ErrLog whole_log;
  errlog_init(&whole_log, whole);
  g_autoptr(NdLoader) l = nd_loader_new(whole, 2, FALSE);
  nd_loader_set_error_func(l, on_error, &whole_log);
  nd_loader_add_files_from(l, list_path);
  guint whole_skipped = nd_loader_finish(l);
  ck_assert_uint_eq(whole_skipped, 3);
  ck_assert_uint_eq(nd_collection_size(whole), 23);
  ck_assert_ptr_null(nd_loader_current_item(l, NULL)); /* only inside a document function */

  for (guint count = 1; count <= 4; count++) {
    for (guint block = 1; block <= 3; block += 2) {
      g_autoptr(GPtrArray) merged_ids = g_ptr_array_new_with_free_func(g_free);
      g_autoptr(GArray) merged_items = g_array_new(FALSE, FALSE, sizeof(guint64));
      g_autoptr(GHashTable) reported = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
      guint skipped = 0;
      for (guint index = 0; index < count; index++) {
        g_autoptr(NdCollection) params_only = new_collection();
        ErrLog elog;
        errlog_init(&elog, params_only);
        g_autoptr(NdLoader) sl = nd_loader_new(params_only, 2, FALSE);
        ShareLog slog = { sl, g_ptr_array_new_with_free_func(g_free), g_array_new(FALSE, FALSE, sizeof(guint64)) };
        nd_loader_set_share(sl, index, count, block);
        nd_loader_set_error_func(sl, on_error, &elog);
        nd_loader_set_document_func(sl, on_share_document, &slog);
        nd_loader_add_files_from(sl, list_path);
        skipped += nd_loader_finish(sl);
        for (guint i = 0; i < slog.items->len; i++) {
          guint64 item = g_array_index(slog.items, guint64, i);
          ck_assert_uint_eq((item / block) % count, index);
          if (i > 0)
            ck_assert_uint_gt(item, g_array_index(slog.items, guint64, i - 1));
          g_ptr_array_add(merged_ids, g_strdup(g_ptr_array_index(slog.ids, i)));
          g_array_append_val(merged_items, item);
        }
        for (guint i = 0; i < elog.inputs->len; i++) {
          const char *input = g_ptr_array_index(elog.inputs, i);
          ck_assert_msg(g_hash_table_add(reported, g_strdup(input)), "%s reported twice", input);
        }
        errlog_clear(&elog);
        g_ptr_array_unref(slog.ids);
        g_array_unref(slog.items);
      }
      ck_assert_uint_eq(skipped, whole_skipped);
      ck_assert_uint_eq(g_hash_table_size(reported), whole_log.inputs->len);
      for (guint i = 0; i < whole_log.inputs->len; i++)
        ck_assert(g_hash_table_contains(reported, g_ptr_array_index(whole_log.inputs, i)));
      /* In item order, the shares' documents are the one loader's, in its order. */
      ck_assert_uint_eq(merged_ids->len, nd_collection_size(whole));
      for (guint i = 0; i < merged_ids->len; i++) {
        guint rank = 0;
        for (guint j = 0; j < merged_ids->len; j++)
          rank += g_array_index(merged_items, guint64, j) < g_array_index(merged_items, guint64, i);
        ck_assert_str_eq(g_ptr_array_index(merged_ids, i), nd_collection_get(whole, rank)->id);
      }
    }
  }
  errlog_clear(&whole_log);
}
END_TEST

/* A file check that refuses every file. */
static gboolean
refuse_all(const char *path, guint64 dev, guint64 ino, gpointer data, GError **error)
{
  (void)path, (void)dev, (void)ino, (void)data;
  g_set_error_literal(error, ND_ERROR, ND_ERROR_INVALID_ARG, "refused");
  return FALSE;
}

/* The first line start at or after `at` in s[0..len), by the rule input.h states. */
static guint64
expected_line_start(const char *s, guint64 len, guint64 at)
{
  if (at == 0 || at >= len)
    return MIN(at, len);
  for (guint64 i = at - 1; i < len; i++)
    if (s[i] == '\n')
      return i + 1;
  return len;
}

/* Hostile layouts for the byte-range cut: empty, no final newline, CR LF, blank lines, one line longer
 * than a share (ranges start inside it; shares with no line start), a file of newlines only. */
static GPtrArray *
range_contents(void)
{
  GPtrArray *c = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(c, g_strdup(""));
  g_ptr_array_add(c, g_strdup("{\"id\":\"a\",\"text\":\"one two three\"}"));
  g_ptr_array_add(c, g_strdup("{\"id\":\"a\",\"text\":\"one\"}\r\n{\"id\":\"b\",\"text\":\"two\"}\r\n\r\n"));
  g_ptr_array_add(c, g_strdup("\n\n\n\n\n\n\n"));
  g_autofree char *huge = g_strnfill(5000, 'x');
  g_ptr_array_add(c, g_strdup_printf("{\"id\":\"h\",\"text\":\"%s\"}\n{\"id\":\"s\",\"text\":\"short\"}\n", huge));
  g_ptr_array_add(c, g_strdup_printf("{\"id\":\"s\",\"text\":\"short\"}\n{\"id\":\"h\",\"text\":\"%s\"}", huge));
  return c;
}

/* The cut rule on hostile files: for every number of shares, the ranges tile the file in order,
 * each starts at the first line start at or after its cut point (so a range that would start inside
 * a line starts after it, and may be empty), and their newline counts add up to the file's. */
START_TEST(test_line_range_cuts)
{
  g_autofree char *dir = test_dir("ranges");
  g_autoptr(GPtrArray) contents = range_contents();
  for (guint c = 0; c < contents->len; c++) {
    const char *text = g_ptr_array_index(contents, c);
    guint64 len = strlen(text), total_newlines = 0;
    for (guint64 i = 0; i < len; i++)
      total_newlines += text[i] == '\n';
    g_autofree char *name = g_strdup_printf("c%u.jsonl", c);
    g_autofree char *path = write_test_file(dir, name, text, -1);
    for (guint count = 1; count <= 6; count++) {
      guint64 newlines = 0, prev_end = 0, bytes = 0;
      for (guint index = 0; index < count; index++) {
        NdInputRange r;
        ck_assert_msg(nd_input_range_plan(path, TRUE, index, count, NULL, NULL, &r, &bytes), "file %u", c);
        ck_assert_uint_eq(r.size, len);
        ck_assert_uint_eq(r.start, prev_end);
        ck_assert_uint_eq(r.start, expected_line_start(text, len, len * index / count));
        ck_assert_uint_eq(r.end, expected_line_start(text, len, len * (index + 1) / count));
        ck_assert_uint_le(r.start, r.end);
        guint64 in_range = 0;
        for (guint64 i = r.start; i < r.end; i++)
          in_range += text[i] == '\n';
        ck_assert_uint_eq(r.newlines, in_range);
        newlines += r.newlines;
        prev_end = r.end;
      }
      ck_assert_uint_eq(prev_end, len);
      ck_assert_uint_eq(newlines, total_newlines);
      /* each share reads its range and a little around its cuts, not the file once per share */
      ck_assert_uint_le(bytes, len + count * (4096 + (16 << 10)) + len);
    }
    /* Recognised by content: a JSON Lines file is, an empty file or newlines only are not. */
    NdInputRange r;
    ck_assert(nd_input_range_plan(path, FALSE, 0, 2, NULL, NULL, &r, NULL) == (len > 0 && text[0] == '{'));
  }
  /* Not for ranges: a directory, a missing file, a compressed file, standard input, a text article,
   * a file the check refuses. */
  NdInputRange r;
  ck_assert(!nd_input_range_plan(dir, TRUE, 0, 2, NULL, NULL, &r, NULL));
  g_autofree char *missing = g_build_filename(dir, "missing.jsonl", NULL);
  ck_assert(!nd_input_range_plan(missing, TRUE, 0, 2, NULL, NULL, &r, NULL));
  static const char gz[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00";
  g_autofree char *gz_path = write_test_file(dir, "z.jsonl.gz", gz, sizeof gz - 1);
  ck_assert(!nd_input_range_plan(gz_path, TRUE, 0, 2, NULL, NULL, &r, NULL));
  ck_assert(!nd_input_range_plan("-", TRUE, 0, 2, NULL, NULL, &r, NULL));
  g_autofree char *art = write_test_file(dir, "a.txt", "Just one article of plain text.\n", -1);
  ck_assert(!nd_input_range_plan(art, FALSE, 0, 2, NULL, NULL, &r, NULL));
  ck_assert(nd_input_range_plan(art, TRUE, 0, 2, NULL, NULL, &r, NULL)); /* named as JSON Lines: taken so */
  g_autofree char *jl = g_build_filename(dir, "c1.jsonl", NULL);
  ck_assert(!nd_input_range_plan(jl, TRUE, 0, 2, refuse_all, NULL, &r, NULL));
}
END_TEST

/* One share's items: documents with their numbers and names, and errors. */
typedef struct {
  const NdLoader *loader;
  GArray *items;    /* guint64 */
  GPtrArray *lines; /* "name id", char* */
} RangeLog;

static gboolean
on_range_document(NdDocument *doc, gpointer data, GError **error)
{
  (void)error;
  RangeLog *log = data;
  guint64 item = 0;
  const char *name = nd_loader_current_item(log->loader, &item);
  g_array_append_val(log->items, item);
  g_ptr_array_add(log->lines, g_strdup_printf("%s %s", name, doc->id));
  nd_document_free(doc);
  return TRUE;
}

/* JSON Lines read by byte ranges, one loader per share as MPI ranks do (the line counts of the
 * shares before each added up as dist.h does): the shares' documents, in item order, are one
 * loader's, with the same names ("file:LINE"); every error is reported by exactly one share with
 * one loader's name and message; the shares agree on the items enumerated. */
START_TEST(test_line_range_loaders)
{
  g_autofree char *dir = test_dir("range_loaders");
  GString *file = g_string_new(NULL);
  g_autofree char *huge = g_strnfill(20000, 'y'); /* longer than the 9 KiB line limit below */
  for (guint i = 0; i < 60; i++) {
    g_autofree char *text = gen_article(900 + i, 30 + i % 50);
    if (i % 11 == 4)
      g_string_append(file, "{\"id\":\"bad\",\"text\":}\n"); /* malformed */
    if (i % 13 == 6)
      g_string_append_printf(file, "{\"id\":\"long%u\",\"text\":\"%s\"}\n", i, huge);
    if (i % 9 == 2)
      g_string_append(file, "\n  \r\n"); /* blank lines: counted, no item */
    g_string_append_printf(file, "{\"id\":\"r%02u\",\"text\":\"%s\"}%s", i, text, i % 2 ? "\r\n" : "\n");
  }
  g_string_append(file, "{\"id\":\"last\",\"text\":\"no newline after the last line\"}");
  g_autofree char *path = write_test_file(dir, "feed.jsonl", file->str, (gssize)file->len);
  g_string_free(file, TRUE);

  NdSignParams p;
  nd_sign_params_init(&p);
  p.max_bytes = 4096;
  g_autoptr(NdCollection) whole = nd_collection_new(&p);
  ErrLog wlog;
  errlog_init(&wlog, whole);
  g_autoptr(NdLoader) l = nd_loader_new(whole, 2, FALSE);
  RangeLog whole_docs = { l, g_array_new(FALSE, FALSE, sizeof(guint64)), g_ptr_array_new_with_free_func(g_free) };
  nd_loader_set_error_func(l, on_error, &wlog);
  nd_loader_set_document_func(l, on_range_document, &whole_docs);
  nd_loader_add_path(l, path);
  guint whole_skipped = nd_loader_finish(l);
  ck_assert_uint_eq(whole_docs.lines->len, 61);
  ck_assert_uint_eq(whole_skipped, 6 + 5);
  guint64 whole_items = nd_loader_items(l, NULL);

  for (guint count = 1; count <= 5; count++) {
    for (int as_jsonl = 0; as_jsonl <= 1; as_jsonl++) {
      NdInputRange ranges[5];
      guint64 first_line[5], sum = 0, bytes = 0;
      for (guint index = 0; index < count; index++) {
        ck_assert(nd_input_range_plan(path, as_jsonl, index, count, NULL, NULL, &ranges[index], &bytes));
        first_line[index] = sum;
        sum += ranges[index].newlines;
      }
      g_autoptr(GArray) items = g_array_new(FALSE, FALSE, sizeof(guint64));
      g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
      g_autoptr(GHashTable) errors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
      guint skipped = 0;
      guint64 n_items = 0, digest = 0;
      for (guint index = 0; index < count; index++) {
        g_autoptr(NdCollection) params_only = nd_collection_new(&p);
        ErrLog elog;
        errlog_init(&elog, params_only);
        g_autoptr(NdLoader) sl = nd_loader_new(params_only, 2, FALSE);
        RangeLog slog = { sl, g_array_new(FALSE, FALSE, sizeof(guint64)), g_ptr_array_new_with_free_func(g_free) };
        nd_loader_set_share(sl, index, count, 1);
        nd_loader_set_input_range(sl, path, &ranges[index], first_line[index]);
        nd_loader_set_error_func(sl, on_error, &elog);
        nd_loader_set_document_func(sl, on_range_document, &slog);
        if (as_jsonl)
          nd_loader_add_jsonl(sl, path, "id", "text");
        else
          nd_loader_add_path(sl, path);
        skipped += nd_loader_finish(sl);
        guint64 share_digest;
        guint64 share_items = nd_loader_items(sl, &share_digest);
        if (index == 0) {
          n_items = share_items;
          digest = share_digest;
        }
        ck_assert_uint_eq(share_items, n_items); /* the shares agree on what they enumerated */
        ck_assert_uint_eq(share_digest, digest);
        for (guint i = 0; i < slog.items->len; i++) {
          guint64 item = g_array_index(slog.items, guint64, i);
          ck_assert_uint_ge(item, ranges[index].start); /* numbered by byte offset, within its range */
          ck_assert_uint_lt(item, MAX(ranges[index].end, ranges[index].start + 1));
          g_array_append_val(items, item);
          g_ptr_array_add(lines, g_strdup(g_ptr_array_index(slog.lines, i)));
        }
        for (guint i = 0; i < elog.inputs->len; i++) {
          g_autofree char *what = g_strdup_printf("%s: %s", (char *)g_ptr_array_index(elog.inputs, i),
                                                  (char *)g_ptr_array_index(elog.messages, i));
          ck_assert_msg(g_hash_table_add(errors, g_steal_pointer(&what)), "reported twice");
        }
        errlog_clear(&elog);
        g_array_unref(slog.items);
        g_ptr_array_unref(slog.lines);
      }
      ck_assert_uint_eq(n_items, ranges[0].size + 1); /* a file by ranges takes size + 1 numbers */
      ck_assert_uint_lt(whole_items, n_items);
      ck_assert_uint_le(bytes, 2 * ranges[0].size + count * (4096 + (16 << 10)));
      ck_assert_uint_eq(skipped, whole_skipped);
      ck_assert_uint_eq(g_hash_table_size(errors), wlog.inputs->len);
      for (guint i = 0; i < wlog.inputs->len; i++) {
        g_autofree char *what = g_strdup_printf("%s: %s", (char *)g_ptr_array_index(wlog.inputs, i),
                                                (char *)g_ptr_array_index(wlog.messages, i));
        ck_assert_msg(g_hash_table_contains(errors, what), "%s not reported with %u shares", what, count);
      }
      ck_assert_uint_eq(lines->len, whole_docs.lines->len);
      for (guint i = 0; i < lines->len; i++) {
        guint rank = 0;
        for (guint j = 0; j < lines->len; j++)
          rank += g_array_index(items, guint64, j) < g_array_index(items, guint64, i);
        ck_assert_str_eq(g_ptr_array_index(lines, i), g_ptr_array_index(whole_docs.lines, rank));
      }
    }
  }
  errlog_clear(&wlog);
  g_array_unref(whole_docs.items);
  g_ptr_array_unref(whole_docs.lines);
}
END_TEST

static Suite *
input_suite(void)
{
  Suite *s = suite_create("input");
  TCase *tc = tcase_create("core");
  tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
  tcase_add_test(tc, test_directory_tree);
  tcase_add_test(tc, test_explicit_paths);
  tcase_add_test(tc, test_explicit_symlink_dir);
  tcase_add_test(tc, test_threads_identical);
  tcase_add_test(tc, test_files_from);
  tcase_add_test(tc, test_jsonl);
  tcase_add_test(tc, test_jsonl_reader_as_tree);
  tcase_add_test(tc, test_jsonl_custom_fields);
  tcase_add_test(tc, test_jsonl_repeated_id);
  tcase_add_test(tc, test_jsonl_nul_escape);
  tcase_add_test(tc, test_jsonl_huge_number_metadata);
  tcase_add_test(tc, test_jsonl_numbers);
  tcase_add_test(tc, test_jsonl_strict_grammar);
  tcase_add_test(tc, test_stop_on_error);
  tcase_add_test(tc, test_stop_on_error_jsonl);
  tcase_add_test(tc, test_empty_dir_and_missing);
  tcase_add_test(tc, test_too_large);
  tcase_add_test(tc, test_no_callback_and_free);
  tcase_add_test(tc, test_read_article);
  tcase_add_test(tc, test_token_limit_error);
  tcase_add_test(tc, test_shares_partition);
  tcase_add_test(tc, test_line_range_cuts);
  tcase_add_test(tc, test_line_range_loaders);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(input_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* make_dist_seeds.c — writes the seed corpus of fuzz_dist: messages of real signed documents in the
 * MPI wire form (nd_dist_encode_document), one file per parameter set of fuzz_dist_params.h, its
 * first byte naming the set, as fuzz_dist reads them.
 *
 *   make_dist_seeds DIR     (DIR must exist; existing seed files are replaced)
 *
 * Each message holds a page read from a file (offset map, metadata, path, a dated dateline, a
 * quotation), a plain text signed directly (no path, map or metadata), and that text made lean
 * (nd_document_make_lean), so that every field is met both present and NULL. The texts are short,
 * so the seeds stay a few KB.
 */
#include "fuzz_dist_params.h"
#include <neardup/dist.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char page_html[] =
  "<!DOCTYPE html><html><head><title>Ferry &amp; harbour</title></head><body><article>"
  "<h1>Ferry returns</h1><p>LOWPORT, May 4 (Coast Wire) - The ferry to the island sailed again on Monday after "
  "three days in the harbour, and the first crossing carried forty cars and a load of timber.</p>"
  "<p>\"We waited for the wind to drop before we took the first boat across the strait,\" the captain said.</p>"
  "<p>Share this</p></article></body></html>\n";

static const char plain_text[] =
  "The council met in the old school hall to talk about the bridge. Repairs will start in June and the road "
  "will close at night while the crews replace the railings and the lamps.";

static void
die(const char *what, const char *detail)
{
  fprintf(stderr, "make_dist_seeds: %s: %s\n", what, detail);
  exit(1);
}

int
main(int argc, char **argv)
{
  if (argc != 2)
    die("usage", "make_dist_seeds DIR");
  GError *error = NULL;
  g_autofree char *page_path = g_build_filename(argv[1], ".page.html", NULL);
  if (!g_file_set_contents(page_path, page_html, -1, &error))
    die(page_path, error->message);
  for (guint set = 0; set < FUZZ_DIST_PARAM_SETS; set++) {
    NdSignParams p;
    fuzz_dist_params(set, &p);
    if (!nd_sign_params_validate(&p, &error))
      die("parameters", error->message);
    NdDocument *page = nd_read_document(page_path, &p, 0, NULL, NULL, &error);
    if (page == NULL)
      die(page_path, error->message);
    NdSigner *signer = nd_signer_new(&p);
    NdDocument *plain = nd_signer_sign(signer, "council-1", plain_text, strlen(plain_text), &error);
    NdDocument *lean = plain ? nd_signer_sign(signer, "council-2", plain_text, strlen(plain_text), &error) : NULL;
    if (lean == NULL)
      die("signing", error->message);
    nd_document_make_lean(lean, &p);
    GByteArray *buf = g_byte_array_new();
    guint8 selector = (guint8)set;
    g_byte_array_append(buf, &selector, 1);
    nd_dist_encode_document(buf, &p, 3, "site/ferry.html", page);
    nd_dist_encode_document(buf, &p, 64, "feed.jsonl:2", plain);
    nd_dist_encode_document(buf, &p, 65, "feed.jsonl:3", lean);
    char name[32];
    g_snprintf(name, sizeof name, "params_%u", set);
    g_autofree char *out = g_build_filename(argv[1], name, NULL);
    if (!g_file_set_contents(out, (const char *)buf->data, buf->len, &error))
      die(out, error->message);
    printf("%s: %u bytes\n", out, buf->len);
    g_byte_array_unref(buf);
    nd_document_free(page);
    nd_document_free(plain);
    nd_document_free(lean);
    nd_signer_free(signer);
  }
  g_unlink(page_path);
  return 0;
}

/* mpi_fields.c — what each field of a signed article weighs, for the MPI cost model (docs/mpi.md):
 * the bytes per article of the gather the MPI engine does (the whole encoded document, and the lean
 * one it sends when the run will be lean), and of what a distributed candidate search would exchange
 * instead (band keys, anchors, words, lines and the verification samples).
 *
 *   mpi_fields CORPUS...   (files, directories or JSON Lines, as `neardup scan` reads them)
 *
 * Signed as `neardup scan` signs at its defaults: words:3 shingles, 128 permutations, sets, words and
 * the LSH band keys of the default threshold.
 */
#include <neardup/neardup.h>
#include <neardup/dist.h>
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: mpi_fields CORPUS...\n");
    return 2;
  }
  NdSignParams params;
  nd_sign_params_init(&params);
  NdLshParams lsh;
  g_autoptr(GError) error = NULL;
  if (!nd_lsh_params_for(ND_DEFAULT_THRESHOLD, params.num_perm, ND_LSH_FN_WEIGHT, &lsh, &error)) {
    fprintf(stderr, "mpi_fields: %s\n", error->message);
    return 1;
  }
  params.lsh_bands = lsh.bands;
  params.lsh_rows = lsh.rows;
  g_autoptr(NdCollection) coll = nd_collection_new(&params);
  g_autoptr(NdLoader) loader = nd_loader_new(coll, 0, FALSE);
  for (int i = 1; i < argc; i++)
    nd_loader_add_path(loader, argv[i]);
  nd_loader_finish(loader);
  guint n = nd_collection_size(coll);
  if (n == 0) {
    fprintf(stderr, "mpi_fields: no article read\n");
    return 1;
  }
  double set = 0, anchors = 0, words = 0, lines = 0, line_anchors = 0, quoted = 0, samples16 = 0, text = 0;
  guint64 wire = 0, wire_lean = 0;
  g_autoptr(GByteArray) buf = g_byte_array_new(), lean = g_byte_array_new();
  for (guint i = 0; i < n; i++) {
    const NdDocument *d = nd_collection_get(coll, i);
    set += 4.0 * d->set_size;
    anchors += 4.0 * d->n_anchors;
    words += 4.0 * d->n_words;
    lines += 4.0 * d->n_lines;
    line_anchors += 8.0 * d->n_line_anchors;
    quoted += 4.0 * d->n_quoted_anchors;
    text += (double)d->bytes;
    guint sampled = 0; /* the lean collection's 1-in-2P samples (collection.h), P = 8 */
    for (guint k = 0; d->set != NULL && k < d->set_size; k++)
      sampled += d->set[k] % (2 * ND_DEFAULT_FINGERPRINT_SAMPLING) == 0;
    samples16 += 4.0 * sampled;
    g_byte_array_set_size(buf, 0);
    nd_dist_encode_document(buf, &params, i, d->id, d);
    wire += buf->len;
    /* What a rank sends when the run will be lean (dist.h): the same document, made lean. */
    gsize pos = 0;
    guint64 item;
    g_autofree char *name = NULL;
    g_autoptr(NdDocument) copy = nd_dist_decode_document(&params, buf->data, buf->len, &pos, &item, &name, &error);
    if (copy == NULL) {
      fprintf(stderr, "mpi_fields: %s\n", error->message);
      return 1;
    }
    nd_document_make_lean(copy, &params);
    g_byte_array_set_size(lean, 0);
    nd_dist_encode_document(lean, &params, i, d->id, copy);
    wire_lean += lean->len;
  }
  printf("%u articles, %.0f bytes of text per article; LSH b=%u r=%u\n", n, text / n, lsh.bands, lsh.rows);
  printf("bytes per article:\n");
  printf("  encoded document (the gather)        %8.0f\n", (double)wire / n);
  printf("  encoded lean document (lean sends)   %8.0f\n", (double)wire_lean / n);
  printf("  shingle set                          %8.0f\n", set / n);
  printf("  signature                            %8u\n", 4 * params.num_perm);
  printf("  band keys                            %8u\n", 4 * lsh.bands);
  printf("  passage anchors                      %8.0f\n", anchors / n);
  printf("  quoted anchors                       %8.0f\n", quoted / n);
  printf("  words (vocabulary)                   %8.0f\n", words / n);
  printf("  short lines (boilerplate)            %8.0f\n", lines / n);
  printf("  line anchors                         %8.0f\n", line_anchors / n);
  printf("  1-in-16 shingle samples (lean)       %8.0f\n", samples16 / n);
  return 0;
}

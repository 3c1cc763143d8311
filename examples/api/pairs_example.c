/* pairs_example.c — a program built against an installed libneardup (pkg-config or CMake): signs three
 * short articles, finds the near-duplicate pairs, and prints them with the library's version.
 * Exits 0 when the two reprints pair and the unrelated article stays alone. */
#include <neardup/neardup.h>
#include <stdio.h>
#include <string.h>

int
main(void)
{
  static const char *const ids[] = { "wire", "reprint", "other" };
  static const char *const texts[] = {
    "The harbour authority said on Tuesday that the new tidal barrier would be finished by spring, "
    "after years of delay and rising costs that angered residents along the river.",
    "The harbour authority said on Tuesday that the new tidal barrier would be finished by spring, "
    "after years of delay and rising costs that angered residents along the river. Updated at noon.",
    "A local bakery won a regional prize for its rye bread, the third award in as many years, "
    "and plans to open a second shop near the station next summer.",
  };
  NdSignParams params;
  nd_sign_params_init(&params);
  g_autoptr(NdCollection) coll = nd_collection_new(&params);
  g_autoptr(NdSigner) signer = nd_signer_new(&params);
  for (gsize i = 0; i < G_N_ELEMENTS(ids); i++) {
    g_autoptr(GError) error = NULL;
    NdDocument *doc = nd_signer_sign(signer, ids[i], texts[i], strlen(texts[i]), &error);
    if (doc == NULL || !nd_collection_add(coll, doc, &error)) {
      fprintf(stderr, "%s: %s\n", ids[i], error->message);
      return 1;
    }
  }
  NdFindOptions options;
  nd_find_options_init(&options);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) pairs = nd_find_pairs(coll, &options, NULL, &error);
  if (pairs == NULL) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  printf("libneardup %s (headers %s)\n", nd_version(), NEARDUP_VERSION_STRING);
  for (guint i = 0; i < pairs->len; i++) {
    const NdPair *p = &g_array_index(pairs, NdPair, i);
    printf("%s ~ %s: jaccard %.3f\n", ids[p->a], ids[p->b], p->jaccard);
  }
  gboolean ok = pairs->len == 1 && g_array_index(pairs, NdPair, 0).a == 0 && g_array_index(pairs, NdPair, 0).b == 1;
  return ok ? 0 : 1;
}

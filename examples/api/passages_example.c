/* passages_example.c — the example of docs/api.md: the passages two texts share, with byte offsets. */
#include <neardup/neardup.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  const char *a = argc > 2 ? argv[1] : "Officials said the new tidal barrier across the river mouth will be "
                                       "finished by spring after years of delay.";
  const char *b = argc > 2 ? argv[2] : "Residents were told on Monday that the new tidal barrier across the river "
                                       "mouth will be finished by spring, the council said.";
  g_autoptr(GError) error = NULL;                    /* every fallible call: a GError in ND_ERROR */
  g_autoptr(NdDiff) d = nd_diff_texts(a, strlen(a), b, strlen(b), ND_TOKENS_WORDS, ND_TEXT_DEFAULT,
                                      NULL /* default options */, &error);
  if (d == NULL) {                                   /* NULL result <=> error set; the caller owns both */
    fprintf(stderr, "neardup: %s (code %d)\n", error->message, error->code);
    return 1;
  }
  for (guint i = 0; i < d->passages->len; i++) {    /* d owns its passages; freed with it */
    const NdPassage *p = &g_array_index(d->passages, NdPassage, i);
    printf("A[%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT ") = B[%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "): %.*s\n",
           p->a_start, p->a_stop, p->b_start, p->b_stop, (int)(p->a_stop - p->a_start), a + p->a_start);
  }
  return d->passages->len == 1 ? 0 : 2;              /* the one shared passage */
}

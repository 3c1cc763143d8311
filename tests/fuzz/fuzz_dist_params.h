/* fuzz_dist_params.h — the signing parameters fuzz_dist decodes with, chosen by an input's first
 * byte; shared with make_dist_seeds.c, which writes seeds encoded with the same parameters. The
 * decoder only uses num_perm and lsh_bands (the lengths of a signature and of the band keys); the
 * rest matters to the seeds, which sign real texts with them. */
#ifndef NEARDUP_FUZZ_DIST_PARAMS_H
#define NEARDUP_FUZZ_DIST_PARAMS_H

#include <neardup/neardup.h>

#define FUZZ_DIST_PARAM_SETS 4

/* Fills `p` with parameter set `selector % FUZZ_DIST_PARAM_SETS`: 0 the CLI's defaults with LSH band
 * keys and texts kept (as --passages sends), 1 the defaults, 2 and 3 the shortest signatures (small records
 * for the fuzzer to mutate), 3 without sets or words (a lean-looking run). */
static inline void
fuzz_dist_params(unsigned selector, NdSignParams *p)
{
  nd_sign_params_init(p);
  switch (selector % FUZZ_DIST_PARAM_SETS) {
  case 0:
    p->keep_text = TRUE;
    p->lsh_bands = 16;
    p->lsh_rows = 8;
    break;
  case 1:
    break;
  case 2:
    p->num_perm = 8;
    p->lsh_bands = 4;
    p->lsh_rows = 2;
    p->keep_text = TRUE;
    break;
  default:
    p->num_perm = 8;
    p->fingerprint_sampling = 2;
    p->keep_sets = FALSE;
    p->keep_words = FALSE;
    break;
  }
}

#endif

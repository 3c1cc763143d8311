/* cmd_params.c — `neardup params`: the LSH banding chosen for a threshold, and what it costs. */
#include "rows.h"
#include <math.h>

/* The fields of `params --format json|csv`: one row. */
static const FieldId params_fields[] = { F_THRESHOLD, F_NUM_PERM, F_BANDS, F_ROWS, F_FALSE_POSITIVE,
                                         F_FALSE_NEGATIVE };

int
cmd_params(int argc, char **argv)
{
  double threshold = ND_DEFAULT_THRESHOLD;
  gint num_perm = ND_DEFAULT_NUM_PERM;
  char *format_name = NULL;
  GOptionEntry entries[] = {
    { "threshold", 't', 0, G_OPTION_ARG_DOUBLE, &threshold, "Jaccard threshold (default: 0.5)", "T" },
    { "num-perm", 'n', 0, G_OPTION_ARG_INT, &num_perm, "MinHash signature length (default: 128)", "N" },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format_name, "Output format: text, json or csv (default: text)", "FORMAT" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- show the LSH bands and rows for a threshold");
  g_autofree char *description = fields_help(
    "Signatures of N values are cut into b bands of r rows; two articles with Jaccard s become a\n"
    "candidate with probability P(s) = 1 - (1 - s^r)^b. For threshold t, b and r minimise\n"
    "FP + 3 * FN, where FP is the area under P(s) below t (wasted verifications) and FN the area\n"
    "above P(s) over t (missed pairs, weighted 3x because every candidate is verified anyway).\n"
    "JSON Lines (--format json): one object; CSV (--format csv): a header and one row.\n",
    params_fields, G_N_ELEMENTS(params_fields), NULL);
  g_option_context_set_description(ctx, description);
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  int code = EXIT_OK;
  OutputFormat format;
  NdLshParams p;
  if (!cli_parse(ctx, &argc, &argv, &error)) {
    cli_error("params", "%s (see --help)", error->message);
    code = EXIT_USAGE;
  } else if (argc > 1) {
    cli_error("params", "unexpected argument '%s' (see --help)", argv[1]);
    code = EXIT_USAGE;
  } else if (!parse_format(format_name, &format)) {
    cli_error("params", "unknown format '%s' (expected text, json or csv)", format_name);
    code = EXIT_USAGE;
  } else if (!nd_lsh_params_for(threshold, (guint)MAX(num_perm, 0), ND_LSH_FN_WEIGHT, &p, &error)) {
    cli_error("params", "%s", error->message);
    code = EXIT_USAGE;
  } else if (format != FORMAT_TEXT) {
    Rows rows;
    rows_init(&rows, stdout, format, params_fields, G_N_ELEMENTS(params_fields));
    rows_header(&rows);
    rows_begin(&rows);
    rows_number(&rows, F_THRESHOLD, threshold);
    rows_integer(&rows, F_NUM_PERM, (guint64)num_perm);
    rows_integer(&rows, F_BANDS, p.bands);
    rows_integer(&rows, F_ROWS, p.rows);
    rows_number(&rows, F_FALSE_POSITIVE, p.false_positive);
    rows_number(&rows, F_FALSE_NEGATIVE, p.false_negative);
    rows_end(&rows);
  } else {
    printf("threshold %.3f, %d permutations: %u bands x %u rows (%u values used)\n", threshold, num_perm,
           p.bands, p.rows, p.bands * p.rows);
    printf("false-positive area %.6f (below the threshold), false-negative area %.6f (above it)\n",
           p.false_positive, p.false_negative);
    printf("S-curve 1-(1-s^%u)^%u: s at which P = 0.5 is %.3f\n", p.rows, p.bands,
           pow(1.0 - pow(0.5, 1.0 / p.bands), 1.0 / p.rows));
    printf("\n  jaccard  P(candidate)\n");
    for (int i = 1; i <= 10; i++)
      printf("  %7.2f  %12.4f\n", i / 10.0, nd_lsh_probability(i / 10.0, p.bands, p.rows));
  }
  g_free(format_name);
  return code;
}

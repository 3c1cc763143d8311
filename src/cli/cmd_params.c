/* cmd_params.c — `neardup params`: the LSH banding chosen for a threshold, and what it costs. */
#include "cli.h"
#include <math.h>

int
cmd_params(int argc, char **argv)
{
  double threshold = ND_DEFAULT_THRESHOLD;
  gint num_perm = ND_DEFAULT_NUM_PERM;
  char *format_name = NULL;
  GOptionEntry entries[] = {
    { "threshold", 't', 0, G_OPTION_ARG_DOUBLE, &threshold, "Jaccard threshold (default: 0.5)", "T" },
    { "num-perm", 'n', 0, G_OPTION_ARG_INT, &num_perm, "MinHash signature length (default: 128)", "N" },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format_name, "Output format: text or json (default: text)", "FORMAT" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- show the LSH bands and rows for a threshold");
  g_option_context_set_description(ctx,
    "Signatures of N values are cut into b bands of r rows; two articles with Jaccard s become a\n"
    "candidate with probability P(s) = 1 - (1 - s^r)^b. For threshold t, b and r minimise\n"
    "FP + 3 * FN, where FP is the area under P(s) below t (wasted verifications) and FN the area\n"
    "above P(s) over t (missed pairs, weighted 3x because every candidate is verified anyway).\n"
    "\n" CLI_EXIT_CODES_HELP);
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
  } else if (!parse_format(format_name, &format) || format == FORMAT_CSV) {
    cli_error("params", "unknown format '%s' (expected text or json)", format_name);
    code = EXIT_USAGE;
  } else if (!nd_lsh_params_for(threshold, (guint)MAX(num_perm, 0), ND_LSH_FN_WEIGHT, &p, &error)) {
    cli_error("params", "%s", error->message);
    code = EXIT_USAGE;
  } else if (format == FORMAT_JSON) {
    printf("{\"threshold\":%.4f,\"num_perm\":%d,\"bands\":%u,\"rows\":%u,\"false_positive\":%.6f,"
           "\"false_negative\":%.6f}\n", threshold, num_perm, p.bands, p.rows, p.false_positive, p.false_negative);
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

/* options.c — command-line habits GOption lacks: `-t0.3` (a short option glued to its value),
 * "did you mean" for a mistyped option or command.
 *
 * Design: every command parses through cli_parse, which learns the command's options from the
 * context's own help text (the one list GOption keeps), so no command repeats its options here.
 */
#include "cli.h"
#include <string.h>

/* Edit distance of a and b counting a swap of two neighbours as one edit ("scna" is one edit from
 * "scan"): the optimal string alignment distance. Both are short. */
static guint
edit_distance(const char *a, const char *b)
{
  gsize la = strlen(a), lb = strlen(b), w = lb + 1;
  g_autofree guint *d = g_new(guint, (la + 1) * w);
  for (gsize i = 0; i <= la; i++)
    for (gsize j = 0; j <= lb; j++) {
      if (i == 0 || j == 0) {
        d[i * w + j] = (guint)(i + j);
        continue;
      }
      guint cost = a[i - 1] == b[j - 1] ? 0 : 1;
      guint v = MIN(MIN(d[(i - 1) * w + j] + 1, d[i * w + j - 1] + 1), d[(i - 1) * w + j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        v = MIN(v, d[(i - 2) * w + j - 2] + 1);
      d[i * w + j] = v;
    }
  return d[la * w + lb];
}

const char *
cli_suggest(const char *word, const char *const *candidates)
{
  const char *best = NULL;
  guint best_d = G_MAXUINT;
  for (const char *const *c = candidates; *c != NULL; c++) {
    guint d = edit_distance(word, *c);
    if (d < best_d || (d == best_d && best != NULL && strcmp(*c, best) < 0)) {
      best = *c;
      best_d = d;
    }
  }
  /* Close enough to be a typo: a third of the word, at least one edit, at most three. */
  guint allowed = CLAMP((guint)strlen(word) / 3, 1, 3);
  return best != NULL && best_d <= allowed ? best : NULL;
}

typedef struct {
  GPtrArray *longs;      /* "threshold" ... */
  char short_with_arg[128]; /* short option letters that take a value */
} OptionList;

/* Reads the options of `ctx` from its help text: lines such as "  -t, --threshold=T  ..." or
 * "  --strict  ...". */
static void
option_list(GOptionContext *ctx, OptionList *list)
{
  list->longs = g_ptr_array_new_with_free_func(g_free);
  memset(list->short_with_arg, 0, sizeof list->short_with_arg);
  g_autofree char *help = g_option_context_get_help(ctx, FALSE, NULL);
  g_auto(GStrv) lines = g_strsplit(help, "\n", -1);
  for (char **l = lines; *l != NULL; l++) {
    const char *p = *l;
    while (*p == ' ')
      p++;
    char short_name = 0;
    if (p[0] == '-' && p[1] != '-' && p[1] != '\0' && p[2] == ',') {
      short_name = p[1];
      p += 3;
      while (*p == ' ')
        p++;
    }
    if (strncmp(p, "--", 2) != 0)
      continue;
    p += 2;
    gsize n = strcspn(p, "= ");
    g_ptr_array_add(list->longs, g_strndup(p, n));
    if (short_name != 0 && p[n] == '=' && (guchar)short_name < sizeof list->short_with_arg)
      list->short_with_arg[(guchar)short_name] = 1;
  }
  g_ptr_array_add(list->longs, NULL);
}

gboolean
cli_parse(GOptionContext *ctx, int *argc, char ***argv, GError **error)
{
  OptionList list;
  option_list(ctx, &list);
  /* "-t0.3" -> "-t" "0.3", for a short option that takes a value (GOption would take the next
   * argument as its value instead). The split array lives as long as the process: GOption keeps
   * pointers into it. */
  static GPtrArray *kept;
  if (kept == NULL)
    kept = g_ptr_array_new();
  GPtrArray *args = g_ptr_array_new();
  gboolean options_done = FALSE;
  for (int i = 0; i < *argc; i++) {
    char *a = (*argv)[i];
    if (i > 0 && !options_done && strcmp(a, "--") == 0)
      options_done = TRUE;
    if (i > 0 && !options_done && a[0] == '-' && a[1] != '-' && a[1] != '\0' && a[2] != '\0' &&
        (guchar)a[1] < sizeof list.short_with_arg && list.short_with_arg[(guchar)a[1]]) {
      g_ptr_array_add(args, g_strndup(a, 2));
      g_ptr_array_add(args, g_strdup(a + 2));
      g_ptr_array_add(kept, args->pdata[args->len - 2]);
      g_ptr_array_add(kept, args->pdata[args->len - 1]);
      continue;
    }
    g_ptr_array_add(args, a);
    /* The value of an option that takes one is never split, even if it starts with '-'. */
    if (!options_done && a[0] == '-' && a[1] != '-' && a[1] != '\0' && a[2] == '\0' &&
        (guchar)a[1] < sizeof list.short_with_arg && list.short_with_arg[(guchar)a[1]] && i + 1 < *argc)
      g_ptr_array_add(args, (*argv)[++i]);
  }
  g_ptr_array_add(args, NULL);
  *argc = (int)args->len - 1;
  *argv = (char **)g_ptr_array_free(args, FALSE);
  g_ptr_array_add(kept, *argv);
  gboolean ok = g_option_context_parse(ctx, argc, argv, error);
  if (!ok && g_error_matches(*error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION)) {
    /* "Unknown option --thresold" -> "... (did you mean --threshold?)" */
    const char *dashes = strstr((*error)->message, "--");
    if (dashes != NULL) {
      g_autofree char *word = g_strndup(dashes + 2, strcspn(dashes + 2, "= "));
      const char *near = cli_suggest(word, (const char *const *)list.longs->pdata);
      if (near != NULL) {
        g_autofree char *msg = g_strdup_printf("%s (did you mean --%s?)", (*error)->message, near);
        g_free((*error)->message);
        (*error)->message = g_steal_pointer(&msg);
      }
    }
  }
  g_ptr_array_unref(list.longs);
  return ok;
}

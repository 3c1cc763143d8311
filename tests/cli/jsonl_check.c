/* jsonl_check.c — test helper: checks that every line of a JSON Lines file parses as a JSON object
 * holding all the named fields. Prints the first problem and exits 1; exits 0 when all lines pass.
 *
 *   jsonl_check FILE FIELD...
 */
#include <json-glib/json-glib.h>
#include <stdio.h>

int
main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: jsonl_check FILE FIELD...\n");
    return 2;
  }
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  if (!g_file_get_contents(argv[1], &data, NULL, &error)) {
    fprintf(stderr, "jsonl_check: %s\n", error->message);
    return 1;
  }
  g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
  guint n = 0;
  for (guint i = 0; lines[i]; i++) {
    if (lines[i][0] == '\0')
      continue;
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, lines[i], -1, &error)) {
      fprintf(stderr, "jsonl_check: line %u: %s\n", i + 1, error->message);
      return 1;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!JSON_NODE_HOLDS_OBJECT(root)) {
      fprintf(stderr, "jsonl_check: line %u: not an object\n", i + 1);
      return 1;
    }
    for (int f = 2; f < argc; f++)
      if (!json_object_has_member(json_node_get_object(root), argv[f])) {
        fprintf(stderr, "jsonl_check: line %u: no field \"%s\"\n", i + 1, argv[f]);
        return 1;
      }
    n++;
  }
  printf("%u valid lines\n", n);
  return 0;
}

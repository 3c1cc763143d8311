/* cmd_extract.c — `neardup extract PATH...`: the text and metadata neardup reads from each input,
 * exactly as the other commands compare it (the same loader, the same checks). */
#include "render.h"
#include <errno.h>
#include <json-glib/json-glib.h>
#include <string.h>

static const char extract_description[] =
  "Prints what neardup reads from each input, the way scan, pairs, dedup and index add read it:\n"
  "the article text of web pages (headline, a blank line, the body's paragraphs separated by blank\n"
  "lines), the records of WARC and JSON Lines files, plain text as it is; compressed files (gzip,\n"
  "zstd) are decompressed. Inputs are recognised by their content, not their names.\n"
  "\n"
  "Text output: for each article a line \"==> ID <==\", its metadata as \"name: value\" lines, a blank\n"
  "  line, the text, and a blank line.\n"
  "JSON Lines (--format json): one object per article: id, text, then the metadata fields (web pages:\n"
  "  title, url, date, site, author; WARC records also warc_target_uri, warc_date, warc_record_id,\n"
  "  warc_offset; JSON Lines records their other fields). The output reads back with --jsonl.\n"
  "  Metadata fields named id or text are written as metadata_id and metadata_text.\n"
  "CSV (--format csv): id, text and metadata (its JSON text), a row per article.\n"
  "Inputs skipped (and why) and inputs passed over are reported on stderr as by the other commands.\n"
  "\n" CLI_EXIT_CODES_HELP;

/* The fields of extract's JSON Lines and CSV. */
static const FieldId extract_fields[] = { F_ID, F_TEXT, F_METADATA };

typedef struct {
  FILE *fp;
  OutputFormat format;
  JsonParser *parser;
  guint64 written;
  Rows rows; /* JSON and CSV */
} Extract;

/* The metadata object of `doc`, parsed (owned by e->parser), or NULL. */
static JsonObject *
metadata(Extract *e, const NdDocument *doc)
{
  if (doc->meta == NULL || !json_parser_load_from_data(e->parser, doc->meta, -1, NULL))
    return NULL;
  JsonNode *root = json_parser_get_root(e->parser);
  return root != NULL && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
}

/* The metadata `meta` (its member names `members`, in order) as a JSON object's text whose members
 * can stand beside id and text in a record: id and text renamed metadata_id and metadata_text;
 * strings quoted as every writer quotes them. NULL meta: NULL. Caller frees. */
static char *
record_members(JsonObject *meta, GList *members)
{
  if (meta == NULL)
    return NULL;
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&buf, &len);
  if (fp == NULL)
    g_error("open_memstream: %s", g_strerror(errno));
  fputc('{', fp);
  for (GList *m = members; m != NULL; m = m->next) {
    const char *name = m->data;
    g_autofree char *renamed = strcmp(name, "id") == 0 || strcmp(name, "text") == 0
                                 ? g_strconcat("metadata_", name, NULL) : g_strdup(name);
    if (m != members)
      fputc(',', fp);
    json_write_string(fp, renamed);
    fputc(':', fp);
    JsonNode *v = json_object_get_member(meta, name);
    if (JSON_NODE_HOLDS_VALUE(v) && json_node_get_value_type(v) == G_TYPE_STRING) {
      json_write_string(fp, json_node_get_string(v));
    } else {
      /* numbers, booleans, null, arrays, objects: as the library wrote them (strict JSON) */
      g_autoptr(JsonGenerator) gen = json_generator_new();
      json_generator_set_root(gen, v);
      g_autofree char *s = json_generator_to_data(gen, NULL);
      fputs(s, fp);
    }
  }
  fputc('}', fp);
  fclose(fp);
  return buf;
}

static gboolean
write_document(NdDocument *doc, gpointer data, GError **error)
{
  (void)error;
  Extract *e = data;
  JsonObject *meta = metadata(e, doc);
  g_autoptr(GList) members = meta ? json_object_get_members(meta) : NULL;
  if (e->format != FORMAT_TEXT) {
    g_autofree char *text = g_strndup(doc->text, doc->bytes);
    g_autofree char *members_object = e->format == FORMAT_JSON ? record_members(meta, members) : NULL;
    rows_begin(&e->rows);
    rows_string(&e->rows, F_ID, doc->id);
    rows_string(&e->rows, F_TEXT, text);
    if (e->format == FORMAT_JSON)
      rows_json_members(&e->rows, F_METADATA, members_object);
    else
      rows_json(&e->rows, F_METADATA, doc->meta);
    rows_end(&e->rows);
  } else {
    fputs("==> ", e->fp);
    fputs(doc->id, e->fp);
    fputs(" <==\n", e->fp);
    for (GList *m = members; m != NULL; m = m->next) {
      const char *name = m->data;
      JsonNode *v = json_object_get_member(meta, name);
      fprintf(e->fp, "%s: ", name);
      if (JSON_NODE_HOLDS_VALUE(v) && json_node_get_value_type(v) == G_TYPE_STRING) {
        fputs(json_node_get_string(v), e->fp);
      } else {
        g_autoptr(JsonGenerator) gen = json_generator_new();
        json_generator_set_root(gen, v);
        g_autofree char *s = json_generator_to_data(gen, NULL);
        fputs(s, e->fp);
      }
      fputc('\n', e->fp);
    }
    fputc('\n', e->fp);
    fwrite(doc->text, 1, doc->bytes, e->fp);
    fputs(doc->bytes > 0 && doc->text[doc->bytes - 1] == '\n' ? "\n" : "\n\n", e->fp);
  }
  e->written++;
  nd_document_free(doc); /* the document is ours (NdDocumentFunc) */
  return TRUE;
}

int
cmd_extract(int argc, char **argv)
{
  FindCli cli;
  find_cli_init(&cli);
  g_autoptr(GOptionContext) ctx = g_option_context_new("PATH... - print the text and metadata read from each input");
  g_option_context_set_description(ctx, extract_description);
  find_cli_add_options(&cli, ctx, OPT_INPUTS | OPT_OUTPUT | OPT_SIGNING);
  g_autoptr(GError) error = NULL;
  int code = EXIT_OK;
  if (!cli_parse(ctx, &argc, &argv, &error)) {
    cli_error("extract", "%s (see --help)", error->message);
    code = EXIT_USAGE;
    goto out;
  }
  if (!find_cli_finish_options(&cli, "extract")) {
    code = EXIT_USAGE;
    goto out;
  }
  cli.sign.keep_text = TRUE;
  Output out;
  if (!output_open(&out, cli.output)) {
    code = EXIT_FATAL;
    goto out;
  }
  {
    g_autoptr(NdCollection) coll = nd_collection_new(&cli.sign);
    g_autoptr(JsonParser) parser = json_parser_new();
    Extract e = { out.fp, cli.format, parser, 0, { 0 } };
    rows_init(&e.rows, out.fp, cli.format, extract_fields, G_N_ELEMENTS(extract_fields));
    rows_header(&e.rows); /* CSV: the header line; text and JSON: nothing */
    guint skipped = find_cli_load_into(&cli, coll, write_document, &e);
    if (cli_interrupted()) {
      output_abort(&out);
      code = cli_interrupt_exit();
    } else if (output_alias_found()) {
      output_abort(&out);
      code = EXIT_USAGE;
    } else if (cli.strict && skipped > 0) {
      output_abort(&out);
      fprintf(stderr, "neardup: stopped at the first unreadable input (--strict)\n");
      code = EXIT_FATAL;
    } else if (e.written == 0) {
      output_abort(&out);
      fprintf(stderr, "neardup: no article could be read\n");
      code = EXIT_FATAL;
    } else if (!output_commit(&out)) {
      code = cli_failure_exit();
    } else {
      code = skipped > 0 ? EXIT_INPUT_ERRORS : EXIT_OK;
    }
  }
out:
  find_cli_clear(&cli);
  return code;
}

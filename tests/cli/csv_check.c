/* csv_check.c — a strict RFC 4180 reader for the CLI tests: checks that a CSV file parses (quoted
 * fields with "" for a quote; unquoted fields without quotes, CR or LF), that every record has as
 * many fields as the header, and that the header has the columns named.
 *
 *   csv_check FILE [COLUMN...]            prints the number of records after the header
 *   csv_check FILE --get ROW COLUMN       prints the decoded value of COLUMN in record ROW (1-based)
 *
 * Exits 1 (with the reason on stderr) when the file is not such a CSV. Records end in LF or CRLF.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses one record at *p (advanced past it) into `fields`; FALSE with a message on a syntax error. */
static gboolean
parse_record(const char **p, const char *end, GPtrArray *fields, GString *why)
{
  g_ptr_array_set_size(fields, 0);
  for (;;) {
    GString *f = g_string_new(NULL);
    if (*p < end && **p == '"') {
      (*p)++;
      for (;;) {
        if (*p >= end) {
          g_string_assign(why, "a quoted field is not closed");
          g_string_free(f, TRUE);
          return FALSE;
        }
        if (**p == '"') {
          if (*p + 1 < end && (*p)[1] == '"') {
            g_string_append_c(f, '"');
            *p += 2;
            continue;
          }
          (*p)++;
          break;
        }
        g_string_append_c(f, **p);
        (*p)++;
      }
      if (*p < end && **p != ',' && **p != '\n' && **p != '\r') {
        g_string_printf(why, "a character after a closing quote: '%c'", **p);
        g_string_free(f, TRUE);
        return FALSE;
      }
    } else {
      while (*p < end && **p != ',' && **p != '\n' && **p != '\r') {
        if (**p == '"') {
          g_string_assign(why, "a quote inside an unquoted field");
          g_string_free(f, TRUE);
          return FALSE;
        }
        g_string_append_c(f, **p);
        (*p)++;
      }
    }
    g_ptr_array_add(fields, g_string_free(f, FALSE));
    if (*p >= end) {
      g_string_assign(why, "the last record does not end with a newline");
      return FALSE;
    }
    if (**p == ',') {
      (*p)++;
      continue;
    }
    if (**p == '\r') {
      if (*p + 1 >= end || (*p)[1] != '\n') {
        g_string_assign(why, "a CR outside quotes that does not end a line");
        return FALSE;
      }
      (*p)++;
    }
    (*p)++; /* the LF */
    return TRUE;
  }
}

int
main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: csv_check FILE [COLUMN...] | FILE --get ROW COLUMN\n");
    return 2;
  }
  gchar *data = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  if (!g_file_get_contents(argv[1], &data, &len, &error)) {
    fprintf(stderr, "csv_check: %s\n", error->message);
    return 1;
  }
  const char *p = data, *end = data + len;
  g_autoptr(GPtrArray) header = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GString) why = g_string_new(NULL);
  if (len == 0 || !parse_record(&p, end, header, why)) {
    fprintf(stderr, "csv_check: %s: header: %s\n", argv[1], len == 0 ? "empty file" : why->str);
    return 1;
  }
  gboolean get = argc == 5 && strcmp(argv[2], "--get") == 0;
  long want_row = get ? strtol(argv[3], NULL, 10) : 0;
  int want_col = -1;
  for (int a = get ? 4 : 2; a < argc; a++) {
    int found = -1;
    for (guint i = 0; i < header->len; i++)
      if (strcmp(g_ptr_array_index(header, i), argv[a]) == 0)
        found = (int)i;
    if (found < 0) {
      fprintf(stderr, "csv_check: %s: no column \"%s\" in the header\n", argv[1], argv[a]);
      return 1;
    }
    want_col = found;
  }
  long rows = 0;
  while (p < end) {
    if (!parse_record(&p, end, fields, why)) {
      fprintf(stderr, "csv_check: %s: record %ld: %s\n", argv[1], rows + 1, why->str);
      return 1;
    }
    rows++;
    if (fields->len != header->len) {
      fprintf(stderr, "csv_check: %s: record %ld has %u fields, the header %u\n", argv[1], rows, fields->len,
              header->len);
      return 1;
    }
    if (get && rows == want_row)
      fputs(g_ptr_array_index(fields, (guint)want_col), stdout);
  }
  if (get && want_row > rows) {
    fprintf(stderr, "csv_check: %s: no record %ld (%ld records)\n", argv[1], want_row, rows);
    return 1;
  }
  if (!get)
    printf("%ld\n", rows);
  g_free(data);
  return 0;
}

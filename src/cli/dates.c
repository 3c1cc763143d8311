/* dates.c — an article's publication date for the commands that keep or store one: its metadata
 * field (date.h reads it), or its file's modification time when asked; dates that cannot be read
 * are counted and reported once per batch, with the first one as an example. */
#include "cli.h"
#include <sys/stat.h>

gboolean
cli_document_date(const NdDocument *doc, const char *field, gboolean use_mtime, NdDate *out, char **text,
                  DateReport *report)
{
  *text = NULL;
  g_autoptr(GError) error = NULL;
  int found = nd_date_from_metadata(doc->meta, field, out, text, &error);
  if (found > 0)
    return TRUE;
  if (found < 0 && report != NULL) {
    if (report->bad++ == 0) {
      report->first_id = g_strdup(doc->id);
      report->first_message = g_strdup(error->message);
    }
  }
  struct stat st;
  if (use_mtime && doc->path != NULL && stat(doc->path, &st) == 0 && nd_date_from_unix(st.st_mtime, FALSE, out, NULL)) {
    out->has_zone = TRUE; /* a file time is UTC */
    return TRUE;
  }
  return FALSE;
}

void
date_report_print(DateReport *report)
{
  if (report->bad > 0)
    cli_message("%" G_GUINT64_FORMAT " article%s ha%s a date that cannot be read (the first: '%s': %s); taken as "
                "having none", report->bad, report->bad == 1 ? "" : "s", report->bad == 1 ? "s" : "ve",
                report->first_id, report->first_message);
  g_clear_pointer(&report->first_id, g_free);
  g_clear_pointer(&report->first_message, g_free);
  report->bad = 0;
}

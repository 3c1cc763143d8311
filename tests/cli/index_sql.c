/* index_sql.c — test helper: opens an SQLite file read-only (through the sqlite3 library, so no
 * sqlite3 shell is needed) and runs each SQL argument, printing the first column of every row, one
 * per line. `PRAGMA integrity_check` prints "ok" for a sound file. Exits 1 on any SQLite error.
 * With --write it opens the file for writing through neardup's checksumming VFS, as a forger who
 * knows the format would: its pages stay valid, so what the index's row and schema checks see is
 * tested.
 *
 *   index_sql [--write] DB SQL...
 */
#include <neardup/neardup.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
  int write = argc > 1 && strcmp(argv[1], "--write") == 0;
  argv += write;
  argc -= write;
  if (argc < 3) {
    fprintf(stderr, "usage: index_sql [--write] DB SQL...\n");
    return 2;
  }
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(argv[1], &db, write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY,
                      write ? nd_index_vfs_name() : NULL) != SQLITE_OK) {
    fprintf(stderr, "index_sql: %s: %s\n", argv[1], db ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_close(db);
    return 1;
  }
  sqlite3_busy_timeout(db, 5000);
  int status = 0;
  for (int i = 2; i < argc && status == 0; i++) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, argv[i], -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
      const unsigned char *v = sqlite3_column_text(st, 0);
      printf("%s\n", v ? (const char *)v : "NULL");
      rc = SQLITE_OK;
    }
    if (rc != SQLITE_DONE) {
      fprintf(stderr, "index_sql: %s: %s\n", argv[i], sqlite3_errmsg(db));
      status = 1;
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return status;
}

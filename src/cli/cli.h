/* cli.h — shared pieces of the neardup command-line tool (a client of libneardup).
 *
 * Each subcommand lives in its own cmd_*.c file and is listed in main.c's command table. This file
 * declares what they share: exit codes, the input and tuning options of scan/pairs, running the
 * loader with error reports and progress, atomic output files, and JSON/CSV quoting.
 */
#ifndef NEARDUP_CLI_H
#define NEARDUP_CLI_H

#include <neardup/neardup.h>
#include <stdio.h>

/* Exit codes, documented in every --help and the README. */
enum {
  EXIT_OK = 0,           /* success */
  EXIT_INPUT_ERRORS = 1, /* some inputs were skipped (each reported on stderr); results cover the rest */
  EXIT_USAGE = 2,        /* bad command line */
  EXIT_FATAL = 3         /* nothing usable was produced: no readable input, output not writable, --strict stop */
};

#define CLI_EXIT_CODES_HELP                                                                               \
  "Exit status:\n"                                                                                         \
  "  0  success\n"                                                                                         \
  "  1  some inputs were skipped (each is reported on stderr); the results cover the rest\n"              \
  "  2  usage error\n"                                                                                     \
  "  3  fatal: no article could be read, the output could not be written, or --strict stopped the run\n"  \
  "  130  interrupted (SIGINT; 143 for SIGTERM): no output file was written, an index add was rolled back\n"

/* Interruption. main() installs handlers for SIGINT and SIGTERM that only set a flag; the loader
 * polls it (nd_loader_set_cancel_flag), commands check cli_interrupted() between steps and in their
 * output loops, abandon their outputs and roll back index transactions. A second signal ends the
 * process at once (default action). */
void cli_signals_install(void);
/* The signal received (SIGINT, SIGTERM), or 0. */
int cli_interrupted(void);
/* Prints "neardup: interrupted" (once) and returns the exit code 128 + signal. */
int cli_interrupt_exit(void);
/* The exit code of a failed step: cli_interrupt_exit() when interrupted, otherwise EXIT_FATAL. */
int cli_failure_exit(void);

typedef enum { FORMAT_TEXT, FORMAT_JSON, FORMAT_CSV } OutputFormat;

/* Options shared by scan and pairs. */
typedef struct {
  char **paths;          /* positional arguments */
  char **files_from;
  char **jsonl;
  char *id_field, *text_field;
  char *format_name;
  char *output;
  double threshold, containment, score;
  gint num_perm;
  char *shingle;
  gint64 seed;
  gint threads;
  gint64 max_bytes;
  gint64 max_tokens;     /* --max-tokens; 0 = no limit */
  gint min_shared;
  char *verify_name;
  gboolean progress, strict, lossy, show_stats, passages;
  gint exact_limit;
  gboolean auto_verify; /* derived: --verify auto */

  /* derived */
  OutputFormat format;
  NdSignParams sign;
  NdFindOptions find;
} FindCli;

void find_cli_init(FindCli *cli);
void find_cli_clear(FindCli *cli);
/* Option groups a command can take. */
enum {
  OPT_INPUTS = 1 << 0,    /* PATH..., --files-from, --jsonl, fields, threads, limits, --strict, --progress */
  OPT_SIGNING = 1 << 1,   /* --num-perm, --shingle, --seed */
  OPT_MATCHING = 1 << 2,  /* --threshold, --containment, --min-shared */
  OPT_VERIFYING = 1 << 3, /* --verify, --stats */
  OPT_OUTPUT = 1 << 4,    /* --format, --output */
  OPT_PASSAGES = 1 << 5,  /* --passages */
  OPT_FIND = OPT_INPUTS | OPT_SIGNING | OPT_MATCHING | OPT_VERIFYING | OPT_OUTPUT | OPT_PASSAGES
};

/* Adds the option groups `groups` to `ctx`. */
void find_cli_add_options(FindCli *cli, GOptionContext *ctx, unsigned groups);
/* Validates and derives sign/find parameters; on failure prints the error and returns FALSE. */
gboolean find_cli_finish_options(FindCli *cli, const char *command);
/* The same, with the signing parameters fixed by an index (its shingles, N and seed). */
gboolean find_cli_finish_options_for(FindCli *cli, const char *command, const NdSignParams *fixed);

/* Loads all inputs into a new collection; stores the number of skipped inputs. Errors go to stderr
 * as "neardup: INPUT: message". Returns NULL (after printing why) on a fatal error. */
NdCollection *find_cli_load(FindCli *cli, guint *skipped);

/* Takes the first positional argument (the index file of `index add`, `query`) out of cli->paths
 * and returns it (caller frees); NULL when there is none. */
char *find_cli_take_first_path(FindCli *cli);

/* Loads all inputs with `coll`'s signing parameters, into `coll` or, when `func` is set, streaming
 * each document to it. Returns the number of inputs skipped (each reported on stderr). */
guint find_cli_load_into(FindCli *cli, NdCollection *coll, NdDocumentFunc func, gpointer data);

/* Runs the whole scan/pairs pipeline: load, find pairs. On success returns TRUE and fills *coll,
 * *pairs and *skipped; otherwise prints why and sets *exit_code. */
gboolean find_cli_run(FindCli *cli, NdCollection **coll, GArray **pairs, guint *skipped, int *exit_code);

/* An output file written atomically: data goes to a temporary file in the target's directory,
 * renamed over the target by output_commit(). Path NULL or "-" means standard output.
 *
 * The temporary file is unnamed (O_TMPFILE) where the file system allows it: a run killed even with
 * SIGKILL leaves nothing behind. It gets a name (DIR/.BASE.tmp-XXXXXX, hidden) only for the instant
 * between linking it and renaming it over the target. Elsewhere (or with NEARDUP_OUTPUT_TMPFILE=0 in
 * the environment) it is a named DIR/.BASE.tmp-XXXXXX file from the start, which a SIGKILL leaves
 * behind. A target that exists and is not a regular file (/dev/null, a FIFO, a terminal) is written
 * in place, as a shell redirection would; a symbolic link keeps pointing at the file it names, which
 * is replaced. */
typedef struct {
  FILE *fp;
  char *path;
  char *tmp_path; /* the named temporary file, or NULL while it is unnamed */
  gboolean unnamed;
  gboolean direct; /* the target is not a regular file (/dev/null, a FIFO): written in place */
} Output;

/* Opens the temporary file (so an unwritable output fails before any work). Prints the error and
 * returns FALSE on failure. */
gboolean output_open(Output *out, const char *path);
/* Flushes, fsyncs and renames; prints the error and returns FALSE on failure (the target is left
 * untouched and the temporary file removed). When the run was interrupted it abandons the output
 * instead and returns FALSE. */
gboolean output_commit(Output *out);
/* Abandons the output (removes the temporary file). Safe on an output already committed or
 * aborted. */
void output_abort(Output *out);
/* A new file at `dest` holding `len` bytes of `data`, written through an unnamed (or named) temporary
 * file and linked into place: never replaces an existing file (ND_ERROR_IO "already exists"), and
 * a killed run never leaves a truncated `dest`. */
gboolean write_new_file(const char *dest, const void *data, gsize len, GError **error);

/* Writes `s` as a JSON string literal (quoted, escaped; invalid UTF-8 replaced by U+FFFD). */
void json_write_string(FILE *fp, const char *s);
/* Writes `s` as one CSV field (quoted when it holds a comma, quote, CR or LF). */
void csv_write_field(FILE *fp, const char *s);

/* Parses --format's value; prints an error naming `allowed` otherwise. */
gboolean parse_format(const char *name, OutputFormat *format);

/* Prints "neardup COMMAND: message" to stderr. */
void cli_error(const char *command, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

int cmd_scan(int argc, char **argv);
int cmd_pairs(int argc, char **argv);
int cmd_params(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_dedup(int argc, char **argv);

#endif

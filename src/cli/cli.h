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
#include <sys/types.h>

/* Exit codes, documented in every --help and the README. */
enum {
  EXIT_OK = 0,           /* success */
  EXIT_INPUT_ERRORS = 1, /* some inputs were skipped (each reported on stderr); results cover the rest */
  EXIT_USAGE = 2,        /* bad command line */
  EXIT_FATAL = 3         /* nothing usable was produced: no readable input, output not writable, --strict stop */
};

/* The help of --exclusive (index add, dedup --add), after "Take " or "With --add: take ". */
#define CLI_EXCLUSIVE_HELP                                                                                \
  "the index alone for the add: other processes cannot read it until the add ends (they wait their "   \
  "--busy-timeout), and its pages are written once, not through the write-ahead log (a large add runs " \
  "about 1.3x faster)"

#define CLI_EXIT_CODES_HELP                                                                               \
  "Exit status:\n"                                                                                         \
  "  0  success\n"                                                                                         \
  "  1  some inputs (or corrupt archived rows) were skipped, each reported on stderr; the results\n"     \
  "     cover the rest\n"                                                                                  \
  "  2  usage error, or an output that is one of the run's inputs or the index (nothing written)\n"       \
  "  3  fatal: no article could be read, an output (or a copy) could not be written, the index is\n"     \
  "     corrupt, or --strict stopped the run\n"                                                          \
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
  char **include, **exclude; /* directory walk globs */
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
  gboolean spool_texts; /* kept texts wait in a temporary file until they are wanted (dedup --add) */
  gboolean auto_verify; /* derived: --verify auto */
  const char *default_format; /* the command's default --format (NULL: text), shown in --help */
  char *quotations_name;      /* --quotations drop|list|count */
  const char *default_quotations; /* the command's default (NULL: drop), shown in --help */
  char *date_field;           /* --date-field (NULL: "date") */
  double window_days;         /* --window DAYS; < 0: none */
  GPtrArray *help_texts;      /* option help texts showing this command's defaults */
  /* Archived articles read as inputs after the others (report --index): the open archive (not
   * owned; NULL: none), the group to read (0: all) and the conditions all must meet (not owned). */
  NdIndex *archive;
  guint64 archive_group;
  NdIndexCondition *const *archive_where;
  guint n_archive_where;
  gboolean archive_failed;    /* derived: the archive could not be read */

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
  OPT_DATES = 1 << 6,     /* --date-field, --window */
  OPT_FIND = OPT_INPUTS | OPT_SIGNING | OPT_MATCHING | OPT_VERIFYING | OPT_OUTPUT | OPT_PASSAGES
};

/* Adds the option groups `groups` to `ctx`. */
void find_cli_add_options(FindCli *cli, GOptionContext *ctx, unsigned groups);
/* Validates and derives sign/find parameters; on failure prints the error and returns FALSE. */
gboolean find_cli_finish_options(FindCli *cli, const char *command);
/* The same, with the signing parameters fixed by an index (its shingles, N and seed). */
gboolean find_cli_finish_options_for(FindCli *cli, const char *command, const NdSignParams *fixed);

/* The publication time of every document of `coll` (--date-field of its metadata; dates that cannot
 * be read are reported once on stderr and taken as none): a new array of nd_collection_size entries
 * (caller frees), or NULL when no document has a date. */
NdPublished *find_cli_dates(const FindCli *cli, const NdCollection *coll);
/* Keeps, in place, the pairs published within --window days of each other (all without it). */
void find_cli_apply_window(const FindCli *cli, GArray *pairs, const NdPublished *published);

/* MPI (mpirun, srun): when the environment says the process was launched as a rank of a job, starts
 * MPI for scan, pairs and dedup (builds with NEARDUP_HAVE_MPI), refuses other commands on more than
 * one rank, and refuses a job of several ranks in a build without MPI. Returns EXIT_OK to go on, or
 * the exit code after printing why. A plain launch never starts MPI. */
int cli_mpi_start(const char *command, int *argc, char ***argv);
/* Ends MPI when cli_mpi_start started it. */
void cli_mpi_end(void);
/* TRUE between cli_mpi_start starting MPI and cli_mpi_end; then find_cli_load reads this rank's
 * share and gathers the documents on rank 0 (dist.h), and only rank 0 goes on after it. */
gboolean cli_distributed(void);
/* This process's MPI rank and the job's number of ranks (0 and 1 without MPI). */
guint cli_rank(void);
guint cli_ranks(void);

/* Loads all inputs into a new collection; stores the number of skipped inputs. Errors go to stderr
 * as "neardup: INPUT: message". Returns NULL (after printing why) on a fatal error. */
NdCollection *find_cli_load(FindCli *cli, guint *skipped);

/* The tool's hint for a library error: the option that changes the limit it hit (" (see
 * --max-bytes)"), or "". The library's messages never name options (error.h). Static; NULL gives "". */
const char *cli_error_hint(const GError *error);

/* Problems an index query skips (a corrupt row, metadata that is not JSON) are printed on stderr as
 * "neardup: MESSAGE" and counted in *problems (which must outlive the index): the command then exits
 * 1, its results covering the rest. */
void cli_index_watch(NdIndex *ix, guint *problems);

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
 * is replaced. A replaced file keeps its permissions (and, as root, its owner), and is never one the
 * run reads: see output_file_check. */
typedef struct {
  FILE *fp;
  char *path;      /* the file replaced (a link resolved), or NULL for standard output */
  char *base;      /* its name in its directory */
  int dirfd;       /* its directory, or -1 */
  char *tmp_name;  /* the named temporary file in dirfd, or NULL while it is unnamed */
  gboolean direct; /* the target is not a regular file (/dev/null, a FIFO): written in place */
  gboolean keep_mode; /* the target exists: its mode (and owner) go to the new file */
  mode_t mode;
  uid_t uid;
  gid_t gid;
} Output;

/* Opens the temporary file (so an unwritable output fails before any work). Prints the error and
 * returns FALSE on failure. An existing target is remembered as a file this run replaces. */
gboolean output_open(Output *out, const char *path);
/* Flushes, fsyncs and renames; prints the error and returns FALSE on failure (the target is left
 * untouched and the temporary file removed). When the run was interrupted it abandons the output
 * instead and returns FALSE. */
gboolean output_commit(Output *out);
/* Abandons the output (removes the temporary file). Safe on an output already committed or
 * aborted. */
void output_abort(Output *out);

/* The loader's file check (NdFileCheckFunc; user_data: the NdLoader, or NULL): refuses to read a
 * file that an output of this run replaces, and cancels the loader. Thread-safe. */
gboolean output_file_check(const char *path, guint64 dev, guint64 ino, gpointer user_data, GError **error);
/* Marks the files of the index `db` (opened by this run: the database, its -shm and -wal files) so
 * that output_file_check refuses them as inputs before they are opened: closing a descriptor of a
 * file drops every POSIX lock the process holds on it, SQLite's included. Call after opening the
 * index, before loading. output_is_protected: TRUE for such a file. */
void output_protect_index(const char *db);
gboolean output_is_protected(const char *path);
/* TRUE once output_file_check refused an input (the first time, it prints which): the command must
 * stop with EXIT_USAGE, its outputs abandoned. */
gboolean output_alias_found(void);
/* FALSE (after printing why) when `out` is the file `input` read by the command (`what`: "input",
 * or "index", which also covers the index's -wal, -shm and -journal files). */
gboolean output_refuse_input(const Output *out, const char *command, const char *input, const char *what);

/* Temporary files in a directory (the atomic outputs and the copies of dedup --copy-to). Creates one
 * for a file to be named `base` in `dirfd`, with `mode` (minus the umask): unnamed (O_TMPFILE) when
 * possible (*tmp_name = NULL), else a hidden .BASE.tmp-XXXXXX created there without following
 * links (*tmp_name set; caller frees). The descriptor, or -1 with errno. */
int temp_create_at(int dirfd, const char *base, mode_t mode, char **tmp_name);
/* Gives the temporary file `fd` (named `tmp_name` in dirfd, or unnamed) the name `name` in dirfd,
 * never replacing a file there: 0, or an errno (EEXIST when `name` exists). */
int temp_link_at(int fd, const char *tmp_name, int dirfd, const char *name);
/* The temporary file a second signal removes before the process dies (dirfd -1: none). */
void cli_remember_tmp(int dirfd, const char *name);

/* dedup --copy-to (copy.c): copies of kept articles in a directory, made only from the article's own
 * bytes or its own input file, named by copy_name, never through a symbolic link below DIR, never
 * replacing a file. */
typedef struct CopyDir CopyDir;
typedef enum { COPY_WRITTEN, COPY_LINKED, COPY_PRESENT } CopyResult;

/* Creates (if needed) and opens DIR; NULL with an error. With `link_files`, copies of articles read
 * from files are hard links to them where possible. */
CopyDir *copy_dir_open(const char *path, gboolean link_files, GError **error);
void copy_dir_close(CopyDir *cd); /* NULL is ignored */
/* The relative name of the copy of the article `id`: the id percent-encoded (controls, '%', '~',
 * bytes that are not UTF-8, \ : * ? " < > | and a leading '.' of each part become %XX), so that
 * decoding gives the id back and two ids never share a name. With `keep_tree` a '/' between two
 * non-empty parts stays a directory separator (files keep their relative paths), otherwise every '/'
 * is %2F. A part longer than 240 bytes is cut at 200 and ends in '~' and 16 hex digits of its hash.
 * `suffix` (or NULL) is appended. Caller frees. */
char *copy_name(const char *id, gboolean keep_tree, const char *suffix);
/* Puts the article (which must hold its text) at DIR/name: written through a temporary file and
 * linked into place, or (--link) linked to its own input file if that still holds the bytes read;
 * a file already there holding exactly those bytes counts as done (COPY_PRESENT). FALSE with an
 * error naming DIR/name when the name is taken (by other content, a link, or another article of
 * this run), a directory below DIR is a symbolic link, or writing fails. Copies of files keep their
 * source's permission bits (without set-id bits). An article whose text was extracted from a file (a
 * web page) is copied as that file, checked against the size and hash it had when it was read (an
 * error when it changed since); one extracted from a WARC record or standard input, as its text. */
gboolean copy_dir_put(CopyDir *cd, const NdDocument *doc, const char *name, CopyResult *result, GError **error);
/* The same with other bytes than the article's own (its record as JSON Lines): written, never
 * linked; the same rules for names and files already there. */
gboolean copy_dir_put_bytes(CopyDir *cd, const NdDocument *doc, const char *data, gsize len, const char *name,
                            CopyResult *result, GError **error);

/* Writes `s` as a JSON string literal: quoted, escaped (controls, C1 controls, U+2028/9); a byte that
 * is not UTF-8 becomes the lone surrogate U+DC80 + byte (Python's surrogateescape), so that distinct
 * file names stay distinct. */
void json_write_string(FILE *fp, const char *s);
/* Writes `s` as one CSV field (quoted when it holds a comma, quote, CR or LF); a field starting with
 * = + - @ tab or CR and longer than that character (so "-", standard input's id, stays as it is) is
 * written as text for spreadsheets: quoted and prefixed with ' (OWASP). */
void csv_write_field(FILE *fp, const char *s);

/* Parses --format's value; prints an error naming `allowed` otherwise. */
gboolean parse_format(const char *name, OutputFormat *format);

/* Terminals (term.c): when standard output or error is a terminal, term_install replaces it with a
 * stream that escapes control characters, C1 controls and bytes that are not UTF-8 (\x1b, \u009b,
 * \xff), so that text from the inputs is shown, never obeyed (NEARDUP_RAW_TERMINAL=1 turns this
 * off). Call once, first thing in main. term_control writes one of the tool's own control sequences
 * (a colour, "\r") to `fp` unescaped. */
void term_install(void);
void term_control(FILE *fp, const char *sequence);

/* Parses a command line like g_option_context_parse, and also: a short option glued to its value
 * (-t0.3) is read as -t 0.3, and an unknown option's error suggests the nearest one ("did you mean
 * --threshold?"). argv may be replaced by a new array (kept for the life of the process). */
gboolean cli_parse(GOptionContext *ctx, int *argc, char ***argv, GError **error);
/* The candidate closest to `word` when it looks like a typo of it (edit distance, a swap counting as
 * one edit, at most a third of its length, 1 to 3), or NULL. */
const char *cli_suggest(const char *word, const char *const *candidates);

/* Progress (progress.c): one line on stderr, on a terminal or with --progress. progress_start once
 * (force: --progress; idempotent); progress_phase names a phase, its unit ("articles"; "" for a
 * phase that is only timed) and total (0: unknown); progress_set/add report how much is done; a
 * ticker thread redraws with the rate and the time left. progress_count_inputs counts what the
 * loader will read (files, JSON Lines records) in a thread and fills in the total when it knows it.
 * progress_stop erases the line and stops the threads (before the summary line). cli_message
 * prints "neardup: MESSAGE" on stderr, erasing the progress line first. cli_index_progress is an
 * NdIndexProgressFunc that shows the index's own phases. All are thread-safe. */
void progress_start(gboolean force);
void progress_phase(const char *phase, const char *unit, guint64 total);
void progress_set(guint64 done, guint64 total);
void progress_add(guint64 n);
guint64 progress_done_count(void);
void progress_count_inputs(char **paths, char **files_from, char **jsonl);
void progress_stop_counting(void);
void progress_stop(void);
/* The phases ended so far and their times ("reading and signing 7.2 s, writing 3.1 s"; caller
 * frees), for --stats. */
char *progress_timings(void);
void cli_message(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void cli_index_progress(const char *phase, guint64 done, guint64 total, gpointer data);

/* Dates (dates.c): an article's date from metadata member `field` (date.h), or with use_mtime its
 * file's modification time when it has none. TRUE and *out (and the date as written in *text,
 * caller frees, or NULL); FALSE when it has none. A date that cannot be read is counted in `report`
 * (may be NULL); date_report_print reports them once, with the first as an example, and resets. */
typedef struct {
  guint64 bad;
  char *first_id, *first_message;
} DateReport;
gboolean cli_document_date(const NdDocument *doc, const char *field, gboolean use_mtime, NdDate *out, char **text,
                           DateReport *report);
void date_report_print(DateReport *report);

/* Prints "neardup COMMAND: message" to stderr. */
void cli_error(const char *command, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

int cmd_scan(int argc, char **argv);
int cmd_pairs(int argc, char **argv);
int cmd_params(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_dedup(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif

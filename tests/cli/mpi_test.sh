#!/usr/bin/env bash
# mpi_test.sh — `mpirun -n N neardup scan|pairs|dedup` gives a one-process run's output, byte for
# byte, for N = 1..4 (oversubscribed on a 2-core machine), and fails the way it does.
#   mpi_test.sh NEARDUP GEN_CORPUS SOURCE_DIR CASE GEN_WARC
# Each CASE is one ctest (label "mpi"). Open MPI refuses to run as root unless told it may: CI runs
# as root, so the two variables below are set here. Exit 77 (skipped) when mpirun is missing.
set -u
NEARDUP=$1
GEN=$2
SRC=$3
CASE=$4
GEN_WARC=$5
command -v mpirun >/dev/null || { echo "mpirun not found: skipped"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# On one machine the candidate search runs on rank 0 unless asked (docs/mpi.md): these tests ask, so
# that every run below searches over the ranks as a job across machines does (mpi_generated also
# checks the default).
export NEARDUP_MPI_SEARCH=1
# Containers often forbid the cross-memory attach Open MPI's shared-memory transport tries first.
export OMPI_MCA_btl_vader_single_copy_mechanism=none
WORK=$(mktemp -d "${TMPDIR:-/tmp}/neardup-mpi.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL [$CASE]: $*" >&2; exit 1; }

# mpi N CMD...: the ranks of one job; NEARDUP_MPI_BLOCK (when set) travels to every rank. mpirun
# forwards the ranks' output in chunks that may end inside a line, so on its own stderr the lines of
# two ranks can interleave (a count of whole lines once missed 2 of 130 under load): each rank's
# output goes to files of its own (:nocopy), which come out after mpirun's own messages, stdout
# and stderr each in rank order.
mpi() {
  local n=$1; shift
  rm -rf "$WORK/ranks"
  mpirun --oversubscribe -n "$n" -x NEARDUP_MPI_BLOCK -x NEARDUP_MPI_SEARCH -x NEARDUP_MPI_VERIFY --output-filename "$WORK/ranks:nocopy" "$@"
  local code=$?
  local rank
  for rank in "$WORK"/ranks/*/rank.*; do
    [[ -f $rank/stdout ]] && cat "$rank/stdout"
    [[ -f $rank/stderr ]] && cat "$rank/stderr" >&2
  done
  return $code
}

# same_as_one LABEL ARGS...: runs `neardup ARGS` in one process, then on 1..4 ranks; stdout and
# the exit code must be the same every time.
same_as_one() {
  local label=$1; shift
  "$NEARDUP" "$@" >"$WORK/one.out" 2>"$WORK/one.err"
  local want=$?
  [[ $want == 0 || $want == 1 ]] || { cat "$WORK/one.err" >&2; fail "$label: one process exited $want"; }
  [[ -s $WORK/one.out ]] || fail "$label: one process wrote nothing"
  for n in 1 2 3 4; do
    mpi "$n" "$NEARDUP" "$@" >"$WORK/mpi.out" 2>"$WORK/mpi.err"
    local got=$?
    [[ $got == "$want" ]] || { cat "$WORK/mpi.err" >&2; fail "$label: $n ranks exited $got, one process $want"; }
    cmp -s "$WORK/one.out" "$WORK/mpi.out" || {
      diff "$WORK/one.out" "$WORK/mpi.out" | head -20 >&2
      fail "$label: the output of $n ranks differs from one process's"
    }
  done
}

# ranks_signed N ARGS...: with --stats, every one of N ranks must have signed articles (the input
# really was split).
ranks_signed() {
  local n=$1; shift
  mpi "$n" "$NEARDUP" "$@" --stats >/dev/null 2>"$WORK/stats.err"
  for ((r = 0; r < n; r++)); do
    grep -qE "^stats: rank $r of $n: read\+sign [0-9.]+ s, [1-9][0-9]* articles" "$WORK/stats.err" ||
      { cat "$WORK/stats.err" >&2; fail "rank $r of $n signed nothing"; }
  done
}

# ranks_read_part N FILE ARGS...: with --stats, every one of N ranks read less than FRACTION of FILE
# (JSON Lines read by byte ranges: each rank its range, counted then parsed, not the whole file).
ranks_read_part() {
  local n=$1 file=$2; shift 2
  local size; size=$(stat -c %s "$file")
  mpi "$n" "$NEARDUP" "$@" --stats >/dev/null 2>"$WORK/stats.err"
  for ((r = 0; r < n; r++)); do
    local got
    got=$(sed -nE "s/^stats: rank $r of $n: .* ([0-9]+) bytes read .*/\1/p" "$WORK/stats.err")
    [[ -n $got ]] || { cat "$WORK/stats.err" >&2; fail "rank $r of $n: no bytes read in --stats"; }
    # its range twice (2/n of the file), a little around its cuts, the program's own small reads
    ((got < size * 2 / n + 200000)) || fail "rank $r of $n read $got bytes of a $size-byte file"
  done
}

case $CASE in
mpi_examples)
  # The bundled examples (about twenty files) dealt out one by one, so that every rank has some.
  # (Each format of a command is one row table, rows.c: one format per command is enough here.)
  export NEARDUP_MPI_BLOCK=1
  same_as_one "scan text" scan "$SRC/examples"
  same_as_one "pairs csv" pairs --format csv "$SRC/examples"
  same_as_one "dedup json" dedup --format json "$SRC/examples"
  same_as_one "scan passages" scan --passages --format json "$SRC/examples" # texts and offset maps travel
  ranks_signed 4 scan "$SRC/examples"
  ;;
mpi_generated)
  # Generated articles (kept few: the MPI tests together stay under a minute on 2 cores), as one JSON
  # Lines file and as a tree of files, in the default blocks of 64 items; then with --exact-limit
  # below the size, so that the collection turns lean as rank 0 merges it.
  "$GEN" -n 1000 --jsonl "$WORK/c.jsonl" --truth "$WORK/c.tsv" -s 5 2>/dev/null || fail "gen_corpus"
  "$GEN" -n 500 --out "$WORK/tree" -s 6 >/dev/null 2>&1 || fail "gen_corpus --out"
  unset NEARDUP_MPI_BLOCK
  same_as_one "jsonl scan text" scan "$WORK/c.jsonl"
  same_as_one "jsonl scan lean" scan --format json --exact-limit 400 "$WORK/c.jsonl"
  same_as_one "tree pairs json" pairs --format json "$WORK/tree"
  # The same with rank 0 searching alone, and with rank 0 verifying a lean run alone (the search
  # over the ranks, and the verification where the documents are, are what the runs above test).
  export NEARDUP_MPI_SEARCH=0
  same_as_one "jsonl scan lean, search on rank 0" scan --format json --exact-limit 400 "$WORK/c.jsonl"
  # The default on one machine: rank 0 searches, with every core, and says so.
  unset NEARDUP_MPI_SEARCH
  mpi 2 "$NEARDUP" scan --format json --exact-limit 400 --stats "$WORK/c.jsonl" >"$WORK/mpi.out" 2>"$WORK/stats.err" ||
    { cat "$WORK/stats.err" >&2; fail "default search: 2 ranks failed"; }
  cmp -s "$WORK/one.out" "$WORK/mpi.out" || fail "default search: the output of 2 ranks differs from one process's"
  grep -q "^stats: the candidate search ran on rank 0 " "$WORK/stats.err" ||
    { cat "$WORK/stats.err" >&2; fail "default search on one machine: not on rank 0"; }
  if grep -qE "^stats: rank [0-9]+ of [0-9]+: candidate search" "$WORK/stats.err"; then fail "default search on one machine: over the ranks"; fi
  export NEARDUP_MPI_SEARCH=1
  export NEARDUP_MPI_VERIFY=0
  same_as_one "jsonl scan lean, verified on rank 0" scan --format json --exact-limit 400 "$WORK/c.jsonl"
  unset NEARDUP_MPI_VERIFY
  ranks_signed 4 scan "$WORK/c.jsonl"
  ranks_read_part 4 "$WORK/c.jsonl" scan "$WORK/c.jsonl"
  # A crawl as a .warc.gz of one gzip member per record, read by byte ranges cut at members: the
  # same output, each rank reading its part. With hostile records at its end (a Content-Length
  # that swallows the next record's start, one that runs past the end of the file) it is not cut
  # (ranks.c): the same output and messages all the same.
  head -n 300 "$WORK/c.jsonl" >"$WORK/c300.jsonl"
  "$GEN_WARC" "$WORK/c300.jsonl" "$WORK/crawl.warc.gz" --padding 2000 2>/dev/null || fail "gen_warc"
  same_as_one "warc.gz scan json" scan --format json "$WORK/crawl.warc.gz"
  # The archive under ranks (every rank reads and signs; rank 0 matches the batch against the archive
  # and writes it): the manifest and the archive (its export, but for the time of each add) are one
  # process's. Batch 2 repeats 200 articles of batch 1 (already archived) and holds copies of others.
  head -n 600 "$WORK/c.jsonl" >"$WORK/batch1.jsonl"
  sed -n '401,1000p' "$WORK/c.jsonl" >"$WORK/batch2.jsonl"
  # archive_batch2 DB RUNNER...: DB made from batch 1 by one process, then batch 2 added by RUNNER.
  archive_batch2() {
    local db=$1; shift
    "$NEARDUP" index create "$db" 2>/dev/null || fail "index create $db"
    "$NEARDUP" dedup --index "$db" --add "$WORK/batch1.jsonl" >/dev/null 2>&1 || fail "$db: batch 1"
    "$@" "$NEARDUP" dedup --index "$db" --add --format json "$WORK/batch2.jsonl"
  }
  # (an empty RUNNER: `env` runs the one process)
  archive_batch2 "$WORK/one.db" env >"$WORK/one.out" 2>"$WORK/one.err" || { cat "$WORK/one.err" >&2; fail "archive: one process"; }
  grep -q '"already_archived":true' "$WORK/one.out" || fail "archive: batch 2 found nothing already archived"
  grep -q '"duplicate_in_index":true' "$WORK/one.out" || fail "archive: batch 2 matched nothing in the archive"
  "$NEARDUP" index export "$WORK/one.db" 2>/dev/null | sed -E 's/"added":"[^"]*"//' >"$WORK/one.export"
  for n in 2 3; do
    archive_batch2 "$WORK/many$n.db" mpi "$n" >"$WORK/mpi.out" 2>"$WORK/mpi.err" ||
      { cat "$WORK/mpi.err" >&2; fail "archive, $n ranks: failed"; }
    cmp -s "$WORK/one.out" "$WORK/mpi.out" || fail "archive, $n ranks: the manifest differs from one process's"
    "$NEARDUP" index export "$WORK/many$n.db" 2>/dev/null | sed -E 's/"added":"[^"]*"//' >"$WORK/mpi.export"
    cmp -s "$WORK/one.export" "$WORK/mpi.export" || fail "archive, $n ranks: the archive differs from one process's"
  done
  ranks_read_part 4 "$WORK/crawl.warc.gz" scan "$WORK/crawl.warc.gz"
  "$GEN_WARC" "$WORK/c300.jsonl" "$WORK/hostile.warc.gz" --padding 2000 --hostile 2>/dev/null || fail "gen_warc"
  "$NEARDUP" scan "$WORK/hostile.warc.gz" 2>"$WORK/one.err" >"$WORK/one.out"
  grep -F "hostile.warc.gz@" "$WORK/one.err" | LC_ALL=C sort >"$WORK/one.msg"
  [[ $(wc -l <"$WORK/one.msg") -ge 3 ]] || fail "warc.gz: the hostile records were not reported"
  mpi 3 "$NEARDUP" scan "$WORK/hostile.warc.gz" 2>"$WORK/mpi.err" >"$WORK/mpi.out"
  grep -F "hostile.warc.gz@" "$WORK/mpi.err" | LC_ALL=C sort >"$WORK/mpi.msg"
  cmp -s "$WORK/one.out" "$WORK/mpi.out" || fail "hostile warc.gz, 3 ranks: the output differs"
  cmp -s "$WORK/one.msg" "$WORK/mpi.msg" || { diff "$WORK/one.msg" "$WORK/mpi.msg" >&2; fail "hostile warc.gz, 3 ranks: messages differ"; }
  ;;
mpi_lean)
  # Lean sends (dist.h): beyond --exact-limit articles the ranks send what a lean collection keeps.
  # Whether the run is lean depends on the distinct ids of all ranks together: inputs that fail are
  # no articles, and rank 0 refuses repeated ids (within a rank's share and across ranks). This file
  # has 1,000 distinct articles, 80 repeated ids (10 next to their first copies, 40 in the middle,
  # 30 at the end: on the last rank) and 20 records that fail: 1,100 lines, 1,080 documents signed.
  "$GEN" -n 1000 --jsonl "$WORK/c.jsonl" --truth "$WORK/c.tsv" -s 5 2>/dev/null || fail "gen_corpus"
  {
    sed -n '1,30p' "$WORK/c.jsonl"
    sed -n '10,19p' "$WORK/c.jsonl" | sed 's/"text": *"/&Repeated. /'
    for i in $(seq 10); do echo '{"id":"broken","text":'; printf '{"id":"empty%s","text":""}\n' "$i"; done
    sed -n '31,500p' "$WORK/c.jsonl"
    sed -n '51,90p' "$WORK/c.jsonl"
    sed -n '501,1000p' "$WORK/c.jsonl"
    sed -n '1,30p' "$WORK/c.jsonl" | sed 's/"text": *"/&Again. /'
  } >"$WORK/lean.jsonl"
  [[ $(wc -l <"$WORK/lean.jsonl") == 1100 ]] || fail "lean.jsonl: $(wc -l <"$WORK/lean.jsonl") lines"
  unset NEARDUP_MPI_BLOCK
  # lean_ranks N LIMIT WANT: with --stats, every one of N ranks says whether it sent lean (WANT: yes
  # or no), and a lean rank sends under 2,500 bytes per article (a whole one about 5,900).
  lean_ranks() {
    local n=$1 limit=$2 want=$3
    mpi "$n" "$NEARDUP" scan --format json --exact-limit "$limit" --stats "$WORK/lean.jsonl" >/dev/null 2>"$WORK/stats.err"
    for ((r = 0; r < n; r++)); do
      local line
      line=$(grep -E "^stats: rank $r of $n: read" "$WORK/stats.err")
      [[ -n $line ]] || { cat "$WORK/stats.err" >&2; fail "limit $limit, rank $r of $n: no stats"; }
      # The candidates are found over the ranks; a lean run is verified where its documents are.
      local searched="candidate search over the ranks"
      [[ $want == yes ]] && searched="candidate search and verification over the ranks"
      grep -qE "^stats: rank $r of $n: $searched " "$WORK/stats.err" ||
        { cat "$WORK/stats.err" >&2; fail "limit $limit, rank $r of $n: not '$searched'"; }
      if [[ $want == yes ]]; then
        [[ $line =~ \(([0-9]+)\ per\ article,\ lean ]] || fail "limit $limit, rank $r of $n did not send lean: $line"
        ((BASH_REMATCH[1] < 2500)) || fail "limit $limit, rank $r of $n: ${BASH_REMATCH[1]} bytes per article"
      else
        [[ $line != *lean* ]] || fail "limit $limit, rank $r of $n sent lean: $line"
      fi
    done
  }
  # 1,000 distinct ids: not lean at 1,000 (although 1,080 documents were signed; the ranks' own
  # distinct ids add up to more, the repeats across ranks being counted twice), nor at 1,040; lean
  # at 999 (the last article passes the limit) and at 300 (some ranks know it alone).
  for limit in 1000 1040 999 300; do
    same_as_one "lean.jsonl, limit $limit" scan --format json --exact-limit "$limit" "$WORK/lean.jsonl"
    lean=no
    grep -qF "more than $limit articles" "$WORK/one.err" && lean=yes
    [[ $lean == $( ((limit < 1000)) && echo yes || echo no) ]] || fail "limit $limit: one process lean: $lean"
    # (2 ranks know alone at 300, 4 ranks decide together; 3 ranks for the runs that are not lean)
    for n in $([[ $lean == yes ]] && echo 2 4 || echo 3); do lean_ranks "$n" "$limit" "$lean"; done
  done
  [[ $(grep -c "lean.jsonl:[0-9]*: duplicate id" "$WORK/one.err") == 80 ]] || fail "the 80 repeated ids were not all refused"
  # Lean documents keep their texts when passages are asked for: they travel lean with them.
  same_as_one "lean.jsonl passages, limit 999" scan --passages --format json --exact-limit 999 "$WORK/lean.jsonl"
  # Item shares (a compressed file is not cut by byte ranges) in blocks of 16, and another command.
  gzip -c "$WORK/lean.jsonl" >"$WORK/lean.jsonl.gz"
  export NEARDUP_MPI_BLOCK=16
  same_as_one "lean.jsonl.gz pairs, limit 999" pairs --format json --exact-limit 999 "$WORK/lean.jsonl.gz"
  ;;
mpi_failures)
  export NEARDUP_MPI_BLOCK=1
  # 1. An unreadable input in another rank's share is reported as one process reports it, the
  # others are read (exit 1), and the output is the same.
  find "$SRC/examples/articles" -type f | LC_ALL=C sort >"$WORK/list"
  sed -i "2i $WORK/vanished.txt" "$WORK/list" # item 1: rank 1's on 2 ranks and more
  "$NEARDUP" scan --files-from "$WORK/list" >"$WORK/one.out" 2>"$WORK/one.err"
  [[ $? == 1 ]] || fail "one process: want exit 1 for a missing input"
  grep -F "$WORK/vanished.txt" "$WORK/one.err" >"$WORK/one.msg" || fail "one process did not name the input"
  for n in 2 3; do
    mpi "$n" "$NEARDUP" scan --files-from "$WORK/list" >"$WORK/mpi.out" 2>"$WORK/mpi.err"
    [[ $? == 1 ]] || { cat "$WORK/mpi.err" >&2; fail "$n ranks: want exit 1 for a missing input"; }
    grep -F "$WORK/vanished.txt" "$WORK/mpi.err" >"$WORK/mpi.msg"
    cmp -s "$WORK/one.msg" "$WORK/mpi.msg" || fail "$n ranks: the message differs: $(cat "$WORK/mpi.msg")"
    cmp -s "$WORK/one.out" "$WORK/mpi.out" || fail "$n ranks: the output differs"
  done
  # 2. --strict: the same stop (exit 3), and no output file.
  mpi 3 "$NEARDUP" scan --strict -o "$WORK/strict.txt" --files-from "$WORK/list" >/dev/null 2>"$WORK/mpi.err"
  [[ $? == 3 ]] || { cat "$WORK/mpi.err" >&2; fail "--strict: want exit 3"; }
  grep -qF "stopped at the first unreadable input" "$WORK/mpi.err" || fail "--strict: no message"
  [[ ! -e $WORK/strict.txt ]] || fail "--strict left an output file"
  # 3. A duplicate id across two ranks' shares is refused as one process refuses it.
  printf '{"id":"x","text":"%s"}\n' "The harbour council met on Tuesday to vote on the gates." \
    "The river agency published its flood survey for the coast on Monday." \
    "The harbour council met on Tuesday to vote on the gates again." >"$WORK/dup.jsonl"
  "$NEARDUP" pairs "$WORK/dup.jsonl" >"$WORK/one.out" 2>"$WORK/one.err"
  want=$?
  mpi 3 "$NEARDUP" pairs "$WORK/dup.jsonl" >"$WORK/mpi.out" 2>"$WORK/mpi.err"
  [[ $? == "$want" ]] || fail "duplicate ids: exit differs from one process ($want)"
  cmp -s "$WORK/one.out" "$WORK/mpi.out" || fail "duplicate ids: the output differs"
  [[ $(grep -c "dup.jsonl:[23]: " "$WORK/mpi.err") == 2 ]] || { cat "$WORK/mpi.err" >&2; fail "duplicates not reported"; }
  # 3b. JSON Lines read by byte ranges: bad records, a line over the limit, blank and CR LF lines,
  # no newline at the end, as a path and with --jsonl: the same messages with the same line numbers
  # (each from the rank whose range holds the line), the same output and exit code.
  unset NEARDUP_MPI_BLOCK
  {
    for i in $(seq 40); do
      ((i % 7 == 3)) && echo '{"id":"broken","text":'
      ((i % 9 == 5)) && printf '{"id":"long%s","text":"%s"}\n' "$i" "$(head -c 3000 /dev/zero | tr '\0' w)"
      ((i % 6 == 1)) && printf '\n  \r\n'
      printf '{"id":"a%s","text":"Report %s: the harbour council met on Tuesday to vote on the flood gates, and the river agency published its survey of the coast."}\r\n' "$i" "$((i % 5))"
    done
    printf '{"id":"last","text":"The last line has no newline after it."}'
  } >"$WORK/hostile.jsonl"
  for args in "$WORK/hostile.jsonl" "--jsonl=$WORK/hostile.jsonl"; do
    "$NEARDUP" pairs --max-bytes 1000 $args >"$WORK/one.out" 2>"$WORK/one.err"
    want=$?
    [[ $want == 1 ]] || fail "hostile JSON Lines: one process exited $want"
    grep -F "hostile.jsonl:" "$WORK/one.err" | LC_ALL=C sort >"$WORK/one.msg"
    [[ $(wc -l <"$WORK/one.msg") -ge 10 ]] || fail "hostile JSON Lines: too few messages"
    for n in 2 3 4; do
      mpi "$n" "$NEARDUP" pairs --max-bytes 1000 $args >"$WORK/mpi.out" 2>"$WORK/mpi.err"
      [[ $? == "$want" ]] || { cat "$WORK/mpi.err" >&2; fail "hostile JSON Lines, $n ranks: exit differs"; }
      grep -F "hostile.jsonl:" "$WORK/mpi.err" | LC_ALL=C sort >"$WORK/mpi.msg"
      cmp -s "$WORK/one.msg" "$WORK/mpi.msg" || { diff "$WORK/one.msg" "$WORK/mpi.msg" >&2; fail "hostile JSON Lines, $n ranks: messages differ"; }
      cmp -s "$WORK/one.out" "$WORK/mpi.out" || fail "hostile JSON Lines, $n ranks: the output differs"
    done
  done
  export NEARDUP_MPI_BLOCK=1
  # 3c. The summary counts every rank's inputs as one process's does: 130 empty files (one process
  # lists 100 and counts 30; the ranks list their own, up to 100 each, and count what none listed)
  # and 3 binary files passed over, summed into one line.
  mkdir -p "$WORK/sum"
  for i in $(seq 130); do : >"$WORK/sum/e$i.txt"; done
  for i in 1 2 3; do printf '\x89PNG\r\n\x1a\nxx' >"$WORK/sum/b$i.dat"; done
  cp -r "$SRC/examples/articles" "$WORK/sum/"
  "$NEARDUP" scan "$WORK/sum" >"$WORK/one.out" 2>"$WORK/one.err"
  [[ $? == 1 ]] || fail "summary: one process: want exit 1"
  grep "passed over" "$WORK/one.err" >"$WORK/one.msg"
  [[ $(grep -c "passed over: 3 binary" "$WORK/one.msg") == 1 ]] || fail "summary: one process: no passed-over line"
  for n in 2 3; do
    mpi "$n" "$NEARDUP" scan "$WORK/sum" >"$WORK/mpi.out" 2>"$WORK/mpi.err"
    [[ $? == 1 ]] || { cat "$WORK/mpi.err" >&2; fail "summary, $n ranks: want exit 1"; }
    cmp -s "$WORK/one.out" "$WORK/mpi.out" || fail "summary, $n ranks: the output differs"
    grep "passed over" "$WORK/mpi.err" >"$WORK/mpi.msg"
    cmp -s "$WORK/one.msg" "$WORK/mpi.msg" || fail "summary, $n ranks: passed over: $(cat "$WORK/mpi.msg")"
    listed=$(grep -c "^neardup: $WORK/sum/e[0-9]*\.txt: " "$WORK/mpi.err")
    more=$(sed -nE 's/^neardup: ([0-9]+) more inputs skipped as: empty article .*/\1/p' "$WORK/mpi.err")
    [[ $(grep -c "more inputs skipped" "$WORK/mpi.err") -le 1 ]] || fail "summary, $n ranks: several summary lines"
    ((listed + ${more:-0} == 130)) || fail "summary, $n ranks: $listed listed + ${more:-0} counted, not 130"
  done
  # 4. Standard input cannot be shared by ranks: refused on the command line.
  mpi 2 "$NEARDUP" scan - <"$WORK/list" >/dev/null 2>"$WORK/mpi.err"
  [[ $? == 2 ]] || fail "standard input on 2 ranks: want exit 2"
  grep -qF "standard input cannot be shared" "$WORK/mpi.err" || fail "standard input: no message"
  # 5. A list read through a pipe reaches one rank only: the ranks notice they disagree (exit 3).
  rm -f "$WORK/fifo"; mkfifo "$WORK/fifo"
  (cat "$WORK/list"; sleep 1) >"$WORK/fifo" &
  PIDS+=($!)
  mpi 2 "$NEARDUP" scan -o "$WORK/pipe.txt" --files-from "$WORK/fifo" >/dev/null 2>"$WORK/mpi.err"
  [[ $? == 3 ]] || { cat "$WORK/mpi.err" >&2; fail "a list on a pipe: want exit 3"; }
  grep -qF "did not see the same inputs" "$WORK/mpi.err" || fail "a list on a pipe: no message"
  [[ ! -e $WORK/pipe.txt ]] || fail "a list on a pipe left an output file"
  # 6. A rank killed mid-run (SIGKILL: nothing of its own can run) aborts the job, and the output
  # file, being written by rank 0, is not left behind, partial or whole; neither is an old one
  # replaced. The ranks wait on a list fed through a FIFO that stays open.
  echo "previous results" >"$WORK/keep.txt"
  rm -f "$WORK/fifo"; mkfifo "$WORK/fifo"
  (head -n 3 "$WORK/list"; sleep 60) >"$WORK/fifo" &
  FEEDER=$!
  PIDS+=("$FEEDER")
  for target in new.txt keep.txt; do
    mpirun --oversubscribe -n 2 "$NEARDUP" scan -o "$WORK/$target" --files-from "$WORK/fifo" >/dev/null \
      2>"$WORK/kill.err" &
    RUN=$!
    PIDS+=("$RUN")
    ranks=""
    for _ in $(seq 100); do # the two ranks, children of mpirun
      ranks=$(pgrep -P "$RUN" -f "$NEARDUP" | tr '\n' ' ')
      [[ $(wc -w <<<"$ranks") == 2 ]] && break
      sleep 0.1
    done
    [[ $(wc -w <<<"$ranks") == 2 ]] || fail "did not find the 2 ranks of mpirun $RUN"
    sleep 0.5
    kill -9 "${ranks%% *}"
    wait "$RUN"
    rc=$?
    [[ $rc != 0 ]] || fail "a job with a killed rank exited 0"
    [[ $target == keep.txt ]] && { [[ $(cat "$WORK/keep.txt") == "previous results" ]] || fail "the old output was replaced"; }
    leftover=$(ls -A "$WORK" | grep -E 'new\.txt|keep\.txt' | grep -vx keep.txt)
    [[ -z $leftover ]] || fail "a killed job left an output or temporary file: $leftover"
  done
  kill "$FEEDER" 2>/dev/null
  ;;
*)
  fail "unknown case"
  ;;
esac
exit 0

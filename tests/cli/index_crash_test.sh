#!/usr/bin/env bash
# index_crash_test.sh — crash safety and concurrency of the index, with the real binary.
#   index_crash_test.sh NEARDUP GEN_CORPUS INDEX_SQL
#
# 1. kill -9: an index holds a first batch; `neardup index add` of a second, larger batch is started
#    again and again and killed with SIGKILL at a different moment each round. After every kill the
#    index must hold exactly the first batch or exactly both (never part of the second), pass
#    SQLite's integrity check, have postings for exactly its articles, and answer queries. The batch
#    is sized so that one add takes about a second on this machine; the delays are spread over
#    the whole add, its commit included. `neardup index check` reads every row, group and posting
#    block and checks that each article has exactly its postings.
# 2. Concurrency: while a writer adds the second batch, several readers run `index stats` and
#    `query` in a loop (all must succeed and see the index before or after the add, never between),
#    and a second writer with --busy-timeout 200 either fails with exit 3 saying the index is being
#    written by another process, or waits and succeeds. Nothing may be corrupted.
#
# NEARDUP_CRASH_SEED=N repeats a run's random delays (the seed is printed); NEARDUP_CRASH_ROUNDS=N
# kills N times (default 12). NEARDUP_CRASH_EXCLUSIVE=1 kills `index add --exclusive` instead (a
# rollback journal, no WAL: every round waits a spread delay; the first command to open the index
# after a kill, a reader, rolls the journal back), and skips part 2.
set -u
NEARDUP=$1
GEN=$2
SQL=$3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/neardup-crash.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL [${TEST_NAME:-cli_index_kill9}]: $*" >&2; exit 1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

SEED=${NEARDUP_CRASH_SEED:-$(( $$ ^ $(date +%s) ))}
RANDOM=$SEED
echo "seed $SEED (NEARDUP_CRASH_SEED=$SEED repeats the delays)"
START=$(now_ms)

DB=$WORK/ix.db
"$GEN" -n 7000 --jsonl "$WORK/all.jsonl" --truth "$WORK/truth.tsv" -s 11 2>/dev/null || fail "gen_corpus"
FIRST=400
head -n $FIRST "$WORK/all.jsonl" >"$WORK/first.jsonl"
# Queries: three articles of the first batch, which every state of the index must find.
sed -n '1p;200p;400p' "$WORK/all.jsonl" >"$WORK/q.jsonl"
QIDS=$(sed -E 's/^\{"id":"([^"]*)".*/\1/' "$WORK/q.jsonl")

"$NEARDUP" index create "$DB" 2>/dev/null || fail "index create"
"$NEARDUP" index add "$DB" --jsonl "$WORK/first.jsonl" 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "first add"; }
[[ ! -e $DB-wal ]] || fail "the WAL was not checkpointed when the last connection closed"
cp "$DB" "$WORK/pristine.db"
BANDS=$("$NEARDUP" index stats "$DB" --format json | sed -E 's/.*"bands":([0-9]+).*/\1/')

restore() { rm -f "$DB" "$DB-wal" "$DB-shm" "$DB-journal"; cp "$WORK/pristine.db" "$DB"; }
EXCLUSIVE=${NEARDUP_CRASH_EXCLUSIVE:-0}
ADD_FLAGS=()
((EXCLUSIVE)) && ADD_FLAGS=(--exclusive) TEST_NAME=cli_index_kill9_exclusive

# A field of `index stats --format json`.
stat_of() { sed -E "s/.*\"$1\":([0-9]+).*/\1/" <<<"$2"; }

# Calibrate: the add rate on this machine (and build), then a second batch of about one second.
sed -n "$((FIRST + 1)),$((FIRST + 500))p" "$WORK/all.jsonl" >"$WORK/calib.jsonl"
t0=$(now_ms)
"$NEARDUP" index add "$DB" --jsonl "$WORK/calib.jsonl" 2>/dev/null || fail "calibration add"
t1=$(now_ms)
K=$((500 * 1000 / (t1 - t0 + 1)))
((K < 500)) && K=500
((K > 6500)) && K=6500
FULL=$((FIRST + K))
sed -n "$((FIRST + 1)),$((FIRST + K))p" "$WORK/all.jsonl" >"$WORK/second.jsonl"
sed -n "$((FIRST + K + 1)),$((FIRST + K + 5))p" "$WORK/all.jsonl" >"$WORK/extra.jsonl"
[[ $(wc -l <"$WORK/extra.jsonl") == 5 ]] || fail "corpus too small"
restore
t0=$(now_ms)
"$NEARDUP" index add "$DB" --jsonl "$WORK/second.jsonl" 2>/dev/null || fail "timing add"
t1=$(now_ms)
T_ADD=$((t1 - t0))
S=$("$NEARDUP" index stats "$DB" --format json)
[[ $(stat_of articles "$S") == "$FULL" ]] || fail "after a complete add: $S"
BYTES_FULL=$(stat_of text_bytes "$S")
restore
S=$("$NEARDUP" index stats "$DB" --format json)
BYTES_FIRST=$(stat_of text_bytes "$S")
echo "first batch $FIRST articles, second batch $K articles; one add takes $T_ADD ms"

# Everything that must hold for an index in state FIRST or FULL (given as the article count).
check_index() { # WHAT
  local s n
  s=$("$NEARDUP" index stats "$DB" --format json 2>"$WORK/err") || { cat "$WORK/err" >&2; fail "$1: index stats failed"; }
  n=$(stat_of articles "$s")
  case $n in
  "$FIRST") [[ $(stat_of text_bytes "$s") == "$BYTES_FIRST" ]] || fail "$1: text bytes of a partial add: $s" ;;
  "$FULL") [[ $(stat_of text_bytes "$s") == "$BYTES_FULL" ]] || fail "$1: text bytes of a partial add: $s" ;;
  *) fail "$1: $n articles: neither the first batch ($FIRST) nor both ($FULL)" ;;
  esac
  [[ $(stat_of band_keys "$s") == $((n * BANDS)) ]] || fail "$1: band keys do not match $n articles: $s"
  "$SQL" "$DB" "PRAGMA integrity_check" "SELECT count(*) FROM articles" "SELECT count(*) FROM groups" \
    "SELECT coalesce(sum(articles), 0) FROM batches" >"$WORK/sql.out" 2>"$WORK/err" \
    || { cat "$WORK/err" >&2; fail "$1: SQL checks failed"; }
  [[ $(tr '\n' ' ' <"$WORK/sql.out") == "ok $n $n $n " ]] \
    || fail "$1: integrity/count check gave: $(tr '\n' ' ' <"$WORK/sql.out") (want: ok $n $n $n)"
  "$NEARDUP" index check "$DB" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "$1: index check"; }
  "$NEARDUP" query "$DB" --jsonl "$WORK/q.jsonl" --format csv --threshold 0.9 --containment 0 >"$WORK/q.out" 2>"$WORK/err" \
    || { cat "$WORK/err" >&2; fail "$1: query failed"; }
  for id in $QIDS; do
    grep -qE "^$id,$id,[0-9]+,1.0000,1.0000,1.0000," "$WORK/q.out" || { cat "$WORK/q.out" >&2; fail "$1: query does not find $id"; }
  done
  LAST_N=$n
}

# 1. kill -9. Rounds 1..SPREAD wait a random time in [(i-1)/SPREAD, i/SPREAD] of 1.1 x T_ADD, so
#    the kills sweep the whole add. The add keeps its transaction in memory and writes the WAL only
#    when it commits, so the last AIMED rounds watch the WAL file and kill soon after the add
#    starts writing it (0-10 ms later): in the middle of the commit, or of the checkpoint after it.
# NEARDUP_CRASH_ROUNDS=N runs N rounds instead of 12 (two thirds spread, one third aimed).
ROUNDS=${NEARDUP_CRASH_ROUNDS:-12}
AIMED=$((ROUNDS / 3)) SPREAD=$((ROUNDS - ROUNDS / 3))
((EXCLUSIVE)) && AIMED=0 SPREAD=$ROUNDS
mid=0 mid_commit=0 after=0 killed_after_commit=0
wal_state() { stat -c '%s %y' "$DB-wal" 2>/dev/null; }
# True once the add has written to the WAL: it is not empty and differs from before the add.
wal_written() { local w; w=$(wal_state); [[ -n $w && ${w%% *} != 0 && $w != "$wal0" ]]; }
for ((i = 1; i <= ROUNDS; i++)); do
  wal0=$(wal_state)
  "$NEARDUP" index add "$DB" --jsonl "$WORK/second.jsonl" "${ADD_FLAGS[@]}" 2>"$WORK/add.err" &
  pid=$!
  PIDS=("$pid")
  t0=$(now_ms)
  if ((i <= SPREAD)); then
    delay_ms=$(((T_ADD * 110 / 100) * (100 * (i - 1) + RANDOM % 100) / (100 * SPREAD) + 10))
    how="after $delay_ms ms"
  else
    if [[ -s $DB-wal ]]; then # WAL frames left by an earlier kill: watch its size and time stamp
      while ! wal_written && (($(now_ms) - t0 < 3 * T_ADD + 1000)); do sleep 0.002; done
    else # a shell builtin test in a tight loop reacts within a fraction of a millisecond
      while [[ ! -s $DB-wal ]] && kill -0 "$pid" 2>/dev/null; do :; done
    fi
    delay_ms=$((RANDOM % 11))
    how="$delay_ms ms after the WAL changed ($(($(now_ms) - t0)) ms into the add)"
  fi
  ((delay_ms > 0)) && sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  rc=$?
  PIDS=()
  wal=0 journal=0
  [[ -e $DB-wal ]] && wal=$(stat -c %s "$DB-wal")
  [[ -e $DB-journal ]] && journal=$(stat -c %s "$DB-journal")
  check_index "round $i (kill $how, exit $rc)"
  if ((LAST_N == FIRST)); then
    ((rc == 137)) || fail "round $i: the add exited with $rc but added nothing: $(cat "$WORK/add.err")"
    if wal_written; then
      mid_commit=$((mid_commit + 1))
      state="killed mid-commit: nothing committed, $wal bytes of WAL left"
    else
      mid=$((mid + 1))
      state="killed mid-add, before its commit"
      ((journal > 0)) && state="$state ($journal bytes of rollback journal left)"
    fi
  else
    after=$((after + 1))
    if ((rc == 137)); then
      killed_after_commit=$((killed_after_commit + 1))
      state="killed after its commit ($wal bytes of WAL left)"
    else
      ((rc == 0)) || fail "round $i: exit $rc"
      state="completed before the kill"
    fi
    restore
  fi
  echo "round $i: kill $how: $state; the index holds $LAST_N articles"
done
echo "kill -9 rounds: $((mid + mid_commit)) mid-add ($mid before the commit, $mid_commit during it), $after after completion ($killed_after_commit of them killed after the commit, during the checkpoint or exit)"
((mid + mid_commit >= 1)) || fail "no kill landed during the add"
# The index takes a complete add after all those kills.
"$NEARDUP" index add "$DB" --jsonl "$WORK/second.jsonl" "${ADD_FLAGS[@]}" 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "add after the kills"; }
check_index "after the kill rounds"
((LAST_N == FULL)) || fail "the add after the kills did not add the batch"
if ((EXCLUSIVE)); then
  [[ ! -e $DB-journal ]] || fail "a rollback journal is left after a complete exclusive add"
  [[ $("$SQL" "$DB" "PRAGMA journal_mode") == wal ]] || fail "the index is not back in WAL mode after an exclusive add"
  echo "total $(($(now_ms) - START)) ms (part 2, readers and writers, runs without --exclusive)"
  exit 0
fi

# 2. Readers and a second writer while a writer adds.
restore
"$NEARDUP" index add "$DB" --jsonl "$WORK/second.jsonl" 2>"$WORK/writer.err" &
writer=$!
PIDS+=("$writer")
reader() { # N: loops until the writer has finished; one line per command: "stats RC ARTICLES BYTES BANDKEYS" or "query RC FOUND"
  local out=$WORK/reader.$1 s rc found
  while kill -0 "$writer" 2>/dev/null; do
    s=$("$NEARDUP" index stats "$DB" --format json 2>>"$out.err")
    rc=$?
    echo "stats $rc $(stat_of articles "$s") $(stat_of text_bytes "$s") $(stat_of band_keys "$s")" >>"$out"
    "$NEARDUP" query "$DB" --jsonl "$WORK/q.jsonl" --format csv --threshold 0.9 --containment 0 >"$out.q" 2>>"$out.err"
    rc=$?
    found=$(awk -F, '$1 == $2 && $4 == "1.0000"' "$out.q" | wc -l)
    echo "query $rc $found" >>"$out"
  done
}
for r in 1 2 3; do
  reader $r &
  PIDS+=($!)
done
sleep "$(printf '%d.%03d' $((T_ADD * 3 / 10 / 1000)) $((T_ADD * 3 / 10 % 1000)))"
t0=$(now_ms)
"$NEARDUP" index add "$DB" --jsonl "$WORK/extra.jsonl" --busy-timeout 200 >/dev/null 2>"$WORK/second.err"
second_rc=$?
t1=$(now_ms)
writer_done_early=0
kill -0 "$writer" 2>/dev/null || writer_done_early=1
wait "$writer"
writer_rc=$?
wait
PIDS=()
((writer_rc == 0)) || { cat "$WORK/writer.err" >&2; fail "the writer failed with exit $writer_rc"; }
case $second_rc in
3)
  grep -q "being written by another process" "$WORK/second.err" || { cat "$WORK/second.err" >&2; fail "second writer's message"; }
  (( t1 - t0 < 5000 )) || fail "the second writer waited $((t1 - t0)) ms with --busy-timeout 200"
  echo "second writer: refused after $((t1 - t0)) ms (exit 3: $(head -c 200 "$WORK/second.err"))"
  EXTRA=0
  ;;
0)
  echo "second writer: waited and succeeded after $((t1 - t0)) ms (first writer finished early: $writer_done_early)"
  EXTRA=5
  ;;
*) cat "$WORK/second.err" >&2; fail "second writer: exit $second_rc" ;;
esac
stats_runs=0 query_runs=0
for r in 1 2 3; do
  [[ -s $WORK/reader.$r ]] || fail "reader $r ran nothing"
  [[ ! -s $WORK/reader.$r.err ]] || { cat "$WORK/reader.$r.err" >&2; fail "reader $r printed errors"; }
  while read -r kind rc a b c; do
    ((rc == 0)) || fail "reader $r: $kind exited with $rc"
    if [[ $kind == stats ]]; then
      stats_runs=$((stats_runs + 1))
      case $a in
      "$FIRST") [[ $b == "$BYTES_FIRST" ]] || fail "reader $r saw $a articles with $b text bytes" ;;
      "$FULL") [[ $b == "$BYTES_FULL" ]] || fail "reader $r saw $a articles with $b text bytes" ;;
      $((FIRST + EXTRA)) | $((FULL + EXTRA))) ;;
      *) fail "reader $r saw $a articles: a partial add" ;;
      esac
      [[ $c == $((a * BANDS)) ]] || fail "reader $r saw $a articles but $c band keys (stats mixed two states)"
    else
      query_runs=$((query_runs + 1))
      [[ $a == 3 ]] || fail "reader $r: a query found $a of the 3 archived articles"
    fi
  done <"$WORK/reader.$r"
done
echo "readers: $stats_runs stats and $query_runs queries during the add, all consistent"
N_AFTER=$("$NEARDUP" index stats "$DB" --format json | sed -E 's/.*"articles":([0-9]+).*/\1/')
[[ $N_AFTER == $((FULL + EXTRA)) ]] || fail "after the concurrent writes: $N_AFTER articles, want $((FULL + EXTRA))"
if ((EXTRA == 0)); then
  "$NEARDUP" index add "$DB" --jsonl "$WORK/extra.jsonl" --busy-timeout 200 2>"$WORK/err" \
    || { cat "$WORK/err" >&2; fail "the second writer fails even alone"; }
fi
"$SQL" "$DB" "PRAGMA integrity_check" "SELECT count(*) FROM articles" >"$WORK/sql.out" || fail "SQL check"
[[ $(tr '\n' ' ' <"$WORK/sql.out") == "ok $((FULL + 5)) " ]] || fail "final check: $(tr '\n' ' ' <"$WORK/sql.out")"

# 3. A second writer alone during an add (found under ASan timing). The add reads the index file
#    for its page check; had it read through a descriptor of its own, closing it would have dropped
#    all the writer's POSIX locks on the file, and a second writer, refused and closing while no
#    reader had the index open, took itself for the last user: it checkpointed and deleted the WAL
#    under the writer, whose add then "succeeded" into a deleted file. The writer here waits for
#    input inside its transaction while second writers, one at a time, are refused, then readers.
restore
rm -f "$WORK/fifo"
mkfifo "$WORK/fifo"
( head -n 50 "$WORK/second.jsonl"; sleep 3; sed -n 51,100p "$WORK/second.jsonl" ) >"$WORK/fifo" &
feeder=$!
"$NEARDUP" index add "$DB" --jsonl - <"$WORK/fifo" 2>"$WORK/writer.err" &
writer=$!
PIDS+=("$feeder" "$writer")
sleep 1.5
for r in 1 2; do
  "$NEARDUP" index add "$DB" --jsonl "$WORK/extra.jsonl" --busy-timeout 50 >/dev/null 2>"$WORK/second.err"
  rc=$?
  ((rc == 3)) || { cat "$WORK/second.err" >&2; fail "second writer alone $r: exit $rc, want 3 (the index is being written)"; }
  "$NEARDUP" index stats "$DB" --format json >"$WORK/alone.$r" 2>&1 || { cat "$WORK/alone.$r" >&2; fail "reader alone $r"; }
  [[ $(stat_of articles "$(cat "$WORK/alone.$r")") == "$FIRST" ]] || fail "reader alone $r saw $(cat "$WORK/alone.$r")"
done
[[ -e $DB-wal ]] || fail "the WAL was deleted while the writer was in its transaction"
wait "$writer" || { cat "$WORK/writer.err" >&2; fail "the writer with a second writer alone failed"; }
wait "$feeder"
PIDS=()
N_AFTER=$("$NEARDUP" index stats "$DB" --format json | sed -E 's/.*"articles":([0-9]+).*/\1/')
[[ $N_AFTER == $((FIRST + 100)) ]] || fail "after an add with second writers alone: $N_AFTER articles, want $((FIRST + 100))"
echo "second writers and readers alone during an add: refused, the add kept ($N_AFTER articles)"
echo "total $(($(now_ms) - START)) ms"
echo "ok [cli_index_kill9]"

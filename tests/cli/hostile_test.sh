#!/usr/bin/env bash
# hostile_test.sh — hostile and large inputs, interruption, full disks and kill -9, with the real
# binary. Each CASE is one ctest.
#   hostile_test.sh NEARDUP GEN_CORPUS INDEX_SQL FAIL_SHIM SOURCE_DIR CASE
#
# Every case states what it measures on stdout ("measure: ...": exit code, peak RSS from
# /usr/bin/time -f %M when it is installed, wall time), so `ctest -V` shows the numbers behind the
# section "Hostile inputs and limits" of docs/safety.md. Large inputs are generated on the fly: sparse files
# (truncate) and pipes, never gigabytes written to disk; the million-files case checks the free space
# and inodes first and skips (exit 77) when they are short. Everything lives under one mktemp
# directory that the EXIT trap removes (and unmounts, for the full-disk case).
set -u
NEARDUP=$1
GEN=$2
SQL=$3
SHIM=$4
SRC=$5
CASE=$6
WORK=$(mktemp -d "${TMPDIR:-/tmp}/neardup-hostile.XXXXXX")
PIDS=()
MOUNTS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL [$CASE]: $*" >&2; exit 1; }
skip() { echo "SKIP [$CASE]: $*"; exit 77; }
measure() { echo "measure: $*"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# NEARDUP_VALGRIND=1 (as for cli_test.sh) runs every neardup command under valgrind memcheck; the
# parts that are about size, memory or timing are left out then (the ASan run covers their code).
VALGRIND=0
if [[ ${NEARDUP_VALGRIND:-0} == 1 ]]; then VALGRIND=1; fi
source "$SRC/tests/cli/valgrind.sh"
# vg_skip WHAT: ends the case here (passed) under valgrind.
vg_skip() {
  if ((VALGRIND)); then
    echo "valgrind: not run under valgrind: $*"
    exit 0
  fi
}

HAVE_TIME=0
[[ -x /usr/bin/time && $VALGRIND == 0 ]] && HAVE_TIME=1
# AddressSanitizer (shadow memory, quarantine) roughly doubles or triples peak RSS: limits x 4.
RSS_SCALE=1
if ldd "$NEARDUP" 2>/dev/null | grep -q libasan; then
  RSS_SCALE=4
  echo "AddressSanitizer build: RSS limits x $RSS_SCALE"
fi
# run WANT CMD...: runs CMD with stdout/stderr to $WORK/out, $WORK/err, measuring its peak RSS (KB, in
# $RSS; 0 without /usr/bin/time) and wall time (ms, in $MS). Fails unless the exit code is WANT.
run() {
  local want=$1; shift
  local t0 t1 got
  t0=$(now_ms)
  if ((HAVE_TIME)); then
    /usr/bin/time -f %M -o "$WORK/rss" "$@" >"$WORK/out" 2>"$WORK/err"
    got=$?
    RSS=$(tail -n 1 "$WORK/rss")
    [[ $RSS =~ ^[0-9]+$ ]] || RSS=0
  else
    "$@" >"$WORK/out" 2>"$WORK/err"
    got=$?
    RSS=0
  fi
  t1=$(now_ms)
  MS=$((t1 - t0))
  [[ $got == "$want" ]] || { head -c 4000 "$WORK/err" >&2; fail "exit $got, want $want: $*"; }
}
# rss_below MB WHAT: the last run's peak RSS was under MB megabytes (when it could be measured).
rss_below() {
  ((HAVE_TIME)) || return 0
  ((RSS < $1 * 1024 * RSS_SCALE)) || fail "$2: peak RSS $((RSS / 1024)) MB, want under $(($1 * RSS_SCALE)) MB"
}
expect_err() { grep -qF -- "$1" "$WORK/err" || { head -c 4000 "$WORK/err" >&2; fail "stderr lacks: $1"; }; }
expect_out() { grep -qF -- "$1" "$WORK/out" || { head -c 4000 "$WORK/out" >&2; fail "stdout lacks: $1"; }; }
err_lines() { # N: stderr has exactly N lines
  [[ $(wc -l <"$WORK/err") == "$1" ]] || { cat "$WORK/err" >&2; fail "want exactly $1 lines on stderr"; }
}
# articles_read: M in the last "... of M articles are in a cluster." line of scan's text output.
articles_read() { sed -nE 's/.* of ([0-9]+) articles are in a cluster\.$/\1/p' "$WORK/out" | tail -n 1; }
# no_temp DIR: no temporary output file (.NAME.tmp-XXXXXX or NAME.tmp-XXXXXX) is left in DIR.
no_temp() {
  local left
  left=$(find "$1" -maxdepth 3 -name '*.tmp-*' 2>/dev/null)
  [[ -z $left ]] || fail "temporary file left behind: $left"
}

# A news-like article of N words from a fixed vocabulary; deterministic for SEED.
make_article() { # SEED N
  RANDOM=$1
  local n=$2 i out=""
  local words=(council harbour barrier vote mayor engineers residents flood storm gates budget river coast
    plan report minister funding project homes business insurance tide surge summer winter city officials
    said would could years million metres protect level water build warned agreed critics support local)
  for ((i = 0; i < n; i++)); do
    out+="${words[RANDOM % ${#words[@]}]} "
  done
  printf '%s\n' "$out"
}
# One JSON Lines record {"id": ID, "text": TEXT} (TEXT: plain words, no escaping needed).
rec() { printf '{"id":"%s","text":"%s"}\n' "$1" "$2"; }
# The stats of index DB (JSON); prints FIELD.
index_stat() { # DB FIELD
  "$NEARDUP" index stats "$1" --format json 2>/dev/null | sed -E "s/.*\"$2\":([0-9]+).*/\1/"
}
# index_ok DB N: the index holds N articles, passes SQLite's integrity check, and `index check`
# (every row, group and posting block; each article exactly its postings) finds it sound.
index_ok() {
  local got
  got=$("$SQL" "$1" "PRAGMA integrity_check" "SELECT count(*) FROM articles" 2>&1 | tr '\n' ' ')
  [[ $got == "ok $2 " ]] || fail "index $1: integrity/count check gave '$got', want 'ok $2 '"
  "$NEARDUP" index check "$1" >/dev/null 2>"$WORK/check.err" || { cat "$WORK/check.err" >&2; fail "index $1: index check"; }
}

cd "$SRC" || fail "no source dir $SRC"

case $CASE in

# ---- bytes that are not text ---------------------------------------------------------------------
hostile_encoding)
  mkdir -p "$WORK/in"
  make_article 1 300 >"$WORK/in/good1.txt"
  { cat "$WORK/in/good1.txt"; echo "Updated at noon."; } >"$WORK/in/good2.txt"
  printf 'abc \x80 def ghi\n' >"$WORK/in/stray.txt"
  printf 'abc def \xe2\x82' >"$WORK/in/truncated.txt"
  printf 'ab \xc0\xaf cd ef\n' >"$WORK/in/overlong2.txt"        # "/" as 2 bytes
  printf 'ab \xe0\x80\xaf cd ef\n' >"$WORK/in/overlong3.txt"    # "/" as 3 bytes
  printf 'ab \xf0\x80\x80\xaf cd ef\n' >"$WORK/in/overlong4.txt" # "/" as 4 bytes
  printf 'ab \xed\xa0\x80 cd ef\n' >"$WORK/in/surrogate.txt"    # U+D800
  printf 'ab \xf4\x90\x80\x80 cd ef\n' >"$WORK/in/beyond.txt"   # U+110000
  printf 'abc\0def ghi\n' >"$WORK/in/nul.txt"
  run 1 "$NEARDUP" pairs "$WORK/in" --format csv
  for f in stray:4 truncated:8 overlong2:3 overlong3:3 overlong4:3 surrogate:3 beyond:3; do
    expect_err "$WORK/in/${f%%:*}.txt: invalid UTF-8 at byte offset ${f##*:}"
  done
  expect_err "$WORK/in/nul.txt: binary data: NUL byte at offset 3"
  err_lines 8
  expect_out "$WORK/in/good1.txt,$WORK/in/good2.txt,"
  # --lossy: invalid bytes separate words; a NUL byte still makes a file binary.
  run 1 "$NEARDUP" scan "$WORK/in" --lossy
  expect_err "$WORK/in/nul.txt: binary data"
  err_lines 1
  [[ $(articles_read) == 9 ]] || fail "--lossy: want 9 articles read, got $(articles_read)"

  # The same hostile bytes inside JSON Lines records.
  body=$(make_article 1 300)
  {
    rec good1 "$body"
    printf '{"id":"raw-invalid","text":"ab \xc0\xaf cd"}\n'
    printf '{"id":"raw-nul","text":"ab \0 cd"}\n'
    printf '{"id":"nul-escape","text":"ab \\u0000 cd"}\n'
    printf '{"id":"nul\\u0000id","text":"ab cd ef"}\n'
    printf '{"id":"lone-surrogate","text":"ab \\ud800 cd ef"}\n'
    printf '{"id":"bad-id-\xff","text":"ab cd ef"}\n'
    printf '{"id":"\\udc00x","text":"ab cd ef"}\n'
    printf '{"id":"m","text":"ab cd ef","url":"\\udc00y"}\n'
    rec good2 "$body updated"
  } >"$WORK/feed.jsonl"
  run 1 "$NEARDUP" pairs --jsonl "$WORK/feed.jsonl" --format csv
  expect_err "$WORK/feed.jsonl:2: malformed JSON: JSON data must be UTF-8 encoded"
  expect_err "$WORK/feed.jsonl:3: binary data: a NUL byte at byte 27 of the line"
  expect_err "$WORK/feed.jsonl:4: binary data: the text (field \"text\") contains \\u0000 (NUL) at byte 30 of the line"
  expect_err "$WORK/feed.jsonl:5: binary data: the id (field \"id\") contains \\u0000 (NUL) at byte 10 of the line"
  expect_err "$WORK/feed.jsonl:6: malformed JSON line: the escape \\ud800 at byte 34 is half of a UTF-16 surrogate pair"
  expect_err "$WORK/feed.jsonl:7: malformed JSON: JSON data must be UTF-8 encoded"
  expect_err "$WORK/feed.jsonl:8: malformed JSON line: the escape \\udc00 at byte 7 is half of a UTF-16 surrogate pair"
  expect_err "$WORK/feed.jsonl:9: malformed JSON line: the escape \\udc00 at byte 35 is half of a UTF-16 surrogate pair"
  err_lines 8
  expect_out "good1,good2,"
  measure "encoding: 8 hostile files and 8 hostile JSON records each reported with input and offset, exit 1"
  ;;

# ---- JSON Lines: nesting, huge strings, ids ------------------------------------------------------
hostile_json)
  text=$(make_article 2 200)
  # 100,000 levels of nesting crashed json-glib's recursive parser (stack overflow) before the
  # pre-check; 512 levels are accepted, 513 refused, an unclosed million refused (before the grammar
  # check finds the line incomplete).
  {
    printf '{"id":"deep","text":"%s","meta":' "$text"; head -c 100000 /dev/zero | tr '\0' '['
    head -c 100000 /dev/zero | tr '\0' ']'; printf '}\n'
    printf '{"id":"d512","text":"%s x","meta":' "$text"; head -c 511 /dev/zero | tr '\0' '['
    head -c 511 /dev/zero | tr '\0' ']'; printf '}\n'
    printf '{"id":"d513","text":"%s","meta":' "$text"; head -c 512 /dev/zero | tr '\0' '['
    head -c 512 /dev/zero | tr '\0' ']'; printf '}\n'
    printf '{"id":"open","text":"x","meta":'; head -c 1000000 /dev/zero | tr '\0' '['; printf '\n'
    rec after "$text y"
  } >"$WORK/deep.jsonl"
  run 1 "$NEARDUP" scan --jsonl "$WORK/deep.jsonl"
  expect_err "$WORK/deep.jsonl:1: malformed JSON line: nested more than 512 levels deep"
  expect_err "$WORK/deep.jsonl:3: malformed JSON line: nested more than 512 levels deep"
  expect_err "$WORK/deep.jsonl:4: malformed JSON line: nested more than 512 levels deep"
  err_lines 3
  [[ $(articles_read) == 2 ]] || fail "deep: want d512 and after read, got $(articles_read)"
  measure "nesting: 100,000 and 1,000,000 levels refused, exit 1, peak RSS $((RSS / 1024)) MB, $MS ms"

  if ((!VALGRIND)); then
  # A record whose text is a 100 MB string (default --max-bytes 64 MiB): refused by a pre-scan,
  # never parsed; the next record is read.
  { printf '{"id":"huge","text":"'; head -c 100000000 /dev/zero | tr '\0' 'x'; printf '"}\n'; rec after "$text"; } \
    >"$WORK/huge.jsonl"
  run 1 "$NEARDUP" scan --jsonl "$WORK/huge.jsonl"
  expect_err "$WORK/huge.jsonl:1: a string in the record is larger than the maximum of 67108864 bytes; the line of 100000023 bytes is not parsed (see --max-bytes)"
  err_lines 1
  [[ $(articles_read) == 1 ]] || fail "the record after the huge one was not read"
  rss_below 250 "100 MB string"
  measure "100 MB JSON string: refused before parsing, exit 1, peak RSS $((RSS / 1024)) MB, $MS ms"
  # 100 MB of one-letter words (50 M tokens), allowed by --max-bytes: parsed, then refused by the
  # default --max-tokens (4 Mi) while counting, before signing would hold ~1.6 GB of token arrays.
  { printf '{"id":"words","text":"'; head -c 100000000 /dev/zero | tr '\0' 'x' | sed 's/xx/x /g'; printf '"}\n'
    rec after "$text"; } >"$WORK/words.jsonl"
  run 1 "$NEARDUP" scan --jsonl "$WORK/words.jsonl" --max-bytes 150000000
  expect_err "$WORK/words.jsonl:1: record \"words\": article has more than the maximum of 4194304 tokens"
  rss_below 700 "100 MB of words"
  measure "100 MB JSON string of 50 M words with --max-bytes 150000000: parsed, refused by --max-tokens before signing, peak RSS $((RSS / 1024)) MB, $MS ms"
  rm -f "$WORK/huge.jsonl" "$WORK/words.jsonl"
  fi

  # Duplicate and empty ids: each reported with the input, the first of each id kept.
  {
    rec a "$(make_article 3 100)"
    rec a "$(make_article 4 100)"
    printf '{"id":1,"text":"%s"}\n' "$(make_article 5 100)"
    rec 1 "$(make_article 6 100)"
    rec "" "$(make_article 7 100)"
    rec b "$(make_article 8 100)"
  } >"$WORK/ids.jsonl"
  run 1 "$NEARDUP" scan --jsonl "$WORK/ids.jsonl"
  expect_err "$WORK/ids.jsonl:2: duplicate id 'a'"
  expect_err "$WORK/ids.jsonl:4: duplicate id '1'"
  expect_err "$WORK/ids.jsonl:5: the field \"id\" is an empty string"
  err_lines 3
  [[ $(articles_read) == 3 ]] || fail "ids: want a, 1, b read, got $(articles_read)"
  # The same file twice, and through its directory: one article, the repeats reported.
  mkdir -p "$WORK/d"
  make_article 9 100 >"$WORK/d/x.txt"
  make_article 10 100 >"$WORK/d/y.txt"
  run 1 "$NEARDUP" scan "$WORK/d/x.txt" "$WORK/d/x.txt" "$WORK/d" "$WORK/d/"
  expect_err "$WORK/d/x.txt: duplicate id '$WORK/d/x.txt'"
  expect_err "$WORK/d/y.txt: duplicate id '$WORK/d/y.txt'"
  err_lines 4
  [[ $(articles_read) == 2 ]] || fail "paths: want 2 distinct ids, got $(articles_read)"
  # Ids already archived: reported and skipped by index add, the rest added.
  "$NEARDUP" index create "$WORK/ix.db" 2>/dev/null || fail "index create"
  run 1 "$NEARDUP" index add "$WORK/ix.db" --jsonl "$WORK/ids.jsonl"
  run 1 "$NEARDUP" index add "$WORK/ix.db" --jsonl "$WORK/ids.jsonl"
  expect_err "already"
  [[ $(index_stat "$WORK/ix.db" articles) == 3 ]] || fail "index: want 3 articles"
  index_ok "$WORK/ix.db" 3
  ;;

# ---- directory trees -----------------------------------------------------------------------------
hostile_tree)
  mkdir -p "$WORK/empty" "$WORK/hidden" "$WORK/t/sub/deeper" "$WORK/t/emptysub"
  : >"$WORK/hidden/.only-hidden"
  run 3 "$NEARDUP" scan "$WORK/empty"
  expect_err "$WORK/empty: directory contains no files"
  expect_err "no article could be read"
  run 3 "$NEARDUP" scan "$WORK/hidden"
  expect_err "$WORK/hidden: directory contains no files"
  make_article 11 200 >"$WORK/t/a.txt"
  { cat "$WORK/t/a.txt"; echo "Updated."; } >"$WORK/t/sub/b.txt"
  make_article 12 200 >"$WORK/t/sub/deeper/c.txt"
  ln -s self "$WORK/t/self"                  # a link to itself: ELOOP
  ln -s nowhere "$WORK/t/broken"             # a dangling link
  ln -s .. "$WORK/t/sub/up"                  # a loop to the parent: links to directories are skipped
  ln -s ../../.. "$WORK/t/sub/deeper/top"    # further up
  ln -s "$WORK/t/a.txt" "$WORK/t/sub/link-to-a.txt" # a link to a file is followed (a second id)
  mkfifo "$WORK/t/fifo"                      # must not block the walk
  run 1 timeout 60 "$NEARDUP" scan "$WORK/t" --threads 2
  expect_err "$WORK/t/self: broken or looping symbolic link"
  expect_err "$WORK/t/broken: broken or looping symbolic link"
  expect_err "$WORK/t/fifo: not a regular file; skipped"
  err_lines 3
  [[ $(articles_read) == 4 ]] || fail "tree: want a, b, c and the link to a, got $(articles_read)"
  # Explicit arguments: a looping link, a FIFO without a writer (read as empty, never waits), a
  # device (/dev/zero: refused after --max-bytes + 1 bytes), a pipe (process substitution).
  run 1 timeout 60 "$NEARDUP" scan "$WORK/t/self" "$WORK/t/fifo" /dev/zero <(cat "$WORK/t/a.txt") "$WORK/t/a.txt" --max-bytes 1000000
  expect_err "$WORK/t/self: broken or looping symbolic link"
  expect_err "$WORK/t/fifo: empty article"
  expect_err "/dev/zero: stream holds more than the maximum of 1000000 bytes"
  [[ $(articles_read) == 2 ]] || fail "explicit: want the pipe and a.txt, got $(articles_read)"
  rss_below 100 "/dev/zero"
  measure "tree: loops, dangling links, FIFOs, /dev/zero reported without blocking, $MS ms"
  # A list naming the same hostile paths.
  printf '%s\n' "$WORK/t/self" "$WORK/t/fifo" "$WORK/t/a.txt" "$WORK/t" >"$WORK/list"
  run 1 timeout 60 "$NEARDUP" scan --files-from "$WORK/list"
  expect_err "$WORK/t/fifo: empty article"
  expect_err "$WORK/t/a.txt: duplicate id"
  ;;

# ---- files that vanish or fail while the run reads them (LD_PRELOAD shim) ------------------------
hostile_vanish)
  [[ -f $SHIM ]] || fail "no shim $SHIM"
  mkdir -p "$WORK/in"
  for f in a b c d e; do make_article "$(printf '%d' "'$f")" 200 >"$WORK/in/$f.txt"; done
  # The shim fails open() of b.txt with ENOENT (deleted after the walk listed it) and of c.txt with
  # EACCES (made unreadable; root ignores chmod), and read() of d.txt with EIO.
  shim=(env LD_PRELOAD="$SHIM" ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
    SHIM_ENOENT=/b.txt SHIM_EACCES=/c.txt SHIM_EIO=/d.txt)
  run 1 "${shim[@]}" "$NEARDUP" scan "$WORK/in"
  expect_err "$WORK/in/b.txt: cannot open: No such file or directory"
  expect_err "$WORK/in/c.txt: cannot open: Permission denied"
  expect_err "$WORK/in/d.txt: read error: Input/output error"
  err_lines 3
  [[ $(articles_read) == 2 ]] || fail "vanish: want a and e read, got $(articles_read)"
  run 3 "${shim[@]}" "$NEARDUP" scan "$WORK/in" --strict
  expect_err "$WORK/in/b.txt: cannot open"
  expect_err "stopped at the first unreadable input (--strict)"
  # A list and a JSON Lines feed that vanish or fail.
  ls "$WORK"/in/*.txt >"$WORK/list"
  { rec one "$(make_article 20 100)"; rec two "$(make_article 21 100)"; } >"$WORK/b.txt.jsonl"
  cp "$WORK/b.txt.jsonl" "$WORK/d.txt.jsonl"
  run 1 "${shim[@]}" "$NEARDUP" scan --files-from "$WORK/list" --jsonl "$WORK/b.txt.jsonl" --jsonl "$WORK/d.txt.jsonl"
  expect_err "$WORK/b.txt.jsonl: cannot open: No such file or directory"
  expect_err "$WORK/d.txt.jsonl: read error after line 0: Input/output error"
  [[ $(articles_read) == 2 ]] || fail "lists: want a and e read, got $(articles_read)"
  # diff with a failing source; index add keeps what it could read.
  run 1 "${shim[@]}" "$NEARDUP" diff "$WORK/in/a.txt" "$WORK/in/b.txt" "$WORK/in/e.txt"
  expect_err "$WORK/in/b.txt: cannot open"
  "$NEARDUP" index create "$WORK/ix.db" 2>/dev/null || fail "index create"
  run 1 "${shim[@]}" "$NEARDUP" index add "$WORK/ix.db" "$WORK/in"
  expect_err "added 2 articles"
  index_ok "$WORK/ix.db" 2

  vg_skip "the race of deleting files during a scan"
  # A real race: files deleted (by one `find -delete`) while scan walks and reads the tree. Whatever
  # the timing, the run must not crash, every file that stays must be read, nothing may be counted
  # twice, and every file that vanished between the walk and the read is reported.
  mkdir -p "$WORK/race"
  for ((i = 0; i < 15000; i++)); do echo "story $i about the council vote number $((i * 7)) today"; done |
    awk -v d="$WORK/race" '{ f = sprintf("%s/g%d_%05d.txt", d, NR % 3, NR); print > f; close(f) }'
  total=15000
  for round in 0 1 2; do
    find "$WORK/race" -name "g${round}_*" -delete &
    PIDS=($!)
    "$NEARDUP" scan "$WORK/race" --threads 2 --exact-limit 0 >"$WORK/out" 2>"$WORK/err"
    rc=$?
    wait "${PIDS[0]}"
    PIDS=()
    [[ $rc == 0 || $rc == 1 || $rc == 3 ]] || { head "$WORK/err" >&2; fail "race round $round: exit $rc"; }
    read_n=$(articles_read)
    read_n=${read_n:-0}
    left=$(find "$WORK/race" -type f | wc -l)
    # After 100 reports of one kind the rest are counted in one summary line.
    summarised=$(sed -nE 's/^neardup: ([0-9]+) more inputs skipped as: no such file or directory \(not listed\)$/\1/p' "$WORK/err")
    reported=$(($(grep -c 'No such file or directory' "$WORK/err") + ${summarised:-0}))
    others=$(grep -v 'No such file or directory' "$WORK/err" | grep -v 'no article could be read' |
      grep -v 'further inputs skipped for this reason are counted' | grep -vc 'more inputs skipped as: no such file')
    ((others == 0)) || { head "$WORK/err" >&2; fail "race round $round: unexpected messages"; }
    ((read_n >= left && read_n + reported <= total)) \
      || fail "race round $round: read $read_n, reported $reported, $left files left of $total"
    measure "race round $round: $read_n read, $reported reported vanished, $((total - read_n - reported)) gone before the walk, $left left, exit $rc"
    total=$left
  done
  ;;

# ---- output targets that are not regular files ---------------------------------------------------
hostile_output_targets)
  mkdir -p "$WORK/in" "$WORK/o"
  make_article 60 200 >"$WORK/in/a.txt"
  { cat "$WORK/in/a.txt"; echo "Updated."; } >"$WORK/in/b.txt"
  # -o /dev/null: written in place. (Renaming a temporary file over it, as root, used to replace
  # the device node with a regular file.)
  before=$(stat -c '%F %t:%T' /dev/null)
  run 0 "$NEARDUP" pairs "$WORK/in" -o /dev/null
  if [[ $(stat -c '%F %t:%T' /dev/null) != "$before" ]]; then
    now=$(stat -c '%F' /dev/null)
    rm -f /dev/null && mknod -m 666 /dev/null c 1 3 # repair the machine before failing
    fail "/dev/null was replaced by a $now (repaired)"
  fi
  [[ -z $(find /dev -maxdepth 1 -name '.null.tmp-*' 2>/dev/null) ]] || fail "temporary file left in /dev"
  # A FIFO with a reader gets the output.
  mkfifo "$WORK/o/fifo"
  cat "$WORK/o/fifo" >"$WORK/fifo.out" &
  PIDS=($!)
  run 0 "$NEARDUP" pairs "$WORK/in" --format csv -o "$WORK/o/fifo"
  wait "${PIDS[0]}"
  PIDS=()
  grep -q "^$WORK/in/a.txt,$WORK/in/b.txt," "$WORK/fifo.out" || fail "the FIFO's reader did not get the pairs"
  [[ -p $WORK/o/fifo ]] || fail "the FIFO was replaced"
  # A symbolic link: the file it points to is replaced, the link stays a link.
  echo "old" >"$WORK/o/real.csv"
  ln -s real.csv "$WORK/o/link.csv"
  run 0 "$NEARDUP" pairs "$WORK/in" --format csv -o "$WORK/o/link.csv"
  [[ -L $WORK/o/link.csv ]] || fail "the symbolic link was replaced by a file"
  grep -q "^$WORK/in/a.txt,$WORK/in/b.txt," "$WORK/o/real.csv" || fail "the link's target was not written"
  # A directory: refused before any work.
  run 3 "$NEARDUP" pairs "$WORK/in" -o "$WORK/o"
  expect_err "$WORK/o: cannot create output: is a directory"
  no_temp "$WORK/o"
  ;;

# ---- tiny articles beyond --exact-limit ----------------------------------------------------------
hostile_lean_tiny)
  # Beyond --exact-limit the collection frees signatures and keeps 1-in-16 shingle samples; a tiny
  # article can have no sample at all. Two identical 7-word articles are LSH candidates with no
  # fingerprints: verification must not need the freed signatures. (The million-files case hits
  # this at the defaults.)
  mkdir -p "$WORK/in"
  printf 'the alpha council voted on the budget\n' >"$WORK/in/a.txt"
  cp "$WORK/in/a.txt" "$WORK/in/b.txt"
  printf 'unrelated words about the weather today\n' >"$WORK/in/c.txt"
  run 0 "$NEARDUP" pairs "$WORK/in" --exact-limit 1 --format csv
  expect_err "more than 1 articles: scores are computed on 1-in-16 shingle samples"
  ;;

# ---- explicit limits -----------------------------------------------------------------------------
hostile_limits)
  make_article 30 200 >"$WORK/small.txt"
  head -c 2000000 /dev/zero | tr '\0' 'a' | sed 's/aaaa/aaa /g' >"$WORK/two-mb.txt"
  run 1 "$NEARDUP" scan "$WORK/two-mb.txt" "$WORK/small.txt" --max-bytes 1000000
  expect_err "$WORK/two-mb.txt: file of 2000000 bytes is larger than the maximum of 1000000 bytes (see --max-bytes)"
  run 1 "$NEARDUP" scan - "$WORK/small.txt" --max-bytes 1000000 <"$WORK/two-mb.txt"
  expect_err "-: standard input holds more than the maximum of 1000000 bytes; not read further (see --max-bytes)"
  { printf '{"id":"long","text":"'; cat "$WORK/two-mb.txt"; printf '"}\n'; rec ok "$(cat "$WORK/small.txt")"; } >"$WORK/long.jsonl"
  run 1 "$NEARDUP" scan --jsonl "$WORK/long.jsonl" --max-bytes 900000
  expect_err "$WORK/long.jsonl:1: line of 2000023 bytes is longer than the maximum of 1801024 bytes for a record"
  [[ $(articles_read) == 1 ]] || fail "the record after the long line was not read"
  run 1 "$NEARDUP" scan --jsonl "$WORK/long.jsonl" --max-bytes 1500000
  expect_err "$WORK/long.jsonl:1: a string in the record is larger than the maximum of 1500000 bytes"

  # --max-tokens: exact at the boundary, checked before signing (chunked count), for words and
  # characters, for files, JSON Lines and diff.
  seq 1 300000 | tr '\n' ' ' >"$WORK/300k.txt" # 300,000 tokens
  run 0 "$NEARDUP" scan "$WORK/300k.txt" "$WORK/small.txt" --max-tokens 300000
  run 1 "$NEARDUP" scan "$WORK/300k.txt" "$WORK/small.txt" --max-tokens 299999
  expect_err "$WORK/300k.txt: article has more than the maximum of 299999 tokens"
  printf '%s\n' '東京都の議会は新しい予算案を可決した。市民は歓迎している。' >"$WORK/ja.txt" # 27 letters
  printf '%s\n' '東京都の議会は新しい予算案を可決した。' >"$WORK/ja-short.txt" # 17 letters
  run 0 "$NEARDUP" scan "$WORK/ja.txt" --shingle chars:2 --max-tokens 27
  run 1 "$NEARDUP" scan "$WORK/ja.txt" "$WORK/ja-short.txt" --shingle chars:2 --max-tokens 26
  expect_err "$WORK/ja.txt: article has more than the maximum of 26 tokens"
  err_lines 1
  rec many "$(cat "$WORK/300k.txt")" >"$WORK/many.jsonl"
  run 1 "$NEARDUP" scan --jsonl "$WORK/many.jsonl" "$WORK/small.txt" --max-tokens 1000
  expect_err "$WORK/many.jsonl:1: record \"many\": article has more than the maximum of 1000 tokens"
  run 1 "$NEARDUP" diff "$WORK/small.txt" "$WORK/300k.txt" "$WORK/small.txt" --max-tokens 1000
  expect_err "$WORK/300k.txt: article has more than the maximum of 1000 tokens"
  run 2 "$NEARDUP" scan "$WORK/small.txt" --max-tokens -1
  expect_err "--max-tokens"
  vg_skip "60 MB of one-letter words"
  # 64 MiB of one-letter words is 32 M tokens: refused by the default --max-tokens (4 Mi) while
  # counting, never tokenised whole (that would hold ~1 GB of token arrays).
  truncate -s 0 "$WORK/x.txt"
  head -c 60000000 /dev/zero | tr '\0' 'x' | sed 's/xx/x /g' >"$WORK/x.txt"
  run 1 "$NEARDUP" scan "$WORK/x.txt" "$WORK/small.txt"
  expect_err "$WORK/x.txt: article has more than the maximum of 4194304 tokens"
  rss_below 150 "60 MB of one-letter words"
  measure "60 MB file of 30 M one-letter words: refused by --max-tokens, peak RSS $((RSS / 1024)) MB, $MS ms"
  run 0 "$NEARDUP" scan "$WORK/x.txt" "$WORK/small.txt" --max-tokens 0
  measure "the same with --max-tokens 0 (no limit): signed, peak RSS $((RSS / 1024)) MB, $MS ms"
  ;;

# ---- web pages, WARC records, compressed files -------------------------------------------------
hostile_pages)
  make_article 40 150 >"$WORK/small.txt"
  # a charset that lies: <meta> says UTF-8, the bytes are latin-1
  printf '<html><head><meta charset="utf-8"></head><body><p>Le caf\xe9 du port rouvre apr\xe8s six mois de travaux, a dit la maire \xe0 la presse locale ce matin.</p></body></html>' >"$WORK/lying.html"
  run 0 "$NEARDUP" extract "$WORK/lying.html"
  expect_out "Le café du port rouvre après six mois"
  expect_err "$WORK/lying.html: warning: the <meta> tag says UTF-8, but 3 bytes are not UTF-8 (the first at byte 56); read as windows-1252"
  # ... and one that says latin-1 over UTF-8 bytes
  printf '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head><body><p>Le café du port rouvre après six mois de travaux.</p></body></html>' >"$WORK/lying2.html"
  run 0 "$NEARDUP" extract "$WORK/lying2.html"
  expect_out "Le café du port rouvre après"
  expect_err "warning: the <meta> tag says WINDOWS-1252, but the bytes are UTF-8; read as UTF-8"
  # a truncated gzip file, a gzip file with garbage after it: reported, the others read
  gzip -c "$WORK/small.txt" >"$WORK/full.txt.gz"
  head -c 300 "$WORK/full.txt.gz" >"$WORK/cut.txt.gz"
  { cat "$WORK/full.txt.gz"; printf 'garbage after the gzip member'; } >"$WORK/tail.txt.gz"
  run 1 "$NEARDUP" scan "$WORK/cut.txt.gz" "$WORK/tail.txt.gz" "$WORK/full.txt.gz"
  expect_err "$WORK/cut.txt.gz: truncated gzip data: the input ends inside a compressed member (at byte 300)"
  expect_err "$WORK/tail.txt.gz: data that is not gzip after the end of the compressed data"
  [[ $(articles_read) == 1 ]] || fail "the whole gzip file should be read"
  # WARC: a wrong chunk size, binary data behind text/html, a Content-Length past the end of the file;
  # the good records are read
  warc_rec() { # URI HTTP-HEAD BODY [DECLARED]
    local http
    http=$(printf '%s\r\n\r\n%s' "$2" "$3")
    local n=${4:-${#http}}
    printf 'WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: %s\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n%s\r\n\r\n' "$1" "$n" "$http"
  }
  page='<html><body><p>'"$(cat "$WORK/small.txt")"'</p></body></html>'
  {
    warc_rec https://good.example/1 $'HTTP/1.1 200 OK\r\nContent-Type: text/html' "$page"
    warc_rec https://bad.example/chunk $'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked' $'10\r\n<html><body><p>more than sixteen bytes in this chunk</p></body></html>\r\n0\r\n\r\n'
    printf 'WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: https://bad.example/png\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: 63\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\r\n\r\n'
    warc_rec https://good.example/2 $'HTTP/1.1 200 OK\r\nContent-Type: text/plain' "$(make_article 41 120)"
    warc_rec https://bad.example/past-the-end $'HTTP/1.1 200 OK\r\nContent-Type: text/html' "$page" 100000000
  } >"$WORK/crawl.warc"
  gzip -c "$WORK/crawl.warc" >"$WORK/crawl.warc.gz"
  for f in crawl.warc crawl.warc.gz; do
    run 1 "$NEARDUP" scan "$WORK/$f"
    expect_err "$WORK/$f@"
    expect_err "HTTP chunked body: the chunk of 16 bytes at byte 0 is not followed by a line end (a wrong chunk size?)"
    expect_err "binary data (a NUL byte or the signature of a binary format) behind Content-Type text/html"
    expect_err "truncated record: its Content-Length is 100000000 bytes, but the input ends after"
    [[ $(articles_read) == 2 ]] || fail "$f: the two good records should be read"
  done
  vg_skip "10^6 nested elements"
  # 10^6 nested elements: linear, text kept
  { printf '<html><body>'; yes '<div>' | head -n 1000000 | tr -d '\n'; printf '<p>Text under a million nested elements is read.</p>'; yes '</div>' | head -n 1000000 | tr -d '\n'; printf '</body></html>'; } >"$WORK/deep.html"
  run 0 "$NEARDUP" extract "$WORK/deep.html"
  expect_out "Text under a million nested elements is read."
  rss_below 400 "10^6 nested elements"
  measure "10^6 nested elements (12 MB page): extracted, peak RSS $((RSS / 1024)) MB, $MS ms"
  ;;
hostile_large_page)
  vg_skip "a 100 MB page"
  # a 100 MB page of paragraphs: extracted in linear time; by default refused by its size
  { printf '<html><head><title>A very long page</title></head><body><article>'
    for ((i = 0; i < 200; i++)); do printf '<p>%s</p>\n' "$(make_article $i 100)"; done >"$WORK/chunk.html"
    while [[ $(stat -c %s "$WORK/page.part" 2>/dev/null || echo 0) -lt 100000000 ]]; do cat "$WORK/chunk.html" >>"$WORK/page.part"; done
    cat "$WORK/page.part"; printf '</article></body></html>'; } >"$WORK/big.html"
  size=$(stat -c %s "$WORK/big.html")
  run 1 "$NEARDUP" scan "$WORK/big.html" "$SRC/tests/data/pages"
  expect_err "$WORK/big.html: file of $size bytes is larger than the maximum of 67108864 bytes (see --max-bytes)"
  run 0 "$NEARDUP" extract "$WORK/big.html" --max-bytes 200000000 --max-tokens 0
  [[ $(wc -c <"$WORK/out") -gt 50000000 ]] || fail "the page's text was not extracted"
  rss_below 1200 "a 100 MB page"
  measure "a $size-byte page of paragraphs: extracted, peak RSS $((RSS / 1024)) MB, $MS ms"
  run 1 "$NEARDUP" scan "$WORK/big.html" "$SRC/tests/data/pages" --max-bytes 200000000
  expect_err "$WORK/big.html: article has more than the maximum of 4194304 tokens"
  measure "the same with scan: refused by --max-tokens after extraction, peak RSS $((RSS / 1024)) MB, $MS ms"
  ;;

# ---- SIGINT / SIGTERM ----------------------------------------------------------------------------
hostile_interrupt)
  vg_skip "timing-driven"
  "$GEN" -n 3000 --jsonl "$WORK/c.jsonl" --truth "$WORK/c.truth" -s 3 2>/dev/null || fail "gen_corpus"
  mkdir -p "$WORK/o"
  echo "previous results" >"$WORK/o/keep.csv"
  # start_fed NAME LINES CMD...: runs CMD in the background with standard input from a FIFO that
  # gets the first LINES lines of c.jsonl and then stays open, so the run is waiting for input.
  start_fed() {
    local lines=$1; shift
    rm -f "$WORK/fifo"; mkfifo "$WORK/fifo"
    ( head -n "$lines" "$WORK/c.jsonl"; sleep 30 ) >"$WORK/fifo" &
    FEEDER=$!
    "$@" <"$WORK/fifo" >"$WORK/out" 2>"$WORK/err" &
    PID=$!
    PIDS=("$FEEDER" "$PID")
  }
  # stop SIG WANT: sends SIG to the run, waits for it, checks its exit code and how fast it stopped.
  stop() {
    local t0 rc
    t0=$(now_ms)
    kill -"$1" "$PID"
    wait "$PID"
    rc=$?
    STOP_MS=$(($(now_ms) - t0))
    kill "$FEEDER" 2>/dev/null
    wait "$FEEDER" 2>/dev/null
    PIDS=()
    [[ $rc == "$2" ]] || { cat "$WORK/err" >&2; fail "after SIG$1: exit $rc, want $2"; }
    ((STOP_MS < 3000)) || fail "SIG$1: took $STOP_MS ms to stop"
  }
  # 1. scan waiting on a pipe, output to a new file and over an existing one.
  for target in new.txt keep.csv; do
    start_fed 1000 "$NEARDUP" scan --jsonl - -o "$WORK/o/$target"
    sleep 1
    stop INT 130
    expect_err "neardup: interrupted"
    [[ $target == new.txt && ! -e $WORK/o/new.txt ]] || [[ $target == keep.csv ]] || fail "an output file was created"
    [[ $(cat "$WORK/o/keep.csv") == "previous results" ]] || fail "the existing output was changed"
    [[ $(ls -A "$WORK/o") == keep.csv ]] || fail "files left: $(ls -A "$WORK/o")"
    measure "SIGINT while scan waits on a pipe (-o $target): exit 130 in $STOP_MS ms, nothing written"
  done
  # 2. The same with a named temporary file (file systems without O_TMPFILE): it exists while the
  #    run works and is removed on SIGINT.
  export NEARDUP_OUTPUT_TMPFILE=0
  start_fed 1000 "$NEARDUP" pairs --jsonl - -o "$WORK/o/named.csv"
  for ((i = 0; i < 200; i++)); do [[ -n $(find "$WORK/o" -name '.named.csv.tmp-*') ]] && break; sleep 0.02; done
  [[ -n $(find "$WORK/o" -name '.named.csv.tmp-*') ]] || fail "no named temporary file while the run works"
  stop INT 130
  [[ $(ls -A "$WORK/o") == keep.csv ]] || fail "named temporary file not removed: $(ls -A "$WORK/o")"
  measure "SIGINT with a named temporary file: removed, exit 130 in $STOP_MS ms"
  # ... and SIGINT while the results are being written (passages make writing take a while).
  "$NEARDUP" pairs --jsonl "$WORK/c.jsonl" --passages --format json -o "$WORK/o/p.json" 2>"$WORK/err" &
  PID=$!
  PIDS=("$PID")
  caught=0
  for ((i = 0; i < 1000; i++)); do
    t=$(find "$WORK/o" -name '.p.json.tmp-*' -size +1k 2>/dev/null)
    if [[ -n $t ]]; then caught=$(stat -c %s "$t" 2>/dev/null || echo 1); break; fi
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.005
  done
  kill -INT "$PID" 2>/dev/null
  wait "$PID"
  rc=$?
  PIDS=()
  if ((caught)); then
    [[ $rc == 130 ]] || { cat "$WORK/err" >&2; fail "SIGINT while writing: exit $rc"; }
    [[ ! -e $WORK/o/p.json ]] || fail "SIGINT while writing: output created"
    [[ $(ls -A "$WORK/o") == keep.csv ]] || fail "SIGINT while writing: left $(ls -A "$WORK/o")"
    measure "SIGINT while writing results (a named temporary file of $caught bytes seen): removed, exit 130"
  else
    measure "SIGINT while writing results: the run finished first (exit $rc); not checked this time"
    rm -f "$WORK/o/p.json"
  fi
  unset NEARDUP_OUTPUT_TMPFILE
  # 3. SIGTERM.
  start_fed 500 "$NEARDUP" pairs --jsonl - -o "$WORK/o/t.csv"
  sleep 0.5
  stop TERM 143
  expect_err "neardup: terminated"
  [[ $(ls -A "$WORK/o") == keep.csv ]] || fail "SIGTERM: left $(ls -A "$WORK/o")"
  # 4. index add: records already added to the open transaction are rolled back.
  DB=$WORK/ix.db
  "$NEARDUP" index create "$DB" 2>/dev/null || fail "index create"
  head -n 200 "$WORK/c.jsonl" >"$WORK/first.jsonl"
  "$NEARDUP" index add "$DB" --jsonl "$WORK/first.jsonl" 2>/dev/null || fail "first add"
  sed -n 201p "$WORK/c.jsonl" >"$WORK/q.jsonl"
  qid=$(sed -E 's/^\{"id":"([^"]*)".*/\1/' "$WORK/q.jsonl")
  sed -n 1p "$WORK/c.jsonl" >"$WORK/q1.jsonl"
  start_fed 2000 "$NEARDUP" index add "$DB" --jsonl - --progress
  sleep 1.5 # the first 2000 records are read and added to the transaction by now
  stop INT 130
  expect_err "neardup: interrupted"
  expect_err "the add was rolled back: $DB is unchanged"
  [[ $(index_stat "$DB" articles) == 200 ]] || fail "index add: want 200 articles after the interrupt"
  index_ok "$DB" 200
  "$NEARDUP" query "$DB" --jsonl "$WORK/q1.jsonl" --format csv >"$WORK/out" 2>"$WORK/err" || fail "query after interrupt"
  grep -q "^$(sed -E 's/^\{"id":"([^"]*)".*/\1/' "$WORK/q1.jsonl")," "$WORK/out" || fail "query does not find an archived article"
  "$SQL" "$DB" "SELECT count(*) FROM articles WHERE id = '$qid'" >"$WORK/out" || fail "sql"
  [[ $(cat "$WORK/out") == 0 ]] || fail "an article of the interrupted add is archived"
  measure "SIGINT during index add (2000 records in the transaction): rolled back, exit 130 in $STOP_MS ms, 200 articles, integrity ok"
  # 5. dedup --add interrupted while loading: no manifest, index unchanged.
  start_fed 1000 "$NEARDUP" dedup --jsonl - --index "$DB" --add -o "$WORK/o/manifest.jsonl"
  sleep 1
  stop INT 130
  [[ $(ls -A "$WORK/o") == keep.csv ]] || fail "dedup: left $(ls -A "$WORK/o")"
  index_ok "$DB" 200
  # 6. A second SIGINT ends the run at once (for a user who does not want to wait).
  start_fed 1000 "$NEARDUP" scan --jsonl - -o "$WORK/o/twice.txt"
  sleep 0.5
  kill -INT "$PID"; kill -INT "$PID"
  wait "$PID"
  rc=$?
  kill "$FEEDER" 2>/dev/null; wait "$FEEDER" 2>/dev/null; PIDS=()
  [[ $rc == 130 ]] || fail "two SIGINTs: exit $rc"
  [[ $(ls -A "$WORK/o") == keep.csv ]] || fail "two SIGINTs: left $(ls -A "$WORK/o")"
  # 7. SIGINT during the candidate search: 4,000 copies of one article make 8 million pairs to
  #    verify; the search stops within a moment, not when it is done. The notice of sampled scores
  #    (--exact-limit) is printed just before the search starts. Measured against an uninterrupted
  #    run of the same command (its reading takes a tenth of it): stopping must take under a quarter.
  make_article 77 400 >"$WORK/one.txt"
  text=$(tr '\n"\\' '   ' <"$WORK/one.txt")
  for ((i = 0; i < 4000; i++)); do printf '{"id":"c%d","text":"%s"}\n' "$i" "$text"; done >"$WORK/copies.jsonl"
  t0=$(now_ms)
  "$NEARDUP" scan --jsonl "$WORK/copies.jsonl" --exact-limit 100 -o "$WORK/whole.txt" 2>/dev/null || fail "copies: uninterrupted run"
  WHOLE_MS=$(($(now_ms) - t0))
  "$NEARDUP" scan --jsonl "$WORK/copies.jsonl" --exact-limit 100 -o "$WORK/o/copies.txt" 2>"$WORK/err" &
  PID=$!
  PIDS=("$PID")
  for ((i = 0; i < 3000; i++)); do grep -q "scores are computed on" "$WORK/err" && break; sleep 0.005; done
  grep -q "scores are computed on" "$WORK/err" || fail "the search did not start"
  t0=$(now_ms)
  kill -INT "$PID"
  wait "$PID"
  rc=$?
  STOP_MS=$(($(now_ms) - t0))
  PIDS=()
  [[ $rc == 130 ]] || { cat "$WORK/err" >&2; fail "SIGINT during the search: exit $rc"; }
  ((STOP_MS * 4 < WHOLE_MS)) || fail "SIGINT during the search: took $STOP_MS ms to stop; the whole run takes $WHOLE_MS ms"
  [[ $(ls -A "$WORK/o") == keep.csv ]] || fail "SIGINT during the search: left $(ls -A "$WORK/o")"
  measure "SIGINT during the candidate search (4,000 copies, 8M pairs): exit 130 in $STOP_MS ms (whole run $WHOLE_MS ms)"
  ;;

# ---- full disks and write failures ---------------------------------------------------------------
hostile_full_disk)
  vg_skip "megabytes of output per run"
  "$GEN" -n 4000 --jsonl "$WORK/c.jsonl" --truth "$WORK/c.truth" -s 4 2>/dev/null || fail "gen_corpus"
  head -n 300 "$WORK/c.jsonl" >"$WORK/first.jsonl"
  sed -n '301,$p' "$WORK/c.jsonl" >"$WORK/rest.jsonl"
  "$NEARDUP" pairs --jsonl "$WORK/c.jsonl" --passages --format json -o "$WORK/ref.json" 2>/dev/null || fail "reference"
  mkdir -p "$WORK/copies-src"
  for i in 1 2 3 4 5 6; do make_article "$((40 + i))" 3000 >"$WORK/copies-src/a$i.txt"; done
  # write_checks DIR HOW [FILL]: the output and copy checks on a file system that fails writes in
  # DIR. With FILL, DIR is filled up first so that only 32 KiB stay free.
  write_checks() {
    local dir=$1 how=$2
    # -o: exit 3, a clear message, the previous file untouched, no temporary file left.
    echo "previous results" >"$dir/out.json"
    if [[ ${3-} == fill ]]; then
      local avail
      avail=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')
      head -c $(((avail - 32) * 1024)) /dev/zero >"$dir/filler"
      measure "$how: $(df -Pk "$dir" | awk 'NR == 2 { print $4 }') KiB left free"
    fi
    run 3 "$NEARDUP" pairs --jsonl "$WORK/c.jsonl" --passages --format json -o "$dir/out.json"
    expect_err "$dir/out.json: cannot write output: $how"
    [[ $(cat "$dir/out.json") == "previous results" ]] || fail "$how: the existing output was changed"
    no_temp "$dir"
    measure "$how: pairs -o (output of $(stat -c %s "$WORK/ref.json") bytes): exit 3, previous file untouched, no temporary file"
    run 3 "$NEARDUP" pairs --jsonl "$WORK/c.jsonl" --passages --format json -o "$dir/new.json"
    [[ ! -e $dir/new.json ]] || fail "$how: a truncated new output exists"
    no_temp "$dir"
    run 3 "$NEARDUP" diff --format html "$WORK/copies-src/a1.txt" "$WORK/copies-src/a1.txt" -o "$dir/report.html"
    [[ ! -e $dir/report.html ]] || fail "$how: a truncated HTML report exists"
    expect_err "$dir/report.html: cannot write output: $how"
    # dedup --copy-to: the copies that fit are complete, the rest are not there at all.
    run 3 "$NEARDUP" dedup "$WORK/copies-src" --copy-to "$dir/keep" -o "$WORK/manifest.jsonl"
    expect_err "cannot write: $how"
    for f in "$dir"/keep/*/*/*/*.txt "$dir"/keep/*.txt; do
      [[ -e $f ]] || continue
      cmp -s "$f" "$WORK/copies-src/$(basename "$f")" || fail "$how: a partial copy $f"
    done
    no_temp "$dir/keep"
    measure "$how: dedup --copy-to: exit 3, $(find "$dir/keep" -type f | wc -l) of 6 copies complete, no partial file"
  }
  # 1. A real full file system: a small tmpfs (needs root and mount permission; CI runs as root).
  mkdir -p "$WORK/mnt"
  if mount -t tmpfs -o size=2m tmpfs "$WORK/mnt" 2>/dev/null; then
    MOUNTS=("$WORK/mnt")
    write_checks "$WORK/mnt" "No space left on device" fill
    umount "$WORK/mnt" || fail "umount"
    MOUNTS=()
    mount -t tmpfs -o size=8m tmpfs "$WORK/mnt" || fail "mount"
    MOUNTS=("$WORK/mnt")
    # The index: an add that fills the disk is rolled back; the index stays as it was and answers.
    "$NEARDUP" index create "$WORK/mnt/ix.db" 2>/dev/null || fail "index create on tmpfs"
    run 0 "$NEARDUP" index add "$WORK/mnt/ix.db" --jsonl "$WORK/first.jsonl"
    run 3 "$NEARDUP" index add "$WORK/mnt/ix.db" --jsonl "$WORK/rest.jsonl"
    expect_err "database or disk is full"
    expect_err "nothing was added"
    msg=$(head -n 1 "$WORK/err")
    index_ok "$WORK/mnt/ix.db" 300
    sed -n 1p "$WORK/c.jsonl" >"$WORK/q.jsonl"
    run 0 "$NEARDUP" query "$WORK/mnt/ix.db" --jsonl "$WORK/q.jsonl" --format csv
    measure "full tmpfs: index add of 3700 more articles: exit 3 ($msg), index still 300 articles, integrity ok, queryable"
    umount "$WORK/mnt" && MOUNTS=()
  else
    measure "tmpfs cannot be mounted here (not root?): the ENOSPC checks are skipped, the EFBIG ones below still run"
  fi
  # 2. A file size limit (ulimit -f, SIGXFSZ ignored: write() fails with EFBIG): works everywhere.
  mkdir -p "$WORK/lim"
  "$NEARDUP" index create "$WORK/lim/ix.db" 2>/dev/null || fail "index create"
  "$NEARDUP" index add "$WORK/lim/ix.db" --jsonl "$WORK/first.jsonl" 2>/dev/null || fail "first add"
  ( trap '' XFSZ; ulimit -f 16; write_checks "$WORK/lim" "File too large" ) || exit 1
  ( trap '' XFSZ; ulimit -f 1024; run 3 "$NEARDUP" index add "$WORK/lim/ix.db" --jsonl "$WORK/rest.jsonl"
    expect_err "nothing was added" ) || exit 1
  msg=$(head -n 1 "$WORK/err")
  index_ok "$WORK/lim/ix.db" 300
  measure "ulimit -f 1 MiB: index add of 3700 more articles rolled back ($msg), 300 articles, integrity ok"
  # With 16 KiB not even SQLite's shared-memory file fits: the add fails opening the index.
  ( trap '' XFSZ; ulimit -f 16; run 3 "$NEARDUP" index add "$WORK/lim/ix.db" --jsonl "$WORK/rest.jsonl" ) || exit 1
  index_ok "$WORK/lim/ix.db" 300
  ;;

# ---- kill -9 never leaves a truncated output (slow) ----------------------------------------------
hostile_kill9)
  vg_skip "large or timing-driven"
  "$GEN" -n 8000 --jsonl "$WORK/c.jsonl" --truth "$WORK/c.truth" -s 8 2>/dev/null || fail "gen_corpus"
  head -n 1500 "$WORK/c.jsonl" >"$WORK/old.jsonl"
  cmd=(pairs --passages --format json)
  "$NEARDUP" "${cmd[@]}" --jsonl "$WORK/old.jsonl" -o "$WORK/old.json" 2>/dev/null || fail "old reference"
  t0=$(now_ms)
  "$NEARDUP" "${cmd[@]}" --jsonl "$WORK/c.jsonl" -o "$WORK/new.json" 2>/dev/null || fail "new reference"
  T=$(($(now_ms) - t0))
  cmp -s "$WORK/old.json" "$WORK/new.json" && fail "the references must differ"
  echo "one run takes $T ms; output $(stat -c %s "$WORK/new.json") bytes"
  SEED=${NEARDUP_KILL_SEED:-$(( $$ ^ $(date +%s) ))}
  RANDOM=$SEED
  echo "seed $SEED (NEARDUP_KILL_SEED=$SEED repeats the delays)"
  for mode in unnamed named; do
    rounds=20 # fewer under AddressSanitizer, where one run takes ~6 times as long
    ((RSS_SCALE > 1)) && rounds=12
    [[ $mode == named ]] && rounds=$((rounds / 2)) && export NEARDUP_OUTPUT_TMPFILE=0
    mkdir -p "$WORK/$mode"
    out=$WORK/$mode/out.json
    cp "$WORK/old.json" "$out"
    n_old=0 n_new=0 saw_old=0 saw_new=0
    for ((i = 1; i <= rounds; i++)); do
      "$NEARDUP" "${cmd[@]}" --jsonl "$WORK/c.jsonl" -o "$out" 2>/dev/null &
      pid=$!
      PIDS=("$pid")
      delay=$((T * (200 + RANDOM % 1100) / 1000)) # uniform in [0.2 T, 1.3 T]: mostly the end, where it writes
      sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
      kill -9 "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
      PIDS=()
      if cmp -s "$out" "$WORK/new.json"; then
        n_new=$((n_new + 1)) saw_new=$((saw_new + 1))
      elif cmp -s "$out" "$WORK/old.json" && ((n_new == 0)); then
        n_old=$((n_old + 1)) saw_old=$((saw_old + 1))
      else
        fail "$mode round $i (killed after $delay ms): $out is neither the previous nor the new complete output ($(stat -c %s "$out") bytes)"
      fi
      # Back to the old version for the next round now and then, so both transitions are tried.
      if ((n_new > 0 && i % 4 == 0)); then cp "$WORK/old.json" "$out"; n_new=0; fi
    done
    left=$(find "$WORK/$mode" -name '*.tmp-*' | wc -l)
    measure "kill -9, $mode temporary files: $rounds rounds, output always complete: $saw_old times the previous version, $saw_new times the new one; $left temporary files left"
    [[ $mode == unnamed ]] && ((left > 1)) && fail "unnamed temporary files: $left left behind"
    unset NEARDUP_OUTPUT_TMPFILE
  done
  ;;

# ---- huge inputs (slow) --------------------------------------------------------------------------
hostile_5g_file)
  vg_skip "large or timing-driven"
  # A 5 GB sparse file: no disk space used.
  truncate -s 5G "$WORK/big.txt"
  make_article 50 200 >"$WORK/small.txt"
  run 1 "$NEARDUP" scan "$WORK/big.txt" "$WORK/small.txt"
  expect_err "$WORK/big.txt: file of 5368709120 bytes is larger than the maximum of 67108864 bytes (see --max-bytes)"
  rss_below 50 "5 GB file"
  ((MS < 5000)) || fail "refusing a 5 GB file took $MS ms: it was read"
  measure "5 GB file: refused by its size before reading, exit 1, peak RSS $((RSS / 1024)) MB, $MS ms"
  run 1 "$NEARDUP" scan "$WORK/big.txt" "$WORK/small.txt" --max-bytes 4294967295
  expect_err "larger than the maximum of 4294967295 bytes"
  rss_below 50 "5 GB file"
  # Through standard input (a pipe): read up to --max-bytes + 1, then refused.
  RSS=0; t0=$(now_ms)
  cat "$WORK/big.txt" | { if ((HAVE_TIME)); then /usr/bin/time -f %M -o "$WORK/rss" "$NEARDUP" scan - "$WORK/small.txt"; \
    else "$NEARDUP" scan - "$WORK/small.txt"; fi; } >"$WORK/out" 2>"$WORK/err"
  rc=${PIPESTATUS[1]}; MS=$(($(now_ms) - t0)); ((HAVE_TIME)) && RSS=$(tail -n 1 "$WORK/rss")
  [[ $rc == 1 ]] || { cat "$WORK/err" >&2; fail "5 GB on stdin: exit $rc"; }
  expect_err "-: standard input holds more than the maximum of 67108864 bytes"
  rss_below 120 "5 GB on stdin"
  measure "5 GB on standard input: refused after 64 MiB + 1 byte, exit 1, peak RSS $((RSS / 1024)) MB, $MS ms"
  # As JSON Lines: one 5 GB line (of NUL bytes) and then a good record. Streamed through, the line
  # dropped, the record read and named by its line number.
  cp --sparse=always "$WORK/big.txt" "$WORK/big.jsonl"
  { printf '\n'; rec after "$(cat "$WORK/small.txt")"; } >>"$WORK/big.jsonl"
  run 1 "$NEARDUP" scan --jsonl "$WORK/big.jsonl"
  expect_err "$WORK/big.jsonl:1: line of 5368709120 bytes is longer than the maximum of 134218752 bytes for a record"
  [[ $(articles_read) == 1 ]] || fail "the record on line 2 was not read"
  rss_below 200 "5 GB JSON Lines"
  measure "5 GB JSON Lines file (one 5 GB line): streamed, line reported, next record read, peak RSS $((RSS / 1024)) MB, $MS ms"
  "$NEARDUP" index create "$WORK/ix.db" 2>/dev/null || fail "index create"
  run 1 "$NEARDUP" index add "$WORK/ix.db" "$WORK/big.txt" --jsonl "$WORK/big.jsonl"
  expect_err "added 1 article"
  index_ok "$WORK/ix.db" 1
  ;;

hostile_2g_line)
  vg_skip "large or timing-driven"
  make_article 51 200 >"$WORK/small.txt"
  # A 2 GB line through a pipe (generated while it is read: nothing on disk), then a good record.
  t0=$(now_ms)
  { printf '{"id":"x","text":"'; head -c 2G /dev/zero | tr '\0' 'a'; printf '"}\n'; rec after "$(cat "$WORK/small.txt")"; } |
    { if ((HAVE_TIME)); then /usr/bin/time -f %M -o "$WORK/rss" "$NEARDUP" scan --jsonl -; else "$NEARDUP" scan --jsonl -; fi; } \
    >"$WORK/out" 2>"$WORK/err"
  rc=${PIPESTATUS[1]}; MS=$(($(now_ms) - t0)); RSS=0; ((HAVE_TIME)) && RSS=$(tail -n 1 "$WORK/rss")
  [[ $rc == 1 ]] || { cat "$WORK/err" >&2; fail "2 GB line: exit $rc"; }
  expect_err "<stdin>:1: line of 2147483668 bytes is longer than the maximum of 134218752 bytes for a record"
  [[ $(articles_read) == 1 ]] || fail "the record after the 2 GB line was not read"
  rss_below 200 "2 GB line"
  measure "2 GB JSON line on a pipe: dropped while streaming (at most 128 MiB of it held), line 2 read, exit 1, peak RSS $((RSS / 1024)) MB, $MS ms"
  # A smaller --max-bytes holds less of it.
  { printf '{"id":"x","text":"'; head -c 2G /dev/zero | tr '\0' 'a'; printf '"}\n'; rec after "$(cat "$WORK/small.txt")"; } |
    { if ((HAVE_TIME)); then /usr/bin/time -f %M -o "$WORK/rss" "$NEARDUP" scan --jsonl - --max-bytes 1000000; \
      else "$NEARDUP" scan --jsonl - --max-bytes 1000000; fi; } >"$WORK/out" 2>"$WORK/err"
  RSS=0; ((HAVE_TIME)) && RSS=$(tail -n 1 "$WORK/rss")
  expect_err "<stdin>:1: line of 2147483668 bytes is longer than the maximum of 2001024 bytes"
  rss_below 40 "2 GB line, --max-bytes 1000000"
  measure "2 GB JSON line with --max-bytes 1000000: peak RSS $((RSS / 1024)) MB"
  # A 2 GB line in a (sparse) file: in a JSON Lines file and in a --files-from list.
  truncate -s 2G "$WORK/line"
  { printf '\n'; rec after "$(cat "$WORK/small.txt")"; } >>"$WORK/line"
  run 1 "$NEARDUP" scan --jsonl "$WORK/line"
  expect_err "$WORK/line:1: line of 2147483648 bytes is longer than the maximum"
  [[ $(articles_read) == 1 ]] || fail "file: the record after the 2 GB line was not read"
  rss_below 200 "2 GB line in a file"
  measure "2 GB line in a JSON Lines file: exit 1, peak RSS $((RSS / 1024)) MB, $MS ms"
  truncate -s 2G "$WORK/list"
  printf '\n%s\n' "$WORK/small.txt" >>"$WORK/list"
  run 1 "$NEARDUP" scan --files-from "$WORK/list"
  expect_err "$WORK/list:1: line of 2147483648 bytes is too long for a path"
  [[ $(articles_read) == 1 ]] || fail "list: the path after the 2 GB line was not read"
  rss_below 40 "2 GB line in a list"
  measure "2 GB line in a --files-from list: exit 1, peak RSS $((RSS / 1024)) MB, $MS ms"
  ;;

hostile_million_files)
  vg_skip "large"
  if [[ $RSS_SCALE != 1 ]]; then
    echo "SKIP [$CASE]: a scale test (minutes under AddressSanitizer); its code paths are in the smaller cases"
    exit 77
  fi
  # One million tiny files (about 20 words, ~300 bytes each) in 1,000 directories, written by gen_corpus into a
  # loop-mounted ext4 image with 1 KiB blocks: ~1 GB of host disk instead of ~4.5 GB, and cleaning up
  # is an unmount, not a million unlinks (~100 s on this machine). Needs root and a loop device (CI
  # runs as root); skipped otherwise.
  avail_kb=$(df -Pk "$WORK" | awk 'NR == 2 { print $4 }')
  ((avail_kb > 4 * 1024 * 1024)) || skip "needs 4 GB free in $WORK (df: $avail_kb KB)"
  command -v mkfs.ext4 >/dev/null || skip "no mkfs.ext4"
  truncate -s 6G "$WORK/fs.img"
  mkfs.ext4 -q -F -b 1024 -N 1100000 -E nodiscard "$WORK/fs.img" || skip "mkfs.ext4 failed"
  mkdir -p "$WORK/m"
  mount -o loop,noatime "$WORK/fs.img" "$WORK/m" 2>/dev/null || skip "cannot mount a loop device here (not root?)"
  MOUNTS=("$WORK/m")
  t0=$(now_ms)
  # No page chrome: 20-word bodies under shared chrome lines would make ~70 M near-duplicate pairs,
  # and the test is about a million files, not a million-squared result.
  "$GEN" -n 1000000 -w 20 --chrome-fraction 0 -o "$WORK/m/c" -s 6 2>"$WORK/gen.err" \
    || { cat "$WORK/gen.err" >&2; fail "gen_corpus"; }
  measure "generating 1,000,000 files: $(($(now_ms) - t0)) ms, $(du -sh "$WORK/fs.img" | cut -f1) of host disk"
  # 1. index add: the loader streams the documents into the index, memory bounded.
  "$NEARDUP" index create "$WORK/ix.db" 2>/dev/null || fail "index create"
  run 0 "$NEARDUP" index add "$WORK/ix.db" "$WORK/m/c/docs"
  expect_err "added 1000000 articles"
  rss_below 700 "index add of 1,000,000 files"
  measure "index add of 1,000,000 files: exit 0, peak RSS $((RSS / 1024)) MB, $MS ms"
  rm -f "$WORK"/ix.db*
  # 2. scan at the defaults (beyond 100,000 articles the collection keeps samples only).
  # (It used to crash here: tiny articles without any sampled fingerprint; see hostile_lean_tiny.)
  run 0 "$NEARDUP" scan "$WORK/m/c/docs" --format csv -o "$WORK/clusters.csv"
  expect_err "more than 100000 articles: scores are computed on 1-in-16 shingle samples"
  [[ $(cut -d, -f2 "$WORK/clusters.csv" | sort -u | wc -l) -gt 100000 ]] || fail "too few clustered articles"
  measure "scan of 1,000,000 files: exit 0, $(($(wc -l <"$WORK/clusters.csv") - 1)) articles in clusters, peak RSS $((RSS / 1024)) MB, $MS ms"
  ;;

# ---- outputs never replace inputs (issue 18) ----------------------------------------------------
hostile_aliasing)
  mkdir -p "$WORK/in"
  make_article 70 200 >"$WORK/in/a.txt"
  { cat "$WORK/in/a.txt"; echo "Updated."; } >"$WORK/in/b.txt"
  { rec j1 "$(make_article 71 200)"; rec j2 "$(make_article 71 200) again"; } >"$WORK/feed.jsonl"
  run 0 "$NEARDUP" index create "$WORK/arch.db"
  run 0 "$NEARDUP" index add "$WORK/arch.db" --jsonl "$WORK/feed.jsonl"
  ln "$WORK/feed.jsonl" "$WORK/hard.jsonl"
  printf '%s\n' "$WORK/in/a.txt" "$WORK/in/b.txt" >"$WORK/list"
  sums() { sha256sum "$WORK/arch.db" "$WORK/feed.jsonl" "$WORK/in/a.txt" "$WORK/in/b.txt" "$WORK/list"; }
  before=$(sums)
  # Each: exit 2, a message naming the file, nothing touched, no temporary file left.
  refused() { # WHAT CMD...
    local what=$1; shift
    run 2 "$@"
    expect_err "$what"
    [[ $(sums) == "$before" ]] || fail "an input changed: $*"
    no_temp "$WORK"
  }
  refused "the output $WORK/arch.db is the index $WORK/arch.db" "$NEARDUP" query "$WORK/arch.db" --jsonl "$WORK/feed.jsonl" -o "$WORK/arch.db"
  refused "is the index" "$NEARDUP" dedup --jsonl "$WORK/feed.jsonl" --index "$WORK/arch.db" --add -o "$WORK/arch.db"
  refused "a file of the index" "$NEARDUP" query "$WORK/arch.db" "$WORK/in/a.txt" -o "$WORK/arch.db-wal"
  [[ ! -e $WORK/arch.db-wal || ! -s $WORK/arch.db-wal ]] || fail "a WAL file was written"
  refused "$WORK/feed.jsonl: is the output file $WORK/feed.jsonl of this run" "$NEARDUP" dedup --jsonl "$WORK/feed.jsonl" -o "$WORK/feed.jsonl"
  refused "through a link" "$NEARDUP" pairs --jsonl "$WORK/feed.jsonl" -o "$WORK/hard.jsonl"
  refused "$WORK/in/b.txt: is the output file" "$NEARDUP" scan "$WORK/in" -o "$WORK/in/b.txt"
  refused "$WORK/list: is the output file" "$NEARDUP" pairs --files-from "$WORK/list" -o "$WORK/list"
  refused "as standard input" "$NEARDUP" pairs - -o "$WORK/in/a.txt" <"$WORK/in/a.txt"
  refused "the output $WORK/in/b.txt is the input $WORK/in/b.txt" "$NEARDUP" diff "$WORK/in/a.txt" "$WORK/in/b.txt" -o "$WORK/in/b.txt"
  # A file in a directory being read, named through a symbolic link.
  ln -s "$WORK/in/a.txt" "$WORK/alias.txt"
  refused "is the output file" "$NEARDUP" pairs "$WORK/in" -o "$WORK/alias.txt"
  # An output that is not an input is still written, and keeps the mode of the file it replaces.
  echo old >"$WORK/private.csv"
  chmod 600 "$WORK/private.csv"
  run 0 "$NEARDUP" pairs "$WORK/in" --format csv -o "$WORK/private.csv"
  [[ $(stat -c %a "$WORK/private.csv") == 600 ]] || fail "-o widened 0600 to $(stat -c %a "$WORK/private.csv")"
  grep -q "^$WORK/in/a.txt,$WORK/in/b.txt," "$WORK/private.csv" || fail "the output was not written"
  # The index of the run inside a directory being read, or named as an input: its files are never
  # opened (closing a descriptor would drop SQLite's locks on them), skipped with a message.
  mkdir -p "$WORK/arc"
  cp "$WORK/arch.db" "$WORK/arc/ix.db"
  cp "$WORK/in/a.txt" "$WORK/arc/new.txt"
  run 1 "$NEARDUP" index add "$WORK/arc/ix.db" "$WORK/arc"
  # (ix.db itself is passed over by its name, as a database; its -shm is a file of no known kind)
  expect_err "$WORK/arc/ix.db-shm: is a file of the index $WORK/arc/ix.db that this run has open; not read as an input"
  expect_err "added 1 article"
  run 1 "$NEARDUP" dedup --index "$WORK/arc/ix.db" --jsonl "$WORK/arc/ix.db" "$WORK/in" -o "$WORK/m.jsonl"
  expect_err "$WORK/arc/ix.db: is a file of the index"
  run 0 "$NEARDUP" index check "$WORK/arc/ix.db"
  measure "aliasing: 10 outputs naming an input, the index or its WAL refused with exit 2, inputs unchanged; 0600 kept; the index's own files never read as inputs"
  ;;

# ---- dedup --copy-to: names, links, symlinks, failures (issue 18) -------------------------------
hostile_copy_safety)
  mkdir -p "$WORK/secret" "$WORK/batch/sub"
  echo "not for publication" >"$WORK/secret/hostname"
  body=$(make_article 72 120)
  # A record whose id names an existing file: the copy is made from the record's own text.
  rec "$WORK/secret/hostname" "an ordinary wire story with enough words to be signed $body" >"$WORK/x.jsonl"
  run 0 "$NEARDUP" dedup --jsonl "$WORK/x.jsonl" --copy-to "$WORK/pub" --link -o "$WORK/m.jsonl"
  copy=$(find "$WORK/pub" -type f)
  [[ $(find "$WORK/pub" -type f | wc -l) == 1 ]] || fail "want one copy, got: $copy"
  [[ $(stat -c %i "$copy") != $(stat -c %i "$WORK/secret/hostname") ]] || fail "a record's id hard-linked a file into DIR"
  grep -q "an ordinary wire story" "$copy" || fail "the copy is not the record's text"
  grep -q '"copy":"%2F' "$WORK/m.jsonl" || fail "manifest lacks the copy's name: $(cat "$WORK/m.jsonl")"
  # Ids that used to share a name, and one longer than a file name may be: all copied, all distinct.
  long=$(printf 'https://example.org/%0300d' 7)
  { rec "news/2026/a" "$(make_article 73 100)"; rec "news_2026_a" "$(make_article 74 100)";
    rec "$long" "$(make_article 75 100)"; rec "=cmd|' /C calc'!A0" "$(make_article 76 100)"; } >"$WORK/ids.jsonl"
  run 0 "$NEARDUP" dedup --jsonl "$WORK/ids.jsonl" --copy-to "$WORK/ids" -o "$WORK/m2.jsonl"
  [[ $(find "$WORK/ids" -type f | wc -l) == 4 ]] || fail "want 4 copies: $(ls "$WORK/ids")"
  for f in "$WORK"/ids/*; do (($(basename "$f" | wc -c) <= 255)) || fail "name too long: $f"; done
  # A symbolic link planted inside DIR is never followed out of it.
  cd "$WORK" || fail "cd"
  make_article 77 150 >batch/sub/a.txt
  make_article 78 150 >batch/b.txt
  chmod 600 batch/b.txt
  mkdir -p keep elsewhere
  ln -s "$WORK/elsewhere" keep/batch
  run 3 "$NEARDUP" dedup batch --copy-to keep -o m3.jsonl
  expect_err "keep/batch: is a symbolic link; copies are never written through links"
  [[ -z $(ls -A elsewhere) ]] || fail "a copy went through the planted link: $(ls elsewhere)"
  # Copies keep their source's mode; --link on a symbolic link to an input links the file itself.
  rm keep/batch
  run 0 "$NEARDUP" dedup batch --copy-to keep -o m3.jsonl
  [[ $(stat -c %a keep/batch/b.txt) == 600 ]] || fail "a copy of a 0600 file is $(stat -c %a keep/batch/b.txt)"
  [[ $(stat -c %a keep/batch/sub/a.txt) == $(stat -c %a batch/sub/a.txt) ]] || fail "a copy changed its mode"
  ln -s batch/b.txt linked.txt
  run 0 "$NEARDUP" dedup linked.txt --copy-to links --link -o m4.jsonl
  [[ -f links/linked.txt && ! -L links/linked.txt ]] || fail "--link put a symbolic link into DIR"
  [[ $(stat -c %i links/linked.txt) == $(stat -c %i batch/b.txt) ]] || fail "--link did not link the file itself"
  cd "$SRC" || fail "cd"
  # A failed copy is named and keeps only its own article out of --add; a rerun completes the work.
  run 0 "$NEARDUP" index create "$WORK/ix.db"
  { rec c1 "$(make_article 80 150)"; rec c2 "$(make_article 81 150)"; rec c3 "$(make_article 82 150)"; } >"$WORK/c.jsonl"
  mkdir -p "$WORK/cp"
  echo "someone else's file" >"$WORK/cp/c2.txt"
  run 3 "$NEARDUP" dedup --jsonl "$WORK/c.jsonl" --index "$WORK/ix.db" --add --copy-to "$WORK/cp" -o "$WORK/m5.jsonl"
  expect_err "c2: not copied: $WORK/cp/c2.txt: exists with other content; not overwritten"
  expect_err "added 2 articles (2 kept)"
  [[ $(index_stat "$WORK/ix.db" articles) == 2 ]] || fail "want c1 and c3 archived"
  grep -q '"id":"c2".*"copy":null' "$WORK/m5.jsonl" || fail "manifest: c2 has a copy"
  rm "$WORK/cp/c2.txt"
  run 0 "$NEARDUP" dedup --jsonl "$WORK/c.jsonl" --index "$WORK/ix.db" --add --copy-to "$WORK/cp" -o "$WORK/m6.jsonl"
  expect_err "added 1 article (1 kept) to $WORK/ix.db (2 already archived)"
  [[ $(index_stat "$WORK/ix.db" articles) == 3 ]] || fail "want c1, c2, c3 archived after the rerun"
  [[ $(find "$WORK/cp" -type f | wc -l) == 3 ]] || fail "want 3 copies after the rerun"
  no_temp "$WORK/cp"
  measure "copy safety: forged id copied from its text, 4 colliding/long/formula ids, planted link refused, modes kept, failed copy named and not added, rerun completes"
  ;;

# ---- a forged or damaged archive (issue 18) ------------------------------------------------------
hostile_forged_index)
  run 0 "$NEARDUP" index create "$WORK/arch.db"
  { printf '{"id":"w1","text":"%s","url":"https://example.org/w1"}\n' "$(make_article 90 300)"
    rec w2 "$(make_article 91 300)"; } >"$WORK/feed.jsonl"
  run 0 "$NEARDUP" index add "$WORK/arch.db" --jsonl "$WORK/feed.jsonl"
  cp "$WORK/arch.db" "$WORK/clean.db"
  # Metadata forged to inject a record: query output stays one JSON object per line.
  "$SQL" --write "$WORK/arch.db" "UPDATE articles SET metadata = '{\"url\":\"x\"}'||char(10)||'{\"a\":\"forged\",\"b\":\"injected\"}' WHERE id = 'w1'" \
    || fail "forging"
  run 1 "$NEARDUP" query "$WORK/arch.db" --jsonl "$WORK/feed.jsonl" -f json
  expect_err "corrupt article row"
  grep -q forged "$WORK/out" && fail "forged metadata reached the output"
  [[ $(wc -l <"$WORK/out") == 1 ]] || fail "want only w2's self-match: $(cat "$WORK/out")"
  # A trigger planted in the archive: refused, nothing stored or lost.
  cp "$WORK/clean.db" "$WORK/trig.db"
  "$SQL" --write "$WORK/trig.db" "CREATE TRIGGER t AFTER INSERT ON articles BEGIN DELETE FROM articles; END" || fail "planting"
  run 3 "$NEARDUP" index add "$WORK/trig.db" --jsonl "$WORK/feed.jsonl"
  expect_err "holds a trigger 't', which neardup never creates"
  # A huge blob in place of a row's shingle keys is never loaded.
  cp "$WORK/clean.db" "$WORK/blob.db"
  "$SQL" --write "$WORK/blob.db" "UPDATE articles SET shingles = zeroblob(100000000) WHERE id = 'w1'" || fail "blob"
  run 1 "$NEARDUP" query "$WORK/blob.db" --jsonl "$WORK/feed.jsonl" -f csv
  expect_err "('w1'): shingle keys that do not match its sizes"
  rss_below 60 "a query over a 100 MB forged blob"
  # Bytes changed outside neardup: a page checksum fails, nothing is scored, an add refuses.
  cp "$WORK/clean.db" "$WORK/raw.db"
  "$SQL" "$WORK/raw.db" "SELECT 1" >/dev/null
  printf 'x' | dd of="$WORK/raw.db" bs=1 seek=$(($(stat -c %s "$WORK/raw.db") - 3000)) conv=notrunc 2>/dev/null
  run 3 "$NEARDUP" query "$WORK/raw.db" --jsonl "$WORK/feed.jsonl"
  expect_err "the index is corrupt (a page failed its checksum)"
  run 3 "$NEARDUP" index add "$WORK/raw.db" "$WORK/feed.jsonl" --jsonl "$WORK/feed.jsonl"
  expect_err "corrupt"
  measure "forged archive: injected metadata skipped and named, trigger refused, 100 MB blob skipped at $((RSS / 1024)) MB RSS, a changed page fails its checksum"
  ;;

# ---- terminals: what the inputs hold is shown, never obeyed (issue 18) ---------------------------
hostile_terminal)
  command -v script >/dev/null || skip "no script(1) to give the tool a terminal"
  vg_skip "a pseudo-terminal under valgrind"
  mkdir -p "$WORK/in"
  esc=$'\033'
  text="the harbour authority said ${esc}[2J on tuesday that the new tidal barrier would be finished $(printf '\302\233')31m by spring after years of delay ${esc}]52;c;ZXZpbA==$(printf '\a') and rising costs"
  printf '%s\n' "$text" >"$WORK/in/a${esc}[2Jb.txt"
  printf '%s\n' "$text" >"$WORK/in/copy.txt"
  # The names go through the environment: script(1) writes its command line raw into its header.
  export T_NEARDUP=$NEARDUP T_IN=$WORK/in T_A=$WORK/in/copy.txt T_B="$WORK/in/a${esc}[2Jb.txt" T_MISSING="$WORK/missing${esc}[31m"
  script -qec '"$T_NEARDUP" pairs "$T_IN"; "$T_NEARDUP" diff "$T_A" "$T_B" --color always; "$T_NEARDUP" pairs "$T_MISSING"' \
    "$WORK/typescript" >/dev/null 2>&1
  [[ -s $WORK/typescript ]] || fail "script(1) recorded nothing"
  grep -q $'\033\[2J' "$WORK/typescript" && fail "ESC[2J reached the terminal"
  grep -q $'\033\]52' "$WORK/typescript" && fail "OSC 52 reached the terminal"
  grep -q $'\302\233' "$WORK/typescript" && fail "U+009B reached the terminal"
  grep -qF 'a\x1b[2Jb.txt' "$WORK/typescript" || fail "the file name is not shown escaped"
  grep -qF '\x1b]52;c;ZXZpbA==\x07' "$WORK/typescript" || fail "the text is not shown escaped"
  grep -qF '\u009b31m' "$WORK/typescript" || fail "U+009B is not shown escaped"
  grep -qF 'missing\x1b[31m: No such file' "$WORK/typescript" || fail "the message is not escaped"
  grep -q $'\033\[1mA: ' "$WORK/typescript" || fail "the tool's own colours were lost"
  # Colour on a terminal by default, none with NO_COLOR set (no-color.org).
  script -qec '"$T_NEARDUP" diff "$T_A" "$T_B"' "$WORK/ts-colour" >/dev/null 2>&1
  grep -q $'\033\[1mA: ' "$WORK/ts-colour" || fail "no colour on a terminal"
  NO_COLOR=1 script -qec '"$T_NEARDUP" diff "$T_A" "$T_B"' "$WORK/ts-nocolour" >/dev/null 2>&1
  grep -q $'\033\[' "$WORK/ts-nocolour" && fail "colour despite NO_COLOR"
  # Not a terminal: the bytes as they are.
  run 0 "$NEARDUP" pairs "$WORK/in" --format csv
  grep -q $'a\033\[2Jb.txt' "$WORK/out" || fail "file output changed the id"
  measure "terminal: ESC[2J, OSC 52 and U+009B in names, text and messages shown escaped on a terminal, unchanged in files"
  ;;

# ---- quoting of what is written: CSV formulas, names that are not UTF-8, repeated reports ---------
hostile_quoting)
  mkdir -p "$WORK/in"
  body=$(make_article 92 120)
  printf '%s\n' "$body" >"$WORK/in/=HYPERLINK(1).txt"
  printf '%s\n' "$body" >"$WORK/in/x$(printf '\377').txt"
  printf '%s\n' "$body" >"$WORK/in/x$(printf '\376').txt"
  cd "$WORK/in" || fail "cd"
  run 0 "$NEARDUP" pairs . --format csv
  grep -q "\"'./=HYPERLINK(1).txt\"" "$WORK/out" && fail "a path starting with ./ was neutralised"
  run 0 "$NEARDUP" pairs "=HYPERLINK(1).txt" "x$(printf '\377').txt" --format csv
  grep -qF "\"'=HYPERLINK(1).txt\"" "$WORK/out" || fail "a formula cell was not neutralised: $(cat "$WORK/out")"
  run 0 "$NEARDUP" dedup "x$(printf '\377').txt" "x$(printf '\376').txt" -f json
  grep -qF '"id":"x\udcff.txt"' "$WORK/out" && grep -qF '"id":"x\udcfe.txt"' "$WORK/out" \
    || fail "names that are not UTF-8 are not distinct in JSON: $(cat "$WORK/out")"
  cd "$SRC" || fail "cd"
  # A list naming one file 100,000 times: 100 reports, then one count.
  yes "$WORK/in/=HYPERLINK(1).txt" | head -n 100000 >"$WORK/list"
  run 1 "$NEARDUP" pairs --files-from "$WORK/list"
  expect_err "99899 more inputs skipped as: duplicate article id (not listed)"
  (($(wc -l <"$WORK/err") < 110)) || fail "$(wc -l <"$WORK/err") lines of warnings"
  measure "quoting: formula cells neutralised, non-UTF-8 names distinct, 100,000 duplicates reported in $(wc -l <"$WORK/err") lines"
  ;;

# ---- 100 random byte flips in an archive: never a wrong answer with exit 0 (issue 18) ------------
hostile_byte_flips)
  vg_skip "100 rounds of queries"
  "$GEN" -n 1500 --jsonl "$WORK/c.jsonl" --truth "$WORK/c.truth" -s 21 2>/dev/null || fail "gen_corpus"
  head -n 40 "$WORK/c.jsonl" >"$WORK/q.jsonl"
  run 0 "$NEARDUP" index create "$WORK/base.db"
  run 0 "$NEARDUP" index add "$WORK/base.db" --jsonl "$WORK/c.jsonl"
  run 0 "$NEARDUP" query "$WORK/base.db" --jsonl "$WORK/q.jsonl" --format csv
  cp "$WORK/out" "$WORK/want.csv"
  size=$(stat -c %s "$WORK/base.db")
  RANDOM=${NEARDUP_FLIP_SEED:-4242}
  same=0 refused=0 named=0
  for ((round = 0; round < ${NEARDUP_FLIP_ROUNDS:-100}; round++)); do
    cp "$WORK/base.db" "$WORK/f.db"
    pos=$(((RANDOM * 32768 + RANDOM) % size))
    byte=$(od -An -tu1 -j "$pos" -N1 "$WORK/f.db" | tr -d ' ')
    new=$((byte ^ (1 << (RANDOM % 8))))
    printf "\\$(printf '%03o' "$new")" | dd of="$WORK/f.db" bs=1 seek="$pos" conv=notrunc 2>/dev/null
    "$NEARDUP" query "$WORK/f.db" --jsonl "$WORK/q.jsonl" --format csv >"$WORK/out" 2>"$WORK/err"
    rc=$?
    case $rc in
    0) cmp -s "$WORK/out" "$WORK/want.csv" || fail "round $round (byte $pos): a wrong answer with exit 0"; same=$((same + 1)) ;;
    1) named=$((named + 1)) ;; # a corrupt row named and skipped
    3) grep -q "corrupt\|not a neardup index" "$WORK/err" || { cat "$WORK/err" >&2; fail "round $round: exit 3 without saying corrupt"; }
       refused=$((refused + 1)) ;;
    *) cat "$WORK/err" >&2; fail "round $round (byte $pos): exit $rc" ;;
    esac
  done
  measure "byte flips: $round rounds in a $((size / 1024)) KB index: $same same answer (exit 0), $refused refused as corrupt, $named with a corrupt row named; 0 wrong answers"
  ;;

# ---- kill -9 during dedup --copy-to --add, then a rerun (issue 18) -------------------------------
hostile_dedup_kill9)
  vg_skip "kill -9 timing"
  "$GEN" -n 1200 --jsonl "$WORK/c.jsonl" --truth "$WORK/c.truth" -s 31 2>/dev/null || fail "gen_corpus"
  run 0 "$NEARDUP" index create "$WORK/ix.db"
  t0=$(now_ms)
  run 0 "$NEARDUP" dedup --jsonl "$WORK/c.jsonl" --index "$WORK/ix.db" --add --copy-to "$WORK/calib" -o "$WORK/m.jsonl"
  T=$(($(now_ms) - t0))
  rm -rf "$WORK/ix.db" "$WORK/calib" && run 0 "$NEARDUP" index create "$WORK/ix.db"
  cp "$WORK/ix.db" "$WORK/empty.db"
  RANDOM=${NEARDUP_KILL_SEED:-777}
  rounds=${NEARDUP_KILL_ROUNDS:-20}
  for ((round = 0; round < rounds; round++)); do
    rm -rf "$WORK/ix.db" "$WORK/ix.db-wal" "$WORK/ix.db-shm" "$WORK/keep"
    cp "$WORK/empty.db" "$WORK/ix.db"
    "$NEARDUP" dedup --jsonl "$WORK/c.jsonl" --index "$WORK/ix.db" --add --copy-to "$WORK/keep" -o "$WORK/m.jsonl" 2>/dev/null &
    pid=$!
    delay=$((T * (RANDOM % 110) / 100))
    sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    # The rerun succeeds, the archive holds every article of the batch, and its kept articles are
    # exactly those whose copies are in DIR.
    "$NEARDUP" dedup --jsonl "$WORK/c.jsonl" --index "$WORK/ix.db" --add --copy-to "$WORK/keep" -o "$WORK/m.jsonl" \
      >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "round $round (kill after $delay ms): the rerun failed"; }
    [[ $(index_stat "$WORK/ix.db" articles) == 1200 ]] || fail "round $round: the archive does not hold the whole batch"
    archived=$("$NEARDUP" index list "$WORK/ix.db" --where status=kept --format csv | tail -n +2 | cut -d, -f1 | sort \
      | sed 's/$/.txt/')
    copies=$(cd "$WORK/keep" && find . -type f ! -name '.*' | sed 's|^\./||' | sort)
    [[ $archived == "$copies" ]] || fail "round $round: the archive ($(wc -w <<<"$archived")) and the copies ($(wc -w <<<"$copies")) disagree"
    no_temp "$WORK/keep"
  done
  measure "dedup kill -9: $rounds rounds over a $T ms run, each rerun succeeded with the archive and DIR in agreement"
  ;;

# ---- dates from hostile metadata (date.c, issue 14) -----------------------------------------------
hostile_dates)
  body=$(make_article 95 120)
  big=$(head -c 10000000 /dev/zero | tr '\0' '9')
  {
    printf '{"id":"long","text":"%s a","date":"%s"}\n' "$body" "$big"
    printf '{"id":"escape","text":"%s b","date":"2026-01-01\\u001b[2J"}\n' "$body"
    printf '{"id":"nested","text":"%s c","date":{"y":[[[[[[[[2026]]]]]]]]}}\n' "$body"
    printf '{"id":"huge","text":"%s d","date":1e308}\n' "$body"
    printf '{"id":"min","text":"%s e","date":-9223372036854775808}\n' "$body"
    printf '{"id":"year","text":"%s f","date":"99999-01-01"}\n' "$body"
    printf '{"id":"feb30","text":"%s g","date":"Mon, 30 Feb 2026 10:00:00 GMT"}\n' "$body"
    printf '{"id":"zone","text":"%s h","date":"2026-01-01T10:00:00+99:99"}\n' "$body"
    printf '{"id":"words","text":"%s i","date":"%s"}\n' "$body" "$(printf 'March %.0s' {1..40})"
    printf '{"id":"bool","text":"%s j","date":false}\n' "$body"
    printf '{"id":"good","text":"%s k","date":"11 March 2026"}\n' "$body"
  } >"$WORK/dates.jsonl"
  run 0 "$NEARDUP" dedup --jsonl "$WORK/dates.jsonl" --keep earliest -o "$WORK/m.jsonl"
  [[ $(grep -c "cannot be read" "$WORK/err") == 1 ]] || { cat "$WORK/err" >&2; fail "want one report for the batch"; }
  expect_err "10 articles have a date that cannot be read (the first: 'long': \"date\": a date of more than 256 bytes is not read)"
  grep -q $'\033' "$WORK/err" && fail "an escape reached stderr"
  [[ $(grep -c '"date":null' "$WORK/m.jsonl") == 10 ]] || fail "unreadable dates are none: $(cat "$WORK/m.jsonl")"
  grep -q '"id":"good",.*"date":"2026-03-11T00:00:00Z"' "$WORK/m.jsonl" || fail "the good date"
  rss_below 200 "10 MB of date"
  # 100,000 articles whose dates cannot be read: still one line, in bounded time (10,000 under
  # valgrind, which checks the memory and not the scale: 100,000 took four minutes of CI there).
  many=100000
  [[ ${NEARDUP_VALGRIND:-0} == 1 ]] && many=10000
  awk -v b="$body" -v n="$many" 'BEGIN { for (i = 0; i < n; i++) printf "{\"id\":\"n%d\",\"text\":\"%s %d\",\"date\":\"day %d\"}\n", i, b, i, i }' \
    >"$WORK/many.jsonl"
  run 0 "$NEARDUP" index create "$WORK/d.db"
  run 0 "$NEARDUP" index add "$WORK/d.db" --jsonl "$WORK/many.jsonl"
  [[ $(grep -c "cannot be read" "$WORK/err") == 1 ]] || fail "want one report for $many unreadable dates"
  expect_err "$many articles have a date that cannot be read"
  ms_many=$MS
  # Conditions with hostile dates are refused as usage errors, naming the problem.
  run 2 "$NEARDUP" index list "$WORK/d.db" --where "date>${big:0:300}"
  expect_err "a date of more than 256 bytes is not read"
  run 2 "$NEARDUP" index list "$WORK/d.db" --where $'date<2026-01-01\x1b[2J'
  grep -q $'\033' "$WORK/err" && fail "an escape in a condition reached stderr"
  run 0 "$NEARDUP" index list "$WORK/d.db" --where "date>=1970-01-01" --format csv
  [[ $(wc -l <"$WORK/out") == 1 ]] || fail "articles without a date meet no date condition"
  measure "dates: 10 hostile forms (10 MB string, escapes, nesting, 1e308, -2^63, year 99999, 30 Feb, +99:99, 40 words, false) reported in one line, dates none; $many unreadable dates in one line ($ms_many ms for the add); hostile --where values refused"
  ;;
*)
  fail "unknown case $CASE"
  ;;
esac
exit 0

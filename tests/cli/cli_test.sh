#!/usr/bin/env bash
# cli_test.sh — end-to-end tests of the neardup binary on real files.
#   cli_test.sh NEARDUP JSONL_CHECK SOURCE_DIR CASE
# Each CASE is one ctest. A case fails with a message naming what differed.
set -u
NEARDUP=$1
JSONL_CHECK=$2
SRC=$3
CASE=$4
INDEX_SQL=${NEARDUP_INDEX_SQL:-}  # tests/cli/index_sql.c and old_index.c, given by ctest
OLD_INDEX=${NEARDUP_OLD_INDEX:-}
GEN_CORPUS=${NEARDUP_GEN_CORPUS:-}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/neardup-cli.XXXXXX")
trap 'chmod -R u+rwx "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT

fail() { echo "FAIL [$CASE]: $*" >&2; exit 1; }

# NEARDUP_VALGRIND=1: every neardup command under valgrind memcheck (valgrind.sh).
source "$SRC/tests/cli/valgrind.sh"
# expect_code WANT CMD...: runs CMD with stdout/stderr to $WORK/out, $WORK/err.
expect_code() {
  local want=$1; shift
  "$@" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  [[ $got == "$want" ]] || { cat "$WORK/err" >&2; fail "exit $got, want $want: $*"; }
}
expect_err() { grep -qF -- "$1" "$WORK/err" || { cat "$WORK/err" >&2; fail "stderr lacks: $1"; }; }
expect_out() { grep -qF -- "$1" "$WORK/out" || { cat "$WORK/out" >&2; fail "stdout lacks: $1"; }; }
expect_no_out() { ! grep -qF -- "$1" "$WORK/out" || { cat "$WORK/out" >&2; fail "stdout should not contain: $1"; }; }

# A news-like article of N words drawn from a fixed vocabulary; deterministic for SEED.
make_article() { # SEED N
  RANDOM=$1
  local n=$2 i out=""
  local words=(council harbour barrier vote mayor engineers residents flood storm gates budget river coast
    plan report minister funding project homes business insurance tide surge summer winter city officials
    said would could years million metres protect level water build warned agreed critics support local
    national agency study data survey experts record damage repair cost schedule contract workers union)
  for ((i = 0; i < n; i++)); do
    out+="${words[RANDOM % ${#words[@]}]}"
    if (( i % 17 == 16 )); then out+=". "; else out+=" "; fi
  done
  printf '%s\n' "$out"
}

# The contents of FILE as the body of a JSON string (backslashes, quotes and newlines escaped).
json_text() { sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' "$1" | awk 'BEGIN { ORS = "" } { print $0 "\\n" }'; }
# The number value of FIELD in the first line of $WORK/out (a JSON object).
json_num() { sed -nE "1s/.*\"$1\":(-?[0-9.]+).*/\1/p" "$WORK/out"; }
# index stats DB as JSON into $WORK/out; prints the value of FIELD.
index_stat() { # DB FIELD
  "$NEARDUP" index stats "$1" --format json >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "index stats $1"; }
  json_num "$2"
}
# A checksum of every file under DIR with its relative path (to prove nothing changed).
tree_sum() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

cd "$SRC" || fail "no source dir $SRC"

case $CASE in
examples_pairs)
  expect_code 0 "$NEARDUP" pairs examples/articles --format csv
  diff -u examples/expected-pairs.csv "$WORK/out" >&2 || fail "pairs differ from examples/expected-pairs.csv"
  ;;
examples_scan)
  expect_code 0 "$NEARDUP" scan examples/articles --format csv
  diff -u examples/expected-clusters.csv "$WORK/out" >&2 || fail "clusters differ from examples/expected-clusters.csv"
  expect_code 0 "$NEARDUP" scan examples/articles
  expect_out "3 clusters; 10 of 15 articles are in a cluster."
  expect_no_out "quote_story"
  expect_no_out "same_topic_independent"
  expect_no_out "unrelated_sports"
  ;;
examples_json)
  expect_code 0 "$NEARDUP" pairs examples/articles --format json
  "$JSONL_CHECK" "$WORK/out" a b jaccard containment_a_in_b containment_b_in_a shared_shingles passage_a_in_b passage_b_in_a \
    vocabulary_a_in_b vocabulary_b_in_a score kind >/dev/null || fail "pairs JSON"
  [[ $(wc -l <"$WORK/out") == $(($(wc -l <examples/expected-pairs.csv) - 1)) ]] || fail "JSON and CSV pair counts differ"
  expect_code 0 "$NEARDUP" scan examples/articles --format json
  "$JSONL_CHECK" "$WORK/out" cluster id cluster_size best_match jaccard containment >/dev/null || fail "scan JSON"
  ;;
examples_threads)
  for j in 1 2 3 8; do
    expect_code 0 "$NEARDUP" pairs examples/articles --format json --threads $j
    cp "$WORK/out" "$WORK/pairs.$j"
  done
  for j in 2 3 8; do cmp -s "$WORK/pairs.1" "$WORK/pairs.$j" || fail "output with --threads $j differs from --threads 1"; done
  ;;
help_version)
  for cmd in scan pairs params; do
    expect_code 0 "$NEARDUP" $cmd --help
    expect_out "Exit status:"
    expect_out "Usage:"
  done
  expect_code 0 "$NEARDUP" scan --help
  expect_out "--containment"
  expect_out "--files-from"
  expect_code 0 "$NEARDUP" --help
  expect_out "scan"
  expect_code 0 "$NEARDUP" --version
  grep -qE '^neardup [0-9]+\.[0-9]+\.[0-9]+$' "$WORK/out" || fail "--version output: $(cat "$WORK/out")"
  # `neardup help CMD` is `neardup CMD --help`; usage lines name the tool; defaults are the command's.
  for cmd in scan pairs diff dedup query params "index add"; do
    expect_code 0 "$NEARDUP" help $cmd
    cp "$WORK/out" "$WORK/help1"
    expect_code 0 "$NEARDUP" $cmd --help
    cmp -s "$WORK/out" "$WORK/help1" || fail "neardup help $cmd differs from neardup $cmd --help"
    expect_out "neardup $cmd [OPTION"
  done
  expect_code 0 "$NEARDUP" dedup --help
  grep -qE -- "--containment=C +Containment threshold for text reuse, 0 disables \(default: 0\.8\)" "$WORK/out" \
    || fail "dedup's help shows another containment default"
  expect_out "(default: json)"
  expect_code 0 "$NEARDUP" scan --help
  expect_out "(default: 0.2)"
  grep -q "dedup" <(grep -- "--format" "$WORK/out") && fail "scan's --format help mentions dedup"
  ;;
usage_errors)
  expect_code 2 "$NEARDUP"
  expect_code 2 "$NEARDUP" frobnicate
  expect_err "unknown command 'frobnicate'"
  grep -q "did you mean" "$WORK/err" && fail "a suggestion for a word unlike any command"
  expect_code 2 "$NEARDUP" scna examples/articles
  expect_err "unknown command 'scna' (did you mean 'scan'?)"
  expect_code 2 "$NEARDUP" scan --thresold 0.3 examples/articles
  expect_err "Unknown option --thresold (did you mean --threshold?)"
  # A short option glued to its value.
  expect_code 0 "$NEARDUP" pairs -t0.9 -c0 --format csv examples/articles
  cp "$WORK/out" "$WORK/glued"
  expect_code 0 "$NEARDUP" pairs -t 0.9 -c 0 --format csv examples/articles
  cmp -s "$WORK/out" "$WORK/glued" || fail "-t0.9 -c0 differs from -t 0.9 -c 0"
  expect_code 0 "$NEARDUP" pairs --seed -5 -t 0.9 --format csv examples/articles
  expect_code 2 "$NEARDUP" scan --no-such-option examples/articles
  expect_code 2 "$NEARDUP" scan --threshold 1.5 examples/articles
  expect_err "threshold"
  expect_code 2 "$NEARDUP" pairs --shingle words:0 examples/articles
  expect_err "invalid shingle spec"
  expect_code 2 "$NEARDUP" pairs --format xml examples/articles
  expect_err "unknown format 'xml'"
  expect_code 2 "$NEARDUP" pairs
  expect_err "no input"
  ;;
params)
  expect_code 0 "$NEARDUP" params --threshold 0.5 --num-perm 128 --format json
  "$JSONL_CHECK" "$WORK/out" bands rows false_positive false_negative >/dev/null || fail "params JSON"
  b=$(sed -E 's/.*"bands":([0-9]+).*/\1/' "$WORK/out"); r=$(sed -E 's/.*"rows":([0-9]+).*/\1/' "$WORK/out")
  (( b * r <= 128 && b > 1 && r > 1 )) || fail "bands $b x rows $r"
  expect_code 0 "$NEARDUP" params --threshold 0.8 --num-perm 128 --format json
  r8=$(sed -E 's/.*"rows":([0-9]+).*/\1/' "$WORK/out")
  (( r8 > r )) || fail "a higher threshold should use more rows per band ($r8 vs $r)"
  expect_code 0 "$NEARDUP" params
  expect_out "bands x"
  expect_code 2 "$NEARDUP" params --threshold 0
  ;;
bad_inputs)
  mkdir -p "$WORK/in/sub"
  cp examples/articles/wire_tidal_barrier.txt examples/articles/reprint_harbour_gazette.txt "$WORK/in/"
  : >"$WORK/in/empty.txt"
  printf 'some text\0with a NUL byte\n' >"$WORK/in/binary.txt"
  printf 'some text\0with a NUL byte\n' >"$WORK/in/binary.bin"
  printf 'body { margin: 0 }\n' >"$WORK/in/site.css"
  printf 'caf\xe9 latin-1 text, not UTF-8\n' >"$WORK/in/latin1.txt"
  printf '  ,,, !!! ...\n' >"$WORK/in/punct.txt"
  cp examples/articles/reprint_coastal_courier.txt "$WORK/in/sub/"
  expect_code 1 "$NEARDUP" pairs "$WORK/in" "$WORK/missing.txt" --format csv
  expect_err "$WORK/in/empty.txt: empty article"
  expect_err "$WORK/in/binary.txt: binary data: NUL byte at offset 9"
  expect_err "passed over: 1 binary files (by their content"
  expect_err "passed over: 1 scripts and stylesheets"
  expect_err "$WORK/in/latin1.txt: invalid UTF-8 at byte offset 3"
  expect_err "$WORK/in/punct.txt: no words to compare"
  expect_err "$WORK/missing.txt: No such file or directory"
  [[ $(grep -vc "passed over" "$WORK/err") == 5 ]] || { cat "$WORK/err" >&2; fail "want exactly 5 error lines"; }
  # The readable articles are still compared: three versions of the wire give three pairs.
  [[ $(wc -l <"$WORK/out") == 4 ]] || { cat "$WORK/out" >&2; fail "want 3 pairs among the readable articles"; }
  expect_out "$WORK/in/sub/reprint_coastal_courier.txt"
  if [[ $(id -u) != 0 ]]; then
    chmod 000 "$WORK/in/sub/reprint_coastal_courier.txt"
    expect_code 1 "$NEARDUP" pairs "$WORK/in/sub/reprint_coastal_courier.txt" "$WORK/in/wire_tidal_barrier.txt"
    expect_err "Permission denied"
    chmod 644 "$WORK/in/sub/reprint_coastal_courier.txt"
  fi
  mkdir "$WORK/emptydir"
  expect_code 3 "$NEARDUP" scan "$WORK/emptydir"
  expect_err "$WORK/emptydir: directory contains no files"
  ln -s .. "$WORK/in/sub/loop"
  expect_code 0 "$NEARDUP" pairs "$WORK/in/sub" "$WORK/in/wire_tidal_barrier.txt"
  ;;
strict)
  mkdir -p "$WORK/in"
  cp examples/articles/wire_tidal_barrier.txt "$WORK/in/a.txt"
  : >"$WORK/in/b.txt"
  cp examples/articles/reprint_harbour_gazette.txt "$WORK/in/c.txt"
  expect_code 3 "$NEARDUP" scan --strict "$WORK/in"
  expect_err "$WORK/in/b.txt: empty article"
  expect_err "--strict"
  [[ ! -s $WORK/out ]] || fail "--strict must not print results"
  ;;
stdin_and_lists)
  expect_code 0 "$NEARDUP" pairs - examples/articles/wire_tidal_barrier.txt --format csv <examples/articles/reprint_bay_times_allcaps_headline.txt
  expect_out "-,examples/articles/wire_tidal_barrier.txt,"
  ls examples/articles/*.txt >"$WORK/list"
  expect_code 0 "$NEARDUP" pairs --files-from "$WORK/list" --format csv
  diff -u examples/expected-pairs.csv "$WORK/out" >&2 || fail "--files-from differs from the directory run"
  expect_code 0 "$NEARDUP" pairs --files-from - --format csv <"$WORK/list"
  diff -u examples/expected-pairs.csv "$WORK/out" >&2 || fail "--files-from - differs"
  ;;
jsonl_input)
  {
    printf '{"id": "wire", "text": "%s"}\n' "$(make_article 7 300)"
    printf '{"id": 42, "text": "%s", "outlet": "Example Daily"}\n' "$(make_article 7 300) extra words at the end"
    printf '\n'
    printf '{"id": "broken", "text": "unterminated\n'
    printf '{"id": "notext", "body": "x"}\n'
    printf '{"id": "wire", "text": "duplicate id"}\n'
    printf '{"id": "other", "text": "%s"}\n' "$(make_article 99 300)"
  } >"$WORK/feed.jsonl"
  expect_code 1 "$NEARDUP" pairs --jsonl "$WORK/feed.jsonl" --format csv
  expect_err "$WORK/feed.jsonl:4: malformed JSON"
  expect_err "$WORK/feed.jsonl:5: record \"notext\" has no string field \"text\""
  expect_err "$WORK/feed.jsonl:6: duplicate id 'wire'"
  expect_out "wire,42,"
  expect_no_out "other"
  expect_code 1 "$NEARDUP" pairs --jsonl - --format csv <"$WORK/feed.jsonl"
  expect_err "<stdin>:4: malformed JSON"
  expect_out "wire,42,"
  sed 's/"id"/"url"/; s/"text"/"body"/' "$WORK/feed.jsonl" | head -2 >"$WORK/fields.jsonl"
  expect_code 0 "$NEARDUP" pairs --jsonl "$WORK/fields.jsonl" --id-field url --text-field body --format csv
  expect_out "wire,42,"
  ;;
output_file)
  expect_code 0 "$NEARDUP" pairs examples/articles --format csv -o "$WORK/pairs.csv"
  [[ ! -s $WORK/out ]] || fail "-o must keep stdout empty"
  diff -u examples/expected-pairs.csv "$WORK/pairs.csv" >&2 || fail "-o output differs"
  ls -A "$WORK" | grep -q 'tmp-' && fail "temporary file left behind"
  echo "precious" >"$WORK/keep.csv"
  expect_code 3 "$NEARDUP" pairs examples/articles -o "$WORK/no/such/dir/x.csv"
  expect_err "cannot create output"
  # A failed run must not touch an existing output file.
  expect_code 3 "$NEARDUP" pairs "$WORK/missing" -o "$WORK/keep.csv"
  [[ $(cat "$WORK/keep.csv") == precious ]] || fail "existing output was overwritten by a failed run"
  ;;
lossy)
  { make_article 5 200; printf 'caf\xe9 '; make_article 6 50; } >"$WORK/a.txt"
  { make_article 5 200; make_article 6 50; } >"$WORK/b.txt"
  expect_code 1 "$NEARDUP" pairs "$WORK/a.txt" "$WORK/b.txt"
  expect_err "invalid UTF-8"
  expect_code 0 "$NEARDUP" pairs --lossy "$WORK/a.txt" "$WORK/b.txt" --format csv
  expect_out "$WORK/a.txt,$WORK/b.txt,"
  ;;
chars_shingles)
  printf '今天上午，市政府宣布将在明年春天开放新的城市图书馆。新馆位于河边公园旁边，共有五层，可以容纳两千名读者。市长表示，这座图书馆将成为市民学习和交流的重要场所。\n' >"$WORK/zh_a.txt"
  printf '据报道，市政府今天上午宣布将在明年春天开放新的城市图书馆。新馆位于河边公园旁，共有五层，可以容纳两千名读者。市长说，这座图书馆将成为市民学习和交流的重要场所。\n' >"$WORK/zh_b.txt"
  printf '昨天晚上，本地足球队在主场以三比一战胜了来自北方的对手。球迷们在比赛结束后久久不愿离开体育场，一起唱歌庆祝。\n' >"$WORK/zh_c.txt"
  expect_code 0 "$NEARDUP" pairs --shingle chars:3 "$WORK/zh_a.txt" "$WORK/zh_b.txt" "$WORK/zh_c.txt" --format csv
  expect_out "$WORK/zh_a.txt,$WORK/zh_b.txt,"
  expect_no_out "zh_c.txt"
  ;;
third_of_text)
  # A took a third of its text (one block) from B, an article of the same length: Jaccard is ~0.2,
  # below the threshold, but pairs reports it at the defaults through containment.
  make_article 11 600 >"$WORK/b.txt"
  { make_article 12 400; sed -n '1p' "$WORK/b.txt" | cut -d' ' -f201-400; } >"$WORK/a.txt"
  expect_code 0 "$NEARDUP" pairs "$WORK/a.txt" "$WORK/b.txt" --format csv
  line=$(grep "^$WORK/a.txt,$WORK/b.txt," "$WORK/out") || fail "the pair is not reported"
  IFS=, read -r _ _ jac ca cb _ kind _ <<<"$line"
  awk -v j="$jac" -v c="$ca" 'BEGIN { exit !(j < 0.5 && c > 0.25 && c < 0.45) }' || fail "scores: $line"
  [[ $kind == reuse ]] || fail "kind $kind"
  ;;
sampled)
  # Past --exact-limit the run keeps 1-in-16 samples instead of shingle sets and says so. On these
  # short articles (~25 samples each) it finds most of the exact run's pairs and no unrelated ones.
  expect_code 0 "$NEARDUP" pairs examples/articles --exact-limit 5 --format csv
  expect_err "scores are computed on 1-in-16 shingle samples"
  cut -d, -f1,2 examples/expected-pairs.csv | sort >"$WORK/want"
  cut -d, -f1,2 "$WORK/out" | sort >"$WORK/got"
  # A pair the exact run does not report is a near miss, scored over the threshold by sampling
  # error: the exact run finds it at half the containment threshold.
  "$NEARDUP" pairs examples/articles --containment 0.1 --format csv | cut -d, -f1,2 | sort >"$WORK/near"
  [[ -z $(comm -13 "$WORK/want" "$WORK/got" | comm -23 - "$WORK/near") ]] ||
    fail "sampled verification reports a pair the exact run does not score even at containment 0.1"
  (( $(comm -12 "$WORK/want" "$WORK/got" | wc -l) >= 12 )) || fail "sampled verification lost too many pairs"
  # --verify sample alone keeps 1-in-8 samples: every pair of the exact run, with Jaccard and
  # containment estimates within 0.2 of the exact values (about three standard errors at ~40
  # samples), and no pair that is not at least a near miss.
  expect_code 0 "$NEARDUP" pairs examples/articles --verify sample --format csv
  awk -F, -v near="$WORK/near" '
    FNR == 1 { next }
    FILENAME != ARGV[2] { j[$1 "," $2] = $3; ca[$1 "," $2] = $4; cb[$1 "," $2] = $5; next }
    function off(x) { return x > 0.2 || x < -0.2 }
    { k = $1 "," $2
      if (k in j) { found++
        if (off($3 - j[k]) || off($4 - ca[k]) || off($5 - cb[k])) { print "estimate off: " $0; bad = 1 } }
      else { cmd = "grep -qxF \"" k "\" " near; if (system(cmd) != 0) { print "unrelated pair: " $0; bad = 1 } } }
    END { if (found != length(j)) { print "found " found " of " length(j) " exact pairs"; bad = 1 }; exit bad }
  ' examples/expected-pairs.csv "$WORK/out" >&2 || fail "--verify sample differs from the exact run beyond sampling error"
  expect_code 2 "$NEARDUP" pairs examples/articles --verify fuzzy
  ;;
no_input_readable)
  expect_code 3 "$NEARDUP" scan "$WORK/nothing-here"
  expect_err "no article could be read"
  ;;
origin_quotations)
  # Who took from whom, without dates: the wire story is the origin of its reprints and rewrite (the
  # centre of the cluster), inferred from the texts.
  expect_code 0 "$NEARDUP" pairs examples/articles --format json
  "$JSONL_CHECK" "$WORK/out" a b score kind quotation_share source source_basis >/dev/null || fail "pairs JSON fields"
  grep -F '"a":"examples/articles/reprint_bay_times_allcaps_headline.txt","b":"examples/articles/wire_tidal_barrier.txt"' "$WORK/out" \
    | grep -qF '"source":"examples/articles/wire_tidal_barrier.txt","source_basis":"evidence"' || fail "the wire is the source"
  expect_code 0 "$NEARDUP" scan examples/articles --format json
  [[ $(grep -c '"origin":"examples/articles/wire_tidal_barrier.txt","origin_basis":"evidence"' "$WORK/out") == 6 ]] \
    || fail "every member of the tidal barrier cluster names the wire as its origin"
  expect_code 0 "$NEARDUP" scan examples/articles
  expect_out "  origin: examples/articles/wire_glacier_study.txt (inferred from the texts)"
  # Text rows come from the same fields: a member, then its closest match with their scores.
  expect_out "      closest: examples/articles/wire_tidal_barrier.txt (jaccard 0.911, containment 0.940)"
  expect_code 0 "$NEARDUP" pairs examples/articles
  expect_out "jaccard  a_in_b  b_in_a  score  kind            a  <->  b"
  expect_out "  0.911   0.940   0.968  0.968  near-duplicate  examples/articles/reprint_bay_times_allcaps_headline.txt  <->  examples/articles/wire_tidal_barrier.txt"
  expect_out "      source: examples/articles/wire_tidal_barrier.txt (basis: evidence)"
  # With dates, the earlier article is the source even against the evidence; --window drops pairs
  # published further apart; --date-field names the member.
  { printf '{"id":"wire","published":"2026-03-11T09:00:00Z","text":"'
    json_text examples/articles/wire_glacier_study.txt
    printf '"}\n{"id":"reprint","published":"Tue, 10 Mar 2026 18:30:00 +0000","text":"'
    json_text examples/articles/reprint_glacier_study_weekly.txt
    printf '"}\n'; } >"$WORK/dated.jsonl"
  expect_code 0 "$NEARDUP" pairs --jsonl "$WORK/dated.jsonl" --date-field published --format json
  expect_out '"source":"reprint","source_basis":"date"'
  expect_code 0 "$NEARDUP" pairs --jsonl "$WORK/dated.jsonl" --format json
  expect_out '"source":"wire","source_basis":"evidence"'
  expect_code 0 "$NEARDUP" pairs --jsonl "$WORK/dated.jsonl" --date-field published --window 0.5 --format json
  [[ ! -s "$WORK/out" ]] || fail "--window 0.5 keeps a pair published 14.5 hours apart"
  expect_code 0 "$NEARDUP" scan --jsonl "$WORK/dated.jsonl" --date-field published --format csv
  expect_out "reprint,2,wire,"
  expect_out ",reprint,date"
  expect_code 2 "$NEARDUP" pairs --jsonl "$WORK/dated.jsonl" --window -3
  expect_code 2 "$NEARDUP" pairs --jsonl "$WORK/dated.jsonl" --quotations maybe
  expect_err "--quotations takes drop, list or count"
  # Two short articles sharing only a statement both quote (other marks on each side): not reported
  # by default, listed as a quotation on request (never a cluster), counted as reuse on request.
  S="the regional council will not approve the harbour extension until every survey of the seabed near the old pier has been published in full and the fishing cooperatives have been heard at a public meeting"
  printf 'Quay plans\n\nCouncillors in Marrow Bay met on Tuesday evening.\n“%s,” the council leader said after the vote.\nThe meeting ran for three hours.\n' "$S" >"$WORK/q1.txt"
  printf 'Harbour row\n\nAsked about the project, the council leader replied: «%s».\nA petition against the extension has gathered signatures across the county.\n' "$S" >"$WORK/q2.txt"
  printf 'Harbour row, copied\n\nAsked about the project, the council leader replied that %s.\nA petition against the extension has gathered signatures across the county.\n' "$S" >"$WORK/q3.txt"
  expect_code 0 "$NEARDUP" pairs "$WORK/q1.txt" "$WORK/q2.txt" --quotations list --format json
  expect_out '"kind":"quotation"'
  expect_out '"source":null,"source_basis":null'
  expect_code 0 "$NEARDUP" pairs "$WORK/q1.txt" "$WORK/q2.txt"
  expect_out "0 pairs among 2 articles."
  expect_code 0 "$NEARDUP" pairs "$WORK/q1.txt" "$WORK/q2.txt" --quotations count --format csv
  expect_out ",reuse,"
  expect_code 0 "$NEARDUP" scan "$WORK/q1.txt" "$WORK/q2.txt" --quotations list
  expect_out "0 clusters; 0 of 2 articles are in a cluster."
  # The statement quoted in one and reported unquoted in the other is no quotation.
  expect_code 0 "$NEARDUP" pairs "$WORK/q1.txt" "$WORK/q3.txt" --format json
  expect_no_out '"kind":"quotation"'
  # Passages: the shared statement is labelled quotation, word counts per pair.
  expect_code 0 "$NEARDUP" pairs "$WORK/q1.txt" "$WORK/q2.txt" --quotations list --passages --format json
  expect_out '"passage_label":"quotation"'
  expect_code 0 "$NEARDUP" diff "$WORK/q1.txt" "$WORK/q2.txt" --format json
  expect_out '"passage_label":"quotation"'
  expect_out '"narrative_words":0'
  ;;
diff_text)
  A=examples/articles/quote_story_a.txt B=examples/articles/quote_story_b.txt
  expect_code 0 "$NEARDUP" diff "$A" "$B" --context 2
  # The quote, word for word; and the sentence introducing the same commissioner (her name, her
  # title, the region), rewritten.
  expect_out "2 shared passages; 13% of A and 15% of B are in them."
  # The quote is quoted in both (“…” in A, "…" in B): a quotation; the rewritten sentence is narrative.
  expect_out "Passage 2 (verbatim, quotation): score 1.000; A bytes 749-892 (27 words), B bytes 1090-1233 (27 words)"
  expect_out "Passage 1 (rewritten, narrative): score 0.405; A bytes 633-744 (17 words), B bytes 880-1012 (20 words)"
  # The quote's bytes in both files are exactly the reported ranges (different quote marks outside).
  [[ $(tail -c +750 "$A" | head -c 143) == "$(tail -c +1091 "$B" | head -c 143)" ]] || fail "offsets do not select the same quote"
  [[ $(tail -c +750 "$A" | head -c 6) == "We wil" ]] || fail "offset 749 is not the start of the quote"
  # One-to-many: a passage of A is reported for every source that has it; unrelated sources get none.
  expect_code 0 "$NEARDUP" diff examples/articles/feature_embeds_wire.txt examples/articles/wire_tidal_barrier.txt \
    examples/articles/reprint_bay_times_allcaps_headline.txt examples/articles/same_topic_independent_1.txt --color never
  [[ $(grep -c "^Passage 1 (verbatim, narrative):" "$WORK/out") == 2 ]] || fail "want one passage for each of the two sources with the wire text"
  expect_out "0 shared passages; 0% of A and 0% of B are in them."
  # A rewrite: differences inside the passage are marked on both sides.
  expect_code 0 "$NEARDUP" diff examples/articles/wire_tidal_barrier.txt examples/articles/rewrite_northern_herald.txt
  expect_out "[-build-]"
  expect_out "{+construct+}"
  expect_code 0 "$NEARDUP" diff --color always "$A" "$B"
  grep -q $'\033\[' "$WORK/out" || fail "--color always gives no colour"
  expect_code 0 "$NEARDUP" diff --help
  expect_out "Exit status:"
  ;;
diff_json)
  expect_code 0 "$NEARDUP" diff --format json --text examples/articles/wire_tidal_barrier.txt \
    examples/articles/reprint_harbour_gazette.txt examples/articles/quote_story_a.txt
  "$JSONL_CHECK" "$WORK/out" a b passage a_start a_end b_start b_end a_tokens b_tokens a_matched b_matched \
    passage_score passage_kind a_text b_text passage_count a_coverage b_coverage >/dev/null || fail "diff JSON"
  [[ $(wc -l <"$WORK/out") == 2 ]] || fail "want the gazette's 2 passages and none for the quote story"
  # a_text is exactly the bytes [a_start, a_end) of the file.
  s=$(sed -n '2s/.*"a_start":\([0-9]*\).*/\1/p' "$WORK/out"); e=$(sed -n '2s/.*"a_end":\([0-9]*\).*/\1/p' "$WORK/out")
  want=$(tail -c +$((s + 1)) examples/articles/wire_tidal_barrier.txt | head -c $((e - s)) | head -c 40)
  grep -qF "\"a_text\":\"$want" "$WORK/out" || fail "a_text does not start with the bytes at a_start: $want"
  ;;
diff_bad_inputs)
  : >"$WORK/empty.txt"
  printf 'caf\xe9\n' >"$WORK/latin1.txt"
  expect_code 1 "$NEARDUP" diff examples/articles/wire_tidal_barrier.txt "$WORK/empty.txt" "$WORK/latin1.txt" \
    examples/articles/reprint_harbour_gazette.txt
  expect_err "$WORK/empty.txt: empty article"
  expect_err "$WORK/latin1.txt: invalid UTF-8 at byte offset 3"
  expect_out "2 shared passages"
  expect_code 3 "$NEARDUP" diff "$WORK/missing.txt" examples/articles/wire_tidal_barrier.txt
  expect_err "$WORK/missing.txt: No such file or directory"
  expect_code 2 "$NEARDUP" diff examples/articles/wire_tidal_barrier.txt
  expect_code 2 "$NEARDUP" diff --format pdf examples/articles/wire_tidal_barrier.txt examples/articles/wire_glacier_study.txt
  ;;
passages)
  expect_code 0 "$NEARDUP" pairs --passages --format json examples/articles
  "$JSONL_CHECK" "$WORK/out" a b jaccard passages >/dev/null || fail "pairs --passages JSON"
  [[ $(grep -c '"passages":\[{"passage":1,"a_start"' "$WORK/out") == 16 ]] || fail "every reported pair should carry passages"
  expect_code 0 "$NEARDUP" pairs --passages examples/articles/quote_story_a.txt examples/articles/feature_embeds_wire.txt \
    examples/articles/wire_tidal_barrier.txt
  expect_out "passage 1: A bytes 2423-3305, B bytes 982-1864, 150 words, score 1.000: \"The vote follows the surge of November 2019, when water rose 1.9 …\""
  expect_code 0 "$NEARDUP" scan --passages --format csv examples/articles
  expect_out "cluster,id,cluster_size,best_match,jaccard,containment,origin,origin_basis,passage,a_start,a_end,b_start,b_end,a_tokens,b_tokens,a_matched,b_matched,passage_score,passage_kind,passage_label,a_quoted,b_quoted"
  expect_out "2,examples/articles/feature_embeds_wire.txt,6,examples/articles/wire_tidal_barrier.txt,0.1409,0.1832,examples/articles/wire_tidal_barrier.txt,evidence,1,2423,3305,982,1864,150,150,150,150,1.0000,verbatim,narrative,"
  ;;
csv_outputs)
  # CSV wherever JSON Lines is written: the same fields from one table (src/cli/rows.c), RFC 4180
  # quoting (ids and texts with commas, quotes and newlines), one row per passage with --passages.
  [[ -n ${NEARDUP_CSV_CHECK:-} ]] || fail "NEARDUP_CSV_CHECK (tests/cli/csv_check.c) is not set"
  CSV=$NEARDUP_CSV_CHECK
  mkdir -p "$WORK/in"
  A=$WORK/in/'wire, "final".txt' B=$WORK/in/reprint.txt
  # Two articles sharing two paragraphs (a passage spanning a blank line), plus text of their own.
  make_article 5 60 >"$WORK/p1"; make_article 6 60 >"$WORK/p2"
  { make_article 7 40; echo; cat "$WORK/p1"; echo; cat "$WORK/p2"; } >"$A"
  { make_article 8 50; echo; cat "$WORK/p1"; echo; cat "$WORK/p2"; echo; make_article 9 30; } >"$B"
  # diff --format csv: the columns of diff's JSON, one row per passage; a_text decoded from its
  # quoted field is the bytes [a_start, a_end) of the file, newlines included.
  expect_code 0 "$NEARDUP" diff --format json --text "$A" "$B" examples/articles/unrelated_sports.txt
  n_json=$(wc -l <"$WORK/out")
  [[ $n_json -ge 1 ]] || fail "diff found no passage"
  json_keys=$(head -1 "$WORK/out" | grep -o '"[a-z_]*":' | tr -d '":' | paste -sd,)
  expect_code 0 "$NEARDUP" diff --format csv --text "$A" "$B" examples/articles/unrelated_sports.txt
  [[ $(head -1 "$WORK/out") == "$json_keys" ]] || fail "diff CSV header $(head -1 "$WORK/out") is not the JSON keys $json_keys"
  [[ $(head -1 "$WORK/out") == a,b,passage,a_start,a_end,b_start,b_end,a_tokens,b_tokens,a_matched,b_matched,passage_score,passage_kind,passage_label,a_quoted,b_quoted,passage_count,a_coverage,b_coverage,quoted_words,narrative_words,a_text,b_text ]] \
    || fail "diff CSV header: $(head -1 "$WORK/out")"
  cp "$WORK/out" "$WORK/diff.csv"
  [[ $("$CSV" "$WORK/diff.csv" a a_text b_text) == "$n_json" ]] || fail "diff CSV rows differ from JSON's $n_json"
  [[ $("$CSV" "$WORK/diff.csv" --get 1 a) == "$A" ]] || fail "the id with a comma and quotes: $("$CSV" "$WORK/diff.csv" --get 1 a)"
  grep -qF '"'"$WORK"'/in/wire, ""final"".txt"' "$WORK/diff.csv" || fail "the id is not quoted as RFC 4180 says"
  s=$("$CSV" "$WORK/diff.csv" --get 1 a_start); e=$("$CSV" "$WORK/diff.csv" --get 1 a_end)
  "$CSV" "$WORK/diff.csv" --get 1 a_text >"$WORK/a_text"
  tail -c +$((s + 1)) "$A" | head -c $((e - s)) | cmp -s - "$WORK/a_text" || fail "a_text is not the bytes $s-$e of A"
  grep -q '^$' "$WORK/a_text" || fail "the passage should span the blank line between the paragraphs"
  expect_code 0 "$NEARDUP" diff --format csv "$A" examples/articles/unrelated_sports.txt
  [[ $("$CSV" "$WORK/out") == 0 ]] || fail "no passage: a header and no row"
  [[ $(head -1 "$WORK/out") == *",narrative_words" ]] || fail "without --text: no a_text, b_text columns"
  # pairs --passages --format csv: a row per passage, the pair's fields repeated, and one row with
  # empty passage fields for a pair without a passage; the same offsets as JSON.
  # Two articles sharing 40 word 3-grams, each between five words of their own: a pair at
  # --threshold 0.01, but no passage.
  scattered() { local out="" i; for i in $(seq 1 40); do out+="tri${i}a tri${i}b tri${i}c $1${i}a $1${i}b $1${i}c $1${i}d $1${i}e "; done; echo "$out"; }
  scattered x >"$WORK/in/scattered_x.txt"; scattered y >"$WORK/in/scattered_y.txt"
  expect_code 0 "$NEARDUP" pairs --passages --format json --threshold 0.01 "$WORK/in" \
    examples/articles/feature_embeds_wire.txt examples/articles/wire_tidal_barrier.txt
  cp "$WORK/out" "$WORK/pairs.jsonl"
  want=0
  while IFS= read -r line; do
    k=$(grep -o '"passage":' <<<"$line" | wc -l); (( want += k > 0 ? k : 1 ))
  done <"$WORK/pairs.jsonl"
  grep -q '"passages":\[\]' "$WORK/pairs.jsonl" || fail "this test wants a pair without passages"
  expect_code 0 "$NEARDUP" pairs --passages --format csv --threshold 0.01 "$WORK/in" \
    examples/articles/feature_embeds_wire.txt examples/articles/wire_tidal_barrier.txt
  cp "$WORK/out" "$WORK/pairs.csv"
  [[ $(head -1 "$WORK/pairs.csv") == a,b,jaccard,containment_a_in_b,containment_b_in_a,shared_shingles,kind,passage_a_in_b,passage_b_in_a,vocabulary_a_in_b,vocabulary_b_in_a,score,quotation_share,source,source_basis,passage,a_start,a_end,b_start,b_end,a_tokens,b_tokens,a_matched,b_matched,passage_score,passage_kind,passage_label,a_quoted,b_quoted ]] \
    || fail "pairs --passages CSV header: $(head -1 "$WORK/pairs.csv")"
  grep -qF '"'"$WORK"'/in/wire, ""final"".txt",' "$WORK/pairs.csv" || fail "pairs CSV: the id is not quoted as RFC 4180 says"
  [[ $("$CSV" "$WORK/pairs.csv" a b score passage a_start passage_score passage_kind) == "$want" ]] \
    || fail "pairs --passages CSV: want $want rows (one per passage, one per pair without)"
  grep -q ',,,,,,,,,,$' "$WORK/pairs.csv" || fail "a pair without passages has empty passage fields"
  first=$(sed -n 's/.*"passages":\[{"passage":1,"a_start":\([0-9]*\),"a_end":\([0-9]*\),.*/\1,\2/p' "$WORK/pairs.jsonl" | head -1)
  grep -q ",1,$first," "$WORK/pairs.csv" || fail "the first passage's offsets $first are not in the CSV"
  # query --format csv: the JSON's fields, b_metadata as its JSON text in one quoted field.
  printf '%s\n' "{\"id\":\"wire-1\",\"text\":\"$(json_text examples/articles/wire_tidal_barrier.txt)\",\"outlet\":\"Wire, \\\"Ltd\\\"\",\"note\":\"line one\\nline two\"}" >"$WORK/ar.jsonl"
  expect_code 0 "$NEARDUP" index create "$WORK/q.db"
  expect_code 0 "$NEARDUP" index add "$WORK/q.db" --jsonl "$WORK/ar.jsonl"
  expect_code 0 "$NEARDUP" query "$WORK/q.db" examples/articles/feature_embeds_wire.txt --format json
  meta_json=$(sed -E 's/.*"b_metadata":(\{.*\}),"b_group".*/\1/' "$WORK/out")
  [[ $meta_json == *'line one\nline two'* ]] || fail "metadata in JSON: $meta_json"
  expect_code 0 "$NEARDUP" query "$WORK/q.db" examples/articles/feature_embeds_wire.txt --format csv
  cp "$WORK/out" "$WORK/query.csv"
  [[ $(head -1 "$WORK/query.csv") == a,b,rank,jaccard,containment_a_in_b,containment_b_in_a,shared_shingles,kind,b_metadata,b_group,b_status ]] \
    || fail "query CSV header: $(head -1 "$WORK/query.csv")"
  [[ $("$CSV" "$WORK/query.csv" b_metadata) == 1 ]] || fail "query CSV: want one row"
  [[ $("$CSV" "$WORK/query.csv" --get 1 b_metadata) == "$meta_json" ]] \
    || fail "b_metadata in CSV: $("$CSV" "$WORK/query.csv" --get 1 b_metadata), want $meta_json"
  [[ $("$CSV" "$WORK/query.csv" --get 1 b_status) == kept ]] || fail "b_status in CSV"
  expect_code 0 "$NEARDUP" query "$WORK/q.db" examples/articles/feature_embeds_wire.txt --format csv --passages
  [[ $("$CSV" "$WORK/out" passage a_start b_start) == 1 ]] || fail "query --passages CSV: one passage, one row"
  expect_out ",kept,1,2423,3305,982,1864,"
  # dedup: the manifest in CSV with --passages has the passage columns too.
  expect_code 0 "$NEARDUP" dedup "$WORK/in" --format csv --passages --containment 0.5
  [[ $("$CSV" "$WORK/out" id group status passage passage_kind) -ge 4 ]] || fail "dedup --passages CSV"
  # params, index stats and extract: CSV too, the same fields as their JSON.
  expect_code 0 "$NEARDUP" params --threshold 0.5 --format csv
  expect_out "threshold,num_perm,bands,rows,false_positive,false_negative"
  [[ $("$CSV" "$WORK/out" threshold bands rows) == 1 ]] || fail "params CSV: one row"
  expect_code 0 "$NEARDUP" params --threshold 0.5 --format json
  want_fp=$(sed -E 's/.*"false_positive":([0-9.]+).*/\1/' "$WORK/out")
  expect_code 0 "$NEARDUP" params --threshold 0.5 --format csv
  [[ $("$CSV" "$WORK/out" --get 1 false_positive) == "$want_fp" ]] || fail "params CSV false_positive differs from JSON"
  expect_code 0 "$NEARDUP" index stats "$WORK/q.db" --format csv
  [[ $("$CSV" "$WORK/out" index articles text_stored shingle) == 1 ]] || fail "index stats CSV: one row"
  [[ $("$CSV" "$WORK/out" --get 1 index) == "$WORK/q.db" ]] || fail "index stats CSV: index"
  [[ $("$CSV" "$WORK/out" --get 1 text_stored) == all ]] || fail "index stats CSV: text_stored"
  # index show --format csv: one header, a row per article, the JSON's fields; members a JSON array.
  expect_code 0 "$NEARDUP" index show "$WORK/q.db" wire-1 --format json
  show_keys=$(grep -o '"[a-z_]*":' "$WORK/out" | tr -d '":' | grep -vxE 'status|outlet|note' | paste -sd,)
  expect_code 0 "$NEARDUP" index show "$WORK/q.db" wire-1 wire-1 --format csv
  [[ $(head -1 "$WORK/out") == id,group,status,date,date_text,bytes,batch,added,best_match,jaccard,containment,tokens,shingles,anchors,metadata,members,text ]] \
    || fail "index show CSV header: $(head -1 "$WORK/out") (JSON keys: $show_keys)"
  [[ $("$CSV" "$WORK/out" id members text) == 2 ]] || fail "index show CSV: a row per article shown"
  [[ $("$CSV" "$WORK/out" --get 2 members) == '[{"id":"wire-1","status":"kept"}]' ]] \
    || fail "index show CSV members: $("$CSV" "$WORK/out" --get 2 members)"
  "$CSV" "$WORK/out" --get 1 text | cmp -s - examples/articles/wire_tidal_barrier.txt || fail "index show CSV: the text"
  printf '{"id":"m1","text":"Line one, with \\"quotes\\".\\nLine two.","outlet":"Wire, Inc.","n":3}\n' >"$WORK/meta.jsonl"
  expect_code 0 "$NEARDUP" extract --jsonl "$WORK/meta.jsonl" --format csv
  [[ $("$CSV" "$WORK/out" id text metadata) == 1 ]] || fail "extract CSV: one row"
  [[ $("$CSV" "$WORK/out" --get 1 text) == $'Line one, with "quotes".\nLine two.' ]] || fail "extract CSV: text"
  [[ $("$CSV" "$WORK/out" --get 1 metadata) == '{"outlet":"Wire, Inc.","n":3}' ]] \
    || fail "extract CSV: metadata $("$CSV" "$WORK/out" --get 1 metadata)"
  expect_code 0 "$NEARDUP" extract --jsonl "$WORK/meta.jsonl" --format json
  expect_out '{"id":"m1","text":"Line one, with \"quotes\".\nLine two.","outlet":"Wire, Inc.","n":3}'
  # The fields' table is the documentation: docs/output-fields.md is `neardup help fields`.
  expect_code 0 "$NEARDUP" help fields
  sed -n '/^<!-- fields:begin/,/^<!-- fields:end/p' docs/output-fields.md | sed '1d;$d' >"$WORK/doc_table"
  diff -u "$WORK/doc_table" "$WORK/out" >&2 \
    || fail "docs/output-fields.md is out of date: regenerate it with scripts/gen_output_fields.sh"
  ;;
html_report)
  expect_code 0 "$NEARDUP" diff --format html -o "$WORK/report.html" examples/articles/wire_tidal_barrier.txt \
    examples/articles/rewrite_northern_herald.txt examples/articles/reprint_harbour_gazette.txt
  grep -q '<table id="summary">' "$WORK/report.html" || fail "no summary table"
  grep -q 'id="s2-a2" href="#s2-b2"' "$WORK/report.html" || fail "passage 2 of source 2 is not linked to its counterpart"
  grep -q 'id="s2-b2" href="#s2-a2"' "$WORK/report.html" || fail "the counterpart does not link back"
  grep -q '<span class="only-a">build</span>' "$WORK/report.html" || fail "differences are not marked"
  ! grep -qE '<(script|link|img)' "$WORK/report.html" || fail "the report must be self-contained"
  CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
  if [[ -z $CHROMIUM ]]; then echo "SKIP: no chromium to render the report" >&2; exit 77; fi
  flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
    --disable-component-update --disable-sync --user-data-dir="$WORK/profile")
  timeout 120 "$CHROMIUM" "${flags[@]}" --dump-dom "file://$WORK/report.html" >"$WORK/dom.html" 2>/dev/null \
    || fail "chromium could not load the report"
  # The browser parsed the whole page: every passage anchor and the summary rows are in its DOM.
  [[ $(grep -o 'class="p c' "$WORK/dom.html" | wc -l) -ge 7 ]] || fail "rendered DOM lacks the passage highlights"
  grep -q 'rewrite_northern_herald.txt</a></td><td class="n">1</td><td class="n">97%</td>' "$WORK/dom.html" \
    || fail "rendered summary table differs"
  timeout 120 "$CHROMIUM" "${flags[@]}" --window-size=1400,1000 --screenshot="$WORK/report.png" \
    "file://$WORK/report.html" >/dev/null 2>&1 || fail "chromium could not take a screenshot"
  [[ $(head -c 8 "$WORK/report.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "screenshot is not a PNG"
  (( $(stat -c %s "$WORK/report.png") > 20000 )) || fail "screenshot is suspiciously small (blank page?)"
  ;;
report_html)
  expect_code 0 "$NEARDUP" report examples/articles -o "$WORK/report.html"
  R=$WORK/report.html
  ! grep -qE '<(script|link|img|iframe)|url\([^#]' "$R" || fail "the report must be self-contained"
  grep -q '<table id="summary"><tr><th>articles</th><td class="n">15</td>' "$R" || fail "summary"
  grep -q 'clusters (stories shared)</th><td class="n">3</td>' "$R" || fail "three clusters"
  # Origins in the summary, the wire stories, inferred.
  grep -A1 '#cluster2">2</a>' "$R" | grep -q 'wire_tidal_barrier.txt</code></span></td><td>evidence' || fail "origin of cluster 2"
  # A timeline per cluster, with arrows from source to copy (dashed: inferred).
  [[ $(grep -c '<svg class="timeline"' "$R") == 3 ]] || fail "one timeline per cluster"
  grep -q 'stroke-dasharray="5 4" marker-end="url(#arrow)"' "$R" || fail "no arrow"
  # Passages side by side, each linked to its counterpart and back; quotations marked apart.
  grep -q '<td id="p1-a1"><a class="p" href="#p1-b1">' "$R" || fail "passage not linked to its counterpart"
  grep -q '<td id="p1-b1"><a class="p" href="#p1-a1">' "$R" || fail "counterpart not linked back"
  grep -q '<mark class="q">' "$R" || fail "no quotation marked"
  grep -q '<mark class="n">' "$R" || fail "no narrative marked"
  grep -q 'Port Halloran council approves \$148 million tidal barrier after years of flooding' "$R" || fail "headline"
  # Articles written apart that share a quoted statement: no cluster, a weaker link, quoted.
  S="the regional council will not approve the harbour extension until every survey of the seabed near the old pier has been published in full"
  printf 'Quay plans\n\nCouncillors in Marrow Bay met on Tuesday evening to hear the engineers.\n“%s,” the council leader said after the vote, adding that the budget would be set in spring.\nThe meeting ran for three hours and ended with a vote on the ferry timetable for the summer season.\n' "$S" >"$WORK/q1.txt"
  printf 'Harbour row\n\nAsked about the project on the radio, the council leader replied: «%s».\nA petition against the extension has gathered four thousand signatures across the county since March.\n' "$S" >"$WORK/q2.txt"
  expect_code 0 "$NEARDUP" report "$WORK/q1.txt" "$WORK/q2.txt" -o "$WORK/q.html"
  grep -q 'clusters (stories shared)</th><td class="n">0</td>' "$WORK/q.html" || fail "quotation made a cluster"
  grep -q '<mark class="q">' "$WORK/q.html" || fail "the shared statement is not marked as a quotation"
  # Pages: one cluster per page, linked from the summary, each page self-contained.
  expect_code 0 "$NEARDUP" report examples/articles --per-page 1 -o "$WORK/paged.html"
  [[ -s $WORK/paged-2.html && -s $WORK/paged-4.html && -s $WORK/paged-5.html && ! -e $WORK/paged-6.html ]] || fail "pages"
  grep -q '<a href="paged-4.html#cluster3">3</a>' "$WORK/paged.html" || fail "summary links to cluster 3's page"
  ! grep -q '<svg' "$WORK/paged.html" || fail "the summary page holds no cluster"
  grep -q 'id="apart"' "$WORK/paged-5.html" || fail "the last page lists the articles apart"
  grep -q '<a href="paged.html">summary</a>' "$WORK/paged-2.html" || fail "page 2 links back"
  # Pages also by weight: three stories of two 47 KB articles each fit in --per-page 50 clusters but
  # not in one page's 256 KB of text: two stories on page 2, the third on page 3, the rest on page 4.
  mkdir -p "$WORK/heavy"
  for c in 1 2 3; do
    awk -v seed=$c 'BEGIN { srand(seed); for (l = 0; l < 600; l++) { s = ""; for (w = 0; w < 12; w++) {
      n = 3 + int(rand() * 6); x = ""; for (k = 0; k < n; k++) x = x sprintf("%c", 97 + int(rand() * 26))
      s = s (w ? " " : "") x }; print s "." } }' >"$WORK/heavy/s$c-a.txt"
    { cat "$WORK/heavy/s$c-a.txt"; echo "A line the reprint adds."; } >"$WORK/heavy/s$c-b.txt"
  done
  expect_code 0 "$NEARDUP" report "$WORK/heavy" -o "$WORK/heavy.html"
  [[ -s $WORK/heavy-3.html && -s $WORK/heavy-4.html && ! -e $WORK/heavy-5.html ]] || fail "pages by weight"
  [[ $(grep -c '<svg class="timeline"' "$WORK/heavy-2.html") == 2 && $(grep -c '<svg class="timeline"' "$WORK/heavy-3.html") == 1 ]] \
    || fail "clusters by weight: two on page 2, one on page 3"
  grep -q '<a href="heavy-3.html#cluster3">3</a>' "$WORK/heavy.html" || fail "summary links to cluster 3's page"
  expect_code 2 "$NEARDUP" report examples/articles
  expect_err "give the report's file with -o FILE"
  CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
  if [[ -z $CHROMIUM ]]; then echo "SKIP: no chromium to render the report" >&2; exit 77; fi
  flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
    --disable-component-update --disable-sync --user-data-dir="$WORK/profile")
  timeout 120 "$CHROMIUM" "${flags[@]}" --dump-dom "file://$R" >"$WORK/dom.html" 2>/dev/null || fail "chromium could not load"
  # The browser parsed the whole page: the timelines' arrows and circles, every passage cell.
  [[ $(grep -o '<circle' "$WORK/dom.html" | wc -l) == 10 ]] || fail "rendered DOM lacks the timeline's articles"
  [[ $(grep -o '<td id="p[0-9]*-a' "$WORK/dom.html" | wc -l) == $(grep -o '<td id="p[0-9]*-a' "$R" | wc -l) ]] \
    || fail "rendered DOM lacks passages"
  # Following a passage's link brings its counterpart into view: a screenshot of the page opened at
  # a counterpart's anchor differs from one opened at the top.
  timeout 120 "$CHROMIUM" "${flags[@]}" --window-size=1300,900 --screenshot="$WORK/top.png" "file://$R" >/dev/null 2>&1 \
    || fail "chromium could not take a screenshot"
  timeout 120 "$CHROMIUM" "${flags[@]}" --window-size=1300,900 --screenshot="$WORK/jump.png" "file://$R#p5-b2" \
    >/dev/null 2>&1 || fail "chromium could not take a screenshot at an anchor"
  [[ $(head -c 8 "$WORK/top.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "screenshot is not a PNG"
  (( $(stat -c %s "$WORK/top.png") > 20000 )) || fail "screenshot is suspiciously small (blank page?)"
  ! cmp -s "$WORK/top.png" "$WORK/jump.png" || fail "the anchor of a counterpart does not scroll"
  ;;
report_index)
  # The report of archived articles is the report of the same articles read from files.
  DB=$WORK/ix.db
  expect_code 0 "$NEARDUP" index create "$DB"
  expect_code 0 "$NEARDUP" index add "$DB" examples/articles
  expect_code 0 "$NEARDUP" report examples/articles -o "$WORK/files.html"
  expect_code 0 "$NEARDUP" report --index "$DB" -o "$WORK/archive.html"
  cmp -s "$WORK/files.html" "$WORK/archive.html" || fail "the archive's report differs from the files' report"
  # A story on a wire and two papers, and an unrelated article, archived with their metadata and
  # grouped by dedup; --group and --where select them as `index list` does.
  make_article 11 220 >"$WORK/body"
  { echo "Ferry to Orrin Island runs again after storm repairs"; echo; cat "$WORK/body"; } >"$WORK/wire.txt"
  { echo "Island ferry back in service"; echo; cat "$WORK/body"; echo "Harbour staff said the timetable would be printed in the weekend edition."; } >"$WORK/paper1.txt"
  { echo "Orrin ferry returns"; echo; sed '1s/^[^.]*\. //' "$WORK/body"; } >"$WORK/paper2.txt"
  make_article 12 220 >"$WORK/other.txt"
  {
    printf '{"id":"wire","site":"Lakeside Wire","date":"2026-03-01T08:00:00Z","text":"%s"}\n' "$(json_text "$WORK/wire.txt")"
    printf '{"id":"paper1","site":"Orrin Gazette","date":"2026-03-02T09:30:00Z","text":"%s"}\n' "$(json_text "$WORK/paper1.txt")"
    printf '{"id":"paper2","site":"Valley Post","date":"2026-03-03T07:15:00Z","text":"%s"}\n' "$(json_text "$WORK/paper2.txt")"
    printf '{"id":"other","site":"Valley Post","date":"2026-03-04T10:00:00Z","text":"%s"}\n' "$(json_text "$WORK/other.txt")"
  } >"$WORK/story.jsonl"
  G=$WORK/g.db
  expect_code 0 "$NEARDUP" index create "$G"
  expect_code 0 "$NEARDUP" dedup --index "$G" --add --jsonl "$WORK/story.jsonl" -o "$WORK/plan"
  expect_code 0 "$NEARDUP" index show "$G" paper2 --format json
  group=$(json_num group)
  [[ -n $group ]] || fail "no group for paper2"
  expect_code 0 "$NEARDUP" report --index "$G" --group "$group" -o "$WORK/group.html"
  R=$WORK/group.html
  grep -q '<table id="summary"><tr><th>articles</th><td class="n">3</td>' "$R" || fail "the group's three articles"
  grep -q 'clusters (stories shared)</th><td class="n">1</td>' "$R" || fail "one cluster"
  ! grep -q '<code>other</code>' "$R" || fail "an article outside the group is in the report"
  # The archived metadata give outlet and date; the dates make the wire the origin.
  grep -q 'Orrin Gazette' "$R" || fail "outlet from the archived metadata"
  grep -q '2026-03-02T09:30' "$R" || fail "date from the archived metadata"
  grep -A1 '#cluster1">1</a>' "$R" | grep -q '<code>wire</code></span></td><td>date' || fail "the wire is not the dated origin"
  expect_code 0 "$NEARDUP" report --index "$G" --where 'date>=2026-03-02' --where 'site=Valley Post' -o "$WORK/where.html"
  grep -q '<table id="summary"><tr><th>articles</th><td class="n">2</td>' "$WORK/where.html" || fail "--where: paper2 and other"
  ! grep -q '<code>wire</code>' "$WORK/where.html" || fail "--where kept an article it excludes"
  # Files and archive together: the archived article with a file's id is left out (exit 1).
  expect_code 1 "$NEARDUP" report --jsonl "$WORK/story.jsonl" --index "$G" --group "$group" -o "$WORK/both.html"
  expect_err "duplicate id 'wire'"
  # Errors: a selection without an archive, a bad condition, a missing archive, the archive as output.
  expect_code 2 "$NEARDUP" report examples/articles --where 'date>=2026-01-01' -o "$WORK/x.html"
  expect_err "give the archive with --index DB"
  expect_code 2 "$NEARDUP" report --index "$G" --where 'nonsense' -o "$WORK/x.html"
  expect_err "'nonsense' is not a condition"
  expect_code 3 "$NEARDUP" report --index "$WORK/missing.db" -o "$WORK/x.html"
  [[ ! -e $WORK/x.html ]] || fail "a failed report left a file"
  expect_code 2 "$NEARDUP" report --index "$G" -o "$G"
  expect_err "refusing to replace it"
  expect_code 0 "$NEARDUP" index check "$G"
  # An archive that keeps only the kept articles' texts: the others are left out, said, exit 1.
  K=$WORK/kept.db
  expect_code 0 "$NEARDUP" index create "$K" --text kept
  expect_code 0 "$NEARDUP" dedup --index "$K" --add --jsonl "$WORK/story.jsonl" -o "$WORK/plan"
  expect_code 0 "$NEARDUP" index list "$K" --where status=dropped
  dropped=$(grep -c dropped "$WORK/out")
  (( dropped > 0 )) || fail "dedup dropped no copy"
  expect_code 1 "$NEARDUP" report --index "$K" -o "$WORK/kept.html"
  expect_err "$dropped archived article"
  expect_err "without a stored text"
  CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
  if [[ -z $CHROMIUM ]]; then echo "SKIP: no chromium to render the report" >&2; exit 77; fi
  flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
    --disable-component-update --disable-sync --user-data-dir="$WORK/profile")
  timeout 120 "$CHROMIUM" "${flags[@]}" --dump-dom "file://$R" >"$WORK/dom.html" 2>/dev/null || fail "chromium could not load"
  [[ $(grep -o '<circle' "$WORK/dom.html" | wc -l) == 3 ]] || fail "rendered DOM lacks the timeline's three articles"
  cells=$(grep -o '<td id="p[0-9]*-a' "$R" | wc -l)
  (( cells > 0 )) || fail "no passage in the archive's report"
  [[ $(grep -o '<td id="p[0-9]*-a' "$WORK/dom.html" | wc -l) == "$cells" ]] || fail "rendered DOM lacks passages"
  anchor=$(grep -o 'id="p[0-9]*-b[0-9]*"' "$R" | tail -1 | sed -E 's/id="(.*)"/\1/')
  timeout 120 "$CHROMIUM" "${flags[@]}" --window-size=1300,600 --screenshot="$WORK/top.png" "file://$R" >/dev/null 2>&1 \
    || fail "chromium could not take a screenshot"
  timeout 120 "$CHROMIUM" "${flags[@]}" --window-size=1300,600 --screenshot="$WORK/jump.png" "file://$R#$anchor" \
    >/dev/null 2>&1 || fail "chromium could not take a screenshot at an anchor"
  (( $(stat -c %s "$WORK/top.png") > 20000 )) || fail "screenshot is suspiciously small (blank page?)"
  ! cmp -s "$WORK/top.png" "$WORK/jump.png" || fail "the anchor of a counterpart does not scroll"
  ;;
index_cli)
  DB=$WORK/ix.db
  A=examples/articles
  W=$A/wire_tidal_barrier.txt S=$A/unrelated_sports.txt Q=$A/quote_story_a.txt
  expect_code 0 "$NEARDUP" index create "$DB"
  expect_err "created $DB (shingles words:3, 128 permutations, seed 1, 32 bands x 4 rows)"
  [[ -s $DB ]] || fail "index create made no file"
  [[ $(index_stat "$DB" articles) == 0 ]] || fail "a new index is not empty"
  # Usage errors: exit 2, and no file is made.
  expect_code 2 "$NEARDUP" index
  expect_code 2 "$NEARDUP" index frobnicate "$DB"
  expect_code 0 "$NEARDUP" index --help
  expect_out "Exit status:"
  for sub in create add remove stats list show export check upgrade; do
    expect_code 0 "$NEARDUP" index $sub --help
    expect_out "Usage:"
  done
  expect_code 2 "$NEARDUP" index create
  expect_code 2 "$NEARDUP" index create "$WORK/a.db" "$WORK/b.db"
  expect_code 2 "$NEARDUP" index create "$WORK/c.db" --num-perm 3
  expect_code 2 "$NEARDUP" index create "$WORK/c.db" --threshold 1.5
  expect_code 2 "$NEARDUP" index create "$WORK/c.db" --shingle words:0
  expect_err "invalid shingle spec"
  [[ ! -e $WORK/a.db && ! -e $WORK/b.db && ! -e $WORK/c.db ]] || fail "a refused create left a file"
  expect_code 2 "$NEARDUP" index add
  expect_code 2 "$NEARDUP" index add "$DB"
  expect_err "no input"
  expect_code 2 "$NEARDUP" index remove "$DB"
  expect_code 2 "$NEARDUP" index stats
  expect_code 2 "$NEARDUP" index stats "$DB" --format xml
  # create never overwrites: neither an index nor any other file.
  cp "$DB" "$WORK/ix.copy"
  expect_code 3 "$NEARDUP" index create "$DB"
  expect_err "$DB: already exists; an index is never overwritten"
  cmp -s "$DB" "$WORK/ix.copy" || fail "index create modified an existing index"
  echo "precious notes" >"$WORK/notes.txt"
  expect_code 3 "$NEARDUP" index create "$WORK/notes.txt" --num-perm 64
  [[ $(cat "$WORK/notes.txt") == "precious notes" ]] || fail "index create overwrote a file"
  # add files: exit 0; stats count them and their bytes.
  expect_code 0 "$NEARDUP" index add "$DB" "$W" "$S"
  expect_err "added 2 articles to $DB"
  expect_code 0 "$NEARDUP" index stats "$DB" --format json
  "$JSONL_CHECK" "$WORK/out" index format_version articles groups batches text_bytes file_bytes band_keys anchors \
    band_segments anchor_segments text_stored text_format shingle num_perm seed bands rows >/dev/null || fail "stats JSON"
  expect_out '"text_stored":"all","text_format":"plain",'
  expect_out "{\"index\":\"$DB\",\"format_version\":4,\"articles\":2,\"groups\":2,\"batches\":1,\"text_bytes\":$(($(wc -c <"$W") + $(wc -c <"$S"))),"
  expect_out '"band_keys":64,'
  expect_out '"shingle":"words:3","num_perm":128,"seed":1,"bands":32,"rows":4}'
  fp2=$(json_num anchors)
  (( fp2 > 0 )) || fail "no anchors"
  expect_code 0 "$NEARDUP" index stats "$DB"
  expect_out "index $DB (format 4)"
  expect_out "  articles       2 in 2 groups ("
  expect_out "  postings       64 band keys, $fp2 passage anchors"
  expect_out "shingles words:3, 128 permutations, seed 1, 32 bands x 4 rows"
  # The same file again: already archived, not an error; nothing changes (not even a batch).
  cp "$DB" "$WORK/before-rerun.db"
  expect_code 0 "$NEARDUP" index add "$DB" "$W"
  expect_err "added 0 articles to $DB in "
  expect_err "; 1 already archived"
  [[ $(index_stat "$DB" articles) == 2 && $(json_num anchors) == "$fp2" && $(json_num batches) == 1 ]] \
    || fail "adding an archived article again changed the index"
  cmp -s "$DB" "$WORK/before-rerun.db" || fail "adding an archived article again changed the file"
  # A mix: the new article is added, the archived one counted, the unreadable one reported: exit 1.
  : >"$WORK/empty.txt"
  expect_code 1 "$NEARDUP" index add "$DB" "$Q" "$W" "$WORK/empty.txt"
  expect_err "$WORK/empty.txt: empty article"
  expect_err "added 1 article to $DB in "
  expect_err "; 1 already archived; 1 input skipped"
  [[ $(index_stat "$DB" articles) == 3 ]] || fail "want 3 articles"
  fp3=$(json_num anchors)
  # --strict: the first unreadable input stops the add and nothing is added.
  expect_code 3 "$NEARDUP" index add --strict "$DB" $A/quote_story_b.txt "$WORK/empty.txt"
  expect_err "nothing was added"
  [[ $(index_stat "$DB" articles) == 3 ]] || fail "--strict add changed the index"
  # JSON Lines: fields other than id and text are the article's metadata, shown by query.
  make_article 31 300 >"$WORK/rec1.txt"
  make_article 32 300 >"$WORK/rec2.txt"
  {
    printf '{"id":"rec-1","url":"https://example.org/news/1?a=b","text":"%s","outlet":"Example Wire","date":"2024-03-01"}\n' \
      "$(json_text "$WORK/rec1.txt")"
    printf '{"id":"rec-2","text":"%s"}\n' "$(json_text "$WORK/rec2.txt")"
  } >"$WORK/feed.jsonl"
  expect_code 0 "$NEARDUP" index add "$DB" --jsonl "$WORK/feed.jsonl"
  expect_err "added 2 articles to $DB"
  [[ $(index_stat "$DB" articles) == 5 ]] || fail "want 5 articles"
  expect_out "\"text_bytes\":$(($(wc -c <"$W") + $(wc -c <"$S") + $(wc -c <"$Q") + $(wc -c <"$WORK/rec1.txt") + $(wc -c <"$WORK/rec2.txt"))),"
  expect_code 0 "$NEARDUP" query "$DB" "$WORK/rec1.txt" "$WORK/rec2.txt" --format json
  "$JSONL_CHECK" "$WORK/out" a b rank jaccard b_metadata >/dev/null || fail "query JSON"
  expect_out "{\"a\":\"$WORK/rec1.txt\",\"b\":\"rec-1\",\"rank\":1,\"jaccard\":1.0000,"
  expect_out '"b_metadata":{"url":"https://example.org/news/1?a=b","outlet":"Example Wire","date":"2024-03-01"},"b_group":4,"b_status":"kept"}'
  expect_out "{\"a\":\"$WORK/rec2.txt\",\"b\":\"rec-2\",\"rank\":1,\"jaccard\":1.0000,"
  grep "\"b\":\"rec-2\"" "$WORK/out" | grep -qF '"b_metadata":null,"b_group":5,"b_status":"kept"}' || fail "rec-2 has no metadata"
  [[ $(wc -l <"$WORK/out") == 2 ]] || fail "want one match per record"
  expect_code 0 "$NEARDUP" query "$DB" "$WORK/rec1.txt"
  expect_out '      metadata: {"url":"https://example.org/news/1?a=b","outlet":"Example Wire","date":"2024-03-01"}'
  # One id twice in one feed: the first is added, the second reported (exit 1).
  make_article 33 200 >"$WORK/rec3.txt"
  { printf '{"id":"rec-3","text":"%s"}\n' "$(json_text "$WORK/rec3.txt")"
    printf '{"id":"rec-3","text":"%s"}\n' "$(json_text "$WORK/rec2.txt")"; } >"$WORK/dup.jsonl"
  expect_code 1 "$NEARDUP" index add "$DB" --jsonl "$WORK/dup.jsonl"
  expect_err "$WORK/dup.jsonl:2: id 'rec-3' is already archived with another text; not added"
  expect_err "added 1 article to $DB in "
  expect_err "; 1 input skipped"
  expect_code 0 "$NEARDUP" query "$DB" "$WORK/rec3.txt" --format csv
  grep -q "^$WORK/rec3.txt,rec-3,1,1.0000," "$WORK/out" || fail "rec-3 does not hold the first record's text"
  expect_code 0 "$NEARDUP" index remove "$DB" rec-3
  # Numbers json-glib reads or writes wrongly: metadata 1e400 and 1e21 stay JSON in query output (it
  # wrote inf.0 and 1e+21.0); an integer id outside 64 bits is refused, not wrapped to a negative id.
  make_article 34 200 >"$WORK/rec4.txt"
  { printf '{"id":"rec-4","text":"%s","score":1e400,"reach":1e21}\n' "$(json_text "$WORK/rec4.txt")"
    printf '{"id":9223372036854775808,"text":"%s"}\n' "$(json_text "$WORK/rec2.txt")"; } >"$WORK/num.jsonl"
  expect_code 1 "$NEARDUP" index add "$DB" --jsonl "$WORK/num.jsonl"
  expect_err "$WORK/num.jsonl:2: the integer 9223372036854775808 (at byte 6) does not fit in 64 bits"
  expect_err "added 1 article to $DB in "
  expect_err "; 1 input skipped"
  expect_code 0 "$NEARDUP" query "$DB" "$WORK/rec4.txt" --format json
  "$JSONL_CHECK" "$WORK/out" a b rank b_metadata >/dev/null || fail "query JSON with huge numbers in metadata"
  expect_out '"b_metadata":{"score":1e999,"reach":1e+21},"b_group":'
  expect_code 0 "$NEARDUP" index remove "$DB" rec-4
  # remove: exit 0; the postings go with the article.
  expect_code 0 "$NEARDUP" index remove "$DB" rec-2
  expect_err "removed 1 article from $DB"
  [[ $(index_stat "$DB" articles) == 4 ]] || fail "want 4 articles after remove"
  # An unknown id is reported (exit 1); the known one is still removed.
  expect_code 1 "$NEARDUP" index remove "$DB" rec-1 no-such-id
  expect_err "id 'no-such-id' is not in the index"
  expect_err "removed 1 article from $DB"
  [[ $(index_stat "$DB" articles) == 3 ]] || fail "want 3 articles after the second remove"
  [[ $(json_num band_keys) == 96 && $(json_num anchors) == "$fp3" ]] \
    || fail "postings after removals: $(cat "$WORK/out"), want 96 band keys and $fp3 anchors"
  expect_code 0 "$NEARDUP" query "$DB" "$WORK/rec1.txt" "$WORK/rec2.txt" --format csv
  [[ $(wc -l <"$WORK/out") == 1 ]] || fail "removed articles are still found"
  # Not an index: exit 3, "not a neardup index", and the file is left alone.
  printf 'line one\nline two: definitely not SQLite\n' >"$WORK/garbage.db"
  cp "$WORK/garbage.db" "$WORK/garbage.copy"
  expect_code 3 "$NEARDUP" index stats "$WORK/garbage.db"
  expect_err "not a neardup index"
  expect_code 3 "$NEARDUP" index add "$WORK/garbage.db" "$W"
  expect_err "not a neardup index"
  expect_code 3 "$NEARDUP" index remove "$WORK/garbage.db" x
  expect_code 3 "$NEARDUP" query "$WORK/garbage.db" "$W"
  expect_err "not a neardup index"
  cmp -s "$WORK/garbage.db" "$WORK/garbage.copy" || fail "a command modified a file that is not an index"
  expect_code 3 "$NEARDUP" index stats "$WORK/missing.db"
  expect_err "$WORK/missing.db: No such file or directory"
  expect_code 3 "$NEARDUP" index add "$WORK/missing.db" "$W"
  [[ ! -e $WORK/missing.db ]] || fail "a command created a missing index"
  # Parameters chosen at create are kept; the banding is the one params gives.
  expect_code 0 "$NEARDUP" index create "$WORK/p.db" --shingle chars:4 --num-perm 64 --seed 9 --threshold 0.8
  expect_code 0 "$NEARDUP" params --threshold 0.8 --num-perm 64 --format json
  b=$(json_num bands) r=$(json_num rows)
  expect_code 0 "$NEARDUP" index stats "$WORK/p.db" --format json
  expect_out "\"shingle\":\"chars:4\",\"num_perm\":64,\"seed\":9,\"bands\":$b,\"rows\":$r}"
  expect_code 0 "$NEARDUP" index add "$WORK/p.db" "$W"
  [[ $(index_stat "$WORK/p.db" band_keys) == "$b" ]] || fail "want $b band keys for one article"
  ;;
query_cli)
  DB=$WORK/ix.db
  A=examples/articles
  W=$A/wire_tidal_barrier.txt F=$A/feature_embeds_wire.txt
  expect_code 0 "$NEARDUP" index create "$DB"
  expect_code 0 "$NEARDUP" index add "$DB" "$W" $A/unrelated_sports.txt $A/quote_story_a.txt \
    $A/reprint_harbour_gazette.txt $A/reprint_coastal_courier.txt $A/wire_glacier_study.txt
  # The feature reuses paragraphs of the wire story: found through containment, best first.
  expect_code 0 "$NEARDUP" query "$DB" "$F"
  expect_out "$F: 3 archived matches"
  expect_out "  rank  jaccard  a_in_b  b_in_a  kind            group  status   b"
  expect_out "     1    0.141   0.183   0.379  reuse               1  kept     $W"
  expect_no_out "unrelated_sports"
  expect_no_out "quote_story_a"
  expect_code 0 "$NEARDUP" query "$DB" "$F" --format json
  "$JSONL_CHECK" "$WORK/out" a b rank jaccard containment_a_in_b containment_b_in_a shared_shingles kind b_metadata \
    >/dev/null || fail "query JSON"
  [[ $(wc -l <"$WORK/out") == 3 ]] || fail "want 3 JSON matches"
  expect_out "{\"a\":\"$F\",\"b\":\"$W\",\"rank\":1,\"jaccard\":0.1409,\"containment_a_in_b\":0.1832,\"containment_b_in_a\":0.3787,\"shared_shingles\":153,\"kind\":\"reuse\",\"b_metadata\":null,\"b_group\":1,\"b_status\":\"kept\"}"
  # Ranks 1..n, best first by max(jaccard, containments).
  sed -E 's/.*"rank":([0-9]+),"jaccard":([0-9.]+),"containment_a_in_b":([0-9.]+),"containment_b_in_a":([0-9.]+).*/\1 \2 \3 \4/' \
    "$WORK/out" | awk '{ m = $2; if ($3 > m) m = $3; if ($4 > m) m = $4
      if ($1 != NR || (NR > 1 && m > prev)) bad = 1; prev = m } END { exit bad }' || fail "matches not ranked best first"
  # The same scores as pairs gives for the same two files.
  expect_code 0 "$NEARDUP" pairs "$F" "$W" --format csv
  pair_scores=$(sed -n '2p' "$WORK/out" | cut -d, -f3-5)
  expect_code 0 "$NEARDUP" query "$DB" "$F" --format csv
  expect_out "a,b,rank,jaccard,containment_a_in_b,containment_b_in_a,shared_shingles,kind"
  expect_out "$F,$W,1,$pair_scores,153,reuse"
  [[ $(wc -l <"$WORK/out") == 4 ]] || fail "want a header and 3 CSV rows"
  # --limit
  expect_code 0 "$NEARDUP" query "$DB" "$F" --format json --limit 2
  [[ $(wc -l <"$WORK/out") == 2 ]] || fail "--limit 2 gave $(wc -l <"$WORK/out") matches"
  expect_out '"rank":2,'
  expect_no_out '"rank":3,'
  expect_code 0 "$NEARDUP" query "$DB" "$F" --limit 1
  expect_out "$F: 3 archived matches"
  expect_out "     1    0.141"
  grep -qE '^ +2 +0\.[0-9]{3} ' "$WORK/out" && fail "--limit 1 wrote a second match"
  expect_code 2 "$NEARDUP" query "$DB" "$F" --limit -1
  # --passages: byte offsets into the query file and the archived text, as pairs --passages reports.
  expect_code 0 "$NEARDUP" query "$DB" "$F" --format json --passages --limit 1
  "$JSONL_CHECK" "$WORK/out" a b passages >/dev/null || fail "query --passages JSON"
  q_passages=$(sed -E 's/.*"passages":(\[.*\])\}$/\1/' "$WORK/out")
  expect_out '"passages":[{"passage":1,"a_start":2423,"a_end":3305,"b_start":982,"b_end":1864,'
  expect_code 0 "$NEARDUP" pairs --passages --format json "$F" "$W"
  p_passages=$(sed -E 's/.*"passages":(\[.*\])\}$/\1/' "$WORK/out")
  [[ $q_passages == "$p_passages" ]] || fail "query passages $q_passages differ from pairs passages $p_passages"
  [[ $(tail -c +2424 "$F" | head -c 882) == "$(tail -c +983 "$W" | head -c 882)" ]] \
    || fail "the offsets do not select the same text in the query file and the archived article"
  [[ $(tail -c +2424 "$F" | head -c 12) != "$(tail -c +2423 "$F" | head -c 12)" ]] || fail "offset check is vacuous"
  expect_code 0 "$NEARDUP" query "$DB" "$F" --passages --limit 1
  expect_out "passage 1: A bytes 2423-3305, B bytes 982-1864, 150 words, score 1.000: \"The vote follows the surge of November 2019, when water rose 1.9 …\""
  # An unrelated article: no matches (text says so; JSON and CSV have no rows).
  expect_code 0 "$NEARDUP" query "$DB" $A/same_topic_independent_1.txt
  expect_out "$A/same_topic_independent_1.txt: 0 archived matches"
  expect_code 0 "$NEARDUP" query "$DB" $A/same_topic_independent_1.txt --format json
  [[ ! -s $WORK/out ]] || fail "an unrelated article has JSON matches"
  # Several articles, one of them unreadable: each gets its section; exit 1.
  : >"$WORK/empty.txt"
  expect_code 1 "$NEARDUP" query "$DB" "$F" "$WORK/empty.txt" $A/reprint_bay_times_allcaps_headline.txt
  expect_err "$WORK/empty.txt: empty article"
  expect_out "$F: 3 archived matches"
  expect_out "$A/reprint_bay_times_allcaps_headline.txt: 3 archived matches"
  grep -qE '^ +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+  near-duplicate +[0-9]+  kept' "$WORK/out" || fail "no near-duplicate match row"
  # An identical article: Jaccard 1, a near-duplicate; the archive is read-only for query.
  cp "$DB" "$WORK/ix.before"
  expect_code 0 "$NEARDUP" query "$DB" "$W" --format csv --threshold 0.9 --containment 0
  expect_out "$W,$W,1,1.0000,1.0000,1.0000,"
  expect_out ",near-duplicate"
  [[ $(wc -l <"$WORK/out") == 2 ]] || fail "want only the identical article at threshold 0.9 without containment"
  cmp -s "$DB" "$WORK/ix.before" || fail "query modified the index"
  # -o writes the results atomically.
  expect_code 0 "$NEARDUP" query "$DB" "$F" --format csv -o "$WORK/res.csv"
  [[ ! -s $WORK/out && $(wc -l <"$WORK/res.csv") == 4 ]] || fail "-o output"
  # Errors: no such index, no article.
  expect_code 3 "$NEARDUP" query "$WORK/missing.db" "$F"
  expect_err "No such file or directory"
  expect_code 3 "$NEARDUP" query "$DB" "$WORK/empty.txt"
  expect_err "no article could be read"
  expect_code 2 "$NEARDUP" query "$DB"
  ;;
dedup_cli)
  mkdir -p "$WORK/batch"
  # A group of four versions of one story and an unrelated one. r4 (first) has no date, r2 is the
  # longest, r3 the earliest.
  make_article 21 400 >"$WORK/base.txt"
  cp "$WORK/base.txt" "$WORK/batch/r4.txt"
  { cat "$WORK/base.txt"; echo "Updated at noon."; } >"$WORK/batch/r1.txt"
  { cat "$WORK/base.txt"; make_article 22 60; } >"$WORK/batch/r2.txt"
  { echo "Breaking:"; cat "$WORK/base.txt"; } >"$WORK/batch/r3.txt"
  make_article 23 300 >"$WORK/batch/solo.txt"
  rec() { # ID FILE [DATE]
    if [[ -n ${3-} ]]; then
      printf '{"id":"%s","text":"%s","date":"%s","published":"%s"}\n' "$1" "$(json_text "$2")" "$3" "$4"
    else
      printf '{"id":"%s","text":"%s"}\n' "$1" "$(json_text "$2")"
    fi
  }
  {
    rec r4 "$WORK/batch/r4.txt"
    rec r1 "$WORK/batch/r1.txt" 2024-03-05 2024-01-01
    rec r2 "$WORK/batch/r2.txt" 2024-03-01 2024-01-03
    rec r3 "$WORK/batch/r3.txt" 2024-02-28T23:00:00Z 2024-01-02
    rec solo "$WORK/batch/solo.txt" 2023-12-31 2023-12-31
  } >"$WORK/batch.jsonl"
  before=$(tree_sum "$WORK/batch"; sha256sum "$WORK/batch.jsonl")
  # A row's fields after duplicate_in_index: its best match within the batch and their scores.
  MATCH='"best_match":"r[1-4]","best_match_in_index":false,"jaccard":0\.[5-9][0-9]{3},"containment":(0\.[5-9][0-9]{3}|1\.0000)'
  check_group() { # KEPT: the manifest in $WORK/out keeps KEPT and drops the other r*
    "$JSONL_CHECK" "$WORK/out" id group status duplicate_of duplicate_in_index best_match best_match_in_index jaccard \
      containment date already_archived copy >/dev/null || fail "manifest JSON"
    [[ $(wc -l <"$WORK/out") == 5 ]] || fail "want 5 manifest rows"
    grep -qE "^\{\"id\":\"$1\",\"group\":1,\"status\":\"kept\",\"duplicate_of\":null,\"duplicate_in_index\":false,$MATCH,\"date\":(null|\"[0-9T:Z-]{20}\"),\"already_archived\":false,\"copy\":null\}$" \
      "$WORK/out" || { cat "$WORK/out" >&2; fail "$1 should be kept"; }
    for r in r1 r2 r3 r4; do
      [[ $r == "$1" ]] && continue
      grep -qE "^\{\"id\":\"$r\",\"group\":1,\"status\":\"dropped\",\"duplicate_of\":\"$1\",\"duplicate_in_index\":false,$MATCH,\"date\":(null|\"[0-9T:Z-]{20}\"),\"already_archived\":false,\"copy\":null\}$" \
        "$WORK/out" || { cat "$WORK/out" >&2; fail "$r should be dropped as a duplicate of $1"; }
    done
    expect_out '{"id":"solo","group":2,"status":"kept","duplicate_of":null,"duplicate_in_index":false,"best_match":null,"best_match_in_index":false,"jaccard":null,"containment":null,"date":"2023-12-31T00:00:00Z","already_archived":false,"copy":null}'
  }
  expect_code 0 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl"
  check_group r4
  expect_err "5 articles: 2 kept, 3 dropped as duplicates"
  expect_code 0 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --keep first
  check_group r4
  expect_code 0 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --keep longest
  check_group r2
  expect_code 0 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --keep earliest
  check_group r3
  expect_code 0 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --keep earliest --date-field published
  check_group r1
  expect_out '"id":"r3","group":1,"status":"dropped","duplicate_of":"r1"'
  grep -q '"id":"r3".*"date":"2024-01-02T00:00:00Z"' "$WORK/out" || fail "the date of r3 under --date-field published"
  # Without a date, an article counts as the latest (default) or the earliest (--date-missing first).
  expect_code 0 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --keep earliest --date-missing first
  check_group r4
  # The CSV manifest.
  expect_code 0 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --keep longest --format csv
  [[ $(sed -n 1p "$WORK/out") == "id,group,status,duplicate_of,duplicate_in_index,best_match,best_match_in_index,jaccard,containment,date,already_archived,copy" ]] || fail "CSV header"
  grep -qxE 'r2,1,kept,,false,r[134],false,0\.[5-9][0-9]{3},(0\.[5-9][0-9]{3}|1\.0000),2024-03-01T00:00:00Z,false,' "$WORK/out" \
    || fail "CSV row of r2"
  grep -qxE 'r4,1,dropped,r2,false,r[123],false,0\.[5-9][0-9]{3},(0\.[5-9][0-9]{3}|1\.0000),,false,' "$WORK/out" \
    || fail "CSV row of r4"
  grep -qx 'solo,2,kept,,false,,false,,,2023-12-31T00:00:00Z,false,' "$WORK/out" || fail "CSV row of solo"
  [[ $(wc -l <"$WORK/out") == 6 ]] || fail "want a header and 5 CSV rows"
  # Usage errors.
  expect_code 2 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --keep newest
  expect_code 2 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --add
  expect_err "--add needs --index"
  expect_code 2 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --rekeep earliest
  expect_err "--rekeep needs --index"
  expect_code 2 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --rekeep newest --index x.db
  expect_code 2 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --date-missing never
  expect_code 2 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --copy-format pdf
  expect_code 2 "$NEARDUP" dedup batch --copy-to x --copy-format jsonl --link
  expect_code 2 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --format text
  # --copy-to with files: exactly the kept ones, with their relative paths and bytes.
  cd "$WORK" || fail "cd"
  expect_code 0 "$NEARDUP" dedup batch --copy-to copies --keep longest -o manifest.json
  [[ ! -s $WORK/out ]] || fail "-o must keep stdout empty"
  grep -q '"id":"batch/r2.txt","group":1,"status":"kept"' manifest.json || fail "file manifest"
  [[ $(cd copies && find . -type f | sort | tr '\n' ' ') == "./batch/r2.txt ./batch/solo.txt " ]] \
    || fail "copied: $(cd copies && find . -type f | tr '\n' ' ')"
  cmp -s batch/r2.txt copies/batch/r2.txt && cmp -s batch/solo.txt copies/batch/solo.txt || fail "copies differ"
  [[ $(stat -c %i batch/r2.txt) != $(stat -c %i copies/batch/r2.txt) ]] || fail "a copy is a hard link without --link"
  # JSON Lines records become DIR/ID.txt (the id percent-encoded), and an id cannot escape DIR.
  make_article 24 200 >esc.txt
  make_article 25 200 >ab.txt
  { rec "../escape" esc.txt; rec "a/b" ab.txt; } >ids.jsonl
  expect_code 0 "$NEARDUP" dedup --jsonl batch.jsonl --jsonl ids.jsonl --copy-to jcopies
  [[ $(cd jcopies && find . -type f | sort | tr '\n' ' ') == "./%2E.%2Fescape.txt ./a%2Fb.txt ./r4.txt ./solo.txt " ]] \
    || fail "JSON Lines copies: $(cd jcopies && find . -type f | tr '\n' ' ')"
  cmp -s jcopies/r4.txt batch/r4.txt && cmp -s jcopies/%2E.%2Fescape.txt esc.txt && cmp -s jcopies/a%2Fb.txt ab.txt \
    || fail "a copy of a record differs from its text"
  [[ ! -e $WORK/escape.txt ]] || fail "an id escaped the --copy-to directory"
  # --copy-to never overwrites: a file already there is reported and left alone.
  mkdir -p taken/batch
  echo "precious" >taken/batch/solo.txt
  expect_code 3 "$NEARDUP" dedup batch --copy-to taken
  expect_err "taken/batch/solo.txt: exists with other content; not overwritten"
  [[ $(cat taken/batch/solo.txt) == precious ]] || fail "--copy-to overwrote an existing file"
  [[ -z $(find taken -name '*tmp-*') ]] || fail "temporary file left in --copy-to DIR"
  # --link: hard links to the inputs.
  expect_code 0 "$NEARDUP" dedup batch --copy-to links --link --keep earliest
  for f in r1 solo; do # no dates in files: earliest keeps the first (directories are read in name order)
    [[ $(stat -c %i batch/$f.txt) == $(stat -c %i links/batch/$f.txt) ]] || fail "links/batch/$f.txt is not a hard link"
  done
  [[ $(find links -type f | wc -l) == 2 ]] || fail "--link made $(find links -type f | wc -l) files, want 2"
  # --index: a group with an archived member keeps the archived one; --add archives the whole batch,
  # every article with its group.
  expect_code 0 "$NEARDUP" index create ix.db
  rec archived-r3 batch/r3.txt >archived.jsonl
  expect_code 0 "$NEARDUP" index add ix.db --jsonl archived.jsonl
  cp ix.db ix.before
  expect_code 0 "$NEARDUP" dedup --jsonl batch.jsonl --index ix.db
  "$JSONL_CHECK" "$WORK/out" id group status duplicate_of duplicate_in_index best_match >/dev/null || fail "manifest JSON"
  for r in r1 r2 r3 r4; do
    grep -qE "^\{\"id\":\"$r\",\"group\":1,\"status\":\"dropped\",\"duplicate_of\":\"archived-r3\",\"duplicate_in_index\":true," \
      "$WORK/out" || { cat "$WORK/out" >&2; fail "$r should be dropped as a duplicate of the archived article"; }
  done
  expect_out '{"id":"r3","group":1,"status":"dropped","duplicate_of":"archived-r3","duplicate_in_index":true,"best_match":"archived-r3","best_match_in_index":true,"jaccard":1.0000,"containment":1.0000,"date":"2024-02-28T23:00:00Z","already_archived":false,"copy":null}'
  expect_out '{"id":"solo","group":2,"status":"kept","duplicate_of":null,"duplicate_in_index":false,"best_match":null,"best_match_in_index":false,"jaccard":null,"containment":null,"date":"2023-12-31T00:00:00Z","already_archived":false,"copy":null}'
  [[ $(index_stat ix.db articles) == 1 ]] || fail "dedup without --add changed the index"
  expect_code 0 "$NEARDUP" dedup --jsonl batch.jsonl --index ix.db --add --format csv
  expect_err "added 5 articles (1 kept) to ix.db"
  [[ $(index_stat ix.db articles) == 6 && $(json_num groups) == 2 ]] || fail "--add should archive the batch in 2 groups"
  expect_code 0 "$NEARDUP" query ix.db batch/solo.txt --format csv
  grep -q "^batch/solo.txt,solo,1,1.0000," "$WORK/out" || fail "the kept article is not in the index"
  # A second run finds everything archived: solo is the archived article itself (kept, already
  # archived), the rest dropped as before, nothing added, exit 0, the file unchanged.
  cp ix.db ix.after-add
  expect_code 0 "$NEARDUP" dedup --jsonl batch.jsonl --index ix.db --add
  expect_out '{"id":"solo","group":2,"status":"kept","duplicate_of":null,"duplicate_in_index":false,"best_match":null,"best_match_in_index":false,"jaccard":null,"containment":null,"date":"2023-12-31T00:00:00Z","already_archived":true,"copy":null}'
  expect_out '{"id":"r3","group":1,"status":"dropped","duplicate_of":"archived-r3","duplicate_in_index":true,"best_match":"archived-r3","best_match_in_index":true,"jaccard":1.0000,"containment":1.0000,"date":"2024-02-28T23:00:00Z","already_archived":true,"copy":null}'
  expect_err "added 0 articles (0 kept) to ix.db (5 already archived)"
  [[ $(index_stat ix.db articles) == 6 ]] || fail "want still 6 articles"
  cmp -s ix.db ix.after-add || fail "running a batch again changed the index file"
  # Batch files (not records): archived under their paths.
  expect_code 0 "$NEARDUP" dedup batch --index ix.before --add --keep longest
  [[ $(index_stat ix.before articles) == 6 ]] || fail "want the archived one and the 5 files"
  expect_code 3 "$NEARDUP" dedup batch --index missing.db
  # Inputs are never modified, moved or deleted.
  after=$(tree_sum "$WORK/batch"; sha256sum "$WORK/batch.jsonl")
  [[ $before == "$after" ]] || fail "dedup changed its inputs"
  ;;
pages_templates)
  # Two stories, each saved from two sites with different templates (tests/data/pages): the pages of
  # one site share their chrome (navigation, cookie banner, lists, footer) but never pair; one story
  # in two templates pairs as a near-duplicate, because only the articles are compared.
  expect_code 0 "$NEARDUP" pairs tests/data/pages --format csv
  [[ $(wc -l <"$WORK/out") == 3 ]] || { cat "$WORK/out" >&2; fail "want exactly two pairs"; }
  expect_out "tests/data/pages/courier_ferry.html,tests/data/pages/valley_ferry.html,1.0000,1.0000,1.0000"
  expect_out "tests/data/pages/courier_library.html,tests/data/pages/valley_library.html,1.0000,1.0000,1.0000"
  expect_code 0 "$NEARDUP" scan tests/data/pages --threshold 0.3 --containment 0.1 --format csv
  [[ $(grep -c "courier_ferry.html,2" "$WORK/out") == 1 ]] || fail "the ferry story should be a cluster of two"
  [[ $(wc -l <"$WORK/out") == 5 ]] || { cat "$WORK/out" >&2; fail "no cluster may join the two stories of one site"; }
  ;;
extract_cli)
  expect_code 0 "$NEARDUP" extract tests/data/pages/valley_ferry.html
  expect_out "==> tests/data/pages/valley_ferry.html <=="
  expect_out "title: Ferry service to Marrow Island resumes after six-week repair"
  expect_out "site: Valley Evening Post"
  expect_out "The passenger ferry linking the mainland port of Calder"
  expect_no_out "Related stories"
  expect_no_out "Subscribe"
  expect_code 0 "$NEARDUP" extract tests/data/pages --format json
  "$JSONL_CHECK" "$WORK/out" id text title url date site >/dev/null 2>&1 && fail "valley pages have no url"
  "$JSONL_CHECK" "$WORK/out" id text title date site >/dev/null || fail "extract --format json fields"
  [[ $(wc -l <"$WORK/out") == 4 ]] || fail "four pages, four records"
  # the output reads back as JSON Lines, with the same text
  cp "$WORK/out" "$WORK/pages.jsonl"
  expect_code 0 "$NEARDUP" pairs --jsonl "$WORK/pages.jsonl" --format csv
  [[ $(wc -l <"$WORK/out") == 3 ]] || fail "extracted JSON Lines should give the same two pairs"
  # a JSON Lines file named as a plain path, gzip'd, and a WARC named as anything: read by content
  gzip -c "$WORK/pages.jsonl" >"$WORK/feed.data"
  {
    body='<html><body><p>A page fetched by a crawler, stored in a WARC record of its own, is an article like any saved page.</p></body></html>'
    http=$(printf 'HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n%s' "$body")
    printf 'WARC/1.1\r\nWARC-Type: warcinfo\r\nContent-Length: 0\r\n\r\n\r\n\r\n'
    printf 'WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: https://crawl.example/one\r\nWARC-Date: 2026-01-02T03:04:05Z\r\nWARC-Record-ID: <urn:uuid:one>\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n%s\r\n\r\n' "${#http}" "$http"
  } >"$WORK/crawl.bin"
  expect_code 0 "$NEARDUP" extract "$WORK/feed.data" "$WORK/crawl.bin" --format json
  [[ $(wc -l <"$WORK/out") == 5 ]] || fail "four records and one WARC article"
  expect_out '"id":"https://crawl.example/one","text":"A page fetched by a crawler'
  expect_out '"warc_date":"2026-01-02T03:04:05Z","warc_record_id":"<urn:uuid:one>","warc_offset":'
  expect_err "passed over: 1 WARC warcinfo records"
  ;;
diff_page_offsets)
  # passage offsets point into the pages as saved (from the <h1> headline on), not into their extracted text
  expect_code 0 "$NEARDUP" diff tests/data/pages/courier_ferry.html tests/data/pages/valley_ferry.html --format json --text
  a_start=$(json_num a_start); a_end=$(json_num a_end); b_start=$(json_num b_start); b_end=$(json_num b_end)
  slice_a=$(tail -c +$((a_start + 1)) tests/data/pages/courier_ferry.html | head -c $((a_end - a_start)))
  slice_b=$(tail -c +$((b_start + 1)) tests/data/pages/valley_ferry.html | head -c $((b_end - b_start)))
  [[ $slice_a == "Ferry service to Marrow Island"* ]] || fail "A offsets $a_start-$a_end: '${slice_a:0:40}'"
  [[ $slice_b == "Ferry service to Marrow Island"* ]] || fail "B offsets $b_start-$b_end: '${slice_b:0:40}'"
  [[ $slice_a == *"before the summer season" ]] || fail "A passage end: '${slice_a: -40}'"
  [[ $slice_b == *"before the summer season" ]] || fail "B passage end: '${slice_b: -40}'"
  [[ $slice_a == *"</p>"* ]] || fail "the A passage spans several paragraphs of the page"
  [[ $slice_b == *"island&rsquo;s"* ]] || fail "B's bytes hold the entity the text decoded"
  # dedup --copy-to keeps pages as pages, not as their text
  expect_code 0 "$NEARDUP" dedup tests/data/pages --copy-to "$WORK/keep" -o "$WORK/manifest.jsonl"
  [[ $(find "$WORK/keep" -type f | wc -l) == 2 ]] || fail "one page per story should be kept"
  for f in $(cd "$WORK/keep" && find . -type f); do
    cmp -s "$WORK/keep/$f" "$f" || fail "the copy of $f is not the page"
  done
  # the same offsets from pairs --passages
  expect_code 0 "$NEARDUP" pairs --passages --format csv tests/data/pages
  expect_out ",1,$a_start,$a_end,$b_start,$b_end,"
  ;;
dedup_archive)
  # Batch after batch against an archive of groups: the drift of issue 14, dates understood, rekeep,
  # runs again, copies with their metadata, and dates that cannot be read.
  cd "$WORK" || fail "cd"
  # edit FILE EVERY SEED: every EVERY-th word of FILE replaced by a word the vocabulary lacks.
  edit() { awk -v every="$2" -v seed="$3" 'BEGIN { srand(seed) } { for (i = 1; i <= NF; i++) { n++; if (n % every == 0) $i = "x" int(rand() * 1000000) } print }' "$1"; }
  make_article 41 400 >wire.txt
  { edit wire.txt 14 1; echo "Share this story. Subscribe to our newsletter. Advertisement."; } >copy.txt
  edit wire.txt 30 2 >reprint.txt
  make_article 42 300 >other.txt
  make_article 43 300 >late.txt
  rec() { # ID FILE DATE [EXTRA_JSON_MEMBERS]
    printf '{"id":"%s","text":"%s","date":"%s"%s}\n' "$1" "$(json_text "$2")" "$3" "${4-}"
  }
  # Batch 1: the wire story and a mis-dated, noisier copy; --keep earliest keeps the copy.
  { rec wire wire.txt "Mon, 05 Jan 2026 09:00:00 GMT" ',"url":"https://example.org/wire","outlet":"Wire"'
    rec copy copy.txt "2026-01-01" ',"outlet":"Noisy"'
    rec other other.txt "2026-01-06T12:00:00+02:00"; } >b1.jsonl
  expect_code 0 "$NEARDUP" index create ar.db
  expect_code 0 "$NEARDUP" dedup --jsonl b1.jsonl --index ar.db --add --keep earliest --copy-to keep -o m1.jsonl
  grep -q '"id":"copy","group":1,"status":"kept"' m1.jsonl || fail "batch 1 keeps the copy: $(cat m1.jsonl)"
  grep -q '"id":"wire","group":1,"status":"dropped","duplicate_of":"copy"' m1.jsonl || fail "batch 1 drops the wire"
  grep -q '"id":"wire",.*"date":"2026-01-05T09:00:00Z"' m1.jsonl || fail "the RSS date read in UTC"
  grep -q '"id":"other",.*"date":"2026-01-06T10:00:00Z"' m1.jsonl || fail "an offset date read in UTC"
  expect_err "3 articles: 2 kept, 1 dropped as duplicates (0 joined archived groups, 2 new groups)"
  expect_err "added 3 articles (2 kept) to ar.db"
  [[ $(index_stat ar.db articles) == 3 && $(json_num groups) == 2 ]] || fail "the archive holds the whole batch in 2 groups"
  # Batch 2: a reprint of the wire story matches the dropped wire story (archived all the same) far
  # better than the kept copy, and joins group 1: dropped, a duplicate of the copy, through the wire.
  rec reprint reprint.txt "Tue, 06 Jan 2026 10:00:00 +0100" >b2.jsonl
  expect_code 0 "$NEARDUP" dedup --jsonl b2.jsonl --index ar.db --add --copy-to keep -o m2.jsonl
  grep -qE '^\{"id":"reprint","group":1,"status":"dropped","duplicate_of":"copy","duplicate_in_index":true,"best_match":"wire","best_match_in_index":true,"jaccard":0\.[6-9][0-9]{3},' m2.jsonl \
    || fail "the reprint did not join group 1 through the wire story: $(cat m2.jsonl)"
  [[ ! -e keep/reprint.txt ]] || fail "a dropped reprint was copied"
  # The same batches again: nothing changes, exit 0, the same manifest but already_archived.
  cp ar.db ar.before
  expect_code 0 "$NEARDUP" dedup --jsonl b1.jsonl --index ar.db --add --keep earliest --copy-to keep -o m1b.jsonl
  expect_err "added 0 articles (0 kept) to ar.db (3 already archived)"
  diff <(sed 's/"already_archived":false/"already_archived":true/' m1.jsonl) m1b.jsonl >&2 \
    || fail "a batch run again gives another manifest"
  cmp -s ar.db ar.before || fail "a batch run again changed the archive"
  # Rekeep: an earlier article of group 2 replaces its kept article; the replaced one is superseded.
  edit other.txt 25 3 >other-early.txt
  rec other-early other-early.txt "5 January 2026" >b3.jsonl
  expect_code 0 "$NEARDUP" dedup --jsonl b3.jsonl --index ar.db --add --rekeep earliest -o m3.jsonl
  grep -q '"id":"other-early","group":2,"status":"kept"' m3.jsonl || fail "rekeep: $(cat m3.jsonl)"
  grep -q '"id":"other","group":2,"status":"superseded","duplicate_of":"other-early",.*"date":"2026-01-06T10:00:00Z","already_archived":true' m3.jsonl \
    || fail "the superseded article is not reported: $(cat m3.jsonl)"
  expect_err "1 archived kept article superseded"
  expect_code 0 "$NEARDUP" index list ar.db --group 2 --format csv
  grep -q '^other,2,dropped,' "$WORK/out" && grep -q '^other-early,2,kept,' "$WORK/out" || fail "group 2 after the rekeep"
  # Without --rekeep (never), an earlier member does not replace the kept article.
  edit other.txt 30 4 >other-earlier.txt
  rec other-earlier other-earlier.txt "1 January 2026" >b4.jsonl
  # (--exclusive: the same add through a rollback journal; the archive is back in WAL mode after it.)
  expect_code 0 "$NEARDUP" dedup --jsonl b4.jsonl --index ar.db --add --exclusive -o m4.jsonl
  grep -q '"id":"other-earlier","group":2,"status":"dropped","duplicate_of":"other-early"' m4.jsonl || fail "rekeep never"
  [[ ! -e ar.db-journal && $("$INDEX_SQL" ar.db "PRAGMA journal_mode") == wal ]] || fail "an exclusive add left the archive out of WAL mode"
  expect_code 0 "$NEARDUP" index check ar.db
  # Copies as JSON Lines keep the metadata; names are the ids percent-encoded.
  { rec "news/a" late.txt "2026-02-01" ',"url":"https://example.org/a?b=c"'
    rec "news_a" other.txt "2026-02-02"; } >b5.jsonl
  expect_code 0 "$NEARDUP" dedup --jsonl b5.jsonl --copy-to jkeep --copy-format jsonl -o m5.jsonl
  [[ -f jkeep/news%2Fa.jsonl && -f jkeep/news_a.jsonl ]] || fail "jsonl copies: $(ls jkeep)"
  grep -q '"copy":"news%2Fa.jsonl"' m5.jsonl || fail "the manifest names the copy"
  "$JSONL_CHECK" jkeep/news%2Fa.jsonl id text date url >/dev/null || fail "the copy is not a record with its metadata"
  "$NEARDUP" pairs --jsonl jkeep/news%2Fa.jsonl late.txt --format csv >pairs.csv 2>/dev/null
  grep -qE '^(news/a,late.txt|late.txt,news/a),1.0000,' pairs.csv || fail "the copied record does not hold the text: $(cat pairs.csv)"
  # Dates that cannot be read: one line for the batch, with the count and the first one.
  { rec d1 late.txt "next Tuesday"; rec d2 wire.txt "2026-02-30"; rec d3 other.txt "soon"; } >b6.jsonl
  expect_code 0 "$NEARDUP" dedup --jsonl b6.jsonl -o m6.jsonl --keep earliest
  expect_err "3 articles have a date that cannot be read (the first: 'd1': \"date\": 'next Tuesday' is not a date"
  [[ $(grep -c "cannot be read" "$WORK/err") == 1 ]] || fail "dates reported more than once"
  grep -q '"id":"d2",.*"date":null' m6.jsonl || fail "an unreadable date is none"
  # --date-missing mtime: files take their modification time.
  mkdir -p files && cp wire.txt files/a.txt && cp reprint.txt files/b.txt
  touch -d '2026-03-02 00:00:00 UTC' files/a.txt && touch -d '2026-03-01 00:00:00 UTC' files/b.txt
  expect_code 0 "$NEARDUP" dedup files --keep earliest --date-missing mtime -o m7.jsonl
  grep -q '"id":"files/b.txt","group":1,"status":"kept",.*"date":"2026-03-01T00:00:00Z"' m7.jsonl \
    || fail "--date-missing mtime: $(cat m7.jsonl)"
  # --passages: the passages a dropped article shares with its best match (archived here).
  expect_code 0 "$NEARDUP" dedup --jsonl b2.jsonl --index ar.db --passages -o m8.jsonl
  "$JSONL_CHECK" m8.jsonl id passages >/dev/null || fail "passages in the manifest"
  grep -q '"passages":\[{"passage":1' m8.jsonl || fail "no passage: $(head -c 300 m8.jsonl)"
  "$NEARDUP" index check ar.db 2>"$WORK/err" >/dev/null || { cat "$WORK/err" >&2; fail "index check after the batches"; }
  ;;
index_browse)
  # list, show, export (read back by --jsonl), conditions, check, texts for sqlite3, older formats.
  cd "$WORK" || fail "cd"
  make_article 51 300 >a.txt
  { cat a.txt; echo "Updated at noon."; } >b.txt
  make_article 52 300 >c.txt
  { printf '{"id":"a","text":"%s","date":"2026-01-05","outlet":"Wire","n":3}\n' "$(json_text a.txt)"
    printf '{"id":"b","text":"%s","date":"Fri, 09 Jan 2026 08:00:00 GMT","outlet":"Gazette","n":12}\n' "$(json_text b.txt)"
    printf '{"id":"c","text":"%s","outlet":"Wire"}\n' "$(json_text c.txt)"; } >feed.jsonl
  expect_code 0 "$NEARDUP" index create ix.db
  expect_code 0 "$NEARDUP" dedup --jsonl feed.jsonl --index ix.db --add -o /dev/null
  expect_code 0 "$NEARDUP" index list ix.db
  expect_out "   group  status   date                  id"
  expect_out "       1  kept     2026-01-05T00:00:00Z  a"
  expect_out "       1  dropped  2026-01-09T08:00:00Z  b"
  expect_out "       2  kept     -                     c"
  expect_code 0 "$NEARDUP" index list ix.db --format json
  "$JSONL_CHECK" "$WORK/out" id group status date date_text bytes batch added best_match jaccard containment metadata \
    >/dev/null || fail "list JSON"
  expect_out '"id":"b","group":1,"status":"dropped","date":"2026-01-09T08:00:00Z",'
  expect_out '"date_text":"Fri, 09 Jan 2026 08:00:00 GMT","metadata":{"date":"Fri, 09 Jan 2026 08:00:00 GMT",'
  # CSV has the fields of JSON, in the same order; the metadata as its JSON text (RFC 4180 quoting)
  expect_code 0 "$NEARDUP" index list ix.db --format csv
  expect_out "id,group,status,date,bytes,batch,added,best_match,jaccard,containment,date_text,metadata"
  expect_out ',"Fri, 09 Jan 2026 08:00:00 GMT","{""date"":""Fri, 09 Jan 2026 08:00:00 GMT"",""outlet"":""Gazette"",""n"":12}"'
  [[ $(wc -l <"$WORK/out") == 4 ]] || fail "index list CSV: a header and 3 rows: $(cat "$WORK/out")"
  expect_code 0 "$NEARDUP" index list ix.db --format csv --where outlet=Wire
  [[ $(tail -n +2 "$WORK/out" | cut -d, -f1 | tr '\n' ' ') == "a c " ]] || fail "--where outlet=Wire: $(cat "$WORK/out")"
  expect_code 0 "$NEARDUP" index list ix.db --format csv --where 'date<2026-01-09'
  [[ $(tail -n +2 "$WORK/out" | cut -d, -f1 | tr '\n' ' ') == "a " ]] || fail "--where date<: $(cat "$WORK/out")"
  expect_code 0 "$NEARDUP" index list ix.db --format csv --where 'date=2026-01-09' --where 'n>10' --where status=dropped
  [[ $(tail -n +2 "$WORK/out" | cut -d, -f1 | tr '\n' ' ') == "b " ]] || fail "three conditions: $(cat "$WORK/out")"
  expect_code 0 "$NEARDUP" index list ix.db --format csv --group 2
  [[ $(tail -n +2 "$WORK/out" | cut -d, -f1 | tr '\n' ' ') == "c " ]] || fail "--group 2: $(cat "$WORK/out")"
  expect_code 2 "$NEARDUP" index list ix.db --where 'date>tomorrow'
  expect_err "is not a date"
  expect_code 2 "$NEARDUP" index list ix.db --where 'outlet'
  expect_code 0 "$NEARDUP" index show ix.db b
  expect_out "  group          1 (dropped)"
  expect_out "  date           2026-01-09T08:00:00Z (written \"Fri, 09 Jan 2026 08:00:00 GMT\")"
  expect_out "  joined through a (jaccard"
  expect_out "    kept     a"
  expect_out "Updated at noon."
  expect_code 0 "$NEARDUP" index show ix.db b --format json
  "$JSONL_CHECK" "$WORK/out" id group status members text metadata >/dev/null || fail "show JSON"
  expect_out '"members":[{"id":"a","status":"kept"},{"id":"b","status":"dropped"}],"text":"'
  expect_code 0 "$NEARDUP" index show ix.db b
  expect_out "    dropped  b"
  expect_code 1 "$NEARDUP" index show ix.db nope
  expect_err "id 'nope' is not in the index"
  # export: JSON Lines that --jsonl reads back, the same texts and metadata.
  expect_code 0 "$NEARDUP" index export ix.db -o exported.jsonl
  expect_err "exported 3 articles from ix.db"
  "$JSONL_CHECK" exported.jsonl id text neardup >/dev/null || fail "export JSON"
  grep -q '"id":"a","text":".*","date":"2026-01-05","outlet":"Wire","n":3,"neardup":{"group":1,"status":"kept"' exported.jsonl \
    || fail "export line: $(head -c 300 exported.jsonl)"
  expect_code 0 "$NEARDUP" index create re.db
  expect_code 0 "$NEARDUP" index add re.db --jsonl exported.jsonl
  expect_code 0 "$NEARDUP" query re.db a.txt b.txt c.txt --format csv --threshold 0.99 --containment 0
  grep -q '^a.txt,a,[12],1.0000,1.0000,1.0000,' "$WORK/out" && grep -q '^b.txt,b,[12],1.0000,1.0000,1.0000,' "$WORK/out" \
    && grep -q '^c.txt,c,1,1.0000,1.0000,1.0000,' "$WORK/out" \
    || fail "export then add does not give the same texts: $(cat "$WORK/out")"
  expect_code 0 "$NEARDUP" index export ix.db --where outlet=Gazette
  [[ $(wc -l <"$WORK/out") == 1 ]] || fail "export --where"
  # check: sound, then a damaged posting block is found and named.
  expect_code 0 "$NEARDUP" index check ix.db
  expect_err "ix.db: sound: 3 articles in 2 groups"
  cp ix.db bad.db
  "$INDEX_SQL" --write bad.db "UPDATE band_postings SET data = randomblob(length(data)) WHERE first_key = (SELECT min(first_key) FROM band_postings)" \
    || fail "damaging a block"
  expect_code 3 "$NEARDUP" index check bad.db
  expect_err "contents that do not match its hash"
  expect_err "problem"
  # Texts for sqlite3: the bytes themselves by default, zlib that sqlar_uncompress reads on request.
  expect_code 0 "$NEARDUP" index create z.db --text-format zlib
  expect_code 0 "$NEARDUP" index add z.db --jsonl feed.jsonl
  [[ $("$INDEX_SQL" ix.db "SELECT CAST(text AS TEXT) = CAST(readfile AS TEXT) FROM (SELECT text, (SELECT text FROM articles WHERE id = 'a') AS readfile FROM articles WHERE id = 'a')") == 1 ]] \
    || fail "plain text"
  [[ $("$INDEX_SQL" ix.db "SELECT length(text) = bytes FROM articles WHERE id = 'c'") == 1 ]] || fail "a plain text's length"
  [[ $("$INDEX_SQL" z.db "SELECT length(text) < bytes FROM articles WHERE id = 'c'") == 1 ]] || fail "zlib stores less"
  if command -v sqlite3 >/dev/null; then
    { cat c.txt; echo; } >c-row.txt # the shell ends each row with a newline
    sqlite3 z.db "SELECT CAST(sqlar_uncompress(text, bytes) AS TEXT) FROM articles WHERE id = 'c'" >shell.txt
    cmp -s shell.txt c-row.txt || fail "the sqlite3 shell does not read a zlib text back"
    sqlite3 ix.db "SELECT CAST(sqlar_uncompress(text, bytes) AS TEXT) FROM articles WHERE id = 'c'" >shell.txt
    cmp -s shell.txt c-row.txt || fail "the sqlite3 shell does not read a plain text back"
  else
    echo "no sqlite3 shell: the shell's own reading is not tested"
  fi
  expect_code 0 "$NEARDUP" index show z.db c
  expect_out "$(head -c 40 c.txt)"
  # --text none: the texts are not stored; matching stays exact (the shingle keys are kept).
  expect_code 0 "$NEARDUP" index create n.db --text none
  expect_code 0 "$NEARDUP" index add n.db --jsonl feed.jsonl
  [[ $("$INDEX_SQL" n.db "SELECT count(*) FROM articles WHERE text IS NULL AND shingles IS NOT NULL") == 3 ]] \
    || fail "--text none stored texts"
  expect_code 0 "$NEARDUP" query n.db b.txt --format csv
  grep -q '^b.txt,b,[12],1.0000,1.0000,1.0000,' "$WORK/out" || fail "exact matching without texts"
  expect_code 0 "$NEARDUP" index show n.db a
  expect_out "(not stored)"
  expect_code 0 "$NEARDUP" index check n.db
  # Older formats: refused with a message saying how to upgrade; upgrade copies, the old file stays.
  "$OLD_INDEX" old.db a a.txt b b.txt c c.txt || fail "making a format 3 index"
  sum=$(sha256sum old.db)
  expect_code 3 "$NEARDUP" index stats old.db
  expect_err "index format 3 was written by an older neardup"
  expect_err "neardup index upgrade old.db NEW.db"
  expect_code 0 "$NEARDUP" index upgrade old.db new.db
  expect_err "upgraded old.db into new.db: 3 articles"
  [[ $(sha256sum old.db) == "$sum" ]] || fail "upgrade changed the old index"
  expect_code 0 "$NEARDUP" query new.db b.txt --format csv
  grep -q '^b.txt,b,[12],1.0000,1.0000,1.0000,' "$WORK/out" && grep -q '^b.txt,a,[12],0.9' "$WORK/out" \
    || fail "the upgraded index: $(cat "$WORK/out")"
  expect_code 0 "$NEARDUP" index check new.db
  expect_code 3 "$NEARDUP" index upgrade old.db new.db
  expect_err "already exists"
  expect_code 3 "$NEARDUP" index upgrade new.db newer.db
  expect_err "is already this neardup's format"
  [[ ! -e newer.db ]] || fail "a refused upgrade left a file"
  ;;
progress)
  # --progress on a file: phase lines with totals (records counted ahead), a rate and the time
  # left, while the index is written too, then one summary line.
  cd "$WORK" || fail "cd"
  "$GEN_CORPUS" -n 3000 --jsonl c.jsonl --truth c.truth 2>/dev/null || fail "gen_corpus"
  expect_code 0 "$NEARDUP" index create p.db
  NEARDUP_PROGRESS_MS=20 expect_code 0 "$NEARDUP" index add p.db --jsonl c.jsonl --progress
  grep -qE '^neardup: reading and signing: [0-9,]+ of 3,000 articles \([0-9]+%\)' "$WORK/err" \
    || { cat "$WORK/err" >&2; fail "no reading line with its total"; }
  grep -qE '^neardup: (writing postings|committing|writing): ' "$WORK/err" || fail "no writing phase"
  [[ $(grep -c '^neardup: added 3000 articles to p.db in ' "$WORK/err") == 1 ]] || fail "want one summary line"
  [[ $(tail -n 1 "$WORK/err") == "neardup: added 3000 articles to p.db in "* ]] || fail "the summary is not the last line"
  # Not on a terminal and without --progress: only the summary.
  expect_code 0 "$NEARDUP" index create q.db
  NEARDUP_PROGRESS_MS=20 expect_code 0 "$NEARDUP" index add q.db --jsonl c.jsonl
  [[ $(wc -l <"$WORK/err") == 1 ]] || { cat "$WORK/err" >&2; fail "progress without --progress on a file"; }
  NEARDUP_PROGRESS_MS=20 expect_code 0 "$NEARDUP" dedup --jsonl c.jsonl --index p.db --progress -o /dev/null
  grep -qE '^neardup: matching the archive: ' "$WORK/err" || grep -qE '^neardup: (matching|scoring): ' "$WORK/err" \
    || { cat "$WORK/err" >&2; fail "no matching phase"; }
  ;;
*)
  fail "unknown case"
  ;;
esac
echo "ok [$CASE]"

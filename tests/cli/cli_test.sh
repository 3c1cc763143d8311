#!/usr/bin/env bash
# cli_test.sh — end-to-end tests of the neardup binary on real files.
#   cli_test.sh NEARDUP JSONL_CHECK SOURCE_DIR CASE
# Each CASE is one ctest. A case fails with a message naming what differed.
set -u
NEARDUP=$1
JSONL_CHECK=$2
SRC=$3
CASE=$4
WORK=$(mktemp -d "${TMPDIR:-/tmp}/neardup-cli.XXXXXX")
trap 'chmod -R u+rwx "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT

fail() { echo "FAIL [$CASE]: $*" >&2; exit 1; }

# NEARDUP_VALGRIND=1 runs every neardup command under valgrind memcheck: any memory error or leak
# (definitely or indirectly lost) makes the command exit 99, which fails the case.
if [[ ${NEARDUP_VALGRIND:-0} == 1 ]]; then
  cat >"$WORK/neardup-vg" <<VG
#!/bin/sh
exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
  --error-exitcode=99 "$NEARDUP" "\$@"
VG
  chmod +x "$WORK/neardup-vg"
  NEARDUP=$WORK/neardup-vg
fi
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
  ;;
usage_errors)
  expect_code 2 "$NEARDUP"
  expect_code 2 "$NEARDUP" frobnicate
  expect_err "unknown command 'frobnicate'"
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
  printf 'some text\0with a NUL byte\n' >"$WORK/in/binary.bin"
  printf 'caf\xe9 latin-1 text, not UTF-8\n' >"$WORK/in/latin1.txt"
  printf '  ,,, !!! ...\n' >"$WORK/in/punct.txt"
  cp examples/articles/reprint_coastal_courier.txt "$WORK/in/sub/"
  expect_code 1 "$NEARDUP" pairs "$WORK/in" "$WORK/missing.txt" --format csv
  expect_err "$WORK/in/empty.txt: empty article"
  expect_err "$WORK/in/binary.bin: binary data: NUL byte at offset 9"
  expect_err "$WORK/in/latin1.txt: invalid UTF-8 at byte offset 3"
  expect_err "$WORK/in/punct.txt: no words to compare"
  expect_err "$WORK/missing.txt: No such file or directory"
  [[ $(wc -l <"$WORK/err") == 5 ]] || { cat "$WORK/err" >&2; fail "want exactly 5 error lines"; }
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
diff_text)
  A=examples/articles/quote_story_a.txt B=examples/articles/quote_story_b.txt
  expect_code 0 "$NEARDUP" diff "$A" "$B" --context 2
  # The quote, word for word; and the sentence introducing the same commissioner (her name, her
  # title, the region), rewritten.
  expect_out "2 shared passages; 13% of A and 15% of B are in them."
  expect_out "Passage 2 (verbatim): score 1.00; A bytes 749-892 (27 words), B bytes 1090-1233 (27 words)"
  expect_out "Passage 1 (rewritten): score 0.41; A bytes 633-744 (17 words), B bytes 880-1012 (20 words)"
  # The quote's bytes in both files are exactly the reported ranges (different quote marks outside).
  [[ $(tail -c +750 "$A" | head -c 143) == "$(tail -c +1091 "$B" | head -c 143)" ]] || fail "offsets do not select the same quote"
  [[ $(tail -c +750 "$A" | head -c 6) == "We wil" ]] || fail "offset 749 is not the start of the quote"
  # One-to-many: a passage of A is reported for every source that has it; unrelated sources get none.
  expect_code 0 "$NEARDUP" diff examples/articles/feature_embeds_wire.txt examples/articles/wire_tidal_barrier.txt \
    examples/articles/reprint_bay_times_allcaps_headline.txt examples/articles/same_topic_independent_1.txt --color never
  [[ $(grep -c "^Passage 1 (verbatim):" "$WORK/out") == 2 ]] || fail "want one passage for each of the two sources with the wire text"
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
  "$JSONL_CHECK" "$WORK/out" a b passage a_start a_end b_start b_end a_tokens b_tokens a_matched b_matched score \
    a_text b_text passages a_coverage b_coverage >/dev/null || fail "diff JSON"
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
  expect_err "$WORK/missing.txt: cannot open"
  expect_code 2 "$NEARDUP" diff examples/articles/wire_tidal_barrier.txt
  expect_code 2 "$NEARDUP" diff --format pdf examples/articles/wire_tidal_barrier.txt examples/articles/wire_glacier_study.txt
  ;;
passages)
  expect_code 0 "$NEARDUP" pairs --passages --format json examples/articles
  "$JSONL_CHECK" "$WORK/out" a b jaccard passages >/dev/null || fail "pairs --passages JSON"
  [[ $(grep -c '"passages":\[{"passage":1,"a_start"' "$WORK/out") == 16 ]] || fail "every reported pair should carry passages"
  expect_code 0 "$NEARDUP" pairs --passages examples/articles/quote_story_a.txt examples/articles/feature_embeds_wire.txt \
    examples/articles/wire_tidal_barrier.txt
  expect_out "passage 1: A bytes 2423-3305, B bytes 982-1864, 150 words, score 1.00"
  expect_code 0 "$NEARDUP" scan --passages --format csv examples/articles
  expect_out "cluster,id,cluster_size,best_match,jaccard,containment,passages"
  expect_out "2,examples/articles/feature_embeds_wire.txt,6,examples/articles/wire_tidal_barrier.txt,0.1409,0.1832,2423-3305:982-1864:1.0000"
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
  for sub in create add remove stats; do
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
  expect_code 2 "$NEARDUP" index stats "$DB" --format csv
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
  "$JSONL_CHECK" "$WORK/out" index format_version articles text_bytes file_bytes band_keys fingerprints shingle \
    num_perm seed bands rows >/dev/null || fail "stats JSON"
  expect_out "{\"index\":\"$DB\",\"format_version\":3,\"articles\":2,\"text_bytes\":$(($(wc -c <"$W") + $(wc -c <"$S"))),"
  expect_out '"band_keys":64,'
  expect_out '"shingle":"words:3","num_perm":128,"seed":1,"bands":32,"rows":4}'
  fp2=$(json_num fingerprints)
  (( fp2 > 0 )) || fail "no fingerprints"
  expect_code 0 "$NEARDUP" index stats "$DB"
  expect_out "index $DB (format 3)"
  expect_out "  articles       2 ("
  expect_out "  postings       64 band keys, $fp2 fingerprints"
  expect_out "shingles words:3, 128 permutations, seed 1, 32 bands x 4 rows"
  # The same file again: reported, skipped, exit 1; nothing changes.
  expect_code 1 "$NEARDUP" index add "$DB" "$W"
  expect_err "$W: id '$W' is already in the index; skipped"
  expect_err "added 0 articles to $DB; 1 input skipped"
  [[ $(index_stat "$DB" articles) == 2 && $(json_num fingerprints) == "$fp2" ]] || fail "a skipped add changed the index"
  # A mix: the new article is added, the archived and the unreadable ones are reported: exit 1.
  : >"$WORK/empty.txt"
  expect_code 1 "$NEARDUP" index add "$DB" "$Q" "$W" "$WORK/empty.txt"
  expect_err "$WORK/empty.txt: empty article"
  expect_err "already in the index"
  expect_err "added 1 article to $DB; 2 inputs skipped"
  [[ $(index_stat "$DB" articles) == 3 ]] || fail "want 3 articles"
  fp3=$(json_num fingerprints)
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
  expect_out '"b_metadata":{"url":"https://example.org/news/1?a=b","outlet":"Example Wire","date":"2024-03-01"}}'
  expect_out "{\"a\":\"$WORK/rec2.txt\",\"b\":\"rec-2\",\"rank\":1,\"jaccard\":1.0000,"
  grep "\"b\":\"rec-2\"" "$WORK/out" | grep -qF '"b_metadata":null}' || fail "rec-2 has no metadata"
  [[ $(wc -l <"$WORK/out") == 2 ]] || fail "want one match per record"
  expect_code 0 "$NEARDUP" query "$DB" "$WORK/rec1.txt"
  expect_out '      {"url":"https://example.org/news/1?a=b","outlet":"Example Wire","date":"2024-03-01"}'
  # One id twice in one feed: the first is added, the second reported (exit 1).
  make_article 33 200 >"$WORK/rec3.txt"
  { printf '{"id":"rec-3","text":"%s"}\n' "$(json_text "$WORK/rec3.txt")"
    printf '{"id":"rec-3","text":"%s"}\n' "$(json_text "$WORK/rec2.txt")"; } >"$WORK/dup.jsonl"
  expect_code 1 "$NEARDUP" index add "$DB" --jsonl "$WORK/dup.jsonl"
  expect_err "$WORK/dup.jsonl:2: id 'rec-3' is already in the index; skipped"
  expect_err "added 1 article to $DB; 1 input skipped"
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
  expect_err "added 1 article to $DB; 1 input skipped"
  expect_code 0 "$NEARDUP" query "$DB" "$WORK/rec4.txt" --format json
  "$JSONL_CHECK" "$WORK/out" a b rank b_metadata >/dev/null || fail "query JSON with huge numbers in metadata"
  expect_out '"b_metadata":{"score":1e999,"reach":1e+21}}'
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
  [[ $(json_num band_keys) == 96 && $(json_num fingerprints) == "$fp3" ]] \
    || fail "postings after removals: $(cat "$WORK/out"), want 96 band keys and $fp3 fingerprints"
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
  expect_out "   1. $W  jaccard 0.141, 18% of this article found there, 38% of it found here (reuse)"
  expect_no_out "unrelated_sports"
  expect_no_out "quote_story_a"
  expect_code 0 "$NEARDUP" query "$DB" "$F" --format json
  "$JSONL_CHECK" "$WORK/out" a b rank jaccard containment_a_in_b containment_b_in_a shared_shingles kind b_metadata \
    >/dev/null || fail "query JSON"
  [[ $(wc -l <"$WORK/out") == 3 ]] || fail "want 3 JSON matches"
  expect_out "{\"a\":\"$F\",\"b\":\"$W\",\"rank\":1,\"jaccard\":0.1409,\"containment_a_in_b\":0.1832,\"containment_b_in_a\":0.3787,\"shared_shingles\":153,\"kind\":\"reuse\",\"b_metadata\":null}"
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
  expect_out "   1. $W"
  expect_no_out "   2. "
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
  expect_out "passage 1: A bytes 2423-3305, B bytes 982-1864, 150 words, score 1.00"
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
  expect_out "(near-duplicate)"
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
  check_group() { # KEPT: the manifest in $WORK/out keeps KEPT and drops the other r*
    "$JSONL_CHECK" "$WORK/out" id group status duplicate_of duplicate_in_index similarity >/dev/null || fail "manifest JSON"
    [[ $(wc -l <"$WORK/out") == 5 ]] || fail "want 5 manifest rows"
    expect_out "{\"id\":\"$1\",\"group\":1,\"status\":\"kept\",\"duplicate_of\":null,\"duplicate_in_index\":false,\"similarity\":null}"
    for r in r1 r2 r3 r4; do
      [[ $r == "$1" ]] && continue
      grep -qE "^\{\"id\":\"$r\",\"group\":1,\"status\":\"dropped\",\"duplicate_of\":\"$1\",\"duplicate_in_index\":false,\"similarity\":0\.[5-9][0-9]{3}\}$" \
        "$WORK/out" || { cat "$WORK/out" >&2; fail "$r should be dropped as a duplicate of $1"; }
    done
    expect_out '{"id":"solo","group":2,"status":"kept","duplicate_of":null,"duplicate_in_index":false,"similarity":null}'
  }
  expect_code 0 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl"
  check_group r4
  expect_err "5 articles, 2 kept, 3 dropped as duplicates"
  expect_code 0 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --keep first
  check_group r4
  expect_code 0 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --keep longest
  check_group r2
  expect_code 0 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --keep earliest
  check_group r3
  expect_code 0 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --keep earliest --date-field published
  check_group r1
  # The CSV manifest.
  expect_code 0 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --keep longest --format csv
  [[ $(sed -n 1p "$WORK/out") == "id,group,status,duplicate_of,duplicate_in_index,similarity" ]] || fail "CSV header"
  expect_out $'\nr2,1,kept,,false,\n'
  grep -qxE 'r4,1,dropped,r2,false,0\.[5-9][0-9]{3}' "$WORK/out" || fail "CSV row of r4"
  grep -qx 'solo,2,kept,,false,' "$WORK/out" || fail "CSV row of solo"
  [[ $(wc -l <"$WORK/out") == 6 ]] || fail "want a header and 5 CSV rows"
  # Usage errors.
  expect_code 2 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --keep newest
  expect_code 2 "$NEARDUP" dedup --jsonl "$WORK/batch.jsonl" --add
  expect_err "--add needs --index"
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
  # JSON Lines records become DIR/ID.txt, and an id cannot escape DIR.
  make_article 24 200 >esc.txt
  make_article 25 200 >ab.txt
  { rec "../escape" esc.txt; rec "a/b" ab.txt; } >ids.jsonl
  expect_code 0 "$NEARDUP" dedup --jsonl batch.jsonl --jsonl ids.jsonl --copy-to jcopies
  [[ $(cd jcopies && find . -type f | sort | tr '\n' ' ') == "./_.._escape.txt ./a_b.txt ./r4.txt ./solo.txt " ]] \
    || fail "JSON Lines copies: $(cd jcopies && find . -type f | tr '\n' ' ')"
  cmp -s jcopies/r4.txt batch/r4.txt && cmp -s jcopies/_.._escape.txt esc.txt && cmp -s jcopies/a_b.txt ab.txt \
    || fail "a copy of a record differs from its text"
  [[ ! -e $WORK/escape.txt ]] || fail "an id escaped the --copy-to directory"
  # --copy-to never overwrites: a file already there is reported and left alone.
  mkdir -p taken/batch
  echo "precious" >taken/batch/solo.txt
  expect_code 3 "$NEARDUP" dedup batch --copy-to taken
  expect_err "taken/batch/solo.txt: already exists; not overwritten"
  [[ $(cat taken/batch/solo.txt) == precious ]] || fail "--copy-to overwrote an existing file"
  [[ -z $(find taken -name '*tmp-*') ]] || fail "temporary file left in --copy-to DIR"
  # --link: hard links to the inputs.
  expect_code 0 "$NEARDUP" dedup batch --copy-to links --link --keep earliest
  for f in r1 solo; do # no dates in files: earliest keeps the first (directories are read in name order)
    [[ $(stat -c %i batch/$f.txt) == $(stat -c %i links/batch/$f.txt) ]] || fail "links/batch/$f.txt is not a hard link"
  done
  [[ $(find links -type f | wc -l) == 2 ]] || fail "--link made $(find links -type f | wc -l) files, want 2"
  # --index: a group with an archived member keeps the archived one; --add adds only kept articles.
  expect_code 0 "$NEARDUP" index create ix.db
  rec archived-r3 batch/r3.txt >archived.jsonl
  expect_code 0 "$NEARDUP" index add ix.db --jsonl archived.jsonl
  cp ix.db ix.before
  expect_code 0 "$NEARDUP" dedup --jsonl batch.jsonl --index ix.db
  "$JSONL_CHECK" "$WORK/out" id group status duplicate_of duplicate_in_index similarity >/dev/null || fail "manifest JSON"
  for r in r1 r2 r3 r4; do
    grep -qE "^\{\"id\":\"$r\",\"group\":1,\"status\":\"dropped\",\"duplicate_of\":\"archived-r3\",\"duplicate_in_index\":true," \
      "$WORK/out" || { cat "$WORK/out" >&2; fail "$r should be dropped as a duplicate of the archived article"; }
  done
  expect_out '{"id":"r3","group":1,"status":"dropped","duplicate_of":"archived-r3","duplicate_in_index":true,"similarity":1.0000}'
  expect_out '{"id":"solo","group":2,"status":"kept","duplicate_of":null,"duplicate_in_index":false,"similarity":null}'
  [[ $(index_stat ix.db articles) == 1 ]] || fail "dedup without --add changed the index"
  expect_code 0 "$NEARDUP" dedup --jsonl batch.jsonl --index ix.db --add --format csv
  expect_err "added 1 kept article to ix.db"
  [[ $(index_stat ix.db articles) == 2 ]] || fail "--add should add exactly the one kept article"
  expect_code 0 "$NEARDUP" query ix.db batch/solo.txt --format csv
  grep -q "^batch/solo.txt,solo,1,1.0000," "$WORK/out" || fail "the kept article is not in the index"
  # A second run finds everything archived: all dropped, nothing added.
  expect_code 0 "$NEARDUP" dedup --jsonl batch.jsonl --index ix.db --add
  expect_out '{"id":"solo","group":2,"status":"dropped","duplicate_of":"solo","duplicate_in_index":true,"similarity":1.0000}'
  expect_err "added 0 kept articles to ix.db"
  [[ $(index_stat ix.db articles) == 2 ]] || fail "want still 2 articles"
  # Batch files (not records): kept ones are added under their paths.
  expect_code 0 "$NEARDUP" dedup batch --index ix.before --add --keep longest
  [[ $(index_stat ix.before articles) == 2 ]] || fail "want the archived one and solo.txt"
  expect_code 3 "$NEARDUP" dedup batch --index missing.db
  # Inputs are never modified, moved or deleted.
  after=$(tree_sum "$WORK/batch"; sha256sum "$WORK/batch.jsonl")
  [[ $before == "$after" ]] || fail "dedup changed its inputs"
  ;;
*)
  fail "unknown case"
  ;;
esac
echo "ok [$CASE]"

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
  "$JSONL_CHECK" "$WORK/out" a b jaccard containment_a_in_b containment_b_in_a shared_shingles kind >/dev/null || fail "pairs JSON"
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
  ls "$WORK" | grep -q 'tmp-' && fail "temporary file left behind"
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
  IFS=, read -r _ _ jac ca cb _ kind <<<"$line"
  awk -v j="$jac" -v c="$ca" 'BEGIN { exit !(j < 0.5 && c > 0.25 && c < 0.45) }' || fail "scores: $line"
  [[ $kind == reuse ]] || fail "kind $kind"
  ;;
no_input_readable)
  expect_code 3 "$NEARDUP" scan "$WORK/nothing-here"
  expect_err "no article could be read"
  ;;
diff_text)
  A=examples/articles/quote_story_a.txt B=examples/articles/quote_story_b.txt
  expect_code 0 "$NEARDUP" diff "$A" "$B" --context 2
  expect_out "1 shared passage; 8% of A and 8% of B are in them."
  expect_out "Passage 1: score 1.00; A bytes 749-892 (27 words), B bytes 1090-1233 (27 words)"
  # The quote's bytes in both files are exactly the reported ranges (different quote marks outside).
  [[ $(tail -c +750 "$A" | head -c 143) == "$(tail -c +1091 "$B" | head -c 143)" ]] || fail "offsets do not select the same quote"
  [[ $(tail -c +750 "$A" | head -c 6) == "We wil" ]] || fail "offset 749 is not the start of the quote"
  # One-to-many: a passage of A is reported for every source that has it; unrelated sources get none.
  expect_code 0 "$NEARDUP" diff examples/articles/feature_embeds_wire.txt examples/articles/wire_tidal_barrier.txt \
    examples/articles/reprint_bay_times_allcaps_headline.txt examples/articles/same_topic_independent_1.txt --color never
  [[ $(grep -c "^Passage 1:" "$WORK/out") == 2 ]] || fail "want one passage for each of the two sources with the wire text"
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
*)
  fail "unknown case"
  ;;
esac
echo "ok [$CASE]"

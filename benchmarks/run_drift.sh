#!/usr/bin/env bash
# run_drift.sh — the multi-batch drift benchmark of the archive (docs/archive.md).
#
#   benchmarks/run_drift.sh BUILD_DIR WORK_DIR [ARTICLES [BATCHES [REPRINTS]]]
#
# Generates ARTICLES (default 1,000,000) articles with dates in BATCHES (default 10) JSON Lines files
# with gen_corpus, planting REPRINTS (default 1000) reprints per batch after the first: lightly
# edited (5%) copies of articles of earlier batches that are themselves copies, not the first of
# their group. Then runs, batch after batch, what an archivist runs:
#     neardup dedup --jsonl BATCH --index drift.db --add --keep earliest -o manifest
# and checks every planted reprint in the final archive: it must be in the group of the article it
# reprints, and dropped (not kept as new). Prints per batch the articles, wall time, CPU time and
# peak RSS, and at the end the counts, also for the reprints of articles the archive holds as
# dropped (the drift: a survivors-only archive compared them with the kept article only).
set -euo pipefail
BUILD=$1
WORK=$2
N=${3:-1000000}
B=${4:-10}
R=${5:-1000}
NEARDUP=$BUILD/neardup
GEN=$BUILD/benchmarks/gen_corpus
mkdir -p "$WORK"
cd "$WORK"
rm -f drift.db drift.db-wal drift.db-shm
# REUSE=1 keeps the batches of an earlier run (generating 1M articles takes a minute or two).
if [[ ${REUSE:-0} != 1 || ! -s drift.truth ]]; then
  "$GEN" -n "$N" --batches "$B" --reprints "$R" --dates --jsonl drift --truth drift.truth
fi
"$NEARDUP" index create drift.db
for ((b = 1; b <= B; b++)); do
  f=$(printf 'drift.%02d.jsonl' "$b")
  /usr/bin/time -f "%e %U %S %M" -o time.$b "$NEARDUP" dedup --jsonl "$f" --index drift.db --add --keep earliest \
    -o "manifest.$b.jsonl" 2>"err.$b" || { [[ $? == 1 ]] || { cat "err.$b" >&2; exit 1; }; }
  read -r wall user sys rss <"time.$b"
  echo "batch $b: $(wc -l <"$f") articles, $wall s wall, $(echo "$user + $sys" | bc) s CPU, $((rss / 1024)) MB peak RSS; $(grep -o '[0-9]* articles: [^;]*' "err.$b" | head -1)"
done
"$NEARDUP" index stats drift.db
"$NEARDUP" index list drift.db --format csv >archive.csv
# Every reprint: in the group of the article it reprints, and dropped there.
awk -F'\t' '$3 == "reprint" { print $1 "\t" $2 }' drift.truth >reprints.tsv
awk -F, 'NR == FNR { if (FNR > 1) { group[$1] = $2; status[$1] = $3 } next }
  { x = $1; r = $2; n++
    if (!(r in group)) { missing++; next }
    if (status[x] == "dropped") { of_dropped++ }
    if (group[r] == group[x] && status[r] == "dropped") { ok++; if (status[x] == "dropped") ok_dropped++ }
    else { bad++; if (bad <= 10) print "reprint " r " of " x ": group " group[r] " (" status[r] "), the article: group " group[x] " (" status[x] ")" > "/dev/stderr" } }
  END { printf "reprints: %d planted, %d dropped as duplicates of their article'"'"'s group, %d not (%d missing)\n", n, ok, bad, missing
        printf "reprints of articles archived as dropped: %d, %d of them dropped in their group\n", of_dropped, ok_dropped }' \
  FS=',' archive.csv FS='\t' reprints.tsv

#!/usr/bin/env bash
# run_mpi.sh — a one-process run against `mpirun -n N` runs of the same command on one machine:
# wall time, CPU time, each rank's phases (read+sign, waiting, gather), bytes read per rank (as a
# share of the corpus), bytes exchanged per article, peak RSS per rank, and a byte-for-byte check of
# the outputs, and the bytes the candidate search over the ranks sent per article. docs/mpi.md holds
# the results. NEARDUP_MPI_RANGES=0 in the environment turns byte
# ranges off (every rank reads JSON Lines through), NEARDUP_MPI_SEARCH=0 leaves the candidate search to
# rank 0 and NEARDUP_MPI_VERIFY=0 the verification, for comparison.
#
#   benchmarks/run_mpi.sh NEARDUP CORPUS [RANKS] [-- NEARDUP ARGS...]
#     NEARDUP  build/neardup (built with NEARDUP_MPI)
#     CORPUS   a JSON Lines file or a directory (benchmarks/gen_corpus makes both)
#     RANKS    the rank counts, default "1 2 4" (on a 2-core machine, 4 ranks are oversubscribed)
#   The command is `scan` with the given arguments (default none: the defaults).
#
# Timing on a shared machine is noisy: run it twice and compare back-to-back pairs.
set -uo pipefail
NEARDUP=$1
CORPUS=$2
RANKS=${3:-1 2 4}
shift $(($# < 3 ? $# : 3))
[[ ${1:-} == -- ]] && shift
ARGS=("$@")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 # CI and this machine run as root
export OMPI_MCA_btl_vader_single_copy_mechanism=none
WORK=$(mktemp -d "${TMPDIR:-/tmp}/neardup-mpi-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

calc() { awk "BEGIN { print $1 }"; }
[[ -x $NEARDUP ]] || { echo "run_mpi.sh: $NEARDUP is not a program" >&2; exit 2; }
echo "corpus: $CORPUS; command: neardup scan ${ARGS[*]:-}; $(nproc) cores"
/usr/bin/time -f "%e %U %S %M" -o "$WORK/one.time" "$NEARDUP" scan --stats "${ARGS[@]}" "$CORPUS" \
  >"$WORK/one.out" 2>"$WORK/one.err"
read -r wall user sys rss <"$WORK/one.time"
search=$(sed -nE 's/.*LSH ([0-9.]+) s, anchors ([0-9.]+) s, vocabulary ([0-9.]+) s.*/\1 \2 \3/p' "$WORK/one.err" |
  awk '{ print $1 + $2 + $3 }')
verify=$(sed -nE 's/^stats: verified .* ([0-9.]+) s$/\1/p' "$WORK/one.err")
readsign=$(sed -nE 's/^stats: [0-9]+ articles, .* read\+sign ([0-9.]+) s.*/\1/p' "$WORK/one.err")
articles=$(sed -nE 's/^stats: ([0-9]+) articles, .*/\1/p' "$WORK/one.err")
size=$(du -sb "$CORPUS" | cut -f1)
printf "\n| run | wall s | CPU s | read+sign s | longest wait s | gather s | search+verify s | bytes read: most of a rank; all ranks (x corpus) | bytes/article | search bytes/article | peak RSS MB (rank 0; others) | output |\n"
printf "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
printf "| 1 process (threads: all cores) | %s | %.1f | %s | - | - | %.2f | - | - | - | %.0f | reference |\n" "$wall" \
  "$(calc "$user + $sys")" "$readsign" "$(calc "$search + $verify")" "$(calc "$rss / 1024")"
for n in $RANKS; do
  /usr/bin/time -f "%e %U %S" -o "$WORK/mpi.time" mpirun --oversubscribe -n "$n" -x NEARDUP_MPI_RANGES -x NEARDUP_MPI_SEARCH -x NEARDUP_MPI_VERIFY "$NEARDUP" scan --stats \
    "${ARGS[@]}" "$CORPUS" >"$WORK/mpi.out" 2>"$WORK/mpi.err"
  read -r wall user sys <"$WORK/mpi.time"
  same=identical
  cmp -s "$WORK/one.out" "$WORK/mpi.out" || same=DIFFERENT
  ranks=$(grep -E '^stats: rank [0-9]+ of' "$WORK/mpi.err")
  printf "%s\n" "$ranks" >>"$WORK/ranks.txt"
  readsign=$(sed -nE 's/.*read\+sign ([0-9.]+) s.*/\1/p' <<<"$ranks" | sort -g | tail -1)
  waited=$(sed -nE 's/.*waited ([0-9.]+) s.*/\1/p' <<<"$ranks" | sort -g | tail -1)
  gather=$(sed -nE 's/^stats: rank 0 of .* gather ([0-9.]+) s.*/\1/p' <<<"$ranks")
  encoded=$(sed -nE 's/.* ([0-9]+) bytes encoded.*/\1/p' <<<"$ranks" | awk '{ s += $1 } END { printf "%.0f\n", s }')
  received=$(sed -nE 's/^stats: rank 0 of .* ([0-9]+) bytes received.*/\1/p' <<<"$ranks")
  search=$(sed -nE 's/.*LSH ([0-9.]+) s, anchors ([0-9.]+) s, vocabulary ([0-9.]+) s.*/\1 \2 \3/p' "$WORK/mpi.err" |
    awk '{ print $1 + $2 + $3 }')
  verify=$(sed -nE 's/^stats: verified .* ([0-9.]+) s$/\1/p' "$WORK/mpi.err")
  read_most=$(sed -nE 's/.* ([0-9]+) bytes read .*/\1/p' <<<"$ranks" | sort -g | tail -1)
  read_all=$(sed -nE 's/.* ([0-9]+) bytes read .*/\1/p' <<<"$ranks" | awk '{ s += $1 } END { printf "%.0f\n", s }')
  # the candidate search over the ranks: every rank's records and pairs sent to the others
  searched=$(sed -nE 's/.*over the ranks [0-9.]+ s, ([0-9]+) bytes sent.*/\1/p' <<<"$ranks" |
    awk '{ s += $1 } END { printf "%.0f\n", s }')
  rss0=$(sed -nE 's/^stats: rank 0: peak RSS ([0-9.]+) MB.*/\1/p' "$WORK/mpi.err")
  others=$(grep -vE '^stats: rank 0 ' <<<"$ranks" | sed -nE 's/.*peak RSS ([0-9.]+) MB.*/\1/p' | sort -g | tail -1)
  printf "| %s ranks | %s | %.1f | %s | %s | %s | %.2f | %.2f; %.2f | %s encoded, %s sent | %s | %s; %s | %s |\n" "$n" \
    "$wall" "$(calc "$user + $sys")" "$readsign" "$waited" "$gather" "$(calc "$search + $verify")" \
    "$(calc "$read_most / $size")" "$(calc "$read_all / $size")" \
    "$((encoded / articles))" "$((received / articles))" "$((searched / articles))" "$rss0" "${others:--}" "$same"
done
echo
echo "each rank's --stats line:"
cat "$WORK/ranks.txt"

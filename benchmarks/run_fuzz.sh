#!/usr/bin/env bash
# run_fuzz.sh — runs every libFuzzer target of tests/fuzz for a fixed time, one after the other.
#
#   benchmarks/run_fuzz.sh [SECONDS_PER_TARGET [TARGET...]]     (default: 60 s, every target)
#
# Configures a separate build directory with clang and -DNEARDUP_FUZZ=ON (build-fuzz/, or
# $NEARDUP_FUZZ_BUILD), builds the fuzz_NAME binaries (libFuzzer + ASan + UBSan), and runs each one
# for SECONDS with -max_total_time, starting from the kept seed corpus tests/fuzz/corpus/NAME/ (read
# only) and writing the new corpus entries it finds to a temporary directory (kept under
# $NEARDUP_FUZZ_WORK, default a new /tmp/neardup-fuzz-run.XXXXXX, and printed at the end). Every
# crash, leak, timeout or out-of-memory input is copied into tests/fuzz/crashes/NAME/, where the
# replay tests (ctest -L fuzz) pick it up. Prints, per target, the executions survived
# (libFuzzer's stat::number_of_executed_units, from -print_final_stats=1) and the outcome.
#
# A long run can step around known open bugs to look for new ones: NEARDUP_FUZZ_KNOWN is a
# comma-separated list of the names the targets pass to fuzz_known() (tests/fuzz/fuzz_common.h);
# empty by default (every bug found so far is fixed), so any failure stops the target.
# Extra libFuzzer flags for every target: NEARDUP_FUZZ_FLAGS (e.g. "-max_len=2048").
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
shift || true
all=(tokenize tokenlimit sign diff jsonl article spec index)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all[@]}")
build=${NEARDUP_FUZZ_BUILD:-$root/build-fuzz}
export NEARDUP_FUZZ_KNOWN=${NEARDUP_FUZZ_KNOWN-}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if ! command -v clang >/dev/null; then
  echo "run_fuzz.sh: clang is needed (Debian: apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
fi
CC=clang cmake -S "$root" -B "$build" -DNEARDUP_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target $(printf 'fuzz_%s ' "${targets[@]}") >/dev/null

work=${NEARDUP_FUZZ_WORK:-$(mktemp -d /tmp/neardup-fuzz-run.XXXXXX)}
mkdir -p "$work"
results=()
for t in "${targets[@]}"; do
  bin=$build/tests/fuzz/fuzz_$t
  seeds=$root/tests/fuzz/corpus/$t
  out=$work/$t
  mkdir -p "$out/corpus" "$out/artifacts"
  flags=(-max_total_time="$seconds" -print_final_stats=1 -timeout=25 -artifact_prefix="$out/artifacts/")
  [[ -f $root/tests/fuzz/$t.dict ]] && flags+=(-dict="$root/tests/fuzz/$t.dict")
  case $t in
    index) flags+=(-max_len=32768 -malloc_limit_mb=8192) ;; # the 256 MiB check is fuzz_index.c's
    jsonl | diff) flags+=(-max_len=4096) ;;
    *) flags+=(-max_len=2048) ;;
  esac
  # shellcheck disable=SC2206
  flags+=(${NEARDUP_FUZZ_FLAGS:-})
  echo "== fuzz_$t for ${seconds}s (log: $out/log)" >&2
  rc=0
  "$bin" "${flags[@]}" "$out/corpus" "$seeds" >"$out/log" 2>&1 || rc=$?
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$out/log" | tail -1)
  rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$out/log" | tail -1)
  found=()
  for f in "$out"/artifacts/*; do
    [[ -e $f ]] || continue
    mkdir -p "$root/tests/fuzz/crashes/$t"
    cp "$f" "$root/tests/fuzz/crashes/$t/"
    found+=("tests/fuzz/crashes/$t/$(basename "$f")")
  done
  if [[ $rc -eq 0 ]]; then
    outcome="no failure"
  else
    why=$(grep -m1 -E 'invariant failed|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|SUMMARY' "$out/log" || true)
    outcome="FAILED (exit $rc): ${why:-see log}"
  fi
  [[ ${#found[@]} -gt 0 ]] && outcome+="; kept ${found[*]}"
  results+=("$(printf '%-9s %12s execs  %7s exec/s  corpus %5s  %s' "$t" "${execs:-?}" "${rate:-?}" \
    "$(find "$out/corpus" -type f | wc -l)" "$outcome")")
done

echo
echo "neardup fuzzing, ${seconds}s per target (new corpus entries in $work/*/corpus):"
printf '%s\n' "${results[@]}"

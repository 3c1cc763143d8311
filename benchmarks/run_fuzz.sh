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
#
# Volume runs: NEARDUP_FUZZ_SANITIZERS=undefined (or none) fuzzes a build without AddressSanitizer,
# several times more executions per second; the targets' invariant checks still run on every input.
# Afterwards every new corpus entry and every failing input is replayed once through the ASan + UBSan
# build, so memory errors on the paths the run reached are still caught; the table says how that
# replay went.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
shift || true
all=(tokenize tokenlimit sign diff jsonl article spec index html warc compress date quote origin ranges)
# fuzz_dist exists in builds with the MPI engine (CMake finds Open MPI, as it does when mpicc is there)
command -v mpicc >/dev/null && all+=(dist)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all[@]}")
sanitizers=${NEARDUP_FUZZ_SANITIZERS:-address,undefined}
asan_build=$root/build-fuzz
build=${NEARDUP_FUZZ_BUILD:-$root/build-fuzz}
[[ $sanitizers == address,undefined ]] || build=${NEARDUP_FUZZ_BUILD:-$root/build-fuzz-${sanitizers//,/-}}
export NEARDUP_FUZZ_KNOWN=${NEARDUP_FUZZ_KNOWN-}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if ! command -v clang >/dev/null; then
  echo "run_fuzz.sh: clang is needed (Debian: apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
fi
configure() { # BUILD_DIR SANITIZERS
  CC=clang cmake -S "$root" -B "$1" -DNEARDUP_FUZZ=ON -DNEARDUP_FUZZ_SANITIZERS="$2" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$1" -j2 --target $(printf 'fuzz_%s ' "${targets[@]}") >/dev/null
}
configure "$build" "$sanitizers"
[[ $build == "$asan_build" ]] || configure "$asan_build" address,undefined

work=${NEARDUP_FUZZ_WORK:-$(mktemp -d /tmp/neardup-fuzz-run.XXXXXX)}
mkdir -p "$work"
results=()
failed=0
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
    ranges | dist) flags+=(-max_len=12000) ;; # several records of a few KB
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
  [[ $rc -eq 0 ]] || failed=1
  if [[ $rc -eq 0 ]]; then
    outcome="no failure"
  else
    why=$(grep -m1 -E 'invariant failed|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|SUMMARY' "$out/log" || true)
    outcome="FAILED (exit $rc): ${why:-see log}"
  fi
  [[ ${#found[@]} -gt 0 ]] && outcome+="; kept ${found[*]}"
  if [[ $build != "$asan_build" ]]; then
    # Replay what the fast run found under ASan + UBSan: new corpus entries and failing inputs.
    replay=("$out"/corpus/*)
    for f in "$out"/artifacts/*; do [[ -e $f ]] && replay+=("$f"); done
    [[ -e ${replay[0]} ]] || replay=()
    if [[ ${#replay[@]} -eq 0 ]]; then
      outcome+="; nothing new to replay under ASan"
    elif "$asan_build/tests/fuzz/fuzz_$t" -runs=1 -timeout=60 "${replay[@]}" >"$out/asan.log" 2>&1; then
      outcome+="; ${#replay[@]} new inputs clean under ASan"
    else
      outcome+="; ASan replay FAILED (see $out/asan.log)"
      failed=1
    fi
  fi
  results+=("$(printf '%-9s %12s execs  %7s exec/s  corpus %5s  %s' "$t" "${execs:-?}" "${rate:-?}" \
    "$(find "$out/corpus" -type f | wc -l)" "$outcome")")
done

echo
echo "neardup fuzzing, ${seconds}s per target, sanitizers $sanitizers (new corpus entries in $work/*/corpus):"
printf '%s\n' "${results[@]}"
exit $failed

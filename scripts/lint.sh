#!/usr/bin/env bash
# lint.sh — static analysis with the project's checked-in configuration: cppcheck (warnings,
# performance, portability) and clang-tidy (.clang-tidy). Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-lint -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DNEARDUP_BUILD_TESTS=OFF >/dev/null
# Both tools run a file at a time on every core (cppcheck -j, clang-tidy through xargs -P): the whole
# script is a quarter of CI's static work otherwise.
jobs=$(nproc)
glib_includes=$(pkg-config --cflags-only-I glib-2.0 json-glib-1.0 sqlite3)
echo "== cppcheck"
# The GLib include paths let cppcheck expand GLib's macros; findings inside system headers are not ours.
cppcheck -j "$jobs" --enable=warning,performance,portability --std=c11 --inline-suppr --error-exitcode=1 --quiet \
  -I include -I src $glib_includes -D__GNUC__ --suppress=missingIncludeSystem --suppress='*:/usr/include/*' \
  src
# The Python binding, with the headers of the interpreter it is built for (CMake's cache).
python=$(sed -n 's/^Python3_EXECUTABLE:[A-Z]*=//p' build-lint/CMakeCache.txt)
if [[ -n $python ]]; then
  python_include=$("$python" -c "import sysconfig; print(sysconfig.get_paths()['include'])")
  cppcheck --enable=warning,performance,portability --std=c11 --inline-suppr --error-exitcode=1 --quiet \
    -I include -I build-lint/include -I "$python_include" $glib_includes -D__GNUC__ --suppress=missingIncludeSystem \
    --suppress='*:/usr/include/*' python/neardup
fi
echo "== clang-tidy"
status=0
# xargs exits non-zero when any file's run did (two files' findings may interleave line by line).
printf '%s\0' src/*.c src/input/*.c src/mpi/*.c src/cli/*.c ${python:+python/neardup/*.c} |
  xargs -0 -n 1 -P "$jobs" sh -c 'clang-tidy -p build-lint --quiet "$1" 2>/dev/null' clang-tidy || status=1
[[ $status == 0 ]] && echo "lint: clean"
exit $status

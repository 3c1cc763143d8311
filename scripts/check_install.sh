#!/usr/bin/env bash
# check_install.sh — installs neardup from build/ into a fresh prefix and checks what a user gets:
# a program built against it with pkg-config and with CMake's find_package runs, `man neardup` and
# `man neardup-scan` work from the prefix, the installed tool runs, and the shared library exports
# only the public API (nd_*), and `import neardup` works from the prefix's Python directory. Run after
# building build/ (CI runs it); another build directory as the first argument.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(mktemp -d "${TMPDIR:-/tmp}/neardup-prefix.XXXXXX")
work=$(mktemp -d "${TMPDIR:-/tmp}/neardup-consumer.XXXXXX")
trap 'rm -rf "$prefix" "$work"' EXIT
build=${1:-build}
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(find "$prefix" -name 'libneardup.so' -printf '%h\n' | head -n 1)
export PKG_CONFIG_PATH=$libdir/pkgconfig LD_LIBRARY_PATH=$libdir

echo "== installed files"
(cd "$prefix" && find . -type f -o -type l | sort | sed 's/^/  /')
echo "== pkg-config: $(pkg-config --modversion neardup)"
# shellcheck disable=SC2046
cc -o "$work/pairs_pc" examples/api/pairs_example.c $(pkg-config --cflags --libs neardup)
"$work/pairs_pc"
# shellcheck disable=SC2046
cc -o "$work/passages_pc" examples/api/passages_example.c $(pkg-config --cflags --libs neardup)
"$work/passages_pc"
# docs/api.md shows passages_example.c as it is
diff <(sed -n '/^```c$/,/^```$/p' docs/api.md | sed '1d;$d') examples/api/passages_example.c >&2 \
  || { echo "docs/api.md's example differs from examples/api/passages_example.c" >&2; exit 1; }
echo "== CMake find_package"
cmake -S examples/api -B "$work/cm" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cm" >/dev/null
"$work/cm/pairs_example"
"$work/cm/passages_example" >/dev/null
# (ldd's output is read whole: `ldd | grep -q` under pipefail fails when grep stops reading early)
[[ $(ldd "$work/cm/pairs_example") == *"$libdir/libneardup.so"* ]] || { echo "not linked to the installed library" >&2; exit 1; }
echo "== the installed tool"
"$prefix/bin/neardup" --version
echo "== man pages"
for page in neardup neardup-scan neardup-dedup; do
  text=$(MANPATH=$prefix/share/man man -P cat "$page" 2>/dev/null || true)
  [[ $text == NAME* || $text == *$'\nNAME'* ]] || { echo "man $page does not work" >&2; exit 1; }
  echo "  man $page: ok"
done
[[ -f $prefix/share/bash-completion/completions/neardup ]] || { echo "no bash completion" >&2; exit 1; }
echo "== exported symbols"
others=$(nm -D --defined-only "$libdir/libneardup.so" | awk '$2 ~ /[TDBR]/ {print $3}' | grep -v '^nd_' | grep -v '^_' || true)
[[ -z $others ]] || { echo "symbols outside the public API are exported:" >&2; echo "$others" >&2; exit 1; }
echo "== the Python binding"
# The interpreter the binding was built for (CMake's cache), without LD_LIBRARY_PATH: the module must
# find the installed libneardup through its own RPATH.
python=$(sed -n 's/^Python3_EXECUTABLE:[A-Z]*=//p' "$build/CMakeCache.txt")
pkg=$(find "$prefix" -path '*/neardup/__init__.py' -printf '%h\n' | head -n 1)
[[ -n $pkg ]] || { echo "the Python package is not installed" >&2; exit 1; }
pyver=$(cd "$work" && env -u LD_LIBRARY_PATH PYTHONPATH="$(dirname "$pkg")" "$python" -c "import neardup; print(neardup.__version__)")
[[ $pyver == "$(pkg-config --modversion neardup)" ]] || { echo "neardup.__version__ is '$pyver'" >&2; exit 1; }
echo "  import neardup: $pyver (from ${pkg#"$prefix"/})"
module=$(find "$pkg" -name '_neardup*.so' | head -n 1)
linked=$(env -u LD_LIBRARY_PATH ldd "$module" | awk '/libneardup/ {print $3}')
[[ -n $linked && $(realpath "$linked") == "$(realpath "$libdir")"/* ]] ||
  { echo "the module is not linked to the installed library: ${linked:-none}" >&2; exit 1; }
echo "install: ok"

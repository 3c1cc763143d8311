#!/usr/bin/env bash
# gen_output_fields.sh — rewrites the table of docs/output-fields.md from `neardup help fields` (the
# field table of src/cli/rows.c). The CLI test csv_outputs fails when the two differ.
#   scripts/gen_output_fields.sh [NEARDUP]   (default: build/neardup)
set -euo pipefail
cd "$(dirname "$0")/.."
neardup=${1:-build/neardup}
doc=docs/output-fields.md
table=$(mktemp)
trap 'rm -f "$table"' EXIT
"$neardup" help fields >"$table"
awk -v table="$table" '
  /^<!-- fields:begin/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
  /^<!-- fields:end/ { skip = 0 }
  !skip { print }' "$doc" >"$doc.tmp"
mv "$doc.tmp" "$doc"
echo "updated $doc"

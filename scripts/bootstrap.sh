#!/usr/bin/env bash
# bootstrap.sh — quick start, step 1: install what is missing (Debian 12, as root or with sudo),
# configure and build neardup in ./build, then run it on the bundled example articles.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(gcc make cmake pkg-config libglib2.0-dev libxxhash-dev libjson-glib-dev libsqlite3-dev zlib1g-dev libzstd-dev
          libxml2-dev libstemmer-dev check help2man python3-dev python3-pytest libopenmpi-dev openmpi-bin)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "Installing: ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) == 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
echo
echo "== build/neardup scan examples/articles"
./build/neardup scan examples/articles

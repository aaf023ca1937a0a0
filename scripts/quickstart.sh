#!/usr/bin/env bash
# quickstart.sh: the README's first command. Installs the dependencies,
# builds build/, then checks every bundled example zone in zones/examples/
# with `ringctl check-zone` (the origin is the file name without ".zone").
# Exits non-zero if a step fails or a zone is rejected.
set -euo pipefail
cd "$(dirname "$0")/.."

# install-deps.sh uses sudo itself when not root
./scripts/install-deps.sh

[[ -f build/build.ninja ]] || meson setup build
ninja -C build

# run from zones/examples/ so that relative $INCLUDE paths resolve whether
# they are taken relative to the current directory or to the zone file
rc=0
cd zones/examples
for zone in *.zone; do
  origin=${zone%.zone}.
  echo "--- ringctl check-zone $origin zones/examples/$zone"
  ../../build/control/ringctl check-zone "$origin" "$zone" || rc=1
done
if [[ $rc -eq 0 ]]; then
  echo "quickstart: all example zones OK"
else
  echo "quickstart: some example zones were rejected" >&2
fi
exit "$rc"

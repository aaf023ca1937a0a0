#!/usr/bin/env bash
# tests/fuzz/ci.sh TARGET SEEDS RUNS: one fuzz target as a test: its seed
# corpus replayed, then RUNS inputs mutated from it (new ones kept in a
# temporary directory, never in the tree).  Fails on a crash, a sanitizer
# report, a leak or a timeout; prints libFuzzer's last stats line.
set -euo pipefail
target=$1 seeds=$2 runs=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/ringdns-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/new"
# -timeout: an input that takes a second is a bug (a parser loop);
# -rss_limit_mb: a target that grows past it leaks or allocates unbounded
rc=0
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  "$target" -runs="$runs" -seed=1 -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$work/" -print_final_stats=1 "$work/new" "$seeds" >"$work/log" 2>&1 || rc=$?
grep -E "^(stat::|Done|#[0-9]+ +DONE)" "$work/log" | tail -12 || true
if [[ $rc != 0 ]]; then
  tail -60 "$work/log"
  for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
    [[ -e $a ]] && { echo "artifact $(basename "$a"):"; od -A x -t x1z "$a" | head -20; }
  done
  exit 1   # libFuzzer exits 77 on a crash: meson would call that a skip
fi

#!/usr/bin/env bash
# tests/fuzz/long.sh [SECONDS] [TARGET...]: runs each fuzz target for
# SECONDS (default 3600) on all cores but one, merges what it found into
# its seed corpus (tests/fuzz/corpus/NAME/: only inputs that add
# coverage, -merge=1), and reports per target: executions, exec/s,
# libFuzzer's coverage counters (cov: edges, ft: features), the corpus
# before and after, crashes, and the line coverage of the merged corpus
# measured by llvm-cov on a coverage build (build-fuzzcov/).  The report
# is printed and written to bench/out/fuzz-REPORT.md.  Artifacts of
# crashes are kept in bench/out/fuzz-artifacts/.  Builds build-fuzz/ and
# build-fuzzcov/ (clang) when they are missing.  PAR=N runs N targets
# at a time (default 1), each with JOBS jobs.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SECS=${1:-3600}
shift || true
JOBS=${JOBS:-$(( $(nproc) > 1 ? $(nproc) - 1 : 1 ))}
PAR=${PAR:-1}
# the engine's targets read the test zones from the source tree, and each
# target runs in a directory of its own
export SRCDIR=${SRCDIR:-$ROOT}
# a sanitizer's report is a crash, as in ci.sh (UBSan goes on otherwise)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
OUT=$ROOT/bench/out
ART=$OUT/fuzz-artifacts
mkdir -p "$OUT" "$ART"

setup() {	# DIR C_ARGS...
  local dir=$1; shift
  [[ -f $dir/build.ninja ]] || CC=clang meson setup "$dir" -Dfuzz=true -Dtests=false "$@" >/dev/null
  # the fuzz targets only: the servers do not link with the coverage
  # build's fuzzer instrumentation (no fuzzer runtime in them)
  ninja -C "$dir" $(ninja -C "$dir" -t targets all |
                    sed -n 's|^\(tests/fuzz/fuzz_[a-z0-9_]*\): .*|\1|p') >/dev/null
}
setup build-fuzz -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link
setup build-fuzzcov -Db_lundef=false \
  "-Dc_args=-fsanitize=fuzzer-no-link -fprofile-instr-generate -fcoverage-mapping" \
  "-Dc_link_args=-fprofile-instr-generate -fcoverage-mapping"

targets=("$@")
if [[ ${#targets[@]} == 0 ]]; then
  for f in build-fuzz/tests/fuzz/fuzz_*; do
    [[ -x $f && ! -d $f ]] && targets+=("$(basename "$f" | sed 's/^fuzz_//')")
  done
fi

report=$OUT/fuzz-REPORT.md
{
  echo "# Fuzzing report"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ), $SECS s per target, $JOBS job(s) each, $PAR target(s) at a time"
  echo "- host: $(nproc) vCPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), clang $(clang --version | head -1 | grep -o '[0-9][0-9.]*' | head -1)"
  echo "- ringdns: git $(git describe --always --dirty)"
  echo
  echo "| target | executions | exec/s | cov (edges) | ft | corpus before | corpus after | crashes | lines covered |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
} >"$report.tmp"

# fuzz_one NAME: one target's run, merge and coverage; its report row
# goes to $OUT/fuzz-rows/NAME.  Runs in its own directory: libFuzzer
# writes the -jobs logs (fuzz-J.log) to the current one.
fuzz_one() {
  local t=$1
  local exe=$ROOT/build-fuzz/tests/fuzz/fuzz_$t cexe=$ROOT/build-fuzzcov/tests/fuzz/fuzz_$t
  local seeds=$ROOT/tests/fuzz/corpus/$t
  local work
  work=$(mktemp -d "${TMPDIR:-/tmp}/ringdns-fuzzlong.XXXXXX")
  mkdir -p "$work/new" "$seeds"
  cd "$work"
  local before
  before=$(find "$seeds" -type f | wc -l)
  echo "fuzz_$t: $SECS s, $JOBS job(s)" >&2
  local rc=0
  "$exe" -max_total_time="$SECS" -jobs="$JOBS" -workers="$JOBS" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -artifact_prefix="$ART/$t-" -print_final_stats=1 \
    "$work/new" "$seeds" >"$work/log" 2>&1 || rc=$?
  # -jobs writes one log per job: the stats are summed over them
  local execs=0 speed=0 cov=0 ft=0 l e c f
  for l in "$work"/log "$work"/fuzz-*.log; do
    [[ -f $l ]] || continue
    e=$(grep -E '^stat::number_of_executed_units' "$l" | awk '{s+=$2} END {print s+0}')
    execs=$((execs + e))
    c=$(grep -oE 'cov: [0-9]+' "$l" | tail -1 | awk '{print $2+0}')
    f=$(grep -oE 'ft: [0-9]+' "$l" | tail -1 | awk '{print $2+0}')
    (( ${c:-0} > cov )) && cov=$c
    (( ${f:-0} > ft )) && ft=$f
  done
  speed=$((execs / (SECS > 0 ? SECS : 1)))
  local crashes
  crashes=$(find "$ART" -name "$t-*" -newer "$work/new" 2>/dev/null | wc -l)
  "$exe" -merge=1 "$seeds" "$work/new" >/dev/null 2>&1 || true
  local after
  after=$(find "$seeds" -type f | wc -l)
  # line coverage of the merged corpus on the coverage build
  local prof=$work/cov.profraw lines=n/a
  LLVM_PROFILE_FILE=$prof "$cexe" -runs=0 "$seeds" >/dev/null 2>&1 || true
  if [[ -f $prof ]]; then
    llvm-profdata merge -sparse "$prof" -o "$work/cov.profdata"
    lines=$(llvm-cov report "$cexe" -instr-profile="$work/cov.profdata" \
              -ignore-filename-regex='tests/fuzz|/usr/' 2>/dev/null | awk '/^TOTAL/ {print $(NF-3)}')
  fi
  echo "| $t | $execs | $speed | $cov | $ft | $before | $after | $crashes (exit $rc) | ${lines:-n/a} |" \
    >"$OUT/fuzz-rows/$t"
  cd "$ROOT"
  rm -rf "$work"
}

rm -rf "$OUT/fuzz-rows"
mkdir -p "$OUT/fuzz-rows"
running=0
for t in "${targets[@]}"; do
  if (( running >= PAR )); then
    wait -n || true
    running=$((running - 1))
  fi
  ( fuzz_one "$t" ) &
  running=$((running + 1))
done
wait || true
for t in "${targets[@]}"; do
  cat "$OUT/fuzz-rows/$t" 2>/dev/null || echo "| $t | no result | | | | | | | |"
done >>"$report.tmp"
rm -rf "$OUT/fuzz-rows"
mv "$report.tmp" "$report"
cat "$report"

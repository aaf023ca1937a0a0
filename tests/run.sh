#!/usr/bin/env bash
# tests/run.sh: the project's test command. Configures (when needed), builds
# and runs the meson test suite in four builds: build/ (normal),
# build-asan/ (AddressSanitizer + UBSan), build-tsan/ (ThreadSanitizer:
# only the suites in TSAN_SUITES, those that run threads, and only the
# programs they need are built) and build-fuzz/ (clang: the libFuzzer
# targets of tests/fuzz/, a fixed number of inputs each). Then prints the
# Criterion "Synthesis" line of every test and, as the very last line,
#   tests: N passed, N failed
# counted over the builds from build*/meson-logs/testlog.json (result OK =
# passed, SKIP = not counted, anything else = failed; a build step that fails
# counts as one failure). Exits 1 if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

fail_steps=0
declare -A SETUP_ARGS=(
  [build]=""
  [build-asan]="-Db_sanitize=address,undefined -Db_lundef=false"
  # the libFuzzer targets (tests/fuzz/), each run as a test for a fixed
  # number of inputs (60 % of tests/fuzz/meson.build's counts: about 2.5
  # minutes in all, CI's 45 minutes being nearly full); clang, every
  # library instrumented for coverage
  [build-fuzz]="-Dfuzz=true -Dfuzz_runs_percent=60 -Dtests=false -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link"
  [build-tsan]="-Db_sanitize=thread -Db_lundef=false"
)
declare -A SETUP_CC=([build-fuzz]=clang)

# What build-tsan runs: the publisher against workers (swap, incr), TCP,
# the control socket, the socket and DPDK backends, dnstap's writer
# thread, the shared RRL table, and the real server with several workers.
TSAN_SUITES=(swap incr tcp ctlsock io_sock io_dpdk dnstap rrl
             e2e-server e2e-rrl e2e-dnstap)
TSAN_PROGRAMS=(dataplane/ringdns control/ringdns-control control/ringctl bench/genzone)

# build-tsan: the suites of TSAN_SUITES this build has (io_dpdk needs
# DPDK) into tsan_run, the programs they need into tsan_targets.
tsan_select() {
  local known s
  ninja -C build-tsan build.ninja >/dev/null   # a new suite's target listed too
  known=$(ninja -C build-tsan -t targets all 2>/dev/null)
  tsan_run=() tsan_targets=("${TSAN_PROGRAMS[@]}")
  for s in "${TSAN_SUITES[@]}"; do
    if [[ $s == e2e-* ]]; then
      tsan_run+=("$s")
    elif grep -q "^tests/test_$s:" <<<"$known"; then
      tsan_run+=("$s") tsan_targets+=("tests/test_$s")
    fi
  done
}

for dir in build build-asan build-tsan build-fuzz; do
  echo "=== $dir"
  # a stale log from an earlier run must never be counted
  rm -f "$dir/meson-logs/testlog.json"
  if [[ ! -f "$dir/build.ninja" ]]; then
    # shellcheck disable=SC2086 # the args are meant to split
    if ! CC=${SETUP_CC[$dir]:-${CC:-cc}} meson setup "$dir" ${SETUP_ARGS[$dir]}; then
      echo "run.sh: $dir: meson setup FAILED"; fail_steps=$((fail_steps + 1)); continue
    fi
  fi
  targets=() suites=()
  # the soak (ten minutes of load and faults) and bench/run's quick mode
  # (benchmarks: the servers' figures under ASan say nothing) run once,
  # in build/
  [[ $dir == build-asan ]] && suites=(--no-suite soak --no-suite bench)
  # build-fuzz: the fuzz targets only (the servers are built and tested
  # in the other builds)
  if [[ $dir == build-fuzz ]]; then
    ninja -C build-fuzz build.ninja >/dev/null
    mapfile -t targets < <(ninja -C build-fuzz -t targets all 2>/dev/null |
                           sed -n 's|^\(tests/fuzz/fuzz_[a-z0-9_]*\): .*|\1|p')
    suites=(--no-rebuild)
  fi
  if [[ $dir == build-tsan ]]; then
    tsan_select
    targets=("${tsan_targets[@]}") suites=(--no-rebuild "${tsan_run[@]}")
  fi
  if ! ninja -C "$dir" "${targets[@]}"; then
    echo "run.sh: $dir: build FAILED"; fail_steps=$((fail_steps + 1)); continue
  fi
  if [[ $dir == build-asan || $dir == build-fuzz ]]; then
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  fi
  if [[ $dir == build-tsan ]]; then
    export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp"
  fi
  # failures are counted from the log below, not from this exit status
  meson test -C "$dir" --print-errorlogs --num-processes 2 "${suites[@]}" || true
  unset ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS
done

python3 - "$fail_steps" build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
  build-tsan/meson-logs/testlog.json build-fuzz/meson-logs/testlog.json <<'EOF'
import json, os, re, sys
fail_steps, logs = int(sys.argv[1]), sys.argv[2:]
ansi = re.compile(r'\x1b\[[0-9;]*m')
passed = failed = 0
print("=== Criterion summary")
for log in logs:
    if not os.path.exists(log):
        continue
    build = log.split("/")[0]
    for line in open(log, encoding="utf-8", errors="replace"):
        if not line.strip():
            continue
        t = json.loads(line)
        res = t.get("result", "?")
        if res == "OK":
            passed += 1
        elif res != "SKIP":
            failed += 1
            print(f"{build}: {t.get('name')}: {res}")
        out = (t.get("stdout") or "") + (t.get("stderr") or "")
        for l in ansi.sub("", out).splitlines():
            if "Synthesis" in l:
                print(f"{build}: {t.get('name')}: {l.strip()}")
failed += fail_steps
print(f"tests: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
EOF

#!/usr/bin/env bash
# tests/run.sh: the project's test command. Configures (when needed), builds
# and runs the meson test suite in three builds: build/ (normal),
# build-asan/ (AddressSanitizer + UBSan) and build-fuzz/ (clang: the
# libFuzzer targets of tests/fuzz/, a fixed number of inputs each). Then
# prints the Criterion "Synthesis" line of every test and, as the very
# last line,
#   tests: N passed, N failed
# counted over every build from build*/meson-logs/testlog.json (result OK =
# passed, SKIP = not counted, anything else = failed; a build step that fails
# counts as one failure). Exits 1 if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

fail_steps=0
declare -A SETUP_ARGS=(
  [build]=""
  [build-asan]="-Db_sanitize=address,undefined -Db_lundef=false"
  # the libFuzzer targets (tests/fuzz/), each run as a test for a fixed
  # number of inputs; clang, every library instrumented for coverage
  [build-fuzz]="-Dfuzz=true -Dtests=false -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link"
)
declare -A SETUP_CC=([build-fuzz]=clang)

for dir in build build-asan build-fuzz; do
  echo "=== $dir"
  # a stale log from an earlier run must never be counted
  rm -f "$dir/meson-logs/testlog.json"
  if [[ ! -f "$dir/build.ninja" ]]; then
    # shellcheck disable=SC2086 # the args are meant to split
    if ! CC=${SETUP_CC[$dir]:-${CC:-cc}} meson setup "$dir" ${SETUP_ARGS[$dir]}; then
      echo "run.sh: $dir: meson setup FAILED"; fail_steps=$((fail_steps + 1)); continue
    fi
  fi
  if ! ninja -C "$dir"; then
    echo "run.sh: $dir: build FAILED"; fail_steps=$((fail_steps + 1)); continue
  fi
  if [[ $dir == build-asan || $dir == build-fuzz ]]; then
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  fi
  # failures are counted from the log below, not from this exit status
  meson test -C "$dir" --print-errorlogs --num-processes 2 || true
  unset ASAN_OPTIONS UBSAN_OPTIONS
done

python3 - "$fail_steps" build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
  build-fuzz/meson-logs/testlog.json <<'EOF'
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

#!/usr/bin/env bash
# test-run-app.sh RUN_APP: with no display, run-app.sh must print exactly one line that names xvfb-run and exit 1,
# without ever starting Qt (the build directory given does not even exist).
set -uo pipefail
run_app=$1
output=$(env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM "$run_app" /nonexistent-build-dir 2>&1)
rc=$?
echo "$output"
lines=$(printf '%s\n' "$output" | wc -l)
[ $rc -eq 1 ] || { echo "FAIL: exit code $rc, expected 1"; exit 1; }
[ "$lines" -eq 1 ] || { echo "FAIL: $lines lines of output, expected 1"; exit 1; }
grep -q "xvfb-run -a make run" <<<"$output" || { echo "FAIL: the line does not say how to run it"; exit 1; }
echo "PASS"

#!/usr/bin/env bash
# run-validator.sh DEBIAN_PACKAGE TOOL [ARGS...]: runs a validator, or skips (77) naming the package that provides it.
# Warnings count as failures: a file that validates only with warnings is not what we ship.
set -uo pipefail
package=$1 tool=$2
shift 2
if ! command -v "$tool" >/dev/null; then
  echo "SKIP: $tool not installed (Debian package $package; packaging/install-deps.sh installs it)"
  exit 77
fi
output=$("$tool" "$@" 2>&1)
rc=$?
echo "$output"
if [ $rc -ne 0 ]; then
  echo "FAIL: $tool exited $rc"
  exit 1
fi
# desktop-file-validate exits 0 on warnings; "hint:" lines are advice (e.g. two main categories, which the spec asks for).
if grep -E -i "(^|: )(warning|error)" <<<"$output" >/dev/null; then
  echo "FAIL: $tool reported warnings"
  exit 1
fi
echo "PASS: $tool $*"

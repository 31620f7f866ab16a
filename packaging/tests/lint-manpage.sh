#!/usr/bin/env bash
# lint-manpage.sh PAGE...: renders each man page with every groff warning on; any warning, or a rendered line wider
# than 80 columns (a sign of an unbreakable construct), fails the test.
set -uo pipefail
if ! command -v groff >/dev/null; then
  echo "SKIP: groff not installed (Debian package groff-base)"
  exit 77
fi
failed=0
for page in "$@"; do
  warnings=$(LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$page" 2>&1)
  if [ -n "$warnings" ]; then
    echo "$warnings"
    echo "FAIL: groff warnings in $page"
    failed=1
  fi
  wide=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -rLL=78n -P-cbou "$page" 2>/dev/null | awk 'length($0) > 80' | head -5)
  if [ -n "$wide" ]; then
    echo "$wide"
    echo "FAIL: lines wider than 80 columns in $page"
    failed=1
  fi
  [ $failed -eq 0 ] && echo "ok: $page"
done
exit $failed

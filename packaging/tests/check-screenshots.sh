#!/usr/bin/env bash
# check-screenshots.sh METAINFO URL_PREFIX SCREENSHOT_DIR: every AppStream screenshot must be a file the repository
# has under docs/screenshots/, so the published URLs resolve once the repository is public.
set -euo pipefail
metainfo=$1 prefix=$2 dir=$3
mapfile -t images < <(sed -n 's:.*<image>\(.*\)</image>.*:\1:p' "$metainfo")
if [ ${#images[@]} -eq 0 ]; then
  echo "FAIL: no <image> in $metainfo"
  exit 1
fi
missing=0
for url in "${images[@]}"; do
  case "$url" in
    "$prefix"/*) name=${url#"$prefix"/} ;;
    *) echo "FAIL: $url does not point into $prefix"; missing=1; continue ;;
  esac
  if [ -f "$dir/$name" ]; then
    echo "ok: $name"
  else
    echo "FAIL: $url names $dir/$name, which does not exist"
    missing=1
  fi
done
exit $missing

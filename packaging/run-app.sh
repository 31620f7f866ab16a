#!/usr/bin/env bash
# run-app.sh BUILD_DIR: what `make run` starts. Checks for a display first so that a headless machine gets one
# sentence instead of Qt's "could not connect to display" abort; with no file the app opens its embedded sample.
set -euo pipefail
build_dir=${1:-build}
app="$build_dir/src/app/checkpoint-inspector"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  echo "checkpoint-inspector: no display found (DISPLAY and WAYLAND_DISPLAY are empty); run it under a virtual one with: xvfb-run -a make run" >&2
  exit 1
fi
if [ ! -x "$app" ]; then
  echo "checkpoint-inspector: $app was not built (configure with -DCKPT_BUILD_GUI=ON and build it)" >&2
  exit 1
fi
exec "$app" "${@:2}"

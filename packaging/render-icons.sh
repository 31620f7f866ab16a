#!/usr/bin/env bash
# Renders the committed PNG icons from resources/icons/checkpoint-inspector.svg.
# Run it after editing the SVG and commit the PNGs: the build never renders, so it needs no SVG tool.
# Needs rsvg-convert (Debian: librsvg2-bin); ImageMagick alone cannot read SVG here.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
svg="$root/resources/icons/checkpoint-inspector.svg"
if ! command -v rsvg-convert >/dev/null; then
  echo "render-icons: rsvg-convert not found; install it with: sudo apt-get install librsvg2-bin" >&2
  exit 1
fi
for size in 16 22 24 32 48 64 128 256; do
  out="$root/resources/icons/hicolor/${size}x${size}/apps/checkpoint-inspector.png"
  mkdir -p "$(dirname "$out")"
  rsvg-convert --width "$size" --height "$size" --format png "$svg" --output "$out"
  echo "render-icons: $out"
done

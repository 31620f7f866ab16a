#!/usr/bin/env bash
# test-deb.sh BUILD_DIR FIXTURE_DIR VERSION PYTHON [GUI_TARGET]: builds the .deb with cpack into a temporary
# directory, unpacks it with dpkg-deb -x into a temporary root and runs the programs from there, as an installed
# package would be run. Skips (77) at the end, after the CLI checks, when the GUI was not built.
set -uo pipefail
build_dir=$1 fixture_dir=$2 version=$3 python=$4 gui=${5:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

echo "== cpack"
if ! cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1; then
  cat "$tmp/cpack.log"
  fail "cpack could not build the package"
fi
debs=("$tmp"/out/*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "expected one .deb in $tmp/out, found: ${debs[*]}"
deb=${debs[0]}
echo "package: $(basename "$deb") ($(du -h "$deb" | cut -f1))"
dpkg-deb --field "$deb" Package Version Architecture Section Maintainer Depends

echo "== contents"
dpkg-deb -c "$deb" | awk '{print $6}' >"$tmp/contents"
[ "$(dpkg-deb --field "$deb" Package)" = checkpoint-inspector ] || fail "package name"
[ "$(dpkg-deb --field "$deb" Version)" = "$version" ] || fail "package version is not $version"
if dpkg-deb --field "$deb" Description | awk 'length > 80 || /^ \.[^ ]/' | grep .; then
  fail "Description lines must be under 80 columns and not start with '.'"
fi
required=(
  ./usr/bin/ckpt
  ./usr/share/man/man1/ckpt.1.gz
  ./usr/share/applications/checkpoint-inspector.desktop
  ./usr/share/metainfo/io.github.checkpoint_inspector.CheckpointInspector.metainfo.xml
  ./usr/share/mime/packages/checkpoint-inspector.xml
  ./usr/share/icons/hicolor/scalable/apps/checkpoint-inspector.svg
  ./usr/share/icons/hicolor/16x16/apps/checkpoint-inspector.png
  ./usr/share/icons/hicolor/256x256/apps/checkpoint-inspector.png
)
[ -n "$gui" ] && required+=("./usr/bin/$gui")
for path in "${required[@]}"; do
  grep -qxF "$path" "$tmp/contents" || fail "$path is not in the package"
  echo "ok: $path"
done
# Nothing outside /usr, and no build-tree leftovers (static libraries, headers, test programs).
if grep -v -E '^\./(usr/.*)?$' "$tmp/contents"; then fail "files outside /usr"; fi
if grep -E '\.(a|h|hpp)$|/tst_' "$tmp/contents"; then fail "build artefacts in the package"; fi
modules=$(grep -E '^\./usr/lib/([^/]+/)?checkpoint-inspector/[^/]+\.so$' "$tmp/contents" || true)
echo "tensor module: ${modules:-none packaged}"
depends=$(dpkg-deb --field "$deb" Depends)
[ -n "$gui" ] && { grep -q "libqt6" <<<"$depends" || fail "no Qt in Depends (shlibdeps)"; }
[ -n "$modules" ] && { grep -q "libtorch" <<<"$depends" || fail "no LibTorch in Depends (shlibdeps)"; }

echo "== unpacked programs"
root="$tmp/root"
dpkg-deb -x "$deb" "$root" || fail "dpkg-deb -x"
export LD_LIBRARY_PATH="$root/usr/lib:$root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
out=$(timeout 60 "$root/usr/bin/ckpt" --version 2>&1) || fail "ckpt --version exited $?: $out"
echo "ckpt --version: $out"
grep -qF "$version" <<<"$out" || fail "ckpt --version does not print $version"

# The plain resnet18 state dict from the fixture manifest (any readable torch fixture if it is named differently).
fixture=$("$python" - "$fixture_dir" <<'PY'
import json, sys, os
d = sys.argv[1]
fixtures = json.load(open(os.path.join(d, "manifest.json")))["fixtures"]
usable = [f for f in fixtures if not {"hostile", "broken"} & set(f.get("tags", []))]
def plain_resnet18(f):
    return ("resnet18" in f["name"] and f.get("format") == "torch-zip" and f.get("kind") == "state_dict"
            and not any(w in f["name"] for w in ("dp", "module", "orig", "head", "legacy", "bf16", "infix")))
best = [f for f in usable if f["name"] == "resnet18_sd"] or [f for f in usable if plain_resnet18(f)] or [f for f in usable if f.get("format") == "torch-zip"] or usable
print(os.path.join(d, best[0]["file"]))
PY
) || fail "no fixture found in $fixture_dir/manifest.json"
out=$(timeout 60 "$root/usr/bin/ckpt" info "$fixture" 2>&1) || fail "ckpt info $fixture exited $?: $out"
echo "ckpt info $(basename "$fixture"):"
echo "$out" | head -20
[ -n "$out" ] || fail "ckpt info printed nothing"

# The tensor module must be found from the package's own layout (bin/../lib/checkpoint-inspector), not from the
# build tree: LD_DEBUG shows which file the dynamic loader opened.
if [ -n "$modules" ] && grep -qE '^\s+stats\s' <<<"$("$root/usr/bin/ckpt" --help 2>&1)"; then
  out=$(LD_DEBUG=files timeout 120 "$root/usr/bin/ckpt" stats "$fixture" --key conv1.weight 2>"$tmp/ld.log") ||
    fail "ckpt stats $fixture --key conv1.weight exited $?: $out $(grep -v 'file=\|^ *[0-9]*:\s*$' "$tmp/ld.log" | tail -5)"
  loaded=$(grep -oE "file=[^ ]*checkpoint-inspector/[^ ]*\.so" "$tmp/ld.log" | head -1)
  echo "ckpt stats loaded the tensor module: ${loaded#file=}"
  case "${loaded#file=}" in
    "$root"/*) ;;
    *) fail "the unpacked ckpt did not load the packaged tensor module (${loaded:-nothing loaded})" ;;
  esac
fi

if [ -z "$gui" ]; then
  echo "SKIP: the GUI (checkpoint-inspector) was not built, so its unpacked --version was not run; the CLI checks passed"
  exit 77
fi
out=$(QT_QPA_PLATFORM=offscreen timeout 60 "$root/usr/bin/$gui" --version 2>&1) || fail "$gui --version exited $?: $out"
echo "$gui --version: $out"
grep -qF "$version" <<<"$out" || fail "$gui --version does not print $version"
echo "PASS"

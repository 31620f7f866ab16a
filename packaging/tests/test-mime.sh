#!/usr/bin/env bash
# test-mime.sh MIME_XML PYTHON: installs our MIME declarations next to the system's into a temporary database and
# checks what GLib's sniffer (what file managers use) says about real files written by PyTorch, by name and by content.
set -euo pipefail
mime_xml=$1 python=$2
for tool in update-mime-database:shared-mime-info gio:libglib2.0-bin; do
  if ! command -v "${tool%%:*}" >/dev/null; then
    echo "SKIP: ${tool%%:*} not installed (Debian package ${tool##*:})"
    exit 77
  fi
done
system_xml=/usr/share/mime/packages/freedesktop.org.xml
if [ ! -f "$system_xml" ]; then
  echo "SKIP: $system_xml missing (Debian package shared-mime-info)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/xdg/mime/packages" "$tmp/files"
cp "$system_xml" "$mime_xml" "$tmp/xdg/mime/packages/"
update-mime-database "$tmp/xdg/mime" 2>/dev/null

cd "$tmp/files"
"$python" - <<'PY'
import json, shutil, struct, zipfile
import torch
model = torch.nn.Linear(3, 2)
torch.save(model.state_dict(), "plain.pth")
torch.save(model.state_dict(), "legacy.pt", _use_new_zipfile_serialization=False)
torch.jit.script(model).save("scripted.pt")
for src, dst in [("plain.pth", "pytorch_model.bin"), ("plain.pth", "no_extension"), ("legacy.pt", "legacy.bin"),
                 ("scripted.pt", "scripted.bin"), ("plain.pth", "lightning.ckpt")]:
    shutil.copy(src, dst)
# A torch zip rewritten by another tool (deflated, zipfile's own header bytes) is still recognised by its record name.
with zipfile.ZipFile("plain.pth") as src, zipfile.ZipFile("deflated.bin", "w", zipfile.ZIP_DEFLATED) as out:
    for info in src.infolist():
        out.writestr(info.filename, src.read(info.filename))
with zipfile.ZipFile("ordinary.bin", "w") as out:
    out.writestr("notes/readme.txt", "not a checkpoint")
header = json.dumps({"__metadata__": {"format": "pt"},
                     "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
header += b" " * (-len(header) % 8)
for name in ("model.safetensors", "safetensors_as.bin"):
    open(name, "wb").write(struct.pack("<Q", len(header)) + header + bytes(4))
open("model.safetensors.index.json", "w").write('{"metadata": {}, "weight_map": {}}')
open("random.bin", "wb").write(bytes(range(256)) * 4)
PY

expect() { # FILE TYPE
  local got
  got=$(XDG_DATA_HOME="$tmp/xdg" XDG_DATA_DIRS="$tmp/xdg" gio info -a standard::content-type "$1" |
        sed -n 's/.*standard::content-type: //p')
  if [ "$got" = "$2" ]; then
    echo "ok: $1 -> $got"
  else
    echo "FAIL: $1 -> $got, expected $2"
    failed=1
  fi
}
failed=0
expect plain.pth application/x-pytorch-checkpoint
expect legacy.pt application/x-pytorch-checkpoint
expect scripted.pt application/x-pytorch-checkpoint
expect lightning.ckpt application/x-pytorch-checkpoint
expect pytorch_model.bin application/x-pytorch-checkpoint
expect no_extension application/x-pytorch-checkpoint
expect legacy.bin application/x-pytorch-checkpoint
expect scripted.bin application/x-pytorch-checkpoint
expect deflated.bin application/x-pytorch-checkpoint
expect model.safetensors application/x-safetensors
expect safetensors_as.bin application/x-safetensors
expect model.safetensors.index.json application/x-pytorch-checkpoint-index
# What must not be claimed: an ordinary zip and arbitrary bytes named .bin.
expect ordinary.bin application/zip
expect random.bin application/octet-stream
exit $failed

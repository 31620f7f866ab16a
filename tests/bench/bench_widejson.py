"""Issue 12 goal: a 150,000-key safetensors header and a 100,000-entry sharded index open in under 1 s.

Both inputs are written here by hand, following the safetensors format (u64 little-endian header length, a JSON
object {name: {dtype, shape, data_offsets}} in file order, then the data) and the Hugging Face index layout
({"metadata": {...}, "weight_map": {name: shard file}}). Real mixture-of-experts models carry ~100k tensors across
their shards. ordered_json made both quadratic (over 15 s for the header); plain json with the order recorded
separately is n log n.
"""
import json
import os
import struct
import subprocess

import common


def _write_safetensors(path, names):
    header = {"__metadata__": {"format": "pt"}}
    for i, name in enumerate(names):
        header[name] = {"dtype": "F32", "shape": [1], "data_offsets": [4 * i, 4 * i + 4]}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(b"".join(struct.pack("<f", float(i)) for i in range(len(names))))
    os.replace(path + ".tmp", path)


def ensure_wide_safetensors(data_dir, count=150000):
    path = os.path.join(data_dir, "wide_%d.safetensors" % count)
    if not os.path.exists(path):
        os.makedirs(data_dir, exist_ok=True)
        _write_safetensors(path, ["model.experts.%d.w%d" % (i // 3, i % 3) for i in range(count)])
    return path


def ensure_wide_index(data_dir, count=100000, shards=4):
    folder = os.path.join(data_dir, "wide_index_%d" % count)
    index = os.path.join(folder, "model.safetensors.index.json")
    if not os.path.exists(index):
        os.makedirs(folder, exist_ok=True)
        names = ["model.layers.%d.experts.%d.w" % (i // 1000, i % 1000) for i in range(count)]
        weight_map = {}
        per = (count + shards - 1) // shards
        for s in range(shards):
            shard = "model-%05d-of-%05d.safetensors" % (s + 1, shards)
            chunk = names[s * per:(s + 1) * per]
            _write_safetensors(os.path.join(folder, shard), chunk)
            weight_map.update((name, shard) for name in chunk)
        with open(index + ".tmp", "w") as f:
            json.dump({"metadata": {"total_size": 4 * count}, "weight_map": weight_map}, f)
        os.replace(index + ".tmp", index)
    return index


def _open_ms(ctx, path):
    exe = os.path.join(ctx.build, "tests", "bench", "bench_open")
    out = subprocess.run([exe, path, "3"], check=True, capture_output=True, text=True).stdout.split()
    return float(out[0])


def run(ctx):
    rows = []
    wide = ensure_wide_safetensors(ctx.data)
    index = ensure_wide_index(ctx.data)
    for label, path in (("150,000-key safetensors header", wide), ("100,000-entry sharded index (4 shards)", index)):
        seconds, _ = common.time_process([ctx.ckpt, "info", path], repeat=3)
        rows.append(common.result("ckpt info %s" % label, seconds, "s", "< 1 s", seconds < 1.0))
        rows.append(common.result("open %s in-process" % label, _open_ms(ctx, path), "ms"))
    return rows

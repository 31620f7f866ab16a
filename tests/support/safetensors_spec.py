#!/usr/bin/python3
"""An independent safetensors writer and reader for tests, written from the format's specification only
(huggingface/safetensors README: an 8-byte little-endian header length N, N bytes of UTF-8 JSON that may end in
spaces, then one byte buffer; each tensor entry names "dtype", "shape" and "data_offsets" [begin, end) relative to
the buffer; the entries cover the buffer without holes or overlaps; "__metadata__" is an optional str->str map).
It shares no code with the engine's reader or writer and needs neither torch nor the project: no torch version on
Debian 12 knows float8 or uint16/32/64, so this is the oracle for those dtypes.

  safetensors_spec.py make DIR      writes DIR/dtypes.safetensors, a two-shard set with its index, and
                                    DIR/expected.json (name -> dtype, shape, hex bytes) for every tensor
  safetensors_spec.py check FILE EXPECTED.json SET
                                    parses FILE by the spec (strictly) and compares every tensor with
                                    EXPECTED[SET] (SET: dtypes or sharded)
"""
import json
import os
import struct
import sys

ELEMENT_SIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
                "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}


def tensors_for_dtypes():
    """name -> (dtype, shape, raw little-endian bytes); values chosen to hit each type's extremes."""
    t = {}
    # float8 e4m3fn: 0x00 zero, 0x38 = 1.0, 0x7e = 448 (max), 0x80 = -0, 0xb8 = -1.0, 0x7f = NaN, 0x01 = min subnormal
    t["f8_e4m3.weight"] = ("F8_E4M3", [2, 4], bytes([0x00, 0x38, 0x7e, 0x80, 0xb8, 0x7f, 0x01, 0x40]))
    # float8 e5m2: 0x3c = 1.0, 0x7b = 57344 (max), 0x7c = inf, 0xfc = -inf, 0x7e = NaN
    t["f8_e5m2.weight"] = ("F8_E5M2", [5], bytes([0x3c, 0x7b, 0x7c, 0xfc, 0x7e]))
    t["u16.counts"] = ("U16", [3], struct.pack("<3H", 0, 1, 65535))
    t["u32.counts"] = ("U32", [2], struct.pack("<2I", 0, 4294967295))
    t["u64.counts"] = ("U64", [2, 1], struct.pack("<2Q", 0, 2 ** 64 - 1))
    t["bf16.scale"] = ("BF16", [2], struct.pack("<2H", 0x3f80, 0xc000))  # 1.0, -2.0
    t["mask"] = ("BOOL", [3], bytes([1, 0, 1]))
    t["empty"] = ("F32", [0, 3], b"")
    return t


def write(path, tensors, metadata=None):
    names = sorted(tensors)
    header, cursor = {}, 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name in names:
        dtype, shape, raw = tensors[name]
        count = 1
        for d in shape:
            count *= d
        assert len(raw) == count * ELEMENT_SIZE[dtype], name
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [cursor, cursor + len(raw)]}
        cursor += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for name in names:
            f.write(tensors[name][2])


def read(path):
    """name -> (dtype, shape, bytes), checking every rule of the spec on the way."""
    raw = open(path, "rb").read()
    assert len(raw) >= 8, "shorter than the length field"
    (n,) = struct.unpack("<Q", raw[:8])
    assert 8 + n <= len(raw), "header runs past the file"
    header = json.loads(raw[8:8 + n].decode("utf-8").rstrip(" "))
    meta = header.pop("__metadata__", {})
    assert isinstance(meta, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items())
    buffer = raw[8 + n:]
    spans, out = [], {}
    for name, entry in header.items():
        assert set(entry) == {"dtype", "shape", "data_offsets"}, (name, entry)
        dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
        assert dtype in ELEMENT_SIZE, dtype
        count = 1
        for d in shape:
            assert isinstance(d, int) and d >= 0
            count *= d
        assert end - begin == count * ELEMENT_SIZE[dtype], (name, begin, end, shape, dtype)
        spans.append((begin, end))
        out[name] = (dtype, shape, buffer[begin:end])
    spans.sort()
    cursor = 0
    for begin, end in spans:  # no holes, no overlaps, and the buffer ends with the last tensor
        assert begin == cursor, "hole or overlap at %d" % begin
        cursor = end
    assert cursor == len(buffer), "buffer has %d bytes after the last tensor" % (len(buffer) - cursor)
    return out


def expected_json(tensors):
    return {k: {"dtype": d, "shape": s, "hex": b.hex()} for k, (d, s, b) in tensors.items()}


def make(folder):
    os.makedirs(folder, exist_ok=True)
    dtypes = tensors_for_dtypes()
    write(os.path.join(folder, "dtypes.safetensors"), dtypes, {"format": "pt"})
    # Two shards and a transformers-style index (weight_map: tensor name -> shard file name).
    shard1 = {"model.layers.0.weight": ("F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)),
              "model.layers.0.bias": ("F16", [2], struct.pack("<2H", 0x3c00, 0xbc00)),
              "model.embed.weight": ("U16", [2], struct.pack("<2H", 7, 65535))}
    shard2 = {"model.layers.1.weight": ("BF16", [1, 2], struct.pack("<2H", 0x3f80, 0x4000)),
              "model.head.scale": ("F8_E4M3", [3], bytes([0x38, 0x7e, 0xb8])),
              "model.head.ids": ("U64", [1], struct.pack("<Q", 2 ** 63 + 5))}
    names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    write(os.path.join(folder, names[0]), shard1, {"format": "pt"})
    write(os.path.join(folder, names[1]), shard2, {"format": "pt"})
    weight_map = {k: names[0] for k in shard1}
    weight_map.update({k: names[1] for k in shard2})
    total = sum(len(b) for _, _, b in list(shard1.values()) + list(shard2.values()))
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
    merged = dict(shard1)
    merged.update(shard2)
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump({"dtypes": expected_json(dtypes), "sharded": expected_json(merged)}, f, indent=1)


def check(path, expected_path, which):
    want = json.load(open(expected_path))[which]
    got = read(path)
    assert set(got) == set(want), "names differ: missing %s, extra %s" % (sorted(set(want) - set(got)),
                                                                        sorted(set(got) - set(want)))
    for name, w in want.items():
        dtype, shape, raw = got[name]
        assert (dtype, shape, raw.hex()) == (w["dtype"], w["shape"], w["hex"]), (name, dtype, shape, raw.hex(), w)
    print("ok: %d tensors match" % len(want))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)

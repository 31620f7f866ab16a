#!/usr/bin/python3
"""Oracle for a consolidated export: check_export.py OUT EXPECTED.pt.

Loads OUT with real torch (torch.load(weights_only=True) for a torch zip; for safetensors the header and
bytes are parsed here, as the safetensors package is not installed) and compares it with the generator's
expected tensors: same keys, dtypes, shapes, and bitwise-equal values; in a torch zip, tied keys share
storage. Prints the first difference and exits 1, or prints "ok N" and exits 0.
"""
import json
import struct
import sys

import torch

ST_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
             "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
             "BOOL": torch.bool}


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        a, b = info["data_offsets"]
        raw = bytearray(data[8 + n + a:8 + n + b])
        t = torch.frombuffer(raw, dtype=ST_DTYPES[info["dtype"]]) if raw else torch.empty(0, dtype=ST_DTYPES[info["dtype"]])
        out[key] = t.reshape(info["shape"])
    return out


def main():
    out, expected_path = sys.argv[1], sys.argv[2]
    got = load_safetensors(out) if out.endswith(".safetensors") else torch.load(out, weights_only=True)
    expected = torch.load(expected_path, weights_only=True)
    if list(got) != list(expected) and set(got) != set(expected):
        sys.exit("keys differ: got %s expected %s" % (sorted(got), sorted(expected)))
    for key, want in expected.items():
        have = got[key]
        if have.dtype != want.dtype or have.shape != want.shape:
            sys.exit("%s: got %s %s, expected %s %s" % (key, have.dtype, tuple(have.shape), want.dtype, tuple(want.shape)))
        if not torch.equal(have.reshape(-1).view(torch.uint8) if have.dim() else have.reshape(1).view(torch.uint8),
                           want.reshape(-1).view(torch.uint8) if want.dim() else want.reshape(1).view(torch.uint8)):
            sys.exit("%s: values differ" % key)
    if not out.endswith(".safetensors"):
        by_ptr = {}
        for key, want in expected.items():
            by_ptr.setdefault(want.data_ptr(), []).append(key)
        for keys in by_ptr.values():
            if len({got[k].data_ptr() for k in keys}) != 1:
                sys.exit("tied keys %s do not share storage" % keys)
    print("ok", len(expected))


main()

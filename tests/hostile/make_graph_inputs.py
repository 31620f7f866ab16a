#!/usr/bin/env python3
"""Writes tests/hostile/graph/: inputs against the graph walkers and resource bounds (issue 12, items 1-4, 8, 10).

Every file is written byte by byte with make_corpus.py's pickle assembler; nothing is unpickled except the harmless
pickles whose value Python's own `pickle.loads` gives as the oracle (`python_value`). Layouts follow torch's writer
(torch/serialization.py `_save`: persistent id ('storage', storage_type, key, location, numel), records
archive/data/<key>; torch/_utils.py: _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks),
_rebuild_tensor_v3(..., dtype), _rebuild_qtensor(storage, offset, size, stride, qparams, rg, hooks) with qparams
(torch.per_channel_affine, scales, zero_points, axis), _rebuild_sparse_tensor(layout, (indices, values, size));
torch/nn/modules/module.py: a module pickles as an object whose state holds _parameters, _buffers, _modules).

manifest.json lists per file: `expect` (`document`: every command must exit 0, 1 or 3 within the caps and `info`
must succeed; `error`: `info` must exit 1 with a message matching `error`), optional `problem` (a regex a tensor's
problem in `tree --json` must match), `finding` (a regex some finding in `info --json` must match), `python_value`
(repr of what Python's unpickler gives, for pickles that are harmless to load) with `values`, the
[path, scalar] pairs inside it, and a `note`. Deterministic output.
"""

import json
import os
import pickle
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_corpus as mc  # noqa: E402

P = mc.P
ENTRIES = {}


def flatten(value, path=()):
    """[[path, value], ...] for the scalars inside dicts and lists: what `ckpt tree --json` lists as values."""
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in flatten(v, path + (k,))]
    if isinstance(value, (list, tuple)):
        return [pair for i, v in enumerate(value) for pair in flatten(v, path + (i,))]
    return [[list(path), value]]


def entry(name, ext, data, expect, note, oracle=None, **extra):
    meta = {"file": name + ext, "expect": expect, "note": note}
    if oracle is not None:  # what Python's unpickler made of the file: its repr and the scalars inside it
        meta["python_value"] = repr(oracle)
        meta["values"] = flatten(oracle)
    meta.update(extra)
    ENTRIES[name] = (data, ext, meta)


def long_binput(p, i):
    return p.op(b"r", struct.pack("<I", i))


def long_binget(p, i):
    return p.op(b"j", struct.pack("<I", i))


def plain_tensor(p, key, numel=4):
    """A float tensor over storage `key` (absent from a raw pickle: the tensor is then 'bytes not available')."""
    return mc.rebuild_tensor(p, key, numel, 0, [numel], [1])


def build():
    # 1. A sparse tensor whose `values` is the tensor itself: the data list is memoised, passed to the REDUCE, and
    # appended to afterwards (indices, the tensor, size).
    p = P()
    p.empty_dict().str("w")
    p.empty_list()
    long_binput(p, 0).pop()
    p.global_("torch._utils", "_rebuild_sparse_tensor")
    p.mark().global_("torch", "sparse_coo")
    long_binget(p, 0)
    p.tuple().reduce()
    long_binput(p, 1)
    p.setitem()
    long_binget(p, 0).mark()
    plain_tensor(p, "0")
    long_binget(p, 1)
    p.mark().int(4).tuple()
    p.appends().pop().stop()
    entry("sparse_values_is_itself", ".pth", mc.torch_zip(p.bytes(), records={"0": mc.float_bytes(4)}), "document",
          "sparse COO tensor whose values argument is the tensor (cycle through a list appended after the REDUCE)",
          problem="refers to itself")

    # 2. A per-channel quantized tensor whose scales and zero points are the tensor itself, named twice in the state
    # dict: the second emission followed the first one's parts back to itself.
    p = P()
    p.empty_dict()
    p.empty_list()
    long_binput(p, 0).pop()
    p.mark()
    p.str("a")
    p.global_("torch._utils", "_rebuild_qtensor").mark()
    mc.zip_storage_pid(p, "0", 4, "QInt8Storage")
    p.int(0).mark().int(4).tuple().mark().int(1).tuple()
    long_binget(p, 0)
    p.false()
    mc.ordered_dict(p)
    p.tuple().reduce()
    long_binput(p, 1)
    p.str("b")
    long_binget(p, 1)
    p.setitems()
    long_binget(p, 0).mark()
    p.global_("torch", "per_channel_affine")
    long_binget(p, 1)
    long_binget(p, 1)
    p.int(0)
    p.appends().pop().stop()
    entry("qtensor_scales_are_itself", ".pth", mc.torch_zip(p.bytes(), records={"0": bytes(4)}), "document",
          "per-channel quantized tensor whose scales and zero points are itself, named twice",
          problem="refers back to its tensor")

    # 3. A module whose _modules name the same child twice, 40 levels deep: 2^40 paths from 40 objects.
    levels = 40
    p = P()
    for level in range(levels, -1, -1):
        p.global_("graphbomb", "Net").empty_tuple().op(b"\x81")
        p.empty_dict().mark()
        p.str("training").true()
        p.str("_parameters")
        mc.ordered_dict(p)
        p.str("w")
        plain_tensor(p, str(level))
        p.setitem()
        p.str("_buffers")
        mc.ordered_dict(p)
        p.str("_modules")
        mc.ordered_dict(p)
        if level < levels:
            p.mark().str("a")
            long_binget(p, level + 1)
            p.str("b")
            long_binget(p, level + 1)
            p.setitems()
        p.setitems().build()
        long_binput(p, level)
        if level > 0:
            p.pop()
    p.stop()
    entry("module_child_named_twice_40_deep", ".pkl", p.bytes(), "document",
          "nn.Module-like objects, each naming the next one twice in _modules, 40 levels: 2^40 state_dict paths",
          finding="kGraphWorkPerValue")

    # 4. LONG_BINPUT indices stepping by 65,535: 60,000 entries asked the memo vector for 3.9e9 slots (31 GB).
    p = P()
    p.none()
    for i in range(60000):
        long_binput(p, i * 65535)
    p.pop()
    p.empty_dict().str("last")
    long_binget(p, 59999 * 65535)
    p.setitem().stop()
    # The oracle is Python's reference unpickler (pickle._loads, a dict memo): the C one sizes its memo array by
    # the highest index too, and is killed for memory on this file.
    entry("memo_put_stepping_65535", ".pkl", p.bytes(), "document",
          "60,000 LONG_BINPUTs whose indices step by 65,535 (a valid pickle: Python's reference unpickler loads it)",
          oracle=pickle._loads(p.bytes()))

    # 5. MEMOIZE stores at len(memo), the number of entries, not one past the highest index.
    p = P(proto=4)
    p.str("five")
    long_binput(p, 5)
    p.pop()
    p.str("memoized").op(b"\x94")  # MEMOIZE: Python stores it at len(memo) == 1
    p.pop()
    p.empty_list().mark()
    long_binget(p, 5)
    long_binget(p, 1)
    p.appends().stop()
    entry("memoize_uses_entry_count", ".pkl", p.bytes(), "document",
          "PUT 5 then MEMOIZE: Python memoizes at index 1 (len(memo)), GET 1 must find it",
          oracle=pickle.loads(p.bytes()))

    # 6. One untyped storage of 65,536 bytes viewed as uint8 (fits) and then as float64 (eight times the record).
    p = P()
    p.empty_dict().mark()
    for name, dtype in (("bytes", "uint8"), ("doubles", "float64")):
        p.str(name)
        p.global_("torch._utils", "_rebuild_tensor_v3").mark()
        mc.zip_storage_pid(p, "0", 65536, "UntypedStorage")
        p.int(0).mark().int(65536).tuple().mark().int(1).tuple()
        p.false()
        mc.ordered_dict(p)
        p.global_("torch", dtype)
        p.tuple().reduce()
    p.setitems().stop()
    entry("untyped_storage_uint8_then_float64", ".pth",
          mc.torch_zip(p.bytes(), records={"0": bytes(range(256)) * 256}), "document",
          "an untyped 64 KiB storage viewed as uint8, then as float64 (512 KiB): the second view must not be read",
          problem="past the end of storage")

    # 7. A state-dict key that is not UTF-8 (BINUNICODE takes any bytes; Python would refuse, we must not crash).
    p = P()
    p.empty_dict()
    p.op(b"X", struct.pack("<I", 3) + b"w\xff\xfe")
    mc.rebuild_tensor(p, "0", 4, 0, [4], [1])
    p.setitem().stop()
    entry("key_not_utf8", ".pth", mc.torch_zip(p.bytes(), records={"0": mc.float_bytes(4)}), "document",
          "a tensor named by bytes that are not UTF-8: JSON output escapes it, safetensors export refuses it")

    # 8. Protocol-0 floats, read the same whatever the locale (torch.load takes any protocol in data.pkl).
    p = P(proto=None)
    p.op(b"(").op(b"S'lr'\n").op(b"F0.5\n").op(b"S'eps'\n").op(b"F1e-08\n").op(b"d").op(b".")
    entry("protocol0_floats", ".pth", mc.torch_zip(p.bytes()), "document",
          "a torch zip whose data.pkl is protocol 0, with FLOAT opcodes 0.5 and 1e-08", oracle=pickle.loads(p.bytes()))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    build()
    n = mc.write_folder(os.path.join(here, "graph"), ENTRIES, "graph")
    print("wrote %d graph inputs under %s" % (n, os.path.join(here, "graph")))


if __name__ == "__main__":
    sys.exit(main())

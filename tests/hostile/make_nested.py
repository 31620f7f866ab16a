#!/usr/bin/python3
"""Writes tests/hostile/nested/: checkpoints whose payload hides inside the bytes a loader call is given.

Run with /usr/bin/python3 (torch 1.13); it never loads or unpickles anything, so running it is safe. Every file is
made by real torch.save (or, for the plain-pickle entries, Python's own pickle.dumps) around objects whose
__reduce__ returns the call to write, the way an attacker would make them:

  torch.storage._load_from_bytes(b)  is torch.load(io.BytesIO(b)) (torch/storage.py, torch 1.13). torch itself
                                     writes it when a storage is pickled with plain pickle (StorageBase.__reduce__),
                                     so it is allowed, and the bytes it is given are scanned like a file.
  pickle.loads(b)                    unpickles b.

torch.save writes protocol 2, where bytes are spelled _codecs.encode(text, 'latin1'); the scanner decodes that.
Payloads are harmless but observable: `touch "$CKPT_SENTINEL_DIR/<name>"`.

nested/manifest.json lists per file:
  container  "torch" (torch.load(weights_only=False) loads it) or "pickle" (pickle.load)
  dangerous  true when `ckpt scan` must exit 3
  inner      dangerous globals that must appear in the scan with a `via` (inside a payload)
  sentinel   the file a real load of the ORIGINAL creates in $CKPT_SENTINEL_DIR (null: none)
  weights    tensor keys (with torch.arange values) that an export with --drop-dangerous keeps
Rerun after changing it and commit the output.
"""

import collections
import io
import json
import os
import pickle
import sys

import torch
import torch.storage

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "nested")


class Shell:
    """os.system(touch sentinel) when unpickled."""

    def __init__(self, name):
        self.name = name

    def __reduce__(self):
        return (os.system, ('touch "$CKPT_SENTINEL_DIR/%s"' % self.name,))


class LoadFromBytes:
    """torch.storage._load_from_bytes(payload) when unpickled: torch.load of the payload."""

    def __init__(self, payload):
        self.payload = payload

    def __reduce__(self):
        return (torch.storage._load_from_bytes, (self.payload,))


class PickleLoads:
    def __init__(self, payload):
        self.payload = payload

    def __reduce__(self):
        return (pickle.loads, (self.payload,))


class BytesFromList:
    """bytes([...]) when unpickled: the payload exists only after a call, so no scanner can read it in place."""

    def __init__(self, payload):
        self.payload = payload

    def __reduce__(self):
        return (bytes, (list(self.payload),))


def torch_bytes(obj, legacy=False):
    buffer = io.BytesIO()
    torch.save(obj, buffer, _use_new_zipfile_serialization=not legacy)
    return buffer.getvalue()


def weights():
    return collections.OrderedDict(w=torch.arange(6.0).reshape(2, 3), b=torch.arange(3.0))


def main():
    os.makedirs(OUT, exist_ok=True)
    entries = []

    def add(name, obj, dangerous, inner, sentinel, container="torch", weight_keys=("model.w", "model.b")):
        path = os.path.join(OUT, name)
        if container == "torch":
            torch.save(obj, path)
        else:
            with open(path, "wb") as out:
                pickle.dump(obj, out, protocol=2)
        entries.append({"file": name, "container": container, "dangerous": dangerous, "inner": inner,
                        "sentinel": sentinel, "weights": list(weight_keys) if container == "torch" else []})

    shell = "posix.system"  # os.system pickles as posix.system on Linux

    # torch.load(BytesIO(raw pickle)): the legacy reader unpickles the first pickle before it checks the magic,
    # so the payload runs and then torch.load raises.
    add("lfb_raw_pickle.pt", {"model": weights(), "extra": LoadFromBytes(pickle.dumps(Shell("lfb_raw_pickle"), 2))},
        True, [shell], "lfb_raw_pickle")
    # A whole torch zip inside: its data.pkl holds the payload.
    add("lfb_torch_zip.pt", {"model": weights(), "extra": LoadFromBytes(torch_bytes({"x": Shell("lfb_torch_zip")}))},
        True, [shell], "lfb_torch_zip")
    # A legacy (pre-1.6) stream inside.
    add("lfb_legacy_stream.pt",
        {"model": weights(), "extra": LoadFromBytes(torch_bytes({"x": Shell("lfb_legacy_stream")}, legacy=True))},
        True, [shell], "lfb_legacy_stream")
    # Two levels: a torch zip whose data.pkl calls _load_from_bytes on a raw payload pickle.
    inner_zip = torch_bytes({"x": LoadFromBytes(pickle.dumps(Shell("lfb_two_levels"), 2))})
    add("lfb_two_levels.pt", {"model": weights(), "extra": LoadFromBytes(inner_zip)}, True, [shell], "lfb_two_levels")
    # Deeper than kMaxLoaderPayloadDepth (4): not scanned, so dangerous by rule; real torch runs it.
    payload = pickle.dumps(Shell("lfb_too_deep"), 2)
    for _ in range(6):
        payload = torch_bytes({"x": LoadFromBytes(payload)})
    add("lfb_too_deep.pt", {"model": weights(), "extra": LoadFromBytes(payload)}, True, [], "lfb_too_deep")
    # The payload is computed by a call (bytes(list)): nothing literal to scan, so dangerous by rule.
    add("lfb_computed_bytes.pt",
        {"model": weights(), "extra": LoadFromBytes(BytesFromList(pickle.dumps(Shell("lfb_computed_bytes"), 2)))},
        True, [], "lfb_computed_bytes")
    # pickle.loads is dangerous itself; the scan also names what its bytes import.
    add("pickle_loads_payload.pt",
        {"model": weights(), "extra": PickleLoads(pickle.dumps(Shell("pickle_loads_payload"), 2))}, True, [shell],
        "pickle_loads_payload")
    # Clean: a storage saved by torch.save, loaded back by _load_from_bytes: real torch.load returns it.
    add("lfb_clean_storage.pt", {"model": weights(), "extra": LoadFromBytes(torch_bytes(torch.arange(4.0).storage()))},
        False, [], None)
    # Clean and written by torch itself: plain pickle of a storage is StorageBase.__reduce__ -> _load_from_bytes.
    add("plain_pickle_of_storage.pkl", {"s": torch.arange(5.0).storage()}, False, [], None, container="pickle")
    # The same call with a payload, as a plain pickle (pickle.load runs it).
    add("plain_pickle_lfb_payload.pkl", {"s": LoadFromBytes(pickle.dumps(Shell("plain_pickle_lfb_payload"), 2))}, True,
        [shell], "plain_pickle_lfb_payload", container="pickle")

    with open(os.path.join(OUT, "manifest.json"), "w") as out:
        json.dump({"nested": entries}, out, indent=1)
        out.write("\n")
    print("wrote %d files to %s" % (len(entries), OUT))


if __name__ == "__main__":
    sys.exit(main())

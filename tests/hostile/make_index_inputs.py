#!/usr/bin/python3
"""Writes Hugging Face sharded-index inputs, honest and hostile, into OUT/<case>/, with OUT/<case>/truth.json.

The index layout is the one transformers writes (modeling_utils: {"metadata": {"total_size": N}, "weight_map":
{tensor name: shard file}}, json.dumps(indent=2, sort_keys=True)); shards are safetensors files written by hand (u64
little-endian header length, JSON header {name: {dtype, shape, data_offsets}}, data), as the safetensors format
says. Text that the json module cannot write (repeated members, nesting a million deep) is written as text.

The truth of each readable case is Python's own reading of the index file just written: json.loads gives the
weight_map order (a repeated member keeps its first place and its last value), the shard of each name and the
metadata (strings as they are, other values as compact JSON with sorted keys). Cases the loader must refuse say
which status and which words the error must hold; where Python's json module refuses the text too, truth.json says
so (python_reads: false).

Usage: make_index_inputs.py OUT [--wide N]
"""
import argparse
import json
import os
import struct


def write_shard(path, names):
    header = {}
    for i, name in enumerate(names):
        header[name] = {"dtype": "F32", "shape": [1], "data_offsets": [4 * i, 4 * i + 4]}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(b"".join(struct.pack("<f", float(i)) for i in range(len(names))))


def shard_name(i, count):
    return "model-%05d-of-%05d.safetensors" % (i + 1, count)


def python_truth(index_path):
    """What Python's json module reads from the index: the oracle for every readable case."""
    try:
        with open(index_path, "rb") as f:
            doc = json.loads(f.read())
    except (ValueError, RecursionError):
        return {"python_reads": False}
    if not isinstance(doc, dict) or not isinstance(doc.get("weight_map"), dict):
        return {"python_reads": True, "has_weight_map": False}
    weight_map = doc["weight_map"]
    metadata = doc.get("metadata")
    shown = {}
    if isinstance(metadata, dict):
        for k, v in metadata.items():
            shown[k] = v if isinstance(v, str) else json.dumps(v, separators=(",", ":"), sort_keys=True,
                                                               ensure_ascii=False)
    return {"python_reads": True, "has_weight_map": True, "order": list(weight_map), "shard": [weight_map[k] for k in weight_map],
            "metadata": shown}


def case(out, name, index_text, shards, expect, status=None, message=None):
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    for shard, names in shards.items():
        write_shard(os.path.join(folder, shard), names)
    index = os.path.join(folder, "model.safetensors.index.json")
    with open(index, "wb") as f:
        f.write(index_text.encode() if isinstance(index_text, str) else index_text)
    truth = python_truth(index)
    truth["expect"] = expect
    if status:
        truth["status"] = status
        truth["message"] = message
    with open(os.path.join(folder, "truth.json"), "w") as f:
        json.dump(truth, f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--wide", type=int, default=100000, help="entries of the wide case (0: none)")
    args = ap.parse_args()
    out = args.out
    s1, s2 = shard_name(0, 2), shard_name(1, 2)

    # As transformers writes it: sorted keys, indent 2.
    names = ["model.embed.weight", "model.layers.0.w", "model.layers.1.w", "lm_head.weight", "model.norm.weight"]
    weight_map = {n: (s1 if i < 3 else s2) for i, n in enumerate(names)}
    case(out, "transformers_layout",
         json.dumps({"metadata": {"total_size": 20}, "weight_map": weight_map}, indent=2, sort_keys=True),
         {s1: names[:3], s2: names[3:]}, "ok")

    # File order that is not sorted, metadata of every JSON type, non-ASCII names.
    names = ["z.last", "a.first", "m.middle", "gewicht.ä", "名前.weight"]
    metadata = {"format": "pt", "total_size": 20, "ratio": 0.5, "flag": True, "none": None,
                "nested": {"b": [1, 2, {"c": "d"}], "a": "ü"}}
    case(out, "file_order_and_metadata",
         json.dumps({"weight_map": {n: (s1 if i % 2 else s2) for i, n in enumerate(names)}, "metadata": metadata},
                    ensure_ascii=False),
         {s1: names[1::2], s2: names[0::2]}, "ok")

    # Repeated members: a name listed twice (first place, last shard), weight_map and metadata given twice.
    text = ('{"weight_map": {"gone": "%s"}, "metadata": {"old": 1},\n'
            ' "weight_map": {"b": "%s", "a": "%s", "b": "%s", "c": "%s"},\n'
            ' "metadata": {"k": "first", "k": "second", "n": [1, {"x": 1, "x": 2}]}}' % (s1, s1, s1, s2, s2))
    case(out, "repeated_members", text, {s1: ["a", "b"], s2: ["b", "c"]}, "ok")

    # Hostile: nesting a million deep in metadata and in weight_map; json.dumps cannot write it (recursion).
    deep = "[" * 1000000 + "]" * 1000000
    case(out, "deep_metadata", '{"weight_map": {"a": "%s"}, "metadata": {"x": %s}}' % (s1, deep), {s1: ["a"]},
         "error", "LimitExceeded", "kMaxSpecJsonDepth")
    case(out, "deep_weight_map", '{"weight_map": {"a": %s}}' % ('{"x":' * 100000 + "1" + "}" * 100000), {s1: ["a"]},
         "error", "LimitExceeded", "kMaxSpecJsonDepth")

    # Hostile: huge strings. A 16 MiB shard name (no file system takes it) and a 16 MiB tensor name.
    huge = "s" * (16 << 20)
    case(out, "huge_shard_name", json.dumps({"weight_map": {"a": huge}}), {s1: ["a"]}, "error", "IoError", "shard s")
    case(out, "huge_tensor_name", json.dumps({"weight_map": {huge: s1, "a": s1}}), {s1: [huge, "a"]}, "ok")
    # An unterminated string of 16 MiB: the parse error must not quote all of it.
    case(out, "unterminated_string", '{"weight_map": {"a": "' + huge, {s1: ["a"]}, "error", "Corrupt",
         "not valid JSON")

    # Hostile: wrong types.
    case(out, "top_level_array", json.dumps([{"weight_map": {"a": s1}}]), {s1: ["a"]}, "error", "Corrupt",
         "weight_map")
    case(out, "weight_map_is_list", json.dumps({"weight_map": [["a", s1]]}), {s1: ["a"]}, "error", "Corrupt",
         "weight_map")
    case(out, "weight_map_missing", json.dumps({"metadata": {"total_size": 4}}), {s1: ["a"]}, "error", "Corrupt",
         "weight_map")
    case(out, "shard_is_number", json.dumps({"weight_map": {"a": s1, "b": 7}}), {s1: ["a"]}, "error", "Corrupt",
         "'b' is not a file name")
    case(out, "shard_is_object", json.dumps({"weight_map": {"a": {"file": s1}}}), {s1: ["a"]}, "error", "Corrupt",
         "'a' is not a file name")
    # A wrong type overwritten by a later good value of the same name is no error (Python reads the last one).
    case(out, "wrong_type_replaced", '{"weight_map": {"a": 7, "a": "%s"}}' % s1, {s1: ["a"]}, "ok")
    case(out, "metadata_is_string", json.dumps({"metadata": "pt", "weight_map": {"a": s1}}), {s1: ["a"]}, "ok")
    case(out, "truncated", json.dumps({"weight_map": {"a": s1, "b": s1}})[:-7], {s1: ["a", "b"]}, "error", "Corrupt",
         "not valid JSON")
    case(out, "traversal", json.dumps({"weight_map": {"a": "../" + s1}}), {s1: ["a"]}, "error", "Refused",
         "outside the index's folder")

    if args.wide:
        count, shards = args.wide, 4
        names = ["model.layers.%d.experts.%d.w" % (i // 1000, i % 1000) for i in range(count)]
        per = (count + shards - 1) // shards
        parts = {shard_name(s, shards): names[s * per:(s + 1) * per] for s in range(shards)}
        wm = {n: shard for shard, chunk in parts.items() for n in chunk}
        case(out, "wide", json.dumps({"metadata": {"total_size": 4 * count}, "weight_map": wm}, indent=2), parts, "ok")


if __name__ == "__main__":
    main()

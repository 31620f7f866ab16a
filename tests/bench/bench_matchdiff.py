"""Architecture match and checkpoint diff: 40,000-key files (goal < 0.5 s in-process) and a --values diff
of two 1 GB files against cmp(1) on the same pair in the same run (goal: at least half cmp's speed).

"In-process" time = wall time of the ckpt run minus the wall time of `ckpt --version` (process start,
dynamic linking, static registration), both best of 3. What remains still includes opening and parsing the
40,000-key checkpoint(s), so the figure is an upper bound of the match/diff work itself.
"""
import json
import os
import shutil
import subprocess

import common


def ensure_many_plain(data_dir, count=40000):
    """The same tensors as common.ensure_many_file but saved without the `module.` prefix."""
    path = os.path.join(data_dir, "many_plain_%d.pth" % count)
    if not os.path.exists(path):
        code = ("import torch,collections;torch.manual_seed(0);"
                "sd=collections.OrderedDict();\n"
                "for i in range(%d//2):\n"
                "  sd['block.%%d.weight'%%i]=torch.randn(8,4); sd['block.%%d.bias'%%i]=torch.randn(8)\n"
                "torch.save(sd, %r)" % (count, path + ".tmp"))
        subprocess.run([common.PY, "-c", code], check=True)
        os.replace(path + ".tmp", path)
    return path


def ensure_key_list(data_dir, count=40000):
    """The plain architecture of the 40,000-key file as a JSON key list (no torch needed)."""
    path = os.path.join(data_dir, "many_keys_%d.json" % count)
    if not os.path.exists(path):
        keys = {}
        for i in range(count // 2):
            keys["block.%d.weight" % i] = [8, 4]
            keys["block.%d.bias" % i] = [8]
        with open(path + ".tmp", "w") as f:
            json.dump({"keys": keys}, f)
        os.replace(path + ".tmp", path)
    return path


def ensure_big_copy(data_dir):
    """A byte-identical copy of the 1 GB file, so cmp has to read both files to the end."""
    big = common.ensure_big_file(data_dir)
    copy = os.path.join(data_dir, "big_16x4096sq_copy.pth")
    if not os.path.exists(copy) or os.path.getsize(copy) != os.path.getsize(big):
        shutil.copyfile(big, copy + ".tmp")
        os.replace(copy + ".tmp", copy)
    return big, copy


def run(ctx):
    results = []
    many = common.ensure_many_file(ctx.data)
    plain = ensure_many_plain(ctx.data)
    keys = ensure_key_list(ctx.data)
    start, _ = common.time_process([ctx.ckpt, "--version"])

    # match exits 0 (every key fixable by removing `module.`); loading both files and printing the JSON
    # of 40,000 entries are included.
    match, _ = common.time_process([ctx.ckpt, "match", many, "--against", plain, "--json"])
    results.append(common.result("match 40k keys vs 40k-key checkpoint (in-process)", match - start, "s", "< 0.5",
                                 match - start < 0.5))
    # The same architecture as a JSON key list: informative, its parse (architectureFromJson) dominates.
    match_json, _ = common.time_process([ctx.ckpt, "match", many, "--against", keys, "--json"])
    results.append(common.result("match 40k keys vs JSON key list (in-process)", match_json - start, "s"))
    diff, _ = common.time_process([ctx.ckpt, "diff", many, plain, "--json"])
    results.append(common.result("metadata diff 40k vs 40k keys (in-process)", diff - start, "s", "< 0.5",
                                 diff - start < 0.5))

    big, copy = ensure_big_copy(ctx.data)
    size_gb = 2 * os.path.getsize(big) / 1e9
    for path in (big, copy):  # warm the page cache for both tools alike
        subprocess.run(["cat", path], stdout=subprocess.DEVNULL, check=True)
    cmp_time, _ = common.time_process(["cmp", big, copy])
    values, _ = common.time_process([ctx.ckpt, "diff", big, copy, "--values"])
    results.append(common.result("cmp 2 x 1 GB", size_gb / cmp_time, "GB/s"))
    results.append(common.result("diff --values 2 x 1 GB", size_gb / values, "GB/s"))
    ratio = cmp_time / values
    results.append(common.result("diff --values speed / cmp speed", ratio, "x", ">= 0.5", ratio >= 0.5))
    return results

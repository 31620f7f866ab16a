"""Architecture match and checkpoint diff: 40,000-key files (goal < 0.5 s in-process) and a --values diff
of two 1 GB files against cmp(1) on the same pair in the same run (goal: at least half cmp's speed).

The in-process figures come from the bench_matchdiff executable: both 40,000-key files are loaded once
(load time reported apart), then the engine call, building the JSON document, writing its text and freeing
it are timed separately, best of N; the goal applies to their sum in one run. Whole `ckpt` processes are
reported too, for reference: they include loading and process start.
"""
import json
import os
import re
import subprocess
import time

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


def ensure_big_changed(data_dir):
    """The 1 GB file with one float changed: the last element of the storage stored last in the archive
    (records are sorted by storage key as text, so `data/9` = layers.9.weight comes last). Saved under the same
    file name in a side folder, so that the archive's inner folder name, and with it every offset, stays the
    same: the first differing byte is in that float, 1.5 kB before the end of the file, so cmp reads it all."""
    big = common.ensure_big_file(data_dir)
    path = os.path.join(data_dir, "big_16x4096sq_lastvalue.pth")
    if not os.path.exists(path):
        side = os.path.join(data_dir, "lastvalue.tmp")
        os.makedirs(side, exist_ok=True)
        tmp = os.path.join(side, os.path.basename(big) + ".tmp")  # torch names the archive folder after it
        code = ("import torch;sd=torch.load(%r);sd['layers.9.weight'][-1,-1]+=1.0;torch.save(sd,%r)" % (big, tmp))
        subprocess.run([common.PY, "-c", code], check=True)
        os.replace(tmp, path)
        os.rmdir(side)
    return big, path


def _best_time(argv, expected_rc, repeat=3):
    """Best wall time of argv, which must exit with expected_rc, and the stdout of the last run."""
    best, out = None, ""
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        elapsed = time.perf_counter() - start
        if proc.returncode != expected_rc:
            raise RuntimeError("%s exited %d, expected %d: %s" % (argv, proc.returncode, expected_rc, proc.stdout))
        best = elapsed if best is None else min(best, elapsed)
        out = proc.stdout
    return best, out


def _in_process(ctx, many, plain, keys):
    """Rows from bench_matchdiff: every step as a figure, the totals against the 0.5 s goal."""
    exe = os.path.join(ctx.build, "tests", "bench", "bench_matchdiff")
    out = subprocess.run([exe, many, plain, keys, "5"], check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        fields = line.split("\t")
        name = fields[0].replace(ctx.data + os.sep, "")
        if len(fields) >= 4:
            rows.append(common.result(name, float(fields[1]), "s", fields[2], fields[3] == "PASS"))
        else:
            rows.append(common.result(name, float(fields[1]), "s"))
    return rows


def run(ctx):
    many = common.ensure_many_file(ctx.data)
    plain = ensure_many_plain(ctx.data)
    keys = ensure_key_list(ctx.data)
    results = _in_process(ctx, many, plain, keys)

    # Whole processes, for reference: process start, loading both files and printing the JSON included.
    start, _ = common.time_process([ctx.ckpt, "--version"])
    for label, argv in (("match vs ckpt --json", ["match", many, "--against", plain, "--json"]),
                        ("match vs JSON keys --json", ["match", many, "--against", keys, "--json"]),
                        ("metadata diff --json", ["diff", many, plain, "--json"])):
        elapsed, _ = common.time_process([ctx.ckpt] + argv)
        results.append(common.result("process - ckpt --version: " + label, elapsed - start, "s"))

    big, changed = ensure_big_changed(ctx.data)
    size = os.path.getsize(big)
    for path in (big, changed):  # warm the page cache for both tools alike
        subprocess.run(["cat", path], stdout=subprocess.DEVNULL, check=True)
    # cmp stops at the first difference ("... differ: byte N, line M"): its speed counts the bytes it read.
    cmp_time, cmp_out = _best_time(["cmp", big, changed], expected_rc=1)
    cmp_bytes = 2 * int(re.search(r"differ: (?:byte|char) (\d+)", cmp_out).group(1))
    values, values_out = _best_time([ctx.ckpt, "diff", big, changed, "--values"], expected_rc=1)
    if "; 1 values_differ" not in values_out:
        raise RuntimeError("ckpt diff --values did not find the one changed tensor: " + values_out[-400:])
    cmp_speed, values_speed = cmp_bytes / cmp_time / 1e9, 2 * size / values / 1e9
    results.append(common.result("cmp 2 x 1 GB, one value changed (%.2f GB read)" % (cmp_bytes / 1e9),
                                 cmp_speed, "GB/s"))
    results.append(common.result("diff --values 2 x 1 GB, one value changed", values_speed, "GB/s"))
    ratio = values_speed / cmp_speed
    results.append(common.result("diff --values speed / cmp speed", ratio, "x", ">= 0.5", ratio >= 0.5))
    return results

"""Tensor statistics throughput and the start-up cost `ckpt info` does not pay.

1. CPU statistics (count, min, max, mean, std, zeros, NaN, +Inf, -Inf, 64-bin histogram) over every tensor of
   the 1.07 GB float32 checkpoint and of its bfloat16 copy: `ckpt stats --device cpu` as a whole process
   (start-up, LibTorch loading, mapping included) against Python computing the same statistics with torch
   in the same run, timed on the computation only (import and torch.load excluded), with every core.
   Goal: ckpt's GB/s at least Python's.
   With a CUDA device, also `ckpt stats --device cuda` (rows absent without one).
2. Start-up: `ckpt info` against `ckpt stats --key` of one small tensor on the same file, and the number of
   shared objects each one loads (LD_DEBUG=libs): info must not load LibTorch.
"""
import os
import subprocess
import time

import common

PY_STATS = r"""
import os, sys, time, torch
torch.set_num_threads(os.cpu_count())
sd = torch.load(sys.argv[1])
start = time.perf_counter()
for t in sd.values():
    v = t.float() if t.dtype in (torch.float16, torch.bfloat16) else t
    fin = torch.isfinite(v)
    f = v[fin]
    lo, hi = f.min().item(), f.max().item()
    mean = f.mean(dtype=torch.float64).item()
    std = f.double().std(unbiased=False).item()
    zeros = int((v == 0).sum()); nan = int(torch.isnan(v).sum())
    pinf = int(torch.isposinf(v).sum()); ninf = int(torch.isneginf(v).sum())
    hist = torch.histc(f, 64, lo, hi)
print(time.perf_counter() - start)
"""


def ensure_bf16_file(data_dir, fp32_path):
    path = os.path.join(data_dir, "big_16x4096sq_bf16.pth")
    if not os.path.exists(path):
        code = ("import torch,collections,sys;sd=torch.load(sys.argv[1]);"
                "torch.save(collections.OrderedDict((k,v.bfloat16()) for k,v in sd.items()), sys.argv[2])")
        subprocess.run([common.PY, "-c", code, fp32_path, path + ".tmp"], check=True)
        os.replace(path + ".tmp", path)
    return path


def tensor_bytes(path):
    code = "import torch,sys;print(sum(t.numel()*t.element_size() for t in torch.load(sys.argv[1]).values()))"
    return int(subprocess.run([common.PY, "-c", code, path], check=True, capture_output=True, text=True).stdout)


def libraries_loaded(argv):
    env = dict(os.environ, LD_DEBUG="libs")
    err = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True).stderr
    libs = {line.split("calling init:")[1].strip() for line in err.splitlines() if "calling init:" in line}
    return len(libs), any("libtorch" in lib for lib in libs)


def run(ctx):
    rows = []
    fp32 = common.ensure_big_file(ctx.data)
    bf16 = ensure_bf16_file(ctx.data, fp32)
    for label, path in (("fp32", fp32), ("bf16", bf16)):
        nbytes = tensor_bytes(path)
        ckpt_s, _ = common.time_process([ctx.ckpt, "stats", path, "--json", "--bins", "64", "--device", "cpu"],
                                        repeat=2)
        py_s = min(float(subprocess.run([common.PY, "-c", PY_STATS, path], check=True, capture_output=True,
                                        text=True).stdout) for _ in range(2))
        ckpt_gbs, py_gbs = nbytes / ckpt_s / 1e9, nbytes / py_s / 1e9
        rows.append(common.result("stats %s %.2f GB: ckpt stats (whole process)" % (label, nbytes / 1e9),
                                  ckpt_gbs, "GB/s"))
        rows.append(common.result("stats %s: python torch (compute only)" % label, py_gbs, "GB/s"))
        rows.append(common.result("stats %s: ckpt / python throughput" % label, ckpt_gbs / py_gbs, "x",
                                  goal=">= 1", ok=ckpt_gbs >= py_gbs))
        cuda = [ctx.ckpt, "stats", path, "--json", "--bins", "64", "--device", "cuda"]
        if subprocess.run(cuda, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
            cuda_s, _ = common.time_process(cuda, repeat=2)
            rows.append(common.result("stats %s: ckpt stats --device cuda (whole process)" % label,
                                      nbytes / cuda_s / 1e9, "GB/s"))
    info_s, _ = common.time_process([ctx.ckpt, "info", fp32], repeat=3)
    stats_s, _ = common.time_process([ctx.ckpt, "stats", fp32, "--key", "layers.0.weight", "--bins", "0",
                                      "--device", "cpu"], repeat=3)
    info_libs, info_torch = libraries_loaded([ctx.ckpt, "info", fp32])
    stats_libs, stats_torch = libraries_loaded([ctx.ckpt, "stats", fp32, "--key", "layers.0.weight", "--bins", "0"])
    rows.append(common.result("ckpt info 1 GB file (wall)", info_s, "s"))
    rows.append(common.result("ckpt stats one 64 MB tensor (wall, LibTorch loaded)", stats_s, "s"))
    rows.append(common.result("shared objects loaded by ckpt info", info_libs, "libs",
                              goal="no libtorch", ok=not info_torch))
    rows.append(common.result("shared objects loaded by ckpt stats", stats_libs, "libs", ok=stats_torch))
    return rows

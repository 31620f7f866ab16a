"""Opening files: ours against python torch.load, like for like, in two separate comparisons.

1. Whole process (what a user waits for at a shell): `ckpt info FILE` (start, map, parse, print the summary)
   against `python3 -c "import torch; torch.load(FILE)"` (interpreter start, `import torch` ~1.7 s here, read and
   rebuild every tensor). Most of python's time is the interpreter and `import torch`, so this ratio says what a
   user saves, not how fast either parser is.
2. In process (the parsers alone): our loadCheckpoint (bench_open: map, zip directory, pickle, document; no tensor
   bytes read) against torch.load after `import torch` in the same python process. torch 1.13 (Debian's) has no
   torch.load(mmap=True) (it came in 2.1), so torch reads every tensor's bytes into memory; that difference in work
   is part of what the ratio shows and is printed next to it as bytes read by each side.

Every time is a median of RUNS runs (warm page cache: each file is read once before timing); the load average is
printed with the table because these machines are shared.
"""
import os
import subprocess

import common

RUNS = 5

_TORCH_IN_PROCESS = r"""
import os, statistics, sys, time
import torch
path, runs = sys.argv[1], int(sys.argv[2])
def rchar():
    with open('/proc/self/io') as f:
        return int(next(l for l in f if l.startswith('rchar:')).split()[1])
times = []
for i in range(runs):
    r0 = rchar()
    t0 = time.perf_counter()
    torch.load(path)
    times.append((time.perf_counter() - t0) * 1000)
    if i == 0:
        read = rchar() - r0
print('%.3f %.3f %d' % (statistics.median(times), min(times), read))
"""


def _python_load(path):
    return [common.PY, "-c", "import torch,sys; torch.load(sys.argv[1])", path]


def _ours_in_process(ctx, path):
    exe = os.path.join(ctx.build, "tests", "bench", "bench_open")
    out = subprocess.run([exe, path, str(RUNS)], check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), int(out[3]), int(out[4])


def _torch_in_process(path):
    out = subprocess.run([common.PY, "-c", _TORCH_IN_PROCESS, path, str(RUNS)], check=True, capture_output=True,
                         text=True).stdout.split()
    return float(out[0]), int(out[2])


def run(ctx):
    rows = [common.result("load average (1 min) at the start", common.load_average(), "")]
    big = common.ensure_big_file(ctx.data)
    many = common.ensure_many_file(ctx.data)
    resnet = os.path.join(ctx.build, "fixtures", "resnet18_sd.pth")
    files = [("1 GB state dict (16 x 4096^2 fp32)", big, 20.0), ("40,000 small tensors", many, 20.0)]
    for label, path, goal in files:
        common.warm(path)
        ours = common.median_process([ctx.ckpt, "info", path], RUNS)
        theirs = common.median_process(_python_load(path), RUNS)
        ratio = theirs / ours
        rows.append(common.result("whole process, %s: ckpt info %.3f s, python+import torch+torch.load %.2f s"
                                  % (label, ours, theirs), ratio, "x faster", ">= %gx" % goal, ratio >= goal))
    rss = common.peak_rss_mb([ctx.ckpt, "info", big])
    rows.append(common.result("ckpt info 1 GB file: peak RSS", rss, "MB", "< 100 MB", rss < 100))
    rss = common.peak_rss_mb([ctx.ckpt, "info", many])
    rows.append(common.result("ckpt info 40,000 tensors: peak RSS", rss, "MB", "< 64 MB", rss < 64))

    in_process = [("resnet18 state dict", resnet, None)] if os.path.exists(resnet) else []
    in_process += [("1 GB state dict", big, None), ("40,000 small tensors", many, 50.0)]
    for label, path, goal_ms in in_process:
        ours_ms, ours_read, ours_touched = _ours_in_process(ctx, path)
        torch_ms, torch_read = _torch_in_process(path)
        rows.append(common.result("in process, %s: our open (ms)" % label, ours_ms, "ms",
                                  None if goal_ms is None else "< %g" % goal_ms,
                                  None if goal_ms is None else ours_ms < goal_ms))
        rows.append(common.result("in process, %s: torch.load after import torch (ms)" % label, torch_ms, "ms"))
        rows.append(common.result("in process, %s: torch.load / our open" % label, torch_ms / ours_ms, "x"))
        rows.append(common.result("in process, %s: bytes read, ours (read())" % label, ours_read / 1e6, "MB"))
        rows.append(common.result("in process, %s: pages touched, ours (mapped + heap)" % label,
                                  ours_touched / 1e6, "MB"))
        rows.append(common.result("in process, %s: bytes read, torch.load (read())" % label, torch_read / 1e6, "MB"))
    return rows

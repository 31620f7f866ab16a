"""Issue 2 goals: opening files with `ckpt info` vs python torch.load, as whole processes, in one run."""
import os
import subprocess

import common


def _python_load(path):
    return [common.PY, "-c", "import torch,sys; torch.load(sys.argv[1])", path]


def _open_ms(ctx, path):
    exe = os.path.join(ctx.build, "tests", "bench", "bench_open")
    out = subprocess.run([exe, path, "5"], check=True, capture_output=True, text=True).stdout.split()
    return float(out[0])


def run(ctx):
    rows = []
    big = common.ensure_big_file(ctx.data)
    many = common.ensure_many_file(ctx.data)
    fixtures = os.path.join(ctx.build, "fixtures")
    resnet = os.path.join(fixtures, "resnet18_sd.pth")

    for label, path, goal in (("1 GB state dict (16 x 4096^2 fp32)", big, 20.0),
                              ("40,000 small tensors", many, 10.0)):
        ours, _ = common.time_process([ctx.ckpt, "info", path], repeat=3)
        theirs, _ = common.time_process(_python_load(path), repeat=2)
        ratio = theirs / ours
        rows.append(common.result("ckpt info %s: %.3f s vs torch.load %.2f s" % (label, ours, theirs),
                                  ratio, "x faster", ">= %gx" % goal, ratio >= goal))
    rss = common.peak_rss_mb([ctx.ckpt, "info", big])
    rows.append(common.result("ckpt info 1 GB file: peak RSS", rss, "MB", "< 100 MB", rss < 100))
    if os.path.exists(resnet):
        rows.append(common.result("open resnet18 state dict in-process", _open_ms(ctx, resnet), "ms"))
    rows.append(common.result("open 1 GB state dict in-process", _open_ms(ctx, big), "ms"))
    rows.append(common.result("open 40,000-tensor state dict in-process", _open_ms(ctx, many), "ms"))
    return rows

"""Shared bench helpers: big inputs made once by real PyTorch, timing of whole processes, peak RSS.

Every bench_<area>.py defines run(ctx) -> list of result dicts; run_all.py discovers and runs them and
prints one table. ctx has .build, .data, .source, .ckpt (path of the ckpt binary), .python.
"""
import os
import resource
import statistics
import subprocess
import sys
import time

PY = "/usr/bin/python3"


def ensure_big_file(data_dir):
    """16 x 4096^2 float32 state dict, 1.07 GB, made once."""
    path = os.path.join(data_dir, "big_16x4096sq.pth")
    if not os.path.exists(path):
        os.makedirs(data_dir, exist_ok=True)
        code = ("import torch,collections;torch.manual_seed(0);"
                "sd=collections.OrderedDict(('layers.%%d.weight'%%i, torch.randn(4096,4096)) for i in range(16));"
                "torch.save(sd, %r)" % (path + ".tmp"))
        subprocess.run([PY, "-c", code], check=True)
        os.replace(path + ".tmp", path)
    return path


def ensure_many_file(data_dir, count=40000):
    """A state dict with `count` small tensors (module.block.N.{weight,bias}), made once."""
    path = os.path.join(data_dir, "many_%d.pth" % count)
    if not os.path.exists(path):
        os.makedirs(data_dir, exist_ok=True)
        code = ("import torch,collections;torch.manual_seed(0);"
                "sd=collections.OrderedDict();\n"
                "for i in range(%d//2):\n"
                "  sd['module.block.%%d.weight'%%i]=torch.randn(8,4); sd['module.block.%%d.bias'%%i]=torch.randn(8)\n"
                "torch.save(sd, %r)" % (count, path + ".tmp"))
        subprocess.run([PY, "-c", code], check=True)
        os.replace(path + ".tmp", path)
    return path


def time_process(argv, repeat=3, env=None):
    """Best wall time in seconds of running argv to completion, and the peak RSS (MB) of the children."""
    best = None
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    return best, peak_mb


def median_process(argv, repeat=5, env=None):
    """Median wall time in seconds of `repeat` runs of argv to completion (not the best: users get the median)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def warm(path):
    """Reads the file once so every side starts from the same (warm) page cache."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def load_average():
    return os.getloadavg()[0]


def peak_rss_mb(argv):
    """Peak RSS of one run of argv, measured by /usr/bin/time-like wait4 accounting."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise RuntimeError("%s failed with status %d" % (argv, status))
    return usage.ru_maxrss / 1024.0


def result(name, value, unit, goal=None, ok=None):
    return {"name": name, "value": value, "unit": unit, "goal": goal, "ok": ok}

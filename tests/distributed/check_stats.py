#!/usr/bin/python3
"""check_stats.py EXPECTED.pt KEY BINS: real torch's statistics of the consolidated tensor KEY, as JSON.

The oracle for `ckpt stats` on a tensor split over a directory's chunks: count, finite, zeros, min, max, mean,
population std (unbiased=False) over the finite values in float64, and torch.histc with BINS bins over [min, max]
(widened to [min - 1, max + 1] when min == max, histc's own rule).
"""
import json
import sys

import torch

t = torch.load(sys.argv[1], weights_only=True)[sys.argv[2]].reshape(-1).double()
bins = int(sys.argv[3])
finite = t[torch.isfinite(t)]
out = {"count": t.numel(), "finite": finite.numel(), "zeros": int((t == 0).sum()), "nan": int(torch.isnan(t).sum())}
if finite.numel():
    lo, hi = float(finite.min()), float(finite.max())
    out.update({"min": lo, "max": hi, "mean": float(finite.mean()), "std": float(finite.std(unbiased=False))})
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    out["counts"] = [int(c) for c in torch.histc(finite, bins=bins, min=lo, max=hi)]
print(json.dumps(out))

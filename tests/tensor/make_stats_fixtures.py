"""Fixtures and float64 truth for the tensor-module tests, made by real PyTorch.

Usage: make_stats_fixtures.py OUTDIR. Writes
  dtypes.pth + dtypes.truth.json        every dtype, NaN/+Inf/-Inf/all-zero/empty/0-dim tensors, views,
                                        quantized (per tensor, per channel), complex; stats with BINS bins
  resnet18_clean.pth, resnet18_bad.pth  + resnet18.truth.json (planted NaN/Inf, all-zero tensors)
  layouts.pth                           sparse (NaN among its values), meta and dense tensors
  resnet18_scripted.pt + resnet18_scripted.truth.json (state_dict keys, shapes, dtypes in order)
The truth is computed in float64 with torch.histc's range convention and the same bin formula as the
module, so histogram counts must match exactly.
"""
import collections
import json
import math
import os
import sys

import torch

BINS = 10


def values_of(t):
    """The values statistics describe, in float64 (complex: magnitude as torch computes it)."""
    if t.is_quantized:
        q = t.int_repr().double()
        if t.qscheme() in (torch.per_tensor_affine,):
            return (q - t.q_zero_point()) * t.q_scale()
        axis = t.q_per_channel_axis()
        shape = [1] * t.dim()
        shape[axis] = -1
        scales = t.q_per_channel_scales().double().view(shape)
        zeros = t.q_per_channel_zero_points().double().view(shape)
        return (q - zeros) * scales
    if t.is_complex():
        return t.abs().double()
    return t.double()


def num(x):
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def stats(t, bins=BINS):
    v = values_of(t).reshape(-1)
    finite = v[torch.isfinite(v)]
    out = {
        "dtype": str(t.dtype).replace("torch.", ""),
        "count": v.numel(),
        "finite": finite.numel(),
        "zeros": int((v == 0).sum()),
        "nan": int(torch.isnan(v).sum()),
        "posinf": int(torch.isposinf(v).sum()),
        "neginf": int(torch.isneginf(v).sum()),
        "min": None, "max": None, "mean": None, "std": None,
        "edges": [], "counts": [],
    }
    if finite.numel():
        lo, hi = float(finite.min()), float(finite.max())
        out.update(min=lo, max=hi, mean=float(finite.mean()), std=float(finite.std(unbiased=False)))
        if lo == hi:
            lo, hi = lo - 1.0, hi + 1.0
        scale = bins / (hi - lo)
        pos = (finite - lo) * scale
        idx = pos.floor().clamp(0, bins - 1).long()
        out["counts"] = torch.bincount(idx, minlength=bins).tolist()
        out["edges"] = [lo + (hi - lo) * b / bins for b in range(bins + 1)]
    return out


def dtype_fixture(outdir):
    torch.manual_seed(7)
    sd = collections.OrderedDict()
    f32 = torch.randn(37, 11)
    f32[0, 0], f32[1, 1], f32[2, 2], f32[3, 3], f32[4, :] = float("nan"), float("inf"), float("-inf"), 0.0, 0.0
    sd["float32"] = f32
    sd["float64_offset"] = torch.randn(1000, dtype=torch.float64) * 1e-3 + 5e6  # large mean, small spread
    f16 = (torch.randn(64, 8) * 3).half()
    f16[5, 5], f16[6, 6] = float("inf"), float("nan")
    sd["float16"] = f16
    bf = (torch.randn(300) * 4).bfloat16()
    bf[7] = float("nan")
    sd["bfloat16"] = bf
    sd["int64"] = torch.randint(-1000, 1000, (50,))
    sd["int64_big"] = torch.tensor([2**40, -2**41, 0, 7], dtype=torch.int64)
    sd["int32"] = torch.randint(-100000, 100000, (40,), dtype=torch.int32)
    sd["int16"] = torch.randint(-3000, 3000, (33,), dtype=torch.int16)
    sd["int8"] = torch.randint(-128, 128, (65,), dtype=torch.int8)
    sd["uint8"] = torch.randint(0, 256, (70,), dtype=torch.uint8)
    sd["bool"] = torch.rand(45) > 0.6
    sd["complex64"] = torch.randn(20, dtype=torch.complex64)
    sd["complex128"] = torch.randn(3, 7, dtype=torch.complex128)
    sd["qint8"] = torch.quantize_per_tensor(torch.randn(30), 0.05, 3, torch.qint8)
    sd["quint8"] = torch.quantize_per_tensor(torch.rand(25) * 2, 0.01, 10, torch.quint8)
    sd["qint32"] = torch.quantize_per_tensor(torch.randn(12) * 100, 0.5, -2, torch.qint32)
    sd["qint8_per_channel0"] = torch.quantize_per_channel(
        torch.randn(4, 6), torch.tensor([0.1, 0.02, 0.05, 0.3], dtype=torch.float64),
        torch.tensor([0, 1, -2, 3]), 0, torch.qint8)
    sd["quint8_per_channel1"] = torch.quantize_per_channel(
        torch.rand(5, 3) * 3, torch.tensor([0.05, 0.02, 0.1], dtype=torch.float64), torch.tensor([4, 0, 9]), 1,
        torch.quint8)
    sd["qint8_strided"] = torch.quantize_per_tensor(torch.randn(6, 4), 0.1, 2, torch.qint8)[:, ::2]
    sd["empty"] = torch.zeros(0, 5)
    sd["scalar"] = torch.tensor(3.5)
    sd["all_zero"] = torch.zeros(16)
    sd["all_nan"] = torch.full((5,), float("nan"))
    sd["constant"] = torch.full((7,), 2.5)
    base = torch.randn(6, 9)
    sd["transposed"] = base.t()  # a dense permutation of its storage
    grid = torch.randn(10, 8)
    sd["grid"] = grid
    sd["strided"] = grid[:, ::3]  # not dense: every third column of a shared storage
    sd["big"] = torch.randn(300000) * 2 + 1
    path = os.path.join(outdir, "dtypes.pth")
    torch.save(sd, path)
    truth = collections.OrderedDict((k, stats(v)) for k, v in sd.items())
    with open(os.path.join(outdir, "dtypes.truth.json"), "w") as f:
        json.dump({"bins": BINS, "tensors": truth}, f, indent=1)


def layout_fixture(outdir):
    """Tensors without dense values of their own: sparse (COO with a NaN among its values) and meta."""
    indices = torch.tensor([[0, 1, 1], [2, 0, 2]])
    values = torch.tensor([3.0, float("nan"), 5.0])
    sd = collections.OrderedDict()
    sd["sparse"] = torch.sparse_coo_tensor(indices, values, (2, 3))
    sd["meta"] = torch.empty(3, 4, device="meta")
    sd["dense"] = torch.ones(3)
    torch.save(sd, os.path.join(outdir, "layouts.pth"))


def resnet_fixtures(outdir):
    import torchvision
    torch.manual_seed(3)
    model = torchvision.models.resnet18()
    clean = model.state_dict()
    torch.save(clean, os.path.join(outdir, "resnet18_clean.pth"))
    bad = collections.OrderedDict((k, v.clone()) for k, v in clean.items())
    bad["layer2.0.conv1.weight"][0, 0, 0, 0] = float("nan")
    bad["layer2.0.conv1.weight"][1, 0, 0, 0] = float("nan")
    bad["fc.bias"][3] = float("inf")
    bad["layer3.1.bn2.running_var"][5] = float("-inf")
    torch.save(bad, os.path.join(outdir, "resnet18_bad.pth"))
    floating = [k for k, v in clean.items() if v.is_floating_point()]
    truth = {
        "bad": {"layer2.0.conv1.weight": [2, 0, 0], "fc.bias": [0, 1, 0], "layer3.1.bn2.running_var": [0, 0, 1]},
        "all_zero": [k for k in floating if bool((clean[k] == 0).all())],
        "max_abs": {k: float(clean[k].abs().max()) for k in floating},
        "tensors": len(clean),
    }
    with open(os.path.join(outdir, "resnet18.truth.json"), "w") as f:
        json.dump(truth, f, indent=1)
    scripted = torch.jit.script(model.eval())
    scripted.save(os.path.join(outdir, "resnet18_scripted.pt"))
    entries = [[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in model.state_dict().items()]
    with open(os.path.join(outdir, "resnet18_scripted.truth.json"), "w") as f:
        json.dump({"entries": entries}, f)


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    dtype_fixture(outdir)
    layout_fixture(outdir)
    resnet_fixtures(outdir)


if __name__ == "__main__":
    main()

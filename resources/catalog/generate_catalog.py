#!/usr/bin/python3
"""Generate the built-in architecture catalog from torchvision.

Run with the Python that has torch + torchvision (on Debian 12: /usr/bin/python3):

    /usr/bin/python3 resources/catalog/generate_catalog.py [--check] [OUTPUT]

OUTPUT defaults to torchvision-catalog.json.zz next to this script. The file is zlib-compressed JSON:

    {"format": 1, "torchvision": "0.14.1", "torchvision_build": "0.14.1a0", "torch": "1.13.1",
     "dtypes": ["float32", "int64", ...],
     "models": {"resnet18": {"args": [[name, value], ...],
                             "keys": [[prefix_len, suffix, shape, dtype_index?], ...]}, ...}}

Keys are front-coded against the previous key of the same model (prefix_len characters shared, then the
suffix), which shrinks the compressed catalog to about a third (104 kB -> 32 kB). dtype_index is omitted for dtypes[0]
(float32). "args" are the constructor arguments used besides weights=None (torchvision's defaults, recorded
so a reader knows e.g. that googlenet includes its auxiliary classifiers).

Models are built without spending time on weight initialisation: every torch.nn.init function and the
in-place random fills are replaced by no-ops, so even vit_h_14 (632M parameters) is built in about a second
with uninitialised memory that is never touched. Only state_dict() names, shapes and dtypes are recorded.
"""

import argparse
import contextlib
import json
import os
import re
import sys
import time
import warnings
import zlib

import torch
import torchvision
import torchvision.models as tvm

FORMAT_VERSION = 1

# Constructor arguments that differ from the plain `weights=None` call or that we want on record. These are
# torchvision 0.14.1's own defaults for weights=None, written out so the catalog says what it describes.
MODEL_ARGS = {
    "googlenet": {"aux_logits": True, "transform_input": False, "init_weights": True},
    "inception_v3": {"aux_logits": True, "transform_input": False, "init_weights": True},
}


@contextlib.contextmanager
def no_init():
    """Make parameter initialisation free: models only need their shapes here."""
    saved = []

    def patch(owner, name, replacement):
        saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, replacement)

    def identity(tensor, *args, **kwargs):
        return tensor

    for name in dir(torch.nn.init):
        fn = getattr(torch.nn.init, name)
        if callable(fn) and name.endswith("_") and not name.startswith("_"):
            patch(torch.nn.init, name, identity)
    # Some torchvision models fill tensors directly (ViT's position embedding, class token).
    for name in ("normal_", "uniform_", "fill_", "zero_", "trunc_normal_"):
        if hasattr(torch.Tensor, name):
            patch(torch.Tensor, name, identity)
    try:
        yield
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


def list_classification_models():
    if hasattr(tvm, "list_models"):
        return sorted(tvm.list_models(module=tvm))
    raise SystemExit("torchvision.models.list_models is missing: this generator expects torchvision >= 0.14")


def dtype_name(dtype):
    return str(dtype).replace("torch.", "")


def describe_model(name, dtypes):
    args = MODEL_ARGS.get(name, {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = tvm.get_model(name, weights=None, **args)
    # A list of pairs rather than an object: JSON readers need not keep object order, and the call reads best
    # in the order written here.
    arg_pairs = [[key, value] for key, value in args.items()]
    keys = []
    previous = ""
    for key, tensor in model.state_dict().items():
        shared = len(os.path.commonprefix([previous, key]))
        entry = [shared, key[shared:], list(tensor.shape)]
        dt = dtype_name(tensor.dtype)
        if dt not in dtypes:
            dtypes.append(dt)
        if dtypes.index(dt) != 0:
            entry.append(dtypes.index(dt))
        keys.append(entry)
        previous = key
    params = sum(t.numel() for t in model.state_dict().values())
    del model
    return {"args": arg_pairs, "keys": keys}, params


def build_catalog():
    """The catalog document, and per-model (seconds, name, keys, elements) timings."""
    torch.set_grad_enabled(False)
    dtypes = ["float32"]
    models = {}
    timings = []
    with no_init():
        for name in list_classification_models():
            t0 = time.monotonic()
            models[name], params = describe_model(name, dtypes)
            timings.append((time.monotonic() - t0, name, len(models[name]["keys"]), params))
    version = re.match(r"\d+\.\d+\.\d+", torchvision.__version__).group(0)
    doc = {
        "format": FORMAT_VERSION,
        "torchvision": version,
        "torchvision_build": torchvision.__version__,
        "torch": torch.__version__,
        "dtypes": dtypes,
        "models": models,
    }
    return doc, timings


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", nargs="?", default=os.path.join(here, "torchvision-catalog.json.zz"))
    parser.add_argument("--check", action="store_true",
                        help="compare with the existing OUTPUT instead of writing it (exit 1 if it is stale)")
    options = parser.parse_args()

    start = time.monotonic()
    doc, timings = build_catalog()
    text = json.dumps(doc, separators=(",", ":"), sort_keys=False)
    total = time.monotonic() - start

    if options.check:
        # Compare the JSON, not the compressed bytes: another zlib build may compress differently.
        with open(options.output, "rb") as f:
            committed = json.loads(zlib.decompress(f.read()).decode("utf-8"))
        if committed != json.loads(text):
            stale = sorted(n for n in set(doc["models"]) | set(committed.get("models", {}))
                           if doc["models"].get(n) != committed.get("models", {}).get(n))
            print(f"{options.output} is stale; models that differ: {', '.join(stale) or '(header only)'}; "
                  f"regenerate with {sys.argv[0]}")
            return 1
        print(f"{options.output} matches torchvision {torchvision.__version__} ({len(doc['models'])} models)")
        return 0

    packed = zlib.compress(text.encode("utf-8"), 9)
    with open(options.output, "wb") as f:
        f.write(packed)
    for seconds, name, count, params in sorted(timings, reverse=True)[:3]:
        print(f"  slowest: {name}: {seconds:.2f} s, {count} keys, {params / 1e6:.1f}M elements")
    for seconds, name, count, params in timings:
        if name == "vit_h_14":
            print(f"  largest: {name}: {seconds:.2f} s, {count} keys, {params / 1e6:.1f}M elements")
    print(f"{len(doc['models'])} models, {sum(len(m['keys']) for m in doc['models'].values())} keys, "
          f"{len(text)} bytes JSON -> {len(packed)} bytes zlib, {total:.1f} s -> {options.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

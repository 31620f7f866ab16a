"""Consolidation of distributed checkpoints (issue 14): a ~2 GB DeepSpeed ZeRO-3 directory (4 ranks) and a
~2 GB DCP directory (4 rank files), each exported by `ckpt export DIR out.pth` against `cp` of the same rank
files (goal: within 2x) with the export's peak RSS (goal: < 250 MB), and an in-memory torch consolidation of
the same directory (load every rank file, assemble the full tensors, torch.save; what zero_to_fp32 and
dcp_to_torch_save do) timed side by side. Inputs are made once into build/bench-data with the fixture
generators' stand-in classes (tests/fixtures/distributed).

Like for like: both sides start from a warm page cache and end with their bytes on disk. `cp` copies the rank
files and `sync`s the copies (fsync of each); the export streams the same tensor bytes into one file (CRC-32
and XXH3 on the way), fsyncs it, re-opens it and re-hashes every tensor to verify before the rename. Wall
time depends on the other load of a shared machine; CPU seconds (user + sys of the process) do not, so both
are reported with the load average."""
import collections
import glob
import os
import resource
import shutil
import subprocess
import sys

from common import PY, load_average, peak_rss_mb, result, time_process

LAYERS, DIM = 32, 4096  # 32 x 4096^2 fp32 = 2.1 GB


def fixture_modules(ctx):
    sys.path.insert(0, os.path.join(ctx.source, "tests", "fixtures", "distributed"))


MAKE_ZERO3 = r'''
import collections, sys, torch
sys.path.insert(0, sys.argv[2])
import zero
def big(seed, half):
    g = torch.Generator().manual_seed(seed)
    grp = collections.OrderedDict(("layers.%d.weight" % i, torch.randn(DIM, DIM, generator=g)) for i in range(LAYERS))
    return [grp], collections.OrderedDict(), collections.OrderedDict(), {}
zero.model = big
zero.write(sys.argv[1], 3, 4, False, 7)
'''

MAKE_DCP = r'''
import io, os, pickle, sys, torch
sys.path.insert(0, sys.argv[2])
import dcp2x as d
out = sys.argv[1]; os.makedirs(out, exist_ok=True)
g = torch.Generator().manual_seed(8)
files = [open(os.path.join(out, "__%d_0.distcp" % r), "wb") for r in range(4)]
sdm, storage = {}, {}
for i in range(LAYERS):
    fqn = "layers.%d.weight" % i
    full = torch.randn(DIM, DIM, generator=g)
    chunks = []
    for r, part in enumerate(full.chunk(4, 0)):
        buf = io.BytesIO(); torch.save(part.clone(), buf)
        start = files[r].tell(); files[r].write(buf.getvalue())
        off = (r * part.shape[0], 0)
        storage[d.MetadataIndex(fqn, torch.Size(off))] = d._StorageInfo("__%d_0.distcp" % r, start, files[r].tell() - start)
        chunks.append(d.ChunkStorageMetadata(torch.Size(off), torch.Size(part.shape)))
    sdm[fqn] = d.TensorStorageMetadata(d.TensorProperties(torch.float32), torch.Size(full.shape), chunks)
for f in files: f.close()
with open(os.path.join(out, ".metadata"), "wb") as f:
    pickle.dump(d.Metadata(sdm, None, storage, None, None), f)
'''

# In-memory consolidation as the Python tools do it: every rank file loaded, full tensors assembled, saved.
TORCH_ZERO3 = r'''
import glob, math, sys, torch
sys.path.insert(0, sys.argv[3])
import zero
d = sys.argv[1] + "/global_step10"
optim = sorted(glob.glob(d + "/*_optim_states.pt"))
model = torch.load(sorted(glob.glob(d + "/*_model_states.pt"))[0], weights_only=False)
flats = [torch.cat(torch.load(f, weights_only=False)["optimizer_state_dict"]["fp32_flat_groups"]) for f in optim]
W, off, sd = len(flats), 0, {}
for shapes in model["param_shapes"]:
    for name, shape in shapes.items():
        n = math.prod(shape); p = math.ceil(n / W)
        sd[name] = torch.cat([f.narrow(0, off, p) for f in flats])[:n].view(shape); off += p
torch.save(sd, sys.argv[2])
'''

TORCH_DCP = r'''
import io, pickle, sys, torch
sys.path.insert(0, sys.argv[3])
import dcp2x
def setstate(self, state):  # torch 2.x TensorProperties.__setstate__; the fixture stand-in only writes
    self.dtype, self.layout, self.requires_grad, _, self.pin_memory = state
dcp2x.TensorProperties.__setstate__ = setstate
meta = pickle.load(open(sys.argv[1] + "/.metadata", "rb"))
data = {}
sd = {}
for fqn, tm in meta.state_dict_metadata.items():
    full = torch.empty(tuple(tm.size), dtype=tm.properties.dtype)
    for c in tm.chunks:
        info = meta.storage_data[dcp2x.MetadataIndex(fqn, c.offsets)]
        if info.relative_path not in data:
            data[info.relative_path] = open(sys.argv[1] + "/" + info.relative_path, "rb").read()
        t = torch.load(io.BytesIO(data[info.relative_path][info.offset:info.offset + info.length]))
        full[c.offsets[0]:c.offsets[0] + c.sizes[0]] = t
    sd[fqn] = full
torch.save(sd, sys.argv[2])
'''


def ensure(ctx, name, script):
    path = os.path.join(ctx.data, name)
    if not os.path.exists(os.path.join(path, "done")):
        if os.path.exists(path):
            shutil.rmtree(path)
        code = "LAYERS, DIM = %d, %d\n" % (LAYERS, DIM) + script
        subprocess.run([PY, "-c", code, path, os.path.join(ctx.source, "tests", "fixtures", "distributed")], check=True)
        open(os.path.join(path, "done"), "w").close()
    return path


def timed(argv, repeat):
    """Best wall time of `repeat` runs and the CPU seconds (user + sys of the children) of that best run."""
    best = None
    for _ in range(repeat):
        usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall, _ = time_process(argv, repeat=1)
        usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
        if best is None or wall < best[0]:
            best = (wall, cpu)
    return best


def bench_one(ctx, label, directory, rank_files, torch_script):
    rows = []
    out = os.path.join(ctx.data, "consolidated_%s.pth" % label)
    cp_dir = os.path.join(ctx.data, "cp_%s" % label)
    os.makedirs(cp_dir, exist_ok=True)
    try:
        time_process(["cat"] + rank_files, repeat=1)  # warm the page cache for both sides
        copies = " ".join("'%s'" % os.path.join(cp_dir, os.path.basename(f)) for f in rank_files)
        cp_cmd = "cp %s '%s' && sync %s" % (" ".join("'%s'" % f for f in rank_files), cp_dir, copies)
        cp_s, cp_cpu = timed(["sh", "-c", cp_cmd], repeat=2)
        export_s, export_cpu = timed([ctx.ckpt, "export", directory, out, "--force"], repeat=2)
        peak = peak_rss_mb([ctx.ckpt, "export", directory, out, "--force"])
        copied = sum(os.path.getsize(f) for f in rank_files) / 1e9
        written = os.path.getsize(out) / 1e9
        rows.append(result("%s: load average (1 min)" % label, load_average(), ""))
        rows.append(result("%s: cp + sync of the rank files (%.2f GB) wall" % (label, copied), cp_s, "s"))
        rows.append(result("%s: cp + sync CPU (user+sys)" % label, cp_cpu, "s"))
        rows.append(result("%s: ckpt export (%.2f GB: stream, CRC, fsync, verify) wall" % (label, written),
                           export_s, "s"))
        rows.append(result("%s: ckpt export CPU (user+sys)" % label, export_cpu, "s"))
        rows.append(result("%s: export / cp (wall)" % label, export_s / cp_s, "x", "<= 2", export_s / cp_s <= 2))
        rows.append(result("%s: export peak RSS" % label, peak, "MB", "< 250", peak < 250))
        torch_argv = [PY, "-c", torch_script, directory, out + ".torch",
                      os.path.join(ctx.source, "tests", "fixtures", "distributed")]
        try:  # the reference side; its failure must not hide the rows above
            torch_s, torch_cpu = timed(torch_argv, repeat=1)
            rows.append(result("%s: torch in-memory consolidation wall" % label, torch_s, "s"))
            rows.append(result("%s: torch in-memory consolidation CPU" % label, torch_cpu, "s"))
            rows.append(result("%s: torch in-memory peak RSS" % label, peak_rss_mb(torch_argv), "MB"))
        except (subprocess.CalledProcessError, RuntimeError) as error:
            print("  %s: torch in-memory consolidation failed: %s" % (label, str(error)[-200:]))
    finally:
        for path in (out, out + ".torch"):
            if os.path.exists(path):
                os.remove(path)
        shutil.rmtree(cp_dir, ignore_errors=True)
    return rows


def run(ctx):
    zero3 = ensure(ctx, "zero3_4ranks_2gb", MAKE_ZERO3)
    dcp = ensure(ctx, "dcp_4ranks_2gb", MAKE_DCP)
    rows = bench_one(ctx, "ZeRO-3 4 ranks 2 GB", zero3,
                     sorted(glob.glob(os.path.join(zero3, "global_step10", "*_optim_states.pt"))), TORCH_ZERO3)
    rows += bench_one(ctx, "DCP 4 ranks 2 GB", dcp, sorted(glob.glob(os.path.join(dcp, "*.distcp"))), TORCH_DCP)
    return rows

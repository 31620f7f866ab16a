#!/usr/bin/python3
"""Oracle for `ckpt export IN OUT --layout dcp --world-size N` (issue 14, reshard on export).

  check_reshard.py make IN.pth        writes the input state dict with real torch (uneven row counts, fp32/fp16/
                                      bf16/int64/bool, 1-d, 4-d, fewer rows than ranks, a transposed view, a view
                                      with a storage offset, a 0-d tensor)
  check_reshard.py check OUT IN.pth N starts N gloo ranks of Debian's torch 1.13 (CPU, file:// init); each builds
                                      its state dict of row-sharded ShardedTensors (ChunkShardingSpec(dim=0), so
                                      torch itself decides which rows each rank holds) and plain tensors for 0-d
                                      ones, loads OUT with torch.distributed._shard.checkpoint.load_state_dict +
                                      FileSystemReader, and compares every local shard bitwise with the same rows
                                      of IN. The main process then loads every tensor whole with no_dist=True
                                      (torch reassembling the chunks) and compares again.
Prints the first difference and exits 1, or prints "ok" and exits 0.
"""
import collections
import os
import sys
import tempfile

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

# The Python 3.11 import workaround for torch 1.13's sharded checkpoint package, shared with the fixture generator.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "distributed"))
from dcp113 import import_shard_checkpoint  # noqa: E402


def make(path):
    g = torch.Generator().manual_seed(614)
    sd = collections.OrderedDict()
    sd["embed.weight"] = torch.randn(11, 6, generator=g)                  # 11 rows: uneven on 2, 3 and 4 ranks
    sd["proj.weight"] = torch.randn(8, 5, generator=g).half()
    sd["norm.weight"] = torch.randn(7, generator=g).bfloat16()            # 1-d
    sd["ids"] = torch.randint(-2**40, 2**40, (5, 2), generator=g)         # int64
    sd["one.row"] = torch.randn(1, 3, generator=g)                        # fewer rows than ranks
    sd["conv.weight"] = torch.randn(4, 3, 2, 2, generator=g)              # 4-d
    sd["t.weight"] = torch.randn(6, 9, generator=g).t()                   # a transposed view: strides (1, 9)
    sd["slice.weight"] = torch.randn(20, 4, generator=g)[3:9]             # a view at storage offset 12
    sd["mask"] = torch.rand(5, generator=g) > 0.5                         # bool
    sd["bn.num_batches_tracked"] = torch.tensor(42)                       # 0-d int64
    torch.save(sd, path)


def raw(t):
    return t.contiguous().reshape(-1).view(torch.uint8)


def _worker(rank, world, out, inp, pgfile):
    dcp, sharded_tensor, ChunkShardingSpec = import_shard_checkpoint()
    dist.init_process_group("gloo", init_method="file://" + pgfile, rank=rank, world_size=world)
    source = torch.load(inp, weights_only=True)
    state = {}
    for key, full in source.items():
        if full.dim() == 0:
            state[key] = torch.zeros_like(full)
        else:
            spec = ChunkShardingSpec(dim=0, placements=["rank:%d/cpu" % r for r in range(world)])
            state[key] = sharded_tensor.empty(spec, *full.shape, dtype=full.dtype)
    dcp.load_state_dict(state, dcp.FileSystemReader(out))
    for key, full in source.items():
        value = state[key]
        if full.dim() == 0:
            if not torch.equal(raw(value), raw(full)):
                raise SystemExit("rank %d: %s differs" % (rank, key))
            continue
        for shard in value.local_shards():
            md = shard.metadata
            want = full
            for d, (o, s) in enumerate(zip(md.shard_offsets, md.shard_sizes)):
                want = want.narrow(d, o, s)
            if shard.tensor.dtype != full.dtype or not torch.equal(raw(shard.tensor), raw(want)):
                raise SystemExit("rank %d: %s rows %s differ" % (rank, key, md.shard_offsets))
    dist.barrier()
    dist.destroy_process_group()


def check(out, inp, world):
    with tempfile.TemporaryDirectory() as tmp:
        mp.spawn(_worker, args=(world, out, inp, os.path.join(tmp, "pg")), nprocs=world, join=True)
    dcp, _, _ = import_shard_checkpoint()
    source = torch.load(inp, weights_only=True)
    whole = {k: torch.zeros_like(v) for k, v in source.items()}
    dcp.load_state_dict(whole, dcp.FileSystemReader(out), no_dist=True)
    for key, full in source.items():
        if not torch.equal(raw(whole[key]), raw(full)):
            sys.exit("%s differs when torch reassembles it whole" % key)
    files = sorted(f for f in os.listdir(out) if f.endswith(".distcp"))
    if files != ["__%d_0.distcp" % r for r in range(world)]:
        sys.exit("rank files %s" % files)
    print("ok")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3], int(sys.argv[4]))

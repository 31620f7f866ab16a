#pragma once

#include <string>

#include "core/model/checkpoint.h"
#include "core/progress.h"
#include "core/result.h"

namespace ckpt::distributed
{

struct DcpWriteReport {
    size_t tensors = 0;        // state-dict tensors written and verified
    size_t chunks = 0;         // torch.save archives in the rank files
    size_t files = 0;          // rank files (one per rank, some possibly empty)
    uint64_t payloadBytes = 0; // tensor bytes written
};

// Writes the tensors of `set` as a torch.distributed.checkpoint directory in the layout torch 1.13's
// save_state_dict + FileSystemWriter(single_file_per_rank=True) gives a state dict of ShardedTensors sharded
// by ChunkShardingSpec(dim=0) over `worldSize` ranks: rank r holds rows [r*s, min((r+1)*s, rows)) with
// s = ceil(rows / worldSize) (ranks past the end hold none), a 0-d tensor is whole on rank 0; every shard is a
// complete torch.save archive at its offset in `__r_0.distcp`, and `.metadata` pickles the 1.13 Metadata,
// TensorStorageMetadata, ChunkStorageMetadata, MetadataIndex and _StorageInfo objects. Streaming: each
// shard's rows go from the mapped input to the rank file in blocks; a DCP or ZeRO directory as input is
// resharded from its chunks (ChunkCopier), every tensor of it complete or nothing is written.
// Atomic and verified: written into a temporary directory beside `outDir`, re-opened with the DCP reader
// (every chunk's box, dtype and XXH3 of its bytes compared with what was written), then renamed into place;
// an existing `outDir` is refused unless `force`, in which case it is swapped out and removed only after the
// new one is in place.
Result<DcpWriteReport> writeDcp(const Checkpoint& doc, const WeightSet& set, const std::string& outDir, int worldSize,
                                bool force, const Progress& progress = {});

} // namespace ckpt::distributed

#pragma once

#include "core/model/checkpoint.h"
#include "core/result.h"
#include "tensor/tensortypes.h"

namespace ckpt::tensor
{

// One block's statistics (the tensor module's computeStats).
using BlockStats = Result<TensorStats> (*)(const RawTensor& block, const StatsOptions& options);

// True for a tensor of a DCP/ZeRO directory that no single chunk holds: its values exist only as chunks.
bool isChunkedTensor(const Checkpoint& checkpoint, int tensorIndex);

// Statistics of such a tensor, streamed through the ChunkCopier one block at a time (memory: one block, at most
// options.chunkBytes and the copier's own block size): the blocks' moments are merged with Chan's formula, then
// a second pass counts every block into one histogram over the whole tensor's [min, max].
Result<TensorStats> computeChunkedStats(const Checkpoint& checkpoint, int tensorIndex, const StatsOptions& options,
                                        BlockStats blockStats);

} // namespace ckpt::tensor

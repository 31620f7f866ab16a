#pragma once

#include <memory>
#include <string>

#include "core/model/checkpoint.h"
#include "core/progress.h"
#include "core/result.h"

namespace ckpt::distributed
{

// Reads a DeepSpeed ZeRO 1/2/3 checkpoint (the tag folder, or its parent holding `latest`): the fp32 master
// weights as virtual tensors over the optimizer partitions, with DeepSpeed's partitioning (stage 1/2: flat
// groups concatenated across ranks in rank order; stage 3: each parameter padded to ceil(n/world) per rank),
// plus frozen parameters, buffers and tied parameters from the model states, as zero_to_fp32 consolidates.
Result<std::unique_ptr<Checkpoint>> loadZeroDirectory(const std::string& directory, const Progress& progress = {});

} // namespace ckpt::distributed

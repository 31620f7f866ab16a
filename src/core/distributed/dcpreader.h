#pragma once

#include <memory>
#include <string>

#include "core/model/checkpoint.h"
#include "core/progress.h"
#include "core/result.h"

namespace ckpt::distributed
{

// Reads a torch.distributed.checkpoint directory (.metadata + __R_N.distcp), any class-path generation
// (torch 1.13 `_shard.checkpoint`, 2.x `checkpoint`). Every tensor becomes one global tensor of the
// document with its chunks in Checkpoint::distributed; bytes items become plain values, safely unpickled.
// A missing .metadata is an error; missing, truncated or damaged rank files are listed as problems and
// whatever is intact is still read.
Result<std::unique_ptr<Checkpoint>> loadDcpDirectory(const std::string& directory, const Progress& progress = {});

} // namespace ckpt::distributed

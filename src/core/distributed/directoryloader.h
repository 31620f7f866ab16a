#pragma once

#include <memory>
#include <string>

#include "core/model/checkpoint.h"
#include "core/progress.h"
#include "core/result.h"

namespace ckpt::distributed
{

// Opens a directory as one checkpoint: a DCP directory (.metadata, *.distcp) or a DeepSpeed checkpoint (its
// tag folder, or the folder with `latest`). Unsupported when the directory is neither.
Result<std::unique_ptr<Checkpoint>> loadDirectory(const std::string& directory, const Progress& progress = {});

} // namespace ckpt::distributed

#pragma once

#include <string>

#include "core/analysis/architecturespec.h"
#include "core/result.h"

namespace ckpt::app
{

// The engine's ARCH resolution (`builtin:NAME`, JSON key list, TorchScript archive, checkpoint) with the tensor
// module's TorchScript importer plugged in when this build and machine have it. Runs in a worker.
Result<ArchitectureSpec> resolveArchitectureSpec(const std::string& spec);

} // namespace ckpt::app

#pragma once

#include <string>

#include "core/analysis/architecturespec.h"
#include "core/result.h"

namespace ckpt::tensor
{

// What a TorchScript archive's model expects: torch::jit::load, then every module's parameters and buffers
// in state_dict() order (a module's own entries, then its children's, depth first).
Result<ArchitectureSpec> torchImportTorchScript(const std::string& path);

} // namespace ckpt::tensor

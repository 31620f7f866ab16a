#pragma once

#include <string>

#include "core/analysis/architecturespec.h"
#include "core/model/checkpoint.h"
#include "core/result.h"

namespace ckpt
{

// What an ARCH string names: `builtin:NAME`, a JSON key list, a TorchScript archive or a checkpoint (its main
// weight set). A TorchScript archive is read by the core's own reader (names and shapes from its pickles), never
// by LibTorch: torch::jit::load compiles and runs the archive's code. Only regular files are opened.
Result<ArchitectureSpec> resolveArchitecture(const std::string& arch);

// An architecture made of a weight set's keys, shapes and dtypes.
ArchitectureSpec architectureFromWeightSet(const Checkpoint& checkpoint, const WeightSet& set, std::string name,
                                           std::string source);

} // namespace ckpt

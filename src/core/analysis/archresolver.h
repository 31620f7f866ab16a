#pragma once

#include <functional>
#include <string>

#include "core/analysis/architecturespec.h"
#include "core/model/checkpoint.h"
#include "core/result.h"

namespace ckpt
{

// Imports a TorchScript archive's parameters and buffers (the tensor module does it with LibTorch); the core
// stays LibTorch-free by taking it as a callback.
using TorchScriptImporter = std::function<Result<ArchitectureSpec>(const std::string& path)>;

// What an ARCH string names: `builtin:NAME`, a JSON key list, a TorchScript archive (through `importer`
// when given, else the core's own reading of the archive), or a checkpoint (its main weight set).
Result<ArchitectureSpec> resolveArchitecture(const std::string& arch, const TorchScriptImporter& importer = {});

// An architecture made of a weight set's keys, shapes and dtypes.
ArchitectureSpec architectureFromWeightSet(const Checkpoint& checkpoint, const WeightSet& set, std::string name,
                                           std::string source);

} // namespace ckpt

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/dtype.h"
#include "core/result.h"

namespace ckpt
{

// What a model expects: its state_dict() keys in order, with shape and dtype.
struct ArchEntry {
    std::string key;
    std::vector<int64_t> shape;
    DType dtype = DType::Float32;
};

struct ArchitectureSpec {
    std::string name;   // "resnet18", a file name, ...
    std::string source; // "builtin", "torchscript", "checkpoint", "json"
    std::vector<ArchEntry> entries;
};

// {"keys": {"conv1.weight": [64, 3, 7, 7], ...}} (order kept); values may also be
// {"shape": [...], "dtype": "float32"}.
Result<ArchitectureSpec> architectureFromJson(const std::string& text, const std::string& name);

} // namespace ckpt

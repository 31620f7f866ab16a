#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/checkpoint.h"
#include "core/result.h"

namespace ckpt
{

// What a tensor must look like in the written file.
struct TensorSignature {
    DType dtype = DType::Unknown;
    std::vector<int64_t> shape;
    uint64_t hash = 0; // XXH3-64 of the tensor's elements in row-major order (0 when it has no bytes)

    bool operator==(const TensorSignature& o) const { return dtype == o.dtype && shape == o.shape && hash == o.hash; }
    bool operator<(const TensorSignature& o) const;
};

struct ExportExpectation {
    std::vector<TensorSignature> tensors; // every tensor the file must hold (order free)
    bool hasWeightSet = false;
    Path weightSetAt;                        // where the weight set must be
    std::vector<std::string> keys;           // its keys, in order
    std::vector<TensorSignature> keyTensors; // parallel to keys
};

struct VerifyCounts {
    size_t tensors = 0;
    size_t keys = 0;
};

// The signature of one tensor of a loaded document (hashing its bytes through the mapping).
TensorSignature tensorSignature(const Checkpoint& checkpoint, int tensor);

// Re-opens `path` with the engine and compares it with what was meant to be written; Corrupt with the
// first difference otherwise, or when the written file imports a dangerous global.
Result<VerifyCounts> verifyExport(const std::string& path, const ExportExpectation& expected);

} // namespace ckpt

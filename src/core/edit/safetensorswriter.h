#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/model/dtype.h"
#include "core/progress.h"
#include "core/result.h"
#include "core/zip/zipwritersink.h"

namespace ckpt
{

// One tensor to write: where its first element is and how it is laid out (any strides: views are
// gathered into contiguous order, as the format has no strides).
struct SafetensorsTensor {
    std::string name;
    DType dtype = DType::Unknown;
    std::vector<int64_t> shape;
    std::vector<int64_t> stride;
    const uint8_t* data = nullptr;
};

// Copies a strided view (first element at `data`) into row-major order in `out`.
void gatherStrided(const uint8_t* data, const std::vector<int64_t>& shape, const std::vector<int64_t>& stride,
                   size_t elementSize, std::string& out);
// True when a view with these strides is laid out row-major without gaps.
bool isRowMajor(const std::vector<int64_t>& shape, const std::vector<int64_t>& stride);

// Writes the safetensors format: u64 header length, JSON header (dtype, shape, data_offsets, and
// `__metadata__`), space-padded to 8 bytes, then every tensor's bytes back to back in the given order.
class SafetensorsWriter
{
public:
    // Writes `tensors`; `hashes` (when given) receives the XXH3-64 of each tensor's contiguous bytes.
    // Refused for dtypes the format cannot hold.
    static VoidResult write(ZipWriterSink& sink, const std::vector<SafetensorsTensor>& tensors,
                            const std::map<std::string, std::string>& metadata, std::vector<uint64_t>* hashes,
                            const Progress* progress = nullptr);
};

} // namespace ckpt

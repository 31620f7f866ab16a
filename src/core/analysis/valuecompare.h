#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/checkpoint.h"
#include "core/progress.h"
#include "core/result.h"

namespace ckpt
{
namespace distributed
{
class ChunkCopier;
}

// Reads one tensor's elements from the mapped file in logical (row-major) order, a chunk at a time:
// contiguous tensors hand out pointers into the mapping, strided views are gathered into a small buffer.
class TensorReader
{
public:
    // Fails when the tensor has no bytes here (meta, sparse, missing record) or its view leaves its storage.
    static Result<TensorReader> open(const Checkpoint& checkpoint, int tensor);

    // The next up to maxElements elements; 0 at the end. `data` stays valid until the next call.
    size_t next(size_t maxElements, const uint8_t*& data);
    uint64_t numel() const { return m_numel; }
    size_t elementSize() const { return m_elementSize; }
    // Why next() stopped early (a directory chunk that cannot be read); empty otherwise.
    const std::string& failure() const { return m_failure; }

private:
    const uint8_t* m_base = nullptr; // first element
    std::vector<int64_t> m_shape;
    std::vector<int64_t> m_stride;
    std::vector<int64_t> m_index; // multi-index of the next element (strided case)
    size_t m_elementSize = 1;
    uint64_t m_numel = 0;
    uint64_t m_done = 0;
    bool m_contiguous = true;
    std::vector<uint8_t> m_buffer;
    // A DCP/ZeRO directory tensor no single chunk holds: its row-major bytes come block by block from the chunks.
    std::shared_ptr<distributed::ChunkCopier> m_chunks;
    uint64_t m_chunkAt = 0;   // bytes of the tensor fetched from the copier so far
    std::string_view m_block; // the current block
    size_t m_blockUsed = 0;   // bytes of it handed out
    std::string m_failure;
    size_t nextFromChunks(size_t n, const uint8_t*& data);
};

// The outcome of comparing two tensors of one shape and dtype element by element.
struct ValueComparison {
    bool bitwiseEqual = false;
    bool numeric = false;             // max differences were computed (false for packed sub-byte dtypes)
    double maxAbsDiff = 0.0;          // max |a-b| over elements finite on both sides
    double maxRelDiff = 0.0;          // max |a-b| / max(|a|, |b|) over the same elements
    uint64_t differing = 0;           // elements whose bytes differ
    uint64_t nonFiniteMismatches = 0; // elements where one side is NaN/Inf and the other is not the same
    uint64_t leftHash[2] = {0, 0};    // XXH3-128 of each side's logical bytes
    uint64_t rightHash[2] = {0, 0};
    std::string note; // how the values were read, when it is not obvious (quantized, packed)
};

// Streams both tensors (of one shape) once: bitwise equality (exact, with the XXH3-128 content hash of each
// side) and, where they differ, max |a-b| and max relative difference in double for every dtype incl.
// fp16/bf16. Tensors of different dtypes are compared by value (a bf16 copy of fp32 weights).
// `bytesDone` is advanced by the bytes read (both sides) and reported through `progress`.
Result<ValueComparison> compareTensorValues(const Checkpoint& left, int leftTensor, const Checkpoint& right,
                                            int rightTensor, const Progress& progress = {},
                                            uint64_t* bytesDone = nullptr, uint64_t bytesTotal = 0);

// Element i of a buffer of `dtype` as a double (real part for complex); NaN for dtypes without a value.
double elementToDouble(const uint8_t* data, DType dtype);

} // namespace ckpt

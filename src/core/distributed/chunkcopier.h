#pragma once

#include <cstdint>
#include <string>

#include "core/distributed/layout.h"
#include "core/model/checkpoint.h"
#include "core/result.h"

namespace ckpt::distributed
{

// Produces a virtual tensor's row-major bytes one block of dim-0 rows at a time, copying (and for ZeRO
// buffers, converting to the tensor's dtype) only the chunk rows that fall in the block, straight from
// the mapped rank files. Memory: one block (about kBlockBytes, at least one row), never the tensor.
class ChunkCopier
{
public:
    static constexpr uint64_t kBlockBytes = 16ull << 20;

    // `blockBytes`: the most a block holds (at least one row); smaller blocks suit readers with a budget of their own.
    ChunkCopier(const Checkpoint& doc, const VirtualTensor& tensor, uint64_t blockBytes = kBlockBytes);
    ~ChunkCopier();
    ChunkCopier(const ChunkCopier&) = delete;
    ChunkCopier& operator=(const ChunkCopier&) = delete;
    uint64_t size() const { return m_size; } // bytes of the whole tensor
    // The bytes from `at` (which must be where the previous block ended) to the end of the next block: a view
    // of the mapped rank file when one chunk holds those rows row-major, else a gathered copy. Valid until the
    // next call.
    Result<std::string_view> next(uint64_t at);

private:
    void copyChunkRows(const Chunk& chunk, int64_t rowBegin, int64_t rowEnd);
    // The chunk holding `row` whole and row-major in the tensor's dtype, whose rows can be handed out in place.
    const Chunk* holdsRowsInPlace(int64_t row) const;
    void releaseInPlaceBlock();

    const Checkpoint& m_doc;
    const VirtualTensor& m_tensor;
    std::vector<int64_t> m_shape; // the global shape, or {numel} for flat tensors
    uint64_t m_rowBytes = 0;      // bytes of one dim-0 row (the whole tensor for a 0-d one)
    uint64_t m_rows = 0;
    uint64_t m_size = 0;
    uint64_t m_blockBytes = kBlockBytes;
    std::string m_buffer;
    int64_t m_blockBegin = 0;                // first row in m_buffer
    const uint8_t* m_inPlaceBegin = nullptr; // the block last handed out as a view of a rank file
    const uint8_t* m_inPlaceEnd = nullptr;
};

// Converts `count` elements from `from` to `to` (identical dtypes are copied); false for a pair it cannot.
bool convertElements(const uint8_t* src, DType from, int64_t srcStride, uint8_t* dst, DType to, uint64_t count);

} // namespace ckpt::distributed

#include "core/distributed/chunkcopier.h"

#include <cstring>

#include <sys/mman.h>
#include <unistd.h>

#include "core/io/mappedfile.h"

namespace ckpt::distributed
{

namespace
{

float halfToFloat(uint16_t h)
{
    uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1f;
    uint32_t mantissa = h & 0x3ff;
    uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else { // subnormal: normalise
            exponent = 127 - 15 + 1;
            while (!(mantissa & 0x400)) {
                mantissa <<= 1;
                --exponent;
            }
            bits = sign | (exponent << 23) | ((mantissa & 0x3ff) << 13);
        }
    } else if (exponent == 31) {
        bits = sign | 0x7f800000u | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
    float out;
    std::memcpy(&out, &bits, 4);
    return out;
}

template <class T> T load(const uint8_t* p)
{
    T value;
    std::memcpy(&value, p, sizeof(T));
    return value;
}

bool toFloat(const uint8_t* p, DType from, float& out)
{
    switch (from) {
    case DType::Float32:
        out = load<float>(p);
        return true;
    case DType::Float64:
        out = static_cast<float>(load<double>(p));
        return true;
    case DType::Float16:
        out = halfToFloat(load<uint16_t>(p));
        return true;
    case DType::BFloat16: {
        uint32_t bits = static_cast<uint32_t>(load<uint16_t>(p)) << 16;
        std::memcpy(&out, &bits, 4);
        return true;
    }
    case DType::Int64:
        out = static_cast<float>(load<int64_t>(p));
        return true;
    case DType::Int32:
        out = static_cast<float>(load<int32_t>(p));
        return true;
    case DType::Int16:
        out = static_cast<float>(load<int16_t>(p));
        return true;
    case DType::Int8:
        out = static_cast<float>(load<int8_t>(p));
        return true;
    case DType::UInt8:
    case DType::Bool:
        out = static_cast<float>(*p);
        return true;
    default:
        return false;
    }
}

} // namespace

bool convertElements(const uint8_t* src, DType from, int64_t srcStride, uint8_t* dst, DType to, uint64_t count)
{
    const size_t inSize = dtypeElementSize(from);
    const size_t outSize = dtypeElementSize(to);
    if (from == to) {
        if (srcStride == 1) {
            std::memcpy(dst, src, count * inSize);
        } else {
            for (uint64_t i = 0; i < count; ++i)
                std::memcpy(dst + i * outSize, src + static_cast<uint64_t>(srcStride) * i * inSize, inSize);
        }
        return true;
    }
    if (to != DType::Float32) return false; // the only conversion consolidation needs (buffers -> float32)
    for (uint64_t i = 0; i < count; ++i) {
        float value;
        if (!toFloat(src + static_cast<uint64_t>(srcStride) * i * inSize, from, value)) return false;
        std::memcpy(dst + i * outSize, &value, 4);
    }
    return true;
}

ChunkCopier::ChunkCopier(const Checkpoint& doc, const VirtualTensor& tensor, uint64_t blockBytes)
    : m_doc(doc), m_tensor(tensor), m_blockBytes(blockBytes)
{
    uint64_t numel = 1;
    for (int64_t d : tensor.shape)
        numel *= static_cast<uint64_t>(d);
    m_shape = tensor.flat ? std::vector<int64_t>{static_cast<int64_t>(numel)} : tensor.shape;
    const size_t element = dtypeElementSize(tensor.dtype);
    m_size = numel * element;
    if (m_shape.empty()) {
        m_rows = 1;
        m_rowBytes = element;
    } else {
        m_rows = static_cast<uint64_t>(m_shape[0]);
        m_rowBytes = m_rows ? m_size / m_rows : 0;
    }
}

void ChunkCopier::copyChunkRows(const Chunk& chunk, int64_t rowBegin, int64_t rowEnd)
{
    const size_t rank = m_shape.size();
    const size_t outElement = dtypeElementSize(m_tensor.dtype);
    const size_t inElement = dtypeElementSize(chunk.sourceDtype);
    const uint8_t* base = m_doc.files[static_cast<size_t>(chunk.file)]->data() + chunk.dataOffset;
    if (rank == 0) { // a 0-d tensor: one element
        convertElements(base, chunk.sourceDtype, 1, reinterpret_cast<uint8_t*>(m_buffer.data()), m_tensor.dtype, 1);
        return;
    }
    const int64_t lo = std::max(rowBegin, chunk.offsets[0]);
    const int64_t hi = std::min(rowEnd, chunk.offsets[0] + chunk.sizes[0]);
    if (lo >= hi) return;
    if (rank == 1) { // a vector (or a flat ZeRO piece): the rows are elements, copied as one run
        convertElements(base + static_cast<uint64_t>((lo - chunk.offsets[0]) * chunk.stride[0]) * inElement,
                        chunk.sourceDtype, chunk.stride[0],
                        reinterpret_cast<uint8_t*>(m_buffer.data()) +
                            static_cast<uint64_t>(lo - m_blockBegin) * outElement,
                        m_tensor.dtype, static_cast<uint64_t>(hi - lo));
        return;
    }
    // Destination row-major strides of the global tensor; the box's last dimension is copied as one run.
    std::vector<int64_t> dstStride(rank, 1);
    for (size_t d = rank - 1; d > 0; --d)
        dstStride[d - 1] = dstStride[d] * m_shape[d];
    const int64_t run = chunk.sizes[rank - 1];
    if (run == 0) return;
    std::vector<int64_t> index(rank, 0); // position inside the box, dims 1..rank-2 iterate
    for (int64_t row = lo; row < hi; ++row) {
        std::fill(index.begin(), index.end(), 0);
        index[0] = row - chunk.offsets[0];
        while (true) {
            int64_t src = 0, dst = (row - m_blockBegin) * dstStride[0];
            for (size_t d = 0; d < rank; ++d) {
                src += index[d] * chunk.stride[d];
                if (d > 0) dst += (chunk.offsets[d] + index[d]) * dstStride[d];
            }
            convertElements(base + static_cast<uint64_t>(src) * inElement, chunk.sourceDtype, chunk.stride[rank - 1],
                            reinterpret_cast<uint8_t*>(m_buffer.data()) + static_cast<uint64_t>(dst) * outElement,
                            m_tensor.dtype, static_cast<uint64_t>(run));
            // Next index over dims rank-2 .. 1 (the last dimension is the run).
            size_t d = rank >= 2 ? rank - 2 : 0;
            while (d >= 1) {
                if (++index[d] < chunk.sizes[d]) break;
                index[d] = 0;
                --d;
            }
            if (d == 0) break;
        }
    }
}

const Chunk* ChunkCopier::holdsRowsInPlace(int64_t row) const
{
    for (const Chunk& chunk : m_tensor.chunks) {
        if (chunk.sourceDtype != m_tensor.dtype || chunk.offsets.size() != m_shape.size() || m_shape.empty()) continue;
        if (row < chunk.offsets[0] || row >= chunk.offsets[0] + chunk.sizes[0]) continue;
        bool wholeRows = true; // the box spans every other dimension and is stored row-major
        int64_t expected = 1;
        for (size_t d = m_shape.size(); d-- > 0;) {
            if (d > 0 && (chunk.offsets[d] != 0 || chunk.sizes[d] != m_shape[d])) wholeRows = false;
            if (chunk.sizes[d] > 1 && chunk.stride[d] != expected) wholeRows = false;
            expected *= chunk.sizes[d];
        }
        if (wholeRows) return &chunk;
    }
    return nullptr;
}

void ChunkCopier::releaseInPlaceBlock()
{
    if (!m_inPlaceEnd) return;
    static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    uintptr_t begin = (reinterpret_cast<uintptr_t>(m_inPlaceBegin) + page - 1) / page * page;
    uintptr_t end = reinterpret_cast<uintptr_t>(m_inPlaceEnd) / page * page;
    if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
    m_inPlaceBegin = m_inPlaceEnd = nullptr;
}

ChunkCopier::~ChunkCopier()
{
    releaseInPlaceBlock();
}

Result<std::string_view> ChunkCopier::next(uint64_t at)
{
    if (m_rowBytes == 0) return makeError(Status::Corrupt, "'" + m_tensor.key + "' has no bytes to copy");
    if (at % m_rowBytes != 0 || at >= m_size)
        return makeError(Status::Corrupt, "consolidation asked for byte " + std::to_string(at) + " of '" +
                                              m_tensor.key + "' out of order");
    for (const Chunk& chunk : m_tensor.chunks)
        if (!chunk.problem.empty() || chunk.file < 0)
            return makeError(Status::Truncated, "'" + m_tensor.key + "': " + chunk.fileName + ": " + chunk.problem);
    releaseInPlaceBlock(); // the caller is done with the previous block
    const uint64_t rowsPerBlock = std::max<uint64_t>(1, m_blockBytes / m_rowBytes);
    m_blockBegin = static_cast<int64_t>(at / m_rowBytes);
    int64_t blockEnd = static_cast<int64_t>(std::min<uint64_t>(m_rows, at / m_rowBytes + rowsPerBlock));

    // The common case (rows sharded on dim 0, or a ZeRO partition, stored row-major in the tensor's dtype):
    // the block's bytes are already in the mapped rank file, in order. Handing out a view of them (the block
    // ending where that chunk ends) saves a copy of every byte; the pages are released when the caller asks
    // for the next block.
    if (const Chunk* chunk = holdsRowsInPlace(m_blockBegin)) {
        blockEnd = std::min(blockEnd, chunk->offsets[0] + chunk->sizes[0]);
        const uint64_t blockBytes = static_cast<uint64_t>(blockEnd - m_blockBegin) * m_rowBytes;
        const uint8_t* base = m_doc.files[static_cast<size_t>(chunk->file)]->data() + chunk->dataOffset;
        m_inPlaceBegin = base + static_cast<uint64_t>(m_blockBegin - chunk->offsets[0]) * m_rowBytes;
        m_inPlaceEnd = m_inPlaceBegin + blockBytes;
        return std::string_view(reinterpret_cast<const char*>(m_inPlaceBegin), blockBytes);
    }

    // Otherwise gather the block from every chunk that has rows in it. Coverage was checked complete before
    // consolidation started, so every byte of the block is written and the buffer needs no clearing.
    m_buffer.resize(static_cast<size_t>(static_cast<uint64_t>(blockEnd - m_blockBegin) * m_rowBytes));
    for (const Chunk& chunk : m_tensor.chunks)
        copyChunkRows(chunk, m_blockBegin, blockEnd);
    // The rank files' pages were only read: let the kernel drop them, so resident memory stays one block.
    for (const Chunk& chunk : m_tensor.chunks) {
        const MappedFile& file = *m_doc.files[static_cast<size_t>(chunk.file)];
        static const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
        uint64_t begin = chunk.byteBegin / page * page, end = std::min(chunk.byteEnd, file.size()) / page * page;
        if (blockEnd == static_cast<int64_t>(m_rows) && end > begin)
            madvise(const_cast<uint8_t*>(file.data()) + begin, end - begin, MADV_DONTNEED);
    }
    return std::string_view(m_buffer);
}

} // namespace ckpt::distributed

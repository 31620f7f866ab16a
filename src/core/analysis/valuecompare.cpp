#include "core/analysis/valuecompare.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <xxhash.h>

#include "core/distributed/chunkcopier.h"
#include "core/model/viewbounds.h"

namespace ckpt
{

namespace
{

// Elements per chunk: small enough that both sides stay in the L2 cache between hashing and comparing.
constexpr size_t kChunkBytes = 256 * 1024;

template <class T> T load(const uint8_t* p)
{
    T value;
    std::memcpy(&value, p, sizeof value);
    return value;
}

double halfToDouble(uint16_t h)
{
    int sign = (h & 0x8000) ? -1 : 1;
    int exponent = (h >> 10) & 0x1f;
    int mantissa = h & 0x3ff;
    if (exponent == 0) return sign * std::ldexp(static_cast<double>(mantissa), -24);
    if (exponent == 31)
        return mantissa ? std::numeric_limits<double>::quiet_NaN() : sign * std::numeric_limits<double>::infinity();
    return sign * std::ldexp(static_cast<double>(mantissa | 0x400), exponent - 25);
}

double bfloat16ToDouble(uint16_t h)
{
    uint32_t bits = static_cast<uint32_t>(h) << 16;
    float value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

// The float8 family: `ieee` formats have Inf and several NaNs, `fn` ones only all-ones NaN, `fnuz` ones
// only 0x80 NaN and no negative zero.
enum class F8 { Ieee, Fn, Fnuz };
double float8ToDouble(uint8_t b, int expBits, int mantBits, int bias, F8 kind)
{
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (kind == F8::Fnuz && b == 0x80) return nan;
    int sign = (b & 0x80) ? -1 : 1;
    int maxExp = (1 << expBits) - 1;
    int e = (b >> mantBits) & maxExp;
    int m = b & ((1 << mantBits) - 1);
    if (kind == F8::Ieee && e == maxExp) return m ? nan : sign * std::numeric_limits<double>::infinity();
    if (kind == F8::Fn && e == maxExp && m == (1 << mantBits) - 1) return nan;
    if (e == 0) return sign * std::ldexp(static_cast<double>(m), 1 - bias - mantBits);
    return sign * std::ldexp(static_cast<double>(m | (1 << mantBits)), e - bias - mantBits);
}

bool hasNumericValue(DType dtype)
{
    switch (dtype) {
    case DType::QUInt4x2:
    case DType::QUInt2x4:
    case DType::Float4_e2m1fn_x2:
    case DType::Bits8:
    case DType::Bits16:
    case DType::Bits1x8:
    case DType::Bits2x4:
    case DType::Bits4x2:
    case DType::Unknown:
        return false;
    default:
        return true;
    }
}

// How one side's elements become numbers: quantized values are dequantized with their own parameters.
struct Decoder {
    DType dtype = DType::Unknown;
    bool dequantize = false;
    double scale = 1.0;
    double zeroPoint = 0.0;

    double real(const uint8_t* p) const
    {
        double v = elementToDouble(p, dtype);
        return dequantize ? (v - zeroPoint) * scale : v;
    }
    // Imaginary part of complex elements.
    double imag(const uint8_t* p) const
    {
        switch (dtype) {
        case DType::Complex128:
            return load<double>(p + 8);
        case DType::Complex64:
            return load<float>(p + 4);
        case DType::Complex32:
            return halfToDouble(load<uint16_t>(p + 2));
        default:
            return 0.0;
        }
    }
};

Decoder decoderFor(const TensorInfo& tensor, std::string& note)
{
    Decoder d;
    d.dtype = tensor.dtype;
    if (dtypeIsQuantized(tensor.dtype)) {
        if (tensor.quant.scheme == "per_tensor_affine" || tensor.quant.scheme == "per_tensor_symmetric") {
            d.dequantize = true;
            d.scale = tensor.quant.scale;
            d.zeroPoint = static_cast<double>(tensor.quant.zeroPoint);
            note = "quantized values compared after dequantizing";
        } else {
            note = "per-channel quantized values compared as their integer representation";
        }
    }
    return d;
}

void accumulate(ValueComparison& out, double a, double b)
{
    bool finiteA = std::isfinite(a), finiteB = std::isfinite(b);
    if (!finiteA || !finiteB) {
        bool same = (std::isnan(a) && std::isnan(b)) || a == b;
        if (!same) ++out.nonFiniteMismatches;
        return;
    }
    double diff = std::fabs(a - b);
    double scale = std::max(std::fabs(a), std::fabs(b));
    out.maxAbsDiff = std::max(out.maxAbsDiff, diff);
    if (scale > 0.0) out.maxRelDiff = std::max(out.maxRelDiff, diff / scale);
}

// Compares n elements of each side; `sameType` lets identical elements be skipped by their bytes.
void diffChunk(ValueComparison& out, const Decoder& left, const Decoder& right, const uint8_t* a, const uint8_t* b,
               size_t n, size_t sizeA, size_t sizeB, bool sameType)
{
    bool complex = dtypeIsComplex(left.dtype) || dtypeIsComplex(right.dtype);
    for (size_t i = 0; i < n; ++i, a += sizeA, b += sizeB) {
        if (sameType && std::memcmp(a, b, sizeA) == 0) continue;
        if (sameType) ++out.differing;
        if (!out.numeric) continue;
        if (!complex) {
            double va = left.real(a), vb = right.real(b);
            if (!sameType && !(va == vb || (std::isnan(va) && std::isnan(vb)))) ++out.differing;
            accumulate(out, va, vb);
            continue;
        }
        double reA = left.real(a), imA = left.imag(a), reB = right.real(b), imB = right.imag(b);
        if (!sameType && (reA != reB || imA != imB)) ++out.differing;
        double diff = std::hypot(reA - reB, imA - imB);
        double magA = std::hypot(reA, imA), magB = std::hypot(reB, imB);
        if (!std::isfinite(diff) || !std::isfinite(magA) || !std::isfinite(magB)) {
            if (!(std::isnan(diff) && std::isnan(magA) && std::isnan(magB))) ++out.nonFiniteMismatches;
            continue;
        }
        out.maxAbsDiff = std::max(out.maxAbsDiff, diff);
        double scale = std::max(magA, magB);
        if (scale > 0.0) out.maxRelDiff = std::max(out.maxRelDiff, diff / scale);
    }
}

} // namespace

double elementToDouble(const uint8_t* p, DType dtype)
{
    switch (dtype) {
    case DType::Float64:
        return load<double>(p);
    case DType::Float32:
        return load<float>(p);
    case DType::Float16:
        return halfToDouble(load<uint16_t>(p));
    case DType::BFloat16:
        return bfloat16ToDouble(load<uint16_t>(p));
    case DType::Int64:
        return static_cast<double>(load<int64_t>(p));
    case DType::Int32:
    case DType::QInt32:
        return load<int32_t>(p);
    case DType::Int16:
        return load<int16_t>(p);
    case DType::Int8:
    case DType::QInt8:
        return load<int8_t>(p);
    case DType::UInt8:
    case DType::QUInt8:
        return *p;
    case DType::Bool:
        return *p ? 1.0 : 0.0;
    case DType::UInt16:
        return load<uint16_t>(p);
    case DType::UInt32:
        return load<uint32_t>(p);
    case DType::UInt64:
        return static_cast<double>(load<uint64_t>(p));
    case DType::Complex128:
        return load<double>(p);
    case DType::Complex64:
        return load<float>(p);
    case DType::Complex32:
        return halfToDouble(load<uint16_t>(p));
    case DType::Float8_e5m2:
        return float8ToDouble(*p, 5, 2, 15, F8::Ieee);
    case DType::Float8_e4m3fn:
        return float8ToDouble(*p, 4, 3, 7, F8::Fn);
    case DType::Float8_e5m2fnuz:
        return float8ToDouble(*p, 5, 2, 16, F8::Fnuz);
    case DType::Float8_e4m3fnuz:
        return float8ToDouble(*p, 4, 3, 8, F8::Fnuz);
    case DType::Float8_e8m0fnu:
        return *p == 0xff ? std::numeric_limits<double>::quiet_NaN() : std::ldexp(1.0, static_cast<int>(*p) - 127);
    default:
        return std::numeric_limits<double>::quiet_NaN();
    }
}

Result<TensorReader> TensorReader::open(const Checkpoint& checkpoint, int tensor)
{
    if (tensor < 0 || static_cast<size_t>(tensor) >= checkpoint.tensors.size())
        return makeError(Status::Corrupt, "no tensor number " + std::to_string(tensor));
    const TensorInfo& t = checkpoint.tensors[static_cast<size_t>(tensor)];
    TensorReader reader;
    reader.m_shape = t.shape;
    reader.m_stride = t.stride;
    reader.m_elementSize = dtypeElementSize(t.dtype);
    reader.m_numel = 1;
    for (int64_t d : t.shape) {
        if (d < 0) return makeError(Status::Corrupt, "negative dimension in tensor shape");
        reader.m_numel *= static_cast<uint64_t>(d);
    }
    if (checkpoint.distributed && t.layout == TensorLayout::Strided && t.storage < 0)
        if (const distributed::VirtualTensor* chunked = checkpoint.distributed->forTensor(tensor)) {
            if (!chunked->coverage.complete)
                return makeError(Status::Unsupported, "'" + chunked->key + "' is not complete in the directory: " +
                                                          chunked->coverage.problem);
            reader.m_chunks = std::make_shared<distributed::ChunkCopier>(checkpoint, *chunked);
            return reader;
        }
    if (t.layout != TensorLayout::Strided || t.storage < 0)
        return makeError(Status::Unsupported, std::string(layoutName(t.layout)) + " tensor on " +
                                                  (t.location.empty() ? "no device" : t.location) +
                                                  " has no element bytes to read");
    if (!t.problem.empty()) return makeError(Status::Corrupt, t.problem);
    if (reader.m_numel == 0) return reader;
    if (reader.m_stride.size() != reader.m_shape.size())
        return makeError(Status::Corrupt, "tensor stride and shape have different ranks");
    if (static_cast<size_t>(t.storage) < checkpoint.storages.size() &&
        !viewFitsStorage(t, checkpoint.storages[static_cast<size_t>(t.storage)]))
        return makeError(Status::Corrupt, "the tensor's view reaches past the end of its storage");
    reader.m_base = checkpoint.tensorData(tensor);
    if (!reader.m_base) return makeError(Status::Unsupported, "the tensor's bytes are not available in the file");
    // The view's last element must lie inside its storage; the loader checks records, this checks views.
    uint64_t extent = static_cast<uint64_t>(std::max<int64_t>(t.offset, 0));
    int64_t expected = 1;
    for (size_t i = reader.m_shape.size(); i-- > 0;) {
        int64_t size = reader.m_shape[i], stride = reader.m_stride[i];
        if (stride < 0) return makeError(Status::Unsupported, "negative strides are not supported");
        extent += static_cast<uint64_t>(size - 1) * static_cast<uint64_t>(stride);
        if (size != 1 && stride != expected) reader.m_contiguous = false;
        expected *= size;
    }
    const StorageInfo& storage = checkpoint.storages[static_cast<size_t>(t.storage)];
    if ((extent + 1) * reader.m_elementSize > storage.nbytes)
        return makeError(Status::Corrupt, "tensor view reaches beyond the end of its storage");
    reader.m_index.assign(reader.m_shape.size(), 0);
    return reader;
}

// Exactly n elements (the comparison reads both sides in step): from the current block when it holds them, else
// gathered across blocks into the buffer (each block is copied from before the next one is asked for).
size_t TensorReader::nextFromChunks(size_t n, const uint8_t*& data)
{
    const size_t want = n * m_elementSize;
    if (m_block.size() - m_blockUsed >= want) {
        data = reinterpret_cast<const uint8_t*>(m_block.data()) + m_blockUsed;
        m_blockUsed += want;
        m_done += n;
        return n;
    }
    m_buffer.resize(want);
    size_t filled = 0;
    while (filled < want) {
        if (m_blockUsed == m_block.size()) {
            Result<std::string_view> block = m_chunks->next(m_chunkAt);
            if (!block || block.value().empty()) {
                m_failure = block ? "a directory chunk gave no bytes" : block.error().detail;
                return 0;
            }
            m_block = block.value();
            m_blockUsed = 0;
            m_chunkAt += m_block.size();
        }
        const size_t take = std::min(want - filled, m_block.size() - m_blockUsed);
        std::memcpy(m_buffer.data() + filled, m_block.data() + m_blockUsed, take);
        filled += take;
        m_blockUsed += take;
    }
    data = m_buffer.data();
    m_done += n;
    return n;
}

size_t TensorReader::next(size_t maxElements, const uint8_t*& data)
{
    size_t n = static_cast<size_t>(std::min<uint64_t>(maxElements, m_numel - m_done));
    if (n == 0) return 0;
    if (m_chunks) return nextFromChunks(n, data);
    if (m_contiguous) {
        data = m_base + m_done * m_elementSize;
        m_done += n;
        return n;
    }
    m_buffer.resize(n * m_elementSize);
    size_t rank = m_shape.size();
    size_t filled = 0;
    while (filled < n) {
        uint64_t pos = 0;
        for (size_t d = 0; d < rank; ++d)
            pos += static_cast<uint64_t>(m_index[d]) * static_cast<uint64_t>(m_stride[d]);
        // Walk the innermost dimension as one run; a unit stride makes the run one memcpy.
        size_t run = static_cast<size_t>(
            std::min<int64_t>(m_shape[rank - 1] - m_index[rank - 1], static_cast<int64_t>(n - filled)));
        uint8_t* out = m_buffer.data() + filled * m_elementSize;
        int64_t inner = m_stride[rank - 1];
        if (inner == 1) {
            std::memcpy(out, m_base + pos * m_elementSize, run * m_elementSize);
        } else {
            for (size_t i = 0; i < run; ++i)
                std::memcpy(out + i * m_elementSize, m_base + (pos + i * static_cast<uint64_t>(inner)) * m_elementSize,
                            m_elementSize);
        }
        filled += run;
        m_index[rank - 1] += static_cast<int64_t>(run);
        for (size_t d = rank - 1; d > 0 && m_index[d] == m_shape[d]; --d) {
            m_index[d] = 0;
            ++m_index[d - 1];
        }
    }
    m_done += n;
    data = m_buffer.data();
    return n;
}

Result<ValueComparison> compareTensorValues(const Checkpoint& left, int leftTensor, const Checkpoint& right,
                                            int rightTensor, const Progress& progress, uint64_t* bytesDone,
                                            uint64_t bytesTotal)
{
    auto a = TensorReader::open(left, leftTensor);
    if (!a) return a.error();
    auto b = TensorReader::open(right, rightTensor);
    if (!b) return b.error();
    TensorReader& ra = a.value();
    TensorReader& rb = b.value();
    const TensorInfo& ta = left.tensors[static_cast<size_t>(leftTensor)];
    const TensorInfo& tb = right.tensors[static_cast<size_t>(rightTensor)];
    if (ta.shape != tb.shape)
        return makeError(Status::Unsupported, "values are compared only between tensors of one shape");
    bool sameType = ta.dtype == tb.dtype;

    ValueComparison out;
    Decoder da = decoderFor(ta, out.note);
    Decoder db = decoderFor(tb, out.note);
    out.numeric = hasNumericValue(ta.dtype) && hasNumericValue(tb.dtype);
    if (!out.numeric) out.note = "packed dtype: compared bitwise only";
    if (!sameType && !out.numeric) return makeError(Status::Unsupported, "packed dtypes of different kinds");

    XXH3_state_t* ha = XXH3_createState();
    XXH3_state_t* hb = XXH3_createState();
    XXH3_128bits_reset(ha);
    XXH3_128bits_reset(hb);
    size_t sizeA = ra.elementSize(), sizeB = rb.elementSize();
    size_t chunk = std::max<size_t>(1, kChunkBytes / std::max(sizeA, sizeB));
    uint64_t local = 0;
    uint64_t& done = bytesDone ? *bytesDone : local;
    bool cancelled = false;
    while (true) {
        const uint8_t* pa = nullptr;
        const uint8_t* pb = nullptr;
        size_t na = ra.next(chunk, pa);
        size_t nb = rb.next(chunk, pb);
        if (na == 0 || na != nb) break;
        XXH3_128bits_update(ha, pa, na * sizeA);
        XXH3_128bits_update(hb, pb, na * sizeB);
        if (!sameType || std::memcmp(pa, pb, na * sizeA) != 0)
            diffChunk(out, da, db, pa, pb, na, sizeA, sizeB, sameType);
        done += na * (sizeA + sizeB);
        progress.tick(done, bytesTotal);
        if (progress.cancelled()) {
            cancelled = true;
            break;
        }
    }
    XXH128_hash_t fa = XXH3_128bits_digest(ha);
    XXH128_hash_t fb = XXH3_128bits_digest(hb);
    XXH3_freeState(ha);
    XXH3_freeState(hb);
    if (cancelled) return makeError(Status::Cancelled, "value comparison cancelled");
    for (const TensorReader* reader : {&ra, &rb})
        if (!reader->failure().empty()) return makeError(Status::Truncated, reader->failure());
    out.leftHash[0] = fa.high64;
    out.leftHash[1] = fa.low64;
    out.rightHash[0] = fb.high64;
    out.rightHash[1] = fb.low64;
    // Equal content hashes and no differing element: the bytes are identical (the element check makes
    // the verdict exact rather than probabilistic).
    out.bitwiseEqual = sameType && out.differing == 0 && XXH128_isEqual(fa, fb);
    // A file that shrank or was rewritten while it was read gave zeros or mixed bytes: no comparison of them.
    if (auto unchanged = left.checkFilesUnchanged(); !unchanged) return unchanged.error();
    if (auto unchanged = right.checkFilesUnchanged(); !unchanged) return unchanged.error();
    return out;
}

} // namespace ckpt

// The only statistics code that includes LibTorch (and no Qt header: Qt's `slots` macro breaks ATen).
#include "tensor/module/torchstats.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/version.h>

#include <algorithm>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>

#include "cuda/cudaapi.h"
#include "tensor/momentkernel.h"

namespace ckpt::tensor
{

namespace
{

struct Plan {
    at::ScalarType raw = at::kFloat;     // how the mapped bytes are viewed
    at::ScalarType compute = at::kFloat; // what the kernels reduce (kFloat or kDouble)
    bool complex = false;
    bool quantized = false;
};

Result<Plan> planFor(const RawTensor& t)
{
    Plan p;
    switch (t.dtype) {
    case DType::Float32:
        p.raw = at::kFloat;
        break;
    case DType::Float64:
        p.raw = at::kDouble;
        p.compute = at::kDouble;
        break;
    case DType::Float16:
        p.raw = at::kHalf;
        break;
    case DType::BFloat16:
        p.raw = at::kBFloat16;
        break;
    // Integers up to 16 bits are exact in float32; wider ones need float64.
    case DType::Int64:
        p.raw = at::kLong;
        p.compute = at::kDouble;
        break;
    case DType::Int32:
        p.raw = at::kInt;
        p.compute = at::kDouble;
        break;
    case DType::Int16:
        p.raw = at::kShort;
        break;
    case DType::Int8:
        p.raw = at::kChar;
        break;
    case DType::UInt8:
        p.raw = at::kByte;
        break;
    case DType::Bool:
        p.raw = at::kBool;
        break;
    case DType::Complex128:
        p.raw = at::kComplexDouble;
        p.compute = at::kDouble;
        p.complex = true;
        break;
    case DType::Complex64:
        p.raw = at::kComplexFloat;
        p.complex = true;
        break;
    case DType::Complex32:
        p.raw = at::kComplexHalf;
        p.complex = true;
        break;
    // Quantized values are read as their integer representation and dequantized in float64.
    case DType::QInt8:
        p.raw = at::kChar;
        p.compute = at::kDouble;
        p.quantized = true;
        break;
    case DType::QUInt8:
        p.raw = at::kByte;
        p.compute = at::kDouble;
        p.quantized = true;
        break;
    case DType::QInt32:
        p.raw = at::kInt;
        p.compute = at::kDouble;
        p.quantized = true;
        break;
    default:
        return makeError(Status::Unsupported,
                         "statistics of this dtype are not supported with LibTorch " TORCH_VERSION);
    }
    if (p.quantized && t.quant.scheme == RawQuant::Scheme::None)
        return makeError(Status::Corrupt, "quantized tensor without quantization parameters");
    return p;
}

bool isDenseNonOverlapping(const RawTensor& t)
{
    // A permutation of a contiguous layout covers exactly numel consecutive elements from the first one,
    // and statistics do not depend on order: such tensors (contiguous, transposed) are read as one run.
    std::vector<size_t> dims;
    for (size_t d = 0; d < t.shape.size(); ++d)
        if (t.shape[d] != 1) dims.push_back(d);
    std::sort(dims.begin(), dims.end(), [&](size_t a, size_t b) { return t.stride[a] < t.stride[b]; });
    int64_t expected = 1;
    for (size_t d : dims) {
        if (t.stride[d] != expected) return false;
        expected *= t.shape[d];
    }
    return true;
}

// One piece of the tensor, ready for a kernel: either the mapped bytes themselves or a converted copy.
struct Chunk {
    const void* data = nullptr;
    uint64_t n = 0;
    at::ScalarType type = at::kFloat;
    at::Tensor keep; // owns converted values
};

class ChunkSource
{
public:
    ChunkSource(const RawTensor& t, const Plan& plan, uint64_t chunkBytes, bool keepHalf)
        : m_t(t), m_plan(plan), m_keepHalf(keepHalf)
    {
        m_numel = 1;
        for (int64_t s : t.shape)
            m_numel *= static_cast<uint64_t>(s);
        const uint64_t width = plan.compute == at::kDouble ? 8 : 4;
        m_chunkElems = std::max<uint64_t>(1, chunkBytes / width);
        m_flat = !plan.quantized || t.quant.scheme == RawQuant::Scheme::PerTensor;
        m_flat = m_flat && (t.shape.empty() || isDenseNonOverlapping(t));
        if (m_numel == 0) {
            m_count = 0; // nothing to read: an empty tensor may not even have a data pointer
        } else if (m_flat) {
            m_count = (m_numel + m_chunkElems - 1) / m_chunkElems;
        } else {
            // Strided views and per-channel quantization: whole rows of dim 0 per chunk.
            int64_t rowElems = 1;
            for (size_t d = 1; d < t.shape.size(); ++d)
                rowElems *= t.shape[d];
            m_rowsPerChunk = std::max<int64_t>(1, static_cast<int64_t>(m_chunkElems) / std::max<int64_t>(1, rowElems));
            m_count = m_numel == 0 ? 0 : (t.shape[0] + m_rowsPerChunk - 1) / m_rowsPerChunk;
            // from_blob never writes: the mapping is read-only and every operation below is out of place.
            m_view = at::from_blob(const_cast<void*>(t.data), t.shape, t.stride, at::TensorOptions(plan.raw));
            if (plan.quantized) makeChannelParams();
        }
    }

    uint64_t numel() const { return m_numel; }
    uint64_t count() const { return m_count; }

    Chunk chunk(uint64_t i) const
    {
        at::Tensor piece;
        if (m_flat) {
            const uint64_t start = i * m_chunkElems;
            const int64_t n = static_cast<int64_t>(std::min(m_chunkElems, m_numel - start));
            const char* base = static_cast<const char*>(m_t.data) + start * at::elementSize(m_plan.raw);
            if (!m_plan.complex && !m_plan.quantized &&
                (m_plan.raw == m_plan.compute ||
                 (m_keepHalf && (m_plan.raw == at::kHalf || m_plan.raw == at::kBFloat16))))
                return Chunk{base, static_cast<uint64_t>(n), m_plan.raw, {}};
            piece = at::from_blob(const_cast<char*>(base), {n}, at::TensorOptions(m_plan.raw));
        } else {
            const int64_t row = static_cast<int64_t>(i) * m_rowsPerChunk;
            const int64_t rows = std::min(m_rowsPerChunk, m_t.shape[0] - row);
            piece = m_view.narrow(0, row, rows);
            if (m_plan.quantized) {
                at::Tensor scales = m_scales, zeros = m_zeros;
                if (m_t.quant.scheme == RawQuant::Scheme::PerChannel && m_t.quant.axis == 0) {
                    scales = scales.narrow(0, row, rows);
                    zeros = zeros.narrow(0, row, rows);
                }
                at::Tensor values = (piece.to(at::kDouble) - zeros) * scales;
                return finish(values.contiguous());
            }
        }
        if (m_plan.complex) {
            if (m_plan.raw == at::kComplexHalf) piece = piece.to(at::kComplexFloat);
            return finish(at::abs(piece).to(m_plan.compute).contiguous());
        }
        if (m_plan.quantized) {
            at::Tensor values = piece.to(at::kDouble);
            values.sub_(static_cast<double>(m_t.quant.zeroPoint)).mul_(m_t.quant.scale);
            return finish(values);
        }
        return finish(piece.to(m_plan.compute).contiguous());
    }

private:
    static Chunk finish(at::Tensor values)
    {
        return Chunk{values.data_ptr(), static_cast<uint64_t>(values.numel()), values.scalar_type(), values};
    }

    void makeChannelParams()
    {
        const RawQuant& q = m_t.quant;
        if (q.scheme == RawQuant::Scheme::PerTensor) {
            m_scales = at::full({1}, q.scale, at::kDouble);
            m_zeros = at::full({1}, static_cast<double>(q.zeroPoint), at::kDouble);
            return;
        }
        std::vector<int64_t> shape(m_t.shape.size(), 1);
        shape[q.axis] = static_cast<int64_t>(q.scales.size());
        m_scales = at::tensor(q.scales, at::kDouble).view(shape);
        std::vector<double> zeros(q.zeroPoints.begin(), q.zeroPoints.end());
        m_zeros = at::tensor(zeros, at::kDouble).view(shape);
    }

    const RawTensor& m_t;
    Plan m_plan;
    bool m_keepHalf = false;
    bool m_flat = true;
    uint64_t m_numel = 0;
    uint64_t m_chunkElems = 0;
    uint64_t m_count = 0;
    int64_t m_rowsPerChunk = 1;
    at::Tensor m_view;
    at::Tensor m_scales;
    at::Tensor m_zeros;
};

// Splits one chunk across LibTorch's intra-op threads; slots are merged in order so results repeat exactly.
Moments cpuMoments(const Chunk& c)
{
    const int64_t n = static_cast<int64_t>(c.n);
    const int64_t threads = std::max<int64_t>(1, at::get_num_threads());
    const int64_t grain = std::max<int64_t>(1 << 16, (n + threads - 1) / threads);
    std::vector<Moments> slots(static_cast<size_t>((n + grain - 1) / grain));
    at::parallel_for(0, n, grain, [&](int64_t begin, int64_t end) {
        for (int64_t at = begin; at < end; at += grain) {
            const int64_t len = std::min(end, at + grain) - at;
            slots[static_cast<size_t>(at / grain)] = c.type == at::kDouble
                                                         ? momentsOf(static_cast<const double*>(c.data) + at, len)
                                                         : momentsOf(static_cast<const float*>(c.data) + at, len);
        }
    });
    Moments total;
    for (const Moments& m : slots)
        total.merge(m);
    return total;
}

void cpuHistogram(const Chunk& c, double lo, double hi, int bins, uint64_t* counts)
{
    const int64_t n = static_cast<int64_t>(c.n);
    const int64_t threads = std::max<int64_t>(1, at::get_num_threads());
    const int64_t grain = std::max<int64_t>(1 << 16, (n + threads - 1) / threads);
    const size_t slotsCount = static_cast<size_t>((n + grain - 1) / grain);
    std::vector<std::vector<uint64_t>> slots(slotsCount, std::vector<uint64_t>(static_cast<size_t>(bins), 0));
    at::parallel_for(0, n, grain, [&](int64_t begin, int64_t end) {
        for (int64_t at = begin; at < end; at += grain) {
            const int64_t len = std::min(end, at + grain) - at;
            uint64_t* out = slots[static_cast<size_t>(at / grain)].data();
            if (c.type == at::kDouble)
                histogramOf(static_cast<const double*>(c.data) + at, len, lo, hi, bins, out);
            else
                histogramOf(static_cast<const float*>(c.data) + at, len, lo, hi, bins, out);
        }
    });
    for (const auto& slot : slots)
        for (int b = 0; b < bins; ++b)
            counts[b] += slot[static_cast<size_t>(b)];
}

CudaElem cudaElemFor(at::ScalarType type)
{
    switch (type) {
    case at::kDouble:
        return CudaElem::Float64;
    case at::kHalf:
        return CudaElem::Float16;
    case at::kBFloat16:
        return CudaElem::BFloat16;
    default:
        return CudaElem::Float32;
    }
}

Result<int> chooseDevice(const Plan& plan, const StatsOptions& options, const CudaModuleApi* cuda, uint64_t numel)
{
    if (options.backend == Backend::Cpu) return -1;
    static std::once_flag once;
    static std::vector<CudaDevice> devices;
    static std::string why;
    if (cuda) std::call_once(once, [&] { devices = cuda->devices(&why); });
    const bool have = cuda && !devices.empty();
    if (options.backend == Backend::Cuda) {
        if (!have)
            return makeError(Status::Unsupported,
                             "no CUDA device: " + (cuda ? why : std::string("the CUDA plugin is not available")));
        return 0;
    }
    const uint64_t bytes = numel * at::elementSize(plan.raw);
    return have && bytes >= options.cudaMinBytes ? 0 : -1;
}

Result<TensorStats> compute(const RawTensor& t, const StatsOptions& options, const CudaModuleApi* cuda)
{
    if (t.shape.size() != t.stride.size()) return makeError(Status::Corrupt, "shape and stride ranks differ");
    for (size_t d = 0; d < t.shape.size(); ++d)
        if (t.shape[d] < 0 || t.stride[d] < 0) return makeError(Status::Corrupt, "negative size or stride");
    Result<Plan> plan = planFor(t);
    if (!plan) return plan.error();
    if (plan.value().quantized && t.quant.scheme == RawQuant::Scheme::PerChannel) {
        const RawQuant& q = t.quant;
        if (q.axis < 0 || q.axis >= static_cast<int64_t>(t.shape.size()) ||
            static_cast<int64_t>(q.scales.size()) != t.shape[q.axis] || q.zeroPoints.size() != q.scales.size())
            return makeError(Status::Corrupt, "per-channel scales do not match the quantized axis");
    }
    uint64_t numel = 1;
    for (int64_t s : t.shape)
        numel *= static_cast<uint64_t>(s);
    if (numel > 0 && !t.data) return makeError(Status::Unsupported, "the tensor's bytes are not available");
    Result<int> device = chooseDevice(plan.value(), options, cuda, numel);
    if (!device) return device.error();
    const int dev = device.value();
    const int bins = std::max(0, options.bins);

    ChunkSource source(t, plan.value(), options.chunkBytes, dev >= 0);
    // One chunk is kept between the two passes; bigger tensors are converted again for the histogram
    // rather than held in memory.
    std::vector<Chunk> cached;
    auto chunkAt = [&](uint64_t i) { return source.count() == 1 ? cached.at(0) : source.chunk(i); };
    if (source.count() == 1) cached.push_back(source.chunk(0));

    Moments total;
    for (uint64_t i = 0; i < source.count(); ++i) {
        if (options.cancel && options.cancel->load()) return makeError(Status::Cancelled, "cancelled");
        const Chunk c = chunkAt(i);
        if (dev >= 0) {
            Moments m;
            std::string error;
            if (!cuda->moments(dev, c.data, cudaElemFor(c.type), c.n, &m, &error))
                return makeError(Status::IoError, "CUDA: " + error);
            total.merge(m);
        } else {
            total.merge(cpuMoments(c));
        }
    }
    TensorStats stats;
    applyMoments(total, &stats);
    stats.device = dev >= 0 ? "cuda:" + std::to_string(dev) : "cpu";
    if (bins == 0 || stats.finite == 0) return stats;

    double lo = 0, hi = 0;
    if (options.fixedRange)
        histogramRange(options.rangeMin, options.rangeMax, &lo, &hi);
    else
        histogramRange(stats.min, stats.max, &lo, &hi);
    stats.counts.assign(static_cast<size_t>(bins), 0);
    stats.edges.resize(static_cast<size_t>(bins) + 1);
    for (int b = 0; b <= bins; ++b)
        stats.edges[static_cast<size_t>(b)] = lo + (hi - lo) * b / bins;
    for (uint64_t i = 0; i < source.count(); ++i) {
        if (options.cancel && options.cancel->load()) return makeError(Status::Cancelled, "cancelled");
        const Chunk c = chunkAt(i);
        if (dev >= 0) {
            std::string error;
            if (!cuda->histogram(dev, c.data, cudaElemFor(c.type), c.n, lo, hi, bins, stats.counts.data(), &error))
                return makeError(Status::IoError, "CUDA: " + error);
        } else {
            cpuHistogram(c, lo, hi, bins, stats.counts.data());
        }
    }
    return stats;
}

} // namespace

Result<TensorStats> torchComputeStats(const RawTensor& tensor, const StatsOptions& options, const CudaModuleApi* cuda)
{
    // LibTorch reports problems with exceptions; none may cross the module boundary.
    try {
        return compute(tensor, options, cuda);
    } catch (const std::exception& e) {
        std::string what = e.what();
        what = what.substr(0, what.find('\n'));
        return makeError(Status::Unsupported, "LibTorch: " + what);
    }
}

void initTorchThreads()
{
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    at::set_num_threads(static_cast<int>(cores));
}

} // namespace ckpt::tensor

#include "tensor/tensorloader.h"

#include <cmath>
#include <cstdio>
#include <mutex>

#include "cuda/cudaapi.h"
#include "tensor/chunkedstats.h"
#include "tensor/moduleapi.h"
#include "tensor/pluginloader.h"

namespace ckpt::tensor
{

bool HealthReport::hasNonFinite() const
{
    for (const HealthFinding& f : findings)
        if (f.nan || f.posinf || f.neginf) return true;
    return false;
}

namespace
{

struct Plugins {
    const TensorModuleApi* tensor = nullptr;
    std::string tensorWhy;
    const CudaModuleApi* cuda = nullptr;
    std::string cudaWhy;
};

const CudaModuleApi* loadCuda(std::string* why)
{
#ifdef CKPT_CUDA_MODULE_FILE
    PluginHandle h =
        loadPlugin(CKPT_CUDA_MODULE_FILE, "CKPT_CUDA_MODULE", CKPT_CUDA_MODULE_BUILD_PATH, CKPT_CUDA_MODULE_ENTRY);
    if (!h.entry) {
        *why = "CUDA plugin not loadable: " + h.error;
        return nullptr;
    }
    auto entry = reinterpret_cast<const CudaModuleApi* (*)()>(h.entry);
    const CudaModuleApi* api = entry();
    if (!api || api->abi != kCudaModuleAbi) {
        *why = h.path + ": CUDA plugin of another version";
        return nullptr;
    }
    return api;
#else
    *why = "built without CUDA";
    return nullptr;
#endif
}

// Loaded once per process, on first use; the handles stay open until exit (unloading LibTorch is unsafe).
const Plugins& cudaPlugin()
{
    static Plugins plugins;
    static std::once_flag once;
    std::call_once(once, [] { plugins.cuda = loadCuda(&plugins.cudaWhy); });
    return plugins;
}

const Plugins& tensorPlugin()
{
    static Plugins plugins;
    static std::once_flag once;
    std::call_once(once, [] {
#ifdef CKPT_TENSOR_MODULE_FILE
        PluginHandle h = loadPlugin(CKPT_TENSOR_MODULE_FILE, "CKPT_TENSOR_MODULE", CKPT_TENSOR_MODULE_BUILD_PATH,
                                    CKPT_TENSOR_MODULE_ENTRY);
        if (!h.entry) {
            plugins.tensorWhy = "tensor module not loadable: " + h.error;
            return;
        }
        auto entry = reinterpret_cast<const TensorModuleApi* (*)()>(h.entry);
        const TensorModuleApi* api = entry();
        if (!api || api->abi != kTensorModuleAbi) {
            plugins.tensorWhy = h.path + ": tensor module of another version";
            return;
        }
        plugins.tensor = api;
        api->setCuda(cudaPlugin().cuda);
#else
        plugins.tensorWhy = "tensor module not built (LibTorch was not found at build time)";
#endif
    });
    return plugins;
}

Error unavailable()
{
    return makeError(Status::Unsupported, tensorPlugin().tensorWhy);
}

bool mulOverflows(uint64_t a, uint64_t b, uint64_t* out)
{
    return __builtin_mul_overflow(a, b, out);
}

// Reads a small 1-D component tensor (per-channel scales or zero points) as doubles.
Result<std::vector<double>> readVector(const Checkpoint& c, int index)
{
    Result<RawTensor> raw = rawTensorFor(c, index);
    if (!raw) return raw.error();
    const RawTensor& t = raw.value();
    if (t.shape.size() != 1) return makeError(Status::Corrupt, "quantization parameters are not a vector");
    std::vector<double> out(static_cast<size_t>(t.shape[0]));
    const auto* base = static_cast<const uint8_t*>(t.data);
    for (size_t i = 0; i < out.size(); ++i) {
        const uint64_t at = i * static_cast<uint64_t>(t.stride[0]);
        switch (t.dtype) {
        case DType::Float64:
            out[i] = reinterpret_cast<const double*>(base)[at];
            break;
        case DType::Float32:
            out[i] = reinterpret_cast<const float*>(base)[at];
            break;
        case DType::Int64:
            out[i] = static_cast<double>(reinterpret_cast<const int64_t*>(base)[at]);
            break;
        case DType::Int32:
            out[i] = reinterpret_cast<const int32_t*>(base)[at];
            break;
        default:
            return makeError(Status::Unsupported, "quantization parameters of an unexpected dtype");
        }
    }
    return out;
}

Result<RawQuant> quantFor(const Checkpoint& c, const TensorInfo& t)
{
    RawQuant q;
    const QuantInfo& info = t.quant;
    if (info.scheme == "per_tensor_affine") {
        q.scheme = RawQuant::Scheme::PerTensor;
        q.scale = info.scale;
        q.zeroPoint = info.zeroPoint;
        return q;
    }
    if (info.scheme == "per_channel_affine" || info.scheme == "per_channel_affine_float_qparams") {
        q.scheme = RawQuant::Scheme::PerChannel;
        q.axis = info.axis;
        Result<std::vector<double>> scales = readVector(c, info.scalesTensor);
        if (!scales) return scales.error();
        Result<std::vector<double>> zeros = readVector(c, info.zeroPointsTensor);
        if (!zeros) return zeros.error();
        q.scales = std::move(scales).value();
        for (double z : zeros.value())
            q.zeroPoints.push_back(static_cast<int64_t>(z));
        return q;
    }
    return makeError(Status::Unsupported, "quantization scheme '" + info.scheme + "' is not supported");
}

} // namespace

bool tensorModuleAvailable(std::string* why)
{
    const Plugins& p = tensorPlugin();
    if (why) *why = p.tensorWhy;
    return p.tensor != nullptr;
}

std::string tensorModuleVersion()
{
    const Plugins& p = tensorPlugin();
    return p.tensor ? p.tensor->torchVersion() : std::string();
}

Result<RawTensor> rawTensorFor(const Checkpoint& c, int index)
{
    if (index < 0 || static_cast<size_t>(index) >= c.tensors.size())
        return makeError(Status::Unsupported, "no tensor number " + std::to_string(index));
    const TensorInfo& t = c.tensors[static_cast<size_t>(index)];
    if (t.layout != TensorLayout::Strided)
        return makeError(Status::Unsupported, std::string(layoutName(t.layout)) +
                                                  " tensor: statistics describe dense tensors (see its values part)");
    if (t.sharded >= 0) { // the whole tensor is in no file of its own; its local pieces are
        const ShardedValue& v = c.shardedValues[static_cast<size_t>(t.sharded)];
        std::string piece = v.local.empty() || v.local[0].tensor < 0
                                ? std::string()
                                : " (ask for a local piece: `" +
                                      pathToString(c.tensors[static_cast<size_t>(v.local[0].tensor)].path) + "`)";
        return makeError(Status::Unsupported,
                         v.type + ": the file holds one rank's pieces, not the whole tensor" + piece);
    }
    if (t.storage < 0) return makeError(Status::Unsupported, "meta tensor: the file holds no values for it");
    if (static_cast<size_t>(t.storage) >= c.storages.size()) return makeError(Status::Corrupt, "storage out of range");
    if (t.shape.size() != t.stride.size()) return makeError(Status::Corrupt, "shape and stride ranks differ");
    const StorageInfo& s = c.storages[static_cast<size_t>(t.storage)];
    if (!s.available) return makeError(Status::Unsupported, "the storage's bytes are not in the file");
    RawTensor raw;
    raw.dtype = t.dtype;
    raw.shape = t.shape;
    raw.stride = t.stride;
    // The module reads through from_blob without bounds: every element this view can reach must lie
    // inside the storage, or a hostile shape/stride would read past the mapping.
    uint64_t numel = 1;
    uint64_t last = 0;
    for (size_t d = 0; d < t.shape.size(); ++d) {
        if (t.shape[d] < 0 || t.stride[d] < 0) return makeError(Status::Corrupt, "negative size or stride");
        if (mulOverflows(numel, static_cast<uint64_t>(t.shape[d]), &numel))
            return makeError(Status::Corrupt, "element count overflows");
    }
    if (numel > 0) {
        for (size_t d = 0; d < t.shape.size(); ++d) {
            uint64_t reach = 0;
            if (mulOverflows(static_cast<uint64_t>(t.shape[d] - 1), static_cast<uint64_t>(t.stride[d]), &reach) ||
                __builtin_add_overflow(last, reach, &last))
                return makeError(Status::Corrupt, "tensor view overflows");
        }
        const uint64_t elsize = dtypeElementSize(t.dtype);
        uint64_t end = 0;
        if (t.offset < 0 || __builtin_add_overflow(static_cast<uint64_t>(t.offset), last + 1, &end) ||
            mulOverflows(end, elsize, &end) || end > s.nbytes)
            return makeError(Status::Corrupt, "tensor view reaches beyond its storage");
        raw.data = c.tensorData(index);
        if (!raw.data) return makeError(Status::Unsupported, "the tensor's bytes are not available");
    }
    if (dtypeIsQuantized(t.dtype)) {
        Result<RawQuant> q = quantFor(c, t);
        if (!q) return q.error();
        raw.quant = std::move(q).value();
    }
    return raw;
}

Result<TensorStats> computeStatsRaw(const RawTensor& tensor, const StatsOptions& options)
{
    const Plugins& p = tensorPlugin();
    if (!p.tensor) return unavailable();
    Result<TensorStats> stats = p.tensor->computeStats(tensor, options);
    if (!stats && stats.error().status == Status::Unsupported)
        return makeError(Status::Unsupported, std::string(dtypeName(tensor.dtype)) + ": " + stats.error().detail);
    return stats;
}

Result<TensorStats> computeStats(const Checkpoint& checkpoint, int tensorIndex, const StatsOptions& options)
{
    if (!tensorPlugin().tensor) return unavailable();
    if (isChunkedTensor(checkpoint, tensorIndex)) { // a directory tensor split over chunks: streamed block by block
        Result<TensorStats> stats = computeChunkedStats(checkpoint, tensorIndex, options, &computeStatsRaw);
        if (auto unchanged = checkpoint.checkFilesUnchanged(); !unchanged) return unchanged.error();
        return stats;
    }
    Result<RawTensor> raw = rawTensorFor(checkpoint, tensorIndex);
    if (!raw) return raw.error();
    Result<TensorStats> stats = computeStatsRaw(raw.value(), options);
    // Statistics of a file that shrank or was rewritten while being read describe no version of it.
    if (auto unchanged = checkpoint.checkFilesUnchanged(); !unchanged) return unchanged.error();
    return stats;
}

Result<HealthReport> scanHealth(const Checkpoint& c, const HealthOptions& options, const Progress& progress)
{
    if (!tensorPlugin().tensor) return unavailable();
    // What to scan: every tensor with values of its own, and the values part of sparse tensors.
    std::vector<std::pair<int, std::string>> targets;
    for (size_t i = 0; i < c.tensors.size(); ++i) {
        const TensorInfo& t = c.tensors[i];
        if (t.component) continue;
        const std::string key = tensorKey(c, static_cast<int>(i));
        if (t.layout != TensorLayout::Strided && !t.parts.empty())
            targets.emplace_back(t.parts.back(), key + " (values)");
        else
            targets.emplace_back(static_cast<int>(i), key);
    }
    uint64_t total = 0;
    for (const auto& target : targets)
        total += c.tensors[static_cast<size_t>(target.first)].nbytes;

    HealthReport report;
    StatsOptions stats;
    stats.bins = 0; // the scan needs no histogram: one pass per tensor
    stats.backend = options.backend;
    stats.cancel = progress.cancel;
    uint64_t done = 0;
    progress.tick(0, total);
    for (const auto& [index, key] : targets) {
        if (progress.cancelled()) return makeError(Status::Cancelled, "health scan cancelled");
        const TensorInfo& t = c.tensors[static_cast<size_t>(index)];
        done += t.nbytes;
        // Integer and bool tensors (counters, indices, masks) cannot hold NaN/Inf and are zero by design.
        if (!dtypeIsFloating(t.dtype) && !dtypeIsComplex(t.dtype) && !dtypeIsQuantized(t.dtype)) {
            ++report.tensorsScanned;
            progress.tick(done, total);
            continue;
        }
        Result<TensorStats> s = computeStats(c, index, stats);
        if (!s) {
            if (s.error().status == Status::Cancelled) return s.error();
            report.skipped.emplace_back(index, key + ": " + s.error().detail);
            progress.tick(done, total);
            continue;
        }
        ++report.tensorsScanned;
        report.bytesScanned += t.nbytes;
        const TensorStats& v = s.value();
        HealthFinding f;
        f.tensor = index;
        f.key = key;
        f.nan = v.nan;
        f.posinf = v.posinf;
        f.neginf = v.neginf;
        f.allZero = v.count > 0 && v.zeros == v.count;
        f.maxAbs = v.finite ? std::max(std::fabs(v.min), std::fabs(v.max)) : 0.0;
        f.overThreshold = v.finite && f.maxAbs > options.threshold;
        if (f.nan || f.posinf || f.neginf || f.allZero || f.overThreshold) report.findings.push_back(std::move(f));
        progress.tick(done, total);
    }
    return report;
}

std::vector<CudaDevice> cudaDevices(std::string* why)
{
    const Plugins& p = cudaPlugin();
    if (!p.cuda) {
        if (why) *why = p.cudaWhy;
        return {};
    }
    std::string reason;
    std::vector<CudaDevice> devices = p.cuda->devices(&reason);
    if (why) *why = reason;
    return devices;
}

std::string describeCudaDevices()
{
    std::string why;
    const std::vector<CudaDevice> devices = cudaDevices(&why);
    if (devices.empty()) return "no CUDA devices (" + why + ")\n";
    std::string out;
    for (const CudaDevice& d : devices) {
        char line[512];
        std::snprintf(line, sizeof line, "cuda:%d  %s  %.1f GiB  sm_%d%d\n", d.index, d.name.c_str(),
                      static_cast<double>(d.totalMemory) / (1024.0 * 1024.0 * 1024.0), d.major, d.minor);
        out += line;
    }
    return out;
}

std::string tensorKey(const Checkpoint& c, int tensorIndex)
{
    const WeightSet* main = c.mainWeightSet();
    if (main)
        for (const WeightEntry& e : main->entries)
            if (e.tensor == tensorIndex) return e.key;
    for (const WeightSet& set : c.weightSets)
        for (const WeightEntry& e : set.entries)
            if (e.tensor == tensorIndex) return e.key;
    if (tensorIndex < 0 || static_cast<size_t>(tensorIndex) >= c.tensors.size()) return {};
    return pathToString(c.tensors[static_cast<size_t>(tensorIndex)].path);
}

} // namespace ckpt::tensor

#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "core/model/dtype.h"

// Plain types shared by callers, the loader and the plugins. No LibTorch, no Qt, no CUDA here: they cross
// the dlopen() boundary, which is safe because every side is built by the same compiler in one project.
namespace ckpt::tensor
{

// Where statistics are computed. Auto uses a CUDA device when one exists and the tensor is large enough to
// be worth the copy (StatsOptions::cudaMinBytes).
enum class Backend { Auto, Cpu, Cuda };

struct StatsOptions {
    int bins = 64; // histogram bins; 0 skips the histogram (and its second pass)
    Backend backend = Backend::Auto;
    uint64_t chunkBytes = 128ull << 20;        // converted bytes per chunk: big tensors are never copied whole
    uint64_t cudaMinBytes = 4ull << 20;        // Auto: smaller tensors stay on the CPU (copy + launch cost)
    const std::atomic<bool>* cancel = nullptr; // polled between chunks
    // The histogram spans [rangeMin, rangeMax] instead of the tensor's own [min, max]: the blocks of one tensor
    // read one at a time (a directory's chunks) then count into the same bins.
    bool fixedRange = false;
    double rangeMin = 0.0;
    double rangeMax = 0.0;
};

// Statistics of one tensor. min/max/mean/std are over the finite values (NaN when there are none);
// std is the population standard deviation, as torch.std(unbiased=False). Complex tensors report
// magnitudes, quantized tensors their dequantized values.
struct TensorStats {
    uint64_t count = 0;  // elements
    uint64_t finite = 0; // elements that are neither NaN nor infinite
    uint64_t zeros = 0;
    uint64_t nan = 0;
    uint64_t posinf = 0;
    uint64_t neginf = 0;
    double min = std::numeric_limits<double>::quiet_NaN();
    double max = std::numeric_limits<double>::quiet_NaN();
    double mean = std::numeric_limits<double>::quiet_NaN();
    double std = std::numeric_limits<double>::quiet_NaN();
    // bins + 1 edges over [min, max] of the finite values (torch.histc's convention, which widens an empty
    // range to [min - 1, max + 1]); empty when there is no finite value or bins == 0.
    std::vector<double> edges;
    std::vector<uint64_t> counts;
    std::string device; // "cpu" or "cuda:N": where it was computed
};

// Partial moments of a run of values: what a chunk, a thread or a GPU block produces, merged with Chan's
// formula so that the variance stays accurate over billions of values.
struct Moments {
    uint64_t finite = 0;
    uint64_t zeros = 0;
    uint64_t nan = 0;
    uint64_t posinf = 0;
    uint64_t neginf = 0;
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    double mean = 0.0;
    double m2 = 0.0; // sum of squared deviations from mean

    void merge(const Moments& other);
};

// Quantization parameters of a raw tensor. Per-channel scales and zero points are given as plain arrays
// (the loader reads them from the checkpoint's component tensors).
struct RawQuant {
    enum class Scheme { None, PerTensor, PerChannel } scheme = Scheme::None;
    double scale = 1.0;
    int64_t zeroPoint = 0;
    int64_t axis = 0;
    std::vector<double> scales;
    std::vector<int64_t> zeroPoints;
};

// A tensor's bytes as the module sees them: a pointer to the first element of a bounds-checked mapping.
struct RawTensor {
    const void* data = nullptr;
    DType dtype = DType::Unknown;
    std::vector<int64_t> shape;
    std::vector<int64_t> stride; // elements; all >= 0 (the loader rejects the rest)
    RawQuant quant;
};

struct HealthOptions {
    double threshold = std::numeric_limits<double>::infinity(); // flag finite |value| above this
    Backend backend = Backend::Auto;
};

// One tensor the health scan has something to say about.
struct HealthFinding {
    int tensor = -1; // index into Checkpoint::tensors
    std::string key; // weight-set key, or the path as text
    uint64_t nan = 0;
    uint64_t posinf = 0;
    uint64_t neginf = 0;
    bool allZero = false;
    double maxAbs = 0.0; // largest finite |value|
    bool overThreshold = false;
};

struct HealthReport {
    uint64_t tensorsScanned = 0;
    uint64_t bytesScanned = 0;
    std::vector<HealthFinding> findings;
    std::vector<std::pair<int, std::string>> skipped; // tensor index, why (meta, sparse, unsupported dtype)

    bool hasNonFinite() const;
};

// One CUDA device as the export dialog and `ckpt info --devices` show it.
struct CudaDevice {
    int index = 0;
    std::string name;
    uint64_t totalMemory = 0; // bytes
    int major = 0;            // compute capability
    int minor = 0;
};

} // namespace ckpt::tensor

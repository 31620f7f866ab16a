// GPU reductions for the statistics: moments (two passes over each piece on the device: sums, then squared
// deviations from the piece's mean) and the histogram. Host values are copied in pieces, so a tensor of any
// size needs a fixed amount of device memory.
#include "cuda/cudakernels.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <mutex>
#include <vector>

namespace ckpt::tensor
{

namespace
{

constexpr int kThreads = 256;
constexpr int kMaxBlocks = 1024;
constexpr uint64_t kPieceBytes = 256ull << 20;
constexpr int kSharedBins = 8192; // 32 KB of shared uint32 counters; more bins go straight to global memory

struct Partial {
    unsigned long long finite, zeros, nan, posinf, neginf;
    double sum, min, max;
};

__device__ __forceinline__ double load(const float* p, uint64_t i)
{
    return p[i];
}
__device__ __forceinline__ double load(const double* p, uint64_t i)
{
    return p[i];
}
__device__ __forceinline__ double load(const __half* p, uint64_t i)
{
    return __half2float(p[i]);
}
__device__ __forceinline__ double load(const __nv_bfloat16* p, uint64_t i)
{
    return __bfloat162float(p[i]);
}

template <class T> __global__ void sumsKernel(const T* data, uint64_t n, Partial* out)
{
    __shared__ Partial shared[kThreads];
    Partial p{0, 0, 0, 0, 0, 0.0, DBL_MAX, -DBL_MAX};
    const uint64_t stride = static_cast<uint64_t>(blockDim.x) * gridDim.x;
    for (uint64_t i = blockIdx.x * static_cast<uint64_t>(blockDim.x) + threadIdx.x; i < n; i += stride) {
        const double v = load(data, i);
        if (isnan(v)) {
            ++p.nan;
        } else if (isinf(v)) {
            if (v > 0)
                ++p.posinf;
            else
                ++p.neginf;
        } else {
            ++p.finite;
            p.zeros += v == 0.0;
            p.sum += v;
            p.min = fmin(p.min, v);
            p.max = fmax(p.max, v);
        }
    }
    shared[threadIdx.x] = p;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) {
            Partial& a = shared[threadIdx.x];
            const Partial& b = shared[threadIdx.x + half];
            a.finite += b.finite;
            a.zeros += b.zeros;
            a.nan += b.nan;
            a.posinf += b.posinf;
            a.neginf += b.neginf;
            a.sum += b.sum;
            a.min = fmin(a.min, b.min);
            a.max = fmax(a.max, b.max);
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) out[blockIdx.x] = shared[0];
}

template <class T> __global__ void deviationKernel(const T* data, uint64_t n, double mean, double* out)
{
    __shared__ double shared[kThreads];
    double acc = 0.0;
    const uint64_t stride = static_cast<uint64_t>(blockDim.x) * gridDim.x;
    for (uint64_t i = blockIdx.x * static_cast<uint64_t>(blockDim.x) + threadIdx.x; i < n; i += stride) {
        const double v = load(data, i);
        if (isfinite(v)) {
            const double d = v - mean;
            acc += d * d;
        }
    }
    shared[threadIdx.x] = acc;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) shared[threadIdx.x] += shared[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0) out[blockIdx.x] = shared[0];
}

template <class T>
__global__ void histogramKernel(const T* data, uint64_t n, double lo, double scale, int bins,
                                unsigned long long* counts)
{
    extern __shared__ unsigned int local[];
    const bool useShared = bins <= kSharedBins;
    if (useShared)
        for (int b = threadIdx.x; b < bins; b += blockDim.x)
            local[b] = 0;
    __syncthreads();
    const uint64_t stride = static_cast<uint64_t>(blockDim.x) * gridDim.x;
    for (uint64_t i = blockIdx.x * static_cast<uint64_t>(blockDim.x) + threadIdx.x; i < n; i += stride) {
        const double v = load(data, i);
        if (!isfinite(v)) continue;
        const double pos = (v - lo) * scale;
        const int bin = pos <= 0.0 ? 0 : static_cast<int>(fmin(pos, static_cast<double>(bins - 1)));
        if (useShared)
            atomicAdd(&local[bin], 1u);
        else
            atomicAdd(&counts[bin], 1ull);
    }
    __syncthreads();
    if (useShared)
        for (int b = threadIdx.x; b < bins; b += blockDim.x)
            if (local[b]) atomicAdd(&counts[b], static_cast<unsigned long long>(local[b]));
}

size_t elemSize(CudaElem e)
{
    switch (e) {
    case CudaElem::Float64:
        return 8;
    case CudaElem::Float32:
        return 4;
    default:
        return 2;
    }
}

bool check(cudaError_t status, std::string* error)
{
    if (status == cudaSuccess) return true;
    *error = cudaGetErrorString(status);
    return false;
}

// One device buffer per process, reused across calls: allocation costs more than most small tensors.
struct Staging {
    std::mutex mutex;
    int device = -1;
    void* buffer = nullptr;
    Partial* partials = nullptr;
    double* deviations = nullptr;
    unsigned long long* counts = nullptr;
    int countsCapacity = 0;
};

Staging& staging()
{
    static Staging s;
    return s;
}

bool prepare(Staging& s, int device, int bins, std::string* error)
{
    if (!check(cudaSetDevice(device), error)) return false;
    if (s.device != device) {
        if (s.buffer) {
            cudaFree(s.buffer);
            cudaFree(s.partials);
            cudaFree(s.deviations);
            cudaFree(s.counts);
        }
        s.buffer = nullptr;
        s.partials = nullptr;
        s.deviations = nullptr;
        s.counts = nullptr;
        s.countsCapacity = 0;
        s.device = device;
        if (!check(cudaMalloc(&s.buffer, kPieceBytes), error) ||
            !check(cudaMalloc(&s.partials, kMaxBlocks * sizeof(Partial)), error) ||
            !check(cudaMalloc(&s.deviations, kMaxBlocks * sizeof(double)), error))
            return false;
    }
    if (bins > s.countsCapacity) {
        if (s.counts) cudaFree(s.counts);
        s.counts = nullptr;
        s.countsCapacity = 0;
        if (!check(cudaMalloc(&s.counts, static_cast<size_t>(bins) * sizeof(unsigned long long)), error)) return false;
        s.countsCapacity = bins;
    }
    return true;
}

int blocksFor(uint64_t n)
{
    return static_cast<int>(std::min<uint64_t>(kMaxBlocks, std::max<uint64_t>(1, (n + kThreads - 1) / kThreads)));
}

template <class T> bool pieceMoments(Staging& s, uint64_t n, Moments* out, std::string* error)
{
    const int blocks = blocksFor(n);
    const T* data = static_cast<const T*>(s.buffer);
    sumsKernel<T><<<blocks, kThreads>>>(data, n, s.partials);
    std::vector<Partial> partials(static_cast<size_t>(blocks));
    if (!check(cudaGetLastError(), error) ||
        !check(cudaMemcpy(partials.data(), s.partials, blocks * sizeof(Partial), cudaMemcpyDeviceToHost), error))
        return false;
    Moments m;
    double sum = 0.0;
    for (const Partial& p : partials) {
        m.finite += p.finite;
        m.zeros += p.zeros;
        m.nan += p.nan;
        m.posinf += p.posinf;
        m.neginf += p.neginf;
        sum += p.sum;
        if (p.finite) {
            m.min = std::min(m.min, p.min);
            m.max = std::max(m.max, p.max);
        }
    }
    if (m.finite) {
        m.mean = sum / static_cast<double>(m.finite);
        deviationKernel<T><<<blocks, kThreads>>>(data, n, m.mean, s.deviations);
        std::vector<double> dev(static_cast<size_t>(blocks));
        if (!check(cudaGetLastError(), error) ||
            !check(cudaMemcpy(dev.data(), s.deviations, blocks * sizeof(double), cudaMemcpyDeviceToHost), error))
            return false;
        for (double d : dev)
            m.m2 += d;
    }
    out->merge(m);
    return true;
}

template <class T> bool pieceHistogram(Staging& s, uint64_t n, double lo, double scale, int bins, std::string* error)
{
    const int blocks = blocksFor(n);
    const size_t shared = bins <= kSharedBins ? static_cast<size_t>(bins) * sizeof(unsigned int) : 0;
    histogramKernel<T><<<blocks, kThreads, shared>>>(static_cast<const T*>(s.buffer), n, lo, scale, bins, s.counts);
    return check(cudaGetLastError(), error);
}

template <class Fn>
bool forEachPiece(Staging& s, const void* data, CudaElem elem, uint64_t n, std::string* error, Fn&& fn)
{
    const size_t width = elemSize(elem);
    const uint64_t perPiece = kPieceBytes / width;
    for (uint64_t at = 0; at < n; at += perPiece) {
        const uint64_t len = std::min(perPiece, n - at);
        if (!check(
                cudaMemcpy(s.buffer, static_cast<const char*>(data) + at * width, len * width, cudaMemcpyHostToDevice),
                error))
            return false;
        if (!fn(len)) return false;
    }
    return true;
}

} // namespace

bool cudaMoments(int device, const void* data, CudaElem elem, uint64_t n, Moments* out, std::string* error)
{
    Staging& s = staging();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!prepare(s, device, 0, error)) return false;
    *out = Moments{};
    return forEachPiece(s, data, elem, n, error, [&](uint64_t len) {
        switch (elem) {
        case CudaElem::Float64:
            return pieceMoments<double>(s, len, out, error);
        case CudaElem::Float16:
            return pieceMoments<__half>(s, len, out, error);
        case CudaElem::BFloat16:
            return pieceMoments<__nv_bfloat16>(s, len, out, error);
        default:
            return pieceMoments<float>(s, len, out, error);
        }
    });
}

bool cudaHistogram(int device, const void* data, CudaElem elem, uint64_t n, double lo, double hi, int bins,
                   uint64_t* counts, std::string* error)
{
    if (bins <= 0 || !(hi > lo)) return true;
    Staging& s = staging();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!prepare(s, device, bins, error)) return false;
    if (!check(cudaMemset(s.counts, 0, static_cast<size_t>(bins) * sizeof(unsigned long long)), error)) return false;
    const double scale = static_cast<double>(bins) / (hi - lo);
    const bool ok = forEachPiece(s, data, elem, n, error, [&](uint64_t len) {
        switch (elem) {
        case CudaElem::Float64:
            return pieceHistogram<double>(s, len, lo, scale, bins, error);
        case CudaElem::Float16:
            return pieceHistogram<__half>(s, len, lo, scale, bins, error);
        case CudaElem::BFloat16:
            return pieceHistogram<__nv_bfloat16>(s, len, lo, scale, bins, error);
        default:
            return pieceHistogram<float>(s, len, lo, scale, bins, error);
        }
    });
    if (!ok) return false;
    std::vector<unsigned long long> device_counts(static_cast<size_t>(bins));
    if (!check(cudaMemcpy(device_counts.data(), s.counts, bins * sizeof(unsigned long long), cudaMemcpyDeviceToHost),
               error))
        return false;
    for (int b = 0; b < bins; ++b)
        counts[b] += device_counts[static_cast<size_t>(b)];
    return true;
}

} // namespace ckpt::tensor
